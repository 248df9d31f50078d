/* AD rules (JVP and VJP) of convert_element_type, bitcast_convert_type,
 * stop_gradient, constant and iota.
 *
 * convert_element_type is linear between float dtypes (tangent converted
 * forwards, cotangent converted back); from or to a non-float dtype it has
 * a zero derivative, as do the others.
 */
#include "transforms/ad/ad.h"

static bool float_to_float(const jet_emit *e, jet_value from, jet_value to) {
  return jet_dtype_is_float(jet_emit_type(e, from)->dtype) &&
         jet_dtype_is_float(jet_emit_type(e, to)->dtype);
}

void jet__jvp_CONVERT_ELEMENT_TYPE(jet_emit *e, const jet_node *n, const jet_value *x,
                                   const jet_value *t, const jet_value *y, jet_value *ty) {
  (void)n;
  ty[0] = JET_AD_ZERO;
  if (t[0] == JET_AD_ZERO || !float_to_float(e, x[0], y[0])) return;
  ty[0] = jet_emit_convert(e, t[0], jet_emit_type(e, y[0])->dtype);
}

void jet__vjp_CONVERT_ELEMENT_TYPE(jet_emit *e, const jet_node *n, const jet_value *x,
                                   const jet_value *y, const jet_value *ct, jet_value *cx) {
  (void)n;
  cx[0] = JET_AD_ZERO;
  if (ct[0] == JET_AD_ZERO || !float_to_float(e, x[0], y[0])) return;
  cx[0] = jet_emit_convert(e, ct[0], jet_emit_type(e, x[0])->dtype);
}

#define ZERO_RULES(E)                                                                       \
  void jet__jvp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t, \
                    const jet_value *y, jet_value *ty) {                                    \
    jet__jvp_zero(e, n, x, t, y, ty);                                                       \
  }                                                                                         \
  void jet__vjp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y, \
                    const jet_value *ct, jet_value *cx) {                                   \
    jet__vjp_zero(e, n, x, y, ct, cx);                                                      \
  }

ZERO_RULES(BITCAST_CONVERT_TYPE)
ZERO_RULES(STOP_GRADIENT)
ZERO_RULES(CONSTANT)
ZERO_RULES(IOTA)
