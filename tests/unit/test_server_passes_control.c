/* Control-flow cleanup (server/compiler/passes/control.c): golden
 * text-form graphs (unread stacked outputs of a scan and unread results of
 * a cond dropped, with the body work only they needed; a scan whose
 * results are a prefix of a later one's merged into it; no merge when the
 * operands or the bodies differ), and reverse-mode AD of an RNN scan: after
 * cleanup one forward scan and one backward scan remain, and the cleaned
 * gradient graph computes exactly what the raw one does. */
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
#include "transforms/transforms.h"

#define PASS_CHECK_SEED 0x9e3779b97f4a7c15ull
#define PASS_CHECK_SMALL_INT_FLOATS
#include "pass_check.h"

/* Scans in g and, recursively, in its sub-graphs. */
static int count_deep(const jet_graph *g, jet_op op) {
  int n = 0;
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    n += g->nodes[i].op == op;
    for (uint32_t k = 0; k < g->nodes[i].n_subgraphs; k++)
      n += count_deep(g->nodes[i].subgraphs[k], op);
  }
  return n;
}

static void test_prune_scan_ys(void **state) {
  (void)state;
  /* ys 0 (x * c) is unread: it leaves the scan and the body's mul goes. */
  golden(jet_pass_control,
         "graph f(%0: f32[3], %1: f32[4,3]) {\n"
         "  %2, %3, %4 = scan[n_carry=1, length=4] %0, %1 : f32[3], f32[4,3], f32[4,3] {\n"
         "    graph b(%0: f32[3], %1: f32[3]) {\n"
         "      %2 = add %0, %1 : f32[3]\n"
         "      %3 = mul %0, %1 : f32[3]\n"
         "      %4 = neg %1 : f32[3]\n"
         "      return %2, %3, %4\n"
         "    }\n"
         "  }\n"
         "  return %2, %4\n"
         "}\n",
         "graph f(%0: f32[3], %1: f32[4,3]) {\n"
         "  %2, %3 = scan[n_carry=1, length=4] %0, %1 : f32[3], f32[4,3] {\n"
         "    graph b(%0: f32[3], %1: f32[3]) {\n"
         "      %2 = add %0, %1 : f32[3]\n"
         "      %3 = neg %1 : f32[3]\n"
         "      return %2, %3\n"
         "    }\n"
         "  }\n"
         "  return %2, %3\n"
         "}\n");
}

static void test_prune_cond_result(void **state) {
  (void)state;
  golden(jet_pass_control,
         "graph f(%0: bool[], %1: f32[3]) {\n"
         "  %2, %3 = cond %0, %1 : f32[3], f32[3] {\n"
         "    graph no(%0: f32[3]) {\n"
         "      %1 = neg %0 : f32[3]\n"
         "      %2 = exp %0 : f32[3]\n"
         "      return %1, %2\n"
         "    }\n"
         "    graph yes(%0: f32[3]) {\n"
         "      %1 = abs %0 : f32[3]\n"
         "      %2 = sqrt %0 : f32[3]\n"
         "      return %1, %2\n"
         "    }\n"
         "  }\n"
         "  return %3\n"
         "}\n",
         "graph f(%0: bool[], %1: f32[3]) {\n"
         "  %2 = cond %0, %1 : f32[3] {\n"
         "    graph no(%0: f32[3]) {\n"
         "      %1 = exp %0 : f32[3]\n"
         "      return %1\n"
         "    }\n"
         "    graph yes(%0: f32[3]) {\n"
         "      %1 = sqrt %0 : f32[3]\n"
         "      return %1\n"
         "    }\n"
         "  }\n"
         "  return %2\n"
         "}\n");
}

/* The body of the scans below: (carry c, x) -> (c * x, c + x[, c]). */
#define SCAN_BODY(EXTRA_T, EXTRA_OUT)                                                   \
  "    graph b(%0: f32[3], %1: f32[3]) {\n"                                             \
  "      %2 = mul %0, %1 : f32[3]\n"                                                     \
  "      %3 = add %0, %1 : f32[3]\n"                                                     \
  "      return %2, %3" EXTRA_OUT "\n"                                                   \
  "    }\n"

static void test_merge_prefix_scan(void **state) {
  (void)state;
  /* The second scan returns the first's results plus the incoming carries:
   * the first merges into it; all three outputs read the one scan. */
  golden(jet_pass_control,
         "graph f(%0: f32[3], %1: f32[4,3]) {\n"
         "  %2, %3 = scan[n_carry=1, length=4] %0, %1 : f32[3], f32[4,3] {\n" SCAN_BODY("", "")
         "  }\n"
         "  %4, %5, %6 = scan[n_carry=1, length=4] %0, %1 : f32[3], f32[4,3], f32[4,3] {\n"
         SCAN_BODY("", ", %0")
         "  }\n"
         "  return %2, %3, %6\n"
         "}\n",
         "graph f(%0: f32[3], %1: f32[4,3]) {\n"
         "  %2, %3, %4 = scan[n_carry=1, length=4] %0, %1 : f32[3], f32[4,3], f32[4,3] {\n"
         SCAN_BODY("", ", %0")
         "  }\n"
         "  return %2, %3, %4\n"
         "}\n");
}

static void test_no_merge_when_different(void **state) {
  (void)state;
  /* Other operands (x reversed), and another body (sub for add): both kept. */
  static const char *const in[] = {
      "graph f(%0: f32[3], %1: f32[4,3]) {\n"
      "  %2, %3 = scan[n_carry=1, length=4] %0, %1 : f32[3], f32[4,3] {\n" SCAN_BODY("", "")
      "  }\n"
      "  %4 = rev[dimensions=[0]] %1 : f32[4,3]\n"
      "  %5, %6, %7 = scan[n_carry=1, length=4] %0, %4 : f32[3], f32[4,3], f32[4,3] {\n"
      SCAN_BODY("", ", %0")
      "  }\n"
      "  return %2, %3, %7\n"
      "}\n",
      "graph f(%0: f32[3], %1: f32[4,3]) {\n"
      "  %2, %3 = scan[n_carry=1, length=4] %0, %1 : f32[3], f32[4,3] {\n"
      "    graph b(%0: f32[3], %1: f32[3]) {\n"
      "      %2 = mul %0, %1 : f32[3]\n"
      "      %3 = sub %0, %1 : f32[3]\n"
      "      return %2, %3\n"
      "    }\n"
      "  }\n"
      "  %4, %5, %6 = scan[n_carry=1, length=4] %0, %1 : f32[3], f32[4,3], f32[4,3] {\n"
      SCAN_BODY("", ", %0")
      "  }\n"
      "  return %2, %3, %6\n"
      "}\n",
  };
  for (size_t k = 0; k < 2; k++) {
    jet_graph *g = parse(in[k]);
    jet_graph *r = run_pass(jet_pass_control, g);
    assert_int_equal(count_op(r, JET_OP_SCAN), 2);
    expect_same_results(g, r, 4);
    jet_graph_destroy(r);
    jet_graph_destroy(g);
  }
}

/* loss = sum(final h) + sum(ys) of h' = tanh(W h + x_t) over 6 steps. */
static const char kRnn[] =
    "graph rnn(%0: f32[4,4], %1: f32[4], %2: f32[6,4]) {\n"
    "  %3, %4 = scan[n_consts=1, n_carry=1, length=6] %0, %1, %2 : f32[4], f32[6,4] {\n"
    "    graph cell(%0: f32[4,4], %1: f32[4], %2: f32[4]) {\n"
    "      %3 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
    "%0, %1 : f32[4]\n"
    "      %4 = add %3, %2 : f32[4]\n"
    "      %5 = tanh %4 : f32[4]\n"
    "      return %5, %5\n"
    "    }\n"
    "  }\n"
    "  %5 = reduce_sum[axes=[0]] %3 : f32[]\n"
    "  %6 = reduce_sum[axes=[0, 1]] %4 : f32[]\n"
    "  %7 = add %5, %6 : f32[]\n"
    "  return %7\n"
    "}\n";

static void test_grad_rnn_one_forward_scan(void **state) {
  (void)state;
  static const char *const tfs[] = {"[grad(argnums=[0])]", "[value_and_grad(argnums=[0, 1, 2])]"};
  for (size_t k = 0; k < 2; k++) {
    jet_arena *a = jet_arena_create(1024);
    jet_transform *tf = NULL;
    uint32_t n = 0;
    expect_ok(jet_transforms_parse(tfs[k], strlen(tfs[k]), a, &tf, &n));
    jet_graph *raw = NULL, *clean = NULL;
    expect_ok(jet_transforms_apply(parse(kRnn), tf, n, &raw)); /* consumes its graph */
    expect_ok(jet_passes_cleanup(raw, &clean));
    expect_ok(jet_graph_validate(clean, NULL, 0));
    /* Raw: the primal scan, the forward scan with residuals, the backward
     * scan. Clean: the primal merged into the forward one. */
    assert_int_equal(count_op(raw, JET_OP_SCAN), 3);
    assert_int_equal(count_op(clean, JET_OP_SCAN), 2);
    assert_int_equal(count_deep(clean, JET_OP_SCAN), 2);
    if (k == 0) {
      /* Only W's gradient: the backward scan stacks no ct of xs. */
      for (uint32_t i = 0; i < clean->n_nodes; i++) {
        const jet_node *s = &clean->nodes[i];
        if (s->op != JET_OP_SCAN || !jet_node_attr_bool(s, "reverse", false)) continue;
        assert_int_equal(s->n_results, (uint32_t)jet_node_attr_int(s, "n_carry", 0));
      }
    }
    expect_same_results(raw, clean, 3);
    jet_graph_destroy(raw);
    jet_graph_destroy(clean);
    jet_arena_destroy(a);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_prune_scan_ys),
      cmocka_unit_test(test_prune_cond_result),
      cmocka_unit_test(test_merge_prefix_scan),
      cmocka_unit_test(test_no_merge_when_different),
      cmocka_unit_test(test_grad_rnn_one_forward_scan),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
