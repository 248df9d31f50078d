/* The batching rule table, generated from the op table: an op without a
 * rule does not link. */
#include "transforms/batch/batch.h"

static const jet_batch_rule rules[JET_OP_COUNT] = {
#define JET_OP(E, name, nopnd, rule, dtm, attrs) [JET_OP_##E] = jet__batch_##E,
#include "jet/ops.def"
#undef JET_OP
};

jet_batch_rule jet_batch_rule_of(jet_op op) {
  return (unsigned)op < JET_OP_COUNT ? rules[op] : NULL;
}
