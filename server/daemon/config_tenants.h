/* Tenant quota keys of the daemon configuration (config_tenants.c; owner:
 * quotas). Defaults for every tenant, and overrides for one:
 *
 *   tenant-memory         bytes of live arrays a tenant keeps on the server
 *                         (K/M/G; 0 = no limit, the default)
 *   tenant-arrays         live arrays a tenant keeps (0 = no limit)
 *   tenant-executions     concurrent Executes of a tenant, running and
 *                         queued (0 = no limit)
 *   tenant-request-bytes  largest request message of a tenant; a PutArray
 *                         counts the whole array (K/M/G; 0 = only
 *                         max-request-bytes; must be <= max-request-bytes)
 *   tenant.NAME.memory, tenant.NAME.arrays, tenant.NAME.executions,
 *   tenant.NAME.request-bytes   the same for tenant NAME only
 *
 * Enforcement: runtime/tenants.h (arrays, memory, request bytes) and
 * wire/sched.h (executions). */
#ifndef JET_DAEMON_CONFIG_TENANTS_H
#define JET_DAEMON_CONFIG_TENANTS_H

#include <stdbool.h>
#include <stdint.h>

#include "jet/status.h"

#define JET_CONFIG_TENANT_NAME_MAX 63
#define JET_CONFIG_TENANT_OVERRIDES 64

/* One set of limits; 0 = no limit. */
typedef struct jet_tenant_limits {
  uint64_t memory;
  uint64_t arrays;
  uint64_t executions;
  uint64_t request_bytes;
} jet_tenant_limits;

/* Limits of one named tenant: a field left unset (its bit clear in `set`)
 * takes the default. */
typedef struct jet_tenant_override {
  char name[JET_CONFIG_TENANT_NAME_MAX + 1];
  jet_tenant_limits limits;
  unsigned set; /* JET_TENANT_SET_* bits */
} jet_tenant_override;

enum {
  JET_TENANT_SET_MEMORY = 1,
  JET_TENANT_SET_ARRAYS = 2,
  JET_TENANT_SET_EXECUTIONS = 4,
  JET_TENANT_SET_REQUEST_BYTES = 8,
};

typedef struct jet_config_tenants {
  jet_tenant_limits defaults;
  uint32_t n_overrides;
  jet_tenant_override overrides[JET_CONFIG_TENANT_OVERRIDES];
} jet_config_tenants;

/* Sets `key` when it is one of the keys above (*handled = true), else
 * leaves everything alone (*handled = false). INVALID_ARGUMENT naming the
 * key for a bad value, a bad tenant name or too many tenants. */
jet_status jet__config_set_tenants(jet_config_tenants *t, const char *key, const char *value,
                                   bool *handled) JET_MUST_USE;

/* The limits that apply to `tenant`. */
jet_tenant_limits jet_config_tenant_limits(const jet_config_tenants *t, const char *tenant);

/* INVALID_ARGUMENT naming the key when a request-bytes limit exceeds
 * max_request_bytes. */
jet_status jet_config_tenants_check(const jet_config_tenants *t,
                                    uint64_t max_request_bytes) JET_MUST_USE;

#endif
