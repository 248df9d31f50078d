/* End to end: autodiff through the wire. The tutorial's grad section
 * (grad(square)(3.0), grad(cos(x**2))(sqrt(pi/2)), f(x, y) = x * y**2 with
 * argnums=1 and (0, 1), grad(norm)([1, 2, 3])) through libjet against a real
 * jetd in float32; the example program's lines; TransformGraph (make_jaxpr);
 * the jet CLI's grad and run --transform; errors over the wire; and
 * jit(lambda x: grad(f)(x) * 2) as a call node carrying a grad transform.
 * Expected values are computed here in double precision from the formulas. */
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

#define REL_TOL 1e-6

static void expect_close(float got, double want, const char *what) {
  double err = fabs((double)got - want);
  double scale = fabs(want) > 1e-30 ? fabs(want) : 1.0;
  if (err / scale > REL_TOL) fail_msg("%s: got %.9g, want %.9g", what, (double)got, want);
}

/* Compiles b under tf (n_tf transforms), runs it on inline args and
 * returns every output as floats in out (cap floats in all). */
static size_t run_f32(jet_client *c, jet_builder *b, const jet_transform *tf, size_t n_tf,
                      const jet_arg *args, size_t n_args, float *out, size_t cap) {
  jet_executable *e;
  JET_TEST_OK(jet_compile(c, b, tf, n_tf, &e));
  size_t n = jet_executable_num_outputs(e);
  jet_result r[8];
  memset(r, 0, sizeof r);
  assert_true(n >= 1 && n <= 8);
  JET_TEST_OK(jet_execute_inline(e, args, n_args, r, n));
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    assert_int_equal(r[i].type.dtype, JET_F32);
    size_t m = r[i].nbytes / sizeof(float);
    assert_true(k + m <= cap);
    memcpy(out + k, r[i].data, m * sizeof(float));
    k += m;
  }
  jet_results_clear(r, n);
  return k;
}

static jet_builder *unary_graph(const char *name, const jet_type *t, int which) {
  jet_builder *b = jet_builder_create(name);
  assert_non_null(b);
  jet_value x = jet_builder_param(b, t), y;
  const int64_t axes[1] = {0};
  switch (which) {
    case 0: y = jet_square(b, x); break;
    case 1: y = jet_cos(b, jet_integer_pow(b, x, 2)); break;
    default: y = jet_sqrt(b, jet_reduce_sum(b, jet_mul(b, x, x), axes, 1)); break;
  }
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  return b;
}

/* f(x, y) = x * y**2 */
static jet_builder *f_graph(void) {
  jet_type s = jet_type_scalar(JET_F32);
  jet_builder *b = jet_builder_create("f");
  assert_non_null(b);
  jet_value x = jet_builder_param(b, &s);
  jet_value y = jet_builder_param(b, &s);
  jet_value r = jet_mul(b, x, jet_integer_pow(b, y, 2));
  JET_TEST_OK(jet_builder_return(b, &r, 1));
  return b;
}

static void test_tutorial_values(void **state) {
  jet_test_fixture *f = *state;
  jet_type s = jet_type_scalar(JET_F32);
  jet_transform g = jet_tf_grad(NULL, 0, false);
  float out[8];

  jet_builder *b = unary_graph("square", &s, 0);
  const float three = 3.0f;
  jet_arg a3 = jet_arg_inline(&s, &three);
  assert_int_equal(run_f32(f->client, b, &g, 1, &a3, 1, out, 8), 1);
  expect_close(out[0], 2.0 * 3.0, "grad(square)(3.0)");
  jet_builder_destroy(b);

  b = unary_graph("composite_func", &s, 1);
  const float x = sqrtf((float)(M_PI / 2));
  jet_arg ax = jet_arg_inline(&s, &x);
  assert_int_equal(run_f32(f->client, b, &g, 1, &ax, 1, out, 8), 1);
  double xd = x;
  expect_close(out[0], -2.0 * xd * sin(xd * xd), "grad(composite_func)(sqrt(pi/2))");
  /* -2 sqrt(pi/2) to float32 precision, as the tutorial prints. */
  expect_close(out[0], -2.0 * sqrt(M_PI / 2), "grad(composite_func) vs -2*sqrt(pi/2)");
  jet_builder_destroy(b);

  b = f_graph();
  const float xv = 3.0f, yv = 4.0f;
  jet_arg args[2] = {jet_arg_inline(&s, &xv), jet_arg_inline(&s, &yv)};
  const int32_t one[1] = {1}, both[2] = {0, 1};
  jet_transform dfdy = jet_tf_grad(one, 1, false);
  assert_int_equal(run_f32(f->client, b, &dfdy, 1, args, 2, out, 8), 1);
  expect_close(out[0], 2.0 * 3.0 * 4.0, "dfdy(3.0, 4.0)");
  jet_transform gr = jet_tf_grad(both, 2, false);
  assert_int_equal(run_f32(f->client, b, &gr, 1, args, 2, out, 8), 2);
  expect_close(out[0], 4.0 * 4.0, "gradient(3.0, 4.0)[0]");
  expect_close(out[1], 2.0 * 3.0 * 4.0, "gradient(3.0, 4.0)[1]");
  /* value_and_grad gives the value first. */
  jet_transform vg = jet_tf_value_and_grad(both, 2, false);
  assert_int_equal(run_f32(f->client, b, &vg, 1, args, 2, out, 8), 3);
  expect_close(out[0], 3.0 * 16.0, "value_and_grad value");
  expect_close(out[2], 24.0, "value_and_grad grad[1]");
  jet_builder_destroy(b);

  int64_t three_n = 3;
  jet_type vec = jet_type_make(JET_F32, 1, &three_n);
  const float a[3] = {1, 2, 3};
  b = unary_graph("norm", &vec, 2);
  jet_arg aa = jet_arg_inline(&vec, a);
  assert_int_equal(run_f32(f->client, b, &g, 1, &aa, 1, out, 8), 3);
  double nrm = sqrt(1.0 + 4.0 + 9.0);
  for (int i = 0; i < 3; i++) expect_close(out[i], a[i] / nrm, "grad(norm)(a)");
  jet_builder_destroy(b);
}

static void test_example_program(void **state) {
  jet_test_fixture *f = *state;
  char path[4096];
  const char *cli = JET_CLI_PATH;
  const char *slash = strrchr(cli, '/');
  snprintf(path, sizeof path, "%.*s/jet_tutorial", slash ? (int)(slash - cli) : 1,
           slash ? cli : ".");
  if (access(path, X_OK) != 0) fail_msg("example program %s is missing", path);
  const char *argv[] = {path, NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(argv, f->address, 60000, &r), 0);
  if (r.status != 0)
    fail_msg("jet_tutorial exited %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
  /* The tutorial's printed values (JAX, float32). */
  const char *want =
      "dot(a, b) = 0.0\n"
      "square(a) = [1. 4. 9.]\n"
      "grad(square)(3.0) = 6.0\n"
      "grad(composite_func)(sqrt(pi/2)) = -2.5066283\n"
      "dfdy(3.0, 4.0) = 24.0\n"
      "gradient(3.0, 4.0) = (16.0, 24.0)\n"
      "grad(norm)(a) = [0.26726124 0.5345225  0.8017837 ]\n";
  assert_string_equal(r.out, want);
  jet_test_proc_result_free(&r);
}

static size_t count(const char *s, const char *needle) {
  size_t n = 0;
  for (const char *p = strstr(s, needle); p; p = strstr(p + 1, needle)) n++;
  return n;
}

static void test_transform_graph(void **state) {
  jet_test_fixture *f = *state;
  jet_builder *b = f_graph();
  const int32_t both[2] = {0, 1};
  jet_transform gr = jet_tf_grad(both, 2, false);
  jet_graph *g = NULL;
  char *text = NULL;
  JET_TEST_OK(jet_transform_graph(f->client, jet_builder_graph(b), &gr, 1, false, &g, &text));
  /* Same parameters, two scalar gradients, plain ops only. */
  assert_int_equal(g->n_params, 2);
  assert_int_equal(g->n_outputs, 2);
  for (uint32_t i = 0; i < 2; i++) {
    assert_int_equal(g->value_types[g->outputs[i]].dtype, JET_F32);
    assert_int_equal(g->value_types[g->outputs[i]].rank, 0);
  }
  assert_true(strncmp(text, "graph ", 6) == 0);
  assert_non_null(strstr(text, "(%0: f32[], %1: f32[])"));
  assert_non_null(strstr(text, "mul"));
  assert_null(strstr(text, "call"));
  assert_int_equal(count(text, "return "), 1);
  /* The text is the graph's own print. */
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  JET_TEST_OK(jet_graph_print(g, &sb));
  assert_string_equal(sb.data, text);
  jet_strbuf_free(&sb);
  /* Cleanup never adds nodes. */
  jet_graph *raw = NULL;
  JET_TEST_OK(jet_transform_graph(f->client, jet_builder_graph(b), &gr, 1, true, &raw, NULL));
  assert_true(raw->n_nodes >= g->n_nodes);
  /* The returned graph computes the gradient. */
  jet_executable *e;
  JET_TEST_OK(jet_compile_graph(f->client, g, NULL, 0, &e));
  jet_type s = jet_type_scalar(JET_F32);
  const float xv = 3.0f, yv = 4.0f;
  jet_arg args[2] = {jet_arg_inline(&s, &xv), jet_arg_inline(&s, &yv)};
  jet_result r[2];
  memset(r, 0, sizeof r);
  JET_TEST_OK(jet_execute_inline(e, args, 2, r, 2));
  expect_close(*(const float *)r[0].data, 16.0, "TransformGraph grad[0]");
  expect_close(*(const float *)r[1].data, 24.0, "TransformGraph grad[1]");
  jet_results_clear(r, 2);
  /* jvp: (primals, tangents) -> (out, out tangent). */
  jet_transform jv = jet_tf_jvp(false);
  jet_graph *j = NULL;
  JET_TEST_OK(jet_transform_graph(f->client, jet_builder_graph(b), &jv, 1, false, &j, NULL));
  assert_int_equal(j->n_params, 4);
  assert_int_equal(j->n_outputs, 2);
  jet_graph_destroy(j);
  jet_graph_destroy(raw);
  jet_graph_destroy(g);
  free(text);
  jet_builder_destroy(b);
}

static void expect_cli_ok(const jet_test_fixture *f, const char *const *args,
                          jet_test_proc_result *r) {
  assert_int_equal(jet_test_run_cli(f->address, args, r), 0);
  if (r->status != 0)
    fail_msg("jet %s exited %d\nstdout: %s\nstderr: %s", args[0], r->status, r->out, r->err);
}

static void test_cli(void **state) {
  jet_test_fixture *f = *state;
  const char *path = JET_SOURCE_DIR "/tests/data/tutorial_grad.jet";
  if (access(path, R_OK) != 0) fail_msg("%s is missing", path);
  jet_test_proc_result r;
  const char *grad[] = {"grad", path, "--argnums", "0", NULL};
  expect_cli_ok(f, grad, &r);
  assert_true(strncmp(r.out, "graph ", 6) == 0);
  assert_non_null(strstr(r.out, "(%0: f32[], %1: f32[])"));
  assert_int_equal(count(r.out, "return "), 1);
  jet_test_proc_result_free(&r);

  const char *run[] = {"run", path, "--transform", "grad:argnums=0,1", "f32[] 3", "f32[] 4",
                       NULL};
  expect_cli_ok(f, run, &r);
  assert_string_equal(r.out, "16.0\n24.0\n");
  jet_test_proc_result_free(&r);

  /* grad of (grad w.r.t. y) w.r.t. x: d/dx 2xy = 2y. */
  const char *run2[] = {"run", path, "--transform=grad:argnums=1", "--transform", "grad",
                        "f32[] 3", "f32[] 4", NULL};
  expect_cli_ok(f, run2, &r);
  assert_string_equal(r.out, "8.0\n");
  jet_test_proc_result_free(&r);

  /* jvp takes the tangents too: d f = y^2 dx + 2xy dy. */
  const char *run3[] = {"run", path, "--transform", "jvp", "f32[] 3", "f32[] 4", "f32[] 1",
                        "f32[] 0.5", NULL};
  expect_cli_ok(f, run3, &r);
  assert_string_equal(r.out, "48.0\n28.0\n");
  jet_test_proc_result_free(&r);

  /* A bad argument count names the transformed signature. */
  const char *bad[] = {"run", path, "--transform", "jvp", "f32[] 3", "f32[] 4", NULL};
  assert_int_equal(jet_test_run_cli(f->address, bad, &r), 0);
  assert_int_equal(r.status, 1);
  assert_non_null(strstr(r.err, "takes 4 arguments"));
  jet_test_proc_result_free(&r);

  const char *hess[] = {"hessian", path, "--argnums", "0,1", NULL};
  expect_cli_ok(f, hess, &r);
  assert_true(strncmp(r.out, "graph ", 6) == 0);
  jet_test_proc_result_free(&r);
}

static void test_errors_over_wire(void **state) {
  jet_test_fixture *f = *state;
  int64_t three = 3;
  jet_type vec = jet_type_make(JET_F32, 1, &three);
  jet_transform g = jet_tf_grad(NULL, 0, false);

  /* grad of a non-scalar output. */
  jet_builder *b = jet_builder_create("sq");
  jet_value x = jet_builder_param(b, &vec);
  jet_value y = jet_mul(b, x, x);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  jet_executable *e;
  JET_TEST_FAILS(jet_compile(f->client, b, &g, 1, &e), JET_INVALID_ARGUMENT,
                 "Output had shape: [3]");
  JET_TEST_FAILS(jet_transform_graph(f->client, jet_builder_graph(b), &g, 1, false, NULL, NULL),
                 JET_INVALID_ARGUMENT, "Gradient only defined for scalar-output functions");
  /* pmap without axis_size on a graph transformed alone is refused by
   * name (test_e2e_pmap runs pmap). */
  jet_transform pm;
  memset(&pm, 0, sizeof pm);
  pm.kind = JET_TF_PMAP;
  pm.axis_name = "";
  pm.spmd_axis_name = "";
  JET_TEST_FAILS(jet_compile(f->client, b, &pm, 1, &e), JET_INVALID_ARGUMENT,
                 "pmap needs axis_size");
  JET_TEST_FAILS(jet_transform_graph(f->client, jet_builder_graph(b), &pm, 1, false, NULL, NULL),
                 JET_INVALID_ARGUMENT, "pmap needs axis_size");
  jet_builder_destroy(b);

  /* An integer input names its dtype. */
  jet_type i = jet_type_scalar(JET_I32);
  b = jet_builder_create("int_in");
  x = jet_builder_param(b, &i);
  y = jet_sin(b, jet_convert(b, x, JET_F32));
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  JET_TEST_FAILS(jet_compile(f->client, b, &g, 1, &e), JET_INVALID_ARGUMENT,
                 "but got i32 for argument 0");
  jet_builder_destroy(b);
}

/* jit(lambda x: grad(f)(x) * 2) with f(x) = sin(x) * x: a call node whose
 * callee is f and whose transforms are [grad]. */
static void test_call_node_with_grad(void **state) {
  jet_test_fixture *fx = *state;
  jet_type s = jet_type_scalar(JET_F32);
  jet_builder *f = jet_builder_create("f");
  jet_value x = jet_builder_param(f, &s);
  jet_value fy = jet_mul(f, jet_sin(f, x), x);
  JET_TEST_OK(jet_builder_return(f, &fy, 1));

  jet_builder *m = jet_builder_create("main");
  jet_value mx = jet_builder_param(m, &s);
  jet_transform g = jet_tf_grad(NULL, 0, false);
  jet_value gx = jet_call(m, f, &mx, 1, &g, 1, NULL, 0);
  const float two = 2.0f;
  jet_value y = jet_mul(m, gx, jet_constant(m, &s, &two));
  JET_TEST_OK(jet_builder_return(m, &y, 1));
  jet_builder_destroy(f);

  /* The graph carries the transform on its call node. */
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  JET_TEST_OK(jet_graph_print(jet_builder_graph(m), &sb));
  assert_non_null(strstr(sb.data, "call[transforms=[grad()]]"));
  jet_strbuf_free(&sb);

  const float xv = 0.7f;
  double xd = xv;
  jet_arg arg = jet_arg_inline(&s, &xv);
  float out[2];
  assert_int_equal(run_f32(fx->client, m, NULL, 0, &arg, 1, out, 2), 1);
  expect_close(out[0], 2.0 * (cos(xd) * xd + sin(xd)), "jit(grad(f)(x) * 2)");
  /* grad on top differentiates through the call: 2 * (2 cos x - x sin x). */
  assert_int_equal(run_f32(fx->client, m, &g, 1, &arg, 1, out, 2), 1);
  expect_close(out[0], 2.0 * (2.0 * cos(xd) - xd * sin(xd)), "grad(jit(grad(f)(x) * 2))");
  /* TransformGraph inlines the call. */
  char *text = NULL;
  JET_TEST_OK(jet_transform_graph(fx->client, jet_builder_graph(m), NULL, 0, false, NULL, &text));
  assert_null(strstr(text, "call"));
  assert_non_null(strstr(text, "cos"));
  free(text);
  jet_builder_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tutorial_values),
      cmocka_unit_test(test_example_program),
      cmocka_unit_test(test_transform_graph),
      cmocka_unit_test(test_cli),
      cmocka_unit_test(test_errors_over_wire),
      cmocka_unit_test(test_call_node_with_grad),
  };
  return cmocka_run_group_tests(tests, jet_test_fixture_setup, jet_test_fixture_teardown);
}
