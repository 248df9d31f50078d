/* AD rules (JVP and VJP) of select and clamp.
 *
 * select(pred, a, b): tangent select(pred, ta, tb) (a zero tangent becomes
 * zeros); cotangents select(pred, ct, 0) and select(pred, 0, ct); the
 * predicate gets none.
 * clamp(lo, x, hi), as JAX: x's tangent where lo < x < hi, lo's where
 * lo > x (and lo < hi), hi's where hi < x; lo and hi may be rank 0, their
 * tangents are broadcast and their cotangents summed back.
 */
#include "transforms/ad/ad.h"

void jet__jvp_SELECT(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                     const jet_value *y, jet_value *ty) {
  (void)n;
  ty[0] = JET_AD_ZERO;
  if (!jet_dtype_is_float(jet_emit_type(e, y[0])->dtype)) return;
  if (t[1] == JET_AD_ZERO && t[2] == JET_AD_ZERO) return;
  jet_value a = t[1] != JET_AD_ZERO ? t[1] : jet_emit_full_like(e, y[0], 0.0);
  jet_value b = t[2] != JET_AD_ZERO ? t[2] : jet_emit_full_like(e, y[0], 0.0);
  ty[0] = jet_emit3(e, JET_OP_SELECT, x[0], a, b);
}

void jet__vjp_SELECT(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                     const jet_value *ct, jet_value *cx) {
  (void)n;
  cx[0] = cx[1] = cx[2] = JET_AD_ZERO;
  if (ct[0] == JET_AD_ZERO || !jet_dtype_is_float(jet_emit_type(e, y[0])->dtype)) return;
  jet_value z = jet_emit_full_like(e, ct[0], 0.0);
  cx[1] = jet_emit3(e, JET_OP_SELECT, x[0], ct[0], z);
  cx[2] = jet_emit3(e, JET_OP_SELECT, x[0], z, ct[0]);
}

/* The masks of clamp(lo, x, hi), each of x's shape (every mask compares
 * with x; lo and hi may be rank 0): which[0] where lo's
 * tangent flows, which[1] x's, which[2] hi's. Only those with want[i]. */
static void clamp_masks(jet_emit *e, const jet_value *x, const bool *want, jet_value *which) {
  jet_value lo = x[0], v = x[1], hi = x[2];
  which[0] = which[1] = which[2] = JET_AD_ZERO;
  if (want[0])
    which[0] =
        jet_emit2(e, JET_OP_AND, jet_emit2(e, JET_OP_GT, lo, v), jet_emit2(e, JET_OP_LT, lo, hi));
  if (want[1])
    which[1] =
        jet_emit2(e, JET_OP_AND, jet_emit2(e, JET_OP_GT, v, lo), jet_emit2(e, JET_OP_LT, v, hi));
  if (want[2]) which[2] = jet_emit2(e, JET_OP_LT, hi, v);
}

void jet__jvp_CLAMP(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                    const jet_value *y, jet_value *ty) {
  (void)n;
  ty[0] = JET_AD_ZERO;
  jet_type yt = *jet_emit_type(e, y[0]);
  if (!jet_dtype_is_float(yt.dtype)) return;
  bool want[3] = {t[0] != JET_AD_ZERO, t[1] != JET_AD_ZERO, t[2] != JET_AD_ZERO};
  jet_value which[3];
  clamp_masks(e, x, want, which);
  jet_value r = JET_AD_ZERO;
  for (int i = 0; i < 3; i++) {
    if (!want[i]) continue;
    jet_value ti = jet_emit_broadcast_to(e, t[i], &yt);
    jet_value z = jet_emit_full(e, &yt, 0.0);
    r = jet_emit_add_any(e, r, jet_emit3(e, JET_OP_SELECT, which[i], ti, z));
  }
  ty[0] = r;
}

void jet__vjp_CLAMP(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                    const jet_value *ct, jet_value *cx) {
  (void)n;
  cx[0] = cx[1] = cx[2] = JET_AD_ZERO;
  if (ct[0] == JET_AD_ZERO || !jet_dtype_is_float(jet_emit_type(e, y[0])->dtype)) return;
  bool want[3] = {true, true, true};
  jet_value which[3];
  clamp_masks(e, x, want, which);
  jet_value z = jet_emit_full_like(e, ct[0], 0.0);
  for (int i = 0; i < 3; i++) {
    jet_type xt = *jet_emit_type(e, x[i]);
    cx[i] = jet_emit_unbroadcast(e, jet_emit3(e, JET_OP_SELECT, which[i], ct[0], z), &xt);
  }
}
