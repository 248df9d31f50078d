"""dtypes: jet's dtype codes, canonicalization (x64 off by default) and
JAX's type promotion lattice with weak types (jax-semantics.md section 6).
"""
import numpy as np

from . import config

bool_ = np.dtype(np.bool_)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
uint8 = np.dtype(np.uint8)
uint16 = np.dtype(np.uint16)
uint32 = np.dtype(np.uint32)
uint64 = np.dtype(np.uint64)
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)

# jet_dtype codes (shared/include/jet/dtype.h)
_TO_CODE = {bool_: 1, int8: 2, int16: 3, int32: 4, int64: 5, uint8: 6, uint16: 7, uint32: 8,
            uint64: 9, float16: 10, float32: 12, float64: 13}
_FROM_CODE = {v: k for k, v in _TO_CODE.items()}
_SHORT = {bool_: "bool", int8: "i8", int16: "i16", int32: "i32", int64: "i64", uint8: "u8",
          uint16: "u16", uint32: "u32", uint64: "u64", float16: "f16", float32: "f32",
          float64: "f64"}
SUPPORTED = (bool_, int32, int64, uint8, uint32, float32, float64)


def dtype(x):
    """numpy dtype of a dtype-like or of a value (jet value, numpy array, scalar)."""
    if isinstance(x, np.dtype):
        return x
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return default_int()
    if isinstance(x, float):
        return default_float()
    d = getattr(x, "dtype", None)
    if d is not None and not isinstance(x, type):
        return np.dtype(d)
    return np.dtype(x)


def default_int():
    return int64 if config.enable_x64 else int32


def default_float():
    return float64 if config.enable_x64 else float32


def canonicalize(d):
    """The dtype jet uses for d: without x64, 64-bit types become 32-bit."""
    d = np.dtype(d) if not isinstance(d, np.dtype) else d
    if d.kind == "c":
        raise TypeError("jet has no complex dtypes (got %s)" % d)
    if not config.enable_x64:
        if d == int64:
            return int32
        if d == uint64:
            return uint32
        if d == float64:
            return float32
    return d


def to_code(d):
    d = canonicalize(d)
    if d not in _TO_CODE:
        raise TypeError("dtype %s is not supported by jet" % d)
    return _TO_CODE[d]


def from_code(c):
    return _FROM_CODE[c]


def short_name(d):
    """The text form's name (f32, i32, ...)."""
    return _SHORT[canonicalize(d)]


def issubdtype(a, b):
    return np.issubdtype(a, b)


def is_float(d):
    return np.dtype(d).kind == "f"


def is_int(d):
    return np.dtype(d).kind in "iu"


# ---------------------------------------------------------------------------
# Promotion lattice. Nodes: numpy dtypes plus the weak categories 'i*', 'f*'.
_I, _F = "i*", "f*"
_EDGES = {
    bool_: [_I],
    _I: [uint8, int8],
    uint8: [uint16, int16],
    uint16: [uint32, int32],
    uint32: [uint64, int64],
    uint64: [_F],
    int8: [int16],
    int16: [int32],
    int32: [int64],
    int64: [_F],
    _F: [float16],
    float16: [float32],
    float32: [float64],
    float64: [],
}


def _upper_closure():
    ub = {}
    for n in _EDGES:
        seen, stack = {n}, [n]
        while stack:
            for m in _EDGES[stack.pop()]:
                if m not in seen:
                    seen.add(m)
                    stack.append(m)
        ub[n] = seen
    return ub


_UB = _upper_closure()


def _join(a, b):
    common = _UB[a] & _UB[b]
    for c in common:
        if common <= _UB[c]:
            return c
    raise TypeError("no promotion path between %s and %s" % (a, b))


def _node(x):
    """(lattice node) for a value or dtype-like; Python scalars are weak."""
    if isinstance(x, bool):
        return bool_
    if isinstance(x, int):
        return _I
    if isinstance(x, float):
        return _F
    if isinstance(x, complex):
        raise TypeError("jet has no complex dtypes")
    if getattr(x, "weak_type", False):
        d = np.dtype(x.dtype)
        if d.kind in "iu":
            return _I
        if d.kind == "f":
            return _F
        return d
    d = dtype(x)
    if d.kind == "c":
        raise TypeError("jet has no complex dtypes (got %s)" % d)
    return d


def is_weakly_typed(x):
    if isinstance(x, bool):
        return False
    if isinstance(x, (int, float)):
        return True
    return bool(getattr(x, "weak_type", False))


def result_type(*args, return_weak_type_flag=False):
    """JAX's result_type: the join of the arguments' dtypes on the lattice;
    weakly typed inputs (Python scalars, weak values) take the strongly typed
    operand's dtype of their kind. Canonicalized (x64 off: 32-bit)."""
    if not args:
        raise ValueError("at least one array or dtype is required")
    n = _node(args[0])
    for a in args[1:]:
        n = _join(n, _node(a))
    weak = n in (_I, _F)
    if n == _I:
        d = default_int()
    elif n == _F:
        d = default_float()
    else:
        d = n
    d = canonicalize(d)
    if return_weak_type_flag:
        return d, weak
    return d
