#include "wire/context.h"

#include "daemon/log.h"

#include <string.h>
#include <time.h>

int64_t jet_now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

jet_status jet_ctx_init(jet_ctx *ctx, const jet_config *cfg) {
  memset(ctx, 0, sizeof(*ctx));
  ctx->cfg = *cfg;
  ctx->start_ns = jet_now_ns();
  ctx->devices = jet_devices_create(cfg->devices, cfg->memory_limit);
  ctx->sessions = jet_sessions_create();
  jet_cache_options co = {
      .max_entries = cfg->cache_entries,
      .max_bytes = cfg->cache_bytes ? cfg->cache_bytes : UINT64_MAX,
      .disk_dir = cfg->cache_dir,
      .disk_max_bytes = cfg->cache_dir_bytes ? cfg->cache_dir_bytes : UINT64_MAX,
  };
  jet_status st = jet_tenants_create(&cfg->tenants, cfg->max_request_bytes, &ctx->tenants);
  if (!st) st = jet_cache_open(&co, &ctx->cache);
  if (st) {
    jet_ctx_destroy(ctx);
    return st;
  }
  if (jet_cache_disk(ctx->cache)) {
    jet_cache_stats cs;
    jet_cache_get_stats(ctx->cache, &cs);
    jet_log(JET_LOG_INFO, 0, "compile cache on disk: %s (%llu entries, %llu bytes)",
            jet_disk_cache_dir(jet_cache_disk(ctx->cache)), (unsigned long long)cs.disk_entries,
            (unsigned long long)cs.disk_bytes);
  }
  if (ctx->devices && ctx->sessions) ctx->store = jet_store_create(ctx->devices, ctx->sessions);
  if (!ctx->devices || !ctx->sessions || !ctx->cache || !ctx->store ||
      !ctx->tenants) {
    jet_ctx_destroy(ctx);
    return jet_status_oom("daemon state");
  }
  return NULL;
}

void jet_ctx_destroy(jet_ctx *ctx) {
  jet_store_destroy(ctx->store);
  jet_cache_destroy(ctx->cache);
  jet_sessions_destroy(ctx->sessions);
  jet_devices_destroy(ctx->devices);
  jet_tenants_destroy(ctx->tenants);
  ctx->tenants = NULL;
  ctx->store = NULL;
  ctx->cache = NULL;
  ctx->sessions = NULL;
  ctx->devices = NULL;
}
