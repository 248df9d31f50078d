/* Autodiff of the collectives inside vmap(axis_name='i'), against central
 * differences of the summed loss T(X) = sum_i L(X[i]) (T evaluated as the
 * sum of vmap(L)(X), whose values test_server_collectives.c checks):
 *   vmap(grad(L), axis_name='i')(X)     (the collectives' own JVP/VJP rules
 *                                         batched: psum transposes to psum,
 *                                         so member i's gradient is dT/dX[i])
 *   grad(X -> sum(vmap(L)(X)))          (grad of the batched ops)
 * for losses built on psum (the per-example loss normalised by psum),
 * ppermute, all_gather, all_to_all, psum_scatter, pmean-style psum / psum(1)
 * and axis_index, at batch sizes 1, 3 and 4; and pmax: grad through the
 * vmap works, vmap of grad is JAX's UNIMPLEMENTED error. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ad_check.h"

static jet_attr an_i(void) { return (jet_attr){.name = "axis_name", .kind = JET_ATTR_STR, .u.s = "i"}; }

static jet_value sum_all(adc_b *b, jet_value x) {
  const jet_type *t = jet_graph_value_type(b->g, x);
  int64_t ax[JET_MAX_RANK];
  for (int32_t d = 0; d < t->rank; d++) ax[d] = d;
  jet_attr a = adc_ints("axes", ax, (uint32_t)t->rank);
  return adc_op(b, JET_OP_REDUCE_SUM, &x, 1, &a, 1);
}
static jet_value coll(adc_b *b, jet_op op, jet_value x, const jet_attr *extra, uint32_t ne) {
  jet_attr a[6] = {an_i()};
  for (uint32_t k = 0; k < ne; k++) a[k + 1] = extra[k];
  return adc_op(b, op, &x, 1, a, ne + 1);
}

/* Per-example losses of x f64[n] (n = the axis size). */
static jet_value loss(adc_b *b, int kind, jet_value x, int64_t n) {
  jet_value sx = adc_op1(b, JET_OP_SIN, x);
  jet_attr sz = adc_int("axis_size", n);
  switch (kind) {
    case 0: /* sum(sin x) / psum(sum(x * x)) */
      return adc_op2(b, JET_OP_DIV, sum_all(b, sx),
                     coll(b, JET_OP_PSUM, sum_all(b, adc_op2(b, JET_OP_MUL, x, x)), NULL, 0));
    case 1: { /* sum(ppermute(sin x, i -> i+1) * x) */
      int64_t perm[16];
      for (int64_t i = 0; i < n; i++) perm[2 * i] = i, perm[2 * i + 1] = (i + 1) % n;
      jet_attr p = adc_ints("perm", perm, (uint32_t)(2 * n));
      return sum_all(b, adc_op2(b, JET_OP_MUL, coll(b, JET_OP_PPERMUTE, sx, &p, 1), x));
    }
    case 2: { /* sum(all_gather(x)) * sum(sin x) + sum(all_gather(x*x, tiled)) */
      jet_attr a[2] = {sz, adc_int("axis", 1)};
      jet_attr t[3] = {sz, adc_int("axis", 0), adc_bool("tiled", true)};
      jet_value g = sum_all(b, coll(b, JET_OP_ALL_GATHER, x, a, 2));
      jet_value h = sum_all(b, coll(b, JET_OP_ALL_GATHER, adc_op2(b, JET_OP_MUL, x, x), t, 3));
      return adc_op2(b, JET_OP_ADD, adc_op2(b, JET_OP_MUL, g, sum_all(b, sx)), h);
    }
    case 3: { /* sum(all_to_all(x) * sin x) + psum_scatter(x * x) * sum(x) */
      jet_attr a[3] = {sz, adc_int("split_axis", 0), adc_int("concat_axis", 0)};
      jet_attr s[2] = {sz, adc_int("scatter_dimension", 0)};
      jet_value t = sum_all(b, adc_op2(b, JET_OP_MUL, coll(b, JET_OP_ALL_TO_ALL, x, a, 3), sx));
      jet_value u = coll(b, JET_OP_PSUM_SCATTER, adc_op2(b, JET_OP_MUL, x, x), s, 2);
      return adc_op2(b, JET_OP_ADD, t, adc_op2(b, JET_OP_MUL, u, sum_all(b, x)));
    }
    case 4: { /* pmean-style: sum(x * sin x) / psum(1) * (axis_index + 1) */
      jet_value one = adc_scalar(b, JET_F64, 1);
      jet_value i = adc_op(b, JET_OP_AXIS_INDEX, NULL, 0, (jet_attr[]){an_i()}, 1);
      jet_value fi = adc_op(b, JET_OP_CONVERT_ELEMENT_TYPE, &i, 1, (jet_attr[]){adc_dtype("new_dtype", JET_F64)}, 1);
      jet_value w = adc_op2(b, JET_OP_ADD, fi, one);
      jet_value m = adc_op2(b, JET_OP_DIV, sum_all(b, adc_op2(b, JET_OP_MUL, x, sx)), coll(b, JET_OP_PSUM, one, NULL, 0));
      return adc_op2(b, JET_OP_MUL, m, w);
    }
    default: /* pmax(sum(sin x)) * sum(x) */
      return adc_op2(b, JET_OP_MUL, coll(b, JET_OP_PMAX, sum_all(b, sx), NULL, 0), sum_all(b, x));
  }
}

static jet_graph *loss_graph(int kind, int64_t n) {
  adc_b b = adc_begin("loss");
  jet_value y = loss(&b, kind, adc_param(&b, ADC_T(JET_F64, n)), n);
  adc_outputs(&b, &y, 1);
  if (b.st) fail_msg("loss %d: %s", kind, jet_status_message(b.st));
  return b.g;
}

static jet_transform vmap_i(int64_t n) {
  static const jet_axis_spec in = {true, 0};
  jet_transform t = gb_vmap(&in, 1, NULL, 0, n);
  t.axis_name = "i";
  return t;
}

/* F(X) = sum(vmap(L)(X)), with the vmap as a call node's transform. */
static jet_graph *summed(int kind, int64_t n) {
  adc_b b = adc_begin("summed");
  jet_value x = adc_param(&b, ADC_T(JET_F64, n, n)), v = 0;
  jet_graph *cg = jet_graph_create_child(b.g, "loss");
  adc_b c = {cg, NULL};
  jet_value y = loss(&c, kind, adc_param(&c, ADC_T(JET_F64, n)), n);
  adc_outputs(&c, &y, 1);
  if (c.st) fail_msg("loss %d: %s", kind, jet_status_message(c.st));
  jet_transform tf = vmap_i(n);
  assert_null(jet_graph_add_node(b.g, JET_OP_CALL, &x, 1, NULL, 0, cg, &tf, 1, &v));
  y = sum_all(&b, v);
  adc_outputs(&b, &y, 1);
  assert_null(b.st);
  return b.g;
}

static jet_graph *transformed(jet_graph *g, const jet_transform *tfs, uint32_t n) {
  jet_graph *t = NULL;
  jet_status st = jet_transforms_apply(g, tfs, n, &t);
  if (st) fail_msg("transforms: %s", jet_status_message(st));
  return t;
}

static double run1(const jet_graph *g, const jet_buf *x, jet_buf *out) {
  jet_buf o[1];
  assert_true(adc_run(g, x, 1, o, "ad", "run"));
  double v = adc_get(&o[0], 0);
  if (out) *out = o[0];
  else adc_buf_free(&o[0]);
  return v;
}

/* Compares a gradient g (f64[n, n]) with central differences of T. */
static int check_grad(const char *what, int kind, const jet_buf *g, const jet_graph *T, jet_buf *X) {
  int fails = 0;
  for (int64_t k = 0; k < adc_numel(X); k++) {
    const double x0 = adc_get(X, k), h = 1e-5;
    adc_set(X, k, x0 + h);
    double tp = run1(T, X, NULL);
    adc_set(X, k, x0 - h);
    double tm = run1(T, X, NULL);
    adc_set(X, k, x0);
    double fd = (tp - tm) / (2 * h), got = adc_get(g, k);
    if (!(fabs(got - fd) <= 1e-6 * fmax(1, fabs(fd)))) {
      fprintf(stderr, "[%s, loss %d] element %lld: got %.10g, finite differences %.10g\n", what, kind,
              (long long)k, got, fd);
      fails++;
    }
  }
  return fails;
}

static void test_grads_against_finite_differences(void **state) {
  (void)state;
  static const int64_t sizes[] = {1, 3, 4};
  int fails = 0;
  for (int kind = 0; kind <= 5; kind++) {
    for (size_t si = 0; si < 3; si++) {
      const int64_t n = sizes[si];
      jet_buf X = adc_buf(ADC_T(JET_F64, n, n)), g1, g2;
      for (int64_t k = 0; k < n * n; k++) adc_set(&X, k, 0.3 + 0.7 * sin(1.3 * (double)k + (double)kind));
      jet_transform tv = vmap_i(n), tg = adc_tf(JET_TF_GRAD);
      jet_graph *T = transformed(summed(kind, n), NULL, 0);
      /* grad through the vmap */
      jet_graph *G2 = transformed(summed(kind, n), &tg, 1);
      run1(G2, &X, &g2);
      fails += check_grad("grad(sum o vmap(L))", kind, &g2, T, &X);
      /* vmap of grad: the collectives' own rules */
      jet_transform tfs[2] = {tg, tv};
      jet_graph *G1 = NULL;
      jet_status st = jet_transforms_apply(loss_graph(kind, n), tfs, 2, &G1);
      if (kind == 5) { /* pmax: no differentiation rule, as in JAX */
        assert_non_null(st);
        assert_int_equal(jet_status_code(st), JET_UNIMPLEMENTED);
        assert_non_null(strstr(jet_status_message(st), "Differentiation rule for 'pmax' not implemented"));
        jet_status_free(st);
      } else {
        if (st) fail_msg("vmap(grad) of loss %d: %s", kind, jet_status_message(st));
        run1(G1, &X, &g1);
        fails += check_grad("vmap(grad(L))", kind, &g1, T, &X);
        adc_buf_free(&g1);
      }
      jet_graph_destroy(G1);
      jet_graph_destroy(G2);
      jet_graph_destroy(T);
      adc_buf_free(&g2);
      adc_buf_free(&X);
    }
  }
  assert_int_equal(fails, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_grads_against_finite_differences),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
