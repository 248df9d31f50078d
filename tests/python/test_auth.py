"""Bearer tokens from Python: jet.connect(address, token=...) against a jetd
with a tokens-file of its own; no token or a wrong one is UNAUTHENTICATED.
The session's daemon is reconnected afterwards."""
import hashlib
import os

import numpy as np
import pytest

import jet
from jet import errors

from conftest import Daemon


@pytest.fixture
def token_daemon(tmp_path, jetd):
    tokens = tmp_path / "tokens"
    digest = hashlib.sha256(b"py-secret-token").hexdigest()
    tokens.write_text("# test\npy-team sha256:%s\n" % digest)
    d = Daemon(["--tokens-file", str(tokens)])
    try:
        yield d
    finally:
        jet.connect(jetd.address)
        assert d.stop() == 0


def test_connect_with_token(token_daemon, monkeypatch):
    monkeypatch.delenv("JET_TOKEN", raising=False)
    jet.connect(token_daemon.address, token="py-secret-token")
    f = jet.jit(lambda x: x * x + 1.0)
    out = np.asarray(f(np.arange(4, dtype=np.float32)))
    np.testing.assert_allclose(out, np.arange(4, dtype=np.float32) ** 2 + 1.0)

    with pytest.raises(errors.JetError) as e:
        jet.connect(token_daemon.address, token="wrong-token")
    assert "UNAUTHENTICATED" in str(e.value) or e.value.code == "UNAUTHENTICATED"
    assert "wrong-token" not in str(e.value)
    with pytest.raises(errors.JetError) as e:
        jet.connect(token_daemon.address)
    assert "no bearer token" in str(e.value)

    # $JET_TOKEN is the default.
    monkeypatch.setenv("JET_TOKEN", "py-secret-token")
    jet.connect(token_daemon.address)
    assert float(np.asarray(jet.jit(lambda x: x + 1.0)(np.float32(1.0)))) == 2.0
