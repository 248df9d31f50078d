/* Compile (worker pool): decode and validate the graph under the request
 * limits (ir/), check arg_types, decode transforms, then compile through the
 * executable cache (compiler/, which runs transforms/ on a miss). */
#include <string.h>

#include "compiler/compile.h"
#include "jet/protoconv.h"
#include "jet/v1/jet.pb-c.h"
#include "wire/call.h"
#include "wire/graph_request.h"

static jet_status reply(jet_arena *a, jet_executable *exe, bool hit, bool text,
                        Jet__V1__CompileResponse **out) {
  Jet__V1__CompileResponse *r = jet_arena_alloc(a, sizeof(*r));
  uint32_t n = exe->n_outputs;
  Jet__V1__TensorType **list = jet_arena_calloc(a, n ? n : 1, sizeof(*list));
  Jet__V1__TensorType *types = jet_arena_calloc(a, n ? n : 1, sizeof(*types));
  char *id = jet_arena_strdup(a, exe->id);
  if (!r || !list || !types || !id) return jet_status_oom("Compile reply");
  jet__v1__compile_response__init(r);
  r->executable_id = id;
  r->cache_hit = hit;
  for (uint32_t i = 0; i < n; i++) {
    jet__v1__tensor_type__init(&types[i]);
    JET_RETURN_IF_ERROR(jet_type_to_proto(&exe->output_types[i], a, &types[i]));
    list[i] = &types[i];
  }
  r->n_output_types = n;
  r->output_types = list;
  if (text) JET_RETURN_IF_ERROR(jet__wire_graph_text(exe->graph, a, "Compile text", &r->text));
  *out = r;
  return NULL;
}

jet_status jet__rpc_compile(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                            ProtobufCMessage **resp) {
  const Jet__V1__CompileRequest *q = (const void *)req;
  jet_graph *g;
  jet_type *args;
  jet_transform *tfs;
  JET_RETURN_IF_ERROR(jet__wire_decode_graph_request(q->graph, c->ctx->cfg.max_nodes, q->arg_types,
                                                     q->n_arg_types, q->transforms, q->n_transforms,
                                                     a, &g, &args, &tfs));
  jet_executable *exe;
  bool hit;
  JET_RETURN_IF_ERROR(jet_compiler_compile(c->ctx->cache, g, tfs, (uint32_t)q->n_transforms, args,
                                  (uint32_t)q->n_arg_types, &exe, &hit));
  Jet__V1__CompileResponse *r = NULL;
  jet_status st = reply(a, exe, hit, q->return_text, &r);
  jet_executable_release(exe);
  if (!st) *resp = &r->base;
  return st;
}
