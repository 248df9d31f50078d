/* The reference executor's driver: runs a validated graph node by node,
 * one temporary per value, freeing each temporary right after its last use.
 * See exec.h for the contract and kernels/kernels.h for the kernels. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec.h"
#include "kernels/kernels.h"
#include "mem.h"
#include "yield.h"

static const jet_kernel_fn kernel_table[JET_OP_COUNT] = {
#define JET_OP(E, name, nopnd, rule, dtm, attrs) [JET_OP_##E] = jet__k_##E,
#include "jet/ops.def"
#undef JET_OP
};

jet_kernel_fn jet_exec_kernel(jet_op op) {
  return (unsigned)op < (unsigned)JET_OP_COUNT ? kernel_table[op] : NULL;
}

#define NEVER UINT32_MAX

typedef struct run {
  const jet_graph *g;
  jet_buf *vals;      /* [n_values] */
  uint8_t *owned;     /* [n_values]: 1 = vals[v].data is ours to free */
  uint8_t *is_output; /* [n_values] */
  uint32_t *last_use; /* [n_values]: index of the last node reading it */
  jet_buf *ins;       /* scratch for one node's operands */
  uint64_t temp_bytes;
} run;

static void release(run *r, jet_value v) {
  if (r->owned[v]) {
    jet_mem_free(r->vals[v].data);
    r->temp_bytes -= jet_type_nbytes(&r->vals[v].type);
  }
  r->owned[v] = 0;
  r->vals[v].data = NULL;
}

static void run_free(run *r) {
  if (r->vals && r->owned)
    for (uint32_t v = 0; v < r->g->n_values; v++) release(r, v);
  free(r->vals);
  free(r->owned);
  free(r->is_output);
  free(r->last_use);
  free(r->ins);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* JET_CANCELLED / JET_DEADLINE_EXCEEDED when ctl stops the run now, else
 * JET_OK after the yield point (runtime/yield.h). */
static jet_code ctl_stop(const jet_exec_ctl *ctl) {
  if (!ctl) return JET_OK;
  if (ctl->cancelled && atomic_load(ctl->cancelled) != 0) return JET_CANCELLED;
  int64_t now = 0;
  if (ctl->deadline_ns > 0 && (now = now_ns()) >= ctl->deadline_ns) return JET_DEADLINE_EXCEEDED;
  jet_yield_point(now);
  return JET_OK;
}

jet_status jet_exec_ctl_check(const jet_exec_ctl *ctl, uint32_t i, const jet_node *node) {
  switch (ctl_stop(ctl)) {
    case JET_CANCELLED:
      return jet_status_make(JET_CANCELLED, "execution cancelled before node %u (%s)", i,
                             jet_op_name(node->op));
    case JET_DEADLINE_EXCEEDED:
      return jet_status_make(JET_DEADLINE_EXCEEDED, "deadline exceeded before node %u (%s)", i,
                             jet_op_name(node->op));
    default:
      return NULL;
  }
}

const jet_exec_axis *jet_exec_find_axis(const jet_exec_ctl *ctl, const char *name) {
  for (const jet_exec_axis *a = ctl ? ctl->axes : NULL; a && name; a = a->outer)
    if (a->name && strcmp(a->name, name) == 0) return a;
  return NULL;
}

jet_status jet_exec_poll(const jet_exec_ctl *ctl, const char *what, uint64_t iter) {
  switch (ctl_stop(ctl)) {
    case JET_CANCELLED:
      return jet_status_make(JET_CANCELLED, "execution cancelled in %s at iteration %llu", what,
                             (unsigned long long)iter);
    case JET_DEADLINE_EXCEEDED:
      return jet_status_make(JET_DEADLINE_EXCEEDED, "deadline exceeded in %s at iteration %llu",
                             what, (unsigned long long)iter);
    default:
      return NULL;
  }
}

static jet_status over_limit(const jet_exec_ctl *ctl, uint64_t live, uint64_t more,
                             uint32_t r) {
  return jet_status_make(JET_RESOURCE_EXHAUSTED,
                         "result %u needs %llu bytes; live temporaries would reach %llu bytes, "
                         "over the limit of %llu",
                         r, (unsigned long long)more, (unsigned long long)(live + more),
                         (unsigned long long)ctl->max_temp_bytes);
}

jet_status jet__exec_call(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) {
  if (node->n_transforms > 0)
    return jet_status_make(JET_UNIMPLEMENTED,
                           "call: the executor runs no transforms (got %s); transform the "
                           "callee first",
                           jet_transform_name(node->transforms[0].kind));
  if (!node->callee) return jet_status_make(JET_INVALID_ARGUMENT, "call: no callee");
  if (node->callee->n_outputs != node->n_results)
    return jet_status_make(JET_INVALID_ARGUMENT, "call: callee has %u outputs, node has %u results",
                           node->callee->n_outputs, node->n_results);
  return jet_exec_graph(node->callee, in, node->n_operands, out, ctl);
}

/* Runs node i: allocates its results (calls allocate their own), runs the
 * kernel. Errors are not annotated here. */
static jet_status run_node(run *r, uint32_t i, const jet_exec_ctl *ctl) {
  const jet_node *node = &r->g->nodes[i];
  for (uint32_t k = 0; k < node->n_operands; k++) r->ins[k] = r->vals[node->operands[k]];
  jet_buf *res = &r->vals[node->first_result];
  if (node->op == JET_OP_CALL || jet_op_takes_subgraphs(node->op)) {
    jet_exec_ctl child;
    const jet_exec_ctl *cp = NULL;
    if (ctl) {
      child = *ctl;
      if (ctl->max_temp_bytes) child.max_temp_bytes = ctl->max_temp_bytes - r->temp_bytes;
      cp = &child;
    }
    JET_RETURN_IF_ERROR(node->op == JET_OP_CALL ? jet__exec_call(node, r->ins, res, cp)
                                                : jet__exec_control(node, r->ins, res, cp));
    uint64_t added = 0;
    for (uint32_t k = 0; k < node->n_results; k++) {
      r->owned[node->first_result + k] = 1;
      added += jet_type_nbytes(&res[k].type);
    }
    if (ctl && ctl->max_temp_bytes && r->temp_bytes + added > ctl->max_temp_bytes) {
      jet_status st = over_limit(ctl, r->temp_bytes, added, 0);
      r->temp_bytes += added;
      return st;
    }
    r->temp_bytes += added;
    return NULL;
  }
  for (uint32_t k = 0; k < node->n_results; k++) {
    res[k].type = node->results[k];
    const size_t nb = jet_type_nbytes(&node->results[k]);
    if (ctl && ctl->max_temp_bytes && r->temp_bytes + nb > ctl->max_temp_bytes)
      return over_limit(ctl, r->temp_bytes, nb, k);
    res[k].data = jet_mem_alloc(nb);
    if (!res[k].data)
      return jet_status_make(JET_RESOURCE_EXHAUSTED, "out of memory allocating result %u (%zu bytes)",
                             k, nb);
    r->owned[node->first_result + k] = 1;
    r->temp_bytes += nb;
  }
  if (jet_op_is_collective(node->op)) return jet__exec_collective(node, r->ins, res, ctl);
  const jet_kernel_fn fn = jet_exec_kernel(node->op);
  if (!fn) return jet_status_make(JET_INVALID_ARGUMENT, "unknown op %d", (int)node->op);
  return fn(node, r->ins, res);
}

static jet_status copy_out(const jet_buf *src, jet_buf *dst, uint32_t o) {
  const size_t nb = jet_type_nbytes(&src->type);
  void *p = jet_mem_alloc(nb);
  if (!p)
    return jet_status_make(JET_RESOURCE_EXHAUSTED, "out of memory copying output %u (%zu bytes)",
                           o, nb);
  if (nb) memcpy(p, src->data, nb);
  dst->type = src->type;
  dst->data = p;
  return NULL;
}

jet_status jet_exec_graph(const jet_graph *g, const jet_buf *args, uint32_t n_args, jet_buf *outs,
                          const jet_exec_ctl *ctl) {
  if (!g) return jet_status_make(JET_INVALID_ARGUMENT, "exec: no graph");
  if (g->n_outputs && !outs) return jet_status_make(JET_INVALID_ARGUMENT, "exec: no output array");
  for (uint32_t o = 0; o < g->n_outputs; o++) outs[o].data = NULL;
  if (n_args != g->n_params)
    return jet_status_make(JET_INVALID_ARGUMENT, "graph '%s' takes %u arguments, got %u", g->name,
                           g->n_params, n_args);
  for (uint32_t i = 0; i < n_args; i++) {
    if (!jet_type_equal(&args[i].type, &g->value_types[i])) {
      char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
      return jet_status_make(JET_INVALID_ARGUMENT, "argument %u has type %s, parameter %u is %s", i,
                             jet_type_str(&args[i].type, a, sizeof a), i,
                             jet_type_str(&g->value_types[i], b, sizeof b));
    }
    if (!args[i].data && jet_type_nbytes(&args[i].type) > 0)
      return jet_status_make(JET_INVALID_ARGUMENT, "argument %u has no data", i);
  }

  run r = {.g = g};
  const uint32_t nv = g->n_values;
  uint32_t max_ops = 1;
  for (uint32_t i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].n_operands > max_ops) max_ops = g->nodes[i].n_operands;
  r.vals = calloc(nv ? nv : 1, sizeof *r.vals);
  r.owned = calloc(nv ? nv : 1, 1);
  r.is_output = calloc(nv ? nv : 1, 1);
  r.last_use = malloc((nv ? nv : 1) * sizeof *r.last_use);
  r.ins = calloc(max_ops, sizeof *r.ins);
  jet_status st = NULL;
  if (!r.vals || !r.owned || !r.is_output || !r.last_use || !r.ins) {
    st = jet_status_oom("executor value tables");
    goto fail;
  }
  for (uint32_t v = 0; v < nv; v++) r.last_use[v] = NEVER;
  for (uint32_t i = 0; i < n_args; i++) r.vals[i] = args[i];
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *node = &g->nodes[i];
    for (uint32_t k = 0; k < node->n_operands; k++) r.last_use[node->operands[k]] = i;
  }
  for (uint32_t o = 0; o < g->n_outputs; o++) r.is_output[g->outputs[o]] = 1;

  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *node = &g->nodes[i];
    st = jet_exec_ctl_check(ctl, i, node);
    if (st) goto fail;
    st = run_node(&r, i, ctl);
    if (st) {
      st = jet_status_annotate(st, "node %u (%s): ", i, jet_op_name(node->op));
      goto fail;
    }
    for (uint32_t k = 0; k < node->n_operands; k++) {
      const jet_value v = node->operands[k];
      if (r.last_use[v] == i && !r.is_output[v]) release(&r, v);
    }
    for (uint32_t k = 0; k < node->n_results; k++) {
      const jet_value v = node->first_result + k;
      if (r.last_use[v] == NEVER && !r.is_output[v]) release(&r, v);
    }
  }

  for (uint32_t o = 0; o < g->n_outputs; o++) {
    const jet_value v = g->outputs[o];
    if (r.owned[v]) {
      outs[o] = r.vals[v]; /* move; later mentions of v copy from it */
      r.owned[v] = 0;
      r.temp_bytes -= jet_type_nbytes(&r.vals[v].type);
    } else {
      st = copy_out(&r.vals[v], &outs[o], o);
      if (st) goto fail;
    }
  }
  run_free(&r);
  return NULL;

fail:
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    jet_mem_free(outs[o].data);
    outs[o].data = NULL;
  }
  run_free(&r);
  return st;
}
