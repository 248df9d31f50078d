/* Compiled control flow (runtime/program_control.c, compiler/lower_control.c):
 * cond, while and scan lowered into sub-programs run bit for bit like the
 * reference executor (kernels/control.c) on while / scan / cond graphs with
 * several consts, carries, xs and ys, reverse and zero-length scans,
 * zero-trip whiles, a while inside a scan body, a cond inside a while body
 * and a scan inside a cond branch; a loop allocates nothing per iteration
 * (jet_mem_alloc calls counted over N and 10N iterations, nested loops
 * included); an endless compiled while stops with CANCELLED within a second
 * of the cancel flag, and with DEADLINE_EXCEEDED past its deadline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>
#include <time.h>

#include "compiler/lower.h"
#include "compiler/passes/passes.h"
#include "jet/text.h"
#include "loop_graphs.h"
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

/* A graph compiled the daemon's way: transforms (none: calls inlined),
 * cleanup passes, lowering. */
typedef struct compiled {
  jet_graph *src, *clean;
  jet_program *prog;
} compiled;

static compiled compile_text(const char *text) {
  compiled c = {.src = parse(text)};
  jet_graph *copy = jet_graph_create(c.src->name), *flat = NULL;
  ok(jet_graph_copy_into(copy, c.src, 0));
  ok(jet_transforms_apply(copy, NULL, 0, &flat));
  ok(jet_passes_cleanup(flat, &c.clean));
  jet_graph_destroy(flat);
  ok(jet_lower(c.clean, &c.prog));
  return c;
}

static void compiled_free(compiled *c) {
  jet_program_destroy(c->prog);
  jet_graph_destroy(c->clean);
  jet_graph_destroy(c->src);
}

/* The program's listing has a control step (not a kernel step) for op. */
static void expect_control_step(const compiled *c, const char *op) {
  char *d = jet_program_describe(c->prog);
  assert_non_null(d);
  char want[64];
  snprintf(want, sizeof want, ": %s node", op);
  const char *at = strstr(d, want);
  if (!at || !strstr(at, "frame ")) fail_msg("no %s control step in:\n%s", op, d);
  free(d);
}

/* Runs the program and the reference executor on the same arguments and
 * compares every output bit for bit. */
static void check_same(const compiled *c, const void *const *data) {
  const jet_graph *g = c->src;
  jet_buf args[16], want[16], got[16];
  assert_true(g->n_params <= 16 && g->n_outputs <= 16);
  for (uint32_t i = 0; i < g->n_params; i++) {
    args[i].type = g->value_types[i];
    args[i].data = (void *)data[i];
  }
  ok(jet_exec_graph(g, args, g->n_params, want, NULL));
  ok(jet_program_run(c->prog, args, g->n_params, NULL, got, NULL));
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    assert_true(jet_type_equal(&want[o].type, &got[o].type));
    const size_t nb = jet_type_nbytes(&want[o].type);
    if (nb && memcmp(want[o].data, got[o].data, nb) != 0)
      fail_msg("graph '%s' output %u differs from the reference executor", g->name, o);
    jet_mem_free(want[o].data);
    jet_mem_free(got[o].data);
  }
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ---- while: two consts, three carries; zero trips ---- */

static const char kWhile[] =
    "graph w(%0: i32[], %1: f32[4], %2: f32[4]) {\n"
    "  %3 = constant[value=i32[]{0}] : i32[]\n"
    "  %4, %5, %6 = while[n_consts=2] %0, %1, %3, %2, %2 : i32[], f32[4], f32[4] {\n"
    "    graph c(%0: i32[], %1: f32[4], %2: i32[], %3: f32[4], %4: f32[4]) {\n"
    "      %5 = lt %2, %0 : bool[]\n"
    "      return %5\n"
    "    }\n"
    "    graph b(%0: i32[], %1: f32[4], %2: i32[], %3: f32[4], %4: f32[4]) {\n"
    "      %5 = constant[value=i32[]{1}] : i32[]\n"
    "      %6 = add %2, %5 : i32[]\n"
    "      %7 = mul %3, %1 : f32[4]\n"
    "      %8 = constant[value=f32[4]{0.25, -0.5, 1, 0.125}] : f32[4]\n"
    "      %9 = add %7, %8 : f32[4]\n"
    "      %10 = add %4, %9 : f32[4]\n"
    "      return %6, %9, %10\n"
    "    }\n"
    "  }\n"
    "  return %4, %5, %6\n"
    "}\n";

static void test_while_matches_reference(void **state) {
  (void)state;
  compiled c = compile_text(kWhile);
  expect_control_step(&c, "while");
  const float w[4] = {0.5f, -0.9f, 0.99f, 0.3f}, x[4] = {1, 2, -3, 0.5f};
  for (int32_t n = -2; n <= 40; n += 7) {
    const void *data[] = {&n, w, x};
    check_same(&c, data);
  }
  /* By hand: three trips, x <- x*w + b, acc += x. */
  int32_t n = 3;
  jet_buf args[3] = {{c.src->value_types[0], &n}, {c.src->value_types[1], (void *)w},
                     {c.src->value_types[2], (void *)x}};
  jet_buf outs[3];
  ok(jet_program_run(c.prog, args, 3, NULL, outs, NULL));
  const float b[4] = {0.25f, -0.5f, 1, 0.125f};
  float xv[4], acc[4];
  memcpy(xv, x, sizeof xv);
  memcpy(acc, x, sizeof acc);
  for (int it = 0; it < 3; it++)
    for (int i = 0; i < 4; i++) {
      xv[i] = xv[i] * w[i] + b[i];
      acc[i] = acc[i] + xv[i];
    }
  assert_int_equal(*(int32_t *)outs[0].data, 3);
  assert_memory_equal(outs[1].data, xv, sizeof xv);
  assert_memory_equal(outs[2].data, acc, sizeof acc);
  /* Zero trips: the init carry comes back. */
  n = 0;
  for (int o = 0; o < 3; o++) jet_mem_free(outs[o].data);
  ok(jet_program_run(c.prog, args, 3, NULL, outs, NULL));
  assert_int_equal(*(int32_t *)outs[0].data, 0);
  assert_memory_equal(outs[1].data, x, sizeof x);
  assert_memory_equal(outs[2].data, x, sizeof x);
  for (int o = 0; o < 3; o++) jet_mem_free(outs[o].data);
  compiled_free(&c);
}

/* ---- scan: one const, two carries, two xs, three ys (two are params) ---- */

static char *scan_text(int64_t length, bool reverse) {
  char *t = malloc(4096);
  assert_non_null(t);
  snprintf(t, 4096,
           "graph s(%%0: f32[3], %%1: f32[3], %%2: i32[], %%3: f32[%lld,3], %%4: i32[%lld]) {\n"
           "  %%5, %%6, %%7, %%8, %%9 = scan[n_consts=1, n_carry=2, length=%lld, reverse=%s] "
           "%%0, %%1, %%2, %%3, %%4 : f32[3], i32[], f32[%lld,3], i32[%lld], f32[%lld,3] {\n"
           "    graph b(%%0: f32[3], %%1: f32[3], %%2: i32[], %%3: f32[3], %%4: i32[]) {\n"
           "      %%5 = mul %%1, %%0 : f32[3]\n"
           "      %%6 = add %%5, %%3 : f32[3]\n"
           "      %%7 = add %%2, %%4 : i32[]\n"
           "      %%8 = convert_element_type[new_dtype=f32] %%7 : f32[]\n"
           "      %%9 = broadcast_in_dim[shape=[3], broadcast_dimensions=[]] %%8 : f32[3]\n"
           "      %%10 = max %%6, %%9 : f32[3]\n"
           "      return %%10, %%7, %%6, %%2, %%3\n"
           "    }\n"
           "  }\n"
           "  return %%5, %%6, %%7, %%8, %%9\n"
           "}\n",
           (long long)length, (long long)length, (long long)length, reverse ? "true" : "false",
           (long long)length, (long long)length, (long long)length);
  return t;
}

static void test_scan_matches_reference(void **state) {
  (void)state;
  const float cst[3] = {0.5f, -0.75f, 1.25f}, h0[3] = {1, -2, 3};
  const int32_t s0 = -4;
  float xs[5 * 3];
  int32_t ks[5] = {1, -2, 7, 0, 3};
  for (int i = 0; i < 15; i++) xs[i] = (float)((i * 7) % 11) - 5.5f;
  for (int rev = 0; rev < 2; rev++) {
    char *t = scan_text(5, rev);
    compiled c = compile_text(t);
    free(t);
    expect_control_step(&c, "scan");
    const void *data[] = {cst, h0, &s0, xs, ks};
    check_same(&c, data);
    /* By hand. */
    jet_buf args[5];
    for (int i = 0; i < 5; i++) args[i] = (jet_buf){c.src->value_types[i], (void *)data[i]};
    jet_buf outs[5];
    ok(jet_program_run(c.prog, args, 5, NULL, outs, NULL));
    float h[3];
    memcpy(h, h0, sizeof h);
    int32_t s = s0;
    float y1[15], y3[15];
    int32_t y2[5];
    for (int it = 0; it < 5; it++) {
      const int i = rev ? 4 - it : it;
      y2[i] = s;
      s += ks[i];
      for (int j = 0; j < 3; j++) {
        y1[i * 3 + j] = h[j] * cst[j] + xs[i * 3 + j];
        y3[i * 3 + j] = xs[i * 3 + j];
        h[j] = y1[i * 3 + j] > (float)s ? y1[i * 3 + j] : (float)s;
      }
    }
    assert_memory_equal(outs[0].data, h, sizeof h);
    assert_int_equal(*(int32_t *)outs[1].data, s);
    assert_memory_equal(outs[2].data, y1, sizeof y1);
    assert_memory_equal(outs[3].data, y2, sizeof y2);
    assert_memory_equal(outs[4].data, y3, sizeof y3);
    for (int o = 0; o < 5; o++) jet_mem_free(outs[o].data);
    compiled_free(&c);
  }
  /* Zero length: the init carry and empty ys. */
  char *t = scan_text(0, false);
  compiled c = compile_text(t);
  free(t);
  const void *data[] = {cst, h0, &s0, xs, ks};
  check_same(&c, data);
  jet_buf args[5];
  for (int i = 0; i < 5; i++) args[i] = (jet_buf){c.src->value_types[i], (void *)data[i]};
  jet_buf outs[5];
  ok(jet_program_run(c.prog, args, 5, NULL, outs, NULL));
  assert_memory_equal(outs[0].data, h0, sizeof h0);
  assert_int_equal(*(int32_t *)outs[1].data, s0);
  assert_int_equal(jet_type_nbytes(&outs[2].type), 0);
  for (int o = 0; o < 5; o++) jet_mem_free(outs[o].data);
  compiled_free(&c);
}

/* ---- nesting ---- */

/* A while inside a scan body: each step runs h <- h*0.5 + x ks[i] times. */
static char *nested_scan_while_text(int64_t length) {
  char *t = malloc(4096);
  assert_non_null(t);
  snprintf(t, 4096,
           "graph n1(%%0: f32[4], %%1: f32[%lld,4], %%2: i32[%lld]) {\n"
           "  %%3, %%4 = scan[n_carry=1, length=%lld] %%0, %%1, %%2 : f32[4], f32[%lld,4] {\n"
           "    graph b(%%0: f32[4], %%1: f32[4], %%2: i32[]) {\n"
           "      %%3 = constant[value=i32[]{0}] : i32[]\n"
           "      %%4, %%5 = while[n_consts=2] %%1, %%2, %%3, %%0 : i32[], f32[4] {\n"
           "        graph c(%%0: f32[4], %%1: i32[], %%2: i32[], %%3: f32[4]) {\n"
           "          %%4 = lt %%2, %%1 : bool[]\n"
           "          return %%4\n"
           "        }\n"
           "        graph w(%%0: f32[4], %%1: i32[], %%2: i32[], %%3: f32[4]) {\n"
           "          %%4 = constant[value=i32[]{1}] : i32[]\n"
           "          %%5 = add %%2, %%4 : i32[]\n"
           "          %%6 = constant[value=f32[4]{0.5, 0.5, 0.5, 0.5}] : f32[4]\n"
           "          %%7 = mul %%3, %%6 : f32[4]\n"
           "          %%8 = add %%7, %%0 : f32[4]\n"
           "          return %%5, %%8\n"
           "        }\n"
           "      }\n"
           "      return %%5, %%5\n"
           "    }\n"
           "  }\n"
           "  return %%3, %%4\n"
           "}\n",
           (long long)length, (long long)length, (long long)length, (long long)length);
  return t;
}

/* A cond inside a while body: step i negates, doubles or keeps x by i % 3;
 * and a root switch whose branch 1 holds a scan (a cumulative sum). */
static const char kCondInWhile[] =
    "graph n2(%0: i32[], %1: f32[4]) {\n"
    "  %2 = constant[value=i32[]{0}] : i32[]\n"
    "  %3, %4 = while[n_consts=1] %0, %2, %1 : i32[], f32[4] {\n"
    "    graph c(%0: i32[], %1: i32[], %2: f32[4]) {\n"
    "      %3 = lt %1, %0 : bool[]\n"
    "      return %3\n"
    "    }\n"
    "    graph b(%0: i32[], %1: i32[], %2: f32[4]) {\n"
    "      %3 = constant[value=i32[]{3}] : i32[]\n"
    "      %4 = rem %1, %3 : i32[]\n"
    "      %5 = cond %4, %2 : f32[4] {\n"
    "        graph z(%0: f32[4]) {\n"
    "          %1 = neg %0 : f32[4]\n"
    "          return %1\n"
    "        }\n"
    "        graph o(%0: f32[4]) {\n"
    "          %1 = add %0, %0 : f32[4]\n"
    "          return %1\n"
    "        }\n"
    "        graph t(%0: f32[4]) {\n"
    "          return %0\n"
    "        }\n"
    "      }\n"
    "      %6 = constant[value=i32[]{1}] : i32[]\n"
    "      %7 = add %1, %6 : i32[]\n"
    "      return %7, %5\n"
    "    }\n"
    "  }\n"
    "  %5 = cond %0, %4 : f32[4] {\n"
    "    graph k(%0: f32[4]) {\n"
    "      return %0\n"
    "    }\n"
    "    graph s(%0: f32[4]) {\n"
    "      %1 = constant[value=f32[]{0}] : f32[]\n"
    "      %2, %3 = scan[n_carry=1, length=4] %1, %0 : f32[], f32[4] {\n"
    "        graph a(%0: f32[], %1: f32[]) {\n"
    "          %2 = add %0, %1 : f32[]\n"
    "          return %2, %2\n"
    "        }\n"
    "      }\n"
    "      return %3\n"
    "    }\n"
    "  }\n"
    "  return %3, %4, %5\n"
    "}\n";

static void test_nested_loops_match_reference(void **state) {
  (void)state;
  char *t = nested_scan_while_text(6);
  compiled c = compile_text(t);
  free(t);
  expect_control_step(&c, "scan");
  const float h0[4] = {1, -1, 2, 0.25f};
  float xs[24];
  for (int i = 0; i < 24; i++) xs[i] = (float)(i % 5) - 1.5f;
  const int32_t ks[6] = {0, 3, 1, 5, 2, 0};
  const void *data[] = {h0, xs, ks};
  check_same(&c, data);
  /* By hand. */
  jet_buf args[3];
  for (int i = 0; i < 3; i++) args[i] = (jet_buf){c.src->value_types[i], (void *)data[i]};
  jet_buf outs[2];
  ok(jet_program_run(c.prog, args, 3, NULL, outs, NULL));
  float h[4], ys[24];
  memcpy(h, h0, sizeof h);
  for (int i = 0; i < 6; i++) {
    for (int k = 0; k < ks[i]; k++)
      for (int j = 0; j < 4; j++) h[j] = h[j] * 0.5f + xs[i * 4 + j];
    memcpy(ys + i * 4, h, sizeof h);
  }
  assert_memory_equal(outs[0].data, h, sizeof h);
  assert_memory_equal(outs[1].data, ys, sizeof ys);
  for (int o = 0; o < 2; o++) jet_mem_free(outs[o].data);
  compiled_free(&c);

  c = compile_text(kCondInWhile);
  expect_control_step(&c, "while");
  expect_control_step(&c, "cond");
  const float x[4] = {1.5f, -2, 0.25f, 3};
  for (int32_t n = -1; n <= 8; n++) {
    const void *d2[] = {&n, x};
    check_same(&c, d2);
  }
  int32_t n = 5; /* steps 0..4: neg, double, keep, neg, double = x * 4 */
  jet_buf a2[2] = {{c.src->value_types[0], &n}, {c.src->value_types[1], (void *)x}};
  jet_buf o2[3];
  ok(jet_program_run(c.prog, a2, 2, NULL, o2, NULL));
  float want[4], cum[4];
  for (int j = 0; j < 4; j++) want[j] = x[j] * 4;
  for (int j = 0; j < 4; j++) cum[j] = (j ? cum[j - 1] : 0.0f) + want[j];
  assert_int_equal(*(int32_t *)o2[0].data, 5);
  assert_memory_equal(o2[1].data, want, sizeof want);
  assert_memory_equal(o2[2].data, cum, sizeof cum); /* switch index 5 clamps to the scan */
  for (int o = 0; o < 3; o++) jet_mem_free(o2[o].data);
  compiled_free(&c);
}

/* ---- no allocation per iteration ---- */

/* jet_mem_alloc calls during one run of c on data. */
static uint64_t allocs_of_run(const compiled *c, const void *const *data) {
  const jet_graph *g = c->src;
  jet_buf args[8], outs[8];
  for (uint32_t i = 0; i < g->n_params; i++) args[i] = (jet_buf){g->value_types[i], (void *)data[i]};
  const uint64_t before = jet_mem_alloc_count();
  ok(jet_program_run(c->prog, args, g->n_params, NULL, outs, NULL));
  const uint64_t n = jet_mem_alloc_count() - before;
  for (uint32_t o = 0; o < g->n_outputs; o++) jet_mem_free(outs[o].data);
  return n;
}

/* An RNN-like cell, h <- max(h . W + x, 0) * 0.5, as a scan of `length`. */
static char *rnn_text(int64_t length) {
  char *t = malloc(4096);
  assert_non_null(t);
  snprintf(t, 4096,
           "graph rnn(%%0: f32[8,8], %%1: f32[8], %%2: f32[%lld,8]) {\n"
           "  %%3, %%4 = scan[n_consts=1, n_carry=1, length=%lld] %%0, %%1, %%2 : f32[8], f32[%lld,8] {\n"
           "    graph cell(%%0: f32[8,8], %%1: f32[8], %%2: f32[8]) {\n"
           "      %%3 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]] "
           "%%1, %%0 : f32[8]\n"
           "      %%4 = add %%3, %%2 : f32[8]\n"
           "      %%5 = constant[value=f32[8]{0, 0, 0, 0, 0, 0, 0, 0}] : f32[8]\n"
           "      %%6 = max %%4, %%5 : f32[8]\n"
           "      %%7 = constant[value=f32[8]{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}] : f32[8]\n"
           "      %%8 = mul %%6, %%7 : f32[8]\n"
           "      return %%8, %%4\n"
           "    }\n"
           "  }\n"
           "  return %%3, %%4\n"
           "}\n",
           (long long)length, (long long)length, (long long)length);
  return t;
}

/* h <- h + reduce_sum(M, axes=[1]) (M f32[4,8,4]) as a scan of `length`. */
static char *middle_sum_text(int64_t length) {
  char *t = malloc(1024);
  assert_non_null(t);
  snprintf(t, 1024,
           "graph m(%%0: f32[4,8,4], %%1: f32[4,4]) {\n"
           "  %%2 = scan[n_consts=1, n_carry=1, length=%lld] %%0, %%1 : f32[4,4] {\n"
           "    graph b(%%0: f32[4,8,4], %%1: f32[4,4]) {\n"
           "      %%2 = reduce_sum[axes=[1]] %%0 : f32[4,4]\n"
           "      %%3 = add %%1, %%2 : f32[4,4]\n"
           "      return %%3\n"
           "    }\n"
           "  }\n"
           "  return %%2\n"
           "}\n",
           (long long)length);
  return t;
}

static void test_no_allocation_per_iteration(void **state) {
  (void)state;
  enum { N = 200 };
  /* while: the trip count is an argument. */
  compiled w = compile_text(kWhile);
  const float wv[4] = {0.5f, -0.9f, 0.99f, 0.3f}, x[4] = {1, 2, -3, 0.5f};
  int32_t n = N;
  const void *dw[] = {&n, wv, x};
  const uint64_t a1 = allocs_of_run(&w, dw);
  n = 10 * N;
  const uint64_t a10 = allocs_of_run(&w, dw);
  if (a1 != a10) fail_msg("while: %llu allocations for %d trips, %llu for %d", (unsigned long long)a1,
                          N, (unsigned long long)a10, 10 * N);
  compiled_free(&w);

  /* A while inside a scan: the inner frames live in the outer one. */
  char *t1 = nested_scan_while_text(N), *t10 = nested_scan_while_text(10 * N);
  compiled s1 = compile_text(t1), s10 = compile_text(t10);
  free(t1);
  free(t10);
  float *xs = calloc(10 * N * 4, sizeof *xs);
  int32_t *ks = calloc(10 * N, sizeof *ks);
  assert_true(xs && ks);
  for (int i = 0; i < 10 * N; i++) ks[i] = i % 4;
  const float h0[4] = {1, 2, 3, 4};
  const void *dn[] = {h0, xs, ks};
  const uint64_t b1 = allocs_of_run(&s1, dn), b10 = allocs_of_run(&s10, dn);
  if (b1 != b10) fail_msg("nested: %llu allocations for %d steps, %llu for %d",
                          (unsigned long long)b1, N, (unsigned long long)b10, 10 * N);
  compiled_free(&s1);
  compiled_free(&s10);

  /* An RNN cell with a matrix product. */
  char *r1 = rnn_text(N), *r10 = rnn_text(10 * N);
  compiled q1 = compile_text(r1), q10 = compile_text(r10);
  free(r1);
  free(r10);
  float W[64];
  for (int i = 0; i < 64; i++) W[i] = (float)((i * 5) % 9 - 4) * 0.125f;
  for (int i = 0; i < 10 * N * 4; i++) xs[i] = (float)(i % 7) * 0.25f - 0.5f;
  float *x8 = calloc(10 * N * 8, sizeof *x8);
  assert_non_null(x8);
  for (int i = 0; i < 10 * N * 8; i++) x8[i] = (float)(i % 7) * 0.25f - 0.5f;
  const float h8[8] = {1, 0, -1, 0.5f, 2, 0, 0, 1};
  const void *dr[] = {W, h8, x8};
  check_same(&q1, dr);
  const uint64_t c1 = allocs_of_run(&q1, dr), c10 = allocs_of_run(&q10, dr);
  {
    const double t0 = now_s();
    for (int rep = 0; rep < 5; rep++) (void)allocs_of_run(&q10, dr);
    print_message("rnn scan: %.0f ns per iteration (%d steps, 8x8 cell)\n",
                  (now_s() - t0) / (5.0 * 10 * N) * 1e9, 10 * N);
  }
  if (c1 != c10) fail_msg("rnn scan: %llu allocations for %d steps, %llu for %d",
                          (unsigned long long)c1, N, (unsigned long long)c10, 10 * N);
  compiled_free(&q1);
  compiled_free(&q10);

  /* A body with an unfused middle-axis f32 reduce_sum (its f64 accumulator
   * is on the stack for small results). */
  char *m1 = middle_sum_text(N), *m10 = middle_sum_text(10 * N);
  compiled p1 = compile_text(m1), p10 = compile_text(m10);
  free(m1);
  free(m10);
  float M[128], h16[16] = {0};
  for (int i = 0; i < 128; i++) M[i] = (float)(i % 5) * 0.25f;
  const void *dm[] = {M, h16};
  check_same(&p1, dm);
  const uint64_t d1 = allocs_of_run(&p1, dm), d10 = allocs_of_run(&p10, dm);
  if (d1 != d10) fail_msg("middle-axis sum: %llu allocations for %d steps, %llu for %d",
                          (unsigned long long)d1, N, (unsigned long long)d10, 10 * N);
  compiled_free(&p1);
  compiled_free(&p10);
  free(xs);
  free(ks);
  free(x8);
}

/* ---- cancel and deadline ---- */

typedef struct runner {
  const compiled *c;
  jet_exec_ctl ctl;
  jet_code code;
  char msg[512];
} runner;

static void *run_thread(void *arg) {
  runner *r = arg;
  const float x[4] = {1, 0, 0, 1};
  jet_buf a = {r->c->src->value_types[0], (void *)x}, out[1];
  jet_status st = jet_program_run(r->c->prog, &a, 1, NULL, out, &r->ctl);
  r->code = st ? jet_status_code(st) : JET_OK;
  snprintf(r->msg, sizeof r->msg, "%s", st ? jet_status_message(st) : "");
  if (st) jet_status_free(st);
  else jet_mem_free(out[0].data);
  return NULL;
}

static void test_endless_while_cancel_and_deadline(void **state) {
  (void)state;
  compiled c = compile_text(kEndless);
  expect_control_step(&c, "while");
  atomic_int flag;
  atomic_init(&flag, 0);
  runner r = {.c = &c, .ctl = {.cancelled = &flag}};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, run_thread, &r), 0);
  struct timespec ts = {0, 150 * 1000 * 1000};
  nanosleep(&ts, NULL);
  const double t0 = now_s();
  atomic_store(&flag, 1);
  pthread_join(th, NULL);
  const double waited = now_s() - t0;
  if (r.code != JET_CANCELLED) fail_msg("got %s: %s", jet_code_name(r.code), r.msg);
  if (waited > 1.0) fail_msg("the loop stopped %.3f s after the cancel", waited);
  if (!strstr(r.msg, "while")) fail_msg("message does not name the loop: %s", r.msg);

  /* A deadline already past: DEADLINE_EXCEEDED before any work. */
  runner d = {.c = &c, .ctl = {.deadline_ns = 1}};
  run_thread(&d);
  if (d.code != JET_DEADLINE_EXCEEDED) fail_msg("got %s: %s", jet_code_name(d.code), d.msg);

  /* A deadline 100 ms ahead stops the endless loop once it passes. */
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  runner e = {.c = &c,
              .ctl = {.deadline_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + 100000000}};
  const double t1 = now_s();
  run_thread(&e);
  const double took = now_s() - t1;
  if (e.code != JET_DEADLINE_EXCEEDED) fail_msg("got %s: %s", jet_code_name(e.code), e.msg);
  if (took < 0.09 || took > 1.1) fail_msg("the 100 ms deadline stopped the loop after %.3f s", took);
  compiled_free(&c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_while_matches_reference),
      cmocka_unit_test(test_scan_matches_reference),
      cmocka_unit_test(test_nested_loops_match_reference),
      cmocka_unit_test(test_no_allocation_per_iteration),
      cmocka_unit_test(test_endless_while_cancel_and_deadline),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
