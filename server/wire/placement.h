/* Placement decisions of the RPCs (placement.c). */
#ifndef JET_WIRE_PLACEMENT_H
#define JET_WIRE_PLACEMENT_H

#include <stdint.h>

#include "jet/graph.h"
#include "jet/arena.h"
#include "runtime/store.h"

struct Jet__V1__Placement;

/* The device of a, or of each block of a sharded one (arrays in arena
 * memory). */
jet_status jet__placement_to_proto(const jet_buffer *a, jet_arena *arena,
                                   struct Jet__V1__Placement *out) JET_MUST_USE;

/* The device an Execute of root graph g runs on and puts its unsharded
 * outputs: the device its handle arguments (held[i], NULL for inline) are
 * committed to, 0 when none is. Sharded and inline arguments follow the
 * computation. Two committed arguments on different devices are
 * INVALID_ARGUMENT naming both, unless g holds a pmap (which reads its
 * arguments wherever they are, as JAX's pmap moves them). */
jet_status jet__exec_device(const jet_graph *g, jet_buffer *const *held, uint32_t n,
                            uint32_t *device) JET_MUST_USE;

/* When output o of g is a result of a pmap node mapped along axis 0 (one
 * block per member, in member order), the member count (>= 2) with the
 * members' devices in devices[JET_MAX_SHARDS]; else 0 (one device). */
uint32_t jet__output_shards(const jet_graph *g, uint32_t o, uint32_t *devices);

#endif
