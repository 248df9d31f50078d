/* Algebraic simplification: one forward sweep rewrites nodes whose result
 * is provably bit-identical (NaN payloads aside) to a simpler expression, by
 * looking at the already rebuilt definitions of their operands:
 *
 * - mul(x, 1), mul(1, x), add(x, -0.0), add(-0.0, x), sub(x, +0.0) for
 *   floats; add(x, 0), add(0, x), sub(x, 0) for integers -> x, where the
 *   constant is a constant node (or a broadcast_in_dim of one) every element
 *   of which is that value in the result dtype, and the result type equals
 *   x's type (no broadcasting). add(x, +0.0) is kept: -0.0 + +0.0 = +0.0;
 * - neg(neg(x)), rev(rev(x, d), d) -> x;
 * - convert_element_type, reshape, squeeze, expand_dims, transpose,
 *   broadcast_in_dim and rev that do not change the value (result type
 *   equals the operand type, identity permutation or dimensions, reversed
 *   axes of size <= 1) -> x;
 * - reshape/squeeze/expand_dims of reshape/squeeze/expand_dims (all keep
 *   the row-major order): -> x when the shapes cancel, else the outer
 *   reshape applies to x directly;
 * - transpose(transpose(x)) -> one transpose (composed permutation);
 *   broadcast_in_dim(broadcast_in_dim(x)) -> one broadcast_in_dim (composed
 *   dimensions).
 *
 * Rewritten nodes map their result to another value; the nodes they read
 * stay (DCE removes them when dead). Nodes with transforms or a callee,
 * and stop_gradient, are never rewritten. Callees are simplified the same
 * way. O(nodes * rank). */
#include <stdlib.h>
#include <string.h>

#include "compiler/passes/passes.h"
#include "compiler/passes/passes_internal.h"

enum { CONST_ONE, CONST_NEG_ZERO, CONST_ZERO };

/* The little-endian bytes of `which` in dtype d; false when d has none. */
static bool const_bytes(jet_dtype d, int which, unsigned char *b, size_t *size) {
  size_t n = jet_dtype_size(d);
  if (n == 0 || n > 8) return false;
  memset(b, 0, n);
  *size = n;
  bool fl = jet_dtype_is_float(d);
  if (!fl && !jet_dtype_is_int(d)) return false;
  switch (which) {
    case CONST_ONE:
      if (!fl) {
        b[0] = 1;
      } else if (d == JET_F32) {
        b[3] = 0x3f;
        b[2] = 0x80;
      } else if (d == JET_F64) {
        b[7] = 0x3f;
        b[6] = 0xf0;
      } else {
        return false;
      }
      return true;
    case CONST_NEG_ZERO:
      if (!fl) return false;
      b[n - 1] = 0x80;
      return true;
    default: return true;
  }
}

static const jet_node *def_node(const jet_graph *g, jet_value v) {
  if (v >= g->n_values || g->value_node[v] < 0) return NULL;
  const jet_node *n = &g->nodes[g->value_node[v]];
  return n->n_transforms || n->callee || n->n_subgraphs ? NULL : n;
}

static const int64_t *ints_attr(const jet_node *n, const char *name, uint32_t *len) {
  const jet_attr *a = jet_node_attr(n, name);
  if (!a || a->kind != JET_ATTR_INTS) return NULL;
  *len = a->u.ints.n;
  static const int64_t none[1] = {0};
  return a->u.ints.v ? a->u.ints.v : none;
}

/* Is v (of dst) a constant, possibly broadcast, every element of which is
 * `which` in dtype dt? */
static bool is_const(const jet_graph *g, jet_value v, jet_dtype dt, int which) {
  const jet_node *n = def_node(g, v);
  if (n && n->op == JET_OP_BROADCAST_IN_DIM) n = def_node(g, n->operands[0]);
  if (!n || n->op != JET_OP_CONSTANT) return false;
  const jet_attr *a = jet_node_attr(n, "value");
  if (!a || a->kind != JET_ATTR_LITERAL || a->u.lit.type.dtype != dt) return false;
  unsigned char want[8];
  size_t size;
  if (!const_bytes(dt, which, want, &size)) return false;
  const unsigned char *d = a->u.lit.data;
  if (!d || a->u.lit.nbytes % size) return false;
  for (size_t i = 0; i < a->u.lit.nbytes; i += size)
    if (memcmp(d + i, want, size) != 0) return false;
  return a->u.lit.nbytes > 0;
}

static bool same_type(const jet_graph *g, jet_value v, const jet_type *t) {
  return jet_type_equal(jet_graph_value_type(g, v), t);
}

/* The binary identities; *alias gets x when one applies. */
static bool binary_identity(const jet_graph *g, const jet_node *n, const jet_value *ops,
                            jet_value *alias) {
  const jet_type *rt = &n->results[0];
  jet_dtype dt = rt->dtype;
  bool fl = jet_dtype_is_float(dt);
  int zero = fl ? CONST_NEG_ZERO : CONST_ZERO;
  for (int side = 0; side < 2; side++) {
    jet_value x = ops[side], c = ops[1 - side];
    if (!same_type(g, x, rt)) continue;
    bool hit = false;
    if (n->op == JET_OP_MUL) hit = is_const(g, c, dt, CONST_ONE);
    else if (n->op == JET_OP_ADD) hit = is_const(g, c, dt, zero);
    else if (n->op == JET_OP_SUB && side == 0) hit = is_const(g, c, dt, CONST_ZERO);
    if (hit) {
      *alias = x;
      return true;
    }
  }
  return false;
}

/* Axis set of a rev's dimensions as a bit mask; false on a repeat or an
 * axis out of range. */
static bool rev_mask(const jet_node *n, int32_t rank, uint32_t *mask) {
  uint32_t len;
  const int64_t *d = ints_attr(n, "dimensions", &len);
  if (!d) return false;
  *mask = 0;
  for (uint32_t i = 0; i < len; i++) {
    if (d[i] < 0 || d[i] >= rank || d[i] >= 32 || (*mask & (1u << d[i]))) return false;
    *mask |= 1u << d[i];
  }
  return true;
}

static bool is_reshape_like(jet_op op) {
  return op == JET_OP_RESHAPE || op == JET_OP_SQUEEZE || op == JET_OP_EXPAND_DIMS;
}

/* A replacement node: op on operand x with one ints attribute. */
typedef struct repl {
  jet_op op;
  jet_value x;
  const char *name, *name2;
  int64_t v[JET_MAX_RANK], v2[JET_MAX_RANK];
  uint32_t n, n2;
} repl;

/* Decides the rewrite of a unary node: 0 = keep, 1 = alias (*alias), 2 =
 * replace by r. */
static int unary_rewrite(const jet_graph *g, const jet_node *n, jet_value x, jet_value *alias,
                         repl *r) {
  const jet_type *rt = &n->results[0];
  const jet_type *xt = jet_graph_value_type(g, x);
  const jet_node *in = def_node(g, x);
  uint32_t len, len2;
  switch (n->op) {
    case JET_OP_NEG:
      if (in && in->op == JET_OP_NEG && same_type(g, in->operands[0], rt)) {
        *alias = in->operands[0];
        return 1;
      }
      return 0;
    case JET_OP_CONVERT_ELEMENT_TYPE:
      if (jet_type_equal(xt, rt)) {
        *alias = x;
        return 1;
      }
      return 0;
    case JET_OP_RESHAPE:
    case JET_OP_SQUEEZE:
    case JET_OP_EXPAND_DIMS:
      if (jet_type_equal(xt, rt)) {
        *alias = x;
        return 1;
      }
      if (!in || !is_reshape_like(in->op)) return 0;
      if (same_type(g, in->operands[0], rt)) {
        *alias = in->operands[0];
        return 1;
      }
      if (n->op != JET_OP_RESHAPE || rt->rank > JET_MAX_RANK) return 0;
      r->op = JET_OP_RESHAPE;
      r->x = in->operands[0];
      r->name = "new_sizes";
      r->n = (uint32_t)rt->rank;
      for (int32_t i = 0; i < rt->rank; i++) r->v[i] = rt->dims[i];
      return 2;
    case JET_OP_TRANSPOSE: {
      const int64_t *p = ints_attr(n, "permutation", &len);
      if (!p || len != (uint32_t)xt->rank || len > JET_MAX_RANK) return 0;
      bool id = true;
      for (uint32_t i = 0; i < len; i++) id = id && p[i] == (int64_t)i;
      if (id && jet_type_equal(xt, rt)) {
        *alias = x;
        return 1;
      }
      if (!in || in->op != JET_OP_TRANSPOSE) return 0;
      const int64_t *q = ints_attr(in, "permutation", &len2);
      if (!q || len2 != len) return 0;
      /* out[i] = in[p[i]] = x[q[p[i]]] */
      bool cid = true;
      for (uint32_t i = 0; i < len; i++) {
        if (p[i] < 0 || p[i] >= (int64_t)len) return 0;
        r->v[i] = q[p[i]];
        cid = cid && r->v[i] == (int64_t)i;
      }
      if (cid && same_type(g, in->operands[0], rt)) {
        *alias = in->operands[0];
        return 1;
      }
      r->op = JET_OP_TRANSPOSE;
      r->x = in->operands[0];
      r->name = "permutation";
      r->n = len;
      return 2;
    }
    case JET_OP_BROADCAST_IN_DIM: {
      if (jet_type_equal(xt, rt)) {
        *alias = x; /* same rank and shape: dimensions are 0..rank-1 */
        return 1;
      }
      if (!in || in->op != JET_OP_BROADCAST_IN_DIM) return 0;
      const int64_t *d = ints_attr(n, "broadcast_dimensions", &len);
      const int64_t *d1 = ints_attr(in, "broadcast_dimensions", &len2);
      const jet_type *x0 = jet_graph_value_type(g, in->operands[0]);
      if (!d || !d1 || len2 != (uint32_t)x0->rank || len2 > JET_MAX_RANK ||
          rt->rank > JET_MAX_RANK)
        return 0;
      for (uint32_t i = 0; i < len2; i++) {
        if (d1[i] < 0 || d1[i] >= (int64_t)len) return 0;
        r->v2[i] = d[d1[i]];
      }
      r->op = JET_OP_BROADCAST_IN_DIM;
      r->x = in->operands[0];
      r->name = "shape";
      r->n = (uint32_t)rt->rank;
      for (int32_t i = 0; i < rt->rank; i++) r->v[i] = rt->dims[i];
      r->name2 = "broadcast_dimensions";
      r->n2 = len2;
      return 2;
    }
    case JET_OP_REV: {
      uint32_t m, m1;
      if (!rev_mask(n, xt->rank, &m)) return 0;
      bool trivial = true;
      for (int32_t i = 0; i < xt->rank && i < 32; i++)
        if ((m & (1u << i)) && xt->dims[i] > 1) trivial = false;
      if (trivial && jet_type_equal(xt, rt)) {
        *alias = x;
        return 1;
      }
      if (in && in->op == JET_OP_REV && rev_mask(in, xt->rank, &m1) && m1 == m &&
          same_type(g, in->operands[0], rt)) {
        *alias = in->operands[0];
        return 1;
      }
      return 0;
    }
    default: return 0;
  }
}

static jet_status simplify_node(jet__pass *p, const jet_graph *src, const jet_node *n,
                                jet_graph *dst, jet_value *map) {
  const jet_value *ops;
  jet_graph *callee;
  /* The callee first: cloning it reuses the operand scratch. */
  JET_RETURN_IF_ERROR(jet__pass_callee(p, n->callee, &callee));
  jet_graph *const *subs;
  JET_RETURN_IF_ERROR(jet__pass_subgraphs(p, n, &subs));
  JET_RETURN_IF_ERROR(jet__pass_operands(p, src, n, map, &ops));
  if (!callee && !subs && !n->n_transforms && n->n_results == 1) {
    jet_value alias = JET_NO_VALUE;
    repl r;
    memset(&r, 0, sizeof r);
    int kind = 0;
    if ((n->op == JET_OP_MUL || n->op == JET_OP_ADD || n->op == JET_OP_SUB) &&
        n->n_operands == 2)
      kind = binary_identity(dst, n, ops, &alias) ? 1 : 0;
    else if (n->n_operands == 1)
      kind = unary_rewrite(dst, n, ops[0], &alias, &r);
    if (kind == 1) {
      map[n->first_result] = alias;
      return NULL;
    }
    if (kind == 2) {
      jet_attr attrs[2];
      memset(attrs, 0, sizeof attrs);
      attrs[0].name = r.name;
      attrs[0].kind = JET_ATTR_INTS;
      attrs[0].u.ints.v = r.v;
      attrs[0].u.ints.n = r.n;
      attrs[1].name = r.name2;
      attrs[1].kind = JET_ATTR_INTS;
      attrs[1].u.ints.v = r.v2;
      attrs[1].u.ints.n = r.n2;
      jet_value first;
      JET_RETURN_IF_ERROR(jet_status_annotate(
          jet_graph_add_node(dst, r.op, &r.x, 1, attrs, r.name2 ? 2 : 1, NULL, NULL, 0, &first),
          "simplify: node %u (%s): ", (uint32_t)(n - src->nodes), jet_op_name(n->op)));
      if (!same_type(dst, first, &n->results[0]))
        return jet_status_make(JET_INTERNAL,
                               "simplify: node %u (%s): the combined %s has another type",
                               (uint32_t)(n - src->nodes), jet_op_name(n->op), jet_op_name(r.op));
      map[n->first_result] = first;
      return NULL;
    }
  }
  return jet__pass_append(dst, n, ops, callee, subs, map);
}

static jet_status simplify_graph(jet__pass *p, const jet_graph *src, jet_graph *dst) {
  jet_value *map = NULL;
  jet_status st = jet__pass_begin(src, dst, &map);
  for (uint32_t n = 0; n < src->n_nodes && !st; n++)
    st = simplify_node(p, src, &src->nodes[n], dst, map);
  if (!st) st = jet__pass_end(src, dst, map);
  free(map);
  return st;
}

jet_status jet_pass_simplify(const jet_graph *g, jet_graph **out) {
  return jet__pass_run(g, simplify_graph, false, out);
}
