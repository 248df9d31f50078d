/* Helpers shared by the compiler-pass tests (test_server_passes_canon.c,
 * test_server_passes_constfold.c, test_server_passes_dotfold.c,
 * test_server_simplify.c): the text form, graph building, a seeded rng,
 * random arguments, and running a pass and checking that its output graph
 * computes what its input did on the reference executor (jet_exec_graph).
 * Everything is static inline; include it after tests/unit/test_exec_util.h
 * (expect_ok, NELEM, TY, a_lit ...).
 *
 *   parse(text), print(g), expect_text(g, want)   text form (jet/text.h)
 *   param, node, un, un1, bin, count_op            graph building / counting
 *   rnd(), rnd_below(n)                            xorshift64 from the seed
 *   random_data(t), random_constant(g, t)          random elements of type t
 *   expect_bits_equal(a, b)                        two results agree
 *   expect_same_results(a, b, trials)              both graphs on `trials`
 *                                                  sets of random arguments
 *   run_pass(pass, g)                              pass, then DCE; validated,
 *                                                  same signature as g
 *   golden(pass, in, want)                         text in -> run_pass -> text
 *                                                  want; same results (8 sets)
 *
 * The including test configures it with macros defined before the #include:
 *   PASS_CHECK_SEED (required): the rng's initial state. Each test has its
 *     own, so its random graphs and data are its own and reproducible.
 *   PASS_CHECK_NAN_ANY_PAYLOAD: two NaNs match whatever their payloads (for
 *     passes that rewrite float arithmetic); without it results must agree
 *     byte for byte, NaN payloads included (passes whose output runs the
 *     very kernels the input would).
 *   PASS_CHECK_SMALL_INT_FLOATS: random f32/f64 elements are small non-zero
 *     integers (-4..-1, 1..4) and every other dtype takes raw rng bits, so
 *     every product and sum of a small dot is exact and never -0 (for
 *     passes that may change a summation order). Without it f32/f64
 *     elements are specials (+-0, +-1, +-inf, NaN, a subnormal for f32,
 *     -3.5) one time in three and otherwise a multiple of 0.001 in
 *     [-10, 10]; i32 elements 0, 1, -1, INT32_MIN, INT32_MAX one time in
 *     three and otherwise any value; bool 0 or 1; other dtypes raw rng
 *     bits. */
#ifndef JET_TESTS_PASS_CHECK_H
#define JET_TESTS_PASS_CHECK_H

#ifndef JET_TEST_EXEC_UTIL_H
#error "include test_exec_util.h before pass_check.h"
#endif
#ifndef PASS_CHECK_SEED
#error "define PASS_CHECK_SEED (the rng's initial state) before including pass_check.h"
#endif

#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes.h"
#include "exec.h"
#include "jet/graph.h"
#include "jet/infer.h"
#include "jet/strbuf.h"
#include "jet/text.h"
#include "mem.h"

/* ---- text form ---- */

static inline jet_graph *parse(const char *text) {
  jet_graph *g = NULL;
  expect_ok(jet_graph_parse(text, strlen(text), &g));
  return g;
}

/* g's text form; free() it. */
static inline char *print(const jet_graph *g) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  expect_ok(jet_graph_print(g, &sb));
  char *s = jet_strbuf_take(&sb);
  assert_non_null(s);
  return s;
}

static inline void expect_text(const jet_graph *g, const char *want) {
  char *got = print(g);
  const bool differ = strcmp(got, want) != 0;
  if (differ) print_error("got:\n%s\nexpected:\n%s\n", got, want);
  free(got);
  if (differ) fail();
}

/* ---- building ---- */

static inline jet_value param(jet_graph *g, jet_type t) {
  jet_value v;
  expect_ok(jet_graph_add_param(g, &t, &v));
  return v;
}

static inline jet_value node(jet_graph *g, jet_op op, const jet_value *ops, uint32_t n,
                             const jet_attr *attrs, uint32_t n_attrs) {
  jet_value v;
  expect_ok(jet_graph_add_node(g, op, ops, n, attrs, n_attrs, NULL, NULL, 0, &v));
  return v;
}

static inline jet_value un(jet_graph *g, jet_op op, jet_value a) {
  return node(g, op, &a, 1, NULL, 0);
}

static inline jet_value un1(jet_graph *g, jet_op op, jet_value a, jet_attr at) {
  return node(g, op, &a, 1, &at, 1);
}

static inline jet_value bin(jet_graph *g, jet_op op, jet_value a, jet_value b) {
  jet_value ops[2] = {a, b};
  return node(g, op, ops, 2, NULL, 0);
}

/* Nodes of g (not of its callees) with operation op. */
static inline int count_op(const jet_graph *g, jet_op op) {
  int n = 0;
  for (uint32_t i = 0; i < g->n_nodes; i++) n += g->nodes[i].op == op;
  return n;
}

/* ---- random data ---- */

static uint64_t rng_state = PASS_CHECK_SEED;
static inline uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static inline uint32_t rnd_below(uint32_t n) { return (uint32_t)(rnd() % n); }

#ifndef PASS_CHECK_SMALL_INT_FLOATS
/* A special value one time in three, else a multiple of 0.001 in [-10, 10]. */
static inline double special(uint64_t r) {
  static const double s[] = {0.0, -0.0, 1.0, -1.0, INFINITY, -INFINITY, NAN, 1e-40, -3.5};
  if (r % 3 == 0) return s[(r / 3) % NELEM(s)];
  return (double)(int64_t)((r >> 8) % 20001) / 1000.0 - 10.0;
}
#endif

/* numel(t) random elements (one rnd() each, see the header comment), in a
 * buffer to free with jet_mem_free. */
static inline void *random_data(jet_type t) {
  int64_t n = jet_type_numel(&t);
  size_t sz = jet_dtype_size(t.dtype);
  unsigned char *d = jet_mem_alloc(sz * (size_t)(n ? n : 1));
  assert_non_null(d);
  for (int64_t i = 0; i < n; i++) {
    uint64_t r = rnd();
    unsigned char *p = d + i * (int64_t)sz;
#ifdef PASS_CHECK_SMALL_INT_FLOATS
    int k = (int)(r % 8) - 4;
    double x = k >= 0 ? k + 1 : k;
    if (t.dtype == JET_F32) {
      float f = (float)x;
      memcpy(p, &f, sz);
    } else if (t.dtype == JET_F64) {
      memcpy(p, &x, sz);
    } else {
      memcpy(p, &r, sz < 8 ? sz : 8);
    }
#else
    if (t.dtype == JET_F32) {
      float f = (float)special(r);
      memcpy(p, &f, sz);
    } else if (t.dtype == JET_F64) {
      double x = special(r);
      memcpy(p, &x, sz);
    } else if (t.dtype == JET_I32) {
      static const int32_t s[] = {0, 1, -1, INT32_MIN, INT32_MAX};
      int32_t v = r % 3 == 0 ? s[(r / 3) % 5] : (int32_t)(uint32_t)(r >> 16);
      memcpy(p, &v, sz);
    } else if (t.dtype == JET_BOOL) {
      *p = (unsigned char)(r & 1);
    } else {
      memcpy(p, &r, sz < 8 ? sz : 8);
    }
#endif
  }
  return d;
}

/* A constant of type t with random elements (random_data). */
static inline jet_value random_constant(jet_graph *g, jet_type t) {
  void *d = random_data(t);
  jet_attr a = a_lit("value", t, d);
  jet_value v = node(g, JET_OP_CONSTANT, NULL, 0, &a, 1);
  jet_mem_free(d);
  return v;
}

/* ---- running ---- */

/* Same type and bytes; with PASS_CHECK_NAN_ANY_PAYLOAD two NaNs match
 * whatever their payloads. */
static inline void expect_bits_equal(const jet_buf *a, const jet_buf *b) {
  assert_true(jet_type_equal(&a->type, &b->type));
#ifdef PASS_CHECK_NAN_ANY_PAYLOAD
  int64_t n = jet_type_numel(&a->type);
  if (a->type.dtype == JET_F32) {
    for (int64_t i = 0; i < n; i++) {
      float x = ((const float *)a->data)[i], y = ((const float *)b->data)[i];
      if (!(isnan(x) && isnan(y))) assert_memory_equal(&x, &y, sizeof x);
    }
    return;
  }
  if (a->type.dtype == JET_F64) {
    for (int64_t i = 0; i < n; i++) {
      double x = ((const double *)a->data)[i], y = ((const double *)b->data)[i];
      if (!(isnan(x) && isnan(y))) assert_memory_equal(&x, &y, sizeof x);
    }
    return;
  }
#endif
  if (jet_type_nbytes(&a->type))
    assert_memory_equal(a->data, b->data, jet_type_nbytes(&a->type));
}

/* Runs a and b (same signature) on `trials` sets of random arguments
 * (random_data); every output agrees (expect_bits_equal). */
static inline void expect_same_results(const jet_graph *a, const jet_graph *b, int trials) {
  assert_int_equal(a->n_params, b->n_params);
  assert_int_equal(a->n_outputs, b->n_outputs);
  jet_buf args[16], oa[64], ob[64];
  assert_true(a->n_params <= 16 && a->n_outputs <= 64);
  for (int trial = 0; trial < trials; trial++) {
    for (uint32_t i = 0; i < a->n_params; i++) {
      assert_true(jet_type_equal(&a->value_types[i], &b->value_types[i]));
      args[i].type = a->value_types[i];
      args[i].data = random_data(args[i].type);
    }
    expect_ok(jet_exec_graph(a, args, a->n_params, oa, NULL));
    expect_ok(jet_exec_graph(b, args, b->n_params, ob, NULL));
    for (uint32_t i = 0; i < a->n_outputs; i++) {
      expect_bits_equal(&oa[i], &ob[i]);
      jet_mem_free(oa[i].data);
      jet_mem_free(ob[i].data);
    }
    for (uint32_t i = 0; i < a->n_params; i++) jet_mem_free(args[i].data);
  }
}

typedef jet_status (*pass_fn)(const jet_graph *, jet_graph **);

/* pass then DCE (dropping what the pass bypassed); both outputs validated,
 * the result has g's signature. */
static inline jet_graph *run_pass(pass_fn pass, const jet_graph *g) {
  jet_graph *p = NULL, *d = NULL;
  expect_ok(pass(g, &p));
  expect_ok(jet_graph_validate(p, NULL, 0));
  expect_ok(jet_pass_dce(p, &d));
  jet_graph_destroy(p);
  expect_ok(jet_graph_validate(d, NULL, 0));
  assert_int_equal(d->n_params, g->n_params);
  assert_int_equal(d->n_outputs, g->n_outputs);
  for (uint32_t i = 0; i < g->n_outputs; i++)
    assert_true(jet_type_equal(jet_graph_value_type(g, g->outputs[i]),
                               jet_graph_value_type(d, d->outputs[i])));
  return d;
}

/* input text -> pass + DCE -> expected text; the results agree. */
static inline void golden(pass_fn pass, const char *in, const char *want) {
  jet_graph *g = parse(in);
  jet_graph *r = run_pass(pass, g);
  expect_text(r, want);
  expect_same_results(g, r, 8);
  jet_graph_destroy(r);
  jet_graph_destroy(g);
}

#endif
