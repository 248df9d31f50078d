/* The transforms stage: turns a validated graph plus the request's list of
 * transforms (grad, jvp, ...; innermost first) into the graph to compile.
 * Call nodes are inlined first (each callee after its own transforms), then
 * grad, value_and_grad, jvp, vjp, jacfwd, jacrev and hessian are applied by
 * the autodiff in ad/ (conventions in ad/ad.h) and vmap by the batching in
 * batch/ (batch/batch.h); pmap is answered UNIMPLEMENTED naming it. Errors are prefixed "transforms[i] (kind): ".
 * Pure function of its inputs; thread-safe. */
#ifndef JET_TRANSFORMS_H
#define JET_TRANSFORMS_H

#include "jet/graph.h"

/* Consumes g (a validated root graph) and returns in *out the transformed
 * root graph, which is g itself when there is nothing to do. On error g has
 * been destroyed and *out is NULL. */
jet_status jet_transforms_apply(jet_graph *g, const jet_transform *transforms, uint32_t n,
                                jet_graph **out) JET_MUST_USE;

#endif
