/* Autodiff rules of the structured control-flow ops. Not implemented yet
 * (issue 7): each refuses with UNIMPLEMENTED naming the op and transform. */
#include "transforms/ad/ad.h"

void jet__jvp_COND(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  jet__jvp_zero(e, n, x, t, y, ty);
  jet_emit_fail(e, jet_status_make(JET_UNIMPLEMENTED, "jvp of cond is not implemented yet"));
}

void jet__vjp_COND(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  jet__vjp_zero(e, n, x, y, ct, cx);
  jet_emit_fail(e, jet_status_make(JET_UNIMPLEMENTED, "vjp of cond is not implemented yet"));
}

void jet__jvp_WHILE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  jet__jvp_zero(e, n, x, t, y, ty);
  jet_emit_fail(e, jet_status_make(JET_UNIMPLEMENTED, "jvp of while is not implemented yet"));
}

void jet__vjp_WHILE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  jet__vjp_zero(e, n, x, y, ct, cx);
  jet_emit_fail(e, jet_status_make(JET_UNIMPLEMENTED, "vjp of while is not implemented yet"));
}

void jet__jvp_SCAN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  jet__jvp_zero(e, n, x, t, y, ty);
  jet_emit_fail(e, jet_status_make(JET_UNIMPLEMENTED, "jvp of scan is not implemented yet"));
}

void jet__vjp_SCAN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  jet__vjp_zero(e, n, x, y, ct, cx);
  jet_emit_fail(e, jet_status_make(JET_UNIMPLEMENTED, "vjp of scan is not implemented yet"));
}
