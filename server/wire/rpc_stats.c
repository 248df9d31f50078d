/* GetDevices and GetStats: cheap snapshots answered on the loop thread. */
#include <cblas.h>

#include "jet/v1/jet.pb-c.h"
#include "runtime/fused/tile.h"
#include "runtime/pool.h"
#include "wire/call.h"

jet_status jet__rpc_get_devices(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                ProtobufCMessage **resp) {
  (void)req;
  uint32_t n = jet_devices_count(c->ctx->devices);
  Jet__V1__GetDevicesResponse *r = jet_arena_alloc(a, sizeof(*r));
  Jet__V1__Device **list = jet_arena_calloc(a, n, sizeof(*list));
  Jet__V1__Device *devs = jet_arena_calloc(a, n, sizeof(*devs));
  if (!r || !list || !devs) return jet_status_oom("GetDevices reply");
  jet__v1__get_devices_response__init(r);
  for (uint32_t i = 0; i < n; i++) {
    jet_device_info info;
    jet_devices_info(c->ctx->devices, i, &info);
    jet__v1__device__init(&devs[i]);
    devs[i].id = info.id;
    devs[i].kind = (char *)info.kind;
    devs[i].memory_limit_bytes = info.limit_bytes;
    devs[i].memory_in_use_bytes = info.in_use_bytes;
    devs[i].live_arrays = info.live_arrays;
    list[i] = &devs[i];
  }
  r->n_devices = n;
  r->devices = list;
  *resp = &r->base;
  return NULL;
}

jet_status jet__rpc_get_stats(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                              ProtobufCMessage **resp) {
  (void)req;
  jet_ctx *ctx = c->ctx;
  const jet_method_table *mt = &c->w->methods;
  Jet__V1__GetStatsResponse *r = jet_arena_alloc(a, sizeof(*r));
  Jet__V1__MethodStats **list = jet_arena_calloc(a, mt->n, sizeof(*list));
  Jet__V1__MethodStats *ms = jet_arena_calloc(a, mt->n, sizeof(*ms));
  if (!r || !list || !ms) return jet_status_oom("GetStats reply");
  jet__v1__get_stats_response__init(r);
  r->uptime_ms = (uint64_t)((jet_now_ns() - ctx->start_ns) / 1000000);
  r->sessions = jet_sessions_count(ctx->sessions);
  jet_store_stats(ctx->store, &r->live_arrays, &r->live_bytes);
  jet_cache_stats cs;
  jet_cache_get_stats(ctx->cache, &cs);
  r->compile_cache_hits = cs.hits;
  r->compile_cache_misses = cs.misses;
  r->compile_cache_entries = cs.entries;
  r->compile_cache_disk_hits = cs.disk_hits;
  r->compile_cache_evictions = cs.evictions;
  r->compile_cache_bytes = cs.bytes;
  r->compile_cache_capacity_bytes = cs.capacity_bytes == UINT64_MAX ? 0 : cs.capacity_bytes;
  r->compile_cache_disk_entries = cs.disk_entries;
  r->compile_cache_disk_bytes = cs.disk_bytes;
  r->compile_cache_disk_discarded = cs.disk_discarded;
  r->compile_time_total_us = cs.compile_time_total_us;
  r->blas_core = (char *)openblas_get_corename();
  r->kernel_isa = (char *)jet_tile_isa();
  r->compute_threads = jet_pool_size(jet_pool_global());
  r->executions = atomic_load(&ctx->executions);
  r->in_flight = atomic_load(&ctx->in_flight);
  for (uint32_t i = 0; i < mt->n; i++) {
    jet__v1__method_stats__init(&ms[i]);
    ms[i].method = (char *)mt->m[i].name;
    ms[i].calls = atomic_load(&mt->m[i].calls);
    ms[i].errors = atomic_load(&mt->m[i].errors);
    list[i] = &ms[i];
  }
  r->n_methods = mt->n;
  r->methods = list;
  r->version = (char *)JET_VERSION;
  *resp = &r->base;
  return NULL;
}
