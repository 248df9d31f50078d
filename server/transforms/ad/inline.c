/* Call inlining before differentiation: every call node is replaced by the
 * nodes of its callee, with the callee's params bound to the call's
 * operands. A callee with its own transforms is first copied into a fresh
 * root graph (jet_transforms_apply consumes its input) and transformed; the
 * transformed graph (call-free) is then inlined. A vmap among the callee's
 * transforms without axis_size gets the size of the call's mapped operands. Callees are handled
 * recursively, so calls nested at any depth disappear. The callee's outputs
 * must match the call node's declared result types. */
#include <stdlib.h>

#include "jet/infer.h"
#include "transforms/ad/ad_internal.h"
#include "transforms/copy.h"
#include "transforms/transforms.h"

#define MAX_DEPTH 64

static void inline_into(jet_emit *e, const jet_graph *src, const jet_value *args, jet_value *outs,
                        int depth);

/* A copy of nd's transforms in which each vmap / pmap without axis_size gets the
 * size read from the call's operand types (jet_transform_signature_args,
 * the call rule's own reading, with its messages). *copy is malloc'ed. */
static jet_status fill_axis_sizes(const jet_emit *e, const jet_node *nd, const jet_value *ops,
                                  jet_transform **copy) {
  *copy = NULL;
  const jet_graph *c = nd->callee;
  uint32_t n = nd->n_transforms, cap = JET_MAX_RESULTS;
  jet_transform *tf = malloc(sizeof(jet_transform) * n);
  int64_t *sizes = malloc(sizeof(int64_t) * n);
  jet_type *in = malloc(sizeof(jet_type) * (nd->n_operands + c->n_outputs + 1));
  jet_type *buf = malloc(sizeof(jet_type) * 2 * (size_t)cap);
  jet_status st = NULL;
  if (!tf || !sizes || !in || !buf) st = jet_status_oom("call transforms");
  for (uint32_t k = 0; !st && k < nd->n_operands; k++) in[k] = *jet_emit_type(e, ops[k]);
  jet_type *co = in + nd->n_operands;
  for (uint32_t k = 0; !st && k < c->n_outputs; k++) co[k] = c->value_types[c->outputs[k]];
  uint32_t np = 0, no = 0;
  if (!st)
    st = jet_transform_signature_args(c->value_types, c->n_params, co, c->n_outputs,
                                      nd->transforms, n, in, nd->n_operands, buf, &np, buf + cap,
                                      &no, cap, sizes);
  for (uint32_t i = 0; !st && i < n; i++) {
    tf[i] = nd->transforms[i];
    if ((tf[i].kind == JET_TF_VMAP || tf[i].kind == JET_TF_PMAP) && tf[i].axis_size == 0)
      tf[i].axis_size = sizes[i];
  }
  free(sizes);
  free(in);
  free(buf);
  if (st) {
    free(tf);
    return st;
  }
  *copy = tf;
  return NULL;
}

static bool needs_sizes(const jet_node *nd) {
  for (uint32_t i = 0; i < nd->n_transforms; i++)
    if ((nd->transforms[i].kind == JET_TF_VMAP || nd->transforms[i].kind == JET_TF_PMAP) &&
        nd->transforms[i].axis_size == 0)
      return true;
  return false;
}

static void inline_call(jet_emit *e, const jet_node *nd, const jet_value *ops, jet_value *res,
                        int depth) {
  const jet_graph *callee = nd->callee;
  jet_graph *tf = NULL;
  if (!callee) {
    jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT, "call without a callee"));
    return;
  }
  if (nd->n_transforms) {
    jet_graph *copy = NULL;
    jet_transform *filled = NULL;
    jet_status st = needs_sizes(nd) ? fill_axis_sizes(e, nd, ops, &filled) : NULL;
    if (!st) st = jet_transforms_copy_graph(callee, &copy);
    if (!st)
      st = jet_transforms_apply(copy, filled ? filled : nd->transforms, nd->n_transforms, &tf);
    free(filled);
    if (st) {
      jet_emit_fail(e, st);
      return;
    }
    callee = tf;
  }
  if (callee->n_params != nd->n_operands) {
    jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT,
                                    "the %scallee takes %u parameters but the call has %u operands",
                                    tf ? "transformed " : "", callee->n_params, nd->n_operands));
  } else if (callee->n_outputs != nd->n_results) {
    jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT,
                                    "the %scallee returns %u values but the call declares %u results",
                                    tf ? "transformed " : "", callee->n_outputs, nd->n_results));
  }
  for (uint32_t p = 0; !e->status && p < callee->n_params; p++) {
    const jet_type *want = &callee->value_types[p], *got = jet_emit_type(e, ops[p]);
    if (!jet_type_equal(want, got)) {
      char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
      jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT,
                                      "operand %u has type %s but the %scallee's parameter %u is %s",
                                      p, jet_type_str(got, a, sizeof a), tf ? "transformed " : "",
                                      p, jet_type_str(want, b, sizeof b)));
    }
  }
  for (uint32_t j = 0; !e->status && j < nd->n_results; j++) {
    const jet_type *got = &callee->value_types[callee->outputs[j]];
    if (!jet_type_equal(got, &nd->results[j])) {
      char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
      jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT,
                                      "the %scallee returns %s as output %u but the call declares "
                                      "result %u as %s",
                                      tf ? "transformed " : "", jet_type_str(got, a, sizeof a), j,
                                      j, jet_type_str(&nd->results[j], b, sizeof b)));
    }
  }
  if (!e->status) inline_into(e, callee, ops, res, depth + 1);
  jet_graph_destroy(tf);
}

/* A cond node whose branches get their calls inlined: each branch is
 * flattened on its own (jet_ad_inline_calls) and copied into a child of
 * e->g. */
static jet_value inline_cond(jet_emit *e, const jet_node *nd, const jet_value *ops) {
  jet_graph **subs = jet_arena_calloc(e->g->arena, nd->n_subgraphs, sizeof *subs);
  jet_status st = subs ? NULL : jet_status_oom("inlined branches");
  for (uint32_t k = 0; !st && k < nd->n_subgraphs; k++) {
    jet_graph *flat = NULL;
    st = jet_ad_inline_calls(nd->subgraphs[k], &flat);
    if (!st) {
      subs[k] = jet_graph_create_child(e->g, nd->subgraphs[k]->name);
      st = subs[k] ? jet_graph_copy_into(subs[k], flat, 0) : jet_status_oom("inlined branch");
    }
    jet_graph_destroy(flat);
    if (st) st = jet_status_annotate(st, "branch %u: ", k);
  }
  jet_value first = JET_EMIT_NONE;
  if (!st)
    st = jet_graph_add_node_sub(e->g, nd->op, ops, nd->n_operands, nd->attrs, nd->n_attrs, subs,
                                nd->n_subgraphs, &first);
  if (st) jet_emit_fail(e, st);
  return first;
}

static void inline_into(jet_emit *e, const jet_graph *src, const jet_value *args, jet_value *outs,
                        int depth) {
  if (e->status) return;
  if (depth > MAX_DEPTH) {
    jet_emit_fail(e, jet_status_make(JET_INVALID_ARGUMENT, "calls nested deeper than %d levels",
                                    MAX_DEPTH));
    return;
  }
  uint32_t max_ops = 1, max_res = 1;
  for (uint32_t i = 0; i < src->n_nodes; i++) {
    if (src->nodes[i].n_operands > max_ops) max_ops = src->nodes[i].n_operands;
    if (src->nodes[i].n_results > max_res) max_res = src->nodes[i].n_results;
  }
  jet_value *vmap = malloc(sizeof(jet_value) * (src->n_values ? src->n_values : 1));
  jet_value *ops = malloc(sizeof(jet_value) * max_ops), *res = malloc(sizeof(jet_value) * max_res);
  if (!vmap || !ops || !res) {
    jet_emit_fail(e, jet_status_oom("inlining value map"));
    goto done;
  }
  for (uint32_t p = 0; p < src->n_params; p++) vmap[p] = args[p];
  for (uint32_t i = 0; i < src->n_nodes; i++) {
    const jet_node *nd = &src->nodes[i];
    for (uint32_t k = 0; k < nd->n_operands; k++) ops[k] = vmap[nd->operands[k]];
    if (nd->op == JET_OP_CALL) {
      inline_call(e, nd, ops, res, depth);
      for (uint32_t j = 0; !e->status && j < nd->n_results; j++) vmap[nd->first_result + j] = res[j];
    } else if (nd->n_subgraphs) {
      jet_value first = inline_cond(e, nd, ops);
      for (uint32_t j = 0; !e->status && j < nd->n_results; j++)
        vmap[nd->first_result + j] = first + j;
    } else {
      jet_value first = jet_emit_node_copy(e, nd, ops);
      for (uint32_t j = 0; !e->status && j < nd->n_results; j++)
        vmap[nd->first_result + j] = first + j;
    }
    if (e->status) {
      e->status = jet_status_annotate(e->status, "%snode %u (%s): ", depth ? "callee " : "", i,
                                      jet_op_name(nd->op));
      goto done;
    }
  }
  for (uint32_t k = 0; k < src->n_outputs; k++) outs[k] = vmap[src->outputs[k]];
done:
  free(vmap);
  free(ops);
  free(res);
}

jet_status jet_ad_inline_calls(const jet_graph *g, jet_graph **out) {
  *out = NULL;
  jet_emit e;
  JET_RETURN_IF_ERROR(jet_emit_start(g, NULL, NULL, 0, &e));
  jet_value *vals = malloc(sizeof(jet_value) * ((size_t)g->n_params + g->n_outputs + 1));
  if (!vals) {
    jet_emit_fail(&e, jet_status_oom("inlining values"));
    return jet_emit_finish(&e, NULL, 0, out);
  }
  for (uint32_t p = 0; p < g->n_params; p++) vals[p] = p;
  inline_into(&e, g, vals, vals + g->n_params, 0);
  jet_status st = jet_emit_finish(&e, vals + g->n_params, g->n_outputs, out);
  free(vals);
  return st;
}
