/* Lowering (lower.h): groups nodes into fused steps and kernel steps in one
 * pass over the graph, then builds each fused step's tile program
 * (lower_fused.c) and plans memory (lower_plan.c).
 *
 * Grouping. Nodes are visited in order. An elementwise node (one the tile
 * kernels run, runtime/fused/tile.h) joins an open group of its result's
 * shape — the group producing one of its operands if there is one, else the
 * latest open group of that shape — or opens a new one. A group is closed
 * (becomes a step, emitted at that point of the program) when a node outside
 * it needs one of its values in memory, when a reduction is attached, when
 * it reaches its size limit, or at the end. A reduce_sum/max/min/prod over
 * a prefix or a suffix of the axes of a group's value becomes the group's
 * trailing reduction. broadcast_in_dim is never computed on its own: fused
 * consumers read its source through broadcast strides; any other consumer
 * gets it materialised by a one-instruction fused step. reshape, squeeze
 * and expand_dims of a value in memory are aliases of it (no copy).
 * Constants are read from the graph. cond, while and scan become control
 * steps whose sub-graphs are lowered into programs of their own
 * (lower_control.c). Every other node is a kernel step.
 * A value of a group is materialised (written to memory) when something
 * outside the group uses it or it is an output; otherwise it lives only in
 * tile registers. */
#include "compiler/lower.h"

#include <stdlib.h>
#include <string.h>

#include "compiler/lower_internal.h"

#define MAX_MEMBERS 160

static bool same_shape(const jet_type *a, const jet_type *b) {
  if (a->rank != b->rank) return false;
  for (int d = 0; d < a->rank; d++)
    if (a->dims[d] != b->dims[d]) return false;
  return true;
}

static bool is_reshape(jet_op op) {
  return op == JET_OP_RESHAPE || op == JET_OP_SQUEEZE || op == JET_OP_EXPAND_DIMS;
}

static bool is_reduce(jet_op op) {
  return op == JET_OP_REDUCE_SUM || op == JET_OP_REDUCE_MAX || op == JET_OP_REDUCE_MIN ||
         op == JET_OP_REDUCE_PROD;
}

jet_value jet__lower_root(const lctx *c, jet_value v) {
  while (c->alias_of[v] != v) v = c->alias_of[v];
  return v;
}

static jet_status push_step(lctx *c, uint8_t kind, uint32_t node, int32_t group) {
  if (c->n_steps == c->cap_steps) {
    uint32_t cap = c->cap_steps ? c->cap_steps * 2 : 64;
    lstep *s = realloc(c->steps, cap * sizeof *s);
    if (!s) return jet_status_oom("program steps");
    c->steps = s;
    c->cap_steps = cap;
  }
  c->steps[c->n_steps++] = (lstep){.kind = kind, .node = node, .group = group};
  return NULL;
}

static jet_status close_group(lctx *c, int32_t gi) {
  lgroup *G = &c->groups[gi];
  if (!G->open) return NULL;
  G->open = false;
  const uint32_t step = c->n_steps;
  JET_RETURN_IF_ERROR(push_step(c, JET_STEP_FUSED, G->members[G->n_members - 1], gi));
  G->step = step;
  for (uint32_t m = 0; m < G->n_members; m++) {
    const jet_node *n = &c->g->nodes[G->members[m]];
    for (uint32_t k = 0; k < n->n_results; k++) {
      const jet_value v = n->first_result + k;
      const bool outside = c->is_output[v] || c->uses[v] > c->group_uses[v] ||
                           (int32_t)G->members[m] == G->red_node;
      c->state[v] = outside ? V_MAT : V_REG;
      c->def_step[v] = outside ? (int32_t)step : -1;
    }
  }
  return NULL;
}

static jet_status new_group(lctx *c, const jet_type *shape, int32_t *out) {
  if (c->n_groups == c->cap_groups) {
    uint32_t cap = c->cap_groups ? c->cap_groups * 2 : 32;
    lgroup *g = realloc(c->groups, cap * sizeof *g);
    if (!g) return jet_status_oom("fusion groups");
    c->groups = g;
    c->cap_groups = cap;
  }
  lgroup *G = &c->groups[c->n_groups];
  memset(G, 0, sizeof *G);
  G->members = malloc(MAX_MEMBERS * sizeof *G->members);
  if (!G->members) return jet_status_oom("fusion group");
  G->shape = *shape;
  G->open = true;
  G->red_node = -1;
  *out = (int32_t)c->n_groups++;
  return NULL;
}

static jet_status add_member(lctx *c, int32_t gi, uint32_t node_index) {
  lgroup *G = &c->groups[gi];
  const jet_node *n = &c->g->nodes[node_index];
  G->members[G->n_members++] = node_index;
  for (uint32_t k = 0; k < n->n_operands; k++)
    if (c->group_of[n->operands[k]] == gi) c->group_uses[n->operands[k]]++;
  for (uint32_t k = 0; k < n->n_results; k++) {
    c->group_of[n->first_result + k] = gi;
    c->state[n->first_result + k] = V_GROUP;
  }
  return NULL;
}

static jet_status ensure_mat(lctx *c, jet_value v);

/* Materialises broadcast node b's value with a one-instruction fused step. */
static jet_status materialise_bcast(lctx *c, jet_value v) {
  const int32_t ni = c->g->value_node[v];
  const jet_node *n = &c->g->nodes[ni];
  JET_RETURN_IF_ERROR(ensure_mat(c, n->operands[0]));
  int32_t gi;
  JET_RETURN_IF_ERROR(new_group(c, &n->results[0], &gi));
  JET_RETURN_IF_ERROR(add_member(c, gi, (uint32_t)ni));
  c->group_uses[v] = 0;
  c->state[v] = V_GROUP;
  /* Force it into memory: the consumer asking is outside the group. */
  lgroup *G = &c->groups[gi];
  G->open = false;
  const uint32_t step = c->n_steps;
  JET_RETURN_IF_ERROR(push_step(c, JET_STEP_FUSED, (uint32_t)ni, gi));
  G->step = step;
  c->state[v] = V_MAT;
  c->def_step[v] = (int32_t)step;
  return NULL;
}

static jet_status ensure_mat(lctx *c, jet_value v) {
  switch (c->state[v]) {
    case V_MAT: return NULL;
    case V_GROUP: return close_group(c, c->group_of[v]);
    case V_VIRT: return materialise_bcast(c, v);
    default:
      return jet_status_make(JET_INTERNAL, "lowering: value %%%u is needed but not available", v);
  }
}

/* Makes operand u readable by a member of group gi: a value of gi itself, a
 * scalar, a broadcast (its source in memory) or a value in memory. */
static jet_status ensure_readable(lctx *c, int32_t gi, jet_value u) {
  if (c->state[u] == V_GROUP && c->group_of[u] == gi) return NULL;
  if (c->state[u] == V_VIRT) {
    const jet_node *b = &c->g->nodes[c->g->value_node[u]];
    return ensure_mat(c, b->operands[0]);
  }
  return ensure_mat(c, u);
}

static bool resolvable(const lctx *c, const jet_node *n) {
  if (!jet_tile_is_elementwise(n->op) || n->n_results != 1 || n->n_operands > 3) return false;
  jet_dtype in[3];
  for (uint32_t k = 0; k < n->n_operands; k++) {
    const jet_type *t = &c->g->value_types[n->operands[k]];
    if (t->rank != 0 && !same_shape(t, &n->results[0])) return false;
    in[k] = t->dtype;
  }
  jet_tile_op op;
  jet_status st = jet_tile_resolve(n, in, n->results[0].dtype, &op);
  if (st) {
    jet_status_free(st);
    return false;
  }
  return true;
}

/* Picks the open group an elementwise node joins: the producer of an
 * operand with the node's shape, else the latest open group of that shape. */
static int32_t pick_group(lctx *c, const jet_node *n) {
  for (uint32_t k = 0; k < n->n_operands; k++) {
    const jet_value u = n->operands[k];
    if (c->state[u] != V_GROUP) continue;
    const lgroup *G = &c->groups[c->group_of[u]];
    if (G->open && same_shape(&G->shape, &n->results[0]) && G->n_members < MAX_MEMBERS)
      return c->group_of[u];
  }
  for (int32_t gi = (int32_t)c->n_groups - 1; gi >= 0; gi--) {
    const lgroup *G = &c->groups[gi];
    if (G->open && same_shape(&G->shape, &n->results[0]) && G->n_members < MAX_MEMBERS &&
        G->red_node < 0)
      return gi;
  }
  return -1;
}

static jet_status visit_elementwise(lctx *c, uint32_t i) {
  const jet_node *n = &c->g->nodes[i];
  int32_t gi = pick_group(c, n);
  if (gi < 0) JET_RETURN_IF_ERROR(new_group(c, &n->results[0], &gi));
  for (uint32_t k = 0; k < n->n_operands; k++) {
    JET_RETURN_IF_ERROR(ensure_readable(c, gi, n->operands[k]));
    if (!c->groups[gi].open) { /* closed by its own operand's needs: start anew */
      JET_RETURN_IF_ERROR(new_group(c, &n->results[0], &gi));
      k = (uint32_t)-1;
    }
  }
  return add_member(c, gi, i);
}

/* Axes of a reduce as [outer, inner] over shape s: ROWS when they are a
 * suffix, COLS when a prefix; 0 otherwise. */
static uint8_t reduce_mode(const jet_node *n, const jet_type *s, int64_t *outer, int64_t *inner) {
  const jet_attr *a = jet_node_attr(n, "axes");
  if (!a || a->kind != JET_ATTR_INTS || a->u.ints.n == 0) return JET_RED_NONE;
  bool in[JET_MAX_RANK] = {false};
  for (uint32_t k = 0; k < a->u.ints.n; k++) {
    int64_t ax = a->u.ints.v[k];
    if (ax < 0) ax += s->rank;
    if (ax < 0 || ax >= s->rank || in[ax]) return JET_RED_NONE;
    in[ax] = true;
  }
  const int nr = (int)a->u.ints.n;
  bool suffix = true, prefix = true;
  for (int d = 0; d < s->rank; d++) {
    if (in[d] != (d >= s->rank - nr)) suffix = false;
    if (in[d] != (d < nr)) prefix = false;
  }
  int64_t lo = 1, hi = 1;
  if (suffix) {
    for (int d = 0; d < s->rank; d++) *(d < s->rank - nr ? &lo : &hi) *= s->dims[d];
    *outer = lo;
    *inner = hi;
    return JET_RED_ROWS;
  }
  if (prefix) {
    for (int d = 0; d < s->rank; d++) *(d < nr ? &lo : &hi) *= s->dims[d];
    *outer = lo;
    *inner = hi;
    return JET_RED_COLS;
  }
  return JET_RED_NONE;
}

/* A reduction fused into the group computing its operand (or a new group
 * reading it); false when it stays a kernel. */
static jet_status visit_reduce(lctx *c, uint32_t i, bool *fused) {
  const jet_node *n = &c->g->nodes[i];
  const jet_value x = n->operands[0];
  const jet_type *xt = &c->g->value_types[x];
  *fused = false;
  int64_t outer = 1, inner = 1;
  const uint8_t mode = reduce_mode(n, xt, &outer, &inner);
  if (!mode || xt->rank == 0) return NULL;
  jet_status st = jet_tile_reduce_check(n->op, xt->dtype);
  if (st) {
    jet_status_free(st);
    return NULL;
  }
  int32_t gi = -1;
  if (c->state[x] == V_GROUP) {
    const lgroup *G = &c->groups[c->group_of[x]];
    if (G->open && G->red_node < 0 && same_shape(&G->shape, xt) && G->n_members < MAX_MEMBERS)
      gi = c->group_of[x];
  }
  if (gi < 0) {
    JET_RETURN_IF_ERROR(new_group(c, xt, &gi));
    JET_RETURN_IF_ERROR(ensure_readable(c, gi, x));
    if (!c->groups[gi].open) return jet_status_make(JET_INTERNAL, "lowering: reduce group closed");
  }
  lgroup *G = &c->groups[gi];
  G->red_node = (int32_t)i;
  G->red_mode = mode;
  G->outer = outer;
  G->inner = inner;
  JET_RETURN_IF_ERROR(add_member(c, gi, i));
  *fused = true;
  return close_group(c, gi);
}

static jet_status visit(lctx *c, uint32_t i) {
  const jet_node *n = &c->g->nodes[i];
  const jet_value r = n->first_result;
  if (n->op == JET_OP_CALL)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "node %u: call nodes are inlined before lowering", i);
  if (n->op == JET_OP_CONSTANT) {
    c->state[r] = V_MAT;
    return NULL;
  }
  if (n->op == JET_OP_BROADCAST_IN_DIM) {
    c->state[r] = V_VIRT;
    return NULL;
  }
  if (is_reshape(n->op)) {
    JET_RETURN_IF_ERROR(ensure_mat(c, n->operands[0]));
    c->alias_of[r] = n->operands[0];
    c->state[r] = V_MAT;
    return NULL;
  }
  if (resolvable(c, n)) return visit_elementwise(c, i);
  if (is_reduce(n->op)) {
    bool fused;
    JET_RETURN_IF_ERROR(visit_reduce(c, i, &fused));
    if (fused) return NULL;
  }
  for (uint32_t k = 0; k < n->n_operands; k++) JET_RETURN_IF_ERROR(ensure_mat(c, n->operands[k]));
  const uint32_t step = c->n_steps;
  /* cond / while / scan: a control step running sub-programs
   * (lower_control.c). */
  const uint8_t kind = jet_op_takes_subgraphs(n->op) ? JET_STEP_CONTROL : JET_STEP_KERNEL;
  JET_RETURN_IF_ERROR(push_step(c, kind, i, -1));
  for (uint32_t k = 0; k < n->n_results; k++) {
    c->state[r + k] = V_MAT;
    c->def_step[r + k] = (int32_t)step;
  }
  return NULL;
}

static void ctx_free(lctx *c) {
  for (uint32_t gi = 0; gi < c->n_groups; gi++) free(c->groups[gi].members);
  free(c->groups);
  free(c->steps);
  free(c->uses);
  free(c->group_uses);
  free(c->group_of);
  free(c->state);
  free(c->def_step);
  free(c->alias_of);
  free(c->is_output);
}

static jet_status group_graph(lctx *c) {
  const jet_graph *g = c->g;
  const uint32_t nv = g->n_values ? g->n_values : 1;
  c->uses = calloc(nv, sizeof *c->uses);
  c->group_uses = calloc(nv, sizeof *c->group_uses);
  c->group_of = malloc(nv * sizeof *c->group_of);
  c->state = calloc(nv, 1);
  c->def_step = malloc(nv * sizeof *c->def_step);
  c->alias_of = malloc(nv * sizeof *c->alias_of);
  c->is_output = calloc(nv, 1);
  if (!c->uses || !c->group_uses || !c->group_of || !c->state || !c->def_step || !c->alias_of ||
      !c->is_output)
    return jet_status_oom("lowering tables");
  for (uint32_t v = 0; v < g->n_values; v++) {
    c->group_of[v] = -1;
    c->def_step[v] = -1;
    c->alias_of[v] = v;
  }
  for (uint32_t p = 0; p < g->n_params; p++) c->state[p] = V_MAT;
  for (uint32_t i = 0; i < g->n_nodes; i++)
    for (uint32_t k = 0; k < g->nodes[i].n_operands; k++) c->uses[g->nodes[i].operands[k]]++;
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    c->uses[g->outputs[o]]++;
    c->is_output[g->outputs[o]] = 1;
  }
  for (uint32_t i = 0; i < g->n_nodes; i++) JET_RETURN_IF_ERROR(visit(c, i));
  for (uint32_t gi = 0; gi < c->n_groups; gi++) JET_RETURN_IF_ERROR(close_group(c, (int32_t)gi));
  for (uint32_t o = 0; o < g->n_outputs; o++) JET_RETURN_IF_ERROR(ensure_mat(c, g->outputs[o]));
  return NULL;
}

jet_status jet_lower(const jet_graph *g, jet_program **out) {
  *out = NULL;
  lctx c = {.g = g};
  jet_program *p = calloc(1, sizeof *p);
  jet_status st = p ? NULL : jet_status_oom("program");
  if (!st) {
    p->graph = g;
    st = group_graph(&c);
  }
  if (!st) st = jet__lower_build(&c, p);
  if (!st) st = jet__lower_plan(&c, p);
  if (!st) st = jet__lower_control(p);
  ctx_free(&c);
  if (st) {
    jet_program_destroy(p);
    return st;
  }
  *out = p;
  return NULL;
}
