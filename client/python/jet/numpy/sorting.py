"""sort, argsort, median, quantile, percentile.

jetd's op table has no sort primitive, so sorting is a stable LSD radix
argsort built from ops: the values are mapped to uint32 keys whose unsigned
order is numpy's order (floats: sign-magnitude flip, NaN last, -0.0 == 0.0),
and each bit pass is a stable partition computed with cumsum and applied by
scatter-add into zeros (positions are distinct, so the adds are exact).
Rows of an n-D sort are separated by a second radix pass over the row ids.
Supports dtypes of at most 32 bits.
"""
import numpy as np

from jet.numpy import _util as U
from jet.numpy._util import bind

__all__ = ["sort", "argsort", "median", "quantile", "percentile"]

_U32 = np.dtype(np.uint32)
_I32 = np.dtype(np.int32)


def _u32(v):
    return U.scalar(v, _U32)


def _i32(v):
    return U.scalar(v, _I32)


def _scatter_to(x, pos, n):
    zeros = bind("broadcast_in_dim", U.scalar(0, x.dtype), shape=(n,), broadcast_dimensions=())
    return bind("scatter-add", zeros, bind("reshape", pos, new_sizes=(n, 1)), x,
                update_window_dims=(), inserted_window_dims=(0,),
                scatter_dims_to_operand_dims=(0,), mode=1)


def _radix_argsort(keys, nbits):
    """Stable argsort (int32) of rank-1 uint32 keys using their low nbits."""
    n = keys.shape[0]
    perm = bind("iota", dtype=_I32, shape=(n,), dimension=0)
    if n <= 1:
        return perm
    index = perm
    for b in range(nbits):
        bit = bind("and", bind("shift_right_logical", keys, _u32(b)), _u32(1))
        is_one = bind("convert_element_type", bit, new_dtype=_I32)
        zeros_incl = bind("cumsum", bind("sub", _i32(1), is_one), axis=0)
        n_zeros = bind("reshape", bind("slice", zeros_incl, start_indices=(n - 1,),
                                       limit_indices=(n,), strides=(1,)), new_sizes=())
        pos_zero = bind("sub", zeros_incl, _i32(1))
        pos_one = bind("add", bind("sub", index, zeros_incl), n_zeros)
        pos = bind("select", bind("eq", is_one, _i32(0)), pos_zero, pos_one)
        keys = _scatter_to(keys, pos, n)
        perm = _scatter_to(perm, pos, n)
    return perm


def _keys(x):
    """(uint32 keys, number of significant bits) ordering like numpy."""
    dt = np.dtype(x.dtype)
    if dt.itemsize > 4:
        raise TypeError("jet.numpy.sort supports dtypes of at most 32 bits, got %s" % dt)
    if U.is_bool(dt) or dt == np.uint8:
        return bind("convert_element_type", x, new_dtype=_U32), 1 if U.is_bool(dt) else 8
    if dt == np.uint32:
        return x, 32
    if dt == np.int32:
        b = bind("bitcast_convert_type", x, new_dtype=_U32)
        return bind("xor", b, _u32(0x80000000)), 32
    # float32: -0.0 -> 0.0, every NaN -> the canonical positive NaN (last)
    shape = tuple(x.shape)
    zero = U.scalar(0.0, dt)
    x = bind("select", bind("eq", x, zero),
             bind("broadcast_in_dim", zero, shape=shape, broadcast_dimensions=()), x)
    x = bind("select", bind("ne", x, x),
             bind("broadcast_in_dim", U.scalar(np.nan, dt), shape=shape, broadcast_dimensions=()),
             x)
    b = bind("bitcast_convert_type", x, new_dtype=_U32)
    neg = bind("ne", bind("shift_right_logical", b, _u32(31)), _u32(0))
    return bind("select", neg, bind("not", b), bind("or", b, _u32(0x80000000))), 32


_jitted = []


def _argsort_last(x, descending):
    """argsort along the last axis of x: one compiled graph (eagerly a single
    round trip instead of hundreds; under a trace a call node)."""
    if not _jitted:
        import jet
        _jitted.append(jet.jit(_argsort_last_impl, static_argnums=(1,)))
    return _jitted[0](x, bool(descending))


def _argsort_last_impl(x, descending):
    """argsort along the last axis of x (rank >= 1): int32, same shape."""
    shape = tuple(x.shape)
    n = shape[-1]
    rows = U.prod(shape[:-1])
    total = rows * n
    if total == 0:
        return bind("broadcast_in_dim", _i32(0), shape=shape, broadcast_dimensions=())
    flat = bind("reshape", x, new_sizes=(total,))
    keys, nbits = _keys(flat)
    if descending:
        keys = bind("not", keys)
        nbits = 32
    perm = _radix_argsort(keys, nbits)
    if rows > 1:
        nn = _i32(n)
        row_of = bind("div", perm, nn)
        rkeys = bind("convert_element_type", row_of, new_dtype=_U32)
        perm2 = _radix_argsort(rkeys, max(1, (rows - 1).bit_length()))
        from jet.numpy import indexing as I
        perm = I._gather_flat(perm, perm2)
        perm = bind("rem", perm, nn)
    return bind("reshape", perm, new_sizes=shape)


def argsort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    if order is not None:
        raise ValueError("jet.numpy.argsort: 'order' (structured arrays) is not supported")
    x = U.asval(a)
    if axis is None:
        x = bind("reshape", x, new_sizes=(U.prod(x.shape),))
        axis = 0
    if len(x.shape) == 0:
        raise ValueError("argsort of a 0-d array needs axis=None")
    S = U.module("shape")
    ax = U.norm_axis(axis, len(x.shape))
    xm = S.moveaxis(x, ax, -1)
    out = _argsort_last(xm, descending)
    return S.moveaxis(out, -1, ax)


def sort(a, axis=-1, kind=None, order=None, *, stable=True, descending=False):
    x = U.asval(a)
    if axis is None:
        x = bind("reshape", x, new_sizes=(U.prod(x.shape),))
        axis = 0
    if len(x.shape) == 0:
        return x
    from jet.numpy import indexing as I
    idx = argsort(x, axis=axis, descending=descending)
    return I.take_along_axis(x, idx, axis=axis, mode="clip")


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False):
    if method not in ("linear", "lower", "higher", "nearest", "midpoint"):
        raise ValueError("jet.numpy.quantile: unsupported method %r" % (method,))
    x = U.asval(a)
    (x,) = U.promote_inexact(x)
    nd = len(x.shape)
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = U.norm_axes(axis, nd)
    S = U.module("shape")
    E = U.module("elementwise")
    # move the reduced axes to the end and merge them
    rest = [d for d in range(nd) if d not in axes]
    xt = S.transpose(x, rest + list(axes)) if nd else x
    lead = tuple(x.shape[d] for d in rest)
    n = U.prod(x.shape[d] for d in axes)
    xt = bind("reshape", xt, new_sizes=lead + (n,))
    srt = sort(xt, axis=-1)
    qs = np.asarray(q, dtype=np.float64)
    pos = qs * (n - 1)
    lo = np.floor(pos).astype(np.int64)
    hi = np.ceil(pos).astype(np.int64)
    frac = (pos - lo).astype(np.dtype(x.dtype))
    if method == "lower":
        hi = lo
    elif method == "higher":
        lo = hi
    elif method == "nearest":
        lo = hi = np.round(pos).astype(np.int64)
    elif method == "midpoint":
        frac = np.where(hi > lo, 0.5, 0.0).astype(np.dtype(x.dtype))
    from jet.numpy import indexing as I
    vlo = I.take(srt, lo.reshape(-1).astype(np.int32), axis=-1, mode="clip")
    vhi = I.take(srt, hi.reshape(-1).astype(np.int32), axis=-1, mode="clip")
    fr = U.asval(frac.reshape(-1))
    res = E.add(vlo, E.multiply(E.subtract(vhi, vlo), fr))
    # res: lead + (len(q),) -> q dims first, as numpy
    res = S.moveaxis(res, -1, 0)
    res = bind("reshape", res, new_sizes=qs.shape + lead)
    if keepdims:
        shp = list(qs.shape)
        k = 0
        for d in range(nd):
            if d in axes:
                shp.append(1)
            else:
                shp.append(lead[k])
                k += 1
        res = bind("reshape", res, new_sizes=tuple(shp))
    return res


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False):
    return quantile(a, np.asarray(q, dtype=np.float64) / 100.0, axis=axis, method=method,
                    keepdims=keepdims)


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    return quantile(a, 0.5, axis=axis, keepdims=keepdims)

