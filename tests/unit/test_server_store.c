/* Array store, sessions and device accounting of jetd (server/runtime). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/device.h"
#include "runtime/mem.h"
#include "runtime/session.h"
#include "runtime/store.h"

typedef struct fixture {
  jet_devices *dev;
  jet_sessions *ses;
  jet_store *st;
  char a[JET_TOKEN_HEX + 1], b[JET_TOKEN_HEX + 1];
} fixture;

static int setup_limit(void **state, uint64_t limit) {
  fixture *f = calloc(1, sizeof(*f));
  f->dev = jet_devices_create(2, limit);
  f->ses = jet_sessions_create();
  f->st = jet_store_create(f->dev, f->ses);
  assert_non_null(f->st);
  assert_null(jet_sessions_open(f->ses, "a", f->a));
  assert_null(jet_sessions_open(f->ses, "b", f->b));
  *state = f;
  return 0;
}
static int setup(void **state) { return setup_limit(state, 0); }
static int setup_limited(void **state) { return setup_limit(state, 100); }

static int teardown(void **state) {
  fixture *f = *state;
  jet_store_destroy(f->st);
  jet_sessions_destroy(f->ses);
  jet_devices_destroy(f->dev);
  free(f);
  return 0;
}

static jet_type f32(int64_t n) { return jet_type_make(JET_F32, 1, &n); }

static void put(fixture *f, const char *session, int64_t n, uint32_t device, char id[33]) {
  jet_type t = f32(n);
  jet_buffer *a;
  assert_null(jet_store_alloc(f->st, device, &t, &a));
  for (int64_t i = 0; i < n; i++) ((float *)a->data)[i] = (float)i;
  assert_null(jet_store_insert(f->st, session, a, id));
  jet_buffer_release(a);
}

static void expect_code(jet_status s, jet_code code) {
  assert_non_null(s);
  assert_int_equal(jet_status_code(s), code);
  jet_status_free(s);
}

static void test_tokens_are_random_hex(void **state) {
  (void)state;
  char t1[JET_TOKEN_HEX + 1], t2[JET_TOKEN_HEX + 1];
  assert_null(jet_token_new(t1));
  assert_null(jet_token_new(t2));
  assert_int_equal(strlen(t1), 32);
  for (int i = 0; i < 32; i++) assert_true(isxdigit((unsigned char)t1[i]) && !isupper(t1[i]));
  assert_string_not_equal(t1, t2);
}

static void test_sessions(void **state) {
  fixture *f = *state;
  assert_int_equal(jet_sessions_count(f->ses), 2);
  assert_true(jet_sessions_is_open(f->ses, f->a));
  assert_null(jet_sessions_check(f->ses, f->b));
  jet_status s = jet_sessions_check(f->ses, "0123");
  assert_int_equal(jet_status_code(s), JET_FAILED_PRECONDITION);
  assert_non_null(strstr(jet_status_message(s), "not open"));
  jet_status_free(s);
  jet_sessions_close(f->ses, f->a);
  assert_false(jet_sessions_is_open(f->ses, f->a));
  jet_sessions_close(f->ses, f->a); /* twice is harmless */
  assert_int_equal(jet_sessions_count(f->ses), 1);
}

static void test_put_get_owner_only(void **state) {
  fixture *f = *state;
  char id[33];
  put(f, f->a, 4, 0, id);
  jet_buffer *a;
  assert_null(jet_store_get(f->st, f->a, id, "handle", &a));
  assert_int_equal(a->nbytes, 16);
  assert_true(((float *)a->data)[3] == 3.0f);
  jet_buffer_release(a);
  /* Another session gets exactly the answer an unknown handle gets. */
  jet_status foreign = jet_store_get(f->st, f->b, id, "handle", &a);
  jet_status unknown = jet_store_get(f->st, f->a, "ffffffffffffffffffffffffffffffff", "handle", &a);
  assert_int_equal(jet_status_code(foreign), JET_NOT_FOUND);
  assert_int_equal(jet_status_code(unknown), JET_NOT_FOUND);
  char expect[128];
  snprintf(expect, sizeof(expect), "handle: array handle '%s' not found", id);
  assert_string_equal(jet_status_message(foreign), expect);
  jet_status_free(foreign);
  jet_status_free(unknown);
  expect_code(jet_store_get(f->st, NULL, id, "handle", &a), JET_NOT_FOUND);
}

static void test_insert_needs_open_session(void **state) {
  fixture *f = *state;
  jet_type t = f32(2);
  jet_buffer *a;
  char id[33];
  assert_null(jet_store_alloc(f->st, 0, &t, &a));
  expect_code(jet_store_insert(f->st, "ffffffffffffffffffffffffffffffff", a, id),
              JET_FAILED_PRECONDITION);
  expect_code(jet_store_insert(f->st, "short", a, id), JET_FAILED_PRECONDITION);
  jet_buffer_release(a);
  uint64_t n, bytes;
  jet_store_stats(f->st, &n, &bytes);
  assert_int_equal(n, 0);
  assert_int_equal(bytes, 0);
}

static void test_delete_all_or_nothing(void **state) {
  fixture *f = *state;
  char x[33], y[33], z[33];
  put(f, f->a, 1, 0, x);
  put(f, f->a, 2, 0, y);
  put(f, f->b, 3, 0, z);
  uint32_t deleted = 99;
  const char *bad[] = {x, z};
  jet_status s = jet_store_delete(f->st, f->a, bad, 2, &deleted);
  assert_int_equal(jet_status_code(s), JET_NOT_FOUND);
  assert_non_null(strstr(jet_status_message(s), "handles[1]"));
  jet_status_free(s);
  assert_int_equal(deleted, 0);
  const char *twice[] = {x, x};
  expect_code(jet_store_delete(f->st, f->a, twice, 2, &deleted), JET_INVALID_ARGUMENT);
  jet_buffer *a;
  assert_null(jet_store_get(f->st, f->a, x, "h", &a));
  jet_buffer_release(a);
  const char *good[] = {x, y};
  assert_null(jet_store_delete(f->st, f->a, good, 2, &deleted));
  assert_int_equal(deleted, 2);
  expect_code(jet_store_get(f->st, f->a, x, "h", &a), JET_NOT_FOUND);
  uint64_t n, bytes;
  jet_store_stats(f->st, &n, &bytes);
  assert_int_equal(n, 1);
  assert_int_equal(bytes, 12);
}

static void test_free_session_and_accounting(void **state) {
  fixture *f = *state;
  char ids[5][33];
  for (int i = 0; i < 4; i++) put(f, f->a, 10, (uint32_t)(i % 2), ids[i]);
  put(f, f->b, 5, 1, ids[4]);
  jet_device_info d0, d1;
  jet_devices_info(f->dev, 0, &d0);
  jet_devices_info(f->dev, 1, &d1);
  assert_int_equal(d0.in_use_bytes, 80);
  assert_int_equal(d0.live_arrays, 2);
  assert_int_equal(d1.in_use_bytes, 100);
  assert_int_equal(d1.live_arrays, 3);
  assert_string_equal(d0.kind, "cpu");
  /* A reference held elsewhere keeps the array (and its charge) alive. */
  jet_buffer *held;
  assert_null(jet_store_get(f->st, f->a, ids[0], "h", &held));
  assert_int_equal(jet_store_free_session(f->st, f->a), 4);
  uint64_t n, bytes;
  jet_store_stats(f->st, &n, &bytes);
  assert_int_equal(n, 2);
  assert_int_equal(bytes, 60);
  assert_true(((float *)held->data)[9] == 9.0f);
  jet_buffer_release(held);
  jet_store_stats(f->st, &n, &bytes);
  assert_int_equal(n, 1);
  jet_devices_info(f->dev, 0, &d0);
  jet_devices_info(f->dev, 1, &d1);
  assert_int_equal(d0.in_use_bytes, 0);
  assert_int_equal(d0.live_arrays, 0);
  assert_int_equal(d1.in_use_bytes, 20);
  assert_int_equal(jet_store_free_session(f->st, f->a), 0);
}

static void test_memory_limit(void **state) {
  fixture *f = *state; /* 100 bytes per device */
  jet_type t20 = f32(20), t10 = f32(10), t30 = f32(30);
  jet_buffer *a, *b;
  assert_null(jet_store_alloc(f->st, 0, &t20, &a));
  jet_status s = jet_store_alloc(f->st, 0, &t10, &b);
  assert_int_equal(jet_status_code(s), JET_RESOURCE_EXHAUSTED);
  assert_non_null(strstr(jet_status_message(s), "memory limit is 100 bytes"));
  assert_non_null(strstr(jet_status_message(s), "f32[10]"));
  jet_status_free(s);
  /* The other device has its own limit. */
  assert_null(jet_store_alloc(f->st, 1, &t10, &b));
  jet_buffer_release(b);
  expect_code(jet_store_alloc(f->st, 1, &t30, &b), JET_RESOURCE_EXHAUSTED);
  jet_buffer_release(a);
  assert_null(jet_store_alloc(f->st, 0, &t20, &a));
  /* adopt charges like alloc; on failure the memory stays the caller's */
  void *mem = jet_mem_alloc(80);
  expect_code(jet_store_adopt(f->st, 0, &t20, mem, &b), JET_RESOURCE_EXHAUSTED);
  jet_buffer_release(a);
  assert_null(jet_store_adopt(f->st, 0, &t20, mem, &b));
  assert_ptr_equal(b->data, mem);
  jet_device_info d0;
  jet_devices_info(f->dev, 0, &d0);
  assert_int_equal(d0.in_use_bytes, 80);
  jet_buffer_release(b);
}

static void test_device_ids(void **state) {
  fixture *f = *state;
  assert_int_equal(jet_devices_count(f->dev), 2);
  assert_null(jet_devices_check_id(f->dev, 1, "device"));
  jet_status s = jet_devices_check_id(f->dev, 2, "device");
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(s), "device 2 does not exist"));
  jet_status_free(s);
  jet_type t = f32(1);
  jet_buffer *a;
  expect_code(jet_store_alloc(f->st, 7, &t, &a), JET_INVALID_ARGUMENT);
  assert_null(jet_devices_create(0, 0));
}

typedef struct worker_arg {
  fixture *f;
  const char *session;
} worker_arg;

static void *worker(void *p) {
  worker_arg *w = p;
  for (int i = 0; i < 300; i++) {
    char id[33];
    jet_type t = f32(i % 7);
    jet_buffer *a;
    if (jet_store_alloc(w->f->st, 0, &t, &a)) abort();
    if (jet_store_insert(w->f->st, w->session, a, id)) abort();
    jet_buffer_release(a);
    if (i % 3 == 0) {
      const char *ids[1] = {id};
      uint32_t d;
      if (jet_store_delete(w->f->st, w->session, ids, 1, &d) || d != 1) abort();
    }
  }
  return NULL;
}

static uint64_t in_use(fixture *f, uint32_t id) {
  jet_device_info info;
  jet_devices_info(f->dev, id, &info);
  return info.in_use_bytes;
}

/* Sharded arrays: separate blocks (alloc) and views of one buffer (adopt),
 * each block charged to its device; bytes_at walks the blocks in order;
 * gather copies them; nothing stays charged when a block does not fit. */
static void test_sharded(void **state) {
  fixture *f = *state;
  int64_t d[2] = {4, 3};
  jet_type t = jet_type_make(JET_F32, 2, d);
  const uint32_t devs[2] = {1, 0};
  jet_buffer *a;
  assert_null(jet_store_alloc_sharded(f->st, &t, devs, 2, "shards", &a));
  assert_int_equal(a->n_shards, 2);
  assert_null(a->data);
  assert_int_equal(a->shards[0]->device, 1);
  assert_int_equal(a->shards[1]->type.dims[0], 2);
  assert_int_equal(in_use(f, 0), 24);
  assert_int_equal(in_use(f, 1), 24);
  for (size_t off = 0, len = 0; off < a->nbytes; off += len) {
    float *p = jet_buffer_bytes_at(a, off, &len);
    assert_int_equal(len, 24 - off % 24);
    for (size_t k = 0; k < len / 4; k++) p[k] = (float)(off / 4 + k);
  }
  float all[12];
  jet_buffer_gather(a, all);
  for (int i = 0; i < 12; i++) assert_true(all[i] == (float)i);
  assert_null(jet_buffer_take_data(a));
  uint64_t arrays, bytes;
  jet_store_stats(f->st, &arrays, &bytes);
  assert_int_equal(arrays, 1);
  assert_int_equal(bytes, 48);
  jet_buffer_release(a);
  assert_int_equal(in_use(f, 0) + in_use(f, 1), 0);
  jet_store_stats(f->st, &arrays, &bytes);
  assert_int_equal(arrays + bytes, 0);

  float *mem = jet_mem_alloc(48);
  assert_non_null(mem);
  assert_null(jet_store_adopt_sharded(f->st, &t, mem, devs, 2, &a));
  assert_ptr_equal(a->data, mem);
  assert_ptr_equal(a->shards[1]->data, mem + 6);
  assert_int_equal(in_use(f, 1), 24);
  jet_buffer_release(a); /* frees mem once */
  assert_int_equal(in_use(f, 0) + in_use(f, 1), 0);

  /* Errors. */
  int64_t five = 5;
  jet_type t5 = jet_type_make(JET_F32, 1, &five);
  expect_code(jet_store_alloc_sharded(f->st, &t5, devs, 2, "shards", &a), JET_INVALID_ARGUMENT);
  const uint32_t dup[2] = {0, 0}, bad[2] = {0, 2};
  expect_code(jet_store_alloc_sharded(f->st, &t, dup, 2, "shards", &a), JET_INVALID_ARGUMENT);
  expect_code(jet_store_alloc_sharded(f->st, &t, bad, 2, "shards", &a), JET_INVALID_ARGUMENT);
  jet_type ts = jet_type_make(JET_F32, 0, NULL);
  expect_code(jet_store_alloc_sharded(f->st, &ts, devs, 2, "shards", &a), JET_INVALID_ARGUMENT);
  /* n == 1: an ordinary array. */
  assert_null(jet_store_alloc_sharded(f->st, &t, devs, 1, "shards", &a));
  assert_int_equal(a->n_shards, 0);
  assert_int_equal(a->device, 1);
  jet_buffer_release(a);
}

/* Device 0 limited to 100 bytes: the second block does not fit, the first
 * is given back, and adopt leaves the caller's memory alone. */
static void test_sharded_limit(void **state) {
  fixture *f = *state;
  int64_t d[1] = {40};
  jet_type t = jet_type_make(JET_F32, 1, d); /* 2 blocks of 80 bytes */
  jet_buffer *filler, *a;
  jet_type small = f32(10);
  assert_null(jet_store_alloc(f->st, 0, &small, &filler)); /* 40 of 100 on device 0 */
  const uint32_t devs[2] = {1, 0};
  expect_code(jet_store_alloc_sharded(f->st, &t, devs, 2, "shards", &a), JET_RESOURCE_EXHAUSTED);
  assert_int_equal(in_use(f, 1), 0);
  assert_int_equal(in_use(f, 0), 40);
  float *mem = jet_mem_alloc(160);
  assert_non_null(mem);
  expect_code(jet_store_adopt_sharded(f->st, &t, mem, devs, 2, &a), JET_RESOURCE_EXHAUSTED);
  assert_int_equal(in_use(f, 1), 0);
  mem[39] = 1.0f; /* still ours */
  jet_mem_free(mem);
  jet_buffer_release(filler);
  uint64_t arrays, bytes;
  jet_store_stats(f->st, &arrays, &bytes);
  assert_int_equal(arrays + bytes, 0);
}

static void test_threads(void **state) {
  fixture *f = *state;
  pthread_t th[4];
  worker_arg args[4];
  for (int i = 0; i < 4; i++) {
    args[i] = (worker_arg){f, i % 2 ? f->a : f->b};
    pthread_create(&th[i], NULL, worker, &args[i]);
  }
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  uint64_t n, bytes;
  jet_store_stats(f->st, &n, &bytes);
  assert_int_equal(n, 4 * 200);
  assert_int_equal(jet_store_free_session(f->st, f->a) + jet_store_free_session(f->st, f->b), 800);
  jet_store_stats(f->st, &n, &bytes);
  assert_int_equal(n, 0);
  assert_int_equal(bytes, 0);
  jet_device_info d0;
  jet_devices_info(f->dev, 0, &d0);
  assert_int_equal(d0.in_use_bytes, 0);
  assert_int_equal(d0.live_arrays, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_tokens_are_random_hex),
      cmocka_unit_test_setup_teardown(test_sessions, setup, teardown),
      cmocka_unit_test_setup_teardown(test_put_get_owner_only, setup, teardown),
      cmocka_unit_test_setup_teardown(test_insert_needs_open_session, setup, teardown),
      cmocka_unit_test_setup_teardown(test_delete_all_or_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_free_session_and_accounting, setup, teardown),
      cmocka_unit_test_setup_teardown(test_memory_limit, setup_limited, teardown),
      cmocka_unit_test_setup_teardown(test_device_ids, setup, teardown),
      cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sharded, setup, teardown),
      cmocka_unit_test_setup_teardown(test_sharded_limit, setup_limited, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
