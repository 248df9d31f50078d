/* Smoke test of the load tool (tests/load/jet_load.c, issue 9): runs it
 * with 8 clients x 200 mixed requests against a harness-started jetd, with
 * --pid so jetd's RSS is read too, and expects exit 0, zero errors and every
 * memory figure back to its starting level; then checks that the tool fails
 * (exit 1) when no daemon answers, so a green run means something. The
 * figures it prints go to the test log. Owned by the fuzzload helper. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"

#ifndef JET_LOAD_PATH
#error "JET_LOAD_PATH is set by tests/load/CMakeLists.txt"
#endif

/* RSS tolerance in MiB: the tool's default in a plain build. Under
 * AddressSanitizer freed memory sits in ASan's quarantine (256 MiB by
 * default) before it is reused, so jetd's RSS grows by up to that much
 * without any leak; there LeakSanitizer at jetd's exit (checked by the
 * fixture's stop) is the leak check, and live arrays/bytes stay exact. */
#if defined(__SANITIZE_ADDRESS__)
#define RSS_TOLERANCE_MB "512"
#else
#define RSS_TOLERANCE_MB "64"
#endif

static void test_load_smoke(void **state) {
  (void)state;
  jet_test_fixture *f;
  assert_int_equal(jet_test_fixture_start(NULL, 0, &f), 0);
  char pid[32];
  snprintf(pid, sizeof pid, "%ld", (long)jet_test_daemon_pid(f->daemon));
  const char *argv[] = {JET_LOAD_PATH, "--address", f->address, "--clients", "8",
                        "--requests", "200", "--seed", "7", "--pid", pid,
                        "--rss-tolerance-mb", RSS_TOLERANCE_MB, NULL};
  jet_test_proc_result r;
  int ran = jet_test_run_program(argv, NULL, 240000, &r);
  /* Stop jetd first (exit status 0: under LeakSanitizer, no leak), so a
   * failed assertion below leaves nothing running. */
  int stopped = jet_test_fixture_stop(f);
  assert_int_equal(ran, 0);
  printf("%s", r.out);
  fprintf(stderr, "%s", r.err);
  int status = r.status;
  bool ok = strstr(r.out, "errors: 0\n") && strstr(r.out, "memory arrays/bytes: back to start") &&
            strstr(r.out, "memory rss: back to start") && strstr(r.out, "result: OK");
  jet_test_proc_result_free(&r);
  assert_int_equal(status, 0);
  assert_true(ok);
  assert_int_equal(stopped, 0);
}

static void test_load_no_daemon_fails(void **state) {
  (void)state;
  /* Port 1 on loopback: nothing listens there. */
  const char *argv[] = {JET_LOAD_PATH, "--address", "127.0.0.1:1", "--clients", "1",
                        "--requests", "1", NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(argv, NULL, 60000, &r), 0);
  assert_int_equal(r.status, 1);
  jet_test_proc_result_free(&r);
  const char *bad[] = {JET_LOAD_PATH, "--address", "x", "--mix", "bogus", NULL};
  assert_int_equal(jet_test_run_program(bad, NULL, 60000, &r), 0);
  assert_int_equal(r.status, 2);
  assert_non_null(strstr(r.err, "unknown kind \"bogus\""));
  jet_test_proc_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_smoke),
      cmocka_unit_test(test_load_no_daemon_fails),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
