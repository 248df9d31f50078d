/* Graphs in the text form shared by the tests and benchmarks that need a
 * run of a chosen length, an endless one, or a tiny one (test_e2e_loop_
 * limits.c, test_quotas.c, test_metrics.c, test_server_loops.c,
 * bench_fairness.c). */
#ifndef JET_TEST_LOOP_GRAPHS_H
#define JET_TEST_LOOP_GRAPHS_H

/* while: i from 0 to n (the i32 argument), acc += 1 each step; returns
 * (i, acc). A run as long as n says. */
static const char kCount[] =
    "graph count(%0: i32[], %1: f32[4]) {\n"
    "  %2 = constant[value=i32[]{0}] : i32[]\n"
    "  %3, %4 = while[n_consts=1] %0, %2, %1 : i32[], f32[4] {\n"
    "    graph c(%0: i32[], %1: i32[], %2: f32[4]) {\n"
    "      %3 = lt %1, %0 : bool[]\n"
    "      return %3\n"
    "    }\n"
    "    graph b(%0: i32[], %1: i32[], %2: f32[4]) {\n"
    "      %3 = constant[value=i32[]{1}] : i32[]\n"
    "      %4 = add %1, %3 : i32[]\n"
    "      %5 = constant[value=f32[4]{1, 1, 1, 1}] : f32[4]\n"
    "      %6 = add %2, %5 : f32[4]\n"
    "      return %4, %6\n"
    "    }\n"
    "  }\n"
    "  return %3, %4\n"
    "}\n";

/* An endless while: cond is the constant true. */
static const char kEndless[] =
    "graph endless(%0: f32[4]) {\n"
    "  %1, %2 = while %0, %0 : f32[4], f32[4] {\n"
    "    graph c(%0: f32[4], %1: f32[4]) {\n"
    "      %2 = constant[value=bool[]{true}] : bool[]\n"
    "      return %2\n"
    "    }\n"
    "    graph b(%0: f32[4], %1: f32[4]) {\n"
    "      %2 = add %0, %1 : f32[4]\n"
    "      return %1, %2\n"
    "    }\n"
    "  }\n"
    "  return %1\n"
    "}\n";

/* A quick graph: x * 2 as x + x. */
static const char kQuick[] =
    "graph quick(%0: f32[4]) {\n"
    "  %1 = add %0, %0 : f32[4]\n"
    "  return %1\n"
    "}\n";

#endif
