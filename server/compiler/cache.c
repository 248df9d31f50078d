/* The in-memory executable cache (hash table + LRU list bounded in entries
 * and bytes) and its counters; owns the optional on-disk cache. */
#include "compiler/cache.h"

#include "compiler/lower.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GRANT_BUCKETS 1024

typedef struct grant {
  struct grant *next;
  char id[JET_EXECUTABLE_ID_HEX + 1];
  char tenant[]; /* NUL-terminated */
} grant;

typedef struct entry {
  struct entry *hnext;       /* hash chain */
  struct entry *prev, *next; /* LRU list: head = most recent */
  jet_executable *exe;
} entry;

struct jet_cache {
  pthread_mutex_t mu;
  uint32_t capacity;
  uint64_t max_bytes;
  entry **buckets;
  size_t nbuckets; /* power of two >= capacity (at most 2^24) */
  entry *head, *tail;
  jet_cache_stats st; /* memory counters; disk figures come from disk */
  jet_disk_cache *disk;
  /* Which tenants compiled which ids (jet_cache_grant): kept apart from the
   * entries so that an eviction does not hide an id from its tenants. */
  struct grant *grants[GRANT_BUCKETS];
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
  e->bytes = (uint64_t)jet_arena_reserved(graph->arena) + e->info.program_bytes;
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

jet_status jet_cache_open(const jet_cache_options *o, jet_cache **out) {
  *out = NULL;
  if (o->max_entries == 0 || o->max_bytes == 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "compile cache: zero entries or bytes");
  jet_cache *c = calloc(1, sizeof(*c));
  if (!c) return jet_status_oom("compile cache");
  c->capacity = o->max_entries;
  c->max_bytes = o->max_bytes;
  c->st.capacity_bytes = o->max_bytes;
  c->nbuckets = 16;
  while (c->nbuckets < o->max_entries && c->nbuckets < ((size_t)1 << 24)) c->nbuckets *= 2;
  c->buckets = calloc(c->nbuckets, sizeof(entry *));
  if (!c->buckets) {
    free(c);
    return jet_status_oom("compile cache");
  }
  pthread_mutex_init(&c->mu, NULL);
  if (o->disk_dir && *o->disk_dir) {
    jet_status st = jet_disk_cache_open(
        o->disk_dir, o->disk_max_bytes,
        o->compiler_version ? o->compiler_version : JET_COMPILER_VERSION, &c->disk);
    if (st) {
      jet_cache_destroy(c);
      return st;
    }
  }
  *out = c;
  return NULL;
}

jet_cache *jet_cache_create(uint32_t capacity) {
  jet_cache_options o = {.max_entries = capacity, .max_bytes = UINT64_MAX};
  jet_cache *c = NULL;
  jet_status st = jet_cache_open(&o, &c);
  jet_status_free(st);
  return c;
}

void jet_cache_destroy(jet_cache *c) {
  if (!c) return;
  for (entry *e = c->head, *n; e; e = n) {
    n = e->next;
    jet_executable_release(e->exe);
    free(e);
  }
  for (size_t b = 0; b < GRANT_BUCKETS; b++) {
    for (grant *g = c->grants[b], *n; g; g = n) {
      n = g->next;
      free(g);
    }
  }
  free(c->buckets);
  pthread_mutex_destroy(&c->mu);
  jet_disk_cache_close(c->disk);
  free(c);
}

jet_disk_cache *jet_cache_disk(jet_cache *c) { return c->disk; }

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

/* Removes the least recently used entry and returns it (its executable
 * still referenced) for the caller to release outside the lock. Lock
 * held. */
static entry *evict_one(jet_cache *c) {
  entry *e = c->tail;
  if (!e) return NULL;
  lru_unlink(c, e);
  entry **pp = find(c, e->exe->id);
  *pp = e->hnext;
  c->st.entries--;
  c->st.bytes -= e->exe->bytes;
  c->st.evictions++;
  return e;
}

static bool over_bounds(const jet_cache *c) {
  return c->st.entries > c->capacity || c->st.bytes > c->max_bytes;
}

jet_executable *jet_cache_insert(jet_cache *c, jet_executable *exe) {
  entry *fresh = calloc(1, sizeof(*fresh));
  entry *evicted = NULL; /* chained through hnext */
  jet_executable *out;
  pthread_mutex_lock(&c->mu);
  entry **pp = find(c, exe->id);
  if (*pp) {
    out = jet_executable_retain((*pp)->exe);
  } else if (!fresh) {
    /* Out of memory for the entry: run uncached rather than fail. */
    out = jet_executable_retain(exe);
  } else {
    fresh->exe = jet_executable_retain(exe);
    *pp = fresh;
    lru_push_front(c, fresh);
    c->st.entries++;
    c->st.bytes += exe->bytes;
    /* The new entry is at the head: it is never evicted by its own insert. */
    while (over_bounds(c) && c->tail != fresh) {
      entry *e = evict_one(c);
      e->hnext = evicted;
      evicted = e;
    }
    fresh = NULL;
    out = jet_executable_retain(exe);
  }
  pthread_mutex_unlock(&c->mu);
  free(fresh);
  while (evicted) {
    entry *n = evicted->hnext;
    jet_executable_release(evicted->exe);
    free(evicted);
    evicted = n;
  }
  return out;
}

void jet_cache_note(jet_cache *c, bool hit) {
  pthread_mutex_lock(&c->mu);
  if (hit) c->st.hits++; else c->st.misses++;
  pthread_mutex_unlock(&c->mu);
}

void jet_cache_note_disk_hit(jet_cache *c) {
  pthread_mutex_lock(&c->mu);
  c->st.disk_hits++;
  pthread_mutex_unlock(&c->mu);
}

void jet_cache_note_compile_time(jet_cache *c, uint64_t us) {
  pthread_mutex_lock(&c->mu);
  c->st.compile_time_total_us += us;
  pthread_mutex_unlock(&c->mu);
}

void jet_cache_get_stats(jet_cache *c, jet_cache_stats *out) {
  pthread_mutex_lock(&c->mu);
  *out = c->st;
  pthread_mutex_unlock(&c->mu);
  if (c->disk) {
    jet_disk_stats d;
    jet_disk_cache_get_stats(c->disk, &d);
    out->disk_entries = d.entries;
    out->disk_bytes = d.bytes;
    out->disk_capacity_bytes = d.capacity;
    out->disk_discarded = d.discarded;
    out->disk_evictions = d.evictions;
    out->disk_write_errors = d.write_errors;
  }
}

/* ---- tenants of ids -------------------------------------------------------- */

static grant **find_grant(jet_cache *c, const char *id, const char *tenant) {
  grant **pp = &c->grants[hash_id(id) & (GRANT_BUCKETS - 1)];
  while (*pp && (strcmp((*pp)->id, id) != 0 || strcmp((*pp)->tenant, tenant) != 0))
    pp = &(*pp)->next;
  return pp;
}

jet_status jet_cache_grant(jet_cache *c, const char *id, const char *tenant) {
  size_t tl = strlen(tenant);
  pthread_mutex_lock(&c->mu);
  grant **pp = find_grant(c, id, tenant);
  if (!*pp) {
    grant *g = malloc(sizeof(*g) + tl + 1);
    if (!g) {
      pthread_mutex_unlock(&c->mu);
      return jet_status_oom("executable tenant");
    }
    g->next = NULL;
    snprintf(g->id, sizeof(g->id), "%s", id);
    memcpy(g->tenant, tenant, tl + 1);
    *pp = g;
  }
  pthread_mutex_unlock(&c->mu);
  return NULL;
}

bool jet_cache_granted(jet_cache *c, const char *id, const char *tenant) {
  pthread_mutex_lock(&c->mu);
  bool ok = *find_grant(c, id, tenant) != NULL;
  pthread_mutex_unlock(&c->mu);
  return ok;
}
