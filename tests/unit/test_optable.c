/* The op table drives everything: every op has a well-formed entry, a unique
 * name that maps back to it, and a kernel in the reference executor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "exec.h"
#include "jet/ops.h"

/* Adding or removing an op changes the protocol and the cache key: bump
 * JET_OPSET_VERSION and this count together. */
_Static_assert(JET_OP_COUNT == 91 && JET_OPSET_VERSION == 5,
               "op set changed: bump JET_OPSET_VERSION and update this count");

static void test_names_round_trip(void **state) {
  (void)state;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    const jet_op_info *info = jet_op_get((jet_op)op);
    assert_non_null(info);
    assert_non_null(info->name);
    assert_int_equal(jet_op_from_name(info->name, strlen(info->name)), op);
    for (int other = 0; other < op; other++)
      assert_string_not_equal(info->name, jet_op_name((jet_op)other));
  }
  assert_int_equal(jet_op_from_name("frobnicate", 10), JET_OP_COUNT);
  assert_null(jet_op_get(JET_OP_COUNT));
}

static void test_attr_schemas_parse(void **state) {
  (void)state;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    const jet_op_info *info = jet_op_get((jet_op)op);
    /* Every ':' in the schema became one parsed attribute of a known kind. */
    uint32_t colons = 0;
    for (const char *p = info->attr_schema; *p; p++) colons += *p == ':';
    assert_int_equal(info->n_attrs, colons);
    for (uint32_t i = 0; i < info->n_attrs; i++) {
      assert_true(info->attrs[i].kind >= JET_ATTR_INT && info->attrs[i].kind <= JET_ATTR_LITERAL);
      assert_true(strlen(info->attrs[i].name) > 0);
      assert_ptr_equal(jet_op_attr_spec((jet_op)op, info->attrs[i].name), &info->attrs[i]);
    }
    assert_true(info->dtype_mask != 0);
    assert_true(info->n_operands >= -1);
  }
}

static void test_every_op_has_a_kernel(void **state) {
  (void)state;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    if (!jet_exec_kernel((jet_op)op)) fail_msg("op %s has no kernel", jet_op_name((jet_op)op));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_names_round_trip),
      cmocka_unit_test(test_attr_schemas_parse),
      cmocka_unit_test(test_every_op_has_a_kernel),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
