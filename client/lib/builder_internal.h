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

/* Attribute values for the builders' nodes (names and data are borrowed:
 * jet_graph_add_node copies them). An empty int list points at a dummy
 * element, never NULL. */
static inline jet_attr jet__attr_int(const char *name, int64_t i) {
  jet_attr a = {0};
  a.name = name;
  a.kind = JET_ATTR_INT;
  a.u.i = i;
  return a;
}
static inline jet_attr jet__attr_ints(const char *name, const int64_t *v, size_t n) {
  static const int64_t none[1] = {0};
  jet_attr a = {0};
  a.name = name;
  a.kind = JET_ATTR_INTS;
  a.u.ints.v = (n && v) ? v : none;
  a.u.ints.n = (uint32_t)n;
  return a;
}
static inline jet_attr jet__attr_bool(const char *name, bool v) {
  jet_attr a = {0};
  a.name = name;
  a.kind = JET_ATTR_BOOL;
  a.u.b = v;
  return a;
}
static inline jet_attr jet__attr_dtype(const char *name, jet_dtype d) {
  jet_attr a = {0};
  a.name = name;
  a.kind = JET_ATTR_DTYPE;
  a.u.dtype = d;
  return a;
}
static inline jet_attr jet__attr_str(const char *name, const char *str) {
  jet_attr a = {0};
  a.name = name;
  a.kind = JET_ATTR_STR;
  a.u.s = str;
  return a;
}

#endif
