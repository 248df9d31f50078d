/* jet_graph_validate: checks a whole graph (and its callees, recursively)
 * as it came from outside: parameter types, value numbering, operand ids,
 * attributes, inferred result types, outputs and argument types. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "infer_internal.h"

/* Callees nested deeper than this are refused (also stops cycles). */
#define MAX_CALL_DEPTH 64

typedef struct scratch {
  jet_type *ops; /* operand types of the node being checked */
  uint32_t cap_ops;
  jet_type *res; /* inferred result types */
  uint32_t cap_res;
  /* Callees already validated (open addressing, power-of-two capacity), so
   * a callee shared by many call nodes is checked once. */
  const jet_graph **done;
  size_t cap_done, n_done;
} scratch;

static size_t slot_of(const jet_graph *g, size_t cap) {
  uint64_t x = (uint64_t)(uintptr_t)g;
  x ^= x >> 33;
  x *= UINT64_C(0xff51afd7ed558ccd);
  x ^= x >> 33;
  return (size_t)x & (cap - 1);
}

static bool done_has(const scratch *s, const jet_graph *g) {
  if (!s->cap_done) return false;
  for (size_t i = slot_of(g, s->cap_done);; i = (i + 1) & (s->cap_done - 1)) {
    if (!s->done[i]) return false;
    if (s->done[i] == g) return true;
  }
}

static jet_status done_add(scratch *s, const jet_graph *g) {
  if (2 * (s->n_done + 1) > s->cap_done) {
    size_t cap = s->cap_done ? 2 * s->cap_done : 16;
    const jet_graph **t = calloc(cap, sizeof *t);
    if (!t) return jet_status_oom("validated callee set");
    for (size_t k = 0; k < s->cap_done; k++) {
      if (!s->done[k]) continue;
      size_t i = slot_of(s->done[k], cap);
      while (t[i]) i = (i + 1) & (cap - 1);
      t[i] = s->done[k];
    }
    free(s->done);
    s->done = t;
    s->cap_done = cap;
  }
  size_t i = slot_of(g, s->cap_done);
  while (s->done[i]) i = (i + 1) & (s->cap_done - 1);
  s->done[i] = g;
  s->n_done++;
  return NULL;
}

static jet_status grow_ops(scratch *s, uint32_t n) {
  if (n <= s->cap_ops) return NULL;
  jet_type *p = realloc(s->ops, (size_t)n * sizeof *p);
  if (!p) return jet_status_oom("operand types for validation");
  s->ops = p;
  s->cap_ops = n;
  return NULL;
}

static jet_status grow_res(scratch *s, uint32_t n) {
  if (n <= s->cap_res) return NULL;
  jet_type *p = realloc(s->res, (size_t)n * sizeof *p);
  if (!p) return jet_status_oom("result types for validation");
  s->res = p;
  s->cap_res = n;
  return NULL;
}

static jet_status validate(const jet_graph *g, const jet_type *arg_types, uint32_t n_args,
                           scratch *s, int depth);

static jet_status check_node(const jet_graph *g, uint32_t k, uint32_t first, scratch *s,
                             int depth) {
  const jet_node *nd = &g->nodes[k];
  char ta[JET_TYPE_STR_MAX], tb[JET_TYPE_STR_MAX];
  if (nd->first_result != first) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "first result is value %" PRIu32
                           " but the values before define %" PRIu32,
                           nd->first_result, first);
  }
  if (nd->n_results > JET_MAX_RESULTS) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%" PRIu32 " results, more than the maximum %d",
                           nd->n_results, JET_MAX_RESULTS);
  }
  if ((uint64_t)first + nd->n_results > g->n_values) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "results run past the %" PRIu32 " values of the graph", g->n_values);
  }
  if (nd->n_operands > 0 && !nd->operands) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%" PRIu32 " operands but no operand list",
                           nd->n_operands);
  }
  /* The callee first: it reuses the scratch buffers filled below. */
  if (nd->op == JET_OP_CALL && nd->callee && !done_has(s, nd->callee)) {
    jet_status st = validate(nd->callee, NULL, 0, s, depth + 1);
    if (st) return jet_status_annotate(st, "callee: ");
    JET_RETURN_IF_ERROR(done_add(s, nd->callee));
  }
  if (nd->n_subgraphs > 0 && !nd->subgraphs)
    return jet_status_make(JET_INVALID_ARGUMENT, "%" PRIu32 " sub-graphs but no list",
                           nd->n_subgraphs);
  for (uint32_t b = 0; b < nd->n_subgraphs; b++) {
    const jet_graph *sg = nd->subgraphs[b];
    if (!sg) return jet_status_make(JET_INVALID_ARGUMENT, "sub-graph %" PRIu32 " is missing", b);
    if (done_has(s, sg)) continue;
    jet_status st = validate(sg, NULL, 0, s, depth + 1);
    if (st) return jet_status_annotate(st, "sub-graph %" PRIu32 " (%s): ", b, sg->name);
    JET_RETURN_IF_ERROR(done_add(s, sg));
  }
  JET_RETURN_IF_ERROR(grow_ops(s, nd->n_operands));
  for (uint32_t i = 0; i < nd->n_operands; i++) {
    jet_value v = nd->operands[i];
    if (v >= first) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "operand %" PRIu32 " refers to value %" PRIu32
                             ", which is not defined before node %" PRIu32,
                             i, v, k);
    }
    s->ops[i] = g->value_types[v];
  }
  /* Room for what the node claims and what a callee returns. */
  uint32_t room = nd->n_results < 4 ? 4 : nd->n_results;
  if (nd->op == JET_OP_CALL && nd->callee && nd->callee->n_outputs > room) {
    room = nd->callee->n_outputs;
  }
  if (nd->n_subgraphs > 0 && nd->subgraphs[0]->n_outputs > room) room = nd->subgraphs[0]->n_outputs;
  if (room > JET_MAX_RESULTS) room = JET_MAX_RESULTS;
  JET_RETURN_IF_ERROR(grow_res(s, room));
  uint32_t n_inf = 0;
  JET_RETURN_IF_ERROR(jet_infer_sub(nd->op, s->ops, nd->n_operands, nd->attrs, nd->n_attrs,
                                    nd->callee, nd->subgraphs, nd->n_subgraphs, nd->transforms,
                                    nd->n_transforms, s->res, room, &n_inf));
  if (n_inf != nd->n_results) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "node has %" PRIu32 " results but the op produces %" PRIu32,
                           nd->n_results, n_inf);
  }
  for (uint32_t i = 0; i < n_inf; i++) {
    const jet_type *have = &g->value_types[first + i];
    if (!jet_type_equal(have, &s->res[i]) ||
        (nd->results && !jet_type_equal(&nd->results[i], &s->res[i]))) {
      if (jet_type_equal(have, &s->res[i])) have = &nd->results[i];
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "result %" PRIu32 " has type %s but the inferred type is %s", i,
                             JET__TS(have, ta), JET__TS(&s->res[i], tb));
    }
  }
  return NULL;
}

static jet_status validate(const jet_graph *g, const jet_type *arg_types, uint32_t n_args,
                           scratch *s, int depth) {
  if (!g) return jet_status_make(JET_INVALID_ARGUMENT, "no graph");
  if (depth > MAX_CALL_DEPTH) {
    return jet_status_make(JET_INVALID_ARGUMENT, "calls nested deeper than %d", MAX_CALL_DEPTH);
  }
  if (g->n_params > g->n_values || (g->n_values > 0 && !g->value_types) ||
      (g->n_nodes > 0 && !g->nodes) || (g->n_outputs > 0 && !g->outputs)) {
    return jet_status_make(JET_INVALID_ARGUMENT, "graph has inconsistent tables");
  }
  char ta[JET_TYPE_STR_MAX], tb[JET_TYPE_STR_MAX];
  for (uint32_t i = 0; i < g->n_params; i++) {
    char what[40];
    snprintf(what, sizeof what, "parameter %" PRIu32, i);
    JET_RETURN_IF_ERROR(jet__infer_check_type(&g->value_types[i], what));
  }
  if (arg_types) {
    if (n_args != g->n_params) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%" PRIu32 " arguments given but the graph takes %" PRIu32, n_args,
                             g->n_params);
    }
    for (uint32_t i = 0; i < n_args; i++) {
      if (!jet_type_equal(&arg_types[i], &g->value_types[i])) {
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "argument %" PRIu32 " has type %s but parameter %" PRIu32 " is %s",
                               i, JET__TS(&arg_types[i], ta), i, JET__TS(&g->value_types[i], tb));
      }
    }
  }
  uint32_t next = g->n_params;
  for (uint32_t k = 0; k < g->n_nodes; k++) {
    const jet_node *nd = &g->nodes[k];
    jet_status st = check_node(g, k, next, s, depth);
    if (st) {
      return jet_status_annotate(st, "node %" PRIu32 " (%s): ", k, jet_op_name(nd->op));
    }
    next += nd->n_results;
  }
  if (next != g->n_values) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "graph has %" PRIu32
                           " values but its parameters and nodes define %" PRIu32,
                           g->n_values, next);
  }
  if (g->n_outputs == 0) {
    return jet_status_make(JET_INVALID_ARGUMENT, "graph has no outputs");
  }
  for (uint32_t i = 0; i < g->n_outputs; i++) {
    if (g->outputs[i] >= g->n_values) {
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "output %" PRIu32 " refers to value %" PRIu32 ", which is not defined",
                             i, g->outputs[i]);
    }
  }
  return NULL;
}

jet_status jet_graph_validate(const jet_graph *g, const jet_type *arg_types, uint32_t n_args) {
  scratch s = {NULL, 0, NULL, 0, NULL, 0, 0};
  jet_status st = validate(g, arg_types, n_args, &s, 0);
  free(s.ops);
  free(s.res);
  free(s.done);
  return st;
}
