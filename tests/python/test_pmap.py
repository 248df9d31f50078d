"""jet.pmap against a jetd started with --devices 4 (this module's own
daemon; the session's daemon is connected again afterwards).

References never come from jet: numpy per shard, JAX's docstring values
(psum of arange(4) = [6, 6, 6, 6]; x / psum(x)), and for the data-parallel
SGD step the gradient of the mean squared error written out in float64.
"""
import numpy as np
import pytest

import jet
import jet.numpy as jnp
from jet import grad, lax, pmap, vmap

NDEV = 4  # the jetd4 fixture's (conftest.py)
pytestmark = pytest.mark.usefixtures("jetd4")
F32_TOL = dict(rtol=2e-5, atol=2e-5)


def close(actual, expected, **tol):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), **(tol or F32_TOL))


def rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape).astype(np.float32)


def test_devices():
    devs = jet.devices()
    assert [d.id for d in devs] == list(range(NDEV))
    assert all(d.platform == "cpu" and d.memory_limit > 0 for d in devs)
    assert jet.device_count() == NDEV
    assert jet.local_device_count() == NDEV
    assert jet.local_devices() == devs


def test_psum_doc_examples():
    x = np.arange(NDEV, dtype=np.float32)
    out = pmap(lambda v: lax.psum(v, "i"), axis_name="i")(x)
    close(out, [6.0] * NDEV)
    out = pmap(lambda v: v / lax.psum(v, "i"), axis_name="i")(x)
    close(out, x / 6.0)


def test_pmean_pmax_and_axis_index():
    xs = rand((NDEV, 3), 1)
    out = pmap(lambda v: lax.pmean(v, "i"), axis_name="i")(xs)
    close(out, np.broadcast_to(xs.mean(0), xs.shape))
    out = pmap(lambda v: lax.pmax(v, "i"), axis_name="i")(xs)
    close(out, np.broadcast_to(xs.max(0), xs.shape))
    out = pmap(lambda v: lax.axis_index("i") + 0 * v[0], axis_name="i")(xs)
    close(out, np.arange(NDEV))


@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_all_gather_and_ppermute(n):
    xs = rand((n, 2, 3), n)
    out = np.asarray(pmap(lambda v: lax.all_gather(v, "i"), axis_name="i")(xs))
    assert out.shape == (n, n, 2, 3)
    for k in range(n):
        close(out[k], xs)
    perm = [(k, (k + 1) % n) for k in range(n)]
    out = pmap(lambda v: lax.ppermute(v, "i", perm), axis_name="i")(xs)
    close(out, np.roll(xs, 1, axis=0))


def test_elementwise_and_matmul_per_shard():
    xs = rand((NDEV, 5), 2)
    out = pmap(lambda v: jnp.sin(v) * 2 + v * v)(xs)
    close(out, np.sin(xs.astype(np.float64)) * 2 + xs.astype(np.float64) ** 2)
    a, w = rand((NDEV, 8, 16), 3), rand((16, 8), 4)
    out = pmap(jnp.matmul, in_axes=(0, None))(a, w)
    close(out, np.stack([a[k].astype(np.float64) @ w for k in range(NDEV)]), rtol=1e-4, atol=1e-4)


def test_axes_devices_and_static_args():
    xs = rand((5, NDEV), 5)
    out = pmap(lambda v: v * 3, in_axes=1, out_axes=1, devices=[3, 2, 1, 0])(xs)
    close(out, xs * 3)
    devs = jet.devices()[:2]
    out = pmap(lambda v, k: v * k, static_broadcasted_argnums=(1,), devices=devs)(xs[:2], 4.0)
    close(out, xs[:2] * 4)
    # out_axes None: the (invariant) result of member 0.
    out = pmap(lambda v: lax.psum(v, "i"), axis_name="i", out_axes=None)(xs[:3])
    close(out, xs[:3].sum(0))


def test_nested_pmap_of_vmap():
    xs = rand((NDEV, 3), 6)

    def f(v):
        return lax.psum(v, "i") + 100 * lax.psum(v, "j")

    out = pmap(vmap(f, axis_name="j"), axis_name="i")(xs)
    close(out, xs.sum(0, keepdims=True) + 100 * xs.sum(1, keepdims=True))


def test_errors():
    with pytest.raises(ValueError, match="requires 5 logical devices, but only 4 XLA devices "
                                         r"are available \(num_replicas=5\)"):
        pmap(lambda v: v + 1)(np.ones((5, 2), np.float32))
    with pytest.raises(ValueError, match="device 7 does not exist"):
        pmap(lambda v: v + 1, devices=[7])(np.ones((1, 2), np.float32))
    with pytest.raises(NameError, match="unbound axis name: j"):
        pmap(lambda v: lax.psum(v, "j"), axis_name="i")(np.ones((2, 2), np.float32))
    with pytest.raises(ValueError, match="inconsistent sizes"):
        pmap(lambda a, b: a + b)(np.ones((2, 2), np.float32), np.ones((3, 2), np.float32))


def test_data_parallel_sgd_step():
    d, batch, lr = 6, 16, 0.1
    w0, x, y = rand((d,), 7), rand((batch, d), 8), rand((batch,), 9)

    def loss(w, xb, yb):
        r = xb @ w - yb
        return jnp.mean(r * r)

    def step(w, xb, yb):
        g = lax.pmean(grad(loss)(w, xb, yb), "batch")
        return w - lr * g

    p_step = pmap(step, axis_name="batch", in_axes=(None, 0, 0), out_axes=None)
    xs, ys = x.reshape(NDEV, batch // NDEV, d), y.reshape(NDEV, batch // NDEV)
    w_dp, w_ref = w0, w0.astype(np.float64)
    for _ in range(3):
        w_dp = p_step(w_dp, xs, ys)
        r = x.astype(np.float64) @ w_ref - y
        w_ref = w_ref - lr * (2.0 / batch) * (x.astype(np.float64).T @ r)
        close(w_dp, w_ref, rtol=1e-5, atol=1e-5)
    # The single-device step on the whole batch gives the same parameters.
    w_single = jet.jit(lambda w: w - lr * grad(loss)(w, x, y))(w0)
    close(p_step(w0, xs, ys), w_single, rtol=1e-5, atol=1e-6)


def test_nested_pmap():
    # pmap over 'i' (2) of pmap over 'j' (2): member (i, j) on device 2i + j;
    # psum over 'i' sums the members with the same j.
    x = rand((2, 2, 3), 11)
    f = pmap(pmap(lambda v: lax.psum(v, "i") * 10.0 + lax.psum(v, "j")
                  + lax.axis_index("i") * 100.0 + lax.axis_index("j") * 1000.0,
                  axis_name="j"), axis_name="i")
    got = f(x)
    xd = x.astype(np.float64)
    want = (xd.sum(axis=0, keepdims=True) * 10.0 + xd.sum(axis=1, keepdims=True)
            + np.arange(2).reshape(2, 1, 1) * 100.0 + np.arange(2).reshape(1, 2, 1) * 1000.0)
    close(got, want)
    with pytest.raises(ValueError, match="requires 8 logical devices, but only 4"):
        pmap(pmap(lambda v: v, axis_name="j"), axis_name="i")(np.ones((4, 2, 1), np.float32))


def test_grad_and_vmap_on_top_of_pmap():
    x = rand((NDEV, 3), 12).astype(np.float64).astype(np.float32)

    def loss(v):
        y = pmap(lambda u: jnp.sin(u) * lax.psum(u, "i"), axis_name="i")(v)
        return jnp.sum(y * y)

    g = grad(loss)(x)
    # d/dx of sum_m sum_k (sin(x_mk) * S_k)^2 with S_k = sum_m x_mk.
    xd = x.astype(np.float64)
    s = xd.sum(axis=0)
    y = np.sin(xd) * s
    want = 2 * y * np.cos(xd) * s + (2 * y * np.sin(xd)).sum(axis=0)
    close(g, want, rtol=2e-4, atol=2e-4)
    xs = rand((5, NDEV, 3), 13)
    vm = vmap(pmap(lambda u: u * lax.psum(u, "i"), axis_name="i"))(xs)
    close(vm, xs * xs.sum(axis=1, keepdims=True))
