/* Shape rules of the elementwise ops: unary, unary_to_bool, binary,
 * compare, select, clamp. */
#include <inttypes.h>

#include "infer_internal.h"

static jet_status unary_attrs(const jet_infer_args *a) {
  if (a->op == JET_OP_ROUND) {
    int64_t m = jet__infer_attr_int(a, "rounding_method", 0);
    if (m != 0 && m != 1) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'rounding_method' is %" PRId64
                             "; expected 0 (away from zero) or 1 (to nearest even)",
                             m);
    }
  } else if (a->op == JET_OP_INTEGER_POW) {
    int64_t y = jet__infer_attr_int(a, "y", 0);
    if (y < 0 && jet_dtype_is_int(a->in[0].dtype)) {
      return jet_status_make(
          JET_INVALID_ARGUMENT,
          "attribute 'y' is %" PRId64 "; integer_pow of an integer operand needs y >= 0", y);
    }
  }
  return NULL;
}

jet_status jet__rule_unary(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(unary_attrs(a));
  return jet__infer_emit(a, &a->in[0]);
}

jet_status jet__rule_unary_to_bool(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  jet_type t = a->in[0];
  t.dtype = JET_BOOL;
  return jet__infer_emit(a, &t);
}

/* Equal shapes, or one side rank 0: the shape of the non-scalar side. */
static jet_status broadcast_pair(const jet_infer_args *a, uint32_t i, uint32_t j, jet_type *out) {
  const jet_type *x = &a->in[i], *y = &a->in[j];
  if (y->rank == 0) {
    *out = *x;
  } else if (x->rank == 0 || jet_type_same_shape(x, y)) {
    *out = *y;
  } else {
    char tx[JET_TYPE_STR_MAX], ty[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "operand %" PRIu32 " has type %s but operand %" PRIu32
                           " has %s (shapes must be equal or one operand rank 0)",
                           j, JET__TS(y, ty), i, JET__TS(x, tx));
  }
  return NULL;
}

static jet_status binary_common(jet_infer_args *a, jet_type *out) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(jet__infer_same_dtype(a, 0, 1));
  return broadcast_pair(a, 0, 1, out);
}

jet_status jet__rule_binary(jet_infer_args *a) {
  jet_type t;
  JET_RETURN_IF_ERROR(binary_common(a, &t));
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_compare(jet_infer_args *a) {
  jet_type t;
  JET_RETURN_IF_ERROR(binary_common(a, &t));
  t.dtype = JET_BOOL;
  return jet__infer_emit(a, &t);
}

/* Operand i (a bound or predicate) is rank 0 or has the shape of operand j. */
static jet_status scalar_or_shape_of(const jet_infer_args *a, uint32_t i, uint32_t j) {
  if (a->in[i].rank == 0 || jet_type_same_shape(&a->in[i], &a->in[j])) return NULL;
  char ti[JET_TYPE_STR_MAX], tj[JET_TYPE_STR_MAX];
  return jet_status_make(JET_INVALID_ARGUMENT,
                         "operand %" PRIu32
                         " has type %s; it must be rank 0 or have the shape of "
                         "operand %" PRIu32 " (%s)",
                         i, JET__TS(&a->in[i], ti), j, JET__TS(&a->in[j], tj));
}

jet_status jet__rule_select(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_dtype(a, 0, JET_DTM_BOOL, "a bool predicate"));
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 1));
  if (!jet_type_equal(&a->in[1], &a->in[2])) {
    char t1[JET_TYPE_STR_MAX], t2[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "operand 2 has type %s but operand 1 has %s (the cases of select "
                           "must have equal types)",
                           JET__TS(&a->in[2], t2), JET__TS(&a->in[1], t1));
  }
  JET_RETURN_IF_ERROR(scalar_or_shape_of(a, 0, 1));
  return jet__infer_emit(a, &a->in[1]);
}

jet_status jet__rule_clamp(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 1));
  JET_RETURN_IF_ERROR(jet__infer_same_dtype(a, 1, 0));
  JET_RETURN_IF_ERROR(jet__infer_same_dtype(a, 1, 2));
  JET_RETURN_IF_ERROR(scalar_or_shape_of(a, 0, 1));
  JET_RETURN_IF_ERROR(scalar_or_shape_of(a, 2, 1));
  return jet__infer_emit(a, &a->in[1]);
}
