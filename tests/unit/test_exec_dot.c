/* dot_general against a naive loop in double, with batch dims, transposed
 * contracting layouts, several contracting dims, integer dtypes and
 * preferred_element_type. */
#include "test_exec_util.h"

/* Reference: generic dot_general by brute force over index tuples. */
static void ref_dot(const jet_type *lt, const double *l, const jet_type *rt, const double *r,
                    const int64_t *lc, const int64_t *rc, int nc, const int64_t *lb,
                    const int64_t *rb, int nb, double *out, jet_type *ot) {
  int64_t lfree[JET_MAX_RANK], rfree[JET_MAX_RANK];
  int nlf = 0, nrf = 0;
  for (int d = 0; d < lt->rank; d++) {
    bool used = false;
    for (int i = 0; i < nc; i++) used |= lc[i] == d;
    for (int i = 0; i < nb; i++) used |= lb[i] == d;
    if (!used) lfree[nlf++] = d;
  }
  for (int d = 0; d < rt->rank; d++) {
    bool used = false;
    for (int i = 0; i < nc; i++) used |= rc[i] == d;
    for (int i = 0; i < nb; i++) used |= rb[i] == d;
    if (!used) rfree[nrf++] = d;
  }
  ot->rank = nb + nlf + nrf;
  for (int i = 0; i < nb; i++) ot->dims[i] = lt->dims[lb[i]];
  for (int i = 0; i < nlf; i++) ot->dims[nb + i] = lt->dims[lfree[i]];
  for (int i = 0; i < nrf; i++) ot->dims[nb + nlf + i] = rt->dims[rfree[i]];
  int64_t ls[JET_MAX_RANK], rs[JET_MAX_RANK];
  jet_type_strides(lt, ls);
  jet_type_strides(rt, rs);
  int64_t n = jet_type_numel(ot), kn = 1;
  for (int i = 0; i < nc; i++) kn *= lt->dims[lc[i]];
  for (int64_t o = 0; o < n; o++) {
    int64_t idx[JET_MAX_RANK], rem = o;
    for (int d = ot->rank - 1; d >= 0; d--) {
      idx[d] = rem % ot->dims[d];
      rem /= ot->dims[d];
    }
    int64_t lo = 0, ro = 0;
    for (int i = 0; i < nb; i++) {
      lo += idx[i] * ls[lb[i]];
      ro += idx[i] * rs[rb[i]];
    }
    for (int i = 0; i < nlf; i++) lo += idx[nb + i] * ls[lfree[i]];
    for (int i = 0; i < nrf; i++) ro += idx[nb + nlf + i] * rs[rfree[i]];
    double acc = 0;
    for (int64_t k = 0; k < kn; k++) {
      int64_t kr = k, lk = 0, rk = 0;
      for (int i = nc - 1; i >= 0; i--) {
        int64_t ki = kr % lt->dims[lc[i]];
        kr /= lt->dims[lc[i]];
        lk += ki * ls[lc[i]];
        rk += ki * rs[rc[i]];
      }
      acc += l[lo + lk] * r[ro + rk];
    }
    out[o] = acc;
  }
}

typedef struct dcase {
  jet_type lt, rt;
  int64_t lc[3], rc[3];
  int nc;
  int64_t lb[2], rb[2];
  int nb;
} dcase;

static void against_reference(void **state) {
  (void)state;
  const dcase cases[] = {
      {TY(JET_F32, 5, 7), TY(JET_F32, 7, 3), {1}, {0}, 1, {0}, {0}, 0},         /* matmul */
      {TY(JET_F32, 7, 5), TY(JET_F32, 7, 3), {0}, {0}, 1, {0}, {0}, 0},         /* lhs^T */
      {TY(JET_F32, 5, 7), TY(JET_F32, 3, 7), {1}, {1}, 1, {0}, {0}, 0},         /* rhs^T */
      {TY(JET_F32, 7, 5), TY(JET_F32, 3, 7), {0}, {1}, 1, {0}, {0}, 0},         /* both */
      {TY(JET_F32, 4, 5, 6), TY(JET_F32, 4, 6, 3), {2}, {1}, 1, {0}, {0}, 1},   /* bmm */
      {TY(JET_F32, 5, 4, 6), TY(JET_F32, 3, 6, 4), {2}, {1}, 1, {1}, {2}, 1},   /* odd batch */
      {TY(JET_F32, 2, 3, 4), TY(JET_F32, 4, 3, 5), {1, 2}, {1, 0}, 2, {0}, {0}, 0},
      {TY(JET_F32, 6), TY(JET_F32, 6), {0}, {0}, 1, {0}, {0}, 0},                 /* inner */
      {TY(JET_F32, 3), TY(JET_F32, 4), {0}, {0}, 0, {0}, {0}, 0},                 /* outer */
      {TY(JET_F32, 2, 0), TY(JET_F32, 0, 3), {1}, {0}, 1, {0}, {0}, 0},           /* K = 0 */
  };
  const jet_dtype dts[] = {JET_F32, JET_F64, JET_I32, JET_I64, JET_U8, JET_U32};
  static double l[256], r[256], want[256];
  for (size_t c = 0; c < NELEM(cases); c++) {
    for (size_t k = 0; k < NELEM(dts); k++) {
      dcase dc = cases[c];
      jet_dtype dt = dts[k];
      dc.lt.dtype = dc.rt.dtype = dt;
      int64_t nl = jet_type_numel(&dc.lt), nr = jet_type_numel(&dc.rt);
      bool uns = dt == JET_U8 || dt == JET_U32;
      for (int64_t i = 0; i < nl; i++) l[i] = (double)((i * 7 + 3) % 11) - (uns ? 0 : 5);
      for (int64_t i = 0; i < nr; i++) r[i] = (double)((i * 5 + 1) % 9) - (uns ? 0 : 4);
      if (dt == JET_F32 || dt == JET_F64) {
        for (int64_t i = 0; i < nl; i++) l[i] *= 0.37;
        for (int64_t i = 0; i < nr; i++) r[i] *= 1.13;
      }
      jet_type ot = {.dtype = dt};
      ref_dot(&dc.lt, l, &dc.rt, r, dc.lc, dc.rc, dc.nc, dc.lb, dc.rb, dc.nb, want, &ot);
      if (dt == JET_U8)
        for (int64_t i = 0; i < jet_type_numel(&ot); i++) want[i] = fmod(want[i], 256.0);
      static uint64_t lb[256], rb[256];
      store_as(dt, l, nl, lb);
      store_as(dt, r, nr, rb);
      jet_attr a[4] = {a_ints("lhs_contracting_dimensions", dc.lc, (uint32_t)dc.nc),
                       a_ints("rhs_contracting_dimensions", dc.rc, (uint32_t)dc.nc),
                       a_ints("lhs_batch_dimensions", dc.lb, (uint32_t)dc.nb),
                       a_ints("rhs_batch_dimensions", dc.rb, (uint32_t)dc.nb)};
      jet_buf out = run2(JET_OP_DOT_GENERAL, dc.lt, lb, dc.rt, rb, a, 4);
      expect_near(&out, ot, want, dt == JET_F32 ? 1e-5 : 1e-13);
    }
  }
}

static void preferred_type_and_wrap(void **state) {
  (void)state;
  const int32_t l[4] = {1, 2, 3, 4}, r[4] = {5, 6, 7, 8};
  jet_attr a[3] = {A_INTS("lhs_contracting_dimensions", 1), A_INTS("rhs_contracting_dimensions", 0),
                   a_dtype("preferred_element_type", JET_F32)};
  jet_buf out = run2(JET_OP_DOT_GENERAL, TY(JET_I32, 2, 2), l, TY(JET_I32, 2, 2), r, a, 3);
  expect_near(&out, TY(JET_F32, 2, 2), (double[]){19, 22, 43, 50}, 0);
  const float fl[2] = {1.5f, 2}, fr[2] = {2, 0.25f};
  jet_attr b[3] = {A_INTS("lhs_contracting_dimensions", 0), A_INTS("rhs_contracting_dimensions", 0),
                   a_dtype("preferred_element_type", JET_F64)};
  out = run2(JET_OP_DOT_GENERAL, TY(JET_F32, 2), fl, TY(JET_F32, 2), fr, b, 3);
  expect_near(&out, SCALAR(JET_F64), (double[]){3.5}, 0);
  const int32_t big[2] = {INT32_MAX, INT32_MAX}, two[2] = {2, 0};
  out = run2(JET_OP_DOT_GENERAL, TY(JET_I32, 2), big, TY(JET_I32, 2), two, b, 2);
  expect_bytes(&out, SCALAR(JET_I32), (int32_t[]){-2});
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(against_reference),
      cmocka_unit_test(preferred_type_and_wrap),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
