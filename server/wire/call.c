/* Call operations: batches, refcounting, finishing, pool jobs. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "daemon/log.h"
#include "jet/limits.h"
#include "jet/protoconv.h"
#include "jet/rpc_codec.h"
#include "observe/observe.h"
#include "runtime/mem.h"
#include "wire/auth.h"
#include "wire/call.h"
#include "wire/sched.h"

void jet__call_ref(jet_call *c) { c->refs++; }

void jet__call_unref(jet_call *c) {
  if (--c->refs > 0) return;
  if (c->state_free) c->state_free(c);
  if (c->payload) grpc_byte_buffer_destroy(c->payload);
  if (c->recv_bb) grpc_byte_buffer_destroy(c->recv_bb);
  if (c->send_bb) grpc_byte_buffer_destroy(c->send_bb);
  if (c->status_bb) grpc_byte_buffer_destroy(c->status_bb);
  if (c->work_bb) grpc_byte_buffer_destroy(c->work_bb);
  jet_status_free(c->work_status);
  grpc_slice_unref(c->status_details);
  grpc_metadata_array_destroy(&c->md);
  if (c->call) grpc_call_unref(c->call);
  jet_wire *w = c->w;
  jet__wire_call_freed(w, c);
  free(c);
}

static grpc_call_error start(jet_call *c, grpc_op *ops, size_t n, jet_tag *tag) {
  jet__call_ref(c);
  grpc_call_error e = grpc_call_start_batch(c->call, ops, n, tag, NULL);
  if (e != GRPC_CALL_OK) {
    jet_log(JET_LOG_ERROR, c->id, "grpc_call_start_batch: %s", grpc_call_error_to_string(e));
    c->refs--; /* the caller holds another reference */
  }
  return e;
}

static void on_send(void *obj, bool ok) {
  jet_call *c = obj;
  grpc_byte_buffer_destroy(c->send_bb);
  c->send_bb = NULL;
  jet_call_cb done = c->send_done;
  c->send_done = NULL;
  if (done) done(c, ok);
  jet__call_unref(c);
}

bool jet__call_send(jet_call *c, const ProtobufCMessage *m, jet_call_cb done) {
  if (c->finished) return false;
  grpc_byte_buffer *bb = jet_rpc_pack(m);
  if (!bb) {
    jet__call_finish(c, jet_status_oom("stream message"), NULL);
    return false;
  }
  grpc_op ops[2];
  memset(ops, 0, sizeof(ops));
  size_t n = 0;
  if (!c->md_sent) ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[n].op = GRPC_OP_SEND_MESSAGE;
  ops[n++].data.send_message.send_message = bb;
  c->send_bb = bb;
  c->send_done = done;
  c->t_send = (jet_tag){.fn = on_send, .obj = c};
  /* The caller holds a reference while starting (start's unref cannot free). */
  jet__call_ref(c);
  grpc_call_error e = start(c, ops, n, &c->t_send);
  bool ok = e == GRPC_CALL_OK;
  if (ok) {
    c->md_sent = true;
  } else {
    c->send_bb = NULL;
    c->send_done = NULL;
    grpc_byte_buffer_destroy(bb);
    jet__call_finish(c, jet_status_make(JET_INTERNAL, "could not send a stream message"), NULL);
  }
  jet__call_unref(c);
  return ok;
}

static void on_recv(void *obj, bool ok) {
  jet_call *c = obj;
  jet_call_cb done = c->recv_done;
  c->recv_done = NULL;
  if (!ok && c->recv_bb) {
    grpc_byte_buffer_destroy(c->recv_bb);
    c->recv_bb = NULL;
  }
  if (done) done(c, ok);
  jet__call_unref(c);
}

bool jet__call_recv(jet_call *c, jet_call_cb done) {
  grpc_op op;
  memset(&op, 0, sizeof(op));
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &c->recv_bb;
  c->recv_done = done;
  c->t_recv = (jet_tag){.fn = on_recv, .obj = c};
  jet__call_ref(c);
  bool ok = start(c, &op, 1, &c->t_recv) == GRPC_CALL_OK;
  if (!ok) {
    c->recv_done = NULL;
    jet__call_finish(c, jet_status_make(JET_INTERNAL, "could not read a stream message"), NULL);
  }
  jet__call_unref(c);
  return ok;
}

static void on_status(void *obj, bool ok) {
  jet_call *c = obj;
  (void)ok;
  if (c->status_bb) grpc_byte_buffer_destroy(c->status_bb);
  c->status_bb = NULL;
  jet__call_unref(c);
}

static void log_finish(jet_call *c, jet_status st) {
  const char *name = c->method ? c->method->name : "(unknown method)";
  double ms = (double)(jet_now_ns() - c->start_ns) / 1e6;
  jet_code code = jet_status_code(st);
  const char *tenant = c->tenant ? c->tenant : "-";
  if (code == JET_OK) {
    jet_log(JET_LOG_DEBUG, c->id, "%s OK (%.3f ms, tenant %s)", name, ms, tenant);
  } else {
    jet_log_level lvl = (code == JET_INTERNAL || code == JET_UNKNOWN) ? JET_LOG_WARN : JET_LOG_INFO;
    jet_log(lvl, c->id, "%s %s: %s (%.3f ms, tenant %s)", name, jet_code_name(code),
            jet_status_message(st), ms, tenant);
  }
}

void jet__call_finish_bb(jet_call *c, jet_status st, grpc_byte_buffer *bb) {
  if (c->finished) {
    jet_status_free(st);
    if (bb) grpc_byte_buffer_destroy(bb);
    return;
  }
  c->finished = true;
  if (st && bb) {
    grpc_byte_buffer_destroy(bb);
    bb = NULL;
  }
  if (c->method && st) atomic_fetch_add(&c->method->errors, 1);
  log_finish(c, st);
  jet_observe_request(c->method ? c->method->name : "unknown", jet_status_code(st),
                      jet_now_ns() - c->start_ns);
  grpc_slice_unref(c->status_details);
  c->status_details = grpc_slice_from_copied_string(jet_status_message(st));
  grpc_op ops[3];
  memset(ops, 0, sizeof(ops));
  size_t n = 0;
  if (!c->md_sent) ops[n++].op = GRPC_OP_SEND_INITIAL_METADATA;
  c->md_sent = true;
  if (bb) {
    ops[n].op = GRPC_OP_SEND_MESSAGE;
    ops[n++].data.send_message.send_message = bb;
  }
  ops[n].op = GRPC_OP_SEND_STATUS_FROM_SERVER;
  ops[n].data.send_status_from_server.status = (grpc_status_code)jet_status_code(st);
  ops[n++].data.send_status_from_server.status_details = &c->status_details;
  jet_status_free(st);
  c->status_bb = bb;
  c->t_status = (jet_tag){.fn = on_status, .obj = c};
  jet__call_ref(c);
  if (start(c, ops, n, &c->t_status) != GRPC_CALL_OK) {
    c->status_bb = NULL;
    if (bb) grpc_byte_buffer_destroy(bb);
    grpc_call_cancel(c->call, NULL);
  }
  jet__call_unref(c);
}

void jet__call_finish(jet_call *c, jet_status st, const ProtobufCMessage *reply) {
  grpc_byte_buffer *bb = NULL;
  if (!st && reply && !c->finished) {
    bb = jet_rpc_pack(reply);
    if (!bb) st = jet_status_oom("reply");
  }
  jet__call_finish_bb(c, st, bb);
}

static jet_call *work_call(jet_work *w) {
  return (jet_call *)((char *)w - offsetof(jet_call, work));
}

static void work_cb(jet_work *w) {
  jet_call *c = work_call(w);
  c->work_fn(c);
}

static void after_work_cb(jet_work *w) {
  jet_call *c = work_call(w);
  atomic_fetch_sub(&c->ctx->in_flight, 1);
  c->after_fn(c);
  jet__call_unref(c);
}

void jet__call_queue_work(jet_call *c, void (*work_fn)(jet_call *c), void (*after_fn)(jet_call *c)) {
  c->work_fn = work_fn;
  c->after_fn = after_fn;
  c->work.run = work_cb;
  c->work.after = after_work_cb;
  jet__call_ref(c);
  atomic_fetch_add(&c->ctx->in_flight, 1);
  jet_workers_submit(c->w->workers, &c->work);
}

jet_status jet__call_session(jet_call *c, const char **token) {
  *token = NULL;
  const char *what = c->method ? c->method->name : "this call";
  if (!c->has_session)
    return jet_status_make(JET_FAILED_PRECONDITION,
                           "%s needs a session: send the token from OpenSession in the '%s' "
                           "request metadata",
                           what, JET_SESSION_METADATA_KEY);
  /* Another tenant's session is answered exactly like an unknown one. */
  JET_RETURN_IF_ERROR(jet_sessions_check_tenant(c->ctx->sessions, c->session,
                                                c->tenant ? c->tenant : JET_TENANT_DEFAULT));
  *token = c->session;
  return NULL;
}

void jet_wire_set_auth(jet_wire *w, struct jet_auth *auth) { w->auth = auth; }

jet_status jet__call_authenticate(jet_call *c) {
  c->tenant = JET_TENANT_DEFAULT;
  jet_auth *auth = c->w->auth;
  if (!auth) return NULL;
  /* Health probes carry no token. */
  if (c->method && strncmp(c->method->path, "/grpc.health.v1.Health/", 23) == 0) return NULL;
  const char *what = c->method ? c->method->name : "this call";
  const grpc_slice *v = NULL;
  for (size_t i = 0; i < c->md.count; i++)
    if (grpc_slice_str_cmp(c->md.metadata[i].key, JET_AUTH_METADATA_KEY) == 0)
      v = &c->md.metadata[i].value;
  if (!v)
    return jet_status_make(JET_UNAUTHENTICATED,
                           "%s: no bearer token: this jetd needs '%s: Bearer <token>' metadata "
                           "(jet --token-file, JET_TOKEN, or the client's token option)",
                           what, JET_AUTH_METADATA_KEY);
  const char *p = (const char *)GRPC_SLICE_START_PTR(*v);
  size_t n = GRPC_SLICE_LENGTH(*v);
  if (n < 7 || strncasecmp(p, "Bearer ", 7) != 0)
    return jet_status_make(JET_UNAUTHENTICATED,
                           "%s: the '%s' metadata is not of the form 'Bearer <token>'", what,
                           JET_AUTH_METADATA_KEY);
  p += 7;
  n -= 7;
  const char *tenant = n ? jet_auth_lookup(auth, p, n) : NULL;
  if (!tenant)
    return jet_status_make(JET_UNAUTHENTICATED,
                           "%s: the bearer token is not valid (unknown or revoked)", what);
  c->tenant = tenant;
  return NULL;
}

int64_t jet__call_deadline_ns(const jet_call *c) {
  gpr_timespec d = c->deadline;
  if (d.clock_type == GPR_TIMESPAN || d.tv_sec > INT64_MAX / 4) return 0;
  gpr_timespec left = gpr_time_sub(d, gpr_now(d.clock_type));
  int64_t ns = (int64_t)left.tv_sec * 1000000000 + left.tv_nsec;
  if (ns < 1) ns = 1;
  return jet_now_ns() + ns;
}

jet_status jet__call_defer_mem(jet_call *c, jet_arena *arena, void *p) {
  if (c->n_defer_mem % 16 == 0) {
    void **nd = jet_arena_alloc(arena, (c->n_defer_mem + 16) * sizeof(void *));
    if (!nd) return jet_status_oom("reply buffers");
    if (c->n_defer_mem) memcpy(nd, c->defer_mem, c->n_defer_mem * sizeof(void *));
    c->defer_mem = nd;
  }
  c->defer_mem[c->n_defer_mem++] = p;
  return NULL;
}

jet_status jet__call_unpack(jet_call *c, grpc_byte_buffer *bb, jet_arena *arena,
                            const ProtobufCMessageDescriptor *d, ProtobufCMessage **out) {
  /* The tenant's request-bytes quota (runtime/tenants.h); streams check
   * what they carry in whole (PutArray: the array, rpc_arrays.c). */
  if (bb && c->ctx && c->ctx->tenants && c->method && c->method->kind != JET_METHOD_STREAM)
    JET_RETURN_IF_ERROR(jet_tenant_check_request(jet_tenants_get(c->ctx->tenants, c->tenant),
                                                 grpc_byte_buffer_length(bb)));
  return jet_rpc_unpack(bb, d, arena, out);
}

/* Unary methods: unpack, handle, pack; then the reply goes out from the loop
 * thread. */
void jet__unary_run(jet_call *c) {
  jet_arena *arena = jet_arena_create(16384);
  ProtobufCMessage *req = NULL, *resp = NULL;
  jet_status st = arena ? NULL : jet_status_oom("request arena");
  if (!st) st = jet__call_unpack(c, c->payload, arena, c->method->input, &req);
  if (!st) st = c->method->unary(c, arena, req, &resp);
  if (!st && resp) {
    c->work_bb = jet_rpc_pack(resp);
    if (!c->work_bb) st = jet_status_oom("reply");
  }
  for (uint32_t i = 0; i < c->n_defer_mem; i++) jet_mem_free(c->defer_mem[i]);
  c->n_defer_mem = 0;
  c->defer_mem = NULL;
  jet_arena_destroy(arena);
  c->work_status = st;
}

void jet__unary_after(jet_call *c) {
  jet_status st = c->work_status;
  grpc_byte_buffer *bb = c->work_bb;
  c->work_status = NULL;
  c->work_bb = NULL;
  jet__call_finish_bb(c, st, bb);
}

void jet__unary_start(jet_call *c) {
  if (c->method->unary == jet__rpc_execute) {
    jet__sched_execute(c); /* per-tenant fair queues (wire/sched.h) */
  } else if (c->method->kind == JET_METHOD_POOL) {
    jet__call_queue_work(c, jet__unary_run, jet__unary_after);
  } else {
    jet__unary_run(c);
    jet__unary_after(c);
  }
}
