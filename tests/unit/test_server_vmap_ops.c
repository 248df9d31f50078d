/* Every op of the op table through vmap (jet_transforms_apply with a vmap
 * transform, then jet_passes_cleanup), run with the reference executor and
 * checked by tests/common/vmap_check.h against per-example execution of
 * the unbatched graph, stacked: bit-exact, except float dot_general,
 * reductions and cumsum (tolerance 1e-12 in f64, 1e-5 in f32, relative to
 * the largest result).
 *
 * Each case is a one-op graph (a few wrap the op in another to give it a
 * batched operand: iota, constant, call), run for each dtype of its list
 * (f64, f32 and integer dtypes where the op accepts them). Trials: N_REPS
 * rounds over every non-empty subset of mapped parameters (N_RANDOM_TRIALS,
 * or VMAP_OPS_TRIALS, random subsets when there are more than 4), each
 * with random in_axes (negative ones included), random out_axes, JAX's
 * short forms of uniform axis lists and batch sizes 1 to 4, every other one
 * applying the vmap as the transform of a call node (axis_size then
 * sometimes read from the call's operands); then N_NESTED trials of vmap of
 * vmap, each level mapping a random subset (the outer one possibly none).
 * Index operands (dynamic_slice starts, gather/scatter indices) are
 * parameters, so they are batched too, with values out of range to
 * exercise clamping, fill and drop. Control flow (cond, switch, while,
 * scan) builds its sub-graphs with the same helpers; mapping a while's
 * trip count makes its predicate batched. Each case also runs N_PMAP times
 * as a compiled pmap of 1 to 4 members (the same in_axes/out_axes), which
 * must equal the function run per shard and stacked. The op loop fails
 * when an op of
 * ops.def has no case here. VMAP_OPS_SEED changes the seed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmap_check.h"
#include "transforms/transforms.h"
#include "ops_elsewhere.h"

#define T(dt, ...) ADC_T(dt, __VA_ARGS__)
#define TS(dt) ADC_S(dt)
#define BIT(d) JET_DT_BIT(d)
#define DF (BIT(JET_F64) | BIT(JET_F32))
#define DN (DF | BIT(JET_I32) | BIT(JET_U32))
#define DS (DF | BIT(JET_I32) | BIT(JET_I64))
#define DI (BIT(JET_I32) | BIT(JET_I64) | BIT(JET_U8) | BIT(JET_U32))
#define DIB (BIT(JET_I32) | BIT(JET_U8) | BIT(JET_BOOL))
#define DA (DF | BIT(JET_I32) | BIT(JET_BOOL))
#define DFI (BIT(JET_F64) | BIT(JET_I32))
#define D64 BIT(JET_F64)
#define N_RANDOM_TRIALS 8
#define N_NESTED 4 /* nested (vmap of vmap) trials per case and dtype */
#define N_REPS 2   /* rounds over the subsets of mapped parameters */
#define N_PMAP 2   /* pmap trials per case and dtype (compiled, 1 to 4 members) */

/* ---------------------------------------------------------------- params */

typedef struct gen {
  vmc_dom dom[VMC_MAX];
  uint32_t n;
} gen;

/* A parameter with elements drawn from [lo, hi), |x| >= min_abs. */
static jet_value PA(adc_b *b, gen *g, jet_type t, double lo, double hi, double min_abs) {
  jet_value v = adc_param(b, t);
  if (g->n < VMC_MAX) g->dom[g->n++] = (vmc_dom){lo, hi, min_abs};
  return v;
}
static jet_value P(adc_b *b, gen *g, jet_type t, double lo, double hi) { return PA(b, g, t, lo, hi, 0); }
static jet_value X(adc_b *b, gen *g, jet_type t) { return P(b, g, t, -3, 3); }
/* An index parameter (i32) with values in [lo, hi). */
static jet_value I(adc_b *b, gen *g, jet_type t, double lo, double hi) {
  t.dtype = JET_I32;
  return P(b, g, t, lo, hi);
}

static void out1(adc_b *b, jet_value y) { adc_outputs(b, &y, 1); }
static jet_value op_a(adc_b *b, jet_op op, jet_value x, jet_attr a) { return adc_op(b, op, &x, 1, &a, 1); }

/* ---------------------------------------------------------------- cases */

typedef void (*build_fn)(adc_b *b, gen *g, jet_dtype dt);
typedef struct op_case {
  jet_op op;
  const char *name;
  build_fn build;
  uint32_t dtypes; /* JET_DT_BIT mask; the case runs once per dtype */
  bool approx;     /* float results compared with a tolerance */
} op_case;

#define UNARY(fn, OP, lo, hi, minabs) \
  static void fn(adc_b *b, gen *g, jet_dtype dt) { out1(b, adc_op1(b, OP, PA(b, g, T(dt, 2, 3), lo, hi, minabs))); }
UNARY(u_neg, JET_OP_NEG, -3, 3, 0)
UNARY(u_abs, JET_OP_ABS, -3, 3, 0)
UNARY(u_sign, JET_OP_SIGN, -3, 3, 0)
UNARY(u_floor, JET_OP_FLOOR, -3, 3, 0)
UNARY(u_ceil, JET_OP_CEIL, -3, 3, 0)
UNARY(u_round, JET_OP_ROUND, -3, 3, 0)
UNARY(u_isfin, JET_OP_IS_FINITE, -3, 3, 0)
UNARY(u_exp, JET_OP_EXP, -2, 2, 0)
UNARY(u_exp2, JET_OP_EXP2, -2, 2, 0)
UNARY(u_log, JET_OP_LOG, 0.1, 3, 0)
UNARY(u_log1p, JET_OP_LOG1P, -0.9, 2, 0)
UNARY(u_expm1, JET_OP_EXPM1, -2, 2, 0)
UNARY(u_sqrt, JET_OP_SQRT, 0, 3, 0)
UNARY(u_rsqrt, JET_OP_RSQRT, 0.1, 3, 0)
UNARY(u_tanh, JET_OP_TANH, -2, 2, 0)
UNARY(u_logistic, JET_OP_LOGISTIC, -3, 3, 0)
UNARY(u_sin, JET_OP_SIN, -3, 3, 0)
UNARY(u_cos, JET_OP_COS, -3, 3, 0)
UNARY(u_tan, JET_OP_TAN, -1.2, 1.2, 0)
UNARY(u_asin, JET_OP_ASIN, -1, 1, 0)
UNARY(u_acos, JET_OP_ACOS, -1, 1, 0)
UNARY(u_atan, JET_OP_ATAN, -3, 3, 0)
UNARY(u_sinh, JET_OP_SINH, -2, 2, 0)
UNARY(u_cosh, JET_OP_COSH, -2, 2, 0)
UNARY(u_erf, JET_OP_ERF, -2, 2, 0)
UNARY(u_erfinv, JET_OP_ERF_INV, -0.99, 0.99, 0)
UNARY(u_square, JET_OP_SQUARE, -3, 3, 0)
UNARY(u_not, JET_OP_NOT, -9, 9, 0)
UNARY(u_stopgrad, JET_OP_STOP_GRADIENT, -3, 3, 0)

static void u_neg_s(adc_b *b, gen *g, jet_dtype dt) { out1(b, adc_op1(b, JET_OP_NEG, X(b, g, TS(dt)))); }
static void u_round1(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_ROUND, X(b, g, T(dt, 2, 3)), adc_int("rounding_method", 1)));
}
static void ipow(adc_b *b, gen *g, jet_dtype dt, int64_t n, double minabs) {
  out1(b, op_a(b, JET_OP_INTEGER_POW, PA(b, g, T(dt, 2, 3), -3, 3, minabs), adc_int("y", n)));
}
static void u_ipow3(adc_b *b, gen *g, jet_dtype dt) { ipow(b, g, dt, 3, 0); }
static void u_ipow0(adc_b *b, gen *g, jet_dtype dt) { ipow(b, g, dt, 0, 0); }
static void u_ipowm2(adc_b *b, gen *g, jet_dtype dt) { ipow(b, g, dt, -2, 0.5); }

/* Binary ops: shapes of x and y (rank 0 = implicit broadcasting). */
static void binary(adc_b *b, gen *g, jet_op op, jet_type tx, jet_type ty, double lo, double hi,
                   double lo2, double hi2, double minabs2) {
  jet_value x = P(b, g, tx, lo, hi), y = PA(b, g, ty, lo2, hi2, minabs2);
  out1(b, adc_op2(b, op, x, y));
}
/* Three variants per op: equal shapes, scalar x, scalar y. */
#define BIN3(fn, OP, lo, hi, lo2, hi2, m2)                                                        \
  static void fn(adc_b *b, gen *g, jet_dtype dt) {                                              \
    binary(b, g, OP, T(dt, 2, 3), T(dt, 2, 3), lo, hi, lo2, hi2, m2);                          \
  }                                                                                             \
  static void fn##_sx(adc_b *b, gen *g, jet_dtype dt) {                                         \
    binary(b, g, OP, TS(dt), T(dt, 3, 2), lo, hi, lo2, hi2, m2);                               \
  }                                                                                             \
  static void fn##_sy(adc_b *b, gen *g, jet_dtype dt) {                                         \
    binary(b, g, OP, T(dt, 4), TS(dt), lo, hi, lo2, hi2, m2);                                  \
  }
BIN3(b_add, JET_OP_ADD, -5, 5, -5, 5, 0)
BIN3(b_sub, JET_OP_SUB, -5, 5, -5, 5, 0)
BIN3(b_mul, JET_OP_MUL, -5, 5, -5, 5, 0)
BIN3(b_div, JET_OP_DIV, -9, 9, -5, 5, 1)
BIN3(b_rem, JET_OP_REM, -9, 9, -5, 5, 1)
BIN3(b_pow, JET_OP_POW, 0.2, 3, -2, 2, 0)
BIN3(b_max, JET_OP_MAX, -3, 3, -3, 3, 0)
BIN3(b_min, JET_OP_MIN, -3, 3, -3, 3, 0)
BIN3(b_atan2, JET_OP_ATAN2, -3, 3, -3, 3, 0)
BIN3(b_and, JET_OP_AND, -9, 9, -9, 9, 0)
BIN3(b_or, JET_OP_OR, -9, 9, -9, 9, 0)
BIN3(b_xor, JET_OP_XOR, -9, 9, -9, 9, 0)
BIN3(b_shl, JET_OP_SHIFT_LEFT, -9, 9, 0, 7, 0)
BIN3(b_shrl, JET_OP_SHIFT_RIGHT_LOGICAL, -9, 9, 0, 7, 0)
BIN3(b_shra, JET_OP_SHIFT_RIGHT_ARITHMETIC, -9, 9, 0, 7, 0)
BIN3(b_eq, JET_OP_EQ, -2, 2, -2, 2, 0)
BIN3(b_ne, JET_OP_NE, -2, 2, -2, 2, 0)
BIN3(b_lt, JET_OP_LT, -2, 2, -2, 2, 0)
BIN3(b_le, JET_OP_LE, -2, 2, -2, 2, 0)
BIN3(b_gt, JET_OP_GT, -2, 2, -2, 2, 0)
BIN3(b_ge, JET_OP_GE, -2, 2, -2, 2, 0)
static void b_add_ss(adc_b *b, gen *g, jet_dtype dt) { binary(b, g, JET_OP_ADD, TS(dt), TS(dt), -5, 5, -5, 5, 0); }

/* select(pred, x, y): pred of x's shape or scalar. */
static void t_select(adc_b *b, gen *g, jet_dtype dt) {
  jet_value p = X(b, g, T(JET_BOOL, 2, 3)), x = X(b, g, T(dt, 2, 3)), y = X(b, g, T(dt, 2, 3));
  out1(b, adc_op3(b, JET_OP_SELECT, p, x, y));
}
static void t_select_s(adc_b *b, gen *g, jet_dtype dt) {
  jet_value p = X(b, g, TS(JET_BOOL)), x = X(b, g, T(dt, 3, 2)), y = X(b, g, T(dt, 3, 2));
  out1(b, adc_op3(b, JET_OP_SELECT, p, x, y));
}
static void t_select_ss(adc_b *b, gen *g, jet_dtype dt) { /* everything scalar */
  jet_value p = X(b, g, TS(JET_BOOL)), x = X(b, g, TS(dt)), y = X(b, g, TS(dt));
  out1(b, adc_op3(b, JET_OP_SELECT, p, x, y));
}
/* clamp(lo, x, hi) with lo and hi scalar or of x's shape. */
static void clamp(adc_b *b, gen *g, jet_dtype dt, jet_type tl, jet_type th) {
  jet_value lo = P(b, g, tl, -3, 0), x = P(b, g, T(dt, 3, 4), -5, 5), hi = P(b, g, th, 0, 3);
  out1(b, adc_op3(b, JET_OP_CLAMP, lo, x, hi));
}
static void t_clamp(adc_b *b, gen *g, jet_dtype dt) { clamp(b, g, dt, T(dt, 3, 4), T(dt, 3, 4)); }
static void t_clamp_s(adc_b *b, gen *g, jet_dtype dt) { clamp(b, g, dt, TS(dt), TS(dt)); }
static void t_clamp_m(adc_b *b, gen *g, jet_dtype dt) { clamp(b, g, dt, TS(dt), T(dt, 3, 4)); }

/* convert / bitcast from dt to the dtype in the case name's table entry. */
static void convert(adc_b *b, gen *g, jet_dtype from, jet_dtype to, bool bitcast) {
  jet_value x = P(b, g, T(from, 2, 3), -9, 9);
  out1(b, op_a(b, bitcast ? JET_OP_BITCAST_CONVERT_TYPE : JET_OP_CONVERT_ELEMENT_TYPE, x,
               adc_dtype("new_dtype", to)));
}
static void t_cvt_f32(adc_b *b, gen *g, jet_dtype dt) { convert(b, g, dt, JET_F32, false); }
static void t_cvt_f64(adc_b *b, gen *g, jet_dtype dt) { convert(b, g, dt, JET_F64, false); }
static void t_cvt_i32(adc_b *b, gen *g, jet_dtype dt) { convert(b, g, dt, JET_I32, false); }
static void t_cvt_bool(adc_b *b, gen *g, jet_dtype dt) { convert(b, g, dt, JET_BOOL, false); }
static void t_bitcast(adc_b *b, gen *g, jet_dtype dt) { /* to the signed int / float of the same width */
  jet_dtype to = dt == JET_F64 ? JET_I64 : dt == JET_F32 ? JET_I32 : dt == JET_I64 ? JET_F64 : JET_F32;
  convert(b, g, dt, to, true);
}

/* ---------------------------------------------------------------- structure */

static void s_bcast(adc_b *b, gen *g, jet_dtype dt) {
  jet_attr a[2] = {ADC_INTS("shape", 2, 3, 4), ADC_INTS("broadcast_dimensions", 1)};
  jet_value x = X(b, g, T(dt, 3));
  out1(b, adc_op(b, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2));
}
static void s_bcast1(adc_b *b, gen *g, jet_dtype dt) { /* a size-1 dim expanded */
  jet_attr a[2] = {ADC_INTS("shape", 4, 3, 2), ADC_INTS("broadcast_dimensions", 0, 1)};
  jet_value x = X(b, g, T(dt, 1, 3));
  out1(b, adc_op(b, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2));
}
static void s_bcast0(adc_b *b, gen *g, jet_dtype dt) {
  jet_attr a[2] = {ADC_INTS("shape", 2, 2), adc_ints("broadcast_dimensions", NULL, 0)};
  jet_value x = X(b, g, TS(dt));
  out1(b, adc_op(b, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2));
}
static void s_bcastt(adc_b *b, gen *g, jet_dtype dt) { /* a new dim in the middle */
  jet_attr a[2] = {ADC_INTS("shape", 2, 4, 3), ADC_INTS("broadcast_dimensions", 0, 2)};
  jet_value x = X(b, g, T(dt, 2, 3));
  out1(b, adc_op(b, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2));
}
static void s_reshape(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_RESHAPE, X(b, g, T(dt, 2, 3, 2)), ADC_INTS("new_sizes", 3, 4)));
}
static void s_reshape0(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_RESHAPE, X(b, g, TS(dt)), ADC_INTS("new_sizes", 1, 1)));
}
static void s_reshape1(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_RESHAPE, X(b, g, T(dt, 6)), ADC_INTS("new_sizes", 2, 1, 3)));
}
static void s_transpose(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_TRANSPOSE, X(b, g, T(dt, 2, 3, 4)), ADC_INTS("permutation", 2, 0, 1)));
}
static void s_squeeze(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_SQUEEZE, X(b, g, T(dt, 2, 1, 3, 1)), ADC_INTS("dimensions", 1, 3)));
}
static void s_squeeze_neg(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_SQUEEZE, X(b, g, T(dt, 2, 3, 1)), ADC_INTS("dimensions", -1)));
}
static void s_expand(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_EXPAND_DIMS, X(b, g, T(dt, 2, 3)), ADC_INTS("dimensions", 0, 2)));
}
static void s_expand_neg(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_EXPAND_DIMS, X(b, g, T(dt, 2, 3)), ADC_INTS("dimensions", -1)));
}
static void s_rev(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_REV, X(b, g, T(dt, 2, 3, 2)), ADC_INTS("dimensions", 0, 2)));
}
static void s_slice(adc_b *b, gen *g, jet_dtype dt) {
  jet_attr a[3] = {ADC_INTS("start_indices", 1, 0), ADC_INTS("limit_indices", 5, 6), ADC_INTS("strides", 2, 3)};
  jet_value x = X(b, g, T(dt, 5, 6));
  out1(b, adc_op(b, JET_OP_SLICE, &x, 1, a, 3));
}
static void s_slice1(adc_b *b, gen *g, jet_dtype dt) { /* no strides */
  jet_attr a[2] = {ADC_INTS("start_indices", 1, 2, 0), ADC_INTS("limit_indices", 3, 3, 2)};
  jet_value x = X(b, g, T(dt, 3, 4, 2));
  out1(b, adc_op(b, JET_OP_SLICE, &x, 1, a, 2));
}
/* dynamic_slice with parameter starts in [-2, 7): clamped when out of range. */
static void s_dslice(adc_b *b, gen *g, jet_dtype dt) {
  jet_value o[3];
  o[0] = X(b, g, T(dt, 5, 4));
  o[1] = I(b, g, TS(JET_I32), -2, 7);
  o[2] = I(b, g, TS(JET_I32), -2, 7);
  jet_attr a = ADC_INTS("slice_sizes", 3, 2);
  out1(b, adc_op(b, JET_OP_DYNAMIC_SLICE, o, 3, &a, 1));
}
static void s_dslice1(adc_b *b, gen *g, jet_dtype dt) { /* rank 1, i64 start */
  jet_value o[2];
  o[0] = X(b, g, T(dt, 6));
  o[1] = P(b, g, TS(JET_I64), -2, 8);
  jet_attr a = ADC_INTS("slice_sizes", 3);
  out1(b, adc_op(b, JET_OP_DYNAMIC_SLICE, o, 2, &a, 1));
}
static void s_dslice3(adc_b *b, gen *g, jet_dtype dt) { /* rank 3: four parameters */
  jet_value o[4];
  o[0] = X(b, g, T(dt, 3, 4, 2));
  for (int i = 1; i < 4; i++) o[i] = I(b, g, TS(JET_I32), -1, 5);
  jet_attr a = ADC_INTS("slice_sizes", 2, 2, 1);
  out1(b, adc_op(b, JET_OP_DYNAMIC_SLICE, o, 4, &a, 1));
}
static void s_dus(adc_b *b, gen *g, jet_dtype dt) {
  jet_value o[4];
  o[0] = X(b, g, T(dt, 4, 5));
  o[1] = X(b, g, T(dt, 2, 3));
  o[2] = I(b, g, TS(JET_I32), -2, 6);
  o[3] = I(b, g, TS(JET_I32), -2, 6);
  out1(b, adc_op(b, JET_OP_DYNAMIC_UPDATE_SLICE, o, 4, NULL, 0));
}
static void s_dus1(adc_b *b, gen *g, jet_dtype dt) { /* rank 1, u32 start */
  jet_value o[3];
  o[0] = X(b, g, T(dt, 6));
  o[1] = X(b, g, T(dt, 2));
  o[2] = P(b, g, TS(JET_U32), 0, 9);
  out1(b, adc_op(b, JET_OP_DYNAMIC_UPDATE_SLICE, o, 3, NULL, 0));
}
static void s_concat(adc_b *b, gen *g, jet_dtype dt) {
  jet_value o[3];
  o[0] = X(b, g, T(dt, 2, 3));
  o[1] = X(b, g, T(dt, 1, 3));
  o[2] = X(b, g, T(dt, 3, 3));
  jet_attr a = adc_int("dimension", 0);
  out1(b, adc_op(b, JET_OP_CONCATENATE, o, 3, &a, 1));
}
static void s_concat1(adc_b *b, gen *g, jet_dtype dt) {
  jet_value o[2];
  o[0] = X(b, g, T(dt, 2, 1));
  o[1] = X(b, g, T(dt, 2, 3));
  jet_attr a = adc_int("dimension", 1);
  out1(b, adc_op(b, JET_OP_CONCATENATE, o, 2, &a, 1));
}
static void s_pad(adc_b *b, gen *g, jet_dtype dt) { /* interior and a negative (cropping) low pad */
  jet_value o[2];
  o[0] = X(b, g, T(dt, 2, 3));
  o[1] = X(b, g, TS(dt));
  jet_attr a = ADC_INTS("padding_config", 1, 2, 1, -1, 1, 0);
  out1(b, adc_op(b, JET_OP_PAD, o, 2, &a, 1));
}
static void s_pad1(adc_b *b, gen *g, jet_dtype dt) {
  jet_value o[2];
  o[0] = X(b, g, T(dt, 3));
  o[1] = X(b, g, TS(dt));
  jet_attr a = ADC_INTS("padding_config", 0, -1, 2);
  out1(b, adc_op(b, JET_OP_PAD, o, 2, &a, 1));
}
/* zero-size dimensions */
static void s_concat_empty(adc_b *b, gen *g, jet_dtype dt) {
  jet_value o[2];
  o[0] = X(b, g, T(dt, 0, 3));
  o[1] = X(b, g, T(dt, 2, 3));
  jet_attr a = adc_int("dimension", 0);
  out1(b, adc_op(b, JET_OP_CONCATENATE, o, 2, &a, 1));
}
static void r_sum_empty(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_REDUCE_SUM, X(b, g, T(dt, 0, 3)), ADC_INTS("axes", 0)));
}
/* rank 4 */
static void s_transpose4(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_TRANSPOSE, X(b, g, T(dt, 2, 1, 3, 2)), ADC_INTS("permutation", 3, 1, 0, 2)));
}
static void r_max4(adc_b *b, gen *g, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_REDUCE_MAX, X(b, g, T(dt, 2, 1, 3, 2)), ADC_INTS("axes", 1, 3)));
}

/* iota and constant have no operands: combined with a batched parameter. */
static void s_iota(adc_b *b, gen *g, jet_dtype dt) {
  jet_value x = X(b, g, T(dt, 2, 3));
  jet_attr a[3] = {adc_dtype("dtype", dt), ADC_INTS("shape", 2, 3), adc_int("dimension", 1)};
  out1(b, adc_op2(b, JET_OP_MUL, x, adc_op(b, JET_OP_IOTA, NULL, 0, a, 3)));
}
static void s_constant(adc_b *b, gen *g, jet_dtype dt) {
  static const double c[3] = {1.5, -2, 3};
  jet_buf cb = adc_buf(T(dt, 3));
  for (int i = 0; i < 3; i++) adc_set(&cb, i, c[i]);
  jet_value x = X(b, g, T(dt, 3));
  jet_value k = adc_const(b, cb.type, cb.data);
  adc_buf_free(&cb);
  out1(b, adc_op2(b, JET_OP_MAX, k, x));
}

/* ---------------------------------------------------------------- gather / scatter-add */

static jet_value gather(adc_b *b, jet_value x, jet_value i, const jet_attr *a, uint32_t n) {
  jet_value o[2] = {x, i};
  return adc_op(b, JET_OP_GATHER, o, 2, a, n);
}
/* rows of a [5,3] operand at indices in [-2, 7) (out of range: filled or clipped) */
static void g_rows(adc_b *b, gen *g, jet_dtype dt, int mode) {
  jet_value x = X(b, g, T(dt, 5, 3)), i = I(b, g, T(JET_I32, 4, 1), -2, 7);
  jet_attr a[5] = {ADC_INTS("offset_dims", 1), ADC_INTS("collapsed_slice_dims", 0), ADC_INTS("start_index_map", 0),
                   ADC_INTS("slice_sizes", 1, 3), adc_int("mode", mode)};
  out1(b, gather(b, x, i, a, 5));
}
static void g_fill(adc_b *b, gen *g, jet_dtype dt) { g_rows(b, g, dt, 1); }
static void g_clip(adc_b *b, gen *g, jet_dtype dt) { g_rows(b, g, dt, 0); }
static void g_front(adc_b *b, gen *g, jet_dtype dt) { /* offset dim first: result [3,4] */
  jet_value x = X(b, g, T(dt, 5, 3)), i = I(b, g, T(JET_I32, 4, 1), 0, 5);
  jet_attr a[4] = {ADC_INTS("offset_dims", 0), ADC_INTS("collapsed_slice_dims", 0), ADC_INTS("start_index_map", 0),
                   ADC_INTS("slice_sizes", 1, 3)};
  out1(b, gather(b, x, i, a, 4));
}
static void g_2d(adc_b *b, gen *g, jet_dtype dt) { /* 2x2 windows at 2-d starts (clipped) */
  jet_value x = X(b, g, T(dt, 4, 5)), i = I(b, g, T(JET_I32, 3, 2), -1, 5);
  jet_attr a[5] = {ADC_INTS("offset_dims", 1, 2), adc_ints("collapsed_slice_dims", NULL, 0),
                   ADC_INTS("start_index_map", 0, 1), ADC_INTS("slice_sizes", 2, 2), adc_int("mode", 0)};
  out1(b, gather(b, x, i, a, 5));
}
static void g_points(adc_b *b, gen *g, jet_dtype dt) { /* (col, row) points, both collapsed */
  jet_value x = X(b, g, T(dt, 4, 5)), i = I(b, g, T(JET_I32, 2, 3, 2), 0, 4);
  jet_attr a[4] = {adc_ints("offset_dims", NULL, 0), ADC_INTS("collapsed_slice_dims", 0, 1),
                   ADC_INTS("start_index_map", 1, 0), ADC_INTS("slice_sizes", 1, 1)};
  out1(b, gather(b, x, i, a, 4));
}
static void g_window(adc_b *b, gen *g, jet_dtype dt) { /* rank-1 indices: one 2x3 window */
  jet_value x = X(b, g, T(dt, 4, 5)), i = I(b, g, T(JET_I32, 2), -1, 5);
  jet_attr a[5] = {ADC_INTS("offset_dims", 0, 1), adc_ints("collapsed_slice_dims", NULL, 0),
                   ADC_INTS("start_index_map", 0, 1), ADC_INTS("slice_sizes", 2, 3), adc_int("mode", 0)};
  out1(b, gather(b, x, i, a, 5));
}
static void g_batch(adc_b *b, gen *g, jet_dtype dt) { /* existing batching dims */
  jet_value x = X(b, g, T(dt, 2, 5, 3)), i = I(b, g, T(JET_I32, 2, 4, 1), -1, 6);
  jet_attr a[7] = {ADC_INTS("offset_dims", 2), ADC_INTS("collapsed_slice_dims", 1),
                   ADC_INTS("start_index_map", 1), ADC_INTS("operand_batching_dims", 0),
                   ADC_INTS("start_indices_batching_dims", 0), ADC_INTS("slice_sizes", 1, 1, 3),
                   adc_int("mode", 1)};
  out1(b, gather(b, x, i, a, 7));
}
static void g_batch2(adc_b *b, gen *g, jet_dtype dt) { /* batching dim in the middle of both */
  jet_value x = X(b, g, T(dt, 5, 2, 3)), i = I(b, g, T(JET_I32, 4, 2, 1), 0, 5);
  jet_attr a[6] = {ADC_INTS("offset_dims", 2), ADC_INTS("collapsed_slice_dims", 0),
                   ADC_INTS("start_index_map", 0), ADC_INTS("operand_batching_dims", 1),
                   ADC_INTS("start_indices_batching_dims", 1), ADC_INTS("slice_sizes", 1, 1, 3)};
  out1(b, gather(b, x, i, a, 6));
}

static jet_value scatter(adc_b *b, jet_value x, jet_value i, jet_value u, const jet_attr *a, uint32_t n) {
  jet_value o[3] = {x, i, u};
  return adc_op(b, JET_OP_SCATTER_ADD, o, 3, a, n);
}
/* rows of [5,3] at indices in [-2, 7): duplicates add up, out of range are
 * dropped (mode 1) or clipped (mode 0) */
static void sc_rows(adc_b *b, gen *g, jet_dtype dt, int mode) {
  jet_value x = X(b, g, T(dt, 5, 3)), i = I(b, g, T(JET_I32, 4, 1), -2, 7), u = X(b, g, T(dt, 4, 3));
  jet_attr a[4] = {ADC_INTS("update_window_dims", 1), ADC_INTS("inserted_window_dims", 0),
                   ADC_INTS("scatter_dims_to_operand_dims", 0), adc_int("mode", mode)};
  out1(b, scatter(b, x, i, u, a, 4));
}
static void sc_drop(adc_b *b, gen *g, jet_dtype dt) { sc_rows(b, g, dt, 1); }
static void sc_clip(adc_b *b, gen *g, jet_dtype dt) { sc_rows(b, g, dt, 0); }
static void sc_front(adc_b *b, gen *g, jet_dtype dt) { /* window dim first in the updates */
  jet_value x = X(b, g, T(dt, 5, 3)), i = I(b, g, T(JET_I32, 4, 1), 0, 5), u = X(b, g, T(dt, 3, 4));
  jet_attr a[3] = {ADC_INTS("update_window_dims", 0), ADC_INTS("inserted_window_dims", 0),
                   ADC_INTS("scatter_dims_to_operand_dims", 0)};
  out1(b, scatter(b, x, i, u, a, 3));
}
static void sc_2d(adc_b *b, gen *g, jet_dtype dt) { /* overlapping 2x2 windows */
  jet_value x = X(b, g, T(dt, 4, 5)), i = I(b, g, T(JET_I32, 3, 2), 0, 4), u = X(b, g, T(dt, 3, 2, 2));
  jet_attr a[3] = {ADC_INTS("update_window_dims", 1, 2), adc_ints("inserted_window_dims", NULL, 0),
                   ADC_INTS("scatter_dims_to_operand_dims", 0, 1)};
  out1(b, scatter(b, x, i, u, a, 3));
}
static void sc_batch(adc_b *b, gen *g, jet_dtype dt) { /* existing batching dims */
  jet_value x = X(b, g, T(dt, 2, 5, 3)), i = I(b, g, T(JET_I32, 2, 4, 1), -1, 6), u = X(b, g, T(dt, 2, 4, 3));
  jet_attr a[5] = {ADC_INTS("update_window_dims", 2), ADC_INTS("inserted_window_dims", 1),
                   ADC_INTS("scatter_dims_to_operand_dims", 1), ADC_INTS("operand_batching_dims", 0),
                   ADC_INTS("scatter_indices_batching_dims", 0)};
  out1(b, scatter(b, x, i, u, a, 5));
}

/* ---------------------------------------------------------------- reductions */

static void reduce(adc_b *b, gen *g, jet_dtype dt, jet_op op, jet_type t, jet_attr a) {
  out1(b, op_a(b, op, P(b, g, t, -3, 3), a));
}
#define RED(fn, OP, ...)                                                                \
  static void fn(adc_b *b, gen *g, jet_dtype dt) {                                     \
    reduce(b, g, dt, OP, T(dt, 2, 3, 4), ADC_INTS("axes", __VA_ARGS__));              \
  }
RED(r_sum, JET_OP_REDUCE_SUM, 0, 2)
RED(r_sum_neg, JET_OP_REDUCE_SUM, -1)
RED(r_sum_all, JET_OP_REDUCE_SUM, 0, 1, 2)
RED(r_max, JET_OP_REDUCE_MAX, 1)
RED(r_max_neg, JET_OP_REDUCE_MAX, -3, -1)
RED(r_min, JET_OP_REDUCE_MIN, 0, 1)
RED(r_prod, JET_OP_REDUCE_PROD, 2)
RED(r_prod_all, JET_OP_REDUCE_PROD, 0, 1, 2)
static void r_sum_none(adc_b *b, gen *g, jet_dtype dt) {
  reduce(b, g, dt, JET_OP_REDUCE_SUM, T(dt, 2, 3), adc_ints("axes", NULL, 0));
}
static void argred(adc_b *b, gen *g, jet_dtype dt, jet_op op, int64_t axis, jet_dtype idt) {
  jet_attr a[2] = {ADC_INTS("axes", axis), adc_dtype("index_dtype", idt)};
  jet_value x = P(b, g, T(dt, 3, 4), -2, 2); /* ties in integer dtypes */
  out1(b, adc_op(b, op, &x, 1, a, 2));
}
static void r_argmax(adc_b *b, gen *g, jet_dtype dt) { argred(b, g, dt, JET_OP_ARGMAX, 1, JET_I32); }
static void r_argmax_neg(adc_b *b, gen *g, jet_dtype dt) { argred(b, g, dt, JET_OP_ARGMAX, -2, JET_I64); }
static void r_argmin(adc_b *b, gen *g, jet_dtype dt) { argred(b, g, dt, JET_OP_ARGMIN, 0, JET_I32); }
static void r_argmin_neg(adc_b *b, gen *g, jet_dtype dt) { argred(b, g, dt, JET_OP_ARGMIN, -1, JET_I64); }
static void cumsum(adc_b *b, gen *g, jet_dtype dt, int64_t axis, bool rev) {
  jet_attr a[2] = {adc_int("axis", axis), adc_bool("reverse", rev)};
  jet_value x = P(b, g, T(dt, 3, 4), -3, 3);
  out1(b, adc_op(b, JET_OP_CUMSUM, &x, 1, a, 2));
}
static void r_cumsum(adc_b *b, gen *g, jet_dtype dt) { cumsum(b, g, dt, 1, false); }
static void r_cumsum_rev(adc_b *b, gen *g, jet_dtype dt) { cumsum(b, g, dt, 0, true); }
static void r_cumsum_neg(adc_b *b, gen *g, jet_dtype dt) { cumsum(b, g, dt, -1, true); }

/* ---------------------------------------------------------------- dot_general */

static void dot(adc_b *b, gen *g, jet_type ta, jet_type tb, const jet_attr *a, uint32_t na) {
  jet_value o[2];
  o[0] = P(b, g, ta, -3, 3);
  o[1] = P(b, g, tb, -3, 3);
  out1(b, adc_op(b, JET_OP_DOT_GENERAL, o, 2, a, na));
}
static void d_matmul(adc_b *b, gen *g, jet_dtype dt) {
  jet_attr a[2] = {ADC_INTS("lhs_contracting_dimensions", 1), ADC_INTS("rhs_contracting_dimensions", 0)};
  dot(b, g, T(dt, 2, 3), T(dt, 3, 4), a, 2);
}
static void d_matvec(adc_b *b, gen *g, jet_dtype dt) {
  jet_attr a[2] = {ADC_INTS("lhs_contracting_dimensions", 1), ADC_INTS("rhs_contracting_dimensions", 0)};
  dot(b, g, T(dt, 3, 4), T(dt, 4), a, 2);
}
static void d_vec(adc_b *b, gen *g, jet_dtype dt) {
  jet_attr a[2] = {ADC_INTS("lhs_contracting_dimensions", 0), ADC_INTS("rhs_contracting_dimensions", 0)};
  dot(b, g, T(dt, 4), T(dt, 4), a, 2);
}
static void d_outer(adc_b *b, gen *g, jet_dtype dt) { /* no contraction */
  jet_attr a[2] = {adc_ints("lhs_contracting_dimensions", NULL, 0), adc_ints("rhs_contracting_dimensions", NULL, 0)};
  dot(b, g, T(dt, 3), T(dt, 2), a, 2);
}
static void d_tn(adc_b *b, gen *g, jet_dtype dt) { /* contracting the leading dims */
  jet_attr a[2] = {ADC_INTS("lhs_contracting_dimensions", 0), ADC_INTS("rhs_contracting_dimensions", 0)};
  dot(b, g, T(dt, 4, 3), T(dt, 4, 2), a, 2);
}
static void d_batch(adc_b *b, gen *g, jet_dtype dt) {
  jet_attr a[4] = {ADC_INTS("lhs_contracting_dimensions", 2), ADC_INTS("rhs_contracting_dimensions", 1),
                   ADC_INTS("lhs_batch_dimensions", 0), ADC_INTS("rhs_batch_dimensions", 0)};
  dot(b, g, T(dt, 2, 3, 4), T(dt, 2, 4, 5), a, 4);
}
static void d_mixed(adc_b *b, gen *g, jet_dtype dt) { /* lhs (a,e,b,c), rhs (b,d,c,a): batch b, contract c, a */
  jet_attr a[4] = {ADC_INTS("lhs_contracting_dimensions", 3, 0), ADC_INTS("rhs_contracting_dimensions", 2, 3),
                   ADC_INTS("lhs_batch_dimensions", 2), ADC_INTS("rhs_batch_dimensions", 0)};
  dot(b, g, T(dt, 3, 2, 2, 4), T(dt, 2, 5, 4, 3), a, 4);
}
static void d_pref(adc_b *b, gen *g, jet_dtype dt) { /* preferred_element_type f64 */
  jet_attr a[3] = {ADC_INTS("lhs_contracting_dimensions", 1), ADC_INTS("rhs_contracting_dimensions", 0),
                   adc_dtype("preferred_element_type", JET_F64)};
  dot(b, g, T(dt, 2, 3), T(dt, 3, 2), a, 3);
}

/* ---------------------------------------------------------------- call */

/* callee(a, s) = (sin(a) * s, a + s) with s a scalar; the outer graph
 * multiplies the results. */
static void c_call(adc_b *b, gen *g, jet_dtype dt) {
  jet_value x = X(b, g, T(dt, 3)), y = X(b, g, TS(dt));
  if (b->st) return;
  jet_graph *cg = jet_graph_create_child(b->g, "callee");
  adc_b c = {cg, cg ? NULL : jet_status_oom("callee")};
  jet_value p = adc_param(&c, T(dt, 3)), q = adc_param(&c, TS(dt));
  jet_value r[2] = {adc_op2(&c, JET_OP_MUL, adc_op1(&c, JET_OP_SIN, p), q), adc_op2(&c, JET_OP_ADD, p, q)};
  adc_outputs(&c, r, 2);
  if (c.st) {
    b->st = c.st;
    return;
  }
  jet_value args[2] = {x, y}, v = JET_NO_VALUE;
  b->st = jet_graph_add_node(b->g, JET_OP_CALL, args, 2, NULL, 0, cg, NULL, 0, &v);
  jet_value outs[2] = {adc_op2(b, JET_OP_MUL, v, v + 1), v + 1};
  adc_outputs(b, outs, 2);
}

/* Control flow: sub-graphs are built with the same helpers, as children of
 * the case's graph; sub_done moves a sub-graph's error into the case. */
static adc_b sub_begin(adc_b *b, const char *name) {
  jet_graph *g = b->st ? NULL : jet_graph_create_child(b->g, name);
  adc_b c = {g, b->st ? jet_status_make(JET_CANCELLED, "skipped")
                      : g ? NULL : jet_status_oom("sub-graph")};
  return c;
}
static bool sub_done(adc_b *b, adc_b *c) {
  if (c->st && !b->st) {
    b->st = c->st;
  } else {
    jet_status_free(c->st);
  }
  c->st = NULL;
  return !b->st;
}
/* op(x; attrs) with sub-graphs subs; returns the first result. */
static jet_value ctl(adc_b *b, jet_op op, const jet_value *x, uint32_t n, const jet_attr *a,
                     uint32_t na, adc_b *subs, uint32_t ns) {
  jet_graph *g[4];
  for (uint32_t k = 0; k < ns; k++) {
    sub_done(b, &subs[k]);
    g[k] = subs[k].g;
  }
  jet_value v = JET_NO_VALUE;
  if (!b->st) b->st = jet_graph_add_node_sub(b->g, op, x, n, a, na, g, ns, &v);
  return v;
}

/* cond(bool pred, x, y): max(x, y), y | x * y, 7 (the second output
 * unbatched in one branch). */
static void k_cond(adc_b *b, gen *g, jet_dtype dt) {
  jet_value p = P(b, g, TS(JET_BOOL), 0, 2), x = X(b, g, T(dt, 2, 3)), y = X(b, g, TS(dt));
  adc_b br[2] = {sub_begin(b, "no"), sub_begin(b, "yes")};
  jet_value bx0 = adc_param(&br[0], T(dt, 2, 3)), by0 = adc_param(&br[0], TS(dt));
  jet_value o0[2] = {adc_op2(&br[0], JET_OP_MAX, bx0, by0), by0};
  adc_outputs(&br[0], o0, 2);
  jet_value bx1 = adc_param(&br[1], T(dt, 2, 3));
  adc_param(&br[1], TS(dt));
  jet_value o1[2] = {adc_op2(&br[1], JET_OP_MUL, bx1, bx1), adc_scalar(&br[1], dt, 7)};
  adc_outputs(&br[1], o1, 2);
  jet_value ops[3] = {p, x, y}, v = ctl(b, JET_OP_COND, ops, 3, NULL, 0, br, 2);
  jet_value outs[2] = {v, v + 1};
  if (!b->st) adc_outputs(b, outs, 2);
}

/* switch (i32 index from [-2, 5): clamped) over 3 branches. */
static void k_switch(adc_b *b, gen *g, jet_dtype dt) {
  jet_value i = I(b, g, TS(JET_I32), -2, 5), x = X(b, g, T(dt, 3));
  adc_b br[3] = {sub_begin(b, "b0"), sub_begin(b, "b1"), sub_begin(b, "b2")};
  static const jet_op op[3] = {JET_OP_NEG, JET_OP_ABS, JET_OP_SQUARE};
  for (int k = 0; k < 3; k++) {
    jet_value q = adc_param(&br[k], T(dt, 3));
    out1(&br[k], adc_op1(&br[k], op[k], q));
  }
  jet_value ops[2] = {i, x};
  out1(b, ctl(b, JET_OP_COND, ops, 2, NULL, 0, br, 3));
}

/* while[n_consts=2](x, n; i = 0, acc): i < n; i + 1, acc + x. Mapping n
 * makes the predicate batched. */
static void k_while(adc_b *b, gen *g, jet_dtype dt) {
  jet_value x = X(b, g, T(dt, 3)), n = I(b, g, TS(JET_I32), 0, 4), acc = X(b, g, T(dt, 3));
  adc_b sg[2] = {sub_begin(b, "c"), sub_begin(b, "b")};
  jet_value q[2][4];
  for (int k = 0; k < 2; k++) {
    q[k][0] = adc_param(&sg[k], T(dt, 3));
    q[k][1] = adc_param(&sg[k], TS(JET_I32));
    q[k][2] = adc_param(&sg[k], TS(JET_I32));
    q[k][3] = adc_param(&sg[k], T(dt, 3));
  }
  out1(&sg[0], adc_op2(&sg[0], JET_OP_LT, q[0][2], q[0][1]));
  jet_value nb[2] = {adc_op2(&sg[1], JET_OP_ADD, q[1][2], adc_scalar(&sg[1], JET_I32, 1)),
                     adc_op2(&sg[1], JET_OP_ADD, q[1][3], q[1][0])};
  adc_outputs(&sg[1], nb, 2);
  jet_value zero = adc_scalar(b, JET_I32, 0);
  jet_value ops[4] = {x, n, zero, acc};
  jet_attr a = adc_int("n_consts", 2);
  jet_value v = ctl(b, JET_OP_WHILE, ops, 4, &a, 1, sg, 2);
  jet_value outs[2] = {v, v + 1};
  if (!b->st) adc_outputs(b, outs, 2);
}

/* scan[n_consts=1, n_carry=1](c; init; xs): carry + x, ys (x * c, the
 * carry before the step). */
static void scan_case(adc_b *b, gen *g, jet_dtype dt, bool reverse) {
  jet_value c = X(b, g, TS(dt)), init = X(b, g, T(dt, 3)), xs = X(b, g, T(dt, 4, 3));
  adc_b body = sub_begin(b, "body");
  jet_value pc = adc_param(&body, TS(dt)), pk = adc_param(&body, T(dt, 3)),
            px = adc_param(&body, T(dt, 3));
  jet_value o[3] = {adc_op2(&body, JET_OP_ADD, pk, px), adc_op2(&body, JET_OP_MUL, px, pc), pk};
  adc_outputs(&body, o, 3);
  jet_value ops[3] = {c, init, xs};
  jet_attr a[4] = {adc_int("n_consts", 1), adc_int("n_carry", 1), adc_int("length", 4),
                   adc_bool("reverse", reverse)};
  jet_value v = ctl(b, JET_OP_SCAN, ops, 3, a, 4, &body, 1);
  jet_value outs[3] = {v, v + 1, v + 2};
  if (!b->st) adc_outputs(b, outs, 3);
}
static void k_scan(adc_b *b, gen *g, jet_dtype dt) { scan_case(b, g, dt, false); }
static void k_scan_rev(adc_b *b, gen *g, jet_dtype dt) { scan_case(b, g, dt, true); }

/* ---------------------------------------------------------------- table */

#define B3(OP, fn, name, dts)                                              \
  {OP, name, fn, dts, false}, {OP, name "(scalar x)", fn##_sx, dts, false}, \
      {OP, name "(scalar y)", fn##_sy, dts, false}

/* Collectives: they run only inside a vmap of their axis name, so f(x) =
 * vmap(body, axis_name='i', size 3)(x) as a call node (nested: [vmap 'j'
 * of size 2, vmap 'i'] around a body over 'i', which the inner vmap passes
 * through), batched again by the checks. The collectives' results against
 * independent references: test_server_collectives.c. */
static jet_attr an_i(void) { return (jet_attr){.name = "axis_name", .kind = JET_ATTR_STR, .u.s = "i"}; }
static void coll(adc_b *b, gen *g, jet_dtype dt, jet_op op, const int64_t *xd, int32_t xr,
                 const jet_attr *a, uint32_t na, bool nested) {
  jet_type xt = jet_type_make(dt, xr, xd), ft = xt;
  int32_t lead = nested ? 2 : 1;
  for (int32_t d = xr - 1; d >= 0; d--) ft.dims[d + lead] = xt.dims[d];
  ft.dims[0] = 3;
  ft.dims[1] = nested ? 2 : ft.dims[1];
  ft.rank = xr + lead;
  jet_value x = X(b, g, ft);
  if (b->st) return;
  jet_graph *cg = jet_graph_create_child(b->g, "callee");
  adc_b c = {cg, cg ? NULL : jet_status_oom("callee")};
  jet_value p = adc_param(&c, xt), y;
  if (op == JET_OP_AXIS_INDEX) {
    jet_value i = adc_op(&c, op, NULL, 0, a, na);
    y = adc_op2(&c, JET_OP_ADD, p, op_a(&c, JET_OP_CONVERT_ELEMENT_TYPE, i, adc_dtype("new_dtype", dt)));
  } else {
    y = adc_op(&c, op, &p, 1, a, na);
  }
  adc_outputs(&c, &y, 1);
  if (c.st) {
    b->st = c.st;
    return;
  }
  jet_transform tf[2] = {gb_vmap(NULL, 0, NULL, 0, 2), gb_vmap(NULL, 0, NULL, 0, 3)};
  tf[0].axis_name = "j";
  tf[1].axis_name = "i";
  jet_value v = 0;
  b->st = jet_graph_add_node(b->g, JET_OP_CALL, &x, 1, NULL, 0, cg, tf + !nested, 1 + nested, &v);
  out1(b, v);
}
#define COLL(fn, OP, dims, ...)                                                            \
  static void fn(adc_b *b, gen *g, jet_dtype dt) {                                          \
    const jet_attr a[] = {__VA_ARGS__};                                            \
    coll(b, g, dt, OP, ADC_DIMS dims, sizeof(ADC_DIMS dims) / 8, a, sizeof a / sizeof a[0], false); \
  }                                                                                          \
  static void fn##_n(adc_b *b, gen *g, jet_dtype dt) {                                      \
    const jet_attr a[] = {__VA_ARGS__};                                            \
    coll(b, g, dt, OP, ADC_DIMS dims, sizeof(ADC_DIMS dims) / 8, a, sizeof a / sizeof a[0], true); \
  }
COLL(k_psum, JET_OP_PSUM, (2, 3), an_i())
COLL(k_pmax, JET_OP_PMAX, (2), an_i())
COLL(k_pmin, JET_OP_PMIN, (2, 2), an_i())
COLL(k_gather, JET_OP_ALL_GATHER, (2), an_i(), adc_int("axis_size", 3), adc_int("axis", 1))
COLL(k_gather_t, JET_OP_ALL_GATHER, (2, 2), an_i(), adc_int("axis_size", 3), adc_int("axis", 1), adc_bool("tiled", true))
COLL(k_scatter, JET_OP_PSUM_SCATTER, (2, 3), an_i(), adc_int("axis_size", 3), adc_int("scatter_dimension", 1))
COLL(k_scatter_t, JET_OP_PSUM_SCATTER, (6, 2), an_i(), adc_int("axis_size", 3), adc_bool("tiled", true))
COLL(k_ppermute, JET_OP_PPERMUTE, (2), an_i(), ADC_INTS("perm", 0, 1, 1, 2, 2, 0))
COLL(k_ppermute0, JET_OP_PPERMUTE, (2), an_i(), ADC_INTS("perm", 2, 0))
COLL(k_a2a, JET_OP_ALL_TO_ALL, (2, 3), an_i(), adc_int("axis_size", 3), adc_int("split_axis", 1), adc_int("concat_axis", 0))
COLL(k_a2a_t, JET_OP_ALL_TO_ALL, (3, 2), an_i(), adc_int("axis_size", 3), adc_int("split_axis", 0), adc_int("concat_axis", 1),
     adc_bool("tiled", true))
COLL(k_index, JET_OP_AXIS_INDEX, (2), an_i())

static const op_case cases[] = {
    {JET_OP_NEG, "neg", u_neg, DN | BIT(JET_I64) | BIT(JET_U8), false},
    {JET_OP_NEG, "neg(scalar)", u_neg_s, DN, false},
    {JET_OP_ABS, "abs", u_abs, DS, false},
    {JET_OP_SIGN, "sign", u_sign, DN, false},
    {JET_OP_FLOOR, "floor", u_floor, DF, false},
    {JET_OP_CEIL, "ceil", u_ceil, DF, false},
    {JET_OP_ROUND, "round", u_round, DF, false},
    {JET_OP_ROUND, "round(method 1)", u_round1, DF, false},
    {JET_OP_IS_FINITE, "is_finite", u_isfin, DF, false},
    {JET_OP_EXP, "exp", u_exp, DF, false},
    {JET_OP_EXP2, "exp2", u_exp2, DF, false},
    {JET_OP_LOG, "log", u_log, DF, false},
    {JET_OP_LOG1P, "log1p", u_log1p, DF, false},
    {JET_OP_EXPM1, "expm1", u_expm1, DF, false},
    {JET_OP_SQRT, "sqrt", u_sqrt, DF, false},
    {JET_OP_RSQRT, "rsqrt", u_rsqrt, DF, false},
    {JET_OP_TANH, "tanh", u_tanh, DF, false},
    {JET_OP_LOGISTIC, "logistic", u_logistic, DF, false},
    {JET_OP_SIN, "sin", u_sin, DF, false},
    {JET_OP_COS, "cos", u_cos, DF, false},
    {JET_OP_TAN, "tan", u_tan, DF, false},
    {JET_OP_ASIN, "asin", u_asin, DF, false},
    {JET_OP_ACOS, "acos", u_acos, DF, false},
    {JET_OP_ATAN, "atan", u_atan, DF, false},
    {JET_OP_SINH, "sinh", u_sinh, DF, false},
    {JET_OP_COSH, "cosh", u_cosh, DF, false},
    {JET_OP_ERF, "erf", u_erf, DF, false},
    {JET_OP_ERF_INV, "erf_inv", u_erfinv, DF, false},
    {JET_OP_INTEGER_POW, "integer_pow(3)", u_ipow3, DN, false},
    {JET_OP_INTEGER_POW, "integer_pow(0)", u_ipow0, DN, false},
    {JET_OP_INTEGER_POW, "integer_pow(-2)", u_ipowm2, DF, false},
    {JET_OP_SQUARE, "square", u_square, DN, false},
    {JET_OP_NOT, "not", u_not, DIB, false},
    B3(JET_OP_ADD, b_add, "add", DN | BIT(JET_I64) | BIT(JET_U8)),
    {JET_OP_ADD, "add(scalar, scalar)", b_add_ss, DN, false},
    B3(JET_OP_SUB, b_sub, "sub", DN),
    B3(JET_OP_MUL, b_mul, "mul", DN),
    B3(JET_OP_DIV, b_div, "div", DN),
    B3(JET_OP_REM, b_rem, "rem", DN),
    B3(JET_OP_POW, b_pow, "pow", DF),
    B3(JET_OP_MAX, b_max, "max", DA),
    B3(JET_OP_MIN, b_min, "min", DA),
    B3(JET_OP_ATAN2, b_atan2, "atan2", DF),
    B3(JET_OP_AND, b_and, "and", DIB),
    B3(JET_OP_OR, b_or, "or", DIB),
    B3(JET_OP_XOR, b_xor, "xor", DIB),
    B3(JET_OP_SHIFT_LEFT, b_shl, "shift_left", DI),
    B3(JET_OP_SHIFT_RIGHT_LOGICAL, b_shrl, "shift_right_logical", DI),
    B3(JET_OP_SHIFT_RIGHT_ARITHMETIC, b_shra, "shift_right_arithmetic", DI),
    B3(JET_OP_EQ, b_eq, "eq", DA),
    B3(JET_OP_NE, b_ne, "ne", DA),
    B3(JET_OP_LT, b_lt, "lt", DA),
    B3(JET_OP_LE, b_le, "le", DA),
    B3(JET_OP_GT, b_gt, "gt", DA),
    B3(JET_OP_GE, b_ge, "ge", DA),
    {JET_OP_SELECT, "select", t_select, DA, false},
    {JET_OP_SELECT, "select(scalar pred)", t_select_s, DA, false},
    {JET_OP_SELECT, "select(all scalar)", t_select_ss, DFI, false},
    {JET_OP_CLAMP, "clamp", t_clamp, DN, false},
    {JET_OP_CLAMP, "clamp(scalar bounds)", t_clamp_s, DN, false},
    {JET_OP_CLAMP, "clamp(scalar lo, array hi)", t_clamp_m, DFI, false},
    {JET_OP_CONVERT_ELEMENT_TYPE, "convert to f32", t_cvt_f32, BIT(JET_F64) | BIT(JET_I32) | BIT(JET_BOOL), false},
    {JET_OP_CONVERT_ELEMENT_TYPE, "convert to f64", t_cvt_f64, BIT(JET_F32) | BIT(JET_U32), false},
    {JET_OP_CONVERT_ELEMENT_TYPE, "convert to i32", t_cvt_i32, DF | BIT(JET_I64), false},
    {JET_OP_CONVERT_ELEMENT_TYPE, "convert to bool", t_cvt_bool, BIT(JET_I32) | BIT(JET_F64), false},
    {JET_OP_BITCAST_CONVERT_TYPE, "bitcast_convert_type", t_bitcast, DF | BIT(JET_I64) | BIT(JET_U32), false},
    {JET_OP_BROADCAST_IN_DIM, "broadcast_in_dim", s_bcast, DA, false},
    {JET_OP_BROADCAST_IN_DIM, "broadcast_in_dim(size-1 dim)", s_bcast1, DFI, false},
    {JET_OP_BROADCAST_IN_DIM, "broadcast_in_dim(scalar)", s_bcast0, DFI, false},
    {JET_OP_BROADCAST_IN_DIM, "broadcast_in_dim(new middle dim)", s_bcastt, DFI, false},
    {JET_OP_RESHAPE, "reshape", s_reshape, DA, false},
    {JET_OP_RESHAPE, "reshape(scalar)", s_reshape0, DFI, false},
    {JET_OP_RESHAPE, "reshape(split)", s_reshape1, DFI, false},
    {JET_OP_TRANSPOSE, "transpose", s_transpose, DA, false},
    {JET_OP_SQUEEZE, "squeeze", s_squeeze, DA, false},
    {JET_OP_SQUEEZE, "squeeze(negative dim)", s_squeeze_neg, DFI, false},
    {JET_OP_EXPAND_DIMS, "expand_dims", s_expand, DA, false},
    {JET_OP_EXPAND_DIMS, "expand_dims(negative dim)", s_expand_neg, DFI, false},
    {JET_OP_REV, "rev", s_rev, DA, false},
    {JET_OP_SLICE, "slice(strided)", s_slice, DA, false},
    {JET_OP_SLICE, "slice", s_slice1, DFI, false},
    {JET_OP_DYNAMIC_SLICE, "dynamic_slice", s_dslice, DA, false},
    {JET_OP_DYNAMIC_SLICE, "dynamic_slice(rank 1, i64 start)", s_dslice1, DFI, false},
    {JET_OP_DYNAMIC_SLICE, "dynamic_slice(rank 3)", s_dslice3, DFI, false},
    {JET_OP_DYNAMIC_UPDATE_SLICE, "dynamic_update_slice", s_dus, DA, false},
    {JET_OP_DYNAMIC_UPDATE_SLICE, "dynamic_update_slice(rank 1, u32 start)", s_dus1, DFI, false},
    {JET_OP_CONCATENATE, "concatenate", s_concat, DA, false},
    {JET_OP_CONCATENATE, "concatenate(dimension 1)", s_concat1, DFI, false},
    {JET_OP_CONCATENATE, "concatenate(empty operand)", s_concat_empty, DFI, false},
    {JET_OP_REDUCE_SUM, "reduce_sum(empty axis)", r_sum_empty, DFI, true},
    {JET_OP_TRANSPOSE, "transpose(rank 4)", s_transpose4, DFI, false},
    {JET_OP_REDUCE_MAX, "reduce_max(rank 4)", r_max4, DFI, true},
    {JET_OP_PAD, "pad(interior, negative)", s_pad, DA, false},
    {JET_OP_PAD, "pad(rank 1)", s_pad1, DFI, false},
    {JET_OP_IOTA, "iota * x", s_iota, DN, false},
    {JET_OP_CONSTANT, "max(constant, x)", s_constant, DA, false},
    {JET_OP_GATHER, "gather(rows, fill)", g_fill, DA, false},
    {JET_OP_GATHER, "gather(rows, clip)", g_clip, DFI, false},
    {JET_OP_GATHER, "gather(offset dim first)", g_front, DFI, false},
    {JET_OP_GATHER, "gather(2-d windows)", g_2d, DFI, false},
    {JET_OP_GATHER, "gather(points, permuted index map)", g_points, DFI, false},
    {JET_OP_GATHER, "gather(rank-1 indices)", g_window, DFI, false},
    {JET_OP_GATHER, "gather(batching dims)", g_batch, DFI, false},
    {JET_OP_GATHER, "gather(batching dims in the middle)", g_batch2, DFI, false},
    {JET_OP_SCATTER_ADD, "scatter-add(rows, drop)", sc_drop, DN, false},
    {JET_OP_SCATTER_ADD, "scatter-add(rows, clip)", sc_clip, DFI, false},
    {JET_OP_SCATTER_ADD, "scatter-add(window dim first)", sc_front, DFI, false},
    {JET_OP_SCATTER_ADD, "scatter-add(2-d windows)", sc_2d, DFI, false},
    {JET_OP_SCATTER_ADD, "scatter-add(batching dims)", sc_batch, DFI, false},
    {JET_OP_REDUCE_SUM, "reduce_sum", r_sum, DN, true},
    {JET_OP_REDUCE_SUM, "reduce_sum(negative axis)", r_sum_neg, DFI, true},
    {JET_OP_REDUCE_SUM, "reduce_sum(all axes)", r_sum_all, DN, true},
    {JET_OP_REDUCE_SUM, "reduce_sum(no axes)", r_sum_none, DFI, true},
    {JET_OP_REDUCE_MAX, "reduce_max", r_max, DA, true},
    {JET_OP_REDUCE_MAX, "reduce_max(negative axes)", r_max_neg, DFI, true},
    {JET_OP_REDUCE_MIN, "reduce_min", r_min, DA, true},
    {JET_OP_REDUCE_PROD, "reduce_prod", r_prod, DN, true},
    {JET_OP_REDUCE_PROD, "reduce_prod(all axes)", r_prod_all, DFI, true},
    {JET_OP_ARGMAX, "argmax", r_argmax, DN, false},
    {JET_OP_ARGMAX, "argmax(negative axis, i64)", r_argmax_neg, DFI, false},
    {JET_OP_ARGMIN, "argmin", r_argmin, DN, false},
    {JET_OP_ARGMIN, "argmin(negative axis, i64)", r_argmin_neg, DFI, false},
    {JET_OP_CUMSUM, "cumsum", r_cumsum, DN, true},
    {JET_OP_CUMSUM, "cumsum(reverse)", r_cumsum_rev, DFI, true},
    {JET_OP_CUMSUM, "cumsum(negative axis, reverse)", r_cumsum_neg, DFI, true},
    {JET_OP_DOT_GENERAL, "dot_general(matmul)", d_matmul, DN, true},
    {JET_OP_DOT_GENERAL, "dot_general(matrix-vector)", d_matvec, DFI, true},
    {JET_OP_DOT_GENERAL, "dot_general(vector)", d_vec, DFI, true},
    {JET_OP_DOT_GENERAL, "dot_general(outer)", d_outer, DFI, true},
    {JET_OP_DOT_GENERAL, "dot_general(leading contraction)", d_tn, DFI, true},
    {JET_OP_DOT_GENERAL, "dot_general(batch)", d_batch, DN, true},
    {JET_OP_DOT_GENERAL, "dot_general(batch, two contracting dims)", d_mixed, DFI, true},
    {JET_OP_DOT_GENERAL, "dot_general(preferred f64)", d_pref, BIT(JET_F32) | BIT(JET_I32), true},
    {JET_OP_STOP_GRADIENT, "stop_gradient", u_stopgrad, DA, false},
    {JET_OP_CALL, "call", c_call, DF, false},
    {JET_OP_COND, "cond", k_cond, DFI, false},
    {JET_OP_COND, "cond(switch, 3 branches)", k_switch, DFI, false},
    {JET_OP_WHILE, "while", k_while, DFI, false},
    {JET_OP_SCAN, "scan", k_scan, DFI, false},
    {JET_OP_SCAN, "scan(reverse)", k_scan_rev, DFI, false},
    {JET_OP_PSUM, "psum (in vmap 'i')", k_psum, DN, true},
    {JET_OP_PSUM, "psum (in vmap 'j' in vmap 'i')", k_psum_n, DN, true},
    {JET_OP_PMAX, "pmax (in vmap 'i')", k_pmax, DN, false},
    {JET_OP_PMAX, "pmax (in vmap 'j' in vmap 'i')", k_pmax_n, DN, false},
    {JET_OP_PMIN, "pmin (in vmap 'i')", k_pmin, DN, false},
    {JET_OP_PMIN, "pmin (in vmap 'j' in vmap 'i')", k_pmin_n, DN, false},
    {JET_OP_ALL_GATHER, "all_gather (in vmap 'i')", k_gather, DA, false},
    {JET_OP_ALL_GATHER, "all_gather (in vmap 'j' in vmap 'i')", k_gather_n, DA, false},
    {JET_OP_ALL_GATHER, "all_gather(tiled) (in vmap 'i')", k_gather_t, DA, false},
    {JET_OP_ALL_GATHER, "all_gather(tiled) (in vmap 'j' in vmap 'i')", k_gather_t_n, DA, false},
    {JET_OP_PSUM_SCATTER, "psum_scatter (in vmap 'i')", k_scatter, DN, true},
    {JET_OP_PSUM_SCATTER, "psum_scatter (in vmap 'j' in vmap 'i')", k_scatter_n, DN, true},
    {JET_OP_PSUM_SCATTER, "psum_scatter(tiled) (in vmap 'i')", k_scatter_t, DN, true},
    {JET_OP_PSUM_SCATTER, "psum_scatter(tiled) (in vmap 'j' in vmap 'i')", k_scatter_t_n, DN, true},
    {JET_OP_PPERMUTE, "ppermute (in vmap 'i')", k_ppermute, DA, false},
    {JET_OP_PPERMUTE, "ppermute (in vmap 'j' in vmap 'i')", k_ppermute_n, DA, false},
    {JET_OP_PPERMUTE, "ppermute(zeros) (in vmap 'i')", k_ppermute0, DA, false},
    {JET_OP_PPERMUTE, "ppermute(zeros) (in vmap 'j' in vmap 'i')", k_ppermute0_n, DA, false},
    {JET_OP_ALL_TO_ALL, "all_to_all (in vmap 'i')", k_a2a, DA, false},
    {JET_OP_ALL_TO_ALL, "all_to_all (in vmap 'j' in vmap 'i')", k_a2a_n, DA, false},
    {JET_OP_ALL_TO_ALL, "all_to_all(tiled) (in vmap 'i')", k_a2a_t, DA, false},
    {JET_OP_ALL_TO_ALL, "all_to_all(tiled) (in vmap 'j' in vmap 'i')", k_a2a_t_n, DA, false},
    {JET_OP_AXIS_INDEX, "axis_index (in vmap 'i')", k_index, DFI, false},
    {JET_OP_AXIS_INDEX, "axis_index (in vmap 'j' in vmap 'i')", k_index_n, DFI, false},
};
#define N_CASES (sizeof(cases) / sizeof(cases[0]))

static uint64_t base_seed(void) {
  const char *s = getenv("VMAP_OPS_SEED");
  return s ? strtoull(s, NULL, 0) : 0x7a9b00u;
}

/* Runs case k for dtype dt: one trial per non-empty subset of mapped
 * parameters (random subsets when there are more than 4). */
static int run_case(size_t k, jet_dtype dt, int *n_checks) {
  const op_case *c = &cases[k];
  gen g;
  memset(&g, 0, sizeof g);
  char name[128];
  snprintf(name, sizeof name, "%s, %s", c->name, jet_dtype_name(dt));
  adc_b b = adc_begin(c->name);
  if (!b.st) c->build(&b, &g, dt);
  jet_graph *f = adc_finish(&b, name);
  if (!f) return 1;
  uint32_t np = f->n_params;
  uint32_t n_sub = np <= 4 ? (1u << np) - 1 : 0; /* enumerated subsets */
  uint32_t n_trials = np <= 4 ? N_REPS * n_sub : N_RANDOM_TRIALS;
  const char *tr = getenv("VMAP_OPS_TRIALS");
  if (tr && np > 4) n_trials = (uint32_t)atoi(tr);
  int fails = 0;
  uint64_t seed = base_seed() + k * 1009 + (uint64_t)dt * 31;
  adc_rng r = {seed};
  for (uint32_t t = 0; t < n_trials; t++) {
    uint32_t mask = np <= 4 ? t % n_sub + 1 : (uint32_t)adc_randint(&r, 1, (int64_t)((1u << np) - 1));
    int64_t size = adc_randint(&r, 1, 4);
    vmc_level lv[1];
    vmc_random_levels(f, &r, &size, 1, &mask, true, lv);
    char label[192];
    snprintf(label, sizeof label, "%s, trial %u (seed 0x%llx)", name, t, (unsigned long long)seed);
    vmc_opts o = {.label = label, .tol = c->approx ? (dt == JET_F32 ? 1e-5 : 1e-12) : 0, .dom = g.dom,
                  .via_call = t % 2 == 1};
    fails += vmc_check(f, lv, 1, &r, &o);
    (*n_checks)++;
  }
  /* the same function under pmap (one member per device, compiled) */
  for (uint32_t t = 0; t < N_PMAP; t++) {
    uint32_t mask = (uint32_t)adc_randint(&r, 1, (int64_t)((1u << (np < 16 ? np : 16)) - 1));
    int64_t size = adc_randint(&r, 1, 4);
    vmc_level lv[1];
    vmc_random_levels(f, &r, &size, 1, &mask, true, lv);
    char label[192];
    snprintf(label, sizeof label, "%s, pmap trial %u (seed 0x%llx)", name, t, (unsigned long long)seed);
    /* compiled kernels (fused tiles, SLEEF) may differ from the reference
     * kernels by a few ulp: floats within the approximate tolerance */
    vmc_opts o = {.label = label, .tol = dt == JET_F32 ? 1e-5 : dt == JET_F64 ? 1e-12 : 0,
                  .dom = g.dom, .pmap = true};
    fails += vmc_check(f, lv, 1, &r, &o);
    (*n_checks)++;
  }
  /* nested: vmap of vmap, each level mapping a random subset */
  for (uint32_t t = 0; t < N_NESTED; t++) {
    int64_t sizes[2] = {adc_randint(&r, 1, 3), adc_randint(&r, 1, 3)};
    uint32_t masks[2] = {(uint32_t)adc_randint(&r, 1, (int64_t)((1u << np) - 1)),
                         (uint32_t)adc_randint(&r, 0, (int64_t)((1u << np) - 1))};
    vmc_level lv[2];
    vmc_random_levels(f, &r, sizes, 2, masks, false, lv);
    char label[192];
    snprintf(label, sizeof label, "%s, nested trial %u (seed 0x%llx)", name, t, (unsigned long long)seed);
    vmc_opts o = {.label = label, .tol = c->approx ? (dt == JET_F32 ? 1e-5 : 1e-12) : 0, .dom = g.dom,
                  .via_call = t % 2 == 1};
    fails += vmc_check(f, lv, 2, &r, &o);
    (*n_checks)++;
  }
  jet_graph_destroy(f);
  return fails;
}

static void every_op_has_a_case(void **state) {
  (void)state;
  int missing = 0;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    bool found = elsewhere((jet_op)op);
    for (size_t k = 0; k < N_CASES; k++) found |= cases[k].op == (jet_op)op;
    if (!found) {
      fprintf(stderr, "op '%s' has no case in test_server_vmap_ops.c\n", jet_op_name((jet_op)op));
      missing++;
    }
  }
  assert_int_equal(missing, 0);
}

/* Every dtype a case lists is one the op accepts. */
static void case_dtypes_are_accepted(void **state) {
  (void)state;
  int bad = 0;
  for (size_t k = 0; k < N_CASES; k++) {
    const jet_op_info *info = jet_op_get(cases[k].op);
    if (!cases[k].dtypes) bad++;
    if (info && info->n_operands != 0 && cases[k].op != JET_OP_CONVERT_ELEMENT_TYPE &&
        cases[k].op != JET_OP_BITCAST_CONVERT_TYPE && (cases[k].dtypes & ~info->dtype_mask)) {
      fprintf(stderr, "case '%s' lists a dtype that '%s' does not accept\n", cases[k].name, info->name);
      bad++;
    }
  }
  assert_int_equal(bad, 0);
}

static void all_cases(void **state) {
  (void)state;
  int fails = 0, bad_cases = 0, checks = 0;
  for (size_t k = 0; k < N_CASES; k++) {
    for (int dt = 0; dt < JET_DTYPE_COUNT; dt++) {
      if (!(cases[k].dtypes & BIT(dt))) continue;
      int n = run_case(k, (jet_dtype)dt, &checks);
      fails += n;
      bad_cases += n > 0;
    }
  }
  fprintf(stderr, "%zu cases, %d vmap checks, %d failing case/dtype pairs, %d failed checks\n", N_CASES,
          checks, bad_cases, fails);
  assert_int_equal(fails, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_op_has_a_case),
      cmocka_unit_test(case_dtypes_are_accepted),
      cmocka_unit_test(all_cases),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
