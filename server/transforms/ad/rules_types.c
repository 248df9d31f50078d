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

JET_AD_ZERO_RULES(BITCAST_CONVERT_TYPE)
JET_AD_ZERO_RULES(STOP_GRADIENT)
JET_AD_ZERO_RULES(CONSTANT)
JET_AD_ZERO_RULES(IOTA)
