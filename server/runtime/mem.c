#include "mem.h"

#include <string.h>

#include "jet/bigbuf.h"

void *jet_mem_alloc(size_t bytes) { return jet_bigbuf_alloc(bytes); }

void *jet_mem_calloc(size_t bytes) {
  void *p = jet_bigbuf_alloc(bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

void jet_mem_free(void *p) { jet_bigbuf_free(p); }
