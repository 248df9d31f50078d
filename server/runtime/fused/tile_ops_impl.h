/* The fast tile functions and reductions, built once per instruction set.
 *
 * Included (once) by tile_ops_avx512.c, tile_ops_avx2.c and tile_ops_base.c,
 * which define TILE_ISA_AVX512, TILE_ISA_AVX2 or neither, and TILE_OPS_TABLE
 * (the jet_tile_isa_ops this build exports) before including it. Everything
 * else here is static: each build has its own copy, compiled with its own
 * flags (-O3 plus the instruction set; never -ffast-math, so IEEE semantics
 * hold and the plain loops below compute exactly what the reference kernels
 * compute, vectorised by the compiler).
 *
 * Where the compiler cannot vectorise a plain loop without relaxing IEEE
 * rules (sqrt and floor/ceil/trunc/nearbyint under errno and trapping-math
 * semantics), the loops use the instruction set's intrinsics, which compute
 * the same values. Transcendental functions use SLEEF's vector functions
 * (accuracy table in tile.c).
 *
 * Semantics follow the reference kernels (server/runtime/kernels) value
 * for value; each group below names the reference file it mirrors. */
#include <math.h>
#include <sleef.h>
#include <string.h>

#if defined(TILE_ISA_AVX512) || defined(TILE_ISA_AVX2)
#include <immintrin.h>
#else
#include <emmintrin.h>
#endif

#include "jet/ops.h"
#include "kernels/kernels.h"
#include "tile_ops.h"

/* tanh f32: SLEEF's u35 variant (3-6x faster than u10; bound in tile.c). */
#ifndef TILE_TANH_F32_U
#define TILE_TANH_F32_U u35
#endif

/* ---- vector helpers per instruction set ------------------------------- */

#if defined(TILE_ISA_AVX512)
#define VF_N 16
#define VD_N 8
typedef __m512 vf_t;
typedef __m512d vd_t;
#define VF_LOAD(p) _mm512_loadu_ps(p)
#define VF_STORE(p, v) _mm512_storeu_ps(p, v)
#define VD_LOAD(p) _mm512_loadu_pd(p)
#define VD_STORE(p, v) _mm512_storeu_pd(p, v)
#define SLEEF_F(fn, u) Sleef_##fn##f16_##u##avx512f
#define SLEEF_D(fn, u) Sleef_##fn##d8_##u##avx512f
#define VF_SQRT(v) _mm512_sqrt_ps(v)
#define VD_SQRT(v) _mm512_sqrt_pd(v)
#define VF_RND(v, m) _mm512_roundscale_ps(v, (m) | _MM_FROUND_NO_EXC)
#define VD_RND(v, m) _mm512_roundscale_pd(v, (m) | _MM_FROUND_NO_EXC)
#define VF_KEEP_NAN(x, r) _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, x, _CMP_UNORD_Q), r, x)
#define VD_KEEP_NAN(x, r) _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, x, _CMP_UNORD_Q), r, x)
#define HAVE_VRND 1
#elif defined(TILE_ISA_AVX2)
#define VF_N 8
#define VD_N 4
typedef __m256 vf_t;
typedef __m256d vd_t;
#define VF_LOAD(p) _mm256_loadu_ps(p)
#define VF_STORE(p, v) _mm256_storeu_ps(p, v)
#define VD_LOAD(p) _mm256_loadu_pd(p)
#define VD_STORE(p, v) _mm256_storeu_pd(p, v)
#define SLEEF_F(fn, u) Sleef_##fn##f8_##u##avx2
#define SLEEF_D(fn, u) Sleef_##fn##d4_##u##avx2
#define VF_SQRT(v) _mm256_sqrt_ps(v)
#define VD_SQRT(v) _mm256_sqrt_pd(v)
#define VF_RND(v, m) _mm256_round_ps(v, (m) | _MM_FROUND_NO_EXC)
#define VD_RND(v, m) _mm256_round_pd(v, (m) | _MM_FROUND_NO_EXC)
#define VF_KEEP_NAN(x, r) _mm256_blendv_ps(r, x, _mm256_cmp_ps(x, x, _CMP_UNORD_Q))
#define VD_KEEP_NAN(x, r) _mm256_blendv_pd(r, x, _mm256_cmp_pd(x, x, _CMP_UNORD_Q))
#define HAVE_VRND 1
#else
#define VF_N 4
#define VD_N 2
typedef __m128 vf_t;
typedef __m128d vd_t;
#define VF_LOAD(p) _mm_loadu_ps(p)
#define VF_STORE(p, v) _mm_storeu_ps(p, v)
#define VD_LOAD(p) _mm_loadu_pd(p)
#define VD_STORE(p, v) _mm_storeu_pd(p, v)
#define SLEEF_F(fn, u) Sleef_##fn##f4_##u##sse2
#define SLEEF_D(fn, u) Sleef_##fn##d2_##u##sse2
#define VF_SQRT(v) _mm_sqrt_ps(v)
#define VD_SQRT(v) _mm_sqrt_pd(v)
#define HAVE_VRND 0
#endif

typedef vf_t (*vf1_fn)(vf_t);
typedef vd_t (*vd1_fn)(vd_t);
typedef vf_t (*vf2_fn)(vf_t, vf_t);
typedef vd_t (*vd2_fn)(vd_t, vd_t);

/* o[i] = f(a[i]) a vector at a time; the tail goes through a zero-padded
 * vector (every function used here is defined at 0). o may equal a. */
#define DEF_MAP1(name, T, V, N, LOAD, STORE)                                 \
  static inline void name(V (*f)(V), const T *a, T *o, int64_t n) {          \
    int64_t i = 0;                                                           \
    for (; i + N <= n; i += N) STORE(o + i, f(LOAD(a + i)));                 \
    if (i < n) {                                                             \
      T t[N];                                                                \
      memset(t, 0, sizeof t);                                                \
      memcpy(t, a + i, (size_t)(n - i) * sizeof(T));                        \
      STORE(t, f(LOAD(t)));                                                  \
      memcpy(o + i, t, (size_t)(n - i) * sizeof(T));                         \
    }                                                                        \
  }
#define DEF_MAP2(name, T, V, N, LOAD, STORE)                                 \
  static inline void name(V (*f)(V, V), const T *a, const T *b, T *o, int64_t n) { \
    int64_t i = 0;                                                           \
    for (; i + N <= n; i += N) STORE(o + i, f(LOAD(a + i), LOAD(b + i)));    \
    if (i < n) {                                                             \
      T t[N], u[N];                                                          \
      memset(t, 0, sizeof t);                                                \
      memset(u, 0, sizeof u);                                                \
      memcpy(t, a + i, (size_t)(n - i) * sizeof(T));                         \
      memcpy(u, b + i, (size_t)(n - i) * sizeof(T));                         \
      STORE(t, f(LOAD(t), LOAD(u)));                                         \
      memcpy(o + i, t, (size_t)(n - i) * sizeof(T));                         \
    }                                                                        \
  }
DEF_MAP1(map_f32, float, vf_t, VF_N, VF_LOAD, VF_STORE)
DEF_MAP1(map_f64, double, vd_t, VD_N, VD_LOAD, VD_STORE)
DEF_MAP2(map2_f32, float, vf_t, VF_N, VF_LOAD, VF_STORE)
DEF_MAP2(map2_f64, double, vd_t, VD_N, VD_LOAD, VD_STORE)

#define TILE_ARGS const jet_tile_op *op, const void *const *src, void *dst, int64_t n

/* Work arrays of the multi-pass functions hold one chunk. */
#define CHUNK 256

/* ---- elementwise_unary.c: numeric unary ops ----------------------------
 * Expressions per op and class: S signed int, U unsigned int, F float,
 * B bool; x the element, T its type, U its unsigned twin. */
#define E_NEG_S(x) (U)0 - (U)(x)
#define E_NEG_U(x) (U)0 - (U)(x)
#define E_NEG_F(x) -(x)
#define E_SQUARE_S(x) (U)(x) * (U)(x)
#define E_SQUARE_U(x) (U)(x) * (U)(x)
#define E_SQUARE_F(x) (x) * (x)
#define E_SIGN_S(x) ((x) > 0) - ((x) < 0)
#define E_SIGN_U(x) (x) != 0
#define E_SIGN_F(x) (x) > 0 ? (T)1 : (x) < 0 ? (T)-1 : (x)
#define E_ABS_S(x) (x) < 0 ? (U)0 - (U)(x) : (U)(x)
#define E_ABS_F(x) ABS_F(x)
#define E_NOT_S(x) ~(U)(x)
#define E_NOT_U(x) ~(U)(x)
#define E_NOT_B(x) (x) == 0
#define E_IS_FINITE_F(x) ((x) - (x)) == ((x) - (x))

/* fabs for either float type without libm's name per type. */
#define ABS_F(x) _Generic((x), float: __builtin_fabsf, double: __builtin_fabs)(x)

#define GEN_UN(OP, K, sfx, TT, UU, SS)                                     \
  static void un_##OP##_##sfx(TILE_ARGS) {                                 \
    typedef TT T;                                                          \
    typedef UU U;                                                          \
    const T *a = src[0];                                                   \
    T *o = dst;                                                            \
    (void)op;                                                              \
    for (int64_t i = 0; i < n; i++) {                                      \
      const T x = a[i];                                                    \
      o[i] = (T)(E_##OP##_##K(x));                                         \
    }                                                                      \
    (void)sizeof(U);                                                       \
  }
#define X_UN_S(OP, sfx, TT, UU, SS, D) GEN_UN(OP, S, sfx, TT, UU, SS)
#define X_UN_U(OP, sfx, TT, UU, SS, D) GEN_UN(OP, U, sfx, TT, UU, SS)
#define X_UN_F(OP, sfx, TT, UU, SS, D) GEN_UN(OP, F, sfx, TT, UU, SS)
#define X_UN_B(OP, sfx, TT, UU, SS, D) GEN_UN(OP, B, sfx, TT, UU, SS)
#define X_UN_T(OP, sfx, TT, UU, SS, D) [JET_OP_##OP][D] = un_##OP##_##sfx,

#define UN_NUM(OP)             \
  JET_EACH_SINT(X_UN_S, OP)    \
  JET_EACH_UINT(X_UN_U, OP)    \
  JET_EACH_FLOAT(X_UN_F, OP)
UN_NUM(NEG)
UN_NUM(SQUARE)
UN_NUM(SIGN)
JET_EACH_SINT(X_UN_S, ABS)
JET_EACH_FLOAT(X_UN_F, ABS)
JET_EACH_SINT(X_UN_S, NOT)
JET_EACH_UINT(X_UN_U, NOT)
JET_EACH_BOOL(X_UN_B, NOT)

/* is_finite: x - x is 0 for finite x and NaN for inf and NaN. */
#define GEN_ISFIN(unused, sfx, TT, UU, SS, D)                              \
  static void un_IS_FINITE_##sfx(TILE_ARGS) {                              \
    const TT *a = src[0];                                                  \
    uint8_t *o = dst;                                                      \
    (void)op;                                                              \
    for (int64_t i = 0; i < n; i++) {                                      \
      const TT d = a[i] - a[i];                                            \
      o[i] = (uint8_t)(d == d);                                            \
    }                                                                      \
  }
JET_EACH_FLOAT(GEN_ISFIN, _)

/* sqrt, rsqrt (1 / sqrt, two correctly rounded steps as the reference). */
static inline vf_t v_sqrt_f32(vf_t x) { return VF_SQRT(x); }
static inline vd_t v_sqrt_f64(vd_t x) { return VD_SQRT(x); }
static void un_SQRT_f32(TILE_ARGS) { (void)op; map_f32(v_sqrt_f32, src[0], dst, n); }
static void un_SQRT_f64(TILE_ARGS) { (void)op; map_f64(v_sqrt_f64, src[0], dst, n); }
#define GEN_RSQRT(unused, sfx, TT, UU, SS, D)                              \
  static void un_RSQRT_##sfx(TILE_ARGS) {                                  \
    (void)op;                                                              \
    TT *o = dst;                                                           \
    map_##sfx(v_sqrt_##sfx, src[0], o, n);                                 \
    for (int64_t i = 0; i < n; i++) o[i] = (TT)1 / o[i];                   \
  }
JET_EACH_FLOAT(GEN_RSQRT, _)

/* floor, ceil, round (method 0: half away from zero as C round; method 1:
 * half to even as nearbyint in the default rounding mode). NaNs as the
 * reference: floor and ceil return a NaN unchanged (GCC's inline expansion
 * there does not quiet a signalling NaN), round and nearbyint (glibc) quiet
 * it. The baseline build calls the same functions as the reference. */
#if HAVE_VRND
/* X(name, rounding mode, NaN kept unchanged) */
#define RND_MODES(X)                                                       \
  X(floor, _MM_FROUND_TO_NEG_INF, 1)                                       \
  X(ceil, _MM_FROUND_TO_POS_INF, 1)                                        \
  X(trunc, _MM_FROUND_TO_ZERO, 0)                                          \
  X(nearbyint, _MM_FROUND_CUR_DIRECTION, 0)
#define DEF_VRND(name, mode, keep)                                         \
  static inline vf_t v_##name##_f32(vf_t x) {                              \
    return keep ? VF_KEEP_NAN(x, VF_RND(x, mode)) : VF_RND(x, mode);       \
  }                                                                        \
  static inline vd_t v_##name##_f64(vd_t x) {                              \
    return keep ? VD_KEEP_NAN(x, VD_RND(x, mode)) : VD_RND(x, mode);       \
  }                                                                        \
  static inline void rnd_##name##_f32(const float *a, float *o, int64_t n) { \
    map_f32(v_##name##_f32, a, o, n);                                      \
  }                                                                        \
  static inline void rnd_##name##_f64(const double *a, double *o, int64_t n) { \
    map_f64(v_##name##_f64, a, o, n);                                      \
  }
#else
#define RND_MODES(X) X(floor, 0, 0) X(ceil, 0, 0) X(trunc, 0, 0) X(nearbyint, 0, 0)
#define DEF_VRND(name, mode, keep)                                         \
  static inline void rnd_##name##_f32(const float *a, float *o, int64_t n) { \
    for (int64_t i = 0; i < n; i++) o[i] = name##f(a[i]);                  \
  }                                                                        \
  static inline void rnd_##name##_f64(const double *a, double *o, int64_t n) { \
    for (int64_t i = 0; i < n; i++) o[i] = name(a[i]);                     \
  }
#endif
RND_MODES(DEF_VRND)

#define GEN_RND(unused, sfx, TT, UU, SS, D)                                \
  static void un_FLOOR_##sfx(TILE_ARGS) {                                  \
    (void)op;                                                              \
    rnd_floor_##sfx(src[0], dst, n);                                       \
  }                                                                        \
  static void un_CEIL_##sfx(TILE_ARGS) {                                   \
    (void)op;                                                              \
    rnd_ceil_##sfx(src[0], dst, n);                                        \
  }                                                                        \
  static void un_ROUND_EVEN_##sfx(TILE_ARGS) {                             \
    (void)op;                                                              \
    rnd_nearbyint_##sfx(src[0], dst, n);                                   \
  }                                                                        \
  /* r = trunc(x); |x - r| >= 0.5 (exact) steps away from zero; NaN and  \
   * inf keep trunc's value, -0.4 keeps trunc's -0. */                     \
  static void un_ROUND_AWAY_##sfx(TILE_ARGS) {                             \
    (void)op;                                                              \
    const TT *a = src[0];                                                  \
    TT *o = dst;                                                           \
    TT r[CHUNK];                                                           \
    for (int64_t c = 0; c < n; c += CHUNK) {                               \
      const int64_t m = n - c < CHUNK ? n - c : CHUNK;                     \
      rnd_trunc_##sfx(a + c, r, m);                                        \
      for (int64_t i = 0; i < m; i++) {                                    \
        const TT x = a[c + i], t = r[i];                                   \
        const TT s = x < 0 ? (TT)-1 : (TT)1;                               \
        const TT v = ABS_F(x - t) >= (TT)0.5 ? t + s : t;                  \
        o[c + i] = x != x ? x + x : v; /* roundf quiets a NaN */           \
      }                                                                    \
    }                                                                      \
  }
JET_EACH_FLOAT(GEN_RND, _)

/* ---- transcendental functions: SLEEF ---------------------------------- */
#define SL_UN(OP, fn, UF, UD)                                              \
  static void un_##OP##_f32(TILE_ARGS) {                                   \
    (void)op;                                                              \
    map_f32(SLEEF_F(fn, UF), src[0], dst, n);                              \
  }                                                                        \
  static void un_##OP##_f64(TILE_ARGS) {                                   \
    (void)op;                                                              \
    map_f64(SLEEF_D(fn, UD), src[0], dst, n);                              \
  }
SL_UN(EXP, exp, u10, u10)
SL_UN(EXP2, exp2, u10, u10)
SL_UN(LOG, log, u10, u10)
/* SLEEF's log1p gives inf for x near the type's maximum, and its sinh and
 * cosh lose accuracy (up to overflowing early) for |x| near log(2 max):
 * there (rare) the result is recomputed with libm in the next wider type
 * (f32 in double, f64 in long double), which rounds correctly but for
 * double rounding. The input chunk is saved first (in place). */
#define DEF_FIX_MAP(sfx, T)                                                \
  static inline void fix_map_##sfx(void (*vec)(const T *, T *, int64_t), T (*fix)(T),   \
                                   bool (*need)(T, T), const T *a, T *o, int64_t n) { \
    T x[CHUNK];                                                            \
    for (int64_t c = 0; c < n; c += CHUNK) {                               \
      const int64_t m = n - c < CHUNK ? n - c : CHUNK;                     \
      memcpy(x, a + c, (size_t)m * sizeof(T));                             \
      vec(x, o + c, m);                                                    \
      for (int64_t i = 0; i < m; i++)                                      \
        if (need(x[i], o[c + i])) o[c + i] = fix(x[i]);                    \
    }                                                                      \
  }
DEF_FIX_MAP(f32, float)
DEF_FIX_MAP(f64, double)
static inline bool need_inf_f32(float x, float r) { return isinf(r) && isfinite(x); }
static inline bool need_inf_f64(double x, double r) { return isinf(r) && isfinite(x); }
static inline bool need_big_f32(float x, float r) { return fabsf(x) > 88.0f; }
static inline bool need_big_f64(double x, double r) { return fabs(x) > 709.0; }
#define DEF_WIDE_FIX(fn)                                                   \
  static float wide_##fn##_f32(float x) { return (float)fn((double)x); }   \
  static double wide_##fn##_f64(double x) { return (double)fn##l((long double)x); }
DEF_WIDE_FIX(log1p)
DEF_WIDE_FIX(sinh)
DEF_WIDE_FIX(cosh)
#define SL_UN_FIX(OP, fn, UF, UD, NEED)                                    \
  static void vec_##OP##_f32(const float *a, float *o, int64_t n) {        \
    map_f32(SLEEF_F(fn, UF), a, o, n);                                     \
  }                                                                        \
  static void vec_##OP##_f64(const double *a, double *o, int64_t n) {      \
    map_f64(SLEEF_D(fn, UD), a, o, n);                                     \
  }                                                                        \
  static void un_##OP##_f32(TILE_ARGS) {                                   \
    (void)op;                                                              \
    fix_map_f32(vec_##OP##_f32, wide_##fn##_f32, need_##NEED##_f32, src[0], dst, n); \
  }                                                                        \
  static void un_##OP##_f64(TILE_ARGS) {                                   \
    (void)op;                                                              \
    fix_map_f64(vec_##OP##_f64, wide_##fn##_f64, need_##NEED##_f64, src[0], dst, n); \
  }
SL_UN_FIX(LOG1P, log1p, u10, u10, inf)
SL_UN(EXPM1, expm1, u10, u10)
SL_UN(TANH, tanh, TILE_TANH_F32_U, u10)
SL_UN(SIN, sin, u10, u10)
SL_UN(COS, cos, u10, u10)
SL_UN(TAN, tan, u10, u10)
SL_UN(ASIN, asin, u10, u10)
SL_UN(ACOS, acos, u10, u10)
SL_UN(ATAN, atan, u10, u10)
SL_UN_FIX(SINH, sinh, u10, u10, big)
SL_UN_FIX(COSH, cosh, u10, u10, big)
SL_UN(ERF, erf, u10, u10)

#define SL_BIN(OP, fn)                                                     \
  static void bin_##OP##_f32(TILE_ARGS) {                                  \
    (void)op;                                                              \
    map2_f32(SLEEF_F(fn, u10), src[0], src[1], dst, n);                    \
  }                                                                        \
  static void bin_##OP##_f64(TILE_ARGS) {                                  \
    (void)op;                                                              \
    map2_f64(SLEEF_D(fn, u10), src[0], src[1], dst, n);                    \
  }
SL_BIN(ATAN2, atan2)

/* pow: SLEEF gives pow(1, sNaN) = 1 (and pow(sNaN, 0) = 1) where the
 * reference (glibc) gives NaN: a signalling NaN operand yields x + y. And
 * it overflows early right at the type's maximum (pow(DBL_MAX, 1) = inf):
 * an infinite result from finite operands is recomputed with libm, as the
 * reference. */
#define GEN_POW(unused, sfx, TT, UU, SS, D)                                \
  static void bin_POW_##sfx(TILE_ARGS) {                                   \
    (void)op;                                                              \
    const TT *a = src[0], *b = src[1];                                     \
    TT *o = dst;                                                           \
    TT x[CHUNK], y[CHUNK];                                                 \
    for (int64_t c = 0; c < n; c += CHUNK) {                               \
      const int64_t m = n - c < CHUNK ? n - c : CHUNK;                     \
      memcpy(x, a + c, (size_t)m * sizeof(TT));                            \
      memcpy(y, b + c, (size_t)m * sizeof(TT));                            \
      map2_##sfx(POW_##sfx, x, y, o + c, m);                               \
      for (int64_t i = 0; i < m; i++) {                                    \
        if (issignaling(x[i]) || issignaling(y[i])) o[c + i] = x[i] + y[i]; \
        else if (isinf(o[c + i]) && isfinite(x[i]) && isfinite(y[i]))      \
          o[c + i] = LIBM_POW_##sfx(x[i], y[i]);                           \
      }                                                                    \
    }                                                                      \
  }
#define LIBM_POW_f32 powf
#define LIBM_POW_f64 pow
#define POW_f32 SLEEF_F(pow, u10)
#define POW_f64 SLEEF_D(pow, u10)
JET_EACH_FLOAT(GEN_POW, _)

/* logistic as the reference: e = exp(-|x|); x >= 0 ? 1 / (1 + e) :
 * e / (1 + e) (NaN: e is NaN, so is the result). */
#define GEN_LOGISTIC(unused, sfx, TT, UU, SS, D)                           \
  static void un_LOGISTIC_##sfx(TILE_ARGS) {                               \
    (void)op;                                                              \
    const TT *a = src[0];                                                  \
    TT *o = dst;                                                           \
    TT e[CHUNK];                                                           \
    for (int64_t c = 0; c < n; c += CHUNK) {                               \
      const int64_t m = n - c < CHUNK ? n - c : CHUNK;                     \
      for (int64_t i = 0; i < m; i++) e[i] = -ABS_F(a[c + i]);             \
      un_EXP_##sfx(op, (const void *const[]){e}, e, m);                    \
      for (int64_t i = 0; i < m; i++) {                                    \
        const TT num = a[c + i] >= 0 ? (TT)1 : e[i];                       \
        o[c + i] = num / ((TT)1 + e[i]);                                   \
      }                                                                    \
    }                                                                      \
  }
JET_EACH_FLOAT(GEN_LOGISTIC, _)

/* ---- integer_pow (elementwise_unary.c) --------------------------------
 * Exponentiation by squaring in the element type (ints in the unsigned
 * type), run a chunk at a time: the same multiplications in the same order
 * as the reference for every element. y < 0: floats 1 / x^|y|; ints the
 * integer division of 1 by p = x^|y| (1, -1 (signed), the division-by-zero
 * value for p = 0, else 0). */
#define IPOW_FIN_S(p) !neg ? p : p == 1 ? (T)1 : p == (T)-1 ? (T)-1 : p == 0 ? (T)-1 : (T)0
#define IPOW_FIN_U(p) !neg ? p : p == 1 ? (T)1 : p == 0 ? (T)-1 : (T)0
#define IPOW_FIN_F(p) neg ? (T)1 / p : p
#define GEN_IPOW(K, sfx, TT, UU, SS)                                       \
  static void un_INTEGER_POW_##sfx(TILE_ARGS) {                            \
    typedef TT T;                                                          \
    typedef UU U;                                                          \
    const int64_t y = jet_node_attr_int(op->node, "y", 1);                 \
    const bool neg = y < 0;                                                \
    const uint64_t mag = neg ? (uint64_t)0 - (uint64_t)y : (uint64_t)y;    \
    const T *a = src[0];                                                   \
    T *o = dst;                                                            \
    U acc[CHUNK], base[CHUNK];                                             \
    for (int64_t c = 0; c < n; c += CHUNK) {                               \
      const int64_t m = n - c < CHUNK ? n - c : CHUNK;                     \
      for (int64_t i = 0; i < m; i++) {                                    \
        acc[i] = 1;                                                        \
        base[i] = (U)a[c + i];                                             \
      }                                                                    \
      for (uint64_t e = mag; e; e >>= 1) {                                 \
        if (e & 1)                                                         \
          for (int64_t i = 0; i < m; i++) acc[i] = (U)(acc[i] * base[i]);  \
        if (e >> 1)                                                        \
          for (int64_t i = 0; i < m; i++) base[i] = (U)(base[i] * base[i]); \
      }                                                                    \
      for (int64_t i = 0; i < m; i++) {                                    \
        const T p = (T)acc[i];                                             \
        o[c + i] = IPOW_FIN_##K(p);                                        \
      }                                                                    \
    }                                                                      \
  }
#define X_IPOW_S(unused, sfx, TT, UU, SS, D) GEN_IPOW(S, sfx, TT, UU, SS)
#define X_IPOW_U(unused, sfx, TT, UU, SS, D) GEN_IPOW(U, sfx, TT, UU, SS)
#define X_IPOW_F(unused, sfx, TT, UU, SS, D) GEN_IPOW(F, sfx, TT, TT, SS)
JET_EACH_SINT(X_IPOW_S, _)
JET_EACH_UINT(X_IPOW_U, _)
JET_EACH_FLOAT(X_IPOW_F, _)

/* ---- elementwise_binary.c ---------------------------------------------
 * ints wrap; div: x / 0 = -1 (all ones unsigned), INT_MIN / -1 = INT_MIN;
 * rem: x % 0 = x, x % -1 = 0; shifts out of [0, bits) give 0 (sign fill
 * for the arithmetic shift, which reads unsigned values as signed); max/min
 * propagate NaN (the first operand's NaN first); bool ops are logical. */
#define E2_ADD_S(x, y) (U)(x) + (U)(y)
#define E2_ADD_U E2_ADD_S
#define E2_ADD_F(x, y) (x) + (y)
#define E2_SUB_S(x, y) (U)(x) - (U)(y)
#define E2_SUB_U E2_SUB_S
#define E2_SUB_F(x, y) (x) - (y)
#define E2_MUL_S(x, y) (U)(x) * (U)(y)
#define E2_MUL_U E2_MUL_S
#define E2_MUL_F(x, y) (x) * (y)
/* the minimum and the width of the integer type T (U its unsigned twin) */
#define TMIN ((T)((U)1 << (sizeof(T) * 8 - 1)))
#define BITS ((int)(sizeof(T) * 8))
#define E2_DIV_S(x, y) (y) == 0 ? (T)-1 : ((x) == TMIN && (y) == -1) ? TMIN : (x) / (y)
#define E2_DIV_U(x, y) (y) == 0 ? (T)-1 : (x) / (y)
#define E2_DIV_F(x, y) (x) / (y)
#define E2_REM_S(x, y) (y) == 0 ? (x) : (y) == -1 ? 0 : (x) % (y)
#define E2_REM_U(x, y) (y) == 0 ? (x) : (x) % (y)
#define E2_MAX_S(x, y) (x) > (y) ? (x) : (y)
#define E2_MAX_U E2_MAX_S
#define E2_MAX_F(x, y) (x) != (x) ? (x) : (y) != (y) ? (y) : (x) > (y) ? (x) : (y)
#define E2_MAX_B(x, y) ((x) != 0) | ((y) != 0)
#define E2_MIN_S(x, y) (x) < (y) ? (x) : (y)
#define E2_MIN_U E2_MIN_S
#define E2_MIN_F(x, y) (x) != (x) ? (x) : (y) != (y) ? (y) : (x) < (y) ? (x) : (y)
#define E2_MIN_B(x, y) ((x) != 0) & ((y) != 0)
#define E2_AND_S(x, y) (x) & (y)
#define E2_AND_U E2_AND_S
#define E2_AND_B(x, y) ((x) != 0) & ((y) != 0)
#define E2_OR_S(x, y) (x) | (y)
#define E2_OR_U E2_OR_S
#define E2_OR_B(x, y) ((x) != 0) | ((y) != 0)
#define E2_XOR_S(x, y) (x) ^ (y)
#define E2_XOR_U E2_XOR_S
#define E2_XOR_B(x, y) ((x) != 0) ^ ((y) != 0)
#define E2_SHIFT_LEFT_S(x, y) (y) < 0 || (y) >= BITS ? (U)0 : (U)(x) << (y)
#define E2_SHIFT_LEFT_U(x, y) (y) >= (T)BITS ? (U)0 : (U)(x) << (y)
#define E2_SHIFT_RIGHT_LOGICAL_S(x, y) (y) < 0 || (y) >= BITS ? (U)0 : (U)(x) >> (y)
#define E2_SHIFT_RIGHT_LOGICAL_U(x, y) (y) >= (T)BITS ? (U)0 : (U)(x) >> (y)
#define E2_SHIFT_RIGHT_ARITHMETIC_S(x, y) \
  (y) < 0 || (y) >= BITS ? ((x) < 0 ? (T)-1 : (T)0) : (T)((x) >> (y))
#define E2_SHIFT_RIGHT_ARITHMETIC_U(x, y) \
  (y) >= (T)BITS ? ((S)(x) < 0 ? (S)-1 : (S)0) : (S)((S)(x) >> (y))

#define GEN_BIN(OP, K, sfx, TT, UU, SS)                                    \
  static void bin_##OP##_##sfx(TILE_ARGS) {                                \
    typedef TT T;                                                          \
    typedef UU U;                                                          \
    typedef SS S;                                                          \
    const T *a = src[0], *b = src[1];                                      \
    T *o = dst;                                                            \
    if (op->scalar & 2) { /* one stream: the scalar stays in a register */ \
      const T y = b[0];                                                    \
      for (int64_t i = 0; i < n; i++) {                                    \
        const T x = a[i];                                                  \
        o[i] = (T)(E2_##OP##_##K(x, y));                                   \
      }                                                                    \
    } else if (op->scalar & 1) {                                           \
      const T x = a[0];                                                    \
      for (int64_t i = 0; i < n; i++) {                                    \
        const T y = b[i];                                                  \
        o[i] = (T)(E2_##OP##_##K(x, y));                                   \
      }                                                                    \
    } else {                                                               \
      for (int64_t i = 0; i < n; i++) {                                    \
        const T x = a[i], y = b[i];                                        \
        o[i] = (T)(E2_##OP##_##K(x, y));                                   \
      }                                                                    \
    }                                                                      \
    (void)sizeof(U);                                                       \
    (void)sizeof(S);                                                       \
  }
#define X_BIN_S(OP, sfx, TT, UU, SS, D) GEN_BIN(OP, S, sfx, TT, UU, SS)
#define X_BIN_U(OP, sfx, TT, UU, SS, D) GEN_BIN(OP, U, sfx, TT, UU, SS)
#define X_BIN_F(OP, sfx, TT, UU, SS, D) GEN_BIN(OP, F, sfx, TT, UU, SS)
#define X_BIN_B(OP, sfx, TT, UU, SS, D) GEN_BIN(OP, B, sfx, TT, UU, SS)
#define X_BIN_T(OP, sfx, TT, UU, SS, D) [JET_OP_##OP][D] = bin_##OP##_##sfx,

#define BIN_INT(OP)            \
  JET_EACH_SINT(X_BIN_S, OP)   \
  JET_EACH_UINT(X_BIN_U, OP)
#define BIN_NUM(OP) BIN_INT(OP) JET_EACH_FLOAT(X_BIN_F, OP)
BIN_NUM(ADD)
BIN_NUM(SUB)
BIN_NUM(MUL)
BIN_NUM(DIV)
BIN_INT(REM)
BIN_NUM(MAX)
BIN_NUM(MIN)
JET_EACH_BOOL(X_BIN_B, MAX)
JET_EACH_BOOL(X_BIN_B, MIN)
BIN_INT(AND)
BIN_INT(OR)
BIN_INT(XOR)
JET_EACH_BOOL(X_BIN_B, AND)
JET_EACH_BOOL(X_BIN_B, OR)
JET_EACH_BOOL(X_BIN_B, XOR)
BIN_INT(SHIFT_LEFT)
BIN_INT(SHIFT_RIGHT_LOGICAL)
BIN_INT(SHIFT_RIGHT_ARITHMETIC)

/* ---- compare.c: -> bool; NaN compares false except ne; bool as 0/1 ---- */
#define E2_EQ(x, y) (x) == (y)
#define E2_NE(x, y) (x) != (y)
#define E2_LT(x, y) (x) < (y)
#define E2_LE(x, y) (x) <= (y)
#define E2_GT(x, y) (x) > (y)
#define E2_GE(x, y) (x) >= (y)
#define CMP_LOAD_N(v) (v)
#define CMP_LOAD_B(v) ((v) != 0)
#define GEN_CMP(OP, K, sfx, TT)                                            \
  static void cmp_##OP##_##sfx(TILE_ARGS) {                                \
    const TT *a = src[0], *b = src[1];                                     \
    uint8_t *o = dst;                                                      \
    (void)op;                                                              \
    for (int64_t i = 0; i < n; i++) {                                      \
      const TT x = CMP_LOAD_##K(a[i]), y = CMP_LOAD_##K(b[i]);             \
      o[i] = (uint8_t)(E2_##OP(x, y));                                     \
    }                                                                      \
  }
#define X_CMP_N(OP, sfx, TT, UU, SS, D) GEN_CMP(OP, N, sfx, TT)
#define X_CMP_B(OP, sfx, TT, UU, SS, D) GEN_CMP(OP, B, sfx, TT)
#define X_CMP_T(OP, sfx, TT, UU, SS, D) [JET_OP_##OP][D] = cmp_##OP##_##sfx,
#define CMP_ALL(OP) JET_EACH_NUM(X_CMP_N, OP) JET_EACH_BOOL(X_CMP_B, OP)
CMP_ALL(EQ)
CMP_ALL(NE)
CMP_ALL(LT)
CMP_ALL(LE)
CMP_ALL(GT)
CMP_ALL(GE)

/* ---- select_clamp.c ---------------------------------------------------- */
#define GEN_SEL(W, TT)                                                     \
  static void sel_##W(TILE_ARGS) {                                         \
    const uint8_t *p = src[0];                                             \
    const TT *t = src[1], *f = src[2];                                     \
    TT *o = dst;                                                           \
    (void)op;                                                              \
    for (int64_t i = 0; i < n; i++) o[i] = p[i] ? t[i] : f[i];             \
  }
GEN_SEL(1, uint8_t)
GEN_SEL(4, uint32_t)
GEN_SEL(8, uint64_t)
/* bool results are written as 0/1 */
static void sel_b8(TILE_ARGS) {
  const uint8_t *p = src[0], *t = src[1], *f = src[2];
  uint8_t *o = dst;
  (void)op;
  for (int64_t i = 0; i < n; i++) o[i] = (uint8_t)((p[i] ? t[i] : f[i]) != 0);
}

#define CLAMP_I(v, l, h) \
  v = v > l ? v : l;     \
  v = v < h ? v : h
#define CLAMP_F(v, l, h)                           \
  v = v != v ? v : l != l ? l : v > l ? v : l;     \
  v = v != v ? v : h != h ? h : v < h ? v : h
#define GEN_CLAMP(K, sfx, TT)                                              \
  static void clamp_##sfx(TILE_ARGS) {                                     \
    const TT *lo = src[0], *x = src[1], *hi = src[2];                      \
    TT *o = dst;                                                           \
    (void)op;                                                              \
    for (int64_t i = 0; i < n; i++) {                                      \
      TT v = x[i];                                                         \
      const TT l = lo[i], h = hi[i];                                       \
      CLAMP_##K(v, l, h);                                                  \
      o[i] = v;                                                            \
    }                                                                      \
  }
#define X_CLAMP_I(unused, sfx, TT, UU, SS, D) GEN_CLAMP(I, sfx, TT)
#define X_CLAMP_F(unused, sfx, TT, UU, SS, D) GEN_CLAMP(F, sfx, TT)
#define X_CLAMP_T(unused, sfx, TT, UU, SS, D) [D] = clamp_##sfx,
JET_EACH_INT(X_CLAMP_I, _)
JET_EACH_FLOAT(X_CLAMP_F, _)

/* ---- copies: stop_gradient, bitcast_convert_type (in place = no-op) --- */
static void copy_tile(TILE_ARGS) {
  if (dst != src[0] && n > 0) memmove(dst, src[0], (size_t)n * jet_dtype_size(op->out_dtype));
}

/* ---- convert.c: convert_element_type ----------------------------------
 * Floats to ints saturate, NaN gives 0, truncation otherwise; ints to ints
 * wrap; anything to bool is x != 0 (NaN true); bool reads as 0/1. The
 * saturating conversions clamp first so that the C conversion only ever
 * sees values in range (no undefined behaviour, and vectorisable). */
#define DEF_SAT_SIGNED(ssfx, F, dsfx, DT, LO, HI, DMAX)                     \
  static inline DT sat_##ssfx##_##dsfx(F x) {                              \
    F c = x != x ? (F)0 : x;                                               \
    c = c <= (F)(LO) ? (F)(LO) : c;                                        \
    const bool big = c >= (F)(HI);                                         \
    c = big ? (F)0 : c;                                                    \
    const DT r = (DT)c;                                                    \
    return big ? (DT)(DMAX) : r;                                           \
  }
#define DEF_SAT_UNSIGNED(ssfx, F, dsfx, DT, HI, DMAX)                        \
  static inline DT sat_##ssfx##_##dsfx(F x) {                              \
    F c = x > (F)0 ? x : (F)0;                                             \
    const bool big = c >= (F)(HI);                                         \
    c = big ? (F)0 : c;                                                    \
    const DT r = (DT)c;                                                    \
    return big ? (DT)(DMAX) : r;                                           \
  }
#define DEF_SATS(ssfx, F)                                                  \
  DEF_SAT_SIGNED(ssfx, F, i32, int32_t, -2147483648.0, 2147483648.0, INT32_MAX) \
  DEF_SAT_SIGNED(ssfx, F, i64, int64_t, -9223372036854775808.0, 9223372036854775808.0, \
                 INT64_MAX)                                                \
  DEF_SAT_UNSIGNED(ssfx, F, u8, uint8_t, 256.0, UINT8_MAX)                 \
  DEF_SAT_UNSIGNED(ssfx, F, u32, uint32_t, 4294967296.0, UINT32_MAX)
DEF_SATS(f32, float)
DEF_SATS(f64, double)
#define CVF_i32(ss, x) sat_##ss##_i32(x)
#define CVF_i64(ss, x) sat_##ss##_i64(x)
#define CVF_u8(ss, x) sat_##ss##_u8(x)
#define CVF_u32(ss, x) sat_##ss##_u32(x)
#define CVF_f32(ss, x) ((float)(x))
#define CVF_f64(ss, x) ((double)(x))
#define CVF_b8(ss, x) ((uint8_t)((x) != 0))
/* from an integer or bool source */
#define CVI_i32(x) ((int32_t)(x))
#define CVI_i64(x) ((int64_t)(x))
#define CVI_u8(x) ((uint8_t)(x))
#define CVI_u32(x) ((uint32_t)(x))
#define CVI_f32(x) ((float)(x))
#define CVI_f64(x) ((double)(x))
#define CVI_b8(x) ((uint8_t)((x) != 0))

#define CV_SRC_i32(v) (v)
#define CV_SRC_i64(v) (v)
#define CV_SRC_u8(v) (v)
#define CV_SRC_u32(v) (v)
#define CV_SRC_b8(v) ((uint8_t)((v) != 0))
#define CV_T_i32 int32_t
#define CV_T_i64 int64_t
#define CV_T_u8 uint8_t
#define CV_T_u32 uint32_t
#define CV_T_f32 float
#define CV_T_f64 double
#define CV_T_b8 uint8_t

#define GEN_CV_FROM_INT(ss, dsfx, DT, DU, DS, DD)                          \
  static void cv_##ss##_##dsfx(TILE_ARGS) {                                \
    const CV_T_##ss *a = src[0];                                           \
    DT *o = dst;                                                           \
    (void)op;                                                              \
    for (int64_t i = 0; i < n; i++) o[i] = CVI_##dsfx(CV_SRC_##ss(a[i]));  \
  }
#define GEN_CV_FROM_FLOAT(ss, dsfx, DT, DU, DS, DD)                        \
  static void cv_##ss##_##dsfx(TILE_ARGS) {                                \
    const CV_T_##ss *a = src[0];                                           \
    DT *o = dst;                                                           \
    (void)op;                                                              \
    for (int64_t i = 0; i < n; i++) {                                      \
      const CV_T_##ss x = a[i];                                            \
      o[i] = CVF_##dsfx(ss, x);                                            \
    }                                                                      \
  }
#define X_CV_INT(unused, ssfx, ST, SU, SS, SD) JET_EACH_ANY2(GEN_CV_FROM_INT, ssfx)
#define X_CV_FLOAT(unused, ssfx, ST, SU, SS, SD) JET_EACH_ANY2(GEN_CV_FROM_FLOAT, ssfx)
JET_EACH_INT(X_CV_INT, _)
JET_EACH_BOOL(X_CV_INT, _)
JET_EACH_FLOAT(X_CV_FLOAT, _)
#define X_CV_T2(ssfx, dsfx, DT, DU, DS, DD) [DD] = cv_##ssfx##_##dsfx,
#define X_CV_T(unused, ssfx, ST, SU, SS, SD) [SD] = {JET_EACH_ANY2(X_CV_T2, ssfx)},

/* ---- the lookup tables ------------------------------------------------- */

/* Unary/binary/compare ops by operand dtype (result per the op's rule). */
static const jet_tile_fn k_fast[JET_OP_COUNT][JET_DTYPE_COUNT] = {
#define UN_NUM_T(OP)            \
  JET_EACH_SINT(X_UN_T, OP)     \
  JET_EACH_UINT(X_UN_T, OP)     \
  JET_EACH_FLOAT(X_UN_T, OP)
    UN_NUM_T(NEG)
    UN_NUM_T(SQUARE)
    UN_NUM_T(SIGN)
    JET_EACH_SINT(X_UN_T, ABS)
    JET_EACH_FLOAT(X_UN_T, ABS)
    JET_EACH_INT(X_UN_T, NOT)
    JET_EACH_BOOL(X_UN_T, NOT)
    JET_EACH_NUM(X_UN_T, INTEGER_POW)
    JET_EACH_FLOAT(X_UN_T, IS_FINITE)
    JET_EACH_FLOAT(X_UN_T, SQRT)
    JET_EACH_FLOAT(X_UN_T, RSQRT)
    JET_EACH_FLOAT(X_UN_T, FLOOR)
    JET_EACH_FLOAT(X_UN_T, CEIL)
    JET_EACH_FLOAT(X_UN_T, EXP)
    JET_EACH_FLOAT(X_UN_T, EXP2)
    JET_EACH_FLOAT(X_UN_T, LOG)
    JET_EACH_FLOAT(X_UN_T, LOG1P)
    JET_EACH_FLOAT(X_UN_T, EXPM1)
    JET_EACH_FLOAT(X_UN_T, TANH)
    JET_EACH_FLOAT(X_UN_T, LOGISTIC)
    JET_EACH_FLOAT(X_UN_T, SIN)
    JET_EACH_FLOAT(X_UN_T, COS)
    JET_EACH_FLOAT(X_UN_T, TAN)
    JET_EACH_FLOAT(X_UN_T, ASIN)
    JET_EACH_FLOAT(X_UN_T, ACOS)
    JET_EACH_FLOAT(X_UN_T, ATAN)
    JET_EACH_FLOAT(X_UN_T, SINH)
    JET_EACH_FLOAT(X_UN_T, COSH)
    JET_EACH_FLOAT(X_UN_T, ERF)
#define BIN_NUM_T(OP) JET_EACH_NUM(X_BIN_T, OP)
    BIN_NUM_T(ADD)
    BIN_NUM_T(SUB)
    BIN_NUM_T(MUL)
    BIN_NUM_T(DIV)
    JET_EACH_INT(X_BIN_T, REM)
    JET_EACH_ANY(X_BIN_T, MAX)
    JET_EACH_ANY(X_BIN_T, MIN)
    JET_EACH_FLOAT(X_BIN_T, POW)
    JET_EACH_FLOAT(X_BIN_T, ATAN2)
    JET_EACH_INT(X_BIN_T, AND)
    JET_EACH_INT(X_BIN_T, OR)
    JET_EACH_INT(X_BIN_T, XOR)
    JET_EACH_BOOL(X_BIN_T, AND)
    JET_EACH_BOOL(X_BIN_T, OR)
    JET_EACH_BOOL(X_BIN_T, XOR)
    JET_EACH_INT(X_BIN_T, SHIFT_LEFT)
    JET_EACH_INT(X_BIN_T, SHIFT_RIGHT_LOGICAL)
    JET_EACH_INT(X_BIN_T, SHIFT_RIGHT_ARITHMETIC)
    JET_EACH_ANY(X_CMP_T, EQ)
    JET_EACH_ANY(X_CMP_T, NE)
    JET_EACH_ANY(X_CMP_T, LT)
    JET_EACH_ANY(X_CMP_T, LE)
    JET_EACH_ANY(X_CMP_T, GT)
    JET_EACH_ANY(X_CMP_T, GE)
#undef UN_NUM_T
#undef BIN_NUM_T
};

static const jet_tile_fn k_clamp[JET_DTYPE_COUNT] = {JET_EACH_NUM(X_CLAMP_T, _)};
static const jet_tile_fn k_convert[JET_DTYPE_COUNT][JET_DTYPE_COUNT] = {JET_EACH_ANY(X_CV_T, _)};

static jet_tile_fn tile_lookup(const jet_node *node, const jet_dtype *in, uint8_t n_in,
                               jet_dtype out) {
  const jet_op op = node->op;
  if (n_in < 1 || (unsigned)in[0] >= JET_DTYPE_COUNT || (unsigned)out >= JET_DTYPE_COUNT)
    return NULL;
  switch (op) {
    case JET_OP_ROUND:
      if (out == JET_F32)
        return jet_node_attr_int(node, "rounding_method", 0) == 1 ? un_ROUND_EVEN_f32
                                                                  : un_ROUND_AWAY_f32;
      if (out == JET_F64)
        return jet_node_attr_int(node, "rounding_method", 0) == 1 ? un_ROUND_EVEN_f64
                                                                  : un_ROUND_AWAY_f64;
      return NULL;
    case JET_OP_INTEGER_POW: {
      const jet_attr *y = jet_node_attr(node, "y");
      if (!y || y->kind != JET_ATTR_INT) return NULL;
      return k_fast[op][in[0]];
    }
    case JET_OP_SELECT:
      if (n_in != 3) return NULL;
      if (out == JET_BOOL) return sel_b8;
      switch (jet_dtype_size(out)) {
        case 1: return sel_1;
        case 4: return sel_4;
        case 8: return sel_8;
        default: return NULL;
      }
    case JET_OP_CLAMP:
      return n_in == 3 && (unsigned)in[1] < JET_DTYPE_COUNT ? k_clamp[in[1]] : NULL;
    case JET_OP_CONVERT_ELEMENT_TYPE: return k_convert[in[0]][out];
    case JET_OP_STOP_GRADIENT:
    case JET_OP_BITCAST_CONVERT_TYPE: return copy_tile;
    default: return (unsigned)op < JET_OP_COUNT ? k_fast[op][in[0]] : NULL;
  }
}

/* ---- reductions (reduce.c) --------------------------------------------
 * Sums of floats: blocks of SUM_BLOCK elements are summed in SUM_LANES
 * independent accumulators of the element type (vectorised; for f32 that is
 * 64 float additions per lane and block), the lanes added as a tree in
 * double, and blocks combined pairwise in double: the error grows with
 * log(n), not n, like numpy's pairwise sum (the reference accumulates f32 in
 * double sequentially; the difference is within a few f32 ulps of the sum
 * of magnitudes). Summing f32 lanes in float keeps the fused sum at memory
 * speed (converting every element to double costs about a third more).
 * Products of floats multiply in
 * input order (bit-identical to the reference); integer sums and products
 * wrap (any order gives the same value). max/min propagate NaN: the first
 * NaN wins, and among equal maxima the first (so the sign of a zero) wins,
 * exactly as the reference's sequential scan. */
#define SUM_LANES 32
#define SUM_BLOCK 2048

#define GEN_FSUM(sfx, TT)                                                  \
  static double sum_block_##sfx(const TT *x, int64_t n) {                  \
    TT s[SUM_LANES];                                                       \
    for (int j = 0; j < SUM_LANES; j++) s[j] = 0;                          \
    int64_t i = 0;                                                         \
    for (; i + SUM_LANES <= n; i += SUM_LANES)                             \
      for (int j = 0; j < SUM_LANES; j++) s[j] += x[i + j];                \
    for (int j = 0; i < n; i++, j++) s[j] += x[i];                         \
    double d[SUM_LANES];                                                   \
    for (int j = 0; j < SUM_LANES; j++) d[j] = (double)s[j];               \
    for (int w = SUM_LANES / 2; w; w >>= 1)                                \
      for (int j = 0; j < w; j++) d[j] += d[j + w];                        \
    return d[0];                                                           \
  }                                                                        \
  static double sum_##sfx(const TT *x, int64_t n) {                        \
    if (n <= SUM_BLOCK) return sum_block_##sfx(x, n);                      \
    const int64_t h = (n / 2 + SUM_BLOCK - 1) / SUM_BLOCK * SUM_BLOCK;     \
    return sum_##sfx(x, h) + sum_##sfx(x + h, n - h);                      \
  }
GEN_FSUM(f32, float)
GEN_FSUM(f64, double)

/* First NaN, or (when the extreme m is a zero) the first zero: the element
 * the reference's scan keeps. */
#define GEN_FMINMAX(sfx, TT)                                               \
  static TT first_nan_##sfx(const TT *x, int64_t n) {                      \
    for (int64_t i = 0; i < n; i++)                                        \
      if (x[i] != x[i]) return x[i];                                       \
    return (TT)NAN;                                                        \
  }                                                                        \
  static TT first_zero_##sfx(const TT *x, int64_t n, TT m) {               \
    for (int64_t i = 0; i < n; i++)                                        \
      if (x[i] == 0) return x[i];                                          \
    return m;                                                              \
  }                                                                        \
  /* max (is_max) or min of x[0..n), n >= 1, as the reference's scan from \
   * its identity. */                                                      \
  static TT extreme_##sfx(const TT *x, int64_t n, bool is_max) {           \
    enum { L = 64 / sizeof(TT) * 2 };                                      \
    TT m[L];                                                               \
    for (int j = 0; j < L; j++) m[j] = is_max ? (TT)-INFINITY : (TT)INFINITY; \
    int64_t i = 0;                                                         \
    if (is_max) {                                                          \
      for (; i + L <= n; i += L)                                           \
        for (int j = 0; j < L; j++) {                                      \
          const TT v = x[i + j];                                           \
          m[j] = (v > m[j] || v != v) ? v : m[j];                          \
        }                                                                  \
    } else {                                                               \
      for (; i + L <= n; i += L)                                           \
        for (int j = 0; j < L; j++) {                                      \
          const TT v = x[i + j];                                           \
          m[j] = (v < m[j] || v != v) ? v : m[j];                          \
        }                                                                  \
    }                                                                      \
    for (int j = 0; i < n; i++, j++) {                                     \
      const TT v = x[i];                                                   \
      m[j] = ((is_max ? v > m[j] : v < m[j]) || v != v) ? v : m[j];        \
    }                                                                      \
    TT r = m[0];                                                           \
    bool nan = false;                                                      \
    for (int j = 0; j < L; j++) {                                          \
      nan |= m[j] != m[j];                                                 \
      if (is_max ? m[j] > r : m[j] < r) r = m[j];                          \
    }                                                                      \
    if (nan) return first_nan_##sfx(x, n);                                 \
    if (r == 0) return first_zero_##sfx(x, n, r);                          \
    return r;                                                              \
  }
GEN_FMINMAX(f32, float)
GEN_FMINMAX(f64, double)

/* reduce.c's C_MAX / C_MIN (NaN-propagating; ints never NaN). */
#define C_MAX(acc, v) (((acc) == (acc) && !((v) <= (acc))) ? (v) : (acc))
#define C_MIN(acc, v) (((acc) == (acc) && !((v) >= (acc))) ? (v) : (acc))

#define RED_INT_ALL(unused, sfx, TT, UU, SS, D)                            \
  case D: {                                                                \
    const TT *x = src;                                                     \
    TT *a = acc;                                                           \
    switch (op) {                                                          \
      case JET_OP_REDUCE_SUM: {                                            \
        UU s = 0;                                                          \
        for (int64_t i = 0; i < n; i++) s = (UU)(s + (UU)x[i]);            \
        a[0] = (TT)(UU)((UU)a[0] + s);                                     \
        return;                                                            \
      }                                                                    \
      case JET_OP_REDUCE_PROD: {                                           \
        UU p = 1;                                                          \
        for (int64_t i = 0; i < n; i++) p = (UU)(p * (UU)x[i]);            \
        a[0] = (TT)(UU)((UU)a[0] * p);                                     \
        return;                                                            \
      }                                                                    \
      case JET_OP_REDUCE_MAX: {                                            \
        TT m = a[0];                                                       \
        for (int64_t i = 0; i < n; i++) m = x[i] > m ? x[i] : m;           \
        a[0] = m;                                                          \
        return;                                                            \
      }                                                                    \
      case JET_OP_REDUCE_MIN: {                                            \
        TT m = a[0];                                                       \
        for (int64_t i = 0; i < n; i++) m = x[i] < m ? x[i] : m;           \
        a[0] = m;                                                          \
        return;                                                            \
      }                                                                    \
      default: return;                                                     \
    }                                                                      \
  }

#define RED_FLOAT_ALL(unused, sfx, TT, UU, SS, D)                          \
  case D: {                                                                \
    const TT *x = src;                                                     \
    TT *a = acc;                                                           \
    switch (op) {                                                          \
      case JET_OP_REDUCE_SUM:                                              \
        if (wide) ((double *)acc)[0] += sum_##sfx(x, n);                   \
        else a[0] = (TT)((double)a[0] + sum_##sfx(x, n));                  \
        return;                                                            \
      case JET_OP_REDUCE_PROD: {                                           \
        TT p = a[0];                                                       \
        for (int64_t i = 0; i < n; i++) p *= x[i];                         \
        a[0] = p;                                                          \
        return;                                                            \
      }                                                                    \
      case JET_OP_REDUCE_MAX:                                              \
        if (n > 0) a[0] = C_MAX(a[0], extreme_##sfx(x, n, true));          \
        return;                                                            \
      case JET_OP_REDUCE_MIN:                                              \
        if (n > 0) a[0] = C_MIN(a[0], extreme_##sfx(x, n, false));         \
        return;                                                            \
      default: return;                                                     \
    }                                                                      \
  }

static void tile_reduce_all(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc,
                            bool wide) {
  switch (d) {
    JET_EACH_INT(RED_INT_ALL, _)
    JET_EACH_FLOAT(RED_FLOAT_ALL, _)
    case JET_BOOL: {
      const uint8_t *x = src;
      uint8_t *a = acc;
      uint8_t r = 0;
      if (op == JET_OP_REDUCE_MAX) {
        for (int64_t i = 0; i < n; i++) r |= (uint8_t)(x[i] != 0);
        a[0] = (uint8_t)(a[0] | r);
      } else if (op == JET_OP_REDUCE_MIN) {
        r = 1;
        for (int64_t i = 0; i < n; i++) r &= (uint8_t)(x[i] != 0);
        a[0] = (uint8_t)(a[0] & r);
      }
      return;
    }
    default: return;
  }
}

#define RED_INT_ACCUM(unused, sfx, TT, UU, SS, D)                          \
  case D: {                                                                \
    const TT *x = src;                                                     \
    TT *a = acc;                                                           \
    switch (op) {                                                          \
      case JET_OP_REDUCE_SUM:                                              \
        for (int64_t i = 0; i < n; i++) a[i] = (TT)(UU)((UU)a[i] + (UU)x[i]); \
        return;                                                            \
      case JET_OP_REDUCE_PROD:                                             \
        for (int64_t i = 0; i < n; i++) a[i] = (TT)(UU)((UU)a[i] * (UU)x[i]); \
        return;                                                            \
      case JET_OP_REDUCE_MAX:                                              \
        for (int64_t i = 0; i < n; i++) a[i] = x[i] > a[i] ? x[i] : a[i];  \
        return;                                                            \
      case JET_OP_REDUCE_MIN:                                              \
        for (int64_t i = 0; i < n; i++) a[i] = x[i] < a[i] ? x[i] : a[i];  \
        return;                                                            \
      default: return;                                                     \
    }                                                                      \
  }

#define RED_FLOAT_ACCUM(unused, sfx, TT, UU, SS, D)                        \
  case D: {                                                                \
    const TT *x = src;                                                     \
    TT *a = acc;                                                           \
    switch (op) {                                                          \
      case JET_OP_REDUCE_SUM:                                              \
        if (wide) {                                                        \
          double *w = acc;                                                 \
          for (int64_t i = 0; i < n; i++) w[i] += (double)x[i];            \
        } else {                                                           \
          for (int64_t i = 0; i < n; i++) a[i] += x[i];                    \
        }                                                                  \
        return;                                                            \
      case JET_OP_REDUCE_PROD:                                             \
        for (int64_t i = 0; i < n; i++) a[i] *= x[i];                      \
        return;                                                            \
      case JET_OP_REDUCE_MAX:                                              \
        for (int64_t i = 0; i < n; i++) a[i] = C_MAX(a[i], x[i]);          \
        return;                                                            \
      case JET_OP_REDUCE_MIN:                                              \
        for (int64_t i = 0; i < n; i++) a[i] = C_MIN(a[i], x[i]);          \
        return;                                                            \
      default: return;                                                     \
    }                                                                      \
  }

static void tile_reduce_accum(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc,
                              bool wide) {
  switch (d) {
    JET_EACH_INT(RED_INT_ACCUM, _)
    JET_EACH_FLOAT(RED_FLOAT_ACCUM, _)
    case JET_BOOL: {
      const uint8_t *x = src;
      uint8_t *a = acc;
      if (op == JET_OP_REDUCE_MAX)
        for (int64_t i = 0; i < n; i++) a[i] = (uint8_t)(a[i] | (x[i] != 0));
      else if (op == JET_OP_REDUCE_MIN)
        for (int64_t i = 0; i < n; i++) a[i] = (uint8_t)(a[i] & (x[i] != 0));
      return;
    }
    default: return;
  }
}


/* ---- pairs of float arithmetic ops in one pass (tile.h,
 * jet_tile_resolve_pair): dst = op2(op1(a, b), c), each op rounded as on
 * its own (no contraction: the build is ISO C, -ffp-contract=off). op2 RSUB
 * is c - t. op->scalar bit 0: b is a scalar; bit 1: c is a scalar. */
#define P1_ADD(x, y) ((x) + (y))
#define P1_SUB(x, y) ((x) - (y))
#define P1_MUL(x, y) ((x) * (y))
#define P2_ADD(t, c) ((t) + (c))
#define P2_SUB(t, c) ((t) - (c))
#define P2_RSUB(t, c) ((c) - (t))
#define P2_MUL(t, c) ((t) * (c))
#define GEN_PAIR(O1, O2, sfx, TT)                                          \
  static void pair_##O1##_##O2##_##sfx(TILE_ARGS) {                        \
    const TT *a = src[0], *b = src[1], *c = src[2];                        \
    TT *o = dst;                                                           \
    switch (op->scalar & 3) {                                              \
      case 0:                                                              \
        for (int64_t i = 0; i < n; i++) {                                  \
          const TT t = P1_##O1(a[i], b[i]);                                \
          o[i] = P2_##O2(t, c[i]);                                         \
        }                                                                  \
        break;                                                             \
      case 1: {                                                            \
        const TT bs = b[0];                                                \
        for (int64_t i = 0; i < n; i++) {                                  \
          const TT t = P1_##O1(a[i], bs);                                  \
          o[i] = P2_##O2(t, c[i]);                                         \
        }                                                                  \
        break;                                                             \
      }                                                                    \
      case 2: {                                                            \
        const TT cs = c[0];                                                \
        for (int64_t i = 0; i < n; i++) {                                  \
          const TT t = P1_##O1(a[i], b[i]);                                \
          o[i] = P2_##O2(t, cs);                                           \
        }                                                                  \
        break;                                                             \
      }                                                                    \
      default: {                                                           \
        const TT bs = b[0], cs = c[0];                                     \
        for (int64_t i = 0; i < n; i++) {                                  \
          const TT t = P1_##O1(a[i], bs);                                  \
          o[i] = P2_##O2(t, cs);                                           \
        }                                                                  \
        break;                                                             \
      }                                                                    \
    }                                                                      \
  }
#define GEN_PAIR_O2(O1, sfx, TT)                                           \
  GEN_PAIR(O1, ADD, sfx, TT) GEN_PAIR(O1, SUB, sfx, TT) GEN_PAIR(O1, RSUB, sfx, TT) \
  GEN_PAIR(O1, MUL, sfx, TT)
#define GEN_PAIR_ALL(sfx, TT) \
  GEN_PAIR_O2(ADD, sfx, TT) GEN_PAIR_O2(SUB, sfx, TT) GEN_PAIR_O2(MUL, sfx, TT)
GEN_PAIR_ALL(f32, float)
GEN_PAIR_ALL(f64, double)

#define PAIR_ROW(O1, sfx) \
  {pair_##O1##_ADD_##sfx, pair_##O1##_SUB_##sfx, pair_##O1##_RSUB_##sfx, pair_##O1##_MUL_##sfx}
static const jet_tile_fn k_pair_f32[3][4] = {PAIR_ROW(ADD, f32), PAIR_ROW(SUB, f32),
                                             PAIR_ROW(MUL, f32)};
static const jet_tile_fn k_pair_f64[3][4] = {PAIR_ROW(ADD, f64), PAIR_ROW(SUB, f64),
                                             PAIR_ROW(MUL, f64)};

/* i1: 0 add, 1 sub, 2 mul; i2: 0 add, 1 sub, 2 rsub, 3 mul. */
static jet_tile_fn tile_lookup_pair(int i1, int i2, jet_dtype d) {
  if (i1 < 0 || i1 > 2 || i2 < 0 || i2 > 3) return NULL;
  return d == JET_F32 ? k_pair_f32[i1][i2] : d == JET_F64 ? k_pair_f64[i1][i2] : NULL;
}

const jet_tile_isa_ops TILE_OPS_TABLE = {
    .name = TILE_ISA_NAME,
    .lookup = tile_lookup,
    .lookup_pair = tile_lookup_pair,
    .reduce_all = tile_reduce_all,
    .reduce_accum = tile_reduce_accum,
};
