/* jet_load: drives a running jetd with N concurrent clients x M mixed
 * requests and checks every result (issue 9, "proof under load").
 *
 *   jet_load --address A --clients N --requests M [--mix put,get,execute,
 *            compile,delete,stats] [--seed S] [--pid PID] [--warmup W]
 *            [--rss-tolerance-mb T]
 *
 * Each client is a thread with its own jet_client (its own session). Its
 * requests: PutArray of random sizes, GetArray (bytes compared with what was
 * sent), Execute of two precompiled graphs with inline arguments and with
 * handles (outputs compared with the same computation in C), Compile of
 * graphs with random constants (compile-cache misses) and of a few repeated
 * ones (hits), DeleteArray, GetStats. At the end each client frees what it
 * holds and closes. The tool then prints throughput, p50/p99/max latency per
 * kind and overall, errors by code, and the daemon's memory before and after:
 * GetStats live arrays/bytes and GetDevices in-use bytes must be exactly back
 * to their starting level, and jetd's VmRSS (with --pid) within a tolerance
 * (see README.md: glibc keeps freed pages in its arenas, the compile cache
 * legitimately keeps executables; the default is 64 MiB plus the growth of
 * GetStats' compile_cache_bytes). Exit 0 when there was no error and memory
 * came back; 1 otherwise; 2 for bad usage.
 *
 * This file owns the tool (fuzzload helper); it uses libjet as is. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jet/jet.h"

enum { K_PUT, K_GET, K_EXEC_INLINE, K_EXEC_HANDLE, K_COMPILE, K_DELETE, K_STATS, K_COUNT };
static const char *const kind_names[K_COUNT] = {"put",     "get",    "exec_inline", "exec_handle",
                                                "compile", "delete", "stats"};
#define EXEC_N 256   /* elements of the precompiled graphs' parameters */
#define CONST_N 8    /* elements of the compiled-with-constants graphs */
#define POOL_MAX 16  /* arrays a client keeps at most */
#define MAX_PUT 16384
#define CHECK_CODE 17 /* "code" of a wrong result in the error table */

typedef struct options {
  const char *address;
  int clients;
  long requests;
  long warmup;
  bool mix[K_COUNT];
  uint64_t seed;
  long pid;
  double rss_tol_mb;
} options;

typedef struct sample {
  uint8_t kind;
  float ms;
} sample;

typedef struct pooled {
  jet_array *arr;
  float *data;
  int64_t n;
} pooled;

typedef struct worker {
  const options *opt;
  int index;
  long n_requests;
  uint64_t rng;
  sample *samples;
  long n_samples;
  long errors[CHECK_CODE + 1];
  char first_error[256];
  long compile_hits, compile_misses;
  jet_client *c;
  jet_executable *affine, *sumsq; /* (x, w) -> x*w + x ; x -> sum(x*x) */
  pooled pool[POOL_MAX];
  int n_pool;
} worker;

static double now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static uint64_t rnd(worker *w) {
  w->rng ^= w->rng << 13;
  w->rng ^= w->rng >> 7;
  w->rng ^= w->rng << 17;
  return w->rng;
}

static float rnd_f(worker *w) { return (float)(rnd(w) % 2001) / 1000.0f - 1.0f; }

static void fail(worker *w, jet_code code, const char *what, const char *msg) {
  int k = (int)code <= CHECK_CODE ? (int)code : (int)JET_UNKNOWN;
  w->errors[k]++;
  if (!w->first_error[0])
    snprintf(w->first_error, sizeof w->first_error, "client %d: %s: %s", w->index, what, msg);
}

/* Records st (consuming it); returns true when it was OK. */
static bool ok(worker *w, jet_status st, const char *what) {
  if (!st) return true;
  fail(w, jet_status_code(st), what, jet_status_message(st));
  jet_status_free(st);
  return false;
}

static bool close_enough(float got, double want) {
  return fabs((double)got - want) <= 1e-4 * (1.0 + fabs(want));
}

static jet_status build_compile(jet_client *c, int kind, const float *cst, jet_executable **out,
                                jet_compile_info *info) {
  jet_builder *b = jet_builder_create(kind == 0 ? "affine" : kind == 1 ? "sumsq" : "addc");
  if (!b) return jet_status_oom("builder");
  int64_t n = kind == 2 ? CONST_N : EXEC_N, axis = 0;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value x = jet_builder_param(b, &t), y;
  if (kind == 0) {
    jet_value wv = jet_builder_param(b, &t);
    y = jet_add(b, jet_mul(b, x, wv), x);
  } else if (kind == 1) {
    y = jet_reduce_sum(b, jet_mul(b, x, x), &axis, 1);
  } else {
    y = jet_add(b, x, jet_constant(b, &t, cst));
  }
  jet_status st = jet_builder_return(b, &y, 1);
  jet_compile_options o = {.bypass_cache = kind == 2};
  if (!st) st = jet_compile_ex(c, jet_builder_graph(b), NULL, 0, &o, out, info);
  jet_builder_destroy(b);
  return st;
}

static void do_put(worker *w) {
  int64_t n = 1 + (int64_t)(rnd(w) % MAX_PUT);
  if (rnd(w) % 8 == 0) n = 1 + (int64_t)(rnd(w) % 16); /* many tiny ones too */
  pooled *p = &w->pool[w->n_pool];
  p->data = malloc((size_t)n * sizeof(float));
  if (!p->data) {
    fail(w, JET_RESOURCE_EXHAUSTED, "put", "out of memory (client side)");
    return;
  }
  for (int64_t i = 0; i < n; i++) p->data[i] = rnd_f(w);
  p->n = n;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  if (ok(w, jet_array_put(w->c, &t, p->data, &p->arr), "PutArray")) {
    w->n_pool++;
  } else {
    free(p->data);
  }
}

static void drop(worker *w, int i) {
  free(w->pool[i].data);
  w->pool[i] = w->pool[--w->n_pool];
}

static void do_get(worker *w) {
  pooled *p = &w->pool[rnd(w) % (uint64_t)w->n_pool];
  float *back = malloc((size_t)p->n * sizeof(float));
  if (!back) {
    fail(w, JET_RESOURCE_EXHAUSTED, "get", "out of memory (client side)");
    return;
  }
  if (ok(w, jet_array_get(p->arr, back, (size_t)p->n * sizeof(float)), "GetArray") &&
      memcmp(back, p->data, (size_t)p->n * sizeof(float)) != 0)
    fail(w, (jet_code)CHECK_CODE, "GetArray", "bytes differ from what was uploaded");
  free(back);
}

static void do_delete(worker *w) {
  int i = (int)(rnd(w) % (uint64_t)w->n_pool);
  ok(w, jet_array_free(w->pool[i].arr), "DeleteArray");
  drop(w, i);
}

/* Execute of affine or sumsq, inline or with handles (arguments uploaded,
 * output kept on the server, read back and deleted). */
static void do_exec(worker *w, bool handles) {
  float x[EXEC_N], wt[EXEC_N];
  for (int i = 0; i < EXEC_N; i++) x[i] = rnd_f(w), wt[i] = rnd_f(w);
  bool affine = rnd(w) % 2;
  int64_t n = EXEC_N;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_array *xa = NULL, *wa = NULL;
  jet_arg args[2] = {jet_arg_inline(&t, x), jet_arg_inline(&t, wt)};
  if (handles) {
    if (!ok(w, jet_array_put(w->c, &t, x, &xa), "PutArray (exec)")) return;
    if (affine && !ok(w, jet_array_put(w->c, &t, wt, &wa), "PutArray (exec)")) {
      ok(w, jet_array_free(xa), "DeleteArray (exec)");
      return;
    }
    args[0] = jet_arg_of_array(xa);
    if (affine) args[1] = jet_arg_of_array(wa);
  }
  jet_result r;
  memset(&r, 0, sizeof r);
  r.keep_on_server = handles;
  jet_executable *e = affine ? w->affine : w->sumsq;
  if (ok(w, jet_execute(e, args, affine ? 2 : 1, &r, 1), "Execute")) {
    float out[EXEC_N];
    size_t want_bytes = affine ? sizeof out : sizeof(float);
    bool got = true;
    if (handles) {
      got = ok(w, jet_array_get(r.array, out, want_bytes), "GetArray (exec output)");
      ok(w, jet_array_free(r.array), "DeleteArray (exec output)");
    } else if (r.nbytes != want_bytes) {
      fail(w, (jet_code)CHECK_CODE, "Execute", "output has the wrong size");
      got = false;
    } else {
      memcpy(out, r.data, want_bytes);
    }
    jet_result_clear(&r);
    if (got) {
      double s = 0;
      bool good = true;
      for (int i = 0; i < EXEC_N; i++) {
        if (affine) good = good && close_enough(out[i], (double)(x[i] * wt[i]) + x[i]);
        s += (double)x[i] * x[i];
      }
      if (!affine) good = close_enough(out[0], s);
      if (!good) fail(w, (jet_code)CHECK_CODE, "Execute", "output differs from the C computation");
    }
  }
  if (xa) ok(w, jet_array_free(xa), "DeleteArray (exec)");
  if (wa) ok(w, jet_array_free(wa), "DeleteArray (exec)");
}

/* Compile of x + c: c random (a miss) or one of 4 fixed ones (hits). */
static void do_compile(worker *w) {
  float cst[CONST_N];
  bool repeated = rnd(w) % 2;
  uint64_t which = rnd(w) % 4;
  for (int i = 0; i < CONST_N; i++)
    cst[i] = repeated ? (float)which + 0.25f * (float)i : rnd_f(w) * 1000.0f;
  jet_executable *e;
  jet_compile_info info;
  memset(&info, 0, sizeof info);
  if (ok(w, build_compile(w->c, 2, cst, &e, &info), "Compile")) {
    const jet_type *ot = jet_executable_output_type(e, 0);
    if (jet_executable_num_outputs(e) != 1 || !ot || ot->dtype != JET_F32 || ot->rank != 1 ||
        ot->dims[0] != CONST_N)
      fail(w, (jet_code)CHECK_CODE, "Compile", "wrong output type");
    if (info.server_cache_hit)
      w->compile_hits++;
    else
      w->compile_misses++;
  }
  jet_compile_info_clear(&info);
}

static void do_stats(worker *w) {
  jet_stats s;
  if (ok(w, jet_client_stats(w->c, &s), "GetStats")) {
    if (!s.version || s.sessions == 0)
      fail(w, (jet_code)CHECK_CODE, "GetStats", "no version or no session counted");
    jet_stats_clear(&s);
  }
}

static int pick_kind(worker *w) {
  for (;;) {
    int k = (int)(rnd(w) % K_COUNT);
    if (!w->opt->mix[k]) continue;
    if ((k == K_GET || k == K_DELETE) && w->n_pool == 0) k = K_PUT;
    if (k == K_PUT && w->n_pool == POOL_MAX) k = K_DELETE;
    if (!w->opt->mix[k]) continue;
    if ((k == K_GET || k == K_DELETE) && w->n_pool == 0) continue;
    return k;
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  jet_client_options co = {.address = w->opt->address, .client_name = "jet_load",
                           .connect_timeout_ms = 30000};
  if (!ok(w, jet_client_open(&co, &w->c), "connect")) return NULL;
  jet_client_set_timeout_ms(w->c, 60000);
  if (!ok(w, build_compile(w->c, 0, NULL, &w->affine, NULL), "Compile affine") ||
      !ok(w, build_compile(w->c, 1, NULL, &w->sumsq, NULL), "Compile sumsq")) {
    jet_client_close(w->c);
    return NULL;
  }
  for (long i = 0; i < w->n_requests; i++) {
    int k = pick_kind(w);
    double t0 = now_ms();
    switch (k) {
      case K_PUT: do_put(w); break;
      case K_GET: do_get(w); break;
      case K_EXEC_INLINE: do_exec(w, false); break;
      case K_EXEC_HANDLE: do_exec(w, true); break;
      case K_COMPILE: do_compile(w); break;
      case K_DELETE: do_delete(w); break;
      default: do_stats(w); break;
    }
    if (w->samples) w->samples[w->n_samples++] = (sample){(uint8_t)k, (float)(now_ms() - t0)};
  }
  while (w->n_pool > 0) {
    ok(w, jet_array_free(w->pool[w->n_pool - 1].arr), "DeleteArray (final)");
    drop(w, w->n_pool - 1);
  }
  jet_client_close(w->c);
  return NULL;
}

/* ---- memory of the daemon ---- */

typedef struct memview {
  uint64_t live_arrays, live_bytes, sessions, cache_bytes, cache_entries;
  uint64_t dev_in_use, dev_arrays;
  long rss_kb; /* -1 without --pid */
} memview;

static long read_rss_kb(long pid) {
  if (pid <= 0) return -1;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%ld/status", pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (strncmp(line, "VmRSS:", 6) == 0) kb = strtol(line + 6, NULL, 10);
  fclose(f);
  return kb;
}

static jet_status read_mem(jet_client *c, long pid, memview *m) {
  jet_stats s;
  JET_RETURN_IF_ERROR(jet_client_stats(c, &s));
  m->live_arrays = s.live_arrays;
  m->live_bytes = s.live_bytes;
  m->sessions = s.sessions;
  m->cache_bytes = s.compile_cache_bytes;
  m->cache_entries = s.compile_cache_entries;
  jet_stats_clear(&s);
  jet_device_info *d;
  size_t n;
  JET_RETURN_IF_ERROR(jet_client_devices(c, &d, &n));
  m->dev_in_use = m->dev_arrays = 0;
  for (size_t i = 0; i < n; i++) {
    m->dev_in_use += d[i].memory_in_use_bytes;
    m->dev_arrays += d[i].live_arrays;
  }
  jet_device_info_free(d);
  m->rss_kb = read_rss_kb(pid);
  return NULL;
}

static void print_mem(const char *label, const memview *m) {
  printf("memory %-9s live_arrays=%" PRIu64 " live_bytes=%" PRIu64 " device_in_use=%" PRIu64
         " device_arrays=%" PRIu64 " sessions=%" PRIu64 " cache_entries=%" PRIu64
         " cache_bytes=%" PRIu64,
         label, m->live_arrays, m->live_bytes, m->dev_in_use, m->dev_arrays, m->sessions,
         m->cache_entries, m->cache_bytes);
  if (m->rss_kb >= 0) printf(" rss_kb=%ld", m->rss_kb);
  printf("\n");
}

/* ---- running a round of workers and reporting ---- */

static int cmp_float(const void *a, const void *b) {
  float x = *(const float *)a, y = *(const float *)b;
  return (x > y) - (x < y);
}

static void print_latency(const char *name, float *v, long n) {
  if (n == 0) return;
  qsort(v, (size_t)n, sizeof *v, cmp_float);
  printf("  %-12s n=%-8ld p50=%8.3f ms  p99=%8.3f ms  max=%8.3f ms\n", name, n, v[n / 2],
         v[(long)((double)(n - 1) * 0.99)], v[n - 1]);
}

/* Runs opt->clients workers of per_client requests each. With report set,
 * prints throughput, latencies and errors. Returns the number of errors. */
static long run_round(const options *opt, long per_client, bool report) {
  int nc = opt->clients;
  worker *ws = calloc((size_t)nc, sizeof *ws);
  pthread_t *th = calloc((size_t)nc, sizeof *th);
  if (!ws || !th) {
    fprintf(stderr, "jet_load: out of memory\n");
    exit(1);
  }
  for (int i = 0; i < nc; i++) {
    ws[i].opt = opt;
    ws[i].index = i;
    ws[i].n_requests = per_client;
    ws[i].rng = (opt->seed + 1) * 0x9E3779B97F4A7C15ull ^ (uint64_t)(i + 1) * 0xBF58476D1CE4E5B9ull;
    if (!ws[i].rng) ws[i].rng = 1;
    if (report && !(ws[i].samples = malloc((size_t)per_client * sizeof(sample)))) {
      fprintf(stderr, "jet_load: out of memory for latency samples\n");
      exit(1);
    }
  }
  double t0 = now_ms();
  for (int i = 0; i < nc; i++)
    if (pthread_create(&th[i], NULL, worker_main, &ws[i]) != 0) {
      fprintf(stderr, "jet_load: pthread_create failed\n");
      exit(1);
    }
  for (int i = 0; i < nc; i++) pthread_join(th[i], NULL);
  double secs = (now_ms() - t0) / 1e3;
  long errors[CHECK_CODE + 1] = {0}, total_err = 0, hits = 0, misses = 0, total = 0;
  for (int i = 0; i < nc; i++) {
    for (int k = 0; k <= CHECK_CODE; k++) {
      errors[k] += ws[i].errors[k];
      total_err += ws[i].errors[k];
    }
    hits += ws[i].compile_hits;
    misses += ws[i].compile_misses;
    total += ws[i].n_samples;
  }
  if (report) {
    float *all = malloc((size_t)(total ? total : 1) * sizeof(float));
    float *one = malloc((size_t)(total ? total : 1) * sizeof(float));
    if (!all || !one) exit(1);
    printf("requests: %ld in %.2f s = %.0f req/s (%d clients x %ld)\n", total, secs,
           secs > 0 ? (double)total / secs : 0.0, nc, per_client);
    printf("latency per kind (client-side, whole request incl. checks):\n");
    long na = 0;
    for (int k = 0; k < K_COUNT; k++) {
      long n1 = 0;
      for (int i = 0; i < nc; i++)
        for (long j = 0; j < ws[i].n_samples; j++)
          if (ws[i].samples[j].kind == k) one[n1++] = all[na++] = ws[i].samples[j].ms;
      print_latency(kind_names[k], one, n1);
    }
    print_latency("overall", all, na);
    printf("compile: %ld server cache hits, %ld misses\n", hits, misses);
    printf("errors: %ld", total_err);
    for (int k = 0; k <= CHECK_CODE; k++)
      if (errors[k])
        printf(" %s=%ld", k == CHECK_CODE ? "WRONG_RESULT" : jet_code_name((jet_code)k), errors[k]);
    printf("\n");
    free(all);
    free(one);
  }
  for (int i = 0; i < nc; i++) {
    if (ws[i].first_error[0]) {
      fprintf(stderr, "jet_load: first error: %s\n", ws[i].first_error);
      break;
    }
  }
  for (int i = 0; i < nc; i++) free(ws[i].samples);
  free(ws);
  free(th);
  return total_err;
}

static void usage(void) {
  fprintf(stderr,
          "usage: jet_load --address HOST:PORT [--clients N] [--requests M]\n"
          "                [--mix put,get,execute,compile,delete,stats] [--seed S]\n"
          "                [--pid JETD_PID] [--warmup W] [--rss-tolerance-mb T]\n");
}

static int parse_mix(const char *s, options *o) {
  memset(o->mix, 0, sizeof o->mix);
  char buf[256];
  snprintf(buf, sizeof buf, "%s", s);
  for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
    if (!strcmp(t, "put")) o->mix[K_PUT] = true;
    else if (!strcmp(t, "get")) o->mix[K_GET] = true;
    else if (!strcmp(t, "execute")) o->mix[K_EXEC_INLINE] = o->mix[K_EXEC_HANDLE] = true;
    else if (!strcmp(t, "compile")) o->mix[K_COMPILE] = true;
    else if (!strcmp(t, "delete")) o->mix[K_DELETE] = true;
    else if (!strcmp(t, "stats")) o->mix[K_STATS] = true;
    else {
      fprintf(stderr, "jet_load: --mix: unknown kind \"%s\"\n", t);
      return -1;
    }
  }
  /* get/delete need arrays: a mix with them but without put still puts. */
  if ((o->mix[K_GET] || o->mix[K_DELETE]) && !o->mix[K_PUT]) o->mix[K_PUT] = true;
  for (int k = 0; k < K_COUNT; k++)
    if (o->mix[k]) return 0;
  fprintf(stderr, "jet_load: --mix is empty\n");
  return -1;
}

static int parse_args(int argc, char **argv, options *o) {
  *o = (options){.clients = 8, .requests = 200, .warmup = -1, .seed = 1, .pid = 0,
                 .rss_tol_mb = 64};
  for (int k = 0; k < K_COUNT; k++) o->mix[k] = true;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) return -1;
    if (!v) {
      fprintf(stderr, "jet_load: %s needs a value\n", a);
      return -1;
    }
    char *end = NULL;
    errno = 0;
    if (!strcmp(a, "--address")) o->address = v;
    else if (!strcmp(a, "--clients")) o->clients = (int)strtol(v, &end, 10);
    else if (!strcmp(a, "--requests")) o->requests = strtol(v, &end, 10);
    else if (!strcmp(a, "--warmup")) o->warmup = strtol(v, &end, 10);
    else if (!strcmp(a, "--seed")) o->seed = strtoull(v, &end, 10);
    else if (!strcmp(a, "--pid")) o->pid = strtol(v, &end, 10);
    else if (!strcmp(a, "--rss-tolerance-mb")) o->rss_tol_mb = strtod(v, &end);
    else if (!strcmp(a, "--mix")) {
      if (parse_mix(v, o)) return -1;
    } else {
      fprintf(stderr, "jet_load: unknown option %s\n", a);
      return -1;
    }
    if ((end && *end) || errno) {
      fprintf(stderr, "jet_load: %s: bad number \"%s\"\n", a, v);
      return -1;
    }
    i++;
  }
  if (!o->address || o->clients < 1 || o->clients > 4096 || o->requests < 0 || o->rss_tol_mb < 0) {
    fprintf(stderr, "jet_load: --address is required; --clients in 1..4096; --requests >= 0\n");
    return -1;
  }
  if (o->warmup < 0) o->warmup = o->requests / 100 < 10 ? 10 : o->requests / 100;
  return 0;
}

/* Polls until the sessions of the workers are gone on the server (they
 * close asynchronously) and live arrays are back to base, for up to 20 s. */
static jet_status settle(jet_client *c, const options *o, const memview *base, memview *m) {
  double t0 = now_ms();
  for (;;) {
    JET_RETURN_IF_ERROR(read_mem(c, o->pid, m));
    if ((m->sessions <= base->sessions && m->live_arrays == base->live_arrays) ||
        now_ms() - t0 > 20000)
      return NULL;
    nanosleep(&(struct timespec){0, 50 * 1000 * 1000}, NULL);
  }
}

int main(int argc, char **argv) {
  options o;
  if (parse_args(argc, argv, &o)) {
    usage();
    return 2;
  }
  setvbuf(stdout, NULL, _IOLBF, 0);
  jet_client *ctl;
  jet_client_options co = {.address = o.address, .client_name = "jet_load control"};
  jet_status st = jet_client_open(&co, &ctl);
  if (st) {
    fprintf(stderr, "jet_load: connect to %s: %s\n", o.address, jet_status_message(st));
    jet_status_free(st);
    return 1;
  }
  memview cold, base, after;
  int rc = 0;
  if ((st = read_mem(ctl, o.pid, &cold))) goto rpc_failed;
  print_mem("cold", &cold);
  /* The warm-up round creates what a daemon keeps for its life (gRPC
   * channels' buffers, thread stacks, malloc arenas) before the baseline. */
  if (o.warmup > 0 && run_round(&o, o.warmup, false) > 0) rc = 1;
  if ((st = settle(ctl, &o, &cold, &base))) goto rpc_failed;
  print_mem("start", &base);
  printf("run: %d clients x %ld requests, seed %" PRIu64 "\n", o.clients, o.requests, o.seed);
  if (run_round(&o, o.requests, true) > 0) rc = 1;
  if ((st = settle(ctl, &o, &base, &after))) goto rpc_failed;
  print_mem("end", &after);
  bool exact = after.live_arrays == base.live_arrays && after.live_bytes == base.live_bytes &&
               after.dev_in_use == base.dev_in_use && after.dev_arrays == base.dev_arrays;
  printf("memory arrays/bytes: %s (live_arrays %+" PRId64 ", live_bytes %+" PRId64
         ", device_in_use %+" PRId64 ")\n",
         exact ? "back to start" : "NOT back to start",
         (int64_t)(after.live_arrays - base.live_arrays),
         (int64_t)(after.live_bytes - base.live_bytes),
         (int64_t)(after.dev_in_use - base.dev_in_use));
  if (!exact) rc = 1;
  if (base.rss_kb >= 0 && after.rss_kb >= 0) {
    double cache_mb = after.cache_bytes > base.cache_bytes
                          ? (double)(after.cache_bytes - base.cache_bytes) / 1048576.0 : 0.0;
    double delta_mb = (double)(after.rss_kb - base.rss_kb) / 1024.0;
    double tol = o.rss_tol_mb + cache_mb;
    bool rss_ok = delta_mb <= tol;
    printf("memory rss: %s (start %.1f MiB, end %.1f MiB, delta %+.1f MiB, tolerance %.1f MiB ="
           " %.0f + compile cache growth %.1f)\n",
           rss_ok ? "back to start (within tolerance)" : "NOT back to start",
           (double)base.rss_kb / 1024.0,
           (double)after.rss_kb / 1024.0, delta_mb, tol, o.rss_tol_mb, cache_mb);
    if (!rss_ok) rc = 1;
  } else if (o.pid > 0) {
    printf("memory rss: unreadable (/proc/%ld/status)\n", o.pid);
    rc = 1;
  }
  printf("result: %s\n", rc ? "FAIL" : "OK");
  jet_client_close(ctl);
  return rc;
rpc_failed:
  fprintf(stderr, "jet_load: GetStats/GetDevices: %s\n", jet_status_message(st));
  jet_status_free(st);
  jet_client_close(ctl);
  return 1;
}
