/* Executor driver: kernel table completeness, multi-node graphs, temporaries,
 * outputs-are-fresh, calls, cancellation, deadline, temp limit, errors. */
#include <time.h>

#include "test_exec_util.h"

static void every_op_has_a_kernel(void **state) {
  (void)state;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    if (!jet_exec_kernel((jet_op)op)) {
      print_error("op %s has no kernel\n", jet_op_name((jet_op)op));
      fail();
    }
  }
  assert_null(jet_exec_kernel(JET_OP_COUNT));
}

/* f(x, y) = (x + y) * x - exp(y), with an unused intermediate and x used by
 * several nodes, on 1000 elements. */
static void multi_node_graph(void **state) {
  (void)state;
  enum { N = 1000 };
  jet_graph *g = jet_graph_create("f");
  jet_type t = TY(JET_F64, N);
  jet_value x, y, s, p, e, r, unused;
  expect_ok(jet_graph_add_param(g, &t, &x));
  expect_ok(jet_graph_add_param(g, &t, &y));
  expect_ok(jet_graph_add_node(g, JET_OP_ADD, (jet_value[]){x, y}, 2, NULL, 0, NULL, NULL, 0, &s));
  expect_ok(jet_graph_add_node(g, JET_OP_SIN, &x, 1, NULL, 0, NULL, NULL, 0, &unused));
  expect_ok(jet_graph_add_node(g, JET_OP_MUL, (jet_value[]){s, x}, 2, NULL, 0, NULL, NULL, 0, &p));
  expect_ok(jet_graph_add_node(g, JET_OP_EXP, &y, 1, NULL, 0, NULL, NULL, 0, &e));
  expect_ok(jet_graph_add_node(g, JET_OP_SUB, (jet_value[]){p, e}, 2, NULL, 0, NULL, NULL, 0, &r));
  expect_ok(jet_graph_set_outputs(g, (jet_value[]){r, s}, 2));
  static double xd[N], yd[N], want[N], want_s[N];
  for (int i = 0; i < N; i++) {
    xd[i] = i * 0.01 - 3;
    yd[i] = cos(i * 0.1);
    want_s[i] = xd[i] + yd[i];
    want[i] = want_s[i] * xd[i] - exp(yd[i]);
  }
  jet_buf args[2] = {{t, xd}, {t, yd}}, outs[2];
  jet_exec_ctl ctl = {.max_temp_bytes = 4 * N * sizeof(double)};
  expect_ok(jet_exec_graph(g, args, 2, outs, &ctl));
  expect_near(&outs[0], t, want, 1e-15);
  expect_near(&outs[1], t, want_s, 1e-15);
  /* three live arrays are needed at the peak (s, p, e, with sin's result
   * freed at once): a limit of two arrays fails, naming a node */
  ctl.max_temp_bytes = 2 * N * sizeof(double);
  jet_status st = jet_exec_graph(g, args, 2, outs, &ctl);
  assert_int_equal(jet_status_code(st), JET_RESOURCE_EXHAUSTED);
  assert_non_null(strstr(jet_status_message(st), "node "));
  assert_null(outs[0].data);
  jet_status_free(st);
  jet_graph_destroy(g);
}

/* Outputs are fresh even when an output is a parameter or listed twice. */
static void outputs_are_fresh(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("id");
  jet_type t = TY(JET_I32, 3);
  jet_value x, n;
  expect_ok(jet_graph_add_param(g, &t, &x));
  expect_ok(jet_graph_add_node(g, JET_OP_NEG, &x, 1, NULL, 0, NULL, NULL, 0, &n));
  expect_ok(jet_graph_set_outputs(g, (jet_value[]){x, n, n, x}, 4));
  int32_t xd[3] = {1, -2, 3};
  jet_buf arg = {t, xd}, outs[4];
  expect_ok(jet_exec_graph(g, &arg, 1, outs, NULL));
  for (int i = 0; i < 4; i++) {
    assert_ptr_not_equal(outs[i].data, xd);
    for (int j = 0; j < i; j++) assert_ptr_not_equal(outs[i].data, outs[j].data);
  }
  const int32_t neg[3] = {-1, 2, -3};
  expect_bytes(&outs[0], t, xd);
  expect_bytes(&outs[1], t, neg);
  expect_bytes(&outs[2], t, neg);
  expect_bytes(&outs[3], t, xd);
  assert_int_equal(xd[1], -2); /* the argument is untouched */
  jet_graph_destroy(g);
}

static jet_graph *chain_graph(int n_nodes) {
  jet_graph *g = jet_graph_create("chain");
  jet_type t = TY(JET_F32, 4);
  jet_value v;
  expect_ok(jet_graph_add_param(g, &t, &v));
  for (int i = 0; i < n_nodes; i++)
    expect_ok(jet_graph_add_node(g, JET_OP_NEG, &v, 1, NULL, 0, NULL, NULL, 0, &v));
  expect_ok(jet_graph_set_outputs(g, &v, 1));
  return g;
}

static void cancellation_and_deadline(void **state) {
  (void)state;
  jet_graph *g = chain_graph(5);
  float xd[4] = {1, 2, 3, 4};
  jet_buf arg = {TY(JET_F32, 4), xd}, out = {0};
  atomic_int cancelled = 1;
  jet_exec_ctl ctl = {.cancelled = &cancelled};
  jet_status st = jet_exec_graph(g, &arg, 1, &out, &ctl);
  assert_int_equal(jet_status_code(st), JET_CANCELLED);
  assert_null(out.data);
  jet_status_free(st);

  cancelled = 0;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  ctl.deadline_ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - 1;
  st = jet_exec_graph(g, &arg, 1, &out, &ctl);
  assert_int_equal(jet_status_code(st), JET_DEADLINE_EXCEEDED);
  assert_null(out.data);
  jet_status_free(st);

  ctl.deadline_ns += (int64_t)60 * 1000000000;
  expect_ok(jet_exec_graph(g, &arg, 1, &out, &ctl));
  const float want[4] = {-1, -2, -3, -4};
  expect_bytes(&out, TY(JET_F32, 4), want);
  jet_graph_destroy(g);
}

/* call: the callee runs recursively; outputs come back fresh. */
static void call_node(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("main");
  jet_graph *f = jet_graph_create_child(g, "sq_plus");
  jet_type t = TY(JET_I64, 2);
  jet_value fx, fy, fs, fp;
  expect_ok(jet_graph_add_param(f, &t, &fx));
  expect_ok(jet_graph_add_param(f, &t, &fy));
  expect_ok(jet_graph_add_node(f, JET_OP_SQUARE, &fx, 1, NULL, 0, NULL, NULL, 0, &fs));
  expect_ok(jet_graph_add_node(f, JET_OP_ADD, (jet_value[]){fs, fy}, 2, NULL, 0, NULL, NULL, 0, &fp));
  expect_ok(jet_graph_set_outputs(f, (jet_value[]){fp, fy}, 2));
  jet_value x, c;
  expect_ok(jet_graph_add_param(g, &t, &x));
  expect_ok(jet_graph_add_node(g, JET_OP_CALL, (jet_value[]){x, x}, 2, NULL, 0, f, NULL, 0, &c));
  expect_ok(jet_graph_set_outputs(g, (jet_value[]){c, c + 1}, 2));
  int64_t xd[2] = {3, -5};
  jet_buf arg = {t, xd}, outs[2];
  expect_ok(jet_exec_graph(g, &arg, 1, outs, NULL));
  assert_ptr_not_equal(outs[1].data, xd);
  expect_bytes(&outs[0], t, (int64_t[]){12, 20});
  expect_bytes(&outs[1], t, xd);

  /* a transform on the call node is refused by the executor */
  jet_node node = g->nodes[0];
  jet_transform tf = {.kind = JET_TF_GRAD};
  node.transforms = &tf;
  node.n_transforms = 1;
  jet_buf ins[2] = {arg, arg}, res[2];
  jet_status st = jet_exec_kernel(JET_OP_CALL)(&node, ins, res);
  assert_int_equal(jet_status_code(st), JET_UNIMPLEMENTED);
  assert_non_null(strstr(jet_status_message(st), "grad"));
  jet_status_free(st);
  jet_graph_destroy(g);
}

static void constant_node(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("c");
  const double lit[3] = {1.5, -2, 1e300};
  jet_attr a = a_lit("value", TY(JET_F64, 3), lit);
  jet_value c;
  expect_ok(jet_graph_add_node(g, JET_OP_CONSTANT, NULL, 0, &a, 1, NULL, NULL, 0, &c));
  expect_ok(jet_graph_set_outputs(g, (jet_value[]){c, c}, 2));
  jet_buf outs[2];
  expect_ok(jet_exec_graph(g, NULL, 0, outs, NULL));
  assert_ptr_not_equal(outs[0].data, outs[1].data);
  expect_bytes(&outs[0], TY(JET_F64, 3), lit);
  expect_bytes(&outs[1], TY(JET_F64, 3), lit);
  jet_graph_destroy(g);
}

/* Wrong argument count or types are refused without crashing. */
static void bad_arguments(void **state) {
  (void)state;
  jet_graph *g = chain_graph(1);
  float xd[4] = {0};
  jet_buf arg = {TY(JET_F32, 5), xd}, out;
  jet_status st = jet_exec_graph(g, &arg, 1, &out, NULL);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  st = jet_exec_graph(g, NULL, 0, &out, NULL);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  jet_graph_destroy(g);
}

/* A kernel error is annotated with the node and op. */
static void kernel_error_names_node(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("bad");
  jet_type t = TY(JET_F32, 2);
  jet_value x, y, z;
  expect_ok(jet_graph_add_param(g, &t, &x));
  expect_ok(jet_graph_add_node(g, JET_OP_NEG, &x, 1, NULL, 0, NULL, NULL, 0, &y));
  /* append_node takes the result types unchecked: a broken constant */
  const float lit[1] = {1};
  jet_attr a = a_lit("value", TY(JET_F32, 1), lit);
  expect_ok(jet_graph_append_node(g, JET_OP_CONSTANT, NULL, 0, &a, 1, &t, 1, NULL, NULL, 0, &z));
  expect_ok(jet_graph_set_outputs(g, (jet_value[]){y, z}, 2));
  float xd[2] = {1, 2};
  jet_buf arg = {t, xd}, outs[2];
  jet_status st = jet_exec_graph(g, &arg, 1, outs, NULL);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "node 1 (constant)"));
  assert_null(outs[0].data);
  assert_null(outs[1].data);
  jet_status_free(st);
  jet_graph_destroy(g);
}

/* Zero-size arrays flow through. */
static void zero_size(void **state) {
  (void)state;
  jet_type t = TY(JET_F32, 0, 3);
  jet_buf out = run2(JET_OP_ADD, t, NULL, t, NULL, NULL, 0);
  expect_type(&out, t);
  jet_mem_free(out.data);
  jet_attr ax = A_INTS("axes", 0);
  out = run1(JET_OP_REDUCE_SUM, t, NULL, &ax, 1);
  expect_bytes(&out, TY(JET_F32, 3), (float[]){0, 0, 0});
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_op_has_a_kernel), cmocka_unit_test(multi_node_graph),
      cmocka_unit_test(outputs_are_fresh),     cmocka_unit_test(cancellation_and_deadline),
      cmocka_unit_test(call_node),             cmocka_unit_test(constant_node),
      cmocka_unit_test(bad_arguments),         cmocka_unit_test(kernel_error_names_node),
      cmocka_unit_test(zero_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
