/* JVP and VJP rules of dot_general.
 *
 * JVP (bilinear): dot(tx, y) + dot(x, ty) with the node's attributes.
 *
 * VJP (JAX's _dot_general_transpose_lhs; the rhs case swaps the operands):
 * the result is laid out [batch, lhs kept, rhs kept]. The lhs cotangent is
 *   dot_general(ct, rhs; contract ct's rhs-kept dims with rhs's kept dims,
 *               batch ct's batch dims with rhs's batch dims)
 * whose dims are [batch (lhs batch order), lhs kept, lhs contracting dims
 * ordered by their rhs partner], then transposed to lhs's own order.
 * With preferred_element_type giving a result dtype other than the
 * operands', the other operand is converted to ct's dtype, the contraction
 * runs there and its result is converted back to the operand's dtype. */
#include <string.h>

#include "transforms/ad/ad.h"

typedef struct dims_list {
  int64_t v[JET_MAX_RANK];
  uint32_t n;
} dims_list;

static void read_dims(const jet_node *n, const char *name, dims_list *d) {
  const jet_attr *a = jet_node_attr(n, name);
  d->n = 0;
  for (uint32_t i = 0; a && i < a->u.ints.n && i < JET_MAX_RANK; i++) d->v[d->n++] = a->u.ints.v[i];
}

static bool in_dims(const dims_list *d, int64_t x) {
  for (uint32_t i = 0; i < d->n; i++) {
    if (d->v[i] == x) return true;
  }
  return false;
}

/* Dims of a rank-`rank` operand that are neither contracting nor batch. */
static void kept_dims(int32_t rank, const dims_list *c, const dims_list *b, dims_list *out) {
  out->n = 0;
  for (int32_t d = 0; d < rank; d++) {
    if (!in_dims(c, d) && !in_dims(b, d)) out->v[out->n++] = d;
  }
}

static jet_value emit_dot(jet_emit *e, jet_value l, jet_value r, const dims_list *lc,
                          const dims_list *rc, const dims_list *lb, const dims_list *rb) {
  jet_attr a[4] = {jet_emit_attr_ints("lhs_contracting_dimensions", lc->v, lc->n),
                   jet_emit_attr_ints("rhs_contracting_dimensions", rc->v, rc->n),
                   jet_emit_attr_ints("lhs_batch_dimensions", lb->v, lb->n),
                   jet_emit_attr_ints("rhs_batch_dimensions", rb->v, rb->n)};
  jet_value ops[2] = {l, r};
  return jet_emit_op(e, JET_OP_DOT_GENERAL, ops, 2, a, 4);
}

/* Cotangent of operand x given the other operand y, with x's contracting
 * and batch dims xc/xb and y's yc/yb. ans_x_first: the result has x's kept
 * dims before y's (x is the lhs). */
static jet_value transpose_operand(jet_emit *e, jet_value ct, jet_value x, jet_value y,
                                   const dims_list *xc, const dims_list *yc, const dims_list *xb,
                                   const dims_list *yb, bool ans_x_first) {
  if (e->status) return JET_AD_ZERO;
  const jet_type xt = *jet_emit_type(e, x);
  const jet_type yt = *jet_emit_type(e, y);
  dims_list xk, yk;
  kept_dims(xt.rank, xc, xb, &xk);
  kept_dims(yt.rank, yc, yb, &yk);
  /* ct dims: [batch][x kept][y kept] or [batch][y kept][x kept] */
  dims_list ans_b, ans_y;
  ans_b.n = xb->n;
  for (uint32_t i = 0; i < xb->n; i++) ans_b.v[i] = i;
  int64_t y_off = ans_x_first ? (int64_t)xb->n + xk.n : (int64_t)xb->n;
  ans_y.n = yk.n;
  for (uint32_t i = 0; i < yk.n; i++) ans_y.v[i] = y_off + i;
  jet_dtype ct_dt = jet_emit_type(e, ct)->dtype;
  jet_value yc_v = jet_emit_convert(e, y, ct_dt);
  jet_value r = emit_dot(e, ct, yc_v, &ans_y, &yk, &ans_b, yb);
  /* r dims: [x batch][x kept][x contracting sorted by their y partner] */
  int64_t order[JET_MAX_RANK];
  uint32_t no = 0;
  for (uint32_t i = 0; i < xb->n; i++) order[no++] = xb->v[i];
  for (uint32_t i = 0; i < xk.n; i++) order[no++] = xk.v[i];
  for (int32_t yd = 0; yd < yt.rank; yd++) {
    for (uint32_t j = 0; j < yc->n; j++) {
      if (yc->v[j] == yd) order[no++] = xc->v[j];
    }
  }
  int64_t perm[JET_MAX_RANK];
  bool identity = true;
  for (uint32_t i = 0; i < no && i < JET_MAX_RANK; i++) {
    if (order[i] >= 0 && order[i] < JET_MAX_RANK) perm[order[i]] = (int64_t)i;
  }
  for (uint32_t i = 0; i < no; i++) identity = identity && perm[i] == (int64_t)i;
  if (!identity) r = jet_emit_transpose(e, r, perm, no);
  return jet_emit_convert(e, r, xt.dtype);
}

void jet__jvp_DOT_GENERAL(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                          const jet_value *y, jet_value *ty) {
  (void)y;
  jet_value a = JET_AD_ZERO, b = JET_AD_ZERO;
  if (t[0] != JET_AD_ZERO) {
    jet_value ops[2] = {t[0], x[1]};
    a = jet_emit_op(e, JET_OP_DOT_GENERAL, ops, 2, n->attrs, n->n_attrs);
  }
  if (t[1] != JET_AD_ZERO) {
    jet_value ops[2] = {x[0], t[1]};
    b = jet_emit_op(e, JET_OP_DOT_GENERAL, ops, 2, n->attrs, n->n_attrs);
  }
  ty[0] = jet_emit_add_any(e, a, b);
}

void jet__vjp_DOT_GENERAL(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                          const jet_value *ct, jet_value *cx) {
  (void)y;
  dims_list lc, rc, lb, rb;
  read_dims(n, "lhs_contracting_dimensions", &lc);
  read_dims(n, "rhs_contracting_dimensions", &rc);
  read_dims(n, "lhs_batch_dimensions", &lb);
  read_dims(n, "rhs_batch_dimensions", &rb);
  cx[0] = JET_AD_ZERO;
  cx[1] = JET_AD_ZERO;
  if (jet_dtype_is_float(jet_emit_type(e, x[0])->dtype)) {
    cx[0] = transpose_operand(e, ct[0], x[0], x[1], &lc, &rc, &lb, &rb, true);
  }
  if (jet_dtype_is_float(jet_emit_type(e, x[1])->dtype)) {
    cx[1] = transpose_operand(e, ct[0], x[1], x[0], &rc, &lc, &rb, &lb, false);
  }
}
