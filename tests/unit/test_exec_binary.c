/* Binary elementwise, compare, select, clamp, convert and bitcast kernels
 * on every accepted dtype. References are computed here in double (small
 * values, exact) and wrapped by modular arithmetic, or written by hand. */
#include "test_exec_util.h"

static bool accepts(jet_op op, jet_dtype d) { return (jet_op_get(op)->dtype_mask >> d) & 1u; }
static bool is_uint(jet_dtype d) { return d == JET_U8 || d == JET_U32; }
static bool is_float(jet_dtype d) { return d == JET_F32 || d == JET_F64; }

/* Reduces an exact integer value into dtype d's range (two's complement). */
static double wrap(jet_dtype d, double v) {
  double m;
  switch (d) {
    case JET_U8: m = 256.0; break;
    case JET_U32: m = 4294967296.0; break;
    case JET_I32: m = 4294967296.0; break;
    default: return v;
  }
  double r = fmod(v, m);
  if (r < 0) r += m;
  if (d == JET_I32 && r >= m / 2) r -= m;
  return r;
}

static void arithmetic_all_dtypes(void **state) {
  (void)state;
  const double sa[6] = {7, -7, 12, 0, -5, 100}, sb[6] = {2, 2, -5, 3, 0, 7};
  const double ua[6] = {7, 200, 12, 0, 5, 100}, ub[6] = {2, 3, 250, 3, 0, 7};
  const jet_op ops[] = {JET_OP_ADD, JET_OP_SUB, JET_OP_MUL, JET_OP_DIV,
                        JET_OP_REM, JET_OP_MAX, JET_OP_MIN};
  for (size_t k = 0; k < NELEM(all_dtypes); k++) {
    jet_dtype dt = all_dtypes[k];
    if (dt == JET_BOOL) continue;
    const double *a = is_uint(dt) ? ua : sa, *b = is_uint(dt) ? ub : sb;
    double abuf[6], bbuf[6], want[6];
    store_as(dt, a, 6, abuf);
    store_as(dt, b, 6, bbuf);
    for (size_t o = 0; o < NELEM(ops); o++) {
      for (int i = 0; i < 6; i++) {
        double x = a[i], y = b[i], w = 0;
        switch (ops[o]) {
          case JET_OP_ADD: w = x + y; break;
          case JET_OP_SUB: w = x - y; break;
          case JET_OP_MUL: w = x * y; break;
          case JET_OP_DIV:
            if (is_float(dt)) w = x / y;
            else if (y == 0) w = is_uint(dt) ? (dt == JET_U8 ? 255 : 4294967295.0) : -1;
            else w = trunc(x / y);
            break;
          case JET_OP_REM: w = (!is_float(dt) && y == 0) ? x : fmod(x, y); break;
          case JET_OP_MAX: w = x > y ? x : y; break;
          case JET_OP_MIN: w = x < y ? x : y; break;
          default: break;
        }
        want[i] = is_float(dt) ? w : wrap(dt, w);
      }
      jet_buf out = run2(ops[o], TY(dt, 6), abuf, TY(dt, 6), bbuf, NULL, 0);
      expect_near(&out, TY(dt, 6), want, dt == JET_F32 ? 1e-7 : 0);
    }
  }
}

static void integer_edges(void **state) {
  (void)state;
  const int32_t a[3] = {INT32_MIN, INT32_MIN, INT32_MAX}, b[3] = {-1, 0, -1};
  jet_buf out = run2(JET_OP_DIV, TY(JET_I32, 3), a, TY(JET_I32, 3), b, NULL, 0);
  expect_bytes(&out, TY(JET_I32, 3), (int32_t[]){INT32_MIN, -1, -INT32_MAX});
  out = run2(JET_OP_REM, TY(JET_I32, 3), a, TY(JET_I32, 3), b, NULL, 0);
  expect_bytes(&out, TY(JET_I32, 3), (int32_t[]){0, INT32_MIN, 0});
  out = run2(JET_OP_ADD, TY(JET_I32, 3), a, TY(JET_I32, 3), b, NULL, 0);
  expect_bytes(&out, TY(JET_I32, 3), (int32_t[]){INT32_MAX, INT32_MIN, INT32_MAX - 1});
  out = run2(JET_OP_MUL, TY(JET_I32, 3), a, TY(JET_I32, 3), b, NULL, 0);
  expect_bytes(&out, TY(JET_I32, 3), (int32_t[]){INT32_MIN, 0, -INT32_MAX});
  const int64_t la[2] = {INT64_MIN, INT64_MAX}, lb[2] = {-1, 0};
  out = run2(JET_OP_DIV, TY(JET_I64, 2), la, TY(JET_I64, 2), lb, NULL, 0);
  expect_bytes(&out, TY(JET_I64, 2), (int64_t[]){INT64_MIN, -1});
  out = run2(JET_OP_REM, TY(JET_I64, 2), la, TY(JET_I64, 2), lb, NULL, 0);
  expect_bytes(&out, TY(JET_I64, 2), (int64_t[]){0, INT64_MAX});
  out = run2(JET_OP_SUB, TY(JET_I64, 2), la, TY(JET_I64, 2), (int64_t[]){1, -1}, NULL, 0);
  expect_bytes(&out, TY(JET_I64, 2), (int64_t[]){INT64_MAX, INT64_MIN});
  const uint32_t ua[2] = {7, 0}, ub[2] = {0, 0};
  out = run2(JET_OP_DIV, TY(JET_U32, 2), ua, TY(JET_U32, 2), ub, NULL, 0);
  expect_bytes(&out, TY(JET_U32, 2), (uint32_t[]){UINT32_MAX, UINT32_MAX});
  out = run2(JET_OP_REM, TY(JET_U32, 2), ua, TY(JET_U32, 2), ub, NULL, 0);
  expect_bytes(&out, TY(JET_U32, 2), ua);
}

static void shifts(void **state) {
  (void)state;
  jet_buf out;
  {
    const int32_t x[5] = {1, -8, 5, 3, -8}, s[5] = {3, 1, 40, -1, 32};
    out = run2(JET_OP_SHIFT_LEFT, TY(JET_I32, 5), x, TY(JET_I32, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_I32, 5), (int32_t[]){8, -16, 0, 0, 0});
    out = run2(JET_OP_SHIFT_RIGHT_LOGICAL, TY(JET_I32, 5), x, TY(JET_I32, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_I32, 5), (int32_t[]){0, 2147483644, 0, 0, 0});
    out = run2(JET_OP_SHIFT_RIGHT_ARITHMETIC, TY(JET_I32, 5), x, TY(JET_I32, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_I32, 5), (int32_t[]){0, -4, 0, 0, -1});
  }
  {
    const int64_t x[5] = {1, -8, 5, 3, -8}, s[5] = {3, 1, 70, -1, 64};
    out = run2(JET_OP_SHIFT_LEFT, TY(JET_I64, 5), x, TY(JET_I64, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_I64, 5), (int64_t[]){8, -16, 0, 0, 0});
    out = run2(JET_OP_SHIFT_RIGHT_LOGICAL, TY(JET_I64, 5), x, TY(JET_I64, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_I64, 5), (int64_t[]){0, 9223372036854775804LL, 0, 0, 0});
    out = run2(JET_OP_SHIFT_RIGHT_ARITHMETIC, TY(JET_I64, 5), x, TY(JET_I64, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_I64, 5), (int64_t[]){0, -4, 0, 0, -1});
  }
  {
    const uint8_t x[5] = {1, 0xF8, 5, 3, 0x80}, s[5] = {3, 1, 8, 200, 7};
    out = run2(JET_OP_SHIFT_LEFT, TY(JET_U8, 5), x, TY(JET_U8, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_U8, 5), (uint8_t[]){8, 0xF0, 0, 0, 0});
    out = run2(JET_OP_SHIFT_RIGHT_LOGICAL, TY(JET_U8, 5), x, TY(JET_U8, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_U8, 5), (uint8_t[]){0, 0x7C, 0, 0, 1});
    out = run2(JET_OP_SHIFT_RIGHT_ARITHMETIC, TY(JET_U8, 5), x, TY(JET_U8, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_U8, 5), (uint8_t[]){0, 0xFC, 0, 0, 0xFF});
  }
  {
    const uint32_t x[5] = {1, 0xFFFFFFF8u, 5, 3, 0x80000000u}, s[5] = {3, 1, 32, 100, 31};
    out = run2(JET_OP_SHIFT_LEFT, TY(JET_U32, 5), x, TY(JET_U32, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_U32, 5), (uint32_t[]){8, 0xFFFFFFF0u, 0, 0, 0});
    out = run2(JET_OP_SHIFT_RIGHT_LOGICAL, TY(JET_U32, 5), x, TY(JET_U32, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_U32, 5), (uint32_t[]){0, 0x7FFFFFFCu, 0, 0, 1});
    out = run2(JET_OP_SHIFT_RIGHT_ARITHMETIC, TY(JET_U32, 5), x, TY(JET_U32, 5), s, NULL, 0);
    expect_bytes(&out, TY(JET_U32, 5), (uint32_t[]){0, 0xFFFFFFFCu, 0, 0, 0xFFFFFFFFu});
  }
}

static void logical_and_bitwise(void **state) {
  (void)state;
  for (size_t k = 0; k < NELEM(all_dtypes); k++) {
    jet_dtype dt = all_dtypes[k];
    if (!accepts(JET_OP_AND, dt)) continue;
    double a[4], b[4], wand[4], wor[4], wxor[4];
    if (dt == JET_BOOL) {
      const double ba[4] = {0, 0, 1, 1}, bb[4] = {0, 1, 0, 1};
      memcpy(a, ba, sizeof a);
      memcpy(b, bb, sizeof b);
    } else {
      const double ia[4] = {12, 12, 255, 0}, ib[4] = {10, 3, 15, 9};
      memcpy(a, ia, sizeof a);
      memcpy(b, ib, sizeof b);
    }
    for (int i = 0; i < 4; i++) {
      unsigned x = (unsigned)a[i], y = (unsigned)b[i];
      wand[i] = x & y;
      wor[i] = x | y;
      wxor[i] = x ^ y;
    }
    uint64_t abuf[4], bbuf[4];
    store_as(dt, a, 4, abuf);
    store_as(dt, b, 4, bbuf);
    jet_buf out = run2(JET_OP_AND, TY(dt, 4), abuf, TY(dt, 4), bbuf, NULL, 0);
    expect_near(&out, TY(dt, 4), wand, 0);
    out = run2(JET_OP_OR, TY(dt, 4), abuf, TY(dt, 4), bbuf, NULL, 0);
    expect_near(&out, TY(dt, 4), wor, 0);
    out = run2(JET_OP_XOR, TY(dt, 4), abuf, TY(dt, 4), bbuf, NULL, 0);
    expect_near(&out, TY(dt, 4), wxor, 0);
    if (dt == JET_BOOL) { /* max = or, min = and */
      out = run2(JET_OP_MAX, TY(dt, 4), abuf, TY(dt, 4), bbuf, NULL, 0);
      expect_near(&out, TY(dt, 4), wor, 0);
      out = run2(JET_OP_MIN, TY(dt, 4), abuf, TY(dt, 4), bbuf, NULL, 0);
      expect_near(&out, TY(dt, 4), wand, 0);
    }
  }
}

static void float_binary(void **state) {
  (void)state;
  const double a[4] = {2, 0.5, -1.5, NAN}, b[4] = {3, -2, 1, 1};
  const double c[4] = {NAN, 1, 0.25, 2}, d[4] = {1, NAN, -1, 2};
  for (int k = 0; k < 2; k++) {
    jet_dtype dt = k ? JET_F64 : JET_F32;
    double ab[4], bb[4], cb[4], db[4], wp[4], wa[4];
    store_as(dt, a, 4, ab);
    store_as(dt, b, 4, bb);
    store_as(dt, c, 4, cb);
    store_as(dt, d, 4, db);
    for (int i = 0; i < 4; i++) {
      wp[i] = pow(a[i], b[i]);
      wa[i] = atan2(a[i], b[i]);
    }
    double tol = k ? 1e-15 : 1e-6;
    jet_buf out = run2(JET_OP_POW, TY(dt, 4), ab, TY(dt, 4), bb, NULL, 0);
    expect_near(&out, TY(dt, 4), wp, tol);
    out = run2(JET_OP_ATAN2, TY(dt, 4), ab, TY(dt, 4), bb, NULL, 0);
    expect_near(&out, TY(dt, 4), wa, tol);
    out = run2(JET_OP_MAX, TY(dt, 4), cb, TY(dt, 4), db, NULL, 0);
    expect_near(&out, TY(dt, 4), (double[]){NAN, NAN, 0.25, 2}, 0);
    out = run2(JET_OP_MIN, TY(dt, 4), cb, TY(dt, 4), db, NULL, 0);
    expect_near(&out, TY(dt, 4), (double[]){NAN, NAN, -1, 2}, 0);
  }
  /* rank-0 operands broadcast on either side */
  const float s = 10, v[3] = {1, 2, 3};
  jet_buf out = run2(JET_OP_SUB, SCALAR(JET_F32), &s, TY(JET_F32, 3), v, NULL, 0);
  expect_near(&out, TY(JET_F32, 3), (double[]){9, 8, 7}, 0);
  out = run2(JET_OP_SUB, TY(JET_F32, 3), v, SCALAR(JET_F32), &s, NULL, 0);
  expect_near(&out, TY(JET_F32, 3), (double[]){-9, -8, -7}, 0);
}

static void comparisons(void **state) {
  (void)state;
  const jet_op ops[6] = {JET_OP_EQ, JET_OP_NE, JET_OP_LT, JET_OP_LE, JET_OP_GT, JET_OP_GE};
  for (size_t k = 0; k < NELEM(all_dtypes); k++) {
    jet_dtype dt = all_dtypes[k];
    double a[5] = {1, 2, 3, 0, 1}, b[5] = {1, 3, 2, 1, 0};
    if (is_float(dt)) a[3] = NAN;
    if (dt == JET_I32 || dt == JET_I64) a[1] = -2;
    double ab[5], bb[5], want[5];
    store_as(dt, a, 5, ab);
    store_as(dt, b, 5, bb);
    for (int o = 0; o < 6; o++) {
      for (int i = 0; i < 5; i++) {
        double x = a[i], y = b[i];
        if (dt == JET_BOOL) {
          x = x != 0;
          y = y != 0;
        }
        switch (ops[o]) {
          case JET_OP_EQ: want[i] = x == y; break;
          case JET_OP_NE: want[i] = x != y; break;
          case JET_OP_LT: want[i] = x < y; break;
          case JET_OP_LE: want[i] = x <= y; break;
          case JET_OP_GT: want[i] = x > y; break;
          default: want[i] = x >= y; break;
        }
      }
      jet_buf out = run2(ops[o], TY(dt, 5), ab, TY(dt, 5), bb, NULL, 0);
      expect_near(&out, TY(JET_BOOL, 5), want, 0);
    }
  }
}

static void select_and_clamp(void **state) {
  (void)state;
  const uint8_t p[4] = {1, 0, 0, 1}, one = 1;
  for (size_t k = 0; k < NELEM(all_dtypes); k++) {
    jet_dtype dt = all_dtypes[k];
    const double t[4] = {1, 1, 1, 0}, f[4] = {0, 1, 0, 1};
    uint64_t tb[4], fb[4];
    store_as(dt, t, 4, tb);
    store_as(dt, f, 4, fb);
    jet_buf out = run3(JET_OP_SELECT, TY(JET_BOOL, 4), p, TY(dt, 4), tb, TY(dt, 4), fb, NULL, 0);
    expect_near(&out, TY(dt, 4), (double[]){1, 1, 0, 0}, 0);
    out = run3(JET_OP_SELECT, SCALAR(JET_BOOL), &one, TY(dt, 4), tb, TY(dt, 4), fb, NULL, 0);
    expect_near(&out, TY(dt, 4), t, 0);
    if (!accepts(JET_OP_CLAMP, dt)) continue;
    const double lo = 2, hi = 5, x[4] = {0, 3, 9, 5}, los[4] = {0, 4, 1, 6};
    uint64_t lob, hib, xb[4], losb[4];
    store_as(dt, &lo, 1, &lob);
    store_as(dt, &hi, 1, &hib);
    store_as(dt, x, 4, xb);
    store_as(dt, los, 4, losb);
    out = run3(JET_OP_CLAMP, SCALAR(dt), &lob, TY(dt, 4), xb, SCALAR(dt), &hib, NULL, 0);
    expect_near(&out, TY(dt, 4), (double[]){2, 3, 5, 5}, 0);
    /* per-element lo, scalar hi: min(max(x, lo), hi) */
    out = run3(JET_OP_CLAMP, TY(dt, 4), losb, TY(dt, 4), xb, SCALAR(dt), &hib, NULL, 0);
    expect_near(&out, TY(dt, 4), (double[]){0, 4, 5, 5}, 0);
  }
  const double nlo = 0, nhi = 1, nx[2] = {NAN, 0.5};
  jet_buf out = run3(JET_OP_CLAMP, SCALAR(JET_F64), &nlo, TY(JET_F64, 2), nx, SCALAR(JET_F64), &nhi,
                     NULL, 0);
  expect_near(&out, TY(JET_F64, 2), (double[]){NAN, 0.5}, 0);
}

/* convert_element_type over all 7 x 7 dtype pairs. */
static double conv_ref(jet_dtype from, double v, jet_dtype to) {
  if (from == JET_BOOL) v = v != 0;
  if (to == JET_BOOL) return v != 0;
  if (to == JET_F32) return (float)v;
  if (to == JET_F64) return v;
  if (is_float(from)) {
    if (isnan(v)) return 0;
    double lo = 0, hi = 0;
    switch (to) {
      case JET_I32: lo = -2147483648.0; hi = 2147483647.0; break;
      case JET_I64: lo = -9223372036854775808.0; hi = 9223372036854775807.0; break;
      case JET_U8: lo = 0; hi = 255; break;
      default: lo = 0; hi = 4294967295.0; break;
    }
    v = trunc(v);
    return v < lo ? lo : v > hi ? hi : v;
  }
  switch (to) {
    case JET_U8: { double r = fmod(v, 256.0); return r < 0 ? r + 256 : r; }
    case JET_U32: { double r = fmod(v, 4294967296.0); return r < 0 ? r + 4294967296.0 : r; }
    case JET_I32: return wrap(JET_I32, v);
    default: return v;
  }
}

static void convert_all_pairs(void **state) {
  (void)state;
  const double fvals[9] = {NAN, -1e10, -3.7, -0.5, 0, 2.9, 255.5, 1e10, INFINITY};
  const double ivals[6] = {0, 1, -1, 300, 4294967297.0, -2147483649.0};
  const double i32v[4] = {0, 1, -1, -2147483648.0};
  const double uvals[4] = {0, 1, 200, 255};
  const double u32v[4] = {0, 1, 4294967295.0, 2147483648.0};
  const double bvals[2] = {0, 1};
  for (size_t s = 0; s < NELEM(all_dtypes); s++) {
    jet_dtype from = all_dtypes[s];
    const double *v;
    int n;
    switch (from) {
      case JET_F32: case JET_F64: v = fvals; n = 9; break;
      case JET_I64: v = ivals; n = 6; break;
      case JET_I32: v = i32v; n = 4; break;
      case JET_U8: v = uvals; n = 4; break;
      case JET_U32: v = u32v; n = 4; break;
      default: v = bvals; n = 2; break;
    }
    uint64_t in[9];
    store_as(from, v, n, in);
    for (size_t d = 0; d < NELEM(all_dtypes); d++) {
      jet_dtype to = all_dtypes[d];
      double want[9];
      for (int i = 0; i < n; i++) want[i] = conv_ref(from, from == JET_F32 ? (float)v[i] : v[i], to);
      jet_attr a = a_dtype("new_dtype", to);
      jet_buf out = run1(JET_OP_CONVERT_ELEMENT_TYPE, TY(from, n), in, &a, 1);
      /* i64 saturation bounds are not exact in double: compare as i64 */
      if (to == JET_I64 && is_float(from)) {
        const int64_t *o = out.data;
        assert_true(o[0] == 0 && o[1] == -10000000000LL && o[2] == -3 && o[3] == 0);
        assert_true(o[7] == 10000000000LL && o[8] == INT64_MAX);
        jet_mem_free(out.data);
        continue;
      }
      expect_near(&out, TY(to, n), want, 0);
    }
  }
}

static void bitcast(void **state) {
  (void)state;
  const float f[2] = {1.0f, -2.0f};
  jet_attr a = a_dtype("new_dtype", JET_U32);
  jet_buf out = run1(JET_OP_BITCAST_CONVERT_TYPE, TY(JET_F32, 2), f, &a, 1);
  expect_bytes(&out, TY(JET_U32, 2), (uint32_t[]){0x3F800000u, 0xC0000000u});
  const int32_t i[1] = {-1};
  out = run1(JET_OP_BITCAST_CONVERT_TYPE, TY(JET_I32, 1), i, &a, 1);
  expect_bytes(&out, TY(JET_U32, 1), (uint32_t[]){UINT32_MAX});
  const double d[1] = {1.0};
  jet_attr a64 = a_dtype("new_dtype", JET_I64);
  out = run1(JET_OP_BITCAST_CONVERT_TYPE, TY(JET_F64, 1), d, &a64, 1);
  expect_bytes(&out, TY(JET_I64, 1), (int64_t[]){0x3FF0000000000000LL});
  const uint8_t u[2] = {0, 7};
  jet_attr ab = a_dtype("new_dtype", JET_U8);
  out = run1(JET_OP_BITCAST_CONVERT_TYPE, TY(JET_U8, 2), u, &ab, 1);
  expect_bytes(&out, TY(JET_U8, 2), u);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(arithmetic_all_dtypes), cmocka_unit_test(integer_edges),
      cmocka_unit_test(shifts),                cmocka_unit_test(logical_and_bitwise),
      cmocka_unit_test(float_binary),          cmocka_unit_test(comparisons),
      cmocka_unit_test(select_and_clamp),      cmocka_unit_test(convert_all_pairs),
      cmocka_unit_test(bitcast),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
