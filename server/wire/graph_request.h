/* The pieces that Compile and TransformGraph share: a request's graph,
 * argument types and transforms, decoded (ir/) and bound together
 * (transforms/), and a reply's graph text. */
#ifndef JET_WIRE_GRAPH_REQUEST_H
#define JET_WIRE_GRAPH_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "jet/arena.h"
#include "jet/graph.h"
#include "jet/v1/jet.pb-c.h"

/* Decodes graph (field "graph", at most max_nodes nodes), then arg_types,
 * then transforms, and binds the arguments to the transforms
 * (jet_transforms_bind_args). On success *g is a new root graph (caller
 * destroys); *args and *tfs live in arena. On error *g is NULL. */
jet_status jet__wire_decode_graph_request(const Jet__V1__Graph *graph, uint64_t max_nodes,
                                          Jet__V1__TensorType *const *arg_types, size_t n_args,
                                          Jet__V1__Transform *const *transforms, size_t n_tfs,
                                          jet_arena *arena, jet_graph **g, jet_type **args,
                                          jet_transform **tfs) JET_MUST_USE;

/* *out = the text form of g (jet_graph_print), in arena; an allocation
 * failure is RESOURCE_EXHAUSTED naming `what` ("Compile text"). */
jet_status jet__wire_graph_text(const jet_graph *g, jet_arena *arena, const char *what,
                                char **out) JET_MUST_USE;

#endif
