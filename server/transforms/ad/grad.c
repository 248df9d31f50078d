/* grad and value_and_grad: one forward pass, then one backward pass seeded
 * with a constant 1 of output 0's dtype (a float scalar).
 *
 * argnums: empty = {0}; an int (argnums_tuple false) or a tuple. Duplicates
 * are allowed, as in JAX: argnums=(0, 0) gives the gradient of parameter 0
 * twice. Negative argnums are refused (INVALID_ARGUMENT). has_aux: output 0
 * is differentiated and outputs 1.. are aux (possibly none, like JAX's
 * aux=()); without has_aux the graph must have exactly one output.
 * allow_int: the gradient of an integer or bool parameter is zeros of its
 * own type (JAX gives float0 zeros). holomorphic=true is refused with
 * UNIMPLEMENTED (jet has no complex dtypes).
 *
 * Outputs: grad -> (grads..., aux...); value_and_grad -> (value, aux...,
 * grads...). Error texts follow JAX's (jax/_src/api.py), adapted to jet's
 * shapes "[3]" and dtype names "i32". */
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/ad_internal.h"

jet_status jet_ad_grad(const jet_graph *g, const jet_transform *t, jet_graph **out) {
  *out = NULL;
  bool vg = t->kind == JET_TF_VALUE_AND_GRAD;
  JET_RETURN_IF_ERROR(jet_transform_check_holomorphic(t));
  jet_transform tt = *t;
  const jet_type *ot = &g->value_types[g->outputs[0]];
  JET_RETURN_IF_ERROR(jet_transform_check_grad_output(ot, g->n_outputs, t));
  JET_RETURN_IF_ERROR(
      jet_transform_check_argnums(g->value_types, g->n_params, t, "grad", &tt.argnums, &tt.n_argnums));
  jet_emit e;
  JET_RETURN_IF_ERROR(jet_emit_start(g, vg ? "value_and_grad" : "grad", NULL, 0, &e));
  uint32_t np = g->n_params, no = g->n_outputs;
  bool *wrt = calloc(np ? np : 1, sizeof(bool));
  jet_value *vals = malloc(sizeof(jet_value) * ((size_t)np * 2 + (size_t)no * 2 + tt.n_argnums + 1));
  if (!wrt || !vals) {
    free(wrt);
    free(vals);
    jet_emit_fail(&e, jet_status_oom("grad values"));
    return jet_emit_finish(&e, NULL, 0, out);
  }
  jet_value *primals = vals, *in_cts = vals + np, *cts = in_cts + np, *res = cts + no;
  for (uint32_t p = 0; p < np; p++) primals[p] = p;
  for (uint32_t i = 0; i < tt.n_argnums; i++) wrt[tt.argnums[i]] = true;
  uint32_t nr = 0;
  jet__ad_fwd f;
  if (jet__ad_forward(&e, g, primals, wrt, &f)) {
    for (uint32_t k = 0; k < no; k++) cts[k] = JET_AD_ZERO;
    cts[0] = jet_emit_scalar(&e, ot->dtype, 1.0);
    jet__ad_backward(&e, &f, cts, in_cts);
    jet_value value = f.vmap[g->outputs[0]];
    if (vg) res[nr++] = value;
    for (uint32_t k = 1; k < no; k++) res[nr++] = f.vmap[g->outputs[k]];
    jet_value *grads = vg ? res + nr : res;
    if (!vg) memmove(res + tt.n_argnums, res, sizeof(jet_value) * nr);
    for (uint32_t i = 0; i < tt.n_argnums; i++) {
      jet_value ct = in_cts[tt.argnums[i]];
      grads[i] = ct != JET_AD_ZERO ? ct : jet_emit_full_like(&e, (jet_value)tt.argnums[i], 0.0);
    }
    nr += tt.n_argnums;
    jet__ad_fwd_free(&f);
  }
  free(wrt);
  jet_status st = jet_emit_finish(&e, res, nr, out);
  free(vals);
  return st;
}
