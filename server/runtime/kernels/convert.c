/* convert_element_type and bitcast_convert_type.
 *
 * convert_element_type: floats to ints saturate to the destination range
 * and NaN gives 0 (truncation toward zero otherwise); ints to ints wrap
 * (C conversion, modular); anything to bool is x != 0 (NaN is true); bool
 * to anything is 0 or 1; float to float and int to float are C conversions
 * (round to nearest). bitcast_convert_type copies the bytes. */
#include <math.h>
#include <string.h>

#include "kernels.h"

static int32_t sat_i32(double x) {
  if (isnan(x)) return 0;
  if (x <= -2147483648.0) return INT32_MIN;
  if (x >= 2147483648.0) return INT32_MAX;
  return (int32_t)x;
}
static int64_t sat_i64(double x) {
  if (isnan(x)) return 0;
  if (x <= -9223372036854775808.0) return INT64_MIN;
  if (x >= 9223372036854775808.0) return INT64_MAX;
  return (int64_t)x;
}
static uint8_t sat_u8(double x) {
  if (!(x > 0.0)) return 0; /* negatives and NaN */
  if (x >= 256.0) return UINT8_MAX;
  return (uint8_t)x;
}
static uint32_t sat_u32(double x) {
  if (!(x > 0.0)) return 0;
  if (x >= 4294967296.0) return UINT32_MAX;
  return (uint32_t)x;
}

/* Destination writers, chosen by the source element's C type. */
#define TO_i32(v) _Generic((v), float: sat_i32(v), double: sat_i32(v), default: (int32_t)(v))
#define TO_i64(v) _Generic((v), float: sat_i64(v), double: sat_i64(v), default: (int64_t)(v))
#define TO_u8(v) _Generic((v), float: sat_u8(v), double: sat_u8(v), default: (uint8_t)(v))
#define TO_u32(v) _Generic((v), float: sat_u32(v), double: sat_u32(v), default: (uint32_t)(v))
#define TO_f32(v) ((float)(v))
#define TO_f64(v) ((double)(v))
#define TO_b8(v) ((uint8_t)((v) != 0))

/* Source readers: bool reads as 0/1. */
#define FROM_i32(v) (v)
#define FROM_i64(v) (v)
#define FROM_u8(v) (v)
#define FROM_u32(v) (v)
#define FROM_f32(v) (v)
#define FROM_f64(v) (v)
#define FROM_b8(v) ((uint8_t)((v) != 0))

#define DEF_CONV_TO(src, dsfx, DT, DU, DS, DD)                               \
  static void conv_##src##_##dsfx(const void *s, void *d, int64_t n) {     \
    const SRC_T_##src *x = s;                                              \
    DT *y = d;                                                             \
    for (int64_t i = 0; i < n; i++) y[i] = TO_##dsfx(FROM_##src(x[i]));    \
  }
#define SRC_T_i32 int32_t
#define SRC_T_i64 int64_t
#define SRC_T_u8 uint8_t
#define SRC_T_u32 uint32_t
#define SRC_T_f32 float
#define SRC_T_f64 double
#define SRC_T_b8 uint8_t

#define DEF_CONV_FROM(unused, ssfx, ST, SU, SS, SD) JET_EACH_ANY2(DEF_CONV_TO, ssfx)
JET_EACH_ANY(DEF_CONV_FROM, _)

#define CONV_CASE_TO(src, dsfx, DT, DU, DS, DD) \
  case DD: conv_##src##_##dsfx(s, d, n); return true;
#define CONV_CASE_FROM(unused, ssfx, ST, SU, SS, SD) \
  case SD:                                           \
    switch (to) {                                    \
      JET_EACH_ANY2(CONV_CASE_TO, ssfx)              \
      default: return false;                         \
    }

bool jet__k_convert(jet_dtype from, const void *s, jet_dtype to, void *d, int64_t n) {
  switch (from) {
    JET_EACH_ANY(CONV_CASE_FROM, _)
    default: return false;
  }
}

jet_status jet__k_CONVERT_ELEMENT_TYPE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  if (!jet__k_convert(in[0].type.dtype, in[0].data, out[0].type.dtype, out[0].data,
                      jet_type_numel(&out[0].type)))
    return jet__k_bad_dtype(node, 0, in[0].type.dtype);
  return NULL;
}

jet_status jet__k_BITCAST_CONVERT_TYPE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const size_t nb = jet_type_nbytes(&out[0].type);
  if (nb != jet_type_nbytes(&in[0].type))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "bitcast_convert_type: operand has %zu bytes but the result %zu",
                           jet_type_nbytes(&in[0].type), nb);
  if (nb) memcpy(out[0].data, in[0].data, nb);
  return NULL;
}
