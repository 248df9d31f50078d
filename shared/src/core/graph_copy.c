/* Deep graph copy (see jet/graph.h): used by the client's jet_call and the
 * server's transforms. Node result types are copied as they are
 * (jet_graph_append_node): the source is already a checked graph. */
#include "jet/graph.h"

#include <inttypes.h>

static jet_status copy_into(jet_graph *dst, const jet_graph *src, uint32_t depth,
                            uint32_t max_depth) {
  if (max_depth && depth > max_depth)
    return jet_status_make(JET_INVALID_ARGUMENT, "call nesting deeper than %" PRIu32 " levels", max_depth);
  for (uint32_t p = 0; p < src->n_params; p++)
    JET_RETURN_IF_ERROR(jet_graph_add_param(dst, &src->value_types[p], NULL));
  for (uint32_t i = 0; i < src->n_nodes; i++) {
    const jet_node *nd = &src->nodes[i];
    jet_graph *callee = NULL;
    if (nd->callee) {
      callee = jet_graph_create_child(dst, nd->callee->name);
      if (!callee) return jet_status_oom("callee copy");
      JET_RETURN_IF_ERROR(copy_into(callee, nd->callee, depth + 1, max_depth));
    }
    jet_graph *stack_subs[4];
    jet_graph **subs = stack_subs;
    if (nd->n_subgraphs > 4) {
      subs = jet_arena_calloc(dst->arena, nd->n_subgraphs, sizeof *subs);
      if (!subs) return jet_status_oom("sub-graph copy");
    }
    for (uint32_t k = 0; k < nd->n_subgraphs; k++) {
      subs[k] = jet_graph_create_child(dst, nd->subgraphs[k]->name);
      if (!subs[k]) return jet_status_oom("sub-graph copy");
      JET_RETURN_IF_ERROR(copy_into(subs[k], nd->subgraphs[k], depth + 1, max_depth));
    }
    JET_RETURN_IF_ERROR(jet_graph_append_node_sub(
        dst, nd->op, nd->operands, nd->n_operands, nd->attrs, nd->n_attrs, nd->results,
        nd->n_results, callee, subs, nd->n_subgraphs, nd->transforms, nd->n_transforms, NULL));
  }
  return jet_graph_set_outputs(dst, src->outputs, src->n_outputs);
}

jet_status jet_graph_copy_into(jet_graph *dst, const jet_graph *src, uint32_t max_depth) {
  return copy_into(dst, src, 0, max_depth);
}
