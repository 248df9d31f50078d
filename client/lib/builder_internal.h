/* Internals of jet_builder shared by builder.c and builder_ops.c. */
#ifndef JET_BUILDER_INTERNAL_H
#define JET_BUILDER_INTERNAL_H

#include "jet/jet.h"

struct jet_builder {
  jet_graph *g;
  jet_status err; /* the first error, NULL if none */
};

/* Records st (prefixed with "fn: ") as the builder's error unless one is
 * recorded already (then st is freed). NULL st does nothing. */
void jet__builder_fail(jet_builder *b, const char *fn, jet_status st);
/* false (recording an error for a JET_NO_VALUE operand) when the builder
 * cannot take another node. */
bool jet__builder_ok(jet_builder *b, const char *fn, const jet_value *args, size_t n);
/* Adds one node through jet_graph_add_node, recording errors under fn. */
jet_value jet__builder_node(jet_builder *b, const char *fn, jet_op op, const jet_value *args,
                            size_t n, const jet_attr *attrs, size_t n_attrs, jet_graph *callee,
                            const jet_transform *tf, size_t n_tf);

#endif
