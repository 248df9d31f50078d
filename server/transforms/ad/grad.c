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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/ad_internal.h"

static const char *argnums_str(const jet_transform *t, int32_t bad, char *buf, size_t cap) {
  if (!t->argnums_tuple) {
    snprintf(buf, cap, "%d", (int)bad);
    return buf;
  }
  size_t len = (size_t)snprintf(buf, cap, "(");
  for (uint32_t i = 0; i < t->n_argnums && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%d", i ? ", " : "", (int)t->argnums[i]);
  if (len < cap) snprintf(buf + len, cap - len, t->n_argnums == 1 ? ",)" : ")");
  return buf;
}

/* Checks argnums against g's parameters (shared with jac.c through
 * jet__ad_check_argnums). */
jet_status jet__ad_check_argnums(const jet_graph *g, const jet_transform *t) {
  int32_t max = 0;
  for (uint32_t i = 0; i < t->n_argnums; i++) {
    char buf[256];
    if (t->argnums[i] < 0)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "argnums=%s: negative argnums are not supported; name parameters "
                             "by their index 0..%u",
                             argnums_str(t, t->argnums[i], buf, sizeof buf),
                             g->n_params ? g->n_params - 1 : 0);
    if (t->argnums[i] > max) max = t->argnums[i];
  }
  if ((uint32_t)max >= g->n_params) {
    char buf[256];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "differentiating with respect to argnums=%s requires at least %d "
                           "positional arguments to be passed by the caller, but got only %u "
                           "positional arguments.",
                           argnums_str(t, max, buf, sizeof buf), (int)max + 1, g->n_params);
  }
  return NULL;
}

jet_status jet__ad_check_inputs(const jet_graph *g, const jet_transform *t, const char *name) {
  for (uint32_t i = 0; i < t->n_argnums && !t->allow_int; i++) {
    jet_dtype d = g->value_types[t->argnums[i]].dtype;
    if (!jet_dtype_is_float(d))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s requires real-valued inputs (input dtype that is a sub-dtype "
                             "of np.inexact), but got %s for argument %d. If you want to use "
                             "Boolean- or integer-valued inputs, use vjp or set allow_int to True.",
                             name, jet_dtype_name(d), (int)t->argnums[i]);
  }
  return NULL;
}

jet_status jet_ad_grad(const jet_graph *g, const jet_transform *t, jet_graph **out) {
  *out = NULL;
  bool vg = t->kind == JET_TF_VALUE_AND_GRAD;
  if (t->holomorphic)
    return jet_status_make(JET_UNIMPLEMENTED, "holomorphic=True needs complex dtypes, which jet "
                                              "does not have");
  static const int32_t zero = 0;
  jet_transform tt = *t;
  if (!tt.n_argnums) {
    tt.n_argnums = 1;
    tt.argnums = &zero;
    tt.argnums_tuple = false;
  }
  const jet_type *ot = &g->value_types[g->outputs[0]];
  if (ot->rank != 0) {
    char buf[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "Gradient only defined for scalar-output functions. Output had shape: "
                           "%s. To get the gradient, reduce the output to a scalar (reduce_sum), "
                           "or use jacrev or jacfwd to differentiate a function with a "
                           "non-scalar output.",
                           jet_emit_shape_str(ot, buf, sizeof buf));
  }
  if (!t->has_aux && g->n_outputs != 1)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "Gradient only defined for scalar-output functions. The function has "
                           "%u outputs; use has_aux to return auxiliary outputs.",
                           g->n_outputs);
  if (!jet_dtype_is_float(ot->dtype))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "grad requires real-valued outputs (output dtype that is a sub-dtype "
                           "of np.floating), but got %s. For differentiation of functions with "
                           "integer outputs, use vjp directly.",
                           jet_dtype_name(ot->dtype));

  JET_RETURN_IF_ERROR(jet__ad_check_argnums(g, &tt));
  JET_RETURN_IF_ERROR(jet__ad_check_inputs(g, &tt, "grad"));
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
