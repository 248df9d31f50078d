/* Kernels of the collectives over a named axis (psum, pmax, pmin,
 * all_gather, psum_scatter, ppermute, all_to_all, axis_index). vmap's
 * batching rules replace every collective over its own axis_name; a pmap
 * member runs with its axis bound in the control block (jet_exec_ctl.axes),
 * and jet__exec_collective runs the node through that axis's communicator
 * (runtime/collective). Anything else names an unbound axis:
 * INVALID_ARGUMENT with JAX's text. The kernel-table entries (no control
 * block) always answer that. */
#include <stdio.h>
#include <string.h>

#include "collective/comm.h"
#include "kernels.h"

jet_status jet__k_unbound_axis(const jet_node *node, const char *const *bound, uint32_t n_bound) {
  const jet_attr *a = jet_node_attr(node, "axis_name");
  const char *name = a && a->kind == JET_ATTR_STR && a->u.s ? a->u.s : "";
  char list[512] = "[";
  size_t len = 1;
  for (uint32_t i = 0; i < n_bound && len + 8 < sizeof list; i++) {
    int w = snprintf(list + len, sizeof list - len, "%s'%s'", i ? ", " : "", bound[i]);
    if (w < 0 || (size_t)w >= sizeof list - len - 2) break;
    len += (size_t)w;
  }
  snprintf(list + len, sizeof list - len, "]");
  return jet_status_make(JET_INVALID_ARGUMENT,
                         "unbound axis name: %s. The following axis names (e.g. defined by pmap) "
                         "are available to collective operations: %s",
                         name, list);
}

#define COLLECTIVE_KERNEL(E)                                                          \
  jet_status jet__k_##E(const jet_node *node, const jet_buf *in, jet_buf *out) {      \
    (void)in, (void)out;                                                              \
    return jet__k_unbound_axis(node, NULL, 0);                                        \
  }

COLLECTIVE_KERNEL(PSUM)
COLLECTIVE_KERNEL(PMAX)
COLLECTIVE_KERNEL(PMIN)
COLLECTIVE_KERNEL(ALL_GATHER)
COLLECTIVE_KERNEL(PSUM_SCATTER)
COLLECTIVE_KERNEL(PPERMUTE)
COLLECTIVE_KERNEL(ALL_TO_ALL)
COLLECTIVE_KERNEL(AXIS_INDEX)

jet_status jet__exec_collective(const jet_node *node, const jet_buf *in, jet_buf *out,
                                const jet_exec_ctl *ctl) {
  const jet_attr *a = jet_node_attr(node, "axis_name");
  const char *name = a && a->kind == JET_ATTR_STR ? a->u.s : NULL;
  const jet_exec_axis *ax = jet_exec_find_axis(ctl, name);
  if (!ax || !ax->comm) {
    const char *names[16];
    uint32_t nb = 0;
    for (const jet_exec_axis *b = ctl ? ctl->axes : NULL; b && nb < 16; b = b->outer)
      names[nb++] = b->name ? b->name : "";
    return jet__k_unbound_axis(node, names, nb);
  }
  if (node->op == JET_OP_AXIS_INDEX) return jet_comm_axis_index(ax->comm, ax->rank, out);
  jet_comm_op op;
  memset(&op, 0, sizeof op);
  switch (node->op) {
    case JET_OP_PSUM: op.kind = JET_COMM_PSUM; break;
    case JET_OP_PMAX: op.kind = JET_COMM_PMAX; break;
    case JET_OP_PMIN: op.kind = JET_COMM_PMIN; break;
    case JET_OP_ALL_GATHER:
      op.kind = JET_COMM_ALL_GATHER;
      op.axis = (int32_t)jet_node_attr_int(node, "axis", 0);
      op.tiled = jet_node_attr_bool(node, "tiled", false);
      break;
    case JET_OP_PSUM_SCATTER:
      op.kind = JET_COMM_PSUM_SCATTER;
      op.axis = (int32_t)jet_node_attr_int(node, "scatter_dimension", 0);
      op.tiled = jet_node_attr_bool(node, "tiled", false);
      break;
    case JET_OP_PPERMUTE: {
      op.kind = JET_COMM_PPERMUTE;
      const jet_attr *p = jet_node_attr(node, "perm");
      if (p && p->kind == JET_ATTR_INTS) {
        op.perm = p->u.ints.v;
        op.n_pairs = p->u.ints.n / 2;
      }
      break;
    }
    case JET_OP_ALL_TO_ALL:
      op.kind = JET_COMM_ALL_TO_ALL;
      op.axis = (int32_t)jet_node_attr_int(node, "split_axis", 0);
      op.concat_axis = (int32_t)jet_node_attr_int(node, "concat_axis", 0);
      op.tiled = jet_node_attr_bool(node, "tiled", false);
      break;
    default:
      return jet_status_make(JET_INTERNAL, "%s is not a collective", jet_op_name(node->op));
  }
  const int64_t n = jet_node_attr_int(node, "axis_size", ax->size);
  if (n != (int64_t)ax->size)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s over axis '%s': axis_size=%lld but the axis has %u members",
                           jet_op_name(node->op), name, (long long)n, ax->size);
  return jet_comm_run(ax->comm, ax->rank, &op, in, out, ctl);
}
