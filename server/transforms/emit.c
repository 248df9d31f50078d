/* Emission helpers (see emit.h): every helper adds checked nodes (shape
 * inference runs) to e->g; errors are sticky in e->status. */
#include "transforms/emit.h"

#include <stdio.h>
#include <string.h>

void jet_emit_fail(jet_emit *e, jet_status st) {
  if (!e->status)
    e->status = st;
  else
    jet_status_free(st);
}

const jet_type *jet_emit_type(const jet_emit *e, jet_value v) {
  static const jet_type dummy = {.dtype = JET_F32, .rank = 0};
  const jet_type *t = (e && e->g && v != JET_EMIT_NONE) ? jet_graph_value_type(e->g, v) : NULL;
  return t ? t : &dummy;
}

jet_value jet_emit_op(jet_emit *e, jet_op op, const jet_value *operands, uint32_t n,
                      const jet_attr *attrs, uint32_t n_attrs) {
  if (e->status) return JET_EMIT_NONE;
  for (uint32_t i = 0; i < n; i++) {
    if (operands[i] == JET_EMIT_NONE) {
      jet_emit_fail(e, jet_status_make(JET_INTERNAL, "operand %u of emitted '%s' is a symbolic zero",
                              i, jet_op_name(op)));
      return JET_EMIT_NONE;
    }
  }
  jet_value v = JET_EMIT_NONE;
  jet_status st = jet_graph_add_node(e->g, op, operands, n, attrs, n_attrs, NULL, NULL, 0, &v);
  if (st) {
    jet_emit_fail(e, jet_status_annotate(st, "emitting '%s': ", jet_op_name(op)));
    return JET_EMIT_NONE;
  }
  return v;
}

jet_value jet_emit1(jet_emit *e, jet_op op, jet_value x) { return jet_emit_op(e, op, &x, 1, NULL, 0); }

jet_value jet_emit2(jet_emit *e, jet_op op, jet_value x, jet_value y) {
  jet_value v[2] = {x, y};
  return jet_emit_op(e, op, v, 2, NULL, 0);
}

jet_value jet_emit3(jet_emit *e, jet_op op, jet_value a, jet_value b, jet_value c) {
  jet_value v[3] = {a, b, c};
  return jet_emit_op(e, op, v, 3, NULL, 0);
}

jet_attr jet_emit_attr_int(const char *name, int64_t v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_INT;
  a.u.i = v;
  return a;
}

jet_attr jet_emit_attr_ints(const char *name, const int64_t *v, uint32_t n) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_INTS;
  a.u.ints.v = v;
  a.u.ints.n = n;
  return a;
}

jet_attr jet_emit_attr_bool(const char *name, bool v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_BOOL;
  a.u.b = v;
  return a;
}

jet_attr jet_emit_attr_dtype(const char *name, jet_dtype v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_DTYPE;
  a.u.dtype = v;
  return a;
}

jet_value jet_emit_scalar(jet_emit *e, jet_dtype dtype, double v) {
  if (e->status) return JET_EMIT_NONE;
  union {
    uint8_t b;
    int32_t i32;
    int64_t i64;
    uint32_t u32;
    float f32;
    double f64;
  } d;
  memset(&d, 0, sizeof d);
  switch (dtype) {
    case JET_BOOL: d.b = v != 0.0; break;
    case JET_U8: d.b = (uint8_t)v; break;
    case JET_I32: d.i32 = (int32_t)v; break;
    case JET_I64: d.i64 = (int64_t)v; break;
    case JET_U32: d.u32 = (uint32_t)v; break;
    case JET_F32: d.f32 = (float)v; break;
    case JET_F64: d.f64 = v; break;
    default:
      jet_emit_fail(e, jet_status_make(JET_UNIMPLEMENTED, "constants of dtype %s are not supported",
                              jet_dtype_name(dtype)));
      return JET_EMIT_NONE;
  }
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = "value";
  a.kind = JET_ATTR_LITERAL;
  a.u.lit.type = jet_type_scalar(dtype);
  a.u.lit.data = &d;
  a.u.lit.nbytes = jet_dtype_size(dtype);
  return jet_emit_op(e, JET_OP_CONSTANT, NULL, 0, &a, 1);
}

jet_value jet_emit_full(jet_emit *e, const jet_type *t, double v) {
  jet_value s = jet_emit_scalar(e, t->dtype, v);
  return jet_emit_broadcast_to(e, s, t);
}

jet_value jet_emit_full_like(jet_emit *e, jet_value x, double v) {
  if (e->status) return JET_EMIT_NONE;
  jet_type t = *jet_emit_type(e, x);
  return jet_emit_full(e, &t, v);
}

jet_value jet_emit_add_any(jet_emit *e, jet_value a, jet_value b) {
  if (a == JET_EMIT_NONE) return b;
  if (b == JET_EMIT_NONE) return a;
  return jet_emit2(e, JET_OP_ADD, a, b);
}

jet_value jet_emit_neg_z(jet_emit *e, jet_value t) {
  if (t == JET_EMIT_NONE) return JET_EMIT_NONE;
  return jet_emit1(e, JET_OP_NEG, t);
}

jet_value jet_emit_mul_z(jet_emit *e, jet_value t, jet_value y) {
  if (t == JET_EMIT_NONE || y == JET_EMIT_NONE) return JET_EMIT_NONE;
  return jet_emit2(e, JET_OP_MUL, t, y);
}

jet_value jet_emit_convert(jet_emit *e, jet_value x, jet_dtype dtype) {
  if (e->status) return JET_EMIT_NONE;
  if (jet_emit_type(e, x)->dtype == dtype) return x;
  jet_attr a = jet_emit_attr_dtype("new_dtype", dtype);
  return jet_emit_op(e, JET_OP_CONVERT_ELEMENT_TYPE, &x, 1, &a, 1);
}

jet_value jet_emit_broadcast_in_dim(jet_emit *e, jet_value x, const int64_t *shape, int32_t rank,
                                    const int64_t *bdims, uint32_t n_bdims) {
  jet_attr a[2] = {jet_emit_attr_ints("shape", shape, (uint32_t)(rank > 0 ? rank : 0)),
                   jet_emit_attr_ints("broadcast_dimensions", bdims, n_bdims)};
  return jet_emit_op(e, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2);
}

jet_value jet_emit_broadcast_to(jet_emit *e, jet_value x, const jet_type *t) {
  if (e->status) return JET_EMIT_NONE;
  const jet_type *xt = jet_emit_type(e, x);
  if (jet_type_same_shape(xt, t)) return x;
  if (xt->rank != 0) {
    char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
    jet_emit_fail(e, jet_status_make(JET_INTERNAL, "cannot broadcast %s to the shape of %s",
                            jet_type_str(xt, a, sizeof a), jet_type_str(t, b, sizeof b)));
    return JET_EMIT_NONE;
  }
  int64_t shape[JET_MAX_RANK];
  memcpy(shape, t->dims, sizeof(int64_t) * (size_t)t->rank);
  return jet_emit_broadcast_in_dim(e, x, shape, t->rank, NULL, 0);
}

jet_value jet_emit_reduce_sum(jet_emit *e, jet_value x, const int64_t *axes, uint32_t n) {
  jet_attr a = jet_emit_attr_ints("axes", axes, n);
  return jet_emit_op(e, JET_OP_REDUCE_SUM, &x, 1, &a, 1);
}

jet_value jet_emit_reshape(jet_emit *e, jet_value x, const int64_t *sizes, int32_t rank) {
  jet_attr a = jet_emit_attr_ints("new_sizes", sizes, (uint32_t)(rank > 0 ? rank : 0));
  return jet_emit_op(e, JET_OP_RESHAPE, &x, 1, &a, 1);
}

jet_value jet_emit_transpose(jet_emit *e, jet_value x, const int64_t *perm, uint32_t n) {
  jet_attr a = jet_emit_attr_ints("permutation", perm, n);
  return jet_emit_op(e, JET_OP_TRANSPOSE, &x, 1, &a, 1);
}

jet_value jet_emit_unbroadcast(jet_emit *e, jet_value ct, const jet_type *operand_type) {
  if (ct == JET_EMIT_NONE || e->status) return JET_EMIT_NONE;
  const jet_type *ctt = jet_emit_type(e, ct);
  if (operand_type->rank != 0 || ctt->rank == 0) return ct;
  int64_t axes[JET_MAX_RANK];
  for (int32_t i = 0; i < ctt->rank; i++) axes[i] = i;
  return jet_emit_reduce_sum(e, ct, axes, (uint32_t)ctt->rank);
}

jet_value jet_emit_node_copy(jet_emit *e, const jet_node *nd, const jet_value *ops) {
  if (e->status) return JET_EMIT_NONE;
  if (nd->op == JET_OP_CALL) {
    jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                                    "call nodes are inlined before this transform"));
    return JET_EMIT_NONE;
  }
  jet_value v = JET_EMIT_NONE;
  if (nd->n_subgraphs) {
    /* Control flow: deep copies of the sub-graphs, children of e->g. */
    jet_graph **subs = jet_arena_calloc(e->g->arena, nd->n_subgraphs, sizeof *subs);
    jet_status st = subs ? NULL : jet_status_oom("sub-graph copies");
    for (uint32_t k = 0; !st && k < nd->n_subgraphs; k++) {
      subs[k] = jet_graph_create_child(e->g, nd->subgraphs[k]->name);
      st = subs[k] ? jet_graph_copy_into(subs[k], nd->subgraphs[k], 0)
                   : jet_status_oom("sub-graph copy");
    }
    if (!st)
      st = jet_graph_add_node_sub(e->g, nd->op, ops, nd->n_operands, nd->attrs, nd->n_attrs, subs,
                                  nd->n_subgraphs, &v);
    if (st) {
      jet_emit_fail(e, st);
      return JET_EMIT_NONE;
    }
  } else {
    v = jet_emit_op(e, nd->op, ops, nd->n_operands, nd->attrs, nd->n_attrs);
  }
  if (e->status) return JET_EMIT_NONE;
  const jet_node *made = &e->g->nodes[e->g->n_nodes - 1];
  if (made->n_results != nd->n_results) {
    jet_emit_fail(e, jet_status_make(JET_INTERNAL, "re-emitted '%s' has %u results, not %u",
                                    jet_op_name(nd->op), made->n_results, nd->n_results));
    return JET_EMIT_NONE;
  }
  return v;
}

const char *jet_emit_shape_str(const jet_type *t, char *buf, size_t cap) {
  size_t len = 0;
  len += (size_t)snprintf(buf + len, cap - len, "[");
  for (int32_t i = 0; i < t->rank && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? "," : "", (long long)t->dims[i]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
  return buf;
}

jet_status jet_emit_start(const jet_graph *g, const char *suffix, const jet_type *param_types,
                          uint32_t n_params, jet_emit *e) {
  e->g = NULL;
  e->status = NULL;
  char name[256];
  if (!suffix || !suffix[0])
    snprintf(name, sizeof name, "%s", g->name);
  else if (g->name[0])
    snprintf(name, sizeof name, "%s_%s", g->name, suffix);
  else
    snprintf(name, sizeof name, "%s", suffix);
  jet_graph *ng = jet_graph_create(name);
  if (!ng) return jet_status_oom("transformed graph");
  if (!param_types) {
    param_types = g->value_types;
    n_params = g->n_params;
  }
  for (uint32_t p = 0; p < n_params; p++) {
    jet_status st = jet_graph_add_param(ng, &param_types[p], NULL);
    if (st) {
      jet_graph_destroy(ng);
      return st;
    }
  }
  e->g = ng;
  return NULL;
}

jet_status jet_emit_finish(jet_emit *e, const jet_value *outs, uint32_t n, jet_graph **out) {
  *out = NULL;
  jet_status st = e->status;
  e->status = NULL;
  if (!st) st = jet_graph_set_outputs(e->g, outs, n);
  if (st) {
    jet_graph_destroy(e->g);
    e->g = NULL;
    return st;
  }
  *out = e->g;
  e->g = NULL;
  return NULL;
}
