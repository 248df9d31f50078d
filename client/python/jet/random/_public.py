"""Public functions of jet.random: argument checks, then one jitted graph.

Each function checks its arguments on the client (JAX's messages where JAX
has one), then calls a `jet.jit`-compiled graph whose static arguments are
the shape, the dtype and the stream mode, so a call is one round trip to
jetd and a second call with the same signature reuses the compiled graph.
Inside a trace (jit, grad, vmap) the same functions add a call node.
"""
import math
import operator
import sys
from collections.abc import Sequence

import numpy as np

from . import _ops, _samplers
from ._ops import U32, dtype_of, is_value, shape_of

_JITTED = {}


def _jit(fn, static_argnums):
    f = _JITTED.get(fn)
    if f is None:
        from .._api import jit
        f = jit(fn, static_argnums=static_argnums)
        _JITTED[fn] = f
    return f


def _config_flag(*names, default):
    try:
        from .. import config
    except ImportError:
        return default
    for name in names:
        if hasattr(config, name):
            return bool(getattr(config, name))
        read = getattr(config, "read", None)
        if callable(read):
            try:
                return bool(read(name))
            except (KeyError, AttributeError, ValueError):
                pass
    return default


def partitionable():
    """True when the current default stream (jax_threefry_partitionable) is on.

    Both `jet.random.threefry_partitionable` and, when jet.config defines it,
    `jet.config.threefry_partitionable` / `jax_threefry_partitionable`
    must be true; setting either to False selects the legacy stream."""
    mod = sys.modules.get("jet.random")
    module_flag = bool(getattr(mod, "threefry_partitionable", True)) if mod else True
    return module_flag and _config_flag("threefry_partitionable",
                                        "jax_threefry_partitionable", default=True)


def _x64():
    return _config_flag("enable_x64", "jax_enable_x64", default=False)


# ---- argument checks --------------------------------------------------------

def _check_key(name, key):
    if not is_value(key):
        if not isinstance(key, np.ndarray):
            raise TypeError(
                "jet.random.%s: key must be a uint32[2] PRNG key (from "
                "jet.random.PRNGKey or jet.random.split), got %s" % (name, type(key).__name__))
    shape, dtype = shape_of(key), dtype_of(key)
    if dtype != U32 or len(shape) < 1 or shape[-1] != 2:
        raise TypeError(
            "jet.random.%s: key must be a uint32[2] PRNG key (raw key data, as "
            "jax.random.PRNGKey returns), got an array of dtype %s and shape %s"
            % (name, dtype, shape))
    if len(shape) != 1:
        raise TypeError(
            "jet.random.%s accepts a single key, but was given a key array of "
            "shape %s != (). Use jet.vmap for batching." % (name, shape[:-1]))
    return key


def _canonical_shape(name, shape):
    if isinstance(shape, (int, np.integer)) or not isinstance(shape, (Sequence, np.ndarray)):
        raise TypeError(
            "jet.random.%s: shape must be a tuple of nonnegative ints, got %r"
            % (name, shape))
    try:
        out = tuple(operator.index(d) for d in shape)
    except TypeError:
        raise TypeError("jet.random.%s: shape must be a tuple of nonnegative ints, got %r"
                        % (name, shape)) from None
    if any(d < 0 for d in out):
        raise ValueError("jet.random.%s: shape has a negative dimension: %r" % (name, out))
    return out


def _check_shape(name, shape, *param_shapes):
    if not param_shapes:
        return
    try:
        result = np.broadcast_shapes(shape, *param_shapes)
    except ValueError:
        result = None
    if result != tuple(shape):
        raise ValueError(
            "jet.random.%s: parameter shapes must be broadcast-compatible with the shape "
            "argument, and the result of broadcasting the shapes must equal the shape "
            "argument, but got result %s for shape argument %s."
            % (name, result, tuple(shape)))


def _float_dtype(name, dtype):
    if dtype is None:
        return np.dtype(np.float64 if _x64() else np.float32)
    d = np.dtype(dtype)
    if not np.issubdtype(d, np.floating):
        raise ValueError("dtype argument to `%s` must be a float dtype, got %s" % (name, d))
    if d == np.float64 and not _x64():
        d = np.dtype(np.float32)  # as JAX without jax_enable_x64
    if d not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise TypeError("jet.random.%s: dtype %s is not supported by jetd (float32 and "
                        "float64 are)" % (name, d))
    return d


def _int_dtype(name, dtype):
    if dtype is None:
        d = np.dtype(np.int64 if _x64() else np.int32)
    else:
        d = np.dtype(dtype)
    if not np.issubdtype(d, np.integer):
        raise TypeError("%s only accepts integer dtypes, got %s" % (name, d))
    if not _x64():
        d = {np.dtype(np.int64): np.dtype(np.int32),
             np.dtype(np.uint64): np.dtype(np.uint32)}.get(d, d)
    if d not in (np.dtype(np.int32), np.dtype(np.uint32), np.dtype(np.uint8)):
        raise TypeError(
            "jet.random.%s: dtype %s is not supported (int32, uint32 and uint8 are; "
            "64-bit sampling needs uint64 arithmetic, which jetd does not have)" % (name, d))
    return d


def _concrete_int(x, what):
    try:
        return operator.index(x)
    except TypeError:
        pass
    if is_value(x):
        if not np.issubdtype(np.dtype(x.dtype), np.integer):
            raise TypeError("%s must be an integer, got dtype %s" % (what, x.dtype))
        return int(x)  # a tracer raises jet.errors.ConcretizationTypeError here
    arr = np.asarray(x)
    if arr.ndim != 0 or not np.issubdtype(arr.dtype, np.integer):
        raise TypeError("%s must be an integer, got %r" % (what, x))
    return int(arr)


# ---- keys -------------------------------------------------------------------

def _seed_impl(seed):
    dt = np.dtype(seed.dtype)
    if dt == np.dtype(np.int64) or dt == np.dtype(np.uint64):
        hi = _ops.convert(_ops.bind("shift_right_logical", seed, _ops.const(32, dt)), U32)
    else:
        hi = _ops.u32(0)
    if dt == np.dtype(np.int32):
        lo = _ops.bind("bitcast_convert_type", seed, new_dtype=U32)
    else:
        lo = _ops.convert(seed, U32)
    hi = _ops.reshape(_ops.as_value(hi) if not is_value(hi) else hi, (1,))
    return _ops.concat([hi, _ops.reshape(lo, (1,))], 0)


def PRNGKey(seed, impl=None):
    """A raw PRNG key, uint32[2] = (high word, low word) of the seed, as
    jax.random.PRNGKey: without x64 the seed is an int32, so the high word is
    0 and the low word is seed mod 2**32."""
    if impl not in (None, "threefry2x32", "threefry"):
        raise ValueError("jet.random.PRNGKey: only the threefry2x32 implementation exists, "
                         "got impl=%r" % (impl,))
    if is_value(seed):
        if seed.shape != ():
            raise TypeError("PRNG key seed must be a scalar; got shape %s." % (tuple(seed.shape),))
        if not np.issubdtype(np.dtype(seed.dtype), np.integer):
            raise TypeError("PRNG key seed must be an integer; got dtype %s" % (seed.dtype,))
        return _jit(_seed_impl, ())(seed)
    if isinstance(seed, (float, complex)) or (
            isinstance(seed, (np.ndarray, np.generic)) and not np.issubdtype(seed.dtype, np.integer)):
        raise TypeError("PRNG key seed must be an integer; got %r" % (seed,))
    if isinstance(seed, (np.ndarray, np.generic)) and np.ndim(seed) != 0:
        raise TypeError("PRNG key seed must be a scalar; got shape %s." % (np.shape(seed),))
    s = int(np.int64(int(seed)))  # OverflowError outside int64, as JAX
    if _x64():
        hi, lo = (s >> 32) & 0xFFFFFFFF, s & 0xFFFFFFFF
    else:
        hi, lo = 0, s & 0xFFFFFFFF
    from .. import _core
    return _core.asarray_value(np.array([hi, lo], dtype=U32), dtype=U32, weak=False)


def key(seed, impl=None):
    """Like jax.random.key, but returns the raw uint32[2] key (jet has no typed
    key arrays); key_data and wrap_key_data are identities on it."""
    return PRNGKey(seed, impl)


def key_data(keys):
    """The uint32 data of keys (raw keys are their own data)."""
    if not is_value(keys):
        keys = np.asarray(keys)
    if dtype_of(keys) != U32 or not shape_of(keys) or shape_of(keys)[-1] != 2:
        raise TypeError("jet.random.key_data: expected uint32 key data of shape (..., 2), got "
                        "dtype %s shape %s" % (dtype_of(keys), shape_of(keys)))
    return keys


def wrap_key_data(key_bits_array, impl=None):
    del impl
    return key_data(key_bits_array)


def split(key, num=2):
    """Splits a key into `num` new keys (num an int or a shape); result
    uint32[*shape, 2]."""
    _check_key("split", key)
    shape = (operator.index(num),) if not isinstance(num, (Sequence, np.ndarray)) else \
        _canonical_shape("split", num)
    if any(d < 0 for d in shape):
        raise ValueError("jet.random.split: num must be nonnegative, got %r" % (num,))
    return _jit(_ops.split_impl, (1, 2))(key, shape, partitionable())


def _fold_in_value(key, data):
    return _ops.fold_in_impl(key, _ops.convert(data, U32))


def fold_in(key, data):
    """A new key from key and an integer (threefry2x32(key, (0, data)))."""
    _check_key("fold_in", key)
    if is_value(data):
        if data.shape != () or not np.issubdtype(np.dtype(data.dtype), np.integer):
            raise TypeError("jet.random.fold_in: data must be an integer scalar, got dtype %s "
                            "shape %s" % (data.dtype, tuple(data.shape)))
        return _jit(_fold_in_value, ())(key, data)
    d = _concrete_int(data, "jet.random.fold_in: data")
    return _jit(_fold_in_value, ())(key, np.array(d & 0xFFFFFFFF, dtype=U32))


def _bits_impl(key, bit_width, shape, part):
    return _ops.random_bits(key, bit_width, shape, part)


def bits(key, shape=(), dtype=None):
    """Random bits: uint32 or uint8 (jetd has no uint16/uint64)."""
    _check_key("bits", key)
    d = np.dtype(np.uint64 if _x64() else np.uint32) if dtype is None else np.dtype(dtype)
    if not np.issubdtype(d, np.unsignedinteger):
        raise ValueError("dtype argument to `bits` must be an unsigned int dtype, got %s" % d)
    if d not in (np.dtype(np.uint32), np.dtype(np.uint8)):
        raise TypeError("jet.random.bits: dtype %s is not supported by jetd (uint8 and uint32 "
                        "are)" % d)
    shape = _canonical_shape("bits", shape)
    return _jit(_bits_impl, (1, 2, 3))(key, d.itemsize * 8, shape, partitionable())


def _random_bits(key, bit_width, shape):
    """JAX's internal _random_bits for any width: 16-bit values come in
    uint32 and 64-bit patterns in int64 (view them as uint16/uint64)."""
    _check_key("_random_bits", key)
    shape = _canonical_shape("_random_bits", shape)
    return _jit(_bits_impl, (1, 2, 3))(key, int(bit_width), shape, partitionable())


def _threefry_counts_impl(key, count):
    k0, k1 = _ops.key_words(key)
    flat = _ops.reshape(count, (math.prod(count.shape),))
    return _ops.reshape(_ops.threefry_2x32_counts(k0, k1, flat), tuple(count.shape))


def threefry_2x32(keypair, count):
    """JAX's threefry_2x32(keypair, count): hashes the uint32 array count with
    the key (a pair of uint32 words or a uint32[2] key), legacy pairing."""
    if isinstance(keypair, (tuple, list)) and len(keypair) == 2:
        keypair = np.array([int(k) & 0xFFFFFFFF for k in keypair], dtype=U32)
    _check_key("threefry_2x32", keypair)
    if not is_value(count):
        count = np.asarray(count)
        if not np.issubdtype(count.dtype, np.integer):
            raise TypeError("threefry_2x32 requires uint32 arguments, got %s" % count.dtype)
        count = (count.astype(np.int64) & 0xFFFFFFFF).astype(U32)
    elif np.dtype(count.dtype) != U32:
        raise TypeError("threefry_2x32 requires uint32 arguments, got %s" % count.dtype)
    return _jit(_threefry_counts_impl, ())(keypair, count)


# ---- samplers ---------------------------------------------------------------

def uniform(key, shape=(), dtype=None, minval=0.0, maxval=1.0):
    """Uniform floats in [minval, maxval), bit-exact with jax.random.uniform."""
    _check_key("uniform", key)
    d = _float_dtype("uniform", dtype)
    shape = _canonical_shape("uniform", shape)
    _check_shape("uniform", shape, shape_of(minval), shape_of(maxval))
    return _jit(_samplers.uniform_impl, (3, 4, 5))(key, minval, maxval, shape, d.name,
                                                   partitionable())


def normal(key, shape=(), dtype=None):
    """Standard normal floats: sqrt(2) * erf_inv(uniform(-1 + ulp, 1))."""
    _check_key("normal", key)
    d = _float_dtype("normal", dtype)
    shape = _canonical_shape("normal", shape)
    return _jit(_samplers.normal_impl, (1, 2, 3))(key, shape, d.name, partitionable())


def exponential(key, shape=(), dtype=None):
    _check_key("exponential", key)
    d = _float_dtype("exponential", dtype)
    shape = _canonical_shape("exponential", shape)
    return _jit(_samplers.exponential_impl, (1, 2, 3))(key, shape, d.name, partitionable())


def gumbel(key, shape=(), dtype=None, mode=None):
    _check_key("gumbel", key)
    d = _float_dtype("gumbel", dtype)
    shape = _canonical_shape("gumbel", shape)
    mode = "low" if mode is None else mode
    if mode not in ("low", "high"):
        raise ValueError("Must provide valid mode for gumbel got: %s" % (mode,))
    return _jit(_samplers.gumbel_impl, (1, 2, 3, 4))(key, shape, d.name, mode, partitionable())


def randint(key, shape, minval, maxval, dtype=None):
    """Integers in [minval, maxval), with JAX's (slightly biased) algorithm."""
    _check_key("randint", key)
    d = _int_dtype("randint", dtype)
    shape = _canonical_shape("randint", shape)
    _check_shape("randint", shape, shape_of(minval), shape_of(maxval))
    for v in (minval, maxval):
        if not is_value(v):
            a = np.asarray(v)
            if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
                raise TypeError("randint requires numeric minval and maxval, got %r" % (v,))
    return _jit(_samplers.randint_impl, (3, 4, 5))(key, minval, maxval, shape, d.name,
                                                   partitionable())


def bernoulli(key, p=0.5, shape=None, mode="low"):
    """Booleans that are True with probability p."""
    _check_key("bernoulli", key)
    if mode not in ("high", "low"):
        raise ValueError("got mode=%r, expected 'high' or 'low'" % (mode,))
    if is_value(p):
        pdt = np.dtype(p.dtype)
    elif isinstance(p, float):
        pdt = np.dtype(np.float64 if _x64() else np.float32)
    else:
        pdt = np.asarray(p).dtype
        if np.issubdtype(pdt, np.floating) and pdt == np.float64 and not _x64():
            pdt = np.dtype(np.float32)
        if not isinstance(p, np.ndarray):
            p = np.asarray(p)
    if not np.issubdtype(pdt, np.floating):
        raise TypeError("bernoulli probability `p` must have a floating dtype, got %s." % pdt)
    if shape is None:
        shape = shape_of(p)
    else:
        shape = _canonical_shape("bernoulli", shape)
        _check_shape("bernoulli", shape, shape_of(p))
    if not is_value(p):
        p = np.asarray(p, dtype=pdt)
    return _jit(_samplers.bernoulli_impl, (2, 3, 4))(key, p, tuple(shape), mode,
                                                     partitionable())


def _perm_int_impl(key, n, part):
    return _samplers.permutation_impl(key, n, 0, part)


def _perm_array_impl(key, x, axis, part):
    return _samplers.permutation_impl(key, x, axis, part)


def _canonical_axis(axis, ndim):
    axis = operator.index(axis)
    if not -ndim <= axis < ndim:
        raise ValueError("axis %d is out of bounds for array of dimension %d" % (axis, ndim))
    return axis % ndim


def permutation(key, x, axis=0, independent=False):
    """A random permutation of arange(x) (x an int) or of x along axis."""
    _check_key("permutation", key)
    ndim = len(shape_of(x)) if (is_value(x) or isinstance(x, np.ndarray)) else np.ndim(x)
    if ndim == 0:
        dt = dtype_of(x) if is_value(x) else np.asarray(x).dtype
        if not np.issubdtype(dt, np.integer):
            raise TypeError("x must be an integer or at least 1-dimensional")
        n = _concrete_int(x, "argument x of jet.random.permutation()")
        return _jit(_perm_int_impl, (1, 2))(key, n, partitionable())
    axis = _canonical_axis(axis, ndim)
    if independent and ndim > 1:
        raise NotImplementedError(
            "jet.random.permutation(independent=True) for arrays of rank > 1: jetd has no "
            "batched sort; permute each row with its own key instead")
    if not is_value(x):
        x = np.asarray(x)
    return _jit(_perm_array_impl, (2, 3))(key, x, axis, partitionable())


def _choice_impl(key, arr, p, shape, replace, axis, n_inputs, part):
    return _samplers.choice_impl(key, arr, p, shape, replace, axis, n_inputs, part)


def _choice_noarr_impl(key, p, shape, replace, n_inputs, part):
    return _samplers.choice_impl(key, None, p, shape, replace, 0, n_inputs, part)


def _choice_nop_impl(key, arr, shape, replace, axis, n_inputs, part):
    return _samplers.choice_impl(key, arr, None, shape, replace, axis, n_inputs, part)


def _choice_bare_impl(key, shape, replace, n_inputs, part):
    return _samplers.choice_impl(key, None, None, shape, replace, 0, n_inputs, part)


def choice(key, a, shape=(), replace=True, p=None, axis=0, mode=None):
    """Random samples from a (an int n means arange(n)), as jax.random.choice."""
    _check_key("choice", key)
    if not isinstance(shape, Sequence):
        raise TypeError("shape argument of jax.random.choice must be a sequence, got %r"
                        % (shape,))
    shape = _canonical_shape("choice", shape)
    if mode not in (None, "low"):
        raise ValueError("jet.random.choice: only mode='low' gumbel sampling exists, got %r"
                         % (mode,))
    arr = a if is_value(a) else np.asarray(a)
    if arr.ndim == 0:
        n_inputs = _concrete_int(a, "The error occurred in jet.random.choice(): a")
        arr = None
        out_dtype = np.dtype(np.int32)
    else:
        axis = _canonical_axis(axis, arr.ndim)
        n_inputs = int(arr.shape[axis])
        out_dtype = dtype_of(arr)
        if out_dtype == np.float64 and not is_value(arr) and not _x64():
            out_dtype = np.dtype(np.float32)
            arr = arr.astype(np.float32)
    n_draws = math.prod(shape)
    if n_draws == 0:
        from .. import _core
        return _core.asarray_value(np.zeros(shape, dtype=out_dtype), dtype=out_dtype, weak=False)
    if n_inputs <= 0:
        raise ValueError("a must be greater than 0 unless no samples are taken")
    if not replace and n_draws > n_inputs:
        raise ValueError(
            "Cannot take a larger sample (size %d) than population (size %d) when "
            "'replace=False'" % (n_draws, n_inputs))
    replace = bool(replace)
    part = partitionable()
    if p is not None:
        if is_value(p):
            pdt = np.dtype(p.dtype)
            if not np.issubdtype(pdt, np.floating):
                p = _jit(_to_float32, ())(p)
        else:
            p = np.asarray(p)
            if not np.issubdtype(p.dtype, np.floating) or (p.dtype == np.float64 and not _x64()):
                p = p.astype(np.float32)
        if tuple(shape_of(p)) != (n_inputs,):
            raise ValueError(
                "p must be None or a 1D vector with the same size as a.shape[axis]. "
                "p has shape %s and a.shape[axis] is %d." % (tuple(shape_of(p)), n_inputs))
        if arr is None:
            return _jit(_choice_noarr_impl, (2, 3, 4, 5))(key, p, shape, replace, n_inputs, part)
        return _jit(_choice_impl, (3, 4, 5, 6, 7))(key, arr, p, shape, replace, axis,
                                                   n_inputs, part)
    if arr is None:
        return _jit(_choice_bare_impl, (1, 2, 3, 4))(key, shape, replace, n_inputs, part)
    return _jit(_choice_nop_impl, (2, 3, 4, 5, 6))(key, arr, shape, replace, axis, n_inputs,
                                                   part)


def _to_float32(p):
    return _ops.convert(p, np.float32)


__all__ = [
    "PRNGKey", "key", "key_data", "wrap_key_data", "split", "fold_in", "bits",
    "threefry_2x32", "uniform", "normal", "exponential", "gumbel", "randint",
    "bernoulli", "permutation", "choice", "partitionable",
]
