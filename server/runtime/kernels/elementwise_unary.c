/* Elementwise unary kernels. Integer arithmetic wraps (computed in the
 * unsigned type of the same width); float math uses the libm function of the
 * element's precision (expf for f32, exp for f64). */
#include <math.h>

#include "kernels.h"

/* ---- erf_inv ---------------------------------------------------------- */

/* M. Giles, "Approximating the erfinv function" (GPU Computing Gems, 2011),
 * single-precision version; valid for |x| < 1. */
static double erfinv_giles(double x) {
  double w = -log((1.0 - x) * (1.0 + x)), p;
  if (w < 5.0) {
    w = w - 2.5;
    p = 2.81022636e-08;
    p = 3.43273939e-07 + p * w;
    p = -3.5233877e-06 + p * w;
    p = -4.39150654e-06 + p * w;
    p = 0.00021858087 + p * w;
    p = -0.00125372503 + p * w;
    p = -0.00417768164 + p * w;
    p = 0.246640727 + p * w;
    p = 1.50140941 + p * w;
  } else {
    w = sqrt(w) - 3.0;
    p = -0.000200214257;
    p = 0.000100950558 + p * w;
    p = 0.00134934322 + p * w;
    p = -0.00367342844 + p * w;
    p = 0.00573950773 + p * w;
    p = -0.0076224613 + p * w;
    p = 0.00943887047 + p * w;
    p = 1.00167406 + p * w;
    p = 2.83297682 + p * w;
  }
  return p * x;
}

static float erfinv_f32(float x) {
  if (isnan(x) || x < -1.0f || x > 1.0f) return NAN;
  if (x == 1.0f) return INFINITY;
  if (x == -1.0f) return -INFINITY;
  float w = -logf((1.0f - x) * (1.0f + x)), p;
  if (w < 5.0f) {
    w = w - 2.5f;
    p = 2.81022636e-08f;
    p = 3.43273939e-07f + p * w;
    p = -3.5233877e-06f + p * w;
    p = -4.39150654e-06f + p * w;
    p = 0.00021858087f + p * w;
    p = -0.00125372503f + p * w;
    p = -0.00417768164f + p * w;
    p = 0.246640727f + p * w;
    p = 1.50140941f + p * w;
  } else {
    w = sqrtf(w) - 3.0f;
    p = -0.000200214257f;
    p = 0.000100950558f + p * w;
    p = 0.00134934322f + p * w;
    p = -0.00367342844f + p * w;
    p = 0.00573950773f + p * w;
    p = -0.0076224613f + p * w;
    p = 0.00943887047f + p * w;
    p = 1.00167406f + p * w;
    p = 2.83297682f + p * w;
  }
  return p * x;
}

/* f64: Giles' approximation refined by Newton steps. For |x| < 0.5 the
 * steps solve erf(y) = |x|; for |x| >= 0.5 they solve
 * log(erfc(y)) = log(1 - |x|) (1 - |x| is exact there), which stays well
 * conditioned in the tails where erf(y) - x would cancel. */
static double erfinv_f64(double x) {
  if (isnan(x) || x < -1.0 || x > 1.0) return NAN;
  if (x == 1.0) return INFINITY;
  if (x == -1.0) return -INFINITY;
  if (x == 0.0) return x;
  const double a = fabs(x);
  const double two_over_sqrt_pi = 1.1283791670955126;
  double y = erfinv_giles(a);
  const double c = 1.0 - a, logc = log(c);
  for (int it = 0; it < 8; it++) {
    double step;
    const double d = two_over_sqrt_pi * exp(-y * y);
    if (a < 0.5) {
      if (!(d > 0.0)) break;
      step = (erf(y) - a) / d;
    } else {
      const double e = erfc(y);
      if (!(e > 0.0) || !(d > 0.0)) break;
      step = (log(e) - logc) / (-d / e);
    }
    y -= step;
    if (!(fabs(step) > 1e-16 * y)) break;
  }
  return x < 0 ? -y : y;
}

static float logistic_f32(float x) {
  if (x >= 0.0f) return 1.0f / (1.0f + expf(-x));
  float e = expf(x);
  return e / (1.0f + e);
}

static double logistic_f64(double x) {
  if (x >= 0.0) return 1.0 / (1.0 + exp(-x));
  double e = exp(x);
  return e / (1.0 + e);
}

/* ---- float -> float math ---------------------------------------------- */

#define FLOAT_UNARY(E, F32EXPR, F64EXPR)                                   \
  jet_status jet__k_##E(const jet_node *node, const jet_buf *in, jet_buf *out) { \
    const int64_t n = jet_type_numel(&out[0].type);                        \
    if (in[0].type.dtype == JET_F32) {                                     \
      const float *a = in[0].data;                                         \
      float *o = out[0].data;                                              \
      for (int64_t i = 0; i < n; i++) {                                    \
        const float x = a[i];                                              \
        o[i] = (F32EXPR);                                                  \
      }                                                                    \
      return NULL;                                                         \
    }                                                                      \
    if (in[0].type.dtype == JET_F64) {                                     \
      const double *a = in[0].data;                                        \
      double *o = out[0].data;                                             \
      for (int64_t i = 0; i < n; i++) {                                    \
        const double x = a[i];                                             \
        o[i] = (F64EXPR);                                                  \
      }                                                                    \
      return NULL;                                                         \
    }                                                                      \
    return jet__k_bad_dtype(node, 0, in[0].type.dtype);                    \
  }

FLOAT_UNARY(FLOOR, floorf(x), floor(x))
FLOAT_UNARY(CEIL, ceilf(x), ceil(x))
FLOAT_UNARY(EXP, expf(x), exp(x))
FLOAT_UNARY(EXP2, exp2f(x), exp2(x))
FLOAT_UNARY(LOG, logf(x), log(x))
FLOAT_UNARY(LOG1P, log1pf(x), log1p(x))
FLOAT_UNARY(EXPM1, expm1f(x), expm1(x))
FLOAT_UNARY(SQRT, sqrtf(x), sqrt(x))
FLOAT_UNARY(RSQRT, 1.0f / sqrtf(x), 1.0 / sqrt(x))
FLOAT_UNARY(TANH, tanhf(x), tanh(x))
FLOAT_UNARY(LOGISTIC, logistic_f32(x), logistic_f64(x))
FLOAT_UNARY(SIN, sinf(x), sin(x))
FLOAT_UNARY(COS, cosf(x), cos(x))
FLOAT_UNARY(TAN, tanf(x), tan(x))
FLOAT_UNARY(ASIN, asinf(x), asin(x))
FLOAT_UNARY(ACOS, acosf(x), acos(x))
FLOAT_UNARY(ATAN, atanf(x), atan(x))
FLOAT_UNARY(SINH, sinhf(x), sinh(x))
FLOAT_UNARY(COSH, coshf(x), cosh(x))
FLOAT_UNARY(ERF, erff(x), erf(x))
FLOAT_UNARY(ERF_INV, erfinv_f32(x), erfinv_f64(x))

/* round: rounding_method 0 = half away from zero (round), 1 = half to even
 * (nearbyint; the daemon never changes the default rounding mode). */
jet_status jet__k_ROUND(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const int64_t n = jet_type_numel(&out[0].type);
  const bool even = jet_node_attr_int(node, "rounding_method", 0) == 1;
  if (in[0].type.dtype == JET_F32) {
    const float *a = in[0].data;
    float *o = out[0].data;
    for (int64_t i = 0; i < n; i++) o[i] = even ? nearbyintf(a[i]) : roundf(a[i]);
    return NULL;
  }
  if (in[0].type.dtype == JET_F64) {
    const double *a = in[0].data;
    double *o = out[0].data;
    for (int64_t i = 0; i < n; i++) o[i] = even ? nearbyint(a[i]) : round(a[i]);
    return NULL;
  }
  return jet__k_bad_dtype(node, 0, in[0].type.dtype);
}

jet_status jet__k_IS_FINITE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const int64_t n = jet_type_numel(&out[0].type);
  uint8_t *o = out[0].data;
  if (in[0].type.dtype == JET_F32) {
    const float *a = in[0].data;
    for (int64_t i = 0; i < n; i++) o[i] = isfinite(a[i]) != 0;
    return NULL;
  }
  if (in[0].type.dtype == JET_F64) {
    const double *a = in[0].data;
    for (int64_t i = 0; i < n; i++) o[i] = isfinite(a[i]) != 0;
    return NULL;
  }
  return jet__k_bad_dtype(node, 0, in[0].type.dtype);
}

/* ---- numeric ops over ints and floats ---------------------------------- */

/* One loop per dtype: `x` is the element, T its type, U the unsigned type
 * of the same width. */
#define UN_CASE(EXPR, sfx, TT, UU, SS, D)                                  \
  case D: {                                                                \
    typedef TT T;                                                          \
    typedef UU U;                                                          \
    const T *a = in[0].data;                                               \
    T *o = out[0].data;                                                    \
    for (int64_t i = 0; i < n; i++) {                                      \
      const T x = a[i];                                                    \
      o[i] = (T)(EXPR);                                                    \
      (void)sizeof(U);                                                     \
    }                                                                      \
    return NULL;                                                           \
  }

#define UNARY_KERNEL(E, SINT_EXPR, UINT_EXPR, FLOAT_EXPR)                  \
  jet_status jet__k_##E(const jet_node *node, const jet_buf *in, jet_buf *out) { \
    const int64_t n = jet_type_numel(&out[0].type);                        \
    switch (in[0].type.dtype) {                                            \
      JET_EACH_SINT(UN_CASE, SINT_EXPR)                                    \
      JET_EACH_UINT(UN_CASE, UINT_EXPR)                                    \
      JET_EACH_FLOAT(UN_CASE, FLOAT_EXPR)                                  \
      default: return jet__k_bad_dtype(node, 0, in[0].type.dtype);         \
    }                                                                      \
  }

UNARY_KERNEL(NEG, (U)0 - (U)x, (U)0 - (U)x, -x)
UNARY_KERNEL(SQUARE, (U)x * (U)x, (U)x * (U)x, x * x)
/* sign: -1/0/1; NaN stays NaN and -0.0 stays -0.0 (x itself is returned). */
UNARY_KERNEL(SIGN, (x > 0) - (x < 0), x != 0, x > 0 ? (T)1 : x < 0 ? (T)-1 : x)

/* abs: signed ints wrap (abs(INT_MIN) = INT_MIN); no unsigned dtype. */
#define ABS_CASE(EXPR, sfx, TT, UU, SS, D)                                 \
  case D: {                                                                \
    typedef UU U;                                                          \
    const TT *a = in[0].data;                                              \
    TT *o = out[0].data;                                                   \
    for (int64_t i = 0; i < n; i++) o[i] = (TT)(EXPR);                     \
    (void)sizeof(U);                                                       \
    return NULL;                                                           \
  }
jet_status jet__k_ABS(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const int64_t n = jet_type_numel(&out[0].type);
  switch (in[0].type.dtype) {
    JET_EACH_SINT(ABS_CASE, a[i] < 0 ? (U)0 - (U)a[i] : (U)a[i])
    JET_EACH_FLOAT(ABS_CASE, fabs(a[i]))
    default: return jet__k_bad_dtype(node, 0, in[0].type.dtype);
  }
}

/* not: logical on bool, bitwise on ints. */
jet_status jet__k_NOT(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const int64_t n = jet_type_numel(&out[0].type);
  switch (in[0].type.dtype) {
    JET_EACH_INT(ABS_CASE, ~(U)a[i])
    JET_EACH_BOOL(ABS_CASE, a[i] == 0)
    default: return jet__k_bad_dtype(node, 0, in[0].type.dtype);
  }
}

/* integer_pow: exponentiation by squaring in the element type (ints wrap).
 * A negative y gives 1 / x^|y|: for floats a true division, for ints the
 * integer division of div (1 / p is 1 or -1 for p = 1 or -1, the division by
 * zero value for p = 0 (-1 signed, all ones unsigned) and 0 otherwise). */
#define IPOW_CASE(KIND, sfx, TT, UU, SS, D)                                \
  case D: {                                                                \
    const TT *a = in[0].data;                                              \
    TT *o = out[0].data;                                                   \
    for (int64_t i = 0; i < n; i++) {                                      \
      UU base = (UU)a[i], acc = 1;                                         \
      for (uint64_t e = mag; e; e >>= 1) {                                 \
        if (e & 1) acc = (UU)(acc * base);                                 \
        base = (UU)(base * base);                                          \
      }                                                                    \
      IPOW_FINISH_##KIND(TT, UU)                                           \
    }                                                                      \
    return NULL;                                                           \
  }
#define IPOW_FINISH_SINT(TT, UU)                                           \
  TT p = (TT)acc;                                                          \
  o[i] = !neg ? p : p == 1 ? 1 : p == -1 ? -1 : p == 0 ? -1 : 0;
#define IPOW_FINISH_UINT(TT, UU)                                           \
  TT p = (TT)acc;                                                          \
  o[i] = !neg ? p : p == 1 ? 1 : p == 0 ? (TT)-1 : 0;
#define IPOW_FINISH_FLOAT(TT, UU) o[i] = neg ? (TT)1 / acc : acc;

jet_status jet__k_INTEGER_POW(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const jet_attr *ya = jet_node_attr(node, "y");
  if (!ya || ya->kind != JET_ATTR_INT) return jet__k_bad_attr(node, "y");
  const int64_t y = ya->u.i;
  const bool neg = y < 0;
  const uint64_t mag = neg ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;
  const int64_t n = jet_type_numel(&out[0].type);
  switch (in[0].type.dtype) {
    JET_EACH_SINT(IPOW_CASE, SINT)
    JET_EACH_UINT(IPOW_CASE, UINT)
    JET_EACH_FLOAT(IPOW_CASE, FLOAT)
    default: return jet__k_bad_dtype(node, 0, in[0].type.dtype);
  }
}
