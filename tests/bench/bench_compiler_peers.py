#!/usr/bin/python3
"""Peers of bench_compiler (numpy, torch) and the table of issue 6's targets.

Measures, in this process and in the environment it was started with (the
same as jetd's when run through run_compiler_bench.sh):
  numpy  tanh(x*w + b)*0.5 + x over 16M f32 (w, b scalars), np.sum(x*y),
         np.dot(x, y), np.dot of two 2048x2048 f32 matrices;
  torch  one MLP training step (3 dense layers of width 512, tanh, batch 256,
         MSE loss, backward, SGD update under torch.no_grad) in eager mode,
         on 1 thread and on all cores (torch.set_num_threads);
and which OpenBLAS this process loaded (its core name, config and threads,
via ctypes on the library found in /proc/self/maps).

With --c-results FILE (the `key value` lines of bench_compiler) it prints
one table: case | jet | peer/floor | ratio | target | met?, then the
server-side times and the environment of each side. Medians after warm-up.

Usage: bench_compiler_peers.py [--c-results FILE] [--runs N]
"""
import argparse
import ctypes
import os
import statistics
import sys
import time

import numpy as np

N16M = 16 * 1024 * 1024
LOG = open(os.devnull, "w")  # progress lines; sys.stderr with -v
MM = 2048
BATCH, WIDTH = 256, 512


def median_time(fn, runs, warmup=1):
    for _ in range(warmup):
        fn()
    t = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return statistics.median(t)


def openblas_info():
    """(path, core, config, threads) of the OpenBLAS mapped in this process."""
    libs = []
    try:
        with open("/proc/self/maps") as f:
            for line in f:
                p = line.split()[-1]
                if "openblas" in p and p.startswith("/") and p not in libs:
                    libs.append(p)
    except OSError:
        pass
    # the library itself first (liblapack.so.3 / libblas.so.3 are its aliases)
    libs.sort(key=lambda p: "libopenblas" not in os.path.basename(p))
    out = []
    for p in libs:
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_get_corename.restype = ctypes.c_char_p
            lib.openblas_get_config.restype = ctypes.c_char_p
            out.append((p, lib.openblas_get_corename().decode(),
                        lib.openblas_get_config().decode(), lib.openblas_get_num_threads()))
        except (OSError, AttributeError):
            out.append((p, "?", "?", "?"))
    return out


def measure_numpy(res, runs):
    rng = np.random.default_rng(1)
    x = rng.uniform(-1, 1, N16M).astype(np.float32)
    y = rng.uniform(-1, 1, N16M).astype(np.float32)
    w, b = np.float32(0.75), np.float32(0.1)
    res["numpy.chain_ms"] = median_time(lambda: np.tanh(x * w + b) * np.float32(0.5) + x, runs) * 1e3
    res["numpy.sum_ms"] = median_time(lambda: np.sum(x * y), runs) * 1e3
    res["numpy.dot_ms"] = median_time(lambda: np.dot(x, y), runs) * 1e3
    del x, y
    a = rng.uniform(-1, 1, (MM, MM)).astype(np.float32)
    c = rng.uniform(-1, 1, (MM, MM)).astype(np.float32)
    t = median_time(lambda: np.dot(a, c), runs)
    res["numpy.matmul_gflops"] = 2.0 * MM ** 3 / t / 1e9
    res["numpy.version"] = np.__version__
    info = openblas_info()
    if info:
        p, core, config, threads = info[0]
        res["numpy.openblas_lib"] = p
        res["numpy.openblas_core"] = core
        res["numpy.openblas_config"] = config
        res["numpy.openblas_threads"] = threads
    print("numpy %s: chain %.1f ms, sum(x*y) %.2f ms, dot %.2f ms, matmul %.1f GFLOP/s"
          % (np.__version__, res["numpy.chain_ms"], res["numpy.sum_ms"], res["numpy.dot_ms"],
             res["numpy.matmul_gflops"]), file=LOG)


def measure_torch(res, runs):
    try:
        import torch
    except Exception as e:  # ImportError, or a broken install
        print("torch: not installed (%s)" % e.__class__.__name__)
        res["torch.version"] = "not installed"
        return
    res["torch.version"] = torch.__version__
    default_threads = torch.get_num_threads()
    res["torch.default_threads"] = default_threads
    torch.manual_seed(0)
    s = 1.0 / 22.6
    params = []
    for _ in range(3):
        params.append((torch.rand(WIDTH, WIDTH) * 2 - 1).mul_(s).requires_grad_())
        params.append((torch.rand(WIDTH) * 2 - 1).mul_(0.1).requires_grad_())
    x = torch.rand(BATCH, WIDTH) * 2 - 1
    y = torch.rand(BATCH, WIDTH) * 2 - 1
    lr = 0.01

    def step():
        w1, b1, w2, b2, w3, b3 = params
        h = torch.tanh(x @ w1 + b1)
        h = torch.tanh(h @ w2 + b2)
        o = h @ w3 + b3
        loss = ((o - y) ** 2).mean()
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
                p.grad = None
        return loss

    n = max(runs, 15)
    cpus = os.cpu_count() or 1
    for threads in sorted({1, default_threads, cpus}):
        torch.set_num_threads(threads)
        t = median_time(step, n, warmup=3)
        res["torch.mlp_%dt_ms" % threads] = t * 1e3
        print("torch %s: MLP step %.2f ms (%d intra-op threads)" % (torch.__version__, t * 1e3, threads),
              file=LOG)
    torch.set_num_threads(default_threads)
    cfg = torch.__config__.show()
    blas = [f.strip().rstrip(",") for f in cfg.replace(",", " ").split() if f.startswith("BLAS_INFO=")]
    res["torch.blas"] = blas[0] if blas else "BLAS_INFO=?"
    cap = "?"
    try:
        cap = torch.backends.cpu.get_cpu_capability()
    except AttributeError:
        cap = os.environ.get("ATEN_CPU_CAPABILITY", "(default)")
    res["torch.cpu_capability"] = cap
    libs = openblas_info()
    res["torch.openblas"] = ("core %s, threads %s, %s" % (libs[0][1], libs[0][3], libs[0][0])) if libs else "?"


# ---------------------------------------------------------------------------
# The table


def read_results(path):
    d = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split(None, 1)
            if not parts:
                continue
            key, val = parts[0], parts[1] if len(parts) > 1 else ""
            try:
                d[key] = float(val)
            except ValueError:
                d[key] = val
    return d


def num(d, k):
    v = d.get(k)
    return v if isinstance(v, float) and v > 0 else None


def f_ms(v):
    if v is None:
        return "n/a"
    return "%.3g ms" % v if v < 100 else "%.0f ms" % v


def f_us(v):
    return "n/a" if v is None else ("%.3g us" % v if v < 1000 else "%.0f us" % v)


def f_bytes(v):
    if v is None:
        return "n/a"
    for unit, s in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if v >= s:
            return "%.2f %s" % (v / s, unit)
    return "%d B" % v


def ratio_row(rows, case, jet_cell, peer_cell, jet, peer, target=None, cmp=None):
    """A row whose ratio is jet/peer; target e.g. 0.5 with cmp '<=' or '>='."""
    if jet is None or peer is None:
        r, met = None, "n/a"
    else:
        r = jet / peer
        met = "-" if target is None else ("yes" if (r <= target if cmp == "<=" else r >= target) else "NO")
    tcell = "-" if target is None else "%s %.2gx" % (cmp, target)
    rows.append((case, jet_cell, peer_cell, "n/a" if r is None else "%.2fx" % r, tcell, met))


def abs_row(rows, case, jet_cell, value, limit, unit_cell):
    met = "n/a" if value is None else ("yes" if value < limit else "NO")
    rows.append((case, jet_cell, "-", "-", unit_cell, met))


def print_table(rows, header):
    w = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    line = " | ".join(h.ljust(w[i]) for i, h in enumerate(header))
    print(line)
    print("-+-".join("-" * x for x in w))
    for r in rows:
        print(" | ".join(str(c).ljust(w[i]) for i, c in enumerate(r)))


def table(c, p):
    rows = []
    # 1. the elementwise chain
    jc = num(c, "jet.chain_ms")
    ratio_row(rows, "tanh(x*w+b)*0.5+x 16M f32 vs numpy", f_ms(jc),
              "numpy " + f_ms(num(p, "numpy.chain_ms")), jc, num(p, "numpy.chain_ms"), 0.5, "<=")
    triad = num(c, "limits.triad_gbs")
    bw_ms = N16M * 4 * 2 / (triad * 1e9) * 1e3 if triad else None
    comp_ms = num(c, "limits.tanh_floor_ms")
    floor = max(x for x in (bw_ms, comp_ms) if x is not None) if (bw_ms or comp_ms) else None
    which = "compute" if (comp_ms or 0) >= (bw_ms or 0) else "bandwidth"
    ratio_row(rows, "  same vs its floor = max(bw, tanh)", f_ms(jc),
              "floor %s (%s: tanh %s %s, bw %s)" % (f_ms(floor), which, c.get("limits.tanh_floor_variant", "?"),
                                                  f_ms(comp_ms), f_ms(bw_ms)),
              jc, floor, 1.5, "<=")
    # 2. the fused reduction
    js = num(c, "jet.sum_ms")
    rd = num(c, "limits.read_gbs")
    sfloor = N16M * 4 * 2 / (rd * 1e9) * 1e3 if rd else None
    ratio_row(rows, "sum(x*y) 16M f32 vs bandwidth floor", f_ms(js),
              "floor %s (128 MiB / read bw)" % f_ms(sfloor), js, sfloor, 1.3, "<=")
    ratio_row(rows, "  same vs numpy np.sum(x*y)", f_ms(js), "numpy " + f_ms(num(p, "numpy.sum_ms")),
              js, num(p, "numpy.sum_ms"))
    ratio_row(rows, "  same vs numpy np.dot(x,y)", f_ms(js), "numpy " + f_ms(num(p, "numpy.dot_ms")),
              js, num(p, "numpy.dot_ms"))
    # 3. matmul (GFLOP/s: higher is better, ratio jet/peer)
    jg = num(c, "jet.matmul_gflops")
    gf = lambda v: "n/a" if v is None else "%.1f GFLOP/s" % v
    ratio_row(rows, "matmul 2048 f32 vs numpy np.dot", gf(jg), "numpy " + gf(num(p, "numpy.matmul_gflops")),
              jg, num(p, "numpy.matmul_gflops"), 0.95, ">=")
    ratio_row(rows, "  same vs cblas_sgemm 1 thread", gf(jg), "C " + gf(num(c, "limits.sgemm_1t_gflops")),
              jg, num(c, "limits.sgemm_1t_gflops"))
    nt = c.get("limits.sgemm_nt_threads", "?")
    ratio_row(rows, "  same vs cblas_sgemm %s threads" % (int(nt) if isinstance(nt, float) else nt), gf(jg),
              "C " + gf(num(c, "limits.sgemm_nt_gflops")), jg, num(c, "limits.sgemm_nt_gflops"))
    # 4. MLP training step
    jm = num(c, "jet.mlp_ms")
    torch_rows = sorted((k, v) for k, v in p.items() if k.startswith("torch.mlp_") and isinstance(v, float))
    if torch_rows:
        best_k, best = min(torch_rows, key=lambda kv: kv[1])
        ratio_row(rows, "MLP train step vs torch eager (best)", f_ms(jm),
                  "torch %s (%s)" % (f_ms(best), best_k[len("torch.mlp_"):-3].replace("t", " thr")), jm, best, 1.0, "<=")
        for k, v in torch_rows:
            ratio_row(rows, "  same vs torch %s" % k[len("torch.mlp_"):-3].replace("t", " thread(s)"), f_ms(jm),
                      "torch " + f_ms(v), jm, v)
    else:
        rows.append(("MLP train step vs torch eager", f_ms(jm), "torch: %s" % p.get("torch.version", "n/a"),
                     "n/a", "<= 1x", "n/a"))
    ar, im = num(c, "jet.mlp_arena_bytes"), num(c, "jet.mlp_intermediate_bytes")
    rows.append(("  peak working memory vs all intermediates", "arena " + f_bytes(ar),
                 "intermediates " + f_bytes(im), "n/a" if not (ar and im) else "%.2fx" % (ar / im), "-", "-"))
    # 5. compile times
    cold_us = num(c, "compile.cold_server_us")
    cold_log = num(c, "compile.cold_raw_server_log_ms")
    if cold_us:
        cold_srv, cold_cell = cold_us / 1e3, "%s (compile_us)" % f_ms(cold_us / 1e3)
    else:
        cold_srv, cold_cell = cold_log, "%s (log)" % f_ms(cold_log)
    n_nodes = c.get("compile.nodes", 1000)
    n_nodes = int(n_nodes) if isinstance(n_nodes, float) else n_nodes
    abs_row(rows, "compile %s nodes cold, server" % n_nodes, cold_cell, cold_srv, 20.0, "< 20 ms")
    jcc = num(c, "compile.cold_client_ms")
    abs_row(rows, "  same, client round trip", f_ms(jcc), jcc, 20.0, "< 20 ms")
    hit_us = num(c, "compile.hit_server_us")
    hit_log = num(c, "compile.hit_server_log_ms")
    if hit_us:
        hit_srv, hit_cell = hit_us, "%s (compile_us)" % f_us(hit_us)
    else:
        hit_srv, hit_cell = (hit_log * 1e3 if hit_log else None), "%s (log)" % f_us(hit_log * 1e3 if hit_log else None)
    abs_row(rows, "compile cache hit, server", hit_cell, hit_srv, 50.0, "< 50 us")
    jch = num(c, "compile.hit_client_ms")
    rows.append(("  same, client round trip", f_ms(jch), "-", "-", "-", "-"))
    if c.get("jetd.cache_dir_supported") == "yes" and "compile.restart_source" in c:
        src = c.get("compile.restart_source")
        rus = num(c, "compile.restart_server_us")
        srv = ("%s (compile_us)" % f_us(rus)) if rus else ("%s (log)" % f_ms(num(c, "compile.restart_server_log_ms")))
        rows.append(("after jetd restart: 1st compile of seen graph", "source %s, server %s" % (src, srv),
                     "client %s" % f_ms(num(c, "compile.restart_client_ms")), "-", "disk",
                     "yes" if src == "disk" else "NO"))
    else:
        why = c.get("compile.restart.error", "jetd has no cache-dir" if c.get("jetd.cache_dir_supported") == "no"
                    else "not run")
        rows.append(("after jetd restart: 1st compile of seen graph", "n/a (%s)" % str(why)[:60], "-", "-",
                     "disk", "n/a"))
    # 6. tiny executable vs empty RPC
    te, th = num(c, "tiny.exec_us"), num(c, "tiny.health_us")
    ratio_row(rows, "tiny Execute (add f32[4] inline) vs health Check", f_us(te), "Check " + f_us(th),
              te, th, 2.0, "<=")
    ratio_row(rows, "  same vs GetStats", f_us(te), "GetStats " + f_us(num(c, "tiny.stats_us")), te,
              num(c, "tiny.stats_us"))
    rows.append(("empty graph Execute (handle in, kept out)", f_ms(num(c, "jet.empty_ms")), "-", "-", "-", "-"))
    print_table(rows, ("case", "jet", "peer/floor", "ratio", "target", "met?"))

    # server-side times
    print()
    print("Server-side times from jetd's debug log (call start to status; medians of the same runs):")
    srows = []
    for key, name in (("jet.empty", "empty graph Execute"), ("jet.chain", "chain 16M"), ("jet.sum", "sum(x*y) 16M"),
                      ("jet.matmul", "matmul 2048"), ("jet.mlp", "MLP train step")):
        cl, sv = num(c, key + "_ms"), num(c, key + "_server_ms")
        srows.append((name, f_ms(cl), f_ms(sv), f_ms(cl - sv) if cl and sv else "n/a"))
    for key, name in (("exec", "tiny Execute"), ("health", "health Check"), ("stats", "GetStats")):
        cl, sv = num(c, "tiny.%s_us" % key), num(c, "tiny.%s_server_us" % key)
        srows.append((name, f_us(cl), f_us(sv), f_us(cl - sv) if cl and sv else "n/a"))
    print_table(srows, ("case", "client round trip", "server", "transport + client"))
    errs = [(k, v) for k, v in c.items() if k.endswith(".error")]
    if errs:
        print()
        for k, v in errs:
            print("FAILED %s: %s" % (k[:-6], v))

    # environment
    print()
    print("Environment (the same for jetd, the C bench and the peers): OPENBLAS_CORETYPE=%s, OPENBLAS_NUM_THREADS=%s, "
          "%s cpus, CPU ISA %s" % (c.get("env.OPENBLAS_CORETYPE", "?"), c.get("env.OPENBLAS_NUM_THREADS", "?"),
                                    int(c["machine.cpus"]) if "machine.cpus" in c else "?", c.get("machine.isa", "?")))
    fmt_t = lambda v: int(v) if isinstance(v, float) else v
    print("OpenBLAS, C bench: core %s, max threads %s, %s" % (c.get("c.openblas_core", "?"),
                                                            fmt_t(c.get("c.openblas_threads", "?")),
                                                            c.get("c.openblas_lib", "?")))
    print("OpenBLAS, numpy %s: core %s, threads %s, %s" % (p.get("numpy.version", "?"), p.get("numpy.openblas_core", "?"),
                                                      p.get("numpy.openblas_threads", "?"),
                                                      p.get("numpy.openblas_lib", "?")))
    if "torch.default_threads" in p:
        print("OpenBLAS, torch %s: %s (%s); default intra-op threads %s, CPU capability %s"
              % (p.get("torch.version"), p.get("torch.openblas", "?"), p.get("torch.blas", "?"),
                 p.get("torch.default_threads"), p.get("torch.cpu_capability", "?")))
    else:
        print("torch: %s" % p.get("torch.version", "not installed"))
    jl = c.get("jetd.openblas_lib", "?")
    same = jl == c.get("c.openblas_lib")
    if c.get("jetd.blas_core"):
        print("OpenBLAS, jetd: core %s (GetStats), %s; jetd had %s threads in all"
              % (c.get("jetd.blas_core"), jl, fmt_t(c.get("jetd.threads", "?"))))
    else:
        print("OpenBLAS, jetd: not reported by jetd; it maps %s%s and runs with the environment above%s; "
              "jetd had %s threads in all" % (jl, " (the C bench's library)" if same else "",
                                              " -> core %s" % c.get("c.openblas_core", "?") if same else "",
                                              fmt_t(c.get("jetd.threads", "?"))))
    print("jetd fused kernels: %s; jetd version %s"
          % (c.get("jetd.kernel_isa") or c.get("jetd.tile_isa", "not reported"), c.get("jetd.version", "?")))
    print("Limits (this run): triad %s GB/s, read-only dot %s GB/s (%s threads, %s MiB arrays, best of 10); "
          "tanh floor %s = SLEEF %s on all cores (best of 10)"
          % (fmt_num(c.get("limits.triad_gbs")), fmt_num(c.get("limits.read_gbs")), fmt_t(c.get("limits.threads", "?")),
             fmt_t(c.get("limits.stream_array_mib", "?")), f_ms(num(c, "limits.tanh_floor_ms")),
             c.get("limits.tanh_floor_variant", "?")))
    chk = ", ".join("%s %s" % (k[6:], fmt_num(c[k])) for k in
                    ("check.chain_max_abs_err", "check.sum_rel_err", "check.matmul_max_abs_err", "check.mlp_loss")
                    if k in c)
    if chk:
        print("Checks of jet's results: " + chk)


def fmt_num(v):
    return "%.3g" % v if isinstance(v, float) else str(v if v is not None else "n/a")


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--c-results", help="bench_compiler's results (key value lines)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("-v", action="store_true", help="progress lines on stderr")
    a = ap.parse_args()
    global LOG
    if a.v:
        LOG = sys.stderr
    res = {}
    measure_numpy(res, max(a.runs, 3))
    measure_torch(res, max(a.runs, 3))
    if not a.c_results:
        for k in sorted(res):
            print(k, res[k])
        return 0
    c = read_results(a.c_results)
    table(c, res)
    return 0


if __name__ == "__main__":
    sys.exit(main())
