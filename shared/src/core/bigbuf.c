#include "jet/bigbuf.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

/* Each buffer starts HEADER bytes after a header recording how it was
 * obtained, so jet_bigbuf_free needs no size. */
enum { HEADER = 64, CACHE_SLOTS = 16 };
#define HUGE_PAGE ((size_t)2 << 20)

typedef struct header {
  size_t map_len; /* 0 = malloc'd */
} header;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *cache[CACHE_SLOTS]; /* bases of mapped buffers */
static size_t cache_len[CACHE_SLOTS];
static size_t cache_total;

/* A cached mapping of at least len bytes and at most twice that, or NULL. */
static void *cache_take(size_t len) {
  void *best = NULL;
  pthread_mutex_lock(&lock);
  int bi = -1;
  for (int i = 0; i < CACHE_SLOTS; i++)
    if (cache[i] && cache_len[i] >= len && cache_len[i] / 2 <= len &&
        (bi < 0 || cache_len[i] < cache_len[bi]))
      bi = i;
  if (bi >= 0) {
    best = cache[bi];
    cache_total -= cache_len[bi];
    cache[bi] = NULL;
  }
  pthread_mutex_unlock(&lock);
  return best;
}

static bool cache_put(void *base, size_t len) {
  bool kept = false;
  pthread_mutex_lock(&lock);
  if (cache_total + len <= JET_BIGBUF_CACHE_BYTES) {
    for (int i = 0; i < CACHE_SLOTS && !kept; i++)
      if (!cache[i]) {
        cache[i] = base;
        cache_len[i] = len;
        cache_total += len;
        kept = true;
      }
  }
  pthread_mutex_unlock(&lock);
  return kept;
}

void *jet_bigbuf_alloc(size_t bytes) {
  if (bytes > SIZE_MAX - HEADER - HUGE_PAGE) return NULL;
  size_t total = bytes + HEADER;
  unsigned char *base;
  size_t map_len = 0;
  if (total >= JET_BIGBUF_MIN_BYTES) {
    map_len = (total + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    base = cache_take(map_len);
    if (base) {
      map_len = ((header *)base)->map_len;
    } else {
      void *m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      if (m == MAP_FAILED) return NULL;
      /* Advice only: without THP the mapping works with 4 KiB pages. */
      (void)madvise(m, map_len, MADV_HUGEPAGE);
      base = m;
    }
  } else {
    base = aligned_alloc(64, (total + 63) & ~(size_t)63);
    if (!base) return NULL;
  }
  ((header *)base)->map_len = map_len;
  return base + HEADER;
}

void jet_bigbuf_free(void *p) {
  if (!p) return;
  unsigned char *base = (unsigned char *)p - HEADER;
  size_t map_len = ((header *)base)->map_len;
  if (!map_len)
    free(base);
  else if (!cache_put(base, map_len))
    munmap(base, map_len);
}

void jet_bigbuf_trim(void) {
  pthread_mutex_lock(&lock);
  for (int i = 0; i < CACHE_SLOTS; i++)
    if (cache[i]) {
      munmap(cache[i], cache_len[i]);
      cache[i] = NULL;
    }
  cache_total = 0;
  pthread_mutex_unlock(&lock);
}
