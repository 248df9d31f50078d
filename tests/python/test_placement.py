"""Committed and sharded arrays through the Python package against a jetd
started with --devices 4: device_put(x, device), device_put_sharded /
_replicated, pmap outputs left sharded over the pmap's devices, shards read
one by one, per-device memory in jet.devices(), a non-pmap computation on a
sharded array (gathered first, as JAX does) and the colocation error.
References are numpy; memory figures are byte counts of the arrays."""
import gc
import time

import numpy as np
import pytest

import jet
import jet.errors
import jet.numpy as jnp
from jet import lax, pmap

NDEV = 4  # the jetd4 fixture's (conftest.py)
pytestmark = pytest.mark.usefixtures("jetd4")


def in_use():
    return [d.memory_in_use for d in jet.devices()]


def wait_in_use(expected, timeout=5.0):
    """Arrays are deleted by a background thread: wait for the figures."""
    deadline = time.time() + timeout
    while True:
        got = in_use()
        if got == expected or time.time() > deadline:
            return got
        time.sleep(0.02)


def settled():
    """The devices' figures once the arrays of earlier tests are deleted
    (the package deletes dropped arrays from a background thread): this
    module's daemon holds nothing else, so every device is back to 0."""
    gc.collect()
    got = wait_in_use([0] * NDEV)
    assert got == [0] * NDEV, "arrays of an earlier test still held: %r" % (got,)
    return got


def ids(a):
    return [d.id for d in sorted(a.devices(), key=lambda d: d.id)]


def test_device_put_commits_and_computation_follows():
    base = settled()
    x = jet.device_put(np.arange(6, dtype=np.float32), jet.devices()[2])
    assert ids(x) == [2] and x.is_fully_replicated()
    expect = list(base)
    expect[2] += 24
    assert wait_in_use(expect) == expect
    y = jet.jit(lambda v: v * 2.0)(x)
    np.testing.assert_array_equal(np.asarray(y), np.arange(6) * 2.0)
    assert ids(y) == [2], "the output of a call on a committed array stays on its device"
    del x, y
    gc.collect()
    assert wait_in_use(base) == base


def test_incompatible_devices_error():
    a = jet.device_put(np.ones(3, np.float32), 1)
    b = jet.device_put(np.ones(3, np.float32), 3)
    with pytest.raises(jet.errors.InvalidArgumentError) as e:
        np.asarray(jet.jit(lambda u, v: u + v)(a, b))
    assert "device 1" in str(e.value) \
        and "device 3" in str(e.value)


def test_device_put_sharded_blocks_and_accounting():
    base = settled()
    parts = [np.full((2, 3), k, np.float32) for k in range(NDEV)]
    s = jet.device_put_sharded(parts, jet.devices()[::-1])
    assert s.shape == (NDEV, 2, 3)
    np.testing.assert_array_equal(np.asarray(s), np.stack(parts))
    assert not s.is_fully_replicated() and ids(s) == [0, 1, 2, 3]
    shards = s.addressable_shards
    assert [sh.device.id for sh in shards] == [3, 2, 1, 0]
    for k, sh in enumerate(shards):
        assert sh.index[0] == slice(k, k + 1)
        np.testing.assert_array_equal(np.asarray(sh.data), parts[k][None])
    assert wait_in_use([b + 24 for b in base]) == [b + 24 for b in base]
    # A computation that is not a pmap gathers the blocks first.
    np.testing.assert_allclose(np.asarray(jnp.sum(s, axis=(1, 2))), [0, 6, 12, 18])
    r = jet.device_put_replicated(np.arange(3, dtype=np.int32), [0, 2])
    assert r.shape == (2, 3) and ids(r) == [0, 2]
    np.testing.assert_array_equal(np.asarray(r), [[0, 1, 2], [0, 1, 2]])
    del s, r, shards, sh
    gc.collect()
    assert wait_in_use(base) == base


def test_device_put_sharded_errors():
    with pytest.raises(ValueError):
        jet.device_put_sharded([np.ones(2)] * 3, [0, 1])
    with pytest.raises(jet.errors.InvalidArgumentError) as e:
        jet.device_put_sharded([np.ones(2, np.float32)] * 2, [1, 1])
    assert "one block per device" in str(e.value)
    with pytest.raises(jet.errors.InvalidArgumentError) as e:
        jet.device_put_sharded([np.ones(2, np.float32)] * 2, [0, 9])
    assert "device 9 does not exist" in str(e.value)


def test_pmap_outputs_stay_sharded_and_feed_the_next_pmap():
    x = np.arange(NDEV * 5, dtype=np.float32).reshape(NDEV, 5)
    f = pmap(lambda v: v * 3.0 + lax.psum(v, "i"), axis_name="i", devices=[1, 0, 3, 2])
    y = f(x)
    want = x * 3.0 + x.sum(axis=0)
    assert [sh.device.id for sh in y.addressable_shards] == [1, 0, 3, 2]
    for k, sh in enumerate(y.addressable_shards):
        np.testing.assert_allclose(np.asarray(sh.data)[0], want[k], rtol=1e-6)
    g = pmap(lambda v: lax.pmax(v, "j"), axis_name="j", devices=[1, 0, 3, 2])
    z = g(y)
    np.testing.assert_allclose(np.asarray(z), np.broadcast_to(want.max(axis=0), want.shape),
                               rtol=1e-6)
    # The sharded input of a pmap with other devices works too.
    s = jet.device_put_sharded(list(x), [0, 1, 2, 3])
    np.testing.assert_allclose(np.asarray(f(s)), want, rtol=1e-6)
