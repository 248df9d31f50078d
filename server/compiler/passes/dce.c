/* Dead-code elimination: a node is live when one of its results is an
 * output or an operand of a live node (marked backwards from the outputs in
 * one reverse sweep, since operands precede their users). Live nodes are
 * copied in order; parameters are always kept, so the signature never
 * changes. Callees are cleaned the same way (their outputs are all live: a
 * call node is one node). O(nodes + operands). */
#include <stdlib.h>

#include "compiler/passes/passes.h"
#include "compiler/passes/passes_internal.h"

static void mark_value(const jet_graph *g, jet_value v, unsigned char *live) {
  if (v < g->n_values && g->value_node[v] >= 0) live[g->value_node[v]] = 1;
}

static jet_status dce_graph(jet__pass *p, const jet_graph *src, jet_graph *dst) {
  unsigned char *live = calloc(src->n_nodes ? src->n_nodes : 1, 1);
  if (!live) return jet_status_oom("dead-code elimination marks");
  for (uint32_t i = 0; i < src->n_outputs; i++) mark_value(src, src->outputs[i], live);
  for (uint32_t n = src->n_nodes; n-- > 0;)
    if (live[n])
      for (uint32_t i = 0; i < src->nodes[n].n_operands; i++)
        mark_value(src, src->nodes[n].operands[i], live);
  jet_value *map;
  jet_status st = jet__pass_begin(src, dst, &map);
  for (uint32_t n = 0; n < src->n_nodes && !st; n++) {
    if (!live[n]) continue;
    const jet_node *node = &src->nodes[n];
    const jet_value *ops;
    jet_graph *callee;
    /* The callee first: cloning it reuses the operand scratch. */
    jet_graph *const *subs = NULL;
    st = jet__pass_callee(p, node->callee, &callee);
    if (!st) st = jet__pass_subgraphs(p, node, &subs);
    if (!st) st = jet__pass_operands(p, src, node, map, &ops);
    if (!st) st = jet__pass_append(dst, node, ops, callee, subs, map);
  }
  if (!st) st = jet__pass_end(src, dst, map);
  free(map);
  free(live);
  return st;
}

jet_status jet_pass_dce(const jet_graph *g, jet_graph **out) {
  return jet__pass_run(g, dce_graph, false, out);
}
