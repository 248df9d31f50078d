/* The FFI helpers of libjet (client/lib/ffi.c) and the text parsers they use
 * (jet_attrs_parse, jet_transforms_parse): attributes and transforms given
 * as text build the same nodes as the typed API, errors are recorded in the
 * builder naming the op and attribute, types travel as integers. No daemon
 * needed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "jet/arena.h"
#include "jet/hash.h"
#include "jet/jet.h"
#include "jet/text.h"

static void test_attrs_parse(void **state) {
  (void)state;
  jet_arena *a = jet_arena_create(256);
  assert_non_null(a);
  jet_attr *at = NULL;
  uint32_t n = 99;
  const char *t = "shape=[2, 3], broadcast_dimensions=[1]";
  assert_null(jet_attrs_parse(JET_OP_BROADCAST_IN_DIM, t, strlen(t), a, &at, &n));
  assert_int_equal(n, 2);
  assert_string_equal(at[0].name, "shape");
  assert_int_equal(at[0].kind, JET_ATTR_INTS);
  assert_int_equal(at[0].u.ints.n, 2);
  assert_int_equal(at[0].u.ints.v[1], 3);
  assert_int_equal(at[1].u.ints.v[0], 1);

  t = "new_dtype=int32";
  assert_null(jet_attrs_parse(JET_OP_CONVERT_ELEMENT_TYPE, t, strlen(t), a, &at, &n));
  assert_int_equal(n, 1);
  assert_int_equal(at[0].u.dtype, JET_I32);

  t = "value=f32[2]{1.5, -inf}";
  assert_null(jet_attrs_parse(JET_OP_CONSTANT, t, strlen(t), a, &at, &n));
  assert_int_equal(at[0].u.lit.type.dtype, JET_F32);
  assert_int_equal(at[0].u.lit.nbytes, 8);
  const float *f = at[0].u.lit.data;
  assert_true(f[0] == 1.5f && f[1] < -3e38f);

  t = "axis=0, reverse=true";
  assert_null(jet_attrs_parse(JET_OP_CUMSUM, t, strlen(t), a, &at, &n));
  assert_int_equal(n, 2);
  assert_true(at[1].u.b);

  assert_null(jet_attrs_parse(JET_OP_ADD, "", 0, a, &at, &n));
  assert_int_equal(n, 0);

  /* unknown attribute, duplicate, bad value kind, trailing garbage */
  const char *bad[] = {"axes=[0]", "axis=0, axis=1", "axis=[0]", "axis=0 1", "=3"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    jet_status st = jet_attrs_parse(JET_OP_CUMSUM, bad[i], strlen(bad[i]), a, &at, &n);
    if (!st) fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
    jet_status_free(st);
  }
  jet_status st = jet_attrs_parse(JET_OP_CUMSUM, "axes=[0]", 8, a, &at, &n);
  assert_non_null(strstr(jet_status_message(st), "axes"));
  jet_status_free(st);
  jet_arena_destroy(a);
}

static void test_transforms_parse(void **state) {
  (void)state;
  jet_arena *a = jet_arena_create(256);
  jet_transform *tf = NULL;
  uint32_t n = 0;
  const char *t = "[grad(argnums=[0, 1], argnums_tuple=true, has_aux=true), "
                  "vmap(in_axes=[none, 0], out_axes=[-1], axis_size=4, axis_name=\"b\")]";
  assert_null(jet_transforms_parse(t, strlen(t), a, &tf, &n));
  assert_int_equal(n, 2);
  assert_int_equal(tf[0].kind, JET_TF_GRAD);
  assert_int_equal(tf[0].n_argnums, 2);
  assert_int_equal(tf[0].argnums[1], 1);
  assert_true(tf[0].argnums_tuple && tf[0].has_aux);
  assert_int_equal(tf[1].kind, JET_TF_VMAP);
  assert_int_equal(tf[1].n_in_axes, 2);
  assert_false(tf[1].in_axes[0].mapped);
  assert_true(tf[1].in_axes[1].mapped);
  assert_int_equal(tf[1].out_axes[0].axis, -1);
  assert_int_equal(tf[1].axis_size, 4);
  assert_string_equal(tf[1].axis_name, "b");

  assert_null(jet_transforms_parse("", 0, a, &tf, &n));
  assert_int_equal(n, 0);
  const char *bad[] = {"[grad(in_axes=[0])]", "[nope()]", "[grad()] x", "grad()"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    jet_status st = jet_transforms_parse(bad[i], strlen(bad[i]), a, &tf, &n);
    if (!st) fail_msg("'%s' was accepted", bad[i]);
    assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
    jet_status_free(st);
  }
  jet_arena_destroy(a);
}

/* The same graph built with the typed API and with the text API hashes the
 * same. */
static void test_op_text_matches_typed(void **state) {
  (void)state;
  int64_t d23[2] = {2, 3};
  jet_type m = jet_type_make(JET_F32, 2, d23);

  jet_builder *b1 = jet_builder_create("g");
  jet_value x = jet_builder_param(b1, &m);
  const int64_t shape[3] = {4, 2, 3}, bd[2] = {1, 2}, axes[1] = {0};
  jet_value y = jet_broadcast_in_dim(b1, x, shape, 3, bd, 2);
  jet_value s = jet_reduce_sum(b1, y, axes, 1);
  jet_value c = jet_convert(b1, s, JET_I32);
  assert_null(jet_builder_return(b1, &c, 1));

  jet_builder *b2 = jet_builder_create("g");
  jet_value x2 = jet_ffi_param(b2, JET_F32, 2, d23);
  jet_value y2 = jet_builder_op_text(b2, "broadcast_in_dim", &x2, 1,
                                     "shape=[4, 2, 3], broadcast_dimensions=[1, 2]");
  jet_value s2 = jet_builder_op_text(b2, "reduce_sum", &y2, 1, "axes=[0]");
  jet_value c2 = jet_builder_op_text(b2, "convert_element_type", &s2, 1, "new_dtype=i32");
  assert_null(jet_builder_return(b2, &c2, 1));

  int32_t dt = 0;
  int64_t dims[JET_MAX_RANK];
  assert_int_equal(jet_ffi_value_type(b2, y2, &dt, dims), 3);
  assert_int_equal(dt, JET_F32);
  assert_int_equal(dims[0], 4);
  assert_int_equal(jet_ffi_value_type(b2, c2, &dt, dims), 2);
  assert_int_equal(dt, JET_I32);
  assert_int_equal(jet_ffi_value_type(b2, JET_NO_VALUE, &dt, dims), -1);

  jet_hash h1 = jet_graph_hash(jet_builder_graph(b1), NULL, 0, NULL, 0);
  jet_hash h2 = jet_graph_hash(jet_builder_graph(b2), NULL, 0, NULL, 0);
  assert_memory_equal(h1.bytes, h2.bytes, 16);

  char *text = NULL;
  assert_null(jet_ffi_graph_text(b2, &text));
  assert_non_null(strstr(text, "reduce_sum[axes=[0]]"));
  jet_ffi_free(text);
  jet_builder_destroy(b1);
  jet_builder_destroy(b2);
}

static void test_op_text_errors(void **state) {
  (void)state;
  int64_t d3 = 3;
  jet_builder *b = jet_builder_create("e");
  jet_value x = jet_ffi_param(b, JET_F32, 1, &d3);
  assert_int_equal(jet_builder_op_text(b, "no_such_op", &x, 1, NULL), JET_NO_VALUE);
  jet_status st = jet_builder_status(b);
  assert_non_null(st);
  assert_non_null(strstr(jet_status_message(st), "no_such_op"));
  jet_status_free(st);
  jet_builder_destroy(b);

  b = jet_builder_create("e");
  x = jet_ffi_param(b, JET_F32, 1, &d3);
  assert_int_equal(jet_builder_op_text(b, "reduce_sum", &x, 1, "axes=[0], bogus=1"), JET_NO_VALUE);
  st = jet_builder_status(b);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "bogus"));
  jet_status_free(st);
  jet_builder_destroy(b);

  /* a bad type for a parameter is recorded, not crashed on */
  b = jet_builder_create("e");
  assert_int_equal(jet_ffi_param(b, 77, 1, &d3), JET_NO_VALUE);
  st = jet_builder_status(b);
  assert_non_null(st);
  jet_status_free(st);
  jet_builder_destroy(b);

  /* constant: byte count must match */
  b = jet_builder_create("e");
  float v[3] = {1, 2, 3};
  assert_int_equal(jet_ffi_constant(b, JET_F32, 1, &d3, v, 8), JET_NO_VALUE);
  st = jet_builder_status(b);
  assert_non_null(strstr(jet_status_message(st), "12"));
  jet_status_free(st);
  jet_builder_destroy(b);
}

static void test_call_text(void **state) {
  (void)state;
  jet_builder *callee = jet_builder_create("sq");
  jet_value p = jet_ffi_param(callee, JET_F32, 0, NULL);
  jet_value sq = jet_builder_op_text(callee, "mul", (jet_value[]){p, p}, 2, "");
  assert_null(jet_builder_return(callee, &sq, 1));

  jet_builder *b = jet_builder_create("outer");
  jet_value x = jet_ffi_param(b, JET_F32, 0, NULL);
  float two = 2.0f;
  jet_value c = jet_ffi_constant(b, JET_F32, 0, NULL, &two, sizeof two);
  jet_value outs[2];
  jet_value g = jet_call_text(b, callee, &x, 1, "[grad(argnums=[0])]", outs, 2);
  assert_int_not_equal(g, JET_NO_VALUE);
  assert_int_equal(outs[0], g);
  jet_value r = jet_builder_op_text(b, "mul", (jet_value[]){g, c}, 2, NULL);
  assert_null(jet_builder_return(b, &r, 1));
  char *text = NULL;
  assert_null(jet_ffi_graph_text(b, &text));
  assert_non_null(strstr(text, "call[transforms=[grad(argnums=[0])]]"));
  jet_ffi_free(text);

  /* a bad transforms text is the builder's error */
  jet_builder *b2 = jet_builder_create("bad");
  jet_value x2 = jet_ffi_param(b2, JET_F32, 0, NULL);
  assert_int_equal(jet_call_text(b2, callee, &x2, 1, "[grad(argnums=[0]", NULL, 0), JET_NO_VALUE);
  jet_status st = jet_builder_status(b2);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "transforms"));
  jet_status_free(st);
  jet_builder_destroy(b2);
  jet_builder_destroy(b);
  jet_builder_destroy(callee);
}

/* Calls that need a daemon check their arguments before any RPC. */
static void test_null_arguments(void **state) {
  (void)state;
  jet_status st = jet_ffi_array_put(NULL, JET_F32, 0, NULL, NULL, 0, NULL);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  st = jet_ffi_execute(NULL, NULL, 0, NULL, 0);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  st = jet_ffi_compile(NULL, NULL, NULL, NULL, NULL, NULL, 0, NULL);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  assert_int_equal(jet_ffi_array_type(NULL, NULL, NULL), -1);
  assert_int_equal(jet_ffi_output_type(NULL, 0, NULL, NULL), -1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_attrs_parse),        cmocka_unit_test(test_transforms_parse),
      cmocka_unit_test(test_op_text_matches_typed), cmocka_unit_test(test_op_text_errors),
      cmocka_unit_test(test_call_text),          cmocka_unit_test(test_null_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
