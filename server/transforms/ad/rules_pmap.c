/* JVP and VJP rules of pmap, as JAX maps them over the body (the body is
 * the per-member function; see rules_control.c for the helpers):
 *
 *   jvp(pmap f) = pmap(jvp f): a new pmap (same axis_name, axis_size,
 *     devices) whose body takes (primals..., the non-zero tangents...) and
 *     returns (outs..., the tangents that can be non-zero...). A tangent
 *     operand is mapped like its primal (same in_axis); an output tangent is
 *     stacked like its output (same out_axis). Symbolic-zero tangents are
 *     dropped (no parameter, no output).
 *   vjp(pmap f): a backward pmap whose body recomputes the body's forward
 *     pass and runs its VJP (as the cond VJP does): operands (primals...,
 *     the non-zero output cotangents...). The cotangent of a stacked output
 *     (out_axis k) enters with in_axis k. The cotangent of an out_axes=-1
 *     output (member 0's value) enters unmapped and member m uses it only
 *     when m == 0 (select on axis_index), zeros otherwise. The cotangent of
 *     a mapped operand leaves with out_axis = its in_axis; of an unmapped
 *     operand (in_axis -1) it is the sum over the members: psum over the
 *     pmap's axis inside the backward body, output with out_axis -1.
 *
 * Collectives over the pmap's axis inside the body are differentiated by
 * their own rules (ad/rules_collective.c). Every emitted node is an
 * ordinary op, so grad of grad, jvp of vjp, jacfwd/jacrev/hessian compose. */
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/rules_control.h"

/* The node's attributes with in_axes and out_axes replaced (at[] must hold
 * JET_MAX_OP_ATTRS entries). */
static uint32_t pmap_attrs(const jet_node *n, const int64_t *ia, uint32_t nia, const int64_t *oa,
                           uint32_t noa, jet_attr *at) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < n->n_attrs && k < JET_MAX_OP_ATTRS; i++) {
    if (strcmp(n->attrs[i].name, "in_axes") == 0)
      at[k++] = jet_emit_attr_ints("in_axes", ia, nia);
    else if (strcmp(n->attrs[i].name, "out_axes") == 0)
      at[k++] = jet_emit_attr_ints("out_axes", oa, noa);
    else
      at[k++] = n->attrs[i];
  }
  return k;
}

static bool pmap_axes(jet_emit *e, const jet_node *n, const int64_t **ia, const int64_t **oa) {
  const jet_attr *a = jet_node_attr(n, "in_axes"), *b = jet_node_attr(n, "out_axes");
  if (!a || !b || n->n_subgraphs != 1 || a->u.ints.n != n->n_operands ||
      b->u.ints.n != n->n_results) {
    jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                                     "autodiff of pmap: the node lacks its body or its in_axes / "
                                     "out_axes do not match its operands / results"));
    return false;
  }
  *ia = a->u.ints.v;
  *oa = b->u.ints.v;
  return true;
}

void jet__jvp_PMAP(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  (void)y;
  const uint32_t na = n->n_operands, no = n->n_results;
  for (uint32_t j = 0; j < no; j++) ty[j] = JET_AD_ZERO;
  const int64_t *ia = NULL, *oa = NULL;
  if (!pmap_axes(e, n, &ia, &oa)) return;
  const jet_graph *body = n->subgraphs[0];
  jet_emit se = {0};
  jet_value *prim = jet__ctl_calloc(e, 2 * (size_t)na, sizeof *prim);
  jet_value *po = jet__ctl_calloc(e, 2 * (size_t)no, sizeof *po);
  jet_value *ot = jet__ctl_calloc(e, no, sizeof *ot);
  jet_value *ops = jet__ctl_calloc(e, 2 * (size_t)na, sizeof *ops);
  int64_t *nia = jet__ctl_calloc(e, 2 * (size_t)na, sizeof *nia);
  int64_t *noa = jet__ctl_calloc(e, 2 * (size_t)no, sizeof *noa);
  if (e->status) goto done;
  jet__ctl_sub_begin(e, &se, body, "jvp");
  if (e->status) goto done;
  jet_value *tan = prim + na;
  for (uint32_t i = 0; i < na; i++) prim[i] = jet__ctl_param(&se, &body->value_types[i]);
  for (uint32_t i = 0; i < na; i++)
    tan[i] = t[i] != JET_AD_ZERO ? jet__ctl_param(&se, &body->value_types[i]) : JET_AD_ZERO;
  jet_ad_emit_jvp(&se, body, prim, tan, po, ot);
  /* Body outputs: (outs..., the non-zero float tangents...). */
  uint32_t nr = no;
  for (uint32_t j = 0; j < no; j++) noa[j] = oa[j];
  for (uint32_t j = 0; j < no; j++) {
    if (ot[j] == JET_AD_ZERO || !jet_dtype_is_float(n->results[j].dtype)) continue;
    noa[nr] = oa[j];
    po[nr++] = ot[j];
  }
  if (!jet__ctl_sub_end(e, &se, po, nr) || nr == no) goto done;
  uint32_t nops = 0;
  for (uint32_t i = 0; i < na; i++) {
    nia[nops] = ia[i];
    ops[nops++] = x[i];
  }
  for (uint32_t i = 0; i < na; i++) {
    if (t[i] == JET_AD_ZERO) continue;
    nia[nops] = ia[i];
    ops[nops++] = t[i];
  }
  jet_attr at[JET_MAX_OP_ATTRS];
  uint32_t nat = pmap_attrs(n, nia, nops, noa, nr, at);
  jet_graph *subs[1] = {se.g};
  jet_value first = jet__ctl_emit(e, JET_OP_PMAP, ops, nops, at, nat, subs, 1);
  if (e->status) goto done;
  uint32_t pos = no;
  for (uint32_t j = 0; j < no; j++)
    if (ot[j] != JET_AD_ZERO && jet_dtype_is_float(n->results[j].dtype)) ty[j] = first + pos++;
done:
  jet_status_free(se.status);
  free(prim);
  free(po);
  free(ot);
  free(ops);
  free(nia);
  free(noa);
}

/* ct where this member is member 0 of axis `an`, zeros elsewhere. */
static jet_value member0_only(jet_emit *se, const jet_node *n, jet_value ct) {
  const jet_attr *an = jet_node_attr(n, "axis_name");
  jet_attr a = {.name = "axis_name", .kind = JET_ATTR_STR};
  a.u.s = an && an->kind == JET_ATTR_STR ? an->u.s : "";
  jet_value idx = jet_emit_op(se, JET_OP_AXIS_INDEX, NULL, 0, &a, 1);
  if (se->status) return JET_AD_ZERO;
  jet_value zero = jet_emit_scalar(se, jet_emit_type(se, idx)->dtype, 0);
  jet_value is0 = jet_emit2(se, JET_OP_EQ, idx, zero);
  if (se->status) return JET_AD_ZERO;
  const jet_type t = *jet_emit_type(se, ct);
  jet_type bt = t;
  bt.dtype = JET_BOOL;
  jet_value pred = t.rank ? jet_emit_broadcast_to(se, is0, &bt) : is0;
  return jet_emit3(se, JET_OP_SELECT, pred, ct, jet_emit_full(se, &t, 0.0));
}

void jet__vjp_PMAP(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  (void)y;
  const uint32_t na = n->n_operands, no = n->n_results;
  for (uint32_t i = 0; i < na; i++) cx[i] = JET_AD_ZERO;
  const int64_t *ia = NULL, *oa = NULL;
  if (!pmap_axes(e, n, &ia, &oa)) return;
  const jet_graph *body = n->subgraphs[0];
  jet_emit se = {0};
  jet_value *prim = jet__ctl_calloc(e, na, sizeof *prim);
  jet_value *cts = jet__ctl_calloc(e, no, sizeof *cts);
  /* the body's primal outputs (no), then its outputs (one per operand at most) */
  jet_value *outs = jet__ctl_calloc(e, (size_t)na + no, sizeof *outs);
  jet_value *ic = jet__ctl_calloc(e, na, sizeof *ic);
  jet_value *ops = jet__ctl_calloc(e, (size_t)na + no, sizeof *ops);
  int64_t *nia = jet__ctl_calloc(e, (size_t)na + no, sizeof *nia);
  int64_t *noa = jet__ctl_calloc(e, na, sizeof *noa);
  bool *has = jet__ctl_calloc(e, no, sizeof *has);
  if (e->status) goto done;
  jet__ctl_sub_begin(e, &se, body, "vjp");
  if (e->status) goto done;
  for (uint32_t i = 0; i < na; i++) prim[i] = jet__ctl_param(&se, &body->value_types[i]);
  /* Symbolic-zero (or non-float) output cotangents are dropped. */
  for (uint32_t j = 0; j < no; j++)
    has[j] = ct[j] != JET_AD_ZERO && jet_dtype_is_float(n->results[j].dtype);
  for (uint32_t j = 0; j < no; j++)
    cts[j] = has[j] ? jet__ctl_param(&se, &body->value_types[body->outputs[j]]) : JET_AD_ZERO;
  for (uint32_t j = 0; j < no; j++)
    if (has[j] && oa[j] < 0) cts[j] = member0_only(&se, n, cts[j]);
  jet_ad_emit_vjp(&se, body, prim, cts, outs, ic);
  /* Body outputs: the cotangents of the float operands it reaches. */
  uint32_t nr = 0;
  const jet_attr *an = jet_node_attr(n, "axis_name");
  jet_attr an_attr = {.name = "axis_name", .kind = JET_ATTR_STR};
  an_attr.u.s = an && an->kind == JET_ATTR_STR ? an->u.s : "";
  for (uint32_t i = 0; i < na; i++) {
    if (ic[i] == JET_AD_ZERO || !jet_dtype_is_float(body->value_types[i].dtype)) {
      ic[i] = JET_AD_ZERO;
      continue;
    }
    if (ia[i] < 0) ic[i] = jet_emit_op(&se, JET_OP_PSUM, &ic[i], 1, &an_attr, 1);
    noa[nr] = ia[i];
    outs[nr++] = ic[i];
  }
  if (!jet__ctl_sub_end(e, &se, outs, nr) || nr == 0) goto done;
  uint32_t nops = 0;
  for (uint32_t i = 0; i < na; i++) {
    nia[nops] = ia[i];
    ops[nops++] = x[i];
  }
  for (uint32_t j = 0; j < no; j++) {
    if (!has[j]) continue;
    nia[nops] = oa[j];
    ops[nops++] = ct[j];
  }
  jet_attr at[JET_MAX_OP_ATTRS];
  uint32_t nat = pmap_attrs(n, nia, nops, noa, nr, at);
  jet_graph *subs[1] = {se.g};
  jet_value first = jet__ctl_emit(e, JET_OP_PMAP, ops, nops, at, nat, subs, 1);
  if (e->status) goto done;
  uint32_t pos = 0;
  for (uint32_t i = 0; i < na; i++)
    if (ic[i] != JET_AD_ZERO) cx[i] = first + pos++;
done:
  jet_status_free(se.status);
  free(prim);
  free(cts);
  free(outs);
  free(ic);
  free(ops);
  free(nia);
  free(noa);
  free(has);
}
