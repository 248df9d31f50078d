/* The rebuild driver shared by the passes: a new root graph, the value map
 * of each graph level, node appends and the callee map (each distinct
 * source callee is cloned once, by running the pass on it; with
 * merge_callees, callees of equal content share one clone, so CSE can merge
 * calls of two copies of the same function). */
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes_internal.h"
#include "jet/hash.h"

static uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ull;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebull;
  x ^= x >> 31;
  return x;
}

jet_status jet__pass_run(const jet_graph *g, jet__pass_fn fn, bool merge_callees,
                         jet_graph **out) {
  *out = NULL;
  jet__pass p;
  memset(&p, 0, sizeof p);
  p.fn = fn;
  p.merge_callees = merge_callees;
  p.root = jet_graph_create(g->name);
  if (!p.root) return jet_status_oom("pass output graph");
  jet_status st = jet__htab_init(&p.by_ptr, 0);
  if (!st) st = jet__htab_init(&p.by_content, 0);
  if (!st) st = fn(&p, g, p.root);
  jet__htab_free(&p.by_ptr);
  jet__htab_free(&p.by_content);
  free(p.operands);
  if (st) {
    jet_graph_destroy(p.root);
    return st;
  }
  *out = p.root;
  return NULL;
}

jet_status jet__pass_begin(const jet_graph *src, jet_graph *dst, jet_value **map) {
  *map = malloc(sizeof(jet_value) * (src->n_values ? src->n_values : 1));
  if (!*map) return jet_status_oom("pass value map");
  for (uint32_t v = 0; v < src->n_values; v++) (*map)[v] = JET_NO_VALUE;
  for (uint32_t i = 0; i < src->n_params; i++) {
    jet_value v;
    jet_status st = jet_graph_add_param(dst, &src->value_types[i], &v);
    if (st) {
      free(*map);
      *map = NULL;
      return st;
    }
    (*map)[i] = v;
  }
  return NULL;
}

static bool remap(const jet_graph *src, const jet_value *map, jet_value v, jet_value *out) {
  if (v >= src->n_values || map[v] == JET_NO_VALUE) return false;
  *out = map[v];
  return true;
}

jet_status jet__pass_operands(jet__pass *p, const jet_graph *src, const jet_node *n,
                              const jet_value *map, const jet_value **ops) {
  *ops = NULL;
  if (!n->n_operands) return NULL;
  if (n->n_operands > p->cap_operands) {
    uint32_t cap = n->n_operands < 16 ? 16 : n->n_operands;
    jet_value *b = realloc(p->operands, sizeof(jet_value) * cap);
    if (!b) return jet_status_oom("pass operands");
    p->operands = b;
    p->cap_operands = cap;
  }
  for (uint32_t i = 0; i < n->n_operands; i++)
    if (!remap(src, map, n->operands[i], &p->operands[i]))
      return jet_status_make(JET_INTERNAL,
                             "graph '%s': node %u (%s) operand %u refers to value %u, which the "
                             "pass did not keep",
                             src->name, (uint32_t)(n - src->nodes), jet_op_name(n->op), i,
                             n->operands[i]);
  *ops = p->operands;
  return NULL;
}

jet_status jet__pass_callee(jet__pass *p, const jet_graph *src, jet_graph **out) {
  *out = NULL;
  if (!src) return NULL;
  uint64_t pk = mix64((uint64_t)(uintptr_t)src);
  for (size_t i = jet__htab_first(&p->by_ptr, pk); i != SIZE_MAX;
       i = jet__htab_next(&p->by_ptr, pk, i))
    if (p->by_ptr.slots[i].a == (uintptr_t)src) {
      *out = (jet_graph *)p->by_ptr.slots[i].b;
      return NULL;
    }
  jet_graph *clone = NULL;
  uint64_t ck = 0;
  if (p->merge_callees) {
    jet_hash h = jet_graph_hash(src, NULL, 0, NULL, 0);
    memcpy(&ck, h.bytes, sizeof ck);
    for (size_t i = jet__htab_first(&p->by_content, ck); i != SIZE_MAX && !clone;
         i = jet__htab_next(&p->by_content, ck, i))
      if (jet__graph_equal((const jet_graph *)p->by_content.slots[i].a, src))
        clone = (jet_graph *)p->by_content.slots[i].b;
  }
  if (!clone) {
    /* Every clone is a child of the new root: it lives in the root's arena,
     * which is all a callee needs. */
    clone = jet_graph_create_child(p->root, src->name);
    if (!clone) return jet_status_oom("callee graph");
    JET_RETURN_IF_ERROR(jet_status_annotate(p->fn(p, src, clone), "callee '%s': ", src->name));
    if (p->merge_callees)
      JET_RETURN_IF_ERROR(
          jet__htab_add(&p->by_content, ck, (uintptr_t)src, (uintptr_t)clone));
  }
  JET_RETURN_IF_ERROR(jet__htab_add(&p->by_ptr, pk, (uintptr_t)src, (uintptr_t)clone));
  *out = clone;
  return NULL;
}

jet_status jet__pass_subgraphs(jet__pass *p, const jet_node *n, jet_graph *const **out) {
  *out = NULL;
  if (!n->n_subgraphs) return NULL;
  jet_graph **subs = jet_arena_calloc(p->root->arena, n->n_subgraphs, sizeof *subs);
  if (!subs) return jet_status_oom("sub-graph clones");
  for (uint32_t k = 0; k < n->n_subgraphs; k++)
    JET_RETURN_IF_ERROR(jet__pass_callee(p, n->subgraphs[k], &subs[k]));
  *out = subs;
  return NULL;
}

jet_status jet__pass_append(jet_graph *dst, const jet_node *n, const jet_value *ops,
                            jet_graph *callee, jet_graph *const *subs, jet_value *map) {
  if (n->n_subgraphs && !subs)
    return jet_status_make(JET_INTERNAL, "pass: %s node appended without its sub-graphs",
                           jet_op_name(n->op));
  jet_value first;
  JET_RETURN_IF_ERROR(jet_graph_append_node_sub(dst, n->op, ops, n->n_operands, n->attrs,
                                                n->n_attrs, n->results, n->n_results, callee,
                                                subs, n->n_subgraphs, n->transforms,
                                                n->n_transforms, &first));
  for (uint32_t r = 0; r < n->n_results; r++) map[n->first_result + r] = first + r;
  return NULL;
}

jet_status jet__pass_end(const jet_graph *src, jet_graph *dst, const jet_value *map) {
  if (!src->n_outputs) return jet_graph_set_outputs(dst, NULL, 0);
  jet_value *outs = malloc(sizeof(jet_value) * src->n_outputs);
  if (!outs) return jet_status_oom("pass outputs");
  jet_status st = NULL;
  for (uint32_t i = 0; i < src->n_outputs && !st; i++)
    if (!remap(src, map, src->outputs[i], &outs[i]))
      st = jet_status_make(JET_INTERNAL,
                           "graph '%s': output %u refers to value %u, which the pass did not keep",
                           src->name, i, src->outputs[i]);
  if (!st) st = jet_graph_set_outputs(dst, outs, src->n_outputs);
  free(outs);
  return st;
}
