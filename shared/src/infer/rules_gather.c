/* Shape rules of gather and scatter-add, with XLA's dimension numbers and
 * the index vector in the last dimension of the indices. */
#include <inttypes.h>

#include "infer_internal.h"

static jet_status indices_operand(const jet_infer_args *a, uint32_t i) {
  JET_RETURN_IF_ERROR(jet__infer_operand_dtype(a, i, JET_DTM_INT, "integer indices"));
  if (a->in[i].rank < 1) {
    char ts[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "operand %" PRIu32 " (indices) has type %s; it must have rank >= 1", i,
                           JET__TS(&a->in[i], ts));
  }
  return NULL;
}

static jet_status check_mode(const jet_infer_args *a) {
  int64_t m = jet__infer_attr_int(a, "mode", 0);
  if (m != 0 && m != 1) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'mode' is %" PRId64 "; expected 0 (clip) or 1 (fill/drop)",
                           m);
  }
  return NULL;
}

static jet_status disjoint(const char *na, const int32_t *x, uint32_t nx, const char *nb,
                           const int32_t *y, uint32_t ny) {
  for (uint32_t i = 0; i < nx; i++) {
    for (uint32_t j = 0; j < ny; j++) {
      if (x[i] == y[j]) {
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "attributes '%s' and '%s' both contain dimension %" PRId32, na, nb,
                               x[i]);
      }
    }
  }
  return NULL;
}

/* Batching dims: operand side (sorted, in operand rank) and indices side
 * (unique, in the batch dims of the indices), equal lengths and sizes. */
static jet_status batching(const jet_infer_args *a, const char *on, const char *in,
                           const jet_type *x, const jet_type *idx, int32_t *ob, int32_t *ib,
                           uint32_t *n) {
  const int64_t *ov, *iv;
  uint32_t no, ni;
  jet__infer_attr_ints(a, on, &ov, &no);
  jet__infer_attr_ints(a, in, &iv, &ni);
  if (no != ni) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attributes '%s' (%" PRIu32 " entries) and '%s' (%" PRIu32
                           " entries) must have equal lengths",
                           on, no, in, ni);
  }
  JET_RETURN_IF_ERROR(jet__infer_axes(on, ov, no, x->rank, false, true, ob));
  JET_RETURN_IF_ERROR(jet__infer_axes(in, iv, ni, idx->rank - 1, false, false, ib));
  for (uint32_t i = 0; i < no; i++) {
    if (x->dims[ob[i]] != idx->dims[ib[i]]) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "batching dimension %" PRIu32 ": operand dimension %" PRId32
                             " has size %" PRId64 " but indices dimension %" PRId32
                             " has size %" PRId64,
                             i, ob[i], x->dims[ob[i]], ib[i], idx->dims[ib[i]]);
    }
  }
  *n = no;
  return NULL;
}

/* start_index_map / scatter_dims_to_operand_dims: one entry per element of
 * the index vector, unique operand dims. */
static jet_status index_map(const jet_infer_args *a, const char *name, const jet_type *x,
                            const jet_type *idx, int32_t *map, uint32_t *n) {
  const int64_t *v;
  jet__infer_attr_ints(a, name, &v, n);
  int64_t want = idx->dims[idx->rank - 1];
  if ((int64_t)*n != want) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute '%s' has %" PRIu32
                           " entries but the index vector "
                           "(last dimension of the indices) has size %" PRId64,
                           name, *n, want);
  }
  return jet__infer_axes(name, v, *n, x->rank, false, false, map);
}

jet_status jet__rule_gather(jet_infer_args *a) {
  const jet_type *x = &a->in[0], *idx = &a->in[1];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(indices_operand(a, 1));
  JET_RETURN_IF_ERROR(check_mode(a));
  const int64_t *odv, *cdv, *ss;
  uint32_t nod, ncd, nss, nsim, nb;
  jet__infer_attr_ints(a, "offset_dims", &odv, &nod);
  jet__infer_attr_ints(a, "collapsed_slice_dims", &cdv, &ncd);
  jet__infer_attr_ints(a, "slice_sizes", &ss, &nss);
  int64_t out_rank = (int64_t)idx->rank - 1 + nod;
  if (out_rank > JET_MAX_RANK) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "gather result rank %" PRId64 " exceeds the maximum rank %d", out_rank,
                           JET_MAX_RANK);
  }
  int32_t od[JET_MAX_RANK], cd[JET_MAX_RANK], sim[JET_MAX_RANK], ob[JET_MAX_RANK], ib[JET_MAX_RANK];
  JET_RETURN_IF_ERROR(jet__infer_axes("offset_dims", odv, nod, (int32_t)out_rank, false, true, od));
  JET_RETURN_IF_ERROR(jet__infer_axes("collapsed_slice_dims", cdv, ncd, x->rank, false, true, cd));
  JET_RETURN_IF_ERROR(index_map(a, "start_index_map", x, idx, sim, &nsim));
  JET_RETURN_IF_ERROR(
      batching(a, "operand_batching_dims", "start_indices_batching_dims", x, idx, ob, ib, &nb));
  JET_RETURN_IF_ERROR(disjoint("collapsed_slice_dims", cd, ncd, "operand_batching_dims", ob, nb));
  JET_RETURN_IF_ERROR(disjoint("start_index_map", sim, nsim, "operand_batching_dims", ob, nb));
  JET_RETURN_IF_ERROR(jet__infer_ints_len("slice_sizes", nss, x->rank));
  for (int32_t i = 0; i < x->rank; i++) {
    if (ss[i] < 0 || ss[i] > x->dims[i]) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'slice_sizes' entry %" PRId32 " is %" PRId64
                             ", must be in [0, %" PRId64 "]",
                             i, ss[i], x->dims[i]);
    }
  }
  bool skip[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < ncd; i++) skip[cd[i]] = true;
  for (uint32_t i = 0; i < nb; i++) skip[ob[i]] = true;
  for (int32_t i = 0; i < x->rank; i++) {
    if (skip[i] && ss[i] > 1) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'slice_sizes' entry %" PRId32 " is %" PRId64
                             "; collapsed and batching dimensions need slice size <= 1",
                             i, ss[i]);
    }
  }
  if ((int64_t)nod != (int64_t)x->rank - ncd - nb) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'offset_dims' has %" PRIu32
                           " entries; expected operand rank "
                           "%" PRId32 " - %" PRIu32 " collapsed - %" PRIu32 " batching dims",
                           nod, x->rank, ncd, nb);
  }
  bool is_off[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < nod; i++) is_off[od[i]] = true;
  jet_type t = jet__type(x->dtype, (int32_t)out_rank, NULL);
  int32_t next_slice = 0, next_batch = 0;
  for (int32_t i = 0; i < (int32_t)out_rank; i++) {
    if (is_off[i]) {
      while (skip[next_slice]) next_slice++;
      t.dims[i] = ss[next_slice++];
    } else {
      t.dims[i] = idx->dims[next_batch++];
    }
  }
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_scatter_add(jet_infer_args *a) {
  const jet_type *x = &a->in[0], *idx = &a->in[1], *u = &a->in[2];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(indices_operand(a, 1));
  JET_RETURN_IF_ERROR(jet__infer_same_dtype(a, 0, 2));
  JET_RETURN_IF_ERROR(check_mode(a));
  const int64_t *uwv, *iwv;
  uint32_t nuw, niw, nsd, nb;
  jet__infer_attr_ints(a, "update_window_dims", &uwv, &nuw);
  jet__infer_attr_ints(a, "inserted_window_dims", &iwv, &niw);
  int32_t uw[JET_MAX_RANK], iw[JET_MAX_RANK], sd[JET_MAX_RANK], ob[JET_MAX_RANK], ib[JET_MAX_RANK];
  JET_RETURN_IF_ERROR(jet__infer_axes("update_window_dims", uwv, nuw, u->rank, false, true, uw));
  JET_RETURN_IF_ERROR(jet__infer_axes("inserted_window_dims", iwv, niw, x->rank, false, true, iw));
  JET_RETURN_IF_ERROR(index_map(a, "scatter_dims_to_operand_dims", x, idx, sd, &nsd));
  JET_RETURN_IF_ERROR(
      batching(a, "operand_batching_dims", "scatter_indices_batching_dims", x, idx, ob, ib, &nb));
  JET_RETURN_IF_ERROR(disjoint("inserted_window_dims", iw, niw, "operand_batching_dims", ob, nb));
  JET_RETURN_IF_ERROR(
      disjoint("scatter_dims_to_operand_dims", sd, nsd, "operand_batching_dims", ob, nb));
  char tx[JET_TYPE_STR_MAX], tu[JET_TYPE_STR_MAX], ti[JET_TYPE_STR_MAX];
  if ((int64_t)u->rank != (int64_t)nuw + idx->rank - 1) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "operand 2 (updates) has type %s; expected rank %" PRIu32
                           " window dims + %" PRId32 " indices batch dims",
                           JET__TS(u, tu), nuw, idx->rank - 1);
  }
  if ((int64_t)nuw + niw + nb != x->rank) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%" PRIu32 " update window dims + %" PRIu32
                           " inserted window dims + %" PRIu32
                           " batching dims must equal the operand rank %" PRId32,
                           nuw, niw, nb, x->rank);
  }
  bool skip[JET_MAX_RANK] = {false}, is_win[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < niw; i++) skip[iw[i]] = true;
  for (uint32_t i = 0; i < nb; i++) skip[ob[i]] = true;
  for (uint32_t i = 0; i < nuw; i++) is_win[uw[i]] = true;
  int32_t od = 0, bd = 0;
  for (int32_t i = 0; i < u->rank; i++) {
    if (is_win[i]) {
      while (skip[od]) od++;
      if (u->dims[i] > x->dims[od]) {
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "updates %s window dimension %" PRId32 " (size %" PRId64
                               ") is larger than operand %s dimension %" PRId32,
                               JET__TS(u, tu), i, u->dims[i], JET__TS(x, tx), od);
      }
      od++;
    } else {
      if (u->dims[i] != idx->dims[bd]) {
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "updates %s scatter dimension %" PRId32 " (size %" PRId64
                               ") differs from indices %s dimension %" PRId32,
                               JET__TS(u, tu), i, u->dims[i], JET__TS(idx, ti), bd);
      }
      bd++;
    }
  }
  return jet__infer_emit(a, x);
}
