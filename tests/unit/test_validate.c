/* jet_graph_validate: valid graphs pass; forward references, undefined and
 * missing outputs, wrong result types, bad parameter and argument types and
 * broken callees are refused with the node named. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/infer.h"

#include "infer_case.h"

#define F32 JET_F32
#define I32 JET_I32
#define BAD JET_INVALID_ARGUMENT

static void expect(jet_status st, jet_code code, const char *substr) {
  if (!st) fail_msg("expected error containing '%s', got success", substr);
  if (jet_status_code(st) != code || !strstr(jet_status_message(st), substr)) {
    fail_msg("expected %s '%s', got %s '%s'", jet_code_name(code), substr,
             jet_code_name(jet_status_code(st)), jet_status_message(st));
  }
  jet_status_free(st);
}

static void expect_ok(jet_status st) {
  if (st) fail_msg("unexpected error: %s", jet_status_message(st));
}

/* f(x: f32[3], y: f32[3]) = (x + y, reduce_sum(x * y)) */
static jet_graph *make_graph(void) {
  jet_graph *g = jet_graph_create("main");
  assert_non_null(g);
  jet_type t = ty(F32, "3");
  jet_value x, y, s, p, r;
  expect_ok(jet_graph_add_param(g, &t, &x));
  expect_ok(jet_graph_add_param(g, &t, &y));
  jet_value xy[2] = {x, y};
  expect_ok(jet_graph_add_node(g, JET_OP_ADD, xy, 2, NULL, 0, NULL, NULL, 0, &s));
  expect_ok(jet_graph_add_node(g, JET_OP_MUL, xy, 2, NULL, 0, NULL, NULL, 0, &p));
  jet_attr ax = a_ints("axes", IL(0));
  expect_ok(jet_graph_add_node(g, JET_OP_REDUCE_SUM, &p, 1, &ax, 1, NULL, NULL, 0, &r));
  jet_value outs[2] = {s, r};
  expect_ok(jet_graph_set_outputs(g, outs, 2));
  return g;
}

static void test_valid_graph(void **state) {
  (void)state;
  jet_graph *g = make_graph();
  expect_ok(jet_graph_validate(g, NULL, 0));
  jet_type args[2] = {ty(F32, "3"), ty(F32, "3")};
  expect_ok(jet_graph_validate(g, args, 2));
  /* A graph with no parameters whose output is a constant. */
  jet_graph *h = jet_graph_create("const");
  assert_non_null(h);
  static const int32_t data[2] = {4, 5};
  jet_attr v = a_lit("value", ty(I32, "2"), data, sizeof data);
  jet_value c;
  expect_ok(jet_graph_add_node(h, JET_OP_CONSTANT, NULL, 0, &v, 1, NULL, NULL, 0, &c));
  expect_ok(jet_graph_set_outputs(h, &c, 1));
  expect_ok(jet_graph_validate(h, NULL, 0));
  /* An output may be a parameter. */
  jet_graph *k = jet_graph_create("id");
  jet_type t = ty(I32, "");
  jet_value x;
  expect_ok(jet_graph_add_param(k, &t, &x));
  expect_ok(jet_graph_set_outputs(k, &x, 1));
  expect_ok(jet_graph_validate(k, &t, 1));
  jet_graph_destroy(k);
  jet_graph_destroy(h);
  jet_graph_destroy(g);
}

static void test_forward_reference(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("fwd");
  jet_type t = ty(F32, "3");
  jet_value x, a, b;
  expect_ok(jet_graph_add_param(g, &t, &x));
  expect_ok(jet_graph_add_node(g, JET_OP_NEG, &x, 1, NULL, 0, NULL, NULL, 0, &a));
  /* Node 1 reads value 2, its own result. */
  jet_value ops[2] = {a, 2};
  expect_ok(jet_graph_append_node(g, JET_OP_ADD, ops, 2, NULL, 0, &t, 1, NULL, NULL, 0, &b));
  assert_int_equal(b, 2);
  expect_ok(jet_graph_set_outputs(g, &b, 1));
  expect(jet_graph_validate(g, NULL, 0), BAD,
         "node 1 (add): operand 1 refers to value 2, which is not defined before node 1");
  jet_graph_destroy(g);
}

static void test_outputs(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("noout");
  jet_type t = ty(F32, "3");
  jet_value x, a;
  expect_ok(jet_graph_add_param(g, &t, &x));
  expect_ok(jet_graph_add_node(g, JET_OP_NEG, &x, 1, NULL, 0, NULL, NULL, 0, &a));
  expect(jet_graph_validate(g, NULL, 0), BAD, "no outputs");
  expect_ok(jet_graph_set_outputs(g, &a, 1));
  expect_ok(jet_graph_validate(g, NULL, 0));
  g->outputs[0] = 9; /* as a broken decoder might leave it */
  expect(jet_graph_validate(g, NULL, 0), BAD, "output 0 refers to value 9, which is not defined");
  jet_graph_destroy(g);
}

static void test_result_type_mismatch(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("wrong");
  jet_type t = ty(F32, "3"), w = ty(F32, "4");
  jet_value x, a, b;
  expect_ok(jet_graph_add_param(g, &t, &x));
  expect_ok(jet_graph_add_node(g, JET_OP_NEG, &x, 1, NULL, 0, NULL, NULL, 0, &a));
  expect_ok(jet_graph_append_node(g, JET_OP_EXP, &a, 1, NULL, 0, &w, 1, NULL, NULL, 0, &b));
  expect_ok(jet_graph_set_outputs(g, &b, 1));
  expect(jet_graph_validate(g, NULL, 0), BAD,
         "node 1 (exp): result 0 has type f32[4] but the inferred type is f32[3]");
  jet_graph_destroy(g);

  /* Wrong number of results. */
  g = jet_graph_create("count");
  jet_type two[2] = {t, t};
  expect_ok(jet_graph_add_param(g, &t, &x));
  expect_ok(jet_graph_append_node(g, JET_OP_NEG, &x, 1, NULL, 0, two, 2, NULL, NULL, 0, &a));
  expect_ok(jet_graph_set_outputs(g, &a, 1));
  expect(jet_graph_validate(g, NULL, 0), BAD,
         "node 0 (neg): node has 2 results but the op produces 1");
  jet_graph_destroy(g);

  /* Bad attributes reach validation through append_node. */
  g = jet_graph_create("attrs");
  expect_ok(jet_graph_add_param(g, &t, &x));
  jet_attr ax = a_ints("axes", IL(1));
  jet_type s = ty(F32, "");
  expect_ok(jet_graph_append_node(g, JET_OP_REDUCE_SUM, &x, 1, &ax, 1, &s, 1, NULL, NULL, 0, &a));
  expect_ok(jet_graph_set_outputs(g, &a, 1));
  expect(jet_graph_validate(g, NULL, 0), BAD,
         "node 0 (reduce_sum): attribute 'axes' entry 0 is 1, out of range for rank 1");
  jet_graph_destroy(g);

  /* Inconsistent numbering. */
  g = make_graph();
  g->nodes[1].first_result = 7;
  expect(jet_graph_validate(g, NULL, 0), BAD, "node 1 (mul): first result is value 7");
  jet_graph_destroy(g);
  g = make_graph();
  g->nodes[2].op = (jet_op)1000;
  expect(jet_graph_validate(g, NULL, 0), BAD, "invalid op 1000");
  jet_graph_destroy(g);
}

static void test_param_types(void **state) {
  (void)state;
  struct {
    jet_type t;
    jet_code code;
    const char *msg;
  } cases[] = {
      {ty(F32, "2,-1"), BAD, "parameter 1"},
      {ty(F32, "4294967296,4294967296"), BAD, "overflows"},
      {ty((jet_dtype)0, "2"), BAD, "invalid dtype 0"},
      {ty((jet_dtype)14, "2"), BAD, "invalid dtype 14"},
      {ty(JET_F16, "2"), JET_UNIMPLEMENTED,
       "parameter 1: dtype f16 is reserved and not supported yet"},
      {ty(JET_I8, ""), JET_UNIMPLEMENTED, "dtype i8 is reserved"},
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    jet_graph *g = make_graph();
    g->value_types[1] = cases[i].t; /* as a broken decoder might leave it */
    expect(jet_graph_validate(g, NULL, 0), cases[i].code, cases[i].msg);
    jet_graph_destroy(g);
  }
}

static void test_arg_types(void **state) {
  (void)state;
  jet_graph *g = make_graph();
  jet_type args[3] = {ty(F32, "3"), ty(F32, "3"), ty(F32, "3")};
  expect(jet_graph_validate(g, args, 3), BAD, "3 arguments given but the graph takes 2");
  expect(jet_graph_validate(g, args, 1), BAD, "1 arguments given but the graph takes 2");
  args[1] = ty(I32, "3");
  expect(jet_graph_validate(g, args, 2), BAD,
         "argument 1 has type i32[3] but parameter 1 is f32[3]");
  args[1] = ty(F32, "3,1");
  expect(jet_graph_validate(g, args, 2), BAD,
         "argument 1 has type f32[3,1] but parameter 1 is f32[3]");
  jet_graph_destroy(g);
}

/* main(x) = call f(x); f(p) = neg(p), where f's node may be broken. */
static jet_graph *make_call(bool break_callee, jet_graph **callee_out) {
  jet_graph *g = jet_graph_create("main");
  jet_graph *f = jet_graph_create_child(g, "f");
  assert_non_null(f);
  jet_type t = ty(F32, "3"), w = ty(I32, "3");
  jet_value p, q, x, r;
  expect_ok(jet_graph_add_param(f, &t, &p));
  expect_ok(jet_graph_append_node(f, JET_OP_NEG, &p, 1, NULL, 0, break_callee ? &w : &t, 1, NULL,
                                  NULL, 0, &q));
  expect_ok(jet_graph_set_outputs(f, &q, 1));
  expect_ok(jet_graph_add_param(g, &t, &x));
  jet_type rt = break_callee ? w : t;
  expect_ok(jet_graph_append_node(g, JET_OP_CALL, &x, 1, NULL, 0, &rt, 1, f, NULL, 0, &r));
  expect_ok(jet_graph_set_outputs(g, &r, 1));
  if (callee_out) *callee_out = f;
  return g;
}

static void test_nested_call(void **state) {
  (void)state;
  jet_graph *f;
  jet_graph *g = make_call(false, &f);
  expect_ok(jet_graph_validate(g, NULL, 0));
  jet_graph_destroy(g);

  g = make_call(true, NULL);
  expect(jet_graph_validate(g, NULL, 0), BAD,
         "node 0 (call): callee: node 0 (neg): result 0 has type i32[3] but the inferred type is "
         "f32[3]");
  jet_graph_destroy(g);

  /* A callee without outputs. */
  g = make_call(false, &f);
  f->n_outputs = 0;
  expect(jet_graph_validate(g, NULL, 0), BAD, "node 0 (call): callee: graph has no outputs");
  jet_graph_destroy(g);

  /* A callee whose parameter type is reserved. */
  g = make_call(false, &f);
  f->value_types[0].dtype = JET_BF16;
  expect(jet_graph_validate(g, NULL, 0), JET_UNIMPLEMENTED,
         "node 0 (call): callee: parameter 0: dtype bf16 is reserved");
  jet_graph_destroy(g);

  /* The call's result type must equal the callee's output type. */
  g = make_call(false, &f);
  g->value_types[1] = ty(F32, "2");
  expect(jet_graph_validate(g, NULL, 0), BAD,
         "node 0 (call): result 0 has type f32[2] but the inferred type is f32[3]");
  jet_graph_destroy(g);

  /* A call with vmap is refused by name (UNIMPLEMENTED); grad is typed. */
  g = jet_graph_create("main");
  f = jet_graph_create_child(g, "f");
  jet_type t = ty(F32, "");
  jet_value p, q, x, r;
  expect_ok(jet_graph_add_param(f, &t, &p));
  expect_ok(jet_graph_add_node(f, JET_OP_SIN, &p, 1, NULL, 0, NULL, NULL, 0, &q));
  expect_ok(jet_graph_set_outputs(f, &q, 1));
  expect_ok(jet_graph_add_param(g, &t, &x));
  jet_transform tf;
  memset(&tf, 0, sizeof tf);
  tf.kind = JET_TF_PMAP;
  expect_ok(jet_graph_append_node(g, JET_OP_CALL, &x, 1, NULL, 0, &t, 1, f, &tf, 1, &r));
  expect_ok(jet_graph_set_outputs(g, &r, 1));
  expect(jet_graph_validate(g, NULL, 0), JET_INVALID_ARGUMENT,
         "node 0 (call): transforms[0] (pmap): pmap cannot read the size of the mapped axis");
  jet_graph_destroy(g);
  for (int wrong = 0; wrong < 2; wrong++) {
    g = jet_graph_create("main");
    f = jet_graph_create_child(g, "f");
    expect_ok(jet_graph_add_param(f, &t, &p));
    expect_ok(jet_graph_add_node(f, JET_OP_SIN, &p, 1, NULL, 0, NULL, NULL, 0, &q));
    expect_ok(jet_graph_set_outputs(f, &q, 1));
    expect_ok(jet_graph_add_param(g, &t, &x));
    memset(&tf, 0, sizeof tf);
    tf.kind = JET_TF_VALUE_AND_GRAD;
    /* value_and_grad(sin): (value, grad), both f32[]; a wrong result count
     * is caught like any other result mismatch. */
    jet_type rt[2] = {t, t};
    expect_ok(jet_graph_append_node(g, JET_OP_CALL, &x, 1, NULL, 0, rt, wrong ? 1 : 2, f, &tf, 1,
                                    &r));
    expect_ok(jet_graph_set_outputs(g, &r, 1));
    if (wrong)
      expect(jet_graph_validate(g, NULL, 0), BAD, "node 0 (call)");
    else
      expect_ok(jet_graph_validate(g, NULL, 0));
    jet_graph_destroy(g);
  }

  /* A callee that calls itself is refused, not followed forever. */
  g = make_call(false, &f);
  jet_value fp = 0, fr;
  jet_type ft = ty(F32, "3");
  expect_ok(jet_graph_append_node(f, JET_OP_CALL, &fp, 1, NULL, 0, &ft, 1, f, NULL, 0, &fr));
  expect(jet_graph_validate(g, NULL, 0), BAD, "nested deeper than");
  jet_graph_destroy(g);
}

/* 40 levels, each calling the next twice: validating each shared callee
 * once keeps this linear (2^40 visits otherwise). */
static void test_shared_callees(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("main");
  jet_type t = ty(F32, "2");
  enum { LEVELS = 40 };
  jet_graph *below = NULL;
  for (int lvl = LEVELS; lvl >= 0; lvl--) {
    jet_graph *f = lvl == 0 ? g : jet_graph_create_child(g, "f");
    assert_non_null(f);
    jet_value x, a, b, c;
    expect_ok(jet_graph_add_param(f, &t, &x));
    if (!below) {
      expect_ok(jet_graph_add_node(f, JET_OP_NEG, &x, 1, NULL, 0, NULL, NULL, 0, &c));
    } else {
      expect_ok(jet_graph_add_node(f, JET_OP_CALL, &x, 1, NULL, 0, below, NULL, 0, &a));
      expect_ok(jet_graph_add_node(f, JET_OP_CALL, &a, 1, NULL, 0, below, NULL, 0, &b));
      jet_value ab[2] = {a, b};
      expect_ok(jet_graph_add_node(f, JET_OP_ADD, ab, 2, NULL, 0, NULL, NULL, 0, &c));
    }
    expect_ok(jet_graph_set_outputs(f, &c, 1));
    below = f;
  }
  expect_ok(jet_graph_validate(g, &t, 1));
  jet_graph_destroy(g);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_valid_graph), cmocka_unit_test(test_forward_reference),
      cmocka_unit_test(test_outputs),     cmocka_unit_test(test_result_type_mismatch),
      cmocka_unit_test(test_param_types), cmocka_unit_test(test_arg_types),
      cmocka_unit_test(test_nested_call), cmocka_unit_test(test_shared_callees),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
