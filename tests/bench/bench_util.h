/* Helpers the C benchmarks share: wall time, medians, error reporting and a
 * small graph builder with a sticky status. Header-only (static inline). */
#ifndef JET_BENCH_UTIL_H
#define JET_BENCH_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jet/graph.h"

static inline double bench_now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static inline int bench_cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sorts t[0..n) and returns its median. */
static inline double bench_median(double *t, int n) {
  qsort(t, (size_t)n, sizeof *t, bench_cmp_double);
  return n % 2 ? t[n / 2] : 0.5 * (t[n / 2 - 1] + t[n / 2]);
}

/* Prints "prog: what: CODE: message", frees st and returns 1 (exit code). */
static inline int bench_fail(const char *prog, jet_status st, const char *what) {
  fprintf(stderr, "%s: %s: %s: %s\n", prog, what, jet_code_name(jet_status_code(st)),
          jet_status_message(st));
  jet_status_free(st);
  return 1;
}

/* A graph under construction; the first error is kept in st and later
 * nodes are skipped. */
typedef struct bench_builder {
  jet_graph *g;
  jet_status st;
} bench_builder;

static inline jet_value bench_node(bench_builder *b, jet_op op, const jet_value *x, uint32_t n,
                                   const jet_attr *a, uint32_t na) {
  jet_value v = JET_NO_VALUE;
  if (!b->st) b->st = jet_graph_add_node(b->g, op, x, n, a, na, NULL, NULL, 0, &v);
  return v;
}

static inline jet_value bench_node2(bench_builder *b, jet_op op, jet_value x, jet_value y) {
  jet_value v[2] = {x, y};
  return bench_node(b, op, v, 2, NULL, 0);
}

static inline jet_attr bench_ints(const char *name, const int64_t *v, uint32_t n) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_INTS;
  a.u.ints.v = v;
  a.u.ints.n = n;
  return a;
}

#endif
