/* Graphs to and from jet.v1.Graph. The decoder checks every field that came
 * from the wire before it reaches the builder, names it by path
 * ("graph.nodes[2].callee.nodes[0].operands[1]") and ends with
 * jet_graph_validate. */
#include <stdio.h>
#include <string.h>

#include "jet/infer.h"
#include "jet/protoconv.h"

#define MAX_NESTING 64
#define PATH_MAX_LEN 512

/* snprintf into a path buffer; long paths are cut (they only feed messages). */
static void path_fmt(char *dst, const char *fmt, ...) JET_PRINTF(2, 3);
static void path_fmt(char *dst, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst, PATH_MAX_LEN, fmt, ap);
  va_end(ap);
}

typedef struct decoder {
  jet_arena *scratch;
  jet_type *results; /* [JET_MAX_RESULTS], for inference */
} decoder;

static jet_status decode_graph(decoder *dc, const Jet__V1__Graph *pb, jet_graph *g,
                               const char *path, int depth);

static jet_status decode_attr(const Jet__V1__Attribute *pb, const char *path, jet_attr *a) {
  memset(a, 0, sizeof *a);
  if (pb == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s: missing", path);
  a->name = pb->name ? pb->name : "";
  switch (pb->value_case) {
    case JET__V1__ATTRIBUTE__VALUE_I:
      a->kind = JET_ATTR_INT;
      a->u.i = pb->i;
      return NULL;
    case JET__V1__ATTRIBUTE__VALUE_INTS:
      a->kind = JET_ATTR_INTS;
      if (pb->ints != NULL) {
        if (pb->ints->n_values > UINT32_MAX)
          return jet_status_make(JET_INVALID_ARGUMENT, "%s.ints: too many values", path);
        a->u.ints.v = pb->ints->values;
        a->u.ints.n = (uint32_t)pb->ints->n_values;
      }
      return NULL;
    case JET__V1__ATTRIBUTE__VALUE_F:
      a->kind = JET_ATTR_FLOAT;
      a->u.f = pb->f;
      return NULL;
    case JET__V1__ATTRIBUTE__VALUE_B:
      a->kind = JET_ATTR_BOOL;
      a->u.b = pb->b;
      return NULL;
    case JET__V1__ATTRIBUTE__VALUE_DTYPE:
      a->kind = JET_ATTR_DTYPE;
      if (!jet_dtype_valid((int)pb->dtype))
        return jet_status_make(JET_INVALID_ARGUMENT, "%s.dtype: invalid dtype %d", path,
                               (int)pb->dtype);
      a->u.dtype = (jet_dtype)pb->dtype;
      return NULL;
    case JET__V1__ATTRIBUTE__VALUE_S:
      a->kind = JET_ATTR_STR;
      a->u.s = pb->s ? pb->s : "";
      return NULL;
    case JET__V1__ATTRIBUTE__VALUE_LITERAL: {
      char f[PATH_MAX_LEN];
      path_fmt(f, "%s.literal", path);
      a->kind = JET_ATTR_LITERAL;
      const void *data = NULL;
      JET_RETURN_IF_ERROR(jet_array_from_proto(pb->literal, f, &a->u.lit.type, &data));
      a->u.lit.data = data;
      a->u.lit.nbytes = jet_type_nbytes(&a->u.lit.type);
      return NULL;
    }
    case JET__V1__ATTRIBUTE__VALUE__NOT_SET:
    default:
      return jet_status_make(JET_INVALID_ARGUMENT, "%s: attribute '%s' has no value", path,
                             a->name);
  }
}

static jet_status decode_node(decoder *dc, const Jet__V1__Node *pb, jet_graph *g,
                              const char *path, int depth) {
  char f[PATH_MAX_LEN];
  if (pb == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s: missing", path);
  uint32_t idx = g->n_nodes;
  const char *opname = pb->op ? pb->op : "";
  jet_op op = jet_op_from_name(opname, strlen(opname));
  if (op == JET_OP_COUNT)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.op: unknown op '%.64s'", path, opname);

  if (pb->n_operands > UINT32_MAX / 2)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.operands: too many operands", path);
  for (size_t i = 0; i < pb->n_operands; i++)
    if (pb->operands[i] >= g->n_values)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s.operands[%zu]: value %u is not defined before node %u", path, i,
                             pb->operands[i], idx);

  jet_attr *attrs = NULL;
  if (pb->n_attrs > 1024)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.attrs: %zu attributes are too many", path,
                           pb->n_attrs);
  if (pb->n_attrs) {
    attrs = jet_arena_calloc(dc->scratch, pb->n_attrs, sizeof *attrs);
    if (attrs == NULL) return jet_status_oom("decoded attributes");
  }
  for (size_t i = 0; i < pb->n_attrs; i++) {
    path_fmt(f, "%s.attrs[%zu]", path, i);
    JET_RETURN_IF_ERROR(decode_attr(pb->attrs[i], f, &attrs[i]));
  }

  jet_graph *callee = NULL;
  jet_transform *tf = NULL;
  if (op == JET_OP_CALL) {
    path_fmt(f, "%s.callee", path);
    if (pb->callee == NULL)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s: required for op 'call'", f);
    if (depth >= MAX_NESTING)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s: callees nested deeper than %d", f,
                             MAX_NESTING);
    callee = jet_graph_create_child(g, pb->callee->name ? pb->callee->name : "");
    if (callee == NULL) return jet_status_oom("callee graph");
    JET_RETURN_IF_ERROR(decode_graph(dc, pb->callee, callee, f, depth + 1));
    if (pb->n_transforms > 4096)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s.transforms: too many transforms", path);
    if (pb->n_transforms) {
      tf = jet_arena_calloc(dc->scratch, pb->n_transforms, sizeof *tf);
      if (tf == NULL) return jet_status_oom("decoded transforms");
    }
    for (size_t i = 0; i < pb->n_transforms; i++) {
      path_fmt(f, "%s.transforms[%zu]", path, i);
      JET_RETURN_IF_ERROR(jet_transform_from_proto(pb->transforms[i], f, dc->scratch, &tf[i]));
    }
  } else {
    if (pb->callee != NULL)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s.callee: only op 'call' takes a callee, "
                             "not '%s'", path, opname);
    if (pb->n_transforms)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s.transforms: only op 'call' takes "
                             "transforms, not '%s'", path, opname);
  }

  jet_graph **subs = NULL;
  if (pb->n_subgraphs > 0 && !jet_op_takes_subgraphs(op))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s.subgraphs: op '%s' takes no sub-graphs (got %zu)", path, opname,
                           pb->n_subgraphs);
  if (pb->n_subgraphs > 4096)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.subgraphs: %zu sub-graphs are too many", path,
                           pb->n_subgraphs);
  if (pb->n_subgraphs) {
    subs = jet_arena_calloc(dc->scratch, pb->n_subgraphs, sizeof *subs);
    if (subs == NULL) return jet_status_oom("decoded sub-graphs");
  }
  for (size_t k = 0; k < pb->n_subgraphs; k++) {
    path_fmt(f, "%s.subgraphs[%zu]", path, k);
    if (pb->subgraphs[k] == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s: missing", f);
    if (depth >= MAX_NESTING)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s: sub-graphs nested deeper than %d", f,
                             MAX_NESTING);
    subs[k] = jet_graph_create_child(g, pb->subgraphs[k]->name ? pb->subgraphs[k]->name : "");
    if (subs[k] == NULL) return jet_status_oom("sub-graph");
    JET_RETURN_IF_ERROR(decode_graph(dc, pb->subgraphs[k], subs[k], f, depth + 1));
  }

  const jet_type *results = NULL;
  uint32_t n_results = 0;
  if (pb->n_results == 0) {
    /* Not on the wire: infer them (errors name the node). */
    jet_type *otypes = NULL;
    if (pb->n_operands) {
      otypes = jet_arena_calloc(dc->scratch, pb->n_operands, sizeof *otypes);
      if (otypes == NULL) return jet_status_oom("operand types");
    }
    for (size_t i = 0; i < pb->n_operands; i++) otypes[i] = g->value_types[pb->operands[i]];
    jet_status st = jet_infer_sub(op, otypes, (uint32_t)pb->n_operands, attrs,
                                  (uint32_t)pb->n_attrs, callee, subs, (uint32_t)pb->n_subgraphs,
                                  tf, (uint32_t)pb->n_transforms, dc->results, JET_MAX_RESULTS,
                                  &n_results);
    if (st) return jet_status_annotate(st, "%s (%s): ", path, opname);
    results = dc->results;
  } else {
    if (pb->n_results > JET_MAX_RESULTS)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s.results: %zu results exceed the limit of %d",
                             path, pb->n_results, JET_MAX_RESULTS);
    for (size_t r = 0; r < pb->n_results; r++) {
      path_fmt(f, "%s.results[%zu]", path, r);
      JET_RETURN_IF_ERROR(jet_type_from_proto(pb->results[r], f, &dc->results[r]));
    }
    results = dc->results;
    n_results = (uint32_t)pb->n_results;
  }
  jet_status st = jet_graph_append_node_sub(g, op, pb->operands, (uint32_t)pb->n_operands, attrs,
                                            (uint32_t)pb->n_attrs, results, n_results, callee,
                                            subs, (uint32_t)pb->n_subgraphs, tf,
                                            (uint32_t)pb->n_transforms, NULL);
  if (st) return jet_status_annotate(st, "%s: ", path);
  return NULL;
}

static jet_status decode_graph(decoder *dc, const Jet__V1__Graph *pb, jet_graph *g,
                               const char *path, int depth) {
  char f[PATH_MAX_LEN];
  for (size_t i = 0; i < pb->n_params; i++) {
    path_fmt(f, "%s.params[%zu]", path, i);
    jet_type t;
    JET_RETURN_IF_ERROR(jet_type_from_proto(pb->params[i], f, &t));
    jet_status st = jet_graph_add_param(g, &t, NULL);
    if (st) return jet_status_annotate(st, "%s: ", f);
  }
  for (size_t n = 0; n < pb->n_nodes; n++) {
    path_fmt(f, "%s.nodes[%zu]", path, n);
    JET_RETURN_IF_ERROR(decode_node(dc, pb->nodes[n], g, f, depth));
  }
  for (size_t i = 0; i < pb->n_outputs; i++)
    if (pb->outputs[i] >= g->n_values)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s.outputs[%zu]: value %u is not defined",
                             path, i, pb->outputs[i]);
  if (pb->n_outputs > UINT32_MAX / 2)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.outputs: too many outputs", path);
  jet_status st = jet_graph_set_outputs(g, pb->outputs, (uint32_t)pb->n_outputs);
  if (st) return jet_status_annotate(st, "%s.outputs: ", path);
  return NULL;
}

jet_status jet_graph_from_proto(const Jet__V1__Graph *pb, jet_graph **out) {
  *out = NULL;
  if (pb == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "graph: missing");
  decoder dc;
  dc.scratch = jet_arena_create(64 * 1024);
  if (dc.scratch == NULL) return jet_status_oom("graph decoder");
  dc.results = jet_arena_calloc(dc.scratch, JET_MAX_RESULTS, sizeof(jet_type));
  jet_graph *g = jet_graph_create(pb->name ? pb->name : "");
  jet_status st = NULL;
  if (dc.results == NULL || g == NULL) st = jet_status_oom("graph decoder");
  if (st == NULL) st = decode_graph(&dc, pb, g, "graph", 0);
  if (st == NULL) {
    st = jet_graph_validate(g, NULL, 0);
    if (st) st = jet_status_annotate(st, "graph: ");
  }
  jet_arena_destroy(dc.scratch);
  if (st) {
    jet_graph_destroy(g);
    return st;
  }
  *out = g;
  return NULL;
}

/* ---- encoding ---------------------------------------------------------- */

static jet_status type_ptr(const jet_type *t, jet_arena *a, Jet__V1__TensorType **out) {
  Jet__V1__TensorType *tt = jet_arena_alloc(a, sizeof *tt);
  if (tt == NULL) return jet_status_oom("TensorType");
  JET_RETURN_IF_ERROR(jet_type_to_proto(t, a, tt));
  *out = tt;
  return NULL;
}

static jet_status encode_attr(const jet_attr *src, jet_arena *a, Jet__V1__Attribute *out) {
  Jet__V1__Attribute init = JET__V1__ATTRIBUTE__INIT;
  *out = init;
  out->name = jet_arena_strdup(a, src->name ? src->name : "");
  if (out->name == NULL) return jet_status_oom("Attribute.name");
  switch (src->kind) {
    case JET_ATTR_INT:
      out->value_case = JET__V1__ATTRIBUTE__VALUE_I;
      out->i = src->u.i;
      return NULL;
    case JET_ATTR_INTS: {
      Jet__V1__IntList *l = jet_arena_alloc(a, sizeof *l);
      if (l == NULL) return jet_status_oom("IntList");
      Jet__V1__IntList li = JET__V1__INT_LIST__INIT;
      *l = li;
      if (src->u.ints.n) {
        l->values = jet_arena_memdup(a, src->u.ints.v, src->u.ints.n * sizeof(int64_t));
        if (l->values == NULL) return jet_status_oom("IntList.values");
        l->n_values = src->u.ints.n;
      }
      out->value_case = JET__V1__ATTRIBUTE__VALUE_INTS;
      out->ints = l;
      return NULL;
    }
    case JET_ATTR_FLOAT:
      out->value_case = JET__V1__ATTRIBUTE__VALUE_F;
      out->f = src->u.f;
      return NULL;
    case JET_ATTR_BOOL:
      out->value_case = JET__V1__ATTRIBUTE__VALUE_B;
      out->b = src->u.b;
      return NULL;
    case JET_ATTR_DTYPE:
      out->value_case = JET__V1__ATTRIBUTE__VALUE_DTYPE;
      out->dtype = (Jet__V1__DType)src->u.dtype;
      return NULL;
    case JET_ATTR_STR:
      out->value_case = JET__V1__ATTRIBUTE__VALUE_S;
      out->s = jet_arena_strdup(a, src->u.s ? src->u.s : "");
      return out->s ? NULL : jet_status_oom("Attribute.s");
    case JET_ATTR_LITERAL: {
      Jet__V1__Array *arr = jet_arena_alloc(a, sizeof *arr);
      if (arr == NULL) return jet_status_oom("Array");
      /* The message owns a copy so that it outlives the graph. */
      const void *data = src->u.lit.data;
      if (src->u.lit.nbytes) {
        data = jet_arena_memdup(a, src->u.lit.data, src->u.lit.nbytes);
        if (data == NULL) return jet_status_oom("Array.data");
      }
      JET_RETURN_IF_ERROR(jet_array_to_proto(&src->u.lit.type, data, a, arr));
      out->value_case = JET__V1__ATTRIBUTE__VALUE_LITERAL;
      out->literal = arr;
      return NULL;
    }
  }
  return jet_status_make(JET_INVALID_ARGUMENT, "attribute '%s' has invalid kind %d", src->name,
                         (int)src->kind);
}

static jet_status encode_graph(const jet_graph *g, jet_arena *a, int depth, Jet__V1__Graph **out);

static jet_status encode_node(const jet_node *nd, jet_arena *a, int depth, Jet__V1__Node *out) {
  Jet__V1__Node init = JET__V1__NODE__INIT;
  *out = init;
  out->op = jet_arena_strdup(a, jet_op_name(nd->op));
  if (out->op == NULL) return jet_status_oom("Node.op");
  if (nd->n_operands) {
    out->operands = jet_arena_memdup(a, nd->operands, nd->n_operands * sizeof(uint32_t));
    if (out->operands == NULL) return jet_status_oom("Node.operands");
    out->n_operands = nd->n_operands;
  }
  if (nd->n_attrs) {
    out->attrs = jet_arena_calloc(a, nd->n_attrs, sizeof *out->attrs);
    Jet__V1__Attribute *items = jet_arena_calloc(a, nd->n_attrs, sizeof *items);
    if (out->attrs == NULL || items == NULL) return jet_status_oom("Node.attrs");
    for (uint32_t i = 0; i < nd->n_attrs; i++) {
      JET_RETURN_IF_ERROR(encode_attr(&nd->attrs[i], a, &items[i]));
      out->attrs[i] = &items[i];
    }
    out->n_attrs = nd->n_attrs;
  }
  if (nd->n_results) {
    out->results = jet_arena_calloc(a, nd->n_results, sizeof *out->results);
    if (out->results == NULL) return jet_status_oom("Node.results");
    for (uint32_t r = 0; r < nd->n_results; r++)
      JET_RETURN_IF_ERROR(type_ptr(&nd->results[r], a, &out->results[r]));
    out->n_results = nd->n_results;
  }
  if (nd->callee) JET_RETURN_IF_ERROR(encode_graph(nd->callee, a, depth + 1, &out->callee));
  if (nd->n_subgraphs) {
    out->subgraphs = jet_arena_calloc(a, nd->n_subgraphs, sizeof *out->subgraphs);
    if (out->subgraphs == NULL) return jet_status_oom("Node.subgraphs");
    for (uint32_t k = 0; k < nd->n_subgraphs; k++)
      JET_RETURN_IF_ERROR(encode_graph(nd->subgraphs[k], a, depth + 1, &out->subgraphs[k]));
    out->n_subgraphs = nd->n_subgraphs;
  }
  if (nd->n_transforms) {
    out->transforms = jet_arena_calloc(a, nd->n_transforms, sizeof *out->transforms);
    Jet__V1__Transform *items = jet_arena_calloc(a, nd->n_transforms, sizeof *items);
    if (out->transforms == NULL || items == NULL) return jet_status_oom("Node.transforms");
    for (uint32_t i = 0; i < nd->n_transforms; i++) {
      JET_RETURN_IF_ERROR(jet_transform_to_proto(&nd->transforms[i], a, &items[i]));
      out->transforms[i] = &items[i];
    }
    out->n_transforms = nd->n_transforms;
  }
  return NULL;
}

static jet_status encode_graph(const jet_graph *g, jet_arena *a, int depth, Jet__V1__Graph **out) {
  if (depth > 256)
    return jet_status_make(JET_INVALID_ARGUMENT, "graph: callees nested deeper than 256");
  Jet__V1__Graph *pb = jet_arena_alloc(a, sizeof *pb);
  if (pb == NULL) return jet_status_oom("Graph");
  Jet__V1__Graph init = JET__V1__GRAPH__INIT;
  *pb = init;
  pb->name = jet_arena_strdup(a, g->name ? g->name : "");
  if (pb->name == NULL) return jet_status_oom("Graph.name");
  if (g->n_params) {
    pb->params = jet_arena_calloc(a, g->n_params, sizeof *pb->params);
    if (pb->params == NULL) return jet_status_oom("Graph.params");
    for (uint32_t i = 0; i < g->n_params; i++)
      JET_RETURN_IF_ERROR(type_ptr(&g->value_types[i], a, &pb->params[i]));
    pb->n_params = g->n_params;
  }
  if (g->n_nodes) {
    pb->nodes = jet_arena_calloc(a, g->n_nodes, sizeof *pb->nodes);
    Jet__V1__Node *items = jet_arena_calloc(a, g->n_nodes, sizeof *items);
    if (pb->nodes == NULL || items == NULL) return jet_status_oom("Graph.nodes");
    for (uint32_t n = 0; n < g->n_nodes; n++) {
      JET_RETURN_IF_ERROR(encode_node(&g->nodes[n], a, depth, &items[n]));
      pb->nodes[n] = &items[n];
    }
    pb->n_nodes = g->n_nodes;
  }
  if (g->n_outputs) {
    pb->outputs = jet_arena_memdup(a, g->outputs, g->n_outputs * sizeof(uint32_t));
    if (pb->outputs == NULL) return jet_status_oom("Graph.outputs");
    pb->n_outputs = g->n_outputs;
  }
  *out = pb;
  return NULL;
}

jet_status jet_graph_to_proto(const jet_graph *g, jet_arena *arena, Jet__V1__Graph **out) {
  if (g == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "jet_graph_to_proto: graph is NULL");
  return encode_graph(g, arena, 0, out);
}
