"""jet.random against JAX's published numbers and a numpy Threefry reference.

The exact numbers come from /work/shared/docs/jax-semantics.md section 5.5
(JAX's tests, docstrings and notebooks); the numpy reference below is an
independent implementation of section 5.1-5.4 (it never calls jet) used to
check larger shapes bit for bit. The daemon comes from conftest.py.
"""
import math

import numpy as np
import pytest

import jet
import jet.random as jr

U32 = np.uint32
MASK = 0xFFFFFFFF


# ---- numpy reference (independent of the server path) -----------------------

def ref_threefry(k0, k1, x0, x1):
    """Threefry-2x32, 20 rounds, on numpy uint32 arrays (wrap-around)."""
    k0, k1 = U32(k0), U32(k1)
    x0 = np.array(x0, dtype=U32, copy=True)
    x1 = np.array(x1, dtype=U32, copy=True)
    x0, x1 = np.broadcast_arrays(x0, x1)
    x0, x1 = x0.copy(), x1.copy()
    ks = [k0, k1, U32(k0 ^ k1 ^ U32(0x1BD11BDA))]
    rot = [(13, 15, 26, 6), (17, 29, 16, 24)]
    with np.errstate(over="ignore"):
        x0 += ks[0]
        x1 += ks[1]
        for g in range(5):
            for r in rot[g % 2]:
                x0 += x1
                x1 = (x1 << U32(r)) | (x1 >> U32(32 - r))
                x1 ^= x0
            x0 += ks[(g + 1) % 3]
            x1 += ks[(g + 2) % 3] + U32(g + 1)
    return x0, x1


def ref_threefry_counts(key, counts):
    c = np.asarray(counts, dtype=U32).ravel()
    n = c.size
    if n % 2:
        c = np.concatenate([c, np.zeros(1, U32)])
    h = c.size // 2
    a, b = ref_threefry(key[0], key[1], c[:h], c[h:])
    return np.concatenate([a, b])[:n]


def ref_bits(key, shape, width=32, partitionable=True):
    n = math.prod(shape)
    if partitionable:
        a, b = ref_threefry(key[0], key[1], np.zeros(n, U32), np.arange(n, dtype=U32))
        if width == 64:
            return ((a.astype(np.uint64) << np.uint64(32)) | b).reshape(shape)
        x = a ^ b
        return x.astype({8: np.uint8, 16: np.uint16, 32: U32}[width]).reshape(shape)
    if width == 64:
        x = ref_threefry_counts(key, np.arange(2 * n))
        return ((x[:n].astype(np.uint64) << np.uint64(32)) | x[n:]).reshape(shape)
    words = ref_threefry_counts(key, np.arange(-(-n * width // 32)))
    if width == 32:
        return words.reshape(shape)
    return words.view({8: np.uint8, 16: np.uint16}[width])[:n].reshape(shape)


def ref_split(key, num=2, partitionable=True):
    if partitionable:
        a, b = ref_threefry(key[0], key[1], np.zeros(num, U32), np.arange(num, dtype=U32))
        return np.stack([a, b], axis=1)
    return ref_threefry_counts(key, np.arange(2 * num)).reshape(num, 2)


def ref_fold_in(key, d):
    a, b = ref_threefry(key[0], key[1], U32(0), U32(d & MASK))
    return np.array([a, b], dtype=U32)


def ref_uniform(key, shape, partitionable=True, lo=0.0, hi=1.0):
    b = ref_bits(key, shape, 32, partitionable)
    f = ((b >> U32(9)) | U32(0x3F800000)).view(np.float32) - np.float32(1)
    lo, hi = np.float32(lo), np.float32(hi)
    return np.maximum(lo, f * (hi - lo) + lo)


def ref_randint(key, shape, lo, hi, partitionable=True):
    k = ref_split(key, 2, partitionable)
    hb = ref_bits(k[0], shape, 32, partitionable).astype(np.uint64)
    lb = ref_bits(k[1], shape, 32, partitionable).astype(np.uint64)
    m32 = np.uint64(MASK)
    span = np.uint64((hi - lo) & MASK) if hi > lo else np.uint64(1)
    mult = np.uint64(65536) % span
    mult = ((mult * mult) & m32) % span
    off = ((((hb % span) * mult) & m32) + lb % span) & m32
    return (np.int64(lo) + (off % span).astype(np.int64)).astype(np.int32)


def ref_shuffle_order(key, n, partitionable=True):
    rounds = int(np.ceil(3 * np.log(max(1, n)) / np.log(np.iinfo(np.uint32).max)))
    order = np.arange(n)
    for _ in range(rounds):
        ks = ref_split(key, 2, partitionable)
        key, sub = ks[0], ks[1]
        order = order[np.argsort(ref_bits(sub, (n,), 32, partitionable), kind="stable")]
    return order


def key0():
    return np.array([0, 0], dtype=U32)


def host(x):
    return np.asarray(x)


@pytest.fixture
def legacy():
    old = jr.threefry_partitionable
    jr.threefry_partitionable = False
    try:
        yield
    finally:
        jr.threefry_partitionable = old


@pytest.fixture
def x64():
    old = jet.config.enable_x64
    jet.config.enable_x64 = True
    try:
        yield
    finally:
        jet.config.enable_x64 = old


# ---- 5.1 the block function ---------------------------------------------------

KAT = [
    ((0, 0), (0, 0), (0x6B200159, 0x99BA4EFE)),
    ((MASK, MASK), (MASK, MASK), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


@pytest.mark.parametrize("key,ctr,expected", KAT)
def test_reference_threefry_kat(key, ctr, expected):
    w = ref_threefry(key[0], key[1], U32(ctr[0]), U32(ctr[1]))
    assert (int(w[0]), int(w[1])) == expected


@pytest.mark.parametrize("key,ctr,expected", KAT)
def test_threefry_kat_on_server(key, ctr, expected):
    out = host(jr.threefry_2x32(key, np.array(ctr, dtype=U32)))
    assert out.dtype == np.uint32
    assert [int(v) for v in out] == list(expected)


def test_threefry_broadcast_kat():
    # 5000 copies of the third counter pair: every pair hashes the same.
    n = 5000
    counts = np.concatenate([np.full(n, 0x243F6A88, U32), np.full(n, 0x85A308D3, U32)])
    out = host(jr.threefry_2x32((0x13198A2E, 0x03707344), counts))
    assert np.all(out[:n] == 0xC4923A9C)
    assert np.all(out[n:] == 0x483DF7A0)


def test_threefry_counts_match_reference_odd_length():
    counts = (np.arange(37, dtype=np.uint64) * 2654435761 % 2 ** 32).astype(U32)
    key = np.array([0xDEADBEEF, 0x12345678], U32)
    np.testing.assert_array_equal(host(jr.threefry_2x32(key, counts)),
                                  ref_threefry_counts(key, counts))


# ---- 5.2 keys -----------------------------------------------------------------

@pytest.mark.parametrize("seed,expected", [
    (0, [0, 0]), (1, [0, 1]), (-1, [0, 4294967295]), (-2, [0, 4294967294]),
    (2147483747, [0, 2147483747]), (-2147483748, [0, 2147483548]),
])
def test_prng_key_seeds(seed, expected):
    k = jr.PRNGKey(seed)
    assert k.dtype == np.uint32 and k.shape == (2,)
    assert host(k).tolist() == expected
    assert host(jr.key_data(jr.key(seed))).tolist() == expected


@pytest.mark.parametrize("seed,expected", [
    (-1, [4294967295, 4294967295]), (-2147483748, [4294967295, 2147483548]),
    (2 ** 40 + 5, [256, 5]),
])
def test_prng_key_seeds_x64(x64, seed, expected):
    assert host(jr.PRNGKey(seed)).tolist() == expected


def test_prng_key_seed_errors():
    with pytest.raises(OverflowError):
        jr.PRNGKey(2 ** 64)
    with pytest.raises(TypeError):
        jr.PRNGKey(1.5)
    with pytest.raises(TypeError):
        jr.PRNGKey(np.array([1, 2]))


def test_prng_key_from_traced_seed():
    seeds = jet.numpy.arange(4) if hasattr(jet, "numpy") else np.arange(4, dtype=np.int32)
    out = jet.vmap(jr.PRNGKey)(seeds)
    assert host(out).tolist() == [[0, 0], [0, 1], [0, 2], [0, 3]]
    neg = jet.jit(jr.PRNGKey)(np.int32(-2))
    assert host(neg).tolist() == [0, 4294967294]


# ---- 5.5 partitionable (current default) vectors ------------------------------

def test_default_mode_is_partitionable():
    assert jr.threefry_partitionable is True
    assert jr.partitionable() is True


def test_partitionable_uniform_vectors():
    k = jr.PRNGKey(0)
    u = jr.uniform(k)
    assert u.shape == () and u.dtype == np.float32
    assert host(u) == ref_uniform(key0(), ())
    np.testing.assert_allclose(host(u), 0.947667, rtol=0, atol=5e-7)
    u3 = host(jr.uniform(k, (3,)))
    np.testing.assert_allclose(u3, [0.947667, 0.9785799, 0.33229148], rtol=0, atol=5e-7)
    np.testing.assert_array_equal(u3, ref_uniform(key0(), (3,)))
    _, sub = jr.split(k)
    np.testing.assert_allclose(host(jr.uniform(sub)), 0.00729382, rtol=0, atol=5e-9)
    u42 = host(jr.uniform(jr.PRNGKey(42), (3,)))
    np.testing.assert_allclose(u42, [0.48870957, 0.67979717, 0.61627150], rtol=0, atol=5e-8)


def test_partitionable_fold_in_vectors():
    k = jr.PRNGKey(0)
    assert host(jr.fold_in(k, 0)).tolist() == [1797259609, 2579123966]
    assert host(jr.fold_in(k, 1)).tolist() == [928981903, 3453687069]
    assert host(jr.fold_in(k, 4)).tolist() == [2285895361, 433833334]


def test_partitionable_split_and_bits_vectors():
    k = jr.PRNGKey(0)
    s4 = host(jr.split(k, 4))
    assert s4.dtype == np.uint32 and s4.shape == (4, 2)
    assert s4.tolist() == [[1797259609, 2579123966], [928981903, 3453687069],
                           [4146024105, 2718843009], [2467461003, 3840466878]]
    assert host(jr.bits(k, (4,))).tolist() == [4070199207, 4202968722, 1427181096, 2012915765]


def test_split_fold_in_symmetry():
    k = jr.PRNGKey(17)
    keys = host(jr.split(k, 5))
    for i in range(5):
        assert keys[i].tolist() == host(jr.fold_in(k, i)).tolist()


def test_partitionable_bits_1701():
    k = jr.PRNGKey(1701)
    b32 = host(jr.bits(k, (3,)))
    assert b32.dtype == np.uint32 and b32.tolist() == [1111271205, 2679469115, 974515252]
    b8 = host(jr.bits(k, (3,), np.uint8))
    assert b8.dtype == np.uint8 and b8.tolist() == [37, 59, 52]
    assert host(jr._random_bits(k, 16, (3,))).tolist() == [42789, 29755, 60468]


def test_partitionable_bits_1701_u64(x64):
    b = host(jr._random_bits(jr.PRNGKey(1701), 64, (3,))).view(np.uint64)
    assert b.tolist() == [3182764935064573181, 366096495144982249, 241365115613244543]


def test_partitionable_normal_vectors():
    k = jr.PRNGKey(0)
    z = host(jr.normal(k, (3,)))
    assert z.dtype == np.float32
    np.testing.assert_allclose(z, [1.6226420, 2.0252647, -0.4335944], rtol=1e-6, atol=1e-6)
    _, sub = jr.split(k)
    np.testing.assert_allclose(host(jr.normal(sub)), -2.4424558, rtol=1e-6)


# ---- 5.5 legacy vectors --------------------------------------------------------

def test_legacy_split_and_fold_in(legacy):
    k = jr.PRNGKey(0)
    assert host(jr.split(k, 4)).tolist() == [
        [2285895361, 1501764800], [1518642379, 4090693311],
        [433833334, 4221794875], [839183663, 3740430601]]
    assert host(jr.fold_in(k, 4)).tolist() == [2285895361, 433833334]


def test_legacy_gotchas_notebook(legacy):
    k = jr.PRNGKey(0)
    ks = jr.split(k)
    assert host(ks).tolist() == [[4146024105, 967050713], [2718843009, 1272950319]]
    key, sub = ks[0], ks[1]
    np.testing.assert_allclose(host(jr.normal(sub, (1,))), [-1.2515389], rtol=1e-6)
    ks = jr.split(key)
    assert host(ks).tolist() == [[2384771982, 3928867769], [1278412471, 2182328957]]
    np.testing.assert_allclose(host(jr.normal(ks[1], (1,))), [-0.58665055], rtol=1e-6)


def test_legacy_uniform(legacy):
    k = jr.PRNGKey(0)
    np.testing.assert_allclose(host(jr.uniform(k)), 0.41845703, rtol=0, atol=5e-9)
    u3 = host(jr.uniform(k, (3,)))
    np.testing.assert_allclose(u3, [0.9653214, 0.31468165, 0.63302994], rtol=0, atol=5e-8)
    np.testing.assert_array_equal(u3, ref_uniform(key0(), (3,), partitionable=False))
    _, sub = jr.split(k)
    np.testing.assert_allclose(host(jr.uniform(sub)), 0.10536897, rtol=0, atol=5e-9)


def test_legacy_bits_1701(legacy):
    k = jr.PRNGKey(1701)
    assert host(jr.bits(k, (3,))).tolist() == [56197195, 4200222568, 961309823]
    assert host(jr.bits(k, (3,), np.uint8)).tolist() == [216, 115, 43]
    assert host(jr._random_bits(k, 16, (3,))).tolist() == [41682, 1300, 55017]


def test_legacy_bits_1701_u64(legacy, x64):
    b = host(jr._random_bits(jr.PRNGKey(1701), 64, (3,))).view(np.uint64)
    assert b.tolist() == [3982329540505020460, 16822122385914693683, 7882654074788531506]


def test_legacy_randint(legacy):
    r = host(jr.randint(jr.PRNGKey(0), (3, 3), 0, 8))
    assert r.dtype == np.int32
    assert r.tolist() == [[2, 1, 3], [6, 1, 5], [6, 3, 4]]


def test_legacy_distribution_cases(legacy):
    # seeds are zlib.adler32(name + "threefry2x32") as in JAX's test
    u = host(jr.uniform(jr.PRNGKey(1338574713), (5,)))
    np.testing.assert_allclose(u, [0.298671, 0.073213, 0.873356, 0.260549, 0.412797],
                               rtol=0, atol=5e-7)
    z = host(jr.normal(jr.PRNGKey(1193674498), (5,)))
    np.testing.assert_allclose(z, [-1.173234, -1.511662, 0.070593, -0.099764, 1.052845],
                               rtol=0, atol=2e-6)
    b = host(jr.bits(jr.PRNGKey(942802475), (5,)))
    assert b.tolist() == [1978747883, 4134381225, 3628107870, 689687174, 2788938207]


def test_legacy_normal(legacy):
    np.testing.assert_allclose(host(jr.normal(jr.PRNGKey(0), (3,))),
                               [1.8160863, -0.4826232, 0.3398891], rtol=1e-6, atol=1e-6)


def test_mode_flag_changes_stream():
    k = jr.PRNGKey(0)
    a = host(jr.uniform(k, (4,)))
    jr.threefry_partitionable = False
    try:
        b = host(jr.uniform(k, (4,)))
    finally:
        jr.threefry_partitionable = True
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(host(jr.uniform(k, (4,))), a)


# ---- larger shapes against the numpy reference --------------------------------

@pytest.mark.parametrize("partitionable", [True, False])
@pytest.mark.parametrize("shape", [(7, 13), (1001,), (2, 3, 5)])
def test_bits_match_reference(partitionable, shape):
    old = jr.threefry_partitionable
    jr.threefry_partitionable = partitionable
    try:
        k = np.array([0x01234567, 0x89ABCDEF], U32)
        np.testing.assert_array_equal(host(jr.bits(k, shape)), ref_bits(k, shape, 32, partitionable))
        np.testing.assert_array_equal(host(jr.bits(k, shape, np.uint8)),
                                      ref_bits(k, shape, 8, partitionable))
        np.testing.assert_array_equal(host(jr._random_bits(k, 16, shape)),
                                      ref_bits(k, shape, 16, partitionable))
        np.testing.assert_array_equal(host(jr.uniform(k, shape)),
                                      ref_uniform(k, shape, partitionable))
        np.testing.assert_array_equal(host(jr.uniform(k, shape, minval=-2.0, maxval=3.0)),
                                      ref_uniform(k, shape, partitionable, -2.0, 3.0))
        np.testing.assert_array_equal(host(jr.split(k, 9)), ref_split(k, 9, partitionable))
        np.testing.assert_array_equal(host(jr.randint(k, shape, -5, 1000)),
                                      ref_randint(k, shape, -5, 1000, partitionable))
    finally:
        jr.threefry_partitionable = old


def test_split_shape_and_fold_in_reference():
    k = np.array([3, 4], U32)
    s = host(jr.split(k, (2, 3)))
    assert s.shape == (2, 3, 2)
    np.testing.assert_array_equal(s.reshape(6, 2), ref_split(k, 6))
    for d in (0, 7, 2 ** 31 + 5, -1):
        np.testing.assert_array_equal(host(jr.fold_in(k, d)), ref_fold_in(k, d))


@pytest.mark.parametrize("partitionable", [True, False])
@pytest.mark.parametrize("n", [1, 2, 10, 2000])
def test_permutation_matches_reference(partitionable, n):
    old = jr.threefry_partitionable
    jr.threefry_partitionable = partitionable
    try:
        k = jr.PRNGKey(5)
        p = host(jr.permutation(k, n))
        np.testing.assert_array_equal(p, ref_shuffle_order(host(k), n, partitionable))
        x = np.arange(n, dtype=np.float32) * 1.5
        np.testing.assert_array_equal(host(jr.permutation(k, x)), x[p])
    finally:
        jr.threefry_partitionable = old


# ---- statistics, shapes and dtypes ---------------------------------------------

def test_uniform_statistics_and_range():
    u = host(jr.uniform(jr.PRNGKey(123), (200000,), minval=-1.0, maxval=3.0))
    assert u.min() >= -1.0 and u.max() < 3.0
    assert abs(u.mean() - 1.0) < 0.02
    assert abs(u.var() - 16.0 / 12.0) < 0.02
    hist, _ = np.histogram(u, bins=8, range=(-1.0, 3.0))
    assert np.all(np.abs(hist / len(u) - 1.0 / 8) < 0.005)


def test_uniform_array_bounds_broadcast():
    lo = np.array([0.0, 10.0, 20.0], np.float32)
    u = host(jr.uniform(jr.PRNGKey(9), (4, 3), minval=lo, maxval=lo + 1.0))
    assert u.shape == (4, 3)
    assert np.all(u >= lo) and np.all(u < lo + 1.0)


def test_normal_statistics():
    z = host(jr.normal(jr.PRNGKey(321), (200000,)))
    assert z.dtype == np.float32 and np.all(np.isfinite(z))
    assert abs(z.mean()) < 0.01
    assert abs(z.var() - 1.0) < 0.02
    assert abs(np.mean(np.abs(z) < 1.0) - 0.6827) < 0.005


def test_randint_statistics_and_edges():
    r = host(jr.randint(jr.PRNGKey(7), (80000,), 0, 8))
    assert r.dtype == np.int32 and r.min() == 0 and r.max() == 7
    counts = np.bincount(r, minlength=8) / len(r)
    assert np.all(np.abs(counts - 0.125) < 0.006)
    neg = host(jr.randint(jr.PRNGKey(7), (1000,), -10, -3))
    assert neg.min() == -10 and neg.max() == -4
    same = host(jr.randint(jr.PRNGKey(7), (5,), 4, 4))
    assert same.tolist() == [4] * 5
    lo_hi = host(jr.randint(jr.PRNGKey(7), (5,), 9, 2))
    assert lo_hi.tolist() == [9] * 5
    u8 = host(jr.randint(jr.PRNGKey(8), (5000,), 0, 256, np.uint8))
    assert u8.dtype == np.uint8 and u8.min() == 0 and u8.max() == 255
    u32 = host(jr.randint(jr.PRNGKey(8), (1000,), 0, 10, np.uint32))
    assert u32.dtype == np.uint32 and u32.max() == 9
    big = host(jr.randint(jr.PRNGKey(8), (1000,), -2 ** 31, 2 ** 31 - 1))
    assert big.min() < -2 ** 30 and big.max() > 2 ** 30
    per_col = host(jr.randint(jr.PRNGKey(8), (1000, 3), np.array([0, 10, 100]),
                              np.array([5, 20, 200])))
    assert np.all(per_col.min(axis=0) >= [0, 10, 100]) and np.all(per_col.max(axis=0) < [5, 20, 200])


def test_bernoulli():
    b = host(jr.bernoulli(jr.PRNGKey(11), 0.3, (100000,)))
    assert b.dtype == np.bool_
    assert abs(b.mean() - 0.3) < 0.01
    np.testing.assert_array_equal(b[:100], ref_uniform(np.array([0, 11], U32), (100,)) < 0.3)
    p = np.array([0.0, 0.5, 1.0], np.float32)
    bp = host(jr.bernoulli(jr.PRNGKey(12), p))
    assert bp.shape == (3,) and not bp[0] and bp[2]
    hi = host(jr.bernoulli(jr.PRNGKey(13), 0.25, (40000,), mode="high"))
    assert abs(hi.mean() - 0.25) < 0.01
    assert host(jr.bernoulli(jr.PRNGKey(1))).shape == ()


def test_permutation_properties():
    k = jr.PRNGKey(2)
    p = host(jr.permutation(k, 500))
    assert p.dtype == np.int32 and sorted(p.tolist()) == list(range(500))
    assert not np.array_equal(p, np.arange(500))
    assert not np.array_equal(p, host(jr.permutation(jr.PRNGKey(3), 500)))
    np.testing.assert_array_equal(p, host(jr.permutation(k, 500)))
    # each position is uniform over the values: first element over 4000 keys
    firsts = np.array([int(host(jr.permutation(jr.fold_in(k, i), 4))[0]) for i in range(400)])
    assert np.all(np.abs(np.bincount(firsts, minlength=4) / 400 - 0.25) < 0.08)
    m = np.arange(12, dtype=np.float32).reshape(4, 3)
    rows = host(jr.permutation(k, m))
    assert sorted(map(tuple, rows.tolist())) == sorted(map(tuple, m.tolist()))
    cols = host(jr.permutation(k, m, axis=1))
    assert cols.shape == (4, 3)
    np.testing.assert_array_equal(np.sort(cols, axis=1), m)


def test_choice():
    k = jr.PRNGKey(4)
    c = host(jr.choice(k, 5, (20000,)))
    assert c.dtype == np.int32 and c.min() == 0 and c.max() == 4
    assert np.all(np.abs(np.bincount(c) / len(c) - 0.2) < 0.02)
    np.testing.assert_array_equal(c[:50], ref_randint(host(k), (20000,), 0, 5)[:50])
    a = np.array([10.0, 20.0, 30.0], np.float32)
    ca = host(jr.choice(k, a, (2, 3)))
    assert ca.shape == (2, 3) and set(ca.ravel().tolist()) <= {10.0, 20.0, 30.0}
    nr = host(jr.choice(k, 50, (20,), replace=False))
    assert len(set(nr.tolist())) == 20 and nr.max() < 50
    np.testing.assert_array_equal(nr, ref_shuffle_order(host(k), 50)[:20])
    p = np.array([0.1, 0.0, 0.6, 0.3], np.float32)
    cp = host(jr.choice(k, 4, (40000,), p=p))
    freq = np.bincount(cp, minlength=4) / len(cp)
    assert np.all(np.abs(freq - p) < 0.01) and freq[1] == 0
    cnr = host(jr.choice(k, 4, (3,), replace=False, p=p))
    assert len(set(cnr.tolist())) == 3 and 1 not in cnr.tolist()
    firsts = [int(host(jr.choice(jr.fold_in(k, i), 4, (1,), replace=False, p=p))[0])
              for i in range(300)]
    assert abs(firsts.count(2) / 300 - 0.6) < 0.1
    m = np.arange(6, dtype=np.int32).reshape(2, 3)
    cm = host(jr.choice(k, m, (4,), axis=1))
    assert cm.shape == (2, 4) and np.all(cm[1] == cm[0] + 3)
    assert host(jr.choice(k, 3, (0,))).shape == (0,)


def test_shapes_and_dtypes():
    k = jr.PRNGKey(0)
    for shape in [(), (1,), (2, 3), (0,), (3, 0, 2)]:
        u = jr.uniform(k, shape)
        assert u.shape == shape and u.dtype == np.float32
        assert jr.normal(k, shape).shape == shape
        assert jr.bits(k, shape).shape == shape
        assert jr.randint(k, shape, 0, 3).shape == shape
    assert jr.split(k, 0).shape == (0, 2)
    assert host(jr.permutation(k, 0)).shape == (0,)
    assert host(jr.permutation(k, 1)).tolist() == [0]
    assert host(jr.permutation(k, np.zeros((0, 3), np.float32))).shape == (0, 3)
    np.testing.assert_array_equal(host(jr.permutation(k, np.ones((1, 3), np.float32))),
                                  np.ones((1, 3), np.float32))
    assert jr.uniform(k, (2,), dtype=np.float64).dtype == np.float32  # x64 off, as JAX
    assert jr.uniform(k, [2, 2]).shape == (2, 2)


def test_float64_uniform_x64(x64):
    u = host(jr.uniform(jr.PRNGKey(0), (1000,), dtype=np.float64))
    assert u.dtype == np.float64 and u.min() >= 0.0 and u.max() < 1.0
    b = host(jr._random_bits(jr.PRNGKey(0), 64, (1000,))).view(np.uint64)
    expect = ((b >> np.uint64(12)) | np.uint64(0x3FF0000000000000)).view(np.float64) - 1.0
    np.testing.assert_array_equal(u, expect)


def test_argument_errors():
    k = jr.PRNGKey(0)
    with pytest.raises(TypeError, match="key"):
        jr.uniform(np.array([0, 0], np.int32))
    with pytest.raises(TypeError, match="single key"):
        jr.uniform(jr.split(k, 3))
    with pytest.raises(TypeError):
        jr.uniform(k, 3)
    with pytest.raises(ValueError, match="float dtype"):
        jr.uniform(k, (2,), dtype=np.int32)
    with pytest.raises(ValueError, match="broadcast"):
        jr.uniform(k, (2,), minval=np.zeros(3, np.float32))
    with pytest.raises(TypeError, match="integer"):
        jr.randint(k, (2,), 0, 4, dtype=np.float32)
    with pytest.raises(TypeError, match="floating"):
        jr.bernoulli(k, np.array([1, 0]))
    with pytest.raises(ValueError, match="larger sample"):
        jr.choice(k, 3, (4,), replace=False)
    with pytest.raises(ValueError, match="p must be"):
        jr.choice(k, 3, (2,), p=np.ones(4, np.float32) / 4)
    with pytest.raises(TypeError, match="integer or at least 1-dimensional"):
        jr.permutation(k, 2.5)
    with pytest.raises(ValueError, match="unsigned"):
        jr.bits(k, (2,), np.int32)


# ---- inside transforms ----------------------------------------------------------

def test_inside_jit_matches_eager():
    k = jr.PRNGKey(0)

    def f(key):
        a, b = jr.split(key)
        return jr.normal(a, (3,)) + jr.uniform(b, (3,))
    eager = host(jr.normal(jr.split(k)[0], (3,))) + host(jr.uniform(jr.split(k)[1], (3,)))
    np.testing.assert_allclose(host(jet.jit(f)(k)), eager, rtol=1e-6)


def test_vmap_over_keys():
    keys = jr.split(jr.PRNGKey(0), 4)
    out = host(jet.vmap(lambda kk: jr.uniform(kk, (2,)))(keys))
    host_keys = host(keys)
    for i in range(4):
        np.testing.assert_array_equal(out[i], ref_uniform(host_keys[i], (2,)))
