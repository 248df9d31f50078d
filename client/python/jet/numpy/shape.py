"""Shape manipulation: reshape, ravel, transpose, swapaxes, moveaxis,
squeeze, expand_dims, broadcast_to, concatenate, stack, split, tile, repeat,
flip, roll, pad, tril/triu, diagonal, atleast_*d."""
import builtins

import numpy as np

from jet.numpy import _util as U
from jet.numpy._util import bind

__all__ = [
    "reshape", "ravel", "transpose", "permute_dims", "swapaxes", "moveaxis", "squeeze",
    "expand_dims", "broadcast_to", "broadcast_arrays", "broadcast_shapes", "concatenate",
    "concat", "stack", "hstack", "vstack", "dstack", "column_stack", "split", "array_split",
    "hsplit", "vsplit", "dsplit", "tile", "repeat", "flip", "fliplr", "flipud", "rot90", "roll",
    "pad", "tril", "triu", "diagonal", "diag", "trace", "atleast_1d", "atleast_2d",
    "atleast_3d", "shape", "ndim", "size",
]


def shape(a):
    return U.shape_of(a)


def ndim(a):
    return len(U.shape_of(a))


def size(a, axis=None):
    s = U.shape_of(a)
    if axis is None:
        return U.prod(s)
    return s[U.norm_axis(axis, len(s))]


def _newshape(size_, newshape, old):
    if isinstance(newshape, (int, np.integer)) or (U.is_value(newshape)):
        newshape = (newshape,)
    ns = [U.index_int(d, "shape entry") for d in newshape]
    neg = [i for i, d in enumerate(ns) if d == -1]
    if len(neg) > 1:
        raise ValueError("reshape: can only specify one unknown dimension (-1), got %s"
                         % (tuple(ns),))
    for d in ns:
        if d < -1:
            raise ValueError("reshape: invalid dimension %d in new shape %s" % (d, tuple(ns)))
    if neg:
        known = U.prod(d for d in ns if d != -1)
        if known == 0 or size_ % known:
            raise TypeError("cannot reshape array of shape %s (size %d) into shape %s"
                            % (old, size_, tuple(ns)))
        ns[neg[0]] = size_ // known
    if U.prod(ns) != size_:
        raise TypeError("cannot reshape array of shape %s (size %d) into shape %s (size %d)"
                        % (old, size_, tuple(ns), U.prod(ns)))
    return tuple(ns)


def reshape(a, newshape=None, order="C", *, shape=None):
    if shape is not None:
        newshape = shape
    if newshape is None:
        raise TypeError("reshape: a new shape is required")
    if order != "C":
        raise ValueError("jet.numpy.reshape supports only order='C', got %r" % (order,))
    x = U.asval(a)
    ns = _newshape(U.prod(x.shape), newshape, tuple(x.shape))
    if ns == tuple(x.shape):
        return x
    return bind("reshape", x, new_sizes=ns)


def ravel(a, order="C"):
    x = U.asval(a)
    return reshape(x, (U.prod(x.shape),), order)


def transpose(a, axes=None):
    x = U.asval(a)
    nd = len(x.shape)
    if axes is None:
        perm = tuple(range(nd))[::-1]
    else:
        if len(axes) != nd:
            raise ValueError("transpose: axes %s do not match an array of dimension %d"
                             % (tuple(axes), nd))
        perm = tuple(U.norm_axis(ax, nd) for ax in axes)
        if sorted(perm) != list(range(nd)):
            raise ValueError("transpose: repeated axis in axes %s" % (tuple(axes),))
    if perm == tuple(range(nd)):
        return x
    return bind("transpose", x, permutation=perm)


def permute_dims(a, axes):
    return transpose(a, axes)


def swapaxes(a, axis1, axis2):
    x = U.asval(a)
    nd = len(x.shape)
    a1, a2 = U.norm_axis(axis1, nd), U.norm_axis(axis2, nd)
    perm = list(range(nd))
    perm[a1], perm[a2] = perm[a2], perm[a1]
    return transpose(x, perm)


def moveaxis(a, source, destination):
    x = U.asval(a)
    nd = len(x.shape)
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    if len(src) != len(dst):
        raise ValueError("moveaxis: source and destination must have the same number of "
                         "elements")
    src = [U.norm_axis(s, nd, "source") for s in src]
    dst = [U.norm_axis(d, nd, "destination") for d in dst]
    order = [n for n in range(nd) if n not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def squeeze(a, axis=None):
    x = U.asval(a)
    nd = len(x.shape)
    if axis is None:
        dims = tuple(i for i, d in enumerate(x.shape) if d == 1)
    else:
        dims = U.norm_axes(axis, nd)
        for d in dims:
            if x.shape[d] != 1:
                raise ValueError("cannot select an axis to squeeze out which has size not equal "
                                 "to one, got shape=%s and dimensions=%s"
                                 % (tuple(x.shape), dims))
    if not dims:
        return x
    return bind("squeeze", x, dimensions=dims)


def expand_dims(a, axis):
    x = U.asval(a)
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    out_nd = len(x.shape) + len(axes)
    dims = U.norm_axes(tuple(axes), out_nd)
    new = []
    it = iter(x.shape)
    for i in range(out_nd):
        new.append(1 if i in dims else next(it))
    return bind("reshape", x, new_sizes=tuple(new))


def broadcast_to(array, shape):
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    return U.broadcast_to(U.asval(array), tuple(shape))


def broadcast_shapes(*shapes):
    return U.broadcast_shapes(*[(s,) if isinstance(s, int) else s for s in shapes])


def broadcast_arrays(*args):
    vals = [U.asval(a) for a in args]
    shp = U.broadcast_shapes(*[v.shape for v in vals])
    return [U.broadcast_to(v, shp) for v in vals]


def concatenate(arrays, axis=0, dtype=None):
    if U.is_value(arrays):
        arrays = [arrays[i] for i in range(arrays.shape[0])]
    arrays = list(arrays)
    if not arrays:
        raise ValueError("Need at least one array to concatenate.")
    vals = U.promote(*arrays) if dtype is None else [U.asval(a, dtype) for a in arrays]
    if axis is None:
        vals = [ravel(v) for v in vals]
        axis = 0
    nd = len(vals[0].shape)
    if nd == 0:
        raise ValueError("Zero-dimensional arrays cannot be concatenated.")
    ax = U.norm_axis(axis, nd)
    for i, v in enumerate(vals):
        if len(v.shape) != nd:
            raise ValueError("Cannot concatenate arrays with different numbers of dimensions: "
                             "got %s and %s (array %d)" % (tuple(vals[0].shape), tuple(v.shape), i))
        for d in range(nd):
            if d != ax and v.shape[d] != vals[0].shape[d]:
                raise ValueError("Cannot concatenate arrays with shapes that differ in dimensions "
                                 "other than the one being concatenated: concatenating along "
                                 "dimension %d for shapes %s" % (ax, ", ".join(
                                     str(tuple(w.shape)) for w in vals)))
    if len(vals) == 1:
        return vals[0]
    return bind("concatenate", *vals, dimension=ax)


concat = concatenate


def stack(arrays, axis=0, dtype=None):
    if U.is_value(arrays):
        arrays = [arrays[i] for i in range(arrays.shape[0])]
    arrays = list(arrays)
    if not arrays:
        raise ValueError("Need at least one array to stack.")
    vals = U.promote(*arrays) if dtype is None else [U.asval(a, dtype) for a in arrays]
    shp = tuple(vals[0].shape)
    for v in vals:
        if tuple(v.shape) != shp:
            raise ValueError("All input arrays must have the same shape: got %s"
                             % ", ".join(str(tuple(w.shape)) for w in vals))
    ax = U.norm_axis(axis, len(shp) + 1)
    vals = [expand_dims(v, ax) for v in vals]
    return concatenate(vals, axis=ax)


def atleast_1d(*arys):
    out = [U.asval(a) if len(U.asval(a).shape) >= 1 else reshape(a, (1,)) for a in arys]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arys):
    out = []
    for a in arys:
        x = U.asval(a)
        if len(x.shape) == 0:
            x = reshape(x, (1, 1))
        elif len(x.shape) == 1:
            x = expand_dims(x, 0)
        out.append(x)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arys):
    out = []
    for a in arys:
        x = U.asval(a)
        if len(x.shape) == 0:
            x = reshape(x, (1, 1, 1))
        elif len(x.shape) == 1:
            x = reshape(x, (1, x.shape[0], 1))
        elif len(x.shape) == 2:
            x = expand_dims(x, 2)
        out.append(x)
    return out[0] if len(out) == 1 else out


def hstack(tup, dtype=None):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if len(arrs[0].shape) == 1 else 1, dtype=dtype)


def vstack(tup, dtype=None):
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype)


def dstack(tup, dtype=None):
    return concatenate([atleast_3d(a) for a in tup], axis=2, dtype=dtype)


def column_stack(tup):
    arrs = []
    for a in tup:
        x = U.asval(a)
        if len(x.shape) < 2:
            x = reshape(x, (-1, 1))
        arrs.append(x)
    return concatenate(arrs, axis=1)


def _slice_axis(x, ax, start, stop):
    nd = len(x.shape)
    st = [0] * nd
    lim = list(x.shape)
    st[ax] = start
    lim[ax] = stop
    if start == 0 and stop == x.shape[ax]:
        return x
    return bind("slice", x, start_indices=tuple(st), limit_indices=tuple(lim),
                strides=(1,) * nd)


def _split(ary, indices_or_sections, axis, exact):
    x = U.asval(ary)
    ax = U.norm_axis(axis, len(x.shape))
    n = x.shape[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError("number of sections must be larger than 0.")
        if exact and n % k:
            raise ValueError("array split does not result in an equal division: axis of size %d "
                             "into %d sections" % (n, k))
        q, r = builtins.divmod(n, k)
        bounds = [0]
        for i in range(k):
            bounds.append(bounds[-1] + q + (1 if i < r else 0))
    else:
        idx = [U.index_int(i, "split index") for i in indices_or_sections]
        bounds = [0] + [builtins.min(builtins.max(i + n if i < 0 else i, 0), n) for i in idx] + [n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:]):
        hi = builtins.max(lo, hi)
        out.append(_slice_axis(x, ax, lo, hi))
    return out


def split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, True)


def array_split(ary, indices_or_sections, axis=0):
    return _split(ary, indices_or_sections, axis, False)


def hsplit(ary, indices_or_sections):
    x = U.asval(ary)
    return split(x, indices_or_sections, axis=0 if len(x.shape) == 1 else 1)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=2)


def tile(A, reps):
    x = U.asval(A)
    reps = (reps,) if isinstance(reps, (int, np.integer)) else tuple(reps)
    reps = tuple(U.index_int(r, "reps entry") for r in reps)
    nd = builtins.max(len(reps), len(x.shape))
    reps = (1,) * (nd - len(reps)) + reps
    x = reshape(x, (1,) * (nd - len(x.shape)) + tuple(x.shape))
    # broadcast to (r0, s0, r1, s1, ...) then merge pairs
    bshape = []
    bdims = []
    for i in range(nd):
        bshape += [reps[i], x.shape[i]]
        bdims.append(2 * i + 1)
    y = bind("broadcast_in_dim", x, shape=tuple(bshape), broadcast_dimensions=tuple(bdims))
    return bind("reshape", y, new_sizes=tuple(reps[i] * x.shape[i] for i in range(nd)))


def repeat(a, repeats, axis=None, total_repeat_length=None):
    x = U.asval(a)
    if axis is None:
        x = ravel(x)
        axis = 0
    ax = U.norm_axis(axis, len(x.shape))
    n = x.shape[ax]
    if U.is_value(repeats):
        if not U.is_concrete(repeats):
            from jet import errors
            raise errors.ConcretizationTypeError(
                "repeat: 'repeats' must be concrete (the output shape depends on it); pass a "
                "Python int or a numpy array, or give total_repeat_length")
        repeats = np.asarray(repeats)
    r = np.asarray(repeats)
    if r.ndim == 0 or r.size == 1:
        k = int(r.reshape(()))
        if k < 0:
            raise ValueError("repeat: negative repeats %d" % k)
        shp = list(x.shape)
        bshape = shp[:ax + 1] + [k] + shp[ax + 1:]
        bdims = tuple(i if i <= ax else i + 1 for i in range(len(shp)))
        y = bind("broadcast_in_dim", x, shape=tuple(bshape), broadcast_dimensions=bdims)
        shp[ax] = n * k
        return bind("reshape", y, new_sizes=tuple(shp))
    if r.shape != (n,):
        raise ValueError("repeat: repeats of shape %s do not match axis %d of size %d"
                         % (r.shape, ax, n))
    if (r < 0).any():
        raise ValueError("repeat: repeats may not contain negative values")
    idx = np.repeat(np.arange(n, dtype=np.int32), r.astype(np.int64))
    if total_repeat_length is not None:
        t = int(total_repeat_length)
        if idx.size >= t:
            idx = idx[:t]
        else:
            idx = np.concatenate([idx, np.full(t - idx.size, n - 1 if n else 0, np.int32)])
    from jet.numpy import indexing as I
    return I.take(x, idx, axis=ax)


def flip(m, axis=None):
    x = U.asval(m)
    dims = U.norm_axes(axis, len(x.shape))
    if not dims:
        return x
    return bind("rev", x, dimensions=dims)


def fliplr(m):
    return flip(m, 1)


def flipud(m):
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    x = U.asval(m)
    k = int(k) % 4
    a0, a1 = axes
    if k == 0:
        return x
    if k == 2:
        return flip(flip(x, a0), a1)
    perm = list(range(len(x.shape)))
    a0n, a1n = U.norm_axis(a0, len(perm)), U.norm_axis(a1, len(perm))
    perm[a0n], perm[a1n] = perm[a1n], perm[a0n]
    if k == 1:
        return transpose(flip(x, a1), perm)
    return flip(transpose(x, perm), a1)


def roll(a, shift, axis=None):
    x = U.asval(a)
    if axis is None:
        return reshape(roll(ravel(x), shift, 0), tuple(x.shape))
    shifts = (shift,) if isinstance(shift, (int, np.integer)) else tuple(shift)
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    if len(axes) == 1 and len(shifts) > 1:
        axes = axes * len(shifts)
    if len(shifts) != len(axes):
        raise ValueError("roll: 'shift' and 'axis' must have the same length")
    for s, ax in zip(shifts, axes):
        ax = U.norm_axis(ax, len(x.shape))
        n = x.shape[ax]
        if n == 0:
            continue
        s = int(s) % n
        if s == 0:
            continue
        x = concatenate([_slice_axis(x, ax, n - s, n), _slice_axis(x, ax, 0, n - s)], axis=ax)
    return x


def _pad_widths(pad_width, nd):
    pw = np.asarray(pad_width, dtype=np.int64) if not isinstance(pad_width, int) else \
        np.asarray(pad_width)
    if pw.ndim == 0:
        pw = np.broadcast_to(pw, (nd, 2))
    elif pw.ndim == 1:
        if pw.shape[0] == 1:
            pw = np.broadcast_to(pw, (nd, 2))
        elif pw.shape[0] == 2:
            pw = np.broadcast_to(pw[None, :], (nd, 2))
        else:
            raise ValueError("pad: pad_width %s does not fit an array of dimension %d"
                             % (pad_width, nd))
    elif pw.ndim == 2:
        if pw.shape == (1, 2):
            pw = np.broadcast_to(pw, (nd, 2))
        elif pw.shape == (nd, 1):
            pw = np.broadcast_to(pw, (nd, 2))
        elif pw.shape != (nd, 2):
            raise ValueError("pad: pad_width of shape %s does not fit an array of dimension %d"
                             % (pw.shape, nd))
    else:
        raise ValueError("pad: pad_width must be at most 2-D")
    if (pw < 0).any():
        raise ValueError("pad: index can't contain negative values, got %s" % (pad_width,))
    return [(int(lo), int(hi)) for lo, hi in pw]


def pad(array, pad_width, mode="constant", constant_values=0, **kwargs):
    x = U.asval(array)
    nd = len(x.shape)
    pw = _pad_widths(pad_width, nd)
    if mode == "constant":
        cv = np.asarray(constant_values)
        if cv.ndim == 0 and not U.is_value(constant_values):
            cfg = []
            for lo, hi in pw:
                cfg += [lo, hi, 0]
            val = U.weak_scalar(cv.item(), x.dtype)
            return bind("pad", x, val, padding_config=tuple(cfg))
        if U.is_value(constant_values) and len(constant_values.shape) == 0:
            cfg = []
            for lo, hi in pw:
                cfg += [lo, hi, 0]
            return bind("pad", x, U.convert(constant_values, x.dtype), padding_config=tuple(cfg))
        cvs = _pad_widths_values(cv, nd)
        for ax in range(nd):
            lo, hi = pw[ax]
            cfg = [0] * (3 * nd)
            cfg[3 * ax] = lo
            x = bind("pad", x, U.weak_scalar(cvs[ax][0], x.dtype), padding_config=tuple(cfg))
            cfg = [0] * (3 * nd)
            cfg[3 * ax + 1] = hi
            x = bind("pad", x, U.weak_scalar(cvs[ax][1], x.dtype), padding_config=tuple(cfg))
        return x
    if mode not in ("edge", "wrap", "reflect", "symmetric"):
        raise ValueError("jet.numpy.pad: unsupported mode %r (supported: constant, edge, wrap, "
                         "reflect, symmetric)" % (mode,))
    for ax in range(nd):
        lo, hi = pw[ax]
        if lo == 0 and hi == 0:
            continue
        x = _pad_axis(x, ax, lo, hi, mode)
    return x


def _pad_widths_values(cv, nd):
    cv = np.asarray(cv)
    if cv.ndim == 0:
        return [(cv.item(), cv.item())] * nd
    if cv.ndim == 1 and cv.shape[0] == 2:
        return [(cv[0].item(), cv[1].item())] * nd
    cv = np.broadcast_to(cv, (nd, 2))
    return [(cv[i, 0].item(), cv[i, 1].item()) for i in range(nd)]


def _pad_axis(x, ax, lo, hi, mode):
    n = x.shape[ax]
    if n == 0:
        raise ValueError("pad: can't extend empty axis %d using mode %r" % (ax, mode))
    idx = np.arange(-lo, n + hi)
    if mode == "edge":
        src = np.clip(idx, 0, n - 1)
    elif mode == "wrap":
        src = np.mod(idx, n)
    elif mode == "reflect":
        if n == 1:
            src = np.zeros_like(idx)
        else:
            period = 2 * (n - 1)
            m = np.mod(idx, period)
            src = np.where(m < n, m, period - m)
    else:  # symmetric
        period = 2 * n
        m = np.mod(idx, period)
        src = np.where(m < n, m, period - 1 - m)
    from jet.numpy import indexing as I
    return I.take(x, src.astype(np.int32), axis=ax)


def _tri_mask(shape_rc, k, upper):
    from jet.numpy import creation as C
    r, c = shape_rc
    i = C.iota(np.int32, r, 0, (r, c))
    j = C.iota(np.int32, c, 1, (r, c))
    ik = bind("add", i, U.scalar(k, np.int32))
    return bind("ge", j, ik) if upper else bind("le", j, ik)


def tril(m, k=0):
    x = U.asval(m)
    if len(x.shape) < 2:
        raise ValueError("tril: input must have at least 2 dimensions, got shape %s"
                         % (tuple(x.shape),))
    mask = _tri_mask(x.shape[-2:], k, False)
    mask = U.broadcast_to(mask, tuple(x.shape))
    zero = bind("broadcast_in_dim", U.weak_scalar(0, x.dtype), shape=tuple(x.shape),
                broadcast_dimensions=())
    return bind("select", mask, x, zero)


def triu(m, k=0):
    x = U.asval(m)
    if len(x.shape) < 2:
        raise ValueError("triu: input must have at least 2 dimensions, got shape %s"
                         % (tuple(x.shape),))
    mask = _tri_mask(x.shape[-2:], k, True)
    mask = U.broadcast_to(mask, tuple(x.shape))
    zero = bind("broadcast_in_dim", U.weak_scalar(0, x.dtype), shape=tuple(x.shape),
                broadcast_dimensions=())
    return bind("select", mask, x, zero)


def diagonal(a, offset=0, axis1=0, axis2=1):
    x = U.asval(a)
    nd = len(x.shape)
    a1, a2 = U.norm_axis(axis1, nd), U.norm_axis(axis2, nd)
    if a1 == a2:
        raise ValueError("diagonal: axis1 and axis2 cannot be the same")
    x = moveaxis(x, (a1, a2), (-2, -1))
    r, c = x.shape[-2], x.shape[-1]
    if offset >= 0:
        n = builtins.max(0, builtins.min(r, c - offset))
        rows = np.arange(n)
        cols = rows + offset
    else:
        n = builtins.max(0, builtins.min(r + offset, c))
        cols = np.arange(n)
        rows = cols - offset
    from jet.numpy import indexing as I
    lead = (slice(None),) * (len(x.shape) - 2)
    return I.getitem(x, lead + (rows.astype(np.int32), cols.astype(np.int32)))


def diag(v, k=0):
    x = U.asval(v)
    if len(x.shape) == 1:
        n = x.shape[0] + builtins.abs(k)
        from jet.numpy import creation as C
        rows = np.arange(x.shape[0]) + builtins.max(-k, 0)
        cols = np.arange(x.shape[0]) + builtins.max(k, 0)
        from jet.numpy import indexing as I
        z = C.zeros((n, n), x.dtype)
        return I.at_set(z, (rows.astype(np.int32), cols.astype(np.int32)), x)
    if len(x.shape) == 2:
        return diagonal(x, k)
    raise ValueError("diag: input must be 1-D or 2-D, got shape %s" % (tuple(x.shape),))


def trace(a, offset=0, axis1=0, axis2=1, dtype=None):
    from jet.numpy import reductions as R
    return R.sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype)
