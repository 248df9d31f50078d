/* JVP and VJP rules of while (design in rules_control.c). Forward mode
 * carries the tangents of the carries that can be non-zero (a fixed point
 * of the body's dependence analysis) next to the carries; reverse mode is
 * refused with JAX's message. */
#include <stdlib.h>

#include "transforms/ad/rules_control.h"

void jet__jvp_WHILE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                    const jet_value *y, jet_value *ty) {
  (void)y;
  const jet_graph *cg = n->subgraphs[0], *bg = n->subgraphs[1];
  const uint32_t nc = (uint32_t)jet_node_attr_int(n, "n_consts", 0), nk = n->n_operands - nc;
  const uint32_t nin = n->n_operands;
  const jet_type *pt = bg->value_types; /* param types: consts..., carries... */
  jet_emit sc = {0}, sb = {0};
  bool *in_nz = jet__ctl_calloc(e, nin, sizeof *in_nz);
  bool *out_nz = jet__ctl_calloc(e, nk, sizeof *out_nz);
  jet_value *prim = jet__ctl_calloc(e, nin, sizeof *prim);
  jet_value *tan = jet__ctl_calloc(e, nin, sizeof *tan);
  jet_value *outs = jet__ctl_calloc(e, 2 * (size_t)nk, sizeof *outs);
  jet_value *res = jet__ctl_calloc(e, 2 * (size_t)nk, sizeof *res);
  jet_value *ops = jet__ctl_calloc(e, 2 * (size_t)nin, sizeof *ops);
  if (e->status) goto done;
  jet_value *otan = outs + nk;
  for (uint32_t i = 0; i < nin; i++) in_nz[i] = t[i] != JET_AD_ZERO;
  /* Carries with a possibly non-zero tangent: fixed point over the body. */
  if (!jet__ctl_fwd_carry_nz(e, bg, nc, nk, in_nz, out_nz)) goto done;
  uint32_t ncz = 0, nkz = 0;
  for (uint32_t i = 0; i < nc; i++) ncz += in_nz[i];
  for (uint32_t i = 0; i < nk; i++) nkz += in_nz[nc + i];
  if (nkz == 0) goto done; /* every carry's tangent is zero */

  /* Both sub-graphs take (consts..., const tangents..., carry..., carry
   * tangents...), the tangents only where in_nz. */
  jet_emit *sub[2] = {&sc, &sb};
  jet__ctl_sub_begin(e, &sc, cg, "jvp");
  jet__ctl_sub_begin(e, &sb, bg, "jvp");
  if (e->status) goto done;
  for (int s = 0; s < 2; s++) {
    for (uint32_t i = 0; i < nc; i++) prim[i] = jet__ctl_param(sub[s], &pt[i]);
    for (uint32_t i = 0; i < nc; i++)
      tan[i] = in_nz[i] ? jet__ctl_param(sub[s], &pt[i]) : JET_AD_ZERO;
    for (uint32_t i = nc; i < nin; i++) prim[i] = jet__ctl_param(sub[s], &pt[i]);
    for (uint32_t i = nc; i < nin; i++)
      tan[i] = in_nz[i] ? jet__ctl_param(sub[s], &pt[i]) : JET_AD_ZERO;
    if (s == 0) {
      /* The cond ignores the tangents. */
      jet_value pred = JET_AD_ZERO;
      if (sc.g && !sc.status) jet__ctl_inline(&sc, cg, prim, &pred);
      jet__ctl_sub_end(e, &sc, &pred, 1);
      continue;
    }
    if (sb.g && !sb.status) jet_ad_emit_jvp(&sb, bg, prim, tan, outs, otan);
    uint32_t nr = 0;
    for (uint32_t i = 0; i < nk; i++) res[nr++] = outs[i];
    for (uint32_t i = 0; i < nk && !sb.status; i++) {
      if (in_nz[nc + i]) {
        res[nr++] = jet__ctl_or_zeros(&sb, otan[i], &pt[nc + i]);
      } else if (otan[i] != JET_AD_ZERO) {
        jet_emit_fail(&sb, jet_status_make(JET_INTERNAL,
                                           "jvp of while: carry %u got a tangent the dependence "
                                           "analysis ruled out", i));
      }
    }
    jet__ctl_sub_end(e, &sb, res, nr);
  }
  if (e->status) goto done;
  uint32_t nops = 0;
  for (uint32_t i = 0; i < nc; i++) ops[nops++] = x[i];
  for (uint32_t i = 0; i < nc; i++)
    if (in_nz[i]) ops[nops++] = t[i];
  for (uint32_t i = nc; i < nin; i++) ops[nops++] = x[i];
  for (uint32_t i = nc; i < nin; i++)
    if (in_nz[i]) ops[nops++] = t[i] != JET_AD_ZERO ? t[i] : jet_emit_full(e, &pt[i], 0.0);
  jet_attr a = jet_emit_attr_int("n_consts", (int64_t)(nc + ncz));
  jet_graph *subs[2] = {sc.g, sb.g};
  jet_value first = jet__ctl_emit(e, JET_OP_WHILE, ops, nops, &a, 1, subs, 2);
  if (e->status) goto done;
  uint32_t pos = nk;
  for (uint32_t i = 0; i < nk; i++)
    if (in_nz[nc + i]) ty[i] = first + pos++;
done:
  jet_status_free(sc.status);
  jet_status_free(sb.status);
  free(in_nz);
  free(out_nz);
  free(prim);
  free(tan);
  free(outs);
  free(res);
  free(ops);
}

void jet__vjp_WHILE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                    const jet_value *ct, jet_value *cx) {
  (void)n;
  (void)x;
  (void)y;
  (void)ct;
  (void)cx;
  jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT,
                                   "Reverse-mode differentiation does not work for lax.while_loop "
                                   "or lax.fori_loop with dynamic start/stop values. Try using "
                                   "lax.scan, or using fori_loop with static start/stop."));
}
