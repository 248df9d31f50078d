/* The transforms stage: turns a validated graph plus the request's list of
 * transforms (grad, vmap, ...; innermost first) into the graph to compile,
 * and does the same for the transforms attached to call nodes.
 *
 * Each transform kind gets its own file here as it is implemented; a kind
 * not implemented yet is answered UNIMPLEMENTED naming it. Pure function of
 * its inputs; thread-safe. */
#ifndef JET_TRANSFORMS_H
#define JET_TRANSFORMS_H

#include "jet/graph.h"

/* Consumes g (a validated root graph) and returns in *out the transformed
 * root graph, which is g itself when there is nothing to do. On error g has
 * been destroyed and *out is NULL. */
jet_status jet_transforms_apply(jet_graph *g, const jet_transform *transforms, uint32_t n,
                                jet_graph **out) JET_MUST_USE;

#endif
