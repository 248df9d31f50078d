/* stop_gradient (a copy), constant (the literal's bytes) and call (runs
 * the callee with the executor; its results are fresh allocations made by
 * the callee's run, so the driver does not preallocate them). */
#include <string.h>

#include "kernels.h"

jet_status jet__k_STOP_GRADIENT(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const size_t nb = jet_type_nbytes(&out[0].type);
  if (nb) memcpy(out[0].data, in[0].data, nb);
  return NULL;
}

jet_status jet__k_CONSTANT(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const jet_attr *a = jet_node_attr(node, "value");
  if (!a || a->kind != JET_ATTR_LITERAL) return jet__k_bad_attr(node, "value");
  const size_t nb = jet_type_nbytes(&out[0].type);
  if (a->u.lit.nbytes != nb || (nb && !a->u.lit.data))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "constant: literal has %zu bytes but the result needs %zu",
                           a->u.lit.nbytes, nb);
  if (nb) memcpy(out[0].data, a->u.lit.data, nb);
  return NULL;
}

/* Without a control block (cancellation, deadline and temp limit come from
 * the driver's jet__exec_call when it runs the node). */
jet_status jet__k_CALL(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return jet__exec_call(node, in, out, NULL);
}
