/* libFuzzer target: request decoding as jetd does it (issue 9).
 *
 * Input: byte 0 picks the message (mod 3): 0 CompileRequest, 1
 * ExecuteRequest, 2 PutArrayChunk; the rest is the message's wire bytes
 * (the seed corpus holds real requests made by corpus_gen.c). The bytes go
 * through a gRPC byte buffer and jet_rpc_unpack (jetd's unpack), then the
 * same conversion and validation jetd's handlers apply before touching the
 * store or the compiler:
 *   Compile: jet__wire_decode_graph_request (graph under the default
 *            max-nodes, arg_types, transforms, jet_transforms_bind_args);
 *   Execute: each argument's inline array through jet_array_from_proto;
 *   PutArrayChunk: jet_type_from_proto of the first chunk's type and the
 *            byte count it implies.
 * An ExecuteRequest's bytes also go through the device hint's scanner
 * (wire/exec_peek.h), which reads them undecoded on the loop thread.
 * Errors are fine (each must carry a code and a message); crashes, leaks,
 * sanitizer reports and hangs are not. Owned by the fuzzload helper. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/byte_buffer.h>
#include <grpc/slice.h>

#include "jet/arena.h"
#include "jet/protoconv.h"
#include "jet/rpc_codec.h"
#include "jet/v1/jet.pb-c.h"
#include "wire/exec_peek.h"
#include "wire/graph_request.h"

#define MAX_NODES 1000000 /* jetd's default max-nodes */

static void check(jet_status st) {
  if (!st) return;
  if (jet_status_code(st) == JET_OK || !jet_status_message(st)[0]) abort();
  jet_status_free(st);
}

static jet_status compile_req(const Jet__V1__CompileRequest *q, jet_arena *a) {
  jet_graph *g;
  jet_type *args;
  jet_transform *tfs;
  JET_RETURN_IF_ERROR(jet__wire_decode_graph_request(q->graph, MAX_NODES, q->arg_types,
                                                     q->n_arg_types, q->transforms,
                                                     q->n_transforms, a, &g, &args, &tfs));
  jet_graph_destroy(g);
  return NULL;
}

static jet_status execute_req(const Jet__V1__ExecuteRequest *q) {
  for (size_t i = 0; i < q->n_args; i++) {
    const Jet__V1__Argument *arg = q->args[i];
    if (arg->value_case == JET__V1__ARGUMENT__VALUE_INLINE) {
      jet_type t;
      const void *data;
      JET_RETURN_IF_ERROR(jet_array_from_proto(arg->inline_, "args[i]", &t, &data));
      if (jet_type_nbytes(&t) && !data) abort();
    } else if (arg->value_case != JET__V1__ARGUMENT__VALUE_HANDLE) {
      return jet_status_make(JET_INVALID_ARGUMENT, "args[%zu]: neither handle nor inline", i);
    }
  }
  return NULL;
}

static jet_status put_chunk(const Jet__V1__PutArrayChunk *ch) {
  if (!ch->type) return jet_status_make(JET_INVALID_ARGUMENT, "type: missing in first chunk");
  jet_type t;
  JET_RETURN_IF_ERROR(jet_type_from_proto(ch->type, "type", &t));
  size_t n = jet_type_nbytes(&t);
  if (ch->data.len > n)
    return jet_status_make(JET_INVALID_ARGUMENT, "data: %zu bytes, expected %zu", ch->data.len, n);
  return NULL;
}

static bool count_id(void *ctx, const char *id) {
  if (strlen(id) > 128) abort();
  ++*(uint32_t *)ctx;
  return false;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  grpc_init();
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  static const ProtobufCMessageDescriptor *const descs[3] = {
      &jet__v1__compile_request__descriptor, &jet__v1__execute_request__descriptor,
      &jet__v1__put_array_chunk__descriptor};
  int which = data[0] % 3;
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)data + 1, size - 1);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  jet_arena *a = jet_arena_create(4096);
  if (!a || !bb) abort();
  if (which == 1) {
    uint32_t n_ids = 0;
    (void)jet__execute_scan_handles(bb, count_id, &n_ids);
    if (n_ids > 256) abort();
  }
  ProtobufCMessage *m = NULL;
  jet_status st = jet_rpc_unpack(bb, descs[which], a, &m);
  if (!st) {
    if (which == 0) st = compile_req((const Jet__V1__CompileRequest *)m, a);
    else if (which == 1) st = execute_req((const Jet__V1__ExecuteRequest *)m);
    else st = put_chunk((const Jet__V1__PutArrayChunk *)m);
  }
  check(st);
  jet_arena_destroy(a);
  grpc_byte_buffer_destroy(bb);
  return 0;
}
