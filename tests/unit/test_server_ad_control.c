/* Autodiff through structured control flow (server/transforms/ad/
 * rules_cond.c, rules_while.c, rules_scan.c): graphs written in the text
 * form, differentiated with jet_transforms_apply and run with the
 * reference executor.
 *   - scan (an RNN over 8 steps with consts; reversed with several carries,
 *     an integer carry and two xs; a scan whose body holds a cond) and cond
 *     (bool predicate, both branches; i32 switch over 3 branches, clamped
 *     indices; a branch holding a scan) go through tests/common/ad_check.h: jvp, vjp, grad,
 *     value_and_grad and second order against float64 central finite
 *     differences;
 *   - while: jvp against finite differences (x = x*0.5 + a*sin(x) five
 *     times) and against the analytic derivative (Newton's iteration for
 *     sqrt, counted and run to convergence); grad refused with JAX's exact
 *     message; jvp of jvp runs;
 *   - grad of grad through cond against the analytic second derivative;
 *   - jacfwd and jacrev (vmap of the JVP / of the backward pass) through a
 *     scan whose cell holds a cond agree with each other and with finite
 *     differences; the hessian is symmetric;
 *   - every derivative graph validates and its text form round-trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ad_check.h"
#include "jet/text.h"
#include "transforms/transforms.h"

/* ---------------------------------------------------------------- helpers */

static jet_graph *parse(const char *text) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(text, strlen(text), &g);
  if (!st) st = jet_graph_validate(g, NULL, 0);
  if (st) {
    fprintf(stderr, "parse: %s\n", jet_status_message(st));
    jet_status_free(st);
    jet_graph_destroy(g);
    fail();
  }
  return g;
}

static char *print(const jet_graph *g) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_graph_print(g, &sb);
  if (!st) st = jet_strbuf_status(&sb);
  if (st) fail_msg("print: %s", jet_status_message(st));
  return jet_strbuf_take(&sb);
}

/* g validates, and print(parse(print(g))) == print(g). */
static void assert_roundtrips(const jet_graph *g) {
  jet_status st = jet_graph_validate(g, NULL, 0);
  if (st) fail_msg("derivative graph does not validate: %s", jet_status_message(st));
  char *a = print(g);
  jet_graph *h = NULL;
  st = jet_graph_parse(a, strlen(a), &h);
  if (st) fail_msg("derivative graph does not parse back: %s\n%s", jet_status_message(st), a);
  char *b = print(h);
  assert_string_equal(a, b);
  free(a);
  free(b);
  jet_graph_destroy(h);
}

/* tfs applied to f, with and without the cleanup passes: both validate and
 * round-trip. Returns the cleaned graph. */
static jet_graph *derive(const jet_graph *f, const jet_transform_kind *kinds, uint32_t n) {
  jet_transform tfs[4];
  for (uint32_t i = 0; i < n; i++) tfs[i] = adc_tf(kinds[i]);
  jet_graph *raw = NULL, *clean = NULL;
  jet_status st = adc_transform_ex(f, tfs, n, false, &raw);
  if (!st) st = adc_transform(f, tfs, n, &clean);
  if (st) fail_msg("transform failed: %s", jet_status_message(st));
  assert_roundtrips(raw);
  assert_roundtrips(clean);
  if (getenv("AD_CONTROL_DUMP")) adc_dump(clean); /* to read the derivative graphs */
  jet_graph_destroy(raw);
  return clean;
}

/* Random float args in [lo, hi] (|x| >= min_abs); integer/bool params get
 * ints[k] in order. */
static void make_args(const jet_graph *f, uint64_t seed, double lo, double hi, double min_abs,
                      const int32_t *ints, jet_buf *x) {
  adc_rng r = {seed};
  uint32_t ki = 0;
  for (uint32_t p = 0; p < f->n_params; p++) {
    x[p] = adc_buf(f->value_types[p]);
    for (int64_t i = 0; i < adc_numel(&x[p]); i++) {
      double v;
      if (!adc_isf(x[p].type.dtype)) {
        v = ints[ki];
      } else {
        do v = adc_unif(&r, lo, hi);
        while (fabs(v) < min_abs);
      }
      adc_set(&x[p], i, v);
    }
    if (!adc_isf(x[p].type.dtype)) ki++;
  }
}

/* Every derivative of f at random points (adc_check), and the first-order
 * derivative graphs validate and round-trip. */
static void check_all(const char *text, const char *label, double lo, double hi, double min_abs,
                      const int32_t *ints, int n_points) {
  jet_graph *f = parse(text);
  static const jet_transform_kind kinds[] = {JET_TF_JVP, JET_TF_VJP, JET_TF_GRAD};
  const bool scalar = f->n_outputs == 1 && f->value_types[f->outputs[0]].rank == 0;
  for (int k = 0; k < 2 + scalar; k++) jet_graph_destroy(derive(f, &kinds[k], 1));
  int fails = 0;
  for (int pt = 0; pt < n_points; pt++) {
    jet_buf x[ADC_MAX];
    make_args(f, 0xc0ffee + (uint64_t)pt * 977, lo, hi, min_abs, ints, x);
    char lab[128];
    snprintf(lab, sizeof lab, "%s, point %d", label, pt);
    adc_opts o = {.label = lab, .seed = 17 + (uint64_t)pt};
    int n = adc_check(f, x, &o);
    if (n) adc_dump(f);
    fails += n;
    adc_bufs_free(x, f->n_params);
  }
  jet_graph_destroy(f);
  assert_int_equal(fails, 0);
}

/* ---------------------------------------------------------------- scan */

#define DOT "dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]]"

/* h = tanh(W h + U x_t + b) over 8 steps; outputs (loss = sum(ys) +
 * sum(h_final), h_final, ys). */
static const char kRnn[] =
    "graph rnn(%0: f64[4,4], %1: f64[4,3], %2: f64[4], %3: f64[4], %4: f64[8,3]) {\n"
    "  %5, %6 = scan[n_consts=3, n_carry=1, length=8] %0, %1, %2, %3, %4 : f64[4], f64[8,4] {\n"
    "    graph cell(%0: f64[4,4], %1: f64[4,3], %2: f64[4], %3: f64[4], %4: f64[3]) {\n"
    "      %5 = " DOT " %0, %3 : f64[4]\n"
    "      %6 = " DOT " %1, %4 : f64[4]\n"
    "      %7 = add %5, %6 : f64[4]\n"
    "      %8 = add %7, %2 : f64[4]\n"
    "      %9 = tanh %8 : f64[4]\n"
    "      return %9, %9\n"
    "    }\n"
    "  }\n"
    "  %7 = reduce_sum[axes=[0, 1]] %6 : f64[]\n"
    "  %8 = reduce_sum[axes=[0]] %5 : f64[]\n"
    "  %9 = add %7, %8 : f64[]\n"
    "  return %9, %5, %6\n"
    "}\n";

static void grad_scan_rnn(void **state) {
  (void)state;
  check_all(kRnn, "rnn scan", -1, 1, 0, NULL, 2);
}

/* Only the final carry is used: the ys get a symbolic-zero cotangent. */
static const char kRnnFinal[] =
    "graph rnn(%0: f64[4,4], %1: f64[4,3], %2: f64[4], %3: f64[4], %4: f64[8,3]) {\n"
    "  %5, %6 = scan[n_consts=3, n_carry=1, length=8] %0, %1, %2, %3, %4 : f64[4], f64[8,4] {\n"
    "    graph cell(%0: f64[4,4], %1: f64[4,3], %2: f64[4], %3: f64[4], %4: f64[3]) {\n"
    "      %5 = " DOT " %0, %3 : f64[4]\n"
    "      %6 = " DOT " %1, %4 : f64[4]\n"
    "      %7 = add %5, %6 : f64[4]\n"
    "      %8 = add %7, %2 : f64[4]\n"
    "      %9 = tanh %8 : f64[4]\n"
    "      return %9, %9\n"
    "    }\n"
    "  }\n"
    "  %7 = reduce_sum[axes=[0]] %5 : f64[]\n"
    "  return %7\n"
    "}\n";

static void grad_scan_final_carry_only(void **state) {
  (void)state;
  check_all(kRnnFinal, "rnn scan, final carry only", -1, 1, 0, NULL, 1);
}

/* Reversed; carries (a: f64[3], s: f64[], i: i32[]), one const, two xs,
 * two ys. a' = sin(a) * c + x1 * s; s' = s * cos(sum a') + x2 * i;
 * ys (a' * x2, s'). */
static const char kMulti[] =
    "graph multi(%0: f64[3], %1: f64[3], %2: f64[], %3: i32[], %4: f64[5,3], %5: f64[5]) {\n"
    "  %6, %7, %8, %9, %10 = scan[n_consts=1, n_carry=3, length=5, reverse=true] %0, %1, %2, "
    "%3, %4, %5 : f64[3], f64[], i32[], f64[5,3], f64[5] {\n"
    "    graph b(%0: f64[3], %1: f64[3], %2: f64[], %3: i32[], %4: f64[3], %5: f64[]) {\n"
    "      %6 = sin %1 : f64[3]\n"
    "      %7 = mul %6, %0 : f64[3]\n"
    "      %8 = mul %4, %2 : f64[3]\n"
    "      %9 = add %7, %8 : f64[3]\n"
    "      %10 = convert_element_type[new_dtype=f64] %3 : f64[]\n"
    "      %11 = mul %5, %10 : f64[]\n"
    "      %12 = reduce_sum[axes=[0]] %9 : f64[]\n"
    "      %13 = cos %12 : f64[]\n"
    "      %14 = mul %2, %13 : f64[]\n"
    "      %15 = add %14, %11 : f64[]\n"
    "      %16 = constant[value=i32[]{1}] : i32[]\n"
    "      %17 = add %3, %16 : i32[]\n"
    "      %18 = mul %9, %5 : f64[3]\n"
    "      return %9, %15, %17, %18, %15\n"
    "    }\n"
    "  }\n"
    "  return %6, %7, %8, %9, %10\n"
    "}\n";

static void grad_scan_reverse_multi_carry(void **state) {
  (void)state;
  const int32_t ints[] = {2};
  check_all(kMulti, "reversed scan, 3 carries", -1, 1, 0, ints, 2);
}

/* A scan whose body branches on the sign of x_t: h' = h * x_t when x_t > 0,
 * sin(h) + x_t otherwise; ys = h'. */
static const char kScanCond[] =
    "graph sc(%0: f64[2], %1: f64[6]) {\n"
    "  %2, %3 = scan[n_carry=1, length=6] %0, %1 : f64[2], f64[6,2] {\n"
    "    graph b(%0: f64[2], %1: f64[]) {\n"
    "      %2 = constant[value=f64[]{0}] : f64[]\n"
    "      %3 = gt %1, %2 : bool[]\n"
    "      %4 = cond %3, %0, %1 : f64[2] {\n"
    "        graph neg(%0: f64[2], %1: f64[]) {\n"
    "          %2 = sin %0 : f64[2]\n"
    "          %3 = add %2, %1 : f64[2]\n"
    "          return %3\n"
    "        }\n"
    "        graph pos(%0: f64[2], %1: f64[]) {\n"
    "          %2 = mul %0, %1 : f64[2]\n"
    "          return %2\n"
    "        }\n"
    "      }\n"
    "      return %4, %4\n"
    "    }\n"
    "  }\n"
    "  return %2, %3\n"
    "}\n";

static void grad_scan_with_cond(void **state) {
  (void)state;
  check_all(kScanCond, "scan holding a cond", -1.5, 1.5, 0.2, NULL, 2);
}

/* A cond whose true branch runs a scan (nesting the other way round). */
static const char kCondScan[] =
    "graph cs(%0: bool[], %1: f64[3], %2: f64[4,3]) {\n"
    "  %3 = cond %0, %1, %2 : f64[3] {\n"
    "    graph f(%0: f64[3], %1: f64[4,3]) {\n"
    "      %2 = sin %0 : f64[3]\n"
    "      return %2\n"
    "    }\n"
    "    graph t(%0: f64[3], %1: f64[4,3]) {\n"
    "      %2, %3 = scan[n_carry=1, length=4] %0, %1 : f64[3], f64[4,3] {\n"
    "        graph b(%0: f64[3], %1: f64[3]) {\n"
    "          %2 = mul %0, %1 : f64[3]\n"
    "          %3 = add %2, %1 : f64[3]\n"
    "          %4 = tanh %3 : f64[3]\n"
    "          return %4, %2\n"
    "        }\n"
    "      }\n"
    "      %4 = reduce_sum[axes=[0]] %3 : f64[3]\n"
    "      %5 = add %2, %4 : f64[3]\n"
    "      return %5\n"
    "    }\n"
    "  }\n"
    "  return %3\n"
    "}\n";

static void grad_cond_with_scan(void **state) {
  (void)state;
  const int32_t t[] = {1}, f[] = {0};
  check_all(kCondScan, "cond holding a scan, true", -1, 1, 0, t, 2);
  check_all(kCondScan, "cond holding a scan, false", -1, 1, 0, f, 1);
}

/* length 0: the carry passes through, the ys are empty. */
static const char kScanEmpty[] =
    "graph z(%0: f64[3], %1: f64[0,3]) {\n"
    "  %2, %3 = scan[n_carry=1, length=0, reverse=true] %0, %1 : f64[3], f64[0,3] {\n"
    "    graph b(%0: f64[3], %1: f64[3]) {\n"
    "      %2 = mul %0, %1 : f64[3]\n"
    "      return %2, %2\n"
    "    }\n"
    "  }\n"
    "  %4 = sin %2 : f64[3]\n"
    "  return %4, %3\n"
    "}\n";

static void grad_scan_length_zero(void **state) {
  (void)state;
  check_all(kScanEmpty, "scan of length 0", -1, 1, 0, NULL, 1);
}

/* ---------------------------------------------------------------- cond */

/* Branch true: (sin(x*y), sum(x)); branch false: (exp(y), 1.5): output 1
 * has a zero tangent in the false branch only; the false branch ignores x. */
static const char kCondBool[] =
    "graph c(%0: bool[], %1: f64[3], %2: f64[3]) {\n"
    "  %3, %4 = cond %0, %1, %2 : f64[3], f64[] {\n"
    "    graph f(%0: f64[3], %1: f64[3]) {\n"
    "      %2 = exp %1 : f64[3]\n"
    "      %3 = constant[value=f64[]{1.5}] : f64[]\n"
    "      return %2, %3\n"
    "    }\n"
    "    graph t(%0: f64[3], %1: f64[3]) {\n"
    "      %2 = mul %0, %1 : f64[3]\n"
    "      %3 = sin %2 : f64[3]\n"
    "      %4 = reduce_sum[axes=[0]] %0 : f64[]\n"
    "      return %3, %4\n"
    "    }\n"
    "  }\n"
    "  %5 = mul %3, %3 : f64[3]\n"
    "  return %5, %4\n"
    "}\n";

static void grad_cond_bool(void **state) {
  (void)state;
  const int32_t t[] = {1}, f[] = {0};
  check_all(kCondBool, "cond, true branch", -1, 1, 0, t, 2);
  check_all(kCondBool, "cond, false branch", -1, 1, 0, f, 2);
}

/* lax.switch over three branches; the index is clamped to [0, 2]. */
static const char kSwitch[] =
    "graph s(%0: i32[], %1: f64[2], %2: f64[]) {\n"
    "  %3 = cond %0, %1, %2 : f64[2] {\n"
    "    graph b0(%0: f64[2], %1: f64[]) {\n"
    "      %2 = mul %0, %1 : f64[2]\n"
    "      return %2\n"
    "    }\n"
    "    graph b1(%0: f64[2], %1: f64[]) {\n"
    "      %2 = tanh %0 : f64[2]\n"
    "      return %2\n"
    "    }\n"
    "    graph b2(%0: f64[2], %1: f64[]) {\n"
    "      %2 = exp %1 : f64[]\n"
    "      %3 = broadcast_in_dim[shape=[2], broadcast_dimensions=[]] %2 : f64[2]\n"
    "      %4 = mul %3, %0 : f64[2]\n"
    "      %5 = mul %4, %0 : f64[2]\n"
    "      return %5\n"
    "    }\n"
    "  }\n"
    "  return %3\n"
    "}\n";

static void grad_cond_switch(void **state) {
  (void)state;
  const int32_t idx[] = {-3, 0, 1, 2, 9};
  for (int k = 0; k < 5; k++) {
    char label[64];
    snprintf(label, sizeof label, "switch, index %d", idx[k]);
    check_all(kSwitch, label, -1, 1, 0, &idx[k], 1);
  }
}

/* f(x) = x^3 when x > 0, sin(x) otherwise: grad(grad(f)) = 6x or -sin(x). */
static const char kCondScalar[] =
    "graph c(%0: f64[]) {\n"
    "  %1 = constant[value=f64[]{0}] : f64[]\n"
    "  %2 = gt %0, %1 : bool[]\n"
    "  %3 = cond %2, %0 : f64[] {\n"
    "    graph f(%0: f64[]) {\n"
    "      %1 = sin %0 : f64[]\n"
    "      return %1\n"
    "    }\n"
    "    graph t(%0: f64[]) {\n"
    "      %1 = mul %0, %0 : f64[]\n"
    "      %2 = mul %1, %0 : f64[]\n"
    "      return %2\n"
    "    }\n"
    "  }\n"
    "  return %3\n"
    "}\n";

static double run_scalar(const jet_graph *g, double x) {
  jet_buf a = adc_buf(ADC_S(JET_F64)), o[ADC_MAX];
  adc_set(&a, 0, x);
  assert_true(adc_run(g, &a, 1, o, "scalar", "run"));
  double r = adc_get(&o[0], 0);
  adc_bufs_free(o, g->n_outputs);
  adc_buf_free(&a);
  return r;
}

static void grad_of_grad_cond(void **state) {
  (void)state;
  jet_graph *f = parse(kCondScalar);
  const jet_transform_kind gg[] = {JET_TF_GRAD, JET_TF_GRAD};
  jet_graph *g1 = derive(f, gg, 1), *g2 = derive(f, gg, 2);
  const double xs[] = {0.7, 1.9, -0.4, -2.2};
  for (int k = 0; k < 4; k++) {
    const double x = xs[k];
    const double d1 = x > 0 ? 3 * x * x : cos(x), d2 = x > 0 ? 6 * x : -sin(x);
    assert_true(fabs(run_scalar(g1, x) - d1) <= 1e-12 * fmax(1, fabs(d1)));
    assert_true(fabs(run_scalar(g2, x) - d2) <= 1e-12 * fmax(1, fabs(d2)));
  }
  jet_graph_destroy(g1);
  jet_graph_destroy(g2);
  jet_graph_destroy(f);
}

/* ---------------------------------------------------------------- while */

/* x = x * 0.5 + a * sin(x) while the counter is below 5; a is a const. */
static const char kWhile[] =
    "graph w(%0: f64[], %1: f64[3]) {\n"
    "  %2 = constant[value=i32[]{0}] : i32[]\n"
    "  %3, %4 = while[n_consts=1] %0, %2, %1 : i32[], f64[3] {\n"
    "    graph c(%0: f64[], %1: i32[], %2: f64[3]) {\n"
    "      %3 = constant[value=i32[]{5}] : i32[]\n"
    "      %4 = lt %1, %3 : bool[]\n"
    "      return %4\n"
    "    }\n"
    "    graph b(%0: f64[], %1: i32[], %2: f64[3]) {\n"
    "      %3 = constant[value=i32[]{1}] : i32[]\n"
    "      %4 = add %1, %3 : i32[]\n"
    "      %5 = constant[value=f64[]{0.5}] : f64[]\n"
    "      %6 = mul %2, %5 : f64[3]\n"
    "      %7 = sin %2 : f64[3]\n"
    "      %8 = mul %7, %0 : f64[3]\n"
    "      %9 = add %6, %8 : f64[3]\n"
    "      return %4, %9\n"
    "    }\n"
    "  }\n"
    "  return %4, %3\n"
    "}\n";

/* Newton's iteration for sqrt(a), x0 = a: counted (20 steps) or until
 * max |x*x - a| <= 1e-13 (cond reads the float carry). */
static const char kNewtonCount[] =
    "graph n(%0: f64[3]) {\n"
    "  %1 = constant[value=i32[]{0}] : i32[]\n"
    "  %2, %3 = while[n_consts=1] %0, %1, %0 : i32[], f64[3] {\n"
    "    graph c(%0: f64[3], %1: i32[], %2: f64[3]) {\n"
    "      %3 = constant[value=i32[]{20}] : i32[]\n"
    "      %4 = lt %1, %3 : bool[]\n"
    "      return %4\n"
    "    }\n"
    "    graph b(%0: f64[3], %1: i32[], %2: f64[3]) {\n"
    "      %3 = constant[value=i32[]{1}] : i32[]\n"
    "      %4 = add %1, %3 : i32[]\n"
    "      %5 = div %0, %2 : f64[3]\n"
    "      %6 = add %2, %5 : f64[3]\n"
    "      %7 = constant[value=f64[]{0.5}] : f64[]\n"
    "      %8 = mul %6, %7 : f64[3]\n"
    "      return %4, %8\n"
    "    }\n"
    "  }\n"
    "  return %3\n"
    "}\n";

static const char kNewtonConverge[] =
    "graph n(%0: f64[3]) {\n"
    "  %1 = while[n_consts=1] %0, %0 : f64[3] {\n"
    "    graph c(%0: f64[3], %1: f64[3]) {\n"
    "      %2 = mul %1, %1 : f64[3]\n"
    "      %3 = sub %2, %0 : f64[3]\n"
    "      %4 = abs %3 : f64[3]\n"
    "      %5 = reduce_max[axes=[0]] %4 : f64[]\n"
    "      %6 = constant[value=f64[]{1e-13}] : f64[]\n"
    "      %7 = gt %5, %6 : bool[]\n"
    "      return %7\n"
    "    }\n"
    "    graph b(%0: f64[3], %1: f64[3]) {\n"
    "      %2 = div %0, %1 : f64[3]\n"
    "      %3 = add %1, %2 : f64[3]\n"
    "      %4 = constant[value=f64[]{0.5}] : f64[]\n"
    "      %5 = mul %3, %4 : f64[3]\n"
    "      return %5\n"
    "    }\n"
    "  }\n"
    "  return %1\n"
    "}\n";

/* jvp(f) at (x, v) against (4 D(h/2) - D(h)) / 3 of f along v. */
static void check_jvp_fd(const char *text, const double *xv, const double *vv) {
  jet_graph *f = parse(text);
  const jet_transform_kind j1[] = {JET_TF_JVP};
  jet_graph *jg = derive(f, j1, 1);
  const uint32_t np = f->n_params, no = f->n_outputs;
  jet_buf args[2 * ADC_MAX], outs[2 * ADC_MAX], fo[4][ADC_MAX];
  uint32_t off = 0;
  for (uint32_t p = 0; p < np; p++) {
    args[p] = adc_buf(f->value_types[p]);
    args[np + p] = adc_buf(f->value_types[p]);
    for (int64_t i = 0; i < adc_numel(&args[p]); i++, off++) {
      adc_set(&args[p], i, xv[off]);
      adc_set(&args[np + p], i, vv[off]);
    }
  }
  assert_true(adc_run(jg, args, 2 * np, outs, "while jvp", "jvp"));
  const double h = 1e-4, step[4] = {1, -1, 0.5, -0.5};
  for (int k = 0; k < 4; k++) {
    jet_buf a[ADC_MAX];
    for (uint32_t p = 0; p < np; p++) {
      a[p] = adc_buf(f->value_types[p]);
      for (int64_t i = 0; i < adc_numel(&a[p]); i++)
        adc_set(&a[p], i, adc_get(&args[p], i) + step[k] * h * adc_get(&args[np + p], i));
    }
    assert_true(adc_run(f, a, np, fo[k], "while jvp", "f"));
    adc_bufs_free(a, np);
  }
  for (uint32_t j = 0; j < no; j++) {
    /* the primal outputs equal f(x) */
    jet_buf x0[ADC_MAX], o0[ADC_MAX];
    for (uint32_t p = 0; p < np; p++) x0[p] = args[p];
    assert_true(adc_run(f, x0, np, o0, "while jvp", "f(x)"));
    for (int64_t i = 0; i < adc_numel(&o0[j]); i++)
      assert_true(fabs(adc_get(&o0[j], i) - adc_get(&outs[j], i)) <=
                  1e-14 * fmax(1, fabs(adc_get(&o0[j], i))));
    adc_bufs_free(o0, no);
    if (!adc_isf(outs[no + j].type.dtype)) continue;
    for (int64_t i = 0; i < adc_numel(&outs[no + j]); i++) {
      const double d1 = (adc_get(&fo[0][j], i) - adc_get(&fo[1][j], i)) / (2 * h);
      const double d2 = (adc_get(&fo[2][j], i) - adc_get(&fo[3][j], i)) / h;
      const double fd = (4 * d2 - d1) / 3, ad = adc_get(&outs[no + j], i);
      if (fabs(ad - fd) > 1e-8 * fmax(1, fabs(fd)))
        fail_msg("jvp of while: output %u[%lld]: ad %.17g, fd %.17g", j, (long long)i, ad, fd);
    }
  }
  for (int k = 0; k < 4; k++) adc_bufs_free(fo[k], no);
  adc_bufs_free(outs, jg->n_outputs);
  adc_bufs_free(args, 2 * np);
  jet_graph_destroy(jg);
  jet_graph_destroy(f);
}

static void jvp_while_fd(void **state) {
  (void)state;
  const double x[] = {0.8, 0.3, -1.2, 2.0}, v[] = {0.6, -1.0, 0.4, 0.9};
  check_jvp_fd(kWhile, x, v);
  const double v0[] = {0.0, -1.0, 0.4, 0.9}; /* a has no tangent */
  check_jvp_fd(kWhile, x, v0);
  const double va[] = {0.6, 0.0, 0.0, 0.0}; /* only a: the carry's tangent starts at zero */
  check_jvp_fd(kWhile, x, va);
  const double a[] = {2.0, 0.5, 7.0}, vn[] = {1.0, -0.5, 2.0};
  check_jvp_fd(kNewtonCount, a, vn);
}

/* Newton for sqrt: the result is sqrt(a), the tangent v / (2 sqrt(a)). */
static void jvp_while_newton_analytic(void **state) {
  (void)state;
  const char *texts[2] = {kNewtonCount, kNewtonConverge};
  for (int k = 0; k < 2; k++) {
    jet_graph *f = parse(texts[k]);
    const jet_transform_kind j1[] = {JET_TF_JVP};
    jet_graph *jg = derive(f, j1, 1);
    const double a[] = {2.0, 0.5, 7.0}, v[] = {1.0, -0.5, 2.0};
    jet_buf args[2] = {adc_buf(ADC_T(JET_F64, 3)), adc_buf(ADC_T(JET_F64, 3))}, o[4];
    for (int i = 0; i < 3; i++) {
      adc_set(&args[0], i, a[i]);
      adc_set(&args[1], i, v[i]);
    }
    assert_true(adc_run(jg, args, 2, o, "newton", "jvp"));
    for (int i = 0; i < 3; i++) {
      assert_true(fabs(adc_get(&o[0], i) - sqrt(a[i])) <= 1e-12);
      assert_true(fabs(adc_get(&o[1], i) - v[i] / (2 * sqrt(a[i]))) <= 1e-10);
    }
    adc_bufs_free(o, jg->n_outputs);
    adc_bufs_free(args, 2);
    jet_graph_destroy(jg);
    jet_graph_destroy(f);
  }
}

/* jvp of jvp through a while runs and validates; its second-order
 * tangent matches FD of the first jvp. */
static void jvp_of_jvp_while(void **state) {
  (void)state;
  jet_graph *f = parse(kNewtonCount);
  const jet_transform_kind jj[] = {JET_TF_JVP, JET_TF_JVP};
  jet_graph *g = derive(f, jj, 2);
  /* params (a, v; da, dv): outputs (x, t; dx, dt); with da = v, dv = 0 the
   * output dt is d2 sqrt(a)[v, v] = -v^2 / (4 a^1.5). */
  const double a[] = {2.0, 0.5, 7.0}, v[] = {1.0, -0.5, 2.0};
  jet_buf args[4], o[8];
  for (int p = 0; p < 4; p++) args[p] = adc_buf(ADC_T(JET_F64, 3));
  for (int i = 0; i < 3; i++) {
    adc_set(&args[0], i, a[i]);
    adc_set(&args[1], i, v[i]);
    adc_set(&args[2], i, v[i]);
  }
  assert_int_equal(g->n_outputs, 4);
  assert_true(adc_run(g, args, 4, o, "jvp of jvp", "run"));
  for (int i = 0; i < 3; i++) {
    const double want = -v[i] * v[i] / (4 * pow(a[i], 1.5));
    assert_true(fabs(adc_get(&o[3], i) - want) <= 1e-9);
  }
  adc_bufs_free(o, g->n_outputs);
  adc_bufs_free(args, 4);
  jet_graph_destroy(g);
  jet_graph_destroy(f);
}

static const char kWhileMsg[] =
    "Reverse-mode differentiation does not work for lax.while_loop or lax.fori_loop with "
    "dynamic start/stop values. Try using lax.scan, or using fori_loop with static start/stop.";

static void grad_while_refused(void **state) {
  (void)state;
  jet_graph *f = parse(kNewtonCount);
  const jet_transform_kind kinds[] = {JET_TF_VJP, JET_TF_GRAD};
  for (int k = 0; k < 2; k++) {
    jet_transform tf = adc_tf(kinds[k]);
    jet_graph *out = NULL;
    /* grad needs a scalar output: sum the result first */
    jet_graph *src = f;
    jet_graph *loss = NULL;
    if (kinds[k] == JET_TF_GRAD) {
      loss = parse("graph n(%0: f64[3]) {\n"
                   "  %1 = constant[value=i32[]{0}] : i32[]\n"
                   "  %2, %3 = while[n_consts=1] %0, %1, %0 : i32[], f64[3] {\n"
                   "    graph c(%0: f64[3], %1: i32[], %2: f64[3]) {\n"
                   "      %3 = constant[value=i32[]{4}] : i32[]\n"
                   "      %4 = lt %1, %3 : bool[]\n"
                   "      return %4\n"
                   "    }\n"
                   "    graph b(%0: f64[3], %1: i32[], %2: f64[3]) {\n"
                   "      %3 = constant[value=i32[]{1}] : i32[]\n"
                   "      %4 = add %1, %3 : i32[]\n"
                   "      %5 = mul %2, %0 : f64[3]\n"
                   "      return %4, %5\n"
                   "    }\n"
                   "  }\n"
                   "  %4 = reduce_sum[axes=[0]] %3 : f64[]\n"
                   "  return %4\n"
                   "}\n");
      src = loss;
    }
    jet_status st = adc_transform(src, &tf, 1, &out);
    assert_non_null(st);
    assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
    if (!strstr(jet_status_message(st), kWhileMsg))
      fail_msg("unexpected message: %s", jet_status_message(st));
    jet_status_free(st);
    jet_graph_destroy(loss);
  }
  jet_graph_destroy(f);
}

/* A while whose results reach the output only through integer values or
 * stop_gradient is differentiable in reverse mode (the rule is not called). */
static void grad_while_not_reached(void **state) {
  (void)state;
  jet_graph *f = parse("graph n(%0: f64[3]) {\n"
                       "  %1 = constant[value=i32[]{0}] : i32[]\n"
                       "  %2, %3 = while[n_consts=1] %0, %1, %0 : i32[], f64[3] {\n"
                       "    graph c(%0: f64[3], %1: i32[], %2: f64[3]) {\n"
                       "      %3 = constant[value=i32[]{4}] : i32[]\n"
                       "      %4 = lt %1, %3 : bool[]\n"
                       "      return %4\n"
                       "    }\n"
                       "    graph b(%0: f64[3], %1: i32[], %2: f64[3]) {\n"
                       "      %3 = constant[value=i32[]{1}] : i32[]\n"
                       "      %4 = add %1, %3 : i32[]\n"
                       "      %5 = mul %2, %0 : f64[3]\n"
                       "      return %4, %5\n"
                       "    }\n"
                       "  }\n"
                       "  %4 = stop_gradient %3 : f64[3]\n"
                       "  %5 = mul %4, %0 : f64[3]\n"
                       "  %6 = reduce_sum[axes=[0]] %5 : f64[]\n"
                       "  return %6\n"
                       "}\n");
  const jet_transform_kind g1[] = {JET_TF_GRAD};
  jet_graph *g = derive(f, g1, 1);
  const double a[] = {1.1, -0.7, 0.9};
  jet_buf x = adc_buf(ADC_T(JET_F64, 3)), o[2];
  for (int i = 0; i < 3; i++) adc_set(&x, i, a[i]);
  assert_true(adc_run(g, &x, 1, o, "stop_gradient while", "grad"));
  for (int i = 0; i < 3; i++) assert_true(fabs(adc_get(&o[0], i) - pow(a[i], 5)) <= 1e-12);
  adc_bufs_free(o, g->n_outputs);
  adc_buf_free(&x);
  jet_graph_destroy(g);
  jet_graph_destroy(f);
}

/* ------------------------------------------------------------ jacobians */

/* h_final of an RNN (scan) whose cell holds a cond, as a function of h0. */
static const char kJacRnn[] =
    "graph j(%0: f64[3,3], %1: f64[3], %2: f64[5,3]) {\n"
    "  %3, %4 = scan[n_consts=1, n_carry=1, length=5] %0, %1, %2 : f64[3], f64[5,3] {\n"
    "    graph cell(%0: f64[3,3], %1: f64[3], %2: f64[3]) {\n"
    "      %3 = " DOT " %0, %1 : f64[3]\n"
    "      %4 = add %3, %2 : f64[3]\n"
    "      %5 = reduce_sum[axes=[0]] %4 : f64[]\n"
    "      %6 = constant[value=f64[]{0}] : f64[]\n"
    "      %7 = gt %5, %6 : bool[]\n"
    "      %8 = cond %7, %4 : f64[3] {\n"
    "        graph no(%0: f64[3]) {\n          %1 = sin %0 : f64[3]\n          return %1\n"
    "        }\n"
    "        graph yes(%0: f64[3]) {\n          %1 = tanh %0 : f64[3]\n          return %1\n"
    "        }\n"
    "      }\n"
    "      return %8, %8\n"
    "    }\n"
    "  }\n"
    "  return %3\n"
    "}\n";

static jet_graph *apply_tf(const char *text, const char *tf_text) {
  jet_arena *a = jet_arena_create(1024);
  jet_transform *tf = NULL;
  uint32_t n = 0;
  jet_status st = jet_transforms_parse(tf_text, strlen(tf_text), a, &tf, &n);
  jet_graph *out = NULL;
  if (!st) st = jet_transforms_apply(parse(text), tf, n, &out);
  jet_arena_destroy(a);
  if (st) fail_msg("%s: %s", tf_text, jet_status_message(st));
  assert_roundtrips(out);
  return out;
}

/* jacfwd and jacrev of h_final w.r.t. h0 through scan and cond agree with
 * each other and with central finite differences; the hessian of sum(h)
 * (jacfwd of jacrev) is symmetric. */
static void jacobians_through_control_flow(void **state) {
  (void)state;
  jet_graph *f = parse(kJacRnn);
  jet_graph *jf = apply_tf(kJacRnn, "[jacfwd(argnums=[1])]");
  jet_graph *jr = apply_tf(kJacRnn, "[jacrev(argnums=[1])]");
  jet_buf x[3];
  make_args(f, 0x5eed, -0.8, 0.8, 0, NULL, x);
  jet_buf of[1], orv[1], o0[1], o1[1];
  assert_true(adc_run(jf, x, 3, of, "jac", "jacfwd"));
  assert_true(adc_run(jr, x, 3, orv, "jac", "jacrev"));
  const double eps = 1e-6;
  for (int j = 0; j < 3; j++) {
    const double h = adc_get(&x[1], j);
    adc_set(&x[1], j, h + eps);
    assert_true(adc_run(f, x, 3, o1, "jac", "f(h+eps)"));
    adc_set(&x[1], j, h - eps);
    assert_true(adc_run(f, x, 3, o0, "jac", "f(h-eps)"));
    adc_set(&x[1], j, h);
    for (int i = 0; i < 3; i++) {
      const double fd = (adc_get(&o1[0], i) - adc_get(&o0[0], i)) / (2 * eps);
      const double a = adc_get(&of[0], i * 3 + j), b = adc_get(&orv[0], i * 3 + j);
      if (fabs(a - b) > 1e-12 * (1 + fabs(a)) || fabs(a - fd) > 1e-6 * (1 + fabs(fd)))
        fail_msg("J[%d][%d]: jacfwd %.15g, jacrev %.15g, finite differences %.15g", i, j, a, b,
                 fd);
    }
    adc_bufs_free(o0, 1);
    adc_bufs_free(o1, 1);
  }
  adc_bufs_free(of, 1);
  adc_bufs_free(orv, 1);
  /* hessian of the sum of h_final (a scalar function of h0) */
  static const char *const sum_tail = "  %5 = reduce_sum[axes=[0]] %3 : f64[]\n  return %5\n}\n";
  char text[4096];
  const char *ret = strstr(kJacRnn, "  return %3\n}");
  assert_non_null(ret);
  snprintf(text, sizeof text, "%.*s%s", (int)(ret - kJacRnn), kJacRnn, sum_tail);
  jet_graph *hs = apply_tf(text, "[hessian(argnums=[1])]");
  jet_buf oh[1];
  assert_true(adc_run(hs, x, 3, oh, "jac", "hessian"));
  for (int i = 0; i < 3; i++)
    for (int j = 0; j < i; j++)
      if (fabs(adc_get(&oh[0], i * 3 + j) - adc_get(&oh[0], j * 3 + i)) > 1e-12)
        fail_msg("hessian not symmetric at (%d, %d)", i, j);
  adc_bufs_free(oh, 1);
  adc_bufs_free(x, 3);
  jet_graph_destroy(hs);
  jet_graph_destroy(jf);
  jet_graph_destroy(jr);
  jet_graph_destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(grad_scan_rnn),
      cmocka_unit_test(grad_scan_final_carry_only),
      cmocka_unit_test(grad_scan_reverse_multi_carry),
      cmocka_unit_test(grad_scan_with_cond),
      cmocka_unit_test(grad_scan_length_zero),
      cmocka_unit_test(grad_cond_bool),
      cmocka_unit_test(grad_cond_with_scan),
      cmocka_unit_test(grad_cond_switch),
      cmocka_unit_test(grad_of_grad_cond),
      cmocka_unit_test(jvp_while_fd),
      cmocka_unit_test(jvp_while_newton_analytic),
      cmocka_unit_test(jvp_of_jvp_while),
      cmocka_unit_test(grad_while_refused),
      cmocka_unit_test(grad_while_not_reached),
      cmocka_unit_test(jacobians_through_control_flow),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
