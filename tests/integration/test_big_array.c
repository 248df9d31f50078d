/* A 1 GiB f32 array (268,435,456 elements) goes to jetd and comes back
 * bit for bit; after it is deleted the daemon holds no bytes. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"
#include "jet/jet.h"

#define N_ELEMS ((int64_t)268435456) /* 2^28 floats = 1 GiB */

static void get_stats(jet_client *c, uint64_t *live_bytes, uint64_t *live_arrays) {
  jet_stats s;
  JET_TEST_OK(jet_client_stats(c, &s));
  *live_bytes = s.live_bytes;
  *live_arrays = s.live_arrays;
  jet_stats_clear(&s);
}

static void test_one_gib_round_trip(void **state) {
  jet_test_fixture *f = *state;
  size_t nbytes = (size_t)N_ELEMS * sizeof(float);
  /* Every element's bits differ from its neighbours' (a multiplicative
   * hash of the index), so a lost, repeated or shifted chunk shows up. Some
   * patterns are NaNs; memcmp compares bits, so that is fine. */
  uint32_t *data = malloc(nbytes);
  assert_non_null(data);
  for (int64_t i = 0; i < N_ELEMS; i++) data[i] = (uint32_t)((uint64_t)i * 2654435761u);
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){N_ELEMS});
  assert_int_equal(jet_type_nbytes(&t), nbytes);

  uint64_t base_bytes, base_arrays;
  get_stats(f->client, &base_bytes, &base_arrays);
  assert_int_equal(base_bytes, 0);

  double t0 = jet_test_now_ms();
  jet_array *a;
  JET_TEST_OK(jet_array_put(f->client, &t, data, &a));
  double t1 = jet_test_now_ms();
  assert_true(jet_type_equal(jet_array_type(a), &t));

  uint64_t lb, la;
  get_stats(f->client, &lb, &la);
  assert_true(lb >= nbytes);
  assert_int_equal(la, base_arrays + 1);

  uint32_t *back = malloc(nbytes);
  assert_non_null(back);
  memset(back, 0xA5, nbytes);
  JET_TEST_OK(jet_array_get(a, back, nbytes));
  double t2 = jet_test_now_ms();
  if (memcmp(back, data, nbytes) != 0) {
    int64_t i = 0;
    while (i < N_ELEMS && back[i] == data[i]) i++;
    fail_msg("array differs first at element %lld: got 0x%08x, want 0x%08x", (long long)i,
             back[i], data[i]);
  }
  free(back);
  free(data);
  fprintf(stderr, "1 GiB put %.0f ms, get %.0f ms\n", t1 - t0, t2 - t1);

  JET_TEST_OK(jet_array_free(a));
  get_stats(f->client, &lb, &la);
  assert_int_equal(lb, 0);
  assert_int_equal(la, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_one_gib_round_trip),
  };
  return cmocka_run_group_tests(tests, jet_test_fixture_setup, jet_test_fixture_teardown);
}
