/* jet_client: the channel, the session stream, devices, health, stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>
#include <grpc/support/alloc.h>
#include <grpc/support/time.h>

#include "client_internal.h"
#include "grpc/health/v1/health.pb-c.h"
#include "jet/limits.h"
#include "jet/rpc_codec.h"
#include "jet/v1/jet.pb-c.h"

#define DEFAULT_CONNECT_TIMEOUT_MS 10000

static char *dup_str(const char *s) {
  size_t n = strlen(s);
  char *r = malloc(n + 1);
  if (r) memcpy(r, s, n + 1);
  return r;
}

static const char *resolve_address(const char *address) {
  if (address && address[0]) return address;
  const char *env = getenv(JET_ADDRESS_ENV);
  if (env && env[0]) return env;
  return JET_CLIENT_DEFAULT_ADDRESS;
}

static void session_close(jet_client *c) {
  if (!c->session_call) return;
  grpc_call_cancel(c->session_call, NULL);
  if (c->session_status_pending) {
    /* The RECV_STATUS batch posted at open completes now. */
    (void)grpc_completion_queue_pluck(c->session_cq, &c->session_status,
                                      gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    c->session_status_pending = false;
  }
  grpc_call_unref(c->session_call);
  c->session_call = NULL;
}

static void cq_destroy(grpc_completion_queue *cq) {
  if (!cq) return;
  grpc_completion_queue_shutdown(cq);
  grpc_event ev;
  do {
    ev = grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  } while (ev.type != GRPC_QUEUE_SHUTDOWN);
  grpc_completion_queue_destroy(cq);
}

/* Opens the OpenSession stream and reads the token (first SessionEvent). */
static jet_status session_open(jet_client *c, const char *client_name, int64_t timeout_ms) {
  c->session_cq = grpc_completion_queue_create_for_pluck(NULL);
  if (!c->session_cq) return jet_status_oom("session completion queue");
  c->session_call = grpc_channel_create_registered_call(
      c->channel, NULL, GRPC_PROPAGATE_DEFAULTS, c->session_cq, c->methods[JET__M_OPEN_SESSION],
      gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  if (!c->session_call)
    return jet_status_make(JET_INTERNAL, "OpenSession: could not create the call");

  Jet__V1__OpenSessionRequest req = JET__V1__OPEN_SESSION_REQUEST__INIT;
  req.client_name = (char *)client_name;
  grpc_byte_buffer *req_bb = jet_rpc_pack(&req.base);
  if (!req_bb) return jet_status_oom("OpenSession request");

  grpc_byte_buffer *first = NULL;
  grpc_metadata_array initial;
  grpc_metadata_array_init(&initial);
  grpc_op ops[5];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  grpc_metadata auth_md[1];
  ops[0].data.send_initial_metadata.count = jet__auth_metadata(c, auth_md);
  if (ops[0].data.send_initial_metadata.count) ops[0].data.send_initial_metadata.metadata = auth_md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = req_bb;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &initial;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &first;
  int tag_first = 0;
  jet_status st = NULL;
  if (grpc_call_start_batch(c->session_call, ops, 5, &tag_first, NULL) != GRPC_CALL_OK) {
    grpc_byte_buffer_destroy(req_bb);
    grpc_metadata_array_destroy(&initial);
    return jet_status_make(JET_INTERNAL, "OpenSession: could not start the call");
  }
  /* Also ask for the status now, so that a refused session reports why. */
  grpc_op sop;
  memset(&sop, 0, sizeof sop);
  sop.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  sop.data.recv_status_on_client.trailing_metadata = &c->session_trailing;
  sop.data.recv_status_on_client.status = &c->session_status;
  sop.data.recv_status_on_client.status_details = &c->session_details;
  if (grpc_call_start_batch(c->session_call, &sop, 1, &c->session_status, NULL) == GRPC_CALL_OK)
    c->session_status_pending = true;

  gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                                       gpr_time_from_millis(timeout_ms, GPR_TIMESPAN));
  grpc_event ev = grpc_completion_queue_pluck(c->session_cq, &tag_first, deadline, NULL);
  if (ev.type == GRPC_QUEUE_TIMEOUT) {
    grpc_call_cancel(c->session_call, NULL);
    (void)grpc_completion_queue_pluck(c->session_cq, &tag_first,
                                      gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
    st = jet_status_make(JET_DEADLINE_EXCEEDED,
                         "OpenSession: no session token from %s within %lld ms", c->address,
                         (long long)timeout_ms);
  } else if (!first) {
    /* The stream ended without a token: the status says why. */
    if (c->session_status_pending) {
      (void)grpc_completion_queue_pluck(c->session_cq, &c->session_status,
                                        gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
      c->session_status_pending = false;
    }
    jet_code code = JET_CODE_FROM_GRPC(c->session_status);
    if (code <= JET_OK || code > JET_UNAUTHENTICATED) code = JET_UNAVAILABLE;
    size_t len = GRPC_SLICE_LENGTH(c->session_details);
    if (len)
      st = jet_status_make(code, "%.*s", (int)len,
                           (const char *)GRPC_SLICE_START_PTR(c->session_details));
    else
      st = jet_status_make(code, "OpenSession: %s sent no session token", c->address);
  } else {
    jet_arena *arena = jet_arena_create(256);
    ProtobufCMessage *m = NULL;
    if (!arena) {
      st = jet_status_oom("session event");
    } else {
      st = jet_rpc_unpack(first, &jet__v1__session_event__descriptor, arena, &m);
      if (!st) {
        const Jet__V1__SessionEvent *evm = (const Jet__V1__SessionEvent *)m;
        if (!evm->session || !evm->session[0]) {
          st = jet_status_make(JET_INTERNAL, "OpenSession: the server sent an empty token");
        } else {
          c->session = dup_str(evm->session);
          if (!c->session) st = jet_status_oom("session token");
        }
      }
      jet_arena_destroy(arena);
    }
  }
  if (first) grpc_byte_buffer_destroy(first);
  grpc_byte_buffer_destroy(req_bb);
  grpc_metadata_array_destroy(&initial);
  return st;
}

static void client_free(jet_client *c) {
  if (!c) return;
  session_close(c);
  cq_destroy(c->session_cq);
  c->session_cq = NULL;
  grpc_slice_unref(c->session_details);
  grpc_metadata_array_destroy(&c->session_trailing);
  jet__exe_cache_clear(c);
  pthread_mutex_destroy(&c->exe_mu);
  if (c->channel) grpc_channel_destroy(c->channel);
  free(c->address);
  free(c->session);
  free(c->auth);
  free(c);
  grpc_shutdown();
}

jet_status jet_client_open(const jet_client_options *opts, jet_client **out) {
  jet_client_options dflt;
  memset(&dflt, 0, sizeof dflt);
  if (!opts) opts = &dflt;
  if (!out) return jet_status_make(JET_INVALID_ARGUMENT, "jet_client_open: out is NULL");
  *out = NULL;
  jet_client *c = calloc(1, sizeof *c);
  if (!c) return jet_status_oom("jet_client");
  grpc_init();
  pthread_mutex_init(&c->exe_mu, NULL);
  grpc_metadata_array_init(&c->session_trailing);
  c->session_details = grpc_empty_slice();
  atomic_store(&c->timeout_ms, opts->timeout_ms > 0 ? opts->timeout_ms : 0);
  c->address = dup_str(resolve_address(opts->address));
  if (!c->address) {
    client_free(c);
    return jet_status_oom("client address");
  }

  grpc_arg args[3];
  memset(args, 0, sizeof args);
  args[0].type = GRPC_ARG_INTEGER;
  args[0].key = (char *)GRPC_ARG_MAX_RECEIVE_MESSAGE_LENGTH;
  args[0].value.integer = -1;
  args[1].type = GRPC_ARG_INTEGER;
  args[1].key = (char *)GRPC_ARG_MAX_SEND_MESSAGE_LENGTH;
  args[1].value.integer = -1;
  args[2].type = GRPC_ARG_STRING;
  args[2].key = (char *)GRPC_ARG_PRIMARY_USER_AGENT_STRING;
  args[2].value.string = (char *)"libjet/" JET_VERSION;
  grpc_channel_args chargs = {3, args};
  const char *token = opts->token && opts->token[0] ? opts->token : getenv(JET_TOKEN_ENV);
  if (token && token[0]) {
    size_t tl = strlen(token);
    c->auth = malloc(tl + 8);
    if (!c->auth) {
      client_free(c);
      return jet_status_oom("client token");
    }
    memcpy(c->auth, "Bearer ", 7);
    memcpy(c->auth + 7, token, tl + 1);
  }
  grpc_channel_credentials *cr = NULL;
  jet_status cst = jet__channel_credentials(opts, &cr);
  if (cst) {
    client_free(c);
    return cst;
  }
  c->channel = grpc_channel_create(c->address, cr, &chargs);
  grpc_channel_credentials_release(cr);
  if (!c->channel) {
    client_free(c);
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_client_open: cannot create a channel to '%s'",
                           c->address);
  }
  for (int m = 0; m < JET__M_COUNT; m++) {
    c->methods[m] = grpc_channel_register_call(c->channel, jet__method_path((jet__method)m),
                                               NULL, NULL);
    if (!c->methods[m]) {
      client_free(c);
      return jet_status_oom("registered method");
    }
  }
  if (!opts->no_session) {
    int64_t ct = opts->connect_timeout_ms > 0 ? opts->connect_timeout_ms
                                              : DEFAULT_CONNECT_TIMEOUT_MS;
    jet_status st = session_open(c, opts->client_name ? opts->client_name : "libjet", ct);
    if (st) {
      client_free(c);
      return st;
    }
  } else {
    c->session = dup_str("");
    if (!c->session) {
      client_free(c);
      return jet_status_oom("session token");
    }
  }
  *out = c;
  return NULL;
}

jet_status jet_client_connect(const char *address, jet_client **out) {
  jet_client_options o;
  memset(&o, 0, sizeof o);
  o.address = address;
  return jet_client_open(&o, out);
}

void jet_client_close(jet_client *c) { client_free(c); }

void jet_client_set_timeout_ms(jet_client *c, int64_t ms) {
  if (c) atomic_store(&c->timeout_ms, ms > 0 ? ms : 0);
}

int64_t jet_client_timeout_ms(const jet_client *c) {
  return c ? atomic_load(&((jet_client *)c)->timeout_ms) : 0;
}

const char *jet_client_address(const jet_client *c) { return c ? c->address : ""; }
const char *jet_client_session(const jet_client *c) {
  return c && c->session ? c->session : "";
}

/* ---------------------------------------------------------------------- */

jet_status jet_client_devices(jet_client *c, jet_device_info **out, size_t *n) {
  if (!c || !out || !n)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_client_devices: NULL argument");
  *out = NULL;
  *n = 0;
  jet_arena *arena = jet_arena_create(1024);
  if (!arena) return jet_status_oom("GetDevices response");
  Jet__V1__GetDevicesRequest req = JET__V1__GET_DEVICES_REQUEST__INIT;
  ProtobufCMessage *m = NULL;
  jet_status st = jet__rpc_unary(c, JET__M_GET_DEVICES, true, &req.base,
                                 &jet__v1__get_devices_response__descriptor, arena, &m);
  if (!st) {
    const Jet__V1__GetDevicesResponse *r = (const Jet__V1__GetDevicesResponse *)m;
    if (r->n_devices > 0) {
      jet_device_info *d = calloc(r->n_devices, sizeof *d);
      if (!d) {
        st = jet_status_oom("device list");
      } else {
        for (size_t i = 0; i < r->n_devices; i++) {
          const Jet__V1__Device *pd = r->devices[i];
          d[i].id = pd->id;
          snprintf(d[i].kind, sizeof d[i].kind, "%s", pd->kind ? pd->kind : "");
          d[i].memory_limit_bytes = pd->memory_limit_bytes;
          d[i].memory_in_use_bytes = pd->memory_in_use_bytes;
          d[i].live_arrays = pd->live_arrays;
        }
        *out = d;
        *n = r->n_devices;
      }
    }
  }
  jet_arena_destroy(arena);
  return st;
}

void jet_device_info_free(jet_device_info *devices) { free(devices); }

jet_status jet_client_health(jet_client *c, int *serving) {
  if (!c || !serving)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_client_health: NULL argument");
  *serving = 0;
  jet_arena *arena = jet_arena_create(256);
  if (!arena) return jet_status_oom("health response");
  Grpc__Health__V1__HealthCheckRequest req = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  req.service = (char *)"";
  ProtobufCMessage *m = NULL;
  jet_status st = jet__rpc_unary(c, JET__M_HEALTH_CHECK, false, &req.base,
                                 &grpc__health__v1__health_check_response__descriptor, arena, &m);
  if (!st) {
    const Grpc__Health__V1__HealthCheckResponse *r = (const Grpc__Health__V1__HealthCheckResponse *)m;
    *serving = r->status == GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  }
  jet_arena_destroy(arena);
  return st;
}

void jet_stats_clear(jet_stats *s) {
  if (!s) return;
  for (size_t i = 0; i < s->n_methods; i++) free(s->methods[i].method);
  free(s->methods);
  free(s->version);
  free(s->blas_core);
  free(s->kernel_isa);
  memset(s, 0, sizeof *s);
}

jet_status jet_client_stats(jet_client *c, jet_stats *out) {
  if (!c || !out) return jet_status_make(JET_INVALID_ARGUMENT, "jet_client_stats: NULL argument");
  memset(out, 0, sizeof *out);
  jet_arena *arena = jet_arena_create(4096);
  if (!arena) return jet_status_oom("GetStats response");
  Jet__V1__GetStatsRequest req = JET__V1__GET_STATS_REQUEST__INIT;
  ProtobufCMessage *m = NULL;
  jet_status st = jet__rpc_unary(c, JET__M_GET_STATS, true, &req.base,
                                 &jet__v1__get_stats_response__descriptor, arena, &m);
  if (!st) {
    const Jet__V1__GetStatsResponse *r = (const Jet__V1__GetStatsResponse *)m;
    out->uptime_ms = r->uptime_ms;
    out->sessions = r->sessions;
    out->live_arrays = r->live_arrays;
    out->live_bytes = r->live_bytes;
    out->compile_cache_hits = r->compile_cache_hits;
    out->compile_cache_misses = r->compile_cache_misses;
    out->compile_cache_entries = r->compile_cache_entries;
    out->compile_cache_disk_hits = r->compile_cache_disk_hits;
    out->compile_cache_evictions = r->compile_cache_evictions;
    out->compile_cache_bytes = r->compile_cache_bytes;
    out->compile_cache_capacity_bytes = r->compile_cache_capacity_bytes;
    out->compile_cache_disk_entries = r->compile_cache_disk_entries;
    out->compile_cache_disk_bytes = r->compile_cache_disk_bytes;
    out->compile_cache_disk_discarded = r->compile_cache_disk_discarded;
    out->compile_time_total_us = r->compile_time_total_us;
    out->executions = r->executions;
    out->in_flight = r->in_flight;
    out->compute_threads = r->compute_threads;
    out->version = dup_str(r->version ? r->version : "");
    out->blas_core = dup_str(r->blas_core ? r->blas_core : "");
    out->kernel_isa = dup_str(r->kernel_isa ? r->kernel_isa : "");
    if (!out->version || !out->blas_core || !out->kernel_isa) st = jet_status_oom("stats strings");
    if (!st && r->n_methods > 0) {
      out->methods = calloc(r->n_methods, sizeof *out->methods);
      if (!out->methods) st = jet_status_oom("stats methods");
      for (size_t i = 0; !st && i < r->n_methods; i++) {
        out->methods[i].method = dup_str(r->methods[i]->method ? r->methods[i]->method : "");
        if (!out->methods[i].method) {
          st = jet_status_oom("stats method name");
          break;
        }
        out->methods[i].calls = r->methods[i]->calls;
        out->methods[i].errors = r->methods[i]->errors;
        out->n_methods = i + 1;
      }
    }
    if (st) jet_stats_clear(out);
  }
  jet_arena_destroy(arena);
  return st;
}
