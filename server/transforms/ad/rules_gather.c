/* JVP and VJP rules of gather and scatter-add (XLA dimension numbers, the
 * index vector in the last dim of the indices; see
 * server/runtime/kernels/gather_scatter.c for the modes).
 *
 * gather        JVP: gather of the tangent. In fill mode (1) an out-of-bounds
 *               window reads NaN, a constant: its tangent is zero, so the
 *               gathered tangent is masked with select(in_bounds, g, 0).
 *               VJP: scatter-add of ct into zeros of the operand's shape with
 *               the mapped dimension numbers (offset_dims ->
 *               update_window_dims, collapsed_slice_dims ->
 *               inserted_window_dims, start_index_map ->
 *               scatter_dims_to_operand_dims, batching dims alike). Clip mode
 *               maps to scatter-add clip mode, which clamps each start into
 *               [0, dim - window size] exactly as gather does (the windows
 *               have the same sizes), so the cotangent lands on the clipped
 *               positions; fill mode maps to drop mode, which skips exactly
 *               the windows gather filled.
 * scatter-add   JVP: scatter-add(t_operand, indices, t_updates).
 *               VJP: the operand gets ct; the updates get gather(ct) with
 *               the inverse mapping and slice sizes = the update windows
 *               (1 for inserted and batching dims). Clip mode gathers in clip
 *               mode; drop mode gathers in clip mode and zeroes the dropped
 *               windows with the same in-bounds mask as above. */
#include <stdint.h>
#include <string.h>

#include "transforms/ad/ad.h"

static const int64_t *ints_attr(const jet_node *n, const char *name, uint32_t *len) {
  const jet_attr *a = jet_node_attr(n, name);
  *len = a ? a->u.ints.n : 0;
  return a ? a->u.ints.v : NULL;
}

static double dtype_max(jet_dtype dt) {
  switch (dt) {
    case JET_U8: return 255.0;
    case JET_I32: return 2147483647.0;
    case JET_U32: return 4294967295.0;
    default: return 9.0e18;
  }
}

/* A bool mask of the shape `out` that is true where the window of the
 * batch position is in bounds: every index component j (operand dim
 * map[j]) lies in [0, operand dim - win[map[j]]]. The batch positions are
 * the indices' leading dims, placed at out's dims that are not in
 * `window_dims`. Returns JET_AD_ZERO when every window is in bounds
 * statically (no component to check). */
static jet_value in_bounds_mask(jet_emit *e, jet_value idx, const jet_type *operand,
                                const int64_t *map, uint32_t k, const int64_t *win,
                                const jet_type *out, const int64_t *window_dims, uint32_t n_win) {
  if (e->status) return JET_AD_ZERO;
  const jet_type it = *jet_emit_type(e, idx);
  const int32_t r = it.rank;
  jet_value mask = JET_AD_ZERO;
  for (uint32_t j = 0; j < k; j++) {
    int64_t d = map[j];
    if (d < 0 || d >= operand->rank) continue;
    int64_t hi = operand->dims[d] - win[d];
    int64_t start[JET_MAX_RANK] = {0}, limit[JET_MAX_RANK];
    memcpy(limit, it.dims, sizeof(int64_t) * (size_t)r);
    start[r - 1] = (int64_t)j;
    limit[r - 1] = (int64_t)j + 1;
    jet_attr a[2] = {jet_emit_attr_ints("start_indices", start, (uint32_t)r),
                     jet_emit_attr_ints("limit_indices", limit, (uint32_t)r)};
    jet_value c = jet_emit_op(e, JET_OP_SLICE, &idx, 1, a, 2);
    jet_value ok = JET_AD_ZERO;
    if (!jet_dtype_is_unsigned_int(it.dtype)) {
      ok = jet_emit2(e, JET_OP_GE, c, jet_emit_scalar(e, it.dtype, 0.0));
    }
    if ((double)hi < dtype_max(it.dtype)) {
      jet_value le = jet_emit2(e, JET_OP_LE, c, jet_emit_scalar(e, it.dtype, (double)hi));
      ok = ok == JET_AD_ZERO ? le : jet_emit2(e, JET_OP_AND, ok, le);
    }
    if (ok != JET_AD_ZERO) mask = mask == JET_AD_ZERO ? ok : jet_emit2(e, JET_OP_AND, mask, ok);
  }
  if (mask == JET_AD_ZERO || e->status) return JET_AD_ZERO;
  mask = jet_emit_reshape(e, mask, it.dims, r - 1);
  int64_t shape[JET_MAX_RANK], bdims[JET_MAX_RANK];
  uint32_t nb = 0;
  for (int32_t i = 0; i < out->rank; i++) {
    shape[i] = out->dims[i];
    bool is_win = false;
    for (uint32_t w = 0; w < n_win; w++) is_win = is_win || window_dims[w] == i;
    if (!is_win) bdims[nb++] = i;
  }
  return jet_emit_broadcast_in_dim(e, mask, shape, out->rank, bdims, nb);
}

/* select(mask, v, 0); v when mask is JET_AD_ZERO (all in bounds). */
static jet_value mask_zero(jet_emit *e, jet_value mask, jet_value v) {
  if (mask == JET_AD_ZERO) return v;
  return jet_emit3(e, JET_OP_SELECT, mask, v, jet_emit_full_like(e, v, 0.0));
}

/* ---- gather(operand, indices) ---- */

/* The in-bounds mask of a fill-mode gather node, or JET_AD_ZERO. */
static jet_value gather_mask(jet_emit *e, const jet_node *n, const jet_value *x) {
  uint32_t nsim, nss, nod;
  const int64_t *sim = ints_attr(n, "start_index_map", &nsim);
  const int64_t *ss = ints_attr(n, "slice_sizes", &nss);
  const int64_t *od = ints_attr(n, "offset_dims", &nod);
  const jet_type xt = *jet_emit_type(e, x[0]);
  if (nss != (uint32_t)xt.rank) return JET_AD_ZERO;
  return in_bounds_mask(e, x[1], &xt, sim, nsim, ss, &n->results[0], od, nod);
}

void jet__jvp_GATHER(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                     const jet_value *y, jet_value *ty) {
  (void)y;
  jet_value ops[2] = {t[0], x[1]};
  jet_value g = jet_emit_op(e, JET_OP_GATHER, ops, 2, n->attrs, n->n_attrs);
  if (jet_node_attr_int(n, "mode", 0) == 1) g = mask_zero(e, gather_mask(e, n, x), g);
  ty[0] = g;
}

void jet__vjp_GATHER(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                     const jet_value *ct, jet_value *cx) {
  (void)y;
  uint32_t nod, ncd, nsim, nob, nib;
  const int64_t *od = ints_attr(n, "offset_dims", &nod);
  const int64_t *cd = ints_attr(n, "collapsed_slice_dims", &ncd);
  const int64_t *sim = ints_attr(n, "start_index_map", &nsim);
  const int64_t *ob = ints_attr(n, "operand_batching_dims", &nob);
  const int64_t *ib = ints_attr(n, "start_indices_batching_dims", &nib);
  jet_attr a[6] = {jet_emit_attr_ints("update_window_dims", od, nod),
                   jet_emit_attr_ints("inserted_window_dims", cd, ncd),
                   jet_emit_attr_ints("scatter_dims_to_operand_dims", sim, nsim),
                   jet_emit_attr_ints("operand_batching_dims", ob, nob),
                   jet_emit_attr_ints("scatter_indices_batching_dims", ib, nib),
                   jet_emit_attr_int("mode", jet_node_attr_int(n, "mode", 0) == 1 ? 1 : 0)};
  jet_value ops[3] = {jet_emit_full_like(e, x[0], 0.0), x[1], ct[0]};
  cx[0] = jet_emit_op(e, JET_OP_SCATTER_ADD, ops, 3, a, 6);
  cx[1] = JET_AD_ZERO;
}

/* ---- scatter-add(operand, indices, updates) ---- */

void jet__jvp_SCATTER_ADD(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                          const jet_value *y, jet_value *ty) {
  (void)y;
  if (t[2] == JET_AD_ZERO) {
    ty[0] = t[0];
    return;
  }
  jet_value ops[3] = {t[0] != JET_AD_ZERO ? t[0] : jet_emit_full_like(e, x[0], 0.0), x[1], t[2]};
  ty[0] = jet_emit_op(e, JET_OP_SCATTER_ADD, ops, 3, n->attrs, n->n_attrs);
}

void jet__vjp_SCATTER_ADD(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                          const jet_value *ct, jet_value *cx) {
  (void)y;
  cx[0] = ct[0];
  cx[1] = JET_AD_ZERO;
  cx[2] = JET_AD_ZERO;
  if (e->status) return;
  uint32_t nuw, niw, nsd, nob, nib;
  const int64_t *uw = ints_attr(n, "update_window_dims", &nuw);
  const int64_t *iw = ints_attr(n, "inserted_window_dims", &niw);
  const int64_t *sd = ints_attr(n, "scatter_dims_to_operand_dims", &nsd);
  const int64_t *ob = ints_attr(n, "operand_batching_dims", &nob);
  const int64_t *ib = ints_attr(n, "scatter_indices_batching_dims", &nib);
  const jet_type xt = *jet_emit_type(e, x[0]);
  const jet_type ut = *jet_emit_type(e, x[2]);
  /* window size per operand dim: the update window dims in order for the
   * dims neither inserted nor batching, 1 for the others */
  int64_t win[JET_MAX_RANK];
  uint32_t w = 0;
  for (int32_t d = 0; d < xt.rank; d++) {
    bool skip = false;
    for (uint32_t i = 0; i < niw; i++) skip = skip || iw[i] == d;
    for (uint32_t i = 0; i < nob; i++) skip = skip || ob[i] == d;
    win[d] = 1;
    if (!skip && w < nuw && uw[w] >= 0 && uw[w] < ut.rank) win[d] = ut.dims[uw[w++]];
  }
  bool drop = jet_node_attr_int(n, "mode", 1) != 0;
  jet_attr a[7] = {jet_emit_attr_ints("offset_dims", uw, nuw),
                   jet_emit_attr_ints("collapsed_slice_dims", iw, niw),
                   jet_emit_attr_ints("start_index_map", sd, nsd),
                   jet_emit_attr_ints("operand_batching_dims", ob, nob),
                   jet_emit_attr_ints("start_indices_batching_dims", ib, nib),
                   jet_emit_attr_ints("slice_sizes", win, (uint32_t)xt.rank),
                   jet_emit_attr_int("mode", 0)};
  jet_value ops[2] = {ct[0], x[1]};
  jet_value g = jet_emit_op(e, JET_OP_GATHER, ops, 2, a, 7);
  if (drop) g = mask_zero(e, in_bounds_mask(e, x[1], &xt, sd, nsd, win, &ut, uw, nuw), g);
  cx[2] = g;
}
