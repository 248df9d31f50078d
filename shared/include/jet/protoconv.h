/* Conversion between the graph IR / array types and the protobuf-c messages
 * of proto/jet/v1/jet.proto. Decoding checks everything that comes from the
 * wire and names the field in its errors ("graph.nodes[3].operands[1]:
 * value 9 is not defined before node 3"). Thread-safe. */
#ifndef JET_PROTOCONV_H
#define JET_PROTOCONV_H

#include "jet/graph.h"
#include "jet/v1/jet.pb-c.h"

/* Wire type -> jet_type, checked with jet_type_check; `field` names it. */
jet_status jet_type_from_proto(const Jet__V1__TensorType *pb, const char *field,
                               jet_type *out) JET_MUST_USE;
/* jet_type -> wire type; dims are allocated from `arena`. */
jet_status jet_type_to_proto(const jet_type *t, jet_arena *arena,
                             Jet__V1__TensorType *out) JET_MUST_USE;

/* Checks an inline array (type valid, data length == nbytes) and returns
 * its type and a borrowed pointer to its data. */
jet_status jet_array_from_proto(const Jet__V1__Array *pb, const char *field, jet_type *type,
                                const void **data) JET_MUST_USE;
/* Fills *out, pointing at `data` (borrowed, not copied); dims from arena. */
jet_status jet_array_to_proto(const jet_type *type, const void *data, jet_arena *arena,
                              Jet__V1__Array *out) JET_MUST_USE;

/* Decodes and validates (jet_graph_validate) a graph. *out is a new root
 * graph the caller destroys. */
jet_status jet_graph_from_proto(const Jet__V1__Graph *pb, jet_graph **out) JET_MUST_USE;
/* Encodes a graph; every allocation comes from `arena` so one
 * jet_arena_destroy frees the message. */
jet_status jet_graph_to_proto(const jet_graph *g, jet_arena *arena,
                              Jet__V1__Graph **out) JET_MUST_USE;

/* Transforms both ways (decode checks ranges and names the field). */
jet_status jet_transform_from_proto(const Jet__V1__Transform *pb, const char *field,
                                    jet_arena *arena, jet_transform *out) JET_MUST_USE;
jet_status jet_transform_to_proto(const jet_transform *t, jet_arena *arena,
                                  Jet__V1__Transform *out) JET_MUST_USE;

/* A ProtobufCAllocator that allocates from an arena (free is a no-op), for
 * unpacking requests without per-field frees. */
ProtobufCAllocator jet_arena_protobuf_allocator(jet_arena *arena);

#endif
