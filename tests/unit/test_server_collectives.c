/* The collectives (psum, pmax, pmin, all_gather, psum_scatter, ppermute,
 * all_to_all, axis_index) inside vmap(axis_name='i'), against references
 * computed here per example (numpy semantics written as loops over
 * multi-indices), for batch sizes 1, 2, 3, 4, 8, in_axes 0, 1 and None, and
 * each op's axis choices; every case runs twice: transformed and run by the
 * reference executor, and compiled (jet_compiler_compile with the vmap) and
 * run as a program. Also: JAX's psum doc example, nested vmaps with two
 * axis names, the shape rules' errors, the unbound-axis errors (compile
 * check and executor), and autodiff: vmap(grad(loss)) and grad(sum o
 * vmap(loss)) against central differences of the summed loss. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ad_check.h"
#include "compiler/compile.h"

#define MAXE 4096

static jet_attr an(const char *name) {
  return (jet_attr){.name = "axis_name", .kind = JET_ATTR_STR, .u.s = name};
}

/* ------------------------------------------------------------ nd helpers */

static int64_t numel(const int64_t *s, int r) {
  int64_t n = 1;
  for (int d = 0; d < r; d++) n *= s[d];
  return n;
}
static void unravel(int64_t f, const int64_t *s, int r, int64_t *idx) {
  for (int d = r - 1; d >= 0; d--) {
    idx[d] = s[d] ? f % s[d] : 0;
    f = s[d] ? f / s[d] : 0;
  }
}
static int64_t ravel(const int64_t *idx, const int64_t *s, int r) {
  int64_t f = 0;
  for (int d = 0; d < r; d++) f = f * s[d] + idx[d];
  return f;
}
/* idx with entry at pos removed (into out, rank r-1) / value v inserted. */
static void del_at(const int64_t *idx, int r, int pos, int64_t *out) {
  for (int d = 0, k = 0; d < r; d++)
    if (d != pos) out[k++] = idx[d];
}
static void ins_at(const int64_t *idx, int r, int pos, int64_t v, int64_t *out) {
  for (int d = 0, k = 0; d <= r; d++) out[d] = d == pos ? v : idx[k++];
}

/* ------------------------------------------------------------ one case */

typedef struct ccase {
  jet_op op;
  int64_t n;         /* batch (axis) size */
  int in_axis;       /* -1 = None (x unbatched) */
  int r;             /* per-example rank */
  int64_t s[4];      /* per-example shape */
  int a, b;          /* axis / scatter_dimension / split_axis, concat_axis */
  bool tiled;
  int perm_kind;     /* ppermute: 0 = shift by one, 1 = only 0 -> n-1 */
} ccase;

/* The reference: out[i] of member i (per-example shape os, rank orank)
 * from the examples xs[j] (per-example shape c->s). */
static void reference(const ccase *c, const double *xs, double *out, int64_t *os, int *orank) {
  const int r = c->r;
  const int64_t n = c->n, ne = numel(c->s, r);
  int64_t idx[5] = {0}, src[5] = {0};
  double sum[MAXE];
  for (int64_t k = 0; k < ne; k++) {
    sum[k] = 0;
    for (int64_t j = 0; j < n; j++) sum[k] += xs[j * ne + k];
  }
  int orr = r;
  for (int d = 0; d < r; d++) os[d] = c->s[d];
  switch (c->op) {
    case JET_OP_ALL_GATHER:
      if (c->tiled) os[c->a] *= n;
      else ins_at(c->s, r, c->a, n, os), orr = r + 1;
      break;
    case JET_OP_PSUM_SCATTER:
      if (c->tiled) os[c->a] /= n;
      else del_at(c->s, r, c->a, os), orr = r - 1;
      break;
    case JET_OP_ALL_TO_ALL:
      if (c->tiled) {
        os[c->a] /= n;
        os[c->b] *= n;
      } else {
        int64_t t[4] = {0};
        del_at(c->s, r, c->a, t);
        ins_at(t, r - 1, c->b, n, os);
      }
      break;
    case JET_OP_AXIS_INDEX: orr = 0; break;
    default: break;
  }
  *orank = orr;
  const int64_t on = numel(os, orr);
  for (int64_t i = 0; i < n; i++) {
    double *o = out + i * on;
    for (int64_t f = 0; f < on; f++) {
      unravel(f, os, orr, idx);
      double v = 0;
      switch (c->op) {
        case JET_OP_PSUM: v = sum[f]; break;
        case JET_OP_PMAX:
        case JET_OP_PMIN:
          v = xs[f];
          for (int64_t j = 1; j < n; j++)
            v = c->op == JET_OP_PMAX ? fmax(v, xs[j * ne + f]) : fmin(v, xs[j * ne + f]);
          break;
        case JET_OP_AXIS_INDEX: v = (double)i; break;
        case JET_OP_ALL_GATHER:
          if (c->tiled) {
            memcpy(src, idx, sizeof src);
            src[c->a] = idx[c->a] % c->s[c->a];
            v = xs[(idx[c->a] / c->s[c->a]) * ne + ravel(src, c->s, r)];
          } else {
            del_at(idx, orr, c->a, src);
            v = xs[idx[c->a] * ne + ravel(src, c->s, r)];
          }
          break;
        case JET_OP_PSUM_SCATTER:
          if (c->tiled) {
            memcpy(src, idx, sizeof src);
            src[c->a] += i * os[c->a];
          } else {
            ins_at(idx, orr, c->a, i, src);
          }
          v = sum[ravel(src, c->s, r)];
          break;
        case JET_OP_PPERMUTE: {
          int64_t from = c->perm_kind == 0 ? (i + n - 1) % n : (i == n - 1 ? 0 : -1);
          v = from < 0 ? 0 : xs[from * ne + f];
          break;
        }
        case JET_OP_ALL_TO_ALL:
          if (c->tiled) {
            int64_t m = c->s[c->a] / n, len = c->a == c->b ? m : c->s[c->b];
            int64_t j = idx[c->b] / len;
            memcpy(src, idx, sizeof src);
            src[c->b] = idx[c->b] % len;
            src[c->a] += i * m;
            v = xs[j * ne + ravel(src, c->s, r)];
          } else {
            int64_t t[4] = {0};
            del_at(idx, orr, c->b, t);
            ins_at(t, r - 1, c->a, i, src);
            v = xs[idx[c->b] * ne + ravel(src, c->s, r)];
          }
          break;
        default: break;
      }
      o[f] = v;
    }
  }
}

/* The per-example graph x -> op(x) (axis_index: x -> axis_index()). */
static jet_graph *build(const ccase *c, jet_dtype dt) {
  adc_b b = adc_begin("coll");
  jet_value x = adc_param(&b, jet_type_make(dt, c->r, c->s)), y;
  jet_attr at[5] = {an("i")};
  uint32_t na = 1;
  int64_t perm[16], np = 0;
  if (c->op == JET_OP_ALL_GATHER || c->op == JET_OP_PSUM_SCATTER || c->op == JET_OP_ALL_TO_ALL) {
    at[na++] = adc_int("axis_size", c->n);
    at[na++] = adc_bool("tiled", c->tiled);
  }
  if (c->op == JET_OP_ALL_GATHER) at[na++] = adc_int("axis", c->a);
  if (c->op == JET_OP_PSUM_SCATTER) at[na++] = adc_int("scatter_dimension", c->a);
  if (c->op == JET_OP_ALL_TO_ALL) {
    at[na++] = adc_int("split_axis", c->a);
    at[na++] = adc_int("concat_axis", c->b);
  }
  if (c->op == JET_OP_PPERMUTE) {
    for (int64_t i = 0; i < c->n && c->perm_kind == 0; i++) {
      perm[np++] = i;
      perm[np++] = (i + 1) % c->n;
    }
    if (c->perm_kind == 1) {
      perm[np++] = 0;
      perm[np++] = c->n - 1;
    }
    at[na++] = adc_ints("perm", perm, (uint32_t)np);
  }
  y = c->op == JET_OP_AXIS_INDEX ? adc_op(&b, c->op, NULL, 0, at, na) : adc_op(&b, c->op, &x, 1, at, na);
  adc_outputs(&b, &y, 1);
  if (b.st) fail_msg("building %s: %s", jet_op_name(c->op), jet_status_message(b.st));
  return b.g;
}

static jet_transform vmap_i(const jet_axis_spec *in, int64_t n, const char *name) {
  jet_transform t = gb_vmap(in, 1, NULL, 0, n);
  t.axis_name = name;
  return t;
}

/* Compares out (type [n, os...]) with want; the label names the case. */
static int compare(const char *what, const ccase *c, const jet_buf *out, const double *want,
                   const int64_t *os, int orank) {
  char lab[160];
  snprintf(lab, sizeof lab, "%s %s n=%lld in_axis=%d a=%d b=%d tiled=%d perm=%d", what,
           jet_op_name(c->op), (long long)c->n, c->in_axis, c->a, c->b, c->tiled, c->perm_kind);
  bool shape_ok = out->type.rank == orank + 1 && out->type.dims[0] == c->n;
  for (int d = 0; shape_ok && d < orank; d++) shape_ok = out->type.dims[d + 1] == os[d];
  if (!shape_ok) {
    char t[JET_TYPE_STR_MAX];
    fprintf(stderr, "[%s] result type %s\n", lab, jet_type_str(&out->type, t, sizeof t));
    return 1;
  }
  for (int64_t k = 0; k < adc_numel(out); k++) {
    if (adc_get(out, k) != want[k]) {
      fprintf(stderr, "[%s] element %lld: got %g, want %g\n", lab, (long long)k, adc_get(out, k), want[k]);
      return 1;
    }
  }
  return 0;
}

/* Runs case c (dtype dt) both ways; returns the failure count. */
static int run_case(jet_cache *cache, const ccase *c, jet_dtype dt) {
  const int r = c->r;
  const int64_t n = c->n, ne = numel(c->s, r);
  int64_t xs_shape[5], idx[5], src[5];
  int xr = r;
  if (c->in_axis >= 0) {
    ins_at(c->s, r, c->in_axis, n, xs_shape);
    xr = r + 1;
  } else {
    memcpy(xs_shape, c->s, sizeof c->s);
  }
  jet_buf X = adc_buf(jet_type_make(dt, xr, xs_shape));
  static double xs[MAXE], want[MAXE];
  for (int64_t k = 0; k < adc_numel(&X); k++) adc_set(&X, k, (double)((k * 37 + n * 11) % 23) / 8.0 - 1.25);
  for (int64_t j = 0; j < n; j++) /* example j of every mapped input */
    for (int64_t f = 0; f < ne; f++) {
      unravel(f, c->s, r, idx);
      if (c->in_axis >= 0) ins_at(idx, r, c->in_axis, j, src);
      xs[j * ne + f] = adc_get(&X, c->in_axis >= 0 ? ravel(src, xs_shape, xr) : f);
    }
  int64_t os[5];
  int orank;
  reference(c, xs, want, os, &orank);
  jet_axis_spec in = {c->in_axis >= 0, c->in_axis};
  jet_transform tf = vmap_i(&in, n, "i");
  int fails = 0;
  /* 1: transformed, reference executor */
  jet_graph *t = NULL;
  jet_status st = jet_transforms_apply(build(c, dt), &tf, 1, &t);
  jet_buf out[1];
  if (st || !adc_run(t, &X, 1, out, "coll", "batched")) {
    fprintf(stderr, "%s: %s\n", jet_op_name(c->op), st ? jet_status_message(st) : "run failed");
    fails++;
  } else {
    fails += compare("executor", c, &out[0], want, os, orank);
    adc_buf_free(&out[0]);
  }
  jet_status_free(st);
  jet_graph_destroy(t);
  /* 2: compiled with the vmap, run as a program */
  jet_executable *exe = NULL;
  bool hit;
  st = jet_compiler_compile(cache, build(c, dt), &tf, 1, NULL, 0, &exe, &hit);
  if (!st) st = jet_program_run(exe->program, &X, 1, NULL, out, NULL);
  if (st) {
    fprintf(stderr, "%s compiled: %s\n", jet_op_name(c->op), jet_status_message(st));
    fails++;
  } else {
    fails += compare("compiled", c, &out[0], want, os, orank);
    jet_mem_free(out[0].data);
  }
  jet_status_free(st);
  if (exe) jet_executable_release(exe);
  adc_buf_free(&X);
  return fails;
}

static void test_every_collective_in_vmap(void **state) {
  (void)state;
  jet_cache *cache = jet_cache_create(64);
  static const int64_t sizes[] = {1, 2, 3, 4, 8};
  int fails = 0, count = 0;
  for (size_t si = 0; si < 5; si++) {
    const int64_t n = sizes[si];
    ccase cs[96];
    int nc = 0;
    for (int ia = -1; ia <= 1; ia++) {
#define ADD(...) cs[nc++] = (ccase){.n = n, .in_axis = ia, __VA_ARGS__}
      ADD(.op = JET_OP_PSUM, .r = 2, .s = {3, 2});
      ADD(.op = JET_OP_PMAX, .r = 2, .s = {2, 3});
      ADD(.op = JET_OP_PMIN, .r = 1, .s = {4});
      ADD(.op = JET_OP_AXIS_INDEX, .r = 1, .s = {2});
      for (int a = 0; a <= 2; a++) ADD(.op = JET_OP_ALL_GATHER, .r = 2, .s = {2, 3}, .a = a);
      for (int a = 0; a <= 1; a++) ADD(.op = JET_OP_ALL_GATHER, .r = 2, .s = {2, 3}, .a = a, .tiled = true);
      ADD(.op = JET_OP_PSUM_SCATTER, .r = 2, .s = {n, 3}, .a = 0);
      ADD(.op = JET_OP_PSUM_SCATTER, .r = 2, .s = {3, n}, .a = 1);
      ADD(.op = JET_OP_PSUM_SCATTER, .r = 2, .s = {2 * n, 3}, .a = 0, .tiled = true);
      ADD(.op = JET_OP_PSUM_SCATTER, .r = 2, .s = {2, 3 * n}, .a = 1, .tiled = true);
      ADD(.op = JET_OP_PPERMUTE, .r = 2, .s = {2, 2}, .perm_kind = 0);
      ADD(.op = JET_OP_PPERMUTE, .r = 1, .s = {3}, .perm_kind = 1);
      for (int b = 0; b <= 1; b++) {
        ADD(.op = JET_OP_ALL_TO_ALL, .r = 2, .s = {n, 3}, .a = 0, .b = b);
        ADD(.op = JET_OP_ALL_TO_ALL, .r = 2, .s = {3, n}, .a = 1, .b = b);
        ADD(.op = JET_OP_ALL_TO_ALL, .r = 3, .s = {2, n, 2}, .a = 1, .b = 2 * b);
        ADD(.op = JET_OP_ALL_TO_ALL, .r = 2, .s = {2 * n, 3}, .a = 0, .b = b, .tiled = true);
        ADD(.op = JET_OP_ALL_TO_ALL, .r = 2, .s = {3, 2 * n}, .a = 1, .b = b, .tiled = true);
      }
#undef ADD
    }
    for (int k = 0; k < nc; k++, count++) {
      fails += run_case(cache, &cs[k], JET_F64);
      if (cs[k].op != JET_OP_AXIS_INDEX && k % 3 == 0) fails += run_case(cache, &cs[k], JET_I32);
    }
  }
  fprintf(stderr, "%d collective cases, %d failures\n", count, fails);
  jet_cache_destroy(cache);
  assert_int_equal(fails, 0);
}

/* Runs g (consumed) after tfs with the reference executor; outs are freed
 * by the caller (adc_buf_free). */
static void transform_run(jet_graph *g, const jet_transform *tfs, uint32_t n, const jet_buf *args,
                          uint32_t na, jet_buf *outs) {
  jet_graph *t = NULL;
  jet_status st = jet_transforms_apply(g, tfs, n, &t);
  if (st) fail_msg("transforms: %s", jet_status_message(st));
  bool ok = adc_run(t, args, na, outs, "transform_run", "run");
  jet_graph_destroy(t);
  assert_true(ok);
}

/* JAX's docstring: vmap(lambda x: psum(x, 'i'), axis_name='i')(arange(12.).reshape(3, 4)). */
static void test_jax_doc_example(void **state) {
  (void)state;
  adc_b b = adc_begin("doc");
  jet_value x = adc_param(&b, ADC_T(JET_F32, 4));
  jet_attr a = an("i");
  jet_value y = adc_op(&b, JET_OP_PSUM, &x, 1, &a, 1);
  adc_outputs(&b, &y, 1);
  assert_null(b.st);
  jet_axis_spec in = {true, 0};
  jet_transform tf = vmap_i(&in, 3, "i");
  jet_buf X = adc_buf(ADC_T(JET_F32, 3, 4)), out[1];
  for (int k = 0; k < 12; k++) adc_set(&X, k, k);
  transform_run(b.g, &tf, 1, &X, 1, out);
  static const double want[4] = {12, 15, 18, 21};
  assert_int_equal(adc_numel(&out[0]), 12);
  for (int k = 0; k < 12; k++) assert_true(adc_get(&out[0], k) == want[k % 4]);
  adc_buf_free(&out[0]);
  adc_buf_free(&X);
}

/* vmap(vmap(f, axis_name='j'), axis_name='i') over X[3, 2] (both in_axes
 * 0), f(x) = (psum(x, 'i'), psum(x, 'j'), axis_index('i'), axis_index('j')):
 * the inner vmap passes the 'i' collectives through. Also with the names
 * swapped between the levels. */
static void test_nested_two_names(void **state) {
  (void)state;
  for (int swap = 0; swap < 2; swap++) {
    const char *inner = swap ? "i" : "j", *outer = swap ? "j" : "i";
    adc_b b = adc_begin("nested");
    jet_value x = adc_param(&b, ADC_S(JET_F64));
    jet_attr ai = an("i"), aj = an("j");
    jet_value y[4] = {adc_op(&b, JET_OP_PSUM, &x, 1, &ai, 1), adc_op(&b, JET_OP_PSUM, &x, 1, &aj, 1),
                      adc_op(&b, JET_OP_AXIS_INDEX, NULL, 0, &ai, 1),
                      adc_op(&b, JET_OP_AXIS_INDEX, NULL, 0, &aj, 1)};
    adc_outputs(&b, y, 4);
    assert_null(b.st);
    jet_axis_spec in = {true, 0};
    jet_transform tf[2] = {vmap_i(&in, 2, inner), vmap_i(&in, 3, outer)};
    jet_buf X = adc_buf(ADC_T(JET_F64, 3, 2)), out[4];
    for (int k = 0; k < 6; k++) adc_set(&X, k, k * k + 1);
    transform_run(b.g, tf, 2, &X, 1, out);
    for (int p = 0; p < 3; p++) {
      for (int q = 0; q < 2; q++) {
        double si = 0, sj = 0; /* X[p][q]: p is the outer member, q the inner one */
        for (int k = 0; k < 3; k++) *(swap ? &sj : &si) += adc_get(&X, k * 2 + q);
        for (int k = 0; k < 2; k++) *(swap ? &si : &sj) += adc_get(&X, p * 2 + k);
        assert_true(adc_get(&out[0], p * 2 + q) == si);
        assert_true(adc_get(&out[1], p * 2 + q) == sj);
        assert_int_equal((int)adc_get(&out[2], p * 2 + q), swap ? q : p);
        assert_int_equal((int)adc_get(&out[3], p * 2 + q), swap ? p : q);
      }
    }
    for (int k = 0; k < 4; k++) adc_buf_free(&out[k]);
    adc_buf_free(&X);
  }
}

static void expect_infer_error(jet_op op, jet_type t, const jet_attr *at, uint32_t na, const char *sub) {
  jet_type res[2];
  uint32_t n = 0;
  jet_status st = jet_infer(op, &t, op == JET_OP_AXIS_INDEX ? 0 : 1, at, na, NULL, NULL, 0, res, 2, &n);
  if (!st || jet_status_code(st) != JET_INVALID_ARGUMENT || !strstr(jet_status_message(st), sub))
    fail_msg("%s: expected INVALID_ARGUMENT '%s', got %s", jet_op_name(op), sub,
             st ? jet_status_message(st) : "success");
  jet_status_free(st);
}

static void expect_infer(jet_op op, jet_type t, const jet_attr *at, uint32_t na, jet_type want) {
  jet_type res[2];
  uint32_t n = 0;
  jet_status st = jet_infer(op, &t, 1, at, na, NULL, NULL, 0, res, 2, &n);
  if (st) fail_msg("%s: %s", jet_op_name(op), jet_status_message(st));
  assert_true(jet_type_equal(&res[0], &want));
}

static void test_shape_rules(void **state) {
  (void)state;
  jet_type t23 = ADC_T(JET_F32, 2, 3), t64 = ADC_T(JET_F32, 6, 4);
  jet_attr g1[4] = {an("i"), adc_int("axis_size", 4), adc_int("axis", 1), adc_bool("tiled", true)};
  expect_infer(JET_OP_ALL_GATHER, t23, g1, 4, ADC_T(JET_F32, 2, 12));
  jet_attr s1[4] = {an("i"), adc_int("axis_size", 3), adc_int("scatter_dimension", 0), adc_bool("tiled", true)};
  expect_infer(JET_OP_PSUM_SCATTER, t64, s1, 4, ADC_T(JET_F32, 2, 4));
  jet_attr a1[5] = {an("i"), adc_int("axis_size", 2), adc_int("split_axis", 1), adc_int("concat_axis", 0),
                    adc_bool("tiled", true)};
  expect_infer(JET_OP_ALL_TO_ALL, t64, a1, 5, ADC_T(JET_F32, 12, 2));
  a1[2] = adc_int("split_axis", 0);
  a1[3] = adc_int("concat_axis", 0);
  expect_infer(JET_OP_ALL_TO_ALL, t64, a1, 5, t64);
  /* errors name the attribute */
  jet_attr e0 = an("");
  expect_infer_error(JET_OP_PSUM, t23, &e0, 1, "attribute 'axis_name' of psum must not be empty");
  expect_infer_error(JET_OP_AXIS_INDEX, t23, &e0, 1, "'axis_name'");
  jet_attr e1[3] = {an("i"), adc_int("axis_size", 0), adc_int("axis", 0)};
  expect_infer_error(JET_OP_ALL_GATHER, t23, e1, 3, "attribute 'axis_size' of all_gather is 0");
  e1[1] = adc_int("axis_size", 2);
  e1[2] = adc_int("axis", 3);
  expect_infer_error(JET_OP_ALL_GATHER, t23, e1, 3, "attribute 'axis' of all_gather is 3");
  jet_attr e2[3] = {an("i"), adc_int("axis_size", 4), adc_int("scatter_dimension", 1)};
  expect_infer_error(JET_OP_PSUM_SCATTER, t23, e2, 3, "must equal attribute 'axis_size' 4");
  jet_attr e3[4] = {an("i"), adc_int("axis_size", 4), adc_int("scatter_dimension", 1), adc_bool("tiled", true)};
  expect_infer_error(JET_OP_PSUM_SCATTER, t23, e3, 4, "not divisible by attribute 'axis_size' 4");
  jet_attr e4[2] = {an("i"), ADC_INTS("perm", 0, 1, 2, 1)};
  expect_infer_error(JET_OP_PPERMUTE, t23, e4, 2, "names destination 1 twice");
  e4[1] = ADC_INTS("perm", 0, 1, 0, 2);
  expect_infer_error(JET_OP_PPERMUTE, t23, e4, 2, "names source 0 twice");
  e4[1] = ADC_INTS("perm", 0, 1, 2);
  expect_infer_error(JET_OP_PPERMUTE, t23, e4, 2, "(source, destination) pairs");
  e4[1] = ADC_INTS("perm", 0, -1);
  expect_infer_error(JET_OP_PPERMUTE, t23, e4, 2, "attribute 'perm' entry 1 is -1");
  jet_attr e5[4] = {an("i"), adc_int("axis_size", 4), adc_int("split_axis", 1), adc_int("concat_axis", 0)};
  expect_infer_error(JET_OP_ALL_TO_ALL, t23, e5, 4, "all_to_all requires the size of the mapped axis");
  e5[3] = adc_int("concat_axis", 2);
  expect_infer_error(JET_OP_ALL_TO_ALL, t23, e5, 4, "attribute 'concat_axis' of all_to_all is 2");
}

#define UNBOUND "unbound axis name: i. The following axis names (e.g. defined by pmap) are " \
                "available to collective operations: []"

static void expect_unbound(jet_status st, const char *prefix) {
  char want[300];
  snprintf(want, sizeof want, "%s" UNBOUND, prefix);
  if (!st || jet_status_code(st) != JET_INVALID_ARGUMENT || !strstr(jet_status_message(st), want))
    fail_msg("expected INVALID_ARGUMENT '%s', got %s", want, st ? jet_status_message(st) : "success");
  jet_status_free(st);
}

/* A collective outside any vmap of its name: refused by Compile (also
 * inside a cond's branch, and under a vmap of another name) and by the
 * executor; a ppermute perm entry outside the axis is refused by vmap. */
static void test_unbound_axis(void **state) {
  (void)state;
  jet_cache *cache = jet_cache_create(8);
  jet_executable *exe = NULL;
  bool hit;
  ccase c = {.op = JET_OP_PSUM, .n = 2, .r = 1, .s = {3}};
  expect_unbound(jet_compiler_compile(cache, build(&c, JET_F32), NULL, 0, NULL, 0, &exe, &hit),
                 "node 0 (psum): ");
  jet_axis_spec in = {true, 0};
  jet_transform tj = vmap_i(&in, 2, "j");
  c.op = JET_OP_AXIS_INDEX;
  expect_unbound(jet_compiler_compile(cache, build(&c, JET_F32), &tj, 1, NULL, 0, &exe, &hit),
                 "node 0 (axis_index): ");
  /* in a cond branch */
  adc_b b = adc_begin("cond");
  jet_value p = adc_param(&b, ADC_S(JET_BOOL)), x = adc_param(&b, ADC_T(JET_F32, 3));
  jet_graph *br[2] = {jet_graph_create_child(b.g, "b0"), jet_graph_create_child(b.g, "b1")};
  for (int k = 0; k < 2; k++) {
    adc_b cb = {br[k], NULL};
    jet_value q = adc_param(&cb, ADC_T(JET_F32, 3)), a = q;
    jet_attr at = an("i");
    if (k) a = adc_op(&cb, JET_OP_PMAX, &q, 1, &at, 1);
    adc_outputs(&cb, &a, 1);
    assert_null(cb.st);
  }
  jet_value ops[2] = {p, x}, y = 0;
  assert_null(jet_graph_add_node_sub(b.g, JET_OP_COND, ops, 2, NULL, 0, br, 2, &y));
  adc_outputs(&b, &y, 1);
  assert_null(b.st);
  expect_unbound(jet_compiler_compile(cache, b.g, NULL, 0, NULL, 0, &exe, &hit),
                 "node 0 (cond): sub-graph 1: node 0 (pmax): ");
  /* the executor */
  c.op = JET_OP_ALL_GATHER;
  jet_graph *g = build(&c, JET_F32);
  jet_buf X = adc_buf(ADC_T(JET_F32, 3)), out[1];
  expect_unbound(jet_exec_graph(g, &X, 1, out, NULL), "");
  jet_graph_destroy(g);
  adc_buf_free(&X);
  /* ppermute's perm is checked against the axis size by vmap */
  c.op = JET_OP_PPERMUTE;
  c.n = 3; /* perm 0->1, 1->2, 2->0 */
  jet_graph *t = NULL;
  jet_transform ti = vmap_i(&in, 2, "i");
  jet_status st = jet_transforms_apply(build(&c, JET_F32), &ti, 1, &t);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "ppermute: attribute 'perm' entry 3 is 2, out of range for axis 'i' of size 2"));
  jet_status_free(st);
  jet_cache_destroy(cache);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_collective_in_vmap), cmocka_unit_test(test_jax_doc_example),
      cmocka_unit_test(test_nested_two_names),         cmocka_unit_test(test_shape_rules),
      cmocka_unit_test(test_unbound_axis),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
