/* Structural equality of node parts and whole graphs, for CSE and for
 * merging callees with equal content. Attributes compare in canonical order
 * (by name), floats and literals bit by bit (so -0.0 != 0.0 and a NaN equals
 * only the same NaN bits); names of graphs are ignored. */
#include <string.h>

#include "compiler/passes/passes_internal.h"

static const char *str_or_empty(const char *s) { return s ? s : ""; }

/* (name, index) order, as jet_graph_hash uses. */
static bool attr_before(const jet_attr *attrs, uint32_t i, uint32_t j) {
  int c = strcmp(str_or_empty(attrs[i].name), str_or_empty(attrs[j].name));
  return c < 0 || (c == 0 && i < j);
}

uint32_t jet__attr_next(const jet_attr *attrs, uint32_t n, uint32_t prev) {
  uint32_t best = UINT32_MAX;
  for (uint32_t i = 0; i < n; i++) {
    if (prev != UINT32_MAX && !attr_before(attrs, prev, i)) continue;
    if (best == UINT32_MAX || attr_before(attrs, i, best)) best = i;
  }
  return best;
}

static bool bytes_equal(const void *a, const void *b, size_t n) {
  if (n == 0) return true;
  if (!a || !b) return a == b;
  return memcmp(a, b, n) == 0;
}

bool jet__attr_value_equal(const jet_attr *a, const jet_attr *b) {
  if (a->kind != b->kind) return false;
  if (strcmp(str_or_empty(a->name), str_or_empty(b->name)) != 0) return false;
  switch (a->kind) {
    case JET_ATTR_INT: return a->u.i == b->u.i;
    case JET_ATTR_INTS:
      return a->u.ints.n == b->u.ints.n &&
             bytes_equal(a->u.ints.v, b->u.ints.v, sizeof(int64_t) * a->u.ints.n);
    case JET_ATTR_FLOAT: return memcmp(&a->u.f, &b->u.f, sizeof a->u.f) == 0;
    case JET_ATTR_BOOL: return a->u.b == b->u.b;
    case JET_ATTR_DTYPE: return a->u.dtype == b->u.dtype;
    case JET_ATTR_STR: return strcmp(str_or_empty(a->u.s), str_or_empty(b->u.s)) == 0;
    case JET_ATTR_LITERAL:
      return jet_type_equal(&a->u.lit.type, &b->u.lit.type) &&
             a->u.lit.nbytes == b->u.lit.nbytes &&
             bytes_equal(a->u.lit.data, b->u.lit.data, a->u.lit.nbytes);
  }
  return false;
}

bool jet__attrs_equal(const jet_attr *a, uint32_t na, const jet_attr *b, uint32_t nb) {
  if (na != nb) return false;
  uint32_t ia = UINT32_MAX, ib = UINT32_MAX;
  for (uint32_t k = 0; k < na; k++) {
    ia = jet__attr_next(a, na, ia);
    ib = jet__attr_next(b, nb, ib);
    if (!jet__attr_value_equal(&a[ia], &b[ib])) return false;
  }
  return true;
}

bool jet__types_equal(const jet_type *a, const jet_type *b, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (!jet_type_equal(&a[i], &b[i])) return false;
  return true;
}

static bool axes_equal(const jet_axis_spec *a, uint32_t na, const jet_axis_spec *b, uint32_t nb) {
  if (na != nb) return false;
  for (uint32_t i = 0; i < na; i++)
    if (a[i].mapped != b[i].mapped || a[i].axis != b[i].axis) return false;
  return true;
}

static bool transform_equal(const jet_transform *a, const jet_transform *b) {
  return a->kind == b->kind && a->n_argnums == b->n_argnums &&
         bytes_equal(a->argnums, b->argnums, sizeof(int32_t) * a->n_argnums) &&
         a->argnums_tuple == b->argnums_tuple && a->has_aux == b->has_aux &&
         a->holomorphic == b->holomorphic && a->allow_int == b->allow_int &&
         axes_equal(a->in_axes, a->n_in_axes, b->in_axes, b->n_in_axes) &&
         axes_equal(a->out_axes, a->n_out_axes, b->out_axes, b->n_out_axes) &&
         a->axis_size == b->axis_size &&
         strcmp(str_or_empty(a->axis_name), str_or_empty(b->axis_name)) == 0 &&
         strcmp(str_or_empty(a->spmd_axis_name), str_or_empty(b->spmd_axis_name)) == 0 &&
         a->n_static_argnums == b->n_static_argnums &&
         bytes_equal(a->static_broadcasted_argnums, b->static_broadcasted_argnums,
                     sizeof(int32_t) * a->n_static_argnums) &&
         a->n_devices == b->n_devices &&
         bytes_equal(a->devices, b->devices, sizeof(uint32_t) * a->n_devices) &&
         a->n_donate_argnums == b->n_donate_argnums &&
         bytes_equal(a->donate_argnums, b->donate_argnums, sizeof(int32_t) * a->n_donate_argnums);
}

bool jet__transforms_equal(const jet_transform *a, uint32_t na, const jet_transform *b,
                           uint32_t nb) {
  if (na != nb) return false;
  for (uint32_t i = 0; i < na; i++)
    if (!transform_equal(&a[i], &b[i])) return false;
  return true;
}

static bool node_equal(const jet_node *a, const jet_node *b) {
  if (a->op != b->op || a->n_operands != b->n_operands || a->n_results != b->n_results)
    return false;
  if (!bytes_equal(a->operands, b->operands, sizeof(jet_value) * a->n_operands)) return false;
  if (!jet__attrs_equal(a->attrs, a->n_attrs, b->attrs, b->n_attrs)) return false;
  if (!jet__types_equal(a->results, b->results, a->n_results)) return false;
  if (!jet__transforms_equal(a->transforms, a->n_transforms, b->transforms, b->n_transforms))
    return false;
  if (a->n_subgraphs != b->n_subgraphs) return false;
  for (uint32_t k = 0; k < a->n_subgraphs; k++)
    if (!jet__graph_equal(a->subgraphs[k], b->subgraphs[k])) return false;
  if (!a->callee || !b->callee) return a->callee == b->callee;
  return jet__graph_equal(a->callee, b->callee);
}

bool jet__graph_equal(const jet_graph *a, const jet_graph *b) {
  if (a == b) return true;
  if (a->n_params != b->n_params || a->n_nodes != b->n_nodes || a->n_outputs != b->n_outputs)
    return false;
  if (!jet__types_equal(a->value_types, b->value_types, a->n_params)) return false;
  for (uint32_t i = 0; i < a->n_nodes; i++)
    if (!node_equal(&a->nodes[i], &b->nodes[i])) return false;
  return bytes_equal(a->outputs, b->outputs, sizeof(jet_value) * a->n_outputs);
}
