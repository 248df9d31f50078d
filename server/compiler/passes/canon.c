/* Canonicalisation: one forward sweep puts binary nodes into one canonical
 * form, so that CSE merges a*b with b*a and lt(a, b) with gt(b, a). Every
 * rule is exact: the result is bit-identical for every input (NaN payloads
 * aside, as in simplify.c), with the same type.
 *
 * Canonical operand order. Each operand gets a class: constant-like
 * (defined by constant, iota, or broadcast_in_dim of a constant) counts 2,
 * rank 0 counts 1; operands are ordered by (class, value id) ascending, so
 * constants and scalars come second and otherwise the lower value id comes
 * first. Rules:
 *
 * - commutative ops (add, mul, and, or, xor, eq, ne for every dtype; max and
 *   min for integers and bool only) whose operands are out of order swap
 *   them. Float max/min are not commutative in the reference kernels:
 *   max(-0.0, +0.0) = +0.0 but max(+0.0, -0.0) = -0.0 (ties return the
 *   second operand), so they are left as they are. Float add and mul are
 *   commutative in IEEE arithmetic; only which NaN payload comes out when
 *   both operands are NaN can differ;
 * - comparisons lt, le, gt, ge whose operands are out of order swap them
 *   and mirror the direction: lt(a, b) -> gt(b, a), le(a, b) -> ge(b, a)
 *   and back (exact for NaN too: every ordered comparison with a NaN is
 *   false either way); with both operands the same value, gt and ge become
 *   lt and le (swapping equal operands changes nothing);
 * - sub(x, c) -> add(x, -c) when c is a constant node of at most
 *   MAX_NEG_ELEMS elements and either an integer dtype (two's complement:
 *   x - c = x + (-c) modulo 2^n for every x and c, INT_MIN included) or a
 *   float dtype with no NaN element (IEEE 754 defines x - y as x + (-y),
 *   signed zeros and infinities included: -0.0 - +0.0 = -0.0 + -0.0 = -0.0,
 *   +0.0 - +0.0 = +0.0 + -0.0 = +0.0; a NaN c is excluded because negating
 *   it changes its sign bit). The new constant is appended, the old one is
 *   left for DCE. No other rewrite of sub (e.g. c - x) is done.
 *
 * Nodes with transforms or a callee are never rewritten; callees are
 * canonicalised the same way. O(nodes) plus the negated literals' bytes. */
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes.h"
#include "compiler/passes/passes_internal.h"

/* Largest constant sub(x, c) is rewritten for (bounds the bytes copied). */
#define MAX_NEG_ELEMS 4096

static bool is_commutative(jet_op op, jet_dtype operand_dtype) {
  switch (op) {
    case JET_OP_ADD:
    case JET_OP_MUL:
    case JET_OP_AND:
    case JET_OP_OR:
    case JET_OP_XOR:
    case JET_OP_EQ:
    case JET_OP_NE: return true;
    case JET_OP_MAX:
    case JET_OP_MIN: return !jet_dtype_is_float(operand_dtype);
    default: return false;
  }
}

/* The comparison with swapped operands; JET_OP_COUNT when op is none. */
static jet_op mirrored(jet_op op) {
  switch (op) {
    case JET_OP_LT: return JET_OP_GT;
    case JET_OP_GT: return JET_OP_LT;
    case JET_OP_LE: return JET_OP_GE;
    case JET_OP_GE: return JET_OP_LE;
    default: return JET_OP_COUNT;
  }
}

static bool is_constant_like(const jet_graph *g, jet_value v) {
  const jet_node *d = jet__def_node(g, v);
  if (d && d->op == JET_OP_BROADCAST_IN_DIM) {
    d = jet__def_node(g, d->operands[0]);
    return d && d->op == JET_OP_CONSTANT;
  }
  return d && (d->op == JET_OP_CONSTANT || d->op == JET_OP_IOTA);
}

static unsigned order_class(const jet_graph *g, jet_value v) {
  const jet_type *t = jet_graph_value_type(g, v);
  return (is_constant_like(g, v) ? 2u : 0u) | (t && t->rank == 0 ? 1u : 0u);
}

/* Should operands (a, b) be swapped? */
static bool out_of_order(const jet_graph *g, jet_value a, jet_value b) {
  unsigned ca = order_class(g, a), cb = order_class(g, b);
  return ca != cb ? ca > cb : a > b;
}

/* A float literal with a NaN element? (esz is 4 or 8.) */
static bool has_nan(const unsigned char *d, size_t nbytes, size_t esz) {
  for (size_t i = 0; i < nbytes; i += esz) {
    if (esz == 4) {
      uint32_t u;
      memcpy(&u, d + i, 4);
      if ((u & 0x7fffffffu) > 0x7f800000u) return true;
    } else {
      uint64_t u;
      memcpy(&u, d + i, 8);
      if ((u & 0x7fffffffffffffffull) > 0x7ff0000000000000ull) return true;
    }
  }
  return false;
}

/* -x for every element of an integer or float literal, into out. */
static void negate(jet_dtype dt, const unsigned char *src, unsigned char *out, size_t nbytes) {
  size_t esz = jet_dtype_size(dt);
  bool fl = jet_dtype_is_float(dt);
  for (size_t i = 0; i < nbytes; i += esz) {
    if (esz == 1) {
      out[i] = (unsigned char)(0u - src[i]);
    } else if (esz == 4) {
      uint32_t u;
      memcpy(&u, src + i, 4);
      u = fl ? u ^ 0x80000000u : 0u - u;
      memcpy(out + i, &u, 4);
    } else {
      uint64_t u;
      memcpy(&u, src + i, 8);
      u = fl ? u ^ 0x8000000000000000ull : 0u - u;
      memcpy(out + i, &u, 8);
    }
  }
}

/* sub(x, c): the negated constant's value in *neg when the rewrite
 * applies; JET_NO_VALUE otherwise. */
static jet_status negated_constant(jet_graph *dst, jet_value c, jet_value *neg) {
  *neg = JET_NO_VALUE;
  const jet_literal *l = jet__const_literal(jet__def_node(dst, c));
  if (!l) return NULL;
  jet_dtype dt = l->type.dtype;
  size_t esz = jet_dtype_size(dt);
  bool fl = dt == JET_F32 || dt == JET_F64;
  bool in = dt == JET_I32 || dt == JET_I64 || dt == JET_U8 || dt == JET_U32;
  if ((!fl && !in) || jet_type_numel(&l->type) > MAX_NEG_ELEMS || !l->nbytes) return NULL;
  if (fl && has_nan(l->data, l->nbytes, esz)) return NULL;
  unsigned char *buf = malloc(l->nbytes);
  if (!buf) return jet_status_oom("canon: negated constant");
  negate(dt, l->data, buf, l->nbytes);
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = "value";
  a.kind = JET_ATTR_LITERAL;
  a.u.lit.type = l->type;
  a.u.lit.data = buf;
  a.u.lit.nbytes = l->nbytes;
  jet_status st = jet_graph_add_node(dst, JET_OP_CONSTANT, NULL, 0, &a, 1, NULL, NULL, 0, neg);
  free(buf);
  if (st) *neg = JET_NO_VALUE;
  return st;
}

static jet_status canon_node(jet__pass *p, const jet_graph *src, const jet_node *n,
                             jet_graph *dst, jet_value *map) {
  const jet_value *ops;
  jet_graph *callee;
  /* The callee first: cloning it reuses the operand scratch. */
  JET_RETURN_IF_ERROR(jet__pass_callee(p, n->callee, &callee));
  jet_graph *const *subs;
  JET_RETURN_IF_ERROR(jet__pass_subgraphs(p, n, &subs));
  JET_RETURN_IF_ERROR(jet__pass_operands(p, src, n, map, &ops));
  if (callee || subs || n->n_transforms || n->n_operands != 2 || n->n_results != 1)
    return jet__pass_append(dst, n, ops, callee, subs, map);
  jet_value a = ops[0], b = ops[1];
  const jet_type *at = jet_graph_value_type(dst, a);
  jet_node m = *n;
  if (n->op == JET_OP_SUB) {
    jet_value neg;
    JET_RETURN_IF_ERROR(jet_status_annotate(negated_constant(dst, b, &neg),
                                            "canon: node %u (sub): ", (uint32_t)(n - src->nodes)));
    if (neg == JET_NO_VALUE) return jet__pass_append(dst, n, ops, NULL, subs, map);
    m.op = JET_OP_ADD;
    b = neg;
  }
  bool swap = false;
  if (at && is_commutative(m.op, at->dtype)) {
    swap = out_of_order(dst, a, b);
  } else if (mirrored(m.op) != JET_OP_COUNT &&
             (out_of_order(dst, a, b) || (a == b && (m.op == JET_OP_GT || m.op == JET_OP_GE)))) {
    swap = true;
    m.op = mirrored(m.op);
  }
  jet_value v[2] = {swap ? b : a, swap ? a : b};
  return jet__pass_append(dst, &m, v, NULL, NULL, map);
}

static jet_status canon_graph(jet__pass *p, const jet_graph *src, jet_graph *dst) {
  jet_value *map = NULL;
  jet_status st = jet__pass_begin(src, dst, &map);
  for (uint32_t n = 0; n < src->n_nodes && !st; n++)
    st = canon_node(p, src, &src->nodes[n], dst, map);
  if (!st) st = jet__pass_end(src, dst, map);
  free(map);
  return st;
}

jet_status jet_pass_canon(const jet_graph *g, jet_graph **out) {
  return jet__pass_run(g, canon_graph, false, out);
}
