#include "ir/decode.h"

#include "jet/infer.h"

#include <stdio.h>

#include "jet/protoconv.h"

static jet_status count_nodes(const Jet__V1__Graph *pb, int depth, uint64_t *total,
                              uint64_t max_nodes) {
  if (depth > JET_IR_MAX_CALL_DEPTH)
    return jet_status_make(JET_RESOURCE_EXHAUSTED,
                           "graph: callees are nested more than %d deep (call depth limit)",
                           JET_IR_MAX_CALL_DEPTH);
  *total += pb->n_nodes;
  if (max_nodes && *total > max_nodes)
    return jet_status_make(JET_RESOURCE_EXHAUSTED,
                           "graph: more than %llu nodes including callees and sub-graphs (max-nodes limit)",
                           (unsigned long long)max_nodes);
  for (size_t i = 0; i < pb->n_nodes; i++) {
    const Jet__V1__Node *n = pb->nodes[i];
    if (n && n->callee) JET_RETURN_IF_ERROR(count_nodes(n->callee, depth + 1, total, max_nodes));
    for (size_t k = 0; n && k < n->n_subgraphs; k++)
      if (n->subgraphs[k])
        JET_RETURN_IF_ERROR(count_nodes(n->subgraphs[k], depth + 1, total, max_nodes));
  }
  return NULL;
}

jet_status jet_ir_decode_graph(const Jet__V1__Graph *pb, const char *field, uint64_t max_nodes,
                               jet_graph **out) {
  *out = NULL;
  if (!pb) return jet_status_make(JET_INVALID_ARGUMENT, "%s: missing", field);
  uint64_t total = 0;
  JET_RETURN_IF_ERROR(count_nodes(pb, 0, &total, max_nodes));
  return jet_graph_from_proto(pb, out);
}

jet_status jet_ir_decode_arg_types(Jet__V1__TensorType *const *pb, size_t n, jet_arena *arena,
                                   jet_type **out) {
  *out = NULL;
  if (n == 0) return NULL;
  if (n > JET_MAX_RESULTS)
    return jet_status_make(JET_INVALID_ARGUMENT, "arg_types: %zu types is more than %d", n,
                           JET_MAX_RESULTS);
  jet_type *types = jet_arena_calloc(arena, n, sizeof(jet_type));
  if (!types) return jet_status_oom("arg_types");
  for (size_t i = 0; i < n; i++) {
    char field[48];
    snprintf(field, sizeof(field), "arg_types[%zu]", i);
    JET_RETURN_IF_ERROR(jet_type_from_proto(pb[i], field, &types[i]));
  }
  *out = types;
  return NULL;
}

jet_status jet_ir_decode_transforms(Jet__V1__Transform *const *pb, size_t n, jet_arena *arena,
                                    jet_transform **out) {
  *out = NULL;
  if (n == 0) return NULL;
  jet_transform *t = jet_arena_calloc(arena, n, sizeof(jet_transform));
  if (!t) return jet_status_oom("transforms");
  for (size_t i = 0; i < n; i++) {
    char field[48];
    snprintf(field, sizeof(field), "transforms[%zu]", i);
    JET_RETURN_IF_ERROR(jet_transform_from_proto(pb[i], field, arena, &t[i]));
  }
  *out = t;
  return NULL;
}
