/* Per-tenant quotas of jetd (server/runtime/tenants.c, the store's tenant
 * charge, server/daemon/config_tenants.c): accounting, limits, messages,
 * the charge given back on delete / session end / donation, overrides,
 * and config validation. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"
#include "runtime/device.h"
#include "runtime/session.h"
#include "runtime/store.h"
#include "runtime/tenants.h"

static void expect_msg(jet_status s, jet_code code, const char *want) {
  assert_non_null(s);
  if (jet_status_code(s) != code || !strstr(jet_status_message(s), want))
    fail_msg("got %s '%s', want %s containing '%s'", jet_code_name(jet_status_code(s)),
             jet_status_message(s), jet_code_name(code), want);
  jet_status_free(s);
}

static jet_tenants *make(const char *text) {
  jet_config c;
  jet_config_defaults(&c);
  jet_status st = jet_config_parse(&c, text, "test");
  if (st) fail_msg("%s", jet_status_message(st));
  jet_tenants *t = NULL;
  assert_null(jet_tenants_create(&c.tenants, c.max_request_bytes, &t));
  return t;
}

static void test_memory_limit_message(void **state) {
  (void)state;
  jet_tenants *t = make("tenant-memory = 1M\n");
  jet_tenant *alice = jet_tenants_get(t, "alice");
  assert_ptr_equal(alice, jet_tenants_get(t, "alice"));
  assert_string_equal(jet_tenant_name(alice), "alice");
  assert_null(jet_tenant_charge(alice, 1000000, 1));
  expect_msg(jet_tenant_charge(alice, 100000, 1), JET_RESOURCE_EXHAUSTED,
             "tenant 'alice': tenant-memory 1048576 bytes exceeded: 1000000 in use, 100000 "
             "more asked");
  uint64_t bytes, arrays;
  jet_tenant_usage(alice, &bytes, &arrays);
  assert_int_equal(bytes, 1000000); /* the refused charge took nothing */
  assert_int_equal(arrays, 1);
  /* another tenant is unaffected */
  jet_tenant *bob = jet_tenants_get(t, "bob");
  assert_null(jet_tenant_charge(bob, 1000000, 1));
  jet_tenant_release(alice, 1000000, 1);
  assert_null(jet_tenant_charge(alice, 1048576, 1)); /* exactly the limit fits */
  expect_msg(jet_tenant_check(alice, 1, 0), JET_RESOURCE_EXHAUSTED, "tenant-memory");
  jet_tenants_destroy(t);
}

static void test_arrays_and_request_limits(void **state) {
  (void)state;
  jet_tenants *t = make("tenant-arrays = 2\ntenant-request-bytes = 4K\n");
  jet_tenant *a = jet_tenants_get(t, NULL);
  assert_string_equal(jet_tenant_name(a), "default");
  assert_null(jet_tenant_charge(a, 10, 1));
  assert_null(jet_tenant_charge(a, 10, 1));
  expect_msg(jet_tenant_charge(a, 10, 1), JET_RESOURCE_EXHAUSTED,
             "tenant 'default': tenant-arrays 2 exceeded: 2 in use, 1 more asked");
  assert_null(jet_tenant_check_request(a, 4096));
  expect_msg(jet_tenant_check_request(a, 4097), JET_RESOURCE_EXHAUSTED,
             "tenant 'default': tenant-request-bytes 4096 bytes exceeded: request of 4097 bytes");
  jet_tenants_destroy(t);
}

static void test_overrides(void **state) {
  (void)state;
  jet_tenants *t = make("tenant-memory = 1K\ntenant-executions = 3\n"
                        "tenant.big.memory = 1G\ntenant.lab.team-1.arrays = 5\n");
  jet_tenant_limits big = jet_tenant_get_limits(jet_tenants_get(t, "big"));
  assert_int_equal(big.memory, 1u << 30);
  assert_int_equal(big.executions, 3); /* not overridden: the default */
  jet_tenant_limits team = jet_tenant_get_limits(jet_tenants_get(t, "lab.team-1"));
  assert_int_equal(team.arrays, 5);
  assert_int_equal(team.memory, 1024);
  assert_null(jet_tenant_charge(jet_tenants_get(t, "big"), 1u << 20, 1));
  expect_msg(jet_tenant_charge(jet_tenants_get(t, "small"), 2048, 1), JET_RESOURCE_EXHAUSTED,
             "tenant 'small': tenant-memory 1024");
  jet_tenants_destroy(t);
}

static void test_config_errors(void **state) {
  (void)state;
  jet_config c;
  jet_config_defaults(&c);
  expect_msg(jet_config_set(&c, "tenant-memory", "lots"), JET_INVALID_ARGUMENT, "tenant-memory");
  expect_msg(jet_config_set(&c, "tenant.al ice.memory", "1"), JET_INVALID_ARGUMENT,
             "tenant.NAME.FIELD");
  expect_msg(jet_config_set(&c, "tenant.alice.speed", "1"), JET_INVALID_ARGUMENT,
             "unknown field 'speed'");
  expect_msg(jet_config_set(&c, "tenant.memory", "1"), JET_INVALID_ARGUMENT, "tenant.NAME.FIELD");
  expect_msg(jet_config_set(&c, "tenant-speed", "1"), JET_INVALID_ARGUMENT, "unknown key");
  assert_null(jet_config_set(&c, "tenant-request-bytes", "128M"));
  jet_tenants *t = NULL;
  expect_msg(jet_tenants_create(&c.tenants, c.max_request_bytes, &t), JET_INVALID_ARGUMENT,
             "tenant-request-bytes: 134217728 is more than max-request-bytes");
  assert_null(t);
  assert_null(jet_config_set(&c, "tenant-request-bytes", "1M"));
  assert_null(jet_config_set(&c, "tenant.x.request-bytes", "1G"));
  expect_msg(jet_tenants_create(&c.tenants, c.max_request_bytes, &t), JET_INVALID_ARGUMENT,
             "tenant.x.request-bytes");
  char key[64];
  jet_status st = NULL;
  for (int i = 0; i <= JET_CONFIG_TENANT_OVERRIDES && !st; i++) {
    snprintf(key, sizeof(key), "tenant.t%d.arrays", i);
    st = jet_config_set(&c, key, "1");
  }
  expect_msg(st, JET_INVALID_ARGUMENT, "tenants have overrides");
}

/* ---- the store's tenant charge ------------------------------------------ */

typedef struct fixture {
  jet_devices *dev;
  jet_sessions *ses;
  jet_store *st;
  jet_tenants *ten;
  char a[JET_TOKEN_HEX + 1], b[JET_TOKEN_HEX + 1];
} fixture;

static int setup(void **state) {
  fixture *f = calloc(1, sizeof(*f));
  f->dev = jet_devices_create(2, 0);
  f->ses = jet_sessions_create();
  f->st = jet_store_create(f->dev, f->ses);
  f->ten = make("tenant-memory = 1000\ntenant-arrays = 3\n");
  assert_null(jet_sessions_open(f->ses, "a", f->a));
  assert_null(jet_sessions_open(f->ses, "b", f->b));
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  jet_store_destroy(f->st);
  jet_tenants_destroy(f->ten);
  jet_sessions_destroy(f->ses);
  jet_devices_destroy(f->dev);
  free(f);
  return 0;
}

static jet_status put(fixture *f, const char *session, jet_tenant *ten, int64_t n,
                      const uint32_t *devs, uint32_t nd, char id[33]) {
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_buffer *a;
  jet_status st = nd ? jet_store_alloc_sharded(f->st, &t, devs, nd, "devices", &a)
                     : jet_store_alloc(f->st, 0, &t, &a);
  if (st) return st;
  st = jet_store_insert_tenant(f->st, session, ten, a, id);
  jet_buffer_release(a);
  return st;
}

static void usage(jet_tenant *t, uint64_t bytes, uint64_t arrays) {
  uint64_t b, n;
  jet_tenant_usage(t, &b, &n);
  assert_int_equal(b, bytes);
  assert_int_equal(n, arrays);
}

static void test_store_charge(void **state) {
  fixture *f = *state;
  jet_tenant *alice = jet_tenants_get(f->ten, "alice"), *bob = jet_tenants_get(f->ten, "bob");
  char id1[33], id2[33], id3[33];
  const uint32_t devs[2] = {0, 1};
  assert_null(put(f, f->a, alice, 100, NULL, 0, id1)); /* 400 bytes */
  assert_null(put(f, f->a, alice, 100, devs, 2, id2)); /* sharded: 400 bytes */
  usage(alice, 800, 2);
  uint64_t live, live_bytes;
  jet_store_stats(f->st, &live, &live_bytes);
  expect_msg(put(f, f->a, alice, 100, NULL, 0, id3), JET_RESOURCE_EXHAUSTED,
             "tenant 'alice': tenant-memory 1000 bytes exceeded: 800 in use, 400 more asked");
  /* nothing of the refused array stays: no handle, no charge, no memory */
  usage(alice, 800, 2);
  uint64_t live2, live_bytes2;
  jet_store_stats(f->st, &live2, &live_bytes2);
  assert_int_equal(live2, live);
  assert_int_equal(live_bytes2, live_bytes);
  /* bob's session is unaffected */
  assert_null(put(f, f->b, bob, 200, NULL, 0, id3));
  usage(bob, 800, 1);
  /* delete gives the charge back */
  uint32_t deleted;
  const char *ids[1] = {id1};
  assert_null(jet_store_delete(f->st, f->a, ids, 1, &deleted));
  usage(alice, 400, 1);
  /* a refused insert into a closed session gives it back too */
  jet_sessions_close(f->ses, f->a);
  expect_msg(put(f, f->a, alice, 10, NULL, 0, id1), JET_FAILED_PRECONDITION, "not open");
  usage(alice, 400, 1);
  /* session end */
  assert_int_equal(jet_store_free_session(f->st, f->a), 1);
  usage(alice, 0, 0);
  /* an insert without a tenant charges nothing */
  jet_type t = jet_type_make(JET_F32, 0, NULL);
  jet_buffer *a;
  assert_null(jet_store_alloc(f->st, 0, &t, &a));
  assert_null(jet_store_insert(f->st, f->b, a, id1));
  jet_buffer_release(a);
  usage(bob, 800, 1);
}

static void test_store_arrays_limit(void **state) {
  fixture *f = *state;
  jet_tenant *alice = jet_tenants_get(f->ten, "alice");
  char id[4][33];
  for (int i = 0; i < 3; i++) assert_null(put(f, f->a, alice, 1, NULL, 0, id[i]));
  expect_msg(put(f, f->a, alice, 1, NULL, 0, id[3]), JET_RESOURCE_EXHAUSTED,
             "tenant 'alice': tenant-arrays 3 exceeded: 3 in use, 1 more asked");
  /* donation's delete frees the slot */
  uint32_t deleted;
  const char *ids[1] = {id[0]};
  assert_null(jet_store_delete(f->st, f->a, ids, 1, &deleted));
  assert_null(put(f, f->a, alice, 1, NULL, 0, id[3]));
}

typedef struct worker {
  fixture *f;
  jet_tenant *ten;
  const char *session;
} worker;

static void *charge_loop(void *arg) {
  worker *w = arg;
  for (int i = 0; i < 2000; i++) {
    char id[33];
    jet_status refused = put(w->f, w->session, w->ten, 2, NULL, 0, id);
    if (refused) { /* over tenant-arrays / tenant-memory while others hold some */
      if (jet_status_code(refused) != JET_RESOURCE_EXHAUSTED) abort();
      jet_status_free(refused);
      continue;
    }
    uint32_t deleted;
    const char *ids[1] = {id};
    jet_status st = jet_store_delete(w->f->st, w->session, ids, 1, &deleted);
    if (st) abort();
  }
  return NULL;
}

static void test_threads(void **state) {
  fixture *f = *state;
  jet_tenant *alice = jet_tenants_get(f->ten, "alice");
  worker w = {f, alice, f->a};
  pthread_t th[4];
  for (int i = 0; i < 4; i++) pthread_create(&th[i], NULL, charge_loop, &w);
  for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
  usage(alice, 0, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_memory_limit_message),
      cmocka_unit_test(test_arrays_and_request_limits),
      cmocka_unit_test(test_overrides),
      cmocka_unit_test(test_config_errors),
      cmocka_unit_test_setup_teardown(test_store_charge, setup, teardown),
      cmocka_unit_test_setup_teardown(test_store_arrays_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
