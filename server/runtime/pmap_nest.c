/* Nested pmap axes (pmap_nest.h): the per-inner-member split of the
 * outer bindings a nested pmap body's collectives use. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "collective/comm.h"
#include "exec.h"
#include "jet/graph.h"
#include "jet/ops.h"
#include "pmap_nest.h"

typedef struct split {
  atomic_uint refs; /* outer members holding it */
  uint32_t n;
  jet_comm *comms[]; /* [n]: one per inner member index */
} split;

struct jet_pmap_nest {
  uint32_t n, depth;
  split **splits;      /* [depth]; NULL = binding kept */
  jet_exec_axis *axes; /* [n * depth]: inner member m's chain at m * depth */
};

static bool uses_axis(const jet_graph *g, const char *name) {
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *nd = &g->nodes[i];
    if (jet_op_is_collective(nd->op)) {
      const jet_attr *a = jet_node_attr(nd, "axis_name");
      if (a && a->kind == JET_ATTR_STR && a->u.s && strcmp(a->u.s, name) == 0) return true;
    }
    for (uint32_t k = 0; k < nd->n_subgraphs; k++)
      if (nd->subgraphs[k] && uses_axis(nd->subgraphs[k], name)) return true;
  }
  return false;
}

static void split_release(split *sp) {
  if (!sp || atomic_fetch_sub(&sp->refs, 1) != 1) return;
  for (uint32_t m = 0; m < sp->n; m++) jet_comm_destroy(sp->comms[m]);
  free(sp);
}

/* Rank 0 of a's group creates the split, one psum hands it to the peers. */
static jet_status split_exchange(const jet_exec_axis *a, uint32_t n, const jet_exec_ctl *ctl,
                                 split **out) {
  split *mine = NULL;
  jet_status st = NULL;
  if (a->rank == 0) {
    mine = calloc(1, sizeof *mine + n * sizeof(jet_comm *));
    if (!mine) st = jet_status_oom("nested pmap communicators");
    for (uint32_t m = 0; !st && m < n; m++) st = jet_comm_create(NULL, a->size, &mine->comms[m]);
    if (mine) {
      mine->n = n;
      atomic_init(&mine->refs, a->size);
    }
    if (st) { /* the peers learn it from the null pointer */
      for (uint32_t m = 0; m < n; m++) jet_comm_destroy(mine ? mine->comms[m] : NULL);
      free(mine);
      mine = NULL;
    }
  }
  int64_t in = (int64_t)(intptr_t)mine, got = 0;
  jet_buf bi = {{.dtype = JET_I64, .rank = 0}, &in}, bo = {{.dtype = JET_I64, .rank = 0}, &got};
  jet_status xs = jet_comm_psum(a->comm, a->rank, &bi, &bo, ctl);
  if (xs) { /* nobody got it */
    if (mine) {
      atomic_store(&mine->refs, 1);
      split_release(mine);
    }
    jet_status_free(st);
    return jet_status_annotate(xs, "nested pmap: sharing the communicators of axis '%s': ",
                               a->name);
  }
  if (!got)
    return st ? st
              : jet_status_make(JET_RESOURCE_EXHAUSTED,
                                "nested pmap: member 0 of axis '%s' could not create its "
                                "communicators",
                                a->name);
  *out = (split *)(intptr_t)got;
  return NULL;
}

jet_status jet_pmap_nest_begin(const jet_exec_axis *outer, const jet_graph *body, const char *own,
                               uint32_t n, const jet_exec_ctl *ctl, jet_pmap_nest **out) {
  *out = NULL;
  uint32_t depth = 0, need = 0;
  for (const jet_exec_axis *a = outer; a; a = a->outer) depth++;
  if (!depth) return NULL;
  bool *want = calloc(depth, sizeof *want);
  if (!want) return jet_status_oom("nested pmap");
  uint32_t k = 0;
  for (const jet_exec_axis *a = outer; a; a = a->outer, k++) {
    bool shadowed = own && a->name && strcmp(own, a->name) == 0;
    for (const jet_exec_axis *b = outer; b != a && !shadowed; b = b->outer)
      shadowed = b->name && a->name && strcmp(b->name, a->name) == 0;
    want[k] = !shadowed && a->name && uses_axis(body, a->name);
    need += want[k];
  }
  if (!need) {
    free(want);
    return NULL;
  }
  jet_pmap_nest *ns = calloc(1, sizeof *ns);
  if (ns) {
    ns->splits = calloc(depth, sizeof *ns->splits);
    ns->axes = calloc((size_t)n * depth, sizeof *ns->axes);
  }
  if (!ns || !ns->splits || !ns->axes) {
    if (ns) free(ns->splits), free(ns->axes);
    free(ns), free(want);
    return jet_status_oom("nested pmap");
  }
  ns->n = n;
  ns->depth = depth;
  jet_status st = NULL;
  k = 0;
  for (const jet_exec_axis *a = outer; a && !st; a = a->outer, k++)
    if (want[k]) st = split_exchange(a, n, ctl, &ns->splits[k]);
  free(want);
  if (st) {
    jet_pmap_nest_end(ns);
    return st;
  }
  for (uint32_t m = 0; m < n; m++) {
    k = 0;
    for (const jet_exec_axis *a = outer; a; a = a->outer, k++) {
      jet_exec_axis *x = &ns->axes[(size_t)m * depth + k];
      *x = *a;
      if (ns->splits[k]) x->comm = ns->splits[k]->comms[m];
      x->outer = k + 1 < depth ? x + 1 : NULL;
    }
  }
  *out = ns;
  return NULL;
}

const jet_exec_axis *jet_pmap_nest_axes(const jet_pmap_nest *nest, const jet_exec_axis *outer,
                                        uint32_t m) {
  return nest ? &nest->axes[(size_t)m * nest->depth] : outer;
}

void jet_pmap_nest_abort(jet_pmap_nest *nest, uint32_t m, jet_status why) {
  for (uint32_t k = 0; nest && k < nest->depth; k++)
    if (nest->splits[k]) jet_comm_abort(nest->splits[k]->comms[m], why);
}

void jet_pmap_nest_end(jet_pmap_nest *nest) {
  if (!nest) return;
  for (uint32_t k = 0; k < nest->depth; k++) split_release(nest->splits[k]);
  free(nest->splits);
  free(nest->axes);
  free(nest);
}
