/* Tests of jet_graph_hash: equal content hashes equal (names and attribute
 * order aside); any single change of content changes the hash. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/hash.h"
#include "jet/text.h"
#include "text_test_graphs.h"

static void ok(jet_status st) {
  if (st) {
    fprintf(stderr, "unexpected error: %s\n", jet_status_message(st));
    jet_status_free(st);
    fail();
  }
}

static bool heq(jet_hash a, jet_hash b) { return memcmp(a.bytes, b.bytes, 16) == 0; }

static jet_hash H(const jet_graph *g) { return jet_graph_hash(g, NULL, 0, NULL, 0); }

/* Knobs of a small graph: p0, p1 -> op(p0|p1 ...) -> reduce_sum -> outputs. */
typedef struct variant {
  const char *name;
  jet_dtype dtype;
  int64_t dim;
  jet_op op;        /* binary op */
  bool swap;        /* swap operands */
  int64_t axis;     /* reduce_sum axes */
  bool attr_order;  /* slice attributes in reverse order */
  int64_t limit;    /* slice limit */
  uint8_t lit_last; /* last byte of the constant */
  bool out_swap;    /* output order */
} variant;

static variant base(void) {
  variant v = {"g", JET_F32, 4, JET_OP_ADD, false, 0, false, 3, 0x3f, false};
  return v;
}

static jet_graph *build(variant v) {
  jet_graph *g = jet_graph_create(v.name);
  assert_non_null(g);
  jet_type t = tg_type(v.dtype, 1, v.dim, 0);
  jet_value p0, p1, b, s, r, c, sum;
  ok(jet_graph_add_param(g, &t, &p0));
  ok(jet_graph_add_param(g, &t, &p1));
  jet_value ops[2] = {v.swap ? p1 : p0, v.swap ? p0 : p1};
  ok(jet_graph_add_node(g, v.op, ops, 2, NULL, 0, NULL, NULL, 0, &b));
  int64_t start[] = {1}, limit[] = {v.limit}, strides[] = {1};
  jet_attr sa[3] = {tg_ints("start_indices", start, 1), tg_ints("limit_indices", limit, 1),
                    tg_ints("strides", strides, 1)};
  if (v.attr_order) {
    jet_attr tmp = sa[0];
    sa[0] = sa[2];
    sa[2] = tmp;
  }
  ok(jet_graph_add_node(g, JET_OP_SLICE, &b, 1, sa, 3, NULL, NULL, 0, &s));
  int64_t axes[] = {v.axis};
  jet_attr ra = tg_ints("axes", axes, 1);
  ok(jet_graph_add_node(g, JET_OP_REDUCE_SUM, &s, 1, &ra, 1, NULL, NULL, 0, &r));
  /* A constant of the reduced type (rank 0). */
  unsigned char data[8] = {0, 0, 0x80, 0x3f, 0, 0, 0, 0};
  size_t es = jet_dtype_size(v.dtype);
  data[es - 1] = v.lit_last;
  jet_attr ca;
  memset(&ca, 0, sizeof ca);
  ca.name = "value";
  ca.kind = JET_ATTR_LITERAL;
  ca.u.lit.type = jet_type_scalar(v.dtype);
  ca.u.lit.data = data;
  ca.u.lit.nbytes = es;
  ok(jet_graph_add_node(g, JET_OP_CONSTANT, NULL, 0, &ca, 1, NULL, NULL, 0, &c));
  jet_value ops2[2] = {r, c};
  ok(jet_graph_add_node(g, JET_OP_ADD, ops2, 2, NULL, 0, NULL, NULL, 0, &sum));
  jet_value outs[2] = {v.out_swap ? b : sum, v.out_swap ? sum : b};
  ok(jet_graph_set_outputs(g, outs, 2));
  return g;
}

static jet_hash hash_variant(variant v) {
  jet_graph *g = build(v);
  jet_hash h = H(g);
  jet_graph_destroy(g);
  return h;
}

static void test_equal_content_equal_hash(void **state) {
  (void)state;
  variant v = base();
  jet_hash a = hash_variant(v);
  assert_true(heq(a, hash_variant(v)));
  v.name = "renamed";
  assert_true(heq(a, hash_variant(v)));
  v = base();
  v.attr_order = true;
  assert_true(heq(a, hash_variant(v)));
  /* Explicit argument types equal to the parameters' hash like NULL. */
  jet_graph *g = build(base());
  jet_type args[2] = {g->value_types[0], g->value_types[1]};
  assert_true(heq(a, jet_graph_hash(g, NULL, 0, args, 2)));
  /* A text round trip keeps the hash. */
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  ok(jet_graph_print(g, &sb));
  jet_graph *p = NULL;
  ok(jet_graph_parse(sb.data, sb.len, &p));
  assert_true(heq(a, H(p)));
  jet_graph_destroy(p);
  jet_strbuf_free(&sb);
  jet_graph_destroy(g);
}

static void test_each_change_changes_hash(void **state) {
  (void)state;
  jet_hash h0 = hash_variant(base());
  variant v;
  v = base(); v.op = JET_OP_MUL; assert_false(heq(h0, hash_variant(v)));
  v = base(); v.swap = true; assert_false(heq(h0, hash_variant(v)));
  v = base(); v.limit = 4; assert_false(heq(h0, hash_variant(v)));
  v = base(); v.lit_last = 0x40; assert_false(heq(h0, hash_variant(v)));
  v = base(); v.dtype = JET_I32; assert_false(heq(h0, hash_variant(v)));
  v = base(); v.dim = 5; assert_false(heq(h0, hash_variant(v)));
  v = base(); v.out_swap = true; assert_false(heq(h0, hash_variant(v)));
}

static void test_transforms_and_args_change_hash(void **state) {
  (void)state;
  jet_graph *g = build(base());
  int32_t a0[] = {0}, a1[] = {1};
  jet_axis_spec ax[] = {{true, 0}}, ax2[] = {{false, 0}};
  jet_transform t;
  memset(&t, 0, sizeof t);
  t.kind = JET_TF_GRAD;
  t.argnums = a0;
  t.n_argnums = 1;
  jet_hash none = H(g);
  jet_hash h = jet_graph_hash(g, &t, 1, NULL, 0);
  assert_false(heq(none, h));
  assert_true(heq(h, jet_graph_hash(g, &t, 1, NULL, 0)));
  jet_transform u = t;
  u.argnums = a1;
  assert_false(heq(h, jet_graph_hash(g, &u, 1, NULL, 0)));
  u = t;
  u.has_aux = true;
  assert_false(heq(h, jet_graph_hash(g, &u, 1, NULL, 0)));
  u = t;
  u.argnums_tuple = true;
  assert_false(heq(h, jet_graph_hash(g, &u, 1, NULL, 0)));
  u = t;
  u.kind = JET_TF_VALUE_AND_GRAD;
  assert_false(heq(h, jet_graph_hash(g, &u, 1, NULL, 0)));
  /* The Jacobian kinds differ from grad and from each other. */
  jet_hash hk[3];
  for (int k = 0; k < 3; k++) {
    u = t;
    u.kind = (jet_transform_kind)(JET_TF_JACFWD + k);
    hk[k] = jet_graph_hash(g, &u, 1, NULL, 0);
    assert_false(heq(h, hk[k]));
    u.allow_int = true;
    assert_false(heq(hk[k], jet_graph_hash(g, &u, 1, NULL, 0)));
  }
  assert_false(heq(hk[0], hk[1]));
  assert_false(heq(hk[1], hk[2]));
  assert_false(heq(hk[0], hk[2]));
  jet_transform vm;
  memset(&vm, 0, sizeof vm);
  vm.kind = JET_TF_VMAP;
  vm.in_axes = ax;
  vm.n_in_axes = 1;
  vm.axis_name = "i";
  jet_hash hv = jet_graph_hash(g, &vm, 1, NULL, 0);
  jet_transform w = vm;
  w.in_axes = ax2;
  assert_false(heq(hv, jet_graph_hash(g, &w, 1, NULL, 0)));
  w = vm;
  w.axis_name = "j";
  assert_false(heq(hv, jet_graph_hash(g, &w, 1, NULL, 0)));
  w = vm;
  w.axis_size = 3;
  assert_false(heq(hv, jet_graph_hash(g, &w, 1, NULL, 0)));
  w = vm;
  w.spmd_axis_name = "s";
  assert_false(heq(hv, jet_graph_hash(g, &w, 1, NULL, 0)));
  /* transform order */
  jet_transform two[2] = {t, vm}, owt[2] = {vm, t};
  assert_false(heq(jet_graph_hash(g, two, 2, NULL, 0), jet_graph_hash(g, owt, 2, NULL, 0)));
  /* argument types */
  jet_type args[2] = {g->value_types[0], g->value_types[1]};
  jet_hash ha = jet_graph_hash(g, NULL, 0, args, 2);
  args[1].dims[0] = 7;
  assert_false(heq(ha, jet_graph_hash(g, NULL, 0, args, 2)));
  args[1] = g->value_types[1];
  args[1].dtype = JET_F64;
  assert_false(heq(ha, jet_graph_hash(g, NULL, 0, args, 2)));
  assert_false(heq(ha, jet_graph_hash(g, NULL, 0, args, 1)));
  jet_graph_destroy(g);
}

static void test_every_op_distinct_and_callee_counts(void **state) {
  (void)state;
  jet_hash hs[JET_OP_COUNT];
  for (int op = 0; op < JET_OP_COUNT; op++) {
    jet_graph *g = NULL;
    ok(tg_build_op_graph((jet_op)op, &g));
    hs[op] = H(g);
    jet_graph *g2 = NULL;
    ok(tg_build_op_graph((jet_op)op, &g2));
    assert_true(heq(hs[op], H(g2)));
    jet_graph_destroy(g2);
    jet_graph_destroy(g);
    for (int o = 0; o < op; o++) assert_false(heq(hs[o], hs[op]));
  }
  /* A change inside a callee changes the caller's hash. */
  const char *a =
      "graph o(%0: f32[3]) {\n  %1 = call %0 : f32[3] {\n    graph f(%0: f32[3]) {\n"
      "      %1 = neg %0 : f32[3]\n      return %1\n    }\n  }\n  return %1\n}\n";
  const char *b =
      "graph o(%0: f32[3]) {\n  %1 = call %0 : f32[3] {\n    graph f(%0: f32[3]) {\n"
      "      %1 = abs %0 : f32[3]\n      return %1\n    }\n  }\n  return %1\n}\n";
  const char *c =
      "graph o(%0: f32[3]) {\n  %1 = call %0 : f32[3] {\n    graph renamed(%0: f32[3]) {\n"
      "      %1 = neg %0 : f32[3]\n      return %1\n    }\n  }\n  return %1\n}\n";
  jet_graph *ga, *gb, *gc;
  ok(jet_graph_parse(a, strlen(a), &ga));
  ok(jet_graph_parse(b, strlen(b), &gb));
  ok(jet_graph_parse(c, strlen(c), &gc));
  assert_false(heq(H(ga), H(gb)));
  assert_true(heq(H(ga), H(gc)));
  jet_graph_destroy(ga);
  jet_graph_destroy(gb);
  jet_graph_destroy(gc);
}

static void test_hex(void **state) {
  (void)state;
  jet_hash h;
  for (int i = 0; i < 16; i++) h.bytes[i] = (uint8_t)(i * 0x11);
  char hex[33];
  jet_hash_hex(&h, hex);
  assert_string_equal(hex, "00112233445566778899aabbccddeeff");
  jet_hash g = hash_variant(base());
  jet_hash_hex(&g, hex);
  assert_int_equal(strlen(hex), 32);
  for (int i = 0; i < 32; i++) assert_non_null(strchr("0123456789abcdef", hex[i]));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_equal_content_equal_hash),
      cmocka_unit_test(test_each_change_changes_hash),
      cmocka_unit_test(test_transforms_and_args_change_hash),
      cmocka_unit_test(test_every_op_distinct_and_callee_counts),
      cmocka_unit_test(test_hex),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
