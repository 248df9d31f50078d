/* Shape rule of dot_general: result dims = batch (lhs order), lhs free,
 * rhs free. */
#include <inttypes.h>

#include "infer_internal.h"

/* Reads list `name` of operand `side` into axes (unique, in range). */
static jet_status dims_of(const jet_infer_args *a, const char *name, const jet_type *t,
                          int32_t *axes, uint32_t *n) {
  const int64_t *v;
  jet__infer_attr_ints(a, name, &v, n);
  return jet__infer_axes(name, v, *n, t->rank, false, false, axes);
}

static jet_status pair_sizes(const char *what, const jet_type *l, const int32_t *la,
                             const jet_type *r, const int32_t *ra, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (l->dims[la[i]] != r->dims[ra[i]]) {
      char tl[JET_TYPE_STR_MAX], tr[JET_TYPE_STR_MAX];
      return jet_status_make(
          JET_INVALID_ARGUMENT,
          "%s dimension pair %" PRIu32 ": lhs %s dimension %" PRId32 " has size %" PRId64
          " but rhs %s dimension %" PRId32 " has size %" PRId64,
          what, i, JET__TS(l, tl), la[i], l->dims[la[i]], JET__TS(r, tr), ra[i], r->dims[ra[i]]);
    }
  }
  return NULL;
}

jet_status jet__rule_dot_general(jet_infer_args *a) {
  const jet_type *l = &a->in[0], *r = &a->in[1];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(jet__infer_same_dtype(a, 0, 1));
  int32_t lc[JET_MAX_RANK], rc[JET_MAX_RANK], lb[JET_MAX_RANK], rb[JET_MAX_RANK];
  uint32_t nlc, nrc, nlb, nrb;
  JET_RETURN_IF_ERROR(dims_of(a, "lhs_contracting_dimensions", l, lc, &nlc));
  JET_RETURN_IF_ERROR(dims_of(a, "rhs_contracting_dimensions", r, rc, &nrc));
  JET_RETURN_IF_ERROR(dims_of(a, "lhs_batch_dimensions", l, lb, &nlb));
  JET_RETURN_IF_ERROR(dims_of(a, "rhs_batch_dimensions", r, rb, &nrb));
  if (nlc != nrc) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attributes 'lhs_contracting_dimensions' (%" PRIu32
                           " entries) and 'rhs_contracting_dimensions' (%" PRIu32
                           " entries) must have equal lengths",
                           nlc, nrc);
  }
  if (nlb != nrb) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attributes 'lhs_batch_dimensions' (%" PRIu32
                           " entries) and 'rhs_batch_dimensions' (%" PRIu32
                           " entries) must have equal lengths",
                           nlb, nrb);
  }
  bool lused[JET_MAX_RANK] = {false}, rused[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < nlb; i++) lused[lb[i]] = true;
  for (uint32_t i = 0; i < nrb; i++) rused[rb[i]] = true;
  for (uint32_t i = 0; i < nlc; i++) {
    if (lused[lc[i]]) {
      return jet_status_make(
          JET_INVALID_ARGUMENT,
          "lhs dimension %" PRId32 " is both a batch and a contracting dimension", lc[i]);
    }
    if (rused[rc[i]]) {
      return jet_status_make(
          JET_INVALID_ARGUMENT,
          "rhs dimension %" PRId32 " is both a batch and a contracting dimension", rc[i]);
    }
    lused[lc[i]] = true;
    rused[rc[i]] = true;
  }
  JET_RETURN_IF_ERROR(pair_sizes("contracting", l, lc, r, rc, nlc));
  JET_RETURN_IF_ERROR(pair_sizes("batch", l, lb, r, rb, nlb));
  int64_t out_rank = (int64_t)nlb + (l->rank - (int64_t)nlb - nlc) + (r->rank - (int64_t)nrb - nrc);
  if (out_rank > JET_MAX_RANK) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "dot_general result rank %" PRId64 " exceeds the maximum rank %d",
                           out_rank, JET_MAX_RANK);
  }
  jet_dtype dt = l->dtype;
  const jet_attr *pe = jet__infer_attr(a, "preferred_element_type");
  if (pe) {
    if (!(JET_DTM_NUM & JET_DT_BIT(pe->u.dtype))) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'preferred_element_type' is %s; it must be numeric",
                             jet_dtype_name(pe->u.dtype));
    }
    dt = pe->u.dtype;
  }
  jet_type t = jet__type(dt, 0, NULL);
  for (uint32_t i = 0; i < nlb; i++) t.dims[t.rank++] = l->dims[lb[i]];
  for (int32_t i = 0; i < l->rank; i++) {
    if (!lused[i]) t.dims[t.rank++] = l->dims[i];
  }
  for (int32_t i = 0; i < r->rank; i++) {
    if (!rused[i]) t.dims[t.rank++] = r->dims[i];
  }
  return jet__infer_emit(a, &t);
}
