#include "mem.h"

#include <stdatomic.h>
#include <string.h>

#include "jet/bigbuf.h"

static atomic_uint_fast64_t alloc_calls;

void *jet_mem_alloc(size_t bytes) {
  atomic_fetch_add_explicit(&alloc_calls, 1, memory_order_relaxed);
  return jet_bigbuf_alloc(bytes);
}

void *jet_mem_calloc(size_t bytes) {
  void *p = jet_mem_alloc(bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

void jet_mem_free(void *p) { jet_bigbuf_free(p); }

uint64_t jet_mem_alloc_count(void) {
  return (uint64_t)atomic_load_explicit(&alloc_calls, memory_order_relaxed);
}
