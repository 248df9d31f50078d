/* vmap: automatic batching, graph -> graph, as JAX's batching interpreter.
 *
 * Every value of the graph being batched is either batched — it carries a
 * batch dimension at position bdim of its type — or not batched
 * (JET_NOT_BATCHED): the same for every example. One batching rule per op,
 * in a table generated from the op table (shared/include/jet/ops.def), so an
 * op without a rule does not link; a unit test also checks every entry.
 *
 * A rule is only called when at least one operand is batched; nodes whose
 * operands are all unbatched are copied unchanged (so in jacrev-as-vmap the
 * forward pass is computed once). Rules keep or move the batch dimension
 * without copying data where the op allows it, and put the batch into the
 * op itself where the op has room for it (dot_general batch dimensions,
 * gather/scatter-add batching dimensions), never a loop over examples: the
 * batched graph's node count does not depend on the batch size.
 *
 * Rules emit ordinary op-table nodes through transforms/emit.h, so batched
 * graphs can be differentiated and batched again (nested vmap, vmap of grad,
 * grad of vmap).
 *
 * Thread safety: pure functions of their inputs.
 */
#ifndef JET_TRANSFORMS_BATCH_H
#define JET_TRANSFORMS_BATCH_H

#include <stdint.h>

#include "jet/graph.h"
#include "transforms/emit.h"

#define JET_NOT_BATCHED (-1)

typedef struct jet_batch {
  jet_emit e;        /* the graph being built and the sticky status */
  int64_t size;      /* the batch size (axis size) */
  const char *axis_name; /* vmap's axis_name ("" when none); recorded for collectives */
} jet_batch;

/* Batching rule of one node `n` (the source node: attributes, result
 * types). x[i] are its operands in b->e.g with batch dims bd[i]
 * (JET_NOT_BATCHED allowed; at least one operand is batched). The rule
 * writes the results y[j] (values of b->e.g) and their batch dims ybd[j]
 * (JET_NOT_BATCHED only for a result that is the same for every example,
 * e.g. a shape-only computation). */
typedef void (*jet_batch_rule)(jet_batch *b, const jet_node *n, const jet_value *x,
                               const int32_t *bd, jet_value *y, int32_t *ybd);

/* The rule table (server/transforms/batch/rules.c): functions
 * jet__batch_<ENUM> in rules_*.c by family. */
jet_batch_rule jet_batch_rule_of(jet_op op);

#define JET_OP(E, name, nopnd, rule, dtm, attrs)                                           \
  void jet__batch_##E(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd, \
                      jet_value *y, int32_t *ybd);
#include "jet/ops.def"
#undef JET_OP

/* ------------------------------------------------------------------------
 * Helpers for rules (server/transforms/batch/helpers.c)
 * ------------------------------------------------------------------------ */

/* Moves x's dimension `from` to position `to` (a transpose; x itself when
 * from == to). */
jet_value jet_batch_moveaxis(jet_batch *b, jet_value x, int32_t from, int32_t to);
/* Returns x with its batch dimension at position `to`: moved there when
 * bd is a dimension, or — when bd is JET_NOT_BATCHED — broadcast to a new
 * dimension of size b->size inserted at `to`. */
jet_value jet_batch_at(jet_batch *b, jet_value x, int32_t bd, int32_t to);
/* The first batch dim among n operands (JET_NOT_BATCHED if none). */
int32_t jet_batch_first(const int32_t *bd, uint32_t n);

/* ------------------------------------------------------------------------
 * Drivers (server/transforms/batch/vmap.c)
 * ------------------------------------------------------------------------ */

/* Emits the batched version of src (a call-free graph) into b->e.g, with
 * src's params bound to xs[] of batch dims bds[] (JET_NOT_BATCHED allowed);
 * writes outs[] and their batch dims obds[] per src output. */
void jet_batch_emit(jet_batch *b, const jet_graph *src, const jet_value *xs, const int32_t *bds,
                    jet_value *outs, int32_t *obds);

/* The vmap transform (t->kind == JET_TF_VMAP) of a validated, call-free
 * graph, with JAX's parameters: in_axes (empty: 0 for every argument; one
 * entry: for every argument; else one per argument; negative axes count
 * from the end; unmapped entries = None), out_axes (the same, per output;
 * an unbatched output with an int out_axis is broadcast; a batched output
 * with out_axis None is an error), axis_size (required when every in_axis
 * is None; must match the mapped sizes otherwise), axis_name (recorded).
 * The new graph's params are the old ones with a batch dimension of the
 * axis size inserted at each mapped argument's in_axis; each output gets one
 * at its out_axis. Errors are as clear as JAX's and name each argument's
 * size, the axis and the rank. */
jet_status jet_batch_vmap(const jet_graph *g, const jet_transform *t, jet_graph **out) JET_MUST_USE;

#endif
