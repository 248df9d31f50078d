"""Contractions: dot, matmul (batched, broadcasting), vdot, inner, outer,
tensordot, einsum (explicit or implicit subscripts, ellipsis) - all lowered
to dot_general plus transposes, reshapes and reductions."""
import numpy as np

from jet.numpy import _util as U
from jet.numpy._util import bind

__all__ = ["dot", "matmul", "vdot", "vecdot", "inner", "outer", "tensordot", "einsum", "kron",
           "cross"]


def _promote_dot(a, b, preferred_element_type=None):
    x, y = U.promote(a, b)
    out_dt = np.dtype(x.dtype)
    if U.is_bool(out_dt):
        x = U.convert(x, np.int32)
        y = U.convert(y, np.int32)
    return x, y, out_dt


def _finish(out, out_dt, preferred_element_type=None):
    if U.is_bool(out_dt):
        out = bind("ne", out, U.scalar(0, np.int32))
    if preferred_element_type is not None:
        out = U.convert(out, preferred_element_type)
    return out


def _dot_general(x, y, lc, rc, lb=(), rb=()):
    for i, j in zip(lc, rc):
        if x.shape[i] != y.shape[j]:
            raise TypeError(
                "dot_general requires contracting dimensions to have the same shape, got %s and "
                "%s (lhs shape %s, rhs shape %s)"
                % (tuple(x.shape[k] for k in lc), tuple(y.shape[k] for k in rc),
                   tuple(x.shape), tuple(y.shape)))
    for i, j in zip(lb, rb):
        if x.shape[i] != y.shape[j]:
            raise TypeError(
                "dot_general requires lhs batch dimensions and rhs batch dimensions to have the "
                "same shape, got %s and %s" % (tuple(x.shape[k] for k in lb),
                                               tuple(y.shape[k] for k in rb)))
    attrs = dict(lhs_contracting_dimensions=tuple(lc), rhs_contracting_dimensions=tuple(rc))
    if lb:
        attrs["lhs_batch_dimensions"] = tuple(lb)
        attrs["rhs_batch_dimensions"] = tuple(rb)
    return bind("dot_general", x, y, **attrs)


def dot(a, b, *, precision=None, preferred_element_type=None):
    x, y, dt = _promote_dot(a, b)
    if len(x.shape) == 0 or len(y.shape) == 0:
        from jet.numpy import elementwise as E
        out = E.multiply(x, y)
    else:
        rc = 0 if len(y.shape) == 1 else len(y.shape) - 2
        if x.shape[-1] != y.shape[rc]:
            raise TypeError("dot: shapes %s and %s not aligned: %d (dim %d) != %d (dim %d)"
                            % (tuple(x.shape), tuple(y.shape), x.shape[-1], len(x.shape) - 1,
                               y.shape[rc], rc))
        out = _dot_general(x, y, (len(x.shape) - 1,), (rc,))
    return _finish(out, dt, preferred_element_type)


def matmul(a, b, *, precision=None, preferred_element_type=None):
    x, y, dt = _promote_dot(a, b)
    if len(x.shape) == 0 or len(y.shape) == 0:
        raise ValueError("matmul: operands must not be scalars (got shapes %s and %s); use * "
                         "instead" % (tuple(x.shape), tuple(y.shape)))
    xv = len(x.shape) == 1
    yv = len(y.shape) == 1
    if xv:
        x = bind("reshape", x, new_sizes=(1, x.shape[0]))
    if yv:
        y = bind("reshape", y, new_sizes=(y.shape[0], 1))
    if x.shape[-1] != y.shape[-2]:
        raise ValueError("matmul: Input operand 1 has a mismatch in its core dimension 0 "
                         "(size %d is different from %d); shapes %s and %s"
                         % (y.shape[-2], x.shape[-1], tuple(U.shape_of(a)), tuple(U.shape_of(b))))
    xb, yb = tuple(x.shape[:-2]), tuple(y.shape[:-2])
    try:
        batch = U.broadcast_shapes(xb, yb)
    except ValueError:
        raise ValueError("matmul: batch dimensions %s and %s do not broadcast (shapes %s and %s)"
                         % (xb, yb, tuple(U.shape_of(a)), tuple(U.shape_of(b)))) from None
    nb = len(batch)
    if batch:
        x = U.broadcast_to(x, batch + tuple(x.shape[-2:]))
        y = U.broadcast_to(y, batch + tuple(y.shape[-2:]))
    out = _dot_general(x, y, (nb + 1,), (nb,), tuple(range(nb)), tuple(range(nb)))
    if xv and yv:
        out = bind("reshape", out, new_sizes=batch)
    elif xv:
        out = bind("reshape", out, new_sizes=batch + (out.shape[-1],))
    elif yv:
        out = bind("reshape", out, new_sizes=batch + (out.shape[-2],))
    return _finish(out, dt, preferred_element_type)


def vdot(a, b, *, precision=None, preferred_element_type=None):
    S = U.module("shape")
    x, y = S.ravel(U.asval(a)), S.ravel(U.asval(b))
    if x.shape[0] != y.shape[0]:
        raise ValueError("vdot: arrays of different sizes %d and %d" % (x.shape[0], y.shape[0]))
    return dot(x, y, preferred_element_type=preferred_element_type)


def vecdot(x1, x2, axis=-1):
    from jet.numpy import elementwise as E
    from jet.numpy import reductions as R
    return R.sum(E.multiply(x1, x2), axis=axis)


def inner(a, b, *, precision=None, preferred_element_type=None):
    x, y, dt = _promote_dot(a, b)
    if len(x.shape) == 0 or len(y.shape) == 0:
        from jet.numpy import elementwise as E
        return _finish(E.multiply(x, y), dt, preferred_element_type)
    if x.shape[-1] != y.shape[-1]:
        raise ValueError("inner: shapes %s and %s: last dimensions differ"
                         % (tuple(x.shape), tuple(y.shape)))
    out = _dot_general(x, y, (len(x.shape) - 1,), (len(y.shape) - 1,))
    return _finish(out, dt, preferred_element_type)


def outer(a, b, out=None):
    from jet.numpy import elementwise as E
    S = U.module("shape")
    x, y = S.ravel(U.asval(a)), S.ravel(U.asval(b))
    return E.multiply(bind("reshape", x, new_sizes=(x.shape[0], 1)),
                      bind("reshape", y, new_sizes=(1, y.shape[0])))


def tensordot(a, b, axes=2, *, precision=None, preferred_element_type=None):
    x, y, dt = _promote_dot(a, b)
    if isinstance(axes, (int, np.integer)):
        n = int(axes)
        if n < 0 or n > len(x.shape) or n > len(y.shape):
            raise TypeError("tensordot: axes=%d is out of range for shapes %s and %s"
                            % (n, tuple(x.shape), tuple(y.shape)))
        lc = tuple(range(len(x.shape) - n, len(x.shape)))
        rc = tuple(range(n))
    else:
        try:
            la, ra = axes
        except (TypeError, ValueError):
            raise TypeError("tensordot: axes must be an int or a pair of axis sequences, got %r"
                            % (axes,)) from None
        la = (la,) if isinstance(la, (int, np.integer)) else tuple(la)
        ra = (ra,) if isinstance(ra, (int, np.integer)) else tuple(ra)
        if len(la) != len(ra):
            raise TypeError("tensordot: axes sequences must have equal lengths, got %r" % (axes,))
        lc = tuple(U.norm_axis(i, len(x.shape)) for i in la)
        rc = tuple(U.norm_axis(i, len(y.shape)) for i in ra)
    out = _dot_general(x, y, lc, rc)
    return _finish(out, dt, preferred_element_type)


def kron(a, b):
    from jet.numpy import elementwise as E
    x, y = U.promote(a, b)
    nd = max(len(x.shape), len(y.shape))
    x = bind("reshape", x, new_sizes=(1,) * (nd - len(x.shape)) + tuple(x.shape))
    y = bind("reshape", y, new_sizes=(1,) * (nd - len(y.shape)) + tuple(y.shape))
    xs, ys = [], []
    for i in range(nd):
        xs += [x.shape[i], 1]
        ys += [1, y.shape[i]]
    p = E.multiply(bind("reshape", x, new_sizes=tuple(xs)), bind("reshape", y, new_sizes=tuple(ys)))
    return bind("reshape", p, new_sizes=tuple(x.shape[i] * y.shape[i] for i in range(nd)))


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    from jet.numpy import elementwise as E
    from jet.numpy import indexing as I
    S = U.module("shape")
    if axis is not None:
        axisa = axisb = axisc = axis
    x, y = U.promote(a, b)
    x = S.moveaxis(x, axisa, -1)
    y = S.moveaxis(y, axisb, -1)
    if x.shape[-1] != 3 or y.shape[-1] != 3:
        raise ValueError("cross: only 3-element vectors are supported, got shapes %s and %s"
                         % (tuple(x.shape), tuple(y.shape)))

    def c(v, i):
        return I.getitem(v, (Ellipsis, i))
    x0, x1, x2 = c(x, 0), c(x, 1), c(x, 2)
    y0, y1, y2 = c(y, 0), c(y, 1), c(y, 2)
    out = S.stack([E.subtract(E.multiply(x1, y2), E.multiply(x2, y1)),
                   E.subtract(E.multiply(x2, y0), E.multiply(x0, y2)),
                   E.subtract(E.multiply(x0, y1), E.multiply(x1, y0))], axis=-1)
    return S.moveaxis(out, -1, axisc)


# ---------------------------------------------------------------- einsum

_ELL_BASE = 0x3B1  # ellipsis dims get Greek letters as internal labels


def _parse_einsum(subscripts, ndims):
    s = subscripts.replace(" ", "")
    if "->" in s:
        lhs, out = s.split("->")
        explicit = True
    else:
        lhs, out, explicit = s, None, False
    ins = lhs.split(",")
    if len(ins) != len(ndims):
        raise ValueError("einsum: %d operands given but the subscripts %r name %d"
                         % (len(ndims), subscripts, len(ins)))
    n_ell = 0
    for sub, nd in zip(ins, ndims):
        named = len(sub.replace("...", ""))
        if "..." in sub:
            n_ell = max(n_ell, nd - named)
    ell = [chr(_ELL_BASE + i) for i in range(n_ell)]
    labels = []
    for k, (sub, nd) in enumerate(zip(ins, ndims)):
        for ch in sub.replace("...", ""):
            if not ch.isalpha():
                raise ValueError("einsum: invalid subscript character %r in %r" % (ch, subscripts))
        if "..." in sub:
            pre, post = sub.split("...")
            m = nd - len(pre) - len(post)
            if m < 0:
                raise ValueError("einsum: operand %d has %d dimensions, fewer than the subscripts "
                                 "%r name" % (k, nd, sub))
            labels.append(list(pre) + ell[n_ell - m:] + list(post))
        else:
            if len(sub) != nd:
                raise ValueError("einsum: operand %d has %d dimensions but subscripts %r name %d"
                                 % (k, nd, sub, len(sub)))
            labels.append(list(sub))
    if explicit:
        if "..." in out:
            pre, post = out.split("...")
            out_labels = list(pre) + ell + list(post)
        else:
            out_labels = list(out)
        for ch in out_labels:
            if not any(ch in lab for lab in labels):
                raise ValueError("einsum: output subscript %r does not appear in the inputs" % ch)
        if len(set(out_labels)) != len(out_labels):
            raise ValueError("einsum: output subscripts %r repeat a label" % (out,))
    else:
        counts = {}
        for lab in labels:
            for ch in lab:
                counts[ch] = counts.get(ch, 0) + 1
        out_labels = ell + sorted(ch for ch, c in counts.items() if c == 1 and ch not in ell)
    return labels, out_labels


def _diag_reduce(x, lab):
    """Takes diagonals for labels repeated within one operand."""
    from jet.numpy import creation as C
    while True:
        seen = {}
        rep = None
        for i, ch in enumerate(lab):
            if ch in seen:
                rep = (seen[ch], i)
                break
            seen[ch] = i
        if rep is None:
            return x, lab
        i, j = rep
        n = x.shape[i]
        if x.shape[j] != n:
            raise ValueError("einsum: repeated label %r has sizes %d and %d" % (lab[i], n,
                                                                                x.shape[j]))
        # move j to the end, i to just before it, take the diagonal by gather
        perm = [k for k in range(len(lab)) if k not in (i, j)] + [i, j]
        x = bind("transpose", x, permutation=tuple(perm)) if perm != list(range(len(lab))) else x
        lab = [lab[k] for k in perm]
        idx = bind("reshape", C.iota(np.int32, n), new_sizes=(n, 1))
        idx = bind("concatenate", idx, idx, dimension=1)
        nd = len(lab)
        slice_sizes = tuple(x.shape[:nd - 2]) + (1, 1)
        x = bind("gather", x, idx, offset_dims=tuple(range(nd - 2)),
                 collapsed_slice_dims=(nd - 2, nd - 1), start_index_map=(nd - 2, nd - 1),
                 slice_sizes=slice_sizes, mode=0)
        # gather output: offset dims (the rest) first, then the diagonal
        lab = lab[:nd - 2] + [lab[nd - 2]]


def _sum_labels(x, lab, keep):
    axes = tuple(i for i, ch in enumerate(lab) if ch not in keep)
    if not axes:
        return x, lab
    x = bind("reduce_sum", x, axes=axes)
    return x, [ch for ch in lab if ch in keep]


def einsum(subscripts, *operands, optimize=None, precision=None, preferred_element_type=None):
    if not isinstance(subscripts, str):
        raise TypeError("jet.numpy.einsum needs explicit string subscripts as its first argument")
    if not operands:
        raise ValueError("einsum: no operands given")
    vals = U.promote(*operands)
    out_dt = np.dtype(vals[0].dtype)
    if U.is_bool(out_dt):
        vals = [U.convert(v, np.int32) for v in vals]
    labels, out_labels = _parse_einsum(subscripts, [len(v.shape) for v in vals])
    sizes = {}
    for v, lab in zip(vals, labels):
        for ch, d in zip(lab, v.shape):
            if ch in sizes and sizes[ch] != d and sizes[ch] != 1 and d != 1:
                raise ValueError("einsum: size of label %r for operand shapes %s differs: %d and %d"
                                 % (ch if ord(ch) < _ELL_BASE else "...",
                                    [tuple(w.shape) for w in vals], sizes[ch], d))
            sizes[ch] = max(sizes.get(ch, d), d)
    ops = []
    for k, (v, lab) in enumerate(zip(vals, labels)):
        v, lab = _diag_reduce(v, lab)
        ops.append((v, lab))
    # sum out labels used by only one operand and not in the output
    for k in range(len(ops)):
        v, lab = ops[k]
        others = set(out_labels)
        for m, (_, l2) in enumerate(ops):
            if m != k:
                others.update(l2)
        ops[k] = _sum_labels(v, lab, others)
    x, xl = ops[0]
    for k in range(1, len(ops)):
        y, yl = ops[k]
        later = set(out_labels)
        for _, l2 in ops[k + 1:]:
            later.update(l2)
        # size-1 broadcasting of shared labels
        x, y = _bcast_shared(x, xl, y, yl)
        shared = [ch for ch in xl if ch in yl]
        batch = [ch for ch in shared if ch in later]
        contract = [ch for ch in shared if ch not in later]
        lb = tuple(xl.index(ch) for ch in batch)
        rb = tuple(yl.index(ch) for ch in batch)
        lc = tuple(xl.index(ch) for ch in contract)
        rc = tuple(yl.index(ch) for ch in contract)
        attrs = dict(lhs_contracting_dimensions=lc, rhs_contracting_dimensions=rc)
        if lb:
            attrs["lhs_batch_dimensions"] = lb
            attrs["rhs_batch_dimensions"] = rb
        x = bind("dot_general", x, y, **attrs)
        xl = batch + [ch for ch in xl if ch not in shared] + [ch for ch in yl if ch not in shared]
        # labels that are no longer needed after this step
        x, xl = _sum_labels(x, xl, later)
    x, xl = _sum_labels(x, xl, set(out_labels))
    perm = tuple(xl.index(ch) for ch in out_labels)
    if perm != tuple(range(len(perm))):
        x = bind("transpose", x, permutation=perm)
    return _finish(x, out_dt, preferred_element_type)


def _bcast_shared(x, xl, y, yl):
    xs, ys = list(x.shape), list(y.shape)
    for ch in xl:
        if ch in yl:
            i, j = xl.index(ch), yl.index(ch)
            if xs[i] != ys[j]:
                if xs[i] == 1:
                    xs[i] = ys[j]
                elif ys[j] == 1:
                    ys[j] = xs[i]
    if tuple(xs) != tuple(x.shape):
        x = U.broadcast_to(x, tuple(xs))
    if tuple(ys) != tuple(y.shape):
        y = U.broadcast_to(y, tuple(ys))
    return x, y
