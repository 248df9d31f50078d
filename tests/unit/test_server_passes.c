/* The compiler's cleanup passes (server/compiler/passes): dead-code
 * elimination, common-subexpression elimination, their combination, and
 * the compile path running them. Every output graph is validated and, where
 * it says so, executed against the input graph with the reference executor
 * on random inputs (bit-exact). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/compile.h"
#include "compiler/passes/passes.h"
#include "jet/infer.h"
#include "transforms/transforms.h"
#include "test_exec_util.h"

#define VEC_N 4
static jet_type vec(void) { return TY(JET_F32, VEC_N); }

/* ---- building ---- */

static jet_value param(jet_graph *g, jet_type t) {
  jet_value v;
  expect_ok(jet_graph_add_param(g, &t, &v));
  return v;
}

static jet_value node(jet_graph *g, jet_op op, const jet_value *ops, uint32_t n,
                      const jet_attr *attrs, uint32_t n_attrs) {
  jet_value v;
  expect_ok(jet_graph_add_node(g, op, ops, n, attrs, n_attrs, NULL, NULL, 0, &v));
  return v;
}

static jet_value un(jet_graph *g, jet_op op, jet_value a) { return node(g, op, &a, 1, NULL, 0); }

static jet_value bin(jet_graph *g, jet_op op, jet_value a, jet_value b) {
  jet_value ops[2] = {a, b};
  return node(g, op, ops, 2, NULL, 0);
}

/* constant f32[VEC_N] filled with x */
static jet_value constant(jet_graph *g, float x) {
  float d[VEC_N];
  for (int i = 0; i < VEC_N; i++) d[i] = x;
  jet_attr a = a_lit("value", vec(), d);
  return node(g, JET_OP_CONSTANT, NULL, 0, &a, 1);
}

static jet_value call(jet_graph *g, jet_graph *callee, const jet_value *ops, uint32_t n) {
  jet_value v;
  expect_ok(jet_graph_add_node(g, JET_OP_CALL, ops, n, NULL, 0, callee, NULL, 0, &v));
  return v;
}

static void outputs(jet_graph *g, const jet_value *v, uint32_t n) {
  expect_ok(jet_graph_set_outputs(g, v, n));
}

/* f(a, b) = (sin(a) * b, a + b), plus a dead exp(a), as a child of g. */
static jet_graph *two_result_callee(jet_graph *g) {
  jet_graph *c = jet_graph_create_child(g, "f");
  assert_non_null(c);
  jet_value a = param(c, vec()), b = param(c, vec());
  (void)un(c, JET_OP_EXP, a);
  jet_value o[2] = {bin(c, JET_OP_MUL, un(c, JET_OP_SIN, a), b), bin(c, JET_OP_ADD, a, b)};
  outputs(c, o, 2);
  return c;
}

/* ---- checking ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd() % n); }

static void validate(const jet_graph *g) { expect_ok(jet_graph_validate(g, NULL, 0)); }

/* Runs both graphs on the same random arguments; outputs must agree bit for
 * bit (same kernels, same inputs). */
static void expect_same_results(const jet_graph *a, const jet_graph *b) {
  assert_int_equal(a->n_params, b->n_params);
  assert_int_equal(a->n_outputs, b->n_outputs);
  jet_buf args[16], oa[16], ob[16];
  assert_true(a->n_params <= 16 && a->n_outputs <= 16);
  for (uint32_t i = 0; i < a->n_params; i++) {
    assert_true(jet_type_equal(&a->value_types[i], &b->value_types[i]));
    args[i].type = a->value_types[i];
    assert_int_equal(args[i].type.dtype, JET_F32);
    int64_t n = jet_type_numel(&args[i].type);
    float *d = jet_mem_alloc(sizeof(float) * (size_t)(n ? n : 1));
    assert_non_null(d);
    for (int64_t k = 0; k < n; k++) d[k] = (float)((double)rnd_below(4001) / 1000.0 - 2.0);
    args[i].data = d;
  }
  expect_ok(jet_exec_graph(a, args, a->n_params, oa, NULL));
  expect_ok(jet_exec_graph(b, args, b->n_params, ob, NULL));
  for (uint32_t i = 0; i < a->n_outputs; i++) {
    assert_true(jet_type_equal(&oa[i].type, &ob[i].type));
    assert_memory_equal(oa[i].data, ob[i].data, jet_type_nbytes(&oa[i].type));
    jet_mem_free(oa[i].data);
    jet_mem_free(ob[i].data);
  }
  for (uint32_t i = 0; i < a->n_params; i++) jet_mem_free(args[i].data);
}

/* Same parameters and output types. */
static void expect_same_signature(const jet_graph *a, const jet_graph *b) {
  assert_int_equal(a->n_params, b->n_params);
  for (uint32_t i = 0; i < a->n_params; i++)
    assert_true(jet_type_equal(&a->value_types[i], &b->value_types[i]));
  assert_int_equal(a->n_outputs, b->n_outputs);
  for (uint32_t i = 0; i < a->n_outputs; i++)
    assert_true(jet_type_equal(jet_graph_value_type(a, a->outputs[i]),
                               jet_graph_value_type(b, b->outputs[i])));
}

static int count_op(const jet_graph *g, jet_op op) {
  int n = 0;
  for (uint32_t i = 0; i < g->n_nodes; i++) n += g->nodes[i].op == op;
  return n;
}

/* Every node of g has a result that reaches an output (no dead code),
 * checked directly from the definition. */
static void expect_no_dead_nodes(const jet_graph *g) {
  for (uint32_t n = 0; n < g->n_nodes; n++) {
    const jet_node *nd = &g->nodes[n];
    bool used = false;
    for (uint32_t o = 0; o < g->n_outputs && !used; o++)
      used = g->outputs[o] >= nd->first_result && g->outputs[o] < nd->first_result + nd->n_results;
    for (uint32_t m = n + 1; m < g->n_nodes && !used; m++)
      for (uint32_t i = 0; i < g->nodes[m].n_operands && !used; i++)
        used = g->value_node[g->nodes[m].operands[i]] == (int32_t)n;
    if (!used) print_error("node %u (%s) is dead\n", n, jet_op_name(nd->op));
    assert_true(used);
    if (nd->callee) expect_no_dead_nodes(nd->callee);
  }
}

static jet_graph *cse(const jet_graph *g) {
  jet_graph *out = NULL;
  expect_ok(jet_pass_cse(g, &out));
  assert_non_null(out);
  validate(out);
  expect_same_signature(g, out);
  return out;
}

static jet_graph *dce(const jet_graph *g) {
  jet_graph *out = NULL;
  expect_ok(jet_pass_dce(g, &out));
  assert_non_null(out);
  validate(out);
  expect_same_signature(g, out);
  return out;
}

static jet_graph *cleanup(const jet_graph *g) {
  jet_graph *out = NULL;
  expect_ok(jet_passes_cleanup(g, &out));
  assert_non_null(out);
  validate(out);
  expect_same_signature(g, out);
  return out;
}

static uint32_t total_nodes(const jet_graph *g) { return jet_graph_total_nodes(g); }

/* ---- DCE ---- */

static void test_dce_removes_unused_chains(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("g");
  jet_value x = param(g, vec());
  (void)param(g, vec()); /* unused parameter: kept */
  jet_value a = un(g, JET_OP_EXP, x);
  jet_value b = un(g, JET_OP_SIN, a);
  (void)bin(g, JET_OP_MUL, b, b); /* exp -> sin -> mul: dead */
  jet_value d = bin(g, JET_OP_ADD, x, x);
  jet_value e = un(g, JET_OP_COS, d);
  (void)un(g, JET_OP_NEG, e); /* dead leaf of a live value */
  jet_value s1 = un(g, JET_OP_SIN, x), s2 = un(g, JET_OP_SIN, x); /* duplicates: DCE keeps both */
  jet_value ed = bin(g, JET_OP_MUL, e, d);
  jet_value o = bin(g, JET_OP_MUL, ed, bin(g, JET_OP_SUB, s1, s2));
  jet_value outs[2] = {o, x};
  outputs(g, outs, 2);
  validate(g);
  jet_graph *r = dce(g);
  assert_int_equal(r->n_params, 2);
  static const jet_op want[] = {JET_OP_ADD, JET_OP_COS, JET_OP_SIN, JET_OP_SIN,
                                JET_OP_MUL, JET_OP_SUB, JET_OP_MUL};
  assert_int_equal(r->n_nodes, NELEM(want));
  for (uint32_t i = 0; i < NELEM(want); i++) assert_int_equal(r->nodes[i].op, want[i]);
  assert_int_equal(r->outputs[1], 0); /* the parameter x */
  expect_no_dead_nodes(r);
  expect_same_results(g, r);
  jet_graph *r2 = dce(r); /* nothing left to remove */
  assert_int_equal(r2->n_nodes, r->n_nodes);
  jet_graph_destroy(r2);
  jet_graph_destroy(r);
  jet_graph_destroy(g);
}

static void test_dce_calls_and_callees(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("g");
  jet_value x = param(g, vec()), y = param(g, vec());
  jet_graph *f = two_result_callee(g);
  jet_value xy[2] = {x, y}, yx[2] = {y, x};
  jet_value c1 = call(g, f, xy, 2);
  (void)call(g, f, yx, 2); /* no result used: dropped */
  jet_value o = un(g, JET_OP_NEG, c1 + 1); /* only the second result of c1 is used */
  outputs(g, &o, 1);
  validate(g);
  assert_int_equal(total_nodes(g), 3 + 2 * 4);
  jet_graph *r = dce(g);
  assert_int_equal(r->n_nodes, 2);
  assert_int_equal(r->nodes[0].op, JET_OP_CALL);
  assert_int_equal(r->nodes[0].n_results, 2); /* a call stays whole */
  assert_int_equal(r->nodes[0].callee->n_nodes, 3); /* the callee's dead exp is gone */
  assert_int_equal(count_op(r->nodes[0].callee, JET_OP_EXP), 0);
  expect_no_dead_nodes(r);
  expect_same_results(g, r);
  jet_graph_destroy(r);
  jet_graph_destroy(g);
}

/* ---- CSE ---- */

static void test_cse_merges_identical_nodes(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("g");
  jet_value x = param(g, vec());
  jet_value s1 = un(g, JET_OP_SIN, x), s2 = un(g, JET_OP_SIN, x);
  jet_value k1 = constant(g, 2.0f), k2 = constant(g, 2.0f);
  jet_value m1 = bin(g, JET_OP_MUL, s1, k1), m2 = bin(g, JET_OP_MUL, s2, k2);
  jet_value o = bin(g, JET_OP_ADD, m1, m2);
  outputs(g, &o, 1);
  jet_graph *r = cse(g);
  assert_int_equal(r->n_nodes, 4);
  assert_int_equal(count_op(r, JET_OP_SIN), 1);
  assert_int_equal(count_op(r, JET_OP_CONSTANT), 1);
  assert_int_equal(count_op(r, JET_OP_MUL), 1);
  const jet_node *add = &r->nodes[r->value_node[r->outputs[0]]];
  assert_int_equal(add->op, JET_OP_ADD);
  assert_int_equal(add->operands[0], add->operands[1]);
  expect_same_results(g, r);
  jet_graph_destroy(r);
  jet_graph_destroy(g);
}

static jet_value convert(jet_graph *g, jet_value v, jet_dtype d) {
  jet_attr a = a_dtype("new_dtype", d);
  return node(g, JET_OP_CONVERT_ELEMENT_TYPE, &v, 1, &a, 1);
}

static jet_value ipow(jet_graph *g, jet_value v, int64_t y) {
  jet_attr a = a_int("y", y);
  return node(g, JET_OP_INTEGER_POW, &v, 1, &a, 1);
}

/* broadcast_in_dim of a scalar to f32[VEC_N], attributes in either order. */
static jet_value bcast(jet_graph *g, jet_value s, bool shape_first) {
  jet_attr at[2] = {A_INTS("shape", VEC_N), A_NOINTS("broadcast_dimensions")};
  if (!shape_first) {
    jet_attr t = at[0];
    at[0] = at[1];
    at[1] = t;
  }
  return node(g, JET_OP_BROADCAST_IN_DIM, &s, 1, at, 2);
}

static jet_value rsum(jet_graph *g, jet_value v) {
  jet_attr a = A_INTS("axes", 0);
  return node(g, JET_OP_REDUCE_SUM, &v, 1, &a, 1);
}

static void test_cse_attributes_literals_dtypes(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("g");
  jet_value x = param(g, vec());
  jet_value s = rsum(g, x);
  jet_value b1 = bcast(g, s, true), b2 = bcast(g, s, false); /* same attrs, other order */
  jet_value p2 = ipow(g, x, 2), p3 = ipow(g, x, 3), p2b = ipow(g, x, 2);
  jet_value zp = constant(g, 0.0f), zn = constant(g, -0.0f), zp2 = constant(g, 0.0f);
  int32_t izero[VEC_N] = {0};
  jet_attr ia = a_lit("value", TY(JET_I32, VEC_N), izero); /* same bytes as f32 0.0 */
  jet_value zi = node(g, JET_OP_CONSTANT, NULL, 0, &ia, 1);
  jet_value ci = convert(g, zi, JET_F32);
  jet_value c64 = convert(g, x, JET_F64), ci32 = convert(g, x, JET_I32);
  jet_value outs[] = {b1, b2, p2, p3, p2b, zp, zn, zp2, ci, c64, ci32};
  outputs(g, outs, NELEM(outs));
  jet_graph *r = cse(g);
  assert_int_equal(count_op(r, JET_OP_REDUCE_SUM), 1);
  assert_int_equal(count_op(r, JET_OP_BROADCAST_IN_DIM), 1);
  assert_int_equal(count_op(r, JET_OP_INTEGER_POW), 2);
  assert_int_equal(count_op(r, JET_OP_CONSTANT), 3); /* +0.0, -0.0, i32 zeros */
  assert_int_equal(count_op(r, JET_OP_CONVERT_ELEMENT_TYPE), 3);
  assert_int_equal(r->outputs[0], r->outputs[1]);
  assert_int_equal(r->outputs[2], r->outputs[4]);
  assert_int_not_equal(r->outputs[2], r->outputs[3]);
  assert_int_equal(r->outputs[5], r->outputs[7]);
  assert_int_not_equal(r->outputs[5], r->outputs[6]);
  assert_int_not_equal(r->outputs[8], r->outputs[5]);
  assert_int_not_equal(r->outputs[9], r->outputs[10]);
  assert_int_equal(r->n_nodes, 10);
  expect_same_results(g, r);
  jet_graph_destroy(r);
  jet_graph_destroy(g);
}

static void test_cse_multi_result_calls(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("g");
  jet_value x = param(g, vec()), y = param(g, vec());
  jet_graph *f = two_result_callee(g);
  jet_graph *f2 = two_result_callee(g); /* another copy of the same function */
  jet_value xy[2] = {x, y}, yx[2] = {y, x};
  jet_value c1 = call(g, f, xy, 2), c2 = call(g, f, xy, 2), c3 = call(g, f2, xy, 2);
  jet_value c4 = call(g, f, yx, 2);
  jet_value outs[] = {c1, c1 + 1, c2 + 1, c3, c4 + 1, c3 + 1};
  outputs(g, outs, NELEM(outs));
  jet_graph *r = cse(g);
  assert_int_equal(r->n_nodes, 2);
  assert_int_equal(r->nodes[0].op, JET_OP_CALL);
  assert_int_equal(r->nodes[1].op, JET_OP_CALL);
  assert_ptr_equal(r->nodes[0].callee, r->nodes[1].callee);
  assert_int_equal(r->outputs[0], r->outputs[3]);
  assert_int_equal(r->outputs[1], r->outputs[0] + 1);
  assert_int_equal(r->outputs[1], r->outputs[2]);
  assert_int_equal(r->outputs[1], r->outputs[5]);
  assert_int_equal(r->outputs[4], r->nodes[1].first_result + 1);
  expect_same_results(g, r);
  jet_graph *c = cleanup(g);
  assert_int_equal(c->n_nodes, 2);
  assert_ptr_equal(c->nodes[0].callee, c->nodes[1].callee); /* one shared callee */
  assert_int_equal(c->nodes[0].callee->n_nodes, 3);         /* its exp gone */
  expect_no_dead_nodes(c);
  expect_same_results(g, c);
  jet_graph_destroy(c);
  jet_graph_destroy(r);
  jet_graph_destroy(g);
}

/* h(a) = f(a, a)[0] + f(a, a)[1] with the call duplicated inside h. */
static void test_cleanup_nested_callees(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("g");
  jet_value x = param(g, vec());
  jet_graph *h = jet_graph_create_child(g, "h");
  assert_non_null(h);
  jet_value a = param(h, vec());
  jet_graph *f = two_result_callee(h);
  jet_value aa[2] = {a, a};
  jet_value c1 = call(h, f, aa, 2), c2 = call(h, f, aa, 2);
  (void)un(h, JET_OP_COS, a);
  jet_value ho = bin(h, JET_OP_ADD, c1, c2 + 1);
  outputs(h, &ho, 1);
  jet_value o1 = call(g, h, &x, 1), o2 = call(g, h, &x, 1);
  jet_value o = bin(g, JET_OP_SUB, o1, o2);
  outputs(g, &o, 1);
  validate(g);
  jet_graph *r = cleanup(g);
  assert_int_equal(r->n_nodes, 2);
  const jet_graph *rh = r->nodes[0].callee;
  assert_int_equal(rh->n_nodes, 2);
  assert_int_equal(rh->nodes[0].callee->n_nodes, 3);
  expect_no_dead_nodes(r);
  expect_same_results(g, r);
  jet_graph_destroy(r);
  jet_graph_destroy(g);
}

static void test_output_used_twice(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("g");
  jet_value x = param(g, vec());
  jet_value a = un(g, JET_OP_SIN, x), b = un(g, JET_OP_SIN, x);
  (void)un(g, JET_OP_EXP, a);
  jet_value outs[] = {a, b, a, x, x};
  outputs(g, outs, NELEM(outs));
  jet_graph *r = cleanup(g);
  assert_int_equal(r->n_nodes, 1);
  assert_int_equal(r->n_outputs, 5);
  jet_value v = r->nodes[0].first_result;
  jet_value want[] = {v, v, v, 0, 0};
  for (uint32_t i = 0; i < NELEM(want); i++) assert_int_equal(r->outputs[i], want[i]);
  expect_same_results(g, r);
  jet_graph_destroy(r);
  jet_graph_destroy(g);
}

/* ---- scale ---- */

/* steps * 8 nodes: two equal sins, their sum, a shared constant 2.0 and a
 * distinct constant per step, a mul and an add, and a dead exp. Cleaned:
 * 5 per step plus the one constant 2.0 (not 1.0: simplification would
 * remove a mul by 1). */
static jet_graph *chain_graph(uint32_t steps) {
  jet_graph *g = jet_graph_create("chain");
  jet_value prev = param(g, vec());
  for (uint32_t i = 0; i < steps; i++) {
    jet_value u = bin(g, JET_OP_ADD, un(g, JET_OP_SIN, prev), un(g, JET_OP_SIN, prev));
    jet_value v = bin(g, JET_OP_MUL, u, constant(g, 2.0f));
    jet_value w = bin(g, JET_OP_ADD, v, constant(g, (float)i + 0.5f));
    (void)un(g, JET_OP_EXP, w);
    prev = w;
  }
  outputs(g, &prev, 1);
  return g;
}

static double seconds_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Best of `reps` cleanup times of g (and checks the node count). */
static double time_cleanup(const jet_graph *g, int reps, uint32_t want_nodes) {
  double best = 1e9;
  for (int k = 0; k < reps; k++) {
    double t0 = seconds_now();
    jet_graph *r = NULL;
    expect_ok(jet_passes_cleanup(g, &r));
    double t = seconds_now() - t0;
    if (t < best) best = t;
    assert_int_equal(r->n_nodes, want_nodes);
    jet_graph_destroy(r);
  }
  return best;
}

static void test_cleanup_linear_time(void **state) {
  (void)state;
  jet_graph *small = chain_graph(1250); /* 10,000 nodes */
  jet_graph *big = chain_graph(5000);   /* 40,000 nodes */
  assert_int_equal(small->n_nodes, 10000);
  jet_graph *r = cleanup(small);
  assert_int_equal(r->n_nodes, 5 * 1250 + 1);
  expect_no_dead_nodes(r);
  expect_same_results(small, r);
  jet_graph_destroy(r);
  double ts = time_cleanup(small, 5, 5 * 1250 + 1);
  double tb = time_cleanup(big, 3, 5 * 5000 + 1);
  /* Printed, not asserted (timings belong to benchmarks): 4x the nodes
   * should take ~4x the time; quadratic behaviour would show ~16x. */
  print_message("cleanup: 10k nodes %.4f s, 40k nodes %.4f s (ratio %.1f)\n", ts, tb,
                ts > 0 ? tb / ts : 0.0);
  jet_graph_destroy(small);
  jet_graph_destroy(big);
}

/* ---- random graphs ---- */

static const jet_op unary_ops[] = {JET_OP_NEG, JET_OP_SIN, JET_OP_COS, JET_OP_TANH, JET_OP_EXP};
static const jet_op binary_ops[] = {JET_OP_ADD, JET_OP_SUB, JET_OP_MUL, JET_OP_MAX};
static const float const_values[] = {0.5f, 1.0f, -0.0f, 0.0f, 2.0f};

/* Appends an exact copy of node n of g; returns its first result. */
static jet_value copy_node(jet_graph *g, uint32_t n) {
  jet_node nd = g->nodes[n]; /* by value: g->nodes may move */
  jet_value v;
  expect_ok(jet_graph_add_node(g, nd.op, nd.operands, nd.n_operands, nd.attrs, nd.n_attrs,
                               nd.callee, nd.transforms, nd.n_transforms, &v));
  return v;
}

static jet_graph *random_graph(uint32_t n_steps) {
  jet_graph *g = jet_graph_create("random");
  jet_value vals[512];
  uint32_t nv = 0;
  uint32_t np = 1 + rnd_below(3);
  for (uint32_t i = 0; i < np; i++) vals[nv++] = param(g, vec());
  jet_graph *f = two_result_callee(g), *f2 = two_result_callee(g);
  for (uint32_t k = 0; k < n_steps && nv + 2 < NELEM(vals); k++) {
    jet_value a = vals[rnd_below(nv)], b = vals[rnd_below(nv)];
    switch (rnd_below(10)) {
      case 0: vals[nv++] = un(g, unary_ops[rnd_below(NELEM(unary_ops))], a); break;
      case 1: vals[nv++] = bin(g, binary_ops[rnd_below(NELEM(binary_ops))], a, b); break;
      case 2: vals[nv++] = constant(g, const_values[rnd_below(NELEM(const_values))]); break;
      case 3: vals[nv++] = ipow(g, a, 2 + (int64_t)rnd_below(2)); break;
      case 4: vals[nv++] = bcast(g, rsum(g, a), rnd_below(2) == 0); break;
      case 5: {
        jet_value ab[2] = {a, b};
        jet_value c = call(g, rnd_below(2) ? f : f2, ab, 2);
        vals[nv++] = c;
        vals[nv++] = c + 1;
        break;
      }
      default: {
        if (!g->n_nodes) break;
        uint32_t n = rnd_below(g->n_nodes);
        jet_value c = copy_node(g, n);
        jet_type v = vec();
        for (uint32_t r = 0; r < g->nodes[g->n_nodes - 1].n_results; r++)
          if (jet_type_equal(jet_graph_value_type(g, c + r), &v)) vals[nv++] = c + r;
        break;
      }
    }
  }
  jet_value outs[4];
  uint32_t no = 1 + rnd_below(4);
  for (uint32_t i = 0; i < no; i++) outs[i] = vals[rnd_below(nv)];
  outputs(g, outs, no);
  validate(g);
  return g;
}

static void test_random_graphs_keep_results(void **state) {
  (void)state;
  uint64_t before = 0, after = 0;
  for (int trial = 0; trial < 80; trial++) {
    jet_graph *g = random_graph(40);
    jet_graph *c = cleanup(g);
    assert_true(total_nodes(c) <= total_nodes(g));
    before += total_nodes(g);
    after += total_nodes(c);
    expect_no_dead_nodes(c);
    expect_same_results(g, c);
    jet_graph *again = cleanup(c); /* a fixed point: nothing more to merge or drop */
    assert_int_equal(total_nodes(again), total_nodes(c));
    jet_graph *d = dce(g), *s = cse(g);
    expect_no_dead_nodes(d);
    expect_same_results(g, d);
    expect_same_results(g, s);
    jet_graph_destroy(again);
    jet_graph_destroy(d);
    jet_graph_destroy(s);
    jet_graph_destroy(c);
    jet_graph_destroy(g);
  }
  print_message("random graphs: %llu nodes, cleaned: %llu\n", (unsigned long long)before,
                (unsigned long long)after);
  assert_true(after < before);
}

/* ---- compile path ---- */

static jet_graph *redundant_graph(void) {
  jet_graph *g = jet_graph_create("r");
  jet_value x = param(g, vec());
  jet_value a = un(g, JET_OP_COS, x), b = un(g, JET_OP_COS, x);
  (void)un(g, JET_OP_EXP, x);
  jet_value o[2] = {bin(g, JET_OP_MUL, a, b), a};
  outputs(g, o, 2);
  return g;
}

static void test_compile_runs_cleanup(void **state) {
  (void)state;
  jet_cache *cache = jet_cache_create(4);
  assert_non_null(cache);
  jet_graph *ref = redundant_graph();
  jet_executable *e = NULL;
  bool hit = true;
  expect_ok(jet_compiler_compile(cache, redundant_graph(), NULL, 0, NULL, 0, &e, &hit));
  assert_false(hit);
  assert_int_equal(e->graph->n_nodes, 2); /* cos, mul */
  assert_int_equal(e->n_outputs, 2);
  validate(e->graph);
  expect_same_signature(ref, e->graph);
  expect_same_results(ref, e->graph);
  jet_executable_release(e);
  jet_graph_destroy(ref);
  jet_cache_destroy(cache);
}

/* A derivative graph (grad of sum(sin(x) * sin(x))) cleans to a graph with
 * the same results. Skipped while the grad transform is unavailable. */
static void test_cleanup_derivative_graph(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("f");
  jet_value x = param(g, vec());
  jet_value s1 = un(g, JET_OP_SIN, x), s2 = un(g, JET_OP_SIN, x);
  jet_value o = rsum(g, bin(g, JET_OP_MUL, s1, s2));
  outputs(g, &o, 1);
  int32_t argnums[1] = {0};
  jet_transform tf;
  memset(&tf, 0, sizeof tf);
  tf.kind = JET_TF_GRAD;
  tf.n_argnums = 1;
  tf.argnums = argnums;
  tf.axis_name = tf.spmd_axis_name = "";
  jet_graph *d = NULL;
  jet_status st = jet_transforms_apply(g, &tf, 1, &d);
  if (jet_status_code(st) == JET_UNIMPLEMENTED) {
    jet_status_free(st);
    skip();
  }
  expect_ok(st);
  validate(d);
  jet_graph *c = cleanup(d);
  print_message("grad graph: %u nodes, cleaned: %u\n", total_nodes(d), total_nodes(c));
  assert_true(total_nodes(c) < total_nodes(d)); /* at least the two sins merge */
  assert_int_equal(count_op(c, JET_OP_SIN), 1);
  expect_no_dead_nodes(c);
  expect_same_results(d, c);
  jet_graph_destroy(c);
  jet_graph_destroy(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dce_removes_unused_chains),
      cmocka_unit_test(test_dce_calls_and_callees),
      cmocka_unit_test(test_cse_merges_identical_nodes),
      cmocka_unit_test(test_cse_attributes_literals_dtypes),
      cmocka_unit_test(test_cse_multi_result_calls),
      cmocka_unit_test(test_cleanup_nested_callees),
      cmocka_unit_test(test_output_used_twice),
      cmocka_unit_test(test_cleanup_linear_time),
      cmocka_unit_test(test_random_graphs_keep_results),
      cmocka_unit_test(test_compile_runs_cleanup),
      cmocka_unit_test(test_cleanup_derivative_graph),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
