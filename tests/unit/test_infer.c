/* jet_infer: one valid case with its exact result type for every op of
 * ops.def (checked by a coverage loop), and the generic checks (operand
 * count, attribute schema, operand dtypes, reserved dtypes). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/infer.h"

#include "infer_case.h"

static bool covered[JET_OP_COUNT];

static void ok_case(jet_op op, const jet_type *in, uint32_t n_in, const jet_attr *at, uint32_t n_at,
                    jet_type want) {
  jet_type res[4];
  uint32_t n = 99;
  jet_status st = jet_infer(op, in, n_in, at, n_at, NULL, NULL, 0, res, 4, &n);
  if (st) fail_msg("%s: unexpected error: %s", jet_op_name(op), jet_status_message(st));
  assert_int_equal(n, 1);
  char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
  if (!jet_type_equal(&res[0], &want)) {
    fail_msg("%s: got %s, want %s", jet_op_name(op), jet_type_str(&res[0], a, sizeof a),
             jet_type_str(&want, b, sizeof b));
  }
  covered[op] = true;
}

#define F32 JET_F32
#define F64 JET_F64
#define I32 JET_I32
#define I64 JET_I64
#define U8 JET_U8
#define U32 JET_U32
#define BOOL JET_BOOL

static void valid_elementwise(void) {
  static const jet_op float_unary[] = {
      JET_OP_NEG,     JET_OP_ABS,    JET_OP_SIGN,         JET_OP_FLOOR, JET_OP_CEIL,  JET_OP_ROUND,
      JET_OP_EXP,     JET_OP_EXP2,   JET_OP_LOG,          JET_OP_LOG1P, JET_OP_EXPM1, JET_OP_SQRT,
      JET_OP_RSQRT,   JET_OP_TANH,   JET_OP_LOGISTIC,     JET_OP_SIN,   JET_OP_COS,   JET_OP_TAN,
      JET_OP_ASIN,    JET_OP_ACOS,   JET_OP_ATAN,         JET_OP_SINH,  JET_OP_COSH,  JET_OP_ERF,
      JET_OP_ERF_INV, JET_OP_SQUARE, JET_OP_STOP_GRADIENT};
  for (size_t i = 0; i < sizeof float_unary / sizeof float_unary[0]; i++) {
    ok_case(float_unary[i], TYPES(ty(F32, "2,3")), NONE, ty(F32, "2,3"));
  }
  ok_case(JET_OP_NEG, TYPES(ty(I32, "4")), NONE, ty(I32, "4"));
  ok_case(JET_OP_ABS, TYPES(ty(I64, "")), NONE, ty(I64, ""));
  ok_case(JET_OP_ROUND, TYPES(ty(F64, "5")), ATTRS(a_int("rounding_method", 1)), ty(F64, "5"));
  ok_case(JET_OP_IS_FINITE, TYPES(ty(F32, "2,3")), NONE, ty(BOOL, "2,3"));
  ok_case(JET_OP_INTEGER_POW, TYPES(ty(I32, "3")), ATTRS(a_int("y", 3)), ty(I32, "3"));
  ok_case(JET_OP_INTEGER_POW, TYPES(ty(F32, "3")), ATTRS(a_int("y", -2)), ty(F32, "3"));
  ok_case(JET_OP_NOT, TYPES(ty(BOOL, "4")), NONE, ty(BOOL, "4"));
  ok_case(JET_OP_NOT, TYPES(ty(U8, "4")), NONE, ty(U8, "4"));
  ok_case(JET_OP_STOP_GRADIENT, TYPES(ty(BOOL, "1")), NONE, ty(BOOL, "1"));

  static const jet_op num_binary[] = {JET_OP_ADD, JET_OP_SUB, JET_OP_MUL, JET_OP_DIV,  JET_OP_REM,
                                      JET_OP_POW, JET_OP_MAX, JET_OP_MIN, JET_OP_ATAN2};
  for (size_t i = 0; i < sizeof num_binary / sizeof num_binary[0]; i++) {
    ok_case(num_binary[i], TYPES(ty(F32, "2,3"), ty(F32, "")), NONE, ty(F32, "2,3"));
    ok_case(num_binary[i], TYPES(ty(F64, ""), ty(F64, "7")), NONE, ty(F64, "7"));
    ok_case(num_binary[i], TYPES(ty(F32, ""), ty(F32, "")), NONE, ty(F32, ""));
  }
  static const jet_op bits[] = {JET_OP_AND, JET_OP_OR, JET_OP_XOR};
  for (size_t i = 0; i < 3; i++) {
    ok_case(bits[i], TYPES(ty(BOOL, "3"), ty(BOOL, "3")), NONE, ty(BOOL, "3"));
    ok_case(bits[i], TYPES(ty(U32, "3"), ty(U32, "")), NONE, ty(U32, "3"));
  }
  static const jet_op shifts[] = {JET_OP_SHIFT_LEFT, JET_OP_SHIFT_RIGHT_LOGICAL,
                                  JET_OP_SHIFT_RIGHT_ARITHMETIC};
  for (size_t i = 0; i < 3; i++) {
    ok_case(shifts[i], TYPES(ty(I32, "2,2"), ty(I32, "2,2")), NONE, ty(I32, "2,2"));
  }
  ok_case(JET_OP_MAX, TYPES(ty(BOOL, "2"), ty(BOOL, "2")), NONE, ty(BOOL, "2"));
  static const jet_op cmps[] = {JET_OP_EQ, JET_OP_NE, JET_OP_LT, JET_OP_LE, JET_OP_GT, JET_OP_GE};
  for (size_t i = 0; i < 6; i++) {
    ok_case(cmps[i], TYPES(ty(F32, "3"), ty(F32, "3")), NONE, ty(BOOL, "3"));
    ok_case(cmps[i], TYPES(ty(I64, ""), ty(I64, "2,4")), NONE, ty(BOOL, "2,4"));
  }
  ok_case(JET_OP_SELECT, TYPES(ty(BOOL, "2,3"), ty(I32, "2,3"), ty(I32, "2,3")), NONE,
          ty(I32, "2,3"));
  ok_case(JET_OP_SELECT, TYPES(ty(BOOL, ""), ty(F32, "4"), ty(F32, "4")), NONE, ty(F32, "4"));
  ok_case(JET_OP_CLAMP, TYPES(ty(F32, ""), ty(F32, "5"), ty(F32, "")), NONE, ty(F32, "5"));
  ok_case(JET_OP_CLAMP, TYPES(ty(I32, "5"), ty(I32, "5"), ty(I32, "")), NONE, ty(I32, "5"));
  ok_case(JET_OP_CONVERT_ELEMENT_TYPE, TYPES(ty(I32, "2")), ATTRS(a_dtype("new_dtype", F32)),
          ty(F32, "2"));
  ok_case(JET_OP_CONVERT_ELEMENT_TYPE, TYPES(ty(F64, "2,1")), ATTRS(a_dtype("new_dtype", BOOL)),
          ty(BOOL, "2,1"));
  ok_case(JET_OP_BITCAST_CONVERT_TYPE, TYPES(ty(F32, "3")), ATTRS(a_dtype("new_dtype", U32)),
          ty(U32, "3"));
  ok_case(JET_OP_BITCAST_CONVERT_TYPE, TYPES(ty(I64, "")), ATTRS(a_dtype("new_dtype", F64)),
          ty(F64, ""));
}

static void valid_structure(void) {
  ok_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(F32, "3")),
          ATTRS(a_ints("shape", IL(2, 3)), a_ints("broadcast_dimensions", IL(1))), ty(F32, "2,3"));
  ok_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(I32, "1,3")),
          ATTRS(a_ints("shape", IL(4, 5, 3)), a_ints("broadcast_dimensions", IL(1, 2))),
          ty(I32, "4,5,3"));
  ok_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(F32, "")),
          ATTRS(a_ints("shape", IL(0, 2)), a_ints("broadcast_dimensions", NONE)), ty(F32, "0,2"));
  ok_case(JET_OP_RESHAPE, TYPES(ty(F32, "2,3")), ATTRS(a_ints("new_sizes", IL(3, 2))),
          ty(F32, "3,2"));
  ok_case(JET_OP_RESHAPE, TYPES(ty(F32, "2,3")), ATTRS(a_ints("new_sizes", IL(6))), ty(F32, "6"));
  ok_case(JET_OP_RESHAPE, TYPES(ty(F32, "1")), ATTRS(a_ints("new_sizes", NONE)), ty(F32, ""));
  ok_case(JET_OP_RESHAPE, TYPES(ty(F32, "0,5")), ATTRS(a_ints("new_sizes", IL(5, 0, 7))),
          ty(F32, "5,0,7"));
  ok_case(JET_OP_TRANSPOSE, TYPES(ty(F32, "2,3,4")), ATTRS(a_ints("permutation", IL(2, 0, 1))),
          ty(F32, "4,2,3"));
  ok_case(JET_OP_SQUEEZE, TYPES(ty(F32, "1,3,1")), ATTRS(a_ints("dimensions", IL(0, -1))),
          ty(F32, "3"));
  ok_case(JET_OP_EXPAND_DIMS, TYPES(ty(F32, "2,3")), ATTRS(a_ints("dimensions", IL(0, -1))),
          ty(F32, "1,2,3,1"));
  ok_case(JET_OP_EXPAND_DIMS, TYPES(ty(F32, "2,3")), ATTRS(a_ints("dimensions", IL(1))),
          ty(F32, "2,1,3"));
  ok_case(JET_OP_REV, TYPES(ty(U8, "2,3")), ATTRS(a_ints("dimensions", IL(1, 0))), ty(U8, "2,3"));
  ok_case(JET_OP_SLICE, TYPES(ty(F32, "10,5")),
          ATTRS(a_ints("start_indices", IL(1, 0)), a_ints("limit_indices", IL(8, 5)),
                a_ints("strides", IL(3, 2))),
          ty(F32, "3,3"));
  ok_case(JET_OP_SLICE, TYPES(ty(F32, "10,5")),
          ATTRS(a_ints("start_indices", IL(1, 5)), a_ints("limit_indices", IL(8, 5))),
          ty(F32, "7,0"));
  ok_case(JET_OP_DYNAMIC_SLICE, TYPES(ty(F32, "5,6"), ty(I32, ""), ty(I64, "")),
          ATTRS(a_ints("slice_sizes", IL(2, 3))), ty(F32, "2,3"));
  ok_case(JET_OP_DYNAMIC_SLICE, TYPES(ty(F32, "")), ATTRS(a_ints("slice_sizes", NONE)),
          ty(F32, ""));
  ok_case(JET_OP_DYNAMIC_UPDATE_SLICE,
          TYPES(ty(F32, "5,6"), ty(F32, "2,6"), ty(U32, ""), ty(I32, "")), NONE, ty(F32, "5,6"));
  ok_case(JET_OP_CONCATENATE, TYPES(ty(F32, "2,3"), ty(F32, "4,3"), ty(F32, "1,3")),
          ATTRS(a_int("dimension", 0)), ty(F32, "7,3"));
  ok_case(JET_OP_CONCATENATE, TYPES(ty(I32, "2,3")), ATTRS(a_int("dimension", 1)), ty(I32, "2,3"));
  ok_case(JET_OP_PAD, TYPES(ty(F32, "3,4"), ty(F32, "")),
          ATTRS(a_ints("padding_config", IL(1, 2, 0, -1, 0, 2))), ty(F32, "6,9"));
  ok_case(JET_OP_PAD, TYPES(ty(F32, "0"), ty(F32, "")),
          ATTRS(a_ints("padding_config", IL(1, 1, 5))), ty(F32, "2"));
  ok_case(JET_OP_IOTA, NONE,
          ATTRS(a_dtype("dtype", I32), a_ints("shape", IL(2, 5)), a_int("dimension", 1)),
          ty(I32, "2,5"));
}

static void valid_index_reduce_misc(void) {
  /* x[idx] with x f32[5,3] and idx i32[4,1]. */
  ok_case(JET_OP_GATHER, TYPES(ty(F32, "5,3"), ty(I32, "4,1")),
          ATTRS(a_ints("offset_dims", IL(1)), a_ints("collapsed_slice_dims", IL(0)),
                a_ints("start_index_map", IL(0)), a_ints("slice_sizes", IL(1, 3))),
          ty(F32, "4,3"));
  /* Offset dims interleaved with batch dims. */
  ok_case(
      JET_OP_GATHER, TYPES(ty(F32, "5,3"), ty(I64, "4,2")),
      ATTRS(a_ints("offset_dims", IL(0, 2)), a_ints("collapsed_slice_dims", NONE),
            a_ints("start_index_map", IL(0, 1)), a_ints("slice_sizes", IL(2, 2)), a_int("mode", 1)),
      ty(F32, "2,4,2"));
  /* With batching dims. */
  ok_case(JET_OP_GATHER, TYPES(ty(F32, "2,5,3"), ty(I32, "2,4,1")),
          ATTRS(a_ints("offset_dims", IL(2)), a_ints("collapsed_slice_dims", IL(1)),
                a_ints("start_index_map", IL(1)), a_ints("operand_batching_dims", IL(0)),
                a_ints("start_indices_batching_dims", IL(0)), a_ints("slice_sizes", IL(1, 1, 3))),
          ty(F32, "2,4,3"));
  ok_case(JET_OP_SCATTER_ADD, TYPES(ty(F32, "5,3"), ty(I32, "4,1"), ty(F32, "4,3")),
          ATTRS(a_ints("update_window_dims", IL(1)), a_ints("inserted_window_dims", IL(0)),
                a_ints("scatter_dims_to_operand_dims", IL(0))),
          ty(F32, "5,3"));
  ok_case(
      JET_OP_SCATTER_ADD, TYPES(ty(I32, "2,5,3"), ty(I32, "2,4,1"), ty(I32, "2,4,3")),
      ATTRS(a_ints("update_window_dims", IL(2)), a_ints("inserted_window_dims", IL(1)),
            a_ints("scatter_dims_to_operand_dims", IL(1)), a_ints("operand_batching_dims", IL(0)),
            a_ints("scatter_indices_batching_dims", IL(0)), a_int("mode", 0)),
      ty(I32, "2,5,3"));
  ok_case(JET_OP_REDUCE_SUM, TYPES(ty(F32, "2,3,4")), ATTRS(a_ints("axes", IL(0, 2))),
          ty(F32, "3"));
  ok_case(JET_OP_REDUCE_MAX, TYPES(ty(F32, "2,3,4")), ATTRS(a_ints("axes", IL(-1))),
          ty(F32, "2,3"));
  ok_case(JET_OP_REDUCE_MIN, TYPES(ty(BOOL, "2,3")), ATTRS(a_ints("axes", NONE)), ty(BOOL, "2,3"));
  ok_case(JET_OP_REDUCE_PROD, TYPES(ty(I32, "2,3")), ATTRS(a_ints("axes", IL(1, 0))), ty(I32, ""));
  ok_case(JET_OP_ARGMAX, TYPES(ty(F32, "2,3")),
          ATTRS(a_ints("axes", IL(1)), a_dtype("index_dtype", I32)), ty(I32, "2"));
  ok_case(JET_OP_ARGMIN, TYPES(ty(U8, "2,3")),
          ATTRS(a_ints("axes", IL(0)), a_dtype("index_dtype", I64)), ty(I64, "3"));
  ok_case(JET_OP_CUMSUM, TYPES(ty(F32, "2,3")), ATTRS(a_int("axis", 1), a_bool("reverse", true)),
          ty(F32, "2,3"));
  ok_case(JET_OP_CUMSUM, TYPES(ty(I64, "4")), ATTRS(a_int("axis", -1)), ty(I64, "4"));
  ok_case(JET_OP_DOT_GENERAL, TYPES(ty(F32, "2,3"), ty(F32, "3,4")),
          ATTRS(a_ints("lhs_contracting_dimensions", IL(1)),
                a_ints("rhs_contracting_dimensions", IL(0))),
          ty(F32, "2,4"));
  ok_case(JET_OP_DOT_GENERAL, TYPES(ty(F32, "5,2,3"), ty(F32, "4,3,5")),
          ATTRS(a_ints("lhs_contracting_dimensions", IL(2)),
                a_ints("rhs_contracting_dimensions", IL(1)), a_ints("lhs_batch_dimensions", IL(0)),
                a_ints("rhs_batch_dimensions", IL(2))),
          ty(F32, "5,2,4"));
  ok_case(
      JET_OP_DOT_GENERAL, TYPES(ty(I32, "2,3"), ty(I32, "3")),
      ATTRS(a_ints("lhs_contracting_dimensions", IL(1)),
            a_ints("rhs_contracting_dimensions", IL(0)), a_dtype("preferred_element_type", F32)),
      ty(F32, "2"));
  ok_case(
      JET_OP_DOT_GENERAL, TYPES(ty(F32, "2"), ty(F32, "3")),
      ATTRS(a_ints("lhs_contracting_dimensions", NONE), a_ints("rhs_contracting_dimensions", NONE)),
      ty(F32, "2,3"));
  static const float data[6] = {1, 2, 3, 4, 5, 6};
  ok_case(JET_OP_CONSTANT, NONE, ATTRS(a_lit("value", ty(F32, "2,3"), data, sizeof data)),
          ty(F32, "2,3"));
  ok_case(JET_OP_CONSTANT, NONE, ATTRS(a_lit("value", ty(I32, "0"), NULL, 0)), ty(I32, "0"));
}

/* call: a callee with params (f32[3], i32[]) and outputs (neg x, x, n). */
static void valid_call(void) {
  jet_graph *g = jet_graph_create("main");
  assert_non_null(g);
  jet_graph *c = jet_graph_create_child(g, "f");
  assert_non_null(c);
  jet_type p0 = ty(F32, "3"), p1 = ty(I32, "");
  jet_value x, n, y;
  assert_null(jet_graph_add_param(c, &p0, &x));
  assert_null(jet_graph_add_param(c, &p1, &n));
  assert_null(jet_graph_add_node(c, JET_OP_NEG, &x, 1, NULL, 0, NULL, NULL, 0, &y));
  jet_value outs[3] = {y, x, n};
  assert_null(jet_graph_set_outputs(c, outs, 3));
  jet_type in[2] = {p0, p1}, res[4];
  uint32_t nr = 0;
  assert_null(jet_infer(JET_OP_CALL, in, 2, NULL, 0, c, NULL, 0, res, 4, &nr));
  assert_int_equal(nr, 3);
  assert_true(jet_type_equal(&res[0], &p0));
  assert_true(jet_type_equal(&res[1], &p0));
  assert_true(jet_type_equal(&res[2], &p1));
  covered[JET_OP_CALL] = true;

  /* Too little room for the results. */
  jet_status st = jet_infer(JET_OP_CALL, in, 2, NULL, 0, c, NULL, 0, res, 2, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  /* Operand count and types. */
  st = jet_infer(JET_OP_CALL, in, 1, NULL, 0, c, NULL, 0, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "2 parameters"));
  jet_status_free(st);
  jet_type bad[2] = {ty(F32, "4"), p1};
  st = jet_infer(JET_OP_CALL, bad, 2, NULL, 0, c, NULL, 0, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(
      strstr(jet_status_message(st), "operand 0 has type f32[4] but callee parameter 0 is f32[3]"));
  jet_status_free(st);
  /* No callee. */
  st = jet_infer(JET_OP_CALL, in, 2, NULL, 0, NULL, NULL, 0, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "callee"));
  jet_status_free(st);
  /* Transformed callees: operands and results follow the transformed
   * signature (see test_infer_transforms.c for the rule itself). */
  jet_transform tf;
  memset(&tf, 0, sizeof tf);
  tf.kind = JET_TF_JVP;
  jet_type jin[4] = {p0, p1, p0, p1}, jres[8];
  assert_null(jet_infer(JET_OP_CALL, jin, 4, NULL, 0, c, &tf, 1, jres, 8, &nr));
  assert_int_equal(nr, 6);
  assert_true(jet_type_equal(&jres[3], &p0));
  assert_true(jet_type_equal(&jres[5], &p1));
  /* The untransformed operand list no longer fits. */
  st = jet_infer(JET_OP_CALL, in, 2, NULL, 0, c, &tf, 1, jres, 8, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "transformed callee takes 4 parameters"));
  jet_status_free(st);
  /* grad of a non-scalar output names the shape. */
  tf.kind = JET_TF_GRAD;
  st = jet_infer(JET_OP_CALL, in, 2, NULL, 0, c, &tf, 1, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "Output had shape: [3]"));
  jet_status_free(st);
  /* jacfwd with has_aux: d out0 / d x, then the aux outputs. */
  tf.kind = JET_TF_JACFWD;
  tf.has_aux = true;
  assert_null(jet_infer(JET_OP_CALL, in, 2, NULL, 0, c, &tf, 1, res, 4, &nr));
  assert_int_equal(nr, 3);
  jet_type j33 = ty(F32, "3,3");
  assert_true(jet_type_equal(&res[0], &j33));
  assert_true(jet_type_equal(&res[1], &p0));
  assert_true(jet_type_equal(&res[2], &p1));
  /* pmap (in_axes 0): the axis size read from the operands, outputs
   * stacked; then JAX's errors. */
  memset(&tf, 0, sizeof tf);
  tf.kind = JET_TF_PMAP;
  jet_type pin[2] = {ty(F32, "2,3"), ty(I32, "2")};
  assert_null(jet_infer(JET_OP_CALL, pin, 2, NULL, 0, c, &tf, 1, res, 4, &nr));
  assert_int_equal(nr, 3);
  assert_true(jet_type_equal(&res[0], &pin[0]) && jet_type_equal(&res[1], &pin[0]) &&
              jet_type_equal(&res[2], &pin[1]));
  jet_type pbad[2] = {ty(F32, "2,3"), ty(I32, "3")};
  st = jet_infer(JET_OP_CALL, pbad, 2, NULL, 0, c, &tf, 1, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(
      strstr(jet_status_message(st), "pmap got inconsistent sizes for array axes to be mapped"));
  jet_status_free(st);
  const jet_axis_spec three[3] = {{true, 0}, {true, 0}, {true, 0}};
  tf.in_axes = three;
  tf.n_in_axes = 3;
  st = jet_infer(JET_OP_CALL, pin, 2, NULL, 0, c, &tf, 1, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "pmap in_axes specification must be a tree prefix"));
  jet_status_free(st);
  const jet_axis_spec nones[2] = {{false, 0}, {false, 0}};
  tf.in_axes = nones;
  tf.n_in_axes = 2;
  st = jet_infer(JET_OP_CALL, in, 2, NULL, 0, c, &tf, 1, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "pmap must have at least one non-None value"));
  jet_status_free(st);
  const jet_axis_spec far[2] = {{true, 2}, {false, 0}};
  tf.in_axes = far;
  st = jet_infer(JET_OP_CALL, pin, 2, NULL, 0, c, &tf, 1, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "pmap was requested to map its argument along axis 2"));
  jet_status_free(st);
  /* A callee on another op. */
  st = jet_infer(JET_OP_NEG, in, 1, NULL, 0, c, NULL, 0, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  jet_graph_destroy(g);
}

/* cond: results are branch 0's outputs; the branches are checked against
 * the operands after the predicate and against each other. */
static void valid_cond(void) {
  jet_graph *g = jet_graph_create("main");
  assert_non_null(g);
  jet_graph *b[2];
  jet_type p0 = ty(F32, "3");
  for (int k = 0; k < 2; k++) {
    b[k] = jet_graph_create_child(g, k ? "b1" : "b0");
    assert_non_null(b[k]);
    jet_value x, y;
    assert_null(jet_graph_add_param(b[k], &p0, &x));
    assert_null(jet_graph_add_node(b[k], k ? JET_OP_NEG : JET_OP_ABS, &x, 1, NULL, 0, NULL, NULL,
                                   0, &y));
    assert_null(jet_graph_set_outputs(b[k], &y, 1));
  }
  jet_type in[2] = {ty(BOOL, ""), p0}, res[4];
  uint32_t nr = 0;
  assert_null(jet_infer_sub(JET_OP_COND, in, 2, NULL, 0, NULL, b, 2, NULL, 0, res, 4, &nr));
  assert_int_equal(nr, 1);
  assert_true(jet_type_equal(&res[0], &p0));
  covered[JET_OP_COND] = true;
  /* No branches; sub-graphs on another op. */
  jet_status st = jet_infer(JET_OP_COND, in, 2, NULL, 0, NULL, NULL, 0, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  st = jet_infer_sub(JET_OP_NEG, in + 1, 1, NULL, 0, NULL, b, 2, NULL, 0, res, 4, &nr);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "takes no sub-graphs"));
  jet_status_free(st);
  /* A f32 predicate; a bool predicate with 1 branch. */
  jet_type bad[2] = {ty(F32, ""), p0};
  st = jet_infer_sub(JET_OP_COND, bad, 2, NULL, 0, NULL, b, 2, NULL, 0, res, 4, &nr);
  assert_non_null(strstr(jet_status_message(st), "predicate"));
  jet_status_free(st);
  st = jet_infer_sub(JET_OP_COND, in, 2, NULL, 0, NULL, b, 1, NULL, 0, res, 4, &nr);
  assert_non_null(strstr(jet_status_message(st), "exactly 2 branches"));
  jet_status_free(st);
  jet_graph_destroy(g);
}

/* A sub-graph of g with the given params returning params[outs[k]] or, for
 * out index -1, lt(param 0, param 0) (a bool scalar). */
static jet_graph *sub(jet_graph *g, const jet_type *ps, uint32_t np, const int *outs,
                      uint32_t no) {
  jet_graph *b = jet_graph_create_child(g, "b");
  assert_non_null(b);
  jet_value v[8], o[8];
  for (uint32_t i = 0; i < np; i++) assert_null(jet_graph_add_param(b, &ps[i], &v[i]));
  for (uint32_t k = 0; k < no; k++) {
    if (outs[k] >= 0) {
      o[k] = v[outs[k]];
    } else {
      jet_value ops[2] = {v[0], v[0]};
      assert_null(jet_graph_add_node(b, JET_OP_LT, ops, 2, NULL, 0, NULL, NULL, 0, &o[k]));
    }
  }
  assert_null(jet_graph_set_outputs(b, o, no));
  return b;
}

static void expect_sub_error(jet_op op, const jet_type *in, uint32_t n_in, const jet_attr *at,
                             uint32_t n_at, jet_graph *const *b, uint32_t nb, const char *msg) {
  jet_type res[4];
  uint32_t nr = 0;
  jet_status st = jet_infer_sub(op, in, n_in, at, n_at, NULL, b, nb, NULL, 0, res, 4, &nr);
  if (!st) fail_msg("%s: expected an error containing '%s'", jet_op_name(op), msg);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  if (!strstr(jet_status_message(st), msg))
    fail_msg("%s: '%s' lacks '%s'", jet_op_name(op), jet_status_message(st), msg);
  jet_status_free(st);
}

/* while and scan: results, and each signature mismatch named. */
static void valid_loops(void) {
  jet_graph *g = jet_graph_create("main");
  assert_non_null(g);
  const jet_type i = ty(I32, ""), x = ty(F32, "3"), xs = ty(F32, "5,3"), y2 = ty(F32, "5,3");
  jet_type res[4];
  uint32_t nr = 0;
  /* while(n_consts=1): const x, carry (i, x); cond -> bool, body -> (i, x) */
  const jet_type win[3] = {x, i, x};
  const int cond_out[1] = {-1}, body_out[2] = {1, 0};
  jet_graph *cb[2] = {sub(g, (jet_type[]){i, i, x}, 3, cond_out, 1), NULL};
  /* cond's param 0 is i32 but operand 0 is the f32 const: named */
  cb[1] = sub(g, win, 3, body_out, 2);
  jet_attr nc1 = a_int("n_consts", 1);
  expect_sub_error(JET_OP_WHILE, win, 3, &nc1, 1, cb, 2, "the cond graph's parameter 0 is i32[]");
  /* A proper cond: lt on the counter (param 1) */
  jet_graph *c2 = jet_graph_create_child(g, "c");
  jet_value p[3], r;
  for (int k = 0; k < 3; k++) assert_null(jet_graph_add_param(c2, &win[k], &p[k]));
  jet_value ops[2] = {p[1], p[1]};
  assert_null(jet_graph_add_node(c2, JET_OP_LT, ops, 2, NULL, 0, NULL, NULL, 0, &r));
  assert_null(jet_graph_set_outputs(c2, &r, 1));
  jet_graph *ok2[2] = {c2, cb[1]};
  assert_null(jet_infer_sub(JET_OP_WHILE, win, 3, &nc1, 1, NULL, ok2, 2, NULL, 0, res, 4, &nr));
  assert_int_equal(nr, 2);
  assert_true(jet_type_equal(&res[0], &i) && jet_type_equal(&res[1], &x));
  covered[JET_OP_WHILE] = true;
  /* body returning (x, i): output 0 is f32[3] but carry 0 is i32[] */
  const int swapped[2] = {0, 1};
  jet_graph *bad_body[2] = {c2, sub(g, win, 3, swapped, 2)};
  expect_sub_error(JET_OP_WHILE, win, 3, &nc1, 1, bad_body, 2, "output 0 is f32[3] but carry 0");
  /* cond returning an f32 array; only one sub-graph */
  const int cond_x[1] = {0};
  jet_graph *bad_cond[2] = {sub(g, win, 3, cond_x, 1), cb[1]};
  expect_sub_error(JET_OP_WHILE, win, 3, &nc1, 1, bad_cond, 2, "must return a bool scalar");
  expect_sub_error(JET_OP_WHILE, win, 3, &nc1, 1, ok2, 1, "exactly 2 sub-graphs");
  jet_attr nc9 = a_int("n_consts", 9);
  expect_sub_error(JET_OP_WHILE, win, 3, &nc9, 1, ok2, 2, "n_consts=9");

  /* scan(n_carry=1, length=5): carry x over xs f32[5,3]; body (x, x) -> (x, x) */
  const jet_type sin_[2] = {x, xs};
  jet_attr sat[3] = {a_int("n_carry", 1), a_int("length", 5), a_bool("reverse", true)};
  const int sb_out[2] = {0, 1};
  jet_graph *sb = sub(g, (jet_type[]){x, x}, 2, sb_out, 2);
  assert_null(jet_infer_sub(JET_OP_SCAN, sin_, 2, sat, 3, NULL, &sb, 1, NULL, 0, res, 4, &nr));
  assert_int_equal(nr, 2);
  assert_true(jet_type_equal(&res[0], &x) && jet_type_equal(&res[1], &y2));
  covered[JET_OP_SCAN] = true;
  /* xs of the wrong length; a body taking the whole xs; n_carry too big */
  jet_attr sat4[2] = {a_int("n_carry", 1), a_int("length", 4)};
  expect_sub_error(JET_OP_SCAN, sin_, 2, sat4, 2, &sb, 1, "leading axis of the scan length 4");
  jet_graph *sb_whole = sub(g, sin_, 2, sb_out, 1);
  expect_sub_error(JET_OP_SCAN, sin_, 2, sat, 2, &sb_whole, 1,
                   "parameter 1 is f32[5,3] but a slice of xs 0 is f32[3]");
  jet_attr sat3[2] = {a_int("n_carry", 3), a_int("length", 5)};
  expect_sub_error(JET_OP_SCAN, sin_, 2, sat3, 2, &sb, 1, "n_carry=3");
  expect_sub_error(JET_OP_SCAN, sin_, 2, sat, 2, ok2, 2, "exactly 1 sub-graph");
  jet_graph_destroy(g);
}

static jet_attr a_str(const char *name, const char *v) {
  return (jet_attr){.name = name, .kind = JET_ATTR_STR, .u.s = v};
}
/* tiled forms and errors: test_server_collectives.c */
static void valid_collectives(void) {
  ok_case(JET_OP_PSUM, TYPES(ty(F32, "2,3")), ATTRS(a_str("axis_name", "i")), ty(F32, "2,3"));
  ok_case(JET_OP_PMAX, TYPES(ty(I32, "3")), ATTRS(a_str("axis_name", "i")), ty(I32, "3"));
  ok_case(JET_OP_PMIN, TYPES(ty(F64, "")), ATTRS(a_str("axis_name", "j")), ty(F64, ""));
  ok_case(JET_OP_ALL_GATHER, TYPES(ty(F32, "2,3")),
          ATTRS(a_str("axis_name", "i"), a_int("axis_size", 4), a_int("axis", 1)),
          ty(F32, "2,4,3"));
  ok_case(JET_OP_PSUM_SCATTER, TYPES(ty(F32, "2,4")),
          ATTRS(a_str("axis_name", "i"), a_int("axis_size", 4), a_int("scatter_dimension", 1)),
          ty(F32, "2"));
  ok_case(JET_OP_PPERMUTE, TYPES(ty(BOOL, "3")),
          ATTRS(a_str("axis_name", "i"), a_ints("perm", IL(0, 1, 1, 0))), ty(BOOL, "3"));
  ok_case(JET_OP_ALL_TO_ALL, TYPES(ty(F32, "4,2,5")),
          ATTRS(a_str("axis_name", "i"), a_int("axis_size", 4), a_int("split_axis", 0),
                a_int("concat_axis", 2)),
          ty(F32, "2,5,4"));
  ok_case(JET_OP_AXIS_INDEX, NONE, ATTRS(a_str("axis_name", "i")), ty(I32, ""));
}

/* pmap(axis_size=2, in_axes=[0, -1], out_axes=[1, -1]) over f32[2,3] (mapped)
 * and f32[4] (whole); body (f32[3], f32[4]) -> (f32[3], f32[4]); and each
 * mismatch named. */
static void valid_pmap(void) {
  jet_graph *g = jet_graph_create("main");
  assert_non_null(g);
  const jet_type x = ty(F32, "2,3"), w = ty(F32, "4"), s3 = ty(F32, "3");
  const jet_type in[2] = {x, w};
  const int outs[2] = {0, 1};
  jet_graph *b = sub(g, (jet_type[]){s3, w}, 2, outs, 2);
  jet_attr at[5] = {a_str("axis_name", "i"), a_int("axis_size", 2),
                    a_ints("in_axes", IL(0, -1)), a_ints("out_axes", IL(1, -1)),
                    a_ints("devices", IL(1, 0))};
  jet_type res[4];
  uint32_t nr = 0;
  assert_null(jet_infer_sub(JET_OP_PMAP, in, 2, at, 5, NULL, &b, 1, NULL, 0, res, 4, &nr));
  assert_int_equal(nr, 2);
  const jet_type want0 = ty(F32, "3,2");
  assert_true(jet_type_equal(&res[0], &want0) && jet_type_equal(&res[1], &w));
  covered[JET_OP_PMAP] = true;
  /* in_axes of the wrong count */
  jet_attr bad_in[4] = {at[0], at[1], a_ints("in_axes", IL(0)), at[3]};
  expect_sub_error(JET_OP_PMAP, in, 2, bad_in, 4, &b, 1, "in_axes has 1 entries for 2 operands");
  /* mapped axis of the wrong size */
  jet_attr n3[4] = {at[0], a_int("axis_size", 3), at[2], at[3]};
  expect_sub_error(JET_OP_PMAP, in, 2, n3, 4, &b, 1,
                   "operand 0 is f32[2,3]; its mapped axis 0 must have the axis size 3");
  /* a body parameter that does not match the member's slice */
  jet_graph *bw = sub(g, (jet_type[]){x, w}, 2, outs, 2);
  expect_sub_error(JET_OP_PMAP, in, 2, at, 4, &bw, 1,
                   "the body's parameter 0 is f32[2,3] but each member gets f32[3]");
  /* duplicate devices; out_axes out of range */
  jet_attr dup[5] = {at[0], at[1], at[2], at[3], a_ints("devices", IL(1, 1))};
  expect_sub_error(JET_OP_PMAP, in, 2, dup, 5, &b, 1, "device 1 appears twice");
  jet_attr bad_out[4] = {at[0], at[1], at[2], a_ints("out_axes", IL(2, -1))};
  expect_sub_error(JET_OP_PMAP, in, 2, bad_out, 4, &b, 1, "out_axes[0] = 2 is out of range");
  jet_graph_destroy(g);
}

static void test_every_op_has_a_valid_case(void **state) {
  (void)state;
  memset(covered, 0, sizeof covered);
  valid_elementwise();
  valid_structure();
  valid_index_reduce_misc();
  valid_call();
  valid_cond();
  valid_loops();
  valid_collectives();
  valid_pmap();
  for (int op = 0; op < JET_OP_COUNT; op++) {
    if (!covered[op]) fail_msg("op %s has no valid inference case", jet_op_name((jet_op)op));
  }
}

static void test_operand_count(void **state) {
  (void)state;
  bad_case(JET_OP_ADD, TYPES(ty(F32, "3")), NONE, JET_INVALID_ARGUMENT,
           "add takes 2 operands, got 1");
  bad_case(JET_OP_NEG, TYPES(ty(F32, "3"), ty(F32, "3")), NONE, JET_INVALID_ARGUMENT,
           "neg takes 1 operand, got 2");
  bad_case(JET_OP_IOTA, TYPES(ty(F32, "3")),
           ATTRS(a_dtype("dtype", I32), a_ints("shape", IL(2)), a_int("dimension", 0)),
           JET_INVALID_ARGUMENT, "iota takes 0 operands, got 1");
  bad_case(JET_OP_CONCATENATE, NONE, ATTRS(a_int("dimension", 0)), JET_INVALID_ARGUMENT,
           "at least 1 operand");
  bad_case(JET_OP_DYNAMIC_SLICE, TYPES(ty(F32, "5,6"), ty(I32, "")),
           ATTRS(a_ints("slice_sizes", IL(1, 1))), JET_INVALID_ARGUMENT,
           "takes 2 start indices, got 1");
  bad_case(JET_OP_DYNAMIC_UPDATE_SLICE, TYPES(ty(F32, "5")), NONE, JET_INVALID_ARGUMENT,
           "at least 2 operands");
}

static void test_attribute_schema(void **state) {
  (void)state;
  bad_case(JET_OP_ADD, TYPES(ty(F32, "3"), ty(F32, "3")), ATTRS(a_int("foo", 1)),
           JET_INVALID_ARGUMENT, "unknown attribute 'foo'");
  bad_case(JET_OP_RESHAPE, TYPES(ty(F32, "3")), NONE, JET_INVALID_ARGUMENT,
           "missing required attribute 'new_sizes'");
  bad_case(JET_OP_RESHAPE, TYPES(ty(F32, "3")), ATTRS(a_int("new_sizes", 3)), JET_INVALID_ARGUMENT,
           "attribute 'new_sizes' must be ints, got int");
  bad_case(JET_OP_ROUND, TYPES(ty(F32, "3")),
           ATTRS(a_int("rounding_method", 0), a_int("rounding_method", 1)), JET_INVALID_ARGUMENT,
           "duplicate attribute 'rounding_method'");
  jet_attr noname = a_int("y", 2);
  noname.name = NULL;
  bad_case(JET_OP_INTEGER_POW, TYPES(ty(F32, "3")), &noname, 1, JET_INVALID_ARGUMENT,
           "attribute 0 has no name");
  jet_attr nodata = a_ints("new_sizes", NULL, 3);
  bad_case(JET_OP_RESHAPE, TYPES(ty(F32, "3")), &nodata, 1, JET_INVALID_ARGUMENT,
           "attribute 'new_sizes' has 3 entries but no data");
  jet_attr badkind = a_int("y", 2);
  badkind.kind = (jet_attr_kind)42;
  bad_case(JET_OP_INTEGER_POW, TYPES(ty(F32, "3")), &badkind, 1, JET_INVALID_ARGUMENT,
           "attribute 'y' must be int");
  bad_case(JET_OP_CONVERT_ELEMENT_TYPE, TYPES(ty(F32, "3")), ATTRS(a_dtype("new_dtype", JET_BF16)),
           JET_UNIMPLEMENTED, "dtype bf16 is reserved and not supported yet");
  bad_case(JET_OP_CONVERT_ELEMENT_TYPE, TYPES(ty(F32, "3")),
           ATTRS(a_dtype("new_dtype", (jet_dtype)77)), JET_INVALID_ARGUMENT, "invalid dtype 77");
  bad_case(JET_OP_ROUND, TYPES(ty(F32, "3")), ATTRS(a_int("rounding_method", 2)),
           JET_INVALID_ARGUMENT, "rounding_method");
  bad_case(JET_OP_INTEGER_POW, TYPES(ty(I32, "3")), ATTRS(a_int("y", -1)), JET_INVALID_ARGUMENT,
           "y >= 0");
}

static void test_operand_types(void **state) {
  (void)state;
  bad_case(JET_OP_NEG, TYPES(ty(BOOL, "2")), NONE, JET_INVALID_ARGUMENT,
           "operand 0 has type bool[2]");
  bad_case(JET_OP_SIN, TYPES(ty(I32, "2")), NONE, JET_INVALID_ARGUMENT, "sin needs");
  bad_case(JET_OP_ABS, TYPES(ty(U32, "")), NONE, JET_INVALID_ARGUMENT, "abs needs");
  bad_case(JET_OP_NOT, TYPES(ty(F32, "")), NONE, JET_INVALID_ARGUMENT, "not needs");
  bad_case(JET_OP_SHIFT_LEFT, TYPES(ty(BOOL, ""), ty(BOOL, "")), NONE, JET_INVALID_ARGUMENT,
           "shift_left needs");
  bad_case(JET_OP_NEG, TYPES(ty(JET_F16, "2")), NONE, JET_UNIMPLEMENTED,
           "operand 0: dtype f16 is reserved and not supported yet");
  bad_case(JET_OP_ADD, TYPES(ty(F32, "2"), ty(JET_U64, "2")), NONE, JET_UNIMPLEMENTED,
           "operand 1: dtype u64 is reserved");
  bad_case(JET_OP_NEG, TYPES(ty((jet_dtype)99, "2")), NONE, JET_INVALID_ARGUMENT,
           "invalid dtype 99");
  jet_type neg = ty(F32, "2,-3");
  bad_case(JET_OP_NEG, &neg, 1, NONE, JET_INVALID_ARGUMENT, "negative");
  jet_type big = ty(F32, "4294967296,4294967296");
  bad_case(JET_OP_NEG, &big, 1, NONE, JET_INVALID_ARGUMENT, "overflows");
  jet_type deep = ty(F32, "");
  deep.rank = JET_MAX_RANK + 1;
  bad_case(JET_OP_NEG, &deep, 1, NONE, JET_INVALID_ARGUMENT, "rank 17");
  deep.rank = -1;
  bad_case(JET_OP_NEG, &deep, 1, NONE, JET_INVALID_ARGUMENT, "rank -1");
}

static void test_elementwise_bad(void **state) {
  (void)state;
  bad_case(JET_OP_ADD, TYPES(ty(F32, "3"), ty(I32, "3")), NONE, JET_INVALID_ARGUMENT,
           "operand 1 has type i32[3] but operand 0 has f32[3]");
  bad_case(JET_OP_MUL, TYPES(ty(F32, "2"), ty(F32, "3")), NONE, JET_INVALID_ARGUMENT,
           "operand 1 has type f32[3] but operand 0 has f32[2]");
  bad_case(JET_OP_SUB, TYPES(ty(F32, "1,3"), ty(F32, "3")), NONE, JET_INVALID_ARGUMENT,
           "shapes must be equal");
  bad_case(JET_OP_EQ, TYPES(ty(F32, "3"), ty(F64, "3")), NONE, JET_INVALID_ARGUMENT,
           "operand 1 has type f64[3] but operand 0 has f32[3]");
  bad_case(JET_OP_LT, TYPES(ty(F32, "3"), ty(F32, "3,1")), NONE, JET_INVALID_ARGUMENT,
           "shapes must be equal");
  bad_case(JET_OP_SELECT, TYPES(ty(I32, "3"), ty(F32, "3"), ty(F32, "3")), NONE,
           JET_INVALID_ARGUMENT, "bool predicate");
  bad_case(JET_OP_SELECT, TYPES(ty(BOOL, "2"), ty(F32, "3"), ty(F32, "3")), NONE,
           JET_INVALID_ARGUMENT, "operand 0 has type bool[2]; it must be rank 0 or have the shape");
  bad_case(JET_OP_SELECT, TYPES(ty(BOOL, ""), ty(F32, "3"), ty(I32, "3")), NONE,
           JET_INVALID_ARGUMENT, "operand 2 has type i32[3] but operand 1 has f32[3]");
  bad_case(JET_OP_CLAMP, TYPES(ty(F32, "2"), ty(F32, "3"), ty(F32, "")), NONE, JET_INVALID_ARGUMENT,
           "operand 0 has type f32[2]");
  bad_case(JET_OP_CLAMP, TYPES(ty(F32, ""), ty(F32, "3"), ty(I32, "")), NONE, JET_INVALID_ARGUMENT,
           "operand 2 has type i32[] but operand 1 has f32[3]");
  bad_case(JET_OP_CLAMP, TYPES(ty(BOOL, ""), ty(BOOL, "3"), ty(BOOL, "")), NONE,
           JET_INVALID_ARGUMENT, "clamp needs");
  bad_case(JET_OP_BITCAST_CONVERT_TYPE, TYPES(ty(F32, "3")), ATTRS(a_dtype("new_dtype", F64)),
           JET_UNIMPLEMENTED, "f32 to f64");
}

static void test_results_room(void **state) {
  (void)state;
  jet_type in = ty(F32, "3"), res[1];
  uint32_t n = 5;
  jet_status st = jet_infer(JET_OP_NEG, &in, 1, NULL, 0, NULL, NULL, 0, res, 0, &n);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_int_equal(n, 0);
  jet_status_free(st);
  st = jet_infer((jet_op)JET_OP_COUNT, &in, 1, NULL, 0, NULL, NULL, 0, res, 1, &n);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "invalid op"));
  jet_status_free(st);
  st = jet_infer((jet_op)-1, &in, 1, NULL, 0, NULL, NULL, 0, res, 1, &n);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_op_has_a_valid_case), cmocka_unit_test(test_operand_count),
      cmocka_unit_test(test_attribute_schema),          cmocka_unit_test(test_operand_types),
      cmocka_unit_test(test_elementwise_bad),           cmocka_unit_test(test_results_room),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
