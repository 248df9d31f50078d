/* Mutation fuzzing of the wire decoders: packed graphs of every op, with
 * random byte flips, truncations and insertions, go through jet_rpc_unpack
 * and jet_graph_from_proto; the graph text goes through jet_graph_parse the
 * same way. Every outcome must be a graph or a status — never a crash, a
 * sanitizer report or a leak. Deterministic (fixed seed). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/protoconv.h"
#include "jet/rpc_codec.h"
#include "jet/text.h"
#include "text_test_graphs.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

/* Applies 1-4 random mutations to buf (len may change; cap >= len + 8). */
static size_t mutate(uint8_t *buf, size_t len, size_t cap) {
  int n = 1 + (int)(rnd() % 4);
  for (int k = 0; k < n && len > 0; k++) {
    size_t at = (size_t)(rnd() % len);
    switch (rnd() % 5) {
      case 0: buf[at] ^= (uint8_t)(1u << (rnd() % 8)); break;
      case 1: buf[at] = (uint8_t)rnd(); break;
      case 2: len = at + 1; break; /* truncate */
      case 3:                       /* insert a byte */
        if (len < cap) {
          memmove(buf + at + 1, buf + at, len - at);
          buf[at] = (uint8_t)rnd();
          len++;
        }
        break;
      default: { /* interesting values: varint extremes */
        static const uint8_t vals[] = {0x00, 0x7f, 0x80, 0xff, 0x01};
        buf[at] = vals[rnd() % sizeof vals];
      }
    }
  }
  return len;
}

static int decode_bytes(const uint8_t *bytes, size_t len) {
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)bytes, len);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  jet_arena *a = jet_arena_create(4096);
  assert_non_null(a);
  ProtobufCMessage *m = NULL;
  int ok = 0;
  jet_status st = jet_rpc_unpack(bb, &jet__v1__graph__descriptor, a, &m);
  if (!st) {
    jet_graph *g = NULL;
    st = jet_graph_from_proto((Jet__V1__Graph *)m, &g);
    if (!st) {
      ok = 1;
      jet_graph_destroy(g);
    }
  }
  if (st) {
    /* Errors carry a message and a real code. */
    assert_true(jet_status_code(st) != JET_OK);
    assert_true(strlen(jet_status_message(st)) > 0);
    jet_status_free(st);
  }
  jet_arena_destroy(a);
  grpc_byte_buffer_destroy(bb);
  return ok;
}

static void fuzz_proto(void **state) {
  (void)state;
  int accepted = 0, total = 0;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    jet_graph *g = NULL;
    if (tg_build_op_graph((jet_op)op, &g)) continue;
    jet_arena *a = jet_arena_create(4096);
    Jet__V1__Graph *pb = NULL;
    assert_null(jet_graph_to_proto(g, a, &pb));
    size_t len = protobuf_c_message_get_packed_size(&pb->base);
    uint8_t *orig = malloc(len), *buf = malloc(len + 16);
    assert_true(orig && buf);
    protobuf_c_message_pack(&pb->base, orig);
    assert_int_equal(decode_bytes(orig, len), 1); /* unmutated decodes */
    for (int it = 0; it < 150; it++) {
      memcpy(buf, orig, len);
      size_t n = mutate(buf, len, len + 16);
      accepted += decode_bytes(buf, n);
      total++;
    }
    free(orig);
    free(buf);
    jet_arena_destroy(a);
    jet_graph_destroy(g);
  }
  /* Most mutations must be refused; some (e.g. a changed dim that stays
   * consistent) may still decode to a valid graph. */
  print_message("proto mutations: %d of %d decoded to valid graphs\n", accepted, total);
  assert_true(total > 0 && accepted < total);
}

static void fuzz_text(void **state) {
  (void)state;
  int accepted = 0, total = 0;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    jet_graph *g = NULL;
    if (tg_build_op_graph((jet_op)op, &g)) continue;
    jet_strbuf sb;
    jet_strbuf_init(&sb);
    assert_null(jet_graph_print(g, &sb));
    size_t len = sb.len;
    uint8_t *buf = malloc(len + 16);
    assert_non_null(buf);
    for (int it = 0; it < 60; it++) {
      memcpy(buf, sb.data, len);
      size_t n = mutate(buf, len, len + 16);
      jet_graph *h = NULL;
      jet_status st = jet_graph_parse((const char *)buf, n, &h);
      if (!st) {
        accepted++;
        jet_graph_destroy(h);
      } else {
        assert_true(strlen(jet_status_message(st)) > 0);
        jet_status_free(st);
      }
      total++;
    }
    free(buf);
    jet_strbuf_free(&sb);
    jet_graph_destroy(g);
  }
  print_message("text mutations: %d of %d parsed to valid graphs\n", accepted, total);
  assert_true(total > 0 && accepted < total);
}

int main(void) {
  grpc_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(fuzz_proto),
      cmocka_unit_test(fuzz_text),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  grpc_shutdown_blocking();
  return rc;
}
