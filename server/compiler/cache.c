#include "compiler/cache.h"

#include "compiler/lower.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
  struct entry *hnext;       /* hash chain */
  struct entry *prev, *next; /* LRU list: head = most recent */
  jet_executable *exe;
} entry;

struct jet_cache {
  pthread_mutex_t mu;
  uint32_t capacity;
  entry **buckets;
  size_t nbuckets; /* power of two >= capacity */
  entry *head, *tail;
  jet_cache_stats st;
};

jet_status jet_executable_create(const char *id, jet_graph *graph, jet_executable **out) {
  jet_executable *e = calloc(1, sizeof(*e));
  jet_type *types =
      jet_arena_calloc(graph->arena, graph->n_outputs ? graph->n_outputs : 1, sizeof(jet_type));
  if (!e || !types) {
    free(e);
    jet_graph_destroy(graph);
    return jet_status_oom("executable");
  }
  for (uint32_t i = 0; i < graph->n_outputs; i++)
    types[i] = graph->value_types[graph->outputs[i]];
  jet_status st = jet_lower(graph, &e->program);
  if (st) {
    free(e);
    jet_graph_destroy(graph);
    return st;
  }
  jet_program_get_info(e->program, &e->info);
  atomic_init(&e->refs, 1);
  snprintf(e->id, sizeof(e->id), "%s", id);
  e->graph = graph;
  e->n_outputs = graph->n_outputs;
  e->output_types = types;
  *out = e;
  return NULL;
}

jet_executable *jet_executable_retain(jet_executable *e) {
  atomic_fetch_add(&e->refs, 1);
  return e;
}

void jet_executable_release(jet_executable *e) {
  if (!e || atomic_fetch_sub(&e->refs, 1) != 1) return;
  jet_program_destroy(e->program);
  jet_graph_destroy(e->graph);
  free(e);
}

static size_t hash_id(const char *id) {
  uint64_t h = 1469598103934665603ull;
  for (const char *p = id; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  return (size_t)h;
}

jet_cache *jet_cache_create(uint32_t capacity) {
  if (capacity == 0) return NULL;
  jet_cache *c = calloc(1, sizeof(*c));
  if (!c) return NULL;
  c->capacity = capacity;
  c->nbuckets = 16;
  while (c->nbuckets < capacity && c->nbuckets < ((size_t)1 << 24)) c->nbuckets *= 2;
  c->buckets = calloc(c->nbuckets, sizeof(entry *));
  if (!c->buckets) {
    free(c);
    return NULL;
  }
  pthread_mutex_init(&c->mu, NULL);
  return c;
}

void jet_cache_destroy(jet_cache *c) {
  if (!c) return;
  for (entry *e = c->head, *n; e; e = n) {
    n = e->next;
    jet_executable_release(e->exe);
    free(e);
  }
  free(c->buckets);
  pthread_mutex_destroy(&c->mu);
  free(c);
}

static entry **find(jet_cache *c, const char *id) {
  entry **pp = &c->buckets[hash_id(id) & (c->nbuckets - 1)];
  while (*pp && strcmp((*pp)->exe->id, id) != 0) pp = &(*pp)->hnext;
  return pp;
}

static void lru_unlink(jet_cache *c, entry *e) {
  if (e->prev) e->prev->next = e->next; else c->head = e->next;
  if (e->next) e->next->prev = e->prev; else c->tail = e->prev;
  e->prev = e->next = NULL;
}

static void lru_push_front(jet_cache *c, entry *e) {
  e->prev = NULL;
  e->next = c->head;
  if (c->head) c->head->prev = e;
  c->head = e;
  if (!c->tail) c->tail = e;
}

jet_executable *jet_cache_lookup(jet_cache *c, const char *id) {
  jet_executable *out = NULL;
  pthread_mutex_lock(&c->mu);
  entry *e = *find(c, id);
  if (e) {
    lru_unlink(c, e);
    lru_push_front(c, e);
    out = jet_executable_retain(e->exe);
  }
  pthread_mutex_unlock(&c->mu);
  return out;
}

/* Removes the least recently used entry; returns its executable for the
 * caller to release outside the lock. Lock held. */
static jet_executable *evict_one(jet_cache *c) {
  entry *e = c->tail;
  if (!e) return NULL;
  lru_unlink(c, e);
  entry **pp = find(c, e->exe->id);
  *pp = e->hnext;
  jet_executable *exe = e->exe;
  free(e);
  c->st.entries--;
  c->st.evictions++;
  return exe;
}

jet_executable *jet_cache_insert(jet_cache *c, jet_executable *exe) {
  entry *fresh = calloc(1, sizeof(*fresh));
  jet_executable *out, *evicted = NULL;
  pthread_mutex_lock(&c->mu);
  entry **pp = find(c, exe->id);
  if (*pp) {
    out = jet_executable_retain((*pp)->exe);
  } else if (!fresh) {
    /* Out of memory for the entry: run uncached rather than fail. */
    out = jet_executable_retain(exe);
  } else {
    if (c->st.entries >= c->capacity) {
      evicted = evict_one(c);
      pp = find(c, exe->id);
    }
    fresh->exe = jet_executable_retain(exe);
    *pp = fresh;
    lru_push_front(c, fresh);
    c->st.entries++;
    fresh = NULL;
    out = jet_executable_retain(exe);
  }
  pthread_mutex_unlock(&c->mu);
  free(fresh);
  jet_executable_release(evicted);
  return out;
}

void jet_cache_note(jet_cache *c, bool hit) {
  pthread_mutex_lock(&c->mu);
  if (hit) c->st.hits++; else c->st.misses++;
  pthread_mutex_unlock(&c->mu);
}

void jet_cache_get_stats(jet_cache *c, jet_cache_stats *out) {
  pthread_mutex_lock(&c->mu);
  *out = c->st;
  pthread_mutex_unlock(&c->mu);
}
