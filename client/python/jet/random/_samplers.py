"""Graph-level samplers of jet.random, following jax/_src/random/core.py.

Each `*_impl` builds its result from jet values with bind only; the public
wrappers in `jet.random._api` check arguments and jit them (shape, dtype and
the stream mode are static), so a call is one round trip to jetd.
"""
import math

import numpy as np

from . import _ops
from ._ops import I32, U32, bind, broadcast_to, const, convert, dtype_of, full, reshape, shape_of, u32
from ._sort import descending_keys_f, stable_argsort_u32, take


def _scalar_or_broadcast(x, shape):
    """Rank-0 operands stay rank 0 (binary ops broadcast them); others are
    broadcast to `shape`."""
    if shape_of(x) == ():
        return x if _ops.is_value(x) else _ops.as_value(x)
    return broadcast_to(x, shape)


def _row(keys, i):
    """keys[i] of a (m, 2) key array."""
    return reshape(bind("slice", keys, start_indices=(i, 0), limit_indices=(i + 1, 2),
                        strides=(1, 1)), (2,))


def split2(key, partitionable):
    keys = _ops.split_impl(key, (2,), partitionable)
    return _row(keys, 0), _row(keys, 1)


# ---- floats ---------------------------------------------------------------

def uniform_impl(key, minval, maxval, shape, dtype, partitionable):
    dtype = np.dtype(dtype)
    finfo = np.finfo(dtype)
    nbits, nmant = finfo.bits, finfo.nmant
    minval = _scalar_or_broadcast(convert(minval, dtype), shape)
    maxval = _scalar_or_broadcast(convert(maxval, dtype), shape)
    bits = _ops.random_bits(key, nbits, shape, partitionable)
    if nbits == 32:
        float_bits = bind("or", bind("shift_right_logical", bits, u32(nbits - nmant)),
                          u32(0x3F800000))
    else:  # float64: the 64 bits come as int64; logical shifts ignore the sign
        float_bits = bind("or", bind("shift_right_logical", bits, const(nbits - nmant, _ops.I64)),
                          const(np.array(1.0, dtype).view(np.int64), _ops.I64))
    floats = bind("sub", bind("bitcast_convert_type", float_bits, new_dtype=dtype),
                  const(1.0, dtype))
    scaled = bind("add", bind("mul", floats, bind("sub", maxval, minval)), minval)
    return bind("max", minval, scaled)


def normal_impl(key, shape, dtype, partitionable):
    dtype = np.dtype(dtype)
    lo = np.nextafter(np.array(-1.0, dtype), np.array(0.0, dtype), dtype=dtype)
    u = uniform_impl(key, lo, np.array(1.0, dtype), shape, dtype, partitionable)
    return bind("mul", const(np.sqrt(2), dtype), bind("erf_inv", u))


def exponential_impl(key, shape, dtype, partitionable):
    u = uniform_impl(key, np.array(0.0, dtype), np.array(1.0, dtype), shape, dtype, partitionable)
    return bind("neg", bind("log1p", bind("neg", u)))


def gumbel_impl(key, shape, dtype, mode, partitionable):
    dtype = np.dtype(dtype)
    finfo = np.finfo(dtype)
    if mode == "high":
        both = uniform_impl(key, np.array(0.0, dtype), np.array(1.0, dtype), (2,) + tuple(shape),
                            dtype, partitionable)
        high = _index0(both, 0, shape)
        low = _index0(both, 1, shape)
        alt = bind("add", bind("add", high, bind("mul", const(2.0 ** -finfo.nmant, dtype), low)),
                   const(finfo.tiny, dtype))
        x = bind("select", bind("ge", high, const(0.5, dtype)), high, alt)
        return bind("neg", bind("log", bind("neg", bind("log1p", bind("neg", x)))))
    u = uniform_impl(key, np.array(finfo.tiny, dtype), np.array(1.0, dtype), shape, dtype,
                     partitionable)
    return bind("neg", bind("log", bind("neg", bind("log", u))))


def _index0(x, i, rest_shape):
    """x[i] along the leading axis."""
    rest_shape = tuple(rest_shape)
    start = (i,) + (0,) * len(rest_shape)
    limit = (i + 1,) + rest_shape
    return reshape(bind("slice", x, start_indices=start, limit_indices=limit,
                        strides=(1,) * len(start)), rest_shape)


# ---- integers -------------------------------------------------------------

def _as_int(v):
    if not np.issubdtype(dtype_of(v), np.integer):
        return convert(v, I32)
    return v


def _clip(v, lo, hi):
    vd = dtype_of(v)
    if not _ops.is_value(v):
        return np.clip(np.asarray(v), lo, hi).astype(vd)
    return bind("clamp", const(lo, vd), v, const(hi, vd))


def _convert_and_clip(v, dtype):
    info, vinfo = np.iinfo(dtype), np.iinfo(dtype_of(v))
    lo, hi = max(info.min, vinfo.min), min(info.max, vinfo.max)
    if lo > vinfo.min or hi < vinfo.max:
        v = _clip(v, lo, hi)
    return convert(v, dtype)


def randint_impl(key, minval, maxval, shape, dtype, partitionable):
    """randint with JAX's algorithm; dtype is the requested integer dtype."""
    dtype = np.dtype(dtype)
    info = np.iinfo(dtype)
    minval, maxval = _as_int(minval), _as_int(maxval)
    sample_dtype = dtype
    if info.bits < 32:  # sampled in int32 and cast, as JAX does
        sample_dtype = I32
        minval = _clip(convert(minval, I32), int(info.min), int(info.max))
        maxval = _clip(convert(maxval, I32), int(info.min), int(info.max) + 1)
    sinfo = np.iinfo(sample_dtype)
    max_dt = dtype_of(maxval)
    out_of_range = bind("gt", _ops.as_value(maxval) if not _ops.is_value(maxval) else maxval,
                        const(min(sinfo.max, np.iinfo(max_dt).max), max_dt))
    minval = broadcast_to(_convert_and_clip(minval, sample_dtype), shape)
    maxval = broadcast_to(_convert_and_clip(maxval, sample_dtype), shape)
    out_of_range = broadcast_to(out_of_range, shape)

    k1, k2 = split2(key, partitionable)
    higher = _ops.random_bits(k1, 32, shape, partitionable)
    lower = _ops.random_bits(k2, 32, shape, partitionable)

    span = convert(bind("sub", maxval, minval), U32)
    span = bind("select", bind("le", maxval, minval), full(1, shape, U32), span)
    span = bind("select", bind("and", out_of_range, bind("gt", maxval, minval)),
                bind("add", span, u32(1)), span)
    multiplier = bind("rem", u32(2 ** 16), span)
    multiplier = bind("rem", bind("mul", multiplier, multiplier), span)
    offset = bind("add", bind("mul", bind("rem", higher, span), multiplier),
                  bind("rem", lower, span))
    offset = bind("rem", offset, span)
    out = bind("add", minval, convert(offset, sample_dtype))
    return convert(out, dtype)


def bernoulli_impl(key, p, shape, mode, partitionable):
    dtype = dtype_of(p)
    shape = tuple(shape)
    p = _scalar_or_broadcast(p, shape)
    if mode == "high":
        both = uniform_impl(key, np.array(0.0, dtype), np.array(1.0, dtype), (2,) + shape,
                            dtype, partitionable)
        u1, u2 = _index0(both, 0, shape), _index0(both, 1, shape)
        u2 = bind("mul", u2, const(2.0 ** -np.finfo(dtype).nmant, dtype))
        return bind("lt", u2, bind("sub", p, u1))
    u = uniform_impl(key, np.array(0.0, dtype), np.array(1.0, dtype), shape, dtype, partitionable)
    return bind("lt", u, p)


# ---- permutations ---------------------------------------------------------

def shuffle_order(key, n, partitionable):
    """The order (int32 indices) in which JAX's _shuffle rearranges n items."""
    num_rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(np.iinfo(np.uint32).max)))
    order = None
    for _ in range(num_rounds):
        key, subkey = split2(key, partitionable)
        sort_keys = _ops.random_bits(subkey, 32, (n,), partitionable)
        step = stable_argsort_u32(sort_keys)
        order = step if order is None else take(order, step, 0)
    if order is None:
        order = _ops.iota(I32, n)
    return order


def permutation_impl(key, x, axis, partitionable):
    """permutation of a value x (rank >= 1) along axis, or of arange(x) when
    x is a Python int."""
    if isinstance(x, int):
        return shuffle_order(key, x, partitionable)
    n = x.shape[axis]
    if n <= 1:  # no sorting rounds: JAX returns x as it is
        return x
    order = shuffle_order(key, n, partitionable)
    return take(x, order, axis)


def _slice_axis(x, axis, stop):
    start = (0,) * x.ndim
    limit = tuple(stop if i == axis else s for i, s in enumerate(x.shape))
    if limit == tuple(x.shape):
        return x
    return bind("slice", x, start_indices=start, limit_indices=limit, strides=(1,) * x.ndim)


def choice_impl(key, arr, p, shape, replace, axis, n_inputs, partitionable):
    """jax.random.choice; arr is None when `a` was an int (arange(a))."""
    shape = tuple(shape)
    n_draws = math.prod(shape)
    if p is None:
        if replace:
            ind = randint_impl(key, const(0, I32), const(n_inputs, I32), shape, I32,
                               partitionable)
            result = ind if arr is None else take(arr, ind, axis)
        else:
            src = n_inputs if arr is None else arr
            result = _slice_axis(permutation_impl(key, src, axis, partitionable),
                                 axis if arr is not None else 0, n_draws)
    else:
        pdt = dtype_of(p)
        if replace:
            p_cuml = bind("cumsum", p, axis=0)
            total = reshape(bind("slice", p_cuml, start_indices=(n_inputs - 1,),
                                 limit_indices=(n_inputs,), strides=(1,)), ())
            u = uniform_impl(key, np.array(0.0, pdt), np.array(1.0, pdt), shape, pdt,
                             partitionable)
            r = bind("mul", total, bind("sub", const(1.0, pdt), u))
            grid = shape + (n_inputs,)
            cum = bind("broadcast_in_dim", p_cuml, shape=grid, broadcast_dimensions=(len(shape),))
            rr = bind("broadcast_in_dim", r, shape=grid,
                      broadcast_dimensions=tuple(range(len(shape))))
            ind = bind("reduce_sum", convert(bind("lt", cum, rr), I32), axes=(len(shape),))
        else:
            g = bind("add", gumbel_impl(key, (n_inputs,), pdt, "low", partitionable),
                     bind("log", p))
            order = stable_argsort_u32(descending_keys_f(g))
            ind = _ops.slice1(order, 0, n_draws)
        result = ind if arr is None else take(arr, ind, axis)
    if arr is None:
        return reshape(result, shape)
    out_shape = tuple(arr.shape[:axis]) + shape + tuple(arr.shape[axis + 1:])
    return reshape(result, out_shape)
