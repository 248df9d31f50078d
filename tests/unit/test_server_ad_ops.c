/* Every op of the op table through the AD drivers (jet_transforms_apply with
 * jvp / vjp / grad / value_and_grad, composed to second order, then
 * jet_passes_cleanup), run with the reference executor on random float64
 * inputs and checked by tests/common/ad_check.h: against central finite
 * differences (first and second order) and jvp/vjp agreement. Ops without a
 * derivative must give exactly zero tangents and cotangents. The op loop
 * fails when any op of ops.def has no case here. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ad_check.h"
#include "transforms/ad/ad.h"
#include "transforms/transforms.h"
#include "ops_elsewhere.h"

#define F64 JET_F64
#define T(...) ADC_T(F64, __VA_ARGS__)
#define TS ADC_S(F64)
#define NPTS 3 /* random points per case (AD_OPS_POINTS=<n> overrides) */

/* ---------------------------------------------------------------- inputs */

typedef struct gen {
  adc_rng r;
  uint32_t n;
  jet_buf args[ADC_MAX];
} gen;

/* A parameter with random data uniform in [lo, hi], |x| >= min_abs. */
static jet_value PA(adc_b *b, gen *g, jet_type t, double lo, double hi, double min_abs) {
  jet_value v = adc_param(b, t);
  if (g->n >= ADC_MAX) return v;
  jet_buf *a = &g->args[g->n++];
  *a = adc_buf(t);
  for (int64_t i = 0; i < adc_numel(a); i++) {
    double x;
    do x = adc_unif(&g->r, lo, hi);
    while (fabs(x) < min_abs);
    if (!adc_isf(t.dtype)) x = floor(x);
    adc_set(a, i, x);
  }
  return v;
}
static jet_value P(adc_b *b, gen *g, jet_type t, double lo, double hi) { return PA(b, g, t, lo, hi, 0); }
static jet_value X(adc_b *b, gen *g, jet_type t) { return P(b, g, t, -2, 2); }
static double *D(gen *g, uint32_t k) { return (double *)g->args[k].data; }
static int64_t NE(gen *g, uint32_t k) { return adc_numel(&g->args[k]); }

static void out1(adc_b *b, jet_value y) { adc_outputs(b, &y, 1); }

static jet_value op_a(adc_b *b, jet_op op, jet_value x, jet_attr a) { return adc_op(b, op, &x, 1, &a, 1); }

static jet_value ci32(adc_b *b, jet_type t, const int32_t *v) { return adc_const(b, t, v); }
static jet_value ci32s(adc_b *b, int32_t v) { return adc_const(b, ADC_S(JET_I32), &v); }

/* Data fixups that keep finite differences away from kinks. */
static void distinct(gen *g, uint32_t k) { /* gaps >= 0.1 */
  int64_t n = NE(g, k);
  for (int64_t i = 0; i < n; i++) D(g, k)[i] = (double)i;
  for (int64_t i = n - 1; i > 0; i--) {
    int64_t j = adc_randint(&g->r, 0, i);
    double t = D(g, k)[i];
    D(g, k)[i] = D(g, k)[j];
    D(g, k)[j] = t;
  }
  for (int64_t i = 0; i < n; i++) D(g, k)[i] = -1 + 0.25 * D(g, k)[i] + adc_unif(&g->r, 0, 0.1);
}
/* |a - b| >= 0.1 elementwise; b may be a scalar. */
static void apart(gen *g, uint32_t ka, uint32_t kb) {
  for (int64_t i = 0; i < NE(g, ka); i++) {
    double *bb = &D(g, kb)[NE(g, kb) == 1 ? 0 : i];
    if (fabs(D(g, ka)[i] - *bb) < 0.1) D(g, ka)[i] = *bb + (D(g, ka)[i] < *bb ? -0.3 : 0.3);
  }
}

/* ---------------------------------------------------------------- cases */

typedef void (*build_fn)(adc_b *b, gen *g);
typedef struct op_case {
  jet_op op;
  const char *name;
  build_fn build;
  bool zero;       /* no derivative: exactly zero */
  double eps, tol1; /* 0 = defaults of ad_check.h; tol1 also the agreement tolerance */
} op_case;

#define UNARY(fn, OP, lo, hi, minabs)                                                   \
  static void fn(adc_b *b, gen *g) { out1(b, adc_op1(b, OP, PA(b, g, T(2, 3), lo, hi, minabs))); }
UNARY(u_neg, JET_OP_NEG, -2, 2, 0)
UNARY(u_abs, JET_OP_ABS, -2, 2, 0.1)
UNARY(u_sign, JET_OP_SIGN, -2, 2, 0.1)
UNARY(u_floor, JET_OP_FLOOR, -3, 3, 0)
UNARY(u_ceil, JET_OP_CEIL, -3, 3, 0)
UNARY(u_round, JET_OP_ROUND, -3, 3, 0)
UNARY(u_isfin, JET_OP_IS_FINITE, -3, 3, 0)
UNARY(u_exp, JET_OP_EXP, -2, 2, 0)
UNARY(u_exp2, JET_OP_EXP2, -2, 2, 0)
UNARY(u_log, JET_OP_LOG, 0.2, 3, 0)
UNARY(u_log1p, JET_OP_LOG1P, -0.6, 2, 0)
UNARY(u_expm1, JET_OP_EXPM1, -2, 2, 0)
UNARY(u_sqrt, JET_OP_SQRT, 0.2, 3, 0)
UNARY(u_rsqrt, JET_OP_RSQRT, 0.2, 3, 0)
UNARY(u_tanh, JET_OP_TANH, -2, 2, 0)
UNARY(u_logistic, JET_OP_LOGISTIC, -3, 3, 0)
UNARY(u_sin, JET_OP_SIN, -3, 3, 0)
UNARY(u_cos, JET_OP_COS, -3, 3, 0)
UNARY(u_tan, JET_OP_TAN, -1.2, 1.2, 0)
UNARY(u_asin, JET_OP_ASIN, -0.9, 0.9, 0)
UNARY(u_acos, JET_OP_ACOS, -0.9, 0.9, 0)
UNARY(u_atan, JET_OP_ATAN, -3, 3, 0)
UNARY(u_sinh, JET_OP_SINH, -2, 2, 0)
UNARY(u_cosh, JET_OP_COSH, -2, 2, 0)
UNARY(u_erf, JET_OP_ERF, -2, 2, 0)
UNARY(u_erfinv, JET_OP_ERF_INV, -0.9, 0.9, 0)
UNARY(u_square, JET_OP_SQUARE, -2, 2, 0)
UNARY(u_stopgrad, JET_OP_STOP_GRADIENT, -2, 2, 0)

static void u_round1(adc_b *b, gen *g) { out1(b, op_a(b, JET_OP_ROUND, X(b, g, T(2, 3)), adc_int("rounding_method", 1))); }
static void ipow(adc_b *b, gen *g, int64_t n, double minabs) {
  out1(b, op_a(b, JET_OP_INTEGER_POW, PA(b, g, T(2, 3), -2, 2, minabs), adc_int("y", n)));
}
static void u_ipow3(adc_b *b, gen *g) { ipow(b, g, 3, 0); }
static void u_ipow2(adc_b *b, gen *g) { ipow(b, g, 2, 0); }
static void u_ipow1(adc_b *b, gen *g) { ipow(b, g, 1, 0); }
static void u_ipow0(adc_b *b, gen *g) { ipow(b, g, 0, 0); }
static void u_ipowm2(adc_b *b, gen *g) { ipow(b, g, -2, 0.5); }
static void u_not(adc_b *b, gen *g) { out1(b, adc_op1(b, JET_OP_NOT, P(b, g, ADC_T(JET_I32, 2, 3), -5, 5))); }

/* Binary: shapes a/b (rank 0 = implicit broadcasting). */
static void binary(adc_b *b, gen *g, jet_op op, jet_type ta, jet_type tb, double lo, double hi,
                   double lo2, double hi2, double minabs2) {
  jet_value x = P(b, g, ta, lo, hi), y = PA(b, g, tb, lo2, hi2, minabs2);
  out1(b, adc_op2(b, op, x, y));
}
#define BIN(fn, OP, ta, tb, lo, hi, lo2, hi2, m2) \
  static void fn(adc_b *b, gen *g) { binary(b, g, OP, ta, tb, lo, hi, lo2, hi2, m2); }
BIN(b_add, JET_OP_ADD, T(2, 3), T(2, 3), -2, 2, -2, 2, 0)
BIN(b_add_s, JET_OP_ADD, TS, T(2, 3), -2, 2, -2, 2, 0)
BIN(b_sub, JET_OP_SUB, T(2, 3), T(2, 3), -2, 2, -2, 2, 0)
BIN(b_sub_s, JET_OP_SUB, TS, T(2, 3), -2, 2, -2, 2, 0)
BIN(b_mul, JET_OP_MUL, T(2, 3), T(2, 3), -2, 2, -2, 2, 0)
BIN(b_mul_s, JET_OP_MUL, T(2, 3), TS, -2, 2, -2, 2, 0)
BIN(b_div, JET_OP_DIV, T(2, 3), T(2, 3), -2, 2, -2, 2, 0.5)
BIN(b_div_s, JET_OP_DIV, TS, T(2, 3), -2, 2, -2, 2, 0.5)
BIN(b_div_s2, JET_OP_DIV, T(2, 3), TS, -2, 2, -2, 2, 0.5)
BIN(b_pow, JET_OP_POW, T(2, 3), T(2, 3), 0.3, 2, -2, 2, 0)
BIN(b_pow_s, JET_OP_POW, T(2, 3), TS, 0.3, 2, -2, 2, 0)
BIN(b_pow_s2, JET_OP_POW, TS, T(2, 3), 0.3, 2, -2, 2, 0)
BIN(b_atan2, JET_OP_ATAN2, T(2, 3), T(2, 3), -2, 2, -2, 2, 0.3)
BIN(b_atan2_s, JET_OP_ATAN2, T(2, 3), TS, -2, 2, -2, 2, 0.3)
BIN(b_eq, JET_OP_EQ, T(2, 3), T(2, 3), -2, 2, -2, 2, 0)
BIN(b_ne, JET_OP_NE, T(2, 3), T(2, 3), -2, 2, -2, 2, 0)
BIN(b_lt, JET_OP_LT, T(2, 3), TS, -2, 2, -2, 2, 0)
BIN(b_le, JET_OP_LE, T(2, 3), T(2, 3), -2, 2, -2, 2, 0)
BIN(b_gt, JET_OP_GT, TS, T(2, 3), -2, 2, -2, 2, 0)
BIN(b_ge, JET_OP_GE, T(2, 3), T(2, 3), -2, 2, -2, 2, 0)
#define I32T ADC_T(JET_I32, 2, 3)
BIN(b_and, JET_OP_AND, I32T, I32T, -9, 9, -9, 9, 0)
BIN(b_or, JET_OP_OR, I32T, I32T, -9, 9, -9, 9, 0)
BIN(b_xor, JET_OP_XOR, I32T, I32T, -9, 9, -9, 9, 0)
BIN(b_shl, JET_OP_SHIFT_LEFT, I32T, I32T, -9, 9, 0, 4, 0)
BIN(b_shrl, JET_OP_SHIFT_RIGHT_LOGICAL, I32T, I32T, -9, 9, 0, 4, 0)
BIN(b_shra, JET_OP_SHIFT_RIGHT_ARITHMETIC, I32T, I32T, -9, 9, 0, 4, 0)

static void maxmin(adc_b *b, gen *g, jet_op op, jet_type ta, jet_type tb) {
  jet_value x = X(b, g, ta), y = X(b, g, tb);
  if (jet_type_numel(&ta) >= jet_type_numel(&tb)) apart(g, 0, 1);
  else apart(g, 1, 0);
  out1(b, adc_op2(b, op, x, y));
}
static void b_max(adc_b *b, gen *g) { maxmin(b, g, JET_OP_MAX, T(2, 3), T(2, 3)); }
static void b_max_s(adc_b *b, gen *g) { maxmin(b, g, JET_OP_MAX, TS, T(2, 3)); }
static void b_min(adc_b *b, gen *g) { maxmin(b, g, JET_OP_MIN, T(2, 3), T(2, 3)); }
static void b_min_s(adc_b *b, gen *g) { maxmin(b, g, JET_OP_MIN, T(2, 3), TS); }

/* rem: keep x/y away from integers (the quotient's jumps). */
static void rem(adc_b *b, gen *g, jet_type tb) {
  jet_value x = X(b, g, T(2, 3)), y = PA(b, g, tb, -2, 2, 0.5);
  for (int64_t i = 0; i < NE(g, 0); i++) {
    double yy = D(g, 1)[NE(g, 1) == 1 ? 0 : i], q = D(g, 0)[i] / yy;
    double fr = q - floor(q);
    if (fr < 0.1 || fr > 0.9) D(g, 0)[i] = (floor(q) + 0.5) * yy;
  }
  out1(b, adc_op2(b, JET_OP_REM, x, y));
}
static void b_rem(adc_b *b, gen *g) { rem(b, g, T(2, 3)); }
static void b_rem_s(adc_b *b, gen *g) { rem(b, g, TS); }

static void t_select(adc_b *b, gen *g) {
  static const uint8_t pred[6] = {1, 0, 0, 1, 1, 0};
  jet_value x = X(b, g, T(2, 3)), y = X(b, g, T(2, 3));
  jet_value p = adc_const(b, ADC_T(JET_BOOL, 2, 3), pred);
  out1(b, adc_op3(b, JET_OP_SELECT, p, x, y));
}
static void t_select_s(adc_b *b, gen *g) {
  uint8_t pr = 0;
  jet_value x = X(b, g, T(2, 3)), y = X(b, g, T(2, 3));
  jet_value p = adc_const(b, ADC_S(JET_BOOL), &pr);
  out1(b, adc_op3(b, JET_OP_SELECT, p, x, y));
}
/* clamp(lo, x, hi) with x in all three regions, away from the bounds. */
static void clamp(adc_b *b, gen *g, jet_type tl) {
  jet_value lo = P(b, g, tl, -0.8, -0.4), x = P(b, g, T(3, 4), -1.5, 1.5), hi = P(b, g, tl, 0.4, 0.8);
  apart(g, 1, 0);
  apart(g, 1, 2);
  out1(b, adc_op3(b, JET_OP_CLAMP, lo, x, hi));
}
static void t_clamp(adc_b *b, gen *g) { clamp(b, g, T(3, 4)); }
static void t_clamp_s(adc_b *b, gen *g) { clamp(b, g, TS); }

static void t_convert(adc_b *b, gen *g) { /* f64 -> f32 -> f64 */
  jet_value y = op_a(b, JET_OP_CONVERT_ELEMENT_TYPE, X(b, g, T(2, 3)), adc_dtype("new_dtype", JET_F32));
  out1(b, op_a(b, JET_OP_CONVERT_ELEMENT_TYPE, y, adc_dtype("new_dtype", F64)));
}
static void t_convert_int(adc_b *b, gen *g) {
  out1(b, op_a(b, JET_OP_CONVERT_ELEMENT_TYPE, P(b, g, T(2, 3), -9, 9), adc_dtype("new_dtype", JET_I32)));
}
static void t_bitcast(adc_b *b, gen *g) {
  out1(b, op_a(b, JET_OP_BITCAST_CONVERT_TYPE, X(b, g, T(2, 3)), adc_dtype("new_dtype", JET_I64)));
}

/* ---------------------------------------------------------------- structure */

static void s_bcast(adc_b *b, gen *g) {
  jet_attr a[2] = {ADC_INTS("shape", 2, 3, 4), ADC_INTS("broadcast_dimensions", 1)};
  jet_value x = X(b, g, T(3));
  out1(b, adc_op(b, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2));
}
static void s_bcast1(adc_b *b, gen *g) { /* size-1 dim expanded */
  jet_attr a[2] = {ADC_INTS("shape", 4, 3, 2), ADC_INTS("broadcast_dimensions", 0, 1)};
  jet_value x = X(b, g, T(1, 3));
  out1(b, adc_op(b, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2));
}
static void s_bcast0(adc_b *b, gen *g) {
  jet_attr a[2] = {ADC_INTS("shape", 2, 2), adc_ints("broadcast_dimensions", NULL, 0)};
  jet_value x = X(b, g, TS);
  out1(b, adc_op(b, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2));
}
static void s_reshape(adc_b *b, gen *g) { out1(b, op_a(b, JET_OP_RESHAPE, X(b, g, T(2, 3, 2)), ADC_INTS("new_sizes", 3, 4))); }
static void s_transpose(adc_b *b, gen *g) {
  out1(b, op_a(b, JET_OP_TRANSPOSE, X(b, g, T(2, 3, 4)), ADC_INTS("permutation", 2, 0, 1)));
}
static void s_squeeze(adc_b *b, gen *g) { out1(b, op_a(b, JET_OP_SQUEEZE, X(b, g, T(2, 1, 3)), ADC_INTS("dimensions", 1))); }
static void s_expand(adc_b *b, gen *g) { out1(b, op_a(b, JET_OP_EXPAND_DIMS, X(b, g, T(2, 3)), ADC_INTS("dimensions", 1))); }
static void s_rev(adc_b *b, gen *g) { out1(b, op_a(b, JET_OP_REV, X(b, g, T(2, 3)), ADC_INTS("dimensions", 0, 1))); }
static void s_slice(adc_b *b, gen *g) {
  jet_attr a[3] = {ADC_INTS("start_indices", 1, 0), ADC_INTS("limit_indices", 5, 6), ADC_INTS("strides", 2, 3)};
  jet_value x = X(b, g, T(5, 6));
  out1(b, adc_op(b, JET_OP_SLICE, &x, 1, a, 3));
}
static void s_dslice(adc_b *b, gen *g) { /* the second start (4) is clamped to 2 */
  jet_value o[3];
  o[0] = X(b, g, T(5, 4));
  o[1] = ci32s(b, 1);
  o[2] = ci32s(b, 4);
  jet_attr a = ADC_INTS("slice_sizes", 3, 2);
  out1(b, adc_op(b, JET_OP_DYNAMIC_SLICE, o, 3, &a, 1));
}
static void s_dus(adc_b *b, gen *g) {
  jet_value o[4];
  o[0] = X(b, g, T(4, 5));
  o[1] = X(b, g, T(2, 3));
  o[2] = o[3] = ci32s(b, 1);
  out1(b, adc_op(b, JET_OP_DYNAMIC_UPDATE_SLICE, o, 4, NULL, 0));
}
static void s_concat(adc_b *b, gen *g) {
  jet_value o[3];
  o[0] = X(b, g, T(2, 3));
  o[1] = X(b, g, T(1, 3));
  o[2] = X(b, g, T(3, 3));
  jet_attr a = adc_int("dimension", 0);
  out1(b, adc_op(b, JET_OP_CONCATENATE, o, 3, &a, 1));
}
static void s_pad(adc_b *b, gen *g) { /* interior and a negative (cropping) low pad */
  jet_value o[2];
  o[0] = X(b, g, T(2, 3));
  o[1] = X(b, g, TS);
  jet_attr a = ADC_INTS("padding_config", 1, 2, 1, -1, 1, 0);
  out1(b, adc_op(b, JET_OP_PAD, o, 2, &a, 1));
}
static void s_iota(adc_b *b, gen *g) {
  X(b, g, T(3));
  jet_attr a[3] = {adc_dtype("dtype", F64), ADC_INTS("shape", 3), adc_int("dimension", 0)};
  out1(b, adc_op(b, JET_OP_IOTA, NULL, 0, a, 3));
}
static void s_constant(adc_b *b, gen *g) {
  static const double c[2] = {1.5, -2};
  X(b, g, T(2));
  out1(b, adc_const(b, T(2), c));
}
/* gather rows {0, 2, 4, 2} (a duplicate) of a [5,3] operand; in mode clip
 * also out-of-range rows 7 and -1 (clamped). */
static void gather_rows(adc_b *b, gen *g, bool clip) {
  static const int32_t idx[4] = {0, 2, 4, 2}, oob[4] = {7, 2, -1, 1};
  jet_value o[2];
  o[0] = X(b, g, T(5, 3));
  o[1] = ci32(b, ADC_T(JET_I32, 4, 1), clip ? oob : idx);
  jet_attr a[5] = {ADC_INTS("offset_dims", 1), ADC_INTS("collapsed_slice_dims", 0),
                   ADC_INTS("start_index_map", 0), ADC_INTS("slice_sizes", 1, 3), adc_int("mode", clip ? 0 : 1)};
  out1(b, adc_op(b, JET_OP_GATHER, o, 2, a, 5));
}
static void s_gather(adc_b *b, gen *g) { gather_rows(b, g, false); }
static void s_gather_clip(adc_b *b, gen *g) { gather_rows(b, g, true); }
static void s_gather2d(adc_b *b, gen *g) { /* 2x2 windows at 2-d starts */
  static const int32_t idx[6] = {0, 0, 2, 3, 1, 1};
  jet_value o[2];
  o[0] = X(b, g, T(4, 5));
  o[1] = ci32(b, ADC_T(JET_I32, 3, 2), idx);
  jet_attr a[4] = {ADC_INTS("offset_dims", 1, 2), adc_ints("collapsed_slice_dims", NULL, 0),
                   ADC_INTS("start_index_map", 0, 1), ADC_INTS("slice_sizes", 2, 2)};
  out1(b, adc_op(b, JET_OP_GATHER, o, 2, a, 4));
}
static void s_gather_batch(adc_b *b, gen *g) { /* operand/indices batching dims */
  static const int32_t idx[8] = {0, 4, 4, 1, 2, 2, 3, 0};
  jet_value o[2];
  o[0] = X(b, g, T(2, 5, 3));
  o[1] = ci32(b, ADC_T(JET_I32, 2, 4, 1), idx);
  jet_attr a[6] = {ADC_INTS("offset_dims", 2), ADC_INTS("collapsed_slice_dims", 1),
                   ADC_INTS("start_index_map", 1), ADC_INTS("operand_batching_dims", 0),
                   ADC_INTS("start_indices_batching_dims", 0), ADC_INTS("slice_sizes", 1, 1, 3)};
  out1(b, adc_op(b, JET_OP_GATHER, o, 2, a, 6));
}
static void s_scatter(adc_b *b, gen *g) { /* duplicate row 2; row 9 is dropped */
  static const int32_t idx[5] = {0, 2, 4, 2, 9};
  jet_value o[3];
  o[0] = X(b, g, T(5, 3));
  o[2] = X(b, g, T(5, 3));
  o[1] = ci32(b, ADC_T(JET_I32, 5, 1), idx);
  jet_attr a[3] = {ADC_INTS("update_window_dims", 1), ADC_INTS("inserted_window_dims", 0),
                   ADC_INTS("scatter_dims_to_operand_dims", 0)};
  out1(b, adc_op(b, JET_OP_SCATTER_ADD, o, 3, a, 3));
}
static void s_scatter2d(adc_b *b, gen *g) { /* overlapping 2x2 windows */
  static const int32_t idx[6] = {0, 0, 1, 1, 2, 3};
  jet_value o[3];
  o[0] = X(b, g, T(4, 5));
  o[2] = X(b, g, T(3, 2, 2));
  o[1] = ci32(b, ADC_T(JET_I32, 3, 2), idx);
  jet_attr a[3] = {ADC_INTS("update_window_dims", 1, 2), adc_ints("inserted_window_dims", NULL, 0),
                   ADC_INTS("scatter_dims_to_operand_dims", 0, 1)};
  out1(b, adc_op(b, JET_OP_SCATTER_ADD, o, 3, a, 3));
}

/* ---------------------------------------------------------------- reductions */

static void r_sum(adc_b *b, gen *g) { out1(b, op_a(b, JET_OP_REDUCE_SUM, X(b, g, T(2, 3, 4)), ADC_INTS("axes", 0, 2))); }
static void r_max(adc_b *b, gen *g) {
  jet_value x = X(b, g, T(3, 4));
  distinct(g, 0);
  out1(b, op_a(b, JET_OP_REDUCE_MAX, x, ADC_INTS("axes", 1)));
}
static void r_min(adc_b *b, gen *g) {
  jet_value x = X(b, g, T(3, 4));
  distinct(g, 0);
  out1(b, op_a(b, JET_OP_REDUCE_MIN, x, ADC_INTS("axes", 0, 1)));
}
static void r_prod(adc_b *b, gen *g) { out1(b, op_a(b, JET_OP_REDUCE_PROD, PA(b, g, T(3, 4), -1.5, 1.5, 0.5), ADC_INTS("axes", 1))); }
static void r_prod0(adc_b *b, gen *g) { /* exact zeros: one in row 0, two in row 1 */
  jet_value x = PA(b, g, T(3, 4), -1.5, 1.5, 0.5);
  D(g, 0)[1] = 0;
  D(g, 0)[4] = D(g, 0)[6] = 0;
  out1(b, op_a(b, JET_OP_REDUCE_PROD, x, ADC_INTS("axes", 1)));
}
static void r_argmax(adc_b *b, gen *g) {
  jet_attr a[2] = {ADC_INTS("axes", 1), adc_dtype("index_dtype", JET_I32)};
  jet_value x = X(b, g, T(3, 4));
  out1(b, adc_op(b, JET_OP_ARGMAX, &x, 1, a, 2));
}
static void r_argmin(adc_b *b, gen *g) {
  jet_attr a[2] = {ADC_INTS("axes", 0), adc_dtype("index_dtype", JET_I32)};
  jet_value x = X(b, g, T(3, 4));
  out1(b, adc_op(b, JET_OP_ARGMIN, &x, 1, a, 2));
}
static void r_cumsum(adc_b *b, gen *g) { out1(b, op_a(b, JET_OP_CUMSUM, X(b, g, T(2, 4)), adc_int("axis", 1))); }
static void r_cumsum_rev(adc_b *b, gen *g) {
  jet_attr a[2] = {adc_int("axis", 0), adc_bool("reverse", true)};
  jet_value x = X(b, g, T(3, 2));
  out1(b, adc_op(b, JET_OP_CUMSUM, &x, 1, a, 2));
}

/* ---------------------------------------------------------------- dot_general */

static void dot(adc_b *b, gen *g, jet_type ta, jet_type tb, jet_attr *a, uint32_t na) {
  jet_value o[2];
  o[0] = X(b, g, ta);
  o[1] = X(b, g, tb);
  out1(b, adc_op(b, JET_OP_DOT_GENERAL, o, 2, a, na));
}
static void d_matmul(adc_b *b, gen *g) {
  jet_attr a[2] = {ADC_INTS("lhs_contracting_dimensions", 1), ADC_INTS("rhs_contracting_dimensions", 0)};
  dot(b, g, T(2, 3), T(3, 4), a, 2);
}
static void d_vec(adc_b *b, gen *g) {
  jet_attr a[2] = {ADC_INTS("lhs_contracting_dimensions", 0), ADC_INTS("rhs_contracting_dimensions", 0)};
  dot(b, g, T(4), T(4), a, 2);
}
static void d_batch(adc_b *b, gen *g) {
  jet_attr a[4] = {ADC_INTS("lhs_contracting_dimensions", 2), ADC_INTS("rhs_contracting_dimensions", 1),
                   ADC_INTS("lhs_batch_dimensions", 0), ADC_INTS("rhs_batch_dimensions", 0)};
  dot(b, g, T(2, 3, 4), T(2, 4, 5), a, 4);
}
static void d_mixed(adc_b *b, gen *g) { /* lhs (a,e,b,c), rhs (b,d,c,a): batch b, contract c and a */
  jet_attr a[4] = {ADC_INTS("lhs_contracting_dimensions", 3, 0), ADC_INTS("rhs_contracting_dimensions", 2, 3),
                   ADC_INTS("lhs_batch_dimensions", 2), ADC_INTS("rhs_batch_dimensions", 0)};
  dot(b, g, T(3, 2, 2, 4), T(2, 5, 4, 3), a, 4);
}

/* ---------------------------------------------------------------- call */

/* callee(a, b) = (sin(a) * b, a + b); the outer graph uses both results. */
static void c_call(adc_b *b, gen *g) {
  jet_value x = X(b, g, T(3)), y = X(b, g, T(3));
  if (b->st) return;
  jet_graph *cg = jet_graph_create_child(b->g, "callee");
  adc_b c = {cg, cg ? NULL : jet_status_oom("callee")};
  jet_value p = adc_param(&c, T(3)), q = adc_param(&c, T(3));
  jet_value r[2] = {adc_op2(&c, JET_OP_MUL, adc_op1(&c, JET_OP_SIN, p), q), adc_op2(&c, JET_OP_ADD, p, q)};
  adc_outputs(&c, r, 2);
  if (c.st) {
    b->st = c.st;
    return;
  }
  jet_value args[2] = {x, y}, v = JET_NO_VALUE;
  b->st = jet_graph_add_node(b->g, JET_OP_CALL, args, 2, NULL, 0, cg, NULL, 0, &v);
  out1(b, adc_op2(b, JET_OP_MUL, v, v + 1));
}

/* Control flow: the bodies are child graphs built like c_call's callee. */
static bool child(adc_b *b, adc_b *c, const char *name) {
  c->g = b->st ? NULL : jet_graph_create_child(b->g, name);
  c->st = NULL;
  if (!b->st && !c->g) b->st = jet_status_oom("sub-graph");
  return !b->st;
}
static bool child_done(adc_b *b, adc_b *c) {
  if (c->st && !b->st) b->st = c->st;
  return !b->st;
}
static jet_value op_sub(adc_b *b, jet_op op, const jet_value *x, uint32_t n, const jet_attr *a,
                        uint32_t na, jet_graph *const *subs, uint32_t ns) {
  jet_value v = JET_NO_VALUE;
  if (!b->st) b->st = jet_graph_add_node_sub(b->g, op, x, n, a, na, subs, ns, &v);
  return v;
}

/* switch(i, x, y) over (sin(x) * y, x + exp(y)); i in {0, 1}, held fixed. */
static void k_cond(adc_b *b, gen *g) {
  jet_value i = P(b, g, ADC_S(JET_I32), 0, 2), x = X(b, g, T(3)), y = X(b, g, T(3));
  adc_b c[2];
  for (int k = 0; k < 2; k++) {
    if (!child(b, &c[k], k ? "b1" : "b0")) return;
    jet_value p = adc_param(&c[k], T(3)), q = adc_param(&c[k], T(3));
    jet_value r = k ? adc_op2(&c[k], JET_OP_ADD, p, adc_op1(&c[k], JET_OP_EXP, q))
                    : adc_op2(&c[k], JET_OP_MUL, adc_op1(&c[k], JET_OP_SIN, p), q);
    adc_outputs(&c[k], &r, 1);
    if (!child_done(b, &c[k])) return;
  }
  jet_value args[3] = {i, x, y};
  jet_graph *subs[2] = {c[0].g, c[1].g};
  out1(b, op_sub(b, JET_OP_COND, args, 3, NULL, 0, subs, 2));
}

/* scan[n_consts=1, n_carry=1, length=4](c, h, xs): h' = sin(h) * c + x,
 * y = h' * x; outputs (h_final * h_final, ys). */
static void k_scan(adc_b *b, gen *g, bool reverse) {
  jet_value c0 = X(b, g, T(3)), h0 = X(b, g, T(3)), xs = X(b, g, T(4, 3));
  adc_b c;
  if (!child(b, &c, "cell")) return;
  jet_value pc = adc_param(&c, T(3)), ph = adc_param(&c, T(3)), px = adc_param(&c, T(3));
  jet_value h = adc_op2(&c, JET_OP_ADD, adc_op2(&c, JET_OP_MUL, adc_op1(&c, JET_OP_SIN, ph), pc), px);
  jet_value r[2] = {h, adc_op2(&c, JET_OP_MUL, h, px)};
  adc_outputs(&c, r, 2);
  if (!child_done(b, &c)) return;
  jet_value args[3] = {c0, h0, xs};
  jet_attr a[4] = {adc_int("n_consts", 1), adc_int("n_carry", 1), adc_int("length", 4),
                   adc_bool("reverse", reverse)};
  jet_value v = op_sub(b, JET_OP_SCAN, args, 3, a, 4, &c.g, 1);
  jet_value o[2] = {adc_op2(b, JET_OP_MUL, v, v), v + 1};
  adc_outputs(b, o, 2);
}
static void k_scan_fwd(adc_b *b, gen *g) { k_scan(b, g, false); }
static void k_scan_rev(adc_b *b, gen *g) { k_scan(b, g, true); }

/* while i < 3: x = x * 0.5 + sin(x), seen through floor. Reverse mode of
 * while is refused when a cotangent reaches it, which floor prevents; the
 * JVP rule still runs (its values are checked against finite differences
 * in test_server_ad_control.c). */
static void k_while(adc_b *b, gen *g) {
  jet_value x = P(b, g, T(3), -3, 3);
  adc_b c[2];
  for (int k = 0; k < 2; k++) {
    if (!child(b, &c[k], k ? "body" : "cond")) return;
    jet_value i = adc_param(&c[k], ADC_S(JET_I32)), p = adc_param(&c[k], T(3));
    if (k == 0) {
      jet_value r = adc_op2(&c[k], JET_OP_LT, i, ci32s(&c[k], 3));
      adc_outputs(&c[k], &r, 1);
    } else {
      jet_value half = adc_scalar(&c[k], F64, 0.5);
      jet_value r[2] = {adc_op2(&c[k], JET_OP_ADD, i, ci32s(&c[k], 1)),
                        adc_op2(&c[k], JET_OP_ADD, adc_op2(&c[k], JET_OP_MUL, p, half),
                                adc_op1(&c[k], JET_OP_SIN, p))};
      adc_outputs(&c[k], r, 2);
    }
    if (!child_done(b, &c[k])) return;
  }
  jet_value args[2] = {ci32s(b, 0), x};
  jet_graph *subs[2] = {c[0].g, c[1].g};
  jet_value v = op_sub(b, JET_OP_WHILE, args, 2, NULL, 0, subs, 2);
  out1(b, adc_op1(b, JET_OP_FLOOR, v + 1));
}

/* ---------------------------------------------------------------- table */

/* ---------------------------------------------------------------- collectives
 * A collective only runs inside a mapped axis: f(xs) = vmap(body,
 * axis_name='i', size 3)(xs), the vmap being a call node's transform, so AD
 * sees the batched ops (grad through vmap). With vjp the call's transforms
 * are [vjp, vmap]: f(xs, cts) = vmap(vjp(body)), so the collective's own VJP
 * rule runs, is batched, and is differentiated again by the checks. */
typedef jet_value (*coll_fn)(adc_b *c, jet_value x);
static jet_attr an_i(void) { return (jet_attr){.name = "axis_name", .kind = JET_ATTR_STR, .u.s = "i"}; }
static jet_type batched3(jet_type t) {
  for (int32_t d = t.rank; d > 0; d--) t.dims[d] = t.dims[d - 1];
  t.dims[0] = 3;
  t.rank++;
  return t;
}
static void coll(adc_b *b, gen *g, jet_type xt, coll_fn body, bool vjp) {
  jet_value xs = X(b, g, batched3(xt));
  if (b->st) return;
  jet_graph *cg = jet_graph_create_child(b->g, "callee");
  adc_b c = {cg, cg ? NULL : jet_status_oom("callee")};
  jet_value y = body(&c, adc_param(&c, xt));
  adc_outputs(&c, &y, 1);
  if (c.st) {
    b->st = c.st;
    return;
  }
  jet_transform tf[2] = {adc_tf(JET_TF_VJP), gb_vmap(NULL, 0, NULL, 0, 3)};
  tf[1].axis_name = "i";
  jet_value args[2] = {xs, vjp ? X(b, g, batched3(cg->value_types[cg->outputs[0]])) : 0}, v = 0;
  if (!b->st) b->st = jet_graph_add_node(b->g, JET_OP_CALL, args, vjp ? 2 : 1, NULL, 0, cg, tf + !vjp, 1 + vjp, &v);
  jet_value outs[2] = {v, v + 1};
  adc_outputs(b, outs, vjp ? 2 : 1);
}
static jet_value cb_psum(adc_b *c, jet_value x) { return adc_op2(c, JET_OP_MUL, x, op_a(c, JET_OP_PSUM, x, an_i())); }
static jet_value cb_pmax(adc_b *c, jet_value x) { return adc_op2(c, JET_OP_MUL, x, op_a(c, JET_OP_PMAX, x, an_i())); }
static jet_value cb_pmin(adc_b *c, jet_value x) { return adc_op2(c, JET_OP_MUL, x, op_a(c, JET_OP_PMIN, x, an_i())); }
static jet_value cb_gather(adc_b *c, jet_value x) { /* f64[2] -> [2, 3] */
  jet_attr a[3] = {an_i(), adc_int("axis_size", 3), adc_int("axis", 1)};
  return adc_op(c, JET_OP_ALL_GATHER, (jet_value[]){adc_op1(c, JET_OP_SIN, x)}, 1, a, 3);
}
static jet_value cb_gather_t(adc_b *c, jet_value x) { /* f64[2,2] -> [6, 2] */
  jet_attr a[4] = {an_i(), adc_int("axis_size", 3), adc_int("axis", 0), adc_bool("tiled", true)};
  return adc_op(c, JET_OP_ALL_GATHER, (jet_value[]){adc_op1(c, JET_OP_SIN, x)}, 1, a, 4);
}
static jet_value cb_scatter(adc_b *c, jet_value x) { /* f64[3,2] -> [2] */
  jet_attr a[3] = {an_i(), adc_int("axis_size", 3), adc_int("scatter_dimension", 0)};
  return adc_op(c, JET_OP_PSUM_SCATTER, (jet_value[]){adc_op2(c, JET_OP_MUL, x, x)}, 1, a, 3);
}
static jet_value cb_scatter_t(adc_b *c, jet_value x) { /* f64[2,6] -> [2, 2] */
  jet_attr a[4] = {an_i(), adc_int("axis_size", 3), adc_int("scatter_dimension", 1), adc_bool("tiled", true)};
  return adc_op(c, JET_OP_PSUM_SCATTER, (jet_value[]){adc_op2(c, JET_OP_MUL, x, x)}, 1, a, 4);
}
static jet_value cb_ppermute(adc_b *c, jet_value x) { /* member 0 receives zeros */
  jet_attr a[2] = {an_i(), ADC_INTS("perm", 0, 1, 1, 2)};
  jet_value s = adc_op1(c, JET_OP_SIN, x);
  return adc_op2(c, JET_OP_MUL, x, adc_op(c, JET_OP_PPERMUTE, &s, 1, a, 2));
}
static jet_value cb_a2a(adc_b *c, jet_value x) { /* f64[3,2] -> [2, 3] */
  jet_attr a[4] = {an_i(), adc_int("axis_size", 3), adc_int("split_axis", 0), adc_int("concat_axis", 1)};
  return adc_op(c, JET_OP_ALL_TO_ALL, (jet_value[]){adc_op2(c, JET_OP_MUL, x, x)}, 1, a, 4);
}
static jet_value cb_a2a_t(adc_b *c, jet_value x) { /* f64[6,2] -> [2, 6] */
  jet_attr a[5] = {an_i(), adc_int("axis_size", 3), adc_int("split_axis", 0), adc_int("concat_axis", 1),
                   adc_bool("tiled", true)};
  return adc_op(c, JET_OP_ALL_TO_ALL, (jet_value[]){adc_op2(c, JET_OP_MUL, x, x)}, 1, a, 5);
}
static jet_value cb_index(adc_b *c, jet_value x) {
  jet_attr a = an_i();
  jet_value i = adc_op(c, JET_OP_AXIS_INDEX, NULL, 0, &a, 1);
  return adc_op2(c, JET_OP_MUL, x, op_a(c, JET_OP_CONVERT_ELEMENT_TYPE, i, adc_dtype("new_dtype", F64)));
}
#define COLL(fn, body, xt, vjp) \
  static void fn(adc_b *b, gen *g) { coll(b, g, xt, body, vjp); }
COLL(k_psum, cb_psum, T(2), false)
COLL(k_psum_v, cb_psum, T(2), true)
COLL(k_pmax, cb_pmax, T(2), false)
COLL(k_pmin, cb_pmin, T(2), false)
COLL(k_gather_v, cb_gather, T(2), true)
COLL(k_gather_tv, cb_gather_t, T(2, 2), true)
COLL(k_scatter_v, cb_scatter, T(3, 2), true)
COLL(k_scatter_tv, cb_scatter_t, T(2, 6), true)
COLL(k_ppermute_v, cb_ppermute, T(2), true)
COLL(k_a2a_v, cb_a2a, T(3, 2), true)
COLL(k_a2a_tv, cb_a2a_t, T(6, 2), true)
COLL(k_index, cb_index, T(2), false)

static const op_case cases[] = {
    {JET_OP_NEG, "neg", u_neg, 0, 0, 0},
    {JET_OP_ABS, "abs", u_abs, 0, 0, 0},
    {JET_OP_SIGN, "sign", u_sign, 1, 0, 0},
    {JET_OP_FLOOR, "floor", u_floor, 1, 0, 0},
    {JET_OP_CEIL, "ceil", u_ceil, 1, 0, 0},
    {JET_OP_ROUND, "round", u_round, 1, 0, 0},
    {JET_OP_ROUND, "round(method 1)", u_round1, 1, 0, 0},
    {JET_OP_IS_FINITE, "is_finite", u_isfin, 1, 0, 0},
    {JET_OP_EXP, "exp", u_exp, 0, 0, 0},
    {JET_OP_EXP2, "exp2", u_exp2, 0, 0, 0},
    {JET_OP_LOG, "log", u_log, 0, 0, 0},
    {JET_OP_LOG1P, "log1p", u_log1p, 0, 0, 0},
    {JET_OP_EXPM1, "expm1", u_expm1, 0, 0, 0},
    {JET_OP_SQRT, "sqrt", u_sqrt, 0, 0, 0},
    {JET_OP_RSQRT, "rsqrt", u_rsqrt, 0, 0, 0},
    {JET_OP_TANH, "tanh", u_tanh, 0, 0, 0},
    {JET_OP_LOGISTIC, "logistic", u_logistic, 0, 0, 0},
    {JET_OP_SIN, "sin", u_sin, 0, 0, 0},
    {JET_OP_COS, "cos", u_cos, 0, 0, 0},
    {JET_OP_TAN, "tan", u_tan, 0, 0, 0},
    {JET_OP_ASIN, "asin", u_asin, 0, 0, 0},
    {JET_OP_ACOS, "acos", u_acos, 0, 0, 0},
    {JET_OP_ATAN, "atan", u_atan, 0, 0, 0},
    {JET_OP_SINH, "sinh", u_sinh, 0, 0, 0},
    {JET_OP_COSH, "cosh", u_cosh, 0, 0, 0},
    {JET_OP_ERF, "erf", u_erf, 0, 0, 0},
    {JET_OP_ERF_INV, "erf_inv", u_erfinv, 0, 0, 0},
    {JET_OP_INTEGER_POW, "integer_pow(3)", u_ipow3, 0, 0, 0},
    {JET_OP_INTEGER_POW, "integer_pow(2)", u_ipow2, 0, 0, 0},
    {JET_OP_INTEGER_POW, "integer_pow(1)", u_ipow1, 0, 0, 0},
    {JET_OP_INTEGER_POW, "integer_pow(0)", u_ipow0, 0, 0, 0},
    {JET_OP_INTEGER_POW, "integer_pow(-2)", u_ipowm2, 0, 0, 0},
    {JET_OP_SQUARE, "square", u_square, 0, 0, 0},
    {JET_OP_NOT, "not", u_not, 1, 0, 0},
    {JET_OP_ADD, "add", b_add, 0, 0, 0},
    {JET_OP_ADD, "add(scalar, x)", b_add_s, 0, 0, 0},
    {JET_OP_SUB, "sub", b_sub, 0, 0, 0},
    {JET_OP_SUB, "sub(scalar, x)", b_sub_s, 0, 0, 0},
    {JET_OP_MUL, "mul", b_mul, 0, 0, 0},
    {JET_OP_MUL, "mul(x, scalar)", b_mul_s, 0, 0, 0},
    {JET_OP_DIV, "div", b_div, 0, 0, 0},
    {JET_OP_DIV, "div(scalar, x)", b_div_s, 0, 0, 0},
    {JET_OP_DIV, "div(x, scalar)", b_div_s2, 0, 0, 0},
    {JET_OP_REM, "rem", b_rem, 0, 0, 0},
    {JET_OP_REM, "rem(x, scalar)", b_rem_s, 0, 0, 0},
    {JET_OP_POW, "pow", b_pow, 0, 0, 0},
    {JET_OP_POW, "pow(x, scalar)", b_pow_s, 0, 0, 0},
    {JET_OP_POW, "pow(scalar, x)", b_pow_s2, 0, 0, 0},
    {JET_OP_MAX, "max", b_max, 0, 0, 0},
    {JET_OP_MAX, "max(scalar, x)", b_max_s, 0, 0, 0},
    {JET_OP_MIN, "min", b_min, 0, 0, 0},
    {JET_OP_MIN, "min(x, scalar)", b_min_s, 0, 0, 0},
    {JET_OP_ATAN2, "atan2", b_atan2, 0, 0, 0},
    {JET_OP_ATAN2, "atan2(x, scalar)", b_atan2_s, 0, 0, 0},
    {JET_OP_AND, "and", b_and, 1, 0, 0},
    {JET_OP_OR, "or", b_or, 1, 0, 0},
    {JET_OP_XOR, "xor", b_xor, 1, 0, 0},
    {JET_OP_SHIFT_LEFT, "shift_left", b_shl, 1, 0, 0},
    {JET_OP_SHIFT_RIGHT_LOGICAL, "shift_right_logical", b_shrl, 1, 0, 0},
    {JET_OP_SHIFT_RIGHT_ARITHMETIC, "shift_right_arithmetic", b_shra, 1, 0, 0},
    {JET_OP_EQ, "eq", b_eq, 1, 0, 0},
    {JET_OP_NE, "ne", b_ne, 1, 0, 0},
    {JET_OP_LT, "lt(x, scalar)", b_lt, 1, 0, 0},
    {JET_OP_LE, "le", b_le, 1, 0, 0},
    {JET_OP_GT, "gt(scalar, x)", b_gt, 1, 0, 0},
    {JET_OP_GE, "ge", b_ge, 1, 0, 0},
    {JET_OP_SELECT, "select", t_select, 0, 0, 0},
    {JET_OP_SELECT, "select(scalar pred)", t_select_s, 0, 0, 0},
    {JET_OP_CLAMP, "clamp", t_clamp, 0, 0, 0},
    {JET_OP_CLAMP, "clamp(scalar bounds)", t_clamp_s, 0, 0, 0},
    /* through float32: FD step 1e-2 (the function is linear), tolerances 1e-4
     * (float32 rounding of the tangents) */
    {JET_OP_CONVERT_ELEMENT_TYPE, "convert f64->f32->f64", t_convert, 0, 1e-2, 1e-4},
    {JET_OP_CONVERT_ELEMENT_TYPE, "convert f64->i32", t_convert_int, 1, 0, 0},
    {JET_OP_BITCAST_CONVERT_TYPE, "bitcast f64->i64", t_bitcast, 1, 0, 0},
    {JET_OP_BROADCAST_IN_DIM, "broadcast_in_dim", s_bcast, 0, 0, 0},
    {JET_OP_BROADCAST_IN_DIM, "broadcast_in_dim(size-1 dim)", s_bcast1, 0, 0, 0},
    {JET_OP_BROADCAST_IN_DIM, "broadcast_in_dim(scalar)", s_bcast0, 0, 0, 0},
    {JET_OP_RESHAPE, "reshape", s_reshape, 0, 0, 0},
    {JET_OP_TRANSPOSE, "transpose", s_transpose, 0, 0, 0},
    {JET_OP_SQUEEZE, "squeeze", s_squeeze, 0, 0, 0},
    {JET_OP_EXPAND_DIMS, "expand_dims", s_expand, 0, 0, 0},
    {JET_OP_REV, "rev", s_rev, 0, 0, 0},
    {JET_OP_SLICE, "slice(strided)", s_slice, 0, 0, 0},
    {JET_OP_DYNAMIC_SLICE, "dynamic_slice(clamped start)", s_dslice, 0, 0, 0},
    {JET_OP_DYNAMIC_UPDATE_SLICE, "dynamic_update_slice", s_dus, 0, 0, 0},
    {JET_OP_CONCATENATE, "concatenate", s_concat, 0, 0, 0},
    {JET_OP_PAD, "pad(interior, negative)", s_pad, 0, 0, 0},
    {JET_OP_IOTA, "iota", s_iota, 1, 0, 0},
    {JET_OP_GATHER, "gather(rows)", s_gather, 0, 0, 0},
    {JET_OP_GATHER, "gather(rows, clip)", s_gather_clip, 0, 0, 0},
    {JET_OP_GATHER, "gather(2-d windows)", s_gather2d, 0, 0, 0},
    {JET_OP_GATHER, "gather(batching dims)", s_gather_batch, 0, 0, 0},
    {JET_OP_SCATTER_ADD, "scatter-add(rows)", s_scatter, 0, 0, 0},
    {JET_OP_SCATTER_ADD, "scatter-add(2-d windows)", s_scatter2d, 0, 0, 0},
    {JET_OP_REDUCE_SUM, "reduce_sum", r_sum, 0, 0, 0},
    {JET_OP_REDUCE_MAX, "reduce_max", r_max, 0, 0, 0},
    {JET_OP_REDUCE_MIN, "reduce_min", r_min, 0, 0, 0},
    {JET_OP_REDUCE_PROD, "reduce_prod", r_prod, 0, 0, 0},
    {JET_OP_REDUCE_PROD, "reduce_prod(zeros)", r_prod0, 0, 0, 0},
    {JET_OP_ARGMAX, "argmax", r_argmax, 1, 0, 0},
    {JET_OP_ARGMIN, "argmin", r_argmin, 1, 0, 0},
    {JET_OP_CUMSUM, "cumsum", r_cumsum, 0, 0, 0},
    {JET_OP_CUMSUM, "cumsum(reverse)", r_cumsum_rev, 0, 0, 0},
    {JET_OP_DOT_GENERAL, "dot_general(matmul)", d_matmul, 0, 0, 0},
    {JET_OP_DOT_GENERAL, "dot_general(vector)", d_vec, 0, 0, 0},
    {JET_OP_DOT_GENERAL, "dot_general(batch)", d_batch, 0, 0, 0},
    {JET_OP_DOT_GENERAL, "dot_general(batch, two contracting dims)", d_mixed, 0, 0, 0},
    {JET_OP_STOP_GRADIENT, "stop_gradient", u_stopgrad, 1, 0, 0},
    {JET_OP_CONSTANT, "constant", s_constant, 1, 0, 0},
    {JET_OP_CALL, "call", c_call, 0, 0, 0},
    {JET_OP_COND, "cond(i32 index)", k_cond, 0, 0, 0},
    {JET_OP_SCAN, "scan", k_scan_fwd, 0, 0, 0},
    {JET_OP_SCAN, "scan(reverse)", k_scan_rev, 0, 0, 0},
    {JET_OP_WHILE, "while (through floor)", k_while, 1, 0, 0},
    {JET_OP_PSUM, "psum (grad of vmap)", k_psum, 0, 0, 0},
    {JET_OP_PSUM, "psum (vmap of vjp)", k_psum_v, 0, 0, 0},
    {JET_OP_PMAX, "pmax (grad of vmap)", k_pmax, 0, 0, 0},
    {JET_OP_PMIN, "pmin (grad of vmap)", k_pmin, 0, 0, 0},
    {JET_OP_ALL_GATHER, "all_gather (vmap of vjp)", k_gather_v, 0, 0, 0},
    {JET_OP_ALL_GATHER, "all_gather(tiled) (vmap of vjp)", k_gather_tv, 0, 0, 0},
    {JET_OP_PSUM_SCATTER, "psum_scatter (vmap of vjp)", k_scatter_v, 0, 0, 0},
    {JET_OP_PSUM_SCATTER, "psum_scatter(tiled) (vmap of vjp)", k_scatter_tv, 0, 0, 0},
    {JET_OP_PPERMUTE, "ppermute (vmap of vjp)", k_ppermute_v, 0, 0, 0},
    {JET_OP_ALL_TO_ALL, "all_to_all (vmap of vjp)", k_a2a_v, 0, 0, 0},
    {JET_OP_ALL_TO_ALL, "all_to_all(tiled) (vmap of vjp)", k_a2a_tv, 0, 0, 0},
    {JET_OP_AXIS_INDEX, "axis_index (grad of vmap)", k_index, 0, 0, 0},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

/* Runs one case at NPTS random points; returns the failure count. */
static int run_case(size_t k) {
  const op_case *c = &cases[k];
  int fails = 0, npts = getenv("AD_OPS_POINTS") ? atoi(getenv("AD_OPS_POINTS")) : NPTS;
  for (int pt = 0; pt < npts; pt++) {
    gen g;
    memset(&g, 0, sizeof g);
    g.r.s = 0x5eed0000u + k * 131 + (uint64_t)pt;
    char label[96];
    snprintf(label, sizeof label, "%s, point %d", c->name, pt);
    adc_b b = adc_begin(c->name);
    if (!b.st) c->build(&b, &g);
    jet_graph *f = adc_finish(&b, label);
    if (!f) {
      fails++;
    } else {
      adc_opts o = {.label = label, .eps = c->eps, .tol1 = c->tol1, .tol_agree = c->tol1, .expect_zero = c->zero,
                    .seed = k * 7 + (uint64_t)pt};
      int n = adc_check(f, g.args, &o);
      if (n) {
        fprintf(stderr, "[%s] %d failed check(s); the graph:\n", label, n);
        adc_dump(f);
      }
      fails += n;
      jet_graph_destroy(f);
    }
    adc_bufs_free(g.args, g.n);
  }
  return fails;
}

static void every_op_has_a_case(void **state) {
  (void)state;
  int missing = 0;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    bool found = elsewhere((jet_op)op);
    for (size_t k = 0; k < N_CASES; k++) found |= cases[k].op == (jet_op)op;
    if (!found) {
      fprintf(stderr, "op '%s' has no case in test_server_ad_ops.c\n", jet_op_name((jet_op)op));
      missing++;
    }
    if (!jet_ad_jvp_rule((jet_op)op) || !jet_ad_vjp_rule((jet_op)op)) {
      fprintf(stderr, "op '%s' lacks a JVP or VJP rule\n", jet_op_name((jet_op)op));
      missing++;
    }
  }
  assert_int_equal(missing, 0);
}

static void all_cases(void **state) {
  (void)state;
  int fails = 0, bad_cases = 0;
  for (size_t k = 0; k < N_CASES; k++) {
    int n = run_case(k);
    fails += n;
    bad_cases += n > 0;
  }
  fprintf(stderr, "%zu cases, %d failing, %d failed checks\n", N_CASES, bad_cases, fails);
  assert_int_equal(fails, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_op_has_a_case),
      cmocka_unit_test(all_cases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
