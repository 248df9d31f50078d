/* The persistent compile cache across jetd restarts: a daemon started with
 * --cache-dir compiles a graph (CompileResponse.source "compiled") and
 * writes it to the directory; a restarted daemon's first Compile of the
 * same graph is a disk hit (source "disk", no miss) that computes the same
 * results; a corrupted entry is discarded (counted, logged) and compiled
 * again. `jet stats` shows the counters. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "jet/jet.h"

#define N 5

static char g_dir[512];

/* f(x, w) = tanh(x * w) + x over f32[N]. */
static jet_builder *affine(void) {
  jet_builder *b = jet_builder_create("affine");
  assert_non_null(b);
  int64_t n = N;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value x = jet_builder_param(b, &t);
  jet_value w = jet_builder_param(b, &t);
  jet_value y = jet_add(b, jet_tanh(b, jet_mul(b, x, w)), x);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  return b;
}

/* Compiles affine() (bypassing the client-side cache), checks the source,
 * runs it and returns the results in out. */
static void compile_and_run(jet_client *c, const char *want_source, float out[N],
                            char id[64]) {
  jet_builder *b = affine();
  jet_compile_options o = {.bypass_cache = true};
  jet_compile_info info;
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(c, jet_builder_graph(b), NULL, 0, &o, &e, &info));
  jet_builder_destroy(b);
  if (strcmp(info.source, want_source) != 0)
    fail_msg("CompileResponse.source '%s', expected '%s'", info.source, want_source);
  assert_false(info.client_cache_hit);
  assert_false(info.server_cache_hit);
  jet_compile_info_clear(&info);
  snprintf(id, 64, "%s", jet_executable_id(e));
  int64_t n = N;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  float x[N] = {0.5f, -1.0f, 2.0f, 0.0f, 3.0f}, w[N] = {1.0f, 0.25f, -0.5f, 4.0f, 0.1f};
  jet_arg args[2] = {jet_arg_inline(&t, x), jet_arg_inline(&t, w)};
  jet_result r[1];
  memset(r, 0, sizeof r);
  JET_TEST_OK(jet_execute(e, args, 2, r, 1));
  assert_int_equal(r[0].nbytes, sizeof(float) * N);
  memcpy(out, r[0].data, sizeof(float) * N);
  jet_results_clear(r, 1);
}

/* The value of `name:` in `jet stats` output. */
static unsigned long long stat_of(const char *out, const char *name) {
  char key[96];
  snprintf(key, sizeof key, "\n%s:", name);
  const char *p = strstr(out, key);
  if (!p) fail_msg("`jet stats` has no %s:\n%s", name, out);
  return strtoull(p + strlen(key), NULL, 10);
}

static char *cli_stats(const char *address) {
  const char *args[] = {"stats", NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_cli(address, args, &r), 0);
  if (r.status != 0) fail_msg("jet stats: status %d: %s", r.status, r.err);
  /* A leading newline so that every key can be matched as "\nkey:". */
  size_t n = strlen(r.out);
  char *out = malloc(n + 2);
  assert_non_null(out);
  out[0] = '\n';
  memcpy(out + 1, r.out, n + 1);
  jet_test_proc_result_free(&r);
  return out;
}

static jet_test_fixture *start(void) {
  const char *args[] = {"--cache-dir", g_dir, "--cache-dir-bytes", "16M", NULL};
  jet_test_fixture *f;
  assert_int_equal(jet_test_fixture_start(args, 1, &f), 0);
  return f;
}

static bool log_has(jet_test_fixture *f, const char *needle) {
  FILE *fp = fopen(jet_test_daemon_log_path(f->daemon), "rb");
  if (!fp) return false;
  static char buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  buf[n] = '\0';
  fclose(fp);
  return strstr(buf, needle) != NULL;
}

static void test_restart_is_a_disk_hit(void **state) {
  (void)state;
  const char *base = getenv("TMPDIR");
  snprintf(g_dir, sizeof g_dir, "%s/jet-cache-it-XXXXXX", base && *base ? base : "/tmp");
  assert_non_null(mkdtemp(g_dir));
  size_t l = strlen(g_dir);
  assert_true(l + sizeof "/cache" <= sizeof g_dir);
  memcpy(g_dir + l, "/cache", sizeof "/cache"); /* created by jetd */

  /* 1. A cold daemon compiles and writes the entry. */
  jet_test_fixture *f = start();
  float first[N], again[N];
  char id[64], id2[64];
  compile_and_run(f->client, "compiled", first, id);
  char *s = cli_stats(f->address);
  assert_int_equal(stat_of(s, "compile_cache_misses"), 1);
  assert_int_equal(stat_of(s, "compile_cache_disk_hits"), 0);
  assert_int_equal(stat_of(s, "compile_cache_disk_entries"), 1);
  assert_true(stat_of(s, "compile_cache_disk_bytes") > 128);
  assert_true(stat_of(s, "compile_cache_bytes") > 0);
  assert_int_equal(stat_of(s, "compile_cache_capacity_bytes"), 256u << 20);
  assert_int_equal(stat_of(s, "compile_cache_entries"), 1);
  free(s);
  char line[128];
  snprintf(line, sizeof line, "compile %s: source compiled", id);
  assert_true(log_has(f, line));
  /* In memory now. */
  jet_builder *b = affine();
  jet_compile_options o = {.bypass_cache = true};
  jet_compile_info info;
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(f->client, jet_builder_graph(b), NULL, 0, &o, &e, &info));
  jet_builder_destroy(b);
  assert_string_equal(info.source, "memory");
  assert_true(info.server_cache_hit);
  jet_compile_info_clear(&info);
  assert_int_equal(jet_test_fixture_stop(f), 0);

  char path[1024];
  snprintf(path, sizeof path, "%s/%s.jxc", g_dir, id);
  assert_int_equal(access(path, R_OK), 0);

  /* 2. After a restart the first compile is a disk hit, same results. */
  f = start();
  compile_and_run(f->client, "disk", again, id2);
  assert_string_equal(id, id2);
  assert_memory_equal(first, again, sizeof first);
  s = cli_stats(f->address);
  assert_int_equal(stat_of(s, "compile_cache_misses"), 0);
  assert_int_equal(stat_of(s, "compile_cache_disk_hits"), 1);
  assert_int_equal(stat_of(s, "compile_cache_disk_discarded"), 0);
  assert_int_equal(stat_of(s, "compile_time_total_us"), 0);
  free(s);
  snprintf(line, sizeof line, "compile %s: source disk", id);
  assert_true(log_has(f, line));
  assert_int_equal(jet_test_fixture_stop(f), 0);

  /* 3. A corrupted entry is discarded and compiled again. */
  FILE *fp = fopen(path, "r+b");
  assert_non_null(fp);
  assert_int_equal(fseek(fp, -2, SEEK_END), 0);
  int ch = fgetc(fp);
  assert_int_equal(fseek(fp, -2, SEEK_END), 0);
  fputc(ch ^ 0x20, fp);
  fclose(fp);
  f = start();
  compile_and_run(f->client, "compiled", again, id2);
  assert_memory_equal(first, again, sizeof first);
  s = cli_stats(f->address);
  assert_int_equal(stat_of(s, "compile_cache_misses"), 1);
  assert_int_equal(stat_of(s, "compile_cache_disk_hits"), 0);
  assert_int_equal(stat_of(s, "compile_cache_disk_discarded"), 1);
  assert_int_equal(stat_of(s, "compile_cache_disk_entries"), 1);
  assert_true(stat_of(s, "compile_time_total_us") > 0);
  free(s);
  assert_true(log_has(f, "checksum mismatch; discarded"));
  assert_int_equal(jet_test_fixture_stop(f), 0);

  /* 4. The rewritten entry is good again. */
  f = start();
  compile_and_run(f->client, "disk", again, id2);
  assert_memory_equal(first, again, sizeof first);
  assert_int_equal(jet_test_fixture_stop(f), 0);

  /* Clean up: the entry, then the directories. */
  DIR *d = opendir(g_dir);
  assert_non_null(d);
  struct dirent *de;
  int tmp = 0;
  while ((de = readdir(d)) != NULL) {
    if (de->d_name[0] == '.' && strstr(de->d_name, ".tmp")) tmp++;
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, "..")) {
      snprintf(path, sizeof path, "%s/%s", g_dir, de->d_name);
      unlink(path);
    }
  }
  closedir(d);
  assert_int_equal(tmp, 0);
  rmdir(g_dir);
  *strrchr(g_dir, '/') = '\0';
  rmdir(g_dir);
}

static void test_unusable_cache_dir_stops_jetd(void **state) {
  (void)state;
  const char *args[] = {"--cache-dir", "/proc/jet-cache-cannot-exist", NULL};
  jet_test_daemon *d = NULL;
  assert_int_not_equal(jet_test_daemon_start(args, &d), 0);
  assert_null(d);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_restart_is_a_disk_hit),
      cmocka_unit_test(test_unusable_cache_dir_stops_jetd),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
