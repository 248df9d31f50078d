/* Shape rules of slicing and padding: slice, dynamic_slice,
 * dynamic_update_slice, concatenate, pad. */
#include <inttypes.h>

#include "infer_internal.h"

jet_status jet__rule_slice(jet_infer_args *a) {
  const jet_type *x = &a->in[0];
  const int64_t *st, *li, *sr;
  uint32_t ns, nl, nr;
  jet__infer_attr_ints(a, "start_indices", &st, &ns);
  jet__infer_attr_ints(a, "limit_indices", &li, &nl);
  bool has_strides = jet__infer_attr_ints(a, "strides", &sr, &nr);
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(jet__infer_ints_len("start_indices", ns, x->rank));
  JET_RETURN_IF_ERROR(jet__infer_ints_len("limit_indices", nl, x->rank));
  if (has_strides) JET_RETURN_IF_ERROR(jet__infer_ints_len("strides", nr, x->rank));
  jet_type t = *x;
  for (int32_t i = 0; i < x->rank; i++) {
    int64_t s = st[i], l = li[i], r = has_strides ? sr[i] : 1;
    if (s < 0 || s > l || l > x->dims[i]) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "dimension %" PRId32 ": start %" PRId64 " and limit %" PRId64
                             " must satisfy 0 <= start <= limit <= %" PRId64,
                             i, s, l, x->dims[i]);
    }
    if (r < 1) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'strides' entry %" PRId32 " is %" PRId64 ", must be >= 1",
                             i, r);
    }
    int64_t len = l - s;
    t.dims[i] = len == 0 ? 0 : 1 + (len - 1) / r;
  }
  return jet__infer_emit(a, &t);
}

/* Operands first..n_in-1 are scalar integer start indices. */
static jet_status index_operands(const jet_infer_args *a, uint32_t first) {
  for (uint32_t i = first; i < a->n_in; i++) {
    JET_RETURN_IF_ERROR(jet__infer_operand_dtype(a, i, JET_DTM_INT, "an integer start index"));
    if (a->in[i].rank != 0) {
      char ts[JET_TYPE_STR_MAX];
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "operand %" PRIu32 " has type %s; start indices must be rank 0", i,
                             JET__TS(&a->in[i], ts));
    }
  }
  return NULL;
}

static jet_status index_count(const jet_infer_args *a, uint32_t fixed) {
  if (a->n_in < fixed) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s takes at least %" PRIu32 " operands, got %" PRIu32, a->info->name,
                           fixed, a->n_in);
  }
  int32_t rank = a->in[0].rank;
  if ((int64_t)a->n_in - fixed != rank) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s of a rank-%" PRId32 " operand takes %" PRId32
                           " start indices, got %" PRIu32,
                           a->info->name, rank, rank, a->n_in - fixed);
  }
  return NULL;
}

jet_status jet__rule_dynamic_slice(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(index_count(a, 1));
  const jet_type *x = &a->in[0];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(index_operands(a, 1));
  const int64_t *sz;
  uint32_t n;
  jet__infer_attr_ints(a, "slice_sizes", &sz, &n);
  JET_RETURN_IF_ERROR(jet__infer_ints_len("slice_sizes", n, x->rank));
  jet_type t = *x;
  for (int32_t i = 0; i < x->rank; i++) {
    if (sz[i] < 0 || sz[i] > x->dims[i]) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'slice_sizes' entry %" PRId32 " is %" PRId64
                             ", must be in [0, %" PRId64 "]",
                             i, sz[i], x->dims[i]);
    }
    t.dims[i] = sz[i];
  }
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_dynamic_update_slice(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(index_count(a, 2));
  const jet_type *x = &a->in[0], *u = &a->in[1];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(jet__infer_same_dtype(a, 0, 1));
  char tx[JET_TYPE_STR_MAX], tu[JET_TYPE_STR_MAX];
  if (u->rank != x->rank) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "operand 1 (update) has type %s but operand 0 has %s (ranks must be "
                           "equal)",
                           JET__TS(u, tu), JET__TS(x, tx));
  }
  for (int32_t i = 0; i < x->rank; i++) {
    if (u->dims[i] > x->dims[i]) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "update %s is larger than operand %s in dimension %" PRId32,
                             JET__TS(u, tu), JET__TS(x, tx), i);
    }
  }
  JET_RETURN_IF_ERROR(index_operands(a, 2));
  return jet__infer_emit(a, x);
}

jet_status jet__rule_concatenate(jet_infer_args *a) {
  if (a->n_in < 1) {
    return jet_status_make(JET_INVALID_ARGUMENT, "concatenate takes at least 1 operand, got 0");
  }
  const jet_type *x = &a->in[0];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  if (x->rank < 1) {
    return jet_status_make(JET_INVALID_ARGUMENT, "concatenate operands must have rank >= 1");
  }
  int64_t d = jet__infer_attr_int(a, "dimension", 0);
  if (d < 0 || d >= x->rank) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'dimension' is %" PRId64 ", out of range for rank %" PRId32,
                           d, x->rank);
  }
  jet_type t = *x;
  for (uint32_t i = 1; i < a->n_in; i++) {
    const jet_type *y = &a->in[i];
    JET_RETURN_IF_ERROR(jet__infer_same_dtype(a, 0, i));
    bool ok = y->rank == x->rank;
    for (int32_t k = 0; ok && k < x->rank; k++) ok = k == d || y->dims[k] == x->dims[k];
    if (!ok) {
      char tx[JET_TYPE_STR_MAX], ty[JET_TYPE_STR_MAX];
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "operand %" PRIu32
                             " has type %s but operand 0 has %s (only "
                             "dimension %" PRId64 " may differ)",
                             i, JET__TS(y, ty), JET__TS(x, tx), d);
    }
    if (!jet__add64(t.dims[d], y->dims[d], &t.dims[d])) {
      return jet_status_make(JET_INVALID_ARGUMENT, "concatenated dimension size overflows");
    }
  }
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_pad(jet_infer_args *a) {
  const jet_type *x = &a->in[0], *pv = &a->in[1];
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(jet__infer_same_dtype(a, 0, 1));
  if (pv->rank != 0) {
    char ts[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "operand 1 (padding value) has type %s; it must be rank 0",
                           JET__TS(pv, ts));
  }
  const int64_t *pc;
  uint32_t n;
  jet__infer_attr_ints(a, "padding_config", &pc, &n);
  JET_RETURN_IF_ERROR(jet__infer_ints_len("padding_config", n, 3 * (int64_t)x->rank));
  jet_type t = *x;
  for (int32_t i = 0; i < x->rank; i++) {
    int64_t lo = pc[3 * i], hi = pc[3 * i + 1], in = pc[3 * i + 2], dim = x->dims[i];
    if (in < 0) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'padding_config': interior padding of dimension %" PRId32
                             " is %" PRId64 ", must be >= 0",
                             i, in);
    }
    int64_t out, gaps;
    bool ok = jet__mul64(dim > 0 ? dim - 1 : 0, in, &gaps) && jet__add64(gaps, dim, &out) &&
              jet__add64(out, lo, &out) && jet__add64(out, hi, &out);
    if (!ok) {
      return jet_status_make(
          JET_INVALID_ARGUMENT,
          "attribute 'padding_config': padded size of dimension %" PRId32 " overflows", i);
    }
    if (out < 0) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'padding_config': dimension %" PRId32 " of size %" PRId64
                             " padded by (%" PRId64 ", %" PRId64 ", %" PRId64
                             ") has negative size %" PRId64,
                             i, dim, lo, hi, in, out);
    }
    t.dims[i] = out;
  }
  return jet__infer_emit(a, &t);
}
