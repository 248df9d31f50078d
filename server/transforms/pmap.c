/* The pmap transform: see pmap.h. The signature (and every check of
 * in_axes, out_axes, axis_size, devices and static_broadcasted_argnums) is
 * jet_vmap_signature's; this file only builds the wrapping graph. */
#include "transforms/pmap.h"

#include <stdlib.h>
#include <string.h>

#include "jet/infer.h"

/* The spec of argument / output j (lengths checked by the signature). */
static jet_axis_spec spec_of(const jet_axis_spec *v, uint32_t n, uint32_t j) {
  if (n == 0) return (jet_axis_spec){true, 0};
  if (n == 1) return v[0];
  return v[j];
}

static bool is_static(const jet_transform *t, uint32_t j) {
  for (uint32_t k = 0; k < t->n_static_argnums; k++)
    if (t->static_broadcasted_argnums[k] >= 0 && (uint32_t)t->static_broadcasted_argnums[k] == j)
      return true;
  return false;
}

/* The node's axis entry: the axis in a type of rank r1 (with the mapped
 * axis), or -1 for not mapped. */
static int64_t node_axis(jet_axis_spec s, int32_t r1) {
  if (!s.mapped) return -1;
  return s.axis < 0 ? s.axis + r1 : s.axis;
}

typedef struct scratch {
  jet_type *types; /* new params [np], outputs [no], new outputs [no] */
  int64_t *ints;   /* in_axes [np], out_axes [no], devices [nd] */
  jet_value *vals; /* params [np], results [no] */
} scratch;

static void scratch_free(scratch *s) {
  free(s->types);
  free(s->ints);
  free(s->vals);
}

/* Builds root: params new_p, one pmap node over a copy of g. */
static jet_status build(const jet_graph *g, const jet_transform *t, int64_t size, scratch *s,
                        jet_graph *root) {
  const uint32_t np = g->n_params, no = g->n_outputs, nd = t->n_devices;
  const jet_type *new_p = s->types;
  int64_t *in_axes = s->ints, *out_axes = s->ints + np, *dev = s->ints + np + no;
  jet_value *xs = s->vals, *res = s->vals + np;
  for (uint32_t j = 0; j < np; j++) {
    jet_axis_spec sp = is_static(t, j) ? (jet_axis_spec){false, 0}
                                       : spec_of(t->in_axes, t->n_in_axes, j);
    in_axes[j] = node_axis(sp, g->value_types[j].rank + 1);
    JET_RETURN_IF_ERROR(jet_graph_add_param(root, &new_p[j], &xs[j]));
  }
  for (uint32_t k = 0; k < no; k++)
    out_axes[k] = node_axis(spec_of(t->out_axes, t->n_out_axes, k),
                            g->value_types[g->outputs[k]].rank + 1);
  for (uint32_t d = 0; d < nd; d++) dev[d] = t->devices[d];
  jet_graph *body = jet_graph_create_child(root, g->name);
  if (!body) return jet_status_oom("pmap body");
  JET_RETURN_IF_ERROR(jet_graph_copy_into(body, g, 0));
  jet_attr attrs[5];
  memset(attrs, 0, sizeof attrs);
  attrs[0].name = "axis_name";
  attrs[0].kind = JET_ATTR_STR;
  attrs[0].u.s = t->axis_name && t->axis_name[0] ? t->axis_name : JET_PMAP_DEFAULT_AXIS_NAME;
  attrs[1].name = "axis_size";
  attrs[1].kind = JET_ATTR_INT;
  attrs[1].u.i = size;
  attrs[2].name = "in_axes";
  attrs[2].kind = JET_ATTR_INTS;
  attrs[2].u.ints.v = in_axes;
  attrs[2].u.ints.n = np;
  attrs[3].name = "out_axes";
  attrs[3].kind = JET_ATTR_INTS;
  attrs[3].u.ints.v = out_axes;
  attrs[3].u.ints.n = no;
  attrs[4].name = "devices";
  attrs[4].kind = JET_ATTR_INTS;
  attrs[4].u.ints.v = dev;
  attrs[4].u.ints.n = nd;
  jet_value first = 0;
  JET_RETURN_IF_ERROR(
      jet_graph_add_node_sub(root, JET_OP_PMAP, xs, np, attrs, nd ? 5 : 4, &body, 1, &first));
  for (uint32_t k = 0; k < no; k++) res[k] = first + k;
  return jet_graph_set_outputs(root, res, no);
}

jet_status jet_transforms_pmap(const jet_graph *g, const jet_transform *t, jet_graph **out) {
  *out = NULL;
  if (t->kind != JET_TF_PMAP)
    return jet_status_make(JET_INTERNAL, "jet_transforms_pmap of a '%s' transform",
                           jet_transform_name(t->kind));
  const uint32_t np = g->n_params, no = g->n_outputs;
  scratch s;
  s.types = malloc(sizeof(jet_type) * ((size_t)np + 2 * (size_t)no + 1));
  s.ints = malloc(sizeof(int64_t) * ((size_t)np + no + t->n_devices + 1));
  s.vals = malloc(sizeof(jet_value) * ((size_t)np + no + 1));
  if (!s.types || !s.ints || !s.vals) {
    scratch_free(&s);
    return jet_status_oom("pmap transform");
  }
  jet_type *new_p = s.types, *outs_t = s.types + np, *new_o = outs_t + no;
  for (uint32_t k = 0; k < no; k++) outs_t[k] = g->value_types[g->outputs[k]];
  int64_t size = 0;
  jet_status st =
      jet_vmap_signature(g->value_types, np, outs_t, no, t, NULL, 0, new_p, new_o, &size);
  jet_graph *root = NULL;
  if (!st) {
    root = jet_graph_create(g->name);
    if (!root) st = jet_status_oom("pmap graph");
  }
  if (!st) st = build(g, t, size, &s, root);
  for (uint32_t k = 0; k < no && !st; k++)
    if (!jet_type_equal(&root->value_types[root->outputs[k]], &new_o[k]))
      st = jet_status_make(JET_INTERNAL, "pmap output %u does not have its signature type", k);
  scratch_free(&s);
  if (st) {
    jet_graph_destroy(root);
    return st;
  }
  *out = root;
  return NULL;
}
