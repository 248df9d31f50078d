"""NumPy indexing on jet values: ints, slices, None, Ellipsis, integer
arrays (numpy, lists or jet values) and concrete boolean masks, lowered to
slice / rev / squeeze / reshape / gather; `.at[idx].get/set/add/...` lowered to
scatter-add and exact selections; take, take_along_axis.

Index semantics follow JAX: out-of-bounds reads clamp (take and
.at[].get(mode='fill') fill instead), out-of-bounds updates are dropped,
.set with repeated indices keeps one of the updates (the last one), .add
accumulates all of them.
"""
import operator

import numpy as np

from jet.numpy import _util as U
from jet.numpy._util import bind

__all__ = ["take", "take_along_axis", "getitem", "at_set", "at_add", "index_update_helper"]


# ---------------------------------------------------------------- parsing

def _is_int_scalar(e):
    return isinstance(e, (int, np.integer)) and not isinstance(e, (bool, np.bool_))


def _static_int(v, what):
    if v is None:
        return None
    if U.is_value(v):
        if not U.is_concrete(v):
            from jet import errors
            raise errors.ConcretizationTypeError(
                "slice %s must be static (Python ints) because the result shape depends on it; "
                "got a traced value. Use lax.dynamic_slice for traced starts with a static size"
                % what)
        v = np.asarray(v).item()
    try:
        return operator.index(v)
    except TypeError:
        raise TypeError("slice %s must be an integer or None, got %r" % (what, v)) from None


def _bool_to_int_arrays(mask, pos):
    m = np.asarray(mask)
    return [a.astype(np.int32) for a in np.nonzero(m)] if m.ndim > 0 else None


def _parse(idx, ndim, shape=None):
    """idx -> list of entries: None, slice, int, np.ndarray (int), jet value
    (int). Ellipsis expanded, boolean masks turned into integer arrays."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    entries = []
    masks = []  # (entry position, mask shape) to check against the array
    for pos, e in enumerate(idx):
        if e is None or e is Ellipsis:
            entries.append(e)
        elif isinstance(e, slice):
            entries.append(slice(_static_int(e.start, "start"), _static_int(e.stop, "stop"),
                                 _static_int(e.step, "step")))
        elif isinstance(e, (bool, np.bool_)):
            raise TypeError("jet.numpy indexing with a scalar boolean (%r at position %d) is not "
                            "supported; use None to add an axis" % (e, pos))
        elif _is_int_scalar(e):
            entries.append(int(e))
        elif U.is_value(e):
            dt = np.dtype(e.dtype)
            if U.is_bool(dt):
                if not U.is_concrete(e):
                    from jet import errors
                    raise errors.ConcretizationTypeError(
                        "Array boolean indices must be concrete; got a traced boolean array of "
                        "shape %s at position %d. The result shape would depend on its values: "
                        "use jnp.where(mask, x, 0) instead" % (tuple(e.shape), pos))
                arrs = _bool_to_int_arrays(np.asarray(e), pos)
                masks.append((len(entries), tuple(e.shape)))
                entries.extend(arrs)
            elif U.is_int(dt):
                entries.append(e)
            else:
                raise TypeError("Indexer must have integer or boolean type, got indexer with type "
                                "%s at position %d" % (dt, pos))
        else:
            try:
                a = np.asarray(e)
            except Exception:
                raise TypeError("unsupported index %r at position %d" % (e, pos)) from None
            if a.dtype == np.bool_:
                if a.ndim == 0:
                    raise TypeError("jet.numpy indexing with a scalar boolean at position %d is "
                                    "not supported" % pos)
                masks.append((len(entries), a.shape))
                entries.extend(_bool_to_int_arrays(a, pos))
            elif a.dtype.kind in "iu" or (a.size == 0 and a.dtype.kind == "f"):
                entries.append(a.astype(np.int64))
            else:
                raise TypeError("Indexer must have integer or boolean type, got indexer with type "
                                "%s at position %d, indexer value %r" % (a.dtype, pos, e))
    n_ell = sum(1 for e in entries if e is Ellipsis)
    if n_ell > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = sum(1 for e in entries if e is not None and e is not Ellipsis)
    if consumed > ndim:
        raise IndexError("Too many indices for array: %d non-None/Ellipsis indices for dim %d."
                         % (consumed, ndim))
    fill = [slice(None)] * (ndim - consumed)
    k_ell = entries.index(Ellipsis) if n_ell else len(entries)
    if shape is not None:
        for i, mshape in masks:
            dim = sum(1 for e in entries[:i] if e is not None and e is not Ellipsis)
            if i > k_ell:
                dim += len(fill)
            have = tuple(shape[dim:dim + len(mshape)])
            if have != tuple(mshape):
                raise IndexError("boolean index did not match indexed array along dimension %d; "
                                 "dimension is %s but corresponding boolean dimension is %s"
                                 % (dim, have, tuple(mshape)))
    if n_ell:
        entries = entries[:k_ell] + fill + entries[k_ell + 1:]
    else:
        entries = entries + fill
    return entries


def _normalize(entries, shape, mode):
    """Normalizes against shape (entries already parsed). mode 'clamp':
    negative indices wrap once, then clamp into range; mode 'drop':
    out-of-range indices become the dim size (a trash slot)."""
    out = []
    d = 0
    for e in entries:
        if e is None:
            out.append(None)
            continue
        n = shape[d]
        if isinstance(e, slice):
            start, stop, step = e.indices(n)
            if step < 0 and stop < 0:
                stop = None
            out.append(slice(start, stop, step))
        elif isinstance(e, int):
            if mode == "clamp":
                if n == 0:
                    raise IndexError("index %d is out of bounds for axis %d with size 0" % (e, d))
                i = e + n if e < 0 else e
                out.append(min(max(i, 0), n - 1))
            else:
                out.append(e + n if -n <= e < 0 else (e if 0 <= e < n else n))
        elif isinstance(e, np.ndarray):
            if mode == "clamp":
                if n == 0 and e.size:
                    raise IndexError("index is out of bounds for axis %d with size 0" % d)
                a = np.where(e < 0, e + n, e)
                a = np.clip(a, 0, max(n - 1, 0))
            else:
                a = np.where((e >= -n) & (e < 0), e + n, e)
                a = np.where((a >= 0) & (a < n), a, n)
            out.append(a.astype(np.int32))
        else:  # jet int value
            v = e
            if np.dtype(v.dtype) != np.int32:
                v = U.convert(v, np.int32)
            nn = U.scalar(n, np.int32)
            zero = U.scalar(0, np.int32)
            if not U.is_unsigned(e.dtype):
                v = bind("select", bind("lt", v, zero) if len(v.shape) == 0 else
                         bind("lt", v, bind("broadcast_in_dim", zero, shape=tuple(v.shape),
                                            broadcast_dimensions=())),
                         bind("add", v, nn), v)
            if mode == "clamp":
                v = bind("clamp", zero, v, U.scalar(max(n - 1, 0), np.int32))
            else:
                ok = bind("and", bind("ge", v, zero), bind("lt", v, nn))
                full_n = nn if len(v.shape) == 0 else bind(
                    "broadcast_in_dim", nn, shape=tuple(v.shape), broadcast_dimensions=())
                v = bind("select", ok, v, full_n)
            out.append(v)
        d += 1
    return out


def _is_adv(e):
    return e is not None and not isinstance(e, slice) and not isinstance(e, int)


# ---------------------------------------------------------------- lowering

def _slice_bounds(s):
    start, stop, step = s.start, s.stop, s.step
    m = len(range(start, -1 if stop is None else stop, step))
    if m == 0:
        return 0, 0, 1, False
    if step > 0:
        return start, start + (m - 1) * step + 1, step, False
    last = start + (m - 1) * step
    return last, start + 1, -step, True


def _index(x, entries):
    """Applies normalized entries (in-bounds) to jet value x."""
    # 1. None -> new size-1 axes
    if any(e is None for e in entries):
        new_shape = []
        it = iter(tuple(x.shape))
        for e in entries:
            new_shape.append(1 if e is None else next(it))
        x = bind("reshape", x, new_sizes=tuple(new_shape))
        entries = [slice(0, 1, 1) if e is None else e for e in entries]
    shape = tuple(x.shape)
    nd = len(shape)
    has_adv = any(_is_adv(e) for e in entries)
    if has_adv:
        entries = [np.int32(e) if isinstance(e, int) else e for e in entries]
    # 2. slices (and ints when there is no advanced index) in one slice op
    lo, hi, st, rev, squeeze = [0] * nd, list(shape), [1] * nd, [], []
    for d, e in enumerate(entries):
        if isinstance(e, slice):
            a, b, s, r = _slice_bounds(e)
            lo[d], hi[d], st[d] = a, b, s
            if r:
                rev.append(d)
        elif isinstance(e, int):
            lo[d], hi[d] = e, e + 1
            squeeze.append(d)
    if lo != [0] * nd or hi != list(shape) or st != [1] * nd:
        x = bind("slice", x, start_indices=tuple(lo), limit_indices=tuple(hi), strides=tuple(st))
    if rev:
        x = bind("rev", x, dimensions=tuple(rev))
    if squeeze:
        x = bind("squeeze", x, dimensions=tuple(squeeze))
    if not has_adv:
        return x
    # 3. advanced indices -> one gather
    adv = [d for d, e in enumerate(entries) if _is_adv(e)]
    vals = []
    for d in adv:
        e = entries[d]
        vals.append(U.asval(np.asarray(e, dtype=np.int32)) if not U.is_value(e) else e)
    bshape = U.broadcast_shapes(*[v.shape for v in vals])
    cols = []
    for v in vals:
        v = U.broadcast_to(v, bshape)
        cols.append(bind("reshape", v, new_sizes=bshape + (1,)))
    idx = cols[0] if len(cols) == 1 else bind("concatenate", *cols, dimension=len(bshape))
    adjacent = adv == list(range(adv[0], adv[0] + len(adv)))
    rem = [d for d in range(nd) if d not in adv]
    nb = len(bshape)
    if adjacent:
        p = adv[0]
        offset_dims = list(range(p)) + list(range(p + nb, nb + len(rem)))
    else:
        offset_dims = list(range(nb, nb + len(rem)))
    xs = tuple(x.shape)
    slice_sizes = tuple(1 if d in adv else xs[d] for d in range(nd))
    return bind("gather", x, idx, offset_dims=tuple(offset_dims),
                collapsed_slice_dims=tuple(adv), start_index_map=tuple(adv),
                slice_sizes=slice_sizes, mode=0)


def getitem(x, idx):
    x = U.asval(x)
    entries = _parse(idx, len(x.shape), tuple(x.shape))
    return _index(x, _normalize(entries, tuple(x.shape), "clamp"))


# ---------------------------------------------------------------- positions

def _all_static(entries):
    return all(not U.is_value(e) for e in entries)


def _concretize_entries(entries):
    """Eager jet index arrays are read back so the static path applies."""
    out = []
    for e in entries:
        if U.is_value(e) and U.is_concrete(e):
            out.append(np.asarray(e).astype(np.int64))
        else:
            out.append(e)
    return out


def _static_positions(shape, nentries):
    """numpy flat positions selected by normalized ('drop') entries; -1 for
    dropped (out-of-bounds) elements."""
    size = U.prod(shape)
    ext = np.full(tuple(s + 1 for s in shape), -1, dtype=np.int64)
    ext[tuple(slice(0, s) for s in shape)] = np.arange(size, dtype=np.int64).reshape(shape)
    return ext[tuple(nentries)]


def _device_positions(shape, nentries):
    """Like _static_positions, computed on the server (traced indices)."""
    nd = len(shape)
    eshape = tuple(s + 1 for s in shape)
    if nd == 0:
        ext = U.scalar(0, np.int32)
    else:
        flat = None
        bad = None
        stride = 1
        for d in range(nd - 1, -1, -1):
            io = bind("iota", dtype=np.dtype(np.int32), shape=eshape, dimension=d)
            term = bind("mul", io, U.scalar(stride, np.int32)) if stride != 1 else io
            flat = term if flat is None else bind("add", flat, term)
            b = bind("eq", io, U.scalar(shape[d], np.int32))
            bad = b if bad is None else bind("or", bad, b)
            stride *= shape[d]
        minus = bind("broadcast_in_dim", U.scalar(-1, np.int32), shape=eshape,
                     broadcast_dimensions=())
        ext = bind("select", bad, minus, flat)
    return _index(ext, nentries)


def _positions(x, idx):
    """(pos, static): flat positions of x selected by idx (-1 = dropped)."""
    entries = _concretize_entries(_parse(idx, len(x.shape), tuple(x.shape)))
    shape = tuple(x.shape)
    nent = _normalize(entries, shape, "drop")
    if _all_static(entries):
        return _static_positions(shape, nent), True
    return _device_positions(shape, nent), False


def _flat(x):
    return bind("reshape", x, new_sizes=(U.prod(x.shape),))


def _prep_updates(x, values, pshape, what):
    v = U.asval(values)
    if np.dtype(v.dtype) != np.dtype(x.dtype):
        v = bind("convert_element_type", v, new_dtype=np.dtype(x.dtype))
    try:
        v = U.broadcast_to(v, pshape)
    except ValueError:
        raise ValueError("%s: values of shape %s cannot be broadcast to the indexed shape %s"
                         % (what, tuple(v.shape), pshape)) from None
    return _flat(v) if len(pshape) != 1 else v


def _scatter_add_flat(operand, pos, upd):
    """operand (N,), pos value or numpy (n,) with -1 dropped, upd (n,)."""
    if isinstance(pos, np.ndarray):
        pos = U.asval(pos.astype(np.int32))
    ind = bind("reshape", pos, new_sizes=(pos.shape[0], 1))
    return bind("scatter-add", operand, ind, upd, update_window_dims=(),
                inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,), mode=1)


def _gather_flat(src, pos):
    """src (N,), pos value (any shape) in [0, N) (clamped)."""
    ind = bind("reshape", pos, new_sizes=tuple(pos.shape) + (1,))
    return bind("gather", src, ind, offset_dims=(), collapsed_slice_dims=(0,),
                start_index_map=(0,), slice_sizes=(1,), mode=0)


def _zeros_i32(n):
    return bind("broadcast_in_dim", U.scalar(0, np.int32), shape=(n,), broadcast_dimensions=())


def _winner_static(flat_pos):
    """numpy: (sel, tpos): indices of the updates that win (the last update
    for each position) and their positions."""
    n = flat_pos.shape[0]
    rev = flat_pos[::-1]
    uniq, first = np.unique(rev, return_index=True)
    sel = np.sort(n - 1 - first)
    sel = sel[flat_pos[sel] >= 0]
    return sel.astype(np.int32), flat_pos[sel].astype(np.int32)


def _winner_device(pos, size):
    """Traced positions (n,) (-1 dropped): for every target position, the
    largest update index writing it (radix search with scatter-add, exact),
    and whether any update writes it."""
    n = pos.shape[0]
    zero = U.scalar(0, np.int32)
    valid = bind("ge", pos, bind("broadcast_in_dim", zero, shape=(n,), broadcast_dimensions=()))
    posc = bind("select", valid, pos, bind("broadcast_in_dim", zero, shape=(n,),
                                           broadcast_dimensions=()))
    ids = bind("iota", dtype=np.dtype(np.int32), shape=(n,), dimension=0)
    bits = max(1, (n - 1).bit_length())
    prefix = _zeros_i32(size)
    for b in range(bits - 1, -1, -1):
        pre_at = _gather_flat(prefix, posc)
        sh = U.scalar(b + 1, np.int32)
        hi_match = bind("eq", bind("shift_right_logical", ids, sh),
                        bind("shift_right_logical", pre_at, sh))
        bit_set = bind("ne", bind("and", bind("shift_right_logical", ids, U.scalar(b, np.int32)),
                                  U.scalar(1, np.int32)), zero)
        cand = bind("and", valid, bind("and", hi_match, bit_set))
        cnt = _scatter_add_flat(_zeros_i32(size), pos,
                                bind("convert_element_type", cand, new_dtype=np.dtype(np.int32)))
        setb = bind("gt", cnt, zero)
        prefix = bind("select", setb, bind("or", prefix, U.scalar(1 << b, np.int32)), prefix)
    cnt = _scatter_add_flat(_zeros_i32(size), pos,
                            bind("convert_element_type", valid, new_dtype=np.dtype(np.int32)))
    return prefix, bind("gt", cnt, zero)


def at_set(x, idx, values):
    x = U.asval(x)
    pos, static = _positions(x, idx)
    pshape = tuple(pos.shape)
    upd = _prep_updates(x, values, pshape, ".at[].set")
    size = U.prod(x.shape)
    xf = _flat(x)
    if static:
        fp = pos.reshape(-1)
        sel, tpos = _winner_static(fp)
        if sel.size == 0:
            return x
        w1 = _scatter_add_flat(_zeros_i32(size), tpos, U.asval((sel + 1).astype(np.int32)))
        mask = bind("gt", w1, U.scalar(0, np.int32))
        src = bind("sub", w1, U.scalar(1, np.int32))
    else:
        fpos = _flat(pos) if len(pshape) != 1 else pos
        src, mask = _winner_device(fpos, size)
    if upd.shape[0] == 0:
        return x
    g = _gather_flat(upd, src)
    return bind("reshape", bind("select", mask, g, xf), new_sizes=tuple(x.shape))


def at_add(x, idx, values, negate=False):
    x = U.asval(x)
    pos, static = _positions(x, idx)
    pshape = tuple(pos.shape)
    upd = _prep_updates(x, values, pshape, ".at[].add")
    if negate:
        upd = bind("neg", upd)
    was_bool = U.is_bool(x.dtype)
    xx = U.convert(x, np.int32) if was_bool else x
    if was_bool:
        upd = U.convert(upd, np.int32)
    if static:
        fp = pos.reshape(-1)
    else:
        fp = _flat(pos) if len(pshape) != 1 else pos
    if (fp.shape[0] if static else fp.shape[0]) == 0:
        return x
    out = _scatter_add_flat(_flat(xx), fp, upd)
    out = bind("reshape", out, new_sizes=tuple(x.shape))
    if was_bool:
        out = bind("ne", out, U.scalar(0, np.int32))
    return out


def _default_fill(dt):
    dt = np.dtype(dt)
    if U.is_float(dt):
        return np.nan
    if U.is_bool(dt):
        return True
    if U.is_unsigned(dt):
        return np.iinfo(dt).max
    return np.iinfo(dt).min


def at_get(x, idx, mode=None, fill_value=None):
    x = U.asval(x)
    if mode is None or mode in ("clip", "promise_in_bounds"):
        return getitem(x, idx)
    if mode != "fill":
        raise ValueError("jet.numpy .at[].get: mode must be None, 'clip', 'fill' or "
                         "'promise_in_bounds', got %r" % (mode,))
    pos, static = _positions(x, idx)
    if static:
        if (pos >= 0).all():
            return getitem(x, idx)
        posv = U.asval(pos.astype(np.int32))
    else:
        posv = pos
    g = _gather_flat(_flat(x), posv)
    fv = _default_fill(x.dtype) if fill_value is None else fill_value
    fill = bind("broadcast_in_dim", U.weak_scalar(fv, x.dtype), shape=tuple(g.shape),
                broadcast_dimensions=())
    ok = bind("ge", posv, U.scalar(0, np.int32) if len(g.shape) == 0 else bind(
        "broadcast_in_dim", U.scalar(0, np.int32), shape=tuple(g.shape), broadcast_dimensions=()))
    return bind("select", ok, g, fill)


class _IndexUpdateRef:
    """x.at[idx]: functional updates, as in JAX."""

    def __init__(self, array, index):
        self.array = array
        self.index = index

    def __repr__(self):
        return "_IndexUpdateRef(%r, %r)" % (self.array, self.index)

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        return at_get(self.array, self.index, mode=mode, fill_value=fill_value)

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return at_set(self.array, self.index, values)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return at_add(self.array, self.index, values)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return at_add(self.array, self.index, values, negate=True)

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return at_set(self.array, self.index, func(getitem(self.array, self.index)))

    def _unsupported(self, name):
        raise NotImplementedError(
            "jet.numpy .at[].%s needs a scatter-%s primitive, which jet's op table lacks; "
            "use .at[].get, compute the new values, and .at[].set them (exact for unique "
            "indices)" % (name, name))

    def multiply(self, values, **kw):
        self._unsupported("mul")

    mul = multiply

    def divide(self, values, **kw):
        self._unsupported("div")

    def power(self, values, **kw):
        self._unsupported("pow")

    def min(self, values, **kw):
        self._unsupported("min")

    def max(self, values, **kw):
        self._unsupported("max")


class _IndexUpdateHelper:
    def __init__(self, array):
        self.array = array

    def __getitem__(self, index):
        return _IndexUpdateRef(self.array, index)

    def __repr__(self):
        return "_IndexUpdateHelper(%r)" % (self.array,)


def index_update_helper(x):
    return _IndexUpdateHelper(x)


# ---------------------------------------------------------------- take

def take(a, indices, axis=None, out=None, mode=None, unique_indices=False,
         indices_are_sorted=False, fill_value=None):
    x = U.asval(a)
    if axis is None:
        x = _flat(x)
        axis = 0
    ax = U.norm_axis(axis, len(x.shape))
    n = x.shape[ax]
    if not U.is_value(indices):
        ind = np.asarray(indices)
        if ind.dtype.kind not in "iu":
            raise TypeError("take: indices must be integers, got dtype %s" % ind.dtype)
        if mode == "wrap":
            ind = np.mod(ind, n) if n else ind
        elif mode is None or mode == "fill":
            if ((ind >= -n) & (ind < n)).all():
                mode = "clip"
    else:
        ind = indices
        if mode == "wrap":
            from jet.numpy import elementwise as E
            ind = E.remainder(ind, n)
    idx = (slice(None),) * ax + (ind,)
    if mode in (None, "fill"):
        return at_get(x, idx, mode="fill", fill_value=fill_value)
    if mode not in ("clip", "wrap", "promise_in_bounds"):
        raise ValueError("take: invalid mode %r (expected 'fill', 'clip' or 'wrap')" % (mode,))
    return getitem(x, idx)


def take_along_axis(arr, indices, axis, mode=None, fill_value=None):
    x = U.asval(arr)
    if axis is None:
        x = _flat(x)
        axis = 0
    nd = len(x.shape)
    ax = U.norm_axis(axis, nd)
    ishape = U.shape_of(indices)
    if len(ishape) != nd:
        raise ValueError("take_along_axis: indices and arr must have the same number of "
                         "dimensions; got %s and %s" % (ishape, tuple(x.shape)))
    entries = []
    for d in range(nd):
        if d == ax:
            entries.append(indices if U.is_value(indices) else np.asarray(indices))
        else:
            s = [1] * nd
            s[d] = x.shape[d]
            if ishape[d] != x.shape[d] and ishape[d] != 1 and x.shape[d] != 1:
                raise ValueError("take_along_axis: shape mismatch at dimension %d: indices %s, "
                                 "arr %s" % (d, ishape, tuple(x.shape)))
            entries.append(np.arange(x.shape[d], dtype=np.int64).reshape(s))
    return at_get(x, tuple(entries), mode="fill" if mode in (None, "fill") else mode,
                  fill_value=fill_value)
