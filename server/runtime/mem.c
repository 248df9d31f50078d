#include "mem.h"

#include <stdlib.h>
#include <string.h>

void *jet_mem_alloc(size_t bytes) {
  size_t n = bytes ? (bytes + 63) & ~(size_t)63 : 64;
  if (n < bytes) return NULL;
  return aligned_alloc(64, n);
}

void *jet_mem_calloc(size_t bytes) {
  void *p = jet_mem_alloc(bytes);
  if (p) memset(p, 0, bytes);
  return p;
}

void jet_mem_free(void *p) { free(p); }
