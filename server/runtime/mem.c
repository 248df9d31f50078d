#include "mem.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* Every buffer starts HEADER bytes after a header saying how it was
 * obtained, so jet_mem_free needs no size. HEADER keeps 64-byte alignment. */
enum { HEADER = 64 };
#define BIG_BYTES ((size_t)4 << 20)
#define HUGE_PAGE ((size_t)2 << 20)

typedef struct mem_header {
  size_t map_len; /* 0 = malloc'd */
} mem_header;

static void *alloc(size_t bytes, int zero) {
  if (bytes > SIZE_MAX - HEADER - HUGE_PAGE) return NULL;
  size_t total = bytes + HEADER;
  unsigned char *base;
  size_t map_len = 0;
  if (total >= BIG_BYTES) {
    map_len = (total + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
    void *m = mmap(NULL, map_len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return NULL;
    /* Advice only: without THP the mapping still works, with 4 KiB pages. */
    (void)madvise(m, map_len, MADV_HUGEPAGE);
    base = m; /* fresh anonymous memory is already zero */
  } else {
    base = aligned_alloc(64, (total + 63) & ~(size_t)63);
    if (!base) return NULL;
    if (zero) memset(base + HEADER, 0, bytes);
  }
  ((mem_header *)base)->map_len = map_len;
  return base + HEADER;
}

void *jet_mem_alloc(size_t bytes) { return alloc(bytes, 0); }

void *jet_mem_calloc(size_t bytes) { return alloc(bytes, 1); }

void jet_mem_free(void *p) {
  if (!p) return;
  unsigned char *base = (unsigned char *)p - HEADER;
  size_t map_len = ((mem_header *)base)->map_len;
  if (map_len)
    munmap(base, map_len);
  else
    free(base);
}
