/* The ir stage: request pieces from the wire to validated IR, under the
 * daemon's request limits. Errors name the field ("graph.nodes[3]: ...",
 * "arg_types[1]: ..."); a request over a limit is RESOURCE_EXHAUSTED naming
 * the limit and its config key. Thread-safe. */
#ifndef JET_IR_DECODE_H
#define JET_IR_DECODE_H

#include <stdint.h>

#include "jet/graph.h"
#include "jet/v1/jet.pb-c.h"

/* Deepest nesting of call-node callees and sub-graphs accepted. */
#define JET_IR_MAX_CALL_DEPTH 64

/* Counts the nodes of pb including all callees and control-flow sub-graphs
 * (cond branches), refuses more than max_nodes (0 = no limit) or callees /
 * sub-graphs nested deeper than JET_IR_MAX_CALL_DEPTH, then
 * decodes and validates it. A missing graph is INVALID_ARGUMENT naming
 * `field`. *out is a new root graph. */
jet_status jet_ir_decode_graph(const Jet__V1__Graph *pb, const char *field, uint64_t max_nodes,
                               jet_graph **out) JET_MUST_USE;

/* Decodes arg_types (n may be 0: *out = NULL), each checked as a type
 * ("arg_types[1]: ..."). Whether they fit the graph is the transforms
 * stage's check (jet_transforms_bind_args): they are the arguments of the
 * graph after its transforms. */
jet_status jet_ir_decode_arg_types(Jet__V1__TensorType *const *pb, size_t n, jet_arena *arena,
                                   jet_type **out) JET_MUST_USE;

/* Decodes a transform list ("transforms[i]") into arena-allocated values. */
jet_status jet_ir_decode_transforms(Jet__V1__Transform *const *pb, size_t n, jet_arena *arena,
                                    jet_transform **out) JET_MUST_USE;

#endif
