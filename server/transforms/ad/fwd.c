/* The primal (forward) pass shared by every AD driver, and the small
 * start/finish helpers that wrap a new root graph in an emitter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/ad_internal.h"

jet_value jet__ad_emit_node(jet_emit *e, const jet_node *nd, const jet_value *ops) {
  if (e->status) return JET_AD_ZERO;
  if (nd->op == JET_OP_CALL) {
    jet__ad_fail(e, jet_status_make(JET_INTERNAL,
                                    "autodiff: call nodes are inlined before differentiation"));
    return JET_AD_ZERO;
  }
  jet_value v = jet_emit_op(e, nd->op, ops, nd->n_operands, nd->attrs, nd->n_attrs);
  if (e->status) return JET_AD_ZERO;
  const jet_node *made = &e->g->nodes[e->g->n_nodes - 1];
  if (made->n_results != nd->n_results) {
    jet__ad_fail(e, jet_status_make(JET_INTERNAL, "autodiff: re-emitted '%s' has %u results, not %u",
                                    jet_op_name(nd->op), made->n_results, nd->n_results));
    return JET_AD_ZERO;
  }
  return v;
}

void jet__ad_fwd_free(jet__ad_fwd *f) {
  free(f->vmap);
  free(f->active);
  f->vmap = NULL;
  f->active = NULL;
}

bool jet__ad_forward(jet_emit *e, const jet_graph *src, const jet_value *primals, const bool *wrt,
                     jet__ad_fwd *f) {
  f->src = src;
  f->vmap = NULL;
  f->active = NULL;
  if (e->status) return false;
  size_t nv = src->n_values ? src->n_values : 1;
  f->vmap = malloc(nv * sizeof(jet_value));
  f->active = calloc(nv, 1);
  jet_value *ops = malloc(sizeof(jet_value) * 1);
  if (!f->vmap || !f->active || !ops) {
    free(ops);
    jet__ad_fwd_free(f);
    jet__ad_fail(e, jet_status_oom("autodiff value map"));
    return false;
  }
  uint32_t ops_cap = 1;
  for (uint32_t p = 0; p < src->n_params; p++) {
    const jet_type *pt = &src->value_types[p];
    if (!jet_type_equal(jet_emit_type(e, primals[p]), pt) || primals[p] == JET_AD_ZERO) {
      jet__ad_fail(e, jet_status_make(JET_INTERNAL, "autodiff: primal %u does not have the type of "
                                                    "parameter %u", p, p));
      break;
    }
    f->vmap[p] = primals[p];
    f->active[p] = (!wrt || wrt[p]) && jet_dtype_is_float(pt->dtype);
  }
  for (uint32_t i = 0; !e->status && i < src->n_nodes; i++) {
    const jet_node *nd = &src->nodes[i];
    if (nd->n_operands > ops_cap) {
      jet_value *grown = realloc(ops, sizeof(jet_value) * nd->n_operands);
      if (!grown) {
        jet__ad_fail(e, jet_status_oom("autodiff operands"));
        break;
      }
      ops = grown;
      ops_cap = nd->n_operands;
    }
    bool act = false;
    for (uint32_t k = 0; k < nd->n_operands; k++) {
      ops[k] = f->vmap[nd->operands[k]];
      act = act || f->active[nd->operands[k]];
    }
    if (nd->op == JET_OP_STOP_GRADIENT) act = false;
    jet_value first = jet__ad_emit_node(e, nd, ops);
    if (e->status) {
      e->status = jet_status_annotate(e->status, "node %u (%s): ", i, jet_op_name(nd->op));
      break;
    }
    for (uint32_t j = 0; j < nd->n_results; j++) {
      f->vmap[nd->first_result + j] = first + j;
      f->active[nd->first_result + j] = act && jet_dtype_is_float(nd->results[j].dtype);
    }
  }
  free(ops);
  if (e->status) {
    jet__ad_fwd_free(f);
    return false;
  }
  return true;
}

const char *jet__ad_shape_str(const jet_type *t, char *buf, size_t cap) {
  size_t len = 0;
  len += (size_t)snprintf(buf + len, cap - len, "[");
  for (int32_t i = 0; i < t->rank && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%lld", i ? "," : "", (long long)t->dims[i]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
  return buf;
}

jet_status jet__ad_start(const jet_graph *g, const char *suffix, jet_emit *e) {
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
  if (!ng) return jet_status_oom("derivative graph");
  for (uint32_t p = 0; p < g->n_params; p++) {
    jet_status st = jet_graph_add_param(ng, &g->value_types[p], NULL);
    if (st) {
      jet_graph_destroy(ng);
      return st;
    }
  }
  e->g = ng;
  return NULL;
}

jet_status jet__ad_finish(jet_emit *e, const jet_value *outs, uint32_t n, jet_graph **out) {
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
