"""Transforms of the Python client (grad, vmap, jit, jvp, vjp, jacfwd, jacrev,
hessian, pmap) against references computed with numpy in float64, and the
errors for tracer misuse, bad input and an unreachable server.

Every value here is computed by jetd (conftest.py starts one per session);
the references never come from jet: they are finite differences or closed
forms evaluated with numpy in float64 on the same float32 inputs.
"""
import os
import socket
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

import jet
import jet.numpy as jnp
from jet import grad, hessian, jacfwd, jacrev, jit, jvp, pmap, value_and_grad, vjp, vmap

F32_TOL = dict(rtol=2e-3, atol=2e-4)   # float32 result vs a float64 reference
EXACT_TOL = dict(rtol=1e-5, atol=1e-6)


def rng(seed=0):
    return np.random.default_rng(seed)


def f32(x):
    return np.asarray(x, dtype=np.float32)


def num_grad(fn, x, eps=1e-6):
    """Central differences of a float64 numpy function fn at x (any shape)."""
    x = np.array(x, dtype=np.float64)
    g = np.zeros_like(x)
    flat, gflat = x.reshape(-1), g.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = fn(x)
        flat[i] = old - eps
        lo = fn(x)
        flat[i] = old
        gflat[i] = (hi - lo) / (2 * eps)
    return g


def num_jac(fn, x, eps=1e-6):
    """Jacobian out.shape + x.shape of a float64 numpy function by central differences."""
    x = np.array(x, dtype=np.float64)
    out_shape = np.shape(fn(x))
    jac = np.zeros(out_shape + x.shape)
    flat = x.reshape(-1)
    for i in range(flat.size):
        old = flat[i]
        flat[i] = old + eps
        hi = np.asarray(fn(x))
        flat[i] = old - eps
        lo = np.asarray(fn(x))
        flat[i] = old
        idx = np.unravel_index(i, x.shape)
        jac[(Ellipsis,) + tuple(idx)] = (hi - lo) / (2 * eps)
    return jac


def close(actual, expected, **tol):
    tol = tol or F32_TOL
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), **tol)


# ---------------------------------------------------------------- grad

def test_grad_polynomial_matches_closed_form_and_finite_differences():
    def f(x):
        return 3.0 * x ** 3 - 2.0 * x ** 2 + x - 5.0

    df = grad(f)
    for x0 in (-1.5, 0.0, 0.5, 2.0):
        g = df(x0)
        assert np.asarray(g).dtype == np.float32
        assert np.shape(g) == ()
        close(g, 9 * x0 ** 2 - 4 * x0 + 1, **EXACT_TOL)
        close(g, num_grad(lambda v: 3 * v ** 3 - 2 * v ** 2 + v - 5, x0), **F32_TOL)


def test_grad_of_square_and_composite_like_the_tutorial():
    assert float(grad(jnp.square)(3.0)) == 6.0
    x0 = np.sqrt(np.pi / 2)
    g = grad(lambda x: jnp.cos(x ** 2))(jnp.sqrt(np.pi / 2))
    close(g, -2 * x0 * np.sin(x0 ** 2), rtol=1e-6, atol=1e-6)


def _mlp_params(seed=1):
    r = rng(seed)
    return {
        "w1": f32(r.normal(size=(3, 5)) * 0.7), "b1": f32(r.normal(size=(5,)) * 0.1),
        "w2": f32(r.normal(size=(5, 2)) * 0.7), "b2": f32(r.normal(size=(2,)) * 0.1),
    }


def _mlp_data(seed=2):
    r = rng(seed)
    return f32(r.normal(size=(6, 3))), f32(r.normal(size=(6, 2)))


def _np_mlp_loss(p, x, y):
    h = np.tanh(x @ p["w1"] + p["b1"])
    out = h @ p["w2"] + p["b2"]
    return np.mean((out - y) ** 2)


def _jet_mlp_loss(p, x, y):
    h = jnp.tanh(jnp.dot(x, p["w1"]) + p["b1"])
    out = jnp.dot(h, p["w2"]) + p["b2"]
    return jnp.mean((out - y) ** 2)


def _np_mlp_grads(p, x, y):
    p64 = {k: v.astype(np.float64) for k, v in p.items()}
    x64, y64 = x.astype(np.float64), y.astype(np.float64)
    grads = {}
    for k in p64:
        def fk(v, k=k):
            q = dict(p64)
            q[k] = v
            return _np_mlp_loss(q, x64, y64)
        grads[k] = num_grad(fk, p64[k])
    return grads


def test_grad_tanh_mlp_loss_over_a_dict_of_params():
    p = _mlp_params()
    x, y = _mlp_data()
    g = grad(_jet_mlp_loss)(p, x, y)
    assert isinstance(g, dict) and sorted(g) == sorted(p)
    ref = _np_mlp_grads(p, x, y)
    for k in p:
        assert np.shape(g[k]) == p[k].shape, k
        close(g[k], ref[k])


def test_value_and_grad_and_argnums_tuple():
    p = _mlp_params(3)
    x, y = _mlp_data(4)
    val, g = value_and_grad(_jet_mlp_loss)(p, x, y)
    close(val, _np_mlp_loss({k: v.astype(np.float64) for k, v in p.items()},
                            x.astype(np.float64), y.astype(np.float64)), **EXACT_TOL)
    ref = _np_mlp_grads(p, x, y)
    for k in p:
        close(g[k], ref[k])

    def f(a, b):
        return a * b ** 2

    assert float(grad(f, argnums=1)(3.0, 4.0)) == 24.0
    ga, gb = grad(f, argnums=(0, 1))(3.0, 4.0)
    assert (float(ga), float(gb)) == (16.0, 24.0)


def test_grad_has_aux():
    def f(x):
        y = jnp.sum(jnp.sin(x))
        return y, {"y": y, "twice": 2.0 * x}

    x = f32([0.1, -0.4, 1.2])
    g, aux = grad(f, has_aux=True)(x)
    close(g, np.cos(x.astype(np.float64)), **EXACT_TOL)
    close(aux["y"], np.sum(np.sin(x.astype(np.float64))), **EXACT_TOL)
    close(aux["twice"], 2 * x, **EXACT_TOL)

    (v, aux2), g2 = value_and_grad(f, has_aux=True)(x)
    close(v, np.sum(np.sin(x.astype(np.float64))), **EXACT_TOL)
    close(g2, g, **EXACT_TOL)


def test_grad_of_grad_and_nested_in_jit():
    def f(x):
        return jnp.tanh(x)

    x0 = 0.3
    t = np.tanh(x0)
    close(grad(f)(x0), 1 - t ** 2, **EXACT_TOL)
    close(grad(grad(f))(x0), -2 * t * (1 - t ** 2), **F32_TOL)
    # a transform inside a traced function: one graph with a call node
    h = jit(lambda x: grad(f)(x) * 2.0)
    close(h(x0), 2 * (1 - t ** 2), **EXACT_TOL)


def test_grad_rejects_non_scalar_output():
    with pytest.raises(TypeError) as e:
        grad(lambda x: x * 2.0)(f32([1.0, 2.0, 3.0]))
    assert "scalar" in str(e.value)


# ---------------------------------------------------------------- jvp / vjp / jacobians

def test_jvp_and_vjp_docstring_values_and_numpy():
    y, t = jvp(jnp.sin, (0.1,), (0.2,))
    close(y, np.sin(0.1), **EXACT_TOL)
    close(t, 0.2 * np.cos(0.1), **EXACT_TOL)

    def f(x, y):
        return jnp.sin(x), jnp.cos(y)

    out, f_vjp = vjp(f, 0.5, 1.0)
    close(out[0], np.sin(0.5), **EXACT_TOL)
    close(out[1], np.cos(1.0), **EXACT_TOL)
    cts = f_vjp((-0.7, 0.3))
    assert isinstance(cts, tuple) and len(cts) == 2
    close(cts[0], -0.7 * np.cos(0.5), **EXACT_TOL)
    close(cts[1], -0.3 * np.sin(1.0), **EXACT_TOL)


def test_jvp_of_vector_function_matches_finite_differences():
    x = f32([0.3, -1.1, 0.8])
    v = f32([1.0, 0.5, -2.0])

    def np_f(z):
        return np.array([z[0] * z[1], np.exp(z[2]) - z[0], np.tanh(z[1] * z[2])])

    def jet_f(z):
        return jnp.stack([z[0] * z[1], jnp.exp(z[2]) - z[0], jnp.tanh(z[1] * z[2])])

    y, t = jvp(jet_f, (x,), (v,))
    close(y, np_f(x.astype(np.float64)), **EXACT_TOL)
    close(t, num_jac(np_f, x) @ v.astype(np.float64))


def test_jacfwd_jacrev_docstring_and_finite_differences():
    def jet_f(x):
        return jnp.stack([x[0], 5.0 * x[2], 4.0 * x[1] ** 2 - 2.0 * x[2], x[2] * jnp.sin(x[0])])

    def np_f(x):
        return np.array([x[0], 5 * x[2], 4 * x[1] ** 2 - 2 * x[2], x[2] * np.sin(x[0])])

    x = f32([1.0, 2.0, 3.0])
    ref = num_jac(np_f, x)
    jf = jacfwd(jet_f)(x)
    jr = jacrev(jet_f)(x)
    assert np.shape(jf) == (4, 3) and np.shape(jr) == (4, 3)
    close(jf, ref)
    close(jr, ref)
    close(jf, [[1, 0, 0], [0, 0, 5], [0, 16, -2], [1.6209, 0, 0.84147]], rtol=1e-4, atol=1e-4)


def test_hessian_matches_closed_form():
    def f(x):
        return x[0] ** 3 - 2.0 * x[0] * x[1] - x[1] ** 6

    h = hessian(f)(f32([1.0, 2.0]))
    assert np.shape(h) == (2, 2)
    close(h, [[6.0, -2.0], [-2.0, -480.0]], **EXACT_TOL)

    # a non-polynomial one against second differences of numpy float64
    def g(x):
        return jnp.sum(jnp.tanh(x) * x[::-1])

    def np_g(x):
        return np.sum(np.tanh(x) * x[::-1])

    x = f32([0.2, -0.5, 0.9])
    ref = num_jac(lambda z: num_grad(np_g, z, eps=1e-5), x, eps=1e-4)
    close(hessian(g)(x), ref, rtol=5e-3, atol=5e-4)


# ---------------------------------------------------------------- vmap

def test_vmap_matches_a_python_loop():
    r = rng(5)
    w = f32(r.normal(size=(4, 3)))
    xs = f32(r.normal(size=(7, 3)))

    def f(w_, x):
        return jnp.tanh(jnp.dot(w_, x)) + jnp.sum(x)

    out = vmap(f, in_axes=(None, 0))(w, xs)
    assert np.shape(out) == (7, 4)
    ref = np.stack([np.tanh(w.astype(np.float64) @ xi) + xi.sum() for xi in xs.astype(np.float64)])
    close(out, ref, **EXACT_TOL)
    loop = np.stack([np.asarray(f(w, xi)) for xi in xs])
    close(out, loop, **EXACT_TOL)


def test_vmap_in_axes_out_axes_and_pytrees():
    r = rng(6)
    a = f32(r.normal(size=(3, 5)))     # mapped over axis 1
    b = f32(r.normal(size=(5, 2)))     # mapped over axis 0

    def f(d):
        return {"s": d["a"].sum() * d["b"], "p": d["a"] * 2.0}, None

    out, nothing = vmap(f, in_axes=({"a": 1, "b": 0},), out_axes=({"s": 1, "p": 0}, None))(
        {"a": a, "b": b})
    assert nothing is None
    assert np.shape(out["s"]) == (2, 5)
    assert np.shape(out["p"]) == (5, 3)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    close(out["s"], (a64.sum(0)[:, None] * b64).T, **EXACT_TOL)
    close(out["p"], (2 * a64).T, **EXACT_TOL)


def test_vmap_of_grad_is_per_example_gradients():
    p = _mlp_params(7)
    x, y = _mlp_data(8)

    def loss(params, xi, yi):
        return _jet_mlp_loss(params, xi[None, :], yi[None, :])

    per_ex = vmap(grad(loss), in_axes=(None, 0, 0))(p, x, y)
    for k in p:
        assert np.shape(per_ex[k]) == (x.shape[0],) + p[k].shape
    for i in range(x.shape[0]):
        ref = _np_mlp_grads(p, x[i:i + 1], y[i:i + 1])
        for k in p:
            close(np.asarray(per_ex[k])[i], ref[k])


def test_vmap_rejects_inconsistent_sizes():
    with pytest.raises(ValueError) as e:
        vmap(lambda u, v: u + v)(f32(np.ones(2)), f32(np.ones(3)))
    assert "size" in str(e.value)


# ---------------------------------------------------------------- jit

def test_jit_matches_eager_and_numpy():
    p = _mlp_params(9)
    x, y = _mlp_data(10)
    eager = _jet_mlp_loss(p, x, y)
    jitted = jit(_jet_mlp_loss)
    a = jitted(p, x, y)
    b = jitted(p, x, y)  # cached executable, same answer
    close(a, eager, **EXACT_TOL)
    close(b, a, rtol=0, atol=0)
    close(a, _np_mlp_loss({k: v.astype(np.float64) for k, v in p.items()},
                          x.astype(np.float64), y.astype(np.float64)), **EXACT_TOL)
    # a new argument signature retraces
    x2, y2 = _mlp_data(11)
    close(jitted(p, x2[:3], y2[:3]), _jet_mlp_loss(p, x2[:3], y2[:3]), **EXACT_TOL)


def test_jit_donate_argnums():
    # The donated parameters' memory is reused for the update; they are
    # deleted afterwards, the others are not.
    def step(params, g):
        return {k: params[k] - 0.1 * g[k] for k in params}

    f = jit(step, donate_argnums=0)
    rng = np.random.default_rng(5)
    hp = {"w": rng.normal(size=(64, 32)).astype(np.float32),
          "b": rng.normal(size=(32,)).astype(np.float32)}
    hg = {"w": rng.normal(size=(64, 32)).astype(np.float32),
          "b": rng.normal(size=(32,)).astype(np.float32)}
    params = {k: jnp.asarray(v) + 0 for k, v in hp.items()}
    grads = {k: jnp.asarray(v) + 0 for k, v in hg.items()}
    for _ in range(3):
        old = params
        params = f(params, grads)
        assert all(old[k].is_deleted() for k in old)
        assert not any(grads[k].is_deleted() for k in grads)
        with pytest.raises(RuntimeError, match="deleted"):
            np.asarray(old["w"])
    for k in hp:
        np.testing.assert_allclose(np.asarray(params[k]), hp[k] - 0.3 * hg[k], rtol=1e-5,
                                   atol=1e-6)
    # Host (numpy) arguments may be listed as donated: nothing to delete.
    out = f(hp, hg)
    np.testing.assert_allclose(np.asarray(out["b"]), hp["b"] - 0.1 * hg["b"], rtol=1e-6)


def test_jit_pytrees_static_argnums_and_closures():
    c = f32([10.0, 20.0, 30.0])   # a concrete array closed over: a constant

    def f(d, n):
        out = d["x"] * n + c
        return (out, [out.sum(), None])

    jf = jit(f, static_argnums=1)
    x = f32([1.0, 2.0, 3.0])
    out, (s, none) = jf({"x": x}, 3)
    assert none is None
    close(out, x * 3 + c, **EXACT_TOL)
    close(s, np.sum(x.astype(np.float64) * 3 + c), **EXACT_TOL)
    out2, _ = jf({"x": x}, 4)
    close(out2, x * 4 + c, **EXACT_TOL)


def test_jit_of_grad_and_vmap_of_jit():
    def f(x):
        return jnp.sum(jnp.exp(x) * x)

    x = f32([0.1, 0.5, -0.3])
    x64 = x.astype(np.float64)
    close(jit(grad(f))(x), np.exp(x64) * (1 + x64), **EXACT_TOL)
    xs = f32(rng(12).normal(size=(4, 3)))
    out = vmap(jit(f))(xs)
    close(out, np.sum(np.exp(xs.astype(np.float64)) * xs, axis=1), **EXACT_TOL)


def test_pmap_is_named_when_unavailable_or_matches_a_loop():
    xs = f32([[1.0, 2.0]])
    try:
        out = pmap(lambda v: v * 2.0)(xs)
    except Exception as e:  # noqa: BLE001 - the message is what is checked
        assert "pmap" in str(e)
    else:
        close(out, xs * 2, **EXACT_TOL)


# ---------------------------------------------------------------- errors

def test_branching_on_a_traced_value_raises_concretization_error():
    from jet.errors import ConcretizationTypeError
    assert issubclass(ConcretizationTypeError, TypeError)

    def f(x):
        if x > 0:
            return x
        return -x

    with pytest.raises(ConcretizationTypeError) as e:
        jit(f)(1.0)
    assert len(str(e.value)) > 40   # says why and what to do
    with pytest.raises(ConcretizationTypeError):
        grad(f)(1.0)
    with pytest.raises(ConcretizationTypeError):
        jit(lambda x: int(x) + 1)(2.0)
    # the same function is fine on concrete values
    assert float(f(jnp.asarray(-2.0))) == 2.0


def test_shape_mismatch_is_a_clear_error():
    with pytest.raises((TypeError, ValueError)) as e:
        jnp.add(f32(np.ones(3)), f32(np.ones(4)))
    assert "3" in str(e.value) and "4" in str(e.value)
    with pytest.raises((TypeError, ValueError)):
        jit(lambda u, v: jnp.dot(u, v))(f32(np.ones(3)), f32(np.ones(4)))
    # the client keeps working after an error
    close(jnp.add(f32([1.0]), f32([2.0])), [3.0], **EXACT_TOL)


def _closed_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("how", ["connect", "env"])
def test_unreachable_server_fails_fast_with_a_clear_message(how):
    port = _closed_port()
    address = "127.0.0.1:%d" % port
    code = textwrap.dedent("""
        import sys, time
        import numpy as np
        import jet, jet.numpy as jnp
        t0 = time.monotonic()
        try:
            if sys.argv[1] == "connect":
                jet.connect(sys.argv[2])
            y = jnp.add(jnp.ones(3), 1.0)
            print(np.asarray(y))
        except Exception as e:
            print("ERROR %s: %s" % (type(e).__name__, e))
            print("ELAPSED %.3f" % (time.monotonic() - t0))
            sys.exit(3)
        print("NO ERROR")
    """)
    env = dict(os.environ)
    env["JET_ADDRESS"] = address
    t0 = time.monotonic()
    proc = subprocess.run([sys.executable, "-c", code, how, address], env=env,
                          capture_output=True, text=True, timeout=60)
    wall = time.monotonic() - t0
    assert proc.returncode == 3, (proc.stdout, proc.stderr)
    assert "ERROR" in proc.stdout
    msg = proc.stdout.lower()
    assert address in proc.stdout or "unavailable" in msg or "connect" in msg, proc.stdout
    elapsed = float(proc.stdout.split("ELAPSED")[1].split()[0])
    assert elapsed < 10, "took %.1f s to report an unreachable server" % elapsed
    assert wall < 60
