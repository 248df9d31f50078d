/* Internal building blocks of the AD drivers (jvp.c, vjp.c, grad.c, jac.c,
 * inline.c), shared so that one forward pass can serve tangent or
 * cotangent seeds built separately (jacfwd / jacrev build their jvp /
 * backward graphs from them and vmap those over a basis). */
#ifndef JET_TRANSFORMS_AD_INTERNAL_H
#define JET_TRANSFORMS_AD_INTERNAL_H

#include "jet/infer.h"
#include "transforms/ad/ad.h"

/* The forward (primal) pass of `src` emitted into e->g. */
typedef struct jet__ad_fwd {
  const jet_graph *src;
  jet_value *vmap;   /* [src->n_values]: the value of e->g for each src value */
  uint8_t *active;   /* [src->n_values]: float value that depends (not through
                        stop_gradient) on a differentiated parameter */
} jet__ad_fwd;

/* Emits every node of src (call-free) with params bound to primals[]; wrt
 * (NULL = all) marks the params that are differentiated. Returns false
 * (with e->status set) on error; f is then freed. */
bool jet__ad_forward(jet_emit *e, const jet_graph *src, const jet_value *primals, const bool *wrt,
                     jet__ad_fwd *f);
void jet__ad_fwd_free(jet__ad_fwd *f);

/* The tangent pass over a forward pass: tangents[] per src param
 * (JET_AD_ZERO allowed), writes out_tangents[] per src output. */
void jet__ad_tangents(jet_emit *e, const jet__ad_fwd *f, const jet_value *tangents,
                      jet_value *out_tangents);

/* The backward pass over a forward pass: cts[] per src output (JET_AD_ZERO
 * allowed), writes in_cts[] per src param (JET_AD_ZERO for params that are
 * not float, not differentiated or not reached). */
void jet__ad_backward(jet_emit *e, const jet__ad_fwd *f, const jet_value *cts, jet_value *in_cts);

/* argnums, holomorphic and input dtypes are checked by the shared
 * jet_transform_check_argnums / jet_transform_check_holomorphic
 * (jet/infer.h), so server and client-side inference give one message. */

/* Jacobians (jac.c). */
jet_status jet__ad_jac(const jet_graph *g, const jet_transform *t, jet_graph **out) JET_MUST_USE;

#endif
