/* Benchmark (not a test): the vmapped forward pass of a per-example MLP
 * against the same MLP written by hand with a batch dimension. Width 512,
 * 3 layers, batch 256, float32:
 *
 *   per example:  h1 = tanh(x @ W1 + b1), h2 = tanh(h1 @ W2 + b2),
 *                 o = h2 @ W3 + b3          x: [512], W1, W2: [512,512],
 *                                           W3: [512,1], o: [1]
 *   vmapped:      vmap(mlp, in_axes=(None,)*6 + (0,), axis_size=256)
 *   by hand:      the same with x: [256,512] and the biases broadcast over
 *                 the batch (as bench_grad_mlp's primal)
 *
 * The vmapped graph comes from jet_transforms_apply + jet_passes_cleanup,
 * as jetd builds it; both graphs run on the reference executor
 * (jet_exec_graph) with OpenBLAS on one thread, as jetd sets it, on the
 * same arguments, alternating. Prints the median of the timed runs after a
 * warm-up, the ratio (the target is within 1.2x), the node counts, and the
 * largest difference between the two outputs. Usage: bench_vmap_mlp [runs]
 * (default 10). */
#include <cblas.h>
#include <math.h>
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
#define N_PARAMS 7 /* W1 b1 W2 b2 W3 b3 x */

/* tanh?(h @ W + b); batched: h is [BATCH, in] and b is broadcast over the
 * batch, else h is [in]. */
static jet_value layer(bench_builder *b, jet_value h, jet_value w, jet_value bias, int64_t out,
                       int act, int batched) {
  static const int64_t zero = 0, one = 1;
  jet_attr d[2] = {bench_ints("lhs_contracting_dimensions", batched ? &one : &zero, 1),
                   bench_ints("rhs_contracting_dimensions", &zero, 1)};
  jet_value hw[2] = {h, w};
  jet_value m = bench_node(b, JET_OP_DOT_GENERAL, hw, 2, d, 2);
  jet_value bb = bias;
  if (batched) {
    int64_t shape[2] = {BATCH, out};
    jet_attr bc[2] = {bench_ints("shape", shape, 2), bench_ints("broadcast_dimensions", &one, 1)};
    bb = bench_node(b, JET_OP_BROADCAST_IN_DIM, &bias, 1, bc, 2);
  }
  jet_value mb[2] = {m, bb};
  jet_value z = bench_node(b, JET_OP_ADD, mb, 2, NULL, 0);
  return act ? bench_node(b, JET_OP_TANH, &z, 1, NULL, 0) : z;
}

static jet_status build_mlp(int batched, jet_graph **out) {
  bench_builder b = {jet_graph_create(batched ? "mlp_batched" : "mlp"), NULL};
  if (!b.g) return jet_status_oom("graph");
  const int64_t dims[N_PARAMS][2] = {{WIDTH, WIDTH}, {WIDTH, 0}, {WIDTH, WIDTH}, {WIDTH, 0},
                                     {WIDTH, 1},     {1, 0},     {BATCH, WIDTH}};
  jet_value p[N_PARAMS];
  for (int i = 0; i < N_PARAMS && !b.st; i++) {
    jet_type t = i == 6 && !batched ? jet_type_make(JET_F32, 1, &dims[i][1])
                                    : jet_type_make(JET_F32, dims[i][1] ? 2 : 1, dims[i]);
    b.st = jet_graph_add_param(b.g, &t, &p[i]);
  }
  jet_value h1 = layer(&b, p[6], p[0], p[1], WIDTH, 1, batched);
  jet_value h2 = layer(&b, h1, p[2], p[3], WIDTH, 1, batched);
  jet_value o = layer(&b, h2, p[4], p[5], 1, 0, batched);
  if (!b.st) b.st = jet_graph_set_outputs(b.g, &o, 1);
  if (b.st) {
    jet_graph_destroy(b.g);
    return b.st;
  }
  *out = b.g;
  return NULL;
}

/* Runs g once; the output replaces *keep (freed with jet_mem_free). */
static jet_status run_once(const jet_graph *g, const jet_buf *args, double *secs, jet_buf *keep) {
  jet_buf out;
  double t0 = bench_now_s();
  jet_status st = jet_exec_graph(g, args, g->n_params, &out, NULL);
  *secs = bench_now_s() - t0;
  if (st) return st;
  jet_mem_free(keep->data);
  *keep = out;
  return NULL;
}

/* Median wall times of `runs` executions of each graph after two warm-up
 * runs, the two graphs alternating so that both see the same machine
 * load; the last outputs stay in keep[0], keep[1] (caller frees with
 * jet_mem_free). */
static jet_status time_pair(const jet_graph *const g[2], const jet_buf *args, int runs,
                            double median[2], jet_buf keep[2]) {
  double *t = calloc(2 * (size_t)runs, sizeof *t);
  if (!t) return jet_status_oom("timings");
  keep[0].data = keep[1].data = NULL;
  jet_status st = NULL;
  for (int k = 0; k < 2 && !st; k++)
    if (g[k]->n_outputs != 1)
      st = jet_status_make(JET_INTERNAL, "graph %s has %u outputs, expected 1", g[k]->name,
                           g[k]->n_outputs);
  for (int i = -2; i < runs && !st; i++) {
    for (int k = 0; k < 2 && !st; k++) {
      double secs;
      st = run_once(g[k], args, &secs, &keep[k]);
      if (i >= 0) t[k * runs + i] = secs;
    }
  }
  for (int k = 0; k < 2 && !st; k++) {
    median[k] = bench_median(t + k * runs, runs);
  }
  free(t);
  return st;
}

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 10;
  if (runs < 1) runs = 10;
  openblas_set_num_threads(1);
  jet_graph *per_example = NULL, *by_hand = NULL, *raw = NULL, *vmapped = NULL;
  jet_status st = build_mlp(0, &per_example);
  if (st) return bench_fail("bench_vmap_mlp", st, "building the per-example MLP");
  uint32_t per_example_nodes = jet_graph_total_nodes(per_example);
  st = build_mlp(1, &by_hand);
  if (st) return bench_fail("bench_vmap_mlp", st, "building the batched MLP");

  jet_axis_spec in_axes[N_PARAMS];
  for (int i = 0; i < N_PARAMS; i++) in_axes[i] = (jet_axis_spec){i == 6, 0};
  jet_transform t;
  memset(&t, 0, sizeof t);
  t.kind = JET_TF_VMAP;
  t.in_axes = in_axes;
  t.n_in_axes = N_PARAMS;
  t.axis_size = BATCH;
  t.axis_name = "";
  t.spmd_axis_name = "";
  double t0 = bench_now_s();
  st = jet_transforms_apply(per_example, &t, 1, &raw); /* consumes per_example */
  if (st) return bench_fail("bench_vmap_mlp", st, "vmap transform");
  st = jet_passes_cleanup(raw, &vmapped);
  double t_build = bench_now_s() - t0;
  if (st) return bench_fail("bench_vmap_mlp", st, "cleanup");
  if (vmapped->n_params != N_PARAMS ||
      !jet_type_equal(&vmapped->value_types[6], &by_hand->value_types[6]))
    return bench_fail("bench_vmap_mlp",
                      jet_status_make(JET_INTERNAL,
                                      "the vmapped graph's parameters differ from the "
                                      "hand-batched graph's"),
                      "checking signatures");

  /* random data, fixed seed */
  jet_buf args[N_PARAMS];
  uint64_t s = 12345;
  for (int i = 0; i < N_PARAMS; i++) {
    args[i].type = by_hand->value_types[i];
    int64_t n = jet_type_numel(&args[i].type);
    float *d = jet_mem_alloc((size_t)n * sizeof(float));
    if (!d) return bench_fail("bench_vmap_mlp", jet_status_oom("arguments"), "allocating");
    float scale = i % 2 == 0 && i < 6 ? 1.0f / 22.6f : i == 6 ? 1.0f : 0.1f;
    for (int64_t k = 0; k < n; k++) {
      s = s * 6364136223846793005ull + 1442695040888963407ull;
      d[k] = scale * ((float)(s >> 40) / (float)(1u << 24) * 2.0f - 1.0f);
    }
    args[i].data = d;
  }
  const jet_graph *pair[2] = {by_hand, vmapped};
  double med[2] = {0, 0};
  jet_buf outs[2];
  if ((st = time_pair(pair, args, runs, med, outs)) != NULL)
    return bench_fail("bench_vmap_mlp", st, "running the graphs");
  double th = med[0], tv = med[1];
  jet_buf oh = outs[0], ov = outs[1];
  if (!jet_type_equal(&oh.type, &ov.type))
    return bench_fail("bench_vmap_mlp", jet_status_make(JET_INTERNAL, "output types differ"),
                      "comparing outputs");
  double maxdiff = 0;
  int64_t n = jet_type_numel(&oh.type);
  for (int64_t k = 0; k < n; k++) {
    double d = fabs((double)((const float *)oh.data)[k] - (double)((const float *)ov.data)[k]);
    if (d > maxdiff) maxdiff = d;
  }

  printf(
      "3-layer MLP forward, batch %d, width %d, float32; reference executor, OpenBLAS "
      "threads: 1\n",
      BATCH, WIDTH);
  printf("per-example graph:       %u nodes\n", per_example_nodes);
  printf("vmapped graph (cleaned): %u nodes (%u before cleanup; built in %.2f ms)\n",
         jet_graph_total_nodes(vmapped), jet_graph_total_nodes(raw), t_build * 1e3);
  printf("by-hand batched graph:   %u nodes\n", jet_graph_total_nodes(by_hand));
  printf("by hand time (median of %d): %8.3f ms\n", runs, th * 1e3);
  printf("vmapped time (median of %d): %8.3f ms\n", runs, tv * 1e3);
  printf("vmapped / by hand: %.2fx (target: within 1.2x) -> %s\n", tv / th,
         tv / th <= 1.2 ? "within the target" : "ABOVE the target");
  printf("largest |difference| between the outputs: %.3g\n", maxdiff);
  jet_mem_free(oh.data);
  jet_mem_free(ov.data);
  for (int i = 0; i < N_PARAMS; i++) jet_mem_free(args[i].data);
  jet_graph_destroy(raw);
  jet_graph_destroy(vmapped);
  jet_graph_destroy(by_hand);
  return 0;
}
