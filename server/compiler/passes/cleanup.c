/* jet_passes_cleanup: canonicalise, fold constants, simplify, fold
 * transposes into dots, CSE, merge and prune control flow, then DCE, repeated while the total node count
 * (callees included) shrinks, at most MAX_ROUNDS rounds. One round usually
 * reaches the fixed point: every pass works bottom-up in topological order,
 * and DCE only removes nodes. Canonicalisation comes first so that folding,
 * simplification and CSE see one form (constants second); folding before
 * simplification lets mul(x, fold(...)) = mul(x, 1) simplify in the same
 * round; dotfold after simplification sees composed transposes. */
#include "compiler/passes/passes.h"

#define MAX_ROUNDS 4

typedef jet_status (*pass_fn)(const jet_graph *g, jet_graph **out);

static const pass_fn round_passes[] = {jet_pass_canon, jet_pass_constfold, jet_pass_simplify,
                                       jet_pass_dotfold, jet_pass_cse,      jet_pass_control,
                                       jet_pass_dce};

/* One round over g; *out is a new graph. */
static jet_status run_round(const jet_graph *g, jet_graph **out) {
  *out = NULL;
  jet_graph *cur = NULL; /* owned; NULL while g is current */
  for (size_t i = 0; i < sizeof round_passes / sizeof round_passes[0]; i++) {
    jet_graph *next = NULL;
    jet_status st = round_passes[i](cur ? cur : g, &next);
    jet_graph_destroy(cur);
    if (st) return st;
    cur = next;
  }
  *out = cur;
  return NULL;
}

jet_status jet_passes_cleanup(const jet_graph *g, jet_graph **out) {
  *out = NULL;
  jet_graph *cur = NULL; /* owned; NULL while the input is current */
  uint32_t before = jet_graph_total_nodes(g);
  for (int round = 0; round < MAX_ROUNDS; round++) {
    jet_graph *next = NULL;
    jet_status st = run_round(cur ? cur : g, &next);
    jet_graph_destroy(cur);
    if (st) return st;
    cur = next;
    uint32_t after = jet_graph_total_nodes(cur);
    if (after >= before) break;
    before = after;
  }
  *out = cur;
  return NULL;
}
