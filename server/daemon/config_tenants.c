/* The tenant quota keys of jet_config (config_tenants.h). */
#include "daemon/config_tenants.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/config.h"

static jet_status parse_count(const char *key, const char *value, uint64_t *out) {
  errno = 0;
  char *end = NULL;
  unsigned long long v = isdigit((unsigned char)*value) ? strtoull(value, &end, 10) : 0;
  if (!isdigit((unsigned char)*value) || errno || *end || v > UINT32_MAX)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: '%.64s' is not an integer in 0..%u", key,
                           value, UINT32_MAX);
  *out = v;
  return NULL;
}

/* Sets field `what` ("memory", "arrays", ...) of l; *bit gets its bit. */
static jet_status set_field(jet_tenant_limits *l, const char *key, const char *what,
                            const char *value, unsigned *bit, bool *handled) {
  *handled = true;
  if (strcmp(what, "memory") == 0) {
    *bit = JET_TENANT_SET_MEMORY;
    return jet_config_parse_bytes(key, value, &l->memory);
  }
  if (strcmp(what, "request-bytes") == 0) {
    *bit = JET_TENANT_SET_REQUEST_BYTES;
    return jet_config_parse_bytes(key, value, &l->request_bytes);
  }
  if (strcmp(what, "arrays") == 0) {
    *bit = JET_TENANT_SET_ARRAYS;
    return parse_count(key, value, &l->arrays);
  }
  if (strcmp(what, "executions") == 0) {
    *bit = JET_TENANT_SET_EXECUTIONS;
    return parse_count(key, value, &l->executions);
  }
  *handled = false;
  return NULL;
}

static bool name_ok(const char *s, size_t n) {
  if (n == 0 || n > JET_CONFIG_TENANT_NAME_MAX) return false;
  for (size_t i = 0; i < n; i++)
    if (!isalnum((unsigned char)s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-') return false;
  return true;
}

jet_status jet__config_set_tenants(jet_config_tenants *t, const char *key, const char *value,
                                   bool *handled) {
  *handled = false;
  unsigned bit = 0;
  if (strncmp(key, "tenant-", 7) == 0) {
    jet_tenant_limits l = t->defaults;
    jet_status st = set_field(&l, key, key + 7, value, &bit, handled);
    if (!st && *handled) t->defaults = l;
    return st;
  }
  if (strncmp(key, "tenant.", 7) != 0) return NULL;
  *handled = true;
  /* tenant.NAME.FIELD: NAME may hold dots, FIELD is after the last one. */
  const char *name = key + 7, *dot = strrchr(name, '.');
  if (!dot || !name_ok(name, (size_t)(dot - name)))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%.96s: expected tenant.NAME.FIELD, NAME of 1..%d characters "
                           "[A-Za-z0-9._-]",
                           key, JET_CONFIG_TENANT_NAME_MAX);
  const size_t n = (size_t)(dot - name);
  jet_tenant_override *o = NULL;
  for (uint32_t i = 0; i < t->n_overrides && !o; i++)
    if (strlen(t->overrides[i].name) == n && strncmp(t->overrides[i].name, name, n) == 0)
      o = &t->overrides[i];
  jet_tenant_limits l = o ? o->limits : (jet_tenant_limits){0};
  bool known = false;
  JET_RETURN_IF_ERROR(set_field(&l, key, dot + 1, value, &bit, &known));
  if (!known)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%.96s: unknown field '%.32s' (memory, arrays, executions, "
                           "request-bytes)",
                           key, dot + 1);
  if (!o) {
    if (t->n_overrides == JET_CONFIG_TENANT_OVERRIDES)
      return jet_status_make(JET_INVALID_ARGUMENT, "%.96s: more than %d tenants have overrides",
                             key, JET_CONFIG_TENANT_OVERRIDES);
    o = &t->overrides[t->n_overrides++];
    memset(o, 0, sizeof(*o));
    memcpy(o->name, name, n);
  }
  o->limits = l;
  o->set |= bit;
  return NULL;
}

jet_tenant_limits jet_config_tenant_limits(const jet_config_tenants *t, const char *tenant) {
  jet_tenant_limits l = t->defaults;
  for (uint32_t i = 0; i < t->n_overrides; i++) {
    const jet_tenant_override *o = &t->overrides[i];
    if (strcmp(o->name, tenant) != 0) continue;
    if (o->set & JET_TENANT_SET_MEMORY) l.memory = o->limits.memory;
    if (o->set & JET_TENANT_SET_ARRAYS) l.arrays = o->limits.arrays;
    if (o->set & JET_TENANT_SET_EXECUTIONS) l.executions = o->limits.executions;
    if (o->set & JET_TENANT_SET_REQUEST_BYTES) l.request_bytes = o->limits.request_bytes;
  }
  return l;
}

jet_status jet_config_tenants_check(const jet_config_tenants *t, uint64_t max_request_bytes) {
  if (t->defaults.request_bytes > max_request_bytes)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "tenant-request-bytes: %llu is more than max-request-bytes (%llu)",
                           (unsigned long long)t->defaults.request_bytes,
                           (unsigned long long)max_request_bytes);
  for (uint32_t i = 0; i < t->n_overrides; i++) {
    const jet_tenant_override *o = &t->overrides[i];
    if ((o->set & JET_TENANT_SET_REQUEST_BYTES) && o->limits.request_bytes > max_request_bytes)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "tenant.%s.request-bytes: %llu is more than max-request-bytes (%llu)",
                             o->name, (unsigned long long)o->limits.request_bytes,
                             (unsigned long long)max_request_bytes);
  }
  return NULL;
}
