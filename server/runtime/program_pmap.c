/* pmap control steps of compiled programs (program_internal.h; the frame
 * layout is compiler/lower_control.c's pmap_layout).
 *
 * One run of a pmap step creates a communicator of n members (the one-host
 * backend of collective/comm.h: the only allocation of the step) and runs
 * the body program once per member, concurrently, on the executor threads
 * of the node's devices (device_exec.h). Member m works in its own member
 * frame and fused scratch (members run at the same time):
 *
 * - arguments: an operand with in_axis 0 is passed as a pointer to its
 *   m-th contiguous slice; one with another in_axis is gathered (strided
 *   copy) into the member's buffer; an unmapped one (-1) as it is;
 * - outputs: out_axis 0 is written by the body straight into slice m of
 *   the result; another axis goes to the member's buffer and is then
 *   copied (strided) into the result; out_axis -1 is written into the
 *   result by member 0 only (the others into their buffer);
 * - the body runs with a copy of the caller's controls whose `axes` binds
 *   the pmap's axis name to {comm, m, n} in front of the caller's axes, so
 *   its collective nodes (kernels/collective.c) go through the
 *   communicator.
 *
 * Nested pmaps: every member reserves c->devices[n_members] devices (the
 * span lower_control.c computed from the pmaps in the body), so a pmap
 * step run inside a member hands its members to the placeholders of the
 * outer member's group (device_exec.h); the outer bindings its body's
 * collectives use are split per member (jet_pmap_nest_*): a collective over
 * the outer name of member (i, j) spans the members (*, j). A pmap with
 * explicit devices inside a pmap body is UNIMPLEMENTED, as in JAX.
 *
 * A member that fails (cancel and deadline included: members poll before
 * they start, the body before each step, the communicator while waiting)
 * aborts the communicator, so the others leave their collectives instead of
 * waiting forever. The step returns the root cause: the error of the first
 * member that failed on its own (the others fail with "collective aborted"
 * after it), annotated "pmap member m: ". */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "collective/comm.h"
#include "device_exec.h"
#include "pmap_nest.h"
#include "kernels/kernels.h"
#include "pool.h"
#include "program_internal.h"

typedef struct pmap_call {
  const jet_program *p;
  const jet_step *s;
  void *const *base;
  char *cframe;
  char *scratch;
  uint64_t scratch_stride;
  const jet_exec_ctl *ctl;
  jet_comm *comm;
  jet_pmap_nest *nest; /* outer axes split per member (nested pmap), or NULL */
  jet_status *sts;  /* [n_members], in the step frame */
  atomic_int first; /* the first member that failed, -1 = none */
} pmap_call;

/* t's strides (elements) with axis ax removed, and the dims likewise. */
static int drop_axis(const jet_type *t, int ax, int64_t *dims, int64_t *strides,
                     int64_t *ax_stride) {
  int64_t st[JET_MAX_RANK];
  jet__k_strides(t, st);
  int r = 0;
  for (int d = 0; d < t->rank; d++) {
    if (d == ax) continue;
    dims[r] = t->dims[d];
    strides[r++] = st[d];
  }
  *ax_stride = st[ax];
  return r;
}

/* Member m's slice of `whole` (type t) along ax gathered into dst, or
 * (scatter) src copied into that slice. */
static void copy_slice(const jet_type *t, int ax, uint32_t m, void *whole, void *part,
                       bool gather) {
  int64_t dims[JET_MAX_RANK], wst[JET_MAX_RANK], pst[JET_MAX_RANK], axs;
  const int r = drop_axis(t, ax, dims, wst, &axs);
  int64_t acc = 1;
  for (int d = r - 1; d >= 0; d--) {
    pst[d] = acc;
    acc *= dims[d];
  }
  const size_t esz = jet_dtype_size(t->dtype);
  char *w = (char *)whole + (size_t)m * (size_t)axs * esz;
  if (gather)
    jet__k_copy_strided(esz, r, dims, w, wst, part, pst);
  else
    jet__k_copy_strided(esz, r, dims, part, pst, w, wst);
}

/* The blocks operand value v arrives in (a root argument given as blocks
 * to this program's run), or NULL. */
static const jet_arg_blocks *blocks_of(const pmap_call *pc, jet_value v) {
  const jet_exec_ctl *ctl = pc->ctl;
  if (!ctl || !ctl->arg_blocks || ctl->blocks_of != pc->p || v >= pc->p->graph->n_params)
    return NULL;
  return ctl->arg_blocks[v].n ? &ctl->arg_blocks[v] : NULL;
}

static bool reads_arg(const jet_program *p, jet_value v, uint32_t i) {
  return p->locs[v].kind == JET_LOC_PARAM && p->locs[v].index == i;
}

bool jet_program_arg_takes_blocks(const jet_program *p, uint32_t i) {
  const jet_graph *g = p->graph;
  if (i >= g->n_params) return false;
  for (uint32_t o = 0; o < g->n_outputs; o++)
    if (reads_arg(p, g->outputs[o], i)) return false;
  bool any = false;
  for (uint32_t s = 0; s < p->n_steps; s++) {
    const jet_step *st = &p->steps[s];
    if (st->kind == JET_STEP_FUSED) {
      const jet_fused *f = st->fused;
      for (uint32_t k = 0; k < f->n_instr; k++) {
        const jet_tinstr *in = &f->instr[k];
        if ((in->kind == JET_TI_LOAD || in->kind == JET_TI_SCALAR || in->kind == JET_TI_BCAST) &&
            reads_arg(p, in->value, i))
          return false;
      }
      continue;
    }
    const jet_node *n = st->node;
    for (uint32_t k = 0; k < n->n_operands; k++) {
      const jet_value v = n->operands[k];
      if (!reads_arg(p, v, i)) continue;
      if (st->kind == JET_STEP_CONTROL && n->op == JET_OP_PMAP && v == i &&
          st->control->in_axes[k] == 0) {
        any = true;
        continue;
      }
      return false;
    }
  }
  return any;
}

static jet_status run_member(pmap_call *pc, uint32_t m) {
  const jet_control *c = pc->s->control;
  const jet_node *n = pc->s->node;
  JET_RETURN_IF_ERROR(jet_exec_poll(pc->ctl, "pmap", m));
  char *mf = pc->cframe + c->member_off + (size_t)m * c->member_stride;
  void **args = (void **)(mf + c->ptrs_off), **outs = args + c->n_args;
  void *const *base = pc->base;
  for (uint32_t i = 0; i < c->n_args; i++) {
    char *x = base[n->operands[i]];
    const int32_t ax = c->in_axes[i];
    if (ax < 0) {
      args[i] = x;
    } else if (ax == 0) {
      const jet_arg_blocks *b = blocks_of(pc, n->operands[i]);
      const uint32_t per = b ? c->n_members / b->n : 0;
      args[i] = b ? (char *)b->data[m / per] + (size_t)(m % per) * c->arg_slice[i]
                  : x + (size_t)m * c->arg_slice[i];
    } else {
      args[i] = mf + c->arg_buf_off[i];
      copy_slice(&pc->p->graph->value_types[n->operands[i]], ax, m, x, args[i], true);
    }
  }
  for (uint32_t j = 0; j < c->n_outs; j++) {
    char *r = base[n->first_result + j];
    const int32_t ax = c->out_axes[j];
    if (ax == 0)
      outs[j] = r + (size_t)m * c->out_slice[j];
    else if (ax < 0 && m == 0)
      outs[j] = r;
    else
      outs[j] = mf + c->out_buf_off[j];
  }
  jet_exec_axis *bind = (jet_exec_axis *)(mf + c->axis_off);
  *bind = (jet_exec_axis){.name = c->axis_name, .comm = pc->comm, .rank = m,
                          .size = c->n_members,
                          .outer = jet_pmap_nest_axes(pc->nest, pc->ctl ? pc->ctl->axes : NULL, m)};
  jet_exec_ctl mctl = {0};
  if (pc->ctl) mctl = *pc->ctl;
  mctl.axes = bind;
  mctl.arg_blocks = NULL;
  mctl.blocks_of = NULL;
  const jet_program *q = c->progs[0];
  jet__frame_bind(q, mf, args, outs);
  JET_RETURN_IF_ERROR(
      jet__program_exec(q, mf, outs, pc->scratch + (size_t)m * pc->scratch_stride, &mctl));
  for (uint32_t j = 0; j < c->n_outs; j++)
    if (c->out_axes[j] > 0) copy_slice(&n->results[j], c->out_axes[j], m,
                                       base[n->first_result + j], outs[j], false);
  return NULL;
}

static void member_main(void *ctx, uint32_t m) {
  pmap_call *pc = ctx;
  jet_status st = run_member(pc, m);
  if (st) {
    int none = -1;
    atomic_compare_exchange_strong(&pc->first, &none, (int)m);
    jet_comm_abort(pc->comm, st);
    jet_pmap_nest_abort(pc->nest, m, st);
  }
  pc->sts[m] = st;
}

jet_status jet__pmap_run(const jet_program *p, const jet_step *s, void *const *base,
                         char *cframe, void *scratch,
                         const jet_exec_ctl *ctl) {
  const jet_control *c = s->control;
  const uint32_t n = c->n_members;
  pmap_call pc = {.p = p, .s = s, .base = base, .cframe = cframe, .scratch = scratch, .ctl = ctl,
                  .sts = (jet_status *)(cframe + c->status_off)};
  atomic_init(&pc.first, -1);
  pc.scratch_stride = jet__control_scratch_bytes(c, jet_pool_size(jet_pool_global())) / n;
  for (uint32_t m = 0; m < n; m++) pc.sts[m] = NULL;
  JET_RETURN_IF_ERROR(jet_exec_poll(ctl, "pmap", 0));
  const jet_exec_axis *outer = ctl ? ctl->axes : NULL;
  if (outer && jet_node_attr(s->node, "devices"))
    return jet_status_make(JET_UNIMPLEMENTED,
                           "pmap over '%s': Nested pmap with explicit devices argument.",
                           c->axis_name);
  JET_RETURN_IF_ERROR(jet_comm_create(NULL, n, &pc.comm));
  jet_status st =
      jet_pmap_nest_begin(outer, s->node->subgraphs[0], c->axis_name, n, ctl, &pc.nest);
  if (!st) st = jet_device_exec_run_span(c->devices, n, c->span, member_main, &pc);
  jet_pmap_nest_end(pc.nest);
  jet_comm_destroy(pc.comm);
  if (st) return jet_status_annotate(st, "pmap over '%s': ", c->axis_name);
  const int first = atomic_load(&pc.first);
  for (uint32_t m = 0; m < n; m++) {
    if ((int)m == first)
      st = pc.sts[m];
    else
      jet_status_free(pc.sts[m]);
    pc.sts[m] = NULL;
  }
  return st ? jet_status_annotate(st, "pmap member %d: ", first) : NULL;
}
