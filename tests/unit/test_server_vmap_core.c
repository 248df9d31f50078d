/* The vmap transform (server/transforms/batch/vmap.c) and its compositions,
 * run on the reference executor: in_axes / out_axes forms (negative, None,
 * one entry for all), axis_size, every error message, nested vmap, vmap of
 * grad (per-example gradients of a small MLP loss equal a loop of grad
 * calls), grad of vmap, jacfwd / jacrev / hessian built on vmap against
 * JAX's docstring values, vmap through call nodes, and node counts that do
 * not depend on the batch size. Batched results are compared with a loop
 * over the examples of the unbatched function. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ad_core_util.h"

#define NONE (-1)

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;

static double rnd(void) {
  g_rng = g_rng * 6364136223846793005ull + 1442695040888963407ull;
  return (double)((g_rng >> 11) & 0xfffff) / (double)0x80000 - 1.0; /* [-1, 1) */
}

/* Example b of x (of type t) along axis ax, or all of x when ax is NONE. */
static void take(const double *x, const jet_type *t, int ax, int64_t b, double *out) {
  int64_t n = jet_type_numel(t);
  if (ax == NONE) {
    memcpy(out, x, sizeof(double) * (size_t)n);
    return;
  }
  int64_t outer = 1, inner = 1, len = t->dims[ax];
  for (int i = 0; i < ax; i++) outer *= t->dims[i];
  for (int i = ax + 1; i < t->rank; i++) inner *= t->dims[i];
  for (int64_t o = 0; o < outer; o++)
    for (int64_t i = 0; i < inner; i++) out[o * inner + i] = x[(o * len + b) * inner + i];
}

static jet_transform vm(const jet_axis_spec *in, uint32_t n_in, const jet_axis_spec *out,
                        uint32_t n_out, int64_t size) {
  return gb_vmap(in, n_in, out, n_out, size);
}

/* vmap(inner(src)) against a loop of inner(src) over B examples. in_ax /
 * out_ax: the normalised axis of each parameter / output (NONE: not
 * mapped). */
static void check_vmap(const char *src, const jet_transform *inner, uint32_t n_inner,
                       const jet_transform *v, const int *in_ax, const int *out_ax, int64_t B) {
  jet_transform all[8];
  assert_true(n_inner < 8);
  if (n_inner) memcpy(all, inner, sizeof(jet_transform) * n_inner);
  all[n_inner] = *v;
  jet_graph *f = xform(src, inner, n_inner);
  jet_graph *g = xform(src, all, n_inner + 1);
  assert_int_equal(f->n_params, g->n_params);
  assert_int_equal(f->n_outputs, g->n_outputs);
  double *args[16] = {0}, *ex[16] = {0};
  for (uint32_t p = 0; p < g->n_params; p++) {
    int64_t n = jet_type_numel(&g->value_types[p]);
    args[p] = malloc(sizeof(double) * (size_t)(n ? n : 1));
    ex[p] = malloc(sizeof(double) * (size_t)(n ? n : 1));
    assert_true(args[p] && ex[p]);
    for (int64_t i = 0; i < n; i++) args[p][i] = rnd();
    if (in_ax[p] != NONE) assert_int_equal(g->value_types[p].dims[in_ax[p]], B);
  }
  double **rg = run(g, (const double *const *)args);
  for (int64_t b = 0; b < B; b++) {
    for (uint32_t p = 0; p < g->n_params; p++) take(args[p], &g->value_types[p], in_ax[p], b, ex[p]);
    double **rf = run(f, (const double *const *)ex);
    for (uint32_t k = 0; k < g->n_outputs; k++) {
      const jet_type *ot = &g->value_types[g->outputs[k]];
      const jet_type *ft = &f->value_types[f->outputs[k]];
      int64_t n = jet_type_numel(ft);
      double *got = malloc(sizeof(double) * (size_t)(n ? n : 1));
      assert_non_null(got);
      if (out_ax[k] != NONE) assert_int_equal(ot->dims[out_ax[k]], B);
      take(rg[k], ot, out_ax[k], b, got);
      for (int64_t i = 0; i < n; i++) {
        double tol = 1e-12 * (1 + fabs(rf[k][i]));
        if (fabs(got[i] - rf[k][i]) > tol)
          fail_msg("example %lld output %u element %lld: vmap %.17g, loop %.17g", (long long)b, k,
                   (long long)i, got[i], rf[k][i]);
      }
      free(got);
    }
    free_outs(rf);
  }
  free_outs(rg);
  for (uint32_t p = 0; p < g->n_params; p++) {
    free(args[p]);
    free(ex[p]);
  }
  jet_graph_destroy(f);
  jet_graph_destroy(g);
}

/* f(x: f64[3], m: f64[2,3], s: f64[]) -> (x*s + row sums of m..., sum(x), 2) */
static const char *k_f =
    "graph f(%0: f64[3], %1: f64[2,3], %2: f64[]) {"
    "  %3 = mul %0, %2 : f64[3]"
    "  %4 = reduce_sum[axes=[0]] %1 : f64[3]"
    "  %5 = add %3, %4 : f64[3]"
    "  %6 = reduce_sum[axes=[0]] %0 : f64[]"
    "  %7 = constant[value=f64[]{2}] : f64[]"
    "  return %5, %6, %7 }";

static void test_axes_forms(void **state) {
  (void)state;
  /* Defaults: everything at 0; the constant output is broadcast. */
  jet_transform v = vm(NULL, 0, NULL, 0, 4);
  check_vmap(k_f, NULL, 0, &v, (const int[]){0, 0, 0}, (const int[]){0, 0, 0}, 4);
  /* One entry for all, negative: the last axis of each batched type. */
  jet_axis_spec last = {true, -1};
  v = vm(&last, 1, &last, 1, 5);
  check_vmap(k_f, NULL, 0, &v, (const int[]){1, 2, 0}, (const int[]){1, 0, 0}, 5);
  /* Per argument with None; per output with None for unbatched ones. */
  jet_axis_spec in[3] = {{true, 1}, {false, 0}, {true, -1}};
  jet_axis_spec out[3] = {{true, -2}, {true, 0}, {false, 0}};
  v = vm(in, 3, out, 3, 3);
  check_vmap(k_f, NULL, 0, &v, (const int[]){1, NONE, 0}, (const int[]){0, 0, NONE}, 3);
  jet_axis_spec in2[3] = {{false, 0}, {true, 2}, {false, 0}};
  jet_axis_spec out2[3] = {{true, 1}, {false, 0}, {true, 0}};
  v = vm(in2, 3, out2, 3, 2);
  check_vmap(k_f, NULL, 0, &v, (const int[]){NONE, 2, NONE}, (const int[]){1, NONE, 0}, 2);
  /* All None with axis_size: every output broadcast. */
  jet_axis_spec none = {false, 0};
  v = vm(&none, 1, NULL, 0, 3);
  check_vmap(k_f, NULL, 0, &v, (const int[]){NONE, NONE, NONE}, (const int[]){0, 0, 0}, 3);
  jet_graph *g = xform(k_f, &v, 1);
  assert_type(g, g->outputs[0], "f64[3,3]");
  assert_type(g, 1, "f64[2,3]");
  jet_graph_destroy(g);
}

static void test_errors(void **state) {
  (void)state;
  jet_axis_spec two[2] = {{true, 0}, {true, 0}};
  jet_transform v = vm(two, 2, NULL, 0, 3);
  xform_err(k_f, &v, 1, JET_INVALID_ARGUMENT,
            "transforms[0] (vmap): vmap in_axes must be an int, None, or a tuple of entries "
            "corresponding to the positional arguments passed to the function, but got "
            "len(in_axes)=2, len(args)=3");
  const char *scalar = "graph f(%0: f64[]) { %1 = sin %0 : f64[] return %1 }";
  jet_axis_spec one = {true, 1};
  v = vm(&one, 1, NULL, 0, 3);
  xform_err(scalar, &v, 1, JET_INVALID_ARGUMENT,
            "argument 0: vmap was requested to map its argument along axis 1, which implies "
            "that its rank should be at least 2, but is only 1 (its shape is [3])");
  jet_axis_spec none = {false, 0};
  v = vm(&none, 1, NULL, 0, 0);
  xform_err(scalar, &v, 1, JET_INVALID_ARGUMENT,
            "vmap must have at least one non-None value in in_axes, or axis_size must be given");
  v = vm(NULL, 0, &none, 1, 3);
  xform_err(scalar, &v, 1, JET_INVALID_ARGUMENT,
            "transforms[0] (vmap): vmap has mapped output (output 0) but out_axes is None");
  v = vm(NULL, 0, &one, 1, 3);
  xform_err(scalar, &v, 1, JET_INVALID_ARGUMENT,
            "vmap out_axes 1 is out of range for output 0 of type f64[]");
  v = vm(NULL, 0, NULL, 0, 0);
  xform_err(scalar, &v, 1, JET_INVALID_ARGUMENT, "vmap needs axis_size");
  /* Sizes read from a call's operands: inconsistent, or not axis_size. */
  const char *bad =
      "graph main(%0: f32[2,3], %1: f32[3]) {"
      "  %2 = call[transforms=[vmap()]] %0, %1 : f32[2,3] {"
      "    graph f(%0: f32[3], %1: f32[]) { %2 = mul %0, %1 : f32[3] return %2 } }"
      "  return %2 }";
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(bad, strlen(bad), &g);
  assert_non_null(st);
  if (!strstr(jet_status_message(st),
              "vmap got inconsistent sizes for array axes to be mapped:\n"
              "  * one axis had size 2: axis 0 of argument 0 of type f32[2,3];\n"
              "  * one axis had size 3: axis 0 of argument 1 of type f32[3]"))
    fail_msg("got '%s'", jet_status_message(st));
  jet_status_free(st);
  const char *bad2 =
      "graph main(%0: f32[2,3]) {"
      "  %1 = call[transforms=[vmap(axis_size=4)]] %0 : f32[4,3] {"
      "    graph f(%0: f32[3]) { %1 = sin %0 : f32[3] return %1 } }"
      "  return %1 }";
  st = jet_graph_parse(bad2, strlen(bad2), &g);
  assert_non_null(st);
  if (!strstr(jet_status_message(st),
              "vmap got axis_size=4 but axis 0 of argument 0 of type f32[2,3] has size 2"))
    fail_msg("got '%s'", jet_status_message(st));
  jet_status_free(st);
}

/* vmap of vmap with different axes and two axis names: each level equals a
 * loop over the level below, so the whole equals a double loop. */
static void test_nested(void **state) {
  (void)state;
  const char *src =
      "graph f(%0: f64[2], %1: f64[]) {"
      "  %2 = sin %0 : f64[2]"
      "  %3 = mul %2, %1 : f64[2]"
      "  %4 = reduce_sum[axes=[0]] %3 : f64[]"
      "  return %4 }";
  jet_axis_spec in1[2] = {{true, 0}, {false, 0}};
  jet_transform v1 = vm(in1, 2, NULL, 0, 3);
  v1.axis_name = "i";
  check_vmap(src, NULL, 0, &v1, (const int[]){0, NONE}, (const int[]){0}, 3);
  jet_axis_spec in2[2] = {{true, 1}, {true, 0}}, out2 = {true, 1};
  jet_transform v2 = vm(in2, 2, &out2, 1, 4);
  v2.axis_name = "j";
  check_vmap(src, &v1, 1, &v2, (const int[]){1, 0}, (const int[]){1}, 4);
  jet_transform both[2] = {v1, v2};
  jet_graph *g = xform(src, both, 2);
  assert_type(g, 0, "f64[3,4,2]");
  assert_type(g, 1, "f64[4]");
  assert_type(g, g->outputs[0], "f64[3,4]");
  /* The double loop, directly. */
  double x[24], y[4];
  for (int i = 0; i < 24; i++) x[i] = rnd();
  for (int i = 0; i < 4; i++) y[i] = rnd();
  double **r = run(g, (const double *[]){x, y});
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < 4; j++) {
      const double *e = &x[(i * 4 + j) * 2];
      near(r[0][i * 4 + j], (sin(e[0]) + sin(e[1])) * y[j], 1e-14);
    }
  free_outs(r);
  jet_graph_destroy(g);
}

/* A two-layer MLP loss: sum((tanh(x.w1) . w2 - y)^2). */
static const char *k_mlp =
    "graph loss(%0: f64[3,4], %1: f64[4,2], %2: f64[3], %3: f64[2]) {"
    "  %4 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]] %2, %0 "
    ": f64[4]"
    "  %5 = tanh %4 : f64[4]"
    "  %6 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]] %5, %1 "
    ": f64[2]"
    "  %7 = sub %6, %3 : f64[2]"
    "  %8 = mul %7, %7 : f64[2]"
    "  %9 = reduce_sum[axes=[0]] %8 : f64[]"
    "  return %9 }";

/* Per-example gradients: vmap(grad(loss, argnums=(0, 1)), in_axes=(None,
 * None, 0, 0)) equals a loop of grad calls; also through a call node whose
 * batch size comes from its operands. */
static void test_per_example_grads(void **state) {
  (void)state;
  static const int32_t an[2] = {0, 1};
  jet_transform gr = tf(JET_TF_GRAD);
  gr.argnums = an;
  gr.n_argnums = 2;
  gr.argnums_tuple = true;
  jet_axis_spec in[4] = {{false, 0}, {false, 0}, {true, 0}, {true, 0}};
  jet_transform v = vm(in, 4, NULL, 0, 8);
  check_vmap(k_mlp, &gr, 1, &v, (const int[]){NONE, NONE, 0, 0}, (const int[]){0, 0}, 8);
  jet_graph *g = xform(k_mlp, (const jet_transform[]){gr, v}, 2);
  assert_type(g, g->outputs[0], "f64[8,3,4]");
  assert_type(g, g->outputs[1], "f64[8,4,2]");
  jet_graph_destroy(g);
  /* Through a call node: no axis_size, the size of X and Y. */
  const char *main_src =
      "graph main(%0: f64[3,4], %1: f64[4,2], %2: f64[6,3], %3: f64[6,2]) {"
      "  %4, %5 = call[transforms=[grad(argnums=[0, 1]), vmap(in_axes=[none, none, 0, 0])]] "
      "%0, %1, %2, %3 : f64[6,3,4], f64[6,4,2] {"
      "    graph loss(%0: f64[3,4], %1: f64[4,2], %2: f64[3], %3: f64[2]) {"
      "      %4 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]] "
      "%2, %0 : f64[4]"
      "      %5 = tanh %4 : f64[4]"
      "      %6 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]] "
      "%5, %1 : f64[2]"
      "      %7 = sub %6, %3 : f64[2]"
      "      %8 = mul %7, %7 : f64[2]"
      "      %9 = reduce_sum[axes=[0]] %8 : f64[]"
      "      return %9 } }"
      "  return %4, %5 }";
  g = xform(main_src, NULL, 0);
  jet_graph *f = xform(k_mlp, &gr, 1);
  double w1[12], w2[8], X[18], Y[12];
  for (int i = 0; i < 12; i++) w1[i] = rnd();
  for (int i = 0; i < 8; i++) w2[i] = rnd();
  for (int i = 0; i < 18; i++) X[i] = rnd();
  for (int i = 0; i < 12; i++) Y[i] = rnd();
  double **r = run(g, (const double *[]){w1, w2, X, Y});
  for (int b = 0; b < 6; b++) {
    double **rf = run(f, (const double *[]){w1, w2, X + 3 * b, Y + 2 * b});
    near_all(r[0] + 12 * b, rf[0], 12, 1e-13);
    near_all(r[1] + 8 * b, rf[1], 8, 1e-13);
    free_outs(rf);
  }
  free_outs(r);
  jet_graph_destroy(f);
  jet_graph_destroy(g);
}

/* grad of the sum of a vmapped function: d/dX sum_b f(X[b]) = f'(X[b]). */
static void test_grad_of_vmap(void **state) {
  (void)state;
  const char *src =
      "graph main(%0: f64[4,3]) {"
      "  %1 = call[transforms=[vmap()]] %0 : f64[4] {"
      "    graph f(%0: f64[3]) {"
      "      %1 = sin %0 : f64[3]"
      "      %2 = mul %1, %0 : f64[3]"
      "      %3 = reduce_sum[axes=[0]] %2 : f64[]"
      "      return %3 } }"
      "  %2 = reduce_sum[axes=[0]] %1 : f64[]"
      "  return %2 }";
  jet_transform t = tf(JET_TF_GRAD);
  jet_graph *g = xform(src, &t, 1);
  assert_type(g, g->outputs[0], "f64[4,3]");
  double x[12];
  for (int i = 0; i < 12; i++) x[i] = 2 * rnd();
  double **r = run(g, (const double *[]){x});
  for (int i = 0; i < 12; i++) near(r[0][i], cos(x[i]) * x[i] + sin(x[i]), 1e-14);
  free_outs(r);
  jet_graph_destroy(g);
}

static const char *k_jac_src = AD_JAC_DOC_SRC;
static const char *k_hess_src = AD_HESS_DOC_SRC;

static void test_jacobians(void **state) {
  (void)state;
  const double want[12] = {1, 0, 0, 0, 0, 5, 0, 16, -2, 3 * cos(1.0), 0, sin(1.0)};
  jet_transform_kind kinds[2] = {JET_TF_JACFWD, JET_TF_JACREV};
  for (int i = 0; i < 2; i++) {
    jet_transform t = tf(kinds[i]);
    jet_graph *g = xform(k_jac_src, &t, 1);
    assert_type(g, g->outputs[0], "f64[4,3]");
    double x[3] = {1, 2, 3};
    double **r = run(g, (const double *[]){x});
    near_all(r[0], want, 12, 1e-14);
    free_outs(r);
    jet_graph_destroy(g);
    /* Per-example Jacobians: vmap of jacfwd / jacrev. */
    jet_transform v = vm(NULL, 0, NULL, 0, 5);
    check_vmap(k_jac_src, &t, 1, &v, (const int[]){0}, (const int[]){0}, 5);
  }
  jet_transform h = tf(JET_TF_HESSIAN);
  jet_graph *g = xform(k_hess_src, &h, 1);
  assert_type(g, g->outputs[0], "f64[2,2]");
  double x[2] = {1, 2};
  double **r = run(g, (const double *[]){x});
  near_all(r[0], (const double[]){6, -2, -2, -480}, 4, 1e-13);
  free_outs(r);
  jet_graph_destroy(g);
  jet_axis_spec last = {true, -1};
  jet_transform v = vm(&last, 1, &last, 1, 3);
  check_vmap(k_hess_src, &h, 1, &v, (const int[]){1}, (const int[]){2}, 3);
  /* The Jacobians' node counts do not depend on the input size. */
  uint32_t fwd[3], rev[3];
  const int64_t sizes[3] = {3, 30, 300};
  for (int i = 0; i < 3; i++) {
    char src[256];
    snprintf(src, sizeof src,
             "graph f(%%0: f64[%lld]) { %%1 = sin %%0 : f64[%lld] %%2 = mul %%1, %%0 : f64[%lld] "
             "return %%2 }",
             (long long)sizes[i], (long long)sizes[i], (long long)sizes[i]);
    jet_transform t = tf(JET_TF_JACFWD);
    jet_graph *jg = xform(src, &t, 1);
    fwd[i] = jg->n_nodes;
    jet_graph_destroy(jg);
    t = tf(JET_TF_JACREV);
    jg = xform(src, &t, 1);
    rev[i] = jg->n_nodes;
    jet_graph_destroy(jg);
  }
  assert_int_equal(fwd[0], fwd[1]);
  assert_int_equal(fwd[1], fwd[2]);
  assert_int_equal(rev[0], rev[1]);
  assert_int_equal(rev[1], rev[2]);
}

/* vmap of a graph holding a call whose callee carries grad. */
static void test_through_calls(void **state) {
  (void)state;
  const char *src =
      "graph main(%0: f64[], %1: f64[2]) {"
      "  %2 = call[transforms=[grad()]] %0 : f64[] {"
      "    graph f(%0: f64[]) {"
      "      %1 = sin %0 : f64[]"
      "      %2 = mul %1, %0 : f64[]"
      "      return %2 } }"
      "  %3 = mul %1, %2 : f64[2]"
      "  return %3, %2 }";
  jet_transform v = vm(NULL, 0, NULL, 0, 5);
  check_vmap(src, NULL, 0, &v, (const int[]){0, 0}, (const int[]){0, 0}, 5);
  jet_axis_spec in[2] = {{false, 0}, {true, 1}}, out[2] = {{true, 1}, {false, 0}};
  v = vm(in, 2, out, 2, 4);
  check_vmap(src, NULL, 0, &v, (const int[]){NONE, 1}, (const int[]){1, NONE}, 4);
  /* A vmapped call inside a vmapped graph. */
  const char *src2 =
      "graph main(%0: f64[3,2]) {"
      "  %1 = call[transforms=[grad(), vmap(in_axes=[1])]] %0 : f64[2,3] {"
      "    graph f(%0: f64[3]) {"
      "      %1 = sin %0 : f64[3]"
      "      %2 = reduce_sum[axes=[0]] %1 : f64[]"
      "      return %2 } }"
      "  return %1 }";
  v = vm(NULL, 0, NULL, 0, 4);
  check_vmap(src2, NULL, 0, &v, (const int[]){0}, (const int[]){0}, 4);
}

/* The batched graph's node count does not depend on the batch size. */
static void test_node_count(void **state) {
  (void)state;
  const int64_t sizes[3] = {1, 10, 1000};
  uint32_t n_root[3], n_call[3];
  jet_axis_spec in[4] = {{false, 0}, {false, 0}, {true, 0}, {true, 0}};
  for (int i = 0; i < 3; i++) {
    jet_transform v = vm(in, 4, NULL, 0, sizes[i]);
    jet_graph *g = xform(k_mlp, &v, 1);
    n_root[i] = g->n_nodes;
    jet_graph_destroy(g);
    char src[1024];
    long long b = (long long)sizes[i];
    snprintf(src, sizeof src,
             "graph main(%%0: f64[3,4], %%1: f64[4,2], %%2: f64[%lld,3], %%3: f64[%lld,2]) {"
             "  %%4 = call[transforms=[vmap(in_axes=[none, none, 0, 0])]] %%0, %%1, %%2, %%3 "
             ": f64[%lld] {"
             "    graph loss(%%0: f64[3,4], %%1: f64[4,2], %%2: f64[3], %%3: f64[2]) {"
             "      %%4 = dot_general[lhs_contracting_dimensions=[0], "
             "rhs_contracting_dimensions=[0]] %%2, %%0 : f64[4]"
             "      %%5 = tanh %%4 : f64[4]"
             "      %%6 = dot_general[lhs_contracting_dimensions=[0], "
             "rhs_contracting_dimensions=[0]] %%5, %%1 : f64[2]"
             "      %%7 = sub %%6, %%3 : f64[2]"
             "      %%8 = mul %%7, %%7 : f64[2]"
             "      %%9 = reduce_sum[axes=[0]] %%8 : f64[]"
             "      return %%9 } }"
             "  return %%4 }",
             b, b, b);
    g = xform(src, NULL, 0);
    n_call[i] = g->n_nodes;
    jet_graph_destroy(g);
  }
  assert_int_equal(n_root[0], n_root[1]);
  assert_int_equal(n_root[1], n_root[2]);
  assert_int_equal(n_call[0], n_call[1]);
  assert_int_equal(n_call[1], n_call[2]);
  /* And the batched loss is right at size 10. */
  jet_transform v = vm(in, 4, NULL, 0, 10);
  check_vmap(k_mlp, NULL, 0, &v, (const int[]){NONE, NONE, 0, 0}, (const int[]){0}, 10);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_axes_forms),     cmocka_unit_test(test_errors),
      cmocka_unit_test(test_nested),         cmocka_unit_test(test_per_example_grads),
      cmocka_unit_test(test_grad_of_vmap),   cmocka_unit_test(test_jacobians),
      cmocka_unit_test(test_through_calls),  cmocka_unit_test(test_node_count),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
