/* Benchmark (not a test): the compiler's targets of issue 6, the jet side
 * and the machine's limits, measured in one run. The Python peers (numpy,
 * torch) and the table come from bench_compiler_peers.py; the one command
 * that runs both is run_compiler_bench.sh (see tests/bench/README.md).
 *
 * Limits measured here, in this process, before and after jetd's cases
 * (never at the same time):
 *   - STREAM-style triad a[i] = b[i] + s*c[i] over three 128 MiB float
 *     arrays (pre-faulted, one pthread per core splitting the range, best of
 *     N, 3 words per element) and a read-only dot sum(b[i]*c[i]) over two
 *     of them (2 words per element);
 *   - SLEEF tanhf (u10 and u35, AVX-512 when the CPU has it, else AVX2) over
 *     16M pre-faulted floats on all cores, best of N;
 *   - cblas_sgemm 2048x2048 on 1 thread and on all threads (median).
 * jetd's cases (a jetd of this build tree started through the integration
 * harness with `--log-level debug`, in the environment of this process):
 *   - the execute round trip of an empty graph (identity of f32[4]);
 *   - tanh(x*w + b)*0.5 + x over 16M f32 (w, b scalar parameters);
 *   - sum(x*y) over 16M f32;
 *   - 2048x2048 f32 matmul;
 *   - an MLP training step (3 dense layers of width 512, tanh, batch 256,
 *     MSE loss, value_and_grad w.r.t. all weights and biases through a call
 *     node, SGD update) as one compiled program;
 *   - compile times of 1,000-node graphs: cold, memory hit, and after a jetd
 *     restart with the same cache-dir (when jetd --help lists cache-dir);
 *   - a cached tiny executable (add of two inline f32[4]) against the empty
 *     unary grpc.health.v1 Check (and GetStats) on the same channel.
 * Arguments of the timed Executes live on the server (uploaded once) and
 * every output is kept there (keep_on_server); outputs are deleted after
 * each timed call, outside the timing. "jet" figures are client round trips
 * (median after warm-up). Server-side times come from jetd's debug log,
 * which ends every call with "METHOD OK (x ms)" (time from the call's start
 * to its status); compile figures also from CompileResponse (compile_us,
 * source, arena_bytes, intermediate_bytes), read with a raw Compile call.
 *
 * Results go to --out FILE (default stdout) as `key value` lines; progress
 * and checks to stderr.
 *
 * Usage: bench_compiler [--out FILE] [--runs N] [--tanh-floor u10|u35]
 *                       [--address HOST:PORT] */
#include <cblas.h>
#include <errno.h>
#include <ftw.h>
#include <immintrin.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef JET_BENCH_HAVE_SLEEF
/* sleef.h declares its AVX2 / AVX-512 functions only where those ISAs are
 * enabled; they are called from functions compiled for them (target
 * attributes) after a CPU check. */
#pragma GCC push_options
#pragma GCC target("avx2,fma,avx512f")
#include <sleef.h>
#pragma GCC pop_options
#endif

#include "daemon_harness.h"
#include "jet/arena.h"
#include "jet/jet.h"
#include "jet/protoconv.h"
#include "jet/v1/jet.pb-c.h"
#include "bench_util.h"

#ifndef JETD_PATH
#define JETD_PATH "jetd"
#endif

#define PROG "bench_compiler"
#define N16M (16 * 1024 * 1024)
#define STREAM_N (32 * 1024 * 1024) /* floats per array: 128 MiB */
#define MM 2048
#define BATCH 256
#define WIDTH 512
#define CHAIN_NODES 1000
#define MAX_THREADS 64
#define MAX_RUNS 4096

/* ======================================================================
 * Results file
 * ====================================================================== */

static FILE *g_out;

static void put_num(const char *key, double v) {
  fprintf(g_out, "%s %.6g\n", key, v);
  fflush(g_out);
}

static void put_str(const char *key, const char *v) {
  char buf[512];
  snprintf(buf, sizeof buf, "%s", v ? v : "");
  for (char *p = buf; *p; p++)
    if (*p == '\n' || *p == '\r') *p = ' ';
  fprintf(g_out, "%s %s\n", key, buf[0] ? buf : "-");
  fflush(g_out);
}

static void put_error(const char *case_name, jet_status st) {
  char key[96];
  snprintf(key, sizeof key, "%s.error", case_name);
  char msg[400];
  snprintf(msg, sizeof msg, "%s: %s", jet_code_name(jet_status_code(st)), jet_status_message(st));
  put_str(key, msg);
  fprintf(stderr, "%s: %s failed: %s\n", PROG, case_name, msg);
  jet_status_free(st);
}

/* ======================================================================
 * A team of threads (the calling thread is member 0)
 * ====================================================================== */

typedef void (*team_fn)(int tid, int n, void *arg);

typedef struct team {
  int n;
  pthread_t th[MAX_THREADS];
  int ids[MAX_THREADS];
  pthread_barrier_t go, done;
  team_fn fn;
  void *arg;
  bool quit;
} team;

static team g_team;

static void *team_main(void *p) {
  int tid = *(int *)p;
  for (;;) {
    pthread_barrier_wait(&g_team.go);
    if (g_team.quit) break;
    g_team.fn(tid, g_team.n, g_team.arg);
    pthread_barrier_wait(&g_team.done);
  }
  return NULL;
}

static int team_start(int n) {
  if (n < 1) n = 1;
  if (n > MAX_THREADS) n = MAX_THREADS;
  g_team.n = n;
  if (pthread_barrier_init(&g_team.go, NULL, (unsigned)n) != 0 ||
      pthread_barrier_init(&g_team.done, NULL, (unsigned)n) != 0)
    return -1;
  for (int i = 1; i < n; i++) {
    g_team.ids[i] = i;
    if (pthread_create(&g_team.th[i], NULL, team_main, &g_team.ids[i]) != 0) {
      g_team.n = i; /* run with the threads made so far */
      fprintf(stderr, "%s: only %d threads could be started\n", PROG, i);
      break;
    }
  }
  return 0;
}

/* Runs fn on every member; returns the wall time in seconds. */
static double team_run(team_fn fn, void *arg) {
  g_team.fn = fn;
  g_team.arg = arg;
  double t0 = bench_now_s();
  if (g_team.n > 1) pthread_barrier_wait(&g_team.go);
  fn(0, g_team.n, arg);
  if (g_team.n > 1) pthread_barrier_wait(&g_team.done);
  return bench_now_s() - t0;
}

static void team_stop(void) {
  g_team.quit = true;
  if (g_team.n > 1) pthread_barrier_wait(&g_team.go);
  for (int i = 1; i < g_team.n; i++) pthread_join(g_team.th[i], NULL);
  pthread_barrier_destroy(&g_team.go);
  pthread_barrier_destroy(&g_team.done);
}

/* [lo, hi) of member tid, in multiples of 64 elements. */
static void split(size_t n, int tid, int nt, size_t *lo, size_t *hi) {
  size_t blocks = n / 64;
  *lo = blocks * (size_t)tid / (size_t)nt * 64;
  *hi = tid == nt - 1 ? n : blocks * (size_t)(tid + 1) / (size_t)nt * 64;
}

/* ======================================================================
 * Limits: triad, read bandwidth, tanh, sgemm
 * ====================================================================== */

typedef float v8f __attribute__((vector_size(32)));

typedef struct kern_arg {
  float *a, *b, *c;
  size_t n;
  float s;
  double partial[MAX_THREADS];
  int variant; /* tanh: 0 avx512 u10, 1 avx512 u35, 2 avx2 u10, 3 avx2 u35 */
} kern_arg;

static bool g_avx2, g_avx512;

__attribute__((target("avx2,fma"))) static void triad_avx2(float *a, const float *b,
                                                            const float *c, float s, size_t n) {
  v8f sv = {s, s, s, s, s, s, s, s};
  for (size_t i = 0; i + 8 <= n; i += 8) {
    v8f x, y;
    memcpy(&x, b + i, sizeof x);
    memcpy(&y, c + i, sizeof y);
    v8f r = x + sv * y;
    memcpy(a + i, &r, sizeof r);
  }
}

__attribute__((target("avx2,fma"))) static double dot_avx2(const float *b, const float *c,
                                                            size_t n) {
  v8f acc[4] = {{0}, {0}, {0}, {0}};
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    for (int k = 0; k < 4; k++) {
      v8f x, y;
      memcpy(&x, b + i + 8 * k, sizeof x);
      memcpy(&y, c + i + 8 * k, sizeof y);
      acc[k] += x * y;
    }
  }
  v8f t = acc[0] + acc[1] + acc[2] + acc[3];
  double s = 0;
  for (int k = 0; k < 8; k++) s += t[k];
  for (; i < n; i++) s += (double)b[i] * c[i];
  return s;
}

static void init_kernel(int tid, int nt, void *p) {
  kern_arg *k = p;
  size_t lo, hi;
  split(k->n, tid, nt, &lo, &hi);
  uint64_t s = 0x9e3779b97f4a7c15ull * (uint64_t)(tid + 1);
  for (size_t i = lo; i < hi; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    float v = (float)(s >> 40) / (float)(1u << 24) * 2.0f - 1.0f;
    k->a[i] = 0.0f;
    k->b[i] = v;
    k->c[i] = 0.5f * v;
  }
}

static void triad_kernel(int tid, int nt, void *p) {
  kern_arg *k = p;
  size_t lo, hi;
  split(k->n, tid, nt, &lo, &hi);
  if (g_avx2) {
    triad_avx2(k->a + lo, k->b + lo, k->c + lo, k->s, hi - lo);
  } else {
    for (size_t i = lo; i < hi; i++) k->a[i] = k->b[i] + k->s * k->c[i];
  }
}

static void dot_kernel(int tid, int nt, void *p) {
  kern_arg *k = p;
  size_t lo, hi;
  split(k->n, tid, nt, &lo, &hi);
  double s = 0;
  if (g_avx2) {
    s = dot_avx2(k->b + lo, k->c + lo, hi - lo);
  } else {
    for (size_t i = lo; i < hi; i++) s += (double)k->b[i] * k->c[i];
  }
  k->partial[tid] = s;
}

#ifdef JET_BENCH_HAVE_SLEEF
__attribute__((target("avx512f"))) static void tanh16(const float *x, float *y, size_t n, int u35) {
  size_t i = 0;
  if (u35) {
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Sleef_tanhf16_u35avx512f(_mm512_loadu_ps(x + i)));
  } else {
    for (; i + 16 <= n; i += 16) _mm512_storeu_ps(y + i, Sleef_tanhf16_u10avx512f(_mm512_loadu_ps(x + i)));
  }
  for (; i < n; i++) y[i] = tanhf(x[i]);
}

__attribute__((target("avx2,fma"))) static void tanh8(const float *x, float *y, size_t n, int u35) {
  size_t i = 0;
  if (u35) {
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_tanhf8_u35avx2(_mm256_loadu_ps(x + i)));
  } else {
    for (; i + 8 <= n; i += 8) _mm256_storeu_ps(y + i, Sleef_tanhf8_u10avx2(_mm256_loadu_ps(x + i)));
  }
  for (; i < n; i++) y[i] = tanhf(x[i]);
}
#endif

/* Without SLEEF there is no vectorised tanh to time: the compute floor is
 * reported as n/a. */
#ifdef JET_BENCH_HAVE_SLEEF
static void tanh_kernel(int tid, int nt, void *p) {
  kern_arg *k = p;
  size_t lo, hi;
  split(k->n, tid, nt, &lo, &hi);
  if (k->variant < 2)
    tanh16(k->b + lo, k->a + lo, hi - lo, k->variant == 1);
  else
    tanh8(k->b + lo, k->a + lo, hi - lo, k->variant == 3);
}
#endif

/* 2 MiB aligned, transparent huge pages requested (faults here cost ~13 us
 * per 4 KiB page, machine-limits.md 2b); pre-faulted by the caller. */
static float *big_alloc(size_t bytes) {
  void *p = NULL;
  if (posix_memalign(&p, 2u << 20, bytes) != 0) return NULL;
  madvise(p, bytes, MADV_HUGEPAGE);
  return p;
}

static double best_of(team_fn fn, kern_arg *k, int reps) {
  team_run(fn, k); /* warm-up */
  double best = 1e30;
  for (int i = 0; i < reps; i++) {
    double t = team_run(fn, k);
    if (t < best) best = t;
  }
  return best;
}

static volatile double g_sink;

static int measure_limits(int reps, const char *tanh_floor) {
  kern_arg k;
  memset(&k, 0, sizeof k);
  size_t bytes = (size_t)STREAM_N * sizeof(float);
  k.a = big_alloc(bytes);
  k.b = big_alloc(bytes);
  k.c = big_alloc(bytes);
  if (!k.a || !k.b || !k.c) {
    fprintf(stderr, "%s: out of memory for the bandwidth arrays\n", PROG);
    free(k.a), free(k.b), free(k.c);
    return -1;
  }
  k.n = STREAM_N;
  k.s = 3.0f;
  team_run(init_kernel, &k); /* first touch, by the thread that uses each half */
  put_num("limits.threads", g_team.n);
  put_num("limits.stream_array_mib", (double)bytes / (1 << 20));

  double t = best_of(triad_kernel, &k, reps);
  double triad = 3.0 * (double)bytes / t / 1e9;
  put_num("limits.triad_gbs", triad);
  fprintf(stderr, "%s: triad %.1f GB/s (%d threads, best of %d)\n", PROG, triad, g_team.n, reps);

  t = best_of(dot_kernel, &k, reps);
  double s = 0;
  for (int i = 0; i < g_team.n; i++) s += k.partial[i];
  g_sink = s;
  double readbw = 2.0 * (double)bytes / t / 1e9;
  put_num("limits.read_gbs", readbw);
  fprintf(stderr, "%s: read-only dot %.1f GB/s\n", PROG, readbw);

  /* tanh over 16M floats in [-5, 5): input b, output a (both faulted) */
  k.n = N16M;
  for (size_t i = 0; i < (size_t)N16M; i++) k.b[i] = 10.0f * ((float)i / (float)N16M) - 5.0f;
  static const char *const names[4] = {"avx512_u10", "avx512_u35", "avx2_u10", "avx2_u35"};
  bool u35 = strcmp(tanh_floor, "u35") == 0;
  double floor_t = 0;
  const char *floor_name = "n/a";
#ifdef JET_BENCH_HAVE_SLEEF
  int first = g_avx512 ? 0 : (g_avx2 ? 2 : 4); /* 4: neither, nothing timed */
  for (int v = first; v < 4 && v < first + 2; v++) {
    k.variant = v;
    double tv = best_of(tanh_kernel, &k, reps);
    char key[64];
    snprintf(key, sizeof key, "limits.tanh_%s_ms", names[v]);
    put_num(key, tv * 1e3);
    fprintf(stderr, "%s: SLEEF tanhf %s over 16M: %.2f ms (%d threads)\n", PROG, names[v], tv * 1e3,
            g_team.n);
    if ((v % 2 == 1) == u35) {
      floor_t = tv;
      floor_name = names[v];
    }
  }
#else
  (void)names;
  (void)u35;
#endif
  if (floor_t > 0) {
    put_num("limits.tanh_floor_ms", floor_t * 1e3);
    put_str("limits.tanh_floor_variant", floor_name);
  } else {
    put_str("limits.tanh_floor_variant", "n/a (built without SLEEF)");
  }
  free(k.a);
  free(k.b);
  free(k.c);
  return 0;
}

static double gemm_run(const float *a, const float *b, float *c, int reps) {
  double *t = calloc((size_t)reps, sizeof *t);
  if (!t) return 0;
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, MM, MM, MM, 1.0f, a, MM, b, MM, 0.0f, c,
              MM);
  for (int i = 0; i < reps; i++) {
    double t0 = bench_now_s();
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, MM, MM, MM, 1.0f, a, MM, b, MM, 0.0f,
                c, MM);
    t[i] = bench_now_s() - t0;
  }
  double m = bench_median(t, reps);
  free(t);
  return m;
}

static void measure_sgemm(int reps) {
  size_t bytes = (size_t)MM * MM * sizeof(float);
  float *a = big_alloc(bytes), *b = big_alloc(bytes), *c = big_alloc(bytes);
  if (!a || !b || !c) {
    fprintf(stderr, "%s: out of memory for sgemm\n", PROG);
    free(a), free(b), free(c);
    return;
  }
  for (size_t i = 0; i < (size_t)MM * MM; i++) {
    a[i] = (float)((i * 7) % 13) / 13.0f - 0.5f;
    b[i] = (float)((i * 5) % 11) / 11.0f - 0.5f;
    c[i] = 0;
  }
  double flop = 2.0 * MM * (double)MM * MM;
  int nmax = openblas_get_num_threads();
  openblas_set_num_threads(1);
  double t1 = gemm_run(a, b, c, reps);
  openblas_set_num_threads(nmax);
  double tn = gemm_run(a, b, c, reps);
  if (t1 > 0) put_num("limits.sgemm_1t_gflops", flop / t1 / 1e9);
  if (tn > 0) put_num("limits.sgemm_nt_gflops", flop / tn / 1e9);
  put_num("limits.sgemm_nt_threads", nmax);
  fprintf(stderr, "%s: cblas_sgemm %d: %.1f GFLOP/s (1 thread), %.1f GFLOP/s (%d threads)\n", PROG,
          MM, t1 > 0 ? flop / t1 / 1e9 : 0, tn > 0 ? flop / tn / 1e9 : 0, nmax);
  free(a);
  free(b);
  free(c);
}

/* ======================================================================
 * jetd: log parsing, process facts
 * ====================================================================== */

typedef struct bench {
  jet_client *c;
  jet_test_daemon *d;
  const char *address;
  const char *log; /* NULL with --address */
  int runs;
  char cache_dir[256]; /* "" when jetd has no cache-dir */
} bench;

static long log_size(const bench *b) {
  struct stat st;
  return b->log && stat(b->log, &st) == 0 ? (long)st.st_size : 0;
}

/* Server-side times (ms) of "METHOD OK (x ms)" lines written after offset. */
static int log_times(const bench *b, long offset, const char *method, double *ms, int cap) {
  if (!b->log) return 0;
  FILE *f = fopen(b->log, "r");
  if (!f) return 0;
  if (fseek(f, offset, SEEK_SET) != 0) {
    fclose(f);
    return 0;
  }
  char pat[96], line[4096];
  snprintf(pat, sizeof pat, "] %s OK (", method);
  int n = 0;
  while (n < cap && fgets(line, sizeof line, f)) {
    char *p = strstr(line, pat);
    double v;
    if (p && sscanf(p + strlen(pat), "%lf", &v) == 1) ms[n++] = v;
  }
  fclose(f);
  return n;
}

/* Median server-side ms of `method` since offset, or -1. */
static double log_median(const bench *b, long offset, const char *method) {
  double *t = calloc(MAX_RUNS, sizeof *t);
  if (!t) return -1;
  int n = log_times(b, offset, method, t, MAX_RUNS);
  double m = n > 0 ? bench_median(t, n) : -1;
  free(t);
  return m;
}

/* The path of the first mapped file of process `pid` ("self" or a number)
 * whose name contains `needle`. */
static void mapped_lib(const char *pid, const char *needle, char *out, size_t cap) {
  snprintf(out, cap, "n/a");
  char path[64];
  snprintf(path, sizeof path, "/proc/%s/maps", pid);
  FILE *f = fopen(path, "r");
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    char *slash = strchr(line, '/');
    if (slash && strstr(slash, needle)) {
      slash[strcspn(slash, "\n")] = '\0';
      snprintf(out, cap, "%s", slash);
      break;
    }
  }
  fclose(f);
}

static int proc_threads(long pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  int n = -1;
  if (!f) return -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "Threads: %d", &n) == 1) break;
  fclose(f);
  return n;
}

/* The first log line mentioning an instruction set ("isa", "avx"). */
static void log_isa(const bench *b) {
  if (!b->log) return;
  FILE *f = fopen(b->log, "r");
  if (!f) return;
  char line[1024];
  while (fgets(line, sizeof line, f)) {
    if (strstr(line, "isa") || strstr(line, "ISA") || strstr(line, "avx512") ||
        strstr(line, "avx2")) {
      char *msg = strstr(line, "jetd ");
      put_str("jetd.tile_isa", msg ? msg + 5 : line);
      break;
    }
  }
  fclose(f);
}

static int jetd_supports(const char *flag) {
  const char *argv[] = {JETD_PATH, "--help", NULL};
  jet_test_proc_result r;
  if (jet_test_run_program(argv, NULL, 10000, &r) != 0) return 0;
  int yes = (r.out && strstr(r.out, flag)) || (r.err && strstr(r.err, flag));
  jet_test_proc_result_free(&r);
  return yes;
}

static int start_daemon(bench *b) {
  const char *args[8] = {"--log-level", "debug", NULL, NULL, NULL};
  if (b->cache_dir[0]) {
    args[2] = "--cache-dir";
    args[3] = b->cache_dir;
  }
  if (jet_test_daemon_start(args, &b->d) != 0) return -1;
  b->address = jet_test_daemon_address(b->d);
  b->log = jet_test_daemon_log_path(b->d);
  return 0;
}

static jet_status open_client(bench *b) {
  jet_client_options o = {0};
  o.address = b->address;
  o.client_name = PROG;
  return jet_client_open(&o, &b->c);
}

/* ======================================================================
 * Executing with handles
 * ====================================================================== */

static jet_status put_f32(bench *b, int rank, const int64_t *dims, const float *data,
                          jet_array **out) {
  jet_type t = jet_type_make(JET_F32, rank, dims);
  return jet_array_put(b->c, &t, data, out);
}

/* One Execute with every output kept on the server; the outputs are
 * returned in outs (caller frees) or, when outs is NULL, freed at once
 * (outside *rtt). */
static jet_status exec_kept(jet_executable *e, jet_array *const *in, size_t n_in,
                            jet_array **outs, double *rtt) {
  jet_arg args[16];
  jet_result res[16];
  size_t n_out = jet_executable_num_outputs(e);
  if (n_in > 16 || n_out > 16) return jet_status_make(JET_INTERNAL, "too many arguments");
  for (size_t i = 0; i < n_in; i++) args[i] = jet_arg_of_array(in[i]);
  memset(res, 0, sizeof res);
  for (size_t i = 0; i < n_out; i++) res[i].keep_on_server = true;
  double t0 = bench_now_s();
  jet_status st = jet_execute(e, args, n_in, res, n_out);
  if (rtt) *rtt = bench_now_s() - t0;
  if (st) return st;
  jet_array *kept[16];
  for (size_t i = 0; i < n_out; i++) kept[i] = res[i].array;
  if (outs) {
    memcpy(outs, kept, n_out * sizeof *kept);
    return NULL;
  }
  return jet_arrays_free(kept, n_out);
}

/* Median client round trip and server-side time (ms) of `runs` Executes
 * after two warm-ups. */
static jet_status time_exec(bench *b, jet_executable *e, jet_array *const *in, size_t n_in,
                            double *client_ms, double *server_ms) {
  double *t = calloc((size_t)b->runs, sizeof *t);
  if (!t) return jet_status_oom("timings");
  jet_status st = NULL;
  for (int i = 0; i < 2 && !st; i++) st = exec_kept(e, in, n_in, NULL, NULL);
  long off = log_size(b);
  for (int i = 0; i < b->runs && !st; i++) st = exec_kept(e, in, n_in, NULL, &t[i]);
  if (!st) {
    *client_ms = bench_median(t, b->runs) * 1e3;
    *server_ms = log_median(b, off, "Execute");
  }
  free(t);
  return st;
}

static void put_times(const char *key, double client_ms, double server_ms) {
  char k[96];
  snprintf(k, sizeof k, "%s_ms", key);
  put_num(k, client_ms);
  snprintf(k, sizeof k, "%s_server_ms", key);
  if (server_ms >= 0) put_num(k, server_ms);
  fprintf(stderr, "%s: %s: %.3f ms round trip, server %.3f ms\n", PROG, key, client_ms, server_ms);
}

static void fill_uniform(float *d, size_t n, uint64_t seed, float scale) {
  uint64_t s = seed;
  for (size_t i = 0; i < n; i++) {
    s = s * 6364136223846793005ull + 1442695040888963407ull;
    d[i] = scale * ((float)(s >> 40) / (float)(1u << 24) * 2.0f - 1.0f);
  }
}

static jet_value scalar_const(jet_builder *g, float v) {
  jet_type t = jet_type_scalar(JET_F32);
  return jet_constant(g, &t, &v);
}

static jet_value bcast(jet_builder *g, jet_value s, const int64_t *shape, size_t rank) {
  return jet_broadcast_in_dim(g, s, shape, rank, NULL, 0);
}

/* ---- empty graph: identity of a kept f32[4] ---- */

static jet_status case_empty(bench *b) {
  int64_t four = 4;
  jet_type t = jet_type_make(JET_F32, 1, &four);
  jet_builder *g = jet_builder_create("identity");
  if (!g) return jet_status_oom("builder");
  jet_value x = jet_builder_param(g, &t);
  jet_status st = jet_builder_return(g, &x, 1);
  jet_executable *e = NULL;
  if (!st) st = jet_compile(b->c, g, NULL, 0, &e);
  jet_builder_destroy(g);
  float d[4] = {1, 2, 3, 4};
  jet_array *a = NULL;
  if (!st) st = put_f32(b, 1, &four, d, &a);
  double cm = 0, sm = -1;
  if (!st) st = time_exec(b, e, &a, 1, &cm, &sm);
  if (!st) put_times("jet.empty", cm, sm);
  jet_status st2 = jet_array_free(a);
  if (!st) st = st2;
  else jet_status_free(st2);
  return st;
}

/* ---- the elementwise chain and the fused reduction ---- */

static jet_status case_chain_and_sum(bench *b) {
  int64_t n = N16M;
  float *x = malloc((size_t)n * sizeof *x), *y = malloc((size_t)n * sizeof *y);
  float *out = malloc((size_t)n * sizeof *out);
  if (!x || !y || !out) {
    free(x), free(y), free(out);
    return jet_status_oom("16M arrays");
  }
  fill_uniform(x, (size_t)n, 1, 1.0f);
  fill_uniform(y, (size_t)n, 2, 1.0f);
  const float w = 0.75f, bias = 0.1f;
  jet_type tx = jet_type_make(JET_F32, 1, &n), ts = jet_type_scalar(JET_F32);

  jet_builder *g = jet_builder_create("chain");
  jet_builder *h = jet_builder_create("sum_xy");
  if (!g || !h) {
    jet_builder_destroy(g), jet_builder_destroy(h);
    free(x), free(y), free(out);
    return jet_status_oom("builder");
  }
  jet_value px = jet_builder_param(g, &tx), pw = jet_builder_param(g, &ts);
  jet_value pb = jet_builder_param(g, &ts);
  jet_value z = jet_add(g, jet_mul(g, px, bcast(g, pw, &n, 1)), bcast(g, pb, &n, 1));
  jet_value r = jet_add(g, jet_mul(g, jet_tanh(g, z), bcast(g, scalar_const(g, 0.5f), &n, 1)), px);
  jet_status st = jet_builder_return(g, &r, 1);
  jet_value hx = jet_builder_param(h, &tx), hy = jet_builder_param(h, &tx);
  const int64_t ax0 = 0;
  jet_value s = jet_reduce_sum(h, jet_mul(h, hx, hy), &ax0, 1);
  if (!st) st = jet_builder_return(h, &s, 1);

  jet_executable *ec = NULL, *es = NULL;
  if (!st) st = jet_compile(b->c, g, NULL, 0, &ec);
  if (!st) st = jet_compile(b->c, h, NULL, 0, &es);
  jet_builder_destroy(g);
  jet_builder_destroy(h);
  jet_array *ax = NULL, *ay = NULL, *aw = NULL, *ab = NULL;
  if (!st) st = jet_array_put(b->c, &tx, x, &ax);
  if (!st) st = jet_array_put(b->c, &tx, y, &ay);
  if (!st) st = jet_array_put(b->c, &ts, &w, &aw);
  if (!st) st = jet_array_put(b->c, &ts, &bias, &ab);

  double cm = 0, sm = -1;
  jet_array *cin[3] = {ax, aw, ab}, *sin_[2] = {ax, ay};
  if (!st) st = time_exec(b, ec, cin, 3, &cm, &sm);
  if (!st) put_times("jet.chain", cm, sm);
  if (!st) {
    /* check: one more run, fetched */
    jet_array *o = NULL;
    st = exec_kept(ec, cin, 3, &o, NULL);
    if (!st) st = jet_array_get(o, out, (size_t)n * sizeof *out);
    if (o) jet_status_free(jet_array_free(o));
    double maxerr = 0;
    for (size_t i = 0; !st && i < (size_t)n; i += 997) {
      double ref = tanh((double)x[i] * w + bias) * 0.5 + x[i];
      double e = fabs(ref - out[i]);
      if (e > maxerr || isnan(e)) maxerr = isnan(e) ? INFINITY : e;
    }
    if (!st) {
      put_num("check.chain_max_abs_err", maxerr);
      if (maxerr > 1e-5) fprintf(stderr, "%s: WARNING: chain result off by %g\n", PROG, maxerr);
    }
  }
  if (!st) st = time_exec(b, es, sin_, 2, &cm, &sm);
  if (!st) put_times("jet.sum", cm, sm);
  if (!st) {
    jet_array *o = NULL;
    float got = 0;
    st = exec_kept(es, sin_, 2, &o, NULL);
    if (!st) st = jet_array_get(o, &got, sizeof got);
    if (o) jet_status_free(jet_array_free(o));
    double ref = 0;
    for (size_t i = 0; i < (size_t)n; i++) ref += (double)x[i] * y[i];
    if (!st) {
      double rel = fabs(got - ref) / fmax(fabs(ref), 1.0);
      put_num("check.sum_rel_err", rel);
      if (!(rel < 1e-3)) fprintf(stderr, "%s: WARNING: sum %g, expected %g\n", PROG, got, ref);
    }
  }
  jet_array *all[4] = {ax, ay, aw, ab};
  jet_status st2 = jet_arrays_free(all, 4);
  if (!st) st = st2;
  else jet_status_free(st2);
  free(x), free(y), free(out);
  return st;
}

/* ---- matmul ---- */

static jet_status case_matmul(bench *b) {
  int64_t dims[2] = {MM, MM};
  size_t n = (size_t)MM * MM;
  float *a = malloc(n * sizeof *a), *c = malloc(n * sizeof *c);
  if (!a || !c) {
    free(a), free(c);
    return jet_status_oom("matrices");
  }
  fill_uniform(a, n, 3, 1.0f);
  fill_uniform(c, n, 4, 1.0f);
  jet_type t = jet_type_make(JET_F32, 2, dims);
  jet_builder *g = jet_builder_create("matmul");
  if (!g) {
    free(a), free(c);
    return jet_status_oom("builder");
  }
  jet_value pa = jet_builder_param(g, &t), pc = jet_builder_param(g, &t);
  const int64_t c1 = 1, c0 = 0;
  jet_value r = jet_dot_general(g, pa, pc, &c1, 1, &c0, 1, NULL, 0, NULL, 0);
  jet_status st = jet_builder_return(g, &r, 1);
  jet_executable *e = NULL;
  if (!st) st = jet_compile(b->c, g, NULL, 0, &e);
  jet_builder_destroy(g);
  jet_array *aa = NULL, *ac = NULL;
  if (!st) st = jet_array_put(b->c, &t, a, &aa);
  if (!st) st = jet_array_put(b->c, &t, c, &ac);
  jet_array *in[2] = {aa, ac};
  double cm = 0, sm = -1;
  if (!st) st = time_exec(b, e, in, 2, &cm, &sm);
  if (!st) {
    put_times("jet.matmul", cm, sm);
    put_num("jet.matmul_gflops", 2.0 * MM * (double)MM * MM / (cm * 1e-3) / 1e9);
    if (sm > 0) put_num("jet.matmul_server_gflops", 2.0 * MM * (double)MM * MM / (sm * 1e-3) / 1e9);
  }
  if (!st) {
    jet_array *o = NULL;
    float *out = malloc(n * sizeof *out);
    if (!out) st = jet_status_oom("matmul output");
    if (!st) st = exec_kept(e, in, 2, &o, NULL);
    if (!st) st = jet_array_get(o, out, n * sizeof *out);
    if (o) jet_status_free(jet_array_free(o));
    double maxerr = 0;
    for (int k = 0; !st && k < 16; k++) {
      size_t i = (size_t)(k * 131) % MM, j = (size_t)(k * 977 + 5) % MM;
      double ref = 0;
      for (size_t q = 0; q < MM; q++) ref += (double)a[i * MM + q] * c[q * MM + j];
      double e2 = fabs(ref - out[i * MM + j]);
      if (e2 > maxerr || isnan(e2)) maxerr = isnan(e2) ? INFINITY : e2;
    }
    if (!st) {
      put_num("check.matmul_max_abs_err", maxerr);
      if (maxerr > 1e-2) fprintf(stderr, "%s: WARNING: matmul off by %g\n", PROG, maxerr);
    }
    free(out);
  }
  jet_status st2 = jet_arrays_free(in, 2);
  if (!st) st = st2;
  else jet_status_free(st2);
  free(a), free(c);
  return st;
}

/* ---- raw Compile (for the CompileResponse figures) ---- */

typedef struct compile_figs {
  char source[32];
  bool cache_hit;
  uint64_t compile_us, arena_bytes, intermediate_bytes;
  uint32_t steps, fused_steps;
} compile_figs;

static jet_status raw_compile(const bench *b, const jet_graph *g, compile_figs *f) {
  memset(f, 0, sizeof *f);
  jet_arena *a = jet_arena_create(1 << 16);
  if (!a) return jet_status_oom("arena");
  Jet__V1__CompileRequest req = JET__V1__COMPILE_REQUEST__INIT;
  jet_status st = jet_graph_to_proto(g, a, &req.graph);
  jet_test_raw_result res;
  memset(&res, 0, sizeof res);
  if (!st && jet_test_raw_call_msg(b->address, "/jet.v1.Jet/Compile", &req.base, NULL, 60000,
                                   &res) != 0)
    st = jet_status_make(JET_UNAVAILABLE, "raw Compile call failed");
  if (!st && res.code != GRPC_STATUS_OK)
    st = jet_status_make(JET_INTERNAL, "raw Compile: status %d: %s", (int)res.code,
                         res.details ? res.details : "");
  if (!st) {
    Jet__V1__CompileResponse *r = (Jet__V1__CompileResponse *)jet_test_raw_unpack(
        &res, &jet__v1__compile_response__descriptor);
    if (!r) {
      st = jet_status_make(JET_INTERNAL, "raw Compile: the reply does not parse");
    } else {
      snprintf(f->source, sizeof f->source, "%s", r->source ? r->source : "");
      f->cache_hit = r->cache_hit;
      f->compile_us = r->compile_us;
      f->arena_bytes = r->arena_bytes;
      f->intermediate_bytes = r->intermediate_bytes;
      f->steps = r->steps;
      f->fused_steps = r->fused_steps;
      protobuf_c_message_free_unpacked(&r->base, NULL);
    }
  }
  jet_test_raw_result_free(&res);
  jet_arena_destroy(a);
  return st;
}

/* ---- MLP training step ---- */

static jet_value dense(jet_builder *g, jet_value h, jet_value w, jet_value bias, bool act) {
  const int64_t c1 = 1, c0 = 0, shape[2] = {BATCH, WIDTH};
  jet_value m = jet_dot_general(g, h, w, &c1, 1, &c0, 1, NULL, 0, NULL, 0);
  jet_value z = jet_add(g, m, jet_broadcast_in_dim(g, bias, shape, 2, &c1, 1));
  return act ? jet_tanh(g, z) : z;
}

static void mlp_params(jet_builder *g, jet_value *p) {
  const int64_t ww[2] = {WIDTH, WIDTH}, wb = WIDTH, xb[2] = {BATCH, WIDTH};
  for (int l = 0; l < 3; l++) {
    jet_type tw = jet_type_make(JET_F32, 2, ww), tb = jet_type_make(JET_F32, 1, &wb);
    p[2 * l] = jet_builder_param(g, &tw);
    p[2 * l + 1] = jet_builder_param(g, &tb);
  }
  jet_type tx = jet_type_make(JET_F32, 2, xb);
  p[6] = jet_builder_param(g, &tx);
  p[7] = jet_builder_param(g, &tx);
}

static jet_status build_mlp_step(jet_builder **loss_out, jet_builder **step_out) {
  jet_builder *loss = jet_builder_create("mlp_loss"), *step = jet_builder_create("mlp_sgd_step");
  if (!loss || !step) {
    jet_builder_destroy(loss), jet_builder_destroy(step);
    return jet_status_oom("builder");
  }
  jet_value p[8];
  mlp_params(loss, p);
  jet_value h = dense(loss, p[6], p[0], p[1], true);
  h = dense(loss, h, p[2], p[3], true);
  jet_value o = dense(loss, h, p[4], p[5], false);
  jet_value d = jet_sub(loss, o, p[7]);
  const int64_t axes[2] = {0, 1};
  jet_value s = jet_reduce_sum(loss, jet_square(loss, d), axes, 2);
  jet_value l = jet_mul(loss, s, scalar_const(loss, 1.0f / (BATCH * WIDTH)));
  jet_status st = jet_builder_return(loss, &l, 1);

  jet_value q[8], outs[7], res[7];
  for (int i = 0; i < 7; i++) outs[i] = res[i] = JET_NO_VALUE;
  mlp_params(step, q);
  static const int32_t argnums[6] = {0, 1, 2, 3, 4, 5};
  jet_transform vg = jet_tf_value_and_grad(argnums, 6, false);
  if (!st) jet_call(step, loss, q, 8, &vg, 1, outs, 7);
  jet_value lr = scalar_const(step, 0.01f);
  res[0] = outs[0];
  for (int i = 0; i < 6 && !st; i++) {
    const jet_type *t = jet_builder_value_type(step, q[i]);
    if (!t) break;
    jet_value lrb = jet_broadcast_in_dim(step, lr, t->dims, (size_t)t->rank, NULL, 0);
    res[1 + i] = jet_sub(step, q[i], jet_mul(step, lrb, outs[1 + i]));
  }
  if (!st) st = jet_builder_return(step, res, 7);
  if (st) {
    jet_builder_destroy(loss), jet_builder_destroy(step);
    return st;
  }
  *loss_out = loss;
  *step_out = step;
  return NULL;
}

static jet_status case_mlp(bench *b) {
  jet_builder *loss = NULL, *step = NULL;
  JET_RETURN_IF_ERROR(build_mlp_step(&loss, &step));
  put_num("jet.mlp_nodes", jet_graph_total_nodes(jet_builder_graph(step)));
  jet_executable *e = NULL;
  jet_status st = jet_compile(b->c, step, NULL, 0, &e);
  compile_figs f;
  if (!st) {
    jet_status st2 = raw_compile(b, jet_builder_graph(step), &f);
    if (st2) {
      put_error("jet.mlp_compile_info", st2);
    } else {
      put_num("jet.mlp_arena_bytes", (double)f.arena_bytes);
      put_num("jet.mlp_intermediate_bytes", (double)f.intermediate_bytes);
      put_num("jet.mlp_steps", f.steps);
      put_num("jet.mlp_fused_steps", f.fused_steps);
    }
  }
  jet_array *in[8] = {0};
  size_t cap = (size_t)(BATCH > WIDTH ? BATCH : WIDTH) * WIDTH;
  float *buf = malloc(cap * sizeof *buf);
  if (!buf && !st) st = jet_status_oom("MLP data");
  for (int i = 0; i < 8 && !st; i++) {
    const jet_type *t = jet_builder_value_type(step, (jet_value)i);
    size_t n = (size_t)jet_type_numel(t);
    if (n > cap) {
      st = jet_status_make(JET_INTERNAL, "MLP parameter %d has %zu elements", i, n);
      break;
    }
    float scale = i < 6 ? (i % 2 == 0 ? 0.044f : 0.1f) : 1.0f; /* ~1/sqrt(512) */
    fill_uniform(buf, n, 100 + (uint64_t)i, scale);
    st = jet_array_put(b->c, t, buf, &in[i]);
  }
  free(buf);
  double cm = 0, sm = -1;
  if (!st) st = time_exec(b, e, in, 8, &cm, &sm);
  if (!st) put_times("jet.mlp", cm, sm);
  if (!st) {
    jet_array *o[7] = {0};
    float l = NAN;
    st = exec_kept(e, in, 8, o, NULL);
    if (!st) st = jet_array_get(o[0], &l, sizeof l);
    if (!st) put_num("check.mlp_loss", l);
    if (!st && !isfinite(l)) fprintf(stderr, "%s: WARNING: MLP loss %g\n", PROG, l);
    if (o[0]) jet_status_free(jet_arrays_free(o, 7));
  }
  jet_status st2 = jet_arrays_free(in, 8);
  if (!st) st = st2;
  else jet_status_free(st2);
  jet_builder_destroy(loss);
  jet_builder_destroy(step);
  return st;
}

/* ---- compile times of a 1,000-node graph ---- */

/* x: f32[64]; c = broadcast(k-dependent constant); then mul(v, c),
 * add(v, x), tanh(v) in turn up to CHAIN_NODES nodes. */
static jet_status build_big(int k, jet_builder **out) {
  jet_builder *g = jet_builder_create("chain1000");
  if (!g) return jet_status_oom("builder");
  const int64_t n = 64;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value x = jet_builder_param(g, &t);
  jet_value c = bcast(g, scalar_const(g, 1.0f + (float)k * (1.0f / 65536.0f)), &n, 1);
  jet_value v = x;
  for (int i = 2; i < CHAIN_NODES; i++) {
    switch (i % 3) {
      case 0: v = jet_mul(g, v, c); break;
      case 1: v = jet_add(g, v, x); break;
      default: v = jet_tanh(g, v); break;
    }
  }
  jet_status st = jet_builder_return(g, &v, 1);
  if (st) {
    jet_builder_destroy(g);
    return st;
  }
  *out = g;
  return NULL;
}

static int g_graph_k = 1; /* a fresh constant for every cold graph */

typedef struct compile_state {
  int seen_libjet; /* k of a graph compiled through libjet */
  int seen_raw;    /* k of a graph compiled with a raw call */
} compile_state;

static void put_figs(const char *key, double client_ms, double server_ms, const compile_figs *f) {
  char k[96];
  if (client_ms >= 0) {
    snprintf(k, sizeof k, "%s_client_ms", key);
    put_num(k, client_ms);
  }
  if (f && f->compile_us) {
    snprintf(k, sizeof k, "%s_server_us", key);
    put_num(k, (double)f->compile_us);
  }
  if (server_ms >= 0) {
    snprintf(k, sizeof k, "%s_server_log_ms", key);
    put_num(k, server_ms);
  }
  if (f) {
    snprintf(k, sizeof k, "%s_source", key);
    put_str(k, f->source[0] ? f->source : (f->cache_hit ? "(hit; source not reported)"
                                                        : "(miss; source not reported)"));
  }
}

static jet_status case_compile(bench *b, compile_state *cs) {
  int runs = b->runs;
  double *tc = calloc((size_t)runs, sizeof *tc), *ts = calloc((size_t)runs, sizeof *ts);
  double *th = calloc((size_t)runs * 3, sizeof *th), *tsh = calloc((size_t)runs * 3, sizeof *tsh);
  jet_status st = (!tc || !ts || !th || !tsh) ? jet_status_oom("timings") : NULL;
  compile_figs f, last_cold, last_hit;
  memset(&last_cold, 0, sizeof last_cold);
  memset(&last_hit, 0, sizeof last_hit);
  int n_cold_us = 0, n_hit_us = 0;
  jet_builder *g = NULL;
  if (!st) st = build_big(0, &g); /* warm-up graph */
  if (!st) put_num("compile.nodes", jet_graph_total_nodes(jet_builder_graph(g)));
  jet_executable *e = NULL;
  if (!st) st = jet_compile(b->c, g, NULL, 0, &e);
  jet_builder_destroy(g);
  g = NULL;
  /* cold: a graph never seen, through libjet (client time) and raw (server
   * figures), alternately */
  long off = log_size(b);
  for (int i = 0; i < runs && !st; i++) {
    int k = g_graph_k++;
    st = build_big(k, &g);
    if (st) break;
    jet_compile_info info;
    double t0 = bench_now_s();
    st = jet_compile_ex(b->c, jet_builder_graph(g), NULL, 0, NULL, &e, &info);
    tc[i] = bench_now_s() - t0;
    jet_compile_info_clear(&info);
    jet_builder_destroy(g);
    g = NULL;
    cs->seen_libjet = k;
  }
  double cold_log = log_median(b, off, "Compile");
  off = log_size(b);
  for (int i = 0; i < runs && !st; i++) {
    int k = g_graph_k++;
    st = build_big(k, &g);
    if (!st) st = raw_compile(b, jet_builder_graph(g), &f);
    if (!st) {
      ts[n_cold_us++] = (double)f.compile_us;
      last_cold = f;
      cs->seen_raw = k;
    }
    jet_builder_destroy(g);
    g = NULL;
  }
  double cold_raw_log = log_median(b, off, "Compile");
  if (!st) {
    put_figs("compile.cold", bench_median(tc, runs) * 1e3, cold_log, NULL);
    if (cold_raw_log >= 0) put_num("compile.cold_raw_server_log_ms", cold_raw_log);
    if (n_cold_us && bench_median(ts, n_cold_us) > 0)
      put_num("compile.cold_server_us", bench_median(ts, n_cold_us));
    put_str("compile.cold_source", last_cold.source[0] ? last_cold.source : "(not reported)");
  }
  /* hit: the last libjet graph again (the RPC is sent: bypass_cache) */
  if (!st) st = build_big(cs->seen_libjet, &g);
  int hits = runs * 3;
  off = log_size(b);
  bool all_hit = true;
  for (int i = 0; i < hits && !st; i++) {
    jet_compile_options o;
    memset(&o, 0, sizeof o);
    o.bypass_cache = true;
    jet_compile_info info;
    double t0 = bench_now_s();
    st = jet_compile_ex(b->c, jet_builder_graph(g), NULL, 0, &o, &e, &info);
    th[i] = bench_now_s() - t0;
    if (!st && !info.server_cache_hit) all_hit = false;
    jet_compile_info_clear(&info);
  }
  double hit_log = log_median(b, off, "Compile");
  for (int i = 0; i < hits && !st; i++) {
    st = raw_compile(b, jet_builder_graph(g), &f);
    if (!st) {
      tsh[n_hit_us++] = (double)f.compile_us;
      last_hit = f;
    }
  }
  jet_builder_destroy(g);
  if (!st) {
    put_figs("compile.hit", bench_median(th, hits) * 1e3, hit_log, NULL);
    put_str("compile.hit_all_server_hits", all_hit ? "yes" : "no");
    if (n_hit_us && bench_median(tsh, n_hit_us) > 0)
      put_num("compile.hit_server_us", bench_median(tsh, n_hit_us));
    put_str("compile.hit_source", last_hit.source[0] ? last_hit.source : "(not reported)");
    fprintf(stderr, "%s: compile 1000 nodes: cold %.3f ms, hit %.3f ms (client)\n", PROG,
            bench_median(tc, runs) * 1e3, bench_median(th, hits) * 1e3);
  }
  free(tc), free(ts), free(th), free(tsh);
  return st;
}

/* After a restart with the same cache-dir: the first compile of the seen
 * graphs (raw: source and server figures; libjet: client time). */
static jet_status case_restart(bench *b, const compile_state *cs) {
  jet_client_close(b->c);
  b->c = NULL;
  if (jet_test_daemon_stop(b->d) != 0) fprintf(stderr, "%s: jetd did not exit cleanly\n", PROG);
  b->d = NULL;
  if (start_daemon(b) != 0) return jet_status_make(JET_UNAVAILABLE, "jetd did not restart");
  JET_RETURN_IF_ERROR(open_client(b));
  jet_builder *g = NULL;
  compile_figs f;
  JET_RETURN_IF_ERROR(build_big(cs->seen_raw, &g));
  long off = log_size(b);
  jet_status st = raw_compile(b, jet_builder_graph(g), &f);
  double slog = log_median(b, off, "Compile");
  jet_builder_destroy(g);
  g = NULL;
  if (!st) put_figs("compile.restart", -1, slog, &f);
  if (!st) st = build_big(cs->seen_libjet, &g);
  if (!st) {
    jet_executable *e = NULL;
    jet_compile_info info;
    double t0 = bench_now_s();
    st = jet_compile_ex(b->c, jet_builder_graph(g), NULL, 0, NULL, &e, &info);
    double t = bench_now_s() - t0;
    if (!st) {
      put_num("compile.restart_client_ms", t * 1e3);
      put_str("compile.restart_libjet_server_hit", info.server_cache_hit ? "yes" : "no");
    }
    jet_compile_info_clear(&info);
  }
  jet_builder_destroy(g);
  return st;
}

/* ---- tiny executable vs empty unary RPCs ---- */

static jet_status case_tiny(bench *b) {
  int64_t four = 4;
  jet_type t = jet_type_make(JET_F32, 1, &four);
  jet_builder *g = jet_builder_create("tiny_add");
  if (!g) return jet_status_oom("builder");
  jet_value x = jet_builder_param(g, &t), y = jet_builder_param(g, &t);
  jet_value r = jet_add(g, x, y);
  jet_status st = jet_builder_return(g, &r, 1);
  jet_executable *e = NULL;
  if (!st) st = jet_compile(b->c, g, NULL, 0, &e);
  jet_builder_destroy(g);
  if (st) return st;
  float a[4] = {1, 2, 3, 4}, c[4] = {10, 20, 30, 40};
  jet_arg args[2] = {jet_arg_inline(&t, a), jet_arg_inline(&t, c)};
  int n = 1000 + 100 * b->runs;
  if (n > MAX_RUNS) n = MAX_RUNS;
  double *te = calloc((size_t)n, sizeof *te), *th = calloc((size_t)n, sizeof *th);
  double *tg = calloc((size_t)n, sizeof *tg);
  if (!te || !th || !tg) st = jet_status_oom("timings");
  long off = 0;
  for (int i = -100; i < n && !st; i++) {
    if (i == 0) off = log_size(b);
    jet_result res;
    memset(&res, 0, sizeof res);
    double t0 = bench_now_s();
    st = jet_execute_inline(e, args, 2, &res, 1);
    double t1 = bench_now_s();
    if (!st && (res.nbytes != sizeof a || ((float *)res.data)[3] != 44.0f))
      st = jet_status_make(JET_INTERNAL, "tiny add: wrong result");
    jet_result_clear(&res);
    if (st) break;
    int serving = 0;
    double t2 = bench_now_s();
    st = jet_client_health(b->c, &serving);
    double t3 = bench_now_s();
    if (st) break;
    jet_stats s;
    memset(&s, 0, sizeof s);
    double t4 = bench_now_s();
    st = jet_client_stats(b->c, &s);
    double t5 = bench_now_s();
    if (i == n - 1 && !st) {
      put_str("jetd.version", s.version);
      put_str("jetd.blas_core", s.blas_core);
      put_str("jetd.kernel_isa", s.kernel_isa);
    }
    jet_stats_clear(&s);
    if (i >= 0) {
      te[i] = t1 - t0;
      th[i] = t3 - t2;
      tg[i] = t5 - t4;
    }
  }
  if (!st) {
    put_num("tiny.calls", n);
    put_num("tiny.exec_us", bench_median(te, n) * 1e6);
    put_num("tiny.health_us", bench_median(th, n) * 1e6);
    put_num("tiny.stats_us", bench_median(tg, n) * 1e6);
    double se = log_median(b, off, "Execute"), sh = log_median(b, off, "Check"),
           sg = log_median(b, off, "GetStats");
    if (se >= 0) put_num("tiny.exec_server_us", se * 1e3);
    if (sh >= 0) put_num("tiny.health_server_us", sh * 1e3);
    if (sg >= 0) put_num("tiny.stats_server_us", sg * 1e3);
    fprintf(stderr, "%s: tiny Execute %.1f us, health Check %.1f us, GetStats %.1f us\n", PROG,
            bench_median(te, n) * 1e6, bench_median(th, n) * 1e6, bench_median(tg, n) * 1e6);
  }
  free(te), free(th), free(tg);
  return st;
}

/* ======================================================================
 * main
 * ====================================================================== */

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb, (void)flag, (void)ftw;
  return remove(path);
}

static void usage(void) {
  fprintf(stderr,
          "usage: %s [--out FILE] [--runs N] [--tanh-floor u10|u35] [--address HOST:PORT]\n",
          PROG);
}

int main(int argc, char **argv) {
  const char *out_path = NULL, *address = NULL, *tanh_floor = "u35";
  int runs = 7;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--out") == 0 && i + 1 < argc) {
      out_path = argv[++i];
    } else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = atoi(argv[++i]);
    } else if (strcmp(argv[i], "--tanh-floor") == 0 && i + 1 < argc) {
      tanh_floor = argv[++i];
    } else if (strcmp(argv[i], "--address") == 0 && i + 1 < argc) {
      address = argv[++i];
    } else {
      usage();
      return 2;
    }
  }
  if (runs < 1 || runs > 100) runs = 7;
  if (strcmp(tanh_floor, "u10") != 0 && strcmp(tanh_floor, "u35") != 0) {
    usage();
    return 2;
  }
  g_out = stdout;
  if (out_path && !(g_out = fopen(out_path, "w"))) {
    fprintf(stderr, "%s: cannot write %s: %s\n", PROG, out_path, strerror(errno));
    return 1;
  }
  __builtin_cpu_init();
  g_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  g_avx512 = __builtin_cpu_supports("avx512f");
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  put_num("machine.cpus", (double)ncpu);
  put_str("machine.isa", g_avx512 ? "avx512f" : g_avx2 ? "avx2" : "baseline");
  const char *ct = getenv("OPENBLAS_CORETYPE");
  put_str("env.OPENBLAS_CORETYPE", ct && ct[0] ? ct : "(unset)");
  const char *nt = getenv("OPENBLAS_NUM_THREADS");
  put_str("env.OPENBLAS_NUM_THREADS", nt && nt[0] ? nt : "(unset)");
  put_str("c.openblas_core", openblas_get_corename());
  put_str("c.openblas_config", openblas_get_config());
  put_num("c.openblas_threads", openblas_get_num_threads());
  char lib[512];
  mapped_lib("self", "openblas", lib, sizeof lib);
  put_str("c.openblas_lib", lib);
  put_num("runs", runs);

  if (team_start((int)(ncpu > 0 ? ncpu : 1)) != 0) {
    fprintf(stderr, "%s: cannot start threads\n", PROG);
    return 1;
  }
  int rc = measure_limits(10, tanh_floor) == 0 ? 0 : 1;
  team_stop();

  bench b;
  memset(&b, 0, sizeof b);
  b.runs = runs;
  if (address) {
    b.address = address;
  } else {
    if (jetd_supports("cache-dir")) {
      snprintf(b.cache_dir, sizeof b.cache_dir, "/tmp/jet-bench-cache-XXXXXX");
      if (!mkdtemp(b.cache_dir)) b.cache_dir[0] = '\0';
    }
    put_str("jetd.cache_dir_supported", b.cache_dir[0] ? "yes" : "no");
    if (start_daemon(&b) != 0) {
      fprintf(stderr, "%s: could not start jetd (%s)\n", PROG, JETD_PATH);
      return 1;
    }
    put_str("jetd.path", JETD_PATH);
  }
  jet_status st = open_client(&b);
  if (st) {
    put_error("client", st);
    jet_test_daemon_stop(b.d);
    return 1;
  }
  double t0 = bench_now_s();
  if ((st = case_empty(&b))) put_error("jet.empty", st);
  if ((st = case_chain_and_sum(&b))) put_error("jet.chain", st);
  if ((st = case_matmul(&b))) put_error("jet.matmul", st);
  if ((st = case_mlp(&b))) put_error("jet.mlp", st);
  compile_state cs = {0, 0};
  bool compiled = false;
  if ((st = case_compile(&b, &cs))) put_error("compile", st);
  else compiled = true;
  if ((st = case_tiny(&b))) put_error("tiny", st);
  if (b.d) {
    long pid = (long)jet_test_daemon_pid(b.d);
    char spid[32];
    snprintf(spid, sizeof spid, "%ld", pid);
    mapped_lib(spid, "openblas", lib, sizeof lib);
    put_str("jetd.openblas_lib", lib);
    put_num("jetd.threads", proc_threads(pid));
    log_isa(&b);
    if (b.cache_dir[0] && compiled) {
      if ((st = case_restart(&b, &cs))) put_error("compile.restart", st);
    }
  }
  fprintf(stderr, "%s: jetd cases took %.1f s\n", PROG, bench_now_s() - t0);
  jet_client_close(b.c);
  if (b.d && jet_test_daemon_stop(b.d) != 0) {
    fprintf(stderr, "%s: jetd did not exit cleanly\n", PROG);
    rc = 1;
  }
  if (b.cache_dir[0]) nftw(b.cache_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  measure_sgemm(runs < 5 ? 5 : runs);
  if (g_out != stdout) fclose(g_out);
  return rc;
}
