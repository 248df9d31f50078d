"""client/python/examples/intro.py (the tutorial's cells) run as a program
against the session's jetd: its output lines are the tutorial's."""
import os
import pathlib
import subprocess
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
INTRO = ROOT / "client" / "python" / "examples" / "intro.py"

# The tutorial's printed outputs (with JAX's current Array repr instead of
# DeviceArray; numpy 1.24 prints float64 arrays without a dtype).
EXPECTED = [
    "0.0 0.0",
    "(array([1., 4., 9.]), Array([1., 4., 9.], dtype=float32))",
    "6.0",
    "-2.5066283 -2.5066282746310002",
    "24.0",
    "(Array(16., dtype=float32), Array(24., dtype=float32))",
    "[0.26726124 0.5345225  0.8017837 ]",
]


def _parse_vector(text):
    return np.array([float(t) for t in text.strip().strip("[]").split()])


def test_intro_prints_the_tutorial_outputs(jetd):
    env = dict(os.environ)
    env["JET_ADDRESS"] = jetd.address
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "client" / "python")] + [p for p in [env.get("PYTHONPATH")] if p])
    proc = subprocess.run([sys.executable, str(INTRO)], env=env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, "intro.py failed:\n%s\n%s" % (proc.stdout, proc.stderr)
    lines = proc.stdout.splitlines()
    assert lines[:len(EXPECTED)] == EXPECTED, proc.stdout

    rest = lines[len(EXPECTED):]
    assert len(rest) >= 3, proc.stdout
    jit_line, vmap_line = rest[:2]
    pmap_line = " ".join(rest[2:])   # a printed 2-d result spans two lines
    a = np.array([1., 2., 3.])
    b = np.array([1., 1., -1.])
    assert jit_line.startswith("jit(composite_func)(a) = ")
    np.testing.assert_allclose(_parse_vector(jit_line.split(" = ", 1)[1]), np.cos(a ** 2),
                               rtol=1e-6, atol=1e-6)
    assert vmap_line.startswith("vmap(jnp.dot, in_axes=(0, None))([a; b], b) = ")
    np.testing.assert_allclose(_parse_vector(vmap_line.split(" = ", 1)[1]),
                               [a @ b, b @ b], rtol=1e-6, atol=1e-6)
    assert pmap_line.startswith("pmap"), pmap_line
    if pmap_line.startswith("pmap: not available"):
        # only a jetd with a single device may refuse this 2-row pmap
        assert "(1 device;" in pmap_line, pmap_line
    else:
        rows = pmap_line.split(" = ", 1)[1].replace("[", " ").replace("]", " ").split()
        np.testing.assert_allclose([float(t) for t in rows], np.concatenate([a, b]) * 2)
