/* The transforms stage: inlines call nodes (applying their own transforms
 * first), then applies the request's transforms in order (innermost first):
 * grad / value_and_grad, jvp, vjp, jacfwd / jacrev / hessian (ad/), vmap
 * (batch/), pmap (pmap.c: wraps the graph into one pmap node). Errors are
 * prefixed "transforms[i] (kind): ". */
#include "transforms/transforms.h"

#include <stdlib.h>

#include "jet/infer.h"

#include "transforms/ad/ad.h"
#include "transforms/ad/ad_internal.h"
#include "transforms/batch/batch.h"
#include "transforms/pmap.h"

/* Any call node, also inside control-flow sub-graphs (cond's branches). */
static bool has_calls(const jet_graph *g) {
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].op == JET_OP_CALL) return true;
    for (uint32_t k = 0; k < g->nodes[i].n_subgraphs; k++)
      if (has_calls(g->nodes[i].subgraphs[k])) return true;
  }
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
    case JET_TF_PMAP: return jet_transforms_pmap(g, t, out);
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

static jet_status arg_mismatch(uint32_t i, const jet_type *want, const jet_type *got,
                               bool transformed) {
  char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
  return jet_status_make(JET_INVALID_ARGUMENT, "arg_types[%u]: expected %s%s, got %s", i,
                         jet_type_str(want, a, sizeof(a)),
                         transformed ? " (its parameter after the transforms)" : "",
                         jet_type_str(got, b, sizeof(b)));
}

jet_status jet_transforms_bind_args(const jet_graph *g, jet_transform *tfs, uint32_t n,
                                    const jet_type *args, uint32_t n_args) {
  if (n_args == 0) return NULL;
  if (n == 0) {
    if (n_args != g->n_params)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "arg_types: %u types given but the graph has %u parameter%s", n_args,
                             g->n_params, g->n_params == 1 ? "" : "s");
    for (uint32_t i = 0; i < n_args; i++)
      if (!jet_type_equal(&args[i], &g->value_types[i]))
        return arg_mismatch(i, &g->value_types[i], &args[i], false);
    return NULL;
  }
  /* The signature of the transformed graph, with vmap sizes read from the
   * arguments; scratch for up to JET_MAX_RESULTS params and outputs. */
  jet_type *outs = malloc(sizeof(jet_type) * (size_t)g->n_outputs);
  jet_type *new_params = malloc(sizeof(jet_type) * JET_MAX_RESULTS);
  jet_type *new_outs = malloc(sizeof(jet_type) * JET_MAX_RESULTS);
  int64_t *sizes = calloc(n, sizeof(int64_t));
  jet_status st = (outs || !g->n_outputs) && new_params && new_outs && sizes
                      ? NULL
                      : jet_status_oom("argument binding");
  uint32_t n_new_params = 0, n_new_outs = 0;
  if (!st) {
    for (uint32_t i = 0; i < g->n_outputs; i++) outs[i] = g->value_types[g->outputs[i]];
    st = jet_transform_signature_args(g->value_types, g->n_params, outs, g->n_outputs, tfs, n,
                                      args, n_args, new_params, &n_new_params, new_outs,
                                      &n_new_outs, JET_MAX_RESULTS, sizes);
  }
  if (!st && n_args != n_new_params)
    st = jet_status_make(JET_INVALID_ARGUMENT,
                         "arg_types: %u types given but the graph has %u parameter%s after its "
                         "transforms",
                         n_args, n_new_params, n_new_params == 1 ? "" : "s");
  for (uint32_t i = 0; !st && i < n_args; i++)
    if (!jet_type_equal(&args[i], &new_params[i]))
      st = arg_mismatch(i, &new_params[i], &args[i], true);
  for (uint32_t i = 0; !st && i < n; i++)
    if ((tfs[i].kind == JET_TF_VMAP || tfs[i].kind == JET_TF_PMAP) && tfs[i].axis_size == 0)
      tfs[i].axis_size = sizes[i];
  free(outs);
  free(new_params);
  free(new_outs);
  free(sizes);
  return st;
}
