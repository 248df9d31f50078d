"""Cases of the elementwise ops: unary, binary, comparisons, select, clamp,
convert_element_type and bitcast_convert_type."""
import math

import numpy as np

from jetnp import (ANY, ATOL, DTYPES, EPS, FLOAT, INT, NUM, SHAPES, SINT, UINT, Raw, arr, bools,
                   elementwise_int, extremes, float_specials, floats, ints_full, ints_small, node,
                   rand, tol_for)

verf = np.vectorize(math.erf, otypes=[np.float64])


def logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


# name, float64 reference, random domain, extra special inputs, 'E' exact or 'T' transcendental
UNARY_FLOAT = [
    ('floor', np.floor, (-10, 10), [2.5, -2.5, -0.5, 1e300], 'E'),
    ('ceil', np.ceil, (-10, 10), [2.5, -2.5, -0.5, 1e300], 'E'),
    ('exp', np.exp, (-20, 20), [100.0, -200.0, 700.0, 710.0, -750.0, 1e-10], 'T'),
    ('exp2', np.exp2, (-30, 30), [128.0, 127.5, -150.0, 1024.0, -1080.0, 10.0], 'T'),
    ('log', np.log, (0, 100), [1e-30, 1e30, 2.0, 1e-300], 'T'),
    ('log1p', np.log1p, (-0.99, 10), [1e-10, -1e-10, -2.0, 1e30, -0.999999], 'T'),
    ('expm1', np.expm1, (-10, 10), [1e-10, -1e-10, 100.0, -100.0, 1e-5], 'T'),
    ('sqrt', np.sqrt, (0, 100), [2.0, 1e-30, 4.0, 1e300], 'E'),
    ('rsqrt', lambda x: 1.0 / np.sqrt(x), (0.01, 100), [4.0, 1e-30, 2.0, 1e300], 'T'),
    ('tanh', np.tanh, (-5, 5), [20.0, -20.0, 1e-10, 0.3], 'T'),
    ('logistic', logistic, (-30, 30), [-100.0, 100.0, -800.0, 1e-10, 40.0], 'T'),
    ('sin', np.sin, (-10, 10), [3.14159, 1e-10, 100.0], 'T'),
    ('cos', np.cos, (-10, 10), [3.14159, 1e-10, 100.0], 'T'),
    ('tan', np.tan, (-1.5, 1.5), [3.14159, 1e-10, 1.57], 'T'),
    ('asin', np.arcsin, (-1, 1), [1.5, -1.5, 1e-10, 0.999], 'T'),
    ('acos', np.arccos, (-1, 1), [1.5, -1.5, 1e-10, 0.999], 'T'),
    ('atan', np.arctan, (-10, 10), [1e10, -1e10, 1e-10], 'T'),
    ('sinh', np.sinh, (-10, 10), [100.0, -100.0, 1e-10, 800.0], 'T'),
    ('cosh', np.cosh, (-10, 10), [100.0, -100.0, 1e-10, 800.0], 'T'),
    ('erf', verf, (-4, 4), [1e-10, 10.0, -10.0, 0.3], 'T'),
]


def float_inputs(dt, dom, extra):
    """Arrays of several shapes; the rank-1 one holds the special values."""
    out = []
    for shape in SHAPES:
        out.append(floats(dt, shape, *dom))
    specials = float_specials(dt) + extra
    out.append(np.array(specials, dtype=np.float64).astype(DTYPES[dt]))
    return out


def fref(fn, x, dt):
    """float64 reference of a float op, rounded to dtype dt."""
    with np.errstate(all='ignore'):
        return np.asarray(fn(x.astype(np.float64))).astype(DTYPES[dt])


def unary_float_cases():
    out = []
    for name, fn, dom, extra, kind in UNARY_FLOAT:
        for dt in FLOAT:
            chk = tol_for(dt) if kind == 'T' else {}
            for i, x in enumerate(float_inputs(dt, dom, extra)):
                out.append(node(name, dt, 'in%d' % i, [x], {}, fref(fn, x, dt), **chk))
    for dt in FLOAT:
        for i, x in enumerate(float_inputs(dt, (-10, 10), [])):
            out.append(node('is_finite', dt, 'in%d' % i, [x], {}, np.isfinite(x)))
        # round: 0 = half away from zero, 1 = half to even (np.round)
        halves = np.array([0.5, 1.5, 2.5, -0.5, -1.5, -2.5, 0.49999997, -0.49999997,
                           0.49999999999999994, 3.7, -3.7, 2.0 ** 52 + 1, 1e30, 0.0, -0.0,
                           math.nan, math.inf, -math.inf, -0.2]).astype(DTYPES[dt])
        for i, x in enumerate(float_inputs(dt, (-10, 10), []) + [halves]):
            x64 = x.astype(np.float64)
            tr = np.trunc(x64)
            away = np.copysign(tr + np.where(np.abs(x64 - tr) >= 0.5, np.sign(x64), 0.0), x64)
            even = np.copysign(np.round(x64), x64)
            out.append(node('round', dt, 'away%d' % i, [x], {'rounding_method': 0},
                            away.astype(DTYPES[dt])))
            out.append(node('round', dt, 'even%d' % i, [x], {'rounding_method': 1},
                            even.astype(DTYPES[dt])))
            if i == 6:
                out.append(node('round', dt, 'default', [x], {}, away.astype(DTYPES[dt])))
        # erf_inv: erf(got) must give back the input
        for i, x in enumerate(float_inputs(dt, (-1, 1), [0.999999, -0.9999999, 1e-10, 0.5,
                                                         1.0 - 2.0 ** -20])):
            out.append(node('erf_inv', dt, 'in%d' % i, [x], {}, x.copy(), mode='fn',
                            fn=erf_inv_check(dt)))
    return out


def erf_inv_check(dt):
    rtol = {'f32': 2e-6, 'f64': 4e-15}[dt]

    def check(got, x, inputs):
        y = got.reshape(-1).astype(np.float64)
        x = x.reshape(-1).astype(np.float64)
        bad = np.zeros(x.shape, dtype=bool)
        with np.errstate(all='ignore'):
            special = np.isnan(x) | (np.abs(x) >= 1)
            want = np.where(np.abs(x) > 1, math.nan, np.where(x == 1, math.inf, -math.inf))
            want = np.where(np.isnan(x), math.nan, want)
            bad |= special & np.isnan(want) & ~np.isnan(y)
            bad |= special & ~np.isnan(want) & (y != want)
            ok_dom = ~special
            back = verf(np.where(ok_dom & np.isfinite(y), y, 0.0))
            bad |= ok_dom & ~np.isfinite(y)
            bad |= ok_dom & ~(np.abs(back - x) <= rtol * np.abs(x) + ATOL[dt])
            bad |= ok_dom & (x == 0) & ((y != 0) | (np.signbit(y) != np.signbit(x)))
        return np.nonzero(bad)[0]
    return check


def int_inputs(dt):
    return [ints_full(dt, s) for s in SHAPES] + [arr(extremes(dt), dt)]


def unary_int_cases():
    out = []
    for dt in INT:
        for i, x in enumerate(int_inputs(dt)):
            out.append(node('neg', dt, 'in%d' % i, [x], {}, elementwise_int(lambda a: -a, dt, x)))
            out.append(node('sign', dt, 'in%d' % i, [x], {},
                            elementwise_int(lambda a: (a > 0) - (a < 0), dt, x)))
            out.append(node('square', dt, 'in%d' % i, [x], {},
                            elementwise_int(lambda a: a * a, dt, x)))
            out.append(node('not', dt, 'in%d' % i, [x], {}, np.invert(x)))
            if dt in SINT:
                out.append(node('abs', dt, 'in%d' % i, [x], {}, elementwise_int(abs, dt, x)))
            for y in (0, 1, 2, 3, 5, 7, 31, 64):
                if i in (2, 6):
                    out.append(node('integer_pow', dt, 'y%d_in%d' % (y, i), [x], {'y': y},
                                    elementwise_int(lambda a, y=y: a ** y, dt, x)))
    for i, x in enumerate([bools(s) for s in SHAPES] + [np.array([False, True])]):
        out.append(node('not', 'bool', 'in%d' % i, [x], {}, np.logical_not(x)))
    for dt in FLOAT:
        for i, x in enumerate(float_inputs(dt, (-10, 10), [2.0 ** 100, 1e-20])):
            x64 = x.astype(np.float64)
            out.append(node('neg', dt, 'in%d' % i, [x], {}, (-x64).astype(x.dtype)))
            out.append(node('abs', dt, 'in%d' % i, [x], {}, np.abs(x64).astype(x.dtype)))
            sign = np.where(x64 > 0, 1.0, np.where(x64 < 0, -1.0, x64))
            out.append(node('sign', dt, 'in%d' % i, [x], {}, sign.astype(x.dtype)))
            out.append(node('square', dt, 'in%d' % i, [x], {}, (x64 * x64).astype(x.dtype)))
            for y in (0, 1, 2, 3, 7, -1, -2):
                if i in (2, 6):
                    # XLA multiplies by squaring: allow a few roundings per factor
                    rt = (4 * abs(y) + 4) * EPS[dt]
                    with np.errstate(all='ignore'):
                        ref = (x64 ** y).astype(x.dtype)
                    out.append(node('integer_pow', dt, 'y%d_in%d' % (y, i), [x], {'y': y}, ref,
                                    mode='tol', rtol=rt, atol=ATOL[dt]))
    return out


# ---- binary -------------------------------------------------------------

def binary_pairs(dt, full=True):
    """(label, a, b): equal shapes, scalar lhs/rhs, and the cross product of
    the special values."""
    gen = (lambda s: ints_full(dt, s)) if (dt in INT and full) else (lambda s: rand(dt, s))
    out = [('s%d' % i, gen(s), gen(s)) for i, s in enumerate(SHAPES)]
    out.append(('lscalar', gen(()), gen((3, 4))))
    out.append(('rscalar', gen((2, 5)), gen(())))
    ex = extremes(dt)
    a = np.array([x for x in ex for _ in ex], dtype=np.float64 if dt in FLOAT else object)
    b = np.array([y for _ in ex for y in ex], dtype=np.float64 if dt in FLOAT else object)
    out.append(('special', a.astype(DTYPES[dt]), b.astype(DTYPES[dt])))
    return out


def c_div(a, b):
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def binary_cases():
    out = []
    for dt in FLOAT:
        T = tol_for(dt)
        for lbl, a, b in binary_pairs(dt):
            a64, b64 = a.astype(np.float64), b.astype(np.float64)
            with np.errstate(all='ignore'):
                exact = [('add', a64 + b64), ('sub', a64 - b64), ('mul', a64 * b64),
                         ('div', a64 / b64), ('rem', np.fmod(a64, b64))]
                for name, ref in exact:
                    out.append(node(name, dt, lbl, [a, b], {}, ref.astype(a.dtype)))
                for name, ref in (('max', np.maximum(a64, b64)), ('min', np.minimum(a64, b64))):
                    out.append(node(name, dt, lbl, [a, b], {}, ref.astype(a.dtype),
                                    signed_zero=False))
                out.append(node('atan2', dt, lbl, [a, b], {}, np.arctan2(a64, b64).astype(a.dtype),
                                **T))
                if lbl != 'special':  # pow on a sensible domain, specials below
                    pa, pb = np.abs(a), b / np.array(2, a.dtype)
                else:
                    pa, pb = a, b
                ref = np.power(pa.astype(np.float64), pb.astype(np.float64)).astype(a.dtype)
                out.append(node('pow', dt, lbl, [pa, pb], {}, ref, **T))
    for dt in INT:
        for lbl, a, b in binary_pairs(dt):
            with np.errstate(all='ignore'):
                for name, fn in (('add', np.add), ('sub', np.subtract), ('mul', np.multiply),
                                 ('max', np.maximum), ('min', np.minimum),
                                 ('and', np.bitwise_and), ('or', np.bitwise_or),
                                 ('xor', np.bitwise_xor)):
                    out.append(node(name, dt, lbl, [a, b], {}, fn(a, b)))
            info = np.iinfo(DTYPES[dt])
            # div/rem against numpy (C truncation) where the divisor is non-zero
            # and the quotient fits; the XLA rules for the rest below.
            bb = np.where(b == 0, np.array(3, b.dtype), b)
            if dt in SINT:
                bb = np.where((a == info.min) & (bb == -1), np.array(5, b.dtype), bb)
            out.append(node('div', dt, lbl, [a, bb], {}, elementwise_int(c_div, dt, a, bb)))
            out.append(node('rem', dt, lbl, [a, bb], {}, np.fmod(a, bb)))
            small = ints_small(dt, b.shape, -9, 9)
            out.append(node('div', dt, lbl + '_small', [a, np.where(small == 0, 1, small).astype(
                b.dtype)], {}, elementwise_int(c_div, dt, a, np.where(small == 0, 1, small))))
        # XLA rules: x / 0 = -1 (all ones), x % 0 = x, INT_MIN / -1 = INT_MIN, INT_MIN % -1 = 0
        info = np.iinfo(DTYPES[dt])
        a = arr([info.min, -5, 0, 7, info.max] + ([info.min] if dt in SINT else []), dt)
        b = arr([0, 0, 0, 0, 0] + ([-1] if dt in SINT else []), dt)
        q = arr([-1] * 5 + ([info.min] if dt in SINT else []), dt) if dt in SINT else \
            arr([info.max] * 5, dt)
        r = arr([info.min, -5, 0, 7, info.max] + ([0] if dt in SINT else []), dt)
        out.append(node('div', dt, 'xla_zero', [a, b], {}, q))
        out.append(node('rem', dt, 'xla_zero', [a, b], {}, r))
        out.extend(shift_cases(dt))
    for lbl, a, b in binary_pairs('bool'):
        for name, fn in (('max', np.maximum), ('min', np.minimum), ('and', np.logical_and),
                         ('or', np.logical_or), ('xor', np.logical_xor)):
            out.append(node(name, 'bool', lbl, [a, b], {}, fn(a, b)))
    return out


def shift_cases(dt):
    d = DTYPES[dt]
    bits = d.itemsize * 8
    udt = np.dtype('u%d' % d.itemsize)
    sdt = np.dtype('i%d' % d.itemsize)
    out = []
    x = ints_full(dt, (4, 5))
    n = rng_amounts(dt, (4, 5), 0, bits - 1)
    out.append(node('shift_left', dt, 'inrange', [x, n], {}, np.left_shift(x, n)))
    out.append(node('shift_right_logical', dt, 'inrange', [x, n], {},
                    np.right_shift(x.view(udt), n.astype(udt)).view(d)))
    out.append(node('shift_right_arithmetic', dt, 'inrange', [x, n], {},
                    np.right_shift(x.view(sdt), n.astype(sdt)).view(d)))
    xs = ints_full(dt, ())
    out.append(node('shift_left', dt, 'scalar', [xs, n], {}, np.left_shift(xs, n)))
    # out-of-range amounts: 0 for shift_left / logical, sign fill for arithmetic
    info = np.iinfo(d)
    amounts = [bits, bits + 1, 2 * bits, info.max] + ([-1, info.min] if dt in SINT else [])
    xv = [info.min, -1 if dt in SINT else info.max, 0, 1, 5, info.max]
    xa = arr([v for v in xv for _ in amounts], dt)
    na = arr([m for _ in xv for m in amounts], dt)
    zero = np.zeros_like(xa)
    fill = np.where(xa.view(sdt) < 0, np.array(-1, sdt), np.array(0, sdt)).view(d)
    out.append(node('shift_left', dt, 'xla_range', [xa, na], {}, zero))
    out.append(node('shift_right_logical', dt, 'xla_range', [xa, na], {}, zero))
    out.append(node('shift_right_arithmetic', dt, 'xla_range', [xa, na], {}, fill))
    return out


def rng_amounts(dt, shape, lo, hi):
    return ints_small(dt, shape, lo, hi)


def compare_cases():
    out = []
    ops = (('eq', np.equal), ('ne', np.not_equal), ('lt', np.less), ('le', np.less_equal),
           ('gt', np.greater), ('ge', np.greater_equal))
    for dt in ANY:
        for lbl, a, b in binary_pairs(dt, full=False):
            if dt != 'bool' and lbl == 's2':
                b = np.where(rand('bool', b.shape), a, b)  # some equal pairs
            for name, fn in ops:
                out.append(node(name, dt, lbl, [a, b], {}, fn(a, b)))
    return out


def select_clamp_cases():
    out = []
    for dt in ANY:
        for lbl, ps, s in (('same', (3, 4), (3, 4)), ('spred', (), (2, 3)),
                           ('scalar', (), ()), ('zero', (2, 0), (2, 0)), ('r3', (2, 3, 2), (2, 3, 2))):
            p = bools(ps)
            t = rand(dt, s, -100, 100)
            f = rand(dt, s, -100, 100)
            out.append(node('select', dt, lbl, [p, t, f], {}, np.where(p, t, f), mode='bits'))
    for dt in NUM:
        x = rand(dt, (4, 5), -50, 50)
        if dt in FLOAT:
            x.reshape(-1)[:4] = [math.nan, math.inf, -math.inf, -0.0]
        lo = arr(-10 if dt not in UINT else 5, dt)
        hi = arr(10 if dt not in UINT else 30, dt)
        sz = {} if dt in INT else {'signed_zero': False}
        out.append(node('clamp', dt, 'scalars', [lo, x, hi], {}, np.clip(x, lo, hi), **sz))
        los = rand(dt, (4, 5), -30, 10)
        his = (los + rand(dt, (4, 5), 0, 20)).astype(DTYPES[dt])
        out.append(node('clamp', dt, 'arrays', [los, x, his], {},
                        np.minimum(np.maximum(x, los), his), **sz))
        out.append(node('clamp', dt, 'lo_scalar', [lo, x, his], {},
                        np.minimum(np.maximum(x, lo), his), **sz))
        out.append(node('clamp', dt, 'hi_scalar', [los, x, hi], {},
                        np.minimum(np.maximum(x, los), hi), **sz))
        out.append(node('clamp', dt, 'lo_gt_hi', [hi, x, lo], {},
                        np.minimum(np.maximum(x, hi), lo), **sz))
        out.append(node('clamp', dt, 'zero', [lo, rand(dt, (0, 3)), hi], {},
                        np.zeros((0, 3), DTYPES[dt])))
        xs = rand(dt, (), -50, 50)
        out.append(node('clamp', dt, 'scalar_x', [lo, xs, hi], {}, np.clip(xs, lo, hi)))
    return out


# ---- conversions --------------------------------------------------------

def convert_inputs(src, dst):
    if src == 'bool':
        return bools((3, 5))
    if src in INT:
        return np.concatenate([ints_full(src, (20,)), arr(extremes(src), src)])
    # float source
    if dst in INT:
        info = np.iinfo(DTYPES[dst])
        lo, hi = max(float(info.min), -1e6), min(float(info.max), 1e6)
        x = floats(src, (20,), lo, hi)
        # the largest float below 2^bits(-1) and the type's minimum are in range
        top = float(np.nextafter(np.array(float(info.max) + 1, DTYPES[src]),
                                 np.array(0, DTYPES[src])))
        edge = [0.7, -0.7, 0.0, -0.0, 1.5, 2.999, float(min(info.max, 2 ** 24)), top,
                float(info.min)]
        if dst in SINT:
            edge += [-1.5, -2.999, -float(2 ** 24), float(info.min) / 2 - 0.5]
        if dst == 'u32' or dst == 'i64':
            edge += [top / 2 + 1.5, top / 4]
        return np.concatenate([x, arr(edge, src)])
    return np.concatenate([floats(src, (20,), -1e6, 1e6),
                           arr(float_specials(src) + [1e39, -1e39, 1e-46, 0.1, 3.4028235677973366e38],
                               src)])


def saturate(x, dst):
    info = np.iinfo(DTYPES[dst])
    out = []
    for v in x.reshape(-1).astype(np.float64).tolist():
        if math.isnan(v):
            out.append(0)
        elif math.isinf(v):
            out.append(info.max if v > 0 else info.min)
        else:
            out.append(min(max(math.trunc(v), info.min), info.max))
    return np.array(out, dtype=DTYPES[dst]).reshape(x.shape)


def convert_cases():
    out = []
    for src in ANY:
        for dst in ANY:
            x = convert_inputs(src, dst)
            with np.errstate(all='ignore'):
                if src in FLOAT and dst in INT:
                    ref = np.trunc(x).astype(DTYPES[dst])
                else:
                    ref = x.astype(DTYPES[dst])
            attrs = {'new_dtype': Raw(dst)}
            out.append(node('convert_element_type', src, 'to_' + dst, [x], attrs, ref))
            out.append(node('convert_element_type', src, 'to_%s_scalar' % dst,
                            [x.reshape(-1)[:1].reshape(())], attrs, ref.reshape(-1)[:1].reshape(())))
            if src in FLOAT and dst in INT:
                # XLA rule (numpy leaves it undefined): saturate, NaN -> 0
                info = np.iinfo(DTYPES[dst])
                s = arr([math.nan, math.inf, -math.inf, 1e30, -1e30, float(info.max) * 2,
                         -1.0, -0.99, float(info.min) - 1e3, float(info.max) + 1,
                         float(np.nextafter(np.array(float(info.min), DTYPES[src]),
                                            np.array(-math.inf, DTYPES[src])))], src)
                out.append(node('convert_element_type', src, 'saturate_' + dst, [s], attrs,
                                saturate(s, dst)))
    groups = [['bool', 'u8'], ['i32', 'u32', 'f32'], ['i64', 'f64']]
    for g in groups:
        for src in g:
            for dst in g:
                if src == 'bool':
                    x = bools((2, 3))
                elif dst == 'bool':
                    x = ints_small(src, (2, 3), 0, 1)
                elif src in FLOAT:
                    x = np.concatenate([floats(src, (6,)), arr([math.nan, -0.0, math.inf], src)])
                else:
                    x = ints_full(src, (2, 3))
                out.append(node('bitcast_convert_type', src, 'to_' + dst, [x],
                                {'new_dtype': Raw(dst)}, x.view(DTYPES[dst]), mode='bits'))
    return out


def cases():
    return (unary_float_cases() + unary_int_cases() + binary_cases() + compare_cases()
            + select_clamp_cases() + convert_cases())

