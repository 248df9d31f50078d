/* Kernels of the collectives over a named axis (psum, pmax, pmin,
 * all_gather, psum_scatter, ppermute, all_to_all, axis_index). A graph run
 * by the reference executor is not mapped over any named axis (vmap's
 * batching rules replace every collective over its own axis_name; pmap is
 * not implemented), so a collective that reaches a kernel names an unbound
 * axis: INVALID_ARGUMENT with JAX's text. */
#include "kernels.h"

jet_status jet__k_unbound_axis(const jet_node *node) {
  const jet_attr *a = jet_node_attr(node, "axis_name");
  const char *name = a && a->kind == JET_ATTR_STR && a->u.s ? a->u.s : "";
  return jet_status_make(JET_INVALID_ARGUMENT,
                         "unbound axis name: %s. The following axis names (e.g. defined by pmap) "
                         "are available to collective operations: []",
                         name);
}

#define COLLECTIVE_KERNEL(E)                                                          \
  jet_status jet__k_##E(const jet_node *node, const jet_buf *in, jet_buf *out) {      \
    (void)in, (void)out;                                                              \
    return jet__k_unbound_axis(node);                                                 \
  }

COLLECTIVE_KERNEL(PSUM)
COLLECTIVE_KERNEL(PMAX)
COLLECTIVE_KERNEL(PMIN)
COLLECTIVE_KERNEL(ALL_GATHER)
COLLECTIVE_KERNEL(PSUM_SCATTER)
COLLECTIVE_KERNEL(PPERMUTE)
COLLECTIVE_KERNEL(ALL_TO_ALL)
COLLECTIVE_KERNEL(AXIS_INDEX)
