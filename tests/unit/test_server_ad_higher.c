/* Higher-order and structural properties of the AD transforms, in float64:
 *   - grad of grad of grad (and a fourth derivative) against the hand
 *     formula and against FD of the next lower derivative graph;
 *   - jacfwd(jacrev) vs hessian vs jacrev(jacfwd) vs jacfwd(jacfwd) vs FD,
 *     the Jacobian docstring example of JAX, and the Hessian one;
 *   - differentiation through call nodes whose callees carry their own
 *     transforms (nested too), checked by tests/common/ad_check.h;
 *   - stop_gradient blocks derivatives (also at second order);
 *   - derivatives at kinks follow JAX (ties split, abs'(0) = 1);
 *   - lean graphs: the cleaned derivative graph of a chain of N ops has at
 *     most c*N nodes for N = 10, 100, 1000 (ratios printed), a gradient
 *     w.r.t. an unused argument is one broadcast of a constant, and zero
 *     tangents are never materialised. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ad_check.h"
#include "transforms/ad/ad.h"

#define F64 JET_F64
#define T(...) ADC_T(F64, __VA_ARGS__)
#define TS ADC_S(F64)

static void expect_ok(jet_status st) {
  if (st) {
    fprintf(stderr, "unexpected error: %s\n", jet_status_message(st));
    jet_status_free(st);
    fail();
  }
}

static jet_graph *finish(adc_b *b) {
  jet_graph *g = adc_finish(b, "test graph");
  assert_non_null(g);
  return g;
}

/* Transforms a copy of f (then cleanup); fails the test on error. */
static jet_graph *derive(const jet_graph *f, const jet_transform *tfs, uint32_t n) {
  jet_graph *g = NULL;
  expect_ok(adc_transform(f, tfs, n, &g));
  return g;
}

/* Runs g on f64 args given as arrays (shapes from g's params); returns the
 * outputs (malloc'd; adc_bufs_free). */
static void run(const jet_graph *g0, const double *const *args, jet_buf *outs) {
  jet_graph *g = NULL;
  expect_ok(adc_flatten(g0, &g)); /* the executor runs no call transforms */
  jet_buf a[ADC_MAX];
  assert_true(g->n_params <= ADC_MAX);
  for (uint32_t i = 0; i < g->n_params; i++) {
    a[i].type = g->value_types[i];
    a[i].data = (void *)args[i];
  }
  bool ok = adc_run(g, a, g->n_params, outs, "run", "run");
  jet_graph_destroy(g);
  assert_true(ok);
}

static void near(double got, double want, double rtol, const char *what) {
  if (!(fabs(got - want) <= rtol * fmax(1, fabs(want)))) {
    fprintf(stderr, "%s: got %.15g, expected %.15g\n", what, got, want);
    fail();
  }
}

static jet_transform grad_tf(const int32_t *argnums, uint32_t n, bool tuple) {
  jet_transform t = adc_tf(JET_TF_GRAD);
  t.argnums = argnums;
  t.n_argnums = n;
  t.argnums_tuple = tuple;
  return t;
}

/* ---------------------------------------------------------------- grad^k */

/* f(x) = x^2 sin x + exp(x/2) and its derivatives by hand. */
static double d_k(int k, double x) {
  double s = sin(x), c = cos(x), e = exp(0.5 * x);
  switch (k) {
    case 1: return 2 * x * s + x * x * c + 0.5 * e;
    case 2: return 2 * s + 4 * x * c - x * x * s + 0.25 * e;
    case 3: return 6 * c - 6 * x * s - x * x * c + 0.125 * e;
    default: return -12 * s - 8 * x * c + x * x * s + 0.0625 * e;
  }
}

static jet_graph *scalar_f(void) {
  adc_b b = adc_begin("f");
  jet_value x = adc_param(&b, TS);
  jet_value y = adc_op2(&b, JET_OP_ADD, adc_op2(&b, JET_OP_MUL, adc_op1(&b, JET_OP_SQUARE, x), adc_op1(&b, JET_OP_SIN, x)),
                        adc_op1(&b, JET_OP_EXP, adc_op2(&b, JET_OP_MUL, x, adc_scalar(&b, F64, 0.5))));
  adc_outputs(&b, &y, 1);
  return finish(&b);
}

static void third_derivative(void **state) {
  (void)state;
  jet_graph *f = scalar_f();
  jet_transform g[4] = {adc_tf(JET_TF_GRAD), adc_tf(JET_TF_GRAD), adc_tf(JET_TF_GRAD), adc_tf(JET_TF_GRAD)};
  jet_graph *d[5] = {f, NULL, NULL, NULL, NULL};
  for (uint32_t k = 1; k <= 4; k++) d[k] = derive(f, g, k);
  static const double xs[4] = {-1.3, 0.2, 0.9, 2.4};
  for (int i = 0; i < 4; i++) {
    for (int k = 1; k <= 4; k++) {
      jet_buf o[1], p[1], m[1];
      const double *a[1] = {&xs[i]};
      run(d[k], a, o);
      char what[64];
      snprintf(what, sizeof what, "d^%d f(%g) vs hand formula", k, xs[i]);
      near(*(double *)o[0].data, d_k(k, xs[i]), 1e-12, what);
      /* FD of the (k-1)th derivative graph, Richardson-extrapolated */
      double h = 1e-4, fd[2];
      for (int r = 0; r < 2; r++, h /= 2) {
        double xp = xs[i] + h, xm = xs[i] - h;
        const double *ap[1] = {&xp}, *am[1] = {&xm};
        run(d[k - 1], ap, p);
        run(d[k - 1], am, m);
        fd[r] = (*(double *)p[0].data - *(double *)m[0].data) / (2 * h);
        adc_bufs_free(p, 1);
        adc_bufs_free(m, 1);
      }
      snprintf(what, sizeof what, "d^%d f(%g) vs FD of d^%d f", k, xs[i], k - 1);
      near(*(double *)o[0].data, (4 * fd[1] - fd[0]) / 3, 1e-8, what);
      adc_bufs_free(o, 1);
    }
  }
  /* value_and_grad of grad of grad: (f'', f''') */
  jet_transform vg[3] = {adc_tf(JET_TF_GRAD), adc_tf(JET_TF_GRAD), adc_tf(JET_TF_VALUE_AND_GRAD)};
  jet_graph *v = derive(f, vg, 3);
  jet_buf o[2];
  const double x = 0.7, *a[1] = {&x};
  run(v, a, o);
  assert_int_equal(v->n_outputs, 2);
  near(*(double *)o[0].data, d_k(2, x), 1e-12, "value_and_grad(grad(grad f)) value");
  near(*(double *)o[1].data, d_k(3, x), 1e-12, "value_and_grad(grad(grad f)) grad");
  adc_bufs_free(o, 2);
  jet_graph_destroy(v);
  for (int k = 0; k <= 4; k++) jet_graph_destroy(d[k]);
}

/* ---------------------------------------------------------------- Jacobians */

/* f(x: [3]) = [x0 sin x1 + x2^2, exp(x0 x2) / 4, x1^3 - x0 x1] */
static jet_graph *vec_f(void) {
  adc_b b = adc_begin("vec_f");
  jet_value x = adc_param(&b, T(3)), c[3];
  for (int i = 0; i < 3; i++) {
    jet_attr a[3] = {ADC_INTS("start_indices", i), ADC_INTS("limit_indices", i + 1), ADC_INTS("strides", 1)};
    jet_value s = adc_op(&b, JET_OP_SLICE, &x, 1, a, 3);
    jet_attr r = adc_ints("new_sizes", NULL, 0);
    c[i] = adc_op(&b, JET_OP_RESHAPE, &s, 1, &r, 1);
  }
  jet_value y[3];
  y[0] = adc_op2(&b, JET_OP_ADD, adc_op2(&b, JET_OP_MUL, c[0], adc_op1(&b, JET_OP_SIN, c[1])), adc_op1(&b, JET_OP_SQUARE, c[2]));
  y[1] = adc_op2(&b, JET_OP_MUL, adc_op1(&b, JET_OP_EXP, adc_op2(&b, JET_OP_MUL, c[0], c[2])), adc_scalar(&b, F64, 0.25));
  jet_attr p3 = adc_int("y", 3);
  y[2] = adc_op2(&b, JET_OP_SUB, adc_op(&b, JET_OP_INTEGER_POW, &c[1], 1, &p3, 1), adc_op2(&b, JET_OP_MUL, c[0], c[1]));
  for (int i = 0; i < 3; i++) {
    jet_attr e = ADC_INTS("dimensions", 0);
    y[i] = adc_op(&b, JET_OP_EXPAND_DIMS, &y[i], 1, &e, 1);
  }
  jet_attr cd = adc_int("dimension", 0);
  jet_value out = adc_op(&b, JET_OP_CONCATENATE, y, 3, &cd, 1);
  adc_outputs(&b, &out, 1);
  return finish(&b);
}

/* Second derivatives of vec_f by hand: H[k][i][j]. */
static void vec_hessian(const double *x, double H[3][3][3]) {
  memset(H, 0, sizeof(double) * 27);
  H[0][0][1] = H[0][1][0] = cos(x[1]);
  H[0][1][1] = -x[0] * sin(x[1]);
  H[0][2][2] = 2;
  double e = 0.25 * exp(x[0] * x[2]);
  H[1][0][0] = e * x[2] * x[2];
  H[1][2][2] = e * x[0] * x[0];
  H[1][0][2] = H[1][2][0] = e * (1 + x[0] * x[2]);
  H[2][1][1] = 6 * x[1];
  H[2][0][1] = H[2][1][0] = -1;
}

static void expect_tensor(const jet_buf *o, const double *want, int64_t n, double tol, const char *what) {
  assert_int_equal(adc_numel(o), n);
  for (int64_t i = 0; i < n; i++) {
    char w[96];
    snprintf(w, sizeof w, "%s[%lld]", what, (long long)i);
    near(adc_get(o, i), want[i], tol, w);
  }
}

static void jacobians_and_hessians(void **state) {
  (void)state;
  jet_graph *f = vec_f();
  static const double x[3] = {0.4, -0.8, 1.1};
  const double *a[1] = {x};
  double H[3][3][3];
  vec_hessian(x, H);
  jet_transform fr[2] = {adc_tf(JET_TF_JACREV), adc_tf(JET_TF_JACFWD)};
  jet_transform rf[2] = {adc_tf(JET_TF_JACFWD), adc_tf(JET_TF_JACREV)};
  jet_transform ff[2] = {adc_tf(JET_TF_JACFWD), adc_tf(JET_TF_JACFWD)};
  jet_transform hs[1] = {adc_tf(JET_TF_HESSIAN)};
  const jet_transform *variants[4] = {fr, rf, ff, hs};
  const uint32_t nt[4] = {2, 2, 2, 1};
  const char *names[4] = {"jacfwd(jacrev)", "jacrev(jacfwd)", "jacfwd(jacfwd)", "hessian"};
  for (int v = 0; v < 4; v++) {
    jet_graph *g = derive(f, variants[v], nt[v]);
    assert_int_equal(g->n_outputs, 1);
    jet_type want = T(3, 3, 3);
    assert_true(jet_type_equal(&g->value_types[g->outputs[0]], &want));
    jet_buf o[1];
    run(g, a, o);
    expect_tensor(o, &H[0][0][0], 27, 1e-12, names[v]);
    adc_bufs_free(o, 1);
    jet_graph_destroy(g);
  }
  /* jacrev / jacfwd against FD of f, and the Hessian against FD of jacrev */
  jet_graph *jr = derive(f, fr, 1), *jf = derive(f, rf, 1);
  jet_buf o[1], of[1];
  run(jr, a, o);
  run(jf, a, of);
  for (int i = 0; i < 3; i++) {
    double xp[3], xm[3], h = 1e-5;
    memcpy(xp, x, sizeof xp);
    memcpy(xm, x, sizeof xm);
    xp[i] += h;
    xm[i] -= h;
    const double *ap[1] = {xp}, *am[1] = {xm};
    jet_buf p[1], m[1], jp[1], jm[1];
    run(f, ap, p);
    run(f, am, m);
    run(jr, ap, jp);
    run(jr, am, jm);
    for (int k = 0; k < 3; k++) {
      double fd = (adc_get(p, k) - adc_get(m, k)) / (2 * h);
      near(adc_get(o, k * 3 + i), fd, 1e-8, "jacrev vs FD");
      near(adc_get(of, k * 3 + i), fd, 1e-8, "jacfwd vs FD");
      for (int j = 0; j < 3; j++)
        near(H[k][j][i], (adc_get(jp, k * 3 + j) - adc_get(jm, k * 3 + j)) / (2 * h), 1e-7,
             "Hessian vs FD of jacrev");
    }
    adc_bufs_free(p, 1);
    adc_bufs_free(m, 1);
    adc_bufs_free(jp, 1);
    adc_bufs_free(jm, 1);
  }
  adc_bufs_free(o, 1);
  adc_bufs_free(of, 1);
  jet_graph_destroy(jr);
  jet_graph_destroy(jf);
  jet_graph_destroy(f);
}

/* JAX's docstrings: jacfwd(f)([1,2,3]) for f = [x0, 5x2, 4x1^2 - 2x2,
 * x2 sin x0]; hessian(x0^3 - 2 x0 x1 - x1^6)([1, 2]) = [[6,-2],[-2,-480]]. */
static void jax_docstring_examples(void **state) {
  (void)state;
  adc_b b = adc_begin("jac_doc");
  jet_value x = adc_param(&b, T(3)), c[3];
  for (int i = 0; i < 3; i++) {
    jet_attr a[3] = {ADC_INTS("start_indices", i), ADC_INTS("limit_indices", i + 1), ADC_INTS("strides", 1)};
    c[i] = adc_op(&b, JET_OP_SLICE, &x, 1, a, 3); /* [1] */
  }
  jet_value y[4] = {c[0], adc_op2(&b, JET_OP_MUL, c[2], adc_scalar(&b, F64, 5)), JET_NO_VALUE, JET_NO_VALUE};
  y[2] = adc_op2(&b, JET_OP_SUB, adc_op2(&b, JET_OP_MUL, adc_op1(&b, JET_OP_SQUARE, c[1]), adc_scalar(&b, F64, 4)),
                 adc_op2(&b, JET_OP_MUL, c[2], adc_scalar(&b, F64, 2)));
  y[3] = adc_op2(&b, JET_OP_MUL, c[2], adc_op1(&b, JET_OP_SIN, c[0]));
  jet_attr cd = adc_int("dimension", 0);
  jet_value out = adc_op(&b, JET_OP_CONCATENATE, y, 4, &cd, 1);
  adc_outputs(&b, &out, 1);
  jet_graph *f = finish(&b);
  jet_transform jf = adc_tf(JET_TF_JACFWD);
  jet_graph *g = derive(f, &jf, 1);
  static const double x0[3] = {1, 2, 3};
  const double want[12] = {1, 0, 0, 0, 0, 5, 0, 16, -2, 3 * cos(1.0), 0, sin(1.0)};
  const double *a[1] = {x0};
  jet_buf o[1];
  run(g, a, o);
  expect_tensor(o, want, 12, 1e-14, "jacfwd docstring");
  adc_bufs_free(o, 1);
  jet_graph_destroy(g);
  jet_graph_destroy(f);

  b = adc_begin("hess_doc");
  jet_value p = adc_param(&b, T(2));
  jet_attr s0[3] = {ADC_INTS("start_indices", 0), ADC_INTS("limit_indices", 1), ADC_INTS("strides", 1)};
  jet_attr s1[3] = {ADC_INTS("start_indices", 1), ADC_INTS("limit_indices", 2), ADC_INTS("strides", 1)};
  jet_attr rs = adc_ints("new_sizes", NULL, 0), p3 = adc_int("y", 3), p6 = adc_int("y", 6);
  jet_value x0v = adc_op(&b, JET_OP_SLICE, &p, 1, s0, 3), x1v = adc_op(&b, JET_OP_SLICE, &p, 1, s1, 3);
  x0v = adc_op(&b, JET_OP_RESHAPE, &x0v, 1, &rs, 1);
  x1v = adc_op(&b, JET_OP_RESHAPE, &x1v, 1, &rs, 1);
  jet_value t1 = adc_op(&b, JET_OP_INTEGER_POW, &x0v, 1, &p3, 1);
  jet_value t2 = adc_op2(&b, JET_OP_MUL, adc_op2(&b, JET_OP_MUL, x0v, x1v), adc_scalar(&b, F64, 2));
  jet_value t3 = adc_op(&b, JET_OP_INTEGER_POW, &x1v, 1, &p6, 1);
  jet_value r = adc_op2(&b, JET_OP_SUB, adc_op2(&b, JET_OP_SUB, t1, t2), t3);
  adc_outputs(&b, &r, 1);
  f = finish(&b);
  jet_transform hs = adc_tf(JET_TF_HESSIAN);
  g = derive(f, &hs, 1);
  static const double pt[2] = {1, 2}, hw[4] = {6, -2, -2, -480};
  const double *a2[1] = {pt};
  run(g, a2, o);
  expect_tensor(o, hw, 4, 1e-14, "hessian docstring");
  adc_bufs_free(o, 1);
  jet_graph_destroy(g);
  jet_graph_destroy(f);
}

/* A two-argument Hessian with argnums (0, 1): blocks (a, b) in order,
 * checked against FD of grad. f(x: [2], y: []) = sum(sin(x) * y^2) + x0 y. */
static void hessian_two_args(void **state) {
  (void)state;
  adc_b b = adc_begin("two");
  jet_value x = adc_param(&b, T(2)), y = adc_param(&b, TS);
  jet_value s = adc_op2(&b, JET_OP_MUL, adc_op1(&b, JET_OP_SIN, x), adc_op1(&b, JET_OP_SQUARE, y));
  jet_attr ax = ADC_INTS("axes", 0);
  jet_value r = adc_op(&b, JET_OP_REDUCE_SUM, &s, 1, &ax, 1);
  jet_value m = adc_op2(&b, JET_OP_MUL, x, y);
  jet_attr s0[3] = {ADC_INTS("start_indices", 0), ADC_INTS("limit_indices", 1), ADC_INTS("strides", 1)};
  jet_value m0 = adc_op(&b, JET_OP_SLICE, &m, 1, s0, 3);
  jet_attr rs = adc_ints("new_sizes", NULL, 0);
  r = adc_op2(&b, JET_OP_ADD, r, adc_op(&b, JET_OP_RESHAPE, &m0, 1, &rs, 1));
  adc_outputs(&b, &r, 1);
  jet_graph *f = finish(&b);
  static const int32_t both[2] = {0, 1};
  jet_transform hs = adc_tf(JET_TF_HESSIAN);
  hs.argnums = both;
  hs.n_argnums = 2;
  hs.argnums_tuple = true;
  jet_graph *h = derive(f, &hs, 1);
  assert_int_equal(h->n_outputs, 4);
  static const double x0[2] = {0.3, -1.2}, y0 = 0.8;
  const double *a[2] = {x0, &y0};
  jet_buf o[4];
  run(h, a, o);
  /* by hand: d2/dx_i dx_j = -sin(x_i) y^2 delta_ij; d2/dx_i dy = 2 y cos x_i + [i==0];
   * d2/dy2 = 2 sum sin x */
  const double hxx[4] = {-sin(x0[0]) * y0 * y0, 0, 0, -sin(x0[1]) * y0 * y0};
  const double hxy[2] = {2 * y0 * cos(x0[0]) + 1, 2 * y0 * cos(x0[1])};
  const double hyy[1] = {2 * (sin(x0[0]) + sin(x0[1]))};
  expect_tensor(&o[0], hxx, 4, 1e-13, "hessian (x, x)");
  expect_tensor(&o[1], hxy, 2, 1e-13, "hessian (x, y)");
  expect_tensor(&o[2], hxy, 2, 1e-13, "hessian (y, x)");
  expect_tensor(&o[3], hyy, 1, 1e-13, "hessian (y, y)");
  adc_bufs_free(o, 4);
  jet_graph_destroy(h);
  jet_graph_destroy(f);
}

/* ---------------------------------------------------------------- calls */

static jet_value call(adc_b *b, jet_graph *callee, const jet_value *args, uint32_t n,
                      const jet_transform *tf, uint32_t ntf) {
  jet_value v = JET_NO_VALUE;
  if (!b->st) b->st = jet_graph_add_node(b->g, JET_OP_CALL, args, n, NULL, 0, callee, tf, ntf, &v);
  return v;
}
static jet_value sum(adc_b *b, jet_value x) {
  jet_attr a = ADC_INTS("axes", 0);
  return adc_op(b, JET_OP_REDUCE_SUM, &x, 1, &a, 1);
}

/* k(x) = sum(x^3 sin x) as a child of parent; its gradient is
 * 3x^2 sin x + x^3 cos x. */
static jet_graph *callee_k(jet_graph *parent) {
  adc_b c = {jet_graph_create_child(parent, "k"), NULL};
  assert_non_null(c.g);
  jet_value x = adc_param(&c, T(3));
  jet_attr p3 = adc_int("y", 3);
  jet_value r = sum(&c, adc_op2(&c, JET_OP_MUL, adc_op(&c, JET_OP_INTEGER_POW, &x, 1, &p3, 1), adc_op1(&c, JET_OP_SIN, x)));
  adc_outputs(&c, &r, 1);
  expect_ok(c.st);
  return c.g;
}
static double grad_k(double x) { return 3 * x * x * sin(x) + x * x * x * cos(x); }
static double grad_k_prime(double x) { return 6 * x * sin(x) + 6 * x * x * cos(x) - x * x * x * sin(x); }

static void check_all(const jet_graph *f, const double *const *data, const char *label) {
  jet_buf a[ADC_MAX];
  for (uint32_t i = 0; i < f->n_params; i++) {
    a[i].type = f->value_types[i];
    a[i].data = (void *)data[i];
  }
  adc_opts o = {.label = label, .seed = 99};
  int n = adc_check(f, a, &o);
  if (n) adc_dump(f);
  assert_int_equal(n, 0);
}

/* outer(x) = sum(call[grad](k)(x) * cos x): the callee carries a grad. */
static void call_with_grad(void **state) {
  (void)state;
  adc_b b = adc_begin("outer");
  jet_value x = adc_param(&b, T(3));
  jet_transform g = adc_tf(JET_TF_GRAD);
  jet_value gk = call(&b, callee_k(b.g), &x, 1, &g, 1);
  jet_value r = sum(&b, adc_op2(&b, JET_OP_MUL, gk, adc_op1(&b, JET_OP_COS, x)));
  jet_value outs[2] = {r, gk};
  adc_outputs(&b, outs, 2);
  jet_graph *f = finish(&b);
  static const double x0[3] = {0.5, -1.1, 1.7};
  const double *a[1] = {x0};
  jet_buf o[2];
  run(f, a, o);
  double want = 0;
  for (int i = 0; i < 3; i++) {
    near(adc_get(&o[1], i), grad_k(x0[i]), 1e-13, "call[grad] result");
    want += grad_k(x0[i]) * cos(x0[i]);
  }
  near(adc_get(&o[0], 0), want, 1e-13, "outer value");
  adc_bufs_free(o, 2);
  /* grad of the outer graph: d/dx_i = k''_ii cos x_i - k'_i sin x_i */
  static const int32_t a0[1] = {0};
  jet_transform og = grad_tf(a0, 1, false);
  adc_b b2 = {NULL, adc_clone(f, &b2.g)};
  expect_ok(b2.st);
  adc_outputs(&b2, &b2.g->outputs[0], 1);
  jet_graph *f1 = finish(&b2);
  jet_graph *gg = derive(f1, &og, 1);
  run(gg, a, o);
  for (int i = 0; i < 3; i++)
    near(adc_get(&o[0], i), grad_k_prime(x0[i]) * cos(x0[i]) - grad_k(x0[i]) * sin(x0[i]), 1e-12,
         "grad(outer) through call[grad]");
  adc_bufs_free(o, 1);
  check_all(f, a, "call[grad]");
  jet_graph_destroy(gg);
  jet_graph_destroy(f1);
  jet_graph_destroy(f);
}

/* The callee carries jvp: call[jvp](h)(x, t) = (h(x), h'(x) t) with
 * h(x) = sin(x) * x; and a nested grad: m(x) = sum(call[grad](k)(x) * x)
 * inside a call[grad] (a gradient of a function containing a gradient). */
static void call_with_jvp_and_nested_grad(void **state) {
  (void)state;
  adc_b b = adc_begin("outer_jvp");
  jet_value x = adc_param(&b, T(3)), t = adc_param(&b, T(3));
  adc_b c = {jet_graph_create_child(b.g, "h"), NULL};
  jet_value cx = adc_param(&c, T(3));
  jet_value hr = adc_op2(&c, JET_OP_MUL, adc_op1(&c, JET_OP_SIN, cx), cx);
  adc_outputs(&c, &hr, 1);
  expect_ok(c.st);
  jet_transform j = adc_tf(JET_TF_JVP);
  jet_value args[2] = {x, t};
  jet_value r0 = call(&b, c.g, args, 2, &j, 1);
  jet_value outs[2] = {r0, r0 + 1};
  adc_outputs(&b, outs, 2);
  jet_graph *f = finish(&b);
  static const double x0[3] = {0.3, -0.9, 1.4}, t0[3] = {0.5, 1.0, -2.0};
  const double *a[2] = {x0, t0};
  jet_buf o[2];
  run(f, a, o);
  for (int i = 0; i < 3; i++) {
    near(adc_get(&o[0], i), sin(x0[i]) * x0[i], 1e-14, "call[jvp] primal");
    near(adc_get(&o[1], i), (cos(x0[i]) * x0[i] + sin(x0[i])) * t0[i], 1e-14, "call[jvp] tangent");
  }
  adc_bufs_free(o, 2);
  check_all(f, a, "call[jvp]");
  jet_graph_destroy(f);

  /* nested: outer(x) = call[grad](m)(x), m(x) = sum(call[grad](k)(x) * x) */
  b = adc_begin("outer_nested");
  x = adc_param(&b, T(3));
  adc_b m = {jet_graph_create_child(b.g, "m"), NULL};
  jet_value mx = adc_param(&m, T(3));
  jet_transform g = adc_tf(JET_TF_GRAD);
  jet_value gk = call(&m, callee_k(m.g), &mx, 1, &g, 1);
  jet_value mr = sum(&m, adc_op2(&m, JET_OP_MUL, gk, mx));
  adc_outputs(&m, &mr, 1);
  expect_ok(m.st);
  jet_value gm = call(&b, m.g, &x, 1, &g, 1);
  adc_outputs(&b, &gm, 1);
  f = finish(&b);
  const double *a1[1] = {x0};
  run(f, a1, o);
  for (int i = 0; i < 3; i++)
    near(adc_get(&o[0], i), grad_k(x0[i]) + x0[i] * grad_k_prime(x0[i]), 1e-12, "nested call[grad]");
  adc_bufs_free(o, 1);
  check_all(f, a1, "nested call[grad]");
  jet_graph_destroy(f);
}

/* ---------------------------------------------------------------- stop_gradient */

static void stop_gradient_blocks(void **state) {
  (void)state;
  /* f(x) = sum(x * sg(x)): grad = x, Hessian = 0 (as in JAX) */
  adc_b b = adc_begin("sg");
  jet_value x = adc_param(&b, T(3));
  jet_value r = sum(&b, adc_op2(&b, JET_OP_MUL, x, adc_op1(&b, JET_OP_STOP_GRADIENT, x)));
  adc_outputs(&b, &r, 1);
  jet_graph *f = finish(&b);
  static const double x0[3] = {0.5, -2, 3};
  const double *a[1] = {x0};
  jet_transform g[2] = {adc_tf(JET_TF_GRAD), adc_tf(JET_TF_JACFWD)};
  jet_graph *d1 = derive(f, g, 1), *d2 = derive(f, g, 2);
  jet_buf o[1];
  run(d1, a, o);
  expect_tensor(o, x0, 3, 0, "grad(sum(x * stop_gradient(x)))");
  adc_bufs_free(o, 1);
  run(d2, a, o);
  static const double zeros[9] = {0};
  expect_tensor(o, zeros, 9, 0, "jacfwd(grad(sum(x * stop_gradient(x))))");
  adc_bufs_free(o, 1);
  jet_graph_destroy(d1);
  jet_graph_destroy(d2);
  jet_graph_destroy(f);

  /* f(x) = sum(sin(sg(x))) + sum(x): grad = 1 exactly, no sin/cos left */
  b = adc_begin("sg2");
  x = adc_param(&b, T(3));
  r = adc_op2(&b, JET_OP_ADD, sum(&b, adc_op1(&b, JET_OP_SIN, adc_op1(&b, JET_OP_STOP_GRADIENT, x))), sum(&b, x));
  adc_outputs(&b, &r, 1);
  f = finish(&b);
  d1 = derive(f, g, 1);
  run(d1, a, o);
  static const double ones[3] = {1, 1, 1};
  expect_tensor(o, ones, 3, 0, "grad(sum(sin(stop_gradient(x))) + sum(x))");
  adc_bufs_free(o, 1);
  for (uint32_t i = 0; i < d1->n_nodes; i++) {
    jet_op op = d1->nodes[i].op;
    if (op == JET_OP_SIN || op == JET_OP_COS || op == JET_OP_STOP_GRADIENT) {
      fprintf(stderr, "cleaned grad graph still computes '%s':\n", jet_op_name(op));
      adc_dump(d1);
      fail();
    }
  }
  jet_graph_destroy(d1);
  jet_graph_destroy(f);
}

/* ---------------------------------------------------------------- kinks */

/* Derivatives at kinks follow JAX: max/min split ties 0.5/0.5, reduce_max
 * spreads over tied positions equally, abs'(0) = +1, and clamp at its
 * bounds. f(x: [4], y: [4]) = (max(x, y), min(x, y), reduce_max(x),
 * abs(x)), at x = y = [0, 3, 3, -1]; gradients by vjp with unit cotangents. */
static void kinks_follow_jax(void **state) {
  (void)state;
  adc_b b = adc_begin("kinks");
  jet_value x = adc_param(&b, T(4)), y = adc_param(&b, T(4));
  jet_attr ax = ADC_INTS("axes", 0);
  jet_value outs[4] = {adc_op2(&b, JET_OP_MAX, x, y), JET_NO_VALUE, JET_NO_VALUE, JET_NO_VALUE};
  outs[1] = adc_op2(&b, JET_OP_MIN, x, y);
  outs[2] = adc_op(&b, JET_OP_REDUCE_MAX, &x, 1, &ax, 1);
  outs[3] = adc_op1(&b, JET_OP_ABS, x);
  adc_outputs(&b, outs, 4);
  jet_graph *f = finish(&b);
  static const double x0[4] = {0, 3, 3, -1}, ones[4] = {1, 1, 1, 1}, one = 1, zero4[4] = {0};
  jet_transform tv = adc_tf(JET_TF_VJP), tj = adc_tf(JET_TF_JVP);
  jet_graph *v = derive(f, &tv, 1), *j = derive(f, &tj, 1);
  jet_buf o[8];
  /* cotangent on one output at a time */
  static const double zero1 = 0;
  const double *cts[4][4] = {{ones, zero4, &zero1, zero4}, {zero4, ones, &zero1, zero4},
                             {zero4, zero4, &one, zero4}, {zero4, zero4, &zero1, ones}};
  const double want_x[4][4] = {{0.5, 0.5, 0.5, 0.5}, {0.5, 0.5, 0.5, 0.5}, {0, 0.5, 0.5, 0}, {1, 1, 1, -1}};
  const double want_y[4][4] = {{0.5, 0.5, 0.5, 0.5}, {0.5, 0.5, 0.5, 0.5}, {0, 0, 0, 0}, {0, 0, 0, 0}};
  for (int k = 0; k < 4; k++) {
    const double *a[6] = {x0, x0, cts[k][0], cts[k][1], cts[k][2], cts[k][3]};
    run(v, a, o);
    const char *what[4] = {"vjp of max at ties", "vjp of min at ties", "vjp of reduce_max at ties",
                           "vjp of abs at 0"};
    char w[64];
    snprintf(w, sizeof w, "%s (x)", what[k]);
    expect_tensor(&o[4], want_x[k], 4, 0, w);
    snprintf(w, sizeof w, "%s (y)", what[k]);
    expect_tensor(&o[5], want_y[k], 4, 0, w);
    adc_bufs_free(o, 6);
  }
  /* jvp with tangents tx = 1, ty = 3: max/min -> 2, reduce_max -> 1, abs -> (1, 1, 1, -1) */
  static const double three[4] = {3, 3, 3, 3};
  const double *a[4] = {x0, x0, ones, three};
  run(j, a, o);
  static const double two[4] = {2, 2, 2, 2}, absd[4] = {1, 1, 1, -1};
  expect_tensor(&o[4], two, 4, 0, "jvp of max at ties");
  expect_tensor(&o[5], two, 4, 0, "jvp of min at ties");
  expect_tensor(&o[6], &one, 1, 0, "jvp of reduce_max at ties");
  expect_tensor(&o[7], absd, 4, 0, "jvp of abs at 0");
  adc_bufs_free(o, 8);
  jet_graph_destroy(v);
  jet_graph_destroy(j);
  jet_graph_destroy(f);
}

/* ---------------------------------------------------------------- graph size */

/* f(x, p) = sum(v_N), v_0 = x, v_{i+1} = op_i(v_i) cycling through sin,
 * mul p, tanh, add p, logistic, exp: N ops (plus the sum). */
static jet_graph *chain(int n) {
  adc_b b = adc_begin("chain");
  jet_value x = adc_param(&b, T(4)), p = adc_param(&b, T(4)), v = x;
  for (int i = 0; i < n && !b.st; i++) {
    switch (i % 6) {
      case 0: v = adc_op1(&b, JET_OP_SIN, v); break;
      case 1: v = adc_op2(&b, JET_OP_MUL, v, p); break;
      case 2: v = adc_op1(&b, JET_OP_TANH, v); break;
      case 3: v = adc_op2(&b, JET_OP_ADD, v, p); break;
      case 4: v = adc_op1(&b, JET_OP_LOGISTIC, v); break;
      default: v = adc_op1(&b, JET_OP_EXP, v); break;
    }
  }
  jet_value r = sum(&b, v);
  adc_outputs(&b, &r, 1);
  return finish(&b);
}

/* The cleaned derivative graphs grow linearly: nodes <= c * N (+ a
 * constant for the seed and the constants), for grad, jvp and the
 * Hessian-vector product jvp(grad). */
static void derivative_graphs_are_linear(void **state) {
  (void)state;
  static const int ns[3] = {10, 100, 1000};
  static const int32_t both[2] = {0, 1};
  jet_transform tg = grad_tf(both, 2, true);
  jet_transform gj[2] = {tg, adc_tf(JET_TF_JVP)};
  jet_transform tj = adc_tf(JET_TF_JVP);
  const struct {
    const char *name;
    const jet_transform *tf;
    uint32_t n;
    double c; /* allowed nodes per primal op */
  } kinds[3] = {{"grad", &tg, 1, 6}, {"jvp", &tj, 1, 6}, {"jvp(grad)", gj, 2, 16}};
  double ratio[3][3];
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < 3; i++) {
      jet_graph *f = chain(ns[i]);
      jet_graph *d = derive(f, kinds[k].tf, kinds[k].n);
      uint32_t nodes = jet_graph_total_nodes(d);
      ratio[k][i] = (double)nodes / ns[i];
      fprintf(stderr, "%-10s N = %4d: primal %4u nodes, cleaned derivative %5u nodes, ratio %.2f\n",
              kinds[k].name, ns[i], jet_graph_total_nodes(f), nodes, ratio[k][i]);
      if (nodes > kinds[k].c * ns[i] + 16) {
        fprintf(stderr, "%s of a chain of %d ops has %u nodes > %g N + 16\n", kinds[k].name, ns[i],
                nodes, kinds[k].c);
        fail();
      }
      jet_graph_destroy(d);
      jet_graph_destroy(f);
    }
    /* linear, not superlinear: the per-op cost does not grow with N */
    assert_true(ratio[k][2] <= ratio[k][1] * 1.1 + 0.05);
  }
}

/* ---------------------------------------------------------------- zeros */

/* The gradient w.r.t. an unused argument is one broadcast of a constant. */
static void unused_argument_gradient(void **state) {
  (void)state;
  adc_b b = adc_begin("unused");
  jet_value x = adc_param(&b, T(3));
  adc_param(&b, T(2, 3));
  jet_value r = sum(&b, adc_op1(&b, JET_OP_SIN, x));
  adc_outputs(&b, &r, 1);
  jet_graph *f = finish(&b);
  static const int32_t one[1] = {1};
  jet_transform tg = grad_tf(one, 1, false);
  jet_graph *d = derive(f, &tg, 1);
  if (d->n_nodes > 2) {
    fprintf(stderr, "gradient w.r.t. an unused argument takes %u nodes:\n", d->n_nodes);
    adc_dump(d);
    fail();
  }
  assert_int_equal(d->n_outputs, 1);
  int32_t def = d->value_node[d->outputs[0]];
  assert_true(def >= 0);
  const jet_node *nd = &d->nodes[def];
  if (nd->op == JET_OP_BROADCAST_IN_DIM) {
    assert_true(d->value_node[nd->operands[0]] >= 0);
    assert_int_equal(d->nodes[d->value_node[nd->operands[0]]].op, JET_OP_CONSTANT);
  } else {
    assert_int_equal(nd->op, JET_OP_CONSTANT);
  }
  static const double x0[3] = {1, 2, 3}, y0[6] = {1, 2, 3, 4, 5, 6}, zeros[6] = {0};
  const double *a[2] = {x0, y0};
  jet_buf o[1];
  run(d, a, o);
  expect_tensor(o, zeros, 6, 0, "gradient w.r.t. an unused argument");
  adc_bufs_free(o, 1);
  jet_graph_destroy(d);
  jet_graph_destroy(f);
}

/* Values of g that `v` depends on (transitively), as flags. */
static void deps(const jet_graph *g, jet_value v, bool *seen) {
  if (seen[v]) return;
  seen[v] = true;
  int32_t nd = g->value_node[v];
  if (nd < 0) return;
  for (uint32_t i = 0; i < g->nodes[nd].n_operands; i++) deps(g, g->nodes[nd].operands[i], seen);
}

/* jvp of f(x, y) = (sum(x * x), exp(y)): each output tangent depends only on
 * its own parameter's tangent; and through jet_ad_emit_jvp / _vjp with
 * symbolic zero tangents / cotangents nothing zero is materialised. */
static void zero_tangents_stay_symbolic(void **state) {
  (void)state;
  adc_b b = adc_begin("two_outputs");
  jet_value x = adc_param(&b, T(3)), y = adc_param(&b, T(3));
  jet_value outs[3] = {sum(&b, adc_op2(&b, JET_OP_MUL, x, x)), adc_op1(&b, JET_OP_EXP, y), JET_NO_VALUE};
  outs[2] = adc_op1(&b, JET_OP_SIN, x);
  adc_outputs(&b, outs, 2);
  jet_graph *f = finish(&b);
  jet_transform tj = adc_tf(JET_TF_JVP);
  jet_graph *d = derive(f, &tj, 1);
  assert_int_equal(d->n_params, 4);
  assert_int_equal(d->n_outputs, 4);
  bool *seen = calloc(d->n_values, 1);
  assert_non_null(seen);
  deps(d, d->outputs[2], seen);
  bool bad = seen[3]; /* tangent of y */
  memset(seen, 0, d->n_values);
  deps(d, d->outputs[3], seen);
  bad |= seen[2]; /* tangent of x */
  free(seen);
  if (bad) {
    fprintf(stderr, "an output tangent depends on the other parameter's tangent:\n");
    adc_dump(d);
    fail();
  }
  jet_graph_destroy(d);

  /* emit into a fresh graph: f(x, y) = (sum(x*x), exp(y)) plus sin(x), with a
   * tangent for x only and a cotangent for output 0 only */
  b = adc_begin("three_outputs");
  x = adc_param(&b, T(3));
  y = adc_param(&b, T(3));
  jet_value o3[3] = {sum(&b, adc_op2(&b, JET_OP_MUL, x, y)), adc_op1(&b, JET_OP_EXP, y), JET_NO_VALUE};
  o3[2] = adc_op1(&b, JET_OP_SIN, x);
  adc_outputs(&b, o3, 3);
  jet_graph *src = finish(&b);
  jet_emit e = {jet_graph_create("emit"), NULL};
  assert_non_null(e.g);
  jet_value px, py, tx;
  expect_ok(jet_graph_add_param(e.g, &src->value_types[0], &px));
  expect_ok(jet_graph_add_param(e.g, &src->value_types[1], &py));
  expect_ok(jet_graph_add_param(e.g, &src->value_types[0], &tx));
  jet_value prim[2] = {px, py}, tans[2] = {tx, JET_AD_ZERO}, yo[3], to[3];
  jet_ad_emit_jvp(&e, src, prim, tans, yo, to);
  expect_ok(e.status);
  e.status = NULL;
  assert_int_equal(to[1], JET_AD_ZERO); /* exp(y) with y's tangent zero */
  assert_true(to[0] != JET_AD_ZERO && to[2] != JET_AD_ZERO);
  uint32_t n_jvp = e.g->n_nodes;
  for (uint32_t i = 0; i < n_jvp; i++) {
    if (e.g->nodes[i].op == JET_OP_BROADCAST_IN_DIM || e.g->nodes[i].op == JET_OP_CONSTANT) {
      fprintf(stderr, "jvp with a zero tangent materialised a '%s':\n", jet_op_name(e.g->nodes[i].op));
      adc_dump(e.g);
      fail();
    }
  }
  /* 4 primal nodes + tangents: mul, reduce_sum, cos, mul */
  if (n_jvp > 8) {
    fprintf(stderr, "jvp with a zero tangent emitted %u nodes (at most 8 expected):\n", n_jvp);
    adc_dump(e.g);
    fail();
  }
  jet_graph_destroy(e.g);

  e.g = jet_graph_create("emit_vjp");
  assert_non_null(e.g);
  jet_value ct0;
  expect_ok(jet_graph_add_param(e.g, &src->value_types[0], &px));
  expect_ok(jet_graph_add_param(e.g, &src->value_types[1], &py));
  expect_ok(jet_graph_add_param(e.g, &src->value_types[src->outputs[2]], &ct0));
  jet_value cts[3] = {JET_AD_ZERO, JET_AD_ZERO, ct0}, ic[2];
  jet_ad_emit_vjp(&e, src, prim, cts, yo, ic); /* cotangent of sin(x) only */
  expect_ok(e.status);
  e.status = NULL;
  assert_int_equal(ic[1], JET_AD_ZERO); /* nothing flows to y */
  assert_true(ic[0] != JET_AD_ZERO);
  jet_graph_destroy(e.g);
  jet_graph_destroy(src);
  jet_graph_destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(third_derivative),
      cmocka_unit_test(jacobians_and_hessians),
      cmocka_unit_test(jax_docstring_examples),
      cmocka_unit_test(hessian_two_args),
      cmocka_unit_test(call_with_grad),
      cmocka_unit_test(call_with_jvp_and_nested_grad),
      cmocka_unit_test(stop_gradient_blocks),
      cmocka_unit_test(kinks_follow_jax),
      cmocka_unit_test(derivative_graphs_are_linear),
      cmocka_unit_test(unused_argument_gradient),
      cmocka_unit_test(zero_tangents_stay_symbolic),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
