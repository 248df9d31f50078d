/* End to end: the collectives of libjet (jet_psum, jet_pmean, jet_pmax,
 * jet_pmin, jet_all_gather, jet_psum_scatter, jet_ppermute, jet_all_to_all,
 * jet_axis_index) through a real jetd, inside vmap with an axis_name (the
 * members of the axis are the batch's examples). Every op for batch sizes
 * 1, 2, 3, 4, 8 and in_axes 0 and 1 against loops over the members here;
 * JAX's docstring examples (psum over rows, x / psum(x)); nested vmap with
 * two axis names; pmean of per-example gradients (vmap of a graph calling
 * grad, then pmean) against the gradient formula; errors (a name no vmap
 * binds, a graph compiled without vmap or under a pmap of another name,
 * builder errors). Expected values are computed in double precision. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"
#include "jet/jet.h"
#include "run_f32.h"

#define REL_TOL 1e-5
#define MAXN 8
#define MAXE 4096

static void expect_close(float got, double want, const char *what, int i) {
  double err = fabs((double)got - want);
  double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
  if (err / scale > REL_TOL) fail_msg("%s[%d]: got %.9g, want %.9g", what, i, (double)got, want);
}

static void fill(float *x, size_t n, uint32_t seed) {
  uint64_t s = 0x9E3779B97F4A7C15ull * (seed + 1);
  for (size_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = (float)((double)(s >> 40) / (double)(1u << 24) * 2.0 - 1.0);
  }
}

static jet_type tf32(int32_t rank, const int64_t *d) { return jet_type_make(JET_F32, rank, d); }


/* ---- One member's graph: x: f32[A, B] -> op(x) ------------------------ */

typedef jet_value (*op_fn)(jet_builder *b, jet_value x, int64_t n);
/* The reference: xs = the members' x one after the other ([n][A*B]); writes
 * member j's output (out_elems floats) to out. */
typedef void (*ref_fn)(const float *xs, int n, int64_t A, int64_t B, int j, double *out);

typedef struct coll_case {
  const char *name;
  op_fn op;
  ref_fn ref;
  int a_mult, a_add, b_mult, b_add; /* A = a_mult * n + a_add, B likewise */
  int out_rank;                     /* rank of one member's output */
} coll_case;

static jet_value op_psum(jet_builder *b, jet_value x, int64_t n) { return jet_psum(b, x, "i"); }
static jet_value op_pmax(jet_builder *b, jet_value x, int64_t n) { return jet_pmax(b, x, "i"); }
static jet_value op_pmin(jet_builder *b, jet_value x, int64_t n) { return jet_pmin(b, x, "i"); }
static jet_value op_pmean(jet_builder *b, jet_value x, int64_t n) { return jet_pmean(b, x, "i"); }
static jet_value op_gather1(jet_builder *b, jet_value x, int64_t n) {
  return jet_all_gather(b, x, "i", n, 1, false);
}
static jet_value op_gather0t(jet_builder *b, jet_value x, int64_t n) {
  return jet_all_gather(b, x, "i", n, 0, true);
}
static jet_value op_gather_m1(jet_builder *b, jet_value x, int64_t n) {
  return jet_all_gather(b, x, "i", n, -1, false);
}
static jet_value op_a2a_0m1(jet_builder *b, jet_value x, int64_t n) {
  return jet_all_to_all(b, x, "i", n, 0, -1, false);
}
static jet_value op_scatter0(jet_builder *b, jet_value x, int64_t n) {
  return jet_psum_scatter(b, x, "i", n, 0, false);
}
static jet_value op_scatter1t(jet_builder *b, jet_value x, int64_t n) {
  return jet_psum_scatter(b, x, "i", n, 1, true);
}
static jet_value op_perm_cycle(jet_builder *b, jet_value x, int64_t n) {
  int64_t pairs[2 * MAXN];
  for (int64_t k = 0; k < n; k++) {
    pairs[2 * k] = k;
    pairs[2 * k + 1] = (k + 1) % n;
  }
  return jet_ppermute(b, x, "i", pairs, (size_t)n);
}
static jet_value op_perm_one(jet_builder *b, jet_value x, int64_t n) {
  const int64_t pair[2] = {0, n - 1};
  return jet_ppermute(b, x, "i", pair, 1);
}
static jet_value op_a2a_01(jet_builder *b, jet_value x, int64_t n) {
  return jet_all_to_all(b, x, "i", n, 0, 1, false);
}
static jet_value op_a2a_10t(jet_builder *b, jet_value x, int64_t n) {
  return jet_all_to_all(b, x, "i", n, 1, 0, true);
}
static jet_value op_index(jet_builder *b, jet_value x, int64_t n) {
  /* axis_index as f32, plus x[0, 0] * 0 so the output depends on x too. */
  jet_value i = jet_convert(b, jet_axis_index(b, "i"), JET_F32);
  const int64_t s0[2] = {0, 0}, s1[2] = {1, 1};
  jet_value x00 = jet_reshape(b, jet_slice(b, x, s0, s1, NULL, 2), NULL, 0);
  const float zero = 0;
  jet_type ts = jet_type_make(JET_F32, 0, NULL);
  return jet_add(b, i, jet_mul(b, x00, jet_constant(b, &ts, &zero)));
}

#define X(k, a, b) ((double)xs[(size_t)(k) * (size_t)(A * B) + (size_t)((a) * B + (b))])

static void ref_psum(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int64_t e = 0; e < A * B; e++) {
    double s = 0;
    for (int k = 0; k < n; k++) s += X(k, 0, e);
    out[e] = s;
  }
}
static void ref_pmean(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  ref_psum(xs, n, A, B, j, out);
  for (int64_t e = 0; e < A * B; e++) out[e] /= n;
}
static void ref_pmax(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int64_t e = 0; e < A * B; e++) {
    double m = X(0, 0, e);
    for (int k = 1; k < n; k++) m = fmax(m, X(k, 0, e));
    out[e] = m;
  }
}
static void ref_pmin(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int64_t e = 0; e < A * B; e++) {
    double m = X(0, 0, e);
    for (int k = 1; k < n; k++) m = fmin(m, X(k, 0, e));
    out[e] = m;
  }
}
/* all_gather axis 1: out [A, n, B], out[a, k, b] = x_k[a, b]. */
static void ref_gather1(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int64_t a = 0; a < A; a++)
    for (int k = 0; k < n; k++)
      for (int64_t b = 0; b < B; b++) out[(a * n + k) * B + b] = X(k, a, b);
}
/* all_gather axis 0 tiled: out [n*A, B], out[k*A + a, b] = x_k[a, b]. */
static void ref_gather0t(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int k = 0; k < n; k++)
    for (int64_t a = 0; a < A; a++)
      for (int64_t b = 0; b < B; b++) out[(k * A + a) * B + b] = X(k, a, b);
}
/* all_gather axis -1 (= 2): out [A, B, n], out[a, b, k] = x_k[a, b]. */
static void ref_gather_m1(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int64_t a = 0; a < A; a++)
    for (int64_t b = 0; b < B; b++)
      for (int k = 0; k < n; k++) out[(a * B + b) * n + k] = X(k, a, b);
}
/* psum_scatter dim 0 (A = n): out [B], sum_k x_k[j, b]. */
static void ref_scatter0(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int64_t b = 0; b < B; b++) {
    double s = 0;
    for (int k = 0; k < n; k++) s += X(k, j, b);
    out[b] = s;
  }
}
/* psum_scatter dim 1 tiled (B = 2n): out [A, 2], sum_k x_k[a, 2j + c]. */
static void ref_scatter1t(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int64_t a = 0; a < A; a++)
    for (int c = 0; c < 2; c++) {
      double s = 0;
      for (int k = 0; k < n; k++) s += X(k, a, 2 * j + c);
      out[a * 2 + c] = s;
    }
}
static void ref_perm_cycle(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  int src = (j + n - 1) % n;
  for (int64_t e = 0; e < A * B; e++) out[e] = X(src, 0, e);
}
static void ref_perm_one(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int64_t e = 0; e < A * B; e++) out[e] = j == n - 1 ? X(0, 0, e) : 0.0;
}
/* all_to_all split 0 (A = n) concat 1, untiled: out [B, n], out[b, k] =
 * x_k[j, b]. */
static void ref_a2a_01(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int64_t b = 0; b < B; b++)
    for (int k = 0; k < n; k++) out[b * n + k] = X(k, j, b);
}
/* all_to_all split 1 (B = 2n) concat 0, tiled: out [n*A, 2], out[k*A + a,
 * c] = x_k[a, 2j + c]. */
static void ref_a2a_10t(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  for (int k = 0; k < n; k++)
    for (int64_t a = 0; a < A; a++)
      for (int c = 0; c < 2; c++) out[(k * A + a) * 2 + c] = X(k, a, 2 * j + c);
}
static void ref_index(const float *xs, int n, int64_t A, int64_t B, int j, double *out) {
  out[0] = j;
}
#undef X

static const coll_case cases[] = {
    {"psum", op_psum, ref_psum, 0, 2, 0, 3, 2},
    {"pmax", op_pmax, ref_pmax, 0, 2, 0, 3, 2},
    {"pmin", op_pmin, ref_pmin, 0, 2, 0, 3, 2},
    {"pmean", op_pmean, ref_pmean, 0, 2, 0, 3, 2},
    {"all_gather axis 1", op_gather1, ref_gather1, 0, 2, 0, 3, 3},
    {"all_gather axis 0 tiled", op_gather0t, ref_gather0t, 0, 2, 0, 3, 2},
    {"all_gather axis -1", op_gather_m1, ref_gather_m1, 0, 2, 0, 3, 3},
    {"psum_scatter dim 0", op_scatter0, ref_scatter0, 1, 0, 0, 3, 1},
    {"psum_scatter dim 1 tiled", op_scatter1t, ref_scatter1t, 0, 2, 2, 0, 2},
    {"ppermute cycle", op_perm_cycle, ref_perm_cycle, 0, 2, 0, 3, 2},
    {"ppermute one pair", op_perm_one, ref_perm_one, 0, 2, 0, 3, 2},
    {"all_to_all 0->1", op_a2a_01, ref_a2a_01, 1, 0, 0, 3, 2},
    {"all_to_all 0->-1", op_a2a_0m1, ref_a2a_01, 1, 0, 0, 3, 2},
    {"all_to_all 1->0 tiled", op_a2a_10t, ref_a2a_10t, 0, 2, 2, 0, 2},
    {"axis_index", op_index, ref_index, 0, 2, 0, 3, 0},
};

/* One case for batch size n and in_axis 0 or 1. */
static void run_case(jet_client *c, const coll_case *cc, int n, int in_axis) {
  int64_t A = cc->a_mult * n + cc->a_add, B = cc->b_mult * n + cc->b_add;
  int64_t md[2] = {A, B};
  jet_type mt = tf32(2, md);
  jet_builder *b = jet_builder_create(cc->name);
  assert_non_null(b);
  jet_value x = jet_builder_param(b, &mt);
  jet_value y = cc->op(b, x, n);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  int64_t out_elems = 1;
  const jet_type *yt = jet_builder_value_type(b, y);
  assert_non_null(yt);
  assert_int_equal(yt->rank, cc->out_rank);
  for (int32_t d = 0; d < yt->rank; d++) out_elems *= yt->dims[d];

  static float members[MAXE], batch[MAXE], got[MAXE];
  static double want[MAXE];
  size_t total = (size_t)(n * A * B);
  assert_true(total <= MAXE && (size_t)(n * out_elems) <= MAXE);
  fill(members, total, (uint32_t)(n * 31 + in_axis));
  /* The batch: [n, A, B] (in_axis 0) or [A, n, B] (in_axis 1). */
  int64_t bd[3];
  if (in_axis == 0) {
    memcpy(batch, members, total * sizeof(float));
    bd[0] = n, bd[1] = A, bd[2] = B;
  } else {
    for (int k = 0; k < n; k++)
      for (int64_t a = 0; a < A; a++)
        for (int64_t e = 0; e < B; e++)
          batch[(a * n + k) * B + e] = members[(k * A + a) * B + e];
    bd[0] = A, bd[1] = n, bd[2] = B;
  }
  jet_type bt = tf32(3, bd);
  const jet_axis_spec in[1] = {JET_AXIS(in_axis)};
  jet_transform v = jet_tf_vmap(in, 1, NULL, 0, n, "i");
  jet_arg arg = jet_arg_inline(&bt, batch);
  jet_type ot;
  JET_TEST_OK(jet_test_run_f32(c, jet_builder_graph(b), &v, 1, &arg, 1, &ot, got, MAXE));
  assert_int_equal(ot.rank, yt->rank + 1);
  assert_int_equal(ot.dims[0], n);
  char what[96];
  snprintf(what, sizeof what, "%s n=%d in_axis=%d", cc->name, n, in_axis);
  for (int j = 0; j < n; j++) {
    cc->ref(members, n, A, B, j, want);
    for (int64_t e = 0; e < out_elems; e++)
      expect_close(got[j * out_elems + e], want[e], what, (int)(j * out_elems + e));
  }
  jet_builder_destroy(b);
}

static void test_every_op(void **state) {
  jet_test_fixture *f = *state;
  static const int sizes[] = {1, 2, 3, 4, 8};
  for (size_t ci = 0; ci < sizeof cases / sizeof cases[0]; ci++)
    for (size_t si = 0; si < sizeof sizes / sizeof sizes[0]; si++)
      for (int ax = 0; ax < 2; ax++) run_case(f->client, &cases[ci], sizes[si], ax);
}

/* JAX's docstrings: vmap(lambda x: psum(x, 'i'), axis_name='i') over
 * arange(12.).reshape(3, 4) gives [12, 15, 18, 21] in every row;
 * x / psum(x) over arange(4.) gives [0, 1/6, 2/6, 3/6]. */
static void test_doc_examples(void **state) {
  jet_test_fixture *f = *state;
  int64_t four = 4, d34[2] = {3, 4};
  jet_type t4 = tf32(1, &four), t34 = tf32(2, d34), ts = tf32(0, NULL);
  jet_builder *b = jet_builder_create("psum_rows");
  jet_value x = jet_builder_param(b, &t4);
  jet_value y = jet_psum(b, x, "i");
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  float xs[12], out[16];
  for (int i = 0; i < 12; i++) xs[i] = (float)i;
  jet_transform v = jet_tf_vmap(NULL, 0, NULL, 0, 3, "i");
  jet_arg arg = jet_arg_inline(&t34, xs);
  jet_type ot;
  JET_TEST_OK(jet_test_run_f32(f->client, jet_builder_graph(b), &v, 1, &arg, 1, &ot, out, 16));
  assert_true(jet_type_equal(&ot, &t34));
  const double rows[4] = {12, 15, 18, 21};
  for (int i = 0; i < 12; i++) expect_close(out[i], rows[i % 4], "psum doc example", i);
  jet_builder_destroy(b);

  b = jet_builder_create("normalise");
  x = jet_builder_param(b, &ts);
  y = jet_div(b, x, jet_psum(b, x, "i"));
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  v = jet_tf_vmap(NULL, 0, NULL, 0, 4, "i");
  float r4[4] = {0, 1, 2, 3};
  arg = jet_arg_inline(&t4, r4);
  JET_TEST_OK(jet_test_run_f32(f->client, jet_builder_graph(b), &v, 1, &arg, 1, &ot, out, 16));
  for (int i = 0; i < 4; i++) expect_close(out[i], i / 6.0, "x / psum(x)", i);
  jet_builder_destroy(b);
}

/* vmap(vmap(f, axis_name='j'), axis_name='i') over xs: f32[I, J] with
 * f(x) = psum(x, 'i') + 100 psum(x, 'j') + 1000 (10 axis_index('i') +
 * axis_index('j')). */
static void test_nested_two_names(void **state) {
  jet_test_fixture *f = *state;
  enum { I = 3, J = 4 };
  jet_type ts = tf32(0, NULL);
  jet_builder *b = jet_builder_create("nested");
  jet_value x = jet_builder_param(b, &ts);
  const float c100 = 100, c1000 = 1000, c10 = 10;
  jet_value k100 = jet_constant(b, &ts, &c100), k1000 = jet_constant(b, &ts, &c1000),
            k10 = jet_constant(b, &ts, &c10);
  jet_value ii = jet_convert(b, jet_axis_index(b, "i"), JET_F32);
  jet_value jj = jet_convert(b, jet_axis_index(b, "j"), JET_F32);
  jet_value idx = jet_add(b, jet_mul(b, k10, ii), jj);
  jet_value y = jet_add(b, jet_add(b, jet_psum(b, x, "i"), jet_mul(b, k100, jet_psum(b, x, "j"))),
                        jet_mul(b, k1000, idx));
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  float xs[I * J], out[I * J];
  fill(xs, I * J, 77);
  int64_t d[2] = {I, J};
  jet_type txs = tf32(2, d);
  jet_transform tf[2] = {jet_tf_vmap(NULL, 0, NULL, 0, J, "j"),
                         jet_tf_vmap(NULL, 0, NULL, 0, I, "i")};
  jet_arg arg = jet_arg_inline(&txs, xs);
  jet_type ot;
  JET_TEST_OK(jet_test_run_f32(f->client, jet_builder_graph(b), tf, 2, &arg, 1, &ot, out, I * J));
  assert_true(jet_type_equal(&ot, &txs));
  for (int i = 0; i < I; i++)
    for (int j = 0; j < J; j++) {
      double si = 0, sj = 0;
      for (int k = 0; k < I; k++) si += xs[k * J + j];
      for (int k = 0; k < J; k++) sj += xs[i * J + k];
      expect_close(out[i * J + j], si + 100 * sj + 1000.0 * (10 * i + j), "nested", i * J + j);
    }
  jet_builder_destroy(b);
}

/* Data-parallel gradient: g(w, x, y) = pmean(grad(loss)(w, x, y), 'b') with
 * loss = (w . x - y)^2, vmapped over (None, 0, 0): every row is the mean of
 * the per-example gradients 2 (w . x_e - y_e) x_e. */
static void test_pmean_of_grads(void **state) {
  jet_test_fixture *f = *state;
  enum { E = 5, D = 3 };
  int64_t dd = D;
  jet_type tw = tf32(1, &dd), ts = tf32(0, NULL);
  jet_builder *lb = jet_builder_create("loss");
  jet_value w = jet_builder_param(lb, &tw), x = jet_builder_param(lb, &tw),
            yv = jet_builder_param(lb, &ts);
  const int64_t c0[1] = {0};
  jet_value r = jet_sub(lb, jet_dot_general(lb, w, x, c0, 1, c0, 1, NULL, 0, NULL, 0), yv);
  jet_value l = jet_mul(lb, r, r);
  JET_TEST_OK(jet_builder_return(lb, &l, 1));

  jet_builder *gb = jet_builder_create("dp_grad");
  w = jet_builder_param(gb, &tw);
  x = jet_builder_param(gb, &tw);
  yv = jet_builder_param(gb, &ts);
  const int32_t a0[1] = {0};
  jet_transform g = jet_tf_grad(a0, 1, false);
  jet_value args3[3] = {w, x, yv};
  jet_value gw = jet_call(gb, lb, args3, 3, &g, 1, NULL, 0);
  jet_value m = jet_pmean(gb, gw, "b");
  JET_TEST_OK(jet_builder_return(gb, &m, 1));
  jet_builder_destroy(lb);

  float wv[D], xs[E * D], ys[E], out[E * D];
  fill(wv, D, 1);
  fill(xs, E * D, 2);
  fill(ys, E, 3);
  int64_t dx[2] = {E, D}, de = E;
  jet_type txs = tf32(2, dx), tys = tf32(1, &de);
  const jet_axis_spec in[3] = {JET_AXIS_NONE, JET_AXIS(0), JET_AXIS(0)};
  jet_transform v = jet_tf_vmap(in, 3, NULL, 0, E, "b");
  jet_arg args[3] = {jet_arg_inline(&tw, wv), jet_arg_inline(&txs, xs), jet_arg_inline(&tys, ys)};
  jet_type ot;
  JET_TEST_OK(jet_test_run_f32(f->client, jet_builder_graph(gb), &v, 1, args, 3, &ot, out, E * D));
  assert_true(jet_type_equal(&ot, &txs));
  double mean[D] = {0};
  for (int e = 0; e < E; e++) {
    double dot = 0;
    for (int k = 0; k < D; k++) dot += (double)wv[k] * xs[e * D + k];
    for (int k = 0; k < D; k++) mean[k] += 2 * (dot - ys[e]) * xs[e * D + k] / E;
  }
  for (int e = 0; e < E; e++)
    for (int k = 0; k < D; k++) expect_close(out[e * D + k], mean[k], "pmean of grads", e * D + k);
  jet_builder_destroy(gb);
}

static void test_errors(void **state) {
  jet_test_fixture *f = *state;
  int64_t three = 3;
  jet_type t3 = tf32(1, &three);
  jet_builder *b = jet_builder_create("psum_i");
  jet_value x = jet_builder_param(b, &t3);
  jet_value y = jet_psum(b, x, "i");
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  const jet_graph *g = jet_builder_graph(b);
  jet_executable *e;
  /* A name no vmap binds, and no vmap at all. */
  jet_transform v = jet_tf_vmap(NULL, 0, NULL, 0, 2, "j");
  JET_TEST_FAILS(jet_compile_graph(f->client, g, &v, 1, &e), JET_INVALID_ARGUMENT,
                 "unbound axis name: i");
  v = jet_tf_vmap(NULL, 0, NULL, 0, 2, NULL);
  JET_TEST_FAILS(jet_compile_graph(f->client, g, &v, 1, &e), JET_INVALID_ARGUMENT,
                 "unbound axis name: i");
  JET_TEST_FAILS(jet_compile_graph(f->client, g, NULL, 0, &e), JET_INVALID_ARGUMENT,
                 "unbound axis name: i");
  /* A pmap over another name does not bind it (more in test_e2e_pmap). */
  v = jet_tf_pmap("j", NULL, 0, NULL, 0, NULL, 0, 1);
  JET_TEST_FAILS(jet_compile_graph(f->client, g, &v, 1, &e), JET_INVALID_ARGUMENT,
                 "unbound axis name: i");
  jet_builder_destroy(b);

  /* Builder errors: recorded, later calls return JET_NO_VALUE. */
  b = jet_builder_create("bad");
  x = jet_builder_param(b, &t3);
  assert_int_equal(jet_psum(b, x, ""), JET_NO_VALUE);
  assert_int_equal(jet_pmax(b, x, "i"), JET_NO_VALUE);
  JET_TEST_FAILS(jet_builder_status(b), JET_INVALID_ARGUMENT, "jet_psum: axis_name");
  jet_builder_destroy(b);
  b = jet_builder_create("bad2");
  x = jet_builder_param(b, &t3);
  assert_int_equal(jet_all_gather(b, x, "i", 0, 0, false), JET_NO_VALUE);
  JET_TEST_FAILS(jet_builder_status(b), JET_INVALID_ARGUMENT, "jet_all_gather: axis_size");
  jet_builder_destroy(b);
  /* Shape errors come from the shared inference: the scattered dim (3)
   * must equal the axis size (2). */
  b = jet_builder_create("bad3");
  x = jet_builder_param(b, &t3);
  assert_int_equal(jet_psum_scatter(b, x, "i", 2, 0, false), JET_NO_VALUE);
  JET_TEST_FAILS(jet_builder_status(b), JET_INVALID_ARGUMENT, "jet_psum_scatter");
  jet_builder_destroy(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_op),
      cmocka_unit_test(test_doc_examples),
      cmocka_unit_test(test_nested_two_names),
      cmocka_unit_test(test_pmean_of_grads),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, jet_test_fixture_setup, jet_test_fixture_teardown);
}
