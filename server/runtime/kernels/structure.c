/* Structure kernels: broadcast_in_dim, reshape, transpose, squeeze,
 * expand_dims, rev. Reshape, squeeze and expand_dims keep the row-major
 * element order, so they are byte copies. */
#include <string.h>

#include "kernels.h"

static jet_status copy_all(const jet_buf *in, jet_buf *out) {
  size_t nb = jet_type_nbytes(&out[0].type);
  if (nb) memcpy(out[0].data, in[0].data, nb);
  return NULL;
}

jet_status jet__k_RESHAPE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return copy_all(in, out);
}
jet_status jet__k_SQUEEZE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return copy_all(in, out);
}
jet_status jet__k_EXPAND_DIMS(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return copy_all(in, out);
}

/* Operand dim i goes to output dim broadcast_dimensions[i]; operand dims of
 * size 1 (or output dims the operand lacks) repeat with stride 0. */
jet_status jet__k_BROADCAST_IN_DIM(const jet_node *node, const jet_buf *in, jet_buf *out) {
  uint32_t nbd;
  const int64_t *bd = jet__k_ints(node, "broadcast_dimensions", &nbd);
  const jet_type *it = &in[0].type, *ot = &out[0].type;
  if (nbd != (uint32_t)it->rank) return jet__k_bad_attr(node, "broadcast_dimensions");
  int64_t istr[JET_MAX_RANK], sstr[JET_MAX_RANK] = {0}, ostr[JET_MAX_RANK];
  jet__k_strides(it, istr);
  jet__k_strides(ot, ostr);
  for (uint32_t i = 0; i < nbd; i++) {
    int d = jet__k_axis(bd[i], ot->rank);
    if (d < 0) return jet__k_bad_attr(node, "broadcast_dimensions");
    if (it->dims[i] == ot->dims[d]) sstr[d] = istr[i];
    else if (it->dims[i] != 1) return jet__k_bad_attr(node, "broadcast_dimensions");
  }
  jet__k_copy_strided(jet_dtype_size(ot->dtype), ot->rank, ot->dims, in[0].data, sstr,
                      out[0].data, ostr);
  return NULL;
}

/* Output dim i is operand dim permutation[i]. */
jet_status jet__k_TRANSPOSE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  uint32_t np;
  const int64_t *perm = jet__k_ints(node, "permutation", &np);
  const jet_type *it = &in[0].type, *ot = &out[0].type;
  if (np != (uint32_t)it->rank) return jet__k_bad_attr(node, "permutation");
  int64_t istr[JET_MAX_RANK], sstr[JET_MAX_RANK], ostr[JET_MAX_RANK];
  jet__k_strides(it, istr);
  jet__k_strides(ot, ostr);
  for (uint32_t i = 0; i < np; i++) {
    int d = jet__k_axis(perm[i], it->rank);
    if (d < 0) return jet__k_bad_attr(node, "permutation");
    sstr[i] = istr[d];
  }
  jet__k_copy_strided(jet_dtype_size(ot->dtype), ot->rank, ot->dims, in[0].data, sstr,
                      out[0].data, ostr);
  return NULL;
}

jet_status jet__k_REV(const jet_node *node, const jet_buf *in, jet_buf *out) {
  uint32_t nd;
  const int64_t *dims = jet__k_ints(node, "dimensions", &nd);
  const jet_type *t = &out[0].type;
  int64_t sstr[JET_MAX_RANK], ostr[JET_MAX_RANK];
  jet__k_strides(t, sstr);
  jet__k_strides(t, ostr);
  if (jet_type_numel(t) == 0) return NULL;
  bool flip[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < nd; i++) {
    int d = jet__k_axis(dims[i], t->rank);
    if (d < 0) return jet__k_bad_attr(node, "dimensions");
    flip[d] = true;
  }
  int64_t base = 0;
  for (int d = 0; d < t->rank; d++) {
    if (!flip[d]) continue;
    base += (t->dims[d] - 1) * sstr[d];
    sstr[d] = -sstr[d];
  }
  const size_t esz = jet_dtype_size(t->dtype);
  jet__k_copy_strided(esz, t->rank, t->dims, (const char *)in[0].data + base * (int64_t)esz,
                      sstr, out[0].data, ostr);
  return NULL;
}
