"""The core contract of the jet package (client/python/jet, "py-core"):
bind, values and avals, jet.Array, eager dispatch, dtype promotion,
pytrees, tracing (closures, concretization errors, call nodes) and the
transforms, against the session's real jetd (conftest.py). Expected values
are computed with numpy or by hand, never by jet."""
import numpy as np
import pytest

import jet
from jet import _core, _dtypes, _pytree, errors, grad, jit, vmap


def B(op, *args, **attrs):
    return _core.bind(op, *args, **attrs)


def sq(x):
    return B("mul", x, x)


X = np.array([1.0, 2.0, 3.0], np.float32)


# -- eager bind and jet.Array ---------------------------------------------------

def test_eager_binary_ops():
    x = _core.asarray_value(X)
    np.testing.assert_array_equal(np.asarray(B("add", x, x)), X + X)
    np.testing.assert_array_equal(np.asarray(B("mul", x, X)), X * X)
    d = B("dot_general", x, x, lhs_contracting_dimensions=(0,), rhs_contracting_dimensions=(0,))
    assert d.shape == () and d.item() == float(X @ X)


def test_eager_attrs_of_every_kind():
    x = _core.asarray_value(X)
    b = B("broadcast_in_dim", x, shape=(2, 3), broadcast_dimensions=[1])
    np.testing.assert_array_equal(np.asarray(b), np.broadcast_to(X, (2, 3)))
    c = B("convert_element_type", x, new_dtype="int32")
    assert c.dtype == np.int32 and c.tolist() == [1, 2, 3]
    c = B("convert_element_type", x, new_dtype=np.dtype(np.uint8))
    assert c.dtype == np.uint8
    cs = B("cumsum", x, axis=0, reverse=True)
    np.testing.assert_array_equal(np.asarray(cs), np.cumsum(X[::-1])[::-1])
    k = B("constant", value=np.array([[1, 2], [3, 4]], np.int32))
    assert k.shape == (2, 2) and k.dtype == np.int32 and k.tolist() == [[1, 2], [3, 4]]
    i = B("iota", dtype=np.float32, shape=(4,), dimension=0)
    np.testing.assert_array_equal(np.asarray(i), np.arange(4, dtype=np.float32))


def test_bind_errors_are_type_errors_with_code():
    x = _core.asarray_value(X)
    i = _core.asarray_value(np.array([1, 2, 3], np.int32))
    with pytest.raises(errors.JetError) as e:
        B("add", x, i)
    assert e.value.code == "INVALID_ARGUMENT"
    assert isinstance(e.value, TypeError)
    assert "add" in str(e.value)
    with pytest.raises(errors.JetError):
        B("no_such_op", x)


def test_array_repr_str_and_conversions():
    y = B("mul", _core.asarray_value(X), X)
    assert repr(y) == "Array([1., 4., 9.], dtype=float32)"
    assert str(y) == "[1. 4. 9.]"
    assert isinstance(y, jet.Array)
    assert y.shape == (3,) and y.ndim == 1 and y.size == 3 and y.dtype == np.float32
    assert y.aval == _core.ShapedArray((3,), np.float32, False)
    assert y.block_until_ready() is y
    s = B("reduce_sum", y, axes=(0,))
    assert repr(s) == "Array(14., dtype=float32)"
    assert float(s) == 14.0 and s.item() == 14.0
    assert y.tolist() == [1.0, 4.0, 9.0]


def test_asarray_value_dtypes_and_weak_types():
    f = _core.asarray_value(2.0)
    assert f.dtype == np.float32 and f.weak_type and f.shape == ()
    i = _core.asarray_value(3)
    assert i.dtype == np.int32 and i.weak_type
    b = _core.asarray_value(True)
    assert b.dtype == np.bool_ and not b.weak_type
    d = _core.asarray_value(np.arange(3.0))
    assert d.dtype == np.float32 and not d.weak_type
    l = _core.asarray_value([1, 2])
    assert l.dtype == np.int32 and not l.weak_type
    c = _core.asarray_value(np.arange(3.0), dtype=np.int32)
    assert c.dtype == np.int32
    assert repr(_core.asarray_value(2.0)) == "Array(2., dtype=float32, weak_type=True)"
    # weak * weak stays weak; weak * strong is strong
    assert B("mul", f, f).weak_type
    assert not B("mul", f, _core.asarray_value(np.float32(2))).weak_type


def test_device_put_and_devices():
    a = jet.device_put(X)
    assert isinstance(a, jet.Array)
    np.testing.assert_array_equal(np.asarray(a), X)
    tree = jet.device_put({"w": X, "b": 1.0})
    assert set(tree) == {"b", "w"} and isinstance(tree["w"], jet.Array)
    devs = jet.devices()
    assert len(devs) >= 1 and devs[0].id == 0


def test_large_roundtrip():
    big = np.random.default_rng(0).standard_normal((512, 300)).astype(np.float32)
    a = jet.device_put(big)
    np.testing.assert_array_equal(np.asarray(B("add", a, a)), big + big)


# -- dtypes ---------------------------------------------------------------------

@pytest.mark.parametrize("a,b,want,weak", [
    (np.uint8, np.int8, np.int16, False),
    (np.int32, 2.0, np.float32, True),
    (2, 2.0, np.float32, True),
    (np.uint8, 3, np.uint8, False),
    (np.bool_, np.int32, np.int32, False),
    (np.float32, np.int32, np.float32, False),
    (np.float16, 1.0, np.float16, False),
    (np.uint32, np.int32, np.int32, False),     # int64, canonicalized without x64
    (np.float64, np.float32, np.float32, False),
])
def test_result_type(a, b, want, weak):
    d, w = _dtypes.result_type(a, b, return_weak_type_flag=True)
    assert d == np.dtype(want) and w == weak


def test_canonicalize_x64_flag():
    assert _dtypes.canonicalize(np.float64) == np.float32
    assert _dtypes.canonicalize(np.int64) == np.int32
    old = jet.config.enable_x64
    try:
        jet.config.update("jax_enable_x64", True)
        assert _dtypes.canonicalize(np.float64) == np.float64
    finally:
        jet.config.enable_x64 = old


# -- pytrees ----------------------------------------------------------------------

def test_pytree_roundtrip():
    t = {"b": [1, (2, None)], "a": 3}
    leaves, td = _pytree.tree_flatten(t)
    assert leaves == [3, 1, 2]
    assert _pytree.tree_unflatten(td, leaves) == t
    assert _pytree.tree_map(lambda x, y: x + y, t, t) == {"b": [2, (4, None)], "a": 6}
    assert _pytree.broadcast_prefix((0, None), ((1, 2), 3)) == [0, 0, None]


# -- tracing and transforms --------------------------------------------------------

def test_grad_square():
    g = grad(sq)(3.0)
    assert isinstance(g, jet.Array) and g.item() == 6.0


def test_grad_argnums_tuple_structure_and_repr():
    def f(x, y):
        return B("add", B("mul", B("mul", x, x), 2.0), B("mul", x, y))
    r = grad(f, argnums=(0, 1))(3.0, 4.0)
    assert isinstance(r, tuple) and len(r) == 2
    assert repr(r) == "(Array(16., dtype=float32), Array(3., dtype=float32))"
    assert isinstance(grad(f, argnums=1)(3.0, 4.0), jet.Array)
    assert isinstance(grad(f, argnums=(1,))(3.0, 4.0), tuple)


def test_grad_pytree_argument_and_aux():
    g = grad(lambda p: B("mul", p["a"], p["b"]))({"a": 2.0, "b": 5.0})
    assert set(g) == {"a", "b"} and g["a"].item() == 5.0 and g["b"].item() == 2.0
    g, aux = grad(lambda x: (sq(x), B("add", x, 1.0)), has_aux=True)(3.0)
    assert g.item() == 6.0 and aux.item() == 4.0
    v, g = jet.value_and_grad(sq)(3.0)
    assert v.item() == 9.0 and g.item() == 6.0


def test_grad_errors():
    with pytest.raises(TypeError, match="scalar-output"):
        grad(sq)(X)
    with pytest.raises(TypeError, match="argnums"):
        grad(sq, argnums=1)(3.0)
    with pytest.raises(TypeError, match="int32"):
        grad(sq)(np.int32(3))


def test_jit_caches_per_signature():
    calls = []

    def f(a, b):
        calls.append(1)
        return B("add", B("mul", a, b), 1.0)
    jf = jit(f)
    a = jet.device_put(X)
    np.testing.assert_array_equal(np.asarray(jf(a, a)), X * X + 1)
    np.testing.assert_array_equal(np.asarray(jf(a, a)), X * X + 1)
    assert len(calls) == 1
    jf(np.ones(4, np.float32), np.ones(4, np.float32))
    assert len(calls) == 2


def test_jit_static_argnums_and_pytree_output():
    f = jit(lambda x, n: {"y": B("integer_pow", x, y=n)}, static_argnums=1)
    assert f(2.0, 3)["y"].item() == 8.0
    assert f(2.0, 2)["y"].item() == 4.0


def test_closures_become_parameters():
    c = jet.device_put(X)
    cn = np.array([10.0, 20.0, 30.0], np.float32)
    f = lambda x: B("add", B("mul", x, c), cn)
    np.testing.assert_array_equal(np.asarray(jit(f)(np.ones(3, np.float32))), X + cn)
    text = jet.make_jaxpr(f)(np.ones(3, np.float32))
    assert text.count(": f32[3]") >= 3          # three parameters
    assert "constant" not in text


def test_nested_transform_is_a_call_node():
    text = jet.make_jaxpr(lambda x: B("mul", grad(sq)(x), 2.0))(3.0)
    assert "call[transforms=[grad(argnums=[0])]]" in text
    assert jit(lambda x: B("mul", grad(sq)(x), 2.0))(3.0).item() == 12.0


def test_closure_over_outer_tracer():
    g = jit(lambda x: grad(lambda y: B("mul", B("mul", x, y), y))(x))
    assert g(3.0).item() == 18.0       # d/dy x*y^2 = 2xy at x=y=3


def test_higher_order():
    cube = lambda x: B("mul", B("mul", x, x), x)
    assert grad(grad(cube))(2.0).item() == 12.0
    h = jet.hessian(lambda v: B("reduce_sum", cube(v), axes=(0,)))(np.array([1.0, 2.0], np.float32))
    np.testing.assert_allclose(np.asarray(h), np.diag([6.0, 12.0]))


def test_jvp_vjp_jacobians():
    p, t = jet.jvp(lambda x: B("sin", x), (0.1,), (0.2,))
    np.testing.assert_allclose([p.item(), t.item()], [np.sin(0.1), 0.2 * np.cos(0.1)], rtol=1e-6)
    out, fn = jet.vjp(lambda x, y: (B("sin", x), B("cos", y)), 0.5, 1.0)
    cts = fn((-0.7, 0.3))
    assert isinstance(cts, tuple) and len(cts) == 2
    np.testing.assert_allclose([c.item() for c in cts],
                               [-0.7 * np.cos(0.5), -0.3 * np.sin(1.0)], rtol=1e-6)
    for jac in (jet.jacfwd, jet.jacrev):
        np.testing.assert_allclose(np.asarray(jac(sq)(X)), np.diag(2 * X))


def test_vmap_matvec_and_axes():
    W = np.arange(12, dtype=np.float32).reshape(4, 3)
    xs = np.arange(6, dtype=np.float32).reshape(2, 3)
    mv = lambda W, x: B("dot_general", W, x, lhs_contracting_dimensions=(1,),
                        rhs_contracting_dimensions=(0,))
    np.testing.assert_allclose(np.asarray(vmap(mv, in_axes=(None, 0))(W, xs)), xs @ W.T)
    out = vmap(mv, in_axes=(None, 1), out_axes=1)(W, xs.T)
    np.testing.assert_allclose(np.asarray(out), (xs @ W.T).T)
    a, b = vmap(lambda x, y: (B("add", x, y), B("mul", y, 2.0)), in_axes=(0, None),
                out_axes=(0, None))(np.arange(2.0), 4.0)
    assert a.tolist() == [4.0, 5.0] and b.shape == () and b.item() == 8.0
    with pytest.raises(ValueError, match="inconsistent sizes"):
        vmap(lambda x, y: B("add", x, y))(np.ones(2, np.float32), np.ones(3, np.float32))
    with pytest.raises(ValueError, match="in_axes"):
        vmap(sq, in_axes=(0, 0))(X)


def test_vmap_of_grad():
    g = vmap(grad(sq))(X)
    np.testing.assert_array_equal(np.asarray(g), 2 * X)


def test_concretization_error():
    def f(x):
        if B("gt", x, 0.0):
            return x
        return B("neg", x)
    with pytest.raises(errors.ConcretizationTypeError) as e:
        jit(f)(1.0)
    assert isinstance(e.value, TypeError)
    assert "where" in str(e.value) and "static_argnums" in str(e.value)
    with pytest.raises(errors.ConcretizationTypeError):
        grad(lambda x: float(x) * 2)(1.0)


def test_leaked_tracer():
    leaked = []
    jit(lambda x: leaked.append(x) or x)(1.0)
    with pytest.raises(errors.UnexpectedTracerError):
        jit(lambda y: B("add", y, leaked[0]))(1.0)


def test_pmap_over_too_many_devices_is_refused_clearly():
    n = jet.device_count() + 1
    with pytest.raises(ValueError, match="requires %d logical devices" % n):
        jet.pmap(lambda x: x)(np.ones((n, 3), np.float32))


def test_unreachable_server_fails_fast():
    import subprocess
    import sys
    import time
    code = ("import jet, sys\n"
            "try:\n    jet.devices()\nexcept jet.errors.JetError as e:\n"
            "    print(e.code); print(e); sys.exit(0)\nsys.exit(1)\n")
    import os
    env = dict(os.environ, JET_ADDRESS="127.0.0.1:1")
    env["PYTHONPATH"] = os.path.dirname(os.path.dirname(jet.__file__))
    t = time.monotonic()
    r = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("UNAVAILABLE")
    assert "JET_ADDRESS" in r.stdout
    assert time.monotonic() - t < 30
