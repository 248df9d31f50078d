/* The cond op in the daemon's pipeline: the cleanup passes keep (and clean)
 * its branches, the transforms stage inlines calls inside branches and
 * refuses jvp/vjp/vmap of cond with UNIMPLEMENTED naming op and transform,
 * the lowering runs it as a kernel step matching the reference executor,
 * and the request decoder counts branch nodes against max_nodes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/lower.h"
#include "compiler/passes/passes.h"
#include "ir/decode.h"
#include "jet/infer.h"
#include "jet/protoconv.h"
#include "jet/text.h"
#include "runtime/exec.h"
#include "runtime/mem.h"
#include "runtime/program.h"
#include "transforms/transforms.h"

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

/* Branch 0 has dead code and a repeated expression; branch 1 calls a
 * graph; two identical conds follow each other (CSE merges them). */
#define MESSY_BRANCHES \
  "    graph b0(%0: f32[4], %1: f32[4]) {\n" \
  "      %2 = add %0, %1 : f32[4]\n" \
  "      %3 = add %0, %1 : f32[4]\n" \
  "      %4 = exp %0 : f32[4]\n" \
  "      %5 = mul %2, %3 : f32[4]\n" \
  "      return %5\n" \
  "    }\n" \
  "    graph b1(%0: f32[4], %1: f32[4]) {\n" \
  "      %2 = call %0, %1 : f32[4] {\n" \
  "        graph f(%0: f32[4], %1: f32[4]) {\n" \
  "          %2 = sub %0, %1 : f32[4]\n" \
  "          return %2\n" \
  "        }\n" \
  "      }\n" \
  "      %3 = neg %2 : f32[4]\n" \
  "      return %3\n" \
  "    }\n"

static const char kMessy[] =
    "graph m(%0: i32[], %1: f32[4], %2: f32[4]) {\n"
    "  %3 = cond %0, %1, %2 : f32[4] {\n"
    MESSY_BRANCHES
    "  }\n"
    "  %4 = cond %0, %1, %2 : f32[4] {\n"
    MESSY_BRANCHES
    "  }\n"
    "  %5 = add %3, %4 : f32[4]\n"
    "  return %5\n"
    "}\n";

static jet_buf buf_of(jet_type t, const void *data) {
  jet_buf b = {t, jet_mem_alloc(jet_type_nbytes(&t))};
  memcpy(b.data, data, jet_type_nbytes(&t));
  return b;
}

/* Runs g with the reference executor on (idx, x, y) and returns output 0's
 * four floats. */
static void run_ref(const jet_graph *g, int32_t idx, float *out4) {
  const float x[4] = {1, 2, -3, 0.5f}, y[4] = {2, -1, 4, 8};
  jet_buf args[3] = {buf_of(g->value_types[0], &idx), buf_of(g->value_types[1], x),
                     buf_of(g->value_types[2], y)},
          outs[1];
  ok(jet_exec_graph(g, args, 3, outs, NULL));
  memcpy(out4, outs[0].data, 4 * sizeof(float));
  jet_mem_free(outs[0].data);
  for (int i = 0; i < 3; i++) jet_mem_free(args[i].data);
}

static void run_prog(const jet_program *p, const jet_graph *g, int32_t idx, float *out4) {
  const float x[4] = {1, 2, -3, 0.5f}, y[4] = {2, -1, 4, 8};
  jet_buf args[3] = {buf_of(g->value_types[0], &idx), buf_of(g->value_types[1], x),
                     buf_of(g->value_types[2], y)},
          outs[1];
  ok(jet_program_run(p, args, 3, NULL, outs, NULL));
  memcpy(out4, outs[0].data, 4 * sizeof(float));
  jet_mem_free(outs[0].data);
  for (int i = 0; i < 3; i++) jet_mem_free(args[i].data);
}

static void test_passes_keep_and_clean_branches(void **state) {
  (void)state;
  jet_graph *g = parse(kMessy);
  /* The transforms stage inlines the call inside branch 1. */
  jet_graph *flat = NULL;
  jet_graph *copy = jet_graph_create("m");
  ok(jet_graph_copy_into(copy, g, 0));
  ok(jet_transforms_apply(copy, NULL, 0, &flat));
  ok(jet_graph_validate(flat, NULL, 0));
  assert_int_equal(flat->nodes[0].op, JET_OP_COND);
  const jet_graph *b1 = flat->nodes[0].subgraphs[1];
  for (uint32_t i = 0; i < b1->n_nodes; i++) assert_int_not_equal(b1->nodes[i].op, JET_OP_CALL);
  assert_int_equal(b1->n_nodes, 2); /* sub, neg */

  jet_graph *clean = NULL;
  ok(jet_passes_cleanup(flat, &clean));
  ok(jet_graph_validate(clean, NULL, 0));
  char *text = print(clean);
  /* CSE merged the two conds: one cond and the add remain. */
  assert_int_equal(clean->n_nodes, 2);
  const jet_node *c = &clean->nodes[0];
  assert_int_equal(c->op, JET_OP_COND);
  assert_int_equal(c->n_subgraphs, 2);
  /* Inside branch 0, DCE dropped exp and CSE merged the adds. */
  const jet_graph *b0 = c->subgraphs[0];
  if (b0->n_nodes != 2) fail_msg("branch 0 not cleaned:\n%s", text);
  for (uint32_t i = 0; i < b0->n_nodes; i++) assert_int_not_equal(b0->nodes[i].op, JET_OP_EXP);
  free(text);
  /* Same results as the source for every branch and clamped indices. */
  for (int32_t idx = -1; idx <= 3; idx++) {
    float a[4], b[4];
    run_ref(g, idx, a);
    run_ref(clean, idx, b);
    assert_memory_equal(a, b, sizeof a);
  }
  jet_graph_destroy(clean);
  jet_graph_destroy(flat);
  jet_graph_destroy(g);
}

static void test_lowering_runs_cond(void **state) {
  (void)state;
  jet_graph *g = parse(kMessy);
  jet_graph *copy = jet_graph_create("m"), *flat = NULL, *clean = NULL;
  ok(jet_graph_copy_into(copy, g, 0));
  ok(jet_transforms_apply(copy, NULL, 0, &flat));
  ok(jet_passes_cleanup(flat, &clean));
  jet_program *p = NULL;
  ok(jet_lower(clean, &p));
  for (int32_t idx = -5; idx <= 5; idx++) {
    float a[4], b[4];
    run_ref(g, idx, a);
    run_prog(p, clean, idx, b);
    assert_memory_equal(a, b, sizeof a);
  }
  /* An expected value, by hand: index 1 -> -(x - y), doubled by the add. */
  float b[4];
  run_prog(p, clean, 1, b);
  assert_true(b[0] == 2.0f && b[1] == -6.0f && b[2] == 14.0f && b[3] == 15.0f);
  jet_program_destroy(p);
  jet_graph_destroy(clean);
  jet_graph_destroy(flat);
  jet_graph_destroy(g);
}

/* jvp, vjp and vmap (batched and not) of cond give valid graphs (their
 * numerics are tested in test_server_ad_control / test_server_vmap_control). */
static void test_transforms_of_cond_validate(void **state) {
  (void)state;
  static const char text[] =
      "graph b(%0: bool[], %1: f32[3]) {\n  %2 = cond %0, %1 : f32[3] {\n"
      "    graph no(%0: f32[3]) {\n      %1 = neg %0 : f32[3]\n      return %1\n    }\n"
      "    graph yes(%0: f32[3]) {\n      %1 = mul %0, %0 : f32[3]\n      return %1\n    }\n"
      "  }\n  return %2\n}\n";
  static const char *const tfs[] = {
      "[jvp()]",
      "[vjp()]",
      "[vmap(in_axes=[none, 0], axis_size=2)]",
      "[vmap(in_axes=[0, 0], axis_size=2)]",
      "[vmap(in_axes=[none, none], axis_size=2)]",
  };
  for (size_t k = 0; k < sizeof tfs / sizeof tfs[0]; k++) {
    jet_arena *a = jet_arena_create(1024);
    jet_transform *tf = NULL;
    uint32_t n = 0;
    ok(jet_transforms_parse(tfs[k], strlen(tfs[k]), a, &tf, &n));
    jet_graph *out = NULL;
    jet_status st = jet_transforms_apply(parse(text), tf, n, &out);
    if (st) fail_msg("%s: %s", tfs[k], jet_status_message(st));
    ok(jet_graph_validate(out, NULL, 0));
    jet_graph_destroy(out);
    jet_arena_destroy(a);
  }
}

static void test_decode_counts_branch_nodes(void **state) {
  (void)state;
  jet_graph *g = parse(kMessy);
  jet_arena *a = jet_arena_create(4096);
  Jet__V1__Graph *pb = NULL;
  ok(jet_graph_to_proto(g, a, &pb));
  const uint32_t total = jet_graph_total_nodes(g); /* 3 + 2*(4 + 2 + 1) = 17 */
  assert_int_equal(total, 17);
  jet_graph *out = NULL;
  ok(jet_ir_decode_graph(pb, "graph", total, &out));
  jet_graph_destroy(out);
  jet_status st = jet_ir_decode_graph(pb, "graph", total - 1, &out);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_RESOURCE_EXHAUSTED);
  assert_non_null(strstr(jet_status_message(st), "max-nodes"));
  jet_status_free(st);
  jet_arena_destroy(a);
  jet_graph_destroy(g);
}

/* conds nested `depth` levels deep (the index is passed down). */
static char *nested_text(int depth) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_strbuf_puts(&sb, "graph g(%0: i32[], %1: f32[3]) {\n");
  for (int d = 0; d < depth; d++)
    jet_strbuf_puts(&sb, "%2 = cond %0, %0, %1 : f32[3] {\n graph b(%0: i32[], %1: f32[3]) {\n");
  jet_strbuf_puts(&sb, "return %1\n");
  for (int d = 0; d < depth; d++) jet_strbuf_puts(&sb, "}\n}\nreturn %2\n");
  jet_strbuf_puts(&sb, "}\n");
  return jet_strbuf_take(&sb);
}

static void test_decode_nesting_limit(void **state) {
  (void)state;
  char *t = nested_text(JET_IR_MAX_CALL_DEPTH);
  jet_graph *g = parse(t);
  free(t);
  assert_int_equal(jet_graph_total_nodes(g), JET_IR_MAX_CALL_DEPTH);
  jet_arena *a = jet_arena_create(4096);
  Jet__V1__Graph *pb = NULL;
  ok(jet_graph_to_proto(g, a, &pb));
  jet_graph *out = NULL;
  ok(jet_ir_decode_graph(pb, "graph", 0, &out));
  jet_graph_destroy(out);
  /* Deeper on the wire: the innermost branch becomes a copy of the
   * outermost branch (63 more levels). */
  Jet__V1__Graph *inner = pb;
  while (inner->n_nodes) inner = inner->nodes[0]->subgraphs[0];
  Jet__V1__Graph *copy = NULL;
  ok(jet_graph_to_proto(g, a, &copy));
  *inner = *copy->nodes[0]->subgraphs[0];
  jet_status st = jet_ir_decode_graph(pb, "graph", 0, &out);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_RESOURCE_EXHAUSTED);
  assert_non_null(strstr(jet_status_message(st), "depth limit"));
  jet_status_free(st);
  jet_arena_destroy(a);
  jet_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_passes_keep_and_clean_branches),
      cmocka_unit_test(test_lowering_runs_cond),
      cmocka_unit_test(test_transforms_of_cond_validate),
      cmocka_unit_test(test_decode_counts_branch_nodes),
      cmocka_unit_test(test_decode_nesting_limit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
