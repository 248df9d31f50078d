/* The algebraic simplification pass (server/compiler/passes/simplify.c):
 * each rewrite fires (node counts before and after, with DCE removing what
 * the rewrite left dead), the kept cases stay, and every simplified graph
 * gives bit-identical results to the original with the reference executor
 * on random inputs that include -0.0, +0.0, NaN and infinities. */
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
#include "transforms/transforms.h"
#include "test_exec_util.h"

/* Rewrites such as x * 1 -> x may return a different NaN payload. */
#define PASS_CHECK_SEED 0x2545f4914f6cdd1dull
#define PASS_CHECK_NAN_ANY_PAYLOAD
#include "pass_check.h"

/* ---- building ---- */

/* A constant of type t, every element the f32/f64/i32 value x. */
static jet_value fill(jet_graph *g, jet_type t, double x) {
  int64_t n = jet_type_numel(&t);
  size_t sz = jet_dtype_size(t.dtype);
  unsigned char *d = malloc(sz * (size_t)(n ? n : 1));
  assert_non_null(d);
  for (int64_t i = 0; i < n; i++) {
    if (t.dtype == JET_F32) {
      float f = (float)x;
      memcpy(d + i * (int64_t)sz, &f, sz);
    } else if (t.dtype == JET_F64) {
      memcpy(d + i * (int64_t)sz, &x, sz);
    } else {
      assert_int_equal(t.dtype, JET_I32);
      int32_t v = (int32_t)x;
      memcpy(d + i * (int64_t)sz, &v, sz);
    }
  }
  jet_attr a = a_lit("value", t, d);
  jet_value v = node(g, JET_OP_CONSTANT, NULL, 0, &a, 1);
  free(d);
  return v;
}

/* broadcast_in_dim of a rank-0 constant x to shape t. */
static jet_value bfill(jet_graph *g, jet_type t, double x) {
  jet_value s = fill(g, jet_type_scalar(t.dtype), x);
  jet_attr at[2] = {a_ints("shape", t.dims, (uint32_t)t.rank), A_NOINTS("broadcast_dimensions")};
  return node(g, JET_OP_BROADCAST_IN_DIM, &s, 1, at, 2);
}

static void outputs(jet_graph *g, const jet_value *v, uint32_t n) {
  expect_ok(jet_graph_set_outputs(g, v, n));
}

/* ---- checking ---- */

/* simplify then DCE (so the nodes a rewrite bypassed are gone); validated,
 * same signature, same results. */
static jet_graph *simplify(const jet_graph *g) {
  jet_graph *d = run_pass(jet_pass_simplify, g);
  expect_same_results(g, d, 8);
  print_message("%s: %u nodes -> %u\n", g->name, g->n_nodes, d->n_nodes);
  return d;
}

#define V4 TY(JET_F32, 4)

/* ---- arithmetic identities ---- */

static void test_mul_one(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("mul_one");
  jet_value x = param(g, V4);
  jet_value o[4] = {bin(g, JET_OP_MUL, x, bfill(g, V4, 1.0)),
                    bin(g, JET_OP_MUL, bfill(g, V4, 1.0), x),
                    bin(g, JET_OP_MUL, x, fill(g, SCALAR(JET_F32), 1.0)),
                    bin(g, JET_OP_MUL, fill(g, V4, 1.0), x)};
  outputs(g, o, 4);
  jet_graph *s = simplify(g);
  assert_int_equal(count_op(g, JET_OP_MUL), 4);
  assert_int_equal(s->n_nodes, 0);
  for (int i = 0; i < 4; i++) assert_int_equal(s->outputs[i], 0); /* all alias x */
  jet_graph_destroy(s);
  jet_graph_destroy(g);
}

static void test_float_zero_identities(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("float_zero");
  jet_value x = param(g, V4);
  jet_type d = TY(JET_F64, 3);
  jet_value y = param(g, d);
  jet_value o[5] = {bin(g, JET_OP_ADD, x, bfill(g, V4, -0.0)),
                    bin(g, JET_OP_ADD, fill(g, V4, -0.0), x),
                    bin(g, JET_OP_SUB, x, fill(g, SCALAR(JET_F32), 0.0)),
                    bin(g, JET_OP_ADD, y, fill(g, d, -0.0)),
                    bin(g, JET_OP_SUB, y, bfill(g, d, 0.0))};
  outputs(g, o, 5);
  jet_graph *s = simplify(g);
  assert_int_equal(s->n_nodes, 0);
  jet_graph_destroy(s);
  jet_graph_destroy(g);
}

static void test_int_identities(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("int_zero_one");
  jet_type t = TY(JET_I32, 5);
  jet_value x = param(g, t);
  jet_value o[4] = {bin(g, JET_OP_ADD, x, fill(g, t, 0)), bin(g, JET_OP_ADD, bfill(g, t, 0), x),
                    bin(g, JET_OP_SUB, x, fill(g, SCALAR(JET_I32), 0)),
                    bin(g, JET_OP_MUL, bfill(g, t, 1), x)};
  outputs(g, o, 4);
  jet_graph *s = simplify(g);
  assert_int_equal(s->n_nodes, 0);
  jet_graph_destroy(s);
  jet_graph_destroy(g);
}

/* Not exact, or not the same type: kept. */
static void test_non_rewrites(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("kept");
  jet_value x = param(g, V4);
  jet_value xs = param(g, SCALAR(JET_F32));
  jet_value o[7] = {
      bin(g, JET_OP_ADD, x, fill(g, V4, 0.0)),        /* -0.0 + 0.0 = +0.0 */
      bin(g, JET_OP_ADD, bfill(g, V4, 0.0), x),       /* same */
      bin(g, JET_OP_SUB, x, fill(g, V4, -0.0)),       /* -0.0 - -0.0 = +0.0 */
      bin(g, JET_OP_SUB, fill(g, V4, 0.0), x),        /* 0 - x is not x */
      bin(g, JET_OP_MUL, xs, fill(g, V4, 1.0)),       /* broadcasts xs */
      bin(g, JET_OP_MUL, x, fill(g, V4, -1.0)),       /* not one */
      un(g, JET_OP_STOP_GRADIENT, x)};
  outputs(g, o, 7);
  jet_graph *s = simplify(g);
  assert_int_equal(count_op(s, JET_OP_ADD), 2);
  assert_int_equal(count_op(s, JET_OP_SUB), 2);
  assert_int_equal(count_op(s, JET_OP_MUL), 2);
  assert_int_equal(count_op(s, JET_OP_STOP_GRADIENT), 1);
  assert_int_equal(s->n_nodes, g->n_nodes);
  jet_graph_destroy(s);
  jet_graph_destroy(g);
}

/* ---- structural identities ---- */

static void test_unary_identities(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("unary");
  jet_type t = TY(JET_F32, 2, 3);
  jet_value x = param(g, t);
  jet_value o[7] = {
      un(g, JET_OP_NEG, un(g, JET_OP_NEG, x)),
      un1(g, JET_OP_CONVERT_ELEMENT_TYPE, x, a_dtype("new_dtype", JET_F32)),
      un1(g, JET_OP_RESHAPE, x, A_INTS("new_sizes", 2, 3)),
      un1(g, JET_OP_TRANSPOSE, x, A_INTS("permutation", 0, 1)),
      node(g, JET_OP_BROADCAST_IN_DIM, &x, 1,
           (jet_attr[]){A_INTS("shape", 2, 3), A_INTS("broadcast_dimensions", 0, 1)}, 2),
      un1(g, JET_OP_REV, un1(g, JET_OP_REV, x, A_INTS("dimensions", 1, 0)),
          A_INTS("dimensions", 0, 1)),
      un1(g, JET_OP_SQUEEZE, un1(g, JET_OP_EXPAND_DIMS, x, A_INTS("dimensions", 1)),
          A_INTS("dimensions", 1))};
  outputs(g, o, 7);
  jet_graph *s = simplify(g);
  assert_int_equal(g->n_nodes, 10);
  assert_int_equal(s->n_nodes, 0);
  jet_graph_destroy(s);
  jet_graph_destroy(g);
}

static void test_structural_chains(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("chains");
  jet_value x = param(g, TY(JET_F32, 2, 3, 4));
  jet_value v = param(g, TY(JET_F32, 3));
  jet_value r = un1(g, JET_OP_RESHAPE, un1(g, JET_OP_RESHAPE, x, A_INTS("new_sizes", 6, 4)),
                    A_INTS("new_sizes", 4, 6));
  jet_value r2 = un1(g, JET_OP_RESHAPE, un1(g, JET_OP_RESHAPE, x, A_INTS("new_sizes", 24)),
                     A_INTS("new_sizes", 2, 3, 4));
  jet_value t = un1(g, JET_OP_TRANSPOSE,
                    un1(g, JET_OP_TRANSPOSE, x, A_INTS("permutation", 1, 2, 0)),
                    A_INTS("permutation", 2, 0, 1)); /* cancels */
  jet_value t2 = un1(g, JET_OP_TRANSPOSE,
                     un1(g, JET_OP_TRANSPOSE, x, A_INTS("permutation", 1, 2, 0)),
                     A_INTS("permutation", 1, 0, 2)); /* one transpose */
  jet_value b1 = node(g, JET_OP_BROADCAST_IN_DIM, &v, 1,
                      (jet_attr[]){A_INTS("shape", 3, 2), A_INTS("broadcast_dimensions", 0)}, 2);
  jet_value b = node(g, JET_OP_BROADCAST_IN_DIM, &b1, 1,
                     (jet_attr[]){A_INTS("shape", 5, 3, 2), A_INTS("broadcast_dimensions", 1, 2)},
                     2);
  jet_value rv = un1(g, JET_OP_REV, un1(g, JET_OP_REV, x, A_INTS("dimensions", 0)),
                     A_INTS("dimensions", 1)); /* different axes: kept */
  jet_value o[6] = {r, r2, t, t2, b, rv};
  outputs(g, o, 6);
  assert_int_equal(g->n_params, 2);
  jet_graph *s = simplify(g);
  assert_int_equal(count_op(s, JET_OP_RESHAPE), 1);
  assert_int_equal(count_op(s, JET_OP_TRANSPOSE), 1);
  assert_int_equal(count_op(s, JET_OP_BROADCAST_IN_DIM), 1);
  assert_int_equal(count_op(s, JET_OP_REV), 2);
  assert_int_equal(s->n_nodes, 5);
  assert_int_equal(s->outputs[1], 0);
  assert_int_equal(s->outputs[2], 0);
  jet_graph_destroy(s);
  jet_graph_destroy(g);
}

/* ---- cleanup and AD ---- */

/* grad of sum(x * y**2) w.r.t. x and y shrinks under simplify+cleanup and
 * computes the same. */
static void test_derivative_graph_shrinks(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("f");
  jet_value x = param(g, V4), y = param(g, V4);
  jet_value y2 = un1(g, JET_OP_INTEGER_POW, y, a_int("y", 2));
  jet_value o = un1(g, JET_OP_REDUCE_SUM, bin(g, JET_OP_MUL, x, y2), A_INTS("axes", 0));
  outputs(g, &o, 1);
  int32_t argnums[2] = {0, 1};
  jet_transform tf;
  memset(&tf, 0, sizeof tf);
  tf.kind = JET_TF_GRAD;
  tf.n_argnums = 2;
  tf.argnums = argnums;
  tf.axis_name = tf.spmd_axis_name = "";
  jet_graph *d = NULL;
  expect_ok(jet_transforms_apply(g, &tf, 1, &d));
  expect_ok(jet_graph_validate(d, NULL, 0));
  jet_graph *s = simplify(d);
  jet_graph *plain = NULL, *c = NULL;
  expect_ok(jet_pass_dce(d, &plain));
  expect_ok(jet_passes_cleanup(d, &c));
  expect_ok(jet_graph_validate(c, NULL, 0));
  expect_same_results(d, c, 8);
  print_message("grad of x*y**2: %u nodes, dce only %u, simplify+dce %u, cleanup %u\n",
                jet_graph_total_nodes(d), jet_graph_total_nodes(plain),
                jet_graph_total_nodes(s), jet_graph_total_nodes(c));
  assert_true(jet_graph_total_nodes(s) < jet_graph_total_nodes(plain));
  assert_true(jet_graph_total_nodes(c) < jet_graph_total_nodes(d));
  jet_graph_destroy(c);
  jet_graph_destroy(plain);
  jet_graph_destroy(s);
  jet_graph_destroy(d); /* jet_transforms_apply consumed g */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mul_one),
      cmocka_unit_test(test_float_zero_identities),
      cmocka_unit_test(test_int_identities),
      cmocka_unit_test(test_non_rewrites),
      cmocka_unit_test(test_unary_identities),
      cmocka_unit_test(test_structural_chains),
      cmocka_unit_test(test_derivative_graph_shrinks),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
