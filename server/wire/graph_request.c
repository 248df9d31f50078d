/* Decoding of the graph, arg_types and transforms of Compile and
 * TransformGraph, and their replies' graph text (see graph_request.h). */
#include "wire/graph_request.h"

#include "ir/decode.h"
#include "jet/strbuf.h"
#include "jet/text.h"
#include "transforms/transforms.h"

jet_status jet__wire_decode_graph_request(const Jet__V1__Graph *graph, uint64_t max_nodes,
                                          Jet__V1__TensorType *const *arg_types, size_t n_args,
                                          Jet__V1__Transform *const *transforms, size_t n_tfs,
                                          jet_arena *arena, jet_graph **g, jet_type **args,
                                          jet_transform **tfs) {
  *args = NULL;
  *tfs = NULL;
  JET_RETURN_IF_ERROR(jet_ir_decode_graph(graph, "graph", max_nodes, g));
  jet_status st = jet_ir_decode_arg_types(arg_types, n_args, arena, args);
  if (!st) st = jet_ir_decode_transforms(transforms, n_tfs, arena, tfs);
  if (!st) st = jet_transforms_bind_args(*g, *tfs, (uint32_t)n_tfs, *args, (uint32_t)n_args);
  if (st) {
    jet_graph_destroy(*g);
    *g = NULL;
  }
  return st;
}

jet_status jet__wire_graph_text(const jet_graph *g, jet_arena *arena, const char *what,
                                char **out) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_graph_print(g, &sb);
  if (!st) st = jet_strbuf_status(&sb);
  if (!st) {
    *out = jet_arena_strdup(arena, sb.data ? sb.data : "");
    if (!*out) st = jet_status_oom(what);
  }
  jet_strbuf_free(&sb);
  return st;
}
