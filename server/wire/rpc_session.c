/* OpenSession: a server stream that sends one SessionEvent with a fresh
 * token and then stays open. The session ends when the stream does: client
 * cancel, disconnect or death (RECV_CLOSE_ON_SERVER fires), or daemon
 * shutdown (answered UNAVAILABLE). Every array of the session is freed when
 * the call is freed. */
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "jet/v1/jet.pb-c.h"
#include "wire/call.h"

typedef struct session_state {
  char token[JET_TOKEN_HEX + 1];
} session_state;

static void free_session(jet_call *c) {
  session_state *s = c->state;
  jet_sessions_close(c->ctx->sessions, s->token);
  uint32_t n = jet_store_free_session(c->ctx->store, s->token);
  jet_log(JET_LOG_INFO, c->id, "session %.8s... closed; %u array%s freed", s->token, n,
          n == 1 ? "" : "s");
  free(s);
  c->state = NULL;
}

/* The client ending its session (cancel, disconnect, exit) is the normal end
 * of this call, not an error: it is finished with OK and not counted in the
 * method's errors. */
static void session_closed(jet_call *c) { jet__call_finish(c, NULL, NULL); }

static void session_shutdown(jet_call *c) {
  jet__call_finish(c, jet_status_make(JET_UNAVAILABLE, "jetd is shutting down"), NULL);
}

static void token_sent(jet_call *c, bool ok) {
  (void)c;
  (void)ok; /* A failed send means the client left: the close hook ends it. */
}

void jet__rpc_open_session(jet_call *c) {
  jet_arena *arena = jet_arena_create(1024);
  ProtobufCMessage *m = NULL;
  jet_status st = arena ? NULL : jet_status_oom("request arena");
  if (!st) st = jet__call_unpack(c, c->payload, arena, &jet__v1__open_session_request__descriptor, &m);
  session_state *s = st ? NULL : calloc(1, sizeof(*s));
  if (!st && !s) st = jet_status_oom("session");
  if (!st) {
    const Jet__V1__OpenSessionRequest *req = (const void *)m;
    st = jet_sessions_open_tenant(c->ctx->sessions, req->client_name, c->tenant, s->token);
    if (!st)
      jet_log(JET_LOG_INFO, c->id, "session %.8s... opened for '%.64s'", s->token,
              req->client_name ? req->client_name : "");
  }
  jet_arena_destroy(arena);
  if (st) {
    free(s);
    jet__call_finish(c, st, NULL);
    return;
  }
  c->state = s;
  c->state_free = free_session;
  c->on_close = session_closed;
  c->on_shutdown = session_shutdown;
  if (c->w->shutting_down) {
    session_shutdown(c);
    return;
  }
  Jet__V1__SessionEvent ev = JET__V1__SESSION_EVENT__INIT;
  ev.session = s->token;
  jet__call_send(c, &ev.base, token_sent);
}
