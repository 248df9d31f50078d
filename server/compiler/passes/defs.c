/* What defines a value of a graph being built: its node, the literal of a
 * constant, an ints attribute (shared by canon, constfold and dotfold). */
#include "compiler/passes/passes_internal.h"

const jet_node *jet__def_node(const jet_graph *g, jet_value v) {
  if (v >= g->n_values || g->value_node[v] < 0) return NULL;
  const jet_node *n = &g->nodes[g->value_node[v]];
  return n->n_transforms || n->callee || n->n_subgraphs ? NULL : n;
}

const jet_literal *jet__const_literal(const jet_node *n) {
  if (!n || n->op != JET_OP_CONSTANT || n->n_results != 1) return NULL;
  const jet_attr *a = jet_node_attr(n, "value");
  if (!a || a->kind != JET_ATTR_LITERAL) return NULL;
  const jet_literal *l = &a->u.lit;
  if (l->nbytes != jet_type_nbytes(&l->type) || (l->nbytes && !l->data)) return NULL;
  return l;
}

const int64_t *jet__ints_attr(const jet_node *n, const char *name, uint32_t *len) {
  static const int64_t none[1] = {0};
  *len = 0;
  const jet_attr *a = jet_node_attr(n, name);
  if (!a || a->kind != JET_ATTR_INTS) return NULL;
  *len = a->u.ints.n;
  return a->u.ints.v ? a->u.ints.v : none;
}
