/* Reverse mode: the backward pass and the vjp transform.
 *
 * After the primal pass (fwd.c), the nodes are walked in reverse; a node's
 * VJP rule runs only when some result has a non-zero cotangent, so nodes
 * whose results do not lead to a differentiated output cost nothing and the
 * backward pass is O(N) nodes. Cotangents reach only "active" values (float
 * values that depend on a differentiated parameter, not through
 * stop_gradient); contributions to one value are summed with add_any. The
 * driver checks that every cotangent a rule returns has its operand's type.
 * Symbolic zeros are materialised only for graph outputs. */
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/ad_internal.h"

static void add_ct(jet_emit *e, jet_value *ctmap, jet_value v, jet_value ct, const jet_type *want,
                   const char *what, uint32_t idx) {
  if (ct == JET_AD_ZERO || e->status) return;
  const jet_type *got = jet_emit_type(e, ct);
  if (!jet_type_equal(got, want)) {
    char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
    jet_emit_fail(e, jet_status_make(JET_INTERNAL, "cotangent of type %s for %s %u of type %s",
                                    jet_type_str(got, a, sizeof a), what, idx,
                                    jet_type_str(want, b, sizeof b)));
    return;
  }
  ctmap[v] = jet_emit_add_any(e, ctmap[v], ct);
}

void jet__ad_backward(jet_emit *e, const jet__ad_fwd *f, const jet_value *cts, jet_value *in_cts) {
  const jet_graph *src = f->src;
  for (uint32_t p = 0; p < src->n_params; p++) in_cts[p] = JET_AD_ZERO;
  if (e->status) return;
  uint32_t max_ops = 1, max_res = 1;
  for (uint32_t i = 0; i < src->n_nodes; i++) {
    if (src->nodes[i].n_operands > max_ops) max_ops = src->nodes[i].n_operands;
    if (src->nodes[i].n_results > max_res) max_res = src->nodes[i].n_results;
  }
  jet_value *ctmap = malloc(sizeof(jet_value) * (src->n_values ? src->n_values : 1));
  jet_value *x = malloc(sizeof(jet_value) * max_ops), *cx = malloc(sizeof(jet_value) * max_ops);
  jet_value *y = malloc(sizeof(jet_value) * max_res), *ct = malloc(sizeof(jet_value) * max_res);
  if (!ctmap || !x || !cx || !y || !ct) {
    jet_emit_fail(e, jet_status_oom("autodiff cotangent map"));
    goto done;
  }
  for (uint32_t v = 0; v < src->n_values; v++) ctmap[v] = JET_AD_ZERO;
  for (uint32_t k = 0; k < src->n_outputs; k++) {
    jet_value v = src->outputs[k];
    if (f->active[v]) add_ct(e, ctmap, v, cts[k], &src->value_types[v], "output", k);
  }
  if (e->status) goto done;
  for (uint32_t i = src->n_nodes; i-- > 0;) {
    const jet_node *nd = &src->nodes[i];
    bool any = false;
    for (uint32_t j = 0; j < nd->n_results; j++) {
      ct[j] = ctmap[nd->first_result + j];
      y[j] = f->vmap[nd->first_result + j];
      any = any || ct[j] != JET_AD_ZERO;
    }
    if (!any) continue;
    for (uint32_t k = 0; k < nd->n_operands; k++) {
      x[k] = f->vmap[nd->operands[k]];
      cx[k] = JET_AD_ZERO;
    }
    jet_vjp_rule rule = jet_ad_vjp_rule(nd->op);
    if (rule) rule(e, nd, x, y, ct, cx);
    for (uint32_t k = 0; !e->status && k < nd->n_operands; k++) {
      jet_value v = nd->operands[k];
      if (f->active[v]) add_ct(e, ctmap, v, cx[k], &src->value_types[v], "operand", k);
    }
    if (e->status) {
      e->status = jet_status_annotate(e->status, "node %u (%s): ", i, jet_op_name(nd->op));
      goto done;
    }
  }
  for (uint32_t p = 0; p < src->n_params; p++) in_cts[p] = f->active[p] ? ctmap[p] : JET_AD_ZERO;
done:
  free(ctmap);
  free(x);
  free(cx);
  free(y);
  free(ct);
}

void jet_ad_emit_vjp(jet_emit *e, const jet_graph *src, const jet_value *primals,
                     const jet_value *cts, jet_value *outs, jet_value *in_cts) {
  for (uint32_t k = 0; k < src->n_outputs; k++) outs[k] = JET_AD_ZERO;
  for (uint32_t p = 0; p < src->n_params; p++) in_cts[p] = JET_AD_ZERO;
  jet__ad_fwd f;
  if (!jet__ad_forward(e, src, primals, NULL, &f)) return;
  for (uint32_t k = 0; k < src->n_outputs; k++) outs[k] = f.vmap[src->outputs[k]];
  jet__ad_backward(e, &f, cts, in_cts);
  jet__ad_fwd_free(&f);
}

jet_status jet_ad_vjp(const jet_graph *g, bool has_aux, jet_graph **out) {
  *out = NULL;
  jet_emit e;
  JET_RETURN_IF_ERROR(jet_emit_start(g, "vjp", NULL, 0, &e));
  uint32_t np = g->n_params, no = g->n_outputs, n_diff = has_aux ? 1 : no;
  jet_value *vals = malloc(sizeof(jet_value) * (3 * (size_t)np + 2 * (size_t)no + 1));
  if (!vals) {
    jet_emit_fail(&e, jet_status_oom("vjp values"));
    return jet_emit_finish(&e, NULL, 0, out);
  }
  jet_value *primals = vals, *in_cts = vals + np, *cts = in_cts + np, *res = cts + no;
  for (uint32_t p = 0; p < np; p++) primals[p] = p;
  for (uint32_t k = 0; k < no; k++) {
    cts[k] = JET_AD_ZERO;
    if (k >= n_diff || e.status) continue;
    jet_status st = jet_graph_add_param(e.g, &g->value_types[g->outputs[k]], &cts[k]);
    if (st) jet_emit_fail(&e, st);
  }
  /* Outputs: (outputs..., one cotangent per primal). */
  jet_ad_emit_vjp(&e, g, primals, cts, res, in_cts);
  for (uint32_t p = 0; p < np; p++)
    res[no + p] = in_cts[p] != JET_AD_ZERO ? in_cts[p] : jet_emit_full_like(&e, primals[p], 0.0);
  jet_status st = jet_emit_finish(&e, res, no + np, out);
  free(vals);
  return st;
}
