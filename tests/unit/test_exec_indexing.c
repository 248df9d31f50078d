/* gather, scatter-add (numpy-style indexing cases), reductions, argmax,
 * argmin and cumsum. Expected values by hand or from plain loops here. */
#include "test_exec_util.h"

/* x[idx] on a rank-1 array: gather with collapsed dim 0. */
static void gather_rank1(void **state) {
  (void)state;
  const float x[5] = {10, 11, 12, 13, 14};
  const int32_t idx[4] = {4, 0, 7, -1}; /* [4, 1] */
  jet_attr a[5] = {A_NOINTS("offset_dims"), A_INTS("collapsed_slice_dims", 0),
                   A_INTS("start_index_map", 0), A_INTS("slice_sizes", 1), a_int("mode", 0)};
  jet_buf out = run2(JET_OP_GATHER, TY(JET_F32, 5), x, TY(JET_I32, 4, 1), idx, a, 5);
  expect_near(&out, TY(JET_F32, 4), (double[]){14, 10, 14, 10}, 0); /* clipped */
  a[4] = a_int("mode", 1);
  out = run2(JET_OP_GATHER, TY(JET_F32, 5), x, TY(JET_I32, 4, 1), idx, a, 5);
  expect_near(&out, TY(JET_F32, 4), (double[]){14, 10, NAN, NAN}, 0); /* filled */
  const int64_t xi[5] = {1, 2, 3, 4, 5};
  const uint8_t ui[2] = {1, 200};
  out = run2(JET_OP_GATHER, TY(JET_I64, 5), xi, TY(JET_U8, 2, 1), ui, a, 5);
  expect_bytes(&out, TY(JET_I64, 2), (int64_t[]){2, 0});
}

/* x[idx] on [3,2] (rows) and x[:, idx] (columns). */
static void gather_rank2(void **state) {
  (void)state;
  const double x[6] = {0, 1, 2, 3, 4, 5}; /* [[0,1],[2,3],[4,5]] */
  const int64_t rows[3] = {2, 0, 2};      /* [3,1] */
  jet_attr a[4] = {A_INTS("offset_dims", 1), A_INTS("collapsed_slice_dims", 0),
                   A_INTS("start_index_map", 0), A_INTS("slice_sizes", 1, 2)};
  jet_buf out = run2(JET_OP_GATHER, TY(JET_F64, 3, 2), x, TY(JET_I64, 3, 1), rows, a, 4);
  expect_near(&out, TY(JET_F64, 3, 2), (double[]){4, 5, 0, 1, 4, 5}, 0);
  const int32_t cols[2] = {1, 1}; /* x[:, [1, 1]] -> [3, 2] */
  jet_attr c[4] = {A_INTS("offset_dims", 0), A_INTS("collapsed_slice_dims", 1),
                   A_INTS("start_index_map", 1), A_INTS("slice_sizes", 3, 1)};
  out = run2(JET_OP_GATHER, TY(JET_F64, 3, 2), x, TY(JET_I32, 2, 1), cols, c, 4);
  expect_near(&out, TY(JET_F64, 3, 2), (double[]){1, 1, 3, 3, 5, 5}, 0);
  /* x[i, j] pairs: index vector of length 2 */
  const int32_t pairs[4] = {2, 1, 1, 0};
  jet_attr p[4] = {A_NOINTS("offset_dims"), A_INTS("collapsed_slice_dims", 0, 1),
                   A_INTS("start_index_map", 0, 1), A_INTS("slice_sizes", 1, 1)};
  out = run2(JET_OP_GATHER, TY(JET_F64, 3, 2), x, TY(JET_I32, 2, 2), pairs, p, 4);
  expect_near(&out, TY(JET_F64, 2), (double[]){5, 2}, 0);
  /* batching dims: out[b] = x[b, idx[b]] */
  const int32_t bi[3] = {1, 0, 1};
  jet_attr bt[6] = {A_NOINTS("offset_dims"), A_NOINTS("collapsed_slice_dims"),
                    A_INTS("start_index_map", 1), A_INTS("operand_batching_dims", 0),
                    A_INTS("start_indices_batching_dims", 0), A_INTS("slice_sizes", 1, 1)};
  bt[1] = A_INTS("collapsed_slice_dims", 1);
  out = run2(JET_OP_GATHER, TY(JET_F64, 3, 2), x, TY(JET_I32, 3, 1), bi, bt, 6);
  expect_near(&out, TY(JET_F64, 3), (double[]){1, 2, 5}, 0);
}

/* x.at[idx].add(v) with repeated and out-of-bounds indices. */
static void scatter_add(void **state) {
  (void)state;
  const int32_t x[4] = {0, 0, 0, 0};
  const int32_t idx[5] = {1, 3, 1, 4, -1};
  const int32_t v[5] = {10, 20, 5, 100, 1000};
  jet_attr a[4] = {A_NOINTS("update_window_dims"), A_INTS("inserted_window_dims", 0),
                   A_INTS("scatter_dims_to_operand_dims", 0), a_int("mode", 1)};
  jet_buf out = run3(JET_OP_SCATTER_ADD, TY(JET_I32, 4), x, TY(JET_I32, 5, 1), idx, TY(JET_I32, 5),
                     v, a, 4);
  expect_bytes(&out, TY(JET_I32, 4), (int32_t[]){0, 15, 0, 20});
  a[3] = a_int("mode", 0); /* clip: 4 -> 3, -1 -> 0 */
  out = run3(JET_OP_SCATTER_ADD, TY(JET_I32, 4), x, TY(JET_I32, 5, 1), idx, TY(JET_I32, 5), v, a, 4);
  expect_bytes(&out, TY(JET_I32, 4), (int32_t[]){1000, 15, 0, 120});
  /* rows of a [3,2] f64 array, window of 2; u8 operand wraps */
  const double xf[6] = {1, 1, 1, 1, 1, 1};
  const int64_t ri[2] = {2, 2};
  const double up[4] = {0.5, 1.5, 2, 3};
  jet_attr r[3] = {A_INTS("update_window_dims", 1), A_INTS("inserted_window_dims", 0),
                   A_INTS("scatter_dims_to_operand_dims", 0)};
  out = run3(JET_OP_SCATTER_ADD, TY(JET_F64, 3, 2), xf, TY(JET_I64, 2, 1), ri, TY(JET_F64, 2, 2), up,
             r, 3);
  expect_near(&out, TY(JET_F64, 3, 2), (double[]){1, 1, 1, 1, 3.5, 5.5}, 0);
  for (size_t k = 0; k < NELEM(all_dtypes); k++) {
    jet_dtype dt = all_dtypes[k];
    if (dt == JET_BOOL) continue;
    const double base[3] = {250, 1, 2}, ups[2] = {10, 3};
    const int32_t ii[2] = {0, 0};
    uint64_t bb[3], ub[2];
    store_as(dt, base, 3, bb);
    store_as(dt, ups, 2, ub);
    jet_attr s[3] = {A_NOINTS("update_window_dims"), A_INTS("inserted_window_dims", 0),
                     A_INTS("scatter_dims_to_operand_dims", 0)};
    out = run3(JET_OP_SCATTER_ADD, TY(dt, 3), bb, TY(JET_I32, 2, 1), ii, TY(dt, 2), ub, s, 3);
    expect_near(&out, TY(dt, 3), (double[]){dt == JET_U8 ? 7 : 263, 1, 2}, 0);
  }
}

static void reductions(void **state) {
  (void)state;
  const double x[6] = {1, -2, 3, 4, 5, -6}; /* [2,3] */
  for (size_t k = 0; k < NELEM(all_dtypes); k++) {
    jet_dtype dt = all_dtypes[k];
    double v[6];
    for (int i = 0; i < 6; i++) v[i] = (dt == JET_U8 || dt == JET_U32) ? fabs(x[i]) : x[i];
    if (dt == JET_BOOL)
      for (int i = 0; i < 6; i++) v[i] = i % 3 == 1 ? 0 : 1; /* [[1,0,1],[1,0,1]] */
    uint64_t b[6];
    store_as(dt, v, 6, b);
    jet_attr ax1 = A_INTS("axes", 1), ax0 = A_INTS("axes", 0), both = A_INTS("axes", 0, 1);
    double w[3];
    jet_buf out;
    if (dt != JET_BOOL) {
      for (int r = 0; r < 2; r++) w[r] = v[3 * r] + v[3 * r + 1] + v[3 * r + 2];
      out = run1(JET_OP_REDUCE_SUM, TY(dt, 2, 3), b, &ax1, 1);
      expect_near(&out, TY(dt, 2), w, 0);
      for (int c = 0; c < 3; c++) w[c] = v[c] * v[3 + c];
      out = run1(JET_OP_REDUCE_PROD, TY(dt, 2, 3), b, &ax0, 1);
      expect_near(&out, TY(dt, 3), w, 0);
      double all = 0;
      for (int i = 0; i < 6; i++) all += v[i];
      out = run1(JET_OP_REDUCE_SUM, TY(dt, 2, 3), b, &both, 1);
      expect_near(&out, SCALAR(dt), &all, 0);
    }
    for (int c = 0; c < 3; c++) w[c] = fmax(v[c], v[3 + c]);
    out = run1(JET_OP_REDUCE_MAX, TY(dt, 2, 3), b, &ax0, 1);
    expect_near(&out, TY(dt, 3), w, 0);
    for (int r = 0; r < 2; r++) w[r] = fmin(fmin(v[3 * r], v[3 * r + 1]), v[3 * r + 2]);
    out = run1(JET_OP_REDUCE_MIN, TY(dt, 2, 3), b, &ax1, 1);
    expect_near(&out, TY(dt, 2), w, 0);
    /* empty reductions give the identity */
    jet_attr ax = A_INTS("axes", 0);
    out = run1(JET_OP_REDUCE_MAX, TY(dt, 0, 2), NULL, &ax, 1);
    double lo = dt == JET_F32 || dt == JET_F64 ? -INFINITY
                : dt == JET_I32                ? -2147483648.0
                : dt == JET_I64                ? -9223372036854775808.0
                                               : 0;
    expect_near(&out, TY(dt, 2), (double[]){lo, lo}, 0);
    out = run1(JET_OP_REDUCE_MIN, TY(dt, 0, 2), NULL, &ax, 1);
    double hi = dt == JET_F32 || dt == JET_F64 ? INFINITY
                : dt == JET_I32                ? 2147483647.0
                : dt == JET_I64                ? 9223372036854775807.0
                : dt == JET_U8                 ? 255
                : dt == JET_U32                ? 4294967295.0
                                               : 1;
    expect_near(&out, TY(dt, 2), (double[]){hi, hi}, 0);
    if (dt != JET_BOOL) {
      out = run1(JET_OP_REDUCE_SUM, TY(dt, 0, 2), NULL, &ax, 1);
      expect_near(&out, TY(dt, 2), (double[]){0, 0}, 0);
      out = run1(JET_OP_REDUCE_PROD, TY(dt, 0, 2), NULL, &ax, 1);
      expect_near(&out, TY(dt, 2), (double[]){1, 1}, 0);
    }
  }
  /* NaN propagates through max/min */
  const float nf[3] = {1, NAN, 2};
  jet_attr a0 = A_INTS("axes", 0);
  jet_buf out = run1(JET_OP_REDUCE_MAX, TY(JET_F32, 3), nf, &a0, 1);
  expect_near(&out, SCALAR(JET_F32), (double[]){NAN}, 0);
  out = run1(JET_OP_REDUCE_MIN, TY(JET_F32, 3), nf, &a0, 1);
  expect_near(&out, SCALAR(JET_F32), (double[]){NAN}, 0);
  /* f32 sums are accumulated in f64 */
  enum { N = 100001 };
  static float ones[N];
  for (int i = 0; i < N; i++) ones[i] = i == 0 ? 1e8f : 1.0f;
  out = run1(JET_OP_REDUCE_SUM, TY(JET_F32, N), ones, &a0, 1);
  expect_near(&out, SCALAR(JET_F32), (double[]){(float)(1e8 + N - 1)}, 0);
  /* i32 sums wrap */
  const int32_t big[2] = {INT32_MAX, 1};
  out = run1(JET_OP_REDUCE_SUM, TY(JET_I32, 2), big, &a0, 1);
  expect_bytes(&out, SCALAR(JET_I32), (int32_t[]){INT32_MIN});
}

static void argmax_argmin_cumsum(void **state) {
  (void)state;
  for (size_t k = 0; k < NELEM(all_dtypes); k++) {
    jet_dtype dt = all_dtypes[k];
    if (dt == JET_BOOL) continue;
    const double v[8] = {3, 7, 7, 1, 2, 2, 9, 0}; /* [2,4] */
    uint64_t b[8];
    store_as(dt, v, 8, b);
    jet_attr a[2] = {A_INTS("axes", 1), a_dtype("index_dtype", JET_I32)};
    jet_buf out = run1(JET_OP_ARGMAX, TY(dt, 2, 4), b, a, 2);
    expect_bytes(&out, TY(JET_I32, 2), (int32_t[]){1, 2});
    a[1] = a_dtype("index_dtype", JET_I64);
    out = run1(JET_OP_ARGMIN, TY(dt, 2, 4), b, a, 2);
    expect_bytes(&out, TY(JET_I64, 2), (int64_t[]){3, 3});
    a[0] = A_INTS("axes", 0);
    out = run1(JET_OP_ARGMAX, TY(dt, 2, 4), b, a, 2);
    expect_bytes(&out, TY(JET_I64, 4), (int64_t[]){0, 0, 1, 0});
    jet_attr c[2] = {a_int("axis", 1), a_bool("reverse", false)};
    out = run1(JET_OP_CUMSUM, TY(dt, 2, 4), b, c, 2);
    expect_near(&out, TY(dt, 2, 4), (double[]){3, 10, 17, 18, 2, 4, 13, 13}, 0);
    c[1] = a_bool("reverse", true);
    out = run1(JET_OP_CUMSUM, TY(dt, 2, 4), b, c, 2);
    expect_near(&out, TY(dt, 2, 4), (double[]){18, 15, 8, 1, 13, 11, 9, 0}, 0);
    jet_attr c0 = a_int("axis", 0);
    out = run1(JET_OP_CUMSUM, TY(dt, 2, 4), b, &c0, 1);
    expect_near(&out, TY(dt, 2, 4), (double[]){3, 7, 7, 1, 5, 9, 16, 1}, 0);
  }
  /* NaN wins for both */
  const double nv[4] = {1, NAN, 5, NAN};
  jet_attr a[2] = {A_INTS("axes", 0), a_dtype("index_dtype", JET_I32)};
  jet_buf out = run1(JET_OP_ARGMAX, TY(JET_F64, 4), nv, a, 2);
  expect_bytes(&out, SCALAR(JET_I32), (int32_t[]){1});
  out = run1(JET_OP_ARGMIN, TY(JET_F64, 4), nv, a, 2);
  expect_bytes(&out, SCALAR(JET_I32), (int32_t[]){1});
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(gather_rank1), cmocka_unit_test(gather_rank2),
      cmocka_unit_test(scatter_add),  cmocka_unit_test(reductions),
      cmocka_unit_test(argmax_argmin_cumsum),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
