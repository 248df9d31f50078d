/* Graceful shutdown: SIGTERM while a long Execute runs lets it finish with
 * the complete, correct result; calls made after the signal are refused (or
 * cannot connect) without hanging; the daemon then exits with status 0. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"
#include "jet/jet.h"

#define N 1024            /* matrices are N x N f32 (4 MiB) */
#define TARGET_MS 2000.0  /* how long the long Execute should take */
#define MAX_CHAIN 400

/* A x B x B x ... (k products) with B the identity: the exact result is A,
 * while the daemon does k full matrix products. */
static jet_executable *compile_chain(jet_client *c, int k) {
  jet_builder *b = jet_builder_create("chain");
  assert_non_null(b);
  jet_type t = jet_type_make(JET_F32, 2, (int64_t[]){N, N});
  jet_value a = jet_builder_param(b, &t);
  jet_value id = jet_builder_param(b, &t);
  jet_value v = a;
  int64_t one = 1, zero = 0;
  for (int i = 0; i < k; i++) v = jet_dot_general(b, v, id, &one, 1, &zero, 1, NULL, 0, NULL, 0);
  JET_TEST_OK(jet_builder_return(b, &v, 1));
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(c, jet_builder_graph(b), NULL, 0, NULL, &e, NULL));
  jet_builder_destroy(b);
  return e;
}

typedef struct run {
  jet_executable *exe;
  jet_array *a, *id;
  jet_status st;
  jet_result result;
  double done_ms;
} run;

static void execute_run(run *r) {
  jet_arg args[2] = {jet_arg_of_array(r->a), jet_arg_of_array(r->id)};
  memset(&r->result, 0, sizeof r->result);
  r->st = jet_execute_inline(r->exe, args, 2, &r->result, 1);
  r->done_ms = jet_test_now_ms();
}

static void *execute_thread(void *arg) {
  execute_run(arg);
  return NULL;
}

static void check_result(const run *r, const float *want) {
  if (r->st)
    fail_msg("execute: %s: %s", jet_code_name(jet_status_code(r->st)),
             jet_status_message(r->st));
  assert_int_equal(r->result.nbytes, (size_t)N * N * sizeof(float));
  assert_memory_equal(r->result.data, want, (size_t)N * N * sizeof(float));
}

static void test_sigterm_during_execute(void **state) {
  (void)state;
  jet_test_daemon *d;
  assert_int_equal(jet_test_daemon_start(NULL, &d), 0);
  const char *address = jet_test_daemon_address(d);
  char addr[256];
  snprintf(addr, sizeof addr, "%s", address);
  jet_client *c;
  JET_TEST_OK(jet_client_connect(addr, &c));

  float *a = malloc((size_t)N * N * sizeof(float));
  float *id = calloc((size_t)N * N, sizeof(float));
  assert_non_null(a);
  assert_non_null(id);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) a[i * N + j] = (float)((i * 7 + j * 3) % 13) - 6.0f;
  for (int i = 0; i < N; i++) id[i * N + i] = 1.0f;
  jet_type t = jet_type_make(JET_F32, 2, (int64_t[]){N, N});
  run r;
  memset(&r, 0, sizeof r);
  JET_TEST_OK(jet_array_put(c, &t, a, &r.a));
  JET_TEST_OK(jet_array_put(c, &t, id, &r.id));

  /* Calibrate: time one product (second run, after compile and warm-up),
   * then chain enough of them for about TARGET_MS. */
  r.exe = compile_chain(c, 1);
  execute_run(&r);
  check_result(&r, a);
  jet_result_clear(&r.result);
  double t0 = jet_test_now_ms();
  execute_run(&r);
  double one_ms = r.done_ms - t0;
  check_result(&r, a);
  jet_result_clear(&r.result);
  int k = (int)(TARGET_MS / (one_ms > 1.0 ? one_ms : 1.0)) + 1;
  if (k < 2) k = 2;
  if (k > MAX_CHAIN) k = MAX_CHAIN;
  r.exe = compile_chain(c, k);
  double expected_ms = one_ms * k;
  fprintf(stderr, "one product %.1f ms; chain of %d, about %.0f ms\n", one_ms, k, expected_ms);

  pthread_t th;
  double start = jet_test_now_ms();
  assert_int_equal(pthread_create(&th, NULL, execute_thread, &r), 0);
  double wait_ms = expected_ms * 0.15;
  if (wait_ms < 150) wait_ms = 150;
  jet_test_sleep_ms((int)wait_ms);
  double sig_ms = jet_test_now_ms();
  assert_int_equal(jet_test_daemon_signal(d, SIGTERM), 0);

  /* A new client calling now is refused or cannot connect, quickly. */
  jet_test_sleep_ms(200);
  double q0 = jet_test_now_ms();
  jet_client_options opts = {
      .address = addr, .no_session = true, .timeout_ms = 5000, .connect_timeout_ms = 5000};
  jet_client *late = NULL;
  jet_status st = jet_client_open(&opts, &late);
  if (!st) {
    int serving = 0;
    st = jet_client_health(late, &serving);
    jet_client_close(late);
  }
  double q1 = jet_test_now_ms();
  if (!st) fail_msg("a call made after SIGTERM succeeded");
  fprintf(stderr, "call after SIGTERM: %s (%s) in %.0f ms\n",
          jet_code_name(jet_status_code(st)), jet_status_message(st), q1 - q0);
  jet_status_free(st);
  assert_true(q1 - q0 < 10000);

  pthread_join(th, NULL);
  fprintf(stderr, "execute took %.0f ms, SIGTERM at %.0f ms\n", r.done_ms - start,
          sig_ms - start);
  check_result(&r, a);
  jet_result_clear(&r.result);
  /* The execute really was running when the signal came. */
  assert_true(r.done_ms > sig_ms);

  int code = jet_test_daemon_wait(d, JET_TEST_STOP_TIMEOUT_MS);
  if (code != 0) jet_test_daemon_dump_log(d, 8192);
  assert_int_equal(code, 0);

  /* The old client's calls now fail fast as well. */
  jet_client_set_timeout_ms(c, 5000);
  q0 = jet_test_now_ms();
  int serving = 0;
  st = jet_client_health(c, &serving);
  q1 = jet_test_now_ms();
  assert_non_null(st);
  jet_status_free(st);
  assert_true(q1 - q0 < 10000);

  /* The daemon is gone: these deletes fail, but free the structs. */
  jet_status_free(jet_array_free(r.a));
  jet_status_free(jet_array_free(r.id));
  jet_client_close(c);
  free(a);
  free(id);
  assert_int_equal(jet_test_daemon_stop(d), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sigterm_during_execute),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
