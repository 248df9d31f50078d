"""jet.numpy, jet.nn and jet.lax against numpy on random inputs, eagerly and
under jit (the daemon comes from conftest.py)."""
import numpy as np
import pytest

import jet
import jet.numpy as jnp
from jet import lax, nn

RTOL = 1e-5
ATOL = 1e-5


def rng(seed=0):
    return np.random.default_rng(seed)


def f32(*shape, seed=0, lo=-2.0, hi=2.0):
    return rng(seed).uniform(lo, hi, size=shape).astype(np.float32)


def i32(*shape, seed=0, lo=-10, hi=10):
    return rng(seed).integers(lo, hi, size=shape).astype(np.int32)


def check(got, want, rtol=RTOL, atol=ATOL, dtype=None):
    g = np.asarray(got)
    w = np.asarray(want)
    assert g.shape == w.shape, "shape %s != %s" % (g.shape, w.shape)
    if dtype is not None:
        assert g.dtype == np.dtype(dtype), "dtype %s != %s" % (g.dtype, dtype)
    if w.dtype.kind in "biu":
        np.testing.assert_array_equal(g, w)
    else:
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol, equal_nan=True)


# ------------------------------------------------------------------ creation

def test_creation():
    check(jnp.zeros((2, 3)), np.zeros((2, 3), np.float32), dtype=np.float32)
    check(jnp.ones(4, dtype=jnp.int32), np.ones(4, np.int32), dtype=np.int32)
    check(jnp.full((2, 2), 7), np.full((2, 2), 7), dtype=np.int32)
    check(jnp.full((2, 2), 1.5, dtype=np.float32), np.full((2, 2), 1.5, np.float32))
    x = jnp.asarray(f32(3, 2))
    check(jnp.zeros_like(x), np.zeros((3, 2)))
    check(jnp.ones_like(x, dtype=jnp.int32), np.ones((3, 2), np.int32), dtype=np.int32)
    check(jnp.full_like(x, 3.0), np.full((3, 2), 3.0))
    check(jnp.empty((0, 2)), np.empty((0, 2)))
    check(jnp.arange(5), np.arange(5), dtype=np.int32)
    check(jnp.arange(2, 11, 3), np.arange(2, 11, 3))
    check(jnp.arange(0.0, 1.0, 0.25), np.arange(0.0, 1.0, 0.25), dtype=np.float32)
    check(jnp.arange(5, 0, -2), np.arange(5, 0, -2))
    check(jnp.linspace(0, 1, 7), np.linspace(0, 1, 7), dtype=np.float32)
    check(jnp.linspace(-1, 3, 4, endpoint=False), np.linspace(-1, 3, 4, endpoint=False))
    check(jnp.linspace(jnp.zeros(2), jnp.ones(2), 5), np.linspace(np.zeros(2), np.ones(2), 5))
    check(jnp.eye(3), np.eye(3))
    check(jnp.eye(3, 4, k=1), np.eye(3, 4, k=1))
    check(jnp.eye(4, 3, k=-2, dtype=jnp.int32), np.eye(4, 3, k=-2, dtype=np.int32))
    check(jnp.identity(2), np.identity(2))
    check(jnp.tri(3, 4, 1), np.tri(3, 4, 1))
    check(jnp.array([[1, 2], [3, 4]]), np.array([[1, 2], [3, 4]]), dtype=np.int32)
    check(jnp.array([1.0, 2.0], dtype=jnp.float32), [1.0, 2.0])
    a = jnp.array([jnp.asarray(1.0), 2.0, jnp.asarray(3.0)])
    check(a, [1.0, 2.0, 3.0], dtype=np.float32)
    # float64 numpy input becomes float32 (x64 off), as in JAX
    assert jnp.asarray(np.zeros(2, np.float64)).dtype == np.float32
    assert not jnp.array(2.0).weak_type
    g = jnp.meshgrid(jnp.arange(3), jnp.arange(2))
    ng = np.meshgrid(np.arange(3), np.arange(2))
    for a, b in zip(g, ng):
        check(a, b)


# ------------------------------------------------------------------ elementwise

UNARY_FLOAT = [
    ("exp", np.exp, (-2, 2)), ("exp2", np.exp2, (-2, 2)), ("expm1", np.expm1, (-2, 2)),
    ("log", np.log, (0.1, 4)), ("log2", np.log2, (0.1, 4)), ("log10", np.log10, (0.1, 4)),
    ("log1p", np.log1p, (-0.5, 4)), ("sqrt", np.sqrt, (0, 4)), ("cbrt", np.cbrt, (-8, 8)),
    ("sin", np.sin, (-3, 3)), ("cos", np.cos, (-3, 3)), ("tan", np.tan, (-1, 1)),
    ("arcsin", np.arcsin, (-0.9, 0.9)), ("arccos", np.arccos, (-0.9, 0.9)),
    ("arctan", np.arctan, (-3, 3)), ("sinh", np.sinh, (-2, 2)), ("cosh", np.cosh, (-2, 2)),
    ("tanh", np.tanh, (-2, 2)), ("arcsinh", np.arcsinh, (-3, 3)),
    ("arccosh", np.arccosh, (1.1, 4)), ("arctanh", np.arctanh, (-0.9, 0.9)),
    ("floor", np.floor, (-3, 3)), ("ceil", np.ceil, (-3, 3)), ("trunc", np.trunc, (-3, 3)),
    ("rint", np.rint, (-3, 3)), ("round", np.round, (-3, 3)), ("negative", np.negative, (-3, 3)),
    ("positive", np.positive, (-3, 3)), ("abs", np.abs, (-3, 3)),
    ("absolute", np.absolute, (-3, 3)), ("fabs", np.fabs, (-3, 3)), ("sign", np.sign, (-3, 3)),
    ("square", np.square, (-3, 3)), ("reciprocal", np.reciprocal, (0.5, 3)),
    ("deg2rad", np.deg2rad, (-180, 180)), ("rad2deg", np.rad2deg, (-3, 3)),
    ("sinc", np.sinc, (-3, 3)), ("signbit", np.signbit, (-3, 3)),
    ("isfinite", np.isfinite, (-3, 3)), ("isnan", np.isnan, (-3, 3)),
    ("isinf", np.isinf, (-3, 3)), ("logical_not", np.logical_not, (-1, 1)),
]


@pytest.mark.parametrize("name,ref,dom", UNARY_FLOAT, ids=[u[0] for u in UNARY_FLOAT])
def test_unary_float(name, ref, dom):
    a = f32(3, 4, lo=dom[0], hi=dom[1], seed=hash(name) % 1000)
    got = getattr(jnp, name)(jnp.asarray(a))
    want = ref(a)
    check(got, want, rtol=2e-5, atol=2e-5)
    assert np.asarray(got).dtype == want.dtype


def test_unary_int_and_special_values():
    a = i32(5, seed=3)
    check(jnp.abs(a), np.abs(a), dtype=np.int32)
    check(jnp.negative(a), -a)
    check(jnp.sign(a), np.sign(a))
    check(jnp.square(a), np.square(a))
    check(jnp.floor(a), a, dtype=np.int32)
    check(jnp.sqrt(jnp.asarray(np.array([4, 9], np.int32))), [2.0, 3.0], dtype=np.float32)
    s = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0], np.float32)
    check(jnp.isnan(s), np.isnan(s))
    check(jnp.isinf(s), np.isinf(s))
    check(jnp.isfinite(s), np.isfinite(s))
    check(jnp.isposinf(s), np.isposinf(s))
    check(jnp.isneginf(s), np.isneginf(s))
    check(jnp.signbit(s), np.signbit(s))
    check(jnp.nan_to_num(s), np.nan_to_num(s))
    check(jnp.round(np.array([0.5, 1.5, 2.5, -0.5, 1.234], np.float32)),
          np.round(np.array([0.5, 1.5, 2.5, -0.5, 1.234], np.float32)))
    check(jnp.round(np.array([1.234, -5.678], np.float32), 2),
          np.round(np.array([1.234, -5.678], np.float32), 2))
    check(jnp.isnan(a), np.isnan(a))
    check(jnp.bitwise_not(a), np.bitwise_not(a))
    check(jnp.invert(np.array([True, False])), [False, True])


BINARY = [
    ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
    ("divide", np.divide), ("true_divide", np.true_divide), ("maximum", np.maximum),
    ("minimum", np.minimum), ("fmax", np.fmax), ("fmin", np.fmin), ("hypot", np.hypot),
    ("arctan2", np.arctan2), ("logaddexp", np.logaddexp), ("logaddexp2", np.logaddexp2),
    ("copysign", np.copysign), ("floor_divide", np.floor_divide), ("remainder", np.remainder),
    ("mod", np.mod), ("fmod", np.fmod), ("equal", np.equal), ("not_equal", np.not_equal),
    ("less", np.less), ("less_equal", np.less_equal), ("greater", np.greater),
    ("greater_equal", np.greater_equal), ("logical_and", np.logical_and),
    ("logical_or", np.logical_or), ("logical_xor", np.logical_xor), ("heaviside", np.heaviside),
]


@pytest.mark.parametrize("name,ref", BINARY, ids=[b[0] for b in BINARY])
def test_binary_float_broadcasting(name, ref):
    a = f32(3, 1, 4, seed=1)
    b = f32(5, 1, seed=2)
    if name in ("divide", "true_divide", "floor_divide", "remainder", "mod", "fmod"):
        b = np.where(np.abs(b) < 0.2, 0.7, b).astype(np.float32)
    got = getattr(jnp, name)(jnp.asarray(a), jnp.asarray(b))
    want = ref(a, b)
    check(got, want, rtol=2e-5, atol=2e-5)
    assert np.asarray(got).dtype == want.dtype


INT_BINARY = [
    ("add", np.add), ("subtract", np.subtract), ("multiply", np.multiply),
    ("floor_divide", np.floor_divide), ("remainder", np.remainder), ("fmod", np.fmod),
    ("maximum", np.maximum), ("minimum", np.minimum), ("bitwise_and", np.bitwise_and),
    ("bitwise_or", np.bitwise_or), ("bitwise_xor", np.bitwise_xor), ("less", np.less),
    ("equal", np.equal),
]


@pytest.mark.parametrize("name,ref", INT_BINARY, ids=[b[0] for b in INT_BINARY])
def test_binary_int(name, ref):
    a = i32(4, 6, seed=4, lo=-50, hi=50)
    b = i32(6, seed=5, lo=-9, hi=9)
    b = np.where(b == 0, 3, b).astype(np.int32)
    got = getattr(jnp, name)(jnp.asarray(a), jnp.asarray(b))
    check(got, ref(a, b))


def test_shifts_and_unsigned():
    a = np.array([1, -8, 1024, -1], np.int32)
    check(jnp.left_shift(a, 2), np.left_shift(a, 2))
    check(jnp.right_shift(a, 1), np.right_shift(a, 1))
    u = np.array([1, 200, 255], np.uint8)
    check(jnp.right_shift(jnp.asarray(u), jnp.asarray(np.uint8(1))), u >> 1)
    check(jnp.floor_divide(jnp.asarray(u), jnp.asarray(np.uint8(7))), u // 7)
    check(jnp.remainder(jnp.asarray(u), jnp.asarray(np.uint8(7))), u % 7)
    check(jnp.abs(jnp.asarray(u)), u)


def test_power():
    a = f32(3, 3, seed=6, lo=0.1, hi=2)
    check(jnp.power(a, 3), np.power(a, 3), rtol=1e-5)
    check(jnp.power(a, -2), np.power(a, -2.0), rtol=1e-5)
    check(jnp.power(a, 0.5), np.power(a, 0.5))
    check(jnp.power(a, jnp.asarray(f32(3, seed=7))), np.power(a, f32(3, seed=7)), rtol=1e-5)
    ai = i32(6, seed=8, lo=-4, hi=5)
    ei = np.arange(6, dtype=np.int32)
    check(jnp.power(ai, ei), np.power(ai, ei))
    check(jnp.asarray(ai) ** 2, ai ** 2)
    check(2.0 ** jnp.asarray(a), 2.0 ** a, rtol=1e-5)
    check(jnp.float_power(ai, 2), np.float_power(ai, 2).astype(np.float32))


def test_operators():
    a = f32(2, 3, seed=9)
    b = f32(3, seed=10, lo=0.5, hi=2)
    x, y = jnp.asarray(a), jnp.asarray(b)
    check(x + y, a + b)
    check(x - 1, a - 1)
    check(1 - x, 1 - a)
    check(x * y, a * b)
    check(x / y, a / b)
    check(2 / y, 2 / b)
    check(x // y, a // b)
    check(x % y, a % b, atol=1e-5)
    check(-x, -a)
    check(abs(x), np.abs(a))
    check(x < y, a < b)
    check(x == x, a == a)
    check(x != y, a != b)
    check(x.T, a.T)
    check(x.sum(axis=0), a.sum(axis=0))
    check(x.reshape(3, 2), a.reshape(3, 2))
    check(x.astype(jnp.int32), a.astype(np.int32))
    check(x.mean(), a.mean())


def test_promotion():
    x = jnp.asarray(f32(3))
    assert (x * 2).dtype == np.float32 and not (x * 2).weak_type
    assert (x * 2.5).dtype == np.float32
    i = jnp.asarray(np.array([1, 2, 3], np.int32))
    assert (i * 2).dtype == np.int32
    assert (i * 2.0).dtype == np.float32
    assert (i + x).dtype == np.float32
    u = jnp.asarray(np.array([1, 2], np.uint8))
    assert (u + 1).dtype == np.uint8
    assert (u + jnp.asarray(np.array([1, 2], np.int32))).dtype == np.int32
    b = jnp.asarray(np.array([True, False]))
    assert (b + 1).dtype == np.int32
    assert (b + b).dtype == np.bool_
    check(b + b, [True, False])
    assert jnp.add(1, 2).weak_type and jnp.add(1, 2).dtype == np.int32
    assert jnp.add(1, 2.0).weak_type and jnp.add(1, 2.0).dtype == np.float32
    assert jnp.true_divide(i, i).dtype == np.float32
    assert jnp.sin(i).dtype == np.float32
    assert jnp.result_type(np.int32, np.float32) == np.float32
    assert jnp.promote_types(np.uint8, np.int32) == np.int32


def test_where_clip_isclose():
    a = f32(4, 5, seed=11)
    b = f32(5, seed=12)
    c = a > 0
    check(jnp.where(c, a, b), np.where(c, a, b))
    check(jnp.where(jnp.asarray(c), a, 0.0), np.where(c, a, 0.0), dtype=np.float32)
    check(jnp.where(a > 0, 1, -1), np.where(a > 0, 1, -1).astype(np.int32))
    check(jnp.clip(a, -0.5, 0.5), np.clip(a, -0.5, 0.5))
    check(jnp.clip(a, b, None), np.clip(a, b, None))
    check(jnp.clip(a, max=0.1), np.clip(a, None, 0.1))
    check(jnp.isclose(a, a + 1e-7), np.isclose(a, a + 1e-7))
    assert bool(jnp.allclose(a, a + 1e-7)) == bool(np.allclose(a, a + 1e-7))
    assert bool(jnp.allclose(a, a * (1 + 1e-7)))
    assert not bool(jnp.allclose(a, a + 1.0))
    assert bool(jnp.array_equal(a, a)) and not bool(jnp.array_equal(a, b))
    with pytest.raises(ValueError):
        jnp.where(c)


# ------------------------------------------------------------------ reductions

RED = [("sum", np.sum), ("mean", np.mean), ("max", np.max), ("min", np.min),
       ("prod", np.prod), ("var", np.var), ("std", np.std), ("amax", np.amax),
       ("amin", np.amin), ("ptp", np.ptp), ("nansum", np.nansum), ("nanmean", np.nanmean)]


@pytest.mark.parametrize("name,ref", RED, ids=[r[0] for r in RED])
@pytest.mark.parametrize("axis", [None, 0, 1, -1, (0, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions(name, ref, axis, keepdims):
    a = f32(3, 4, 2, seed=13, lo=0.5, hi=1.5)
    got = getattr(jnp, name)(jnp.asarray(a), axis=axis, keepdims=keepdims)
    check(got, ref(a, axis=axis, keepdims=keepdims), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("axis", [None, 0, 1, -1])
@pytest.mark.parametrize("keepdims", [False, True])
def test_arg_and_bool_reductions(axis, keepdims):
    a = f32(4, 5, seed=14)
    check(jnp.argmax(a, axis=axis, keepdims=keepdims), np.argmax(a, axis=axis, keepdims=keepdims))
    check(jnp.argmin(a, axis=axis, keepdims=keepdims), np.argmin(a, axis=axis, keepdims=keepdims))
    m = a > 0.5
    check(jnp.any(m, axis=axis, keepdims=keepdims), np.any(m, axis=axis, keepdims=keepdims))
    check(jnp.all(m, axis=axis, keepdims=keepdims), np.all(m, axis=axis, keepdims=keepdims))
    check(jnp.count_nonzero(m, axis=axis, keepdims=keepdims),
          np.count_nonzero(m, axis=axis, keepdims=keepdims))


def test_reduction_dtypes_and_options():
    a = f32(3, 4, seed=15)
    check(jnp.var(a, axis=1, ddof=1), np.var(a, axis=1, ddof=1))
    check(jnp.std(a, ddof=1), np.std(a, ddof=1))
    i = i32(3, 4, seed=16)
    check(jnp.sum(i, axis=0), np.sum(i, axis=0), dtype=np.int32)
    check(jnp.mean(i), np.mean(i), dtype=np.float32)
    check(jnp.sum(i > 0), np.sum(i > 0), dtype=np.int32)
    check(jnp.sum(a, initial=10.0), np.sum(a, initial=10.0))
    check(jnp.max(a, axis=0, initial=0.5), np.max(a, axis=0, initial=0.5))
    w = a > 0
    check(jnp.sum(a, axis=1, where=w), np.sum(a, axis=1, where=w))
    check(jnp.mean(a, axis=1, where=w), np.mean(a, axis=1, where=w))
    check(jnp.average(a, axis=1, weights=np.arange(1.0, 5.0)),
          np.average(a, axis=1, weights=np.arange(1.0, 5.0)))
    check(jnp.sum(a, axis=()), a)
    b = np.array([[1, 3, 2], [4, 0, 5]], np.float32)
    check(jnp.argmax(np.array([1.0, 3.0, 3.0])), 1)
    check(jnp.cumsum(b), np.cumsum(b))
    check(jnp.cumsum(b, axis=1), np.cumsum(b, axis=1))
    check(jnp.cumsum(i, axis=0), np.cumsum(i, axis=0), dtype=np.int32)
    check(jnp.cumprod(b, axis=1), np.cumprod(b, axis=1))
    check(jnp.cummax(f32(9, seed=17), axis=0), np.maximum.accumulate(f32(9, seed=17)))
    check(jnp.cummin(b, axis=0), np.minimum.accumulate(b, axis=0))
    check(jnp.any(np.zeros((0, 3)), axis=0), np.any(np.zeros((0, 3)), axis=0))
    check(jnp.all(np.zeros((0, 3)), axis=0), np.all(np.zeros((0, 3)), axis=0))
    check(jnp.nanmax(np.array([1.0, np.nan, 3.0])), 3.0)
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.sum(a, axis=2)
    with pytest.raises(ValueError, match="identity"):
        jnp.max(np.zeros((0,), np.float32))


# ------------------------------------------------------------------ contractions

def test_dot_matmul_family():
    a, b = f32(3, 4, seed=20), f32(4, 5, seed=21)
    v, w = f32(4, seed=22), f32(4, seed=23)
    check(jnp.dot(a, b), a @ b)
    check(jnp.dot(v, w), np.dot(v, w))
    check(jnp.dot(a, v), a @ v)
    check(jnp.dot(2.0, v), 2.0 * v)
    t = f32(2, 3, 4, seed=24)
    u = f32(5, 4, 6, seed=25)
    check(jnp.dot(t, u), np.dot(t, u), rtol=1e-4)
    check(jnp.matmul(a, b), a @ b)
    check(jnp.asarray(a) @ jnp.asarray(b), a @ b)
    check(jnp.matmul(v, b), v @ b)
    check(jnp.matmul(a, v), a @ v)
    check(jnp.matmul(v, w), v @ w)
    bt = f32(2, 1, 3, 4, seed=26)
    bu = f32(5, 4, 2, seed=27)
    check(jnp.matmul(bt, bu), np.matmul(bt, bu), rtol=1e-4)
    check(jnp.vdot(a, a), np.vdot(a, a), rtol=1e-4)
    check(jnp.outer(v, w), np.outer(v, w))
    check(jnp.inner(a, v), np.inner(a, v))
    check(jnp.tensordot(t, u, axes=([2], [1])), np.tensordot(t, u, axes=([2], [1])), rtol=1e-4)
    check(jnp.tensordot(a, a.T, axes=1), np.tensordot(a, a.T, axes=1))
    check(jnp.tensordot(t, t, axes=2 + 1), np.tensordot(t, t, axes=3), rtol=1e-4)
    check(jnp.kron(a[:2, :2], b[:2, :3]), np.kron(a[:2, :2], b[:2, :3]))
    check(jnp.cross(f32(4, 3, seed=28), f32(4, 3, seed=29)),
          np.cross(f32(4, 3, seed=28), f32(4, 3, seed=29)))
    ai, bi = i32(3, 4, seed=30), i32(4, 2, seed=31)
    check(jnp.matmul(ai, bi), ai @ bi, dtype=np.int32)


def test_contraction_errors():
    with pytest.raises(ValueError, match="mismatch in its core dimension"):
        jnp.matmul(jnp.ones((2, 3)), jnp.ones((4, 5)))
    with pytest.raises(TypeError, match="not aligned"):
        jnp.dot(jnp.ones((2, 3)), jnp.ones((4,)))
    with pytest.raises(ValueError, match="batch dimensions"):
        jnp.matmul(jnp.ones((2, 2, 3)), jnp.ones((3, 3, 2)))
    with pytest.raises(TypeError, match="contracting dimensions"):
        jnp.tensordot(jnp.ones((2, 3)), jnp.ones((4, 5)), axes=1)


EINSUM = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),
    ("ij->ji", [(3, 4)]),
    ("ii->i", [(4, 4)]),
    ("ii", [(4, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->j", [(3, 4)]),
    ("i,i->", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),
    ("bij,bjk->kib", [(2, 3, 4), (2, 4, 5)]),
    ("ijk,kl,lm->im", [(2, 3, 4), (4, 5), (5, 2)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (2, 4, 5)]),
    ("...ij,jk", [(6, 2, 3, 4), (4, 5)]),
    ("i...,i...->...", [(3, 2, 4), (3, 2, 4)]),
    ("ab,cd->abcd", [(2, 3), (2, 2)]),
    ("iij->j", [(3, 3, 2)]),
    ("ij,ij->i", [(3, 4), (3, 4)]),
    ("bi,bi,bi->b", [(2, 3), (2, 3), (2, 3)]),
]


@pytest.mark.parametrize("spec,shapes", EINSUM, ids=[e[0] for e in EINSUM])
def test_einsum(spec, shapes):
    ops = [f32(*s, seed=40 + k) for k, s in enumerate(shapes)]
    check(jnp.einsum(spec, *ops), np.einsum(spec, *ops), rtol=1e-4, atol=1e-5)


def test_einsum_errors():
    with pytest.raises(ValueError, match="size of label"):
        jnp.einsum("ij,jk->ik", jnp.ones((2, 3)), jnp.ones((4, 5)))
    with pytest.raises(ValueError, match="dimensions"):
        jnp.einsum("ijk->i", jnp.ones((2, 3)))
    with pytest.raises(ValueError, match="does not appear"):
        jnp.einsum("ij->iz", jnp.ones((2, 3)))


# ------------------------------------------------------------------ shapes

def test_shape_functions():
    a = f32(2, 3, 4, seed=50)
    x = jnp.asarray(a)
    check(jnp.reshape(x, (4, -1)), a.reshape(4, -1))
    check(jnp.ravel(x), a.ravel())
    check(jnp.transpose(x), a.transpose())
    check(jnp.transpose(x, (1, 0, 2)), a.transpose(1, 0, 2))
    check(jnp.swapaxes(x, 0, 2), np.swapaxes(a, 0, 2))
    check(jnp.moveaxis(x, 0, -1), np.moveaxis(a, 0, -1))
    check(jnp.moveaxis(x, (0, 1), (2, 0)), np.moveaxis(a, (0, 1), (2, 0)))
    s = f32(1, 3, 1, seed=51)
    check(jnp.squeeze(s), np.squeeze(s))
    check(jnp.squeeze(s, axis=2), np.squeeze(s, axis=2))
    check(jnp.expand_dims(a, 1), np.expand_dims(a, 1))
    check(jnp.expand_dims(a, (0, -1)), np.expand_dims(a, (0, -1)))
    check(jnp.broadcast_to(f32(3, 1, seed=52), (2, 3, 4)),
          np.broadcast_to(f32(3, 1, seed=52), (2, 3, 4)))
    b = f32(2, 3, 4, seed=53)
    check(jnp.concatenate([a, b], axis=1), np.concatenate([a, b], axis=1))
    check(jnp.concatenate([a, b], axis=None), np.concatenate([a, b], axis=None))
    check(jnp.stack([a, b]), np.stack([a, b]))
    check(jnp.stack([a, b], axis=-1), np.stack([a, b], axis=-1))
    check(jnp.hstack([a, b]), np.hstack([a, b]))
    check(jnp.vstack([a[0], b[0]]), np.vstack([a[0], b[0]]))
    check(jnp.column_stack([a[0, 0], b[0, 0]]), np.column_stack([a[0, 0], b[0, 0]]))
    for got, want in zip(jnp.split(a, 2, axis=2), np.split(a, 2, axis=2)):
        check(got, want)
    for got, want in zip(jnp.split(a, [1, 3], axis=2), np.split(a, [1, 3], axis=2)):
        check(got, want)
    for got, want in zip(jnp.array_split(a, 3, axis=2), np.array_split(a, 3, axis=2)):
        check(got, want)
    check(jnp.tile(a[0], (2, 1, 3)), np.tile(a[0], (2, 1, 3)))
    check(jnp.tile(a[0, 0], 3), np.tile(a[0, 0], 3))
    check(jnp.repeat(a, 2, axis=1), np.repeat(a, 2, axis=1))
    check(jnp.repeat(a, 3), np.repeat(a, 3))
    check(jnp.repeat(a, np.array([1, 0, 2]), axis=1), np.repeat(a, [1, 0, 2], axis=1))
    check(jnp.flip(a), np.flip(a))
    check(jnp.flip(a, 1), np.flip(a, 1))
    check(jnp.fliplr(a[0]), np.fliplr(a[0]))
    check(jnp.rot90(a[0]), np.rot90(a[0]))
    check(jnp.roll(a, 2, axis=2), np.roll(a, 2, axis=2))
    check(jnp.roll(a, -1), np.roll(a, -1))
    check(jnp.tril(a[0]), np.tril(a[0]))
    check(jnp.triu(a, 1), np.triu(a, 1))
    check(jnp.diagonal(a[0]), np.diagonal(a[0]))
    check(jnp.diag(a[0, 0]), np.diag(a[0, 0]))
    check(jnp.trace(a[0]), np.trace(a[0]))
    check(jnp.atleast_2d(a[0, 0]), np.atleast_2d(a[0, 0]))
    assert jnp.shape(x) == (2, 3, 4) and jnp.ndim(x) == 3 and jnp.size(x) == 24


@pytest.mark.parametrize("mode", ["constant", "edge", "wrap", "reflect", "symmetric"])
def test_pad(mode):
    a = f32(3, 4, seed=54)
    check(jnp.pad(a, ((1, 2), (3, 0)), mode=mode), np.pad(a, ((1, 2), (3, 0)), mode=mode))
    check(jnp.pad(a, 2, mode=mode), np.pad(a, 2, mode=mode))


def test_pad_constant_values():
    a = i32(2, 3, seed=55)
    check(jnp.pad(a, 1, constant_values=7), np.pad(a, 1, constant_values=7))
    check(jnp.pad(a, ((1, 0), (0, 2)), constant_values=((1, 2), (3, 4))),
          np.pad(a, ((1, 0), (0, 2)), constant_values=((1, 2), (3, 4))))


def test_shape_errors():
    a = jnp.ones((2, 3))
    with pytest.raises(TypeError, match="cannot reshape"):
        jnp.reshape(a, (4, 2))
    with pytest.raises(ValueError, match="Incompatible shapes for broadcasting"):
        jnp.add(jnp.ones(3), jnp.ones(4))
    with pytest.raises(ValueError, match="Incompatible shapes"):
        jnp.broadcast_to(jnp.ones(3), (2, 4))
    with pytest.raises(ValueError, match="concatenat"):
        jnp.concatenate([jnp.ones((2, 3)), jnp.ones((3, 2))], axis=0)
    with pytest.raises(ValueError, match="same shape"):
        jnp.stack([jnp.ones(2), jnp.ones(3)])
    with pytest.raises(ValueError, match="equal division"):
        jnp.split(jnp.ones(5), 2)
    with pytest.raises(ValueError, match="size not equal to one"):
        jnp.squeeze(a, 0)
    with pytest.raises(ValueError, match="out of bounds"):
        jnp.swapaxes(a, 0, 3)


# ------------------------------------------------------------------ indexing

INDEX_CASES = [
    (1,), (-1,), (slice(1, 3),), (slice(None, None, -1),), (slice(None, None, 2), 1),
    (Ellipsis, 1), (None, 0), (1, None, slice(None), None), (slice(3, 0, -2),),
    (slice(-2, None), slice(None, 1)), (Ellipsis,), (Ellipsis, None),
    (slice(5, 10),), (slice(None), slice(3, 0, -1), 2),
    (np.array([0, 2, -1]),), ([3, 1],), (np.array([[0, 1], [2, 3]]),),
    (slice(None), np.array([0, 2])), (np.array([0, 1]), np.array([1, 2])),
    (np.array([0, 1]), slice(None), np.array([1, 3])),
    (1, slice(None), np.array([0, 2])),
    (slice(None), 1, np.array([0, 2])),
    (np.array([[0], [2]]), np.array([1, 2, 0])),
    (Ellipsis, np.array([3, 0])),
    (None, np.array([1, 0]), 2),
    (np.array([True, False, True, True]),),
    (slice(None), np.array([False, True, True])),
    (np.array([0, 1]), None, np.array([1, 2])),
]


@pytest.mark.parametrize("idx", INDEX_CASES, ids=[str(i) for i in range(len(INDEX_CASES))])
def test_getitem(idx):
    a = np.arange(4 * 3 * 5, dtype=np.float32).reshape(4, 3, 5)
    check(jnp.asarray(a)[idx], a[idx])


def test_getitem_traced_and_dynamic():
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = jnp.asarray(a)
    i = jnp.asarray(np.array([2, 0, -1], np.int32))
    check(x[i], a[[2, 0, -1]])
    check(x[:, i], a[:, [2, 0, -1]])
    check(jet.jit(lambda x, i: x[i, 1:])(x, i), a[[2, 0, -1], 1:])
    check(jet.jit(lambda x, k: x[k])(x, jnp.asarray(np.int32(1))), a[1])
    check(jet.jit(lambda x, k: x[:, k])(x, jnp.asarray(np.int32(-1))), a[:, -1])
    # out-of-bounds reads clamp, as in JAX
    check(x[np.array([5])], a[[2]])
    check(x[7], a[2])
    check(jnp.take(a, np.array([0, 5, -1]), axis=1, mode="clip"), a[:, [0, 3, 3]])
    t = np.asarray(jnp.take(a, np.array([0, 9]), axis=1))
    assert np.isnan(t[:, 1]).all() and (t[:, 0] == a[:, 0]).all()
    check(jnp.take(a, np.array([1, 11, -12])), np.take(a, [1, 11, -12]))
    check(jnp.take(a, np.array([5, -1]), axis=0, mode="wrap"), np.take(a, [5, -1], 0, mode="wrap"))
    ind = np.argsort(a, axis=1)[:, ::-1].astype(np.int32)
    check(jnp.take_along_axis(a, ind, axis=1), np.take_along_axis(a, ind, axis=1))


def test_getitem_errors():
    x = jnp.ones((2, 3))
    with pytest.raises(IndexError, match="Too many indices"):
        x[0, 0, 0]
    with pytest.raises(IndexError, match="single ellipsis"):
        x[..., 0, ...]
    with pytest.raises(TypeError, match="integer or boolean"):
        x[np.array([0.5])]
    with pytest.raises(TypeError, match="integer or boolean"):
        x[1.5]
    with pytest.raises(TypeError):
        jet.jit(lambda x, m: x[m])(x, jnp.asarray(np.array([True, False])))


def test_at_set_add():
    a = np.arange(10, dtype=np.float32)
    x = jnp.asarray(a)
    idx = np.array([1, 3, 3, -1])
    upd = np.array([10, 20, 30, 40], np.float32)
    # add accumulates duplicates
    want = a.copy()
    np.add.at(want, idx, upd)
    check(x.at[idx].add(upd), want)
    # set with duplicates keeps one of them (the last, as numpy)
    got = np.asarray(x.at[idx].set(upd))
    assert got[3] in (20.0, 30.0)
    want = a.copy()
    want[idx] = upd
    check(got, want)
    check(x.at[2:5].set(0.0), np.concatenate([a[:2], [0, 0, 0], a[5:]]))
    check(x.at[::3].add(1), a + (np.arange(10) % 3 == 0))
    check(x.at[4].get(), a[4])
    check(x.at[5].subtract(2), a - 2 * (np.arange(10) == 5))
    # out-of-bounds updates are dropped
    check(x.at[np.array([0, 10, -11])].set(99.0), np.where(np.arange(10) == 0, 99, a))
    check(x.at[12].add(5.0), a)
    # exact: -0.0 and large values survive set
    s = np.asarray(x.at[0].set(-0.0))
    assert np.signbit(s[0])
    big = np.float32(1e30)
    check(jnp.zeros(3).at[1].set(big), [0, big, 0], rtol=0, atol=0)
    m = np.arange(12, dtype=np.int32).reshape(3, 4)
    y = jnp.asarray(m)
    want = m.copy()
    want[1, :] = [7, 8, 9, 10]
    check(y.at[1].set(np.array([7, 8, 9, 10])), want)
    want = m.copy()
    want[:, [0, 2]] += 100
    check(y.at[:, np.array([0, 2])].add(100), want)
    want = m.copy()
    np.add.at(want, (np.array([0, 0, 2]), np.array([1, 1, 3])), 5)
    check(y.at[np.array([0, 0, 2]), np.array([1, 1, 3])].add(5), want)
    bm = jnp.asarray(np.array([True, False, False]))
    check(bm.at[1].set(True), [True, True, False])
    with pytest.raises(ValueError, match="cannot be broadcast"):
        x.at[1:3].set(jnp.ones(3))
    check(x.at[np.array([1, 12])].get(mode="fill", fill_value=-1.0), [1.0, -1.0])


def test_at_traced_indices():
    a = np.arange(8, dtype=np.float32)
    x = jnp.asarray(a)
    idx = jnp.asarray(np.array([2, 5, 2, -1, 9], np.int32))
    upd = jnp.asarray(np.array([1, 2, 3, 4, 5], np.float32))
    f_add = jet.jit(lambda x, i, u: x.at[i].add(u))
    want = a.copy()
    np.add.at(want, np.array([2, 5, 2, -1]), np.array([1, 2, 3, 4], np.float32))
    check(f_add(x, idx, upd), want)
    f_set = jet.jit(lambda x, i, u: x.at[i].set(u))
    got = np.asarray(f_set(x, idx, upd))
    assert got[2] in (1.0, 3.0)
    want = a.copy()
    want[[2, 5, -1]] = [got[2], 2, 4]
    check(got, want)


def test_index_grad():
    a = f32(5, seed=60)
    g = jet.grad(lambda x: jnp.sum(x[np.array([0, 0, 3])] ** 2))(jnp.asarray(a))
    want = np.zeros(5, np.float32)
    want[0] = 4 * a[0]
    want[3] = 2 * a[3]
    check(g, want)
    g = jet.grad(lambda u: jnp.sum(jnp.zeros(5).at[np.array([1, 3])].set(u) * 3.0))(
        jnp.asarray(np.array([1.0, 2.0], np.float32)))
    check(g, [3.0, 3.0])


# ------------------------------------------------------------------ under tracing

def test_same_code_under_jit_and_vmap():
    a = f32(4, 3, seed=70)
    b = f32(3, seed=71)

    def f(x, y):
        z = jnp.where(x > 0, x * y, jnp.exp(x)) @ jnp.ones(3)
        return jnp.sum(z ** 2) + jnp.max(jnp.abs(x)) + jnp.mean(jnp.cumsum(x, axis=1))

    want = f(jnp.asarray(a), jnp.asarray(b))
    check(jet.jit(f)(a, b), want, rtol=1e-5)
    ref = (np.where(a > 0, a * b, np.exp(a)) @ np.ones(3))
    check(want, np.sum(ref ** 2) + np.max(np.abs(a)) + np.mean(np.cumsum(a, axis=1)), rtol=1e-5)
    v = jet.vmap(lambda r: jnp.einsum("i,i->", r, r))(a)
    check(v, np.einsum("bi,bi->b", a, a), rtol=1e-5)
    g = jet.grad(lambda x: jnp.sum(jnp.linalg.norm(x, axis=1)))(a)
    check(g, a / np.linalg.norm(a, axis=1, keepdims=True), rtol=1e-5)


# ------------------------------------------------------------------ linalg, nn, lax

@pytest.mark.parametrize("ord", [None, 1, 2, np.inf, -np.inf, 0, 3])
def test_vector_norm(ord):
    v = f32(6, seed=80)
    check(jnp.linalg.norm(v, ord=ord), np.linalg.norm(v, ord=ord), rtol=1e-5)


@pytest.mark.parametrize("ord", [None, "fro", 1, -1, np.inf, -np.inf])
def test_matrix_norm(ord):
    m = f32(3, 4, seed=81)
    check(jnp.linalg.norm(m, ord=ord), np.linalg.norm(m, ord=ord), rtol=1e-5)
    t = f32(2, 3, 4, seed=82)
    check(jnp.linalg.norm(t, ord=ord, axis=(1, 2), keepdims=True),
          np.linalg.norm(t, ord=ord, axis=(1, 2), keepdims=True), rtol=1e-5)
    check(jnp.linalg.norm(t, axis=1), np.linalg.norm(t, axis=1), rtol=1e-5)


def _np_logsumexp(a, axis=None, keepdims=False):
    m = np.max(a, axis=axis, keepdims=True)
    r = np.log(np.sum(np.exp(a - m), axis=axis, keepdims=True)) + m
    return r if keepdims else np.squeeze(r, axis=axis)


def test_nn():
    a = f32(3, 5, seed=90, lo=-4, hi=4)
    check(nn.relu(a), np.maximum(a, 0))
    check(nn.sigmoid(a), 1 / (1 + np.exp(-a)), rtol=1e-5)
    check(nn.softplus(a), np.log1p(np.exp(a)), rtol=1e-5)
    e = np.exp(a - a.max(axis=-1, keepdims=True))
    check(nn.softmax(a), e / e.sum(axis=-1, keepdims=True), rtol=1e-5)
    check(nn.softmax(a, axis=0), np.exp(a) / np.exp(a).sum(axis=0), rtol=1e-5)
    check(nn.log_softmax(a), a - _np_logsumexp(a, axis=-1, keepdims=True), rtol=1e-5)
    check(nn.logsumexp(a), _np_logsumexp(a), rtol=1e-5)
    check(nn.logsumexp(a, axis=1), _np_logsumexp(a, axis=1), rtol=1e-5)
    check(nn.logsumexp(a, axis=0, keepdims=True), _np_logsumexp(a, axis=0, keepdims=True))
    big = np.array([1000.0, 1000.0], np.float32)
    check(nn.logsumexp(big), 1000.0 + np.log(2.0))
    check(nn.softmax(big), [0.5, 0.5])
    lab = np.array([0, 2, 1, 3], np.int32)
    check(nn.one_hot(lab, 4), np.eye(4, dtype=np.float32)[lab])
    check(nn.one_hot(lab % 3, 3, axis=0), np.eye(3, dtype=np.float32)[lab % 3].T)
    check(nn.one_hot(np.array([0, 5, -1]), 4), np.eye(5, dtype=np.float32)[[0, 4, 4], :4])
    assert nn.one_hot(lab, 4, dtype=jnp.int32).dtype == np.int32
    g = jet.grad(lambda x: nn.logsumexp(x))(jnp.asarray(a[0]))
    check(g, np.exp(a[0]) / np.exp(a[0]).sum(), rtol=1e-5)


def test_lax():
    a = f32(3, 4, seed=100)
    b = f32(4, 2, seed=101)
    check(lax.add(a, 1.0), a + 1)
    check(lax.dot_general(a, b, (((1,), (0,)), ((), ()))), a @ b)
    check(lax.dot(a, b), a @ b)
    check(lax.slice(a, (0, 1), (3, 4), (2, 1)), a[0:3:2, 1:4])
    check(lax.dynamic_slice(a, (1, 2), (2, 2)), a[1:3, 2:4])
    check(lax.dynamic_update_slice(a, np.zeros((1, 2), np.float32), (2, 0)),
          np.concatenate([a[:2], np.concatenate([np.zeros((1, 2)), a[2:, 2:]], 1)], 0))
    check(lax.broadcast_in_dim(b[:, 0], (4, 3), (0,)), np.broadcast_to(b[:, :1], (4, 3)))
    check(lax.select(a > 0, a, -a), np.abs(a))
    check(lax.clamp(-0.5, a, 0.5), np.clip(a, -0.5, 0.5))
    check(lax.integer_pow(a, 3), a ** 3, rtol=1e-5)
    check(lax.reduce_sum(a, (0,)), a.sum(0))
    check(lax.argmax(a, 1, np.int32), a.argmax(1))
    check(lax.cumsum(a, axis=1, reverse=True), np.cumsum(a[:, ::-1], axis=1)[:, ::-1])
    check(lax.pad(a, 0.0, ((1, 0, 1), (0, 0, 0))).shape, (6, 4))
    check(lax.convert_element_type(a, np.int32), a.astype(np.int32))
    check(lax.iota(np.int32, 5), np.arange(5))
    check(lax.rem(np.array([-7], np.int32), np.array([2], np.int32)), [-1])
    check(lax.div(np.array([-7], np.int32), np.array([2], np.int32)), [-3])
    check(lax.stop_gradient(a), a)
    with pytest.raises(Exception, match="dot_general|contract"):
        lax.dot_general(a, a, (((1,), (0,)), ((), ())))


# ------------------------------------------------------------------ sorting

@pytest.mark.parametrize("axis", [-1, 0, None])
def test_sort_argsort(axis):
    a = f32(4, 6, seed=110)
    a[0, 2] = np.nan
    a[1, 1], a[1, 3] = -0.0, 0.0
    a[2, :3] = 1.0
    check(jnp.sort(a, axis=axis), np.sort(a, axis=axis))
    check(jnp.argsort(a, axis=axis), np.argsort(a, axis=axis, kind="stable"))
    i = i32(5, 3, seed=111, lo=-5, hi=5)
    check(jnp.sort(i, axis=axis), np.sort(i, axis=axis))
    check(jnp.argsort(i, axis=axis), np.argsort(i, axis=axis, kind="stable"))
    check(jnp.argsort(i, axis=axis, descending=True), np.argsort(-i, axis=axis, kind="stable"))
    u = rng(112).integers(0, 255, size=(7,)).astype(np.uint8)
    check(jnp.sort(u), np.sort(u))
    check(jnp.asarray(a).sort(), np.sort(a))


def test_sort_traced():
    a = f32(3, 5, seed=113)
    check(jet.vmap(jnp.sort)(a), np.sort(a, axis=1))
    g = jet.grad(lambda x: jnp.sum(jnp.sort(x)[:2]))(a[0])
    want = np.zeros(5, np.float32)
    want[np.argsort(a[0])[:2]] = 1.0
    check(g, want)


def test_median_quantile():
    a = f32(5, 4, seed=114)
    check(jnp.median(a), np.median(a))
    check(jnp.median(a, axis=0), np.median(a, axis=0))
    check(jnp.median(a, axis=1, keepdims=True), np.median(a, axis=1, keepdims=True))
    check(jnp.quantile(a, [0.1, 0.5, 0.9], axis=0), np.quantile(a, [0.1, 0.5, 0.9], axis=0))
    check(jnp.percentile(a, 30, axis=1), np.percentile(a, 30, axis=1))
    for m in ("lower", "higher", "nearest", "midpoint"):
        check(jnp.quantile(a, 0.4, method=m), np.quantile(a, 0.4, method=m))


def test_nonzero_concrete_and_sized():
    a = np.array([[0, 1, 0], [2, 0, 3]], np.int32)
    for g, w in zip(jnp.nonzero(a), np.nonzero(a)):
        check(g, w)
    check(jnp.argwhere(a), np.argwhere(a))
    check(jnp.flatnonzero(a), np.flatnonzero(a))
    f = jet.jit(lambda x: jnp.nonzero(x, size=4, fill_value=-1))
    got = f(a)
    check(got[0], [0, 1, 1, -1])
    check(got[1], [1, 0, 2, -1])
    with pytest.raises(TypeError, match="size"):
        jet.jit(lambda x: jnp.nonzero(x))(a)
