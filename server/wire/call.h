/* Internals of the wire layer: tags, methods, calls and the server object.
 *
 * Every completion-queue tag is a jet_tag whose callback runs on the loop
 * thread. A jet_call lives while anything of it is outstanding: its refs
 * count the RECV_CLOSE_ON_SERVER batch, every send/recv/status batch and a
 * pool job; the last unref frees it. Every call ends with exactly one
 * jet__call_finish (later calls are ignored). Only the loop thread touches a
 * call, except for what a pool job reads (method, payload, session, deadline,
 * cancelled) and the work_* results it writes. */
#ifndef JET_WIRE_CALL_H
#define JET_WIRE_CALL_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <uv.h>

#include "wire/handoff.h"
#include "wire/workers.h"
#include "jet/arena.h"
#include "runtime/session.h"
#include "wire/context.h"
#include "wire/wire.h"

typedef struct jet_call jet_call;


typedef struct jet_tag {
  jet_handoff_item link; /* in the forwarded-event hand-off; first member */
  void (*fn)(void *obj, bool ok);
  void *obj;
  bool ok;
} jet_tag;

/* Unary handler: decodes nothing itself (req is the unpacked request, every
 * allocation of the reply comes from arena). */
typedef jet_status (*jet_unary_fn)(jet_call *c, jet_arena *arena, const ProtobufCMessage *req,
                                   ProtobufCMessage **resp);
/* Streaming handler: takes over the call after accept. */
typedef void (*jet_stream_fn)(jet_call *c);

typedef enum jet_method_kind {
  JET_METHOD_LOOP = 1,   /* unary, answered on the loop thread */
  JET_METHOD_POOL = 2,   /* unary, run on the worker pool */
  JET_METHOD_STREAM = 3, /* streaming, custom handler */
} jet_method_kind;

typedef struct jet_method {
  char path[96]; /* "/jet.v1.Jet/Execute" */
  const char *name;
  const ProtobufCMessageDescriptor *input, *output;
  jet_method_kind kind;
  bool read_payload; /* request message arrives with the call */
  jet_unary_fn unary;
  jet_stream_fn stream;
  void *registered; /* grpc_server_register_method handle */
  atomic_uint_fast64_t calls, errors;
} jet_method;

/* The method table: built from the protobuf-c service descriptors. */
typedef struct jet_method_table {
  jet_method *m;
  uint32_t n;
} jet_method_table;
jet_status jet__methods_build(jet_method_table *t) JET_MUST_USE;
void jet__methods_free(jet_method_table *t);

/* An outstanding request for a new call (one per registered method, plus one
 * for unregistered paths when method == NULL). */
typedef struct jet_accept {
  jet_tag tag;
  jet_wire *w;
  jet_method *method;
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array md;
  grpc_call_details details; /* unregistered only */
  grpc_byte_buffer *payload;
  bool armed;
} jet_accept;

typedef void (*jet_call_cb)(jet_call *c, bool ok);

struct jet_call {
  jet_wire *w;
  jet_ctx *ctx;
  jet_method *method; /* NULL for an unregistered path */
  uint64_t id;        /* request id for logs */
  int64_t start_ns;
  grpc_call *call;
  gpr_timespec deadline;
  grpc_metadata_array md;
  grpc_byte_buffer *payload;
  bool has_session;
  char session[65]; /* the "jet-session" metadata value (truncated) */
  /* The tenant the call acts for (wire/auth.h): "default" without a tokens
   * file; set by jet__call_authenticate before any handler runs. */
  const char *tenant;
  int refs;
  bool finished, md_sent, closed;
  int close_cancelled;
  atomic_int cancelled;
  jet_tag t_close, t_send, t_recv, t_status;
  grpc_byte_buffer *send_bb, *recv_bb, *status_bb;
  grpc_slice status_details;
  jet_call_cb send_done, recv_done;
  /* Handler state, freed (state_free) when the call is freed. */
  void *state;
  void (*state_free)(jet_call *c);
  /* Optional hooks: the close batch fired / the server is shutting down. */
  void (*on_close)(jet_call *c);
  void (*on_shutdown)(jet_call *c);
  /* Worker jobs (wire/workers.h). */
  jet_work work;
  void (*work_fn)(jet_call *c);
  void (*after_fn)(jet_call *c);
  jet_status work_status;
  grpc_byte_buffer *work_bb;
  /* jet_mem buffers a unary handler's reply points into: freed after pack. */
  void **defer_mem;
  uint32_t n_defer_mem;
  jet_call *prev, *next; /* live list */
};

struct jet_wire {
  uv_loop_t *loop;
  jet_ctx *ctx;
  grpc_server *srv;
  grpc_completion_queue *cq;
  pthread_t cq_thread;
  bool thread_started;
  jet_handoff *events;         /* completion-queue events -> loop (wire/handoff.h) */
  jet_handoff_item cq_done;    /* posted last, when the completion queue has shut down */
  jet_workers *workers;        /* Compile/Transform/Execute jobs' threads */
  struct jet_tls *tls;         /* the port's TLS material (wire/tls.h); NULL = plaintext */
  jet_method_table methods;
  jet_accept *accepts; /* methods.n + 1 */
  uint32_t armed;
  jet_call *live;
  uint32_t live_calls;
  uint64_t next_id;
  bool shutting_down, shutdown_notified, cq_shutdown, stopped;
  jet_tag t_shutdown;
  struct jet_auth *auth; /* NULL = no tokens file (jet_wire_set_auth) */
  struct jet_sched *sched; /* Executes' fair queues (wire/sched.h), made on first use */
  void (*on_stopped)(void *arg);
  void *stopped_arg;
};

/* Call operations (loop thread). */
void jet__call_ref(jet_call *c);
void jet__call_unref(jet_call *c);
/* Sends one message of a stream (initial metadata too, the first time);
 * done(c, ok) runs when it completed. m is packed here (borrowed). Returns
 * false (and finishes the call) when it could not start. At most one send
 * may be outstanding. */
bool jet__call_send(jet_call *c, const ProtobufCMessage *m, jet_call_cb done);
/* Reads the next client message into c->recv_bb (NULL = end of stream). */
bool jet__call_recv(jet_call *c, jet_call_cb done);
/* Ends the call: reply (may be NULL) and status st (consumed; NULL = OK). */
void jet__call_finish(jet_call *c, jet_status st, const ProtobufCMessage *reply);
/* Same with an already packed reply (consumed). */
void jet__call_finish_bb(jet_call *c, jet_status st, grpc_byte_buffer *bb);
/* Runs work_fn on the pool, then after_fn on the loop thread. */
void jet__call_queue_work(jet_call *c, void (*work_fn)(jet_call *c),
                          void (*after_fn)(jet_call *c));

/* The session the call is bound to: FAILED_PRECONDITION naming the missing
 * "jet-session" metadata (what = the method) or the closed session. */
jet_status jet__call_session(jet_call *c, const char **token) JET_MUST_USE;
/* Sets c->tenant from the "authorization: Bearer <token>" metadata when
 * the server has a tokens table; UNAUTHENTICATED naming what is wrong (never
 * the token) otherwise. grpc.health.v1 Check needs no token. */
jet_status jet__call_authenticate(jet_call *c) JET_MUST_USE;
/* The call's deadline as CLOCK_MONOTONIC ns (0 = none). */
int64_t jet__call_deadline_ns(const jet_call *c);
/* Asks that `p` (jet_mem) be freed after the unary reply is packed. */
jet_status jet__call_defer_mem(jet_call *c, jet_arena *arena, void *p) JET_MUST_USE;

/* Runs a unary method (loop or pool, by kind). */
void jet__unary_start(jet_call *c);
/* Unpacks c->payload (or recv_bb) as the method's input. */
jet_status jet__call_unpack(jet_call *c, grpc_byte_buffer *bb, jet_arena *arena,
                            const ProtobufCMessageDescriptor *d,
                            ProtobufCMessage **out) JET_MUST_USE;

/* Handlers (rpc_*.c). */
jet_status jet__rpc_get_devices(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                ProtobufCMessage **resp);
jet_status jet__rpc_get_stats(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                              ProtobufCMessage **resp);
jet_status jet__rpc_health_check(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp);
jet_status jet__rpc_delete_array(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp);
jet_status jet__rpc_compile(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                            ProtobufCMessage **resp);
jet_status jet__rpc_execute(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                            ProtobufCMessage **resp);
jet_status jet__rpc_transform_graph(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                    ProtobufCMessage **resp);
void jet__rpc_open_session(jet_call *c);
void jet__rpc_put_array(jet_call *c);
void jet__rpc_get_array(jet_call *c);
void jet__rpc_health_watch(jet_call *c);

/* Server internals used by calls. */
void jet__wire_call_freed(jet_wire *w, jet_call *c);

#endif
