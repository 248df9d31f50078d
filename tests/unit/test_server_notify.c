/* systemd readiness notification (server/daemon/notify.c): a bound unix
 * datagram socket stands in for systemd. Covers a path socket, an '@'
 * abstract name, $NOTIFY_SOCKET unset (no-op), bad names and a socket
 * nobody listens on (an error, never a crash or a hang). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/notify.h"

/* The stand-in for systemd: a datagram socket bound to `name` (a path, or
 * an '@' abstract name). */
static int bind_listener(const char *name) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  size_t n = strlen(name);
  assert_true(n < sizeof(sa.sun_path));
  memcpy(sa.sun_path, name, n);
  if (name[0] == '@') sa.sun_path[0] = '\0';
  socklen_t len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n);
  if (bind(fd, (struct sockaddr *)&sa, len) != 0) fail_msg("bind %s: %s", name, strerror(errno));
  return fd;
}

/* Receives one datagram (waiting up to 5 s: it was sent before this is
 * called, so it is already queued) into buf as a string. */
static void recv_message(int fd, char *buf, size_t cap) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  assert_int_equal(poll(&p, 1, 5000), 1);
  ssize_t n = recv(fd, buf, cap - 1, 0);
  assert_true(n >= 0);
  buf[n] = '\0';
}

static int nothing_queued(int fd) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  return poll(&p, 1, 0) == 0;
}

static void temp_path(char *out, size_t cap, char *dir, size_t dircap) {
  snprintf(dir, dircap, "/tmp/jet-notify-XXXXXX");
  assert_non_null(mkdtemp(dir));
  snprintf(out, cap, "%s/notify.sock", dir);
}

static void test_path_socket(void **state) {
  (void)state;
  char dir[64], path[128], buf[2048];
  temp_path(path, sizeof(path), dir, sizeof(dir));
  int fd = bind_listener(path);
  assert_null(jet_notify_send(path, "READY=1\nSTATUS=serving on 127.0.0.1:7450"));
  recv_message(fd, buf, sizeof(buf));
  assert_string_equal(buf, "READY=1\nSTATUS=serving on 127.0.0.1:7450");
  /* Through the environment, as jetd does it. */
  assert_int_equal(setenv(JET_NOTIFY_SOCKET_ENV, path, 1), 0);
  assert_null(jet_notify("STOPPING=1"));
  recv_message(fd, buf, sizeof(buf));
  assert_string_equal(buf, "STOPPING=1");
  assert_int_equal(jet_notifyf("STATUS=%s %d", "draining", 3), 0);
  recv_message(fd, buf, sizeof(buf));
  assert_string_equal(buf, "STATUS=draining 3");
  unsetenv(JET_NOTIFY_SOCKET_ENV);
  close(fd);
  unlink(path);
  rmdir(dir);
}

static void test_abstract_socket(void **state) {
  (void)state;
  char name[96], buf[256];
  snprintf(name, sizeof(name), "@jet-notify-test-%ld-%d", (long)getpid(), rand());
  int fd = bind_listener(name);
  assert_null(jet_notify_send(name, "READY=1"));
  recv_message(fd, buf, sizeof(buf));
  assert_string_equal(buf, "READY=1");
  assert_int_equal(setenv(JET_NOTIFY_SOCKET_ENV, name, 1), 0);
  assert_int_equal(jet_notifyf("READY=1\nMAINPID=%ld", (long)getpid()), 0);
  recv_message(fd, buf, sizeof(buf));
  char want[64];
  snprintf(want, sizeof(want), "READY=1\nMAINPID=%ld", (long)getpid());
  assert_string_equal(buf, want);
  unsetenv(JET_NOTIFY_SOCKET_ENV);
  close(fd);
}

static void test_unset_is_noop(void **state) {
  (void)state;
  unsetenv(JET_NOTIFY_SOCKET_ENV);
  assert_null(jet_notify("READY=1"));
  assert_int_equal(jet_notifyf("READY=1"), 0);
  assert_null(jet_notify_send(NULL, "READY=1"));
  assert_null(jet_notify_send("", "READY=1"));
  /* Empty variable: the same as unset. */
  assert_int_equal(setenv(JET_NOTIFY_SOCKET_ENV, "", 1), 0);
  assert_null(jet_notify("READY=1"));
  unsetenv(JET_NOTIFY_SOCKET_ENV);
}

static void expect_error(const char *name, jet_code code, const char *needle) {
  jet_status st = jet_notify_send(name, "READY=1");
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), code);
  if (!strstr(jet_status_message(st), needle))
    fail_msg("message '%s' does not mention '%s'", jet_status_message(st), needle);
  jet_status_free(st);
}

static void test_bad_names(void **state) {
  (void)state;
  expect_error("relative/notify.sock", JET_INVALID_ARGUMENT, "NOTIFY_SOCKET");
  expect_error("vsock:2:1234", JET_UNIMPLEMENTED, "vsock");
  char longname[300];
  memset(longname, 'a', sizeof(longname) - 1);
  longname[0] = '/';
  longname[sizeof(longname) - 1] = '\0';
  expect_error(longname, JET_INVALID_ARGUMENT, "longer than");
  /* Nobody bound there: UNAVAILABLE naming the socket, and jet_notifyf
   * reports -1 (logged) instead of failing the daemon. */
  expect_error("/nonexistent-dir-jet/notify.sock", JET_UNAVAILABLE,
               "/nonexistent-dir-jet/notify.sock");
  expect_error("@jet-notify-nobody-listens-here", JET_UNAVAILABLE, "@jet-notify-nobody");
  assert_int_equal(setenv(JET_NOTIFY_SOCKET_ENV, "/nonexistent-dir-jet/notify.sock", 1), 0);
  assert_int_equal(jet_notifyf("READY=1"), -1);
  unsetenv(JET_NOTIFY_SOCKET_ENV);
}

static void test_message_too_long(void **state) {
  (void)state;
  char dir[64], path[128];
  temp_path(path, sizeof(path), dir, sizeof(dir));
  int fd = bind_listener(path);
  assert_int_equal(setenv(JET_NOTIFY_SOCKET_ENV, path, 1), 0);
  char big[JET_NOTIFY_MAX_MESSAGE + 10];
  memset(big, 'x', sizeof(big) - 1);
  big[sizeof(big) - 1] = '\0';
  assert_int_equal(jet_notifyf("STATUS=%s", big), -1);
  assert_true(nothing_queued(fd)); /* refused, not truncated */
  unsetenv(JET_NOTIFY_SOCKET_ENV);
  close(fd);
  unlink(path);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_path_socket),     cmocka_unit_test(test_abstract_socket),
      cmocka_unit_test(test_unset_is_noop),   cmocka_unit_test(test_bad_names),
      cmocka_unit_test(test_message_too_long),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
