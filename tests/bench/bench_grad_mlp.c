/* Benchmark (not a test): the cost of grad relative to the primal for a
 * 3-layer MLP loss, batch 256, width 512, float32:
 *
 *   h1 = tanh(x @ W1 + b1), h2 = tanh(h1 @ W2 + b2), o = h2 @ W3 + b3,
 *   loss = mean((o - y)^2)      x: [256,512], W1, W2: [512,512], W3: [512,1]
 *
 * The grad graph (w.r.t. W1, b1, W2, b2, W3, b3) comes from
 * jet_transforms_apply + jet_passes_cleanup, as jetd builds it; both graphs
 * run on the reference executor (jet_exec_graph) with OpenBLAS on one
 * thread, as jetd sets it. Prints the median of the timed runs after a
 * warm-up, the ratio (the cheap-gradient bound asks for at most 4x) and the
 * node counts. Usage: bench_grad_mlp [runs] (default 10). */
#include <cblas.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "compiler/passes/passes.h"
#include "exec.h"
#include "jet/graph.h"
#include "mem.h"
#include "transforms/transforms.h"
#include "bench_util.h"

#define BATCH 256
#define WIDTH 512
#define N_PARAMS 8 /* W1 b1 W2 b2 W3 b3 x y */

/* tanh?(h @ W + b) with b broadcast over the batch. */
static jet_value layer(bench_builder *b, jet_value h, jet_value w, jet_value bias, int64_t out,
                       int act) {
  static const int64_t one = 1, zero = 0;
  jet_attr d[2] = {bench_ints("lhs_contracting_dimensions", &one, 1),
                   bench_ints("rhs_contracting_dimensions", &zero, 1)};
  jet_value hw[2] = {h, w};
  jet_value m = bench_node(b, JET_OP_DOT_GENERAL, hw, 2, d, 2);
  int64_t shape[2] = {BATCH, out};
  jet_attr bc[2] = {bench_ints("shape", shape, 2), bench_ints("broadcast_dimensions", &one, 1)};
  jet_value bb = bench_node(b, JET_OP_BROADCAST_IN_DIM, &bias, 1, bc, 2);
  jet_value z = bench_node2(b, JET_OP_ADD, m, bb);
  return act ? bench_node(b, JET_OP_TANH, &z, 1, NULL, 0) : z;
}

static jet_status build_loss(jet_graph **out) {
  bench_builder b = {jet_graph_create("mlp_loss"), NULL};
  if (!b.g) return jet_status_oom("graph");
  const int64_t dims[N_PARAMS][2] = {{WIDTH, WIDTH}, {WIDTH, 0}, {WIDTH, WIDTH}, {WIDTH, 0},
                                     {WIDTH, 1},     {1, 0},     {BATCH, WIDTH}, {BATCH, 1}};
  jet_value p[N_PARAMS];
  for (int i = 0; i < N_PARAMS && !b.st; i++) {
    jet_type t = jet_type_make(JET_F32, dims[i][1] ? 2 : 1, dims[i]);
    b.st = jet_graph_add_param(b.g, &t, &p[i]);
  }
  jet_value h1 = layer(&b, p[6], p[0], p[1], WIDTH, 1);
  jet_value h2 = layer(&b, h1, p[2], p[3], WIDTH, 1);
  jet_value o = layer(&b, h2, p[4], p[5], 1, 0);
  jet_value d = bench_node2(&b, JET_OP_SUB, o, p[7]);
  jet_value sq = bench_node(&b, JET_OP_SQUARE, &d, 1, NULL, 0);
  static const int64_t axes[2] = {0, 1};
  jet_attr ax = bench_ints("axes", axes, 2);
  jet_value s = bench_node(&b, JET_OP_REDUCE_SUM, &sq, 1, &ax, 1);
  float inv = 1.0f / BATCH;
  jet_attr lit;
  memset(&lit, 0, sizeof lit);
  lit.name = "value";
  lit.kind = JET_ATTR_LITERAL;
  lit.u.lit.type = jet_type_scalar(JET_F32);
  lit.u.lit.data = &inv;
  lit.u.lit.nbytes = sizeof inv;
  jet_value c = bench_node(&b, JET_OP_CONSTANT, NULL, 0, &lit, 1);
  jet_value loss = bench_node2(&b, JET_OP_MUL, s, c);
  if (!b.st) b.st = jet_graph_set_outputs(b.g, &loss, 1);
  if (b.st) {
    jet_graph_destroy(b.g);
    return b.st;
  }
  *out = b.g;
  return NULL;
}

/* Median wall time of `runs` executions after two warm-up runs. */
static jet_status time_graph(const jet_graph *g, const jet_buf *args, int runs, double *median) {
  double *t = calloc((size_t)runs, sizeof *t);
  jet_buf outs[16];
  if (!t) return jet_status_oom("timings");
  if (g->n_outputs > 16) {
    free(t);
    return jet_status_make(JET_INTERNAL, "graph has %u outputs", g->n_outputs);
  }
  for (int i = -2; i < runs; i++) {
    double t0 = bench_now_s();
    jet_status st = jet_exec_graph(g, args, g->n_params, outs, NULL);
    double t1 = bench_now_s();
    if (st) {
      free(t);
      return st;
    }
    for (uint32_t j = 0; j < g->n_outputs; j++) jet_mem_free(outs[j].data);
    if (i >= 0) t[i] = t1 - t0;
  }
  *median = bench_median(t, runs);
  free(t);
  return NULL;
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 10;
  if (runs < 1) runs = 10;
  openblas_set_num_threads(1);
  jet_graph *primal = NULL, *copy = NULL, *raw = NULL, *grad = NULL;
  jet_status st = build_loss(&primal);
  if (st) return bench_fail("bench_grad_mlp", st, "building the loss graph");
  st = build_loss(&copy); /* jet_transforms_apply consumes its input */
  if (st) return bench_fail("bench_grad_mlp", st, "building the loss graph");
  static const int32_t argnums[6] = {0, 1, 2, 3, 4, 5};
  jet_transform t;
  memset(&t, 0, sizeof t);
  t.kind = JET_TF_GRAD;
  t.argnums = argnums;
  t.n_argnums = 6;
  t.argnums_tuple = true;
  t.axis_name = "";
  t.spmd_axis_name = "";
  double t0 = bench_now_s();
  st = jet_transforms_apply(copy, &t, 1, &raw);
  if (st) return bench_fail("bench_grad_mlp", st, "grad transform");
  st = jet_passes_cleanup(raw, &grad);
  double t_build = bench_now_s() - t0;
  if (st) return bench_fail("bench_grad_mlp", st, "cleanup");

  /* random data, fixed seed */
  jet_buf args[N_PARAMS];
  uint64_t s = 12345;
  for (int i = 0; i < N_PARAMS; i++) {
    args[i].type = primal->value_types[i];
    int64_t n = jet_type_numel(&args[i].type);
    float *d = jet_mem_alloc((size_t)n * sizeof(float));
    if (!d) return bench_fail("bench_grad_mlp", jet_status_oom("arguments"), "allocating");
    float scale = i % 2 == 0 && i < 6 ? 1.0f / 22.6f : 0.1f; /* ~1/sqrt(512) for weights */
    for (int64_t k = 0; k < n; k++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      d[k] = scale * ((float)(s >> 40) / (float)(1u << 24) * 2.0f - 1.0f);
    }
    args[i].data = d;
  }
  double tp = 0, tg = 0;
  if ((st = time_graph(primal, args, runs, &tp)) != NULL)
    return bench_fail("bench_grad_mlp", st, "running the primal");
  if ((st = time_graph(grad, args, runs, &tg)) != NULL)
    return bench_fail("bench_grad_mlp", st, "running the grad");

  printf("3-layer MLP loss, batch %d, width %d, float32; reference executor, OpenBLAS threads: 1\n",
         BATCH, WIDTH);
  printf("primal graph:          %u nodes\n", jet_graph_total_nodes(primal));
  printf("grad graph (cleaned):  %u nodes (%u before cleanup; built in %.2f ms)\n",
         jet_graph_total_nodes(grad), jet_graph_total_nodes(raw), t_build * 1e3);
  printf("primal time (median of %d): %8.3f ms\n", runs, tp * 1e3);
  printf("grad time   (median of %d): %8.3f ms\n", runs, tg * 1e3);
  printf("grad / primal: %.2fx (cheap-gradient bound: at most 4x) -> %s\n", tg / tp,
         tg / tp <= 4.0 ? "within the bound" : "ABOVE the bound");
  for (int i = 0; i < N_PARAMS; i++) jet_mem_free(args[i].data);
  jet_graph_destroy(raw);
  jet_graph_destroy(grad);
  jet_graph_destroy(primal);
  return 0;
}
