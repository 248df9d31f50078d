/* The graph IR: SSA programs over arrays (JAX's jaxprs), shared by the server
 * and the clients.
 *
 * Value numbering: parameters are values 0..n_params-1; every node, in
 * order, defines n_results new values numbered consecutively after the
 * previous node's. Operands refer only to earlier values, so the node list is
 * always in topological order.
 *
 * Memory: a graph owns an arena; every node, attribute, literal, transform
 * and sub-graph hangs off the root graph's arena and is freed by one
 * jet_graph_destroy of the root. Sub-graphs (callees of "call" nodes,
 * branches of "cond" nodes in jet_node.subgraphs) are created with
 * jet_graph_create_child and must not be destroyed alone.
 *
 * Thread safety: a graph being built is single-threaded; a finished graph is
 * immutable and may be read from any number of threads.
 */
#ifndef JET_GRAPH_H
#define JET_GRAPH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet/arena.h"
#include "jet/ops.h"
#include "jet/status.h"
#include "jet/transform.h"
#include "jet/type.h"

typedef uint32_t jet_value;
#define JET_NO_VALUE UINT32_MAX

/* Constant data (attribute kind JET_ATTR_LITERAL). nbytes must equal
 * jet_type_nbytes(&type); data is little-endian row-major. */
typedef struct jet_literal {
  jet_type type;
  const void *data;
  size_t nbytes;
} jet_literal;

typedef struct jet_attr {
  const char *name;
  jet_attr_kind kind;
  union {
    int64_t i;
    struct {
      const int64_t *v;
      uint32_t n;
    } ints;
    double f;
    bool b;
    jet_dtype dtype;
    const char *s;
    jet_literal lit;
  } u;
} jet_attr;

typedef struct jet_graph jet_graph;

typedef struct jet_node {
  jet_op op;
  uint32_t n_operands;
  const jet_value *operands;
  uint32_t n_attrs;
  const jet_attr *attrs;
  uint32_t n_results;
  const jet_type *results;
  jet_value first_result; /* value id of results[0] */
  /* op == JET_OP_CALL only: */
  jet_graph *callee;
  uint32_t n_transforms;
  const jet_transform *transforms;
  /* Structured control flow (op == JET_OP_COND: the branches): the node's
   * sub-graphs, in order. Each is a child graph in the root's arena (like
   * callee); n_subgraphs == 0 and subgraphs == NULL for every other op. */
  uint32_t n_subgraphs;
  jet_graph *const *subgraphs;
} jet_node;

struct jet_graph {
  jet_arena *arena;     /* the root's arena, shared by children */
  jet_graph *parent;    /* NULL for the root */
  const char *name;     /* never NULL ("" when unnamed) */
  uint32_t n_params;
  uint32_t n_nodes;
  jet_node *nodes;
  uint32_t n_values;
  jet_type *value_types; /* [n_values] */
  int32_t *value_node;   /* [n_values]: defining node index, -1 = parameter */
  uint32_t n_outputs;
  jet_value *outputs;
  uint32_t cap_nodes, cap_values; /* internal */
};

/* Creates an empty root graph; NULL on out-of-memory. */
jet_graph *jet_graph_create(const char *name);
/* Creates an empty sub-graph living in parent's arena; NULL on OOM. */
jet_graph *jet_graph_create_child(jet_graph *parent, const char *name);
/* Frees a root graph and everything in it. NULL is allowed. */
void jet_graph_destroy(jet_graph *g);

/* Adds a parameter. Parameters must all be added before the first node.
 * The type is checked (jet_type_check). */
jet_status jet_graph_add_param(jet_graph *g, const jet_type *t, jet_value *out) JET_MUST_USE;

/* Adds a node after checking it: operand ids defined earlier, attributes
 * against the op's schema, and result types inferred by the shape rules
 * (jet_infer). Copies operands, attributes (names, int lists, strings and
 * literal data) and transforms into the graph's arena. `callee` (call only)
 * must be a child of g (or of one of g's ancestors' arena). On success
 * *out_first (may be NULL) gets the first result's value id. Errors name the
 * node by index and op. */
jet_status jet_graph_add_node(jet_graph *g, jet_op op, const jet_value *operands,
                              uint32_t n_operands, const jet_attr *attrs, uint32_t n_attrs,
                              jet_graph *callee, const jet_transform *transforms,
                              uint32_t n_transforms, jet_value *out_first) JET_MUST_USE;

/* Like jet_graph_add_node but takes the result types as given, unchecked
 * (used by decoders, which run jet_graph_validate afterwards). Copies as
 * above. */
jet_status jet_graph_append_node(jet_graph *g, jet_op op, const jet_value *operands,
                                 uint32_t n_operands, const jet_attr *attrs, uint32_t n_attrs,
                                 const jet_type *results, uint32_t n_results, jet_graph *callee,
                                 const jet_transform *transforms, uint32_t n_transforms,
                                 jet_value *out_first) JET_MUST_USE;

/* Sub-graph variants (structured control flow, e.g. cond's branches):
 * like jet_graph_add_node / jet_graph_append_node, plus the node's list of
 * sub-graphs subgraphs[0..n_subgraphs) (the array is copied into the arena,
 * the graphs are not: each must be a child graph living in g's root arena).
 * The shape rule sees the sub-graphs (jet_infer_sub). */
jet_status jet_graph_add_node_sub(jet_graph *g, jet_op op, const jet_value *operands,
                                  uint32_t n_operands, const jet_attr *attrs, uint32_t n_attrs,
                                  jet_graph *const *subgraphs, uint32_t n_subgraphs,
                                  jet_value *out_first) JET_MUST_USE;
jet_status jet_graph_append_node_sub(jet_graph *g, jet_op op, const jet_value *operands,
                                     uint32_t n_operands, const jet_attr *attrs, uint32_t n_attrs,
                                     const jet_type *results, uint32_t n_results,
                                     jet_graph *callee, jet_graph *const *subgraphs,
                                     uint32_t n_subgraphs, const jet_transform *transforms,
                                     uint32_t n_transforms, jet_value *out_first) JET_MUST_USE;

/* Sets the outputs (copied). Every id must be a defined value. */
jet_status jet_graph_set_outputs(jet_graph *g, const jet_value *outs, uint32_t n) JET_MUST_USE;

/* Deep-copies src (params, nodes with their attributes, transforms, callee
 * and control-flow sub-graphs, outputs) into the empty graph dst; result
 * types are taken as they are. Sub-graphs nested more than max_depth levels
 * deep (0 = no limit) are INVALID_ARGUMENT "call nesting deeper than N
 * levels". */
jet_status jet_graph_copy_into(jet_graph *dst, const jet_graph *src, uint32_t max_depth)
    JET_MUST_USE;

/* Type of a value; NULL for an undefined id. */
const jet_type *jet_graph_value_type(const jet_graph *g, jet_value v);

/* Finds an attribute by name; NULL when absent. */
const jet_attr *jet_attr_find(const jet_attr *attrs, uint32_t n, const char *name);
const jet_attr *jet_node_attr(const jet_node *node, const char *name);
/* Convenience getters returning `dflt` when the attribute is absent. */
int64_t jet_node_attr_int(const jet_node *node, const char *name, int64_t dflt);
bool jet_node_attr_bool(const jet_node *node, const char *name, bool dflt);

/* Total node count including all callee and control-flow sub-graphs,
 * recursively (saturates at UINT32_MAX). */
uint32_t jet_graph_total_nodes(const jet_graph *g);

#endif
