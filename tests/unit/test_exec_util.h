/* Helpers shared by the executor tests (tests/unit/test_exec_*.c): build a
 * one-node graph with the builder, run it with jet_exec_graph, compare. */
#ifndef JET_TEST_EXEC_UTIL_H
#define JET_TEST_EXEC_UTIL_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "exec.h"
#include "graph_build.h"
#include "jet/graph.h"
#include "mem.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define DIMS(...) ((const int64_t[]){__VA_ARGS__})
#define TY(dt, ...) jet_type_make((dt), (int32_t)(sizeof(DIMS(__VA_ARGS__)) / 8), DIMS(__VA_ARGS__))
#define SCALAR(dt) jet_type_scalar(dt)

static inline jet_attr a_int(const char *name, int64_t v) { return gb_int(name, v); }
static inline jet_attr a_ints(const char *name, const int64_t *v, uint32_t n) {
  return gb_ints(name, v, n);
}
#define A_INTS(name, ...) a_ints((name), DIMS(__VA_ARGS__), (uint32_t)(sizeof(DIMS(__VA_ARGS__)) / 8))
#define A_NOINTS(name) a_ints((name), NULL, 0)
static inline jet_attr a_dtype(const char *name, jet_dtype d) { return gb_dtype(name, d); }
static inline jet_attr a_bool(const char *name, bool b) { return gb_bool(name, b); }
static inline jet_attr a_lit(const char *name, jet_type t, const void *data) {
  return gb_lit(name, t, data, jet_type_nbytes(&t));
}

/* Fails the test with the status message when st is not OK. */
static inline void expect_ok(jet_status st) {
  if (st) {
    print_error("unexpected status %s: %s\n", jet_code_name(jet_status_code(st)),
                jet_status_message(st));
    jet_status_free(st);
    fail();
  }
}

/* Runs `op` on the given operands (types and data) with attrs; on success
 * *out holds the (only) result, to be freed with jet_mem_free(out->data).
 * Returns the execution status (graph construction must succeed). */
static inline jet_status run_op(jet_op op, uint32_t n_in, const jet_type *types,
                                const void *const *data, const jet_attr *attrs, uint32_t n_attrs,
                                jet_buf *out) {
  jet_graph *g = jet_graph_create("t");
  assert_non_null(g);
  jet_value params[16];
  jet_buf args[16];
  assert_true(n_in <= 16);
  for (uint32_t i = 0; i < n_in; i++) {
    expect_ok(jet_graph_add_param(g, &types[i], &params[i]));
    args[i].type = types[i];
    args[i].data = (void *)data[i];
  }
  jet_value r;
  expect_ok(jet_graph_add_node(g, op, params, n_in, attrs, n_attrs, NULL, NULL, 0, &r));
  expect_ok(jet_graph_set_outputs(g, &r, 1));
  jet_status st = jet_exec_graph(g, args, n_in, out, NULL);
  jet_graph_destroy(g);
  return st;
}

/* run_op for one operand, expecting success. */
static inline jet_buf run1(jet_op op, jet_type t, const void *x, const jet_attr *attrs,
                           uint32_t n_attrs) {
  jet_buf out = {0};
  const void *d[1] = {x};
  expect_ok(run_op(op, 1, &t, d, attrs, n_attrs, &out));
  return out;
}
static inline jet_buf run2(jet_op op, jet_type ta, const void *a, jet_type tb, const void *b,
                           const jet_attr *attrs, uint32_t n_attrs) {
  jet_buf out = {0};
  jet_type ts[2] = {ta, tb};
  const void *d[2] = {a, b};
  expect_ok(run_op(op, 2, ts, d, attrs, n_attrs, &out));
  return out;
}
static inline jet_buf run3(jet_op op, jet_type ta, const void *a, jet_type tb, const void *b,
                           jet_type tc, const void *c, const jet_attr *attrs, uint32_t n_attrs) {
  jet_buf out = {0};
  jet_type ts[3] = {ta, tb, tc};
  const void *d[3] = {a, b, c};
  expect_ok(run_op(op, 3, ts, d, attrs, n_attrs, &out));
  return out;
}

static inline void expect_type(const jet_buf *b, jet_type t) {
  char x[JET_TYPE_STR_MAX], y[JET_TYPE_STR_MAX];
  if (!jet_type_equal(&b->type, &t)) {
    print_error("type %s, expected %s\n", jet_type_str(&b->type, x, sizeof x),
                jet_type_str(&t, y, sizeof y));
    fail();
  }
}

/* Exact comparison of the result bytes, then frees the result. */
static inline void expect_bytes(jet_buf *b, jet_type t, const void *want) {
  expect_type(b, t);
  size_t nb = jet_type_nbytes(&t);
  if (nb) assert_memory_equal(b->data, want, nb);
  jet_mem_free(b->data);
  b->data = NULL;
}

/* Element i of any dtype as double (exact for ints up to 2^53). */
static inline double elem_f64(const jet_buf *b, int64_t i) {
  switch (b->type.dtype) {
    case JET_BOOL: return ((const uint8_t *)b->data)[i];
    case JET_I32: return ((const int32_t *)b->data)[i];
    case JET_I64: return (double)((const int64_t *)b->data)[i];
    case JET_U8: return ((const uint8_t *)b->data)[i];
    case JET_U32: return ((const uint32_t *)b->data)[i];
    case JET_F32: return ((const float *)b->data)[i];
    case JET_F64: return ((const double *)b->data)[i];
    default: fail(); return 0;
  }
}

/* Compares with a relative+absolute tolerance (NaN matches NaN, infinities
 * must match exactly), then frees the result. */
static inline void expect_near(jet_buf *b, jet_type t, const double *want, double tol) {
  expect_type(b, t);
  int64_t n = jet_type_numel(&t);
  for (int64_t i = 0; i < n; i++) {
    double got = elem_f64(b, i), w = want[i];
    bool ok = (isnan(w) && isnan(got)) || got == w ||
              (isfinite(w) && fabs(got - w) <= tol * (1.0 + fabs(w)));
    if (!ok) {
      print_error("element %lld: got %.17g, expected %.17g\n", (long long)i, got, w);
      fail();
    }
  }
  jet_mem_free(b->data);
  b->data = NULL;
}

/* Writes n doubles as dtype dt into buf (values must be representable). */
static inline void store_as(jet_dtype dt, const double *v, int64_t n, void *buf) {
  for (int64_t i = 0; i < n; i++) {
    switch (dt) {
      case JET_BOOL: ((uint8_t *)buf)[i] = v[i] != 0; break;
      case JET_I32: ((int32_t *)buf)[i] = (int32_t)v[i]; break;
      case JET_I64: ((int64_t *)buf)[i] = (int64_t)v[i]; break;
      case JET_U8: ((uint8_t *)buf)[i] = (uint8_t)v[i]; break;
      case JET_U32: ((uint32_t *)buf)[i] = (uint32_t)v[i]; break;
      case JET_F32: ((float *)buf)[i] = (float)v[i]; break;
      case JET_F64: ((double *)buf)[i] = v[i]; break;
      default: fail();
    }
  }
}

static const jet_dtype all_dtypes[] = {JET_BOOL, JET_I32, JET_I64, JET_U8,
                                       JET_U32,  JET_F32, JET_F64};

#endif
