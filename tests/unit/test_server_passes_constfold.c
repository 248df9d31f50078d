/* The constant-folding pass (server/compiler/passes/constfold.c): golden
 * text-form graphs (input -> constfold + DCE -> expected text), elementwise
 * ops over broadcast scalars, the size bounds (result, operands,
 * dot_general work; broadcasts never expanded), calls and parameters left
 * alone, and randomized graphs mixing constants, iotas, broadcasts and
 * parameters over many ops whose folded form gives bit-identical results on
 * the reference executor (the folds run the same kernels) and leaves
 * nothing foldable. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes.h"
#include "jet/infer.h"
#include "jet/text.h"
#include "test_exec_util.h"

/* A fold runs the very kernel the executor would: results agree byte for
 * byte, NaN payloads too. */
#define PASS_CHECK_SEED 0xbb67ae8584caa73bull
#include "pass_check.h"

/* ---- golden graphs ---- */

static void test_golden_chain(void **state) {
  (void)state;
  golden(jet_pass_constfold,
         "graph g(%0: f32[4]) {\n"
         "  %1 = constant[value=f32[4]{1, 2, 3, 4}] : f32[4]\n"
         "  %2 = constant[value=f32[]{0.5}] : f32[]\n"
         "  %3 = mul %1, %2 : f32[4]\n"
         "  %4 = iota[dtype=i32, shape=[4], dimension=0] : i32[4]\n"
         "  %5 = convert_element_type[new_dtype=f32] %4 : f32[4]\n"
         "  %6 = add %3, %5 : f32[4]\n"
         "  %7 = reduce_sum[axes=[0]] %6 : f32[]\n"
         "  %8 = add %0, %6 : f32[4]\n"
         "  %9 = broadcast_in_dim[shape=[4], broadcast_dimensions=[]] %7 : f32[4]\n"
         "  %10 = mul %8, %9 : f32[4]\n"
         "  return %10, %7\n"
         "}\n",
         "graph g(%0: f32[4]) {\n"
         "  %1 = constant[value=f32[4]{0.5, 2, 3.5, 5}] : f32[4]\n"
         "  %2 = constant[value=f32[]{11}] : f32[]\n"
         "  %3 = add %0, %1 : f32[4]\n"
         "  %4 = broadcast_in_dim[shape=[4], broadcast_dimensions=[]] %2 : f32[4]\n"
         "  %5 = mul %3, %4 : f32[4]\n"
         "  return %5, %2\n"
         "}\n");
}

/* Broadcasts stay; elementwise ops over broadcast scalar constants are
 * evaluated on the scalars and broadcast. */
static void test_golden_broadcast_scalars(void **state) {
  (void)state;
  golden(jet_pass_constfold,
         "graph s(%0: f32[2,3]) {\n"
         "  %1 = constant[value=f32[]{2}] : f32[]\n"
         "  %2 = broadcast_in_dim[shape=[2, 3], broadcast_dimensions=[]] %1 : f32[2,3]\n"
         "  %3 = constant[value=f32[]{0.5}] : f32[]\n"
         "  %4 = mul %2, %3 : f32[2,3]\n"
         "  %5 = neg %2 : f32[2,3]\n"
         "  %6 = lt %4, %2 : bool[2,3]\n"
         "  %7 = select %6, %4, %0 : f32[2,3]\n"
         "  %8 = add %0, %5 : f32[2,3]\n"
         "  return %7, %8, %6\n"
         "}\n",
         "graph s(%0: f32[2,3]) {\n"
         "  %1 = constant[value=f32[]{1}] : f32[]\n"
         "  %2 = broadcast_in_dim[shape=[2, 3], broadcast_dimensions=[]] %1 : f32[2,3]\n"
         "  %3 = constant[value=f32[]{-2}] : f32[]\n"
         "  %4 = broadcast_in_dim[shape=[2, 3], broadcast_dimensions=[]] %3 : f32[2,3]\n"
         "  %5 = constant[value=bool[]{true}] : bool[]\n"
         "  %6 = broadcast_in_dim[shape=[2, 3], broadcast_dimensions=[]] %5 : bool[2,3]\n"
         "  %7 = select %6, %2, %0 : f32[2,3]\n"
         "  %8 = add %0, %4 : f32[2,3]\n"
         "  return %7, %8, %6\n"
         "}\n");
}

/* Integer wrap-around, comparisons and select, structural ops, a dot: all
 * as the reference kernels compute them. */
static void test_golden_int_structural(void **state) {
  (void)state;
  golden(jet_pass_constfold,
         "graph g(%0: i32[2,2]) {\n"
         "  %1 = constant[value=i32[2,2]{2147483647, 2, -3, 4}] : i32[2,2]\n"
         "  %2 = constant[value=i32[]{1}] : i32[]\n"
         "  %3 = add %1, %2 : i32[2,2]\n"
         "  %4 = transpose[permutation=[1, 0]] %3 : i32[2,2]\n"
         "  %5 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
         "%4, %1 : i32[2,2]\n"
         "  %6 = lt %1, %3 : bool[2,2]\n"
         "  %7 = select %6, %1, %3 : i32[2,2]\n"
         "  %8 = reshape[new_sizes=[4]] %7 : i32[4]\n"
         "  %9 = slice[start_indices=[1], limit_indices=[4], strides=[2]] %8 : i32[2]\n"
         "  %10 = mul %0, %5 : i32[2,2]\n"
         "  return %10, %9, %6\n"
         "}\n",
         "graph g(%0: i32[2,2]) {\n"
         "  %1 = constant[value=i32[2,2]{-2147483642, -8, 2147483630, 26}] : i32[2,2]\n"
         "  %2 = constant[value=bool[2,2]{false, true, true, true}] : bool[2,2]\n"
         "  %3 = constant[value=i32[2]{2, 4}] : i32[2]\n"
         "  %4 = mul %0, %1 : i32[2,2]\n"
         "  return %4, %3, %2\n"
         "}\n");
}

/* A callee's constant subexpressions fold too; the call itself stays. */
static void test_golden_callee(void **state) {
  (void)state;
  golden(jet_pass_constfold,
         "graph c(%0: f64[2]) {\n"
         "  %1 = constant[value=f64[2]{1, 2}] : f64[2]\n"
         "  %2 = call %0, %1 : f64[2] {\n"
         "    graph f(%0: f64[2], %1: f64[2]) {\n"
         "      %2 = constant[value=f64[]{3}] : f64[]\n"
         "      %3 = exp2 %2 : f64[]\n"
         "      %4 = mul %0, %3 : f64[2]\n"
         "      %5 = add %4, %1 : f64[2]\n"
         "      return %5\n"
         "    }\n"
         "  }\n"
         "  return %2\n"
         "}\n",
         "graph c(%0: f64[2]) {\n"
         "  %1 = constant[value=f64[2]{1, 2}] : f64[2]\n"
         "  %2 = call %0, %1 : f64[2] {\n"
         "    graph f(%0: f64[2], %1: f64[2]) {\n"
         "      %2 = constant[value=f64[]{8}] : f64[]\n"
         "      %3 = mul %0, %2 : f64[2]\n"
         "      %4 = add %3, %1 : f64[2]\n"
         "      return %4\n"
         "    }\n"
         "  }\n"
         "  return %2\n"
         "}\n");
}

/* Calls with constant operands, parameters only, nodes reading a
 * parameter, lone constants and iotas: printed back unchanged. */
static void test_untouched(void **state) {
  (void)state;
  static const char *const texts[] = {
      "graph p(%0: f32[3], %1: i32[]) {\n"
      "  return %1, %0, %0\n"
      "}\n",
      "graph c(%0: f32[3]) {\n"
      "  %1 = constant[value=f32[3]{1, 2, 3}] : f32[3]\n"
      "  %2 = iota[dtype=f32, shape=[3], dimension=0] : f32[3]\n"
      "  %3 = call %1, %2 : f32[3] {\n"
      "    graph f(%0: f32[3], %1: f32[3]) {\n"
      "      %2 = add %0, %1 : f32[3]\n"
      "      return %2\n"
      "    }\n"
      "  }\n"
      "  %4 = mul %3, %1 : f32[3]\n"
      "  %5 = add %0, %2 : f32[3]\n"
      "  return %4, %5, %1, %2\n"
      "}\n",
  };
  for (size_t i = 0; i < NELEM(texts); i++) golden(jet_pass_constfold, texts[i], texts[i]);
}

/* ---- size bounds ---- */

static jet_value bcast(jet_graph *g, jet_value s, jet_type t) {
  jet_attr at[2] = {a_ints("shape", t.dims, (uint32_t)t.rank), A_NOINTS("broadcast_dimensions")};
  return node(g, JET_OP_BROADCAST_IN_DIM, &s, 1, at, 2);
}

static jet_value dot(jet_graph *g, jet_value a, jet_value b) {
  jet_attr at[2] = {A_INTS("lhs_contracting_dimensions", 1),
                    A_INTS("rhs_contracting_dimensions", 0)};
  jet_value ops[2] = {a, b};
  return node(g, JET_OP_DOT_GENERAL, ops, 2, at, 2);
}

/* constfold + DCE. */
static jet_graph *fold(const jet_graph *g) { return run_pass(jet_pass_constfold, g); }

static void test_size_bounds(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("bounds");
  jet_value x = param(g, TY(JET_F32, 2));
  jet_value s = random_constant(g, SCALAR(JET_F32));
  jet_value c4096 = random_constant(g, TY(JET_F32, 64, 64));
  jet_value c4097 = random_constant(g, TY(JET_F32, 4097));
  struct {
    jet_value v;
    bool folds;
  } o[] = {
      {bin(g, JET_OP_ADD, c4096, c4096), true},  /* 4096 elements */
      {bin(g, JET_OP_ADD, c4097, c4097), false}, /* 4097 */
      {un1(g, JET_OP_REDUCE_SUM, c4096, A_INTS("axes", 0, 1)), true},
      {un1(g, JET_OP_REDUCE_SUM, c4097, A_INTS("axes", 0)), false}, /* operand of 4097 */
      {dot(g, random_constant(g, TY(JET_F32, 16, 64)), random_constant(g, TY(JET_F32, 64, 4))),
       true}, /* 4,096 multiply-adds */
      {dot(g, random_constant(g, TY(JET_I32, 64, 64)), random_constant(g, TY(JET_I32, 64, 64))),
       false}, /* 262,144 multiply-adds */
      {bcast(g, s, TY(JET_F32, 2, 2)), false},   /* broadcasts stay */
      {bin(g, JET_OP_ADD, x, random_constant(g, TY(JET_F32, 2))), false}, /* reads x */
  };
  jet_value outs[NELEM(o)];
  for (size_t i = 0; i < NELEM(o); i++) outs[i] = o[i].v;
  expect_ok(jet_graph_set_outputs(g, outs, NELEM(o)));
  jet_graph *r = fold(g);
  expect_same_results(g, r, 1);
  for (size_t i = 0; i < NELEM(o); i++) {
    int32_t d = r->value_node[r->outputs[i]];
    assert_true(d >= 0);
    jet_op want = g->nodes[g->value_node[o[i].v]].op;
    if (o[i].folds) want = JET_OP_CONSTANT;
    assert_int_equal(r->nodes[d].op, want);
  }
  jet_graph_destroy(r);
  jet_graph_destroy(g);
}

/* ---- randomized ---- */

static bool is_const_def(const jet_graph *g, jet_value v) {
  int32_t d = g->value_node[v];
  return d >= 0 && (g->nodes[d].op == JET_OP_CONSTANT || g->nodes[d].op == JET_OP_IOTA);
}

/* A rank-0 constant, or a broadcast of one? (*bcast: the latter) */
static bool is_scalar_const(const jet_graph *g, jet_value v, bool *bcast) {
  int32_t d = g->value_node[v];
  *bcast = d >= 0 && g->nodes[d].op == JET_OP_BROADCAST_IN_DIM;
  if (*bcast) d = g->value_node[g->nodes[d].operands[0]];
  return d >= 0 && g->nodes[d].op == JET_OP_CONSTANT && g->nodes[d].results[0].rank == 0;
}

static bool is_elementwise(jet_op op) {
  return op != JET_OP_BROADCAST_IN_DIM && op != JET_OP_REDUCE_SUM && op != JET_OP_REDUCE_MAX &&
         op != JET_OP_DOT_GENERAL && op != JET_OP_RESHAPE && op != JET_OP_TRANSPOSE &&
         op != JET_OP_SLICE && op != JET_OP_CONCATENATE && op != JET_OP_REV &&
         op != JET_OP_CUMSUM && op != JET_OP_CALL && op != JET_OP_CONSTANT && op != JET_OP_IOTA;
}

/* Nothing left to fold (checked from the definitions, independently of the
 * pass, for the ops random_node uses): every node other than a constant, an
 * iota or a broadcast has an operand that is not a constant or an iota, and
 * an elementwise one also an operand that is not a (broadcast) scalar
 * constant. */
static void expect_nothing_foldable(const jet_graph *g) {
  for (uint32_t n = 0; n < g->n_nodes; n++) {
    const jet_node *nd = &g->nodes[n];
    if (nd->op == JET_OP_CONSTANT || nd->op == JET_OP_IOTA || nd->op == JET_OP_BROADCAST_IN_DIM)
      continue;
    bool all_const = true, all_scalar = true, any_bcast = false;
    for (uint32_t i = 0; i < nd->n_operands; i++) {
      bool b = false;
      all_const = all_const && is_const_def(g, nd->operands[i]);
      all_scalar = all_scalar && is_scalar_const(g, nd->operands[i], &b);
      any_bcast = any_bcast || b;
    }
    if (all_const || (is_elementwise(nd->op) && all_scalar && any_bcast)) {
      print_error("node %u (%s) could still fold\n", n, jet_op_name(nd->op));
      fail();
    }
  }
}

/* A value of type dt[4] from the pool, or a new constant / iota. */
static jet_value pick(jet_graph *g, jet_dtype dt, const jet_value *pool, uint32_t n) {
  uint32_t r = rnd_below(n + 3);
  if (r < n) return pool[r];
  if (r == n) {
    jet_attr at[3] = {a_dtype("dtype", dt), A_INTS("shape", 4), a_int("dimension", 0)};
    return node(g, JET_OP_IOTA, NULL, 0, at, 3);
  }
  return random_constant(g, TY(dt, 4));
}

/* One random node over dt[4] values; returns a dt[4] value. */
static jet_value random_node(jet_graph *g, jet_dtype dt, const jet_value *pool, uint32_t n) {
  static const jet_op fun[] = {JET_OP_NEG,  JET_OP_ABS,   JET_OP_SIGN,  JET_OP_FLOOR,
                               JET_OP_EXP,  JET_OP_LOG,   JET_OP_SQRT,  JET_OP_TANH,
                               JET_OP_SIN,  JET_OP_ROUND, JET_OP_SQUARE, JET_OP_LOGISTIC};
  static const jet_op iun[] = {JET_OP_NEG, JET_OP_ABS, JET_OP_SIGN, JET_OP_SQUARE, JET_OP_NOT};
  static const jet_op fbin[] = {JET_OP_ADD, JET_OP_SUB,  JET_OP_MUL, JET_OP_DIV, JET_OP_REM,
                                JET_OP_POW, JET_OP_MAX,  JET_OP_MIN, JET_OP_ATAN2};
  static const jet_op ibin[] = {JET_OP_ADD, JET_OP_SUB, JET_OP_MUL, JET_OP_DIV,
                                JET_OP_REM, JET_OP_MAX, JET_OP_MIN, JET_OP_AND,
                                JET_OP_OR,  JET_OP_XOR, JET_OP_SHIFT_LEFT,
                                JET_OP_SHIFT_RIGHT_ARITHMETIC};
  static const jet_op cmp[] = {JET_OP_EQ, JET_OP_NE, JET_OP_LT, JET_OP_LE, JET_OP_GT, JET_OP_GE};
  bool fl = jet_dtype_is_float(dt);
  jet_value a = pick(g, dt, pool, n), b = pick(g, dt, pool, n);
  switch (rnd_below(12)) {
    case 0:
    case 1:
      return fl ? un(g, fun[rnd_below(NELEM(fun))], a) : un(g, iun[rnd_below(NELEM(iun))], a);
    case 2:
    case 3:
    case 4:
      return fl ? bin(g, fbin[rnd_below(NELEM(fbin))], a, b)
                : bin(g, ibin[rnd_below(NELEM(ibin))], a, b);
    case 5: {
      jet_value ops[3] = {bin(g, cmp[rnd_below(NELEM(cmp))], a, b), a, b};
      return node(g, JET_OP_SELECT, ops, 3, NULL, 0);
    }
    case 6: /* reduce to a scalar, broadcast back */
      return bcast(g, un1(g, rnd_below(2) ? JET_OP_REDUCE_SUM : JET_OP_REDUCE_MAX, a,
                          A_INTS("axes", 0)),
                   TY(dt, 4));
    case 7: { /* [4] . [4] */
      jet_attr at[2] = {A_INTS("lhs_contracting_dimensions", 0),
                        A_INTS("rhs_contracting_dimensions", 0)};
      jet_value ops[2] = {a, b};
      return bcast(g, node(g, JET_OP_DOT_GENERAL, ops, 2, at, 2), TY(dt, 4));
    }
    case 8: { /* transpose of a reshape, reshaped back */
      jet_value r = un1(g, JET_OP_RESHAPE, a, A_INTS("new_sizes", 2, 2));
      jet_value t = un1(g, JET_OP_TRANSPOSE, r, A_INTS("permutation", 1, 0));
      return un1(g, JET_OP_RESHAPE, t, A_INTS("new_sizes", 4));
    }
    case 9: { /* concatenate two slices, reversed */
      jet_attr s1[3] = {A_INTS("start_indices", 0), A_INTS("limit_indices", 2),
                        A_INTS("strides", 1)};
      jet_attr s2[3] = {A_INTS("start_indices", 1), A_INTS("limit_indices", 4),
                        A_INTS("strides", 2)};
      jet_value ops[2] = {node(g, JET_OP_SLICE, &a, 1, s1, 3), node(g, JET_OP_SLICE, &b, 1, s2, 3)};
      jet_attr c = a_int("dimension", 0);
      return un1(g, JET_OP_REV, node(g, JET_OP_CONCATENATE, ops, 2, &c, 1),
                 A_INTS("dimensions", 0));
    }
    case 10: { /* convert to another dtype and back */
      jet_dtype other = fl ? JET_I32 : JET_F64;
      jet_value c = un1(g, JET_OP_CONVERT_ELEMENT_TYPE, a, a_dtype("new_dtype", other));
      return un1(g, JET_OP_CONVERT_ELEMENT_TYPE, c, a_dtype("new_dtype", dt));
    }
    default:
      return un1(g, JET_OP_CUMSUM, a, a_int("axis", 0));
  }
}

static jet_graph *random_graph(jet_dtype dt) {
  jet_graph *g = jet_graph_create("random");
  jet_value pool[64];
  uint32_t n = 0;
  uint32_t np = rnd_below(3); /* 0 to 2 parameters */
  for (uint32_t i = 0; i < np; i++) pool[n++] = param(g, TY(dt, 4));
  for (int k = 0; k < 30; k++) {
    jet_value v = random_node(g, dt, pool, n);
    pool[n++] = v;
  }
  jet_value outs[6];
  for (int i = 0; i < 6; i++) outs[i] = pool[rnd_below(n)];
  expect_ok(jet_graph_set_outputs(g, outs, 6));
  expect_ok(jet_graph_validate(g, NULL, 0));
  return g;
}

static void random_check(jet_dtype dt) {
  uint32_t before = 0, after = 0;
  for (int trial = 0; trial < 60; trial++) {
    jet_graph *g = random_graph(dt);
    jet_graph *f = NULL;
    expect_ok(jet_pass_constfold(g, &f));
    expect_ok(jet_graph_validate(f, NULL, 0));
    expect_nothing_foldable(f);
    expect_same_results(g, f, 3);
    jet_graph *r = fold(g);
    expect_same_results(g, r, 1);
    before += g->n_nodes;
    after += r->n_nodes;
    jet_graph_destroy(r);
    jet_graph_destroy(f);
    jet_graph_destroy(g);
  }
  print_message("%s: %u nodes, folded + DCE: %u\n", jet_dtype_name(dt), before, after);
  assert_true(after < before / 2);
}

static void test_random_i32(void **state) {
  (void)state;
  random_check(JET_I32);
}

static void test_random_f32(void **state) {
  (void)state;
  random_check(JET_F32);
}

static void test_random_f64(void **state) {
  (void)state;
  random_check(JET_F64);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_chain),
      cmocka_unit_test(test_golden_broadcast_scalars),
      cmocka_unit_test(test_golden_int_structural),
      cmocka_unit_test(test_golden_callee),
      cmocka_unit_test(test_untouched),
      cmocka_unit_test(test_size_bounds),
      cmocka_unit_test(test_random_i32),
      cmocka_unit_test(test_random_f32),
      cmocka_unit_test(test_random_f64),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
