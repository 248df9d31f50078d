/* Structured control flow in the reference executor: cond runs the branch
 * its predicate picks (bool: false -> branch 0, true -> branch 1; i32 index
 * clamped to [0, n_branches-1] as lax.switch does) on the operands after
 * the predicate with jet_exec_graph. Like call, its results are fresh
 * allocations made by the branch's run. */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "mem.h"

uint32_t jet__cond_branch(const jet_node *node, const jet_buf *pred) {
  const uint32_t n = node->n_subgraphs;
  if (n == 0) return 0;
  if (pred->type.dtype == JET_BOOL) {
    uint8_t b = 0;
    memcpy(&b, pred->data, 1);
    return b ? (n > 1 ? 1u : 0u) : 0u;
  }
  int32_t i = 0;
  memcpy(&i, pred->data, sizeof i);
  if (i < 0) return 0;
  if ((uint32_t)i >= n) return n - 1;
  return (uint32_t)i;
}

jet_status jet__exec_cond(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) {
  if (node->n_subgraphs == 0 || !node->subgraphs)
    return jet_status_make(JET_INVALID_ARGUMENT, "cond: no branches");
  if (node->n_operands < 1) return jet_status_make(JET_INVALID_ARGUMENT, "cond: no predicate");
  const uint32_t k = jet__cond_branch(node, &in[0]);
  const jet_graph *b = node->subgraphs[k];
  if (b->n_outputs != node->n_results)
    return jet_status_make(JET_INVALID_ARGUMENT, "cond: branch %u has %u outputs, node has %u results",
                           k, b->n_outputs, node->n_results);
  jet_status st = jet_exec_graph(b, in + 1, node->n_operands - 1, out, ctl);
  if (st) return jet_status_annotate(st, "cond branch %u: ", k);
  return NULL;
}

jet_status jet__cond_into(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) {
  jet_buf stack[4];
  jet_buf *tmp = node->n_results <= 4 ? stack : calloc(node->n_results, sizeof *tmp);
  if (!tmp) return jet_status_oom("cond results");
  jet_status st = jet__exec_cond(node, in, tmp, ctl);
  for (uint32_t k = 0; !st && k < node->n_results; k++) {
    const size_t nb = jet_type_nbytes(&out[k].type);
    if (nb) memcpy(out[k].data, tmp[k].data, nb);
  }
  if (!st)
    for (uint32_t k = 0; k < node->n_results; k++) jet_mem_free(tmp[k].data);
  if (tmp != stack) free(tmp);
  return st;
}

/* The kernel-table entry, without a control block. */
jet_status jet__k_COND(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return jet__cond_into(node, in, out, NULL);
}
