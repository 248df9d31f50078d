/* The status page of jetd (server/observe/status_page.c) in a real browser:
 * headless Chromium (Debian package `chromium`, installed by
 * deploy/install-deps.sh) loads http://METRICS/ from a daemon started with
 * --metrics-listen; the page fetches /status.json itself, and the figures
 * in its DOM (--dump-dom, stable element ids) equal GetStats / GetDevices
 * taken just before (no RPC in between: the page's fetches are HTTP). A
 * --screenshot PNG of the page must exist and be non-trivial. Chromium
 * missing is a FAILURE naming the package, never a skip. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "jet/jet.h"

#define CHROMIUM "/usr/bin/chromium"

/* The text of the element with id `id` in the dumped DOM (static buffer);
 * fails the test when it is missing. */
static const char *by_id(const char *dom, const char *id) {
  static char val[256];
  char key[128];
  snprintf(key, sizeof key, "id=\"%s\"", id);
  const char *p = strstr(dom, key);
  if (!p) fail_msg("the page has no element id=\"%s\"", id);
  p = strchr(p, '>');
  assert_non_null(p);
  p++;
  size_t n = strcspn(p, "<");
  if (n >= sizeof val) n = sizeof val - 1;
  memcpy(val, p, n);
  val[n] = '\0';
  return val;
}

static void expect_num(const char *dom, const char *id, uint64_t want) {
  const char *got = by_id(dom, id);
  char w[32];
  snprintf(w, sizeof w, "%llu", (unsigned long long)want);
  if (strcmp(got, w) != 0) fail_msg("#%s shows '%s', GetStats/GetDevices say %s", id, got, w);
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
  (void)sb;
  (void)flag;
  (void)ftw;
  return remove(path);
}

static uint64_t stats_calls(const jet_stats *s, const char *method) {
  for (size_t i = 0; i < s->n_methods; i++) {
    const char *m = s->methods[i].method, *slash = strrchr(m, '/');
    if (!strcmp(slash ? slash + 1 : m, method)) return s->methods[i].calls;
  }
  fail_msg("GetStats has no method %s", method);
  return 0;
}

static void test_status_page_in_chromium(void **state) {
  (void)state;
  if (access(CHROMIUM, X_OK) != 0)
    fail_msg("%s not found: the status page test needs headless Chromium (Debian package "
             "`chromium`, in deploy/install-deps.sh)",
             CHROMIUM);
  static const char *const args[] = {"--metrics-listen", "127.0.0.1:0", NULL};
  jet_test_fixture *f;
  assert_int_equal(jet_test_fixture_start(args, 1, &f), 0);
  char maddr[128], url[160];
  assert_int_equal(jet_test_daemon_metrics_address(f->daemon, maddr, sizeof maddr), 0);
  snprintf(url, sizeof url, "http://%s/", maddr);

  /* Some state: three arrays and a compiled kernel. */
  jet_client *c = f->client;
  int64_t n = 16;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  float x[16] = {0};
  jet_array *arr[3];
  for (int i = 0; i < 3; i++) JET_TEST_OK(jet_array_put(c, &t, x, &arr[i]));
  jet_builder *b = jet_builder_create("page");
  jet_value v = jet_builder_param(b, &t);
  jet_value y = jet_mul(b, v, v);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(c, jet_builder_graph(b), NULL, 0, NULL, &e, NULL));
  jet_builder_destroy(b);

  jet_device_info *devs;
  size_t nd;
  JET_TEST_OK(jet_client_devices(c, &devs, &nd));
  jet_stats s;
  JET_TEST_OK(jet_client_stats(c, &s));
  /* No RPC from here until the DOM is read. */

  char dir[] = "/tmp/jet-status-page-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char profile[128], shot[128], size_arg[32] = "--window-size=1200,1100";
  snprintf(profile, sizeof profile, "--user-data-dir=%s/profile", dir);
  snprintf(shot, sizeof shot, "%s/page.png", dir);
  char shot_arg[160];
  snprintf(shot_arg, sizeof shot_arg, "--screenshot=%s", shot);
  /* --no-sandbox: Chromium refuses to run as root (CI) with its sandbox. */
  const char *dump[] = {CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                        "--disable-dev-shm-usage", profile, "--virtual-time-budget=4000",
                        "--dump-dom", url, NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(dump, NULL, 25000, &r), 0);
  if (r.status != 0 || !strstr(r.out, "</html>"))
    fail_msg("chromium --dump-dom: exit %d\nstdout: %.500s\nstderr: %.2000s", r.status, r.out,
             r.err);
  const char *dom = r.out;
  if (strcmp(by_id(dom, "state"), "ok") != 0)
    fail_msg("the page did not load /status.json: state '%s'", by_id(dom, "state"));
  assert_true(atoi(by_id(dom, "refreshes")) >= 1);
  assert_string_equal(by_id(dom, "version"), s.version);
  expect_num(dom, "sessions", s.sessions);
  expect_num(dom, "live-arrays", s.live_arrays);
  assert_true(s.live_arrays >= 3);
  expect_num(dom, "live-bytes", s.live_bytes);
  expect_num(dom, "queue-depth", 0);
  expect_num(dom, "cache-entries", s.compile_cache_entries);
  expect_num(dom, "cache-bytes", s.compile_cache_bytes);
  expect_num(dom, "cache-hits", s.compile_cache_hits);
  expect_num(dom, "cache-misses", s.compile_cache_misses);
  expect_num(dom, "tenant-default-mem", s.live_bytes);
  expect_num(dom, "method-GetDevices-calls", stats_calls(&s, "GetDevices"));
  expect_num(dom, "method-PutArray-calls", stats_calls(&s, "PutArray"));
  char id[64];
  for (size_t i = 0; i < nd; i++) {
    snprintf(id, sizeof id, "dev-%u-mem", devs[i].id);
    expect_num(dom, id, devs[i].memory_in_use_bytes);
    snprintf(id, sizeof id, "dev-%u-limit", devs[i].id);
    expect_num(dom, id, devs[i].memory_limit_bytes);
    snprintf(id, sizeof id, "dev-%u-arrays", devs[i].id);
    expect_num(dom, id, devs[i].live_arrays);
  }
  jet_test_proc_result_free(&r);

  const char *capture[] = {CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-dev-shm-usage", profile, "--hide-scrollbars", size_arg,
                           "--virtual-time-budget=4000", shot_arg, url, NULL};
  assert_int_equal(jet_test_run_program(capture, NULL, 25000, &r), 0);
  size_t png_len = 0;
  char *png = jet_test_read_file(shot, &png_len);
  if (r.status != 0 || !png)
    fail_msg("chromium --screenshot: exit %d, no %s\nstderr: %.2000s", r.status, shot, r.err);
  assert_memory_equal(png, "\x89PNG\r\n\x1a\n", 8);
  if (png_len < 8000) fail_msg("the screenshot is only %zu bytes: a blank page?", png_len);
  printf("status page: %zu-byte screenshot\n", png_len);
  free(png);
  jet_test_proc_result_free(&r);

  nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
  for (int i = 0; i < 3; i++) JET_TEST_OK(jet_array_free(arr[i]));
  jet_device_info_free(devs);
  jet_stats_clear(&s);
  assert_int_equal(jet_test_fixture_stop(f), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_status_page_in_chromium)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
