/* Benchmark (not a test): compiled pmap in-process (compiled like jetd:
 * jet_transforms_apply + jet_passes_cleanup + jet_lower, run with
 * jet_program_run).
 *
 * 1. Speed-up: a compute-bound per-member body, 8 chained matmuls
 *    h <- h @ W (f32[192,192]), pmapped over 2 devices (x: f32[2,192,192]
 *    split on axis 0, W unmapped) against the same total work on one device
 *    (the 1-member pmap run twice, and the plain body program run twice).
 *    The compute pool is left at one thread (no jet_pool_global_init), so
 *    every matmul stays on the thread that runs its member and OpenBLAS is
 *    kept at one thread (as jetd): the only parallelism is pmap's.
 * 2. Fixed overhead of a pmap call: a tiny body (add of two f32[4]) as a
 *    1-member and a 2-member pmap against a plain program running it.
 *
 * Prints medians over the timed runs after a warm-up. Usage:
 * bench_pmap [runs] (default 30). */
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/lower.h"
#include "compiler/passes/passes.h"
#include "device_exec.h"
#include "exec.h"
#include "jet/graph.h"
#include "jet/text.h"
#include "mem.h"
#include "program.h"
#include "transforms/transforms.h"
#include "bench_util.h"

#define DIM 192
#define CHAIN 8

typedef struct prog {
  jet_graph *src, *clean;
  jet_program *p;
} prog;

static jet_status compile(const char *text, prog *out) {
  memset(out, 0, sizeof *out);
  JET_RETURN_IF_ERROR(jet_graph_parse(text, strlen(text), &out->src));
  jet_graph *copy = jet_graph_create(out->src->name), *flat = NULL;
  if (!copy) return jet_status_oom("graph");
  jet_status st = jet_graph_copy_into(copy, out->src, 0);
  if (!st) st = jet_transforms_apply(copy, NULL, 0, &flat);
  if (!st) st = jet_passes_cleanup(flat, &out->clean);
  jet_graph_destroy(flat);
  if (!st) st = jet_lower(out->clean, &out->p);
  return st;
}

static void prog_free(prog *p) {
  jet_program_destroy(p->p);
  jet_graph_destroy(p->clean);
  jet_graph_destroy(p->src);
}

/* The chain body's text (parameters h: f32[192,192], w: f32[192,192]). */
static int chain_body(char *s, size_t cap, const char *indent) {
  int at = 0;
  for (int k = 0; k < CHAIN; k++)
    at += snprintf(s + at, cap - (size_t)at,
                   "%s%%%d = dot_general[lhs_contracting_dimensions=[1], "
                   "rhs_contracting_dimensions=[0]] %%%d, %%1 : f32[%d,%d]\n",
                   indent, k + 2, k ? k + 1 : 0, DIM, DIM);
  return at;
}

static void pmap_chain_text(char *s, size_t cap, int n) {
  char body[4096];
  chain_body(body, sizeof body, "      ");
  snprintf(s, cap,
           "graph chain%d(%%0: f32[%d,%d,%d], %%1: f32[%d,%d]) {\n"
           "  %%2 = pmap[axis_name=\"i\", axis_size=%d, in_axes=[0, -1], out_axes=[0]] %%0, %%1 "
           ": f32[%d,%d,%d] {\n"
           "    graph body(%%0: f32[%d,%d], %%1: f32[%d,%d]) {\n"
           "%s"
           "      return %%%d\n"
           "    }\n"
           "  }\n"
           "  return %%2\n"
           "}\n",
           n, n, DIM, DIM, DIM, DIM, n, n, DIM, DIM, DIM, DIM, DIM, DIM, body, CHAIN + 1);
}

static void plain_chain_text(char *s, size_t cap) {
  char body[4096];
  chain_body(body, sizeof body, "  ");
  snprintf(s, cap, "graph plain(%%0: f32[%d,%d], %%1: f32[%d,%d]) {\n%s  return %%%d\n}\n", DIM,
           DIM, DIM, DIM, body, CHAIN + 1);
}

static const char kTinyPlain[] =
    "graph tiny(%0: f32[4], %1: f32[4]) {\n"
    "  %2 = add %0, %1 : f32[4]\n"
    "  return %2\n"
    "}\n";

static void tiny_pmap_text(char *s, size_t cap, int n) {
  snprintf(s, cap,
           "graph tinyp%d(%%0: f32[%d,4], %%1: f32[4]) {\n"
           "  %%2 = pmap[axis_name=\"i\", axis_size=%d, in_axes=[0, -1], out_axes=[0]] %%0, %%1 "
           ": f32[%d,4] {\n"
           "    graph body(%%0: f32[4], %%1: f32[4]) {\n"
           "      %%2 = add %%0, %%1 : f32[4]\n"
           "      return %%2\n"
           "    }\n"
           "  }\n"
           "  return %%2\n"
           "}\n",
           n, n, n, n);
}

/* Runs p `reps` times on args; seconds of the batch, or < 0 on error. */
static double time_runs(const prog *p, const jet_buf *args, int reps) {
  const double t0 = bench_now_s();
  for (int r = 0; r < reps; r++) {
    jet_buf out[1];
    jet_status st = jet_program_run(p->p, args, p->src->n_params, NULL, out, NULL);
    if (st) {
      fprintf(stderr, "bench_pmap: %s\n", jet_status_message(st));
      jet_status_free(st);
      return -1;
    }
    jet_mem_free(out[0].data);
  }
  return bench_now_s() - t0;
}

int main(int argc, char **argv) {
  const int runs = argc > 1 ? atoi(argv[1]) : 30;
  if (runs < 1) return 2;
  openblas_set_num_threads(1);
  static char text[16384];
  prog p2, p1, pl, t1, t2, tp;
  jet_status st = NULL;
  pmap_chain_text(text, sizeof text, 2);
  if (!st) st = compile(text, &p2);
  pmap_chain_text(text, sizeof text, 1);
  if (!st) st = compile(text, &p1);
  plain_chain_text(text, sizeof text);
  if (!st) st = compile(text, &pl);
  tiny_pmap_text(text, sizeof text, 1);
  if (!st) st = compile(text, &t1);
  tiny_pmap_text(text, sizeof text, 2);
  if (!st) st = compile(text, &t2);
  if (!st) st = compile(kTinyPlain, &tp);
  if (st) return bench_fail("bench_pmap", st, "compile");

  const size_t mat = (size_t)DIM * DIM;
  float *x = malloc(2 * mat * sizeof *x), *w = malloc(mat * sizeof *w);
  if (!x || !w) return 1;
  for (size_t i = 0; i < 2 * mat; i++) x[i] = (float)((int)(i * 7919 % 17) - 8) / 8.0f;
  for (size_t i = 0; i < mat; i++) w[i] = (float)((int)(i * 104729 % 13) - 6) / (6.0f * DIM);
  const jet_buf a2[2] = {{p2.src->value_types[0], x}, {p2.src->value_types[1], w}};
  const jet_buf a1[2] = {{p1.src->value_types[0], x}, {p1.src->value_types[1], w}};
  const jet_buf al[2] = {{pl.src->value_types[0], x}, {pl.src->value_types[1], w}};

  double *t_2 = malloc(runs * sizeof(double)), *t_1 = malloc(runs * sizeof(double)),
         *t_l = malloc(runs * sizeof(double));
  if (!t_2 || !t_1 || !t_l) return 1;
  for (int r = -3; r < runs; r++) { /* alternating; 3 warm-up rounds */
    const double a = time_runs(&p2, a2, 1), b = time_runs(&p1, a1, 2), c = time_runs(&pl, al, 2);
    if (a < 0 || b < 0 || c < 0) return 1;
    if (r >= 0) {
      t_2[r] = a;
      t_1[r] = b;
      t_l[r] = c;
    }
  }
  const double m2 = bench_median(t_2, runs), m1 = bench_median(t_1, runs),
               ml = bench_median(t_l, runs);
  const double gflop = 2.0 * 2 * CHAIN * (double)DIM * DIM * DIM * 1e-9;
  printf("chain of %d matmuls f32[%d,%d] per member, 2 members' work per row (%.2f GFLOP):\n",
         CHAIN, DIM, DIM, gflop);
  printf("  pmap over 2 devices:             %8.3f ms  (%.1f GFLOP/s)\n", m2 * 1e3, gflop / m2);
  printf("  pmap over 1 device, run twice:   %8.3f ms  (%.1f GFLOP/s)\n", m1 * 1e3, gflop / m1);
  printf("  plain program, run twice:        %8.3f ms  (%.1f GFLOP/s)\n", ml * 1e3, gflop / ml);
  printf("  speed-up of 2 devices: %.2fx over the 1-member pmap, %.2fx over the plain program "
         "(target >= 1.8x)\n",
         m1 / m2, ml / m2);

  /* Fixed overhead: batches of 200 calls, median per call. */
  float tx[8] = {1, 2, 3, 4, 5, 6, 7, 8}, ty[4] = {1, 1, 1, 1};
  const jet_buf b1[2] = {{t1.src->value_types[0], tx}, {t1.src->value_types[1], ty}};
  const jet_buf b2[2] = {{t2.src->value_types[0], tx}, {t2.src->value_types[1], ty}};
  const jet_buf bp[2] = {{tp.src->value_types[0], tx}, {tp.src->value_types[1], ty}};
  const int batch = 200;
  for (int r = -3; r < runs; r++) {
    const double a = time_runs(&t1, b1, batch), b = time_runs(&t2, b2, batch),
                 c = time_runs(&tp, bp, batch);
    if (a < 0 || b < 0 || c < 0) return 1;
    if (r >= 0) {
      t_1[r] = a / batch;
      t_2[r] = b / batch;
      t_l[r] = c / batch;
    }
  }
  const double o1 = bench_median(t_1, runs), o2 = bench_median(t_2, runs),
               op = bench_median(t_l, runs);
  printf("tiny body (add of two f32[4]), per call:\n");
  printf("  plain program:      %8.2f us\n", op * 1e6);
  printf("  pmap, 1 member:     %8.2f us  (overhead %.2f us)\n", o1 * 1e6, (o1 - op) * 1e6);
  printf("  pmap, 2 members:    %8.2f us  (overhead %.2f us)\n", o2 * 1e6, (o2 - op) * 1e6);
  free(t_2);
  free(t_1);
  free(t_l);
  free(x);
  free(w);
  prog_free(&p2);
  prog_free(&p1);
  prog_free(&pl);
  prog_free(&t1);
  prog_free(&t2);
  prog_free(&tp);
  jet_device_exec_global_shutdown();
  return 0;
}
