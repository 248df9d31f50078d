/* Batching rules of while and scan (JAX's _while_loop_batching_rule and
 * _scan_batching_rule); helpers in rules_control.h.
 *
 * Both first work out which carries are batched by a fixpoint: a carry is
 * batched when its init is, or when the batched body makes it batched
 * given the others (jet__batch_carry_fixpoint). Batched carries are passed
 * at batch dim 0; consts keep their batch dims as params.
 *
 * while: when the batched cond's predicate stays unbatched the result is
 * one while of the batched cond and body. When it is batched (examples stop
 * at different iterations), every carry is batched; the new cond is "any
 * example still running" (reduce_max of the per-example predicate over the
 * batch), and the new body recomputes the per-example predicate, runs the
 * batched body and keeps finished examples fixed: carry = select(pred,
 * new, old).
 *
 * scan: batched xs get their batch dim moved to 1 (axis 0 is the scan
 * axis), so the body sees slices batched at 0; a batched y is moved to 0 in
 * the body, so the stacked ys come out batched at 1. */
#include <stdlib.h>
#include <string.h>

#include "transforms/batch/rules_control.h"

static void no_results(const jet_node *n, jet_value *y, int32_t *ybd) {
  for (uint32_t j = 0; j < n->n_results; j++) {
    y[j] = JET_EMIT_NONE;
    ybd[j] = JET_NOT_BATCHED;
  }
}

/* n_consts of a loop node, checked against its operand count. */
static bool loop_consts(jet_batch *b, const jet_node *n, uint32_t *nc) {
  int64_t v = jet_node_attr_int(n, "n_consts", 0);
  if (v < 0 || v > (int64_t)n->n_operands) {
    jet_emit_fail(&b->e, jet_status_make(JET_INTERNAL, "%s: n_consts=%lld out of range",
                                         jet_op_name(n->op), (long long)v));
    return false;
  }
  *nc = (uint32_t)v;
  return true;
}

/* Operands of the new loop node: consts as they are, carries batched at 0
 * (in_bd[i] == 0) or unbatched, xs (i >= nc + nk) with the batch dim moved
 * to 1. */
static void loop_operands(jet_batch *b, const jet_value *x, const int32_t *bd, const int32_t *in_bd,
                          uint32_t n, uint32_t nc, uint32_t nk, jet_value *ops) {
  for (uint32_t i = 0; i < n; i++) {
    if (i < nc || (bd[i] == JET_NOT_BATCHED && in_bd[i] == JET_NOT_BATCHED))
      ops[i] = x[i];
    else if (i < nc + nk)
      ops[i] = jet_batch_at(b, x[i], bd[i], 0);
    else
      ops[i] = jet_batch_moveaxis(b, x[i], bd[i], 1);
  }
}

/* The cond of a while with a batched predicate: any example still running. */
static jet_graph *while_any_cond(jet_batch *b, const jet_graph *cg, const int32_t *in_bd) {
  jet_batch cb;
  if (!jet__batch_child_start(b, cg, in_bd, false, &cb)) return NULL;
  jet_value xs[1] = {JET_EMIT_NONE}, out = JET_EMIT_NONE;
  int32_t obd = JET_NOT_BATCHED;
  jet_value *ps = malloc(sizeof(jet_value) * (cg->n_params ? cg->n_params : 1));
  if (!ps) {
    jet_emit_fail(&cb.e, jet_status_oom("batched while cond"));
  } else {
    for (uint32_t p = 0; p < cg->n_params; p++) ps[p] = p;
    jet_batch_emit(&cb, cg, ps, in_bd, &out, &obd);
    jet_value p = jet_batch_at(&cb, out, obd, 0);
    int64_t axes[1] = {0};
    jet_attr a = jet_emit_attr_ints("axes", axes, 1);
    xs[0] = jet_emit_op(&cb.e, JET_OP_REDUCE_MAX, &p, 1, &a, 1);
  }
  free(ps);
  return jet__batch_child_finish(b, &cb, xs, 1);
}

/* The body of a while with a batched predicate: carries (all batched at 0)
 * advance only where the per-example predicate holds. */
static jet_graph *while_masked_body(jet_batch *b, const jet_graph *cg, const jet_graph *bg,
                                    const int32_t *in_bd, uint32_t nc, uint32_t nk) {
  const uint32_t np = bg->n_params;
  jet_value *ps = malloc(sizeof(jet_value) * (np + 1));
  jet_value *outs = malloc(sizeof(jet_value) * (nk + 1));
  int32_t *obd = malloc(sizeof(int32_t) * (nk + 1));
  jet_graph *g = NULL;
  jet_batch cb;
  if (!ps || !outs || !obd) {
    jet_emit_fail(&b->e, jet_status_oom("batched while body"));
  } else if (jet__batch_child_start(b, bg, in_bd, false, &cb)) {
    for (uint32_t p = 0; p < np; p++) ps[p] = p;
    jet_value pred = JET_EMIT_NONE;
    int32_t pbd = JET_NOT_BATCHED;
    jet_batch_emit(&cb, cg, ps, in_bd, &pred, &pbd);
    pred = jet_batch_at(&cb, pred, pbd, 0);
    jet_batch_emit(&cb, bg, ps, in_bd, outs, obd);
    for (uint32_t i = 0; i < nk && !cb.e.status; i++) {
      jet_value nw = jet_batch_at(&cb, outs[i], obd[i], 0);
      jet_type t = *jet_emit_type(&cb.e, nw);
      outs[i] = jet_emit3(&cb.e, JET_OP_SELECT, jet__batch_pred_like(&cb, pred, &t), nw, ps[nc + i]);
    }
    g = jet__batch_child_finish(b, &cb, outs, nk);
  }
  free(ps);
  free(outs);
  free(obd);
  return g;
}

void jet__batch_WHILE(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                      jet_value *y, int32_t *ybd) {
  no_results(n, y, ybd);
  uint32_t nc = 0;
  if (n->n_subgraphs != 2 || !loop_consts(b, n, &nc)) {
    jet_emit_fail(&b->e, jet_status_make(JET_INTERNAL, "while node without cond and body"));
    return;
  }
  const uint32_t no = n->n_operands, nk = no - nc;
  const jet_graph *cg = n->subgraphs[0], *bg = n->subgraphs[1];
  int32_t *in_bd = malloc(sizeof(int32_t) * (no + 1));
  int32_t *out_to = malloc(sizeof(int32_t) * (no + 1));
  jet_value *ops = malloc(sizeof(jet_value) * (no + 1));
  jet_graph **subs = jet_arena_calloc(b->e.g->arena, 2, sizeof *subs);
  if (!in_bd || !out_to || !ops || !subs) {
    jet_emit_fail(&b->e, jet_status_oom("batched while"));
    goto done;
  }
  for (uint32_t i = 0; i < no; i++)
    in_bd[i] = i < nc || bd[i] == JET_NOT_BATCHED ? bd[i] : 0;
  jet__batch_carry_fixpoint(b, bg, in_bd, nc, nk);
  int32_t pbd = JET_NOT_BATCHED;
  jet__batch_probe(b, cg, in_bd, &pbd);
  if (b->e.status) goto done;
  if (pbd == JET_NOT_BATCHED) {
    int32_t cond_to = JET_NOT_BATCHED, cond_got = JET_NOT_BATCHED;
    for (uint32_t i = 0; i < nk; i++) out_to[i] = in_bd[nc + i];
    subs[0] = jet__batch_body(b, cg, in_bd, &cond_to, &cond_got);
    subs[1] = jet__batch_body(b, bg, in_bd, out_to, NULL);
    if (!b->e.status && cond_got != JET_NOT_BATCHED)
      jet_emit_fail(&b->e, jet_status_make(JET_INTERNAL, "batched while: the predicate became "
                                                         "batched after the probe"));
  } else {
    for (uint32_t i = 0; i < nk; i++) in_bd[nc + i] = 0;
    subs[0] = while_any_cond(b, cg, in_bd);
    subs[1] = while_masked_body(b, cg, bg, in_bd, nc, nk);
  }
  loop_operands(b, x, bd, in_bd, no, nc, nk, ops);
  jet_value v = jet__batch_add_control(b, n, ops, subs, 2);
  for (uint32_t i = 0; i < nk && !b->e.status; i++) {
    y[i] = v + i;
    ybd[i] = in_bd[nc + i];
  }
done:
  free(in_bd);
  free(out_to);
  free(ops);
}

void jet__batch_SCAN(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  no_results(n, y, ybd);
  uint32_t nc = 0;
  int64_t ncar = jet_node_attr_int(n, "n_carry", -1);
  if (n->n_subgraphs != 1 || !loop_consts(b, n, &nc) || ncar < 0 ||
      ncar > (int64_t)(n->n_operands - nc)) {
    jet_emit_fail(&b->e, jet_status_make(JET_INTERNAL, "malformed scan node"));
    return;
  }
  const uint32_t no = n->n_operands, nk = (uint32_t)ncar;
  const jet_graph *body = n->subgraphs[0];
  const uint32_t nout = body->n_outputs;
  int32_t *in_bd = malloc(sizeof(int32_t) * (no + 1));
  int32_t *out_to = malloc(sizeof(int32_t) * (nout + 1));
  int32_t *got = malloc(sizeof(int32_t) * (nout + 1));
  jet_value *ops = malloc(sizeof(jet_value) * (no + 1));
  jet_graph **subs = jet_arena_calloc(b->e.g->arena, 1, sizeof *subs);
  if (!in_bd || !out_to || !got || !ops || !subs) {
    jet_emit_fail(&b->e, jet_status_oom("batched scan"));
    goto done;
  }
  /* The body sees carries and x slices batched at 0, consts as they are. */
  for (uint32_t i = 0; i < no; i++)
    in_bd[i] = i < nc || bd[i] == JET_NOT_BATCHED ? bd[i] : 0;
  jet__batch_carry_fixpoint(b, body, in_bd, nc, nk);
  for (uint32_t k = 0; k < nout; k++) out_to[k] = k < nk ? in_bd[nc + k] : JET_NOT_BATCHED;
  subs[0] = jet__batch_body(b, body, in_bd, out_to, got);
  for (uint32_t k = 0; k < nk && !b->e.status; k++)
    if (got[k] != in_bd[nc + k])
      jet_emit_fail(&b->e, jet_status_make(JET_INTERNAL, "batched scan: carry %u changed "
                                                         "batching after the fixpoint",
                                           k));
  loop_operands(b, x, bd, in_bd, no, nc, nk, ops);
  jet_value v = jet__batch_add_control(b, n, ops, subs, 1);
  for (uint32_t k = 0; k < nout && k < n->n_results && !b->e.status; k++) {
    y[k] = v + k;
    ybd[k] = k < nk ? in_bd[nc + k] : got[k] == JET_NOT_BATCHED ? JET_NOT_BATCHED : got[k] + 1;
  }
done:
  free(in_bd);
  free(out_to);
  free(got);
  free(ops);
}
