#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mem.h"
#include "runtime/tenants.h"

typedef struct entry {
  struct entry *next;
  char id[JET_TOKEN_HEX + 1];
  char session[JET_TOKEN_HEX + 1];
  jet_buffer *array;
  jet_tenant *tenant; /* charged for array->nbytes (NULL = none) */
} entry;

/* Frees a removed entry: its reference and its tenant charge. */
static void entry_free(entry *e) {
  jet_tenant_release(e->tenant, e->array->nbytes, 1);
  jet_buffer_release(e->array);
  free(e);
}

struct jet_store {
  pthread_mutex_t mu;
  jet_devices *devices;
  jet_sessions *sessions;
  entry **buckets;
  size_t nbuckets; /* power of two */
  size_t count;
  atomic_uint_fast64_t live_arrays, live_bytes;
};

static size_t hash_id(const char *id) {
  uint64_t h = 1469598103934665603ull;
  for (const char *p = id; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  return (size_t)h;
}

jet_store *jet_store_create(jet_devices *devices, jet_sessions *sessions) {
  jet_store *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->nbuckets = 64;
  s->buckets = calloc(s->nbuckets, sizeof(entry *));
  if (!s->buckets) {
    free(s);
    return NULL;
  }
  pthread_mutex_init(&s->mu, NULL);
  s->devices = devices;
  s->sessions = sessions;
  return s;
}

void jet_store_destroy(jet_store *s) {
  if (!s) return;
  for (size_t b = 0; b < s->nbuckets; b++) {
    for (entry *e = s->buckets[b], *n; e; e = n) {
      n = e->next;
      entry_free(e);
    }
  }
  free(s->buckets);
  pthread_mutex_destroy(&s->mu);
  free(s);
}

/* A new array struct; `counted` arrays show in jet_store_stats (every
 * array but the blocks of a sharded one). */
static jet_status wrap(jet_store *s, uint32_t device, const jet_type *t, void *data, size_t nbytes,
                       bool counted, jet_buffer **out) {
  jet_buffer *a = calloc(1, sizeof(*a));
  if (!a) return jet_status_oom("array");
  atomic_init(&a->refs, 1);
  a->type = *t;
  a->data = data;
  a->nbytes = nbytes;
  a->device = device;
  a->owns_data = true;
  a->charged = true;
  a->counted = counted;
  a->store = s;
  if (counted) {
    atomic_fetch_add(&s->live_arrays, 1);
    atomic_fetch_add(&s->live_bytes, nbytes);
  }
  *out = a;
  return NULL;
}

static jet_status reserve(jet_store *s, uint32_t device, const jet_type *t, size_t nbytes) {
  char ts[JET_TYPE_STR_MAX];
  return jet_devices_reserve(s->devices, device, nbytes, jet_type_str(t, ts, sizeof(ts)));
}

static jet_status alloc_one(jet_store *s, uint32_t device, const jet_type *t, bool counted,
                            jet_buffer **out) {
  size_t nbytes = jet_type_nbytes(t);
  JET_RETURN_IF_ERROR(reserve(s, device, t, nbytes));
  void *data = jet_mem_alloc(nbytes);
  jet_status st = data ? wrap(s, device, t, data, nbytes, counted, out) : NULL;
  if (!data) {
    char ts[JET_TYPE_STR_MAX];
    st = jet_status_make(JET_RESOURCE_EXHAUSTED, "out of memory allocating %zu bytes for %s",
                         nbytes, jet_type_str(t, ts, sizeof(ts)));
  }
  if (st) {
    jet_mem_free(data);
    jet_devices_release(s->devices, device, nbytes);
  }
  return st;
}

jet_status jet_store_alloc(jet_store *s, uint32_t device, const jet_type *t, jet_buffer **out) {
  return alloc_one(s, device, t, true, out);
}

jet_status jet_store_adopt(jet_store *s, uint32_t device, const jet_type *t, void *data,
                           jet_buffer **out) {
  size_t nbytes = jet_type_nbytes(t);
  JET_RETURN_IF_ERROR(reserve(s, device, t, nbytes));
  jet_status st = wrap(s, device, t, data, nbytes, true, out);
  if (st) jet_devices_release(s->devices, device, nbytes);
  return st;
}

/* ---- sharded arrays -------------------------------------------------------- */

static jet_status check_sharding(jet_store *s, const jet_type *t, const uint32_t *devices,
                                 uint32_t n, const char *field) {
  char ts[JET_TYPE_STR_MAX];
  if (n == 0 || n > JET_MAX_SHARDS)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: %u blocks (give 1 to %d devices)", field, n,
                           JET_MAX_SHARDS);
  if (n > 1 && t->rank == 0)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s: %s is a scalar; only an array with a leading axis can be sharded",
                           field, jet_type_str(t, ts, sizeof(ts)));
  if (n > 1 && t->dims[0] % n != 0)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s: the leading axis of %s (size %lld) does not split into %u equal "
                           "blocks",
                           field, jet_type_str(t, ts, sizeof(ts)), (long long)t->dims[0], n);
  for (uint32_t i = 0; i < n; i++) {
    char f[64];
    snprintf(f, sizeof(f), "%s[%u]", field, i);
    JET_RETURN_IF_ERROR(jet_devices_check_id(s->devices, devices[i], f));
    for (uint32_t k = 0; k < i; k++)
      if (devices[k] == devices[i])
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "%s: device %u holds block %u already (one block per device)", f,
                               devices[i], k);
  }
  return NULL;
}

/* The parent of n blocks (not charged; its blocks are). */
static jet_status new_parent(jet_store *s, const jet_type *t, void *data, uint32_t n,
                             jet_buffer **out) {
  jet_buffer **shards = calloc(n, sizeof(*shards));
  if (!shards) return jet_status_oom("sharded array");
  jet_status st = wrap(s, 0, t, data, jet_type_nbytes(t), true, out);
  if (st) {
    free(shards);
    return st;
  }
  (*out)->charged = false;
  (*out)->owns_data = data != NULL;
  (*out)->n_shards = n;
  (*out)->shards = shards;
  return NULL;
}

static jet_type block_type(const jet_type *t, uint32_t n) {
  jet_type b = *t;
  b.dims[0] /= n;
  return b;
}

jet_status jet_store_alloc_sharded(jet_store *s, const jet_type *t, const uint32_t *devices,
                                   uint32_t n, const char *field, jet_buffer **out) {
  JET_RETURN_IF_ERROR(check_sharding(s, t, devices, n, field));
  if (n == 1) return jet_store_alloc(s, devices[0], t, out);
  jet_buffer *a = NULL;
  JET_RETURN_IF_ERROR(new_parent(s, t, NULL, n, &a));
  const jet_type bt = block_type(t, n);
  for (uint32_t k = 0; k < n; k++) {
    jet_status st = alloc_one(s, devices[k], &bt, false, &a->shards[k]);
    if (st) {
      jet_buffer_release(a);
      return jet_status_annotate(st, "%s[%u]: ", field, k);
    }
  }
  a->device = devices[0];
  *out = a;
  return NULL;
}

jet_status jet_store_adopt_sharded(jet_store *s, const jet_type *t, void *data,
                                   const uint32_t *devices, uint32_t n, jet_buffer **out) {
  if (n <= 1) return jet_store_adopt(s, n ? devices[0] : 0, t, data, out);
  jet_buffer *a = NULL;
  JET_RETURN_IF_ERROR(new_parent(s, t, data, n, &a));
  a->owns_data = false; /* until every block is charged */
  const jet_type bt = block_type(t, n);
  const size_t bbytes = jet_type_nbytes(&bt);
  for (uint32_t k = 0; k < n; k++) {
    jet_status st = reserve(s, devices[k], &bt, bbytes);
    if (!st) {
      st = wrap(s, devices[k], &bt, (char *)data + k * bbytes, bbytes, false, &a->shards[k]);
      if (st) jet_devices_release(s->devices, devices[k], bbytes);
    }
    if (st) {
      jet_buffer_release(a); /* the blocks made so far; data stays the caller's */
      return st;
    }
    a->shards[k]->owns_data = false;
  }
  a->owns_data = true;
  a->device = devices[0];
  *out = a;
  return NULL;
}

void *jet_buffer_bytes_at(const jet_buffer *a, size_t off, size_t *len) {
  if (a->data) {
    *len = a->nbytes - off;
    return (char *)a->data + off;
  }
  const size_t bbytes = a->shards[0]->nbytes;
  const size_t k = bbytes ? off / bbytes : 0;
  const size_t in = off - k * bbytes;
  *len = bbytes - in;
  return (char *)a->shards[k]->data + in;
}

void jet_buffer_gather(const jet_buffer *a, void *dst) {
  for (size_t off = 0, len = 0; off < a->nbytes; off += len) {
    const void *src = jet_buffer_bytes_at(a, off, &len);
    memcpy((char *)dst + off, src, len);
  }
}

jet_buffer *jet_buffer_retain(jet_buffer *a) {
  atomic_fetch_add(&a->refs, 1);
  return a;
}

void jet_buffer_release(jet_buffer *a) {
  if (!a || atomic_fetch_sub(&a->refs, 1) != 1) return;
  jet_store *s = a->store;
  for (uint32_t k = 0; k < a->n_shards; k++) jet_buffer_release(a->shards[k]);
  free(a->shards);
  if (a->counted) {
    atomic_fetch_sub(&s->live_arrays, 1);
    atomic_fetch_sub(&s->live_bytes, a->nbytes);
  }
  if (a->charged) jet_devices_release(s->devices, a->device, a->nbytes);
  if (a->owns_data) jet_mem_free(a->data);
  free(a);
}

void *jet_buffer_take_data(jet_buffer *a) {
  if (atomic_load(&a->refs) != 1 || a->n_shards || !a->owns_data) return NULL;
  void *d = a->data;
  a->data = NULL;
  return d;
}

/* Doubles the table when it is fuller than one entry per bucket; a failed
 * grow just leaves longer chains. Called with the lock held. */
static void maybe_grow(jet_store *s) {
  if (s->count < s->nbuckets) return;
  size_t nb = s->nbuckets * 2;
  entry **nbk = calloc(nb, sizeof(entry *));
  if (!nbk) return;
  for (size_t b = 0; b < s->nbuckets; b++) {
    for (entry *e = s->buckets[b], *n; e; e = n) {
      n = e->next;
      size_t i = hash_id(e->id) & (nb - 1);
      e->next = nbk[i];
      nbk[i] = e;
    }
  }
  free(s->buckets);
  s->buckets = nbk;
  s->nbuckets = nb;
}

static entry **find(jet_store *s, const char *id) {
  entry **pp = &s->buckets[hash_id(id) & (s->nbuckets - 1)];
  while (*pp && strcmp((*pp)->id, id) != 0) pp = &(*pp)->next;
  return pp;
}

jet_status jet_store_insert(jet_store *s, const char *session, jet_buffer *a,
                            char id_out[JET_TOKEN_HEX + 1]) {
  return jet_store_insert_tenant(s, session, NULL, a, id_out);
}

jet_status jet_store_insert_tenant(jet_store *s, const char *session, jet_tenant *tenant,
                                   jet_buffer *a, char id_out[JET_TOKEN_HEX + 1]) {
  if (!session || strlen(session) != JET_TOKEN_HEX)
    return jet_status_make(JET_FAILED_PRECONDITION, "session '%.64s' is not open",
                           session ? session : "");
  entry *e = calloc(1, sizeof(*e));
  if (!e) return jet_status_oom("array handle");
  jet_status st = jet_token_new(e->id);
  if (st) {
    free(e);
    return st;
  }
  memcpy(e->session, session, JET_TOKEN_HEX + 1);
  st = jet_tenant_charge(tenant, a->nbytes, 1);
  if (st) {
    free(e);
    return st;
  }
  e->tenant = tenant;
  e->array = jet_buffer_retain(a);
  pthread_mutex_lock(&s->mu);
  st = jet_sessions_check(s->sessions, session);
  if (!st) {
    maybe_grow(s);
    entry **slot = &s->buckets[hash_id(e->id) & (s->nbuckets - 1)];
    e->next = *slot;
    *slot = e;
    s->count++;
  }
  pthread_mutex_unlock(&s->mu);
  if (st) {
    entry_free(e);
    return st;
  }
  memcpy(id_out, e->id, JET_TOKEN_HEX + 1);
  return NULL;
}

static jet_status not_found(const char *field, const char *id) {
  return jet_status_make(JET_NOT_FOUND, "%s: array handle '%.64s' not found", field, id);
}

/* The entry of id when session owns it, else NULL. Lock held. */
static entry **find_owned(jet_store *s, const char *session, const char *id) {
  entry **pp = find(s, id);
  if (*pp && (!session || strcmp((*pp)->session, session) != 0)) return NULL;
  return *pp ? pp : NULL;
}

jet_status jet_store_get(jet_store *s, const char *session, const char *id, const char *field,
                         jet_buffer **out) {
  pthread_mutex_lock(&s->mu);
  entry **pp = find_owned(s, session, id);
  if (pp) *out = jet_buffer_retain((*pp)->array);
  pthread_mutex_unlock(&s->mu);
  return pp ? NULL : not_found(field, id);
}

jet_status jet_store_delete(jet_store *s, const char *session, const char *const *ids, uint32_t n,
                            uint32_t *deleted) {
  *deleted = 0;
  pthread_mutex_lock(&s->mu);
  for (uint32_t i = 0; i < n; i++) {
    bool dup = false;
    for (uint32_t j = 0; j < i && !dup; j++) dup = strcmp(ids[i], ids[j]) == 0;
    if (dup || !find_owned(s, session, ids[i])) {
      pthread_mutex_unlock(&s->mu);
      char field[48];
      snprintf(field, sizeof(field), "handles[%u]", i);
      if (dup)
        return jet_status_make(JET_INVALID_ARGUMENT, "%s: array handle '%.64s' is named twice",
                               field, ids[i]);
      return not_found(field, ids[i]);
    }
  }
  entry *dead = NULL;
  for (uint32_t i = 0; i < n; i++) {
    entry **pp = find(s, ids[i]);
    entry *e = *pp;
    *pp = e->next;
    e->next = dead;
    dead = e;
    s->count--;
  }
  pthread_mutex_unlock(&s->mu);
  for (entry *e = dead, *nx; e; e = nx) {
    nx = e->next;
    entry_free(e);
  }
  *deleted = n;
  return NULL;
}

uint32_t jet_store_free_session(jet_store *s, const char *session) {
  entry *dead = NULL;
  uint32_t n = 0;
  pthread_mutex_lock(&s->mu);
  for (size_t b = 0; b < s->nbuckets; b++) {
    entry **pp = &s->buckets[b];
    while (*pp) {
      entry *e = *pp;
      if (strcmp(e->session, session) == 0) {
        *pp = e->next;
        e->next = dead;
        dead = e;
        s->count--;
        n++;
      } else {
        pp = &e->next;
      }
    }
  }
  pthread_mutex_unlock(&s->mu);
  for (entry *e = dead, *nx; e; e = nx) {
    nx = e->next;
    entry_free(e);
  }
  return n;
}

void jet_store_stats(jet_store *s, uint64_t *live_arrays, uint64_t *live_bytes) {
  *live_arrays = atomic_load(&s->live_arrays);
  *live_bytes = atomic_load(&s->live_bytes);
}
