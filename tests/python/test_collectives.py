"""Collectives of the Python client (jet.lax.psum, pmean, pmax, pmin,
all_gather, psum_scatter, ppermute, all_to_all, axis_index) inside
jet.vmap(f, axis_name=...), batched by jetd.

References never come from jet: numpy over the members (the batch's
examples, member k = np.take(xs, k, axis=in_axis)), JAX's docstring values,
and float64 central differences for the data-parallel gradient.
"""
import numpy as np
import pytest

import jet
import jet.numpy as jnp
from jet import grad, jit, lax, vmap

F32_TOL = dict(rtol=2e-5, atol=2e-5)
SIZES = (1, 2, 3, 4, 8)


def rng(seed=0):
    return np.random.default_rng(seed)


def close(actual, expected, **tol):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), **(tol or F32_TOL))


def batch(n, shape, in_axis, seed=0):
    """(xs with the batch at in_axis, list of the n members)."""
    members = [rng(seed + k).standard_normal(shape).astype(np.float32) for k in range(n)]
    return np.stack(members, axis=in_axis), members


def run(f, xs, in_axis, n):
    return np.asarray(vmap(f, in_axes=in_axis, axis_name="i")(xs))


def expect_rows(out, per_member):
    assert out.shape[0] == len(per_member)
    for j, want in enumerate(per_member):
        close(out[j], want)


# ---------------------------------------------------------------------------
# JAX's docstring examples

def test_psum_doc_example():
    xs = np.arange(12.0, dtype=np.float32).reshape(3, 4)
    out = vmap(lambda x: lax.psum(x, "i"), axis_name="i")(xs)
    np.testing.assert_array_equal(np.asarray(out), np.array([[12, 15, 18, 21]] * 3, np.float32))


def test_normalise_and_pmean_doc_examples():
    x = np.arange(4.0, dtype=np.float32)
    out = vmap(lambda v: v / lax.psum(v, "i"), axis_name="i")(x)
    close(out, [0, 1 / 6, 2 / 6, 3 / 6])
    out = vmap(lambda v: lax.pmean(v, "i"), axis_name="i")(x)
    close(out, [1.5] * 4)


# ---------------------------------------------------------------------------
# Every collective, batch sizes 1..8, in_axes 0 and 1

@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("in_axis", (0, 1))
def test_reductions(n, in_axis):
    xs, ms = batch(n, (2, 3), in_axis, seed=n)
    s = np.sum(ms, axis=0, dtype=np.float64)
    expect_rows(run(lambda x: lax.psum(x, "i"), xs, in_axis, n), [s] * n)
    expect_rows(run(lambda x: lax.pmean(x, "i"), xs, in_axis, n), [s / n] * n)
    expect_rows(run(lambda x: lax.pmax(x, "i"), xs, in_axis, n), [np.max(ms, axis=0)] * n)
    expect_rows(run(lambda x: lax.pmin(x, "i"), xs, in_axis, n), [np.min(ms, axis=0)] * n)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("in_axis", (0, 1))
def test_all_gather(n, in_axis):
    xs, ms = batch(n, (2, 3), in_axis, seed=10 + n)
    for axis in (0, 1, 2, -1):
        out = run(lambda x: lax.all_gather(x, "i", axis=axis), xs, in_axis, n)
        expect_rows(out, [np.stack(ms, axis=axis)] * n)
    for axis in (0, 1, -1):
        out = run(lambda x: lax.all_gather(x, "i", axis=axis, tiled=True), xs, in_axis, n)
        expect_rows(out, [np.concatenate(ms, axis=axis)] * n)


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("in_axis", (0, 1))
def test_psum_scatter(n, in_axis):
    xs, ms = batch(n, (n, 3), in_axis, seed=20 + n)
    s = np.sum(ms, axis=0, dtype=np.float64)
    out = run(lambda x: lax.psum_scatter(x, "i"), xs, in_axis, n)
    expect_rows(out, [s[j] for j in range(n)])
    xs, ms = batch(n, (2, 2 * n), in_axis, seed=30 + n)
    s = np.sum(ms, axis=0, dtype=np.float64)
    out = run(lambda x: lax.psum_scatter(x, "i", scatter_dimension=1, tiled=True), xs, in_axis, n)
    expect_rows(out, [s[:, 2 * j:2 * j + 2] for j in range(n)])
    out = run(lambda x: lax.psum_scatter(x, "i", scatter_dimension=-1, tiled=True), xs,
              in_axis, n)
    expect_rows(out, [s[:, 2 * j:2 * j + 2] for j in range(n)])


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("in_axis", (0, 1))
def test_ppermute(n, in_axis):
    xs, ms = batch(n, (2, 3), in_axis, seed=40 + n)
    cycle = [(k, (k + 1) % n) for k in range(n)]
    out = run(lambda x: lax.ppermute(x, "i", cycle), xs, in_axis, n)
    expect_rows(out, [ms[(j - 1) % n] for j in range(n)])
    one = [(0, n - 1)]
    out = run(lambda x: lax.ppermute(x, "i", perm=one), xs, in_axis, n)
    expect_rows(out, [ms[0] if j == n - 1 else np.zeros((2, 3)) for j in range(n)])


def a2a_ref(ms, split_axis, concat_axis, tiled):
    """numpy all_to_all over members ms: member j's result."""
    n = len(ms)
    out = []
    for j in range(n):
        chunks = [np.split(m, n, axis=split_axis)[j] for m in ms]
        if tiled:
            out.append(np.concatenate(chunks, axis=concat_axis))
        else:
            chunks = [np.squeeze(c, axis=split_axis) for c in chunks]
            out.append(np.stack(chunks, axis=concat_axis))
    return out


@pytest.mark.parametrize("n", SIZES)
@pytest.mark.parametrize("in_axis", (0, 1))
def test_all_to_all(n, in_axis):
    xs, ms = batch(n, (n, 3), in_axis, seed=50 + n)
    for sa, ca in ((0, 0), (0, 1), (0, -1)):
        out = run(lambda x: lax.all_to_all(x, "i", sa, ca), xs, in_axis, n)
        expect_rows(out, a2a_ref(ms, sa, ca % 2, False))
    xs, ms = batch(n, (3, n), in_axis, seed=60 + n)
    out = run(lambda x: lax.all_to_all(x, "i", 1, 0), xs, in_axis, n)
    expect_rows(out, a2a_ref(ms, 1, 0, False))
    xs, ms = batch(n, (2, 2 * n), in_axis, seed=70 + n)
    for sa, ca in ((1, 0), (1, 1)):
        out = run(lambda x: lax.all_to_all(x, "i", sa, ca, tiled=True), xs, in_axis, n)
        expect_rows(out, a2a_ref(ms, sa, ca, True))


@pytest.mark.parametrize("n", SIZES)
def test_axis_index(n):
    xs = np.zeros((n, 2), np.float32)
    out = vmap(lambda x: lax.axis_index("i"), axis_name="i")(xs)
    assert np.asarray(out).dtype == np.int32
    np.testing.assert_array_equal(np.asarray(out), np.arange(n, dtype=np.int32))
    out = vmap(lambda x: x + lax.axis_index("i"), in_axes=1, axis_name="i")(np.ones((2, n),
                                                                                   np.float32))
    close(out, 1 + np.arange(n)[:, None] * np.ones((1, 2)))


def test_vmap_sends_axis_name():
    text = jet.make_jaxpr(lambda xs: vmap(lambda x: lax.psum(x, "i") + lax.axis_index("i"),
                                          axis_name="i")(xs))(np.ones((3, 2), np.float32))
    assert 'axis_name="i"' in text
    assert 'psum[axis_name="i"]' in text and 'axis_index[axis_name="i"]' in text
    text = jet.make_jaxpr(lambda xs: vmap(lambda x: lax.all_gather(x, "i", axis=1, tiled=True),
                                          axis_name="i")(xs))(np.ones((4, 2, 3), np.float32))
    assert 'all_gather[axis_name="i", axis_size=4, axis=1, tiled=true]' in text


# ---------------------------------------------------------------------------
# Pytrees, bool, constants, jit, nesting

def test_pytree_bool_and_constants():
    xs, ms = batch(3, (2,), 0, seed=5)
    out = vmap(lambda x: lax.psum({"a": x, "b": (x, 2 * x)}, "i"), axis_name="i")(xs)
    s = np.sum(ms, axis=0)
    expect_rows(out["a"], [s] * 3)
    expect_rows(out["b"][1], [2 * s] * 3)
    cnt = vmap(lambda x: lax.psum(x > 0, "i"), axis_name="i")(xs)
    assert np.asarray(cnt).dtype == np.int32
    np.testing.assert_array_equal(np.asarray(cnt), [np.sum(np.array(ms) > 0, axis=0)] * 3)
    # psum of a constant is the axis size times it, as in JAX.
    out = vmap(lambda x: x * lax.psum(1, "i"), axis_name="i")(xs)
    close(out, xs * 3)
    ints = vmap(lambda x: lax.pmean(x, "i"), axis_name="i")(np.arange(4, dtype=np.int32))
    assert np.asarray(ints).dtype == np.float32
    close(ints, [1.5] * 4)


def test_under_jit():
    xs, ms = batch(4, (3,), 0, seed=6)
    f = jit(vmap(lambda x: lax.pmax(x, "i") - x, axis_name="i"))
    close(f(xs), np.max(ms, axis=0)[None, :] - xs)
    g = vmap(jit(lambda x: lax.psum(x, "i")), axis_name="i")
    expect_rows(g(xs), [np.sum(ms, axis=0)] * 4)


def test_nested_two_names():
    I, J = 3, 4
    xs = rng(9).standard_normal((I, J)).astype(np.float32)

    def f(x):
        return (lax.psum(x, "i") + 100 * lax.psum(x, "j")
                + 1000 * (10 * lax.axis_index("i") + lax.axis_index("j")))
    out = vmap(vmap(f, axis_name="j"), axis_name="i")(xs)
    want = (xs.sum(0, keepdims=True) + 100 * xs.sum(1, keepdims=True)
            + 1000 * (10 * np.arange(I)[:, None] + np.arange(J)[None, :]))
    close(out, want, rtol=1e-5, atol=1e-3)
    both = vmap(vmap(lambda x: lax.psum(x, ("i", "j")), axis_name="j"), axis_name="i")(xs)
    close(both, np.full((I, J), xs.sum()), rtol=1e-5, atol=1e-4)
    # The inner axis gathered, then the outer one.
    g = vmap(vmap(lambda x: lax.all_gather(lax.all_gather(x, "j"), "i"), axis_name="j"),
             axis_name="i")(xs)
    assert np.asarray(g).shape == (I, J, I, J)
    close(g, np.broadcast_to(xs, (I, J, I, J)))


# ---------------------------------------------------------------------------
# Data-parallel gradients: pmean of per-example gradients

def test_pmean_of_per_example_grads():
    E, D = 6, 3
    w = rng(1).standard_normal(D).astype(np.float32)
    xs = rng(2).standard_normal((E, D)).astype(np.float32)
    ys = rng(3).standard_normal(E).astype(np.float32)

    def loss(w, x, y):
        r = jnp.dot(x, w) - y
        return r * r + 0.1 * jnp.sum(jnp.sin(w))

    def step(w, x, y):
        return lax.pmean(grad(loss)(w, x, y), "b")

    out = vmap(step, in_axes=(None, 0, 0), axis_name="b")(w, xs, ys)

    def mean_loss(wv):
        r = xs.astype(np.float64) @ wv - ys
        return np.mean(r * r) + 0.1 * np.sum(np.sin(wv))
    w64, eps, fd = w.astype(np.float64), 1e-6, np.zeros(D)
    for k in range(D):
        e = np.zeros(D)
        e[k] = eps
        fd[k] = (mean_loss(w64 + e) - mean_loss(w64 - e)) / (2 * eps)
    assert np.asarray(out).shape == (E, D)
    close(out, np.broadcast_to(fd, (E, D)), rtol=1e-4, atol=1e-4)


# ---------------------------------------------------------------------------
# Errors

def test_unbound_axis_name():
    x = np.ones((3, 2), np.float32)
    with pytest.raises(NameError, match="unbound axis name: j"):
        vmap(lambda v: lax.psum(v, "j"), axis_name="i")(x)
    with pytest.raises(NameError, match="unbound axis name: i"):
        vmap(lambda v: lax.psum(v, "i"))(x)
    with pytest.raises(NameError, match="unbound axis name: i"):
        lax.psum(x, "i")
    with pytest.raises(NameError, match="unbound axis name: i"):
        jit(lambda v: lax.all_gather(v, "i"))(x)
    with pytest.raises(NameError, match="unbound axis name: i"):
        lax.axis_index("i")
    # The name is bound only while the vmapped function is traced.
    vmap(lambda v: lax.psum(v, "i"), axis_name="i")(x)
    with pytest.raises(NameError, match="unbound axis name: i"):
        lax.pmax(x, "i")


def test_bad_arguments():
    x = np.ones((3, 2), np.float32)
    with pytest.raises(ValueError, match="sources must be unique"):
        vmap(lambda v: lax.ppermute(v, "i", [(0, 1), (0, 2)]), axis_name="i")(x)
    with pytest.raises(ValueError, match="destinations must be unique"):
        vmap(lambda v: lax.ppermute(v, "i", [(0, 1), (2, 1)]), axis_name="i")(x)
    with pytest.raises(ValueError, match="out of range"):
        vmap(lambda v: lax.ppermute(v, "i", [(0, 3)]), axis_name="i")(x)
    with pytest.raises(ValueError, match="all_to_all requires"):
        vmap(lambda v: lax.all_to_all(v, "i", 0, 0), axis_name="i")(x)
    with pytest.raises(ValueError, match="must match shard count"):
        vmap(lambda v: lax.psum_scatter(v, "i"), axis_name="i")(x)


def test_pmap_binds_its_axis_name():
    # More in test_pmap.py (a daemon with 4 devices); here the session's
    # daemon (one device per core, at least one).
    n = min(2, jet.device_count())
    x = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
    out = jet.pmap(lambda v: lax.psum(v, "i"), axis_name="i")(x)
    close(out, np.broadcast_to(x.sum(0), x.shape))


def test_jit_reused_under_vmaps_of_other_sizes():
    # The jit trace depends on the bound axis sizes: a jitted all_gather
    # reused under vmaps of 3 then 4 examples must not replay the first trace.
    g = jit(lambda x: lax.all_gather(x, 'i'))
    for n in (3, 4, 3):
        xs = np.arange(n * 2, dtype=np.float32).reshape(n, 2)
        out = np.asarray(vmap(g, axis_name='i')(xs))
        close(out, np.broadcast_to(xs, (n, n, 2)))
    h = grad(lambda x: jnp.sum(lax.all_gather(x, 'i')[0] * x))
    for n in (2, 5):
        xs = np.arange(n * 3, dtype=np.float32).reshape(n, 3)
        out = np.asarray(vmap(h, axis_name='i')(xs))
        # d/dx_i of sum_j sum(x_0 * x_j): x_0, plus sum_j x_j for example 0
        # (all_gather's transpose, psum_scatter, sums the cotangents).
        want = np.broadcast_to(xs[0], (n, 3)) + (np.arange(n)[:, None] == 0) * xs.sum(0)
        close(out, want)
