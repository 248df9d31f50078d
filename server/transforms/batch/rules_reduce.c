/* Batching rules of the reductions: reduce_sum, reduce_max, reduce_min,
 * reduce_prod, argmax, argmin, cumsum.
 *
 * The reduced axes (negative ones count from the end of the unbatched
 * operand) are remapped around the batch dim bd: a -> a + (a >= bd). The
 * batch dim stays in the result at bd minus the number of reduced axes
 * before it (cumsum: at bd). Each output element still combines the same
 * inputs in the same order as per example. */
#include "transforms/batch/batch.h"

static const int64_t *ints_of(const jet_node *n, const char *name, uint32_t *len) {
  const jet_attr *a = jet_node_attr(n, name);
  *len = a ? a->u.ints.n : 0;
  return a ? a->u.ints.v : NULL;
}

/* Emits op on x with its "axes" remapped (and index_dtype copied). */
static void reduce(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                   jet_value *y, int32_t *ybd) {
  uint32_t na;
  const int64_t *axes = ints_of(n, "axes", &na);
  const int32_t r = jet_emit_type(&b->e, x[0])->rank - 1;
  int64_t nax[JET_MAX_RANK];
  int32_t before = 0;
  for (uint32_t i = 0; i < na && i < JET_MAX_RANK; i++) {
    int64_t a = axes[i] < 0 ? axes[i] + r : axes[i];
    nax[i] = a >= bd[0] ? a + 1 : a;
    if (nax[i] < bd[0]) before++;
  }
  jet_attr at[2];
  uint32_t nat = 0;
  at[nat++] = jet_emit_attr_ints("axes", nax, na);
  const jet_attr *id = jet_node_attr(n, "index_dtype");
  if (id) at[nat++] = *id;
  y[0] = jet_emit_op(&b->e, n->op, &x[0], 1, at, nat);
  ybd[0] = bd[0] - before;
}

void jet__batch_REDUCE_SUM(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                           jet_value *y, int32_t *ybd) {
  reduce(b, n, x, bd, y, ybd);
}

void jet__batch_REDUCE_MAX(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                           jet_value *y, int32_t *ybd) {
  reduce(b, n, x, bd, y, ybd);
}

void jet__batch_REDUCE_MIN(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                           jet_value *y, int32_t *ybd) {
  reduce(b, n, x, bd, y, ybd);
}

void jet__batch_REDUCE_PROD(jet_batch *b, const jet_node *n, const jet_value *x,
                            const int32_t *bd, jet_value *y, int32_t *ybd) {
  reduce(b, n, x, bd, y, ybd);
}

void jet__batch_ARGMAX(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                       jet_value *y, int32_t *ybd) {
  reduce(b, n, x, bd, y, ybd);
}

void jet__batch_ARGMIN(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                       jet_value *y, int32_t *ybd) {
  reduce(b, n, x, bd, y, ybd);
}

void jet__batch_CUMSUM(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                       jet_value *y, int32_t *ybd) {
  const int32_t r = jet_emit_type(&b->e, x[0])->rank - 1;
  int64_t a = jet_node_attr_int(n, "axis", 0);
  if (a < 0) a += r;
  jet_attr at[2];
  uint32_t nat = 0;
  at[nat++] = jet_emit_attr_int("axis", a >= bd[0] ? a + 1 : a);
  const jet_attr *rev = jet_node_attr(n, "reverse");
  if (rev) at[nat++] = *rev;
  y[0] = jet_emit_op(&b->e, JET_OP_CUMSUM, &x[0], 1, at, nat);
  ybd[0] = bd[0];
}
