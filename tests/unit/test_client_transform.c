/* libjet's transform helpers without a daemon: the constructors (jet_tf_*,
 * jet_tf_vmap), the CLI's spec syntax (jet_transform_spec_parse,
 * jet_transform_parse_spec) and jet_call with transforms (autodiff, vmap),
 * whose result types come from the shared rule. */
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
  expect_err(jet_transform_parse_spec("vmap", buf, 4, &t), "jet_transform_spec_parse");
  expect_err(jet_transform_parse_spec("pmap", buf, 4, &t), "jet_transform_spec_parse");
  expect_err(jet_transform_parse_spec("gradx", buf, 4, &t), "expected grad");
  expect_err(jet_transform_parse_spec("jvp:argnums=0", buf, 4, &t), "jvp has no field 'argnums'");
  expect_err(jet_transform_parse_spec("grad:argnums=0,-1", buf, 4, &t), "'-1'");
  expect_err(jet_transform_parse_spec("grad:argnums=0,", buf, 4, &t), "bad argnums");
  expect_err(jet_transform_parse_spec("grad:argnums=", buf, 4, &t), "needs a value");
  expect_err(jet_transform_parse_spec("grad:argnums=0,1,2,3,4", buf, 4, &t), "more than 4");
  expect_err(jet_transform_parse_spec("grad:has_aux=maybe", buf, 4, &t), "not true or false");
  expect_err(jet_transform_parse_spec("grad:frob", buf, 4, &t), "no field 'frob'");
  expect_err(jet_transform_parse_spec("grad:argnums=0:argnums=1", buf, 4, &t), "given twice");
  expect_err(jet_transform_parse_spec("grad:argnums=+1", buf, 4, &t), "'+1'");
  expect_err(jet_transform_parse_spec("grad:in_axes=0", buf, 4, &t), "grad has no field 'in_axes'");
}

static void test_vmap_constructor(void **state) {
  (void)state;
  const jet_axis_spec in[3] = {JET_AXIS(0), JET_AXIS_NONE, JET_AXIS(-1)};
  const jet_axis_spec out[1] = {JET_AXIS(2)};
  jet_transform t = jet_tf_vmap(in, 3, out, 1, 8, "batch");
  assert_int_equal(t.kind, JET_TF_VMAP);
  assert_ptr_equal(t.in_axes, in);
  assert_int_equal(t.n_in_axes, 3);
  assert_true(t.in_axes[0].mapped && t.in_axes[0].axis == 0);
  assert_false(t.in_axes[1].mapped);
  assert_true(t.in_axes[2].mapped && t.in_axes[2].axis == -1);
  assert_ptr_equal(t.out_axes, out);
  assert_int_equal(t.n_out_axes, 1);
  assert_int_equal(t.out_axes[0].axis, 2);
  assert_int_equal(t.axis_size, 8);
  assert_string_equal(t.axis_name, "batch");
  assert_string_equal(t.spmd_axis_name, "");
  assert_int_equal(t.n_argnums, 0);
  assert_false(t.has_aux);
  /* Defaults: no lists, no name (never NULL). */
  t = jet_tf_vmap(NULL, 0, NULL, 0, 0, NULL);
  assert_int_equal(t.kind, JET_TF_VMAP);
  assert_null(t.in_axes);
  assert_int_equal(t.n_in_axes, 0);
  assert_null(t.out_axes);
  assert_int_equal(t.n_out_axes, 0);
  assert_int_equal(t.axis_size, 0);
  assert_non_null(t.axis_name);
  assert_string_equal(t.axis_name, "");
  /* A count with a NULL list is no list. */
  t = jet_tf_vmap(NULL, 2, NULL, 3, 0, "");
  assert_int_equal(t.n_in_axes, 0);
  assert_int_equal(t.n_out_axes, 0);
}

/* jet_tf_pmap and pmap specs (the CLI's --transform pmap:...). */
static void test_pmap_constructor_and_specs(void **state) {
  (void)state;
  const jet_axis_spec in[2] = {JET_AXIS(0), JET_AXIS_NONE};
  const uint32_t devs[2] = {1, 0};
  jet_transform t = jet_tf_pmap("i", in, 2, NULL, 0, devs, 2, 2);
  assert_int_equal(t.kind, JET_TF_PMAP);
  assert_ptr_equal(t.in_axes, in);
  assert_int_equal(t.n_in_axes, 2);
  assert_int_equal(t.n_out_axes, 0);
  assert_ptr_equal(t.devices, devs);
  assert_int_equal(t.n_devices, 2);
  assert_int_equal(t.axis_size, 2);
  assert_string_equal(t.axis_name, "i");
  assert_int_equal(t.n_static_argnums, 0);
  t = jet_tf_pmap(NULL, NULL, 0, NULL, 0, NULL, 3, 0);
  assert_string_equal(t.axis_name, "");
  assert_null(t.devices);
  assert_int_equal(t.n_devices, 0);

  jet_transform_spec s;
  assert_null(jet_transform_spec_parse("pmap", &s));
  assert_int_equal(s.tf.kind, JET_TF_PMAP);
  assert_int_equal(s.tf.n_devices, 0);
  assert_null(jet_transform_spec_parse(
      "pmap:in_axes=0,none:out_axes=none:axis_name=i:devices=0,3,2:axis_size=3:"
      "static_broadcasted_argnums=1",
      &s));
  assert_int_equal(s.tf.n_in_axes, 2);
  assert_false(s.tf.in_axes[1].mapped);
  assert_int_equal(s.tf.n_out_axes, 1);
  assert_false(s.tf.out_axes[0].mapped);
  assert_string_equal(s.tf.axis_name, "i");
  assert_int_equal(s.tf.n_devices, 3);
  assert_int_equal(s.tf.devices[1], 3);
  assert_int_equal(s.tf.axis_size, 3);
  assert_int_equal(s.tf.n_static_argnums, 1);
  assert_int_equal(s.tf.static_broadcasted_argnums[0], 1);
  expect_err(jet_transform_spec_parse("pmap:devices=0,-1", &s), "not a device id");
  expect_err(jet_transform_spec_parse("pmap:devices=", &s), "devices needs a value");
  expect_err(jet_transform_spec_parse("pmap:argnums=0", &s), "pmap has no field 'argnums'");
  expect_err(jet_transform_spec_parse("vmap:devices=0", &s), "vmap has no field 'devices'");
}

static void test_vmap_specs(void **state) {
  (void)state;
  jet_transform_spec s;
  assert_null(jet_transform_spec_parse("vmap", &s));
  assert_int_equal(s.tf.kind, JET_TF_VMAP);
  assert_int_equal(s.tf.n_in_axes, 0);
  assert_int_equal(s.tf.n_out_axes, 0);
  assert_int_equal(s.tf.axis_size, 0);
  assert_string_equal(s.tf.axis_name, "");
  assert_string_equal(s.tf.spmd_axis_name, "");

  assert_null(jet_transform_spec_parse(
      "vmap:in_axes=0,none,-1:out_axes=none,2:axis_size=8:axis_name=i_2", &s));
  assert_int_equal(s.tf.n_in_axes, 3);
  assert_true(s.tf.in_axes[0].mapped && s.tf.in_axes[0].axis == 0);
  assert_false(s.tf.in_axes[1].mapped);
  assert_true(s.tf.in_axes[2].mapped && s.tf.in_axes[2].axis == -1);
  assert_int_equal(s.tf.n_out_axes, 2);
  assert_false(s.tf.out_axes[0].mapped);
  assert_true(s.tf.out_axes[1].mapped && s.tf.out_axes[1].axis == 2);
  assert_int_equal(s.tf.axis_size, 8);
  assert_string_equal(s.tf.axis_name, "i_2");
  /* The lists live in the spec struct. */
  assert_ptr_equal(s.tf.in_axes, s.in_axes);
  assert_ptr_equal(s.tf.axis_name, s.axis_name);

  /* Fields in any order; a single entry. */
  assert_null(jet_transform_spec_parse("vmap:axis_name=b:in_axes=none:axis_size=3", &s));
  assert_int_equal(s.tf.n_in_axes, 1);
  assert_false(s.tf.in_axes[0].mapped);
  assert_int_equal(s.tf.axis_size, 3);
  assert_string_equal(s.tf.axis_name, "b");

  /* The autodiff kinds parse the same way here. */
  assert_null(jet_transform_spec_parse("jacrev:argnums=1,0:allow_int", &s));
  assert_int_equal(s.tf.kind, JET_TF_JACREV);
  assert_int_equal(s.tf.n_argnums, 2);
  assert_int_equal(s.tf.argnums[0], 1);
  assert_true(s.tf.argnums_tuple && s.tf.allow_int);

  /* 64 entries fit, 65 do not. */
  char big[512];
  size_t len = (size_t)snprintf(big, sizeof big, "vmap:in_axes=0");
  for (int i = 1; i < JET_SPEC_MAX_ENTRIES; i++)
    len += (size_t)snprintf(big + len, sizeof big - len, ",%d", i % 2);
  assert_null(jet_transform_spec_parse(big, &s));
  assert_int_equal(s.tf.n_in_axes, JET_SPEC_MAX_ENTRIES);
  assert_int_equal(s.tf.in_axes[JET_SPEC_MAX_ENTRIES - 1].axis, 1);
  snprintf(big + len, sizeof big - len, ",0");
  expect_err(jet_transform_spec_parse(big, &s), "more than 64 in_axes");

  expect_err(jet_transform_spec_parse("pmapx", &s), "vmap or pmap");
  expect_err(jet_transform_spec_parse("vmapx", &s), "expected grad");
  expect_err(jet_transform_spec_parse("vmap:argnums=0", &s), "vmap has no field 'argnums'");
  expect_err(jet_transform_spec_parse("vmap:has_aux", &s), "vmap has no field 'has_aux'");
  expect_err(jet_transform_spec_parse("vmap:spmd", &s), "vmap has no field 'spmd'");
  expect_err(jet_transform_spec_parse("vmap:in_axes=", &s), "in_axes needs a value");
  expect_err(jet_transform_spec_parse("vmap:in_axes", &s), "in_axes needs a value");
  expect_err(jet_transform_spec_parse("vmap:in_axes=0,,1", &s), "bad in_axes list '0,,1'");
  expect_err(jet_transform_spec_parse("vmap:in_axes=0,", &s), "bad in_axes list");
  expect_err(jet_transform_spec_parse("vmap:in_axes=0,x", &s),
             "in_axes entry 'x' is neither an integer nor 'none'");
  expect_err(jet_transform_spec_parse("vmap:out_axes=None", &s), "out_axes entry 'None'");
  expect_err(jet_transform_spec_parse("vmap:out_axes=1.5", &s), "'1.5'");
  expect_err(jet_transform_spec_parse("vmap:in_axes=99999999999", &s), "'99999999999'");
  expect_err(jet_transform_spec_parse("vmap:axis_size=-2", &s),
             "axis_size '-2' is not a non-negative integer");
  expect_err(jet_transform_spec_parse("vmap:axis_size=", &s), "axis_size '' is not");
  expect_err(jet_transform_spec_parse("vmap:axis_name=", &s), "axis_name needs a value");
  expect_err(jet_transform_spec_parse("vmap:axis_name=a-b", &s), "only letters, digits and '_'");
  expect_err(jet_transform_spec_parse(
                 "vmap:axis_name=a123456789012345678901234567890123456789012345678901234567890123",
                 &s),
             "longer than 63");
  expect_err(jet_transform_spec_parse("vmap:in_axes=0:in_axes=1", &s),
             "field 'in_axes' given twice");
  expect_err(jet_transform_spec_parse(NULL, &s), "NULL argument");
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

  /* pmap on a call: the callee's signature gains the mapped axis (as
   * vmap's); a scalar operand has no axis to map. */
  m = jet_builder_create("main");
  mx = jet_builder_param(m, &v);
  jet_value ms = jet_builder_param(m, &s);
  jet_transform pm = jet_tf_pmap("i", NULL, 0, NULL, 0, NULL, 0, 0);
  jet_builder *h = jet_builder_create("h");
  jet_value hx = jet_builder_param(h, &s);
  jet_value hy = jet_cos(h, hx);
  assert_null(jet_builder_return(h, &hy, 1));
  jet_value pr;
  assert_int_not_equal(jet_call(m, h, &mx, 1, &pm, 1, &pr, 1), JET_NO_VALUE);
  assert_true(jet_type_equal(jet_builder_value_type(m, pr), &v));
  assert_int_equal(jet_call(m, h, &ms, 1, &pm, 1, NULL, 0), JET_NO_VALUE);
  jet_status st = jet_builder_status(m);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  expect_err(st, "pmap");
  jet_builder_destroy(h);
  jet_builder_destroy(m);
  jet_builder_destroy(f);
}

/* jet_call with vmap: the callee's signature gains the batch dimension at
 * each mapped in_axis / out_axis (the shared rule), and its errors are
 * recorded as the builder's error. */
static void test_call_with_vmap(void **state) {
  (void)state;
  int64_t d3 = 3, d43[2] = {4, 3}, d34[2] = {3, 4}, d53[2] = {5, 3};
  jet_type v3 = jet_type_make(JET_F32, 1, &d3), m43 = jet_type_make(JET_F32, 2, d43);
  jet_type m34 = jet_type_make(JET_F32, 2, d34), m53 = jet_type_make(JET_F32, 2, d53);
  /* h(w, x) = w * x over f32[3]. */
  jet_builder *h = jet_builder_create("h");
  jet_value w = jet_builder_param(h, &v3);
  jet_value x = jet_builder_param(h, &v3);
  jet_value y = jet_mul(h, w, x);
  assert_null(jet_builder_return(h, &y, 1));

  jet_builder *m = jet_builder_create("main");
  jet_value pw = jet_builder_param(m, &v3);  /* unmapped */
  jet_value px = jet_builder_param(m, &m34); /* mapped along axis -1 (size 4) */
  jet_value args[2] = {pw, px};
  const jet_axis_spec in[2] = {JET_AXIS_NONE, JET_AXIS(-1)};
  jet_transform vm = jet_tf_vmap(in, 2, NULL, 0, 0, "i");
  jet_value r = jet_call(m, h, args, 2, &vm, 1, NULL, 0);
  if (r == JET_NO_VALUE) {
    jet_status st = jet_builder_status(m);
    fail_msg("vmap call: %s", st ? jet_status_message(st) : "no error recorded");
  }
  assert_true(jet_type_equal(jet_builder_value_type(m, r), &m43));
  /* out_axes=1 puts the batch last. */
  const jet_axis_spec o1[1] = {JET_AXIS(1)};
  jet_transform vo = jet_tf_vmap(in, 2, o1, 1, 0, NULL);
  r = jet_call(m, h, args, 2, &vo, 1, NULL, 0);
  assert_true(jet_type_equal(jet_builder_value_type(m, r), &m34));
  /* An explicit axis_size must agree with the operands. */
  jet_transform v4 = jet_tf_vmap(in, 2, NULL, 0, 4, NULL);
  r = jet_call(m, h, args, 2, &v4, 1, NULL, 0);
  assert_true(jet_type_equal(jet_builder_value_type(m, r), &m43));
  jet_transform vs3 = jet_tf_vmap(in, 2, NULL, 0, 3, NULL);
  assert_int_equal(jet_call(m, h, args, 2, &vs3, 1, NULL, 0), JET_NO_VALUE);
  expect_err(jet_builder_status(m), "axis_size=3");
  jet_builder_destroy(m);

  /* Inconsistent sizes: both sizes are named. */
  m = jet_builder_create("main");
  jet_value a = jet_builder_param(m, &m43);
  jet_value b = jet_builder_param(m, &m53);
  jet_value ab[2] = {a, b};
  jet_transform v0 = jet_tf_vmap(NULL, 0, NULL, 0, 0, NULL);
  assert_int_equal(jet_call(m, h, ab, 2, &v0, 1, NULL, 0), JET_NO_VALUE);
  jet_status st = jet_builder_status(m);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  if (!strstr(jet_status_message(st), "size 4") || !strstr(jet_status_message(st), "size 5"))
    fail_msg("message '%s' does not name both sizes", jet_status_message(st));
  jet_status_free(st);
  jet_builder_destroy(m);
  jet_builder_destroy(h);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_constructors),
      cmocka_unit_test(test_specs),
      cmocka_unit_test(test_call_with_transforms),
      cmocka_unit_test(test_vmap_constructor),
      cmocka_unit_test(test_vmap_specs),
      cmocka_unit_test(test_pmap_constructor_and_specs),
      cmocka_unit_test(test_call_with_vmap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
