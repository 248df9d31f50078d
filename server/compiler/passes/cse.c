/* Common-subexpression elimination by hash-consing, in one forward sweep:
 * each node's key is (op, operands after remapping, attributes in canonical
 * name order with their values, literal bytes, result types, callee clone,
 * transforms). A node whose key matches an already copied node (checked by
 * full comparison, not by hash alone) is not copied; its results map to that
 * node's results. All ops are pure, so any two such nodes compute the same
 * values. Callees are cleaned by CSE too, and callees of equal content share
 * one clone (so two calls of copies of one function merge). O(N) expected:
 * one hash-table probe per node. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "compiler/passes/passes.h"
#include "compiler/passes/passes_internal.h"
#include "jet/strbuf.h"

static void put(jet_strbuf *k, const void *p, size_t n) { jet_strbuf_append(k, p, n); }
static void put_u32(jet_strbuf *k, uint32_t v) { put(k, &v, sizeof v); }
static void put_u64(jet_strbuf *k, uint64_t v) { put(k, &v, sizeof v); }

static void put_str(jet_strbuf *k, const char *s) {
  size_t n = s ? strlen(s) : 0;
  put_u64(k, n);
  put(k, s, n);
}

static void put_type(jet_strbuf *k, const jet_type *t) {
  put_u32(k, (uint32_t)t->dtype);
  put_u32(k, (uint32_t)t->rank);
  for (int32_t i = 0; i < t->rank && i < JET_MAX_RANK; i++) put_u64(k, (uint64_t)t->dims[i]);
}

static void put_attr(jet_strbuf *k, const jet_attr *a) {
  put_str(k, a->name);
  put_u32(k, (uint32_t)a->kind);
  switch (a->kind) {
    case JET_ATTR_INT: put_u64(k, (uint64_t)a->u.i); break;
    case JET_ATTR_INTS:
      put_u32(k, a->u.ints.n);
      if (a->u.ints.n) put(k, a->u.ints.v, sizeof(int64_t) * a->u.ints.n);
      break;
    case JET_ATTR_FLOAT: put(k, &a->u.f, sizeof a->u.f); break;
    case JET_ATTR_BOOL: put_u32(k, a->u.b ? 1u : 0u); break;
    case JET_ATTR_DTYPE: put_u32(k, (uint32_t)a->u.dtype); break;
    case JET_ATTR_STR: put_str(k, a->u.s); break;
    case JET_ATTR_LITERAL:
      put_type(k, &a->u.lit.type);
      put_u64(k, a->u.lit.nbytes);
      put_u64(k, a->u.lit.nbytes && a->u.lit.data ? XXH3_64bits(a->u.lit.data, a->u.lit.nbytes)
                                                  : 0);
      break;
  }
}

/* The key bytes of a candidate node; its hash is the table key. */
static void node_key(jet_strbuf *k, const jet_node *n, const jet_value *ops,
                     const jet_graph *callee, jet_graph *const *subs) {
  k->len = 0;
  put_u32(k, (uint32_t)n->op);
  put_u32(k, n->n_operands);
  if (n->n_operands) put(k, ops, sizeof(jet_value) * n->n_operands);
  put_u32(k, n->n_attrs);
  uint32_t ai = UINT32_MAX;
  for (uint32_t i = 0; i < n->n_attrs; i++) {
    ai = jet__attr_next(n->attrs, n->n_attrs, ai);
    put_attr(k, &n->attrs[ai]);
  }
  put_u32(k, n->n_results);
  for (uint32_t r = 0; r < n->n_results; r++) put_type(k, &n->results[r]);
  put_u64(k, (uint64_t)(uintptr_t)callee);
  put_u32(k, n->n_subgraphs);
  for (uint32_t s = 0; s < n->n_subgraphs; s++) put_u64(k, (uint64_t)(uintptr_t)subs[s]);
  put_u32(k, n->n_transforms);
  for (uint32_t t = 0; t < n->n_transforms; t++) put_u32(k, (uint32_t)n->transforms[t].kind);
}

/* Does the candidate (source node n with remapped operands and cloned
 * callee) compute the same as node d already in the output graph? */
static bool same_subs(const jet_node *n, jet_graph *const *subs, const jet_node *d) {
  if (n->n_subgraphs != d->n_subgraphs) return false;
  for (uint32_t s = 0; s < n->n_subgraphs; s++)
    if (subs[s] != d->subgraphs[s]) return false;
  return true;
}

static bool same_node(const jet_node *n, const jet_value *ops, const jet_graph *callee,
                      jet_graph *const *subs, const jet_node *d) {
  return n->op == d->op && n->n_operands == d->n_operands && n->n_results == d->n_results &&
         callee == d->callee && same_subs(n, subs, d) &&
         (!n->n_operands || memcmp(ops, d->operands, sizeof(jet_value) * n->n_operands) == 0) &&
         jet__types_equal(n->results, d->results, n->n_results) &&
         jet__attrs_equal(n->attrs, n->n_attrs, d->attrs, d->n_attrs) &&
         jet__transforms_equal(n->transforms, n->n_transforms, d->transforms, d->n_transforms);
}

static jet_status cse_node(jet__pass *p, const jet_graph *src, const jet_node *n, jet_graph *dst,
                           jet__htab *table, jet_strbuf *key, jet_value *map) {
  const jet_value *ops;
  jet_graph *callee;
  /* The callee first: cloning it reuses the operand scratch. */
  JET_RETURN_IF_ERROR(jet__pass_callee(p, n->callee, &callee));
  jet_graph *const *subs;
  JET_RETURN_IF_ERROR(jet__pass_subgraphs(p, n, &subs));
  JET_RETURN_IF_ERROR(jet__pass_operands(p, src, n, map, &ops));
  node_key(key, n, ops, callee, subs);
  JET_RETURN_IF_ERROR(jet_strbuf_status(key));
  uint64_t h = XXH3_64bits(key->data, key->len);
  for (size_t i = jet__htab_first(table, h); i != SIZE_MAX; i = jet__htab_next(table, h, i)) {
    const jet_node *d = &dst->nodes[table->slots[i].a];
    if (same_node(n, ops, callee, subs, d)) {
      for (uint32_t r = 0; r < n->n_results; r++) map[n->first_result + r] = d->first_result + r;
      return NULL;
    }
  }
  uint32_t index = dst->n_nodes;
  JET_RETURN_IF_ERROR(jet__pass_append(dst, n, ops, callee, subs, map));
  return jet__htab_add(table, h, index, 0);
}

static jet_status cse_graph(jet__pass *p, const jet_graph *src, jet_graph *dst) {
  jet__htab table;
  JET_RETURN_IF_ERROR(jet__htab_init(&table, src->n_nodes));
  jet_strbuf key;
  jet_strbuf_init(&key);
  jet_value *map = NULL;
  jet_status st = jet__pass_begin(src, dst, &map);
  for (uint32_t n = 0; n < src->n_nodes && !st; n++)
    st = cse_node(p, src, &src->nodes[n], dst, &table, &key, map);
  if (!st) st = jet__pass_end(src, dst, map);
  free(map);
  jet_strbuf_free(&key);
  jet__htab_free(&table);
  return st;
}

jet_status jet_pass_cse(const jet_graph *g, jet_graph **out) {
  return jet__pass_run(g, cse_graph, true, out);
}
