/* gather and scatter-add with XLA dimension numbers; the index vector is
 * the last dim of the indices, whose other dims are the batch dims.
 *
 * gather mode 0 (clip): each start index is clamped into
 * [0, operand dim - slice size]. mode 1 (fill): a slice whose start is out
 * of bounds in any dim (so that part of it would be out of bounds) reads
 * entirely the fill value: NaN for floats, 0 for ints, false for bool.
 * scatter-add mode 1 (drop, the default): an update window that is out of
 * bounds in any dim is skipped whole; mode 0 (clip): starts are clamped as
 * in gather. Index values of any integer dtype are read as int64. */
#include <math.h>
#include <string.h>

#include "kernels.h"

static bool in_list(const int64_t *v, uint32_t n, int64_t x) {
  for (uint32_t i = 0; i < n; i++)
    if (v[i] == x) return true;
  return false;
}

/* Start indices of batch element b (flat over the indices' batch dims; bidx
 * its multi-index) into start[operand rank]; false when out of bounds and
 * `drop` is set. */
typedef struct idx_spec {
  const jet_buf *indices;
  int64_t k;                /* index vector length */
  const int64_t *map;       /* [k]: operand dim of each index component */
  const int64_t *obatch;    /* operand batching dims */
  const int64_t *ibatch;    /* indices batching dims */
  uint32_t nbatch;
  const jet_type *operand;
  const int64_t *win;       /* window size per operand dim */
  bool drop;                /* true: out of bounds -> false; else clamp */
} idx_spec;

static bool starts_of(const idx_spec *s, int64_t b, const int64_t *bidx, int64_t *start) {
  const int rank = s->operand->rank;
  for (int d = 0; d < rank; d++) start[d] = 0;
  for (int64_t j = 0; j < s->k; j++) {
    int d = jet__k_axis(s->map[j], rank);
    if (d >= 0) start[d] = jet__k_load_index(s->indices, b * s->k + j);
  }
  for (uint32_t j = 0; j < s->nbatch; j++) {
    int d = jet__k_axis(s->obatch[j], rank);
    if (d >= 0 && s->ibatch[j] >= 0 && s->ibatch[j] < s->indices->type.rank - 1)
      start[d] = bidx[s->ibatch[j]];
  }
  for (int d = 0; d < rank; d++) {
    int64_t hi = s->operand->dims[d] - s->win[d];
    if (s->drop) {
      if (start[d] < 0 || hi < 0 || start[d] > hi) return false;
    } else {
      if (hi < 0) return false;
      start[d] = start[d] < 0 ? 0 : start[d] > hi ? hi : start[d];
    }
  }
  return true;
}

static void next_index(int64_t *idx, const int64_t *dims, int rank) {
  for (int d = rank - 1; d >= 0; d--) {
    if (++idx[d] < dims[d]) return;
    idx[d] = 0;
  }
}

jet_status jet__k_GATHER(const jet_node *node, const jet_buf *in, jet_buf *out) {
  uint32_t n_off, n_col, n_map, n_ob, n_ib, n_ss;
  const int64_t *offset_dims = jet__k_ints(node, "offset_dims", &n_off);
  const int64_t *collapsed = jet__k_ints(node, "collapsed_slice_dims", &n_col);
  const int64_t *map = jet__k_ints(node, "start_index_map", &n_map);
  const int64_t *ob = jet__k_ints(node, "operand_batching_dims", &n_ob);
  const int64_t *ib = jet__k_ints(node, "start_indices_batching_dims", &n_ib);
  const int64_t *ss = jet__k_ints(node, "slice_sizes", &n_ss);
  const jet_type *opt = &in[0].type, *it = &in[1].type, *ot = &out[0].type;
  const int orank = opt->rank, irank = it->rank;
  if (n_ss != (uint32_t)orank) return jet__k_bad_attr(node, "slice_sizes");
  if (n_ob != n_ib) return jet__k_bad_attr(node, "start_indices_batching_dims");
  if (irank < 1 || it->dims[irank - 1] != (int64_t)n_map)
    return jet__k_bad_attr(node, "start_index_map");
  /* window dims of the operand (not collapsed, not batching), in order */
  int64_t wdims[JET_MAX_RANK], wsrc[JET_MAX_RANK], wdst[JET_MAX_RANK];
  int nw = 0;
  int64_t opstr[JET_MAX_RANK], ostr[JET_MAX_RANK];
  jet__k_strides(opt, opstr);
  jet__k_strides(ot, ostr);
  for (int d = 0; d < orank; d++) {
    if (in_list(collapsed, n_col, d) || in_list(ob, n_ob, d)) continue;
    if (nw >= (int)n_off) return jet__k_bad_attr(node, "offset_dims");
    int od = jet__k_axis(offset_dims[nw], ot->rank);
    if (od < 0) return jet__k_bad_attr(node, "offset_dims");
    wdims[nw] = ss[d];
    wsrc[nw] = opstr[d];
    wdst[nw] = ostr[od];
    nw++;
  }
  if (nw != (int)n_off) return jet__k_bad_attr(node, "offset_dims");
  /* batch dims of the output: the non-offset dims, in order */
  int64_t bdims[JET_MAX_RANK], bstr[JET_MAX_RANK];
  int nb = 0;
  for (int d = 0; d < ot->rank; d++) {
    if (in_list(offset_dims, n_off, d)) continue;
    if (nb >= irank - 1) return jet__k_bad_attr(node, "offset_dims");
    bdims[nb] = it->dims[nb];
    bstr[nb] = ostr[d];
    nb++;
  }
  if (nb != irank - 1) return jet__k_bad_attr(node, "offset_dims");
  if (jet_type_numel(ot) == 0) return NULL;
  const size_t esz = jet_dtype_size(ot->dtype);
  uint64_t fill = 0; /* zero bytes: 0 / false */
  if (ot->dtype == JET_F32) {
    float f = NAN;
    memcpy(&fill, &f, sizeof f);
  } else if (ot->dtype == JET_F64) {
    double f = NAN;
    memcpy(&fill, &f, sizeof f);
  }
  const int64_t zero_str[JET_MAX_RANK] = {0};
  idx_spec spec = {&in[1], (int64_t)n_map, map, ob, ib, n_ob, opt, ss,
                   jet_node_attr_int(node, "mode", 0) == 1};
  int64_t nbatch = 1;
  for (int d = 0; d < nb; d++) nbatch *= bdims[d];
  int64_t bidx[JET_MAX_RANK] = {0}, start[JET_MAX_RANK];
  for (int64_t b = 0; b < nbatch; b++, next_index(bidx, bdims, nb)) {
    int64_t obase = 0;
    for (int d = 0; d < nb; d++) obase += bidx[d] * bstr[d];
    char *dst = (char *)out[0].data + obase * (int64_t)esz;
    if (!starts_of(&spec, b, bidx, start)) {
      jet__k_copy_strided(esz, nw, wdims, &fill, zero_str, dst, wdst);
      continue;
    }
    int64_t sbase = 0;
    for (int d = 0; d < orank; d++) sbase += start[d] * opstr[d];
    jet__k_copy_strided(esz, nw, wdims, (const char *)in[0].data + sbase * (int64_t)esz, wsrc,
                        dst, wdst);
  }
  return NULL;
}

/* dst[window] += src[window] over a strided window, in the element type
 * (ints wrap). */
#define ADD_CASE(unused, sfx, TT, UU, SS, D)                               \
  case D: {                                                                \
    const TT *s = src;                                                     \
    TT *o = dst;                                                           \
    for (int64_t e = 0; e < total; e++) {                                  \
      int64_t so = 0, doff = 0;                                            \
      for (int d = 0; d < rank; d++) {                                     \
        so += idx[d] * sstr[d];                                            \
        doff += idx[d] * dstr[d];                                          \
      }                                                                    \
      o[doff] = (TT)((UU)o[doff] + (UU)s[so]);                             \
      next_index(idx, dims, rank);                                         \
    }                                                                      \
    return true;                                                           \
  }

static bool add_window(jet_dtype dt, int rank, const int64_t *dims, const void *src,
                       const int64_t *sstr, void *dst, const int64_t *dstr) {
  int64_t total = 1, idx[JET_MAX_RANK] = {0};
  for (int d = 0; d < rank; d++) total *= dims[d];
  switch (dt) {
    JET_EACH_NUM(ADD_CASE, _)
    default: return false;
  }
}

jet_status jet__k_SCATTER_ADD(const jet_node *node, const jet_buf *in, jet_buf *out) {
  uint32_t n_uw, n_ins, n_map, n_ob, n_ib;
  const int64_t *uwd = jet__k_ints(node, "update_window_dims", &n_uw);
  const int64_t *ins = jet__k_ints(node, "inserted_window_dims", &n_ins);
  const int64_t *map = jet__k_ints(node, "scatter_dims_to_operand_dims", &n_map);
  const int64_t *ob = jet__k_ints(node, "operand_batching_dims", &n_ob);
  const int64_t *ib = jet__k_ints(node, "scatter_indices_batching_dims", &n_ib);
  const jet_type *ot = &out[0].type, *it = &in[1].type, *ut = &in[2].type;
  const int orank = ot->rank, irank = it->rank;
  if (n_ob != n_ib) return jet__k_bad_attr(node, "scatter_indices_batching_dims");
  if (irank < 1 || it->dims[irank - 1] != (int64_t)n_map)
    return jet__k_bad_attr(node, "scatter_dims_to_operand_dims");
  const size_t nbytes = jet_type_nbytes(ot);
  if (nbytes) memcpy(out[0].data, in[0].data, nbytes);
  int64_t ostr[JET_MAX_RANK], ustr[JET_MAX_RANK];
  jet__k_strides(ot, ostr);
  jet__k_strides(ut, ustr);
  /* window: operand dims not inserted and not batching take the update
   * window dims in order; the others have size 1 */
  int64_t win[JET_MAX_RANK], wdims[JET_MAX_RANK], wsrc[JET_MAX_RANK], wdst[JET_MAX_RANK];
  int nw = 0;
  for (int d = 0; d < orank; d++) {
    win[d] = 1;
    if (in_list(ins, n_ins, d) || in_list(ob, n_ob, d)) continue;
    if (nw >= (int)n_uw) return jet__k_bad_attr(node, "update_window_dims");
    int ud = jet__k_axis(uwd[nw], ut->rank);
    if (ud < 0) return jet__k_bad_attr(node, "update_window_dims");
    win[d] = ut->dims[ud];
    wdims[nw] = ut->dims[ud];
    wsrc[nw] = ustr[ud];
    wdst[nw] = ostr[d];
    nw++;
  }
  if (nw != (int)n_uw) return jet__k_bad_attr(node, "update_window_dims");
  int64_t bdims[JET_MAX_RANK], bstr[JET_MAX_RANK];
  int nb = 0;
  for (int d = 0; d < ut->rank; d++) {
    if (in_list(uwd, n_uw, d)) continue;
    if (nb >= irank - 1) return jet__k_bad_attr(node, "update_window_dims");
    bdims[nb] = ut->dims[d];
    bstr[nb] = ustr[d];
    nb++;
  }
  if (nb != irank - 1) return jet__k_bad_attr(node, "update_window_dims");
  if (jet_type_numel(ut) == 0 || jet_type_numel(ot) == 0) return NULL;
  const size_t esz = jet_dtype_size(ot->dtype);
  idx_spec spec = {&in[1], (int64_t)n_map, map, ob, ib, n_ob, ot, win,
                   jet_node_attr_int(node, "mode", 1) != 0};
  int64_t nbatch = 1;
  for (int d = 0; d < nb; d++) nbatch *= bdims[d];
  int64_t bidx[JET_MAX_RANK] = {0}, start[JET_MAX_RANK];
  for (int64_t b = 0; b < nbatch; b++, next_index(bidx, bdims, nb)) {
    if (!starts_of(&spec, b, bidx, start)) continue;
    int64_t ubase = 0, obase = 0;
    for (int d = 0; d < nb; d++) ubase += bidx[d] * bstr[d];
    for (int d = 0; d < orank; d++) obase += start[d] * ostr[d];
    if (!add_window(ot->dtype, nw, wdims, (const char *)in[2].data + ubase * (int64_t)esz, wsrc,
                    (char *)out[0].data + obase * (int64_t)esz, wdst))
      return jet__k_bad_dtype(node, 0, ot->dtype);
  }
  return NULL;
}
