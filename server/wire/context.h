/* The daemon state the RPC handlers work on: devices, sessions, the array
 * store, the executable cache, the configuration and a few counters. Created
 * by daemon/, shared by the loop thread and the compute pool (every member is
 * thread-safe or immutable after start-up). */
#ifndef JET_WIRE_CONTEXT_H
#define JET_WIRE_CONTEXT_H

#include <stdatomic.h>
#include <stdint.h>

#include "compiler/cache.h"
#include "daemon/config.h"
#include "runtime/device.h"
#include "runtime/session.h"
#include "runtime/store.h"
#include "runtime/tenants.h"

typedef struct jet_ctx {
  jet_config cfg;
  jet_devices *devices;
  jet_sessions *sessions;
  jet_store *store;
  jet_cache *cache;
  jet_tenants *tenants;            /* per-tenant quotas (runtime/tenants.h) */
  int64_t start_ns;               /* CLOCK_MONOTONIC at start-up */
  atomic_uint_fast64_t executions; /* Execute runs that completed */
  atomic_uint_fast64_t in_flight;  /* Compile/Execute jobs queued or running */
} jet_ctx;

/* Creates every member from cfg; INTERNAL / RESOURCE_EXHAUSTED on failure. */
jet_status jet_ctx_init(jet_ctx *ctx, const jet_config *cfg) JET_MUST_USE;
void jet_ctx_destroy(jet_ctx *ctx);

/* CLOCK_MONOTONIC in nanoseconds. */
int64_t jet_now_ns(void);

#endif
