/* jet_transform_signature: the types of transformed functions (grad, value_and_grad,
 * jvp, vjp, jacfwd, jacrev, hessian and their compositions), the checks and
 * their messages, vmap/pmap refusal. Expected signatures are written out by
 * hand from JAX's conventions (server/transforms/ad/ad.h). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/infer.h"

#define CAP 64

/* "f32[2,3]"-style type from a short spec: dtype letter code and dims. */
static jet_type ty(jet_dtype d, int32_t rank, int64_t d0, int64_t d1, int64_t d2) {
  int64_t dims[3] = {d0, d1, d2};
  return jet_type_make(d, rank, dims);
}

typedef struct sig {
  jet_type p[CAP], o[CAP];
  uint32_t np, no;
} sig;

static jet_status apply(const jet_type *p, uint32_t np, const jet_type *o, uint32_t no,
                        const jet_transform *tf, uint32_t ntf, sig *out) {
  return jet_transform_signature(p, np, o, no, tf, ntf, out->p, &out->np, out->o, &out->no, CAP);
}

static void expect_types(const jet_type *got, uint32_t n_got, const jet_type *want,
                         uint32_t n_want) {
  if (n_got != n_want) fail_msg("got %u types, wanted %u", n_got, n_want);
  for (uint32_t i = 0; i < n_got; i++) {
    if (!jet_type_equal(&got[i], &want[i])) {
      char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
      fail_msg("type %u: got %s, wanted %s", i, jet_type_str(&got[i], a, sizeof a),
               jet_type_str(&want[i], b, sizeof b));
    }
  }
}

static void expect_err(jet_status st, jet_code code, const char *needle) {
  if (!st) fail_msg("expected an error containing '%s'", needle);
  if (jet_status_code(st) != code || !strstr(jet_status_message(st), needle))
    fail_msg("got %s '%s', wanted %s '%s'", jet_code_name(jet_status_code(st)),
             jet_status_message(st), jet_code_name(code), needle);
  jet_status_free(st);
}

static jet_transform tfk(jet_transform_kind k) {
  jet_transform t;
  memset(&t, 0, sizeof t);
  t.kind = k;
  t.axis_name = "";
  t.spmd_axis_name = "";
  return t;
}

static const jet_dtype F = JET_F32;

/* f(x: f32[3], y: f32[]) -> (s: f32[], v: f32[2], n: i32[]) */
static void f_sig(jet_type *p, jet_type *o) {
  p[0] = ty(F, 1, 3, 0, 0);
  p[1] = ty(F, 0, 0, 0, 0);
  o[0] = ty(F, 0, 0, 0, 0);
  o[1] = ty(F, 1, 2, 0, 0);
  o[2] = ty(JET_I32, 0, 0, 0, 0);
}

static void test_grad_family(void **state) {
  (void)state;
  jet_type p[2], o[3];
  f_sig(p, o);
  sig s;
  /* grad with has_aux, argnums (1, 0). */
  int32_t an[2] = {1, 0};
  jet_transform t = tfk(JET_TF_GRAD);
  t.has_aux = true;
  t.argnums = an;
  t.n_argnums = 2;
  assert_null(apply(p, 2, o, 3, &t, 1, &s));
  expect_types(s.p, s.np, p, 2);
  jet_type g_want[4] = {p[1], p[0], o[1], o[2]};
  expect_types(s.o, s.no, g_want, 4);
  /* value_and_grad: value, aux, grads. */
  t.kind = JET_TF_VALUE_AND_GRAD;
  assert_null(apply(p, 2, o, 3, &t, 1, &s));
  jet_type v_want[5] = {o[0], o[1], o[2], p[1], p[0]};
  expect_types(s.o, s.no, v_want, 5);
  /* Default argnums {0}, one output. */
  jet_transform g = tfk(JET_TF_GRAD);
  assert_null(apply(p, 2, o, 1, &g, 1, &s));
  expect_types(s.o, s.no, p, 1);
  /* Several outputs without has_aux are refused. */
  expect_err(apply(p, 2, o, 3, &g, 1, &s), JET_INVALID_ARGUMENT,
             "transforms[0] (grad): Gradient only defined for scalar-output functions");
  /* Non-scalar output 0 names its shape. */
  expect_err(apply(p, 2, o + 1, 1, &g, 1, &s), JET_INVALID_ARGUMENT,
             "Gradient only defined for scalar-output functions. Output had shape: [2].");
  /* Integer output. */
  expect_err(apply(p, 2, o + 2, 1, &g, 1, &s), JET_INVALID_ARGUMENT,
             "grad requires real-valued outputs (output dtype that is a sub-dtype of "
             "np.floating), but got i32");
  /* Integer input, unless allow_int. */
  jet_type pi[2] = {p[0], ty(JET_I32, 0, 0, 0, 0)};
  int32_t a1 = 1;
  g.argnums = &a1;
  g.n_argnums = 1;
  expect_err(apply(pi, 2, o, 1, &g, 1, &s), JET_INVALID_ARGUMENT,
             "grad requires real-valued inputs (input dtype that is a sub-dtype of np.inexact), "
             "but got i32 for argument 1");
  g.allow_int = true;
  assert_null(apply(pi, 2, o, 1, &g, 1, &s));
  expect_types(s.o, s.no, &pi[1], 1);
  /* argnums out of range. */
  int32_t a2 = 2;
  g.argnums = &a2;
  expect_err(apply(p, 2, o, 1, &g, 1, &s), JET_INVALID_ARGUMENT,
             "differentiating with respect to argnums=2 requires at least 3 positional "
             "arguments to be passed by the caller, but got only 2 positional arguments.");
  int32_t a02[2] = {0, 2};
  g.argnums = a02;
  g.n_argnums = 2;
  g.argnums_tuple = true;
  expect_err(apply(p, 2, o, 1, &g, 1, &s), JET_INVALID_ARGUMENT,
             "differentiating with respect to argnums=(0, 2) requires at least 3 positional");
}

static void test_jvp_vjp(void **state) {
  (void)state;
  jet_type p[2], o[3];
  f_sig(p, o);
  sig s;
  jet_transform t = tfk(JET_TF_JVP);
  assert_null(apply(p, 2, o, 3, &t, 1, &s));
  jet_type jp[4] = {p[0], p[1], p[0], p[1]};
  jet_type jo[6] = {o[0], o[1], o[2], o[0], o[1], o[2]};
  expect_types(s.p, s.np, jp, 4);
  expect_types(s.o, s.no, jo, 6);
  t.has_aux = true;
  assert_null(apply(p, 2, o, 3, &t, 1, &s));
  jet_type ja[4] = {o[0], o[0], o[1], o[2]};
  expect_types(s.p, s.np, jp, 4);
  expect_types(s.o, s.no, ja, 4);

  t = tfk(JET_TF_VJP);
  assert_null(apply(p, 2, o, 3, &t, 1, &s));
  jet_type vp[5] = {p[0], p[1], o[0], o[1], o[2]};
  jet_type vo[5] = {o[0], o[1], o[2], p[0], p[1]};
  expect_types(s.p, s.np, vp, 5);
  expect_types(s.o, s.no, vo, 5);
  t.has_aux = true;
  assert_null(apply(p, 2, o, 3, &t, 1, &s));
  expect_types(s.p, s.np, vp, 3);
  expect_types(s.o, s.no, vo, 5);
}

static void test_jacobians(void **state) {
  (void)state;
  /* f(x: f32[3], y: f64[2]) -> (u: f32[4], w: f32[]) */
  jet_type p[2] = {ty(F, 1, 3, 0, 0), ty(JET_F64, 1, 2, 0, 0)};
  jet_type o[2] = {ty(F, 1, 4, 0, 0), ty(F, 0, 0, 0, 0)};
  sig s;
  int32_t an[2] = {0, 1};
  jet_transform t = tfk(JET_TF_JACFWD);
  t.argnums = an;
  t.n_argnums = 2;
  assert_null(apply(p, 2, o, 2, &t, 1, &s));
  expect_types(s.p, s.np, p, 2);
  /* Output-major; jacfwd keeps the output dtype. */
  jet_type fw[4] = {ty(F, 2, 4, 3, 0), ty(F, 2, 4, 2, 0), ty(F, 1, 3, 0, 0), ty(F, 1, 2, 0, 0)};
  expect_types(s.o, s.no, fw, 4);
  /* jacrev takes the parameter dtype. */
  t.kind = JET_TF_JACREV;
  assert_null(apply(p, 2, o, 2, &t, 1, &s));
  jet_type rv[4] = {ty(F, 2, 4, 3, 0), ty(JET_F64, 2, 4, 2, 0), ty(F, 1, 3, 0, 0),
                    ty(JET_F64, 1, 2, 0, 0)};
  expect_types(s.o, s.no, rv, 4);
  /* has_aux: only output 0 is differentiated. */
  t.has_aux = true;
  assert_null(apply(p, 2, o, 2, &t, 1, &s));
  jet_type ra[3] = {rv[0], rv[1], o[1]};
  expect_types(s.o, s.no, ra, 3);
  /* hessian of the scalar output 1 w.r.t. (x, y): (k, a, b) nesting. */
  t = tfk(JET_TF_HESSIAN);
  t.argnums = an;
  t.n_argnums = 2;
  assert_null(apply(p, 2, o + 1, 1, &t, 1, &s));
  jet_type h[4] = {ty(F, 2, 3, 3, 0), ty(F, 2, 3, 2, 0), ty(JET_F64, 2, 2, 3, 0),
                   ty(JET_F64, 2, 2, 2, 0)};
  expect_types(s.o, s.no, h, 4);
  /* hessian of a vector output: out.shape + p.shape + p.shape. */
  jet_transform h0 = tfk(JET_TF_HESSIAN);
  assert_null(apply(p, 2, o, 1, &h0, 1, &s));
  jet_type h1 = ty(F, 3, 4, 3, 3);
  expect_types(s.o, s.no, &h1, 1);
  /* Integer inputs and outputs. */
  jet_type pi = ty(JET_I32, 1, 3, 0, 0);
  jet_transform r = tfk(JET_TF_JACREV);
  expect_err(apply(&pi, 1, o, 1, &r, 1, &s), JET_INVALID_ARGUMENT,
             "jacrev requires real-valued inputs (input dtype that is a sub-dtype of "
             "np.inexact), but got i32 for argument 0");
  jet_type oi = ty(JET_I32, 0, 0, 0, 0);
  expect_err(apply(p, 1, &oi, 1, &r, 1, &s), JET_INVALID_ARGUMENT,
             "jacrev requires real-valued outputs");
  /* jacfwd of an integer output is typed (zero tangents). */
  jet_transform f = tfk(JET_TF_JACFWD);
  assert_null(apply(p, 1, &oi, 1, &f, 1, &s));
  jet_type fi = ty(JET_I32, 1, 3, 0, 0);
  expect_types(s.o, s.no, &fi, 1);
  /* holomorphic needs complex dtypes. */
  f.holomorphic = true;
  expect_err(apply(p, 1, o, 1, &f, 1, &s), JET_UNIMPLEMENTED, "holomorphic=True");
  f.holomorphic = false;
  /* The unrolled basis is bounded (4096 elements). */
  jet_type wide = ty(F, 1, 5000, 0, 0);
  expect_err(apply(&wide, 1, o + 1, 1, &f, 1, &s), JET_UNIMPLEMENTED,
             "jacfwd over 5000 input elements");
  expect_err(apply(p, 1, &wide, 1, &r, 1, &s), JET_UNIMPLEMENTED,
             "jacrev over 5000 output elements");
  assert_null(apply(&wide, 1, o + 1, 1, &r, 1, &s));
  /* Ranks beyond JET_MAX_RANK. */
  int64_t big[10] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
  jet_type pb = jet_type_make(F, 10, big);
  expect_err(apply(&pb, 1, &pb, 1, &f, 1, &s), JET_INVALID_ARGUMENT, "rank 20");
}

static void test_compositions(void **state) {
  (void)state;
  /* grad(grad(grad(f))) for f: f32[] -> f32[]: still f32[] -> f32[]. */
  jet_type x = ty(F, 0, 0, 0, 0);
  jet_transform g3[3] = {tfk(JET_TF_GRAD), tfk(JET_TF_GRAD), tfk(JET_TF_GRAD)};
  sig s;
  assert_null(apply(&x, 1, &x, 1, g3, 3, &s));
  expect_types(s.p, s.np, &x, 1);
  expect_types(s.o, s.no, &x, 1);
  /* jacfwd(jacrev(f)) of f: f32[3] -> f32[] equals hessian's type. */
  jet_type v = ty(F, 1, 3, 0, 0);
  jet_transform fr[2] = {tfk(JET_TF_JACREV), tfk(JET_TF_JACFWD)};
  jet_transform he = tfk(JET_TF_HESSIAN);
  sig s2;
  assert_null(apply(&v, 1, &x, 1, fr, 2, &s));
  assert_null(apply(&v, 1, &x, 1, &he, 1, &s2));
  jet_type m = ty(F, 2, 3, 3, 0);
  expect_types(s.o, s.no, &m, 1);
  expect_types(s2.o, s2.no, &m, 1);
  /* grad of jvp: jvp's (out, tangent) outputs are not a scalar pair. */
  jet_transform jg[2] = {tfk(JET_TF_JVP), tfk(JET_TF_GRAD)};
  expect_err(apply(&x, 1, &x, 1, jg, 2, &s), JET_INVALID_ARGUMENT, "transforms[1] (grad): ");
  jg[1].has_aux = true; /* differentiate out0, tangent as aux */
  assert_null(apply(&x, 1, &x, 1, jg, 2, &s));
  jet_type two[2] = {x, x};
  expect_types(s.p, s.np, two, 2);
  expect_types(s.o, s.no, two, 2);
  /* vmap and pmap are refused by name, wherever they are. */
  jet_transform vm[2] = {tfk(JET_TF_GRAD), tfk(JET_TF_VMAP)};
  expect_err(apply(&x, 1, &x, 1, vm, 2, &s), JET_UNIMPLEMENTED, "transforms[1] (vmap): ");
  vm[0].kind = JET_TF_PMAP;
  expect_err(apply(&x, 1, &x, 1, vm, 2, &s), JET_UNIMPLEMENTED, "'pmap'");
  /* Too little room. */
  jet_type ps[40];
  for (int i = 0; i < 40; i++) ps[i] = x;
  jet_transform jv = tfk(JET_TF_JVP);
  expect_err(apply(ps, 40, &x, 1, &jv, 1, &s), JET_INVALID_ARGUMENT, "80 parameters");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grad_family),
      cmocka_unit_test(test_jvp_vjp),
      cmocka_unit_test(test_jacobians),
      cmocka_unit_test(test_compositions),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
