/* End to end: cond (lax.cond / lax.switch) built with libjet's jet_cond,
 * compiled and run by a real jetd for every branch (out-of-range indices
 * clamp), a bool cond, branch mismatches caught by the builder, grad of a
 * cond through each branch, and the jet CLI printing and
 * running tests/data/cond.jet. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "jet/jet.h"

static const float kX[3] = {1, 2, 3};
static const float kY[3] = {1, 1, -1};

/* A branch (x, y) -> op(x, y), or -> y when op is NULL. */
static jet_builder *branch(const char *name, jet_value (*op)(jet_builder *, jet_value, jet_value)) {
  jet_builder *b = jet_builder_create(name);
  assert_non_null(b);
  jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_value x = jet_builder_param(b, &t), y = jet_builder_param(b, &t);
  jet_value r = op ? op(b, x, y) : y;
  JET_TEST_OK(jet_builder_return(b, &r, 1));
  return b;
}

/* switch(i, x, y) over add, mul, second. */
static jet_builder *build_switch(void) {
  jet_builder *br[3] = {branch("add", jet_add), branch("mul", jet_mul), branch("second", NULL)};
  jet_builder *b = jet_builder_create("switch3");
  assert_non_null(b);
  jet_type ti = jet_type_make(JET_I32, 0, NULL), t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_value i = jet_builder_param(b, &ti);
  jet_value xy[2] = {jet_builder_param(b, &t), jet_builder_param(b, &t)};
  jet_value out = JET_NO_VALUE;
  jet_value r = jet_cond(b, i, br, 3, xy, 2, &out, 1);
  assert_int_not_equal(r, JET_NO_VALUE);
  assert_int_equal(r, out);
  JET_TEST_OK(jet_builder_return(b, &r, 1));
  for (int k = 0; k < 3; k++) jet_builder_destroy(br[k]);
  return b;
}

static void test_libjet_switch(void **state) {
  jet_test_fixture *f = *state;
  jet_builder *b = build_switch();
  jet_executable *e;
  JET_TEST_OK(jet_compile(f->client, b, NULL, 0, &e));
  jet_builder_destroy(b); /* the executable does not need the builder */
  jet_type ti = jet_type_make(JET_I32, 0, NULL), t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  const int32_t idx[] = {-4, 0, 1, 2, 9};
  for (size_t k = 0; k < sizeof idx / sizeof idx[0]; k++) {
    jet_arg args[3] = {jet_arg_inline(&ti, &idx[k]), jet_arg_inline(&t, kX),
                       jet_arg_inline(&t, kY)};
    jet_result r;
    memset(&r, 0, sizeof r);
    JET_TEST_OK(jet_execute_inline(e, args, 3, &r, 1));
    assert_int_equal(r.nbytes, 3 * sizeof(float));
    const int br = idx[k] < 0 ? 0 : idx[k] > 2 ? 2 : idx[k];
    float got[3];
    memcpy(got, r.data, sizeof got);
    for (int i = 0; i < 3; i++) {
      const float want = br == 0 ? kX[i] + kY[i] : br == 1 ? kX[i] * kY[i] : kY[i];
      if (got[i] != want) fail_msg("index %d: out[%d] = %g, want %g", idx[k], i, got[i], want);
    }
    jet_result_clear(&r);
  }
}

static void test_libjet_bool_cond_and_errors(void **state) {
  jet_test_fixture *f = *state;
  jet_builder *br[2] = {branch("sub", jet_sub), branch("max", jet_max)};
  jet_builder *b = jet_builder_create("boolcond");
  jet_type tb = jet_type_make(JET_BOOL, 0, NULL), t = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_value p = jet_builder_param(b, &tb);
  jet_value xy[2] = {jet_builder_param(b, &t), jet_builder_param(b, &t)};
  jet_value r = jet_cond(b, p, br, 2, xy, 2, NULL, 0);
  JET_TEST_OK(jet_builder_return(b, &r, 1));
  jet_executable *e;
  JET_TEST_OK(jet_compile(f->client, b, NULL, 0, &e));
  for (int pv = 0; pv < 2; pv++) {
    const uint8_t pb = (uint8_t)pv;
    jet_arg args[3] = {jet_arg_inline(&tb, &pb), jet_arg_inline(&t, kX), jet_arg_inline(&t, kY)};
    jet_result res;
    memset(&res, 0, sizeof res);
    JET_TEST_OK(jet_execute_inline(e, args, 3, &res, 1));
    float got[3];
    memcpy(got, res.data, sizeof got);
    for (int i = 0; i < 3; i++) {
      const float want = pv ? (kX[i] > kY[i] ? kX[i] : kY[i]) : kX[i] - kY[i];
      assert_true(got[i] == want);
    }
    jet_result_clear(&res);
  }
  /* grad through cond: d sum(cond(p, x, y)) / dx is 1 (x - y) or [x > y] (max). */
  jet_builder *s = jet_builder_create("scalar");
  jet_value sp = jet_builder_param(s, &tb);
  jet_value sx[2] = {jet_builder_param(s, &t), jet_builder_param(s, &t)};
  jet_value c = jet_cond(s, sp, br, 2, sx, 2, NULL, 0);
  int64_t axis = 0;
  jet_value sum = jet_reduce_sum(s, c, &axis, 1);
  JET_TEST_OK(jet_builder_return(s, &sum, 1));
  int32_t argnum = 1;
  jet_transform g = jet_tf_grad(&argnum, 1, false);
  JET_TEST_OK(jet_compile(f->client, s, &g, 1, &e));
  for (int pv = 0; pv < 2; pv++) {
    const uint8_t pb = (uint8_t)pv;
    jet_arg args[3] = {jet_arg_inline(&tb, &pb), jet_arg_inline(&t, kX), jet_arg_inline(&t, kY)};
    jet_result res;
    memset(&res, 0, sizeof res);
    JET_TEST_OK(jet_execute_inline(e, args, 3, &res, 1));
    float got[3];
    memcpy(got, res.data, sizeof got);
    for (int i = 0; i < 3; i++) {
      /* JAX's max splits ties: 0.5 each */
      const float want = pv ? (kX[i] > kY[i] ? 1.0f : kX[i] == kY[i] ? 0.5f : 0.0f) : 1.0f;
      assert_true(got[i] == want);
    }
    jet_result_clear(&res);
  }
  jet_builder_destroy(s);
  jet_builder_destroy(b);

  /* A branch with another output type: the builder names the branch. */
  jet_builder *bad = jet_builder_create("bad");
  jet_type t4 = jet_type_make(JET_F32, 1, (int64_t[]){3});
  jet_value bx = jet_builder_param(bad, &t4);
  jet_builder_param(bad, &t4);
  jet_value bs = jet_reduce_sum(bad, bx, &axis, 1);
  JET_TEST_OK(jet_builder_return(bad, &bs, 1));
  jet_builder *mixed[2] = {br[0], bad};
  jet_builder *m = jet_builder_create("mixed");
  jet_value mp = jet_builder_param(m, &tb);
  jet_value mx[2] = {jet_builder_param(m, &t), jet_builder_param(m, &t)};
  assert_int_equal(jet_cond(m, mp, mixed, 2, mx, 2, NULL, 0), JET_NO_VALUE);
  jet_status st = jet_builder_status(m);
  assert_non_null(st);
  if (!strstr(jet_status_message(st), "branch 1 output 0 is f32[] but branch 0 output 0 is f32[3]"))
    fail_msg("unexpected message: %s", jet_status_message(st));
  jet_status_free(st);
  jet_builder_destroy(m);
  jet_builder_destroy(bad);
  for (int k = 0; k < 2; k++) jet_builder_destroy(br[k]);
}

static void expect_cli_ok(const jet_test_fixture *f, const char *const *args,
                          jet_test_proc_result *r) {
  assert_int_equal(jet_test_run_cli(f->address, args, r), 0);
  if (r->status != 0)
    fail_msg("jet %s exited %d\nstdout: %s\nstderr: %s", args[0], r->status, r->out, r->err);
}

static void test_cli_print_and_run(void **state) {
  jet_test_fixture *f = *state;
  const char *path = JET_SOURCE_DIR "/tests/data/cond.jet";
  if (access(path, R_OK) != 0) fail_msg("%s is missing", path);
  const char *pargs[] = {"print", path, NULL};
  jet_test_proc_result r;
  expect_cli_ok(f, pargs, &r);
  assert_non_null(strstr(r.out, "%3 = cond %0, %1, %2 : f32[3] {\n    graph add("));
  assert_non_null(strstr(r.out, "graph positive(%0: f32[3]) {"));
  jet_test_proc_result_free(&r);
  /* x = [1, 2, 3], y = [1, 1, -1]:
   *   index 0: add -> [2, 3, 2], sum 7 > 0 keeps it;
   *   index 1: mul -> [1, 2, -3], sum 0 is not > 0: negated;
   *   index 7: clamps to 2 -> y, sum 1 > 0 keeps it. */
  static const struct {
    const char *idx, *first, *second;
  } cases[] = {
      {"i32[] 0", "[2. 3. 2.]", "[2. 3. 2.]"},
      {"i32[] 1", "[ 1.  2. -3.]", "[-1. -2.  3.]"},
      {"i32[] 7", "[ 1.  1. -1.]", "[ 1.  1. -1.]"},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const char *args[] = {"run", path, cases[k].idx, "f32[3]{1, 2, 3}", "f32[3]{1, 1, -1}", NULL};
    expect_cli_ok(f, args, &r);
    char *save = NULL;
    char *l0 = strtok_r(r.out, "\n", &save);
    char *l1 = l0 ? strtok_r(NULL, "\n", &save) : NULL;
    if (!l0 || !l1 || strcmp(l0, cases[k].first) != 0 || strcmp(l1, cases[k].second) != 0)
      fail_msg("%s: printed '%s' / '%s', want '%s' / '%s'", cases[k].idx, l0 ? l0 : "",
               l1 ? l1 : "", cases[k].first, cases[k].second);
    jet_test_proc_result_free(&r);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_libjet_switch),
      cmocka_unit_test(test_libjet_bool_cond_and_errors),
      cmocka_unit_test(test_cli_print_and_run),
  };
  return cmocka_run_group_tests(tests, jet_test_fixture_setup, jet_test_fixture_teardown);
}
