/* jetd's metric families, hooks and scrape-time snapshots (observe.h).
 * Owner: server/observe. Figures that other modules own (store, devices,
 * sessions, cache, method table) are read when scraped, never copied on
 * their update paths. */
#include "observe/observe.h"
#include "runtime/tenants.h"
#include "runtime/yield.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe/metrics.h"
#include "wire/call.h"
#include "wire/sched.h"

static const double k_seconds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
                                   0.25,   0.5,   1,      2.5,   5,    10,   30,    60};
#define N_SECONDS (sizeof k_seconds / sizeof k_seconds[0])

typedef struct families {
  jet_metrics *reg;
  jet_metric *requests, *duration, *queue, *dev_queued, *dev_mem, *dev_arrays, *tenant_mem;
  jet_metric *cache_hits, *cache_misses, *cache_bytes, *cache_entries, *compile;
  jet_metric *sessions, *live_arrays, *uptime, *build, *yields;
} families;

static _Atomic(families *) g_obs;
static atomic_uint_fast64_t g_execute_done;

static void set_tenant_metric(void *ctx, const char *name, uint64_t bytes, uint64_t arrays) {
  (void)arrays;
  const char *tv[] = {name};
  jet_metric_set(((families *)ctx)->tenant_mem, tv, (double)bytes);
}

typedef struct tenant_json {
  jet_strbuf *b;
  bool first;
} tenant_json;

static void tenant_to_json(void *ctx, const char *name, uint64_t bytes, uint64_t arrays) {
  tenant_json *tj = ctx;
  jet_strbuf_printf(tj->b, "%s{\"tenant\":\"", tj->first ? "" : ",");
  jet_json_escape(tj->b, name);
  jet_strbuf_printf(tj->b, "\",\"memory_bytes\":%llu,\"arrays\":%llu}",
                    (unsigned long long)bytes, (unsigned long long)arrays);
  tj->first = false;
}

#define ADD(field, type, name, help, labels, nl, bounds, nb)                              \
  do {                                                                                    \
    if (!st) st = jet_metrics_add(f->reg, type, name, help, labels, nl, bounds, nb, &f->field); \
  } while (0)

jet_status jet_observe_init(void) {
  if (atomic_load(&g_obs)) return NULL;
  families *f = calloc(1, sizeof(*f));
  if (!f) return jet_status_oom("metrics");
  f->reg = jet_metrics_create();
  if (!f->reg) {
    free(f);
    return jet_status_oom("metrics");
  }
  static const char *const method_code[] = {"method", "code"};
  static const char *const method[] = {"method"};
  static const char *const device[] = {"device"};
  static const char *const tenant[] = {"tenant"};
  static const char *const version[] = {"version"};
  jet_status st = NULL;
  ADD(requests, JET_METRIC_COUNTER, "jet_requests_total",
      "RPCs that ended, by method and status code", method_code, 2, NULL, 0);
  ADD(duration, JET_METRIC_HISTOGRAM, "jet_request_duration_seconds",
      "RPC duration from accept to status, by method", method, 1, k_seconds, N_SECONDS);
  ADD(queue, JET_METRIC_GAUGE, "jet_execute_queue_depth",
      "Execute calls waiting for or running on a worker", NULL, 0, NULL, 0);
  ADD(dev_queued, JET_METRIC_GAUGE, "jet_execute_queued",
      "Execute calls waiting in the fair queues, per device", device, 1, NULL, 0);
  ADD(dev_mem, JET_METRIC_GAUGE, "jet_device_memory_bytes", "Bytes of arrays on each device",
      device, 1, NULL, 0);
  ADD(dev_arrays, JET_METRIC_GAUGE, "jet_device_arrays", "Live arrays on each device", device, 1,
      NULL, 0);
  ADD(tenant_mem, JET_METRIC_GAUGE, "jet_tenant_memory_bytes", "Bytes of live arrays per tenant",
      tenant, 1, NULL, 0);
  ADD(cache_hits, JET_METRIC_COUNTER, "jet_cache_hits_total", "Kernel cache hits (memory)", NULL,
      0, NULL, 0);
  ADD(cache_misses, JET_METRIC_COUNTER, "jet_cache_misses_total", "Kernel cache misses (memory)",
      NULL, 0, NULL, 0);
  ADD(cache_bytes, JET_METRIC_GAUGE, "jet_cache_bytes", "Bytes held by the kernel cache", NULL, 0,
      NULL, 0);
  ADD(cache_entries, JET_METRIC_GAUGE, "jet_cache_entries", "Executables in the kernel cache",
      NULL, 0, NULL, 0);
  ADD(compile, JET_METRIC_HISTOGRAM, "jet_compile_duration_seconds",
      "Time to compile a cache miss", NULL, 0, k_seconds, N_SECONDS);
  ADD(sessions, JET_METRIC_GAUGE, "jet_sessions_open", "Open sessions", NULL, 0, NULL, 0);
  ADD(live_arrays, JET_METRIC_GAUGE, "jet_live_arrays", "Live arrays in the store", NULL, 0, NULL,
      0);
  ADD(uptime, JET_METRIC_GAUGE, "jet_uptime_seconds", "Seconds since jetd started", NULL, 0,
      NULL, 0);
  ADD(yields, JET_METRIC_COUNTER, "jet_exec_yields_total",
      "Times a running execution gave its core away (exec-yield-us)", NULL, 0, NULL, 0);
  ADD(build, JET_METRIC_GAUGE, "jet_build_info", "jetd build (always 1)", version, 1, NULL, 0);
  if (st) {
    jet_metrics_destroy(f->reg);
    free(f);
    return st;
  }
  const char *v[] = {JET_VERSION};
  jet_metric_set(f->build, v, 1);
  atomic_store(&g_execute_done, 0);
  families *expected = NULL;
  if (!atomic_compare_exchange_strong(&g_obs, &expected, f)) {
    jet_metrics_destroy(f->reg);
    free(f);
  }
  return NULL;
}

void jet_observe_shutdown(void) {
  families *f = atomic_exchange(&g_obs, NULL);
  if (!f) return;
  jet_metrics_destroy(f->reg);
  free(f);
}

void jet_observe_request(const char *method, jet_code code, int64_t duration_ns) {
  families *f = atomic_load(&g_obs);
  if (!f) return;
  if (strcmp(method, "Execute") == 0) atomic_fetch_add(&g_execute_done, 1);
  const char *lv[] = {method, jet_code_name(code)};
  jet_metric_inc(f->requests, lv, 1);
  jet_metric_observe(f->duration, lv, (double)duration_ns / 1e9);
}

void jet_observe_compile(uint64_t us) {
  families *f = atomic_load(&g_obs);
  if (f) jet_metric_observe(f->compile, NULL, (double)us / 1e6);
}

/* ---- snapshots ----------------------------------------------------------- */

typedef struct snapshot {
  double uptime_s;
  uint32_t sessions;
  uint64_t live_arrays, live_bytes, queue_depth;
  jet_cache_stats cache;
} snapshot;

static uint64_t execute_queue_depth(struct jet_wire *w) {
  uint64_t calls = 0;
  for (uint32_t i = 0; w && i < w->methods.n; i++)
    if (strcmp(w->methods.m[i].name, "Execute") == 0) calls = atomic_load(&w->methods.m[i].calls);
  uint64_t done = atomic_load(&g_execute_done);
  return calls > done ? calls - done : 0;
}

static void take(struct jet_ctx *ctx, struct jet_wire *w, snapshot *s) {
  s->uptime_s = (double)(jet_now_ns() - ctx->start_ns) / 1e9;
  s->sessions = jet_sessions_count(ctx->sessions);
  jet_store_stats(ctx->store, &s->live_arrays, &s->live_bytes);
  jet_cache_get_stats(ctx->cache, &s->cache);
  s->queue_depth = execute_queue_depth(w);
}

char *jet_observe_metrics_text(struct jet_ctx *ctx, struct jet_wire *w, size_t *len) {
  families *f = atomic_load(&g_obs);
  if (!f) return NULL;
  snapshot s;
  take(ctx, w, &s);
  jet_metric_set(f->uptime, NULL, s.uptime_s);
  jet_metric_set(f->sessions, NULL, s.sessions);
  jet_metric_set(f->live_arrays, NULL, (double)s.live_arrays);
  jet_metric_set(f->queue, NULL, (double)s.queue_depth);
  jet_metric_set(f->cache_bytes, NULL, (double)s.cache.bytes);
  jet_metric_set(f->cache_entries, NULL, (double)s.cache.entries);
  /* Counters the cache owns: its monotonic totals. */
  jet_metric_set(f->cache_hits, NULL, (double)s.cache.hits);
  jet_metric_set(f->cache_misses, NULL, (double)s.cache.misses);
  jet_metric_set(f->yields, NULL, (double)jet_yield_count());
  jet_metric_clear(f->tenant_mem);
  jet_tenants_each(ctx->tenants, set_tenant_metric, f);
  uint32_t n = jet_devices_count(ctx->devices);
  uint32_t *queued = calloc(n ? n : 1, sizeof(uint32_t));
  if (queued && w && w->sched) jet_sched_queued_by_device(w->sched, queued, n);
  for (uint32_t i = 0; i < n; i++) {
    jet_device_info info;
    jet_devices_info(ctx->devices, i, &info);
    char id[16];
    snprintf(id, sizeof id, "%u", info.id);
    const char *dv[] = {id};
    jet_metric_set(f->dev_mem, dv, (double)info.in_use_bytes);
    jet_metric_set(f->dev_arrays, dv, (double)info.live_arrays);
    if (queued) jet_metric_set(f->dev_queued, dv, info.id < n ? (double)queued[info.id] : 0);
  }
  free(queued);
  return jet_metrics_expose(f->reg, len);
}

char *jet_observe_status_json(struct jet_ctx *ctx, struct jet_wire *w, size_t *len) {
  snapshot s;
  take(ctx, w, &s);
  jet_strbuf b;
  jet_strbuf_init(&b);
  jet_strbuf_printf(&b,
                    "{\"version\":\"%s\",\"uptime_seconds\":%.3f,\"sessions\":%u,"
                    "\"live_arrays\":%llu,\"live_bytes\":%llu,\"queue_depth\":%llu,"
                    "\"cache\":{\"entries\":%llu,\"bytes\":%llu,\"hits\":%llu,\"misses\":%llu},"
                    "\"devices\":[",
                    JET_VERSION, s.uptime_s, s.sessions, (unsigned long long)s.live_arrays,
                    (unsigned long long)s.live_bytes, (unsigned long long)s.queue_depth,
                    (unsigned long long)s.cache.entries, (unsigned long long)s.cache.bytes,
                    (unsigned long long)s.cache.hits, (unsigned long long)s.cache.misses);
  uint32_t n = jet_devices_count(ctx->devices);
  for (uint32_t i = 0; i < n; i++) {
    jet_device_info info;
    jet_devices_info(ctx->devices, i, &info);
    jet_strbuf_printf(&b,
                      "%s{\"id\":%u,\"kind\":\"%s\",\"memory_in_use_bytes\":%llu,"
                      "\"memory_limit_bytes\":%llu,\"live_arrays\":%u}",
                      i ? "," : "", info.id, info.kind, (unsigned long long)info.in_use_bytes,
                      (unsigned long long)info.limit_bytes, info.live_arrays);
  }
  jet_strbuf_printf(&b, "],\"tenants\":[");
  tenant_json tj = {&b, true};
  jet_tenants_each(ctx->tenants, tenant_to_json, &tj);
  jet_strbuf_printf(&b, "],\"methods\":[");
  for (uint32_t i = 0; w && i < w->methods.n; i++) {
    const jet_method *m = &w->methods.m[i];
    jet_strbuf_printf(&b, "%s{\"method\":\"", i ? "," : "");
    jet_json_escape(&b, m->name);
    jet_strbuf_printf(&b, "\",\"calls\":%llu,\"errors\":%llu}",
                      (unsigned long long)atomic_load(&m->calls),
                      (unsigned long long)atomic_load(&m->errors));
  }
  jet_strbuf_append(&b, "]}\n", 3);
  size_t total = b.len;
  char *text = jet_strbuf_take(&b);
  if (text) *len = total;
  return text;
}
