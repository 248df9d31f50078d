/* Shape and dtype inference, attribute checking and whole-graph validation
 * (shared/src/infer). Pure functions of their inputs; thread-safe. */
#ifndef JET_INFER_H
#define JET_INFER_H

#include "jet/graph.h"

/* Most results any op has (call is bounded by this too). */
#define JET_MAX_RESULTS 4096

/* Checks `attrs` against op's schema (unknown name, wrong kind, missing
 * required, duplicates) and infers the result types of op applied to
 * operands of the given types. On success writes *n_results types to
 * results (capacity results_cap). `callee` is the sub-graph of a call node
 * (NULL otherwise); a call with transforms is answered UNIMPLEMENTED naming
 * the first transform until the transforms are implemented. Errors are
 * INVALID_ARGUMENT (or UNIMPLEMENTED for reserved dtypes) with a message
 * naming the operand/attribute, e.g. "operand 1 has dtype i32 but operand 0
 * has f32"; callers prefix the node. */
jet_status jet_infer(jet_op op, const jet_type *operand_types, uint32_t n_operands,
                     const jet_attr *attrs, uint32_t n_attrs, const jet_graph *callee,
                     const jet_transform *transforms, uint32_t n_transforms,
                     jet_type *results, uint32_t results_cap, uint32_t *n_results) JET_MUST_USE;

/* Validates a complete graph (recursively into callees): parameter types,
 * operand ids (no forward references), attributes, result types equal to the
 * inferred ones, outputs defined, at least one output. When arg_types is
 * non-NULL they must equal the parameter types. Errors name the node:
 * "node 4 (add): ...". */
jet_status jet_graph_validate(const jet_graph *g, const jet_type *arg_types,
                              uint32_t n_args) JET_MUST_USE;

#endif
