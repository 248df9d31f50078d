/* Compile (worker pool): decode and validate the graph under the request
 * limits (ir/), check arg_types, decode transforms, then compile through the
 * executable cache (compiler/, which runs transforms/ on a miss). */
#include <string.h>

#include "compiler/compile.h"
#include "transforms/transforms.h"
#include "ir/decode.h"
#include "jet/protoconv.h"
#include "jet/text.h"
#include "jet/v1/jet.pb-c.h"
#include "wire/call.h"

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
  if (text) {
    jet_strbuf sb;
    jet_strbuf_init(&sb);
    jet_status st = jet_graph_print(exe->graph, &sb);
    if (!st) st = jet_strbuf_status(&sb);
    if (!st) {
      r->text = jet_arena_strdup(a, sb.data ? sb.data : "");
      if (!r->text) st = jet_status_oom("Compile text");
    }
    jet_strbuf_free(&sb);
    JET_RETURN_IF_ERROR(st);
  }
  *out = r;
  return NULL;
}

jet_status jet__rpc_compile(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                            ProtobufCMessage **resp) {
  const Jet__V1__CompileRequest *q = (const void *)req;
  jet_graph *g;
  JET_RETURN_IF_ERROR(jet_ir_decode_graph(q->graph, "graph", c->ctx->cfg.max_nodes, &g));
  jet_type *args = NULL;
  jet_transform *tfs = NULL;
  jet_status st = jet_ir_decode_arg_types(q->arg_types, q->n_arg_types, a, &args);
  if (!st) st = jet_ir_decode_transforms(q->transforms, q->n_transforms, a, &tfs);
  if (!st)
    st = jet_transforms_bind_args(g, tfs, (uint32_t)q->n_transforms, args,
                                  (uint32_t)q->n_arg_types);
  if (st) {
    jet_graph_destroy(g);
    return st;
  }
  jet_executable *exe;
  bool hit;
  JET_RETURN_IF_ERROR(jet_compiler_compile(c->ctx->cache, g, tfs, (uint32_t)q->n_transforms, args,
                                  (uint32_t)q->n_arg_types, &exe, &hit));
  Jet__V1__CompileResponse *r = NULL;
  st = reply(a, exe, hit, q->return_text, &r);
  jet_executable_release(exe);
  if (!st) *resp = &r->base;
  return st;
}
