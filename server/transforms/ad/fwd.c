/* The primal (forward) pass shared by every AD driver, and the small
 * start/finish helpers that wrap a new root graph in an emitter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/ad_internal.h"


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
    jet_emit_fail(e, jet_status_oom("autodiff value map"));
    return false;
  }
  uint32_t ops_cap = 1;
  for (uint32_t p = 0; p < src->n_params; p++) {
    const jet_type *pt = &src->value_types[p];
    if (!jet_type_equal(jet_emit_type(e, primals[p]), pt) || primals[p] == JET_AD_ZERO) {
      jet_emit_fail(e, jet_status_make(JET_INTERNAL, "autodiff: primal %u does not have the type of "
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
        jet_emit_fail(e, jet_status_oom("autodiff operands"));
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
    jet_value first = jet_emit_node_copy(e, nd, ops);
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



