/* Structured control flow in the reference executor. Every body runs with
 * jet_exec_graph and the request's controls (cancel flag, deadline), which
 * loops also poll before every iteration, so an endless loop stops within
 * one iteration of a cancel.
 *
 * cond runs the branch its predicate picks (bool: false -> branch 0, true
 * -> branch 1; i32 index clamped to [0, n_branches-1] as lax.switch does)
 * on the operands after the predicate. while runs body while cond is true;
 * scan runs body once per index of its xs' leading axis. Like call, their
 * results are fresh allocations (the compiler runs compiled bodies into
 * planned buffers instead: runtime/program_control.c). */
#include <stdlib.h>
#include <string.h>

#include "kernels.h"
#include "mem.h"

uint32_t jet__cond_branch(const jet_node *node, const jet_buf *pred) {
  const uint32_t n = node->n_subgraphs;
  if (n == 0) return 0;
  if (pred->type.dtype == JET_BOOL) {
    uint8_t b = 0;
    memcpy(&b, pred->data, 1);
    return b ? (n > 1 ? 1u : 0u) : 0u;
  }
  int32_t i = 0;
  memcpy(&i, pred->data, sizeof i);
  if (i < 0) return 0;
  if ((uint32_t)i >= n) return n - 1;
  return (uint32_t)i;
}

jet_status jet__exec_cond(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) {
  if (node->n_subgraphs == 0 || !node->subgraphs)
    return jet_status_make(JET_INVALID_ARGUMENT, "cond: no branches");
  if (node->n_operands < 1) return jet_status_make(JET_INVALID_ARGUMENT, "cond: no predicate");
  const uint32_t k = jet__cond_branch(node, &in[0]);
  const jet_graph *b = node->subgraphs[k];
  if (b->n_outputs != node->n_results)
    return jet_status_make(JET_INVALID_ARGUMENT, "cond: branch %u has %u outputs, node has %u results",
                           k, b->n_outputs, node->n_results);
  jet_status st = jet_exec_graph(b, in + 1, node->n_operands - 1, out, ctl);
  if (st) return jet_status_annotate(st, "cond branch %u: ", k);
  return NULL;
}

static void free_bufs(jet_buf *b, uint32_t n) {
  for (uint32_t k = 0; k < n; k++) {
    jet_mem_free(b[k].data);
    b[k].data = NULL;
  }
}

/* The loop's working set: args = consts then the current carry (then, for
 * scan, the current slices); the carry's buffers are owned once the first
 * iteration has run (before that they are the node's operands). */
typedef struct loop_state {
  jet_buf *args;  /* [n_operands] */
  jet_buf *res;   /* [body outputs] */
  bool carry_owned;
  uint32_t nc, nk;
} loop_state;

static jet_status loop_init(loop_state *L, const jet_node *node, const jet_buf *in,
                            uint32_t n_res) {
  L->args = calloc(node->n_operands ? node->n_operands : 1, sizeof *L->args);
  L->res = calloc(n_res ? n_res : 1, sizeof *L->res);
  L->carry_owned = false;
  if (!L->args || !L->res) return jet_status_oom("loop buffers");
  memcpy(L->args, in, node->n_operands * sizeof *in);
  return NULL;
}

/* The body's first nk results become the carry. */
static void loop_take_carry(loop_state *L) {
  if (L->carry_owned) free_bufs(L->args + L->nc, L->nk);
  memcpy(L->args + L->nc, L->res, L->nk * sizeof *L->res);
  for (uint32_t k = 0; k < L->nk; k++) L->res[k].data = NULL;
  L->carry_owned = true;
}

/* Moves (or copies, when still the operands) the carry to out[0..nk). */
static jet_status loop_finish(loop_state *L, jet_buf *out) {
  for (uint32_t k = 0; k < L->nk; k++) {
    jet_buf *c = &L->args[L->nc + k];
    out[k].type = c->type;
    if (L->carry_owned) {
      out[k].data = c->data;
      c->data = NULL;
      continue;
    }
    const size_t nb = jet_type_nbytes(&c->type);
    out[k].data = jet_mem_alloc(nb);
    if (!out[k].data) {
      free_bufs(out, k);
      return jet_status_make(JET_RESOURCE_EXHAUSTED, "out of memory copying carry %u", k);
    }
    if (nb) memcpy(out[k].data, c->data, nb);
  }
  L->carry_owned = false;
  return NULL;
}

static void loop_free(loop_state *L) {
  if (L->args && L->carry_owned) free_bufs(L->args + L->nc, L->nk);
  free(L->args);
  free(L->res);
}

jet_status jet__exec_while(const jet_node *node, const jet_buf *in, jet_buf *out,
                           const jet_exec_ctl *ctl) {
  if (node->n_subgraphs != 2) return jet_status_make(JET_INVALID_ARGUMENT, "while: no cond/body");
  const jet_graph *cg = node->subgraphs[0], *bg = node->subgraphs[1];
  loop_state L = {.nc = (uint32_t)jet_node_attr_int(node, "n_consts", 0)};
  L.nk = node->n_operands - L.nc;
  jet_status st = loop_init(&L, node, in, bg->n_outputs);
  for (uint64_t it = 0; !st; it++) {
    st = jet_exec_poll(ctl, "while", it);
    if (st) break;
    jet_buf pred = {0};
    st = jet_exec_graph(cg, L.args, node->n_operands, &pred, ctl);
    if (st) {
      st = jet_status_annotate(st, "while cond (iteration %llu): ", (unsigned long long)it);
      break;
    }
    uint8_t go = 0;
    memcpy(&go, pred.data, 1);
    jet_mem_free(pred.data);
    if (!go) break;
    st = jet_exec_graph(bg, L.args, node->n_operands, L.res, ctl);
    if (st) {
      st = jet_status_annotate(st, "while body (iteration %llu): ", (unsigned long long)it);
      break;
    }
    loop_take_carry(&L);
  }
  if (!st) st = loop_finish(&L, out);
  loop_free(&L);
  return st;
}

jet_status jet__exec_scan(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) {
  if (node->n_subgraphs != 1) return jet_status_make(JET_INVALID_ARGUMENT, "scan: no body");
  const jet_graph *bg = node->subgraphs[0];
  loop_state L = {.nc = (uint32_t)jet_node_attr_int(node, "n_consts", 0),
                  .nk = (uint32_t)jet_node_attr_int(node, "n_carry", 0)};
  const int64_t length = jet_node_attr_int(node, "length", 0);
  const bool reverse = jet_node_attr_bool(node, "reverse", false);
  const uint32_t x0 = L.nc + L.nk, ny = bg->n_outputs - L.nk;
  jet_buf *ys = out + L.nk;
  for (uint32_t j = 0; j < ny; j++) {
    ys[j].type = node->results[L.nk + j];
    ys[j].data = jet_mem_alloc(jet_type_nbytes(&ys[j].type));
    if (!ys[j].data) {
      free_bufs(ys, j);
      return jet_status_make(JET_RESOURCE_EXHAUSTED, "scan: out of memory for stacked output %u", j);
    }
  }
  jet_status st = loop_init(&L, node, in, bg->n_outputs);
  for (int64_t it = 0; !st && it < length; it++) {
    const int64_t i = reverse ? length - 1 - it : it;
    st = jet_exec_poll(ctl, "scan", (uint64_t)it);
    if (st) break;
    for (uint32_t k = x0; k < node->n_operands; k++) {
      const jet_type s = jet_type_drop_axis(&in[k].type, 0);
      L.args[k].type = s;
      L.args[k].data = (char *)in[k].data + (size_t)i * jet_type_nbytes(&s);
    }
    st = jet_exec_graph(bg, L.args, node->n_operands, L.res, ctl);
    if (st) {
      st = jet_status_annotate(st, "scan body (iteration %lld): ", (long long)i);
      break;
    }
    for (uint32_t j = 0; j < ny; j++) {
      const size_t nb = jet_type_nbytes(&L.res[L.nk + j].type);
      if (nb) memcpy((char *)ys[j].data + (size_t)i * nb, L.res[L.nk + j].data, nb);
    }
    free_bufs(L.res + L.nk, ny);
    loop_take_carry(&L);
  }
  if (!st) st = loop_finish(&L, out);
  if (st) free_bufs(ys, ny);
  loop_free(&L);
  return st;
}

jet_status jet__exec_control(const jet_node *node, const jet_buf *in, jet_buf *out,
                             const jet_exec_ctl *ctl) {
  switch (node->op) {
    case JET_OP_COND: return jet__exec_cond(node, in, out, ctl);
    case JET_OP_WHILE: return jet__exec_while(node, in, out, ctl);
    case JET_OP_SCAN: return jet__exec_scan(node, in, out, ctl);
    case JET_OP_PMAP: return jet__exec_pmap(node, in, out, ctl);
    default:
      return jet_status_make(JET_INTERNAL, "%s is not a control-flow op", jet_op_name(node->op));
  }
}

jet_status jet__control_into(const jet_node *node, const jet_buf *in, jet_buf *out,
                             const jet_exec_ctl *ctl) {
  jet_buf stack[4];
  jet_buf *tmp = node->n_results <= 4 ? stack : calloc(node->n_results, sizeof *tmp);
  if (!tmp) return jet_status_oom("control-flow results");
  jet_status st = jet__exec_control(node, in, tmp, ctl);
  for (uint32_t k = 0; !st && k < node->n_results; k++) {
    const size_t nb = jet_type_nbytes(&out[k].type);
    if (nb) memcpy(out[k].data, tmp[k].data, nb);
  }
  if (!st)
    for (uint32_t k = 0; k < node->n_results; k++) jet_mem_free(tmp[k].data);
  if (tmp != stack) free(tmp);
  return st;
}

/* The kernel-table entries, without a control block. */
jet_status jet__k_COND(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return jet__control_into(node, in, out, NULL);
}
jet_status jet__k_WHILE(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return jet__control_into(node, in, out, NULL);
}
jet_status jet__k_SCAN(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return jet__control_into(node, in, out, NULL);
}
