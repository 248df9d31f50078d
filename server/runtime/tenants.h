/* Per-tenant accounting and quotas (tenants.c; owner: quotas).
 *
 * A tenant (wire/auth.h: "default" without a tokens file) gets an account
 * the first time it is named: the arrays it keeps on the server and their
 * bytes, against the limits of config_tenants.h (0 = no limit). The store
 * (store.h) charges an array when a handle to it is inserted for a session
 * of the tenant and gives the charge back when the handle goes (delete,
 * donation, session end). Concurrent Executes are counted by wire/sched.h.
 *
 * Over a limit the answer is RESOURCE_EXHAUSTED naming the tenant, the
 * limit, its value, what is in use and what was asked, e.g.
 *   tenant 'alice': tenant-memory 1048576 bytes exceeded: 1000000 in use,
 *   100000 more asked
 * and nothing is charged.
 *
 * Accounts live until jet_tenants_destroy (pointers to them and their names
 * stay valid until then). Thread safety: all functions may be called from
 * any thread (one mutex). */
#ifndef JET_RUNTIME_TENANTS_H
#define JET_RUNTIME_TENANTS_H

#include <stddef.h>
#include <stdint.h>

#include "daemon/config_tenants.h"
#include "jet/status.h"

typedef struct jet_tenants jet_tenants;
typedef struct jet_tenant jet_tenant;

/* cfg is copied. INVALID_ARGUMENT naming the key when a request-bytes limit
 * is over max_request_bytes; RESOURCE_EXHAUSTED out of memory. */
jet_status jet_tenants_create(const jet_config_tenants *cfg, uint64_t max_request_bytes,
                              jet_tenants **out) JET_MUST_USE;
void jet_tenants_destroy(jet_tenants *t);

/* The account of `name` (NULL = "default"), made on first use; NULL only
 * when out of memory. */
jet_tenant *jet_tenants_get(jet_tenants *t, const char *name);

const char *jet_tenant_name(const jet_tenant *a);
jet_tenant_limits jet_tenant_get_limits(const jet_tenant *a);

/* Charges `arrays` arrays of `bytes` bytes in all, or RESOURCE_EXHAUSTED
 * (nothing charged) when that would go over tenant-memory or
 * tenant-arrays. a == NULL charges nothing. */
jet_status jet_tenant_charge(jet_tenant *a, uint64_t bytes, uint64_t arrays) JET_MUST_USE;
/* The same check without charging (e.g. before a PutArray streams). */
jet_status jet_tenant_check(jet_tenant *a, uint64_t bytes, uint64_t arrays) JET_MUST_USE;
/* Gives back what jet_tenant_charge took. */
void jet_tenant_release(jet_tenant *a, uint64_t bytes, uint64_t arrays);
/* RESOURCE_EXHAUSTED "tenant 'T': tenant-request-bytes N bytes exceeded:
 * request of M bytes" when bytes is over the tenant's request limit. */
jet_status jet_tenant_check_request(const jet_tenant *a, uint64_t bytes) JET_MUST_USE;

/* What the tenant holds now. */
void jet_tenant_usage(jet_tenant *a, uint64_t *bytes, uint64_t *arrays);

/* Calls fn for every tenant seen so far (under the accounts' lock: fn must
 * not call back into t), oldest first or newest first, unspecified. */
void jet_tenants_each(jet_tenants *t,
                      void (*fn)(void *ctx, const char *name, uint64_t bytes, uint64_t arrays),
                      void *ctx);

#endif
