/* The Execute device hint's scanner (server/wire/exec_peek.c) on packed
 * ExecuteRequests split into slices at every boundary: the handle ids in
 * order, inline payloads and unknown fields skipped, an early stop, ids too
 * long, and truncated or random bytes answered without a crash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <grpc/slice.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/v1/jet.pb-c.h"
#include "wire/exec_peek.h"

typedef struct ids {
  char v[8][160];
  int n;
  int stop_after; /* fn returns true on this call (1-based); 0 = never */
} ids;

static bool collect(void *ctx, const char *id) {
  ids *s = ctx;
  if (s->n < 8) snprintf(s->v[s->n], sizeof s->v[0], "%s", id);
  s->n++;
  return s->stop_after && s->n == s->stop_after;
}

/* bb over bytes, cut at the given offsets (sorted, < n). */
static grpc_byte_buffer *sliced(const uint8_t *p, size_t n, const size_t *cuts, int n_cuts) {
  grpc_slice s[64];
  size_t at = 0;
  int k = 0;
  for (int i = 0; i <= n_cuts; i++) {
    size_t end = i < n_cuts ? cuts[i] : n;
    s[k++] = grpc_slice_from_copied_buffer((const char *)p + at, end - at);
    at = end;
  }
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(s, (size_t)k);
  for (int i = 0; i < k; i++) grpc_slice_unref(s[i]);
  return bb;
}

static bool scan(const uint8_t *p, size_t n, const size_t *cuts, int n_cuts, ids *out) {
  grpc_byte_buffer *bb = sliced(p, n, cuts, n_cuts);
  bool ok = jet__execute_scan_handles(bb, collect, out);
  grpc_byte_buffer_destroy(bb);
  return ok;
}

/* executable "exe", args: handle h1, inline f32[256], handle h2, handle
 * with a 200-byte id; keep_on_server and donate set. */
static uint8_t *packed_request(size_t *n) {
  Jet__V1__ArrayHandle h1 = JET__V1__ARRAY_HANDLE__INIT, h2 = JET__V1__ARRAY_HANDLE__INIT,
                       h3 = JET__V1__ARRAY_HANDLE__INIT;
  h1.id = "h1";
  h2.id = "0123456789abcdef";
  static char long_id[201];
  memset(long_id, 'x', 200);
  h3.id = long_id;
  static uint8_t data[1024];
  for (int i = 0; i < 1024; i++) data[i] = (uint8_t)(i * 7 + 1);
  Jet__V1__TensorType tt = JET__V1__TENSOR_TYPE__INIT;
  Jet__V1__Array arr = JET__V1__ARRAY__INIT;
  arr.type = &tt;
  arr.data.len = sizeof data;
  arr.data.data = data;
  Jet__V1__Argument a[4] = {JET__V1__ARGUMENT__INIT, JET__V1__ARGUMENT__INIT,
                            JET__V1__ARGUMENT__INIT, JET__V1__ARGUMENT__INIT};
  a[0].value_case = JET__V1__ARGUMENT__VALUE_HANDLE;
  a[0].handle = &h1;
  a[1].value_case = JET__V1__ARGUMENT__VALUE_INLINE;
  a[1].inline_ = &arr;
  a[2].value_case = JET__V1__ARGUMENT__VALUE_HANDLE;
  a[2].handle = &h2;
  a[3].value_case = JET__V1__ARGUMENT__VALUE_HANDLE;
  a[3].handle = &h3;
  Jet__V1__Argument *pa[4] = {&a[0], &a[1], &a[2], &a[3]};
  Jet__V1__ExecuteRequest q = JET__V1__EXECUTE_REQUEST__INIT;
  q.executable_id = "exe";
  q.n_args = 4;
  q.args = pa;
  protobuf_c_boolean keep[2] = {1, 0};
  q.n_keep_on_server = 2;
  q.keep_on_server = keep;
  uint32_t donate[1] = {2};
  q.n_donate = 1;
  q.donate = donate;
  *n = jet__v1__execute_request__get_packed_size(&q);
  uint8_t *p = malloc(*n);
  assert_non_null(p);
  jet__v1__execute_request__pack(&q, p);
  return p;
}

static void check_ids(const ids *s) {
  assert_int_equal(s->n, 3);
  assert_string_equal(s->v[0], "h1");
  assert_string_equal(s->v[1], "0123456789abcdef");
  assert_string_equal(s->v[2], ""); /* over 128 bytes */
}

static void test_ids_across_every_cut(void **state) {
  (void)state;
  size_t n;
  uint8_t *p = packed_request(&n);
  ids s = {0};
  assert_true(scan(p, n, NULL, 0, &s));
  check_ids(&s);
  for (size_t c = 1; c < n; c++) { /* two slices */
    memset(&s, 0, sizeof s);
    if (!scan(p, n, &c, 1, &s)) fail_msg("cut at %zu of %zu: not well-formed", c, n);
    check_ids(&s);
  }
  /* one slice per byte for the part before the payload, then the rest */
  size_t cuts[63];
  for (int i = 0; i < 63; i++) cuts[i] = (size_t)i + 1;
  memset(&s, 0, sizeof s);
  assert_true(scan(p, n, cuts, 63, &s));
  check_ids(&s);
  free(p);
}

static void test_stops_when_asked(void **state) {
  (void)state;
  size_t n;
  uint8_t *p = packed_request(&n);
  ids s = {.stop_after = 1};
  assert_true(scan(p, n, NULL, 0, &s));
  assert_int_equal(s.n, 1);
  assert_string_equal(s.v[0], "h1");
  free(p);
}

/* Unknown fields of every wire type, at the top and inside an argument and
 * a handle, are skipped. */
static void test_unknown_fields(void **state) {
  (void)state;
  uint8_t q[64];
  size_t k = 0;
  const uint8_t top[] = {0x48, 0x96, 0x01, 0x51, 1, 2, 3, 4, 5, 6, 7, 8, 0x5d, 1, 2, 3, 4,
                         0x62, 2, 'z', 'z'};
  memcpy(q, top, sizeof top);
  k = sizeof top;
  const uint8_t handle[] = {0x10, 0x01, 0x0a, 2, 'i', 'd', 0x1d, 0, 0, 0, 0};
  const uint8_t arg_head[] = {0x18, 0x05, 0x0a, (uint8_t)sizeof handle};
  q[k++] = 0x12;
  q[k++] = (uint8_t)(sizeof arg_head + sizeof handle);
  memcpy(q + k, arg_head, sizeof arg_head);
  k += sizeof arg_head;
  memcpy(q + k, handle, sizeof handle);
  k += sizeof handle;
  ids s = {0};
  assert_true(scan(q, k, NULL, 0, &s));
  assert_int_equal(s.n, 1);
  assert_string_equal(s.v[0], "id");
}

static void test_truncated_and_random(void **state) {
  (void)state;
  size_t n;
  uint8_t *p = packed_request(&n);
  for (size_t len = 0; len < n; len++) { /* every prefix: no crash, ids a prefix */
    ids s = {0};
    (void)scan(p, len, NULL, 0, &s);
    assert_true(s.n <= 3);
    if (s.n >= 1) assert_string_equal(s.v[0], "h1");
  }
  srand(12345);
  uint8_t buf[96];
  for (int t = 0; t < 20000; t++) {
    const size_t len = (size_t)(rand() % (int)sizeof buf);
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)rand();
    /* bias to this message's keys so the descent is exercised */
    if (len > 2 && (t & 1)) {
      buf[0] = 0x12;
      buf[2] = 0x0a;
    }
    size_t cut = len > 1 ? (size_t)(rand() % (int)len) : 0;
    ids s = {0};
    (void)scan(buf, len, cut ? &cut : NULL, cut ? 1 : 0, &s);
    assert_true(s.n <= 256);
  }
  /* groups and a length past the end are refused */
  const uint8_t group[] = {0x0b, 0x0c};
  ids s = {0};
  assert_false(scan(group, sizeof group, NULL, 0, &s));
  const uint8_t past[] = {0x12, 0x7f, 0x0a};
  assert_false(scan(past, sizeof past, NULL, 0, &s));
  const uint8_t varint11[] = {0x48, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
  assert_false(scan(varint11, sizeof varint11, NULL, 0, &s));
  assert_false(jet__execute_scan_handles(NULL, collect, &s));
  free(p);
}

int main(void) {
  grpc_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ids_across_every_cut),
      cmocka_unit_test(test_stops_when_asked),
      cmocka_unit_test(test_unknown_fields),
      cmocka_unit_test(test_truncated_and_random),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  grpc_shutdown();
  return rc;
}
