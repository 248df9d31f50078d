/* jet_infer: rejected inputs of the structural, indexing, gather/scatter,
 * reduction, contraction and constant rules, each checked by status code
 * and a substring of the message. */
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

#define F32 JET_F32
#define F64 JET_F64
#define I32 JET_I32
#define I64 JET_I64
#define U8 JET_U8
#define BOOL JET_BOOL
#define BAD JET_INVALID_ARGUMENT

static void test_broadcast_reshape_bad(void **state) {
  (void)state;
  bad_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(F32, "3")),
           ATTRS(a_ints("shape", IL(2, 3)), a_ints("broadcast_dimensions", IL(0, 1))), BAD,
           "'broadcast_dimensions' has 2 entries but the operand has rank 1");
  bad_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(F32, "3")),
           ATTRS(a_ints("shape", IL(3, 4)), a_ints("broadcast_dimensions", IL(1))), BAD,
           "operand dimension 0 has size 3 but output dimension 1 has size 4");
  bad_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(F32, "1,1")),
           ATTRS(a_ints("shape", IL(3, 4)), a_ints("broadcast_dimensions", IL(1, 0))), BAD,
           "strictly increasing");
  bad_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(F32, "1")),
           ATTRS(a_ints("shape", IL(3, 4)), a_ints("broadcast_dimensions", IL(2))), BAD,
           "'broadcast_dimensions' entry 0 is 2");
  bad_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(F32, "")),
           ATTRS(a_ints("shape", IL(3, -4)), a_ints("broadcast_dimensions", NONE)), BAD,
           "'shape' entry 1 is -4");
  bad_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(F32, "")),
           ATTRS(a_ints("shape", IL(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)),
                 a_ints("broadcast_dimensions", NONE)),
           BAD, "more than the maximum rank");
  /* Element count overflow of the result. */
  bad_case(JET_OP_BROADCAST_IN_DIM, TYPES(ty(F32, "")),
           ATTRS(a_ints("shape", IL(INT64_MAX, INT64_MAX)), a_ints("broadcast_dimensions", NONE)),
           BAD, "result 0");
  bad_case(JET_OP_RESHAPE, TYPES(ty(F32, "2,3")), ATTRS(a_ints("new_sizes", IL(4, 2))), BAD,
           "cannot reshape f32[2,3] (6 elements) to [4,2] (8 elements)");
  bad_case(JET_OP_RESHAPE, TYPES(ty(F32, "2,3")), ATTRS(a_ints("new_sizes", IL(-2, -3))), BAD,
           "'new_sizes' entry 0 is -2");
  bad_case(JET_OP_RESHAPE, TYPES(ty(F32, "2,3")),
           ATTRS(a_ints("new_sizes", IL(INT64_MAX, INT64_MAX, 2))), BAD, "overflows");
  bad_case(JET_OP_TRANSPOSE, TYPES(ty(F32, "2,3")), ATTRS(a_ints("permutation", IL(0, 0))), BAD,
           "'permutation' repeats dimension 0");
  bad_case(JET_OP_TRANSPOSE, TYPES(ty(F32, "2,3")), ATTRS(a_ints("permutation", IL(0))), BAD,
           "'permutation' has 1 entries, expected 2");
  bad_case(JET_OP_TRANSPOSE, TYPES(ty(F32, "2,3")), ATTRS(a_ints("permutation", IL(0, 2))), BAD,
           "'permutation' entry 1 is 2, out of range for rank 2");
  bad_case(JET_OP_TRANSPOSE, TYPES(ty(F32, "2,3")), ATTRS(a_ints("permutation", IL(-1, 0))), BAD,
           "out of range");
  bad_case(JET_OP_SQUEEZE, TYPES(ty(F32, "1,3")), ATTRS(a_ints("dimensions", IL(1))), BAD,
           "cannot squeeze dimension 1 of size 3");
  bad_case(JET_OP_SQUEEZE, TYPES(ty(F32, "1,3")), ATTRS(a_ints("dimensions", IL(0, -2))), BAD,
           "repeats dimension 0");
  bad_case(JET_OP_SQUEEZE, TYPES(ty(F32, "1,3")), ATTRS(a_ints("dimensions", IL(INT64_MIN))), BAD,
           "out of range");
  bad_case(JET_OP_EXPAND_DIMS, TYPES(ty(F32, "2")), ATTRS(a_ints("dimensions", IL(2))), BAD,
           "'dimensions' entry 0 is 2, out of range for rank 2");
  bad_case(JET_OP_EXPAND_DIMS, TYPES(ty(F32, "2")), ATTRS(a_ints("dimensions", IL(0, -3))), BAD,
           "repeats dimension 0");
  bad_case(JET_OP_EXPAND_DIMS, TYPES(ty(F32, "2,2")),
           ATTRS(a_ints("dimensions", IL(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14))), BAD,
           "exceeds the maximum rank");
  bad_case(JET_OP_REV, TYPES(ty(F32, "2")), ATTRS(a_ints("dimensions", IL(1))), BAD,
           "out of range");
  bad_case(JET_OP_REV, TYPES(ty(F32, "2,2")), ATTRS(a_ints("dimensions", IL(1, 1))), BAD,
           "repeats dimension 1");
}

static void test_slice_pad_bad(void **state) {
  (void)state;
  bad_case(JET_OP_SLICE, TYPES(ty(F32, "10")),
           ATTRS(a_ints("start_indices", IL(2)), a_ints("limit_indices", IL(11))), BAD,
           "dimension 0: start 2 and limit 11");
  bad_case(JET_OP_SLICE, TYPES(ty(F32, "10")),
           ATTRS(a_ints("start_indices", IL(5)), a_ints("limit_indices", IL(4))), BAD,
           "start <= limit");
  bad_case(JET_OP_SLICE, TYPES(ty(F32, "10")),
           ATTRS(a_ints("start_indices", IL(-1)), a_ints("limit_indices", IL(4))), BAD, "start -1");
  bad_case(JET_OP_SLICE, TYPES(ty(F32, "10")),
           ATTRS(a_ints("start_indices", IL(0)), a_ints("limit_indices", IL(4)),
                 a_ints("strides", IL(0))),
           BAD, "'strides' entry 0 is 0");
  bad_case(JET_OP_SLICE, TYPES(ty(F32, "10")),
           ATTRS(a_ints("start_indices", IL(0, 0)), a_ints("limit_indices", IL(4))), BAD,
           "'start_indices' has 2 entries, expected 1");
  bad_case(JET_OP_SLICE, TYPES(ty(F32, "10")),
           ATTRS(a_ints("start_indices", IL(0)), a_ints("limit_indices", IL(4)),
                 a_ints("strides", NONE)),
           BAD, "'strides' has 0 entries, expected 1");
  bad_case(JET_OP_DYNAMIC_SLICE, TYPES(ty(F32, "5"), ty(F32, "")),
           ATTRS(a_ints("slice_sizes", IL(1))), BAD, "operand 1 has type f32[]");
  bad_case(JET_OP_DYNAMIC_SLICE, TYPES(ty(F32, "5"), ty(I32, "1")),
           ATTRS(a_ints("slice_sizes", IL(1))), BAD,
           "operand 1 has type i32[1]; start indices must be rank 0");
  bad_case(JET_OP_DYNAMIC_SLICE, TYPES(ty(F32, "5"), ty(I32, "")),
           ATTRS(a_ints("slice_sizes", IL(6))), BAD, "'slice_sizes' entry 0 is 6");
  bad_case(JET_OP_DYNAMIC_SLICE, TYPES(ty(F32, "5"), ty(I32, "")),
           ATTRS(a_ints("slice_sizes", IL(1, 1))), BAD, "'slice_sizes' has 2 entries, expected 1");
  bad_case(JET_OP_DYNAMIC_UPDATE_SLICE, TYPES(ty(F32, "5"), ty(F32, "6"), ty(I32, "")), NONE, BAD,
           "update f32[6] is larger than operand f32[5] in dimension 0");
  bad_case(JET_OP_DYNAMIC_UPDATE_SLICE, TYPES(ty(F32, "5"), ty(F32, "1,1"), ty(I32, "")), NONE, BAD,
           "ranks must be equal");
  bad_case(JET_OP_DYNAMIC_UPDATE_SLICE, TYPES(ty(F32, "5"), ty(F64, "1"), ty(I32, "")), NONE, BAD,
           "operand 1 has type f64[1] but operand 0 has f32[5]");
  bad_case(JET_OP_DYNAMIC_UPDATE_SLICE, TYPES(ty(F32, "5"), ty(F32, "1"), ty(BOOL, "")), NONE, BAD,
           "operand 2 has type bool[]");
  bad_case(JET_OP_CONCATENATE, TYPES(ty(F32, "2,3"), ty(F32, "2,4")), ATTRS(a_int("dimension", 0)),
           BAD,
           "operand 1 has type f32[2,4] but operand 0 has f32[2,3] (only dimension 0 may differ)");
  bad_case(JET_OP_CONCATENATE, TYPES(ty(F32, "2,3"), ty(F32, "2")), ATTRS(a_int("dimension", 0)),
           BAD, "operand 1 has type f32[2]");
  bad_case(JET_OP_CONCATENATE, TYPES(ty(F32, "2,3"), ty(I32, "2,3")), ATTRS(a_int("dimension", 0)),
           BAD, "operand 1 has type i32[2,3] but operand 0 has f32[2,3]");
  bad_case(JET_OP_CONCATENATE, TYPES(ty(F32, "2,3")), ATTRS(a_int("dimension", 2)), BAD,
           "'dimension' is 2, out of range for rank 2");
  bad_case(JET_OP_CONCATENATE, TYPES(ty(F32, ""), ty(F32, "")), ATTRS(a_int("dimension", 0)), BAD,
           "rank >= 1");
  bad_case(JET_OP_CONCATENATE, TYPES(ty(U8, "4611686018427387904"), ty(U8, "4611686018427387904")),
           ATTRS(a_int("dimension", 0)), BAD, "overflows");
  bad_case(JET_OP_PAD, TYPES(ty(F32, "3"), ty(F32, "")),
           ATTRS(a_ints("padding_config", IL(0, 0, -1))), BAD,
           "interior padding of dimension 0 is -1");
  bad_case(JET_OP_PAD, TYPES(ty(F32, "3"), ty(F32, "")),
           ATTRS(a_ints("padding_config", IL(-2, -2, 0))), BAD, "negative size -1");
  bad_case(JET_OP_PAD, TYPES(ty(F32, "3"), ty(F32, "")), ATTRS(a_ints("padding_config", IL(0, 0))),
           BAD, "'padding_config' has 2 entries, expected 3");
  bad_case(JET_OP_PAD, TYPES(ty(F32, "3"), ty(F32, "")),
           ATTRS(a_ints("padding_config", IL(INT64_MAX, 1, 0))), BAD, "overflows");
  bad_case(JET_OP_PAD, TYPES(ty(F32, "3"), ty(F32, "")),
           ATTRS(a_ints("padding_config", IL(0, 0, INT64_MAX))), BAD, "overflows");
  bad_case(JET_OP_PAD, TYPES(ty(F32, "3"), ty(F32, "1")),
           ATTRS(a_ints("padding_config", IL(0, 0, 0))), BAD,
           "padding value) has type f32[1]; it must be rank 0");
  bad_case(JET_OP_PAD, TYPES(ty(F32, "3"), ty(I32, "")),
           ATTRS(a_ints("padding_config", IL(0, 0, 0))), BAD,
           "operand 1 has type i32[] but operand 0 has f32[3]");
  bad_case(JET_OP_IOTA, NONE,
           ATTRS(a_dtype("dtype", BOOL), a_ints("shape", IL(2)), a_int("dimension", 0)), BAD,
           "numeric dtype");
  bad_case(JET_OP_IOTA, NONE,
           ATTRS(a_dtype("dtype", I32), a_ints("shape", IL(2)), a_int("dimension", 1)), BAD,
           "'dimension' is 1, out of range for rank 1");
  bad_case(JET_OP_IOTA, NONE,
           ATTRS(a_dtype("dtype", I32), a_ints("shape", IL(-2)), a_int("dimension", 0)), BAD,
           "'shape' entry 0 is -2");
  bad_case(JET_OP_IOTA, NONE,
           ATTRS(a_dtype("dtype", I32), a_ints("shape", IL(INT64_C(1) << 31, INT64_C(1) << 31)),
                 a_int("dimension", 0)),
           BAD, "byte size");
}

#define GATHER_ATTRS(od, cd, sim, ss)                                                            \
  a_ints("offset_dims", od), a_ints("collapsed_slice_dims", cd), a_ints("start_index_map", sim), \
      a_ints("slice_sizes", ss)

static void test_gather_scatter_bad(void **state) {
  (void)state;
  const jet_type x = ty(F32, "5,3"), idx = ty(I32, "4,1");
  jet_type in[2] = {x, idx};
  bad_case(JET_OP_GATHER, in, 2, ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(0), IL(2, 3))), BAD,
           "collapsed and batching dimensions need slice size <= 1");
  bad_case(JET_OP_GATHER, in, 2, ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(0), IL(1, 4))), BAD,
           "'slice_sizes' entry 1 is 4, must be in [0, 3]");
  bad_case(JET_OP_GATHER, in, 2, ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(0, 1), IL(1, 3))), BAD,
           "'start_index_map' has 2 entries but the index vector");
  bad_case(JET_OP_GATHER, in, 2, ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(2), IL(1, 3))), BAD,
           "'start_index_map' entry 0 is 2");
  bad_case(JET_OP_GATHER, in, 2, ATTRS(GATHER_ATTRS(IL(1, 2), IL(0), IL(0), IL(1, 3))), BAD,
           "'offset_dims' has 2 entries; expected operand rank 2");
  bad_case(JET_OP_GATHER, in, 2, ATTRS(GATHER_ATTRS(IL(2), IL(0), IL(0), IL(1, 3))), BAD,
           "'offset_dims' entry 0 is 2");
  bad_case(JET_OP_GATHER, in, 2, ATTRS(GATHER_ATTRS(IL(1), IL(0, 0), IL(0), IL(1, 3))), BAD,
           "'collapsed_slice_dims' repeats dimension 0");
  bad_case(JET_OP_GATHER, in, 2, ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(0), IL(1))), BAD,
           "'slice_sizes' has 1 entries, expected 2");
  bad_case(JET_OP_GATHER, in, 2,
           ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(0), IL(1, 3)), a_int("mode", 2)), BAD,
           "'mode' is 2");
  bad_case(
      JET_OP_GATHER, in, 2,
      ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(0), IL(1, 3)), a_ints("operand_batching_dims", IL(0))),
      BAD, "must have equal lengths");
  bad_case(JET_OP_GATHER, TYPES(x, ty(F32, "4,1")),
           ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(0), IL(1, 3))), BAD,
           "operand 1 has type f32[4,1]; gather needs integer indices");
  bad_case(JET_OP_GATHER, TYPES(x, ty(I32, "")), ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(0), IL(1, 3))),
           BAD, "rank >= 1");
  /* Unsorted offset dims. */
  bad_case(JET_OP_GATHER, TYPES(ty(F32, "5,3"), ty(I64, "4,0")),
           ATTRS(GATHER_ATTRS(IL(2, 0), NONE, NONE, IL(2, 2))), BAD,
           "'offset_dims' must be sorted");
  /* Batching dims overlapping collapsed dims; batch sizes that differ. */
  jet_type bx = ty(F32, "2,5,3"), bi = ty(I32, "2,4,1");
  bad_case(
      JET_OP_GATHER, TYPES(bx, bi),
      ATTRS(GATHER_ATTRS(IL(2), IL(0), IL(1), IL(1, 1, 3)), a_ints("operand_batching_dims", IL(0)),
            a_ints("start_indices_batching_dims", IL(0))),
      BAD, "both contain dimension 0");
  bad_case(
      JET_OP_GATHER, TYPES(bx, ty(I32, "3,4,1")),
      ATTRS(GATHER_ATTRS(IL(2), IL(1), IL(1), IL(1, 1, 3)), a_ints("operand_batching_dims", IL(0)),
            a_ints("start_indices_batching_dims", IL(0))),
      BAD, "operand dimension 0 has size 2 but indices dimension 0 has size 3");
  bad_case(
      JET_OP_GATHER, TYPES(bx, bi),
      ATTRS(GATHER_ATTRS(IL(2), IL(1), IL(1), IL(1, 1, 3)), a_ints("operand_batching_dims", IL(0)),
            a_ints("start_indices_batching_dims", IL(2))),
      BAD, "'start_indices_batching_dims' entry 0 is 2");
  /* Huge index vector size vs start_index_map. */
  bad_case(JET_OP_GATHER, TYPES(x, ty(I32, "1,4294967296")),
           ATTRS(GATHER_ATTRS(IL(1), IL(0), IL(0), IL(1, 3))), BAD,
           "has 1 entries but the index vector");

#define SCATTER_ATTRS(uw, iw, sd)                                       \
  a_ints("update_window_dims", uw), a_ints("inserted_window_dims", iw), \
      a_ints("scatter_dims_to_operand_dims", sd)
  bad_case(JET_OP_SCATTER_ADD, TYPES(x, idx, ty(F32, "4,4")),
           ATTRS(SCATTER_ATTRS(IL(1), IL(0), IL(0))), BAD,
           "window dimension 1 (size 4) is larger than operand f32[5,3] dimension 1");
  bad_case(JET_OP_SCATTER_ADD, TYPES(x, idx, ty(F32, "2,3")),
           ATTRS(SCATTER_ATTRS(IL(1), IL(0), IL(0))), BAD,
           "scatter dimension 0 (size 2) differs from indices i32[4,1] dimension 0");
  bad_case(JET_OP_SCATTER_ADD, TYPES(x, idx, ty(F32, "4,3,1")),
           ATTRS(SCATTER_ATTRS(IL(1), IL(0), IL(0))), BAD,
           "operand 2 (updates) has type f32[4,3,1]");
  bad_case(JET_OP_SCATTER_ADD, TYPES(x, idx, ty(I32, "4,3")),
           ATTRS(SCATTER_ATTRS(IL(1), IL(0), IL(0))), BAD,
           "operand 2 has type i32[4,3] but operand 0 has f32[5,3]");
  bad_case(JET_OP_SCATTER_ADD, TYPES(x, idx, ty(F32, "4,3")),
           ATTRS(SCATTER_ATTRS(IL(1), NONE, IL(0))), BAD, "must equal the operand rank 2");
  bad_case(JET_OP_SCATTER_ADD, TYPES(x, idx, ty(F32, "4,3")),
           ATTRS(SCATTER_ATTRS(IL(1), IL(0), IL(0, 1))), BAD,
           "'scatter_dims_to_operand_dims' has 2 entries");
  bad_case(JET_OP_SCATTER_ADD, TYPES(x, idx, ty(F32, "4,3")),
           ATTRS(SCATTER_ATTRS(IL(2), IL(0), IL(0))), BAD, "'update_window_dims' entry 0 is 2");
  bad_case(JET_OP_SCATTER_ADD, TYPES(ty(BOOL, "5,3"), idx, ty(BOOL, "4,3")),
           ATTRS(SCATTER_ATTRS(IL(1), IL(0), IL(0))), BAD, "scatter-add needs");
}

static void test_reduce_dot_bad(void **state) {
  (void)state;
  const jet_type x = ty(F32, "2,3,4");
  bad_case(JET_OP_REDUCE_SUM, &x, 1, ATTRS(a_ints("axes", IL(3))), BAD,
           "'axes' entry 0 is 3, out of range for rank 3");
  bad_case(JET_OP_REDUCE_SUM, &x, 1, ATTRS(a_ints("axes", IL(-4))), BAD, "out of range");
  bad_case(JET_OP_REDUCE_MAX, &x, 1, ATTRS(a_ints("axes", IL(1, -2))), BAD,
           "'axes' repeats dimension 1");
  bad_case(JET_OP_REDUCE_MIN, &x, 1, ATTRS(a_ints("axes", IL(0, 1, 2, 0))), BAD,
           "more than the rank 3");
  bad_case(JET_OP_REDUCE_SUM, TYPES(ty(BOOL, "2")), ATTRS(a_ints("axes", IL(0))), BAD,
           "reduce_sum needs");
  bad_case(JET_OP_ARGMAX, &x, 1, ATTRS(a_ints("axes", IL(0, 1)), a_dtype("index_dtype", I32)), BAD,
           "exactly one axis");
  bad_case(JET_OP_ARGMAX, &x, 1, ATTRS(a_ints("axes", IL(1)), a_dtype("index_dtype", F32)), BAD,
           "'index_dtype' is f32");
  bad_case(JET_OP_ARGMAX, &x, 1, ATTRS(a_ints("axes", IL(1)), a_dtype("index_dtype", U8)), BAD,
           "expected i32 or i64");
  bad_case(JET_OP_ARGMIN, TYPES(ty(F32, "2,0")),
           ATTRS(a_ints("axes", IL(1)), a_dtype("index_dtype", I32)), BAD, "axis 1 of size 0");
  bad_case(JET_OP_ARGMIN, TYPES(ty(F32, "")),
           ATTRS(a_ints("axes", IL(0)), a_dtype("index_dtype", I32)), BAD, "rank >= 1");
  bad_case(JET_OP_ARGMIN, &x, 1, ATTRS(a_ints("axes", IL(5)), a_dtype("index_dtype", I64)), BAD,
           "out of range");
  bad_case(JET_OP_CUMSUM, &x, 1, ATTRS(a_int("axis", 3)), BAD, "'axis' entry 0 is 3");
  bad_case(JET_OP_CUMSUM, TYPES(ty(F32, "")), ATTRS(a_int("axis", 0)), BAD,
           "out of range for rank 0");
  bad_case(JET_OP_CUMSUM, &x, 1, ATTRS(a_int("axis", 0), a_int("reverse", 1)), BAD,
           "attribute 'reverse' must be bool, got int");
  bad_case(JET_OP_CUMSUM, &x, 1, ATTRS(a_int("axis", -4), a_bool("reverse", true)), BAD,
           "out of range for rank 3");

  const jet_type l = ty(F32, "2,3"), r = ty(F32, "4,3");
#define DOT(lc, rc) \
  a_ints("lhs_contracting_dimensions", lc), a_ints("rhs_contracting_dimensions", rc)
  bad_case(JET_OP_DOT_GENERAL, TYPES(l, r), ATTRS(DOT(IL(1), IL(0))), BAD,
           "contracting dimension pair 0: lhs f32[2,3] dimension 1 has size 3 but rhs f32[4,3] "
           "dimension 0 has size 4");
  bad_case(JET_OP_DOT_GENERAL, TYPES(l, r), ATTRS(DOT(IL(1), IL(1, 0))), BAD,
           "must have equal lengths");
  bad_case(JET_OP_DOT_GENERAL, TYPES(l, r), ATTRS(DOT(IL(2), IL(1))), BAD,
           "'lhs_contracting_dimensions' entry 0 is 2");
  bad_case(JET_OP_DOT_GENERAL, TYPES(l, r), ATTRS(DOT(IL(1, 1), IL(1, 0))), BAD,
           "'lhs_contracting_dimensions' repeats dimension 1");
  bad_case(JET_OP_DOT_GENERAL, TYPES(l, ty(F64, "4,3")), ATTRS(DOT(IL(1), IL(1))), BAD,
           "operand 1 has type f64[4,3] but operand 0 has f32[2,3]");
  bad_case(JET_OP_DOT_GENERAL, TYPES(ty(F32, "2,3"), ty(F32, "2,3")),
           ATTRS(DOT(IL(1), IL(1)), a_ints("lhs_batch_dimensions", IL(1)),
                 a_ints("rhs_batch_dimensions", IL(0))),
           BAD, "lhs dimension 1 is both a batch and a contracting dimension");
  bad_case(JET_OP_DOT_GENERAL, TYPES(ty(F32, "2,3"), ty(F32, "5,3")),
           ATTRS(DOT(IL(1), IL(1)), a_ints("lhs_batch_dimensions", IL(0)),
                 a_ints("rhs_batch_dimensions", IL(0))),
           BAD, "batch dimension pair 0");
  bad_case(JET_OP_DOT_GENERAL, TYPES(ty(F32, "2,3"), ty(F32, "2,3")),
           ATTRS(DOT(IL(1), IL(1)), a_ints("lhs_batch_dimensions", IL(0))), BAD,
           "must have equal lengths");
  bad_case(JET_OP_DOT_GENERAL, TYPES(l, r),
           ATTRS(DOT(IL(1), IL(1)), a_dtype("preferred_element_type", BOOL)), BAD,
           "'preferred_element_type' is bool");
  bad_case(JET_OP_DOT_GENERAL, TYPES(ty(F32, "1,1,1,1,1,1,1,1,1"), ty(F32, "1,1,1,1,1,1,1,1,1")),
           ATTRS(DOT(NONE, NONE)), BAD, "result rank 18 exceeds");
  bad_case(JET_OP_DOT_GENERAL, TYPES(ty(BOOL, "2"), ty(BOOL, "2")), ATTRS(DOT(IL(0), IL(0))), BAD,
           "dot_general needs");
}

static void test_constant_bad(void **state) {
  (void)state;
  static const float data[3] = {1, 2, 3};
  bad_case(JET_OP_CONSTANT, NONE, ATTRS(a_lit("value", ty(F32, "2"), data, sizeof data)), BAD,
           "has 12 bytes of data but its type needs 8");
  bad_case(JET_OP_CONSTANT, NONE, ATTRS(a_lit("value", ty(F32, "3"), NULL, 12)), BAD,
           "has no data");
  bad_case(JET_OP_CONSTANT, NONE, ATTRS(a_lit("value", ty(JET_F16, "1"), data, 2)),
           JET_UNIMPLEMENTED, "dtype f16 is reserved");
  bad_case(JET_OP_CONSTANT, NONE, ATTRS(a_lit("value", ty(F32, "-1"), data, 0)), BAD, "negative");
  bad_case(JET_OP_CONSTANT, NONE, ATTRS(a_int("value", 3)), BAD,
           "attribute 'value' must be literal, got int");
  bad_case(JET_OP_CONSTANT, NONE, NONE, BAD, "missing required attribute 'value'");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_broadcast_reshape_bad), cmocka_unit_test(test_slice_pad_bad),
      cmocka_unit_test(test_gather_scatter_bad),    cmocka_unit_test(test_reduce_dot_bad),
      cmocka_unit_test(test_constant_bad),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
