/* End to end: the tutorial example (a = [1, 2, 3], b = [1, 1, -1];
 * dot(a, b) = 0, square(a) = [1, 4, 9]) through libjet, through the jet CLI
 * and through the example program, against a real jetd. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "jet/jet.h"

static const float kA[3] = {1, 2, 3};
static const float kB[3] = {1, 1, -1};

/* Builds f(a, b) = (dot(a, b), square(a)) for f32[3] inputs. */
static jet_builder *build_tutorial(void) {
  jet_builder *b = jet_builder_create("tutorial");
  assert_non_null(b);
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_value a = jet_builder_param(b, &t);
  jet_value bb = jet_builder_param(b, &t);
  int64_t zero = 0;
  jet_value dot = jet_dot_general(b, a, bb, &zero, 1, &zero, 1, NULL, 0, NULL, 0);
  jet_value sq = jet_square(b, a);
  jet_value outs[2] = {dot, sq};
  JET_TEST_OK(jet_builder_return(b, outs, 2));
  return b;
}

static void check_tutorial_results(const jet_result *r) {
  assert_int_equal(r[0].type.dtype, JET_F32);
  assert_int_equal(r[0].type.rank, 0);
  assert_int_equal(r[1].type.dtype, JET_F32);
  assert_int_equal(r[1].type.rank, 1);
  assert_int_equal(r[1].type.dims[0], 3);
  float dot, sq[3];
  assert_int_equal(r[0].nbytes, sizeof dot);
  assert_int_equal(r[1].nbytes, sizeof sq);
  memcpy(&dot, r[0].data, sizeof dot);
  memcpy(sq, r[1].data, sizeof sq);
  /* Expected values computed here from the inputs, not taken from jet. */
  float want_dot = 0;
  for (int i = 0; i < 3; i++) want_dot += kA[i] * kB[i];
  assert_true(dot == want_dot);
  for (int i = 0; i < 3; i++) assert_true(sq[i] == kA[i] * kA[i]);
}

static void test_libjet_inline(void **state) {
  jet_test_fixture *f = *state;
  jet_builder *b = build_tutorial();
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(f->client, jet_builder_graph(b), NULL, 0, NULL, &e, NULL));
  assert_int_equal(jet_executable_num_outputs(e), 2);
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_arg args[2] = {jet_arg_inline(&t, kA), jet_arg_inline(&t, kB)};
  jet_result r[2];
  memset(r, 0, sizeof r);
  JET_TEST_OK(jet_execute_inline(e, args, 2, r, 2));
  check_tutorial_results(r);
  jet_results_clear(r, 2);
  jet_builder_destroy(b);
}

static void test_libjet_handles(void **state) {
  jet_test_fixture *f = *state;
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_array *a, *bb;
  JET_TEST_OK(jet_array_put(f->client, &t, kA, &a));
  JET_TEST_OK(jet_array_put(f->client, &t, kB, &bb));
  float back[3];
  JET_TEST_OK(jet_array_get(a, back, sizeof back));
  assert_memory_equal(back, kA, sizeof kA);

  jet_builder *b = build_tutorial();
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(f->client, jet_builder_graph(b), NULL, 0, NULL, &e, NULL));
  jet_arg args[2] = {jet_arg_of_array(a), jet_arg_of_array(bb)};
  /* Output 0 inline, output 1 kept on the server. */
  jet_result r[2];
  memset(r, 0, sizeof r);
  r[1].keep_on_server = true;
  JET_TEST_OK(jet_execute(e, args, 2, r, 2));
  assert_non_null(r[1].array);
  assert_null(r[1].data);
  float sq[3];
  JET_TEST_OK(jet_array_get(r[1].array, sq, sizeof sq));
  for (int i = 0; i < 3; i++) assert_true(sq[i] == kA[i] * kA[i]);
  float dot;
  assert_int_equal(r[0].nbytes, sizeof dot);
  memcpy(&dot, r[0].data, sizeof dot);
  assert_true(dot == 0.0f);
  JET_TEST_OK(jet_array_free(r[1].array));
  jet_results_clear(r, 2);

  /* The eager layer: square and dot one op at a time on the server. */
  jet_array *y;
  JET_TEST_OK(jet_eager_unary(f->client, JET_OP_SQUARE, a, &y));
  JET_TEST_OK(jet_array_get(y, sq, sizeof sq));
  for (int i = 0; i < 3; i++) assert_true(sq[i] == kA[i] * kA[i]);
  JET_TEST_OK(jet_array_free(y));
  int64_t zero = 0;
  jet_attr attrs[2] = {
      {.name = "lhs_contracting_dimensions", .kind = JET_ATTR_INTS, .u.ints = {&zero, 1}},
      {.name = "rhs_contracting_dimensions", .kind = JET_ATTR_INTS, .u.ints = {&zero, 1}},
  };
  jet_array *ab[2] = {a, bb};
  jet_array *d;
  JET_TEST_OK(jet_eager(f->client, JET_OP_DOT_GENERAL, ab, 2, attrs, 2, &d));
  assert_int_equal(jet_array_type(d)->rank, 0);
  JET_TEST_OK(jet_array_get(d, &dot, sizeof dot));
  assert_true(dot == 0.0f);
  JET_TEST_OK(jet_array_free(d));

  JET_TEST_OK(jet_array_free(a));
  JET_TEST_OK(jet_array_free(bb));
  jet_builder_destroy(b);
}

static void test_libjet_format(void **state) {
  (void)state;
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  float sq[3];
  for (int i = 0; i < 3; i++) sq[i] = kA[i] * kA[i];
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  JET_TEST_OK(jet_format_array(&t, sq, &sb));
  assert_string_equal(sb.data, "[1. 4. 9.]");
  jet_strbuf_free(&sb);
}

/* Splits out into lines (in place); returns the count (at most cap). */
static size_t split_lines(char *out, char **lines, size_t cap) {
  size_t n = 0;
  char *save = NULL;
  for (char *l = strtok_r(out, "\n", &save); l && n < cap; l = strtok_r(NULL, "\n", &save))
    lines[n++] = l;
  return n;
}

static void expect_cli_ok(const jet_test_fixture *f, const char *const *args,
                          jet_test_proc_result *r) {
  assert_int_equal(jet_test_run_cli(f->address, args, r), 0);
  if (r->status != 0)
    fail_msg("jet %s exited %d\nstdout: %s\nstderr: %s", args[0], r->status, r->out, r->err);
}

static void test_cli_run(void **state) {
  jet_test_fixture *f = *state;
  const char *path = JET_SOURCE_DIR "/tests/data/tutorial.jet";
  if (access(path, R_OK) != 0) fail_msg("%s is missing", path);
  const char *args[] = {"run", path, "f32[3]{1, 2, 3}", "f32[3]{1, 1, -1}", NULL};
  jet_test_proc_result r;
  expect_cli_ok(f, args, &r);
  char *lines[8];
  size_t n = split_lines(r.out, lines, 8);
  if (n != 2) fail_msg("jet run printed %zu lines, expected 2:\n%s", n, r.out);
  /* tutorial.jet returns (dot(a, b), a * a) in that order. */
  assert_string_equal(lines[0], "0.0");
  assert_string_equal(lines[1], "[1. 4. 9.]");
  jet_test_proc_result_free(&r);
}

static void test_cli_print(void **state) {
  jet_test_fixture *f = *state;
  const char *path = JET_SOURCE_DIR "/tests/data/tutorial.jet";
  const char *args[] = {"print", path, NULL};
  jet_test_proc_result r;
  expect_cli_ok(f, args, &r);
  assert_non_null(strstr(r.out, "dot_general"));
  assert_non_null(strstr(r.out, "f32[3]"));
  jet_test_proc_result_free(&r);
}

static void test_cli_devices_health_stats(void **state) {
  jet_test_fixture *f = *state;
  jet_test_proc_result r;
  const char *devices[] = {"devices", NULL};
  expect_cli_ok(f, devices, &r);
  assert_non_null(strstr(r.out, "cpu"));
  jet_test_proc_result_free(&r);

  const char *health[] = {"health", NULL};
  expect_cli_ok(f, health, &r);
  assert_non_null(strstr(r.out, "SERVING"));
  jet_test_proc_result_free(&r);

  const char *stats[] = {"stats", NULL};
  expect_cli_ok(f, stats, &r);
  assert_true(r.out_len > 0);
  assert_non_null(strstr(r.out, "sessions"));
  jet_test_proc_result_free(&r);

  /* The same answers through libjet. */
  jet_device_info *dev;
  size_t n;
  JET_TEST_OK(jet_client_devices(f->client, &dev, &n));
  int cpu = n >= 1 && strcmp(dev[0].kind, "cpu") == 0;
  jet_device_info_free(dev);
  assert_true(cpu);
  int serving = 0;
  JET_TEST_OK(jet_client_health(f->client, &serving));
  assert_int_equal(serving, 1);
  jet_stats s;
  JET_TEST_OK(jet_client_stats(f->client, &s));
  int ok = s.sessions >= 1 && s.version && s.version[0];
  /* how jetd computes: its OpenBLAS core, kernel ISA and pool size */
  ok = ok && s.blas_core && s.blas_core[0] && s.compute_threads >= 1 && s.kernel_isa &&
       (strcmp(s.kernel_isa, "avx512") == 0 || strcmp(s.kernel_isa, "avx2") == 0 ||
        strcmp(s.kernel_isa, "baseline") == 0);
  jet_stats_clear(&s);
  assert_true(ok);
}

/* jet_arrays_free deletes a batch with one RPC; a stale handle in the batch
 * makes it fall back to one delete each, so the live ones still go. */
static void test_arrays_free_batch(void **state) {
  jet_test_fixture *f = *state;
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  const float v[3] = {1, 2, 3};
  jet_array *a[4];
  for (int i = 0; i < 3; i++) JET_TEST_OK(jet_array_put(f->client, &t, v, &a[i]));
  jet_stats s;
  JET_TEST_OK(jet_client_stats(f->client, &s));
  uint64_t before = s.live_arrays;
  jet_stats_clear(&s);
  JET_TEST_OK(jet_arrays_free(a, 3));
  JET_TEST_OK(jet_client_stats(f->client, &s));
  assert_int_equal(s.live_arrays, before - 3);
  jet_stats_clear(&s);
  JET_TEST_OK(jet_array_put(f->client, &t, v, &a[0]));
  JET_TEST_OK(jet_array_put(f->client, &t, v, &a[1]));
  JET_TEST_OK(jet_array_wrap(f->client, "00000000000000000000000000000000", &t, &a[2]));
  a[3] = NULL;
  JET_TEST_FAILS(jet_arrays_free(a, 4), JET_NOT_FOUND, NULL);
  JET_TEST_OK(jet_client_stats(f->client, &s));
  assert_int_equal(s.live_arrays, before - 3);
  jet_stats_clear(&s);
}

static void test_example_program(void **state) {
  jet_test_fixture *f = *state;
  char path[4096];
  const char *cli = JET_CLI_PATH;
  const char *slash = strrchr(cli, '/');
  snprintf(path, sizeof path, "%.*s/jet_tutorial", slash ? (int)(slash - cli) : 1,
           slash ? cli : ".");
  if (access(path, X_OK) != 0) fail_msg("example program %s is missing", path);
  const char *argv[] = {path, NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(argv, f->address, 60000, &r), 0);
  if (r.status != 0) fail_msg("jet_tutorial exited %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
  assert_non_null(strstr(r.out, "dot(a, b) = 0.0\n"));
  assert_non_null(strstr(r.out, "square(a) = [1. 4. 9.]\n"));
  jet_test_proc_result_free(&r);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_libjet_inline),
      cmocka_unit_test(test_libjet_handles),
      cmocka_unit_test(test_libjet_format),
      cmocka_unit_test(test_arrays_free_batch),
      cmocka_unit_test(test_cli_run),
      cmocka_unit_test(test_cli_print),
      cmocka_unit_test(test_cli_devices_health_stats),
      cmocka_unit_test(test_example_program),
  };
  return cmocka_run_group_tests(tests, jet_test_fixture_setup, jet_test_fixture_teardown);
}
