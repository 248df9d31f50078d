/* jet_format_array against what numpy prints (print(np.asarray(x)) with
 * default print options). The expected strings are numpy's outputs. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "jet/jet.h"

static void expect_fmt(const jet_type *t, const void *data, const char *want) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_format_array(t, data, &sb);
  if (st) fail_msg("jet_format_array: %s", jet_status_message(st));
  assert_non_null(sb.data);
  assert_string_equal(sb.data, want);
  jet_strbuf_free(&sb);
}

static jet_type t1(jet_dtype d, int64_t n) { return jet_type_make(d, 1, &n); }

static void test_f32_scalars(void **state) {
  (void)state;
  jet_type t = jet_type_scalar(JET_F32);
  struct {
    float v;
    const char *s;
  } cases[] = {
      {0.0f, "0.0"},         {-2.5066283f, "-2.5066283"}, {0.26726124f, "0.26726124"},
      {24.0f, "24.0"},       {16.0f, "16.0"},             {6.0f, "6.0"},
      {0.1f, "0.1"},         {-0.0f, "-0.0"},             {1e-5f, "1e-05"},
      {1.5e-7f, "1.5e-07"},  {123456.0f, "123456.0"},     {3.4028235e38f, "3.4028235e+38"},
      {INFINITY, "inf"},     {-INFINITY, "-inf"},         {NAN, "nan"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) expect_fmt(&t, &cases[i].v, cases[i].s);
}

static void test_f64_scalars(void **state) {
  (void)state;
  jet_type t = jet_type_scalar(JET_F64);
  double a = 0.1 + 0.2, b = 1e16, c = -2.5066282746310002, d = 1.0;
  expect_fmt(&t, &a, "0.30000000000000004");
  expect_fmt(&t, &b, "1e+16");
  expect_fmt(&t, &c, "-2.5066282746310002");
  expect_fmt(&t, &d, "1.0");
}

static void test_f32_vectors(void **state) {
  (void)state;
  float sq[3] = {1, 4, 9};
  jet_type t3 = t1(JET_F32, 3);
  expect_fmt(&t3, sq, "[1. 4. 9.]");
  float unit[3] = {0.26726124f, 0.5345225f, 0.8017837f};
  expect_fmt(&t3, unit, "[0.26726124 0.5345225  0.8017837 ]");
  jet_type t2 = t1(JET_F32, 2);
  float mixed[2] = {1.5f, 2.0f};
  expect_fmt(&t2, mixed, "[1.5 2. ]");
  float wide[2] = {10.0f, 1.0f};
  expect_fmt(&t2, wide, "[10.  1.]");
  float sign[2] = {1.0f, -1.0f};
  expect_fmt(&t2, sign, "[ 1. -1.]");
  float small[2] = {1e-5f, 1.0f};
  expect_fmt(&t2, small, "[1.e-05 1.e+00]");
  float withnan[2] = {NAN, 1.0f};
  expect_fmt(&t2, withnan, "[nan  1.]");
  float tenths[2] = {0.1f, 0.25f};
  expect_fmt(&t2, tenths, "[0.1  0.25]");
}

static void test_f64_vector_precision(void **state) {
  (void)state;
  double v[1] = {0.1 + 0.2};
  jet_type t = t1(JET_F64, 1);
  expect_fmt(&t, v, "[0.3]");
}

static void test_ints_and_bools(void **state) {
  (void)state;
  int32_t i[3] = {1, 2, 3};
  jet_type ti = t1(JET_I32, 3);
  expect_fmt(&ti, i, "[1 2 3]");
  int64_t j[2] = {1, 10};
  jet_type tj = t1(JET_I64, 2);
  expect_fmt(&tj, j, "[ 1 10]");
  uint8_t u[2] = {255, 0};
  jet_type tu = t1(JET_U8, 2);
  expect_fmt(&tu, u, "[255   0]");
  uint8_t bl[2] = {1, 0};
  jet_type tb = t1(JET_BOOL, 2);
  expect_fmt(&tb, bl, "[ True False]");
  uint8_t bt[2] = {1, 1};
  expect_fmt(&tb, bt, "[ True  True]");
  jet_type sb = jet_type_scalar(JET_BOOL);
  expect_fmt(&sb, bl, "True");
  int32_t seven = -7;
  jet_type si = jet_type_scalar(JET_I32);
  expect_fmt(&si, &seven, "-7");
}

static void test_matrix(void **state) {
  (void)state;
  int32_t m[4] = {1, 2, 3, 4};
  int64_t dims[2] = {2, 2};
  jet_type t = jet_type_make(JET_I32, 2, dims);
  expect_fmt(&t, m, "[[1 2]\n [3 4]]");
  int64_t d3[3] = {2, 1, 2};
  jet_type t3 = jet_type_make(JET_I32, 3, d3);
  expect_fmt(&t3, m, "[[[1 2]]\n\n [[3 4]]]");
}

static void test_wrap_and_summary(void **state) {
  (void)state;
  int32_t a[30];
  for (int k = 0; k < 30; k++) a[k] = k;
  jet_type t = t1(JET_I32, 30);
  expect_fmt(&t, a,
             "[ 0  1  2  3  4  5  6  7  8  9 10 11 12 13 14 15 16 17 18 19 20 21 22 23\n"
             " 24 25 26 27 28 29]");
  int32_t *big = malloc(2000 * sizeof *big);
  assert_non_null(big);
  for (int k = 0; k < 2000; k++) big[k] = k;
  jet_type tb = t1(JET_I32, 2000);
  expect_fmt(&tb, big, "[   0    1    2 ... 1997 1998 1999]");
  free(big);
}

static void test_empty_and_errors(void **state) {
  (void)state;
  jet_type t = t1(JET_F32, 0);
  expect_fmt(&t, NULL, "[]");
  jet_type bad = jet_type_scalar(JET_F16);
  uint16_t h = 0;
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_format_array(&bad, &h, &sb);
  assert_non_null(st);
  jet_status_free(st);
  jet_strbuf_free(&sb);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_f32_scalars),      cmocka_unit_test(test_f64_scalars),
      cmocka_unit_test(test_f32_vectors),      cmocka_unit_test(test_f64_vector_precision),
      cmocka_unit_test(test_ints_and_bools),   cmocka_unit_test(test_matrix),
      cmocka_unit_test(test_wrap_and_summary), cmocka_unit_test(test_empty_and_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
