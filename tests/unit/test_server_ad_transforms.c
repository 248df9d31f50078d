/* The transforms stage with autodiff (server/transforms/transforms.c,
 * ad/jac.c, ad/inline.c): composition (grad of grad of grad), jacfwd /
 * jacrev / hessian against JAX's docstring values, differentiation through
 * call nodes whose callee carries its own transforms, output signatures
 * equal to jet_transform_signature's, and the error prefixes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ad_core_util.h"

/* Checks that g's signature equals jet_transform_signature of src. */
static void check_signature(const char *src, const jet_transform *t, uint32_t n,
                            const jet_graph *g) {
  jet_graph *f = parse(src);
  jet_type outs[16], np_[64], no_[64];
  for (uint32_t k = 0; k < f->n_outputs; k++) outs[k] = f->value_types[f->outputs[k]];
  uint32_t np = 0, no = 0;
  ok(jet_transform_signature(f->value_types, f->n_params, outs, f->n_outputs, t, n, np_, &np,
                             no_, &no, 64));
  assert_int_equal(np, g->n_params);
  assert_int_equal(no, g->n_outputs);
  for (uint32_t p = 0; p < np; p++) assert_true(jet_type_equal(&np_[p], &g->value_types[p]));
  for (uint32_t k = 0; k < no; k++)
    assert_true(jet_type_equal(&no_[k], &g->value_types[g->outputs[k]]));
  jet_graph_destroy(f);
}

static const char *k_x4 =
    "graph f(%0: f64[]) { %1 = mul %0, %0 : f64[] %2 = mul %1, %1 : f64[] return %2 }";

/* grad of grad of grad of x^4 = 24x; the lower orders too. */
static void test_grad_grad_grad(void **state) {
  (void)state;
  jet_transform t[3] = {tf(JET_TF_GRAD), tf(JET_TF_GRAD), tf(JET_TF_GRAD)};
  const double want[3] = {4 * 1.5 * 1.5 * 1.5, 12 * 1.5 * 1.5, 24 * 1.5};
  for (uint32_t n = 1; n <= 3; n++) {
    jet_graph *g = xform(k_x4, t, n);
    check_signature(k_x4, t, n, g);
    double x = 1.5;
    double **r = run(g, (const double *[]){&x});
    near(r[0][0], want[n - 1], 1e-14);
    free_outs(r);
    jet_graph_destroy(g);
  }
  /* Fourth derivative 24, fifth 0 (a materialised zero). */
  jet_transform t5[5] = {tf(JET_TF_GRAD), tf(JET_TF_GRAD), tf(JET_TF_GRAD), tf(JET_TF_GRAD),
                         tf(JET_TF_GRAD)};
  for (uint32_t n = 4; n <= 5; n++) {
    jet_graph *g = xform(k_x4, t5, n);
    double x = -0.75;
    double **r = run(g, (const double *[]){&x});
    near(r[0][0], n == 4 ? 24.0 : 0.0, 1e-14);
    free_outs(r);
    jet_graph_destroy(g);
  }
}

/* jvp of grad and vjp of jvp compose. */
static void test_mixed_composition(void **state) {
  (void)state;
  jet_transform t[2] = {tf(JET_TF_GRAD), tf(JET_TF_JVP)};
  jet_graph *g = xform(k_x4, t, 2);
  check_signature(k_x4, t, 2, g);
  double x = 2.0, v = 0.5;
  double **r = run(g, (const double *[]){&x, &v});
  near(r[0][0], 4 * 8.0, 1e-14);
  near(r[1][0], 12 * 4.0 * 0.5, 1e-14);
  free_outs(r);
  jet_graph_destroy(g);

  jet_transform t2[2] = {tf(JET_TF_JVP), tf(JET_TF_VJP)};
  g = xform(k_x4, t2, 2);
  check_signature(k_x4, t2, 2, g);
  /* params (x, v, u_out, u_tan); outputs (y, ydot, ct_x, ct_v). */
  double u0 = 0.0, u1 = 1.0;
  r = run(g, (const double *[]){&x, &v, &u0, &u1});
  near(r[1][0], 4 * 8.0 * 0.5, 1e-14);
  near(r[2][0], 12 * 4.0 * 0.5, 1e-14);
  near(r[3][0], 4 * 8.0, 1e-14);
  free_outs(r);
  jet_graph_destroy(g);
}

static const char *k_jac_src = AD_JAC_DOC_SRC;

static void test_jacfwd_jacrev(void **state) {
  (void)state;
  const double want[12] = {1, 0, 0, 0, 0, 5, 0, 16, -2, 3 * cos(1.0), 0, sin(1.0)};
  jet_transform_kind kinds[2] = {JET_TF_JACFWD, JET_TF_JACREV};
  for (int i = 0; i < 2; i++) {
    jet_transform t = tf(kinds[i]);
    jet_graph *g = xform(k_jac_src, &t, 1);
    check_signature(k_jac_src, &t, 1, g);
    assert_type(g, g->outputs[0], "f64[4,3]");
    double x[3] = {1, 2, 3};
    double **r = run(g, (const double *[]){x});
    near_all(r[0], want, 12, 1e-14);
    near(r[0][9], 1.6209069176044193, 1e-12);
    free_outs(r);
    jet_graph_destroy(g);
  }
}

/* Several outputs and argnums: output-major (k, a), shape o.shape+p.shape;
 * has_aux appends the aux outputs. */
static void test_jac_multi(void **state) {
  (void)state;
  const char *src =
      "graph f(%0: f64[2], %1: f64[]) {"
      "  %2 = mul %0, %1 : f64[2]"
      "  %3 = reduce_sum[axes=[0]] %0 : f64[]"
      "  %4 = mul %3, %1 : f64[]"
      "  return %2, %4 }";
  int32_t an[2] = {0, 1};
  jet_transform_kind kinds[2] = {JET_TF_JACFWD, JET_TF_JACREV};
  for (int i = 0; i < 2; i++) {
    jet_transform t = tf(kinds[i]);
    t.argnums = an;
    t.n_argnums = 2;
    t.argnums_tuple = true;
    jet_graph *g = xform(src, &t, 1);
    check_signature(src, &t, 1, g);
    assert_int_equal(g->n_outputs, 4);
    assert_type(g, g->outputs[0], "f64[2,2]");
    assert_type(g, g->outputs[1], "f64[2]");
    assert_type(g, g->outputs[2], "f64[2]");
    assert_type(g, g->outputs[3], "f64[]");
    double x[2] = {3, 4}, y = 5;
    double **r = run(g, (const double *[]){x, &y});
    near_all(r[0], (const double[]){5, 0, 0, 5}, 4, 1e-15);
    near_all(r[1], (const double[]){3, 4}, 2, 1e-15);
    near_all(r[2], (const double[]){5, 5}, 2, 1e-15);
    near(r[3][0], 7, 1e-15);
    free_outs(r);
    jet_graph_destroy(g);

    t.has_aux = true;
    g = xform(src, &t, 1);
    check_signature(src, &t, 1, g);
    assert_int_equal(g->n_outputs, 3);
    assert_type(g, g->outputs[2], "f64[]");
    r = run(g, (const double *[]){x, &y});
    near_all(r[1], (const double[]){3, 4}, 2, 1e-15);
    near(r[2][0], 35, 1e-15);
    free_outs(r);
    jet_graph_destroy(g);
  }
}

/* JAX's hessian docstring: x0^3 - 2 x0 x1 - x1^6 at [1, 2]. */
static void test_hessian(void **state) {
  (void)state;
  const char *src = AD_HESS_DOC_SRC;
  jet_transform t = tf(JET_TF_HESSIAN);
  jet_graph *g = xform(src, &t, 1);
  check_signature(src, &t, 1, g);
  assert_type(g, g->outputs[0], "f64[2,2]");
  double x[2] = {1, 2};
  double **r = run(g, (const double *[]){x});
  near_all(r[0], (const double[]){6, -2, -2, -480}, 4, 1e-13);
  free_outs(r);
  jet_graph_destroy(g);

  /* jacfwd of jacrev equals hessian. */
  jet_transform t2[2] = {tf(JET_TF_JACREV), tf(JET_TF_JACFWD)};
  g = xform(src, t2, 2);
  r = run(g, (const double *[]){x});
  near_all(r[0], (const double[]){6, -2, -2, -480}, 4, 1e-13);
  free_outs(r);
  jet_graph_destroy(g);
}

/* h(x) = call[grad] f(x) with f(x) = x sin x: h = sin x + x cos x, and
 * grad h = 2 cos x - x sin x, through the call's own transform. */
static const char *k_call_src =
    "graph h(%0: f64[]) {"
    "  %1 = call[transforms=[grad()]] %0 : f64[] {"
    "    graph f(%0: f64[]) { %1 = sin %0 : f64[] %2 = mul %0, %1 : f64[] return %2 }"
    "  }"
    "  %2 = mul %1, %1 : f64[]"
    "  return %1 }";

static void test_through_calls(void **state) {
  (void)state;
  double x = 0.8;
  jet_graph *g = xform(k_call_src, NULL, 0);
  for (uint32_t i = 0; i < g->n_nodes; i++) assert_int_not_equal(g->nodes[i].op, JET_OP_CALL);
  double **r = run(g, (const double *[]){&x});
  near(r[0][0], sin(x) + x * cos(x), 1e-15);
  free_outs(r);
  jet_graph_destroy(g);

  jet_transform t = tf(JET_TF_GRAD);
  g = xform(k_call_src, &t, 1);
  r = run(g, (const double *[]){&x});
  near(r[0][0], 2 * cos(x) - x * sin(x), 1e-14);
  free_outs(r);
  jet_graph_destroy(g);

  /* Nested: a call without transforms around a call with value_and_grad. */
  const char *nested =
      "graph top(%0: f64[]) {"
      "  %1 = call %0 : f64[] {"
      "    graph mid(%0: f64[]) {"
      "      %1, %2 = call[transforms=[value_and_grad()]] %0 : f64[], f64[] {"
      "        graph f(%0: f64[]) { %1 = mul %0, %0 : f64[] %2 = mul %1, %0 : f64[] return %2 }"
      "      }"
      "      %3 = add %1, %2 : f64[]"
      "      return %3 }"
      "  }"
      "  return %1 }";
  g = xform(nested, &t, 1);
  r = run(g, (const double *[]){&x});
  near(r[0][0], 3 * x * x + 6 * x, 1e-14); /* d/dx (x^3 + 3x^2) */
  free_outs(r);
  jet_graph_destroy(g);
}

static void test_errors(void **state) {
  (void)state;
  jet_transform t = tf(JET_TF_GRAD);
  xform_err("graph f(%0: f64[3]) { %1 = sin %0 : f64[3] return %1 }", &t, 1, JET_INVALID_ARGUMENT,
            "transforms[0] (grad): Gradient only defined for scalar-output functions. Output had "
            "shape: [3].");
  jet_transform t2[2] = {tf(JET_TF_JVP), tf(JET_TF_GRAD)};
  xform_err("graph f(%0: f64[]) { %1 = sin %0 : f64[] return %1 }", t2, 2, JET_INVALID_ARGUMENT,
            "transforms[1] (grad): Gradient only defined for scalar-output functions. The function "
            "has 2 outputs");
  /* vmap of a graph on its own needs axis_size (no argument to read it from). */
  jet_transform v = tf(JET_TF_VMAP);
  xform_err(k_x4, &v, 1, JET_INVALID_ARGUMENT, "transforms[0] (vmap): vmap needs axis_size");
  jet_transform p = tf(JET_TF_PMAP);
  xform_err(k_x4, &p, 1, JET_INVALID_ARGUMENT, "transforms[0] (pmap): pmap needs axis_size");
  /* Bases beyond the old 4096-element unrolling limit: jacfwd and jacrev
   * are vmaps, whose node count does not depend on the basis size. */
  jet_transform jf = tf(JET_TF_JACFWD);
  const char *wide_in = "graph f(%0: f64[4097]) { %1 = sin %0 : f64[4097]"
                        "  %2 = reduce_sum[axes=[0]] %1 : f64[] return %2 }";
  jet_graph *wg = xform(wide_in, &jf, 1);
  assert_true(wg->n_nodes < 64);
  check_signature(wide_in, &jf, 1, wg);
  jet_graph_destroy(wg);
  jet_transform jr = tf(JET_TF_JACREV);
  const char *wide_out = "graph f(%0: f64[]) { %1 = constant[value=f64[]{0}] : f64[]"
                         "  %2 = broadcast_in_dim[shape=[5000], broadcast_dimensions=[]] %0 : "
                         "f64[5000]"
                         "  %3 = mul %2, %2 : f64[5000]"
                         "  return %3 }";
  wg = xform(wide_out, &jr, 1);
  assert_true(wg->n_nodes < 64);
  double wx = 1.25;
  double **wr = run(wg, (const double *[]){&wx});
  for (int i = 0; i < 5000; i++) near(wr[0][i], 2 * wx, 1e-14); /* d(x^2)/dx per element */
  free_outs(wr);
  jet_graph_destroy(wg);
  xform_err("graph f(%0: f64[], %1: i32[]) { return %1 }", &jr, 1, JET_INVALID_ARGUMENT,
            "jacrev requires real-valued outputs");
  int32_t an1 = 1;
  jf.argnums = &an1;
  jf.n_argnums = 1;
  xform_err("graph f(%0: f64[], %1: i32[]) { return %0 }", &jf, 1, JET_INVALID_ARGUMENT,
            "jacfwd requires real-valued inputs (input dtype that is a sub-dtype of np.inexact), "
            "but got i32 for argument 1");
  jet_transform h = tf(JET_TF_HESSIAN);
  h.holomorphic = true;
  xform_err(k_x4, &h, 1, JET_UNIMPLEMENTED, "holomorphic");
  /* An error inside a call's own transforms names the call node. */
  jet_graph *g = jet_graph_create("outer");
  jet_graph *c = jet_graph_create_child(g, "inner");
  jet_type v3 = jet_type_make(JET_F64, 1, (const int64_t[]){3});
  jet_value x, y;
  ok(jet_graph_add_param(c, &v3, &x));
  ok(jet_graph_add_node(c, JET_OP_SIN, &x, 1, NULL, 0, NULL, NULL, 0, &y));
  ok(jet_graph_set_outputs(c, &y, 1));
  ok(jet_graph_add_param(g, &v3, &x));
  jet_transform gt = tf(JET_TF_GRAD);
  ok(jet_graph_append_node(g, JET_OP_CALL, &x, 1, NULL, 0, &v3, 1, c, &gt, 1, &y));
  ok(jet_graph_set_outputs(g, &y, 1));
  jet_graph *out = NULL;
  jet_status st = jet_transforms_apply(g, NULL, 0, &out);
  assert_null(out);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st),
                         "node 0 (call): transforms[0] (grad): Gradient only defined"));
  jet_status_free(st);
}

/* jacrev with allow_int: the Jacobian w.r.t. an integer param is zeros of
 * its dtype; jacfwd of an integer output is zeros of the output's dtype. */
static void test_jac_int(void **state) {
  (void)state;
  const char *src =
      "graph f(%0: f64[2], %1: i32[]) {"
      "  %2 = convert_element_type[new_dtype=f64] %1 : f64[]"
      "  %3 = mul %0, %2 : f64[2]"
      "  return %3, %1 }";
  int32_t an[2] = {0, 1};
  jet_transform t = tf(JET_TF_JACFWD);
  t.argnums = an;
  t.n_argnums = 2;
  t.argnums_tuple = true;
  t.allow_int = true;
  jet_graph *g = xform(src, &t, 1);
  check_signature(src, &t, 1, g);
  assert_type(g, g->outputs[1], "f64[2]");
  assert_type(g, g->outputs[3], "i32[]");
  double x[2] = {1, 2}, k = 3;
  double **r = run(g, (const double *[]){x, &k});
  near_all(r[0], (const double[]){3, 0, 0, 3}, 4, 1e-15);
  assert_true(r[1][0] == 0 && r[1][1] == 0);
  assert_true(r[2][0] == 0 && r[2][1] == 0 && r[3][0] == 0);
  free_outs(r);
  jet_graph_destroy(g);

  t.kind = JET_TF_JACREV;
  t.has_aux = true;
  g = xform(src, &t, 1);
  check_signature(src, &t, 1, g);
  assert_type(g, g->outputs[1], "i32[2]");
  r = run(g, (const double *[]){x, &k});
  near_all(r[0], (const double[]){3, 0, 0, 3}, 4, 1e-15);
  assert_true(r[1][0] == 0 && r[1][1] == 0);
  near(r[2][0], 3, 0);
  free_outs(r);
  jet_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grad_grad_grad), cmocka_unit_test(test_mixed_composition),
      cmocka_unit_test(test_jacfwd_jacrev),  cmocka_unit_test(test_jac_multi),
      cmocka_unit_test(test_hessian),        cmocka_unit_test(test_through_calls),
      cmocka_unit_test(test_errors),         cmocka_unit_test(test_jac_int),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
