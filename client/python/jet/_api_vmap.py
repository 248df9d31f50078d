"""vmap (batching on jetd) and pmap (jetd runs one member per device, all
at once). Both bind their axis_name (with its size) for the collectives of
jet.lax while the mapped function is traced (_collective.bind_axis), and
send the transform (in_axes, out_axes, axis_size, axis_name; pmap also
devices) with the call node of the traced function."""
from . import _collective, _pytree, _stage
from ._core import ShapedArray


def _axis_text(axes):
    return "[%s]" % ", ".join("none" if a is None else str(int(a)) for a in axes)


def _in_axes_per_leaf(in_axes, args, kwargs, n_kw_leaves, what="vmap"):
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if isinstance(in_axes, tuple):
        if len(in_axes) != len(args):
            raise ValueError("%s in_axes must be an int, None, or a tuple of entries "
                             "corresponding to the positional arguments passed to the function, "
                             "but got len(in_axes)=%d, len(args)=%d"
                             % (what, len(in_axes), len(args)))
        per = []
        for ax, a in zip(in_axes, args):
            per.extend(_pytree.broadcast_prefix(ax, a))
    elif in_axes is None or isinstance(in_axes, int):
        per = [in_axes] * len(_pytree.tree_leaves(tuple(args)))
    else:
        raise TypeError("%s in_axes must be an int, None, or a tuple of entries corresponding "
                        "to the positional arguments passed to the function, but got %r"
                        % (what, in_axes))
    return per + [0] * n_kw_leaves


def _map_sizes(values, axes, axis_size, what):
    """Normalised axes (None or >= 0), the mapped size and the per-member
    avals; JAX's errors for a bad axis or inconsistent sizes."""
    norm, sizes = [], []
    for i, (v, ax) in enumerate(zip(values, axes)):
        if ax is None:
            norm.append(None)
            continue
        nd = len(v.shape)
        if not -nd <= ax < nd:
            raise ValueError("%s was requested to map its argument along axis %d, which "
                             "implies that its rank should be at least %d, but is only %d "
                             "(its shape is %s)" % (what, ax, (ax if ax >= 0 else -ax - 1) + 1,
                                                    nd, v.shape))
        a = ax + nd if ax < 0 else ax
        norm.append(a)
        sizes.append((i, a, v.shape[a], v))
    if not sizes and axis_size is None:
        raise ValueError("%s must have at least one non-None value in in_axes" % what)
    size_set = {s for _, _, s, _ in sizes}
    if axis_size is not None:
        size_set.add(int(axis_size))
    if len(size_set) > 1:
        lines = ["  * one axis had size %d: axis %d of argument %d of type %s;"
                 % (s, a, i, v.aval.str_short()) for i, a, s, v in sizes]
        raise ValueError("%s got inconsistent sizes for array axes to be mapped:\n" % what
                         + "\n".join(lines))
    n = size_set.pop()
    inner = []
    for v, a in zip(values, norm):
        shp = v.shape if a is None else v.shape[:a] + v.shape[a + 1:]
        inner.append(ShapedArray(shp, v.dtype, v.weak_type))
    return norm, n, inner


def _out_axes_per_leaf(out_axes, out_tree, what):
    oa = out_axes
    if isinstance(oa, list):
        oa = tuple(oa)
    if isinstance(oa, tuple) and out_tree.kind == "leaf":
        raise ValueError("%s out_axes %r does not match the output structure %r"
                         % (what, oa, out_tree))
    return _pytree.broadcast_prefix(
        oa, _pytree.tree_unflatten(out_tree, [0] * out_tree.num_leaves))


def vmap(f, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None):
    """Maps f over an axis of its arguments; the batching happens on jetd."""
    cache = _stage.new_cache()
    name = _stage.fn_name(f)

    def batched(*args, **kwargs):
        values, in_tree, _ = _stage.flatten_args(args, kwargs)
        n_kw = in_tree[1].num_leaves
        axes = _in_axes_per_leaf(in_axes, args, kwargs, n_kw)
        norm, n, inner = _map_sizes(values, axes, axis_size, "vmap")

        def emit(tr, vals):
            with _collective.bind_axis(axis_name, n):
                graph, out_tree = _stage.trace_function(f, name, in_tree, inner, "vmap")
            outs_per = _out_axes_per_leaf(out_axes, out_tree, "vmap")
            ia = list(norm) + [None] * len(graph.hoisted)
            opts = ["in_axes=%s" % _axis_text(ia), "out_axes=%s" % _axis_text(outs_per),
                    "axis_size=%d" % n]
            if axis_name is not None:
                opts.append('axis_name="%s"' % axis_name)
            tf = "[vmap(%s)]" % ", ".join(opts)
            res = tr.add_call(graph, list(vals) + graph.hoisted, tf,
                              [a.weak_type for a in graph.out_avals])
            return res, out_tree

        key = (in_tree, _stage.avals_key(values), tuple(norm), n, axis_name,
               _collective.env_key())
        outs, out_tree = _stage.run_staged(cache, key, "vmap_" + name, values, emit)
        return _pytree.tree_unflatten(out_tree, outs)

    return _stage_wrap(f, batched)


def _stage_wrap(f, fn):
    from ._api import _wrap
    return _wrap(f, fn)


def _device_ids(devices):
    if devices is None:
        return None
    ids = []
    for d in devices:
        i = getattr(d, "id", d)
        if isinstance(i, bool) or not isinstance(i, int) or i < 0:
            raise TypeError("pmap devices must be jet devices or non-negative device ids, "
                            "got %r" % (d,))
        ids.append(int(i))
    if len(set(ids)) != len(ids):
        raise ValueError("pmap devices must be distinct, got %r" % (ids,))
    return tuple(ids)


def _static_argnums(argnums, n_args):
    if isinstance(argnums, int):
        argnums = (argnums,)
    out = set()
    for a in argnums:
        a = int(a)
        if not -n_args <= a < n_args:
            raise ValueError("pmap static_broadcasted_argnums %d is out of range for %d "
                             "positional arguments" % (a, n_args))
        out.add(a % n_args)
    return out


def pmap(f, axis_name=None, in_axes=0, out_axes=0, static_broadcasted_argnums=(), devices=None,
         backend=None, axis_size=None, donate_argnums=()):
    """JAX's pmap: f runs once per member of the mapped axis, each member on
    its own jetd device (devices: jet devices or ids; default 0..n-1), all
    at once; collectives over axis_name (jax.lax.psum, ...) combine them.
    The mapped axis size may not exceed jet.device_count() (jetd's
    --devices). Static arguments are baked into the traced function (they
    must be hashable). Results come back stacked along out_axes."""
    cache = _stage.new_cache()
    name = _stage.fn_name(f)
    dev_ids = _device_ids(devices)

    def mapped(*args, **kwargs):
        statics = _static_argnums(static_broadcasted_argnums, len(args)) if args else set()
        if statics:
            fixed = {i: args[i] for i in statics}
            try:
                skey = tuple(sorted(fixed.items()))
                hash(skey)
            except TypeError:
                raise ValueError("Non-hashable static arguments are not supported. An error "
                                 "occurred while trying to hash an object of type %s"
                                 % ", ".join(type(v).__name__ for v in fixed.values()))
            dyn = [a for i, a in enumerate(args) if i not in statics]
            ia = in_axes
            if isinstance(ia, (list, tuple)):
                if len(ia) != len(args):
                    raise ValueError("pmap in_axes must be an int, None, or a tuple of entries "
                                     "corresponding to the positional arguments passed to the "
                                     "function, but got len(in_axes)=%d, len(args)=%d"
                                     % (len(ia), len(args)))
                ia = tuple(a for i, a in enumerate(ia) if i not in statics)

            def fn(*dargs, **kw):
                it = iter(dargs)
                full = [fixed[i] if i in fixed else next(it) for i in range(len(args))]
                return f(*full, **kw)
        else:
            skey, dyn, ia, fn = (), list(args), in_axes, f
        values, in_tree, _ = _stage.flatten_args(tuple(dyn), kwargs)
        n_kw = in_tree[1].num_leaves
        axes = _in_axes_per_leaf(ia, dyn, kwargs, n_kw, "pmap")
        norm, n, inner = _map_sizes(values, axes, axis_size, "pmap")
        if dev_ids is not None and len(dev_ids) != n:
            raise ValueError("Leading axis size of input to pmapped function must equal the "
                             "number of local devices passed to pmap. Got axis_size=%d, "
                             "num_local_devices=%d." % (n, len(dev_ids)))

        def emit(tr, vals):
            with _collective.bind_axis(axis_name, n):
                graph, out_tree = _stage.trace_function(fn, name, in_tree, inner, "pmap")
            outs_per = _out_axes_per_leaf(out_axes, out_tree, "pmap")
            ia_all = list(norm) + [None] * len(graph.hoisted)
            opts = ["in_axes=%s" % _axis_text(ia_all), "out_axes=%s" % _axis_text(outs_per),
                    "axis_size=%d" % n]
            if axis_name is not None:
                opts.append('axis_name="%s"' % axis_name)
            if dev_ids is not None:
                opts.append("devices=[%s]" % ", ".join(str(d) for d in dev_ids))
            tf = "[pmap(%s)]" % ", ".join(opts)
            res = tr.add_call(graph, list(vals) + graph.hoisted, tf,
                              [a.weak_type for a in graph.out_avals])
            return res, out_tree

        key = (in_tree, _stage.avals_key(values), tuple(norm), n, axis_name, dev_ids, skey,
               _collective.env_key())
        outs, out_tree = _stage.run_staged(cache, key, "pmap_" + name, values, emit)
        return _pytree.tree_unflatten(out_tree, outs)

    return _stage_wrap(f, mapped)
