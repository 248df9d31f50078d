/* Moving protobuf-c messages in and out of gRPC byte buffers; used by the
 * daemon and by libjet alike. Thread-safe. */
#ifndef JET_RPC_CODEC_H
#define JET_RPC_CODEC_H

#include <grpc/byte_buffer.h>
#include <grpc/grpc.h>
#include <protobuf-c/protobuf-c.h>

#include "jet/arena.h"
#include "jet/status.h"

/* Packs m into a new byte buffer (caller destroys it with
 * grpc_byte_buffer_destroy). NULL on out-of-memory. */
grpc_byte_buffer *jet_rpc_pack(const ProtobufCMessage *m);

/* Unpacks bb (not consumed) as a message of descriptor d; every allocation
 * comes from arena, so the message dies with it. A NULL bb decodes as an
 * empty message. Malformed bytes are INVALID_ARGUMENT naming the message
 * type. */
jet_status jet_rpc_unpack(grpc_byte_buffer *bb, const ProtobufCMessageDescriptor *d,
                          jet_arena *arena, ProtobufCMessage **out) JET_MUST_USE;

/* Maps a gRPC status code to jet_code (same numbers) and back. */
#define JET_CODE_FROM_GRPC(c) ((jet_code)(c))

#endif
