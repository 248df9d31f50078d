/* The value pool and op helpers shared by the random program generators
 * (test_server_ad_random.c, test_server_vmap_random.c).
 *
 * Include after defining POOL, RP_DTYPE(p) (the float dtype of the
 * program's constants), RP_RANK1_DIM (the length a scalar is broadcast to
 * by ensure_rank1) and `typedef struct prog` with at least the members
 * adc_b b, adc_rng r, uint32_t n and jet_value v[POOL]. The including file
 * defines step_unary, step_binary and step_structural, and the step kinds
 * K_UNARY, K_BINARY and K_SCALAR_BCAST. */
#ifndef JET_TESTS_RANDOM_PROG_H
#define JET_TESTS_RANDOM_PROG_H

#include "ad_check.h"

static const jet_type *ty(prog *p, jet_value v) {
  static const jet_type dummy = {.dtype = JET_F64};
  const jet_type *t = p->b.st ? NULL : jet_graph_value_type(p->b.g, v);
  return t ? t : &dummy;
}
static int64_t numel(prog *p, jet_value v) { return jet_type_numel(ty(p, v)); }
static int rnd(prog *p, int n) { return (int)adc_randint(&p->r, 0, n - 1); }
static void push(prog *p, jet_value v) {
  if (!p->b.st && p->n < POOL) p->v[p->n++] = v;
}
/* A random pool value, preferring recent ones. */
static jet_value pick(prog *p) {
  int k = rnd(p, 3) ? (int)p->n - 1 - rnd(p, p->n < 4 ? (int)p->n : 4) : rnd(p, (int)p->n);
  return p->v[k];
}
/* A pool value with the shape of t (x itself when none). */
static jet_value pick_like(prog *p, jet_value x) {
  jet_value c[POOL];
  int n = 0;
  for (uint32_t i = 0; i < p->n; i++)
    if (jet_type_equal(ty(p, p->v[i]), ty(p, x))) c[n++] = p->v[i];
  return n ? c[rnd(p, n)] : x;
}
static jet_value cf(prog *p, double v) { return adc_scalar(&p->b, RP_DTYPE(p), v); }
static jet_value op1(prog *p, jet_op op, jet_value x) { return adc_op1(&p->b, op, x); }
static jet_value op2(prog *p, jet_op op, jet_value x, jet_value y) { return adc_op2(&p->b, op, x, y); }
static jet_value opa(prog *p, jet_op op, const jet_value *x, uint32_t n, const jet_attr *a, uint32_t na) {
  return adc_op(&p->b, op, x, n, a, na);
}
/* x^2 + 0.5 > 0: a safe domain. */
static jet_value pos(prog *p, jet_value x) { return op2(p, JET_OP_ADD, op1(p, JET_OP_SQUARE, x), cf(p, 0.5)); }

static jet_value reduce_all(prog *p, jet_value x) {
  int64_t axes[JET_MAX_RANK];
  int32_t r = ty(p, x)->rank;
  if (!r) return x;
  for (int32_t d = 0; d < r; d++) axes[d] = d;
  jet_attr a = adc_ints("axes", axes, (uint32_t)r);
  return opa(p, JET_OP_REDUCE_SUM, &x, 1, &a, 1);
}

/* Brings x to rank >= 1 (a scalar becomes [RP_RANK1_DIM]). */
static jet_value ensure_rank1(prog *p, jet_value x) {
  if (ty(p, x)->rank) return x;
  int64_t shape[1] = {RP_RANK1_DIM};
  jet_attr a[2] = {adc_ints("shape", shape, 1), adc_ints("broadcast_dimensions", NULL, 0)};
  return opa(p, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2);
}

static jet_value step_unary(prog *p, jet_value x);
static jet_value step_binary(prog *p, jet_value x, jet_value y);
static jet_value step_structural(prog *p, int kind, jet_value x);

/* 8 to 17 random steps on the pool: K_UNARY one time in four, else
 * any of the n_kinds; a scalar-broadcasting step combines x with
 * sin(summary(another value)). Marks the kinds used. */
static void rp_steps(prog *p, bool *used, int n_kinds, jet_value (*summary)(prog *, jet_value)) {
  int steps = 8 + rnd(p, 10);
  for (int s = 0; s < steps && !p->b.st; s++) {
    int kind = rnd(p, 4) == 0 ? K_UNARY : rnd(p, n_kinds);
    jet_value x = pick(p), y = JET_NO_VALUE;
    if (kind == K_UNARY) {
      y = step_unary(p, x);
    } else if (kind == K_BINARY) {
      y = step_binary(p, x, pick_like(p, x));
    } else if (kind == K_SCALAR_BCAST) {
      if (!ty(p, x)->rank) continue;
      jet_value sc = op1(p, JET_OP_SIN, summary(p, pick(p)));
      y = rnd(p, 2) ? step_binary(p, x, sc) : step_binary(p, sc, x);
    } else {
      y = step_structural(p, kind, x);
    }
    if (y == JET_NO_VALUE || p->b.st) continue;
    used[kind] = true;
    push(p, y);
  }
}

#endif
