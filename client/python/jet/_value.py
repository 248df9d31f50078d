"""Value: what jet.Array and tracers share: aval properties and the numpy
operators and methods, each implemented by a jet.numpy function (imported
lazily, so the core works before jet.numpy is loaded)."""
import numpy as np


def _jnp():
    from . import numpy as jnp
    return jnp


def _find(names):
    """The first of names found in jet.numpy (dotted names reach submodules)."""
    import importlib
    jnp = _jnp()
    for n in names:
        mod, _, attr = n.rpartition(".")
        try:
            obj = importlib.import_module(jnp.__name__ + "." + mod) if mod else jnp
        except ImportError:
            continue
        f = getattr(obj, attr, None)
        if f is not None:
            return f
    raise NotImplementedError("jet.numpy provides none of %s" % ", ".join(names))


def _binop(name, swap=False):
    def op(self, other):
        if not _is_operand(other):
            return NotImplemented
        f = getattr(_jnp(), name)
        return f(other, self) if swap else f(self, other)
    op.__name__ = name
    return op


def _is_operand(x):
    return isinstance(x, (Value, np.ndarray, np.generic, int, float, bool, list, tuple))


def _unop(name):
    def op(self):
        return getattr(_jnp(), name)(self)
    op.__name__ = name
    return op


def _method(name):
    def m(self, *args, **kwargs):
        return getattr(_jnp(), name)(self, *args, **kwargs)
    m.__name__ = name
    return m


class Value:
    """Base of jet.Array and Tracer. Subclasses set self._aval."""
    __slots__ = ()
    __array_priority__ = 100

    @property
    def aval(self):
        return self._aval

    @property
    def shape(self):
        return self._aval.shape

    @property
    def dtype(self):
        return self._aval.dtype

    @property
    def weak_type(self):
        return self._aval.weak_type

    @property
    def ndim(self):
        return len(self._aval.shape)

    @property
    def size(self):
        return self._aval.size

    def __len__(self):
        if not self._aval.shape:
            raise TypeError("len() of unsized object")
        return self._aval.shape[0]

    def __iter__(self):
        if not self._aval.shape:
            raise TypeError("iteration over a 0-d array")
        return (self[i] for i in range(self._aval.shape[0]))

    __add__ = _binop("add")
    __radd__ = _binop("add", True)
    __sub__ = _binop("subtract")
    __rsub__ = _binop("subtract", True)
    __mul__ = _binop("multiply")
    __rmul__ = _binop("multiply", True)
    __truediv__ = _binop("true_divide")
    __rtruediv__ = _binop("true_divide", True)
    __floordiv__ = _binop("floor_divide")
    __rfloordiv__ = _binop("floor_divide", True)
    __mod__ = _binop("remainder")
    __rmod__ = _binop("remainder", True)
    __pow__ = _binop("power")
    __rpow__ = _binop("power", True)
    __matmul__ = _binop("matmul")
    __rmatmul__ = _binop("matmul", True)
    __and__ = _binop("bitwise_and")
    __rand__ = _binop("bitwise_and", True)
    __or__ = _binop("bitwise_or")
    __ror__ = _binop("bitwise_or", True)
    __xor__ = _binop("bitwise_xor")
    __rxor__ = _binop("bitwise_xor", True)
    __lshift__ = _binop("left_shift")
    __rlshift__ = _binop("left_shift", True)
    __rshift__ = _binop("right_shift")
    __rrshift__ = _binop("right_shift", True)
    __lt__ = _binop("less")
    __le__ = _binop("less_equal")
    __gt__ = _binop("greater")
    __ge__ = _binop("greater_equal")
    __eq__ = _binop("equal")
    __ne__ = _binop("not_equal")
    __neg__ = _unop("negative")
    __pos__ = _unop("positive")
    __abs__ = _unop("abs")
    __invert__ = _unop("invert")

    def __divmod__(self, other):
        return _jnp().divmod(self, other)

    def __rdivmod__(self, other):
        return _jnp().divmod(other, self)

    def __getitem__(self, idx):
        return _find(["_getitem", "_rewriting_take", "indexing.getitem",
                      "_indexing.getitem", "indexing._getitem", "_indexing._getitem"])(self, idx)

    @property
    def at(self):
        return _find(["_IndexUpdateHelper", "_AtIndexer", "indexing._IndexUpdateHelper",
                      "_indexing._IndexUpdateHelper", "indexing._AtIndexer",
                      "_indexing._AtIndexer", "indexing.IndexUpdateHelper",
                      "_indexing.IndexUpdateHelper"])(self)

    @property
    def T(self):
        return _jnp().transpose(self)

    @property
    def mT(self):
        return _jnp().swapaxes(self, -1, -2)

    def reshape(self, *shape, order="C"):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        return _jnp().reshape(self, shape)

    def transpose(self, *axes):
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return _jnp().transpose(self, axes if axes else None)

    def astype(self, dtype):
        from . import _core, _dtypes
        dt = _dtypes.canonicalize(dtype)
        if dt == self.dtype and not self.weak_type:
            return self
        return _core.bind("convert_element_type", self, new_dtype=dt, weak_type=False)

    def flatten(self):
        return _jnp().ravel(self)

    sum = _method("sum")
    mean = _method("mean")
    max = _method("max")
    min = _method("min")
    prod = _method("prod")
    var = _method("var")
    std = _method("std")
    any = _method("any")
    all = _method("all")
    argmax = _method("argmax")
    argmin = _method("argmin")
    cumsum = _method("cumsum")
    ravel = _method("ravel")
    squeeze = _method("squeeze")
    clip = _method("clip")
    round = _method("round")
    dot = _method("dot")
    swapaxes = _method("swapaxes")
    take = _method("take")
    repeat = _method("repeat")
    conj = _method("conjugate")
    conjugate = _method("conjugate")
    nonzero = _method("nonzero")
    sort = _method("sort")
    argsort = _method("argsort")

    @property
    def real(self):
        return _jnp().real(self)

    @property
    def imag(self):
        return _jnp().imag(self)

    __hash__ = None
