/* Constant folding: one forward sweep evaluates nodes whose operands are all
 * constants and replaces each by a constant node holding its result.
 *
 * A node is folded when:
 * - it has at least one operand and one result, no callee and no
 *   transforms (calls are never folded), and is not a constant, an iota (a
 *   lone iota stays: it is as cheap to generate as to load) or a
 *   broadcast_in_dim (see below);
 * - every operand is defined by a constant node or an iota in the graph
 *   being built (so chains fold in one sweep: a folded node is a constant
 *   for the nodes after it);
 * - the result and every operand have at most JET_FOLD_MAX_ELEMS (4096)
 *   elements, and a dot_general needs at most JET_FOLD_MAX_MACS (65536)
 *   multiply-adds: the work per fold stays small and bounded.
 *
 * Broadcasts are never expanded into literals: fusion handles a
 * broadcast_in_dim better than a large literal, and a folded broadcast
 * would make the cleaned graph's shape depend on the array sizes (a vmapped
 * graph would clean to another node count at batch size 10 than at 1000).
 * Instead, an elementwise node (unary, binary, comparison, select, clamp,
 * convert) whose operands are all rank-0 constants or broadcast_in_dim of
 * rank-0 constants, at least one of them a broadcast, is evaluated on the
 * scalars and becomes broadcast_in_dim(constant scalar) of its result
 * shape: an elementwise op of broadcast scalars is the broadcast of the op
 * of the scalars, element for element, at any size.
 *
 * The value is what the reference executor computes: the node's kernel
 * (jet_exec_kernel) runs on the operands' values (themselves evaluated by
 * the constant and iota kernels) in buffers from jet_mem_alloc, which are
 * freed once the result is copied into the new constant's literal. So a
 * folded graph gives results bit-identical to the original on the
 * reference executor. A kernel error (the kernels fail only on malformed
 * nodes) leaves the node as it is. Operands bypassed by a fold are left for
 * DCE. Callees are folded the same way. O(nodes) plus the folded nodes'
 * work, which the bounds above cap. */
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes.h"
#include "compiler/passes/passes_internal.h"
#include "exec.h"
#include "mem.h"

#define JET_FOLD_MAX_ELEMS 4096
#define JET_FOLD_MAX_MACS 65536

/* The inference rule of every op (ops.def), to tell the elementwise ones. */
static const char *const op_rule[JET_OP_COUNT] = {
#define JET_OP(E, name, nopnd, rule, dtm, attrs) [JET_OP_##E] = #rule,
#include "jet/ops.def"
#undef JET_OP
};

static bool is_elementwise(jet_op op) {
  static const char *const rules[] = {"unary",   "unary_to_bool", "binary", "compare",
                                      "select",  "clamp",         "convert"};
  const char *r = (unsigned)op < (unsigned)JET_OP_COUNT ? op_rule[op] : NULL;
  for (size_t i = 0; r && i < sizeof rules / sizeof rules[0]; i++)
    if (strcmp(r, rules[i]) == 0) return true;
  return false;
}

static bool is_constant_def(const jet_node *d) {
  return d && d->n_results == 1 && (d->op == JET_OP_CONSTANT || d->op == JET_OP_IOTA);
}

/* Multiply-adds of a dot_general with result type rt and lhs type lt. */
static int64_t dot_macs(const jet_node *n, const jet_type *lt, const jet_type *rt) {
  uint32_t nc;
  const int64_t *c = jet__ints_attr(n, "lhs_contracting_dimensions", &nc);
  int64_t k = 1;
  for (uint32_t i = 0; c && i < nc; i++) {
    if (c[i] < 0 || c[i] >= lt->rank) return INT64_MAX;
    k *= lt->dims[c[i]];
    if (k > JET_FOLD_MAX_MACS) return INT64_MAX;
  }
  return k * jet_type_numel(rt);
}

/* Is node n (operands ops, in dst) one to fold? */
static bool foldable(const jet_graph *dst, const jet_node *n, const jet_value *ops) {
  if (n->callee || n->n_subgraphs || n->n_transforms || n->n_results != 1 || !n->n_operands)
    return false;
  if (n->op == JET_OP_CALL || n->op == JET_OP_CONSTANT || n->op == JET_OP_IOTA ||
      n->op == JET_OP_BROADCAST_IN_DIM)
    return false;
  /* A collective's value depends on the other members, not only on its
   * operand: never folded. */
  if (jet_op_is_collective(n->op) || !jet_exec_kernel(n->op)) return false;
  if (jet_type_numel(&n->results[0]) > JET_FOLD_MAX_ELEMS) return false;
  for (uint32_t i = 0; i < n->n_operands; i++) {
    if (!is_constant_def(jet__def_node(dst, ops[i]))) return false;
    if (jet_type_numel(jet_graph_value_type(dst, ops[i])) > JET_FOLD_MAX_ELEMS) return false;
  }
  if (n->op == JET_OP_DOT_GENERAL &&
      dot_macs(n, jet_graph_value_type(dst, ops[0]), &n->results[0]) > JET_FOLD_MAX_MACS)
    return false;
  return true;
}

/* A fresh buffer of type t; false on out-of-memory. */
static bool alloc_buf(jet_buf *b, const jet_type *t) {
  b->type = *t;
  b->data = jet_mem_alloc(jet_type_nbytes(t));
  return b->data != NULL;
}

/* Evaluates n with operand i the value of defs[i] (a constant or an iota)
 * and result type *rt into *out (allocated here; NULL data when a kernel
 * failed). Errors are out-of-memory only. */
static jet_status evaluate(const jet_node *n, const jet_node *const *defs, const jet_type *rt,
                           jet_buf *out) {
  jet_buf in[8], *ins = in;
  out->data = NULL;
  if (n->n_operands > 8) {
    ins = calloc(n->n_operands, sizeof *ins);
    if (!ins) return jet_status_oom("constfold: operands");
  } else {
    memset(in, 0, sizeof in);
  }
  jet_status st = NULL;
  bool failed = false;
  for (uint32_t i = 0; i < n->n_operands && !st && !failed; i++) {
    if (!alloc_buf(&ins[i], &defs[i]->results[0])) {
      st = jet_status_oom("constfold: operand value");
      break;
    }
    jet_status ks = jet_exec_kernel(defs[i]->op)(defs[i], NULL, &ins[i]);
    if (ks) {
      jet_status_free(ks);
      failed = true;
    }
  }
  if (!st && !failed) {
    if (!alloc_buf(out, rt)) {
      st = jet_status_oom("constfold: result");
    } else {
      jet_node m = *n; /* the node with result type rt */
      m.results = rt;
      jet_status ks = jet_exec_kernel(n->op)(&m, ins, out);
      if (ks) {
        jet_status_free(ks);
        jet_mem_free(out->data);
        out->data = NULL;
      }
    }
  }
  for (uint32_t i = 0; i < n->n_operands; i++) jet_mem_free(ins[i].data);
  if (ins != in) free(ins);
  return st;
}

/* Appends constant[value=result] to dst; *v gets its value. */
static jet_status add_constant(jet_graph *dst, const jet_buf *r, jet_value *v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = "value";
  a.kind = JET_ATTR_LITERAL;
  a.u.lit.type = r->type;
  a.u.lit.data = r->data;
  a.u.lit.nbytes = jet_type_nbytes(&r->type);
  return jet_graph_add_node(dst, JET_OP_CONSTANT, NULL, 0, &a, 1, NULL, NULL, 0, v);
}

/* The rank-0 constant behind v: v's own definition, or the operand of the
 * broadcast_in_dim defining v (*bcast set); NULL when neither. */
static const jet_node *scalar_constant(const jet_graph *dst, jet_value v, bool *bcast) {
  const jet_node *d = jet__def_node(dst, v);
  *bcast = d && d->op == JET_OP_BROADCAST_IN_DIM;
  if (*bcast) d = jet__def_node(dst, d->operands[0]);
  const jet_literal *l = jet__const_literal(d);
  return l && l->type.rank == 0 ? d : NULL;
}

/* How to evaluate n: 1 = fold (defs[i] = operand i's constant or iota),
 * 2 = elementwise over broadcast scalars (defs[i] = operand i's rank-0
 * constant), 0 = not at all. defs has n->n_operands entries. */
static int plan(const jet_graph *dst, const jet_node *n, const jet_value *ops,
                const jet_node **defs) {
  if (foldable(dst, n, ops)) {
    for (uint32_t i = 0; i < n->n_operands; i++) defs[i] = jet__def_node(dst, ops[i]);
    return 1;
  }
  if (n->callee || n->n_subgraphs || n->n_transforms || n->n_results != 1 || !n->n_operands ||
      !is_elementwise(n->op) || !jet_exec_kernel(n->op))
    return 0;
  bool any_bcast = false;
  for (uint32_t i = 0; i < n->n_operands; i++) {
    bool b;
    defs[i] = scalar_constant(dst, ops[i], &b);
    if (!defs[i]) return 0;
    any_bcast = any_bcast || b;
  }
  return any_bcast ? 2 : 0;
}

/* Appends broadcast_in_dim(s) of type *t to dst; *v gets its value. */
static jet_status add_broadcast(jet_graph *dst, jet_value s, const jet_type *t, jet_value *v) {
  jet_attr a[2];
  memset(a, 0, sizeof a);
  a[0].name = "shape";
  a[0].kind = JET_ATTR_INTS;
  a[0].u.ints.v = t->dims;
  a[0].u.ints.n = (uint32_t)t->rank;
  a[1].name = "broadcast_dimensions";
  a[1].kind = JET_ATTR_INTS;
  return jet_graph_add_node(dst, JET_OP_BROADCAST_IN_DIM, &s, 1, a, 2, NULL, NULL, 0, v);
}

static jet_status fold_node(jet__pass *p, const jet_graph *src, const jet_node *n,
                            jet_graph *dst, jet_value *map) {
  const jet_value *ops;
  jet_graph *callee;
  /* The callee first: cloning it reuses the operand scratch. */
  JET_RETURN_IF_ERROR(jet__pass_callee(p, n->callee, &callee));
  jet_graph *const *subs;
  JET_RETURN_IF_ERROR(jet__pass_subgraphs(p, n, &subs));
  JET_RETURN_IF_ERROR(jet__pass_operands(p, src, n, map, &ops));
  const jet_node *few[8], **defs = few;
  if (n->n_operands > 8) {
    defs = malloc(sizeof *defs * n->n_operands);
    if (!defs) return jet_status_oom("constfold: operand definitions");
  }
  int kind = callee || subs ? 0 : plan(dst, n, ops, defs);
  jet_buf r = {.data = NULL};
  jet_status st = NULL;
  if (kind) {
    jet_type scalar = jet_type_scalar(n->results[0].dtype);
    st = evaluate(n, defs, kind == 1 ? &n->results[0] : &scalar, &r);
  }
  if (defs != few) free(defs);
  bool folded = !st && r.data;
  if (folded) {
    jet_value v;
    st = add_constant(dst, &r, &v);
    if (!st && kind == 2) st = add_broadcast(dst, v, &n->results[0], &v);
    if (!st && !jet_type_equal(jet_graph_value_type(dst, v), &n->results[0]))
      st = jet_status_make(JET_INTERNAL, "the folded value has another type");
    if (!st) map[n->first_result] = v;
  }
  jet_mem_free(r.data);
  if (st || folded)
    return jet_status_annotate(st, "constfold: node %u (%s): ", (uint32_t)(n - src->nodes),
                               jet_op_name(n->op));
  return jet__pass_append(dst, n, ops, callee, subs, map);
}

static jet_status fold_graph(jet__pass *p, const jet_graph *src, jet_graph *dst) {
  jet_value *map = NULL;
  jet_status st = jet__pass_begin(src, dst, &map);
  for (uint32_t n = 0; n < src->n_nodes && !st; n++)
    st = fold_node(p, src, &src->nodes[n], dst, map);
  if (!st) st = jet__pass_end(src, dst, map);
  free(map);
  return st;
}

jet_status jet_pass_constfold(const jet_graph *g, jet_graph **out) {
  return jet__pass_run(g, fold_graph, false, out);
}
