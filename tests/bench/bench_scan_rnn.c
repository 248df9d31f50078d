/* Benchmark (not a test): an RNN over 1,000 steps as ONE Execute of a scan
 * against the same 1,000 steps as 1,000 Executes of the cell (issue 7).
 *
 *   cell(W: f32[64,64], U: f32[64,32], b: f32[64], h: f32[64], x: f32[32])
 *       = tanh(W h + U x + b) : f32[64]
 *   scan:  h_T = scan(cell, h0, xs: f32[1000,32]) (W, U, b loop constants),
 *          ONE Execute
 *   loop:  1,000 Executes of the compiled cell (the same executable), the
 *          carry h kept on the server between steps: each step's output is
 *          a handle (keep_on_server) passed to the next step as a donated
 *          argument (so no DeleteArray round trips); only the last step's
 *          h comes back inline.
 *
 * W, U, b, h0, xs and the 1,000 rows x_t are uploaded once with PutArray
 * before timing and passed as handles on both sides; both return the final
 * h inline. The two final h are compared with each other and with a C loop
 * in double precision.
 *
 * The daemon: with --address HOST:PORT the bench uses a running jetd
 * (tests/bench/run_scan_bench.sh starts one); otherwise it starts its own
 * (the jetd of this build tree, through the integration tests' harness).
 *
 * Usage: bench_scan_rnn [--address HOST:PORT] [--runs N] (default 5: the
 * median of N scans and of N loops after a warm-up of each). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"
#include "jet/jet.h"
#include "bench_util.h"

#ifndef JETD_PATH
#define JETD_PATH "jetd"
#endif

#define STEPS 1000
#define HID 64
#define INP 32

typedef struct bench {
  jet_client *c;
  jet_executable *cell, *scan;
  jet_array *w, *u, *b, *h0, *xs, **rows;
  float h_scan[HID], h_loop[HID];
} bench;

/* (W, U, b, h, x) -> tanh(W h + U x + b), the scan body and the step. */
static jet_builder *cell_graph(void) {
  jet_builder *c = jet_builder_create("rnn_cell");
  if (!c) return NULL;
  jet_type tw = jet_type_make(JET_F32, 2, (int64_t[]){HID, HID});
  jet_type tu = jet_type_make(JET_F32, 2, (int64_t[]){HID, INP});
  jet_type th = jet_type_make(JET_F32, 1, (int64_t[]){HID});
  jet_type tx = jet_type_make(JET_F32, 1, (int64_t[]){INP});
  jet_value w = jet_builder_param(c, &tw), u = jet_builder_param(c, &tu);
  jet_value b = jet_builder_param(c, &th), h = jet_builder_param(c, &th);
  jet_value x = jet_builder_param(c, &tx);
  const int64_t one[1] = {1}, zero[1] = {0};
  jet_value wh = jet_dot_general(c, w, h, one, 1, zero, 1, NULL, 0, NULL, 0);
  jet_value ux = jet_dot_general(c, u, x, one, 1, zero, 1, NULL, 0, NULL, 0);
  jet_value hn = jet_tanh(c, jet_add(c, jet_add(c, wh, ux), b));
  jet_status_free(jet_builder_return(c, &hn, 1)); /* errors stay in the builder */
  return c;
}

static jet_status setup(bench *bb, const float *w, const float *u, const float *b,
                        const float *h0, const float *xs) {
  jet_type tw = jet_type_make(JET_F32, 2, (int64_t[]){HID, HID});
  jet_type tu = jet_type_make(JET_F32, 2, (int64_t[]){HID, INP});
  jet_type th = jet_type_make(JET_F32, 1, (int64_t[]){HID});
  jet_type tx = jet_type_make(JET_F32, 1, (int64_t[]){INP});
  jet_type txs = jet_type_make(JET_F32, 2, (int64_t[]){STEPS, INP});
  jet_builder *cell = cell_graph(), *sb = jet_builder_create("rnn_scan");
  if (!cell || !sb) {
    jet_builder_destroy(cell);
    jet_builder_destroy(sb);
    return jet_status_oom("builders");
  }
  jet_value consts[3] = {jet_builder_param(sb, &tw), jet_builder_param(sb, &tu),
                         jet_builder_param(sb, &th)};
  jet_value h0v = jet_builder_param(sb, &th), xsv = jet_builder_param(sb, &txs);
  jet_value hT = jet_scan(sb, cell, consts, 3, &h0v, 1, &xsv, 1, STEPS, false, NULL, 0);
  jet_status st = jet_builder_return(sb, &hT, 1);
  if (!st) st = jet_compile(bb->c, cell, NULL, 0, &bb->cell);
  if (!st) st = jet_compile(bb->c, sb, NULL, 0, &bb->scan);
  jet_builder_destroy(cell);
  jet_builder_destroy(sb);
  if (!st) st = jet_array_put(bb->c, &tw, w, &bb->w);
  if (!st) st = jet_array_put(bb->c, &tu, u, &bb->u);
  if (!st) st = jet_array_put(bb->c, &th, b, &bb->b);
  if (!st) st = jet_array_put(bb->c, &th, h0, &bb->h0);
  if (!st) st = jet_array_put(bb->c, &txs, xs, &bb->xs);
  for (int t = 0; !st && t < STEPS; t++)
    st = jet_array_put(bb->c, &tx, xs + (size_t)t * INP, &bb->rows[t]);
  return st;
}

static jet_status copy_h(const jet_result *r, float *dst) {
  if (r->nbytes != sizeof(float) * HID)
    return jet_status_make(JET_INTERNAL, "final h has %zu bytes", r->nbytes);
  memcpy(dst, r->data, r->nbytes);
  return NULL;
}

static jet_status run_scan(bench *bb) {
  jet_arg args[5] = {jet_arg_of_array(bb->w), jet_arg_of_array(bb->u), jet_arg_of_array(bb->b),
                     jet_arg_of_array(bb->h0), jet_arg_of_array(bb->xs)};
  jet_result r;
  memset(&r, 0, sizeof r);
  JET_RETURN_IF_ERROR(jet_execute(bb->scan, args, 5, &r, 1));
  jet_status st = copy_h(&r, bb->h_scan);
  jet_result_clear(&r);
  return st;
}

static jet_status run_loop(bench *bb) {
  jet_array *h = NULL; /* the carry after step t, on the server */
  jet_status st = NULL;
  for (int t = 0; !st && t < STEPS; t++) {
    const bool last = t == STEPS - 1;
    jet_arg args[5] = {jet_arg_of_array(bb->w), jet_arg_of_array(bb->u), jet_arg_of_array(bb->b),
                       t == 0 ? jet_arg_of_array(bb->h0) : jet_arg_donated(h),
                       jet_arg_of_array(bb->rows[t])};
    jet_result r;
    memset(&r, 0, sizeof r);
    r.keep_on_server = !last;
    st = jet_execute(bb->cell, args, 5, &r, 1);
    if (!st && t > 0) {
      jet_array_release(h); /* consumed by the server (donated) */
      h = NULL;
    }
    if (!st && !last) h = r.array;
    if (!st && last) st = copy_h(&r, bb->h_loop);
    jet_result_clear(&r);
  }
  if (h) jet_status_free(jet_array_free(h));
  return st;
}

/* The same RNN in C, double precision. */
static void reference(const float *w, const float *u, const float *b, const float *h0,
                      const float *xs, double *h) {
  double hn[HID];
  for (int i = 0; i < HID; i++) h[i] = h0[i];
  for (int t = 0; t < STEPS; t++) {
    for (int i = 0; i < HID; i++) {
      double s = b[i];
      for (int j = 0; j < HID; j++) s += (double)w[i * HID + j] * h[j];
      for (int j = 0; j < INP; j++) s += (double)u[i * INP + j] * xs[t * INP + j];
      hn[i] = tanh(s);
    }
    memcpy(h, hn, sizeof hn);
  }
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
      fprintf(stderr, "usage: bench_scan_rnn [--address HOST:PORT] [--runs N]\n");
      return 2;
    }
  }
  if (runs < 1) runs = 5;
  jet_test_daemon *d = NULL;
  if (!address) {
    if (jet_test_daemon_start(NULL, &d) != 0) {
      fprintf(stderr, "bench_scan_rnn: could not start jetd (%s)\n", JETD_PATH);
      return 1;
    }
    address = jet_test_daemon_address(d);
  }
  bench bb;
  memset(&bb, 0, sizeof bb);
  const size_t nw = HID * HID, nu = HID * INP, nxs = (size_t)STEPS * INP;
  float *buf = malloc(sizeof(float) * (nw + nu + 2 * HID + nxs));
  bb.rows = calloc(STEPS, sizeof *bb.rows);
  double *ts = calloc((size_t)runs, sizeof *ts), *tl = calloc((size_t)runs, sizeof *tl);
  jet_status st = buf && bb.rows && ts && tl ? NULL : jet_status_oom("bench buffers");
  float *w = buf, *u = w + nw, *b = u + nu, *h0 = b + HID, *xs = h0 + HID;
  uint64_t s = 7;
  for (size_t k = 0; !st && k < nw + nu + 2 * HID + nxs; k++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    float v = (float)(s >> 40) / (float)(1u << 24) * 2.0f - 1.0f;
    buf[k] = k < nw ? v * 1.2f / 8.0f : k < nw + nu ? v / 5.66f : k < nw + nu + HID ? v * 0.1f : v;
  }
  jet_client_options o = {0};
  o.address = address;
  o.client_name = "bench_scan_rnn";
  if (!st) st = jet_client_open(&o, &bb.c);
  const char *what = "setting up";
  if (!st) st = setup(&bb, w, u, b, h0, xs);
  if (!st) st = run_scan(&bb); /* warm-up */
  if (!st) st = run_loop(&bb);
  what = "timing";
  for (int i = 0; !st && i < runs; i++) { /* alternate, so both see the same load */
    double t0 = bench_now_s();
    st = run_scan(&bb);
    ts[i] = bench_now_s() - t0;
    if (st) break;
    t0 = bench_now_s();
    st = run_loop(&bb);
    tl[i] = bench_now_s() - t0;
  }
  int rc = 0;
  if (st) {
    rc = bench_fail("bench_scan_rnn", st, what);
  } else {
    double ref[HID], d_sl = 0, d_ref = 0;
    reference(w, u, b, h0, xs, ref);
    for (int i = 0; i < HID; i++) {
      d_sl = fmax(d_sl, fabs((double)bb.h_scan[i] - (double)bb.h_loop[i]));
      d_ref = fmax(d_ref, fmax(fabs(bb.h_scan[i] - ref[i]), fabs(bb.h_loop[i] - ref[i])));
    }
    double ms = bench_median(ts, runs), ml = bench_median(tl, runs);
    printf("RNN cell h = tanh(W h + U x_t + b), hidden %d, input %d, float32, %d steps,\n", HID,
           INP, STEPS);
    printf("via libjet against %s (inputs on the server as handles, final h inline)\n", address);
    printf("scan, 1 Execute            (median of %d): %10.3f ms (%.2f us per step)\n", runs,
           ms * 1e3, ms * 1e6 / STEPS);
    printf("%d separate Executes (median of %d): %10.3f ms (%.2f us per step)\n", STEPS, runs,
           ml * 1e3, ml * 1e6 / STEPS);
    printf("separate / scan: %.1fx\n", ml / ms);
    printf("final h: max |scan - separate| = %.3g, max |jet - C double loop| = %.3g\n", d_sl,
           d_ref);
    if (d_sl > 1e-5 || d_ref > 1e-4) {
      fprintf(stderr, "bench_scan_rnn: the final h differ (limits 1e-5 and 1e-4)\n");
      rc = 1;
    }
  }
  if (bb.rows) jet_status_free(jet_arrays_free(bb.rows, STEPS));
  jet_array *fixed[5] = {bb.w, bb.u, bb.b, bb.h0, bb.xs};
  for (int k = 0; k < 5; k++) jet_status_free(jet_array_free(fixed[k]));
  jet_client_close(bb.c);
  if (d && jet_test_daemon_stop(d) != 0 && rc == 0) rc = 1;
  free(buf);
  free(bb.rows);
  free(ts);
  free(tl);
  return rc;
}
