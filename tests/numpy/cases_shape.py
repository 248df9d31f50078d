"""Cases of the data-movement ops: structure (broadcast_in_dim, reshape,
transpose, squeeze, expand_dims, rev), slicing (slice, dynamic_slice,
dynamic_update_slice, concatenate, pad, iota), gather, scatter-add,
stop_gradient, constant, call and cond. All compare bit for bit except
scatter-add on floats."""
import math

import numpy as np

from jetnp import (ANY, DTYPES, FLOAT, INT, NUM, Case, Raw, arr, check_spec, ints_small,
                   literal, node, rand, ty)


def data(dt, shape):
    """Random data; floats get a NaN with a payload and a -0 to catch
    conversions through other types."""
    x = rand(dt, shape, -100, 100)
    if dt in FLOAT and x.size >= 3:
        flat = x.reshape(-1)
        flat[0] = -0.0
        bits = np.array([0x7fc00123 if dt == 'f32' else 0x7ff8000000000123],
                        dtype=np.uint32 if dt == 'f32' else np.uint64)
        flat[2] = bits.view(DTYPES[dt])[0]
    return x


def structure_cases(dt):
    B = dict(mode='bits')
    out = []
    s = data(dt, ())
    out.append(node('broadcast_in_dim', dt, 'scalar', [s], {'shape': [2, 3],
                    'broadcast_dimensions': []}, np.broadcast_to(s, (2, 3)), **B))
    v = data(dt, (3,))
    out.append(node('broadcast_in_dim', dt, 'row', [v], {'shape': [2, 3],
                    'broadcast_dimensions': [1]}, np.broadcast_to(v, (2, 3)), **B))
    out.append(node('broadcast_in_dim', dt, 'col', [v], {'shape': [3, 4],
                    'broadcast_dimensions': [0]}, np.broadcast_to(v[:, None], (3, 4)), **B))
    m = data(dt, (3, 1))
    out.append(node('broadcast_in_dim', dt, 'expand1', [m], {'shape': [2, 3, 4],
                    'broadcast_dimensions': [1, 2]}, np.broadcast_to(m, (2, 3, 4)), **B))
    out.append(node('broadcast_in_dim', dt, 'zero', [v], {'shape': [0, 3],
                    'broadcast_dimensions': [1]}, np.zeros((0, 3), v.dtype), **B))
    x = data(dt, (2, 3, 4))
    out.append(node('reshape', dt, 'r3_to_r2', [x], {'new_sizes': [6, 4]}, x.reshape(6, 4), **B))
    out.append(node('reshape', dt, 'to_r1', [x], {'new_sizes': [24]}, x.reshape(24), **B))
    out.append(node('reshape', dt, 'scalar', [s], {'new_sizes': [1, 1]}, s.reshape(1, 1), **B))
    z = data(dt, (0, 3))
    out.append(node('reshape', dt, 'zero', [z], {'new_sizes': [3, 0, 2]}, z.reshape(3, 0, 2), **B))
    for perm in ([2, 0, 1], [1, 0, 2], [0, 1, 2], [2, 1, 0]):
        out.append(node('transpose', dt, 'p' + ''.join(map(str, perm)), [x],
                        {'permutation': perm}, np.transpose(x, perm), **B))
    m2 = data(dt, (3, 5))
    big = data(dt, (17, 33, 5))
    for perm in ([2, 0, 1], [1, 2, 0]):
        out.append(node('transpose', dt, 'big' + ''.join(map(str, perm)), [big],
                        {'permutation': perm}, np.transpose(big, perm), **B))
    z3 = data(dt, (2, 0, 3))
    out.append(node('transpose', dt, 'zero', [z3], {'permutation': [2, 1, 0]}, z3.transpose(2, 1, 0),
                    **B))
    out.append(node('rev', dt, 'zero', [z3], {'dimensions': [1, 2]}, z3, **B))
    out.append(node('transpose', dt, 'r2', [m2], {'permutation': [1, 0]}, m2.T, **B))
    q = data(dt, (1, 3, 1))
    out.append(node('squeeze', dt, 'both', [q], {'dimensions': [0, 2]}, q.reshape(3), **B))
    out.append(node('squeeze', dt, 'one', [q], {'dimensions': [2]}, q.reshape(1, 3), **B))
    out.append(node('squeeze', dt, 'to_scalar', [q[:, :1, :]], {'dimensions': [0, 1, 2]},
                    q[:, :1, :].reshape(()), **B))
    out.append(node('expand_dims', dt, 'ends', [v], {'dimensions': [0, 2]},
                    np.expand_dims(v, (0, 2)), **B))
    out.append(node('expand_dims', dt, 'unsorted', [v], {'dimensions': [2, 0]},
                    np.expand_dims(v, (0, 2)), **B))
    out.append(node('expand_dims', dt, 'negative', [v], {'dimensions': [-1]},
                    v.reshape(3, 1), **B))
    out.append(node('expand_dims', dt, 'neg_mixed', [v], {'dimensions': [0, -1]},
                    v.reshape(1, 3, 1), **B))
    out.append(node('squeeze', dt, 'negative', [q], {'dimensions': [-1]}, q.reshape(1, 3), **B))
    out.append(node('squeeze', dt, 'unsorted', [q], {'dimensions': [2, 0]}, q.reshape(3), **B))
    out.append(node('expand_dims', dt, 'scalar', [s], {'dimensions': [0]}, s.reshape(1), **B))
    out.append(node('expand_dims', dt, 'mid', [m2], {'dimensions': [1]},
                    np.expand_dims(m2, 1), **B))
    for dims in ([0], [2], [0, 2], [0, 1, 2], []):
        out.append(node('rev', dt, 'd' + ''.join(map(str, dims)), [x], {'dimensions': dims},
                        np.flip(x, tuple(dims)) if dims else x, **B))
    return out


def pad_ref(x, pv, config):
    """Reference of pad built by hand: interior dilation, then lo/hi
    (negative = crop)."""
    y = x
    for d in range(x.ndim):
        lo, hi, it = config[3 * d:3 * d + 3]
        n = y.shape[d]
        size = n + max(n - 1, 0) * it
        shape = list(y.shape)
        shape[d] = size
        z = np.full(shape, pv, dtype=x.dtype)
        idx = [slice(None)] * y.ndim
        idx[d] = slice(0, size, it + 1)
        z[tuple(idx)] = y
        if lo >= 0:
            s = list(z.shape)
            s[d] = lo
            z = np.concatenate([np.full(s, pv, dtype=x.dtype), z], axis=d)
        else:
            idx = [slice(None)] * y.ndim
            idx[d] = slice(-lo, None)
            z = z[tuple(idx)]
        if hi >= 0:
            s = list(z.shape)
            s[d] = hi
            z = np.concatenate([z, np.full(s, pv, dtype=x.dtype)], axis=d)
        else:
            idx = [slice(None)] * y.ndim
            idx[d] = slice(0, z.shape[d] + hi)
            z = z[tuple(idx)]
        y = z
    return y


def slicing_cases(dt):
    B = dict(mode='bits')
    out = []
    x = data(dt, (4, 5, 6))
    for lbl, st, lim, strides in (('plain', [1, 0, 2], [3, 5, 6], None),
                                  ('strided', [0, 1, 0], [4, 5, 6], [2, 3, 4]),
                                  ('stride_odd', [1, 0, 1], [4, 4, 6], [2, 1, 3]),
                                  ('empty', [2, 0, 0], [2, 5, 6], [1, 1, 1])):
        attrs = {'start_indices': st, 'limit_indices': lim}
        if strides:
            attrs['strides'] = strides
        sl = tuple(slice(a, b, c) for a, b, c in zip(st, lim, strides or [1, 1, 1]))
        out.append(node('slice', dt, lbl, [x], attrs, x[sl], **B))
    m = data(dt, (5, 6))
    for k, (i, j) in enumerate([(1, 2), (-1, 10), (4, 0), (100, -100)]):
        idt = ['i32', 'i64', 'u32', 'i32'][k]
        if idt == 'u32' and (i < 0 or j < 0):
            continue
        a, b = arr(i, idt), arr(j, idt)
        ci, cj = min(max(i, 0), 5 - 2), min(max(j, 0), 6 - 3)
        out.append(node('dynamic_slice', dt, 'start%d' % k, [m, a, b], {'slice_sizes': [2, 3]},
                        m[ci:ci + 2, cj:cj + 3], **B))
        u = data(dt, (2, 3))
        r = m.copy()
        r[ci:ci + 2, cj:cj + 3] = u
        out.append(node('dynamic_update_slice', dt, 'start%d' % k, [m, u, a, b], {}, r, **B))
    # start indices of different integer dtypes in one op
    for k, (i, j, ti, tj) in enumerate([(3, -2, 'u8', 'i64'), (1, 7, 'i64', 'u32')]):
        ci, cj = min(max(i, 0), 5 - 2), min(max(j, 0), 6 - 3)
        a, b = arr(i, ti), arr(j, tj)
        out.append(node('dynamic_slice', dt, 'mixed%d' % k, [m, a, b], {'slice_sizes': [2, 3]},
                        m[ci:ci + 2, cj:cj + 3], **B))
        u = data(dt, (2, 3))
        r = m.copy()
        r[ci:ci + 2, cj:cj + 3] = u
        out.append(node('dynamic_update_slice', dt, 'mixed%d' % k, [m, u, a, b], {}, r, **B))
    x3 = data(dt, (3, 4, 5))
    u3 = data(dt, (3, 2, 5))
    r3 = x3.copy()
    r3[:, 2:4, :] = u3
    out.append(node('dynamic_update_slice', dt, 'r3', [x3, u3, arr(1, 'i32'), arr(9, 'i32'),
                                                       arr(0, 'i32')], {}, r3, **B))
    s0 = data(dt, ())
    out.append(node('slice', dt, 'scalar', [s0], {'start_indices': [], 'limit_indices': []}, s0,
                    **B))
    v = data(dt, (7,))
    out.append(node('dynamic_slice', dt, 'r1_full', [v, arr(3, 'i32')], {'slice_sizes': [7]},
                    v, **B))
    out.append(node('dynamic_update_slice', dt, 'r1_empty', [v, data(dt, (0,)), arr(2, 'i64')],
                    {}, v, **B))
    a, b, c = data(dt, (2, 3)), data(dt, (4, 3)), data(dt, (0, 3))
    out.append(node('concatenate', dt, 'axis0', [a, b, c], {'dimension': 0},
                    np.concatenate([a, b, c], 0), **B))
    d, e = data(dt, (2, 1)), data(dt, (2, 4))
    out.append(node('concatenate', dt, 'axis1', [a, d, e], {'dimension': 1},
                    np.concatenate([a, d, e], 1), **B))
    out.append(node('concatenate', dt, 'single', [v], {'dimension': 0}, v, **B))
    pv = data(dt, ())
    p = data(dt, (3, 4))
    for lbl, cfg in (('lohi', [1, 2, 0, 0, 3, 0]), ('interior', [0, 0, 1, 2, 1, 2]),
                     ('crop', [-1, 0, 0, 1, -2, 1]), ('crop_all', [-1, -2, 0, 0, 0, 0]),
                     ('mixed', [2, -1, 2, -3, 2, 1]), ('none', [0, 0, 0, 0, 0, 0])):
        out.append(node('pad', dt, lbl, [p, pv], {'padding_config': cfg},
                        pad_ref(p, pv, cfg), **B))
    out.append(node('pad', dt, 'scalar', [pv, pv], {'padding_config': []}, pv, **B))
    z = data(dt, (0, 2))
    out.append(node('pad', dt, 'zero', [z, pv], {'padding_config': [1, 1, 3, 0, 0, 0]},
                    pad_ref(z, pv, [1, 1, 3, 0, 0, 0]), **B))
    if dt != 'bool':
        for lbl, shape, dim in (('r1', [5], 0), ('r2d0', [3, 4], 0), ('r2d1', [3, 4], 1),
                                ('r3', [2, 3, 4], 2), ('zero', [0, 3], 1), ('long', [300], 0)):
            ref = np.broadcast_to(np.arange(shape[dim]).reshape(
                [-1 if i == dim else 1 for i in range(len(shape))]), shape).astype(DTYPES[dt])
            out.append(node('iota', dt, lbl, [], {'dtype': Raw(dt), 'shape': shape,
                                                  'dimension': dim}, ref, **B))
    out.append(node('stop_gradient', dt, 'r2', [m], {}, m, **B))
    out.append(node('stop_gradient', dt, 'scalar', [pv], {}, pv, **B))
    return out


def gather_cases(dt):
    B = dict(mode='bits')
    out = []
    for idt in ('i32', 'i64', 'u32'):
        x = data(dt, (5, 4))
        idx = ints_small(idt, (6, 1), 0, 4)
        gi = idx[:, 0].astype(np.int64)
        out.append(node('gather', dt, 'rows_' + idt, [x, idx],
                        {'offset_dims': [1], 'collapsed_slice_dims': [0], 'start_index_map': [0],
                         'slice_sizes': [1, 4]}, x[gi], **B))
    x = data(dt, (3, 5))
    idx = ints_small('i32', (4, 1), 0, 4)
    out.append(node('gather', dt, 'cols', [x, idx],
                    {'offset_dims': [0], 'collapsed_slice_dims': [1], 'start_index_map': [1],
                     'slice_sizes': [3, 1]}, x[:, idx[:, 0]], **B))
    x = data(dt, (5, 4))
    idx = ints_small('i64', (2, 3, 1), 0, 4)
    out.append(node('gather', dt, 'batch2', [x, idx],
                    {'offset_dims': [2], 'collapsed_slice_dims': [0], 'start_index_map': [0],
                     'slice_sizes': [1, 4]}, x[idx[..., 0]], **B))
    ij = np.stack([ints_small('i32', (7,), 0, 4), ints_small('i32', (7,), 0, 3)], axis=1)
    out.append(node('gather', dt, 'points', [x, ij],
                    {'offset_dims': [], 'collapsed_slice_dims': [0, 1], 'start_index_map': [0, 1],
                     'slice_sizes': [1, 1]}, x[ij[:, 0], ij[:, 1]], **B))
    x3 = data(dt, (3, 5, 4))
    bi = ints_small('i32', (3, 2, 1), 0, 4)
    out.append(node('gather', dt, 'batching', [x3, bi],
                    {'offset_dims': [2], 'collapsed_slice_dims': [1], 'start_index_map': [1],
                     'operand_batching_dims': [0], 'start_indices_batching_dims': [0],
                     'slice_sizes': [1, 1, 4]}, x3[np.arange(3)[:, None], bi[..., 0]], **B))
    out.append(node('gather', dt, 'map_swapped', [x, ij[:, ::-1].copy()],
                    {'offset_dims': [], 'collapsed_slice_dims': [0, 1], 'start_index_map': [1, 0],
                     'slice_sizes': [1, 1]}, x[ij[:, 0], ij[:, 1]], **B))
    out.append(node('gather', dt, 'offset_mid', [x, idx],
                    {'offset_dims': [1], 'collapsed_slice_dims': [0], 'start_index_map': [0],
                     'slice_sizes': [1, 4]}, x[idx[..., 0]].transpose(0, 2, 1), **B))
    # windows of 2x3 with starts out of range: clip (mode 0) and fill (mode 1)
    st = arr([[0, 0], [4, 2], [-3, 1], [3, 1], [1, 5]], 'i32')
    clip = np.stack([x[min(max(a, 0), 3):min(max(a, 0), 3) + 2, min(max(b, 0), 1):min(max(b, 0), 1) + 3]
                     for a, b in st.tolist()])
    attrs = {'offset_dims': [1, 2], 'collapsed_slice_dims': [], 'start_index_map': [0, 1],
             'slice_sizes': [2, 3]}
    out.append(node('gather', dt, 'window_clip', [x, st], dict(attrs, mode=0), clip, **B))
    fillv = {'bool': False}.get(dt, math.nan if dt in FLOAT else 0)
    fill = np.stack([x[a:a + 2, b:b + 3] if 0 <= a <= 3 and 0 <= b <= 1
                     else np.full((2, 3), fillv, DTYPES[dt]) for a, b in st.tolist()])
    out.append(node('gather', dt, 'window_fill', [x, st], dict(attrs, mode=1), fill, **B))
    out.append(node('gather', dt, 'window_default', [x, st], attrs, clip, **B))
    return out


def scatter_cases(dt):
    chk = dict(mode='tol', rtol=1e-6 if dt == 'f32' else 4e-15, atol=0) if dt in FLOAT else {}
    out = []
    for idt in ('i32', 'i64'):
        x = rand(dt, (5, 4), 0, 50)
        idx = arr([[1], [3], [1], [0], [1], [4]], idt)
        upd = rand(dt, (6, 4), 0, 50)
        ref = x.copy()
        np.add.at(ref, idx[:, 0].astype(np.int64), upd)
        out.append(node('scatter-add', dt, 'rows_' + idt, [x, idx, upd],
                        {'update_window_dims': [1], 'inserted_window_dims': [0],
                         'scatter_dims_to_operand_dims': [0]}, ref, **chk))
    x = rand(dt, (3, 5), 0, 50)
    idx = arr([[4], [0], [4], [2]], 'i32')
    upd = rand(dt, (3, 4), 0, 50)
    ref = x.copy()
    np.add.at(ref, (slice(None), idx[:, 0]), upd)
    out.append(node('scatter-add', dt, 'cols', [x, idx, upd],
                    {'update_window_dims': [0], 'inserted_window_dims': [1],
                     'scatter_dims_to_operand_dims': [1]}, ref, **chk))
    x = rand(dt, (4, 3), 0, 50)
    ij = arr([[0, 0], [3, 2], [0, 0], [1, 2], [3, 2], [0, 0]], 'i64')
    upd = rand(dt, (6,), 0, 50)
    ref = x.copy()
    np.add.at(ref, (ij[:, 0], ij[:, 1]), upd)
    pattrs = {'update_window_dims': [], 'inserted_window_dims': [0, 1],
              'scatter_dims_to_operand_dims': [0, 1]}
    out.append(node('scatter-add', dt, 'points', [x, ij, upd], pattrs, ref, **chk))
    # out-of-bounds points: dropped (mode 1, the default) or clipped (mode 0)
    oob = arr([[0, 0], [4, 0], [-1, 2], [3, 3], [2, 1]], 'i32')
    upd = rand(dt, (5,), 0, 50)
    drop = x.copy()
    clip = x.copy()
    for (a, b), u in zip(oob.tolist(), upd.tolist()):
        if 0 <= a < 4 and 0 <= b < 3:
            drop[a, b] += u
        clip[min(max(a, 0), 3), min(max(b, 0), 2)] += u
    out.append(node('scatter-add', dt, 'oob_drop', [x, oob, upd], pattrs, drop, **chk))
    out.append(node('scatter-add', dt, 'oob_clip', [x, oob, upd], dict(pattrs, mode=0), clip,
                    **chk))
    x3 = rand(dt, (3, 5, 4), 0, 50)
    bi = arr([[[1], [1]], [[0], [4]], [[2], [3]]], 'i32')
    upd = rand(dt, (3, 2, 4), 0, 50)
    ref = x3.copy()
    np.add.at(ref, (np.arange(3)[:, None], bi[..., 0]), upd)
    out.append(node('scatter-add', dt, 'batching', [x3, bi, upd],
                    {'update_window_dims': [2], 'inserted_window_dims': [1],
                     'scatter_dims_to_operand_dims': [1], 'operand_batching_dims': [0],
                     'scatter_indices_batching_dims': [0]}, ref, **chk))
    x = rand(dt, (5, 4), 0, 50)
    idx = arr([[[1], [1], [4]], [[0], [1], [2]]], 'i64')
    upd = rand(dt, (2, 4, 3), 0, 50)
    ref = x.copy()
    np.add.at(ref, idx[..., 0], upd.transpose(0, 2, 1))
    out.append(node('scatter-add', dt, 'window_mid', [x, idx, upd],
                    {'update_window_dims': [1], 'inserted_window_dims': [0],
                     'scatter_dims_to_operand_dims': [0]}, ref, **chk))
    # windows of 3 over a 6-vector, some partly out of bounds: dropped whole
    # (mode 1) or moved inside (mode 0)
    x = rand(dt, (6,), 0, 50)
    st = arr([[0], [4], [-1], [3], [2], [7]], 'i32')
    upd = rand(dt, (6, 3), 0, 50)
    drop = x.copy()
    clip = x.copy()
    for (a,), u in zip(st.tolist(), upd):
        if 0 <= a <= 3:
            drop[a:a + 3] += u
        c = min(max(a, 0), 3)
        clip[c:c + 3] += u
    wattrs = {'update_window_dims': [1], 'inserted_window_dims': [],
              'scatter_dims_to_operand_dims': [0]}
    out.append(node('scatter-add', dt, 'window_drop', [x, st, upd], wattrs, drop, **chk))
    out.append(node('scatter-add', dt, 'window_clip', [x, st, upd], dict(wattrs, mode=0), clip,
                    **chk))
    if dt in INT:  # wrapping sums
        info = np.iinfo(DTYPES[dt])
        x = arr([info.max, info.min, 0], dt)
        ii = arr([[0], [0], [1], [2]], 'i32')
        upd = arr([1, info.max, info.max, info.min], dt)
        ref = x.copy()
        np.add.at(ref, ii[:, 0], upd)
        out.append(node('scatter-add', dt, 'wrap', [x, ii, upd],
                        {'update_window_dims': [], 'inserted_window_dims': [0],
                         'scatter_dims_to_operand_dims': [0]}, ref))
    return out


def const_call_cases(dt):
    out = []
    for lbl, shape in (('scalar', ()), ('r2', (2, 3)), ('zero', (0, 2))):
        c = data(dt, shape)
        if dt in FLOAT and c.size >= 4:
            c.reshape(-1)[1] = math.nan
            c.reshape(-1)[3] = math.inf
        text = 'graph c() {\n  %%0 = constant[value=%s] : %s\n  return %%0\n}\n' % (literal(c), ty(c))
        out.append(Case('constant', dt, lbl, text, [], [c], check_spec('bits')))
    a, b = data(dt, (3, 2)), data(dt, (3, 2))
    t = ty(a)
    text = ('graph c(%0: T, %1: T) {\n  %2, %3 = call %0, %1 : T, T {\n'
            '    graph f(%0: T, %1: T) {\n      %2 = max %0, %1 : T\n'
            '      %3 = stop_gradient %0 : T\n      return %2, %3\n    }\n  }\n'
            '  return %2, %3, %1\n}\n').replace('T', t)
    with np.errstate(all='ignore'):
        mx = np.maximum(a, b)
    out.append(Case('call', dt, 'max', text, [a, b], [mx, a, b],
                    check_spec('exact', signed_zero=False)))
    # cond (lax.switch): an i32 index picks one of three branches; out of
    # range indices clamp to the first / last branch.
    text = ('graph s(%0: i32[], %1: T, %2: T) {\n  %3 = cond %0, %1, %2 : T {\n'
            '    graph b0(%0: T, %1: T) {\n      %2 = max %0, %1 : T\n      return %2\n    }\n'
            '    graph b1(%0: T, %1: T) {\n      %2 = min %0, %1 : T\n      return %2\n    }\n'
            '    graph b2(%0: T, %1: T) {\n      return %1\n    }\n'
            '  }\n  return %3\n}\n').replace('T', t)
    with np.errstate(all='ignore'):
        mn = np.minimum(a, b)
    for idx, want in ((-3, mx), (0, mx), (1, mn), (2, b), (7, b)):
        out.append(Case('cond', dt, 'index %d' % idx, text, [np.array(idx, dtype=np.int32), a, b],
                        [want], check_spec('exact', signed_zero=False)))
    out.extend(loop_cases(dt, a, b))
    return out


def loop_cases(dt, a, b):
    """while: a counter carried with an accumulator (one const): runs while
    i < 3, acc = max(acc, a) then min(acc, b) each time; started at i = 5 it
    runs zero times. scan: a running max over the rows of xs with the
    pre-step carry stacked (forwards and reversed)."""
    out = []
    t = ty(a)
    text = ('graph w(%0: T, %1: i32[], %2: T) {\n'
            '  %3, %4 = while[n_consts=1] %0, %1, %2 : i32[], T {\n'
            '    graph c(%0: T, %1: i32[], %2: T) {\n'
            '      %3 = constant[value=i32[]{3}] : i32[]\n'
            '      %4 = lt %1, %3 : bool[]\n      return %4\n    }\n'
            '    graph b(%0: T, %1: i32[], %2: T) {\n'
            '      %3 = constant[value=i32[]{1}] : i32[]\n'
            '      %4 = add %1, %3 : i32[]\n'
            '      %5 = max %2, %0 : T\n'
            '      %6 = min %5, %0 : T\n'
            '      return %4, %6\n    }\n'
            '  }\n  return %3, %4\n}\n').replace('T', t)
    with np.errstate(all='ignore'):
        acc = b.copy()
        for _ in range(3):
            acc = np.minimum(np.maximum(acc, a), a)
    out.append(Case('while', dt, 'three trips', text, [a, np.array(0, dtype=np.int32), b],
                    [np.array(3, dtype=np.int32), acc], check_spec('exact', signed_zero=False)))
    out.append(Case('while', dt, 'zero trips', text, [a, np.array(5, dtype=np.int32), b],
                    [np.array(5, dtype=np.int32), b], check_spec('exact', signed_zero=False)))
    xs = data(dt, (4, 2))
    x0 = data(dt, (2,))
    for rev in (False, True):
        text = ('graph s(%0: R, %1: X) {\n'
                '  %2, %3 = scan[n_carry=1, length=4, reverse=' + ('true' if rev else 'false') +
                '] %0, %1 : R, X {\n'
                '    graph b(%0: R, %1: R) {\n'
                '      %2 = max %0, %1 : R\n      return %2, %0\n    }\n'
                '  }\n  return %2, %3\n}\n').replace('R', ty(x0)).replace('X', ty(xs))
        acc = x0.copy()
        ys = np.empty_like(xs)
        with np.errstate(all='ignore'):
            for i in (range(3, -1, -1) if rev else range(4)):
                ys[i] = acc
                acc = np.maximum(acc, xs[i])
        out.append(Case('scan', dt, 'running max' + (' reversed' if rev else ''), text, [x0, xs],
                        [acc, ys], check_spec('exact', signed_zero=False)))
    return out


def program_cases(dt):
    """Small programs: several nodes, values used twice, a parameter and a
    value returned twice (exercises the executor's temporaries)."""
    x = rand(dt, (3, 5), -10, 10)
    text = '''graph softmax(%0: T[3,5]) {
  %1 = reduce_max[axes=[1]] %0 : T[3]
  %2 = broadcast_in_dim[shape=[3, 5], broadcast_dimensions=[0]] %1 : T[3,5]
  %3 = sub %0, %2 : T[3,5]
  %4 = exp %3 : T[3,5]
  %5 = reduce_sum[axes=[1]] %4 : T[3]
  %6 = broadcast_in_dim[shape=[3, 5], broadcast_dimensions=[0]] %5 : T[3,5]
  %7 = div %4, %6 : T[3,5]
  return %7, %0, %7
}
'''.replace('T', dt)
    x64 = x.astype(np.float64)
    e = np.exp(x64 - x64.max(axis=1, keepdims=True))
    sm = (e / e.sum(axis=1, keepdims=True)).astype(x.dtype)
    return [Case('softmax', dt, 'program', text, [x], [sm, x, sm],
                 check_spec('tol', rtol=1e-5 if dt == 'f32' else 1e-13, atol=0))]


def cases():
    out = []
    for dt in FLOAT:
        out += program_cases(dt)
    for dt in ANY:
        out += structure_cases(dt) + slicing_cases(dt) + gather_cases(dt) + const_call_cases(dt)
    for dt in NUM:
        out += scatter_cases(dt)
    return out
