/* libjet's transform helpers without a daemon: the constructors, the CLI's
 * spec syntax (jet_transform_parse_spec) and jet_call with transforms, whose
 * result types come from the shared rule. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "jet/jet.h"

static void expect_err(jet_status st, const char *needle) {
  if (!st) fail_msg("expected an error containing '%s'", needle);
  if (!strstr(jet_status_message(st), needle))
    fail_msg("message '%s' lacks '%s'", jet_status_message(st), needle);
  jet_status_free(st);
}

static void test_constructors(void **state) {
  (void)state;
  const int32_t an[2] = {1, 0};
  jet_transform t = jet_tf_grad(an, 2, true);
  assert_int_equal(t.kind, JET_TF_GRAD);
  assert_ptr_equal(t.argnums, an);
  assert_int_equal(t.n_argnums, 2);
  assert_true(t.argnums_tuple && t.has_aux && !t.allow_int);
  t = jet_tf_value_and_grad(an, 1, false);
  assert_int_equal(t.kind, JET_TF_VALUE_AND_GRAD);
  assert_false(t.argnums_tuple);
  t = jet_tf_grad(NULL, 0, false);
  assert_int_equal(t.n_argnums, 0);
  assert_int_equal(jet_tf_jvp(true).kind, JET_TF_JVP);
  assert_true(jet_tf_jvp(true).has_aux);
  assert_int_equal(jet_tf_vjp(false).kind, JET_TF_VJP);
  assert_int_equal(jet_tf_jacfwd(an, 1, false).kind, JET_TF_JACFWD);
  assert_int_equal(jet_tf_jacrev(an, 1, false).kind, JET_TF_JACREV);
  assert_int_equal(jet_tf_hessian(an, 1, false).kind, JET_TF_HESSIAN);
  assert_string_equal(jet_tf_hessian(NULL, 0, false).axis_name, "");
}

static void test_specs(void **state) {
  (void)state;
  int32_t buf[4];
  jet_transform t;
  assert_null(jet_transform_parse_spec("grad:argnums=0,2:has_aux", buf, 4, &t));
  assert_int_equal(t.kind, JET_TF_GRAD);
  assert_int_equal(t.n_argnums, 2);
  assert_int_equal(t.argnums[1], 2);
  assert_true(t.argnums_tuple && t.has_aux && !t.allow_int);
  assert_null(jet_transform_parse_spec("jvp", buf, 4, &t));
  assert_int_equal(t.kind, JET_TF_JVP);
  assert_false(t.has_aux);
  assert_null(jet_transform_parse_spec("hessian:allow_int=true:has_aux=false", buf, 4, &t));
  assert_int_equal(t.kind, JET_TF_HESSIAN);
  assert_true(t.allow_int && !t.has_aux);
  assert_null(jet_transform_parse_spec("value_and_grad:argnums=1", buf, 4, &t));
  assert_int_equal(t.argnums[0], 1);
  assert_false(t.argnums_tuple);
  expect_err(jet_transform_parse_spec("vmap", buf, 4, &t), "expected grad");
  expect_err(jet_transform_parse_spec("gradx", buf, 4, &t), "expected grad");
  expect_err(jet_transform_parse_spec("jvp:argnums=0", buf, 4, &t), "jvp has no field 'argnums'");
  expect_err(jet_transform_parse_spec("grad:argnums=0,-1", buf, 4, &t), "'-1'");
  expect_err(jet_transform_parse_spec("grad:argnums=0,", buf, 4, &t), "bad argnums");
  expect_err(jet_transform_parse_spec("grad:argnums=", buf, 4, &t), "needs a value");
  expect_err(jet_transform_parse_spec("grad:argnums=0,1,2,3,4", buf, 4, &t), "more than 4");
  expect_err(jet_transform_parse_spec("grad:has_aux=maybe", buf, 4, &t), "not true or false");
  expect_err(jet_transform_parse_spec("grad:frob", buf, 4, &t), "no field 'frob'");
}

/* jet_call types transformed callees through the shared rule. */
static void test_call_with_transforms(void **state) {
  (void)state;
  int64_t n = 3;
  jet_type v = jet_type_make(JET_F32, 1, &n), s = jet_type_scalar(JET_F32);
  jet_builder *f = jet_builder_create("f");
  jet_value x = jet_builder_param(f, &v);
  const int64_t axes[1] = {0};
  jet_value y = jet_reduce_sum(f, jet_sin(f, x), axes, 1);
  jet_value z = jet_mul(f, x, x);
  jet_value outs[2] = {y, z};
  assert_null(jet_builder_return(f, outs, 2));

  jet_builder *m = jet_builder_create("main");
  jet_value mx = jet_builder_param(m, &v);
  jet_transform g = jet_tf_grad(NULL, 0, true); /* z is aux */
  jet_value r[2];
  jet_value first = jet_call(m, f, &mx, 1, &g, 1, r, 2);
  assert_int_not_equal(first, JET_NO_VALUE);
  assert_int_equal(jet_builder_num_results(m, first), 2);
  assert_true(jet_type_equal(jet_builder_value_type(m, r[0]), &v));
  assert_true(jet_type_equal(jet_builder_value_type(m, r[1]), &v));
  /* jacrev without has_aux: d y/dx f32[3], d z/dx f32[3,3]. */
  jet_transform jr = jet_tf_jacrev(NULL, 0, false);
  first = jet_call(m, f, &mx, 1, &jr, 1, r, 2);
  int64_t d33[2] = {3, 3};
  jet_type m33 = jet_type_make(JET_F32, 2, d33);
  assert_true(jet_type_equal(jet_builder_value_type(m, r[0]), &v));
  assert_true(jet_type_equal(jet_builder_value_type(m, r[1]), &m33));
  /* grad without has_aux of two outputs is refused with the rule's text. */
  jet_transform g0 = jet_tf_grad(NULL, 0, false);
  assert_int_equal(jet_call(m, f, &mx, 1, &g0, 1, NULL, 0), JET_NO_VALUE);
  expect_err(jet_builder_status(m), "Gradient only defined for scalar-output functions");
  jet_builder_destroy(m);

  /* vmap on a call is UNIMPLEMENTED, naming vmap. */
  m = jet_builder_create("main");
  mx = jet_builder_param(m, &s);
  jet_transform vm;
  memset(&vm, 0, sizeof vm);
  vm.kind = JET_TF_VMAP;
  vm.axis_name = "";
  vm.spmd_axis_name = "";
  jet_builder *h = jet_builder_create("h");
  jet_value hx = jet_builder_param(h, &s);
  jet_value hy = jet_cos(h, hx);
  assert_null(jet_builder_return(h, &hy, 1));
  assert_int_equal(jet_call(m, h, &mx, 1, &vm, 1, NULL, 0), JET_NO_VALUE);
  jet_status st = jet_builder_status(m);
  assert_int_equal(jet_status_code(st), JET_UNIMPLEMENTED);
  expect_err(st, "vmap");
  jet_builder_destroy(h);
  jet_builder_destroy(m);
  jet_builder_destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_constructors),
      cmocka_unit_test(test_specs),
      cmocka_unit_test(test_call_with_transforms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
