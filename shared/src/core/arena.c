#include "jet/arena.h"

#include "jet/bigbuf.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct chunk {
  struct chunk *next;
  size_t cap;
  size_t used;
  _Alignas(16) unsigned char data[];
} chunk;

struct jet_arena {
  chunk *head;
  size_t next_size;
  size_t total;
};

jet_arena *jet_arena_create(size_t first_chunk_bytes) {
  jet_arena *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->next_size = first_chunk_bytes < 256 ? 256 : first_chunk_bytes;
  return a;
}

void jet_arena_destroy(jet_arena *a) {
  if (!a) return;
  chunk *c = a->head;
  while (c) {
    chunk *n = c->next;
    jet_bigbuf_free(c);
    c = n;
  }
  free(a);
}

void *jet_arena_alloc(jet_arena *a, size_t bytes) {
  size_t need = (bytes + 15) & ~(size_t)15;
  if (need < bytes) return NULL;
  chunk *c = a->head;
  if (!c || c->cap - c->used < need) {
    size_t cap = a->next_size;
    if (cap < need) cap = need;
    if (cap > SIZE_MAX - sizeof(chunk)) return NULL;
    /* Large chunks (a decoded array, a big message) come from the bigbuf
     * cache, whose pages are already faulted in after the first use. */
    chunk *n = jet_bigbuf_alloc(sizeof(chunk) + cap);
    if (!n) return NULL;
    n->cap = cap;
    n->used = 0;
    /* Keep the partly used head first when the new chunk is a one-off
     * large allocation, so small allocations keep filling it. */
    if (c && cap == need && c->cap - c->used > 256) {
      n->next = c->next;
      c->next = n;
      n->used = need;
      a->total += need;
      return n->data;
    }
    n->next = c;
    a->head = n;
    if (a->next_size < (64u << 20)) a->next_size *= 2;
    c = n;
  }
  void *p = c->data + c->used;
  c->used += need;
  a->total += need;
  return p;
}

void *jet_arena_calloc(jet_arena *a, size_t n, size_t size) {
  if (size && n > SIZE_MAX / size) return NULL;
  void *p = jet_arena_alloc(a, n * size);
  if (p) memset(p, 0, n * size);
  return p;
}

void *jet_arena_memdup(jet_arena *a, const void *p, size_t bytes) {
  void *q = jet_arena_alloc(a, bytes);
  if (q && bytes) memcpy(q, p, bytes);
  return q;
}

char *jet_arena_strdup(jet_arena *a, const char *s) {
  return jet_arena_memdup(a, s, strlen(s) + 1);
}

size_t jet_arena_used(const jet_arena *a) { return a->total; }

size_t jet_arena_reserved(const jet_arena *a) {
  size_t n = sizeof *a;
  for (const chunk *c = a->head; c; c = c->next) n += sizeof(chunk) + c->cap;
  return n;
}
