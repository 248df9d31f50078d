/* Shared by the loop integration tests (test_e2e_loops.c and
 * test_e2e_loops_transforms.c): running a builder on inline arguments, and
 * the RNN h = tanh(W h + U x_t + b) as a libjet scan and as a plain C loop
 * in double precision (the reference). Include after <cmocka.h>. */
#ifndef JET_TEST_LOOPS_COMMON_H
#define JET_TEST_LOOPS_COMMON_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"
#include "jet/jet.h"

#define LOOPS_MAX_OUT 8

/* jet_test_fixture_setup with a 60 s deadline on every RPC, so a loop that
 * never ends fails its test (DEADLINE_EXCEEDED) instead of hanging it. */
static inline int loops_setup(void **state) {
  int rc = jet_test_fixture_setup(state);
  if (rc == 0) jet_client_set_timeout_ms(((jet_test_fixture *)*state)->client, 60000);
  return rc;
}

/* Compiles b under tf[0..n_tf) and runs it on args with every output
 * inline; r gets jet_executable_num_outputs results (<= LOOPS_MAX_OUT),
 * which the caller clears with jet_results_clear. Returns the count. */
static inline size_t loops_run(jet_client *c, jet_builder *b, const jet_transform *tf, size_t n_tf,
                               const jet_arg *args, size_t n_args, jet_result *r) {
  jet_executable *e;
  JET_TEST_OK(jet_compile(c, b, tf, n_tf, &e));
  size_t n = jet_executable_num_outputs(e);
  assert_true(n >= 1 && n <= LOOPS_MAX_OUT);
  memset(r, 0, n * sizeof *r);
  JET_TEST_OK(jet_execute_inline(e, args, n_args, r, n));
  return n;
}

/* Sizes of the test RNN. */
typedef struct rnn_dims {
  int H, I, T;
} rnn_dims;

/* The cell as a scan body: (W, U, b, h, x) -> (h', h') with
 * h' = tanh(W h + U x + b). */
static inline jet_builder *rnn_cell(jet_dtype dt, rnn_dims d) {
  jet_builder *c = jet_builder_create("cell");
  assert_non_null(c);
  jet_type tw = jet_type_make(dt, 2, (int64_t[]){d.H, d.H});
  jet_type tu = jet_type_make(dt, 2, (int64_t[]){d.H, d.I});
  jet_type th = jet_type_make(dt, 1, (int64_t[]){d.H});
  jet_type tx = jet_type_make(dt, 1, (int64_t[]){d.I});
  jet_value w = jet_builder_param(c, &tw), u = jet_builder_param(c, &tu);
  jet_value bias = jet_builder_param(c, &th), h = jet_builder_param(c, &th);
  jet_value x = jet_builder_param(c, &tx);
  const int64_t one[1] = {1}, zero[1] = {0};
  jet_value wh = jet_dot_general(c, w, h, one, 1, zero, 1, NULL, 0, NULL, 0);
  jet_value ux = jet_dot_general(c, u, x, one, 1, zero, 1, NULL, 0, NULL, 0);
  jet_value hn = jet_tanh(c, jet_add(c, jet_add(c, wh, ux), bias));
  jet_value outs[2] = {hn, hn};
  JET_TEST_OK(jet_builder_return(c, outs, 2));
  return c;
}

/* rnn(W, U, b, h0, xs) -> (h_T, hs) through one scan; with `loss` it
 * returns instead the scalar sum(h_T * h_T) + 0.1 * sum(hs). */
static inline jet_builder *rnn_graph(jet_dtype dt, rnn_dims d, bool loss) {
  jet_builder *cell = rnn_cell(dt, d);
  jet_builder *b = jet_builder_create(loss ? "rnn_loss" : "rnn");
  assert_non_null(b);
  jet_type tw = jet_type_make(dt, 2, (int64_t[]){d.H, d.H});
  jet_type tu = jet_type_make(dt, 2, (int64_t[]){d.H, d.I});
  jet_type th = jet_type_make(dt, 1, (int64_t[]){d.H});
  jet_type txs = jet_type_make(dt, 2, (int64_t[]){d.T, d.I});
  jet_value consts[3] = {jet_builder_param(b, &tw), jet_builder_param(b, &tu),
                         jet_builder_param(b, &th)};
  jet_value h0 = jet_builder_param(b, &th), xs = jet_builder_param(b, &txs);
  jet_value res[2] = {JET_NO_VALUE, JET_NO_VALUE};
  jet_value first = jet_scan(b, cell, consts, 3, &h0, 1, &xs, 1, d.T, false, res, 2);
  jet_builder_destroy(cell);
  assert_int_equal(first, res[0]);
  if (!loss) {
    JET_TEST_OK(jet_builder_return(b, res, 2));
    return b;
  }
  const int64_t a0[1] = {0}, a01[2] = {0, 1};
  jet_value sq = jet_reduce_sum(b, jet_mul(b, res[0], res[0]), a0, 1);
  jet_type ts = jet_type_scalar(dt);
  const float c32 = 0.1f;
  const double c64 = 0.1;
  jet_value c = jet_constant(b, &ts, dt == JET_F64 ? (const void *)&c64 : (const void *)&c32);
  jet_value l = jet_add(b, sq, jet_mul(b, c, jet_reduce_sum(b, res[1], a01, 2)));
  JET_TEST_OK(jet_builder_return(b, &l, 1));
  return b;
}

/* The reference: h_T into hT[H], every h_t into hs[T*H] (may be NULL);
 * returns sum(h_T^2) + 0.1 * sum(hs). */
static inline double rnn_ref(rnn_dims d, const double *w, const double *u, const double *bias,
                             const double *h0, const double *xs, double *hT, double *hs) {
  double *h = malloc(sizeof(double) * (size_t)d.H * 2);
  assert_non_null(h);
  double *hn = h + d.H, total = 0;
  memcpy(h, h0, sizeof(double) * (size_t)d.H);
  for (int t = 0; t < d.T; t++) {
    for (int i = 0; i < d.H; i++) {
      double s = bias[i];
      for (int j = 0; j < d.H; j++) s += w[i * d.H + j] * h[j];
      for (int j = 0; j < d.I; j++) s += u[i * d.I + j] * xs[t * d.I + j];
      hn[i] = tanh(s);
      total += hn[i];
      if (hs) hs[t * d.H + i] = hn[i];
    }
    memcpy(h, hn, sizeof(double) * (size_t)d.H);
  }
  double loss = 0.1 * total;
  for (int i = 0; i < d.H; i++) loss += h[i] * h[i];
  if (hT) memcpy(hT, h, sizeof(double) * (size_t)d.H);
  free(h);
  return loss;
}

/* Deterministic pseudo-random values in [-scale, scale), rounded to float
 * so the f32 and f64 tests share one reference. */
static inline void loops_fill(double *x, size_t n, unsigned seed, double scale) {
  unsigned s = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = (double)(float)(scale * (2.0 * ((s >> 8) / 16777216.0) - 1.0));
  }
}

/* The RNN's parameters in double (one allocation: free(p->w)). */
typedef struct rnn_params {
  double *w, *u, *b, *h0, *xs;
} rnn_params;

static inline rnn_params rnn_params_make(rnn_dims d, unsigned seed) {
  const size_t n = (size_t)d.H * d.H + (size_t)d.H * d.I + 2u * d.H + (size_t)d.T * d.I;
  double *all = malloc(n * sizeof(double));
  assert_non_null(all);
  rnn_params p;
  p.w = all;
  p.u = p.w + d.H * d.H;
  p.b = p.u + d.H * d.I;
  p.h0 = p.b + d.H;
  p.xs = p.h0 + d.H;
  loops_fill(p.w, (size_t)d.H * d.H, seed, 1.2 / sqrt((double)d.H));
  loops_fill(p.u, (size_t)d.H * d.I, seed + 1, 1.0 / sqrt((double)d.I));
  loops_fill(p.b, (size_t)d.H, seed + 2, 0.1);
  loops_fill(p.h0, (size_t)d.H, seed + 3, 0.5);
  loops_fill(p.xs, (size_t)d.T * d.I, seed + 4, 1.0);
  return p;
}

/* xs converted to float (malloc'd). */
static inline float *loops_to_f32(const double *x, size_t n) {
  float *f = malloc(n * sizeof(float) + 1);
  assert_non_null(f);
  for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
  return f;
}

#endif
