"""jet.lax: thin wrappers over the op table's primitives (JAX's jax.lax
names and argument conventions). No implicit promotion or broadcasting,
except that Python scalars take the other operand's dtype (weakly typed,
as in JAX)."""
import numpy as np

from jet.numpy import _util as U
from jet.numpy._util import bind

__all__ = []


def _export(f):
    __all__.append(f.__name__)
    return f


def _vals(*args):
    """Operands of a lax op: values stay; Python scalars become weak values
    of the first value's dtype."""
    ref = next((a for a in args if U.is_value(a)), None)
    out = []
    for a in args:
        if U.is_value(a):
            out.append(a)
        elif U.is_python_scalar(a) and ref is not None:
            out.append(U.weak_scalar(a, ref.dtype))
        else:
            out.append(U.asval(a))
    return out


def _unary(name, op=None):
    op = op or name

    def f(x, **kw):
        return bind(op, *_vals(x), **kw)
    f.__name__ = name
    f.__doc__ = "lax.%s: the %r primitive." % (name, op)
    globals()[name] = f
    __all__.append(name)


def _binary(name, op=None):
    op = op or name

    def f(x, y):
        return bind(op, *_vals(x, y))
    f.__name__ = name
    f.__doc__ = "lax.%s: the %r primitive." % (name, op)
    globals()[name] = f
    __all__.append(name)


for _n in ("neg", "sign", "floor", "ceil", "is_finite", "exp", "exp2", "log", "log1p", "expm1",
           "sqrt", "rsqrt", "tanh", "logistic", "sin", "cos", "tan", "asin", "acos", "atan",
           "sinh", "cosh", "erf", "erf_inv", "square", "abs"):
    _unary(_n)
_unary("bitwise_not", "not")
_unary("stop_gradient")

for _n in ("add", "sub", "mul", "div", "rem", "pow", "max", "min", "atan2", "shift_left",
           "shift_right_logical", "shift_right_arithmetic", "eq", "ne", "lt", "le", "gt", "ge"):
    _binary(_n)
_binary("bitwise_and", "and")
_binary("bitwise_or", "or")
_binary("bitwise_xor", "xor")


@_export
def round(x, rounding_method=0):
    """rounding_method 0 = away from zero (lax default), 1 = to nearest even."""
    return bind("round", *_vals(x), rounding_method=int(rounding_method))


@_export
def integer_pow(x, y):
    return bind("integer_pow", *_vals(x), y=int(y))


@_export
def select(pred, on_true, on_false):
    t, f = _vals(on_true, on_false)
    return bind("select", U.asval(pred), t, f)


@_export
def select_n(which, *cases):
    if len(cases) != 2:
        raise ValueError("jet.lax.select_n supports exactly two cases (a boolean predicate), "
                         "got %d" % len(cases))
    w = U.asval(which)
    if not U.is_bool(w.dtype):
        w = bind("ne", w, U.weak_scalar(0, w.dtype))
    return select(w, cases[1], cases[0])


@_export
def clamp(min, x, max):
    lo, v, hi = _vals(min, x, max)
    return bind("clamp", lo, v, hi)


@_export
def convert_element_type(operand, new_dtype):
    return bind("convert_element_type", U.asval(operand),
                new_dtype=U.canonical_dtype(new_dtype), weak_type=False)


@_export
def bitcast_convert_type(operand, new_dtype):
    return bind("bitcast_convert_type", U.asval(operand), new_dtype=U.canonical_dtype(new_dtype))


@_export
def broadcast_in_dim(operand, shape, broadcast_dimensions):
    return bind("broadcast_in_dim", U.asval(operand), shape=tuple(shape),
                broadcast_dimensions=tuple(broadcast_dimensions))


@_export
def broadcast(operand, sizes):
    x = U.asval(operand)
    nd = len(x.shape)
    return broadcast_in_dim(x, tuple(sizes) + tuple(x.shape),
                            tuple(range(len(sizes), len(sizes) + nd)))


@_export
def reshape(operand, new_sizes, dimensions=None):
    x = U.asval(operand)
    if dimensions is not None:
        x = transpose(x, dimensions)
    return bind("reshape", x, new_sizes=tuple(new_sizes))


@_export
def transpose(operand, permutation):
    return bind("transpose", U.asval(operand), permutation=tuple(permutation))


@_export
def squeeze(array, dimensions):
    return bind("squeeze", U.asval(array), dimensions=tuple(dimensions))


@_export
def expand_dims(array, dimensions):
    return bind("expand_dims", U.asval(array), dimensions=tuple(dimensions))


@_export
def rev(operand, dimensions):
    return bind("rev", U.asval(operand), dimensions=tuple(dimensions))


@_export
def slice(operand, start_indices, limit_indices, strides=None):
    attrs = dict(start_indices=tuple(start_indices), limit_indices=tuple(limit_indices))
    if strides is not None:
        attrs["strides"] = tuple(strides)
    return bind("slice", U.asval(operand), **attrs)


@_export
def slice_in_dim(operand, start_index, limit_index, stride=1, axis=0):
    x = U.asval(operand)
    nd = len(x.shape)
    st, lim, sd = [0] * nd, list(x.shape), [1] * nd
    ax = U.norm_axis(axis, nd)
    n = x.shape[ax]
    start_index = 0 if start_index is None else start_index
    limit_index = n if limit_index is None else limit_index
    st[ax] = start_index + n if start_index < 0 else start_index
    lim[ax] = limit_index + n if limit_index < 0 else limit_index
    sd[ax] = stride
    return slice(x, st, lim, sd)


@_export
def index_in_dim(operand, index, axis=0, keepdims=True):
    x = U.asval(operand)
    ax = U.norm_axis(axis, len(x.shape))
    i = index + x.shape[ax] if index < 0 else index
    out = slice_in_dim(x, i, i + 1, 1, ax)
    return out if keepdims else squeeze(out, (ax,))


def _index_scalars(idx):
    return [U.convert(U.asval(i), np.int32) if not U.is_python_scalar(i)
            else U.scalar(i, np.int32) for i in idx]


@_export
def dynamic_slice(operand, start_indices, slice_sizes):
    x = U.asval(operand)
    return bind("dynamic_slice", x, *_index_scalars(start_indices),
                slice_sizes=tuple(slice_sizes))


@_export
def dynamic_update_slice(operand, update, start_indices):
    x = U.asval(operand)
    u = U.convert(U.asval(update), x.dtype)
    return bind("dynamic_update_slice", x, u, *_index_scalars(start_indices))


@_export
def dynamic_slice_in_dim(operand, start_index, slice_size, axis=0):
    x = U.asval(operand)
    ax = U.norm_axis(axis, len(x.shape))
    starts = [0] * len(x.shape)
    starts[ax] = start_index
    sizes = list(x.shape)
    sizes[ax] = slice_size
    return dynamic_slice(x, starts, sizes)


@_export
def dynamic_index_in_dim(operand, index, axis=0, keepdims=True):
    out = dynamic_slice_in_dim(operand, index, 1, axis)
    return out if keepdims else squeeze(out, (U.norm_axis(axis, len(out.shape)),))


@_export
def dynamic_update_slice_in_dim(operand, update, start_index, axis):
    x = U.asval(operand)
    ax = U.norm_axis(axis, len(x.shape))
    starts = [0] * len(x.shape)
    starts[ax] = start_index
    return dynamic_update_slice(x, update, starts)


@_export
def concatenate(operands, dimension):
    return bind("concatenate", *[U.asval(o) for o in operands], dimension=int(dimension))


@_export
def pad(operand, padding_value, padding_config):
    x = U.asval(operand)
    cfg = []
    for lo, hi, interior in padding_config:
        cfg += [int(lo), int(hi), int(interior)]
    pv = _vals(x, padding_value)[1]
    return bind("pad", x, pv, padding_config=tuple(cfg))


@_export
def iota(dtype, size):
    return bind("iota", dtype=U.canonical_dtype(dtype), shape=(int(size),), dimension=0)


@_export
def broadcasted_iota(dtype, shape, dimension):
    return bind("iota", dtype=U.canonical_dtype(dtype), shape=tuple(shape),
                dimension=int(dimension))


class GatherDimensionNumbers(tuple):
    """(offset_dims, collapsed_slice_dims, start_index_map,
    operand_batching_dims, start_indices_batching_dims), as in JAX."""

    def __new__(cls, offset_dims, collapsed_slice_dims, start_index_map,
                operand_batching_dims=(), start_indices_batching_dims=()):
        t = tuple.__new__(cls, (tuple(offset_dims), tuple(collapsed_slice_dims),
                                tuple(start_index_map), tuple(operand_batching_dims),
                                tuple(start_indices_batching_dims)))
        return t

    offset_dims = property(lambda s: s[0])
    collapsed_slice_dims = property(lambda s: s[1])
    start_index_map = property(lambda s: s[2])
    operand_batching_dims = property(lambda s: s[3])
    start_indices_batching_dims = property(lambda s: s[4])


class ScatterDimensionNumbers(tuple):
    """(update_window_dims, inserted_window_dims, scatter_dims_to_operand_dims,
    operand_batching_dims, scatter_indices_batching_dims), as in JAX."""

    def __new__(cls, update_window_dims, inserted_window_dims, scatter_dims_to_operand_dims,
                operand_batching_dims=(), scatter_indices_batching_dims=()):
        return tuple.__new__(cls, (tuple(update_window_dims), tuple(inserted_window_dims),
                                   tuple(scatter_dims_to_operand_dims),
                                   tuple(operand_batching_dims),
                                   tuple(scatter_indices_batching_dims)))

    update_window_dims = property(lambda s: s[0])
    inserted_window_dims = property(lambda s: s[1])
    scatter_dims_to_operand_dims = property(lambda s: s[2])
    operand_batching_dims = property(lambda s: s[3])
    scatter_indices_batching_dims = property(lambda s: s[4])


__all__ += ["GatherDimensionNumbers", "ScatterDimensionNumbers"]


def _mode_int(mode, default):
    if mode is None:
        return default
    if isinstance(mode, int):
        return mode
    m = str(mode).lower().split(".")[-1]
    if m in ("clip", "promise_in_bounds"):
        return 0
    if m in ("fill", "drop", "fill_or_drop"):
        return 1
    raise ValueError("unknown gather/scatter mode %r" % (mode,))


@_export
def gather(operand, start_indices, dimension_numbers, slice_sizes, *, mode=None,
           indices_are_sorted=False, unique_indices=False, fill_value=None):
    dn = dimension_numbers
    attrs = dict(offset_dims=tuple(dn[0]), collapsed_slice_dims=tuple(dn[1]),
                 start_index_map=tuple(dn[2]), slice_sizes=tuple(slice_sizes),
                 mode=_mode_int(mode, 0))
    if len(dn) > 3 and dn[3]:
        attrs["operand_batching_dims"] = tuple(dn[3])
        attrs["start_indices_batching_dims"] = tuple(dn[4])
    return bind("gather", U.asval(operand), U.asval(start_indices), **attrs)


@_export
def scatter_add(operand, scatter_indices, updates, dimension_numbers, *, mode=None,
                indices_are_sorted=False, unique_indices=False):
    dn = dimension_numbers
    attrs = dict(update_window_dims=tuple(dn[0]), inserted_window_dims=tuple(dn[1]),
                 scatter_dims_to_operand_dims=tuple(dn[2]), mode=_mode_int(mode, 1))
    if len(dn) > 3 and dn[3]:
        attrs["operand_batching_dims"] = tuple(dn[3])
        attrs["scatter_indices_batching_dims"] = tuple(dn[4])
    x = U.asval(operand)
    return bind("scatter-add", x, U.asval(scatter_indices), U.convert(U.asval(updates), x.dtype),
                **attrs)


def _reducer(name, op):
    def f(operand, axes):
        return bind(op, U.asval(operand), axes=tuple(axes))
    f.__name__ = name
    globals()[name] = f
    __all__.append(name)


_reducer("reduce_sum", "reduce_sum")
_reducer("reduce_max", "reduce_max")
_reducer("reduce_min", "reduce_min")
_reducer("reduce_prod", "reduce_prod")


@_export
def reduce_and(operand, axes):
    return bind("reduce_min", U.asval(operand), axes=tuple(axes))


@_export
def reduce_or(operand, axes):
    return bind("reduce_max", U.asval(operand), axes=tuple(axes))


@_export
def argmax(operand, axis, index_dtype):
    return bind("argmax", U.asval(operand), axes=(int(axis),),
                index_dtype=U.canonical_dtype(index_dtype))


@_export
def argmin(operand, axis, index_dtype):
    return bind("argmin", U.asval(operand), axes=(int(axis),),
                index_dtype=U.canonical_dtype(index_dtype))


@_export
def cumsum(operand, axis=0, reverse=False):
    return bind("cumsum", U.asval(operand), axis=int(axis), reverse=bool(reverse))


@_export
def dot_general(lhs, rhs, dimension_numbers, precision=None, preferred_element_type=None):
    """dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))."""
    (lc, rc), (lb, rb) = dimension_numbers
    attrs = dict(lhs_contracting_dimensions=tuple(lc), rhs_contracting_dimensions=tuple(rc))
    if lb or rb:
        attrs["lhs_batch_dimensions"] = tuple(lb)
        attrs["rhs_batch_dimensions"] = tuple(rb)
    if preferred_element_type is not None:
        attrs["preferred_element_type"] = U.canonical_dtype(preferred_element_type)
    return bind("dot_general", U.asval(lhs), U.asval(rhs), **attrs)


@_export
def dot(lhs, rhs, precision=None, preferred_element_type=None):
    x, y = U.asval(lhs), U.asval(rhs)
    return dot_general(x, y, (((len(x.shape) - 1,), (0,)), ((), ())),
                       preferred_element_type=preferred_element_type)


@_export
def batch_matmul(lhs, rhs, precision=None):
    x, y = U.asval(lhs), U.asval(rhs)
    nb = len(x.shape) - 2
    return dot_general(x, y, (((nb + 1,), (nb,)), (tuple(range(nb)), tuple(range(nb)))))


@_export
def full(shape, fill_value, dtype=None):
    from jet.numpy import creation
    return creation.full(shape, fill_value, dtype)


@_export
def full_like(x, fill_value, dtype=None, shape=None):
    from jet.numpy import creation
    return creation.full_like(x, fill_value, dtype, shape)


@_export
def zeros_like_array(x):
    from jet.numpy import creation
    return creation.zeros_like(x)


@_export
def erfc(x):
    v = _vals(x)[0]
    return bind("sub", U.weak_scalar(1, v.dtype), bind("erf", v))


# Structured control flow (jet/_control.py): cond, switch, while_loop,
# fori_loop, scan.
from jet._control import cond, switch, while_loop, fori_loop, scan  # noqa: E402

__all__ += ["cond", "switch", "while_loop", "fori_loop", "scan"]

from jet._collective import (psum, pmean, pmax, pmin, all_gather, psum_scatter,  # noqa: E402
                             ppermute, all_to_all, axis_index)

__all__ += ["psum", "pmean", "pmax", "pmin", "all_gather", "psum_scatter", "ppermute",
            "all_to_all", "axis_index"]
