/* Control-flow sub-graphs and the cond op at the shared/runtime level: text
 * and proto round trips, deep copy, node counts, the canonical hash,
 * validation messages naming the mismatching branch, and the reference
 * executor picking the branch for bool and (clamped) i32 predicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "exec.h"
#include "jet/hash.h"
#include "jet/infer.h"
#include "jet/protoconv.h"
#include "jet/text.h"
#include "mem.h"

static void ok(jet_status st) {
  if (st) fail_msg("unexpected error: %s", jet_status_message(st));
}

static jet_graph *parse(const char *text) {
  jet_graph *g = NULL;
  ok(jet_graph_parse(text, strlen(text), &g));
  return g;
}

static char *print(const jet_graph *g) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  ok(jet_graph_print(g, &sb));
  return jet_strbuf_take(&sb);
}

/* Expects text to fail parsing (with validation) with a message holding
 * `want`. */
static void parse_fails(const char *text, const char *want) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(text, strlen(text), &g);
  assert_non_null(st);
  assert_null(g);
  if (!strstr(jet_status_message(st), want))
    fail_msg("message '%s' lacks '%s'", jet_status_message(st), want);
  jet_status_free(st);
}

/* Three-way switch on an i32 index, the branch results differ. */
static const char kSwitch[] =
    "graph sw(%0: i32[], %1: f32[3], %2: f32[3]) {\n"
    "  %3, %4 = cond %0, %1, %2 : f32[3], f32[] {\n"
    "    graph b0(%0: f32[3], %1: f32[3]) {\n"
    "      %2 = add %0, %1 : f32[3]\n"
    "      %3 = constant[value=f32[]{0}] : f32[]\n"
    "      return %2, %3\n"
    "    }\n"
    "    graph b1(%0: f32[3], %1: f32[3]) {\n"
    "      %2 = mul %0, %1 : f32[3]\n"
    "      %3 = constant[value=f32[]{1}] : f32[]\n"
    "      return %2, %3\n"
    "    }\n"
    "    graph b2(%0: f32[3], %1: f32[3]) {\n"
    "      %2 = constant[value=f32[]{2}] : f32[]\n"
    "      return %1, %2\n"
    "    }\n"
    "  }\n"
    "  return %3, %4\n"
    "}\n";

static const char kBool[] =
    "graph b(%0: bool[], %1: f32[3]) {\n"
    "  %2 = cond %0, %1 : f32[3] {\n"
    "    graph no(%0: f32[3]) {\n"
    "      %1 = neg %0 : f32[3]\n"
    "      return %1\n"
    "    }\n"
    "    graph yes(%0: f32[3]) {\n"
    "      %1 = mul %0, %0 : f32[3]\n"
    "      return %1\n"
    "    }\n"
    "  }\n"
    "  return %2\n"
    "}\n";

static void test_text_round_trip_and_structure(void **state) {
  (void)state;
  jet_graph *g = parse(kSwitch);
  char *again = print(g);
  assert_string_equal(again, kSwitch);
  free(again);
  assert_int_equal(g->n_nodes, 1);
  const jet_node *n = &g->nodes[0];
  assert_int_equal(n->op, JET_OP_COND);
  assert_int_equal(n->n_subgraphs, 3);
  assert_null(n->callee);
  assert_string_equal(n->subgraphs[1]->name, "b1");
  assert_int_equal(n->n_results, 2);
  /* 1 + 2 + 2 + 1 nodes */
  assert_int_equal(jet_graph_total_nodes(g), 6);
  ok(jet_graph_validate(g, NULL, 0));

  /* Deep copy: the same text, distinct sub-graphs. */
  jet_graph *c = jet_graph_create("sw");
  ok(jet_graph_copy_into(c, g, 0));
  assert_ptr_not_equal(c->nodes[0].subgraphs[0], g->nodes[0].subgraphs[0]);
  assert_ptr_equal(c->nodes[0].subgraphs[0]->arena, c->arena);
  again = print(c);
  assert_string_equal(again, kSwitch);
  free(again);
  ok(jet_graph_validate(c, NULL, 0));
  jet_graph_destroy(c);
  /* Depth limit counts sub-graphs. */
  c = jet_graph_create("sw");
  jet_status st = jet_graph_copy_into(c, g, 0);
  ok(st);
  jet_graph_destroy(c);
  jet_graph *outer = parse(
      "graph o(%0: i32[], %1: f32[3]) {\n  %2 = cond %0, %1 : f32[3] {\n"
      "    graph a(%0: f32[3]) {\n      %1 = constant[value=i32[]{0}] : i32[]\n"
      "      %2 = cond %1, %0 : f32[3] {\n        graph x(%0: f32[3]) {\n          return %0\n"
      "        }\n      }\n      return %2\n    }\n  }\n  return %2\n}\n");
  c = jet_graph_create("o");
  st = jet_graph_copy_into(c, outer, 1);
  assert_non_null(st);
  assert_non_null(strstr(jet_status_message(st), "deeper than 1"));
  jet_status_free(st);
  jet_graph_destroy(c);
  c = jet_graph_create("o");
  ok(jet_graph_copy_into(c, outer, 2));
  jet_graph_destroy(c);
  jet_graph_destroy(outer);
  jet_graph_destroy(g);
}

static void test_proto_round_trip(void **state) {
  (void)state;
  const char *texts[] = {kSwitch, kBool};
  for (int i = 0; i < 2; i++) {
    jet_graph *g = parse(texts[i]);
    jet_arena *a = jet_arena_create(4096);
    Jet__V1__Graph *pb = NULL;
    ok(jet_graph_to_proto(g, a, &pb));
    assert_int_equal(pb->nodes[0]->n_subgraphs, g->nodes[0].n_subgraphs);
    assert_null(pb->nodes[0]->callee);
    jet_graph *back = NULL;
    ok(jet_graph_from_proto(pb, &back));
    char *t = print(back);
    assert_string_equal(t, texts[i]);
    free(t);
    jet_graph_destroy(back);
    /* Without result types the decoder infers them through the branches. */
    pb->nodes[0]->n_results = 0;
    ok(jet_graph_from_proto(pb, &back));
    t = print(back);
    assert_string_equal(t, texts[i]);
    free(t);
    jet_graph_destroy(back);
    /* A bad branch is named by path. */
    Jet__V1__Graph *b1 = pb->nodes[0]->subgraphs[1];
    uint32_t saved = b1->outputs[0];
    b1->outputs[0] = 99;
    jet_status st = jet_graph_from_proto(pb, &back);
    assert_non_null(st);
    assert_non_null(strstr(jet_status_message(st), "graph.nodes[0].subgraphs[1]"));
    jet_status_free(st);
    b1->outputs[0] = saved;
    /* No branches at all. */
    size_t ns = pb->nodes[0]->n_subgraphs;
    pb->nodes[0]->n_subgraphs = 0;
    st = jet_graph_from_proto(pb, &back);
    assert_non_null(st);
    assert_non_null(strstr(jet_status_message(st), "at least one branch"));
    jet_status_free(st);
    pb->nodes[0]->n_subgraphs = ns;
    jet_arena_destroy(a);
    jet_graph_destroy(g);
  }
  /* Sub-graphs on another op. */
  jet_graph *g = parse(kBool);
  jet_arena *a = jet_arena_create(4096);
  Jet__V1__Graph *pb = NULL;
  ok(jet_graph_to_proto(g, a, &pb));
  Jet__V1__Node *neg = pb->nodes[0]->subgraphs[0]->nodes[0];
  neg->subgraphs = pb->nodes[0]->subgraphs;
  neg->n_subgraphs = 1;
  jet_graph *back = NULL;
  jet_status st = jet_graph_from_proto(pb, &back);
  assert_non_null(st);
  assert_non_null(
      strstr(jet_status_message(st), "graph.nodes[0].subgraphs[0].nodes[0].subgraphs"));
  assert_non_null(strstr(jet_status_message(st), "takes no sub-graphs"));
  jet_status_free(st);
  jet_arena_destroy(a);
  jet_graph_destroy(g);
}

static bool heq(jet_hash a, jet_hash b) { return memcmp(a.bytes, b.bytes, 16) == 0; }
static jet_hash H(const jet_graph *g) { return jet_graph_hash(g, NULL, 0, NULL, 0); }

static char *replace(const char *s, const char *from, const char *to) {
  const char *p = strstr(s, from);
  assert_non_null(p);
  size_t n = strlen(s) - strlen(from) + strlen(to) + 1;
  char *out = malloc(n);
  assert_non_null(out);
  snprintf(out, n, "%.*s%s%s", (int)(p - s), s, to, p + strlen(from));
  return out;
}

static void test_hash_sees_branches(void **state) {
  (void)state;
  jet_graph *g = parse(kBool);
  char *t2 = replace(kBool, "%1 = mul %0, %0", "%1 = add %0, %0"); /* branch 1 body */
  char *t3 = replace(kBool, "graph yes", "graph renamed");         /* names do not count */
  jet_graph *g2 = parse(t2), *g3 = parse(t3);
  assert_false(heq(H(g), H(g2)));
  assert_true(heq(H(g), H(g3)));
  /* Swapping the branches changes it too. */
  jet_graph *sw = parse(
      "graph b(%0: bool[], %1: f32[3]) {\n  %2 = cond %0, %1 : f32[3] {\n"
      "    graph yes(%0: f32[3]) {\n      %1 = mul %0, %0 : f32[3]\n      return %1\n    }\n"
      "    graph no(%0: f32[3]) {\n      %1 = neg %0 : f32[3]\n      return %1\n    }\n"
      "  }\n  return %2\n}\n");
  assert_false(heq(H(g), H(sw)));
  jet_graph_destroy(sw);
  jet_graph_destroy(g);
  jet_graph_destroy(g2);
  jet_graph_destroy(g3);
  free(t2);
  free(t3);
}

static void test_validation_names_the_mismatch(void **state) {
  (void)state;
  /* Output type of branch 1 differs. */
  char *t = replace(kBool, "%1 = mul %0, %0 : f32[3]\n      return %1",
                    "%1 = reduce_sum[axes=[0]] %0 : f32[]\n      return %1");
  parse_fails(t, "branch 1 output 0 is f32[] but branch 0 output 0 is f32[3]");
  free(t);
  /* Parameter type of branch 0 differs from the operand. */
  t = replace(kBool, "graph no(%0: f32[3]) {\n      %1 = neg %0 : f32[3]",
              "graph no(%0: f32[4]) {\n      %1 = neg %0 : f32[4]");
  parse_fails(t, "branch 0 parameter 0 is f32[4] but operand 1 is f32[3]");
  free(t);
  /* Output count. */
  t = replace(kBool, "      %1 = mul %0, %0 : f32[3]\n      return %1",
              "      %1 = mul %0, %0 : f32[3]\n      return %1, %0");
  parse_fails(t, "branch 1 has 2 outputs but branch 0 has 1");
  free(t);
  /* Predicate type and branch count. */
  t = replace(kBool, "%0: bool[]", "%0: f32[]");
  parse_fails(t, "must be a bool or i32 scalar, got f32[]");
  free(t);
  t = replace(kBool, "%0: bool[]", "%0: bool[2]");
  parse_fails(t, "must be a bool or i32 scalar");
  free(t);
  parse_fails("graph b(%0: bool[], %1: f32[3]) {\n  %2 = cond %0, %1 : f32[3] {\n"
              "    graph a(%0: f32[3]) {\n      return %0\n    }\n  }\n  return %2\n}\n",
              "exactly 2 branches");
  /* Bodies on an op that takes none, and a cond without them. */
  parse_fails("graph b(%0: f32[3]) {\n  %1 = neg %0 : f32[3] {\n"
              "    graph a(%0: f32[3]) {\n      return %0\n    }\n  }\n  return %1\n}\n",
              "takes no sub-graphs");
  parse_fails("graph b(%0: i32[], %1: f32[3]) {\n  %2 = cond %0, %1 : f32[3]\n  return %2\n}\n",
              "at least one branch");
  /* A bad node inside a branch is named through the branch
   * (jet_graph_validate of an unchecked graph). */
  jet_graph *g = parse(kBool);
  jet_type *vt = g->nodes[0].subgraphs[1]->value_types;
  vt[1].dtype = JET_F64; /* the mul result claims f64 */
  jet_status st = jet_graph_validate(g, NULL, 0);
  assert_non_null(st);
  assert_non_null(strstr(jet_status_message(st), "sub-graph 1 (yes)"));
  jet_status_free(st);
  jet_graph_destroy(g);
}

static jet_buf scalar_buf(jet_dtype dt, const void *v) {
  jet_buf b;
  memset(&b, 0, sizeof b);
  b.type.dtype = dt;
  b.type.rank = 0;
  b.data = jet_mem_alloc(jet_dtype_size(dt));
  memcpy(b.data, v, jet_dtype_size(dt));
  return b;
}

static jet_buf vec3(const float *v) {
  jet_buf b;
  memset(&b, 0, sizeof b);
  b.type.dtype = JET_F32;
  b.type.rank = 1;
  b.type.dims[0] = 3;
  b.data = jet_mem_alloc(3 * sizeof(float));
  memcpy(b.data, v, 3 * sizeof(float));
  return b;
}

static void test_exec_picks_the_branch(void **state) {
  (void)state;
  const float xs[3] = {1, -2, 3}, ys[3] = {4, 5, -6};
  jet_graph *g = parse(kSwitch);
  /* index -> (branch taken after clamping) */
  const int32_t idx[] = {-7, 0, 1, 2, 3, 1000};
  const int want_branch[] = {0, 0, 1, 2, 2, 2};
  for (size_t k = 0; k < sizeof idx / sizeof idx[0]; k++) {
    jet_buf args[3] = {scalar_buf(JET_I32, &idx[k]), vec3(xs), vec3(ys)}, outs[2];
    ok(jet_exec_graph(g, args, 3, outs, NULL));
    const float *o = outs[0].data;
    assert_int_equal((int)*(const float *)outs[1].data, want_branch[k]);
    for (int i = 0; i < 3; i++) {
      float e = want_branch[k] == 0 ? xs[i] + ys[i] : want_branch[k] == 1 ? xs[i] * ys[i] : ys[i];
      assert_true(o[i] == e);
    }
    for (int i = 0; i < 3; i++) jet_mem_free(args[i].data);
    for (int i = 0; i < 2; i++) jet_mem_free(outs[i].data);
  }
  jet_graph_destroy(g);

  g = parse(kBool);
  for (int p = 0; p < 2; p++) {
    uint8_t b = (uint8_t)p;
    jet_buf args[2] = {scalar_buf(JET_BOOL, &b), vec3(xs)}, out;
    ok(jet_exec_graph(g, args, 2, &out, NULL));
    const float *o = out.data;
    for (int i = 0; i < 3; i++) assert_true(o[i] == (p ? xs[i] * xs[i] : -xs[i]));
    jet_mem_free(out.data);
    for (int i = 0; i < 2; i++) jet_mem_free(args[i].data);
  }
  /* The kernel-table entry writes into preallocated outputs. */
  uint8_t t = 1;
  jet_buf args[2] = {scalar_buf(JET_BOOL, &t), vec3(xs)}, out = vec3(ys);
  ok(jet_exec_kernel(JET_OP_COND)(&g->nodes[0], args, &out));
  for (int i = 0; i < 3; i++) assert_true(((float *)out.data)[i] == xs[i] * xs[i]);
  jet_mem_free(out.data);
  for (int i = 0; i < 2; i++) jet_mem_free(args[i].data);
  jet_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_text_round_trip_and_structure),
      cmocka_unit_test(test_proto_round_trip),
      cmocka_unit_test(test_hash_sees_branches),
      cmocka_unit_test(test_validation_names_the_mismatch),
      cmocka_unit_test(test_exec_picks_the_branch),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
