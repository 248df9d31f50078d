/* JVP and VJP rules of the structural shape ops: broadcast_in_dim, reshape,
 * transpose, squeeze, expand_dims, rev.
 *
 * All of them are linear, so each JVP re-emits the op on the tangent with
 * the node's own attributes, and each VJP is the transposed linear map:
 * broadcast_in_dim -> reduce_sum over the broadcast dims (new dims and
 * size-1 dims that grew) then reshape; reshape / squeeze / expand_dims ->
 * reshape back; transpose -> the inverse permutation; rev -> rev. */
#include <string.h>

#include "transforms/ad/ad.h"

/* Re-emits n's op on the tangent t[0] with n's attributes. */
static jet_value same_op(jet_emit *e, const jet_node *n, jet_value t) {
  return jet_emit_op(e, n->op, &t, 1, n->attrs, n->n_attrs);
}

/* Reshapes v to the shape of value `like`. */
static jet_value reshape_like(jet_emit *e, jet_value v, jet_value like) {
  if (e->status) return JET_AD_ZERO;
  const jet_type *lt = jet_emit_type(e, like);
  int64_t dims[JET_MAX_RANK];
  memcpy(dims, lt->dims, sizeof(int64_t) * (size_t)lt->rank);
  return jet_emit_reshape(e, v, dims, lt->rank);
}

/* ---- broadcast_in_dim ---- */

void jet__jvp_BROADCAST_IN_DIM(jet_emit *e, const jet_node *n, const jet_value *x,
                               const jet_value *t, const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  ty[0] = same_op(e, n, t[0]);
}

void jet__vjp_BROADCAST_IN_DIM(jet_emit *e, const jet_node *n, const jet_value *x,
                               const jet_value *y, const jet_value *ct, jet_value *cx) {
  (void)y;
  const jet_attr *bd = jet_node_attr(n, "broadcast_dimensions");
  const jet_type *xt = jet_emit_type(e, x[0]);
  const jet_type *ot = &n->results[0];
  bool keep[JET_MAX_RANK] = {false};
  if (bd) {
    for (uint32_t i = 0; i < bd->u.ints.n && i < (uint32_t)xt->rank; i++) {
      int64_t d = bd->u.ints.v[i];
      if (d >= 0 && d < ot->rank && xt->dims[i] == ot->dims[d]) keep[d] = true;
    }
  }
  int64_t axes[JET_MAX_RANK];
  uint32_t na = 0;
  for (int32_t d = 0; d < ot->rank; d++) {
    if (!keep[d]) axes[na++] = d;
  }
  jet_value s = na ? jet_emit_reduce_sum(e, ct[0], axes, na) : ct[0];
  cx[0] = reshape_like(e, s, x[0]);
}

/* ---- reshape, squeeze, expand_dims: reshape back ---- */

void jet__jvp_RESHAPE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                      const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  ty[0] = same_op(e, n, t[0]);
}

void jet__vjp_RESHAPE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                      const jet_value *ct, jet_value *cx) {
  (void)n, (void)y;
  cx[0] = reshape_like(e, ct[0], x[0]);
}

void jet__jvp_SQUEEZE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                      const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  ty[0] = same_op(e, n, t[0]);
}

void jet__vjp_SQUEEZE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                      const jet_value *ct, jet_value *cx) {
  (void)n, (void)y;
  cx[0] = reshape_like(e, ct[0], x[0]);
}

void jet__jvp_EXPAND_DIMS(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                          const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  ty[0] = same_op(e, n, t[0]);
}

void jet__vjp_EXPAND_DIMS(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                          const jet_value *ct, jet_value *cx) {
  (void)n, (void)y;
  cx[0] = reshape_like(e, ct[0], x[0]);
}

/* ---- transpose: inverse permutation ---- */

void jet__jvp_TRANSPOSE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                        const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  ty[0] = same_op(e, n, t[0]);
}

void jet__vjp_TRANSPOSE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                        const jet_value *ct, jet_value *cx) {
  (void)x, (void)y;
  const jet_attr *p = jet_node_attr(n, "permutation");
  uint32_t r = p ? p->u.ints.n : 0;
  int64_t inv[JET_MAX_RANK];
  for (uint32_t i = 0; i < r && i < JET_MAX_RANK; i++) {
    int64_t d = p->u.ints.v[i];
    if (d >= 0 && d < (int64_t)r) inv[d] = (int64_t)i;
  }
  cx[0] = jet_emit_transpose(e, ct[0], inv, r);
}

/* ---- rev: its own transpose ---- */

void jet__jvp_REV(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                  const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  ty[0] = same_op(e, n, t[0]);
}

void jet__vjp_REV(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                  const jet_value *ct, jet_value *cx) {
  (void)x, (void)y;
  cx[0] = same_op(e, n, ct[0]);
}
