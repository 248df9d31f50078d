"""Array creation: array, asarray, zeros, ones, full, *_like, empty, arange,
linspace, eye, identity, tri, meshgrid."""
import math

import numpy as np

from jet.numpy import _util as U
from jet.numpy._util import bind

__all__ = [
    "array", "asarray", "zeros", "ones", "full", "empty", "zeros_like", "ones_like",
    "full_like", "empty_like", "arange", "linspace", "logspace", "eye", "identity", "tri",
    "meshgrid", "iota",
]


def _shape_tuple(shape):
    if isinstance(shape, (tuple, list)):
        return tuple(U.index_int(d, "shape entry") for d in shape)
    return (U.index_int(shape, "shape"),)


def _check_shape(shape, fn):
    for d in shape:
        if d < 0:
            raise ValueError("%s: negative dimensions are not allowed, got shape %s" % (fn, shape))


def array(object, dtype=None, copy=True, ndmin=0):
    """jnp.array: jet values pass through (converted to dtype); nested
    lists holding jet values are stacked."""
    if U.is_value(object):
        out = object if dtype is None else U.convert(object, dtype)
    elif isinstance(object, (list, tuple)) and _holds_values(object):
        S = U.module("shape")
        elems = [array(e) for e in object]
        dt = U.result_type(*elems) if dtype is None else U.canonical_dtype(dtype)
        elems = [U.convert(e, dt) for e in elems]
        out = S.stack(elems)
    else:
        if dtype is not None:
            dtype = U.canonical_dtype(dtype)
            a = np.asarray(object, dtype=dtype)
            out = U._core.asarray_value(a, dtype=dtype, weak=False)
        elif U.is_python_scalar(object):
            # jnp.array(2.0) is strongly typed (unlike a bare Python scalar).
            dt = U.dtype_of(object)
            out = U._core.asarray_value(np.array(object, dtype=dt), dtype=dt, weak=False)
        else:
            out = U._core.asarray_value(object)
    if ndmin and len(out.shape) < ndmin:
        out = bind("reshape", out, new_sizes=(1,) * (ndmin - len(out.shape)) + tuple(out.shape))
    return out


def _holds_values(seq):
    for e in seq:
        if U.is_value(e):
            return True
        if isinstance(e, (list, tuple)) and _holds_values(e):
            return True
    return False


def asarray(a, dtype=None, order=None, copy=None):
    if U.is_value(a):
        return a if dtype is None else U.convert(a, dtype)
    if U.is_python_scalar(a) and dtype is None:
        dt = U.dtype_of(a)
        return U._core.asarray_value(np.array(a, dtype=dt), dtype=dt, weak=False)
    return array(a, dtype=dtype)


def full(shape, fill_value, dtype=None):
    shape = _shape_tuple(shape)
    _check_shape(shape, "full")
    if U.is_value(fill_value):
        dt = np.dtype(fill_value.dtype) if dtype is None else U.canonical_dtype(dtype)
        v = U.convert(fill_value, dt)
        return U.broadcast_to(v, shape)
    if dtype is None:
        dt = U.dtype_of(fill_value)
    else:
        dt = U.canonical_dtype(dtype)
    fv = np.asarray(fill_value)
    if fv.ndim > 0:
        return U.broadcast_to(U.asval(fv.astype(dt), dt), shape)
    v = U.scalar(fv, dt)
    return bind("broadcast_in_dim", v, shape=shape, broadcast_dimensions=())


def zeros(shape, dtype=None):
    return full(shape, 0, U.default_float() if dtype is None else dtype)


def ones(shape, dtype=None):
    return full(shape, 1, U.default_float() if dtype is None else dtype)


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def _like_dtype_shape(a, dtype, shape):
    dt = U.dtype_of(a) if dtype is None else U.canonical_dtype(dtype)
    sh = U.shape_of(a) if shape is None else _shape_tuple(shape)
    return dt, sh


def full_like(a, fill_value, dtype=None, shape=None):
    dt, sh = _like_dtype_shape(a, dtype, shape)
    return full(sh, fill_value, dt)


def zeros_like(a, dtype=None, shape=None):
    dt, sh = _like_dtype_shape(a, dtype, shape)
    return full(sh, 0, dt)


def ones_like(a, dtype=None, shape=None):
    dt, sh = _like_dtype_shape(a, dtype, shape)
    return full(sh, 1, dt)


def empty_like(a, dtype=None, shape=None):
    return zeros_like(a, dtype, shape)


def iota(dtype, size, dimension=0, shape=None):
    shape = (size,) if shape is None else tuple(shape)
    return bind("iota", dtype=U.canonical_dtype(dtype), shape=shape, dimension=dimension)


def _concrete_number(x, what):
    if U.is_value(x):
        if not U.is_concrete(x):
            from jet import errors
            raise errors.ConcretizationTypeError(
                "arange: %s must be a concrete value (a Python number), but a traced value was "
                "given; the output shape depends on it. Pass it as a static argument." % what)
        x = np.asarray(x).item()
    return x


def arange(start, stop=None, step=None, dtype=None):
    start = _concrete_number(start, "start")
    stop = None if stop is None else _concrete_number(stop, "stop")
    step = None if step is None else _concrete_number(step, "step")
    if dtype is None:
        args = [a for a in (start, stop, step) if a is not None]
        dt = U.result_type(*args)
    else:
        dt = U.canonical_dtype(dtype)
    if step == 0:
        raise ValueError("arange: step must not be zero")
    if stop is None and step is None:
        n = int(math.ceil(start)) if not isinstance(start, (int, np.integer)) else int(start)
        return iota(dt, max(n, 0))
    if step is None and start == 0:
        n = int(math.ceil(stop))
        return iota(dt, max(n, 0))
    a = np.arange(start, stop, step)
    return U._core.asarray_value(a.astype(dt), dtype=dt, weak=False)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    num = U.index_int(num, "num")
    if num < 0:
        raise ValueError("linspace: number of samples, %d, must be non-negative." % num)
    dt = U.result_type(start, stop, float(0)) if dtype is None else U.canonical_dtype(dtype)
    comp = dt if U.is_float(dt) else U.default_float()
    if not U.is_value(start) and not U.is_value(stop) and np.ndim(start) == 0 \
            and np.ndim(stop) == 0:
        a, st = np.linspace(float(start), float(stop), num, endpoint=endpoint, retstep=True)
        if not U.is_float(dt):
            a = np.floor(a)
        out = U._core.asarray_value(a.astype(dt), dtype=dt, weak=False)
        return (out, st) if retstep else out
    from jet.numpy import elementwise as E
    S = U.module("shape")
    s = U.convert(U.asval(start), comp)
    e = U.convert(U.asval(stop), comp)
    bshape = U.broadcast_shapes(s.shape, e.shape)
    s = U.broadcast_to(s, bshape)
    e = U.broadcast_to(e, bshape)
    div = (num - 1) if endpoint else num
    step = E.true_divide(E.subtract(e, s), max(div, 1))
    out_shape = (num,) + bshape
    it = iota(comp, num, 0, out_shape)
    sb = U.broadcast_to(s, out_shape)
    stb = U.broadcast_to(step, out_shape)
    out = E.add(sb, E.multiply(it, stb))
    if endpoint and num > 1:
        from jet.numpy import indexing as I
        last = U.broadcast_to(S.expand_dims(e, 0), (1,) + bshape)
        out = S.concatenate([I.getitem(out, slice(0, num - 1)), last], axis=0)
    if axis != 0:
        out = S.moveaxis(out, 0, axis)
    if not U.is_float(dt):
        out = E.floor(out)
    out = U.convert(out, dt)
    return (out, step) if retstep else out


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    from jet.numpy import elementwise as E
    lin = linspace(start, stop, num, endpoint=endpoint, axis=axis)
    out = E.power(U.convert(U.asval(base), lin.dtype), lin)
    return out if dtype is None else U.convert(out, dtype)


def eye(N, M=None, k=0, dtype=None):
    N = U.index_int(N, "N")
    M = N if M is None else U.index_int(M, "M")
    k = U.index_int(k, "k")
    dt = U.default_float() if dtype is None else U.canonical_dtype(dtype)
    i = iota(np.int32, N, 0, (N, M))
    j = iota(np.int32, M, 1, (N, M))
    if k != 0:
        i = bind("add", i, U.scalar(k, np.int32))
    mask = bind("eq", i, j)
    return U.convert(mask, dt)


def identity(n, dtype=None):
    return eye(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=None):
    M = N if M is None else M
    dt = U.default_float() if dtype is None else U.canonical_dtype(dtype)
    i = iota(np.int32, N, 0, (N, M))
    j = iota(np.int32, M, 1, (N, M))
    mask = bind("le", j, bind("add", i, U.scalar(k, np.int32)))
    return U.convert(mask, dt)


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    S = U.module("shape")
    if indexing not in ("xy", "ij"):
        raise ValueError("meshgrid: indexing must be 'xy' or 'ij', got %r" % (indexing,))
    xs = [S.ravel(U.asval(x)) for x in xi]
    n = len(xs)
    shape = [x.shape[0] for x in xs]
    if indexing == "xy" and n > 1:
        shape[0], shape[1] = shape[1], shape[0]
    out = []
    for i, x in enumerate(xs):
        d = i
        if indexing == "xy" and n > 1 and i < 2:
            d = 1 - i
        if sparse:
            s = [1] * n
            s[d] = x.shape[0]
            out.append(bind("reshape", x, new_sizes=tuple(s)))
        else:
            out.append(bind("broadcast_in_dim", x, shape=tuple(shape), broadcast_dimensions=(d,)))
    return out
