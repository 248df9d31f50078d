/* Elementwise binary kernels: equal shapes, or one operand of rank 0
 * (broadcast with stride 0). XLA semantics for every value:
 *  - ints wrap (add, sub, mul computed in the unsigned type);
 *  - div truncates; x / 0 = -1 for signed, all ones for unsigned;
 *    INT_MIN / -1 = INT_MIN;
 *  - rem has the dividend's sign; x % 0 = x; INT_MIN % -1 = 0;
 *  - shift amounts outside [0, bits) give 0 for shift_left and
 *    shift_right_logical and the sign fill (x < 0 ? -1 : 0) for
 *    shift_right_arithmetic; on unsigned dtypes shift_right_arithmetic
 *    reads the value as the signed type of the same width (as XLA) and the
 *    amount as unsigned;
 *  - max/min propagate NaN; and/or/xor are logical on bool, bitwise on ints;
 *  - pow and atan2 are C's (powf/pow, atan2f/atan2), rem on floats is fmod.
 */
#include <math.h>

#include "kernels.h"

#define LOOP(EXPR)                                                         \
  do {                                                                     \
    for (int64_t i = 0; i < n; i++) {                                      \
      const T x = a[i * sa], y = b[i * sb];                                \
      o[i] = (T)(EXPR);                                                    \
    }                                                                      \
    return NULL;                                                           \
  } while (0)

#define DEF_SINT(unused, sfx, TT, UU, SS, D)                               \
  static jet_status bin_##sfx(const jet_node *node, const TT *a, int64_t sa, const TT *b, \
                              int64_t sb, TT *o, int64_t n) {              \
    typedef TT T;                                                          \
    typedef UU U;                                                          \
    const T tmin = (T)((U)1 << (sizeof(T) * 8 - 1));                       \
    const int bits = (int)(sizeof(T) * 8);                                 \
    switch (node->op) {                                                    \
      case JET_OP_ADD: LOOP((U)x + (U)y);                                  \
      case JET_OP_SUB: LOOP((U)x - (U)y);                                  \
      case JET_OP_MUL: LOOP((U)x * (U)y);                                  \
      case JET_OP_DIV: LOOP(y == 0 ? (T)-1 : (x == tmin && y == -1) ? tmin : x / y); \
      case JET_OP_REM: LOOP(y == 0 ? x : y == -1 ? 0 : x % y);             \
      case JET_OP_MAX: LOOP(x > y ? x : y);                                \
      case JET_OP_MIN: LOOP(x < y ? x : y);                                \
      case JET_OP_AND: LOOP(x & y);                                        \
      case JET_OP_OR: LOOP(x | y);                                         \
      case JET_OP_XOR: LOOP(x ^ y);                                        \
      case JET_OP_SHIFT_LEFT: LOOP(y < 0 || y >= bits ? 0 : (U)x << y);    \
      case JET_OP_SHIFT_RIGHT_LOGICAL: LOOP(y < 0 || y >= bits ? 0 : (U)x >> y); \
      case JET_OP_SHIFT_RIGHT_ARITHMETIC:                                  \
        LOOP(y < 0 || y >= bits ? (x < 0 ? -1 : 0) : x >> y);              \
      default: return jet__k_bad_dtype(node, 0, D);                        \
    }                                                                      \
  }

#define DEF_UINT(unused, sfx, TT, UU, SS, D)                               \
  static jet_status bin_##sfx(const jet_node *node, const TT *a, int64_t sa, const TT *b, \
                              int64_t sb, TT *o, int64_t n) {              \
    typedef TT T;                                                          \
    typedef UU U;                                                          \
    typedef SS S;                                                          \
    const T bits = (T)(sizeof(T) * 8);                                     \
    switch (node->op) {                                                    \
      case JET_OP_ADD: LOOP((U)x + (U)y);                                  \
      case JET_OP_SUB: LOOP((U)x - (U)y);                                  \
      case JET_OP_MUL: LOOP((U)x * (U)y);                                  \
      case JET_OP_DIV: LOOP(y == 0 ? (T)-1 : x / y);                       \
      case JET_OP_REM: LOOP(y == 0 ? x : x % y);                           \
      case JET_OP_MAX: LOOP(x > y ? x : y);                                \
      case JET_OP_MIN: LOOP(x < y ? x : y);                                \
      case JET_OP_AND: LOOP(x & y);                                        \
      case JET_OP_OR: LOOP(x | y);                                         \
      case JET_OP_XOR: LOOP(x ^ y);                                        \
      case JET_OP_SHIFT_LEFT: LOOP(y >= bits ? 0 : (U)x << y);             \
      case JET_OP_SHIFT_RIGHT_LOGICAL: LOOP(y >= bits ? 0 : (U)x >> y);    \
      case JET_OP_SHIFT_RIGHT_ARITHMETIC:                                  \
        LOOP(y >= bits ? ((S)x < 0 ? (S)-1 : (S)0) : (S)((S)x >> y));      \
      default: return jet__k_bad_dtype(node, 0, D);                        \
    }                                                                      \
  }

#define DEF_FLOAT(FN, sfx, TT, UU, SS, D)                                  \
  static jet_status bin_##sfx(const jet_node *node, const TT *a, int64_t sa, const TT *b, \
                              int64_t sb, TT *o, int64_t n) {              \
    typedef TT T;                                                          \
    switch (node->op) {                                                    \
      case JET_OP_ADD: LOOP(x + y);                                        \
      case JET_OP_SUB: LOOP(x - y);                                        \
      case JET_OP_MUL: LOOP(x * y);                                        \
      case JET_OP_DIV: LOOP(x / y);                                        \
      case JET_OP_REM: LOOP(FN##_fmod(x, y));                              \
      case JET_OP_POW: LOOP(FN##_pow(x, y));                               \
      case JET_OP_ATAN2: LOOP(FN##_atan2(x, y));                           \
      case JET_OP_MAX: LOOP(isnan(x) ? x : isnan(y) ? y : x > y ? x : y);  \
      case JET_OP_MIN: LOOP(isnan(x) ? x : isnan(y) ? y : x < y ? x : y);  \
      default: return jet__k_bad_dtype(node, 0, D);                        \
    }                                                                      \
  }

#define f32_fmod fmodf
#define f32_pow powf
#define f32_atan2 atan2f
#define f64_fmod fmod
#define f64_pow pow
#define f64_atan2 atan2

JET_EACH_SINT(DEF_SINT, _)
JET_EACH_UINT(DEF_UINT, _)
DEF_FLOAT(f32, f32, float, float, float, JET_F32)
DEF_FLOAT(f64, f64, double, double, double, JET_F64)

/* bool: logical and/or/xor; max = or, min = and. */
static jet_status bin_b8(const jet_node *node, const uint8_t *a, int64_t sa, const uint8_t *b,
                         int64_t sb, uint8_t *o, int64_t n) {
  typedef uint8_t T;
  switch (node->op) {
    case JET_OP_AND:
    case JET_OP_MIN: LOOP((x != 0) & (y != 0));
    case JET_OP_OR:
    case JET_OP_MAX: LOOP((x != 0) | (y != 0));
    case JET_OP_XOR: LOOP((x != 0) ^ (y != 0));
    default: return jet__k_bad_dtype(node, 0, JET_BOOL);
  }
}

#define BIN_DISPATCH(unused, sfx, TT, UU, SS, D) \
  case D: return bin_##sfx(node, in[0].data, sa, in[1].data, sb, out[0].data, n);

static jet_status binary(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const int64_t n = jet_type_numel(&out[0].type);
  const int64_t sa = in[0].type.rank == 0 ? 0 : 1;
  const int64_t sb = in[1].type.rank == 0 ? 0 : 1;
  if (in[0].type.dtype != in[1].type.dtype) return jet__k_bad_dtype(node, 1, in[1].type.dtype);
  switch (in[0].type.dtype) {
    JET_EACH_ANY(BIN_DISPATCH, _)
    default: return jet__k_bad_dtype(node, 0, in[0].type.dtype);
  }
}

#define BIN_KERNEL(E) \
  jet_status jet__k_##E(const jet_node *node, const jet_buf *in, jet_buf *out) { \
    return binary(node, in, out);                                          \
  }
BIN_KERNEL(ADD)
BIN_KERNEL(SUB)
BIN_KERNEL(MUL)
BIN_KERNEL(DIV)
BIN_KERNEL(REM)
BIN_KERNEL(POW)
BIN_KERNEL(MAX)
BIN_KERNEL(MIN)
BIN_KERNEL(ATAN2)
BIN_KERNEL(AND)
BIN_KERNEL(OR)
BIN_KERNEL(XOR)
BIN_KERNEL(SHIFT_LEFT)
BIN_KERNEL(SHIFT_RIGHT_LOGICAL)
BIN_KERNEL(SHIFT_RIGHT_ARITHMETIC)
