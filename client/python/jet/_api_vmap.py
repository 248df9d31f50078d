"""vmap (batching on jetd) and pmap (sent to jetd, which refuses it with
UNIMPLEMENTED until pmap exists there). Both bind their axis_name (with its
size) for the collectives of jet.lax while the mapped function is traced
(_collective.bind_axis)."""
from . import _collective, _pytree, _stage
from ._core import ShapedArray


def _axis_text(axes):
    return "[%s]" % ", ".join("none" if a is None else str(int(a)) for a in axes)


def _in_axes_per_leaf(in_axes, args, kwargs, n_kw_leaves):
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if isinstance(in_axes, tuple):
        if len(in_axes) != len(args):
            raise ValueError("vmap in_axes must be an int, None, or a tuple of entries "
                             "corresponding to the positional arguments passed to the function, "
                             "but got len(in_axes)=%d, len(args)=%d" % (len(in_axes), len(args)))
        per = []
        for ax, a in zip(in_axes, args):
            per.extend(_pytree.broadcast_prefix(ax, a))
    elif in_axes is None or isinstance(in_axes, int):
        per = [in_axes] * len(_pytree.tree_leaves(tuple(args)))
    else:
        raise TypeError("vmap in_axes must be an int, None, or a tuple of entries corresponding "
                        "to the positional arguments passed to the function, but got %r"
                        % (in_axes,))
    return per + [0] * n_kw_leaves


def vmap(f, in_axes=0, out_axes=0, axis_name=None, axis_size=None, spmd_axis_name=None):
    """Maps f over an axis of its arguments; the batching happens on jetd."""
    cache = _stage.new_cache()
    name = _stage.fn_name(f)

    def batched(*args, **kwargs):
        values, in_tree, _ = _stage.flatten_args(args, kwargs)
        n_kw = in_tree[1].num_leaves
        axes = _in_axes_per_leaf(in_axes, args, kwargs, n_kw)
        norm, sizes = [], []
        for i, (v, ax) in enumerate(zip(values, axes)):
            if ax is None:
                norm.append(None)
                continue
            nd = len(v.shape)
            if not -nd <= ax < nd:
                raise ValueError("vmap was requested to map its argument along axis %d, which "
                                 "implies that its rank should be at least %d, but is only %d "
                                 "(its shape is %s)" % (ax, (ax if ax >= 0 else -ax - 1) + 1,
                                                        nd, v.shape))
            a = ax + nd if ax < 0 else ax
            norm.append(a)
            sizes.append((i, a, v.shape[a], v))
        if not sizes and axis_size is None:
            raise ValueError("vmap must have at least one non-None value in in_axes")
        size_set = {s for _, _, s, _ in sizes}
        if axis_size is not None:
            size_set.add(int(axis_size))
        if len(size_set) > 1:
            lines = ["  * one axis had size %d: axis %d of argument %d of type %s;"
                     % (s, a, i, v.aval.str_short()) for i, a, s, v in sizes]
            raise ValueError("vmap got inconsistent sizes for array axes to be mapped:\n"
                             + "\n".join(lines))
        n = size_set.pop()
        inner = []
        for v, a in zip(values, norm):
            shp = v.shape if a is None else v.shape[:a] + v.shape[a + 1:]
            inner.append(ShapedArray(shp, v.dtype, v.weak_type))

        def emit(tr, vals):
            with _collective.bind_axis(axis_name, n):
                graph, out_tree = _stage.trace_function(f, name, in_tree, inner, "vmap")
            oa = out_axes
            if isinstance(oa, list):
                oa = tuple(oa)
            if isinstance(oa, tuple) and out_tree.kind == "leaf":
                raise ValueError("vmap out_axes %r does not match the output structure %r"
                                 % (oa, out_tree))
            outs_per = _pytree.broadcast_prefix(
                oa, _pytree.tree_unflatten(out_tree, [0] * out_tree.num_leaves))
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


def pmap(f, axis_name=None, in_axes=0, out_axes=0, static_broadcasted_argnums=(), devices=None,
         backend=None, axis_size=None, donate_argnums=()):
    """Sends pmap to jetd; the daemon answers UNIMPLEMENTED (raised as
    jet.errors.UnimplementedError, a NotImplementedError) until it has pmap."""
    name = _stage.fn_name(f)

    def mapped(*args, **kwargs):
        values, in_tree, _ = _stage.flatten_args(args, kwargs)
        inner = [ShapedArray(v.shape[1:], v.dtype, v.weak_type) if v.shape else v.aval
                 for v in values]

        def emit(tr, vals):
            size = next((v.shape[0] for v in values if v.shape), 1)
            with _collective.bind_axis(axis_name, size):
                graph, out_tree = _stage.trace_function(f, name, in_tree, inner, "pmap")
            opts = []
            if axis_name is not None:
                opts.append('axis_name="%s"' % axis_name)
            tf = "[pmap(%s)]" % ", ".join(opts)
            res = tr.add_call(graph, list(vals) + graph.hoisted, tf, False)
            return res, out_tree

        outs, out_tree = _stage.run_staged({}, None, "pmap_" + name, values, emit)
        return _pytree.tree_unflatten(out_tree, outs)

    return _stage_wrap(f, mapped)
