/* End to end: committed and sharded arrays through a real jetd started
 * with --devices 4 --memory-limit 1M, through libjet and the CLI.
 *
 * - jet_array_put_sharded: the blocks' bytes and counts show on their own
 *   devices in GetDevices and go when the array is freed; GetArray gathers
 *   the blocks in order; jet_array_get_shard reads one; errors (leading
 *   axis not divisible, a device twice, a device that does not exist, a
 *   scalar, a block over one device's limit: RESOURCE_EXHAUSTED with
 *   nothing left charged on any device, a block index out of range).
 * - Execute: a call on an array committed to device 3 runs there and keeps
 *   its outputs there; two arguments committed to different devices are
 *   INVALID_ARGUMENT naming both; pmap outputs mapped along axis 0 stay
 *   sharded over the pmap's devices in member order (each block charged to
 *   its member's device) and equal the per-member C reference; a non-pmap
 *   program on a sharded array (of either kind: the views of a pmap output
 *   or separate blocks from PutArray) reads the gathered array; a pmap
 *   reads a sharded argument of either kind.
 * - `jet run --place 0=0,1 --keep` prints the sharded placement. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "jet/jet.h"
#include "jet/text.h"

#define NDEV 4

typedef struct usage {
  uint64_t bytes[NDEV];
  uint32_t arrays[NDEV];
} usage;

static usage get_usage(jet_client *c) {
  jet_device_info *d;
  size_t n;
  JET_TEST_OK(jet_client_devices(c, &d, &n));
  assert_int_equal(n, NDEV);
  usage u;
  for (size_t i = 0; i < n; i++) {
    u.bytes[i] = d[i].memory_in_use_bytes;
    u.arrays[i] = d[i].live_arrays;
  }
  jet_device_info_free(d);
  return u;
}

static void expect_usage(jet_client *c, const usage *base, const int64_t *dbytes,
                         const int *darrays, const char *what) {
  usage u = get_usage(c);
  for (int i = 0; i < NDEV; i++)
    if (u.bytes[i] != base->bytes[i] + (uint64_t)dbytes[i] ||
        u.arrays[i] != base->arrays[i] + (uint32_t)darrays[i])
      fail_msg("%s: device %d holds %llu bytes in %u arrays, expected %llu in %u", what, i,
               (unsigned long long)u.bytes[i], u.arrays[i],
               (unsigned long long)(base->bytes[i] + (uint64_t)dbytes[i]),
               base->arrays[i] + (uint32_t)darrays[i]);
}

static void expect_devices(const jet_array *a, const uint32_t *want, size_t n) {
  const uint32_t *d;
  size_t got = jet_array_devices(a, &d);
  assert_int_equal(got, n);
  for (size_t k = 0; k < n; k++)
    if (d[k] != want[k]) fail_msg("block %zu is on device %u, expected %u", k, d[k], want[k]);
}

static void expect_error(jet_status st, jet_code code, const char *needle) {
  if (!st) fail_msg("expected %s containing '%s', got OK", jet_code_name(code), needle);
  if (jet_status_code(st) != code || !strstr(jet_status_message(st), needle))
    fail_msg("expected %s containing '%s', got %s: %s", jet_code_name(code), needle,
             jet_code_name(jet_status_code(st)), jet_status_message(st));
  jet_status_free(st);
}

/* ---- PutArray / GetArray of sharded arrays ----------------------------- */

static void test_put_get_sharded(void **state) {
  jet_test_fixture *f = *state;
  jet_client *c = f->client;
  const usage base = get_usage(c);
  enum { R = 8, C = 1000 };
  float *x = malloc(R * C * sizeof(float)), *back = malloc(R * C * sizeof(float));
  assert_non_null(x);
  assert_non_null(back);
  for (int i = 0; i < R * C; i++) x[i] = (float)i * 0.5f - 7.0f;
  int64_t dims[2] = {R, C};
  jet_type t = jet_type_make(JET_F32, 2, dims);
  const uint32_t devs[2] = {2, 0};
  jet_array *a;
  JET_TEST_OK(jet_array_put_sharded(c, &t, x, devs, 2, &a));
  expect_devices(a, devs, 2);
  const int64_t half = (int64_t)R / 2 * C * 4;
  const int64_t db[NDEV] = {half, 0, half, 0};
  const int da[NDEV] = {1, 0, 1, 0};
  expect_usage(c, &base, db, da, "after put_sharded");
  JET_TEST_OK(jet_array_get(a, back, R * C * sizeof(float)));
  assert_memory_equal(back, x, R * C * sizeof(float));
  memset(back, 0, R * C * sizeof(float));
  JET_TEST_OK(jet_array_get_shard(a, 1, back, R * C * sizeof(float)));
  assert_memory_equal(back, x + R / 2 * C, R / 2 * C * sizeof(float));
  expect_error(jet_array_get_shard(a, 2, back, R * C * sizeof(float)), JET_INVALID_ARGUMENT,
               "block 2 does not exist");
  JET_TEST_OK(jet_array_free(a));
  const int64_t z[NDEV] = {0};
  const int za[NDEV] = {0};
  expect_usage(c, &base, z, za, "after free");

  /* Errors: nothing stays charged. */
  int64_t d5[1] = {5};
  jet_type t5 = jet_type_make(JET_F32, 1, d5);
  expect_error(jet_array_put_sharded(c, &t5, x, devs, 2, &a), JET_INVALID_ARGUMENT,
               "shard_devices: the leading axis of f32[5] (size 5) does not split into 2 equal "
               "blocks");
  const uint32_t twice[2] = {1, 1};
  expect_error(jet_array_put_sharded(c, &t, x, twice, 2, &a), JET_INVALID_ARGUMENT,
               "shard_devices[1]: device 1 holds block 0 already");
  const uint32_t nine[2] = {0, 9};
  expect_error(jet_array_put_sharded(c, &t, x, nine, 2, &a), JET_INVALID_ARGUMENT,
               "shard_devices[1]: device 9 does not exist");
  jet_type ts = jet_type_make(JET_F32, 0, NULL);
  expect_error(jet_array_put_sharded(c, &ts, x, devs, 2, &a), JET_INVALID_ARGUMENT,
               "is a scalar");
  /* 4 blocks of 256 KiB + 4 B over the limit of 1 MiB per device: device
   * 1 already holds 800 KiB, so its block does not fit. */
  int64_t dbig[1] = {200 * 1024};
  jet_type tbig = jet_type_make(JET_F32, 1, dbig);
  float *big = calloc(200 * 1024, sizeof(float));
  assert_non_null(big);
  jet_array *fill;
  JET_TEST_OK(jet_array_put_device(c, &tbig, big, 1, &fill));
  int64_t d4[1] = {4 * 64 * 1024};
  jet_type t4 = jet_type_make(JET_F32, 1, d4);
  float *y = calloc(4 * 64 * 1024, sizeof(float));
  assert_non_null(y);
  const uint32_t all4[4] = {0, 1, 2, 3};
  expect_error(jet_array_put_sharded(c, &t4, y, all4, 4, &a), JET_RESOURCE_EXHAUSTED,
               "shard_devices[1]: ");
  const int64_t only_fill[NDEV] = {0, 200 * 1024 * 4, 0, 0};
  const int fill_a[NDEV] = {0, 1, 0, 0};
  expect_usage(c, &base, only_fill, fill_a, "after a refused sharded put");
  JET_TEST_OK(jet_array_free(fill));
  expect_usage(c, &base, z, za, "after freeing the filler");
  free(big);
  free(y);
  free(x);
  free(back);
}

/* ---- Execute: committed devices, pmap outputs, gathers ----------------- */

/* f(x) = x * 2 + psum(x, 'i') over f32[6] (the pmap body). */
static jet_builder *body(void) {
  int64_t six = 6;
  jet_type t = jet_type_make(JET_F32, 1, &six);
  jet_builder *b = jet_builder_create("body");
  jet_value x = jet_builder_param(b, &t);
  const float two = 2;
  jet_type ts = jet_type_make(JET_F32, 0, NULL);
  jet_value y = jet_add(b, jet_mul(b, x, jet_constant(b, &ts, &two)), jet_psum(b, x, "i"));
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  return b;
}

/* g(x) = sum(x) over f32[4,6]: not a pmap. */
static jet_builder *total(void) {
  int64_t d[2] = {4, 6};
  jet_type t = jet_type_make(JET_F32, 2, d);
  jet_builder *b = jet_builder_create("total");
  jet_value x = jet_builder_param(b, &t);
  const int64_t axes[2] = {0, 1};
  jet_value y = jet_reduce_sum(b, x, axes, 2);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  return b;
}

static float run_total(jet_executable *tot, const jet_array *a) {
  jet_arg arg = jet_arg_of_array(a);
  jet_result r = {0};
  JET_TEST_OK(jet_execute_inline(tot, &arg, 1, &r, 1));
  float v = *(float *)r.data;
  jet_result_clear(&r);
  return v;
}

static void test_execute_placement(void **state) {
  jet_test_fixture *f = *state;
  jet_client *c = f->client;
  const usage base = get_usage(c);
  const int64_t z[NDEV] = {0};
  const int za[NDEV] = {0};
  float x[24];
  double sum = 0, col[6] = {0};
  for (int i = 0; i < 24; i++) {
    x[i] = (float)(i % 7) - 2.5f + (float)i * 0.125f;
    sum += x[i];
    col[i % 6] += x[i];
  }
  int64_t d[2] = {4, 6};
  jet_type t = jet_type_make(JET_F32, 2, d);

  /* pmap over devices 3,1,2,0 keeps its output sharded there. */
  jet_builder *b = body();
  const uint32_t pdev[4] = {3, 1, 2, 0};
  jet_transform p = jet_tf_pmap("i", NULL, 0, NULL, 0, pdev, 4, 4);
  jet_executable *pm, *tot;
  JET_TEST_OK(jet_compile(c, b, &p, 1, &pm));
  jet_builder *tb = total();
  JET_TEST_OK(jet_compile(c, tb, NULL, 0, &tot));
  jet_arg in = jet_arg_inline(&t, x);
  jet_result r = {.keep_on_server = true};
  JET_TEST_OK(jet_execute(pm, &in, 1, &r, 1));
  expect_devices(r.array, pdev, 4);
  const int64_t row[NDEV] = {24, 24, 24, 24};
  const int one[NDEV] = {1, 1, 1, 1};
  expect_usage(c, &base, row, one, "pmap output kept");
  for (size_t k = 0; k < 4; k++) {
    float got[6];
    JET_TEST_OK(jet_array_get_shard(r.array, k, got, sizeof got));
    for (int j = 0; j < 6; j++) {
      const double want = 2.0 * x[k * 6 + j] + col[j];
      if (fabs(got[j] - want) > 1e-4) fail_msg("block %zu [%d]: %g vs %g", k, j, got[j], want);
    }
  }
  /* A non-pmap program on the pmap output (views of one buffer). */
  double want_total = 2.0 * sum + 4.0 * sum;
  assert_true(fabs(run_total(tot, r.array) - want_total) < 1e-3);
  /* A sharded array of separate blocks: the non-pmap program gathers it,
   * the pmap reads it. */
  jet_array *s;
  const uint32_t sdev[2] = {1, 3};
  JET_TEST_OK(jet_array_put_sharded(c, &t, x, sdev, 2, &s));
  assert_true(fabs(run_total(tot, s) - sum) < 1e-3);
  jet_arg sin_ = jet_arg_of_array(s);
  jet_result r2 = {0};
  JET_TEST_OK(jet_execute_inline(pm, &sin_, 1, &r2, 1));
  for (int i = 0; i < 24; i++)
    if (fabs(((float *)r2.data)[i] - (2.0 * x[i] + col[i % 6])) > 1e-4)
      fail_msg("pmap of a sharded argument [%d]", i);
  jet_result_clear(&r2);
  JET_TEST_OK(jet_array_free(s));
  JET_TEST_OK(jet_array_free(r.array));
  expect_usage(c, &base, z, za, "after freeing the pmap output");

  /* A call on an array committed to device 3 runs there. */
  jet_array *on3, *on1;
  JET_TEST_OK(jet_array_put_device(c, &t, x, 3, &on3));
  jet_arg a3 = jet_arg_of_array(on3);
  jet_result r3 = {.keep_on_server = true};
  JET_TEST_OK(jet_execute(tot, &a3, 1, &r3, 1));
  const uint32_t three = 3;
  expect_devices(r3.array, &three, 1);
  const int64_t on3b[NDEV] = {0, 0, 0, 96 + 4};
  const int on3a[NDEV] = {0, 0, 0, 2};
  expect_usage(c, &base, on3b, on3a, "output of a call on device 3");
  JET_TEST_OK(jet_array_free(r3.array));

  /* Two committed arguments on different devices. */
  jet_builder *ab = jet_builder_create("add");
  jet_value u = jet_builder_param(ab, &t), v = jet_builder_param(ab, &t);
  jet_value w = jet_add(ab, u, v);
  JET_TEST_OK(jet_builder_return(ab, &w, 1));
  jet_executable *add;
  JET_TEST_OK(jet_compile(c, ab, NULL, 0, &add));
  JET_TEST_OK(jet_array_put_device(c, &t, x, 1, &on1));
  jet_arg two[2] = {jet_arg_of_array(on3), jet_arg_of_array(on1)};
  jet_result r4 = {0};
  expect_error(jet_execute_inline(add, two, 2, &r4, 1), JET_INVALID_ARGUMENT,
               "args[1]: incompatible devices for the computation: args[0] is on device 3 but "
               "args[1] on device 1");
  /* An inline argument follows the committed one. */
  two[1] = jet_arg_inline(&t, x);
  JET_TEST_OK(jet_execute_inline(add, two, 2, &r4, 1));
  assert_true(fabs(((float *)r4.data)[5] - 2.0 * x[5]) < 1e-6);
  jet_result_clear(&r4);
  JET_TEST_OK(jet_array_free(on3));
  JET_TEST_OK(jet_array_free(on1));
  expect_usage(c, &base, z, za, "at the end");
  jet_builder_destroy(ab);
  jet_builder_destroy(tb);
  jet_builder_destroy(b);
}

/* ---- The CLI ------------------------------------------------------------ */

static void test_cli_place(void **state) {
  jet_test_fixture *f = *state;
  jet_builder *b = body();
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  JET_TEST_OK(jet_graph_print(jet_builder_graph(b), &sb));
  char path[] = "/tmp/jet_e2e_sharded_XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, sb.data, sb.len), (ssize_t)sb.len);
  close(fd);
  jet_strbuf_free(&sb);
  jet_builder_destroy(b);
  const char *args[] = {"run", path, "--transform", "pmap:axis_name=i:devices=2,3",
                        "--place", "0=0,1", "--keep",
                        "f32[2,6]{1, 2, 3, 4, 5, 6, 10, 20, 30, 40, 50, 60}", NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_cli(f->address, args, &r), 0);
  if (r.status != 0 || !strstr(r.out, "# output 0: sharded in 2 blocks over devices 2,3") ||
      !strstr(r.out, " 13. ") || !strstr(r.out, " 186.]"))
    fail_msg("jet run --place exited %d\nstdout: %s\nstderr: %s", r.status, r.out, r.err);
  jet_test_proc_result_free(&r);
  const char *bad[] = {"run", path, "--transform", "pmap:axis_name=i", "--place", "0=0,1,2",
                       "f32[2,6]{1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6}", NULL};
  assert_int_equal(jet_test_run_cli(f->address, bad, &r), 0);
  if (r.status != 1 || !strstr(r.err, "argument 0 (--place): shard_devices: the leading axis"))
    fail_msg("jet run --place 0=0,1,2 exited %d, stderr: %s", r.status, r.err);
  jet_test_proc_result_free(&r);
  unlink(path);
}

static int setup(void **state) {
  const char *args[] = {"--devices", "4", "--memory-limit", "1M", NULL};
  jet_test_fixture *f;
  if (jet_test_fixture_start(args, 1, &f) != 0) return -1;
  *state = f;
  return 0;
}

static int teardown(void **state) { return jet_test_fixture_stop(*state) == 0 ? 0 : -1; }

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_put_get_sharded),
      cmocka_unit_test(test_execute_placement),
      cmocka_unit_test(test_cli_place),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
