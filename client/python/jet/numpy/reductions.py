"""Reductions with axis and keepdims: sum, prod, max, min, mean, var, std,
argmax, argmin, any, all, cumsum, cumprod, cummax, cummin, ptp,
count_nonzero, average, and the nan-ignoring variants."""
import builtins

import numpy as np

from jet.numpy import _util as U
from jet.numpy._util import bind

__all__ = [
    "sum", "prod", "max", "min", "amax", "amin", "mean", "var", "std", "argmax", "argmin",
    "any", "all", "cumsum", "cumprod", "cummax", "cummin", "cumulative_sum", "ptp",
    "count_nonzero", "average", "nansum", "nanmax", "nanmin", "nanmean",
]


def _keep(out, axes, ndim):
    """Re-inserts reduced axes as size-1 dims."""
    if not axes:
        return out
    shape = []
    k = 0
    oshape = tuple(out.shape)
    for d in range(ndim):
        if d in axes:
            shape.append(1)
        else:
            shape.append(oshape[k])
            k += 1
    return bind("reshape", out, new_sizes=tuple(shape))


def _sum_dtype(dt):
    """JAX's accumulation dtype of sum/prod/cumsum: bools and small ints go
    to the default int (unsigned: default uint)."""
    dt = np.dtype(dt)
    if U.is_bool(dt):
        return U.default_int()
    if U.is_unsigned(dt) and dt.itemsize < np.dtype(U.default_uint()).itemsize:
        return U.default_uint()
    if U.is_int(dt) and dt.itemsize < np.dtype(U.default_int()).itemsize:
        return U.default_int()
    return dt


def _apply_where(x, where, identity):
    if where is None:
        return x
    from jet.numpy import elementwise as E
    w = U.broadcast_to(E._to_bool(where), tuple(x.shape))
    fill = bind("broadcast_in_dim", U.weak_scalar(identity, x.dtype), shape=tuple(x.shape),
                broadcast_dimensions=())
    return bind("select", w, x, fill)


def _reduce(op, a, axis, keepdims, dtype=None, initial=None, where=None, identity=None,
            acc_dtype=None, name=None):
    x = U.asval(a)
    if dtype is not None:
        x = U.convert(x, dtype)
    elif acc_dtype is not None:
        x = U.convert(x, acc_dtype(x.dtype))
    ndim = len(x.shape)
    axes = U.norm_axes(axis, ndim)
    if where is not None:
        if identity is None:
            if initial is None:
                raise ValueError("reduction operation '%s' does not have an identity, so to use "
                                 "a where mask one has to specify 'initial'" % name)
            identity = initial
        x = _apply_where(x, where, identity)
    if op in ("reduce_max", "reduce_min") and initial is None:
        for ax in axes:
            if x.shape[ax] == 0:
                raise ValueError("zero-size array to reduction operation %s which has no "
                                 "identity" % name)
    out = bind(op, x, axes=axes) if axes else x
    if initial is not None:
        init = U.weak_scalar(initial, out.dtype)
        comb = {"reduce_sum": "add", "reduce_prod": "mul", "reduce_max": "max",
                "reduce_min": "min"}[op]
        out = bind(comb, out, init)
    if keepdims:
        out = _keep(out, axes, ndim)
    return out


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return _reduce("reduce_sum", a, axis, keepdims, dtype, initial, where, 0, _sum_dtype, "sum")


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return _reduce("reduce_prod", a, axis, keepdims, dtype, initial, where, 1, _sum_dtype,
                   "prod")


def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _reduce("reduce_max", a, axis, keepdims, None, initial, where, None, None, "maximum")


def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _reduce("reduce_min", a, axis, keepdims, None, initial, where, None, None, "minimum")


amax, amin = max, min


def _count(x, axes):
    return U.prod(x.shape[a] for a in axes)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    x = U.asval(a)
    dt = U.canonical_dtype(dtype) if dtype is not None else x.dtype
    if not U.is_float(dt):
        dt = U.default_float()
    x = U.convert(x, dt)
    axes = U.norm_axes(axis, len(x.shape))
    s = sum(x, axis=axes, keepdims=keepdims, where=where)
    if where is None:
        n = _count(x, axes)
        return bind("div", s, U.weak_scalar(n, dt))
    from jet.numpy import elementwise as E
    w = U.broadcast_to(E._to_bool(where), tuple(x.shape))
    n = sum(U.convert(w, dt), axis=axes, keepdims=keepdims)
    return bind("div", s, n)


def var(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, correction=None):
    if correction is not None:
        ddof = correction
    x = U.asval(a)
    dt = U.canonical_dtype(dtype) if dtype is not None else x.dtype
    if not U.is_float(dt):
        dt = U.default_float()
    x = U.convert(x, dt)
    axes = U.norm_axes(axis, len(x.shape))
    mu = mean(x, axis=axes, keepdims=True, where=where)
    c = bind("sub", x, U.broadcast_to(mu, tuple(x.shape)))
    sq = bind("mul", c, c)
    s = sum(sq, axis=axes, keepdims=keepdims, where=where)
    if where is None:
        n = _count(x, axes) - ddof
        return bind("div", s, U.weak_scalar(builtins.max(n, 0), dt))
    from jet.numpy import elementwise as E
    w = U.broadcast_to(E._to_bool(where), tuple(x.shape))
    n = sum(U.convert(w, dt), axis=axes, keepdims=keepdims)
    return bind("div", s, bind("sub", n, U.weak_scalar(ddof, dt)))


def std(a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, where=None, correction=None):
    return bind("sqrt", var(a, axis=axis, dtype=dtype, ddof=ddof, keepdims=keepdims,
                            where=where, correction=correction))


def _argreduce(op, a, axis, keepdims, name):
    x = U.asval(a)
    if U.is_bool(x.dtype):
        x = U.convert(x, np.int32)
    if axis is None:
        ndim = len(x.shape)
        flat = bind("reshape", x, new_sizes=(U.prod(x.shape),))
        if flat.shape[0] == 0:
            raise ValueError("attempt to get %s of an empty sequence" % name)
        out = bind(op, flat, axes=(0,), index_dtype=U.default_int())
        if keepdims:
            out = bind("reshape", out, new_sizes=(1,) * ndim)
        return out
    ax = U.norm_axis(axis, len(x.shape))
    if x.shape[ax] == 0:
        raise ValueError("attempt to get %s of an empty sequence" % name)
    out = bind(op, x, axes=(ax,), index_dtype=U.default_int())
    if keepdims:
        out = _keep(out, (ax,), len(x.shape))
    return out


def argmax(a, axis=None, out=None, keepdims=False):
    return _argreduce("argmax", a, axis, keepdims, "argmax")


def argmin(a, axis=None, out=None, keepdims=False):
    return _argreduce("argmin", a, axis, keepdims, "argmin")


def any(a, axis=None, out=None, keepdims=False, where=None):
    from jet.numpy import elementwise as E
    x = E._to_bool(a)
    axes = U.norm_axes(axis, len(x.shape))
    if where is not None:
        x = _apply_where(x, where, False)
    if builtins.any(x.shape[ax] == 0 for ax in axes):
        out = _empty_reduce(x, axes, False)
    else:
        out = bind("reduce_max", x, axes=axes) if axes else x
    return _keep(out, axes, len(x.shape)) if keepdims else out


def all(a, axis=None, out=None, keepdims=False, where=None):
    from jet.numpy import elementwise as E
    x = E._to_bool(a)
    axes = U.norm_axes(axis, len(x.shape))
    if where is not None:
        x = _apply_where(x, where, True)
    if builtins.any(x.shape[ax] == 0 for ax in axes):
        out = _empty_reduce(x, axes, True)
    else:
        out = bind("reduce_min", x, axes=axes) if axes else x
    return _keep(out, axes, len(x.shape)) if keepdims else out


def _empty_reduce(x, axes, value):
    shape = tuple(d for i, d in enumerate(x.shape) if i not in axes)
    return bind("broadcast_in_dim", U.scalar(value, np.bool_), shape=shape,
                broadcast_dimensions=())


def count_nonzero(a, axis=None, keepdims=False):
    from jet.numpy import elementwise as E
    return sum(U.convert(E._to_bool(a), U.default_int()), axis=axis, keepdims=keepdims)


def ptp(a, axis=None, out=None, keepdims=False):
    from jet.numpy import elementwise as E
    return E.subtract(max(a, axis=axis, keepdims=keepdims), min(a, axis=axis, keepdims=keepdims))


def average(a, axis=None, weights=None, returned=False, keepdims=False):
    from jet.numpy import elementwise as E
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        x = U.asval(a)
        n = _count(x, U.norm_axes(axis, len(x.shape)))
        scl = bind("broadcast_in_dim", U.scalar(n, avg.dtype), shape=tuple(avg.shape),
                   broadcast_dimensions=())
    else:
        x, w = U.promote_inexact(a, weights)
        if tuple(w.shape) != tuple(x.shape):
            if axis is None or len(w.shape) != 1:
                raise ValueError("average: weights of shape %s need the shape of a %s, or be "
                                 "1-D along the given axis" % (tuple(w.shape), tuple(x.shape)))
            ax = U.norm_axis(axis, len(x.shape))
            if w.shape[0] != x.shape[ax]:
                raise ValueError("average: length of weights %d differs from axis %d of size %d"
                                 % (w.shape[0], ax, x.shape[ax]))
            w = bind("broadcast_in_dim", w, shape=tuple(x.shape), broadcast_dimensions=(ax,))
        scl = sum(w, axis=axis, keepdims=keepdims)
        avg = E.true_divide(sum(E.multiply(x, w), axis=axis, keepdims=keepdims), scl)
    return (avg, scl) if returned else avg


def _cum_prepare(a, axis, dtype, acc):
    x = U.asval(a)
    if dtype is not None:
        x = U.convert(x, dtype)
    elif acc:
        x = U.convert(x, _sum_dtype(x.dtype))
    if axis is None:
        x = bind("reshape", x, new_sizes=(U.prod(x.shape),))
        axis = 0
    ax = U.norm_axis(axis, len(x.shape))
    return x, ax


def cumsum(a, axis=None, dtype=None, out=None):
    x, ax = _cum_prepare(a, axis, dtype, True)
    if U.is_bool(x.dtype):
        x = U.convert(x, U.default_int())
    return bind("cumsum", x, axis=ax)


cumulative_sum = cumsum


def _scan(x, ax, op, identity):
    """Inclusive scan along ax by log-step doubling (Hillis-Steele), built
    from pad and slice: exact for max/min and ordered like a tree for mul."""
    n = x.shape[ax]
    nd = len(x.shape)
    shift = 1
    ident = U.weak_scalar(identity, x.dtype)
    while shift < n:
        cfg = []
        for d in range(nd):
            cfg += [shift, -shift, 0] if d == ax else [0, 0, 0]
        shifted = bind("pad", x, ident, padding_config=tuple(cfg))
        x = bind(op, x, shifted)
        shift *= 2
    return x


def cumprod(a, axis=None, dtype=None, out=None):
    x, ax = _cum_prepare(a, axis, dtype, True)
    return _scan(x, ax, "mul", 1)


def cummax(a, axis=None, dtype=None, out=None):
    x, ax = _cum_prepare(a, axis, dtype, False)
    dt = np.dtype(x.dtype)
    ident = -np.inf if U.is_float(dt) else (False if U.is_bool(dt) else np.iinfo(dt).min)
    return _scan(x, ax, "max", ident)


def cummin(a, axis=None, dtype=None, out=None):
    x, ax = _cum_prepare(a, axis, dtype, False)
    dt = np.dtype(x.dtype)
    ident = np.inf if U.is_float(dt) else (True if U.is_bool(dt) else np.iinfo(dt).max)
    return _scan(x, ax, "min", ident)


def _nan_fill(a, value):
    from jet.numpy import elementwise as E
    x = U.asval(a)
    if not U.is_float(x.dtype):
        return x
    return E.where(E.isnan(x), U.weak_scalar(value, x.dtype), x)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False):
    return sum(_nan_fill(a, 0), axis=axis, dtype=dtype, keepdims=keepdims)


def nanmax(a, axis=None, out=None, keepdims=False):
    return max(_nan_fill(a, -np.inf), axis=axis, keepdims=keepdims)


def nanmin(a, axis=None, out=None, keepdims=False):
    return min(_nan_fill(a, np.inf), axis=axis, keepdims=keepdims)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False):
    from jet.numpy import elementwise as E
    x = U.asval(a)
    if not U.is_float(x.dtype):
        return mean(x, axis=axis, dtype=dtype, keepdims=keepdims)
    ok = E.logical_not(E.isnan(x))
    return E.true_divide(nansum(x, axis=axis, keepdims=keepdims),
                         sum(U.convert(ok, x.dtype), axis=axis, keepdims=keepdims))
