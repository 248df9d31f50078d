/* JVP and VJP rules of cond (design in rules_control.c): a new cond with
 * the same predicate whose branches are the JVPs / VJPs of the branches.
 * The VJP branch recomputes the branch's forward pass. */
#include <stdlib.h>

#include "transforms/ad/rules_control.h"

/* The branches under construction: one emitter per branch. */
typedef struct branches {
  uint32_t nb;
  jet_emit *se;
  jet_graph **subs;
} branches;

static bool branches_init(jet_emit *e, branches *B, const jet_node *n, const char *suffix) {
  B->nb = n->n_subgraphs;
  B->se = jet__ctl_calloc(e, B->nb, sizeof *B->se);
  B->subs = jet__ctl_calloc(e, B->nb, sizeof *B->subs);
  for (uint32_t k = 0; !e->status && k < B->nb; k++) {
    jet__ctl_sub_begin(e, &B->se[k], n->subgraphs[k], suffix);
    B->subs[k] = B->se[k].g;
  }
  return !e->status;
}

/* Ends every branch with outputs outs[k * n_out ...]; moves errors to e. */
static bool branches_end(jet_emit *e, branches *B, const jet_value *outs, uint32_t n_out) {
  bool ok = true;
  for (uint32_t k = 0; k < B->nb; k++)
    ok = jet__ctl_sub_end(e, &B->se[k], outs + (size_t)n_out * k, n_out) && ok;
  return ok && !e->status;
}

static void branches_free(branches *B) {
  if (B->se)
    for (uint32_t k = 0; k < B->nb; k++) jet_status_free(B->se[k].status);
  free(B->se);
  free(B->subs);
}

void jet__jvp_COND(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  (void)y;
  const uint32_t na = n->n_operands - 1, no = n->n_results, nb = n->n_subgraphs;
  branches B = {0};
  /* per branch k: primal outs po[k*no..], tangents ot[k*no..], results res[k*2no..] */
  jet_value *prim = jet__ctl_calloc(e, 2 * (size_t)na, sizeof *prim);
  jet_value *po = jet__ctl_calloc(e, (size_t)no * nb, sizeof *po);
  jet_value *ot = jet__ctl_calloc(e, (size_t)no * nb, sizeof *ot);
  jet_value *res = jet__ctl_calloc(e, 2 * (size_t)no * nb, sizeof *res);
  jet_value *ops = jet__ctl_calloc(e, 2 * (size_t)na + 1, sizeof *ops);
  bool *onz = jet__ctl_calloc(e, no, sizeof *onz);
  if (e->status || !branches_init(e, &B, n, "jvp")) goto done;
  jet_value *tan = prim + na;
  for (uint32_t k = 0; k < nb; k++) {
    const jet_graph *br = n->subgraphs[k];
    jet_emit *se = &B.se[k];
    for (uint32_t i = 0; i < na; i++) prim[i] = jet__ctl_param(se, &br->value_types[i]);
    for (uint32_t i = 0; i < na; i++)
      tan[i] = t[1 + i] != JET_AD_ZERO ? jet__ctl_param(se, &br->value_types[i]) : JET_AD_ZERO;
    jet_value *otk = ot + (size_t)no * k;
    jet_ad_emit_jvp(se, br, prim, tan, po + (size_t)no * k, otk);
    for (uint32_t j = 0; j < no; j++)
      onz[j] = onz[j] || (otk[j] != JET_AD_ZERO && jet_dtype_is_float(n->results[j].dtype));
  }
  /* Branch outputs: (outs..., the tangents non-zero in some branch...). */
  uint32_t nr = 0;
  for (uint32_t k = 0; k < nb; k++) {
    jet_emit *se = &B.se[k];
    jet_value *r = res + (size_t)2 * no * k;
    nr = 0;
    for (uint32_t j = 0; j < no; j++) r[nr++] = po[(size_t)no * k + j];
    for (uint32_t j = 0; j < no; j++)
      if (onz[j]) r[nr++] = jet__ctl_or_zeros(se, ot[(size_t)no * k + j], &n->results[j]);
  }
  /* Ends with a stride of 2*no: pack each branch's nr outputs first. */
  for (uint32_t k = 0; k < nb; k++)
    for (uint32_t j = 0; j < nr; j++) res[(size_t)nr * k + j] = res[(size_t)2 * no * k + j];
  /* No output has a tangent in any branch: nothing to emit. */
  if (!branches_end(e, &B, res, nr) || nr == no) goto done;
  uint32_t nops = 0;
  for (uint32_t i = 0; i <= na; i++) ops[nops++] = x[i];
  for (uint32_t i = 0; i < na; i++)
    if (t[1 + i] != JET_AD_ZERO) ops[nops++] = t[1 + i];
  jet_value first = jet__ctl_emit(e, JET_OP_COND, ops, nops, n->attrs, n->n_attrs, B.subs, nb);
  if (e->status) goto done;
  uint32_t pos = no;
  for (uint32_t j = 0; j < no; j++)
    if (onz[j]) ty[j] = first + pos++;
done:
  branches_free(&B);
  free(prim);
  free(po);
  free(ot);
  free(res);
  free(ops);
  free(onz);
}

void jet__vjp_COND(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  (void)y;
  const uint32_t na = n->n_operands - 1, no = n->n_results, nb = n->n_subgraphs;
  branches B = {0};
  jet_value *prim = jet__ctl_calloc(e, na, sizeof *prim);
  jet_value *cts = jet__ctl_calloc(e, no, sizeof *cts);
  jet_value *outs = jet__ctl_calloc(e, no, sizeof *outs);
  jet_value *ic = jet__ctl_calloc(e, (size_t)na * nb, sizeof *ic);
  jet_value *res = jet__ctl_calloc(e, (size_t)na * nb, sizeof *res);
  jet_value *ops = jet__ctl_calloc(e, (size_t)na + no + 1, sizeof *ops);
  bool *anz = jet__ctl_calloc(e, na, sizeof *anz);
  if (e->status || !branches_init(e, &B, n, "vjp")) goto done;
  for (uint32_t k = 0; k < nb; k++) {
    const jet_graph *br = n->subgraphs[k];
    jet_emit *se = &B.se[k];
    for (uint32_t i = 0; i < na; i++) prim[i] = jet__ctl_param(se, &br->value_types[i]);
    /* Symbolic-zero output cotangents are dropped: no parameter. */
    for (uint32_t j = 0; j < no; j++)
      cts[j] = ct[j] != JET_AD_ZERO ? jet__ctl_param(se, &n->results[j]) : JET_AD_ZERO;
    jet_value *ick = ic + (size_t)na * k;
    jet_ad_emit_vjp(se, br, prim, cts, outs, ick);
    for (uint32_t i = 0; i < na; i++)
      anz[i] = anz[i] || (ick[i] != JET_AD_ZERO && jet_dtype_is_float(br->value_types[i].dtype));
  }
  uint32_t nr = 0;
  for (uint32_t k = 0; k < nb; k++) {
    const jet_graph *br = n->subgraphs[k];
    nr = 0;
    for (uint32_t i = 0; i < na; i++)
      if (anz[i])
        res[(size_t)na * k + nr++] =
            jet__ctl_or_zeros(&B.se[k], ic[(size_t)na * k + i], &br->value_types[i]);
  }
  for (uint32_t k = 0; k < nb; k++)
    for (uint32_t j = 0; j < nr; j++) res[(size_t)nr * k + j] = res[(size_t)na * k + j];
  /* nr == 0: no branch reaches a float argument, every cotangent is zero. */
  if (!branches_end(e, &B, res, nr) || nr == 0) goto done;
  uint32_t nops = 0;
  for (uint32_t i = 0; i <= na; i++) ops[nops++] = x[i];
  for (uint32_t j = 0; j < no; j++)
    if (ct[j] != JET_AD_ZERO) ops[nops++] = ct[j];
  jet_value first = jet__ctl_emit(e, JET_OP_COND, ops, nops, n->attrs, n->n_attrs, B.subs, nb);
  if (e->status) goto done;
  uint32_t pos = 0;
  for (uint32_t i = 0; i < na; i++)
    if (anz[i]) cx[1 + i] = first + pos++;
done:
  branches_free(&B);
  free(prim);
  free(cts);
  free(outs);
  free(ic);
  free(res);
  free(ops);
  free(anz);
}
