/* Autodiff and vmap applied on top of a pmap node (ad/rules_pmap.c,
 * batch/rules_pmap.c). Forward programs F hold one pmap whose body uses no
 * collective, psum and pmean (psum(x) / psum(1)), all_gather or ppermute,
 * with mapped (in_axes 0/1) and unmapped (-1) operands and out_axes 0/1/-1
 * (an out_axes=-1 output that differs between members: only member 0's
 * value counts), at axis sizes 1, 2 and 3. Every derivative / batched graph
 * runs on the reference executor (jet_exec_graph) AND compiled (cleanup,
 * jet_lower, jet_program_run); the two must agree to 1e-12 and:
 *   jvp(F), grad / value_and_grad of L = sum_j <u_j, F_j>, jacrev(F) and
 *   jacfwd(F) (argnums all) == the float64 Jacobian of F by central
 *   differences (Richardson step), to 1e-6; hessian(L) == central
 *   differences of grad(L), to 1e-6;
 *   vmap(F) with batch dims at 0 / 1 / None == F run per batch element and
 *   stacked (bit for bit up to 1e-12);
 *   vmap(axis_name="v") of a pmap whose body holds psum over "v" (and over
 *   the pmap's "i") == a hand-written C loop;
 *   grad / vmap stacked on the pmap TRANSFORM (pmap(sin), out_axes None /
 *   0) == cos / sin written here. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "ad_check.h"
#include "compiler/lower.h"
#include "runtime/program.h"

#define NP 2 /* every F has two params */

static void ok(jet_status st) {
  if (st) fail_msg("unexpected error: %s", jet_status_message(st));
}

static jet_graph *parse(const char *text) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(text, strlen(text), &g);
  if (st) fail_msg("parse: %s\n%s", jet_status_message(st), text);
  return g;
}

static void perm_str(char *s, size_t cap, int n) {
  size_t k = 0;
  s[0] = 0;
  for (int i = 0; i < n; i++)
    k += (size_t)snprintf(s + k, cap - k, "%s%d, %d", i ? ", " : "", i, (i + 1) % n);
}

/* The forward programs, case 0..3, at axis size n. */
static jet_graph *forward(int kind, int n) {
  char t[4096], p[256];
  switch (kind) {
    case 0: /* no collective; mapped + unmapped; out_axes 0 */
      snprintf(t, sizeof t,
               "graph A(%%0: f64[%d,3], %%1: f64[3]) {\n"
               "  %%2 = pmap[axis_name=\"i\", axis_size=%d, in_axes=[0, -1], out_axes=[0]] "
               "%%0, %%1 : f64[%d,3] {\n"
               "    graph body(%%0: f64[3], %%1: f64[3]) {\n"
               "      %%2 = sin %%0 : f64[3]\n      %%3 = mul %%2, %%1 : f64[3]\n"
               "      %%4 = mul %%3, %%0 : f64[3]\n      return %%4\n    }\n  }\n"
               "  return %%2\n}\n",
               n, n, n);
      break;
    case 1: /* psum, pmean; in_axes 1 / -1; out_axes 1 / -1 (same on all members) */
      snprintf(t, sizeof t,
               "graph B(%%0: f64[3,%d], %%1: f64[3]) {\n"
               "  %%2, %%3 = pmap[axis_name=\"i\", axis_size=%d, in_axes=[1, -1], "
               "out_axes=[1, -1]] %%0, %%1 : f64[3,%d], f64[] {\n"
               "    graph body(%%0: f64[3], %%1: f64[3]) {\n"
               "      %%2 = mul %%0, %%1 : f64[3]\n"
               "      %%3 = reduce_sum[axes=[0]] %%2 : f64[]\n"
               "      %%4 = psum[axis_name=\"i\"] %%3 : f64[]\n"
               "      %%5 = constant[value=f64[]{1}] : f64[]\n"
               "      %%6 = psum[axis_name=\"i\"] %%5 : f64[]\n"
               "      %%7 = div %%4, %%6 : f64[]\n"
               "      %%8 = broadcast_in_dim[shape=[3], broadcast_dimensions=[]] %%7 : f64[3]\n"
               "      %%9 = tanh %%0 : f64[3]\n      %%10 = mul %%9, %%8 : f64[3]\n"
               "      %%11 = mul %%4, %%7 : f64[]\n      return %%10, %%11\n    }\n  }\n"
               "  return %%2, %%3\n}\n",
               n, n, n);
      break;
    case 2: /* all_gather; out_axes 0 and -1 (member 0's value, differs per member) */
      snprintf(t, sizeof t,
               "graph C(%%0: f64[%d,3], %%1: f64[3]) {\n"
               "  %%2, %%3 = pmap[axis_name=\"i\", axis_size=%d, in_axes=[0, -1], "
               "out_axes=[0, -1]] %%0, %%1 : f64[%d,3], f64[3] {\n"
               "    graph body(%%0: f64[3], %%1: f64[3]) {\n"
               "      %%2 = mul %%0, %%0 : f64[3]\n"
               "      %%3 = all_gather[axis_name=\"i\", axis_size=%d, axis=0] %%2 : f64[%d,3]\n"
               "      %%4 = reduce_sum[axes=[0]] %%3 : f64[3]\n"
               "      %%5 = sin %%0 : f64[3]\n      %%6 = mul %%5, %%4 : f64[3]\n"
               "      %%7 = mul %%0, %%1 : f64[3]\n      %%8 = cos %%7 : f64[3]\n"
               "      return %%6, %%8\n    }\n  }\n"
               "  return %%2, %%3\n}\n",
               n, n, n, n, n);
      break;
    default: /* ppermute i -> i+1; both mapped; out_axes 1 */
      perm_str(p, sizeof p, n);
      snprintf(t, sizeof t,
               "graph D(%%0: f64[%d,3], %%1: f64[%d,3]) {\n"
               "  %%2 = pmap[axis_name=\"i\", axis_size=%d, in_axes=[0, 0], out_axes=[1]] "
               "%%0, %%1 : f64[3,%d] {\n"
               "    graph body(%%0: f64[3], %%1: f64[3]) {\n"
               "      %%2 = sin %%0 : f64[3]\n"
               "      %%3 = ppermute[axis_name=\"i\", perm=[%s]] %%2 : f64[3]\n"
               "      %%4 = mul %%3, %%1 : f64[3]\n      %%5 = mul %%4, %%0 : f64[3]\n"
               "      return %%5\n    }\n  }\n"
               "  return %%2\n}\n",
               n, n, n, n, p);
      break;
  }
  return parse(t);
}

/* ------------------------------------------------------------ running */

/* Runs g on the reference executor and compiled; both must agree to
 * 1e-12. outs: malloc'd (adc_bufs_free) from the reference executor. */
static void run_both(const jet_graph *g, const jet_buf *args, uint32_t n, jet_buf *outs,
                     const char *what) {
  if (!adc_run(g, args, n, outs, "pmap_ad", what)) fail_msg("%s: reference run failed", what);
  jet_graph *clean = NULL;
  jet_program *prog = NULL;
  ok(jet_passes_cleanup(g, &clean));
  jet_status st = jet_lower(clean, &prog);
  if (st) fail_msg("%s: lower: %s", what, jet_status_message(st));
  jet_buf got[ADC_MAX * 4];
  st = jet_program_run(prog, args, n, NULL, got, NULL);
  if (st) fail_msg("%s: compiled run: %s", what, jet_status_message(st));
  for (uint32_t j = 0; j < g->n_outputs; j++) {
    assert_true(jet_type_equal(&got[j].type, &outs[j].type));
    for (int64_t k = 0; k < adc_numel(&outs[j]); k++) {
      double a = adc_get(&outs[j], k), b = adc_get(&got[j], k);
      if (!(fabs(a - b) <= 1e-12 * fmax(1, fabs(a))))
        fail_msg("%s: output %u element %lld: reference %.17g compiled %.17g", what, j,
                 (long long)k, a, b);
    }
    jet_mem_free(got[j].data);
  }
  jet_program_destroy(prog);
  jet_graph_destroy(clean);
}

static jet_graph *derive(const jet_graph *f, const jet_transform *tfs, uint32_t n) {
  jet_graph *g = NULL;
  jet_status st = adc_transform(f, tfs, n, &g);
  if (st) fail_msg("transform of '%s': %s", f->name, jet_status_message(st));
  return g;
}

static const int32_t kArgs[NP] = {0, 1};
static jet_transform with_args(jet_transform_kind k) {
  jet_transform t = adc_tf(k);
  t.argnums = kArgs;
  t.n_argnums = NP;
  t.argnums_tuple = true;
  return t;
}

static void rand_buf(jet_buf *b, adc_rng *r) {
  for (int64_t k = 0; k < adc_numel(b); k++) adc_set(b, k, adc_unif(r, -1.2, 1.2));
}

/* -------------------------------------------------------- AD checks */

/* The FD Jacobian: J[j][k * nin + i] = d out_j[k] / d in[i], where in is
 * the params' elements concatenated (nin in all). */
typedef struct jac {
  uint32_t no;
  int64_t nin, off[NP + 1];
  double *d[ADC_MAX];
  jet_type ot[ADC_MAX];
} jac;

static void fd_jacobian(const jet_graph *f, jet_buf *x, jac *J) {
  memset(J, 0, sizeof *J);
  J->no = f->n_outputs;
  for (uint32_t a = 0; a < NP; a++) J->off[a + 1] = J->off[a] + adc_numel(&x[a]);
  J->nin = J->off[NP];
  for (uint32_t j = 0; j < J->no; j++) {
    J->ot[j] = f->value_types[f->outputs[j]];
    J->d[j] = calloc((size_t)(jet_type_numel(&J->ot[j]) * J->nin), sizeof(double));
  }
  const double h = 1e-4, s[4] = {h, -h, h / 2, -h / 2};
  for (uint32_t a = 0; a < NP; a++) {
    for (int64_t e = 0; e < adc_numel(&x[a]); e++) {
      const double x0 = adc_get(&x[a], e);
      jet_buf o[4][ADC_MAX];
      for (int k = 0; k < 4; k++) {
        adc_set(&x[a], e, x0 + s[k]);
        if (!adc_run(f, x, NP, o[k], "pmap_ad", "fd")) fail_msg("FD run failed");
      }
      adc_set(&x[a], e, x0);
      for (uint32_t j = 0; j < J->no; j++) {
        for (int64_t k = 0; k < adc_numel(&o[0][j]); k++) {
          double d1 = (adc_get(&o[0][j], k) - adc_get(&o[1][j], k)) / (2 * h);
          double d2 = (adc_get(&o[2][j], k) - adc_get(&o[3][j], k)) / h;
          J->d[j][k * J->nin + J->off[a] + e] = (4 * d2 - d1) / 3;
        }
      }
      for (int k = 0; k < 4; k++) adc_bufs_free(o[k], J->no);
    }
  }
}

static int near(const char *what, int64_t k, double got, double want) {
  if (fabs(got - want) <= 1e-6 * fmax(1, fabs(want))) return 0;
  fprintf(stderr, "[%s] element %lld: got %.12g, finite differences %.12g\n", what, (long long)k,
          got, want);
  return 1;
}

/* L(x) = sum_j sum(u_j * F_j(x)) as a graph (a copy of f plus the loss). */
static jet_graph *loss_of(const jet_graph *f, const jet_buf *u) {
  adc_b b = {NULL, adc_clone(f, &b.g)};
  jet_value acc = JET_NO_VALUE;
  for (uint32_t j = 0; j < f->n_outputs; j++) {
    jet_value m = adc_op2(&b, JET_OP_MUL, f->outputs[j], adc_const(&b, u[j].type, u[j].data));
    int64_t axes[JET_MAX_RANK];
    for (int32_t d = 0; d < u[j].type.rank; d++) axes[d] = d;
    jet_attr ax = adc_ints("axes", axes, (uint32_t)u[j].type.rank);
    if (u[j].type.rank) m = adc_op(&b, JET_OP_REDUCE_SUM, &m, 1, &ax, 1);
    acc = acc == JET_NO_VALUE ? m : adc_op2(&b, JET_OP_ADD, acc, m);
  }
  adc_outputs(&b, &acc, 1);
  jet_graph *g = adc_finish(&b, "loss");
  assert_non_null(g);
  return g;
}

/* hessian(L) (argnums all: one array per (a, b), p_a.shape + p_b.shape)
 * == central differences of grad(L) (itself checked above), to 1e-6. */
static int check_hessian(const jet_graph *L, jet_buf *x, const char *label) {
  char what[160];
  int fails = 0;
  jet_transform tg = with_args(JET_TF_GRAD), th = with_args(JET_TF_HESSIAN);
  jet_graph *Gg = derive(L, &tg, 1), *H = derive(L, &th, 1);
  jet_buf o[NP * NP], gp[NP], gm[NP];
  snprintf(what, sizeof what, "hessian %s", label);
  run_both(H, x, NP, o, what);
  const double h = 1e-5;
  for (uint32_t b = 0; b < NP; b++) {
    const int64_t nb = adc_numel(&x[b]);
    for (int64_t j = 0; j < nb; j++) {
      const double x0 = adc_get(&x[b], j);
      adc_set(&x[b], j, x0 + h);
      if (!adc_run(Gg, x, NP, gp, "pmap_ad", "grad+")) fail_msg("grad run failed");
      adc_set(&x[b], j, x0 - h);
      if (!adc_run(Gg, x, NP, gm, "pmap_ad", "grad-")) fail_msg("grad run failed");
      adc_set(&x[b], j, x0);
      for (uint32_t a = 0; a < NP; a++)
        for (int64_t i = 0; i < adc_numel(&x[a]); i++)
          fails += near(what, i * nb + j, adc_get(&o[a * NP + b], i * nb + j),
                        (adc_get(&gp[a], i) - adc_get(&gm[a], i)) / (2 * h));
      adc_bufs_free(gp, NP);
      adc_bufs_free(gm, NP);
    }
  }
  adc_bufs_free(o, NP * NP);
  jet_graph_destroy(H);
  jet_graph_destroy(Gg);
  return fails;
}

static int check_ad(int kind, int n) {
  char what[96];
  int fails = 0;
  adc_rng r = {(uint64_t)(kind * 100 + n)};
  jet_graph *f = forward(kind, n);
  jet_buf x[NP], v[NP], u[ADC_MAX], o[ADC_MAX * 4];
  for (uint32_t a = 0; a < NP; a++) {
    x[a] = adc_buf(f->value_types[a]);
    v[a] = adc_buf(f->value_types[a]);
    rand_buf(&x[a], &r);
    rand_buf(&v[a], &r);
  }
  jac J;
  fd_jacobian(f, x, &J);
  for (uint32_t j = 0; j < J.no; j++) {
    u[j] = adc_buf(J.ot[j]);
    rand_buf(&u[j], &r);
  }
  /* jvp: (x, v) -> (F(x), J v) */
  jet_transform tj = adc_tf(JET_TF_JVP);
  jet_graph *G = derive(f, &tj, 1);
  jet_buf args[2 * NP] = {x[0], x[1], v[0], v[1]};
  snprintf(what, sizeof what, "jvp case %d n %d", kind, n);
  run_both(G, args, 2 * NP, o, what);
  for (uint32_t j = 0; j < J.no; j++) {
    for (int64_t k = 0; k < adc_numel(&u[j]); k++) {
      double want = 0;
      for (uint32_t a = 0; a < NP; a++)
        for (int64_t e = 0; e < adc_numel(&x[a]); e++)
          want += J.d[j][k * J.nin + J.off[a] + e] * adc_get(&v[a], e);
      fails += near(what, k, adc_get(&o[J.no + j], k), want);
    }
  }
  adc_bufs_free(o, G->n_outputs);
  jet_graph_destroy(G);
  /* grad and value_and_grad of L: J^T u */
  jet_graph *L = loss_of(f, u);
  double lval = 0;
  {
    jet_buf y[ADC_MAX];
    if (!adc_run(f, x, NP, y, "pmap_ad", "F")) fail_msg("F run failed");
    for (uint32_t j = 0; j < J.no; j++)
      for (int64_t k = 0; k < adc_numel(&y[j]); k++) lval += adc_get(&u[j], k) * adc_get(&y[j], k);
    adc_bufs_free(y, J.no);
  }
  for (int vg = 0; vg < 2; vg++) {
    jet_transform tg = with_args(vg ? JET_TF_VALUE_AND_GRAD : JET_TF_GRAD);
    G = derive(L, &tg, 1);
    snprintf(what, sizeof what, "%s case %d n %d", vg ? "value_and_grad" : "grad", kind, n);
    run_both(G, x, NP, o, what);
    if (vg) fails += near(what, -1, adc_get(&o[0], 0), lval);
    for (uint32_t a = 0; a < NP; a++) {
      for (int64_t e = 0; e < adc_numel(&x[a]); e++) {
        double want = 0;
        for (uint32_t j = 0; j < J.no; j++)
          for (int64_t k = 0; k < adc_numel(&u[j]); k++)
            want += adc_get(&u[j], k) * J.d[j][k * J.nin + J.off[a] + e];
        fails += near(what, e, adc_get(&o[vg + a], e), want);
      }
    }
    adc_bufs_free(o, G->n_outputs);
    jet_graph_destroy(G);
  }
  snprintf(what, sizeof what, "case %d n %d", kind, n);
  fails += check_hessian(L, x, what);
  jet_graph_destroy(L);
  /* jacrev and jacfwd: one array per (output j, param a), j outer */
  for (int fw = 0; fw < 2; fw++) {
    jet_transform tr = with_args(fw ? JET_TF_JACFWD : JET_TF_JACREV);
    G = derive(f, &tr, 1);
    snprintf(what, sizeof what, "%s case %d n %d", fw ? "jacfwd" : "jacrev", kind, n);
    run_both(G, x, NP, o, what);
    assert_int_equal(G->n_outputs, J.no * NP);
    for (uint32_t j = 0; j < J.no; j++) {
      for (uint32_t a = 0; a < NP; a++) {
        const jet_buf *q = &o[j * NP + a];
        const int64_t na = adc_numel(&x[a]);
        assert_int_equal(adc_numel(q), jet_type_numel(&J.ot[j]) * na);
        for (int64_t k = 0; k < adc_numel(q); k++)
          fails += near(what, k, adc_get(q, k), J.d[j][(k / na) * J.nin + J.off[a] + k % na]);
      }
    }
    adc_bufs_free(o, G->n_outputs);
    jet_graph_destroy(G);
  }
  for (uint32_t j = 0; j < J.no; j++) {
    free(J.d[j]);
    adc_buf_free(&u[j]);
  }
  adc_bufs_free(x, NP);
  adc_bufs_free(v, NP);
  jet_graph_destroy(f);
  return fails;
}

static void test_ad_of_pmap_against_finite_differences(void **state) {
  (void)state;
  int fails = 0;
  for (int kind = 0; kind < 4; kind++)
    for (int n = 1; n <= 3; n++) fails += check_ad(kind, n);
  assert_int_equal(fails, 0);
}

/* ------------------------------------------------------------- vmap */

/* Bytes of t's dims before / after axis ax (times the element size). */
static void split_at(const jet_type *t, int ax, size_t *outer, size_t *inner) {
  *outer = 1;
  *inner = jet_dtype_size(t->dtype);
  for (int d = 0; d < t->rank; d++) {
    if (d < ax) *outer *= (size_t)t->dims[d];
    if (d > ax) *inner *= (size_t)t->dims[d];
  }
}

/* Copies slice i of axis ax between whole (type t) and part. */
static void slice_copy(const jet_type *t, int ax, int64_t i, void *whole, void *part, bool get) {
  size_t outer, inner;
  split_at(t, ax, &outer, &inner);
  const size_t n = (size_t)t->dims[ax];
  for (size_t k = 0; k < outer; k++) {
    char *w = (char *)whole + (k * n + (size_t)i) * inner, *p = (char *)part + k * inner;
    memcpy(get ? p : w, get ? w : p, inner);
  }
}

static void check_vmap(int kind, int n, const jet_axis_spec *in) {
  const int64_t B = 3;
  char what[96];
  snprintf(what, sizeof what, "vmap case %d n %d in_axes (%d,%d)", kind, n,
           in[0].mapped ? (int)in[0].axis : -1, in[1].mapped ? (int)in[1].axis : -1);
  adc_rng r = {(uint64_t)(kind * 7 + n)};
  jet_graph *f = forward(kind, n);
  jet_transform tv = gb_vmap(in, NP, NULL, 0, B);
  jet_graph *G = derive(f, &tv, 1);
  jet_buf xb[NP], o[ADC_MAX];
  for (uint32_t a = 0; a < NP; a++) {
    xb[a] = adc_buf(G->value_types[a]);
    rand_buf(&xb[a], &r);
  }
  run_both(G, xb, NP, o, what);
  for (int64_t e = 0; e < B; e++) {
    jet_buf xs[NP], y[ADC_MAX];
    for (uint32_t a = 0; a < NP; a++) {
      xs[a] = adc_buf(f->value_types[a]);
      if (in[a].mapped)
        slice_copy(&xb[a].type, (int)in[a].axis, e, xb[a].data, xs[a].data, true);
      else
        memcpy(xs[a].data, xb[a].data, jet_type_nbytes(&xs[a].type));
    }
    if (!adc_run(f, xs, NP, y, "pmap_ad", "per example")) fail_msg("%s: F failed", what);
    for (uint32_t j = 0; j < f->n_outputs; j++) {
      jet_buf s = adc_buf(y[j].type);
      slice_copy(&o[j].type, 0, e, o[j].data, s.data, true);
      for (int64_t k = 0; k < adc_numel(&s); k++) {
        double a = adc_get(&s, k), b = adc_get(&y[j], k);
        if (!(fabs(a - b) <= 1e-12 * fmax(1, fabs(b))))
          fail_msg("%s: example %lld output %u element %lld: vmap %.17g, per example %.17g",
                   what, (long long)e, j, (long long)k, a, b);
      }
      adc_buf_free(&s);
    }
    adc_bufs_free(y, f->n_outputs);
    adc_bufs_free(xs, NP);
  }
  adc_bufs_free(o, G->n_outputs);
  adc_bufs_free(xb, NP);
  jet_graph_destroy(G);
  jet_graph_destroy(f);
}

static void test_vmap_of_pmap_matches_per_example(void **state) {
  (void)state;
  const jet_axis_spec in[3][NP] = {{{true, 0}, {true, 0}},
                                   {{true, 1}, {false, 0}},
                                   {{true, 2}, {true, 1}}};
  for (int kind = 0; kind < 4; kind++)
    for (int n = 1; n <= 3; n++)
      for (int c = 0; c < 3; c++) check_vmap(kind, n, in[c]);
}

/* vmap(axis_name="v") over pmap(axis "i") whose body computes
 * x * psum_v(x) + psum_i(x): out[b, m, :] = X[b, m, :] * sum_b' X[b', m, :]
 * + sum_m' X[b, m', :]. */
static void test_vmap_axis_name_collective_inside_pmap(void **state) {
  (void)state;
  for (int n = 1; n <= 3; n++) {
    const int B = 4;
    char t[2048];
    snprintf(t, sizeof t,
             "graph E(%%0: f64[%d,3]) {\n"
             "  %%1 = pmap[axis_name=\"i\", axis_size=%d, in_axes=[0], out_axes=[0]] %%0 : "
             "f64[%d,3] {\n"
             "    graph body(%%0: f64[3]) {\n"
             "      %%1 = psum[axis_name=\"v\"] %%0 : f64[3]\n"
             "      %%2 = mul %%0, %%1 : f64[3]\n"
             "      %%3 = psum[axis_name=\"i\"] %%0 : f64[3]\n"
             "      %%4 = add %%2, %%3 : f64[3]\n      return %%4\n    }\n  }\n"
             "  return %%1\n}\n",
             n, n, n);
    jet_graph *f = parse(t);
    static const jet_axis_spec in0 = {true, 0};
    jet_transform tv = gb_vmap(&in0, 1, NULL, 0, B);
    tv.axis_name = "v";
    jet_graph *G = derive(f, &tv, 1);
    jet_buf x = adc_buf(G->value_types[0]), o[1];
    adc_rng r = {(uint64_t)n};
    rand_buf(&x, &r);
    run_both(G, &x, 1, o, "vmap axis_name over pmap");
    const double *X = x.data;
    for (int b = 0; b < B; b++)
      for (int m = 0; m < n; m++)
        for (int c = 0; c < 3; c++) {
          double sv = 0, si = 0;
          for (int q = 0; q < B; q++) sv += X[(q * n + m) * 3 + c];
          for (int q = 0; q < n; q++) si += X[(b * n + q) * 3 + c];
          const double want = X[(b * n + m) * 3 + c] * sv + si;
          const double got = adc_get(&o[0], (b * n + m) * 3 + c);
          if (!(fabs(got - want) <= 1e-12 * fmax(1, fabs(want))))
            fail_msg("n %d [%d,%d,%d]: got %.17g want %.17g", n, b, m, c, got, want);
        }
    adc_bufs_free(o, 1);
    adc_buf_free(&x);
    jet_graph_destroy(G);
    jet_graph_destroy(f);
  }
}

/* The transform stacks of the daemon: grad on top of the pmap TRANSFORM
 * of sin with out_axes None (member 0's value: d/dx = [cos x0, 0]) and
 * vmap on top of it (out_axes 0: sin of every element). */
static void test_transform_stacks_on_pmap(void **state) {
  (void)state;
  for (int k = 0; k < 2; k++) {
    adc_b b = adc_begin("f");
    jet_value x = adc_param(&b, ADC_S(JET_F64));
    jet_value y = adc_op1(&b, JET_OP_SIN, x);
    adc_outputs(&b, &y, 1);
    jet_graph *f = adc_finish(&b, "pmap(sin)");
    assert_non_null(f);
    static const jet_axis_spec none = {false, 0};
    jet_transform t[2] = {adc_tf(JET_TF_PMAP), adc_tf(k ? JET_TF_VMAP : JET_TF_GRAD)};
    t[0].axis_size = 2;
    if (!k) t[0].out_axes = &none, t[0].n_out_axes = 1;
    if (k) t[1].axis_size = 3;
    jet_graph *G = derive(f, t, 2);
    jet_buf xb = adc_buf(G->value_types[0]), o[1];
    for (int64_t e = 0; e < adc_numel(&xb); e++) adc_set(&xb, e, 0.3 + 0.4 * (double)e);
    run_both(G, &xb, 1, o, k ? "vmap(pmap(sin))" : "grad(pmap(sin))");
    assert_int_equal(adc_numel(&o[0]), k ? 6 : 2);
    for (int64_t e = 0; e < adc_numel(&o[0]); e++) {
      const double xe = adc_get(&xb, e), want = k ? sin(xe) : e == 0 ? cos(xe) : 0.0;
      if (!(fabs(adc_get(&o[0], e) - want) <= 1e-15))
        fail_msg("stack %d element %lld: got %.17g want %.17g", k, (long long)e,
                 adc_get(&o[0], e), want);
    }
    adc_bufs_free(o, 1);
    adc_buf_free(&xb);
    jet_graph_destroy(G);
    jet_graph_destroy(f);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ad_of_pmap_against_finite_differences),
      cmocka_unit_test(test_vmap_of_pmap_matches_per_example),
      cmocka_unit_test(test_vmap_axis_name_collective_inside_pmap),
      cmocka_unit_test(test_transform_stacks_on_pmap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
