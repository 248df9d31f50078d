/* The pmap transform (JAX's jax.pmap): wraps a graph g into a new root
 * graph holding ONE `pmap` node (shared/include/jet/ops.def) whose body is
 * a copy of g. The new graph's parameters are g's with the mapped axis (of
 * the transform's axis_size) inserted at each mapped in_axis; its outputs
 * are the pmap node's results (stacked at each int out_axis; None = member
 * 0's output). Types and messages come from jet_vmap_signature
 * (shared/src/infer/transform_vmap.c), shared with the call rule. Pure
 * function; thread-safe. */
#ifndef JET_TRANSFORMS_PMAP_H
#define JET_TRANSFORMS_PMAP_H

#include "jet/graph.h"

/* The axis name a pmap transform without axis_name binds (nothing can
 * refer to it). */
#define JET_PMAP_DEFAULT_AXIS_NAME "_pmap"

/* *out is a new root graph (caller destroys); g is not modified. The
 * transform's axis_size must be set (jet_transforms_bind_args reads it from
 * Compile's arg_types): otherwise "pmap needs axis_size here". */
jet_status jet_transforms_pmap(const jet_graph *g, const jet_transform *t,
                               jet_graph **out) JET_MUST_USE;

#endif
