"""The core contract: abstract values, tracers, bind and asarray_value.

bind(op, *args, **attrs) applies a primitive of the op table
(shared/include/jet/ops.def). Outside any trace it runs eagerly on jetd on
handles: a one-op graph compiled once per (op, attributes, operand types)
and executed with the outputs kept on the server. Inside a trace (jit,
grad, vmap, ...) it adds a node to the graph being traced and returns a
Tracer.
"""
import ctypes

import numpy as np

from . import _dtypes, _lib, errors
from ._value import Value


class ShapedArray:
    """The abstract value of an array: shape, dtype and weak_type."""
    __slots__ = ("shape", "dtype", "weak_type")

    def __init__(self, shape, dtype, weak_type=False):
        self.shape = tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        self.weak_type = bool(weak_type)

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        n = 1
        for d in self.shape:
            n *= d
        return n

    def __eq__(self, other):
        return (isinstance(other, ShapedArray) and self.shape == other.shape
                and self.dtype == other.dtype and self.weak_type == other.weak_type)

    def __hash__(self):
        return hash((self.shape, self.dtype, self.weak_type))

    def str_short(self):
        return "%s[%s]" % (self.dtype.name, ",".join(str(d) for d in self.shape))

    def __repr__(self):
        return "ShapedArray(%s%s)" % (self.str_short(), ", weak_type=True" if self.weak_type else "")

    def strip_weak(self):
        return ShapedArray(self.shape, self.dtype, False) if self.weak_type else self


class Tracer(Value):
    """A value of a function being traced: a value id in the trace's graph."""
    __slots__ = ("_trace", "_val", "_aval")

    def __init__(self, trace, val, aval):
        self._trace = trace
        self._val = val
        self._aval = aval

    def _concrete_error(self, kind, cls):
        return cls(
            "Abstract tracer value encountered where a concrete value is expected: %s was "
            "called on %r, a value traced by %s.\nThe value of a traced array is not known while "
            "the function is traced (only its shape and dtype are), so Python control flow "
            "(if/while/and/or) and conversions (bool(), int(), float(), np.asarray()) cannot "
            "depend on it. Instead: use jet.numpy.where / jet.lax.select for data-dependent "
            "choices, mark the argument static (jit(f, static_argnums=...)), or compute the value "
            "outside the traced function." % (kind, self, self._trace.describe()))

    def __bool__(self):
        raise self._concrete_error("bool()", errors.TracerBoolConversionError)

    def __int__(self):
        raise self._concrete_error("int()", errors.TracerIntegerConversionError)

    def __index__(self):
        raise self._concrete_error("__index__()", errors.TracerIntegerConversionError)

    def __float__(self):
        raise self._concrete_error("float()", errors.ConcretizationTypeError)

    def __complex__(self):
        raise self._concrete_error("complex()", errors.ConcretizationTypeError)

    def __array__(self, dtype=None, copy=None):
        raise self._concrete_error("np.asarray()", errors.TracerArrayConversionError)

    def item(self):
        raise self._concrete_error(".item()", errors.ConcretizationTypeError)

    def tolist(self):
        raise self._concrete_error(".tolist()", errors.ConcretizationTypeError)

    def __hash__(self):
        raise TypeError("unhashable type: Tracer")

    def __repr__(self):
        return "Traced<%r>with<%s>" % (self._aval, self._trace.describe())


# ---------------------------------------------------------------------------
# Attribute text (the text form's syntax, shared/src/text/README.md)

def _fmt_float(v):
    v = float(v)
    if v != v:
        return "nan"
    if v in (float("inf"), float("-inf")):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def _fmt_literal(a):
    a = np.asarray(a)
    dt = _dtypes.canonicalize(a.dtype)
    a = a.astype(dt, copy=False)
    flat = a.reshape(-1)
    if dt == _dtypes.bool_:
        elems = ["true" if bool(x) else "false" for x in flat]
    elif dt.kind == "f":
        elems = [_fmt_float(x) for x in flat.tolist()]
    else:
        elems = [str(int(x)) for x in flat.tolist()]
    return "%s[%s]{%s}" % (_dtypes.short_name(dt), ",".join(str(d) for d in a.shape),
                           ", ".join(elems))


def _fmt_attr(v):
    if isinstance(v, (bool, np.bool_)):
        return "true" if v else "false"
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        return _fmt_float(v)
    if isinstance(v, (tuple, list)):
        return "[%s]" % ", ".join(str(int(x)) for x in v)
    if isinstance(v, np.dtype) or (isinstance(v, type) and issubclass(v, np.generic)):
        return _dtypes.short_name(np.dtype(v))
    if isinstance(v, str):
        try:
            return _dtypes.short_name(np.dtype(v))
        except TypeError:
            return '"%s"' % v.replace("\\", "\\\\").replace('"', '\\"')
    if isinstance(v, np.ndarray):
        return _fmt_literal(v)
    if isinstance(v, Value) and not isinstance(v, Tracer):
        return _fmt_literal(np.asarray(v))
    if hasattr(v, "dtype") and not isinstance(v, Tracer):
        return _dtypes.short_name(np.dtype(v))
    raise TypeError("cannot pass %r as an op attribute" % (v,))


def attrs_text(attrs):
    """Formats bind's keyword attributes (None = not given)."""
    return ", ".join("%s=%s" % (k, _fmt_attr(v)) for k, v in sorted(attrs.items())
                     if v is not None)


# ---------------------------------------------------------------------------
# Weak types of results (JAX: the standard rule is "all inputs weak")

_NEVER_WEAK = {"eq", "ne", "lt", "le", "gt", "ge", "is_finite", "argmax", "argmin", "iota",
               "constant", "bitcast_convert_type", "convert_element_type"}
_FIRST_OPERAND = {"dynamic_slice", "dynamic_update_slice", "gather", "scatter-add", "pad"}


def result_weak(op, avals):
    if op in _NEVER_WEAK or not avals:
        return False
    if op == "select":
        return avals[1].weak_type and avals[2].weak_type
    if op in _FIRST_OPERAND:
        return avals[0].weak_type
    if op == "clamp":
        return avals[1].weak_type
    return all(a.weak_type for a in avals)


# ---------------------------------------------------------------------------
# bind

def bind(op, *args, **attrs):
    """Applies primitive `op` to args with the given attributes.

    attrs: int, tuple/list of ints, float, bool, dtype (numpy dtype or a name
    like 'float32'), numpy array (literal); None = attribute not given. The
    extra keyword weak_type=bool sets the result's weak type (not sent).
    Returns one value, or a tuple for multi-result ops."""
    weak = attrs.pop("weak_type", None)
    text = attrs_text(attrs)
    from . import _trace
    tr = _trace.current()
    if tr is None:
        from . import _eager
        return _eager.apply(op, args, text, weak)
    return tr.add_op(op, args, text, weak)


def asarray_value(x, dtype=None, weak=None):
    """Converts x (a jet value, numpy array or scalar, Python scalar, list)
    to a jet value. Python scalars become weakly typed rank-0 values (floats
    float32, ints int32 unless x64 is enabled); numpy float64 becomes float32
    unless jet.config.enable_x64 is set. Existing jet values are returned
    as they are (converted when dtype differs)."""
    from ._array import Array
    if isinstance(x, Value):
        if dtype is not None:
            dt = _dtypes.canonicalize(dtype)
            w = bool(weak) if weak is not None else False
            if dt != x.dtype:
                return bind("convert_element_type", x, new_dtype=dt, weak_type=w)
            if weak is not None and w != x.weak_type:
                return bind("convert_element_type", x, new_dtype=dt, weak_type=w)
        elif weak is not None and bool(weak) != x.weak_type:
            return bind("convert_element_type", x, new_dtype=x.dtype, weak_type=bool(weak))
        return x
    is_py = isinstance(x, (bool, int, float)) and not isinstance(x, np.generic)
    if isinstance(x, complex):
        raise TypeError("jet has no complex dtypes (got %r)" % (x,))
    if dtype is not None:
        dt = _dtypes.canonicalize(dtype)
    elif is_py:
        dt = _dtypes.dtype(x)
    else:
        src = np.asarray(x)
        if src.dtype == object:
            raise TypeError("cannot convert %r to a jet array" % (type(x).__name__,))
        dt = _dtypes.canonicalize(src.dtype)
    if weak is None:
        weak = is_py and not isinstance(x, bool)
    host = np.asarray(x, dtype=dt)
    if not host.flags.c_contiguous:
        host = host.copy()
    _dtypes.to_code(dt)
    return Array._from_host(host, bool(weak))


def clear_caches():
    """Forgets every compiled executable (the client is being closed)."""
    from . import _eager
    _eager.clear()
    from . import _api
    _api.clear_caches()
