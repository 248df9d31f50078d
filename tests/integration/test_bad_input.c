/* Bad input over the wire: every malformed or invalid request gets its gRPC
 * status and a message naming the node or field at fault, and the daemon
 * keeps serving. Requests are built as raw protobuf messages and sent with
 * gRPC core directly, since libjet cannot produce most of them. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_harness.h"
#include "jet/jet.h"
#include "jet/v1/jet.pb-c.h"

#define TIMEOUT_MS 20000
#define F32 JET__V1__DTYPE__DTYPE_FLOAT32
#define I32 JET__V1__DTYPE__DTYPE_INT32

/* ---- message helpers ---- */

static void set_type(Jet__V1__TensorType *t, Jet__V1__DType dt, int64_t *dims, size_t n) {
  Jet__V1__TensorType init = JET__V1__TENSOR_TYPE__INIT;
  *t = init;
  t->dtype = dt;
  t->dims = dims;
  t->n_dims = n;
}

static void set_node(Jet__V1__Node *nd, const char *op, uint32_t *operands, size_t n) {
  Jet__V1__Node init = JET__V1__NODE__INIT;
  *nd = init;
  nd->op = (char *)op;
  nd->operands = operands;
  nd->n_operands = n;
}

/* A graph over params[0..np) with nodes[0..nn) and one output. */
static void set_graph(Jet__V1__Graph *g, Jet__V1__TensorType **params, size_t np,
                      Jet__V1__Node **nodes, size_t nn, uint32_t *output) {
  Jet__V1__Graph init = JET__V1__GRAPH__INIT;
  *g = init;
  g->name = "bad";
  g->params = params;
  g->n_params = np;
  g->nodes = nodes;
  g->n_nodes = nn;
  g->outputs = output;
  g->n_outputs = 1;
}

/* True when msg names node i ("node 1", "nodes[1]"). */
static int mentions_node(const char *msg, int i) {
  char a[32], b[32];
  snprintf(a, sizeof a, "node %d", i);
  snprintf(b, sizeof b, "nodes[%d]", i);
  return strstr(msg, a) || strstr(msg, b);
}

static void check_result(const char *what, const jet_test_raw_result *r, grpc_status_code code,
                         const char *needle, const char *needle2, int node) {
  if (r->code != code)
    fail_msg("%s: status %d (%s), expected %d", what, r->code, r->details, code);
  if (!r->details || !r->details[0]) fail_msg("%s: status %d without a message", what, code);
  if (needle && !strstr(r->details, needle))
    fail_msg("%s: message \"%s\" does not mention \"%s\"", what, r->details, needle);
  if (needle2 && !strstr(r->details, needle2))
    fail_msg("%s: message \"%s\" does not mention \"%s\"", what, r->details, needle2);
  if (node >= 0 && !mentions_node(r->details, node))
    fail_msg("%s: message \"%s\" does not name node %d", what, r->details, node);
  fprintf(stderr, "  %-28s -> %d: %s\n", what, r->code, r->details);
}

/* Sends a CompileRequest for g (with transforms) and checks the answer. */
static void expect_compile(const jet_test_fixture *f, const char *what, Jet__V1__Graph *g,
                           Jet__V1__Transform **tf, size_t ntf, grpc_status_code code,
                           const char *needle, const char *needle2, int node) {
  Jet__V1__CompileRequest req = JET__V1__COMPILE_REQUEST__INIT;
  req.graph = g;
  req.transforms = tf;
  req.n_transforms = ntf;
  jet_test_raw_result r;
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/Compile", &req.base, NULL,
                                         TIMEOUT_MS, &r),
                   0);
  check_result(what, &r, code, needle, needle2, node);
  jet_test_raw_result_free(&r);
}

/* Polls GetStats until no bytes are live (a refused upload's buffer may be
 * released just after its status is sent); fails after 5 s. */
static void expect_no_live_bytes(jet_client *c) {
  double deadline = jet_test_now_ms() + 5000;
  for (;;) {
    jet_stats s;
    JET_TEST_OK(jet_client_stats(c, &s));
    uint64_t lb = s.live_bytes;
    jet_stats_clear(&s);
    if (lb == 0) return;
    if (jet_test_now_ms() > deadline) fail_msg("live_bytes still %llu after 5 s", (unsigned long long)lb);
    jet_test_sleep_ms(10);
  }
}

/* ---- the cases ---- */

static void test_malformed_bytes(void **state) {
  jet_test_fixture *f = *state;
  /* Field 1 (graph), length-delimited, with a length far past the end. */
  static const unsigned char garbage[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01, 0x02};
  static const char *methods[] = {"/jet.v1.Jet/Compile", "/jet.v1.Jet/Execute",
                                  "/jet.v1.Jet/GetArray", "/jet.v1.Jet/DeleteArray"};
  for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
    jet_test_raw_result r;
    assert_int_equal(jet_test_raw_call_bytes(f->address, methods[i], garbage, sizeof garbage,
                                             jet_client_session(f->client), TIMEOUT_MS, &r),
                     0);
    check_result(methods[i], &r, GRPC_STATUS_INVALID_ARGUMENT, NULL, NULL, -1);
    jet_test_raw_result_free(&r);
  }
}

static void test_unknown_op(void **state) {
  jet_test_fixture *f = *state;
  int64_t d3[] = {3};
  Jet__V1__TensorType p0;
  set_type(&p0, F32, d3, 1);
  Jet__V1__TensorType *params[] = {&p0};
  uint32_t ops0[] = {0}, ops1[] = {1};
  Jet__V1__Node n0, n1;
  set_node(&n0, "neg", ops0, 1);
  set_node(&n1, "frobnicate", ops1, 1);
  Jet__V1__Node *nodes[] = {&n0, &n1};
  uint32_t out = 2;
  Jet__V1__Graph g;
  set_graph(&g, params, 1, nodes, 2, &out);
  expect_compile(f, "unknown op", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT, "frobnicate", NULL,
                 1);
}

static void test_wrong_operand_count(void **state) {
  jet_test_fixture *f = *state;
  int64_t d3[] = {3};
  Jet__V1__TensorType p0;
  set_type(&p0, F32, d3, 1);
  Jet__V1__TensorType *params[] = {&p0};
  uint32_t ops[] = {0};
  Jet__V1__Node n0;
  set_node(&n0, "add", ops, 1);
  Jet__V1__Node *nodes[] = {&n0};
  uint32_t out = 1;
  Jet__V1__Graph g;
  set_graph(&g, params, 1, nodes, 1, &out);
  expect_compile(f, "wrong operand count", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT, "add", NULL,
                 0);
}

static void test_dtype_mismatch(void **state) {
  jet_test_fixture *f = *state;
  int64_t d3[] = {3};
  Jet__V1__TensorType p0, p1;
  set_type(&p0, F32, d3, 1);
  set_type(&p1, I32, d3, 1);
  Jet__V1__TensorType *params[] = {&p0, &p1};
  uint32_t ops[] = {0, 1};
  Jet__V1__Node n0;
  set_node(&n0, "add", ops, 2);
  Jet__V1__Node *nodes[] = {&n0};
  uint32_t out = 2;
  Jet__V1__Graph g;
  set_graph(&g, params, 2, nodes, 1, &out);
  expect_compile(f, "dtype mismatch", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT, NULL, NULL, 0);
}

static void test_shape_mismatch(void **state) {
  jet_test_fixture *f = *state;
  int64_t d3[] = {3}, d4[] = {4};
  Jet__V1__TensorType p0, p1;
  set_type(&p0, F32, d3, 1);
  set_type(&p1, F32, d4, 1);
  Jet__V1__TensorType *params[] = {&p0, &p1};
  uint32_t ops[] = {0, 1};
  Jet__V1__Node n0;
  set_node(&n0, "mul", ops, 2);
  Jet__V1__Node *nodes[] = {&n0};
  uint32_t out = 2;
  Jet__V1__Graph g;
  set_graph(&g, params, 2, nodes, 1, &out);
  expect_compile(f, "shape mismatch", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT, NULL, NULL, 0);
}

static void test_declared_result_type_mismatch(void **state) {
  jet_test_fixture *f = *state;
  int64_t d3[] = {3}, d4[] = {4};
  Jet__V1__TensorType p0, wrong;
  set_type(&p0, F32, d3, 1);
  set_type(&wrong, F32, d4, 1);
  Jet__V1__TensorType *params[] = {&p0};
  Jet__V1__TensorType *results[] = {&wrong};
  uint32_t ops[] = {0};
  Jet__V1__Node n0;
  set_node(&n0, "neg", ops, 1);
  n0.results = results;
  n0.n_results = 1;
  Jet__V1__Node *nodes[] = {&n0};
  uint32_t out = 1;
  Jet__V1__Graph g;
  set_graph(&g, params, 1, nodes, 1, &out);
  expect_compile(f, "declared result mismatch", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT, NULL,
                 NULL, 0);
}

static void test_missing_attribute(void **state) {
  jet_test_fixture *f = *state;
  int64_t d3[] = {3};
  Jet__V1__TensorType p0;
  set_type(&p0, F32, d3, 1);
  Jet__V1__TensorType *params[] = {&p0};
  uint32_t ops[] = {0};
  Jet__V1__Node n0;
  set_node(&n0, "reduce_sum", ops, 1); /* "axes" is required */
  Jet__V1__Node *nodes[] = {&n0};
  uint32_t out = 1;
  Jet__V1__Graph g;
  set_graph(&g, params, 1, nodes, 1, &out);
  expect_compile(f, "missing attribute", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT, "axes", NULL,
                 0);
}

static void test_negative_dims(void **state) {
  jet_test_fixture *f = *state;
  int64_t dims[] = {2, -3};
  Jet__V1__TensorType p0;
  set_type(&p0, F32, dims, 2);
  Jet__V1__TensorType *params[] = {&p0};
  uint32_t ops[] = {0};
  Jet__V1__Node n0;
  set_node(&n0, "neg", ops, 1);
  Jet__V1__Node *nodes[] = {&n0};
  uint32_t out = 1;
  Jet__V1__Graph g;
  set_graph(&g, params, 1, nodes, 1, &out);
  expect_compile(f, "negative dims", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT, "params[0]", NULL,
                 -1);
}

static void test_element_count_overflow(void **state) {
  jet_test_fixture *f = *state;
  int64_t dims[] = {INT64_C(1) << 32, INT64_C(1) << 32}; /* 2^64 elements */
  Jet__V1__TensorType p0;
  set_type(&p0, F32, dims, 2);
  Jet__V1__TensorType *params[] = {&p0};
  uint32_t ops[] = {0};
  Jet__V1__Node n0;
  set_node(&n0, "neg", ops, 1);
  Jet__V1__Node *nodes[] = {&n0};
  uint32_t out = 1;
  Jet__V1__Graph g;
  set_graph(&g, params, 1, nodes, 1, &out);
  expect_compile(f, "element count overflow", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT,
                 "params[0]", NULL, -1);

  /* The same overflow in an array sent to PutArray. */
  Jet__V1__PutArrayChunk chunk = JET__V1__PUT_ARRAY_CHUNK__INIT;
  chunk.type = &p0;
  jet_test_raw_result r;
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/PutArray", &chunk.base,
                                         jet_client_session(f->client), TIMEOUT_MS, &r),
                   0);
  check_result("PutArray overflow", &r, GRPC_STATUS_INVALID_ARGUMENT, "type", NULL, -1);
  jet_test_raw_result_free(&r);
}

static void test_forward_reference(void **state) {
  jet_test_fixture *f = *state;
  int64_t d3[] = {3};
  Jet__V1__TensorType p0;
  set_type(&p0, F32, d3, 1);
  Jet__V1__TensorType *params[] = {&p0};
  uint32_t ops0[] = {0, 2}; /* value 2 is defined by node 1, later */
  uint32_t ops1[] = {0};
  Jet__V1__Node n0, n1;
  set_node(&n0, "add", ops0, 2);
  set_node(&n1, "neg", ops1, 1);
  Jet__V1__Node *nodes[] = {&n0, &n1};
  uint32_t out = 1;
  Jet__V1__Graph g;
  set_graph(&g, params, 1, nodes, 2, &out);
  expect_compile(f, "forward reference", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT, NULL, NULL, 0);

  /* An output that names no value. */
  uint32_t bad_out = 99;
  set_graph(&g, params, 1, &nodes[1], 1, &bad_out);
  n1.operands = ops1;
  expect_compile(f, "undefined output", &g, NULL, 0, GRPC_STATUS_INVALID_ARGUMENT, "99", NULL,
                 -1);
}

static void test_transform_unimplemented(void **state) {
  jet_test_fixture *f = *state;
  Jet__V1__TensorType p0;
  set_type(&p0, F32, NULL, 0);
  Jet__V1__TensorType *params[] = {&p0};
  uint32_t ops[] = {0, 0};
  Jet__V1__Node n0;
  set_node(&n0, "mul", ops, 2);
  Jet__V1__Node *nodes[] = {&n0};
  uint32_t out = 1;
  Jet__V1__Graph g;
  set_graph(&g, params, 1, nodes, 1, &out);
  Jet__V1__PmapTransform pmap = JET__V1__PMAP_TRANSFORM__INIT;
  Jet__V1__Transform tf = JET__V1__TRANSFORM__INIT;
  tf.kind_case = JET__V1__TRANSFORM__KIND_PMAP;
  tf.pmap = &pmap;
  Jet__V1__Transform *tfs[] = {&tf};
  /* pmap without axis_size on a graph compiled alone: nothing to read
   * the size from. */
  expect_compile(f, "pmap transform", &g, tfs, 1, GRPC_STATUS_INVALID_ARGUMENT,
                 "pmap needs axis_size", NULL, -1);
}

static void test_execute_errors(void **state) {
  jet_test_fixture *f = *state;
  /* A real executable: neg over f32[3]. */
  jet_builder *b = jet_builder_create("neg3");
  assert_non_null(b);
  jet_type t3 = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_value x = jet_builder_param(b, &t3);
  jet_value y = jet_neg(b, x);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(f->client, jet_builder_graph(b), NULL, 0, NULL, &e, NULL));
  jet_builder_destroy(b);

  int64_t d3[] = {3};
  Jet__V1__TensorType tt;
  set_type(&tt, F32, d3, 1);
  float data[2] = {1, 2}; /* 8 bytes where 12 are needed */
  Jet__V1__Array arr = JET__V1__ARRAY__INIT;
  arr.type = &tt;
  arr.data.data = (uint8_t *)data;
  arr.data.len = sizeof data;
  Jet__V1__Argument arg = JET__V1__ARGUMENT__INIT;
  arg.value_case = JET__V1__ARGUMENT__VALUE_INLINE;
  arg.inline_ = &arr;
  Jet__V1__Argument *args[] = {&arg};
  Jet__V1__ExecuteRequest req = JET__V1__EXECUTE_REQUEST__INIT;
  req.executable_id = (char *)jet_executable_id(e);
  req.args = args;
  req.n_args = 1;
  jet_test_raw_result r;
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/Execute", &req.base, NULL,
                                         TIMEOUT_MS, &r),
                   0);
  check_result("inline data length", &r, GRPC_STATUS_INVALID_ARGUMENT, "args[0]", NULL, -1);
  jet_test_raw_result_free(&r);

  /* Wrong argument count. */
  req.n_args = 0;
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/Execute", &req.base, NULL,
                                         TIMEOUT_MS, &r),
                   0);
  check_result("argument count", &r, GRPC_STATUS_INVALID_ARGUMENT, NULL, NULL, -1);
  jet_test_raw_result_free(&r);
  req.n_args = 1;

  /* Unknown handle (in our own session). */
  Jet__V1__ArrayHandle h = JET__V1__ARRAY_HANDLE__INIT;
  h.id = "00112233445566778899aabbccddeeff";
  arg.value_case = JET__V1__ARGUMENT__VALUE_HANDLE;
  arg.handle = &h;
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/Execute", &req.base,
                                         jet_client_session(f->client), TIMEOUT_MS, &r),
                   0);
  check_result("unknown handle", &r, GRPC_STATUS_NOT_FOUND, NULL, NULL, -1);
  jet_test_raw_result_free(&r);

  /* Foreign handle: an array of another session. */
  jet_client *other;
  JET_TEST_OK(jet_client_connect(f->address, &other));
  float x3[3] = {1, 2, 3};
  jet_array *theirs;
  JET_TEST_OK(jet_array_put(other, &t3, x3, &theirs));
  h.id = (char *)jet_array_id(theirs);
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/Execute", &req.base,
                                         jet_client_session(f->client), TIMEOUT_MS, &r),
                   0);
  check_result("foreign handle", &r, GRPC_STATUS_NOT_FOUND, NULL, NULL, -1);
  jet_test_raw_result_free(&r);
  Jet__V1__GetArrayRequest greq = JET__V1__GET_ARRAY_REQUEST__INIT;
  greq.handle = &h;
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/GetArray", &greq.base,
                                         jet_client_session(f->client), TIMEOUT_MS, &r),
                   0);
  check_result("foreign GetArray", &r, GRPC_STATUS_NOT_FOUND, NULL, NULL, -1);
  assert_null(r.response);
  jet_test_raw_result_free(&r);
  Jet__V1__ArrayHandle *hs[] = {&h};
  Jet__V1__DeleteArrayRequest dreq = JET__V1__DELETE_ARRAY_REQUEST__INIT;
  dreq.handles = hs;
  dreq.n_handles = 1;
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/DeleteArray", &dreq.base,
                                         jet_client_session(f->client), TIMEOUT_MS, &r),
                   0);
  check_result("foreign DeleteArray", &r, GRPC_STATUS_NOT_FOUND, NULL, NULL, -1);
  jet_test_raw_result_free(&r);
  float back[3];
  JET_TEST_OK(jet_array_get(theirs, back, sizeof back));
  assert_memory_equal(back, x3, sizeof x3);
  JET_TEST_OK(jet_array_free(theirs));
  jet_client_close(other);

  /* Unknown executable id. */
  arg.value_case = JET__V1__ARGUMENT__VALUE_INLINE;
  arg.inline_ = &arr;
  req.executable_id = "0123456789abcdef0123456789abcdef";
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/Execute", &req.base, NULL,
                                         TIMEOUT_MS, &r),
                   0);
  check_result("unknown executable", &r, GRPC_STATUS_NOT_FOUND,
               "0123456789abcdef0123456789abcdef", NULL, -1);
  jet_test_raw_result_free(&r);
}

static void test_put_array_length_mismatch(void **state) {
  jet_test_fixture *f = *state;
  int64_t d4[] = {4};
  Jet__V1__TensorType tt;
  set_type(&tt, F32, d4, 1);
  float data[2] = {1, 2}; /* 8 bytes where 16 are needed */
  Jet__V1__PutArrayChunk chunk = JET__V1__PUT_ARRAY_CHUNK__INIT;
  chunk.type = &tt;
  chunk.data.data = (uint8_t *)data;
  chunk.data.len = sizeof data;
  jet_test_raw_result r;
  assert_int_equal(jet_test_raw_call_msg(f->address, "/jet.v1.Jet/PutArray", &chunk.base,
                                         jet_client_session(f->client), TIMEOUT_MS, &r),
                   0);
  check_result("PutArray short data", &r, GRPC_STATUS_INVALID_ARGUMENT, NULL, NULL, -1);
  jet_test_raw_result_free(&r);

  /* Nothing was left behind. */
  expect_no_live_bytes(f->client);
}

static void test_unknown_method(void **state) {
  jet_test_fixture *f = *state;
  jet_test_raw_result r;
  assert_int_equal(jet_test_raw_call_bytes(f->address, "/jet.v1.Jet/Frobnicate", "", 0, NULL,
                                           TIMEOUT_MS, &r),
                   0);
  if (r.code != GRPC_STATUS_UNIMPLEMENTED)
    fail_msg("unknown method: status %d (%s), expected UNIMPLEMENTED", r.code, r.details);
  jet_test_raw_result_free(&r);
}

/* A daemon with a small request limit refuses a 2 MiB inline argument. */
static void test_request_over_limit(void **state) {
  (void)state;
  const char *args[] = {"--max-request-bytes", "1M", NULL};
  jet_test_fixture *own;
  assert_int_equal(jet_test_fixture_start(args, 1, &own), 0);
  jet_client *c = own->client;
  int64_t n = 512 * 1024; /* 2 MiB of f32 */
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_builder *b = jet_builder_create("big");
  assert_non_null(b);
  jet_value x = jet_builder_param(b, &t);
  jet_value y = jet_neg(b, x);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(c, jet_builder_graph(b), NULL, 0, NULL, &e, NULL));
  jet_builder_destroy(b);
  float *data = calloc((size_t)n, sizeof(float));
  assert_non_null(data);
  jet_arg arg = jet_arg_inline(&t, data);
  jet_result r;
  memset(&r, 0, sizeof r);
  JET_TEST_FAILS(jet_execute_inline(e, &arg, 1, &r, 1), JET_RESOURCE_EXHAUSTED, NULL);
  free(data);
  /* Still serving, and a small request works. */
  int serving = 0;
  JET_TEST_OK(jet_client_health(c, &serving));
  assert_int_equal(serving, 1);
  assert_int_equal(jet_test_fixture_stop(own), 0);
}

/* A daemon with a 1 MiB device memory limit refuses a 2 MiB array. */
static void test_device_memory_limit(void **state) {
  (void)state;
  const char *args[] = {"--memory-limit", "1M", NULL};
  jet_test_fixture *own;
  assert_int_equal(jet_test_fixture_start(args, 1, &own), 0);
  jet_client *c = own->client;
  jet_device_info *dev;
  size_t nd;
  JET_TEST_OK(jet_client_devices(c, &dev, &nd));
  uint64_t limit = nd >= 1 ? dev[0].memory_limit_bytes : 0;
  jet_device_info_free(dev);
  assert_true(nd >= 1);
  assert_int_equal(limit, 1024 * 1024);

  int64_t n = 512 * 1024; /* 2 MiB */
  jet_type t = jet_type_make(JET_F32, 1, &n);
  float *data = calloc((size_t)n, sizeof(float));
  assert_non_null(data);
  jet_array *a = NULL;
  JET_TEST_FAILS(jet_array_put(c, &t, data, &a), JET_RESOURCE_EXHAUSTED, NULL);
  /* Nothing is held after the refusal, and a small array still fits. */
  expect_no_live_bytes(c);
  int64_t small = 1024;
  jet_type ts = jet_type_make(JET_F32, 1, &small);
  JET_TEST_OK(jet_array_put(c, &ts, data, &a));
  JET_TEST_OK(jet_array_free(a));
  free(data);

  /* An Execute whose working memory exceeds the device's memory is refused
   * before it runs, and the daemon keeps serving. (A broadcast feeding a
   * sum alone would be fused and need no memory: the cumsum kernel needs
   * the broadcast in memory and a result of the same size.) */
  jet_builder *b = jet_builder_create("big_temporary");
  assert_non_null(b);
  jet_type scalar = jet_type_scalar(JET_F32);
  jet_value x = jet_builder_param(b, &scalar);
  int64_t big = 1 << 20; /* f32[1048576]: 4 MiB > 1 MiB */
  jet_value wide = jet_broadcast_in_dim(b, x, &big, 1, NULL, 0);
  int64_t axis0 = 0;
  jet_value cum = jet_cumsum(b, wide, 0, false);
  jet_value sum = jet_reduce_sum(b, cum, &axis0, 1);
  JET_TEST_OK(jet_builder_return(b, &sum, 1));
  jet_executable *e = NULL;
  JET_TEST_OK(jet_compile(c, b, NULL, 0, &e));
  float one = 1.0f;
  jet_arg arg = jet_arg_inline(&scalar, &one);
  jet_result r = {0};
  JET_TEST_FAILS(jet_execute_inline(e, &arg, 1, &r, 1), JET_RESOURCE_EXHAUSTED,
                 "bytes of working memory");
  jet_builder_destroy(b);
  int serving = 0;
  JET_TEST_OK(jet_client_health(c, &serving));
  assert_int_equal(serving, 1);
  assert_int_equal(jet_test_fixture_stop(own), 0);
}

/* Runs last: after all of the above the daemon still answers and computes. */
static void test_still_serving(void **state) {
  jet_test_fixture *f = *state;
  int serving = 0;
  JET_TEST_OK(jet_client_health(f->client, &serving));
  assert_int_equal(serving, 1);
  jet_builder *b = jet_builder_create("ok");
  assert_non_null(b);
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_value x = jet_builder_param(b, &t);
  jet_value y = jet_add(b, x, x);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(f->client, jet_builder_graph(b), NULL, 0, NULL, &e, NULL));
  jet_builder_destroy(b);
  float in[3] = {1, -2, 3.5f};
  jet_arg arg = jet_arg_inline(&t, in);
  jet_result r;
  memset(&r, 0, sizeof r);
  JET_TEST_OK(jet_execute_inline(e, &arg, 1, &r, 1));
  assert_int_equal(r.nbytes, sizeof in);
  for (int i = 0; i < 3; i++) assert_true(((float *)r.data)[i] == in[i] + in[i]);
  jet_result_clear(&r);
  /* Errors were counted. */
  jet_stats s;
  JET_TEST_OK(jet_client_stats(f->client, &s));
  uint64_t errors = 0;
  for (size_t i = 0; i < s.n_methods; i++) errors += s.methods[i].errors;
  jet_stats_clear(&s);
  assert_true(errors > 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_malformed_bytes),
      cmocka_unit_test(test_unknown_op),
      cmocka_unit_test(test_wrong_operand_count),
      cmocka_unit_test(test_dtype_mismatch),
      cmocka_unit_test(test_shape_mismatch),
      cmocka_unit_test(test_declared_result_type_mismatch),
      cmocka_unit_test(test_missing_attribute),
      cmocka_unit_test(test_negative_dims),
      cmocka_unit_test(test_element_count_overflow),
      cmocka_unit_test(test_forward_reference),
      cmocka_unit_test(test_transform_unimplemented),
      cmocka_unit_test(test_execute_errors),
      cmocka_unit_test(test_put_array_length_mismatch),
      cmocka_unit_test(test_unknown_method),
      cmocka_unit_test(test_request_over_limit),
      cmocka_unit_test(test_device_memory_limit),
      cmocka_unit_test(test_still_serving),
  };
  return cmocka_run_group_tests(tests, jet_test_fixture_setup, jet_test_fixture_teardown);
}
