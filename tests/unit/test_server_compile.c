/* Executable cache, compile path, transform refusal and request limits of
 * jetd (server/compiler, server/transforms, server/ir). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "ir/decode.h"
#include "jet/hash.h"
#include "transforms/transforms.h"

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

static jet_executable *compile_ok(jet_cache *c, jet_graph *g, bool want_hit) {
  jet_executable *e;
  bool hit;
  assert_null(jet_compiler_compile(c, g, NULL, 0, NULL, 0, &e, &hit));
  assert_int_equal(hit, want_hit);
  return e;
}

static void test_hit_miss_and_id(void **state) {
  (void)state;
  jet_cache *c = jet_cache_create(16);
  jet_graph *g = binary_graph(JET_OP_ADD, 3);
  char want[33], bare[33];
  jet_compiler_key(g, NULL, 0, NULL, 0, want);
  /* the key is not the bare graph hash: the compiler version and device
   * kind are part of it */
  jet_hash h = jet_graph_hash(g, NULL, 0, NULL, 0);
  jet_hash_hex(&h, bare);
  assert_string_not_equal(want, bare);
  jet_executable *a = compile_ok(c, g, false); /* consumes g */
  assert_string_equal(a->id, want);
  assert_int_equal(a->n_outputs, 1);
  assert_int_equal(a->output_types[0].dtype, JET_F32);
  assert_int_equal(a->output_types[0].dims[0], 3);
  jet_executable *b = compile_ok(c, binary_graph(JET_OP_ADD, 3), true);
  assert_ptr_equal(a, b);
  jet_executable *d = compile_ok(c, binary_graph(JET_OP_MUL, 3), false);
  assert_string_not_equal(d->id, a->id);
  jet_executable *e = compile_ok(c, binary_graph(JET_OP_ADD, 4), false);
  assert_string_not_equal(e->id, a->id);
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.hits, 1);
  assert_int_equal(st.misses, 3);
  assert_int_equal(st.entries, 3);
  jet_executable *l = jet_cache_lookup(c, a->id);
  assert_ptr_equal(l, a);
  assert_null(jet_cache_lookup(c, "0123456789abcdef0123456789abcdef"));
  jet_executable_release(l);
  jet_executable_release(a);
  jet_executable_release(b);
  jet_executable_release(d);
  jet_executable_release(e);
  jet_cache_destroy(c);
}

static void test_lru_eviction(void **state) {
  (void)state;
  jet_cache *c = jet_cache_create(2);
  jet_executable *a = compile_ok(c, binary_graph(JET_OP_ADD, 1), false);
  jet_executable *b = compile_ok(c, binary_graph(JET_OP_ADD, 2), false);
  jet_executable_release(jet_cache_lookup(c, a->id)); /* a is now most recent */
  jet_executable *d = compile_ok(c, binary_graph(JET_OP_ADD, 3), false);
  jet_executable *la = jet_cache_lookup(c, a->id);
  jet_executable *lb = jet_cache_lookup(c, b->id);
  assert_non_null(la);
  assert_null(lb);
  /* b was evicted but our reference keeps it usable. */
  assert_int_equal(b->graph->value_types[0].dims[0], 2);
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.entries, 2);
  assert_int_equal(st.evictions, 1);
  /* Compiling b again is a miss now. */
  jet_executable *b2 = compile_ok(c, binary_graph(JET_OP_ADD, 2), false);
  assert_string_equal(b2->id, b->id);
  jet_executable_release(la);
  jet_executable_release(a);
  jet_executable_release(b);
  jet_executable_release(b2);
  jet_executable_release(d);
  jet_cache_destroy(c); /* releases what is still cached */
  assert_null(jet_cache_create(0));
}

static void test_insert_race_keeps_first(void **state) {
  (void)state;
  jet_cache *c = jet_cache_create(4);
  jet_executable *x, *y;
  assert_null(jet_executable_create("00000000000000000000000000000001", binary_graph(JET_OP_ADD, 1), &x));
  assert_null(jet_executable_create("00000000000000000000000000000001", binary_graph(JET_OP_ADD, 1), &y));
  jet_executable *cx = jet_cache_insert(c, x);
  jet_executable *cy = jet_cache_insert(c, y);
  assert_ptr_equal(cx, x);
  assert_ptr_equal(cy, x);
  jet_executable_release(cx);
  jet_executable_release(cy);
  jet_executable_release(x);
  jet_executable_release(y);
  jet_cache_destroy(c);
}

static void test_transform_refusal(void **state) {
  (void)state;
  /* pmap without a size (none given, no argument types): refused naming
   * index and kind. */
  static const jet_transform_kind kinds[] = {JET_TF_PMAP};
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    jet_transform t[2];
    memset(t, 0, sizeof(t));
    t[0].kind = kinds[k];
    t[0].axis_name = t[0].spmd_axis_name = "";
    jet_graph *out = (jet_graph *)1;
    jet_status s = jet_transforms_apply(binary_graph(JET_OP_ADD, 3), t, 1, &out);
    assert_null(out);
    assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
    char want[96];
    snprintf(want, sizeof(want), "(%s): %s needs axis_size", jet_transform_name(kinds[k]),
             jet_transform_name(kinds[k]));
    assert_non_null(strstr(jet_status_message(s), "transforms[0]"));
    assert_non_null(strstr(jet_status_message(s), want));
    jet_status_free(s);
  }
  /* No transforms: the same graph comes back. */
  jet_graph *g = binary_graph(JET_OP_ADD, 3), *out;
  assert_null(jet_transforms_apply(g, NULL, 0, &out));
  assert_ptr_equal(out, g);
  jet_graph_destroy(out);
}

static void test_compile_with_transform_is_not_cached(void **state) {
  (void)state;
  jet_cache *c = jet_cache_create(4);
  jet_transform t;
  memset(&t, 0, sizeof(t));
  t.kind = JET_TF_PMAP;
  t.axis_name = t.spmd_axis_name = "";
  jet_executable *e = (jet_executable *)1;
  bool hit = true;
  jet_status s = jet_compiler_compile(c, binary_graph(JET_OP_ADD, 3), &t, 1, NULL, 0, &e, &hit);
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(s), "pmap needs axis_size"));
  jet_status_free(s);
  assert_null(e);
  assert_false(hit);
  jet_cache_stats st;
  jet_cache_get_stats(c, &st);
  assert_int_equal(st.entries, 0);
  assert_int_equal(st.misses, 1);
  jet_cache_destroy(c);
}

/* A wire graph of n "neg" nodes in a chain over f32[2]. */
typedef struct pb_graph {
  Jet__V1__Graph g;
  Jet__V1__TensorType p, *pp;
  Jet__V1__Node *nodes;
  Jet__V1__Node **np;
  uint32_t *operands;
  uint32_t out;
  int64_t dim;
} pb_graph;

static void pb_chain(pb_graph *b, uint32_t n) {
  jet__v1__graph__init(&b->g);
  jet__v1__tensor_type__init(&b->p);
  b->dim = 2;
  b->p.dtype = JET__V1__DTYPE__DTYPE_FLOAT32;
  b->p.n_dims = 1;
  b->p.dims = &b->dim;
  b->pp = &b->p;
  b->nodes = calloc(n, sizeof(Jet__V1__Node));
  b->np = calloc(n, sizeof(Jet__V1__Node *));
  b->operands = calloc(n, sizeof(uint32_t));
  for (uint32_t i = 0; i < n; i++) {
    jet__v1__node__init(&b->nodes[i]);
    b->nodes[i].op = "neg";
    b->operands[i] = i;
    b->nodes[i].n_operands = 1;
    b->nodes[i].operands = &b->operands[i];
    b->np[i] = &b->nodes[i];
  }
  b->g.n_params = 1;
  b->g.params = &b->pp;
  b->g.n_nodes = n;
  b->g.nodes = b->np;
  b->out = n;
  b->g.n_outputs = 1;
  b->g.outputs = &b->out;
}

static void pb_free(pb_graph *b) {
  free(b->nodes);
  free(b->np);
  free(b->operands);
}

static void test_ir_limits(void **state) {
  (void)state;
  pb_graph b;
  pb_chain(&b, 5);
  jet_graph *g = NULL;
  assert_null(jet_ir_decode_graph(&b.g, "graph", 5, &g));
  assert_int_equal(g->n_nodes, 5);
  jet_graph_destroy(g);
  jet_status s = jet_ir_decode_graph(&b.g, "graph", 4, &g);
  assert_int_equal(jet_status_code(s), JET_RESOURCE_EXHAUSTED);
  assert_non_null(strstr(jet_status_message(s), "max-nodes"));
  jet_status_free(s);
  assert_null(g);
  /* Callees count too. */
  pb_graph inner;
  pb_chain(&inner, 3);
  b.nodes[4].op = "call";
  b.nodes[4].callee = &inner.g;
  s = jet_ir_decode_graph(&b.g, "graph", 7, &g);
  assert_int_equal(jet_status_code(s), JET_RESOURCE_EXHAUSTED);
  jet_status_free(s);
  s = jet_ir_decode_graph(NULL, "graph", 7, &g);
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  assert_string_equal(jet_status_message(s), "graph: missing");
  jet_status_free(s);
  pb_free(&inner);
  pb_free(&b);
}

static void test_ir_arg_types(void **state) {
  (void)state;
  jet_graph *g = binary_graph(JET_OP_ADD, 3); /* f(x: f32[3]) = x + x */
  jet_arena *a = jet_arena_create(1024);
  int64_t d3 = 3, d4 = 4;
  Jet__V1__TensorType t3 = JET__V1__TENSOR_TYPE__INIT, t4 = JET__V1__TENSOR_TYPE__INIT;
  t3.dtype = t4.dtype = JET__V1__DTYPE__DTYPE_FLOAT32;
  t3.n_dims = t4.n_dims = 1;
  t3.dims = &d3;
  t4.dims = &d4;
  Jet__V1__TensorType *ok[] = {&t3}, *bad[] = {&t4}, *two[] = {&t3, &t3};
  jet_type *out;
  assert_null(jet_ir_decode_arg_types(NULL, 0, a, &out));
  assert_null(out);
  assert_null(jet_ir_decode_arg_types(ok, 1, a, &out));
  assert_int_equal(out[0].dims[0], 3);
  /* Without transforms the types must be the graph's parameters. */
  assert_null(jet_transforms_bind_args(g, NULL, 0, out, 1));
  assert_null(jet_ir_decode_arg_types(bad, 1, a, &out));
  jet_status s = jet_transforms_bind_args(g, NULL, 0, out, 1);
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  assert_string_equal(jet_status_message(s), "arg_types[0]: expected f32[3], got f32[4]");
  jet_status_free(s);
  assert_null(jet_ir_decode_arg_types(two, 2, a, &out));
  s = jet_transforms_bind_args(g, NULL, 0, out, 2);
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  jet_status_free(s);
  /* A vmap without axis_size takes its size from the arguments. */
  jet_transform vm;
  memset(&vm, 0, sizeof vm);
  vm.kind = JET_TF_VMAP;
  vm.axis_name = vm.spmd_axis_name = "";
  jet_type batched = jet_type_make(JET_F32, 2, (int64_t[]){5, 3});
  assert_null(jet_transforms_bind_args(g, &vm, 1, &batched, 1));
  assert_int_equal(vm.axis_size, 5);
  jet_graph *t = NULL;
  assert_null(jet_transforms_apply(g, &vm, 1, &t));
  assert_true(jet_type_equal(&t->value_types[0], &batched));
  jet_graph_destroy(t);
  /* A mapped argument whose per-example type is wrong is refused. */
  g = binary_graph(JET_OP_ADD, 3);
  vm.axis_size = 0;
  batched = jet_type_make(JET_F32, 2, (int64_t[]){5, 4});
  s = jet_transforms_bind_args(g, &vm, 1, &batched, 1);
  assert_int_equal(jet_status_code(s), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(s), "arg_types[0]"));
  jet_status_free(s);
  jet_arena_destroy(a);
  jet_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hit_miss_and_id),
      cmocka_unit_test(test_lru_eviction),
      cmocka_unit_test(test_insert_race_keeps_first),
      cmocka_unit_test(test_transform_refusal),
      cmocka_unit_test(test_compile_with_transform_is_not_cached),
      cmocka_unit_test(test_ir_limits),
      cmocka_unit_test(test_ir_arg_types),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
