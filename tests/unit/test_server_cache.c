/* The in-memory compile cache bounded in bytes and entries (eviction order,
 * counters), the compile path's result (source, times), and the cache keys
 * of the daemon configuration (server/compiler/cache.c, compile.c,
 * server/daemon/config.c). The on-disk cache: test_server_cache_disk.c. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "daemon/config.h"
#include "jet/arena.h"
#include "jet/hash.h"

/* f(x) = op(x, x) over f32[n]. */
static jet_graph *binary_graph(jet_op op, int64_t n) {
  jet_graph *g = jet_graph_create("f");
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value p, r;
  assert_null(jet_graph_add_param(g, &t, &p));
  jet_value ops[2] = {p, p};
  assert_null(jet_graph_add_node(g, op, ops, 2, NULL, 0, NULL, NULL, 0, &r));
  assert_null(jet_graph_set_outputs(g, &r, 1));
  return g;
}

/* A chain of k negations over f32[n]: a graph whose arena grows with k. */
static jet_graph *chain_graph(int64_t n, int k) {
  jet_graph *g = jet_graph_create("chain");
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value v;
  assert_null(jet_graph_add_param(g, &t, &v));
  for (int i = 0; i < k; i++)
    assert_null(jet_graph_add_node(g, JET_OP_NEG, &v, 1, NULL, 0, NULL, NULL, 0, &v));
  assert_null(jet_graph_set_outputs(g, &v, 1));
  return g;
}

static jet_executable *make_exe(const char *id, jet_graph *g) {
  jet_executable *e = NULL;
  assert_null(jet_executable_create(id, g, &e));
  return e;
}

static jet_cache *open_cache(uint32_t entries, uint64_t bytes) {
  jet_cache_options o = {.max_entries = entries, .max_bytes = bytes};
  jet_cache *c = NULL;
  jet_status st = jet_cache_open(&o, &c);
  if (st) fail_msg("jet_cache_open: %s", jet_status_message(st));
  return c;
}

static bool cached(jet_cache *c, const char *id) {
  jet_executable *e = jet_cache_lookup(c, id);
  jet_executable_release(e);
  return e != NULL;
}

static void insert(jet_cache *c, jet_executable *e) { jet_executable_release(jet_cache_insert(c, e)); }

static void test_executable_bytes(void **state) {
  (void)state;
  jet_executable *small = make_exe("00000000000000000000000000000001", chain_graph(4, 1));
  jet_executable *big = make_exe("00000000000000000000000000000002", chain_graph(4, 2000));
  /* At least what the graph's arena handed out, plus the program. */
  assert_true(small->bytes >= jet_arena_used(small->graph->arena) + small->info.program_bytes);
  assert_true(small->bytes == jet_arena_reserved(small->graph->arena) + small->info.program_bytes);
  assert_true(big->bytes > small->bytes + 2000 * sizeof(jet_node));
  jet_executable_release(small);
  jet_executable_release(big);
}

static void test_byte_bound_evicts_lru(void **state) {
  (void)state;
  const char *ida = "0000000000000000000000000000000a", *idb = "0000000000000000000000000000000b",
             *idc = "0000000000000000000000000000000c", *idd = "0000000000000000000000000000000d";
  jet_executable *a = make_exe(ida, chain_graph(4, 50));
  jet_executable *b = make_exe(idb, chain_graph(4, 50));
  jet_executable *x = make_exe(idc, chain_graph(4, 50));
  /* Room for two of them, not three; plenty of entries. */
  uint64_t bound = a->bytes + b->bytes + x->bytes - 1;
  assert_true(x->bytes <= a->bytes && x->bytes <= b->bytes);
  jet_cache *c = open_cache(100, bound);
  insert(c, a);
  insert(c, b);
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.bytes, a->bytes + b->bytes);
  assert_int_equal(st.capacity_bytes, bound);
  assert_int_equal(st.evictions, 0);
  assert_true(cached(c, ida)); /* a is now the most recently used */
  insert(c, x);                /* over the bound: b (least recent) goes */
  assert_true(cached(c, ida));
  assert_false(cached(c, idb));
  assert_true(cached(c, idc));
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.entries, 2);
  assert_int_equal(st.evictions, 1);
  assert_int_equal(st.bytes, a->bytes + x->bytes);
  assert_true(st.bytes <= bound);
  /* An executable larger than the whole bound is cached alone. */
  jet_executable *huge = make_exe(idd, chain_graph(4, 5000));
  assert_true(huge->bytes > bound);
  insert(c, huge);
  assert_true(cached(c, idd));
  assert_false(cached(c, ida));
  assert_false(cached(c, idc));
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.entries, 1);
  assert_int_equal(st.evictions, 3);
  assert_int_equal(st.bytes, huge->bytes);
  /* Evicted executables stay usable through the references we hold. */
  assert_int_equal(b->graph->n_nodes, 50);
  jet_executable_release(a);
  jet_executable_release(b);
  jet_executable_release(x);
  jet_executable_release(huge);
  jet_cache_destroy(c);
}

static void test_entry_bound_still_holds(void **state) {
  (void)state;
  jet_cache *c = open_cache(2, UINT64_MAX);
  char id[33];
  for (int i = 0; i < 5; i++) {
    snprintf(id, sizeof id, "%032x", i + 1);
    jet_executable *e = make_exe(id, binary_graph(JET_OP_ADD, i + 1));
    insert(c, e);
    jet_executable_release(e);
  }
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.entries, 2);
  assert_int_equal(st.evictions, 3);
  assert_true(cached(c, "00000000000000000000000000000005"));
  assert_true(cached(c, "00000000000000000000000000000004"));
  assert_false(cached(c, "00000000000000000000000000000003"));
  jet_cache_destroy(c);
  /* Zero bounds are refused. */
  jet_cache_options o = {.max_entries = 1, .max_bytes = 0};
  jet_status s = jet_cache_open(&o, &c);
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  jet_status_free(s);
}

static void test_compile_result(void **state) {
  (void)state;
  jet_cache *c = open_cache(16, 1u << 30);
  jet_executable *e1, *e2;
  jet_compile_result r;
  assert_null(jet_compiler_compile_ex(c, binary_graph(JET_OP_MUL, 8), NULL, 0, NULL, 0, &e1, &r));
  assert_int_equal(r.source, JET_COMPILE_COMPILED);
  assert_string_equal(jet_compile_source_name(r.source), "compiled");
  assert_string_equal(r.disk_note, "");
  assert_int_equal(r.disk_write_us, 0);
  assert_int_equal(e1->compile_us, r.compile_us);
  uint64_t first_us = r.compile_us;
  assert_null(jet_compiler_compile_ex(c, binary_graph(JET_OP_MUL, 8), NULL, 0, NULL, 0, &e2, &r));
  assert_int_equal(r.source, JET_COMPILE_MEMORY);
  assert_string_equal(jet_compile_source_name(r.source), "memory");
  assert_ptr_equal(e1, e2);
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.hits, 1);
  assert_int_equal(st.misses, 1);
  assert_int_equal(st.disk_hits, 0);
  assert_int_equal(st.compile_time_total_us, first_us);
  assert_int_equal(st.bytes, e1->bytes);
  assert_int_equal(st.disk_entries, 0);
  assert_null(jet_cache_disk(c));
  /* jet_compiler_find: memory only here. */
  jet_executable *f = jet_compiler_find(c, e1->id, NULL, 0);
  assert_ptr_equal(f, e1);
  jet_executable_release(f);
  assert_null(jet_compiler_find(c, "ffffffffffffffffffffffffffffffff", NULL, 0));
  jet_executable_release(e1);
  jet_executable_release(e2);
  jet_cache_destroy(c);
}

static void expect_error(jet_status s, const char *fragment) {
  assert_non_null(s);
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  if (!strstr(jet_status_message(s), fragment))
    fail_msg("message '%s' lacks '%s'", jet_status_message(s), fragment);
  jet_status_free(s);
}

static void test_config_keys(void **state) {
  (void)state;
  jet_config c;
  jet_config_defaults(&c);
  assert_int_equal(c.cache_bytes, 256u << 20);
  assert_string_equal(c.cache_dir, "");
  assert_int_equal(c.cache_dir_bytes, 1ull << 30);
  assert_null(jet_config_parse(&c,
                               "cache-bytes = 64M\n"
                               "cache-dir = /tmp/jet cache\n"
                               "cache-dir-bytes = 2G\n",
                               "t"));
  assert_int_equal(c.cache_bytes, 64u << 20);
  assert_string_equal(c.cache_dir, "/tmp/jet cache");
  assert_int_equal(c.cache_dir_bytes, 2ull << 30);
  assert_null(jet_config_parse(&c, "cache-dir =\n", "t"));
  assert_string_equal(c.cache_dir, "");
  expect_error(jet_config_parse(&c, "cache-bytes = lots\n", "t"), "cache-bytes");
  expect_error(jet_config_parse(&c, "cache-dir-bytes = -1\n", "t"), "cache-dir-bytes");
  char *argv[] = {"jetd", "--cache-dir=/var/tmp/x", "--cache-bytes", "1K", NULL};
  jet_config_action act;
  assert_null(jet_config_from_args(4, argv, &c, &act));
  assert_string_equal(c.cache_dir, "/var/tmp/x");
  assert_int_equal(c.cache_bytes, 1024);
  assert_non_null(strstr(jet_config_usage, "--cache-dir DIR"));
  assert_non_null(strstr(jet_config_usage, "--cache-bytes"));
  assert_non_null(strstr(jet_config_usage, "--cache-dir-bytes"));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_executable_bytes),
      cmocka_unit_test(test_byte_bound_evicts_lru),
      cmocka_unit_test(test_entry_bound_still_holds),
      cmocka_unit_test(test_compile_result),
      cmocka_unit_test(test_config_keys),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
