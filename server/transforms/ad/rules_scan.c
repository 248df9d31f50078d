/* JVP and VJP rules of scan (design in rules_control.c).
 *
 * jvp: scan[n_consts=nc+ncz, n_carry=nk+nkz](consts, const tangents,
 *      init, carry tangents, xs, xs tangents), body = JVP of the body:
 *      outputs (carry, carry tangents, ys, ys tangents); only the tangents
 *      the dependence analysis cannot rule out.
 * vjp: a forward scan returning (carry, ys, stacked incoming carries),
 *      which the compiler merges with the primal scan, then
 *      scan[n_consts=nc, n_carry=nkz+nca, reverse=!reverse](consts,
 *      ct carries, const accumulators, residual carries, xs, ct ys) whose
 *      body recomputes the step from the saved carry (step-level
 *      checkpointing) and runs its VJP. */
#include <stdlib.h>

#include "transforms/ad/rules_control.h"

typedef struct scan_shape {
  uint32_t nc, nk, nx, ny, nin;
  int64_t length;
  bool reverse;
  const jet_graph *bg;
  const jet_type *pt; /* body param types: consts, carries, x slices */
} scan_shape;

static scan_shape shape_of(const jet_node *n) {
  scan_shape s;
  s.bg = n->subgraphs[0];
  s.pt = s.bg->value_types;
  s.nin = n->n_operands;
  s.nc = (uint32_t)jet_node_attr_int(n, "n_consts", 0);
  s.nk = (uint32_t)jet_node_attr_int(n, "n_carry", 0);
  s.nx = s.nin - s.nc - s.nk;
  s.ny = s.bg->n_outputs - s.nk;
  s.length = jet_node_attr_int(n, "length", 0);
  s.reverse = jet_node_attr_bool(n, "reverse", false);
  return s;
}

static jet_value emit_scan(jet_emit *e, const scan_shape *s, const jet_value *ops, uint32_t nops,
                           uint32_t nc, uint32_t nk, bool reverse, jet_graph *body) {
  jet_attr a[4] = {jet_emit_attr_int("n_consts", nc), jet_emit_attr_int("n_carry", nk),
                   jet_emit_attr_int("length", s->length), jet_emit_attr_bool("reverse", reverse)};
  return jet__ctl_emit(e, JET_OP_SCAN, ops, nops, a, 4, &body, 1);
}

void jet__jvp_SCAN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  (void)y;
  const scan_shape s = shape_of(n);
  const uint32_t nin = s.nin, no = s.bg->n_outputs;
  jet_emit sb = {0};
  bool *in_nz = jet__ctl_calloc(e, nin, sizeof *in_nz);
  bool *out_nz = jet__ctl_calloc(e, no, sizeof *out_nz);
  jet_value *prim = jet__ctl_calloc(e, nin, sizeof *prim);
  jet_value *tan = jet__ctl_calloc(e, nin, sizeof *tan);
  jet_value *outs = jet__ctl_calloc(e, 2 * (size_t)no, sizeof *outs);
  jet_value *res = jet__ctl_calloc(e, 2 * (size_t)no, sizeof *res);
  jet_value *ops = jet__ctl_calloc(e, 2 * (size_t)nin, sizeof *ops);
  if (e->status) goto done;
  jet_value *otan = outs + no;
  for (uint32_t i = 0; i < nin; i++) in_nz[i] = t[i] != JET_AD_ZERO;
  if (!jet__ctl_fwd_carry_nz(e, s.bg, s.nc, s.nk, in_nz, out_nz)) goto done;
  uint32_t nz[3] = {0, 0, 0}, nyz = 0; /* non-zero tangents of consts, carries, xs */
  for (uint32_t i = 0; i < nin; i++) nz[i < s.nc ? 0 : i < s.nc + s.nk ? 1 : 2] += in_nz[i];
  for (uint32_t j = s.nk; j < no; j++) nyz += out_nz[j];
  if (nz[1] + nyz == 0) goto done; /* no float result can have a tangent */

  /* Body params (consts, tconsts, carry, tcarry, x, tx): each group's
   * primals then its non-zero tangents. */
  jet__ctl_sub_begin(e, &sb, s.bg, "jvp");
  if (e->status) goto done;
  const uint32_t lo[3] = {0, s.nc, s.nc + s.nk}, hi[3] = {s.nc, s.nc + s.nk, nin};
  for (int gi = 0; gi < 3; gi++) {
    for (uint32_t i = lo[gi]; i < hi[gi]; i++) prim[i] = jet__ctl_param(&sb, &s.pt[i]);
    for (uint32_t i = lo[gi]; i < hi[gi]; i++)
      tan[i] = in_nz[i] ? jet__ctl_param(&sb, &s.pt[i]) : JET_AD_ZERO;
  }
  if (!sb.status) jet_ad_emit_jvp(&sb, s.bg, prim, tan, outs, otan);
  /* Outputs (carry, tcarry, ys, tys). */
  uint32_t nr = 0;
  for (int part = 0; part < 2; part++) {
    const uint32_t a = part ? s.nk : 0, b = part ? no : s.nk;
    for (uint32_t j = a; j < b; j++) res[nr++] = outs[j];
    for (uint32_t j = a; j < b && !sb.status; j++) {
      const bool want = part ? out_nz[j] : in_nz[s.nc + j];
      const jet_type *tt = &s.bg->value_types[s.bg->outputs[j]];
      if (want)
        res[nr++] = jet__ctl_or_zeros(&sb, otan[j], tt);
      else if (otan[j] != JET_AD_ZERO)
        jet_emit_fail(&sb, jet_status_make(JET_INTERNAL,
                                           "jvp of scan: body output %u got a tangent the "
                                           "dependence analysis ruled out", j));
    }
  }
  if (!jet__ctl_sub_end(e, &sb, res, nr)) goto done;
  uint32_t nops = 0;
  for (int gi = 0; gi < 3; gi++) {
    for (uint32_t i = lo[gi]; i < hi[gi]; i++) ops[nops++] = x[i];
    for (uint32_t i = lo[gi]; i < hi[gi]; i++) {
      if (!in_nz[i]) continue;
      if (t[i] != JET_AD_ZERO) {
        ops[nops++] = t[i];
      } else { /* a carry whose tangent starts at zero */
        const jet_type tt = *jet_emit_type(e, x[i]);
        ops[nops++] = jet_emit_full(e, &tt, 0.0);
      }
    }
  }
  jet_value first = emit_scan(e, &s, ops, nops, s.nc + nz[0], s.nk + nz[1], s.reverse, sb.g);
  if (e->status) goto done;
  uint32_t pos = s.nk;
  for (uint32_t i = 0; i < s.nk; i++)
    if (in_nz[s.nc + i]) ty[i] = first + pos++;
  pos += s.ny;
  for (uint32_t j = s.nk; j < no; j++)
    if (out_nz[j]) ty[j] = first + pos++;
done:
  jet_status_free(sb.status);
  free(in_nz);
  free(out_nz);
  free(prim);
  free(tan);
  free(outs);
  free(res);
  free(ops);
}

/* The forward scan that also stacks each step's incoming carry: results
 * (carry..., ys..., residual carries...). Its body is the source body with
 * the incoming carries appended to its outputs, so the compiler's control
 * pass (compiler/passes/control.c) merges the primal scan into it (the
 * forward steps run once) and drops the ys nothing reads. Returns the
 * first residual (JET_AD_ZERO on error). */
static jet_value forward_with_residuals(jet_emit *e, const scan_shape *s, const jet_value *x,
                                        jet_value *scratch) {
  jet_emit sf = {0};
  jet__ctl_sub_begin(e, &sf, s->bg, "fwd");
  if (e->status) return JET_AD_ZERO;
  const uint32_t no = s->bg->n_outputs;
  jet_value *prim = scratch, *outs = scratch + s->nin;
  for (uint32_t i = 0; i < s->nin; i++) prim[i] = jet__ctl_param(&sf, &s->pt[i]);
  if (!sf.status) jet__ctl_inline(&sf, s->bg, prim, outs);
  for (uint32_t i = 0; i < s->nk; i++) outs[no + i] = prim[s->nc + i];
  if (!jet__ctl_sub_end(e, &sf, outs, no + s->nk)) {
    jet_status_free(sf.status);
    return JET_AD_ZERO;
  }
  jet_value first = emit_scan(e, s, x, s->nin, s->nc, s->nk, s->reverse, sf.g);
  return e->status ? JET_AD_ZERO : first + no;
}

void jet__vjp_SCAN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  (void)y;
  const scan_shape s = shape_of(n);
  const uint32_t nin = s.nin, no = s.bg->n_outputs, nc = s.nc, nk = s.nk;
  jet_emit sb = {0};
  bool *in_nz = jet__ctl_calloc(e, nin, sizeof *in_nz);
  bool *out_nz = jet__ctl_calloc(e, no, sizeof *out_nz);
  jet_value *v = jet__ctl_calloc(e, 4 * (size_t)(nin + no) + 8, sizeof *v);
  jet_value *r = jet__ctl_calloc(e, nin, sizeof *r);
  if (e->status) goto done;
  jet_value *prim = v, *cts = prim + nin, *outs = cts + no, *ic = outs + no,
            *ops = ic + nin; /* ops: up to 2 * (nin + no) */
  /* Carries and consts with a possibly non-zero cotangent: fixed point. */
  for (uint32_t j = 0; j < no; j++) out_nz[j] = ct[j] != JET_AD_ZERO;
  for (bool changed = true; changed;) {
    changed = false;
    if (!jet__ctl_bwd_nz(e, s.bg, out_nz, in_nz)) goto done;
    for (uint32_t i = 0; i < nk; i++) {
      if (in_nz[nc + i] && !out_nz[i]) {
        out_nz[i] = true;
        changed = true;
      }
    }
  }
  uint32_t nkz = 0, nca = 0, nxz = 0;
  for (uint32_t i = 0; i < nk; i++) nkz += out_nz[i];
  for (uint32_t i = 0; i < nc; i++) nca += in_nz[i];
  for (uint32_t i = nc + nk; i < nin; i++) nxz += in_nz[i];
  if (nkz + nca + nxz == 0) goto done; /* nothing reaches a float operand */

  jet_value res0 = JET_AD_ZERO;
  if (nk) {
    res0 = forward_with_residuals(e, &s, x, v + 2 * (size_t)(nin + no));
    if (e->status) goto done;
  }
  /* Backward body params: (consts, ct carries, accumulators, carry slices,
   * x slices, ct y slices). */
  jet__ctl_sub_begin(e, &sb, s.bg, "vjp");
  if (e->status) goto done;
  const jet_type *ot = s.bg->value_types; /* body output j has type ot[outputs[j]] */
  for (uint32_t i = 0; i < nc; i++) prim[i] = jet__ctl_param(&sb, &s.pt[i]);
  for (uint32_t i = 0; i < nk; i++)
    cts[i] = out_nz[i] ? jet__ctl_param(&sb, &s.pt[nc + i]) : JET_AD_ZERO;
  jet_value acc0 = sb.g ? sb.g->n_params : 0;
  for (uint32_t i = 0; i < nc; i++)
    if (in_nz[i]) (void)jet__ctl_param(&sb, &s.pt[i]);
  for (uint32_t i = nc; i < nin; i++) prim[i] = jet__ctl_param(&sb, &s.pt[i]);
  for (uint32_t j = nk; j < no; j++)
    cts[j] = out_nz[j] ? jet__ctl_param(&sb, &ot[s.bg->outputs[j]]) : JET_AD_ZERO;
  if (!sb.status) jet_ad_emit_vjp(&sb, s.bg, prim, cts, outs, ic);
  /* Outputs: (ct of the previous carries, accumulators + ct consts, ct x).
   * A float param outside the pattern must have got no cotangent. */
  uint32_t nr = 0;
  for (uint32_t i = 0; i < nin && !sb.status; i++) {
    const bool want = nc <= i && i < nc + nk ? out_nz[i - nc] : in_nz[i];
    if (!want && ic[i] != JET_AD_ZERO && jet_dtype_is_float(s.pt[i].dtype))
      jet_emit_fail(&sb, jet_status_make(JET_INTERNAL,
                                         "vjp of scan: body parameter %u got a cotangent the "
                                         "dependence analysis ruled out", i));
  }
  for (uint32_t i = 0; i < nk; i++)
    if (out_nz[i]) r[nr++] = jet__ctl_or_zeros(&sb, ic[nc + i], &s.pt[nc + i]);
  for (uint32_t i = 0, a = acc0; i < nc; i++)
    if (in_nz[i]) r[nr++] = jet_emit_add_any(&sb, a++, ic[i]);
  for (uint32_t i = nc + nk; i < nin; i++)
    if (in_nz[i]) r[nr++] = jet__ctl_or_zeros(&sb, ic[i], &s.pt[i]);
  if (!jet__ctl_sub_end(e, &sb, r, nr)) goto done;

  /* The reversed scan: (consts, ct carries, zero accumulators, residual
   * carries, xs, non-zero ct ys). */
  uint32_t nops = 0;
  for (uint32_t i = 0; i < nc; i++) ops[nops++] = x[i];
  for (uint32_t i = 0; i < nk; i++)
    if (out_nz[i]) ops[nops++] = ct[i] != JET_AD_ZERO ? ct[i] : jet_emit_full(e, &s.pt[nc + i], 0.0);
  for (uint32_t i = 0; i < nc; i++)
    if (in_nz[i]) ops[nops++] = jet_emit_full(e, &s.pt[i], 0.0);
  for (uint32_t i = 0; i < nk; i++) ops[nops++] = res0 + i;
  for (uint32_t i = nc + nk; i < nin; i++) ops[nops++] = x[i];
  for (uint32_t j = nk; j < no; j++)
    if (out_nz[j]) ops[nops++] = ct[j];
  jet_value first = emit_scan(e, &s, ops, nops, nc, nkz + nca, !s.reverse, sb.g);
  if (e->status) goto done;
  uint32_t pos = 0;
  for (uint32_t i = 0; i < nk; i++)
    if (out_nz[i]) cx[nc + i] = first + pos++;
  for (uint32_t i = 0; i < nc; i++)
    if (in_nz[i]) cx[i] = first + pos++;
  for (uint32_t i = nc + nk; i < nin; i++)
    if (in_nz[i]) cx[i] = first + pos++;
done:
  jet_status_free(sb.status);
  free(in_nz);
  free(out_nz);
  free(v);
  free(r);
}
