/* The eager (op-by-op) layer: one-node graphs, compiled once per signature
 * (the client cache answers repeats without an RPC), executed on handles. */
#include <stdlib.h>

#include "client_internal.h"

#define MAX_EAGER_ARGS 64

jet_status jet_eager(jet_client *c, jet_op op, jet_array *const *args, size_t n,
                     const jet_attr *attrs, size_t n_attrs, jet_array **out) {
  if (!c || !out || (n && !args) || (n_attrs && !attrs))
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_eager: NULL argument");
  *out = NULL;
  if (op < 0 || op >= JET_OP_COUNT)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_eager: op %d is not in the op table",
                           (int)op);
  if (op == JET_OP_CALL)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "jet_eager: call needs a callee graph; use jet_compile");
  if (jet_op_takes_subgraphs(op))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "jet_eager: %s needs sub-graphs; build it with jet_cond, jet_while or "
                           "jet_scan and use jet_compile",
                           jet_op_name(op));
  if (n > MAX_EAGER_ARGS || n_attrs > UINT32_MAX)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_eager(%s): %zu arguments (at most %d)",
                           jet_op_name(op), n, MAX_EAGER_ARGS);
  jet_value params[MAX_EAGER_ARGS];
  jet_arg xargs[MAX_EAGER_ARGS];
  jet_graph *g = jet_graph_create(jet_op_name(op));
  if (!g) return jet_status_oom("eager graph");
  jet_status st = NULL;
  for (size_t i = 0; !st && i < n; i++) {
    if (!args[i]) {
      st = jet_status_make(JET_INVALID_ARGUMENT, "jet_eager(%s): argument %zu is NULL",
                           jet_op_name(op), i);
    } else if (args[i]->client != c) {
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "jet_eager(%s): argument %zu belongs to another client",
                           jet_op_name(op), i);
    } else {
      st = jet_graph_add_param(g, &args[i]->type, &params[i]);
      xargs[i] = jet_arg_of_array(args[i]);
    }
  }
  jet_value first = JET_NO_VALUE;
  if (!st)
    st = jet_graph_add_node(g, op, params, (uint32_t)n, attrs, (uint32_t)n_attrs, NULL, NULL, 0,
                            &first);
  if (!st) st = jet_graph_set_outputs(g, &first, 1);
  if (st) {
    jet_graph_destroy(g);
    return jet_status_annotate(st, "jet_eager(%s): ", jet_op_name(op));
  }
  jet_executable *e = NULL;
  st = jet_compile_graph(c, g, NULL, 0, &e);
  jet_graph_destroy(g);
  if (st) return st;
  jet_result r = {0};
  r.keep_on_server = true;
  st = jet_execute(e, xargs, n, &r, 1);
  if (st) return st;
  *out = r.array;
  return NULL;
}

jet_status jet_eager_unary(jet_client *c, jet_op op, jet_array *x, jet_array **out) {
  jet_array *args[1] = {x};
  return jet_eager(c, op, args, 1, NULL, 0, out);
}

jet_status jet_eager_binary(jet_client *c, jet_op op, jet_array *x, jet_array *y,
                            jet_array **out) {
  jet_array *args[2] = {x, y};
  return jet_eager(c, op, args, 2, NULL, 0, out);
}
