/* The transforms stage: inlines call nodes (applying their own transforms
 * first), then applies the request's transforms in order (innermost first):
 * grad / value_and_grad, jvp, vjp, jacfwd / jacrev / hessian (ad/), vmap
 * (batch/). pmap is answered UNIMPLEMENTED naming it. Errors are prefixed
 * "transforms[i] (kind): ". */
#include "transforms/transforms.h"

#include "transforms/ad/ad.h"
#include "transforms/ad/ad_internal.h"
#include "transforms/batch/batch.h"

static bool has_calls(const jet_graph *g) {
  for (uint32_t i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].op == JET_OP_CALL) return true;
  return false;
}

static jet_status apply_one(const jet_graph *g, const jet_transform *t, jet_graph **out) {
  switch (t->kind) {
    case JET_TF_GRAD:
    case JET_TF_VALUE_AND_GRAD: return jet_ad_grad(g, t, out);
    case JET_TF_JVP: return jet_ad_jvp(g, t->has_aux, out);
    case JET_TF_VJP: return jet_ad_vjp(g, t->has_aux, out);
    case JET_TF_JACFWD:
    case JET_TF_JACREV:
    case JET_TF_HESSIAN: return jet__ad_jac(g, t, out);
    case JET_TF_VMAP: return jet_batch_vmap(g, t, out);
    case JET_TF_PMAP:
      return jet_status_make(JET_UNIMPLEMENTED, "transform '%s' is not supported by this version",
                             jet_transform_name(t->kind));
  }
  return jet_status_make(JET_INVALID_ARGUMENT, "invalid transform kind %d", (int)t->kind);
}

jet_status jet_transforms_apply(jet_graph *g, const jet_transform *transforms, uint32_t n,
                                jet_graph **out) {
  *out = NULL;
  jet_status st = NULL;
  if (has_calls(g)) {
    jet_graph *flat = NULL;
    st = jet_ad_inline_calls(g, &flat);
    jet_graph_destroy(g);
    g = flat;
  }
  for (uint32_t i = 0; !st && i < n; i++) {
    jet_graph *next = NULL;
    st = apply_one(g, &transforms[i], &next);
    if (st) {
      st = jet_status_annotate(st, "transforms[%u] (%s): ", i,
                               jet_transform_name(transforms[i].kind));
      break;
    }
    jet_graph_destroy(g);
    g = next;
  }
  if (st) {
    jet_graph_destroy(g);
    return st;
  }
  *out = g;
  return NULL;
}
