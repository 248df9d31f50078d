/* dot_general: output dims = batch dims (lhs_batch order), lhs free dims,
 * rhs free dims. Operands are first converted to the result dtype when
 * preferred_element_type makes it differ.
 *
 * Layout. Per batch element the product is C[M x N] = A[M x K] * B[K x N]
 * (M = lhs free dims, N = rhs free dims, K = contracting dims, each merged
 * into one dim). Each operand is used in place as a strided matrix: A with
 * a row stride and a column stride, B likewise, batch dims an outer loop of
 * strided offsets. That view exists when the free dims merge into one
 * strided dim (in output order) and the contracting dims merge into one (in
 * some order of the contracting pairs shared by both operands: the pairs may
 * be reordered, and size-1 pairs are dropped); for OpenBLAS one of the two
 * strides must also be 1 (CblasNoTrans with lda = row stride, or CblasTrans
 * with lda = column stride). So a transposed 2-D matmul, a batched matmul
 * with batch dims anywhere but innermost, matvec, vecvec, outer products and
 * contractions over several adjacent dims run without a copy. Only when no
 * view exists (e.g. free dims split by a contracting dim, contracting dims
 * not adjacent, a batch dim innermost with a float dtype) is that operand
 * copied ("packed") into a [batch, M, K] / [batch, K, N] layout;
 * jet__k_dot_pack_count counts those copies for the tests.
 *
 * f32/f64 go through OpenBLAS: gemm, gemv when M or N is 1, dot when both
 * are. Integer dtypes (and floats with a dim over INT_MAX) use plain loops
 * over the same strided views that wrap. K = 0 gives zeros.
 *
 * Parallelism: products of at least DOT_PAR_MIN_FLOPS (2*B*M*N*K) are split
 * into tasks on jet_pool_global(), each one single-threaded BLAS call (the
 * daemon keeps OpenBLAS at one thread): over batch elements when there are
 * enough of them, else each batch element's output is cut into blocks of
 * rows (or of columns when N > M). Smaller products stay on the caller.
 *
 * Kernel scratch (converted and packed operands) is not counted against
 * max_temp_bytes. */
#include <cblas.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>

#include "kernels.h"
#include "mem.h"
#include "pool.h"

/* Products below this many flops (2*B*M*N*K) run on the calling thread.
 * Measured on the 2-core dev VM (OpenBLAS core Zen, pool of 2 kept warm):
 * a 2-way split gains 1.5x from 96^3 (1.8e6 flops, 27 us on one core),
 * 1.7x at 128^3, 1.8x from 160^3; 1.4x at 1e6 flops, nothing at 5e5. 2e6 leaves
 * room for a worker that must first be woken (~10-20 us here). */
#define DOT_PAR_MIN_FLOPS 2e6
/* matvec / vecmat (M or N = 1) are memory-bound: a split gains 1.7x from a
 * 512x512 f32 matrix (5e5 flops, 23 us on one core). */
#define DOT_PAR_MIN_FLOPS_GEMV 5e5
/* Row / column blocks are multiples of this (OpenBLAS micro-tile sizes). */
#define DOT_BLOCK_ALIGN 16

/* Test hook: the number of operand copies made since the process started
 * (no prototype in kernels.h: only tests/unit/test_exec_dot*.c use it). */
static _Atomic uint64_t pack_count;
uint64_t jet__k_dot_pack_count(void);
uint64_t jet__k_dot_pack_count(void) {
  return atomic_load_explicit(&pack_count, memory_order_relaxed);
}

/* One operand as a strided matrix (lhs: rows M, cols K; rhs: rows K, cols
 * N) per batch element; strides in elements. */
typedef struct opview {
  const char *data;
  int64_t rs, cs;
  int64_t bstr[JET_MAX_RANK]; /* stride of each batch dim (in batch order) */
} opview;

typedef struct dot_plan {
  jet_dtype dt;
  size_t esz;
  bool blas;
  int64_t B, M, N, K;
  int nb;
  int64_t bdims[JET_MAX_RANK];
  opview l, r;
  char *c;
  /* the split into tasks: task t covers batch elements [bper*(t/nblk), ...)
   * and block t%nblk of rows (by_rows) or columns of blk each */
  int64_t bper, nblk, blk;
  bool by_rows;
  uint32_t n_tasks;
} dot_plan;

static bool in_list(const int64_t *v, uint32_t n, int64_t x) {
  for (uint32_t i = 0; i < n; i++)
    if (v[i] == x) return true;
  return false;
}

/* Merges dims ds[0..n) of an array with strides str into one dim walked in
 * that order (ds[n-1] fastest): false unless each non-unit dim's stride is
 * the next non-unit dim's stride times that dim's size. *stride: the merged
 * stride, 0 when every dim has size 1 (any stride will do). */
static bool merge_dims(const int64_t *dims, const int64_t *str, const int64_t *ds, int n,
                       int64_t *stride) {
  int64_t s = 0, expect = -1;
  for (int i = n - 1; i >= 0; i--) {
    const int64_t d = ds[i];
    if (dims[d] == 1) continue;
    if (expect < 0) s = str[d];
    else if (str[d] != expect) return false;
    expect = str[d] * dims[d];
  }
  *stride = s;
  return true;
}

/* Makes a rows x cols view with strides *rs, *cs (0 = any) usable by BLAS:
 * *cs == 1 (NoTrans, ld = *rs >= cols) or else *rs == 1 (Trans, ld = *cs >=
 * rows). False when neither stride is or can be 1, or ld is over INT_MAX.
 * (In a row-major array, a unit-stride merged dim is the innermost block, so
 * the other stride is at least its size.) */
static bool blas_view(int64_t rows, int64_t cols, int64_t *rs, int64_t *cs) {
  if (rows <= 1) *rs = 0;
  if (cols <= 1) *cs = 0;
  if (*cs <= 1) {
    *cs = 1;
    if (*rs == 0) *rs = cols > 1 ? cols : 1;
    return *rs <= INT_MAX;
  }
  if (*rs <= 1) {
    *rs = 1;
    return *cs <= INT_MAX;
  }
  return false;
}

/* Copies `src` (type t) permuted by perm into a fresh contiguous buffer. */
static void *pack(const jet_type *t, const void *src, const int64_t *perm) {
  const size_t esz = jet_dtype_size(t->dtype);
  void *dst = jet_mem_alloc(jet_type_nbytes(t));
  if (!dst) return NULL;
  atomic_fetch_add_explicit(&pack_count, 1, memory_order_relaxed);
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

/* ---- the products of one block ---------------------------------------- */

#define LOOP_CASE(unused, sfx, TT, UU, SS, D)                                        \
  case D: {                                                                          \
    const TT *A = a, *Bm = b;                                                        \
    TT *C = c;                                                                       \
    for (int64_t i = 0; i < m; i++) {                                                \
      const TT *arow = A + i * p->l.rs;                                              \
      TT *crow = C + i * p->N;                                                       \
      if (p->r.cs == 1 && n > 1) {                                                   \
        for (int64_t j = 0; j < n; j++) crow[j] = 0;                                 \
        for (int64_t k = 0; k < p->K; k++) {                                         \
          const UU av = (UU)arow[k * p->l.cs];                                       \
          const TT *brow = Bm + k * p->r.rs;                                         \
          for (int64_t j = 0; j < n; j++)                                            \
            crow[j] = (TT)((UU)crow[j] + (UU)(av * (UU)brow[j]));                    \
        }                                                                            \
      } else {                                                                       \
        for (int64_t j = 0; j < n; j++) {                                            \
          const TT *bcol = Bm + j * p->r.cs;                                         \
          UU acc = 0;                                                                \
          for (int64_t k = 0; k < p->K; k++)                                         \
            acc = (UU)(acc + (UU)((UU)arow[k * p->l.cs] * (UU)bcol[k * p->r.rs]));   \
          crow[j] = (TT)acc;                                                         \
        }                                                                            \
      }                                                                              \
    }                                                                                \
    return;                                                                          \
  }

/* C[m x n] (row stride N) = A[m x K] * B[K x n] with plain loops that wrap. */
static void loop_block(const dot_plan *p, const void *a, const void *b, void *c, int64_t m,
                       int64_t n) {
  switch (p->dt) {
    JET_EACH_NUM(LOOP_CASE, _)
    default: return; /* dtype checked by the caller */
  }
}

/* The same through OpenBLAS (views normalised by blas_view). */
static void blas_block(const dot_plan *p, const void *a, const void *b, void *c, int64_t m,
                       int64_t n) {
  const bool f32 = p->dt == JET_F32;
  const int K = (int)p->K, ldc = (int)p->N;
  const bool ta = p->l.cs != 1, tb = p->r.cs != 1;
  const int lda = (int)(ta ? p->l.cs : p->l.rs), ldb = (int)(tb ? p->r.cs : p->r.rs);
  /* The K strides of A and B, for vectors. */
  const int inca = (int)p->l.cs, incb = (int)p->r.rs;
  if (p->M == 1 && p->N == 1) {
    if (f32) *(float *)c = cblas_sdot(K, a, inca, b, incb);
    else *(double *)c = cblas_ddot(K, a, inca, b, incb);
  } else if (p->N == 1) {
    /* y[m] = A x: beta = 0 must not read y, but zero it anyway (NaN-safe). */
    memset(c, 0, (size_t)m * p->esz);
    const enum CBLAS_TRANSPOSE t = ta ? CblasTrans : CblasNoTrans;
    const int rows = ta ? K : (int)m, cols = ta ? (int)m : K;
    if (f32) cblas_sgemv(CblasRowMajor, t, rows, cols, 1.0f, a, lda, b, incb, 0.0f, c, 1);
    else cblas_dgemv(CblasRowMajor, t, rows, cols, 1.0, a, lda, b, incb, 0.0, c, 1);
  } else if (p->M == 1) {
    /* y[n] = B^T a */
    memset(c, 0, (size_t)n * p->esz);
    const enum CBLAS_TRANSPOSE t = tb ? CblasNoTrans : CblasTrans;
    const int rows = tb ? (int)n : K, cols = tb ? K : (int)n;
    if (f32) cblas_sgemv(CblasRowMajor, t, rows, cols, 1.0f, b, ldb, a, inca, 0.0f, c, 1);
    else cblas_dgemv(CblasRowMajor, t, rows, cols, 1.0, b, ldb, a, inca, 0.0, c, 1);
  } else {
    const enum CBLAS_TRANSPOSE tra = ta ? CblasTrans : CblasNoTrans;
    const enum CBLAS_TRANSPOSE trb = tb ? CblasTrans : CblasNoTrans;
    if (f32)
      cblas_sgemm(CblasRowMajor, tra, trb, (int)m, (int)n, K, 1.0f, a, lda, b, ldb, 0.0f, c, ldc);
    else
      cblas_dgemm(CblasRowMajor, tra, trb, (int)m, (int)n, K, 1.0, a, lda, b, ldb, 0.0, c, ldc);
  }
}

static void dot_task(void *ctx, uint32_t task, uint32_t slot) {
  const dot_plan *p = ctx;
  const int64_t br = task / p->nblk, j = task % p->nblk;
  const int64_t b0 = br * p->bper, b1 = b0 + p->bper < p->B ? b0 + p->bper : p->B;
  const int64_t dim = p->by_rows ? p->M : p->N;
  const int64_t lo = j * p->blk, hi = lo + p->blk < dim ? lo + p->blk : dim;
  const size_t esz = p->esz;
  for (int64_t b = b0; b < b1; b++) {
    int64_t loff = 0, roff = 0, rem = b;
    for (int i = p->nb - 1; i >= 0; i--) {
      const int64_t bi = rem % p->bdims[i];
      rem /= p->bdims[i];
      loff += bi * p->l.bstr[i];
      roff += bi * p->r.bstr[i];
    }
    const char *a = p->l.data + (size_t)loff * esz, *bm = p->r.data + (size_t)roff * esz;
    char *c = p->c + (size_t)(b * p->M * p->N) * esz;
    int64_t m = p->M, n = p->N;
    if (p->by_rows) {
      a += (size_t)(lo * p->l.rs) * esz;
      c += (size_t)(lo * p->N) * esz;
      m = hi - lo;
    } else {
      bm += (size_t)(lo * p->r.cs) * esz;
      c += (size_t)lo * esz;
      n = hi - lo;
    }
    if (p->blas) blas_block(p, a, bm, c, m, n);
    else loop_block(p, a, bm, c, m, n);
  }
}

static int64_t gcd64(int64_t a, int64_t b) {
  while (b) {
    int64_t t = a % b;
    a = b;
    b = t;
  }
  return a;
}

/* Chooses the tasks (see the file comment); one task = serial. */
static void plan_split(dot_plan *p, uint32_t threads) {
  p->by_rows = p->M >= p->N;
  const int64_t dim = p->by_rows ? p->M : p->N;
  p->bper = p->B;
  p->nblk = 1;
  p->blk = dim;
  p->n_tasks = 1;
  const double flops = 2.0 * (double)p->B * (double)p->M * (double)p->N * (double)p->K;
  const double min_flops = p->M == 1 || p->N == 1 ? DOT_PAR_MIN_FLOPS_GEMV : DOT_PAR_MIN_FLOPS;
  if (threads < 2 || flops < min_flops) return;
  const int64_t P = threads;
  /* No task gets less than half the threshold's work. */
  int64_t max_tasks = (int64_t)(flops / (min_flops / 2));
  if (max_tasks < 1) max_tasks = 1;
  if (max_tasks > 64 * P) max_tasks = 64 * P;
  if (p->B >= 8 * P || (p->B >= P && p->B % P == 0)) {
    /* Over batch elements: up to 8 tasks per thread for balance. */
    int64_t t = p->B < 8 * P ? p->B : 8 * P;
    if (t > max_tasks) t = max_tasks;
    p->bper = (p->B + t - 1) / t;
    p->n_tasks = (uint32_t)((p->B + p->bper - 1) / p->bper);
    return;
  }
  /* Blocks within each batch element, as many as make B * blocks a
   * multiple of the thread count (1 batch element: one block per thread;
   * few large blocks keep OpenBLAS's per-call packing cheap). */
  if (p->M == 1 && p->N == 1) return; /* a single dot: not split */
  int64_t nblk = P / gcd64(p->B, P);
  if (nblk * p->B > max_tasks) nblk = max_tasks / p->B;
  if (nblk < 2) {
    if (p->B >= P) { /* not a multiple, but enough batch elements */
      p->bper = 1;
      p->n_tasks = (uint32_t)p->B;
    }
    return;
  }
  int64_t blk = (dim + nblk - 1) / nblk;
  blk = (blk + DOT_BLOCK_ALIGN - 1) / DOT_BLOCK_ALIGN * DOT_BLOCK_ALIGN;
  nblk = (dim + blk - 1) / blk;
  if (nblk < 2 && p->B < 2) return;
  p->bper = 1;
  p->nblk = nblk;
  p->blk = blk;
  p->n_tasks = (uint32_t)(p->B * nblk);
}

/* ---- the kernel -------------------------------------------------------- */

/* Contracting pairs (lhs dim, rhs dim) without the size-1 ones, sorted by
 * the lhs dim (by_rhs false) or the rhs dim. */
static int sorted_pairs(const jet_type *lt, const int64_t *lc, const int64_t *rc, uint32_t nc,
                        bool by_rhs, int64_t *pl, int64_t *pr) {
  int n = 0;
  for (uint32_t i = 0; i < nc; i++) {
    if (lt->dims[lc[i]] == 1) continue;
    const int64_t key = by_rhs ? rc[i] : lc[i];
    int j = n++;
    for (; j > 0 && (by_rhs ? pr[j - 1] : pl[j - 1]) > key; j--) {
      pl[j] = pl[j - 1];
      pr[j] = pr[j - 1];
    }
    pl[j] = lc[i];
    pr[j] = rc[i];
  }
  return n;
}

/* Whether operand t (free dims `fr`, contracting dims `cd` in pair order)
 * has a usable view; sets *rs (free) and *cs (contracting) strides for the
 * lhs, or *rs (contracting) and *cs (free) for the rhs. */
static bool make_view(const jet_type *t, const int64_t *str, const int64_t *fr, int nf,
                      const int64_t *cd, int ncd, bool is_rhs, bool blas, int64_t M_or_N,
                      int64_t K, int64_t *rs, int64_t *cs) {
  int64_t fs, ks;
  if (!merge_dims(t->dims, str, fr, nf, &fs) || !merge_dims(t->dims, str, cd, ncd, &ks))
    return false;
  *rs = is_rhs ? ks : fs;
  *cs = is_rhs ? fs : ks;
  if (!blas) return true;
  return is_rhs ? blas_view(K, M_or_N, rs, cs) : blas_view(M_or_N, K, rs, cs);
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
  int64_t lfree[JET_MAX_RANK], rfree[JET_MAX_RANK];
  int nlf = 0, nrf = 0;
  for (int d = 0; d < lt.rank; d++)
    if (!in_list(lb, nlb, d) && !in_list(lc, nlc, d)) {
      M *= lt.dims[d];
      lfree[nlf++] = d;
    }
  for (int d = 0; d < rt.rank; d++)
    if (!in_list(rb, nrb, d) && !in_list(rc, nrc, d)) {
      N *= rt.dims[d];
      rfree[nrf++] = d;
    }
  switch (dt) {
#define DT_OK(unused, sfx, TT, UU, SS, D) case D:
    JET_EACH_NUM(DT_OK, _)
#undef DT_OK
    break;
    default: return jet__k_bad_dtype(node, 0, dt);
  }
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
  if (K == 0) {
    memset(out[0].data, 0, jet_type_nbytes(ot));
    goto done;
  }

  dot_plan p = {.dt = dt, .esz = jet_dtype_size(dt), .B = nbatch, .M = M, .N = N, .K = K,
                .nb = (int)nlb, .c = out[0].data};
  p.blas = (dt == JET_F32 || dt == JET_F64) && M <= INT_MAX && N <= INT_MAX && K <= INT_MAX;
  for (uint32_t i = 0; i < nlb; i++) p.bdims[i] = lt.dims[lb[i]];
  int64_t lstr[JET_MAX_RANK], rstr[JET_MAX_RANK];
  jet__k_strides(&lt, lstr);
  jet__k_strides(&rt, rstr);

  /* The contracting pairs in one of the two orders that can merge (sorted
   * by the lhs dims or by the rhs dims); take the one giving more views. */
  int64_t pl[2][JET_MAX_RANK], pr[2][JET_MAX_RANK], vs[2][4];
  bool ok[2][2];
  int npairs = 0, best = 0;
  for (int o = 0; o < 2; o++) {
    npairs = sorted_pairs(&lt, lc, rc, nlc, o == 1, pl[o], pr[o]);
    ok[o][0] = make_view(&lt, lstr, lfree, nlf, pl[o], npairs, false, p.blas, M, K, &vs[o][0],
                         &vs[o][1]);
    ok[o][1] = make_view(&rt, rstr, rfree, nrf, pr[o], npairs, true, p.blas, N, K, &vs[o][2],
                         &vs[o][3]);
  }
  if (ok[1][0] + ok[1][1] > ok[0][0] + ok[0][1]) best = 1;

  for (int s = 0; s < 2; s++) {
    opview *v = s ? &p.r : &p.l;
    const int64_t *bd = s ? rb : lb, *str = s ? rstr : lstr;
    if (ok[best][s]) {
      v->data = s ? rdata : ldata;
      v->rs = vs[best][2 * s];
      v->cs = vs[best][2 * s + 1];
      for (uint32_t i = 0; i < nlb; i++) v->bstr[i] = str[bd[i]];
      continue;
    }
    /* No strided view: copy into [batch, M, K] (lhs) or [batch, K, N] (rhs),
     * the contracting dims in the chosen pair order (size-1 ones last). */
    const jet_type *t = s ? &rt : &lt;
    const int64_t *cd = s ? pr[best] : pl[best], *fr = s ? rfree : lfree, *call = s ? rc : lc;
    const int nf = s ? nrf : nlf;
    int64_t perm[JET_MAX_RANK];
    int k = 0;
    for (uint32_t i = 0; i < nlb; i++) perm[k++] = bd[i];
    if (!s)
      for (int i = 0; i < nf; i++) perm[k++] = fr[i];
    for (int i = 0; i < npairs; i++) perm[k++] = cd[i];
    for (uint32_t i = 0; i < nlc; i++)
      if (t->dims[call[i]] == 1) perm[k++] = call[i];
    if (s)
      for (int i = 0; i < nf; i++) perm[k++] = fr[i];
    packed[s] = pack(t, s ? rdata : ldata, perm);
    if (!packed[s]) {
      st = jet_status_oom(s ? "dot_general packed rhs" : "dot_general packed lhs");
      goto done;
    }
    v->data = packed[s];
    v->rs = s ? N : K;
    v->cs = 1;
    if (p.blas) blas_view(s ? K : M, s ? N : K, &v->rs, &v->cs);
    int64_t bs = s ? K * N : M * K;
    for (int i = (int)nlb - 1; i >= 0; i--) {
      v->bstr[i] = bs;
      bs *= p.bdims[i];
    }
  }

  jet_pool *pool = jet_pool_global();
  plan_split(&p, jet_pool_size(pool));
  if (p.n_tasks > 1) jet_pool_run(pool, p.n_tasks, dot_task, &p);
  else dot_task(&p, 0, 0);
done:
  for (int s = 0; s < 2; s++) {
    jet_mem_free(conv[s]);
    jet_mem_free(packed[s]);
  }
  return st;
}
