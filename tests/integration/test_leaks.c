/* Leaks: the daemon must exit with status 0 after a workload that leaves
 * state behind on purpose (arrays alive in open sessions, cached
 * executables, failed requests, a client still connected at SIGTERM). In
 * the sanitizer build (-DJET_SANITIZE=ON) LeakSanitizer runs at the
 * daemon's exit (the harness sets ASAN_OPTIONS=detect_leaks=1) and turns
 * any leak into a non-zero exit status, so this test is the leak check; in
 * a plain build it checks that shutdown with live state is clean. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"
#include "jet/jet.h"

static jet_executable *compile_affine(jet_client *c, int64_t n) {
  jet_builder *b = jet_builder_create("affine");
  assert_non_null(b);
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value x = jet_builder_param(b, &t);
  jet_value w = jet_builder_param(b, &t);
  int64_t axis = 0;
  jet_value y = jet_reduce_sum(b, jet_tanh(b, jet_mul(b, x, w)), &axis, 1);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(c, jet_builder_graph(b), NULL, 0, NULL, &e, NULL));
  jet_builder_destroy(b);
  return e;
}

static void workload(const char *address, jet_client *keep) {
  jet_client *c;
  JET_TEST_OK(jet_client_connect(address, &c));
  float x[1000], w[1000];
  for (int i = 0; i < 1000; i++) {
    x[i] = (float)(i % 17) / 17.0f;
    w[i] = 0.5f;
  }
  for (int64_t n = 10; n <= 1000; n *= 10) {
    jet_executable *e = compile_affine(c, n);
    jet_type t = jet_type_make(JET_F32, 1, &n);
    jet_array *xa, *wa;
    JET_TEST_OK(jet_array_put(c, &t, x, &xa));
    JET_TEST_OK(jet_array_put(c, &t, w, &wa));
    jet_arg args[2] = {jet_arg_of_array(xa), jet_arg_inline(&t, w)};
    jet_result r[1];
    memset(r, 0, sizeof r);
    r[0].keep_on_server = (n == 100);
    JET_TEST_OK(jet_execute(e, args, 2, r, 1));
    jet_results_clear(r, 1);
    if (r[0].array) JET_TEST_OK(jet_array_free(r[0].array));
    jet_array *y;
    JET_TEST_OK(jet_eager_binary(c, JET_OP_MUL, xa, wa, &y));
    float back[1000];
    JET_TEST_OK(jet_array_get(y, back, sizeof back));
    for (int64_t i = 0; i < n; i++) assert_true(back[i] == x[i] * w[i]);
    JET_TEST_OK(jet_array_free(y));
    JET_TEST_OK(jet_array_free(xa));
    JET_TEST_OK(jet_array_free(wa));
    /* Arrays left behind on purpose, in both sessions (uploaded raw, so
     * no client-side struct is left over). */
    char id[256];
    assert_int_equal(jet_test_raw_put_f32(address, jet_client_session(c), x, n, id, sizeof id), 0);
    assert_int_equal(
        jet_test_raw_put_f32(address, jet_client_session(keep), w, n, id, sizeof id), 0);
  }
  /* Failed requests allocate and must free too. */
  jet_array *bogus;
  jet_type t3 = jet_type_make(JET_F32, 1, (int64_t[]){3});
  JET_TEST_OK(jet_array_wrap(c, "ffffffffffffffffffffffffffffffff", &t3, &bogus));
  float out[3];
  JET_TEST_FAILS(jet_array_get(bogus, out, sizeof out), JET_NOT_FOUND, NULL);
  JET_TEST_FAILS(jet_array_free(bogus), JET_NOT_FOUND, NULL);
  static const unsigned char garbage[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f};
  jet_test_raw_result rr;
  assert_int_equal(jet_test_raw_call_bytes(address, "/jet.v1.Jet/Compile", garbage,
                                           sizeof garbage, NULL, 20000, &rr),
                   0);
  assert_int_equal(rr.code, GRPC_STATUS_INVALID_ARGUMENT);
  jet_test_raw_result_free(&rr);
  jet_client_close(c);
}

static void test_clean_exit_with_live_state(void **state) {
  (void)state;
  jet_test_daemon *d;
  assert_int_equal(jet_test_daemon_start(NULL, &d), 0);
  char address[256];
  snprintf(address, sizeof address, "%s", jet_test_daemon_address(d));
  jet_client *keep;
  JET_TEST_OK(jet_client_connect(address, &keep));
  workload(address, keep);
  jet_stats s;
  JET_TEST_OK(jet_client_stats(keep, &s));
  uint64_t live = s.live_arrays, entries = s.compile_cache_entries;
  jet_stats_clear(&s);
  assert_true(live >= 3);
  assert_true(entries >= 3);
  /* SIGTERM with `keep` still connected and its arrays alive. */
  int code = jet_test_daemon_stop(d);
  jet_client_close(keep);
  assert_int_equal(code, 0);
}

static void test_clean_exit_idle(void **state) {
  (void)state;
  jet_test_daemon *d;
  assert_int_equal(jet_test_daemon_start(NULL, &d), 0);
  assert_int_equal(jet_test_daemon_stop(d), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clean_exit_idle),
      cmocka_unit_test(test_clean_exit_with_live_state),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
