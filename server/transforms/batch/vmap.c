/* The vmap drivers (batch.h): jet_batch_emit walks a call-free graph in
 * order, copying nodes none of whose operands is batched (computed once) and
 * handing the others to their batching rule, whose results are checked
 * against the source node's types; jet_batch_vmap is the vmap transform of a
 * whole graph. Its parameter checks and types come from the shared
 * jet_vmap_signature (shared/src/infer/transform_vmap.c), so the server and
 * the call rule give the same types and messages; the one check that needs
 * the batched graph is done here: a batched output with out_axes None is
 * "vmap has mapped output (output 0) but out_axes is None". A collective
 * over the vmap's own axis_name (binds_axis) goes to its rule even without
 * a batched operand (axis_index has none). */
#include <stdlib.h>
#include <string.h>

#include "jet/infer.h"
#include "transforms/batch/batch.h"

/* Checks rule result j of node nd: y of batch dim ybd must be the node's
 * result type with a batch dimension of size b->size at ybd (or the type
 * itself when ybd is JET_NOT_BATCHED). */
static void check_result(jet_batch *b, const jet_node *nd, uint32_t j, jet_value y, int32_t ybd) {
  jet_emit *e = &b->e;
  const jet_type *want = &nd->results[j];
  if (y == JET_EMIT_NONE) {
    jet_emit_fail(e, jet_status_make(JET_INTERNAL, "batching rule of '%s' gave no result %u",
                                     jet_op_name(nd->op), j));
    return;
  }
  const jet_type *got = jet_emit_type(e, y);
  bool ok;
  if (ybd == JET_NOT_BATCHED) {
    ok = jet_type_equal(got, want);
  } else {
    ok = ybd >= 0 && ybd < got->rank && got->rank == want->rank + 1 &&
         got->dtype == want->dtype && got->dims[ybd] == b->size;
    for (int32_t d = 0, k = 0; ok && d < got->rank; d++) {
      if (d == ybd) continue;
      ok = got->dims[d] == want->dims[k++];
    }
  }
  if (ok) return;
  char a[JET_TYPE_STR_MAX], w[JET_TYPE_STR_MAX];
  jet_type_str(got, a, sizeof a);
  jet_type_str(want, w, sizeof w);
  if (ybd == JET_NOT_BATCHED)
    jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                                     "batching rule of '%s' gave result %u of type %s, not "
                                     "batched, but the node's result type is %s",
                                     jet_op_name(nd->op), j, a, w));
  else
    jet_emit_fail(e, jet_status_make(JET_INTERNAL,
                                     "batching rule of '%s' gave result %u of type %s batched at "
                                     "dimension %d, which is not the node's result type %s with "
                                     "a batch dimension of size %lld",
                                     jet_op_name(nd->op), j, a, (int)ybd, w, (long long)b->size));
}

/* Does node nd hold a collective over this vmap's axis (an op with an
 * axis_name attribute equal to b->axis_name), itself or in its control-flow
 * sub-graphs? Such a node goes to its rule even when no operand is batched:
 * its result depends on the example (axis_index, ppermute) or on the axis
 * size (psum of an unbatched value). */
static bool binds_axis(const jet_batch *b, const jet_node *nd) {
  if (!b->axis_name || !b->axis_name[0]) return false;
  const jet_attr *a = jet_op_is_collective(nd->op) ? jet_node_attr(nd, "axis_name") : NULL;
  if (a && a->kind == JET_ATTR_STR && a->u.s && strcmp(a->u.s, b->axis_name) == 0) return true;
  for (uint32_t k = 0; k < nd->n_subgraphs; k++) {
    const jet_graph *sg = nd->subgraphs[k];
    for (uint32_t i = 0; i < sg->n_nodes; i++)
      if (binds_axis(b, &sg->nodes[i])) return true;
  }
  return false;
}

void jet_batch_emit(jet_batch *b, const jet_graph *src, const jet_value *xs, const int32_t *bds,
                    jet_value *outs, int32_t *obds) {
  jet_emit *e = &b->e;
  for (uint32_t k = 0; k < src->n_outputs; k++) {
    outs[k] = JET_EMIT_NONE;
    obds[k] = JET_NOT_BATCHED;
  }
  if (e->status) return;
  uint32_t max_ops = 1, max_res = 1;
  for (uint32_t i = 0; i < src->n_nodes; i++) {
    if (src->nodes[i].n_operands > max_ops) max_ops = src->nodes[i].n_operands;
    if (src->nodes[i].n_results > max_res) max_res = src->nodes[i].n_results;
  }
  size_t nv = src->n_values ? src->n_values : 1;
  jet_value *val = malloc(sizeof(jet_value) * nv);
  int32_t *vbd = malloc(sizeof(int32_t) * nv);
  jet_value *ops = malloc(sizeof(jet_value) * max_ops), *res = malloc(sizeof(jet_value) * max_res);
  int32_t *obd = malloc(sizeof(int32_t) * max_ops), *rbd = malloc(sizeof(int32_t) * max_res);
  if (!val || !vbd || !ops || !res || !obd || !rbd) {
    jet_emit_fail(e, jet_status_oom("batching value map"));
    goto done;
  }
  for (uint32_t p = 0; p < src->n_params; p++) {
    val[p] = xs[p];
    vbd[p] = bds[p];
  }
  for (uint32_t i = 0; i < src->n_nodes; i++) {
    const jet_node *nd = &src->nodes[i];
    bool any = false;
    for (uint32_t k = 0; k < nd->n_operands; k++) {
      ops[k] = val[nd->operands[k]];
      obd[k] = vbd[nd->operands[k]];
      any = any || obd[k] != JET_NOT_BATCHED;
    }
    for (uint32_t j = 0; j < nd->n_results; j++) {
      res[j] = JET_EMIT_NONE;
      rbd[j] = JET_NOT_BATCHED;
    }
    if (!any && !binds_axis(b, nd)) {
      jet_value first = jet_emit_node_copy(e, nd, ops);
      for (uint32_t j = 0; j < nd->n_results; j++) res[j] = first + j;
    } else if (nd->op == JET_OP_CALL) {
      jet_emit_fail(e, jet_status_make(JET_INTERNAL, "call nodes are inlined before batching"));
    } else {
      jet_batch_rule rule = jet_batch_rule_of(nd->op);
      if (!rule)
        jet_emit_fail(e, jet_status_make(JET_INTERNAL, "no batching rule for op %d", (int)nd->op));
      else
        rule(b, nd, ops, obd, res, rbd);
      for (uint32_t j = 0; !e->status && j < nd->n_results; j++) check_result(b, nd, j, res[j], rbd[j]);
    }
    if (e->status) {
      e->status = jet_status_annotate(e->status, "node %u (%s): ", i, jet_op_name(nd->op));
      goto done;
    }
    for (uint32_t j = 0; j < nd->n_results; j++) {
      val[nd->first_result + j] = res[j];
      vbd[nd->first_result + j] = rbd[j];
    }
  }
  for (uint32_t k = 0; k < src->n_outputs; k++) {
    outs[k] = val[src->outputs[k]];
    obds[k] = vbd[src->outputs[k]];
  }
done:
  free(val);
  free(vbd);
  free(ops);
  free(res);
  free(obd);
  free(rbd);
}

/* The axis spec of entry j of a list of n (empty = mapped at 0, one entry =
 * for all; lengths already checked by jet_vmap_signature). */
static jet_axis_spec spec_of(const jet_axis_spec *v, uint32_t n, uint32_t j) {
  if (n == 0) return (jet_axis_spec){true, 0};
  if (n == 1) return v[0];
  return v[j];
}

jet_status jet_batch_vmap(const jet_graph *g, const jet_transform *t, jet_graph **out) {
  *out = NULL;
  if (t->kind != JET_TF_VMAP)
    return jet_status_make(JET_INTERNAL, "jet_batch_vmap of a '%s' transform",
                           jet_transform_name(t->kind));
  for (uint32_t i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].op == JET_OP_CALL)
      return jet_status_make(JET_INTERNAL, "vmap of a graph with call nodes (node %u)", i);
  uint32_t np = g->n_params, no = g->n_outputs;
  size_t nt = (size_t)np + 2 * (size_t)no + 1;
  jet_type *types = malloc(sizeof(jet_type) * nt);
  jet_value *vals = malloc(sizeof(jet_value) * ((size_t)np + 2 * (size_t)no + 1));
  int32_t *bds = malloc(sizeof(int32_t) * ((size_t)np + (size_t)no + 1));
  if (!types || !vals || !bds) {
    free(types);
    free(vals);
    free(bds);
    return jet_status_oom("vmap types");
  }
  jet_type *new_p = types, *outs_t = types + np, *new_o = outs_t + no;
  jet_value *xs = vals, *outs = vals + np, *res = outs + no;
  int32_t *obds = bds + np;
  for (uint32_t k = 0; k < no; k++) outs_t[k] = g->value_types[g->outputs[k]];
  int64_t size = 0;
  jet_status st =
      jet_vmap_signature(g->value_types, np, outs_t, no, t, NULL, 0, new_p, new_o, &size);
  jet_batch b;
  memset(&b, 0, sizeof b);
  b.size = size;
  b.axis_name = t->axis_name ? t->axis_name : "";
  if (!st) st = jet_emit_start(g, "vmap", new_p, np, &b.e);
  if (st) {
    free(types);
    free(vals);
    free(bds);
    return st;
  }
  for (uint32_t p = 0; p < np; p++) {
    jet_axis_spec s = spec_of(t->in_axes, t->n_in_axes, p);
    int32_t r1 = g->value_types[p].rank + 1;
    xs[p] = p;
    bds[p] = s.mapped ? (s.axis < 0 ? s.axis + r1 : s.axis) : JET_NOT_BATCHED;
  }
  jet_batch_emit(&b, g, xs, bds, outs, obds);
  for (uint32_t k = 0; k < no && !b.e.status; k++) {
    jet_axis_spec s = spec_of(t->out_axes, t->n_out_axes, k);
    if (!s.mapped) {
      if (obds[k] != JET_NOT_BATCHED)
        jet_emit_fail(&b.e, jet_status_make(JET_INVALID_ARGUMENT,
                                            "vmap has mapped output (output %u) but out_axes is "
                                            "None",
                                            k));
      res[k] = outs[k];
      continue;
    }
    int32_t r1 = outs_t[k].rank + 1;
    res[k] = jet_batch_at(&b, outs[k], obds[k], s.axis < 0 ? s.axis + r1 : s.axis);
  }
  for (uint32_t k = 0; k < no && !b.e.status; k++) {
    if (!jet_type_equal(jet_emit_type(&b.e, res[k]), &new_o[k]))
      jet_emit_fail(&b.e, jet_status_make(JET_INTERNAL, "vmap output %u does not have its "
                                                        "signature type",
                                          k));
  }
  st = jet_emit_finish(&b.e, res, no, out);
  free(types);
  free(vals);
  free(bds);
  return st;
}
