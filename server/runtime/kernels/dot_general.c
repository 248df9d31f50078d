/* dot_general: output dims = batch dims (lhs_batch order), lhs free dims,
 * rhs free dims. Operands are first converted to the result dtype when
 * preferred_element_type makes it differ. f32/f64 go through OpenBLAS
 * (one gemm per batch element); an operand is copied into a packed
 * [batch, M, K] / [batch, K, N] layout only when neither it nor its
 * transpose already is one. Integer dtypes use plain loops that wrap. Kernel
 * scratch (converted and packed operands) is not counted against
 * max_temp_bytes. */
#include <cblas.h>
#include <limits.h>
#include <string.h>

#include "kernels.h"
#include "mem.h"

typedef struct operand_plan {
  int64_t perm[JET_MAX_RANK]; /* batch dims, then the rows dims, then the cols dims */
  int n;
} operand_plan;

static bool in_list(const int64_t *v, uint32_t n, int64_t x) {
  for (uint32_t i = 0; i < n; i++)
    if (v[i] == x) return true;
  return false;
}

static bool is_identity(const int64_t *perm, int n) {
  for (int i = 0; i < n; i++)
    if (perm[i] != i) return false;
  return true;
}

/* perm = batch ++ first ++ second; "free" dims are those in neither list. */
static void make_perm(int rank, const int64_t *batch, uint32_t nb, const int64_t *contract,
                      uint32_t nc, bool free_first, int64_t *perm) {
  int k = 0;
  for (uint32_t i = 0; i < nb; i++) perm[k++] = batch[i];
  if (!free_first)
    for (uint32_t i = 0; i < nc; i++) perm[k++] = contract[i];
  for (int d = 0; d < rank; d++)
    if (!in_list(batch, nb, d) && !in_list(contract, nc, d)) perm[k++] = d;
  if (free_first)
    for (uint32_t i = 0; i < nc; i++) perm[k++] = contract[i];
}

/* Packs `src` (type t) permuted by perm into a fresh contiguous buffer. */
static void *pack(const jet_type *t, const void *src, const int64_t *perm) {
  const size_t esz = jet_dtype_size(t->dtype);
  void *dst = jet_mem_alloc(jet_type_nbytes(t));
  if (!dst) return NULL;
  int64_t istr[JET_MAX_RANK], dims[JET_MAX_RANK], sstr[JET_MAX_RANK], dstr[JET_MAX_RANK];
  jet__k_strides(t, istr);
  for (int i = 0; i < t->rank; i++) {
    dims[i] = t->dims[perm[i]];
    sstr[i] = istr[perm[i]];
  }
  int64_t s = 1;
  for (int i = t->rank - 1; i >= 0; i--) {
    dstr[i] = s;
    s *= dims[i];
  }
  jet__k_copy_strided(esz, t->rank, dims, src, sstr, dst, dstr);
  return dst;
}

#define IDOT_CASE(unused, sfx, TT, UU, SS, D)                              \
  case D: {                                                                \
    const TT *A = a, *Bm = b;                                              \
    TT *C = c;                                                             \
    for (int64_t bi = 0; bi < nbatch; bi++) {                              \
      const TT *Ab = A + bi * M * K, *Bb = Bm + bi * K * N;                \
      TT *Cb = C + bi * M * N;                                             \
      for (int64_t i = 0; i < M * N; i++) Cb[i] = 0;                       \
      for (int64_t m = 0; m < M; m++)                                      \
        for (int64_t k = 0; k < K; k++) {                                  \
          const UU av = (UU)Ab[m * K + k];                                 \
          const TT *brow = Bb + k * N;                                     \
          TT *crow = Cb + m * N;                                           \
          for (int64_t n2 = 0; n2 < N; n2++)                               \
            crow[n2] = (TT)((UU)crow[n2] + (UU)(av * (UU)brow[n2]));       \
        }                                                                  \
    }                                                                      \
    return true;                                                           \
  }

/* Integer (and oversized float) path on packed [B,M,K] x [B,K,N]. */
static bool dot_loops(jet_dtype dt, const void *a, const void *b, void *c, int64_t nbatch,
                      int64_t M, int64_t K, int64_t N) {
  switch (dt) {
    JET_EACH_NUM(IDOT_CASE, _)
    default: return false;
  }
}

jet_status jet__k_DOT_GENERAL(const jet_node *node, const jet_buf *in, jet_buf *out) {
  uint32_t nlc, nrc, nlb, nrb;
  const int64_t *lc = jet__k_ints(node, "lhs_contracting_dimensions", &nlc);
  const int64_t *rc = jet__k_ints(node, "rhs_contracting_dimensions", &nrc);
  const int64_t *lb = jet__k_ints(node, "lhs_batch_dimensions", &nlb);
  const int64_t *rb = jet__k_ints(node, "rhs_batch_dimensions", &nrb);
  const jet_type *ot = &out[0].type;
  jet_type lt = in[0].type, rt = in[1].type;
  const jet_dtype dt = ot->dtype;
  if (nlc != nrc) return jet__k_bad_attr(node, "rhs_contracting_dimensions");
  if (nlb != nrb) return jet__k_bad_attr(node, "rhs_batch_dimensions");
  int64_t nbatch = 1, M = 1, N = 1, K = 1;
  for (uint32_t i = 0; i < nlb; i++) {
    if (lb[i] < 0 || lb[i] >= lt.rank || rb[i] < 0 || rb[i] >= rt.rank)
      return jet__k_bad_attr(node, "lhs_batch_dimensions");
    nbatch *= lt.dims[lb[i]];
  }
  for (uint32_t i = 0; i < nlc; i++) {
    if (lc[i] < 0 || lc[i] >= lt.rank || rc[i] < 0 || rc[i] >= rt.rank)
      return jet__k_bad_attr(node, "lhs_contracting_dimensions");
    K *= lt.dims[lc[i]];
  }
  for (int d = 0; d < lt.rank; d++)
    if (!in_list(lb, nlb, d) && !in_list(lc, nlc, d)) M *= lt.dims[d];
  for (int d = 0; d < rt.rank; d++)
    if (!in_list(rb, nrb, d) && !in_list(rc, nrc, d)) N *= rt.dims[d];
  if (jet_type_numel(ot) == 0) return NULL;

  jet_status st = NULL;
  void *conv[2] = {NULL, NULL}, *packed[2] = {NULL, NULL};
  const void *ldata = in[0].data, *rdata = in[1].data;
  /* preferred_element_type: convert the operands first */
  for (int s = 0; s < 2; s++) {
    jet_type *t = s ? &rt : &lt;
    if (t->dtype == dt) continue;
    jet_type ct = *t;
    ct.dtype = dt;
    conv[s] = jet_mem_alloc(jet_type_nbytes(&ct));
    if (!conv[s]) {
      st = jet_status_oom("dot_general converted operand");
      goto done;
    }
    if (!jet__k_convert(t->dtype, s ? rdata : ldata, dt, conv[s], jet_type_numel(t))) {
      st = jet__k_bad_dtype(node, s, t->dtype);
      goto done;
    }
    *t = ct;
    if (s) rdata = conv[s];
    else ldata = conv[s];
  }

  const bool is_float = dt == JET_F32 || dt == JET_F64;
  const bool blas_ok = is_float && M <= INT_MAX && N <= INT_MAX && K <= INT_MAX && K > 0;
  int64_t lperm[JET_MAX_RANK], rperm[JET_MAX_RANK];
  bool ltrans = false, rtrans = false;
  /* lhs as [B, M, K], or [B, K, M] with the transpose flag */
  make_perm(lt.rank, lb, nlb, lc, nlc, true, lperm);
  if (!is_identity(lperm, lt.rank)) {
    make_perm(lt.rank, lb, nlb, lc, nlc, false, lperm);
    if (blas_ok && is_identity(lperm, lt.rank)) {
      ltrans = true;
    } else {
      make_perm(lt.rank, lb, nlb, lc, nlc, true, lperm);
      packed[0] = pack(&lt, ldata, lperm);
      if (!packed[0]) {
        st = jet_status_oom("dot_general packed lhs");
        goto done;
      }
      ldata = packed[0];
    }
  }
  /* rhs as [B, K, N], or [B, N, K] with the transpose flag */
  make_perm(rt.rank, rb, nrb, rc, nrc, false, rperm);
  if (!is_identity(rperm, rt.rank)) {
    make_perm(rt.rank, rb, nrb, rc, nrc, true, rperm);
    if (blas_ok && is_identity(rperm, rt.rank)) {
      rtrans = true;
    } else {
      make_perm(rt.rank, rb, nrb, rc, nrc, false, rperm);
      packed[1] = pack(&rt, rdata, rperm);
      if (!packed[1]) {
        st = jet_status_oom("dot_general packed rhs");
        goto done;
      }
      rdata = packed[1];
    }
  }

  if (K == 0 && is_float) {
    memset(out[0].data, 0, jet_type_nbytes(ot));
  } else if (blas_ok) {
    const int m = (int)M, n = (int)N, k = (int)K;
    const int lda = ltrans ? m : k, ldb = rtrans ? k : n;
    const enum CBLAS_TRANSPOSE ta = ltrans ? CblasTrans : CblasNoTrans;
    const enum CBLAS_TRANSPOSE tb = rtrans ? CblasTrans : CblasNoTrans;
    for (int64_t b = 0; b < nbatch; b++) {
      if (dt == JET_F32)
        cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, 1.0f, (const float *)ldata + b * M * K, lda,
                    (const float *)rdata + b * K * N, ldb, 0.0f, (float *)out[0].data + b * M * N,
                    n);
      else
        cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, 1.0, (const double *)ldata + b * M * K, lda,
                    (const double *)rdata + b * K * N, ldb, 0.0, (double *)out[0].data + b * M * N,
                    n);
    }
  } else if (!dot_loops(dt, ldata, rdata, out[0].data, nbatch, M, K, N)) {
    st = jet__k_bad_dtype(node, 0, dt);
  }
done:
  for (int s = 0; s < 2; s++) {
    jet_mem_free(conv[s]);
    jet_mem_free(packed[s]);
  }
  return st;
}
