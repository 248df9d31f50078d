"""Structured control flow of the Python client (jet.lax.cond, switch,
while_loop, fori_loop, scan): eagerly, under jit, and under grad / jvp /
vmap (transforms applied by jetd).

References never come from jet: hand-written Python / numpy loops,
numpy.cumsum, and float64 central differences of numpy re-implementations
evaluated on the same float32 inputs.
"""
import collections

import numpy as np
import pytest

import jet
import jet.numpy as jnp
from jet import errors, grad, jit, jvp, lax, vmap

F32_TOL = dict(rtol=2e-3, atol=2e-4)   # float32 result vs a float64 reference
EXACT = dict(rtol=1e-6, atol=1e-6)


def rng(seed=0):
    return np.random.default_rng(seed)


def f32(x):
    return np.asarray(x, dtype=np.float32)


def close(actual, expected, **tol):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), **(tol or F32_TOL))


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


# ---------------------------------------------------------------- cond / switch

def test_cond_picks_branch_by_traced_predicate():
    def f(x):
        return lax.cond(x.sum() > 0, lambda v: v * 2.0, lambda v: v - 10.0, x)

    jf = jit(f)
    for x in (f32([1.0, 2.0]), f32([-3.0, 1.0])):
        want = x * 2 if x.sum() > 0 else x - 10
        close(jf(x), want, **EXACT)
        close(f(x), want, **EXACT)          # eagerly (traced, compiled and run)


def test_cond_integer_predicate_and_python_bool():
    assert float(lax.cond(True, lambda: 1.0, lambda: 2.0)) == 1.0
    assert float(lax.cond(0, lambda: 1.0, lambda: 2.0)) == 2.0
    out = jit(lambda n: lax.cond(n, lambda: jnp.float32(5), lambda: jnp.float32(7)))
    assert float(out(np.int32(3))) == 5.0
    assert float(out(np.int32(0))) == 7.0


def test_switch_traced_index_is_clamped():
    branches = [lambda x: x + 1.0, lambda x: x * 3.0, lambda x: -x]
    f = jit(lambda i, x: lax.switch(i, branches, x))
    x = f32([1.0, -2.0, 4.0])
    for i in (-5, 0, 1, 2, 7):
        k = min(max(i, 0), 2)
        close(f(np.int32(i), x), [x + 1, x * 3, -x][k], **EXACT)
    close(lax.switch(1, branches, x), x * 3, **EXACT)


def test_cond_pytree_operands_and_outputs():
    def tf(p):
        return {"s": p["a"] + p["b"], "t": (p["a"] * 2.0,)}

    def ff(p):
        return {"s": p["a"] - p["b"], "t": (p["b"],)}

    p = {"a": f32([1.0, 2.0]), "b": f32([0.5, 0.25])}
    out = jit(lambda q, c: lax.cond(c, tf, ff, q))(p, True)
    close(out["s"], p["a"] + p["b"], **EXACT)
    close(out["t"][0], p["a"] * 2, **EXACT)
    out = lax.cond(False, tf, ff, p)
    close(out["s"], p["a"] - p["b"], **EXACT)
    close(out["t"][0], p["b"], **EXACT)


def test_cond_closes_over_traced_and_concrete_values():
    w = jnp.asarray(f32([1.0, 10.0, 100.0]))   # a concrete array closed over

    def f(a, x):
        return lax.cond(a > 0, lambda v: v * a + w, lambda v: v - a, x)

    x = f32([1.0, 2.0, 3.0])
    close(jit(f)(np.float32(2.0), x), x * 2 + np.asarray(w), **EXACT)
    close(jit(f)(np.float32(-2.0), x), x + 2, **EXACT)


def test_cond_mismatched_branch_outputs_name_the_leaf():
    with pytest.raises(TypeError, match=r"true_fun and false_fun output must have identical "
                                        r"types.*\[1\].*float32\[3\].*int32\[3\]"):
        lax.cond(True, lambda x: (x, x), lambda x: (x, x.astype(np.int32)), jnp.ones(3))
    with pytest.raises(TypeError, match="same type structure"):
        lax.cond(True, lambda x: (x, x), lambda x: x, jnp.ones(3))
    with pytest.raises(TypeError, match="branch 0 and 1 outputs must have identical types"):
        lax.switch(0, [lambda x: x, lambda x: x[:2]], jnp.ones(3))
    with pytest.raises(TypeError, match="Pred must be a scalar"):
        lax.cond(jnp.ones(2) > 0, lambda: 1.0, lambda: 2.0)


# ---------------------------------------------------------------- fori_loop / while_loop

def test_fori_loop_sum_static_bounds():
    out = lax.fori_loop(0, 100, lambda i, s: s + i, 0)
    assert int(out) == sum(range(100))
    x = f32([0.5, -1.0])
    out = jit(lambda x: lax.fori_loop(3, 10, lambda i, s: s + x * i, jnp.zeros(2)))(x)
    close(out, x * sum(range(3, 10)), **EXACT)
    assert int(lax.fori_loop(5, 2, lambda i, s: s + i, 7)) == 7   # empty range


def test_fori_loop_sum_traced_bounds():
    f = jit(lambda lo, hi, x: lax.fori_loop(lo, hi, lambda i, s: s + x * i.astype(np.float32),
                                            0.0))
    for lo, hi in ((0, 10), (4, 9), (6, 3)):
        want = np.float32(1.5) * sum(range(lo, hi))
        close(f(np.int32(lo), np.int32(hi), np.float32(1.5)), want, **EXACT)
    txt = jet.make_jaxpr(lambda n: lax.fori_loop(0, n, lambda i, s: s + i, 0))(np.int32(3)) \
        if hasattr(jet, "make_jaxpr") else None
    if txt is not None:
        assert "while" in txt and "scan" not in txt


def test_fori_loop_static_bounds_become_scan():
    if not hasattr(jet, "make_jaxpr"):
        pytest.skip("jet.make_jaxpr not exported")
    txt = jet.make_jaxpr(lambda x: lax.fori_loop(0, 4, lambda i, s: s * x, x))(np.float32(2))
    assert "scan" in txt and "while" not in txt


def newton_sqrt_reference(a, tol=1e-6):
    x, n = a, 0
    while abs(x * x - a) > tol * a and n < 100:
        x = np.float32(0.5) * (x + a / x)
        n += 1
    return x, n


def test_while_loop_newton_sqrt():
    def sqrt(a):
        def cond_fun(c):
            x, n = c
            return (jnp.abs(x * x - a) > 1e-6 * a) & (n < 100)

        def body_fun(c):
            x, n = c
            return 0.5 * (x + a / x), n + 1
        return lax.while_loop(cond_fun, body_fun, (a, 0))

    for a in (2.0, 10.0, 1234.5):
        x, n = jit(sqrt)(np.float32(a))
        rx, rn = newton_sqrt_reference(np.float32(a))
        close(x, np.sqrt(a), rtol=1e-6, atol=0)
        close(x, rx, **EXACT)
        assert int(n) == rn
    x, n = sqrt(jnp.float32(9.0))                 # eagerly
    close(x, 3.0, **EXACT)


def test_while_loop_pytree_carry():
    State = collections.namedtuple("State", ["i", "acc"])

    def body(s):
        return State(s.i + 1, {"sum": s.acc["sum"] + s.i, "prod": s.acc["prod"] * 2.0})

    init = State(0, {"sum": 0, "prod": jnp.float32(1.0)})
    out = lax.while_loop(lambda s: s.i < 6, body, init)
    assert isinstance(out, State)
    assert int(out.i) == 6 and int(out.acc["sum"]) == 15 and float(out.acc["prod"]) == 64.0


def test_while_loop_carry_type_errors_name_the_leaf():
    with pytest.raises(TypeError, match=r"body_fun output and input must have identical "
                                        r"types.*init_val\[1\].*float32\[2\].*float32\[3\]"):
        lax.while_loop(lambda c: c[0] < 3, lambda c: (c[0] + 1, jnp.ones(3)),
                       (0, jnp.ones(2)))
    with pytest.raises(TypeError, match="same type structure"):
        lax.while_loop(lambda c: c[0] < 3, lambda c: c[0] + 1, (0, jnp.ones(2)))
    with pytest.raises(TypeError, match="cond_fun must return a boolean scalar"):
        lax.while_loop(lambda c: c, lambda c: c + 1.0, jnp.float32(0))


# ---------------------------------------------------------------- scan

def test_scan_cumsum_and_reverse():
    x = rng(1).normal(size=(17,)).astype(np.float32)

    def step(c, v):
        c = c + v
        return c, c

    total, ys = lax.scan(step, jnp.float32(0), x)
    close(ys, np.cumsum(x), rtol=1e-5, atol=1e-5)
    close(total, x.sum(), rtol=1e-5, atol=1e-5)
    total, ys = jit(lambda x: lax.scan(step, 0.0, x, reverse=True))(x)
    close(ys, np.cumsum(x[::-1])[::-1], rtol=1e-5, atol=1e-5)
    close(total, x.sum(), rtol=1e-5, atol=1e-5)


def test_scan_pytrees_length_and_no_xs():
    xs = {"a": np.arange(5, dtype=np.float32), "b": np.ones((5, 2), np.float32)}

    def step(c, x):
        n, s = c
        return (n + 1, s + x["a"] * x["b"]), {"n": n, "pair": (x["a"], s)}

    (n, s), ys = lax.scan(step, (0, jnp.zeros(2)), xs)
    assert int(n) == 5
    close(s, [10.0, 10.0], **EXACT)
    np.testing.assert_array_equal(np.asarray(ys["n"]), np.arange(5))
    assert ys["pair"][1].shape == (5, 2)
    c, ys = lax.scan(lambda c, _: (c * 2, c), 1, None, length=4)
    assert int(c) == 16 and np.asarray(ys).tolist() == [1, 2, 4, 8]
    with pytest.raises(ValueError, match="length"):
        lax.scan(lambda c, _: (c, c), 1, None)
    with pytest.raises(ValueError, match="different leading axis sizes"):
        lax.scan(lambda c, x: (c, x), 0.0, (jnp.ones(3), jnp.ones(4)))
    with pytest.raises(TypeError, match=r"carry.*identical types.*carry\[1\]"):
        lax.scan(lambda c, x: ((c[0], c[1][:2]), x), (0.0, jnp.ones(3)), jnp.ones(2))


def rnn_params(n_h=8, n_x=3, seed=2):
    r = rng(seed)
    return {"W": f32(r.normal(size=(n_h, n_h)) * 0.3), "U": f32(r.normal(size=(n_h, n_x)) * 0.5),
            "b": f32(r.normal(size=(n_h,)) * 0.1)}


def rnn_numpy(p, h, xs):
    p = {k: np.asarray(v, np.float64) for k, v in p.items()}
    h = np.asarray(h, np.float64)
    hs = []
    for x in np.asarray(xs, np.float64):
        h = np.tanh(p["W"] @ h + p["U"] @ x + p["b"])
        hs.append(h)
    return h, np.stack(hs)


def rnn_jet(p, h, xs):
    def cell(h, x):
        h = jnp.tanh(p["W"] @ h + p["U"] @ x + p["b"])
        return h, h
    return lax.scan(cell, h, xs)


def test_scan_rnn_100_steps_matches_numpy_loop():
    p = rnn_params()
    xs = f32(rng(3).normal(size=(100, 3)))
    h0 = np.zeros(8, np.float32)
    want_h, want_hs = rnn_numpy(p, h0, xs)
    h, hs = jit(rnn_jet)(p, h0, xs)
    assert hs.shape == (100, 8)
    close(h, want_h, rtol=1e-4, atol=1e-5)
    close(hs, want_hs, rtol=1e-4, atol=1e-5)


def test_nested_control_flow_closing_over_outer_tracers():
    def f(a, xs):
        def step(c, x):
            # a cond inside a scan body, closing over the jit-level `a`
            # and the scan body's own `x`; and a fori_loop inside the branch.
            inc = lax.cond(x > 0, lambda: lax.fori_loop(0, 3, lambda i, s: s + a, 0.0),
                           lambda: -x * a)
            return c + inc, inc
        return lax.scan(step, 0.0, xs)

    xs = f32([1.0, -2.0, 3.0, -0.5])
    a = np.float32(1.5)
    incs = [3 * a if x > 0 else -x * a for x in xs]
    c, ys = jit(f)(a, xs)
    close(ys, incs, **EXACT)
    close(c, sum(incs), **EXACT)
    c, ys = f(a, xs)                                  # eagerly
    close(ys, incs, **EXACT)


# ---------------------------------------------------------------- grad / jvp

def test_grad_through_scan_matches_finite_differences():
    p = rnn_params(n_h=4, n_x=2, seed=5)
    xs = f32(rng(6).normal(size=(12, 2)))
    h0 = f32(rng(7).normal(size=(4,)) * 0.1)

    def loss(W, h0):
        q = dict(p, W=W)
        h, hs = rnn_jet(q, h0, xs)
        return jnp.sum(hs * hs) + jnp.sum(h)

    def loss_np(W, h0):
        q = dict(p, W=W)
        h, hs = rnn_numpy(q, h0, xs)
        return np.sum(hs * hs) + np.sum(h)

    gW, gh = grad(loss, argnums=(0, 1))(p["W"], h0)
    close(gW, num_grad(lambda W: loss_np(W, h0), p["W"]))
    close(gh, num_grad(lambda h: loss_np(p["W"], h), h0))
    gW2 = jit(grad(loss))(p["W"], h0)
    close(gW2, gW, rtol=1e-5, atol=1e-6)


def test_grad_through_cond_matches_finite_differences():
    def f(x, k):
        return lax.cond(k > 0, lambda v: jnp.sum(jnp.sin(v) * v), lambda v: jnp.sum(v ** 3),
                        x)

    x = f32([0.3, -1.2, 2.0])
    for k, ref in ((1.0, lambda v: np.sum(np.sin(v) * v)), (-1.0, lambda v: np.sum(v ** 3))):
        g = grad(f)(x, np.float32(k))
        close(g, num_grad(ref, x))
    g = jit(grad(lambda x: lax.switch(2, [jnp.sum, lambda v: jnp.sum(v * v),
                                          lambda v: jnp.sum(jnp.exp(v))], x)))(x)
    close(g, np.exp(x.astype(np.float64)))


def test_grad_with_respect_to_values_closed_over_by_cond_and_scan():
    def f(a, x):
        y = lax.cond(x.sum() > 0, lambda: jnp.sum(jnp.sin(a * x)), lambda: jnp.sum(a * x))
        c, _ = lax.scan(lambda c, v: (c * a + v, None), 0.0, x)
        return y + c

    def f_np(a, x):
        y = np.sum(np.sin(a * x)) if x.sum() > 0 else np.sum(a * x)
        c = 0.0
        for v in x:
            c = c * a + v
        return y + c

    x = f32([0.4, -0.1, 0.9])
    for a in (0.8, -1.3):
        g = jit(grad(f))(np.float32(a), x)
        close(g, num_grad(lambda t: f_np(t, x.astype(np.float64)), np.float64(a)))


def test_jvp_of_scan_matches_finite_differences():
    xs = f32([0.5, -0.2, 0.3, 0.1])

    def f(a):
        return lax.scan(lambda c, v: (jnp.tanh(c * a + v), c), 0.1, xs)[0]

    def f_np(a):
        c = 0.1
        for v in xs.astype(np.float64):
            c = np.tanh(c * a + v)
        return c

    y, t = jvp(f, (np.float32(1.7),), (np.float32(1.0),))
    close(y, f_np(1.7))
    close(t, num_grad(f_np, np.float64(1.7)))


def test_grad_through_fori_loop_static_bounds():
    def f(x):
        return lax.fori_loop(0, 5, lambda i, c: jnp.sin(c) * x, x)

    def f_np(x):
        c = x
        for _ in range(5):
            c = np.sin(c) * x
        return c

    g = grad(f)(np.float32(0.7))
    close(g, num_grad(f_np, np.float64(0.7)))


def test_grad_of_while_loop_is_refused_naming_while_loop():
    def f(x):
        return lax.while_loop(lambda c: c < 10.0, lambda c: c * 2.0, x)

    with pytest.raises(errors.JetError) as e:
        grad(f)(np.float32(1.0))
    assert "while_loop" in str(e.value)
    with pytest.raises(errors.JetError, match="while_loop"):
        jit(grad(lambda x: lax.fori_loop(0, x.astype(np.int32), lambda i, c: c * x, x)))(
            np.float32(3.0))


def test_jvp_of_while_loop():
    def f(x):
        # x ** (2 ** k) with k the number of squarings until it exceeds 100
        return lax.while_loop(lambda c: c[1] < 100.0,
                              lambda c: (c[0] + 1, c[1] * c[1]), (0, x))[1]

    x = np.float32(1.5)
    y, t = jvp(f, (x,), (np.float32(1.0),))
    k, c = 0, 1.5
    while c < 100.0:
        k, c = k + 1, c * c
    close(y, 1.5 ** (2 ** k), rtol=1e-5, atol=0)
    close(t, (2 ** k) * 1.5 ** (2 ** k - 1), rtol=1e-4, atol=0)


# ---------------------------------------------------------------- vmap

def test_vmap_cond_batched_predicate():
    def f(x):
        return lax.cond(x[0] > 0, lambda v: v * 2.0, lambda v: v - 1.0, x)

    xs = f32(rng(8).normal(size=(6, 3)))
    out = vmap(f)(xs)
    close(out, np.stack([x * 2 if x[0] > 0 else x - 1 for x in xs]), **EXACT)
    idx = np.array([0, 2, 1, 5, -1, 1], np.int32)
    br = [lambda v: v + 1.0, lambda v: v * v, lambda v: -v]
    out = vmap(lambda i, v: lax.switch(i, br, v))(idx, xs)
    close(out, np.stack([br[min(max(i, 0), 2)](x) for i, x in zip(idx, xs)]), **EXACT)


def test_vmap_while_loop_batched_predicate():
    def collatz_steps(n):
        return lax.while_loop(lambda c: c[0] != 1,
                              lambda c: (jnp.where(c[0] % 2 == 0, c[0] // 2, 3 * c[0] + 1),
                                         c[1] + 1), (n, 0))[1]

    def ref(n):
        k = 0
        while n != 1:
            n, k = (n // 2 if n % 2 == 0 else 3 * n + 1), k + 1
        return k

    ns = np.array([1, 2, 3, 6, 7, 27], np.int32)
    out = vmap(collatz_steps)(ns)
    assert np.asarray(out).tolist() == [ref(int(n)) for n in ns]
    out = jit(vmap(collatz_steps))(ns)
    assert np.asarray(out).tolist() == [ref(int(n)) for n in ns]


def test_vmap_while_loop_predicate_batched_through_a_closure():
    def doublings(a):
        return lax.while_loop(lambda c: c[0] < a, lambda c: (c[0] * 2.0, c[1] + 1),
                              (1.0, 0))

    limits = f32([0.5, 1.0, 3.0, 100.0, 17.0])
    v, k = vmap(doublings)(limits)
    want_k = [int(np.ceil(np.log2(a))) if a > 1 else 0 for a in limits]
    assert np.asarray(k).tolist() == want_k
    close(v, [2.0 ** n for n in want_k], **EXACT)


def test_vmap_fori_loop_and_scan_match_per_example_loops():
    xs = f32(rng(9).normal(size=(5, 7)))
    out = vmap(lambda x: lax.scan(lambda c, v: (c + v, c * v), 0.0, x))(xs)
    for b in range(5):
        c, ys = 0.0, []
        for v in xs[b]:
            ys.append(c * v)
            c = c + v
        close(out[0][b], c, rtol=1e-5, atol=1e-5)
        close(out[1][b], ys, rtol=1e-5, atol=1e-5)
    his = np.array([0, 3, 5, 1, 2], np.int32)
    out = vmap(lambda x, hi: lax.fori_loop(0, hi, lambda i, s: s + x[i], 0.0))(xs, his)
    close(out, [xs[b, :his[b]].sum() for b in range(5)], rtol=1e-5, atol=1e-5)
    p = rnn_params()
    seqs = f32(rng(10).normal(size=(4, 20, 3)))
    h0 = np.zeros(8, np.float32)
    hs = vmap(lambda s: rnn_jet(p, h0, s)[1])(seqs)
    for b in range(4):
        close(hs[b], rnn_numpy(p, h0, seqs[b])[1], rtol=1e-4, atol=1e-5)


# ---------------------------------------------------------------- misc

def test_weak_typed_init_is_promoted_to_the_body_dtype():
    out = lax.fori_loop(0, 10, lambda i, x: x + jnp.float32(1.5), 0)
    assert out.dtype == np.float32 and float(out) == 15.0
    c, _ = lax.scan(lambda c, x: (c + x, None), 0, f32([0.5, 0.25]))
    assert c.dtype == np.float32 and float(c) == 0.75


def test_make_jaxpr_shows_the_control_nodes():
    txt = jet.make_jaxpr(lambda x, a: lax.cond(x > 0, lambda: x * a, lambda: a))(
        np.float32(1), f32([1, 2]))
    assert "cond" in txt
    txt = jet.make_jaxpr(lambda x: lax.while_loop(lambda c: c < x, lambda c: c + 1.0, 0.0))(
        np.float32(3))
    assert "while[n_consts=1]" in txt


def test_control_flow_example_runs(jetd):
    import os
    import pathlib
    import subprocess
    import sys
    root = pathlib.Path(__file__).resolve().parents[2]
    env = dict(os.environ, JET_ADDRESS=jetd.address)
    proc = subprocess.run([sys.executable, str(root / "client" / "python" / "examples" /
                                               "control_flow.py")],
                          env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[:4] == ["fori_loop sum 0..99: 4950", "newton sqrt(2): 1.4142135 after 4 steps",
                         "scan cumsum: [ 1.  3.  6. 10.]", "switch: [2.0, 4.0, -2.0]"], lines
    assert lines[4].startswith("grad of the RNN loss: "), lines
