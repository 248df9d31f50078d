/* jet_array: arrays kept on the daemon (PutArray, GetArray, DeleteArray). */
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer.h>

#include "client_internal.h"
#include "jet/limits.h"
#include "jet/protoconv.h"
#include "jet/rpc_codec.h"
#include "jet/v1/jet.pb-c.h"

jet_array *jet__array_new(jet_client *c, const char *id, const jet_type *type) {
  jet_array *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  size_t n = strlen(id);
  a->id = malloc(n + 1);
  if (!a->id) {
    free(a);
    return NULL;
  }
  memcpy(a->id, id, n + 1);
  a->client = c;
  a->type = *type;
  return a;
}

const jet_type *jet_array_type(const jet_array *arr) { return arr ? &arr->type : NULL; }
const char *jet_array_id(const jet_array *arr) { return arr ? arr->id : ""; }
jet_client *jet_array_client(const jet_array *arr) { return arr ? arr->client : NULL; }

jet_status jet_array_wrap(jet_client *c, const char *id, const jet_type *type, jet_array **out) {
  if (!c || !id || !type || !out)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_array_wrap: NULL argument");
  *out = NULL;
  JET_RETURN_IF_ERROR(jet_type_check(type, "jet_array_wrap: type"));
  *out = jet__array_new(c, id, type);
  return *out ? NULL : jet_status_oom("jet_array");
}

jet_status jet__array_set_placement(jet_array *a, const Jet__V1__Placement *p) {
  free(a->devices);
  a->devices = NULL;
  a->n_devices = 0;
  if (!p || !p->n_devices) return NULL;
  if (!(a->devices = malloc(p->n_devices * sizeof(uint32_t)))) return jet_status_oom("placement");
  memcpy(a->devices, p->devices, p->n_devices * sizeof(uint32_t));
  a->n_devices = (uint32_t)p->n_devices;
  return NULL;
}

size_t jet_array_devices(const jet_array *arr, const uint32_t **devices) {
  if (devices) *devices = arr ? arr->devices : NULL;
  return arr ? arr->n_devices : 0;
}

void jet_array_release(jet_array *arr) {
  if (!arr) return;
  free(arr->devices);
  free(arr->id);
  free(arr);
}

jet_status jet_array_free(jet_array *arr) {
  if (!arr) return NULL;
  return jet_arrays_free(&arr, 1);
}

jet_status jet_arrays_free(jet_array *const *arrs, size_t n) {
  if (n == 0) return NULL;
  if (!arrs) return jet_status_make(JET_INVALID_ARGUMENT, "jet_arrays_free: NULL list");
  jet_client *c = NULL;
  size_t live = 0;
  for (size_t i = 0; i < n; i++)
    if (arrs[i]) {
      if (c && arrs[i]->client != c) {
        /* Mixed clients: one RPC per array. */
        jet_status st = NULL;
        for (size_t k = 0; k < n; k++) {
          jet_status s = jet_arrays_free(&arrs[k], arrs[k] ? 1 : 0);
          if (!st) st = s; else jet_status_free(s);
        }
        return st;
      }
      c = arrs[i]->client;
      if (!arrs[i]->donated) live++;
    }
  if (!live) {
    for (size_t i = 0; i < n; i++) jet_array_release(arrs[i]);
    return NULL;
  }
  jet_status st = NULL;
  jet_arena *arena = jet_arena_create(256 + live * 64);
  Jet__V1__ArrayHandle *hs = arena ? jet_arena_calloc(arena, live, sizeof *hs) : NULL;
  Jet__V1__ArrayHandle **hp = arena ? jet_arena_calloc(arena, live, sizeof *hp) : NULL;
  if (!hs || !hp) {
    st = jet_status_oom("DeleteArray request");
  } else {
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
      if (arrs[i] && !arrs[i]->donated) {
        jet__v1__array_handle__init(&hs[k]);
        hs[k].id = arrs[i]->id;
        hp[k] = &hs[k];
        k++;
      }
    Jet__V1__DeleteArrayRequest req = JET__V1__DELETE_ARRAY_REQUEST__INIT;
    req.n_handles = live;
    req.handles = hp;
    ProtobufCMessage *m = NULL;
    st = jet__rpc_unary(c, JET__M_DELETE_ARRAY, true, &req.base,
                        &jet__v1__delete_array_response__descriptor, arena, &m);
  }
  jet_arena_destroy(arena);
  /* DeleteArray is all-or-nothing: when the batch was refused (one handle
   * unknown), delete the rest one by one so each gets its own answer. */
  if (st && live > 1 && jet_status_code(st) == JET_NOT_FOUND) {
    jet_status_free(st);
    st = NULL;
    for (size_t i = 0; i < n; i++) {
      jet_status s = arrs[i] ? jet_arrays_free(&arrs[i], 1) : NULL;
      if (!st) st = s; else jet_status_free(s);
    }
    return st;
  }
  for (size_t i = 0; i < n; i++) jet_array_release(arrs[i]);
  return st;
}

/* PutArray onto `device`, or sharded onto shard_devices[n_shards]. */
static jet_status put(jet_client *c, const jet_type *type, const void *data, uint32_t device,
                      const uint32_t *shard_devices, size_t n_shards, jet_array **out) {
  if (!c || !type || !out)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_array_put: NULL argument");
  *out = NULL;
  JET_RETURN_IF_ERROR(jet_type_check(type, "jet_array_put: type"));
  size_t nbytes = jet_type_nbytes(type);
  if (nbytes > 0 && !data)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_array_put: data is NULL for %zu bytes",
                           nbytes);
  jet_arena *arena = jet_arena_create(1024);
  if (!arena) return jet_status_oom("PutArray request");
  Jet__V1__TensorType pbt = JET__V1__TENSOR_TYPE__INIT;
  jet_status st = jet_type_to_proto(type, arena, &pbt);
  if (st) {
    jet_arena_destroy(arena);
    return st;
  }
  jet__rpc_call call;
  st = jet__rpc_start(c, JET__M_PUT_ARRAY, true, &call);
  if (st) {
    jet_arena_destroy(arena);
    return st;
  }
  jet_status local = NULL;
  size_t off = 0;
  bool first = true;
  bool ok = true;
  while (ok && (first || off < nbytes)) {
    Jet__V1__PutArrayChunk chunk = JET__V1__PUT_ARRAY_CHUNK__INIT;
    if (first) {
      chunk.type = &pbt;
      chunk.device = device;
      chunk.n_shard_devices = n_shards;
      chunk.shard_devices = (uint32_t *)shard_devices;
    }
    size_t len = nbytes - off;
    if (len > JET_CHUNK_BYTES) len = JET_CHUNK_BYTES;
    chunk.data.len = len;
    chunk.data.data = len ? (uint8_t *)data + off : NULL;
    ok = jet__rpc_send(&call, &chunk.base, &local);
    off += len;
    first = false;
  }
  grpc_byte_buffer *bb = NULL;
  if (!local) {
    /* Even after a failed send the status explains it; read the reply. */
    (void)jet__rpc_close_send(&call);
    (void)jet__rpc_recv(&call, &bb);
  }
  st = jet__rpc_finish(&call, local);
  if (!st) {
    ProtobufCMessage *m = NULL;
    st = jet_rpc_unpack(bb, &jet__v1__put_array_response__descriptor, arena, &m);
    if (!st) {
      const Jet__V1__PutArrayResponse *r = (const Jet__V1__PutArrayResponse *)m;
      if (!r->handle || !r->handle->id || !r->handle->id[0]) {
        st = jet_status_make(JET_INTERNAL, "PutArray: the server's reply has no handle");
      } else {
        *out = jet__array_new(c, r->handle->id, type);
        if (!*out) st = jet_status_oom("jet_array");
        if (!st) st = jet__array_set_placement(*out, r->placement);
        if (st) {
          jet_array_release(*out);
          *out = NULL;
        }
      }
    }
  }
  if (bb) grpc_byte_buffer_destroy(bb);
  jet_arena_destroy(arena);
  return st;
}

jet_status jet_array_put_device(jet_client *c, const jet_type *type, const void *data,
                                uint32_t device, jet_array **out) {
  return put(c, type, data, device, NULL, 0, out);
}

jet_status jet_array_put_sharded(jet_client *c, const jet_type *type, const void *data,
                                 const uint32_t *devices, size_t n, jet_array **out) {
  if (n == 0 || !devices)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_array_put_sharded: no devices given");
  return put(c, type, data, 0, devices, n, out);
}

jet_status jet_array_put(jet_client *c, const jet_type *type, const void *data, jet_array **out) {
  return jet_array_put_device(c, type, data, 0, out);
}

/* The type of block `shard` of arr (the whole type when shard < 0). */
static jet_status part_type(const jet_array *arr, long shard, jet_type *t) {
  *t = arr->type;
  if (shard < 0) return NULL;
  const uint32_t n = arr->n_devices ? arr->n_devices : 1;
  if ((unsigned long)shard >= n)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "jet_array_get_shard: block %ld does not exist (array %s has %u)",
                           shard, arr->id, n);
  if (n > 1) t->dims[0] /= n;
  return NULL;
}

/* GetArray of the whole array (shard < 0) or of one block. */
static jet_status get(const jet_array *arr, long shard, void *dst, size_t cap) {
  if (!arr) return jet_status_make(JET_INVALID_ARGUMENT, "jet_array_get: array is NULL");
  jet_type want;
  JET_RETURN_IF_ERROR(part_type(arr, shard, &want));
  size_t nbytes = jet_type_nbytes(&want);
  if (cap < nbytes)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "jet_array_get: the buffer holds %zu bytes but array %s needs %zu",
                           cap, arr->id, nbytes);
  if (nbytes > 0 && !dst)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_array_get: dst is NULL");
  Jet__V1__GetArrayRequest req = JET__V1__GET_ARRAY_REQUEST__INIT;
  Jet__V1__ArrayHandle h = JET__V1__ARRAY_HANDLE__INIT;
  h.id = arr->id;
  req.handle = &h;
  req.chunk_bytes = JET_CHUNK_BYTES;
  req.one_shard = shard >= 0;
  req.shard = shard >= 0 ? (uint32_t)shard : 0;
  jet__rpc_call call;
  JET_RETURN_IF_ERROR(jet__rpc_start(arr->client, JET__M_GET_ARRAY, true, &call));
  jet_status local = NULL;
  if (!jet__rpc_send(&call, &req.base, &local) || !jet__rpc_close_send(&call)) {
    return jet__rpc_finish(&call, local);
  }
  size_t off = 0;
  bool first = true;
  for (;;) {
    grpc_byte_buffer *bb = NULL;
    if (!jet__rpc_recv(&call, &bb) || !bb) break;
    jet_arena *arena = jet_arena_create(4096);
    if (!arena) {
      grpc_byte_buffer_destroy(bb);
      local = jet_status_oom("GetArray chunk");
      break;
    }
    ProtobufCMessage *m = NULL;
    local = jet_rpc_unpack(bb, &jet__v1__get_array_chunk__descriptor, arena, &m);
    grpc_byte_buffer_destroy(bb);
    if (!local) {
      const Jet__V1__GetArrayChunk *ch = (const Jet__V1__GetArrayChunk *)m;
      if (first) {
        jet_type t;
        if (!ch->type) {
          local = jet_status_make(JET_DATA_LOSS, "GetArray %s: the first chunk has no type",
                                  arr->id);
        } else if (!(local = jet_type_from_proto(ch->type, "GetArrayChunk.type", &t)) &&
                   !jet_type_equal(&t, &want)) {
          char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
          local = jet_status_make(JET_DATA_LOSS, "GetArray %s: the server says type %s, not %s",
                                  arr->id, jet_type_str(&t, a, sizeof a),
                                  jet_type_str(&want, b, sizeof b));
        }
        first = false;
      }
      if (!local) {
        if (ch->data.len > nbytes - off) {
          local = jet_status_make(JET_DATA_LOSS,
                                  "GetArray %s: the server sent more than the %zu bytes of the "
                                  "array", arr->id, nbytes);
        } else if (ch->data.len) {
          memcpy((uint8_t *)dst + off, ch->data.data, ch->data.len);
          off += ch->data.len;
        }
      }
    }
    jet_arena_destroy(arena);
    if (local) break;
  }
  if (local) jet__rpc_cancel(&call);
  jet_status st = jet__rpc_finish(&call, local);
  if (!st && first)
    st = jet_status_make(JET_DATA_LOSS, "GetArray %s: the server sent no chunk", arr->id);
  if (!st && off != nbytes)
    st = jet_status_make(JET_DATA_LOSS, "GetArray %s: received %zu of %zu bytes", arr->id, off,
                         nbytes);
  return st;
}

jet_status jet_array_get(const jet_array *arr, void *dst, size_t cap) {
  return get(arr, -1, dst, cap);
}

jet_status jet_array_get_shard(const jet_array *arr, size_t shard, void *dst, size_t cap) {
  if (shard > ((size_t)1 << 30))
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_array_get_shard: block %zu does not exist",
                           shard);
  return get(arr, (long)shard, dst, cap);
}

jet_status jet_array_get_alloc(const jet_array *arr, void **data, size_t *nbytes) {
  if (!arr || !data || !nbytes)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_array_get_alloc: NULL argument");
  *data = NULL;
  *nbytes = 0;
  size_t n = jet_type_nbytes(&arr->type);
  void *buf = malloc(n ? n : 1);
  if (!buf) return jet_status_oom("array data");
  jet_status st = jet_array_get(arr, buf, n);
  if (st) {
    free(buf);
    return st;
  }
  *data = buf;
  *nbytes = n;
  return NULL;
}
