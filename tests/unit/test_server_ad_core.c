/* The autodiff drivers (server/transforms/ad: jvp.c, vjp.c, grad.c, emit.c)
 * on small graphs, against hand-derived values: jvp and vjp conventions,
 * symbolic zeros that stay symbolic, O(N) derivative graphs, stop_gradient,
 * has_aux layouts, allow_int, and grad's error messages. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ad_core_util.h"
#include "transforms/ad/ad.h"

static jet_graph *jvp_of(const char *text, bool has_aux) {
  jet_graph *g = parse(text), *out = NULL;
  ok(jet_ad_jvp(g, has_aux, &out));
  jet_graph_destroy(g);
  ok(jet_graph_validate(out, NULL, 0));
  return out;
}

static jet_graph *vjp_of(const char *text, bool has_aux) {
  jet_graph *g = parse(text), *out = NULL;
  ok(jet_ad_vjp(g, has_aux, &out));
  jet_graph_destroy(g);
  ok(jet_graph_validate(out, NULL, 0));
  return out;
}

static jet_graph *grad_of(const char *text, const jet_transform *t) {
  jet_graph *g = parse(text), *out = NULL;
  ok(jet_ad_grad(g, t, &out));
  jet_graph_destroy(g);
  ok(jet_graph_validate(out, NULL, 0));
  return out;
}

static void grad_err(const char *text, const jet_transform *t, jet_code code, const char *want) {
  jet_graph *g = parse(text), *out = NULL;
  jet_status st = jet_ad_grad(g, t, &out);
  jet_graph_destroy(g);
  assert_null(out);
  assert_non_null(st);
  if (jet_status_code(st) != code || !strstr(jet_status_message(st), want)) {
    fprintf(stderr, "got %s: %s\n", jet_code_name(jet_status_code(st)), jet_status_message(st));
    jet_status_free(st);
    fail();
  }
  jet_status_free(st);
}

/* JAX's docstring: jvp(sin, (0.1,), (0.2,)) -> (0.09983342, 0.19900084). */
static void test_jvp_sin(void **state) {
  (void)state;
  jet_graph *g = jvp_of("graph f(%0: f64[]) { %1 = sin %0 : f64[] return %1 }", false);
  assert_int_equal(g->n_params, 2);
  assert_int_equal(g->n_outputs, 2);
  double x = 0.1, t = 0.2;
  double **r = run(g, (const double *[]){&x, &t});
  near(r[0][0], 0.09983341664682815, 1e-15);
  near(r[1][0], 0.19900083305560514, 1e-15);
  free_outs(r);
  jet_graph_destroy(g);
}

/* JAX's docstring: vjp of (sin x, cos y) at (0.5, 1.0) with ct (-0.7, 0.3)
 * -> (-0.61430776, -0.2524413). */
static void test_vjp_docstring(void **state) {
  (void)state;
  jet_graph *g = vjp_of(
      "graph f(%0: f64[], %1: f64[]) { %2 = sin %0 : f64[] %3 = cos %1 : f64[] return %2, %3 }",
      false);
  assert_int_equal(g->n_params, 4);
  assert_int_equal(g->n_outputs, 4);
  double x = 0.5, y = 1.0, u = -0.7, w = 0.3;
  double **r = run(g, (const double *[]){&x, &y, &u, &w});
  near(r[0][0], sin(0.5), 1e-15);
  near(r[1][0], cos(1.0), 1e-15);
  near(r[2][0], -0.61430776, 1e-7);
  near(r[3][0], -0.2524413, 1e-7);
  free_outs(r);
  jet_graph_destroy(g);
}

static bool uses_value(const jet_graph *g, jet_value v) {
  for (uint32_t i = 0; i < g->n_nodes; i++)
    for (uint32_t k = 0; k < g->nodes[i].n_operands; k++)
      if (g->nodes[i].operands[k] == v) return true;
  return false;
}

/* The tangent of an unused parameter is never touched, and an output that
 * does not depend on the inputs gets one materialised zero. */
static void test_jvp_symbolic_zeros(void **state) {
  (void)state;
  const char *src =
      "graph f(%0: f64[3], %1: f64[3]) {"
      "  %2 = sin %0 : f64[3]"
      "  %3 = constant[value=f64[3]{1, 2, 3}] : f64[3]"
      "  return %2, %3 }";
  jet_graph *g = jvp_of(src, false);
  assert_int_equal(g->n_params, 4);
  assert_false(uses_value(g, 3)); /* tangent of %1 */
  assert_false(uses_value(g, 1)); /* %1 itself */
  /* Output tangent 1 is zeros: a broadcast of one scalar constant. */
  jet_value z = g->outputs[3];
  const jet_node *nd = &g->nodes[g->value_node[z]];
  assert_int_equal(nd->op, JET_OP_BROADCAST_IN_DIM);
  assert_int_equal(g->nodes[g->value_node[nd->operands[0]]].op, JET_OP_CONSTANT);
  double x[3] = {0.1, 0.2, 0.3}, y[3] = {5, 6, 7}, tx[3] = {1, 2, 3}, ty[3] = {9, 9, 9};
  double **r = run(g, (const double *[]){x, y, tx, ty});
  for (int i = 0; i < 3; i++) {
    near(r[2][i], cos(x[i]) * tx[i], 1e-15);
    assert_true(r[3][i] == 0.0);
  }
  free_outs(r);
  jet_graph_destroy(g);
}

/* The gradient w.r.t. an unused parameter is a single broadcast constant and
 * the backward pass does not touch that parameter. */
static void test_grad_unused_param(void **state) {
  (void)state;
  jet_transform t = tf(JET_TF_GRAD);
  int32_t an[2] = {0, 1};
  t.argnums = an;
  t.n_argnums = 2;
  t.argnums_tuple = true;
  jet_graph *g = grad_of(
      "graph f(%0: f64[3], %1: f64[3]) { %2 = sin %0 : f64[3]"
      "  %3 = reduce_sum[axes=[0]] %2 : f64[] return %3 }",
      &t);
  assert_int_equal(g->n_outputs, 2);
  assert_false(uses_value(g, 1));
  const jet_node *nd = &g->nodes[g->value_node[g->outputs[1]]];
  assert_int_equal(nd->op, JET_OP_BROADCAST_IN_DIM);
  assert_int_equal(g->nodes[g->value_node[nd->operands[0]]].op, JET_OP_CONSTANT);
  double x[3] = {0.1, 0.2, 0.3}, y[3] = {1, 2, 3};
  double **r = run(g, (const double *[]){x, y});
  for (int i = 0; i < 3; i++) {
    near(r[0][i], cos(x[i]), 1e-15);
    assert_true(r[1][i] == 0.0);
  }
  free_outs(r);
  jet_graph_destroy(g);
}

/* A chain of n ops: v <- sin(v) * x, repeated; output reduce_sum(v). */
static jet_graph *chain(int n) {
  jet_graph *g = jet_graph_create("chain");
  assert_non_null(g);
  jet_type t = jet_type_make(JET_F64, 1, (const int64_t[]){4});
  jet_value x, v;
  ok(jet_graph_add_param(g, &t, &x));
  v = x;
  for (int i = 0; i < n; i++) {
    jet_value ops[2] = {v, x};
    if (i % 2 == 0)
      ok(jet_graph_add_node(g, JET_OP_SIN, &v, 1, NULL, 0, NULL, NULL, 0, &v));
    else
      ok(jet_graph_add_node(g, JET_OP_MUL, ops, 2, NULL, 0, NULL, NULL, 0, &v));
  }
  int64_t axes[1] = {0};
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = "axes";
  a.kind = JET_ATTR_INTS;
  a.u.ints.v = axes;
  a.u.ints.n = 1;
  ok(jet_graph_add_node(g, JET_OP_REDUCE_SUM, &v, 1, &a, 1, NULL, NULL, 0, &v));
  ok(jet_graph_set_outputs(g, &v, 1));
  return g;
}

/* Derivative graphs grow linearly: nodes/N stays bounded for N = 10, 100,
 * 1000 (grad, jvp and vjp), and the ratio does not creep up with N. */
static void test_linear_growth(void **state) {
  (void)state;
  double ratio[3][3];
  const int ns[3] = {10, 100, 1000};
  for (int i = 0; i < 3; i++) {
    jet_graph *g = chain(ns[i]), *d = NULL;
    jet_transform t = tf(JET_TF_GRAD);
    ok(jet_ad_grad(g, &t, &d));
    ratio[0][i] = (double)d->n_nodes / ns[i];
    jet_graph_destroy(d);
    ok(jet_ad_jvp(g, false, &d));
    ratio[1][i] = (double)d->n_nodes / ns[i];
    jet_graph_destroy(d);
    ok(jet_ad_vjp(g, false, &d));
    ratio[2][i] = (double)d->n_nodes / ns[i];
    jet_graph_destroy(d);
    jet_graph_destroy(g);
  }
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < 3; i++) assert_true(ratio[k][i] <= 8.0);
    assert_true(ratio[k][2] <= ratio[k][0] * 1.1);
  }
}

/* The chain's gradient against the hand recurrence. */
static void test_chain_values(void **state) {
  (void)state;
  jet_graph *g = chain(7), *d = NULL;
  jet_transform t = tf(JET_TF_GRAD);
  ok(jet_ad_grad(g, &t, &d));
  double x[4] = {0.3, -0.7, 1.1, 0.05};
  double **r = run(d, (const double *[]){x});
  for (int e = 0; e < 4; e++) {
    double v = x[e], dv = 1.0; /* dv = d v / d x */
    for (int i = 0; i < 7; i++) {
      if (i % 2 == 0) {
        dv = cos(v) * dv;
        v = sin(v);
      } else {
        dv = dv * x[e] + v;
        v = v * x[e];
      }
    }
    near(r[0][e], dv, 1e-13);
  }
  free_outs(r);
  jet_graph_destroy(d);
  jet_graph_destroy(g);
}

/* f(x) = x * stop_gradient(x): gradient x, not 2x. */
static void test_stop_gradient(void **state) {
  (void)state;
  jet_transform t = tf(JET_TF_GRAD);
  jet_graph *g = grad_of(
      "graph f(%0: f64[]) { %1 = stop_gradient %0 : f64[] %2 = mul %0, %1 : f64[] return %2 }",
      &t);
  double x = 3.0;
  double **r = run(g, (const double *[]){&x});
  near(r[0][0], 3.0, 1e-15);
  free_outs(r);
  jet_graph_destroy(g);
}

static const char *k_aux_src =
    "graph f(%0: f64[], %1: f64[2]) {"
    "  %2 = mul %0, %0 : f64[]"
    "  %3 = sin %1 : f64[2]"
    "  return %2, %3, %0 }";

/* value_and_grad with has_aux: (value, aux..., grads...); grad: (grads...,
 * aux...). */
static void test_has_aux_layouts(void **state) {
  (void)state;
  jet_transform t = tf(JET_TF_VALUE_AND_GRAD);
  t.has_aux = true;
  jet_graph *g = grad_of(k_aux_src, &t);
  assert_int_equal(g->n_outputs, 4);
  assert_type(g, g->outputs[0], "f64[]");
  assert_type(g, g->outputs[1], "f64[2]");
  assert_type(g, g->outputs[2], "f64[]");
  assert_type(g, g->outputs[3], "f64[]");
  double x = 1.5, y[2] = {0.1, 0.2};
  double **r = run(g, (const double *[]){&x, y});
  near(r[0][0], 2.25, 1e-15);
  near(r[1][1], sin(0.2), 1e-15);
  near(r[2][0], 1.5, 1e-15);
  near(r[3][0], 3.0, 1e-15);
  free_outs(r);
  jet_graph_destroy(g);

  t = tf(JET_TF_GRAD);
  t.has_aux = true;
  g = grad_of(k_aux_src, &t);
  assert_int_equal(g->n_outputs, 3);
  r = run(g, (const double *[]){&x, y});
  near(r[0][0], 3.0, 1e-15);
  near(r[1][0], sin(0.1), 1e-15);
  near(r[2][0], 1.5, 1e-15);
  free_outs(r);
  jet_graph_destroy(g);

  /* jvp has_aux: (out0, tangent0, aux...). */
  g = jvp_of(k_aux_src, true);
  assert_int_equal(g->n_params, 4);
  assert_int_equal(g->n_outputs, 4);
  double tx = 2.0, ty[2] = {1, 1};
  r = run(g, (const double *[]){&x, y, &tx, ty});
  near(r[0][0], 2.25, 1e-15);
  near(r[1][0], 2 * 1.5 * 2.0, 1e-15);
  near(r[2][0], sin(0.1), 1e-15);
  near(r[3][0], 1.5, 1e-15);
  free_outs(r);
  jet_graph_destroy(g);

  /* vjp has_aux: params (primals..., ct0); outputs (outs..., ct per primal). */
  g = vjp_of(k_aux_src, true);
  assert_int_equal(g->n_params, 3);
  assert_int_equal(g->n_outputs, 5);
  double u = 0.5;
  r = run(g, (const double *[]){&x, y, &u});
  near(r[3][0], 2 * 1.5 * 0.5, 1e-15);
  assert_true(r[4][0] == 0.0 && r[4][1] == 0.0);
  free_outs(r);
  jet_graph_destroy(g);
}

/* argnums as a tuple with a duplicate; allow_int gives zeros of the int
 * parameter's type. */
static void test_argnums_and_allow_int(void **state) {
  (void)state;
  const char *src =
      "graph f(%0: f64[], %1: i32[], %2: f64[]) {"
      "  %3 = convert_element_type[new_dtype=f64] %1 : f64[]"
      "  %4 = mul %0, %3 : f64[] %5 = mul %4, %2 : f64[] return %5 }";
  jet_transform t = tf(JET_TF_GRAD);
  int32_t an[4] = {2, 0, 1, 2};
  t.argnums = an;
  t.n_argnums = 4;
  t.argnums_tuple = true;
  t.allow_int = true;
  jet_graph *g = grad_of(src, &t);
  assert_int_equal(g->n_outputs, 4);
  assert_type(g, g->outputs[2], "i32[]");
  double a = 2.0, b = 3.0, c = 5.0;
  double **r = run(g, (const double *[]){&a, &b, &c});
  near(r[0][0], 6.0, 1e-15);
  near(r[1][0], 15.0, 1e-15);
  assert_true(r[2][0] == 0.0);
  near(r[3][0], 6.0, 1e-15);
  free_outs(r);
  jet_graph_destroy(g);
}

static void test_grad_errors(void **state) {
  (void)state;
  jet_transform t = tf(JET_TF_GRAD);
  grad_err("graph f(%0: f64[3]) { %1 = sin %0 : f64[3] return %1 }", &t, JET_INVALID_ARGUMENT,
           "Gradient only defined for scalar-output functions. Output had shape: [3].");
  grad_err("graph f(%0: f64[1]) { %1 = sin %0 : f64[1] return %1 }", &t, JET_INVALID_ARGUMENT,
           "Output had shape: [1].");
  grad_err("graph f(%0: f64[]) { %1 = sin %0 : f64[] return %1, %1 }", &t, JET_INVALID_ARGUMENT,
           "The function has 2 outputs; use has_aux");
  grad_err("graph f(%0: f64[], %1: i32[]) { return %1 }", &t, JET_INVALID_ARGUMENT,
           "grad requires real-valued outputs (output dtype that is a sub-dtype of "
           "np.floating), but got i32.");
  const char *two = "graph f(%0: f64[], %1: i32[]) { %2 = sin %0 : f64[] return %2 }";
  int32_t an1 = 1;
  t.argnums = &an1;
  t.n_argnums = 1;
  grad_err(two, &t, JET_INVALID_ARGUMENT,
           "grad requires real-valued inputs (input dtype that is a sub-dtype of np.inexact), but "
           "got i32 for argument 1. If you want to use Boolean- or integer-valued inputs, use vjp "
           "or set allow_int to True.");
  int32_t an2 = 2;
  t.argnums = &an2;
  grad_err(two, &t, JET_INVALID_ARGUMENT,
           "differentiating with respect to argnums=2 requires at least 3 positional arguments "
           "to be passed by the caller, but got only 2 positional arguments.");
  int32_t an02[2] = {0, 2};
  t.argnums = an02;
  t.n_argnums = 2;
  t.argnums_tuple = true;
  grad_err(two, &t, JET_INVALID_ARGUMENT, "argnums=(0, 2) requires at least 3 positional");
  int32_t neg = -1;
  t.argnums = &neg;
  t.n_argnums = 1;
  t.argnums_tuple = false;
  grad_err(two, &t, JET_INVALID_ARGUMENT, "negative argnums");
  t = tf(JET_TF_GRAD);
  t.holomorphic = true;
  grad_err(two, &t, JET_UNIMPLEMENTED, "holomorphic");
}

/* The emission helpers: symbolic zeros propagate and constants follow the
 * dtype. */
static void test_emit_helpers(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("e");
  jet_type t = jet_type_make(JET_F32, 2, (const int64_t[]){2, 3});
  jet_value x;
  ok(jet_graph_add_param(g, &t, &x));
  jet_emit e = {g, NULL};
  assert_int_equal(jet_emit_add_any(&e, JET_AD_ZERO, x), x);
  assert_int_equal(jet_emit_add_any(&e, x, JET_AD_ZERO), x);
  assert_int_equal(jet_emit_add_any(&e, JET_AD_ZERO, JET_AD_ZERO), JET_AD_ZERO);
  assert_int_equal(jet_emit_neg_z(&e, JET_AD_ZERO), JET_AD_ZERO);
  assert_int_equal(jet_emit_mul_z(&e, JET_AD_ZERO, x), JET_AD_ZERO);
  assert_int_equal(jet_emit_mul_z(&e, x, JET_AD_ZERO), JET_AD_ZERO);
  assert_int_equal(jet_emit_unbroadcast(&e, JET_AD_ZERO, &t), JET_AD_ZERO);
  assert_int_equal(g->n_nodes, 0);
  jet_value f = jet_emit_full_like(&e, x, 2.5);
  assert_type(g, f, "f32[2,3]");
  jet_value s = jet_emit_unbroadcast(&e, f, &(jet_type){.dtype = JET_F32, .rank = 0});
  assert_type(g, s, "f32[]");
  assert_int_equal(jet_emit_convert(&e, x, JET_F32), x);
  assert_type(g, jet_emit_convert(&e, x, JET_F64), "f64[2,3]");
  assert_null(e.status);
  /* Errors are sticky: a bad emit fails, later ones add nothing. */
  jet_value x64 = jet_emit_convert(&e, x, JET_F64);
  uint32_t before = g->n_nodes;
  assert_int_equal(jet_emit2(&e, JET_OP_ADD, x, x64), JET_AD_ZERO);
  assert_non_null(e.status);
  assert_int_equal(jet_emit1(&e, JET_OP_SIN, x), JET_AD_ZERO);
  assert_int_equal(g->n_nodes, before);
  jet_status_free(e.status);
  ok(jet_graph_set_outputs(g, &f, 1));
  ok(jet_graph_validate(g, NULL, 0));
  double xs[6] = {0};
  double **r = run(g, (const double *[]){xs});
  assert_true(r[0][4] == 2.5);
  free_outs(r);
  jet_graph_destroy(g);
}

/* Reaching a call node in a driver is an internal error (calls are inlined
 * first). */
static void test_call_rules_internal(void **state) {
  (void)state;
  jet_emit e = {NULL, NULL};
  jet_node n;
  memset(&n, 0, sizeof n);
  n.op = JET_OP_CALL;
  n.n_results = 1;
  n.n_operands = 1;
  jet_value x[1] = {0}, t[1] = {0}, y[1] = {1}, ty[1] = {7};
  jet__jvp_CALL(&e, &n, x, t, y, ty);
  assert_int_equal(jet_status_code(e.status), JET_INTERNAL);
  assert_int_equal(ty[0], JET_AD_ZERO);
  assert_non_null(strstr(jet_status_message(e.status), "inlined"));
  jet_status_free(e.status);
  e.status = NULL;
  jet__vjp_CALL(&e, &n, x, y, t, ty);
  assert_int_equal(jet_status_code(e.status), JET_INTERNAL);
  jet_status_free(e.status);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_jvp_sin),
      cmocka_unit_test(test_vjp_docstring),
      cmocka_unit_test(test_jvp_symbolic_zeros),
      cmocka_unit_test(test_grad_unused_param),
      cmocka_unit_test(test_linear_growth),
      cmocka_unit_test(test_chain_values),
      cmocka_unit_test(test_stop_gradient),
      cmocka_unit_test(test_has_aux_layouts),
      cmocka_unit_test(test_argnums_and_allow_int),
      cmocka_unit_test(test_grad_errors),
      cmocka_unit_test(test_emit_helpers),
      cmocka_unit_test(test_call_rules_internal),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
