/* The RPC layer of libjet: one pluck completion queue per call, so any
 * number of threads can share a client (a shared pluck queue admits at most
 * six pluckers). */
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "client_internal.h"
#include "jet/limits.h"
#include "jet/rpc_codec.h"

static const char *const method_paths[JET__M_COUNT] = {
    [JET__M_GET_DEVICES] = "/jet.v1.Jet/GetDevices",
    [JET__M_OPEN_SESSION] = "/jet.v1.Jet/OpenSession",
    [JET__M_PUT_ARRAY] = "/jet.v1.Jet/PutArray",
    [JET__M_GET_ARRAY] = "/jet.v1.Jet/GetArray",
    [JET__M_DELETE_ARRAY] = "/jet.v1.Jet/DeleteArray",
    [JET__M_COMPILE] = "/jet.v1.Jet/Compile",
    [JET__M_EXECUTE] = "/jet.v1.Jet/Execute",
    [JET__M_GET_STATS] = "/jet.v1.Jet/GetStats",
    [JET__M_HEALTH_CHECK] = "/grpc.health.v1.Health/Check",
    [JET__M_TRANSFORM_GRAPH] = "/jet.v1.Jet/TransformGraph",
};

const char *jet__method_path(jet__method m) {
  return (m >= 0 && m < JET__M_COUNT) ? method_paths[m] : "<invalid method>";
}

gpr_timespec jet__deadline(const jet_client *c) {
  int64_t ms = atomic_load(&((jet_client *)c)->timeout_ms);
  if (ms <= 0) return gpr_inf_future(GPR_CLOCK_REALTIME);
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_millis(ms, GPR_TIMESPAN));
}

/* Runs one batch and waits for it. */
static bool run_batch(jet__rpc_call *call, const grpc_op *ops, size_t n) {
  grpc_call_error e = grpc_call_start_batch(call->call, ops, n, &call->tag, NULL);
  if (e != GRPC_CALL_OK) return false;
  grpc_event ev = grpc_completion_queue_pluck(call->cq, &call->tag,
                                              gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  return ev.type == GRPC_OP_COMPLETE && ev.success;
}

jet_status jet__rpc_start(jet_client *c, jet__method m, bool with_session, jet__rpc_call *call) {
  memset(call, 0, sizeof *call);
  call->client = c;
  call->method = m;
  grpc_metadata_array_init(&call->initial_md);
  grpc_metadata_array_init(&call->trailing_md);
  call->details = grpc_empty_slice();
  call->cq = grpc_completion_queue_create_for_pluck(NULL);
  if (!call->cq) return jet_status_oom("completion queue");
  call->call = grpc_channel_create_registered_call(c->channel, NULL, GRPC_PROPAGATE_DEFAULTS,
                                                   call->cq, c->methods[m], jet__deadline(c),
                                                   NULL);
  if (!call->call) {
    grpc_completion_queue_shutdown(call->cq);
    grpc_completion_queue_destroy(call->cq);
    call->cq = NULL;
    grpc_metadata_array_destroy(&call->initial_md);
    grpc_metadata_array_destroy(&call->trailing_md);
    return jet_status_make(JET_INTERNAL, "%s: could not create the call", jet__method_path(m));
  }
  grpc_op op[1];
  memset(op, 0, sizeof op);
  op[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  size_t n_md = jet__auth_metadata(c, call->md);
  if (with_session && c->session && c->session[0]) {
    call->md[n_md].key = grpc_slice_from_static_string(JET_SESSION_METADATA_KEY);
    call->md[n_md++].value = grpc_slice_from_static_string(c->session);
  }
  op[0].data.send_initial_metadata.count = n_md;
  op[0].data.send_initial_metadata.metadata = n_md ? call->md : NULL;
  /* A failure here shows up in the status read by jet__rpc_finish. */
  (void)run_batch(call, op, 1);
  return NULL;
}

bool jet__rpc_send(jet__rpc_call *call, const ProtobufCMessage *msg, jet_status *oom) {
  grpc_byte_buffer *bb = jet_rpc_pack(msg);
  if (!bb) {
    *oom = jet_status_oom("request message");
    return false;
  }
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_SEND_MESSAGE;
  op.data.send_message.send_message = bb;
  bool ok = run_batch(call, &op, 1);
  grpc_byte_buffer_destroy(bb);
  return ok;
}

bool jet__rpc_close_send(jet__rpc_call *call) {
  grpc_op op[2];
  memset(op, 0, sizeof op);
  op[0].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  op[1].op = GRPC_OP_RECV_INITIAL_METADATA;
  op[1].data.recv_initial_metadata.recv_initial_metadata = &call->initial_md;
  return run_batch(call, op, 2);
}

bool jet__rpc_recv(jet__rpc_call *call, grpc_byte_buffer **bb) {
  *bb = NULL;
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = bb;
  return run_batch(call, &op, 1);
}

void jet__rpc_cancel(jet__rpc_call *call) {
  if (call->call) grpc_call_cancel(call->call, NULL);
}

static jet_status status_from_call(jet__rpc_call *call) {
  if (call->status == GRPC_STATUS_OK) return NULL;
  jet_code code = JET_CODE_FROM_GRPC(call->status);
  if (code <= JET_OK || code > JET_UNAUTHENTICATED) code = JET_UNKNOWN;
  size_t len = GRPC_SLICE_LENGTH(call->details);
  if (len > 0)
    return jet_status_make(code, "%.*s", (int)len, (const char *)GRPC_SLICE_START_PTR(call->details));
  if (call->error_string && call->error_string[0])
    return jet_status_make(code, "%s: %s", jet__method_path(call->method), call->error_string);
  return jet_status_make(code, "%s failed with %s", jet__method_path(call->method),
                         jet_code_name(code));
}

jet_status jet__rpc_finish(jet__rpc_call *call, jet_status local) {
  if (!call->status_received && call->call) {
    if (local) grpc_call_cancel(call->call, NULL);
    grpc_op op;
    memset(&op, 0, sizeof op);
    op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
    op.data.recv_status_on_client.trailing_metadata = &call->trailing_md;
    op.data.recv_status_on_client.status = &call->status;
    op.data.recv_status_on_client.status_details = &call->details;
    op.data.recv_status_on_client.error_string = &call->error_string;
    if (!run_batch(call, &op, 1) && !local) {
      grpc_call_cancel(call->call, NULL);
      local = jet_status_make(JET_INTERNAL, "%s: could not receive the call's status",
                              jet__method_path(call->method));
    }
    call->status_received = true;
  }
  jet_status st = NULL;
  if (!(local && call->status == GRPC_STATUS_CANCELLED)) st = status_from_call(call);
  if (st) {
    jet_status_free(local);
  } else {
    st = local;
  }
  if (call->call) grpc_call_unref(call->call);
  call->call = NULL;
  if (call->cq) {
    grpc_completion_queue_shutdown(call->cq);
    grpc_event ev;
    do {
      ev = grpc_completion_queue_pluck(call->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    } while (ev.type != GRPC_QUEUE_SHUTDOWN);
    grpc_completion_queue_destroy(call->cq);
    call->cq = NULL;
  }
  grpc_slice_unref(call->details);
  call->details = grpc_empty_slice();
  if (call->error_string) gpr_free((void *)call->error_string);
  call->error_string = NULL;
  grpc_metadata_array_destroy(&call->initial_md);
  grpc_metadata_array_destroy(&call->trailing_md);
  return st;
}

jet_status jet__rpc_unary(jet_client *c, jet__method m, bool with_session,
                          const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                          jet_arena *arena, ProtobufCMessage **resp) {
  *resp = NULL;
  grpc_byte_buffer *req_bb = jet_rpc_pack(req);
  if (!req_bb) return jet_status_oom("request message");
  jet__rpc_call call;
  jet_status st = jet__rpc_start(c, m, with_session, &call);
  if (st) {
    grpc_byte_buffer_destroy(req_bb);
    return st;
  }
  grpc_byte_buffer *resp_bb = NULL;
  grpc_op ops[5];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_MESSAGE;
  ops[0].data.send_message.send_message = req_bb;
  ops[1].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[2].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[2].data.recv_initial_metadata.recv_initial_metadata = &call.initial_md;
  ops[3].op = GRPC_OP_RECV_MESSAGE;
  ops[3].data.recv_message.recv_message = &resp_bb;
  ops[4].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[4].data.recv_status_on_client.trailing_metadata = &call.trailing_md;
  ops[4].data.recv_status_on_client.status = &call.status;
  ops[4].data.recv_status_on_client.status_details = &call.details;
  ops[4].data.recv_status_on_client.error_string = &call.error_string;
  jet_status local = NULL;
  if (grpc_call_start_batch(call.call, ops, 5, &call.tag, NULL) != GRPC_CALL_OK) {
    local = jet_status_make(JET_INTERNAL, "%s: could not start the call", jet__method_path(m));
    grpc_call_cancel(call.call, NULL);
    call.status_received = true;
  } else {
    (void)grpc_completion_queue_pluck(call.cq, &call.tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    call.status_received = true;
  }
  grpc_byte_buffer_destroy(req_bb);
  if (!local && call.status == GRPC_STATUS_OK) {
    local = jet_rpc_unpack(resp_bb, resp_desc, arena, resp);
  }
  if (resp_bb) grpc_byte_buffer_destroy(resp_bb);
  st = jet__rpc_finish(&call, local);
  if (st) *resp = NULL;
  return st;
}
