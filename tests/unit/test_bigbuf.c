/* jet_bigbuf: alignment, sizes, reuse of cached large buffers, the cache
 * bound, and concurrent use. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "jet/bigbuf.h"

static void test_sizes_and_alignment(void **state) {
  (void)state;
  const size_t sizes[] = {0, 1, 63, 4096, JET_BIGBUF_MIN_BYTES - 64, JET_BIGBUF_MIN_BYTES,
                          (size_t)5 << 20};
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    unsigned char *p = jet_bigbuf_alloc(sizes[i]);
    assert_non_null(p);
    assert_int_equal((uintptr_t)p % 64, 0);
    if (sizes[i]) {
      memset(p, 0xab, sizes[i]);
      assert_int_equal(p[sizes[i] - 1], 0xab);
    }
    jet_bigbuf_free(p);
  }
  jet_bigbuf_free(NULL);
  assert_null(jet_bigbuf_alloc(SIZE_MAX - 10));
}

static void test_large_buffers_are_reused(void **state) {
  (void)state;
  jet_bigbuf_trim();
  void *a = jet_bigbuf_alloc((size_t)4 << 20);
  assert_non_null(a);
  jet_bigbuf_free(a);
  /* A request of a similar size gets the cached mapping back... */
  void *b = jet_bigbuf_alloc(((size_t)4 << 20) - 1000);
  assert_ptr_equal(a, b);
  jet_bigbuf_free(b);
  /* ...a much smaller one does not take it (it would waste the space). */
  void *c = jet_bigbuf_alloc((size_t)1 << 20);
  assert_ptr_not_equal(c, a);
  jet_bigbuf_free(c);
  jet_bigbuf_trim();
}

static void test_cache_is_bounded(void **state) {
  (void)state;
  jet_bigbuf_trim();
  /* Freeing more than the cache holds must not keep everything: allocate
   * and free twice the bound in 32 MiB buffers; all calls succeed. */
  enum { N = (int)(2 * JET_BIGBUF_CACHE_BYTES / ((size_t)32 << 20)) };
  void *p[N];
  for (int i = 0; i < N; i++) assert_non_null(p[i] = jet_bigbuf_alloc((size_t)32 << 20));
  for (int i = 0; i < N; i++) jet_bigbuf_free(p[i]);
  jet_bigbuf_trim();
}

static void *worker(void *arg) {
  (void)arg;
  for (int i = 0; i < 200; i++) {
    size_t n = ((size_t)1 << 20) + (size_t)(i % 7) * 65536;
    unsigned char *p = jet_bigbuf_alloc(n);
    if (!p) return (void *)1;
    p[0] = p[n - 1] = (unsigned char)i;
    jet_bigbuf_free(p);
  }
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  pthread_t t[4];
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, NULL), 0);
  for (int i = 0; i < 4; i++) {
    void *r;
    pthread_join(t[i], &r);
    assert_null(r);
  }
  jet_bigbuf_trim();
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sizes_and_alignment),
      cmocka_unit_test(test_large_buffers_are_reused),
      cmocka_unit_test(test_cache_is_bounded),
      cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
