"""Helpers of the numpy cross-check (check_ops.py): dtypes, the text form of
one-node graphs, random data with a fixed seed, and comparisons.

Comparison modes (Case.check):
  bits   the output bytes equal the reference's (data movement: structure,
         slicing, gather, select, constants, bitcast, stop_gradient).
  exact  equal values; NaN matches any NaN; the sign of a zero must match
         (ints and bool: plain equality). Used for integer math (wrapping
         computed exactly), comparisons, and float ops that IEEE 754 rounds
         correctly (add, sub, mul, div, sqrt, fmod, square, neg, abs, floor,
         ceil, round, conversions). For f32 the reference is computed in f64
         and rounded once, which equals the correctly rounded f32 result for
         these ops (53 >= 2 * 24 + 2).
  tol    |got - ref| <= atol + rtol * |ref| for finite values, where ref is
         the float64 reference rounded to the output dtype; NaN must match
         NaN, infinities must match exactly, and an exact-zero reference
         needs a zero of the same sign (unless signed_zero=False).
         Transcendentals (libm-style functions): rtol 1e-6 for f32 (about 8
         to 16 ulp) and 4e-15 for f64 (about 18 to 36 ulp: numpy's own f64
         functions may be SIMD versions with up to 4 ulp error); atol is 4
         times the smallest normal number (subnormal results).
  fn     a custom check (erf_inv checks erf(got) against the input).
"""
import math

import numpy as np

DTYPES = {
    'bool': np.dtype(np.bool_),
    'i32': np.dtype(np.int32),
    'i64': np.dtype(np.int64),
    'u8': np.dtype(np.uint8),
    'u32': np.dtype(np.uint32),
    'f32': np.dtype(np.float32),
    'f64': np.dtype(np.float64),
}
JET_NAME = {v: k for k, v in DTYPES.items()}
FLOAT = ['f32', 'f64']
SINT = ['i32', 'i64']
UINT = ['u8', 'u32']
INT = SINT + UINT
NUM = INT + FLOAT
ANY = NUM + ['bool']
INTBOOL = INT + ['bool']
SIGNED = SINT + FLOAT

# Tolerances of the 'tol' mode for transcendental functions, per dtype.
RTOL_T = {'f32': 1e-6, 'f64': 4e-15}
EPS = {'f32': float(np.finfo(np.float32).eps), 'f64': float(np.finfo(np.float64).eps)}
ATOL = {'f32': 4 * float(np.finfo(np.float32).tiny), 'f64': 4 * float(np.finfo(np.float64).tiny)}

SEED = 20240611
rng = np.random.default_rng(SEED)


def jname(dt):
    return JET_NAME[np.dtype(dt)]


def ty(arr):
    """Text type of an array: f32[2,3], i32[]."""
    return '%s[%s]' % (jname(arr.dtype), ','.join(str(d) for d in arr.shape))


def fmt_elem(v, dt):
    dt = np.dtype(dt)
    if dt == np.bool_:
        return 'true' if v else 'false'
    if dt.kind in 'iu':
        return str(int(v))
    f = float(v)
    if math.isnan(f):
        bits = int(np.array(v, dt).view(np.uint32 if dt == np.float32 else np.uint64))
        canon = 0x7fc00000 if dt == np.float32 else 0x7ff8000000000000
        return 'nan' if bits == canon else 'nan(0x%x)' % bits
    if math.isinf(f):
        return 'inf' if f > 0 else '-inf'
    return repr(f)


def literal(arr):
    """Array literal in the text syntax: f32[2]{1.0, nan}."""
    flat = np.array(arr, order="C").reshape(-1)
    return '%s{%s}' % (ty(arr), ', '.join(fmt_elem(v, arr.dtype) for v in flat))


class Raw(str):
    """An attribute value written as is (dtype names, literals)."""


def fmt_attr(v):
    if isinstance(v, bool):
        return 'true' if v else 'false'
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (list, tuple)):
        return '[' + ', '.join(str(int(x)) for x in v) + ']'
    return str(v)


def fmt_attrs(attrs):
    if not attrs:
        return ''
    return '[' + ', '.join('%s=%s' % (k, fmt_attr(v)) for k, v in attrs.items()) + ']'


class Case:
    """One graph run: op and dtype (for coverage), label, graph text,
    arguments, expected outputs (numpy arrays of the expected dtype and
    shape) and the comparison."""

    def __init__(self, op, dt, label, text, args, expected, check):
        self.op, self.dt, self.label = op, dt, label
        self.text, self.args, self.expected, self.check = text, args, expected, check

    @property
    def name(self):
        return '%s/%s/%s' % (self.op, self.dt, self.label)


def node_text(op, args, attrs, outs):
    """A graph of one node applied to all parameters, returning its results."""
    n = len(args)
    params = ', '.join('%%%d: %s' % (i, ty(a)) for i, a in enumerate(args))
    operands = ', '.join('%%%d' % i for i in range(n))
    res = ', '.join('%%%d' % (n + i) for i in range(len(outs)))
    types = ', '.join(ty(o) for o in outs)
    head = op + fmt_attrs(attrs) + (' ' + operands if operands else '')
    return 'graph c(%s) {\n  %s = %s : %s\n  return %s\n}\n' % (params, res, head, types, res)


def check_spec(mode='exact', **kw):
    kw['mode'] = mode
    return kw


def node(op, dt, label, args, attrs, expected, mode='exact', **kw):
    """Case of a one-node graph; expected is one array or a list."""
    outs = expected if isinstance(expected, list) else [expected]
    args = [np.array(a, order="C") for a in args]
    outs = [np.array(o, order="C") for o in outs]
    return Case(op, dt, label, node_text(op, args, attrs, outs), args, outs, check_spec(mode, **kw))


def tol_for(dt, kind='T'):
    """check kwargs for 'tol' mode: kind T = transcendental."""
    return dict(mode='tol', rtol=RTOL_T[dt], atol=ATOL[dt])


# ---- data ---------------------------------------------------------------

SHAPES = [(), (7,), (3, 4), (2, 0, 3), (2, 3, 4), (5, 203)]


def arr(values, dt):
    return np.array(values, dtype=DTYPES[dt] if isinstance(dt, str) else dt)


def ints_full(dt, shape):
    info = np.iinfo(DTYPES[dt])
    return rng.integers(info.min, info.max, size=shape, dtype=DTYPES[dt], endpoint=True)


def ints_small(dt, shape, lo=-20, hi=20):
    if dt in UINT:
        lo = max(lo, 0)
    return rng.integers(lo, hi, size=shape, endpoint=True).astype(DTYPES[dt])


def floats(dt, shape, lo=-5.0, hi=5.0):
    return rng.uniform(lo, hi, size=shape).astype(DTYPES[dt])


def bools(shape):
    return rng.random(size=shape) < 0.5


def rand(dt, shape, lo=-20, hi=20):
    """Generic random data: small ints, floats in [lo, hi], random bools."""
    if dt == 'bool':
        return bools(shape)
    if dt in INT:
        return ints_small(dt, shape, int(lo), int(hi))
    return floats(dt, shape, lo, hi)


def int_extremes(dt):
    info = np.iinfo(DTYPES[dt])
    vals = [info.min, info.min + 1, -7, -1, 0, 1, 2, 7, info.max - 1, info.max]
    return sorted(set(v for v in vals if info.min <= v <= info.max))


def float_specials(dt):
    fi = np.finfo(DTYPES[dt])
    return [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0,
            float(fi.max), -float(fi.max), float(fi.tiny), float(fi.tiny) / 8]


def extremes(dt):
    if dt == 'bool':
        return [False, True]
    if dt in INT:
        return int_extremes(dt)
    return float_specials(dt)


def wrap(values, dt):
    """Python ints (any size) -> array of dtype dt with two's complement wrap."""
    d = DTYPES[dt]
    bits = d.itemsize * 8
    out = []
    for v in values:
        v = int(v) % (1 << bits)
        if d.kind == 'i' and v >= 1 << (bits - 1):
            v -= 1 << bits
        out.append(v)
    return np.array(out, dtype=d)


def elementwise_int(fn, dt, *arrays):
    """Applies fn to Python ints elementwise (broadcasting) and wraps."""
    b = np.broadcast_arrays(*arrays)
    shape = b[0].shape
    flat = [a.reshape(-1).tolist() for a in b]
    vals = [fn(*xs) for xs in zip(*flat)] if flat[0] else []
    return wrap(vals, dt).reshape(shape)


# ---- comparison ---------------------------------------------------------

def _uint_view(a):
    return np.array(a, order="C").view({1: np.uint8, 4: np.uint32, 8: np.uint64}[a.dtype.itemsize])


def mismatches(got, exp, check, inputs):
    """Flat indices where got differs from exp under check (a dict)."""
    mode = check['mode']
    if mode == 'fn':
        return check['fn'](got, exp, inputs)
    g = got.reshape(-1)
    e = exp.reshape(-1)
    if mode == 'bits':
        return np.nonzero(_uint_view(g) != _uint_view(e))[0]
    if got.dtype.kind != 'f':
        return np.nonzero(g != e)[0]
    rtol = check.get('rtol', 0.0) if mode == 'tol' else 0.0
    atol = check.get('atol', 0.0) if mode == 'tol' else 0.0
    signed_zero = check.get('signed_zero', True)
    g64 = g.astype(np.float64)
    e64 = e.astype(np.float64)
    atol = np.broadcast_to(np.asarray(atol, dtype=np.float64).reshape(-1)
                           if np.ndim(atol) else atol, e64.shape)
    with np.errstate(all='ignore'):
        gn, en = np.isnan(g64), np.isnan(e64)
        bad = gn != en
        inf = ~en & (np.isinf(g64) | np.isinf(e64))
        bad |= inf & (g64 != e64)
        fin = ~en & ~gn & ~inf
        bad |= fin & ~(np.abs(g64 - e64) <= atol + rtol * np.abs(e64))
        if signed_zero:
            bad |= fin & (e64 == 0) & (g64 == 0) & (np.signbit(g64) != np.signbit(e64))
    return np.nonzero(bad)[0]


def describe(v):
    if isinstance(v, float) and (v == 0 or math.isnan(v) or math.isinf(v)):
        return repr(v) if not math.isnan(v) else 'nan'
    return repr(v)


def explain(case, oi, got, exp, bad):
    """Text naming the first few mismatching elements with their inputs."""
    out = []
    for k in bad[:4]:
        k = int(k)
        idx = np.unravel_index(k, exp.shape) if exp.shape else ()
        ins = []
        for a in case.args:
            if a.shape == exp.shape:
                ins.append(describe(a.reshape(-1)[k].item()))
            elif a.ndim == 0:
                ins.append(describe(a.item()))
        g = got.reshape(-1)[k].item()
        e = exp.reshape(-1)[k].item()
        where = 'out%d%s' % (oi, list(int(i) for i in idx))
        txt = '%s: expected %s got %s' % (where, describe(e), describe(g))
        if ins:
            txt += ' (inputs %s)' % ', '.join(ins)
        out.append(txt)
    more = len(bad) - len(out)
    if more > 0:
        out.append('and %d more' % more)
    return '; '.join(out)
