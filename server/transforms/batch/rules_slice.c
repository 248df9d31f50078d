/* Batching rules of slice, dynamic_slice and dynamic_update_slice.
 *
 *   slice:                 the batch dim is sliced whole (0, B, stride 1).
 *   dynamic_slice:         unbatched start indices: a 0 start and the full
 *                          batch size are inserted for the batch dim.
 *                          Batched start indices: ONE gather whose index
 *                          matrix is [B, rank] (one row per example); a
 *                          batched operand (batch moved to 0) is paired with
 *                          the index rows by operand_batching_dims /
 *                          start_indices_batching_dims = [0]; an unbatched
 *                          operand needs no batching dims. Gather mode 0
 *                          (clip) clamps each start into [0, dim - size]
 *                          exactly as dynamic_slice does.
 *   dynamic_update_slice:  unbatched start indices: operand and update get
 *                          the batch dim at the same place, start 0.
 *                          Batched start indices (no overwrite-scatter in the
 *                          op table), exactly:
 *                            starts  = clamp(0, start_i, dim_i - size_i)
 *                            S       = scatter-add(-0.0 / 0, starts, update)
 *                            mask    = scatter-add(0 i32, starts, 1 i32) > 0
 *                            result  = select(mask, S, operand)
 *                          with batching dims [0]/[0]; -0.0 is the exact
 *                          additive identity of floats (so -0.0 updates stay
 *                          -0.0) and each example's window is written once,
 *                          so S equals the update inside the window. bool
 *                          updates are scattered as i32 and compared != 0.
 * Start indices are combined in i32 when all are i32 or u8, else in i64
 * (the executor reads every index dtype as int64, so this is exact). */
#include "transforms/batch/batch.h"

static const int64_t *ints_of(const jet_node *n, const char *name, uint32_t *len) {
  const jet_attr *a = jet_node_attr(n, name);
  *len = a ? a->u.ints.n : 0;
  return a ? a->u.ints.v : NULL;
}

static bool rank_ok(jet_batch *b, uint32_t r, const char *op) {
  if (r + 1 <= JET_MAX_RANK) return true;
  jet_emit_fail(&b->e, jet_status_make(JET_INVALID_ARGUMENT,
                                       "batching %s: the batched operand would exceed the "
                                       "maximum rank %d",
                                       op, JET_MAX_RANK));
  return false;
}

void jet__batch_SLICE(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                      jet_value *y, int32_t *ybd) {
  uint32_t ns, nl, nr;
  const int64_t *st = ints_of(n, "start_indices", &ns);
  const int64_t *li = ints_of(n, "limit_indices", &nl);
  const int64_t *sr = ints_of(n, "strides", &nr);
  if (!rank_ok(b, ns, "slice")) return;
  int64_t nst[JET_MAX_RANK], nli[JET_MAX_RANK], nsr[JET_MAX_RANK];
  for (uint32_t i = 0, j = 0; i <= ns; i++) {
    if ((int32_t)i == bd[0]) {
      nst[i] = 0;
      nli[i] = b->size;
      nsr[i] = 1;
    } else {
      nst[i] = st[j];
      nli[i] = j < nl ? li[j] : 0;
      nsr[i] = sr && j < nr ? sr[j] : 1;
      j++;
    }
  }
  jet_attr at[3] = {jet_emit_attr_ints("start_indices", nst, ns + 1),
                    jet_emit_attr_ints("limit_indices", nli, ns + 1),
                    jet_emit_attr_ints("strides", nsr, ns + 1)};
  y[0] = jet_emit_op(&b->e, JET_OP_SLICE, &x[0], 1, at, sr ? 3 : 2);
  ybd[0] = bd[0];
}

/* The dtype the start indices are combined in. */
static jet_dtype index_dtype(jet_batch *b, const jet_value *idx, uint32_t r) {
  for (uint32_t i = 0; i < r; i++) {
    jet_dtype d = jet_emit_type(&b->e, idx[i])->dtype;
    if (d != JET_I32 && d != JET_U8) return JET_I64;
  }
  return JET_I32;
}

/* The [B, r] matrix of start indices (row = example); clamped into
 * [0, hi[i]] when hi is non-NULL. */
static jet_value index_matrix(jet_batch *b, const jet_value *idx, const int32_t *ibd, uint32_t r,
                              const int64_t *hi) {
  jet_emit *e = &b->e;
  const jet_dtype dt = index_dtype(b, idx, r);
  jet_value cols[JET_MAX_RANK];
  const int64_t col_shape[2] = {b->size, 1};
  for (uint32_t i = 0; i < r; i++) {
    jet_value v = jet_emit_convert(e, idx[i], dt);
    if (hi) {
      v = jet_emit3(e, JET_OP_CLAMP, jet_emit_scalar(e, dt, 0.0), v,
                    jet_emit_scalar(e, dt, (double)hi[i]));
    }
    if (ibd[i] != JET_NOT_BATCHED) {
      cols[i] = jet_emit_reshape(e, v, col_shape, 2);
    } else {
      cols[i] = jet_emit_broadcast_in_dim(e, v, col_shape, 2, NULL, 0);
    }
  }
  jet_attr a = jet_emit_attr_int("dimension", 1);
  return jet_emit_op(e, JET_OP_CONCATENATE, cols, r, &a, 1);
}

static bool any_batched(const int32_t *bd, uint32_t n) {
  return jet_batch_first(bd, n) != JET_NOT_BATCHED;
}

void jet__batch_DYNAMIC_SLICE(jet_batch *b, const jet_node *n, const jet_value *x,
                              const int32_t *bd, jet_value *y, int32_t *ybd) {
  jet_emit *e = &b->e;
  const uint32_t r = n->n_operands - 1;
  uint32_t nss;
  const int64_t *ss = ints_of(n, "slice_sizes", &nss);
  if (nss != r) {
    jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT,
                                     "batching dynamic_slice: 'slice_sizes' has %u entries for "
                                     "%u start indices",
                                     nss, r));
    return;
  }
  if (!rank_ok(b, r, "dynamic_slice")) return;
  int64_t nsz[JET_MAX_RANK];
  if (!any_batched(bd + 1, r)) {
    /* Only the operand is batched. */
    const int32_t p = bd[0];
    jet_value ops[JET_MAX_RANK + 1];
    ops[0] = x[0];
    const jet_dtype zdt = r > 0 ? jet_emit_type(e, x[1])->dtype : JET_I32;
    for (uint32_t i = 0, j = 0; i <= r; i++) {
      if ((int32_t)i == p) {
        ops[1 + i] = jet_emit_scalar(e, zdt, 0.0);
        nsz[i] = b->size;
      } else {
        ops[1 + i] = x[1 + j];
        nsz[i] = ss[j];
        j++;
      }
    }
    jet_attr a = jet_emit_attr_ints("slice_sizes", nsz, r + 1);
    y[0] = jet_emit_op(e, JET_OP_DYNAMIC_SLICE, ops, r + 2, &a, 1);
    ybd[0] = p;
    return;
  }
  jet_value idx = index_matrix(b, x + 1, bd + 1, r, NULL);
  const bool xb = bd[0] != JET_NOT_BATCHED;
  const uint32_t off = xb ? 1 : 0;
  int64_t od[JET_MAX_RANK], sim[JET_MAX_RANK], zero = 0;
  for (uint32_t i = 0; i < r; i++) {
    od[i] = 1 + (int64_t)i;
    sim[i] = off + (int64_t)i;
    nsz[off + i] = ss[i];
  }
  if (xb) nsz[0] = b->size > 0 ? 1 : 0;
  jet_value ops[2] = {xb ? jet_batch_moveaxis(b, x[0], bd[0], 0) : x[0], idx};
  jet_attr at[7] = {jet_emit_attr_ints("offset_dims", od, r),
                    jet_emit_attr_ints("collapsed_slice_dims", NULL, 0),
                    jet_emit_attr_ints("start_index_map", sim, r),
                    jet_emit_attr_ints("slice_sizes", nsz, r + off),
                    jet_emit_attr_int("mode", 0),
                    jet_emit_attr_ints("operand_batching_dims", &zero, 1),
                    jet_emit_attr_ints("start_indices_batching_dims", &zero, 1)};
  y[0] = jet_emit_op(e, JET_OP_GATHER, ops, 2, at, xb ? 7 : 5);
  ybd[0] = 0;
}

void jet__batch_DYNAMIC_UPDATE_SLICE(jet_batch *b, const jet_node *n, const jet_value *x,
                                     const int32_t *bd, jet_value *y, int32_t *ybd) {
  jet_emit *e = &b->e;
  const uint32_t r = n->n_operands - 2;
  if (!rank_ok(b, r, "dynamic_update_slice")) return;
  if (!any_batched(bd + 2, r)) {
    /* Operand and/or update batched: the same batch position for both. */
    const int32_t p = jet_batch_first(bd, 2);
    jet_value ops[JET_MAX_RANK + 2];
    ops[0] = jet_batch_at(b, x[0], bd[0], p);
    ops[1] = jet_batch_at(b, x[1], bd[1], p);
    const jet_dtype zdt = r > 0 ? jet_emit_type(e, x[2])->dtype : JET_I32;
    for (uint32_t i = 0, j = 0; i <= r; i++)
      ops[2 + i] = (int32_t)i == p ? jet_emit_scalar(e, zdt, 0.0) : x[2 + j++];
    y[0] = jet_emit_op(e, JET_OP_DYNAMIC_UPDATE_SLICE, ops, r + 3, NULL, 0);
    ybd[0] = p;
    return;
  }
  jet_value x0 = jet_batch_at(b, x[0], bd[0], 0);
  jet_value u0 = jet_batch_at(b, x[1], bd[1], 0);
  if (e->status) return;
  const jet_type xt = *jet_emit_type(e, x0), ut = *jet_emit_type(e, u0);
  int64_t hi[JET_MAX_RANK], win[JET_MAX_RANK], zero = 0;
  for (uint32_t i = 0; i < r; i++) {
    hi[i] = xt.dims[1 + i] - ut.dims[1 + i];
    if (hi[i] < 0) hi[i] = 0;
    win[i] = 1 + (int64_t)i;
  }
  jet_value idx = index_matrix(b, x + 2, bd + 2, r, hi);
  jet_attr at[6] = {jet_emit_attr_ints("update_window_dims", win, r),
                    jet_emit_attr_ints("inserted_window_dims", NULL, 0),
                    jet_emit_attr_ints("scatter_dims_to_operand_dims", win, r),
                    jet_emit_attr_ints("operand_batching_dims", &zero, 1),
                    jet_emit_attr_ints("scatter_indices_batching_dims", &zero, 1),
                    jet_emit_attr_int("mode", 1)};
  const bool is_bool = xt.dtype == JET_BOOL;
  jet_type st = xt;
  if (is_bool) st.dtype = JET_I32;
  jet_value sops[3] = {jet_emit_full(e, &st, -0.0), idx,
                       is_bool ? jet_emit_convert(e, u0, JET_I32) : u0};
  jet_value s = jet_emit_op(e, JET_OP_SCATTER_ADD, sops, 3, at, 6);
  jet_type mt = xt, ot = ut;
  mt.dtype = ot.dtype = JET_I32;
  jet_value mops[3] = {jet_emit_full(e, &mt, 0.0), idx, jet_emit_full(e, &ot, 1.0)};
  jet_value hits = jet_emit_op(e, JET_OP_SCATTER_ADD, mops, 3, at, 6);
  jet_value mask = jet_emit2(e, JET_OP_GT, hits, jet_emit_scalar(e, JET_I32, 0.0));
  if (is_bool) s = jet_emit2(e, JET_OP_NE, s, jet_emit_scalar(e, JET_I32, 0.0));
  y[0] = jet_emit3(e, JET_OP_SELECT, mask, s, x0);
  ybd[0] = 0;
}
