/* Compiled pmap (compiler/lower_control.c, runtime/program_pmap.c,
 * runtime/device_exec.c): graphs holding a pmap node, compiled the daemon's
 * way and run with jet_program_run, against independent references:
 * - the body run per shard on the reference executor (jet_exec_graph) on
 *   slices cut here, stacked here: bit for bit for a single-op body, to
 *   1e-6 (fused tanh) for a several-op body with in_axes 0/1/-1 and
 *   out_axes 0/1/-1, axis sizes 1, 2, 3, 4, 8;
 * - every collective (psum, pmax, pmin, all_gather, psum_scatter, ppermute,
 *   all_to_all, axis_index) in a pmap body against hand-written C, sizes
 *   1, 2, 3, 4, 8;
 * - a data-parallel SGD step of a linear model (gradient written out in the
 *   graph, pmean = psum(g) / psum(1)) on 4 members equals the one-member
 *   step on the whole batch to 1e-5;
 * - a member that fails alone (a collective over an unbound name in the
 *   cond branch only members > 0 take) aborts the others: the error names
 *   the member, nothing hangs; an endless loop on member 1 stops at the
 *   deadline while member 0 waits in a psum;
 * - 4 threads running pmaps at once, two of them with devices in the
 *   opposite order, finish with the right results (no deadlock);
 * - the jet_mem allocations of a run do not grow with the number of runs
 *   and equal those of a plain program run (the communicator uses malloc). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <math.h>
#include <pthread.h>
#include <time.h>

#include "compiler/lower.h"
#include "compiler/passes/passes.h"
#include "jet/dtype.h"
#include "jet/text.h"
#include "runtime/device_exec.h"
#include "runtime/exec.h"
#include "runtime/mem.h"
#include "runtime/program.h"
#include "transforms/transforms.h"

#include "compiled_text.h"

static const jet_node *find_pmap(const jet_graph *g) {
  uint32_t i = 0;
  while (i < g->n_nodes && g->nodes[i].op != JET_OP_PMAP) i++;
  assert_true(i < g->n_nodes);
  return &g->nodes[i];
}

/* Bytes of t's dims before / after axis ax (times the element size). */
static void split_at(const jet_type *t, int ax, size_t *outer, size_t *inner) {
  *outer = 1;
  *inner = jet_dtype_size(t->dtype);
  for (int d = 0; d < t->rank; d++) {
    if (d < ax) *outer *= (size_t)t->dims[d];
    if (d > ax) *inner *= (size_t)t->dims[d];
  }
}

/* The graph's single pmap node (its operands the root params in order, its
 * results the root outputs in order) computed per shard: slice each mapped
 * argument, run the body on the reference executor, stack the outputs. */
static void reference_pmap(const compiled *c, const jet_buf *args, jet_buf *want) {
  const jet_graph *g = c->src;
  const jet_node *pm = find_pmap(g);
  const jet_graph *body = pm->subgraphs[0];
  const int64_t n = jet_node_attr_int(pm, "axis_size", 0);
  const int64_t *ia = jet_node_attr(pm, "in_axes")->u.ints.v;
  const int64_t *oa = jet_node_attr(pm, "out_axes")->u.ints.v;
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    want[o].type = g->value_types[g->outputs[o]];
    want[o].data = calloc(1, jet_type_nbytes(&want[o].type) + 1);
  }
  for (int64_t m = 0; m < n; m++) {
    jet_buf bargs[16], bouts[16];
    for (uint32_t i = 0; i < body->n_params; i++) {
      bargs[i].type = body->value_types[i];
      if (ia[i] < 0) {
        bargs[i].data = args[i].data;
        continue;
      }
      size_t outer, inner;
      split_at(&args[i].type, (int)ia[i], &outer, &inner);
      char *s = malloc(outer * inner + 1);
      for (size_t k = 0; k < outer; k++)
        memcpy(s + k * inner, (char *)args[i].data + (k * (size_t)n + (size_t)m) * inner, inner);
      bargs[i].data = s;
    }
    ok(jet_exec_graph(body, bargs, body->n_params, bouts, NULL));
    for (uint32_t o = 0; o < body->n_outputs; o++) {
      if (oa[o] < 0) {
        if (m == 0) memcpy(want[o].data, bouts[o].data, jet_type_nbytes(&bouts[o].type));
      } else {
        size_t outer, inner;
        split_at(&want[o].type, (int)oa[o], &outer, &inner);
        for (size_t k = 0; k < outer; k++)
          memcpy((char *)want[o].data + (k * (size_t)n + (size_t)m) * inner,
                 (char *)bouts[o].data + k * inner, inner);
      }
      jet_mem_free(bouts[o].data);
    }
    for (uint32_t i = 0; i < body->n_params; i++)
      if (ia[i] >= 0) free(bargs[i].data);
  }
}

/* Runs c on random float arguments and compares with reference_pmap: bit
 * for bit when tol is 0, else to a relative tol (SLEEF's tanh in fused
 * steps may differ from the reference kernel's by an ulp). */
static void check_against_shards(const compiled *c, uint32_t seed, float tol) {
  const jet_graph *g = c->src;
  jet_buf args[16], want[16], got[16];
  for (uint32_t i = 0; i < g->n_params; i++) {
    args[i].type = g->value_types[i];
    const size_t nb = jet_type_nbytes(&args[i].type);
    args[i].data = malloc(nb + 1);
    fill(args[i].data, nb / 4, seed + i);
  }
  reference_pmap(c, args, want);
  ok(jet_program_run(c->prog, args, g->n_params, NULL, got, NULL));
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    assert_true(jet_type_equal(&want[o].type, &got[o].type));
    const size_t nb = jet_type_nbytes(&want[o].type);
    if (memcmp(want[o].data, got[o].data, nb) != 0) {
      const float *w = want[o].data, *h = got[o].data;
      for (size_t k = 0; k < nb / 4; k++)
        if (memcmp(&w[k], &h[k], 4) && !(fabsf(w[k] - h[k]) <= tol * fmaxf(1.0f, fabsf(w[k]))))
          fail_msg("graph '%s' output %u element %zu: want %g got %g", g->name, o, k, w[k], h[k]);
    }
    free(want[o].data);
    jet_mem_free(got[o].data);
  }
  for (uint32_t i = 0; i < g->n_params; i++) free(args[i].data);
}

static const int64_t kSizes[] = {1, 2, 3, 4, 8};
#define N_SIZES (sizeof kSizes / sizeof kSizes[0])

/* ---- single-op body: add of a mapped (axis 0) and an unmapped operand ---- */

static void test_single_op_matches_shards(void **state) {
  (void)state;
  char text[2048];
  for (size_t s = 0; s < N_SIZES; s++) {
    const long long n = kSizes[s];
    snprintf(text, sizeof text,
             "graph one(%%0: f32[%lld,5], %%1: f32[5]) {\n"
             "  %%2 = pmap[axis_name=\"i\", axis_size=%lld, in_axes=[0, -1], out_axes=[0]] "
             "%%0, %%1 : f32[%lld,5] {\n"
             "    graph body(%%0: f32[5], %%1: f32[5]) {\n"
             "      %%2 = add %%0, %%1 : f32[5]\n"
             "      return %%2\n"
             "    }\n"
             "  }\n"
             "  return %%2\n"
             "}\n",
             n, n, n);
    compiled c = compile_text(text);
    char *d = jet_program_describe(c.prog);
    if (!strstr(d, ": pmap node")) fail_msg("no pmap control step:\n%s", d);
    free(d);
    check_against_shards(&c, (uint32_t)n, 0);
    compiled_free(&c);
  }
}

/* ---- several ops; in_axes 1, -1, 0; out_axes 1, 0, -1, 0 ---- */

static void test_several_ops_axes_match_shards(void **state) {
  (void)state;
  char text[4096];
  for (size_t s = 0; s < N_SIZES; s++) {
    const long long n = kSizes[s];
    snprintf(text, sizeof text,
             "graph many(%%0: f32[2,%lld,3], %%1: f32[3], %%2: f32[%lld,2,3]) {\n"
             "  %%3, %%4, %%5, %%6 = pmap[axis_name=\"i\", axis_size=%lld, in_axes=[1, -1, 0], "
             "out_axes=[1, 0, -1, 0]] %%0, %%1, %%2 : f32[2,%lld,3], f32[%lld,3], f32[3], "
             "f32[%lld,3] {\n"
             "    graph body(%%0: f32[2,3], %%1: f32[3], %%2: f32[2,3]) {\n"
             "      %%3 = mul %%0, %%2 : f32[2,3]\n"
             "      %%4 = reduce_sum[axes=[0]] %%3 : f32[3]\n"
             "      %%5 = add %%4, %%1 : f32[3]\n"
             "      %%6 = tanh %%3 : f32[2,3]\n"
             "      %%7 = dot_general[lhs_contracting_dimensions=[1], "
             "rhs_contracting_dimensions=[1]] %%0, %%2 : f32[2,2]\n"
             "      %%8 = reduce_max[axes=[1]] %%7 : f32[2]\n"
             "      %%9 = reduce_sum[axes=[0]] %%8 : f32[]\n"
             "      %%10 = broadcast_in_dim[shape=[2,3], broadcast_dimensions=[]] %%9 : f32[2,3]\n"
             "      %%11 = sub %%6, %%10 : f32[2,3]\n"
             "      return %%11, %%5, %%5, %%1\n"
             "    }\n"
             "  }\n"
             "  return %%3, %%4, %%5, %%6\n"
             "}\n",
             n, n, n, n, n, n);
    compiled c = compile_text(text);
    for (uint32_t seed = 0; seed < 3; seed++) check_against_shards(&c, seed * 7 + (uint32_t)n, 1e-6f);
    compiled_free(&c);
  }
}

/* ---- every collective vs C ---- */

static void collective_text(char *text, size_t cap, long long n, const char *devices) {
  char perm[512] = "";
  size_t at = 0;
  for (long long r = 0; r < n; r++)
    at += (size_t)snprintf(perm + at, sizeof perm - at, "%s%lld, %lld", r ? ", " : "", r,
                           (r + 1) % n);
  snprintf(text, cap,
           "graph coll(%%0: f32[%lld,4], %%1: f32[%lld,%lld]) {\n"
           "  %%2, %%3, %%4, %%5, %%6, %%7, %%8, %%9 = pmap[axis_name=\"i\", axis_size=%lld, "
           "in_axes=[0, 0], out_axes=[0, 0, 0, 0, 0, 0, 0, 0]%s] %%0, %%1 : f32[%lld,4], "
           "f32[%lld,4], f32[%lld,4], f32[%lld,%lld,4], f32[%lld], f32[%lld,4], f32[%lld,%lld], "
           "i32[%lld] {\n"
           "    graph body(%%0: f32[4], %%1: f32[%lld]) {\n"
           "      %%2 = psum[axis_name=\"i\"] %%0 : f32[4]\n"
           "      %%3 = pmax[axis_name=\"i\"] %%0 : f32[4]\n"
           "      %%4 = pmin[axis_name=\"i\"] %%0 : f32[4]\n"
           "      %%5 = all_gather[axis_name=\"i\", axis_size=%lld, axis=0] %%0 : f32[%lld,4]\n"
           "      %%6 = psum_scatter[axis_name=\"i\", axis_size=%lld, scatter_dimension=0] %%1 "
           ": f32[]\n"
           "      %%7 = ppermute[axis_name=\"i\", perm=[%s]] %%0 : f32[4]\n"
           "      %%8 = all_to_all[axis_name=\"i\", axis_size=%lld, split_axis=0, "
           "concat_axis=0] %%1 : f32[%lld]\n"
           "      %%9 = axis_index[axis_name=\"i\"] : i32[]\n"
           "      return %%2, %%3, %%4, %%5, %%6, %%7, %%8, %%9\n"
           "    }\n"
           "  }\n"
           "  return %%2, %%3, %%4, %%5, %%6, %%7, %%8, %%9\n"
           "}\n",
           n, n, n, n, devices, n, n, n, n, n, n, n, n, n, n, n, n, n, n, perm, n, n);
}

/* Runs the collective graph once and checks every output by hand. */
static void run_collectives(const compiled *c, long long n, uint32_t seed) {
  const size_t N = (size_t)n;
  float *x = malloc(N * 4 * sizeof *x), *y = malloc(N * N * sizeof *y);
  fill(x, N * 4, seed);
  fill(y, N * N, seed + 99);
  jet_buf args[2] = {{c->src->value_types[0], x}, {c->src->value_types[1], y}}, out[8];
  ok(jet_program_run(c->prog, args, 2, NULL, out, NULL));
  const float *ps = out[0].data, *px = out[1].data, *pn = out[2].data, *ag = out[3].data,
              *sc = out[4].data, *pp = out[5].data, *aa = out[6].data;
  const int32_t *ai = out[7].data;
  for (size_t m = 0; m < N; m++) {
    for (size_t k = 0; k < 4; k++) {
      float s = 0, mx = -INFINITY, mn = INFINITY;
      for (size_t r = 0; r < N; r++) {
        s += x[r * 4 + k];
        mx = fmaxf(mx, x[r * 4 + k]);
        mn = fminf(mn, x[r * 4 + k]);
      }
      assert_true(ps[m * 4 + k] == s);
      assert_true(px[m * 4 + k] == mx);
      assert_true(pn[m * 4 + k] == mn);
      /* ppermute r -> r+1: member m holds member m-1's x. */
      assert_true(pp[m * 4 + k] == x[((m + N - 1) % N) * 4 + k]);
    }
    for (size_t r = 0; r < N; r++)
      for (size_t k = 0; k < 4; k++) assert_true(ag[(m * N + r) * 4 + k] == x[r * 4 + k]);
    float s = 0;
    for (size_t r = 0; r < N; r++) s += y[r * N + m];
    assert_true(sc[m] == s);
    for (size_t r = 0; r < N; r++) assert_true(aa[m * N + r] == y[r * N + m]);
    assert_int_equal(ai[m], (int32_t)m);
  }
  for (int o = 0; o < 8; o++) jet_mem_free(out[o].data);
  free(x), free(y);
}

static void test_collectives_match_c(void **state) {
  (void)state;
  static char text[8192];
  for (size_t s = 0; s < N_SIZES; s++) {
    const long long n = kSizes[s];
    collective_text(text, sizeof text, n, "");
    compiled c = compile_text(text);
    for (uint32_t seed = 1; seed <= 3; seed++) run_collectives(&c, n, seed);
    compiled_free(&c);
  }
}

/* ---- data-parallel SGD ---- */

#define SGD_B 16
#define SGD_D 3

static void sgd_text(char *text, size_t cap, int n) {
  const int bm = SGD_B / n;
  snprintf(text, cap,
           "graph sgd(%%0: f32[3], %%1: f32[], %%2: f32[%d,%d,3], %%3: f32[%d,%d]) {\n"
           "  %%4, %%5 = pmap[axis_name=\"d\", axis_size=%d, in_axes=[-1, -1, 0, 0], "
           "out_axes=[-1, -1]] %%0, %%1, %%2, %%3 : f32[3], f32[] {\n"
           "    graph step(%%0: f32[3], %%1: f32[], %%2: f32[%d,3], %%3: f32[%d]) {\n"
           "      %%4 = broadcast_in_dim[shape=[%d,3], broadcast_dimensions=[1]] %%0 : f32[%d,3]\n"
           "      %%5 = mul %%2, %%4 : f32[%d,3]\n"
           "      %%6 = reduce_sum[axes=[1]] %%5 : f32[%d]\n"
           "      %%7 = broadcast_in_dim[shape=[%d], broadcast_dimensions=[]] %%1 : f32[%d]\n"
           "      %%8 = add %%6, %%7 : f32[%d]\n"
           "      %%9 = sub %%8, %%3 : f32[%d]\n"
           "      %%10 = constant[value=f32[]{%.9g}] : f32[]\n"
           "      %%11 = broadcast_in_dim[shape=[%d], broadcast_dimensions=[]] %%10 : f32[%d]\n"
           "      %%12 = mul %%9, %%11 : f32[%d]\n"
           "      %%13 = broadcast_in_dim[shape=[%d,3], broadcast_dimensions=[0]] %%12 : "
           "f32[%d,3]\n"
           "      %%14 = mul %%13, %%2 : f32[%d,3]\n"
           "      %%15 = reduce_sum[axes=[0]] %%14 : f32[3]\n"
           "      %%16 = reduce_sum[axes=[0]] %%12 : f32[]\n"
           "      %%17 = psum[axis_name=\"d\"] %%15 : f32[3]\n"
           "      %%18 = psum[axis_name=\"d\"] %%16 : f32[]\n"
           "      %%19 = constant[value=f32[]{1}] : f32[]\n"
           "      %%20 = psum[axis_name=\"d\"] %%19 : f32[]\n"
           "      %%21 = constant[value=f32[]{0.05}] : f32[]\n"
           "      %%22 = div %%21, %%20 : f32[]\n"
           "      %%23 = broadcast_in_dim[shape=[3], broadcast_dimensions=[]] %%22 : f32[3]\n"
           "      %%24 = mul %%17, %%23 : f32[3]\n"
           "      %%25 = sub %%0, %%24 : f32[3]\n"
           "      %%26 = mul %%18, %%22 : f32[]\n"
           "      %%27 = sub %%1, %%26 : f32[]\n"
           "      return %%25, %%27\n"
           "    }\n"
           "  }\n"
           "  return %%4, %%5\n"
           "}\n",
           n, bm, n, bm, n, bm, bm, bm, bm, bm, bm, bm, bm, bm, bm, 2.0 / bm, bm, bm, bm, bm, bm,
           bm);
}

static void test_data_parallel_sgd(void **state) {
  (void)state;
  static char text[8192];
  sgd_text(text, sizeof text, 4);
  compiled c4 = compile_text(text);
  sgd_text(text, sizeof text, 1);
  compiled c1 = compile_text(text);
  float w[SGD_D] = {0.5f, -0.25f, 1.0f}, b = 0.125f, x[SGD_B * SGD_D], t[SGD_B];
  fill(x, SGD_B * SGD_D, 5);
  fill(t, SGD_B, 6);
  float wr[SGD_D], br; /* by hand, on the whole batch, in double */
  {
    double gw[SGD_D] = {0}, gb = 0;
    for (int i = 0; i < SGD_B; i++) {
      double p = b;
      for (int d = 0; d < SGD_D; d++) p += (double)x[i * SGD_D + d] * w[d];
      const double r = 2.0 * (p - t[i]) / SGD_B;
      for (int d = 0; d < SGD_D; d++) gw[d] += r * x[i * SGD_D + d];
      gb += r;
    }
    for (int d = 0; d < SGD_D; d++) wr[d] = (float)(w[d] - 0.05 * gw[d]);
    br = (float)(b - 0.05 * gb);
  }
  jet_buf o4[2], o1[2];
  jet_buf a4[4] = {{c4.src->value_types[0], w}, {c4.src->value_types[1], &b},
                   {c4.src->value_types[2], x}, {c4.src->value_types[3], t}};
  jet_buf a1[4] = {{c1.src->value_types[0], w}, {c1.src->value_types[1], &b},
                   {c1.src->value_types[2], x}, {c1.src->value_types[3], t}};
  ok(jet_program_run(c4.prog, a4, 4, NULL, o4, NULL));
  ok(jet_program_run(c1.prog, a1, 4, NULL, o1, NULL));
  const float *w4 = o4[0].data, *w1 = o1[0].data;
  for (int d = 0; d < SGD_D; d++) {
    if (fabsf(w4[d] - w1[d]) > 1e-5f) fail_msg("w[%d]: 4 members %g, 1 member %g", d, w4[d], w1[d]);
    if (fabsf(w1[d] - wr[d]) > 1e-5f) fail_msg("w[%d]: 1 member %g, by hand %g", d, w1[d], wr[d]);
  }
  const float b4 = *(float *)o4[1].data, b1 = *(float *)o1[1].data;
  if (fabsf(b4 - b1) > 1e-5f || fabsf(b1 - br) > 1e-5f)
    fail_msg("b: 4 members %g, 1 member %g, by hand %g", b4, b1, br);
  assert_true(memcmp(w, w4, sizeof w) != 0); /* the step moved */
  for (int o = 0; o < 2; o++) jet_mem_free(o4[o].data), jet_mem_free(o1[o].data);
  compiled_free(&c4), compiled_free(&c1);
}

/* ---- a member's error aborts the others ---- */

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static const char kMemberFails[] =
    "graph f(%0: f32[4,4]) {\n"
    "  %1 = pmap[axis_name=\"i\", axis_size=4, in_axes=[0], out_axes=[0]] %0 : f32[4,4] {\n"
    "    graph body(%0: f32[4]) {\n"
    "      %1 = axis_index[axis_name=\"i\"] : i32[]\n"
    "      %2 = cond %1, %0 : f32[4] {\n"
    "        graph a(%0: f32[4]) {\n"
    "          return %0\n"
    "        }\n"
    "        graph b(%0: f32[4]) {\n"
    "          %1 = psum[axis_name=\"zz\"] %0 : f32[4]\n"
    "          return %1\n"
    "        }\n"
    "      }\n"
    "      %3 = psum[axis_name=\"i\"] %2 : f32[4]\n"
    "      return %3\n"
    "    }\n"
    "  }\n"
    "  return %1\n"
    "}\n";

static const char kMemberLoops[] =
    "graph l(%0: f32[2,4]) {\n"
    "  %1 = pmap[axis_name=\"i\", axis_size=2, in_axes=[0], out_axes=[0]] %0 : f32[2,4] {\n"
    "    graph body(%0: f32[4]) {\n"
    "      %1 = axis_index[axis_name=\"i\"] : i32[]\n"
    "      %2 = constant[value=i32[]{2000000000}] : i32[]\n"
    "      %3 = mul %1, %2 : i32[]\n"
    "      %4 = constant[value=i32[]{0}] : i32[]\n"
    "      %5, %6 = while[n_consts=1] %3, %4, %0 : i32[], f32[4] {\n"
    "        graph c(%0: i32[], %1: i32[], %2: f32[4]) {\n"
    "          %3 = lt %1, %0 : bool[]\n"
    "          return %3\n"
    "        }\n"
    "        graph b(%0: i32[], %1: i32[], %2: f32[4]) {\n"
    "          %3 = constant[value=i32[]{1}] : i32[]\n"
    "          %4 = add %1, %3 : i32[]\n"
    "          %5 = add %2, %2 : f32[4]\n"
    "          return %4, %5\n"
    "        }\n"
    "      }\n"
    "      %7 = psum[axis_name=\"i\"] %6 : f32[4]\n"
    "      return %7\n"
    "    }\n"
    "  }\n"
    "  return %1\n"
    "}\n";

static jet_status run_one(const compiled *c, const jet_exec_ctl *ctl) {
  const jet_type *t = &c->src->value_types[0];
  float *x = calloc(1, jet_type_nbytes(t));
  jet_buf a = {*t, x}, out[1];
  jet_status st = jet_program_run(c->prog, &a, 1, NULL, out, ctl);
  if (!st) jet_mem_free(out[0].data);
  free(x);
  return st;
}

static void test_member_error_aborts_others(void **state) {
  (void)state;
  compiled c = compile_text(kMemberFails);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  /* A safety deadline far away: the error must come long before it. */
  jet_exec_ctl ctl = {.deadline_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec +
                                     (int64_t)10 * 1000000000};
  for (int rep = 0; rep < 5; rep++) {
    const double t0 = now_s();
    jet_status st = run_one(&c, &ctl);
    const double took = now_s() - t0;
    assert_non_null(st);
    const char *msg = jet_status_message(st);
    if (jet_status_code(st) != JET_INVALID_ARGUMENT || !strstr(msg, "pmap member ") ||
        strstr(msg, "pmap member 0") || !strstr(msg, "unbound axis name: zz"))
      fail_msg("got %s: %s", jet_code_name(jet_status_code(st)), msg);
    if (took > 2.0) fail_msg("the failing member took %.3f s to stop the others", took);
    jet_status_free(st);
  }
  compiled_free(&c);

  compiled l = compile_text(kMemberLoops);
  clock_gettime(CLOCK_MONOTONIC, &now);
  ctl.deadline_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + 150000000;
  const double t0 = now_s();
  jet_status st = run_one(&l, &ctl);
  const double took = now_s() - t0;
  assert_non_null(st);
  if (jet_status_code(st) != JET_DEADLINE_EXCEEDED)
    fail_msg("got %s: %s", jet_code_name(jet_status_code(st)), jet_status_message(st));
  if (took < 0.14 || took > 1.5) fail_msg("the 150 ms deadline stopped the pmap after %.3f s", took);
  jet_status_free(st);
  /* A cancel flag already set: CANCELLED, nothing runs. */
  atomic_int flag;
  atomic_init(&flag, 1);
  jet_exec_ctl cc = {.cancelled = &flag};
  st = run_one(&l, &cc);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_CANCELLED);
  jet_status_free(st);
  compiled_free(&l);
}

/* ---- concurrent pmaps, devices in both orders ---- */

typedef struct conc {
  const compiled *c;
  uint32_t seed;
} conc;

static void *conc_thread(void *arg) {
  conc *k = arg;
  for (int rep = 0; rep < 40; rep++) run_collectives(k->c, 2, k->seed + (uint32_t)rep);
  return NULL;
}

static void test_concurrent_calls(void **state) {
  (void)state;
  static char text[8192];
  collective_text(text, sizeof text, 2, ", devices=[0, 1]");
  compiled a = compile_text(text);
  collective_text(text, sizeof text, 2, ", devices=[1, 0]");
  compiled b = compile_text(text);
  pthread_t th[4];
  conc k[4];
  for (int i = 0; i < 4; i++) {
    k[i] = (conc){.c = i % 2 ? &b : &a, .seed = (uint32_t)i * 1000};
    assert_int_equal(pthread_create(&th[i], NULL, conc_thread, &k[i]), 0);
  }
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  compiled_free(&a), compiled_free(&b);
}

/* ---- allocations ---- */

static void test_no_allocation_growth(void **state) {
  (void)state;
  static char text[8192];
  sgd_text(text, sizeof text, 4);
  compiled c = compile_text(text);
  float w[SGD_D] = {1, 2, 3}, b = 0, x[SGD_B * SGD_D], t[SGD_B];
  fill(x, SGD_B * SGD_D, 1);
  fill(t, SGD_B, 2);
  jet_buf a[4] = {{c.src->value_types[0], w}, {c.src->value_types[1], &b},
                  {c.src->value_types[2], x}, {c.src->value_types[3], t}};
  jet_buf o[2];
  uint64_t per[3];
  for (int k = 0; k < 3; k++) {
    const int runs = k == 0 ? 1 : k == 1 ? 10 : 50;
    const uint64_t before = jet_mem_alloc_count();
    for (int r = 0; r < runs; r++) {
      ok(jet_program_run(c.prog, a, 4, NULL, o, NULL));
      jet_mem_free(o[0].data), jet_mem_free(o[1].data);
    }
    per[k] = (jet_mem_alloc_count() - before) / (uint64_t)runs;
    assert_int_equal((jet_mem_alloc_count() - before) % (uint64_t)runs, 0);
  }
  assert_int_equal(per[0], per[1]);
  assert_int_equal(per[0], per[2]);
  /* Two outputs, the frame, the fused scratch: nothing per member. */
  if (per[0] > 4) fail_msg("%llu jet_mem allocations per run", (unsigned long long)per[0]);
  compiled_free(&c);
}

/* A sharded argument given as separate blocks (PutArray'd onto several
 * devices): a pmap over its leading axis reads each member's part from its
 * block (no gather); a program that also reads it whole refuses blocks. */
static void test_argument_blocks(void **state) {
  (void)state;
  static const char text[] =
      "graph f(%0: f32[4,3], %1: f32[3]) {\n"
      "  %2 = pmap[axis_name=\"i\", axis_size=4, in_axes=[0, -1], out_axes=[0]] %0, %1 :"
      " f32[4,3] {\n"
      "    graph body(%0: f32[3], %1: f32[3]) {\n"
      "      %2 = psum[axis_name=\"i\"] %0 : f32[3]\n"
      "      %3 = mul %0, %1 : f32[3]\n"
      "      %4 = add %2, %3 : f32[3]\n"
      "      return %4\n"
      "    }\n"
      "  }\n"
      "  return %2\n"
      "}\n";
  compiled c = compile_text(text);
  assert_true(jet_program_arg_takes_blocks(c.prog, 0));
  assert_false(jet_program_arg_takes_blocks(c.prog, 1)); /* unmapped: read whole */
  float whole[12], w[3] = {0.5f, -1, 2};
  fill(whole, 12, 7);
  for (uint32_t nb = 1; nb <= 4; nb *= 2) { /* 1, 2 and 4 blocks */
    float *blk[4];
    for (uint32_t k = 0; k < nb; k++) {
      blk[k] = malloc(sizeof whole / nb);
      memcpy(blk[k], whole + k * (12 / nb), sizeof whole / nb);
    }
    jet_arg_blocks b[2] = {{nb, (void *const *)blk}, {0, NULL}};
    jet_buf a[2] = {{c.src->value_types[0], NULL}, {c.src->value_types[1], w}};
    jet_buf o[1];
    ok(jet_program_run_blocks(c.prog, a, b, 2, NULL, o, NULL));
    for (int m = 0; m < 4; m++)
      for (int j = 0; j < 3; j++) {
        float ps = 0;
        for (int r = 0; r < 4; r++) ps += whole[r * 3 + j];
        const float want = ps + whole[m * 3 + j] * w[j];
        if (fabsf(((float *)o[0].data)[m * 3 + j] - want) > 1e-5f)
          fail_msg("%u blocks: member %d [%d]", nb, m, j);
      }
    jet_mem_free(o[0].data);
    for (uint32_t k = 0; k < nb; k++) free(blk[k]);
  }
  /* Blocks for the unmapped argument are refused. */
  float *wb[1] = {w};
  jet_arg_blocks bad[2] = {{0, NULL}, {1, (void *const *)wb}};
  jet_buf a[2] = {{c.src->value_types[0], whole}, {c.src->value_types[1], NULL}};
  jet_buf o[1];
  jet_status st = jet_program_run_blocks(c.prog, a, bad, 2, NULL, o, NULL);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "the program reads it whole"));
  jet_status_free(st);
  compiled_free(&c);
}

static int teardown(void **state) {
  (void)state, jet_device_exec_global_shutdown();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_single_op_matches_shards),
      cmocka_unit_test(test_several_ops_axes_match_shards),
      cmocka_unit_test(test_collectives_match_c),
      cmocka_unit_test(test_data_parallel_sgd),
      cmocka_unit_test(test_member_error_aborts_others),
      cmocka_unit_test(test_concurrent_calls),
      cmocka_unit_test(test_no_allocation_growth),
      cmocka_unit_test(test_argument_blocks),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
