#!/usr/bin/python3
"""Benchmark (not a test) of the Python client (client/python, package jet).

Prints:
  1. the per-op overhead of eager jnp calls (jnp.add on float32[4] arrays
     already on the server) against the same call made from C through libjet
     (tests/bench/bench_eager_c.c, run as a subprocess against the same jetd;
     target: Python at most 1.5x C), and against numpy on the same tiny
     arrays; also jnp.add on numpy inputs (uploaded on every call), which is
     why the tutorial's advice to device_put first holds here too;
  2. device_put and read-back (np.asarray of a result computed on the
     server, so no host copy can answer) of a 64 MiB float32 array in GB/s
     (target: at least 1 GB/s each way);
  3. a jitted function against the same sequence of eager calls (one round
     trip instead of one per op).

The daemon: with --address HOST:PORT it uses a running jetd; otherwise it
starts its own (--jetd PATH, else $JETD_PATH, else build*/server/jetd of the
repository) on a free port and stops it at the end. bench_eager_c is found
with --bench-c PATH, else next to jetd in the build tree (tests/bench_eager_c).
libjet.so comes from $JET_LIBJET or the package's own search.

    cmake --build build --target jetd jet_shared_client bench_eager_c
    JET_LIBJET=build/client/libjet.so /usr/bin/python3 tests/bench/bench_python.py \\
        --jetd build/server/jetd [--runs 7] [--ops 2000] [--mib 64]
"""
import argparse
import ctypes
import os
import pathlib
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "client" / "python"))


def median(xs):
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2] if n % 2 else 0.5 * (xs[n // 2 - 1] + xs[n // 2])


def _die_with_parent():
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGKILL, 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def find_jetd(arg):
    if arg:
        return arg
    if os.environ.get("JETD_PATH"):
        return os.environ["JETD_PATH"]
    for cand in sorted(ROOT.glob("build*/server/jetd")):
        return str(cand)
    sys.exit("bench_python: no jetd: pass --jetd PATH, set JETD_PATH or build into build/")


def start_jetd(path):
    log_dir = tempfile.mkdtemp(prefix="jet-bench-")
    out_path = os.path.join(log_dir, "jetd.out")
    out = open(out_path, "wb")
    err = open(os.path.join(log_dir, "jetd.log"), "wb")
    proc = subprocess.Popen([path, "--listen", "127.0.0.1:0"], stdin=subprocess.DEVNULL,
                            stdout=out, stderr=err, preexec_fn=_die_with_parent)
    marker = "jetd listening on "
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        text = pathlib.Path(out_path).read_text(errors="replace")
        i = text.find(marker)
        j = text.find("\n", i) if i >= 0 else -1
        if j >= 0:
            return proc, text[i + len(marker):j].strip(), log_dir
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    proc.wait()
    sys.exit("bench_python: jetd did not start; logs in %s" % log_dir)


def stop_jetd(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        return proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        return -1


def find_bench_c(arg, jetd_path):
    if arg:
        return arg
    cands = []
    if jetd_path:
        cands.append(pathlib.Path(jetd_path).resolve().parent.parent / "tests" / "bench_eager_c")
    cands += sorted(ROOT.glob("build*/tests/bench_eager_c"))
    for c in cands:
        if os.access(c, os.X_OK):
            return str(c)
    return None


def per_op_us(call, ops, runs, keep=True):
    """Median and min microseconds per call over `runs` batches of `ops` calls.
    Results are kept during a batch (as the C bench does) and dropped after."""
    call()  # warm-up: caches
    warm = [call() for _ in range(min(ops, 200))]
    del warm
    times = []
    for _ in range(runs):
        held = []
        t0 = time.perf_counter()
        if keep:
            for _ in range(ops):
                held.append(call())
        else:
            for _ in range(ops):
                call()
        times.append(time.perf_counter() - t0)
        del held
    return median(times) / ops * 1e6, min(times) / ops * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--address", help="a running jetd (HOST:PORT); default: start one")
    ap.add_argument("--jetd", help="jetd to start (default $JETD_PATH or build*/server/jetd)")
    ap.add_argument("--bench-c", help="bench_eager_c (default: next to jetd in the build tree)")
    ap.add_argument("--ops", type=int, default=2000, help="eager calls per timed batch")
    ap.add_argument("--runs", type=int, default=7, help="timed batches / repetitions")
    ap.add_argument("--mib", type=int, default=64, help="size of the transfer array in MiB")
    args = ap.parse_args()

    proc = None
    jetd_path = None
    address = args.address
    if not address:
        jetd_path = find_jetd(args.jetd)
        proc, address, log_dir = start_jetd(jetd_path)
        print("started jetd %s at %s (logs in %s)" % (jetd_path, address, log_dir))
    else:
        jetd_path = args.jetd or os.environ.get("JETD_PATH")
    os.environ["JET_ADDRESS"] = address

    import jet
    import jet.numpy as jnp
    jet.connect(address)
    rc = 0
    try:
        rc = run(args, jet, jnp, address, find_bench_c(args.bench_c, jetd_path))
    finally:
        if proc is not None:
            status = stop_jetd(proc)
            if status != 0:
                print("jetd exited with status %s" % status)
                rc = rc or 1
    return rc


def run(args, jet, jnp, address, bench_c):
    ops, runs = args.ops, args.runs
    print("\n== 1. per-op overhead of eager calls: add(float32[4], float32[4]), %d calls x %d runs"
          % (ops, runs))
    xn = np.array([1, 2, 3, 4], np.float32)
    yn = np.array([0.5, -1, 2, 8], np.float32)
    x = jet.device_put(xn)
    y = jet.device_put(yn)
    got = np.asarray(jnp.add(x, y))
    if not np.array_equal(got, xn + yn):
        print("bench_python: jnp.add gave %s, expected %s" % (got, xn + yn))
        return 1

    py_med, py_min = per_op_us(lambda: jnp.add(x, y), ops, runs)
    print("python  jnp.add(x, y), device arrays : median %8.1f us/op  (min %.1f)" % (py_med, py_min))

    c_med = None
    if bench_c:
        out = subprocess.run([bench_c, "--address", address, "--ops", str(ops),
                              "--runs", str(runs)], capture_output=True, text=True, timeout=600)
        line = [ln for ln in out.stdout.splitlines() if ln.startswith("eager_add_f32x4_us")]
        if out.returncode != 0 or not line:
            print("bench_eager_c failed (status %d): %s" % (out.returncode, out.stderr.strip()))
        else:
            fields = dict(f.split("=") for f in line[0].split()[1:])
            c_med, c_min = float(fields["median"]), float(fields["min"])
            print("C       jet_eager_binary(ADD) (libjet): median %8.1f us/op  (min %.1f)"
                  % (c_med, c_min))
    else:
        print("C       bench_eager_c not found (build it: cmake --build build --target "
              "bench_eager_c, or pass --bench-c)")

    np_med, _ = per_op_us(lambda: np.add(xn, yn), ops * 10, runs)
    print("numpy   np.add(x, y)                   : median %8.3f us/op" % np_med)
    up_med, _ = per_op_us(lambda: jnp.add(xn, yn), max(ops // 4, 50), runs)
    print("python  jnp.add(x, y), numpy arrays  : median %8.1f us/op  (uploads both every call:"
          " device_put first)" % up_med)
    if c_med:
        ratio = py_med / c_med
        print("ratio python / C: %.2fx  (target <= 1.5x: %s)"
              % (ratio, "met" if ratio <= 1.5 else "NOT met"))
    print("ratio python / numpy: %.0fx" % (py_med / np_med))

    print("\n== 2. transfers of a %d MiB float32 array" % args.mib)
    n = args.mib * (1 << 20) // 4
    big = np.arange(n, dtype=np.float32)
    nbytes = big.nbytes
    put_t, get_t = [], []
    reps = max(3, min(runs, 5))
    for _ in range(reps):
        t0 = time.perf_counter()
        arr = jet.device_put(big)
        arr.block_until_ready()
        put_t.append(time.perf_counter() - t0)
        # read back an array that only exists on the server (a result of an
        # op), so no host copy kept by device_put can answer
        on_server = jnp.multiply(arr, np.float32(1.0))
        on_server.block_until_ready()
        t0 = time.perf_counter()
        back = np.asarray(on_server)
        get_t.append(time.perf_counter() - t0)
        if back.shape != big.shape or back[-1] != big[-1] or not np.array_equal(back[::4099],
                                                                                 big[::4099]):
            print("bench_python: read-back differs from what was put")
            return 1
        del arr, on_server, back
    put_gbs = nbytes / median(put_t) / 1e9
    get_gbs = nbytes / median(get_t) / 1e9
    print("device_put : median %7.1f ms  %5.2f GB/s  (best %.2f GB/s)  target >= 1 GB/s: %s"
          % (median(put_t) * 1e3, put_gbs, nbytes / min(put_t) / 1e9,
             "met" if put_gbs >= 1 else "NOT met"))
    print("read-back  : median %7.1f ms  %5.2f GB/s  (best %.2f GB/s)  target >= 1 GB/s: %s"
          % (median(get_t) * 1e3, get_gbs, nbytes / min(get_t) / 1e9,
             "met" if get_gbs >= 1 else "NOT met"))

    print("\n== 3. a jitted function vs the same sequence of eager calls")

    def f(v):
        for _ in range(4):
            v = jnp.tanh(v * 1.5 + 0.25) - v * 0.5
        return jnp.sum(v * v)

    n_ops = 4 * 5 + 2
    v = jet.device_put(np.linspace(-1, 1, 256, dtype=np.float32))
    fj = jet.jit(f)
    e_val = float(f(v))
    j_val = float(fj(v))
    if not np.isclose(e_val, j_val, rtol=1e-5, atol=1e-6):
        print("bench_python: jit gave %r, eager %r" % (j_val, e_val))
        return 1
    calls = max(ops // 20, 20)
    eager_med, _ = per_op_us(lambda: f(v).block_until_ready(), calls, runs, keep=False)
    jit_med, _ = per_op_us(lambda: fj(v).block_until_ready(), calls, runs, keep=False)
    print("f(v): %d ops on float32[256] (4 x tanh(v*1.5+0.25) - v*0.5, then sum(v*v))" % n_ops)
    print("eager : median %8.1f us/call (%d round trips)" % (eager_med, n_ops))
    print("jit   : median %8.1f us/call (one round trip)  speed-up %.1fx"
          % (jit_med, eager_med / jit_med))
    return 0


if __name__ == "__main__":
    sys.exit(main())
