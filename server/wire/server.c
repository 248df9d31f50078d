/* The gRPC server: completion-queue thread, event forwarding to the libuv
 * loop, accepting calls, and the shutdown sequence. */
#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "jet/limits.h"
#include "wire/call.h"
#include "wire/sched.h"
#include "wire/tls.h"

/* ---- events: CQ thread -> loop thread ---------------------------------- */

static void *cq_main(void *arg) {
  jet_wire *w = arg;
  pthread_setname_np(pthread_self(), "jetd-cq");
  for (;;) {
    grpc_event ev = grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    if (ev.type == GRPC_QUEUE_TIMEOUT) continue;
    if (ev.type == GRPC_QUEUE_SHUTDOWN) {
      jet_handoff_post(w->events, &w->cq_done);
      return NULL;
    }
    jet_tag *t = ev.tag;
    t->ok = ev.success != 0;
    jet_handoff_post(w->events, &t->link);
  }
}

static void on_events(jet_handoff_item *items, void *arg) {
  jet_wire *w = arg;
  bool done = false;
  while (items) {
    jet_handoff_item *next = items->next; /* the callback may re-arm the tag */
    if (items == &w->cq_done) {
      done = true;
    } else {
      jet_tag *t = (jet_tag *)items; /* link is the first member */
      t->fn(t->obj, t->ok);
    }
    items = next;
  }
  if (done && !w->stopped) {
    w->stopped = true;
    jet_handoff_close(w->events, NULL, NULL);
    w->events = NULL;
    jet_workers_stop(w->workers); /* no call is left, so no job */
    w->workers = NULL;
    if (w->on_stopped) w->on_stopped(w->stopped_arg);
  }
}

/* ---- shutdown gating ----------------------------------------------------- */

static void maybe_shutdown_cq(jet_wire *w) {
  if (w->shutdown_notified && w->live_calls == 0 && w->armed == 0 && !w->cq_shutdown) {
    w->cq_shutdown = true;
    jet_log(JET_LOG_DEBUG, 0, "all calls done; shutting down the completion queue");
    grpc_completion_queue_shutdown(w->cq);
  }
}

static void on_server_shutdown(void *obj, bool ok) {
  jet_wire *w = obj;
  (void)ok;
  w->shutdown_notified = true;
  maybe_shutdown_cq(w);
}

void jet__wire_call_freed(jet_wire *w, jet_call *c) {
  if (c->prev) c->prev->next = c->next; else w->live = c->next;
  if (c->next) c->next->prev = c->prev;
  w->live_calls--;
  maybe_shutdown_cq(w);
}

void jet_wire_shutdown(jet_wire *w, bool force) {
  if (!w->shutting_down) {
    w->shutting_down = true;
    jet_log(JET_LOG_INFO, 0, "shutting down: no new calls; waiting for %u in flight",
            w->live_calls);
    w->t_shutdown = (jet_tag){.fn = on_server_shutdown, .obj = w};
    grpc_server_shutdown_and_notify(w->srv, w->cq, &w->t_shutdown);
    /* Session streams stay open until their client leaves: end them now.
     * A hook may finish (and so free) its call: walk with a reference. */
    for (jet_call *c = w->live, *next; c; c = next) {
      jet__call_ref(c);
      if (c->on_shutdown) c->on_shutdown(c);
      next = c->next;
      jet__call_unref(c);
    }
  }
  if (force) {
    jet_log(JET_LOG_WARN, 0, "second signal: cancelling %u calls", w->live_calls);
    for (jet_call *c = w->live; c; c = c->next) atomic_store(&c->cancelled, 1);
    grpc_server_cancel_all_calls(w->srv);
  }
}

/* ---- accepting ------------------------------------------------------------ */

static void on_accept(void *obj, bool ok);

static void arm(jet_accept *a) {
  jet_wire *w = a->w;
  if (w->shutting_down) return;
  a->tag = (jet_tag){.fn = on_accept, .obj = a};
  a->call = NULL;
  a->payload = NULL;
  grpc_metadata_array_init(&a->md);
  grpc_call_error e;
  if (a->method) {
    e = grpc_server_request_registered_call(w->srv, a->method->registered, &a->call, &a->deadline,
                                            &a->md, a->method->read_payload ? &a->payload : NULL,
                                            w->cq, w->cq, &a->tag);
  } else {
    grpc_call_details_init(&a->details);
    e = grpc_server_request_call(w->srv, &a->call, &a->details, &a->md, w->cq, w->cq, &a->tag);
  }
  if (e != GRPC_CALL_OK) {
    jet_log(JET_LOG_ERROR, 0, "request_call: %s", grpc_call_error_to_string(e));
    grpc_metadata_array_destroy(&a->md);
    if (!a->method) grpc_call_details_destroy(&a->details);
    return;
  }
  a->armed = true;
  w->armed++;
}

static void on_close(void *obj, bool ok) {
  jet_call *c = obj;
  (void)ok;
  c->closed = true;
  if (c->close_cancelled) atomic_store(&c->cancelled, 1);
  if (c->on_close) c->on_close(c);
  jet__call_unref(c);
}

static void read_session(jet_call *c) {
  for (size_t i = 0; i < c->md.count; i++) {
    if (grpc_slice_str_cmp(c->md.metadata[i].key, JET_SESSION_METADATA_KEY) != 0) continue;
    grpc_slice v = c->md.metadata[i].value;
    size_t n = GRPC_SLICE_LENGTH(v);
    if (n >= sizeof(c->session)) n = sizeof(c->session) - 1;
    memcpy(c->session, GRPC_SLICE_START_PTR(v), n);
    c->session[n] = '\0';
    c->has_session = true;
  }
}

static void dispatch(jet_wire *w, jet_accept *a) {
  jet_call *c = calloc(1, sizeof(*c));
  if (!c) {
    grpc_call_cancel_with_status(a->call, GRPC_STATUS_RESOURCE_EXHAUSTED, "jetd is out of memory",
                                 NULL);
    grpc_call_unref(a->call);
    grpc_metadata_array_destroy(&a->md);
    if (a->payload) grpc_byte_buffer_destroy(a->payload);
    return;
  }
  c->w = w;
  c->ctx = w->ctx;
  c->method = a->method;
  c->id = ++w->next_id;
  c->start_ns = jet_now_ns();
  c->call = a->call;
  c->md = a->md;
  c->payload = a->payload;
  c->deadline = a->method ? a->deadline : a->details.deadline;
  c->status_details = grpc_empty_slice();
  atomic_init(&c->cancelled, 0);
  read_session(c);
  c->next = w->live;
  if (w->live) w->live->prev = c;
  w->live = c;
  w->live_calls++;
  if (c->method) atomic_fetch_add(&c->method->calls, 1);
  c->refs = 1; /* held by dispatch until the handler has started */

  grpc_op op;
  memset(&op, 0, sizeof(op));
  op.op = GRPC_OP_RECV_CLOSE_ON_SERVER;
  op.data.recv_close_on_server.cancelled = &c->close_cancelled;
  c->t_close = (jet_tag){.fn = on_close, .obj = c};
  c->refs++;
  grpc_call_error e = grpc_call_start_batch(c->call, &op, 1, &c->t_close, NULL);
  if (e != GRPC_CALL_OK) {
    c->refs--;
    jet_log(JET_LOG_ERROR, c->id, "RECV_CLOSE_ON_SERVER: %s", grpc_call_error_to_string(e));
  }

  jet_status auth = jet__call_authenticate(c);
  if (auth) {
    jet__call_finish(c, auth, NULL);
    if (!a->method) grpc_call_details_destroy(&a->details);
  } else if (!a->method) {
    char *path = grpc_slice_to_c_string(a->details.method);
    jet__call_finish(c, jet_status_make(JET_UNIMPLEMENTED, "unknown method %s", path), NULL);
    gpr_free(path);
    grpc_call_details_destroy(&a->details);
  } else if (a->method->kind == JET_METHOD_STREAM) {
    jet_log(JET_LOG_DEBUG, c->id, "%s started", a->method->name);
    a->method->stream(c);
  } else {
    jet__unary_start(c);
  }
  jet__call_unref(c);
}

static void on_accept(void *obj, bool ok) {
  jet_accept *a = obj;
  jet_wire *w = a->w;
  a->armed = false;
  w->armed--;
  if (!ok) {
    grpc_metadata_array_destroy(&a->md);
    if (!a->method) grpc_call_details_destroy(&a->details);
    if (a->payload) grpc_byte_buffer_destroy(a->payload);
    if (a->call) grpc_call_unref(a->call);
    maybe_shutdown_cq(w);
    return;
  }
  jet_accept snapshot = *a;
  arm(a);
  dispatch(w, &snapshot);
}

/* ---- start / destroy ------------------------------------------------------ */

static void bound_address(const char *listen, int port, char *out, size_t cap) {
  if (strncmp(listen, "unix:", 5) == 0 || strncmp(listen, "unix-abstract:", 14) == 0) {
    snprintf(out, cap, "%s", listen);
    return;
  }
  const char *colon = strrchr(listen, ':');
  int hostlen = colon ? (int)(colon - listen) : (int)strlen(listen);
  snprintf(out, cap, "%.*s:%d", hostlen, listen, port);
}

/* Undoes a server that was never started (everything but w itself). */
static void discard_unstarted(jet_wire *w) {
  grpc_server_destroy(w->srv);
  grpc_completion_queue_shutdown(w->cq);
  while (grpc_completion_queue_next(w->cq, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
         GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(w->cq);
  free(w->accepts);
  jet__methods_free(&w->methods);
}

static void free_wire(void *w) { free(w); }

jet_status jet_wire_start(uv_loop_t *loop, jet_ctx *ctx, void (*on_stopped)(void *arg), void *arg,
                          jet_wire **out, char *bound_addr, size_t cap) {
  *out = NULL;
  jet_wire *w = calloc(1, sizeof(*w));
  if (!w) return jet_status_oom("server");
  w->loop = loop;
  w->ctx = ctx;
  w->on_stopped = on_stopped;
  w->stopped_arg = arg;
  jet_status st = jet__methods_build(&w->methods);
  if (st) {
    free(w);
    return st;
  }
  w->accepts = calloc(w->methods.n + 1, sizeof(jet_accept));
  if (!w->accepts) {
    jet__methods_free(&w->methods);
    free(w);
    return jet_status_oom("server");
  }

  grpc_arg args[3];
  memset(args, 0, sizeof(args));
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[0].value.integer = (int)ctx->cfg.max_request_bytes;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
  args[1].value.integer = -1;
  /* A second daemon on the same port must fail, not share the traffic. */
  args[2].type = GRPC_ARG_INTEGER;
  args[2].key = GRPC_ARG_ALLOW_REUSEPORT;
  args[2].value.integer = 0;
  grpc_channel_args cargs = {3, args};
  w->srv = grpc_server_create(&cargs, NULL);
  w->cq = grpc_completion_queue_create_for_next(NULL);
  grpc_server_register_completion_queue(w->srv, w->cq, NULL);
  for (uint32_t i = 0; i < w->methods.n; i++) {
    jet_method *m = &w->methods.m[i];
    m->registered = grpc_server_register_method(
        w->srv, m->path, NULL,
        m->read_payload ? GRPC_SRM_PAYLOAD_READ_INITIAL_BYTE_BUFFER : GRPC_SRM_PAYLOAD_NONE, 0);
  }
  grpc_server_credentials *creds = NULL;
  st = jet__tls_server_credentials(&ctx->cfg.security, &w->tls, &creds);
  if (st) {
    discard_unstarted(w);
    free(w);
    return st;
  }
  int port = grpc_server_add_http2_port(w->srv, ctx->cfg.listen, creds);
  grpc_server_credentials_release(creds);
  if (port == 0) {
    discard_unstarted(w);
    free(w);
    return jet_status_make(JET_UNAVAILABLE, "cannot listen on %s", ctx->cfg.listen);
  }
  st = jet_handoff_open(loop, on_events, w, &w->events);
  if (!st) {
    uint32_t n = ctx->cfg.workers;
    st = jet_workers_start(loop, n ? n : jet_config_online_cpus(), &w->workers);
    if (st) {
      jet_handoff_close(w->events, free_wire, w);
      discard_unstarted(w);
      return st;
    }
  }
  if (st) {
    discard_unstarted(w);
    free(w);
    return st;
  }
  /* Nothing reaches the queue before the first request is armed, so the
   * thread may start waiting now. */
  if (pthread_create(&w->cq_thread, NULL, cq_main, w) != 0) {
    discard_unstarted(w);
    jet_workers_stop(w->workers);
    jet_handoff_close(w->events, free_wire, w);
    return jet_status_make(JET_INTERNAL, "cannot start the completion-queue thread");
  }
  w->thread_started = true;
  bound_address(ctx->cfg.listen, port, bound_addr, cap);
  grpc_server_start(w->srv);
  for (uint32_t i = 0; i <= w->methods.n; i++) {
    w->accepts[i].w = w;
    w->accepts[i].method = i < w->methods.n ? &w->methods.m[i] : NULL;
    arm(&w->accepts[i]);
  }
  *out = w;
  return NULL;
}

void jet_wire_destroy(jet_wire *w) {
  if (!w) return;
  if (w->thread_started) pthread_join(w->cq_thread, NULL);
  jet__sched_free(w);
  grpc_server_destroy(w->srv);
  grpc_completion_queue_destroy(w->cq);
  jet__tls_free(w->tls); /* after the server: gRPC asked it at handshakes */
  free(w->accepts);
  jet__methods_free(&w->methods);
  free(w);
}

bool jet_wire_has_tls(const jet_wire *w) { return w->tls != NULL; }

jet_status jet_wire_reload_tls(jet_wire *w, bool *changed) {
  *changed = false;
  return w->tls ? jet__tls_reload(w->tls, changed) : NULL;
}
