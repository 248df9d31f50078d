/* Batching rules of the elementwise ops:
 *   unary: neg abs sign floor ceil round is_finite exp exp2 log log1p expm1
 *          sqrt rsqrt tanh logistic sin cos tan asin acos atan sinh cosh erf
 *          erf_inv integer_pow square not, convert_element_type,
 *          bitcast_convert_type (same widths only: shapes are kept),
 *          stop_gradient — the op applied as is, batch dim kept;
 *   binary: add sub mul div rem pow max min atan2 and or xor shift_left
 *          shift_right_logical shift_right_arithmetic;
 *   comparisons: eq ne lt le gt ge;
 *   select (predicate scalar or array, batched or not), clamp (bounds scalar
 *          or array, batched or not);
 *   constant, iota (no operands: never called) and call (inlined before
 *          batching): INTERNAL.
 *
 * N-ary ops: when every batched operand has the result's rank and the same
 * batch dim d, the op applies directly at d; otherwise batched operands move
 * their batch dim to 0. Unbatched operands of rank 0 stay scalars where the
 * op broadcasts them (binary/compare operands, select's predicate, clamp's
 * bounds); other unbatched operands get the batch dim (broadcast_in_dim).
 * A batched operand that is a scalar per example (type [B]) next to array
 * operands is broadcast along the example's dims.
 */
#include "transforms/batch/batch.h"

static void unary(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                  jet_value *y, int32_t *ybd) {
  y[0] = jet_emit_node_copy(&b->e, n, x);
  ybd[0] = bd[0];
}

/* Elementwise op of `nops` operands; may_scalar[i]: operand i may stay a
 * rank-0 value next to array operands. */
static void nary(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                 uint32_t nops, const bool *may_scalar, jet_value *y, int32_t *ybd) {
  jet_emit *e = &b->e;
  y[0] = JET_EMIT_NONE;
  ybd[0] = JET_NOT_BATCHED;
  if (e->status) return;
  const jet_type *rt = &n->results[0];
  int32_t r = rt->rank;
  if (r + 1 > JET_MAX_RANK) {
    jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT,
                                     "vmap of '%s': a batched result of rank %d exceeds the "
                                     "maximum rank %d",
                                     jet_op_name(n->op), (int)(r + 1), JET_MAX_RANK));
    return;
  }
  /* The batch dim of the result: shared by all full-rank batched operands,
   * else 0. */
  int32_t d = JET_NOT_BATCHED;
  bool differ = false;
  for (uint32_t i = 0; i < nops; i++) {
    if (bd[i] == JET_NOT_BATCHED) continue;
    int32_t xr = jet_emit_type(e, x[i])->rank;
    if (xr != r + 1 && xr != 1) {
      jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                                       "vmap of '%s': batched operand %u has rank %d; expected "
                                       "%d or 1",
                                       jet_op_name(n->op), i, (int)xr, (int)(r + 1)));
      return;
    }
    if (bd[i] < 0 || bd[i] >= xr) {
      jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                                       "vmap of '%s': operand %u has batch dim %d but rank %d",
                                       jet_op_name(n->op), i, (int)bd[i], (int)xr));
      return;
    }
    if (xr != r + 1) continue;
    if (d == JET_NOT_BATCHED)
      d = bd[i];
    else if (d != bd[i])
      differ = true;
  }
  if (d == JET_NOT_BATCHED || differ) d = 0;
  jet_type full = *rt;
  for (int32_t i = r; i > d; i--) full.dims[i] = full.dims[i - 1];
  full.dims[d] = b->size;
  full.rank = r + 1;
  jet_value ops[3];
  for (uint32_t i = 0; i < nops; i++) {
    const jet_type *xt = jet_emit_type(e, x[i]);
    if (bd[i] != JET_NOT_BATCHED) {
      if (xt->rank == r + 1) {
        ops[i] = jet_batch_moveaxis(b, x[i], bd[i], d);
      } else { /* a scalar per example next to arrays */
        int64_t bdim = d;
        ops[i] = jet_emit_broadcast_in_dim(e, x[i], full.dims, full.rank, &bdim, 1);
      }
    } else if (xt->rank == 0) {
      ops[i] = may_scalar[i] ? x[i] : jet_emit_broadcast_to(e, x[i], &full);
    } else {
      ops[i] = jet_batch_at(b, x[i], JET_NOT_BATCHED, d);
    }
  }
  y[0] = jet_emit_node_copy(e, n, ops);
  ybd[0] = e->status ? JET_NOT_BATCHED : d;
}

static void binary(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                   jet_value *y, int32_t *ybd) {
  static const bool may_scalar[2] = {true, true};
  nary(b, n, x, bd, 2, may_scalar, y, ybd);
}

static void no_operands(jet_batch *b, const jet_node *n, jet_value *y, int32_t *ybd) {
  y[0] = JET_EMIT_NONE;
  ybd[0] = JET_NOT_BATCHED;
  jet_emit_fail(&b->e, jet_status_make(JET_INTERNAL,
                                       "batching rule of '%s' called, but the op has no operands "
                                       "so none can be batched",
                                       jet_op_name(n->op)));
}

#define UNARY_RULE(E)                                                                         \
  void jet__batch_##E(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd, \
                      jet_value *y, int32_t *ybd) {                                           \
    unary(b, n, x, bd, y, ybd);                                                               \
  }
#define BINARY_RULE(E)                                                                        \
  void jet__batch_##E(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd, \
                      jet_value *y, int32_t *ybd) {                                           \
    binary(b, n, x, bd, y, ybd);                                                              \
  }

UNARY_RULE(NEG)
UNARY_RULE(ABS)
UNARY_RULE(SIGN)
UNARY_RULE(FLOOR)
UNARY_RULE(CEIL)
UNARY_RULE(ROUND)
UNARY_RULE(IS_FINITE)
UNARY_RULE(EXP)
UNARY_RULE(EXP2)
UNARY_RULE(LOG)
UNARY_RULE(LOG1P)
UNARY_RULE(EXPM1)
UNARY_RULE(SQRT)
UNARY_RULE(RSQRT)
UNARY_RULE(TANH)
UNARY_RULE(LOGISTIC)
UNARY_RULE(SIN)
UNARY_RULE(COS)
UNARY_RULE(TAN)
UNARY_RULE(ASIN)
UNARY_RULE(ACOS)
UNARY_RULE(ATAN)
UNARY_RULE(SINH)
UNARY_RULE(COSH)
UNARY_RULE(ERF)
UNARY_RULE(ERF_INV)
UNARY_RULE(INTEGER_POW)
UNARY_RULE(SQUARE)
UNARY_RULE(NOT)
UNARY_RULE(CONVERT_ELEMENT_TYPE)
UNARY_RULE(BITCAST_CONVERT_TYPE)
UNARY_RULE(STOP_GRADIENT)

BINARY_RULE(ADD)
BINARY_RULE(SUB)
BINARY_RULE(MUL)
BINARY_RULE(DIV)
BINARY_RULE(REM)
BINARY_RULE(POW)
BINARY_RULE(MAX)
BINARY_RULE(MIN)
BINARY_RULE(ATAN2)
BINARY_RULE(AND)
BINARY_RULE(OR)
BINARY_RULE(XOR)
BINARY_RULE(SHIFT_LEFT)
BINARY_RULE(SHIFT_RIGHT_LOGICAL)
BINARY_RULE(SHIFT_RIGHT_ARITHMETIC)
BINARY_RULE(EQ)
BINARY_RULE(NE)
BINARY_RULE(LT)
BINARY_RULE(LE)
BINARY_RULE(GT)
BINARY_RULE(GE)

/* select(pred, on_true, on_false): the predicate may stay an unbatched
 * scalar; the cases have the result's type. */
void jet__batch_SELECT(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                       jet_value *y, int32_t *ybd) {
  static const bool may_scalar[3] = {true, false, false};
  nary(b, n, x, bd, 3, may_scalar, y, ybd);
}

/* clamp(min, x, max): the bounds may stay unbatched scalars. */
void jet__batch_CLAMP(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                      jet_value *y, int32_t *ybd) {
  static const bool may_scalar[3] = {true, false, true};
  nary(b, n, x, bd, 3, may_scalar, y, ybd);
}

void jet__batch_CONSTANT(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                         jet_value *y, int32_t *ybd) {
  (void)x;
  (void)bd;
  no_operands(b, n, y, ybd);
}

void jet__batch_IOTA(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  (void)x;
  (void)bd;
  no_operands(b, n, y, ybd);
}

void jet__batch_CALL(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  (void)x;
  (void)bd;
  for (uint32_t j = 0; j < n->n_results; j++) {
    y[j] = JET_EMIT_NONE;
    ybd[j] = JET_NOT_BATCHED;
  }
  jet_emit_fail(&b->e, jet_status_make(JET_INTERNAL,
                                       "batching rule of 'call' called: calls are inlined "
                                       "before batching"));
}
