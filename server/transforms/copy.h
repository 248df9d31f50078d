/* Deep copy of a graph (with its callee sub-graphs and transforms) into a
 * fresh root graph, for transforms that consume their input
 * (jet_transforms_apply) while the source must stay intact. Pure function;
 * thread-safe. */
#ifndef JET_TRANSFORMS_COPY_H
#define JET_TRANSFORMS_COPY_H

#include "jet/graph.h"

/* *out is a new root graph equal to src (caller destroys); src may be a
 * root or a sub-graph. */
jet_status jet_transforms_copy_graph(const jet_graph *src, jet_graph **out) JET_MUST_USE;

#endif
