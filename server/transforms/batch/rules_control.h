/* Internal helpers of the control-flow batching rules (rules_control.c:
 * cond and these helpers; rules_loops.c: while and scan). A control node's
 * sub-graph is batched by building a new sub-graph (a child of b->e.g)
 * whose params are the old ones batched at given dimensions, emitting the
 * batched body into it with jet_batch_emit, and fixing each output's batch
 * position so every branch / iteration agrees. */
#ifndef JET_TRANSFORMS_BATCH_RULES_CONTROL_H
#define JET_TRANSFORMS_BATCH_RULES_CONTROL_H

#include "transforms/batch/batch.h"

/* The type t with a batch dimension of size b->size inserted at bd (t itself
 * when bd is JET_NOT_BATCHED); false (error kept in b->e) past the maximum
 * rank. */
bool jet__batch_type(jet_batch *b, const jet_type *t, int32_t bd, jet_type *out);

/* Starts a graph for the batched version of src: a child of b->e.g (or,
 * when scratch is true, a root graph of its own, for probing) with src's
 * param types batched at in_bd[i]. cb targets it (same size and axis name
 * as b). false after an error (kept in b->e; nothing to free). */
bool jet__batch_child_start(jet_batch *b, const jet_graph *src, const int32_t *in_bd, bool scratch,
                            jet_batch *cb);

/* Sets outs[0..n) as cb's graph's outputs and moves cb's error (if any)
 * into b->e. Returns the graph, or NULL after an error. */
jet_graph *jet__batch_child_finish(jet_batch *b, jet_batch *cb, const jet_value *outs, uint32_t n);

/* Builds the batched version of src as a child of b->e.g, its params
 * batched at in_bd[]. Output k: out_to[k] >= 0 moves (or broadcasts) it to
 * that dimension; out_to[k] == JET_NOT_BATCHED keeps an unbatched output
 * unbatched and moves a batched one to 0. got_bd[k] (may be NULL) gets the
 * output's batch dim in the new graph. NULL after an error (kept in b->e). */
jet_graph *jet__batch_body(jet_batch *b, const jet_graph *src, const int32_t *in_bd,
                           const int32_t *out_to, int32_t *got_bd);

/* The batch dims of the outputs of src batched with params at in_bd (built
 * on a scratch graph, then discarded). */
void jet__batch_probe(jet_batch *b, const jet_graph *src, const int32_t *in_bd, int32_t *obd);

/* The loop-carry fixpoint (while and scan): in_bd[] are the body's param
 * batch dims, carries at [nc, nc + nk) each 0 (batched) or JET_NOT_BATCHED.
 * Marks a carry batched (0) when the body makes its output batched given
 * the others, until nothing changes. */
void jet__batch_carry_fixpoint(jet_batch *b, const jet_graph *body, int32_t *in_bd, uint32_t nc,
                               uint32_t nk);

/* Adds a control node op(operands; attrs of n) with sub-graphs subs to
 * b->e.g; returns its first result (JET_EMIT_NONE after an error). */
jet_value jet__batch_add_control(jet_batch *b, const jet_node *n, const jet_value *operands,
                                 jet_graph *const *subs, uint32_t n_subs);

/* pred (bool[B], batch at 0) broadcast to the shape of a value of type t
 * batched at 0 (pred itself when t has rank 1). */
jet_value jet__batch_pred_like(jet_batch *b, jet_value pred, const jet_type *t);

#endif
