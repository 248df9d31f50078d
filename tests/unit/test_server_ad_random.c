/* Random compositions of ops, generated from a seed, through the AD drivers
 * and checked by tests/common/ad_check.h (jvp, vjp, grad against central
 * finite differences, jvp/vjp agreement, second order), in float64.
 *
 * Programs mix: smooth transcendental ops on safe domains (log(x^2 + 0.5),
 * asin(0.9 tanh x), ...), elementwise binaries, implicit rank-0
 * broadcasting, broadcast_in_dim, reshape, transpose, reductions,
 * dot_general with batch dims, slices, dynamic slices, gather/scatter-add,
 * concatenate, pad, cumsum, rev, select, clamp, and sometimes an unused or
 * an integer parameter. A failing program prints its seed; run one alone
 * with AD_RANDOM_SEED=<seed> (AD_RANDOM_COUNT=<n> changes the count). The
 * last test checks that the programs covered every kind of step. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ad_check.h"

#define F64 JET_F64
#define N_PROGRAMS 40
#define MAX_ELEMS 48
#define POOL 96

enum kind {
  K_UNARY, K_BINARY, K_SCALAR_BCAST, K_BCAST_IN_DIM, K_RESHAPE, K_TRANSPOSE, K_REDUCE,
  K_SLICE, K_DSLICE, K_CONCAT, K_PAD, K_DOT, K_GATHER, K_SCATTER, K_CUMSUM, K_REV,
  K_SELECT, K_CLAMP, K_COUNT
};
static const char *const kind_names[K_COUNT] = {
    "unary", "binary", "scalar broadcasting", "broadcast_in_dim", "reshape", "transpose",
    "reduction", "slice", "dynamic slice", "concatenate", "pad", "dot_general(batch)", "gather",
    "scatter-add", "cumsum", "rev", "select", "clamp"};
static int kind_used[K_COUNT];

typedef struct prog {
  adc_b b;
  adc_rng r;
  uint32_t n;
  jet_value v[POOL];
  jet_buf args[ADC_MAX];
  uint32_t n_args;
} prog;

#define RP_DTYPE(p) JET_F64
#define RP_RANK1_DIM 2
#include "random_prog.h"

/* 0.9 tanh(x) in (-1, 1): a safe domain. */
static jet_value unit(prog *p, jet_value x) { return op2(p, JET_OP_MUL, op1(p, JET_OP_TANH, x), cf(p, 0.9)); }
static jet_value cint(prog *p, int32_t v) { return adc_scalar(&p->b, JET_I32, v); }

static jet_value step_unary(prog *p, jet_value x) {
  switch (rnd(p, 22)) {
    case 0: return op1(p, JET_OP_SIN, x);
    case 1: return op1(p, JET_OP_COS, x);
    case 2: return op1(p, JET_OP_TANH, x);
    case 3: return op1(p, JET_OP_LOGISTIC, x);
    case 4: return op1(p, JET_OP_ATAN, x);
    case 5: return op1(p, JET_OP_EXP, op1(p, JET_OP_TANH, x));
    case 6: return op1(p, JET_OP_LOG, pos(p, x));
    case 7: return op1(p, JET_OP_SQRT, pos(p, x));
    case 8: return op1(p, JET_OP_RSQRT, pos(p, x));
    case 9: return op1(p, JET_OP_ASIN, unit(p, x));
    case 10: return op1(p, JET_OP_ACOS, unit(p, x));
    case 11: return op1(p, JET_OP_ERF, x);
    case 12: return op1(p, JET_OP_ERF_INV, unit(p, x));
    case 13: {
      jet_attr a = adc_int("y", 3);
      jet_value t = op1(p, JET_OP_TANH, x);
      return opa(p, JET_OP_INTEGER_POW, &t, 1, &a, 1);
    }
    case 14: return op1(p, JET_OP_SQUARE, x);
    case 15: return op1(p, JET_OP_NEG, x);
    case 16: return op1(p, JET_OP_EXPM1, op1(p, JET_OP_TANH, x));
    case 17: return op1(p, JET_OP_LOG1P, op1(p, JET_OP_SQUARE, x));
    case 18: return op1(p, JET_OP_SINH, op1(p, JET_OP_TANH, x));
    case 19: return op1(p, JET_OP_COSH, op1(p, JET_OP_TANH, x));
    case 20: return op1(p, JET_OP_TAN, unit(p, x));
    default: return op1(p, JET_OP_EXP2, op1(p, JET_OP_TANH, x));
  }
}

static jet_value step_binary(prog *p, jet_value x, jet_value y) {
  switch (rnd(p, 8)) {
    case 0: return op2(p, JET_OP_ADD, x, y);
    case 1: return op2(p, JET_OP_SUB, x, y);
    case 2: return op2(p, JET_OP_MUL, x, y);
    case 3: return op2(p, JET_OP_DIV, x, pos(p, y));
    case 4: return op2(p, JET_OP_MAX, x, y);
    case 5: return op2(p, JET_OP_MIN, x, y);
    case 6: return op2(p, JET_OP_ATAN2, x, pos(p, y));
    default: return op2(p, JET_OP_POW, pos(p, x), op1(p, JET_OP_TANH, y));
  }
}

static jet_value mean_all(prog *p, jet_value x) {
  return op2(p, JET_OP_MUL, reduce_all(p, x), cf(p, 1.0 / (double)numel(p, x)));
}

static jet_value step_structural(prog *p, int kind, jet_value x) {
  const jet_type t = *ty(p, x);
  int32_t r = t.rank;
  int64_t d[JET_MAX_RANK], e[JET_MAX_RANK], f[JET_MAX_RANK * 3];
  switch (kind) {
    case K_BCAST_IN_DIM: { /* insert a new dim of size 2 at a random position */
      if (r >= 3 || numel(p, x) * 2 > MAX_ELEMS) return JET_NO_VALUE;
      int at = rnd(p, r + 1), k = 0;
      for (int i = 0; i <= r; i++) d[i] = i == at ? 2 : t.dims[k++];
      for (int i = 0, j = 0; i <= r; i++)
        if (i != at) e[j++] = i;
      jet_attr a[2] = {adc_ints("shape", d, (uint32_t)r + 1), adc_ints("broadcast_dimensions", e, (uint32_t)r)};
      return opa(p, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2);
    }
    case K_RESHAPE: {
      if (r == 0) return JET_NO_VALUE;
      int64_t n = numel(p, x);
      uint32_t nr = 1;
      d[0] = n;
      if (n % 2 == 0 && n > 2 && rnd(p, 2)) {
        d[0] = 2;
        d[1] = n / 2;
        nr = 2;
      }
      jet_attr a = adc_ints("new_sizes", d, nr);
      return opa(p, JET_OP_RESHAPE, &x, 1, &a, 1);
    }
    case K_TRANSPOSE: {
      if (r < 2) return JET_NO_VALUE;
      for (int i = 0; i < r; i++) d[i] = i;
      for (int i = r - 1; i > 0; i--) {
        int j = rnd(p, i + 1);
        int64_t s = d[i];
        d[i] = d[j];
        d[j] = s;
      }
      jet_attr a = adc_ints("permutation", d, (uint32_t)r);
      return opa(p, JET_OP_TRANSPOSE, &x, 1, &a, 1);
    }
    case K_REDUCE: {
      if (r == 0) return JET_NO_VALUE;
      uint32_t n = 0;
      for (int i = 0; i < r; i++)
        if (rnd(p, 2)) d[n++] = i;
      if (!n) d[n++] = rnd(p, r);
      jet_attr a = adc_ints("axes", d, n);
      static const jet_op ops[4] = {JET_OP_REDUCE_SUM, JET_OP_REDUCE_MAX, JET_OP_REDUCE_MIN, JET_OP_REDUCE_PROD};
      jet_op op = ops[rnd(p, 4)];
      if (op == JET_OP_REDUCE_PROD) x = op2(p, JET_OP_ADD, op1(p, JET_OP_TANH, x), cf(p, 1.2));
      return opa(p, op, &x, 1, &a, 1);
    }
    case K_SLICE: {
      if (r == 0) return JET_NO_VALUE;
      for (int i = 0; i < r; i++) {
        d[i] = rnd(p, (int)t.dims[i]);
        e[i] = d[i] + 1 + rnd(p, (int)(t.dims[i] - d[i]));
        f[i] = 1 + rnd(p, 2);
      }
      jet_attr a[3] = {adc_ints("start_indices", d, (uint32_t)r), adc_ints("limit_indices", e, (uint32_t)r),
                       adc_ints("strides", f, (uint32_t)r)};
      return opa(p, JET_OP_SLICE, &x, 1, a, 3);
    }
    case K_DSLICE: { /* dynamic_slice, or dynamic_update_slice of a transformed slice */
      if (r == 0) return JET_NO_VALUE;
      jet_value o[2 + JET_MAX_RANK];
      for (int i = 0; i < r; i++) d[i] = 1 + rnd(p, (int)t.dims[i]);
      for (int i = 0; i < r; i++) o[1 + i] = cint(p, rnd(p, (int)t.dims[i] + 1)); /* may clamp */
      o[0] = x;
      jet_attr a = adc_ints("slice_sizes", d, (uint32_t)r);
      jet_value s = opa(p, JET_OP_DYNAMIC_SLICE, o, 1 + (uint32_t)r, &a, 1);
      if (rnd(p, 2)) return s;
      jet_value u[2 + JET_MAX_RANK];
      u[0] = pick_like(p, x);
      u[1] = op1(p, JET_OP_SIN, s);
      for (int i = 0; i < r; i++) u[2 + i] = o[1 + i];
      return opa(p, JET_OP_DYNAMIC_UPDATE_SLICE, u, 2 + (uint32_t)r, NULL, 0);
    }
    case K_CONCAT: {
      x = ensure_rank1(p, x);
      if (numel(p, x) * 2 > MAX_ELEMS) return JET_NO_VALUE;
      jet_value o[2] = {x, pick_like(p, x)};
      jet_attr a = adc_int("dimension", rnd(p, ty(p, x)->rank));
      return opa(p, JET_OP_CONCATENATE, o, 2, &a, 1);
    }
    case K_PAD: {
      int64_t n = 1;
      for (int i = 0; i < r; i++) {
        f[3 * i] = t.dims[i] >= 3 && rnd(p, 3) == 0 ? -1 : rnd(p, 2);
        f[3 * i + 1] = rnd(p, 3) - (t.dims[i] >= 3 && f[3 * i] >= 0 ? 1 : 0);
        f[3 * i + 2] = rnd(p, 2);
        n *= f[3 * i] + f[3 * i + 1] + t.dims[i] + (t.dims[i] - 1) * f[3 * i + 2];
      }
      if (n > MAX_ELEMS || n <= 0) return JET_NO_VALUE;
      jet_value o[2] = {x, reduce_all(p, pick(p))};
      jet_attr a = adc_ints("padding_config", f, 3 * (uint32_t)r);
      return opa(p, JET_OP_PAD, o, 2, &a, 1);
    }
    case K_DOT: { /* batch over dim 0, contract the last dim with a same-shape value */
      if (r < 2) return JET_NO_VALUE;
      if (r == 3 && t.dims[0] * t.dims[1] * t.dims[1] > MAX_ELEMS) return JET_NO_VALUE;
      jet_value o[2]; /* tanh keeps the products bounded */
      o[0] = op1(p, JET_OP_TANH, x);
      o[1] = op1(p, JET_OP_TANH, pick_like(p, x));
      int64_t c = r - 1, bd = 0;
      jet_attr a[4] = {adc_ints("lhs_contracting_dimensions", &c, 1), adc_ints("rhs_contracting_dimensions", &c, 1),
                       adc_ints("lhs_batch_dimensions", &bd, 1), adc_ints("rhs_batch_dimensions", &bd, 1)};
      return opa(p, JET_OP_DOT_GENERAL, o, 2, a, 4);
    }
    case K_GATHER:
    case K_SCATTER: { /* rows along axis 0 with duplicate indices */
      x = ensure_rank1(p, x);
      const jet_type tx = *ty(p, x);
      int32_t k = 1 + rnd(p, 4), idx[4];
      for (int i = 0; i < k; i++) idx[i] = rnd(p, (int)tx.dims[0]);
      int64_t ishape[2] = {k, 1}, zero = 0;
      for (int i = 1; i < tx.rank; i++) e[i - 1] = i;
      d[0] = 1;
      for (int i = 1; i < tx.rank; i++) d[i] = tx.dims[i];
      jet_value src = kind == K_SCATTER ? pick_like(p, x) : x;
      jet_value io[2] = {src, adc_const(&p->b, jet_type_make(JET_I32, 2, ishape), idx)};
      jet_attr ga[4] = {adc_ints("offset_dims", e, (uint32_t)tx.rank - 1), adc_ints("collapsed_slice_dims", &zero, 1),
                        adc_ints("start_index_map", &zero, 1), adc_ints("slice_sizes", d, (uint32_t)tx.rank)};
      jet_value gv = opa(p, JET_OP_GATHER, io, 2, ga, 4);
      if (kind == K_GATHER) return gv;
      for (int i = 0; i < k; i++) idx[i] = rnd(p, (int)tx.dims[0]);
      jet_value so[3];
      so[0] = x;
      so[2] = op1(p, JET_OP_COS, gv);
      so[1] = adc_const(&p->b, jet_type_make(JET_I32, 2, ishape), idx);
      jet_attr sa[3] = {adc_ints("update_window_dims", e, (uint32_t)tx.rank - 1),
                        adc_ints("inserted_window_dims", &zero, 1),
                        adc_ints("scatter_dims_to_operand_dims", &zero, 1)};
      return opa(p, JET_OP_SCATTER_ADD, so, 3, sa, 3);
    }
    case K_CUMSUM: {
      if (r == 0) return JET_NO_VALUE;
      jet_attr a[2] = {adc_int("axis", rnd(p, r)), adc_bool("reverse", rnd(p, 2))};
      return opa(p, JET_OP_CUMSUM, &x, 1, a, 2);
    }
    case K_REV: {
      if (r == 0) return JET_NO_VALUE;
      d[0] = rnd(p, r);
      jet_attr a = adc_ints("dimensions", d, 1);
      return opa(p, JET_OP_REV, &x, 1, &a, 1);
    }
    case K_SELECT: {
      uint8_t bits[MAX_ELEMS];
      for (int64_t i = 0; i < numel(p, x); i++) bits[i] = (uint8_t)rnd(p, 2);
      jet_type bt = t;
      bt.dtype = JET_BOOL;
      jet_value pr = adc_const(&p->b, bt, bits);
      return adc_op3(&p->b, JET_OP_SELECT, pr, x, pick_like(p, x));
    }
    case K_CLAMP: return adc_op3(&p->b, JET_OP_CLAMP, cf(p, -0.7), x, cf(p, 0.7));
    default: return JET_NO_VALUE;
  }
}

/* Builds program `seed` into p (graph in p->b, args in p->args). */
static void build(prog *p, uint64_t seed, bool *used) {
  p->r.s = seed;
  p->b = adc_begin("random");
  int32_t r = 1 + rnd(p, 3);
  int64_t dims[3];
  for (int i = 0; i < r; i++) dims[i] = 2 + rnd(p, 2);
  jet_type base = jet_type_make(F64, r, dims);
  int n_params = 1 + rnd(p, 3);
  bool int_param = rnd(p, 4) == 0;
  for (int i = 0; i < n_params + int_param; i++) {
    jet_type t = base;
    if (i < n_params && i > 0 && rnd(p, 4) == 0) t = jet_type_scalar(F64);
    if (i == n_params) t.dtype = JET_I32;
    jet_value v = adc_param(&p->b, t);
    jet_buf *a = &p->args[p->n_args++];
    *a = adc_buf(t);
    for (int64_t k = 0; k < jet_type_numel(&t); k++)
      adc_set(a, k, t.dtype == JET_I32 ? (double)adc_randint(&p->r, -3, 3) : adc_unif(&p->r, -1.5, 1.5));
    if (t.dtype == JET_I32) {
      jet_attr nd = adc_dtype("new_dtype", F64);
      jet_value c = adc_op(&p->b, JET_OP_CONVERT_ELEMENT_TYPE, &v, 1, &nd, 1);
      p->v[0] = op2(p, JET_OP_MUL, p->v[0], op1(p, JET_OP_SIN, c)); /* p->v[0] is a float param */
    } else if (!(n_params > 1 && i == n_params - 1 && rnd(p, 5) == 0)) { /* sometimes unused */
      push(p, v);
    }
  }
  rp_steps(p, used, K_COUNT, mean_all);
  /* outputs: the last value and, mostly, a scalar summary of a few others
   * (so that most steps are live) */
  jet_value outs[2] = {p->v[p->n - 1], JET_NO_VALUE};
  if (rnd(p, 3)) {
    outs[1] = reduce_all(p, p->v[rnd(p, (int)p->n)]);
    for (int k = 0; k < 3; k++)
      outs[1] = op2(p, JET_OP_ADD, outs[1], op1(p, JET_OP_TANH, mean_all(p, p->v[rnd(p, (int)p->n)])));
  }
  adc_outputs(&p->b, outs, outs[1] == JET_NO_VALUE ? 1 : 2);
}

static uint64_t seed_of(int i) { return 0xad5eed00u + (uint64_t)i * 7919u; }

static void random_programs(void **state) {
  (void)state;
  const char *one = getenv("AD_RANDOM_SEED"), *cnt = getenv("AD_RANDOM_COUNT");
  int n = one ? 1 : cnt ? atoi(cnt) : N_PROGRAMS, bad = 0, fails = 0;
  for (int i = 0; i < n; i++) {
    uint64_t seed = one ? strtoull(one, NULL, 0) : seed_of(i);
    prog p;
    memset(&p, 0, sizeof p);
    bool used[K_COUNT] = {0};
    build(&p, seed, used);
    char label[80];
    snprintf(label, sizeof label, "program %d, seed 0x%llx", i, (unsigned long long)seed);
    jet_graph *f = adc_finish(&p.b, label);
    int nf = 1;
    if (f) {
      adc_opts o = {.label = label, .seed = seed};
      nf = adc_check(f, p.args, &o);
      if (nf || getenv("ADC_VERBOSE")) {
        fprintf(stderr, "[%s] %d failed check(s); the graph (%u nodes):\n", label, nf, f->n_nodes);
        adc_dump(f);
      }
      jet_graph_destroy(f);
    }
    for (int k = 0; k < K_COUNT && f; k++) kind_used[k] += used[k];
    adc_bufs_free(p.args, p.n_args);
    fails += nf;
    bad += nf > 0;
  }
  fprintf(stderr, "%d random programs, %d failing (%d failed checks)\n", n, bad, fails);
  assert_int_equal(fails, 0);
}

static void programs_cover_every_kind(void **state) {
  (void)state;
  if (getenv("AD_RANDOM_SEED")) skip();
  int missing = 0;
  for (int k = 0; k < K_COUNT; k++) {
    fprintf(stderr, "%-20s %d step(s)\n", kind_names[k], kind_used[k]);
    if (!kind_used[k]) missing++;
  }
  assert_int_equal(missing, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(random_programs),
      cmocka_unit_test(programs_cover_every_kind),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
