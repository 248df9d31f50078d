/* jetd configuration: defaults, config files, flags (server/daemon). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon/config.h"

static void expect_error(jet_status s, const char *fragment) {
  assert_non_null(s);
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  if (!strstr(jet_status_message(s), fragment))
    fail_msg("message '%s' lacks '%s'", jet_status_message(s), fragment);
  jet_status_free(s);
}

static void test_defaults(void **state) {
  (void)state;
  jet_config c;
  jet_config_defaults(&c);
  assert_string_equal(c.listen, "127.0.0.1:7450");
  assert_int_equal(c.devices, 0); /* auto */
  assert_true(c.memory_limit_auto);
  jet_config_finish(&c);
  /* devices = auto: one per online CPU, sharing the automatic limit */
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  assert_int_equal(c.devices, cpus > 0 ? (uint32_t)cpus : 1u);
  assert_false(c.memory_limit_auto);
  assert_true(c.memory_limit > 0);
  uint64_t auto_limit = c.memory_limit;
  jet_config_defaults(&c);
  c.devices = 1;
  jet_config_finish(&c);
  uint64_t one_device = c.memory_limit;
  assert_true(auto_limit <= one_device / c.devices + 1);
  assert_true(auto_limit >= one_device / (cpus > 0 ? (uint64_t)cpus : 1) - 1);
  jet_config_defaults(&c);
  c.devices = 4;
  jet_config_finish(&c);
  assert_true(c.memory_limit <= one_device / 4 + 1 && c.memory_limit >= one_device / 4 - 1);
  assert_int_equal(c.max_request_bytes, 64u * 1024 * 1024);
  assert_int_equal(c.log_level, JET_LOG_INFO);
  assert_int_equal(c.workers, 0);
  assert_int_equal(c.cache_entries, 4096);
  assert_int_equal(c.max_nodes, 1000000);
}

static void test_bytes(void **state) {
  (void)state;
  uint64_t v;
  assert_null(jet_config_parse_bytes("k", "0", &v));
  assert_int_equal(v, 0);
  assert_null(jet_config_parse_bytes("k", "1500", &v));
  assert_int_equal(v, 1500);
  assert_null(jet_config_parse_bytes("k", "4K", &v));
  assert_int_equal(v, 4096);
  assert_null(jet_config_parse_bytes("k", "3M", &v));
  assert_int_equal(v, 3u << 20);
  assert_null(jet_config_parse_bytes("k", "2G", &v));
  assert_int_equal(v, 2ull << 30);
  assert_null(jet_config_parse_bytes("k", "2GiB", &v));
  assert_int_equal(v, 2ull << 30);
  expect_error(jet_config_parse_bytes("memory-limit", "12X", &v), "memory-limit");
  expect_error(jet_config_parse_bytes("memory-limit", "-1", &v), "not a byte count");
  expect_error(jet_config_parse_bytes("memory-limit", "", &v), "not a byte count");
  expect_error(jet_config_parse_bytes("memory-limit", "99999999999999999999", &v), "byte count");
  expect_error(jet_config_parse_bytes("memory-limit", "17179869184G", &v), "byte count");
}

static void test_parse_text(void **state) {
  (void)state;
  jet_config c;
  jet_config_defaults(&c);
  assert_null(jet_config_parse(&c,
                               "# a comment\n"
                               "\n"
                               "  devices = 4   # trailing comment\n"
                               "memory-limit=1G\n"
                               "listen = unix:/tmp/jetd.sock\n"
                               "log-level = debug\n"
                               "workers = 3\n"
                               "cache-entries = 7\n"
                               "max-nodes = 50\n"
                               "max-request-bytes = 8M",
                               "test"));
  assert_int_equal(c.devices, 4);
  assert_int_equal(c.memory_limit, 1ull << 30);
  assert_string_equal(c.listen, "unix:/tmp/jetd.sock");
  assert_int_equal(c.log_level, JET_LOG_DEBUG);
  assert_int_equal(c.workers, 3);
  assert_int_equal(c.cache_entries, 7);
  assert_int_equal(c.max_nodes, 50);
  assert_int_equal(c.max_request_bytes, 8u << 20);
}

/* devices = auto (the default) is one per online CPU; an explicit count,
 * more than the cores included (XLA's forced host device count), wins. */
static void test_devices_auto(void **state) {
  (void)state;
  jet_config c;
  jet_config_defaults(&c);
  assert_null(jet_config_parse(&c, "devices = 8\n", "t"));
  jet_config_finish(&c);
  assert_int_equal(c.devices, 8);
  jet_config_defaults(&c);
  assert_null(jet_config_parse(&c, "devices = 8\ndevices = auto\n", "t"));
  assert_int_equal(c.devices, 0);
  jet_config_finish(&c);
  assert_int_equal(c.devices, jet_config_online_cpus());
  assert_true(c.devices >= 1);
  char *argv[] = {"jetd", "--devices=3", "--memory-limit", "auto", NULL};
  jet_config_action act;
  assert_null(jet_config_from_args(4, argv, &c, &act));
  assert_int_equal(c.devices, 3);
  jet_config one;
  char *argv1[] = {"jetd", "--devices=1", NULL};
  assert_null(jet_config_from_args(2, argv1, &one, &act));
  assert_true(c.memory_limit <= one.memory_limit / 3 + 1);
  assert_true(c.memory_limit + 1 >= one.memory_limit / 3);
  expect_error(jet_config_parse(&c, "devices = 1025\n", "t"), "neither auto nor an integer");
  assert_non_null(strstr(jet_config_usage, "--devices N|auto"));
}

static void test_parse_errors(void **state) {
  (void)state;
  jet_config c;
  jet_config_defaults(&c);
  expect_error(jet_config_parse(&c, "devices = 2\nbogus = 1\n", "f.conf"),
               "f.conf:2: unknown key 'bogus'");
  expect_error(jet_config_parse(&c, "devices = 0\n", "f.conf"), "f.conf:1: devices");
  expect_error(jet_config_parse(&c, "devices = two\n", "f.conf"), "devices: 'two'");
  expect_error(jet_config_parse(&c, "\n\njust words\n", "f.conf"), "f.conf:3: expected `key = value`");
  expect_error(jet_config_parse(&c, "log-level = loud\n", "x"), "log-level: 'loud'");
  expect_error(jet_config_parse(&c, "listen =\n", "x"), "listen");
  expect_error(jet_config_parse(&c, "max-request-bytes = 10\n", "x"), "max-request-bytes");
  expect_error(jet_config_parse(&c, "cache-entries = 0\n", "x"), "cache-entries");
}

static void test_args_override_file(void **state) {
  (void)state;
  char path[] = "/tmp/jet_test_config_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  const char *text = "devices = 3\nlisten = 0.0.0.0:9000\nmemory-limit = 1M\n";
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
  close(fd);
  char *argv[] = {"jetd", "--devices", "5", "--config", path, "--memory-limit=2K", NULL};
  jet_config c;
  jet_config_action act;
  assert_null(jet_config_from_args(6, argv, &c, &act));
  assert_int_equal(act, JET_CONFIG_RUN);
  assert_int_equal(c.devices, 5);             /* flag beats file */
  assert_string_equal(c.listen, "0.0.0.0:9000"); /* file beats default */
  assert_int_equal(c.memory_limit, 2048);
  unlink(path);
}

static void test_args_errors_and_actions(void **state) {
  (void)state;
  jet_config c;
  jet_config_action act;
  char *help[] = {"jetd", "--listen", "127.0.0.1:0", "--help", NULL};
  assert_null(jet_config_from_args(4, help, &c, &act));
  assert_int_equal(act, JET_CONFIG_HELP);
  char *ver[] = {"jetd", "--version", NULL};
  assert_null(jet_config_from_args(2, ver, &c, &act));
  assert_int_equal(act, JET_CONFIG_VERSION);
  char *missing[] = {"jetd", "--devices", NULL};
  expect_error(jet_config_from_args(2, missing, &c, &act), "--devices needs a value");
  char *unknown[] = {"jetd", "--frobnicate", "1", NULL};
  expect_error(jet_config_from_args(3, unknown, &c, &act), "unknown key 'frobnicate'");
  char *positional[] = {"jetd", "serve", NULL};
  expect_error(jet_config_from_args(2, positional, &c, &act), "unexpected argument 'serve'");
  char *badval[] = {"jetd", "--log-level", "shout", NULL};
  expect_error(jet_config_from_args(3, badval, &c, &act), "--log-level: log-level");
  char *nofile[] = {"jetd", "--config", "/nonexistent/jetd.conf", NULL};
  jet_status s = jet_config_from_args(3, nofile, &c, &act);
  assert_non_null(s);
  assert_non_null(strstr(jet_status_message(s), "/nonexistent/jetd.conf"));
  jet_status_free(s);
  char *ok[] = {"jetd", "--listen", "127.0.0.1:0", "--log-level", "error", NULL};
  assert_null(jet_config_from_args(5, ok, &c, &act));
  assert_string_equal(c.listen, "127.0.0.1:0");
  assert_int_equal(c.log_level, JET_LOG_ERROR);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_defaults),
      cmocka_unit_test(test_bytes),
      cmocka_unit_test(test_parse_text),
      cmocka_unit_test(test_devices_auto),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_args_override_file),
      cmocka_unit_test(test_args_errors_and_actions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
