/* Shape rules of the structural ops: broadcast_in_dim, reshape, transpose,
 * squeeze, expand_dims, rev. */
#include <inttypes.h>

#include "infer_internal.h"

/* A shape attribute: at most JET_MAX_RANK entries, each >= 0. */
static jet_status shape_attr(const char *name, const int64_t *v, uint32_t n) {
  if (n > JET_MAX_RANK) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute '%s' has %" PRIu32 " entries, more than the maximum rank %d",
                           name, n, JET_MAX_RANK);
  }
  for (uint32_t i = 0; i < n; i++) {
    if (v[i] < 0) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute '%s' entry %" PRIu32 " is %" PRId64 ", must be >= 0", name,
                             i, v[i]);
    }
  }
  return NULL;
}

jet_status jet__rule_broadcast_in_dim(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  const int64_t *shape, *bd;
  uint32_t ns, nb;
  jet__infer_attr_ints(a, "shape", &shape, &ns);
  jet__infer_attr_ints(a, "broadcast_dimensions", &bd, &nb);
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(shape_attr("shape", shape, ns));
  if ((int64_t)nb != x->rank) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'broadcast_dimensions' has %" PRIu32
                           " entries but the operand has rank %" PRId32,
                           nb, x->rank);
  }
  for (uint32_t i = 0; i < nb; i++) {
    if (bd[i] < 0 || bd[i] >= (int64_t)ns) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'broadcast_dimensions' entry %" PRIu32 " is %" PRId64
                             ", out of range for the output rank %" PRIu32,
                             i, bd[i], ns);
    }
    if (i > 0 && bd[i] <= bd[i - 1]) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'broadcast_dimensions' must be strictly increasing");
    }
    if (x->dims[i] != 1 && x->dims[i] != shape[bd[i]]) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "operand dimension %" PRIu32 " has size %" PRId64
                             " but output dimension %" PRId64 " has size %" PRId64
                             " (must be 1 or equal)",
                             i, x->dims[i], bd[i], shape[bd[i]]);
    }
  }
  jet_type t = jet__type(x->dtype, (int32_t)ns, shape);
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_reshape(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  const int64_t *ns;
  uint32_t n;
  jet__infer_attr_ints(a, "new_sizes", &ns, &n);
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(shape_attr("new_sizes", ns, n));
  int64_t prod = 1;
  bool zero = false;
  for (uint32_t i = 0; i < n; i++) zero = zero || ns[i] == 0;
  if (zero) {
    prod = 0;
  } else {
    for (uint32_t i = 0; i < n; i++) {
      if (!jet__mul64(prod, ns[i], &prod)) {
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "attribute 'new_sizes' has an element count that overflows");
      }
    }
  }
  int64_t numel = jet_type_numel(x);
  if (prod != numel) {
    char buf[256], ts[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "cannot reshape %s (%" PRId64 " elements) to %s (%" PRId64 " elements)",
                           JET__TS(x, ts), numel, jet__ints_str(ns, n, buf, sizeof buf), prod);
  }
  jet_type t = jet__type(x->dtype, (int32_t)n, ns);
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_transpose(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  const int64_t *p;
  uint32_t n;
  jet__infer_attr_ints(a, "permutation", &p, &n);
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(jet__infer_ints_len("permutation", n, x->rank));
  int32_t axes[JET_MAX_RANK];
  JET_RETURN_IF_ERROR(jet__infer_axes("permutation", p, n, x->rank, false, false, axes));
  jet_type t = *x;
  for (uint32_t i = 0; i < n; i++) t.dims[i] = x->dims[axes[i]];
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_squeeze(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  const int64_t *d;
  uint32_t n;
  jet__infer_attr_ints(a, "dimensions", &d, &n);
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  int32_t axes[JET_MAX_RANK];
  JET_RETURN_IF_ERROR(jet__infer_axes("dimensions", d, n, x->rank, true, false, axes));
  bool drop[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < n; i++) {
    if (x->dims[axes[i]] != 1) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "cannot squeeze dimension %" PRId32 " of size %" PRId64 " (must be 1)",
                             axes[i], x->dims[axes[i]]);
    }
    drop[axes[i]] = true;
  }
  jet_type t = jet__type(x->dtype, 0, NULL);
  for (int32_t i = 0; i < x->rank; i++) {
    if (!drop[i]) t.dims[t.rank++] = x->dims[i];
  }
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_expand_dims(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  const int64_t *d;
  uint32_t n;
  jet__infer_attr_ints(a, "dimensions", &d, &n);
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  if ((int64_t)n + x->rank > JET_MAX_RANK) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "expand_dims of rank %" PRId32 " by %" PRIu32
                           " dimensions exceeds the maximum rank %d",
                           x->rank, n, JET_MAX_RANK);
  }
  int32_t out_rank = x->rank + (int32_t)n;
  int32_t axes[JET_MAX_RANK];
  JET_RETURN_IF_ERROR(jet__infer_axes("dimensions", d, n, out_rank, true, false, axes));
  bool ins[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < n; i++) ins[axes[i]] = true;
  jet_type t = jet__type(x->dtype, out_rank, NULL);
  int32_t k = 0;
  for (int32_t i = 0; i < out_rank; i++) t.dims[i] = ins[i] ? 1 : x->dims[k++];
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_rev(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  const int64_t *d;
  uint32_t n;
  jet__infer_attr_ints(a, "dimensions", &d, &n);
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  int32_t axes[JET_MAX_RANK];
  JET_RETURN_IF_ERROR(jet__infer_axes("dimensions", d, n, x->rank, false, false, axes));
  return jet__infer_emit(a, x);
}
