/* Random graphs for the differential tests of the compiler's lowering
 * (tests/unit/test_server_lower_diff.c): a seeded generator of graphs that
 * stress fusion and memory planning, the argument data to run them on, and
 * the comparison of two runs' outputs.
 *
 * Graphs: 1-6 parameters (f32, f64, i32, i64, u8, u32, bool; rank 0-4, dims
 * 1-70, some of 70,000+ elements, a few of size 0) around a base shape;
 * chains and DAGs of elementwise unary/binary ops, comparisons, select,
 * clamp, converts, bitcasts, broadcast_in_dim (scalar to shape, rows,
 * columns, general dims), reshape/squeeze/expand_dims, scalar and array
 * constants, fan-out, reductions (sum/max/min/prod over all, leading,
 * trailing, middle, empty, unsorted or negative axes) at the end of chains
 * and in the middle (broadcast back, as in softmax), sometimes a chain
 * longer than a fused group may be, and non-fusible ops between them
 * (dot_general, transpose, slice, rev, concatenate, gather, cumsum, iota).
 * Outputs: the last value, intermediates, parameters, constants,
 * duplicates.
 *
 * What must match. Every value carries an fg_info saying how the optimized
 * run may differ from the reference executor:
 *  - FG_EXACT: bit for bit (every NaN equals every NaN; the sign of zero
 *    counts; floats are bitcast to ints only from parameters and constants,
 *    as the sign and payload of computed NaNs are unspecified). Integers
 *    and bools always; floats through every op that IEEE
 *    arithmetic rounds exactly once (+ - * / sqrt fmod, converts, min/max,
 *    select, clamp, floor/ceil/round, structure), and float sums, cumsums,
 *    products and dots whose operands are "dyadic" (multiples of 2^-q below
 *    a magnitude the generator tracks) small enough that every partial
 *    result is exact in any order.
 *  - FG_REL: |got - ref| <= 2 err max(|got|, |ref|) + tiny (FG_ATOL); NaN
 *    where the reference has NaN, the same infinity where it has one.
 *    Transcendental ops (vectorised functions may differ from libm by a few
 *    ulps: FG_ULPS) and reorderable sums of non-negative values start it;
 *    err grows through the ops allowed on such values (mul, div, sqrt,
 *    max/min, select, clamp, float converts, structure, adds of
 *    non-negatives, well-conditioned functions with the condition number
 *    bounded through the tracked magnitude). Ops that would amplify a small
 *    difference without bound (sub, compares, floor, converts to ints, log,
 *    sin, ...) never take an FG_REL operand.
 *  - FG_LOOSE: float sums, cumsums and dots that may be reordered and may
 *    cancel: |got - ref| <= 2 err S + tiny, S the same reduction over the
 *    absolute values (computed by the reference on a probe graph,
 *    fg_probe); err = the operand's err + (n + 2) eps for n terms (the
 *    rigorous bound of any summation order). Such values are only outputs,
 *    never operands.
 * Magnitude bounds also keep reorderable sums and products clear of
 * overflow and underflow, so that infinities and NaNs land in the same
 * places in any order.
 *
 * Usage: fg_gen *g = fg_new(seed); fg_generate(g) (or build by hand with
 * fg_param, fg_op*, fg_outputs); fg_finish(g) validates it and fills
 * g->args; g->g is the graph, g->out_info[j] the rule of output j.
 * fg_free(g) frees everything. */
#ifndef JET_TESTS_FUSE_GEN_H
#define JET_TESTS_FUSE_GEN_H

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

/* ------------------------------------------------------------ result rules */

typedef struct fg_trans {
  jet_op op;
  double ulps;
  int cond; /* 0: no REL operand; 1: cond <= c; 2: cond <= mag + 1 (mag <= 40) */
  double c;
  int outmag; /* 0: const om, 1: exp(mag), 2: 2^mag, 3: log range, 4: dtype max */
  double om;
  bool nonneg;
} fg_trans;

static const fg_trans fg_trans_table[] = {
    {JET_OP_EXP, 8, 2, 0, 1, 0, true},        {JET_OP_EXP2, 8, 2, 0, 2, 0, true},
    {JET_OP_LOG, 8, 0, 0, 3, 0, false},       {JET_OP_LOG1P, 8, 0, 0, 3, 0, false},
    {JET_OP_EXPM1, 8, 2, 0, 1, 0, false},     {JET_OP_RSQRT, 8, 1, 0.5, 4, 0, true},
    {JET_OP_TANH, 8, 1, 1, 0, 1, false},      {JET_OP_LOGISTIC, 16, 2, 0, 0, 1, true},
    {JET_OP_SIN, 8, 0, 0, 0, 1, false},       {JET_OP_COS, 8, 0, 0, 0, 1, false},
    {JET_OP_TAN, 16, 0, 0, 4, 0, false},      {JET_OP_ASIN, 8, 0, 0, 0, 1.6, false},
    {JET_OP_ACOS, 8, 0, 0, 0, 3.2, true},     {JET_OP_ATAN, 8, 1, 1, 0, 1.6, false},
    {JET_OP_SINH, 8, 2, 0, 1, 0, false},      {JET_OP_COSH, 8, 2, 0, 1, 0, true},
    {JET_OP_ERF, 8, 1, 2, 0, 1, false},       {JET_OP_ERF_INV, 32, 0, 0, 0, 10, false},
};
#define FG_N_TRANS (sizeof fg_trans_table / sizeof fg_trans_table[0])

static inline const fg_trans *fg_trans_find(jet_op op) {
  for (size_t i = 0; i < FG_N_TRANS; i++)
    if (fg_trans_table[i].op == op) return &fg_trans_table[i];
  return NULL;
}

/* A REL result: err checked against FG_ERR_CAP. */
static inline bool fg_rel(fg_info *o, double err, double mag, bool nonneg) {
  if (!(err <= FG_ERR_CAP)) return false;
  *o = (fg_info){FG_REL, nonneg, -1, err, mag, -1, 0};
  return true;
}

static inline double fg_capmag(double m, jet_dtype d) {
  return !(m < fg_dtmax(d)) ? fg_dtmax(d) : m;
}

/* The rule of an elementwise op's result (x: operand infos, dt: operand
 * dtypes, od: the result's dtype, y: integer_pow's exponent). False when
 * the op must not take these operands (a LOOSE one, or a REL one the op
 * would amplify without bound). */
static inline bool fg_ew_rule0(jet_op op, int64_t y, const fg_info *x, const jet_dtype *dt,
                               uint32_t n, jet_dtype od, fg_info *o) {
  bool rel = false;
  double err = 0, mag = 0;
  for (uint32_t k = 0; k < n; k++) {
    if (x[k].cls == FG_LOOSE) return false;
    rel = rel || x[k].cls == FG_REL;
    err = fg_max2(err, x[k].err);
    mag = fg_max2(mag, x[k].mag);
  }
  const jet_dtype d0 = dt[0];
  const bool f = fg_isf(od);
  const double E = f ? fg_eps(od) : 0;
  const fg_info *a = &x[0], *b = n > 1 ? &x[1] : NULL;
  switch (op) {
    case JET_OP_STOP_GRADIENT: *o = *a; return true;
    case JET_OP_NEG:
      *o = *a;
      o->nonneg = fg_isuint(od);
      if (fg_isuint(od) && a->mag > 0) o->mag = fg_dtmax(od);
      return true;
    case JET_OP_ABS:
      *o = *a;
      o->nonneg = true;
      return true;
    case JET_OP_SIGN:
      if (rel) return false;
      *o = f ? fg_exact(1, 0, a->nonneg) : fg_int_info(od, 1);
      return true;
    case JET_OP_FLOOR:
    case JET_OP_CEIL:
    case JET_OP_ROUND:
      if (rel) return false;
      *o = fg_exact(fg_capmag(floor(a->mag) + 1, od), 0, a->nonneg);
      return true;
    case JET_OP_IS_FINITE:
    case JET_OP_NOT:
      if (rel) return false;
      *o = fg_int_info(od, od == JET_BOOL ? 1 : fg_dtmax(od));
      return true;
    case JET_OP_SQUARE:
    case JET_OP_INTEGER_POW: {
      const int64_t p = op == JET_OP_SQUARE ? 2 : y;
      const int64_t ap = p < 0 ? -p : p;
      if (!f) {
        *o = fg_int_info(od, ap == 0 ? 1 : fg_min2(pow(a->mag, (double)ap), fg_dtmax(od)));
        return true;
      }
      const double m = p < 0 ? fg_dtmax(od) : fg_capmag(p == 0 ? 1 : pow(a->mag, (double)p), od);
      const bool nn = p % 2 == 0 || a->nonneg;
      if (!rel && (op == JET_OP_SQUARE || (p >= -1 && p <= 3))) {
        int q = p >= 0 && a->q >= 0 && a->q * p <= 60 ? (int)(a->q * p) : -1;
        if (p == 0) q = 0;
        *o = fg_exact(m, q, nn);
        return true;
      }
      if (rel && p < 0) return false;
      return fg_rel(o, (double)ap * a->err + (double)(ap + 1) * E, m, nn);
    }
    case JET_OP_SQRT:
      if (!rel) {
        *o = fg_exact(sqrt(a->mag), -1, true);
        return true;
      }
      return fg_rel(o, 0.5 * a->err + E, sqrt(a->mag), true);
    case JET_OP_ADD:
    case JET_OP_SUB:
      if (!f) {
        *o = fg_int_info(od, fg_isuint(od) && op == JET_OP_SUB ? fg_dtmax(od) : a->mag + b->mag);
        return true;
      }
      if (!rel) {
        *o = fg_exact(fg_capmag(a->mag + b->mag, od),
                      a->q >= 0 && b->q >= 0 ? (a->q > b->q ? a->q : b->q) : -1,
                      op == JET_OP_ADD && a->nonneg && b->nonneg);
        return true;
      }
      if (op != JET_OP_ADD || !a->nonneg || !b->nonneg) return false;
      return fg_rel(o, err + E, fg_capmag(a->mag + b->mag, od), true);
    case JET_OP_MUL:
      if (!f) {
        *o = fg_int_info(od, a->mag * b->mag);
        return true;
      }
      if (!rel) {
        *o = fg_exact(fg_capmag(a->mag * b->mag, od),
                      a->q >= 0 && b->q >= 0 && a->q + b->q <= 60 ? a->q + b->q : -1,
                      a->nonneg && b->nonneg);
        return true;
      }
      if (!(a->mag * b->mag < fg_dtmax(od) / 16)) return false;
      return fg_rel(o, a->err + b->err + E, a->mag * b->mag, a->nonneg && b->nonneg);
    case JET_OP_DIV:
      if (!f) {
        *o = fg_int_info(od, fg_isuint(od) ? fg_dtmax(od) : fg_max2(a->mag, 1));
        return true;
      }
      if (!rel) {
        *o = fg_exact(fg_dtmax(od), -1, a->nonneg && b->nonneg);
        return true;
      }
      return fg_rel(o, a->err + b->err + E, fg_dtmax(od), a->nonneg && b->nonneg);
    case JET_OP_REM:
      if (rel) return false;
      if (!f) {
        *o = fg_int_info(od, a->mag);
        return true;
      }
      *o = fg_exact(a->mag, a->q >= 0 && b->q >= 0 ? (a->q > b->q ? a->q : b->q) : -1, a->nonneg);
      return true;
    case JET_OP_POW:
      if (rel) return false;
      return fg_rel(o, 16 * E, fg_dtmax(od), false);
    case JET_OP_ATAN2:
      if (rel) return false;
      return fg_rel(o, 8 * E, 3.2, false);
    case JET_OP_MAX:
    case JET_OP_MIN:
    case JET_OP_SELECT:
    case JET_OP_CLAMP: {
      /* the candidate values: MAX/MIN both, SELECT 1 and 2, CLAMP all */
      const uint32_t k0 = op == JET_OP_SELECT ? 1 : 0;
      if (op == JET_OP_SELECT && x[0].cls != FG_EXACT) return false;
      int q = 0;
      bool nn_all = true, nn_any = false;
      double e = 0, m = 0;
      for (uint32_t k = k0; k < n; k++) {
        q = x[k].q < 0 || q < 0 ? -1 : (x[k].q > q ? x[k].q : q);
        nn_all = nn_all && x[k].nonneg;
        nn_any = nn_any || x[k].nonneg;
        e = fg_max2(e, x[k].err);
        m = fg_max2(m, x[k].mag);
      }
      bool nn = nn_all;
      if (op == JET_OP_MAX) nn = nn_any;
      if (op == JET_OP_CLAMP) nn = (x[0].nonneg || x[1].nonneg) && x[2].nonneg;
      if (!f) {
        *o = fg_int_info(od, m);
        return true;
      }
      bool r2 = false;
      for (uint32_t k = k0; k < n; k++) r2 = r2 || x[k].cls == FG_REL;
      if (!r2) {
        *o = fg_exact(m, q, nn);
        return true;
      }
      return fg_rel(o, e, m, nn);
    }
    case JET_OP_AND:
    case JET_OP_OR:
    case JET_OP_XOR:
    case JET_OP_SHIFT_LEFT:
    case JET_OP_SHIFT_RIGHT_LOGICAL:
    case JET_OP_SHIFT_RIGHT_ARITHMETIC:
      *o = fg_int_info(od, od == JET_BOOL ? 1
                           : op == JET_OP_AND && fg_isuint(od) ? fg_min2(a->mag, b->mag)
                                                               : fg_dtmax(od));
      return true;
    case JET_OP_EQ:
    case JET_OP_NE:
    case JET_OP_LT:
    case JET_OP_LE:
    case JET_OP_GT:
    case JET_OP_GE:
      if (rel) return false;
      *o = fg_int_info(JET_BOOL, 1);
      return true;
    case JET_OP_CONVERT_ELEMENT_TYPE:
      if (fg_isf(d0) && fg_isf(od)) {
        const double m = fg_capmag(a->mag, od);
        if (a->cls == FG_EXACT) {
          int q = a->q;
          if (od == JET_F32 && d0 == JET_F64 && !fg_dyadic_fits(a, JET_F32, 1)) q = -1;
          *o = fg_exact(m, q, a->nonneg);
          return true;
        }
        return fg_rel(o, a->err + (od == JET_F32 && d0 == JET_F64 ? fg_eps(JET_F32) : 0), m,
                      a->nonneg);
      }
      if (rel) return false;
      if (od == JET_BOOL) {
        *o = fg_int_info(JET_BOOL, 1);
      } else if (d0 == JET_BOOL) {
        *o = f ? fg_exact(1, 0, true) : fg_int_info(od, 1);
      } else if (fg_isf(od)) { /* int -> float: integers, rounded */
        *o = fg_exact(fg_capmag(a->mag * (1 + 2 * E), od), 0, fg_isuint(d0) || a->nonneg);
      } else if (fg_isf(d0)) { /* float -> int: saturating (infinities too) */
        *o = fg_int_info(od, fg_dtmax(od));
      } else { /* int -> int: wraps */
        const bool keeps = a->mag < fg_dtmax(od) && !(fg_isuint(od) && !fg_isuint(d0));
        *o = fg_int_info(od, keeps ? a->mag : fg_dtmax(od));
      }
      return true;
    case JET_OP_BITCAST_CONVERT_TYPE:
      if (rel) return false;
      *o = f ? fg_exact(fg_dtmax(od), -1, false) : fg_int_info(od, fg_dtmax(od));
      return true;
    default: break;
  }
  const fg_trans *t = fg_trans_find(op);
  if (!t) return false;
  double cond;
  if (!rel) {
    cond = 0;
  } else if (t->cond == 1) {
    cond = t->c;
  } else if (t->cond == 2 && a->mag <= 40) {
    cond = a->mag + 1;
  } else {
    return false;
  }
  double m;
  switch (t->outmag) {
    case 1: m = exp(fg_min2(a->mag, 1000)); break;
    case 2: m = exp2(fg_min2(a->mag, 2000)); break;
    case 3: m = od == JET_F32 ? 104 : 745; break;
    case 4: m = fg_dtmax(od); break;
    default: m = t->om; break;
  }
  return fg_rel(o, cond * a->err + t->ulps * E, fg_capmag(m, od), t->nonneg);
}

/* The lower bound of the result's non-zero magnitudes. */
static inline double fg_lo_rule(jet_op op, int64_t y, const fg_info *x, const jet_dtype *dt,
                                uint32_t n, jet_dtype od, const fg_info *o) {
  const fg_info *a = &x[0], *b = n > 1 ? &x[1] : NULL;
  const uint32_t k0 = op == JET_OP_SELECT ? 1 : 0;
  double lmin = INFINITY;
  for (uint32_t k = k0; k < n; k++) lmin = fg_min2(lmin, x[k].lo);
  double lo = 0;
  switch (op) {
    case JET_OP_STOP_GRADIENT:
    case JET_OP_NEG:
    case JET_OP_ABS: lo = a->lo; break;
    case JET_OP_SIGN:
    case JET_OP_FLOOR:
    case JET_OP_CEIL:
    case JET_OP_ROUND: lo = 1; break;
    case JET_OP_SQUARE: lo = a->lo * a->lo; break;
    case JET_OP_INTEGER_POW:
      lo = y > 0 ? pow(a->lo, (double)y) : y == 0 ? 1 : 1 / pow(fg_max2(a->mag, 1), (double)-y);
      break;
    case JET_OP_SQRT: lo = sqrt(a->lo); break;
    case JET_OP_RSQRT: lo = 1 / sqrt(a->mag); break;
    case JET_OP_ADD: lo = a->nonneg && b->nonneg ? fg_min2(a->lo, b->lo) : 0; break;
    case JET_OP_MUL: lo = a->lo * b->lo; break;
    case JET_OP_DIV: lo = a->lo / b->mag; break;
    case JET_OP_MAX:
    case JET_OP_MIN:
    case JET_OP_SELECT:
    case JET_OP_CLAMP: lo = lmin; break;
    case JET_OP_CONVERT_ELEMENT_TYPE:
      lo = fg_isf(dt[0]) ? (od == JET_F32 && a->lo < FLT_MIN ? 0 : a->lo) : 1;
      break;
    case JET_OP_EXP: lo = exp(-a->mag); break;
    case JET_OP_EXP2: lo = exp2(-a->mag); break;
    case JET_OP_COSH: lo = 1; break;
    case JET_OP_LOGISTIC: lo = 1 / (1 + exp(a->mag)); break;
    case JET_OP_TANH:
    case JET_OP_ATAN:
    case JET_OP_ERF:
    case JET_OP_SINH:
    case JET_OP_ASIN:
    case JET_OP_ERF_INV:
    case JET_OP_EXPM1:
    case JET_OP_LOG1P: lo = 0.5 * a->lo / (1 + a->mag); break;
    default: lo = 0; break;
  }
  if (!(lo > 0) || !fg_isf(od)) lo = fg_isf(od) ? 0 : 1;
  if (o->q >= 0 && o->q <= 60) lo = fg_max2(lo, ldexp(1.0, -o->q));
  return lo;
}

static inline bool fg_ew_rule(jet_op op, int64_t y, const fg_info *x, const jet_dtype *dt,
                              uint32_t n, jet_dtype od, fg_info *o) {
  /* REL operands that might be subnormal, into ops that would magnify them */
  for (uint32_t k = 0; k < n; k++) {
    if (x[k].cls != FG_REL || x[k].lo >= fg_tiny(dt[k])) continue;
    switch (op) {
      case JET_OP_SQRT:
      case JET_OP_RSQRT:
      case JET_OP_DIV: return false;
      case JET_OP_MUL:
        if (x[1 - k].mag > 1) return false;
        break;
      case JET_OP_CONVERT_ELEMENT_TYPE:
        if (od == JET_F64) return false;
        break;
      default: break;
    }
  }
  if (!fg_ew_rule0(op, y, x, dt, n, od, o)) return false;
  o->lo = fg_lo_rule(op, y, x, dt, n, od, o);
  return true;
}

/* Sums of n terms (reduce_sum, cumsum, dot): EXACT, REL or LOOSE, or false
 * (overflow in some order possible). m: bound of one term's magnitude. */
static inline bool fg_sum_rule(const fg_info *x, uint32_t nx, jet_dtype dt, double n, double m,
                               int q, bool nonneg, double lo, fg_info *o) {
  double err = 0;
  bool exact = true;
  for (uint32_t k = 0; k < nx; k++) {
    if (x[k].cls == FG_LOOSE) return false;
    exact = exact && x[k].cls == FG_EXACT;
    err += x[k].err;
  }
  if (!fg_isf(dt)) {
    *o = fg_int_info(dt, m * n);
    return true;
  }
  fg_info t = fg_exact(m, q, nonneg);
  if (exact && fg_dyadic_fits(&t, dt, n)) {
    *o = fg_exact(m * fg_max2(n, 1), q, nonneg);
    return true;
  }
  if (!(m * fg_max2(n, 1) < fg_dtmax(dt) / 8)) return false;
  const double e = err + (n + 2) * fg_eps(dt);
  if (nonneg) {
    if (!fg_rel(o, e, m * fg_max2(n, 1), true)) return false;
    o->lo = lo;
    return true;
  }
  if (!(e <= FG_LOOSE_CAP)) return false;
  *o = (fg_info){FG_LOOSE, false, -1, e, m * fg_max2(n, 1), -1, 0};
  return true;
}

/* ------------------------------------------------------------ ops */

static inline jet_value fg_ew(fg_gen *g, jet_op op, const jet_value *x, uint32_t n,
                              const jet_attr *a, uint32_t na, int64_t y) {
  if (g->b.st) return JET_NO_VALUE;
  fg_info xi[3] = {0};
  jet_dtype dt[3];
  for (uint32_t k = 0; k < n; k++) {
    if (x[k] == JET_NO_VALUE) return JET_NO_VALUE;
    xi[k] = *fg_inf(g, x[k]);
    dt[k] = fg_dt(g, x[k]);
  }
  jet_dtype od = dt[op == JET_OP_SELECT || op == JET_OP_CLAMP ? 1 : 0];
  if (op >= JET_OP_EQ && op <= JET_OP_GE) od = JET_BOOL;
  if (op == JET_OP_IS_FINITE) od = JET_BOOL;
  if (op == JET_OP_CONVERT_ELEMENT_TYPE || op == JET_OP_BITCAST_CONVERT_TYPE) od = a[0].u.dtype;
  fg_info o;
  if (!fg_ew_rule(op, y, xi, dt, n, od, &o)) return JET_NO_VALUE;
  return fg_add(g, op, x, n, a, na, o);
}
static inline jet_value fg_op1(fg_gen *g, jet_op op, jet_value x) {
  return fg_ew(g, op, &x, 1, NULL, 0, 0);
}
static inline jet_value fg_op2(fg_gen *g, jet_op op, jet_value x, jet_value y) {
  jet_value v[2] = {x, y};
  return fg_ew(g, op, v, 2, NULL, 0, 0);
}
static inline jet_value fg_op3(fg_gen *g, jet_op op, jet_value x, jet_value y, jet_value z) {
  jet_value v[3] = {x, y, z};
  return fg_ew(g, op, v, 3, NULL, 0, 0);
}
static inline jet_value fg_convert(fg_gen *g, jet_value x, jet_dtype to) {
  if (x == JET_NO_VALUE || fg_dt(g, x) == to) return x;
  jet_attr a = gb_dtype("new_dtype", to);
  return fg_ew(g, JET_OP_CONVERT_ELEMENT_TYPE, &x, 1, &a, 1, 0);
}

/* Structural ops keep the operand's rule. */
static inline jet_value fg_struct(fg_gen *g, jet_op op, const jet_value *x, uint32_t n,
                                  const jet_attr *a, uint32_t na) {
  if (g->b.st) return JET_NO_VALUE;
  fg_info o = *fg_inf(g, x[0]);
  for (uint32_t k = 0; k < n; k++) {
    if (x[k] == JET_NO_VALUE) return JET_NO_VALUE;
    const fg_info *b = fg_inf(g, x[k]);
    if (b->cls == FG_LOOSE) return JET_NO_VALUE;
    if (op == JET_OP_GATHER && k == 1) break;
    if (b->cls > o.cls) o.cls = b->cls;
    o.err = fg_max2(o.err, b->err);
    o.mag = fg_max2(o.mag, b->mag);
    o.q = o.q < 0 || b->q < 0 ? -1 : (b->q > o.q ? b->q : o.q);
    o.nonneg = o.nonneg && b->nonneg;
    o.lo = fg_min2(o.lo, b->lo);
  }
  if (o.cls != FG_EXACT) o.q = -1;
  return fg_add(g, op, x, n, a, na, o);
}

static inline jet_value fg_bcast(fg_gen *g, jet_value x, const jet_type *to) {
  if (x == JET_NO_VALUE || g->b.st) return JET_NO_VALUE;
  const jet_type *t = fg_ty(g, x);
  int c = fg_map_count(t, to, 0, 0);
  if (t->rank > to->rank || c == 0) return JET_NO_VALUE;
  int64_t bd[JET_MAX_RANK] = {0};
  fg_map_pick(t, to, 0, 0, fg_rnd(g, c), bd);
  jet_attr a[2] = {gb_ints("shape", to->dims, (uint32_t)to->rank),
                   gb_ints("broadcast_dimensions", bd, (uint32_t)t->rank)};
  return fg_struct(g, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2);
}
static inline jet_value fg_reshape(fg_gen *g, jet_value x, const jet_type *to) {
  jet_attr a = gb_ints("new_sizes", to->dims, (uint32_t)to->rank);
  return fg_struct(g, JET_OP_RESHAPE, &x, 1, &a, 1);
}

/* reduce op over axes (as given: any order, negatives allowed). */
static inline jet_value fg_reduce(fg_gen *g, jet_op op, jet_value x, const int64_t *axes,
                                  uint32_t na) {
  if (x == JET_NO_VALUE || g->b.st) return JET_NO_VALUE;
  const jet_type *t = fg_ty(g, x);
  const fg_info *xi = fg_inf(g, x);
  if (xi->cls == FG_LOOSE) return JET_NO_VALUE;
  double n = 1;
  for (uint32_t i = 0; i < na; i++) n *= (double)t->dims[axes[i] < 0 ? axes[i] + t->rank : axes[i]];
  const jet_dtype dt = t->dtype;
  fg_info o;
  jet_attr a = gb_ints("axes", axes, na);
  if (op == JET_OP_REDUCE_MAX || op == JET_OP_REDUCE_MIN) {
    o = *xi;
    if (n == 0 && !fg_isf(dt)) o = fg_int_info(dt, fg_dtmax(dt)); /* the identity */
    if (n == 0 && fg_isf(dt)) o.nonneg = op == JET_OP_REDUCE_MIN; /* -inf / +inf */
    return fg_add(g, op, &x, 1, &a, 1, o);
  }
  if (op == JET_OP_REDUCE_SUM) {
    if (!fg_sum_rule(xi, 1, dt, n, xi->mag, xi->q, xi->nonneg, xi->lo, &o)) return JET_NO_VALUE;
    return fg_add(g, op, &x, 1, &a, 1, o);
  }
  /* prod */
  if (!fg_isf(dt)) return fg_add(g, op, &x, 1, &a, 1, fg_int_info(dt, fg_dtmax(dt)));
  if (xi->cls != FG_EXACT || xi->q < 0) return JET_NO_VALUE;
  const double lm = log2(fg_max2(xi->mag, 1));
  const double maxe = dt == JET_F32 ? 120 : 1000;
  if (!(n * lm < maxe && n * xi->q < maxe)) return JET_NO_VALUE;
  const double bits = ceil(log2(ldexp(xi->mag, xi->q) + 1));
  const double m = fg_capmag(pow(fg_max2(xi->mag, 1), n), dt);
  if (n * bits <= fg_mant(dt))
    o = fg_exact(m, (int)fg_min2(n * xi->q, 60), xi->nonneg);
  else if (!fg_rel(&o, (n + 1) * fg_eps(dt), m, xi->nonneg))
    return JET_NO_VALUE;
  o.lo = fg_max2(o.lo, pow(xi->lo, n));
  return fg_add(g, op, &x, 1, &a, 1, o);
}

/* ------------------------------------------------------------ operand fetch */

typedef struct fg_want {
  const jet_type *shape; /* NULL: any */
  jet_dtype dt;          /* JET_DTYPE_INVALID: any */
  bool allow_rel;
  bool bcast;            /* broadcastable candidates (not equal shape) */
  bool scalar;           /* rank-0 candidates */
} fg_want;

static inline bool fg_convertible(fg_gen *g, jet_value v, jet_dtype to) {
  const fg_info *i = fg_inf(g, v);
  if (i->cls == FG_LOOSE) return false;
  if (to == JET_DTYPE_INVALID || fg_dt(g, v) == to) return true;
  return i->cls == FG_EXACT || (fg_isf(fg_dt(g, v)) && fg_isf(to));
}
static inline bool fg_f_same(fg_gen *g, jet_value v, const void *ctx) {
  const fg_want *w = ctx;
  const fg_info *i = fg_inf(g, v);
  return (w->allow_rel || i->cls == FG_EXACT) && fg_convertible(g, v, w->dt) &&
         (!w->shape || jet_type_same_shape(fg_ty(g, v), w->shape));
}
static inline bool fg_f_bcast(fg_gen *g, jet_value v, const void *ctx) {
  const fg_want *w = ctx;
  const fg_info *i = fg_inf(g, v);
  const jet_type *t = fg_ty(g, v);
  return (w->allow_rel || i->cls == FG_EXACT) && fg_convertible(g, v, w->dt) && w->shape &&
         !jet_type_same_shape(t, w->shape) && t->rank > 0 && fg_bcastable(t, w->shape);
}
static inline bool fg_f_scalar(fg_gen *g, jet_value v, const void *ctx) {
  const fg_want *w = ctx;
  const fg_info *i = fg_inf(g, v);
  return (w->allow_rel || i->cls == FG_EXACT) && fg_convertible(g, v, w->dt) &&
         fg_ty(g, v)->rank == 0;
}

/* A value for w: a pool value of the shape (converted if needed), a
 * smaller one broadcast, a scalar, or a new constant. */
static inline jet_value fg_fetch(fg_gen *g, const fg_want *w) {
  if (g->b.st) return JET_NO_VALUE;
  jet_dtype dt = w->dt;
  for (int attempt = 0; attempt < 4; attempt++) {
    int k = fg_rnd(g, 100);
    jet_value v = JET_NO_VALUE;
    if (k < 58) {
      v = fg_pick(g, fg_f_same, w);
      if (v != JET_NO_VALUE) {
        if (dt == JET_DTYPE_INVALID) return v;
        return fg_convert(g, v, dt);
      }
    } else if (k < 80 && w->bcast && w->shape) {
      v = fg_pick(g, fg_f_bcast, w);
      if (v != JET_NO_VALUE) {
        if (dt == JET_DTYPE_INVALID) dt = fg_dt(g, v);
        if (fg_pct(g, 50)) return fg_bcast(g, fg_convert(g, v, dt), w->shape);
        return fg_convert(g, fg_bcast(g, v, w->shape), dt);
      }
    } else if (k < 92 && w->scalar) {
      v = fg_pick(g, fg_f_scalar, w);
      if (v == JET_NO_VALUE || fg_pct(g, 50)) {
        jet_dtype cd = dt == JET_DTYPE_INVALID ? fg_random_dtype(g) : dt;
        v = fg_const(g, jet_type_scalar(cd), fg_random_domain(g, cd));
      }
      if (v != JET_NO_VALUE) return dt == JET_DTYPE_INVALID ? v : fg_convert(g, v, dt);
    } else if (w->shape) {
      jet_dtype cd = dt == JET_DTYPE_INVALID ? fg_random_dtype(g) : dt;
      jet_type t = *w->shape;
      t.dtype = cd;
      if (fg_numel(&t) <= FG_MAX_CONST) {
        v = fg_const(g, t, fg_random_domain(g, cd));
        if (v != JET_NO_VALUE) return v;
      }
    }
  }
  return JET_NO_VALUE;
}

/* ------------------------------------------------------------ steps */

static inline bool fg_f_any(fg_gen *g, jet_value v, const void *ctx) {
  (void)ctx;
  return fg_inf(g, v)->cls != FG_LOOSE;
}
static inline bool fg_f_ranked(fg_gen *g, jet_value v, const void *ctx) {
  (void)ctx;
  return fg_inf(g, v)->cls != FG_LOOSE && fg_ty(g, v)->rank > 0;
}

static inline bool fg_op_accepts(jet_op op, jet_dtype d) {
  return (jet_op_get(op)->dtype_mask & JET_DT_BIT(d)) != 0;
}

static const jet_op fg_unary_ops[] = {
    JET_OP_NEG, JET_OP_ABS, JET_OP_SIGN, JET_OP_FLOOR, JET_OP_CEIL, JET_OP_ROUND,
    JET_OP_IS_FINITE, JET_OP_EXP, JET_OP_EXP2, JET_OP_LOG, JET_OP_LOG1P, JET_OP_EXPM1,
    JET_OP_SQRT, JET_OP_RSQRT, JET_OP_TANH, JET_OP_LOGISTIC, JET_OP_SIN, JET_OP_COS,
    JET_OP_TAN, JET_OP_ASIN, JET_OP_ACOS, JET_OP_ATAN, JET_OP_SINH, JET_OP_COSH, JET_OP_ERF,
    JET_OP_ERF_INV, JET_OP_INTEGER_POW, JET_OP_SQUARE, JET_OP_NOT, JET_OP_STOP_GRADIENT,
    JET_OP_NEG, JET_OP_ABS, JET_OP_SQUARE, JET_OP_TANH, JET_OP_EXP};
static const jet_op fg_binary_ops[] = {
    JET_OP_ADD, JET_OP_SUB, JET_OP_MUL, JET_OP_DIV, JET_OP_REM, JET_OP_POW, JET_OP_MAX,
    JET_OP_MIN, JET_OP_ATAN2, JET_OP_AND, JET_OP_OR, JET_OP_XOR, JET_OP_SHIFT_LEFT,
    JET_OP_SHIFT_RIGHT_LOGICAL, JET_OP_SHIFT_RIGHT_ARITHMETIC, JET_OP_ADD, JET_OP_MUL,
    JET_OP_SUB, JET_OP_ADD, JET_OP_MUL, JET_OP_MAX, JET_OP_DIV};
#define FG_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static inline jet_value fg_unary_on(fg_gen *g, jet_value x) {
  const jet_dtype d = fg_dt(g, x);
  for (int tries = 0; tries < 8; tries++) {
    jet_op op = fg_unary_ops[fg_rnd(g, (int)FG_NELEM(fg_unary_ops))];
    if (!fg_op_accepts(op, d)) continue;
    jet_value v;
    if (op == JET_OP_INTEGER_POW) {
      int64_t y = fg_isf(d) ? fg_rnd(g, 9) - 3 : fg_rnd(g, 6);
      jet_attr a = gb_int("y", y);
      v = fg_ew(g, op, &x, 1, &a, 1, y);
    } else if (op == JET_OP_ROUND && fg_pct(g, 50)) {
      jet_attr a = gb_int("rounding_method", fg_rnd(g, 2));
      v = fg_ew(g, op, &x, 1, &a, 1, 0);
    } else if ((op == JET_OP_LOG || op == JET_OP_SQRT || op == JET_OP_RSQRT) && fg_pct(g, 40) &&
               fg_inf(g, x)->cls == FG_EXACT) {
      /* a valid domain: |x| + 0.5 */
      jet_value c = fg_const(g, jet_type_scalar(d), FD_POS);
      v = fg_op1(g, op, fg_op2(g, JET_OP_ADD, fg_op1(g, JET_OP_ABS, x), c));
    } else {
      v = fg_ew(g, op, &x, 1, NULL, 0, 0);
    }
    if (v != JET_NO_VALUE || g->b.st) return v;
  }
  return JET_NO_VALUE;
}

static inline jet_value fg_binary_on(fg_gen *g, jet_value x, jet_op op) {
  const jet_dtype d = fg_dt(g, x);
  const jet_type shape = *fg_ty(g, x), *t = &shape;
  const bool rel_ok = op == JET_OP_MUL || op == JET_OP_DIV || op == JET_OP_MAX ||
                      op == JET_OP_MIN || op == JET_OP_ADD;
  jet_value y;
  if (t->rank == 0 && fg_pct(g, 40)) { /* scalar op array */
    fg_want w = {NULL, d, rel_ok, false, false};
    y = fg_fetch(g, &w);
  } else {
    fg_want w = {t, d, rel_ok, true, true};
    y = fg_fetch(g, &w);
  }
  if (y == JET_NO_VALUE) return JET_NO_VALUE;
  if (fg_dt(g, y) != d) return JET_NO_VALUE;
  if (op == JET_OP_SHIFT_LEFT || op == JET_OP_SHIFT_RIGHT_LOGICAL ||
      op == JET_OP_SHIFT_RIGHT_ARITHMETIC) {
    if (fg_pct(g, 50)) { /* in-range shift amounts */
      jet_value m = fg_const(g, jet_type_scalar(d), FD_INT_SMALL);
      y = fg_op2(g, JET_OP_AND, y, m);
    }
  }
  return fg_pct(g, 50) ? fg_op2(g, op, x, y) : fg_op2(g, op, y, x);
}

static inline jet_value fg_step_unary(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  return x == JET_NO_VALUE ? x : fg_unary_on(g, x);
}

static inline jet_value fg_step_binary(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_dtype d = fg_dt(g, x);
  for (int tries = 0; tries < 8; tries++) {
    jet_op op = fg_binary_ops[fg_rnd(g, (int)FG_NELEM(fg_binary_ops))];
    if (fg_op_accepts(op, d)) return fg_binary_on(g, x, op);
  }
  return JET_NO_VALUE;
}

static inline jet_value fg_step_compare(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  return fg_binary_on(g, x, (jet_op)(JET_OP_EQ + fg_rnd(g, 6)));
}

static inline bool fg_f_pred(fg_gen *g, jet_value v, const void *ctx) {
  const jet_type *s = ctx;
  const jet_type *t = fg_ty(g, v);
  return fg_inf(g, v)->cls == FG_EXACT && t->dtype == JET_BOOL &&
         (t->rank == 0 || jet_type_same_shape(t, s));
}

static inline jet_value fg_step_select(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  jet_type shape = *fg_ty(g, x);
  const jet_type *t = &shape;
  jet_value p = fg_pct(g, 60) ? fg_pick(g, fg_f_pred, &shape) : JET_NO_VALUE;
  if (p == JET_NO_VALUE) { /* a fresh comparison */
    fg_want w = {&shape, JET_DTYPE_INVALID, false, true, true};
    jet_value a = fg_fetch(g, &w);
    if (a == JET_NO_VALUE) return a;
    fg_want w2 = {&shape, fg_dt(g, a), false, true, true};
    jet_value b = fg_fetch(g, &w2);
    if (b == JET_NO_VALUE || fg_dt(g, b) != fg_dt(g, a)) return JET_NO_VALUE;
    if (fg_ty(g, a)->rank == 0 && fg_ty(g, b)->rank == 0 && t->rank > 0 && fg_pct(g, 70))
      a = fg_bcast(g, a, &shape);
    if (fg_ty(g, a)->rank && fg_ty(g, b)->rank && !jet_type_same_shape(fg_ty(g, a), fg_ty(g, b)))
      return JET_NO_VALUE;
    p = fg_op2(g, (jet_op)(JET_OP_EQ + fg_rnd(g, 6)), a, b);
    if (p == JET_NO_VALUE) return p;
  }
  fg_want w = {&shape, t->dtype, true, true, false};
  jet_value y = fg_fetch(g, &w);
  if (y == JET_NO_VALUE || !jet_type_equal(fg_ty(g, y), fg_ty(g, x))) return JET_NO_VALUE;
  const jet_type *pt = fg_ty(g, p);
  if (pt->rank && !jet_type_same_shape(pt, fg_ty(g, x))) return JET_NO_VALUE;
  return fg_pct(g, 50) ? fg_op3(g, JET_OP_SELECT, p, x, y) : fg_op3(g, JET_OP_SELECT, p, y, x);
}

static inline jet_value fg_step_clamp(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE || fg_dt(g, x) == JET_BOOL) return JET_NO_VALUE;
  jet_type shape = *fg_ty(g, x);
  const jet_type *t = &shape;
  fg_want w = {&shape, t->dtype, true, true, true};
  jet_value lo = fg_fetch(g, &w), hi = fg_fetch(g, &w);
  if (lo == JET_NO_VALUE || hi == JET_NO_VALUE) return JET_NO_VALUE;
  if (fg_pct(g, 50)) { /* lo <= hi mostly */
    jet_value m = fg_op2(g, JET_OP_MIN, lo, hi), M = fg_op2(g, JET_OP_MAX, lo, hi);
    if (m != JET_NO_VALUE && M != JET_NO_VALUE) lo = m, hi = M;
  }
  const jet_type *lt = fg_ty(g, lo), *ht = fg_ty(g, hi);
  if ((lt->rank && !jet_type_same_shape(lt, t)) || (ht->rank && !jet_type_same_shape(ht, t)))
    return JET_NO_VALUE;
  return fg_op3(g, JET_OP_CLAMP, lo, x, hi);
}

static inline jet_value fg_step_convert(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_dtype d = fg_dt(g, x);
  /* The sign and payload of a computed NaN are unspecified (IEEE, XLA), so
   * only raw data (parameters, constants) is bitcast from floats. */
  const int32_t def = g->b.g->value_node[x];
  const bool raw = def < 0 || g->b.g->nodes[def].op == JET_OP_CONSTANT;
  if (fg_pct(g, 15) && (raw || !fg_isf(d))) {
    static const jet_dtype pairs[][2] = {{JET_F32, JET_I32}, {JET_F32, JET_U32}, {JET_I32, JET_F32},
                                         {JET_U32, JET_F32}, {JET_I32, JET_U32}, {JET_U32, JET_I32},
                                         {JET_F64, JET_I64}, {JET_I64, JET_F64}};
    for (size_t i = 0; i < FG_NELEM(pairs); i++) {
      if (pairs[i][0] != d || fg_pct(g, 40)) continue;
      jet_attr a = gb_dtype("new_dtype", pairs[i][1]);
      return fg_ew(g, JET_OP_BITCAST_CONVERT_TYPE, &x, 1, &a, 1, 0);
    }
  }
  jet_dtype to = fg_random_dtype(g);
  if (to == d) to = fg_isf(d) ? (d == JET_F32 ? JET_F64 : JET_F32) : JET_F32;
  return fg_convert(g, x, to);
}

static inline jet_value fg_step_bcast(fg_gen *g) {
  /* a value broadcast into a pool shape or the base shape */
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  jet_type to = g->base;
  if (fg_pct(g, 30)) {
    jet_value y = fg_pick(g, fg_f_ranked, NULL);
    if (y != JET_NO_VALUE) to = *fg_ty(g, y);
  }
  if (fg_pct(g, 20) && to.rank < 4) { /* a new leading or trailing dim */
    int at = fg_pct(g, 50) ? 0 : to.rank;
    for (int d = to.rank; d > at; d--) to.dims[d] = to.dims[d - 1];
    to.dims[at] = 1 + fg_rnd(g, 9);
    to.rank++;
    if (fg_numel(&to) > 4 * FG_BIG_NUMEL) return JET_NO_VALUE;
  }
  if (!fg_bcastable(fg_ty(g, x), &to)) {
    /* the value's summary: reduce everything, then broadcast */
    const jet_type *t = fg_ty(g, x);
    int64_t axes[JET_MAX_RANK];
    for (int d = 0; d < t->rank; d++) axes[d] = d;
    x = fg_reduce(g, fg_pct(g, 50) ? JET_OP_REDUCE_MAX : JET_OP_REDUCE_MIN, x, axes,
                  (uint32_t)t->rank);
  }
  return fg_bcast(g, x, &to);
}

static inline jet_value fg_step_reshape(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_type *t = fg_ty(g, x);
  int k = fg_rnd(g, 100);
  if (k < 20) { /* squeeze the 1s */
    int64_t dims[JET_MAX_RANK];
    uint32_t n = 0;
    for (int d = 0; d < t->rank; d++)
      if (t->dims[d] == 1 && fg_pct(g, 70)) dims[n++] = d;
    if (n) {
      jet_attr a = gb_ints("dimensions", dims, n);
      return fg_struct(g, JET_OP_SQUEEZE, &x, 1, &a, 1);
    }
  } else if (k < 40 && t->rank < 4) {
    int64_t d = fg_rnd(g, t->rank + 1);
    jet_attr a = gb_ints("dimensions", &d, 1);
    return fg_struct(g, JET_OP_EXPAND_DIMS, &x, 1, &a, 1);
  }
  jet_type to = fg_reshape_target(g, t);
  return fg_reshape(g, x, &to);
}

/* Axes of a reduction over rank r: all, leading, trailing, middle, random
 * subset or none; sometimes unsorted or negative. */
static inline uint32_t fg_axes(fg_gen *g, int r, int64_t *axes) {
  uint32_t n = 0;
  int k = fg_rnd(g, 100);
  if (r == 0) return 0;
  if (k < 25) {
    for (int d = 0; d < r; d++) axes[n++] = d;
  } else if (k < 45) {
    int m = 1 + fg_rnd(g, r);
    for (int d = 0; d < m; d++) axes[n++] = d;
  } else if (k < 70) {
    int m = 1 + fg_rnd(g, r);
    for (int d = r - m; d < r; d++) axes[n++] = d;
  } else if (k < 82 && r >= 3) {
    int lo = 1 + fg_rnd(g, r - 2), hi = lo + fg_rnd(g, r - 1 - lo);
    for (int d = lo; d <= hi; d++) axes[n++] = d;
  } else if (k < 95) {
    for (int d = 0; d < r; d++)
      if (fg_pct(g, 50)) axes[n++] = d;
  }
  if (n > 1 && fg_pct(g, 15)) { /* unsorted */
    int64_t tmp = axes[0];
    axes[0] = axes[n - 1];
    axes[n - 1] = tmp;
  }
  if (fg_pct(g, 10))
    for (uint32_t i = 0; i < n; i++) axes[i] -= r;
  return n;
}

static inline jet_value fg_step_reduce(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_type t = *fg_ty(g, x);
  int64_t axes[JET_MAX_RANK];
  uint32_t na = fg_axes(g, t.rank, axes);
  static const jet_op ops[4] = {JET_OP_REDUCE_SUM, JET_OP_REDUCE_MAX, JET_OP_REDUCE_MIN,
                                JET_OP_REDUCE_PROD};
  jet_op op = ops[fg_rnd(g, 100) < 45 ? 0 : fg_rnd(g, 4)];
  if (!fg_op_accepts(op, t.dtype)) op = JET_OP_REDUCE_MAX;
  jet_value r = fg_reduce(g, op, x, axes, na);
  if (r == JET_NO_VALUE && !g->b.st && fg_inf(g, x)->cls != FG_LOOSE)
    r = fg_reduce(g, fg_pct(g, 50) ? JET_OP_REDUCE_MAX : JET_OP_REDUCE_MIN, x, axes, na);
  if (r == JET_NO_VALUE || fg_inf(g, r)->cls == FG_LOOSE || !fg_pct(g, 45)) return r;
  /* broadcast back over the reduced axes and combine with x (softmax-like) */
  bool red[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < na; i++) red[axes[i] < 0 ? axes[i] + t.rank : axes[i]] = true;
  int64_t bd[JET_MAX_RANK];
  uint32_t nb = 0;
  for (int d = 0; d < t.rank; d++)
    if (!red[d]) bd[nb++] = d;
  jet_attr a[2] = {gb_ints("shape", t.dims, (uint32_t)t.rank),
                   gb_ints("broadcast_dimensions", bd, nb)};
  jet_value b = fg_struct(g, JET_OP_BROADCAST_IN_DIM, &r, 1, a, 2);
  if (b == JET_NO_VALUE) return b;
  static const jet_op comb[6] = {JET_OP_SUB, JET_OP_DIV, JET_OP_ADD,
                                 JET_OP_MUL, JET_OP_MAX, JET_OP_GE};
  jet_op c = comb[fg_rnd(g, 6)];
  if (!fg_op_accepts(c, t.dtype)) c = JET_OP_MAX;
  jet_value v = fg_op2(g, c, x, b);
  if (v != JET_NO_VALUE && fg_isf(t.dtype) && c == JET_OP_SUB && fg_pct(g, 60)) {
    jet_value e = fg_op1(g, JET_OP_EXP, v); /* softmax */
    if (e != JET_NO_VALUE) {
      jet_value s = fg_reduce(g, JET_OP_REDUCE_SUM, e, axes, na);
      if (s != JET_NO_VALUE && fg_inf(g, s)->cls != FG_LOOSE) {
        jet_value sb = fg_struct(g, JET_OP_BROADCAST_IN_DIM, &s, 1, a, 2);
        jet_value q = fg_op2(g, JET_OP_DIV, e, sb);
        if (q != JET_NO_VALUE) return q;
      }
      return e;
    }
  }
  return v;
}

static inline jet_value fg_step_const(fg_gen *g) {
  jet_type t;
  if (fg_pct(g, 50)) {
    t = jet_type_scalar(fg_random_dtype(g));
  } else {
    jet_value y = fg_pick(g, fg_f_any, NULL);
    t = y == JET_NO_VALUE ? g->base : *fg_ty(g, y);
    t.dtype = fg_random_dtype(g);
  }
  return fg_const(g, t, fg_random_domain(g, t.dtype));
}

static inline jet_value fg_same_like(fg_gen *g, jet_value x) {
  /* a pool value of x's type with an exact/REL class, else x */
  jet_value c[FG_MAXV];
  uint32_t n = 0;
  for (uint32_t i = 0; i < g->n_pool; i++)
    if (jet_type_equal(fg_ty(g, g->pool[i]), fg_ty(g, x)) && fg_inf(g, g->pool[i])->cls != FG_LOOSE)
      c[n++] = g->pool[i];
  return n ? c[fg_rnd(g, (int)n)] : x;
}

static inline jet_value fg_dot(fg_gen *g, jet_value x) {
  jet_type t = *fg_ty(g, x);
  if (t.dtype == JET_BOOL || t.rank < 1 || t.rank > 3) return JET_NO_VALUE;
  jet_value y = fg_same_like(g, x);
  const int64_t K = t.dims[t.rank - 1];
  int64_t M = t.rank >= 2 ? t.dims[t.rank - 2] : 1, B = t.rank == 3 ? t.dims[0] : 1;
  if ((double)B * M * M * (K + 1) > 4e7 || B * M * M > 4 * FG_BIG_NUMEL) return JET_NO_VALUE;
  const fg_info *xi = fg_inf(g, x), *yi = fg_inf(g, y);
  fg_info in2[2] = {*xi, *yi}, o;
  int q = xi->q >= 0 && yi->q >= 0 ? xi->q + yi->q : -1;
  if (!fg_sum_rule(in2, 2, t.dtype, (double)K, xi->mag * yi->mag, q, xi->nonneg && yi->nonneg,
                   xi->lo * yi->lo, &o))
    return JET_NO_VALUE;
  jet_value ops[2] = {x, y};
  int64_t lc = t.rank - 1, rc = t.rank - 1, bd0 = 0;
  if (t.rank == 2 && fg_pct(g, 50)) { /* x @ transpose(y): [M,K] x [K,M] */
    int64_t perm[2] = {1, 0};
    jet_attr pa = gb_ints("permutation", perm, 2);
    ops[1] = fg_struct(g, JET_OP_TRANSPOSE, &y, 1, &pa, 1);
    rc = 0;
  }
  if (ops[1] == JET_NO_VALUE) return JET_NO_VALUE;
  jet_attr a[4] = {gb_ints("lhs_contracting_dimensions", &lc, 1),
                   gb_ints("rhs_contracting_dimensions", &rc, 1),
                   gb_ints("lhs_batch_dimensions", &bd0, 1),
                   gb_ints("rhs_batch_dimensions", &bd0, 1)};
  return fg_add(g, JET_OP_DOT_GENERAL, ops, 2, a, t.rank == 3 ? 4 : 2, o);
}

static inline jet_value fg_step_nonfusible(fg_gen *g) {
  jet_value x = fg_pick(g, fg_f_any, NULL);
  if (x == JET_NO_VALUE) return x;
  const jet_type t = *fg_ty(g, x);
  const int r = t.rank;
  switch (fg_rnd(g, 9)) {
    case 0: { /* transpose */
      int64_t perm[JET_MAX_RANK];
      for (int d = 0; d < r; d++) perm[d] = d;
      for (int d = r - 1; d > 0; d--) {
        int j = fg_rnd(g, d + 1);
        int64_t tmp = perm[d];
        perm[d] = perm[j];
        perm[j] = tmp;
      }
      jet_attr a = gb_ints("permutation", perm, (uint32_t)r);
      return fg_struct(g, JET_OP_TRANSPOSE, &x, 1, &a, 1);
    }
    case 1: { /* slice */
      int64_t s[JET_MAX_RANK], l[JET_MAX_RANK], st[JET_MAX_RANK];
      for (int d = 0; d < r; d++) {
        s[d] = fg_rnd(g, (int)(t.dims[d] / 3 + 1));
        l[d] = t.dims[d] - fg_rnd(g, (int)(t.dims[d] / 3 + 1));
        if (l[d] < s[d]) l[d] = s[d];
        st[d] = 1 + (fg_pct(g, 30) ? fg_rnd(g, 3) : 0);
      }
      jet_attr a[3] = {gb_ints("start_indices", s, (uint32_t)r),
                       gb_ints("limit_indices", l, (uint32_t)r),
                       gb_ints("strides", st, (uint32_t)r)};
      return fg_struct(g, JET_OP_SLICE, &x, 1, a, fg_pct(g, 50) ? 3 : 2);
    }
    case 2: { /* rev */
      int64_t dims[JET_MAX_RANK];
      uint32_t n = 0;
      for (int d = 0; d < r; d++)
        if (fg_pct(g, 50)) dims[n++] = d;
      jet_attr a = gb_ints("dimensions", dims, n);
      return fg_struct(g, JET_OP_REV, &x, 1, &a, 1);
    }
    case 3: { /* concatenate */
      if (r == 0 || 2 * fg_numel(&t) > 4 * FG_BIG_NUMEL) return JET_NO_VALUE;
      jet_value ops[3] = {x, fg_same_like(g, x), x};
      jet_attr a = gb_int("dimension", fg_rnd(g, r));
      return fg_struct(g, JET_OP_CONCATENATE, ops, 2 + (fg_pct(g, 20) ? 1 : 0), &a, 1);
    }
    case 4: { /* gather rows along axis 0 */
      if (r == 0 || t.dims[0] == 0) return JET_NO_VALUE;
      int64_t rest = fg_numel(&t) / t.dims[0];
      int k = 1 + fg_rnd(g, 12);
      if (rest * k > 4 * FG_BIG_NUMEL) return JET_NO_VALUE;
      jet_dtype idt = fg_pct(g, 50) ? JET_I32 : JET_I64;
      jet_type it = gb_type2(idt, 2, k, 1);
      jet_buf ib = adc_buf(it);
      if (!ib.data) return JET_NO_VALUE;
      for (int i = 0; i < k; i++)
        adc_set(&ib, i, (double)(fg_rnd(g, (int)t.dims[0] + 4) - 2));
      const jet_attr la = gb_lit("value", it, ib.data, jet_type_nbytes(&it));
      jet_value idx =
          fg_add(g, JET_OP_CONSTANT, NULL, 0, &la, 1, fg_int_info(idt, (double)t.dims[0] + 2));
      adc_buf_free(&ib);
      int64_t od[JET_MAX_RANK], ss[JET_MAX_RANK], zero = 0;
      for (int d = 1; d < r; d++) od[d - 1] = d;
      ss[0] = 1;
      for (int d = 1; d < r; d++) ss[d] = t.dims[d];
      jet_attr a[5] = {gb_ints("offset_dims", od, (uint32_t)r - 1),
                       gb_ints("collapsed_slice_dims", &zero, 1),
                       gb_ints("start_index_map", &zero, 1),
                       gb_ints("slice_sizes", ss, (uint32_t)r), gb_int("mode", fg_rnd(g, 2))};
      jet_value ops[2] = {x, idx};
      return fg_struct(g, JET_OP_GATHER, ops, 2, a, 5);
    }
    case 5: { /* cumsum */
      if (r == 0 || t.dtype == JET_BOOL) return JET_NO_VALUE;
      int64_t ax = fg_rnd(g, r);
      const fg_info *xi = fg_inf(g, x);
      fg_info o;
      if (!fg_sum_rule(xi, 1, t.dtype, (double)t.dims[ax], xi->mag, xi->q, xi->nonneg, xi->lo, &o))
        return JET_NO_VALUE;
      if (fg_pct(g, 20)) ax -= r;
      jet_attr a[2] = {gb_int("axis", ax), gb_bool("reverse", fg_pct(g, 50))};
      return fg_add(g, JET_OP_CUMSUM, &x, 1, a, fg_pct(g, 50) ? 2 : 1, o);
    }
    case 6: { /* iota of the value's shape */
      if (r == 0) return JET_NO_VALUE;
      static const jet_dtype ds[6] = {JET_F32, JET_F64, JET_I32, JET_I64, JET_U8, JET_U32};
      jet_dtype d = ds[fg_rnd(g, 6)];
      int64_t dim = fg_rnd(g, r);
      jet_attr a[3] = {gb_dtype("dtype", d), gb_ints("shape", t.dims, (uint32_t)r),
                       gb_int("dimension", dim)};
      fg_info o =
          fg_isf(d) ? fg_exact((double)t.dims[dim], 0, true) : fg_int_info(d, (double)t.dims[dim]);
      return fg_add(g, JET_OP_IOTA, NULL, 0, a, 3, o);
    }
    default: return fg_dot(g, x);
  }
}

/* One random step. */
static inline void fg_step(fg_gen *g) {
  int k = fg_rnd(g, 100);
  if (k < 20) fg_step_unary(g);
  else if (k < 44) fg_step_binary(g);
  else if (k < 50) fg_step_compare(g);
  else if (k < 56) fg_step_select(g);
  else if (k < 59) fg_step_clamp(g);
  else if (k < 66) fg_step_convert(g);
  else if (k < 71) fg_step_bcast(g);
  else if (k < 75) fg_step_reshape(g);
  else if (k < 86) fg_step_reduce(g);
  else if (k < 89) fg_step_const(g);
  else fg_step_nonfusible(g);
}

/* ------------------------------------------------------------ graphs */

static inline fg_gen *fg_new(uint64_t seed) {
  fg_gen *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->seed = seed;
  g->r.s = seed * 0x9E3779B97F4A7C15ull + 12345;
  char name[48];
  snprintf(name, sizeof name, "diff_%" PRIu64, seed);
  g->b = adc_begin(name);
  g->chain_last = JET_NO_VALUE;
  return g;
}

static inline void fg_free(fg_gen *g) {
  if (!g) return;
  for (uint32_t i = 0; i < g->n_params; i++) adc_buf_free(&g->args[i]);
  jet_graph_destroy(g->g);
  jet_graph_destroy(g->b.g);
  jet_status_free(g->b.st);
  free(g);
}

static inline void fg_outputs(fg_gen *g, const jet_value *outs, uint32_t n) {
  if (g->b.st) return;
  for (uint32_t j = 0; j < n && j < FG_MAX_OUTS; j++) {
    g->outs[j] = outs[j];
    g->out_info[j] = *fg_inf(g, outs[j]);
  }
  g->n_outs = n < FG_MAX_OUTS ? n : FG_MAX_OUTS;
  adc_outputs(&g->b, g->outs, g->n_outs);
}

/* Validates the graph and fills the arguments. False after printing the
 * builder's error. */
static inline bool fg_finish(fg_gen *g) {
  char label[48];
  snprintf(label, sizeof label, "seed %" PRIu64, g->seed);
  g->g = adc_finish(&g->b, label);
  if (!g->g) return false;
  for (uint32_t i = 0; i < g->n_params; i++) {
    g->args[i] = adc_buf(g->g->value_types[i]);
    if (!g->args[i].data) return false;
    fg_fill(g, &g->args[i], g->domain[i], g->specials[i]);
  }
  return true;
}

/* A random graph (see the header comment). */
static inline void fg_generate(fg_gen *g) {
  g->base = fg_base_shape(g);
  const uint32_t np = 1 + (uint32_t)fg_rnd(g, 5);
  for (uint32_t i = 0; i < np; i++) {
    jet_dtype dt = fg_random_dtype(g);
    jet_type t = g->base;
    int k = fg_rnd(g, 100);
    if (k < 55 || i == 0) t = g->base;
    else if (k < 75) t = fg_sub_shape(g, &g->base, dt);
    else if (k < 85) t = jet_type_scalar(dt);
    else if (k < 95) t = fg_reshape_target(g, &g->base);
    else t = fg_base_shape(g);
    t.dtype = dt;
    fg_param(g, t, fg_random_domain(g, dt), fg_pct(g, 50));
  }
  if (fg_pct(g, 4)) { /* a chain longer than a fused group may be */
    g->chain_mode = true;
    const int n = 170 + fg_rnd(g, 120);
    for (int s = 0; s < n && fg_ok(g); s++) {
      int k = fg_rnd(g, 100);
      if (k < 30) fg_step_unary(g);
      else if (k < 80) fg_step_binary(g);
      else if (k < 90) fg_step_select(g);
      else fg_step_convert(g);
    }
    g->chain_mode = false;
  }
  const int steps = 3 + fg_rnd(g, fg_pct(g, 25) ? 40 : 16);
  for (int s = 0; s < steps && fg_ok(g); s++) fg_step(g);
  /* outputs */
  jet_value outs[FG_MAX_OUTS];
  uint32_t n = 0;
  if (g->n_pool) outs[n++] = g->pool[g->n_pool - 1];
  for (uint32_t i = 0; i < g->n_loose && n < FG_MAX_OUTS - 4; i++)
    if (fg_pct(g, 80)) outs[n++] = g->loose_value[i];
  const int extra = fg_rnd(g, 4);
  for (int e = 0; e < extra && n < FG_MAX_OUTS && !g->b.st; e++) {
    int k = fg_rnd(g, 100);
    jet_value v = JET_NO_VALUE;
    if (k < 50) v = g->pool[fg_rnd(g, (int)g->n_pool)];
    else if (k < 65) v = (jet_value)fg_rnd(g, (int)g->n_params); /* a parameter */
    else if (k < 80 && n) v = outs[fg_rnd(g, (int)n)];              /* a duplicate */
    else v = fg_step_const(g);
    if (v != JET_NO_VALUE) outs[n++] = v;
  }
  fg_outputs(g, outs, n);
}

/* ------------------------------------------------------------ probe */

/* A copy of g->g whose outputs are, per LOOSE record k, the same
 * reduction over the absolute values of its operands (S of the header
 * comment). NULL when g has no LOOSE value; *st set on error. */
static inline jet_graph *fg_probe(const fg_gen *g, jet_status *st) {
  *st = NULL;
  if (!g->n_loose) return NULL;
  jet_graph *p = jet_graph_create("probe");
  if (!p) {
    *st = jet_status_oom("probe");
    return NULL;
  }
  *st = jet_graph_copy_into(p, g->g, 0);
  jet_value outs[FG_MAX_LOOSE];
  for (uint32_t k = 0; k < g->n_loose && !*st; k++) {
    const jet_node node = p->nodes[g->loose_node[k]];
    jet_value ops[3];
    for (uint32_t i = 0; i < node.n_operands && !*st; i++)
      *st =
          jet_graph_add_node(p, JET_OP_ABS, &node.operands[i], 1, NULL, 0, NULL, NULL, 0, &ops[i]);
    if (!*st)
      *st = jet_graph_add_node(p, node.op, ops, node.n_operands, node.attrs, node.n_attrs, NULL,
                               NULL, 0, &outs[k]);
  }
  if (!*st) *st = jet_graph_set_outputs(p, outs, g->n_loose);
  if (*st) {
    jet_graph_destroy(p);
    return NULL;
  }
  return p;
}

/* ------------------------------------------------------------ compare */

static inline void fg_index_str(const jet_type *t, int64_t i, char *buf, size_t cap) {
  int64_t idx[JET_MAX_RANK];
  for (int d = t->rank - 1; d >= 0; d--) {
    idx[d] = t->dims[d] ? i % t->dims[d] : 0;
    i = t->dims[d] ? i / t->dims[d] : 0;
  }
  size_t len = 0;
  len += (size_t)snprintf(buf + len, cap - len, "[");
  for (int d = 0; d < t->rank && len < cap; d++)
    len += (size_t)snprintf(buf + len, cap - len, d ? ",%" PRId64 : "%" PRId64, idx[d]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
}

static inline uint64_t fg_bits(const jet_buf *b, int64_t i) {
  switch (jet_dtype_size(b->type.dtype)) {
    case 1: return ((const uint8_t *)b->data)[i];
    case 4: return ((const uint32_t *)b->data)[i];
    default: return ((const uint64_t *)b->data)[i];
  }
}

/* The largest |got - ref| / tolerance seen per class (how close the
 * optimized path comes to the tolerances). */
static double fg_worst_ratio[3];

/* First element of got that breaks the rule inf against ref (scale: the
 * LOOSE scale buffer); -1 when none. */
static inline int64_t fg_first_bad(const fg_info *inf, const jet_buf *ref, const jet_buf *got,
                                   const jet_buf *scale, double *tol_out) {
  const int64_t n = jet_type_numel(&ref->type);
  const jet_dtype dt = ref->type.dtype;
  *tol_out = 0;
  if (memcmp(ref->data, got->data, jet_type_nbytes(&ref->type)) == 0) return -1;
  if (!fg_isf(dt) || inf->cls == FG_EXACT) {
    for (int64_t i = 0; i < n; i++) {
      uint64_t a = fg_bits(ref, i), b = fg_bits(got, i);
      if (a == b) continue;
      if (fg_isf(dt) && isnan(adc_get(ref, i)) && isnan(adc_get(got, i))) continue;
      return i;
    }
    return -1;
  }
  const double atol = fg_atol(dt);
  for (int64_t i = 0; i < n; i++) {
    const double a = adc_get(ref, i), b = adc_get(got, i);
    if (isnan(a) || isnan(b)) {
      if (isnan(a) && isnan(b)) continue;
      return i;
    }
    if (isinf(a) || isinf(b)) {
      if (a == b) continue;
      return i;
    }
    double tol;
    if (inf->cls == FG_LOOSE) {
      const double s = scale ? adc_get(scale, i) : INFINITY;
      tol = 2 * inf->err * (isnan(s) ? INFINITY : s) + atol;
    } else {
      tol = 2 * inf->err * fg_max2(fabs(a), fabs(b)) + atol;
    }
    if (!(fabs(a - b) <= tol)) {
      *tol_out = tol;
      return i;
    }
    if (fabs(a - b) / tol > fg_worst_ratio[inf->cls]) fg_worst_ratio[inf->cls] = fabs(a - b) / tol;
  }
  return -1;
}

static inline const char *fg_cls_name(int c) {
  return c == FG_EXACT ? "exact" : c == FG_REL ? "relative" : "loose (reordered sum)";
}

/* Compares every output of got with ref; prints the first mismatch (with
 * the seed, what ran, the graph and, when given, the program listing) and
 * returns false. scales: the probe's outputs (may be NULL). */
static inline bool fg_compare(const fg_gen *g, const char *what, const jet_buf *ref,
                              const jet_buf *got, const jet_buf *scales, const char *listing) {
  for (uint32_t j = 0; j < g->g->n_outputs; j++) {
    char ta[JET_TYPE_STR_MAX], tb[JET_TYPE_STR_MAX];
    if (!jet_type_equal(&ref[j].type, &got[j].type)) {
      FG_ERR("[seed %" PRIu64 "] %s: output %u has type %s, reference %s\n", g->seed, what, j,
             jet_type_str(&got[j].type, ta, sizeof ta), jet_type_str(&ref[j].type, tb, sizeof tb));
      fg_dump(g->g);
      return false;
    }
    const fg_info *inf = &g->out_info[j];
    const jet_buf *scale =
        inf->cls == FG_LOOSE && scales && inf->loose >= 0 ? &scales[inf->loose] : NULL;
    double tol;
    int64_t i = fg_first_bad(inf, &ref[j], &got[j], scale, &tol);
    if (i < 0) continue;
    char idx[160];
    fg_index_str(&ref[j].type, i, idx, sizeof idx);
    FG_ERR(
            "[seed %" PRIu64 "] %s: MISMATCH in output %u (value %%%u, %s, rule %s, err %.3g) at "
            "element %" PRId64 " %s:\n  reference %.17g (bits 0x%" PRIx64 ")\n  got       %.17g "
            "(bits 0x%" PRIx64 ")\n",
            g->seed, what, j, g->g->outputs[j], jet_type_str(&ref[j].type, ta, sizeof ta),
            fg_cls_name(inf->cls), inf->err, i, idx, adc_get(&ref[j], i), fg_bits(&ref[j], i),
            adc_get(&got[j], i), fg_bits(&got[j], i));
    if (tol > 0) FG_ERR("  tolerance %.3g%s\n", tol, scale ? " (scaled by the probe)" : "");
    FG_ERR("graph:\n");
    fg_dump(g->g);
    if (listing) FG_ERR("program:\n%s\n", listing);
    return false;
  }
  return true;
}

#endif
