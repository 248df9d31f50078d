/* JVP and VJP rules of the reductions: reduce_sum, reduce_max, reduce_min,
 * reduce_prod, argmax, argmin, cumsum.
 *
 *   reduce_sum   linear; VJP broadcasts ct back over the reduced axes.
 *   reduce_max/min  JAX's chooser rule: the tangent / cotangent is spread
 *                equally over every position equal to the result
 *                (ind = eq(x, broadcast(y)), divided by the tie count);
 *                an empty reduction (constant result) has a zero tangent.
 *   reduce_prod  exact with zeros, without division: the reduced axes are
 *                moved to the front and flattened to [k, m], then the
 *                product is taken as a pairwise tree (odd levels padded
 *                with a row of ones); the JVP runs the product rule level
 *                by level, the VJP walks the levels back (ct_a = ct * b,
 *                ct_b = ct * a, interleaved with interior padding). This is
 *                JAX's own reduce_prod JVP (a tree reduction of mul).
 *   argmax/argmin  integer results: zero.
 *   cumsum       linear; VJP is cumsum with `reverse` flipped. */
#include <string.h>

#include "transforms/ad/ad.h"

/* Normalized axes of n ("axes", negatives from the end) into axes[];
 * red[d] marks reduced dims. Returns the count. */
static uint32_t reduced_axes(const jet_node *n, int32_t rank, int64_t *axes, bool *red) {
  const jet_attr *a = jet_node_attr(n, "axes");
  uint32_t na = 0;
  for (int32_t d = 0; d < JET_MAX_RANK; d++) red[d] = false;
  for (uint32_t i = 0; a && i < a->u.ints.n && na < JET_MAX_RANK; i++) {
    int64_t d = a->u.ints.v[i];
    if (d < 0) d += rank;
    if (d < 0 || d >= rank || red[d]) continue;
    red[d] = true;
    axes[na++] = d;
  }
  return na;
}

/* Broadcasts v (of x's shape minus the reduced dims) back to x's shape. */
static jet_value unreduce(jet_emit *e, jet_value v, const jet_type *xt, const bool *red) {
  int64_t shape[JET_MAX_RANK], bdims[JET_MAX_RANK];
  uint32_t nb = 0;
  for (int32_t d = 0; d < xt->rank; d++) {
    shape[d] = xt->dims[d];
    if (!red[d]) bdims[nb++] = d;
  }
  return jet_emit_broadcast_in_dim(e, v, shape, xt->rank, bdims, nb);
}

static int64_t reduced_count(const jet_type *xt, const bool *red) {
  int64_t k = 1;
  for (int32_t d = 0; d < xt->rank; d++) {
    if (red[d]) k *= xt->dims[d];
  }
  return k;
}

/* ---- reduce_sum ---- */

void jet__jvp_REDUCE_SUM(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                         const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  ty[0] = jet_emit_op(e, JET_OP_REDUCE_SUM, &t[0], 1, n->attrs, n->n_attrs);
}

void jet__vjp_REDUCE_SUM(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                         const jet_value *ct, jet_value *cx) {
  (void)y;
  const jet_type xt = *jet_emit_type(e, x[0]);
  int64_t axes[JET_MAX_RANK];
  bool red[JET_MAX_RANK];
  reduced_axes(n, xt.rank, axes, red);
  cx[0] = unreduce(e, ct[0], &xt, red);
}

/* ---- reduce_max / reduce_min ---- */

/* Writes the tie indicator (x's dtype, 1 where x equals the result) and the
 * tie count (the result's shape). False when the reduction is empty. */
static bool chooser_parts(jet_emit *e, const jet_node *n, jet_value x, jet_value y,
                          jet_value *ind, jet_value *cnt, jet_type *xt, bool *red) {
  *xt = *jet_emit_type(e, x);
  int64_t axes[JET_MAX_RANK];
  uint32_t na = reduced_axes(n, xt->rank, axes, red);
  if (reduced_count(xt, red) == 0) return false;
  jet_value mask = jet_emit2(e, JET_OP_EQ, x, unreduce(e, y, xt, red));
  *ind = jet_emit_convert(e, mask, xt->dtype);
  *cnt = na ? jet_emit_reduce_sum(e, *ind, axes, na) : *ind;
  return true;
}

static void chooser_jvp(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                        const jet_value *y, jet_value *ty) {
  jet_value ind, cnt;
  jet_type xt;
  bool red[JET_MAX_RANK];
  ty[0] = JET_AD_ZERO;
  if (!chooser_parts(e, n, x[0], y[0], &ind, &cnt, &xt, red)) return;
  int64_t axes[JET_MAX_RANK];
  uint32_t na = reduced_axes(n, xt.rank, axes, red);
  jet_value s = jet_emit2(e, JET_OP_MUL, t[0], ind);
  if (na) s = jet_emit_reduce_sum(e, s, axes, na);
  ty[0] = jet_emit2(e, JET_OP_DIV, s, cnt);
}

static void chooser_vjp(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                        const jet_value *ct, jet_value *cx) {
  jet_value ind, cnt;
  jet_type xt;
  bool red[JET_MAX_RANK];
  cx[0] = JET_AD_ZERO;
  if (!chooser_parts(e, n, x[0], y[0], &ind, &cnt, &xt, red)) return;
  jet_value share = jet_emit2(e, JET_OP_DIV, ct[0], cnt);
  cx[0] = jet_emit2(e, JET_OP_MUL, unreduce(e, share, &xt, red), ind);
}

void jet__jvp_REDUCE_MAX(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                         const jet_value *y, jet_value *ty) {
  chooser_jvp(e, n, x, t, y, ty);
}

void jet__vjp_REDUCE_MAX(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                         const jet_value *ct, jet_value *cx) {
  chooser_vjp(e, n, x, y, ct, cx);
}

void jet__jvp_REDUCE_MIN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                         const jet_value *y, jet_value *ty) {
  chooser_jvp(e, n, x, t, y, ty);
}

void jet__vjp_REDUCE_MIN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                         const jet_value *ct, jet_value *cx) {
  chooser_vjp(e, n, x, y, ct, cx);
}

/* ---- reduce_prod: pairwise product tree over [k, m] ---- */

typedef struct prod_layout {
  jet_type xt;
  int64_t perm[JET_MAX_RANK]; /* reduced dims first, then the kept dims */
  bool identity;              /* perm is the identity */
  int64_t k, m;               /* reduced and kept element counts */
} prod_layout;

static void prod_layout_make(const jet_node *n, const jet_type *xt, prod_layout *l) {
  int64_t axes[JET_MAX_RANK];
  bool red[JET_MAX_RANK];
  uint32_t na = reduced_axes(n, xt->rank, axes, red);
  l->xt = *xt;
  l->k = 1;
  l->m = 1;
  uint32_t p = 0;
  for (uint32_t i = 0; i < na; i++) {
    l->perm[p++] = axes[i];
    l->k *= xt->dims[axes[i]];
  }
  for (int32_t d = 0; d < xt->rank; d++) {
    if (!red[d]) {
      l->perm[p++] = d;
      l->m *= xt->dims[d];
    }
  }
  l->identity = true;
  for (int32_t d = 0; d < xt->rank; d++) l->identity = l->identity && l->perm[d] == d;
}

/* x (of the operand's shape) as [k, m]. */
static jet_value to_km(jet_emit *e, jet_value v, const prod_layout *l) {
  if (!l->identity) v = jet_emit_transpose(e, v, l->perm, (uint32_t)l->xt.rank);
  int64_t km[2] = {l->k, l->m};
  return jet_emit_reshape(e, v, km, 2);
}

/* [k, m] back to the operand's shape. */
static jet_value from_km(jet_emit *e, jet_value v, const prod_layout *l) {
  int64_t dims[JET_MAX_RANK], inv[JET_MAX_RANK];
  for (int32_t d = 0; d < l->xt.rank; d++) {
    dims[d] = l->xt.dims[l->perm[d]];
    inv[l->perm[d]] = d;
  }
  v = jet_emit_reshape(e, v, dims, l->xt.rank);
  if (!l->identity) v = jet_emit_transpose(e, v, inv, (uint32_t)l->xt.rank);
  return v;
}

/* Rows first, first+2, ... of a [k, m] value (k even). */
static jet_value rows(jet_emit *e, jet_value v, int64_t first, int64_t k, int64_t m) {
  int64_t start[2] = {first, 0}, limit[2] = {k, m}, strides[2] = {2, 1};
  jet_attr a[3] = {jet_emit_attr_ints("start_indices", start, 2),
                   jet_emit_attr_ints("limit_indices", limit, 2),
                   jet_emit_attr_ints("strides", strides, 2)};
  return jet_emit_op(e, JET_OP_SLICE, &v, 1, a, 3);
}

/* pad of a [r, m] value in rows by (lo, hi, interior) with value pv. */
static jet_value pad_rows(jet_emit *e, jet_value v, double pv, int64_t lo, int64_t hi,
                          int64_t in) {
  int64_t cfg[6] = {lo, hi, in, 0, 0, 0};
  jet_attr a = jet_emit_attr_ints("padding_config", cfg, 6);
  jet_value ops[2] = {v, jet_emit_scalar(e, jet_emit_type(e, v)->dtype, pv)};
  return jet_emit_op(e, JET_OP_PAD, ops, 2, &a, 1);
}

void jet__jvp_REDUCE_PROD(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                          const jet_value *y, jet_value *ty) {
  (void)y;
  ty[0] = JET_AD_ZERO;
  prod_layout l;
  prod_layout_make(n, jet_emit_type(e, x[0]), &l);
  if (l.k == 0 || l.m == 0 || e->status) return;
  jet_value p = to_km(e, x[0], &l), tp = to_km(e, t[0], &l);
  int64_t k = l.k;
  while (k > 1) {
    if (k % 2) {
      p = pad_rows(e, p, 1.0, 0, 1, 0);
      tp = pad_rows(e, tp, 0.0, 0, 1, 0);
      k++;
    }
    jet_value a = rows(e, p, 0, k, l.m), b = rows(e, p, 1, k, l.m);
    jet_value ta = rows(e, tp, 0, k, l.m), tb = rows(e, tp, 1, k, l.m);
    p = jet_emit2(e, JET_OP_MUL, a, b);
    tp = jet_emit2(e, JET_OP_ADD, jet_emit2(e, JET_OP_MUL, ta, b), jet_emit2(e, JET_OP_MUL, a, tb));
    k /= 2;
  }
  const jet_type *ot = &n->results[0];
  int64_t dims[JET_MAX_RANK];
  memcpy(dims, ot->dims, sizeof(int64_t) * (size_t)ot->rank);
  ty[0] = jet_emit_reshape(e, tp, dims, ot->rank);
}

void jet__vjp_REDUCE_PROD(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                          const jet_value *ct, jet_value *cx) {
  (void)y;
  cx[0] = JET_AD_ZERO;
  prod_layout l;
  prod_layout_make(n, jet_emit_type(e, x[0]), &l);
  if (l.k == 0 || l.m == 0 || e->status) return;
  /* forward tree; level i multiplies a[i] * b[i], its input had k[i] rows
   * before padding; at most 64 levels (k < 2^63) */
  jet_value a[64], b[64];
  int64_t kin[64];
  int h = 0;
  jet_value p = to_km(e, x[0], &l);
  int64_t k = l.k;
  while (k > 1 && h < 64) {
    kin[h] = k;
    if (k % 2) {
      p = pad_rows(e, p, 1.0, 0, 1, 0);
      k++;
    }
    a[h] = rows(e, p, 0, k, l.m);
    b[h] = rows(e, p, 1, k, l.m);
    p = jet_emit2(e, JET_OP_MUL, a[h], b[h]);
    k /= 2;
    h++;
  }
  int64_t one_m[2] = {1, l.m};
  jet_value g = jet_emit_reshape(e, ct[0], one_m, 2);
  for (int i = h - 1; i >= 0; i--) {
    jet_value ga = jet_emit2(e, JET_OP_MUL, g, b[i]);
    jet_value gb = jet_emit2(e, JET_OP_MUL, g, a[i]);
    /* interleave back into kin[i] rows: ga at even rows, gb at odd rows
     * (the padded last row of an odd level is cropped) */
    int64_t half = (kin[i] + 1) / 2;
    jet_value ea = pad_rows(e, ga, 0.0, 0, kin[i] - (2 * half - 1), 1);
    jet_value eb = pad_rows(e, gb, 0.0, 1, kin[i] - 2 * half, 1);
    g = jet_emit2(e, JET_OP_ADD, ea, eb);
  }
  cx[0] = from_km(e, g, &l);
}

/* ---- argmax / argmin: integer results ---- */

void jet__jvp_ARGMAX(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                     const jet_value *y, jet_value *ty) {
  (void)e, (void)n, (void)x, (void)t, (void)y;
  ty[0] = JET_AD_ZERO;
}

void jet__vjp_ARGMAX(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                     const jet_value *ct, jet_value *cx) {
  (void)e, (void)n, (void)x, (void)y, (void)ct;
  cx[0] = JET_AD_ZERO;
}

void jet__jvp_ARGMIN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                     const jet_value *y, jet_value *ty) {
  (void)e, (void)n, (void)x, (void)t, (void)y;
  ty[0] = JET_AD_ZERO;
}

void jet__vjp_ARGMIN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                     const jet_value *ct, jet_value *cx) {
  (void)e, (void)n, (void)x, (void)y, (void)ct;
  cx[0] = JET_AD_ZERO;
}

/* ---- cumsum ---- */

void jet__jvp_CUMSUM(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                     const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  ty[0] = jet_emit_op(e, JET_OP_CUMSUM, &t[0], 1, n->attrs, n->n_attrs);
}

void jet__vjp_CUMSUM(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                     const jet_value *ct, jet_value *cx) {
  (void)x, (void)y;
  jet_attr a[2] = {jet_emit_attr_int("axis", jet_node_attr_int(n, "axis", 0)),
                   jet_emit_attr_bool("reverse", !jet_node_attr_bool(n, "reverse", false))};
  cx[0] = jet_emit_op(e, JET_OP_CUMSUM, &ct[0], 1, a, 2);
}
