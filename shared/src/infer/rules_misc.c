/* Shape rules of the remaining ops: convert (convert_element_type), bitcast
 * (bitcast_convert_type), iota, constant, call (with the callee's transforms:
 * transform_types.c). */
#include <inttypes.h>
#include <stdlib.h>

#include "infer_internal.h"

static jet_dtype dtype_attr(const jet_infer_args *a, const char *name) {
  const jet_attr *at = jet__infer_attr(a, name);
  return at ? at->u.dtype : JET_DTYPE_INVALID;
}

jet_status jet__rule_convert(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  jet_type t = a->in[0];
  t.dtype = dtype_attr(a, "new_dtype");
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_bitcast(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  jet_type t = a->in[0];
  jet_dtype to = dtype_attr(a, "new_dtype");
  if (jet_dtype_size(to) != jet_dtype_size(t.dtype)) {
    return jet_status_make(JET_UNIMPLEMENTED,
                           "bitcast_convert_type between dtypes of different widths (%s to %s) "
                           "is not supported",
                           jet_dtype_name(t.dtype), jet_dtype_name(to));
  }
  t.dtype = to;
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_iota(jet_infer_args *a) {
  jet_dtype dt = dtype_attr(a, "dtype");
  if (!(JET_DTM_NUM & JET_DT_BIT(dt))) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'dtype' is %s; iota needs a numeric dtype",
                           jet_dtype_name(dt));
  }
  const int64_t *shape;
  uint32_t n;
  jet__infer_attr_ints(a, "shape", &shape, &n);
  if (n > JET_MAX_RANK) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'shape' has %" PRIu32
                           " entries, more than the maximum rank %d",
                           n, JET_MAX_RANK);
  }
  for (uint32_t i = 0; i < n; i++) {
    if (shape[i] < 0) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'shape' entry %" PRIu32 " is %" PRId64 ", must be >= 0", i,
                             shape[i]);
    }
  }
  int64_t d = jet__infer_attr_int(a, "dimension", 0);
  if (d < 0 || d >= (int64_t)n) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'dimension' is %" PRId64 ", out of range for rank %" PRIu32,
                           d, n);
  }
  jet_type t = jet__type(dt, (int32_t)n, shape);
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_constant(jet_infer_args *a) {
  /* The literal's type, size and data were checked with the schema. */
  const jet_attr *at = jet__infer_attr(a, "value");
  if (!at) return jet_status_make(JET_INVALID_ARGUMENT, "missing required attribute 'value'");
  jet_type t = jet__type(at->u.lit.type.dtype, at->u.lit.type.rank, at->u.lit.type.dims);
  return jet__infer_emit(a, &t);
}

/* The callee's signature after the call's transforms, called with the
 * operand types `in` (jet_transform_signature_args: vmap reads its axis size
 * from them). */
static jet_status call_signature(const jet_graph *c, const jet_transform *tf, uint32_t n_tf,
                                 const jet_type *in, uint32_t n_in, jet_type **params,
                                 uint32_t *np, jet_type **outs, uint32_t *no) {
  jet_type *co = malloc((c->n_outputs ? c->n_outputs : 1) * sizeof *co);
  *params = malloc((size_t)JET_MAX_RESULTS * sizeof **params);
  *outs = malloc((size_t)JET_MAX_RESULTS * sizeof **outs);
  jet_status st = NULL;
  if (!co || !*params || !*outs) st = jet_status_oom("call signature");
  for (uint32_t i = 0; !st && i < c->n_outputs; i++) co[i] = c->value_types[c->outputs[i]];
  if (!st)
    st = jet_transform_signature_args(c->value_types, c->n_params, co, c->n_outputs, tf, n_tf,
                                      in, n_in, *params, np, *outs, no, JET_MAX_RESULTS, NULL);
  free(co);
  if (st) {
    free(*params);
    free(*outs);
    *params = *outs = NULL;
  }
  return st;
}

jet_status jet__rule_call(jet_infer_args *a) {
  const jet_graph *c = a->callee;
  if (!c) return jet_status_make(JET_INVALID_ARGUMENT, "call has no callee");
  if (c->n_params > c->n_values || (c->n_values > 0 && !c->value_types)) {
    return jet_status_make(JET_INVALID_ARGUMENT, "callee has inconsistent value tables");
  }
  if (c->n_outputs > JET_MAX_RESULTS) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "callee has %" PRIu32 " outputs, more than the maximum %d", c->n_outputs,
                           JET_MAX_RESULTS);
  }
  if (c->n_outputs > 0 && !c->outputs) {
    return jet_status_make(JET_INVALID_ARGUMENT, "callee has no output list");
  }
  for (uint32_t i = 0; i < c->n_outputs; i++) {
    if (c->outputs[i] >= c->n_values) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "callee output %" PRIu32 " refers to value %" PRIu32
                             ", which is not defined",
                             i, c->outputs[i]);
    }
  }
  if (a->n_transforms == 0) {
    if (a->n_in != c->n_params) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "call passes %" PRIu32 " operands but the callee takes %" PRIu32
                             " parameters",
                             a->n_in, c->n_params);
    }
    for (uint32_t i = 0; i < a->n_in; i++) {
      if (!jet_type_equal(&a->in[i], &c->value_types[i])) {
        char ta[JET_TYPE_STR_MAX], tp[JET_TYPE_STR_MAX];
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "operand %" PRIu32 " has type %s but callee parameter %" PRIu32
                               " is %s",
                               i, JET__TS(&a->in[i], ta), i, JET__TS(&c->value_types[i], tp));
      }
    }
    for (uint32_t i = 0; i < c->n_outputs; i++)
      JET_RETURN_IF_ERROR(jet__infer_emit(a, &c->value_types[c->outputs[i]]));
    return NULL;
  }
  /* Transformed callee: operands and results follow the transformed
   * signature. */
  jet_type *tp = NULL, *to = NULL;
  uint32_t np = 0, no = 0;
  JET_RETURN_IF_ERROR(call_signature(c, a->transforms, a->n_transforms, a->in, a->n_in, &tp, &np,
                                     &to, &no));
  jet_status st = NULL;
  if (a->n_in != np) {
    st = jet_status_make(JET_INVALID_ARGUMENT,
                         "call passes %" PRIu32 " operands but the transformed callee takes "
                         "%" PRIu32 " parameters",
                         a->n_in, np);
  }
  for (uint32_t i = 0; !st && i < a->n_in; i++) {
    if (!jet_type_equal(&a->in[i], &tp[i])) {
      char ta[JET_TYPE_STR_MAX], tq[JET_TYPE_STR_MAX];
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "operand %" PRIu32 " has type %s but transformed callee parameter "
                           "%" PRIu32 " is %s",
                           i, JET__TS(&a->in[i], ta), i, JET__TS(&tp[i], tq));
    }
  }
  for (uint32_t i = 0; !st && i < no; i++) st = jet__infer_emit(a, &to[i]);
  free(tp);
  free(to);
  return st;
}
