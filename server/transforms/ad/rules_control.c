/* Autodiff of the structured control-flow ops (cond, while, scan), as JAX
 * does it. The rules live by op in rules_cond.c, rules_while.c and
 * rules_scan.c (pmap's in rules_pmap.c); this file holds their shared
 * helpers (rules_control.h).
 *
 * Every rule emits a new control node whose sub-graphs are built with the
 * building blocks jet_ad_emit_jvp / jet_ad_emit_vjp (ad.h) run on a new
 * child graph of e->g, so control flow nested in a body is differentiated
 * by the same rules, to any depth and any order (grad of grad, jvp of vjp).
 *
 *   jvp(cond)  : a cond (same predicate) whose branches are the branches'
 *                JVPs: (args..., non-zero tangents...) -> (outs..., out
 *                tangents...); a tangent that is zero in one branch but not
 *                in another is materialised as zeros in that branch.
 *   vjp(cond)  : a cond (same predicate) whose branches are the branches'
 *                VJPs: (args..., non-zero cts...) -> (cotangents of the
 *                float args some branch reaches). The branch's forward pass
 *                is recomputed inside the backward branch (the cond's
 *                intermediates are not saved as residuals). Symbolic-zero
 *                output cotangents are dropped (no parameter).
 *   jvp(while) : a while carrying (carry..., tangents of the carries that
 *                can be non-zero), consts extended with the consts' non-zero
 *                tangents; the new cond graph takes the extended params and
 *                ignores the tangents; the body is the body's JVP.
 *   vjp(while) : refused (INVALID_ARGUMENT) with JAX's message; only called
 *                when a cotangent reaches the while.
 *   jvp(scan)  : a scan whose body is the body's JVP: tangents of consts as
 *                extra consts, of carries as extra carries, of xs (stacked)
 *                as extra xs, of ys as extra ys.
 *   vjp(scan)  : scan's transpose runs a reversed scan over saved
 *                residuals. A forward scan returns the primal results and
 *                also stacks each iteration's incoming carry (the
 *                residuals). This is step-level checkpointing: only the
 *                carries are saved, the body is recomputed per step from
 *                them inside the backward body. Its body extends the
 *                primal body's outputs, so the compiler's control pass
 *                (compiler/passes/control.c) merges the primal scan the
 *                driver emitted into it: the forward steps run once, the
 *                body twice in all (forward, and inside the backward).
 *                Then a scan with `reverse` flipped carries (ct of the
 *                carries..., accumulated ct of the float consts...), scans
 *                over (residual carries, xs, non-zero ct of ys) and runs the
 *                body's VJP at that step: ct of the previous carry, the
 *                consts' ct added to the accumulators, ct of x as ys.
 *                ct(init) = final ct carry, ct(consts) = accumulators,
 *                ct(xs) = the stacked ct of x. Integer/bool carries get none.
 *
 * Which carried tangents / cotangents exist is fixed before a loop body is
 * built, by a conservative dependence analysis (jet__ctl_fwd_nz /
 * jet__ctl_bwd_nz) iterated to a fixed point over the carries; a tangent
 * the analysis calls zero but a rule made non-zero is an INTERNAL error,
 * never a silently dropped derivative. */
#include "transforms/ad/rules_control.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void *jet__ctl_calloc(jet_emit *e, size_t n, size_t size) {
  void *p = calloc(n ? n : 1, size ? size : 1);
  if (!p) jet_emit_fail(e, jet_status_oom("control-flow autodiff scratch"));
  return p;
}

void jet__ctl_sub_begin(jet_emit *e, jet_emit *se, const jet_graph *like, const char *suffix) {
  se->g = NULL;
  se->status = NULL;
  if (e->status) return;
  char name[256];
  if (like->name[0])
    snprintf(name, sizeof name, "%s_%s", like->name, suffix);
  else
    snprintf(name, sizeof name, "%s", suffix);
  se->g = jet_graph_create_child(e->g, name);
  if (!se->g) jet_emit_fail(e, jet_status_oom("control-flow sub-graph"));
}

jet_value jet__ctl_param(jet_emit *se, const jet_type *t) {
  if (!se->g || se->status) return JET_AD_ZERO;
  jet_value v = JET_AD_ZERO;
  jet_status st = jet_graph_add_param(se->g, t, &v);
  if (st) {
    jet_emit_fail(se, st);
    return JET_AD_ZERO;
  }
  return v;
}

jet_value jet__ctl_or_zeros(jet_emit *se, jet_value v, const jet_type *t) {
  if (!se->g || se->status) return JET_AD_ZERO;
  return v != JET_AD_ZERO ? v : jet_emit_full(se, t, 0.0);
}

bool jet__ctl_sub_end(jet_emit *e, jet_emit *se, const jet_value *outs, uint32_t n) {
  if (!se->g) return false;
  if (!se->status) {
    jet_status st = jet_graph_set_outputs(se->g, outs, n);
    if (st) jet_emit_fail(se, st);
  }
  if (se->status) {
    jet_emit_fail(e, se->status);
    se->status = NULL;
    return false;
  }
  return !e->status;
}

jet_value jet__ctl_emit(jet_emit *e, jet_op op, const jet_value *ops, uint32_t n,
                        const jet_attr *attrs, uint32_t n_attrs, jet_graph *const *subs,
                        uint32_t n_subs) {
  if (e->status) return JET_AD_ZERO;
  for (uint32_t i = 0; i < n; i++) {
    if (ops[i] == JET_AD_ZERO) {
      jet_emit_fail(e, jet_status_make(JET_INTERNAL, "operand %u of emitted '%s' is a symbolic zero",
                                       i, jet_op_name(op)));
      return JET_AD_ZERO;
    }
  }
  jet_value v = JET_AD_ZERO;
  jet_status st = jet_graph_add_node_sub(e->g, op, ops, n, attrs, n_attrs, subs, n_subs, &v);
  if (st) {
    jet_emit_fail(e, jet_status_annotate(st, "emitting '%s': ", jet_op_name(op)));
    return JET_AD_ZERO;
  }
  return v;
}

void jet__ctl_inline(jet_emit *e, const jet_graph *src, const jet_value *args, jet_value *outs) {
  for (uint32_t k = 0; k < src->n_outputs; k++) outs[k] = JET_AD_ZERO;
  jet__ad_fwd f;
  if (!jet__ad_forward(e, src, args, NULL, &f)) return;
  for (uint32_t k = 0; k < src->n_outputs; k++) outs[k] = f.vmap[src->outputs[k]];
  jet__ad_fwd_free(&f);
}

bool jet__ctl_fwd_carry_nz(jet_emit *e, const jet_graph *body, uint32_t nc, uint32_t nk,
                           bool *in_nz, bool *out_nz) {
  for (bool changed = true; changed;) {
    changed = false;
    if (!jet__ctl_fwd_nz(e, body, in_nz, out_nz)) return false;
    for (uint32_t i = 0; i < nk; i++) {
      if (out_nz[i] && !in_nz[nc + i] && jet_dtype_is_float(body->value_types[nc + i].dtype)) {
        in_nz[nc + i] = true;
        changed = true;
      }
    }
  }
  return true;
}

bool jet__ctl_fwd_nz(jet_emit *e, const jet_graph *g, const bool *in_nz, bool *out_nz) {
  for (uint32_t k = 0; k < g->n_outputs; k++) out_nz[k] = false;
  uint8_t *nz = jet__ctl_calloc(e, g->n_values, 1);
  if (!nz) return false;
  for (uint32_t p = 0; p < g->n_params; p++)
    nz[p] = in_nz[p] && jet_dtype_is_float(g->value_types[p].dtype);
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *nd = &g->nodes[i];
    bool any = false;
    for (uint32_t k = 0; k < nd->n_operands; k++) any = any || nz[nd->operands[k]];
    if (nd->op == JET_OP_STOP_GRADIENT) any = false;
    for (uint32_t j = 0; j < nd->n_results; j++)
      nz[nd->first_result + j] = any && jet_dtype_is_float(nd->results[j].dtype);
  }
  for (uint32_t k = 0; k < g->n_outputs; k++) out_nz[k] = nz[g->outputs[k]];
  free(nz);
  return true;
}

bool jet__ctl_bwd_nz(jet_emit *e, const jet_graph *g, const bool *out_nz, bool *in_nz) {
  for (uint32_t p = 0; p < g->n_params; p++) in_nz[p] = false;
  uint8_t *need = jet__ctl_calloc(e, g->n_values, 1);
  if (!need) return false;
  for (uint32_t k = 0; k < g->n_outputs; k++) {
    jet_value v = g->outputs[k];
    if (out_nz[k] && jet_dtype_is_float(g->value_types[v].dtype)) need[v] = 1;
  }
  for (uint32_t i = g->n_nodes; i-- > 0;) {
    const jet_node *nd = &g->nodes[i];
    if (nd->op == JET_OP_STOP_GRADIENT) continue;
    bool any = false;
    for (uint32_t j = 0; j < nd->n_results; j++) any = any || need[nd->first_result + j];
    if (!any) continue;
    for (uint32_t k = 0; k < nd->n_operands; k++) {
      jet_value v = nd->operands[k];
      if (jet_dtype_is_float(g->value_types[v].dtype)) need[v] = 1;
    }
  }
  for (uint32_t p = 0; p < g->n_params; p++) in_nz[p] = need[p];
  free(need);
  return true;
}
