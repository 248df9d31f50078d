/* Emission helpers for the AD rules and drivers (see ad.h): every helper adds
 * checked nodes (shape inference runs) to e->g; errors are sticky in
 * e->status. Also the shared zero rules and the call rules (call nodes are
 * inlined before differentiation, so reaching one is an internal error). */
#include <string.h>

#include "transforms/ad/ad_internal.h"

void jet__ad_fail(jet_emit *e, jet_status st) {
  if (!e->status)
    e->status = st;
  else
    jet_status_free(st);
}

const jet_type *jet_emit_type(const jet_emit *e, jet_value v) {
  static const jet_type dummy = {.dtype = JET_F32, .rank = 0};
  const jet_type *t = (e && e->g && v != JET_AD_ZERO) ? jet_graph_value_type(e->g, v) : NULL;
  return t ? t : &dummy;
}

jet_value jet_emit_op(jet_emit *e, jet_op op, const jet_value *operands, uint32_t n,
                      const jet_attr *attrs, uint32_t n_attrs) {
  if (e->status) return JET_AD_ZERO;
  for (uint32_t i = 0; i < n; i++) {
    if (operands[i] == JET_AD_ZERO) {
      jet__ad_fail(e, jet_status_make(JET_INTERNAL, "autodiff: operand %u of emitted '%s' is a symbolic zero",
                              i, jet_op_name(op)));
      return JET_AD_ZERO;
    }
  }
  jet_value v = JET_AD_ZERO;
  jet_status st = jet_graph_add_node(e->g, op, operands, n, attrs, n_attrs, NULL, NULL, 0, &v);
  if (st) {
    jet__ad_fail(e, jet_status_annotate(st, "autodiff: emitting '%s': ", jet_op_name(op)));
    return JET_AD_ZERO;
  }
  return v;
}

jet_value jet_emit1(jet_emit *e, jet_op op, jet_value x) { return jet_emit_op(e, op, &x, 1, NULL, 0); }

jet_value jet_emit2(jet_emit *e, jet_op op, jet_value x, jet_value y) {
  jet_value v[2] = {x, y};
  return jet_emit_op(e, op, v, 2, NULL, 0);
}

jet_value jet_emit3(jet_emit *e, jet_op op, jet_value a, jet_value b, jet_value c) {
  jet_value v[3] = {a, b, c};
  return jet_emit_op(e, op, v, 3, NULL, 0);
}

jet_attr jet_emit_attr_int(const char *name, int64_t v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_INT;
  a.u.i = v;
  return a;
}

jet_attr jet_emit_attr_ints(const char *name, const int64_t *v, uint32_t n) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_INTS;
  a.u.ints.v = v;
  a.u.ints.n = n;
  return a;
}

jet_attr jet_emit_attr_bool(const char *name, bool v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_BOOL;
  a.u.b = v;
  return a;
}

jet_attr jet_emit_attr_dtype(const char *name, jet_dtype v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_DTYPE;
  a.u.dtype = v;
  return a;
}

jet_value jet_emit_scalar(jet_emit *e, jet_dtype dtype, double v) {
  if (e->status) return JET_AD_ZERO;
  union {
    uint8_t b;
    int32_t i32;
    int64_t i64;
    uint32_t u32;
    float f32;
    double f64;
  } d;
  memset(&d, 0, sizeof d);
  switch (dtype) {
    case JET_BOOL: d.b = v != 0.0; break;
    case JET_U8: d.b = (uint8_t)v; break;
    case JET_I32: d.i32 = (int32_t)v; break;
    case JET_I64: d.i64 = (int64_t)v; break;
    case JET_U32: d.u32 = (uint32_t)v; break;
    case JET_F32: d.f32 = (float)v; break;
    case JET_F64: d.f64 = v; break;
    default:
      jet__ad_fail(e, jet_status_make(JET_UNIMPLEMENTED, "autodiff: constants of dtype %s are not supported",
                              jet_dtype_name(dtype)));
      return JET_AD_ZERO;
  }
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = "value";
  a.kind = JET_ATTR_LITERAL;
  a.u.lit.type = jet_type_scalar(dtype);
  a.u.lit.data = &d;
  a.u.lit.nbytes = jet_dtype_size(dtype);
  return jet_emit_op(e, JET_OP_CONSTANT, NULL, 0, &a, 1);
}

jet_value jet_emit_full(jet_emit *e, const jet_type *t, double v) {
  jet_value s = jet_emit_scalar(e, t->dtype, v);
  return jet_emit_broadcast_to(e, s, t);
}

jet_value jet_emit_full_like(jet_emit *e, jet_value x, double v) {
  if (e->status) return JET_AD_ZERO;
  jet_type t = *jet_emit_type(e, x);
  return jet_emit_full(e, &t, v);
}

jet_value jet_emit_add_any(jet_emit *e, jet_value a, jet_value b) {
  if (a == JET_AD_ZERO) return b;
  if (b == JET_AD_ZERO) return a;
  return jet_emit2(e, JET_OP_ADD, a, b);
}

jet_value jet_emit_neg_z(jet_emit *e, jet_value t) {
  if (t == JET_AD_ZERO) return JET_AD_ZERO;
  return jet_emit1(e, JET_OP_NEG, t);
}

jet_value jet_emit_mul_z(jet_emit *e, jet_value t, jet_value y) {
  if (t == JET_AD_ZERO || y == JET_AD_ZERO) return JET_AD_ZERO;
  return jet_emit2(e, JET_OP_MUL, t, y);
}

jet_value jet_emit_convert(jet_emit *e, jet_value x, jet_dtype dtype) {
  if (e->status) return JET_AD_ZERO;
  if (jet_emit_type(e, x)->dtype == dtype) return x;
  jet_attr a = jet_emit_attr_dtype("new_dtype", dtype);
  return jet_emit_op(e, JET_OP_CONVERT_ELEMENT_TYPE, &x, 1, &a, 1);
}

jet_value jet_emit_broadcast_in_dim(jet_emit *e, jet_value x, const int64_t *shape, int32_t rank,
                                    const int64_t *bdims, uint32_t n_bdims) {
  jet_attr a[2] = {jet_emit_attr_ints("shape", shape, (uint32_t)(rank > 0 ? rank : 0)),
                   jet_emit_attr_ints("broadcast_dimensions", bdims, n_bdims)};
  return jet_emit_op(e, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2);
}

jet_value jet_emit_broadcast_to(jet_emit *e, jet_value x, const jet_type *t) {
  if (e->status) return JET_AD_ZERO;
  const jet_type *xt = jet_emit_type(e, x);
  if (jet_type_same_shape(xt, t)) return x;
  if (xt->rank != 0) {
    char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
    jet__ad_fail(e, jet_status_make(JET_INTERNAL, "autodiff: cannot broadcast %s to the shape of %s",
                            jet_type_str(xt, a, sizeof a), jet_type_str(t, b, sizeof b)));
    return JET_AD_ZERO;
  }
  int64_t shape[JET_MAX_RANK];
  memcpy(shape, t->dims, sizeof(int64_t) * (size_t)t->rank);
  return jet_emit_broadcast_in_dim(e, x, shape, t->rank, NULL, 0);
}

jet_value jet_emit_reduce_sum(jet_emit *e, jet_value x, const int64_t *axes, uint32_t n) {
  jet_attr a = jet_emit_attr_ints("axes", axes, n);
  return jet_emit_op(e, JET_OP_REDUCE_SUM, &x, 1, &a, 1);
}

jet_value jet_emit_reshape(jet_emit *e, jet_value x, const int64_t *sizes, int32_t rank) {
  jet_attr a = jet_emit_attr_ints("new_sizes", sizes, (uint32_t)(rank > 0 ? rank : 0));
  return jet_emit_op(e, JET_OP_RESHAPE, &x, 1, &a, 1);
}

jet_value jet_emit_transpose(jet_emit *e, jet_value x, const int64_t *perm, uint32_t n) {
  jet_attr a = jet_emit_attr_ints("permutation", perm, n);
  return jet_emit_op(e, JET_OP_TRANSPOSE, &x, 1, &a, 1);
}

jet_value jet_emit_unbroadcast(jet_emit *e, jet_value ct, const jet_type *operand_type) {
  if (ct == JET_AD_ZERO || e->status) return JET_AD_ZERO;
  const jet_type *ctt = jet_emit_type(e, ct);
  if (operand_type->rank != 0 || ctt->rank == 0) return ct;
  int64_t axes[JET_MAX_RANK];
  for (int32_t i = 0; i < ctt->rank; i++) axes[i] = i;
  return jet_emit_reduce_sum(e, ct, axes, (uint32_t)ctt->rank);
}

void jet__jvp_zero(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  (void)e, (void)x, (void)t, (void)y;
  for (uint32_t j = 0; j < n->n_results; j++) ty[j] = JET_AD_ZERO;
}

void jet__vjp_zero(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  (void)e, (void)x, (void)y, (void)ct;
  for (uint32_t i = 0; i < n->n_operands; i++) cx[i] = JET_AD_ZERO;
}

void jet__jvp_CALL(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty) {
  jet__jvp_zero(e, n, x, t, y, ty);
  jet__ad_fail(e, jet_status_make(JET_INTERNAL,
                          "autodiff: call nodes are inlined before differentiation (jvp reached one)"));
}

void jet__vjp_CALL(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx) {
  jet__vjp_zero(e, n, x, y, ct, cx);
  jet__ad_fail(e, jet_status_make(JET_INTERNAL,
                          "autodiff: call nodes are inlined before differentiation (vjp reached one)"));
}
