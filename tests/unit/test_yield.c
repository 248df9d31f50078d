/* Yield points of long executions (runtime/yield.h): a thread yields once
 * per interval at its poll points, never with the interval 0, and the
 * executor's poll points (jet_exec_poll, jet_exec_ctl_check) are yield
 * points with and without a deadline. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>
#include <time.h>

#include "jet/status.h"
#include "exec.h"
#include "yield.h"

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Given times: one yield per interval, counted. */
static void test_interval_with_given_times(void **state) {
  (void)state;
  jet_yield_set_interval_us(100);
  assert_true(jet_yield_enabled());
  const int64_t t = mono_ns();
  const uint64_t c0 = jet_yield_count();
  jet_yield_point(t);
  assert_int_equal(jet_yield_count(), c0 + 1);
  jet_yield_point(t + 50000);
  jet_yield_point(t + 99999);
  assert_int_equal(jet_yield_count(), c0 + 1);
  jet_yield_point(t + 100000);
  assert_int_equal(jet_yield_count(), c0 + 2);
  jet_yield_point(t + 150000);
  assert_int_equal(jet_yield_count(), c0 + 2);
  jet_yield_point(t + 1000000);
  assert_int_equal(jet_yield_count(), c0 + 3);
}

static void test_zero_interval_never_yields(void **state) {
  (void)state;
  jet_yield_set_interval_us(0);
  assert_false(jet_yield_enabled());
  const uint64_t c0 = jet_yield_count();
  const int64_t t = mono_ns();
  for (int i = 0; i < 1000; i++) jet_yield_point(t + (int64_t)i * 1000000);
  for (int i = 0; i < 100000; i++) jet_yield_point(0);
  assert_int_equal(jet_yield_count(), c0);
}

static int64_t thread_cpu_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Polls for ms of wall time; the yields taken, and the thread's CPU time
 * (on a loaded machine the thread runs for part of the wall time only, and
 * polls only then). */
typedef struct span {
  uint64_t yields;
  double cpu_ms, wall_ms;
} span;

static span yields_over(int64_t ms, jet_status (*poll)(int64_t i)) {
  const uint64_t c0 = jet_yield_count();
  const int64_t t0 = mono_ns(), cpu0 = thread_cpu_ns(), end = t0 + ms * 1000000;
  for (int64_t i = 0; mono_ns() < end; i++) {
    for (int k = 0; k < 64; k++) {
      jet_status st = poll(i * 64 + k);
      assert_null(st);
    }
  }
  return (span){.yields = jet_yield_count() - c0,
                .cpu_ms = (double)(thread_cpu_ns() - cpu0) / 1e6,
                .wall_ms = (double)(mono_ns() - t0) / 1e6};
}

static jet_status bare_point(int64_t i) {
  (void)i;
  jet_yield_point(0);
  return NULL;
}

static jet_exec_ctl g_ctl;

static jet_status loop_poll(int64_t i) { return jet_exec_poll(&g_ctl, "while", (uint64_t)i); }

static jet_status step_check(int64_t i) {
  static const jet_node node = {.op = JET_OP_ADD};
  return jet_exec_ctl_check(&g_ctl, (uint32_t)i, &node);
}

/* Poll points that do not read the clock (no deadline): the stride keeps
 * the yields at about one per interval over a busy stretch. 100 µs
 * interval: at most one per interval of wall time (+1 for the first
 * point), and at least one per 400 µs of the thread's CPU time. */
static void check_rate(span s, const char *what) {
  const double most = s.wall_ms * 10 + 1, least = s.cpu_ms * 10 / 4 - 1;
  if ((double)s.yields > most || (double)s.yields < least)
    fail_msg("%s: %llu yields in %.1f ms (%.1f ms of CPU)", what,
             (unsigned long long)s.yields, s.wall_ms, s.cpu_ms);
}

static void test_strided_points(void **state) {
  (void)state;
  jet_yield_set_interval_us(100);
  check_rate(yields_over(20, bare_point), "bare points");
}

static void test_executor_polls_yield(void **state) {
  (void)state;
  jet_yield_set_interval_us(100);
  g_ctl = (jet_exec_ctl){0};
  check_rate(yields_over(20, loop_poll), "jet_exec_poll, no deadline");
  check_rate(yields_over(20, step_check), "jet_exec_ctl_check, no deadline");
  g_ctl.deadline_ns = mono_ns() + 60 * 1000000000LL;
  check_rate(yields_over(20, loop_poll), "jet_exec_poll, deadline");
  /* Past the deadline the poll says so (and names the loop). */
  g_ctl.deadline_ns = mono_ns() - 1;
  jet_status st = jet_exec_poll(&g_ctl, "while", 7);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_DEADLINE_EXCEEDED);
  assert_non_null(strstr(jet_status_message(st), "while at iteration 7"));
  jet_status_free(st);
  jet_yield_set_interval_us(0);
  g_ctl.deadline_ns = 0;
  const uint64_t c0 = jet_yield_count();
  yields_over(5, loop_poll);
  assert_int_equal(jet_yield_count(), c0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_interval_with_given_times),
      cmocka_unit_test(test_zero_interval_never_yields),
      cmocka_unit_test(test_strided_points),
      cmocka_unit_test(test_executor_polls_yield),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
