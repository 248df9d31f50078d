/* Batching rule of dot_general: always ONE dot_general node.
 *
 * Dimension lists are remapped around each operand's batch dim
 * (d -> d + (d >= bd)). Both operands batched: the two batch dims become a
 * new leading pair of dot_general batch dimensions, so the result's batch
 * dim is 0. One operand batched: its batch dim is a free dimension of that
 * side; the result carries it at its position among the result's dims
 * (batch dims, then lhs free dims, then rhs free dims, each in order).
 * When only rhs is batched and the batch dim is rhs's only free dim (a
 * matrix times a batch of vectors: in_axes=(None, 0)), the operands are
 * swapped, which puts the batch dim right after the dot's batch dims and
 * keeps the other dims in order — so no transpose is needed to bring it to
 * the front afterwards. */
#include "transforms/batch/batch.h"

static const int64_t *ints_of(const jet_node *n, const char *name, uint32_t *len) {
  const jet_attr *a = jet_node_attr(n, name);
  *len = a ? a->u.ints.n : 0;
  return a ? a->u.ints.v : NULL;
}

/* out[first..] = v remapped around bd (bd JET_NOT_BATCHED: unchanged). */
static void remap(const int64_t *v, uint32_t n, int32_t bd, int64_t *out) {
  for (uint32_t i = 0; i < n; i++) out[i] = bd != JET_NOT_BATCHED && v[i] >= bd ? v[i] + 1 : v[i];
}

/* Number of free dims (neither in c nor in bt) of a rank-r operand below
 * dimension `below`. */
static int32_t free_below(int32_t below, const int64_t *c, uint32_t nc, const int64_t *bt,
                          uint32_t nb) {
  int32_t k = 0;
  for (int32_t d = 0; d < below; d++) {
    bool used = false;
    for (uint32_t i = 0; i < nc; i++) used = used || c[i] == d;
    for (uint32_t i = 0; i < nb; i++) used = used || bt[i] == d;
    if (!used) k++;
  }
  return k;
}

void jet__batch_DOT_GENERAL(jet_batch *b, const jet_node *n, const jet_value *x,
                            const int32_t *bd, jet_value *y, int32_t *ybd) {
  uint32_t nlc, nrc, nlb, nrb;
  const int64_t *lc = ints_of(n, "lhs_contracting_dimensions", &nlc);
  const int64_t *rc = ints_of(n, "rhs_contracting_dimensions", &nrc);
  const int64_t *lb = ints_of(n, "lhs_batch_dimensions", &nlb);
  const int64_t *rb = ints_of(n, "rhs_batch_dimensions", &nrb);
  if (nlc > JET_MAX_RANK || nrc > JET_MAX_RANK || nlb >= JET_MAX_RANK || nrb >= JET_MAX_RANK ||
      nlb != nrb) {
    jet_emit_fail(&b->e, jet_status_make(JET_INVALID_ARGUMENT,
                                         "batching dot_general: malformed dimension numbers"));
    return;
  }
  int64_t nlcv[JET_MAX_RANK], nrcv[JET_MAX_RANK], nlbv[JET_MAX_RANK], nrbv[JET_MAX_RANK];
  remap(lc, nlc, bd[0], nlcv);
  remap(rc, nrc, bd[1], nrcv);
  const bool both = bd[0] != JET_NOT_BATCHED && bd[1] != JET_NOT_BATCHED;
  uint32_t nb = nlb;
  if (both) {
    nlbv[0] = bd[0];
    nrbv[0] = bd[1];
    remap(lb, nlb, bd[0], nlbv + 1);
    remap(rb, nrb, bd[1], nrbv + 1);
    nb++;
    ybd[0] = 0;
  } else {
    remap(lb, nlb, bd[0], nlbv);
    remap(rb, nrb, bd[1], nrbv);
    if (bd[0] != JET_NOT_BATCHED) {
      ybd[0] = (int32_t)nb + free_below(bd[0], nlcv, nlc, nlbv, nb);
    } else {
      const int32_t lrank = jet_emit_type(&b->e, x[0])->rank;
      const int32_t lfree = lrank - (int32_t)nlc - (int32_t)nb;
      ybd[0] = (int32_t)nb + lfree + free_below(bd[1], nrcv, nrc, nrbv, nb);
    }
  }
  bool swap = false;
  if (!both && bd[1] != JET_NOT_BATCHED) {
    const int32_t rrank = jet_emit_type(&b->e, x[1])->rank;
    swap = rrank - (int32_t)nrc - (int32_t)nb == 1; /* the batch dim is rhs's only free dim */
    if (swap) ybd[0] = (int32_t)nb;
  }
  jet_attr at[5];
  uint32_t nat = 0;
  at[nat++] = jet_emit_attr_ints("lhs_contracting_dimensions", swap ? nrcv : nlcv, swap ? nrc : nlc);
  at[nat++] = jet_emit_attr_ints("rhs_contracting_dimensions", swap ? nlcv : nrcv, swap ? nlc : nrc);
  at[nat++] = jet_emit_attr_ints("lhs_batch_dimensions", swap ? nrbv : nlbv, nb);
  at[nat++] = jet_emit_attr_ints("rhs_batch_dimensions", swap ? nlbv : nrbv, nb);
  const jet_attr *pe = jet_node_attr(n, "preferred_element_type");
  if (pe) at[nat++] = *pe;
  const jet_value ops[2] = {swap ? x[1] : x[0], swap ? x[0] : x[1]};
  y[0] = jet_emit_op(&b->e, JET_OP_DOT_GENERAL, ops, 2, at, nat);
}
