"""Structured control flow with jet.lax (JAX's lax.cond / switch /
while_loop / fori_loop / scan): each loop or branch is one node of the
graph jetd runs, not a Python loop of separate requests.

Run it with a daemon listening at $JET_ADDRESS (or give the address as the
first argument):

    JET_ADDRESS=127.0.0.1:7450 JET_LIBJET=build/client/libjet.so \\
        PYTHONPATH=client/python /usr/bin/python3 client/python/examples/control_flow.py

It prints:

    fori_loop sum 0..99: 4950
    newton sqrt(2): 1.4142135 after 4 steps
    scan cumsum: [ 1.  3.  6. 10.]
    switch: [2.0, 4.0, -2.0]
    grad of the RNN loss: (8, 8) ...
"""
import os
import sys

import numpy as np

import jet
import jet.numpy as jnp
from jet import lax


def newton_sqrt(a):
    def cond_fun(c):
        x, n = c
        return jnp.abs(x * x - a) > 1e-6 * a

    def body_fun(c):
        x, n = c
        return 0.5 * (x + a / x), n + 1
    return lax.while_loop(cond_fun, body_fun, (a, 0))


def rnn_loss(W, U, xs):
    def cell(h, x):
        h = jnp.tanh(W @ h + U @ x)
        return h, jnp.sum(h * h)
    _, ys = lax.scan(cell, jnp.zeros(W.shape[0]), xs)
    return jnp.mean(ys)


def main():
    addr = sys.argv[1] if len(sys.argv) > 1 else os.environ.get("JET_ADDRESS")
    if addr:
        jet.connect(addr)
    print("fori_loop sum 0..99:", lax.fori_loop(0, 100, lambda i, s: s + i, 0))
    x, n = jet.jit(newton_sqrt)(2.0)
    print("newton sqrt(2): %s after %d steps" % (x, int(n)))
    print("scan cumsum:", lax.scan(lambda c, v: (c + v, c + v), 0.0,
                                   jnp.array([1.0, 2.0, 3.0, 4.0]))[1])
    branches = [lambda v: v * 2.0, lambda v: v * 4.0, lambda v: -v * 2.0]
    print("switch:", [float(lax.switch(i, branches, 1.0)) for i in (0, 1, 5)])
    r = np.random.default_rng(0)
    W = jnp.asarray(r.normal(size=(8, 8)).astype(np.float32) * 0.3)
    U = jnp.asarray(r.normal(size=(8, 3)).astype(np.float32) * 0.5)
    xs = jnp.asarray(r.normal(size=(100, 3)).astype(np.float32))
    try:
        g = jet.jit(jet.grad(rnn_loss))(W, U, xs)
        print("grad of the RNN loss:", g.shape, float(jnp.abs(g).sum()))
    except NotImplementedError as e:
        print("grad of the RNN loss: not available (%s)" % e)


if __name__ == "__main__":
    main()
