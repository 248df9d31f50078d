/* Deployment (deploy/): the annotated example config deploy/jetd.conf.example
 * lists every key jetd accepts (checked against `jetd --help`), jetd starts
 * with it as it is (on a free port, with a scratch cache-dir and metrics
 * port), notifies systemd readiness (READY=1) and the start of the drain
 * (STOPPING=1) over $NOTIFY_SOCKET — here an abstract datagram socket of the
 * test standing in for systemd — serves `jet health`, and stops on SIGTERM
 * with exit 0. A typo in a copy of the file stops jetd with exit 2 naming
 * the line, so the start above really parsed the file. deploy/jetd.service
 * passes `systemd-analyze verify` (skipped where systemd-analyze is
 * missing), with ExecStart pointed at the built jetd. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon_harness.h"

#define EXAMPLE JET_SOURCE_DIR "/deploy/jetd.conf.example"

static char *read_all(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  char *buf = malloc(1 << 20);
  assert_non_null(buf);
  size_t n = fread(buf, 1, (1 << 20) - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

/* Whether `text` has a line "KEY =" or "# KEY =" (set or shown commented). */
static int mentions_key(const char *text, const char *key) {
  size_t klen = strlen(key);
  for (const char *line = text; line && *line;) {
    const char *p = line;
    if (*p == '#') p++;
    while (*p == ' ') p++;
    if (strncmp(p, key, klen) == 0) {
      p += klen;
      while (*p == ' ') p++;
      if (*p == '=') return 1;
    }
    line = strchr(line, '\n');
    if (line) line++;
  }
  return 0;
}

static void test_example_lists_every_key(void **state) {
  (void)state;
  const char *argv[] = {JETD_PATH, "--help", NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(argv, NULL, 20000, &r), 0);
  assert_int_equal(r.status, 0);
  char *text = read_all(EXAMPLE);
  unsigned keys = 0;
  for (const char *p = r.out; (p = strstr(p, "--")) != NULL;) {
    int word_start = p == r.out || isspace((unsigned char)p[-1]);
    p += 2;
    char key[64];
    size_t n = 0;
    while (n + 1 < sizeof(key) && (isalnum((unsigned char)p[n]) || p[n] == '-' ||
                                   p[n] == '.' || p[n] == '|'))
      n++;
    memcpy(key, p, n);
    key[n] = '\0';
    p += n;
    /* Flags that are no keys, and patterns such as --tenant.NAME.memory. */
    if (!word_start || n == 0 || strchr(key, '.') || strchr(key, '|') ||
        strcmp(key, "config") == 0 || strcmp(key, "help") == 0 || strcmp(key, "version") == 0)
      continue;
    keys++;
    if (!mentions_key(text, key))
      fail_msg("deploy/jetd.conf.example does not list key '%s' (from jetd --help)", key);
  }
  assert_true(keys >= 20); /* listen ... log-format: the usage really was parsed */
  free(text);
  jet_test_proc_result_free(&r);
}

/* The stand-in for systemd: an abstract unix datagram socket. */
static int bind_notify(char *name, size_t cap) {
  snprintf(name, cap, "@jet-test-deploy-%ld", (long)getpid());
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  assert_true(fd >= 0);
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof(sa));
  sa.sun_family = AF_UNIX;
  size_t n = strlen(name);
  memcpy(sa.sun_path + 1, name + 1, n - 1);
  assert_int_equal(bind(fd, (struct sockaddr *)&sa,
                        (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n)),
                   0);
  return fd;
}

/* Waits (bounded) for the next notification and checks it holds `want`. */
static void expect_notification(int fd, const char *want) {
  struct pollfd p = {.fd = fd, .events = POLLIN};
  if (poll(&p, 1, JET_TEST_START_TIMEOUT_MS) != 1) fail_msg("no notification '%s'", want);
  char buf[2048];
  ssize_t n = recv(fd, buf, sizeof(buf) - 1, 0);
  assert_true(n > 0);
  buf[n] = '\0';
  if (!strstr(buf, want)) fail_msg("notification '%s' does not hold '%s'", buf, want);
  if (!strstr(buf, "STATUS=")) fail_msg("notification '%s' has no STATUS= line", buf);
}

static void test_example_starts_notifies_and_stops(void **state) {
  (void)state;
  char cache[] = "/tmp/jet-deploy-cache-XXXXXX";
  assert_non_null(mkdtemp(cache));
  char cache_dir[128];
  snprintf(cache_dir, sizeof(cache_dir), "%s/cache", cache);
  char name[64];
  int fd = bind_notify(name, sizeof(name));
  assert_int_equal(setenv("NOTIFY_SOCKET", name, 1), 0);
  const char *args[] = {"--config", EXAMPLE, "--cache-dir", cache_dir,
                        "--metrics-listen", "127.0.0.1:0", NULL};
  jet_test_daemon *d = NULL;
  int rc = jet_test_daemon_start(args, &d);
  unsetenv("NOTIFY_SOCKET");
  assert_int_equal(rc, 0);
  expect_notification(fd, "READY=1");

  const char *health[] = {"health", NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_cli(jet_test_daemon_address(d), health, &r), 0);
  if (r.status != 0 || !strstr(r.out, "SERVING"))
    fail_msg("jet health: status %d, out '%s', err '%s'", r.status, r.out, r.err);
  jet_test_proc_result_free(&r);
  struct stat sb;
  assert_int_equal(stat(cache_dir, &sb), 0); /* cache-dir created */
  assert_true(S_ISDIR(sb.st_mode));

  assert_int_equal(jet_test_daemon_signal(d, SIGTERM), 0);
  expect_notification(fd, "STOPPING=1");
  /* The one SIGTERM drains and exits 0 (stop then finds it exited). */
  assert_int_equal(jet_test_daemon_wait(d, JET_TEST_STOP_TIMEOUT_MS), 0);
  assert_int_equal(jet_test_daemon_stop(d), 0);
  close(fd);
  char cmd[256];
  snprintf(cmd, sizeof(cmd), "rm -rf '%s'", cache);
  assert_int_equal(system(cmd), 0);
}

static void test_typo_in_copy_is_refused(void **state) {
  (void)state;
  char path[] = "/tmp/jet-deploy-conf-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  char *text = read_all(EXAMPLE);
  FILE *f = fdopen(fd, "w");
  assert_non_null(f);
  fputs(text, f);
  fputs("shutdown-grace = 30000\n", f); /* the key is shutdown-grace-ms */
  fclose(f);
  const char *argv[] = {JETD_PATH, "--config", path, "--listen", "127.0.0.1:0", NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(argv, NULL, 20000, &r), 0);
  assert_int_equal(r.status, 2);
  if (!strstr(r.err, "unknown key 'shutdown-grace'") || !strstr(r.err, path))
    fail_msg("jetd's error does not name the file and key: '%s'", r.err);
  jet_test_proc_result_free(&r);
  free(text);
  unlink(path);
}

static void test_unit_verifies(void **state) {
  (void)state;
  const char *analyze = "/usr/bin/systemd-analyze";
  if (access(analyze, X_OK) != 0) {
    fprintf(stderr, "skipped: %s is not installed\n", analyze);
    skip();
  }
  char dir[] = "/tmp/jet-deploy-unit-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char unit[128];
  snprintf(unit, sizeof(unit), "%s/jetd.service", dir);
  char *text = read_all(JET_SOURCE_DIR "/deploy/jetd.service");
  const char *installed = "/usr/local/bin/jetd";
  char *at = strstr(text, installed);
  assert_non_null(at);
  FILE *f = fopen(unit, "w");
  assert_non_null(f);
  fprintf(f, "%.*s%s%s", (int)(at - text), text, JETD_PATH, at + strlen(installed));
  fclose(f);
  const char *argv[] = {analyze, "verify", "--man=no", unit, NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(argv, NULL, 20000, &r), 0);
  if (r.status != 0 || strstr(r.err, "jetd.service"))
    fail_msg("systemd-analyze verify: status %d: %s%s", r.status, r.out, r.err);
  jet_test_proc_result_free(&r);
  free(text);
  unlink(unit);
  rmdir(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_example_lists_every_key),
      cmocka_unit_test(test_example_starts_notifies_and_stops),
      cmocka_unit_test(test_typo_in_copy_is_refused),
      cmocka_unit_test(test_unit_verifies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
