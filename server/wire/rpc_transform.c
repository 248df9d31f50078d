/* TransformGraph (worker pool): JAX's make_jaxpr for remote users. Decodes
 * and validates the graph under the request limits (ir/), decodes the
 * transforms, applies them (transforms/, which also applies the transforms
 * of call nodes), cleans the result with CSE + DCE (compiler/passes/)
 * unless skip_cleanup, and returns it as proto and as text, without
 * compiling or running anything. */
#include "compiler/passes/passes.h"
#include "jet/protoconv.h"
#include "jet/v1/jet.pb-c.h"
#include "transforms/transforms.h"
#include "wire/call.h"
#include "wire/graph_request.h"

static jet_status reply(jet_arena *a, const jet_graph *g, Jet__V1__TransformGraphResponse **out) {
  Jet__V1__TransformGraphResponse *r = jet_arena_alloc(a, sizeof(*r));
  if (!r) return jet_status_oom("TransformGraph reply");
  jet__v1__transform_graph_response__init(r);
  JET_RETURN_IF_ERROR(jet_graph_to_proto(g, a, &r->graph));
  JET_RETURN_IF_ERROR(jet__wire_graph_text(g, a, "TransformGraph text", &r->text));
  *out = r;
  return NULL;
}

jet_status jet__rpc_transform_graph(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                    ProtobufCMessage **resp) {
  const Jet__V1__TransformGraphRequest *q = (const void *)req;
  jet_graph *g;
  jet_type *args;
  jet_transform *tfs;
  JET_RETURN_IF_ERROR(jet__wire_decode_graph_request(q->graph, c->ctx->cfg.max_nodes, q->arg_types,
                                                     q->n_arg_types, q->transforms, q->n_transforms,
                                                     a, &g, &args, &tfs));
  jet_graph *t; /* jet_transforms_apply consumes g (also on error) */
  JET_RETURN_IF_ERROR(jet_transforms_apply(g, tfs, (uint32_t)q->n_transforms, &t));
  if (!q->skip_cleanup) {
    jet_graph *clean = NULL;
    jet_status st = jet_passes_cleanup(t, &clean);
    jet_graph_destroy(t);
    if (st) return st;
    t = clean;
  }
  Jet__V1__TransformGraphResponse *r = NULL;
  jet_status st = reply(a, t, &r);
  jet_graph_destroy(t);
  if (!st) *resp = &r->base;
  return st;
}
