/* Concurrency: 16 client threads x 200 mixed requests against one jetd,
 * first with one jet_client per thread, then with one client shared by all
 * threads. Every request must succeed with the right result, and once the
 * clients are closed the daemon holds no arrays. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"
#include "jet/jet.h"

#define N_THREADS 16
#define N_REQUESTS 200
#define N_KINDS 11

typedef struct worker {
  int index;
  const char *address;
  jet_client *shared; /* NULL: open an own client */
  char error[1024];   /* first failure, "" if none */
  long executes;      /* Execute RPCs this worker made */
} worker;

static atomic_long g_executes;

/* Records the first failure of a worker; returns -1 so callers can bail. */
static int fail_status(worker *w, int req, const char *what, jet_status st) {
  if (!w->error[0])
    snprintf(w->error, sizeof w->error, "thread %d request %d: %s: %s: %s", w->index, req, what,
             jet_code_name(jet_status_code(st)), jet_status_message(st));
  jet_status_free(st);
  return -1;
}

static int fail_text(worker *w, int req, const char *what) {
  if (!w->error[0])
    snprintf(w->error, sizeof w->error, "thread %d request %d: %s", w->index, req, what);
  return -1;
}

#define TRY(expr, what)                                    \
  do {                                                     \
    jet_status st_ = (expr);                               \
    if (st_) return fail_status(w, req, (what), st_);      \
  } while (0)

/* Small deterministic integer-valued data, so float results are exact. */
static void fill(float *x, int64_t n, unsigned seed) {
  for (int64_t i = 0; i < n; i++) x[i] = (float)((seed * 31u + (unsigned)i * 7u) % 19u) - 9.0f;
}

/* f(x, y) = x * y + x: the graph every thread compiles (a shared cache
 * entry on the daemon). */
static jet_builder *build_fma(int64_t n) {
  jet_builder *b = jet_builder_create("fma");
  if (!b) return NULL;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value x = jet_builder_param(b, &t);
  jet_value y = jet_builder_param(b, &t);
  jet_value out = jet_add(b, jet_mul(b, x, y), x);
  jet_status st = jet_builder_return(b, &out, 1);
  if (st) {
    jet_status_free(st);
    jet_builder_destroy(b);
    return NULL;
  }
  return b;
}

/* Compiles build_fma(n) on c (default options) into *e; returns 0, or -1
 * after recording the failure. */
static int compile_fma(worker *w, jet_client *c, int req, int64_t n, jet_executable **e) {
  jet_builder *b = build_fma(n);
  if (!b) return fail_text(w, req, "build_fma");
  jet_status st = jet_compile_ex(c, jet_builder_graph(b), NULL, 0, NULL, e, NULL);
  jet_builder_destroy(b);
  if (st) return fail_status(w, req, "compile", st);
  return 0;
}

static int one_request(worker *w, jet_client *c, int req, jet_array *persistent,
                       const float *persistent_data, int64_t persistent_n) {
  int kind = (req + w->index) % N_KINDS;
  int64_t n = 1 + (req * 37 + w->index * 11) % 300;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  float x[300], y[300], out[300];
  fill(x, n, (unsigned)(req + 1));
  fill(y, n, (unsigned)(req + 7 * w->index + 3));

  switch (kind) {
    case 0: { /* put, get, delete */
      jet_array *a;
      TRY(jet_array_put(c, &t, x, &a), "put");
      jet_status st = jet_array_get(a, out, sizeof out);
      if (st) {
        jet_status_free(jet_array_free(a));
        return fail_status(w, req, "get", st);
      }
      TRY(jet_array_free(a), "delete");
      if (memcmp(out, x, (size_t)n * sizeof(float)) != 0) return fail_text(w, req, "get: data differs");
      return 0;
    }
    case 1: { /* compile (a server cache hit after the first) */
      jet_builder *b = build_fma(n);
      if (!b) return fail_text(w, req, "build_fma");
      jet_compile_options opts = {.bypass_cache = true};
      jet_executable *e;
      jet_compile_info info;
      memset(&info, 0, sizeof info);
      jet_status st = jet_compile_ex(c, jet_builder_graph(b), NULL, 0, &opts, &e, &info);
      jet_builder_destroy(b);
      if (st) return fail_status(w, req, "compile", st);
      jet_compile_info_clear(&info);
      if (jet_executable_num_outputs(e) != 1) return fail_text(w, req, "compile: output count");
      const jet_type *ot = jet_executable_output_type(e, 0);
      if (!ot || !jet_type_equal(ot, &t)) return fail_text(w, req, "compile: output type");
      return 0;
    }
    case 2: { /* execute inline */
      jet_executable *e;
      if (compile_fma(w, c, req, n, &e) != 0) return -1;
      jet_arg args[2] = {jet_arg_inline(&t, x), jet_arg_inline(&t, y)};
      jet_result r;
      memset(&r, 0, sizeof r);
      w->executes++;
      TRY(jet_execute_inline(e, args, 2, &r, 1), "execute inline");
      int bad = r.nbytes != (size_t)n * sizeof(float);
      for (int64_t i = 0; !bad && i < n; i++) bad = ((float *)r.data)[i] != x[i] * y[i] + x[i];
      jet_result_clear(&r);
      return bad ? fail_text(w, req, "execute inline: wrong result") : 0;
    }
    case 3: { /* execute with handles, output kept on the server */
      jet_executable *e;
      if (compile_fma(w, c, req, n, &e) != 0) return -1;
      jet_array *a, *bb;
      TRY(jet_array_put(c, &t, x, &a), "put x");
      jet_status st = jet_array_put(c, &t, y, &bb);
      if (st) {
        jet_status_free(jet_array_free(a));
        return fail_status(w, req, "put y", st);
      }
      jet_arg args[2] = {jet_arg_of_array(a), jet_arg_of_array(bb)};
      jet_result r;
      memset(&r, 0, sizeof r);
      r.keep_on_server = true;
      w->executes++;
      st = jet_execute(e, args, 2, &r, 1);
      if (!st) st = jet_array_get(r.array, out, sizeof out);
      jet_status st2 = jet_array_free(r.array);
      jet_status st3 = jet_array_free(a);
      jet_status st4 = jet_array_free(bb);
      if (st) return fail_status(w, req, "execute handles", st);
      if (st2) return fail_status(w, req, "delete result", st2);
      if (st3) return fail_status(w, req, "delete x", st3);
      if (st4) return fail_status(w, req, "delete y", st4);
      for (int64_t i = 0; i < n; i++)
        if (out[i] != x[i] * y[i] + x[i]) return fail_text(w, req, "execute handles: wrong result");
      return 0;
    }
    case 4: { /* eager unary */
      jet_array *a, *r;
      TRY(jet_array_put(c, &t, x, &a), "put");
      w->executes++;
      jet_status st = jet_eager_unary(c, JET_OP_NEG, a, &r);
      if (st) {
        jet_status_free(jet_array_free(a));
        return fail_status(w, req, "eager neg", st);
      }
      st = jet_array_get(r, out, sizeof out);
      jet_status st2 = jet_array_free(r);
      jet_status st3 = jet_array_free(a);
      if (st) return fail_status(w, req, "get neg", st);
      if (st2) return fail_status(w, req, "delete neg", st2);
      if (st3) return fail_status(w, req, "delete x", st3);
      for (int64_t i = 0; i < n; i++)
        if (out[i] != -x[i]) return fail_text(w, req, "eager neg: wrong result");
      return 0;
    }
    case 5: { /* eager binary */
      jet_array *a, *bb, *r;
      TRY(jet_array_put(c, &t, x, &a), "put x");
      jet_status st = jet_array_put(c, &t, y, &bb);
      if (st) {
        jet_status_free(jet_array_free(a));
        return fail_status(w, req, "put y", st);
      }
      w->executes++;
      st = jet_eager_binary(c, JET_OP_SUB, a, bb, &r);
      if (!st) {
        st = jet_array_get(r, out, sizeof out);
        jet_status_free(jet_array_free(r));
      }
      jet_status st2 = jet_array_free(a);
      jet_status st3 = jet_array_free(bb);
      if (st) return fail_status(w, req, "eager sub", st);
      if (st2) return fail_status(w, req, "delete x", st2);
      if (st3) return fail_status(w, req, "delete y", st3);
      for (int64_t i = 0; i < n; i++)
        if (out[i] != x[i] - y[i]) return fail_text(w, req, "eager sub: wrong result");
      return 0;
    }
    case 6: { /* stats */
      jet_stats s;
      TRY(jet_client_stats(c, &s), "stats");
      int bad = s.sessions < 1 || !s.version || !s.version[0];
      jet_stats_clear(&s);
      return bad ? fail_text(w, req, "stats: sessions or version missing") : 0;
    }
    case 7: { /* devices */
      jet_device_info *d;
      size_t nd;
      TRY(jet_client_devices(c, &d, &nd), "devices");
      int bad = nd < 1 || strcmp(d[0].kind, "cpu") != 0;
      jet_device_info_free(d);
      return bad ? fail_text(w, req, "devices: no cpu device") : 0;
    }
    case 8: { /* health */
      int serving = 0;
      TRY(jet_client_health(c, &serving), "health");
      return serving == 1 ? 0 : fail_text(w, req, "health: not SERVING");
    }
    case 9: { /* the array put at the start is still intact */
      float *back = malloc((size_t)persistent_n * sizeof(float));
      if (!back) return fail_text(w, req, "malloc");
      jet_status st = jet_array_get(persistent, back, (size_t)persistent_n * sizeof(float));
      int bad = !st && memcmp(back, persistent_data, (size_t)persistent_n * sizeof(float)) != 0;
      free(back);
      if (st) return fail_status(w, req, "get persistent", st);
      return bad ? fail_text(w, req, "persistent array changed") : 0;
    }
    default: { /* an i32 array with a reduction, inline */
      int32_t xi[300];
      for (int64_t i = 0; i < n; i++) xi[i] = (int32_t)(i * 3 - 100 + w->index);
      jet_type ti = jet_type_make(JET_I32, 1, &n);
      jet_builder *b = jet_builder_create("sum");
      if (!b) return fail_text(w, req, "builder");
      jet_value p = jet_builder_param(b, &ti);
      int64_t axis = 0;
      jet_value s = jet_reduce_sum(b, p, &axis, 1);
      jet_executable *e;
      jet_status st = jet_builder_return(b, &s, 1);
      if (!st) st = jet_compile_ex(c, jet_builder_graph(b), NULL, 0, NULL, &e, NULL);
      jet_builder_destroy(b);
      if (st) return fail_status(w, req, "compile sum", st);
      jet_arg arg = jet_arg_inline(&ti, xi);
      jet_result r;
      memset(&r, 0, sizeof r);
      w->executes++;
      TRY(jet_execute_inline(e, &arg, 1, &r, 1), "execute sum");
      int64_t want = 0;
      for (int64_t i = 0; i < n; i++) want += xi[i];
      int32_t got = 0;
      int bad = r.nbytes != sizeof got;
      if (!bad) memcpy(&got, r.data, sizeof got);
      jet_result_clear(&r);
      return bad || got != (int32_t)want ? fail_text(w, req, "reduce_sum: wrong result") : 0;
    }
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  jet_client *c = w->shared;
  int req = -1;
  if (!c) {
    jet_client_options opts = {.address = w->address, .client_name = "test_concurrency"};
    jet_status st = jet_client_open(&opts, &c);
    if (st) {
      fail_status(w, req, "connect", st);
      return NULL;
    }
  }
  /* An array owned by this thread for the whole run, checked now and then. */
  int64_t pn = 4096 + w->index;
  float *pdata = malloc((size_t)pn * sizeof(float));
  jet_array *persistent = NULL;
  if (!pdata) {
    fail_text(w, req, "malloc");
  } else {
    fill(pdata, pn, 1000u + (unsigned)w->index);
    jet_type pt = jet_type_make(JET_F32, 1, &pn);
    jet_status st = jet_array_put(c, &pt, pdata, &persistent);
    if (st) fail_status(w, req, "put persistent", st);
  }
  for (req = 0; persistent && req < N_REQUESTS && !w->error[0]; req++)
    if (one_request(w, c, req, persistent, pdata, pn) != 0) break;
  if (persistent) {
    jet_status st = jet_array_free(persistent);
    if (st) fail_status(w, req, "delete persistent", st);
  }
  free(pdata);
  if (!w->shared) jet_client_close(c);
  atomic_fetch_add(&g_executes, w->executes);
  return NULL;
}

static void run_workers(const char *address, jet_client *shared) {
  pthread_t th[N_THREADS];
  worker *w = calloc(N_THREADS, sizeof *w);
  assert_non_null(w);
  for (int i = 0; i < N_THREADS; i++) {
    w[i].index = i;
    w[i].address = address;
    w[i].shared = shared;
    assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
  }
  for (int i = 0; i < N_THREADS; i++) pthread_join(th[i], NULL);
  char first[1024] = "";
  int failures = 0;
  for (int i = 0; i < N_THREADS; i++)
    if (w[i].error[0]) {
      if (!failures) snprintf(first, sizeof first, "%s", w[i].error);
      failures++;
    }
  free(w);
  if (failures) fail_msg("%d of %d threads failed; first: %s", failures, N_THREADS, first);
}

/* Polls GetStats from a fresh client until no array is live and `sessions`
 * sessions remain (the asking client's own included). */
static void expect_no_live_arrays(const char *address, uint32_t sessions) {
  jet_client *c;
  JET_TEST_OK(jet_client_connect(address, &c));
  jet_stats s;
  memset(&s, 0, sizeof s);
  double deadline = jet_test_now_ms() + 10000;
  for (;;) {
    JET_TEST_OK(jet_client_stats(c, &s));
    if (s.live_bytes == 0 && s.live_arrays == 0 && s.sessions == sessions) break;
    if (jet_test_now_ms() > deadline) {
      uint64_t lb = s.live_bytes, la = s.live_arrays;
      uint32_t ss = s.sessions;
      jet_stats_clear(&s);
      jet_client_close(c);
      fail_msg("after 10 s: live_bytes %llu, live_arrays %llu, sessions %u (want 0, 0, %u)",
               (unsigned long long)lb, (unsigned long long)la, ss, sessions);
    }
    jet_stats_clear(&s);
    jet_test_sleep_ms(50);
  }
  uint64_t executions = s.executions, hits = s.compile_cache_hits;
  jet_stats_clear(&s);
  jet_client_close(c);
  /* The daemon counted at least the executions we made. */
  long made = atomic_load(&g_executes);
  if ((long long)executions < made)
    fail_msg("stats.executions %llu < %ld executions made", (unsigned long long)executions, made);
  /* Every thread compiles the same graphs: the daemon's cache saw hits. */
  assert_true(hits > 0);
}

static void test_separate_clients(void **state) {
  jet_test_fixture *f = *state;
  run_workers(f->address, NULL);
  expect_no_live_arrays(f->address, 1);
}

static void test_shared_client(void **state) {
  jet_test_fixture *f = *state;
  jet_client *shared;
  jet_client_options opts = {.address = f->address, .client_name = "shared"};
  JET_TEST_OK(jet_client_open(&opts, &shared));
  run_workers(f->address, shared);
  jet_client_close(shared);
  expect_no_live_arrays(f->address, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_separate_clients),
      cmocka_unit_test(test_shared_client),
  };
  return cmocka_run_group_tests(tests, jet_test_fixture_setup_daemon, jet_test_fixture_teardown);
}
