/* JVP and VJP rules of the elementwise ops (rules_unary.c, rules_binary.c,
 * rules_select.c, rules_types.c), checked through the drivers on one-op
 * graphs in float64 and run with the reference executor:
 *   - the JVP tangent against central finite differences,
 *   - <vjp(u), v> == <u, jvp(v)>,
 *   - second order: jvp of the vjp graph and jvp of the jvp graph against
 *     finite differences of the first-derivative graphs,
 *   - zero-derivative ops give zero tangents and cotangents,
 *   - every op of these rule files is covered. */
#include "test_exec_util.h"

#include <stdlib.h>

#include "transforms/ad/ad.h"

#define EPS 1e-6
#define FD_RTOL 1e-6
#define FD_ATOL 1e-6
#define DOT_RTOL 1e-10
#define MAXP 8

/* ---------------------------------------------------------------- helpers */

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static double urand(void) { /* [0, 1) */
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return (double)(rng_state >> 11) / 9007199254740992.0;
}

/* A domain: uniform in [lo, hi], avoiding |v| < min_abs. */
typedef struct dom {
  double lo, hi, min_abs;
} dom;

static double draw(dom d) {
  for (;;) {
    double v = d.lo + (d.hi - d.lo) * urand();
    if (fabs(v) >= d.min_abs) return v;
  }
}

static jet_buf f64buf(const jet_type *t) {
  jet_buf b;
  b.type = *t;
  size_t n = (size_t)jet_type_numel(t);
  b.data = calloc(n ? n : 1, sizeof(double));
  assert_non_null(b.data);
  return b;
}
static double *D(const jet_buf *b) { return (double *)b->data; }
static int64_t N(const jet_buf *b) { return jet_type_numel(&b->type); }

static void fill(jet_buf *b, dom d) {
  for (int64_t i = 0; i < N(b); i++) D(b)[i] = draw(d);
}

/* Random data of any dtype for a parameter of type t. */
static jet_buf any_buf(const jet_type *t, dom d) {
  jet_buf b;
  b.type = *t;
  int64_t n = jet_type_numel(t);
  double v[64];
  assert_true(n >= 0 && n <= 64);
  for (int64_t i = 0; i < n; i++) {
    v[i] = draw(d);
    if (!jet_dtype_is_float(t->dtype)) v[i] = floor(fabs(v[i]) * 3.0);
  }
  b.data = calloc(n > 0 ? (size_t)n : 1u, 8);
  assert_non_null(b.data);
  store_as(t->dtype, v, n, b.data);
  return b;
}

static void free_bufs(jet_buf *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    free(b[i].data);
    b[i].data = NULL;
  }
}
static void free_outs(jet_buf *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    jet_mem_free(b[i].data);
    b[i].data = NULL;
  }
}

static void run(const jet_graph *g, const jet_buf *args, jet_buf *outs) {
  expect_ok(jet_exec_graph(g, args, g->n_params, outs, NULL));
}

/* A graph of one node op(params) with the given operand types; outputs all
 * of the node's results. */
static jet_graph *one_op(jet_op op, const jet_type *ts, uint32_t np, const jet_attr *attrs,
                         uint32_t na) {
  jet_graph *g = jet_graph_create("one_op");
  assert_non_null(g);
  jet_value p[MAXP];
  for (uint32_t i = 0; i < np; i++) expect_ok(jet_graph_add_param(g, &ts[i], &p[i]));
  jet_value r;
  expect_ok(jet_graph_add_node(g, op, p, np, attrs, na, NULL, NULL, 0, &r));
  expect_ok(jet_graph_set_outputs(g, &r, 1));
  return g;
}

static jet_graph *jvp_of(const jet_graph *g) {
  jet_graph *out = NULL;
  expect_ok(jet_ad_jvp(g, false, &out));
  assert_non_null(out);
  return out;
}
static jet_graph *vjp_of(const jet_graph *g) {
  jet_graph *out = NULL;
  expect_ok(jet_ad_vjp(g, false, &out));
  assert_non_null(out);
  return out;
}

static void expect_close(const char *what, const char *opname, int64_t i, double got, double want,
                         double rtol, double atol) {
  if (!(fabs(got - want) <= atol + rtol * fabs(want))) {
    print_error("%s of '%s', element %lld: got %.17g, expected %.17g\n", what, opname, (long long)i,
                got, want);
    fail();
  }
}

/* dst[i] = a[i] + s * b[i] for each of n buffers (dst freshly allocated). */
static void shifted(jet_buf *dst, const jet_buf *a, const jet_buf *b, double s, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    dst[k] = f64buf(&a[k].type);
    for (int64_t i = 0; i < N(&a[k]); i++) D(&dst[k])[i] = D(&a[k])[i] + s * D(&b[k])[i];
  }
}

/* Checks output `o` of h at args against central differences of h's output
 * `fo` along dir (args +- EPS*dir); `got` is the analytic derivative. */
static void check_fd(const char *what, const char *opname, const jet_graph *h, const jet_buf *args,
                     const jet_buf *dir, uint32_t fo, const jet_buf *got) {
  uint32_t np = h->n_params, no = h->n_outputs;
  jet_buf ap[2 * MAXP], am[2 * MAXP], op[2 * MAXP], om[2 * MAXP];
  assert_true(np <= 2 * MAXP && no <= 2 * MAXP);
  shifted(ap, args, dir, EPS, np);
  shifted(am, args, dir, -EPS, np);
  run(h, ap, op);
  run(h, am, om);
  assert_int_equal(N(got), N(&op[fo]));
  for (int64_t i = 0; i < N(got); i++) {
    double fd = (elem_f64(&op[fo], i) - elem_f64(&om[fo], i)) / (2 * EPS);
    expect_close(what, opname, i, elem_f64(got, i), fd, FD_RTOL, FD_ATOL);
  }
  free_outs(op, no);
  free_outs(om, no);
  free_bufs(ap, np);
  free_bufs(am, np);
}

static double dot(const jet_buf *a, const jet_buf *b) {
  assert_int_equal(N(a), N(b));
  double s = 0;
  for (int64_t i = 0; i < N(a); i++) s += elem_f64(a, i) * elem_f64(b, i);
  return s;
}
static double absdot(const jet_buf *a, const jet_buf *b) {
  double s = 0;
  for (int64_t i = 0; i < N(a); i++) s += fabs(elem_f64(a, i) * elem_f64(b, i));
  return s;
}

/* ------------------------------------------------- the differentiable check */

/* All checks for a one-op graph g whose params and single output are f64:
 * x drawn from doms[i]. */
static void check_diff(const char *opname, jet_graph *g, const dom *doms) {
  uint32_t np = g->n_params;
  assert_true(np <= MAXP);
  assert_int_equal(g->n_outputs, 1);
  const jet_type yt = g->value_types[g->outputs[0]];
  dom unit = {-1.0, 1.0, 0.0};
  jet_buf x[MAXP], v[MAXP], w[MAXP], z[MAXP], u = f64buf(&yt), uz = f64buf(&yt);
  for (uint32_t i = 0; i < np; i++) {
    x[i] = f64buf(&g->value_types[i]);
    fill(&x[i], doms[i]);
    v[i] = f64buf(&g->value_types[i]);
    fill(&v[i], unit);
    w[i] = f64buf(&g->value_types[i]);
    fill(&w[i], unit);
    z[i] = f64buf(&g->value_types[i]);
    fill(&z[i], unit);
  }
  fill(&u, unit);
  fill(&uz, unit);

  /* 1. JVP vs central differences: gj(x, v) = (y, ty). */
  jet_graph *gj = jvp_of(g);
  jet_buf a[4 * MAXP + 4], outs[4 * MAXP + 4];
  for (uint32_t i = 0; i < np; i++) {
    a[i] = x[i];
    a[np + i] = v[i];
  }
  run(gj, a, outs);
  assert_int_equal(gj->n_outputs, 2);
  jet_buf ty = outs[1];
  free_outs(&outs[0], 1);
  check_fd("jvp tangent", opname, g, x, v, 0, &ty);

  /* 2. VJP: gv(x, u) = (y, cx...), <cx, v> == <u, ty>. */
  jet_graph *gv = vjp_of(g);
  assert_int_equal(gv->n_outputs, 1 + np);
  for (uint32_t i = 0; i < np; i++) a[i] = x[i];
  a[np] = u;
  run(gv, a, outs);
  double lhs = 0, mag = absdot(&u, &ty);
  for (uint32_t i = 0; i < np; i++) {
    lhs += dot(&outs[1 + i], &v[i]);
    mag += absdot(&outs[1 + i], &v[i]);
  }
  double rhs = dot(&u, &ty);
  if (!(fabs(lhs - rhs) <= DOT_RTOL * (mag + 1e-300))) {
    print_error("'%s': <vjp(u), v> = %.17g but <u, jvp(v)> = %.17g\n", opname, lhs, rhs);
    fail();
  }
  free_outs(outs, gv->n_outputs);
  jet_mem_free(ty.data);

  /* 3. jvp of the vjp graph: params (x, u, tx, tu), outputs (y, cx, ty, tcx);
   * the tangents tcx against differences of cx along (v, uz). */
  jet_graph *gvj = jvp_of(gv);
  uint32_t nvp = np + 1;
  for (uint32_t i = 0; i < np; i++) {
    a[i] = x[i];
    a[nvp + i] = v[i];
  }
  a[np] = u;
  a[nvp + np] = uz;
  run(gvj, a, outs);
  assert_int_equal(gvj->n_outputs, 2 * (1 + np));
  for (uint32_t i = 0; i < np; i++)
    check_fd("jvp of vjp", opname, gv, a, a + nvp, 1 + i, &outs[1 + np + 1 + i]);
  free_outs(outs, gvj->n_outputs);

  /* 4. jvp of the jvp graph: params (x, t, tx, tt), outputs (y, ty, y', tty). */
  jet_graph *gjj = jvp_of(gj);
  for (uint32_t i = 0; i < np; i++) {
    a[i] = x[i];
    a[np + i] = w[i];
    a[2 * np + i] = v[i];
    a[3 * np + i] = z[i];
  }
  run(gjj, a, outs);
  assert_int_equal(gjj->n_outputs, 4);
  check_fd("jvp of jvp", opname, gj, a, a + 2 * np, 1, &outs[3]);
  free_outs(outs, gjj->n_outputs);

  jet_graph_destroy(gjj);
  jet_graph_destroy(gvj);
  jet_graph_destroy(gv);
  jet_graph_destroy(gj);
  free_bufs(x, np);
  free_bufs(v, np);
  free_bufs(w, np);
  free_bufs(z, np);
  free_bufs(&u, 1);
  free_bufs(&uz, 1);
}

/* ------------------------------------------------------------ op tables */

typedef struct unary_case {
  jet_op op;
  dom d;
  int64_t pow_y; /* integer_pow only */
} unary_case;

static const unary_case unary_cases[] = {
    {JET_OP_NEG, {-2, 2, 0}, 0},           {JET_OP_ABS, {-2, 2, 0.1}, 0},
    {JET_OP_EXP, {-2, 2, 0}, 0},           {JET_OP_EXP2, {-2, 2, 0}, 0},
    {JET_OP_LOG, {0.5, 3, 0}, 0},          {JET_OP_LOG1P, {-0.5, 2, 0}, 0},
    {JET_OP_EXPM1, {-2, 2, 0}, 0},         {JET_OP_SQRT, {0.5, 3, 0}, 0},
    {JET_OP_RSQRT, {0.5, 3, 0}, 0},        {JET_OP_TANH, {-2, 2, 0}, 0},
    {JET_OP_LOGISTIC, {-3, 3, 0}, 0},      {JET_OP_SIN, {-3, 3, 0}, 0},
    {JET_OP_COS, {-3, 3, 0}, 0},           {JET_OP_TAN, {-1.2, 1.2, 0}, 0},
    {JET_OP_ASIN, {-0.8, 0.8, 0}, 0},      {JET_OP_ACOS, {-0.8, 0.8, 0}, 0},
    {JET_OP_ATAN, {-3, 3, 0}, 0},          {JET_OP_SINH, {-2, 2, 0}, 0},
    {JET_OP_COSH, {-2, 2, 0}, 0},          {JET_OP_ERF, {-2, 2, 0}, 0},
    {JET_OP_ERF_INV, {-0.8, 0.8, 0}, 0},   {JET_OP_SQUARE, {-2, 2, 0}, 0},
    {JET_OP_INTEGER_POW, {-2, 2, 0}, 0},   {JET_OP_INTEGER_POW, {-2, 2, 0}, 1},
    {JET_OP_INTEGER_POW, {-2, 2, 0}, 2},   {JET_OP_INTEGER_POW, {-2, 2, 0}, 3},
    {JET_OP_INTEGER_POW, {0.5, 2, 0}, -2},
};

typedef struct binary_case {
  jet_op op;
  dom a, b;
} binary_case;

static const binary_case binary_cases[] = {
    {JET_OP_ADD, {-2, 2, 0}, {-2, 2, 0}},       {JET_OP_SUB, {-2, 2, 0}, {-2, 2, 0}},
    {JET_OP_MUL, {-2, 2, 0}, {-2, 2, 0}},       {JET_OP_DIV, {-2, 2, 0}, {-2, 2, 0.5}},
    {JET_OP_REM, {-5, 5, 0}, {-2, 2, 0.5}},     {JET_OP_POW, {0.5, 2, 0}, {-2, 2, 0}},
    {JET_OP_MAX, {-2, 2, 0}, {-2, 2, 0}},       {JET_OP_MIN, {-2, 2, 0}, {-2, 2, 0}},
    {JET_OP_ATAN2, {-2, 2, 0.3}, {-2, 2, 0.3}},
};

static const jet_op zero_float_unary[] = {JET_OP_SIGN,  JET_OP_FLOOR,     JET_OP_CEIL,
                                          JET_OP_ROUND, JET_OP_IS_FINITE, JET_OP_STOP_GRADIENT};
static const jet_op zero_float_binary[] = {JET_OP_EQ, JET_OP_NE, JET_OP_LT,
                                           JET_OP_LE, JET_OP_GT, JET_OP_GE};
static const jet_op zero_int_binary[] = {JET_OP_AND,
                                         JET_OP_OR,
                                         JET_OP_XOR,
                                         JET_OP_SHIFT_LEFT,
                                         JET_OP_SHIFT_RIGHT_LOGICAL,
                                         JET_OP_SHIFT_RIGHT_ARITHMETIC};

/* Every op whose rules live in the elementwise rule files. */
static const jet_op my_ops[] = {
    JET_OP_NEG,
    JET_OP_ABS,
    JET_OP_SIGN,
    JET_OP_FLOOR,
    JET_OP_CEIL,
    JET_OP_ROUND,
    JET_OP_IS_FINITE,
    JET_OP_EXP,
    JET_OP_EXP2,
    JET_OP_LOG,
    JET_OP_LOG1P,
    JET_OP_EXPM1,
    JET_OP_SQRT,
    JET_OP_RSQRT,
    JET_OP_TANH,
    JET_OP_LOGISTIC,
    JET_OP_SIN,
    JET_OP_COS,
    JET_OP_TAN,
    JET_OP_ASIN,
    JET_OP_ACOS,
    JET_OP_ATAN,
    JET_OP_SINH,
    JET_OP_COSH,
    JET_OP_ERF,
    JET_OP_ERF_INV,
    JET_OP_INTEGER_POW,
    JET_OP_SQUARE,
    JET_OP_NOT,
    JET_OP_ADD,
    JET_OP_SUB,
    JET_OP_MUL,
    JET_OP_DIV,
    JET_OP_REM,
    JET_OP_POW,
    JET_OP_MAX,
    JET_OP_MIN,
    JET_OP_ATAN2,
    JET_OP_AND,
    JET_OP_OR,
    JET_OP_XOR,
    JET_OP_SHIFT_LEFT,
    JET_OP_SHIFT_RIGHT_LOGICAL,
    JET_OP_SHIFT_RIGHT_ARITHMETIC,
    JET_OP_EQ,
    JET_OP_NE,
    JET_OP_LT,
    JET_OP_LE,
    JET_OP_GT,
    JET_OP_GE,
    JET_OP_SELECT,
    JET_OP_CLAMP,
    JET_OP_CONVERT_ELEMENT_TYPE,
    JET_OP_BITCAST_CONVERT_TYPE,
    JET_OP_STOP_GRADIENT,
    JET_OP_CONSTANT,
    JET_OP_IOTA,
};

/* Ops checked by dedicated tests below (select, clamp, convert, bitcast,
 * constant, iota, not). */
static const jet_op special_ops[] = {JET_OP_SELECT,
                                     JET_OP_CLAMP,
                                     JET_OP_CONVERT_ELEMENT_TYPE,
                                     JET_OP_BITCAST_CONVERT_TYPE,
                                     JET_OP_CONSTANT,
                                     JET_OP_IOTA,
                                     JET_OP_NOT};

static const jet_type *vec_type(void) {
  static jet_type t;
  t = TY(JET_F64, 2, 3);
  return &t;
}

/* ------------------------------------------------------------------ tests */

static void test_unary(void **state) {
  (void)state;
  jet_type shapes[2] = {TY(JET_F64, 2, 3), SCALAR(JET_F64)};
  for (size_t c = 0; c < NELEM(unary_cases); c++) {
    for (int s = 0; s < 2; s++) {
      jet_attr at = a_int("y", unary_cases[c].pow_y);
      bool ip = unary_cases[c].op == JET_OP_INTEGER_POW;
      jet_graph *g = one_op(unary_cases[c].op, &shapes[s], 1, &at, ip ? 1 : 0);
      check_diff(jet_op_name(unary_cases[c].op), g, &unary_cases[c].d);
      jet_graph_destroy(g);
    }
  }
}

static void test_binary(void **state) {
  (void)state;
  const jet_type V = *vec_type(), S = SCALAR(JET_F64);
  const jet_type pairs[4][2] = {{V, V}, {S, V}, {V, S}, {S, S}};
  for (size_t c = 0; c < NELEM(binary_cases); c++) {
    for (int s = 0; s < 4; s++) {
      jet_graph *g = one_op(binary_cases[c].op, pairs[s], 2, NULL, 0);
      dom d[2] = {binary_cases[c].a, binary_cases[c].b};
      check_diff(jet_op_name(binary_cases[c].op), g, d);
      jet_graph_destroy(g);
    }
  }
}

/* select(p > -p, a, b): the predicate is computed in the graph from a float
 * parameter (its derivative is zero), scalar or of the cases' shape. */
static void test_select(void **state) {
  (void)state;
  const jet_type V = *vec_type(), S = SCALAR(JET_F64);
  const jet_type *pts[2] = {&V, &S};
  for (int s = 0; s < 2; s++) {
    jet_graph *g = jet_graph_create("select");
    assert_non_null(g);
    jet_value p, a, b, np_, pred, r;
    expect_ok(jet_graph_add_param(g, pts[s], &p));
    expect_ok(jet_graph_add_param(g, &V, &a));
    expect_ok(jet_graph_add_param(g, &V, &b));
    expect_ok(jet_graph_add_node(g, JET_OP_NEG, &p, 1, NULL, 0, NULL, NULL, 0, &np_));
    jet_value cmp[2] = {p, np_};
    expect_ok(jet_graph_add_node(g, JET_OP_GT, cmp, 2, NULL, 0, NULL, NULL, 0, &pred));
    jet_value ops[3] = {pred, a, b};
    expect_ok(jet_graph_add_node(g, JET_OP_SELECT, ops, 3, NULL, 0, NULL, NULL, 0, &r));
    expect_ok(jet_graph_set_outputs(g, &r, 1));
    dom d[3] = {{-2, 2, 0.1}, {-2, 2, 0}, {-2, 2, 0}};
    check_diff("select", g, d);
    jet_graph_destroy(g);
  }
}

static void test_clamp(void **state) {
  (void)state;
  const jet_type V = *vec_type(), S = SCALAR(JET_F64);
  const jet_type triples[4][3] = {{S, V, S}, {V, V, V}, {S, V, V}, {V, V, S}};
  /* x spans all three regions; lo < hi */
  dom d[3] = {{-1, -0.1, 0}, {-2, 2, 0}, {0.1, 1, 0}};
  for (int s = 0; s < 4; s++) {
    jet_graph *g = one_op(JET_OP_CLAMP, triples[s], 3, NULL, 0);
    check_diff("clamp", g, d);
    jet_graph_destroy(g);
  }
}

/* max/min ties split the tangent 0.5 / 0.5 (JAX's balanced_eq). */
static void test_max_min_ties(void **state) {
  (void)state;
  const jet_type V = *vec_type();
  const jet_type ts[2] = {V, V};
  jet_op ops[2] = {JET_OP_MAX, JET_OP_MIN};
  for (int k = 0; k < 2; k++) {
    jet_graph *g = one_op(ops[k], ts, 2, NULL, 0);
    jet_graph *gj = jvp_of(g), *gv = vjp_of(g);
    jet_buf a[4], outs[3];
    for (int i = 0; i < 4; i++) a[i] = f64buf(&V);
    dom d = {-2, 2, 0};
    fill(&a[0], d);
    memcpy(a[1].data, a[0].data, 6 * sizeof(double));
    for (int i = 0; i < 6; i++) {
      D(&a[2])[i] = 1.0; /* tangent of x only */
      D(&a[3])[i] = 0.0;
    }
    run(gj, a, outs);
    for (int i = 0; i < 6; i++)
      expect_close("tie jvp", jet_op_name(ops[k]), i, elem_f64(&outs[1], i), 0.5, 0, 0);
    free_outs(outs, 2);
    /* vjp with ct = 1: both operands get 0.5 */
    for (int i = 0; i < 6; i++) D(&a[2])[i] = 1.0;
    run(gv, a, outs);
    for (int j = 1; j < 3; j++)
      for (int i = 0; i < 6; i++)
        expect_close("tie vjp", jet_op_name(ops[k]), i, elem_f64(&outs[j], i), 0.5, 0, 0);
    free_outs(outs, 3);
    free_bufs(a, 4);
    jet_graph_destroy(gv);
    jet_graph_destroy(gj);
    jet_graph_destroy(g);
  }
}

/* pow(0, y): d/dy uses log(x) replaced by 0 where x == 0 (JAX), so the
 * tangent is finite: 0 for y = 2 (d/dx = 2 * 0^1 = 0 too). abs at 0: +t. */
static void test_special_points(void **state) {
  (void)state;
  const jet_type S = SCALAR(JET_F64);
  const jet_type ts[2] = {S, S};
  jet_graph *g = one_op(JET_OP_POW, ts, 2, NULL, 0);
  jet_graph *gj = jvp_of(g);
  double xv = 0.0, yv = 2.0, tx = 1.0, tyv = 1.0;
  jet_buf a[4] = {{S, &xv}, {S, &yv}, {S, &tx}, {S, &tyv}}, outs[2];
  run(gj, a, outs);
  assert_true(elem_f64(&outs[1], 0) == 0.0);
  free_outs(outs, 2);
  jet_graph_destroy(gj);
  jet_graph_destroy(g);

  g = one_op(JET_OP_ABS, &S, 1, NULL, 0);
  gj = jvp_of(g);
  double t = 0.75;
  jet_buf b[2] = {{S, &xv}, {S, &t}};
  run(gj, b, outs);
  assert_true(elem_f64(&outs[1], 0) == 0.75);
  free_outs(outs, 2);
  jet_graph_destroy(gj);
  jet_graph_destroy(g);
}

/* Runs the jvp and vjp graphs of g (one output) on random inputs and checks
 * that every float tangent output and every float cotangent is zero. */
static void check_zero(const char *what, jet_graph *g) {
  dom d = {-3, 3, 0};
  jet_graph *gj = jvp_of(g), *gv = vjp_of(g);
  jet_buf a[2 * MAXP], outs[2 * MAXP];
  for (uint32_t i = 0; i < gj->n_params; i++) a[i] = any_buf(&gj->value_types[i], d);
  run(gj, a, outs);
  assert_int_equal(gj->n_outputs, 2);
  for (int64_t i = 0; i < N(&outs[1]); i++)
    expect_close("zero jvp tangent", what, i, elem_f64(&outs[1], i), 0.0, 0, 0);
  free_outs(outs, gj->n_outputs);
  free_bufs(a, gj->n_params);
  for (uint32_t i = 0; i < gv->n_params; i++) a[i] = any_buf(&gv->value_types[i], d);
  run(gv, a, outs);
  for (uint32_t k = 1; k < gv->n_outputs; k++)
    for (int64_t i = 0; i < N(&outs[k]); i++)
      expect_close("zero vjp cotangent", what, i, elem_f64(&outs[k], i), 0.0, 0, 0);
  free_outs(outs, gv->n_outputs);
  free_bufs(a, gv->n_params);
  jet_graph_destroy(gv);
  jet_graph_destroy(gj);
}

static void test_zero_ops(void **state) {
  (void)state;
  const jet_type V = *vec_type(), S = SCALAR(JET_F64), VI = TY(JET_I32, 2, 3);
  for (size_t k = 0; k < NELEM(zero_float_unary); k++) {
    jet_graph *g = one_op(zero_float_unary[k], &V, 1, NULL, 0);
    check_zero(jet_op_name(zero_float_unary[k]), g);
    jet_graph_destroy(g);
  }
  const jet_type fv[2] = {V, S}, iv[2] = {VI, VI};
  for (size_t k = 0; k < NELEM(zero_float_binary); k++) {
    jet_graph *g = one_op(zero_float_binary[k], fv, 2, NULL, 0);
    check_zero(jet_op_name(zero_float_binary[k]), g);
    jet_graph_destroy(g);
  }
  for (size_t k = 0; k < NELEM(zero_int_binary); k++) {
    jet_graph *g = one_op(zero_int_binary[k], iv, 2, NULL, 0);
    check_zero(jet_op_name(zero_int_binary[k]), g);
    jet_graph_destroy(g);
  }
  jet_graph *g = one_op(JET_OP_NOT, &VI, 1, NULL, 0);
  check_zero("not", g);
  jet_graph_destroy(g);
  /* integer_pow(x, 0) = 1 has a zero derivative */
  jet_attr y0 = a_int("y", 0);
  g = one_op(JET_OP_INTEGER_POW, &V, 1, &y0, 1);
  check_zero("integer_pow 0", g);
  jet_graph_destroy(g);
  /* bitcast f64 -> i64 and i64 -> f64 */
  jet_attr bi = a_dtype("new_dtype", JET_I64), bf = a_dtype("new_dtype", JET_F64);
  g = one_op(JET_OP_BITCAST_CONVERT_TYPE, &V, 1, &bi, 1);
  check_zero("bitcast_convert_type", g);
  jet_graph_destroy(g);
  const jet_type VL = TY(JET_I64, 2, 3);
  g = one_op(JET_OP_BITCAST_CONVERT_TYPE, &VL, 1, &bf, 1);
  check_zero("bitcast_convert_type", g);
  jet_graph_destroy(g);
  /* convert f64 -> i32 and i32 -> f64 */
  jet_attr ci = a_dtype("new_dtype", JET_I32);
  g = one_op(JET_OP_CONVERT_ELEMENT_TYPE, &V, 1, &ci, 1);
  check_zero("convert_element_type f64->i32", g);
  jet_graph_destroy(g);
  g = one_op(JET_OP_CONVERT_ELEMENT_TYPE, &VI, 1, &bf, 1);
  check_zero("convert_element_type i32->f64", g);
  jet_graph_destroy(g);
}

/* constant and iota: graph (x) -> (x * c + iota); the derivative is x's
 * alone, the constant and iota contribute nothing. */
static void test_constant_iota(void **state) {
  (void)state;
  const jet_type V = *vec_type();
  double cdata[6] = {1.5, -2, 0.25, 3, -1, 2};
  jet_graph *g = jet_graph_create("ci");
  assert_non_null(g);
  jet_value x, c, io, m, r;
  expect_ok(jet_graph_add_param(g, &V, &x));
  jet_attr ca = a_lit("value", V, cdata);
  expect_ok(jet_graph_add_node(g, JET_OP_CONSTANT, NULL, 0, &ca, 1, NULL, NULL, 0, &c));
  jet_attr ia[3] = {a_dtype("dtype", JET_F64), A_INTS("shape", 2, 3), a_int("dimension", 1)};
  expect_ok(jet_graph_add_node(g, JET_OP_IOTA, NULL, 0, ia, 3, NULL, NULL, 0, &io));
  jet_value mo[2] = {x, c};
  expect_ok(jet_graph_add_node(g, JET_OP_MUL, mo, 2, NULL, 0, NULL, NULL, 0, &m));
  jet_value ao[2] = {m, io};
  expect_ok(jet_graph_add_node(g, JET_OP_ADD, ao, 2, NULL, 0, NULL, NULL, 0, &r));
  expect_ok(jet_graph_set_outputs(g, &r, 1));
  dom d = {-2, 2, 0};
  check_diff("constant/iota", g, &d);
  /* the tangent is exactly c * t */
  jet_graph *gj = jvp_of(g);
  jet_buf a[2] = {f64buf(&V), f64buf(&V)}, outs[2];
  fill(&a[0], d);
  fill(&a[1], d);
  run(gj, a, outs);
  for (int i = 0; i < 6; i++)
    expect_close("tangent", "constant/iota", i, elem_f64(&outs[1], i), cdata[i] * D(&a[1])[i], 0,
                 0);
  free_outs(outs, 2);
  free_bufs(a, 2);
  jet_graph_destroy(gj);
  jet_graph_destroy(g);
}

/* convert_element_type f64 -> f64 (no-op) is linear and checked fully;
 * f64 -> f32 converts the tangent, and the cotangent is converted back. */
static void test_convert(void **state) {
  (void)state;
  const jet_type V = *vec_type(), V32 = TY(JET_F32, 2, 3);
  jet_attr to64 = a_dtype("new_dtype", JET_F64), to32 = a_dtype("new_dtype", JET_F32);
  jet_graph *g = one_op(JET_OP_CONVERT_ELEMENT_TYPE, &V, 1, &to64, 1);
  dom d = {-2, 2, 0};
  check_diff("convert_element_type f64->f64", g, &d);
  jet_graph_destroy(g);

  g = one_op(JET_OP_CONVERT_ELEMENT_TYPE, &V, 1, &to32, 1);
  jet_graph *gj = jvp_of(g), *gv = vjp_of(g);
  jet_buf a[2] = {f64buf(&V), f64buf(&V)}, outs[2];
  fill(&a[0], d);
  fill(&a[1], d);
  run(gj, a, outs);
  expect_type(&outs[1], V32);
  for (int i = 0; i < 6; i++)
    expect_close("jvp", "convert f64->f32", i, elem_f64(&outs[1], i), (double)(float)D(&a[1])[i], 0,
                 0);
  free_outs(outs, 2);
  float ct[6] = {0.5f, -1.25f, 2, 3.5f, -0.75f, 1};
  jet_buf b[2] = {a[0], {V32, ct}};
  run(gv, b, outs);
  expect_type(&outs[1], V);
  for (int i = 0; i < 6; i++)
    expect_close("vjp", "convert f64->f32", i, elem_f64(&outs[1], i), (double)ct[i], 0, 0);
  free_outs(outs, 2);
  free_bufs(a, 2);
  jet_graph_destroy(gv);
  jet_graph_destroy(gj);
  jet_graph_destroy(g);
}

/* float32: the rules build tangents and cotangents of the operands' dtype
 * (the drivers check the types); jvp and vjp of an f32 graph agree with the
 * f64 graph's at the same (f32-representable) inputs, to f32 precision. */
static void check_f32(const char *opname, jet_op op, const jet_type *t64, uint32_t np,
                      const jet_attr *attrs, uint32_t na, const dom *doms) {
  jet_type t32[MAXP];
  for (uint32_t i = 0; i < np; i++) {
    t32[i] = t64[i];
    t32[i].dtype = JET_F32;
  }
  jet_graph *g64 = one_op(op, t64, np, attrs, na), *g32 = one_op(op, t32, np, attrs, na);
  jet_graph *h64[2] = {jvp_of(g64), vjp_of(g64)}, *h32[2] = {jvp_of(g32), vjp_of(g32)};
  for (int k = 0; k < 2; k++) {
    jet_buf a64[2 * MAXP], a32[2 * MAXP], o64[2 * MAXP], o32[2 * MAXP];
    uint32_t n = h64[k]->n_params;
    for (uint32_t i = 0; i < n; i++) {
      dom d = i < np ? doms[i] : (dom){-1, 1, 0};
      a64[i] = f64buf(&h64[k]->value_types[i]);
      fill(&a64[i], d);
      a32[i].type = h32[k]->value_types[i];
      a32[i].data = calloc((size_t)N(&a64[i]) + 1, sizeof(float));
      assert_non_null(a32[i].data);
      for (int64_t j = 0; j < N(&a64[i]); j++) {
        float f = (float)D(&a64[i])[j];
        ((float *)a32[i].data)[j] = f;
        D(&a64[i])[j] = f;
      }
    }
    run(h64[k], a64, o64);
    run(h32[k], a32, o32);
    for (uint32_t o = 0; o < h64[k]->n_outputs; o++) {
      assert_int_equal(o32[o].type.dtype, JET_F32);
      for (int64_t j = 0; j < N(&o64[o]); j++)
        expect_close(k ? "f32 vjp" : "f32 jvp", opname, j, elem_f64(&o32[o], j),
                     elem_f64(&o64[o], j), 1e-4, 1e-5);
    }
    free_outs(o64, h64[k]->n_outputs);
    free_outs(o32, h32[k]->n_outputs);
    free_bufs(a64, n);
    free_bufs(a32, n);
  }
  for (int k = 0; k < 2; k++) {
    jet_graph_destroy(h64[k]);
    jet_graph_destroy(h32[k]);
  }
  jet_graph_destroy(g64);
  jet_graph_destroy(g32);
}

static void test_f32(void **state) {
  (void)state;
  const jet_type V = *vec_type(), S = SCALAR(JET_F64);
  for (size_t c = 0; c < NELEM(unary_cases); c++) {
    jet_attr at = a_int("y", unary_cases[c].pow_y);
    bool ip = unary_cases[c].op == JET_OP_INTEGER_POW;
    check_f32(jet_op_name(unary_cases[c].op), unary_cases[c].op, &V, 1, &at, ip ? 1 : 0,
              &unary_cases[c].d);
  }
  const jet_type sv[2] = {S, V};
  for (size_t c = 0; c < NELEM(binary_cases); c++) {
    dom d[2] = {binary_cases[c].a, binary_cases[c].b};
    check_f32(jet_op_name(binary_cases[c].op), binary_cases[c].op, sv, 2, NULL, 0, d);
  }
  const jet_type svv[3] = {S, V, V};
  dom d[3] = {{-1, -0.1, 0}, {-2, 2, 0}, {0.1, 1, 0}};
  check_f32("clamp", JET_OP_CLAMP, svv, 3, NULL, 0, d);
}

/* The rule functions themselves on a graph of float operands: zero rules
 * give symbolic zeros, and no rule reports an error. Also every op of the
 * rule files is in one of the tables above. */
static bool in(const jet_op *list, size_t n, jet_op op) {
  for (size_t i = 0; i < n; i++)
    if (list[i] == op) return true;
  return false;
}

static void test_coverage(void **state) {
  (void)state;
  for (size_t k = 0; k < NELEM(my_ops); k++) {
    jet_op op = my_ops[k];
    bool covered = in(special_ops, NELEM(special_ops), op) ||
                   in(zero_float_unary, NELEM(zero_float_unary), op) ||
                   in(zero_float_binary, NELEM(zero_float_binary), op) ||
                   in(zero_int_binary, NELEM(zero_int_binary), op);
    for (size_t c = 0; c < NELEM(unary_cases); c++) covered = covered || unary_cases[c].op == op;
    for (size_t c = 0; c < NELEM(binary_cases); c++) covered = covered || binary_cases[c].op == op;
    if (!covered) {
      print_error("op '%s' has no test\n", jet_op_name(op));
      fail();
    }
    assert_non_null(jet_ad_jvp_rule(op));
    assert_non_null(jet_ad_vjp_rule(op));
  }
  /* Zero rules called directly, with non-zero float tangents. */
  const jet_type V = *vec_type();
  const jet_type ts[2] = {V, V};
  jet_op direct[] = {JET_OP_SIGN, JET_OP_FLOOR, JET_OP_CEIL,         JET_OP_ROUND,
                     JET_OP_EQ,   JET_OP_NE,    JET_OP_LT,           JET_OP_LE,
                     JET_OP_GT,   JET_OP_GE,    JET_OP_STOP_GRADIENT};
  for (size_t k = 0; k < NELEM(direct); k++) {
    uint32_t np = in(zero_float_binary, NELEM(zero_float_binary), direct[k]) ? 2 : 1;
    jet_graph *g = one_op(direct[k], ts, np, NULL, 0);
    jet_emit e = {g, NULL};
    jet_value xs[2] = {0, 1}, ys[1] = {np}, out[2] = {1, 1};
    jet_ad_jvp_rule(direct[k])(&e, &g->nodes[0], xs, xs, ys, out);
    assert_null(e.status);
    assert_true(out[0] == JET_AD_ZERO);
    jet_ad_vjp_rule(direct[k])(&e, &g->nodes[0], xs, ys, ys, out);
    assert_null(e.status);
    for (uint32_t i = 0; i < np; i++) assert_true(out[i] == JET_AD_ZERO);
    jet_graph_destroy(g);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_coverage),
      cmocka_unit_test(test_unary),
      cmocka_unit_test(test_binary),
      cmocka_unit_test(test_select),
      cmocka_unit_test(test_clamp),
      cmocka_unit_test(test_max_min_ties),
      cmocka_unit_test(test_special_points),
      cmocka_unit_test(test_zero_ops),
      cmocka_unit_test(test_constant_iota),
      cmocka_unit_test(test_convert),
      cmocka_unit_test(test_f32),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
