/* JVP and VJP rules of slicing and padding: slice, dynamic_slice,
 * dynamic_update_slice, concatenate, pad.
 *
 * All are linear in their float operands (start indices are integers and
 * get zero cotangents). VJPs, as in JAX:
 *   slice                -> pad(ct, 0) with lo = start, interior = stride-1
 *                           and hi filling up to the operand size;
 *   dynamic_slice        -> dynamic_update_slice(zeros, ct, starts): both
 *                           ops clamp the starts to [0, dim - size] alike;
 *   dynamic_update_slice -> operand: ct with the window replaced by zeros,
 *                           update: dynamic_slice(ct, starts);
 *   concatenate          -> static slices of ct along the dimension;
 *   pad                  -> operand: pad(ct, 0) with -lo/-hi (crops) then a
 *                           slice with stride interior+1; padding value:
 *                           sum(ct) - sum(operand part). */
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/ad.h"

/* v, or zeros of like's type when v is a symbolic zero. */
static jet_value or_zeros(jet_emit *e, jet_value v, jet_value like) {
  return v != JET_AD_ZERO ? v : jet_emit_full_like(e, like, 0.0);
}

static const int64_t *ints_attr(const jet_node *n, const char *name, uint32_t *len) {
  const jet_attr *a = jet_node_attr(n, name);
  *len = a ? a->u.ints.n : 0;
  return a ? a->u.ints.v : NULL;
}

static jet_value emit_slice(jet_emit *e, jet_value x, const int64_t *start, const int64_t *limit,
                            const int64_t *strides, uint32_t rank) {
  jet_attr a[3] = {jet_emit_attr_ints("start_indices", start, rank),
                   jet_emit_attr_ints("limit_indices", limit, rank),
                   jet_emit_attr_ints("strides", strides, rank)};
  return jet_emit_op(e, JET_OP_SLICE, &x, 1, a, strides ? 3 : 2);
}

static jet_value emit_pad(jet_emit *e, jet_value x, jet_value pv, const int64_t *config,
                          uint32_t rank) {
  jet_attr a = jet_emit_attr_ints("padding_config", config, 3 * rank);
  jet_value ops[2] = {x, pv};
  return jet_emit_op(e, JET_OP_PAD, ops, 2, &a, 1);
}

static jet_value sum_all(jet_emit *e, jet_value x) {
  const jet_type *t = jet_emit_type(e, x);
  if (t->rank == 0) return x;
  int64_t axes[JET_MAX_RANK];
  for (int32_t i = 0; i < t->rank; i++) axes[i] = i;
  return jet_emit_reduce_sum(e, x, axes, (uint32_t)t->rank);
}

/* ---- slice ---- */

void jet__jvp_SLICE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                    const jet_value *y, jet_value *ty) {
  (void)x, (void)y;
  ty[0] = jet_emit_op(e, JET_OP_SLICE, &t[0], 1, n->attrs, n->n_attrs);
}

void jet__vjp_SLICE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                    const jet_value *ct, jet_value *cx) {
  (void)y;
  const jet_type *xt = jet_emit_type(e, x[0]);
  const jet_type *ot = &n->results[0];
  uint32_t ns, nr;
  const int64_t *start = ints_attr(n, "start_indices", &ns);
  const int64_t *strides = ints_attr(n, "strides", &nr);
  int64_t config[3 * JET_MAX_RANK];
  for (int32_t i = 0; i < xt->rank; i++) {
    int64_t s = (uint32_t)i < ns ? start[i] : 0;
    int64_t r = strides && (uint32_t)i < nr ? strides[i] : 1;
    int64_t len = ot->dims[i];
    int64_t real_limit = s + (len == 0 ? 0 : 1 + (len - 1) * r);
    config[3 * i] = s;
    config[3 * i + 1] = xt->dims[i] - real_limit;
    config[3 * i + 2] = len == 0 ? 0 : r - 1;
  }
  jet_value zero = jet_emit_scalar(e, jet_emit_type(e, ct[0])->dtype, 0.0);
  cx[0] = emit_pad(e, ct[0], zero, config, (uint32_t)xt->rank);
}

/* ---- dynamic_slice(operand, *starts) ---- */

void jet__jvp_DYNAMIC_SLICE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                            const jet_value *y, jet_value *ty) {
  (void)y;
  jet_value ops[1 + JET_MAX_RANK];
  uint32_t k = n->n_operands <= 1 + JET_MAX_RANK ? n->n_operands : 1 + JET_MAX_RANK;
  ops[0] = t[0];
  for (uint32_t i = 1; i < k; i++) ops[i] = x[i];
  ty[0] = jet_emit_op(e, JET_OP_DYNAMIC_SLICE, ops, k, n->attrs, n->n_attrs);
}

void jet__vjp_DYNAMIC_SLICE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                            const jet_value *ct, jet_value *cx) {
  (void)y;
  jet_value ops[2 + JET_MAX_RANK];
  uint32_t k = n->n_operands <= 1 + JET_MAX_RANK ? n->n_operands : 1 + JET_MAX_RANK;
  ops[0] = jet_emit_full_like(e, x[0], 0.0);
  ops[1] = ct[0];
  for (uint32_t i = 1; i < k; i++) ops[i + 1] = x[i];
  cx[0] = jet_emit_op(e, JET_OP_DYNAMIC_UPDATE_SLICE, ops, k + 1, NULL, 0);
  for (uint32_t i = 1; i < n->n_operands; i++) cx[i] = JET_AD_ZERO;
}

/* ---- dynamic_update_slice(operand, update, *starts) ---- */

void jet__jvp_DYNAMIC_UPDATE_SLICE(jet_emit *e, const jet_node *n, const jet_value *x,
                                   const jet_value *t, const jet_value *y, jet_value *ty) {
  (void)y;
  jet_value ops[2 + JET_MAX_RANK];
  uint32_t k = n->n_operands <= 2 + JET_MAX_RANK ? n->n_operands : 2 + JET_MAX_RANK;
  ops[0] = or_zeros(e, t[0], x[0]);
  ops[1] = or_zeros(e, t[1], x[1]);
  for (uint32_t i = 2; i < k; i++) ops[i] = x[i];
  ty[0] = jet_emit_op(e, JET_OP_DYNAMIC_UPDATE_SLICE, ops, k, n->attrs, n->n_attrs);
}

void jet__vjp_DYNAMIC_UPDATE_SLICE(jet_emit *e, const jet_node *n, const jet_value *x,
                                   const jet_value *y, const jet_value *ct, jet_value *cx) {
  (void)y;
  jet_value ops[2 + JET_MAX_RANK];
  uint32_t k = n->n_operands <= 2 + JET_MAX_RANK ? n->n_operands : 2 + JET_MAX_RANK;
  ops[0] = ct[0];
  ops[1] = jet_emit_full_like(e, x[1], 0.0);
  for (uint32_t i = 2; i < k; i++) ops[i] = x[i];
  cx[0] = jet_emit_op(e, JET_OP_DYNAMIC_UPDATE_SLICE, ops, k, NULL, 0);
  /* update: dynamic_slice(ct, starts) of the update's size */
  const jet_type *ut = jet_emit_type(e, x[1]);
  int64_t sizes[JET_MAX_RANK];
  memcpy(sizes, ut->dims, sizeof(int64_t) * (size_t)ut->rank);
  jet_attr a = jet_emit_attr_ints("slice_sizes", sizes, (uint32_t)ut->rank);
  ops[1] = ct[0];
  cx[1] = jet_emit_op(e, JET_OP_DYNAMIC_SLICE, ops + 1, k - 1, &a, 1);
  for (uint32_t i = 2; i < n->n_operands; i++) cx[i] = JET_AD_ZERO;
}

/* ---- concatenate(*operands) ---- */

void jet__jvp_CONCATENATE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                          const jet_value *y, jet_value *ty) {
  (void)y;
  if (e->status) return;
  jet_value *ops = malloc(sizeof(jet_value) * (n->n_operands + 1u));
  if (!ops) {
    e->status = jet_status_oom("concatenate tangent operands");
    return;
  }
  for (uint32_t i = 0; i < n->n_operands; i++) ops[i] = or_zeros(e, t[i], x[i]);
  ty[0] = jet_emit_op(e, JET_OP_CONCATENATE, ops, n->n_operands, n->attrs, n->n_attrs);
  free(ops);
}

void jet__vjp_CONCATENATE(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                          const jet_value *ct, jet_value *cx) {
  (void)y;
  int64_t dim = jet_node_attr_int(n, "dimension", 0);
  const jet_type *ot = &n->results[0];
  int64_t start[JET_MAX_RANK] = {0}, limit[JET_MAX_RANK];
  memcpy(limit, ot->dims, sizeof(int64_t) * (size_t)ot->rank);
  int64_t off = 0;
  for (uint32_t i = 0; i < n->n_operands; i++) {
    cx[i] = JET_AD_ZERO;
    const jet_type *xt = jet_emit_type(e, x[i]);
    if (e->status || dim < 0 || dim >= xt->rank) continue;
    int64_t size = xt->dims[dim];
    if (jet_dtype_is_float(xt->dtype)) {
      start[dim] = off;
      limit[dim] = off + size;
      cx[i] = emit_slice(e, ct[0], start, limit, NULL, (uint32_t)ot->rank);
    }
    off += size;
  }
}

/* ---- pad(operand, padding_value) ---- */

void jet__jvp_PAD(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                  const jet_value *y, jet_value *ty) {
  (void)y;
  jet_value ops[2] = {or_zeros(e, t[0], x[0]), or_zeros(e, t[1], x[1])};
  ty[0] = jet_emit_op(e, JET_OP_PAD, ops, 2, n->attrs, n->n_attrs);
}

void jet__vjp_PAD(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                  const jet_value *ct, jet_value *cx) {
  (void)y;
  const jet_type *xt = jet_emit_type(e, x[0]);
  uint32_t nc;
  const int64_t *pc = ints_attr(n, "padding_config", &nc);
  int32_t rank = xt->rank;
  if (nc != 3u * (uint32_t)rank) {
    if (!e->status) {
      e->status = jet_status_make(JET_INTERNAL, "autodiff: pad node has a bad 'padding_config'");
    }
    return;
  }
  int64_t unpad[3 * JET_MAX_RANK], start[JET_MAX_RANK], limit[JET_MAX_RANK],
      strides[JET_MAX_RANK];
  for (int32_t i = 0; i < rank; i++) {
    int64_t lo = pc[3 * i], hi = pc[3 * i + 1], in = pc[3 * i + 2], dim = xt->dims[i];
    unpad[3 * i] = -lo;
    unpad[3 * i + 1] = -hi;
    unpad[3 * i + 2] = 0;
    start[i] = 0;
    limit[i] = dim == 0 ? 0 : dim + (dim - 1) * in;
    strides[i] = in + 1;
  }
  jet_value zero = jet_emit_scalar(e, jet_emit_type(e, ct[0])->dtype, 0.0);
  jet_value unpadded = emit_pad(e, ct[0], zero, unpad, (uint32_t)rank);
  jet_value op_ct = emit_slice(e, unpadded, start, limit, strides, (uint32_t)rank);
  cx[0] = op_ct;
  cx[1] = jet_emit2(e, JET_OP_SUB, sum_all(e, ct[0]), sum_all(e, op_ct));
}
