#include "wire/context.h"

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
  ctx->cache = jet_cache_create(cfg->cache_entries);
  if (ctx->devices && ctx->sessions) ctx->store = jet_store_create(ctx->devices, ctx->sessions);
  if (!ctx->devices || !ctx->sessions || !ctx->cache || !ctx->store) {
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
  ctx->store = NULL;
  ctx->cache = NULL;
  ctx->sessions = NULL;
  ctx->devices = NULL;
}
