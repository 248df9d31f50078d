/* JVP and VJP rules of the collectives over a named axis, as JAX's
 * (jax/_src/lax/parallel.py; classic pmap transposes):
 *
 *   psum          linear: JVP psum(t); VJP psum(ct) ("psum is its own
 *                 transpose": each member's gradient sums every member's
 *                 cotangent, so the gradient is that of the summed loss).
 *   pmax / pmin   no rule in JAX: UNIMPLEMENTED with JAX's message (under
 *                 vmap over their axis they are reduce_max/min first,
 *                 which differentiate).
 *   all_gather    linear; VJP psum_scatter(ct) over scatter_dimension =
 *                 axis, same tiled and axis_size.
 *   psum_scatter  linear; VJP all_gather(ct) at axis = scatter_dimension.
 *   all_to_all    linear; VJP all_to_all(ct) with split/concat swapped.
 *   ppermute      linear; VJP ppermute(ct) with every (src, dst) pair
 *                 inverted.
 *   axis_index    integer result: zero. */
#include <stdlib.h>

#include "transforms/ad/ad.h"

/* The same op with the same attributes on the tangent (a linear op). */
static void linear_jvp(jet_emit *e, const jet_node *n, const jet_value *t, jet_value *ty) {
  ty[0] = t[0] == JET_AD_ZERO ? JET_AD_ZERO : jet_emit_op(e, n->op, &t[0], 1, n->attrs, n->n_attrs);
}

static jet_attr str_attr(const jet_node *n, const char *name) {
  const jet_attr *a = jet_node_attr(n, name);
  jet_attr r = {.name = name, .kind = JET_ATTR_STR};
  r.u.s = a && a->kind == JET_ATTR_STR ? a->u.s : "";
  return r;
}

/* ---- psum ---- */

void jet__jvp_PSUM(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  linear_jvp(e, n, t, ty);
}

void jet__vjp_PSUM(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  (void)x, (void)y;
  cx[0] = jet_emit_op(e, JET_OP_PSUM, &ct[0], 1, n->attrs, n->n_attrs);
}

/* ---- pmax / pmin ---- */

static void no_rule(jet_emit *e, const jet_node *n) {
  jet_emit_fail(e, jet_status_make(JET_UNIMPLEMENTED, "Differentiation rule for '%s' not implemented",
                                   jet_op_name(n->op)));
}

void jet__jvp_PMAX(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  jet__jvp_zero(e, n, x, t, y, ty);
  no_rule(e, n);
}

void jet__vjp_PMAX(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  jet__vjp_zero(e, n, x, y, ct, cx);
  no_rule(e, n);
}

void jet__jvp_PMIN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  jet__jvp_zero(e, n, x, t, y, ty);
  no_rule(e, n);
}

void jet__vjp_PMIN(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  jet__vjp_zero(e, n, x, y, ct, cx);
  no_rule(e, n);
}

/* ---- all_gather <-> psum_scatter ---- */

void jet__jvp_ALL_GATHER(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                         const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  linear_jvp(e, n, t, ty);
}

void jet__vjp_ALL_GATHER(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                         const jet_value *ct, jet_value *cx) {
  (void)x, (void)y;
  jet_attr at[4] = {str_attr(n, "axis_name"),
                    jet_emit_attr_int("axis_size", jet_node_attr_int(n, "axis_size", 1)),
                    jet_emit_attr_int("scatter_dimension", jet_node_attr_int(n, "axis", 0)),
                    jet_emit_attr_bool("tiled", jet_node_attr_bool(n, "tiled", false))};
  cx[0] = jet_emit_op(e, JET_OP_PSUM_SCATTER, &ct[0], 1, at, 4);
}

void jet__jvp_PSUM_SCATTER(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                           const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  linear_jvp(e, n, t, ty);
}

void jet__vjp_PSUM_SCATTER(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                           const jet_value *ct, jet_value *cx) {
  (void)x, (void)y;
  jet_attr at[4] = {str_attr(n, "axis_name"),
                    jet_emit_attr_int("axis_size", jet_node_attr_int(n, "axis_size", 1)),
                    jet_emit_attr_int("axis", jet_node_attr_int(n, "scatter_dimension", 0)),
                    jet_emit_attr_bool("tiled", jet_node_attr_bool(n, "tiled", false))};
  cx[0] = jet_emit_op(e, JET_OP_ALL_GATHER, &ct[0], 1, at, 4);
}

/* ---- all_to_all ---- */

void jet__jvp_ALL_TO_ALL(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                         const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  linear_jvp(e, n, t, ty);
}

void jet__vjp_ALL_TO_ALL(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                         const jet_value *ct, jet_value *cx) {
  (void)x, (void)y;
  jet_attr at[5] = {str_attr(n, "axis_name"),
                    jet_emit_attr_int("axis_size", jet_node_attr_int(n, "axis_size", 1)),
                    jet_emit_attr_int("split_axis", jet_node_attr_int(n, "concat_axis", 0)),
                    jet_emit_attr_int("concat_axis", jet_node_attr_int(n, "split_axis", 0)),
                    jet_emit_attr_bool("tiled", jet_node_attr_bool(n, "tiled", false))};
  cx[0] = jet_emit_op(e, JET_OP_ALL_TO_ALL, &ct[0], 1, at, 5);
}

/* ---- ppermute ---- */

void jet__jvp_PPERMUTE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                       const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  linear_jvp(e, n, t, ty);
}

void jet__vjp_PPERMUTE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                       const jet_value *ct, jet_value *cx) {
  (void)x, (void)y;
  const jet_attr *p = jet_node_attr(n, "perm");
  uint32_t np = p && p->kind == JET_ATTR_INTS ? p->u.ints.n : 0;
  int64_t *inv = malloc(sizeof(int64_t) * (np ? np : 1));
  if (!inv) {
    jet_emit_fail(e, jet_status_oom("ppermute transpose"));
    return;
  }
  for (uint32_t k = 0; k + 1 < np; k += 2) {
    inv[k] = p->u.ints.v[k + 1];
    inv[k + 1] = p->u.ints.v[k];
  }
  jet_attr at[2] = {str_attr(n, "axis_name"), jet_emit_attr_ints("perm", inv, np)};
  cx[0] = jet_emit_op(e, JET_OP_PPERMUTE, &ct[0], 1, at, 2);
  free(inv);
}

/* ---- axis_index ---- */

JET_AD_ZERO_RULES(AXIS_INDEX)
