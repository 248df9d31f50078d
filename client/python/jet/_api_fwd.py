"""jvp and vjp: forward and reverse mode as transforms sent to jetd."""
from . import _collective, _pytree, _stage
from ._core import asarray_value


def _tangent_like(t, primal, what):
    v = _stage.to_value(t, what)
    if v.shape != primal.shape:
        raise ValueError("%s: primal and tangent arguments to jvp must have equal shapes; got "
                         "primal shape %s and tangent shape %s" % (what, primal.shape, v.shape))
    if v.dtype != primal.dtype:
        if v.weak_type or primal.dtype.kind != "f":
            return asarray_value(v, dtype=primal.dtype, weak=primal.weak_type)
        raise TypeError("primal and tangent arguments to jvp do not match; dtypes must be equal, "
                        "got %s and %s" % (primal.dtype.name, v.dtype.name))
    return v


def jvp(f, primals, tangents, has_aux=False):
    """(f(*primals), J(primals) @ tangents) [, aux]. primals and tangents are
    tuples/lists with the same structure."""
    if not isinstance(primals, (tuple, list)) or not isinstance(tangents, (tuple, list)):
        raise TypeError("primal and tangent arguments to jvp must be tuples or lists; found %s "
                        "and %s." % (type(primals).__name__, type(tangents).__name__))
    pl, ptree, _ = _stage.flatten_args(tuple(primals), {})
    tl, ttree = _pytree.tree_flatten(tuple(tangents))
    if ttree != _pytree.tree_structure(tuple(primals)):
        raise TypeError("primal and tangent arguments to jvp must have the same tree structure;"
                        " primals have tree structure %r whereas tangents have tree structure %r"
                        % (_pytree.tree_structure(tuple(primals)), ttree))
    tl = [_tangent_like(t, p, "tangent %d" % i) for i, (t, p) in enumerate(zip(tl, pl))]
    name = _stage.fn_name(f)
    n = len(pl)
    tf = "[jvp(has_aux=true)]" if has_aux else "[jvp()]"

    def emit(tr, vals):
        graph, out_tree = _stage.trace_function(f, name, ptree, [v._aval for v in vals[:n]],
                                                "jvp")
        if has_aux:
            _check_aux(out_tree)
        zeros = [_stage.zeros_like_aval(a) for a in graph.hoisted_avals]
        args = list(vals[:n]) + graph.hoisted + list(vals[n:]) + zeros
        outs = tr.add_call(graph, args, tf, False)
        return outs, out_tree

    outs, out_tree = _stage.run_staged({}, None, "jvp_" + name, pl + tl, emit)
    if has_aux:
        aux = _pytree.tree_unflatten(out_tree.children[1], outs[2:])
        return outs[0], outs[1], aux
    m = out_tree.num_leaves
    return (_pytree.tree_unflatten(out_tree, outs[:m]),
            _pytree.tree_unflatten(out_tree, outs[m:2 * m]))


def _check_aux(out_tree):
    if out_tree.kind not in ("tuple", "list") or len(out_tree.children) != 2:
        raise TypeError("expected function with aux output to return a two-element tuple, but "
                        "got %r" % (out_tree,))
    if out_tree.children[0].kind != "leaf":
        raise NotImplementedError("has_aux needs the differentiated output to be one array, "
                                  "got %r" % (out_tree.children[0],))


def vjp(f, *primals, has_aux=False):
    """(f(*primals), vjp_fn[, aux]); vjp_fn(cotangent) returns a tuple with
    one cotangent per primal."""
    pl, ptree, spans = _stage.flatten_args(primals, {})
    name = _stage.fn_name(f)
    n = len(pl)
    tf = "[vjp(has_aux=true)]" if has_aux else "[vjp()]"

    # The primal outputs (plain call of the traced graph).
    def emit_primal(tr, vals):
        graph, out_tree = _stage.trace_function(f, name, ptree, [v._aval for v in vals], "vjp")
        if has_aux:
            _check_aux(out_tree)
        outs = tr.add_call(graph, list(vals) + graph.hoisted, "",
                           [a.weak_type for a in graph.out_avals])
        return outs, (out_tree, graph.out_avals)

    outs, (out_tree, out_avals) = _stage.run_staged({}, None, "vjp_primal_" + name, pl,
                                                    emit_primal)
    n_diff = 1 if has_aux else out_tree.num_leaves
    cache = {}

    def vjp_fn(ct):
        if has_aux:
            ctl, cttree = _pytree.tree_flatten(ct)
            want = out_tree.children[0]
        else:
            ctl, cttree = _pytree.tree_flatten(ct)
            want = out_tree
        if cttree != want:
            raise TypeError("Tree structure of cotangent input %r does not match structure of "
                            "primal output %r." % (cttree, want))
        cts = []
        for i, (c, a) in enumerate(zip(ctl, out_avals[:n_diff])):
            v = _stage.to_value(c, "cotangent")
            if v.shape != a.shape:
                raise ValueError("Shape of cotangent input to vjp pullback function %s must be "
                                 "the same as the shape of corresponding primal input %s."
                                 % (v.shape, a.shape))
            if v.dtype != a.dtype:
                v = asarray_value(v, dtype=a.dtype)
            cts.append(v)

        def emit(tr, vals):
            graph, _ = _stage.trace_function(f, name, ptree, [v._aval for v in vals[:n]], "vjp")
            args = list(vals[:n]) + graph.hoisted + list(vals[n:])
            res = tr.add_call(graph, args, tf, False)
            n_outs = len(graph.out_avals)
            return res[n_outs:n_outs + n], None

        key = (_stage.avals_key(pl), _stage.avals_key(cts), _collective.env_key())
        res, _ = _stage.run_staged(cache, key, "vjp_" + name, pl + cts, emit)
        return tuple(_stage.regroup(res[s:e], [(e - s, td)], True) for s, e, td in spans)

    primal_out = _pytree.tree_unflatten(out_tree.children[0] if has_aux else out_tree,
                                        outs[:n_diff])
    if has_aux:
        return primal_out, vjp_fn, _pytree.tree_unflatten(out_tree.children[1], outs[1:])
    return primal_out, vjp_fn


def linearize(f, *primals):
    """(f(*primals), f_jvp) with f_jvp(*tangents) = jvp(f, primals, tangents)[1]."""
    out, _ = jvp(f, primals, primals)
    return out, lambda *tangents: jvp(f, primals, tangents)[1]
