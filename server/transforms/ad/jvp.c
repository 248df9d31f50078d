/* Forward mode: the tangent pass and the jvp transform.
 *
 * The tangent pass walks the nodes in order after the primal pass; a node's
 * JVP rule runs only when some operand tangent is non-zero and some result
 * is of a float dtype. Tangents of non-float values are forced to the
 * symbolic zero (JAX's float0), and the driver checks that every tangent a
 * rule returns has its result's type. Symbolic zeros are materialised only
 * for graph outputs (jet_emit_full_like 0). */
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/ad_internal.h"

void jet__ad_tangents(jet_emit *e, const jet__ad_fwd *f, const jet_value *tangents,
                      jet_value *out_tangents) {
  const jet_graph *src = f->src;
  for (uint32_t k = 0; k < src->n_outputs; k++) out_tangents[k] = JET_AD_ZERO;
  if (e->status) return;
  uint32_t max_ops = 1, max_res = 1;
  for (uint32_t i = 0; i < src->n_nodes; i++) {
    if (src->nodes[i].n_operands > max_ops) max_ops = src->nodes[i].n_operands;
    if (src->nodes[i].n_results > max_res) max_res = src->nodes[i].n_results;
  }
  jet_value *tmap = malloc(sizeof(jet_value) * (src->n_values ? src->n_values : 1));
  jet_value *x = malloc(sizeof(jet_value) * max_ops), *t = malloc(sizeof(jet_value) * max_ops);
  jet_value *y = malloc(sizeof(jet_value) * max_res), *ty = malloc(sizeof(jet_value) * max_res);
  if (!tmap || !x || !t || !y || !ty) {
    jet_emit_fail(e, jet_status_oom("autodiff tangent map"));
    goto done;
  }
  for (uint32_t p = 0; p < src->n_params; p++) {
    tmap[p] = JET_AD_ZERO;
    if (tangents[p] == JET_AD_ZERO || !jet_dtype_is_float(src->value_types[p].dtype)) continue;
    if (!jet_type_equal(jet_emit_type(e, tangents[p]), &src->value_types[p])) {
      jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                                      "autodiff: tangent %u does not have the type of parameter %u",
                                      p, p));
      goto done;
    }
    tmap[p] = tangents[p];
  }
  for (uint32_t i = 0; i < src->n_nodes; i++) {
    const jet_node *nd = &src->nodes[i];
    bool any_t = false, any_float = false;
    for (uint32_t k = 0; k < nd->n_operands; k++) {
      t[k] = tmap[nd->operands[k]];
      x[k] = f->vmap[nd->operands[k]];
      any_t = any_t || t[k] != JET_AD_ZERO;
    }
    for (uint32_t j = 0; j < nd->n_results; j++) {
      tmap[nd->first_result + j] = JET_AD_ZERO;
      y[j] = f->vmap[nd->first_result + j];
      ty[j] = JET_AD_ZERO;
      any_float = any_float || jet_dtype_is_float(nd->results[j].dtype);
    }
    if (!any_t || !any_float) continue;
    jet_jvp_rule rule = jet_ad_jvp_rule(nd->op);
    if (rule) rule(e, nd, x, t, y, ty);
    for (uint32_t j = 0; !e->status && j < nd->n_results; j++) {
      if (!jet_dtype_is_float(nd->results[j].dtype) || ty[j] == JET_AD_ZERO) continue;
      const jet_type *got = jet_emit_type(e, ty[j]);
      if (!jet_type_equal(got, &nd->results[j])) {
        char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
        jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                                        "jvp rule gave a tangent of type %s for result %u of type %s",
                                        jet_type_str(got, a, sizeof a), j,
                                        jet_type_str(&nd->results[j], b, sizeof b)));
        break;
      }
      tmap[nd->first_result + j] = ty[j];
    }
    if (e->status) {
      e->status = jet_status_annotate(e->status, "node %u (%s): ", i, jet_op_name(nd->op));
      goto done;
    }
  }
  for (uint32_t k = 0; k < src->n_outputs; k++) out_tangents[k] = tmap[src->outputs[k]];
done:
  free(tmap);
  free(x);
  free(t);
  free(y);
  free(ty);
}

void jet_ad_emit_jvp(jet_emit *e, const jet_graph *src, const jet_value *primals,
                     const jet_value *tangents, jet_value *outs, jet_value *out_tangents) {
  for (uint32_t k = 0; k < src->n_outputs; k++) outs[k] = out_tangents[k] = JET_AD_ZERO;
  jet__ad_fwd f;
  if (!jet__ad_forward(e, src, primals, NULL, &f)) return;
  for (uint32_t k = 0; k < src->n_outputs; k++) outs[k] = f.vmap[src->outputs[k]];
  jet__ad_tangents(e, &f, tangents, out_tangents);
  jet__ad_fwd_free(&f);
}

jet_status jet_ad_jvp(const jet_graph *g, bool has_aux, jet_graph **out) {
  *out = NULL;
  jet_emit e;
  JET_RETURN_IF_ERROR(jet_emit_start(g, "jvp", NULL, 0, &e));
  uint32_t np = g->n_params, no = g->n_outputs;
  jet_value *vals = malloc(sizeof(jet_value) * (2 * (size_t)np + 4 * (size_t)no + 1));
  if (!vals) {
    jet_emit_fail(&e, jet_status_oom("jvp values"));
    return jet_emit_finish(&e, NULL, 0, out);
  }
  jet_value *primals = vals, *tangents = vals + np, *outs = vals + 2 * np,
            *otan = outs + no, *res = otan + no;
  for (uint32_t p = 0; p < np; p++) {
    primals[p] = p;
    jet_status st = jet_graph_add_param(e.g, &g->value_types[p], &tangents[p]);
    if (st) {
      jet_emit_fail(&e, st);
      break;
    }
  }
  jet_ad_emit_jvp(&e, g, primals, tangents, outs, otan);
  /* has_aux: (out0, tangent0, aux...); otherwise (outs..., tangents...). */
  uint32_t n_diff = has_aux ? 1 : no, nr = 0;
  for (uint32_t k = 0; k < n_diff; k++) res[nr++] = outs[k];
  for (uint32_t k = 0; k < n_diff; k++)
    res[nr++] = otan[k] != JET_AD_ZERO ? otan[k] : jet_emit_full_like(&e, outs[k], 0.0);
  for (uint32_t k = n_diff; k < no; k++) res[nr++] = outs[k];
  jet_status st = jet_emit_finish(&e, res, nr, out);
  free(vals);
  return st;
}
