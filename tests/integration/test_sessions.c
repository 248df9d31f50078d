/* Sessions: arrays belong to the session that created them. A client killed
 * mid-session leaves nothing behind; another session can neither read nor
 * delete a handle (NOT_FOUND, as for an unknown one); the handles of a
 * closed client are gone. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "jet/jet.h"
#include "jet/v1/jet.pb-c.h"

#define CHILD_FLAG "--hold-session"
#define CHILD_ARRAYS 4
#define CHILD_ELEMS (512 * 1024) /* 2 MiB of f32 each */

/* The child process (this binary run again with CHILD_FLAG ADDRESS FD):
 * connects, puts arrays, reports 'R' on fd and waits to be killed. */
static int child_main(const char *address, int fd) {
  jet_client *c;
  jet_status st = jet_client_connect(address, &c);
  if (st) {
    fprintf(stderr, "child: connect: %s\n", jet_status_message(st));
    return 1;
  }
  float *x = malloc(CHILD_ELEMS * sizeof(float));
  if (!x) return 1;
  for (int i = 0; i < CHILD_ELEMS; i++) x[i] = (float)i;
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){CHILD_ELEMS});
  for (int i = 0; i < CHILD_ARRAYS; i++) {
    jet_array *a;
    st = jet_array_put(c, &t, x, &a);
    if (st) {
      fprintf(stderr, "child: put: %s\n", jet_status_message(st));
      return 1;
    }
    /* Deliberately kept: the parent kills us with the arrays alive. */
  }
  char r = 'R';
  if (write(fd, &r, 1) != 1) return 1;
  for (;;) pause();
}

/* Live bytes and session count, asked from a session-less client. */
static void live_of(const char *address, uint64_t *bytes, uint32_t *sessions) {
  jet_client_options opts = {.address = address, .no_session = true};
  jet_client *c;
  JET_TEST_OK(jet_client_open(&opts, &c));
  jet_stats s;
  JET_TEST_OK(jet_client_stats(c, &s));
  jet_client_close(c);
  *bytes = s.live_bytes;
  *sessions = s.sessions;
  jet_stats_clear(&s);
}

/* Polls (from a session-less client) until live_bytes == want_bytes and
 * sessions == want_sessions; fails after 10 s. */
static void wait_for_stats(const char *address, uint64_t want_bytes, uint32_t want_sessions) {
  jet_client_options opts = {.address = address, .no_session = true};
  jet_client *c;
  JET_TEST_OK(jet_client_open(&opts, &c));
  double deadline = jet_test_now_ms() + 10000;
  for (;;) {
    jet_stats s;
    JET_TEST_OK(jet_client_stats(c, &s));
    uint64_t lb = s.live_bytes;
    uint32_t ss = s.sessions;
    jet_stats_clear(&s);
    if (lb == want_bytes && ss == want_sessions) break;
    if (jet_test_now_ms() > deadline) {
      jet_client_close(c);
      fail_msg("after 10 s: live_bytes %llu, sessions %u (want %llu, %u)", (unsigned long long)lb,
               ss, (unsigned long long)want_bytes, want_sessions);
    }
    jet_test_sleep_ms(20);
  }
  jet_client_close(c);
}

static void test_killed_client_leaves_nothing(void **state) {
  jet_test_fixture *f = *state;
  uint64_t base_bytes;
  uint32_t base_sessions;
  live_of(f->address, &base_bytes, &base_sessions);

  int p[2];
  assert_int_equal(pipe(p), 0);
  char fdarg[16];
  snprintf(fdarg, sizeof fdarg, "%d", p[1]);
  char self[4096];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  assert_true(n > 0);
  self[n] = '\0';
  const char *argv[] = {self, CHILD_FLAG, f->address, fdarg, NULL};
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    close(p[0]);
    execv(self, (char *const *)argv);
    _exit(127);
  }
  close(p[1]);
  struct pollfd pfd = {p[0], POLLIN, 0};
  int pr = poll(&pfd, 1, 30000);
  char r = 0;
  ssize_t got = pr == 1 ? read(p[0], &r, 1) : -1;
  close(p[0]);
  if (got != 1 || r != 'R') {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("child did not report its arrays (poll %d, read %zd)", pr, got);
  }

  uint64_t child_bytes = (uint64_t)CHILD_ARRAYS * CHILD_ELEMS * sizeof(float);
  uint64_t during_bytes;
  uint32_t during_sessions;
  live_of(f->address, &during_bytes, &during_sessions);
  if (during_bytes < base_bytes + child_bytes || during_sessions != base_sessions + 1) {
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    fail_msg("with the child alive: live_bytes %llu, sessions %u (want >= %llu, %u)",
             (unsigned long long)during_bytes, during_sessions,
             (unsigned long long)(base_bytes + child_bytes), base_sessions + 1);
  }

  assert_int_equal(kill(pid, SIGKILL), 0);
  int wst;
  assert_int_equal(waitpid(pid, &wst, 0), pid);
  assert_true(WIFSIGNALED(wst));
  wait_for_stats(f->address, base_bytes, base_sessions);
}

static void test_foreign_handle_is_not_found(void **state) {
  jet_test_fixture *f = *state;
  jet_client *a, *b;
  JET_TEST_OK(jet_client_connect(f->address, &a));
  JET_TEST_OK(jet_client_connect(f->address, &b));
  assert_string_not_equal(jet_client_session(a), jet_client_session(b));
  float x[4] = {1, 2, 3, 4};
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){4});
  jet_array *arr;
  JET_TEST_OK(jet_array_put(a, &t, x, &arr));

  /* b wraps a's handle: reading, using and deleting it are NOT_FOUND. */
  jet_array *foreign;
  JET_TEST_OK(jet_array_wrap(b, jet_array_id(arr), &t, &foreign));
  float out[4];
  JET_TEST_FAILS(jet_array_get(foreign, out, sizeof out), JET_NOT_FOUND, NULL);
  jet_array *neg;
  JET_TEST_FAILS(jet_eager_unary(b, JET_OP_NEG, foreign, &neg), JET_NOT_FOUND, NULL);
  JET_TEST_FAILS(jet_array_free(foreign), JET_NOT_FOUND, NULL);

  /* The owner still has it, unchanged. */
  memset(out, 0, sizeof out);
  JET_TEST_OK(jet_array_get(arr, out, sizeof out));
  assert_memory_equal(out, x, sizeof x);

  /* An unknown handle answers exactly like a foreign one. */
  jet_array *unknown;
  JET_TEST_OK(jet_array_wrap(a, "00112233445566778899aabbccddeeff", &t, &unknown));
  JET_TEST_FAILS(jet_array_get(unknown, out, sizeof out), JET_NOT_FOUND, NULL);
  JET_TEST_FAILS(jet_array_free(unknown), JET_NOT_FOUND, NULL);

  JET_TEST_OK(jet_array_free(arr));
  jet_client_close(b);
  jet_client_close(a);
}

static void test_closed_client_handles_are_gone(void **state) {
  jet_test_fixture *f = *state;
  /* Sessions of the tests before this one may still be closing: start from
   * the settled state (this fixture holds no client of its own). */
  wait_for_stats(f->address, 0, 0);
  uint64_t base_bytes = 0;
  uint32_t base_sessions = 0;

  jet_client *a;
  JET_TEST_OK(jet_client_connect(f->address, &a));
  char session[256], id[256];
  snprintf(session, sizeof session, "%s", jet_client_session(a));
  float x[1000];
  for (int i = 0; i < 1000; i++) x[i] = (float)i;
  /* Uploaded raw in a's session, so no libjet struct outlives the client. */
  assert_int_equal(jet_test_raw_put_f32(f->address, session, x, 1000, id, sizeof id), 0);
  uint64_t mid_bytes;
  uint32_t mid_sessions;
  live_of(f->address, &mid_bytes, &mid_sessions);
  assert_true(mid_bytes >= base_bytes + sizeof x);
  jet_client_close(a);
  wait_for_stats(f->address, base_bytes, base_sessions);

  /* The old token and handle no longer reach anything. */
  Jet__V1__ArrayHandle h = JET__V1__ARRAY_HANDLE__INIT;
  h.id = id;
  Jet__V1__GetArrayRequest req = JET__V1__GET_ARRAY_REQUEST__INIT;
  req.handle = &h;
  jet_test_raw_result r;
  assert_int_equal(
      jet_test_raw_call_msg(f->address, "/jet.v1.Jet/GetArray", &req.base, session, 10000, &r), 0);
  /* NOT_FOUND for the handle, or a refusal of the closed session itself. */
  if (r.code != GRPC_STATUS_NOT_FOUND && r.code != GRPC_STATUS_UNAUTHENTICATED &&
      r.code != GRPC_STATUS_FAILED_PRECONDITION)
    fail_msg("GetArray with a closed session's handle: status %d (%s), want NOT_FOUND", r.code,
             r.details);
  assert_null(r.response);
  jet_test_raw_result_free(&r);
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], CHILD_FLAG) == 0) return child_main(argv[2], atoi(argv[3]));
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_killed_client_leaves_nothing),
      cmocka_unit_test(test_foreign_handle_is_not_found),
      cmocka_unit_test(test_closed_client_handles_are_gone),
  };
  return cmocka_run_group_tests(tests, jet_test_fixture_setup_daemon, jet_test_fixture_teardown);
}
