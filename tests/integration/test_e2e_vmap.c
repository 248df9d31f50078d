/* End to end: vmap through the wire. Through libjet against a real jetd:
 * matrix-vector products over a batch (in_axes None and negative, out_axes,
 * one dot_general in the batched graph), unmapped outputs (JAX's docstring
 * example), axis_size with every input unmapped, nested vmap, per-example
 * gradients (vmap of grad, against a loop of grad executes and the formula),
 * grad of vmap through a call node, errors over the wire (inconsistent
 * sizes naming both, axis out of range, out_axes None for a batched output,
 * pmap without a size), and the CLI (`jet vmap`, `jet run --transform
 * vmap:...`). Expected values are computed here in double precision. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "jet/jet.h"
#include "jet/text.h"

#define REL_TOL 1e-5

static void expect_close(float got, double want, const char *what, int i) {
  double err = fabs((double)got - want);
  double scale = fabs(want) > 1.0 ? fabs(want) : 1.0;
  if (err / scale > REL_TOL) fail_msg("%s[%d]: got %.9g, want %.9g", what, i, (double)got, want);
}

static jet_type t1(int64_t a) { return jet_type_make(JET_F32, 1, &a); }
static jet_type t2(int64_t a, int64_t b) {
  int64_t d[2] = {a, b};
  return jet_type_make(JET_F32, 2, d);
}
static jet_type t3(int64_t a, int64_t b, int64_t c) {
  int64_t d[3] = {a, b, c};
  return jet_type_make(JET_F32, 3, d);
}

/* Deterministic values in [-1, 1). */
static void fill(float *x, size_t n, uint32_t seed) {
  uint64_t s = 0x9E3779B97F4A7C15ull * (seed + 1);
  for (size_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    x[i] = (float)((double)(s >> 40) / (double)(1u << 24) * 2.0 - 1.0);
  }
}

/* Compiles g under tf, runs it on inline args; the outputs' types go to
 * types (cap_types) and their floats, concatenated, to out (cap floats).
 * Returns the number of outputs. */
static size_t run_graph(jet_client *c, const jet_graph *g, const jet_transform *tf, size_t n_tf,
                        const jet_arg *args, size_t n_args, jet_type *types, float *out,
                        size_t cap) {
  jet_executable *e;
  JET_TEST_OK(jet_compile_graph(c, g, tf, n_tf, &e));
  size_t n = jet_executable_num_outputs(e);
  jet_result r[8];
  memset(r, 0, sizeof r);
  assert_true(n >= 1 && n <= 8);
  JET_TEST_OK(jet_execute_inline(e, args, n_args, r, n));
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(r[i].type.dtype, JET_F32);
    types[i] = r[i].type;
    size_t m = r[i].nbytes / sizeof(float);
    assert_true(k + m <= cap);
    memcpy(out + k, r[i].data, m * sizeof(float));
    k += m;
  }
  jet_results_clear(r, n);
  return n;
}

static void expect_type(const jet_type *got, const jet_type *want, const char *what) {
  if (!jet_type_equal(got, want)) {
    char a[64], b[64];
    jet_type_str(got, a, sizeof a);
    jet_type_str(want, b, sizeof b);
    fail_msg("%s: type %s, want %s", what, a, b);
  }
}

static size_t count(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

/* matvec(W: f32[R,C], x: f32[C]) = W @ x : f32[R] */
#define R 4
#define C 3
#define B 5
static jet_builder *matvec(void) {
  jet_type tw = t2(R, C), tx = t1(C);
  jet_builder *b = jet_builder_create("matvec");
  assert_non_null(b);
  jet_value w = jet_builder_param(b, &tw);
  jet_value x = jet_builder_param(b, &tx);
  const int64_t c1[1] = {1}, c0[1] = {0};
  jet_value y = jet_dot_general(b, w, x, c1, 1, c0, 1, NULL, 0, NULL, 0);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  return b;
}

static void test_matvec(void **state) {
  jet_test_fixture *f = *state;
  jet_builder *mb = matvec();
  const jet_graph *g = jet_builder_graph(mb);
  float w[R * C], xs[B * C], xt[C * B], out[64];
  fill(w, R * C, 1);
  fill(xs, B * C, 2);
  for (int b = 0; b < B; b++)
    for (int j = 0; j < C; j++) xt[j * B + b] = xs[b * C + j];
  double want[B][R];
  for (int b = 0; b < B; b++)
    for (int i = 0; i < R; i++) {
      double s = 0;
      for (int j = 0; j < C; j++) s += (double)w[i * C + j] * xs[b * C + j];
      want[b][i] = s;
    }
  jet_type tw = t2(R, C), tbx = t2(B, C), txb = t2(C, B), ty;

  /* in_axes (None, 0): out [B, R]. */
  const jet_axis_spec in0[2] = {JET_AXIS_NONE, JET_AXIS(0)};
  jet_transform vm = jet_tf_vmap(in0, 2, NULL, 0, B, NULL);
  jet_arg args[2] = {jet_arg_inline(&tw, w), jet_arg_inline(&tbx, xs)};
  assert_int_equal(run_graph(f->client, g, &vm, 1, args, 2, &ty, out, 64), 1);
  jet_type want_t = t2(B, R);
  expect_type(&ty, &want_t, "vmap(matvec, (None, 0))");
  for (int b = 0; b < B; b++)
    for (int i = 0; i < R; i++)
      expect_close(out[b * R + i], want[b][i], "in_axes (None, 0)", b * R + i);

  /* in_axes (None, -1): the batch is the last axis of x. */
  const jet_axis_spec inm1[2] = {JET_AXIS_NONE, JET_AXIS(-1)};
  vm = jet_tf_vmap(inm1, 2, NULL, 0, B, NULL);
  args[1] = jet_arg_inline(&txb, xt);
  assert_int_equal(run_graph(f->client, g, &vm, 1, args, 2, &ty, out, 64), 1);
  expect_type(&ty, &want_t, "vmap(matvec, (None, -1))");
  for (int b = 0; b < B; b++)
    for (int i = 0; i < R; i++)
      expect_close(out[b * R + i], want[b][i], "in_axes (None, -1)", b * R + i);

  /* out_axes 1 (and -1): out [R, B]. */
  const jet_axis_spec o1[1] = {JET_AXIS(1)}, om1[1] = {JET_AXIS(-1)};
  want_t = t2(R, B);
  for (int k = 0; k < 2; k++) {
    vm = jet_tf_vmap(inm1, 2, k ? om1 : o1, 1, B, "batch");
    assert_int_equal(run_graph(f->client, g, &vm, 1, args, 2, &ty, out, 64), 1);
    expect_type(&ty, &want_t, "vmap(matvec, out_axes=1)");
    for (int b = 0; b < B; b++)
      for (int i = 0; i < R; i++) expect_close(out[i * B + b], want[b][i], "out_axes", i * B + b);
  }

  /* The batched graph is one dot_general (no loop, no call), whatever B. */
  char *text = NULL;
  vm = jet_tf_vmap(in0, 2, NULL, 0, 1000, NULL);
  JET_TEST_OK(jet_transform_graph(f->client, g, &vm, 1, false, NULL, &text));
  assert_int_equal(count(text, "dot_general"), 1);
  assert_null(strstr(text, "call"));
  assert_non_null(strstr(text, "f32[1000,3]"));
  free(text);
  jet_builder_destroy(mb);
}

/* JAX's docstring: vmap(lambda x, y: (x + y, 2 * y), in_axes=(0, None),
 * out_axes=(0, None))(arange(2.), 4.) -> ([4., 5.], 8.); with out_axes=0
 * the second output is broadcast to [8., 8.]. */
static void test_unmapped_outputs(void **state) {
  jet_test_fixture *f = *state;
  jet_type s = jet_type_scalar(JET_F32);
  jet_builder *b = jet_builder_create("docstring");
  jet_value x = jet_builder_param(b, &s);
  jet_value y = jet_builder_param(b, &s);
  const float two = 2.0f;
  jet_value outs[2] = {jet_add(b, x, y), jet_mul(b, jet_constant(b, &s, &two), y)};
  JET_TEST_OK(jet_builder_return(b, outs, 2));
  const jet_graph *g = jet_builder_graph(b);
  const float xs[2] = {0, 1}, yv = 4;
  jet_type t_2 = t1(2);
  jet_arg args[2] = {jet_arg_inline(&t_2, xs), jet_arg_inline(&s, &yv)};
  const jet_axis_spec in[2] = {JET_AXIS(0), JET_AXIS_NONE};
  const jet_axis_spec out0n[2] = {JET_AXIS(0), JET_AXIS_NONE}, out0[1] = {JET_AXIS(0)};
  jet_type ty[2];
  float o[8];
  jet_transform vm = jet_tf_vmap(in, 2, out0n, 2, 2, NULL);
  assert_int_equal(run_graph(f->client, g, &vm, 1, args, 2, ty, o, 8), 2);
  expect_type(&ty[0], &t_2, "x + y");
  expect_type(&ty[1], &s, "2 * y (unmapped)");
  expect_close(o[0], 4, "x + y", 0);
  expect_close(o[1], 5, "x + y", 1);
  expect_close(o[2], 8, "2 * y", 0);
  vm = jet_tf_vmap(in, 2, out0, 1, 2, NULL);
  assert_int_equal(run_graph(f->client, g, &vm, 1, args, 2, ty, o, 8), 2);
  expect_type(&ty[1], &t_2, "2 * y (broadcast)");
  expect_close(o[2], 8, "2 * y broadcast", 0);
  expect_close(o[3], 8, "2 * y broadcast", 1);

  /* Every input unmapped: axis_size gives the batch. */
  const jet_axis_spec none[1] = {JET_AXIS_NONE};
  vm = jet_tf_vmap(none, 1, NULL, 0, 3, NULL);
  const float xv = 1.5f;
  jet_arg sargs[2] = {jet_arg_inline(&s, &xv), jet_arg_inline(&s, &yv)};
  jet_type t_3 = t1(3);
  assert_int_equal(run_graph(f->client, g, &vm, 1, sargs, 2, ty, o, 8), 2);
  expect_type(&ty[0], &t_3, "all unmapped, axis_size 3");
  expect_type(&ty[1], &t_3, "all unmapped, axis_size 3");
  for (int i = 0; i < 3; i++) {
    expect_close(o[i], 5.5, "all unmapped x + y", i);
    expect_close(o[3 + i], 8, "all unmapped 2 * y", i);
  }
  jet_builder_destroy(b);
}

/* vmap(vmap(f, in_axes=0), in_axes=1) with f(x: f32[3]) = x * x + 1 on
 * xs: f32[5, 2, 3]: the inner batch is axis 0, the outer axis 1; the
 * result is [2, 5, 3] with r[j][i] = f(xs[i][j]). */
static void test_nested(void **state) {
  jet_test_fixture *f = *state;
  jet_type tx = t1(3), s = jet_type_scalar(JET_F32);
  jet_builder *b = jet_builder_create("f");
  jet_value x = jet_builder_param(b, &tx);
  const float one = 1.0f;
  jet_value y = jet_add(b, jet_mul(b, x, x), jet_constant(b, &s, &one));
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  float xs[5 * 2 * 3], o[64];
  fill(xs, 30, 3);
  const jet_axis_spec a0[1] = {JET_AXIS(0)}, a1[1] = {JET_AXIS(1)};
  jet_transform tf[2] = {jet_tf_vmap(a0, 1, NULL, 0, 5, "inner"),
                         jet_tf_vmap(a1, 1, NULL, 0, 2, "outer")};
  jet_type targ = t3(5, 2, 3), ty, want = t3(2, 5, 3);
  jet_arg arg = jet_arg_inline(&targ, xs);
  assert_int_equal(run_graph(f->client, jet_builder_graph(b), tf, 2, &arg, 1, &ty, o, 64), 1);
  expect_type(&ty, &want, "vmap(vmap(f, 0), 1)");
  for (int j = 0; j < 2; j++)
    for (int i = 0; i < 5; i++)
      for (int k = 0; k < 3; k++) {
        double v = xs[(i * 2 + j) * 3 + k];
        expect_close(o[(j * 5 + i) * 3 + k], v * v + 1, "nested", (j * 5 + i) * 3 + k);
      }
  jet_builder_destroy(b);
}

/* loss(W: f32[2,3], b: f32[2], x: f32[3], y: f32[2]) =
 *   sum((tanh(W @ x + b) - y)^2) */
#define NB 6
static jet_builder *loss_graph(void) {
  jet_type tw = t2(2, 3), tb = t1(2), tx = t1(3), ty = t1(2);
  jet_builder *b = jet_builder_create("loss");
  jet_value w = jet_builder_param(b, &tw);
  jet_value bias = jet_builder_param(b, &tb);
  jet_value x = jet_builder_param(b, &tx);
  jet_value y = jet_builder_param(b, &ty);
  const int64_t c1[1] = {1}, c0[1] = {0};
  jet_value z = jet_add(b, jet_dot_general(b, w, x, c1, 1, c0, 1, NULL, 0, NULL, 0), bias);
  jet_value d = jet_sub(b, jet_tanh(b, z), y);
  jet_value l = jet_reduce_sum(b, jet_square(b, d), c0, 1);
  JET_TEST_OK(jet_builder_return(b, &l, 1));
  return b;
}

static void test_per_example_grads(void **state) {
  jet_test_fixture *f = *state;
  jet_builder *lb = loss_graph();
  const jet_graph *g = jet_builder_graph(lb);
  float w[6], bias[2], xs[NB * 3], ys[NB * 2], o[256];
  fill(w, 6, 4);
  fill(bias, 2, 5);
  fill(xs, NB * 3, 6);
  fill(ys, NB * 2, 7);
  jet_type tw = t2(2, 3), tb = t1(2), txs = t2(NB, 3), tys = t2(NB, 2), tx = t1(3), tyy = t1(2);
  const int32_t argnums[2] = {0, 1};
  const jet_axis_spec in[4] = {JET_AXIS_NONE, JET_AXIS_NONE, JET_AXIS(0), JET_AXIS(0)};
  /* vmap(grad(loss, argnums=(0, 1)), in_axes=(None, None, 0, 0)) */
  jet_transform tf[2] = {jet_tf_grad(argnums, 2, false), jet_tf_vmap(in, 4, NULL, 0, NB, NULL)};
  jet_arg args[4] = {jet_arg_inline(&tw, w), jet_arg_inline(&tb, bias), jet_arg_inline(&txs, xs),
                     jet_arg_inline(&tys, ys)};
  jet_type ty[2];
  assert_int_equal(run_graph(f->client, g, tf, 2, args, 4, ty, o, 256), 2);
  jet_type want_w = t3(NB, 2, 3), want_b = t2(NB, 2);
  expect_type(&ty[0], &want_w, "per-example dW");
  expect_type(&ty[1], &want_b, "per-example db");
  const float *dw = o, *db = o + NB * 6;
  for (int e = 0; e < NB; e++) {
    /* A grad execute per example (the loop vmap replaces). */
    float lo[16];
    jet_type lty[2];
    jet_arg a1[4] = {args[0], args[1], jet_arg_inline(&tx, xs + e * 3),
                     jet_arg_inline(&tyy, ys + e * 2)};
    assert_int_equal(run_graph(f->client, g, tf, 1, a1, 4, lty, lo, 16), 2);
    for (int k = 0; k < 6; k++) expect_close(dw[e * 6 + k], lo[k], "dW vs grad loop", e * 6 + k);
    for (int k = 0; k < 2; k++)
      expect_close(db[e * 2 + k], lo[6 + k], "db vs grad loop", e * 2 + k);
    /* And the formula: dz = 2 (t - y)(1 - t^2), dW = dz x^T, db = dz. */
    for (int i = 0; i < 2; i++) {
      double z = bias[i];
      for (int j = 0; j < 3; j++) z += (double)w[i * 3 + j] * xs[e * 3 + j];
      double t = tanh(z), dz = 2 * (t - ys[e * 2 + i]) * (1 - t * t);
      expect_close(db[e * 2 + i], dz, "db formula", e * 2 + i);
      for (int j = 0; j < 3; j++)
        expect_close(dw[e * 6 + i * 3 + j], dz * xs[e * 3 + j], "dW formula", e * 6 + i * 3 + j);
    }
  }
  jet_builder_destroy(lb);
}

/* grad(lambda xs: sum(vmap(f)(xs))) with f(x: f32[3]) = sum(sin(x) * x),
 * through a call node carrying the vmap: d/dx = cos(x) x + sin(x). */
static void test_grad_of_vmap(void **state) {
  jet_test_fixture *fx = *state;
  jet_type tx = t1(3), txs = t2(4, 3);
  jet_builder *f = jet_builder_create("f");
  jet_value x = jet_builder_param(f, &tx);
  const int64_t a0[1] = {0};
  jet_value fy = jet_reduce_sum(f, jet_mul(f, jet_sin(f, x), x), a0, 1);
  JET_TEST_OK(jet_builder_return(f, &fy, 1));

  jet_builder *m = jet_builder_create("main");
  jet_value xs = jet_builder_param(m, &txs);
  jet_transform vm = jet_tf_vmap(NULL, 0, NULL, 0, 0, NULL);
  jet_value per = jet_call(m, f, &xs, 1, &vm, 1, NULL, 0);
  jet_value total = jet_reduce_sum(m, per, a0, 1);
  JET_TEST_OK(jet_builder_return(m, &total, 1));
  jet_builder_destroy(f);
  jet_type per_t = t1(4);
  expect_type(jet_builder_value_type(m, per), &per_t, "vmap call result");

  float v[12], o[32];
  fill(v, 12, 8);
  jet_arg arg = jet_arg_inline(&txs, v);
  jet_transform g = jet_tf_grad(NULL, 0, false);
  jet_type ty;
  assert_int_equal(run_graph(fx->client, jet_builder_graph(m), &g, 1, &arg, 1, &ty, o, 32), 1);
  expect_type(&ty, &txs, "grad of vmap");
  for (int i = 0; i < 12; i++) {
    double xv = v[i];
    expect_close(o[i], cos(xv) * xv + sin(xv), "grad(sum(vmap(f)))", i);
  }
  /* Without grad: the per-example values. */
  jet_builder *m2 = jet_builder_create("main2");
  jet_builder *f2 = jet_builder_create("f");
  x = jet_builder_param(f2, &tx);
  fy = jet_reduce_sum(f2, jet_mul(f2, jet_sin(f2, x), x), a0, 1);
  JET_TEST_OK(jet_builder_return(f2, &fy, 1));
  xs = jet_builder_param(m2, &txs);
  per = jet_call(m2, f2, &xs, 1, &vm, 1, NULL, 0);
  JET_TEST_OK(jet_builder_return(m2, &per, 1));
  assert_int_equal(run_graph(fx->client, jet_builder_graph(m2), NULL, 0, &arg, 1, &ty, o, 32), 1);
  for (int e = 0; e < 4; e++) {
    double s = 0;
    for (int k = 0; k < 3; k++) s += sin((double)v[e * 3 + k]) * v[e * 3 + k];
    expect_close(o[e], s, "vmap(f) through call", e);
  }
  jet_builder_destroy(f2);
  jet_builder_destroy(m2);
  jet_builder_destroy(m);
}

static void test_errors_over_wire(void **state) {
  jet_test_fixture *f = *state;
  jet_builder *mb = matvec();
  const jet_graph *g = jet_builder_graph(mb);
  jet_executable *e;

  /* pmap without axis_size on a graph transformed alone is refused by
   * name (test_e2e_pmap runs pmap). */
  jet_transform pm = jet_tf_pmap(NULL, NULL, 0, NULL, 0, NULL, 0, 0);
  JET_TEST_FAILS(jet_compile_graph(f->client, g, &pm, 1, &e), JET_INVALID_ARGUMENT,
                 "pmap needs axis_size");
  JET_TEST_FAILS(jet_transform_graph(f->client, g, &pm, 1, false, NULL, NULL),
                 JET_INVALID_ARGUMENT, "pmap needs axis_size");

  /* An axis out of range for the argument's rank. */
  const jet_axis_spec bad_axis[2] = {JET_AXIS_NONE, JET_AXIS(2)};
  jet_transform vm = jet_tf_vmap(bad_axis, 2, NULL, 0, 4, NULL);
  JET_TEST_FAILS(jet_compile_graph(f->client, g, &vm, 1, &e), JET_INVALID_ARGUMENT, "axis 2");

  /* A batched output with out_axes None. */
  const jet_axis_spec in0[2] = {JET_AXIS_NONE, JET_AXIS(0)}, none[1] = {JET_AXIS_NONE};
  vm = jet_tf_vmap(in0, 2, none, 1, 4, NULL);
  JET_TEST_FAILS(jet_transform_graph(f->client, g, &vm, 1, false, NULL, NULL),
                 JET_INVALID_ARGUMENT, "None");

  /* A mapped argument without axis_size: a graph compiled without argument
   * types has nothing to read the size from... */
  vm = jet_tf_vmap(in0, 2, NULL, 0, 0, NULL);
  JET_TEST_FAILS(jet_compile_graph(f->client, g, &vm, 1, &e), JET_INVALID_ARGUMENT, "axis_size");
  /* ...but with the argument types (as JAX reads them from the arguments)
   * the size comes from them, and a mismatch names the argument. */
  {
    const jet_type *p0 = &g->value_types[0], *p1 = &g->value_types[1];
    jet_type at[2] = {*p0, *p1};
    at[1].rank = p1->rank + 1;
    at[1].dims[0] = 5;
    for (int32_t d = 0; d < p1->rank; d++) at[1].dims[d + 1] = p1->dims[d];
    jet_compile_options co = {.arg_types = at, .n_arg_types = 2};
    JET_TEST_OK(jet_compile_ex(f->client, g, &vm, 1, &co, &e, NULL));
    const jet_type *ot = jet_executable_output_type(e, 0);
    assert_non_null(ot);
    assert_int_equal(ot->dims[0], 5);
    at[1].dims[1] += 1;
    JET_TEST_FAILS(jet_compile_ex(f->client, g, &vm, 1, &co, &e, NULL), JET_INVALID_ARGUMENT,
                   "arg_types[1]");
  }
  /* Every argument unmapped and no axis_size. */
  const jet_axis_spec nn[2] = {JET_AXIS_NONE, JET_AXIS_NONE};
  vm = jet_tf_vmap(nn, 2, NULL, 0, 0, NULL);
  JET_TEST_FAILS(jet_compile_graph(f->client, g, &vm, 1, &e), JET_INVALID_ARGUMENT, "axis_size");

  /* in_axes of the wrong length. */
  const jet_axis_spec three[3] = {JET_AXIS(0), JET_AXIS(0), JET_AXIS(0)};
  vm = jet_tf_vmap(three, 3, NULL, 0, 4, NULL);
  JET_TEST_FAILS(jet_compile_graph(f->client, g, &vm, 1, &e), JET_INVALID_ARGUMENT, "in_axes");

  /* Mapped axes of different sizes, on a call node built without the
   * client's checks (append_node): the daemon's validation names both
   * sizes. */
  jet_graph *main_g = jet_graph_create("main");
  assert_non_null(main_g);
  jet_graph *callee = jet_graph_create_child(main_g, "matvec");
  assert_non_null(callee);
  jet_type tw = t2(R, C), tx = t1(C), tw4 = t3(4, R, C), tx5 = t2(5, C), ty = t2(4, R);
  jet_value cw, cx, cy, pw, px, r;
  JET_TEST_OK(jet_graph_add_param(callee, &tw, &cw));
  JET_TEST_OK(jet_graph_add_param(callee, &tx, &cx));
  const int64_t c1[1] = {1}, c0[1] = {0};
  jet_attr d[2];
  memset(d, 0, sizeof d);
  d[0].name = "lhs_contracting_dimensions";
  d[0].kind = JET_ATTR_INTS;
  d[0].u.ints.v = c1;
  d[0].u.ints.n = 1;
  d[1] = d[0];
  d[1].name = "rhs_contracting_dimensions";
  d[1].u.ints.v = c0;
  jet_value wx[2] = {cw, cx};
  JET_TEST_OK(jet_graph_add_node(callee, JET_OP_DOT_GENERAL, wx, 2, d, 2, NULL, NULL, 0, &cy));
  JET_TEST_OK(jet_graph_set_outputs(callee, &cy, 1));
  JET_TEST_OK(jet_graph_add_param(main_g, &tw4, &pw));
  JET_TEST_OK(jet_graph_add_param(main_g, &tx5, &px));
  jet_value ops[2] = {pw, px};
  jet_transform v0 = jet_tf_vmap(NULL, 0, NULL, 0, 0, NULL);
  JET_TEST_OK(jet_graph_append_node(main_g, JET_OP_CALL, ops, 2, NULL, 0, &ty, 1, callee, &v0, 1,
                                    &r));
  JET_TEST_OK(jet_graph_set_outputs(main_g, &r, 1));
  jet_status st = jet_compile_graph(f->client, main_g, NULL, 0, &e);
  if (!st) fail_msg("a vmap call with sizes 4 and 5 compiled");
  if (jet_status_code(st) != JET_INVALID_ARGUMENT || !strstr(jet_status_message(st), "size 4") ||
      !strstr(jet_status_message(st), "size 5") ||
      !strstr(jet_status_message(st), "inconsistent sizes"))
    fail_msg("inconsistent sizes: got %s: %s", jet_code_name(jet_status_code(st)),
             jet_status_message(st));
  jet_status_free(st);
  jet_graph_destroy(main_g);
  jet_builder_destroy(mb);
}

static void expect_cli_ok(const jet_test_fixture *f, const char *const *args,
                          jet_test_proc_result *r) {
  assert_int_equal(jet_test_run_cli(f->address, args, r), 0);
  if (r->status != 0)
    fail_msg("jet %s exited %d\nstdout: %s\nstderr: %s", args[0], r->status, r->out, r->err);
}

static char *literal(const jet_type *t, const float *data) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_literal_print(t, data, &sb);
  JET_TEST_OK(jet_strbuf_status(&sb));
  return jet_strbuf_take(&sb);
}

static void test_cli(void **state) {
  jet_test_fixture *f = *state;
  /* The matvec graph as a file. */
  jet_builder *mb = matvec();
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  JET_TEST_OK(jet_graph_print(jet_builder_graph(mb), &sb));
  char path[] = "/tmp/jet_e2e_vmap_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, sb.data, sb.len), (ssize_t)sb.len);
  close(fd);
  jet_strbuf_free(&sb);

  jet_test_proc_result r;
  const char *vm[] = {"vmap", path, "--in-axes", "none,0", "--axis-size", "7", "--axis-name",
                      "i", NULL};
  expect_cli_ok(f, vm, &r);
  assert_true(strncmp(r.out, "graph ", 6) == 0);
  assert_non_null(strstr(r.out, "f32[4,3]"));
  assert_non_null(strstr(r.out, "f32[7,3]"));
  assert_int_equal(count(r.out, "dot_general"), 1);
  assert_int_equal(count(r.out, "return "), 1);
  /* The printed graph parses. */
  jet_graph *pg = NULL;
  JET_TEST_OK(jet_graph_parse(r.out, r.out_len, &pg));
  assert_int_equal(pg->n_params, 2);
  jet_type want = t2(7, R);
  expect_type(&pg->value_types[pg->outputs[0]], &want, "jet vmap output");
  jet_graph_destroy(pg);
  jet_test_proc_result_free(&r);

  const char *vm2[] = {"vmap", path, "--in-axes=none,-1", "--out-axes=1", "--axis-size=2", NULL};
  expect_cli_ok(f, vm2, &r);
  assert_non_null(strstr(r.out, "f32[3,2]"));
  jet_test_proc_result_free(&r);

  /* A bad spec is refused before any RPC (exit 1). */
  const char *bad[] = {"vmap", path, "--in-axes", "0,x", NULL};
  assert_int_equal(jet_test_run_cli(f->address, bad, &r), 0);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "'x' is neither an integer nor 'none'"));
  jet_test_proc_result_free(&r);
  /* vmap takes no --argnums (usage error, exit 2). */
  const char *bad2[] = {"vmap", path, "--argnums", "0", NULL};
  assert_int_equal(jet_test_run_cli(f->address, bad2, &r), 0);
  assert_int_equal(r.status, 2);
  jet_test_proc_result_free(&r);
  /* An option value cannot smuggle in another spec field. */
  const char *bad4[] = {"vmap", path, "--axis-name", "a:in_axes=1", NULL};
  assert_int_equal(jet_test_run_cli(f->address, bad4, &r), 0);
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err, "may not contain ':'"));
  jet_test_proc_result_free(&r);
  /* The daemon's errors come back (exit 1): an axis out of range. */
  const char *bad3[] = {"vmap", path, "--in-axes", "none,2", "--axis-size", "2", NULL};
  assert_int_equal(jet_test_run_cli(f->address, bad3, &r), 0);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "INVALID_ARGUMENT"));
  jet_test_proc_result_free(&r);

  /* jet run --transform vmap:... prints the batched values. */
  float w[R * C], xs[2 * C];
  for (int i = 0; i < R * C; i++) w[i] = (float)(i % 5) - 2.0f;
  for (int i = 0; i < 2 * C; i++) xs[i] = (float)(i % 3);
  jet_type tw = t2(R, C), txs = t2(2, C), tout = t2(2, R);
  float want_v[2 * R];
  for (int b = 0; b < 2; b++)
    for (int i = 0; i < R; i++) {
      float s = 0;
      for (int j = 0; j < C; j++) s += w[i * C + j] * xs[b * C + j];
      want_v[b * R + i] = s; /* small integers: exact */
    }
  jet_strbuf ws;
  jet_strbuf_init(&ws);
  JET_TEST_OK(jet_format_array(&tout, want_v, &ws));
  jet_strbuf_puts(&ws, "\n");
  char *lw = literal(&tw, w), *lx = literal(&txs, xs);
  const char *run[] = {"run", path, "--transform", "vmap:in_axes=none,0:axis_size=2", lw, lx,
                       NULL};
  expect_cli_ok(f, run, &r);
  assert_string_equal(r.out, ws.data);
  jet_test_proc_result_free(&r);
  /* Without axis_size: the size comes from the arguments. */
  const char *run_sized[] = {"run", path, "--transform", "vmap:in_axes=none,0", lw, lx, NULL};
  expect_cli_ok(f, run_sized, &r);
  assert_string_equal(r.out, ws.data);
  jet_test_proc_result_free(&r);
  /* A wrong argument count names the transformed signature. */
  const char *run_bad[] = {"run", path, "--transform", "vmap:in_axes=none,0:axis_size=2", lw,
                           NULL};
  assert_int_equal(jet_test_run_cli(f->address, run_bad, &r), 0);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "takes 2 arguments"));
  jet_test_proc_result_free(&r);
  free(lw);
  free(lx);
  jet_strbuf_free(&ws);
  unlink(path);
  jet_builder_destroy(mb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matvec),
      cmocka_unit_test(test_unmapped_outputs),
      cmocka_unit_test(test_nested),
      cmocka_unit_test(test_per_example_grads),
      cmocka_unit_test(test_grad_of_vmap),
      cmocka_unit_test(test_errors_over_wire),
      cmocka_unit_test(test_cli),
  };
  return cmocka_run_group_tests(tests, jet_test_fixture_setup, jet_test_fixture_teardown);
}
