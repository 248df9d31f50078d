/* The gRPC server of jetd (gRPC C core 1.51 + protobuf-c + libuv).
 *
 * One thread waits on the completion queue and forwards every event to the
 * libuv loop (a jet_handoff: wire/handoff.h). Cheap RPCs are answered on the
 * loop thread; Compile and Execute run on the worker threads
 * (wire/workers.h) and their replies are started from the loop thread.
 *
 * Shutdown: jet_wire_shutdown stops accepting, ends open session streams and
 * lets in-flight calls finish (force = also cancel them). When the last call
 * is gone the completion queue is shut down and on_stopped runs on the loop
 * thread; the caller then lets uv_run return and calls jet_wire_destroy. */
#ifndef JET_WIRE_H
#define JET_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <uv.h>

#include "wire/context.h"

typedef struct jet_wire jet_wire;

/* Binds ctx->cfg.listen and starts serving on loop. bound_addr gets the
 * address with the real port ("127.0.0.1:43211" or "unix:/path").
 * UNAVAILABLE when the address cannot be bound. */
jet_status jet_wire_start(uv_loop_t *loop, jet_ctx *ctx, void (*on_stopped)(void *arg), void *arg,
                          jet_wire **out, char *bound_addr, size_t cap) JET_MUST_USE;
/* Makes every later call present a bearer token of `auth` (wire/auth.h;
 * borrowed, outlives w). Call before uv_run; NULL = no tokens. */
struct jet_auth;
void jet_wire_set_auth(jet_wire *w, struct jet_auth *auth);
/* Whether the port serves TLS; re-reading its certificate, key and client
 * CA files (SIGHUP): new connections get them, open ones keep theirs; files
 * that fail the checks keep the material in use (error naming the file).
 * *changed: whether the files differ from what was in use. */
bool jet_wire_has_tls(const jet_wire *w);
jet_status jet_wire_reload_tls(jet_wire *w, bool *changed) JET_MUST_USE;
/* Loop thread only. Safe to call repeatedly. */
void jet_wire_shutdown(jet_wire *w, bool force);
/* After on_stopped ran and uv_run returned. */
void jet_wire_destroy(jet_wire *w);

#endif
