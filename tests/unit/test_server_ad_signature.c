/* The shared type rule of transformed functions (jet_transform_signature,
 * used by clients and by the call rule) must agree with the graphs the
 * server's transforms build (jet_transforms_apply): for several graphs and
 * transform lists the transformed graph's parameter and output types equal
 * the rule's, and where the server refuses, the rule refuses with the same
 * code and message. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/infer.h"
#include "jet/text.h"
#include "transforms/transforms.h"

#define CAP 256

/* f(x: f32[3], y: f32[]) -> (s: f32[], v: f32[3], n: i32[]) */
static const char k_multi[] =
    "graph multi(%0: f32[3], %1: f32[]) {\n"
    "  %2 = mul %0, %0 : f32[3]\n"
    "  %3 = reduce_sum[axes=[0]] %2 : f32[]\n"
    "  %4 = mul %3, %1 : f32[]\n"
    "  %5 = mul %0, %1 : f32[3]\n"
    "  %6 = convert_element_type[new_dtype=i32] %1 : i32[]\n"
    "  return %4, %5, %6\n"
    "}\n";

/* g(x: f32[2], y: f64[], k: i32[]) -> f32[] */
static const char k_mixed[] =
    "graph mixed(%0: f32[2], %1: f64[], %2: i32[]) {\n"
    "  %3 = convert_element_type[new_dtype=f32] %1 : f32[]\n"
    "  %4 = convert_element_type[new_dtype=f32] %2 : f32[]\n"
    "  %5 = mul %3, %4 : f32[]\n"
    "  %6 = sin %0 : f32[2]\n"
    "  %7 = reduce_sum[axes=[0]] %6 : f32[]\n"
    "  %8 = mul %7, %5 : f32[]\n"
    "  return %8\n"
    "}\n";

/* h(x: f32[2,2]) -> (f32[2], f32[]) */
static const char k_matrix[] =
    "graph matrix(%0: f32[2,2]) {\n"
    "  %1 = reduce_sum[axes=[1]] %0 : f32[2]\n"
    "  %2 = tanh %1 : f32[2]\n"
    "  %3 = reduce_sum[axes=[0]] %2 : f32[]\n"
    "  return %2, %3\n"
    "}\n";

/* A call node carrying grad: main(x) = grad(sin(x) * x)(x) * 2 and x. */
static const char k_call[] =
    "graph main(%0: f32[]) {\n"
    "  %1 = call[transforms=[grad()]] %0 : f32[] {\n"
    "    graph f(%0: f32[]) {\n"
    "      %1 = sin %0 : f32[]\n"
    "      %2 = mul %1, %0 : f32[]\n"
    "      return %2\n"
    "    }\n"
    "  }\n"
    "  %2 = add %1, %1 : f32[]\n"
    "  return %2, %0\n"
    "}\n";

static jet_graph *parse(const char *text) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(text, strlen(text), &g);
  if (st) fail_msg("parse: %s", jet_status_message(st));
  return g;
}

static jet_transform tfk(jet_transform_kind k, const int32_t *argnums, uint32_t n, bool has_aux) {
  jet_transform t;
  memset(&t, 0, sizeof t);
  t.kind = k;
  t.argnums = argnums;
  t.n_argnums = n;
  t.argnums_tuple = n > 1;
  t.has_aux = has_aux;
  t.axis_name = "";
  t.spmd_axis_name = "";
  return t;
}

static void type_list(const jet_type *t, uint32_t n, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (uint32_t i = 0; i < n && len < cap; i++) {
    char s[JET_TYPE_STR_MAX];
    len += (size_t)snprintf(buf + len, cap - len, "%s%s", i ? ", " : "",
                            jet_type_str(&t[i], s, sizeof s));
  }
}

/* Compares the rule with the server on `text` under tf[0..n). */
static void check(const char *text, const jet_transform *tf, uint32_t n, const char *label) {
  jet_graph *g = parse(text);
  jet_type *outs = calloc(CAP, sizeof *outs);
  jet_type *np_t = calloc(CAP, sizeof *np_t), *no_t = calloc(CAP, sizeof *no_t);
  assert_true(outs && np_t && no_t);
  for (uint32_t i = 0; i < g->n_outputs; i++) outs[i] = g->value_types[g->outputs[i]];
  uint32_t np = 0, no = 0;
  jet_status rule =
      jet_transform_signature(g->value_types, g->n_params, outs, g->n_outputs, tf, n, np_t, &np,
                              no_t, &no, CAP);
  jet_graph *t = NULL;
  jet_status server = jet_transforms_apply(g, tf, n, &t); /* consumes g */
  if (server || rule) {
    if (!server || !rule)
      fail_msg("%s: server %s, rule %s", label, server ? jet_status_message(server) : "OK",
               rule ? jet_status_message(rule) : "OK");
    if (jet_status_code(server) != jet_status_code(rule) ||
        strcmp(jet_status_message(server), jet_status_message(rule)) != 0)
      fail_msg("%s: server %s '%s', rule %s '%s'", label,
               jet_code_name(jet_status_code(server)), jet_status_message(server),
               jet_code_name(jet_status_code(rule)), jet_status_message(rule));
    jet_status_free(server);
    jet_status_free(rule);
  } else {
    char a[2048], b[2048];
    jet_type *tout = calloc(t->n_outputs ? t->n_outputs : 1, sizeof *tout);
    assert_non_null(tout);
    for (uint32_t i = 0; i < t->n_outputs; i++) tout[i] = t->value_types[t->outputs[i]];
    type_list(t->value_types, t->n_params, a, sizeof a);
    type_list(np_t, np, b, sizeof b);
    if (strcmp(a, b) != 0) fail_msg("%s: params: server (%s), rule (%s)", label, a, b);
    type_list(tout, t->n_outputs, a, sizeof a);
    type_list(no_t, no, b, sizeof b);
    if (strcmp(a, b) != 0) fail_msg("%s: outputs: server (%s), rule (%s)", label, a, b);
    free(tout);
    jet_graph_destroy(t);
  }
  free(outs);
  free(np_t);
  free(no_t);
}

static const int32_t A0[1] = {0}, A1[1] = {1}, A2[1] = {2}, A10[2] = {1, 0}, A01[2] = {0, 1},
                     A012[3] = {0, 1, 2}, A00[2] = {0, 0};

static void test_grad_family(void **state) {
  (void)state;
  jet_transform t[1];
  t[0] = tfk(JET_TF_GRAD, A10, 2, true);
  check(k_multi, t, 1, "grad argnums=(1,0) has_aux");
  t[0] = tfk(JET_TF_VALUE_AND_GRAD, A01, 2, true);
  check(k_multi, t, 1, "value_and_grad has_aux");
  t[0] = tfk(JET_TF_GRAD, NULL, 0, false);
  check(k_multi, t, 1, "grad of three outputs");
  check(k_mixed, t, 1, "grad mixed");
  t[0] = tfk(JET_TF_GRAD, A01, 2, false);
  check(k_mixed, t, 1, "grad f32 and f64");
  t[0] = tfk(JET_TF_GRAD, A2, 1, false);
  check(k_mixed, t, 1, "grad of an int param");
  t[0].allow_int = true;
  check(k_mixed, t, 1, "grad of an int param, allow_int");
  t[0] = tfk(JET_TF_GRAD, A00, 2, false);
  check(k_mixed, t, 1, "grad duplicate argnums");
  t[0] = tfk(JET_TF_GRAD, A012, 3, false);
  t[0].argnums = (const int32_t[]){0, 3};
  t[0].n_argnums = 2;
  check(k_mixed, t, 1, "grad argnums out of range");
  t[0] = tfk(JET_TF_GRAD, NULL, 0, false);
  check(k_matrix, t, 1, "grad of a vector output");
  t[0] = tfk(JET_TF_VALUE_AND_GRAD, NULL, 0, false);
  t[0].holomorphic = true;
  check(k_mixed, t, 1, "holomorphic");
}

static void test_jvp_vjp(void **state) {
  (void)state;
  jet_transform t[1];
  for (int aux = 0; aux < 2; aux++) {
    t[0] = tfk(JET_TF_JVP, NULL, 0, aux);
    check(k_multi, t, 1, "jvp multi");
    check(k_matrix, t, 1, "jvp matrix");
    t[0] = tfk(JET_TF_VJP, NULL, 0, aux);
    check(k_multi, t, 1, "vjp multi");
    check(k_mixed, t, 1, "vjp mixed");
  }
}

static void test_jacobians(void **state) {
  (void)state;
  jet_transform t[1];
  const jet_transform_kind kinds[3] = {JET_TF_JACFWD, JET_TF_JACREV, JET_TF_HESSIAN};
  for (int k = 0; k < 3; k++) {
    t[0] = tfk(kinds[k], A01, 2, true);
    check(k_multi, t, 1, "jac multi has_aux");
    t[0] = tfk(kinds[k], NULL, 0, false);
    check(k_matrix, t, 1, "jac matrix");
    check(k_multi, t, 1, "jac multi (int output)");
    t[0] = tfk(kinds[k], A01, 2, false);
    check(k_mixed, t, 1, "jac mixed dtypes");
    t[0] = tfk(kinds[k], A2, 1, false);
    check(k_mixed, t, 1, "jac of an int param");
    t[0].allow_int = true;
    check(k_mixed, t, 1, "jac of an int param, allow_int");
  }
}

static void test_compositions(void **state) {
  (void)state;
  jet_transform t[3];
  t[0] = tfk(JET_TF_GRAD, A0, 1, false);
  t[1] = tfk(JET_TF_GRAD, A0, 1, false);
  t[2] = tfk(JET_TF_GRAD, A1, 1, false);
  check(k_mixed, t, 3, "grad of grad of grad");
  t[0] = tfk(JET_TF_JACREV, NULL, 0, false);
  t[1] = tfk(JET_TF_JACFWD, NULL, 0, false);
  check(k_matrix, t, 2, "jacfwd of jacrev");
  t[0] = tfk(JET_TF_JVP, NULL, 0, false);
  t[1] = tfk(JET_TF_VJP, NULL, 0, true);
  check(k_matrix, t, 2, "vjp of jvp");
  t[0] = tfk(JET_TF_VJP, NULL, 0, false);
  t[1] = tfk(JET_TF_GRAD, NULL, 0, true);
  check(k_mixed, t, 2, "grad of vjp (has_aux)");
  t[0] = tfk(JET_TF_GRAD, NULL, 0, false);
  t[1] = tfk(JET_TF_VMAP, NULL, 0, false);
  check(k_mixed, t, 2, "vmap refused");
  t[1].kind = JET_TF_PMAP;
  check(k_mixed, t, 2, "pmap refused");
  /* A call node with its own transform, then more on top. */
  check(k_call, t, 0, "call with grad");
  t[0] = tfk(JET_TF_JVP, NULL, 0, false);
  check(k_call, t, 1, "jvp through a call with grad");
  t[0] = tfk(JET_TF_GRAD, NULL, 0, true);
  check(k_call, t, 1, "grad through a call with grad");
}

static jet_transform vm(const jet_axis_spec *in, uint32_t n_in, const jet_axis_spec *out,
                        uint32_t n_out, int64_t size) {
  jet_transform t = tfk(JET_TF_VMAP, NULL, 0, false);
  t.in_axes = in;
  t.n_in_axes = n_in;
  t.out_axes = out;
  t.n_out_axes = n_out;
  t.axis_size = size;
  return t;
}

/* vmap on both sides: forms of in_axes / out_axes, errors, compositions. */
static void test_vmap(void **state) {
  (void)state;
  static const jet_axis_spec zero = {true, 0}, last = {true, -1}, none = {false, 0},
                             one = {true, 1}, three = {true, 3};
  static const jet_axis_spec in_a[2] = {{true, -1}, {false, 0}}, in_b[2] = {{false, 0}, {true, 0}};
  static const jet_axis_spec out3[3] = {{true, 0}, {true, -1}, {false, 0}};
  static const jet_axis_spec out3b[3] = {{true, 1}, {true, 0}, {true, 0}};
  jet_transform t[3];
  t[0] = vm(NULL, 0, NULL, 0, 4);
  check(k_multi, t, 1, "vmap defaults");
  t[0] = vm(&last, 1, &last, 1, 4);
  check(k_multi, t, 1, "vmap in_axes=-1 out_axes=-1");
  t[0] = vm(in_a, 2, out3, 3, 5);
  check(k_multi, t, 1, "vmap per argument, unbatched output with None");
  t[0] = vm(in_b, 2, out3b, 3, 5);
  check(k_multi, t, 1, "vmap of y only, outputs broadcast");
  t[0] = vm(&none, 1, NULL, 0, 3);
  check(k_mixed, t, 1, "vmap all None with axis_size");
  /* Errors. */
  t[0] = vm(in_a, 2, NULL, 0, 3);
  check(k_mixed, t, 1, "vmap in_axes length");
  t[0] = vm(&none, 1, NULL, 0, 0);
  check(k_mixed, t, 1, "vmap all None");
  t[0] = vm(NULL, 0, NULL, 0, 0);
  check(k_mixed, t, 1, "vmap without axis_size");
  t[0] = vm(&three, 1, NULL, 0, 3);
  check(k_matrix, t, 1, "vmap axis out of range");
  t[0] = vm(&zero, 1, in_a, 2, 3);
  check(k_multi, t, 1, "vmap out_axes length");
  t[0] = vm(&zero, 1, &three, 1, 3);
  check(k_multi, t, 1, "vmap out_axes out of range");
  /* Compositions. */
  t[0] = tfk(JET_TF_GRAD, A01, 2, false);
  t[1] = vm(&last, 1, &last, 1, 2);
  check(k_mixed, t, 2, "vmap of grad");
  t[1] = vm(&one, 1, &one, 1, 2);
  check(k_mixed, t, 2, "vmap of grad, axis out of range");
  t[0] = vm(&zero, 1, NULL, 0, 3);
  t[1] = tfk(JET_TF_JVP, NULL, 0, false);
  check(k_matrix, t, 2, "jvp of vmap");
  t[1] = tfk(JET_TF_JACREV, NULL, 0, false);
  check(k_matrix, t, 2, "jacrev of vmap");
  t[1] = vm(&last, 1, &one, 1, 2);
  t[2] = tfk(JET_TF_VJP, NULL, 0, false);
  check(k_matrix, t, 3, "vjp of vmap of vmap");
  t[0] = vm(&zero, 1, NULL, 0, 6);
  check(k_call, t, 1, "vmap through a call with grad");
}

/* A call node carrying vmap: the rule reads the axis size from the
 * operands; the server inlines the vmapped callee; the types agree. */
static const char k_call_vmap[] =
    "graph main(%0: f32[5,3], %1: f32[]) {\n"
    "  %2 = call[transforms=[vmap(in_axes=[1, none], out_axes=[0])]] %0, %1 : f32[3,5] {\n"
    "    graph f(%0: f32[5], %1: f32[]) {\n"
    "      %2 = mul %0, %1 : f32[5]\n"
    "      return %2\n"
    "    }\n"
    "  }\n"
    "  return %2\n"
    "}\n";

static void test_vmap_call(void **state) {
  (void)state;
  jet_transform t[1] = {tfk(JET_TF_GRAD, NULL, 0, false)};
  check(k_call_vmap, t, 0, "call with vmap");
  t[0] = tfk(JET_TF_JACFWD, A01, 2, false);
  check(k_call_vmap, t, 1, "jacfwd of a call with vmap");
  /* Inconsistent operand sizes: the rule refuses the call node. */
  const char bad[] = "graph main(%0: f32[2,3], %1: f32[3]) {\n"
                     "  %2 = call[transforms=[vmap()]] %0, %1 : f32[2,3] {\n"
                     "    graph f(%0: f32[3], %1: f32[]) {\n"
                     "      %2 = mul %0, %1 : f32[3]\n"
                     "      return %2\n"
                     "    }\n"
                     "  }\n"
                     "  return %2\n"
                     "}\n";
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(bad, strlen(bad), &g);
  assert_non_null(st);
  assert_non_null(strstr(jet_status_message(st),
                         "vmap got inconsistent sizes for array axes to be mapped:\n"
                         "  * one axis had size 2: axis 0 of argument 0 of type f32[2,3];\n"
                         "  * one axis had size 3: axis 0 of argument 1 of type f32[3]"));
  jet_status_free(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grad_family),
      cmocka_unit_test(test_jvp_vjp),
      cmocka_unit_test(test_jacobians),
      cmocka_unit_test(test_compositions),
      cmocka_unit_test(test_vmap),
      cmocka_unit_test(test_vmap_call),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
