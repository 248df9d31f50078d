/* The libjet graph builder (no daemon needed): result types of the op
 * functions follow JAX's shape rules, errors are recorded once with the
 * function and node named, JET_NO_VALUE propagates, call copies its callee. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "jet/hash.h"
#include "jet/infer.h"
#include "jet/jet.h"
#include "jet/text.h"

static jet_type ty(jet_dtype d, int rank, int64_t d0, int64_t d1) {
  int64_t dims[2] = {d0, d1};
  return jet_type_make(d, rank, dims);
}

static void expect_type(jet_builder *b, jet_value v, jet_type want) {
  assert_int_not_equal(v, JET_NO_VALUE);
  const jet_type *got = jet_builder_value_type(b, v);
  assert_non_null(got);
  char g[JET_TYPE_STR_MAX], w[JET_TYPE_STR_MAX];
  if (!jet_type_equal(got, &want))
    fail_msg("got %s, want %s", jet_type_str(got, g, sizeof g), jet_type_str(&want, w, sizeof w));
}

static void expect_ok(jet_builder *b) {
  jet_status st = jet_builder_status(b);
  if (st) fail_msg("builder error: %s", jet_status_message(st));
}

static void test_shapes(void **state) {
  (void)state;
  jet_builder *b = jet_builder_create("shapes");
  assert_non_null(b);
  jet_type m23 = ty(JET_F32, 2, 2, 3), m34 = ty(JET_F32, 2, 3, 4), v3 = ty(JET_F32, 1, 3, 0);
  jet_value x = jet_builder_param(b, &m23);
  jet_value y = jet_builder_param(b, &m34);
  jet_value v = jet_builder_param(b, &v3);
  assert_int_equal(x, 0);
  assert_int_equal(v, 2);
  const int64_t c1[1] = {1}, c0[1] = {0};
  expect_type(b, jet_dot_general(b, x, y, c1, 1, c0, 1, NULL, 0, NULL, 0), ty(JET_F32, 2, 2, 4));
  expect_type(b, jet_dot_general(b, v, v, c0, 1, c0, 1, NULL, 0, NULL, 0), jet_type_scalar(JET_F32));
  expect_type(b, jet_reduce_sum(b, x, c1, 1), ty(JET_F32, 1, 2, 0));
  const int64_t perm[2] = {1, 0};
  expect_type(b, jet_transpose(b, x, perm, 2), ty(JET_F32, 2, 3, 2));
  const int64_t shape[2] = {2, 3}, bd[1] = {1};
  expect_type(b, jet_broadcast_in_dim(b, v, shape, 2, bd, 1), m23);
  const int64_t six[1] = {6};
  expect_type(b, jet_reshape(b, x, six, 1), ty(JET_F32, 1, 6, 0));
  expect_type(b, jet_convert(b, x, JET_I32), ty(JET_I32, 2, 2, 3));
  expect_type(b, jet_lt(b, x, x), ty(JET_BOOL, 2, 2, 3));
  expect_type(b, jet_integer_pow(b, v, 3), v3);
  const int64_t st0[1] = {1}, lim[1] = {3};
  expect_type(b, jet_slice(b, v, st0, lim, NULL, 1), ty(JET_F32, 1, 2, 0));
  jet_value parts[2] = {v, v};
  expect_type(b, jet_concatenate(b, parts, 2, 0), ty(JET_F32, 1, 6, 0));
  const int64_t ishape[1] = {5};
  expect_type(b, jet_iota(b, JET_I32, ishape, 1, 0), ty(JET_I32, 1, 5, 0));
  float data[3] = {1, 2, 3};
  jet_value k = jet_constant(b, &v3, data);
  expect_type(b, k, v3);
  expect_type(b, jet_mul(b, v, k), v3);
  expect_type(b, jet_cumsum(b, v, 0, true), v3);
  expect_type(b, jet_argmax(b, x, c1, 1, JET_I32), ty(JET_I32, 1, 2, 0));
  /* gather of 2 scalars from f32[3] with indices i32[2,1] */
  jet_type idx_t = ty(JET_I32, 2, 2, 1);
  int32_t idx[2] = {0, 2};
  jet_value ix = jet_constant(b, &idx_t, idx);
  const int64_t one[1] = {1};
  jet_gather_dims gd = {0};
  gd.collapsed_slice_dims = c0;
  gd.n_collapsed_slice_dims = 1;
  gd.start_index_map = c0;
  gd.n_start_index_map = 1;
  gd.slice_sizes = one;
  gd.n_slice_sizes = 1;
  gd.mode = JET_MODE_DEFAULT;
  jet_value g = jet_gather(b, v, ix, &gd);
  expect_type(b, g, ty(JET_F32, 1, 2, 0));
  jet_scatter_dims sd = {0};
  sd.inserted_window_dims = c0;
  sd.n_inserted_window_dims = 1;
  sd.scatter_dims_to_operand_dims = c0;
  sd.n_scatter_dims_to_operand_dims = 1;
  sd.mode = JET_MODE_DEFAULT;
  expect_type(b, jet_scatter_add(b, v, ix, g, &sd), v3);
  expect_ok(b);
  jet_value outs[1] = {k};
  jet_status st = jet_builder_return(b, outs, 1);
  assert_null(st);
  assert_null(jet_graph_validate(jet_builder_graph(b), NULL, 0));
  jet_builder_destroy(b);
}

/* Every generated unary function on f32[3] gives f32[3] (bool for
 * is_finite); `not` rejects floats. */
static void test_unary_table(void **state) {
  (void)state;
  jet_type v3 = ty(JET_F32, 1, 3, 0);
#define CHECK_UNARY(fn, E)                                                         \
  {                                                                                \
    jet_builder *b = jet_builder_create(#fn);                                      \
    jet_value x = jet_builder_param(b, &v3);                                       \
    jet_value r = jet_##fn(b, x);                                                  \
    if (JET_OP_##E == JET_OP_NOT) {                                                \
      assert_int_equal(r, JET_NO_VALUE);                                           \
    } else {                                                                       \
      expect_type(b, r, JET_OP_##E == JET_OP_IS_FINITE ? ty(JET_BOOL, 1, 3, 0) : v3); \
      assert_int_equal(jet_builder_graph(b)->nodes[0].op, JET_OP_##E);            \
    }                                                                              \
    jet_builder_destroy(b);                                                        \
  }
  JET_BUILDER_UNARY_OPS(CHECK_UNARY)
#undef CHECK_UNARY
  jet_type i3 = ty(JET_I32, 1, 3, 0);
#define CHECK_BINARY(fn, E)                                                        \
  {                                                                                \
    jet_builder *b = jet_builder_create(#fn);                                      \
    jet_value x = jet_builder_param(b, &i3);                                       \
    jet_value r = jet_##fn(b, x, x);                                               \
    if (JET_OP_##E == JET_OP_POW || JET_OP_##E == JET_OP_ATAN2) {                  \
      assert_int_equal(r, JET_NO_VALUE);                                           \
    } else {                                                                       \
      assert_int_not_equal(r, JET_NO_VALUE);                                       \
      assert_int_equal(jet_builder_graph(b)->nodes[0].op, JET_OP_##E);            \
    }                                                                              \
    jet_builder_destroy(b);                                                        \
  }
  JET_BUILDER_BINARY_OPS(CHECK_BINARY)
#undef CHECK_BINARY
}

static void test_first_error_is_kept(void **state) {
  (void)state;
  jet_builder *b = jet_builder_create("bad");
  jet_type f3 = ty(JET_F32, 1, 3, 0), i3 = ty(JET_I32, 1, 3, 0);
  jet_value x = jet_builder_param(b, &f3);
  jet_value y = jet_builder_param(b, &i3);
  jet_value z = jet_neg(b, x);
  assert_int_equal(z, 2);
  jet_value bad = jet_add(b, x, y);
  assert_int_equal(bad, JET_NO_VALUE);
  jet_status st = jet_builder_status(b);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  const char *msg = jet_status_message(st);
  assert_true(strncmp(msg, "jet_add: node 1 (add): ", strlen("jet_add: node 1 (add): ")) == 0);
  assert_non_null(strstr(msg, "operand 1"));
  /* later calls return JET_NO_VALUE and keep the first error */
  assert_int_equal(jet_neg(b, bad), JET_NO_VALUE);
  assert_int_equal(jet_sub(b, x, x), JET_NO_VALUE);
  jet_status st2 = jet_builder_return(b, &z, 1);
  assert_non_null(st2);
  assert_string_equal(jet_status_message(st2), msg);
  jet_status_free(st);
  jet_status_free(st2);
  jet_builder_destroy(b);
}

static void test_no_value_operand(void **state) {
  (void)state;
  jet_builder *b = jet_builder_create("nv");
  jet_type f3 = ty(JET_F32, 1, 3, 0);
  jet_value x = jet_builder_param(b, &f3);
  assert_int_equal(jet_mul(b, x, JET_NO_VALUE), JET_NO_VALUE);
  jet_status st = jet_builder_status(b);
  assert_non_null(st);
  assert_true(strncmp(jet_status_message(st), "jet_mul: ", 9) == 0);
  jet_status_free(st);
  /* a parameter after a node is an error of jet_builder_param */
  jet_builder *b2 = jet_builder_create("late");
  jet_value p = jet_builder_param(b2, &f3);
  (void)jet_neg(b2, p);
  assert_int_equal(jet_builder_param(b2, &f3), JET_NO_VALUE);
  st = jet_builder_status(b2);
  assert_non_null(st);
  assert_true(strncmp(jet_status_message(st), "jet_builder_param: ", 19) == 0);
  jet_status_free(st);
  jet_builder_destroy(b2);
  jet_builder_destroy(b);
}

static void test_call_copies_callee(void **state) {
  (void)state;
  jet_type f3 = ty(JET_F32, 1, 3, 0);
  jet_builder *f = jet_builder_create("f");
  jet_value fx = jet_builder_param(f, &f3);
  const int64_t ax[1] = {0};
  jet_value fouts[2] = {jet_mul(f, fx, fx), jet_reduce_sum(f, fx, ax, 1)};
  assert_null(jet_builder_return(f, fouts, 2));

  jet_builder *b = jet_builder_create("main");
  jet_value x = jet_builder_param(b, &f3);
  jet_value outs[2] = {JET_NO_VALUE, JET_NO_VALUE};
  jet_value r = jet_call(b, f, &x, 1, NULL, 0, outs, 2);
  jet_builder_destroy(f); /* the callee was copied */
  expect_type(b, r, f3);
  assert_int_equal(outs[0], r);
  assert_int_equal(outs[1], r + 1);
  expect_type(b, outs[1], jet_type_scalar(JET_F32));
  assert_int_equal(jet_builder_num_results(b, r), 2);
  assert_null(jet_builder_return(b, outs, 2));
  assert_null(jet_graph_validate(jet_builder_graph(b), NULL, 0));
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  assert_null(jet_graph_print(jet_builder_graph(b), &sb));
  assert_non_null(strstr(sb.data, "call"));
  assert_non_null(strstr(sb.data, "graph f("));
  jet_strbuf_free(&sb);
  jet_builder_destroy(b);
}

/* Equal graphs hash equal (the client cache's key); a different attribute
 * changes the hash. */
static void test_same_graph_same_hash(void **state) {
  (void)state;
  jet_hash h[3];
  for (int i = 0; i < 3; i++) {
    jet_builder *b = jet_builder_create(i ? "other_name" : "g");
    jet_type f3 = ty(JET_F32, 1, 3, 0);
    jet_value x = jet_builder_param(b, &f3);
    jet_value s = jet_integer_pow(b, x, i == 2 ? 3 : 2);
    assert_null(jet_builder_return(b, &s, 1));
    h[i] = jet_graph_hash(jet_builder_graph(b), NULL, 0, NULL, 0);
    jet_builder_destroy(b);
  }
  assert_memory_equal(h[0].bytes, h[1].bytes, 16);
  assert_memory_not_equal(h[0].bytes, h[2].bytes, 16);
}

static void test_generic_node(void **state) {
  (void)state;
  jet_builder *b = jet_builder_create("generic");
  jet_type m = ty(JET_F32, 2, 2, 3);
  jet_value x = jet_builder_param(b, &m);
  const int64_t axes[1] = {0};
  jet_attr a = {0};
  a.name = "axes";
  a.kind = JET_ATTR_INTS;
  a.u.ints.v = axes;
  a.u.ints.n = 1;
  expect_type(b, jet_op_node(b, JET_OP_REDUCE_MAX, &x, 1, &a, 1), ty(JET_F32, 1, 3, 0));
  /* missing attribute */
  assert_int_equal(jet_op_node(b, JET_OP_REDUCE_MAX, &x, 1, NULL, 0), JET_NO_VALUE);
  jet_status st = jet_builder_status(b);
  assert_non_null(st);
  assert_true(strncmp(jet_status_message(st), "jet_op_node: ", 13) == 0);
  assert_non_null(strstr(jet_status_message(st), "axes"));
  jet_status_free(st);
  jet_builder_destroy(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shapes),
      cmocka_unit_test(test_unary_table),
      cmocka_unit_test(test_first_error_is_kept),
      cmocka_unit_test(test_no_value_operand),
      cmocka_unit_test(test_call_copies_callee),
      cmocka_unit_test(test_same_graph_same_hash),
      cmocka_unit_test(test_generic_node),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
