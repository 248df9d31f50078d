"""Staging plumbing of the transforms: flattening arguments, tracing a
function into a Graph, and running a transformed call either as a call
node of the enclosing trace or, at top level, as a compiled wrapper graph
(cached per signature) executed on handles."""
import ctypes

import numpy as np

from . import _client, _dtypes, _lib, _pytree, _trace, errors
from ._core import ShapedArray, Tracer, asarray_value
from ._value import Value

_all_caches = []


def new_cache():
    c = {}
    _all_caches.append(c)
    return c


def clear_caches():
    for c in _all_caches:
        c.clear()


def in_trace():
    return _trace.current() is not None


def to_value(x, what="argument"):
    if isinstance(x, Value):
        return x
    if isinstance(x, (np.ndarray, np.generic, bool, int, float)):
        return asarray_value(x)
    raise TypeError("%s of type %s is not a valid jet type: pass arrays, numpy arrays or "
                    "Python scalars (mark non-array arguments static with "
                    "jit(f, static_argnums=...))" % (what, type(x)))


def flatten_args(args, kwargs):
    """(values, in_tree, spans): leaves of (args, kwargs) as jet values, the
    treedef, and per positional argument its (start, stop, treedef)."""
    spans = []
    leaves = []
    for i, a in enumerate(args):
        ls, td = _pytree.tree_flatten(a)
        spans.append((len(leaves), len(leaves) + len(ls), td))
        leaves.extend(to_value(x, "argument %d" % i) for x in ls)
    kl, ktd = _pytree.tree_flatten(kwargs)
    leaves.extend(to_value(x, "keyword argument") for x in kl)
    in_tree = (tuple(s[2] for s in spans), ktd)
    return leaves, in_tree, spans


def unflatten_args(in_tree, leaves):
    tds, ktd = in_tree
    args, pos = [], 0
    for td in tds:
        args.append(_pytree.tree_unflatten(td, leaves[pos:pos + td.num_leaves]))
        pos += td.num_leaves
    kwargs = _pytree.tree_unflatten(ktd, leaves[pos:])
    return args, kwargs


def avals_key(values):
    return tuple(v._aval for v in values)


def trace_function(f, name, in_tree, in_avals, what):
    """Traces f(*args, **kwargs) over abstract arguments; returns
    (graph, out_tree)."""
    tr = _trace.Trace(name, in_avals, what)
    with tr:
        args, kwargs = unflatten_args(in_tree, tr.in_tracers)
        out = f(*args, **kwargs)
        leaves, out_tree = _pytree.tree_flatten(out)
        for x in leaves:
            if not isinstance(x, (Value, np.ndarray, np.generic, bool, int, float)):
                raise TypeError("the function traced by %s returned a value of type %s, which "
                                "is not a valid jet type" % (what, type(x)))
        graph = tr.finish(leaves)
    return graph, out_tree


def cacheable(graph):
    return not any(isinstance(h, Tracer) for h in graph.hoisted)


def fn_name(f):
    return getattr(f, "__name__", None) or type(f).__name__


# ---------------------------------------------------------------------------
# Top level: compile a graph and run it on handles

class Compiled:
    __slots__ = ("graph", "exe", "gen", "info")


def compile_graph(graph):
    L = _lib.lib()
    avals = graph.param_avals()
    n = len(avals)
    dts = (ctypes.c_int32 * max(n, 1))(*[_dtypes.to_code(a.dtype) for a in avals])
    rks = (ctypes.c_int32 * max(n, 1))(*[len(a.shape) for a in avals])
    flat = [d for a in avals for d in a.shape]
    dims = (ctypes.c_int64 * max(len(flat), 1))(*flat)
    exe = ctypes.c_void_p()
    c = _client.conn()
    _lib.check(L.jet_ffi_compile(c.ptr, graph.builder, None, dts, rks, dims, n,
                                 ctypes.byref(exe)), "compiling %s" % graph.name)
    comp = Compiled()
    comp.graph = graph
    comp.exe = exe.value
    comp.gen = c.generation
    comp.info = None
    return comp


def execute(comp, values, donate=()):
    """Runs a compiled graph on values (Arrays) followed by its hoisted
    Arrays; returns output Arrays. `donate`: indices of values whose Arrays
    are donated (jit's donate_argnums): their memory may become an output's,
    and they are deleted."""
    from ._array import Array
    g = comp.graph
    args = list(values) + g.hoisted
    hs = []
    for a in args:
        if not isinstance(a, Array):
            a = asarray_value(a)
        hs.append(a._ensure_handle())
    n_out = len(g.out_avals)
    handles = (ctypes.c_void_p * max(len(hs), 1))(*hs)
    outs = (ctypes.c_void_p * max(n_out, 1))()
    given = [i for i in sorted(set(donate))
             if i < len(values) and isinstance(values[i], Array) and hs.count(hs[i]) == 1]
    if given:
        mask = bytes(1 if i in given else 0 for i in range(len(hs)))
        _lib.check(_lib.lib().jet_ffi_execute_donate(comp.exe, handles, len(hs), mask, outs,
                                                     n_out), "executing %s" % g.name)
        for i in given:
            values[i].delete()
    else:
        _lib.check(_lib.lib().jet_ffi_execute(comp.exe, handles, len(hs), outs, n_out),
                   "executing %s" % g.name)
    return [Array._from_handle(outs[i], a) for i, a in enumerate(g.out_avals)]


def run_staged(cache, key, name, values, emit):
    """Runs emit(trace, tracers) -> (flat outputs, info) over `values`:
    inside a trace directly (info from this call); at top level inside a
    wrapper graph compiled once per key. Returns (flat outputs, info)."""
    tr = _trace.current()
    if tr is not None:
        return emit(tr, list(values))
    comp = cache.get(key) if key is not None else None
    if comp is None or comp.gen != _client.generation():
        wt = _trace.Trace(name, [v._aval for v in values], "jit")
        with wt:
            outs, info = emit(wt, list(wt.in_tracers))
            graph = wt.finish(outs)
        comp = compile_graph(graph)
        comp.info = info
        if key is not None:
            cache[key] = comp
    return execute(comp, values), comp.info


def zeros_like_aval(aval):
    from ._core import bind
    z = np.zeros((), aval.dtype)
    if not aval.shape:
        return bind("convert_element_type", z, new_dtype=aval.dtype, weak_type=False)
    return bind("broadcast_in_dim", z, shape=aval.shape, broadcast_dimensions=())


def check_argnums(argnums, nargs, what):
    single = isinstance(argnums, (int, np.integer))
    nums = (int(argnums),) if single else tuple(int(a) for a in argnums)
    if not nums:
        raise ValueError("%s: argnums must not be empty" % what)
    out = []
    for a in nums:
        b = a + nargs if a < 0 else a
        if b < 0 or b >= nargs:
            raise TypeError("differentiating with respect to argnums=%s requires at least %d "
                            "positional arguments to be passed by the caller, but got only %d "
                            "positional arguments." % (argnums, (a if a >= 0 else -a - 1) + 1,
                                                       nargs))
        out.append(b)
    return single, tuple(out)


def flat_argnums(spans, nums):
    """Flat leaf indices of the positional arguments nums, and per argnum
    its (count, treedef)."""
    flat, groups = [], []
    for a in nums:
        s, e, td = spans[a]
        flat.extend(range(s, e))
        groups.append((e - s, td))
    return flat, groups


def regroup(leaves, groups, single):
    """Leaves (one per flat argnum leaf) back into argument structures."""
    out, pos = [], 0
    for cnt, td in groups:
        out.append(_pytree.tree_unflatten(td, leaves[pos:pos + cnt]))
        pos += cnt
    return out[0] if single else tuple(out)


def ints_text(v):
    return "[%s]" % ", ".join(str(int(x)) for x in v)


def check_float_inputs(values, flat, what, allow_int):
    if allow_int:
        return
    for i in flat:
        dt = values[i].dtype
        if dt.kind not in "f":
            raise TypeError("%s requires real- or complex-valued inputs (input dtype that is a "
                            "sub-dtype of np.inexact), but got %s. If you want to use Boolean- "
                            "or integer-valued inputs, use vjp or set allow_int to True."
                            % (what, dt.name))
