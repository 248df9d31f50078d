/* Helpers shared by test_server_ad_core.c and test_server_ad_transforms.c:
 * parse a graph from text, apply transforms, run with the reference
 * executor on float64 (or other) arguments. Every helper asserts success
 * with cmocka, printing the status message on failure. */
#ifndef JET_TESTS_AD_CORE_UTIL_H
#define JET_TESTS_AD_CORE_UTIL_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "jet/infer.h"
#include "jet/text.h"
#include "mem.h"
#include "transforms/transforms.h"
#include "graph_build.h"

/* JAX's jacfwd docstring: f(x) = [x0, 5 x2, 4 x1^2 - 2 x2, x2 sin x0]. */
#define AD_JAC_DOC_SRC \
    "graph f(%0: f64[3]) {" \
    "  %1 = slice[start_indices=[0], limit_indices=[1]] %0 : f64[1]" \
    "  %2 = slice[start_indices=[1], limit_indices=[2]] %0 : f64[1]" \
    "  %3 = slice[start_indices=[2], limit_indices=[3]] %0 : f64[1]" \
    "  %4 = constant[value=f64[1]{5}] : f64[1]" \
    "  %5 = mul %4, %3 : f64[1]" \
    "  %6 = mul %2, %2 : f64[1]" \
    "  %7 = constant[value=f64[]{4}] : f64[]" \
    "  %8 = mul %7, %6 : f64[1]" \
    "  %9 = constant[value=f64[]{2}] : f64[]" \
    "  %10 = mul %9, %3 : f64[1]" \
    "  %11 = sub %8, %10 : f64[1]" \
    "  %12 = sin %1 : f64[1]" \
    "  %13 = mul %3, %12 : f64[1]" \
    "  %14 = concatenate[dimension=0] %1, %5, %11, %13 : f64[4]" \
    "  return %14 }"

/* JAX's hessian docstring: x0^3 - 2 x0 x1 - x1^6. */
#define AD_HESS_DOC_SRC \
    "graph f(%0: f64[2]) {" \
    "  %1 = slice[start_indices=[0], limit_indices=[1]] %0 : f64[1]" \
    "  %2 = slice[start_indices=[1], limit_indices=[2]] %0 : f64[1]" \
    "  %3 = mul %1, %1 : f64[1]" \
    "  %4 = mul %3, %1 : f64[1]" \
    "  %5 = mul %1, %2 : f64[1]" \
    "  %6 = constant[value=f64[]{2}] : f64[]" \
    "  %7 = mul %6, %5 : f64[1]" \
    "  %8 = integer_pow[y=6] %2 : f64[1]" \
    "  %9 = sub %4, %7 : f64[1]" \
    "  %10 = sub %9, %8 : f64[1]" \
    "  %11 = reshape[new_sizes=[]] %10 : f64[]" \
    "  return %11 }"

static inline void ok(jet_status st) {
  if (st) {
    fprintf(stderr, "unexpected error: %s: %s\n", jet_code_name(jet_status_code(st)),
            jet_status_message(st));
    jet_status_free(st);
    fail();
  }
}

static inline jet_graph *parse(const char *text) {
  jet_graph *g = NULL;
  ok(jet_graph_parse(text, strlen(text), &g));
  return g;
}

static inline jet_transform tf(jet_transform_kind k) { return gb_transform(k); }

/* Applies transforms to a parsed copy of text; asserts success. */
static inline jet_graph *xform(const char *text, const jet_transform *t, uint32_t n) {
  jet_graph *out = NULL;
  ok(jet_transforms_apply(parse(text), t, n, &out));
  ok(jet_graph_validate(out, NULL, 0));
  return out;
}

/* Applies transforms expecting an error with `code` whose message contains
 * `want`. */
static inline void xform_err(const char *text, const jet_transform *t, uint32_t n, jet_code code,
                             const char *want) {
  jet_graph *out = NULL;
  jet_status st = jet_transforms_apply(parse(text), t, n, &out);
  if (!st) {
    jet_graph_destroy(out);
    fprintf(stderr, "expected an error containing \"%s\"\n", want);
    fail();
  }
  if (jet_status_code(st) != code || !strstr(jet_status_message(st), want)) {
    fprintf(stderr, "got %s: %s\nwanted %s containing \"%s\"\n",
            jet_code_name(jet_status_code(st)), jet_status_message(st), jet_code_name(code), want);
    jet_status_free(st);
    fail();
  }
  jet_status_free(st);
}

/* Runs g on args given as doubles (converted to each parameter's dtype;
 * each args[i] holds the parameter's element count). Returns the outputs
 * converted to doubles (malloc'd arrays; free with free_outs). */
static inline double **run(const jet_graph *g, const double *const *args) {
  jet_buf in[16];
  assert_true(g->n_params <= 16);
  for (uint32_t p = 0; p < g->n_params; p++) {
    jet_type t = g->value_types[p];
    int64_t n = jet_type_numel(&t);
    in[p].type = t;
    in[p].data = jet_mem_alloc(jet_type_nbytes(&t) ? jet_type_nbytes(&t) : 1);
    assert_non_null(in[p].data);
    for (int64_t i = 0; i < n; i++) {
      double v = args[p][i];
      switch (t.dtype) {
        case JET_F64: ((double *)in[p].data)[i] = v; break;
        case JET_F32: ((float *)in[p].data)[i] = (float)v; break;
        case JET_I32: ((int32_t *)in[p].data)[i] = (int32_t)v; break;
        case JET_I64: ((int64_t *)in[p].data)[i] = (int64_t)v; break;
        default: fail_msg("unsupported test dtype");
      }
    }
  }
  jet_buf *outs = calloc(g->n_outputs, sizeof *outs);
  assert_non_null(outs);
  ok(jet_exec_graph(g, in, g->n_params, outs, NULL));
  for (uint32_t p = 0; p < g->n_params; p++) jet_mem_free(in[p].data);
  double **res = calloc(g->n_outputs + 1, sizeof *res);
  assert_non_null(res);
  for (uint32_t k = 0; k < g->n_outputs; k++) {
    int64_t n = jet_type_numel(&outs[k].type);
    res[k] = malloc(sizeof(double) * (size_t)(n ? n : 1));
    assert_non_null(res[k]);
    for (int64_t i = 0; i < n; i++) {
      switch (outs[k].type.dtype) {
        case JET_F64: res[k][i] = ((double *)outs[k].data)[i]; break;
        case JET_F32: res[k][i] = ((float *)outs[k].data)[i]; break;
        case JET_I32: res[k][i] = ((int32_t *)outs[k].data)[i]; break;
        case JET_I64: res[k][i] = (double)((int64_t *)outs[k].data)[i]; break;
        case JET_BOOL: res[k][i] = ((uint8_t *)outs[k].data)[i]; break;
        default: fail_msg("unsupported test dtype");
      }
    }
    jet_mem_free(outs[k].data);
  }
  free(outs);
  return res;
}

static inline void free_outs(double **r) {
  for (size_t k = 0; r[k]; k++) free(r[k]);
  free(r);
}

static inline void near(double got, double want, double tol) {
  if (!(fabs(got - want) <= tol * (1.0 + fabs(want)))) {
    fprintf(stderr, "got %.17g, want %.17g\n", got, want);
    fail();
  }
}

static inline void near_all(const double *got, const double *want, int64_t n, double tol) {
  for (int64_t i = 0; i < n; i++) {
    if (!(fabs(got[i] - want[i]) <= tol * (1.0 + fabs(want[i])))) {
      fprintf(stderr, "element %lld: got %.17g, want %.17g\n", (long long)i, got[i], want[i]);
      fail();
    }
  }
}

static inline void assert_type(const jet_graph *g, jet_value v, const char *want) {
  char buf[JET_TYPE_STR_MAX];
  jet_type_str(jet_graph_value_type(g, v), buf, sizeof buf);
  assert_string_equal(buf, want);
}

#endif
