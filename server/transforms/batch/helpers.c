/* Helpers shared by the batching rules (see batch.h): moving a batch
 * dimension, materialising one for an unbatched value, finding the first
 * batched operand. */
#include <string.h>

#include "transforms/batch/batch.h"

jet_value jet_batch_moveaxis(jet_batch *b, jet_value x, int32_t from, int32_t to) {
  jet_emit *e = &b->e;
  if (e->status) return JET_EMIT_NONE;
  const jet_type *t = jet_emit_type(e, x);
  int32_t r = t->rank;
  if (from < 0 || from >= r || to < 0 || to >= r) {
    jet_emit_fail(
        e, jet_status_make(JET_INTERNAL, "batching: cannot move axis %d to %d of a rank-%d value",
                           (int)from, (int)to, (int)r));
    return JET_EMIT_NONE;
  }
  if (from == to) return x;
  int64_t rest[JET_MAX_RANK], perm[JET_MAX_RANK];
  int32_t k = 0;
  for (int32_t i = 0; i < r; i++)
    if (i != from) rest[k++] = i;
  for (int32_t i = 0, j = 0; i < r; i++) perm[i] = i == to ? from : rest[j++];
  return jet_emit_transpose(e, x, perm, (uint32_t)r);
}

jet_value jet_batch_at(jet_batch *b, jet_value x, int32_t bd, int32_t to) {
  jet_emit *e = &b->e;
  if (e->status) return JET_EMIT_NONE;
  if (bd != JET_NOT_BATCHED) return jet_batch_moveaxis(b, x, bd, to);
  const jet_type *t = jet_emit_type(e, x);
  int32_t r = t->rank;
  if (to < 0 || to > r || r + 1 > JET_MAX_RANK) {
    jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                                     "batching: cannot insert a batch dimension at %d of a "
                                     "rank-%d value (at most rank %d)",
                                     (int)to, (int)r, JET_MAX_RANK));
    return JET_EMIT_NONE;
  }
  int64_t shape[JET_MAX_RANK], bdims[JET_MAX_RANK];
  for (int32_t i = 0, j = 0; i <= r; i++) {
    if (i == to) {
      shape[i] = b->size;
    } else {
      shape[i] = t->dims[j];
      bdims[j] = i;
      j++;
    }
  }
  return jet_emit_broadcast_in_dim(e, x, shape, r + 1, bdims, (uint32_t)r);
}

int32_t jet_batch_first(const int32_t *bd, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (bd[i] != JET_NOT_BATCHED) return bd[i];
  return JET_NOT_BATCHED;
}
