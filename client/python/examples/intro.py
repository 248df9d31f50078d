"""The JAX introduction the project started from ("Uma introdução a JAX"),
cell by cell, against jetd: the numpy wrapper, grad, jit, vmap and pmap.

Every jnp array lives on the daemon; printing reads it back. Run it with a
daemon listening at $JET_ADDRESS (deploy/quickstart.sh does all of this):

    JET_ADDRESS=127.0.0.1:7450 JET_LIBJET=build/client/libjet.so \\
        PYTHONPATH=client/python /usr/bin/python3 client/python/examples/intro.py

An address given as the first argument overrides $JET_ADDRESS.

It prints, in order (the tutorial's outputs, with today's Array repr):

    0.0 0.0
    (array([1., 4., 9.]), Array([1., 4., 9.], dtype=float32))
    6.0
    -2.5066283 -2.5066282746310002
    24.0
    (Array(16., dtype=float32), Array(24., dtype=float32))
    [0.26726124 0.5345225  0.8017837 ]

and then one line each for the jit, vmap and pmap cells.
"""
import sys
from math import pi, sqrt

import numpy as np

import jet
import jet.numpy as jnp
from jet import grad, jit, pmap, vmap

if len(sys.argv) > 1:
    jet.connect(sys.argv[1])

# --- The numpy wrapper: jax.numpy --------------------------------------------
a = np.array([1., 2., 3.])
b = np.array([1., 1., -1.])
print(np.dot(a, b), jnp.dot(a, b))

print((np.square(a), jnp.square(a)))

# numpy arrays are uploaded on every call; for many calls, upload once:
a_dev = jet.device_put(a)
b_dev = jet.device_put(b)

# --- Automatic differentiation: grad -----------------------------------------
dup = grad(jnp.square)
print(dup(3.0))  # d/dx x**2 = 2x


def composite_func(x):
    y = x**2
    return jnp.cos(y)


g = grad(composite_func)  # chain rule: d cos(x**2)/dx = -2x sin(x**2)
print(g(jnp.sqrt(pi/2)), -2*sqrt(pi/2))


def f(x, y):
    return x*(y**2)


dfdy = grad(f, argnums=(1))
print(dfdy(3.0, 4.0))
gradient = grad(f, argnums=(0, 1))
print(gradient(3.0, 4.0))


def g(v):
    return jnp.linalg.norm(v)


print(grad(g)(a))

# --- Compilation: jit ---------------------------------------------------------
# One graph, compiled once on jetd for this argument signature, one round trip
# per call instead of one per jnp operation.
composite_jit = jit(composite_func)
print("jit(composite_func)(a) =", composite_jit(a_dev))

# --- Automatic vectorisation: vmap --------------------------------------------
# dot of each row of [a; b] with b, as one batched graph on the server.
rows = jnp.stack([a_dev, b_dev])
print("vmap(jnp.dot, in_axes=(0, None))([a; b], b) =", vmap(jnp.dot, in_axes=(0, None))(rows, b_dev))

# --- Parallelisation: pmap ----------------------------------------------------
n_dev = len(jet.devices())
try:
    out = pmap(lambda x: x * 2.0)(rows)
except Exception as e:  # pmap needs one device per row (jetd --devices N)
    print("pmap: not available on this jetd (%d device%s; this pmap needs 2, one per row): %s"
          % (n_dev, "" if n_dev == 1 else "s", str(e).splitlines()[0] if str(e) else type(e).__name__))
else:
    print("pmap(lambda x: x * 2.0)([a; b]) =", out)
