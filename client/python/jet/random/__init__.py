"""jet.random: JAX's counter-based PRNG (Threefry-2x32), computed on jetd.

Keys are raw uint32[2] arrays, as `jax.random.PRNGKey` returns. For the
same key, shape and dtype every function here gives the same bits as JAX's
current default stream (`jax_threefry_partitionable`, on since JAX 0.5);
set `jet.random.threefry_partitionable = False` (or the jet.config flag of
that name, where it exists) for the older stream of JAX <= 0.4.

The bits are computed on the server: Threefry-2x32 is a graph of uint32
ops (add, xor, shifts, or) sent through `jet._core.bind`, and each public
function is jitted, so one call is one round trip.

    >>> key = jet.random.PRNGKey(0)
    >>> jet.random.uniform(key, (3,))
    Array([0.947667  , 0.9785799 , 0.33229148], dtype=float32)
"""
from ._public import (  # noqa: F401
    PRNGKey, bernoulli, bits, choice, exponential, fold_in, gumbel, key, key_data,
    normal, partitionable, permutation, randint, split, threefry_2x32, uniform,
    wrap_key_data, _random_bits,
)

# True: JAX's current default stream (partitionable); False: the legacy one.
threefry_partitionable = True

__all__ = [
    "PRNGKey", "key", "key_data", "wrap_key_data", "split", "fold_in", "bits",
    "threefry_2x32", "uniform", "normal", "exponential", "gumbel", "randint",
    "bernoulli", "permutation", "choice", "threefry_partitionable",
]
