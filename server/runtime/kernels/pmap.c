/* pmap in the reference executor: the body (node->subgraphs[0]) runs once
 * per member, each member on its own thread (members synchronise in their
 * collectives, so they must run concurrently), with a jet_comm created for
 * this call (runtime/collective, local backend) bound to the node's
 * axis_name in the member's control block (jet_exec_ctl.axes, chained to
 * the caller's bindings for nested pmaps).
 *
 * The reference favours clarity over speed: every mapped operand is copied
 * into a per-member buffer (its slice along in_axes), and every stacked
 * output is copied from the member's result into its slice of a fresh
 * buffer along out_axes; an out_axes entry -1 takes member 0's result.
 *
 * A member that fails aborts the communicator, so members waiting in (or
 * later entering) a collective return instead of hanging; all threads are
 * joined before returning. The error is the first failure's, prefixed
 * "pmap member R: ". Results are fresh allocations (jet_mem).
 *
 * Nested pmaps: run inside a member of another pmap, the outer bindings
 * that the body's collectives use are split per inner member
 * (jet_pmap_nest_*, runtime/pmap_nest.h, shared by both executors), so a collective over the outer name of member (i, j)
 * spans the members (*, j), as in JAX; explicit devices on a pmap inside
 * a pmap are UNIMPLEMENTED (JAX refuses them too). */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "collective/comm.h"
#include "device_exec.h"
#include "pmap_nest.h"
#include "kernels.h"
#include "mem.h"

/* Elements before axis ax, the axis' length and the bytes after it. */
typedef struct split3 {
  size_t outer, len, inner;
} split3;

static split3 split_at(const jet_type *t, int32_t ax) {
  split3 s = {1, (size_t)t->dims[ax], jet_dtype_size(t->dtype)};
  for (int32_t d = 0; d < ax; d++) s.outer *= (size_t)t->dims[d];
  for (int32_t d = ax + 1; d < t->rank; d++) s.inner *= (size_t)t->dims[d];
  return s;
}

typedef struct pmap_run pmap_run;

typedef struct member {
  pmap_run *p;
  uint32_t rank;
  jet_exec_axis axis;
  jet_exec_ctl ctl;
  jet_buf *args; /* [n_in]: borrowed operand or owned slice */
  jet_buf *res;  /* [n_out] */
  bool started, ran;
} member;

struct pmap_run {
  const jet_node *node;
  const jet_graph *body;
  jet_comm *comm;
  jet_pmap_nest *nest; /* outer axes split per member (nested pmap), or NULL */
  uint32_t n, n_in, n_out;
  const int64_t *in_axes, *out_axes;
  member *m;
  pthread_mutex_t mu;
  jet_status first; /* the first failure, annotated with its member */
};

/* Records a member's failure (the first one wins) and aborts the group. */
static void member_failed(pmap_run *p, uint32_t rank, jet_status st) {
  pthread_mutex_lock(&p->mu);
  if (!p->first) {
    p->first = jet_status_annotate(st, "pmap member %" PRIu32 ": ", rank);
    jet_comm_abort(p->comm, p->first);
    jet_pmap_nest_abort(p->nest, rank, p->first);
  } else {
    jet_status_free(st);
  }
  pthread_mutex_unlock(&p->mu);
}

static void *member_main(void *arg) {
  member *m = arg;
  pmap_run *p = m->p;
  jet_status st = jet_exec_graph(p->body, m->args, p->n_in, m->res, &m->ctl);
  if (st) member_failed(p, m->rank, st);
  else m->ran = true;
  return NULL;
}

/* Member r's arguments: unmapped operands borrowed, mapped ones copied out
 * along their axis. */
static jet_status member_args(pmap_run *p, const jet_buf *in, member *m) {
  for (uint32_t k = 0; k < p->n_in; k++) {
    const int64_t ax = p->in_axes[k];
    if (ax < 0) {
      m->args[k] = in[k];
      continue;
    }
    const split3 s = split_at(&in[k].type, (int32_t)ax);
    m->args[k].type = jet_type_drop_axis(&in[k].type, (int32_t)ax);
    m->args[k].data = jet_mem_alloc(s.outer * s.inner);
    if (!m->args[k].data)
      return jet_status_make(JET_RESOURCE_EXHAUSTED,
                             "pmap: out of memory for member %" PRIu32
                             "'s slice of operand %" PRIu32,
                             m->rank, k);
    const char *src = in[k].data;
    char *dst = m->args[k].data;
    for (size_t o = 0; o < s.outer; o++)
      if (s.inner)
        memcpy(dst + o * s.inner, src + (o * s.len + m->rank) * s.inner, s.inner);
  }
  return NULL;
}

/* The node's results from the members' ones. */
static jet_status gather_results(pmap_run *p, jet_buf *out) {
  for (uint32_t j = 0; j < p->n_out; j++) {
    out[j].type = p->node->results[j];
    const int64_t ax = p->out_axes[j];
    if (ax < 0) { /* member 0's, moved */
      out[j].data = p->m[0].res[j].data;
      p->m[0].res[j].data = NULL;
      continue;
    }
    const split3 s = split_at(&out[j].type, (int32_t)ax);
    out[j].data = jet_mem_alloc(s.outer * s.len * s.inner);
    if (!out[j].data) {
      for (uint32_t q = 0; q < j; q++) {
        jet_mem_free(out[q].data);
        out[q].data = NULL;
      }
      return jet_status_make(JET_RESOURCE_EXHAUSTED, "pmap: out of memory for result %" PRIu32, j);
    }
    char *dst = out[j].data;
    for (uint32_t r = 0; r < p->n; r++) {
      const char *src = p->m[r].res[j].data;
      for (size_t o = 0; o < s.outer; o++)
        if (s.inner) memcpy(dst + (o * s.len + r) * s.inner, src + o * s.inner, s.inner);
    }
  }
  return NULL;
}

static jet_status check_node(const jet_node *node, pmap_run *p) {
  if (node->n_subgraphs != 1 || !node->subgraphs || !node->subgraphs[0])
    return jet_status_make(JET_INVALID_ARGUMENT, "pmap: no body");
  const jet_attr *ia = jet_node_attr(node, "in_axes"), *oa = jet_node_attr(node, "out_axes");
  const jet_attr *an = jet_node_attr(node, "axis_name");
  const int64_t n = jet_node_attr_int(node, "axis_size", 0);
  p->body = node->subgraphs[0];
  if (!ia || ia->kind != JET_ATTR_INTS || !oa || oa->kind != JET_ATTR_INTS || !an ||
      an->kind != JET_ATTR_STR || n < 1 || n > JET_COMM_LOCAL_MAX_SIZE ||
      ia->u.ints.n != node->n_operands || oa->u.ints.n != node->n_results ||
      p->body->n_params != node->n_operands || p->body->n_outputs != node->n_results)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "pmap: inconsistent node (axis_size %" PRId64 ", at most %d members "
                           "in the reference executor)",
                           n, JET_COMM_LOCAL_MAX_SIZE);
  p->n = (uint32_t)n;
  p->n_in = node->n_operands;
  p->n_out = node->n_results;
  p->in_axes = ia->u.ints.v;
  p->out_axes = oa->u.ints.v;
  return NULL;
}

static void free_members(pmap_run *p) {
  for (uint32_t r = 0; p->m && r < p->n; r++) {
    member *m = &p->m[r];
    for (uint32_t k = 0; m->args && k < p->n_in; k++)
      if (p->in_axes[k] >= 0) jet_mem_free(m->args[k].data);
    for (uint32_t j = 0; m->res && j < p->n_out; j++) jet_mem_free(m->res[j].data);
    free(m->args);
    free(m->res);
  }
  free(p->m);
}

jet_status jet__exec_pmap(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) {
  pmap_run p;
  memset(&p, 0, sizeof p);
  p.node = node;
  JET_RETURN_IF_ERROR(check_node(node, &p));
  const char *name = jet_node_attr(node, "axis_name")->u.s;
  const jet_exec_axis *outer = ctl ? ctl->axes : NULL;
  if (outer && jet_node_attr(node, "devices"))
    return jet_status_make(JET_UNIMPLEMENTED,
                           "pmap over '%s': Nested pmap with explicit devices argument.", name);
  jet_status st = jet_comm_create(NULL, p.n, &p.comm);
  if (st) return jet_status_annotate(st, "pmap: ");
  st = jet_pmap_nest_begin(outer, p.body, name, p.n, ctl, &p.nest);
  if (st) {
    jet_comm_destroy(p.comm);
    return jet_status_annotate(st, "pmap over '%s': ", name);
  }
  p.m = calloc(p.n, sizeof *p.m);
  if (!p.m) st = jet_status_oom("pmap members");
  for (uint32_t r = 0; !st && r < p.n; r++) {
    member *m = &p.m[r];
    m->p = &p;
    m->rank = r;
    m->args = calloc(p.n_in ? p.n_in : 1, sizeof *m->args);
    m->res = calloc(p.n_out ? p.n_out : 1, sizeof *m->res);
    if (!m->args || !m->res) {
      st = jet_status_oom("pmap member buffers");
      break;
    }
    m->axis = (jet_exec_axis){name, p.comm, r, p.n, jet_pmap_nest_axes(p.nest, outer, r)};
    if (ctl) m->ctl = *ctl;
    m->ctl.axes = &m->axis;
    st = member_args(&p, in, m);
  }
  if (st) {
    free_members(&p);
    jet_pmap_nest_end(p.nest);
    jet_comm_destroy(p.comm);
    return st;
  }
  pthread_mutex_init(&p.mu, NULL);
  pthread_t *th = calloc(p.n, sizeof *th);
  if (!th) member_failed(&p, 0, jet_status_oom("pmap threads"));
  for (uint32_t r = 0; th && r < p.n; r++) {
    if (pthread_create(&th[r], NULL, member_main, &p.m[r]) != 0) {
      member_failed(&p, r, jet_status_make(JET_RESOURCE_EXHAUSTED, "cannot start a thread"));
      break;
    }
    p.m[r].started = true;
  }
  for (uint32_t r = 0; th && r < p.n; r++)
    if (p.m[r].started) pthread_join(th[r], NULL);
  free(th);
  pthread_mutex_destroy(&p.mu);
  st = p.first;
  if (!st) st = gather_results(&p, out);
  free_members(&p);
  jet_pmap_nest_end(p.nest);
  jet_comm_destroy(p.comm);
  return st;
}

jet_status jet__k_PMAP(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return jet__control_into(node, in, out, NULL);
}
