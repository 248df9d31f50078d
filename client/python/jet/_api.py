"""The transforms: jit, grad, value_and_grad, jvp, vjp, jacfwd, jacrev,
hessian, vmap, pmap. Each traces the function once per argument signature
into a graph and sends the transform to jetd: inside another trace as a
call node carrying the transform, at top level as a wrapper graph holding
that call, compiled once per signature and run on handles."""
import functools

import numpy as np

from . import _collective, _pytree, _stage, errors
from ._stage import clear_caches  # noqa: F401  (used by _core.clear_caches)
from ._value import Value


def block_until_ready(x):
    """Waits for every array of the pytree x (jet runs synchronously)."""
    return x


def _wrap(f, fn):
    try:
        functools.update_wrapper(fn, f)
    except (AttributeError, TypeError):
        pass
    return fn


# ---------------------------------------------------------------------------
# jit

def jit(f=None, static_argnums=(), static_argnames=(), donate_argnums=(), **unused):
    """Compiles f for each argument signature (pytree structure, avals,
    static arguments); the graph is cached client-side and server-side."""
    if f is None:
        return lambda g: jit(g, static_argnums, static_argnames, donate_argnums)
    if isinstance(static_argnums, int):
        static_argnums = (static_argnums,)
    if isinstance(static_argnames, str):
        static_argnames = (static_argnames,)
    static_argnums = tuple(static_argnums)
    cache = _stage.new_cache()
    inner_cache = {}
    name = _stage.fn_name(f)

    def jitted(*args, **kwargs):
        n = len(args)
        st_idx = tuple(sorted(i + n if i < 0 else i for i in static_argnums if -n <= i < n))
        statics = tuple(args[i] for i in st_idx)
        st_kw = tuple(sorted((k, kwargs[k]) for k in static_argnames if k in kwargs))
        try:
            hash((statics, st_kw))
        except TypeError:
            raise ValueError("Non-hashable static arguments are not supported: static "
                             "arguments of jit must be hashable (got %r)" % (statics,))
        dyn = [a for i, a in enumerate(args) if i not in st_idx]
        dkw = {k: v for k, v in kwargs.items() if k not in static_argnames}
        values, in_tree, spans = _stage.flatten_args(dyn, dkw)

        def body(*dargs, **dkwargs):
            full, it = [], iter(dargs)
            for i in range(n):
                full.append(args[i] if i in st_idx else next(it))
            kw = dict(dkwargs)
            kw.update(st_kw)
            return f(*full, **kw)

        key = (in_tree, _stage.avals_key(values), statics, st_kw, _collective.env_key())
        g = inner_cache.get(key)
        if g is None:
            g = _stage.trace_function(body, name, in_tree, [v._aval for v in values], "jit")
            if _stage.cacheable(g[0]):
                inner_cache[key] = g
        graph, out_tree = g
        from . import _trace
        tr = _trace.current()
        if tr is None:
            comp = cache.get(key)
            if comp is None:
                comp = _stage.compile_graph(graph)
                cache[key] = comp
            try:
                outs = _stage.execute(comp, values, _donated(donate_argnums, n, st_idx, spans))
            except errors.JetError:
                cache.pop(key, None)
                raise
        else:
            outs = tr.add_call(graph, list(values) + graph.hoisted, "",
                               [a.weak_type for a in graph.out_avals])
        return _pytree.tree_unflatten(out_tree, outs)

    jitted._cache_size = lambda: len(cache)
    return _wrap(f, jitted)


def _donated(donate_argnums, n, st_idx, spans):
    """Flat value indices of the positional arguments in donate_argnums."""
    if isinstance(donate_argnums, int):
        donate_argnums = (donate_argnums,)
    dyn_pos = [i for i in range(n) if i not in st_idx]
    flat = []
    for d in donate_argnums:
        d = d + n if d < 0 else d
        if d in dyn_pos:
            start, stop, _ = spans[dyn_pos.index(d)]
            flat.extend(range(start, stop))
    return flat


def make_jaxpr(f, static_argnums=()):
    """make_jaxpr(f)(*args) -> the traced graph's text form (a str)."""
    def mk(*args, **kwargs):
        values, in_tree, _ = _stage.flatten_args(args, kwargs)
        graph, _ = _stage.trace_function(f, _stage.fn_name(f), in_tree,
                                         [v._aval for v in values], "make_jaxpr")
        return graph.text()
    return _wrap(f, mk)


# ---------------------------------------------------------------------------
# grad family

def _diff(f, argnums, has_aux, kind, allow_int=False):
    """Shared body of grad / value_and_grad / jacfwd / jacrev / hessian."""
    cache = _stage.new_cache()
    name = _stage.fn_name(f)
    what = {"grad": "grad", "value_and_grad": "grad", "jacfwd": "jacfwd", "jacrev": "jacrev",
            "hessian": "hessian"}[kind]

    def run(*args, **kwargs):
        single, nums = _stage.check_argnums(argnums, len(args), what)
        values, in_tree, spans = _stage.flatten_args(args, kwargs)
        flat, groups = _stage.flat_argnums(spans, nums)
        if kind in ("grad", "value_and_grad", "jacrev", "hessian"):
            _stage.check_float_inputs(values, flat, what, allow_int)
        opts = ["argnums=%s" % _stage.ints_text(flat)]
        if len(flat) > 1 or not single:
            opts.append("argnums_tuple=true")
        if has_aux:
            opts.append("has_aux=true")
        if allow_int:
            opts.append("allow_int=true")
        tf = "[%s(%s)]" % (kind, ", ".join(opts))

        def emit(tr, vals):
            graph, out_tree = _stage.trace_function(f, name, in_tree, [v._aval for v in vals],
                                                    kind)
            _check_out(out_tree, graph, has_aux, kind)
            outs = tr.add_call(graph, list(vals) + graph.hoisted, tf, False)
            return outs, out_tree

        key = (in_tree, _stage.avals_key(values), _collective.env_key())
        outs, out_tree = _stage.run_staged(cache, key, "%s_%s" % (kind, name), values, emit)
        return _assemble(kind, outs, out_tree, groups, single, has_aux)

    return _wrap(f, run)


def _check_out(out_tree, graph, has_aux, kind):
    if has_aux:
        if out_tree.kind not in ("tuple", "list") or len(out_tree.children) != 2:
            raise TypeError("expected function with aux output to return a two-element tuple, "
                            "but got %r" % (out_tree,))
        main = out_tree.children[0]
    else:
        main = out_tree
    if kind in ("grad", "value_and_grad") or has_aux:
        if main.kind != "leaf":
            if kind in ("grad", "value_and_grad"):
                raise TypeError("Gradient only defined for scalar-output functions. Output was "
                                "%r (a pytree, not one array)." % (main,))
            raise NotImplementedError("%s with has_aux needs the differentiated output to be "
                                      "one array, got %r" % (kind, main))
    if kind in ("grad", "value_and_grad"):
        a = graph.out_avals[0]
        if a.shape != ():
            raise TypeError("Gradient only defined for scalar-output functions. Output had "
                            "shape: %s." % (a.shape,))
        if a.dtype.kind != "f":
            raise TypeError("grad requires real-valued outputs (output dtype that is a "
                            "sub-dtype of np.floating), but got %s. For differentiation of "
                            "functions with integer outputs, use jax.vjp directly."
                            % a.dtype.name)


def _aux_tree(out_tree, leaves):
    return _pytree.tree_unflatten(out_tree.children[1], leaves)


def _assemble(kind, outs, out_tree, groups, single, has_aux):
    n_flat = sum(c for c, _ in groups)
    if kind == "grad":
        g = _stage.regroup(outs[:n_flat], groups, single)
        return (g, _aux_tree(out_tree, outs[n_flat:])) if has_aux else g
    if kind == "value_and_grad":
        n_aux = out_tree.children[1].num_leaves if has_aux else 0
        value = outs[0]
        g = _stage.regroup(outs[1 + n_aux:], groups, single)
        if has_aux:
            return (value, _aux_tree(out_tree, outs[1:1 + n_aux])), g
        return value, g
    main = out_tree.children[0] if has_aux else out_tree
    n_out = main.num_leaves
    per = n_flat if kind != "hessian" else n_flat * n_flat
    res = []
    for k in range(n_out):
        block = outs[k * per:(k + 1) * per]
        if kind == "hessian":
            inner = [_stage.regroup(block[a * n_flat:(a + 1) * n_flat], groups, single)
                     for a in range(n_flat)]
            res.append(_stage.regroup(inner, groups, single))
        else:
            res.append(_stage.regroup(block, groups, single))
    jac = _pytree.tree_unflatten(main, res)
    if has_aux:
        return jac, _aux_tree(out_tree, outs[n_out * per:])
    return jac


def grad(f, argnums=0, has_aux=False, holomorphic=False, allow_int=False, reduce_axes=()):
    """The gradient of scalar-output f with respect to argnums."""
    return _diff(f, argnums, has_aux, "grad", allow_int)


def value_and_grad(f, argnums=0, has_aux=False, holomorphic=False, allow_int=False,
                   reduce_axes=()):
    return _diff(f, argnums, has_aux, "value_and_grad", allow_int)


def jacfwd(f, argnums=0, has_aux=False, holomorphic=False):
    return _diff(f, argnums, has_aux, "jacfwd")


def jacrev(f, argnums=0, has_aux=False, holomorphic=False, allow_int=False):
    return _diff(f, argnums, has_aux, "jacrev", allow_int)


jacobian = jacrev


def hessian(f, argnums=0, has_aux=False, holomorphic=False):
    return _diff(f, argnums, has_aux, "hessian")


from ._api_fwd import jvp, vjp, linearize  # noqa: E402,F401
from ._api_vmap import vmap, pmap  # noqa: E402,F401
