/* End to end: loops in a real jetd (graphs from the text form, compiled and
 * run through libjet).
 *
 * - A 10,000-step scan and a while counting to 10,000 each run in one
 *   Execute with the right results, and jetd's resident memory does not
 *   grow between 10,000- and 100,000-iteration runs (no per-iteration
 *   allocation: runtime/program_control.c).
 * - An endless while under a 300 ms client deadline ends with
 *   DEADLINE_EXCEEDED while another client's request on the same jetd
 *   (workers = 2) completes normally; with both workers stuck in endless
 *   loops past their deadlines, a following Execute still completes within
 *   a second (the loops stopped and freed their workers).
 * - `max-execute-ms = 500` in jetd's config file stops an endless while of
 *   a client that set no deadline with DEADLINE_EXCEEDED.
 * - A client killed mid-loop frees jetd's only worker within a second; a
 *   SIGTERM with an endless loop in flight cancels it after
 *   shutdown-grace-ms and jetd exits 0. */
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
#include <unistd.h>

#include "daemon_harness.h"
#include "loop_graphs.h"
#include "jet/jet.h"
#include "jet/text.h"

static const float kX4[4] = {1, 2, 3, 4};

/* scan of `length` over xs: carry c += x, y = c (a cumulative sum). */
static char *cumsum_text(long length) {
  char *t = malloc(1024);
  assert_non_null(t);
  snprintf(t, 1024,
           "graph cumsum(%%0: f32[], %%1: f32[%ld]) {\n"
           "  %%2, %%3 = scan[n_carry=1, length=%ld] %%0, %%1 : f32[], f32[%ld] {\n"
           "    graph b(%%0: f32[], %%1: f32[]) {\n"
           "      %%2 = add %%0, %%1 : f32[]\n"
           "      return %%2, %%2\n"
           "    }\n"
           "  }\n"
           "  return %%2, %%3\n"
           "}\n",
           length, length, length);
  return t;
}

/* scan of `length` with a carry only: h <- h * 0.5 + 1. */
static char *carry_scan_text(long length) {
  char *t = malloc(1024);
  assert_non_null(t);
  snprintf(t, 1024,
           "graph halve(%%0: f32[8]) {\n"
           "  %%1 = scan[n_carry=1, length=%ld] %%0 : f32[8] {\n"
           "    graph b(%%0: f32[8]) {\n"
           "      %%1 = constant[value=f32[8]{0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5}] : f32[8]\n"
           "      %%2 = mul %%0, %%1 : f32[8]\n"
           "      %%3 = constant[value=f32[8]{1, 1, 1, 1, 1, 1, 1, 1}] : f32[8]\n"
           "      %%4 = add %%2, %%3 : f32[8]\n"
           "      return %%4\n"
           "    }\n"
           "  }\n"
           "  return %%1\n"
           "}\n",
           length);
  return t;
}

static jet_executable *compile_text(jet_client *c, const char *text) {
  jet_graph *g = NULL;
  JET_TEST_OK(jet_graph_parse(text, strlen(text), &g));
  jet_executable *e = NULL;
  JET_TEST_OK(jet_compile_graph(c, g, NULL, 0, &e));
  jet_graph_destroy(g);
  return e;
}

/* jetd's VmRSS in bytes. */
static long rss_bytes(pid_t pid) {
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
  FILE *f = fopen(path, "r");
  assert_non_null(f);
  long kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "VmRSS: %ld kB", &kb) == 1) break;
  fclose(f);
  assert_true(kb > 0);
  return kb * 1024;
}

static void run_count(jet_executable *e, int32_t n) {
  jet_type ti = jet_type_make(JET_I32, 0, NULL), tx = jet_type_make(JET_F32, 1, (int64_t[]){4});
  jet_arg args[2] = {jet_arg_inline(&ti, &n), jet_arg_inline(&tx, kX4)};
  jet_result r[2];
  memset(r, 0, sizeof r);
  JET_TEST_OK(jet_execute_inline(e, args, 2, r, 2));
  int32_t i;
  float acc[4];
  memcpy(&i, r[0].data, sizeof i);
  memcpy(acc, r[1].data, sizeof acc);
  assert_int_equal(i, n);
  for (int k = 0; k < 4; k++)
    if (acc[k] != kX4[k] + (float)n) fail_msg("count to %d: acc[%d] = %g", n, k, acc[k]);
  jet_results_clear(r, 2);
}

static void run_halve(jet_executable *e) {
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){8});
  const float h[8] = {0, 1, 2, 3, 4, 5, 6, 7};
  jet_arg a = jet_arg_inline(&t, h);
  jet_result r;
  memset(&r, 0, sizeof r);
  JET_TEST_OK(jet_execute_inline(e, &a, 1, &r, 1));
  float out[8];
  memcpy(out, r.data, sizeof out);
  for (int k = 0; k < 8; k++) /* h * 0.5 + 1 converges to 2 (exactly, in f32) */
    if (out[k] != 2.0f) fail_msg("halve: out[%d] = %g", k, out[k]);
  jet_result_clear(&r);
}

/* jet_fori_loop(0, n) (static bounds: a scan) of acc = acc * 0.5 + 1. */
static jet_executable *fori_halve(jet_client *c, int64_t n) {
  jet_type tb = jet_type_make(JET_F32, 1, (int64_t[]){8}), ti = jet_type_make(JET_I32, 0, NULL);
  static const float half[8] = {0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f, 0.5f};
  static const float one[8] = {1, 1, 1, 1, 1, 1, 1, 1};
  jet_builder *body = jet_builder_create("halve");
  (void)jet_builder_param(body, &ti);
  jet_value acc = jet_builder_param(body, &tb);
  jet_value r = jet_add(body, jet_mul(body, acc, jet_constant(body, &tb, half)),
                        jet_constant(body, &tb, one));
  JET_TEST_OK(jet_builder_return(body, &r, 1));
  jet_builder *b = jet_builder_create("fori");
  jet_value x = jet_builder_param(b, &tb);
  jet_value out = jet_fori_loop(b, 0, n, body, NULL, 0, &x, 1, NULL, 0);
  JET_TEST_OK(jet_builder_return(b, &out, 1));
  jet_executable *e = NULL;
  JET_TEST_OK(jet_compile(c, b, NULL, 0, &e));
  jet_builder_destroy(b);
  jet_builder_destroy(body);
  return e;
}

static void test_long_loops_no_growth(void **state) {
  jet_test_fixture *f = *state;
  /* 10,000 steps of a cumulative sum, checked element by element. */
  enum { L = 10000 };
  char *t = cumsum_text(L);
  jet_executable *cs = compile_text(f->client, t);
  free(t);
  float *xs = malloc(L * sizeof *xs);
  assert_non_null(xs);
  for (int i = 0; i < L; i++) xs[i] = (float)(i % 5) - 2.0f;
  const float c0 = 0.5f;
  jet_type ts = jet_type_make(JET_F32, 0, NULL), tx = jet_type_make(JET_F32, 1, (int64_t[]){L});
  jet_arg args[2] = {jet_arg_inline(&ts, &c0), jet_arg_inline(&tx, xs)};
  jet_result r[2];
  memset(r, 0, sizeof r);
  JET_TEST_OK(jet_execute_inline(cs, args, 2, r, 2));
  assert_int_equal(r[1].nbytes, L * sizeof(float));
  const float *ys = r[1].data;
  float c = c0;
  for (int i = 0; i < L; i++) {
    c += xs[i];
    if (ys[i] != c) fail_msg("cumsum: ys[%d] = %g, want %g", i, ys[i], c);
  }
  float fin;
  memcpy(&fin, r[0].data, sizeof fin);
  assert_true(fin == c);
  jet_results_clear(r, 2);
  free(xs);

  /* A while counting to 10,000 in one Execute. */
  jet_executable *cnt = compile_text(f->client, kCount);
  run_count(cnt, 10000);

  /* Resident memory: 10,000- then 100,000-iteration runs of the while,
   * of a carry-only scan and of libjet's jet_fori_loop grow jetd by less
   * than 2 MiB. */
  char *t1 = carry_scan_text(10000), *t2 = carry_scan_text(100000);
  jet_executable *h1 = compile_text(f->client, t1), *h2 = compile_text(f->client, t2);
  free(t1);
  free(t2);
  jet_executable *f1 = fori_halve(f->client, 10000), *f2 = fori_halve(f->client, 100000);
  const pid_t pid = jet_test_daemon_pid(f->daemon);
  for (int warm = 0; warm < 2; warm++) { /* allocator and cache pages settle */
    run_count(cnt, 10000);
    run_halve(h1);
    run_halve(f1);
  }
  const long before = rss_bytes(pid);
  run_count(cnt, 100000);
  run_halve(h2);
  run_halve(f2);
  run_count(cnt, 100000);
  run_halve(h2);
  run_halve(f2);
  const long after = rss_bytes(pid);
  print_message("jetd VmRSS: %ld KiB after 10,000-iteration runs, %ld KiB after 100,000\n",
                before / 1024, after / 1024);
  if (after - before > 2L << 20)
    fail_msg("jetd grew by %ld KiB between 10,000- and 100,000-iteration loops",
             (after - before) / 1024);
}

/* An Execute of the endless while on its own client with a deadline. */
typedef struct endless_run {
  const char *address;
  int64_t timeout_ms;
  jet_code code;
  double ms;
  char msg[512];
  atomic_int done;
} endless_run;

static void *endless_thread(void *arg) {
  endless_run *er = arg;
  jet_client *c = NULL;
  jet_status st = jet_client_connect(er->address, &c);
  jet_executable *e = NULL;
  if (!st) {
    jet_graph *g = NULL;
    st = jet_graph_parse(kEndless, strlen(kEndless), &g);
    if (!st) st = jet_compile_graph(c, g, NULL, 0, &e);
    jet_graph_destroy(g);
  }
  if (!st) {
    jet_client_set_timeout_ms(c, er->timeout_ms);
    jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){4});
    jet_arg a = jet_arg_inline(&t, kX4);
    jet_result r;
    memset(&r, 0, sizeof r);
    const double t0 = jet_test_now_ms();
    st = jet_execute_inline(e, &a, 1, &r, 1);
    er->ms = jet_test_now_ms() - t0;
    jet_result_clear(&r);
  }
  er->code = st ? jet_status_code(st) : JET_OK;
  snprintf(er->msg, sizeof er->msg, "%s", st ? jet_status_message(st) : "");
  jet_status_free(st);
  jet_client_close(c);
  atomic_store(&er->done, 1);
  return NULL;
}

/* One quick Execute on client c; returns its time in ms. */
static double quick_execute(jet_client *c) {
  jet_executable *e = compile_text(c, kQuick);
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){4});
  jet_arg a = jet_arg_inline(&t, kX4);
  jet_result r;
  memset(&r, 0, sizeof r);
  const double t0 = jet_test_now_ms();
  JET_TEST_OK(jet_execute_inline(e, &a, 1, &r, 1));
  const double ms = jet_test_now_ms() - t0;
  float out[4];
  memcpy(out, r.data, sizeof out);
  for (int k = 0; k < 4; k++) assert_true(out[k] == 2 * kX4[k]);
  jet_result_clear(&r);
  return ms;
}

static void test_deadline_stops_endless_loop(void **state) {
  jet_test_fixture *f = *state;
  jet_client *other = NULL;
  JET_TEST_OK(jet_client_connect(f->address, &other));
  jet_client_set_timeout_ms(other, 10000);
  (void)quick_execute(other); /* compiled and warm */

  /* One endless loop; another client's request completes meanwhile. */
  endless_run a = {.address = f->address, .timeout_ms = 300};
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, endless_thread, &a), 0);
  jet_test_sleep_ms(100);
  const double quick_ms = quick_execute(other);
  pthread_join(th, NULL);
  if (a.code != JET_DEADLINE_EXCEEDED)
    fail_msg("endless while: got %s (%s)", jet_code_name(a.code), a.msg);
  if (a.ms > 2000) fail_msg("the 300 ms deadline ended the call after %.0f ms", a.ms);
  print_message("endless while: DEADLINE_EXCEEDED after %.0f ms; the other client's Execute "
                "took %.1f ms meanwhile\n", a.ms, quick_ms);

  /* Both workers in endless loops past their deadlines: the loops must
   * stop on the server, or nothing is left to serve the next request. */
  endless_run b[2] = {{.address = f->address, .timeout_ms = 300},
                      {.address = f->address, .timeout_ms = 300}};
  pthread_t tb[2];
  for (int k = 0; k < 2; k++) assert_int_equal(pthread_create(&tb[k], NULL, endless_thread, &b[k]), 0);
  for (int k = 0; k < 2; k++) pthread_join(tb[k], NULL);
  for (int k = 0; k < 2; k++)
    if (b[k].code != JET_DEADLINE_EXCEEDED)
      fail_msg("endless while %d: got %s (%s)", k, jet_code_name(b[k].code), b[k].msg);
  const double next_ms = quick_execute(other);
  print_message("after two loops' deadlines the next Execute took %.1f ms\n", next_ms);
  if (next_ms > 1000) fail_msg("the next Execute waited %.0f ms for a worker", next_ms);
  jet_client_close(other);
}

static void test_max_execute_ms(void **state) {
  (void)state;
  char path[] = "/tmp/jet-loop-limits-XXXXXX";
  const int fd = mkstemp(path);
  assert_true(fd >= 0);
  static const char cfg[] = "max-execute-ms = 500\nworkers = 2\n";
  assert_int_equal(write(fd, cfg, sizeof cfg - 1), (ssize_t)(sizeof cfg - 1));
  close(fd);
  const char *args[] = {"--config", path, NULL};
  jet_test_fixture *f = NULL;
  assert_int_equal(jet_test_fixture_start(args, 1, &f), 0);
  unlink(path);
  endless_run a = {.address = f->address, .timeout_ms = 0};
  atomic_init(&a.done, 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, endless_thread, &a), 0);
  /* Watchdog: without the server-side bound the call never returns; stop
   * the daemon (ending the call) rather than hang. */
  const double t0 = jet_test_now_ms();
  while (!atomic_load(&a.done) && jet_test_now_ms() - t0 < 5000) jet_test_sleep_ms(10);
  if (!atomic_load(&a.done)) {
    (void)jet_test_fixture_stop(f);
    pthread_join(th, NULL);
    fail_msg("max-execute-ms = 500 did not stop an endless while within 5 s");
  }
  pthread_join(th, NULL);
  if (a.code != JET_DEADLINE_EXCEEDED)
    fail_msg("endless while under max-execute-ms: got %s (%s)", jet_code_name(a.code), a.msg);
  if (a.ms < 400 || a.ms > 3000)
    fail_msg("max-execute-ms = 500 stopped the loop after %.0f ms", a.ms);
  print_message("max-execute-ms = 500: DEADLINE_EXCEEDED after %.0f ms: %s\n", a.ms, a.msg);
  /* Short requests still run. */
  (void)quick_execute(f->client);
  assert_int_equal(jet_test_fixture_stop(f), 0);
}

/* A client process killed while its Execute loops forever: jetd sees the
 * call end and stops the loop, so its only worker serves the next request
 * within a second. Then SIGTERM with such a loop in flight (no deadline
 * anywhere): after shutdown-grace-ms the call is cancelled and jetd exits 0
 * promptly. */
static void test_killed_client_and_shutdown_grace(void **state) {
  (void)state;
  char cfg_path[] = "/tmp/jet-loop-grace-XXXXXX";
  int fd = mkstemp(cfg_path);
  assert_true(fd >= 0);
  static const char cfg[] = "workers = 1\nshutdown-grace-ms = 300\n";
  assert_int_equal(write(fd, cfg, sizeof cfg - 1), (ssize_t)(sizeof cfg - 1));
  close(fd);
  char jet_path[] = "/tmp/jet-loop-endless-XXXXXX";
  fd = mkstemp(jet_path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, kEndless, sizeof kEndless - 1), (ssize_t)(sizeof kEndless - 1));
  close(fd);
  const char *args[] = {"--config", cfg_path, NULL};
  jet_test_fixture *f = NULL;
  assert_int_equal(jet_test_fixture_start(args, 1, &f), 0);
  unlink(cfg_path);
  jet_client_set_timeout_ms(f->client, 10000);
  (void)quick_execute(f->client); /* compiled and warm */

  /* `jet run` of the endless loop, killed after 500 ms. */
  const char *argv[] = {JET_CLI_PATH, "run", jet_path, "f32[4]{1, 2, 3, 4}", NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(argv, f->address, 500, &r), 0);
  if (r.status != -1) fail_msg("jet run of an endless loop exited %d: %s", r.status, r.err);
  jet_test_proc_result_free(&r);
  unlink(jet_path);
  const double next_ms = quick_execute(f->client);
  print_message("killed client: the next Execute on the single worker took %.1f ms\n", next_ms);
  if (next_ms > 1000) fail_msg("the next Execute waited %.0f ms for the worker", next_ms);

  /* SIGTERM during an endless loop without any deadline. */
  endless_run a = {.address = f->address, .timeout_ms = 0};
  atomic_init(&a.done, 0);
  pthread_t th;
  assert_int_equal(pthread_create(&th, NULL, endless_thread, &a), 0);
  jet_test_sleep_ms(300);
  const double t0 = jet_test_now_ms();
  const int rc = jet_test_fixture_stop(f); /* one SIGTERM, then waits */
  const double stop_ms = jet_test_now_ms() - t0;
  pthread_join(th, NULL);
  assert_int_equal(rc, 0);
  print_message("SIGTERM with an endless loop in flight: jetd exited after %.0f ms; the call "
                "got %s\n", stop_ms, jet_code_name(a.code));
  if (stop_ms < 250 || stop_ms > 5000)
    fail_msg("jetd took %.0f ms to stop (shutdown-grace-ms = 300)", stop_ms);
  if (a.code == JET_OK) fail_msg("the endless loop returned OK");
}

static int setup_two_workers(void **state) {
  static const char *const args[] = {"--workers", "2", NULL};
  jet_test_fixture *f = NULL;
  if (jet_test_fixture_start(args, 1, &f) != 0) return -1;
  *state = f;
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_long_loops_no_growth),
      cmocka_unit_test(test_deadline_stops_endless_loop),
      cmocka_unit_test(test_max_execute_ms),
      cmocka_unit_test(test_killed_client_and_shutdown_grace),
  };
  return cmocka_run_group_tests(tests, setup_two_workers, jet_test_fixture_teardown);
}
