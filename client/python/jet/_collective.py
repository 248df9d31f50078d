"""Collectives over named axes (jax.lax.psum, pmean, pmax, pmin, all_gather,
psum_scatter, ppermute, all_to_all, axis_index), re-exported by jet.lax.

A name is bound while a function is traced by vmap(f, axis_name=...) (or
pmap, which jetd refuses): the axis environment below is a thread-local
stack of (name, size) that vmap pushes around its trace, so nested vmaps
bind several names and the innermost of equal names wins. A collective
over a name that nothing binds raises NameError("unbound axis name: i"), as
JAX does. The ops themselves are added to the graph being traced with the
axis name as a string attribute; jetd's vmap rules give them their meaning.
Sizes the ops need as attributes (all_gather, psum_scatter, all_to_all)
come from the environment.
"""
import contextlib
import threading

import numpy as np

from . import _pytree, _trace
from ._core import Tracer, asarray_value
from ._value import Value

_tls = threading.local()


def _env():
    e = getattr(_tls, "env", None)
    if e is None:
        e = _tls.env = []
    return e


@contextlib.contextmanager
def bind_axis(name, size):
    """Binds axis `name` (None: nothing) of `size` while the block runs
    (used by vmap / pmap around the trace of the mapped function)."""
    if name is None:
        yield
        return
    if not isinstance(name, str):
        raise TypeError("jet supports only str axis names, got %r" % (name,))
    env = _env()
    env.append((name, int(size)))
    try:
        yield
    finally:
        env.pop()


def env_key():
    """The bound names and sizes, innermost last (a cache key part for
    traces that may hold collectives)."""
    return tuple(_env())


def axis_size(name):
    """The size of the innermost axis bound as `name`; NameError when none."""
    if not isinstance(name, str):
        raise TypeError("jet supports only str axis names, got %r" % (name,))
    for n, s in reversed(_env()):
        if n == name:
            return s
    raise NameError("unbound axis name: %s. The following axis names (e.g. defined by vmap) "
                    "are available to collective operations: %s"
                    % (name, [n for n, _ in _env()]))


def _names(axis_name):
    if isinstance(axis_name, (tuple, list)):
        names = tuple(axis_name)
    else:
        names = (axis_name,)
    for n in names:
        axis_size(n)  # NameError when unbound
    return names


def _no_groups(axis_index_groups, what):
    if axis_index_groups is not None:
        raise NotImplementedError("%s: axis_index_groups is not supported by jet" % what)


def _one_name(axis_name, what):
    if isinstance(axis_name, (tuple, list)):
        if len(axis_name) != 1:
            raise NotImplementedError("%s over several axis names %r is not supported by jet"
                                      % (what, tuple(axis_name)))
        axis_name = axis_name[0]
    axis_size(axis_name)
    return axis_name


def _str_attr(s):
    return '"%s"' % s.replace("\\", "\\\\").replace('"', '\\"')


def _emit(op, args, attrs):
    """Adds op(args) with attrs (a list of (name, text)) to the current trace."""
    tr = _trace.current()
    if tr is None:  # a bound name implies a trace; kept as a safeguard
        raise NameError("%s: collectives need an enclosing vmap with an axis_name" % op)
    text = ", ".join("%s=%s" % kv for kv in attrs)
    return tr.add_op(op, args, text, None)


def _value(x):
    return x if isinstance(x, Value) else asarray_value(x)


def _ndim(x):
    return len(_value(x).shape)


def _canon(axis, nd, what):
    a = int(axis)
    if not -nd <= a < nd:
        raise ValueError("%s %d is out of bounds for array of dimension %d" % (what, a, nd))
    return a + nd if a < 0 else a


# ---------------------------------------------------------------------------
# All-reductions

def _reduce(op, x, names):
    for n in names:
        x = _emit(op, [x], [("axis_name", _str_attr(n))])
    return x


def psum(x, axis_name, *, axis_index_groups=None):
    """Sum of x (a pytree) over the named axis (or axes); bool becomes int32.
    Values that are not traced (constants) give size * x at once, as JAX."""
    _no_groups(axis_index_groups, "psum")
    names = _names(axis_name)
    leaves, tree = _pytree.tree_flatten(x)
    out = []
    for leaf in leaves:
        if isinstance(leaf, Tracer):
            if leaf.dtype == np.bool_:
                leaf = asarray_value(leaf, np.int32)
            out.append(_reduce("psum", leaf, names))
            continue
        size = 1
        for n in names:
            size *= axis_size(n)
        if isinstance(leaf, (bool, np.bool_)) or (hasattr(leaf, "dtype")
                                                 and np.dtype(leaf.dtype) == np.bool_):
            leaf = asarray_value(leaf, np.int32)
        if isinstance(leaf, (int, float)) and not isinstance(leaf, bool):
            out.append(leaf * size)
        elif isinstance(leaf, Value):
            out.append(leaf * size)
        else:
            a = np.asarray(leaf)
            out.append(a * a.dtype.type(size))
    return _pytree.tree_unflatten(tree, out)


def pmean(x, axis_name, *, axis_index_groups=None):
    """psum(x) / psum(1) (true division: integer x gives floats), as JAX."""
    _no_groups(axis_index_groups, "pmean")
    s = psum(x, axis_name)
    n = psum(1, axis_name)
    return _pytree.tree_map(lambda v: _value(v) / n, s)


def pmax(x, axis_name, *, axis_index_groups=None):
    """Maximum of x (a pytree) over the named axis (or axes)."""
    _no_groups(axis_index_groups, "pmax")
    names = _names(axis_name)
    return _pytree.tree_map(lambda v: _reduce("pmax", v, names), x)


def pmin(x, axis_name, *, axis_index_groups=None):
    """Minimum of x (a pytree) over the named axis (or axes)."""
    _no_groups(axis_index_groups, "pmin")
    names = _names(axis_name)
    return _pytree.tree_map(lambda v: _reduce("pmin", v, names), x)


# ---------------------------------------------------------------------------
# Data movement

def all_gather(x, axis_name, *, axis_index_groups=None, axis=0, tiled=False):
    """Every member gets all members' x stacked along a new axis `axis`
    (tiled: concatenated along the existing axis `axis`)."""
    _no_groups(axis_index_groups, "all_gather")
    name = _one_name(axis_name, "all_gather")
    n = axis_size(name)

    def one(v):
        nd = _ndim(v)
        a = _canon(axis, nd if tiled else nd + 1, "all_gather axis")
        return _emit("all_gather", [v], [("axis_name", _str_attr(name)), ("axis_size", str(n)),
                                         ("axis", str(a)), ("tiled", "true" if tiled else "false")])
    return _pytree.tree_map(one, x)


def psum_scatter(x, axis_name, *, scatter_dimension=0, axis_index_groups=None, tiled=False):
    """psum, then member i keeps block i along scatter_dimension (untiled:
    that dimension must equal the axis size and is removed)."""
    _no_groups(axis_index_groups, "psum_scatter")
    name = _one_name(axis_name, "psum_scatter")
    n = axis_size(name)

    def one(v):
        v = _value(v)
        d = _canon(scatter_dimension, len(v.shape), "psum_scatter scatter_dimension")
        size = v.shape[d]
        if tiled and size % n != 0:
            raise ValueError("tiled reduce_scatter operand scatter dimension size %d must be "
                             "divisible by shard_count %d" % (size, n))
        if not tiled and size != n:
            raise ValueError("reduce_scatter operand scatter dimension size %d must match shard "
                             "count %d" % (size, n))
        return _emit("psum_scatter", [v], [("axis_name", _str_attr(name)),
                                           ("axis_size", str(n)), ("scatter_dimension", str(d)),
                                           ("tiled", "true" if tiled else "false")])
    return _pytree.tree_map(one, x)


def ppermute(x, axis_name, perm):
    """Member dst gets member src's x for each (src, dst) in perm; members
    that are nobody's destination get zeros."""
    name = _one_name(axis_name, "ppermute")
    n = axis_size(name)
    pairs = [(int(s), int(d)) for s, d in perm]
    srcs = [s for s, _ in pairs]
    dsts = [d for _, d in pairs]
    if len(set(srcs)) != len(srcs):
        raise ValueError("ppermute sources must be unique, got %s." % (tuple(srcs),))
    if len(set(dsts)) != len(dsts):
        raise ValueError("ppermute destinations must be unique, got %s." % (tuple(dsts),))
    for s, d in pairs:
        if not (0 <= s < n and 0 <= d < n):
            raise ValueError("ppermute: pair (%d, %d) is out of range for axis %r of size %d"
                             % (s, d, name, n))
    text = "[%s]" % ", ".join(str(i) for p in pairs for i in p)
    return _pytree.tree_map(
        lambda v: _emit("ppermute", [v], [("axis_name", _str_attr(name)), ("perm", text)]), x)


def all_to_all(x, axis_name, split_axis, concat_axis, *, axis_index_groups=None, tiled=False):
    """x split along split_axis into axis-size chunks, chunk j sent to member
    j, the received chunks stacked (tiled: concatenated) along concat_axis."""
    _no_groups(axis_index_groups, "all_to_all")
    name = _one_name(axis_name, "all_to_all")
    n = axis_size(name)

    def one(v):
        v = _value(v)
        nd = len(v.shape)
        sa = _canon(split_axis, nd, "all_to_all split_axis")
        ca = _canon(concat_axis, nd, "all_to_all concat_axis")
        if tiled and v.shape[sa] % n != 0:
            raise ValueError("The size of all_to_all split_axis (%d) has to be divisible by the "
                             "size of the named axis %s (%d)" % (v.shape[sa], name, n))
        if not tiled and v.shape[sa] != n:
            raise ValueError("all_to_all requires the size of the mapped axis axis_name to equal "
                             "x.shape[split_axis], but they are %d and %d respectively."
                             % (n, v.shape[sa]))
        return _emit("all_to_all", [v], [("axis_name", _str_attr(name)), ("axis_size", str(n)),
                                         ("split_axis", str(sa)), ("concat_axis", str(ca)),
                                         ("tiled", "true" if tiled else "false")])
    return _pytree.tree_map(one, x)


def axis_index(axis_name):
    """This member's int32 index along the named axis."""
    name = _one_name(axis_name, "axis_index")
    return _emit("axis_index", [], [("axis_name", _str_attr(name))])


__all__ = ["psum", "pmean", "pmax", "pmin", "all_gather", "psum_scatter", "ppermute",
           "all_to_all", "axis_index"]
