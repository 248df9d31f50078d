"""Cases of the reductions (reduce_sum/max/min/prod, argmax/argmin, cumsum)
and of dot_general.

Float tolerances here follow the accumulation order jet documents (and
which numpy does not share): an absolute bound of a few eps times n times
the sum of magnitudes covers any order of summation; products get a
relative bound of n eps."""
import math

import numpy as np

from jetnp import (ANY, ATOL, DTYPES, EPS, FLOAT, INT, NUM, UINT, Raw, arr, floats,
                   ints_full, ints_small, node, rand)

# Negative and unsorted axes are allowed by the reduce rule.
AXES_R3 = ([], [0], [1], [2], [0, 2], [1, 2], [0, 1, 2], [-1], [2, 0], [-1, -3], [2, 1, 0])


def identity(kind, dt):
    if kind == 'sum':
        return 0
    if kind == 'prod':
        return 1
    if dt == 'bool':
        return kind == 'min'
    if dt in FLOAT:
        return -math.inf if kind == 'max' else math.inf
    info = np.iinfo(DTYPES[dt])
    return info.min if kind == 'max' else info.max


def reduce_inputs(dt, kind):
    """(label, array, list of axes lists)."""
    if kind == 'prod':
        gen = (lambda s: floats(dt, s, 0.5, 2.0)) if dt in FLOAT else \
            (lambda s: ints_small(dt, s, -3, 3))
    elif dt in INT:
        gen = lambda s: ints_full(dt, s)  # noqa: E731 (sums wrap)
    else:
        gen = lambda s: rand(dt, s, -100, 100)  # noqa: E731
    out = [('r3', gen((2, 3, 4)), AXES_R3), ('r2', gen((3, 5)), ([1], [0], [0, 1])),
           ('scalar', gen(()), ([],)), ('zero', gen((2, 0, 3)), ([1], [0], [0, 1, 2], [2])),
           ('r1', gen((9,)), ([0],)), ('large', gen((37, 130)), ([0], [1], [0, 1]))]
    if dt in FLOAT:
        s = arr([1.0, math.nan, 2.0, math.inf, -math.inf, 3.0, math.inf, 0.0, -0.0, 5.0, -0.0,
                 -0.0], dt).reshape(4, 3)
        out.append(('special', s, ([0], [1])))
    return out


def reduce_cases():
    out = []
    fns = {'sum': np.add, 'prod': np.multiply, 'max': np.maximum, 'min': np.minimum}
    for kind, dts in (('sum', NUM), ('prod', NUM), ('max', ANY), ('min', ANY)):
        for dt in dts:
            for lbl, x, axes_list in reduce_inputs(dt, kind):
                for axes in axes_list:
                    ax = tuple(a % x.ndim for a in axes)
                    name = 'reduce_' + kind
                    label = '%s_ax%s' % (lbl, ''.join(map(str, axes)))
                    attrs = {'axes': axes}
                    if dt in FLOAT:
                        with np.errstate(all='ignore'):
                            x64 = x.astype(np.float64)
                            ref = fns[kind].reduce(x64, axis=ax, initial=identity(kind, dt)) \
                                if ax else x64
                            n = max(1, int(np.prod([x.shape[a] for a in ax])))
                            if kind == 'sum':
                                mag = np.add.reduce(np.abs(x64), axis=ax) if ax else np.abs(x64)
                                chk = dict(mode='tol', rtol=2 * EPS[dt],
                                           atol=4 * n * EPS['f64'] * mag + ATOL[dt])
                            elif kind == 'prod':
                                chk = dict(mode='tol', rtol=2 * n * EPS[dt], atol=ATOL[dt])
                            else:
                                chk = dict(signed_zero=False)
                        out.append(node(name, dt, label, [x], attrs,
                                        np.asarray(ref).astype(x.dtype), **chk))
                    else:
                        if ax:
                            kw = {'dtype': x.dtype} if kind in ('sum', 'prod') else {}
                            ref = fns[kind].reduce(x, axis=ax, initial=identity(kind, dt), **kw)
                        else:
                            ref = x
                        out.append(node(name, dt, label, [x], attrs, np.asarray(ref).astype(x.dtype)))
    return out


def arg_cases():
    out = []
    for dt in NUM:
        xs = [('r2', rand(dt, (3, 5), 0, 3)), ('r1', rand(dt, (6,), 0, 3)),
              ('r3', rand(dt, (2, 3, 4), -50, 50)), ('zero', rand(dt, (0, 3), 0, 3))]
        if dt in FLOAT:
            s = arr([[1.0, math.nan, 5.0, math.nan], [-math.inf, -math.inf, 2.0, 2.0],
                     [math.inf, 0.0, math.inf, -1.0], [-0.0, 0.0, -1.0, -1.0]], dt)
            xs.append(('special', s))
        for lbl, x in xs:
            for axis in list(range(x.ndim)) + [-1]:
                if x.shape[axis] == 0:
                    continue
                for idt in ('i32', 'i64'):
                    attrs = {'axes': [axis], 'index_dtype': Raw(idt)}
                    for name, fn in (('argmax', np.argmax), ('argmin', np.argmin)):
                        out.append(node(name, dt, '%s_ax%d_%s' % (lbl, axis, idt), [x], attrs,
                                        fn(x, axis=axis).astype(DTYPES[idt])))
    return out


def cumsum_cases():
    out = []
    for dt in NUM:
        for lbl, x in (('r3', ints_full(dt, (2, 3, 4)) if dt in INT else rand(dt, (2, 3, 4), -100, 100)),
                       ('r1', rand(dt, (10,), -100, 100)), ('zero', rand(dt, (2, 0))),
                       ('scalar1', rand(dt, (1,))), ('large', rand(dt, (3, 300), -100, 100))):
            for axis in list(range(x.ndim)) + [-1]:
                for rev in (False, True):
                    attrs = {'axis': axis}
                    if rev or axis == 0:
                        attrs['reverse'] = rev
                    y = np.flip(x, axis) if rev else x
                    if dt in FLOAT:
                        y64 = y.astype(np.float64)
                        ref = np.cumsum(y64, axis=axis)
                        mag = np.cumsum(np.abs(y64), axis=axis)
                        n = max(1, x.shape[axis])
                        if rev:
                            ref, mag = np.flip(ref, axis), np.flip(mag, axis)
                        chk = dict(mode='tol', rtol=EPS[dt], atol=2 * n * EPS[dt] * mag + ATOL[dt])
                        ref = ref.astype(x.dtype)
                    else:
                        ref = np.cumsum(y, axis=axis, dtype=x.dtype)
                        if rev:
                            ref = np.flip(ref, axis)
                        chk = {}
                    out.append(node('cumsum', dt, '%s_ax%d%s' % (lbl, axis, '_rev' if rev else ''),
                                    [x], attrs, np.array(ref, order="C"), **chk))
    return out


# label, lhs shape, rhs shape, attrs, einsum spec
DOTS = [
    ('matmul', (3, 4), (4, 5), dict(lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]),
     'ik,kj->ij'),
    ('vdot', (4,), (4,), dict(lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]),
     'k,k->'),
    ('matvec', (3, 4), (4,), dict(lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]),
     'ik,k->i'),
    ('batched', (2, 3, 4), (2, 4, 5),
     dict(lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[1], lhs_batch_dimensions=[0],
          rhs_batch_dimensions=[0]), 'bik,bkj->bij'),
    ('transposed', (4, 3), (5, 4), dict(lhs_contracting_dimensions=[0],
                                        rhs_contracting_dimensions=[1]), 'ki,jk->ij'),
    ('outer', (3,), (4,), dict(lhs_contracting_dimensions=[], rhs_contracting_dimensions=[]),
     'i,j->ij'),
    ('k0', (3, 0), (0, 2), dict(lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]),
     'ik,kj->ij'),
    ('batch_mid', (3, 2, 4), (4, 2, 5),
     dict(lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[0], lhs_batch_dimensions=[1],
          rhs_batch_dimensions=[1]), 'ibk,kbj->bij'),
    ('two_k', (2, 3, 4), (3, 4, 5), dict(lhs_contracting_dimensions=[1, 2],
                                         rhs_contracting_dimensions=[0, 1]), 'ikl,klj->ij'),
    ('big', (17, 33), (33, 9), dict(lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]),
     'ik,kj->ij'),
    ('two_k_swapped', (2, 3, 4), (4, 3, 5), dict(lhs_contracting_dimensions=[2, 1],
                                                 rhs_contracting_dimensions=[0, 1]), 'ilk,klj->ij'),
    ('batch_swapped', (2, 3, 4, 5), (3, 2, 5, 6),
     dict(lhs_contracting_dimensions=[3], rhs_contracting_dimensions=[2], lhs_batch_dimensions=[0, 1],
          rhs_batch_dimensions=[1, 0]), 'abik,bakj->abij'),
    ('batch_only', (2, 3), (2, 3), dict(lhs_contracting_dimensions=[], rhs_contracting_dimensions=[],
                                        lhs_batch_dimensions=[0, 1], rhs_batch_dimensions=[0, 1]),
     'ab,ab->ab'),
    ('batch_zero', (0, 3, 4), (0, 4, 2),
     dict(lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[1], lhs_batch_dimensions=[0],
          rhs_batch_dimensions=[0]), 'bik,bkj->bij'),
]


def layout_dots():
    """Batched dots with every layout of both operands (b, m, k) x (b, k, n),
    and plain matmuls with every layout at a size where BLAS blocks."""
    import itertools
    out = []
    size = {'b': 2, 'm': 3, 'k': 4, 'n': 5}
    for pl in itertools.permutations('bmk'):
        for pr in itertools.permutations('bkn'):
            attrs = dict(lhs_contracting_dimensions=[pl.index('k')],
                         rhs_contracting_dimensions=[pr.index('k')],
                         lhs_batch_dimensions=[pl.index('b')], rhs_batch_dimensions=[pr.index('b')])
            out.append(('lay_%s_%s' % (''.join(pl), ''.join(pr)), tuple(size[c] for c in pl),
                        tuple(size[c] for c in pr), attrs, '%s,%s->bmn' % (''.join(pl), ''.join(pr))))
    size = {'m': 33, 'k': 65, 'n': 17}
    for pl in ('mk', 'km'):
        for pr in ('kn', 'nk'):
            attrs = dict(lhs_contracting_dimensions=[pl.index('k')],
                         rhs_contracting_dimensions=[pr.index('k')])
            out.append(('big_%s_%s' % (pl, pr), tuple(size[c] for c in pl), tuple(size[c] for c in pr),
                        attrs, '%s,%s->mn' % (pl, pr)))
    return out


def dot_ref(a, b, spec, dt, k):
    """Reference of a dot in dtype dt: floats via float64 with a tolerance,
    ints exactly (mod 2^64, then wrapped to dt)."""
    if dt in FLOAT:
        a64, b64 = a.astype(np.float64), b.astype(np.float64)
        ref = np.einsum(spec, a64, b64)
        mag = np.einsum(spec, np.abs(a64), np.abs(b64))
        chk = dict(mode='tol', rtol=2 * EPS[dt], atol=4 * k * EPS[dt] * mag + ATOL[dt])
        return np.asarray(ref).astype(DTYPES[dt]), chk
    with np.errstate(all='ignore'):
        ref = np.einsum(spec, a.astype(np.uint64), b.astype(np.uint64))
    return np.asarray(ref).astype(DTYPES[dt]), {}


def dot_cases():
    out = []
    for dt in NUM:
        for lbl, ls, rs, attrs, spec in DOTS + (layout_dots() if dt in ('f32', 'f64', 'i32') else []):
            gen = (lambda s: ints_full(dt, s)) if (dt in INT and lbl in ('matmul', 'big')) else \
                (lambda s: rand(dt, s, -9, 9))
            a, b = gen(ls), gen(rs)
            k = int(np.prod([ls[i] for i in attrs['lhs_contracting_dimensions']]))
            ref, chk = dot_ref(a, b, spec, dt, max(k, 1))
            out.append(node('dot_general', dt, lbl, [a, b], attrs, ref, **chk))
        for pt in ('f64', 'f32', 'i64') if dt not in UINT else ('i32', 'f32'):
            if pt == dt:
                continue
            a, b = rand(dt, (3, 4), -9, 9), rand(dt, (4, 2), -9, 9)
            ref, chk = dot_ref(a.astype(DTYPES[pt]), b.astype(DTYPES[pt]), 'ik,kj->ij', pt, 4)
            out.append(node('dot_general', dt, 'pref_' + pt, [a, b],
                            dict(lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0],
                                 preferred_element_type=Raw(pt)), ref, **chk))
    return out


def cases():
    return reduce_cases() + arg_cases() + cumsum_cases() + dot_cases()

