"""Structured control flow of jet.lax: cond, switch, while_loop, fori_loop
and scan (JAX's signatures and semantics), re-exported by jet.lax.

Each function argument is traced into a sub-graph (a child Trace with the
carried / operand leaves as parameters). Values a function closes over
(tracers of an enclosing trace, concrete arrays) are hoisted by that trace;
they become the node's consts (cond: extra operands after the operands),
shared by all sub-graphs of one node: every sub-graph takes the union of
them, in one order, unused ones as ignored parameters. The node is added
to the current trace through the jet_ffi_cond / jet_ffi_while /
jet_ffi_scan builder calls (client/lib/ffi.c); at top level (eagerly) a
wrapper graph holding just that node is traced, compiled and run.
Transforms of the nodes (grad, jvp, vmap) are applied by jetd.
"""
import ctypes

import numpy as np

from . import _dtypes, _lib, _pytree, _stage, _trace, errors
from ._core import ShapedArray, asarray_value, bind
from ._value import Value

__all__ = ["cond", "switch", "while_loop", "fori_loop", "scan"]


def _u32(vals):
    return (ctypes.c_uint32 * max(len(vals), 1))(*vals)


def _builders(graphs):
    return (ctypes.c_void_p * max(len(graphs), 1))(*[g.builder for g in graphs])


def _graph_name(f, default):
    n = getattr(f, "__name__", "")
    return n if n.isidentifier() else default


# ---------------------------------------------------------------------------
# Leaf paths and type checks (messages like JAX's, naming the leaf)

def _leaf_paths(td, prefix=""):
    """keystr-like path of each leaf of treedef td: "[0]", "['w']", ".field"."""
    if td.kind == "leaf":
        return [prefix]
    if td.kind == "none":
        return []
    out = []
    for i, c in enumerate(td.children):
        if td.kind == "dict":
            key = "[%r]" % (td.aux[i],)
        elif td.kind == "namedtuple":
            key = ".%s" % td.aux._fields[i]
        else:
            key = "[%d]" % i
        out.extend(_leaf_paths(c, prefix + key))
    return out


def _short(a):
    return "%s[%s]" % (a.dtype.name, ",".join(str(d) for d in a.shape))


def _same_type(a, b):
    return a.shape == b.shape and a.dtype == b.dtype


def _type_diff(a, b):
    if a.shape != b.shape and a.dtype != b.dtype:
        return "the shapes and dtypes do not match"
    if a.shape != b.shape:
        return "the shapes do not match"
    return "the dtypes do not match"


def _check_carry(what, in_name, in_tree, in_avals, out_tree, out_avals):
    """Raises TypeError unless the output carry has the input's structure
    and types (weak types aside)."""
    if in_tree != out_tree:
        raise TypeError("%s output and input must have same type structure, got %r and %r."
                        % (what, out_tree, in_tree))
    for path, a, b in zip(_leaf_paths(in_tree), in_avals, out_avals):
        if not _same_type(a, b):
            raise TypeError(
                "%s output and input must have identical types: the input carry component "
                "%s%s has type %s but the corresponding output carry component has type %s, "
                "so %s." % (what, in_name, path, _short(a), _short(b), _type_diff(a, b)))


def _weak_fixes(in_avals, out_avals):
    """Per carry leaf, the dtype to convert a weakly typed init to when the
    body's output is of another dtype (JAX promotes weak inputs), or None."""
    fixes, any_fix = [], False
    for a, b in zip(in_avals, out_avals):
        if a.weak_type and a.shape == b.shape and a.dtype != b.dtype:
            fixes.append(_dtypes.result_type(a.dtype, b.dtype)
                         if b.weak_type else b.dtype)
            any_fix = True
        else:
            fixes.append(None)
    return fixes if any_fix else None


def _apply_fixes(values, fixes):
    return [v if dt is None else asarray_value(v, dtype=dt, weak=False)
            for v, dt in zip(values, fixes)]


# ---------------------------------------------------------------------------
# Tracing sub-graphs

def _values(leaves, what):
    return [_stage.to_value(x, what) for x in leaves]


def _trace_sub(fn, name, in_avals, what, opened):
    """Traces fn(in_tracers) -> pytree in a child trace (left open for
    finish, and appended to opened); returns (trace, output tracers, output
    treedef)."""
    tr = _trace.Trace(name, in_avals, what)
    with tr:
        opened.append(tr)
        out = fn(list(tr.in_tracers))
        leaves, tree = _pytree.tree_flatten(out)
        ts = []
        for i, x in enumerate(leaves):
            if not isinstance(x, (Value, np.ndarray, np.generic, bool, int, float)):
                raise TypeError("%s returned a value of type %s, which is not a valid jet type"
                                % (what, type(x).__name__))
            ts.append(tr.to_tracer(x))
    return tr, ts, tree


def _discard(traces):
    """Frees the builders of traces never finished (retraced or failed)."""
    L = _lib.lib()
    for t in traces:
        if t.b:
            L.jet_builder_destroy(t.b)
            t.b = None


def _common_consts(traces):
    """The hoisted values of all traces (each once, by identity)."""
    srcs, index = [], {}
    for tr in traces:
        for h in tr.hoisted:
            if id(h) not in index:
                index[id(h)] = len(srcs)
                srcs.append(h)
    return srcs, index


def _finish(tr, outs, srcs, index, n_in, consts_first):
    """Finishes tr with parameters (consts..., ins...) or (ins..., consts...),
    consts being srcs (those tr did not use are ignored parameters)."""
    pos = {index[id(h)]: k for k, h in enumerate(tr.hoisted)}
    cl = [("hoist", pos[j]) if j in pos else ("unused", srcs[j]._aval.strip_weak())
          for j in range(len(srcs))]
    il = [("in", i) for i in range(n_in)]
    return tr.finish(outs, cl + il if consts_first else il + cl)


def _staged(name, values, emit):
    """emit(trace, values, opened) in the current trace, or eagerly at top
    level; the sub-traces emit opened and did not finish are freed."""
    def run(tr, vals):
        opened = []
        try:
            return emit(tr, vals, opened), None
        finally:
            _discard(opened)
    outs, _ = _stage.run_staged({}, None, name, values, run)
    return outs


# ---------------------------------------------------------------------------
# cond / switch

def _scalar_pred(pred, what):
    p = _stage.to_value(pred, what)
    if p.shape != ():
        raise TypeError("Pred must be a scalar, got %r of shape %s." % (pred, p.shape))
    return p


def cond(pred, true_fun, false_fun, *operands, operand=None):
    """true_fun(*operands) if pred else false_fun(*operands), both traced.
    pred: a scalar boolean (a number is compared with 0)."""
    if operand is not None:
        if operands:
            raise TypeError("cond: pass the operands positionally, not also operand=")
        operands = (operand,)
    if not callable(true_fun) or not callable(false_fun):
        raise TypeError("true_fun and false_fun arguments should be callable.")
    p = _scalar_pred(pred, "cond predicate")
    if p.dtype != np.bool_:
        if p.dtype.kind not in "iu":
            raise TypeError("Pred type must be either boolean or number, got %s."
                            % p.dtype.name)
        p = bind("ne", p, asarray_value(0, dtype=p.dtype))
    return _branches(p, [false_fun, true_fun], operands, ("false_fun", "true_fun"))


def switch(index, branches, *operands, operand=None):
    """branches[clamp(index, 0, len(branches) - 1)](*operands), all traced."""
    if operand is not None:
        if operands:
            raise TypeError("switch: pass the operands positionally, not also operand=")
        operands = (operand,)
    branches = list(branches)
    if not branches:
        raise ValueError("Empty branch sequence")
    for b in branches:
        if not callable(b):
            raise TypeError("branches argument should be a sequence of callables.")
    i = _stage.to_value(index, "switch index")
    if i.shape != ():
        raise TypeError("Branch index must be scalar, got %r of shape %s." % (index, i.shape))
    if i.dtype.kind not in "iu":
        raise TypeError("Index type must be an integer, got %s." % i.dtype.name)
    if len(branches) == 1:
        return branches[0](*operands)
    if i.dtype != np.int32 or i.weak_type:
        i = asarray_value(i, dtype=np.int32, weak=False)
    return _branches(i, branches, operands, None)


def _branch_label(names, k):
    return names[k] if names else "branch %d" % k


def _branches(pred, fns, operands, names):
    leaves, op_tree = _pytree.tree_flatten(tuple(operands))
    vals = _values(leaves, "cond operand")
    n = len(vals)

    def emit(tr, vs, opened):
        in_avals = [v._aval for v in vs[1:]]
        subs = []
        for k, f in enumerate(fns):
            label = _branch_label(names, k)
            subs.append(_trace_sub(
                lambda ins, f=f: f(*_pytree.tree_unflatten(op_tree, ins)),
                _graph_name(f, "branch%d" % k), in_avals, label, opened))
        _check_branches(subs, names)
        srcs, index = _common_consts([s[0] for s in subs])
        graphs = [_finish(t, ts, srcs, index, n, False) for t, ts, _ in subs]
        weak = [all(s[1][i]._aval.weak_type for s in subs) for i in range(len(subs[0][1]))]
        if not weak:
            return [], subs[0][2]
        L = _lib.lib()

        def node(b, ids):
            return L.jet_ffi_cond(b, ids[0], _builders(graphs), len(graphs), _u32(ids[1:]),
                                  len(ids) - 1)
        return tr.add_node(node, list(vs) + srcs, weak), subs[0][2]

    box = {}

    def emit_flat(tr, vs, opened):
        outs, box["tree"] = emit(tr, vs, opened)
        return outs
    outs = _staged("cond", [pred] + vals, emit_flat)
    return _pytree.tree_unflatten(box["tree"], outs)


def _check_branches(subs, names):
    """Every branch's outputs must match the reference branch's (cond:
    true_fun, switch: branch 0) in structure and types."""
    r = len(subs) - 1 if names else 0
    _, ts0, tree0 = subs[r]
    for k in range(len(subs)):
        if k == r:
            continue
        _, ts, tree = subs[k]
        if names:
            what = "%s and %s output" % (names[r], names[k])
        else:
            what = "branch 0 and %d outputs" % k
        if tree != tree0:
            raise TypeError("%s must have same type structure, got %r and %r."
                            % (what, tree0, tree))
        for path, a, b in zip(_leaf_paths(tree0), ts0, ts):
            if not _same_type(a._aval, b._aval):
                raise TypeError(
                    "%s must have identical types: the output%s has type %s in %s and %s in "
                    "%s, so %s." % (what, path and " " + path, _short(a._aval),
                                    _branch_label(names, r), _short(b._aval),
                                    _branch_label(names, k), _type_diff(a._aval, b._aval)))


# ---------------------------------------------------------------------------
# while_loop

def while_loop(cond_fun, body_fun, init_val):
    """Repeats val = body_fun(val) while cond_fun(val); returns val.
    Forward-mode differentiable; reverse mode is refused (as in JAX)."""
    if not callable(cond_fun) or not callable(body_fun):
        raise TypeError("cond_fun and body_fun arguments to while_loop must be callable.")
    leaves, tree = _pytree.tree_flatten(init_val)
    vals = _values(leaves, "while_loop init_val")

    def emit(tr, vs, opened):
        for attempt in range(2):
            avals = [v._aval for v in vs]
            body = _trace_sub(lambda ins: body_fun(_pytree.tree_unflatten(tree, ins)),
                              _graph_name(body_fun, "body_fun"), avals, "body_fun", opened)
            out_avals = [t._aval for t in body[1]]
            fixes = _weak_fixes(avals, out_avals) if body[2] == tree else None
            if fixes is None or attempt:
                break
            vs = _apply_fixes(vs, fixes)
        _check_carry("body_fun", "init_val", tree, avals, body[2], out_avals)
        cnd = _trace_sub(lambda ins: cond_fun(_pytree.tree_unflatten(tree, ins)),
                         _graph_name(cond_fun, "cond_fun"), avals, "cond_fun", opened)
        c_avals = [t._aval for t in cnd[1]]
        if cnd[2].kind != "leaf" or c_avals[0].shape != () or c_avals[0].dtype != np.bool_:
            raise TypeError("cond_fun must return a boolean scalar, but got output type(s) %s."
                            % [ShapedArray(a.shape, a.dtype, a.weak_type) for a in c_avals])
        srcs, index = _common_consts([cnd[0], body[0]])
        n = len(vs)
        cg = _finish(cnd[0], cnd[1], srcs, index, n, True)
        bg = _finish(body[0], body[1], srcs, index, n, True)
        if n == 0:
            return []
        L = _lib.lib()
        nc = len(srcs)

        def node(b, ids):
            return L.jet_ffi_while(b, cg.builder, bg.builder, _u32(ids[:nc]), nc,
                                   _u32(ids[nc:]), len(ids) - nc)
        return tr.add_node(node, srcs + list(vs), [a.weak_type for a in avals])

    outs = _staged("while_loop", vals, emit)
    return _pytree.tree_unflatten(tree, outs)


# ---------------------------------------------------------------------------
# scan

def scan(f, init, xs=None, length=None, reverse=False, unroll=1, _split_transpose=False):
    """carry, ys = scan(f, init, xs): for each i, (carry, y) = f(carry, xs[i])
    (i descending when reverse), ys stacking the y's. xs=None with length
    scans length times over x=None."""
    if not callable(f):
        raise TypeError("scan: f argument should be a callable.")
    c_leaves, c_tree = _pytree.tree_flatten(init)
    x_leaves, x_tree = _pytree.tree_flatten(xs)
    cvals = _values(c_leaves, "scan init")
    xvals = _values(x_leaves, "scan xs")
    for v in xvals:
        if v.shape == ():
            raise ValueError("scan got value with no leading axis to scan over: %s."
                             % _short(v._aval))
    sizes = sorted({v.shape[0] for v in xvals})
    if length is not None:
        try:
            length = int(length)
        except TypeError:
            raise errors.ConcretizationTypeError(
                "scan: length must be a concrete Python int, got %r" % (length,)) from None
        if sizes and sizes != [length]:
            raise ValueError("scan got `length` argument of %d which disagrees with leading "
                             "axis sizes %s." % (length, [v.shape[0] for v in xvals]))
    elif not sizes:
        raise ValueError("scan got no values to scan over and `length` not provided.")
    elif len(sizes) > 1:
        paths = _leaf_paths(x_tree)
        raise ValueError("scan got values with different leading axis sizes: %s."
                         % ", ".join("xs%s.shape[0]=%d" % (p, v.shape[0])
                                     for p, v in zip(paths, xvals)))
    else:
        length = sizes[0]
    if length < 0:
        raise ValueError("scan: length must be non-negative, got %d" % length)
    x_avals = [ShapedArray(v.shape[1:], v.dtype, v.weak_type) for v in xvals]
    nc, nx = len(cvals), len(xvals)
    box = {}

    def body(ins):
        carry = _pytree.tree_unflatten(c_tree, ins[:nc])
        x = _pytree.tree_unflatten(x_tree, ins[nc:])
        out = f(carry, x)
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TypeError("scan body output must be a pair, got %s."
                            % (_pytree.tree_structure(out),))
        return tuple(out)

    def emit(tr, vs, opened):
        cv = list(vs[:nc])
        for attempt in range(2):
            c_avals = [v._aval for v in cv]
            sub = _trace_sub(body, _graph_name(f, "scan_body"), c_avals + x_avals, "scan body",
                             opened)
            out_tree = sub[2]
            oc_tree, y_tree = out_tree.children
            oc = [t._aval for t in sub[1][:oc_tree.num_leaves]]
            fixes = _weak_fixes(c_avals, oc) if oc_tree == c_tree else None
            if fixes is None or attempt:
                break
            cv = _apply_fixes(cv, fixes)
        _check_carry("scan body function carry", "carry", c_tree, c_avals, oc_tree, oc)
        ys_avals = [t._aval for t in sub[1][nc:]]
        box["y_tree"] = y_tree
        srcs, index = _common_consts([sub[0]])
        g = _finish(sub[0], sub[1], srcs, index, nc + nx, True)
        if nc + len(ys_avals) == 0:
            return []
        L = _lib.lib()
        nk = len(srcs)

        def node(b, ids):
            return L.jet_ffi_scan(b, g.builder, _u32(ids[:nk]), nk, _u32(ids[nk:nk + nc]), nc,
                                  _u32(ids[nk + nc:]), nx, length, 1 if reverse else 0)
        weak = [a.weak_type for a in c_avals] + [a.weak_type for a in ys_avals]
        return tr.add_node(node, srcs + cv + list(vs[nc:]), weak)

    outs = _staged("scan", cvals + xvals, emit)
    y_tree = box["y_tree"]
    if not outs and y_tree.num_leaves:
        raise errors.JetError("INTERNAL", "scan produced no results")
    carry = _pytree.tree_unflatten(c_tree, outs[:nc])
    ys = _pytree.tree_unflatten(y_tree, outs[nc:]) if outs else _pytree.tree_unflatten(
        y_tree, [])
    return carry, ys


# ---------------------------------------------------------------------------
# fori_loop

def _concrete_int(x):
    """x as a Python int when it is concrete, else None."""
    if isinstance(x, (bool, np.bool_)):
        return None
    if isinstance(x, (int, np.integer)):
        return int(x)
    if isinstance(x, Value) and not isinstance(x, _trace.Tracer) and x.shape == () \
            and x.dtype.kind in "iu":
        return int(np.asarray(x))
    return None


def fori_loop(lower, upper, body_fun, init_val, unroll=None):
    """val = body_fun(i, val) for i in range(lower, upper); returns val.
    Concrete bounds lower to a scan of upper - lower steps (reverse-mode
    differentiable), traced bounds to a while_loop (as in JAX)."""
    if not callable(body_fun):
        raise TypeError("fori_loop: body_fun argument should be a callable.")
    lo, hi = _concrete_int(lower), _concrete_int(upper)
    if lo is not None and hi is not None:
        i0 = asarray_value(lower) if isinstance(lower, Value) else asarray_value(
            lo, dtype=_bound_dtype(lower, upper), weak=isinstance(lower, int))

        def step(carry, _):
            i, x = carry
            return (i + 1, body_fun(i, x)), None
        (_, result), _ = scan(step, (i0, init_val), None, length=max(hi - lo, 0))
        return result
    lv = _stage.to_value(lower, "fori_loop lower")
    uv = _stage.to_value(upper, "fori_loop upper")
    for v, nm in ((lv, "lower"), (uv, "upper")):
        if v.shape != () or v.dtype.kind not in "iu":
            raise TypeError("fori_loop %s bound must be an integer scalar, got %s"
                            % (nm, _short(v._aval)))
    dt = _dtypes.result_type(lv, uv)
    lv = asarray_value(lv, dtype=dt, weak=False)
    uv = asarray_value(uv, dtype=dt, weak=False)

    def cond_fun(carry):
        return carry[0] < uv

    def body(carry):
        i, x = carry
        return i + 1, body_fun(i, x)
    return while_loop(cond_fun, body, (lv, init_val))[1]


def _bound_dtype(lower, upper):
    dts = [np.dtype(x.dtype) for x in (lower, upper) if isinstance(x, (np.integer, Value))]
    return _dtypes.canonicalize(dts[0]) if dts else np.dtype(np.int32)
