/* Elementwise kernels (unary, binary, compare, select, clamp, convert,
 * bitcast) on every dtype each op accepts, against libm in double or values
 * worked out by hand. */
#include "test_exec_util.h"

static bool accepts(jet_op op, jet_dtype d) { return (jet_op_get(op)->dtype_mask >> d) & 1u; }

/* ---- float unary vs libm in double ---- */
static double ref_rsqrt(double x) { return 1.0 / sqrt(x); }
static double ref_logistic(double x) { return 1.0 / (1.0 + exp(-x)); }
typedef struct fcase {
  jet_op op;
  double (*ref)(double);
  bool positive; /* domain (0, inf) */
} fcase;

static void float_unary(void **state) {
  (void)state;
  const fcase cases[] = {
      {JET_OP_FLOOR, floor, false}, {JET_OP_CEIL, ceil, false},   {JET_OP_EXP, exp, false},
      {JET_OP_EXP2, exp2, false},   {JET_OP_LOG, log, true},      {JET_OP_LOG1P, log1p, false},
      {JET_OP_EXPM1, expm1, false}, {JET_OP_SQRT, sqrt, true},    {JET_OP_RSQRT, ref_rsqrt, true},
      {JET_OP_TANH, tanh, false},   {JET_OP_LOGISTIC, ref_logistic, false},
      {JET_OP_SIN, sin, false},     {JET_OP_COS, cos, false},     {JET_OP_TAN, tan, false},
      {JET_OP_ASIN, asin, false},   {JET_OP_ACOS, acos, false},   {JET_OP_ATAN, atan, false},
      {JET_OP_SINH, sinh, false},   {JET_OP_COSH, cosh, false},   {JET_OP_ERF, erf, false},
  };
  const double gen[6] = {-0.75, -0.25, 0.0, 0.5, 0.875, -0.5};
  const double pos[6] = {0.25, 0.5, 1.0, 2.0, 10.0, 1e-3};
  for (size_t c = 0; c < NELEM(cases); c++) {
    for (int k = 0; k < 2; k++) {
      jet_dtype dt = k ? JET_F64 : JET_F32;
      const double *v = cases[c].positive ? pos : gen;
      double buf[6], want[6];
      store_as(dt, v, 6, buf);
      for (int i = 0; i < 6; i++) want[i] = cases[c].ref(v[i]);
      jet_buf out = run1(cases[c].op, TY(dt, 6), buf, NULL, 0);
      expect_near(&out, TY(dt, 6), want, dt == JET_F32 ? 2e-6 : 1e-14);
    }
  }
  /* logistic stays finite far out; is_finite */
  const double far[4] = {-800, 800, -30, 30};
  double wfar[4] = {0, 1, ref_logistic(-30), ref_logistic(30)};
  jet_buf out = run1(JET_OP_LOGISTIC, TY(JET_F64, 4), far, NULL, 0);
  expect_near(&out, TY(JET_F64, 4), wfar, 1e-15);
  const float spec[4] = {1.0f, INFINITY, -INFINITY, NAN};
  out = run1(JET_OP_IS_FINITE, TY(JET_F32, 4), spec, NULL, 0);
  expect_bytes(&out, TY(JET_BOOL, 4), (uint8_t[]){1, 0, 0, 0});
  const double spec64[2] = {NAN, -3e300};
  out = run1(JET_OP_IS_FINITE, TY(JET_F64, 2), spec64, NULL, 0);
  expect_bytes(&out, TY(JET_BOOL, 2), (uint8_t[]){0, 1});
}

static void round_methods(void **state) {
  (void)state;
  const double v[6] = {2.5, -2.5, 0.5, 1.5, -0.4, 3.7};
  const double away[6] = {3, -3, 1, 2, -0.0, 4}, even[6] = {2, -2, 0, 2, -0.0, 4};
  for (int k = 0; k < 2; k++) {
    jet_dtype dt = k ? JET_F64 : JET_F32;
    double buf[6];
    store_as(dt, v, 6, buf);
    jet_attr m0 = a_int("rounding_method", 0), m1 = a_int("rounding_method", 1);
    jet_buf out = run1(JET_OP_ROUND, TY(dt, 6), buf, &m0, 1);
    expect_near(&out, TY(dt, 6), away, 0);
    out = run1(JET_OP_ROUND, TY(dt, 6), buf, NULL, 0);
    expect_near(&out, TY(dt, 6), away, 0);
    out = run1(JET_OP_ROUND, TY(dt, 6), buf, &m1, 1);
    expect_near(&out, TY(dt, 6), even, 0);
  }
}

static void erf_inv(void **state) {
  (void)state;
  enum { N = 2001 };
  static double x[N], want[N];
  for (int i = 0; i < N; i++) x[i] = -1.0 + (i + 0.5) * (2.0 / N) * 0.9999;
  jet_buf out = run1(JET_OP_ERF_INV, TY(JET_F64, N), x, NULL, 0);
  const double *y = out.data;
  for (int i = 0; i < N; i++) {
    if (fabs(erf(y[i]) - x[i]) > 1e-12) {
      print_error("erf(erf_inv(%.17g)) = %.17g\n", x[i], erf(y[i]));
      fail();
    }
    want[i] = y[i];
  }
  jet_mem_free(out.data);
  /* tails near +-1 keep relative accuracy of 1 - x */
  const double tail[3] = {1 - 1e-15, -(1 - 1e-10), 0.9999999};
  out = run1(JET_OP_ERF_INV, TY(JET_F64, 3), tail, NULL, 0);
  for (int i = 0; i < 3; i++) {
    double yi = ((double *)out.data)[i];
    double resid = fabs(erfc(fabs(yi)) - (1 - fabs(tail[i])));
    assert_true(resid <= 1e-9 * (1 - fabs(tail[i])));
  }
  jet_mem_free(out.data);
  /* f32 agrees with the f64 result */
  static float xf[N];
  for (int i = 0; i < N; i++) xf[i] = (float)x[i];
  out = run1(JET_OP_ERF_INV, TY(JET_F32, N), xf, NULL, 0);
  for (int i = 0; i < N; i++) {
    double w = want[i];
    double got = ((float *)out.data)[i];
    /* input rounding to f32 moves the answer by at most ~|dy/dx| * 6e-8 */
    double slope = sqrt(M_PI) / 2 * exp(w * w);
    assert_true(fabs(got - w) <= 2e-6 * (1 + fabs(w)) + slope * fabs((double)xf[i] - x[i]) * 1.01);
  }
  jet_mem_free(out.data);
  const double special[5] = {1, -1, 1.5, NAN, 0};
  const double wspec[5] = {INFINITY, -INFINITY, NAN, NAN, 0};
  for (int k = 0; k < 2; k++) {
    jet_dtype dt = k ? JET_F64 : JET_F32;
    double buf[5];
    store_as(dt, special, 5, buf);
    out = run1(JET_OP_ERF_INV, TY(dt, 5), buf, NULL, 0);
    expect_near(&out, TY(dt, 5), wspec, 0);
  }
}

/* ---- numeric unary on every accepted dtype ---- */
static void numeric_unary(void **state) {
  (void)state;
  const double v[5] = {0, 1, 5, 7, 12};
  const double sv[5] = {0, -1, 5, -7, 12};
  for (size_t k = 0; k < NELEM(all_dtypes); k++) {
    jet_dtype dt = all_dtypes[k];
    if (dt == JET_BOOL) continue;
    bool sgn = dt != JET_U8 && dt != JET_U32;
    const double *x = sgn ? sv : v;
    double buf[5], want[5];
    store_as(dt, x, 5, buf);
    /* neg: unsigned wraps to 2^bits - x */
    double mod = dt == JET_U8 ? 256.0 : 4294967296.0;
    for (int i = 0; i < 5; i++) want[i] = sgn ? -x[i] : (x[i] == 0 ? 0 : mod - x[i]);
    jet_buf out = run1(JET_OP_NEG, TY(dt, 5), buf, NULL, 0);
    expect_near(&out, TY(dt, 5), want, 0);
    for (int i = 0; i < 5; i++) want[i] = x[i] > 0 ? 1 : x[i] < 0 ? -1 : 0;
    out = run1(JET_OP_SIGN, TY(dt, 5), buf, NULL, 0);
    expect_near(&out, TY(dt, 5), want, 0);
    for (int i = 0; i < 5; i++) want[i] = fmod(x[i] * x[i], dt == JET_U8 ? 256.0 : 1e300);
    out = run1(JET_OP_SQUARE, TY(dt, 5), buf, NULL, 0);
    expect_near(&out, TY(dt, 5), want, 0);
    jet_attr y3 = a_int("y", 3), y0 = a_int("y", 0);
    for (int i = 0; i < 5; i++) want[i] = fmod(x[i] * x[i] * x[i], dt == JET_U8 ? 256.0 : 1e300);
    out = run1(JET_OP_INTEGER_POW, TY(dt, 5), buf, &y3, 1);
    expect_near(&out, TY(dt, 5), want, 1e-15);
    for (int i = 0; i < 5; i++) want[i] = 1;
    out = run1(JET_OP_INTEGER_POW, TY(dt, 5), buf, &y0, 1);
    expect_near(&out, TY(dt, 5), want, 0);
    if (accepts(JET_OP_ABS, dt)) {
      for (int i = 0; i < 5; i++) want[i] = fabs(x[i]);
      out = run1(JET_OP_ABS, TY(dt, 5), buf, NULL, 0);
      expect_near(&out, TY(dt, 5), want, 0);
    }
  }
  /* wrapping edge cases */
  const int32_t imin[3] = {INT32_MIN, INT32_MAX, 65536};
  jet_buf out = run1(JET_OP_NEG, TY(JET_I32, 3), imin, NULL, 0);
  expect_bytes(&out, TY(JET_I32, 3), (int32_t[]){INT32_MIN, -INT32_MAX, -65536});
  out = run1(JET_OP_ABS, TY(JET_I32, 3), imin, NULL, 0);
  expect_bytes(&out, TY(JET_I32, 3), (int32_t[]){INT32_MIN, INT32_MAX, 65536});
  out = run1(JET_OP_SQUARE, TY(JET_I32, 3), imin, NULL, 0);
  expect_bytes(&out, TY(JET_I32, 3), (int32_t[]){0, 1, 0});
  const int64_t lmin[2] = {INT64_MIN, 3};
  out = run1(JET_OP_ABS, TY(JET_I64, 2), lmin, NULL, 0);
  expect_bytes(&out, TY(JET_I64, 2), lmin);
  /* sign keeps NaN and -0.0 */
  const double fs[4] = {NAN, -0.0, -3, INFINITY};
  out = run1(JET_OP_SIGN, TY(JET_F64, 4), fs, NULL, 0);
  assert_true(isnan(((double *)out.data)[0]));
  assert_true(signbit(((double *)out.data)[1]) && ((double *)out.data)[1] == 0);
  assert_true(((double *)out.data)[2] == -1 && ((double *)out.data)[3] == 1);
  jet_mem_free(out.data);
  /* integer_pow with negative y */
  const double fx[3] = {2, -4, 0.5};
  jet_attr ym2 = a_int("y", -2);
  out = run1(JET_OP_INTEGER_POW, TY(JET_F64, 3), fx, &ym2, 1);
  expect_near(&out, TY(JET_F64, 3), (double[]){0.25, 0.0625, 4}, 1e-15);
  const float ff[2] = {2, -3};
  jet_attr y5 = a_int("y", 5);
  out = run1(JET_OP_INTEGER_POW, TY(JET_F32, 2), ff, &y5, 1);
  expect_near(&out, TY(JET_F32, 2), (double[]){32, -243}, 0);
  const int64_t big[1] = {3};
  jet_attr y41 = a_int("y", 41);
  out = run1(JET_OP_INTEGER_POW, TY(JET_I64, 1), big, &y41, 1);
  /* 3^41 mod 2^64 read as signed (worked out with exact big integers) */
  expect_bytes(&out, TY(JET_I64, 1), (int64_t[]){-420491770248316829LL});
}

static void not_op(void **state) {
  (void)state;
  const uint8_t b[3] = {0, 1, 2};
  jet_buf out = run1(JET_OP_NOT, TY(JET_BOOL, 3), b, NULL, 0);
  expect_bytes(&out, TY(JET_BOOL, 3), (uint8_t[]){1, 0, 0});
  out = run1(JET_OP_NOT, TY(JET_U8, 3), b, NULL, 0);
  expect_bytes(&out, TY(JET_U8, 3), (uint8_t[]){255, 254, 253});
  const int32_t i[2] = {0, -6};
  out = run1(JET_OP_NOT, TY(JET_I32, 2), i, NULL, 0);
  expect_bytes(&out, TY(JET_I32, 2), (int32_t[]){-1, 5});
  const int64_t l[1] = {5};
  out = run1(JET_OP_NOT, TY(JET_I64, 1), l, NULL, 0);
  expect_bytes(&out, TY(JET_I64, 1), (int64_t[]){-6});
  const uint32_t u[1] = {1};
  out = run1(JET_OP_NOT, TY(JET_U32, 1), u, NULL, 0);
  expect_bytes(&out, TY(JET_U32, 1), (uint32_t[]){0xFFFFFFFEu});
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(float_unary),   cmocka_unit_test(round_methods),
      cmocka_unit_test(erf_inv),       cmocka_unit_test(numeric_unary),
      cmocka_unit_test(not_op),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
