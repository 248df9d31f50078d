/* Internals of libjet shared by the files of client/lib. Not installed. */
#ifndef JET_CLIENT_INTERNAL_H
#define JET_CLIENT_INTERNAL_H

#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>
#include <pthread.h>
#include <stdatomic.h>

#include "jet/arena.h"
#include "jet/hash.h"
#include "jet/jet.h"

/* Registered method handles of the channel, one per RPC. */
typedef enum jet__method {
  JET__M_GET_DEVICES,
  JET__M_OPEN_SESSION,
  JET__M_PUT_ARRAY,
  JET__M_GET_ARRAY,
  JET__M_DELETE_ARRAY,
  JET__M_COMPILE,
  JET__M_EXECUTE,
  JET__M_GET_STATS,
  JET__M_HEALTH_CHECK,
  JET__M_TRANSFORM_GRAPH,
  JET__M_COUNT
} jet__method;

/* Fully qualified path of a method ("/jet.v1.Jet/Execute"). */
const char *jet__method_path(jet__method m);

#define JET__EXE_BUCKETS 256

struct jet_executable {
  jet_client *client;
  jet_hash key;
  char *id;
  size_t n_outputs;
  jet_type *output_types;
  struct jet_executable *next; /* bucket chain */
};

struct jet_client {
  grpc_channel *channel;
  void *methods[JET__M_COUNT];
  char *address;
  char *session; /* "" when none */
  char *auth;    /* "Bearer <token>", or NULL: sent on every call */
  _Atomic int64_t timeout_ms;
  /* The OpenSession stream, open for the client's life. */
  grpc_call *session_call;
  grpc_completion_queue *session_cq;
  grpc_metadata_array session_md;
  grpc_metadata_array session_trailing;
  grpc_status_code session_status;
  grpc_slice session_details;
  bool session_status_pending;
  /* Client-side executable cache keyed by graph hash. */
  pthread_mutex_t exe_mu;
  jet_executable *exe_buckets[JET__EXE_BUCKETS];
};

struct jet_array {
  jet_client *client;
  char *id;
  jet_type type;
  bool donated; /* consumed by a call that donated it: nothing to delete */
  uint32_t n_devices; /* placement: 1 device, or one per block; 0 = unknown */
  uint32_t *devices;  /* malloc'd */
};

struct Jet__V1__Placement;
/* Records the placement the server reported (NULL: unknown). */
jet_status jet__array_set_placement(jet_array *a, const struct Jet__V1__Placement *p) JET_MUST_USE;

/* One call in flight with its own pluck completion queue. */
typedef struct jet__rpc_call {
  jet_client *client;
  jet__method method;
  grpc_call *call;
  grpc_completion_queue *cq;
  grpc_metadata md[2]; /* session and authorization metadata, when sent */
  grpc_metadata_array initial_md;
  grpc_metadata_array trailing_md;
  grpc_status_code status;
  grpc_slice details;
  const char *error_string;
  int tag; /* address used as the batch tag */
  bool status_received;
} jet__rpc_call;

/* Starts a call of method m (deadline from the client's timeout) and sends
 * its initial metadata (with the session token when with_session and the
 * client has one). */
jet_status jet__rpc_start(jet_client *c, jet__method m, bool with_session,
                           jet__rpc_call *call) JET_MUST_USE;
/* Sends one message (packed from msg). false when the stream broke (the
 * status, read by jet__rpc_finish, says why). */
bool jet__rpc_send(jet__rpc_call *call, const ProtobufCMessage *msg, jet_status *oom);
/* Half-closes the sending side. */
bool jet__rpc_close_send(jet__rpc_call *call);
/* Receives one message: *bb is NULL at end of stream (caller destroys a
 * non-NULL one). false when the batch failed. */
bool jet__rpc_recv(jet__rpc_call *call, grpc_byte_buffer **bb);
/* Cancels the call (for a reply the client rejects). */
void jet__rpc_cancel(jet__rpc_call *call);
/* Receives the status (unless already received), frees everything and
 * returns the call's status: NULL for OK, else the server's code and
 * message. `local` (may be NULL) is an error found by the client; it takes
 * precedence only when the call itself succeeded. */
jet_status jet__rpc_finish(jet__rpc_call *call, jet_status local) JET_MUST_USE;

/* A unary RPC: request in, response unpacked from arena. */
jet_status jet__rpc_unary(jet_client *c, jet__method m, bool with_session,
                          const ProtobufCMessage *req, const ProtobufCMessageDescriptor *resp_desc,
                          jet_arena *arena, ProtobufCMessage **resp) JET_MUST_USE;

/* Fills md[0..] with the client's authorization metadata (if any);
 * returns how many entries it used (0 or 1). */
size_t jet__auth_metadata(const jet_client *c, grpc_metadata *md);
/* The channel credentials for opts (client_tls.c): insecure, or TLS from
 * the PEM files; INVALID_ARGUMENT naming an option whose file is bad. */
jet_status jet__channel_credentials(const jet_client_options *opts,
                                    grpc_channel_credentials **out) JET_MUST_USE;

/* The deadline for a new call of c. */
gpr_timespec jet__deadline(const jet_client *c);

/* Makes a jet_array (copies id); NULL on out-of-memory. */
jet_array *jet__array_new(jet_client *c, const char *id, const jet_type *type);

/* Looks up / inserts executables of the client cache. insert returns the
 * entry now in the cache (the existing one when another thread won, in
 * which case e is freed). */
jet_executable *jet__exe_cache_find(jet_client *c, const jet_hash *key);
jet_executable *jet__exe_cache_insert(jet_client *c, jet_executable *e);
void jet__exe_free(jet_executable *e);
void jet__exe_cache_clear(jet_client *c);

#endif
