#include "transforms/transforms.h"

#include <stdio.h>

/* The transform kinds the stage can apply. None yet: every kind is refused
 * with UNIMPLEMENTED until its file lands here. */
static jet_status refuse(const jet_transform *t, const char *where) {
  return jet_status_make(JET_UNIMPLEMENTED, "%stransform '%s' is not implemented yet", where,
                         jet_transform_name(t->kind));
}

/* Walks call nodes (recursively through callees) and refuses the first
 * transform attached to one. */
static jet_status check_calls(const jet_graph *g, int depth) {
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *nd = &g->nodes[i];
    if (nd->op != JET_OP_CALL) continue;
    if (nd->n_transforms) {
      char where[80];
      snprintf(where, sizeof(where), "%snode %u (call): ", depth ? "callee " : "", i);
      return refuse(&nd->transforms[0], where);
    }
    if (nd->callee) JET_RETURN_IF_ERROR(check_calls(nd->callee, depth + 1));
  }
  return NULL;
}

jet_status jet_transforms_apply(jet_graph *g, const jet_transform *transforms, uint32_t n,
                                jet_graph **out) {
  *out = NULL;
  jet_status st = check_calls(g, 0);
  for (uint32_t i = 0; !st && i < n; i++) {
    char where[48];
    snprintf(where, sizeof(where), "transforms[%u]: ", i);
    st = refuse(&transforms[i], where);
  }
  if (st) {
    jet_graph_destroy(g);
    return st;
  }
  *out = g;
  return NULL;
}
