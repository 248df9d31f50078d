/* Shape rules of the structured control-flow ops (their bodies are the
 * node's sub-graphs): cond. The messages name the mismatching branch,
 * parameter or output. */
#include <inttypes.h>

#include "infer_internal.h"

/* A sub-graph's tables are consistent enough to read its signature. */
static jet_status check_body(const jet_graph *b, const char *what, uint32_t k) {
  if (!b) return jet_status_make(JET_INVALID_ARGUMENT, "%s %" PRIu32 " is missing", what, k);
  if (b->n_params > b->n_values || (b->n_values > 0 && !b->value_types))
    return jet_status_make(JET_INVALID_ARGUMENT, "%s %" PRIu32 " has inconsistent value tables",
                           what, k);
  if (b->n_outputs > JET_MAX_RESULTS)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s %" PRIu32 " has %" PRIu32 " outputs, more than the maximum %d", what,
                           k, b->n_outputs, JET_MAX_RESULTS);
  if (b->n_outputs > 0 && !b->outputs)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s %" PRIu32 " has no output list", what, k);
  for (uint32_t i = 0; i < b->n_outputs; i++)
    if (b->outputs[i] >= b->n_values)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s %" PRIu32 " output %" PRIu32 " refers to undefined value %" PRIu32,
                             what, k, i, b->outputs[i]);
  return NULL;
}

jet_status jet__rule_cond(jet_infer_args *a) {
  if (a->n_subgraphs < 1)
    return jet_status_make(JET_INVALID_ARGUMENT, "cond needs at least one branch");
  if (a->n_in < 1)
    return jet_status_make(JET_INVALID_ARGUMENT, "cond needs a predicate or index operand");
  const jet_type *p = &a->in[0];
  char ts[JET_TYPE_STR_MAX], tq[JET_TYPE_STR_MAX];
  if (p->rank != 0 || (p->dtype != JET_BOOL && p->dtype != JET_I32))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "cond: operand 0 (the predicate) must be a bool or i32 scalar, got %s",
                           JET__TS(p, ts));
  if (p->dtype == JET_BOOL && a->n_subgraphs != 2)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "cond: a bool predicate needs exactly 2 branches, got %" PRIu32
                           " (use an i32 index for more)",
                           a->n_subgraphs);
  const uint32_t n_args = a->n_in - 1;
  const jet_graph *b0 = a->subgraphs[0];
  for (uint32_t k = 0; k < a->n_subgraphs; k++) {
    const jet_graph *b = a->subgraphs[k];
    JET_RETURN_IF_ERROR(check_body(b, "branch", k));
    if (b->n_params != n_args)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "cond: branch %" PRIu32 " takes %" PRIu32
                             " parameters but cond passes %" PRIu32 " operands after the predicate",
                             k, b->n_params, n_args);
    for (uint32_t i = 0; i < n_args; i++)
      if (!jet_type_equal(&a->in[1 + i], &b->value_types[i]))
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "cond: branch %" PRIu32 " parameter %" PRIu32
                               " is %s but operand %" PRIu32 " is %s",
                               k, i, JET__TS(&b->value_types[i], ts), 1 + i,
                               JET__TS(&a->in[1 + i], tq));
    if (b->n_outputs != b0->n_outputs)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "cond: branch %" PRIu32 " has %" PRIu32
                             " outputs but branch 0 has %" PRIu32,
                             k, b->n_outputs, b0->n_outputs);
    for (uint32_t i = 0; i < b->n_outputs; i++) {
      const jet_type *t = &b->value_types[b->outputs[i]];
      const jet_type *t0 = &b0->value_types[b0->outputs[i]];
      if (!jet_type_equal(t, t0))
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "cond: branch %" PRIu32 " output %" PRIu32
                               " is %s but branch 0 output %" PRIu32 " is %s",
                               k, i, JET__TS(t, ts), i, JET__TS(t0, tq));
    }
  }
  for (uint32_t i = 0; i < b0->n_outputs; i++)
    JET_RETURN_IF_ERROR(jet__infer_emit(a, &b0->value_types[b0->outputs[i]]));
  return NULL;
}
