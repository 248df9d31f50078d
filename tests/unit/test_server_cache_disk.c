/* The persistent on-disk compile cache (server/compiler/disk_cache.c and
 * its use by compile.c): the entry format round-trips graphs exactly
 * (literals bit for bit), a restarted cache finds its entries (disk hits
 * that run like the original), corrupt / truncated / version-mismatched /
 * wrong-id / wrong-signature entries are discarded, deleted and compiled
 * again, writes leave no temporary files, a failed write does not fail the
 * compile, and the directory stays under its byte bound (oldest out). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "compiler/compile.h"
#include "exec.h"
#include "jet/hash.h"
#include "jet/text.h"
#include "graph_build.h"
#include "mem.h"

/* ---- temporary directories and files ---- */

static void make_dir(char *out, size_t cap) {
  const char *base = getenv("TMPDIR");
  snprintf(out, cap, "%s/jet-cache-test-XXXXXX", base && *base ? base : "/tmp");
  assert_non_null(mkdtemp(out));
}

static void rm_rf(const char *dir) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *de;
  char p[4096];
  while ((de = readdir(d)) != NULL) {
    if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, "..")) continue;
    snprintf(p, sizeof p, "%s/%s", dir, de->d_name);
    unlink(p);
  }
  closedir(d);
  rmdir(dir);
}

/* Files in dir whose name ends with suffix. */
static int count_files(const char *dir, const char *suffix) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  int n = 0;
  struct dirent *de;
  while ((de = readdir(d)) != NULL) {
    size_t l = strlen(de->d_name), s = strlen(suffix);
    if (l > s && strcmp(de->d_name + l - s, suffix) == 0) n++;
  }
  closedir(d);
  return n;
}

static void entry_file(const char *dir, const char *id, char *out, size_t cap) {
  snprintf(out, cap, "%s/%s%s", dir, id, JET_DISK_FILE_SUFFIX);
}

static unsigned char *read_whole(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc((size_t)n + 1);
  assert_non_null(buf);
  assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
  fclose(f);
  *len = (size_t)n;
  return buf;
}

static void write_whole(const char *path, const unsigned char *buf, size_t len) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(buf, 1, len, f), len);
  fclose(f);
}

static bool exists(const char *path) {
  struct stat sb;
  return stat(path, &sb) == 0;
}

/* Rewrites byte `at` of the file at path (counted from the end when
 * negative): xor_byte flips the bits of mask, set_byte stores v. */
static void edit_byte(const char *path, long at, bool set, unsigned char v) {
  size_t len;
  unsigned char *buf = read_whole(path, &len);
  size_t i = at < 0 ? len - (size_t)-at : (size_t)at;
  assert_true(i < len);
  buf[i] = set ? v : (unsigned char)(buf[i] ^ v);
  write_whole(path, buf, len);
  free(buf);
}
static void xor_byte(const char *path, long at, unsigned char mask) {
  edit_byte(path, at, false, mask);
}
static void set_byte(const char *path, long at, unsigned char v) { edit_byte(path, at, true, v); }

/* ---- graphs ---- */

static const float K[4] = {0.1f, 1e-45f, -0.0f, 3.4028235e38f};

/* f(x: f32[4]) = x * K + K * x (CSE'd by cleanup), with a literal whose
 * values only an exact round trip keeps. */
static jet_graph *lit_graph(int64_t scale_id) {
  jet_graph *g = jet_graph_create("lit");
  int64_t n = 4;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value x, k, a, b, s;
  assert_null(jet_graph_add_param(g, &t, &x));
  float data[4];
  memcpy(data, K, sizeof data);
  data[0] *= (float)scale_id;
  jet_attr attr = gb_lit("value", t, data, sizeof data);
  assert_null(jet_graph_add_node(g, JET_OP_CONSTANT, NULL, 0, &attr, 1, NULL, NULL, 0, &k));
  jet_value xk[2] = {x, k}, kx[2] = {x, k};
  assert_null(jet_graph_add_node(g, JET_OP_MUL, xk, 2, NULL, 0, NULL, NULL, 0, &a));
  assert_null(jet_graph_add_node(g, JET_OP_MUL, kx, 2, NULL, 0, NULL, NULL, 0, &b));
  jet_value ab[2] = {a, b};
  assert_null(jet_graph_add_node(g, JET_OP_ADD, ab, 2, NULL, 0, NULL, NULL, 0, &s));
  assert_null(jet_graph_set_outputs(g, &s, 1));
  return g;
}

/* g(x: f32[n]) = x + x. */
static jet_graph *add_graph(int64_t n) {
  jet_graph *g = jet_graph_create("add");
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value p, r;
  assert_null(jet_graph_add_param(g, &t, &p));
  jet_value ops[2] = {p, p};
  assert_null(jet_graph_add_node(g, JET_OP_ADD, ops, 2, NULL, 0, NULL, NULL, 0, &r));
  assert_null(jet_graph_set_outputs(g, &r, 1));
  return g;
}

static void id_of(jet_graph *g, char id[33]) { jet_compiler_key(g, NULL, 0, NULL, 0, id); }

/* The input most runs use. */
static const float IN[4] = {1.0f, 0.0f, -3.0f, 0.5f};

/* Runs a one-input f32[4] executable; out gets 4 floats. The inputs used
 * keep every product normal or zero, so flush-to-zero would not matter. */
static void run4(const jet_executable *e, const float in[4], float out[4]) {
  int64_t n = 4;
  jet_buf arg = {jet_type_make(JET_F32, 1, &n), (void *)in};
  jet_buf res;
  jet_exec_ctl ctl;
  memset(&ctl, 0, sizeof ctl);
  jet_status st = jet_program_run(e->program, &arg, 1, NULL, &res, &ctl);
  if (st) fail_msg("run: %s", jet_status_message(st));
  memcpy(out, res.data, 4 * sizeof(float));
  jet_mem_free(res.data);
}

/* ---- caches ---- */

static jet_cache *open_cache(const char *dir, uint64_t dir_bytes, const char *version) {
  jet_cache_options o = {.max_entries = 64,
                         .max_bytes = 1u << 30,
                         .disk_dir = dir,
                         .disk_max_bytes = dir_bytes,
                         .compiler_version = version};
  jet_cache *c = NULL;
  jet_status st = jet_cache_open(&o, &c);
  if (st) fail_msg("jet_cache_open: %s", jet_status_message(st));
  return c;
}

static jet_executable *compile(jet_cache *c, jet_graph *g, jet_compile_source want,
                               jet_compile_result *r) {
  jet_executable *e = NULL;
  jet_status st = jet_compiler_compile_ex(c, g, NULL, 0, NULL, 0, &e, r);
  if (st) fail_msg("compile: %s", jet_status_message(st));
  if (r->source != want)
    fail_msg("source %s, expected %s (note: %s)", jet_compile_source_name(r->source),
             jet_compile_source_name(want), r->disk_note);
  return e;
}

/* Compiles lit_graph(1) in a fresh cache over dir; returns its id, its
 * results and the node count of the compiled graph. */
static void seed(const char *dir, char id[33], float out[4], uint32_t *nodes) {
  jet_cache *c = open_cache(dir, 1u << 30, NULL);
  jet_compile_result r;
  jet_graph *g = lit_graph(1);
  id_of(g, id);
  jet_executable *e = compile(c, g, JET_COMPILE_COMPILED, &r);
  assert_string_equal(r.disk_note, "");
  if (out) run4(e, IN, out);
  if (nodes) *nodes = e->graph->n_nodes;
  jet_executable_release(e);
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.disk_entries, 1);
  assert_true(st.disk_bytes > JET_DISK_HEADER_BYTES);
  jet_cache_destroy(c);
  char path[4096];
  entry_file(dir, id, path, sizeof path);
  assert_true(exists(path));
  assert_int_equal(count_files(dir, ".tmp"), 0);
}

/* A new directory dir with lit_graph(1)'s entry (seed), at path. */
static void seed_entry(char dir[512], char id[33], char path[4096]) {
  make_dir(dir, 512);
  seed(dir, id, NULL, NULL);
  entry_file(dir, id, path, 4096);
}

/* A fresh cache over dir compiles lit_graph(1) again: expects a discard
 * (the note mentions `why`), a recompile, and a good entry afterwards. */
static void expect_discarded(const char *dir, const char *why) {
  jet_cache *c = open_cache(dir, 1u << 30, NULL);
  jet_compile_result r;
  jet_executable *e = compile(c, lit_graph(1), JET_COMPILE_COMPILED, &r);
  if (!strstr(r.disk_note, why)) fail_msg("note '%s' lacks '%s'", r.disk_note, why);
  assert_non_null(strstr(r.disk_note, "discarded"));
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.disk_discarded, 1);
  assert_int_equal(st.disk_hits, 0);
  assert_int_equal(st.misses, 1);
  assert_int_equal(st.disk_entries, 1); /* written again */
  float out[4], want[4];
  run4(e, IN, out);
  for (int i = 0; i < 4; i++) want[i] = IN[i] * K[i] + IN[i] * K[i];
  assert_memory_equal(out, want, sizeof out);
  jet_executable_release(e);
  jet_cache_destroy(c);
  /* The rewritten entry is good. */
  c = open_cache(dir, 1u << 30, NULL);
  e = compile(c, lit_graph(1), JET_COMPILE_DISK, &r);
  jet_executable_release(e);
  jet_cache_destroy(c);
}

/* ---- tests ---- */

static void test_round_trip_after_restart(void **state) {
  (void)state;
  char dir[512];
  make_dir(dir, sizeof dir);
  char id[33];
  float first[4];
  uint32_t nodes;
  seed(dir, id, first, &nodes);
  /* "Restart": a new cache over the same directory. */
  jet_cache *c = open_cache(dir, 1u << 30, NULL);
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.disk_entries, 1);
  jet_compile_result r;
  jet_executable *e = compile(c, lit_graph(1), JET_COMPILE_DISK, &r);
  assert_string_equal(e->id, id);
  assert_string_equal(r.disk_note, "");
  assert_int_equal(e->graph->n_nodes, nodes); /* the compiled graph, not the request */
  assert_true(nodes < 4);                      /* CSE merged the two products */
  float again[4];
  run4(e, IN, again);
  assert_memory_equal(first, again, sizeof first);
  /* Then it is in memory. */
  jet_executable *e2 = compile(c, lit_graph(1), JET_COMPILE_MEMORY, &r);
  assert_ptr_equal(e, e2);
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.disk_hits, 1);
  assert_int_equal(st.hits, 1);
  assert_int_equal(st.misses, 0);
  assert_int_equal(st.compile_time_total_us, 0);
  assert_int_equal(st.disk_discarded, 0);
  jet_executable_release(e);
  jet_executable_release(e2);
  jet_cache_destroy(c);
  /* jet_compiler_find (Execute of an id not compiled here) loads it too. */
  c = open_cache(dir, 1u << 30, NULL);
  char note[256];
  e = jet_compiler_find(c, id, note, sizeof note);
  assert_non_null(e);
  assert_string_equal(e->id, id);
  jet_executable_release(e);
  assert_null(jet_compiler_find(c, "ffffffffffffffffffffffffffffffff", note, sizeof note));
  assert_string_equal(note, "");
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.disk_hits, 1);
  jet_cache_destroy(c);
  rm_rf(dir);
}

static void test_corrupt_payload(void **state) {
  (void)state;
  char dir[512], id[33], path[4096];
  seed_entry(dir, id, path);
  xor_byte(path, -3, 0x01); /* a bit in the payload */
  expect_discarded(dir, "payload checksum");
  rm_rf(dir);
}

static void test_corrupt_header(void **state) {
  (void)state;
  char dir[512], id[33], path[4096];
  seed_entry(dir, id, path);
  xor_byte(path, 100, 0x40); /* the payload length */
  expect_discarded(dir, "header checksum");
  /* A bad magic. */
  set_byte(path, 0, 'X');
  expect_discarded(dir, "bad magic");
  /* Not even a header. */
  write_whole(path, (const unsigned char *)"JET", 3);
  expect_discarded(dir, "truncated header");
  rm_rf(dir);
}

static void test_truncated(void **state) {
  (void)state;
  char dir[512], id[33], path[4096];
  seed_entry(dir, id, path);
  size_t len;
  unsigned char *buf = read_whole(path, &len);
  write_whole(path, buf, len - (len - JET_DISK_HEADER_BYTES) / 2);
  expect_discarded(dir, "truncated");
  /* Trailing bytes are refused too. */
  unsigned char *longer = malloc(len + 1);
  memcpy(longer, buf, len);
  longer[len] = '\n';
  write_whole(path, longer, len + 1);
  expect_discarded(dir, "trailing bytes");
  free(longer);
  free(buf);
  rm_rf(dir);
}

static void test_version_mismatch(void **state) {
  (void)state;
  char dir[512], id[33], path[4096];
  make_dir(dir, sizeof dir);
  /* Written by "another compiler". */
  jet_cache *c = open_cache(dir, 1u << 30, "0.0.0+c999");
  jet_compile_result r;
  jet_graph *g = lit_graph(1);
  id_of(g, id);
  jet_executable_release(compile(c, g, JET_COMPILE_COMPILED, &r));
  jet_cache_destroy(c);
  entry_file(dir, id, path, sizeof path);
  assert_true(exists(path));
  expect_discarded(dir, "compiler version '0.0.0+c999', expected '" JET_COMPILER_VERSION "'");
  /* And a future format version. */
  set_byte(path, 8, 2);
  expect_discarded(dir, "format version 2");
  rm_rf(dir);
}

static void test_wrong_id(void **state) {
  (void)state;
  char dir[512], id[33], other[33], path[4096], opath[4096];
  seed_entry(dir, id, path);
  /* The entry of lit_graph(2) holds lit_graph(1)'s file. */
  jet_graph *g2 = lit_graph(2);
  id_of(g2, other);
  jet_graph_destroy(g2);
  entry_file(dir, other, opath, sizeof opath);
  assert_int_equal(rename(path, opath), 0);
  jet_cache *c = open_cache(dir, 1u << 30, NULL);
  jet_compile_result r;
  jet_executable *e = compile(c, lit_graph(2), JET_COMPILE_COMPILED, &r);
  assert_non_null(strstr(r.disk_note, "entry is for id"));
  /* The right graph was compiled: K[0] scaled by 2. */
  static const float in[4] = {1.0f, 1.0f, 1.0f, 1.0f};
  float out[4];
  run4(e, in, out);
  assert_true(out[0] == 2.0f * (K[0] * 2.0f));
  jet_executable_release(e);
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.disk_discarded, 1);
  jet_cache_destroy(c);
  rm_rf(dir);
}

/* An entry with valid checksums, the right id and version, but another
 * graph (signature) or a payload edited with its checksums fixed up. */
static void test_consistent_but_wrong_entries(void **state) {
  (void)state;
  char dir[512], id[33], path[4096];
  make_dir(dir, sizeof dir);
  jet_graph *want = lit_graph(1);
  id_of(want, id);
  jet_graph_destroy(want);
  entry_file(dir, id, path, sizeof path);
  /* add_graph(5) under lit_graph(1)'s id: f32[5] parameters. */
  jet_graph *g5 = add_graph(5);
  unsigned char *buf;
  size_t len;
  assert_null(jet_disk_entry_encode(id, JET_COMPILER_VERSION, g5, &buf, &len));
  jet_graph_destroy(g5);
  write_whole(path, buf, len);
  free(buf);
  expect_discarded(dir, "signature does not match");
  /* A literal edited in the payload, checksums recomputed: the graph hash
   * in the header catches it. */
  buf = read_whole(path, &len);
  char *text = (char *)buf + JET_DISK_HEADER_BYTES;
  size_t tlen = len - JET_DISK_HEADER_BYTES;
  char *lit = memmem(text, tlen, "0.1", 3);
  assert_non_null(lit);
  lit[2] = '2'; /* 0.1 -> 0.2 */
  uint64_t sum = XXH3_64bits(text, tlen);
  for (int i = 0; i < 8; i++) buf[104 + i] = (unsigned char)(sum >> (8 * i));
  uint64_t hsum = XXH3_64bits(buf, 120);
  for (int i = 0; i < 8; i++) buf[120 + i] = (unsigned char)(hsum >> (8 * i));
  write_whole(path, buf, len);
  free(buf);
  expect_discarded(dir, "does not hash");
  rm_rf(dir);
}

static void test_literals_round_trip_exactly(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("lits");
  jet_value first = 0, v;
  static const jet_dtype dts[] = {JET_F32, JET_F64, JET_I32, JET_I64, JET_U8, JET_U32, JET_BOOL};
  enum { N = 64 };
  unsigned char data[7][N * 8];
  uint64_t seed = 0x9e3779b97f4a7c15ull;
  for (size_t d = 0; d < 7; d++) {
    size_t es = jet_dtype_size(dts[d]);
    for (size_t i = 0; i < N * es; i++) {
      seed = seed * 6364136223846793005ull + 1442695040888963407ull;
      data[d][i] = (unsigned char)(seed >> 56);
    }
    if (dts[d] == JET_BOOL)
      for (size_t i = 0; i < N; i++) data[d][i] &= 1;
    if (dts[d] == JET_F32) {
      /* -0, inf, -inf, a quiet and a signalling NaN with payloads, the
       * smallest subnormal, the largest finite, 0.1. */
      static const uint32_t special[] = {0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc12345u,
                                         0xff812345u, 0x00000001u, 0x7f7fffffu, 0x3dcccccdu};
      memcpy(data[d], special, sizeof special);
    }
    if (dts[d] == JET_F64) {
      static const uint64_t special[] = {0x8000000000000000ull, 0x7ff0000000000000ull,
                                         0x7ff8000000000abcull, 0xfff0000000000001ull,
                                         0x0000000000000001ull, 0x7fefffffffffffffull,
                                         0x3fb999999999999aull};
      memcpy(data[d], special, sizeof special);
    }
    int64_t n = N;
    jet_attr attr = gb_lit("value", jet_type_make(dts[d], 1, &n), data[d], N * es);
    assert_null(jet_graph_add_node(g, JET_OP_CONSTANT, NULL, 0, &attr, 1, NULL, NULL, 0, &v));
    if (d == 0) first = v;
  }
  jet_value outs[7];
  for (int i = 0; i < 7; i++) outs[i] = first + (jet_value)i;
  assert_null(jet_graph_set_outputs(g, outs, 7));
  const char *id = "0123456789abcdef0123456789abcdef";
  unsigned char *buf;
  size_t len;
  assert_null(jet_disk_entry_encode(id, "v1", g, &buf, &len));
  jet_graph *back = NULL;
  jet_status st = jet_disk_entry_decode(id, "v1", buf, len, &back);
  if (st) fail_msg("decode: %s", jet_status_message(st));
  assert_int_equal(back->n_nodes, 7);
  for (uint32_t i = 0; i < 7; i++) {
    const jet_attr *a = &back->nodes[i].attrs[0];
    assert_int_equal(a->kind, JET_ATTR_LITERAL);
    assert_int_equal(a->u.lit.nbytes, N * jet_dtype_size(dts[i]));
    assert_memory_equal(a->u.lit.data, data[i], a->u.lit.nbytes);
  }
  /* Decoding checks version and id. */
  jet_graph *x = NULL;
  st = jet_disk_entry_decode(id, "v2", buf, len, &x);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  st = jet_disk_entry_decode("1123456789abcdef0123456789abcdef", "v1", buf, len, &x);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  assert_null(x);
  free(buf);
  jet_graph_destroy(back);
  jet_graph_destroy(g);
}

static void test_dir_bound_evicts_oldest(void **state) {
  (void)state;
  char dir[512];
  make_dir(dir, sizeof dir);
  /* Measure one entry (they are all about the same size). */
  jet_graph *g = add_graph(1000);
  unsigned char *buf;
  size_t one;
  assert_null(jet_disk_entry_encode("00000000000000000000000000000000", JET_COMPILER_VERSION, g,
                                    &buf, &one));
  free(buf);
  jet_graph_destroy(g);
  uint64_t bound = 4 * one + one / 2; /* four fit, five do not */
  jet_disk_cache *d;
  assert_null(jet_disk_cache_open(dir, bound, JET_COMPILER_VERSION, &d));
  char ids[6][33];
  for (int i = 0; i < 6; i++) {
    g = add_graph(1000 + i); /* sizes differ by at most a byte */
    id_of(g, ids[i]);
    assert_null(jet_disk_cache_store(d, ids[i], g));
    jet_graph_destroy(g);
    /* Make the order of the files unambiguous: entry i is i seconds past
     * an old time, except that entry 1 was used recently. */
    char path[4096];
    entry_file(dir, ids[i], path, sizeof path);
    struct timespec ts[2] = {{1000000 + i, 0}, {1000000 + i, 0}};
    if (i == 1) ts[0].tv_sec = ts[1].tv_sec = 2000000;
    assert_int_equal(utimensat(AT_FDCWD, path, ts, 0), 0);
    jet_disk_stats st;
    jet_disk_cache_get_stats(d, &st);
    assert_true(st.bytes <= bound);
  }
  /* Entry 4's store took the directory over: 0 and 2 (the oldest) went
   * (down to 7/8 of the bound); entry 5 fitted again. */
  char path[4096];
  bool want[6] = {false, true, false, true, true, true};
  for (int i = 0; i < 6; i++) {
    entry_file(dir, ids[i], path, sizeof path);
    if (exists(path) != want[i]) fail_msg("entry %d: exists %d, expected %d", i, !want[i], want[i]);
  }
  jet_disk_stats st;
  jet_disk_cache_get_stats(d, &st);
  assert_int_equal(st.entries, 4);
  assert_int_equal(st.evictions, 2);
  assert_int_equal(count_files(dir, JET_DISK_FILE_SUFFIX), 4);
  assert_int_equal(count_files(dir, ".tmp"), 0);
  /* An entry larger than the whole bound is not written. */
  jet_graph *big = lit_graph(1);
  jet_disk_cache_close(d);
  assert_null(jet_disk_cache_open(dir, 64, JET_COMPILER_VERSION, &d)); /* over: evicts */
  jet_disk_cache_get_stats(d, &st);
  assert_int_equal(st.entries, 0);
  assert_null(jet_disk_cache_store(d, "0000000000000000000000000000000f", big));
  assert_int_equal(count_files(dir, JET_DISK_FILE_SUFFIX), 0);
  jet_graph_destroy(big);
  jet_disk_cache_close(d);
  rm_rf(dir);
}

static void test_tmp_files_and_failed_writes(void **state) {
  (void)state;
  char dir[512], tmp_old[4096], tmp_new[4096];
  make_dir(dir, sizeof dir);
  /* A crash left two temporary files: an old one and one being written. */
  snprintf(tmp_old, sizeof tmp_old, "%s/.0123456789abcdef0123456789abcdef.99999.0.tmp", dir);
  snprintf(tmp_new, sizeof tmp_new, "%s/.0123456789abcdef0123456789abcdef.99999.1.tmp", dir);
  write_whole(tmp_old, (const unsigned char *)"x", 1);
  write_whole(tmp_new, (const unsigned char *)"x", 1);
  struct timespec ts[2] = {{1000, 0}, {1000, 0}};
  assert_int_equal(utimensat(AT_FDCWD, tmp_old, ts, 0), 0);
  jet_cache *c = open_cache(dir, 1u << 30, NULL);
  assert_false(exists(tmp_old));
  assert_true(exists(tmp_new));
  unlink(tmp_new);
  /* Concurrent stores of the same entry leave one good file, no tmp. */
  jet_compile_result r;
  jet_executable *e = compile(c, lit_graph(1), JET_COMPILE_COMPILED, &r);
  jet_disk_cache *d = jet_cache_disk(c);
  for (int i = 0; i < 8; i++) assert_null(jet_disk_cache_store(d, e->id, e->graph));
  assert_int_equal(count_files(dir, ".tmp"), 0);
  assert_int_equal(count_files(dir, JET_DISK_FILE_SUFFIX), 1);
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.disk_entries, 1);
  jet_executable_release(e);
  /* The directory disappears: writes fail, compiles do not. */
  rm_rf(dir);
  e = compile(c, add_graph(3), JET_COMPILE_COMPILED, &r);
  assert_non_null(strstr(r.disk_note, "the compile is not affected"));
  jet_executable_release(e);
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.disk_write_errors, 1);
  /* And loads are misses. */
  e = compile(c, add_graph(4), JET_COMPILE_COMPILED, &r);
  jet_executable_release(e);
  jet_cache_destroy(c);
  /* A directory that cannot be created is refused at open. */
  jet_cache_options o = {.max_entries = 4,
                         .max_bytes = 1u << 20,
                         .disk_dir = "/proc/jet-cache-cannot-exist",
                         .disk_max_bytes = 1u << 20};
  jet_status s = jet_cache_open(&o, &c);
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(s), "/proc/jet-cache-cannot-exist"));
  jet_status_free(s);
}

typedef struct racer {
  jet_cache *c;
  int errors;
} racer;

static void *race(void *arg) {
  racer *r = arg;
  for (int i = 0; i < 20; i++) {
    jet_executable *e = NULL;
    jet_compile_result res;
    jet_status st = jet_compiler_compile_ex(r->c, add_graph(1 + i % 5), NULL, 0, NULL, 0, &e, &res);
    if (st || res.disk_note[0]) {
      fprintf(stderr, "race: %s\n", st ? jet_status_message(st) : res.disk_note);
      r->errors++;
    }
    jet_status_free(st);
    jet_executable_release(e);
  }
  return NULL;
}

static void test_two_caches_share_a_directory(void **state) {
  (void)state;
  char dir[512];
  make_dir(dir, sizeof dir);
  racer r[2] = {{open_cache(dir, 1u << 30, NULL), 0}, {open_cache(dir, 1u << 30, NULL), 0}};
  pthread_t t[2];
  for (int i = 0; i < 2; i++) assert_int_equal(pthread_create(&t[i], NULL, race, &r[i]), 0);
  for (int i = 0; i < 2; i++) pthread_join(t[i], NULL);
  assert_int_equal(r[0].errors + r[1].errors, 0);
  assert_int_equal(count_files(dir, ".tmp"), 0);
  assert_int_equal(count_files(dir, JET_DISK_FILE_SUFFIX), 5);
  for (int i = 0; i < 2; i++) jet_cache_destroy(r[i].c);
  rm_rf(dir);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_after_restart),
      cmocka_unit_test(test_corrupt_payload),
      cmocka_unit_test(test_corrupt_header),
      cmocka_unit_test(test_truncated),
      cmocka_unit_test(test_version_mismatch),
      cmocka_unit_test(test_wrong_id),
      cmocka_unit_test(test_consistent_but_wrong_entries),
      cmocka_unit_test(test_literals_round_trip_exactly),
      cmocka_unit_test(test_dir_bound_evicts_oldest),
      cmocka_unit_test(test_tmp_files_and_failed_writes),
      cmocka_unit_test(test_two_caches_share_a_directory),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
