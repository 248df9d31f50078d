/* Numerical checks of automatic differentiation for the server unit tests
 * test_server_ad_{ops,random,higher}.c: builds derivative graphs of a
 * primal graph f through jet_transforms_apply + jet_passes_cleanup, runs
 * them with the reference executor (jet_exec_graph) and compares with
 * central finite differences of f and with each other. The checks live in
 * ad_check.c (tests/CMakeLists.txt compiles it into those tests); the graph
 * builder and buffer helpers here are static inline.
 *
 * adc_check(f, x, opts) checks, at the point x (float64 parameters; integer
 * parameters are held fixed):
 *   1. jvp(f)(x; v)      == J v            (J by central differences)
 *   2. vjp(f)(x; u)      == J^T u          (full FD Jacobian when f has at
 *                                           most ADC_FULL_JAC float inputs)
 *      <vjp(u), v>       == <u, jvp(v)>    (agreement, near exact)
 *   3. grad(L)(x)        == vjp(f)(x; u)   with L(x) = sum_j <u_j, f_j(x)>
 *      value_and_grad(L) == (L(x), grad L(x))
 *   4. second order (H = Hessian of L):
 *      jvp(grad L)(x; v)             == (grad L(x+hv) - grad L(x-hv)) / 2h
 *      <vjp(grad L)(x; w), v>        == <w, jvp(grad L)(x; v)>   (H symmetric)
 *      jvp(jvp f)(x, v; v, 0)        == (jvp f(x+hv; v) - jvp f(x-hv; v)) / 2h
 *      <u, jvp(jvp f)(x, v; v, 0)>   == <v, H v>
 *      vjp(jvp f)(x, v; 0, u)        == (H v, J^T u)
 *   Integer/bool results must have exactly zero tangents and integer
 *   parameters exactly zero cotangents, whatever the (random, non-zero)
 *   tangents passed for integer parameters. With opts.expect_zero every
 *   derivative must be exactly 0 (ops without a derivative) and FD is not
 *   consulted.
 *
 * Tolerances (float64, all documented here):
 *   - FD: central differences at steps h and h/2 combined by one
 *     Richardson step, (4 D(h/2) - D(h)) / 3, so the truncation error is
 *     O(h^4 |f^(5)|); h = eps * max(1, |x|_inf) per direction, eps = 1e-5
 *     (rounding error ~1e-16 |f| / h ~ 1e-11 |f|).
 *   - AD vs FD (first and second order): max_i |ad_i - fd_i| <=
 *     tol * max(1, max_i |fd_i|), tol = 1e-6 (first), 1e-5 (second order).
 *   - AD vs AD (same quantity by two modes, only rounding differs):
 *     |a - b| <= 1e-9 * (sum of |terms| of both sides) + 1e-12.
 *   A case may override eps and the tolerances (e.g. for a round trip
 *   through float32).
 *
 * Failures are printed to stderr with the case label and counted; the
 * checker never longjmps, so it leaks nothing when a check fails. With the
 * environment variable ADC_VERBOSE set, every case prints its check count. */
#ifndef JET_TESTS_AD_CHECK_H
#define JET_TESTS_AD_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes.h"
#include "exec.h"
#include "jet/graph.h"
#include "jet/infer.h"
#include "jet/text.h"
#include "mem.h"
#include "transforms/transforms.h"
#include "graph_build.h"

#define ADC_MAX 16          /* parameters / outputs of a checked graph */
#define ADC_FULL_JAC 256    /* full FD Jacobian up to this many float inputs */
#define ADC_EPS 1e-5
#define ADC_TOL1 1e-6
#define ADC_TOL2 1e-5
#define ADC_TOL_AGREE 1e-9

/* ---------------------------------------------------------------- rng */

typedef struct adc_rng {
  uint64_t s;
} adc_rng;

static inline uint64_t adc_next(adc_rng *r) { /* splitmix64 */
  uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}
static inline double adc_unif(adc_rng *r, double lo, double hi) {
  return lo + (hi - lo) * ((double)(adc_next(r) >> 11) * 0x1.0p-53);
}
static inline int64_t adc_randint(adc_rng *r, int64_t lo, int64_t hi) { /* [lo, hi] */
  return lo + (int64_t)(adc_next(r) % (uint64_t)(hi - lo + 1));
}

/* ---------------------------------------------------------------- builder */

/* Sticky-error graph builder for the test graphs. */
typedef struct adc_b {
  jet_graph *g;
  jet_status st;
} adc_b;

#define ADC_DIMS(...) ((const int64_t[]){__VA_ARGS__})
#define ADC_T(dt, ...) \
  jet_type_make((dt), (int32_t)(sizeof(ADC_DIMS(__VA_ARGS__)) / 8), ADC_DIMS(__VA_ARGS__))
#define ADC_S(dt) jet_type_scalar(dt)
#define ADC_INTS(name, ...) \
  adc_ints((name), ADC_DIMS(__VA_ARGS__), (uint32_t)(sizeof(ADC_DIMS(__VA_ARGS__)) / 8))

static inline adc_b adc_begin(const char *name) {
  adc_b b = {jet_graph_create(name), NULL};
  if (!b.g) b.st = jet_status_oom("test graph");
  return b;
}
static inline jet_attr adc_int(const char *name, int64_t v) { return gb_int(name, v); }
static inline jet_attr adc_ints(const char *name, const int64_t *v, uint32_t n) {
  return gb_ints(name, v, n);
}
static inline jet_attr adc_bool(const char *name, bool v) { return gb_bool(name, v); }
static inline jet_attr adc_dtype(const char *name, jet_dtype v) { return gb_dtype(name, v); }
static inline jet_value adc_param(adc_b *b, jet_type t) {
  jet_value v = JET_NO_VALUE;
  if (!b->st) b->st = jet_graph_add_param(b->g, &t, &v);
  return v;
}
static inline jet_value adc_op(adc_b *b, jet_op op, const jet_value *x, uint32_t n,
                               const jet_attr *attrs, uint32_t n_attrs) {
  jet_value v = JET_NO_VALUE;
  if (!b->st) b->st = jet_graph_add_node(b->g, op, x, n, attrs, n_attrs, NULL, NULL, 0, &v);
  return v;
}
static inline jet_value adc_op1(adc_b *b, jet_op op, jet_value x) { return adc_op(b, op, &x, 1, NULL, 0); }
static inline jet_value adc_op2(adc_b *b, jet_op op, jet_value x, jet_value y) {
  jet_value v[2] = {x, y};
  return adc_op(b, op, v, 2, NULL, 0);
}
static inline jet_value adc_op3(adc_b *b, jet_op op, jet_value x, jet_value y, jet_value z) {
  jet_value v[3] = {x, y, z};
  return adc_op(b, op, v, 3, NULL, 0);
}
/* A constant node holding data of type t (copied into the graph). */
static inline jet_value adc_const(adc_b *b, jet_type t, const void *data) {
  jet_attr a = gb_lit("value", t, data, jet_type_nbytes(&t));
  return adc_op(b, JET_OP_CONSTANT, NULL, 0, &a, 1);
}
static inline jet_value adc_scalar(adc_b *b, jet_dtype dt, double v) {
  jet_type t = jet_type_scalar(dt);
  double d = v;
  float f = (float)v;
  int32_t i = (int32_t)v;
  int64_t l = (int64_t)v;
  const void *p = dt == JET_F64 ? (const void *)&d
                  : dt == JET_F32 ? (const void *)&f
                  : dt == JET_I64 ? (const void *)&l
                                  : (const void *)&i;
  return adc_const(b, t, p);
}
static inline void adc_outputs(adc_b *b, const jet_value *outs, uint32_t n) {
  if (!b->st) b->st = jet_graph_set_outputs(b->g, outs, n);
}
/* Returns the graph, or NULL after printing the builder's error. */
static inline jet_graph *adc_finish(adc_b *b, const char *label) {
  if (!b->st) b->st = jet_graph_validate(b->g, NULL, 0);
  if (b->st) {
    fprintf(stderr, "[%s] building the test graph failed: %s\n", label,
            jet_status_message(b->st));
    jet_status_free(b->st);
    b->st = NULL;
    jet_graph_destroy(b->g);
    b->g = NULL;
    return NULL;
  }
  jet_graph *g = b->g;
  b->g = NULL;
  return g;
}

/* ---------------------------------------------------------------- graphs */

/* Deep copy through the text form (round-trips exactly, callees and their
 * transforms included). */
static inline jet_status adc_clone(const jet_graph *g, jet_graph **out) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_graph_print(g, &sb);
  if (!st) st = jet_strbuf_status(&sb);
  if (!st) st = jet_graph_parse(sb.data, sb.len, out);
  jet_strbuf_free(&sb);
  return st;
}

static inline void adc_dump(const jet_graph *g) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_graph_print(g, &sb);
  if (!st && sb.data) fprintf(stderr, "%s\n", sb.data);
  jet_status_free(st);
  jet_strbuf_free(&sb);
}

static inline jet_transform adc_tf(jet_transform_kind kind) { return gb_transform(kind); }

/* out = cleanup(transforms(copy of f)); optionally without the cleanup. */
static inline jet_status adc_transform_ex(const jet_graph *f, const jet_transform *tfs, uint32_t n,
                                          bool cleanup, jet_graph **out) {
  *out = NULL;
  jet_graph *c = NULL, *t = NULL;
  jet_status st = adc_clone(f, &c);
  if (st) return st;
  st = jet_transforms_apply(c, tfs, n, &t);
  if (st) return st;
  if (!cleanup) {
    *out = t;
    return NULL;
  }
  st = jet_passes_cleanup(t, out);
  jet_graph_destroy(t);
  return st;
}
static inline jet_status adc_transform(const jet_graph *f, const jet_transform *tfs, uint32_t n,
                                       jet_graph **out) {
  return adc_transform_ex(f, tfs, n, true, out);
}
/* A runnable copy of f: call nodes inlined with their transforms applied
 * (the executor runs no transforms). */
static inline jet_status adc_flatten(const jet_graph *f, jet_graph **out) {
  return adc_transform_ex(f, NULL, 0, false, out);
}

/* ---------------------------------------------------------------- buffers */

static inline bool adc_isf(jet_dtype d) { return d == JET_F32 || d == JET_F64; }
static inline int64_t adc_numel(const jet_buf *b) { return jet_type_numel(&b->type); }

static inline double adc_get(const jet_buf *b, int64_t i) {
  switch (b->type.dtype) {
    case JET_BOOL: return ((const uint8_t *)b->data)[i];
    case JET_U8: return ((const uint8_t *)b->data)[i];
    case JET_I32: return ((const int32_t *)b->data)[i];
    case JET_U32: return ((const uint32_t *)b->data)[i];
    case JET_I64: return (double)((const int64_t *)b->data)[i];
    case JET_F32: return ((const float *)b->data)[i];
    case JET_F64: return ((const double *)b->data)[i];
    default: return NAN;
  }
}
static inline void adc_set(jet_buf *b, int64_t i, double v) {
  switch (b->type.dtype) {
    case JET_BOOL: ((uint8_t *)b->data)[i] = v != 0; break;
    case JET_U8: ((uint8_t *)b->data)[i] = (uint8_t)v; break;
    case JET_I32: ((int32_t *)b->data)[i] = (int32_t)v; break;
    case JET_U32: ((uint32_t *)b->data)[i] = (uint32_t)v; break;
    case JET_I64: ((int64_t *)b->data)[i] = (int64_t)v; break;
    case JET_F32: ((float *)b->data)[i] = (float)v; break;
    case JET_F64: ((double *)b->data)[i] = v; break;
    default: break;
  }
}

/* A zero-filled buffer of type t (malloc; free with adc_buf_free). */
static inline jet_buf adc_buf(jet_type t) {
  jet_buf b = {t, NULL};
  size_t nb = jet_type_nbytes(&t);
  b.data = calloc(1, nb ? nb : 1);
  return b;
}
static inline void adc_buf_free(jet_buf *b) {
  free(b->data);
  b->data = NULL;
}
static inline void adc_bufs_free(jet_buf *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) adc_buf_free(&b[i]);
}
/* Frees executor outputs. */
static inline void adc_outs_free(jet_buf *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    jet_mem_free(b[i].data);
    b[i].data = NULL;
  }
}

/* Runs g; outputs are copied to malloc'd buffers (free with adc_bufs_free).
 * On error prints it (with the label and what) and returns false, leaving
 * outs zeroed. */
static inline bool adc_run(const jet_graph *g, const jet_buf *args, uint32_t n, jet_buf *outs,
                           const char *label, const char *what) {
  memset(outs, 0, sizeof(jet_buf) * g->n_outputs);
  if (g->n_params != n) {
    fprintf(stderr, "[%s] %s: graph has %u params, test passes %u\n", label, what, g->n_params, n);
    return false;
  }
  for (uint32_t i = 0; i < n; i++) {
    if (!jet_type_equal(&g->value_types[i], &args[i].type)) {
      char a[JET_TYPE_STR_MAX], c[JET_TYPE_STR_MAX];
      fprintf(stderr, "[%s] %s: param %u has type %s, test passes %s\n", label, what, i,
              jet_type_str(&g->value_types[i], a, sizeof a), jet_type_str(&args[i].type, c, sizeof c));
      return false;
    }
  }
  jet_buf tmp[ADC_MAX * 4];
  if (g->n_outputs > ADC_MAX * 4) {
    fprintf(stderr, "[%s] %s: too many outputs (%u)\n", label, what, g->n_outputs);
    return false;
  }
  jet_status st = jet_exec_graph(g, args, n, tmp, NULL);
  if (st) {
    fprintf(stderr, "[%s] %s: execution failed: %s\n", label, what, jet_status_message(st));
    jet_status_free(st);
    return false;
  }
  for (uint32_t j = 0; j < g->n_outputs; j++) {
    outs[j] = adc_buf(tmp[j].type);
    if (outs[j].data) memcpy(outs[j].data, tmp[j].data, jet_type_nbytes(&tmp[j].type));
    jet_mem_free(tmp[j].data);
  }
  return true;
}

/* ---------------------------------------------------------------- checks */

typedef struct adc_opts {
  const char *label;
  double eps;        /* 0 = ADC_EPS */
  double tol1, tol2; /* 0 = ADC_TOL1 / ADC_TOL2 */
  double tol_agree;  /* 0 = ADC_TOL_AGREE */
  bool expect_zero;  /* every derivative exactly 0 */
  bool first_only;   /* skip the second-order checks */
  uint64_t seed;     /* for the directions u, v, w */
} adc_opts;

/* Runs every check of the header comment on f at x (f's params). Returns
 * the number of failed checks (0 = all passed); failures are printed.
 * (tests/common/ad_check.c) */
int adc_check(const jet_graph *f, const jet_buf *x, const adc_opts *o);

#endif
