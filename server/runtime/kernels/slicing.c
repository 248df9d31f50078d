/* Slicing kernels: slice, dynamic_slice, dynamic_update_slice, concatenate,
 * pad, iota. Dynamic start indices (scalars of any integer dtype) are
 * clamped to [0, dim - size] as in XLA. */
#include <string.h>

#include "kernels.h"

jet_status jet__k_SLICE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  uint32_t ns, nst;
  const int64_t *start = jet__k_ints(node, "start_indices", &ns);
  const int64_t *steps = jet__k_ints(node, "strides", &nst);
  const jet_type *it = &in[0].type, *ot = &out[0].type;
  if (ns != (uint32_t)it->rank) return jet__k_bad_attr(node, "start_indices");
  if (steps && nst != (uint32_t)it->rank) return jet__k_bad_attr(node, "strides");
  int64_t istr[JET_MAX_RANK], sstr[JET_MAX_RANK], ostr[JET_MAX_RANK], base = 0;
  jet__k_strides(it, istr);
  jet__k_strides(ot, ostr);
  for (int d = 0; d < it->rank; d++) {
    base += start[d] * istr[d];
    sstr[d] = istr[d] * (steps ? steps[d] : 1);
  }
  if (jet_type_numel(ot) == 0) return NULL;
  const size_t esz = jet_dtype_size(ot->dtype);
  jet__k_copy_strided(esz, ot->rank, ot->dims, (const char *)in[0].data + base * (int64_t)esz,
                      sstr, out[0].data, ostr);
  return NULL;
}

static int64_t clamp_start(int64_t s, int64_t dim, int64_t size) {
  int64_t hi = dim - size;
  if (hi < 0) hi = 0;
  return s < 0 ? 0 : s > hi ? hi : s;
}

/* dynamic_slice(operand, *starts): slice of the result's shape. */
jet_status jet__k_DYNAMIC_SLICE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const jet_type *it = &in[0].type, *ot = &out[0].type;
  if (node->n_operands != (uint32_t)it->rank + 1)
    return jet_status_make(JET_INVALID_ARGUMENT, "dynamic_slice needs %d start indices",
                           it->rank);
  int64_t istr[JET_MAX_RANK], ostr[JET_MAX_RANK], base = 0;
  jet__k_strides(it, istr);
  jet__k_strides(ot, ostr);
  for (int d = 0; d < it->rank; d++)
    base += clamp_start(jet__k_load_index(&in[1 + d], 0), it->dims[d], ot->dims[d]) * istr[d];
  if (jet_type_numel(ot) == 0) return NULL;
  const size_t esz = jet_dtype_size(ot->dtype);
  jet__k_copy_strided(esz, ot->rank, ot->dims, (const char *)in[0].data + base * (int64_t)esz,
                      istr, out[0].data, ostr);
  return NULL;
}

/* dynamic_update_slice(operand, update, *starts). */
jet_status jet__k_DYNAMIC_UPDATE_SLICE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const jet_type *ot = &out[0].type, *ut = &in[1].type;
  if (node->n_operands != (uint32_t)ot->rank + 2)
    return jet_status_make(JET_INVALID_ARGUMENT, "dynamic_update_slice needs %d start indices",
                           ot->rank);
  const size_t nb = jet_type_nbytes(ot);
  if (nb) memcpy(out[0].data, in[0].data, nb);
  int64_t ustr[JET_MAX_RANK], ostr[JET_MAX_RANK], base = 0;
  jet__k_strides(ut, ustr);
  jet__k_strides(ot, ostr);
  for (int d = 0; d < ot->rank; d++) {
    if (ut->dims[d] > ot->dims[d])
      return jet_status_make(JET_INVALID_ARGUMENT, "update dim %d is larger than the operand's", d);
    base += clamp_start(jet__k_load_index(&in[2 + d], 0), ot->dims[d], ut->dims[d]) * ostr[d];
  }
  if (jet_type_numel(ut) == 0) return NULL;
  const size_t esz = jet_dtype_size(ot->dtype);
  jet__k_copy_strided(esz, ut->rank, ut->dims, in[1].data, ustr,
                      (char *)out[0].data + base * (int64_t)esz, ostr);
  return NULL;
}

jet_status jet__k_CONCATENATE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const jet_type *ot = &out[0].type;
  const int ax = jet__k_axis(jet_node_attr_int(node, "dimension", 0), ot->rank);
  if (ax < 0) return jet__k_bad_attr(node, "dimension");
  int64_t ostr[JET_MAX_RANK];
  jet__k_strides(ot, ostr);
  const size_t esz = jet_dtype_size(ot->dtype);
  int64_t offset = 0;
  for (uint32_t k = 0; k < node->n_operands; k++) {
    const jet_type *it = &in[k].type;
    if (offset + it->dims[ax] > ot->dims[ax])
      return jet_status_make(JET_INVALID_ARGUMENT, "operand %u overruns the result", k);
    int64_t istr[JET_MAX_RANK];
    jet__k_strides(it, istr);
    jet__k_copy_strided(esz, it->rank, it->dims, in[k].data, istr,
                        (char *)out[0].data + offset * ostr[ax] * (int64_t)esz, ostr);
    offset += it->dims[ax];
  }
  return NULL;
}

/* pad(operand, value): per dim (lo, hi, interior); operand element i lands
 * at lo + i * (interior + 1); negative lo/hi crop. */
jet_status jet__k_PAD(const jet_node *node, const jet_buf *in, jet_buf *out) {
  uint32_t nc;
  const int64_t *cfg = jet__k_ints(node, "padding_config", &nc);
  const jet_type *it = &in[0].type, *ot = &out[0].type;
  if (nc != 3u * (uint32_t)it->rank) return jet__k_bad_attr(node, "padding_config");
  const size_t esz = jet_dtype_size(ot->dtype);
  const int64_t n = jet_type_numel(ot);
  if (n == 0) return NULL;
  jet__k_fill(esz, out[0].data, n, in[1].data);
  int64_t istr[JET_MAX_RANK], ostr[JET_MAX_RANK], dims[JET_MAX_RANK], sstr[JET_MAX_RANK],
      dstr[JET_MAX_RANK], sbase = 0, dbase = 0;
  jet__k_strides(it, istr);
  jet__k_strides(ot, ostr);
  for (int d = 0; d < it->rank; d++) {
    const int64_t lo = cfg[3 * d], interior = cfg[3 * d + 2];
    if (interior < 0) return jet__k_bad_attr(node, "padding_config");
    const int64_t step = interior + 1;
    /* operand indices i with 0 <= lo + i * step < out dim */
    int64_t first = lo >= 0 ? 0 : (-lo + step - 1) / step;
    int64_t last = ot->dims[d] - 1 - lo < 0 ? -1 : (ot->dims[d] - 1 - lo) / step;
    if (last > it->dims[d] - 1) last = it->dims[d] - 1;
    if (last < first) return NULL; /* nothing of the operand survives */
    dims[d] = last - first + 1;
    sbase += first * istr[d];
    dbase += (lo + first * step) * ostr[d];
    sstr[d] = istr[d];
    dstr[d] = ostr[d] * step;
  }
  jet__k_copy_strided(esz, it->rank, dims, (const char *)in[0].data + sbase * (int64_t)esz, sstr,
                      (char *)out[0].data + dbase * (int64_t)esz, dstr);
  return NULL;
}

#define IOTA_CASE(unused, sfx, TT, UU, SS, D)                              \
  case D: {                                                                \
    TT *o = out[0].data;                                                   \
    for (int64_t i = 0; i < n; i++) o[i] = (TT)((i / inner) % len);        \
    return NULL;                                                           \
  }

jet_status jet__k_IOTA(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const jet_type *ot = &out[0].type;
  const int64_t n = jet_type_numel(ot);
  if (n == 0) return NULL;
  const int ax = jet__k_axis(jet_node_attr_int(node, "dimension", 0), ot->rank);
  if (ax < 0) return jet__k_bad_attr(node, "dimension");
  int64_t ostr[JET_MAX_RANK];
  jet__k_strides(ot, ostr);
  const int64_t inner = ostr[ax], len = ot->dims[ax];
  if (ot->dtype == JET_BOOL) {
    uint8_t *o = out[0].data;
    for (int64_t i = 0; i < n; i++) o[i] = ((i / inner) % len) != 0;
    return NULL;
  }
  switch (ot->dtype) {
    JET_EACH_NUM(IOTA_CASE, _)
    default: return jet__k_bad_dtype(node, 0, ot->dtype);
  }
}
