/* protobuf-c messages in and out of gRPC byte buffers (recipe: docs §B5). */
#include "jet/rpc_codec.h"

#include <string.h>

#include "jet/bigbuf.h"

#include <grpc/byte_buffer_reader.h>
#include <grpc/slice.h>

#include "jet/protoconv.h"

grpc_byte_buffer *jet_rpc_pack(const ProtobufCMessage *m) {
  if (m == NULL) return NULL;
  size_t n = protobuf_c_message_get_packed_size(m);
  grpc_slice s = grpc_slice_malloc(n);
  if (n > 0 && GRPC_SLICE_START_PTR(s) == NULL) return NULL;
  protobuf_c_message_pack(m, GRPC_SLICE_START_PTR(s));
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1); /* takes its own ref */
  grpc_slice_unref(s);
  return bb;
}

/* An arena allocator that remembers whether it ran out, so that a failed
 * unpack can be told apart from malformed bytes. */
typedef struct tracked_arena {
  jet_arena *arena;
  bool failed;
} tracked_arena;

static void *tracked_alloc(void *data, size_t size) {
  tracked_arena *t = data;
  void *p = jet_arena_alloc(t->arena, size ? size : 1);
  if (p == NULL) t->failed = true;
  return p;
}

static void tracked_free(void *data, void *p) {
  (void)data;
  (void)p;
}

jet_status jet_rpc_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d,
                          jet_arena *arena, ProtobufCMessage **out) {
  *out = NULL;
  tracked_arena ta = {arena, false};
  ProtobufCAllocator alloc = {.alloc = tracked_alloc, .free = tracked_free, .allocator_data = &ta};
  ProtobufCMessage *m = NULL;
  if (bb == NULL) {
    static const uint8_t empty[1] = {0};
    m = protobuf_c_message_unpack(d, &alloc, 0, empty);
  } else {
    grpc_byte_buffer_reader r;
    if (!grpc_byte_buffer_reader_init(&r, bb))
      return jet_status_make(JET_INVALID_ARGUMENT, "could not read %s message (bad compression?)",
                             d->name);
    /* One contiguous copy for protobuf-c, in a reused buffer (readall would
     * fault in a fresh one for every large message). */
    size_t len = grpc_byte_buffer_length(bb);
    uint8_t *buf = jet_bigbuf_alloc(len);
    if (!buf) {
      grpc_byte_buffer_reader_destroy(&r);
      return jet_status_oom(d->name);
    }
    size_t off = 0;
    grpc_slice s;
    while (grpc_byte_buffer_reader_next(&r, &s)) {
      size_t n = GRPC_SLICE_LENGTH(s);
      if (n > len - off) n = len - off;
      memcpy(buf + off, GRPC_SLICE_START_PTR(s), n);
      off += n;
      grpc_slice_unref(s);
    }
    grpc_byte_buffer_reader_destroy(&r);
    m = protobuf_c_message_unpack(d, &alloc, off, buf);
    jet_bigbuf_free(buf);
  }
  if (m == NULL) {
    if (ta.failed) return jet_status_oom(d->name);
    return jet_status_make(JET_INVALID_ARGUMENT, "malformed %s message", d->name);
  }
  *out = m;
  return NULL;
}
