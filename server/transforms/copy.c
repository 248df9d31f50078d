/* Deep graph copy (see copy.h). Node result types are copied as they are
 * (jet_graph_append_node): the source is already validated. */
#include "transforms/copy.h"

static jet_status copy_into(jet_graph *dst, const jet_graph *src, int depth) {
  if (depth > 64)
    return jet_status_make(JET_INVALID_ARGUMENT, "call nesting deeper than 64 levels");
  for (uint32_t p = 0; p < src->n_params; p++)
    JET_RETURN_IF_ERROR(jet_graph_add_param(dst, &src->value_types[p], NULL));
  for (uint32_t i = 0; i < src->n_nodes; i++) {
    const jet_node *nd = &src->nodes[i];
    jet_graph *callee = NULL;
    if (nd->callee) {
      callee = jet_graph_create_child(dst, nd->callee->name);
      if (!callee) return jet_status_oom("callee copy");
      JET_RETURN_IF_ERROR(copy_into(callee, nd->callee, depth + 1));
    }
    JET_RETURN_IF_ERROR(jet_graph_append_node(dst, nd->op, nd->operands, nd->n_operands, nd->attrs,
                                              nd->n_attrs, nd->results, nd->n_results, callee,
                                              nd->transforms, nd->n_transforms, NULL));
  }
  return jet_graph_set_outputs(dst, src->outputs, src->n_outputs);
}

jet_status jet_transforms_copy_graph(const jet_graph *src, jet_graph **out) {
  *out = NULL;
  jet_graph *g = jet_graph_create(src->name);
  if (!g) return jet_status_oom("graph copy");
  jet_status st = copy_into(g, src, 0);
  if (st) {
    jet_graph_destroy(g);
    return st;
  }
  *out = g;
  return NULL;
}
