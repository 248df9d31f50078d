/* Comparisons eq/ne/lt/le/gt/ge -> bool, with the binary broadcasting rule
 * (equal shapes or one rank-0 operand). NaN compares false except ne; bool
 * operands compare as 0/1 (any non-zero byte is true). */
#include "kernels.h"

#define CMP_LOOP(EXPR)                                                     \
  do {                                                                     \
    for (int64_t i = 0; i < n; i++) {                                      \
      const T x = LOAD(a[i * sa]), y = LOAD(b[i * sb]);                    \
      o[i] = (uint8_t)(EXPR);                                              \
    }                                                                      \
    return NULL;                                                           \
  } while (0)

#define DEF_CMP(LOADER, sfx, TT, UU, SS, D)                                \
  static jet_status cmp_##sfx(const jet_node *node, const TT *a, int64_t sa, const TT *b, \
                              int64_t sb, uint8_t *o, int64_t n) {         \
    typedef TT T;                                                          \
    switch (node->op) {                                                    \
      case JET_OP_EQ: CMP_LOOP(x == y);                                    \
      case JET_OP_NE: CMP_LOOP(x != y);                                    \
      case JET_OP_LT: CMP_LOOP(x < y);                                     \
      case JET_OP_LE: CMP_LOOP(x <= y);                                    \
      case JET_OP_GT: CMP_LOOP(x > y);                                     \
      case JET_OP_GE: CMP_LOOP(x >= y);                                    \
      default: return jet__k_bad_dtype(node, 0, D);                        \
    }                                                                      \
  }

#define LOAD(v) (v)
JET_EACH_NUM(DEF_CMP, _)
#undef LOAD
#define LOAD(v) ((v) != 0)
JET_EACH_BOOL(DEF_CMP, _)
#undef LOAD

#define CMP_DISPATCH(unused, sfx, TT, UU, SS, D) \
  case D: return cmp_##sfx(node, in[0].data, sa, in[1].data, sb, out[0].data, n);

static jet_status compare(const jet_node *node, const jet_buf *in, jet_buf *out) {
  const int64_t n = jet_type_numel(&out[0].type);
  const int64_t sa = in[0].type.rank == 0 ? 0 : 1;
  const int64_t sb = in[1].type.rank == 0 ? 0 : 1;
  if (in[0].type.dtype != in[1].type.dtype) return jet__k_bad_dtype(node, 1, in[1].type.dtype);
  switch (in[0].type.dtype) {
    JET_EACH_ANY(CMP_DISPATCH, _)
    default: return jet__k_bad_dtype(node, 0, in[0].type.dtype);
  }
}

#define CMP_KERNEL(E) \
  jet_status jet__k_##E(const jet_node *node, const jet_buf *in, jet_buf *out) { \
    return compare(node, in, out);                                         \
  }
CMP_KERNEL(EQ)
CMP_KERNEL(NE)
CMP_KERNEL(LT)
CMP_KERNEL(LE)
CMP_KERNEL(GT)
CMP_KERNEL(GE)
