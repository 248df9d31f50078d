/* Benchmark (not a test): the per-op cost of an eager call from C through
 * libjet, the C side of tests/bench/bench_python.py's comparison.
 *
 * add(x, y) on x, y: f32[4] kept on the server as handles, with
 * jet_eager_binary (one-op executable cached by the client and the server,
 * Execute with handles, the result left on the server). Results are kept
 * during a timed batch and deleted after it, so the timing covers the eager
 * call only. A warm-up batch fills the caches. Prints one line per figure:
 *
 *   eager_add_f32x4_us median=M min=N ops=OPS runs=R
 *
 * where M and N are microseconds per op over R batches of OPS calls.
 *
 * With --address HOST:PORT it uses a running jetd; otherwise it starts one
 * (the jetd of this build tree, through the integration tests' harness).
 *
 * Usage: bench_eager_c [--address HOST:PORT] [--ops N] [--runs R] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon_harness.h"
#include "jet/jet.h"
#include "bench_util.h"

#ifndef JETD_PATH
#define JETD_PATH "jetd"
#endif

/* ops eager adds into outs[0..ops), then frees them; *secs = time of the adds. */
static jet_status batch(jet_client *c, jet_array *x, jet_array *y, jet_array **outs, int ops,
                        double *secs) {
  jet_status st = NULL;
  int done = 0;
  double t0 = bench_now_s();
  for (; done < ops && !st; done++) st = jet_eager_binary(c, JET_OP_ADD, x, y, &outs[done]);
  *secs = bench_now_s() - t0;
  if (st) done--;
  for (int i = 0; i < done; i++) {
    jet_status fs = jet_array_free(outs[i]);
    outs[i] = NULL;
    if (!st)
      st = fs;
    else
      jet_status_free(fs);
  }
  return st;
}

int main(int argc, char **argv) {
  const char *address = NULL;
  int ops = 2000, runs = 7;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--address") == 0 && i + 1 < argc) {
      address = argv[++i];
    } else if (strcmp(argv[i], "--ops") == 0 && i + 1 < argc) {
      ops = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: bench_eager_c [--address HOST:PORT] [--ops N] [--runs R]\n");
      return 2;
    }
  }
  if (ops < 1) ops = 2000;
  if (runs < 1) runs = 7;

  jet_test_daemon *d = NULL;
  if (!address) {
    if (jet_test_daemon_start(NULL, &d) != 0) {
      fprintf(stderr, "bench_eager_c: could not start jetd (%s)\n", JETD_PATH);
      return 1;
    }
    address = jet_test_daemon_address(d);
  }
  jet_array **outs = calloc((size_t)ops, sizeof *outs);
  double *t = calloc((size_t)runs, sizeof *t);
  jet_client *c = NULL;
  jet_array *x = NULL, *y = NULL;
  jet_status st = NULL;
  if (!outs || !t) st = jet_status_oom("bench buffers");
  if (!st) st = jet_client_connect(address, &c);
  float xv[4] = {1, 2, 3, 4}, yv[4] = {0.5f, -1, 2, 8};
  jet_type ty = jet_type_make(JET_F32, 1, (int64_t[]){4});
  if (!st) st = jet_array_put(c, &ty, xv, &x);
  if (!st) st = jet_array_put(c, &ty, yv, &y);
  double warm;
  if (!st) st = batch(c, x, y, outs, ops < 200 ? ops : 200, &warm);
  for (int r = 0; !st && r < runs; r++) st = batch(c, x, y, outs, ops, &t[r]);
  int rc = 0;
  if (st) {
    rc = bench_fail("bench_eager_c", st, "running");
  } else {
    double med = bench_median(t, runs); /* sorts t: t[0] is the minimum */
    printf("eager_add_f32x4_us median=%.3f min=%.3f ops=%d runs=%d\n", med / ops * 1e6,
           t[0] / ops * 1e6, ops, runs);
  }
  jet_status fs = jet_array_free(x);
  jet_status_free(fs);
  fs = jet_array_free(y);
  jet_status_free(fs);
  if (c) jet_client_close(c);
  free(outs);
  free(t);
  if (d && jet_test_daemon_stop(d) != 0 && rc == 0) rc = 1;
  return rc;
}
