/* Part 1 of the differential-test generator (see fuse_gen.h, which
 * includes every part): types, the value pool, shapes, argument data and
 * leaves. */
#ifndef JET_TESTS_FUSE_GEN_CORE_H
#define JET_TESTS_FUSE_GEN_CORE_H

#include <float.h>
#include <inttypes.h>
#include <math.h>

#include "ad_check.h"

#define FG_MAXV 1400       /* values per graph */
#define FG_MAX_PARAMS 6
#define FG_MAX_OUTS 10
#define FG_MAX_LOOSE 24
#define FG_ERR_CAP 1e-3    /* no REL value with a larger relative error */
#define FG_LOOSE_CAP 0.05  /* nor a LOOSE one beyond this */
#define FG_MAX_CONST 4096  /* elements of an array constant */
#define FG_NORMAL_NUMEL 12000
#define FG_BIG_NUMEL 70000

enum { FG_EXACT = 0, FG_REL = 1, FG_LOOSE = 2 };

typedef struct fg_info {
  uint8_t cls;
  bool nonneg;  /* floats: no value below -0.0 (NaN and +inf allowed) */
  int8_t q;     /* >= 0: every finite value is a multiple of 2^-q; -1 unknown */
  double err;   /* REL / LOOSE: relative error bound */
  double mag;   /* bound on |v| over the finite values */
  int16_t loose; /* LOOSE: index of its probe scale */
  double lo;    /* floats: bound |v| >= lo over the finite non-zero values (0: none) */
} fg_info;

/* Argument / constant data domains. */
enum {
  FD_DYADIC,     /* k/4, |k| <= 32 */
  FD_DYADIC_NN,  /* k/4, 0 <= k <= 32 */
  FD_GENERAL,    /* mostly [-4, 4], some up to 1e6, tiny, denormal, zeros */
  FD_GENERAL_NN, /* |general| */
  FD_WIDE,       /* general with magnitudes up to 1e30 */
  FD_POS,        /* (0.01, 10): valid log/div domains */
  FD_INT_SMALL,  /* [-100, 100] ([0, 100] unsigned) */
  FD_INT_EXT,    /* extremes (MIN, MAX, 0, -1, ...) and the full range */
  FD_BOOL,
  FD_COUNT
};

typedef struct fg_gen {
  adc_b b;
  adc_rng r;
  uint64_t seed;
  jet_type base;
  bool chain_mode;
  jet_value chain_last;
  uint32_t n_pool;
  jet_value pool[FG_MAXV];
  fg_info info[FG_MAXV]; /* by value id */
  /* parameters */
  uint32_t n_params;
  uint8_t domain[FG_MAX_PARAMS];
  bool specials[FG_MAX_PARAMS];
  /* LOOSE values: the producing node of each */
  uint32_t n_loose;
  uint32_t loose_node[FG_MAX_LOOSE];
  jet_value loose_value[FG_MAX_LOOSE];
  /* result */
  jet_graph *g;
  uint32_t n_outs;
  jet_value outs[FG_MAX_OUTS];
  fg_info out_info[FG_MAX_OUTS];
  jet_buf args[FG_MAX_PARAMS];
  uint32_t op_count[JET_OP_COUNT];
} fg_gen;

/* ------------------------------------------------------------ basics */

/* Set to silence the failure reports (the tests count failures quietly
 * after printing a few). */
static bool fg_quiet;
#define FG_ERR(...)                                \
  do {                                             \
    if (!fg_quiet) fprintf(stderr, __VA_ARGS__);   \
  } while (0)
static inline void fg_dump(const jet_graph *g) {
  if (!fg_quiet) adc_dump(g);
}

static inline int fg_rnd(fg_gen *g, int n) {
  return n <= 1 ? 0 : (int)adc_randint(&g->r, 0, n - 1);
}
static inline bool fg_pct(fg_gen *g, int pct) { return fg_rnd(g, 100) < pct; }
static inline bool fg_isf(jet_dtype d) { return d == JET_F32 || d == JET_F64; }
static inline bool fg_isuint(jet_dtype d) { return d == JET_U8 || d == JET_U32; }
static inline bool fg_isint(jet_dtype d) {
  return d == JET_I32 || d == JET_I64 || d == JET_U8 || d == JET_U32;
}
static inline double fg_eps(jet_dtype d) { return d == JET_F32 ? 0x1p-23 : 0x1p-52; }
static inline int fg_mant(jet_dtype d) { return d == JET_F32 ? 24 : 53; }
static inline double fg_atol(jet_dtype d) { return d == JET_F32 ? 0x1p-122 : 0x1p-1000; }
static inline double fg_dtmax(jet_dtype d) {
  switch (d) {
    case JET_F32: return FLT_MAX;
    case JET_F64: return DBL_MAX;
    case JET_I32: return 2147483648.0;
    case JET_I64: return 9223372036854775808.0;
    case JET_U8: return 255;
    case JET_U32: return 4294967295.0;
    case JET_BOOL: return 1;
    default: return DBL_MAX;
  }
}
static inline double fg_min2(double a, double b) { return a < b ? a : b; }
static inline double fg_max2(double a, double b) { return a > b ? a : b; }
static inline const jet_type *fg_ty(fg_gen *g, jet_value v) {
  static const jet_type dummy = {.dtype = JET_F32};
  const jet_type *t = g->b.st || v == JET_NO_VALUE ? NULL : jet_graph_value_type(g->b.g, v);
  return t ? t : &dummy;
}
static inline jet_dtype fg_dt(fg_gen *g, jet_value v) { return fg_ty(g, v)->dtype; }
static inline fg_info *fg_inf(fg_gen *g, jet_value v) {
  static fg_info dummy;
  return v < FG_MAXV ? &g->info[v] : &dummy;
}
static inline bool fg_ok(fg_gen *g) {
  return !g->b.st && g->b.g && g->b.g->n_values + 48 < FG_MAXV;
}

static inline fg_info fg_exact(double mag, int q, bool nonneg) {
  fg_info i = {FG_EXACT, nonneg, (int8_t)q, 0, mag, -1, q >= 0 && q <= 60 ? ldexp(1.0, -q) : 0};
  return i;
}
static inline fg_info fg_int_info(jet_dtype d, double mag) {
  return fg_exact(fg_min2(mag, fg_dtmax(d)), 0, fg_isuint(d) || d == JET_BOOL);
}
/* REL values below this may be subnormal, where the few ulps a function
 * may be off are a large relative error: ops that would magnify them
 * (sqrt, rsqrt, div, mul by a large value, f32 -> f64) refuse such
 * operands. */
static inline double fg_tiny(jet_dtype d) { return d == JET_F32 ? 0x1p-100 : 0x1p-990; }
/* Every sum of n terms of x is exact in any order. */
static inline bool fg_dyadic_fits(const fg_info *x, jet_dtype d, double n) {
  return x->cls == FG_EXACT && x->q >= 0 && x->q <= 30 &&
         ldexp(x->mag * fg_max2(n, 1), x->q) < ldexp(1.0, fg_mant(d));
}

/* ------------------------------------------------------------ the pool */

static inline void fg_push(fg_gen *g, jet_value v) {
  if (v != JET_NO_VALUE && g->n_pool < FG_MAXV) g->pool[g->n_pool++] = v;
}

static inline jet_value fg_add(fg_gen *g, jet_op op, const jet_value *x, uint32_t n,
                               const jet_attr *a, uint32_t na, fg_info inf) {
  if (g->b.st) return JET_NO_VALUE;
  if (inf.cls == FG_LOOSE && g->n_loose >= FG_MAX_LOOSE) return JET_NO_VALUE;
  jet_value v = adc_op(&g->b, op, x, n, a, na);
  if (v == JET_NO_VALUE) return v;
  if (v >= FG_MAXV) {
    g->b.st = jet_status_make(JET_INTERNAL, "generator: more than %d values", FG_MAXV);
    return JET_NO_VALUE;
  }
  g->info[v] = inf;
  g->op_count[op]++;
  if (inf.cls == FG_LOOSE) {
    g->info[v].loose = (int16_t)g->n_loose;
    g->loose_node[g->n_loose] = (uint32_t)g->b.g->value_node[v];
    g->loose_value[g->n_loose++] = v;
  } else {
    fg_push(g, v);
  }
  if (g->chain_mode) g->chain_last = v;
  return v;
}

/* A pool value accepted by ok(), preferring recent ones; JET_NO_VALUE when
 * none. In chain mode, the chain's last value when it is accepted. */
typedef bool (*fg_filter)(fg_gen *, jet_value, const void *);
static inline jet_value fg_pick(fg_gen *g, fg_filter ok, const void *ctx) {
  if (g->chain_mode && g->chain_last != JET_NO_VALUE && fg_pct(g, 90) &&
      (!ok || ok(g, g->chain_last, ctx)))
    return g->chain_last;
  jet_value c[FG_MAXV];
  uint32_t n = 0;
  for (uint32_t i = 0; i < g->n_pool; i++)
    if (!ok || ok(g, g->pool[i], ctx)) c[n++] = g->pool[i];
  if (!n) return JET_NO_VALUE;
  if (n > 5 && fg_pct(g, 60)) return c[n - 1 - (uint32_t)fg_rnd(g, 5)];
  return c[fg_rnd(g, (int)n)];
}

/* ------------------------------------------------------------ shapes */

static inline int64_t fg_numel(const jet_type *t) { return jet_type_numel(t); }

/* Strictly increasing maps of src's dims into dst's (broadcast_in_dim). */
static inline int fg_map_count(const jet_type *s, const jet_type *d, int i, int j) {
  if (i == s->rank) return 1;
  int c = 0;
  for (int jj = j; jj <= d->rank - (s->rank - i); jj++)
    if (s->dims[i] == 1 || s->dims[i] == d->dims[jj]) c += fg_map_count(s, d, i + 1, jj + 1);
  return c;
}
static inline void fg_map_pick(const jet_type *s, const jet_type *d, int i, int j, int k,
                               int64_t *bd) {
  if (i == s->rank) return;
  for (int jj = j; jj <= d->rank - (s->rank - i); jj++) {
    if (!(s->dims[i] == 1 || s->dims[i] == d->dims[jj])) continue;
    int c = fg_map_count(s, d, i + 1, jj + 1);
    if (k < c) {
      bd[i] = jj;
      fg_map_pick(s, d, i + 1, jj + 1, k, bd);
      return;
    }
    k -= c;
  }
}
static inline bool fg_bcastable(const jet_type *s, const jet_type *d) {
  return s->rank <= d->rank && fg_map_count(s, d, 0, 0) > 0;
}

/* A shape broadcastable into s: a subsequence of its dims, some set to 1. */
static inline jet_type fg_sub_shape(fg_gen *g, const jet_type *s, jet_dtype dt) {
  jet_type t = jet_type_make(dt, 0, NULL);
  for (int d = 0; d < s->rank; d++) {
    if (fg_pct(g, 40)) continue;
    t.dims[t.rank++] = fg_pct(g, 30) ? 1 : s->dims[d];
  }
  return t;
}

/* A different shape with s's element count. */
static inline jet_type fg_reshape_target(fg_gen *g, const jet_type *s) {
  const int64_t n = fg_numel(s);
  jet_type t = jet_type_make(s->dtype, 0, NULL);
  if (n == 0) {
    t.rank = 1 + fg_rnd(g, 3);
    for (int d = 0; d < t.rank; d++) t.dims[d] = 1 + fg_rnd(g, 5);
    t.dims[fg_rnd(g, t.rank)] = 0;
    return t;
  }
  int k = fg_rnd(g, 4);
  if (k == 0 || n == 1) {
    t.rank = 1;
    t.dims[0] = n;
    if (n == 1 && fg_pct(g, 50)) t.rank = fg_rnd(g, 3), t.dims[1] = 1, t.dims[0] = 1;
    return t;
  }
  /* split n into factors (divisors up to 70), 2 or 3 of them, some 1s */
  int64_t rest = n;
  int want = 2 + fg_rnd(g, 2);
  for (int f = 0; f < want - 1; f++) {
    int64_t divs[72];
    int nd = 0;
    for (int64_t d = 1; d <= 70 && d <= rest; d++)
      if (rest % d == 0) divs[nd++] = d;
    int64_t d = divs[fg_rnd(g, nd)];
    if (fg_pct(g, 15)) d = 1;
    t.dims[t.rank++] = d;
    rest /= d;
  }
  t.dims[t.rank++] = rest;
  /* shuffle */
  for (int i = t.rank - 1; i > 0; i--) {
    int j = fg_rnd(g, i + 1);
    int64_t tmp = t.dims[i];
    t.dims[i] = t.dims[j];
    t.dims[j] = tmp;
  }
  return t;
}

static inline jet_type fg_base_shape(fg_gen *g) {
  jet_type t = jet_type_make(JET_F32, 0, NULL);
  /* kind < 10: big (70,000+ elements: several tasks and tiles); < 14: a
   * dim of 0; < 24: long rows (a last dim of 1000-5000, not a multiple of
   * the tile); else normal */
  int kind = fg_rnd(g, 100);
  t.rank = fg_pct(g, 8) && kind >= 24 ? 0 : 1 + fg_rnd(g, 4);
  for (int d = 0; d < t.rank; d++) {
    int k = fg_rnd(g, 100);
    t.dims[d] = k < 18 ? 1 : k < 30 ? 2 + fg_rnd(g, 7) : 1 + fg_rnd(g, 70);
  }
  while (fg_numel(&t) > FG_NORMAL_NUMEL) {
    int d = fg_rnd(g, t.rank);
    t.dims[d] = (t.dims[d] + 1) / 2;
  }
  if (kind < 10 && t.rank > 0) {
    int a = fg_rnd(g, t.rank);
    t.dims[a] = 1;
    int64_t others = fg_numel(&t), target = FG_BIG_NUMEL * (1 + fg_rnd(g, 3));
    t.dims[a] = (target + others - 1) / others + fg_rnd(g, 4000 / (int)others + 2);
  } else if (kind < 14 && t.rank > 0) {
    t.dims[fg_rnd(g, t.rank)] = 0;
  } else if (kind < 24) {
    t.rank = 2 + fg_rnd(g, 2);
    t.dims[t.rank - 1] = 1000 + fg_rnd(g, 4000);
    for (int d = 0; d < t.rank - 1; d++) t.dims[d] = 1 + fg_rnd(g, d == 0 ? 30 : 4);
  }
  return t;
}

/* ------------------------------------------------------------ data */

static inline double fg_sample(fg_gen *g, int dom, jet_dtype dt, bool specials) {
  adc_rng *r = &g->r;
  if (specials && fg_pct(g, 3)) {
    static const double sp[5] = {NAN, INFINITY, -INFINITY, -0.0, 0.0};
    double v = sp[fg_rnd(g, 5)];
    return dom == FD_DYADIC_NN || dom == FD_GENERAL_NN || dom == FD_POS ? fabs(v) : v;
  }
  switch (dom) {
    case FD_DYADIC: return (double)adc_randint(r, -32, 32) / 4;
    case FD_DYADIC_NN: return (double)adc_randint(r, 0, 32) / 4;
    case FD_POS: return adc_unif(r, 0.01, 10);
    case FD_GENERAL:
    case FD_GENERAL_NN:
    case FD_WIDE: {
      int k = fg_rnd(g, 100);
      double v;
      if (k < 60) {
        v = adc_unif(r, -4, 4);
      } else if (k < 78) {
        v = pow(10.0, dom == FD_WIDE ? adc_unif(r, -30, 30) : adc_unif(r, -6, 6));
        if (fg_pct(g, 50)) v = -v;
      } else if (k < 85) {
        v = (double)adc_randint(r, -20, 20);
      } else if (k < 90) {
        v = (dt == JET_F32 ? 1e-40 : 1e-310) * adc_unif(r, -3, 3);
      } else if (k < 95) {
        v = fg_pct(g, 50) ? -0.0 : 0.0;
      } else {
        v = adc_unif(r, -1e-3, 1e-3);
      }
      return dom == FD_GENERAL_NN ? fabs(v) : v;
    }
    case FD_BOOL: return (double)fg_rnd(g, 2);
    default: return 0;
  }
}

/* Fills b (type set, data allocated) from domain dom. */
static inline void fg_fill(fg_gen *g, jet_buf *b, int dom, bool specials) {
  const int64_t n = jet_type_numel(&b->type);
  const jet_dtype dt = b->type.dtype;
  const int64_t fresh = n < 8192 ? n : 8192; /* then random copies of those */
  const size_t es = jet_dtype_size(dt);
  for (int64_t i = 0; i < fresh; i++) {
    if (dom == FD_INT_SMALL || dom == FD_INT_EXT) {
      int64_t v;
      int k = fg_rnd(g, 100);
      if (dom == FD_INT_EXT && k < 20) {
        const double mx = fg_dtmax(dt);
        switch (fg_rnd(g, 7)) {
          case 0: v = fg_isuint(dt) ? 0 : dt == JET_I32 ? INT32_MIN : INT64_MIN; break;
          case 1: v = dt == JET_I64 ? INT64_MAX : (int64_t)mx - (dt == JET_I32); break;
          case 2: v = fg_isuint(dt) ? 1 : dt == JET_I32 ? INT32_MIN + 1 : INT64_MIN + 1; break;
          case 3: v = dt == JET_I64 ? INT64_MAX - 1 : (int64_t)mx - 1 - (dt == JET_I32); break;
          case 4: v = -1; break;
          case 5: v = 1; break;
          default: v = 0; break;
        }
      } else if (dom == FD_INT_EXT && k < 60) {
        v = (int64_t)adc_next(&g->r);
      } else {
        v = fg_isuint(dt) ? adc_randint(&g->r, 0, 100) : adc_randint(&g->r, -100, 100);
      }
      switch (dt) {
        case JET_I32: ((int32_t *)b->data)[i] = (int32_t)v; break;
        case JET_I64: ((int64_t *)b->data)[i] = v; break;
        case JET_U8: ((uint8_t *)b->data)[i] = (uint8_t)v; break;
        case JET_U32: ((uint32_t *)b->data)[i] = (uint32_t)v; break;
        default: break;
      }
    } else {
      adc_set(b, i, fg_sample(g, dom, dt, specials));
    }
  }
  for (int64_t i = fresh; i < n; i++)
    memcpy((char *)b->data + i * es,
           (char *)b->data + (int64_t)(adc_next(&g->r) % (uint64_t)fresh) * es, es);
}

static inline fg_info fg_domain_info(int dom, jet_dtype dt) {
  switch (dom) {
    case FD_DYADIC: return fg_exact(8, 2, false);
    case FD_DYADIC_NN: return fg_exact(8, 2, true);
    case FD_GENERAL: return fg_exact(1e6, -1, false);
    case FD_GENERAL_NN: return fg_exact(1e6, -1, true);
    case FD_WIDE: return fg_exact(1e30, -1, false);
    case FD_POS: {
      fg_info i = fg_exact(10, -1, true);
      i.lo = 0.01;
      return i;
    }
    case FD_INT_SMALL: return fg_int_info(dt, 100);
    case FD_INT_EXT: return fg_int_info(dt, fg_dtmax(dt));
    default: return fg_int_info(JET_BOOL, 1);
  }
}

static inline int fg_random_domain(fg_gen *g, jet_dtype dt) {
  if (dt == JET_BOOL) return FD_BOOL;
  if (fg_isint(dt)) return fg_pct(g, 55) ? FD_INT_SMALL : FD_INT_EXT;
  static const int w[6] = {35, 10, 25, 8, 10, 12};
  static const int d[6] = {FD_DYADIC, FD_DYADIC_NN, FD_GENERAL, FD_GENERAL_NN, FD_WIDE, FD_POS};
  int k = fg_rnd(g, 100);
  for (int i = 0; i < 6; i++) {
    if (k < w[i]) return d[i];
    k -= w[i];
  }
  return FD_GENERAL;
}

static inline jet_dtype fg_random_dtype(fg_gen *g) {
  static const jet_dtype d[7] = {JET_F32, JET_F64, JET_I32, JET_I64, JET_U8, JET_U32, JET_BOOL};
  static const int w[7] = {32, 20, 15, 8, 7, 7, 11};
  int k = fg_rnd(g, 100);
  for (int i = 0; i < 7; i++) {
    if (k < w[i]) return d[i];
    k -= w[i];
  }
  return JET_F32;
}

/* ------------------------------------------------------------ leaves */

static inline jet_value fg_param(fg_gen *g, jet_type t, int dom, bool specials) {
  if (g->b.st || g->n_params >= FG_MAX_PARAMS) return JET_NO_VALUE;
  jet_value v = adc_param(&g->b, t);
  if (v == JET_NO_VALUE) return v;
  g->domain[g->n_params] = (uint8_t)dom;
  g->specials[g->n_params] = specials;
  g->n_params++;
  g->info[v] = fg_domain_info(dom, t.dtype);
  fg_push(g, v);
  return v;
}

/* A constant of type t from domain dom (scalars from a small set). */
static inline jet_value fg_const(fg_gen *g, jet_type t, int dom) {
  if (g->b.st) return JET_NO_VALUE;
  if (fg_numel(&t) > FG_MAX_CONST) return JET_NO_VALUE;
  jet_buf b = adc_buf(t);
  if (!b.data) {
    g->b.st = jet_status_oom("constant");
    return JET_NO_VALUE;
  }
  fg_info inf = fg_domain_info(dom, t.dtype);
  if (t.rank == 0 && fg_pct(g, 70)) {
    static const double fs[12] = {2, 0.5, -1, 1, 0, 3, -0.0, 0.25, 1e-3, NAN, INFINITY, 7};
    static const double is[8] = {1, 2, 0, 3, 7, -1, 31, 100};
    double v = fg_isf(t.dtype)       ? fs[fg_rnd(g, 12)]
               : t.dtype == JET_BOOL ? fg_rnd(g, 2)
                                     : is[fg_rnd(g, 8)];
    if (fg_isuint(t.dtype) && v < 0) v = 1;
    adc_set(&b, 0, v);
    if (fg_isf(t.dtype)) {
      inf = fg_exact(fabs(v) > 0 && isfinite(v) ? fabs(v) : 1, v == 1e-3 ? -1 : 2,
                     !(v < 0) && !signbit(v));
      inf.lo = fabs(v) > 0 && isfinite(v) ? fabs(v) : 1;
    } else
      inf = fg_int_info(t.dtype, fabs(v));
  } else {
    fg_fill(g, &b, dom, fg_pct(g, 30));
  }
  const jet_attr la = gb_lit("value", t, b.data, jet_type_nbytes(&t));
  jet_value v = fg_add(g, JET_OP_CONSTANT, NULL, 0, &la, 1, inf);
  adc_buf_free(&b);
  return v;
}

#endif
