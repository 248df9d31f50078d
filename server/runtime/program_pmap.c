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
      args[i] = x + (size_t)m * c->arg_slice[i];
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
                          .size = c->n_members, .outer = pc->ctl ? pc->ctl->axes : NULL};
  jet_exec_ctl mctl = {0};
  if (pc->ctl) mctl = *pc->ctl;
  mctl.axes = bind;
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
  JET_RETURN_IF_ERROR(jet_comm_create(NULL, n, &pc.comm));
  jet_status st = jet_device_exec_run(c->devices, n, member_main, &pc);
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
