/* Batching rules of the structured control-flow ops. Not implemented yet
 * (issue 7): each refuses with UNIMPLEMENTED naming the op and transform. */
#include "transforms/batch/batch.h"

void jet__batch_COND(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  (void)x;
  (void)bd;
  for (uint32_t j = 0; j < n->n_results; j++) {
    y[j] = JET_EMIT_NONE;
    ybd[j] = JET_NOT_BATCHED;
  }
  jet_emit_fail(&b->e, jet_status_make(JET_UNIMPLEMENTED, "vmap of cond is not implemented yet"));
}

void jet__batch_WHILE(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  (void)x;
  (void)bd;
  for (uint32_t j = 0; j < n->n_results; j++) {
    y[j] = JET_EMIT_NONE;
    ybd[j] = JET_NOT_BATCHED;
  }
  jet_emit_fail(&b->e, jet_status_make(JET_UNIMPLEMENTED, "vmap of while is not implemented yet"));
}

void jet__batch_SCAN(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  (void)x;
  (void)bd;
  for (uint32_t j = 0; j < n->n_results; j++) {
    y[j] = JET_EMIT_NONE;
    ybd[j] = JET_NOT_BATCHED;
  }
  jet_emit_fail(&b->e, jet_status_make(JET_UNIMPLEMENTED, "vmap of scan is not implemented yet"));
}
