/* The transforms stage: turns a validated graph plus the request's list of
 * transforms (grad, jvp, ...; innermost first) into the graph to compile.
 * Call nodes are inlined first (each callee after its own transforms), then
 * grad, value_and_grad, jvp, vjp, jacfwd, jacrev and hessian are applied by
 * the autodiff in ad/ (conventions in ad/ad.h) and vmap by the batching in
 * batch/ (batch/batch.h); pmap wraps the graph into one pmap node (pmap.h).
 * Errors are prefixed "transforms[i] (kind): ".
 * Pure function of its inputs; thread-safe. */
#ifndef JET_TRANSFORMS_H
#define JET_TRANSFORMS_H

#include "jet/graph.h"

/* Consumes g (a validated root graph) and returns in *out the transformed
 * root graph, which is g itself when there is nothing to do. On error g has
 * been destroyed and *out is NULL. */
jet_status jet_transforms_apply(jet_graph *g, const jet_transform *transforms, uint32_t n,
                                jet_graph **out) JET_MUST_USE;

/* Binds the argument types of a request (Compile's or TransformGraph's
 * arg_types: the arguments of the graph AFTER its transforms) to the
 * transform list. Without transforms they must equal g's parameters. With
 * transforms, the sizes of vmap and pmap axes that the request leaves open
 * (axis_size 0) are read from them — as JAX reads them from the arguments
 * — and written into tfs; then they must equal the transformed graph's
 * parameters. n_args == 0 binds nothing. Errors name the argument:
 * "arg_types[1]: expected f32[8,3] (parameter 1 after the transforms), got
 * f32[4,3]", or the vmap's own message for inconsistent sizes. */
jet_status jet_transforms_bind_args(const jet_graph *g, jet_transform *tfs, uint32_t n,
                                    const jet_type *args, uint32_t n_args) JET_MUST_USE;

#endif
