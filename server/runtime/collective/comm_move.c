/* Reductions and block copies of the local backend (comm_move.h). */
#include "comm_move.h"

#include <string.h>

/* Elements reduced per chunk: the accumulator stays in L1. */
#define CHUNK 512

#define C_ADD(acc, v) acc = (acc) + (v)
/* NaN-propagating, as the reduce kernels (kernels/reduce.c). */
#define C_MAX(acc, v) \
  if ((acc) == (acc) && !((v) <= (acc))) acc = (v)
#define C_MIN(acc, v) \
  if ((acc) == (acc) && !((v) >= (acc))) acc = (v)

#define DEF_REDUCE(NAME, T, COMBINE)                                                   \
  static void NAME(const void *const *src, uint32_t n_src, void *const *dst,          \
                   uint32_t n_dst, int64_t count) {                                   \
    T acc[CHUNK];                                                                      \
    for (int64_t base = 0; base < count; base += CHUNK) {                             \
      const int64_t m = count - base < CHUNK ? count - base : CHUNK;                   \
      const T *s0 = (const T *)src[0] + base;                                          \
      for (int64_t e = 0; e < m; e++) acc[e] = s0[e];                                  \
      for (uint32_t j = 1; j < n_src; j++) {                                           \
        const T *sj = (const T *)src[j] + base;                                        \
        for (int64_t e = 0; e < m; e++) {                                              \
          COMBINE(acc[e], sj[e]);                                                      \
        }                                                                              \
      }                                                                                \
      for (uint32_t k = 0; k < n_dst; k++)                                             \
        memcpy((T *)dst[k] + base, acc, (size_t)m * sizeof(T));                        \
    }                                                                                  \
  }

/* Integer sums in the unsigned type of the same width (wrap, no UB). */
DEF_REDUCE(sum_f32, float, C_ADD)
DEF_REDUCE(sum_f64, double, C_ADD)
DEF_REDUCE(sum_u8, uint8_t, C_ADD)
DEF_REDUCE(sum_u32, uint32_t, C_ADD)
DEF_REDUCE(sum_u64, uint64_t, C_ADD)
DEF_REDUCE(max_f32, float, C_MAX)
DEF_REDUCE(max_f64, double, C_MAX)
DEF_REDUCE(max_i32, int32_t, C_MAX)
DEF_REDUCE(max_i64, int64_t, C_MAX)
DEF_REDUCE(max_u8, uint8_t, C_MAX)
DEF_REDUCE(max_u32, uint32_t, C_MAX)
DEF_REDUCE(min_f32, float, C_MIN)
DEF_REDUCE(min_f64, double, C_MIN)
DEF_REDUCE(min_i32, int32_t, C_MIN)
DEF_REDUCE(min_i64, int64_t, C_MIN)
DEF_REDUCE(min_u8, uint8_t, C_MIN)
DEF_REDUCE(min_u32, uint32_t, C_MIN)

typedef void (*reduce_fn)(const void *const *, uint32_t, void *const *, uint32_t, int64_t);

static reduce_fn pick(jet_comm_kind kind, jet_dtype dt) {
  if (kind == JET_COMM_PMAX) {
    switch (dt) {
      case JET_F32: return max_f32;
      case JET_F64: return max_f64;
      case JET_I32: return max_i32;
      case JET_I64: return max_i64;
      case JET_U8: return max_u8;
      case JET_U32: return max_u32;
      default: return NULL;
    }
  }
  if (kind == JET_COMM_PMIN) {
    switch (dt) {
      case JET_F32: return min_f32;
      case JET_F64: return min_f64;
      case JET_I32: return min_i32;
      case JET_I64: return min_i64;
      case JET_U8: return min_u8;
      case JET_U32: return min_u32;
      default: return NULL;
    }
  }
  switch (dt) {
    case JET_F32: return sum_f32;
    case JET_F64: return sum_f64;
    case JET_I32:
    case JET_U32: return sum_u32;
    case JET_I64: return sum_u64;
    case JET_U8: return sum_u8;
    default: return NULL;
  }
}

void jet__comm_reduce(jet_comm_kind kind, jet_dtype dtype, const void *const *src,
                      uint32_t n_src, void *const *dst, uint32_t n_dst, int64_t count) {
  reduce_fn fn = pick(kind, dtype);
  if (fn && count > 0) fn(src, n_src, dst, n_dst, count);
}

void jet__comm_copy_block(size_t esize, int32_t rank, const int64_t *dims, const void *src,
                          const int64_t *src_strides, void *dst, const int64_t *dst_strides) {
  /* Drop size-1 dims, then merge dims that are contiguous in both. */
  int64_t d[JET_MAX_RANK + 1], ss[JET_MAX_RANK + 1], ds[JET_MAX_RANK + 1];
  int32_t r = 0;
  for (int32_t i = 0; i < rank; i++) {
    if (dims[i] == 0) return;
    if (dims[i] == 1) continue;
    if (r > 0 && ss[r - 1] == dims[i] * src_strides[i] && ds[r - 1] == dims[i] * dst_strides[i]) {
      d[r - 1] *= dims[i];
      ss[r - 1] = src_strides[i];
      ds[r - 1] = dst_strides[i];
      continue;
    }
    d[r] = dims[i];
    ss[r] = src_strides[i];
    ds[r] = dst_strides[i];
    r++;
  }
  /* Innermost run: contiguous bytes when both strides are 1. */
  int64_t run = 1, run_ss = 1, run_ds = 1;
  if (r > 0) {
    run = d[r - 1];
    run_ss = ss[r - 1];
    run_ds = ds[r - 1];
    r--;
  }
  int64_t idx[JET_MAX_RANK + 1] = {0};
  const char *s = src;
  char *t = dst;
  for (;;) {
    int64_t so = 0, to = 0;
    for (int32_t i = 0; i < r; i++) {
      so += idx[i] * ss[i];
      to += idx[i] * ds[i];
    }
    const char *sp = s + so * (int64_t)esize;
    char *tp = t + to * (int64_t)esize;
    if (run_ss == 1 && run_ds == 1) {
      memcpy(tp, sp, (size_t)run * esize);
    } else {
      for (int64_t e = 0; e < run; e++)
        memcpy(tp + e * run_ds * (int64_t)esize, sp + e * run_ss * (int64_t)esize, esize);
    }
    int32_t i = r - 1;
    while (i >= 0 && ++idx[i] == d[i]) idx[i--] = 0;
    if (i < 0) break;
  }
}
