/* jet_passes_cleanup: simplify, CSE then DCE, repeated while the total node
 * count (callees included) shrinks, at most MAX_ROUNDS rounds. One round
 * usually reaches the fixed point: simplification and CSE in topological
 * order work bottom-up, and DCE only removes nodes. */
#include "compiler/passes/passes.h"

#define MAX_ROUNDS 4

jet_status jet_passes_cleanup(const jet_graph *g, jet_graph **out) {
  *out = NULL;
  jet_graph *cur = NULL; /* owned; NULL while the input is current */
  uint32_t before = jet_graph_total_nodes(g);
  for (int round = 0; round < MAX_ROUNDS; round++) {
    jet_graph *simple = NULL, *merged = NULL, *pruned = NULL;
    jet_status st = jet_pass_simplify(cur ? cur : g, &simple);
    if (!st) {
      st = jet_pass_cse(simple, &merged);
      jet_graph_destroy(simple);
    }
    if (!st) {
      st = jet_pass_dce(merged, &pruned);
      jet_graph_destroy(merged);
    }
    jet_graph_destroy(cur);
    if (st) return st;
    cur = pruned;
    uint32_t after = jet_graph_total_nodes(cur);
    if (after >= before) break;
    before = after;
  }
  *out = cur;
  return NULL;
}
