/* Part 2 of the differential-test generator (see fuse_gen.h): the result
 * rules, which say for every op how far an optimized run may drift from the
 * reference (the fg_info error model). */
#ifndef JET_TESTS_FUSE_GEN_RULES_H
#define JET_TESTS_FUSE_GEN_RULES_H

#include "fuse_gen_core.h"

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

#endif
