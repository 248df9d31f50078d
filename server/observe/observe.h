/* jetd's metrics (owner: server/observe): the families of the daemon, the
 * request hook every call's end runs (wire/call.c), and the scrape-time
 * snapshot of store, devices, sessions and cache served as /metrics and
 * /status.json (http.c).
 *
 * One process-wide registry: jet_observe_init creates it (daemon start),
 * jet_observe_shutdown frees it. The hooks are no-ops without it, so the
 * wire unit tests need nothing. Hooks may run on any thread; the snapshot
 * functions run on the loop thread (they read the method table). */
#ifndef JET_OBSERVE_OBSERVE_H
#define JET_OBSERVE_OBSERVE_H

#include <stddef.h>
#include <stdint.h>

#include "jet/status.h"

struct jet_ctx;
struct jet_wire;

jet_status jet_observe_init(void) JET_MUST_USE;
void jet_observe_shutdown(void);

/* A call ended (method: its name, "unknown" for an unregistered path). */
void jet_observe_request(const char *method, jet_code code, int64_t duration_ns);
/* A compilation (cache miss) took `us` microseconds. */
void jet_observe_compile(uint64_t us);

/* Prometheus text of every family, figures read now (malloc'd). NULL on
 * out-of-memory or without a registry. */
char *jet_observe_metrics_text(struct jet_ctx *ctx, struct jet_wire *w, size_t *len);
/* The status page's figures as one JSON object (malloc'd); NULL on
 * out-of-memory. */
char *jet_observe_status_json(struct jet_ctx *ctx, struct jet_wire *w, size_t *len);

#endif
