/* Batching rules of the structural ops: broadcast_in_dim, reshape,
 * transpose, squeeze, expand_dims, rev, concatenate, pad.
 *
 * x has its batch dim at bd; "unbatched" dimension numbers (those of the
 * source node's attributes) map to batched ones by skipping bd:
 * d -> d + (d >= bd).
 *   broadcast_in_dim: the batch becomes a new output dim placed right after
 *                     the output dim of operand dim bd-1 (so the
 *                     broadcast_dimensions stay increasing; no transpose);
 *   reshape:          batch moved to 0, new sizes [B, new_sizes...];
 *   transpose:        one transpose with the batch dim first;
 *   squeeze, rev:     remapped dimensions, the batch dim stays in place;
 *   expand_dims:      the batch dim keeps its place among the operand dims;
 *   concatenate:      every operand gets the batch dim at the position of
 *                     the first batched one (unbatched ones broadcast);
 *   pad:              with an unbatched padding value, (0, 0, 0) for the
 *                     batch dim; with a batched padding value v, exactly
 *                     select(mask, pad(x, 0), broadcast(v)) where mask =
 *                     pad(true of x's batched shape, false) marks the
 *                     elements that come from x.
 */
#include <stdlib.h>
#include <string.h>

#include "transforms/batch/batch.h"

static const int64_t *ints_of(const jet_node *n, const char *name, uint32_t *len) {
  const jet_attr *a = jet_node_attr(n, name);
  *len = a ? a->u.ints.n : 0;
  return a ? a->u.ints.v : NULL;
}

static int32_t rank_of(jet_batch *b, jet_value v) { return jet_emit_type(&b->e, v)->rank; }

/* A dimension number d of an unbatched value of rank r (negative counts
 * from the end) as a dimension of the batched value with batch dim bd. */
static int64_t shift(int64_t d, int32_t r, int32_t bd) {
  if (d < 0) d += r;
  return d >= bd ? d + 1 : d;
}

void jet__batch_BROADCAST_IN_DIM(jet_batch *b, const jet_node *n, const jet_value *x,
                                 const int32_t *bd, jet_value *y, int32_t *ybd) {
  uint32_t ns, nb;
  const int64_t *shape = ints_of(n, "shape", &ns);
  const int64_t *dims = ints_of(n, "broadcast_dimensions", &nb);
  const int32_t k = bd[0];
  const int64_t p = k == 0 || nb == 0 ? 0 : dims[k - 1] + 1;
  int64_t nshape[JET_MAX_RANK + 1], ndims[JET_MAX_RANK + 1];
  if (ns + 1 > JET_MAX_RANK) {
    jet_emit_fail(&b->e, jet_status_make(JET_INVALID_ARGUMENT,
                                         "batching broadcast_in_dim: the batched result would "
                                         "exceed the maximum rank %d",
                                         JET_MAX_RANK));
    return;
  }
  for (int64_t i = 0, j = 0; i <= (int64_t)ns; i++) nshape[i] = i == p ? b->size : shape[j++];
  for (uint32_t i = 0, j = 0; i <= nb; i++) {
    if ((int32_t)i == k) {
      ndims[i] = p;
    } else {
      ndims[i] = dims[j] >= p ? dims[j] + 1 : dims[j];
      j++;
    }
  }
  y[0] = jet_emit_broadcast_in_dim(&b->e, x[0], nshape, (int32_t)ns + 1, ndims, nb + 1);
  ybd[0] = (int32_t)p;
}

void jet__batch_RESHAPE(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                        jet_value *y, int32_t *ybd) {
  uint32_t ns;
  const int64_t *sizes = ints_of(n, "new_sizes", &ns);
  if (ns + 1 > JET_MAX_RANK) {
    jet_emit_fail(&b->e, jet_status_make(JET_INVALID_ARGUMENT,
                                         "batching reshape: the batched result would exceed "
                                         "the maximum rank %d",
                                         JET_MAX_RANK));
    return;
  }
  int64_t nsz[JET_MAX_RANK];
  nsz[0] = b->size;
  for (uint32_t i = 0; i < ns; i++) nsz[i + 1] = sizes[i];
  jet_value x0 = jet_batch_moveaxis(b, x[0], bd[0], 0);
  y[0] = jet_emit_reshape(&b->e, x0, nsz, (int32_t)ns + 1);
  ybd[0] = 0;
}

void jet__batch_TRANSPOSE(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                          jet_value *y, int32_t *ybd) {
  uint32_t np;
  const int64_t *perm = ints_of(n, "permutation", &np);
  int64_t nperm[JET_MAX_RANK];
  nperm[0] = bd[0];
  for (uint32_t i = 0; i < np && i + 1 < JET_MAX_RANK; i++)
    nperm[i + 1] = shift(perm[i], (int32_t)np, bd[0]);
  y[0] = jet_emit_transpose(&b->e, x[0], nperm, np + 1);
  ybd[0] = 0;
}

void jet__batch_SQUEEZE(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                        jet_value *y, int32_t *ybd) {
  uint32_t nd;
  const int64_t *dims = ints_of(n, "dimensions", &nd);
  const int32_t r = rank_of(b, x[0]) - 1;
  int64_t ndims[JET_MAX_RANK];
  int32_t before = 0;
  for (uint32_t i = 0; i < nd && i < JET_MAX_RANK; i++) {
    ndims[i] = shift(dims[i], r, bd[0]);
    if (ndims[i] < bd[0]) before++;
  }
  jet_attr a = jet_emit_attr_ints("dimensions", ndims, nd);
  y[0] = jet_emit_op(&b->e, JET_OP_SQUEEZE, &x[0], 1, &a, 1);
  ybd[0] = bd[0] - before;
}

void jet__batch_EXPAND_DIMS(jet_batch *b, const jet_node *n, const jet_value *x,
                            const int32_t *bd, jet_value *y, int32_t *ybd) {
  uint32_t nd;
  const int64_t *dims = ints_of(n, "dimensions", &nd);
  const int32_t r = rank_of(b, x[0]) - 1, out_rank = r + (int32_t)nd;
  if (out_rank + 1 > JET_MAX_RANK) {
    jet_emit_fail(&b->e, jet_status_make(JET_INVALID_ARGUMENT,
                                         "batching expand_dims: the batched result would exceed "
                                         "the maximum rank %d",
                                         JET_MAX_RANK));
    return;
  }
  /* Unbatched result: operand dims fill the positions not inserted, in
   * order; the batch goes where operand dim bd lands (the end when the
   * batch is the operand's last dim). */
  bool ins[JET_MAX_RANK] = {false};
  int64_t nrm[JET_MAX_RANK];
  for (uint32_t i = 0; i < nd; i++) {
    nrm[i] = dims[i] < 0 ? dims[i] + out_rank : dims[i];
    if (nrm[i] >= 0 && nrm[i] < JET_MAX_RANK) ins[nrm[i]] = true;
  }
  int32_t q = out_rank;
  for (int32_t i = 0, k = 0; i < out_rank; i++) {
    if (ins[i]) continue;
    if (k == bd[0]) {
      q = i;
      break;
    }
    k++;
  }
  int64_t ndims[JET_MAX_RANK];
  for (uint32_t i = 0; i < nd; i++) ndims[i] = nrm[i] >= q ? nrm[i] + 1 : nrm[i];
  jet_attr a = jet_emit_attr_ints("dimensions", ndims, nd);
  y[0] = jet_emit_op(&b->e, JET_OP_EXPAND_DIMS, &x[0], 1, &a, 1);
  ybd[0] = q;
}

void jet__batch_REV(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                    jet_value *y, int32_t *ybd) {
  uint32_t nd;
  const int64_t *dims = ints_of(n, "dimensions", &nd);
  const int32_t r = rank_of(b, x[0]) - 1;
  int64_t ndims[JET_MAX_RANK];
  for (uint32_t i = 0; i < nd && i < JET_MAX_RANK; i++) ndims[i] = shift(dims[i], r, bd[0]);
  jet_attr a = jet_emit_attr_ints("dimensions", ndims, nd);
  y[0] = jet_emit_op(&b->e, JET_OP_REV, &x[0], 1, &a, 1);
  ybd[0] = bd[0];
}

void jet__batch_CONCATENATE(jet_batch *b, const jet_node *n, const jet_value *x,
                            const int32_t *bd, jet_value *y, int32_t *ybd) {
  const int32_t p = jet_batch_first(bd, n->n_operands);
  int64_t d = jet_node_attr_int(n, "dimension", 0);
  d = d >= p ? d + 1 : d;
  jet_value stack_ops[16];
  jet_value *ops = stack_ops;
  if (n->n_operands > 16) {
    ops = malloc(sizeof(jet_value) * n->n_operands);
    if (!ops) {
      jet_emit_fail(&b->e, jet_status_oom("batching concatenate operands"));
      return;
    }
  }
  for (uint32_t i = 0; i < n->n_operands; i++) ops[i] = jet_batch_at(b, x[i], bd[i], p);
  jet_attr a = jet_emit_attr_int("dimension", d);
  y[0] = jet_emit_op(&b->e, JET_OP_CONCATENATE, ops, n->n_operands, &a, 1);
  ybd[0] = p;
  if (ops != stack_ops) free(ops);
}

void jet__batch_PAD(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                    jet_value *y, int32_t *ybd) {
  jet_emit *e = &b->e;
  uint32_t nc;
  const int64_t *cfg = ints_of(n, "padding_config", &nc);
  const int32_t p = bd[0] != JET_NOT_BATCHED ? bd[0] : 0;
  jet_value xb = jet_batch_at(b, x[0], bd[0], p);
  const uint32_t r = nc / 3;
  if (r + 1 > JET_MAX_RANK) {
    jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT,
                                     "batching pad: the batched operand would exceed the "
                                     "maximum rank %d",
                                     JET_MAX_RANK));
    return;
  }
  int64_t ncfg[3 * JET_MAX_RANK];
  for (uint32_t i = 0, j = 0; i <= r; i++) {
    if ((int32_t)i == p) {
      ncfg[3 * i] = ncfg[3 * i + 1] = ncfg[3 * i + 2] = 0;
    } else {
      memcpy(&ncfg[3 * i], &cfg[3 * j], 3 * sizeof(int64_t));
      j++;
    }
  }
  jet_attr a = jet_emit_attr_ints("padding_config", ncfg, 3 * (r + 1));
  ybd[0] = p;
  if (bd[1] == JET_NOT_BATCHED) {
    jet_value ops[2] = {xb, x[1]};
    y[0] = jet_emit_op(e, JET_OP_PAD, ops, 2, &a, 1);
    return;
  }
  /* Batched padding value (shape [B]). */
  const jet_type xt = *jet_emit_type(e, xb);
  jet_value ops[2] = {xb, jet_emit_scalar(e, xt.dtype, 0.0)};
  jet_value padded = jet_emit_op(e, JET_OP_PAD, ops, 2, &a, 1);
  jet_type bt = xt;
  bt.dtype = JET_BOOL;
  jet_value mops[2] = {jet_emit_full(e, &bt, 1.0), jet_emit_scalar(e, JET_BOOL, 0.0)};
  jet_value mask = jet_emit_op(e, JET_OP_PAD, mops, 2, &a, 1);
  const jet_type pt = *jet_emit_type(e, padded);
  int64_t bdim = p;
  jet_value fill = jet_emit_broadcast_in_dim(e, x[1], pt.dims, pt.rank, &bdim, 1);
  y[0] = jet_emit3(e, JET_OP_SELECT, mask, padded, fill);
}
