/* Structure and slicing kernels: broadcast_in_dim, reshape, transpose,
 * squeeze, expand_dims, rev, slice, dynamic_slice, dynamic_update_slice,
 * concatenate, pad, iota, stop_gradient. Expected values by hand. */
#include "test_exec_util.h"

static const int32_t x23[6] = {0, 1, 2, 3, 4, 5}; /* [[0,1,2],[3,4,5]] */

static void structure(void **state) {
  (void)state;
  jet_attr b[2] = {A_INTS("shape", 2, 2, 3), A_INTS("broadcast_dimensions", 0, 2)};
  const int32_t col[2] = {7, 8}; /* [2,1] */
  jet_buf out = run1(JET_OP_BROADCAST_IN_DIM, TY(JET_I32, 2, 1), col, b, 2);
  expect_bytes(&out, TY(JET_I32, 2, 2, 3), (int32_t[]){7, 7, 7, 7, 7, 7, 8, 8, 8, 8, 8, 8});
  jet_attr b2[2] = {A_INTS("shape", 2, 3), A_NOINTS("broadcast_dimensions")};
  const double s = 2.5;
  out = run1(JET_OP_BROADCAST_IN_DIM, SCALAR(JET_F64), &s, b2, 2);
  expect_near(&out, TY(JET_F64, 2, 3), (double[]){2.5, 2.5, 2.5, 2.5, 2.5, 2.5}, 0);
  jet_attr b3[2] = {A_INTS("shape", 2, 3), A_INTS("broadcast_dimensions", 1)};
  const uint8_t row[3] = {1, 0, 1};
  out = run1(JET_OP_BROADCAST_IN_DIM, TY(JET_BOOL, 3), row, b3, 2);
  expect_bytes(&out, TY(JET_BOOL, 2, 3), (uint8_t[]){1, 0, 1, 1, 0, 1});

  jet_attr r = A_INTS("new_sizes", 3, 2);
  out = run1(JET_OP_RESHAPE, TY(JET_I32, 2, 3), x23, &r, 1);
  expect_bytes(&out, TY(JET_I32, 3, 2), x23);
  jet_attr t = A_INTS("permutation", 1, 0);
  out = run1(JET_OP_TRANSPOSE, TY(JET_I32, 2, 3), x23, &t, 1);
  expect_bytes(&out, TY(JET_I32, 3, 2), (int32_t[]){0, 3, 1, 4, 2, 5});
  /* rank 3: [2,3,2] -> perm (2,0,1) -> [2,2,3] */
  int64_t x3[12];
  for (int i = 0; i < 12; i++) x3[i] = i;
  jet_attr t3 = A_INTS("permutation", 2, 0, 1);
  out = run1(JET_OP_TRANSPOSE, TY(JET_I64, 2, 3, 2), x3, &t3, 1);
  expect_bytes(&out, TY(JET_I64, 2, 2, 3),
               (int64_t[]){0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11});
  jet_attr sq = A_INTS("dimensions", 0);
  out = run1(JET_OP_SQUEEZE, TY(JET_I32, 1, 6), x23, &sq, 1);
  expect_bytes(&out, TY(JET_I32, 6), x23);
  jet_attr ed = A_INTS("dimensions", 1);
  out = run1(JET_OP_EXPAND_DIMS, TY(JET_I32, 6), x23, &ed, 1);
  expect_bytes(&out, TY(JET_I32, 6, 1), x23);
  jet_attr rv = A_INTS("dimensions", 1);
  out = run1(JET_OP_REV, TY(JET_I32, 2, 3), x23, &rv, 1);
  expect_bytes(&out, TY(JET_I32, 2, 3), (int32_t[]){2, 1, 0, 5, 4, 3});
  jet_attr rv2 = A_INTS("dimensions", 0, 1);
  out = run1(JET_OP_REV, TY(JET_I32, 2, 3), x23, &rv2, 1);
  expect_bytes(&out, TY(JET_I32, 2, 3), (int32_t[]){5, 4, 3, 2, 1, 0});
  const float f[2] = {1.5f, NAN};
  out = run1(JET_OP_STOP_GRADIENT, TY(JET_F32, 2), f, NULL, 0);
  expect_bytes(&out, TY(JET_F32, 2), f);
}

static void slices(void **state) {
  (void)state;
  jet_attr sl[3] = {A_INTS("start_indices", 0, 1), A_INTS("limit_indices", 2, 3),
                    A_INTS("strides", 1, 1)};
  jet_buf out = run1(JET_OP_SLICE, TY(JET_I32, 2, 3), x23, sl, 3);
  expect_bytes(&out, TY(JET_I32, 2, 2), (int32_t[]){1, 2, 4, 5});
  double v[10];
  for (int i = 0; i < 10; i++) v[i] = i;
  jet_attr st[3] = {A_INTS("start_indices", 1), A_INTS("limit_indices", 9), A_INTS("strides", 3)};
  out = run1(JET_OP_SLICE, TY(JET_F64, 10), v, st, 3);
  expect_near(&out, TY(JET_F64, 3), (double[]){1, 4, 7}, 0);
  jet_attr st2[2] = {A_INTS("start_indices", 4), A_INTS("limit_indices", 4)};
  out = run1(JET_OP_SLICE, TY(JET_F64, 10), v, st2, 2);
  expect_type(&out, TY(JET_F64, 0));
  jet_mem_free(out.data);

  /* dynamic_slice: starts of different int dtypes, clamped */
  jet_attr ds = A_INTS("slice_sizes", 1, 2);
  const int64_t i0 = 5;
  const uint8_t i1 = 0;
  const int32_t im = -3, i2 = 2;
  jet_type ts[3] = {TY(JET_I32, 2, 3), SCALAR(JET_I64), SCALAR(JET_U8)};
  const void *d[3] = {x23, &i0, &i1};
  out = (jet_buf){0};
  expect_ok(run_op(JET_OP_DYNAMIC_SLICE, 3, ts, d, &ds, 1, &out));
  expect_bytes(&out, TY(JET_I32, 1, 2), (int32_t[]){3, 4});
  jet_type ts2[3] = {TY(JET_I32, 2, 3), SCALAR(JET_I32), SCALAR(JET_I32)};
  const void *d2[3] = {x23, &im, &i2};
  expect_ok(run_op(JET_OP_DYNAMIC_SLICE, 3, ts2, d2, &ds, 1, &out));
  expect_bytes(&out, TY(JET_I32, 1, 2), (int32_t[]){1, 2});

  /* dynamic_update_slice, clamped start */
  const int32_t upd[2] = {-1, -2};
  const int32_t r0 = 1, c9 = 9;
  jet_type tu[4] = {TY(JET_I32, 2, 3), TY(JET_I32, 1, 2), SCALAR(JET_I32), SCALAR(JET_I32)};
  const void *du[4] = {x23, upd, &r0, &c9};
  expect_ok(run_op(JET_OP_DYNAMIC_UPDATE_SLICE, 4, tu, du, NULL, 0, &out));
  expect_bytes(&out, TY(JET_I32, 2, 3), (int32_t[]){0, 1, 2, 3, -1, -2});

  /* concatenate along dim 1 and 0 */
  const int32_t c1[2] = {9, 8};
  jet_attr cd = a_int("dimension", 1);
  out = run2(JET_OP_CONCATENATE, TY(JET_I32, 2, 3), x23, TY(JET_I32, 2, 1), c1, &cd, 1);
  expect_bytes(&out, TY(JET_I32, 2, 4), (int32_t[]){0, 1, 2, 9, 3, 4, 5, 8});
  jet_attr c0 = a_int("dimension", 0);
  const uint8_t bb[3] = {1, 1, 0};
  const uint8_t ba[3] = {0, 1, 0};
  out = run2(JET_OP_CONCATENATE, TY(JET_BOOL, 1, 3), ba, TY(JET_BOOL, 1, 3), bb, &c0, 1);
  expect_bytes(&out, TY(JET_BOOL, 2, 3), (uint8_t[]){0, 1, 0, 1, 1, 0});
}

static void pad(void **state) {
  (void)state;
  const float x[3] = {1, 2, 3}, z = -1;
  jet_attr p = A_INTS("padding_config", 1, 2, 1);
  jet_buf out = run2(JET_OP_PAD, TY(JET_F32, 3), x, SCALAR(JET_F32), &z, &p, 1);
  expect_near(&out, TY(JET_F32, 8), (double[]){-1, 1, -1, 2, -1, 3, -1, -1}, 0);
  jet_attr pn = A_INTS("padding_config", -2, 1, 1); /* crop 2 at the front */
  out = run2(JET_OP_PAD, TY(JET_F32, 3), x, SCALAR(JET_F32), &z, &pn, 1);
  expect_near(&out, TY(JET_F32, 4), (double[]){2, -1, 3, -1}, 0);
  jet_attr p2 = A_INTS("padding_config", 1, 0, 0, 0, -1, 0);
  const int32_t zero = 0;
  out = run2(JET_OP_PAD, TY(JET_I32, 2, 3), x23, SCALAR(JET_I32), &zero, &p2, 1);
  expect_bytes(&out, TY(JET_I32, 3, 2), (int32_t[]){0, 0, 0, 1, 3, 4});
}

static void iota(void **state) {
  (void)state;
  for (size_t k = 0; k < NELEM(all_dtypes); k++) {
    jet_dtype dt = all_dtypes[k];
    if (dt == JET_BOOL) continue; /* iota takes numeric dtypes */
    jet_attr a[3] = {a_dtype("dtype", dt), A_INTS("shape", 2, 3), a_int("dimension", 1)};
    jet_graph *g = jet_graph_create("iota");
    jet_value v;
    expect_ok(jet_graph_add_node(g, JET_OP_IOTA, NULL, 0, a, 3, NULL, NULL, 0, &v));
    expect_ok(jet_graph_set_outputs(g, &v, 1));
    jet_buf out;
    expect_ok(jet_exec_graph(g, NULL, 0, &out, NULL));
    expect_near(&out, TY(dt, 2, 3), (double[]){0, 1, 2, 0, 1, 2}, 0);
    jet_graph_destroy(g);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(structure),
      cmocka_unit_test(slices),
      cmocka_unit_test(pad),
      cmocka_unit_test(iota),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
