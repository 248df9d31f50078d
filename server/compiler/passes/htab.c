/* A small open-addressing multimap from 64-bit keys (already well mixed by
 * the caller) to pairs of words, with linear probing and no deletion. Used
 * by CSE (node hash -> node index) and the callee maps. */
#include <stdlib.h>

#include "compiler/passes/passes_internal.h"

static size_t cap_for(size_t n) {
  size_t cap = 16;
  while (cap / 2 < n + 1) {
    if (cap > SIZE_MAX / 4 / sizeof(jet__htab_slot)) return 0;
    cap *= 2;
  }
  return cap;
}

jet_status jet__htab_init(jet__htab *t, size_t expect) {
  t->n = 0;
  t->cap = cap_for(expect);
  t->slots = t->cap ? calloc(t->cap, sizeof *t->slots) : NULL;
  if (!t->slots) {
    t->cap = 0;
    return jet_status_oom("pass hash table");
  }
  return NULL;
}

void jet__htab_free(jet__htab *t) {
  free(t->slots);
  t->slots = NULL;
  t->cap = t->n = 0;
}

static void place(jet__htab_slot *slots, size_t cap, const jet__htab_slot *s) {
  size_t i = (size_t)s->key & (cap - 1);
  while (slots[i].used) i = (i + 1) & (cap - 1);
  slots[i] = *s;
}

static jet_status grow(jet__htab *t) {
  size_t cap = cap_for(t->n + 1);
  if (!cap) return jet_status_oom("pass hash table");
  if (cap <= t->cap) return NULL;
  jet__htab_slot *slots = calloc(cap, sizeof *slots);
  if (!slots) return jet_status_oom("pass hash table");
  for (size_t i = 0; i < t->cap; i++)
    if (t->slots[i].used) place(slots, cap, &t->slots[i]);
  free(t->slots);
  t->slots = slots;
  t->cap = cap;
  return NULL;
}

jet_status jet__htab_add(jet__htab *t, uint64_t key, uintptr_t a, uintptr_t b) {
  JET_RETURN_IF_ERROR(grow(t));
  jet__htab_slot s = {key, a, b, true};
  place(t->slots, t->cap, &s);
  t->n++;
  return NULL;
}

static size_t scan(const jet__htab *t, uint64_t key, size_t i) {
  if (!t->cap) return SIZE_MAX;
  while (t->slots[i].used) {
    if (t->slots[i].key == key) return i;
    i = (i + 1) & (t->cap - 1);
  }
  return SIZE_MAX;
}

size_t jet__htab_first(const jet__htab *t, uint64_t key) {
  return t->cap ? scan(t, key, (size_t)key & (t->cap - 1)) : SIZE_MAX;
}

size_t jet__htab_next(const jet__htab *t, uint64_t key, size_t i) {
  return scan(t, key, (i + 1) & (t->cap - 1));
}
