/* jet_builder: the core (params, generic nodes, errors, return, call). The
 * per-op functions are in builder_ops.c. */
#include <stdlib.h>
#include <string.h>

#include "builder_internal.h"

jet_builder *jet_builder_create(const char *name) {
  jet_builder *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->g = jet_graph_create(name ? name : "");
  if (!b->g) {
    free(b);
    return NULL;
  }
  return b;
}

void jet_builder_destroy(jet_builder *b) {
  if (!b) return;
  jet_graph_destroy(b->g);
  jet_status_free(b->err);
  free(b);
}

jet_graph *jet_builder_graph(jet_builder *b) { return b ? b->g : NULL; }

static jet_status copy_status(jet_status s) {
  if (!s) return NULL;
  return jet_status_make(jet_status_code(s), "%s", jet_status_message(s));
}

jet_status jet_builder_status(const jet_builder *b) {
  if (!b) return jet_status_make(JET_INVALID_ARGUMENT, "jet_builder: builder is NULL");
  return copy_status(b->err);
}

const jet_type *jet_builder_value_type(const jet_builder *b, jet_value v) {
  if (!b || v == JET_NO_VALUE) return NULL;
  return jet_graph_value_type(b->g, v);
}

uint32_t jet_builder_num_results(const jet_builder *b, jet_value v) {
  if (!b || v >= b->g->n_values) return 0;
  int32_t node = b->g->value_node[v];
  if (node < 0) return 1;
  return b->g->nodes[node].n_results;
}

void jet__builder_fail(jet_builder *b, const char *fn, jet_status st) {
  if (!st) return;
  if (b->err) {
    jet_status_free(st);
    return;
  }
  b->err = jet_status_annotate(st, "%s: ", fn);
}

bool jet__builder_ok(jet_builder *b, const char *fn, const jet_value *args, size_t n) {
  if (!b || b->err) return false;
  for (size_t i = 0; i < n; i++) {
    if (args[i] == JET_NO_VALUE) {
      jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                               "operand %zu is JET_NO_VALUE", i));
      return false;
    }
  }
  return true;
}

jet_value jet_builder_param(jet_builder *b, const jet_type *type) {
  if (!jet__builder_ok(b, "jet_builder_param", NULL, 0)) return JET_NO_VALUE;
  if (!type) {
    jet__builder_fail(b, "jet_builder_param",
                      jet_status_make(JET_INVALID_ARGUMENT, "type is NULL"));
    return JET_NO_VALUE;
  }
  jet_value v = JET_NO_VALUE;
  jet_status st = jet_graph_add_param(b->g, type, &v);
  if (st) {
    jet__builder_fail(b, "jet_builder_param",
                      jet_status_annotate(st, "parameter %u: ", b->g->n_params));
    return JET_NO_VALUE;
  }
  return v;
}

jet_value jet__builder_node(jet_builder *b, const char *fn, jet_op op, const jet_value *args,
                            size_t n, const jet_attr *attrs, size_t n_attrs, jet_graph *callee,
                            const jet_transform *tf, size_t n_tf) {
  if (!jet__builder_ok(b, fn, args, n)) return JET_NO_VALUE;
  if (n > UINT32_MAX || n_attrs > UINT32_MAX || n_tf > UINT32_MAX) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "too many operands"));
    return JET_NO_VALUE;
  }
  jet_value first = JET_NO_VALUE;
  jet_status st = jet_graph_add_node(b->g, op, args, (uint32_t)n, attrs, (uint32_t)n_attrs, callee,
                                     tf, (uint32_t)n_tf, &first);
  if (st) {
    jet__builder_fail(b, fn, st);
    return JET_NO_VALUE;
  }
  return first;
}

jet_value jet_op_node(jet_builder *b, jet_op op, const jet_value *args, size_t n,
                      const jet_attr *attrs, size_t n_attrs) {
  if (b && !b->err && (op < 0 || op >= JET_OP_COUNT)) {
    jet__builder_fail(b, "jet_op_node", jet_status_make(JET_INVALID_ARGUMENT,
                                                        "op %d is not in the op table", (int)op));
    return JET_NO_VALUE;
  }
  if (b && !b->err && op == JET_OP_CALL) {
    jet__builder_fail(b, "jet_op_node",
                      jet_status_make(JET_INVALID_ARGUMENT, "call needs a callee: use jet_call"));
    return JET_NO_VALUE;
  }
  if (b && !b->err && jet_op_takes_subgraphs(op)) {
    jet__builder_fail(b, "jet_op_node",
                      jet_status_make(JET_INVALID_ARGUMENT,
                                      "%s needs sub-graphs: use jet_cond, jet_while or jet_scan",
                                      jet_op_name(op)));
    return JET_NO_VALUE;
  }
  return jet__builder_node(b, "jet_op_node", op, args, n, attrs, n_attrs, NULL, NULL, 0);
}

jet_status jet_builder_return(jet_builder *b, const jet_value *outs, size_t n) {
  if (!b) return jet_status_make(JET_INVALID_ARGUMENT, "jet_builder_return: builder is NULL");
  if (jet__builder_ok(b, "jet_builder_return", outs, n)) {
    jet_status st;
    if (n > UINT32_MAX)
      st = jet_status_make(JET_INVALID_ARGUMENT, "too many outputs");
    else
      st = jet_graph_set_outputs(b->g, outs, (uint32_t)n);
    jet__builder_fail(b, "jet_builder_return", st);
  }
  return copy_status(b->err);
}

/* ---------------------------------------------------------------------- */

jet_value jet_call(jet_builder *b, jet_builder *callee, const jet_value *args, size_t n,
                   const jet_transform *tf, size_t n_tf, jet_value *outs, size_t outs_cap) {
  static const char fn[] = "jet_call";
  if (!jet__builder_ok(b, fn, args, n)) return JET_NO_VALUE;
  if (!callee) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "callee is NULL"));
    return JET_NO_VALUE;
  }
  if (callee->err) {
    jet__builder_fail(b, fn, jet_status_annotate(copy_status(callee->err), "callee '%s': ",
                                                 callee->g->name));
    return JET_NO_VALUE;
  }
  if (callee->g->n_outputs == 0) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                             "callee '%s' has no outputs (call "
                                             "jet_builder_return on it first)",
                                             callee->g->name));
    return JET_NO_VALUE;
  }
  jet_graph *cg = jet_graph_create_child(b->g, callee->g->name);
  if (!cg) {
    jet__builder_fail(b, fn, jet_status_oom("callee copy"));
    return JET_NO_VALUE;
  }
  jet_status st = jet_graph_copy_into(cg, callee->g, 0);
  if (st) {
    jet__builder_fail(b, fn, jet_status_annotate(st, "copying callee '%s': ", callee->g->name));
    return JET_NO_VALUE;
  }
  jet_value first = jet__builder_node(b, fn, JET_OP_CALL, args, n, NULL, 0, cg, tf, n_tf);
  if (first == JET_NO_VALUE) return JET_NO_VALUE;
  uint32_t nr = jet_builder_num_results(b, first);
  for (size_t i = 0; i < outs_cap && i < nr; i++) outs[i] = first + (jet_value)i;
  return first;
}
