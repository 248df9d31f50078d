/* The shared zero rules and the call rules (call nodes are inlined before
 * differentiation, so reaching one is an internal error). */
#include "transforms/ad/ad.h"

void jet__jvp_zero(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  (void)e, (void)x, (void)t, (void)y;
  for (uint32_t j = 0; j < n->n_results; j++) ty[j] = JET_AD_ZERO;
}

void jet__vjp_zero(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  (void)e, (void)x, (void)y, (void)ct;
  for (uint32_t i = 0; i < n->n_operands; i++) cx[i] = JET_AD_ZERO;
}

void jet__jvp_CALL(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  jet__jvp_zero(e, n, x, t, y, ty);
  jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                          "autodiff: call nodes are inlined before differentiation (jvp reached one)"));
}

void jet__vjp_CALL(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  jet__vjp_zero(e, n, x, y, ct, cx);
  jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                          "autodiff: call nodes are inlined before differentiation (vjp reached one)"));
}
