/* Internal machinery shared by the cleanup passes (not for use outside
 * server/compiler/passes).
 *
 * Every pass rebuilds: it copies the kept nodes of a source graph into a new
 * root graph, level by level, through a value map (source value id -> new
 * value id). Call nodes stay one node each; their callees are cloned into
 * the new root's arena by running the same pass on them (so callees are
 * cleaned too), once per distinct callee. Control-flow sub-graphs (cond's
 * branches) are cloned the same way (jet__pass_subgraphs).
 *
 * - rebuild.c: the driver (jet__pass_run), parameters, node appends,
 *   outputs and the callee map;
 * - equal.c: structural equality of attributes (canonical name order),
 *   literals, types, transforms and whole graphs; the canonical attribute
 *   order;
 * - htab.c: a small open-addressing multimap from 64-bit keys to pairs of
 *   words, used for the CSE table and the callee maps;
 * - defs.c: what defines a value of a graph being built (its node, the
 *   literal of a constant, an ints attribute). */
#ifndef JET_COMPILER_PASSES_INTERNAL_H
#define JET_COMPILER_PASSES_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet/graph.h"

/* ---- htab.c ---- */

typedef struct jet__htab_slot {
  uint64_t key;
  uintptr_t a, b;
  bool used;
} jet__htab_slot;

typedef struct jet__htab {
  jet__htab_slot *slots;
  size_t cap; /* power of two, or 0 */
  size_t n;
} jet__htab;

/* Sizes the table for about `expect` entries (may be 0). */
jet_status jet__htab_init(jet__htab *t, size_t expect) JET_MUST_USE;
void jet__htab_free(jet__htab *t);
/* Adds an entry (keys may repeat). */
jet_status jet__htab_add(jet__htab *t, uint64_t key, uintptr_t a, uintptr_t b) JET_MUST_USE;
/* Entries with `key`: i = jet__htab_first(t, key); while (i != SIZE_MAX) {
 * ... t->slots[i] ...; i = jet__htab_next(t, key, i); } */
size_t jet__htab_first(const jet__htab *t, uint64_t key);
size_t jet__htab_next(const jet__htab *t, uint64_t key, size_t i);

/* ---- equal.c ---- */

/* The k-th attribute (0-based) in canonical order: by name, then by index.
 * `prev` is the index returned for k-1 (UINT32_MAX for k = 0). O(n) per
 * call, no allocation. */
uint32_t jet__attr_next(const jet_attr *attrs, uint32_t n, uint32_t prev);
bool jet__attr_value_equal(const jet_attr *a, const jet_attr *b);
/* Same attributes, compared in canonical order (so the order they were
 * given in does not matter). */
bool jet__attrs_equal(const jet_attr *a, uint32_t na, const jet_attr *b, uint32_t nb);
bool jet__types_equal(const jet_type *a, const jet_type *b, uint32_t n);
bool jet__transforms_equal(const jet_transform *a, uint32_t na, const jet_transform *b,
                           uint32_t nb);
/* Same parameters, nodes (ops, operand ids, attributes, result types,
 * transforms, callees recursively) and outputs; names are ignored. */
bool jet__graph_equal(const jet_graph *a, const jet_graph *b);

/* ---- defs.c ---- */

/* The node defining v in g; NULL for a parameter, an undefined id, or a
 * node with transforms or a callee (a call: the passes never look into
 * one). */
const jet_node *jet__def_node(const jet_graph *g, jet_value v);
/* The literal of node n when it is a well-formed constant (literal present,
 * data for a non-empty array, nbytes matching its type); NULL otherwise. */
const jet_literal *jet__const_literal(const jet_node *n);
/* An ints attribute of n: its values (never NULL when found, even for an
 * empty list) and count; NULL when absent or of another kind. */
const int64_t *jet__ints_attr(const jet_node *n, const char *name, uint32_t *len);

/* ---- rebuild.c ---- */

typedef struct jet__pass jet__pass;

/* The body of a pass: fills `dst` (an empty graph) from `src`. It starts
 * with jet__pass_begin, appends nodes with jet__pass_append and ends with
 * jet__pass_end. */
typedef jet_status (*jet__pass_fn)(jet__pass *p, const jet_graph *src, jet_graph *dst);

struct jet__pass {
  jet_graph *root;    /* the new root graph */
  jet__pass_fn fn;    /* applied to the root and to every callee */
  bool merge_callees; /* callees with equal content share one clone */
  jet__htab by_ptr;   /* source callee pointer -> clone */
  jet__htab by_content; /* content hash -> (source representative, clone) */
  jet_value *operands;  /* scratch for remapped operands */
  uint32_t cap_operands;
};

/* Runs fn over the root graph g and all its callees; *out gets the new
 * root graph (same name, parameters and output count). */
jet_status jet__pass_run(const jet_graph *g, jet__pass_fn fn, bool merge_callees,
                         jet_graph **out) JET_MUST_USE;

/* Copies src's parameters into dst and returns a value map of
 * src->n_values entries (free() it), parameters mapped to themselves and
 * every other entry JET_NO_VALUE. */
jet_status jet__pass_begin(const jet_graph *src, jet_graph *dst, jet_value **map) JET_MUST_USE;

/* The operands of node n (of src) remapped through map, in the pass's scratch
 * (valid until the next jet__pass_operands or jet__pass_callee: cloning a
 * callee reuses the scratch, so get the callee first); *ops may be NULL when
 * n has none. */
jet_status jet__pass_operands(jet__pass *p, const jet_graph *src, const jet_node *n,
                              const jet_value *map, const jet_value **ops) JET_MUST_USE;

/* The clone (in the new root's arena) of a source callee; NULL for NULL. */
jet_status jet__pass_callee(jet__pass *p, const jet_graph *src, jet_graph **out) JET_MUST_USE;

/* The clones of node n's control-flow sub-graphs (jet_node.subgraphs, e.g.
 * cond's branches), each made as jet__pass_callee does (so the pass runs
 * inside them too), in an array in the new root's arena; *out = NULL when n
 * has none. Reuses the operand scratch like jet__pass_callee. */
jet_status jet__pass_subgraphs(jet__pass *p, const jet_node *n,
                               jet_graph *const **out) JET_MUST_USE;
/* Appends a copy of node n to dst with the given operands, callee and
 * sub-graphs (n->n_subgraphs of them; NULL only when n has none) and maps
 * its results. */
jet_status jet__pass_append(jet_graph *dst, const jet_node *n, const jet_value *ops,
                            jet_graph *callee, jet_graph *const *subs,
                            jet_value *map) JET_MUST_USE;

/* Sets dst's outputs to src's outputs through the map. */
jet_status jet__pass_end(const jet_graph *src, jet_graph *dst, const jet_value *map) JET_MUST_USE;

#endif
