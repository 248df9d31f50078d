/* The entry format of the on-disk compile cache (disk_cache.h): a 128-byte
 * checksummed header and the compiled graph in the text form. Pure
 * functions, no files. */
#include "compiler/disk_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "jet/hash.h"
#include "jet/strbuf.h"
#include "jet/text.h"

#define MAGIC "JETXCACH"
#define ID_HEX 32
#define OFF_FORMAT 8
#define OFF_HDR_SIZE 12
#define OFF_VERSION 16
#define OFF_ID 64
#define OFF_LEN 96
#define OFF_SUM 104
#define OFF_GRAPH 112
#define OFF_HDR_SUM 120

static void put_u32(unsigned char *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put_u64(unsigned char *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get_u32(const unsigned char *p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}
static uint64_t get_u64(const unsigned char *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

bool jet_disk_id_valid(const char *id) {
  size_t i = 0;
  for (; id[i]; i++)
    if (!((id[i] >= '0' && id[i] <= '9') || (id[i] >= 'a' && id[i] <= 'f'))) return false;
  return i == ID_HEX;
}

static uint64_t graph_hash8(const jet_graph *g) {
  jet_hash h = jet_graph_hash(g, NULL, 0, NULL, 0);
  return get_u64(h.bytes);
}

jet_status jet_disk_entry_encode(const char *id, const char *version, const jet_graph *graph,
                                 unsigned char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  if (!jet_disk_id_valid(id)) return jet_status_make(JET_INVALID_ARGUMENT, "disk cache: bad id '%.40s'", id);
  if (strlen(version) >= JET_DISK_VERSION_BYTES)
    return jet_status_make(JET_INVALID_ARGUMENT, "disk cache: version '%.60s' is too long",
                           version);
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_graph_print(graph, &sb);
  if (!st) st = jet_strbuf_status(&sb);
  if (st) {
    jet_strbuf_free(&sb);
    return st;
  }
  size_t n = JET_DISK_HEADER_BYTES + sb.len;
  unsigned char *buf = calloc(1, n);
  if (!buf) {
    jet_strbuf_free(&sb);
    return jet_status_oom("disk cache entry");
  }
  memcpy(buf, MAGIC, 8);
  put_u32(buf + OFF_FORMAT, JET_DISK_FORMAT_VERSION);
  put_u32(buf + OFF_HDR_SIZE, JET_DISK_HEADER_BYTES);
  memcpy(buf + OFF_VERSION, version, strlen(version));
  memcpy(buf + OFF_ID, id, ID_HEX);
  put_u64(buf + OFF_LEN, sb.len);
  memcpy(buf + JET_DISK_HEADER_BYTES, sb.data, sb.len);
  put_u64(buf + OFF_SUM, XXH3_64bits(buf + JET_DISK_HEADER_BYTES, sb.len));
  put_u64(buf + OFF_GRAPH, graph_hash8(graph));
  put_u64(buf + OFF_HDR_SUM, XXH3_64bits(buf, OFF_HDR_SUM));
  jet_strbuf_free(&sb);
  *out = buf;
  *len = n;
  return NULL;
}

#define BAD(...) jet_status_make(JET_INVALID_ARGUMENT, __VA_ARGS__)

jet_status jet_disk_entry_decode(const char *id, const char *version, const unsigned char *buf,
                                 size_t len, jet_graph **graph) {
  *graph = NULL;
  if (len < 16 || memcmp(buf, MAGIC, 8) != 0)
    return BAD(len < 8 ? "truncated header (%zu bytes)" : "bad magic (%zu bytes)", len);
  uint32_t format = get_u32(buf + OFF_FORMAT);
  if (format != JET_DISK_FORMAT_VERSION)
    return BAD("format version %u, expected %u", format, JET_DISK_FORMAT_VERSION);
  if (len < JET_DISK_HEADER_BYTES) return BAD("truncated header (%zu bytes)", len);
  if (get_u32(buf + OFF_HDR_SIZE) != JET_DISK_HEADER_BYTES)
    return BAD("header size %u, expected %u", get_u32(buf + OFF_HDR_SIZE), JET_DISK_HEADER_BYTES);
  if (XXH3_64bits(buf, OFF_HDR_SUM) != get_u64(buf + OFF_HDR_SUM))
    return BAD("header checksum mismatch");
  char have[JET_DISK_VERSION_BYTES + 1];
  memcpy(have, buf + OFF_VERSION, JET_DISK_VERSION_BYTES);
  have[JET_DISK_VERSION_BYTES] = '\0';
  if (strcmp(have, version) != 0)
    return BAD("compiler version '%s', expected '%s'", have, version);
  if (strlen(id) != ID_HEX || memcmp(buf + OFF_ID, id, ID_HEX) != 0)
    return BAD("entry is for id %.32s, expected %.32s", (const char *)(buf + OFF_ID), id);
  uint64_t plen = get_u64(buf + OFF_LEN);
  if (plen != len - JET_DISK_HEADER_BYTES)
    return BAD("payload is %zu bytes, header says %llu (%s)", len - JET_DISK_HEADER_BYTES,
               (unsigned long long)plen,
               plen > len - JET_DISK_HEADER_BYTES ? "truncated" : "trailing bytes");
  const unsigned char *payload = buf + JET_DISK_HEADER_BYTES;
  if (XXH3_64bits(payload, (size_t)plen) != get_u64(buf + OFF_SUM))
    return BAD("payload checksum mismatch");
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse((const char *)payload, (size_t)plen, &g);
  if (st) return jet_status_annotate(st, "payload does not parse: ");
  /* jet_graph_parse validated it; check it is the graph that was written
   * (the text form round-trips literals exactly; if it ever did not, the
   * entry is refused here rather than run with other values). */
  if (graph_hash8(g) != get_u64(buf + OFF_GRAPH)) {
    jet_graph_destroy(g);
    return BAD("parsed graph does not hash to the stored graph hash");
  }
  *graph = g;
  return NULL;
}
