/* Control-flow cleanup, in one forward sweep per graph level:
 *
 * - Merging: a scan or cond node A whose operands and attributes equal
 *   those of a later node B of the same op, and whose sub-graphs equal B's
 *   except that A's outputs are a prefix of B's, computes a prefix of B's
 *   results. B is emitted at A's place (its operands are A's, so they are
 *   defined there) and A's results map to B's first ones. This is how the
 *   forward scan that reverse-mode AD adds (it stacks each step's incoming
 *   carry after the primal results) absorbs the primal scan: the loop runs
 *   once.
 * - Pruning: a stacked output (ys) of a scan or a result of a cond that no
 *   node and no graph output reads is dropped from the node and from its
 *   sub-graphs' outputs, so DCE then removes the work inside the body that
 *   only fed it (e.g. the cotangent of xs when only the weights'
 *   gradient is wanted). Carried values are always kept (the next
 *   iteration reads them); while loops are left alone.
 *
 * Sub-graphs are cleaned by the same pass first (nested loops too). */
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes.h"
#include "compiler/passes/passes_internal.h"

static bool mergeable_op(jet_op op) { return op == JET_OP_SCAN || op == JET_OP_COND; }

/* a and b have equal parameters and nodes, and a's outputs are a prefix of
 * b's. */
static bool graph_prefix(const jet_graph *a, const jet_graph *b) {
  if (a == b) return true;
  if (a->n_outputs > b->n_outputs || a->n_params != b->n_params || a->n_nodes != b->n_nodes)
    return false;
  for (uint32_t i = 0; i < a->n_outputs; i++)
    if (a->outputs[i] != b->outputs[i]) return false;
  /* Equal apart from outputs: compare with b's outputs cut to a's count. */
  jet_graph cut = *b;
  cut.n_outputs = a->n_outputs;
  return jet__graph_equal(a, &cut);
}

/* Node a computes a prefix of node b's results. */
static bool node_prefix(const jet_node *a, const jet_node *b) {
  if (a->op != b->op || !mergeable_op(a->op) || a->n_operands != b->n_operands ||
      a->n_results > b->n_results || a->n_subgraphs != b->n_subgraphs)
    return false;
  if (memcmp(a->operands, b->operands, sizeof(jet_value) * a->n_operands) != 0) return false;
  /* Attributes by value, defaults included (reverse=false = no reverse). */
  if (a->op == JET_OP_SCAN) {
    static const char *const ints[] = {"n_consts", "n_carry", "length"};
    for (size_t k = 0; k < 3; k++)
      if (jet_node_attr_int(a, ints[k], 0) != jet_node_attr_int(b, ints[k], 0)) return false;
    if (jet_node_attr_bool(a, "reverse", false) != jet_node_attr_bool(b, "reverse", false))
      return false;
  } else if (!jet__attrs_equal(a->attrs, a->n_attrs, b->attrs, b->n_attrs)) {
    return false;
  }
  for (uint32_t k = 0; k < a->n_subgraphs; k++)
    if (!graph_prefix(a->subgraphs[k], b->subgraphs[k])) return false;
  return true;
}

/* The first result of `n` that may be pruned: scan keeps its carries. */
static uint32_t first_prunable(const jet_node *n) {
  if (n->op == JET_OP_SCAN) return (uint32_t)jet_node_attr_int(n, "n_carry", 0);
  if (n->op == JET_OP_COND) return 0;
  return n->n_results;
}

/* Appends node n (operands ops, cloned sub-graphs subs) keeping only the
 * results with keep[r]: each sub-graph's outputs are cut the same way
 * (in copies). Maps the kept results through map[n->first_result + r]. */
static jet_status append_pruned(jet__pass *p, jet_graph *dst, const jet_node *n,
                                const jet_value *ops, jet_graph *const *subs, const bool *keep,
                                jet_value *map) {
  uint32_t nk = 0;
  for (uint32_t r = 0; r < n->n_results; r++) nk += keep[r];
  if (nk == n->n_results) return jet__pass_append(dst, n, ops, NULL, subs, map);
  if (nk == 0) { /* nothing reads it: leave it out */
    for (uint32_t r = 0; r < n->n_results; r++) map[n->first_result + r] = JET_NO_VALUE;
    return NULL;
  }
  jet_type *res = malloc(sizeof *res * (nk ? nk : 1));
  jet_value *outs = malloc(sizeof *outs * (n->n_results ? n->n_results : 1));
  jet_graph **cut = jet_arena_calloc(p->root->arena, n->n_subgraphs, sizeof *cut);
  jet_value *own = malloc(sizeof *own * (n->n_operands ? n->n_operands : 1));
  jet_status st = res && outs && cut && own ? NULL : jet_status_oom("pruned control node");
  if (!st) memcpy(own, ops, sizeof *own * n->n_operands); /* the scratch may be reused */
  for (uint32_t r = 0, j = 0; !st && r < n->n_results; r++)
    if (keep[r]) res[j++] = n->results[r];
  for (uint32_t k = 0; !st && k < n->n_subgraphs; k++) {
    const jet_graph *s = subs[k];
    cut[k] = jet_graph_create_child(p->root, s->name);
    st = cut[k] ? jet_graph_copy_into(cut[k], s, 0) : jet_status_oom("pruned sub-graph");
    uint32_t no = 0;
    for (uint32_t o = 0; !st && o < s->n_outputs; o++)
      if (o >= n->n_results || keep[o]) outs[no++] = s->outputs[o];
    if (!st) st = jet_graph_set_outputs(cut[k], outs, no);
  }
  jet_value first = JET_NO_VALUE;
  if (!st)
    st = jet_graph_append_node_sub(dst, n->op, own, n->n_operands, n->attrs, n->n_attrs, res, nk,
                                   NULL, cut, n->n_subgraphs, NULL, 0, &first);
  for (uint32_t r = 0, j = 0; !st && r < n->n_results; r++)
    map[n->first_result + r] = keep[r] ? first + j++ : JET_NO_VALUE;
  free(res);
  free(outs);
  free(own);
  return st;
}

typedef struct sweep {
  const jet_graph *src;
  bool *used;        /* [n_values]: read by a node or an output */
  uint32_t *absorb;  /* [n_nodes]: the later node emitted in its place, or UINT32_MAX */
  uint32_t *emitted; /* [n_nodes]: node whose results already stand for this one, or UINT32_MAX */
} sweep;

static jet_status sweep_init(sweep *w, const jet_graph *src) {
  w->src = src;
  w->used = calloc(src->n_values ? src->n_values : 1, sizeof *w->used);
  w->absorb = malloc(sizeof *w->absorb * (src->n_nodes ? src->n_nodes : 1));
  w->emitted = malloc(sizeof *w->emitted * (src->n_nodes ? src->n_nodes : 1));
  if (!w->used || !w->absorb || !w->emitted) return jet_status_oom("control pass tables");
  for (uint32_t i = 0; i < src->n_outputs; i++)
    if (src->outputs[i] < src->n_values) w->used[src->outputs[i]] = true;
  for (uint32_t n = 0; n < src->n_nodes; n++) {
    const jet_node *node = &src->nodes[n];
    for (uint32_t k = 0; k < node->n_operands; k++)
      if (node->operands[k] < src->n_values) w->used[node->operands[k]] = true;
    w->absorb[n] = w->emitted[n] = UINT32_MAX;
  }
  /* Merges: each mergeable node absorbed by the first later superset not
   * already taken (quadratic in the number of such nodes, which is small). */
  for (uint32_t a = 0; a < src->n_nodes; a++) {
    if (!mergeable_op(src->nodes[a].op) || w->emitted[a] != UINT32_MAX) continue;
    for (uint32_t b = a + 1; b < src->n_nodes; b++)
      if (w->emitted[b] == UINT32_MAX && w->absorb[b] == UINT32_MAX &&
          node_prefix(&src->nodes[a], &src->nodes[b])) {
        w->absorb[a] = b;
        w->emitted[b] = a;
        break;
      }
  }
  return NULL;
}

static void sweep_free(sweep *w) {
  free(w->used);
  free(w->absorb);
  free(w->emitted);
}

/* Copies node index i of the source (or the node absorbing it). */
static jet_status copy_node(jet__pass *p, sweep *w, uint32_t i, jet_graph *dst, jet_value *map) {
  const jet_graph *src = w->src;
  const jet_node *n = &src->nodes[i];
  /* Already emitted at the place of the node it absorbed (and mapped). */
  if (w->emitted[i] != UINT32_MAX && w->absorb[w->emitted[i]] == i) return NULL;
  const uint32_t b = w->absorb[i];
  const jet_node *e = b != UINT32_MAX ? &src->nodes[b] : n; /* the node emitted */
  jet_graph *callee;
  JET_RETURN_IF_ERROR(jet__pass_callee(p, e->callee, &callee));
  jet_graph *const *subs;
  JET_RETURN_IF_ERROR(jet__pass_subgraphs(p, e, &subs));
  const jet_value *ops;
  JET_RETURN_IF_ERROR(jet__pass_operands(p, src, e, map, &ops));
  if (!mergeable_op(e->op) || e->n_transforms || callee)
    return jet__pass_append(dst, e, ops, callee, subs, map);
  bool stack_keep[8];
  bool *keep = e->n_results <= 8 ? stack_keep : malloc(e->n_results * sizeof *keep);
  if (!keep) return jet_status_oom("control pass marks");
  const uint32_t p0 = first_prunable(e);
  for (uint32_t r = 0; r < e->n_results; r++) {
    keep[r] = r < p0 || w->used[e->first_result + r];
    if (b != UINT32_MAX && r < n->n_results && w->used[n->first_result + r]) keep[r] = true;
  }
  jet_status st = append_pruned(p, dst, e, ops, subs, keep, map);
  if (!st && b != UINT32_MAX)
    for (uint32_t r = 0; r < n->n_results; r++) map[n->first_result + r] = map[e->first_result + r];
  if (keep != stack_keep) free(keep);
  return st;
}

static jet_status control_graph(jet__pass *p, const jet_graph *src, jet_graph *dst) {
  sweep w;
  memset(&w, 0, sizeof w);
  jet_value *map = NULL;
  jet_status st = sweep_init(&w, src);
  if (!st) st = jet__pass_begin(src, dst, &map);
  for (uint32_t i = 0; i < src->n_nodes && !st; i++) st = copy_node(p, &w, i, dst, map);
  if (!st) st = jet__pass_end(src, dst, map);
  free(map);
  sweep_free(&w);
  return st;
}

jet_status jet_pass_control(const jet_graph *g, jet_graph **out) {
  return jet__pass_run(g, control_graph, false, out);
}
