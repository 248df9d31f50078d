/* Batching rule of pmap (vmap of pmap), as JAX's: a pmap whose body is the
 * batched body (helpers in rules_control.h).
 *
 * Operand i with pmap in_axis a and vmap batch dim d:
 *   a == -1 (every member gets it whole): still unmapped by pmap; the body
 *     parameter is batched at d (or not batched).
 *   not batched: mapped at a as before; the body parameter is not batched.
 *   both: in the batched operand the pmap axis sits at a' = a (a < d) or
 *     a + 1 (a >= d): the new in_axis is a'; the body parameter (the
 *     operand without axis a') is batched at d (d < a') or d - 1.
 * Body outputs batched somewhere are moved to 0 inside the body; such an
 * output with out_axis k >= 0 is stacked at k + 1 (after the batch dim) and
 * the result is batched at 0; with out_axis -1 (member 0's value) it stays
 * -1 and the result is batched at 0. Unbatched outputs keep their out_axis.
 *
 * vmap's axis_name passes into the body: a collective over the vmap's name
 * inside the pmap body is batched by its own rule (batch/rules_collective.c),
 * one over the pmap's name is re-emitted on the batched value. The vmap
 * driver calls this rule even without batched operands when the body holds
 * a collective over the vmap's name. */
#include <stdlib.h>
#include <string.h>

#include "transforms/batch/rules_control.h"

void jet__batch_PMAP(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  const uint32_t na = n->n_operands, no = n->n_results;
  for (uint32_t j = 0; j < no; j++) {
    y[j] = JET_EMIT_NONE;
    ybd[j] = JET_NOT_BATCHED;
  }
  const jet_attr *ai = jet_node_attr(n, "in_axes"), *ao = jet_node_attr(n, "out_axes");
  if (!ai || !ao || n->n_subgraphs != 1 || ai->u.ints.n != na || ao->u.ints.n != no) {
    jet_emit_fail(&b->e, jet_status_make(JET_INTERNAL,
                                         "vmap of pmap: the node lacks its body or its in_axes / "
                                         "out_axes do not match its operands / results"));
    return;
  }
  const int64_t *ia = ai->u.ints.v, *oa = ao->u.ints.v;
  const jet_graph *body = n->subgraphs[0];
  int32_t *in_bd = malloc(sizeof(int32_t) * (na ? na : 1));
  int32_t *out_to = malloc(sizeof(int32_t) * (no ? no : 1));
  int32_t *got = malloc(sizeof(int32_t) * (no ? no : 1));
  int64_t *nia = malloc(sizeof(int64_t) * (na ? na : 1));
  int64_t *noa = malloc(sizeof(int64_t) * (no ? no : 1));
  if (!in_bd || !out_to || !got || !nia || !noa) {
    jet_emit_fail(&b->e, jet_status_oom("vmap of pmap: scratch"));
    goto done;
  }
  for (uint32_t i = 0; i < na; i++) {
    const int64_t a = ia[i];
    const int32_t d = bd[i];
    if (a < 0 || d == JET_NOT_BATCHED) {
      in_bd[i] = a < 0 ? d : JET_NOT_BATCHED;
      nia[i] = a;
      continue;
    }
    const int64_t a2 = a < d ? a : a + 1;
    nia[i] = a2;
    in_bd[i] = d < a2 ? d : d - 1;
  }
  for (uint32_t j = 0; j < no; j++) out_to[j] = JET_NOT_BATCHED;
  jet_graph *sub = jet__batch_body(b, body, in_bd, out_to, got);
  if (!sub) goto done;
  for (uint32_t j = 0; j < no; j++) {
    const bool batched = got[j] != JET_NOT_BATCHED;
    noa[j] = batched && oa[j] >= 0 ? oa[j] + 1 : oa[j];
    ybd[j] = batched ? 0 : JET_NOT_BATCHED;
  }
  jet_attr at[JET_MAX_OP_ATTRS];
  uint32_t nat = 0;
  for (uint32_t i = 0; i < n->n_attrs && nat < JET_MAX_OP_ATTRS; i++) {
    if (strcmp(n->attrs[i].name, "in_axes") == 0)
      at[nat++] = jet_emit_attr_ints("in_axes", nia, na);
    else if (strcmp(n->attrs[i].name, "out_axes") == 0)
      at[nat++] = jet_emit_attr_ints("out_axes", noa, no);
    else
      at[nat++] = n->attrs[i];
  }
  jet_value first = JET_EMIT_NONE;
  jet_status st = jet_graph_add_node_sub(b->e.g, JET_OP_PMAP, x, na, at, nat, &sub, 1, &first);
  if (st) {
    jet_emit_fail(&b->e, jet_status_annotate(st, "emitting batched 'pmap': "));
    goto done;
  }
  for (uint32_t j = 0; j < no; j++) y[j] = first + j;
done:
  if (b->e.status)
    for (uint32_t j = 0; j < no; j++) {
      y[j] = JET_EMIT_NONE;
      ybd[j] = JET_NOT_BATCHED;
    }
  free(in_bd);
  free(out_to);
  free(got);
  free(nia);
  free(noa);
}
