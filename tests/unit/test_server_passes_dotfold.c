/* Transposes folded into dot_general (server/compiler/passes/dotfold.c):
 * golden text-form graphs (input -> dotfold + DCE -> expected text), the
 * refusal when the operand's free dims would change order, calls and
 * parameters left alone, and randomized dots (ranks 2 to 4, batch and
 * contracting dims anywhere, either or both operands transposed) whose
 * folded form gives bit-identical results on the reference executor for
 * i32 (wrapping) and for f32/f64 holding small non-zero integers (every sum
 * exact, so the matmul's summation order cannot show). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes.h"
#include "jet/infer.h"
#include "jet/text.h"
#include "test_exec_util.h"

/* Operands of small integers keep every dot exact: results agree byte for
 * byte. */
#define PASS_CHECK_SEED 0x3c6ef372fe94f82bull
#define PASS_CHECK_SMALL_INT_FLOATS
#include "pass_check.h"

/* ---- golden graphs ---- */

/* transpose(a . b) = b^T-order dot: the weight gradient of autodiff. */
static void test_golden_transposed_dot(void **state) {
  (void)state;
  golden(jet_pass_dotfold,
         "graph g(%0: f32[4,3], %1: f32[3,5]) {\n"
         "  %2 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
         "%0, %1 : f32[4,5]\n"
         "  %3 = transpose[permutation=[1, 0]] %2 : f32[5,4]\n"
         "  return %3\n"
         "}\n",
         "graph g(%0: f32[4,3], %1: f32[3,5]) {\n"
         "  %2 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[1]] "
         "%1, %0 : f32[5,4]\n"
         "  return %2\n"
         "}\n");
  /* batched: batch dims stay first */
  golden(jet_pass_dotfold,
         "graph g(%0: i32[2,4,3], %1: i32[2,3,5]) {\n"
         "  %2 = dot_general[lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[1], "
         "lhs_batch_dimensions=[0], rhs_batch_dimensions=[0]] %0, %1 : i32[2,4,5]\n"
         "  %3 = transpose[permutation=[0, 2, 1]] %2 : i32[2,5,4]\n"
         "  return %3\n"
         "}\n",
         "graph g(%0: i32[2,4,3], %1: i32[2,3,5]) {\n"
         "  %2 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[2], "
         "lhs_batch_dimensions=[0], rhs_batch_dimensions=[0]] %1, %0 : i32[2,5,4]\n"
         "  return %2\n"
         "}\n");
  /* kept: the product is used elsewhere too, or the permutation mixes groups */
  const char *kept[] = {
      "graph g(%0: f32[4,3], %1: f32[3,5]) {\n"
      "  %2 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
      "%0, %1 : f32[4,5]\n"
      "  %3 = transpose[permutation=[1, 0]] %2 : f32[5,4]\n"
      "  return %3, %2\n"
      "}\n",
      "graph g(%0: i32[2,4,3], %1: i32[2,3,5]) {\n"
      "  %2 = dot_general[lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[1], "
      "lhs_batch_dimensions=[0], rhs_batch_dimensions=[0]] %0, %1 : i32[2,4,5]\n"
      "  %3 = transpose[permutation=[2, 1, 0]] %2 : i32[5,4,2]\n"
      "  return %3\n"
      "}\n",
  };
  for (size_t i = 0; i < NELEM(kept); i++) golden(jet_pass_dotfold, kept[i], kept[i]);
}

/* The lhs of x^T y: x : [K, M] read in place. */
static void test_golden_lhs(void **state) {
  (void)state;
  golden(jet_pass_dotfold,
         "graph g(%0: f32[3,2], %1: f32[3,4]) {\n"
         "  %2 = transpose[permutation=[1, 0]] %0 : f32[2,3]\n"
         "  %3 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
         "%2, %1 : f32[2,4]\n"
         "  return %3\n"
         "}\n",
         "graph g(%0: f32[3,2], %1: f32[3,4]) {\n"
         "  %2 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]] "
         "%0, %1 : f32[2,4]\n"
         "  return %2\n"
         "}\n");
}

/* The rhs of x y^T (the transpose, also an output, stays) and a batched
 * dot whose lhs swaps its last two dims. */
static void test_golden_rhs_and_batch(void **state) {
  (void)state;
  golden(jet_pass_dotfold,
         "graph g(%0: i32[2,3], %1: i32[4,3], %2: f64[5,3,2], %3: f64[5,3,4]) {\n"
         "  %4 = transpose[permutation=[1, 0]] %1 : i32[3,4]\n"
         "  %5 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
         "%0, %4 : i32[2,4]\n"
         "  %6 = transpose[permutation=[0, 2, 1]] %2 : f64[5,2,3]\n"
         "  %7 = dot_general[lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[1], "
         "lhs_batch_dimensions=[0], rhs_batch_dimensions=[0]] %6, %3 : f64[5,2,4]\n"
         "  return %5, %4, %7\n"
         "}\n",
         "graph g(%0: i32[2,3], %1: i32[4,3], %2: f64[5,3,2], %3: f64[5,3,4]) {\n"
         "  %4 = transpose[permutation=[1, 0]] %1 : i32[3,4]\n"
         "  %5 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[1]] "
         "%0, %1 : i32[2,4]\n"
         "  %6 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[1], "
         "lhs_batch_dimensions=[0], rhs_batch_dimensions=[0]] %2, %3 : f64[5,2,4]\n"
         "  return %5, %4, %6\n"
         "}\n");
}

/* Both operands transposed, contracting over two dims at once. */
static void test_golden_both_sides(void **state) {
  (void)state;
  golden(jet_pass_dotfold,
         "graph g(%0: f32[3,4,2], %1: f32[5,4,3]) {\n"
         "  %2 = transpose[permutation=[2, 0, 1]] %0 : f32[2,3,4]\n"
         "  %3 = transpose[permutation=[2, 1, 0]] %1 : f32[3,4,5]\n"
         "  %4 = dot_general[lhs_contracting_dimensions=[1, 2], rhs_contracting_dimensions=[0, 1]] "
         "%2, %3 : f32[2,5]\n"
         "  return %4\n"
         "}\n",
         "graph g(%0: f32[3,4,2], %1: f32[5,4,3]) {\n"
         "  %2 = dot_general[lhs_contracting_dimensions=[0, 1], rhs_contracting_dimensions=[2, 1]] "
         "%0, %1 : f32[2,5]\n"
         "  return %2\n"
         "}\n");
}

/* Refused: the transpose swaps two free dims of the lhs (the output would
 * come out transposed). The second dot moves only the contracting dim and
 * folds. */
static void test_golden_refuses_free_reorder(void **state) {
  (void)state;
  golden(jet_pass_dotfold,
         "graph g(%0: f32[2,3,4], %1: f32[4,5], %2: f32[4,2,3]) {\n"
         "  %3 = transpose[permutation=[1, 0, 2]] %0 : f32[3,2,4]\n"
         "  %4 = dot_general[lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[0]] "
         "%3, %1 : f32[3,2,5]\n"
         "  %5 = transpose[permutation=[1, 2, 0]] %2 : f32[2,3,4]\n"
         "  %6 = dot_general[lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[0]] "
         "%5, %1 : f32[2,3,5]\n"
         "  return %4, %6\n"
         "}\n",
         "graph g(%0: f32[2,3,4], %1: f32[4,5], %2: f32[4,2,3]) {\n"
         "  %3 = transpose[permutation=[1, 0, 2]] %0 : f32[3,2,4]\n"
         "  %4 = dot_general[lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[0]] "
         "%3, %1 : f32[3,2,5]\n"
         "  %5 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]] "
         "%2, %1 : f32[2,3,5]\n"
         "  return %4, %5\n"
         "}\n");
}

/* Parameters only; a call (its callee has no transpose): unchanged. A
 * callee's own dot is folded. */
static void test_untouched_and_callee(void **state) {
  (void)state;
  static const char *const texts[] = {
      "graph p(%0: f32[3], %1: i32[]) {\n"
      "  return %1, %0, %0\n"
      "}\n",
      "graph c(%0: f32[3,2]) {\n"
      "  %1 = transpose[permutation=[1, 0]] %0 : f32[2,3]\n"
      "  %2 = call %1, %0 : f32[2,2] {\n"
      "    graph f(%0: f32[2,3], %1: f32[3,2]) {\n"
      "      %2 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
      "%0, %1 : f32[2,2]\n"
      "      return %2\n"
      "    }\n"
      "  }\n"
      "  return %2\n"
      "}\n",
  };
  for (size_t i = 0; i < NELEM(texts); i++) golden(jet_pass_dotfold, texts[i], texts[i]);
  golden(jet_pass_dotfold,
         "graph c(%0: f32[3,2]) {\n"
         "  %1 = call %0 : f32[2,2] {\n"
         "    graph f(%0: f32[3,2]) {\n"
         "      %1 = transpose[permutation=[1, 0]] %0 : f32[2,3]\n"
         "      %2 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
         "%1, %0 : f32[2,2]\n"
         "      return %2\n"
         "    }\n"
         "  }\n"
         "  return %1\n"
         "}\n",
         "graph c(%0: f32[3,2]) {\n"
         "  %1 = call %0 : f32[2,2] {\n"
         "    graph f(%0: f32[3,2]) {\n"
         "      %1 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]] "
         "%0, %0 : f32[2,2]\n"
         "      return %1\n"
         "    }\n"
         "  }\n"
         "  return %1\n"
         "}\n");
}

/* The whole cleanup: transpose(transpose(x)) composes first, then folds. */
static void test_golden_cleanup(void **state) {
  (void)state;
  golden(jet_passes_cleanup,
         "graph g(%0: f32[2,3,4], %1: f32[4,5]) {\n"
         "  %2 = transpose[permutation=[2, 0, 1]] %0 : f32[4,2,3]\n"
         "  %3 = transpose[permutation=[1, 2, 0]] %2 : f32[2,3,4]\n"
         "  %4 = transpose[permutation=[1, 0]] %1 : f32[5,4]\n"
         "  %5 = dot_general[lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[1]] "
         "%3, %4 : f32[2,3,5]\n"
         "  return %5\n"
         "}\n",
         "graph g(%0: f32[2,3,4], %1: f32[4,5]) {\n"
         "  %2 = dot_general[lhs_contracting_dimensions=[2], rhs_contracting_dimensions=[0]] "
         "%0, %1 : f32[2,3,5]\n"
         "  return %2\n"
         "}\n");
}

/* ---- randomized ---- */

static void shuffle(int64_t *v, int n) {
  for (int i = n - 1; i > 0; i--) {
    int j = (int)rnd_below((uint32_t)i + 1);
    int64_t t = v[i];
    v[i] = v[j];
    v[j] = t;
  }
}

/* One dot operand as the dot sees it: dims[rank]; batch dims at bpos,
 * contracting dims at cpos; optionally a transpose of a parameter. */
typedef struct operand {
  int rank;
  int64_t dims[4];
  int64_t bpos[4], cpos[4];
  int64_t perm[4];
  bool transposed, want_fold;
} operand;

/* Places nb batch and nc contracting dims (sizes bsz/csz) and free dims of
 * random sizes into a random layout of rank nb + nc + nfree. */
static void make_operand(operand *o, int nb, int nc, int nfree, const int64_t *bsz,
                         const int64_t *csz) {
  o->rank = nb + nc + nfree;
  int64_t pos[4] = {0, 1, 2, 3};
  shuffle(pos, o->rank);
  for (int i = 0; i < nb; i++) {
    o->bpos[i] = pos[i];
    o->dims[pos[i]] = bsz[i];
  }
  for (int i = 0; i < nc; i++) {
    o->cpos[i] = pos[nb + i];
    o->dims[pos[nb + i]] = csz[i];
  }
  for (int i = nb + nc; i < o->rank; i++) o->dims[pos[i]] = 1 + (int64_t)rnd_below(3);
  o->transposed = rnd_below(4) != 0;
  for (int i = 0; i < o->rank; i++) o->perm[i] = i;
  if (o->transposed) shuffle(o->perm, o->rank);
  /* free dims (those in neither list) must keep their order under perm */
  o->want_fold = o->transposed;
  int64_t last = -1;
  for (int d = 0; d < o->rank; d++) {
    bool listed = false;
    for (int i = 0; i < nb + nc; i++) listed = listed || pos[i] == d;
    if (listed) continue;
    if (o->perm[d] < last) o->want_fold = false;
    last = o->perm[d];
  }
}

/* The parameter behind operand o: the dot's layout, or the layout the
 * transpose permutes into it (operand dim d = parameter dim perm[d]). */
static jet_value operand_param(jet_graph *g, jet_dtype dt, const operand *o) {
  int64_t pd[4];
  for (int d = 0; d < o->rank; d++) pd[o->perm[d]] = o->dims[d];
  return param(g, jet_type_make(dt, o->rank, o->transposed ? pd : o->dims));
}

/* The dot's operand value: p, or its transpose. */
static jet_value operand_value(jet_graph *g, jet_value p, const operand *o) {
  if (!o->transposed) return p;
  jet_attr a = a_ints("permutation", o->perm, (uint32_t)o->rank);
  jet_value v;
  expect_ok(jet_graph_add_node(g, JET_OP_TRANSPOSE, &p, 1, &a, 1, NULL, NULL, 0, &v));
  return v;
}

static void random_check(jet_dtype dt) {
  int folded = 0, refused = 0;
  for (int trial = 0; trial < 150; trial++) {
    int nb = (int)rnd_below(2), nc = 1 + (int)rnd_below(2);
    int64_t bsz[1] = {1 + (int64_t)rnd_below(3)}, csz[2] = {1 + (int64_t)rnd_below(4),
                                                             1 + (int64_t)rnd_below(3)};
    operand l, r;
    make_operand(&l, nb, nc, 1 + (int)rnd_below(4 - nb - nc), bsz, csz);
    make_operand(&r, nb, nc, (int)rnd_below(5 - nb - nc), bsz, csz);
    jet_graph *g = jet_graph_create("dot");
    jet_value pl = operand_param(g, dt, &l), pr = operand_param(g, dt, &r);
    jet_value ops[2] = {operand_value(g, pl, &l), operand_value(g, pr, &r)};
    jet_attr at[4] = {a_ints("lhs_contracting_dimensions", l.cpos, (uint32_t)nc),
                      a_ints("rhs_contracting_dimensions", r.cpos, (uint32_t)nc),
                      a_ints("lhs_batch_dimensions", l.bpos, (uint32_t)nb),
                      a_ints("rhs_batch_dimensions", r.bpos, (uint32_t)nb)};
    jet_value o;
    expect_ok(jet_graph_add_node(g, JET_OP_DOT_GENERAL, ops, 2, at, nb ? 4 : 2, NULL, NULL, 0,
                                 &o));
    expect_ok(jet_graph_set_outputs(g, &o, 1));
    expect_ok(jet_graph_validate(g, NULL, 0));
    jet_graph *f = run_pass(jet_pass_dotfold, g);
    expect_same_results(g, f, 3);
    int want_left = (l.transposed && !l.want_fold) + (r.transposed && !r.want_fold);
    assert_int_equal(count_op(f, JET_OP_TRANSPOSE), want_left);
    folded += l.want_fold + r.want_fold;
    refused += want_left;
    jet_graph_destroy(f);
    jet_graph_destroy(g);
  }
  print_message("%s: %d transposes folded, %d refused\n", jet_dtype_name(dt), folded, refused);
  assert_true(folded > 50);
  assert_true(refused > 5);
}

static void test_random_i32(void **state) {
  (void)state;
  random_check(JET_I32);
}

static void test_random_f32(void **state) {
  (void)state;
  random_check(JET_F32);
}

static void test_random_f64(void **state) {
  (void)state;
  random_check(JET_F64);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_golden_lhs),
      cmocka_unit_test(test_golden_transposed_dot),
      cmocka_unit_test(test_golden_rhs_and_batch),
      cmocka_unit_test(test_golden_both_sides),
      cmocka_unit_test(test_golden_refuses_free_reorder),
      cmocka_unit_test(test_untouched_and_callee),
      cmocka_unit_test(test_golden_cleanup),
      cmocka_unit_test(test_random_i32),
      cmocka_unit_test(test_random_f32),
      cmocka_unit_test(test_random_f64),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
