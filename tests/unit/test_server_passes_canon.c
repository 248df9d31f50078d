/* The canonicalisation pass (server/compiler/passes/canon.c): golden
 * text-form graphs (input -> canon + DCE -> expected text), randomized
 * graphs whose canonicalised form gives bit-identical results on the
 * reference executor (integers exactly, floats with every special value,
 * NaN payloads aside) and in which every commutative pair op(a, b) /
 * op(b, a) merges under CSE, graphs that must come out untouched, and the
 * time jet_passes_cleanup takes on a 1,000-node elementwise chain
 * (printed, not asserted). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/passes/passes.h"
#include "jet/infer.h"
#include "jet/text.h"
#include "test_exec_util.h"

/* Canonical operand orders can change which NaN payload an op returns. */
#define PASS_CHECK_SEED 0x6a09e667f3bcc908ull
#define PASS_CHECK_NAN_ANY_PAYLOAD
#include "pass_check.h"

/* ---- golden graphs ---- */

static void test_golden_float_order(void **state) {
  (void)state;
  golden(jet_pass_canon,
         "graph g(%0: f32[3], %1: f32[3], %2: f32[]) {\n"
         "  %3 = mul %1, %0 : f32[3]\n"
         "  %4 = constant[value=f32[3]{1, 2, 3}] : f32[3]\n"
         "  %5 = add %4, %0 : f32[3]\n"
         "  %6 = mul %2, %0 : f32[3]\n"
         "  %7 = gt %1, %0 : bool[3]\n"
         "  %8 = ge %4, %0 : bool[3]\n"
         "  %9 = lt %0, %4 : bool[3]\n"
         "  %10 = max %1, %0 : f32[3]\n"
         "  %11 = min %4, %0 : f32[3]\n"
         "  %12 = eq %4, %1 : bool[3]\n"
         "  %13 = ne %2, %1 : bool[3]\n"
         "  %14 = div %1, %0 : f32[3]\n"
         "  return %3, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14\n"
         "}\n",
         "graph g(%0: f32[3], %1: f32[3], %2: f32[]) {\n"
         "  %3 = mul %0, %1 : f32[3]\n"
         "  %4 = constant[value=f32[3]{1, 2, 3}] : f32[3]\n"
         "  %5 = add %0, %4 : f32[3]\n"
         "  %6 = mul %0, %2 : f32[3]\n"
         "  %7 = lt %0, %1 : bool[3]\n"
         "  %8 = le %0, %4 : bool[3]\n"
         "  %9 = lt %0, %4 : bool[3]\n"
         "  %10 = max %1, %0 : f32[3]\n"
         "  %11 = min %4, %0 : f32[3]\n"
         "  %12 = eq %1, %4 : bool[3]\n"
         "  %13 = ne %1, %2 : bool[3]\n"
         "  %14 = div %1, %0 : f32[3]\n"
         "  return %3, %5, %6, %7, %8, %9, %10, %11, %12, %13, %14\n"
         "}\n");
}

static void test_golden_int_bool(void **state) {
  (void)state;
  golden(jet_pass_canon,
         "graph g(%0: i32[2], %1: i32[2], %2: bool[2], %3: bool[2]) {\n"
         "  %4 = max %1, %0 : i32[2]\n"
         "  %5 = min %1, %0 : i32[2]\n"
         "  %6 = and %3, %2 : bool[2]\n"
         "  %7 = or %3, %2 : bool[2]\n"
         "  %8 = xor %1, %0 : i32[2]\n"
         "  %9 = iota[dtype=i32, shape=[2], dimension=0] : i32[2]\n"
         "  %10 = add %9, %1 : i32[2]\n"
         "  %11 = le %9, %0 : bool[2]\n"
         "  %12 = max %3, %2 : bool[2]\n"
         "  return %4, %5, %6, %7, %8, %10, %11, %12\n"
         "}\n",
         "graph g(%0: i32[2], %1: i32[2], %2: bool[2], %3: bool[2]) {\n"
         "  %4 = max %0, %1 : i32[2]\n"
         "  %5 = min %0, %1 : i32[2]\n"
         "  %6 = and %2, %3 : bool[2]\n"
         "  %7 = or %2, %3 : bool[2]\n"
         "  %8 = xor %0, %1 : i32[2]\n"
         "  %9 = iota[dtype=i32, shape=[2], dimension=0] : i32[2]\n"
         "  %10 = add %1, %9 : i32[2]\n"
         "  %11 = ge %0, %9 : bool[2]\n"
         "  %12 = max %2, %3 : bool[2]\n"
         "  return %4, %5, %6, %7, %8, %10, %11, %12\n"
         "}\n");
}

/* sub of a constant becomes add of its negation where exact: integers
 * (INT_MIN wraps to itself), floats without NaN (-0 <-> 0); a NaN constant
 * or a constant first operand keeps the sub. */
static void test_golden_sub_constant(void **state) {
  (void)state;
  golden(jet_pass_canon,
         "graph g(%0: i32[3], %1: f32[3], %2: u8[]) {\n"
         "  %3 = constant[value=i32[3]{5, -2147483648, 0}] : i32[3]\n"
         "  %4 = sub %0, %3 : i32[3]\n"
         "  %5 = constant[value=f32[]{-0}] : f32[]\n"
         "  %6 = sub %1, %5 : f32[3]\n"
         "  %7 = constant[value=f32[3]{0, inf, -1.5}] : f32[3]\n"
         "  %8 = sub %1, %7 : f32[3]\n"
         "  %9 = constant[value=f32[3]{1, nan, 2}] : f32[3]\n"
         "  %10 = sub %1, %9 : f32[3]\n"
         "  %11 = sub %7, %1 : f32[3]\n"
         "  %12 = constant[value=u8[]{3}] : u8[]\n"
         "  %13 = sub %2, %12 : u8[]\n"
         "  return %4, %6, %8, %10, %11, %13\n"
         "}\n",
         "graph g(%0: i32[3], %1: f32[3], %2: u8[]) {\n"
         "  %3 = constant[value=i32[3]{-5, -2147483648, 0}] : i32[3]\n"
         "  %4 = add %0, %3 : i32[3]\n"
         "  %5 = constant[value=f32[]{0}] : f32[]\n"
         "  %6 = add %1, %5 : f32[3]\n"
         "  %7 = constant[value=f32[3]{0, inf, -1.5}] : f32[3]\n"
         "  %8 = constant[value=f32[3]{-0, -inf, 1.5}] : f32[3]\n"
         "  %9 = add %1, %8 : f32[3]\n"
         "  %10 = constant[value=f32[3]{1, nan, 2}] : f32[3]\n"
         "  %11 = sub %1, %10 : f32[3]\n"
         "  %12 = sub %7, %1 : f32[3]\n"
         "  %13 = constant[value=u8[]{253}] : u8[]\n"
         "  %14 = add %2, %13 : u8[]\n"
         "  return %4, %6, %9, %11, %12, %14\n"
         "}\n");
}

/* Through the whole cleanup, a*b and b*a merge, as do lt(a, b) and
 * gt(b, a); x - 0.0 simplifies after canon made it x + -0.0. */
static void test_golden_cleanup_merges(void **state) {
  (void)state;
  golden(jet_passes_cleanup,
         "graph g(%0: f32[3], %1: f32[3]) {\n"
         "  %2 = mul %0, %1 : f32[3]\n"
         "  %3 = mul %1, %0 : f32[3]\n"
         "  %4 = add %2, %3 : f32[3]\n"
         "  %5 = lt %0, %1 : bool[3]\n"
         "  %6 = gt %1, %0 : bool[3]\n"
         "  %7 = and %5, %6 : bool[3]\n"
         "  %8 = constant[value=f32[]{0}] : f32[]\n"
         "  %9 = sub %4, %8 : f32[3]\n"
         "  return %9, %7\n"
         "}\n",
         "graph g(%0: f32[3], %1: f32[3]) {\n"
         "  %2 = mul %0, %1 : f32[3]\n"
         "  %3 = add %2, %2 : f32[3]\n"
         "  %4 = lt %0, %1 : bool[3]\n"
         "  %5 = and %4, %4 : bool[3]\n"
         "  return %3, %5\n"
         "}\n");
}

/* Parameters only, and call nodes (never reordered; their callee already
 * canonical): printed back unchanged. */
static void test_untouched(void **state) {
  (void)state;
  static const char *const texts[] = {
      "graph p(%0: f32[3], %1: i32[]) {\n"
      "  return %1, %0, %0\n"
      "}\n",
      "graph c(%0: f32[3], %1: f32[3]) {\n"
      "  %2, %3 = call %1, %0 : f32[3], f32[3] {\n"
      "    graph f(%0: f32[3], %1: f32[3]) {\n"
      "      %2 = add %0, %1 : f32[3]\n"
      "      %3 = sub %2, %0 : f32[3]\n"
      "      return %3, %2\n"
      "    }\n"
      "  }\n"
      "  %4 = max %3, %2 : f32[3]\n"
      "  return %4, %2\n"
      "}\n",
  };
  for (size_t i = 0; i < NELEM(texts); i++) {
    golden(jet_pass_canon, texts[i], texts[i]);
    golden(jet_passes_cleanup, texts[i], texts[i]);
  }
}

/* A callee is canonicalised too. */
static void test_callee_canonicalised(void **state) {
  (void)state;
  golden(jet_pass_canon,
         "graph c(%0: i32[3], %1: i32[3]) {\n"
         "  %2 = call %1, %0 : i32[3] {\n"
         "    graph f(%0: i32[3], %1: i32[3]) {\n"
         "      %2 = mul %1, %0 : i32[3]\n"
         "      return %2\n"
         "    }\n"
         "  }\n"
         "  return %2\n"
         "}\n",
         "graph c(%0: i32[3], %1: i32[3]) {\n"
         "  %2 = call %1, %0 : i32[3] {\n"
         "    graph f(%0: i32[3], %1: i32[3]) {\n"
         "      %2 = mul %0, %1 : i32[3]\n"
         "      return %2\n"
         "    }\n"
         "  }\n"
         "  return %2\n"
         "}\n");
}

/* ---- randomized ---- */

static jet_op mirror(jet_op op) {
  switch (op) {
    case JET_OP_LT: return JET_OP_GT;
    case JET_OP_GT: return JET_OP_LT;
    case JET_OP_LE: return JET_OP_GE;
    case JET_OP_GE: return JET_OP_LE;
    default: return op;
  }
}

/* A random graph over dtype dt: vectors of 4, scalars, constants; every
 * binary node is emitted in both operand orders (mirrored for
 * comparisons) and both are outputs (pairs[k] = output index of the
 * first, the second follows). */
static jet_graph *random_graph(jet_dtype dt, uint32_t *n_pairs, uint32_t *pairs,
                               bool *pair_commutes) {
  static const jet_op fops[] = {JET_OP_ADD, JET_OP_MUL, JET_OP_MAX, JET_OP_MIN, JET_OP_EQ,
                                JET_OP_NE,  JET_OP_LT,  JET_OP_LE,  JET_OP_GT,  JET_OP_GE};
  static const jet_op iops[] = {JET_OP_ADD, JET_OP_MUL, JET_OP_MAX, JET_OP_MIN,
                                JET_OP_AND, JET_OP_OR,  JET_OP_XOR, JET_OP_EQ,
                                JET_OP_NE,  JET_OP_LT,  JET_OP_GE,  JET_OP_GT};
  bool fl = jet_dtype_is_float(dt);
  jet_graph *g = jet_graph_create("random");
  jet_type vt = TY(dt, 4), st = SCALAR(dt);
  jet_value vals[96];
  uint32_t nv = 0;
  vals[nv++] = param(g, vt);
  vals[nv++] = param(g, vt);
  vals[nv++] = param(g, st);
  jet_value outs[64];
  uint32_t no = 0;
  *n_pairs = 0;
  for (int k = 0; k < 24 && no + 3 <= NELEM(outs); k++) {
    uint32_t r = rnd_below(8);
    if (r == 0) {
      vals[nv++] = random_constant(g, rnd_below(3) ? vt : st);
      continue;
    }
    jet_value a = vals[rnd_below(nv)], b = vals[rnd_below(nv)];
    if (r == 1) { /* sub of a constant */
      jet_value c = random_constant(g, rnd_below(2) ? vt : st);
      jet_value s = bin(g, JET_OP_SUB, a, c);
      if (jet_graph_value_type(g, s)->rank == 1) vals[nv++] = s;
      outs[no++] = s;
      continue;
    }
    jet_op op = fl ? fops[rnd_below(NELEM(fops))] : iops[rnd_below(NELEM(iops))];
    jet_value x = bin(g, op, a, b), y = bin(g, mirror(op), b, a);
    pair_commutes[*n_pairs] = !(fl && (op == JET_OP_MAX || op == JET_OP_MIN));
    pairs[(*n_pairs)++] = no;
    outs[no++] = x;
    outs[no++] = y;
    if (jet_graph_value_type(g, x)->dtype == dt && nv < NELEM(vals)) vals[nv++] = x;
  }
  expect_ok(jet_graph_set_outputs(g, outs, no));
  expect_ok(jet_graph_validate(g, NULL, 0));
  return g;
}

static void random_check(jet_dtype dt) {
  int merged = 0, kept = 0;
  for (int trial = 0; trial < 40; trial++) {
    uint32_t n_pairs, pairs[64];
    bool commutes[64];
    jet_graph *g = random_graph(dt, &n_pairs, pairs, commutes);
    jet_graph *c = run_pass(jet_pass_canon, g);
    expect_same_results(g, c, 4);
    /* idempotent: canonical already */
    jet_graph *c2 = run_pass(jet_pass_canon, c);
    char *t1 = print(c), *t2 = print(c2);
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);
    /* CSE merges every commuting pair, and only those */
    jet_graph *m = NULL;
    expect_ok(jet_pass_cse(c, &m));
    expect_same_results(g, m, 2);
    for (uint32_t k = 0; k < n_pairs; k++) {
      jet_value x = m->outputs[pairs[k]], y = m->outputs[pairs[k] + 1];
      if (commutes[k]) {
        assert_int_equal(x, y);
        merged++;
      } else {
        kept += x != y;
      }
    }
    jet_graph_destroy(m);
    jet_graph_destroy(c2);
    jet_graph_destroy(c);
    jet_graph_destroy(g);
  }
  print_message("%s: %d commuting pairs merged, %d float max/min pairs kept apart\n",
                jet_dtype_name(dt), merged, kept);
  assert_true(merged > 100);
  if (jet_dtype_is_float(dt)) assert_true(kept > 0);
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

/* ---- compile time ---- */

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* 1,000 nodes: a chain of elementwise ops over two parameters and one
 * constant (nothing to fold or merge, so every pass runs over all of it). */
static jet_graph *chain_1000(void) {
  jet_graph *g = jet_graph_create("chain");
  jet_type t = TY(JET_F32, 64);
  jet_value x = param(g, t), y = param(g, t), prev = x;
  float k[64];
  for (int i = 0; i < 64; i++) k[i] = 0.5f + (float)i;
  jet_attr ka = a_lit("value", t, k);
  jet_value kv = node(g, JET_OP_CONSTANT, NULL, 0, &ka, 1);
  while (g->n_nodes < 1000) {
    switch (g->n_nodes % 5) {
      case 0: prev = bin(g, JET_OP_MUL, prev, y); break;
      case 1: prev = node(g, JET_OP_SIN, &prev, 1, NULL, 0); break;
      case 2: prev = bin(g, JET_OP_ADD, kv, prev); break;
      case 3: prev = bin(g, JET_OP_SUB, x, prev); break;
      default: prev = bin(g, JET_OP_MAX, prev, x); break;
    }
  }
  expect_ok(jet_graph_set_outputs(g, &prev, 1));
  return g;
}

static void test_cleanup_time_1000_nodes(void **state) {
  (void)state;
  jet_graph *g = chain_1000();
  assert_int_equal(g->n_nodes, 1000);
  static const struct {
    const char *name;
    pass_fn fn;
  } passes[] = {{"canon", jet_pass_canon},     {"constfold", jet_pass_constfold},
                {"simplify", jet_pass_simplify}, {"dotfold", jet_pass_dotfold},
                {"cse", jet_pass_cse},         {"dce", jet_pass_dce},
                {"cleanup", jet_passes_cleanup}};
  /* Printed, not asserted (timings belong to benchmarks): the first call
   * and the best of 20. A pass alone on warm memory takes ~0.1 ms here; the
   * whole cleanup more than their sum, as each pass's fresh output graph
   * faults in new pages. */
  for (size_t p = 0; p < NELEM(passes); p++) {
    double best = 1e9, first = 0;
    uint32_t n = 0;
    for (int rep = 0; rep < 20; rep++) {
      jet_graph *r = NULL;
      double t0 = seconds_now();
      expect_ok(passes[p].fn(g, &r));
      double dt = seconds_now() - t0;
      if (rep == 0) first = dt;
      if (dt < best) best = dt;
      n = r->n_nodes;
      jet_graph_destroy(r);
    }
    print_message("1000-node chain: %-9s first %7.3f ms, best %7.3f ms -> %u nodes\n",
                  passes[p].name, first * 1e3, best * 1e3, n);
  }
  jet_graph *c = NULL;
  expect_ok(jet_passes_cleanup(g, &c));
  assert_int_equal(c->n_nodes, 1000);
  assert_int_equal(count_op(c, JET_OP_SIN), 200);
  expect_same_results(g, c, 1);
  jet_graph_destroy(c);
  jet_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_float_order),
      cmocka_unit_test(test_golden_int_bool),
      cmocka_unit_test(test_golden_sub_constant),
      cmocka_unit_test(test_golden_cleanup_merges),
      cmocka_unit_test(test_untouched),
      cmocka_unit_test(test_callee_canonicalised),
      cmocka_unit_test(test_random_i32),
      cmocka_unit_test(test_random_f32),
      cmocka_unit_test(test_random_f64),
      cmocka_unit_test(test_cleanup_time_1000_nodes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
