/* AD rules (JVP and VJP) of the elementwise binary ops and comparisons:
 *   add sub mul div rem pow max min atan2
 *   and or xor shift_left shift_right_logical shift_right_arithmetic (zero)
 *   eq ne lt le gt ge (zero)
 *
 * Each operand i has one derivative "term" applied to its tangent (JVP) or
 * to the output cotangent (VJP): pass, negate, times a factor or divided by
 * a factor, the factors built from primal values only (JAX's formulas, doc
 * §2.2), so the JVP and VJP of an op agree exactly.
 *
 * Broadcasting: an operand may be rank 0 while the other is not. Its tangent
 * is then rank 0 too; the JVP result is broadcast to the output's shape, and
 * the VJP sums the cotangent back (jet_emit_unbroadcast).
 */
#include "transforms/ad/ad.h"

typedef enum term_kind { TERM_PASS, TERM_NEG, TERM_MUL, TERM_DIV } term_kind;

typedef struct term {
  term_kind kind;
  jet_value factor; /* TERM_MUL / TERM_DIV */
} term;

static term mk(term_kind k, jet_value f) {
  term r = {k, f};
  return r;
}

/* 1 where a == out, 0 elsewhere, halved where b == out too (ties split). */
static jet_value balanced_eq(jet_emit *e, jet_value a, jet_value out, jet_value b) {
  jet_value num = jet_emit3(e, JET_OP_SELECT, jet_emit2(e, JET_OP_EQ, a, out),
                            jet_emit_full_like(e, out, 1.0), jet_emit_full_like(e, out, 0.0));
  jet_value den = jet_emit3(e, JET_OP_SELECT, jet_emit2(e, JET_OP_EQ, b, out),
                            jet_emit_full_like(e, out, 2.0), jet_emit_full_like(e, out, 1.0));
  return jet_emit2(e, JET_OP_DIV, num, den);
}

/* The term of operand i of node n (operands x, result out). */
static term term_of(jet_emit *e, const jet_node *n, uint32_t i, const jet_value *x, jet_value out) {
  jet_value a = x[0], b = x[1];
  switch (n->op) {
    case JET_OP_ADD: return mk(TERM_PASS, JET_AD_ZERO);
    case JET_OP_SUB: return mk(i == 0 ? TERM_PASS : TERM_NEG, JET_AD_ZERO);
    case JET_OP_MUL: return mk(TERM_MUL, i == 0 ? b : a);
    case JET_OP_DIV:
      /* d/da = 1/b; d/db = -a/b^2 = -out/b */
      if (i == 0) return mk(TERM_DIV, b);
      return mk(TERM_MUL, jet_emit1(e, JET_OP_NEG, jet_emit2(e, JET_OP_DIV, out, b)));
    case JET_OP_REM: {
      /* d/da = 1; d/db = -trunc(a/b) = -sign(a/b) * floor(abs(a/b)) */
      if (i == 0) return mk(TERM_PASS, JET_AD_ZERO);
      jet_value q = jet_emit2(e, JET_OP_DIV, a, b);
      jet_value tr = jet_emit2(e, JET_OP_MUL, jet_emit1(e, JET_OP_SIGN, q),
                               jet_emit1(e, JET_OP_FLOOR, jet_emit1(e, JET_OP_ABS, q)));
      return mk(TERM_MUL, jet_emit1(e, JET_OP_NEG, tr));
    }
    case JET_OP_POW: {
      if (i == 0) {
        /* d/da = b * a^(b-1) */
        jet_value bm1 = jet_emit2(e, JET_OP_SUB, b, jet_emit_full_like(e, b, 1.0));
        return mk(TERM_MUL, jet_emit2(e, JET_OP_MUL, b, jet_emit2(e, JET_OP_POW, a, bm1)));
      }
      /* d/db = log(a) * out, with log(a) taken as 0 where a == 0 */
      jet_value a0 = jet_emit2(e, JET_OP_EQ, a, jet_emit_full_like(e, a, 0.0));
      jet_value safe = jet_emit3(e, JET_OP_SELECT, a0, jet_emit_full_like(e, a, 1.0), a);
      return mk(TERM_MUL, jet_emit2(e, JET_OP_MUL, jet_emit1(e, JET_OP_LOG, safe), out));
    }
    case JET_OP_MAX:
    case JET_OP_MIN:
      return mk(TERM_MUL, i == 0 ? balanced_eq(e, a, out, b) : balanced_eq(e, b, out, a));
    case JET_OP_ATAN2: {
      /* d/da = b / (a^2 + b^2); d/db = -a / (a^2 + b^2) */
      jet_value den =
          jet_emit2(e, JET_OP_ADD, jet_emit1(e, JET_OP_SQUARE, a), jet_emit1(e, JET_OP_SQUARE, b));
      if (i == 0) return mk(TERM_MUL, jet_emit2(e, JET_OP_DIV, b, den));
      return mk(TERM_MUL, jet_emit1(e, JET_OP_NEG, jet_emit2(e, JET_OP_DIV, a, den)));
    }
    default:
      if (!e->status)
        e->status = jet_status_make(
            JET_INTERNAL, "autodiff: '%s' is not a differentiable binary op", jet_op_name(n->op));
      return mk(TERM_PASS, JET_AD_ZERO);
  }
}

/* Applies operand i's term to s (a tangent or cotangent); JET_AD_ZERO stays. */
static jet_value apply(jet_emit *e, const jet_node *n, uint32_t i, const jet_value *x,
                       jet_value out, jet_value s) {
  if (s == JET_AD_ZERO) return JET_AD_ZERO;
  term tm = term_of(e, n, i, x, out);
  switch (tm.kind) {
    case TERM_PASS: return s;
    case TERM_NEG: return jet_emit1(e, JET_OP_NEG, s);
    case TERM_MUL: return jet_emit2(e, JET_OP_MUL, s, tm.factor);
    case TERM_DIV: return jet_emit2(e, JET_OP_DIV, s, tm.factor);
  }
  return JET_AD_ZERO;
}

static void binary_jvp(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                       const jet_value *y, jet_value *ty) {
  ty[0] = JET_AD_ZERO;
  jet_type yt = *jet_emit_type(e, y[0]);
  if (!jet_dtype_is_float(yt.dtype)) return;
  jet_value r = jet_emit_add_any(e, apply(e, n, 0, x, y[0], t[0]), apply(e, n, 1, x, y[0], t[1]));
  if (r != JET_AD_ZERO) r = jet_emit_broadcast_to(e, r, &yt);
  ty[0] = r;
}

static void binary_vjp(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                       const jet_value *ct, jet_value *cx) {
  cx[0] = cx[1] = JET_AD_ZERO;
  if (!jet_dtype_is_float(jet_emit_type(e, y[0])->dtype)) return;
  for (uint32_t i = 0; i < 2; i++) {
    jet_type xt = *jet_emit_type(e, x[i]);
    cx[i] = jet_emit_unbroadcast(e, apply(e, n, i, x, y[0], ct[0]), &xt);
  }
}

#define BINARY_DIFF(E)                                                                      \
  void jet__jvp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t, \
                    const jet_value *y, jet_value *ty) {                                    \
    binary_jvp(e, n, x, t, y, ty);                                                          \
  }                                                                                         \
  void jet__vjp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y, \
                    const jet_value *ct, jet_value *cx) {                                   \
    binary_vjp(e, n, x, y, ct, cx);                                                         \
  }

#define BINARY_ZERO(E) JET_AD_ZERO_RULES(E)

BINARY_DIFF(ADD)
BINARY_DIFF(SUB)
BINARY_DIFF(MUL)
BINARY_DIFF(DIV)
BINARY_DIFF(REM)
BINARY_DIFF(POW)
BINARY_DIFF(MAX)
BINARY_DIFF(MIN)
BINARY_DIFF(ATAN2)
BINARY_ZERO(AND)
BINARY_ZERO(OR)
BINARY_ZERO(XOR)
BINARY_ZERO(SHIFT_LEFT)
BINARY_ZERO(SHIFT_RIGHT_LOGICAL)
BINARY_ZERO(SHIFT_RIGHT_ARITHMETIC)
BINARY_ZERO(EQ)
BINARY_ZERO(NE)
BINARY_ZERO(LT)
BINARY_ZERO(LE)
BINARY_ZERO(GT)
BINARY_ZERO(GE)
