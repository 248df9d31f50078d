/* Shape rules of the reductions: reduce (sum/max/min/prod), argreduce
 * (argmax/argmin), cumulative (cumsum). */
#include <inttypes.h>

#include "infer_internal.h"

static jet_type drop_axes(const jet_type *x, const int32_t *axes, uint32_t n) {
  bool drop[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < n; i++) drop[axes[i]] = true;
  jet_type t = jet__type(x->dtype, 0, NULL);
  for (int32_t i = 0; i < x->rank; i++) {
    if (!drop[i]) t.dims[t.rank++] = x->dims[i];
  }
  return t;
}

jet_status jet__rule_reduce(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  const int64_t *v;
  uint32_t n;
  jet__infer_attr_ints(a, "axes", &v, &n);
  int32_t axes[JET_MAX_RANK];
  JET_RETURN_IF_ERROR(jet__infer_axes("axes", v, n, x->rank, true, false, axes));
  jet_type t = drop_axes(x, axes, n);
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_argreduce(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  const int64_t *v;
  uint32_t n;
  jet__infer_attr_ints(a, "axes", &v, &n);
  if (n != 1) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'axes' has %" PRIu32 " entries; %s takes exactly one axis", n,
                           a->info->name);
  }
  if (x->rank < 1) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%s needs an operand of rank >= 1", a->info->name);
  }
  int32_t axis;
  JET_RETURN_IF_ERROR(jet__infer_axis("axes", 0, v[0], x->rank, true, &axis));
  if (x->dims[axis] == 0) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%s over axis %" PRId32 " of size 0 has no result",
                           a->info->name, axis);
  }
  const jet_attr *at = jet__infer_attr(a, "index_dtype");
  jet_dtype id = at ? at->u.dtype : JET_DTYPE_INVALID;
  if (id != JET_I32 && id != JET_I64) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'index_dtype' is %s; expected i32 or i64",
                           jet_dtype_name(id));
  }
  jet_type t = drop_axes(x, &axis, 1);
  t.dtype = id;
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_cumulative(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  int32_t axis;
  JET_RETURN_IF_ERROR(
      jet__infer_axis("axis", 0, jet__infer_attr_int(a, "axis", 0), x->rank, true, &axis));
  return jet__infer_emit(a, x);
}
