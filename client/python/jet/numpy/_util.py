"""Shared helpers of jet.numpy: value conversion, dtype promotion (JAX's
lattice with weak types, through jet._dtypes), numpy-style broadcasting with
explicit broadcast_in_dim, and axis normalization.

Everything here is written against the core contract only: jet._core.bind,
jet._core.asarray_value, the values' .shape/.dtype/.weak_type, and
jet._dtypes.result_type / canonicalize.
"""
import operator

import numpy as np

from jet import _core, _dtypes
from jet._value import Value


def bind(op, *args, **attrs):
    return _core.bind(op, *args, **attrs)


def is_value(x):
    """True for jet values (jet.Array or tracers)."""
    return isinstance(x, Value)


def is_python_scalar(x):
    return type(x) in (bool, int, float, complex)


def canonical_dtype(dtype):
    return np.dtype(_dtypes.canonicalize(np.dtype(dtype)))


def default_float():
    return canonical_dtype(np.float64)


def default_int():
    return canonical_dtype(np.int64)


def default_uint():
    return canonical_dtype(np.uint64)


def dtype_of(x):
    """The dtype x would have as a jet value (weak scalars get defaults)."""
    if is_value(x):
        return np.dtype(x.dtype)
    if isinstance(x, bool):
        return np.dtype(np.bool_)
    if isinstance(x, int):
        return default_int()
    if isinstance(x, float):
        return default_float()
    if isinstance(x, (np.ndarray, np.generic)):
        return canonical_dtype(x.dtype)
    return canonical_dtype(np.asarray(x).dtype)


def is_weak(x):
    if is_value(x):
        return bool(x.weak_type)
    return is_python_scalar(x)


def is_float(dt):
    return np.issubdtype(np.dtype(dt), np.floating)


def is_int(dt):
    return np.issubdtype(np.dtype(dt), np.integer)


def is_unsigned(dt):
    return np.issubdtype(np.dtype(dt), np.unsignedinteger)


def is_bool(dt):
    return np.dtype(dt) == np.bool_


def asval(x, dtype=None):
    """Any array-like to a jet value (optionally converted to dtype)."""
    if is_value(x):
        if dtype is not None:
            return convert(x, dtype)
        return x
    if isinstance(x, (list, tuple)) and any(is_value(e) or isinstance(e, (list, tuple)) for e in x):
        from jet.numpy import creation
        return creation.array(x, dtype=dtype)
    if dtype is not None:
        dtype = canonical_dtype(dtype)
        if is_python_scalar(x):
            return _core.asarray_value(np.array(x, dtype=dtype), dtype=dtype, weak=False)
    return _core.asarray_value(x, dtype=dtype)


def weak_scalar(v, dtype):
    """A weak-typed rank-0 value holding Python scalar v as dtype."""
    return _core.asarray_value(np.array(v, dtype=dtype), dtype=np.dtype(dtype), weak=True)


def scalar(v, dtype):
    """A strong rank-0 value holding v as dtype."""
    return _core.asarray_value(np.array(v, dtype=dtype), dtype=np.dtype(dtype), weak=False)


def convert(x, dtype, weak=False):
    dtype = canonical_dtype(dtype)
    x = asval(x)
    if np.dtype(x.dtype) == dtype:
        return x
    return bind("convert_element_type", x, new_dtype=dtype, weak_type=weak)


def result_type(*args):
    """JAX's promotion of args (values, scalars, dtypes): a numpy dtype."""
    return canonical_dtype(_dtypes.result_type(*args))


def _to_dtype_value(x, dtype, weak):
    """x (value or array-like) as a value of dtype; weak says whether the
    promoted result is weakly typed (then weak inputs stay weak)."""
    if is_value(x):
        if np.dtype(x.dtype) == dtype:
            return x
        return bind("convert_element_type", x, new_dtype=dtype, weak_type=weak and x.weak_type)
    if is_python_scalar(x):
        return weak_scalar(x, dtype)
    v = _core.asarray_value(x)
    if np.dtype(v.dtype) == dtype:
        return v
    return bind("convert_element_type", v, new_dtype=dtype, weak_type=False)


def _lattice(args):
    args = [a if (is_value(a) or is_python_scalar(a) or isinstance(a, (np.dtype, np.generic)))
            else np.asarray(a) for a in args]
    dt, weak = _dtypes.result_type(*args, return_weak_type_flag=True)
    return canonical_dtype(dt), weak


def promote(*args):
    """Converts args to values of their common (JAX-promoted) dtype."""
    if not args:
        return []
    dt, weak = _lattice(args)
    return [_to_dtype_value(a, dt, weak) for a in args]


def promote_inexact(*args):
    """Like promote, then ints/bools go to the default float dtype."""
    dt, weak = _lattice(args)
    if not is_float(dt):
        dt = default_float()
    return [_to_dtype_value(a, dt, weak) for a in args]


def shape_of(x):
    if is_value(x):
        return tuple(x.shape)
    return tuple(np.shape(x))


def broadcast_shapes(*shapes):
    shapes = [tuple(int(d) for d in s) for s in shapes]
    nd = max((len(s) for s in shapes), default=0)
    out = []
    for i in range(nd):
        size = 1
        for s in shapes:
            k = i - (nd - len(s))
            if k < 0:
                continue
            d = s[k]
            if d == 1:
                continue
            if size == 1:
                size = d
            elif size != d:
                raise ValueError(
                    "Incompatible shapes for broadcasting: shapes=%s" % (list(shapes),))
        out.append(size)
    return tuple(out)


def broadcast_to(x, shape):
    x = asval(x)
    shape = tuple(int(d) for d in shape)
    xs = tuple(x.shape)
    if xs == shape:
        return x
    if len(xs) > len(shape):
        raise ValueError(
            "Cannot broadcast an array of shape %s to shape %s: the target has fewer dimensions"
            % (xs, shape))
    lead = len(shape) - len(xs)
    for i, d in enumerate(xs):
        if d != 1 and d != shape[lead + i]:
            raise ValueError(
                "Incompatible shapes for broadcasting: shapes=%s (cannot broadcast %s to %s)"
                % ([xs, shape], xs, shape))
    return bind("broadcast_in_dim", x, shape=shape,
                broadcast_dimensions=tuple(range(lead, len(shape))))


def broadcast_values(*vals, keep_scalars=True):
    """Broadcasts values to their common shape; rank-0 values stay rank 0
    when keep_scalars (lax ops accept rank-0 operands)."""
    shape = broadcast_shapes(*[v.shape for v in vals])
    out = []
    for v in vals:
        if keep_scalars and len(v.shape) == 0:
            out.append(v)
        else:
            out.append(broadcast_to(v, shape))
    return out


def index_int(x, what="index"):
    try:
        return operator.index(x)
    except TypeError:
        raise TypeError("%s must be an integer, got %r" % (what, x)) from None


def norm_axis(axis, ndim, what="axis"):
    axis = index_int(axis, what)
    if not -ndim <= axis < ndim:
        raise ValueError("%s %d is out of bounds for array of dimension %d" % (what, axis, ndim))
    return axis + ndim if axis < 0 else axis


def norm_axes(axis, ndim, what="axis"):
    """None -> all axes; int or sequence -> sorted tuple of unique axes."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        out = []
        for a in axis:
            a = norm_axis(a, ndim, what)
            if a in out:
                raise ValueError("repeated axis %d in %s" % (a, what))
            out.append(a)
        return tuple(sorted(out))
    a = index_int(axis, what)
    if not -ndim <= a < ndim:
        raise ValueError("%s %d is out of bounds for array of dimension %d" % (what, a, ndim))
    return (a + ndim if a < 0 else a,)


def prod(xs):
    p = 1
    for d in xs:
        p *= int(d)
    return p


def is_concrete(x):
    """True when x's contents are known on the client side (not a tracer)."""
    if not is_value(x):
        return True
    from jet._array import Array
    return isinstance(x, Array)


def to_numpy(x):
    return np.asarray(x)


def module(name):
    """A submodule of jet.numpy by name (jet.numpy.shape the module is
    shadowed by the function jet.numpy.shape)."""
    import importlib
    return importlib.import_module("jet.numpy." + name)
