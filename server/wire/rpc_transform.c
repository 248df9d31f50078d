/* TransformGraph (worker pool): JAX's make_jaxpr for remote users. Decodes
 * and validates the graph under the request limits (ir/), decodes the
 * transforms, applies them (transforms/, which also applies the transforms
 * of call nodes), cleans the result with CSE + DCE (compiler/passes/)
 * unless skip_cleanup, and returns it as proto and as text, without
 * compiling or running anything. */
#include "compiler/passes/passes.h"
#include "ir/decode.h"
#include "jet/protoconv.h"
#include "jet/text.h"
#include "jet/v1/jet.pb-c.h"
#include "transforms/transforms.h"
#include "wire/call.h"

static jet_status reply(jet_arena *a, const jet_graph *g, Jet__V1__TransformGraphResponse **out) {
  Jet__V1__TransformGraphResponse *r = jet_arena_alloc(a, sizeof(*r));
  if (!r) return jet_status_oom("TransformGraph reply");
  jet__v1__transform_graph_response__init(r);
  JET_RETURN_IF_ERROR(jet_graph_to_proto(g, a, &r->graph));
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_graph_print(g, &sb);
  if (!st) st = jet_strbuf_status(&sb);
  if (!st) {
    r->text = jet_arena_strdup(a, sb.data ? sb.data : "");
    if (!r->text) st = jet_status_oom("TransformGraph text");
  }
  jet_strbuf_free(&sb);
  JET_RETURN_IF_ERROR(st);
  *out = r;
  return NULL;
}

jet_status jet__rpc_transform_graph(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                    ProtobufCMessage **resp) {
  const Jet__V1__TransformGraphRequest *q = (const void *)req;
  jet_graph *g;
  JET_RETURN_IF_ERROR(jet_ir_decode_graph(q->graph, "graph", c->ctx->cfg.max_nodes, &g));
  jet_transform *tfs = NULL;
  jet_type *args = NULL;
  jet_status st = jet_ir_decode_transforms(q->transforms, q->n_transforms, a, &tfs);
  if (!st) st = jet_ir_decode_arg_types(q->arg_types, q->n_arg_types, a, &args);
  if (!st)
    st = jet_transforms_bind_args(g, tfs, (uint32_t)q->n_transforms, args,
                                  (uint32_t)q->n_arg_types);
  if (st) {
    jet_graph_destroy(g);
    return st;
  }
  jet_graph *t; /* jet_transforms_apply consumes g (also on error) */
  JET_RETURN_IF_ERROR(jet_transforms_apply(g, tfs, (uint32_t)q->n_transforms, &t));
  if (!q->skip_cleanup) {
    jet_graph *clean = NULL;
    st = jet_passes_cleanup(t, &clean);
    jet_graph_destroy(t);
    if (st) return st;
    t = clean;
  }
  Jet__V1__TransformGraphResponse *r = NULL;
  st = reply(a, t, &r);
  jet_graph_destroy(t);
  if (!st) *resp = &r->base;
  return st;
}
