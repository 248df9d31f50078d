"""jet.numpy: NumPy's API on jet values (JAX's jax.numpy).

Every function is written against the core contract (jet._core.bind and
asarray_value, the values' shape/dtype/weak_type, jet._dtypes.result_type),
so the same code runs eagerly on jetd (jet.Array) and under tracing (jit,
grad, vmap). Modules by family: creation, elementwise, reductions, shape,
indexing, linalg_ops; the linalg subpackage holds norm.
"""
import builtins as _builtins

import numpy as _np

from jet.numpy import _util
from jet.numpy.creation import *  # noqa: F401,F403
from jet.numpy.elementwise import *  # noqa: F401,F403
from jet.numpy.indexing import (_IndexUpdateHelper, _IndexUpdateRef, getitem as _getitem,  # noqa
                                take, take_along_axis)
from jet.numpy.linalg_ops import *  # noqa: F401,F403
from jet.numpy.reductions import *  # noqa: F401,F403
from jet.numpy.shape import *  # noqa: F401,F403
from jet.numpy.sorting import *  # noqa: F401,F403
from jet.numpy import linalg  # noqa: F401
from jet.numpy import creation as _creation

from jet._value import Value as ndarray  # noqa: F401  (jet.Array and tracers)

pi = _np.pi
e = _np.e
inf = _np.inf
nan = _np.nan
euler_gamma = _np.euler_gamma
newaxis = None

finfo = _np.finfo
iinfo = _np.iinfo
issubdtype = _np.issubdtype
dtype = _np.dtype
integer = _np.integer
floating = _np.floating
inexact = _np.inexact
number = _np.number
signedinteger = _np.signedinteger
unsignedinteger = _np.unsignedinteger
bool_ = _np.bool_


class _ScalarType:
    """jnp.float32 and friends: a dtype-like (np.dtype(jnp.float32) works)
    that also converts: jnp.float32(3) is a rank-0 jet array."""

    def __init__(self, np_type):
        self._type = np_type
        self.dtype = _np.dtype(np_type)
        self.__name__ = self.dtype.name

    def __call__(self, x):
        return _creation.asarray(x, dtype=self.dtype)

    def __repr__(self):
        return "jet.numpy.%s" % self.dtype.name

    def __eq__(self, other):
        try:
            return self.dtype == _np.dtype(other)
        except TypeError:
            return False

    def __hash__(self):
        return hash(self.dtype)


bool_ = _ScalarType(_np.bool_)
int8 = _ScalarType(_np.int8)
int16 = _ScalarType(_np.int16)
int32 = _ScalarType(_np.int32)
int64 = _ScalarType(_np.int64)
uint8 = _ScalarType(_np.uint8)
uint16 = _ScalarType(_np.uint16)
uint32 = _ScalarType(_np.uint32)
uint64 = _ScalarType(_np.uint64)
float16 = _ScalarType(_np.float16)
float32 = _ScalarType(_np.float32)
float64 = _ScalarType(_np.float64)
int_ = _ScalarType(_np.int64)
float_ = _ScalarType(_np.float64)


def result_type(*args):
    return _util.result_type(*args)


def promote_types(a, b):
    return _util.result_type(_np.dtype(a), _np.dtype(b))


def can_cast(from_, to, casting="safe"):
    return _np.can_cast(from_, to, casting)


def isscalar(element):
    if _util.is_value(element):
        return len(element.shape) == 0
    return _np.isscalar(element)


def iscomplexobj(x):
    return False


def isrealobj(x):
    return True


def nonzero(a, size=None, fill_value=None):
    """Only for concrete arrays (the output shape depends on the values),
    or with a static size (padded with fill_value, default 0)."""
    x = _util.asval(a)
    if not _util.is_concrete(x):
        if size is None:
            from jet import errors
            raise errors.ConcretizationTypeError(
                "jet.numpy.nonzero of a traced array needs a static size= argument: its output "
                "shape depends on the values")
        mask = not_equal(x, 0) if x.dtype != _np.bool_ else x
        flat = ravel(mask)
        n = flat.shape[0]
        # positions of true elements, in order, via cumsum ranks
        ranks = subtract(cumsum(flat.astype(_np.int32)), 1)
        tgt = where(flat, ranks, size)
        pos = _creation.iota(_np.int32, n)
        fv = 0 if fill_value is None else fill_value
        base = full((size,), 0, _np.int32)
        from jet.numpy.indexing import at_set
        flat_idx = at_set(base, tgt, pos)
        count = sum(flat.astype(_np.int32))
        valid = less(_creation.iota(_np.int32, size), count)
        out = []
        rem = flat_idx
        for d in reversed(x.shape):
            out.append(where(valid, remainder(rem, d), fv))
            rem = floor_divide(rem, d)
        return tuple(reversed(out))
    res = _np.nonzero(_np.asarray(x))
    if size is not None:
        fv = 0 if fill_value is None else fill_value
        res = tuple(_np.concatenate([r[:size], _np.full(_builtins.max(0, size - r.size), fv)]) for r in res)
    return tuple(asarray(r.astype(_np.int32)) for r in res)


def argwhere(a, size=None, fill_value=None):
    return stack(nonzero(a, size=size, fill_value=fill_value), axis=-1)


def flatnonzero(a, size=None, fill_value=None):
    return nonzero(ravel(a), size=size, fill_value=fill_value)[0]


def copy(a, order=None):
    return _util.asval(a)
