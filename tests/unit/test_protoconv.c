/* Tests of the proto conversion and the gRPC byte-buffer codec: round trips
 * over the whole op table and every decode error with its field path. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/byte_buffer_reader.h>

#include "jet/protoconv.h"
#include "jet/rpc_codec.h"
#include "jet/text.h"
#include "text_test_graphs.h"

static void ok(jet_status st) {
  if (st) {
    fprintf(stderr, "unexpected error: %s: %s\n", jet_code_name(jet_status_code(st)),
            jet_status_message(st));
    jet_status_free(st);
    fail();
  }
}

static void expect_err(jet_status st, jet_code code, const char *needle) {
  if (st == NULL) fprintf(stderr, "expected an error containing '%s'\n", needle);
  assert_non_null(st);
  if (jet_status_code(st) != code || strstr(jet_status_message(st), needle) == NULL)
    fprintf(stderr, "got %s '%s', wanted %s '%s'\n", jet_code_name(jet_status_code(st)),
            jet_status_message(st), jet_code_name(code), needle);
  assert_int_equal(jet_status_code(st), code);
  assert_non_null(strstr(jet_status_message(st), needle));
  jet_status_free(st);
}

static char *text_of(const jet_graph *g) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  ok(jet_graph_print(g, &sb));
  char *s = jet_strbuf_take(&sb);
  assert_non_null(s);
  return s;
}

/* graph -> proto -> byte buffer -> proto (arena) -> graph. */
static jet_graph *wire_round_trip(const jet_graph *g, bool drop_results) {
  jet_arena *a = jet_arena_create(4096);
  assert_non_null(a);
  Jet__V1__Graph *pb = NULL;
  ok(jet_graph_to_proto(g, a, &pb));
  if (drop_results)
    for (size_t i = 0; i < pb->n_nodes; i++) pb->nodes[i]->n_results = 0;
  grpc_byte_buffer *bb = jet_rpc_pack(&pb->base);
  assert_non_null(bb);
  jet_arena *b = jet_arena_create(4096);
  ProtobufCMessage *m = NULL;
  ok(jet_rpc_unpack(bb, &jet__v1__graph__descriptor, b, &m));
  grpc_byte_buffer_destroy(bb);
  jet_graph *out = NULL;
  ok(jet_graph_from_proto((Jet__V1__Graph *)m, &out));
  jet_arena_destroy(b);
  jet_arena_destroy(a);
  return out;
}

static void test_every_op_wire_round_trip(void **state) {
  (void)state;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    jet_graph *g = NULL;
    ok(tg_build_op_graph((jet_op)op, &g));
    char *want = text_of(g);
    for (int drop = 0; drop < 2; drop++) {
      jet_graph *back = wire_round_trip(g, drop == 1);
      char *got = text_of(back);
      if (strcmp(want, got) != 0) fprintf(stderr, "want:\n%s\ngot:\n%s", want, got);
      assert_string_equal(want, got);
      free(got);
      jet_graph_destroy(back);
    }
    free(want);
    jet_graph_destroy(g);
  }
}

static void test_literal_bytes_survive(void **state) {
  (void)state;
  const char *text =
      "graph c() {\n  %0 = constant[value=f64[3]{nan(0x7ff0000000000001), -0, 1e-300}] : f64[3]\n"
      "  return %0\n}\n";
  jet_graph *g = NULL;
  ok(jet_graph_parse(text, strlen(text), &g));
  jet_graph *back = wire_round_trip(g, false);
  const jet_attr *a = jet_node_attr(&g->nodes[0], "value");
  const jet_attr *b = jet_node_attr(&back->nodes[0], "value");
  assert_int_equal(a->u.lit.nbytes, 24);
  assert_int_equal(b->u.lit.nbytes, 24);
  assert_memory_equal(a->u.lit.data, b->u.lit.data, 24);
  char *s = text_of(back);
  assert_string_equal(s, text);
  free(s);
  jet_graph_destroy(back);
  jet_graph_destroy(g);
}

static const char *k_err_graph =
    "graph e(%0: f32[3], %1: f32[3]) {\n"
    "  %2 = add %0, %1 : f32[3]\n"
    "  %3 = mul %2, %0 : f32[3]\n"
    "  %4, %5 = call %2, %3 : f32[3], f32[3] {\n"
    "    graph f(%0: f32[3], %1: f32[3]) {\n"
    "      %2 = sub %0, %1 : f32[3]\n"
    "      %3 = neg %2 : f32[3]\n"
    "      return %3, %2\n"
    "    }\n"
    "  }\n"
    "  %6 = reduce_sum[axes=[0]] %4 : f32[]\n"
    "  %7 = constant[value=f32[3]{1, 2, 3}] : f32[3]\n"
    "  return %6, %5, %7\n"
    "}\n";

typedef struct fixture {
  jet_graph *g;
  jet_arena *a;
  Jet__V1__Graph *pb;
} fixture;

static fixture fresh(void) {
  fixture f;
  ok(jet_graph_parse(k_err_graph, strlen(k_err_graph), &f.g));
  f.a = jet_arena_create(4096);
  ok(jet_graph_to_proto(f.g, f.a, &f.pb));
  return f;
}

static void done(fixture *f) {
  jet_graph_destroy(f->g);
  jet_arena_destroy(f->a);
}

static jet_status decode(const Jet__V1__Graph *pb) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_from_proto(pb, &g);
  if (st == NULL) jet_graph_destroy(g);
  else assert_null(g);
  return st;
}

static void test_decode_errors(void **state) {
  (void)state;
  const jet_code E = JET_INVALID_ARGUMENT;
  fixture f = fresh();
  ok(decode(f.pb)); /* the unmodified message decodes */
  done(&f);

  f = fresh();
  f.pb->nodes[3]->op = "frobnicate";
  expect_err(decode(f.pb), E, "graph.nodes[3].op: unknown op 'frobnicate'");
  done(&f);

  f = fresh();
  f.pb->nodes[1]->operands[1] = 99;
  expect_err(decode(f.pb), E, "graph.nodes[1].operands[1]: value 99 is not defined before node 1");
  done(&f);

  f = fresh();
  f.pb->nodes[1]->operands[1] = 3; /* its own result: a forward reference */
  expect_err(decode(f.pb), E, "graph.nodes[1].operands[1]");
  done(&f);

  f = fresh();
  f.pb->nodes[2]->callee->nodes[0]->op = "frobnicate";
  expect_err(decode(f.pb), E, "graph.nodes[2].callee.nodes[0].op: unknown op 'frobnicate'");
  done(&f);

  f = fresh();
  f.pb->nodes[2]->callee->nodes[1]->operands[0] = 5;
  expect_err(decode(f.pb), E, "graph.nodes[2].callee.nodes[1].operands[0]");
  done(&f);

  f = fresh();
  f.pb->nodes[2]->callee = NULL;
  expect_err(decode(f.pb), E, "graph.nodes[2].callee: required for op 'call'");
  done(&f);

  f = fresh();
  f.pb->nodes[0]->callee = f.pb->nodes[2]->callee;
  expect_err(decode(f.pb), E, "graph.nodes[0].callee: only op 'call'");
  done(&f);

  f = fresh();
  {
    Jet__V1__Transform t = JET__V1__TRANSFORM__INIT;
    Jet__V1__JvpTransform j = JET__V1__JVP_TRANSFORM__INIT;
    t.kind_case = JET__V1__TRANSFORM__KIND_JVP;
    t.jvp = &j;
    Jet__V1__Transform *tp = &t;
    f.pb->nodes[1]->n_transforms = 1;
    f.pb->nodes[1]->transforms = &tp;
    expect_err(decode(f.pb), E, "graph.nodes[1].transforms: only op 'call'");
    f.pb->nodes[1]->n_transforms = 0;
    /* on the call itself: decoded and typed (jvp takes primals and
     * tangents, so two operands are too few) */
    f.pb->nodes[2]->n_transforms = 1;
    f.pb->nodes[2]->transforms = &tp;
    expect_err(decode(f.pb), E, "transformed callee takes 4 parameters");
    for (size_t i = 0; i < f.pb->n_nodes; i++) f.pb->nodes[i]->n_results = 0;
    expect_err(decode(f.pb), E, "graph.nodes[2] (call)");
    /* pmap is decoded and typed: its mapped axis (in_axes 0) is read from
     * the operands, which lack it */
    Jet__V1__PmapTransform pm = JET__V1__PMAP_TRANSFORM__INIT;
    t.kind_case = JET__V1__TRANSFORM__KIND_PMAP;
    t.pmap = &pm;
    expect_err(decode(f.pb), E, "transforms[0] (pmap): pmap cannot read the size");
    /* a bad transform names its path */
    t.kind_case = JET__V1__TRANSFORM__KIND__NOT_SET;
    expect_err(decode(f.pb), E, "graph.nodes[2].transforms[0]: transform kind is not set");
  }
  done(&f);

  f = fresh();
  f.pb->nodes[3]->attrs[0]->value_case = JET__V1__ATTRIBUTE__VALUE__NOT_SET;
  expect_err(decode(f.pb), E, "graph.nodes[3].attrs[0]: attribute 'axes' has no value");
  done(&f);

  f = fresh();
  f.pb->nodes[3]->attrs[0]->value_case = JET__V1__ATTRIBUTE__VALUE_I;
  f.pb->nodes[3]->attrs[0]->i = 0;
  expect_err(decode(f.pb), E, "axes");
  done(&f);

  f = fresh();
  f.pb->nodes[3]->attrs[0]->name = "bogus";
  expect_err(decode(f.pb), E, "bogus");
  done(&f);

  f = fresh();
  f.pb->nodes[4]->attrs[0]->literal->data.len = 11;
  expect_err(decode(f.pb), E, "graph.nodes[4].attrs[0].literal.data: has 11 bytes but f32[3] needs 12");
  done(&f);

  f = fresh();
  f.pb->nodes[4]->attrs[0]->literal->type->dtype = 99;
  expect_err(decode(f.pb), E, "graph.nodes[4].attrs[0].literal.type.dtype: invalid dtype 99");
  done(&f);

  f = fresh();
  f.pb->nodes[4]->attrs[0]->literal->type = NULL;
  expect_err(decode(f.pb), E, "graph.nodes[4].attrs[0].literal.type");
  done(&f);

  f = fresh();
  f.pb->nodes[1]->attrs = f.pb->nodes[3]->attrs;
  f.pb->nodes[1]->n_attrs = 1;
  expect_err(decode(f.pb), E, "axes");
  done(&f);

  f = fresh();
  f.pb->params[1]->dtype = 42;
  expect_err(decode(f.pb), E, "graph.params[1].dtype: invalid dtype 42");
  done(&f);

  f = fresh();
  f.pb->params[1]->dtype = JET__V1__DTYPE__DTYPE_FLOAT16;
  expect_err(decode(f.pb), JET_UNIMPLEMENTED, "graph.params[1]");
  done(&f);

  f = fresh();
  {
    int64_t dims[17];
    for (int i = 0; i < 17; i++) dims[i] = 1;
    f.pb->params[0]->dims = dims;
    f.pb->params[0]->n_dims = 17;
    expect_err(decode(f.pb), E, "graph.params[0].dims: rank 17");
    dims[0] = -2;
    f.pb->params[0]->n_dims = 2;
    expect_err(decode(f.pb), E, "graph.params[0]");
  }
  done(&f);

  f = fresh();
  f.pb->outputs[1] = 8;
  expect_err(decode(f.pb), E, "graph.outputs[1]: value 8 is not defined");
  done(&f);

  f = fresh();
  f.pb->n_outputs = 0;
  expect_err(decode(f.pb), E, "output");
  done(&f);

  f = fresh();
  f.pb->nodes[0]->results[0]->dims[0] = 4; /* wrong result type on the wire */
  expect_err(decode(f.pb), E, "node 0");
  done(&f);

  f = fresh();
  f.pb->nodes[1]->n_results = 0; /* inferred */
  f.pb->nodes[1]->operands[0] = 0;
  ok(decode(f.pb));
  done(&f);

  expect_err(jet_graph_from_proto(NULL, &f.g), E, "graph");
}

static void transform_round_trip(const jet_transform *t) {
  jet_arena *a = jet_arena_create(1024);
  Jet__V1__Transform pb;
  ok(jet_transform_to_proto(t, a, &pb));
  grpc_byte_buffer *bb = jet_rpc_pack(&pb.base);
  ProtobufCMessage *m = NULL;
  ok(jet_rpc_unpack(bb, &jet__v1__transform__descriptor, a, &m));
  grpc_byte_buffer_destroy(bb);
  jet_transform back;
  ok(jet_transform_from_proto((Jet__V1__Transform *)m, "t", a, &back));
  assert_int_equal(back.kind, t->kind);
  assert_int_equal(back.n_argnums, t->n_argnums);
  if (t->n_argnums) assert_memory_equal(back.argnums, t->argnums, t->n_argnums * 4);
  assert_int_equal(back.argnums_tuple, t->argnums_tuple);
  assert_int_equal(back.has_aux, t->has_aux);
  assert_int_equal(back.holomorphic, t->holomorphic);
  assert_int_equal(back.allow_int, t->allow_int);
  assert_int_equal(back.n_in_axes, t->n_in_axes);
  for (uint32_t i = 0; i < t->n_in_axes; i++) {
    assert_int_equal(back.in_axes[i].mapped, t->in_axes[i].mapped);
    assert_int_equal(back.in_axes[i].axis, t->in_axes[i].axis);
  }
  assert_int_equal(back.n_out_axes, t->n_out_axes);
  assert_int_equal(back.axis_size, t->axis_size);
  assert_string_equal(back.axis_name, t->axis_name ? t->axis_name : "");
  assert_string_equal(back.spmd_axis_name, t->spmd_axis_name ? t->spmd_axis_name : "");
  assert_int_equal(back.n_static_argnums, t->n_static_argnums);
  assert_int_equal(back.n_devices, t->n_devices);
  if (t->n_devices) assert_memory_equal(back.devices, t->devices, t->n_devices * 4);
  assert_int_equal(back.n_donate_argnums, t->n_donate_argnums);
  jet_arena_destroy(a);
}

static void test_transforms_both_ways(void **state) {
  (void)state;
  int32_t argnums[] = {0, 2};
  jet_axis_spec axes[] = {{true, 1}, {false, 0}, {true, -2}};
  uint32_t devs[] = {1, 0};
  jet_transform t;
  for (int k = JET_TF_GRAD; k <= JET_TF_HESSIAN; k++) {
    memset(&t, 0, sizeof t);
    t.kind = (jet_transform_kind)k;
    if (k == JET_TF_GRAD || k == JET_TF_VALUE_AND_GRAD || k >= JET_TF_JACFWD) {
      t.argnums = argnums;
      t.n_argnums = 2;
      t.argnums_tuple = true;
      t.holomorphic = k == JET_TF_GRAD;
      t.allow_int = k != JET_TF_GRAD;
    }
    t.has_aux = k != JET_TF_VMAP && k != JET_TF_PMAP;
    if (k == JET_TF_VMAP || k == JET_TF_PMAP) {
      t.in_axes = axes;
      t.n_in_axes = 3;
      t.out_axes = axes;
      t.n_out_axes = 1;
      t.axis_size = 5;
      t.axis_name = "batch";
    }
    if (k == JET_TF_VMAP) t.spmd_axis_name = "spmd";
    if (k == JET_TF_PMAP) {
      t.static_broadcasted_argnums = argnums;
      t.n_static_argnums = 1;
      t.devices = devs;
      t.n_devices = 2;
      t.donate_argnums = argnums + 1;
      t.n_donate_argnums = 1;
    }
    transform_round_trip(&t);
  }
}

static void test_transform_decode_errors(void **state) {
  (void)state;
  jet_arena *a = jet_arena_create(1024);
  jet_transform out;
  const jet_code E = JET_INVALID_ARGUMENT;
  Jet__V1__Transform t = JET__V1__TRANSFORM__INIT;
  expect_err(jet_transform_from_proto(&t, "req.transforms[0]", a, &out), E,
             "req.transforms[0]: transform kind is not set");
  Jet__V1__GradTransform g = JET__V1__GRAD_TRANSFORM__INIT;
  int32_t bad[] = {0, -1};
  g.argnums = bad;
  g.n_argnums = 2;
  t.kind_case = JET__V1__TRANSFORM__KIND_GRAD;
  t.grad = &g;
  expect_err(jet_transform_from_proto(&t, "req.transforms[0]", a, &out), E,
             "req.transforms[0].grad.argnums[1]: must be >= 0, got -1");
  Jet__V1__ValueAndGradTransform v = JET__V1__VALUE_AND_GRAD_TRANSFORM__INIT;
  v.argnums = bad + 1;
  v.n_argnums = 1;
  t.kind_case = JET__V1__TRANSFORM__KIND_VALUE_AND_GRAD;
  t.value_and_grad = &v;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E, "x.value_and_grad.argnums[0]");
  Jet__V1__JacfwdTransform jf = JET__V1__JACFWD_TRANSFORM__INIT;
  jf.argnums = bad;
  jf.n_argnums = 2;
  t.kind_case = JET__V1__TRANSFORM__KIND_JACFWD;
  t.jacfwd = &jf;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E,
             "x.jacfwd.argnums[1]: must be >= 0, got -1");
  t.jacfwd = NULL;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E, "x.jacfwd: missing");
  Jet__V1__JacrevTransform jr = JET__V1__JACREV_TRANSFORM__INIT;
  jr.argnums = bad + 1;
  jr.n_argnums = 1;
  t.kind_case = JET__V1__TRANSFORM__KIND_JACREV;
  t.jacrev = &jr;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E, "x.jacrev.argnums[0]");
  Jet__V1__HessianTransform he = JET__V1__HESSIAN_TRANSFORM__INIT;
  he.argnums = bad + 1;
  he.n_argnums = 1;
  t.kind_case = JET__V1__TRANSFORM__KIND_HESSIAN;
  t.hessian = &he;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E, "x.hessian.argnums[0]");
  Jet__V1__VmapTransform vm = JET__V1__VMAP_TRANSFORM__INIT;
  Jet__V1__AxisSpec ax = JET__V1__AXIS_SPEC__INIT;
  ax.mapped = true;
  ax.axis = 99;
  Jet__V1__AxisSpec *axp = &ax;
  vm.in_axes = &axp;
  vm.n_in_axes = 1;
  t.kind_case = JET__V1__TRANSFORM__KIND_VMAP;
  t.vmap = &vm;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E, "x.vmap.in_axes[0].axis: 99");
  ax.axis = -1;
  ok(jet_transform_from_proto(&t, "x", a, &out));
  vm.out_axes = &axp;
  vm.n_out_axes = 1;
  ax.axis = -100;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E, "x.vmap.in_axes[0].axis");
  ax.axis = 0;
  vm.axis_size = -3;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E, "x.vmap.axis_size: must be >= 0");
  Jet__V1__PmapTransform pm = JET__V1__PMAP_TRANSFORM__INIT;
  pm.static_broadcasted_argnums = bad;
  pm.n_static_broadcasted_argnums = 2;
  t.kind_case = JET__V1__TRANSFORM__KIND_PMAP;
  t.pmap = &pm;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E,
             "x.pmap.static_broadcasted_argnums[1]");
  pm.n_static_broadcasted_argnums = 0;
  pm.donate_argnums = bad;
  pm.n_donate_argnums = 2;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E, "x.pmap.donate_argnums[1]");
  pm.n_donate_argnums = 0;
  pm.axis_size = -1;
  expect_err(jet_transform_from_proto(&t, "x", a, &out), E, "x.pmap.axis_size");
  expect_err(jet_transform_from_proto(NULL, "x", a, &out), E, "x: transform is missing");
  jet_arena_destroy(a);
}

static void test_types_and_arrays(void **state) {
  (void)state;
  jet_arena *a = jet_arena_create(1024);
  jet_type t = tg_type(JET_I64, 2, 2, 3), back;
  Jet__V1__TensorType pb;
  ok(jet_type_to_proto(&t, a, &pb));
  assert_int_equal(pb.dtype, JET__V1__DTYPE__DTYPE_INT64);
  assert_int_equal(pb.n_dims, 2);
  ok(jet_type_from_proto(&pb, "arg", &back));
  assert_true(jet_type_equal(&t, &back));
  expect_err(jet_type_from_proto(NULL, "args[2].type", &back), JET_INVALID_ARGUMENT,
             "args[2].type: type is missing");
  int64_t data[6] = {1, 2, 3, 4, 5, INT64_MIN};
  Jet__V1__Array arr;
  ok(jet_array_to_proto(&t, data, a, &arr));
  assert_int_equal(arr.data.len, 48);
  const void *d = NULL;
  ok(jet_array_from_proto(&arr, "args[0]", &back, &d));
  assert_ptr_equal(d, data);
  arr.data.len = 40;
  expect_err(jet_array_from_proto(&arr, "args[0]", &back, &d), JET_INVALID_ARGUMENT,
             "args[0].data: has 40 bytes but i64[2,3] needs 48");
  expect_err(jet_array_from_proto(NULL, "args[0]", &back, &d), JET_INVALID_ARGUMENT,
             "args[0]: array is missing");
  /* The arena allocator unpacks without frees. */
  arr.data.len = 48;
  size_t n = protobuf_c_message_get_packed_size(&arr.base);
  uint8_t *buf = malloc(n);
  protobuf_c_message_pack(&arr.base, buf);
  ProtobufCAllocator al = jet_arena_protobuf_allocator(a);
  Jet__V1__Array *u = jet__v1__array__unpack(&al, n, buf);
  assert_non_null(u);
  assert_int_equal(u->data.len, 48);
  assert_memory_equal(u->data.data, data, 48);
  free(buf);
  jet_arena_destroy(a); /* frees u */
}

static void test_rpc_unpack_malformed(void **state) {
  (void)state;
  jet_arena *a = jet_arena_create(1024);
  ProtobufCMessage *m = NULL;
  /* field 3 (nodes), length-delimited, claims 100 bytes but has 2 */
  const char bad1[] = {0x1a, 0x64, 0x01, 0x02};
  /* a varint that never ends */
  const char bad2[] = {0x20, (char)0xff, (char)0xff, (char)0xff};
  /* wire type 7 does not exist */
  const char bad3[] = {0x0f, 0x00};
  const char *bads[] = {bad1, bad2, bad3};
  size_t lens[] = {sizeof bad1, sizeof bad2, sizeof bad3};
  for (int i = 0; i < 3; i++) {
    grpc_slice s = grpc_slice_from_copied_buffer(bads[i], lens[i]);
    grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
    grpc_slice_unref(s);
    expect_err(jet_rpc_unpack(bb, &jet__v1__graph__descriptor, a, &m), JET_INVALID_ARGUMENT,
               "malformed jet.v1.Graph message");
    assert_null(m);
    grpc_byte_buffer_destroy(bb);
  }
  /* NULL decodes as the empty message */
  ok(jet_rpc_unpack(NULL, &jet__v1__compile_request__descriptor, a, &m));
  assert_non_null(m);
  assert_null(((Jet__V1__CompileRequest *)m)->graph);
  /* a truncated valid message is malformed too */
  fixture f = fresh();
  grpc_byte_buffer *bb = jet_rpc_pack(&f.pb->base);
  grpc_byte_buffer_reader r;
  assert_true(grpc_byte_buffer_reader_init(&r, bb));
  grpc_slice all = grpc_byte_buffer_reader_readall(&r);
  grpc_byte_buffer_reader_destroy(&r);
  size_t n = GRPC_SLICE_LENGTH(all);
  assert_true(n > 10);
  grpc_slice cut = grpc_slice_sub(all, 0, n - 3);
  grpc_byte_buffer *bb2 = grpc_raw_byte_buffer_create(&cut, 1);
  expect_err(jet_rpc_unpack(bb2, &jet__v1__graph__descriptor, a, &m), JET_INVALID_ARGUMENT,
             "malformed jet.v1.Graph message");
  grpc_byte_buffer_destroy(bb2);
  grpc_slice_unref(cut);
  grpc_slice_unref(all);
  grpc_byte_buffer_destroy(bb);
  done(&f);
  jet_arena_destroy(a);
}

int main(void) {
  grpc_init();
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_op_wire_round_trip),
      cmocka_unit_test(test_literal_bytes_survive),
      cmocka_unit_test(test_decode_errors),
      cmocka_unit_test(test_transforms_both_ways),
      cmocka_unit_test(test_transform_decode_errors),
      cmocka_unit_test(test_types_and_arrays),
      cmocka_unit_test(test_rpc_unpack_malformed),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  grpc_shutdown();
  return rc;
}
