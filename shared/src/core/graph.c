/* The graph builder: parameters, nodes and outputs, deep-copied into the
 * root graph's arena. Inference lives in shared/src/infer (jet_infer). */
#include "jet/graph.h"

#include <stdio.h>
#include <string.h>

#include "jet/infer.h"

static jet_graph *graph_new(jet_arena *arena, jet_graph *parent, const char *name) {
  jet_graph *g = jet_arena_calloc(arena, 1, sizeof *g);
  if (!g) return NULL;
  g->arena = arena;
  g->parent = parent;
  g->name = jet_arena_strdup(arena, name ? name : "");
  if (!g->name) return NULL;
  return g;
}

jet_graph *jet_graph_create(const char *name) {
  jet_arena *a = jet_arena_create(4096);
  if (!a) return NULL;
  jet_graph *g = graph_new(a, NULL, name);
  if (!g) jet_arena_destroy(a);
  return g;
}

jet_graph *jet_graph_create_child(jet_graph *parent, const char *name) {
  return graph_new(parent->arena, parent, name);
}

void jet_graph_destroy(jet_graph *g) {
  if (g && !g->parent) jet_arena_destroy(g->arena);
}

/* Grows an arena-backed array to hold at least `need` elements. */
static bool grow(jet_arena *a, void **arr, uint32_t *cap, uint32_t need, size_t elem) {
  if (need <= *cap) return true;
  uint32_t n = *cap ? *cap : 8;
  while (n < need) {
    if (n > UINT32_MAX / 2) return false;
    n *= 2;
  }
  void *p = jet_arena_calloc(a, n, elem);
  if (!p) return false;
  if (*cap) memcpy(p, *arr, (size_t)*cap * elem);
  *arr = p;
  *cap = n;
  return true;
}

static jet_status add_values(jet_graph *g, const jet_type *types, uint32_t n, int32_t node,
                             jet_value *first) {
  if (n > UINT32_MAX - 1 - g->n_values)
    return jet_status_make(JET_RESOURCE_EXHAUSTED, "graph has too many values");
  uint32_t need = g->n_values + n;
  uint32_t cap_t = g->cap_values, cap_n = g->cap_values;
  if (!grow(g->arena, (void **)&g->value_types, &cap_t, need, sizeof(jet_type)) ||
      !grow(g->arena, (void **)&g->value_node, &cap_n, need, sizeof(int32_t)))
    return jet_status_oom("graph values");
  g->cap_values = cap_t;
  *first = g->n_values;
  for (uint32_t i = 0; i < n; i++) {
    g->value_types[g->n_values + i] = types[i];
    g->value_node[g->n_values + i] = node;
  }
  g->n_values = need;
  return NULL;
}

jet_status jet_graph_add_param(jet_graph *g, const jet_type *t, jet_value *out) {
  if (g->n_nodes)
    return jet_status_make(JET_FAILED_PRECONDITION,
                           "parameter %u added after the first node", g->n_params);
  char what[48];
  snprintf(what, sizeof what, "parameter %u", g->n_params);
  JET_RETURN_IF_ERROR(jet_type_check(t, what));
  jet_value v = 0;
  JET_RETURN_IF_ERROR(add_values(g, t, 1, -1, &v));
  g->n_params++;
  if (out) *out = v;
  return NULL;
}

static bool copy_attr(jet_arena *a, jet_attr *dst, const jet_attr *src) {
  *dst = *src;
  if (!(dst->name = jet_arena_strdup(a, src->name ? src->name : ""))) return false;
  switch (src->kind) {
    case JET_ATTR_INTS:
      if (src->u.ints.n) {
        dst->u.ints.v = jet_arena_memdup(a, src->u.ints.v, sizeof(int64_t) * src->u.ints.n);
        if (!dst->u.ints.v) return false;
      } else {
        dst->u.ints.v = NULL;
      }
      return true;
    case JET_ATTR_STR:
      return (dst->u.s = jet_arena_strdup(a, src->u.s ? src->u.s : "")) != NULL;
    case JET_ATTR_LITERAL:
      if (src->u.lit.nbytes) {
        void *d = jet_arena_memdup(a, src->u.lit.data, src->u.lit.nbytes);
        if (!d) return false;
        dst->u.lit.data = d;
      }
      return true;
    default:
      return true;
  }
}

#define DUP_ARRAY(a, field, count, type)                                   \
  do {                                                                     \
    if ((count) && src->field) {                                           \
      dst->field = jet_arena_memdup(a, src->field, sizeof(type) * (count)); \
      if (!dst->field) return false;                                       \
    } else {                                                               \
      dst->field = NULL;                                                   \
    }                                                                      \
  } while (0)

static bool copy_transform(jet_arena *a, jet_transform *dst, const jet_transform *src) {
  *dst = *src;
  DUP_ARRAY(a, argnums, src->n_argnums, int32_t);
  DUP_ARRAY(a, in_axes, src->n_in_axes, jet_axis_spec);
  DUP_ARRAY(a, out_axes, src->n_out_axes, jet_axis_spec);
  DUP_ARRAY(a, static_broadcasted_argnums, src->n_static_argnums, int32_t);
  DUP_ARRAY(a, devices, src->n_devices, uint32_t);
  DUP_ARRAY(a, donate_argnums, src->n_donate_argnums, int32_t);
  dst->axis_name = jet_arena_strdup(a, src->axis_name ? src->axis_name : "");
  dst->spmd_axis_name = jet_arena_strdup(a, src->spmd_axis_name ? src->spmd_axis_name : "");
  return dst->axis_name && dst->spmd_axis_name;
}

static jet_status append(jet_graph *g, jet_op op, const jet_value *operands, uint32_t n_operands,
                         const jet_attr *attrs, uint32_t n_attrs, const jet_type *results,
                         uint32_t n_results, jet_graph *callee, jet_graph *const *subgraphs,
                         uint32_t n_subgraphs, const jet_transform *transforms,
                         uint32_t n_transforms, jet_value *out_first) {
  uint32_t idx = g->n_nodes;
  if ((unsigned)op >= JET_OP_COUNT)
    return jet_status_make(JET_INVALID_ARGUMENT, "node %u: invalid op %d", idx, (int)op);
  if (idx >= (uint32_t)INT32_MAX)
    return jet_status_make(JET_RESOURCE_EXHAUSTED, "graph has too many nodes");
  if (!grow(g->arena, (void **)&g->nodes, &g->cap_nodes, idx + 1, sizeof(jet_node)))
    return jet_status_oom("graph nodes");
  jet_arena *a = g->arena;
  jet_node *nd = &g->nodes[idx];
  memset(nd, 0, sizeof *nd);
  nd->op = op;
  if (n_operands) {
    jet_value *ops = jet_arena_memdup(a, operands, sizeof(jet_value) * n_operands);
    if (!ops) return jet_status_oom("node operands");
    nd->operands = ops;
  }
  nd->n_operands = n_operands;
  if (n_attrs) {
    jet_attr *at = jet_arena_calloc(a, n_attrs, sizeof(jet_attr));
    if (!at) return jet_status_oom("node attributes");
    for (uint32_t i = 0; i < n_attrs; i++)
      if (!copy_attr(a, &at[i], &attrs[i])) return jet_status_oom("node attributes");
    nd->attrs = at;
  }
  nd->n_attrs = n_attrs;
  if (n_transforms) {
    jet_transform *tf = jet_arena_calloc(a, n_transforms, sizeof(jet_transform));
    if (!tf) return jet_status_oom("node transforms");
    for (uint32_t i = 0; i < n_transforms; i++)
      if (!copy_transform(a, &tf[i], &transforms[i])) return jet_status_oom("node transforms");
    nd->transforms = tf;
  }
  nd->n_transforms = n_transforms;
  nd->callee = callee;
  if (n_subgraphs) {
    if (!subgraphs)
      return jet_status_make(JET_INVALID_ARGUMENT, "node %u: %u sub-graphs but no array", idx,
                             n_subgraphs);
    for (uint32_t i = 0; i < n_subgraphs; i++)
      if (!subgraphs[i])
        return jet_status_make(JET_INVALID_ARGUMENT, "node %u: sub-graph %u is NULL", idx, i);
    jet_graph **sg = jet_arena_memdup(a, subgraphs, sizeof(jet_graph *) * n_subgraphs);
    if (!sg) return jet_status_oom("node sub-graphs");
    nd->subgraphs = sg;
  }
  nd->n_subgraphs = n_subgraphs;
  if (n_results) {
    jet_type *rt = jet_arena_memdup(a, results, sizeof(jet_type) * n_results);
    if (!rt) return jet_status_oom("node results");
    nd->results = rt;
  }
  nd->n_results = n_results;
  jet_value first = 0;
  JET_RETURN_IF_ERROR(add_values(g, results, n_results, (int32_t)idx, &first));
  nd->first_result = first;
  g->n_nodes++;
  if (out_first) *out_first = first;
  return NULL;
}

jet_status jet_graph_append_node(jet_graph *g, jet_op op, const jet_value *operands,
                                 uint32_t n_operands, const jet_attr *attrs, uint32_t n_attrs,
                                 const jet_type *results, uint32_t n_results, jet_graph *callee,
                                 const jet_transform *transforms, uint32_t n_transforms,
                                 jet_value *out_first) {
  return append(g, op, operands, n_operands, attrs, n_attrs, results, n_results, callee, NULL, 0,
                transforms, n_transforms, out_first);
}

jet_status jet_graph_append_node_sub(jet_graph *g, jet_op op, const jet_value *operands,
                                     uint32_t n_operands, const jet_attr *attrs, uint32_t n_attrs,
                                     const jet_type *results, uint32_t n_results,
                                     jet_graph *callee, jet_graph *const *subgraphs,
                                     uint32_t n_subgraphs, const jet_transform *transforms,
                                     uint32_t n_transforms, jet_value *out_first) {
  return append(g, op, operands, n_operands, attrs, n_attrs, results, n_results, callee, subgraphs,
                n_subgraphs, transforms, n_transforms, out_first);
}

static jet_status add_node(jet_graph *g, jet_op op, const jet_value *operands,
                           uint32_t n_operands, const jet_attr *attrs, uint32_t n_attrs,
                           jet_graph *callee, jet_graph *const *subgraphs, uint32_t n_subgraphs,
                           const jet_transform *transforms, uint32_t n_transforms,
                           jet_value *out_first) {
  uint32_t idx = g->n_nodes;
  const char *opname = jet_op_name(op);
  if ((unsigned)op >= JET_OP_COUNT)
    return jet_status_make(JET_INVALID_ARGUMENT, "node %u: invalid op %d", idx, (int)op);
  if (n_operands > JET_MAX_RESULTS * 16u)
    return jet_status_make(JET_INVALID_ARGUMENT, "node %u (%s): too many operands (%u)", idx,
                           opname, n_operands);
  jet_type stack_types[8];
  jet_type *types = stack_types;
  jet_arena *scratch = NULL;
  if (n_operands > 8) {
    scratch = jet_arena_create(sizeof(jet_type) * n_operands + 64);
    types = scratch ? jet_arena_calloc(scratch, n_operands, sizeof(jet_type)) : NULL;
    if (!types) {
      jet_arena_destroy(scratch);
      return jet_status_oom("operand types");
    }
  }
  jet_status st = NULL;
  for (uint32_t i = 0; i < n_operands && !st; i++) {
    if (operands[i] >= g->n_values)
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "node %u (%s): operand %u refers to value %u, which is not defined "
                           "before node %u",
                           idx, opname, i, operands[i], idx);
    else
      types[i] = g->value_types[operands[i]];
  }
  jet_type *results = NULL;
  uint32_t n_results = 0;
  if (!st) {
    if (!scratch) scratch = jet_arena_create(sizeof(jet_type) * 4 + 64);
    uint32_t cap = op == JET_OP_CALL || n_subgraphs ? JET_MAX_RESULTS : 4;
    results = scratch ? jet_arena_calloc(scratch, cap, sizeof(jet_type)) : NULL;
    if (!results)
      st = jet_status_oom("result types");
    else
      st = jet_infer_sub(op, types, n_operands, attrs, n_attrs, callee, subgraphs, n_subgraphs,
                         transforms, n_transforms, results, cap, &n_results);
    if (st) st = jet_status_annotate(st, "node %u (%s): ", idx, opname);
  }
  if (!st)
    st = append(g, op, operands, n_operands, attrs, n_attrs, results, n_results, callee,
                subgraphs, n_subgraphs, transforms, n_transforms, out_first);
  jet_arena_destroy(scratch);
  return st;
}

jet_status jet_graph_add_node(jet_graph *g, jet_op op, const jet_value *operands,
                              uint32_t n_operands, const jet_attr *attrs, uint32_t n_attrs,
                              jet_graph *callee, const jet_transform *transforms,
                              uint32_t n_transforms, jet_value *out_first) {
  return add_node(g, op, operands, n_operands, attrs, n_attrs, callee, NULL, 0, transforms,
                  n_transforms, out_first);
}

jet_status jet_graph_add_node_sub(jet_graph *g, jet_op op, const jet_value *operands,
                                  uint32_t n_operands, const jet_attr *attrs, uint32_t n_attrs,
                                  jet_graph *const *subgraphs, uint32_t n_subgraphs,
                                  jet_value *out_first) {
  return add_node(g, op, operands, n_operands, attrs, n_attrs, NULL, subgraphs, n_subgraphs, NULL,
                  0, out_first);
}

jet_status jet_graph_set_outputs(jet_graph *g, const jet_value *outs, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (outs[i] >= g->n_values)
      return jet_status_make(JET_INVALID_ARGUMENT, "output %u refers to undefined value %u", i,
                             outs[i]);
  jet_value *o = NULL;
  if (n) {
    o = jet_arena_memdup(g->arena, outs, sizeof(jet_value) * n);
    if (!o) return jet_status_oom("graph outputs");
  }
  g->outputs = o;
  g->n_outputs = n;
  return NULL;
}

const jet_type *jet_graph_value_type(const jet_graph *g, jet_value v) {
  return v < g->n_values ? &g->value_types[v] : NULL;
}

const jet_attr *jet_attr_find(const jet_attr *attrs, uint32_t n, const char *name) {
  for (uint32_t i = 0; i < n; i++)
    if (attrs[i].name && strcmp(attrs[i].name, name) == 0) return &attrs[i];
  return NULL;
}

const jet_attr *jet_node_attr(const jet_node *node, const char *name) {
  return jet_attr_find(node->attrs, node->n_attrs, name);
}

int64_t jet_node_attr_int(const jet_node *node, const char *name, int64_t dflt) {
  const jet_attr *a = jet_node_attr(node, name);
  return a && a->kind == JET_ATTR_INT ? a->u.i : dflt;
}

bool jet_node_attr_bool(const jet_node *node, const char *name, bool dflt) {
  const jet_attr *a = jet_node_attr(node, name);
  return a && a->kind == JET_ATTR_BOOL ? a->u.b : dflt;
}

uint32_t jet_graph_total_nodes(const jet_graph *g) {
  uint32_t n = g->n_nodes;
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *nd = &g->nodes[i];
    if (nd->callee) {
      uint32_t c = jet_graph_total_nodes(nd->callee);
      n = c > UINT32_MAX - n ? UINT32_MAX : n + c;
    }
    for (uint32_t k = 0; k < nd->n_subgraphs; k++) {
      uint32_t c = jet_graph_total_nodes(nd->subgraphs[k]);
      n = c > UINT32_MAX - n ? UINT32_MAX : n + c;
    }
  }
  return n;
}
