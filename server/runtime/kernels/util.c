/* Shared helpers of the kernels: attribute access, index loads, strided
 * copies. */
#include <string.h>

#include "kernels.h"

jet_status jet__k_bad_dtype(const jet_node *node, int operand, jet_dtype d) {
  return jet_status_make(JET_INVALID_ARGUMENT, "%s has no kernel for operand %d of dtype %s",
                         jet_op_name(node->op), operand, jet_dtype_name(d));
}

jet_status jet__k_bad_attr(const jet_node *node, const char *attr) {
  return jet_status_make(JET_INVALID_ARGUMENT, "%s: attribute '%s' is missing or malformed",
                         jet_op_name(node->op), attr);
}

const int64_t *jet__k_ints(const jet_node *node, const char *name, uint32_t *n) {
  const jet_attr *a = jet_node_attr(node, name);
  if (!a || a->kind != JET_ATTR_INTS) {
    *n = 0;
    return NULL;
  }
  *n = a->u.ints.n;
  return a->u.ints.v;
}

int jet__k_axis(int64_t axis, int rank) {
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) return -1;
  return (int)axis;
}

int64_t jet__k_load_index(const jet_buf *b, int64_t i) {
  switch (b->type.dtype) {
    case JET_I32: return ((const int32_t *)b->data)[i];
    case JET_I64: return ((const int64_t *)b->data)[i];
    case JET_U8: return ((const uint8_t *)b->data)[i];
    case JET_U32: return ((const uint32_t *)b->data)[i];
    case JET_BOOL: return ((const uint8_t *)b->data)[i] != 0;
    default: return 0;
  }
}

void jet__k_strides(const jet_type *t, int64_t *strides) {
  int64_t s = 1;
  for (int d = t->rank - 1; d >= 0; d--) {
    strides[d] = s;
    s *= t->dims[d];
  }
}

#define COPY_ROW(T)                                                   \
  do {                                                                \
    const T *s_ = (const T *)sp;                                      \
    T *d_ = (T *)dp;                                                  \
    if (ss == 1 && ds == 1) {                                         \
      memcpy(d_, s_, (size_t)n * sizeof(T));                          \
    } else {                                                          \
      for (int64_t j = 0; j < n; j++) d_[j * ds] = s_[j * ss];        \
    }                                                                 \
  } while (0)

static void copy_row(size_t esz, const char *sp, int64_t ss, char *dp, int64_t ds, int64_t n) {
  switch (esz) {
    case 1: COPY_ROW(uint8_t); break;
    case 4: COPY_ROW(uint32_t); break;
    case 8: COPY_ROW(uint64_t); break;
    default:
      for (int64_t j = 0; j < n; j++)
        memcpy(dp + j * ds * (int64_t)esz, sp + j * ss * (int64_t)esz, esz);
  }
}

void jet__k_copy_strided(size_t esz, int rank, const int64_t *dims, const void *src,
                         const int64_t *src_strides, void *dst, const int64_t *dst_strides) {
  for (int d = 0; d < rank; d++)
    if (dims[d] == 0) return;
  if (rank == 0) {
    memcpy(dst, src, esz);
    return;
  }
  int64_t idx[JET_MAX_RANK] = {0};
  const int64_t e = (int64_t)esz;
  int64_t so = 0, doff = 0; /* element offsets of the current row */
  const int inner = rank - 1;
  for (;;) {
    copy_row(esz, (const char *)src + so * e, src_strides[inner], (char *)dst + doff * e,
             dst_strides[inner], dims[inner]);
    int d = inner - 1;
    for (; d >= 0; d--) {
      idx[d]++;
      so += src_strides[d];
      doff += dst_strides[d];
      if (idx[d] < dims[d]) break;
      so -= src_strides[d] * dims[d];
      doff -= dst_strides[d] * dims[d];
      idx[d] = 0;
    }
    if (d < 0) return;
  }
}

void jet__k_fill(size_t esz, void *dst, int64_t n, const void *value) {
  switch (esz) {
    case 1: memset(dst, *(const uint8_t *)value, (size_t)n); return;
    case 4: {
      uint32_t v;
      memcpy(&v, value, 4);
      for (int64_t i = 0; i < n; i++) ((uint32_t *)dst)[i] = v;
      return;
    }
    case 8: {
      uint64_t v;
      memcpy(&v, value, 8);
      for (int64_t i = 0; i < n; i++) ((uint64_t *)dst)[i] = v;
      return;
    }
    default:
      for (int64_t i = 0; i < n; i++) memcpy((char *)dst + i * (int64_t)esz, value, esz);
  }
}
