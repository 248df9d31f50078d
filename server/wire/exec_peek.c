/* The device hint of an Execute from its undecoded request (contract in
 * exec_peek.h). Protobuf wire format: a field is a varint key (number << 3
 * | wire type) then a varint (type 0), 8 bytes (1), a varint length and
 * that many bytes (2), or 4 bytes (5). ExecuteRequest.args = 2 (Argument);
 * Argument.handle = 1 (ArrayHandle); ArrayHandle.id = 1 (string). */
#include "wire/exec_peek.h"

#include <grpc/byte_buffer_reader.h>
#include <string.h>

#include "runtime/store.h"
#include "wire/call.h"

#define MAX_HANDLES 256
#define MAX_ID 128

/* A cursor over the slices of a byte buffer. */
typedef struct rd {
  grpc_byte_buffer_reader r;
  const uint8_t *p, *end;
  uint64_t pos, total;
} rd;

static bool next_slice(rd *x) {
  grpc_slice *s;
  while (grpc_byte_buffer_reader_peek(&x->r, &s)) {
    x->p = GRPC_SLICE_START_PTR(*s);
    x->end = x->p + GRPC_SLICE_LENGTH(*s);
    if (x->p < x->end) return true;
  }
  return false;
}

static bool get_byte(rd *x, uint8_t *b) {
  if (x->p == x->end && !next_slice(x)) return false;
  *b = *x->p++;
  x->pos++;
  return true;
}

static bool skip(rd *x, uint64_t n) {
  if (n > x->total - x->pos) return false;
  while (n) {
    if (x->p == x->end && !next_slice(x)) return false;
    const uint64_t have = (uint64_t)(x->end - x->p), k = n < have ? n : have;
    x->p += k;
    x->pos += k;
    n -= k;
  }
  return true;
}

static bool varint(rd *x, uint64_t *v) {
  *v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    uint8_t b;
    if (!get_byte(x, &b)) return false;
    *v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

/* A length-delimited field's end (checked against the enclosing end). */
static bool scope(rd *x, uint64_t outer_end, uint64_t *end) {
  uint64_t len;
  if (!varint(x, &len) || len > outer_end - x->pos) return false;
  *end = x->pos + len;
  return true;
}

static bool skip_field(rd *x, uint32_t wire_type, uint64_t outer_end) {
  uint64_t v;
  switch (wire_type) {
    case 0: return varint(x, &v);
    case 1: return skip(x, 8);
    case 2: return scope(x, outer_end, &v) && skip(x, v - x->pos);
    case 5: return skip(x, 4);
    default: return false; /* groups (3, 4) and reserved types */
  }
}

/* ArrayHandle up to end: its id into id ("" when absent or too long). */
static bool scan_handle(rd *x, uint64_t end, char id[MAX_ID + 1]) {
  id[0] = '\0';
  while (x->pos < end) {
    uint64_t key;
    if (!varint(x, &key)) return false;
    if (key == ((1 << 3) | 2)) {
      uint64_t e;
      if (!scope(x, end, &e)) return false;
      const uint64_t n = e - x->pos;
      if (n > MAX_ID) {
        id[0] = '\0';
        if (!skip(x, n)) return false;
        continue;
      }
      for (uint64_t i = 0; i < n; i++) {
        uint8_t b;
        if (!get_byte(x, &b)) return false;
        id[i] = (char)b;
      }
      id[n] = '\0';
    } else if (!skip_field(x, (uint32_t)(key & 7), end)) {
      return false;
    }
  }
  return x->pos == end;
}

bool jet__execute_scan_handles(grpc_byte_buffer *bb, bool (*fn)(void *ctx, const char *id),
                               void *ctx) {
  rd x;
  memset(&x, 0, sizeof x);
  if (!bb || !grpc_byte_buffer_reader_init(&x.r, bb)) return false;
  x.total = grpc_byte_buffer_length(bb);
  bool ok = true;
  uint32_t seen = 0;
  while (ok && x.pos < x.total && seen < MAX_HANDLES) {
    uint64_t key, end;
    if (!(ok = varint(&x, &key))) break;
    if (key != ((2 << 3) | 2)) { /* not an argument */
      ok = skip_field(&x, (uint32_t)(key & 7), x.total);
      continue;
    }
    if (!(ok = scope(&x, x.total, &end))) break;
    bool stop = false;
    while (ok && x.pos < end) { /* Argument */
      uint64_t k2;
      if (!(ok = varint(&x, &k2))) break;
      if (k2 == ((1 << 3) | 2)) {
        uint64_t hend;
        char id[MAX_ID + 1];
        ok = scope(&x, end, &hend) && scan_handle(&x, hend, id);
        if (ok) {
          seen++;
          stop = fn(ctx, id);
        }
      } else {
        ok = skip_field(&x, (uint32_t)(k2 & 7), end);
      }
    }
    if (ok && x.pos != end) ok = false;
    if (stop) break;
  }
  grpc_byte_buffer_reader_destroy(&x.r);
  return ok;
}

typedef struct hint {
  jet_store *store;
  const char *session;
  uint32_t device;
} hint;

static bool committed_device(void *ctx, const char *id) {
  hint *h = ctx;
  jet_buffer *a = NULL;
  jet_status st = id[0] ? jet_store_get(h->store, h->session, id, "args", &a) : NULL;
  if (st) {
    jet_status_free(st);
    return false;
  }
  if (!a) return false;
  const bool committed = a->n_shards == 0;
  if (committed) h->device = a->device;
  jet_buffer_release(a);
  return committed;
}

uint32_t jet__execute_device_hint(jet_call *c) {
  const char *session = NULL;
  if (!c->payload || !c->has_session) return 0;
  jet_status st = jet__call_session(c, &session);
  if (st) {
    jet_status_free(st);
    return 0;
  }
  hint h = {.store = c->ctx->store, .session = session, .device = 0};
  (void)jet__execute_scan_handles(c->payload, committed_device, &h);
  return h.device;
}
