/* Batching rules of gather and scatter-add: the batch goes into the op's
 * own dimension numbers, never a loop. Batched operands/updates/indices
 * first get their batch dim at 0 (unbatched operands and updates are
 * broadcast where the result needs them batched).
 *
 * gather(operand, indices):
 *   operand batched only: the batch is an extra window dim of the operand
 *     (slice size B, start 0, never out of bounds) and the first offset dim
 *     of the result: offset_dims [0, od+1...];
 *   indices batched only: the batch is the first batch dim of the indices,
 *     hence the first non-offset result dim: offset_dims od+1;
 *   both: operand_batching_dims [0, ob+1...] paired with
 *     start_indices_batching_dims [0, ib+1...], slice size 1.
 * scatter-add(operand, indices, updates):
 *   indices unbatched: operand and updates batched at 0; the batch is the
 *     first update window dim (update_window_dims [0, uwd+1...]), a whole
 *     window that is always in bounds;
 *   indices batched: operand_batching_dims [0, ob+1...] paired with
 *     scatter_indices_batching_dims [0, ib+1...]; the updates' batch is
 *     their first scatter dim (update_window_dims uwd+1).
 * Modes are unchanged: the added dims never go out of bounds, so clip/fill
 * and clip/drop act per example exactly as before. The result's batch dim
 * is 0 in every case. */
#include "transforms/batch/batch.h"

static const int64_t *ints_of(const jet_node *n, const char *name, uint32_t *len) {
  const jet_attr *a = jet_node_attr(n, name);
  *len = a ? a->u.ints.n : 0;
  return a ? a->u.ints.v : NULL;
}

/* out = [head (when with_head)] + v + add; returns the new length. */
static uint32_t shifted(const int64_t *v, uint32_t n, int64_t add, bool with_head, int64_t head,
                        int64_t *out) {
  uint32_t k = 0;
  if (with_head) out[k++] = head;
  for (uint32_t i = 0; i < n && k < JET_MAX_RANK; i++) out[k++] = v[i] + add;
  return k;
}

static bool rank_ok(jet_batch *b, jet_value v, int32_t bd, const char *op, const char *what) {
  if (bd != JET_NOT_BATCHED || jet_emit_type(&b->e, v)->rank < JET_MAX_RANK) return true;
  jet_emit_fail(&b->e, jet_status_make(JET_INVALID_ARGUMENT,
                                       "batching %s: the batched %s would exceed the maximum "
                                       "rank %d",
                                       op, what, JET_MAX_RANK));
  return false;
}

void jet__batch_GATHER(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                       jet_value *y, int32_t *ybd) {
  jet_emit *e = &b->e;
  uint32_t nod, ncd, nsim, nob, nib, nss;
  const int64_t *od = ints_of(n, "offset_dims", &nod);
  const int64_t *cd = ints_of(n, "collapsed_slice_dims", &ncd);
  const int64_t *sim = ints_of(n, "start_index_map", &nsim);
  const int64_t *ob = ints_of(n, "operand_batching_dims", &nob);
  const int64_t *ib = ints_of(n, "start_indices_batching_dims", &nib);
  const int64_t *ss = ints_of(n, "slice_sizes", &nss);
  const bool xb = bd[0] != JET_NOT_BATCHED, ibt = bd[1] != JET_NOT_BATCHED;
  if (nss >= JET_MAX_RANK || nod >= JET_MAX_RANK) {
    jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT,
                                     "batching gather: the batched operand would exceed the "
                                     "maximum rank %d",
                                     JET_MAX_RANK));
    return;
  }
  int64_t nodv[JET_MAX_RANK], ncdv[JET_MAX_RANK], nsimv[JET_MAX_RANK], nobv[JET_MAX_RANK],
      nibv[JET_MAX_RANK], nssv[JET_MAX_RANK];
  const int64_t xadd = xb ? 1 : 0, iadd = ibt ? 1 : 0;
  /* offset dims: a leading window dim when only the operand is batched,
   * else shifted past the leading batch dim of the indices */
  uint32_t k_od = shifted(od, nod, 1, xb && !ibt, 0, nodv);
  uint32_t k_cd = shifted(cd, ncd, xadd, false, 0, ncdv);
  uint32_t k_sim = shifted(sim, nsim, xadd, false, 0, nsimv);
  uint32_t k_ob = shifted(ob, nob, xadd, xb && ibt, 0, nobv);
  uint32_t k_ib = shifted(ib, nib, iadd, xb && ibt, 0, nibv);
  uint32_t k_ss = shifted(ss, nss, 0, xb, ibt ? (b->size > 0 ? 1 : 0) : b->size, nssv);
  jet_value ops[2] = {xb ? jet_batch_moveaxis(b, x[0], bd[0], 0) : x[0],
                      ibt ? jet_batch_moveaxis(b, x[1], bd[1], 0) : x[1]};
  jet_attr at[7] = {jet_emit_attr_ints("offset_dims", nodv, k_od),
                    jet_emit_attr_ints("collapsed_slice_dims", ncdv, k_cd),
                    jet_emit_attr_ints("start_index_map", nsimv, k_sim),
                    jet_emit_attr_ints("operand_batching_dims", nobv, k_ob),
                    jet_emit_attr_ints("start_indices_batching_dims", nibv, k_ib),
                    jet_emit_attr_ints("slice_sizes", nssv, k_ss),
                    jet_emit_attr_int("mode", jet_node_attr_int(n, "mode", 0))};
  y[0] = jet_emit_op(e, JET_OP_GATHER, ops, 2, at, 7);
  ybd[0] = 0;
}

void jet__batch_SCATTER_ADD(jet_batch *b, const jet_node *n, const jet_value *x,
                            const int32_t *bd, jet_value *y, int32_t *ybd) {
  jet_emit *e = &b->e;
  uint32_t nuw, niw, nsd, nob, nib;
  const int64_t *uw = ints_of(n, "update_window_dims", &nuw);
  const int64_t *iw = ints_of(n, "inserted_window_dims", &niw);
  const int64_t *sd = ints_of(n, "scatter_dims_to_operand_dims", &nsd);
  const int64_t *ob = ints_of(n, "operand_batching_dims", &nob);
  const int64_t *ib = ints_of(n, "scatter_indices_batching_dims", &nib);
  const bool ibt = bd[1] != JET_NOT_BATCHED;
  if (!rank_ok(b, x[0], bd[0], "scatter-add", "operand") ||
      !rank_ok(b, x[2], bd[2], "scatter-add", "updates"))
    return;
  int64_t nuwv[JET_MAX_RANK], niwv[JET_MAX_RANK], nsdv[JET_MAX_RANK], nobv[JET_MAX_RANK],
      nibv[JET_MAX_RANK];
  uint32_t k_uw = shifted(uw, nuw, 1, !ibt, 0, nuwv);
  uint32_t k_iw = shifted(iw, niw, 1, false, 0, niwv);
  uint32_t k_sd = shifted(sd, nsd, 1, false, 0, nsdv);
  uint32_t k_ob = shifted(ob, nob, 1, ibt, 0, nobv);
  uint32_t k_ib = shifted(ib, nib, ibt ? 1 : 0, ibt, 0, nibv);
  jet_value ops[3] = {jet_batch_at(b, x[0], bd[0], 0),
                      ibt ? jet_batch_moveaxis(b, x[1], bd[1], 0) : x[1],
                      jet_batch_at(b, x[2], bd[2], 0)};
  jet_attr at[6] = {jet_emit_attr_ints("update_window_dims", nuwv, k_uw),
                    jet_emit_attr_ints("inserted_window_dims", niwv, k_iw),
                    jet_emit_attr_ints("scatter_dims_to_operand_dims", nsdv, k_sd),
                    jet_emit_attr_ints("operand_batching_dims", nobv, k_ob),
                    jet_emit_attr_ints("scatter_indices_batching_dims", nibv, k_ib),
                    jet_emit_attr_int("mode", jet_node_attr_int(n, "mode", 1))};
  y[0] = jet_emit_op(e, JET_OP_SCATTER_ADD, ops, 3, at, 6);
  ybd[0] = 0;
}
