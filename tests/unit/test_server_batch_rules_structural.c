/* Checks of the batching rules of the structural ops
 * (server/transforms/batch/rules_{shape,slice,gather,reduce,dot}.c).
 *
 * For each case a one-op graph f is built; for every combination of batch
 * dims of its operands (not batched, first, middle, last; at least one
 * batched) the rule is called directly on a fresh graph whose params have
 * the batched types, the batched graph is run on random data with the
 * reference executor, and each example's slice of the result (at the batch
 * dim the rule reports) is compared with f run on that example's slice of
 * the arguments: bytewise (data movement, ints, -0.0 and NaN included), or
 * with a tight relative tolerance for float reductions and dot_general.
 * Index operands take out-of-bounds values; gather/scatter-add run in both
 * modes. Also checked: the batched graph's node count does not depend on
 * the batch size, dot_general batches into exactly one node, and every op
 * of these files has cases. */
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
#include "transforms/batch/batch.h"
#include "graph_build.h"

#define MAXP 5
#define DIMS(...) ((const int64_t[]){__VA_ARGS__})
#define NDIMS(...) ((int32_t)(sizeof(DIMS(__VA_ARGS__)) / sizeof(int64_t)))
/* Constant initializers (the case tables are static). */
#define TY(dt, ...) {.dtype = (dt), .rank = NDIMS(__VA_ARGS__), .dims = {__VA_ARGS__}}
#define F64(...) TY(JET_F64, __VA_ARGS__)
#define SC(dt) {.dtype = (dt), .rank = 0}
#define AI(nm, ...) \
  {.name = (nm),                                                           \
   .kind = JET_ATTR_INTS,                                                  \
   .u.ints = {.v = DIMS(__VA_ARGS__), .n = (uint32_t)NDIMS(__VA_ARGS__)}}
#define ANONE(nm) {.name = (nm), .kind = JET_ATTR_INTS, .u.ints = {.v = NULL, .n = 0}}
#define AINT(nm, val) {.name = (nm), .kind = JET_ATTR_INT, .u.i = (val)}
#define ABOOL(nm, val) {.name = (nm), .kind = JET_ATTR_BOOL, .u.b = (val)}
#define ADTYPE(nm, val) {.name = (nm), .kind = JET_ATTR_DTYPE, .u.dtype = (val)}

static void expect_ok(jet_status st, const char *what) {
  if (st) {
    print_error("%s: unexpected status %s: %s\n", what, jet_code_name(jet_status_code(st)),
                jet_status_message(st));
    jet_status_free(st);
    fail();
  }
}

/* ---- random data ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dull;
static uint64_t rnd_u64(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static int64_t rnd_int(int64_t lo, int64_t hi) {
  return lo + (int64_t)(rnd_u64() % (uint64_t)(hi - lo + 1));
}

/* Floats: eighths in [-2, 2], -0.0 now and then, irrational-ish values
 * otherwise (so sums are not all exact). */
static double rnd_float(void) {
  int64_t k = rnd_int(0, 9);
  if (k == 0) return -0.0;
  if (k < 5) return (double)rnd_int(-16, 16) / 8.0;
  return ((double)(rnd_u64() >> 11) / 9007199254740992.0 * 2.0 - 1.0) * 1.7;
}

static void fill_random(jet_buf *b, int64_t lo, int64_t hi) {
  const int64_t n = jet_type_numel(&b->type);
  for (int64_t i = 0; i < n; i++) {
    switch (b->type.dtype) {
      case JET_F64: ((double *)b->data)[i] = rnd_float(); break;
      case JET_F32: ((float *)b->data)[i] = (float)rnd_float(); break;
      case JET_I32: ((int32_t *)b->data)[i] = (int32_t)rnd_int(lo, hi); break;
      case JET_I64: ((int64_t *)b->data)[i] = rnd_int(lo, hi); break;
      case JET_U32: ((uint32_t *)b->data)[i] = (uint32_t)rnd_int(lo < 0 ? 0 : lo, hi); break;
      case JET_U8: ((uint8_t *)b->data)[i] = (uint8_t)rnd_int(lo < 0 ? 0 : lo, hi); break;
      case JET_BOOL: ((uint8_t *)b->data)[i] = (uint8_t)rnd_int(0, 1); break;
      default: fail_msg("unexpected dtype");
    }
  }
}

static jet_buf buf_new(const jet_type *t) {
  jet_buf b = {*t, calloc(1, jet_type_nbytes(t) + 8)};
  assert_non_null(b.data);
  return b;
}

/* The slice `i` of b along `axis` (that axis removed). */
static jet_buf take(const jet_buf *b, int32_t axis, int64_t i) {
  jet_type t = b->type;
  for (int32_t d = axis; d + 1 < t.rank; d++) t.dims[d] = t.dims[d + 1];
  t.rank--;
  jet_buf o = buf_new(&t);
  const size_t esz = jet_dtype_size(t.dtype);
  int64_t outer = 1, inner = 1;
  for (int32_t d = 0; d < axis; d++) outer *= b->type.dims[d];
  for (int32_t d = axis + 1; d < b->type.rank; d++) inner *= b->type.dims[d];
  const int64_t n = b->type.dims[axis];
  for (int64_t a = 0; a < outer; a++) {
    memcpy((char *)o.data + (size_t)(a * inner) * esz,
           (const char *)b->data + (size_t)((a * n + i) * inner) * esz, (size_t)inner * esz);
  }
  return o;
}

static jet_type with_batch(const jet_type *t, int32_t axis, int64_t size) {
  if (axis == JET_NOT_BATCHED) return *t;
  jet_type o = *t;
  for (int32_t d = t->rank; d > axis; d--) o.dims[d] = t->dims[d - 1];
  o.dims[axis] = size;
  o.rank++;
  return o;
}

/* ---- the cases ---- */

typedef struct bcase {
  const char *what;
  jet_op op;
  uint32_t n_in;
  jet_type in[MAXP];
  jet_attr attrs[8];
  uint32_t n_attrs;
  int64_t lo, hi; /* range of integer operands (indices go out of bounds) */
  double tol;     /* 0: bytewise equality */
} bcase;

static jet_graph *build(const bcase *c) {
  jet_graph *g = jet_graph_create("f");
  assert_non_null(g);
  jet_value p[MAXP], out;
  for (uint32_t i = 0; i < c->n_in; i++)
    expect_ok(jet_graph_add_param(g, &c->in[i], &p[i]), c->what);
  expect_ok(jet_graph_add_node(g, c->op, p, c->n_in, c->attrs, c->n_attrs, NULL, NULL, 0, &out),
            c->what);
  expect_ok(jet_graph_set_outputs(g, &out, 1), c->what);
  return g;
}

/* Calls the rule of f's node with operands batched at axes[] (size B). */
static jet_graph *batch_rule(const jet_graph *f, const int32_t *axes, int64_t B, int32_t *ybd,
                             const char *what) {
  jet_graph *g = jet_graph_create("fb");
  assert_non_null(g);
  jet_value p[MAXP];
  for (uint32_t i = 0; i < f->n_params; i++) {
    jet_type t = with_batch(&f->value_types[i], axes[i], B);
    expect_ok(jet_graph_add_param(g, &t, &p[i]), what);
  }
  jet_batch b = {.e = {.g = g, .status = NULL}, .size = B, .axis_name = ""};
  const jet_node *nd = &f->nodes[f->n_nodes - 1];
  jet_batch_rule rule = jet_batch_rule_of(nd->op);
  assert_non_null(rule);
  jet_value y = JET_NO_VALUE;
  *ybd = -2;
  rule(&b, nd, p, axes, &y, ybd);
  if (b.e.status) print_error("case %s: ", what);
  expect_ok(b.e.status, what);
  assert_true(*ybd == JET_NOT_BATCHED || (*ybd >= 0 && *ybd < jet_graph_value_type(g, y)->rank));
  expect_ok(jet_graph_set_outputs(g, &y, 1), what);
  return g;
}

static bool close_enough(const jet_buf *a, const jet_buf *b, double tol) {
  const int64_t n = jet_type_numel(&a->type);
  for (int64_t i = 0; i < n; i++) {
    double x, y;
    if (a->type.dtype == JET_F64) {
      x = ((const double *)a->data)[i];
      y = ((const double *)b->data)[i];
    } else {
      x = ((const float *)a->data)[i];
      y = ((const float *)b->data)[i];
    }
    if (isnan(x) && isnan(y)) continue;
    if (!(fabs(x - y) <= tol * (1.0 + fabs(x)))) return false;
  }
  return true;
}

static void describe_axes(const int32_t *axes, uint32_t n, char *buf, size_t cap) {
  size_t k = 0;
  buf[0] = 0;
  for (uint32_t i = 0; i < n && k + 8 < cap; i++) {
    if (axes[i] == JET_NOT_BATCHED)
      k += (size_t)snprintf(buf + k, cap - k, "%sN", i ? "," : "");
    else
      k += (size_t)snprintf(buf + k, cap - k, "%s%d", i ? "," : "", (int)axes[i]);
  }
}

/* One combination of batch dims: batched result == stacked per-example. */
static void check_axes(const bcase *c, const jet_graph *f, const int32_t *axes, int64_t B) {
  char ax[64];
  describe_axes(axes, c->n_in, ax, sizeof ax);
  int32_t ybd;
  jet_graph *g = batch_rule(f, axes, B, &ybd, c->what);
  jet_buf args[MAXP], outs[1];
  for (uint32_t i = 0; i < c->n_in; i++) {
    args[i] = buf_new(&g->value_types[i]);
    fill_random(&args[i], c->lo, c->hi);
  }
  expect_ok(jet_exec_graph(g, args, c->n_in, outs, NULL), c->what);
  for (int64_t e = 0; e < B; e++) {
    jet_buf ex[MAXP], eo[1];
    for (uint32_t i = 0; i < c->n_in; i++) {
      ex[i] = axes[i] == JET_NOT_BATCHED ? args[i] : take(&args[i], axes[i], e);
    }
    expect_ok(jet_exec_graph(f, ex, c->n_in, eo, NULL), c->what);
    jet_buf got = ybd == JET_NOT_BATCHED ? outs[0] : take(&outs[0], ybd, e);
    if (!jet_type_equal(&got.type, &eo[0].type)) {
      fail_msg("case %s axes (%s): example %lld has the wrong type", c->what, ax, (long long)e);
    }
    bool ok;
    if (c->tol > 0 && jet_dtype_is_float(got.type.dtype)) {
      ok = close_enough(&got, &eo[0], c->tol);
    } else {
      ok = memcmp(got.data, eo[0].data, jet_type_nbytes(&got.type)) == 0;
    }
    if (!ok) fail_msg("case %s axes (%s): example %lld differs", c->what, ax, (long long)e);
    if (ybd != JET_NOT_BATCHED) free(got.data);
    jet_mem_free(eo[0].data);
    for (uint32_t i = 0; i < c->n_in; i++)
      if (axes[i] != JET_NOT_BATCHED) free(ex[i].data);
  }
  jet_mem_free(outs[0].data);
  for (uint32_t i = 0; i < c->n_in; i++) free(args[i].data);
  /* The node count does not depend on the batch size. */
  int32_t ybd2;
  jet_graph *g2 = batch_rule(f, axes, B + 2, &ybd2, c->what);
  assert_int_equal(g->n_nodes, g2->n_nodes);
  assert_int_equal(ybd, ybd2);
  if (c->op == JET_OP_DOT_GENERAL) {
    /* ONE dot_general node, at most one transpose after it. */
    uint32_t dots = 0;
    for (uint32_t i = 0; i < g->n_nodes; i++) dots += g->nodes[i].op == JET_OP_DOT_GENERAL;
    assert_int_equal(dots, 1);
    assert_true(g->n_nodes <= 2);
  }
  jet_graph_destroy(g2);
  jet_graph_destroy(g);
}

/* vmap(f) through the driver (jet_batch_vmap, out_axes 0) == f per example;
 * returns the vmapped graph when keep is set. */
static jet_graph *check_vmap(const bcase *c, const jet_graph *f, const int32_t *axes, int64_t B,
                             bool keep) {
  char ax[64];
  describe_axes(axes, f->n_params, ax, sizeof ax);
  jet_axis_spec in_axes[MAXP], out_axis = {.mapped = true, .axis = 0};
  for (uint32_t i = 0; i < f->n_params; i++) {
    in_axes[i].mapped = axes[i] != JET_NOT_BATCHED;
    in_axes[i].axis = in_axes[i].mapped ? axes[i] : 0;
  }
  jet_transform t = gb_vmap(in_axes, f->n_params, &out_axis, 1, B);
  jet_graph *g = NULL;
  expect_ok(jet_batch_vmap(f, &t, &g), c->what);
  jet_buf args[MAXP], outs[1];
  for (uint32_t i = 0; i < f->n_params; i++) {
    args[i] = buf_new(&g->value_types[i]);
    fill_random(&args[i], c->lo, c->hi);
  }
  expect_ok(jet_exec_graph(g, args, f->n_params, outs, NULL), c->what);
  for (int64_t e = 0; e < B; e++) {
    jet_buf ex[MAXP], eo[1];
    for (uint32_t i = 0; i < f->n_params; i++)
      ex[i] = axes[i] == JET_NOT_BATCHED ? args[i] : take(&args[i], axes[i], e);
    expect_ok(jet_exec_graph(f, ex, f->n_params, eo, NULL), c->what);
    jet_buf got = take(&outs[0], 0, e);
    assert_true(jet_type_equal(&got.type, &eo[0].type));
    bool ok = c->tol > 0 && jet_dtype_is_float(got.type.dtype)
                  ? close_enough(&got, &eo[0], c->tol)
                  : memcmp(got.data, eo[0].data, jet_type_nbytes(&got.type)) == 0;
    if (!ok) fail_msg("vmap of %s (%s, graph of %u nodes): example %lld differs", c->what, ax,
                      f->n_nodes, (long long)e);
    free(got.data);
    jet_mem_free(eo[0].data);
    for (uint32_t i = 0; i < f->n_params; i++)
      if (axes[i] != JET_NOT_BATCHED) free(ex[i].data);
  }
  jet_mem_free(outs[0].data);
  for (uint32_t i = 0; i < f->n_params; i++) free(args[i].data);
  if (keep) return g;
  jet_graph_destroy(g);
  return NULL;
}

/* Every combination of batch dims (N, 0, middle, last) with at least one
 * operand batched. */
static uint32_t check_case(const bcase *c) {
  jet_graph *f = build(c);
  int32_t opts[MAXP][4];
  uint32_t nopt[MAXP], idx[MAXP] = {0};
  for (uint32_t i = 0; i < c->n_in; i++) {
    int32_t r = c->in[i].rank;
    nopt[i] = 0;
    opts[i][nopt[i]++] = JET_NOT_BATCHED;
    opts[i][nopt[i]++] = 0;
    if (r >= 2) opts[i][nopt[i]++] = r / 2;
    if (r >= 1) opts[i][nopt[i]++] = r;
  }
  uint32_t combos = 0;
  for (;;) {
    int32_t axes[MAXP];
    bool any = false;
    for (uint32_t i = 0; i < c->n_in; i++) {
      axes[i] = opts[i][idx[i]];
      any = any || axes[i] != JET_NOT_BATCHED;
    }
    if (any) {
      check_axes(c, f, axes, 3);
      check_axes(c, f, axes, 5);
      check_vmap(c, f, axes, 3, false);
      combos++;
    }
    uint32_t k = 0;
    while (k < c->n_in && ++idx[k] == nopt[k]) idx[k++] = 0;
    if (k == c->n_in) break;
  }
  /* a batch of one example */
  int32_t first[MAXP];
  for (uint32_t i = 0; i < c->n_in; i++) first[i] = c->in[i].rank;
  check_axes(c, f, first, 1);
  check_axes(c, f, first, 0);
  /* nested: vmap of the vmapped graph (its gathers, scatters and dots
   * already carry batching dims), new batch first / in the middle, and
   * with every other operand unbatched */
  jet_graph *g1 = check_vmap(c, f, first, 2, true);
  int32_t outer[MAXP], mixed[MAXP];
  for (uint32_t i = 0; i < c->n_in; i++) {
    outer[i] = 0;
    mixed[i] = i % 2 ? JET_NOT_BATCHED : (c->in[i].rank + 1) / 2;
  }
  check_vmap(c, g1, outer, 3, false);
  check_vmap(c, g1, mixed, 3, false);
  jet_graph_destroy(g1);
  jet_graph_destroy(f);
  return combos;
}

#define I32S SC(JET_I32)

static bcase cases_shape[] = {
    {"broadcast_in_dim [3,1]->[2,3,4]", JET_OP_BROADCAST_IN_DIM, 1, {F64(3, 1)},
     {AI("shape", 2, 3, 4), AI("broadcast_dimensions", 1, 2)}, 2, -5, 5, 0},
    {"broadcast_in_dim scalar", JET_OP_BROADCAST_IN_DIM, 1, {SC(JET_F64)},
     {AI("shape", 2, 3), ANONE("broadcast_dimensions")}, 2, -5, 5, 0},
    {"broadcast_in_dim [3]->[3,2] i32", JET_OP_BROADCAST_IN_DIM, 1, {TY(JET_I32, 3)},
     {AI("shape", 3, 2), AI("broadcast_dimensions", 0)}, 2, -5, 5, 0},
    {"broadcast_in_dim [2,3]->[2,4,3]", JET_OP_BROADCAST_IN_DIM, 1, {F64(2, 3)},
     {AI("shape", 2, 4, 3), AI("broadcast_dimensions", 0, 2)}, 2, -5, 5, 0},
    {"reshape [2,3]->[3,2]", JET_OP_RESHAPE, 1, {F64(2, 3)}, {AI("new_sizes", 3, 2)}, 1, -5, 5, 0},
    {"reshape [2,3,2]->[6,2]", JET_OP_RESHAPE, 1, {F64(2, 3, 2)}, {AI("new_sizes", 6, 2)}, 1, -5,
     5, 0},
    {"reshape [4]->[2,2] bool", JET_OP_RESHAPE, 1, {TY(JET_BOOL, 4)},
     {AI("new_sizes", 2, 2)}, 1, -5, 5, 0},
    {"transpose [2,3,4] (2,0,1)", JET_OP_TRANSPOSE, 1, {F64(2, 3, 4)},
     {AI("permutation", 2, 0, 1)}, 1, -5, 5, 0},
    {"transpose [2,3] bool", JET_OP_TRANSPOSE, 1, {TY(JET_BOOL, 2, 3)}, {AI("permutation", 1, 0)},
     1,
     -5, 5, 0},
    {"squeeze [1,3,1] (0,-1)", JET_OP_SQUEEZE, 1, {F64(1, 3, 1)}, {AI("dimensions", 0, -1)}, 1,
     -5, 5,
     0},
    {"squeeze [2,1] (1)", JET_OP_SQUEEZE, 1, {TY(JET_I32, 2, 1)}, {AI("dimensions", 1)}, 1, -5, 5,
     0},
    {"expand_dims [2,3] (0,3)", JET_OP_EXPAND_DIMS, 1, {F64(2, 3)}, {AI("dimensions", 0, 3)}, 1, -5,
     5, 0},
    {"expand_dims [2,3] (1)", JET_OP_EXPAND_DIMS, 1, {F64(2, 3)}, {AI("dimensions", 1)}, 1, -5, 5,
     0},
    {"expand_dims [3] (-1)", JET_OP_EXPAND_DIMS, 1, {F64(3)}, {AI("dimensions", -1)}, 1, -5, 5, 0},
    {"expand_dims scalar (0,1)", JET_OP_EXPAND_DIMS, 1, {SC(JET_F64)}, {AI("dimensions", 0, 1)},
     1, -5,
     5, 0},
    {"rev [3,4] (0,1)", JET_OP_REV, 1, {F64(3, 4)}, {AI("dimensions", 0, 1)}, 1, -5, 5, 0},
    {"rev [3,4] (1)", JET_OP_REV, 1, {TY(JET_U8, 3, 4)}, {AI("dimensions", 1)}, 1, 0, 200, 0},
    {"concatenate dim 0", JET_OP_CONCATENATE, 3, {F64(2, 3), F64(1, 3), F64(4, 3)},
     {AINT("dimension", 0)}, 1, -5, 5, 0},
    {"concatenate dim 1", JET_OP_CONCATENATE, 2, {TY(JET_I32, 2, 1), TY(JET_I32, 2, 2)},
     {AINT("dimension", 1)}, 1, -5, 5, 0},
    {"pad [3,4] (1,2,1 / -1,1,0)", JET_OP_PAD, 2, {F64(3, 4), SC(JET_F64)},
     {AI("padding_config", 1, 2, 1, -1, 1, 0)}, 1, -5, 5, 0},
    {"pad [4] i32 (-2,-1,2)", JET_OP_PAD, 2, {TY(JET_I32, 4), I32S},
     {AI("padding_config", -2, -1, 2)}, 1, -5, 5, 0},
    {"pad bool [2,2] (0,1,1 / 2,0,0)", JET_OP_PAD, 2, {TY(JET_BOOL, 2, 2), SC(JET_BOOL)},
     {AI("padding_config", 0, 1, 1, 2, 0, 0)}, 1, -5, 5, 0},
};

static bcase cases_slice[] = {
    {"slice strided", JET_OP_SLICE, 1, {F64(5, 4)},
     {AI("start_indices", 1, 0), AI("limit_indices", 4, 4), AI("strides", 2, 1)}, 3, -5, 5, 0},
    {"slice no strides", JET_OP_SLICE, 1, {F64(6)}, {AI("start_indices", 1), AI("limit_indices",
     5)},
     2, -5, 5, 0},
    {"dynamic_slice [5,4] i32 oob", JET_OP_DYNAMIC_SLICE, 3, {F64(5, 4), I32S, I32S},
     {AI("slice_sizes", 2, 3)}, 1, -3, 7, 0},
    {"dynamic_slice [6] i64", JET_OP_DYNAMIC_SLICE, 2, {F64(6), SC(JET_I64)},
     {AI("slice_sizes", 4)}, 1, -4, 9, 0},
    {"dynamic_slice bool mixed u32/i32", JET_OP_DYNAMIC_SLICE, 3,
     {TY(JET_BOOL, 4, 3), SC(JET_U32), I32S}, {AI("slice_sizes", 2, 3)}, 1, -2, 6, 0},
    {"dynamic_slice [3,2,4] u8", JET_OP_DYNAMIC_SLICE, 4,
     {TY(JET_I32, 3, 2, 4), SC(JET_U8), SC(JET_U8), SC(JET_U8)}, {AI("slice_sizes", 1, 2, 2)}, 1,
     0, 5, 0},
    {"dynamic_slice scalar", JET_OP_DYNAMIC_SLICE, 1, {SC(JET_F64)}, {ANONE("slice_sizes")}, 1, -1,
     1, 0},
    {"dynamic_update_slice scalar", JET_OP_DYNAMIC_UPDATE_SLICE, 2, {SC(JET_I32), SC(JET_I32)},
     {{0}}, 0, -9, 9, 0},
    {"dynamic_update_slice [5,4] oob", JET_OP_DYNAMIC_UPDATE_SLICE, 4,
     {F64(5, 4), F64(2, 3), I32S, I32S}, {{0}}, 0, -3, 7, 0},
    {"dynamic_update_slice [6] i64", JET_OP_DYNAMIC_UPDATE_SLICE, 3, {F64(6), F64(6), SC(JET_I64)},
     {{0}}, 0, -4, 9, 0},
    {"dynamic_update_slice bool", JET_OP_DYNAMIC_UPDATE_SLICE, 4,
     {TY(JET_BOOL, 4, 3), TY(JET_BOOL, 2, 1), SC(JET_U32), I32S}, {{0}}, 0, -2, 6, 0},
    {"dynamic_update_slice f32 u8", JET_OP_DYNAMIC_UPDATE_SLICE, 3,
     {TY(JET_F32, 5), TY(JET_F32, 2), SC(JET_U8)}, {{0}}, 0, 0, 6, 0},
    {"dynamic_update_slice i32 zero-size", JET_OP_DYNAMIC_UPDATE_SLICE, 4,
     {TY(JET_I32, 3, 2), TY(JET_I32, 0, 2), I32S, I32S}, {{0}}, 0, -2, 4, 0},
};

static bcase cases_gather[] = {
    {"gather rows clip", JET_OP_GATHER, 2, {F64(5, 4), TY(JET_I32, 3, 1)},
     {AI("offset_dims", 1), AI("collapsed_slice_dims", 0), AI("start_index_map", 0),
      AI("slice_sizes", 1, 4), AINT("mode", 0)}, 5, -2, 6, 0},
    {"gather rows fill", JET_OP_GATHER, 2, {F64(5, 4), TY(JET_I32, 3, 1)},
     {AI("offset_dims", 1), AI("collapsed_slice_dims", 0), AI("start_index_map", 0),
      AI("slice_sizes", 1, 4), AINT("mode", 1)}, 5, -2, 6, 0},
    {"gather 2-d windows fill", JET_OP_GATHER, 2, {F64(4, 5), TY(JET_I32, 2, 2, 2)},
     {AI("offset_dims", 2, 3), ANONE("collapsed_slice_dims"), AI("start_index_map", 0, 1),
      AI("slice_sizes", 2, 3), AINT("mode", 1)}, 5, -2, 5, 0},
    {"gather 2-d windows clip i32", JET_OP_GATHER, 2, {TY(JET_I32, 4, 5), TY(JET_I64, 2, 2, 2)},
     {AI("offset_dims", 2, 3), ANONE("collapsed_slice_dims"), AI("start_index_map", 1, 0),
      AI("slice_sizes", 2, 3), AINT("mode", 0)}, 5, -2, 5, 0},
    {"gather leading offset dim", JET_OP_GATHER, 2, {F64(4, 5), TY(JET_I32, 3, 1)},
     {AI("offset_dims", 0), AI("collapsed_slice_dims", 1), AI("start_index_map", 1),
      AI("slice_sizes", 4, 1)}, 4, -2, 6, 0},
    {"gather with batching dims", JET_OP_GATHER, 2, {F64(3, 5), TY(JET_I32, 3, 1)},
     {ANONE("offset_dims"), AI("collapsed_slice_dims", 1), AI("start_index_map", 1),
      AI("operand_batching_dims", 0), AI("start_indices_batching_dims", 0), AI("slice_sizes", 1, 1),
      AINT("mode", 1)}, 7, -1, 5, 0},
    {"scatter-add rows drop", JET_OP_SCATTER_ADD, 3, {F64(5, 3), TY(JET_I32, 4, 1), F64(4, 3)},
     {AI("update_window_dims", 1), AI("inserted_window_dims", 0),
      AI("scatter_dims_to_operand_dims", 0), AINT("mode", 1)}, 4, -2, 6, 0},
    {"scatter-add rows clip", JET_OP_SCATTER_ADD, 3, {F64(5, 3), TY(JET_I32, 4, 1), F64(4, 3)},
     {AI("update_window_dims", 1), AI("inserted_window_dims", 0),
      AI("scatter_dims_to_operand_dims", 0), AINT("mode", 0)}, 4, -2, 6, 0},
    {"scatter-add 2-d windows i32", JET_OP_SCATTER_ADD, 3,
     {TY(JET_I32, 4, 5), TY(JET_I32, 2, 2), TY(JET_I32, 2, 2, 3)},
     {AI("update_window_dims", 1, 2), ANONE("inserted_window_dims"),
      AI("scatter_dims_to_operand_dims", 0, 1)}, 3, -1, 4, 0},
    {"scatter-add with batching dims", JET_OP_SCATTER_ADD, 3,
     {F64(3, 4), TY(JET_I32, 3, 1), F64(3)},
     {ANONE("update_window_dims"), AI("inserted_window_dims", 1),
      AI("scatter_dims_to_operand_dims", 1), AI("operand_batching_dims", 0),
      AI("scatter_indices_batching_dims", 0)}, 5, -1, 4, 0},
};

static bcase cases_reduce[] = {
    {"reduce_sum (0,2)", JET_OP_REDUCE_SUM, 1, {F64(3, 4, 2)}, {AI("axes", 0, 2)}, 1, -5, 5, 1e-14},
    {"reduce_sum (-1) f32", JET_OP_REDUCE_SUM, 1, {TY(JET_F32, 5, 3)}, {AI("axes", -1)}, 1, -5, 5,
     1e-6},
    {"reduce_sum () i32", JET_OP_REDUCE_SUM, 1, {TY(JET_I32, 2, 3)}, {ANONE("axes")}, 1, -5, 5, 0},
    {"reduce_sum (2,0) i32", JET_OP_REDUCE_SUM, 1, {TY(JET_I32, 2, 3, 2)}, {AI("axes", 2, 0)}, 1,
     -9,
     9, 0},
    {"reduce_max (1)", JET_OP_REDUCE_MAX, 1, {F64(3, 4)}, {AI("axes", 1)}, 1, -5, 5, 0},
    {"reduce_max bool (0)", JET_OP_REDUCE_MAX, 1, {TY(JET_BOOL, 3, 2)}, {AI("axes", 0)}, 1, -5, 5,
     0},
    {"reduce_min (0,1)", JET_OP_REDUCE_MIN, 1, {TY(JET_I32, 3, 4)}, {AI("axes", 0, 1)}, 1, -5, 5,
     0},
    {"reduce_prod (1)", JET_OP_REDUCE_PROD, 1, {F64(3, 4)}, {AI("axes", 1)}, 1, -5, 5, 1e-14},
    {"argmax (1) ties", JET_OP_ARGMAX, 1, {TY(JET_I32, 3, 4)},
     {AI("axes", 1), ADTYPE("index_dtype", JET_I32)}, 2, 0, 2, 0},
    {"argmax (-2) i64", JET_OP_ARGMAX, 1, {F64(3, 4, 2)},
     {AI("axes", -2), ADTYPE("index_dtype", JET_I64)}, 2, -5, 5, 0},
    {"argmin (0)", JET_OP_ARGMIN, 1, {TY(JET_U8, 4, 3)},
     {AI("axes", 0), ADTYPE("index_dtype", JET_I32)}, 2, 0, 3, 0},
    {"cumsum (1) reverse", JET_OP_CUMSUM, 1, {F64(3, 4)}, {AINT("axis", 1), ABOOL("reverse", true)},
     2, -5, 5, 1e-14},
    {"cumsum (-2) i32", JET_OP_CUMSUM, 1, {TY(JET_I32, 3, 4)}, {AINT("axis", -2)}, 1, -5, 5, 0},
};

static bcase cases_dot[] = {
    {"dot matmul", JET_OP_DOT_GENERAL, 2, {F64(2, 3), F64(3, 4)},
     {AI("lhs_contracting_dimensions", 1), AI("rhs_contracting_dimensions", 0)}, 2, -5, 5, 1e-13},
    {"dot batched", JET_OP_DOT_GENERAL, 2, {F64(2, 3, 4), F64(2, 4, 5)},
     {AI("lhs_contracting_dimensions", 2), AI("rhs_contracting_dimensions", 1),
      AI("lhs_batch_dimensions", 0), AI("rhs_batch_dimensions", 0)}, 4, -5, 5, 1e-13},
    {"dot vector", JET_OP_DOT_GENERAL, 2, {F64(3), F64(3)},
     {AI("lhs_contracting_dimensions", 0), AI("rhs_contracting_dimensions", 0)}, 2, -5, 5, 1e-13},
    {"dot outer", JET_OP_DOT_GENERAL, 2, {F64(2), F64(3)},
     {ANONE("lhs_contracting_dimensions"), ANONE("rhs_contracting_dimensions")}, 2, -5, 5, 1e-13},
    {"dot f32 -> f64", JET_OP_DOT_GENERAL, 2, {TY(JET_F32, 2, 3), TY(JET_F32, 3)},
     {AI("lhs_contracting_dimensions", 1), AI("rhs_contracting_dimensions", 0),
      ADTYPE("preferred_element_type", JET_F64)}, 3, -5, 5, 1e-13},
    {"dot permuted dims", JET_OP_DOT_GENERAL, 2, {F64(4, 2, 3), F64(3, 5, 2)},
     {AI("lhs_contracting_dimensions", 2), AI("rhs_contracting_dimensions", 0),
      AI("lhs_batch_dimensions", 1), AI("rhs_batch_dimensions", 2)}, 4, -5, 5, 1e-13},
    {"dot i32", JET_OP_DOT_GENERAL, 2, {TY(JET_I32, 2, 3), TY(JET_I32, 3, 2)},
     {AI("lhs_contracting_dimensions", 1), AI("rhs_contracting_dimensions", 0)}, 2, -9, 9, 0},
};

#define RUN_CASES(arr)                                                           \
  do {                                                                           \
    for (size_t i_ = 0; i_ < sizeof(arr) / sizeof((arr)[0]); i_++) {            \
      assert_true(check_case(&(arr)[i_]) > 0);                                   \
    }                                                                            \
  } while (0)

static void test_shape(void **state) {
  (void)state;
  RUN_CASES(cases_shape);
}
static void test_slice(void **state) {
  (void)state;
  RUN_CASES(cases_slice);
}
static void test_gather(void **state) {
  (void)state;
  RUN_CASES(cases_gather);
}
static void test_reduce(void **state) {
  (void)state;
  RUN_CASES(cases_reduce);
}
static void test_dot(void **state) {
  (void)state;
  RUN_CASES(cases_dot);
}

/* Every op of these rule files has a rule in the table and cases above. */
static void test_coverage(void **state) {
  (void)state;
  static const jet_op mine[] = {
      JET_OP_BROADCAST_IN_DIM, JET_OP_RESHAPE, JET_OP_TRANSPOSE, JET_OP_SQUEEZE,
      JET_OP_EXPAND_DIMS, JET_OP_REV, JET_OP_SLICE, JET_OP_DYNAMIC_SLICE,
      JET_OP_DYNAMIC_UPDATE_SLICE, JET_OP_CONCATENATE, JET_OP_PAD, JET_OP_GATHER,
      JET_OP_SCATTER_ADD, JET_OP_REDUCE_SUM, JET_OP_REDUCE_MAX, JET_OP_REDUCE_MIN,
      JET_OP_REDUCE_PROD, JET_OP_ARGMAX, JET_OP_ARGMIN, JET_OP_CUMSUM, JET_OP_DOT_GENERAL};
  const struct {
    const bcase *c;
    size_t n;
  } all[] = {{cases_shape, sizeof cases_shape / sizeof cases_shape[0]},
             {cases_slice, sizeof cases_slice / sizeof cases_slice[0]},
             {cases_gather, sizeof cases_gather / sizeof cases_gather[0]},
             {cases_reduce, sizeof cases_reduce / sizeof cases_reduce[0]},
             {cases_dot, sizeof cases_dot / sizeof cases_dot[0]}};
  for (size_t k = 0; k < sizeof mine / sizeof mine[0]; k++) {
    assert_non_null(jet_batch_rule_of(mine[k]));
    size_t found = 0;
    for (size_t a = 0; a < sizeof all / sizeof all[0]; a++)
      for (size_t i = 0; i < all[a].n; i++) found += all[a].c[i].op == mine[k];
    if (!found) fail_msg("op %s has no batching case", jet_op_name(mine[k]));
  }
}

/* A batched result past the maximum rank is a clear INVALID_ARGUMENT. */
static void test_rank_limit(void **state) {
  (void)state;
  static const int64_t ones[JET_MAX_RANK] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  const jet_type x1 = {.dtype = JET_F64, .rank = 1, .dims = {1}};
  const jet_attr reshape_attr = {
      .name = "new_sizes", .kind = JET_ATTR_INTS, .u.ints = {.v = ones, .n = JET_MAX_RANK}};
  int64_t dims[JET_MAX_RANK - 1];
  for (int i = 0; i < JET_MAX_RANK - 1; i++) dims[i] = i;
  const jet_attr expand_attr = {
      .name = "dimensions", .kind = JET_ATTR_INTS, .u.ints = {.v = dims, .n = JET_MAX_RANK - 1}};
  const struct {
    jet_op op;
    const jet_attr *attr;
  } cases[] = {{JET_OP_RESHAPE, &reshape_attr}, {JET_OP_EXPAND_DIMS, &expand_attr}};
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    jet_graph *f = jet_graph_create("f");
    assert_non_null(f);
    jet_value p, out;
    expect_ok(jet_graph_add_param(f, &x1, &p), "rank limit");
    expect_ok(jet_graph_add_node(f, cases[k].op, &p, 1, cases[k].attr, 1, NULL, NULL, 0, &out),
              "rank limit");
    jet_graph *g = jet_graph_create("fb");
    assert_non_null(g);
    const jet_type xb = {.dtype = JET_F64, .rank = 2, .dims = {3, 1}};
    expect_ok(jet_graph_add_param(g, &xb, &p), "rank limit");
    jet_batch b = {.e = {.g = g, .status = NULL}, .size = 3, .axis_name = ""};
    const int32_t bd = 0;
    jet_value y = JET_NO_VALUE;
    int32_t ybd = 0;
    jet_batch_rule_of(cases[k].op)(&b, &f->nodes[0], &p, &bd, &y, &ybd);
    assert_non_null(b.e.status);
    assert_int_equal(jet_status_code(b.e.status), JET_INVALID_ARGUMENT);
    assert_non_null(strstr(jet_status_message(b.e.status), "maximum rank"));
    assert_non_null(strstr(jet_status_message(b.e.status), jet_op_name(cases[k].op)));
    jet_status_free(b.e.status);
    jet_graph_destroy(g);
    jet_graph_destroy(f);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_coverage), cmocka_unit_test(test_shape),
      cmocka_unit_test(test_slice),    cmocka_unit_test(test_gather),
      cmocka_unit_test(test_reduce),   cmocka_unit_test(test_dot),
      cmocka_unit_test(test_rank_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
