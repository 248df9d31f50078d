/* PutArray (client stream), GetArray (server stream), DeleteArray. All run
 * on the loop thread; each chunk is one message of at most JET_CHUNK_BYTES,
 * so arrays of any size move without raising message limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/limits.h"
#include "jet/protoconv.h"
#include "jet/v1/jet.pb-c.h"
#include "wire/call.h"
#include "wire/placement.h"

/* ---- PutArray ------------------------------------------------------------ */

typedef struct put_state {
  const char *session;
  jet_buffer *array; /* allocated at the first chunk */
  size_t got;
  uint32_t chunks;
} put_state;

static void put_free(jet_call *c) {
  put_state *s = c->state;
  jet_buffer_release(s->array);
  free(s);
  c->state = NULL;
}

static jet_status size_mismatch(const put_state *s, size_t got) {
  char ts[JET_TYPE_STR_MAX];
  return jet_status_make(JET_INVALID_ARGUMENT, "received %zu bytes, expected %zu for %s", got,
                         s->array->nbytes, jet_type_str(&s->array->type, ts, sizeof(ts)));
}

static jet_status put_first(jet_call *c, put_state *s, const Jet__V1__PutArrayChunk *ch) {
  if (!ch->type)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "chunk 0: type is missing (the first chunk must carry it)");
  jet_type t;
  JET_RETURN_IF_ERROR(jet_type_from_proto(ch->type, "type", &t));
  /* Tenant quotas (runtime/tenants.h) before anything is allocated: the
   * whole array counts as the request; the charge itself is taken when
   * the handle is inserted (put_end). */
  jet_tenant *acct = jet_tenants_get(c->ctx->tenants, c->tenant);
  if (!acct) return jet_status_oom("tenant account");
  JET_RETURN_IF_ERROR(jet_tenant_check_request(acct, jet_type_nbytes(&t)));
  JET_RETURN_IF_ERROR(jet_tenant_check(acct, jet_type_nbytes(&t), 1));
  if (ch->n_shard_devices) {
    if (ch->device)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "device: set with shard_devices (give one or the other)");
    if (ch->n_shard_devices > JET_MAX_SHARDS)
      return jet_status_make(JET_INVALID_ARGUMENT, "shard_devices: %zu blocks (at most %d)",
                             ch->n_shard_devices, JET_MAX_SHARDS);
    return jet_store_alloc_sharded(c->ctx->store, &t, ch->shard_devices,
                                   (uint32_t)ch->n_shard_devices, "shard_devices", &s->array);
  }
  JET_RETURN_IF_ERROR(jet_devices_check_id(c->ctx->devices, ch->device, "device"));
  return jet_store_alloc(c->ctx->store, ch->device, &t, &s->array);
}

static jet_status put_chunk(jet_call *c, put_state *s, grpc_byte_buffer *bb) {
  jet_arena *arena = jet_arena_create(4096);
  if (!arena) return jet_status_oom("chunk arena");
  ProtobufCMessage *m;
  jet_status st = jet__call_unpack(c, bb, arena, &jet__v1__put_array_chunk__descriptor, &m);
  const Jet__V1__PutArrayChunk *ch = (const void *)m;
  if (!st && s->chunks == 0) st = put_first(c, s, ch);
  else if (!st && (ch->type || ch->device || ch->n_shard_devices))
    st = jet_status_make(JET_INVALID_ARGUMENT,
                         "chunk %u: type, device and shard_devices may only be set in the "
                         "first chunk",
                         s->chunks);
  if (!st && ch->data.len > s->array->nbytes - s->got)
    st = size_mismatch(s, s->got + ch->data.len);
  /* A sharded array's blocks follow each other in the byte stream. */
  for (size_t done = 0, len; !st && done < ch->data.len; done += len) {
    void *dst = jet_buffer_bytes_at(s->array, s->got, &len);
    if (len > ch->data.len - done) len = ch->data.len - done;
    memcpy(dst, ch->data.data + done, len);
    s->got += len;
  }
  s->chunks++;
  jet_arena_destroy(arena);
  return st;
}

static void put_end(jet_call *c, put_state *s) {
  if (!s->array) {
    jet__call_finish(c, jet_status_make(JET_INVALID_ARGUMENT,
                                        "the stream ended before the first chunk (with the type)"),
                     NULL);
    return;
  }
  if (s->got != s->array->nbytes) {
    jet__call_finish(c, size_mismatch(s, s->got), NULL);
    return;
  }
  char id[JET_TOKEN_HEX + 1];
  jet_tenant *acct = jet_tenants_get(c->ctx->tenants, c->tenant);
  jet_status st = acct ? jet_store_insert_tenant(c->ctx->store, s->session, acct, s->array, id)
                       : jet_status_oom("tenant account");
  jet_arena *arena = st ? NULL : jet_arena_create(1024);
  if (!st && !arena) st = jet_status_oom("reply arena");
  Jet__V1__PutArrayResponse r = JET__V1__PUT_ARRAY_RESPONSE__INIT;
  Jet__V1__ArrayHandle h = JET__V1__ARRAY_HANDLE__INIT;
  Jet__V1__TensorType t = JET__V1__TENSOR_TYPE__INIT;
  Jet__V1__Placement pl;
  if (!st) st = jet_type_to_proto(&s->array->type, arena, &t);
  if (!st) st = jet__placement_to_proto(s->array, arena, &pl);
  h.id = id;
  r.handle = &h;
  r.type = &t;
  r.placement = &pl;
  jet__call_finish(c, st, &r.base);
  jet_arena_destroy(arena);
}

static void put_recv(jet_call *c, bool ok) {
  put_state *s = c->state;
  if (c->finished) return;
  if (!ok) {
    jet__call_finish(c, jet_status_make(JET_CANCELLED, "the upload was cancelled"), NULL);
    return;
  }
  grpc_byte_buffer *bb = c->recv_bb;
  c->recv_bb = NULL;
  if (!bb) {
    put_end(c, s);
    return;
  }
  jet_status st = put_chunk(c, s, bb);
  grpc_byte_buffer_destroy(bb);
  if (st) {
    jet__call_finish(c, st, NULL);
    return;
  }
  jet__call_recv(c, put_recv);
}

void jet__rpc_put_array(jet_call *c) {
  const char *session;
  jet_status st = jet__call_session(c, &session);
  put_state *s = st ? NULL : calloc(1, sizeof(*s));
  if (!st && !s) st = jet_status_oom("upload state");
  if (st) {
    jet__call_finish(c, st, NULL);
    return;
  }
  s->session = session;
  c->state = s;
  c->state_free = put_free;
  jet__call_recv(c, put_recv);
}

/* ---- GetArray ------------------------------------------------------------ */

typedef struct get_state {
  jet_buffer *array; /* held for the whole download (a block's memory may
                        be a view of it) */
  jet_type type;     /* what is sent: the array or one block */
  size_t off, end, chunk; /* byte range [off, end) of the array left */
  bool first;
} get_state;

static void get_free(jet_call *c) {
  get_state *s = c->state;
  jet_buffer_release(s->array);
  free(s);
  c->state = NULL;
}

static void get_sent(jet_call *c, bool ok);

static void get_send_next(jet_call *c) {
  get_state *s = c->state;
  size_t n = s->end - s->off, len = 0;
  if (n > s->chunk) n = s->chunk;
  Jet__V1__GetArrayChunk ch = JET__V1__GET_ARRAY_CHUNK__INIT;
  Jet__V1__TensorType t = JET__V1__TENSOR_TYPE__INIT;
  Jet__V1__Placement pl;
  jet_arena *arena = NULL;
  if (s->first) {
    s->first = false;
    arena = jet_arena_create(1024);
    jet_status st = arena ? jet_type_to_proto(&s->type, arena, &t) : jet_status_oom("chunk");
    if (!st) st = jet__placement_to_proto(s->array, arena, &pl);
    if (st) {
      jet_arena_destroy(arena);
      jet__call_finish(c, st, NULL);
      return;
    }
    ch.type = &t;
    ch.placement = &pl;
  }
  /* One chunk never spans two blocks of a sharded array. */
  void *src = n ? jet_buffer_bytes_at(s->array, s->off, &len) : NULL;
  if (n > len) n = len;
  ch.data.data = src;
  ch.data.len = n;
  s->off += n;
  jet__call_send(c, &ch.base, get_sent);
  jet_arena_destroy(arena);
}

static void get_sent(jet_call *c, bool ok) {
  get_state *s = c->state;
  if (c->finished) return;
  if (!ok) {
    jet__call_finish(c, jet_status_make(JET_CANCELLED, "the download was cancelled"), NULL);
  } else if (s->off >= s->end) {
    jet__call_finish(c, NULL, NULL);
  } else {
    get_send_next(c);
  }
}

/* The bytes to send: the whole array, or block `shard` (one_shard). */
static jet_status get_range(get_state *s, const Jet__V1__GetArrayRequest *req) {
  const jet_buffer *a = s->array;
  s->type = a->type;
  s->off = 0;
  s->end = a->nbytes;
  s->first = true;
  if (!req->one_shard) return NULL;
  const uint32_t n = a->n_shards ? a->n_shards : 1;
  if (req->shard >= n)
    return jet_status_make(JET_INVALID_ARGUMENT, "shard: block %u does not exist (the array has %u)",
                           req->shard, n);
  if (!a->n_shards) return NULL;
  s->type = a->shards[req->shard]->type;
  const size_t b = a->shards[0]->nbytes;
  s->off = (size_t)req->shard * b;
  s->end = s->off + b;
  return NULL;
}

void jet__rpc_get_array(jet_call *c) {
  jet_arena *arena = jet_arena_create(1024);
  ProtobufCMessage *m = NULL;
  const char *session = NULL;
  get_state *s = NULL;
  jet_status st = arena ? NULL : jet_status_oom("request arena");
  if (!st) st = jet__call_unpack(c, c->payload, arena, &jet__v1__get_array_request__descriptor, &m);
  if (!st) st = jet__call_session(c, &session);
  const Jet__V1__GetArrayRequest *req = (const void *)m;
  if (!st && (!req->handle || !req->handle->id || !*req->handle->id))
    st = jet_status_make(JET_INVALID_ARGUMENT, "handle: missing");
  if (!st && !(s = calloc(1, sizeof(*s)))) st = jet_status_oom("download state");
  if (!st) st = jet_store_get(c->ctx->store, session, req->handle->id, "handle", &s->array);
  if (!st) st = get_range(s, req);
  if (!st) {
    s->chunk = req->chunk_bytes && req->chunk_bytes < JET_CHUNK_BYTES ? req->chunk_bytes
                                                                      : JET_CHUNK_BYTES;
    c->state = s;
    c->state_free = get_free;
  }
  jet_arena_destroy(arena);
  if (st) {
    if (s) jet_buffer_release(s->array);
    free(s);
    jet__call_finish(c, st, NULL);
    return;
  }
  get_send_next(c);
}

/* ---- DeleteArray --------------------------------------------------------- */

jet_status jet__rpc_delete_array(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp) {
  const Jet__V1__DeleteArrayRequest *q = (const void *)req;
  const char *session;
  JET_RETURN_IF_ERROR(jet__call_session(c, &session));
  const char **ids = jet_arena_calloc(a, q->n_handles ? q->n_handles : 1, sizeof(char *));
  Jet__V1__DeleteArrayResponse *r = jet_arena_alloc(a, sizeof(*r));
  if (!ids || !r) return jet_status_oom("DeleteArray");
  for (size_t i = 0; i < q->n_handles; i++) {
    const char *id = q->handles[i] && q->handles[i]->id ? q->handles[i]->id : "";
    if (!*id) return jet_status_make(JET_INVALID_ARGUMENT, "handles[%zu]: id is empty", i);
    ids[i] = id;
  }
  jet__v1__delete_array_response__init(r);
  uint32_t deleted;
  JET_RETURN_IF_ERROR(
      jet_store_delete(c->ctx->store, session, ids, (uint32_t)q->n_handles, &deleted));
  r->deleted = deleted;
  *resp = &r->base;
  return NULL;
}
