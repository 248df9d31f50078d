/* Transposes folded into dot_general: one forward sweep rewrites
 *
 *   dot_general(transpose(x, perm), y)   (and the same for the rhs)
 *
 * into dot_general(x, y) with that operand's contracting and batch
 * dimension numbers mapped through the permutation (operand dim d is x's
 * dim perm[d]), when the permutation keeps the order of the operand's free
 * (neither contracting nor batch) dimensions: then they appear in x in the
 * same order, the output dims (batch, lhs free, rhs free) are the same, and
 * every output element is the same sum of the same products, paired the
 * same way (contracting and batch lists keep their order). For example,
 * with x : [K, M],
 *
 *   dot_general[lhs_contracting=[1], rhs_contracting=[0]](transpose[permutation=[1, 0]](x), y)
 *   -> dot_general[lhs_contracting=[0], rhs_contracting=[0]](x, y).
 *
 * When the free dims would come out in another order (e.g. a transpose of a
 * rank-3 operand swapping two free dims) the node is kept. Integer results
 * are bit-identical; float results are the same sums, which the matmul
 * (OpenBLAS in the reference kernel) may add in another order for the other
 * layout, as it may for any layout change. Both operands are handled
 * independently; the transposes themselves are left for DCE (they stay when
 * something else reads them). Nodes with transforms or a callee are never
 * rewritten; callees are handled the same way.
 *
 * Also a transpose of a dot_general's result (its only use) that swaps the
 * lhs free dims with the rhs free dims, batch dims first and each group in
 * order, is the dot with its operands swapped (what reverse-mode autodiff
 * produces for the gradient of a weight matrix):
 *
 *   transpose[permutation=[1, 0]](dot_general[lhs_c=[1], rhs_c=[0]](a, b))
 *   -> dot_general[lhs_c=[0], rhs_c=[1]](b, a).
 *
 * The same products, summed in the matmul's order for that layout.
 * O(nodes * rank). */
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes.h"
#include "compiler/passes/passes_internal.h"

static const char *const contracting_name[2] = {"lhs_contracting_dimensions",
                                                "rhs_contracting_dimensions"};
static const char *const batch_name[2] = {"lhs_batch_dimensions", "rhs_batch_dimensions"};

/* New dimension numbers of one side. */
typedef struct side {
  bool folded;
  jet_value x;
  int64_t c[JET_MAX_RANK], b[JET_MAX_RANK];
} side;

static bool in_list(const int64_t *v, uint32_t n, int64_t d) {
  for (uint32_t i = 0; i < n; i++)
    if (v[i] == d) return true;
  return false;
}

/* Can operand s of dot node n (operand value v in dst) drop its transpose? */
static bool fold_side(const jet_graph *dst, const jet_node *n, int s, jet_value v, side *out) {
  out->folded = false;
  const jet_node *t = jet__def_node(dst, v);
  if (!t || t->op != JET_OP_TRANSPOSE || t->n_operands != 1) return false;
  const jet_type *xt = jet_graph_value_type(dst, t->operands[0]);
  uint32_t rank, nc, nb;
  const int64_t *perm = jet__ints_attr(t, "permutation", &rank);
  const int64_t *c = jet__ints_attr(n, contracting_name[s], &nc);
  const int64_t *b = jet__ints_attr(n, batch_name[s], &nb);
  if (!perm || !c || !xt || rank != (uint32_t)xt->rank || rank > JET_MAX_RANK || nc > rank ||
      nb > rank)
    return false;
  for (uint32_t i = 0; i < rank; i++)
    if (perm[i] < 0 || perm[i] >= (int64_t)rank) return false;
  int64_t last = -1;
  for (uint32_t d = 0; d < rank; d++) {
    if (in_list(c, nc, d) || (b && in_list(b, nb, d))) continue;
    if (perm[d] < last) return false; /* the free dims would change order */
    last = perm[d];
  }
  for (uint32_t i = 0; i < nc; i++) {
    if (c[i] < 0 || c[i] >= (int64_t)rank) return false;
    out->c[i] = perm[c[i]];
  }
  for (uint32_t i = 0; i < nb; i++) {
    if (b[i] < 0 || b[i] >= (int64_t)rank) return false;
    out->b[i] = perm[b[i]];
  }
  out->x = t->operands[0];
  out->folded = true;
  return true;
}

/* Appends the rewritten dot to dst; *v gets its value. */
static jet_status add_dot(jet_graph *dst, const jet_node *n, const side *sd, const jet_value *ops,
                          jet_value *v) {
  jet_attr attrs[JET_MAX_OP_ATTRS];
  if (n->n_attrs > JET_MAX_OP_ATTRS)
    return jet_status_make(JET_INTERNAL, "dotfold: dot_general with %u attributes", n->n_attrs);
  memcpy(attrs, n->attrs, sizeof(jet_attr) * n->n_attrs);
  for (uint32_t i = 0; i < n->n_attrs; i++)
    for (int s = 0; s < 2; s++) {
      if (!sd[s].folded || attrs[i].kind != JET_ATTR_INTS) continue;
      if (strcmp(attrs[i].name, contracting_name[s]) == 0) attrs[i].u.ints.v = sd[s].c;
      if (strcmp(attrs[i].name, batch_name[s]) == 0) attrs[i].u.ints.v = sd[s].b;
    }
  jet_value x[2] = {sd[0].folded ? sd[0].x : ops[0], sd[1].folded ? sd[1].x : ops[1]};
  return jet_graph_add_node(dst, JET_OP_DOT_GENERAL, x, 2, attrs, n->n_attrs, NULL, NULL, 0, v);
}

/* transpose(dot_general(a, b)) -> dot_general(b, a) when perm is
 * (batch, rhs free, lhs free); *v gets the new dot, or JET_NO_VALUE. */
static jet_status fold_transposed_dot(jet_graph *dst, const jet_node *t, jet_value op,
                                      jet_value *v) {
  *v = JET_NO_VALUE;
  const jet_node *d = jet__def_node(dst, op);
  if (!d || d->op != JET_OP_DOT_GENERAL || d->n_operands != 2 || d->callee || d->n_transforms)
    return NULL;
  if (d->n_attrs > JET_MAX_OP_ATTRS) return NULL;
  uint32_t rank, nlc, nrc, nlb = 0, nrb = 0;
  const int64_t *perm = jet__ints_attr(t, "permutation", &rank);
  const int64_t *lc = jet__ints_attr(d, contracting_name[0], &nlc);
  const int64_t *rc = jet__ints_attr(d, contracting_name[1], &nrc);
  const int64_t *lb = jet__ints_attr(d, batch_name[0], &nlb);
  const int64_t *rb = jet__ints_attr(d, batch_name[1], &nrb);
  if (!lb) nlb = 0;
  if (!rb) nrb = 0;
  const jet_type *at = jet_graph_value_type(dst, d->operands[0]);
  const jet_type *bt = jet_graph_value_type(dst, d->operands[1]);
  if (!perm || !lc || !rc || !at || !bt || nlc != nrc || nlb != nrb) return NULL;
  const int64_t nb = nlb, nlf = at->rank - nlb - nlc, nrf = bt->rank - nrb - nrc;
  if (nlf <= 0 || nrf <= 0 || (int64_t)rank != nb + nlf + nrf) return NULL;
  for (int64_t i = 0; i < (int64_t)rank; i++) {
    const int64_t want = i < nb ? i : i < nb + nrf ? nb + nlf + (i - nb) : nb + (i - nb - nrf);
    if (perm[i] != want) return NULL;
  }
  jet_attr attrs[JET_MAX_OP_ATTRS];
  memcpy(attrs, d->attrs, sizeof(jet_attr) * d->n_attrs);
  for (uint32_t i = 0; i < d->n_attrs; i++) {
    if (attrs[i].kind != JET_ATTR_INTS) continue;
    for (int s = 0; s < 2; s++) {
      const char *other = NULL;
      if (strcmp(d->attrs[i].name, contracting_name[s]) == 0) other = contracting_name[1 - s];
      if (strcmp(d->attrs[i].name, batch_name[s]) == 0) other = batch_name[1 - s];
      if (!other) continue;
      uint32_t n = 0;
      const int64_t *ov = jet__ints_attr(d, other, &n);
      attrs[i].u.ints.v = ov;
      attrs[i].u.ints.n = ov ? n : 0;
    }
  }
  const jet_value x[2] = {d->operands[1], d->operands[0]};
  return jet_graph_add_node(dst, JET_OP_DOT_GENERAL, x, 2, attrs, d->n_attrs, NULL, NULL, 0, v);
}

static jet_status dotfold_node(jet__pass *p, const jet_graph *src, const jet_node *n,
                               jet_graph *dst, jet_value *map, const uint32_t *uses) {
  const jet_value *ops;
  jet_graph *callee;
  /* The callee first: cloning it reuses the operand scratch. */
  JET_RETURN_IF_ERROR(jet__pass_callee(p, n->callee, &callee));
  jet_graph *const *subs;
  JET_RETURN_IF_ERROR(jet__pass_subgraphs(p, n, &subs));
  JET_RETURN_IF_ERROR(jet__pass_operands(p, src, n, map, &ops));
  if (n->op == JET_OP_DOT_GENERAL && !callee && !n->n_transforms && n->n_operands == 2 &&
      n->n_results == 1) {
    side sd[2];
    bool l = fold_side(dst, n, 0, ops[0], &sd[0]);
    bool r = fold_side(dst, n, 1, ops[1], &sd[1]);
    if (l || r) {
      jet_value v;
      uint32_t index = (uint32_t)(n - src->nodes);
      JET_RETURN_IF_ERROR(jet_status_annotate(add_dot(dst, n, sd, ops, &v),
                                              "dotfold: node %u (dot_general): ", index));
      if (!jet_type_equal(jet_graph_value_type(dst, v), &n->results[0]))
        return jet_status_make(JET_INTERNAL,
                               "dotfold: node %u (dot_general): the folded dot has another type",
                               index);
      map[n->first_result] = v;
      return NULL;
    }
  }
  if (n->op == JET_OP_TRANSPOSE && !callee && !n->n_transforms && n->n_operands == 1 &&
      uses[n->operands[0]] == 1) {
    jet_value v;
    uint32_t index = (uint32_t)(n - src->nodes);
    JET_RETURN_IF_ERROR(jet_status_annotate(fold_transposed_dot(dst, n, ops[0], &v),
                                            "dotfold: node %u (transpose): ", index));
    if (v != JET_NO_VALUE) {
      if (!jet_type_equal(jet_graph_value_type(dst, v), &n->results[0]))
        return jet_status_make(JET_INTERNAL,
                               "dotfold: node %u (transpose): the swapped dot has another type",
                               index);
      map[n->first_result] = v;
      return NULL;
    }
  }
  return jet__pass_append(dst, n, ops, callee, subs, map);
}

static jet_status dotfold_graph(jet__pass *p, const jet_graph *src, jet_graph *dst) {
  jet_value *map = NULL;
  /* uses of each value (outputs count): a dot read elsewhere keeps its layout */
  uint32_t *uses = calloc(src->n_values ? src->n_values : 1, sizeof *uses);
  if (!uses) return jet_status_oom("dotfold");
  for (uint32_t n = 0; n < src->n_nodes; n++)
    for (uint32_t k = 0; k < src->nodes[n].n_operands; k++) uses[src->nodes[n].operands[k]]++;
  for (uint32_t o = 0; o < src->n_outputs; o++) uses[src->outputs[o]]++;
  jet_status st = jet__pass_begin(src, dst, &map);
  for (uint32_t n = 0; n < src->n_nodes && !st; n++)
    st = dotfold_node(p, src, &src->nodes[n], dst, map, uses);
  if (!st) st = jet__pass_end(src, dst, map);
  free(map);
  free(uses);
  return st;
}

jet_status jet_pass_dotfold(const jet_graph *g, jet_graph **out) {
  return jet__pass_run(g, dotfold_graph, false, out);
}
