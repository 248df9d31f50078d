/* End to end: the loop builders of libjet (jet_fori_loop with static and
 * traced bounds, jet_while, jet_scan forwards and reversed) and cond/switch
 * on traced predicates (also inside a scan body), compiled and run by a
 * real jetd, against hand-written C loops: a fori_loop sum, a Newton
 * iteration for sqrt, a cumulative sum, an RNN over 100 steps; the
 * builders' signature errors; the jet CLI printing and running
 * tests/data/while.jet and tests/data/scan.jet. The transforms of loops
 * (grad, jvp, vmap) are in test_e2e_loops_transforms.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <unistd.h>

#include "loops_common.h"

static const jet_type kI32 = {.dtype = JET_I32, .rank = 0};

/* The only control node of b's graph has op `op`. */
static void expect_lowered_to(jet_builder *b, jet_op op) {
  const jet_graph *g = jet_builder_graph(b);
  int n = 0;
  for (uint32_t i = 0; i < g->n_nodes; i++)
    if (jet_op_takes_subgraphs(g->nodes[i].op)) {
      assert_int_equal(g->nodes[i].op, op);
      n++;
    }
  assert_int_equal(n, 1);
}

/* fori body (x: f32[4] const, i, acc: f32[4], n: i32[]) ->
 * (acc + x * f32(i), n + i * i). */
static jet_builder *fori_body(void) {
  jet_builder *c = jet_builder_create("step");
  jet_type t4 = jet_type_make(JET_F32, 1, (int64_t[]){4});
  jet_value x = jet_builder_param(c, &t4), i = jet_builder_param(c, &kI32);
  jet_value acc = jet_builder_param(c, &t4), n = jet_builder_param(c, &kI32);
  jet_value fi = jet_convert(c, i, JET_F32);
  jet_value out[2] = {jet_add(c, acc, jet_mul(c, x, fi)), jet_add(c, n, jet_mul(c, i, i))};
  JET_TEST_OK(jet_builder_return(c, out, 2));
  return c;
}

static void check_fori(jet_client *c, jet_builder *b, int lo, int hi, bool dynamic) {
  static const float x[4] = {1, -2, 0.5f, 3};
  jet_type t4 = jet_type_make(JET_F32, 1, (int64_t[]){4});
  const float acc0[4] = {10, 20, 30, 40};
  const int32_t n0 = 7, lo32 = lo, hi32 = hi;
  jet_arg args[5] = {jet_arg_inline(&t4, x), jet_arg_inline(&t4, acc0), jet_arg_inline(&kI32, &n0),
                     jet_arg_inline(&kI32, &lo32), jet_arg_inline(&kI32, &hi32)};
  jet_result r[LOOPS_MAX_OUT];
  assert_int_equal(loops_run(c, b, NULL, 0, args, dynamic ? 5 : 3, r), 2);
  float acc[4];
  memcpy(acc, acc0, sizeof acc);
  int32_t n = n0;
  for (int i = lo; i < hi; i++) {
    for (int k = 0; k < 4; k++) acc[k] += x[k] * (float)i;
    n += i * i;
  }
  const float *got = r[0].data;
  for (int k = 0; k < 4; k++)
    if (got[k] != acc[k])
      fail_msg("fori [%d, %d)%s: acc[%d] = %g, want %g", lo, hi, dynamic ? " dynamic" : "", k,
               got[k], acc[k]);
  assert_int_equal(*(const int32_t *)r[1].data, n);
  jet_results_clear(r, 2);
}

static jet_builder *fori_graph(int lo, int hi, bool dynamic) {
  jet_builder *body = fori_body(), *b = jet_builder_create("fori");
  jet_type t4 = jet_type_make(JET_F32, 1, (int64_t[]){4});
  jet_value x = jet_builder_param(b, &t4);
  jet_value init[2] = {jet_builder_param(b, &t4), jet_builder_param(b, &kI32)};
  jet_value out[2] = {JET_NO_VALUE, JET_NO_VALUE}, first;
  if (dynamic) {
    jet_value l = jet_builder_param(b, &kI32), h = jet_builder_param(b, &kI32);
    first = jet_fori_loop_dynamic(b, l, h, body, &x, 1, init, 2, out, 2);
  } else {
    first = jet_fori_loop(b, lo, hi, body, &x, 1, init, 2, out, 2);
  }
  jet_builder_destroy(body);
  assert_int_not_equal(first, JET_NO_VALUE);
  assert_int_equal(first, out[0]);
  assert_int_equal(out[1], out[0] + 1);
  JET_TEST_OK(jet_builder_return(b, out, 2));
  expect_lowered_to(b, dynamic ? JET_OP_WHILE : JET_OP_SCAN);
  return b;
}

static void test_fori_loop_sum(void **state) {
  jet_test_fixture *f = *state;
  static const int bounds[][2] = {{0, 10}, {3, 17}, {-5, 4}, {6, 6}, {9, 2}};
  for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++) {
    jet_builder *b = fori_graph(bounds[k][0], bounds[k][1], false);
    check_fori(f->client, b, bounds[k][0], bounds[k][1], false);
    jet_builder_destroy(b);
  }
  jet_builder *d = fori_graph(0, 0, true); /* one executable, traced bounds */
  for (size_t k = 0; k < sizeof bounds / sizeof bounds[0]; k++)
    check_fori(f->client, d, bounds[k][0], bounds[k][1], true);
  jet_builder_destroy(d);
}

/* Newton's iteration for sqrt(a), a: f32[5] (a loop constant), carrying
 * (x, iterations) while max |x*x - a| / a > 1e-7 and iterations < 60. */
static jet_builder *newton_graph(int64_t n) {
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){n}), ts = jet_type_scalar(JET_F32);
  const int64_t a0[1] = {0};
  jet_builder *cond = jet_builder_create("unconverged");
  jet_value a = jet_builder_param(cond, &t), x = jet_builder_param(cond, &t);
  jet_value it = jet_builder_param(cond, &kI32);
  const float tol = 1e-7f;
  const int32_t cap = 60;
  jet_value res = jet_div(cond, jet_abs(cond, jet_sub(cond, jet_mul(cond, x, x), a)), a);
  jet_value big = jet_gt(cond, jet_reduce_max(cond, res, a0, 1), jet_constant(cond, &ts, &tol));
  jet_value go = jet_and(cond, big, jet_lt(cond, it, jet_constant(cond, &kI32, &cap)));
  JET_TEST_OK(jet_builder_return(cond, &go, 1));

  jet_builder *body = jet_builder_create("newton_step");
  a = jet_builder_param(body, &t);
  x = jet_builder_param(body, &t);
  it = jet_builder_param(body, &kI32);
  const float half = 0.5f;
  const int32_t one = 1;
  jet_value h = jet_broadcast_in_dim(body, jet_constant(body, &ts, &half), &n, 1, NULL, 0);
  jet_value outs[2] = {jet_mul(body, h, jet_add(body, x, jet_div(body, a, x))),
                       jet_add(body, it, jet_constant(body, &kI32, &one))};
  JET_TEST_OK(jet_builder_return(body, outs, 2));

  jet_builder *b = jet_builder_create("newton_sqrt");
  a = jet_builder_param(b, &t);
  const int32_t zero = 0;
  jet_value init[2] = {a, jet_constant(b, &kI32, &zero)};
  jet_value r[2];
  assert_int_not_equal(jet_while(b, cond, body, &a, 1, init, 2, r, 2), JET_NO_VALUE);
  jet_builder_destroy(cond);
  jet_builder_destroy(body);
  JET_TEST_OK(jet_builder_return(b, r, 2));
  return b;
}

static void test_while_newton(void **state) {
  jet_test_fixture *f = *state;
  static const float a[5] = {2, 9, 0.25f, 1e4f, 123.456f};
  jet_builder *b = newton_graph(5);
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){5});
  jet_arg arg = jet_arg_inline(&t, a);
  jet_result r[LOOPS_MAX_OUT];
  assert_int_equal(loops_run(f->client, b, NULL, 0, &arg, 1, r), 2);
  /* The same iteration in C (float, one lane at a time). */
  float x[5];
  memcpy(x, a, sizeof x);
  int iters = 0;
  for (;;) {
    float worst = 0;
    for (int k = 0; k < 5; k++) {
      float e = fabsf(x[k] * x[k] - a[k]) / a[k];
      if (e > worst) worst = e;
    }
    if (!(worst > 1e-7f) || iters >= 60) break;
    for (int k = 0; k < 5; k++) x[k] = 0.5f * (x[k] + a[k] / x[k]);
    iters++;
  }
  const float *got = r[0].data;
  const int32_t got_it = *(const int32_t *)r[1].data;
  for (int k = 0; k < 5; k++) {
    const double want = sqrt((double)a[k]);
    if (fabs(got[k] - want) > 1e-6 * want)
      fail_msg("sqrt(%g): got %.9g, want %.9g", (double)a[k], (double)got[k], want);
  }
  if (abs(got_it - iters) > 1) fail_msg("%d iterations, the C loop took %d", got_it, iters);
  assert_true(got_it > 5 && got_it < 60);
  jet_results_clear(r, 2);
  jet_builder_destroy(b);
}

/* cumsum over xs: f32[L, 3] by a scan (c, x) -> (c + x, c + x). */
static void test_scan_cumsum(void **state) {
  jet_test_fixture *f = *state;
  enum { L = 6 };
  jet_type t3 = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_type txs = jet_type_make(JET_F32, 2, (int64_t[]){L, 3});
  jet_builder *body = jet_builder_create("add");
  jet_value c = jet_builder_param(body, &t3), x = jet_builder_param(body, &t3);
  jet_value s = jet_add(body, c, x), bo[2] = {s, s};
  JET_TEST_OK(jet_builder_return(body, bo, 2));
  float xs[L * 3], c0[3] = {0.5f, -1, 100};
  for (int i = 0; i < L * 3; i++) xs[i] = (float)((i * 7) % 11) - 4.25f;
  for (int rev = 0; rev < 2; rev++) {
    jet_builder *b = jet_builder_create("cumsum");
    jet_value init = jet_builder_param(b, &t3), xv = jet_builder_param(b, &txs), out[2];
    assert_int_not_equal(jet_scan(b, body, NULL, 0, &init, 1, &xv, 1, L, rev, out, 2),
                         JET_NO_VALUE);
    JET_TEST_OK(jet_builder_return(b, out, 2));
    jet_arg args[2] = {jet_arg_inline(&t3, c0), jet_arg_inline(&txs, xs)};
    jet_result r[LOOPS_MAX_OUT];
    assert_int_equal(loops_run(f->client, b, NULL, 0, args, 2, r), 2);
    assert_int_equal(r[1].type.rank, 2);
    assert_int_equal(r[1].type.dims[0], L);
    float acc[3], ys[L * 3];
    memcpy(acc, c0, sizeof acc);
    for (int k = 0; k < L; k++) {
      const int i = rev ? L - 1 - k : k;
      for (int j = 0; j < 3; j++) ys[i * 3 + j] = acc[j] += xs[i * 3 + j];
    }
    assert_memory_equal(r[0].data, acc, sizeof acc);
    assert_memory_equal(r[1].data, ys, sizeof ys);
    jet_results_clear(r, 2);
    jet_builder_destroy(b);
  }
  jet_builder_destroy(body);
}

static void test_scan_rnn(void **state) {
  jet_test_fixture *f = *state;
  const rnn_dims d = {16, 8, 100};
  rnn_params p = rnn_params_make(d, 7);
  double hT[16], *hs = malloc(sizeof(double) * d.T * d.H);
  assert_non_null(hs);
  rnn_ref(d, p.w, p.u, p.b, p.h0, p.xs, hT, hs);
  float *w = loops_to_f32(p.w, 256), *u = loops_to_f32(p.u, 128), *bb = loops_to_f32(p.b, 16);
  float *h0 = loops_to_f32(p.h0, 16), *xs = loops_to_f32(p.xs, 800);
  jet_type tw = jet_type_make(JET_F32, 2, (int64_t[]){16, 16});
  jet_type tu = jet_type_make(JET_F32, 2, (int64_t[]){16, 8});
  jet_type th = jet_type_make(JET_F32, 1, (int64_t[]){16});
  jet_type txs = jet_type_make(JET_F32, 2, (int64_t[]){100, 8});
  jet_arg args[5] = {jet_arg_inline(&tw, w), jet_arg_inline(&tu, u), jet_arg_inline(&th, bb),
                     jet_arg_inline(&th, h0), jet_arg_inline(&txs, xs)};
  jet_builder *b = rnn_graph(JET_F32, d, false);
  jet_result r[LOOPS_MAX_OUT];
  assert_int_equal(loops_run(f->client, b, NULL, 0, args, 5, r), 2);
  assert_int_equal(r[1].nbytes, sizeof(float) * 1600);
  const float *gh = r[0].data, *ghs = r[1].data;
  double worst = 0;
  for (int i = 0; i < 16; i++) worst = fmax(worst, fabs(gh[i] - hT[i]));
  for (int i = 0; i < 1600; i++) worst = fmax(worst, fabs(ghs[i] - hs[i]));
  if (worst > 1e-5) fail_msg("RNN: max |jet - C| = %g > 1e-5", worst);
  jet_results_clear(r, 2);
  jet_builder_destroy(b);
  free(w), free(u), free(bb), free(h0), free(xs), free(hs), free(p.w);
}

/* One branch (x) -> op(x) on f32[3]. */
static jet_builder *unary(const char *name, jet_value (*op)(jet_builder *, jet_value)) {
  jet_builder *b = jet_builder_create(name);
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_value x = jet_builder_param(b, &t), y = op ? op(b, x) : x;
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  return b;
}

/* A scan over xs: f32[5,3] whose body picks, by traced values, a branch of
 * lax.switch (index = clamp(i32(floor(sum x)))) over neg / square / id,
 * then lax.cond(sum(c) > 0, c + y, c - y). Checked against C. */
static void test_cond_switch_traced(void **state) {
  jet_test_fixture *f = *state;
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_type txs = jet_type_make(JET_F32, 2, (int64_t[]){5, 3});
  const int64_t a0[1] = {0};
  jet_builder *sw[3] = {unary("neg", jet_neg), unary("square", jet_square), unary("id", NULL)};
  jet_builder *pm[2] = {jet_builder_create("minus"), jet_builder_create("plus")};
  for (int k = 0; k < 2; k++) {
    jet_value c = jet_builder_param(pm[k], &t), y = jet_builder_param(pm[k], &t);
    jet_value r = k ? jet_add(pm[k], c, y) : jet_sub(pm[k], c, y);
    JET_TEST_OK(jet_builder_return(pm[k], &r, 1));
  }
  jet_builder *body = jet_builder_create("pick");
  jet_value c = jet_builder_param(body, &t), x = jet_builder_param(body, &t);
  jet_value idx = jet_convert(body, jet_floor(body, jet_reduce_sum(body, x, a0, 1)), JET_I32);
  jet_value y = jet_cond(body, idx, sw, 3, &x, 1, NULL, 0);
  const float zero = 0;
  jet_type ts = jet_type_scalar(JET_F32);
  jet_value pos = jet_gt(body, jet_reduce_sum(body, c, a0, 1), jet_constant(body, &ts, &zero));
  jet_value cy[2] = {c, y};
  jet_value cn = jet_cond(body, pos, pm, 2, cy, 2, NULL, 0);
  jet_value bo[2] = {cn, idx};
  JET_TEST_OK(jet_builder_return(body, bo, 2));
  jet_builder *b = jet_builder_create("traced_branches");
  jet_value init = jet_builder_param(b, &t), xs = jet_builder_param(b, &txs), out[2];
  jet_scan(b, body, NULL, 0, &init, 1, &xs, 1, 5, false, out, 2);
  JET_TEST_OK(jet_builder_return(b, out, 2));
  /* Rows whose sums floor to -3, 0, 1, 2, 7 (index clamps to 0 and 2). */
  const float xv[15] = {-1, -1, -0.5f, 0.25f, 0.25f, 0, 0.5f, 0.5f, 0.5f,
                        1, 0.5f, 0.75f, 2, 3, 2.5f};
  const float c0[3] = {0.5f, 0, 0};
  jet_arg args[2] = {jet_arg_inline(&t, c0), jet_arg_inline(&txs, xv)};
  jet_result r[LOOPS_MAX_OUT];
  assert_int_equal(loops_run(f->client, b, NULL, 0, args, 2, r), 2);
  float acc[3];
  int32_t want_idx[5];
  memcpy(acc, c0, sizeof acc);
  for (int i = 0; i < 5; i++) {
    const float *row = xv + 3 * i;
    float yr[3];
    want_idx[i] = (int32_t)floorf(row[0] + row[1] + row[2]);
    const int br = want_idx[i] < 0 ? 0 : want_idx[i] > 2 ? 2 : want_idx[i];
    for (int j = 0; j < 3; j++) yr[j] = br == 0 ? -row[j] : br == 1 ? row[j] * row[j] : row[j];
    const bool p = acc[0] + acc[1] + acc[2] > 0;
    for (int j = 0; j < 3; j++) acc[j] = p ? acc[j] + yr[j] : acc[j] - yr[j];
  }
  assert_memory_equal(r[0].data, acc, sizeof acc);
  assert_memory_equal(r[1].data, want_idx, sizeof want_idx);
  jet_results_clear(r, 2);
  jet_builder_destroy(b);
  jet_builder_destroy(body);
  for (int k = 0; k < 3; k++) jet_builder_destroy(sw[k]);
  for (int k = 0; k < 2; k++) jet_builder_destroy(pm[k]);
}

static void expect_builder_error(jet_builder *b, const char *needle) {
  jet_status st = jet_builder_status(b);
  if (!st) fail_msg("no builder error; expected one mentioning '%s'", needle);
  if (!strstr(jet_status_message(st), needle))
    fail_msg("builder error '%s' does not mention '%s'", jet_status_message(st), needle);
  jet_status_free(st);
}

static void test_builder_errors(void **state) {
  (void)state;
  jet_type t4 = jet_type_make(JET_F32, 1, (int64_t[]){4});
  jet_builder *body = fori_body();
  /* fori_loop: the body takes a const, but none is passed. */
  jet_builder *b = jet_builder_create("e1");
  jet_value init[2] = {jet_builder_param(b, &t4), jet_builder_param(b, &kI32)};
  assert_int_equal(jet_fori_loop(b, 0, 3, body, NULL, 0, init, 2, NULL, 0), JET_NO_VALUE);
  expect_builder_error(b, "jet_fori_loop: fori_loop: the body takes 4 parameters but fori_loop "
                          "passes 3");
  jet_builder_destroy(b);
  /* carry 1 of the wrong type. */
  b = jet_builder_create("e2");
  jet_value x = jet_builder_param(b, &t4);
  init[0] = jet_builder_param(b, &t4);
  init[1] = jet_builder_param(b, &t4);
  assert_int_equal(jet_fori_loop(b, 0, 3, body, &x, 1, init, 2, NULL, 0), JET_NO_VALUE);
  expect_builder_error(b, "the body's parameter 3 is i32[] but carry 1 is f32[4]");
  jet_builder_destroy(b);
  /* dynamic bounds must be i32 scalars. */
  b = jet_builder_create("e3");
  x = jet_builder_param(b, &t4);
  init[0] = jet_builder_param(b, &t4);
  init[1] = jet_builder_param(b, &kI32);
  assert_int_equal(jet_fori_loop_dynamic(b, init[1], x, body, &x, 1, init, 2, NULL, 0),
                   JET_NO_VALUE);
  expect_builder_error(b, "the upper bound must be an i32 scalar, got f32[4]");
  jet_builder_destroy(b);
  /* while: the body used as cond returns no bool; scan: xs too short. */
  b = jet_builder_create("e4");
  x = jet_builder_param(b, &t4);
  jet_value i = jet_builder_param(b, &kI32), carry[3] = {i, x, i};
  assert_int_equal(jet_while(b, body, body, &x, 1, carry, 3, NULL, 0), JET_NO_VALUE);
  expect_builder_error(b, "while: the cond graph must return one bool scalar, it returns 2");
  jet_builder_destroy(b);
  b = jet_builder_create("e5");
  x = jet_builder_param(b, &t4);
  jet_type txs = jet_type_make(JET_F32, 2, (int64_t[]){3, 4});
  jet_value xs = jet_builder_param(b, &txs);
  assert_int_equal(jet_scan(b, body, NULL, 0, &x, 1, &xs, 1, 4, false, NULL, 0), JET_NO_VALUE);
  expect_builder_error(b, "scan: xs 0 is f32[3,4]; it needs a leading axis of the scan length 4");
  jet_builder_destroy(b);
  /* A failed body builder is reported as such. */
  jet_builder *broken = jet_builder_create("broken");
  jet_builder_param(broken, &t4);
  jet_add(broken, JET_NO_VALUE, 0);
  b = jet_builder_create("e6");
  x = jet_builder_param(b, &t4);
  assert_int_equal(jet_scan(b, broken, NULL, 0, &x, 1, NULL, 0, 2, false, NULL, 0), JET_NO_VALUE);
  expect_builder_error(b, "jet_scan: the body graph: jet_add");
  jet_builder_destroy(b);
  jet_builder_destroy(broken);
  jet_builder_destroy(body);
}

static void cli_run(const jet_test_fixture *f, const char *const *args, const char *want) {
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_cli(f->address, args, &r), 0);
  if (r.status != 0 || strcmp(r.out, want) != 0)
    fail_msg("jet %s %s exited %d\nstdout:\n%s\nwant:\n%s\nstderr: %s", args[0], args[1],
             r.status, r.out, want, r.err);
  jet_test_proc_result_free(&r);
}

static void test_cli_while_scan(void **state) {
  jet_test_fixture *f = *state;
  const char *wpath = JET_SOURCE_DIR "/tests/data/while.jet";
  const char *spath = JET_SOURCE_DIR "/tests/data/scan.jet";
  if (access(wpath, R_OK) != 0 || access(spath, R_OK) != 0) fail_msg("tests/data files missing");
  jet_test_proc_result r;
  const char *pw[] = {"print", wpath, NULL};
  assert_int_equal(jet_test_run_cli(f->address, pw, &r), 0);
  assert_int_equal(r.status, 0);
  assert_non_null(strstr(r.out, "%3, %4 = while[n_consts=1] %0, %1, %2 : i32[], f32[3] {\n"
                                "    graph cond("));
  jet_test_proc_result_free(&r);
  /* n = 3 trips from i = 0: x -> 8 (x + 1) - 1; from i = 5: no trip. */
  const char *w1[] = {"run", wpath, "i32[] 3", "i32[] 0", "f32[3]{0, 1, -1}", NULL};
  cli_run(f, w1, "3\n[ 7. 15. -1.]\n");
  const char *w2[] = {"run", wpath, "i32[] 3", "i32[] 5", "f32[3]{0, 1, -1}", NULL};
  cli_run(f, w2, "5\n[ 0.  1. -1.]\n");
  /* scale 2 over rows [1 2] [3 4] [5 6] [7 8], forwards and reversed. */
  const char *s1[] = {"run", spath, "f32[] 2", "f32[4,2]{1, 2, 3, 4, 5, 6, 7, 8}", NULL};
  cli_run(f, s1,
          "[32. 40.]\n[[ 2.  4.]\n [ 8. 12.]\n [18. 24.]\n [32. 40.]]\n"
          "[32. 40.]\n[[32. 40.]\n [30. 36.]\n [24. 28.]\n [14. 16.]]\n");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fori_loop_sum),    cmocka_unit_test(test_while_newton),
      cmocka_unit_test(test_scan_cumsum),      cmocka_unit_test(test_scan_rnn),
      cmocka_unit_test(test_cond_switch_traced), cmocka_unit_test(test_builder_errors),
      cmocka_unit_test(test_cli_while_scan),
  };
  return cmocka_run_group_tests(tests, loops_setup, jet_test_fixture_teardown);
}
