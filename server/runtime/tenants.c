/* Per-tenant accounting (tenants.h): a list of accounts under one mutex. */
#include "runtime/tenants.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct jet_tenant {
  struct jet_tenant *next;
  char *name;
  jet_tenant_limits limits;
  uint64_t bytes, arrays; /* in use (under the mutex) */
  jet_tenants *owner;
};

struct jet_tenants {
  pthread_mutex_t mu;
  jet_config_tenants cfg;
  jet_tenant *list;
};

jet_status jet_tenants_create(const jet_config_tenants *cfg, uint64_t max_request_bytes,
                              jet_tenants **out) {
  *out = NULL;
  JET_RETURN_IF_ERROR(jet_config_tenants_check(cfg, max_request_bytes));
  jet_tenants *t = calloc(1, sizeof(*t));
  if (!t) return jet_status_oom("tenant accounts");
  t->cfg = *cfg;
  pthread_mutex_init(&t->mu, NULL);
  *out = t;
  return NULL;
}

void jet_tenants_destroy(jet_tenants *t) {
  if (!t) return;
  for (jet_tenant *a = t->list, *n; a; a = n) {
    n = a->next;
    free(a->name);
    free(a);
  }
  pthread_mutex_destroy(&t->mu);
  free(t);
}

jet_tenant *jet_tenants_get(jet_tenants *t, const char *name) {
  if (!t) return NULL;
  if (!name) name = "default";
  pthread_mutex_lock(&t->mu);
  jet_tenant *a = t->list;
  while (a && strcmp(a->name, name) != 0) a = a->next;
  if (!a && (a = calloc(1, sizeof(*a))) != NULL) {
    a->name = strdup(name);
    if (!a->name) {
      free(a);
      a = NULL;
    } else {
      a->limits = jet_config_tenant_limits(&t->cfg, name);
      a->owner = t;
      a->next = t->list;
      t->list = a;
    }
  }
  pthread_mutex_unlock(&t->mu);
  return a;
}

const char *jet_tenant_name(const jet_tenant *a) { return a ? a->name : "default"; }

void jet_tenants_each(jet_tenants *t,
                      void (*fn)(void *ctx, const char *name, uint64_t bytes, uint64_t arrays),
                      void *ctx) {
  if (!t) return;
  pthread_mutex_lock(&t->mu);
  for (const jet_tenant *a = t->list; a; a = a->next) fn(ctx, a->name, a->bytes, a->arrays);
  pthread_mutex_unlock(&t->mu);
}

jet_tenant_limits jet_tenant_get_limits(const jet_tenant *a) {
  return a ? a->limits : (jet_tenant_limits){0};
}

/* Checks (and with `charge` takes) under the owner's mutex. */
static jet_status take(jet_tenant *a, uint64_t bytes, uint64_t arrays, bool charge) {
  if (!a) return NULL;
  jet_status st = NULL;
  pthread_mutex_lock(&a->owner->mu);
  const jet_tenant_limits *l = &a->limits;
  if (l->memory && bytes > l->memory - (a->bytes < l->memory ? a->bytes : l->memory))
    st = jet_status_make(JET_RESOURCE_EXHAUSTED,
                         "tenant '%s': tenant-memory %llu bytes exceeded: %llu in use, %llu more "
                         "asked",
                         a->name, (unsigned long long)l->memory, (unsigned long long)a->bytes,
                         (unsigned long long)bytes);
  else if (l->arrays && arrays && a->arrays + arrays > l->arrays)
    st = jet_status_make(JET_RESOURCE_EXHAUSTED,
                         "tenant '%s': tenant-arrays %llu exceeded: %llu in use, %llu more asked",
                         a->name, (unsigned long long)l->arrays, (unsigned long long)a->arrays,
                         (unsigned long long)arrays);
  if (!st && charge) {
    a->bytes += bytes;
    a->arrays += arrays;
  }
  pthread_mutex_unlock(&a->owner->mu);
  return st;
}

jet_status jet_tenant_charge(jet_tenant *a, uint64_t bytes, uint64_t arrays) {
  return take(a, bytes, arrays, true);
}

jet_status jet_tenant_check(jet_tenant *a, uint64_t bytes, uint64_t arrays) {
  return take(a, bytes, arrays, false);
}

void jet_tenant_release(jet_tenant *a, uint64_t bytes, uint64_t arrays) {
  if (!a) return;
  pthread_mutex_lock(&a->owner->mu);
  a->bytes = a->bytes > bytes ? a->bytes - bytes : 0;
  a->arrays = a->arrays > arrays ? a->arrays - arrays : 0;
  pthread_mutex_unlock(&a->owner->mu);
}

jet_status jet_tenant_check_request(const jet_tenant *a, uint64_t bytes) {
  if (!a || !a->limits.request_bytes || bytes <= a->limits.request_bytes) return NULL;
  return jet_status_make(JET_RESOURCE_EXHAUSTED,
                         "tenant '%s': tenant-request-bytes %llu bytes exceeded: request of %llu "
                         "bytes",
                         a->name, (unsigned long long)a->limits.request_bytes,
                         (unsigned long long)bytes);
}

void jet_tenant_usage(jet_tenant *a, uint64_t *bytes, uint64_t *arrays) {
  *bytes = *arrays = 0;
  if (!a) return;
  pthread_mutex_lock(&a->owner->mu);
  *bytes = a->bytes;
  *arrays = a->arrays;
  pthread_mutex_unlock(&a->owner->mu);
}
