/* dot_general over every operand layout (server/runtime/kernels/
 * dot_general.c) against a naive loop, with the global pool started with 2
 * threads (OpenBLAS at 1, as in jetd): transposed operands, batch dims
 * leading / middle / trailing / permuted, several contracting dims in
 * either pair order, matvec, vecmat, vecvec, outer products, size-1 and
 * zero-size dims, f32/f64 and integer dtypes (exact, wrapping), sizes below
 * and above the kernel's parallel threshold. Each case also states how many
 * operand copies the kernel may make (jet__k_dot_pack_count): none in the
 * common layouts. */
#include <cblas.h>

#include "pool.h"
#include "test_exec_util.h"

/* Test hook of server/runtime/kernels/dot_general.c. */
uint64_t jet__k_dot_pack_count(void);

typedef struct dspec {
  const char *name;
  int lr, rr;
  int64_t ld[6], rd[6];
  int nc;
  int64_t lc[3], rc[3];
  int nb;
  int64_t lb[2], rb[2];
  int packs_float, packs_int; /* operand copies the kernel may make */
} dspec;

/* clang-format off */
#define D(...) {__VA_ARGS__}
static const dspec small_cases[] = {
  {"matmul",          2, 2, D(5, 7), D(7, 3), 1, D(1), D(0), 0, D(0), D(0), 0, 0},
  {"lhs^T",           2, 2, D(7, 5), D(7, 3), 1, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"rhs^T",           2, 2, D(5, 7), D(3, 7), 1, D(1), D(1), 0, D(0), D(0), 0, 0},
  {"both^T",          2, 2, D(7, 5), D(3, 7), 1, D(0), D(1), 0, D(0), D(0), 0, 0},
  {"bmm",             3, 3, D(4, 5, 6), D(4, 6, 3), 1, D(2), D(1), 1, D(0), D(0), 0, 0},
  {"bmm^T",           3, 3, D(4, 6, 5), D(4, 3, 6), 1, D(1), D(2), 1, D(0), D(0), 0, 0},
  {"batch middle",    3, 3, D(5, 4, 6), D(6, 4, 3), 1, D(2), D(0), 1, D(1), D(1), 0, 0},
  {"batch mixed",     3, 3, D(5, 4, 6), D(3, 6, 4), 1, D(2), D(1), 1, D(1), D(2), 1, 0},
  {"batch trailing",  3, 3, D(5, 6, 4), D(6, 3, 4), 1, D(1), D(0), 1, D(2), D(2), 2, 0},
  {"two batch dims",  4, 4, D(2, 3, 5, 4), D(3, 2, 4, 6), 1, D(3), D(2), 2, D(0, 1), D(1, 0), 0, 0},
  {"2 contracting",   3, 3, D(2, 3, 4), D(3, 4, 5), 2, D(1, 2), D(0, 1), 0, D(0), D(0), 0, 0},
  {"2 contr swapped", 3, 3, D(2, 3, 4), D(3, 4, 5), 2, D(2, 1), D(1, 0), 0, D(0), D(0), 0, 0},
  {"2 contr ^T",      3, 3, D(3, 4, 5), D(2, 3, 4), 2, D(0, 1), D(1, 2), 0, D(0), D(0), 0, 0},
  {"contr mismatch",  3, 3, D(2, 3, 4), D(4, 3, 5), 2, D(1, 2), D(1, 0), 0, D(0), D(0), 1, 1},
  {"contr apart",     3, 2, D(3, 2, 4), D(3, 4), 2, D(0, 2), D(0, 1), 0, D(0), D(0), 1, 1},
  {"free split",      3, 2, D(2, 7, 3), D(7, 4), 1, D(1), D(0), 0, D(0), D(0), 1, 1},
  {"many free",       3, 3, D(2, 3, 6), D(6, 2, 2), 1, D(2), D(0), 0, D(0), D(0), 0, 0},
  {"free ^T",         3, 3, D(6, 2, 3), D(2, 2, 6), 1, D(0), D(2), 0, D(0), D(0), 0, 0},
  {"unit dims",       4, 3, D(3, 1, 5, 1), D(1, 5, 2), 2, D(2, 3), D(1, 0), 0, D(0), D(0), 0, 0},
  {"matvec",          2, 1, D(6, 9), D(9), 1, D(1), D(0), 0, D(0), D(0), 0, 0},
  {"matvec^T",        2, 1, D(9, 6), D(9), 1, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"vecmat",          1, 2, D(9), D(9, 4), 1, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"vecmat^T",        1, 2, D(9), D(4, 9), 1, D(0), D(1), 0, D(0), D(0), 0, 0},
  {"vecvec",          1, 1, D(9), D(9), 1, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"batched matvec",  3, 2, D(3, 4, 5), D(3, 5), 1, D(2), D(1), 1, D(0), D(0), 0, 0},
  {"batched vecvec",  2, 2, D(5, 3), D(3, 5), 1, D(0), D(1), 1, D(1), D(0), 0, 0},
  {"outer",           1, 1, D(4), D(3), 0, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"outer 2-D",       2, 2, D(2, 3), D(4, 2), 0, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"scalar batch",    1, 1, D(5), D(5), 0, D(0), D(0), 1, D(0), D(0), 0, 0},
  {"K = 0",           2, 2, D(3, 0), D(0, 4), 1, D(1), D(0), 0, D(0), D(0), 0, 0},
  {"M = 0",           2, 2, D(0, 3), D(3, 4), 1, D(1), D(0), 0, D(0), D(0), 0, 0},
  {"B = 0",           3, 3, D(0, 2, 3), D(0, 3, 2), 1, D(2), D(1), 1, D(0), D(0), 0, 0},
};
/* Above DOT_PAR_MIN_FLOPS (2e6; most above 4e6) or the matvec one (5e5):
 * split on the pool. */
static const dspec big_cases[] = {
  {"matmul",          2, 2, D(100, 128), D(128, 200), 1, D(1), D(0), 0, D(0), D(0), 0, 0},
  {"wide",            2, 2, D(20, 300), D(300, 500), 1, D(1), D(0), 0, D(0), D(0), 0, 0},
  {"both^T",          2, 2, D(128, 100), D(200, 128), 1, D(0), D(1), 0, D(0), D(0), 0, 0},
  {"lhs^T wide",      2, 2, D(300, 20), D(300, 500), 1, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"bmm 3",           3, 3, D(3, 70, 90), D(3, 90, 110), 1, D(2), D(1), 1, D(0), D(0), 0, 0},
  {"bmm 40",          3, 3, D(40, 20, 50), D(40, 50, 60), 1, D(2), D(1), 1, D(0), D(0), 0, 0},
  {"batch middle",    3, 3, D(70, 3, 90), D(90, 3, 110), 1, D(2), D(0), 1, D(1), D(1), 0, 0},
  {"batch trailing",  3, 3, D(40, 50, 20), D(50, 60, 20), 1, D(1), D(0), 1, D(2), D(2), 2, 0},
  {"2 contr",         3, 3, D(90, 8, 16), D(8, 16, 200), 2, D(1, 2), D(0, 1), 0, D(0), D(0), 0, 0},
  {"free split",      3, 2, D(10, 128, 10), D(128, 200), 1, D(1), D(0), 0, D(0), D(0), 1, 1},
  {"matvec",          2, 1, D(700, 500), D(500), 1, D(1), D(0), 0, D(0), D(0), 0, 0},
  {"matvec^T",        2, 1, D(500, 700), D(500), 1, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"vecmat",          1, 2, D(500), D(500, 700), 1, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"vecmat^T",        1, 2, D(500), D(700, 500), 1, D(0), D(1), 0, D(0), D(0), 0, 0},
  {"vecvec",          1, 1, D(100000), D(100000), 1, D(0), D(0), 0, D(0), D(0), 0, 0},
  {"outer",           1, 1, D(1500), D(1500), 0, D(0), D(0), 0, D(0), D(0), 0, 0},
};
#undef D
/* clang-format on */

static bool is_float(jet_dtype d) { return d == JET_F32 || d == JET_F64; }

/* Element i of the test data: small values (exact in f32 products) for
 * floats, large ones (to exercise wrapping) for ints. */
static double fval(int64_t i, int side) {
  return (double)((i * (side ? 5 : 7) + 3 + side) % 23 - 11) * 0.125;
}
static uint64_t ival(int64_t i, int side) {
  uint64_t x = (uint64_t)i * 6364136223846793005ull + (side ? 1442695040888963407ull : 7ull);
  return x ^ (x >> 29);
}

static void fill(jet_dtype dt, void *buf, int64_t n, int side) {
  for (int64_t i = 0; i < n; i++) {
    switch (dt) {
      case JET_F32: ((float *)buf)[i] = (float)fval(i, side); break;
      case JET_F64: ((double *)buf)[i] = fval(i, side); break;
      case JET_I32: ((int32_t *)buf)[i] = (int32_t)ival(i, side); break;
      case JET_I64: ((int64_t *)buf)[i] = (int64_t)ival(i, side); break;
      case JET_U8: ((uint8_t *)buf)[i] = (uint8_t)ival(i, side); break;
      case JET_U32: ((uint32_t *)buf)[i] = (uint32_t)ival(i, side); break;
      default: fail();
    }
  }
}

static double load_f(jet_dtype dt, const void *b, int64_t i) {
  return dt == JET_F32 ? ((const float *)b)[i] : ((const double *)b)[i];
}
static uint64_t load_u(jet_dtype dt, const void *b, int64_t i) {
  switch (dt) {
    case JET_I32: return (uint64_t)(int64_t)((const int32_t *)b)[i];
    case JET_I64: return (uint64_t)((const int64_t *)b)[i];
    case JET_U8: return ((const uint8_t *)b)[i];
    case JET_U32: return ((const uint32_t *)b)[i];
    default: fail(); return 0;
  }
}

static bool used(const int64_t *v, int n, int64_t d) {
  for (int i = 0; i < n; i++)
    if (v[i] == d) return true;
  return false;
}

/* Runs one case and compares with a naive loop: exact (mod 2^bits) for
 * ints; for floats within (4 + sqrt(K)) ulps of the sum of |products|. */
static void check_case(const dspec *s, jet_dtype dt) {
  jet_type lt = jet_type_make(dt, s->lr, s->ld), rt = jet_type_make(dt, s->rr, s->rd);
  int64_t lfree[6], rfree[6], nlf = 0, nrf = 0;
  for (int d = 0; d < s->lr; d++)
    if (!used(s->lc, s->nc, d) && !used(s->lb, s->nb, d)) lfree[nlf++] = d;
  for (int d = 0; d < s->rr; d++)
    if (!used(s->rc, s->nc, d) && !used(s->rb, s->nb, d)) rfree[nrf++] = d;
  jet_type ot = {.dtype = dt, .rank = (int32_t)(s->nb + nlf + nrf)};
  for (int i = 0; i < s->nb; i++) ot.dims[i] = s->ld[s->lb[i]];
  for (int i = 0; i < nlf; i++) ot.dims[s->nb + i] = s->ld[lfree[i]];
  for (int i = 0; i < nrf; i++) ot.dims[s->nb + nlf + i] = s->rd[rfree[i]];
  const int64_t nl = jet_type_numel(&lt), nr = jet_type_numel(&rt), no = jet_type_numel(&ot);
  const size_t esz = jet_dtype_size(dt);
  void *l = jet_mem_alloc((size_t)nl * esz), *r = jet_mem_alloc((size_t)nr * esz);
  assert_non_null(l);
  assert_non_null(r);
  fill(dt, l, nl, 0);
  fill(dt, r, nr, 1);

  /* k offsets of both operands, in contracting order */
  int64_t ls[JET_MAX_RANK], rs[JET_MAX_RANK], kn = 1;
  jet_type_strides(&lt, ls);
  jet_type_strides(&rt, rs);
  for (int i = 0; i < s->nc; i++) kn *= s->ld[s->lc[i]];
  int64_t *kl = malloc(sizeof(int64_t) * (size_t)(kn + 1)),
          *kr = malloc(sizeof(int64_t) * (size_t)(kn + 1));
  assert_non_null(kl);
  assert_non_null(kr);
  for (int64_t k = 0; k < kn; k++) {
    int64_t rem = k, a = 0, b = 0;
    for (int i = s->nc - 1; i >= 0; i--) {
      int64_t ki = rem % s->ld[s->lc[i]];
      rem /= s->ld[s->lc[i]];
      a += ki * ls[s->lc[i]];
      b += ki * rs[s->rc[i]];
    }
    kl[k] = a;
    kr[k] = b;
  }

  jet_attr a[4] = {a_ints("lhs_contracting_dimensions", s->lc, (uint32_t)s->nc),
                   a_ints("rhs_contracting_dimensions", s->rc, (uint32_t)s->nc),
                   a_ints("lhs_batch_dimensions", s->lb, (uint32_t)s->nb),
                   a_ints("rhs_batch_dimensions", s->rb, (uint32_t)s->nb)};
  const uint64_t packs0 = jet__k_dot_pack_count();
  jet_buf out = run2(JET_OP_DOT_GENERAL, lt, l, rt, r, a, 4);
  const uint64_t packs = jet__k_dot_pack_count() - packs0;
  expect_type(&out, ot);
  const int want_packs = is_float(dt) ? s->packs_float : s->packs_int;
  if (no > 0 && kn > 0 && packs != (uint64_t)want_packs) {
    print_error("%s (%s): %llu operand copies, expected %d\n", s->name, jet_dtype_name(dt),
                (unsigned long long)packs, want_packs);
    fail();
  }

  for (int64_t o = 0; o < no; o++) {
    int64_t idx[JET_MAX_RANK], rem = o, lo = 0, ro = 0;
    for (int d = ot.rank - 1; d >= 0; d--) {
      idx[d] = rem % ot.dims[d];
      rem /= ot.dims[d];
    }
    for (int i = 0; i < s->nb; i++) {
      lo += idx[i] * ls[s->lb[i]];
      ro += idx[i] * rs[s->rb[i]];
    }
    for (int i = 0; i < nlf; i++) lo += idx[s->nb + i] * ls[lfree[i]];
    for (int i = 0; i < nrf; i++) ro += idx[s->nb + nlf + i] * rs[rfree[i]];
    if (is_float(dt)) {
      double acc = 0, mag = 0;
      for (int64_t k = 0; k < kn; k++) {
        double p = load_f(dt, l, lo + kl[k]) * load_f(dt, r, ro + kr[k]);
        acc += p;
        mag += fabs(p);
      }
      const double eps = dt == JET_F32 ? 0x1p-23 : 0x1p-51;
      const double got = load_f(dt, out.data, o);
      if (!(fabs(got - acc) <= (4 + sqrt((double)kn)) * eps * mag)) {
        print_error("%s (%s): element %lld: got %.17g, expected %.17g\n", s->name,
                    jet_dtype_name(dt), (long long)o, got, acc);
        fail();
      }
    } else {
      uint64_t acc = 0;
      for (int64_t k = 0; k < kn; k++) acc += load_u(dt, l, lo + kl[k]) * load_u(dt, r, ro + kr[k]);
      const uint64_t mask = esz == 8 ? ~0ull : (1ull << (8 * esz)) - 1;
      const uint64_t got = load_u(dt, out.data, o) & mask;
      if (got != (acc & mask)) {
        print_error("%s (%s): element %lld: got %llu, expected %llu\n", s->name,
                    jet_dtype_name(dt), (long long)o, (unsigned long long)got,
                    (unsigned long long)(acc & mask));
        fail();
      }
    }
  }
  jet_mem_free(out.data);
  jet_mem_free(l);
  jet_mem_free(r);
  free(kl);
  free(kr);
}

static const jet_dtype num_dtypes[] = {JET_F32, JET_F64, JET_I32, JET_I64, JET_U8, JET_U32};

static void small_layouts(void **state) {
  (void)state;
  for (size_t c = 0; c < NELEM(small_cases); c++)
    for (size_t d = 0; d < NELEM(num_dtypes); d++) check_case(&small_cases[c], num_dtypes[d]);
}

static void big_layouts(void **state) {
  (void)state;
  const jet_dtype dts[] = {JET_F32, JET_F64, JET_I32};
  for (size_t c = 0; c < NELEM(big_cases); c++)
    for (size_t d = 0; d < NELEM(dts); d++) check_case(&big_cases[c], dts[d]);
}

/* NaN or garbage already in the output buffer must not leak into the
 * result (beta = 0 in gemm / gemv): run the same product twice, the second
 * time into memory that held NaNs. */
static void output_not_read(void **state) {
  (void)state;
  void *junk = jet_mem_alloc(700 * sizeof(float));
  assert_non_null(junk);
  for (int i = 0; i < 700; i++) ((float *)junk)[i] = NAN;
  jet_mem_free(junk);
  check_case(&big_cases[10], JET_F32); /* matvec */
  check_case(&small_cases[21], JET_F32); /* vecmat */
}

static int setup(void **state) {
  (void)state;
  openblas_set_num_threads(1);
  jet_status st = jet_pool_global_init(2);
  if (st) {
    jet_status_free(st);
    return -1;
  }
  return jet_pool_size(jet_pool_global()) == 2 ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  jet_pool_global_shutdown();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(small_layouts),
      cmocka_unit_test(big_layouts),
      cmocka_unit_test(output_not_read),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
