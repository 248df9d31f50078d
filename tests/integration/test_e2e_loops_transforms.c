/* End to end: transforms of loops built with libjet, requested through
 * jet_compile's transform list and run by a real jetd: grad of an RNN scan
 * loss (float64) against central finite differences of a C loop; grad of
 * a static fori_loop (a scan, so reverse mode works); vmap of the RNN scan
 * against per-example runs; vmap of a while whose predicate is batched
 * (lanes finish at different trip counts) against per-example runs; jvp of
 * a while; and grad of a while refused with an error naming while_loop. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "loops_common.h"

static const jet_type kI32 = {.dtype = JET_I32, .rank = 0};

static void test_grad_rnn_scan(void **state) {
  jet_test_fixture *f = *state;
  const rnn_dims d = {16, 8, 100};
  rnn_params p = rnn_params_make(d, 11);
  jet_type tw = jet_type_make(JET_F64, 2, (int64_t[]){16, 16});
  jet_type tu = jet_type_make(JET_F64, 2, (int64_t[]){16, 8});
  jet_type th = jet_type_make(JET_F64, 1, (int64_t[]){16});
  jet_type txs = jet_type_make(JET_F64, 2, (int64_t[]){100, 8});
  jet_arg args[5] = {jet_arg_inline(&tw, p.w), jet_arg_inline(&tu, p.u), jet_arg_inline(&th, p.b),
                     jet_arg_inline(&th, p.h0), jet_arg_inline(&txs, p.xs)};
  jet_builder *b = rnn_graph(JET_F64, d, true);
  const int32_t argnums[3] = {0, 3, 4};
  jet_transform g = jet_tf_grad(argnums, 3, false);
  jet_result r[LOOPS_MAX_OUT];
  assert_int_equal(loops_run(f->client, b, &g, 1, args, 5, r), 3);
  const double *gw = r[0].data, *gh0 = r[1].data, *gxs = r[2].data;
  assert_int_equal(r[2].nbytes, sizeof(double) * 800);
  /* Central differences of the C loop (double), on every entry of W and
   * h0 and on every 7th entry of xs. */
  const double eps = 1e-6;
  struct {
    double *v;
    const double *g;
    int n, step;
    const char *name;
  } wrt[3] = {{p.w, gw, 256, 1, "W"}, {p.h0, gh0, 16, 1, "h0"}, {p.xs, gxs, 800, 7, "xs"}};
  for (int a = 0; a < 3; a++)
    for (int i = 0; i < wrt[a].n; i += wrt[a].step) {
      const double v = wrt[a].v[i];
      wrt[a].v[i] = v + eps;
      const double lp = rnn_ref(d, p.w, p.u, p.b, p.h0, p.xs, NULL, NULL);
      wrt[a].v[i] = v - eps;
      const double lm = rnn_ref(d, p.w, p.u, p.b, p.h0, p.xs, NULL, NULL);
      wrt[a].v[i] = v;
      const double fd = (lp - lm) / (2 * eps);
      if (fabs(wrt[a].g[i] - fd) > 1e-6 * (1 + fabs(fd)))
        fail_msg("d loss / d %s[%d]: grad %.12g, finite difference %.12g", wrt[a].name, i,
                 wrt[a].g[i], fd);
    }
  jet_results_clear(r, 3);
  jet_builder_destroy(b);
  free(p.w);
}

/* grad of sum(fori_loop(0, 5, acc + x * i, acc0)) w.r.t. x is
 * 0 + 1 + 2 + 3 + 4 = 10 per element; w.r.t. acc0 it is 1. */
static void test_grad_fori_static(void **state) {
  jet_test_fixture *f = *state;
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_builder *body = jet_builder_create("step");
  jet_value x = jet_builder_param(body, &t), i = jet_builder_param(body, &kI32);
  jet_value acc = jet_builder_param(body, &t);
  jet_value nx = jet_add(body, acc, jet_mul(body, x, jet_convert(body, i, JET_F32)));
  JET_TEST_OK(jet_builder_return(body, &nx, 1));
  jet_builder *b = jet_builder_create("fori_sum");
  x = jet_builder_param(b, &t);
  acc = jet_builder_param(b, &t);
  jet_value out = jet_fori_loop(b, 0, 5, body, &x, 1, &acc, 1, NULL, 0);
  const int64_t a0[1] = {0};
  jet_value s = jet_reduce_sum(b, out, a0, 1);
  JET_TEST_OK(jet_builder_return(b, &s, 1));
  const float xv[3] = {1, 2, 3}, av[3] = {0, 0, 0};
  jet_arg args[2] = {jet_arg_inline(&t, xv), jet_arg_inline(&t, av)};
  const int32_t argnums[2] = {0, 1};
  jet_transform g = jet_tf_grad(argnums, 2, false);
  jet_result r[LOOPS_MAX_OUT];
  assert_int_equal(loops_run(f->client, b, &g, 1, args, 2, r), 2);
  const float want0[3] = {10, 10, 10}, want1[3] = {1, 1, 1};
  assert_memory_equal(r[0].data, want0, sizeof want0);
  assert_memory_equal(r[1].data, want1, sizeof want1);
  jet_results_clear(r, 2);
  jet_builder_destroy(b);
  jet_builder_destroy(body);
}

static void test_vmap_rnn_scan(void **state) {
  jet_test_fixture *f = *state;
  enum { B = 3 };
  const rnn_dims d = {16, 8, 100};
  rnn_params p = rnn_params_make(d, 5);
  double h0s[B * 16], xss[B * 800];
  loops_fill(h0s, B * 16, 21, 0.5);
  loops_fill(xss, B * 800, 22, 1.0);
  float *w = loops_to_f32(p.w, 256), *u = loops_to_f32(p.u, 128), *bb = loops_to_f32(p.b, 16);
  float *h0 = loops_to_f32(h0s, B * 16), *xs = loops_to_f32(xss, B * 800);
  jet_type tw = jet_type_make(JET_F32, 2, (int64_t[]){16, 16});
  jet_type tu = jet_type_make(JET_F32, 2, (int64_t[]){16, 8});
  jet_type th = jet_type_make(JET_F32, 1, (int64_t[]){16});
  jet_type txs = jet_type_make(JET_F32, 2, (int64_t[]){100, 8});
  jet_type thb = jet_type_make(JET_F32, 2, (int64_t[]){B, 16});
  jet_type txsb = jet_type_make(JET_F32, 3, (int64_t[]){B, 100, 8});
  jet_builder *b = rnn_graph(JET_F32, d, false);
  const jet_axis_spec in[5] = {JET_AXIS_NONE, JET_AXIS_NONE, JET_AXIS_NONE, JET_AXIS(0),
                               JET_AXIS(0)};
  jet_transform vm = jet_tf_vmap(in, 5, NULL, 0, B, NULL);
  jet_arg args[5] = {jet_arg_inline(&tw, w), jet_arg_inline(&tu, u), jet_arg_inline(&th, bb),
                     jet_arg_inline(&thb, h0), jet_arg_inline(&txsb, xs)};
  jet_result rb[LOOPS_MAX_OUT], r1[LOOPS_MAX_OUT];
  assert_int_equal(loops_run(f->client, b, &vm, 1, args, 5, rb), 2);
  assert_int_equal(rb[1].nbytes, sizeof(float) * B * 1600);
  for (int k = 0; k < B; k++) {
    args[3] = jet_arg_inline(&th, h0 + 16 * k);
    args[4] = jet_arg_inline(&txs, xs + 800 * k);
    assert_int_equal(loops_run(f->client, b, NULL, 0, args, 5, r1), 2);
    const float *bh = (const float *)rb[0].data + 16 * k;
    const float *bhs = (const float *)rb[1].data + 1600 * k;
    const float *h = r1[0].data, *hs = r1[1].data;
    for (int i = 0; i < 16; i++)
      if (fabsf(bh[i] - h[i]) > 1e-6f) fail_msg("example %d: h[%d] %g vs %g", k, i, bh[i], h[i]);
    for (int i = 0; i < 1600; i++)
      if (fabsf(bhs[i] - hs[i]) > 1e-6f)
        fail_msg("example %d: hs[%d] %g vs %g", k, i, bhs[i], hs[i]);
    jet_results_clear(r1, 2);
  }
  jet_results_clear(rb, 2);
  jet_builder_destroy(b);
  free(w), free(u), free(bb), free(h0), free(xs), free(p.w);
}

/* sqrt(a) of a scalar by Newton, carrying (x, trips) while
 * |x*x - a| > 1e-6 * a: vmapped over a, the predicate is batched. */
static jet_builder *newton_scalar(void) {
  jet_type ts = jet_type_scalar(JET_F32);
  const float tol = 1e-6f, half = 0.5f;
  const int32_t one = 1, zero = 0;
  jet_builder *cond = jet_builder_create("unconverged");
  jet_value a = jet_builder_param(cond, &ts), x = jet_builder_param(cond, &ts);
  jet_builder_param(cond, &kI32);
  jet_value res = jet_abs(cond, jet_sub(cond, jet_mul(cond, x, x), a));
  jet_value go = jet_gt(cond, res, jet_mul(cond, a, jet_constant(cond, &ts, &tol)));
  JET_TEST_OK(jet_builder_return(cond, &go, 1));
  jet_builder *body = jet_builder_create("step");
  a = jet_builder_param(body, &ts);
  x = jet_builder_param(body, &ts);
  jet_value it = jet_builder_param(body, &kI32);
  jet_value outs[2] = {
      jet_mul(body, jet_constant(body, &ts, &half), jet_add(body, x, jet_div(body, a, x))),
      jet_add(body, it, jet_constant(body, &kI32, &one))};
  JET_TEST_OK(jet_builder_return(body, outs, 2));
  jet_builder *b = jet_builder_create("newton");
  a = jet_builder_param(b, &ts);
  jet_value init[2] = {a, jet_constant(b, &kI32, &zero)}, r[2];
  jet_while(b, cond, body, &a, 1, init, 2, r, 2);
  JET_TEST_OK(jet_builder_return(b, r, 2));
  jet_builder_destroy(cond);
  jet_builder_destroy(body);
  return b;
}

static void test_vmap_while_batched_predicate(void **state) {
  jet_test_fixture *f = *state;
  enum { B = 5 };
  const float a[B] = {1, 2, 0.01f, 1e4f, 1e7f}; /* 0 to ~15 trips */
  jet_builder *b = newton_scalar();
  jet_type tb = jet_type_make(JET_F32, 1, (int64_t[]){B}), ts = jet_type_scalar(JET_F32);
  /* Each example alone first (the unbatched while), then all at once. */
  float x1[B];
  int32_t it1[B];
  jet_result rb[LOOPS_MAX_OUT], r1[LOOPS_MAX_OUT];
  int min_it = 1000, max_it = 0;
  for (int k = 0; k < B; k++) {
    jet_arg arg = jet_arg_inline(&ts, &a[k]);
    assert_int_equal(loops_run(f->client, b, NULL, 0, &arg, 1, r1), 2);
    x1[k] = *(const float *)r1[0].data;
    it1[k] = *(const int32_t *)r1[1].data;
    jet_results_clear(r1, 2);
    if (fabs(x1[k] - sqrt((double)a[k])) > 1e-6 * sqrt((double)a[k]))
      fail_msg("sqrt(%g) = %g", (double)a[k], (double)x1[k]);
    min_it = it1[k] < min_it ? it1[k] : min_it;
    max_it = it1[k] > max_it ? it1[k] : max_it;
  }
  assert_true(min_it == 0 && max_it > 5); /* the lanes really finish apart */
  jet_transform vm = jet_tf_vmap(NULL, 0, NULL, 0, B, NULL);
  jet_arg arg = jet_arg_inline(&tb, a);
  assert_int_equal(loops_run(f->client, b, &vm, 1, &arg, 1, rb), 2);
  const float *bx = rb[0].data;
  const int32_t *bit = rb[1].data;
  for (int k = 0; k < B; k++)
    if (bx[k] != x1[k] || bit[k] != it1[k])
      fail_msg("lane %d (a = %g): batched (%.9g, %d trips), alone (%.9g, %d trips)", k,
               (double)a[k], (double)bx[k], bit[k], (double)x1[k], it1[k]);
  jet_results_clear(rb, 2);
  jet_builder_destroy(b);
}

static void test_jvp_and_grad_of_while(void **state) {
  jet_test_fixture *f = *state;
  jet_builder *b = newton_scalar();
  jet_type ts = jet_type_scalar(JET_F32);
  const float a = 2.0f, ta = 1.0f;
  jet_transform jv = jet_tf_jvp(false);
  jet_arg args[3] = {jet_arg_inline(&ts, &a), jet_arg_inline(&ts, &ta)};
  jet_result r[LOOPS_MAX_OUT];
  /* jvp: (a, da) -> (x, trips, dx, dtrips): dx = da / (2 sqrt(a)). */
  size_t n = loops_run(f->client, b, &jv, 1, args, 2, r);
  assert_true(n >= 3);
  const float x = *(const float *)r[0].data, dx = *(const float *)r[2].data;
  assert_true(fabs(x - sqrt(2.0)) < 1e-6);
  if (fabs(dx - 1 / (2 * sqrt(2.0))) > 1e-5) fail_msg("jvp of while: dx = %.9g", (double)dx);
  jet_results_clear(r, n);
  /* grad: refused, as JAX refuses reverse mode of while_loop. */
  jet_builder *s = jet_builder_create("newton_x");
  jet_value av = jet_builder_param(s, &ts), outs[2];
  jet_call(s, b, &av, 1, NULL, 0, outs, 2);
  JET_TEST_OK(jet_builder_return(s, outs, 1));
  jet_transform g = jet_tf_grad(NULL, 0, false);
  jet_executable *e;
  jet_status st = jet_compile(f->client, s, &g, 1, &e);
  if (!st) fail_msg("grad of a while compiled; expected an error naming while_loop");
  if (!strstr(jet_status_message(st), "while_loop"))
    fail_msg("grad of while: '%s' does not name while_loop", jet_status_message(st));
  jet_status_free(st);
  jet_builder_destroy(s);
  jet_builder_destroy(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grad_rnn_scan),
      cmocka_unit_test(test_grad_fori_static),
      cmocka_unit_test(test_vmap_rnn_scan),
      cmocka_unit_test(test_vmap_while_batched_predicate),
      cmocka_unit_test(test_jvp_and_grad_of_while),
  };
  return cmocka_run_group_tests(tests, loops_setup, jet_test_fixture_teardown);
}
