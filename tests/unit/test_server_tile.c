/* Tile kernels of the fused executor (server/runtime/fused/tile.h), on every
 * instruction set this CPU runs:
 *  - every elementwise op x every dtype the op table accepts (and every
 *    convert / bitcast pair): resolution, dedicated coverage, and the tile
 *    result against the reference kernel on random values and special values
 *    (NaN with payloads, +-inf, -0.0, denormals, INT_MIN, -1, shifts out of
 *    range, non-canonical bools), bit for bit (SLEEF-backed functions within
 *    ulps of the reference), in tiles of odd sizes and in place;
 *  - the accuracy of every vectorised transcendental function in ulps
 *    against long double libm, asserted within the bounds documented in
 *    tile.c;
 *  - reductions against the reference reduce kernels (exact for ints,
 *    products, max/min, and f32 sums through the wide accumulator);
 *  - resolution errors;
 * and prints ns/element of tanh, exp and add on f32. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "fused/tile.h"
#include "fused/tile_ops.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const k_isas[] = {"avx512", "avx2", "baseline"};
static const jet_dtype k_dtypes[] = {JET_BOOL, JET_I32, JET_I64, JET_U8, JET_U32, JET_F32, JET_F64};

/* ---- helpers -------------------------------------------------------------- */

static uint64_t g_rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) {
  g_rng ^= g_rng >> 12;
  g_rng ^= g_rng << 25;
  g_rng ^= g_rng >> 27;
  return g_rng * 0x2545f4914f6cdd1dull;
}
static double rnd_unit(void) { return (double)(rnd() >> 11) * 0x1.0p-53; }
static double rnd_range(double lo, double hi) { return lo + (hi - lo) * rnd_unit(); }

/* Element i of an array of dtype d. */
static char *at(const void *p, jet_dtype d, int64_t i) {
  return (char *)p + i * (int64_t)jet_dtype_size(d);
}

static bool accepts(jet_op op, jet_dtype d) { return (jet_op_get(op)->dtype_mask >> d) & 1u; }

static double f32_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, 4);
  return f;
}

/* A node with up to two attributes. */
typedef struct tnode {
  jet_node node;
  jet_attr attrs[2];
  jet_value operands[3];
  jet_type result;
} tnode;

static void tnode_init(tnode *t, jet_op op, jet_dtype out) {
  memset(t, 0, sizeof *t);
  t->node.op = op;
  t->node.n_operands = (uint32_t)jet_op_get(op)->n_operands;
  t->node.operands = t->operands;
  t->node.attrs = t->attrs;
  t->result = jet_type_scalar(out);
  t->node.results = &t->result;
  t->node.n_results = 1;
}
static void tnode_int(tnode *t, const char *name, int64_t v) {
  jet_attr *a = &t->attrs[t->node.n_attrs++];
  a->name = name;
  a->kind = JET_ATTR_INT;
  a->u.i = v;
}
static void tnode_dtype(tnode *t, const char *name, jet_dtype d) {
  jet_attr *a = &t->attrs[t->node.n_attrs++];
  a->name = name;
  a->kind = JET_ATTR_DTYPE;
  a->u.dtype = d;
}

/* Special values per dtype, as doubles / int64 (cast to the dtype). */
static const double k_fspecial[] = {
    0.0, -0.0, 1.0, -1.0, 0.5, -0.5, 1.5, -1.5, 2.5, -2.5, 0.49999997, -0.49999997, 3.0, -3.0,
    7.0, 0.1, -0.1, 3.14159265358979, -1.5707963267948966, INFINITY, -INFINITY, NAN, -NAN,
    0x1p-1074, -0x1p-1074, 0x1p-149, -0x1p-149, 0x1p-126, 0x1p-1022, DBL_MAX, -DBL_MAX,
    FLT_MAX, -FLT_MAX, 2147483648.0, -2147483648.0, 2147483647.0, 2147483520.0, -2147483904.0,
    4294967296.0, 4294967295.0, 9223372036854775808.0, -9223372036854775808.0,
    9223372036854774784.0, 18446744073709551616.0, 255.5, 255.0, 256.0, -256.0, 1e10, -1e10,
    100.0, -100.0, 88.7, -103.5, 709.9, -745.5, 1e-300, 1e300, 20.0, -20.0, 1e-8, 65535.0,
    16777217.0};
static const int64_t k_ispecial[] = {0,  1,   -1,  2,   -2,   3,  7,    8,      15,
                                     16, 31,  32,  33,  63,   64, 65,   127,    128,
                                     255, 256, 1000, -1000, -31, -32, -33, -64, -65,
                                     INT32_MAX, INT32_MIN, INT32_MIN + 1, INT32_MAX - 1,
                                     INT64_MAX, INT64_MIN, INT64_MIN + 1,
                                     (int64_t)0x5555555555555555,
                                     (int64_t)0xffffffffull, (int64_t)0x80000000ull};
static const uint8_t k_bspecial[] = {0, 1, 2, 255, 128};

static size_t n_special(jet_dtype d) {
  switch (d) {
    case JET_BOOL: return NELEM(k_bspecial);
    case JET_F32:
    case JET_F64: return NELEM(k_fspecial) + 4;
    default: return NELEM(k_ispecial);
  }
}

static void store_f(jet_dtype d, void *p, int64_t i, double v) {
  if (d == JET_F32) ((float *)p)[i] = (float)v;
  else ((double *)p)[i] = v;
}
static void store_i(jet_dtype d, void *p, int64_t i, uint64_t v) {
  switch (d) {
    case JET_BOOL:
    case JET_U8: ((uint8_t *)p)[i] = (uint8_t)v; break;
    case JET_I32:
    case JET_U32: ((uint32_t *)p)[i] = (uint32_t)v; break;
    case JET_I64: ((uint64_t *)p)[i] = v; break;
    default: break;
  }
}

static void put_special(jet_dtype d, void *p, int64_t i, size_t k) {
  if (d == JET_BOOL) {
    store_i(d, p, i, k_bspecial[k]);
  } else if (d == JET_F32 || d == JET_F64) {
    if (k < NELEM(k_fspecial)) {
      store_f(d, p, i, k_fspecial[k]);
    } else if (d == JET_F32) { /* quiet and signalling NaNs with payloads */
      static const uint32_t nans[4] = {0x7fc00123u, 0xffc0abcdu, 0x7f800001u, 0xff812345u};
      memcpy((float *)p + i, &nans[k - NELEM(k_fspecial)], 4);
    } else {
      static const uint64_t nans[4] = {0x7ff8000000012345ull, 0xfff80000abcdef01ull,
                                       0x7ff0000000000001ull, 0xfff0000012345678ull};
      memcpy((double *)p + i, &nans[k - NELEM(k_fspecial)], 8);
    }
  } else {
    store_i(d, p, i, (uint64_t)k_ispecial[k]);
  }
}

/* A random value, drawn from a mixture suited to the dtype. */
static void put_random(jet_dtype d, void *p, int64_t i) {
  const int kind = (int)(rnd() % 8);
  if (d == JET_F32 || d == JET_F64) {
    double v;
    switch (kind) {
      case 0: v = rnd_range(-4, 4); break;
      case 1: v = rnd_range(-300, 300); break;
      case 2: v = (double)((int)(rnd() % 11) - 5); break;
      case 3: v = ((double)((int)(rnd() % 41) - 20)) + 0.5; break;
      case 4: v = ldexp(rnd_unit() + 0.5, (int)(rnd() % 120) - 60) * (rnd() & 1 ? 1 : -1); break;
      case 5:
        if (d == JET_F32) {
          uint32_t b = (uint32_t)rnd();
          memcpy((float *)p + i, &b, 4);
        } else {
          uint64_t b = rnd();
          memcpy((double *)p + i, &b, 8);
        }
        return;
      case 6: v = rnd_range(-1, 1); break;
      default: v = ldexp(rnd_unit(), (int)(rnd() % 70)) * (rnd() & 1 ? 1 : -1); break;
    }
    store_f(d, p, i, v);
    return;
  }
  if (d == JET_BOOL) {
    store_i(d, p, i, kind < 3 ? 0 : kind < 6 ? 1 : rnd());
    return;
  }
  switch (kind) {
    case 0:
    case 1: store_i(d, p, i, (uint64_t)((int64_t)(rnd() % 81) - 40)); break;
    case 2: store_i(d, p, i, rnd() % 70); break;
    default: store_i(d, p, i, rnd()); break;
  }
}

/* Operand k of an n-operand case: the first rows hold the cross product of
 * the dtypes' special values (operand 0 slow, operand 1 fast), the rest is
 * random with special values sprinkled in. */
static void fill_operand(jet_dtype d, void *p, int64_t n, int k, int n_ops, const jet_dtype *ds) {
  const size_t s0 = n_special(ds[0]), s1 = n_ops > 1 ? n_special(ds[1]) : 1;
  int64_t cross = (int64_t)(s0 * s1);
  if (cross > n - 1500) cross = n - 1500;
  for (int64_t i = 0; i < n; i++) {
    if (i < cross && k < 2) {
      put_special(d, p, i, k == 0 ? (size_t)i / s1 % s0 : (size_t)i % s1);
    } else if (i < cross) {
      put_special(d, p, i, (size_t)(rnd() % n_special(d)));
    } else if (rnd() % 6 == 0) {
      put_special(d, p, i, (size_t)(rnd() % n_special(d)));
    } else {
      put_random(d, p, i);
    }
  }
}

/* Monotonic integer order of a float's bits (so ulp distance = |a - b|;
 * -0 and +0 are the same point). */
static int64_t ford(jet_dtype d, const void *p, int64_t i) {
  if (d == JET_F32) {
    int32_t b;
    memcpy(&b, (const float *)p + i, 4);
    return b < 0 ? -(int64_t)(b & 0x7fffffff) : b;
  }
  int64_t b;
  memcpy(&b, (const double *)p + i, 8);
  return b < 0 ? -(b & INT64_MAX) : b;
}
static bool fisnan(jet_dtype d, const void *p, int64_t i) {
  return d == JET_F32 ? isnan(((const float *)p)[i]) : isnan(((const double *)p)[i]);
}
/* Element i equal bit for bit, or NaN in both (payloads aside: which NaN
 * an op returns, and whether floor/ceil quiet a signalling NaN, differs
 * between optimisation levels of the reference itself). */
static bool same_elem(jet_dtype d, const void *a, const void *b, int64_t i) {
  const size_t es = jet_dtype_size(d);
  if (memcmp(at(a, d, i), at(b, d, i), es) == 0) return true;
  return (d == JET_F32 || d == JET_F64) && fisnan(d, a, i) && fisnan(d, b, i);
}
static double fval(jet_dtype d, const void *p, int64_t i) {
  return d == JET_F32 ? ((const float *)p)[i] : ((const double *)p)[i];
}

/* SLEEF-backed ops: compared with the reference within ulps. */
static bool is_approx(jet_op op) {
  switch (op) {
    case JET_OP_EXP: case JET_OP_EXP2: case JET_OP_LOG: case JET_OP_LOG1P: case JET_OP_EXPM1:
    case JET_OP_TANH: case JET_OP_LOGISTIC: case JET_OP_SIN: case JET_OP_COS: case JET_OP_TAN:
    case JET_OP_ASIN: case JET_OP_ACOS: case JET_OP_ATAN: case JET_OP_SINH: case JET_OP_COSH:
    case JET_OP_ERF: case JET_OP_POW: case JET_OP_ATAN2:
      return true;
    default: return false;
  }
}

/* Ops / dtypes expected to run the reference kernel on the tile. */
static bool expect_fallback(jet_op op, jet_dtype d) {
  return op == JET_OP_ERF_INV || (op == JET_OP_REM && (d == JET_F32 || d == JET_F64));
}

/* ---- one elementwise case --------------------------------------------------- */

#define NCASE 6000
static const int64_t k_chunks[] = {JET_TILE, 1, 15, 17, 333, 8, 1000, 64, 7, JET_TILE, 3};

static int g_cases, g_fast, g_failures;

/* Max ulp distance from the reference allowed for approximate ops in this
 * comparison (the SLEEF bound plus the reference libm's own error). */
static int64_t approx_tol(jet_op op, jet_dtype d) {
  if (op == JET_OP_TANH && d == JET_F32) return 6;
  if (op == JET_OP_LOGISTIC) return 5;
  return 4;
}

static void check_case(const tnode *tn, const jet_dtype *in, jet_dtype out, const char *isa) {
  const jet_op op = tn->node.op;
  const int n_in = (int)tn->node.n_operands;
  jet_tile_op top;
  jet_status st = jet_tile_resolve(&tn->node, in, out, &top);
  if (st) fail_msg("%s: resolve %s %s -> %s: %s", isa, jet_op_name(op), jet_dtype_name(in[0]),
                   jet_dtype_name(out), jet_status_message(st));
  g_cases++;
  g_fast += top.fast;
  if (top.fast == expect_fallback(op, in[n_in > 1 ? 1 : 0]))
    fail_msg("%s: %s %s: fast = %d", isa, jet_op_name(op), jet_dtype_name(in[0]), top.fast);

  const int64_t n = NCASE;
  void *a[3], *ref, *got, *inplace;
  const void *srcs[3];
  for (int k = 0; k < n_in; k++) {
    a[k] = malloc((size_t)n * 8);
    assert_non_null(a[k]);
    fill_operand(in[k], a[k], n, k, n_in, in);
    srcs[k] = a[k];
  }
  ref = calloc((size_t)n, 8);
  got = calloc((size_t)n, 8);
  inplace = calloc((size_t)n, 8);
  assert_true(ref && got && inplace);

  jet_buf bin[3], bout;
  for (int k = 0; k < n_in; k++) {
    bin[k].type = jet_type_make(in[k], 1, &n);
    bin[k].data = a[k];
  }
  bout.type = jet_type_make(out, 1, &n);
  bout.data = ref;
  st = jet_exec_kernel(op)(&tn->node, bin, &bout);
  if (st) fail_msg("reference %s: %s", jet_op_name(op), jet_status_message(st));

  /* tiles of assorted sizes */
  const size_t osz = jet_dtype_size(out);
  for (int64_t off = 0, c = 0; off < n; c++) {
    int64_t m = k_chunks[c % (int64_t)NELEM(k_chunks)];
    if (m > n - off) m = n - off;
    const void *s[3];
    for (int k = 0; k < n_in; k++) s[k] = at(srcs[k], in[k], off);
    top.fn(&top, s, (char *)got + off * (int64_t)osz, m);
    off += m;
  }
  /* in place over operand 0 (or 1 for select/clamp, whose x is operand 1)
   * when the element sizes match */
  const int ip = (op == JET_OP_SELECT || op == JET_OP_CLAMP) ? 1 : 0;
  const bool do_inplace = jet_dtype_size(in[ip]) == osz;
  if (do_inplace) {
    memcpy(inplace, a[ip], (size_t)n * osz);
    const void *s[3];
    for (int k = 0; k < n_in; k++) s[k] = srcs[k];
    s[ip] = inplace;
    for (int64_t off = 0; off < n; off += JET_TILE) {
      const int64_t m = n - off < JET_TILE ? n - off : JET_TILE;
      const void *so[3];
      for (int k = 0; k < n_in; k++) so[k] = at(s[k], in[k], off);
      top.fn(&top, so, (char *)inplace + off * (int64_t)osz, m);
    }
    /* SLEEF may take another path for a whole vector when one lane needs
     * it (e.g. a huge argument of sin): approximate ops may differ in the
     * last bits with other neighbours */
    for (int64_t i = 0; i < n; i++) {
      bool same;
      if (is_approx(op)) {
        int64_t dist = ford(out, inplace, i) - ford(out, got, i);
        same = (fisnan(out, inplace, i) && fisnan(out, got, i)) ||
               (!fisnan(out, inplace, i) && !fisnan(out, got, i) && dist <= 2 && dist >= -2);
      } else {
        same = memcmp((char *)inplace + i * (int64_t)osz, (char *)got + i * (int64_t)osz, osz) == 0;
      }
      if (!same)
        fail_msg("%s: %s %s: in-place result differs at %lld", isa, jet_op_name(op),
                 jet_dtype_name(in[0]), (long long)i);
    }
  }

  const bool approx = is_approx(op);
  for (int64_t i = 0; i < n; i++) {
    bool ok;
    if (approx) {
      if (fisnan(out, ref, i) || fisnan(out, got, i)) {
        ok = fisnan(out, ref, i) && fisnan(out, got, i);
      } else {
        int64_t dist = ford(out, ref, i) - ford(out, got, i);
        if (dist < 0) dist = -dist;
        ok = dist <= approx_tol(op, out);
      }
    } else {
      ok = same_elem(out, ref, got, i);
    }
    if (!ok) {
      char buf[256];
      int len = snprintf(buf, sizeof buf, "%s: %s(", isa, jet_op_name(op));
      for (int k = 0; k < n_in; k++) {
        uint64_t bits = 0;
        memcpy(&bits, at(a[k], in[k], i), jet_dtype_size(in[k]));
        len += snprintf(buf + len, sizeof buf - (size_t)len, "%s%s 0x%llx", k ? ", " : "",
                        jet_dtype_name(in[k]), (unsigned long long)bits);
      }
      uint64_t rb = 0, gb = 0;
      memcpy(&rb, (const char *)ref + i * (int64_t)osz, osz);
      memcpy(&gb, (const char *)got + i * (int64_t)osz, osz);
      print_error("%s) -> %s: reference 0x%llx, tile 0x%llx (element %lld)\n", buf,
                  jet_dtype_name(out), (unsigned long long)rb, (unsigned long long)gb,
                  (long long)i);
      if (++g_failures > 20) fail();
      break;
    }
  }
  for (int k = 0; k < n_in; k++) free(a[k]);
  free(ref);
  free(got);
  free(inplace);
}

static void all_elementwise(const char *isa) {
  for (int o = 0; o < JET_OP_COUNT; o++) {
    const jet_op op = (jet_op)o;
    if (!jet_tile_is_elementwise(op)) continue;
    const int n_in = jet_op_get(op)->n_operands;
    for (size_t di = 0; di < NELEM(k_dtypes); di++) {
      const jet_dtype d = k_dtypes[di];
      if (!accepts(op, d)) continue;
      tnode tn;
      jet_dtype in[3] = {d, d, d};
      if (op == JET_OP_SELECT) in[0] = JET_BOOL;
      if (op == JET_OP_CONVERT_ELEMENT_TYPE || op == JET_OP_BITCAST_CONVERT_TYPE) {
        for (size_t ei = 0; ei < NELEM(k_dtypes); ei++) {
          const jet_dtype e = k_dtypes[ei];
          if (op == JET_OP_BITCAST_CONVERT_TYPE && jet_dtype_size(e) != jet_dtype_size(d)) continue;
          tnode_init(&tn, op, e);
          tnode_dtype(&tn, "new_dtype", e);
          check_case(&tn, in, e, isa);
        }
        continue;
      }
      const jet_dtype out = (op == JET_OP_IS_FINITE || (op >= JET_OP_EQ && op <= JET_OP_GE))
                                ? JET_BOOL
                                : d;
      if (op == JET_OP_INTEGER_POW) {
        static const int64_t ys[] = {0,  1,  2,  3,  4,  5,  7,  8,  13,
                                     31, 32, 63, 64, 65, -1, -2, -3, -7};
        for (size_t k = 0; k < NELEM(ys); k++) {
          tnode_init(&tn, op, out);
          tnode_int(&tn, "y", ys[k]);
          check_case(&tn, in, out, isa);
        }
        continue;
      }
      if (op == JET_OP_ROUND) {
        for (int m = -1; m < 2; m++) {
          tnode_init(&tn, op, out);
          if (m >= 0) tnode_int(&tn, "rounding_method", m);
          check_case(&tn, in, out, isa);
        }
        continue;
      }
      (void)n_in;
      tnode_init(&tn, op, out);
      check_case(&tn, in, out, isa);
    }
  }
}

static void test_elementwise(void **state) {
  (void)state;
  for (size_t i = 0; i < NELEM(k_isas); i++) {
    if (!jet__tile_set_isa(k_isas[i])) continue;
    g_cases = g_fast = 0;
    all_elementwise(k_isas[i]);
    print_message("tile %s: %d op/dtype cases, %d dedicated\n", k_isas[i], g_cases, g_fast);
    assert_true(g_cases > 300);
  }
  assert_int_equal(g_failures, 0);
  jet_tile_init();
  assert_true(jet__tile_set_isa("avx512") || jet__tile_set_isa("avx2") ||
              jet__tile_set_isa("baseline"));
}

/* ---- transcendental accuracy in ulps ----------------------------------------- */

static long double ld_logistic(long double x) { return 1.0L / (1.0L + expl(-x)); }
/* powl of glibc's x87 gets pow(-inf, -2^63) wrong: non-finite or zero
 * bases go through double pow (exact there, C99 Annex F). */
static long double ld_pow(long double x, long double y) {
  if (!isfinite(x) || !isfinite(y) || x == 0) return pow((double)x, (double)y);
  return powl(x, y);
}

typedef struct ulp_case {
  jet_op op;
  long double (*f1)(long double);
  long double (*f2)(long double, long double);
  double bound_f32, bound_f64; /* asserted maxima, as documented in tile.c */
  double lo, hi;               /* natural argument range */
  bool positive;               /* log-uniform positive arguments as well */
} ulp_case;

/* TILE_ULP_TABLE: keep in step with the table in tile.c. */
static const ulp_case k_ulp[] = {
    {JET_OP_EXP, expl, NULL, 1.0, 1.0, -750, 720, false},
    {JET_OP_EXP2, exp2l, NULL, 1.0, 1.0, -1080, 1030, false},
    {JET_OP_LOG, logl, NULL, 1.0, 1.0, 0, 10, true},
    {JET_OP_LOG1P, log1pl, NULL, 1.0, 1.0, -1, 10, true},
    {JET_OP_EXPM1, expm1l, NULL, 1.0, 1.0, -50, 720, false},
    {JET_OP_TANH, tanhl, NULL, 3.5, 1.0, -20, 20, false},
    {JET_OP_LOGISTIC, ld_logistic, NULL, 2.5, 2.5, -760, 60, false},
    {JET_OP_SIN, sinl, NULL, 1.0, 1.0, -20, 20, true},
    {JET_OP_COS, cosl, NULL, 1.0, 1.0, -20, 20, true},
    {JET_OP_TAN, tanl, NULL, 1.0, 1.0, -20, 20, true},
    {JET_OP_ASIN, asinl, NULL, 1.0, 1.0, -1, 1, false},
    {JET_OP_ACOS, acosl, NULL, 1.0, 1.0, -1, 1, false},
    {JET_OP_ATAN, atanl, NULL, 1.0, 1.0, -50, 50, true},
    {JET_OP_SINH, sinhl, NULL, 1.0, 1.0, -720, 720, false},
    {JET_OP_COSH, coshl, NULL, 1.0, 1.0, -720, 720, false},
    {JET_OP_ERF, erfl, NULL, 2.0, 1.0, -6, 6, false},
    {JET_OP_POW, NULL, ld_pow, 1.0, 1.0, -40, 40, true},
    {JET_OP_ATAN2, NULL, atan2l, 1.5, 1.5, -10, 10, false},
};

/* Error of `got` in ulps of the type (p mantissa bits, emin the least
 * normal exponent) against the exact `ref`; HUGE_VAL when NaN-ness,
 * infinities or exact zeros (with their sign) disagree. */
static double ulp_error(long double ref, double got, int p, int emin, double maxv) {
  if (isnan(ref) || isnan(got)) return isnan(ref) && isnan(got) ? 0 : HUGE_VAL;
  if (isinf(got)) {
    if (!signbit(got) != !signbit(ref)) return HUGE_VAL;
    if (isinf(ref)) return 0;
    if (fabsl(ref) > (long double)maxv) return 0; /* overflows the type */
    /* got is inf where the type still holds ref: measure against the
     * next power of two above the maximum */
    return (double)((ldexpl(1.0L, emin == -126 ? 128 : 1024) - fabsl(ref)) /
                    ldexpl(1.0L, (emin == -126 ? 127 : 1023) - (p - 1)));
  }
  if (isinf(ref)) return HUGE_VAL;
  if (ref == 0) return got == 0 && !signbit(got) == !signbit(ref) ? 0 : HUGE_VAL;
  int e = ilogbl(ref);
  if (e < emin) e = emin;
  return (double)(fabsl((long double)got - ref) / ldexpl(1.0L, e - (p - 1)));
}

static double arg_value(const ulp_case *c, jet_dtype d, int which) {
  switch (which) {
    case 0: return rnd_range(c->lo, c->hi);
    case 1:
      if (c->positive) return ldexp(rnd_unit() + 0.5, (int)(rnd() % 160) - 80);
      return rnd_range(c->lo, c->hi) * 1e-3;
    case 2: {
      if (d == JET_F32) return f32_bits((uint32_t)rnd());
      const uint64_t b = rnd();
      double v;
      memcpy(&v, &b, 8);
      return v;
    }
    default: return ldexp(rnd_unit(), -(int)(rnd() % 40)) * (rnd() & 1 ? 1 : -1);
  }
}

#define NULP 20000

static void ulp_one(const ulp_case *c, jet_dtype d, const char *isa, double *seen) {
  const bool two = c->f2 != NULL;
  const int n_spec = (int)NELEM(k_fspecial);
  const int64_t n = NULP + (two ? (int64_t)n_spec * n_spec : n_spec);
  double *x = malloc((size_t)n * sizeof(double)), *y = malloc((size_t)n * sizeof(double));
  void *xs = malloc((size_t)n * 8), *ys = malloc((size_t)n * 8), *out = malloc((size_t)n * 8);
  assert_true(x && y && xs && ys && out);
  int64_t i = 0;
  for (int a = 0; a < n_spec; a++)
    for (int b = 0; b < (two ? n_spec : 1); b++, i++) {
      x[i] = k_fspecial[a];
      y[i] = k_fspecial[b];
    }
  for (; i < n; i++) {
    const int w = (int)(rnd() % 4);
    x[i] = arg_value(c, d, w);
    if (!two) y[i] = 0;
    else if (c->op == JET_OP_POW && w == 1) y[i] = rnd_range(-30, 30);
    else y[i] = arg_value(c, d, (int)(rnd() % 4));
    if (c->op == JET_OP_POW && w == 0) { /* negative bases with integer exponents */
      x[i] = -fabs(x[i]);
      y[i] = (double)((int)(rnd() % 41) - 20);
    }
  }
  for (i = 0; i < n; i++) {
    store_f(d, xs, i, x[i]);
    store_f(d, ys, i, y[i]);
  }
  tnode tn;
  tnode_init(&tn, c->op, d);
  jet_dtype ins[2] = {d, d};
  jet_tile_op top;
  jet_status st = jet_tile_resolve(&tn.node, ins, d, &top);
  assert_null(st);
  assert_true(top.fast);
  for (int64_t off = 0; off < n; off += JET_TILE) {
    const int64_t m = n - off < JET_TILE ? n - off : JET_TILE;
    const size_t es = jet_dtype_size(d);
    const void *s[2] = {(char *)xs + off * (int64_t)es, (char *)ys + off * (int64_t)es};
    top.fn(&top, s, (char *)out + off * (int64_t)es, m);
  }
  const int p = d == JET_F32 ? 24 : 53, emin = d == JET_F32 ? -126 : -1022;
  const double maxv = d == JET_F32 ? FLT_MAX : DBL_MAX;
  const double bound = d == JET_F32 ? c->bound_f32 : c->bound_f64;
  double worst = 0;
  int64_t worst_i = -1;
  for (i = 0; i < n; i++) {
    const long double xv = fval(d, xs, i), yv = fval(d, ys, i);
    const long double ref = two ? c->f2(xv, yv) : c->f1(xv);
    const double e = ulp_error(ref, fval(d, out, i), p, emin, maxv);
    if (e > worst) {
      worst = e;
      worst_i = i;
    }
  }
  if (worst > *seen) *seen = worst;
  /* TILE_ULP_VERBOSE=1 prints where each function's worst error is */
  if (worst > bound || getenv("TILE_ULP_VERBOSE")) {
    print_error("%s: %s %s: %.3g ulps at x = %.17g, y = %.17g (got %.17g, want %.21Lg)\n", isa,
                jet_op_name(c->op), jet_dtype_name(d), worst, fval(d, xs, worst_i),
                fval(d, ys, worst_i), fval(d, out, worst_i),
                two ? c->f2(fval(d, xs, worst_i), fval(d, ys, worst_i))
                    : c->f1(fval(d, xs, worst_i)));
    if (worst > bound) g_failures++;
  }
  free(x);
  free(y);
  free(xs);
  free(ys);
  free(out);
}

static void test_ulps(void **state) {
  (void)state;
  const int before = g_failures;
  double seen[NELEM(k_ulp)][2] = {{0}};
  for (size_t i = 0; i < NELEM(k_isas); i++) {
    if (!jet__tile_set_isa(k_isas[i])) continue;
    for (size_t c = 0; c < NELEM(k_ulp); c++) {
      ulp_one(&k_ulp[c], JET_F32, k_isas[i], &seen[c][0]);
      ulp_one(&k_ulp[c], JET_F64, k_isas[i], &seen[c][1]);
    }
  }
  print_message("max ulp error seen (all instruction sets): function f32 f64\n");
  for (size_t c = 0; c < NELEM(k_ulp); c++)
    print_message("  %-10s %.4f %.4f\n", jet_op_name(k_ulp[c].op), seen[c][0], seen[c][1]);
  assert_int_equal(g_failures, before);
  assert_true(jet__tile_set_isa(k_isas[0]) || jet__tile_set_isa(k_isas[1]) ||
              jet__tile_set_isa(k_isas[2]));
}

/* ---- reductions ------------------------------------------------------------------ */

static const jet_op k_red_ops[] = {JET_OP_REDUCE_SUM, JET_OP_REDUCE_PROD, JET_OP_REDUCE_MAX,
                                   JET_OP_REDUCE_MIN};

/* The reference reduce kernel over axis 0 of in (rows x cols) -> out[cols]
 * (cols = 0: a rank-1 input reduced to a scalar). */
static void ref_reduce(jet_op op, jet_dtype d, const void *in, int64_t rows, int64_t cols,
                       void *out) {
  tnode tn;
  tnode_init(&tn, op, d);
  static const int64_t axes0[1] = {0};
  jet_attr *a = &tn.attrs[tn.node.n_attrs++];
  a->name = "axes";
  a->kind = JET_ATTR_INTS;
  a->u.ints.v = axes0;
  a->u.ints.n = 1;
  const int64_t dims[2] = {rows, cols};
  jet_buf bi = {jet_type_make(d, cols ? 2 : 1, dims), (void *)in};
  jet_buf bo = {jet_type_make(d, cols ? 1 : 0, &dims[1]), out};
  jet_status st = jet_exec_kernel(op)(&tn.node, &bi, &bo);
  if (st) fail_msg("reference %s: %s", jet_op_name(op), jet_status_message(st));
}

/* Inputs for a reduction: kind 0 random with specials, 1 no NaN, 2 values
 * near 1 (products stay finite), 3 zeros of both signs among negatives. */
static void red_fill(jet_dtype d, void *p, int64_t n, int kind) {
  for (int64_t i = 0; i < n; i++) {
    if (d == JET_F32 || d == JET_F64) {
      double v;
      if (kind == 2) v = rnd_range(0.9, 1.1);
      else if (kind == 3) v = rnd() % 5 == 0 ? (rnd() & 1 ? 0.0 : -0.0) : -rnd_range(0.1, 10);
      else if (rnd() % 40 == 0 && kind == 0) {
        put_special(d, p, i, (size_t)(rnd() % n_special(d)));
        continue;
      } else v = rnd_range(-100, 100);
      store_f(d, p, i, v);
    } else if (rnd() % 20 == 0) {
      put_special(d, p, i, (size_t)(rnd() % n_special(d)));
    } else {
      put_random(d, p, i);
    }
  }
}

static bool float_close(jet_dtype d, const void *a, const void *b, int64_t i, double scale) {
  if (fisnan(d, a, i) || fisnan(d, b, i)) return fisnan(d, a, i) && fisnan(d, b, i);
  const double x = fval(d, a, i), y = fval(d, b, i);
  if (isinf(x) || isinf(y)) return x == y;
  const double tol = (d == JET_F32 ? 4e-7 : 4e-15) * (fabs(x) + scale);
  return fabs(x - y) <= tol;
}

static void check_reduce(const char *isa, jet_op op, jet_dtype d, int kind) {
  const int64_t rows = 37, cols = 301, n = rows * cols;
  const size_t es = jet_dtype_size(d);
  void *in = malloc((size_t)n * es), *ref_all = calloc(1, 8), *ref_cols = calloc((size_t)cols, 8);
  void *acc = calloc((size_t)cols, 8), *wacc = calloc((size_t)cols, 8);
  assert_true(in && ref_all && ref_cols && acc && wacc);
  red_fill(d, in, n, kind);
  double scale = 0; /* sum of |x| for float sum tolerances */
  if (d == JET_F32 || d == JET_F64)
    for (int64_t i = 0; i < n; i++) scale += fabs(fval(d, in, i));
  const bool fsum = op == JET_OP_REDUCE_SUM && (d == JET_F32 || d == JET_F64);
  const jet_dtype wd = jet_tile_reduce_acc_dtype(op, d);

  /* all: tiles of assorted sizes, narrow and wide */
  ref_reduce(op, d, in, n, 0, ref_all);
  jet_tile_reduce_identity(op, d, acc, 1);
  jet_tile_reduce_identity(op, wd, wacc, 1);
  for (int64_t off = 0, c = 0; off < n; c++) {
    int64_t m = k_chunks[c % (int64_t)NELEM(k_chunks)];
    if (m > n - off) m = n - off;
    jet_tile_reduce_all(op, d, (const char *)in + off * (int64_t)es, m, acc);
    jet_tile_reduce_all_wide(op, d, (const char *)in + off * (int64_t)es, m, wacc);
    off += m;
  }
  jet_tile_reduce_all(op, d, in, 0, acc); /* empty: no change */
  if (wd != d) ((float *)wacc)[0] = (float)((double *)wacc)[0];
  if (fsum) {
    if (!float_close(d, ref_all, acc, 0, scale) || !float_close(d, ref_all, wacc, 0, scale))
      fail_msg("%s: %s %s all: reference %.17g, tile %.17g, wide %.17g", isa, jet_op_name(op),
               jet_dtype_name(d), fval(d, ref_all, 0), fval(d, acc, 0), fval(d, wacc, 0));
  } else if (!same_elem(d, ref_all, acc, 0) || !same_elem(d, ref_all, wacc, 0)) {
    uint64_t r = 0, g = 0;
    memcpy(&r, ref_all, es);
    memcpy(&g, acc, es);
    fail_msg("%s: %s %s all (kind %d): reference 0x%llx, tile 0x%llx", isa, jet_op_name(op),
             jet_dtype_name(d), kind, (unsigned long long)r, (unsigned long long)g);
  }

  /* one whole call over everything (not limited to a tile) */
  jet_tile_reduce_identity(op, d, acc, 1);
  jet_tile_reduce_all(op, d, in, n, acc);
  if (fsum ? !float_close(d, ref_all, acc, 0, scale) : !same_elem(d, ref_all, acc, 0))
    fail_msg("%s: %s %s one call differs", isa, jet_op_name(op), jet_dtype_name(d));

  /* accum over rows */
  ref_reduce(op, d, in, rows, cols, ref_cols);
  jet_tile_reduce_identity(op, d, acc, cols);
  jet_tile_reduce_identity(op, wd, wacc, cols);
  for (int64_t r = 0; r < rows; r++) {
    jet_tile_reduce_accum(op, d, (const char *)in + r * cols * (int64_t)es, cols, acc);
    jet_tile_reduce_accum_wide(op, d, (const char *)in + r * cols * (int64_t)es, cols, wacc);
  }
  if (wd != d)
    for (int64_t j = 0; j < cols; j++) ((float *)wacc)[j] = (float)((double *)wacc)[j];
  /* the wide accumulator sums in the reference's order and precision:
   * bit-identical for every pair (but the payload of a NaN sum: which
   * operand's NaN an add returns depends on the compiler's operand order) */
  for (int64_t j = 0; j < cols; j++) {
    const bool nan2 = fsum && fisnan(d, ref_cols, j) && fisnan(d, wacc, j);
    if (!nan2 && !same_elem(d, ref_cols, wacc, j))
      fail_msg("%s: %s %s accum (wide) differs at %lld", isa, jet_op_name(op), jet_dtype_name(d),
               (long long)j);
  }
  /* narrow f32 sums add in f32 (an intermediate may overflow where the
   * reference's double does not): compared without special values */
  for (int64_t j = 0; j < cols && !(fsum && kind == 0); j++) {
    const bool ok = fsum ? float_close(d, ref_cols, acc, j, scale / (double)cols)
                         : same_elem(d, ref_cols, acc, j);
    if (!ok)
      fail_msg("%s: %s %s accum column %lld differs", isa, jet_op_name(op), jet_dtype_name(d),
               (long long)j);
  }
  free(in);
  free(ref_all);
  free(ref_cols);
  free(acc);
  free(wacc);
}

static void test_reductions(void **state) {
  (void)state;
  for (size_t i = 0; i < NELEM(k_isas); i++) {
    if (!jet__tile_set_isa(k_isas[i])) continue;
    for (size_t o = 0; o < NELEM(k_red_ops); o++)
      for (size_t di = 0; di < NELEM(k_dtypes); di++) {
        const jet_op op = k_red_ops[o];
        const jet_dtype d = k_dtypes[di];
        jet_status st = jet_tile_reduce_check(op, d);
        if (!accepts(op, d)) {
          assert_non_null(st);
          jet_status_free(st);
          continue;
        }
        assert_null(st);
        for (int kind = 0; kind < 4; kind++) check_reduce(k_isas[i], op, d, kind);
      }
  }
  /* max/min: first NaN and first zero win, as the reference's scan */
  const float v[6] = {-1.0f, -0.0f, 0.0f, -2.0f, 0.0f, -0.0f};
  float acc = -INFINITY;
  jet_tile_reduce_all(JET_OP_REDUCE_MAX, JET_F32, v, 6, &acc);
  assert_true(acc == 0.0f && signbit(acc));
  const uint32_t nb[3] = {0x3f800000u, 0x7fc00005u, 0x7fc00007u};
  float nacc = -INFINITY;
  jet_tile_reduce_all(JET_OP_REDUCE_MIN, JET_F32, nb, 3, &nacc);
  uint32_t got;
  memcpy(&got, &nacc, 4);
  assert_int_equal(got, 0x7fc00005u);
  assert_true(jet__tile_set_isa(k_isas[0]) || jet__tile_set_isa(k_isas[1]) ||
              jet__tile_set_isa(k_isas[2]));
}

/* ---- resolution errors ---------------------------------------------------------- */

static void expect_bad(jet_op op, const jet_dtype *in, jet_dtype out, bool with_attr) {
  tnode tn;
  tnode_init(&tn, op, out);
  if (with_attr && op == JET_OP_CONVERT_ELEMENT_TYPE) tnode_dtype(&tn, "new_dtype", out);
  jet_tile_op top;
  jet_status st = jet_tile_resolve(&tn.node, in, out, &top);
  if (!st) fail_msg("%s resolved", jet_op_name(op));
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
}

static void test_resolve_errors(void **state) {
  (void)state;
  assert_true(jet_tile_is_elementwise(JET_OP_ADD));
  assert_true(jet_tile_is_elementwise(JET_OP_SELECT));
  assert_true(jet_tile_is_elementwise(JET_OP_STOP_GRADIENT));
  assert_true(jet_tile_is_elementwise(JET_OP_BITCAST_CONVERT_TYPE));
  assert_false(jet_tile_is_elementwise(JET_OP_REDUCE_SUM));
  assert_false(jet_tile_is_elementwise(JET_OP_BROADCAST_IN_DIM));
  assert_false(jet_tile_is_elementwise(JET_OP_DOT_GENERAL));
  assert_false(jet_tile_is_elementwise(JET_OP_CONSTANT));
  int n = 0;
  for (int o = 0; o < JET_OP_COUNT; o++) n += jet_tile_is_elementwise((jet_op)o);
  assert_int_equal(n, 29 + 1 + 15 + 6 + 2 + 2);

  expect_bad(JET_OP_ADD, (jet_dtype[]){JET_F32, JET_F64}, JET_F32, false);
  expect_bad(JET_OP_ADD, (jet_dtype[]){JET_F32, JET_F32}, JET_F64, false);
  expect_bad(JET_OP_ADD, (jet_dtype[]){JET_BOOL, JET_BOOL}, JET_BOOL, false);
  expect_bad(JET_OP_NEG, (jet_dtype[]){JET_BOOL}, JET_BOOL, false);
  expect_bad(JET_OP_ABS, (jet_dtype[]){JET_U32}, JET_U32, false);
  expect_bad(JET_OP_EXP, (jet_dtype[]){JET_I32}, JET_I32, false);
  expect_bad(JET_OP_EQ, (jet_dtype[]){JET_I32, JET_I32}, JET_I32, false);
  expect_bad(JET_OP_SELECT, (jet_dtype[]){JET_I32, JET_F32, JET_F32}, JET_F32, false);
  expect_bad(JET_OP_CLAMP, (jet_dtype[]){JET_F64, JET_F32, JET_F32}, JET_F32, false);
  expect_bad(JET_OP_BITCAST_CONVERT_TYPE, (jet_dtype[]){JET_F32}, JET_F64, false);
  expect_bad(JET_OP_INTEGER_POW, (jet_dtype[]){JET_F32}, JET_F32, false); /* no y */
  expect_bad(JET_OP_REDUCE_SUM, (jet_dtype[]){JET_F32}, JET_F32, false);
  expect_bad(JET_OP_ADD, (jet_dtype[]){JET_I8, JET_I8}, JET_I8, false);
  expect_bad(JET_OP_CONVERT_ELEMENT_TYPE, (jet_dtype[]){JET_F32}, JET_F16, true);

  jet_status st = jet_tile_reduce_check(JET_OP_REDUCE_SUM, JET_BOOL);
  assert_non_null(st);
  jet_status_free(st);
  st = jet_tile_reduce_check(JET_OP_ADD, JET_F32);
  assert_non_null(st);
  jet_status_free(st);
  assert_int_equal(jet_tile_reduce_acc_dtype(JET_OP_REDUCE_SUM, JET_F32), JET_F64);
  assert_int_equal(jet_tile_reduce_acc_dtype(JET_OP_REDUCE_MAX, JET_F32), JET_F32);
  assert_int_equal(jet_tile_reduce_acc_dtype(JET_OP_REDUCE_SUM, JET_I32), JET_I32);
}

/* ---- speed ----------------------------------------------------------------------- */

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double bench(jet_op op, const float *a, const float *b, float *o, int64_t n) {
  tnode tn;
  tnode_init(&tn, op, JET_F32);
  jet_tile_op top;
  jet_status st = jet_tile_resolve(&tn.node, (jet_dtype[]){JET_F32, JET_F32}, JET_F32, &top);
  assert_null(st);
  double best = HUGE_VAL;
  for (int r = 0; r < 5; r++) {
    const double t0 = now_s();
    for (int64_t off = 0; off < n; off += JET_TILE) {
      const void *s[2] = {a + off, b + off};
      top.fn(&top, s, o + off, n - off < JET_TILE ? n - off : JET_TILE);
    }
    const double t = now_s() - t0;
    if (t < best) best = t;
  }
  return best / (double)n * 1e9;
}

static void test_speed(void **state) {
  (void)state;
  const int64_t n = 1 << 20;
  float *a = malloc((size_t)n * 4), *b = malloc((size_t)n * 4), *o = malloc((size_t)n * 4);
  assert_true(a && b && o);
  for (int64_t i = 0; i < n; i++) {
    a[i] = (float)rnd_range(-5, 5);
    b[i] = (float)rnd_range(-5, 5);
  }
  jet_tile_init();
  for (size_t i = 0; i < NELEM(k_isas); i++) {
    if (!jet__tile_set_isa(k_isas[i])) continue;
    print_message("tile speed (%s, 1M f32, ns/element): tanh %.3f  exp %.3f  add %.3f\n",
                  k_isas[i], bench(JET_OP_TANH, a, b, o, n), bench(JET_OP_EXP, a, b, o, n),
                  bench(JET_OP_ADD, a, b, o, n));
  }
  assert_true(jet__tile_set_isa(k_isas[0]) || jet__tile_set_isa(k_isas[1]) ||
              jet__tile_set_isa(k_isas[2]));
  print_message("tile: default instruction set %s\n", jet_tile_isa());
  free(a);
  free(b);
  free(o);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_resolve_errors),
      cmocka_unit_test(test_elementwise),
      cmocka_unit_test(test_ulps),
      cmocka_unit_test(test_reductions),
      cmocka_unit_test(test_speed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
