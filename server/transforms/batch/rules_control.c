/* Batching rule of cond (JAX's _cond_batching_rule) and the helpers shared
 * with the loop rules (rules_control.h; while and scan are in
 * rules_loops.c).
 *
 * cond with an unbatched predicate stays one cond: each branch is batched
 * into a new branch whose params are the operands (batched ones keep their
 * batch dims); an output batched in any branch is batched at 0 in every
 * branch (broadcast where a branch leaves it unbatched).
 *
 * cond with a batched predicate or index runs every branch batched (inline,
 * no cond left) and selects per example: select(pred, branch 1, branch 0)
 * for a bool predicate; for an i32 index, clamped to [0, n-1], a chain of
 * select(index == k, branch k, ...) over k = 1..n-1 starting from branch 0.
 * Results are batched at 0. */
#include <stdlib.h>
#include <string.h>

#include "transforms/batch/rules_control.h"

/* ------------------------------------------------------------------ helpers */

bool jet__batch_type(jet_batch *b, const jet_type *t, int32_t bd, jet_type *out) {
  *out = *t;
  if (bd == JET_NOT_BATCHED) return true;
  if (bd < 0 || bd > t->rank || t->rank + 1 > JET_MAX_RANK) {
    jet_emit_fail(&b->e, jet_status_make(JET_INVALID_ARGUMENT,
                                         "batching: cannot add a batch dimension at %d to a "
                                         "rank-%d value inside control flow (at most rank %d)",
                                         (int)bd, (int)t->rank, JET_MAX_RANK));
    return false;
  }
  for (int32_t d = 0, k = 0; d <= t->rank; d++) out->dims[d] = d == bd ? b->size : t->dims[k++];
  out->rank = t->rank + 1;
  return true;
}

bool jet__batch_child_start(jet_batch *b, const jet_graph *src, const int32_t *in_bd, bool scratch,
                            jet_batch *cb) {
  memset(cb, 0, sizeof *cb);
  cb->size = b->size;
  cb->axis_name = b->axis_name;
  if (b->e.status) return false;
  jet_graph *g = scratch ? jet_graph_create(src->name) : jet_graph_create_child(b->e.g, src->name);
  if (!g) {
    jet_emit_fail(&b->e, jet_status_oom("batched sub-graph"));
    return false;
  }
  for (uint32_t p = 0; p < src->n_params; p++) {
    jet_type t;
    jet_status st = NULL;
    if (!jet__batch_type(b, &src->value_types[p], in_bd[p], &t)) break;
    st = jet_graph_add_param(g, &t, NULL);
    if (st) {
      jet_emit_fail(&b->e, st);
      break;
    }
  }
  if (b->e.status) {
    if (scratch) jet_graph_destroy(g);
    return false;
  }
  cb->e.g = g;
  return true;
}

jet_graph *jet__batch_child_finish(jet_batch *b, jet_batch *cb, const jet_value *outs, uint32_t n) {
  if (!cb->e.status) {
    jet_status st = jet_graph_set_outputs(cb->e.g, outs, n);
    if (st) jet_emit_fail(&cb->e, st);
  }
  if (cb->e.status) {
    jet_emit_fail(&b->e, cb->e.status);
    cb->e.status = NULL;
    return NULL;
  }
  return b->e.status ? NULL : cb->e.g;
}

/* jet_batch_emit of src into cb, with its params (values 0..) at in_bd. */
static void emit_params(jet_batch *cb, const jet_graph *src, const int32_t *in_bd, jet_value *outs,
                        int32_t *obd) {
  jet_value *xs = malloc(sizeof(jet_value) * (src->n_params ? src->n_params : 1));
  if (!xs) {
    jet_emit_fail(&cb->e, jet_status_oom("batched sub-graph params"));
    for (uint32_t k = 0; k < src->n_outputs; k++) {
      outs[k] = JET_EMIT_NONE;
      obd[k] = JET_NOT_BATCHED;
    }
    return;
  }
  for (uint32_t p = 0; p < src->n_params; p++) xs[p] = p;
  jet_batch_emit(cb, src, xs, in_bd, outs, obd);
  free(xs);
}

jet_graph *jet__batch_body(jet_batch *b, const jet_graph *src, const int32_t *in_bd,
                           const int32_t *out_to, int32_t *got_bd) {
  uint32_t no = src->n_outputs;
  jet_value *outs = malloc(sizeof(jet_value) * (no ? no : 1));
  int32_t *obd = malloc(sizeof(int32_t) * (no ? no : 1));
  jet_graph *g = NULL;
  jet_batch cb;
  if (!outs || !obd) {
    jet_emit_fail(&b->e, jet_status_oom("batched sub-graph outputs"));
  } else if (jet__batch_child_start(b, src, in_bd, false, &cb)) {
    emit_params(&cb, src, in_bd, outs, obd);
    for (uint32_t k = 0; k < no; k++) {
      int32_t to = out_to[k] != JET_NOT_BATCHED ? out_to[k] : obd[k] != JET_NOT_BATCHED ? 0 : -1;
      if (to >= 0) outs[k] = jet_batch_at(&cb, outs[k], obd[k], to);
      if (got_bd) got_bd[k] = to >= 0 ? to : JET_NOT_BATCHED;
    }
    g = jet__batch_child_finish(b, &cb, outs, no);
  }
  free(outs);
  free(obd);
  return g;
}

void jet__batch_probe(jet_batch *b, const jet_graph *src, const int32_t *in_bd, int32_t *obd) {
  for (uint32_t k = 0; k < src->n_outputs; k++) obd[k] = JET_NOT_BATCHED;
  jet_value *outs = malloc(sizeof(jet_value) * (src->n_outputs ? src->n_outputs : 1));
  jet_batch cb;
  if (!outs) {
    jet_emit_fail(&b->e, jet_status_oom("batching probe"));
  } else if (jet__batch_child_start(b, src, in_bd, true, &cb)) {
    emit_params(&cb, src, in_bd, outs, obd);
    if (cb.e.status) jet_emit_fail(&b->e, cb.e.status);
    jet_graph_destroy(cb.e.g);
  }
  free(outs);
}

void jet__batch_carry_fixpoint(jet_batch *b, const jet_graph *body, int32_t *in_bd, uint32_t nc,
                               uint32_t nk) {
  int32_t *obd = malloc(sizeof(int32_t) * (body->n_outputs ? body->n_outputs : 1));
  if (!obd) {
    jet_emit_fail(&b->e, jet_status_oom("batching carry fixpoint"));
    return;
  }
  /* Each round marks at least one more carry, so at most nk + 1 rounds. */
  for (bool changed = true; changed && !b->e.status;) {
    changed = false;
    jet__batch_probe(b, body, in_bd, obd);
    for (uint32_t i = 0; i < nk && !b->e.status; i++) {
      if (obd[i] != JET_NOT_BATCHED && in_bd[nc + i] == JET_NOT_BATCHED) {
        in_bd[nc + i] = 0;
        changed = true;
      }
    }
  }
  free(obd);
}

jet_value jet__batch_add_control(jet_batch *b, const jet_node *n, const jet_value *operands,
                                 jet_graph *const *subs, uint32_t n_subs) {
  if (b->e.status) return JET_EMIT_NONE;
  jet_value v = JET_EMIT_NONE;
  jet_status st = jet_graph_add_node_sub(b->e.g, n->op, operands, n->n_operands, n->attrs,
                                         n->n_attrs, subs, n_subs, &v);
  if (st) {
    jet_emit_fail(&b->e, jet_status_annotate(st, "emitting batched '%s': ", jet_op_name(n->op)));
    return JET_EMIT_NONE;
  }
  return v;
}

jet_value jet__batch_pred_like(jet_batch *b, jet_value pred, const jet_type *t) {
  if (b->e.status) return JET_EMIT_NONE;
  if (t->rank == 1) return pred;
  int64_t shape[JET_MAX_RANK], bdims[1] = {0};
  memcpy(shape, t->dims, sizeof(int64_t) * (size_t)t->rank);
  return jet_emit_broadcast_in_dim(&b->e, pred, shape, t->rank, bdims, 1);
}

/* --------------------------------------------------------------------- cond */

/* Unbatched predicate: one cond of batched branches. */
static void cond_unbatched_pred(jet_batch *b, const jet_node *n, const jet_value *x,
                                const int32_t *bd, jet_value *y, int32_t *ybd) {
  const uint32_t nb = n->n_subgraphs, no = n->n_results;
  const size_t cells = (size_t)nb * no + 1;
  jet_batch *cb = calloc(nb, sizeof *cb);
  jet_graph **subs = jet_arena_calloc(b->e.g->arena, nb, sizeof *subs);
  jet_value *outs = malloc(sizeof(jet_value) * cells);
  int32_t *obd = malloc(sizeof(int32_t) * cells);
  bool *batched = calloc(no + 1, sizeof *batched);
  uint32_t started = 0;
  if (!cb || !subs || !outs || !obd || !batched) {
    jet_emit_fail(&b->e, jet_status_oom("batched cond branches"));
    goto done;
  }
  for (uint32_t k = 0; k < nb && !b->e.status; k++) {
    if (!jet__batch_child_start(b, n->subgraphs[k], bd + 1, false, &cb[k])) break;
    started++;
    emit_params(&cb[k], n->subgraphs[k], bd + 1, outs + (size_t)k * no, obd + (size_t)k * no);
    for (uint32_t j = 0; j < no; j++) batched[j] |= obd[(size_t)k * no + j] != JET_NOT_BATCHED;
  }
  for (uint32_t k = 0; k < started; k++) {
    jet_value *o = outs + (size_t)k * no;
    for (uint32_t j = 0; j < no; j++)
      if (batched[j]) o[j] = jet_batch_at(&cb[k], o[j], obd[(size_t)k * no + j], 0);
    subs[k] = jet__batch_child_finish(b, &cb[k], o, no);
  }
  jet_value v = jet__batch_add_control(b, n, x, subs, nb);
  for (uint32_t j = 0; j < no && !b->e.status; j++) {
    y[j] = v + j;
    ybd[j] = batched[j] ? 0 : JET_NOT_BATCHED;
  }
done:
  free(cb);
  free(outs);
  free(obd);
  free(batched);
}

/* Batched predicate or index: every branch inline, then a select per
 * example. */
static void cond_batched_pred(jet_batch *b, const jet_node *n, const jet_value *x,
                              const int32_t *bd, jet_value *y, int32_t *ybd) {
  jet_emit *e = &b->e;
  const uint32_t nb = n->n_subgraphs, no = n->n_results;
  const size_t cells = (size_t)nb * no + 1;
  jet_value *outs = malloc(sizeof(jet_value) * cells);
  int32_t *obd = malloc(sizeof(int32_t) * cells);
  jet_value *mask = malloc(sizeof(jet_value) * (nb + 1));
  if (!outs || !obd || !mask) {
    jet_emit_fail(e, jet_status_oom("batched cond branches"));
    goto done;
  }
  for (uint32_t k = 0; k < nb && !e->status; k++) {
    jet_value *o = outs + (size_t)k * no;
    int32_t *od = obd + (size_t)k * no;
    jet_batch_emit(b, n->subgraphs[k], x + 1, bd + 1, o, od);
    for (uint32_t j = 0; j < no; j++) o[j] = jet_batch_at(b, o[j], od[j], 0);
  }
  jet_value p = jet_batch_at(b, x[0], bd[0], 0); /* [B] */
  if (jet_emit_type(e, p)->dtype == JET_BOOL) {
    if (nb != 2) {
      jet_emit_fail(e, jet_status_make(JET_INTERNAL, "cond with a bool predicate has %u branches",
                                       nb));
      goto done;
    }
    mask[1] = p;
  } else {
    jet_value lo = jet_emit_scalar(e, JET_I32, 0), hi = jet_emit_scalar(e, JET_I32, (double)nb - 1);
    jet_value idx = jet_emit3(e, JET_OP_CLAMP, lo, p, hi);
    for (uint32_t k = 1; k < nb; k++)
      mask[k] = jet_emit2(e, JET_OP_EQ, idx, jet_emit_scalar(e, JET_I32, (double)k));
  }
  for (uint32_t j = 0; j < no && !e->status; j++) {
    jet_value r = outs[j];
    for (uint32_t k = 1; k < nb; k++) {
      jet_value ok = outs[(size_t)k * no + j];
      jet_type t = *jet_emit_type(e, ok);
      r = jet_emit3(e, JET_OP_SELECT, jet__batch_pred_like(b, mask[k], &t), ok, r);
    }
    y[j] = r;
    ybd[j] = 0;
  }
done:
  free(outs);
  free(obd);
  free(mask);
}

void jet__batch_COND(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  for (uint32_t j = 0; j < n->n_results; j++) {
    y[j] = JET_EMIT_NONE;
    ybd[j] = JET_NOT_BATCHED;
  }
  if (n->n_operands < 1 || n->n_subgraphs < 1) {
    jet_emit_fail(&b->e, jet_status_make(JET_INTERNAL, "cond node without predicate or branches"));
    return;
  }
  if (bd[0] == JET_NOT_BATCHED)
    cond_unbatched_pred(b, n, x, bd, y, ybd);
  else
    cond_batched_pred(b, n, x, bd, y, ybd);
}
