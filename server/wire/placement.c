/* Where arrays live, for the RPCs that answer or decide it: the Placement
 * message of PutArray, GetArray and Execute results, the device an Execute
 * runs on (its committed arguments' device) and which outputs of a pmap
 * stay sharded across the pmap's devices. */
#include <stdio.h>

#include "jet/v1/jet.pb-c.h"
#include "wire/call.h"
#include "wire/placement.h"

jet_status jet__placement_to_proto(const jet_buffer *a, jet_arena *arena,
                                   Jet__V1__Placement *out) {
  jet__v1__placement__init(out);
  const uint32_t n = a->n_shards ? a->n_shards : 1;
  uint32_t *d = jet_arena_calloc(arena, n, sizeof(uint32_t));
  if (!d) return jet_status_oom("placement");
  for (uint32_t k = 0; k < n; k++) d[k] = a->n_shards ? a->shards[k]->device : a->device;
  out->n_devices = n;
  out->devices = d;
  return NULL;
}

static bool has_pmap(const jet_graph *g) {
  for (uint32_t i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].op == JET_OP_PMAP) return true;
  return false;
}

jet_status jet__exec_device(const jet_graph *g, jet_buffer *const *held, uint32_t n,
                            uint32_t *device) {
  *device = 0;
  int32_t first = -1;
  for (uint32_t i = 0; i < n; i++) {
    const jet_buffer *a = held[i];
    if (!a || a->n_shards) continue; /* inline and sharded arguments are not committed */
    if (first < 0) {
      first = (int32_t)i;
      *device = a->device;
    } else if (a->device != *device && !has_pmap(g)) { /* the graph is read only then */
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "args[%u]: incompatible devices for the computation: args[%d] is "
                             "on device %u but args[%u] on device %u; the arrays of one "
                             "execution must be on one device (PutArray them there)",
                             i, first, *device, i, a->device);
    }
  }
  return NULL;
}

uint32_t jet__output_shards(const jet_graph *g, uint32_t o, uint32_t *devices) {
  const jet_value v = g->outputs[o];
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *nd = &g->nodes[i];
    if (v < nd->first_result || v >= nd->first_result + nd->n_results) continue;
    if (nd->op != JET_OP_PMAP) return 0;
    const jet_attr *oa = jet_node_attr(nd, "out_axes"), *dv = jet_node_attr(nd, "devices");
    const int64_t size = jet_node_attr_int(nd, "axis_size", 0);
    const uint32_t j = v - nd->first_result;
    if (!oa || oa->kind != JET_ATTR_INTS || j >= oa->u.ints.n || oa->u.ints.v[j] != 0) return 0;
    if (size < 2 || size > JET_MAX_SHARDS) return 0;
    if (dv && (dv->kind != JET_ATTR_INTS || dv->u.ints.n != (uint32_t)size)) return 0;
    for (uint32_t m = 0; m < (uint32_t)size; m++) devices[m] = dv ? (uint32_t)dv->u.ints.v[m] : m;
    return (uint32_t)size;
  }
  return 0;
}
