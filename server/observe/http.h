/* The metrics/status HTTP server of jetd (owner: server/observe): a small
 * HTTP/1.x server on the daemon's libuv loop (uv_tcp, no other library).
 *
 *   GET /metrics      Prometheus text (text/plain; version=0.0.4)
 *   GET /             the status page (status_page.c)
 *   GET /status.json  the figures the page shows (observe.c)
 *   other paths 404, other methods 405, malformed or oversized requests 400.
 *
 * One response per connection (Connection: close). Requests are bounded to
 * JET_HTTP_MAX_REQUEST bytes, connections to JET_HTTP_MAX_CONNS (more are
 * closed at once), and a connection idle for JET_HTTP_IDLE_MS is closed.
 * Everything runs on the loop thread and never blocks it. */
#ifndef JET_OBSERVE_HTTP_H
#define JET_OBSERVE_HTTP_H

#include <stddef.h>
#include <uv.h>

#include "jet/status.h"

#define JET_HTTP_MAX_REQUEST 8192
#define JET_HTTP_MAX_CONNS 32
#define JET_HTTP_IDLE_MS 10000

struct jet_ctx;
struct jet_wire;
typedef struct jet_http jet_http;

/* Checks a metrics-listen value: HOST:PORT with HOST a loopback address
 * (127.0.0.0/8, [::1] or localhost). INVALID_ARGUMENT naming the value. */
jet_status jet_http_check_address(const char *listen) JET_MUST_USE;

/* Binds listen and serves ctx's figures (w may be NULL: no method table)
 * on loop. bound gets "HOST:PORT" with the real port. UNAVAILABLE when the
 * address cannot be bound. */
jet_status jet_http_start(uv_loop_t *loop, const char *listen, struct jet_ctx *ctx,
                          struct jet_wire *w, jet_http **out, char *bound,
                          size_t cap) JET_MUST_USE;
/* Sets the server whose method table /status.json shows (NULL h: no-op). */
void jet_http_set_wire(jet_http *h, struct jet_wire *w);
/* Closes the listener and every connection; the object is freed once the
 * loop has closed their handles. NULL is allowed. */
void jet_http_stop(jet_http *h);

#endif
