/* libjet's builders of the loop ops (jet.h): jet_while / jet_while_graphs,
 * jet_scan / jet_scan_graphs, and lax.fori_loop's two lowerings:
 * jet_fori_loop (static bounds: a scan of upper - lower steps carrying the
 * i32 counter, as JAX does, so reverse mode works) and
 * jet_fori_loop_dynamic (traced bounds: a while loop carrying the counter,
 * with upper as a loop constant). The user's graphs are deep-copied into the
 * builder's graph as child sub-graphs of one node. */
#include <stdlib.h>
#include <string.h>

#include "builder_internal.h"

/* Copies a complete graph src into a new child of b's graph; `what` names it
 * in errors. */
static jet_status copy_sub(jet_builder *b, const jet_graph *src, const char *what,
                           jet_graph **out) {
  *out = NULL;
  if (!src) return jet_status_make(JET_INVALID_ARGUMENT, "the %s graph is NULL", what);
  if (src->n_outputs == 0)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "the %s graph '%s' has no outputs (call jet_builder_return on it "
                           "first)",
                           what, src->name);
  jet_graph *g = jet_graph_create_child(b->g, src->name);
  if (!g) return jet_status_oom("sub-graph copy");
  jet_status st = jet_graph_copy_into(g, src, 0);
  if (st) return jet_status_annotate(st, "copying the %s graph: ", what);
  *out = g;
  return NULL;
}

/* ops = a[0..na) ++ c[0..nc) ++ d[0..nd) (malloc'd; NULL on OOM). */
static jet_value *concat3(const jet_value *a, size_t na, const jet_value *c, size_t nc,
                          const jet_value *d, size_t nd) {
  jet_value *ops = malloc((na + nc + nd + 1) * sizeof *ops);
  if (!ops) return NULL;
  if (na) memcpy(ops, a, na * sizeof *ops);
  if (nc) memcpy(ops + na, c, nc * sizeof *ops);
  if (nd) memcpy(ops + na + nc, d, nd * sizeof *ops);
  return ops;
}

static bool counts_ok(jet_builder *b, const char *fn, size_t n_total) {
  if (n_total >= UINT32_MAX / 2) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "too many operands"));
    return false;
  }
  return true;
}

static void put_outs(jet_value first, size_t n_keep, size_t skip,
                     jet_value *outs, size_t outs_cap) {
  for (size_t i = 0; i < outs_cap && i < n_keep; i++) outs[i] = first + (jet_value)(skip + i);
}

/* The graphs of builders (NULL with the builder's error recorded in b when
 * one is NULL or failed). */
static const jet_graph *builder_graph(jet_builder *b, const char *fn, jet_builder *src,
                                      const char *what) {
  if (!src) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "the %s builder is NULL", what));
    return NULL;
  }
  if (src->err) {
    jet__builder_fail(b, fn, jet_status_annotate(jet_builder_status(src), "the %s graph: ", what));
    return NULL;
  }
  return src->g;
}

/* ---------------------------------------------------------------- while */

jet_value jet_while_graphs(jet_builder *b, const jet_graph *cond, const jet_graph *body,
                           const jet_value *consts, size_t n_consts, const jet_value *init,
                           size_t n_init, jet_value *outs, size_t outs_cap) {
  static const char fn[] = "jet_while";
  if (!jet__builder_ok(b, fn, consts, n_consts) || !jet__builder_ok(b, fn, init, n_init))
    return JET_NO_VALUE;
  if (!counts_ok(b, fn, n_consts + n_init)) return JET_NO_VALUE;
  jet_graph *subs[2] = {NULL, NULL};
  jet_status st = copy_sub(b, cond, "cond", &subs[0]);
  if (!st) st = copy_sub(b, body, "body", &subs[1]);
  jet_value *ops = st ? NULL : concat3(consts, n_consts, init, n_init, NULL, 0);
  if (!st && !ops) st = jet_status_oom("while operands");
  jet_value first = JET_NO_VALUE;
  if (!st) {
    jet_attr a = {0};
    a.name = "n_consts";
    a.kind = JET_ATTR_INT;
    a.u.i = (int64_t)n_consts;
    st = jet_graph_add_node_sub(b->g, JET_OP_WHILE, ops, (uint32_t)(n_consts + n_init), &a, 1,
                                subs, 2, &first);
  }
  free(ops);
  if (st) {
    jet__builder_fail(b, fn, st);
    return JET_NO_VALUE;
  }
  if (n_init == 0) return JET_NO_VALUE; /* a loop without carry has no results */
  put_outs(first, n_init, 0, outs, outs_cap);
  return first;
}

jet_value jet_while(jet_builder *b, jet_builder *cond, jet_builder *body, const jet_value *consts,
                    size_t n_consts, const jet_value *init, size_t n_init, jet_value *outs,
                    size_t outs_cap) {
  static const char fn[] = "jet_while";
  if (!jet__builder_ok(b, fn, NULL, 0)) return JET_NO_VALUE;
  const jet_graph *cg = builder_graph(b, fn, cond, "cond");
  const jet_graph *bg = cg ? builder_graph(b, fn, body, "body") : NULL;
  if (!bg) return JET_NO_VALUE;
  return jet_while_graphs(b, cg, bg, consts, n_consts, init, n_init, outs, outs_cap);
}

/* ----------------------------------------------------------------- scan */

static jet_value scan_node(jet_builder *b, const char *fn, jet_graph *body, const jet_value *consts,
                           size_t n_consts, const jet_value *init, size_t n_init,
                           const jet_value *xs, size_t n_xs, int64_t length, bool reverse) {
  jet_value *ops = concat3(consts, n_consts, init, n_init, xs, n_xs);
  if (!ops) {
    jet__builder_fail(b, fn, jet_status_oom("scan operands"));
    return JET_NO_VALUE;
  }
  jet_attr a[4];
  memset(a, 0, sizeof a);
  a[0].name = "n_consts";
  a[0].kind = JET_ATTR_INT;
  a[0].u.i = (int64_t)n_consts;
  a[1].name = "n_carry";
  a[1].kind = JET_ATTR_INT;
  a[1].u.i = (int64_t)n_init;
  a[2].name = "length";
  a[2].kind = JET_ATTR_INT;
  a[2].u.i = length;
  a[3].name = "reverse";
  a[3].kind = JET_ATTR_BOOL;
  a[3].u.b = reverse;
  jet_value first = JET_NO_VALUE;
  jet_status st = jet_graph_add_node_sub(b->g, JET_OP_SCAN, ops,
                                         (uint32_t)(n_consts + n_init + n_xs), a, 4, &body, 1,
                                         &first);
  free(ops);
  if (st) {
    jet__builder_fail(b, fn, st);
    return JET_NO_VALUE;
  }
  return first;
}

jet_value jet_scan_graphs(jet_builder *b, const jet_graph *body, const jet_value *consts,
                          size_t n_consts, const jet_value *init, size_t n_init,
                          const jet_value *xs, size_t n_xs, int64_t length, bool reverse,
                          jet_value *outs, size_t outs_cap) {
  static const char fn[] = "jet_scan";
  if (!jet__builder_ok(b, fn, consts, n_consts) || !jet__builder_ok(b, fn, init, n_init) ||
      !jet__builder_ok(b, fn, xs, n_xs))
    return JET_NO_VALUE;
  if (!counts_ok(b, fn, n_consts + n_init + n_xs)) return JET_NO_VALUE;
  jet_graph *sub = NULL;
  jet_status st = copy_sub(b, body, "body", &sub);
  if (st) {
    jet__builder_fail(b, fn, st);
    return JET_NO_VALUE;
  }
  jet_value first =
      scan_node(b, fn, sub, consts, n_consts, init, n_init, xs, n_xs, length, reverse);
  if (first == JET_NO_VALUE) return JET_NO_VALUE;
  uint32_t nr = jet_builder_num_results(b, first);
  if (nr == 0) return JET_NO_VALUE;
  put_outs(first, nr, 0, outs, outs_cap);
  return first;
}

jet_value jet_scan(jet_builder *b, jet_builder *body, const jet_value *consts, size_t n_consts,
                   const jet_value *init, size_t n_init, const jet_value *xs, size_t n_xs,
                   int64_t length, bool reverse, jet_value *outs, size_t outs_cap) {
  static const char fn[] = "jet_scan";
  if (!jet__builder_ok(b, fn, NULL, 0)) return JET_NO_VALUE;
  const jet_graph *bg = builder_graph(b, fn, body, "body");
  if (!bg) return JET_NO_VALUE;
  return jet_scan_graphs(b, bg, consts, n_consts, init, n_init, xs, n_xs, length, reverse, outs,
                         outs_cap);
}

/* ------------------------------------------------------------ fori_loop */

/* Deep-copies the complete graph src into the empty graph dst, inserting one
 * extra parameter of type *extra before src's parameter `at` (no insertion
 * when extra is NULL); value ids of src at or after `at` move up by one.
 * The outputs are left unset (the caller sets them). */
static jet_status copy_insert_param(jet_graph *dst, const jet_graph *src, uint32_t at,
                                    const jet_type *extra) {
  const uint32_t shift = extra ? 1u : 0u;
  for (uint32_t p = 0; p <= src->n_params; p++) {
    if (extra && p == at) JET_RETURN_IF_ERROR(jet_graph_add_param(dst, extra, NULL));
    if (p < src->n_params)
      JET_RETURN_IF_ERROR(jet_graph_add_param(dst, &src->value_types[p], NULL));
  }
  uint32_t cap = 0;
  for (uint32_t i = 0; i < src->n_nodes; i++)
    if (src->nodes[i].n_operands > cap) cap = src->nodes[i].n_operands;
  jet_value *ops = malloc((cap + 1) * sizeof *ops);
  if (!ops) return jet_status_oom("fori_loop body copy");
  jet_status st = NULL;
  for (uint32_t i = 0; !st && i < src->n_nodes; i++) {
    const jet_node *nd = &src->nodes[i];
    for (uint32_t k = 0; k < nd->n_operands; k++)
      ops[k] = nd->operands[k] < at ? nd->operands[k] : nd->operands[k] + shift;
    jet_graph *callee = NULL;
    if (nd->callee) {
      callee = jet_graph_create_child(dst, nd->callee->name);
      st = callee ? jet_graph_copy_into(callee, nd->callee, 0) : jet_status_oom("callee copy");
    }
    jet_graph **subs = NULL;
    if (!st && nd->n_subgraphs) {
      subs = jet_arena_calloc(dst->arena, nd->n_subgraphs, sizeof *subs);
      if (!subs) st = jet_status_oom("sub-graph copy");
    }
    for (uint32_t k = 0; !st && k < nd->n_subgraphs; k++) {
      subs[k] = jet_graph_create_child(dst, nd->subgraphs[k]->name);
      st = subs[k] ? jet_graph_copy_into(subs[k], nd->subgraphs[k], 0)
                   : jet_status_oom("sub-graph copy");
    }
    if (!st)
      st = jet_graph_append_node_sub(dst, nd->op, ops, nd->n_operands, nd->attrs, nd->n_attrs,
                                     nd->results, nd->n_results, callee, subs, nd->n_subgraphs,
                                     nd->transforms, nd->n_transforms, NULL);
  }
  free(ops);
  return st;
}

static const jet_type k_i32_scalar = {.dtype = JET_I32, .rank = 0};

/* The user's fori body takes (consts..., i: i32[], carry...) and returns
 * (carry...) of the types of b's values consts and init. */
static jet_status check_fori_body(const jet_builder *b, const jet_graph *g, const jet_value *consts,
                                  size_t nc, const jet_value *init, size_t ni) {
  char ts[JET_TYPE_STR_MAX], tq[JET_TYPE_STR_MAX];
  if (g->n_params != nc + 1 + ni)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "the body takes %u parameters but fori_loop passes %zu (%zu consts, "
                           "the counter i, %zu carried)",
                           g->n_params, nc + 1 + ni, nc, ni);
  for (size_t p = 0; p < g->n_params; p++) {
    const jet_type *want = p < nc        ? jet_graph_value_type(b->g, consts[p])
                           : p == nc     ? &k_i32_scalar
                                         : jet_graph_value_type(b->g, init[p - nc - 1]);
    if (jet_type_equal(want, &g->value_types[p])) continue;
    const char *role = p < nc ? "const" : p == nc ? "the counter" : "carry";
    const size_t k = p < nc ? p : p == nc ? 0 : p - nc - 1;
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "the body's parameter %zu is %s but %s %zu is %s", p,
                           jet_type_str(&g->value_types[p], ts, sizeof ts), role, k,
                           jet_type_str(want, tq, sizeof tq));
  }
  if (g->n_outputs != ni)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "the body returns %u values but the loop carries %zu%s", g->n_outputs,
                           ni, g->n_outputs == 0 ? " (call jet_builder_return on it first)" : "");
  for (size_t k = 0; k < ni; k++) {
    const jet_type *t = &g->value_types[g->outputs[k]];
    const jet_type *want = jet_graph_value_type(b->g, init[k]);
    if (!jet_type_equal(t, want))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "the body's output %zu is %s but carry %zu is %s", k,
                             jet_type_str(t, ts, sizeof ts), k, jet_type_str(want, tq, sizeof tq));
  }
  return NULL;
}

/* A child of b's graph: the user's body with the counter parameter at
 * index i_at (after `upper` when with_upper), returning (i + 1, carry...). */
static jet_status fori_body(jet_builder *b, const jet_graph *user, size_t nc, bool with_upper,
                            jet_graph **out) {
  jet_graph *g = jet_graph_create_child(b->g, user->name);
  if (!g) return jet_status_oom("fori_loop body");
  JET_RETURN_IF_ERROR(
      copy_insert_param(g, user, (uint32_t)nc, with_upper ? &k_i32_scalar : NULL));
  const jet_value i = (jet_value)nc + (with_upper ? 1u : 0u);
  const int32_t one_v = 1;
  jet_attr a = {0};
  a.name = "value";
  a.kind = JET_ATTR_LITERAL;
  a.u.lit.type = k_i32_scalar;
  a.u.lit.data = &one_v;
  a.u.lit.nbytes = sizeof one_v;
  jet_value one = JET_NO_VALUE, next = JET_NO_VALUE;
  JET_RETURN_IF_ERROR(jet_graph_add_node(g, JET_OP_CONSTANT, NULL, 0, &a, 1, NULL, NULL, 0, &one));
  const jet_value ab[2] = {i, one};
  JET_RETURN_IF_ERROR(jet_graph_add_node(g, JET_OP_ADD, ab, 2, NULL, 0, NULL, NULL, 0, &next));
  jet_value *outs = malloc((user->n_outputs + 1) * sizeof *outs);
  if (!outs) return jet_status_oom("fori_loop body outputs");
  outs[0] = next;
  for (uint32_t k = 0; k < user->n_outputs; k++)
    outs[k + 1] = user->outputs[k] < nc ? user->outputs[k]
                                        : user->outputs[k] + (with_upper ? 1u : 0u);
  jet_status st = jet_graph_set_outputs(g, outs, user->n_outputs + 1);
  free(outs);
  if (!st) *out = g;
  return st;
}

/* A child of b's graph: (consts..., upper, i, carry...) -> i < upper. */
static jet_status fori_cond(jet_builder *b, const jet_value *consts, size_t nc,
                            const jet_value *init, size_t ni, jet_graph **out) {
  jet_graph *g = jet_graph_create_child(b->g, "fori_cond");
  if (!g) return jet_status_oom("fori_loop cond");
  for (size_t p = 0; p < nc + 2 + ni; p++) {
    const jet_type *t = p < nc        ? jet_graph_value_type(b->g, consts[p])
                        : p < nc + 2  ? &k_i32_scalar
                                      : jet_graph_value_type(b->g, init[p - nc - 2]);
    JET_RETURN_IF_ERROR(jet_graph_add_param(g, t, NULL));
  }
  const jet_value ab[2] = {(jet_value)nc + 1, (jet_value)nc};
  jet_value lt = JET_NO_VALUE;
  JET_RETURN_IF_ERROR(jet_graph_add_node(g, JET_OP_LT, ab, 2, NULL, 0, NULL, NULL, 0, &lt));
  JET_RETURN_IF_ERROR(jet_graph_set_outputs(g, &lt, 1));
  *out = g;
  return NULL;
}

static const jet_graph *fori_user_body(jet_builder *b, const char *fn, jet_builder *body,
                                       const jet_value *consts, size_t nc, const jet_value *init,
                                       size_t ni) {
  if (!jet__builder_ok(b, fn, consts, nc) || !jet__builder_ok(b, fn, init, ni)) return NULL;
  if (!counts_ok(b, fn, nc + ni + 2)) return NULL;
  for (size_t k = 0; k < nc + ni; k++) {
    const jet_value v = k < nc ? consts[k] : init[k - nc];
    if (v >= b->g->n_values) {
      jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                               "%s %zu is %u, not a value of the graph",
                                               k < nc ? "const" : "init", k < nc ? k : k - nc, v));
      return NULL;
    }
  }
  const jet_graph *ug = builder_graph(b, fn, body, "body");
  if (!ug) return NULL;
  jet_status st = check_fori_body(b, ug, consts, nc, init, ni);
  if (st) {
    jet__builder_fail(b, fn, jet_status_annotate(st, "fori_loop: "));
    return NULL;
  }
  return ug;
}

jet_value jet_fori_loop(jet_builder *b, int64_t lower, int64_t upper, jet_builder *body,
                        const jet_value *consts, size_t n_consts, const jet_value *init,
                        size_t n_init, jet_value *outs, size_t outs_cap) {
  static const char fn[] = "jet_fori_loop";
  if (!jet__builder_ok(b, fn, NULL, 0)) return JET_NO_VALUE;
  if (lower < INT32_MIN || lower > INT32_MAX || upper < INT32_MIN || upper > INT32_MAX) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                             "bounds [%lld, %lld) do not fit the i32 counter",
                                             (long long)lower, (long long)upper));
    return JET_NO_VALUE;
  }
  const jet_graph *ug = fori_user_body(b, fn, body, consts, n_consts, init, n_init);
  if (!ug) return JET_NO_VALUE;
  jet_graph *sub = NULL;
  jet_status st = fori_body(b, ug, n_consts, false, &sub);
  if (st) {
    jet__builder_fail(b, fn, jet_status_annotate(st, "building the scan body: "));
    return JET_NO_VALUE;
  }
  const int32_t lo = (int32_t)lower;
  const jet_value i0 = jet_constant(b, &k_i32_scalar, &lo);
  if (i0 == JET_NO_VALUE) return JET_NO_VALUE;
  jet_value *carry = concat3(&i0, 1, init, n_init, NULL, 0);
  if (!carry) {
    jet__builder_fail(b, fn, jet_status_oom("fori_loop carry"));
    return JET_NO_VALUE;
  }
  const int64_t length = upper > lower ? upper - lower : 0;
  jet_value first =
      scan_node(b, fn, sub, consts, n_consts, carry, n_init + 1, NULL, 0, length, false);
  free(carry);
  if (first == JET_NO_VALUE || n_init == 0) return JET_NO_VALUE;
  put_outs(first, n_init, 1, outs, outs_cap);
  return first + 1;
}

jet_value jet_fori_loop_dynamic(jet_builder *b, jet_value lower, jet_value upper,
                                jet_builder *body, const jet_value *consts, size_t n_consts,
                                const jet_value *init, size_t n_init, jet_value *outs,
                                size_t outs_cap) {
  static const char fn[] = "jet_fori_loop_dynamic";
  const jet_value bounds[2] = {lower, upper};
  if (!jet__builder_ok(b, fn, bounds, 2)) return JET_NO_VALUE;
  for (int k = 0; k < 2; k++) {
    const jet_type *t = jet_graph_value_type(b->g, bounds[k]);
    char ts[JET_TYPE_STR_MAX];
    if (!t || !jet_type_equal(t, &k_i32_scalar)) {
      jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                               "the %s bound must be an i32 scalar, got %s",
                                               k ? "upper" : "lower",
                                               t ? jet_type_str(t, ts, sizeof ts) : "no value"));
      return JET_NO_VALUE;
    }
  }
  const jet_graph *ug = fori_user_body(b, fn, body, consts, n_consts, init, n_init);
  if (!ug) return JET_NO_VALUE;
  jet_graph *subs[2] = {NULL, NULL};
  jet_status st = fori_cond(b, consts, n_consts, init, n_init, &subs[0]);
  if (!st) st = fori_body(b, ug, n_consts, true, &subs[1]);
  jet_value *ops = st ? NULL : malloc((n_consts + n_init + 2) * sizeof *ops);
  if (!st && !ops) st = jet_status_oom("fori_loop operands");
  jet_value first = JET_NO_VALUE;
  if (!st) {
    if (n_consts) memcpy(ops, consts, n_consts * sizeof *ops);
    ops[n_consts] = upper;
    ops[n_consts + 1] = lower;
    if (n_init) memcpy(ops + n_consts + 2, init, n_init * sizeof *ops);
    jet_attr a = {0};
    a.name = "n_consts";
    a.kind = JET_ATTR_INT;
    a.u.i = (int64_t)n_consts + 1;
    st = jet_graph_add_node_sub(b->g, JET_OP_WHILE, ops, (uint32_t)(n_consts + n_init + 2), &a, 1,
                                subs, 2, &first);
  }
  free(ops);
  if (st) {
    jet__builder_fail(b, fn, jet_status_annotate(st, "fori_loop: "));
    return JET_NO_VALUE;
  }
  if (n_init == 0) return JET_NO_VALUE;
  put_outs(first, n_init, 1, outs, outs_cap);
  return first + 1;
}
