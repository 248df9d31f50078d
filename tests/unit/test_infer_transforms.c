/* jet_transform_signature: the types of transformed functions (grad, value_and_grad,
 * jvp, vjp, jacfwd, jacrev, hessian, vmap and their compositions), the checks
 * and their messages, pmap refusal. Expected signatures are written out by
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
#include "graph_build.h"

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

static jet_transform tfk(jet_transform_kind k) { return gb_transform(k); }

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
  /* Bases of any size (jacfwd / jacrev are vmaps over the basis). */
  jet_type wide = ty(F, 1, 5000, 0, 0);
  assert_null(apply(&wide, 1, o + 1, 1, &f, 1, &s));
  expect_types(s.o, s.no, &wide, 1);
  assert_null(apply(p, 1, &wide, 1, &r, 1, &s));
  jet_type wide_jac = ty(F, 2, 5000, 3, 0);
  expect_types(s.o, s.no, &wide_jac, 1);
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
  /* vmap without argument types needs axis_size; pmap is refused by name,
   * wherever it is. */
  jet_transform vm[2] = {tfk(JET_TF_GRAD), tfk(JET_TF_VMAP)};
  expect_err(apply(&x, 1, &x, 1, vm, 2, &s), JET_INVALID_ARGUMENT,
             "transforms[1] (vmap): vmap needs axis_size");
  vm[1].axis_size = 5;
  assert_null(apply(&x, 1, &x, 1, vm, 2, &s));
  jet_type x5 = ty(F, 1, 5, 0, 0);
  expect_types(s.p, s.np, &x5, 1);
  expect_types(s.o, s.no, &x5, 1);
  vm[0].kind = JET_TF_PMAP; /* pmap needs its size too */
  expect_err(apply(&x, 1, &x, 1, vm, 2, &s), JET_INVALID_ARGUMENT,
             "transforms[0] (pmap): pmap needs axis_size");
  /* Too little room. */
  jet_type ps[40];
  for (int i = 0; i < 40; i++) ps[i] = x;
  jet_transform jv = tfk(JET_TF_JVP);
  expect_err(apply(ps, 40, &x, 1, &jv, 1, &s), JET_INVALID_ARGUMENT, "80 parameters");
}

static jet_transform vmap_tf(const jet_axis_spec *in, uint32_t n_in, const jet_axis_spec *out,
                             uint32_t n_out, int64_t size) {
  return gb_vmap(in, n_in, out, n_out, size);
}

static jet_status apply_args(const jet_type *p, uint32_t np, const jet_type *o, uint32_t no,
                             const jet_transform *tf, uint32_t ntf, const jet_type *args,
                             uint32_t n_args, sig *out, int64_t *sizes) {
  return jet_transform_signature_args(p, np, o, no, tf, ntf, args, n_args, out->p, &out->np,
                                      out->o, &out->no, CAP, sizes);
}

static void test_vmap(void **state) {
  (void)state;
  /* f(x: f32[3], m: f32[2,4]) -> (s: f32[], v: f32[3]) */
  jet_type p[2] = {ty(F, 1, 3, 0, 0), ty(F, 2, 2, 4, 0)};
  jet_type o[2] = {ty(F, 0, 0, 0, 0), ty(F, 1, 3, 0, 0)};
  sig s;
  /* Defaults: every argument and output mapped at 0. */
  jet_transform t = vmap_tf(NULL, 0, NULL, 0, 5);
  assert_null(apply(p, 2, o, 2, &t, 1, &s));
  jet_type w1[2] = {ty(F, 2, 5, 3, 0), ty(F, 3, 5, 2, 4)};
  jet_type w1o[2] = {ty(F, 1, 5, 0, 0), ty(F, 2, 5, 3, 0)};
  expect_types(s.p, s.np, w1, 2);
  expect_types(s.o, s.no, w1o, 2);
  /* One entry for all; negative axes count from the end of the batched type. */
  jet_axis_spec last = {true, -1};
  t = vmap_tf(&last, 1, &last, 1, 5);
  assert_null(apply(p, 2, o, 2, &t, 1, &s));
  jet_type w2[2] = {ty(F, 2, 3, 5, 0), ty(F, 3, 2, 4, 5)};
  jet_type w2o[2] = {ty(F, 1, 5, 0, 0), ty(F, 2, 3, 5, 0)};
  expect_types(s.p, s.np, w2, 2);
  expect_types(s.o, s.no, w2o, 2);
  /* Per argument / output, with None. */
  jet_axis_spec ins[2] = {{false, 0}, {true, -2}}, outs[2] = {{false, 0}, {true, 1}};
  t = vmap_tf(ins, 2, outs, 2, 7);
  assert_null(apply(p, 2, o, 2, &t, 1, &s));
  jet_type w3[2] = {p[0], ty(F, 3, 2, 7, 4)};
  jet_type w3o[2] = {o[0], ty(F, 2, 3, 7, 0)};
  expect_types(s.p, s.np, w3, 2);
  expect_types(s.o, s.no, w3o, 2);
  /* Errors, JAX's wording. */
  jet_type p3[3] = {p[0], p[0], p[0]};
  t = vmap_tf(ins, 2, NULL, 0, 3);
  expect_err(apply(p3, 3, o, 1, &t, 1, &s), JET_INVALID_ARGUMENT,
             "transforms[0] (vmap): vmap in_axes must be an int, None, or a tuple of entries "
             "corresponding to the positional arguments passed to the function, but got "
             "len(in_axes)=2, len(args)=3");
  jet_type sc = ty(F, 0, 0, 0, 0);
  jet_axis_spec one = {true, 1}, none = {false, 0};
  t = vmap_tf(&one, 1, NULL, 0, 3);
  expect_err(apply(&sc, 1, &sc, 1, &t, 1, &s), JET_INVALID_ARGUMENT,
             "argument 0: vmap was requested to map its argument along axis 1, which implies "
             "that its rank should be at least 2, but is only 1 (its shape is [3])");
  jet_axis_spec m3 = {true, -3};
  t = vmap_tf(&m3, 1, NULL, 0, 3);
  expect_err(apply(&sc, 1, &sc, 1, &t, 1, &s), JET_INVALID_ARGUMENT,
             "along axis -3, which implies that its rank should be at least 3, but is only 1");
  t = vmap_tf(&none, 1, NULL, 0, 0);
  expect_err(apply(p, 2, o, 2, &t, 1, &s), JET_INVALID_ARGUMENT,
             "vmap must have at least one non-None value in in_axes, or axis_size must be given");
  t = vmap_tf(&none, 1, NULL, 0, 4); /* all None with axis_size: outputs broadcast */
  assert_null(apply(p, 2, o, 2, &t, 1, &s));
  expect_types(s.p, s.np, p, 2);
  jet_type w4o[2] = {ty(F, 1, 4, 0, 0), ty(F, 2, 4, 3, 0)};
  expect_types(s.o, s.no, w4o, 2);
  t = vmap_tf(NULL, 0, outs, 2, 3);
  expect_err(apply(p, 2, o, 1, &t, 1, &s), JET_INVALID_ARGUMENT,
             "vmap out_axes must be an int, None, or a tuple of entries corresponding to the "
             "outputs of the function, but got len(out_axes)=2, len(outputs)=1");
  jet_axis_spec two = {true, 2};
  t = vmap_tf(NULL, 0, &two, 1, 3);
  expect_err(apply(p, 2, o, 2, &t, 1, &s), JET_INVALID_ARGUMENT,
             "vmap out_axes 2 is out of range for output 0 of type f32[]");
  t = vmap_tf(NULL, 0, NULL, 0, 0);
  expect_err(apply(p, 2, o, 2, &t, 1, &s), JET_INVALID_ARGUMENT, "vmap needs axis_size");
}

/* The axis size read from a call's operand types. */
static void test_vmap_args(void **state) {
  (void)state;
  jet_type p[2] = {ty(F, 1, 3, 0, 0), ty(F, 0, 0, 0, 0)};
  jet_type o = ty(F, 0, 0, 0, 0);
  sig s;
  int64_t sizes[3];
  jet_transform t = vmap_tf(NULL, 0, NULL, 0, 0);
  jet_type a[2] = {ty(F, 2, 6, 3, 0), ty(F, 1, 6, 0, 0)};
  assert_null(apply_args(p, 2, &o, 1, &t, 1, a, 2, &s, sizes));
  assert_int_equal(sizes[0], 6);
  expect_types(s.p, s.np, a, 2);
  jet_type w = ty(F, 1, 6, 0, 0);
  expect_types(s.o, s.no, &w, 1);
  /* Inconsistent sizes name each argument's size, axis and type. */
  jet_type bad[2] = {ty(F, 2, 2, 3, 0), ty(F, 1, 3, 0, 0)};
  expect_err(apply_args(p, 2, &o, 1, &t, 1, bad, 2, &s, NULL), JET_INVALID_ARGUMENT,
             "transforms[0] (vmap): vmap got inconsistent sizes for array axes to be mapped:\n"
             "  * one axis had size 2: axis 0 of argument 0 of type f32[2,3];\n"
             "  * one axis had size 3: axis 0 of argument 1 of type f32[3]");
  jet_type p3[3] = {o, o, o}, a3[3] = {ty(F, 1, 2, 0, 0), ty(F, 1, 3, 0, 0), ty(F, 1, 2, 0, 0)};
  jet_status st = apply_args(p3, 3, &o, 1, &t, 1, a3, 3, &s, NULL);
  expect_err(st, JET_INVALID_ARGUMENT,
             "inconsistent sizes for array axes to be mapped:\n"
             "  * most axes (2 of them) had size 2, e.g. axis 0 of argument 0 of type f32[2];\n"
             "  * one axis had size 3: axis 0 of argument 1 of type f32[3]");
  /* axis_size must agree with the mapped sizes. */
  t.axis_size = 4;
  expect_err(apply_args(p, 2, &o, 1, &t, 1, a, 2, &s, NULL), JET_INVALID_ARGUMENT,
             "vmap got axis_size=4 but axis 0 of argument 0 of type f32[6,3] has size 6");
  /* Out of range, shown with the argument's own shape. */
  jet_axis_spec one = {true, 1};
  t = vmap_tf(&one, 1, NULL, 0, 0);
  jet_type s3 = ty(F, 1, 3, 0, 0);
  expect_err(apply_args(&o, 1, &o, 1, &t, 1, &s3, 1, &s, NULL), JET_INVALID_ARGUMENT,
             "vmap was requested to map its argument along axis 1, which implies that its rank "
             "should be at least 2, but is only 1 (its shape is [3])");
  /* A chain: vmap(in_axes=0) then vmap(in_axes=1) then jvp: the sizes are
   * found through the later transforms. */
  jet_axis_spec zero = {true, 0};
  jet_transform ch[3] = {vmap_tf(&zero, 1, NULL, 0, 0), vmap_tf(&one, 1, NULL, 0, 0),
                         tfk(JET_TF_JVP)};
  jet_type x = ty(F, 1, 3, 0, 0);
  int64_t d3[3] = {4, 6, 3};
  jet_type xb = jet_type_make(F, 3, d3);
  jet_type args[2] = {xb, xb};
  assert_null(apply_args(&x, 1, &o, 1, ch, 3, args, 2, &s, sizes));
  assert_int_equal(sizes[0], 4);
  assert_int_equal(sizes[1], 6);
  assert_int_equal(sizes[2], 0);
  expect_types(s.p, s.np, args, 2);
  jet_type ob = ty(F, 2, 6, 4, 0);
  jet_type obs[2] = {ob, ob};
  expect_types(s.o, s.no, obs, 2);
  /* Argument types that do not fit. */
  jet_type wrong = ty(F, 1, 4, 0, 0);
  t = vmap_tf(NULL, 0, NULL, 0, 0);
  expect_err(apply_args(p, 1, &o, 1, &t, 1, &wrong, 1, &s, NULL), JET_INVALID_ARGUMENT,
             "vmap cannot read the size of the mapped axis from the arguments: argument 0 "
             "(f32[4]) is not the parameter type f32[3] with an axis inserted at 0");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grad_family),
      cmocka_unit_test(test_jvp_vjp),
      cmocka_unit_test(test_jacobians),
      cmocka_unit_test(test_compositions),
      cmocka_unit_test(test_vmap),
      cmocka_unit_test(test_vmap_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
