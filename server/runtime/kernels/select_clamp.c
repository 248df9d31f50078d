/* select(pred, on_true, on_false) and clamp(min, x, max). Operands of rank 0
 * broadcast (stride 0). clamp = min(max(x, lo), hi) with NaN propagating as
 * in max/min. */
#include <math.h>
#include <string.h>

#include "kernels.h"

#define SEL_LOOP(T)                                                        \
  do {                                                                     \
    const T *t = in[1].data, *f = in[2].data;                              \
    T *o = out[0].data;                                                    \
    for (int64_t i = 0; i < n; i++) o[i] = p[i * sp] ? t[i * st] : f[i * sf]; \
  } while (0)

jet_status jet__k_SELECT(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const int64_t n = jet_type_numel(&out[0].type);
  const uint8_t *p = in[0].data;
  const int64_t sp = in[0].type.rank == 0 ? 0 : 1;
  const int64_t st = in[1].type.rank == 0 ? 0 : 1;
  const int64_t sf = in[2].type.rank == 0 ? 0 : 1;
  switch (jet_dtype_size(out[0].type.dtype)) {
    case 1: SEL_LOOP(uint8_t); break;
    case 4: SEL_LOOP(uint32_t); break;
    case 8: SEL_LOOP(uint64_t); break;
    default: return jet__k_bad_dtype(node, 1, in[1].type.dtype);
  }
  if (out[0].type.dtype == JET_BOOL) {
    uint8_t *o = out[0].data;
    for (int64_t i = 0; i < n; i++) o[i] = o[i] != 0;
  }
  return NULL;
}

#define CLAMP_CASE(KIND, sfx, TT, UU, SS, D)                               \
  case D: {                                                                \
    const TT *lo = in[0].data, *x = in[1].data, *hi = in[2].data;          \
    TT *o = out[0].data;                                                   \
    for (int64_t i = 0; i < n; i++) {                                      \
      TT v = x[i * sx], l = lo[i * sl], h = hi[i * sh];                    \
      CLAMP_##KIND(v, l, h);                                               \
      o[i] = v;                                                            \
    }                                                                      \
    return NULL;                                                           \
  }
#define CLAMP_INT(v, l, h) \
  v = v > l ? v : l;       \
  v = v < h ? v : h
#define CLAMP_FLOAT(v, l, h)                          \
  v = isnan(v) ? v : isnan(l) ? l : v > l ? v : l;    \
  v = isnan(v) ? v : isnan(h) ? h : v < h ? v : h

jet_status jet__k_CLAMP(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const int64_t n = jet_type_numel(&out[0].type);
  const int64_t sl = in[0].type.rank == 0 ? 0 : 1;
  const int64_t sx = in[1].type.rank == 0 ? 0 : 1;
  const int64_t sh = in[2].type.rank == 0 ? 0 : 1;
  switch (in[1].type.dtype) {
    JET_EACH_INT(CLAMP_CASE, INT)
    JET_EACH_FLOAT(CLAMP_CASE, FLOAT)
    default: return jet__k_bad_dtype(node, 1, in[1].type.dtype);
  }
}
