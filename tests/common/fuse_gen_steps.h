/* Part 3 of the differential-test generator (see fuse_gen.h): building
 * ops, fetching operands and the random steps that grow a graph. */
#ifndef JET_TESTS_FUSE_GEN_STEPS_H
#define JET_TESTS_FUSE_GEN_STEPS_H

#include "fuse_gen_rules.h"

/* ------------------------------------------------------------ ops */

static inline jet_value fg_ew(fg_gen *g, jet_op op, const jet_value *x, uint32_t n,
                              const jet_attr *a, uint32_t na, int64_t y) {
  if (g->b.st) return JET_NO_VALUE;
  fg_info xi[3] = {0};
  jet_dtype dt[3];
  for (uint32_t k = 0; k < n; k++) {
    if (x[k] == JET_NO_VALUE) return JET_NO_VALUE;
    xi[k] = *fg_inf(g, x[k]);
    dt[k] = fg_dt(g, x[k]);
  }
  jet_dtype od = dt[op == JET_OP_SELECT || op == JET_OP_CLAMP ? 1 : 0];
  if (op >= JET_OP_EQ && op <= JET_OP_GE) od = JET_BOOL;
  if (op == JET_OP_IS_FINITE) od = JET_BOOL;
  if (op == JET_OP_CONVERT_ELEMENT_TYPE || op == JET_OP_BITCAST_CONVERT_TYPE) od = a[0].u.dtype;
  fg_info o;
  if (!fg_ew_rule(op, y, xi, dt, n, od, &o)) return JET_NO_VALUE;
  return fg_add(g, op, x, n, a, na, o);
}
static inline jet_value fg_op1(fg_gen *g, jet_op op, jet_value x) {
  return fg_ew(g, op, &x, 1, NULL, 0, 0);
}
static inline jet_value fg_op2(fg_gen *g, jet_op op, jet_value x, jet_value y) {
  jet_value v[2] = {x, y};
  return fg_ew(g, op, v, 2, NULL, 0, 0);
}
static inline jet_value fg_op3(fg_gen *g, jet_op op, jet_value x, jet_value y, jet_value z) {
  jet_value v[3] = {x, y, z};
  return fg_ew(g, op, v, 3, NULL, 0, 0);
}
static inline jet_value fg_convert(fg_gen *g, jet_value x, jet_dtype to) {
  if (x == JET_NO_VALUE || fg_dt(g, x) == to) return x;
  jet_attr a = gb_dtype("new_dtype", to);
  return fg_ew(g, JET_OP_CONVERT_ELEMENT_TYPE, &x, 1, &a, 1, 0);
}

/* Structural ops keep the operand's rule. */
static inline jet_value fg_struct(fg_gen *g, jet_op op, const jet_value *x, uint32_t n,
                                  const jet_attr *a, uint32_t na) {
  if (g->b.st) return JET_NO_VALUE;
  fg_info o = *fg_inf(g, x[0]);
  for (uint32_t k = 0; k < n; k++) {
    if (x[k] == JET_NO_VALUE) return JET_NO_VALUE;
    const fg_info *b = fg_inf(g, x[k]);
    if (b->cls == FG_LOOSE) return JET_NO_VALUE;
    if (op == JET_OP_GATHER && k == 1) break;
    if (b->cls > o.cls) o.cls = b->cls;
    o.err = fg_max2(o.err, b->err);
    o.mag = fg_max2(o.mag, b->mag);
    o.q = o.q < 0 || b->q < 0 ? -1 : (b->q > o.q ? b->q : o.q);
    o.nonneg = o.nonneg && b->nonneg;
    o.lo = fg_min2(o.lo, b->lo);
  }
  if (o.cls != FG_EXACT) o.q = -1;
  return fg_add(g, op, x, n, a, na, o);
}

static inline jet_value fg_bcast(fg_gen *g, jet_value x, const jet_type *to) {
  if (x == JET_NO_VALUE || g->b.st) return JET_NO_VALUE;
  const jet_type *t = fg_ty(g, x);
  int c = fg_map_count(t, to, 0, 0);
  if (t->rank > to->rank || c == 0) return JET_NO_VALUE;
  int64_t bd[JET_MAX_RANK] = {0};
  fg_map_pick(t, to, 0, 0, fg_rnd(g, c), bd);
  jet_attr a[2] = {gb_ints("shape", to->dims, (uint32_t)to->rank),
                   gb_ints("broadcast_dimensions", bd, (uint32_t)t->rank)};
  return fg_struct(g, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2);
}
static inline jet_value fg_reshape(fg_gen *g, jet_value x, const jet_type *to) {
  jet_attr a = gb_ints("new_sizes", to->dims, (uint32_t)to->rank);
  return fg_struct(g, JET_OP_RESHAPE, &x, 1, &a, 1);
}

/* reduce op over axes (as given: any order, negatives allowed). */
static inline jet_value fg_reduce(fg_gen *g, jet_op op, jet_value x, const int64_t *axes,
                                  uint32_t na) {
  if (x == JET_NO_VALUE || g->b.st) return JET_NO_VALUE;
  const jet_type *t = fg_ty(g, x);
  const fg_info *xi = fg_inf(g, x);
  if (xi->cls == FG_LOOSE) return JET_NO_VALUE;
  double n = 1;
  for (uint32_t i = 0; i < na; i++) n *= (double)t->dims[axes[i] < 0 ? axes[i] + t->rank : axes[i]];
  const jet_dtype dt = t->dtype;
  fg_info o;
  jet_attr a = gb_ints("axes", axes, na);
  if (op == JET_OP_REDUCE_MAX || op == JET_OP_REDUCE_MIN) {
    o = *xi;
    if (n == 0 && !fg_isf(dt)) o = fg_int_info(dt, fg_dtmax(dt)); /* the identity */
    if (n == 0 && fg_isf(dt)) o.nonneg = op == JET_OP_REDUCE_MIN; /* -inf / +inf */
    return fg_add(g, op, &x, 1, &a, 1, o);
  }
  if (op == JET_OP_REDUCE_SUM) {
    if (!fg_sum_rule(xi, 1, dt, n, xi->mag, xi->q, xi->nonneg, xi->lo, &o)) return JET_NO_VALUE;
    return fg_add(g, op, &x, 1, &a, 1, o);
  }
  /* prod */
  if (!fg_isf(dt)) return fg_add(g, op, &x, 1, &a, 1, fg_int_info(dt, fg_dtmax(dt)));
  if (xi->cls != FG_EXACT || xi->q < 0) return JET_NO_VALUE;
  const double lm = log2(fg_max2(xi->mag, 1));
  const double maxe = dt == JET_F32 ? 120 : 1000;
  if (!(n * lm < maxe && n * xi->q < maxe)) return JET_NO_VALUE;
  const double bits = ceil(log2(ldexp(xi->mag, xi->q) + 1));
  const double m = fg_capmag(pow(fg_max2(xi->mag, 1), n), dt);
  if (n * bits <= fg_mant(dt))
    o = fg_exact(m, (int)fg_min2(n * xi->q, 60), xi->nonneg);
  else if (!fg_rel(&o, (n + 1) * fg_eps(dt), m, xi->nonneg))
    return JET_NO_VALUE;
  o.lo = fg_max2(o.lo, pow(xi->lo, n));
  return fg_add(g, op, &x, 1, &a, 1, o);
}

/* ------------------------------------------------------------ operand fetch */

typedef struct fg_want {
  const jet_type *shape; /* NULL: any */
  jet_dtype dt;          /* JET_DTYPE_INVALID: any */
  bool allow_rel;
  bool bcast;            /* broadcastable candidates (not equal shape) */
  bool scalar;           /* rank-0 candidates */
} fg_want;

static inline bool fg_convertible(fg_gen *g, jet_value v, jet_dtype to) {
  const fg_info *i = fg_inf(g, v);
  if (i->cls == FG_LOOSE) return false;
  if (to == JET_DTYPE_INVALID || fg_dt(g, v) == to) return true;
  return i->cls == FG_EXACT || (fg_isf(fg_dt(g, v)) && fg_isf(to));
}
static inline bool fg_f_same(fg_gen *g, jet_value v, const void *ctx) {
  const fg_want *w = ctx;
  const fg_info *i = fg_inf(g, v);
  return (w->allow_rel || i->cls == FG_EXACT) && fg_convertible(g, v, w->dt) &&
         (!w->shape || jet_type_same_shape(fg_ty(g, v), w->shape));
}
static inline bool fg_f_bcast(fg_gen *g, jet_value v, const void *ctx) {
  const fg_want *w = ctx;
  const fg_info *i = fg_inf(g, v);
  const jet_type *t = fg_ty(g, v);
  return (w->allow_rel || i->cls == FG_EXACT) && fg_convertible(g, v, w->dt) && w->shape &&
         !jet_type_same_shape(t, w->shape) && t->rank > 0 && fg_bcastable(t, w->shape);
}
static inline bool fg_f_scalar(fg_gen *g, jet_value v, const void *ctx) {
  const fg_want *w = ctx;
  const fg_info *i = fg_inf(g, v);
  return (w->allow_rel || i->cls == FG_EXACT) && fg_convertible(g, v, w->dt) &&
         fg_ty(g, v)->rank == 0;
}

/* A value for w: a pool value of the shape (converted if needed), a
 * smaller one broadcast, a scalar, or a new constant. */
static inline jet_value fg_fetch(fg_gen *g, const fg_want *w) {
  if (g->b.st) return JET_NO_VALUE;
  jet_dtype dt = w->dt;
  for (int attempt = 0; attempt < 4; attempt++) {
    int k = fg_rnd(g, 100);
    jet_value v = JET_NO_VALUE;
    if (k < 58) {
      v = fg_pick(g, fg_f_same, w);
      if (v != JET_NO_VALUE) {
        if (dt == JET_DTYPE_INVALID) return v;
        return fg_convert(g, v, dt);
      }
    } else if (k < 80 && w->bcast && w->shape) {
      v = fg_pick(g, fg_f_bcast, w);
      if (v != JET_NO_VALUE) {
        if (dt == JET_DTYPE_INVALID) dt = fg_dt(g, v);
        if (fg_pct(g, 50)) return fg_bcast(g, fg_convert(g, v, dt), w->shape);
        return fg_convert(g, fg_bcast(g, v, w->shape), dt);
      }
    } else if (k < 92 && w->scalar) {
      v = fg_pick(g, fg_f_scalar, w);
      if (v == JET_NO_VALUE || fg_pct(g, 50)) {
        jet_dtype cd = dt == JET_DTYPE_INVALID ? fg_random_dtype(g) : dt;
        v = fg_const(g, jet_type_scalar(cd), fg_random_domain(g, cd));
      }
      if (v != JET_NO_VALUE) return dt == JET_DTYPE_INVALID ? v : fg_convert(g, v, dt);
    } else if (w->shape) {
      jet_dtype cd = dt == JET_DTYPE_INVALID ? fg_random_dtype(g) : dt;
      jet_type t = *w->shape;
      t.dtype = cd;
      if (fg_numel(&t) <= FG_MAX_CONST) {
        v = fg_const(g, t, fg_random_domain(g, cd));
        if (v != JET_NO_VALUE) return v;
      }
    }
  }
  return JET_NO_VALUE;
}

/* ------------------------------------------------------------ steps */

static inline bool fg_f_any(fg_gen *g, jet_value v, const void *ctx) {
  (void)ctx;
  return fg_inf(g, v)->cls != FG_LOOSE;
}
static inline bool fg_f_ranked(fg_gen *g, jet_value v, const void *ctx) {
  (void)ctx;
  return fg_inf(g, v)->cls != FG_LOOSE && fg_ty(g, v)->rank > 0;
}

static inline bool fg_op_accepts(jet_op op, jet_dtype d) {
  return (jet_op_get(op)->dtype_mask & JET_DT_BIT(d)) != 0;
}

static const jet_op fg_unary_ops[] = {
    JET_OP_NEG, JET_OP_ABS, JET_OP_SIGN, JET_OP_FLOOR, JET_OP_CEIL, JET_OP_ROUND,
    JET_OP_IS_FINITE, JET_OP_EXP, JET_OP_EXP2, JET_OP_LOG, JET_OP_LOG1P, JET_OP_EXPM1,
    JET_OP_SQRT, JET_OP_RSQRT, JET_OP_TANH, JET_OP_LOGISTIC, JET_OP_SIN, JET_OP_COS,
    JET_OP_TAN, JET_OP_ASIN, JET_OP_ACOS, JET_OP_ATAN, JET_OP_SINH, JET_OP_COSH, JET_OP_ERF,
    JET_OP_ERF_INV, JET_OP_INTEGER_POW, JET_OP_SQUARE, JET_OP_NOT, JET_OP_STOP_GRADIENT,
    JET_OP_NEG, JET_OP_ABS, JET_OP_SQUARE, JET_OP_TANH, JET_OP_EXP};
static const jet_op fg_binary_ops[] = {
    JET_OP_ADD, JET_OP_SUB, JET_OP_MUL, JET_OP_DIV, JET_OP_REM, JET_OP_POW, JET_OP_MAX,
    JET_OP_MIN, JET_OP_ATAN2, JET_OP_AND, JET_OP_OR, JET_OP_XOR, JET_OP_SHIFT_LEFT,
    JET_OP_SHIFT_RIGHT_LOGICAL, JET_OP_SHIFT_RIGHT_ARITHMETIC, JET_OP_ADD, JET_OP_MUL,
    JET_OP_SUB, JET_OP_ADD, JET_OP_MUL, JET_OP_MAX, JET_OP_DIV};
#define FG_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static inline jet_value fg_unary_on(fg_gen *g, jet_value x) {
  const jet_dtype d = fg_dt(g, x);
  for (int tries = 0; tries < 8; tries++) {
    jet_op op = fg_unary_ops[fg_rnd(g, (int)FG_NELEM(fg_unary_ops))];
    if (!fg_op_accepts(op, d)) continue;
    jet_value v;
    if (op == JET_OP_INTEGER_POW) {
      int64_t y = fg_isf(d) ? fg_rnd(g, 9) - 3 : fg_rnd(g, 6);
      jet_attr a = gb_int("y", y);
      v = fg_ew(g, op, &x, 1, &a, 1, y);
    } else if (op == JET_OP_ROUND && fg_pct(g, 50)) {
      jet_attr a = gb_int("rounding_method", fg_rnd(g, 2));
      v = fg_ew(g, op, &x, 1, &a, 1, 0);
    } else if ((op == JET_OP_LOG || op == JET_OP_SQRT || op == JET_OP_RSQRT) && fg_pct(g, 40) &&
               fg_inf(g, x)->cls == FG_EXACT) {
      /* a valid domain: |x| + 0.5 */
      jet_value c = fg_const(g, jet_type_scalar(d), FD_POS);
      v = fg_op1(g, op, fg_op2(g, JET_OP_ADD, fg_op1(g, JET_OP_ABS, x), c));
    } else {
      v = fg_ew(g, op, &x, 1, NULL, 0, 0);
    }
    if (v != JET_NO_VALUE || g->b.st) return v;
  }
  return JET_NO_VALUE;
}

static inline jet_value fg_binary_on(fg_gen *g, jet_value x, jet_op op) {
  const jet_dtype d = fg_dt(g, x);
  const jet_type shape = *fg_ty(g, x), *t = &shape;
  const bool rel_ok = op == JET_OP_MUL || op == JET_OP_DIV || op == JET_OP_MAX ||
                      op == JET_OP_MIN || op == JET_OP_ADD;
  jet_value y;
  if (t->rank == 0 && fg_pct(g, 40)) { /* scalar op array */
    fg_want w = {NULL, d, rel_ok, false, false};
    y = fg_fetch(g, &w);
  } else {
    fg_want w = {t, d, rel_ok, true, true};
    y = fg_fetch(g, &w);
  }
  if (y == JET_NO_VALUE) return JET_NO_VALUE;
  if (fg_dt(g, y) != d) return JET_NO_VALUE;
  if (op == JET_OP_SHIFT_LEFT || op == JET_OP_SHIFT_RIGHT_LOGICAL ||
      op == JET_OP_SHIFT_RIGHT_ARITHMETIC) {
    if (fg_pct(g, 50)) { /* in-range shift amounts */
      jet_value m = fg_const(g, jet_type_scalar(d), FD_INT_SMALL);
      y = fg_op2(g, JET_OP_AND, y, m);
    }
  }
  return fg_pct(g, 50) ? fg_op2(g, op, x, y) : fg_op2(g, op, y, x);
}

static inline jet_value fg_step_unary(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  return x == JET_NO_VALUE ? x : fg_unary_on(g, x);
}

static inline jet_value fg_step_binary(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_dtype d = fg_dt(g, x);
  for (int tries = 0; tries < 8; tries++) {
    jet_op op = fg_binary_ops[fg_rnd(g, (int)FG_NELEM(fg_binary_ops))];
    if (fg_op_accepts(op, d)) return fg_binary_on(g, x, op);
  }
  return JET_NO_VALUE;
}

static inline jet_value fg_step_compare(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  return fg_binary_on(g, x, (jet_op)(JET_OP_EQ + fg_rnd(g, 6)));
}

static inline bool fg_f_pred(fg_gen *g, jet_value v, const void *ctx) {
  const jet_type *s = ctx;
  const jet_type *t = fg_ty(g, v);
  return fg_inf(g, v)->cls == FG_EXACT && t->dtype == JET_BOOL &&
         (t->rank == 0 || jet_type_same_shape(t, s));
}

static inline jet_value fg_step_select(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  jet_type shape = *fg_ty(g, x);
  const jet_type *t = &shape;
  jet_value p = fg_pct(g, 60) ? fg_pick(g, fg_f_pred, &shape) : JET_NO_VALUE;
  if (p == JET_NO_VALUE) { /* a fresh comparison */
    fg_want w = {&shape, JET_DTYPE_INVALID, false, true, true};
    jet_value a = fg_fetch(g, &w);
    if (a == JET_NO_VALUE) return a;
    fg_want w2 = {&shape, fg_dt(g, a), false, true, true};
    jet_value b = fg_fetch(g, &w2);
    if (b == JET_NO_VALUE || fg_dt(g, b) != fg_dt(g, a)) return JET_NO_VALUE;
    if (fg_ty(g, a)->rank == 0 && fg_ty(g, b)->rank == 0 && t->rank > 0 && fg_pct(g, 70))
      a = fg_bcast(g, a, &shape);
    if (fg_ty(g, a)->rank && fg_ty(g, b)->rank && !jet_type_same_shape(fg_ty(g, a), fg_ty(g, b)))
      return JET_NO_VALUE;
    p = fg_op2(g, (jet_op)(JET_OP_EQ + fg_rnd(g, 6)), a, b);
    if (p == JET_NO_VALUE) return p;
  }
  fg_want w = {&shape, t->dtype, true, true, false};
  jet_value y = fg_fetch(g, &w);
  if (y == JET_NO_VALUE || !jet_type_equal(fg_ty(g, y), fg_ty(g, x))) return JET_NO_VALUE;
  const jet_type *pt = fg_ty(g, p);
  if (pt->rank && !jet_type_same_shape(pt, fg_ty(g, x))) return JET_NO_VALUE;
  return fg_pct(g, 50) ? fg_op3(g, JET_OP_SELECT, p, x, y) : fg_op3(g, JET_OP_SELECT, p, y, x);
}

static inline jet_value fg_step_clamp(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE || fg_dt(g, x) == JET_BOOL) return JET_NO_VALUE;
  jet_type shape = *fg_ty(g, x);
  const jet_type *t = &shape;
  fg_want w = {&shape, t->dtype, true, true, true};
  jet_value lo = fg_fetch(g, &w), hi = fg_fetch(g, &w);
  if (lo == JET_NO_VALUE || hi == JET_NO_VALUE) return JET_NO_VALUE;
  if (fg_pct(g, 50)) { /* lo <= hi mostly */
    jet_value m = fg_op2(g, JET_OP_MIN, lo, hi), M = fg_op2(g, JET_OP_MAX, lo, hi);
    if (m != JET_NO_VALUE && M != JET_NO_VALUE) lo = m, hi = M;
  }
  const jet_type *lt = fg_ty(g, lo), *ht = fg_ty(g, hi);
  if ((lt->rank && !jet_type_same_shape(lt, t)) || (ht->rank && !jet_type_same_shape(ht, t)))
    return JET_NO_VALUE;
  return fg_op3(g, JET_OP_CLAMP, lo, x, hi);
}

static inline jet_value fg_step_convert(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_dtype d = fg_dt(g, x);
  /* The sign and payload of a computed NaN are unspecified (IEEE, XLA), so
   * only raw data (parameters, constants) is bitcast from floats. */
  const int32_t def = g->b.g->value_node[x];
  const bool raw = def < 0 || g->b.g->nodes[def].op == JET_OP_CONSTANT;
  if (fg_pct(g, 15) && (raw || !fg_isf(d))) {
    static const jet_dtype pairs[][2] = {{JET_F32, JET_I32}, {JET_F32, JET_U32}, {JET_I32, JET_F32},
                                         {JET_U32, JET_F32}, {JET_I32, JET_U32}, {JET_U32, JET_I32},
                                         {JET_F64, JET_I64}, {JET_I64, JET_F64}};
    for (size_t i = 0; i < FG_NELEM(pairs); i++) {
      if (pairs[i][0] != d || fg_pct(g, 40)) continue;
      jet_attr a = gb_dtype("new_dtype", pairs[i][1]);
      return fg_ew(g, JET_OP_BITCAST_CONVERT_TYPE, &x, 1, &a, 1, 0);
    }
  }
  jet_dtype to = fg_random_dtype(g);
  if (to == d) to = fg_isf(d) ? (d == JET_F32 ? JET_F64 : JET_F32) : JET_F32;
  return fg_convert(g, x, to);
}

static inline jet_value fg_step_bcast(fg_gen *g) {
  /* a value broadcast into a pool shape or the base shape */
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  jet_type to = g->base;
  if (fg_pct(g, 30)) {
    jet_value y = fg_pick(g, fg_f_ranked, NULL);
    if (y != JET_NO_VALUE) to = *fg_ty(g, y);
  }
  if (fg_pct(g, 20) && to.rank < 4) { /* a new leading or trailing dim */
    int at = fg_pct(g, 50) ? 0 : to.rank;
    for (int d = to.rank; d > at; d--) to.dims[d] = to.dims[d - 1];
    to.dims[at] = 1 + fg_rnd(g, 9);
    to.rank++;
    if (fg_numel(&to) > 4 * FG_BIG_NUMEL) return JET_NO_VALUE;
  }
  if (!fg_bcastable(fg_ty(g, x), &to)) {
    /* the value's summary: reduce everything, then broadcast */
    const jet_type *t = fg_ty(g, x);
    int64_t axes[JET_MAX_RANK];
    for (int d = 0; d < t->rank; d++) axes[d] = d;
    x = fg_reduce(g, fg_pct(g, 50) ? JET_OP_REDUCE_MAX : JET_OP_REDUCE_MIN, x, axes,
                  (uint32_t)t->rank);
  }
  return fg_bcast(g, x, &to);
}

static inline jet_value fg_step_reshape(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_type *t = fg_ty(g, x);
  int k = fg_rnd(g, 100);
  if (k < 20) { /* squeeze the 1s */
    int64_t dims[JET_MAX_RANK];
    uint32_t n = 0;
    for (int d = 0; d < t->rank; d++)
      if (t->dims[d] == 1 && fg_pct(g, 70)) dims[n++] = d;
    if (n) {
      jet_attr a = gb_ints("dimensions", dims, n);
      return fg_struct(g, JET_OP_SQUEEZE, &x, 1, &a, 1);
    }
  } else if (k < 40 && t->rank < 4) {
    int64_t d = fg_rnd(g, t->rank + 1);
    jet_attr a = gb_ints("dimensions", &d, 1);
    return fg_struct(g, JET_OP_EXPAND_DIMS, &x, 1, &a, 1);
  }
  jet_type to = fg_reshape_target(g, t);
  return fg_reshape(g, x, &to);
}

/* Axes of a reduction over rank r: all, leading, trailing, middle, random
 * subset or none; sometimes unsorted or negative. */
static inline uint32_t fg_axes(fg_gen *g, int r, int64_t *axes) {
  uint32_t n = 0;
  int k = fg_rnd(g, 100);
  if (r == 0) return 0;
  if (k < 25) {
    for (int d = 0; d < r; d++) axes[n++] = d;
  } else if (k < 45) {
    int m = 1 + fg_rnd(g, r);
    for (int d = 0; d < m; d++) axes[n++] = d;
  } else if (k < 70) {
    int m = 1 + fg_rnd(g, r);
    for (int d = r - m; d < r; d++) axes[n++] = d;
  } else if (k < 82 && r >= 3) {
    int lo = 1 + fg_rnd(g, r - 2), hi = lo + fg_rnd(g, r - 1 - lo);
    for (int d = lo; d <= hi; d++) axes[n++] = d;
  } else if (k < 95) {
    for (int d = 0; d < r; d++)
      if (fg_pct(g, 50)) axes[n++] = d;
  }
  if (n > 1 && fg_pct(g, 15)) { /* unsorted */
    int64_t tmp = axes[0];
    axes[0] = axes[n - 1];
    axes[n - 1] = tmp;
  }
  if (fg_pct(g, 10))
    for (uint32_t i = 0; i < n; i++) axes[i] -= r;
  return n;
}

static inline jet_value fg_step_reduce(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_type t = *fg_ty(g, x);
  int64_t axes[JET_MAX_RANK];
  uint32_t na = fg_axes(g, t.rank, axes);
  static const jet_op ops[4] = {JET_OP_REDUCE_SUM, JET_OP_REDUCE_MAX, JET_OP_REDUCE_MIN,
                                JET_OP_REDUCE_PROD};
  jet_op op = ops[fg_rnd(g, 100) < 45 ? 0 : fg_rnd(g, 4)];
  if (!fg_op_accepts(op, t.dtype)) op = JET_OP_REDUCE_MAX;
  jet_value r = fg_reduce(g, op, x, axes, na);
  if (r == JET_NO_VALUE && !g->b.st && fg_inf(g, x)->cls != FG_LOOSE)
    r = fg_reduce(g, fg_pct(g, 50) ? JET_OP_REDUCE_MAX : JET_OP_REDUCE_MIN, x, axes, na);
  if (r == JET_NO_VALUE || fg_inf(g, r)->cls == FG_LOOSE || !fg_pct(g, 45)) return r;
  /* broadcast back over the reduced axes and combine with x (softmax-like) */
  bool red[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < na; i++) red[axes[i] < 0 ? axes[i] + t.rank : axes[i]] = true;
  int64_t bd[JET_MAX_RANK];
  uint32_t nb = 0;
  for (int d = 0; d < t.rank; d++)
    if (!red[d]) bd[nb++] = d;
  jet_attr a[2] = {gb_ints("shape", t.dims, (uint32_t)t.rank),
                   gb_ints("broadcast_dimensions", bd, nb)};
  jet_value b = fg_struct(g, JET_OP_BROADCAST_IN_DIM, &r, 1, a, 2);
  if (b == JET_NO_VALUE) return b;
  static const jet_op comb[6] = {JET_OP_SUB, JET_OP_DIV, JET_OP_ADD,
                                 JET_OP_MUL, JET_OP_MAX, JET_OP_GE};
  jet_op c = comb[fg_rnd(g, 6)];
  if (!fg_op_accepts(c, t.dtype)) c = JET_OP_MAX;
  jet_value v = fg_op2(g, c, x, b);
  if (v != JET_NO_VALUE && fg_isf(t.dtype) && c == JET_OP_SUB && fg_pct(g, 60)) {
    jet_value e = fg_op1(g, JET_OP_EXP, v); /* softmax */
    if (e != JET_NO_VALUE) {
      jet_value s = fg_reduce(g, JET_OP_REDUCE_SUM, e, axes, na);
      if (s != JET_NO_VALUE && fg_inf(g, s)->cls != FG_LOOSE) {
        jet_value sb = fg_struct(g, JET_OP_BROADCAST_IN_DIM, &s, 1, a, 2);
        jet_value q = fg_op2(g, JET_OP_DIV, e, sb);
        if (q != JET_NO_VALUE) return q;
      }
      return e;
    }
  }
  return v;
}

static inline jet_value fg_step_const(fg_gen *g) {
  jet_type t;
  if (fg_pct(g, 50)) {
    t = jet_type_scalar(fg_random_dtype(g));
  } else {
    jet_value y = fg_pick(g, fg_f_any, NULL);
    t = y == JET_NO_VALUE ? g->base : *fg_ty(g, y);
    t.dtype = fg_random_dtype(g);
  }
  return fg_const(g, t, fg_random_domain(g, t.dtype));
}

static inline jet_value fg_same_like(fg_gen *g, jet_value x) {
  /* a pool value of x's type with an exact/REL class, else x */
  jet_value c[FG_MAXV];
  uint32_t n = 0;
  for (uint32_t i = 0; i < g->n_pool; i++)
    if (jet_type_equal(fg_ty(g, g->pool[i]), fg_ty(g, x)) && fg_inf(g, g->pool[i])->cls != FG_LOOSE)
      c[n++] = g->pool[i];
  return n ? c[fg_rnd(g, (int)n)] : x;
}

static inline jet_value fg_dot(fg_gen *g, jet_value x) {
  jet_type t = *fg_ty(g, x);
  if (t.dtype == JET_BOOL || t.rank < 1 || t.rank > 3) return JET_NO_VALUE;
  jet_value y = fg_same_like(g, x);
  const int64_t K = t.dims[t.rank - 1];
  int64_t M = t.rank >= 2 ? t.dims[t.rank - 2] : 1, B = t.rank == 3 ? t.dims[0] : 1;
  if ((double)B * M * M * (K + 1) > 4e7 || B * M * M > 4 * FG_BIG_NUMEL) return JET_NO_VALUE;
  const fg_info *xi = fg_inf(g, x), *yi = fg_inf(g, y);
  fg_info in2[2] = {*xi, *yi}, o;
  int q = xi->q >= 0 && yi->q >= 0 ? xi->q + yi->q : -1;
  if (!fg_sum_rule(in2, 2, t.dtype, (double)K, xi->mag * yi->mag, q, xi->nonneg && yi->nonneg,
                   xi->lo * yi->lo, &o))
    return JET_NO_VALUE;
  jet_value ops[2] = {x, y};
  int64_t lc = t.rank - 1, rc = t.rank - 1, bd0 = 0;
  if (t.rank == 2 && fg_pct(g, 50)) { /* x @ transpose(y): [M,K] x [K,M] */
    int64_t perm[2] = {1, 0};
    jet_attr pa = gb_ints("permutation", perm, 2);
    ops[1] = fg_struct(g, JET_OP_TRANSPOSE, &y, 1, &pa, 1);
    rc = 0;
  }
  if (ops[1] == JET_NO_VALUE) return JET_NO_VALUE;
  jet_attr a[4] = {gb_ints("lhs_contracting_dimensions", &lc, 1),
                   gb_ints("rhs_contracting_dimensions", &rc, 1),
                   gb_ints("lhs_batch_dimensions", &bd0, 1),
                   gb_ints("rhs_batch_dimensions", &bd0, 1)};
  return fg_add(g, JET_OP_DOT_GENERAL, ops, 2, a, t.rank == 3 ? 4 : 2, o);
}

static inline jet_value fg_step_nonfusible(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_type t = *fg_ty(g, x);
  const int r = t.rank;
  switch (fg_rnd(g, 9)) {
    case 0: { /* transpose */
      int64_t perm[JET_MAX_RANK];
      for (int d = 0; d < r; d++) perm[d] = d;
      for (int d = r - 1; d > 0; d--) {
        int j = fg_rnd(g, d + 1);
        int64_t tmp = perm[d];
        perm[d] = perm[j];
        perm[j] = tmp;
      }
      jet_attr a = gb_ints("permutation", perm, (uint32_t)r);
      return fg_struct(g, JET_OP_TRANSPOSE, &x, 1, &a, 1);
    }
    case 1: { /* slice */
      int64_t s[JET_MAX_RANK], l[JET_MAX_RANK], st[JET_MAX_RANK];
      for (int d = 0; d < r; d++) {
        s[d] = fg_rnd(g, (int)(t.dims[d] / 3 + 1));
        l[d] = t.dims[d] - fg_rnd(g, (int)(t.dims[d] / 3 + 1));
        if (l[d] < s[d]) l[d] = s[d];
        st[d] = 1 + (fg_pct(g, 30) ? fg_rnd(g, 3) : 0);
      }
      jet_attr a[3] = {gb_ints("start_indices", s, (uint32_t)r),
                       gb_ints("limit_indices", l, (uint32_t)r),
                       gb_ints("strides", st, (uint32_t)r)};
      return fg_struct(g, JET_OP_SLICE, &x, 1, a, fg_pct(g, 50) ? 3 : 2);
    }
    case 2: { /* rev */
      int64_t dims[JET_MAX_RANK];
      uint32_t n = 0;
      for (int d = 0; d < r; d++)
        if (fg_pct(g, 50)) dims[n++] = d;
      jet_attr a = gb_ints("dimensions", dims, n);
      return fg_struct(g, JET_OP_REV, &x, 1, &a, 1);
    }
    case 3: { /* concatenate */
      if (r == 0 || 2 * fg_numel(&t) > 4 * FG_BIG_NUMEL) return JET_NO_VALUE;
      jet_value ops[3] = {x, fg_same_like(g, x), x};
      jet_attr a = gb_int("dimension", fg_rnd(g, r));
      return fg_struct(g, JET_OP_CONCATENATE, ops, 2 + (fg_pct(g, 20) ? 1 : 0), &a, 1);
    }
    case 4: { /* gather rows along axis 0 */
      if (r == 0 || t.dims[0] == 0) return JET_NO_VALUE;
      int64_t rest = fg_numel(&t) / t.dims[0];
      int k = 1 + fg_rnd(g, 12);
      if (rest * k > 4 * FG_BIG_NUMEL) return JET_NO_VALUE;
      jet_dtype idt = fg_pct(g, 50) ? JET_I32 : JET_I64;
      jet_type it = gb_type2(idt, 2, k, 1);
      jet_buf ib = adc_buf(it);
      if (!ib.data) return JET_NO_VALUE;
      for (int i = 0; i < k; i++)
        adc_set(&ib, i, (double)(fg_rnd(g, (int)t.dims[0] + 4) - 2));
      const jet_attr la = gb_lit("value", it, ib.data, jet_type_nbytes(&it));
      jet_value idx =
          fg_add(g, JET_OP_CONSTANT, NULL, 0, &la, 1, fg_int_info(idt, (double)t.dims[0] + 2));
      adc_buf_free(&ib);
      int64_t od[JET_MAX_RANK], ss[JET_MAX_RANK], zero = 0;
      for (int d = 1; d < r; d++) od[d - 1] = d;
      ss[0] = 1;
      for (int d = 1; d < r; d++) ss[d] = t.dims[d];
      jet_attr a[5] = {gb_ints("offset_dims", od, (uint32_t)r - 1),
                       gb_ints("collapsed_slice_dims", &zero, 1),
                       gb_ints("start_index_map", &zero, 1),
                       gb_ints("slice_sizes", ss, (uint32_t)r), gb_int("mode", fg_rnd(g, 2))};
      jet_value ops[2] = {x, idx};
      return fg_struct(g, JET_OP_GATHER, ops, 2, a, 5);
    }
    case 5: { /* cumsum */
      if (r == 0 || t.dtype == JET_BOOL) return JET_NO_VALUE;
      int64_t ax = fg_rnd(g, r);
      const fg_info *xi = fg_inf(g, x);
      fg_info o;
      if (!fg_sum_rule(xi, 1, t.dtype, (double)t.dims[ax], xi->mag, xi->q, xi->nonneg, xi->lo, &o))
        return JET_NO_VALUE;
      if (fg_pct(g, 20)) ax -= r;
      jet_attr a[2] = {gb_int("axis", ax), gb_bool("reverse", fg_pct(g, 50))};
      return fg_add(g, JET_OP_CUMSUM, &x, 1, a, fg_pct(g, 50) ? 2 : 1, o);
    }
    case 6: { /* iota of the value's shape */
      if (r == 0) return JET_NO_VALUE;
      static const jet_dtype ds[6] = {JET_F32, JET_F64, JET_I32, JET_I64, JET_U8, JET_U32};
      jet_dtype d = ds[fg_rnd(g, 6)];
      int64_t dim = fg_rnd(g, r);
      jet_attr a[3] = {gb_dtype("dtype", d), gb_ints("shape", t.dims, (uint32_t)r),
                       gb_int("dimension", dim)};
      fg_info o =
          fg_isf(d) ? fg_exact((double)t.dims[dim], 0, true) : fg_int_info(d, (double)t.dims[dim]);
      return fg_add(g, JET_OP_IOTA, NULL, 0, a, 3, o);
    }
    default: return fg_dot(g, x);
  }
}

/* One random step. */
static inline void fg_step(fg_gen *g) {
  int k = fg_rnd(g, 100);
  if (k < 20) fg_step_unary(g);
  else if (k < 44) fg_step_binary(g);
  else if (k < 50) fg_step_compare(g);
  else if (k < 56) fg_step_select(g);
  else if (k < 59) fg_step_clamp(g);
  else if (k < 66) fg_step_convert(g);
  else if (k < 71) fg_step_bcast(g);
  else if (k < 75) fg_step_reshape(g);
  else if (k < 86) fg_step_reduce(g);
  else if (k < 89) fg_step_const(g);
  else fg_step_nonfusible(g);
}

#endif
