/* AD rules (JVP and VJP) of the elementwise unary ops:
 *   neg abs sign floor ceil round is_finite exp exp2 log log1p expm1 sqrt
 *   rsqrt tanh logistic sin cos tan asin acos atan sinh cosh erf erf_inv
 *   integer_pow square not
 *
 * Each differentiable op has one derivative factor d(x, y) (JAX's formulas,
 * doc §2.2), built from primal values only; the tangent is t*d (or t/d for
 * the ops JAX writes as a quotient) and the cotangent ct*d (ct/d), so the
 * JVP and VJP of an op agree exactly. sign floor ceil round is_finite not
 * have zero derivatives.
 */
#include <math.h>

#include "transforms/ad/ad.h"

#define PI_ 3.14159265358979323846
#define LN2_ 0.69314718055994530942

/* The derivative factor of op at (x, y). *quotient is set when the tangent
 * is t / d rather than t * d. JET_AD_ZERO means "the derivative is zero". */
static jet_value factor(jet_emit *e, const jet_node *n, jet_value x, jet_value y, bool *quotient) {
  *quotient = false;
  switch (n->op) {
    case JET_OP_NEG: return jet_emit_full_like(e, x, -1.0);
    case JET_OP_ABS: {
      /* select(x >= 0, t, -t): the derivative at 0 is +1 */
      jet_value ge = jet_emit2(e, JET_OP_GE, x, jet_emit_full_like(e, x, 0.0));
      return jet_emit3(e, JET_OP_SELECT, ge, jet_emit_full_like(e, x, 1.0),
                       jet_emit_full_like(e, x, -1.0));
    }
    case JET_OP_EXP: return y;
    case JET_OP_EXP2: return jet_emit2(e, JET_OP_MUL, y, jet_emit_full_like(e, y, LN2_));
    case JET_OP_LOG: *quotient = true; return x;
    case JET_OP_LOG1P:
      *quotient = true;
      return jet_emit2(e, JET_OP_ADD, x, jet_emit_full_like(e, x, 1.0));
    case JET_OP_EXPM1: return jet_emit2(e, JET_OP_ADD, y, jet_emit_full_like(e, y, 1.0));
    case JET_OP_SQRT: return jet_emit2(e, JET_OP_DIV, jet_emit_full_like(e, y, 0.5), y);
    case JET_OP_RSQRT:
      return jet_emit2(e, JET_OP_MUL, jet_emit_full_like(e, y, -0.5),
                       jet_emit2(e, JET_OP_DIV, y, x));
    case JET_OP_TANH:
      return jet_emit2(e, JET_OP_MUL, jet_emit2(e, JET_OP_ADD, jet_emit_full_like(e, y, 1.0), y),
                       jet_emit2(e, JET_OP_SUB, jet_emit_full_like(e, y, 1.0), y));
    case JET_OP_LOGISTIC:
      return jet_emit2(e, JET_OP_MUL, y,
                       jet_emit2(e, JET_OP_SUB, jet_emit_full_like(e, y, 1.0), y));
    case JET_OP_SIN: return jet_emit1(e, JET_OP_COS, x);
    case JET_OP_COS: return jet_emit1(e, JET_OP_NEG, jet_emit1(e, JET_OP_SIN, x));
    case JET_OP_TAN:
      return jet_emit2(e, JET_OP_ADD, jet_emit_full_like(e, y, 1.0),
                       jet_emit1(e, JET_OP_SQUARE, y));
    case JET_OP_ASIN:
    case JET_OP_ACOS: {
      jet_value r = jet_emit1(
          e, JET_OP_RSQRT,
          jet_emit2(e, JET_OP_SUB, jet_emit_full_like(e, x, 1.0), jet_emit1(e, JET_OP_SQUARE, x)));
      return n->op == JET_OP_ASIN ? r : jet_emit1(e, JET_OP_NEG, r);
    }
    case JET_OP_ATAN:
      *quotient = true;
      return jet_emit2(e, JET_OP_ADD, jet_emit_full_like(e, x, 1.0),
                       jet_emit1(e, JET_OP_SQUARE, x));
    case JET_OP_SINH: return jet_emit1(e, JET_OP_COSH, x);
    case JET_OP_COSH: return jet_emit1(e, JET_OP_SINH, x);
    case JET_OP_ERF:
      return jet_emit2(
          e, JET_OP_MUL, jet_emit_full_like(e, x, 2.0 / sqrt(PI_)),
          jet_emit1(e, JET_OP_EXP, jet_emit1(e, JET_OP_NEG, jet_emit1(e, JET_OP_SQUARE, x))));
    case JET_OP_ERF_INV:
      return jet_emit2(e, JET_OP_MUL, jet_emit_full_like(e, y, sqrt(PI_) / 2.0),
                       jet_emit1(e, JET_OP_EXP, jet_emit1(e, JET_OP_SQUARE, y)));
    case JET_OP_INTEGER_POW: {
      int64_t p = jet_node_attr_int(n, "y", 0);
      if (p == 0) return JET_AD_ZERO;
      if (p == 1) return jet_emit_full_like(e, x, 1.0);
      jet_value xp = x;
      if (p - 1 != 1) {
        jet_attr a = jet_emit_attr_int("y", p - 1);
        xp = jet_emit_op(e, JET_OP_INTEGER_POW, &x, 1, &a, 1);
      }
      return jet_emit2(e, JET_OP_MUL, jet_emit_full_like(e, x, (double)p), xp);
    }
    case JET_OP_SQUARE: return jet_emit2(e, JET_OP_MUL, jet_emit_full_like(e, x, 2.0), x);
    default:
      if (!e->status)
        e->status = jet_status_make(JET_INTERNAL, "autodiff: '%s' is not an elementwise unary op",
                                    jet_op_name(n->op));
      return JET_AD_ZERO;
  }
}

/* s * d or s / d; JET_AD_ZERO when s or d is. */
static jet_value apply(jet_emit *e, const jet_node *n, jet_value x, jet_value y, jet_value s) {
  if (s == JET_AD_ZERO) return JET_AD_ZERO;
  switch (n->op) { /* linear ops: no factor node */
    case JET_OP_NEG: return jet_emit1(e, JET_OP_NEG, s);
    case JET_OP_INTEGER_POW:
      if (jet_node_attr_int(n, "y", 0) == 1) return s;
      break;
    default: break;
  }
  bool quotient;
  jet_value d = factor(e, n, x, y, &quotient);
  if (d == JET_AD_ZERO) return JET_AD_ZERO;
  return jet_emit2(e, quotient ? JET_OP_DIV : JET_OP_MUL, s, d);
}

/* Float operands only: integer tangents are zero (the driver never asks),
 * and no float math is emitted on integers. */
static bool is_float(const jet_emit *e, jet_value v) {
  return jet_dtype_is_float(jet_emit_type(e, v)->dtype);
}

#define UNARY_DIFF(E)                                                                       \
  void jet__jvp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t, \
                    const jet_value *y, jet_value *ty) {                                    \
    ty[0] = is_float(e, x[0]) ? apply(e, n, x[0], y[0], t[0]) : JET_AD_ZERO;                \
  }                                                                                         \
  void jet__vjp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y, \
                    const jet_value *ct, jet_value *cx) {                                   \
    cx[0] = is_float(e, x[0]) ? apply(e, n, x[0], y[0], ct[0]) : JET_AD_ZERO;               \
  }

#define UNARY_ZERO(E) JET_AD_ZERO_RULES(E)

UNARY_DIFF(NEG)
UNARY_DIFF(ABS)
UNARY_ZERO(SIGN)
UNARY_ZERO(FLOOR)
UNARY_ZERO(CEIL)
UNARY_ZERO(ROUND)
UNARY_ZERO(IS_FINITE)
UNARY_DIFF(EXP)
UNARY_DIFF(EXP2)
UNARY_DIFF(LOG)
UNARY_DIFF(LOG1P)
UNARY_DIFF(EXPM1)
UNARY_DIFF(SQRT)
UNARY_DIFF(RSQRT)
UNARY_DIFF(TANH)
UNARY_DIFF(LOGISTIC)
UNARY_DIFF(SIN)
UNARY_DIFF(COS)
UNARY_DIFF(TAN)
UNARY_DIFF(ASIN)
UNARY_DIFF(ACOS)
UNARY_DIFF(ATAN)
UNARY_DIFF(SINH)
UNARY_DIFF(COSH)
UNARY_DIFF(ERF)
UNARY_DIFF(ERF_INV)
UNARY_DIFF(INTEGER_POW)
UNARY_DIFF(SQUARE)
UNARY_ZERO(NOT)
