/* libjet's builders of the structured control-flow ops: jet_cond and
 * jet_cond_graphs (jet.h). The branch graphs are deep-copied into the
 * builder's graph as sub-graphs of one cond node. */
#include <stdlib.h>

#include "builder_internal.h"

#define MAX_BRANCHES 4096u

jet_value jet_cond_graphs(jet_builder *b, jet_value pred, const jet_graph *const *branches,
                          size_t n_branches, const jet_value *args, size_t n, jet_value *outs,
                          size_t outs_cap) {
  static const char fn[] = "jet_cond";
  if (!jet__builder_ok(b, fn, args, n)) return JET_NO_VALUE;
  if (!jet__builder_ok(b, fn, &pred, 1)) return JET_NO_VALUE;
  if (n_branches == 0 || n_branches > MAX_BRANCHES || !branches) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                             "cond needs 1 to %u branches, got %zu", MAX_BRANCHES,
                                             branches ? n_branches : 0));
    return JET_NO_VALUE;
  }
  if (n >= UINT32_MAX) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "too many operands"));
    return JET_NO_VALUE;
  }
  jet_graph **subs = calloc(n_branches, sizeof *subs);
  jet_value *ops = malloc((n + 1) * sizeof *ops);
  jet_status st = subs && ops ? NULL : jet_status_oom("cond operands");
  for (size_t k = 0; !st && k < n_branches; k++) {
    const jet_graph *src = branches[k];
    if (!src) {
      st = jet_status_make(JET_INVALID_ARGUMENT, "branch %zu is NULL", k);
      break;
    }
    if (src->n_outputs == 0) {
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "branch %zu ('%s') has no outputs (call jet_builder_return on it "
                           "first)",
                           k, src->name);
      break;
    }
    subs[k] = jet_graph_create_child(b->g, src->name);
    st = subs[k] ? jet_graph_copy_into(subs[k], src, 0) : jet_status_oom("branch copy");
    if (st) st = jet_status_annotate(st, "copying branch %zu: ", k);
  }
  jet_value first = JET_NO_VALUE;
  if (!st) {
    ops[0] = pred;
    for (size_t i = 0; i < n; i++) ops[i + 1] = args[i];
    st = jet_graph_add_node_sub(b->g, JET_OP_COND, ops, (uint32_t)n + 1, NULL, 0, subs,
                                (uint32_t)n_branches, &first);
  }
  free(subs);
  free(ops);
  if (st) {
    jet__builder_fail(b, fn, st);
    return JET_NO_VALUE;
  }
  uint32_t nr = jet_builder_num_results(b, first);
  for (size_t i = 0; i < outs_cap && i < nr; i++) outs[i] = first + (jet_value)i;
  return first;
}

jet_value jet_cond(jet_builder *b, jet_value pred, jet_builder *const *branches, size_t n_branches,
                   const jet_value *args, size_t n, jet_value *outs, size_t outs_cap) {
  static const char fn[] = "jet_cond";
  if (!jet__builder_ok(b, fn, args, n)) return JET_NO_VALUE;
  if (n_branches == 0 || n_branches > MAX_BRANCHES || !branches) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                             "cond needs 1 to %u branches, got %zu", MAX_BRANCHES,
                                             branches ? n_branches : 0));
    return JET_NO_VALUE;
  }
  const jet_graph **gs = calloc(n_branches, sizeof *gs);
  if (!gs) {
    jet__builder_fail(b, fn, jet_status_oom("cond branches"));
    return JET_NO_VALUE;
  }
  for (size_t k = 0; k < n_branches; k++) {
    if (!branches[k] || branches[k]->err) {
      jet_status st = branches[k] ? jet_status_annotate(jet_builder_status(branches[k]),
                                                        "branch %zu: ", k)
                                  : jet_status_make(JET_INVALID_ARGUMENT, "branch %zu is NULL", k);
      jet__builder_fail(b, fn, st);
      free(gs);
      return JET_NO_VALUE;
    }
    gs[k] = branches[k]->g;
  }
  jet_value first = jet_cond_graphs(b, pred, gs, n_branches, args, n, outs, outs_cap);
  free(gs);
  return first;
}
