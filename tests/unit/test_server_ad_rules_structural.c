/* Numerical checks of the JVP and VJP rules of the structural ops
 * (server/transforms/ad/rules_{shape,slice,gather,reduce,dot}.c): for each
 * case a one-op graph is built, differentiated with jet_ad_jvp / jet_ad_vjp
 * and run with the reference executor, checking
 *   - the JVP against central finite differences (float64),
 *   - <vjp(u), v> == <u, jvp(v)> (rtol 1e-10),
 *   - second order: the JVP of the VJP graph against finite differences of
 *     the VJP graph (Hessian-vector products for the nonlinear ops).
 * Ties of reduce_max/min and empty reductions are checked against values
 * the test computes itself. */
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "exec.h"
#include "jet/graph.h"
#include "mem.h"
#include "transforms/ad/ad.h"
#include "graph_build.h"

#define MAXP 4
#define DIMS(...) ((const int64_t[]){__VA_ARGS__})
#define NDIMS(...) ((int32_t)(sizeof(DIMS(__VA_ARGS__)) / sizeof(int64_t)))
#define TY(dt, ...) jet_type_make((dt), NDIMS(__VA_ARGS__), DIMS(__VA_ARGS__))
#define F64(...) TY(JET_F64, __VA_ARGS__)
#define AI(name, ...) gb_ints((name), DIMS(__VA_ARGS__), (uint32_t)NDIMS(__VA_ARGS__))
#define ANONE(name) gb_ints((name), NULL, 0)

static void expect_ok(jet_status st) {
  if (st) {
    print_error("unexpected status %s: %s\n", jet_code_name(jet_status_code(st)),
                jet_status_message(st));
    jet_status_free(st);
    fail();
  }
}

/* ---- buffers ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static double rnd(void) { /* uniform in [-1, 1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) / 9007199254740992.0 * 2.0 - 1.0;
}

static double get(const jet_buf *b, int64_t i) {
  switch (b->type.dtype) {
    case JET_F64: return ((const double *)b->data)[i];
    case JET_F32: return ((const float *)b->data)[i];
    case JET_I32: return ((const int32_t *)b->data)[i];
    case JET_I64: return (double)((const int64_t *)b->data)[i];
    case JET_U32: return ((const uint32_t *)b->data)[i];
    case JET_U8:
    case JET_BOOL: return ((const uint8_t *)b->data)[i];
    default: fail_msg("unexpected dtype"); return 0;
  }
}

static void set(jet_buf *b, int64_t i, double v) {
  switch (b->type.dtype) {
    case JET_F64: ((double *)b->data)[i] = v; break;
    case JET_F32: ((float *)b->data)[i] = (float)v; break;
    case JET_I32: ((int32_t *)b->data)[i] = (int32_t)v; break;
    case JET_I64: ((int64_t *)b->data)[i] = (int64_t)v; break;
    case JET_U8: ((uint8_t *)b->data)[i] = (uint8_t)v; break;
    default: fail_msg("unexpected dtype");
  }
}

static jet_buf buf_zeros(const jet_type *t) {
  jet_buf b = {*t, calloc(1, jet_type_nbytes(t) + 8)};
  assert_non_null(b.data);
  return b;
}

static jet_buf buf_copy(const jet_buf *s) {
  jet_buf b = buf_zeros(&s->type);
  memcpy(b.data, s->data, jet_type_nbytes(&s->type));
  return b;
}

static bool is_float(const jet_type *t) { return jet_dtype_is_float(t->dtype); }

/* Runs g; outs[] must be freed with free_outs. */
static void run(const jet_graph *g, const jet_buf *args, jet_buf *outs) {
  expect_ok(jet_exec_graph(g, args, g->n_params, outs, NULL));
}

static void free_outs(const jet_graph *g, jet_buf *outs) {
  for (uint32_t i = 0; i < g->n_outputs; i++) jet_mem_free(outs[i].data);
}

/* ---- the cases ---- */

typedef struct op_case {
  const char *what;
  jet_op op;
  uint32_t n_in;
  jet_type in[MAXP];
  const double *data[MAXP]; /* fixed operand data (indices, ties); NULL = random */
  jet_attr attrs[8];
  uint32_t n_attrs;
  uint32_t frozen; /* bit i: operand i goes through stop_gradient */
  double tol;      /* finite-difference tolerance (relative) */
} op_case;

static jet_graph *build(const op_case *c) {
  jet_graph *g = jet_graph_create("f");
  assert_non_null(g);
  jet_value p[MAXP];
  for (uint32_t i = 0; i < c->n_in; i++) expect_ok(jet_graph_add_param(g, &c->in[i], &p[i]));
  for (uint32_t i = 0; i < c->n_in; i++) {
    if (c->frozen & (1u << i)) {
      expect_ok(jet_graph_add_node(g, JET_OP_STOP_GRADIENT, &p[i], 1, NULL, 0, NULL, NULL, 0,
                                   &p[i]));
    }
  }
  jet_value out;
  jet_status st = jet_graph_add_node(g, c->op, p, c->n_in, c->attrs, c->n_attrs, NULL, NULL, 0,
                                     &out);
  if (st) print_error("case %s: ", c->what);
  expect_ok(st);
  expect_ok(jet_graph_set_outputs(g, &out, 1));
  return g;
}

static void make_args(const op_case *c, jet_buf *args) {
  for (uint32_t i = 0; i < c->n_in; i++) {
    args[i] = buf_zeros(&c->in[i]);
    int64_t n = jet_type_numel(&c->in[i]);
    for (int64_t k = 0; k < n; k++) set(&args[i], k, c->data[i] ? c->data[i][k] : rnd());
  }
}

/* Random directions for g's params: float and not frozen ones random. */
static void make_dirs(const jet_graph *g, uint32_t frozen, jet_buf *v) {
  for (uint32_t i = 0; i < g->n_params; i++) {
    v[i] = buf_zeros(&g->value_types[i]);
    if (!is_float(&v[i].type) || (frozen & (1u << i))) continue;
    int64_t n = jet_type_numel(&v[i].type);
    for (int64_t k = 0; k < n; k++) set(&v[i], k, rnd());
  }
}

static void free_bufs(jet_buf *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) free(b[i].data);
}

/* JVP of g at args in a random direction vs central finite differences.
 * Where a primal output is NaN (gather fill), the tangent must be 0. */
static void check_jvp_fd(const char *what, const jet_graph *g, const jet_buf *args,
                         uint32_t frozen, double tol) {
  jet_graph *j = NULL;
  expect_ok(jet_ad_jvp(g, false, &j));
  const uint32_t np = g->n_params, no = g->n_outputs;
  assert_int_equal(j->n_params, 2 * np);
  assert_int_equal(j->n_outputs, 2 * no);
  jet_buf jargs[2 * MAXP + 2], v[MAXP + 2];
  assert_true(np <= MAXP + 2);
  make_dirs(g, frozen, v);
  for (uint32_t i = 0; i < np; i++) {
    jargs[i] = args[i];
    jargs[np + i] = v[i];
  }
  jet_buf *jo = calloc(2 * no, sizeof(jet_buf));
  jet_buf *op = calloc(no, sizeof(jet_buf)), *om = calloc(no, sizeof(jet_buf));
  jet_buf *o0 = calloc(no, sizeof(jet_buf));
  assert_true(jo && op && om && o0);
  run(j, jargs, jo);
  const double h = args[0].type.dtype == JET_F32 ? 1e-2 : 1e-6;
  jet_buf xp[MAXP + 2], xm[MAXP + 2];
  for (uint32_t i = 0; i < np; i++) {
    xp[i] = buf_copy(&args[i]);
    xm[i] = buf_copy(&args[i]);
    if (!is_float(&args[i].type)) continue;
    int64_t n = jet_type_numel(&args[i].type);
    for (int64_t k = 0; k < n; k++) {
      set(&xp[i], k, get(&args[i], k) + h * get(&v[i], k));
      set(&xm[i], k, get(&args[i], k) - h * get(&v[i], k));
    }
  }
  run(g, xp, op);
  run(g, xm, om);
  run(g, args, o0);
  for (uint32_t o = 0; o < no; o++) {
    const jet_buf *t = &jo[no + o];
    assert_true(jet_type_same_shape(&t->type, &o0[o].type));
    int64_t n = jet_type_numel(&o0[o].type);
    for (int64_t k = 0; k < n; k++) {
      double got = get(t, k);
      double want = 0.0;
      if (is_float(&o0[o].type) && !isnan(get(&o0[o], k))) {
        want = (get(&op[o], k) - get(&om[o], k)) / (2 * h);
      }
      if (!(fabs(got - want) <= tol * (1.0 + fabs(want)))) {
        fail_msg("%s: output %u element %lld: jvp %.12g, finite differences %.12g", what, o,
                 (long long)k, got, want);
      }
    }
  }
  free_outs(j, jo);
  free_outs(g, op);
  free_outs(g, om);
  free_outs(g, o0);
  free(jo), free(op), free(om), free(o0);
  free_bufs(v, np);
  free_bufs(xp, np);
  free_bufs(xm, np);
  jet_graph_destroy(j);
}

/* <vjp(u), v> == <u, jvp(v)>. */
static void check_transpose(const char *what, const jet_graph *g, const jet_graph *vg,
                            const jet_buf *args, uint32_t frozen) {
  jet_graph *j = NULL;
  expect_ok(jet_ad_jvp(g, false, &j));
  const uint32_t np = g->n_params, no = g->n_outputs;
  assert_int_equal(vg->n_params, np + no);
  assert_int_equal(vg->n_outputs, no + np);
  jet_buf v[MAXP], u[4], jargs[2 * MAXP], vargs[MAXP + 4];
  make_dirs(g, frozen, v);
  for (uint32_t o = 0; o < no; o++) {
    u[o] = buf_zeros(&vg->value_types[np + o]);
    if (!is_float(&u[o].type)) continue;
    int64_t n = jet_type_numel(&u[o].type);
    for (int64_t k = 0; k < n; k++) set(&u[o], k, rnd());
  }
  for (uint32_t i = 0; i < np; i++) {
    jargs[i] = vargs[i] = args[i];
    jargs[np + i] = v[i];
  }
  for (uint32_t o = 0; o < no; o++) vargs[np + o] = u[o];
  jet_buf jo[8], vo[8];
  run(j, jargs, jo);
  run(vg, vargs, vo);
  double lhs = 0, rhs = 0, scale = 0;
  for (uint32_t i = 0; i < np; i++) {
    if (!is_float(&args[i].type)) continue;
    const jet_buf *ct = &vo[no + i];
    assert_true(jet_type_same_shape(&ct->type, &args[i].type));
    int64_t n = jet_type_numel(&args[i].type);
    for (int64_t k = 0; k < n; k++) {
      double term = get(ct, k) * get(&v[i], k);
      lhs += term;
      scale += fabs(term);
    }
  }
  for (uint32_t o = 0; o < no; o++) {
    if (!is_float(&u[o].type)) continue;
    int64_t n = jet_type_numel(&u[o].type);
    for (int64_t k = 0; k < n; k++) {
      double term = get(&u[o], k) * get(&jo[no + o], k);
      rhs += term;
      scale += fabs(term);
    }
  }
  double rtol = args[0].type.dtype == JET_F32 ? 1e-5 : 1e-10;
  if (!(fabs(lhs - rhs) <= rtol * (scale + 1e-300)) || isnan(lhs) || isnan(rhs)) {
    fail_msg("%s: <vjp(u), v> = %.17g but <u, jvp(v)> = %.17g", what, lhs, rhs);
  }
  free_outs(j, jo);
  free_outs(vg, vo);
  free_bufs(v, np);
  free_bufs(u, no);
  jet_graph_destroy(j);
}

static void check_case(const op_case *c) {
  jet_graph *g = build(c);
  jet_buf args[MAXP];
  make_args(c, args);
  double tol = c->tol > 0 ? c->tol : 1e-6;
  check_jvp_fd(c->what, g, args, c->frozen, tol);
  jet_graph *vg = NULL;
  expect_ok(jet_ad_vjp(g, false, &vg));
  check_transpose(c->what, g, vg, args, c->frozen);
  /* second order: jvp of the vjp graph (params: primals, cotangents) */
  jet_buf vargs[MAXP + 4];
  for (uint32_t i = 0; i < c->n_in; i++) vargs[i] = args[i];
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    vargs[c->n_in + o] = buf_zeros(&vg->value_types[c->n_in + o]);
    if (!is_float(&vargs[c->n_in + o].type)) continue;
    int64_t n = jet_type_numel(&vargs[c->n_in + o].type);
    for (int64_t k = 0; k < n; k++) set(&vargs[c->n_in + o], k, rnd());
  }
  char what[160];
  snprintf(what, sizeof what, "%s (second order)", c->what);
  check_jvp_fd(what, vg, vargs, c->frozen, tol);
  free_bufs(vargs + c->n_in, g->n_outputs);
  free_bufs(args, c->n_in);
  jet_graph_destroy(vg);
  jet_graph_destroy(g);
}

/* ---- case tables ---- */

static const double idx_dyn1[] = {2}, idx_dyn2[] = {4}, idx_neg[] = {-1}, idx_big[] = {7};
static const double gidx1[] = {1, 4, -2};                   /* clip: -2 -> 0 */
static const double gidx2[] = {0, 1, 4, 5, -1, 2, 2, 3};    /* fill: 2nd, 3rd out of bounds */
static const double gidx3[] = {3, 0};                        /* batching */
static const double gidx4[] = {1, 200, 4, 1};                /* u8: 200 out of bounds */
static const double sidx1[] = {1, 3, 1, 7};                  /* drop: 7 dropped, 1 repeated */
static const double sidx2[] = {-1, 2, 9, 2};                 /* clip, repeated */
static const double sidx3[] = {0, 0, 3, 1, 9, 9, 1, 1};      /* 2-d windows */
static const double prod_zero[] = {0.5, -1.2, 0.0, 0.7, 1.3, -0.9, 1.1, 0.8, 0.0, -1.5, 0.6,
                                   1.4, -0.3, 0.9, 1.2, -1.1, 0.4, 0.0, 0.75, 1.05, -0.6, 1.3,
                                   0.5, -0.8, 1.7, 0.3, -1.4, 0.95, 0.65, 1.25};
static const double prod_two_zeros[] = {0.0, 1.5, -0.7, 0.0, 1.2, 0.8, -1.1};

/* Marks the ops of the table in seen[] when seen is not NULL; otherwise
 * checks every case. */
static void run_table(const op_case *tab, size_t n, bool *seen) {
  for (size_t i = 0; i < n; i++) {
    if (seen) {
      seen[tab[i].op] = true;
    } else {
      check_case(&tab[i]);
    }
  }
}
#define I32S jet_type_scalar(JET_I32)

static void shape_cases(bool *seen) {
  op_case tab[] = {
    {"broadcast_in_dim [3,1]->[2,3,4]", JET_OP_BROADCAST_IN_DIM, 1, {F64(3, 1)}, {0},
     {AI("shape", 2, 3, 4), AI("broadcast_dimensions", 1, 2)}, 2, 0, 0},
    {"broadcast_in_dim scalar", JET_OP_BROADCAST_IN_DIM, 1, {{JET_F64, 0, {0}}}, {0},
     {AI("shape", 2, 2), ANONE("broadcast_dimensions")}, 2, 0, 0},
    {"broadcast_in_dim [1]->[1,3]", JET_OP_BROADCAST_IN_DIM, 1, {F64(1)}, {0},
     {AI("shape", 1, 3), AI("broadcast_dimensions", 0)}, 2, 0, 0},
    {"reshape", JET_OP_RESHAPE, 1, {F64(2, 3, 4)}, {0}, {AI("new_sizes", 4, 6)}, 1, 0, 0},
    {"transpose", JET_OP_TRANSPOSE, 1, {F64(2, 3, 4)}, {0}, {AI("permutation", 2, 0, 1)}, 1, 0, 0},
    {"squeeze", JET_OP_SQUEEZE, 1, {F64(2, 1, 3, 1)}, {0}, {AI("dimensions", 1, -1)}, 1, 0, 0},
    {"expand_dims", JET_OP_EXPAND_DIMS, 1, {F64(2, 3)}, {0}, {AI("dimensions", 0, 3)}, 1, 0, 0},
    {"rev 2 dims", JET_OP_REV, 1, {F64(3, 4)}, {0}, {AI("dimensions", 0, 1)}, 1, 0, 0},
    {"rev middle", JET_OP_REV, 1, {F64(2, 3, 4)}, {0}, {AI("dimensions", 1)}, 1, 0, 0},
  };
  run_table(tab, sizeof tab / sizeof tab[0], seen);
}

static void slice_cases(bool *seen) {
  op_case tab[] = {
    {"slice", JET_OP_SLICE, 1, {F64(5, 7)}, {0},
     {AI("start_indices", 1, 2), AI("limit_indices", 4, 6)}, 2, 0, 0},
    {"slice strided", JET_OP_SLICE, 1, {F64(5, 7)}, {0},
     {AI("start_indices", 1, 0), AI("limit_indices", 5, 7), AI("strides", 2, 3)}, 3, 0, 0},
    {"slice strided uneven", JET_OP_SLICE, 1, {F64(6, 8)}, {0},
     {AI("start_indices", 0, 1), AI("limit_indices", 6, 7), AI("strides", 4, 5)}, 3, 0, 0},
    {"dynamic_slice clamped", JET_OP_DYNAMIC_SLICE, 3, {F64(5, 6), I32S, I32S},
     {NULL, idx_dyn1, idx_dyn2}, {AI("slice_sizes", 2, 3)}, 1, 0, 0},
    {"dynamic_slice negative", JET_OP_DYNAMIC_SLICE, 3, {F64(5, 6), I32S, I32S},
     {NULL, idx_neg, idx_dyn1}, {AI("slice_sizes", 4, 2)}, 1, 0, 0},
    {"dynamic_update_slice", JET_OP_DYNAMIC_UPDATE_SLICE, 4, {F64(4, 5), F64(2, 3), I32S, I32S},
     {NULL, NULL, idx_dyn2, idx_neg}, {{0}}, 0, 0, 0},
    {"dynamic_update_slice clamped", JET_OP_DYNAMIC_UPDATE_SLICE, 4,
     {F64(4, 5), F64(2, 3), I32S, I32S}, {NULL, NULL, idx_dyn1, idx_big}, {{0}}, 0, 0, 0},
    {"dynamic_update_slice operand only", JET_OP_DYNAMIC_UPDATE_SLICE, 4,
     {F64(4, 5), F64(2, 3), I32S, I32S}, {NULL, NULL, idx_dyn1, idx_dyn1}, {{0}}, 0, 2, 0},
    {"dynamic_update_slice update only", JET_OP_DYNAMIC_UPDATE_SLICE, 4,
     {F64(4, 5), F64(2, 3), I32S, I32S}, {NULL, NULL, idx_dyn1, idx_dyn1}, {{0}}, 0, 1, 0},
    {"concatenate", JET_OP_CONCATENATE, 3, {F64(2, 3), F64(2, 1), F64(2, 4)}, {0},
     {gb_int("dimension", 1)}, 1, 0, 0},
    {"concatenate middle frozen", JET_OP_CONCATENATE, 3, {F64(2, 3), F64(1, 3), F64(3, 3)}, {0},
     {gb_int("dimension", 0)}, 1, 2, 0},
    {"pad negative interior", JET_OP_PAD, 2, {F64(3, 4), {JET_F64, 0, {0}}}, {0},
     {AI("padding_config", 1, -1, 1, -1, 2, 2)}, 1, 0, 0},
    {"pad crop both", JET_OP_PAD, 2, {F64(4, 5), {JET_F64, 0, {0}}}, {0},
     {AI("padding_config", -2, 1, 0, 2, -3, 1)}, 1, 0, 0},
    {"pad value only", JET_OP_PAD, 2, {F64(2, 3), {JET_F64, 0, {0}}}, {0},
     {AI("padding_config", 1, 1, 1, 0, 2, 0)}, 1, 1, 0},
    {"pad operand only", JET_OP_PAD, 2, {F64(2, 3), {JET_F64, 0, {0}}}, {0},
     {AI("padding_config", 1, 0, 2, 1, 1, 0)}, 1, 2, 0},
  };
  run_table(tab, sizeof tab / sizeof tab[0], seen);
}

static void gather_cases(bool *seen) {
  op_case tab[] = {
    {"gather rows clip", JET_OP_GATHER, 2, {F64(5, 4), TY(JET_I32, 3, 1)}, {NULL, gidx1},
     {AI("offset_dims", 1), AI("collapsed_slice_dims", 0), AI("start_index_map", 0),
      AI("slice_sizes", 1, 4), gb_int("mode", 0)},
     5, 0, 0},
    {"gather windows clip", JET_OP_GATHER, 2, {F64(5, 6), TY(JET_I32, 4, 2)}, {NULL, gidx2},
     {AI("offset_dims", 1, 2), ANONE("collapsed_slice_dims"), AI("start_index_map", 0, 1),
      AI("slice_sizes", 2, 3)},
     4, 0, 0},
    {"gather windows fill", JET_OP_GATHER, 2, {F64(5, 6), TY(JET_I32, 4, 2)}, {NULL, gidx2},
     {AI("offset_dims", 1, 2), ANONE("collapsed_slice_dims"), AI("start_index_map", 0, 1),
      AI("slice_sizes", 2, 3), gb_int("mode", 1)},
     5, 0, 0},
    {"gather fill permuted map", JET_OP_GATHER, 2, {F64(6, 5), TY(JET_I64, 4, 2)}, {NULL, gidx2},
     {AI("offset_dims", 0), AI("collapsed_slice_dims", 1), AI("start_index_map", 1, 0),
      AI("slice_sizes", 3, 1), gb_int("mode", 1)},
     5, 0, 0},
    {"gather fill u8 indices", JET_OP_GATHER, 2, {F64(5, 4), TY(JET_U8, 2, 2)}, {NULL, gidx4},
     {AI("offset_dims", 1), AI("collapsed_slice_dims", 0), AI("start_index_map", 0, 1),
      AI("slice_sizes", 1, 3), gb_int("mode", 1)},
     5, 0, 0},
    {"gather batching", JET_OP_GATHER, 2, {F64(2, 5, 3), TY(JET_I32, 2, 1)}, {NULL, gidx3},
     {AI("offset_dims", 1), AI("collapsed_slice_dims", 1), AI("start_index_map", 1),
      AI("operand_batching_dims", 0), AI("start_indices_batching_dims", 0),
      AI("slice_sizes", 1, 1, 3)},
     6, 0, 0},
    {"scatter-add drop repeated", JET_OP_SCATTER_ADD, 3, {F64(5, 3), TY(JET_I32, 4, 1), F64(4, 3)},
     {NULL, sidx1, NULL},
     {AI("update_window_dims", 1), AI("inserted_window_dims", 0),
      AI("scatter_dims_to_operand_dims", 0)},
     3, 0, 0},
    {"scatter-add clip repeated", JET_OP_SCATTER_ADD, 3, {F64(5, 3), TY(JET_I32, 4, 1), F64(4, 3)},
     {NULL, sidx2, NULL},
     {AI("update_window_dims", 1), AI("inserted_window_dims", 0),
      AI("scatter_dims_to_operand_dims", 0), gb_int("mode", 0)},
     4, 0, 0},
    {"scatter-add windows drop", JET_OP_SCATTER_ADD, 3,
     {F64(5, 4), TY(JET_I32, 4, 2), F64(2, 2, 4)}, {NULL, sidx3, NULL},
     {AI("update_window_dims", 0, 1), ANONE("inserted_window_dims"),
      AI("scatter_dims_to_operand_dims", 0, 1), gb_int("mode", 1)},
     4, 0, 0},
    {"scatter-add updates only", JET_OP_SCATTER_ADD, 3, {F64(5, 3), TY(JET_I32, 4, 1), F64(4, 3)},
     {NULL, sidx1, NULL},
     {AI("update_window_dims", 1), AI("inserted_window_dims", 0),
      AI("scatter_dims_to_operand_dims", 0)},
     3, 1, 0},
    {"scatter-add batching", JET_OP_SCATTER_ADD, 3, {F64(2, 5, 3), TY(JET_I32, 2, 1), F64(2, 3)},
     {NULL, gidx3, NULL},
     {AI("update_window_dims", 1), AI("inserted_window_dims", 1),
      AI("scatter_dims_to_operand_dims", 1), AI("operand_batching_dims", 0),
      AI("scatter_indices_batching_dims", 0)},
     5, 0, 0},
  };
  run_table(tab, sizeof tab / sizeof tab[0], seen);
}

static void reduce_cases(bool *seen) {
  op_case tab[] = {
    {"reduce_sum 2 axes", JET_OP_REDUCE_SUM, 1, {F64(2, 3, 4)}, {0}, {AI("axes", 0, 2)}, 1, 0, 0},
    {"reduce_sum negative axis", JET_OP_REDUCE_SUM, 1, {F64(2, 3)}, {0}, {AI("axes", -1)}, 1, 0, 0},
    {"reduce_sum no axes", JET_OP_REDUCE_SUM, 1, {F64(2, 3)}, {0}, {ANONE("axes")}, 1, 0, 0},
    {"reduce_max 2 axes", JET_OP_REDUCE_MAX, 1, {F64(3, 4, 5)}, {0}, {AI("axes", 1, 2)}, 1, 0, 0},
    {"reduce_max all", JET_OP_REDUCE_MAX, 1, {F64(3, 4)}, {0}, {AI("axes", 0, 1)}, 1, 0, 0},
    {"reduce_min", JET_OP_REDUCE_MIN, 1, {F64(4, 3)}, {0}, {AI("axes", 0)}, 1, 0, 0},
    {"reduce_prod axis with zeros", JET_OP_REDUCE_PROD, 1, {F64(3, 5, 2)}, {prod_zero},
     {AI("axes", 1)}, 1, 0, 0},
    {"reduce_prod 2 axes", JET_OP_REDUCE_PROD, 1, {F64(3, 5, 2)}, {prod_zero}, {AI("axes", 0, 2)},
     1, 0, 0},
    {"reduce_prod all with zeros", JET_OP_REDUCE_PROD, 1, {F64(3, 5, 2)}, {prod_zero},
     {AI("axes", 2, 0, 1)}, 1, 0, 0},
    {"reduce_prod random", JET_OP_REDUCE_PROD, 1, {F64(4, 7)}, {0}, {AI("axes", -1)}, 1, 0, 0},
    {"reduce_prod two zeros", JET_OP_REDUCE_PROD, 1, {F64(7)}, {prod_two_zeros}, {AI("axes", 0)},
     1, 0, 0},
    {"argmax", JET_OP_ARGMAX, 1, {F64(3, 4)}, {0}, {AI("axes", 1), gb_dtype("index_dtype", JET_I32)},
     2, 0, 0},
    {"argmin", JET_OP_ARGMIN, 1, {F64(3, 4)}, {0}, {AI("axes", 0), gb_dtype("index_dtype", JET_I64)},
     2, 0, 0},
    {"cumsum", JET_OP_CUMSUM, 1, {F64(3, 4)}, {0}, {gb_int("axis", 1)}, 1, 0, 0},
    {"cumsum reverse", JET_OP_CUMSUM, 1, {F64(3, 4)}, {0},
     {gb_int("axis", 0), gb_bool("reverse", true)}, 2, 0, 0},
    {"cumsum negative axis", JET_OP_CUMSUM, 1, {F64(2, 3, 4)}, {0},
     {gb_int("axis", -2), gb_bool("reverse", false)}, 2, 0, 0},
  };
  run_table(tab, sizeof tab / sizeof tab[0], seen);
}

static void dot_cases(bool *seen) {
  op_case tab[] = {
    {"dot matmul", JET_OP_DOT_GENERAL, 2, {F64(3, 4), F64(4, 5)}, {0},
     {AI("lhs_contracting_dimensions", 1), AI("rhs_contracting_dimensions", 0)}, 2, 0, 0},
    {"dot transposed operands", JET_OP_DOT_GENERAL, 2, {F64(4, 3), F64(5, 4)}, {0},
     {AI("lhs_contracting_dimensions", 0), AI("rhs_contracting_dimensions", 1)}, 2, 0, 0},
    {"dot batch", JET_OP_DOT_GENERAL, 2, {F64(2, 3, 4), F64(2, 4, 5)}, {0},
     {AI("lhs_contracting_dimensions", 2), AI("rhs_contracting_dimensions", 1),
      AI("lhs_batch_dimensions", 0), AI("rhs_batch_dimensions", 0)},
     4, 0, 0},
    {"dot odd dims", JET_OP_DOT_GENERAL, 2, {F64(4, 2, 3, 5), F64(5, 3, 2, 6)}, {0},
     {AI("lhs_contracting_dimensions", 3, 2), AI("rhs_contracting_dimensions", 0, 1),
      AI("lhs_batch_dimensions", 1), AI("rhs_batch_dimensions", 2)},
     4, 0, 0},
    {"dot two batch dims permuted", JET_OP_DOT_GENERAL, 2, {F64(3, 2, 4, 2), F64(2, 4, 3, 2)}, {0},
     {AI("lhs_contracting_dimensions", 2, 3), AI("rhs_contracting_dimensions", 1, 3),
      AI("lhs_batch_dimensions", 1, 0), AI("rhs_batch_dimensions", 0, 2)},
     4, 0, 0},
    {"dot outer", JET_OP_DOT_GENERAL, 2, {F64(3), F64(2)}, {0},
     {ANONE("lhs_contracting_dimensions"), ANONE("rhs_contracting_dimensions")}, 2, 0, 0},
    {"dot inner to scalar", JET_OP_DOT_GENERAL, 2, {F64(5), F64(5)}, {0},
     {AI("lhs_contracting_dimensions", 0), AI("rhs_contracting_dimensions", 0)}, 2, 0, 0},
    {"dot lhs only", JET_OP_DOT_GENERAL, 2, {F64(3, 4), F64(4, 2)}, {0},
     {AI("lhs_contracting_dimensions", 1), AI("rhs_contracting_dimensions", 0)}, 2, 2, 0},
    {"dot rhs only", JET_OP_DOT_GENERAL, 2, {F64(3, 4), F64(4, 2)}, {0},
     {AI("lhs_contracting_dimensions", 1), AI("rhs_contracting_dimensions", 0)}, 2, 1, 0},
    {"dot f32 preferred f64", JET_OP_DOT_GENERAL, 2, {TY(JET_F32, 3, 4), TY(JET_F32, 4, 2)}, {0},
     {AI("lhs_contracting_dimensions", 1), AI("rhs_contracting_dimensions", 0),
      gb_dtype("preferred_element_type", JET_F64)},
     3, 0, 1e-3},
  };
  run_table(tab, sizeof tab / sizeof tab[0], seen);
}


/* ---- ties and empty reductions, against values computed here ---- */

/* reduce op over axes of a [2, 4] operand: `all` reduces both axes,
 * otherwise axis 1 (one group per row). */
static void check_ties(jet_op op, const double *xd, bool all) {
  const jet_type xt = F64(2, 4);
  int64_t axes_all[2] = {0, 1}, axes_row[1] = {1};
  op_case c = {"ties", op, 1, {xt}, {xd}, {gb_ints("axes", all ? axes_all : axes_row, all ? 2 : 1)},
               1, 0, 0};
  jet_graph *g = build(&c);
  jet_graph *j = NULL, *vg = NULL;
  expect_ok(jet_ad_jvp(g, false, &j));
  expect_ok(jet_ad_vjp(g, false, &vg));
  jet_buf x, t, u;
  make_args(&c, &x);
  t = buf_zeros(&xt);
  for (int k = 0; k < 8; k++) set(&t, k, rnd());
  const int ngroups = all ? 1 : 2, gsize = all ? 8 : 4;
  const jet_type ut = all ? jet_type_scalar(JET_F64) : F64(2);
  u = buf_zeros(&ut);
  for (int k = 0; k < ngroups; k++) set(&u, k, rnd());
  /* expected: the tangent / cotangent split equally over the tied extrema */
  double want_t[2] = {0, 0}, want_ct[8] = {0};
  for (int gi = 0; gi < ngroups; gi++) {
    double best = xd[gi * gsize];
    for (int k = 0; k < gsize; k++) {
      double v = xd[gi * gsize + k];
      best = op == JET_OP_REDUCE_MAX ? fmax(best, v) : fmin(best, v);
    }
    int ties = 0;
    for (int k = 0; k < gsize; k++) ties += xd[gi * gsize + k] == best;
    assert_true(ties >= 2);
    for (int k = 0; k < gsize; k++) {
      if (xd[gi * gsize + k] != best) continue;
      want_t[gi] += get(&t, gi * gsize + k) / ties;
      want_ct[gi * gsize + k] = get(&u, gi) / ties;
    }
  }
  jet_buf jargs[2] = {x, t}, vargs[2] = {x, u}, jo[2], vo[2];
  run(j, jargs, jo);
  run(vg, vargs, vo);
  for (int gi = 0; gi < ngroups; gi++) assert_true(fabs(get(&jo[1], gi) - want_t[gi]) < 1e-14);
  for (int k = 0; k < 8; k++) assert_true(fabs(get(&vo[1], k) - want_ct[k]) < 1e-14);
  free_outs(j, jo);
  free_outs(vg, vo);
  free(x.data), free(t.data), free(u.data);
  jet_graph_destroy(j);
  jet_graph_destroy(vg);
  jet_graph_destroy(g);
}

static void test_reduce_ties(void **state) {
  (void)state;
  static const double xmax[8] = {1, 3, 3, 2, 5, 5, 5, 0};
  static const double xmin[8] = {2, 1, 1, 4, 0, 3, 0, 0};
  check_ties(JET_OP_REDUCE_MAX, xmax, false);
  check_ties(JET_OP_REDUCE_MAX, xmax, true);
  check_ties(JET_OP_REDUCE_MIN, xmin, false);
  check_ties(JET_OP_REDUCE_MIN, xmin, true);
}

/* Reductions over an empty axis have constant results: zero tangents, and
 * the operand's cotangent is empty. */
static void test_reduce_empty(void **state) {
  (void)state;
  const jet_op ops[] = {JET_OP_REDUCE_SUM, JET_OP_REDUCE_MAX, JET_OP_REDUCE_MIN,
                        JET_OP_REDUCE_PROD};
  for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
    op_case c = {"empty", ops[i], 1, {F64(2, 0)}, {0}, {AI("axes", 1)}, 1, 0, 0};
    jet_graph *g = build(&c);
    jet_graph *j = NULL, *vg = NULL;
    expect_ok(jet_ad_jvp(g, false, &j));
    expect_ok(jet_ad_vjp(g, false, &vg));
    jet_buf x = buf_zeros(&c.in[0]), u = buf_zeros(&g->value_types[g->outputs[0]]);
    set(&u, 0, 1.5);
    set(&u, 1, -2.0);
    jet_buf jargs[2] = {x, x}, vargs[2] = {x, u}, jo[2], vo[2];
    run(j, jargs, jo);
    run(vg, vargs, vo);
    assert_int_equal(jet_type_numel(&jo[1].type), 2);
    assert_true(get(&jo[1], 0) == 0.0 && get(&jo[1], 1) == 0.0);
    assert_true(jet_type_same_shape(&vo[1].type, &c.in[0]));
    free_outs(j, jo);
    free_outs(vg, vo);
    free(x.data), free(u.data);
    jet_graph_destroy(j);
    jet_graph_destroy(vg);
    jet_graph_destroy(g);
  }
}

/* ---- coverage ---- */

static void test_every_op_covered(void **state) {
  (void)state;
  static const jet_op mine[] = {
      JET_OP_BROADCAST_IN_DIM, JET_OP_RESHAPE,     JET_OP_TRANSPOSE,   JET_OP_SQUEEZE,
      JET_OP_EXPAND_DIMS,      JET_OP_REV,         JET_OP_SLICE,       JET_OP_DYNAMIC_SLICE,
      JET_OP_DYNAMIC_UPDATE_SLICE, JET_OP_CONCATENATE, JET_OP_PAD,     JET_OP_GATHER,
      JET_OP_SCATTER_ADD,      JET_OP_REDUCE_SUM,  JET_OP_REDUCE_MAX,  JET_OP_REDUCE_MIN,
      JET_OP_REDUCE_PROD,      JET_OP_ARGMAX,      JET_OP_ARGMIN,      JET_OP_CUMSUM,
      JET_OP_DOT_GENERAL};
  bool seen[JET_OP_COUNT] = {false};
  shape_cases(seen);
  slice_cases(seen);
  gather_cases(seen);
  reduce_cases(seen);
  dot_cases(seen);
  for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
    if (!seen[mine[i]]) fail_msg("op '%s' has no autodiff test case", jet_op_name(mine[i]));
    assert_non_null(jet_ad_jvp_rule(mine[i]));
    assert_non_null(jet_ad_vjp_rule(mine[i]));
  }
}

static void test_shape(void **state) {
  (void)state;
  shape_cases(NULL);
}
static void test_slice(void **state) {
  (void)state;
  slice_cases(NULL);
}
static void test_gather(void **state) {
  (void)state;
  gather_cases(NULL);
}
static void test_reduce(void **state) {
  (void)state;
  reduce_cases(NULL);
}
static void test_dot(void **state) {
  (void)state;
  dot_cases(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_op_covered), cmocka_unit_test(test_shape),
      cmocka_unit_test(test_slice),            cmocka_unit_test(test_gather),
      cmocka_unit_test(test_reduce),           cmocka_unit_test(test_reduce_ties),
      cmocka_unit_test(test_reduce_empty),     cmocka_unit_test(test_dot),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
