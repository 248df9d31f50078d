/* Benchmark (not a test): vmapped matrix-vector products through libjet
 * against one Execute per example.
 *
 *   matvec(W: f32[256,256], x: f32[256]) = W @ x : f32[256]
 *   batched:  vmap(matvec, in_axes=(None, 0), axis_size=4096) on
 *             xs: f32[4096,256] -> f32[4096,256], ONE Execute
 *   looped:   4096 Executes of matvec (the same executable), one per row
 *
 * Both sides keep their arguments on the server (W, xs and the 4096 rows
 * are uploaded once with PutArray before timing and passed as handles) and
 * receive their outputs inline, so the timings cover Execute round trips,
 * the daemon's work and the transfer of the results. The batched result is
 * checked against the looped results row by row.
 *
 * The daemon: with --address HOST:PORT the bench uses a running jetd;
 * otherwise it starts its own (the jetd of this build tree, through the
 * integration tests' harness; its log goes to integration-logs/ next to
 * this binary) and stops it at the end.
 *
 * Usage: bench_vmap_matvec [--address HOST:PORT] [--runs N] (default 5:
 * median of N batched Executes and of N/2+1 loops after a warm-up). */
#include <math.h>
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

#define BATCH 4096
#define DIM 256

typedef struct bench {
  jet_client *c;
  jet_executable *one, *batched;
  jet_array *w, *xs, **rows;
  float *looped;    /* [BATCH * DIM] results of the loop */
  float *batch_out; /* [BATCH * DIM] result of the batched Execute */
} bench;

static jet_status run_batched(bench *b) {
  jet_arg args[2] = {jet_arg_of_array(b->w), jet_arg_of_array(b->xs)};
  jet_result r;
  memset(&r, 0, sizeof r);
  JET_RETURN_IF_ERROR(jet_execute(b->batched, args, 2, &r, 1));
  jet_status st = NULL;
  if (r.nbytes != (size_t)BATCH * DIM * sizeof(float))
    st = jet_status_make(JET_INTERNAL, "batched output has %zu bytes", r.nbytes);
  else
    memcpy(b->batch_out, r.data, r.nbytes);
  jet_result_clear(&r);
  return st;
}

static jet_status run_loop(bench *b) {
  for (int i = 0; i < BATCH; i++) {
    jet_arg args[2] = {jet_arg_of_array(b->w), jet_arg_of_array(b->rows[i])};
    jet_result r;
    memset(&r, 0, sizeof r);
    JET_RETURN_IF_ERROR(jet_execute(b->one, args, 2, &r, 1));
    jet_status st = NULL;
    if (r.nbytes != DIM * sizeof(float))
      st = jet_status_make(JET_INTERNAL, "output %d has %zu bytes", i, r.nbytes);
    else
      memcpy(b->looped + (size_t)i * DIM, r.data, r.nbytes);
    jet_result_clear(&r);
    JET_RETURN_IF_ERROR(st);
  }
  return NULL;
}

static jet_status setup(bench *b, const float *w, const float *xs) {
  int64_t dwd[2] = {DIM, DIM}, dxs[2] = {BATCH, DIM}, dx = DIM;
  jet_type tw = jet_type_make(JET_F32, 2, dwd), txs = jet_type_make(JET_F32, 2, dxs);
  jet_type tx = jet_type_make(JET_F32, 1, &dx);
  jet_builder *mb = jet_builder_create("matvec");
  if (!mb) return jet_status_oom("builder");
  jet_value pw = jet_builder_param(mb, &tw);
  jet_value px = jet_builder_param(mb, &tx);
  const int64_t c1[1] = {1}, c0[1] = {0};
  jet_value y = jet_dot_general(mb, pw, px, c1, 1, c0, 1, NULL, 0, NULL, 0);
  jet_status st = jet_builder_return(mb, &y, 1);
  const jet_axis_spec in[2] = {JET_AXIS_NONE, JET_AXIS(0)};
  jet_transform vm = jet_tf_vmap(in, 2, NULL, 0, BATCH, NULL);
  if (!st) st = jet_compile(b->c, mb, NULL, 0, &b->one);
  if (!st) st = jet_compile(b->c, mb, &vm, 1, &b->batched);
  jet_builder_destroy(mb);
  if (!st) st = jet_array_put(b->c, &tw, w, &b->w);
  if (!st) st = jet_array_put(b->c, &txs, xs, &b->xs);
  for (int i = 0; !st && i < BATCH; i++)
    st = jet_array_put(b->c, &tx, xs + (size_t)i * DIM, &b->rows[i]);
  return st;
}

int main(int argc, char **argv) {
  const char *address = NULL;
  int runs = 5;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--address") == 0 && i + 1 < argc) {
      address = argv[++i];
    } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = atoi(argv[++i]);
    } else {
      fprintf(stderr, "usage: bench_vmap_matvec [--address HOST:PORT] [--runs N]\n");
      return 2;
    }
  }
  if (runs < 1) runs = 5;
  int loops = runs / 2 + 1;

  jet_test_daemon *d = NULL;
  if (!address) {
    if (jet_test_daemon_start(NULL, &d) != 0) {
      fprintf(stderr, "bench_vmap_matvec: could not start jetd (%s)\n", JETD_PATH);
      return 1;
    }
    address = jet_test_daemon_address(d);
  }
  bench b;
  memset(&b, 0, sizeof b);
  float *w = malloc((size_t)DIM * DIM * sizeof *w);
  float *xs = malloc((size_t)BATCH * DIM * sizeof *xs);
  b.rows = calloc(BATCH, sizeof *b.rows);
  b.looped = malloc((size_t)BATCH * DIM * sizeof *b.looped);
  b.batch_out = malloc((size_t)BATCH * DIM * sizeof *b.batch_out);
  double *tb = calloc((size_t)runs, sizeof *tb), *tl = calloc((size_t)loops, sizeof *tl);
  jet_status st = NULL;
  if (!w || !xs || !b.rows || !b.looped || !b.batch_out || !tb || !tl)
    st = jet_status_oom("bench buffers");
  uint64_t s = 42;
  for (size_t k = 0; !st && k < (size_t)DIM * DIM + (size_t)BATCH * DIM; k++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    float v = (float)(s >> 40) / (float)(1u << 24) * 2.0f - 1.0f;
    if (k < (size_t)DIM * DIM)
      w[k] = v / 16.0f;
    else
      xs[k - (size_t)DIM * DIM] = v;
  }
  jet_client_options o = {0};
  o.address = address;
  o.client_name = "bench_vmap_matvec";
  if (!st) st = jet_client_open(&o, &b.c);
  const char *what = "setting up";
  if (!st) st = setup(&b, w, xs);
  /* warm-up: one of each */
  if (!st) st = run_batched(&b);
  if (!st) st = run_loop(&b);
  what = "timing";
  for (int i = 0; !st && i < runs; i++) {
    double t0 = bench_now_s();
    st = run_batched(&b);
    tb[i] = bench_now_s() - t0;
  }
  for (int i = 0; !st && i < loops; i++) {
    double t0 = bench_now_s();
    st = run_loop(&b);
    tl[i] = bench_now_s() - t0;
  }
  double maxdiff = 0;
  for (size_t k = 0; !st && k < (size_t)BATCH * DIM; k++) {
    double dd = fabs((double)b.looped[k] - (double)b.batch_out[k]);
    if (dd > maxdiff) maxdiff = dd;
  }
  int rc = 0;
  if (st) {
    rc = bench_fail("bench_vmap_matvec", st, what);
  } else {
    double mb = bench_median(tb, runs), ml = bench_median(tl, loops);
    printf("matvec W[%d,%d] @ x[%d] over %d examples, float32, via libjet against %s\n", DIM, DIM,
           DIM, BATCH, address);
    printf("(arguments kept on the server as handles, outputs returned inline)\n");
    printf("vmapped, 1 Execute     (median of %d): %10.3f ms\n", runs, mb * 1e3);
    printf("%d separate Executes (median of %d): %10.3f ms (%.1f us each)\n", BATCH, loops,
           ml * 1e3, ml * 1e6 / BATCH);
    printf("separate / vmapped: %.1fx (the issue expects 50x or more) -> %s\n", ml / mb,
           ml / mb >= 50 ? "as expected" : "BELOW the expectation");
    printf("largest |difference| between the two results: %.3g\n", maxdiff);
    if (maxdiff > 1e-3) {
      fprintf(stderr, "bench_vmap_matvec: the batched result differs from the loop's\n");
      rc = 1;
    }
  }
  for (int i = 0; b.rows && i < BATCH; i++) jet_status_free(jet_array_free(b.rows[i]));
  jet_status_free(jet_array_free(b.xs));
  jet_status_free(jet_array_free(b.w));
  jet_client_close(b.c);
  if (d && jet_test_daemon_stop(d) != 0 && rc == 0) rc = 1;
  free(w);
  free(xs);
  free(b.rows);
  free(b.looped);
  free(b.batch_out);
  free(tb);
  free(tl);
  return rc;
}
