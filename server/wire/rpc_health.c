/* grpc.health.v1.Health (owner: wire; Watch by server/observe's helper).
 *
 * Check: SERVING for the whole server ("") and for jet.v1.Jet, NOT_SERVING
 * once shutdown began, NOT_FOUND for other services.
 *
 * Watch (server stream, as the gRPC health spec says): sends the current
 * status at once (SERVING, or NOT_SERVING when shutdown already began) and
 * NOT_SERVING when shutdown starts, then ends the call OK. An unknown
 * service gets one SERVICE_UNKNOWN message and the call stays open (the
 * spec: the status may change later) until the client leaves or shutdown
 * ends it. A client leaving ends the call OK. */
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "wire/call.h"

/* Declared here and in methods.c (call.h belongs to the wire owner). */

static bool known_service(const char *svc) { return !*svc || strcmp(svc, "jet.v1.Jet") == 0; }

jet_status jet__rpc_health_check(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp) {
  const Grpc__Health__V1__HealthCheckRequest *q = (const void *)req;
  const char *svc = q->service ? q->service : "";
  if (!known_service(svc))
    return jet_status_make(JET_NOT_FOUND, "service: unknown service '%.128s'", svc);
  Grpc__Health__V1__HealthCheckResponse *r = jet_arena_alloc(a, sizeof(*r));
  if (!r) return jet_status_oom("health reply");
  grpc__health__v1__health_check_response__init(r);
  r->status = c->w->shutting_down ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
                                  : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  *resp = &r->base;
  return NULL;
}

/* ---- Watch ----------------------------------------------------------------- */

typedef struct watch_state {
  bool known;
  bool sending;        /* a send is outstanding */
  bool need_not_serving; /* shutdown began: NOT_SERVING still to send */
  bool sent_not_serving;
} watch_state;

static void watch_free(jet_call *c) {
  free(c->state);
  c->state = NULL;
}

static void watch_send(jet_call *c, Grpc__Health__V1__HealthCheckResponse__ServingStatus s);

static void watch_sent(jet_call *c, bool ok) {
  watch_state *w = c->state;
  w->sending = false;
  if (!ok) {
    jet__call_finish(c, NULL, NULL); /* the client left */
    return;
  }
  if (w->sent_not_serving) {
    jet__call_finish(c, NULL, NULL);
  } else if (w->need_not_serving) {
    watch_send(c, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
  }
}

static void watch_send(jet_call *c, Grpc__Health__V1__HealthCheckResponse__ServingStatus s) {
  watch_state *w = c->state;
  Grpc__Health__V1__HealthCheckResponse r = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__INIT;
  r.status = s;
  if (s == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING)
    w->sent_not_serving = true;
  w->sending = true;
  if (!jet__call_send(c, &r.base, watch_sent)) w->sending = false; /* finished by send */
}

static void watch_shutdown(jet_call *c) {
  watch_state *w = c->state;
  if (c->finished || w->sent_not_serving) return;
  if (!w->known) {
    jet__call_finish(c, NULL, NULL);
    return;
  }
  w->need_not_serving = true;
  if (!w->sending)
    watch_send(c, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING);
}

static void watch_closed(jet_call *c) { jet__call_finish(c, NULL, NULL); }

void jet__rpc_health_watch(jet_call *c) {
  jet_arena *arena = jet_arena_create(1024);
  ProtobufCMessage *m = NULL;
  jet_status st = arena ? NULL : jet_status_oom("request arena");
  if (!st)
    st = jet__call_unpack(c, c->payload, arena, &grpc__health__v1__health_check_request__descriptor,
                          &m);
  watch_state *w = st ? NULL : calloc(1, sizeof(*w));
  if (!st && !w) st = jet_status_oom("health watch");
  if (!st) {
    const Grpc__Health__V1__HealthCheckRequest *q = (const void *)m;
    w->known = known_service(q->service ? q->service : "");
  }
  jet_arena_destroy(arena);
  if (st) {
    free(w);
    jet__call_finish(c, st, NULL);
    return;
  }
  c->state = w;
  c->state_free = watch_free;
  c->on_close = watch_closed;
  c->on_shutdown = watch_shutdown;
  if (!w->known)
    watch_send(c, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN);
  else if (c->w->shutting_down)
    watch_shutdown(c);
  else
    watch_send(c, GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING);
}
