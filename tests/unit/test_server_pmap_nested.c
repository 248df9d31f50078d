/* Nested pmap (pmap(pmap(f, 'j'), 'i')): compiled (compiler/lower_control.c,
 * runtime/program_pmap.c, runtime/device_exec.c spans) and on the reference
 * executor (runtime/kernels/pmap.c), against independent references:
 * - a body without collectives (tanh of a mapped operand plus an unmapped
 *   one) vs the body run per (i, j) shard on the reference executor and
 *   stacked here, sizes (1,2), (2,2), (2,3), (4,2);
 * - psum / all_gather / axis_index over 'i', over 'j' and over both
 *   (psum_j(psum_i x)) inside the inner body vs hand-written C loops, same
 *   sizes (a collective over 'i' of member (i, j) spans the members (*, j));
 * - device reservation: with 4 executors fixed, a (2,4) nested call (it
 *   reserves devices 0..7, member (i, j) on i*4 + j) is refused naming a
 *   device that does not exist, a (2,2) one runs;
 * - two concurrent nested calls ((2,4) and (4,2)) and a concurrent flat
 *   pmap over 8 devices, 15 runs each on 3 threads, finish right;
 * - an inner pmap with explicit devices: UNIMPLEMENTED at compile
 *   ("Nested pmap with explicit devices argument.") and in both executors;
 *   explicit devices on the outer pmap of a nested one: UNIMPLEMENTED;
 * - inner member (1, 1) of (2, 2) failing alone, or looping until a 150 ms
 *   deadline, while the others wait in psums over 'i' and 'j': both
 *   executors return the error promptly (no hang). */
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

#include "compiler/cache.h"
#include "compiler/compile.h"
#include "compiler/lower.h"
#include "compiler/passes/passes.h"
#include "jet/text.h"
#include "runtime/device_exec.h"
#include "runtime/exec.h"
#include "runtime/mem.h"
#include "runtime/program.h"
#include "transforms/transforms.h"

#include "compiled_text.h"

/* Runs c compiled (ref = false) or on the reference executor. */
static jet_status run(const compiled *c, bool ref, const jet_buf *args, uint32_t n, jet_buf *out) {
  if (ref) return jet_exec_graph(c->src, args, n, out, NULL);
  return jet_program_run(c->prog, args, n, NULL, out, NULL);
}

static const long long kSizes[][2] = {{1, 2}, {2, 2}, {2, 3}, {4, 2}};
#define N_SIZES (sizeof kSizes / sizeof kSizes[0])

/* ---- no collectives: vs per-shard runs ---- */

static const char kF[] =
    "graph f(%0: f32[4], %1: f32[4]) {\n"
    "  %2 = tanh %0 : f32[4]\n"
    "  %3 = add %2, %1 : f32[4]\n"
    "  return %3\n"
    "}\n";

static void plain_text(char *t, size_t cap, long long a, long long b) {
  snprintf(t, cap,
           "graph g(%%0: f32[%lld,%lld,4], %%1: f32[4]) {\n"
           "  %%2 = pmap[axis_name=\"i\", axis_size=%lld, in_axes=[0, -1], out_axes=[0]] %%0, "
           "%%1 : f32[%lld,%lld,4] {\n"
           "    graph outer(%%0: f32[%lld,4], %%1: f32[4]) {\n"
           "      %%2 = pmap[axis_name=\"j\", axis_size=%lld, in_axes=[0, -1], out_axes=[0]] "
           "%%0, %%1 : f32[%lld,4] {\n"
           "        graph inner(%%0: f32[4], %%1: f32[4]) {\n"
           "          %%2 = tanh %%0 : f32[4]\n"
           "          %%3 = add %%2, %%1 : f32[4]\n"
           "          return %%3\n"
           "        }\n"
           "      }\n"
           "      return %%2\n"
           "    }\n"
           "  }\n"
           "  return %%2\n"
           "}\n",
           a, b, a, a, b, b, b, b);
}

static void test_plain_matches_shards(void **state) {
  (void)state;
  static char text[4096];
  jet_graph *f = NULL;
  ok(jet_graph_parse(kF, strlen(kF), &f));
  for (size_t s = 0; s < N_SIZES; s++) {
    const long long a = kSizes[s][0], b = kSizes[s][1];
    plain_text(text, sizeof text, a, b);
    compiled c = compile_text(text);
    const size_t N = (size_t)(a * b * 4);
    float *x = malloc(N * sizeof *x), y[4];
    fill(x, N, (uint32_t)s + 1);
    fill(y, 4, 77);
    jet_buf args[2] = {{c.src->value_types[0], x}, {c.src->value_types[1], y}};
    for (int ref = 0; ref < 2; ref++) {
      jet_buf out;
      ok(run(&c, ref, args, 2, &out));
      const float *o = out.data;
      for (long long ij = 0; ij < a * b; ij++) {
        jet_buf fa[2] = {{f->value_types[0], x + ij * 4}, {f->value_types[1], y}}, fo;
        ok(jet_exec_graph(f, fa, 2, &fo, NULL));
        const float *w = fo.data;
        for (int k = 0; k < 4; k++)
          if (fabsf(o[ij * 4 + k] - w[k]) > 1e-6f * (1 + fabsf(w[k])))
            fail_msg("(%lld,%lld) %s: member %lld elem %d: %g vs %g", a, b,
                     ref ? "reference" : "compiled", ij, k, o[ij * 4 + k], w[k]);
        jet_mem_free(fo.data);
      }
      jet_mem_free(out.data);
    }
    free(x);
    compiled_free(&c);
  }
  jet_graph_destroy(f);
}

/* ---- collectives over 'i', 'j' and both vs C ---- */

static void coll_text(char *t, size_t cap, long long a, long long b) {
  snprintf(t, cap,
           "graph g(%%0: f32[%lld,%lld,4]) {\n"
           "  %%1, %%2, %%3, %%4, %%5, %%6, %%7 = pmap[axis_name=\"i\", axis_size=%lld, "
           "in_axes=[0], out_axes=[0, 0, 0, 0, 0, 0, 0]] %%0 : f32[%lld,%lld,4], "
           "f32[%lld,%lld,4], f32[%lld,%lld,4], f32[%lld,%lld,%lld,4], f32[%lld,%lld,%lld,4], "
           "i32[%lld,%lld], i32[%lld,%lld] {\n"
           "    graph outer(%%0: f32[%lld,4]) {\n"
           "      %%1, %%2, %%3, %%4, %%5, %%6, %%7 = pmap[axis_name=\"j\", axis_size=%lld, "
           "in_axes=[0], out_axes=[0, 0, 0, 0, 0, 0, 0]] %%0 : f32[%lld,4], f32[%lld,4], "
           "f32[%lld,4], f32[%lld,%lld,4], f32[%lld,%lld,4], i32[%lld], i32[%lld] {\n"
           "        graph inner(%%0: f32[4]) {\n"
           "          %%1 = psum[axis_name=\"i\"] %%0 : f32[4]\n"
           "          %%2 = psum[axis_name=\"j\"] %%0 : f32[4]\n"
           "          %%3 = psum[axis_name=\"j\"] %%1 : f32[4]\n"
           "          %%4 = all_gather[axis_name=\"i\", axis_size=%lld, axis=0] %%0 : "
           "f32[%lld,4]\n"
           "          %%5 = all_gather[axis_name=\"j\", axis_size=%lld, axis=0] %%0 : "
           "f32[%lld,4]\n"
           "          %%6 = axis_index[axis_name=\"i\"] : i32[]\n"
           "          %%7 = axis_index[axis_name=\"j\"] : i32[]\n"
           "          return %%1, %%2, %%3, %%4, %%5, %%6, %%7\n"
           "        }\n"
           "      }\n"
           "      return %%1, %%2, %%3, %%4, %%5, %%6, %%7\n"
           "    }\n"
           "  }\n"
           "  return %%1, %%2, %%3, %%4, %%5, %%6, %%7\n"
           "}\n",
           a, b, a, a, b, a, b, a, b, a, b, a, a, b, b, a, b,
           a, b, b, b, b, b, b, b, a, b, b, b, b, a, a, b, b);
}

/* One run of the collective graph (a, b), every output checked by hand. */
static void run_coll(const compiled *c, bool ref, long long a, long long b, uint32_t seed) {
  const size_t A = (size_t)a, B = (size_t)b;
  float *x = malloc(A * B * 4 * sizeof *x);
  fill(x, A * B * 4, seed);
  jet_buf arg = {c->src->value_types[0], x}, out[7];
  jet_status st = run(c, ref, &arg, 1, out);
  if (st) fail_msg("(%lld,%lld) %s: %s", a, b, ref ? "reference" : "compiled",
                   jet_status_message(st));
  const float *pi = out[0].data, *pj = out[1].data, *pb = out[2].data, *gi = out[3].data,
              *gj = out[4].data;
  const int32_t *ai = out[5].data, *aj = out[6].data;
#define X(i, j, k) x[((i) * B + (j)) * 4 + (k)]
  for (size_t i = 0; i < A; i++)
    for (size_t j = 0; j < B; j++) {
      const size_t ij = i * B + j;
      for (size_t k = 0; k < 4; k++) {
        float si = 0, sj = 0, all = 0;
        for (size_t r = 0; r < A; r++) si += X(r, j, k);
        for (size_t r = 0; r < B; r++) sj += X(i, r, k);
        for (size_t r = 0; r < A; r++)
          for (size_t q = 0; q < B; q++) all += X(r, q, k);
        if (pi[ij * 4 + k] != si || pj[ij * 4 + k] != sj || pb[ij * 4 + k] != all)
          fail_msg("(%lld,%lld) %s member (%zu,%zu) k %zu: psum i %g/%g j %g/%g both %g/%g", a,
                   b, ref ? "reference" : "compiled", i, j, k, pi[ij * 4 + k], si,
                   pj[ij * 4 + k], sj, pb[ij * 4 + k], all);
        for (size_t r = 0; r < A; r++) assert_true(gi[(ij * A + r) * 4 + k] == X(r, j, k));
        for (size_t r = 0; r < B; r++) assert_true(gj[(ij * B + r) * 4 + k] == X(i, r, k));
      }
      assert_int_equal(ai[ij], (int32_t)i);
      assert_int_equal(aj[ij], (int32_t)j);
    }
#undef X
  for (int o = 0; o < 7; o++) jet_mem_free(out[o].data);
  free(x);
}

static void test_collectives_match_c(void **state) {
  (void)state;
  static char text[8192];
  for (size_t s = 0; s < N_SIZES; s++) {
    const long long a = kSizes[s][0], b = kSizes[s][1];
    coll_text(text, sizeof text, a, b);
    compiled c = compile_text(text);
    for (uint32_t seed = 1; seed <= 3; seed++) {
      run_coll(&c, false, a, b, seed);
      run_coll(&c, true, a, b, seed);
    }
    compiled_free(&c);
  }
}

/* ---- concurrency: two nested calls and a flat pmap over 8 devices ---- */

static const char kFlat8[] =
    "graph flat(%0: f32[8,4]) {\n"
    "  %1 = pmap[axis_name=\"k\", axis_size=8, in_axes=[0], out_axes=[0]] %0 : f32[8,4] {\n"
    "    graph body(%0: f32[4]) {\n"
    "      %1 = psum[axis_name=\"k\"] %0 : f32[4]\n"
    "      return %1\n"
    "    }\n"
    "  }\n"
    "  return %1\n"
    "}\n";

typedef struct conc {
  const compiled *c;
  long long a, b; /* 0: the flat pmap */
  uint32_t seed;
} conc;

static void *conc_thread(void *p) {
  conc *k = p;
  for (int rep = 0; rep < 15; rep++) {
    if (k->a) {
      run_coll(k->c, false, k->a, k->b, k->seed + (uint32_t)rep);
      continue;
    }
    float x[32];
    fill(x, 32, k->seed + (uint32_t)rep);
    jet_buf arg = {k->c->src->value_types[0], x}, out;
    ok(jet_program_run(k->c->prog, &arg, 1, NULL, &out, NULL));
    const float *o = out.data;
    for (int m = 0; m < 8; m++)
      for (int e = 0; e < 4; e++) {
        float s = 0;
        for (int r = 0; r < 8; r++) s += x[r * 4 + e];
        assert_true(o[m * 4 + e] == s);
      }
    jet_mem_free(out.data);
  }
  return NULL;
}

static void test_concurrent_nested_and_flat(void **state) {
  (void)state;
  static char text[8192];
  coll_text(text, sizeof text, 2, 4);
  compiled n24 = compile_text(text);
  coll_text(text, sizeof text, 4, 2);
  compiled n42 = compile_text(text);
  compiled flat = compile_text(kFlat8);
  conc k[3] = {{&n24, 2, 4, 100}, {&n42, 4, 2, 200}, {&flat, 0, 0, 300}};
  pthread_t th[3];
  for (int i = 0; i < 3; i++) assert_int_equal(pthread_create(&th[i], NULL, conc_thread, &k[i]), 0);
  for (int i = 0; i < 3; i++) pthread_join(th[i], NULL);
  compiled_free(&n24), compiled_free(&n42), compiled_free(&flat);
}

/* ---- errors ---- */

static const char kInnerDevices[] =
    "graph g(%0: f32[2,2,3]) {\n"
    "  %1 = pmap[axis_name=\"i\", axis_size=2, in_axes=[0], out_axes=[0]] %0 : f32[2,2,3] {\n"
    "    graph outer(%0: f32[2,3]) {\n"
    "      %1 = pmap[axis_name=\"j\", axis_size=2, in_axes=[0], out_axes=[0], devices=[1, 0]] "
    "%0 : f32[2,3] {\n"
    "        graph inner(%0: f32[3]) {\n"
    "          %1 = psum[axis_name=\"i\"] %0 : f32[3]\n"
    "          return %1\n"
    "        }\n"
    "      }\n"
    "      return %1\n"
    "    }\n"
    "  }\n"
    "  return %1\n"
    "}\n";

static void expect(jet_status st, jet_code code, const char *needle, const char *what) {
  if (!st) fail_msg("%s: no error", what);
  if (jet_status_code(st) != code || !strstr(jet_status_message(st), needle))
    fail_msg("%s: got %s: %s; expected %s with '%s'", what, jet_code_name(jet_status_code(st)),
             jet_status_message(st), jet_code_name(code), needle);
  jet_status_free(st);
}

static void test_inner_explicit_devices(void **state) {
  (void)state;
  compiled c = compile_text(kInnerDevices);
  float x[12] = {0};
  jet_buf arg = {c.src->value_types[0], x}, out;
  const char *needle = "Nested pmap with explicit devices argument.";
  expect(run(&c, false, &arg, 1, &out), JET_UNIMPLEMENTED, needle, "compiled");
  expect(run(&c, true, &arg, 1, &out), JET_UNIMPLEMENTED, needle, "reference");
  jet_cache *cache = jet_cache_create(4);
  jet_graph *g = NULL;
  ok(jet_graph_parse(kInnerDevices, strlen(kInnerDevices), &g));
  jet_executable *exe = NULL;
  bool hit = false;
  expect(jet_compiler_compile(cache, g, NULL, 0, NULL, 0, &exe, &hit), JET_UNIMPLEMENTED, needle,
         "compile");
  jet_cache_destroy(cache);
  compiled_free(&c);
  /* Explicit devices on the outer pmap of a nested one: not implemented
   * (lowering refuses it). */
  static char text[4096];
  plain_text(text, sizeof text, 2, 2);
  char *at = strstr(text, "out_axes=[0]]");
  assert_non_null(at);
  char fixed[4096];
  snprintf(fixed, sizeof fixed, "%.*sout_axes=[0], devices=[0, 2]]%s", (int)(at - text), text,
           at + strlen("out_axes=[0]]"));
  jet_graph *src = NULL, *flat = NULL, *clean = NULL;
  ok(jet_graph_parse(fixed, strlen(fixed), &src));
  ok(jet_transforms_apply(src, NULL, 0, &flat));
  ok(jet_passes_cleanup(flat, &clean));
  jet_program *prog = NULL;
  expect(jet_lower(clean, &prog), JET_UNIMPLEMENTED, "explicit devices on a pmap whose body",
         "outer devices");
  jet_graph_destroy(clean), jet_graph_destroy(flat);
}

/* Member (1, 1) of (2, 2) fails alone (an unbound psum in the cond branch
 * only it takes) or loops until the deadline, while the others wait in
 * psums over 'i' (split communicators) and 'j': everything returns. */
static void member_text(char *t, size_t cap, bool loop) {
  const char *bad = loop ? "          %1 = constant[value=i32[]{2000000000}] : i32[]\n"
                           "          %2 = constant[value=i32[]{0}] : i32[]\n"
                           "          %3, %4 = while[n_consts=1] %1, %2, %0 : i32[], f32[3] {\n"
                           "            graph c(%0: i32[], %1: i32[], %2: f32[3]) {\n"
                           "              %3 = lt %1, %0 : bool[]\n"
                           "              return %3\n"
                           "            }\n"
                           "            graph b(%0: i32[], %1: i32[], %2: f32[3]) {\n"
                           "              %3 = constant[value=i32[]{1}] : i32[]\n"
                           "              %4 = add %1, %3 : i32[]\n"
                           "              return %4, %2\n"
                           "            }\n"
                           "          }\n"
                           "          return %4\n"
                         : "          %1 = psum[axis_name=\"zz\"] %0 : f32[3]\n"
                           "          return %1\n";
  snprintf(t, cap,
           "graph g(%%0: f32[2,2,3]) {\n"
           "  %%1 = pmap[axis_name=\"i\", axis_size=2, in_axes=[0], out_axes=[0]] %%0 : "
           "f32[2,2,3] {\n"
           "    graph outer(%%0: f32[2,3]) {\n"
           "      %%1 = pmap[axis_name=\"j\", axis_size=2, in_axes=[0], out_axes=[0]] %%0 : "
           "f32[2,3] {\n"
           "        graph inner(%%0: f32[3]) {\n"
           "          %%1 = axis_index[axis_name=\"i\"] : i32[]\n"
           "          %%2 = axis_index[axis_name=\"j\"] : i32[]\n"
           "          %%3 = mul %%1, %%2 : i32[]\n"
           "          %%4 = cond %%3, %%0 : f32[3] {\n"
           "            graph a(%%0: f32[3]) {\n"
           "              return %%0\n"
           "            }\n"
           "            graph b(%%0: f32[3]) {\n"
           "%s"
           "            }\n"
           "          }\n"
           "          %%5 = psum[axis_name=\"i\"] %%4 : f32[3]\n"
           "          %%6 = psum[axis_name=\"j\"] %%5 : f32[3]\n"
           "          return %%6\n"
           "        }\n"
           "      }\n"
           "      return %%1\n"
           "    }\n"
           "  }\n"
           "  return %%1\n"
           "}\n",
           bad);
}

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void test_member_failure_stops_all(void **state) {
  (void)state;
  static char text[8192];
  for (int loop = 0; loop < 2; loop++) {
    member_text(text, sizeof text, loop);
    compiled c = compile_text(text);
    float x[12] = {0};
    jet_buf arg = {c.src->value_types[0], x}, out;
    for (int ref = 0; ref < 2; ref++) {
      struct timespec now;
      clock_gettime(CLOCK_MONOTONIC, &now);
      const int64_t ahead = loop ? 150000000 : (int64_t)10 * 1000000000;
      jet_exec_ctl ctl = {.deadline_ns = (int64_t)now.tv_sec * 1000000000 + now.tv_nsec + ahead};
      const double t0 = now_s();
      jet_status st = ref ? jet_exec_graph(c.src, &arg, 1, &out, &ctl)
                          : jet_program_run(c.prog, &arg, 1, NULL, &out, &ctl);
      const double took = now_s() - t0;
      const char *what = ref ? "reference" : "compiled";
      if (loop)
        expect(st, JET_DEADLINE_EXCEEDED, "deadline", what);
      else
        expect(st, JET_INVALID_ARGUMENT, "zz", what);
      if (took > 3.0) fail_msg("%s: the others stopped after %.3f s", what, took);
    }
    compiled_free(&c);
  }
}

/* Last: fixes 4 executors. A (2,4) nested call reserves devices 0..7; a
 * (4,1) one fits. */
static void test_too_many_devices(void **state) {
  (void)state;
  static char text[8192];
  jet_device_exec_global_shutdown();
  ok(jet_device_exec_global_init(4));
  coll_text(text, sizeof text, 2, 4);
  compiled c = compile_text(text);
  float x[32] = {0};
  jet_buf arg = {c.src->value_types[0], x}, out[7];
  expect(run(&c, false, &arg, 1, out), JET_INVALID_ARGUMENT, "does not exist (4 devices)",
         "(2,4) on 4 devices");
  compiled_free(&c);
  coll_text(text, sizeof text, 2, 2);
  c = compile_text(text);
  run_coll(&c, false, 2, 2, 9);
  compiled_free(&c);
  jet_device_exec_global_shutdown();
}

static int teardown(void **state) {
  (void)state, jet_device_exec_global_shutdown();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_plain_matches_shards),
      cmocka_unit_test(test_collectives_match_c),
      cmocka_unit_test(test_concurrent_nested_and_flat),
      cmocka_unit_test(test_inner_explicit_devices),
      cmocka_unit_test(test_member_failure_stops_all),
      cmocka_unit_test(test_too_many_devices),
  };
  return cmocka_run_group_tests(tests, NULL, teardown);
}
