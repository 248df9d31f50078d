/* The JVP and VJP rule tables, generated from the op table: an op without
 * both rules does not link. */
#include "transforms/ad/ad.h"

static const jet_jvp_rule jvp_rules[JET_OP_COUNT] = {
#define JET_OP(E, name, nopnd, rule, dtm, attrs) [JET_OP_##E] = jet__jvp_##E,
#include "jet/ops.def"
#undef JET_OP
};

static const jet_vjp_rule vjp_rules[JET_OP_COUNT] = {
#define JET_OP(E, name, nopnd, rule, dtm, attrs) [JET_OP_##E] = jet__vjp_##E,
#include "jet/ops.def"
#undef JET_OP
};

jet_jvp_rule jet_ad_jvp_rule(jet_op op) {
  return (unsigned)op < JET_OP_COUNT ? jvp_rules[op] : NULL;
}

jet_vjp_rule jet_ad_vjp_rule(jet_op op) {
  return (unsigned)op < JET_OP_COUNT ? vjp_rules[op] : NULL;
}
