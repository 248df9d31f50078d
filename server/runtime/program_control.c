/* Control steps of compiled programs (program_internal.h): cond, while and
 * scan running sub-programs that were lowered once, at compile time (pmap
 * steps: program_pmap.c).
 *
 * Everything a step needs lies in its frame, inside the enclosing
 * program's frame (laid out by compiler/lower_control.c), so a loop
 * allocates nothing, however many iterations it runs, and nested loops
 * allocate nothing per outer iteration either. Each sub-program's frame is
 * bound once when the step starts (every value's address); each iteration
 * then only rebinds the values located at a parameter or an output:
 *
 * - cond runs the picked branch with the node's operands as arguments and
 *   the node's result locations as outputs (no copy);
 * - while and scan ping-pong each carry between the node's result buffer
 *   and a second buffer of the frame: the body reads the carry from one
 *   and writes the next carry into the other. The first iteration reads
 *   the init operands where they are; a while copies the final carry into
 *   the result when it ended in the second buffer (or ran zero times); a
 *   scan, whose trip count is known, starts in the buffer that makes its
 *   last iteration write the result. Scan's x parameters point at
 *   xs + i * slice and its y outputs at ys + i * slice: no copies.
 *
 * The request's controls (cancel flag, deadline) are polled before every
 * iteration (jet_exec_poll) and, as in any program, before every step of
 * a body, so a runaway loop stops within one step of a cancel. */
#include <stdlib.h>
#include <string.h>

#include "kernels/kernels.h"
#include "program_internal.h"

void jet__control_destroy(jet_control *c) {
  if (!c) return;
  if (c->progs)
    for (uint32_t k = 0; k < c->n_progs; k++) jet_program_destroy(c->progs[k]);
  free(c->progs);
  free(c->prog_off);
  free(c->carry_buf_off);
  free(c->x_slice); /* y_slice lies in the same block */
  free(c->devices);
  free(c->in_axes); /* out_axes lies in the same block */
  free(c->arg_slice); /* out_slice, arg_buf_off, out_buf_off too */
  free(c);
}

uint64_t jet__control_scratch_bytes(const jet_control *c, uint32_t pool_size) {
  uint64_t b = 0;
  for (uint32_t k = 0; k < c->n_progs; k++) {
    const uint64_t sb = jet__program_scratch_bytes(c->progs[k], pool_size);
    if (sb > b) b = sb;
  }
  if (c->n_members) b = (b + 63) / 64 * 64 * c->n_members;
  return b;
}

static jet_status run_cond(const jet_program *p, const jet_step *s, void *const *base,
                           char *cframe, void *scratch, const jet_exec_ctl *ctl) {
  const jet_control *c = s->control;
  const jet_node *n = s->node;
  const jet_buf pred = {p->graph->value_types[n->operands[0]], base[n->operands[0]]};
  const uint32_t k = jet__cond_branch(n, &pred);
  void **args = (void **)(cframe + c->ptrs_off), **outs = args + c->n_args;
  for (uint32_t i = 0; i < c->n_args; i++) args[i] = base[n->operands[i + 1]];
  for (uint32_t r = 0; r < c->n_outs; r++) outs[r] = base[n->first_result + r];
  const jet_program *q = c->progs[k];
  char *f = cframe + c->prog_off[k];
  jet__frame_bind(q, f, args, outs);
  jet_status st = jet__program_exec(q, f, outs, scratch, ctl);
  return st ? jet_status_annotate(st, "cond branch %u: ", k) : NULL;
}

/* The node's carry results from wherever the loop left the carry. */
static void finish_carry(const jet_control *c, const jet_node *n, void *const *base,
                         void *const *cur) {
  for (uint32_t k = 0; k < c->nk; k++) {
    void *r = base[n->first_result + k];
    const size_t nb = jet_type_nbytes(&n->results[k]);
    if (nb && cur[k] != r) memcpy(r, cur[k], nb);
  }
}

static jet_status run_while(const jet_step *s, void *const *base, char *cframe, void *scratch,
                            const jet_exec_ctl *ctl) {
  const jet_control *c = s->control;
  const jet_node *n = s->node;
  const jet_program *cq = c->progs[0], *bq = c->progs[1];
  char *cf = cframe + c->prog_off[0], *bf = cframe + c->prog_off[1];
  void **args = (void **)(cframe + c->ptrs_off), **outs = args + c->n_args;
  void **cur = args + c->nc;
  uint8_t *pred = (uint8_t *)(cframe + c->pred_off);
  void *pred_out[1] = {pred};
  for (uint32_t i = 0; i < n->n_operands; i++) args[i] = base[n->operands[i]];
  for (uint32_t k = 0; k < c->nk; k++) outs[k] = base[n->first_result + k];
  jet__frame_bind(cq, cf, args, pred_out);
  jet__frame_bind(bq, bf, args, outs);
  jet_status st = NULL;
  for (uint64_t it = 0;; it++) {
    st = jet_exec_poll(ctl, "while", it);
    if (st) return st;
    if (it) jet__frame_rebind(cq, cf, args, pred_out);
    st = jet__program_exec(cq, cf, pred_out, scratch, ctl);
    if (st) return jet_status_annotate(st, "while cond (iteration %llu): ", (unsigned long long)it);
    if (!*pred) break;
    /* The next carry goes to whichever buffer does not hold this one. */
    for (uint32_t k = 0; k < c->nk; k++) {
      void *r = base[n->first_result + k];
      outs[k] = cur[k] == r ? cframe + c->carry_buf_off[k] : r;
    }
    jet__frame_rebind(bq, bf, args, outs);
    st = jet__program_exec(bq, bf, outs, scratch, ctl);
    if (st) return jet_status_annotate(st, "while body (iteration %llu): ", (unsigned long long)it);
    for (uint32_t k = 0; k < c->nk; k++) cur[k] = outs[k];
  }
  finish_carry(c, n, base, cur);
  return NULL;
}

static jet_status run_scan(const jet_step *s, void *const *base, char *cframe, void *scratch,
                           const jet_exec_ctl *ctl) {
  const jet_control *c = s->control;
  const jet_node *n = s->node;
  const jet_program *bq = c->progs[0];
  char *bf = cframe + c->prog_off[0];
  void **args = (void **)(cframe + c->ptrs_off), **outs = args + c->n_args;
  void **cur = args + c->nc, **xs = cur + c->nk, **ys = outs + c->nk;
  const uint32_t x0 = c->nc + c->nk, y0 = c->nk;
  for (uint32_t i = 0; i < n->n_operands; i++) args[i] = base[n->operands[i]];
  for (uint32_t r = 0; r < c->n_outs; r++) outs[r] = base[n->first_result + r];
  const int64_t L = c->length;
  for (int64_t it = 0; it < L; it++) {
    jet_status st = jet_exec_poll(ctl, "scan", (uint64_t)it);
    if (st) return st;
    const int64_t i = c->reverse ? L - 1 - it : it;
    for (uint32_t j = 0; j < c->nx; j++)
      xs[j] = (char *)base[n->operands[x0 + j]] + (size_t)i * c->x_slice[j];
    for (uint32_t j = 0; j < c->ny; j++)
      ys[j] = (char *)base[n->first_result + y0 + j] + (size_t)i * c->y_slice[j];
    /* Ping-pong, arranged so that the last iteration writes the result. */
    const bool to_result = ((L - it) & 1) != 0;
    for (uint32_t k = 0; k < c->nk; k++)
      outs[k] = to_result ? base[n->first_result + k] : cframe + c->carry_buf_off[k];
    if (it == 0)
      jet__frame_bind(bq, bf, args, outs);
    else
      jet__frame_rebind(bq, bf, args, outs);
    st = jet__program_exec(bq, bf, outs, scratch, ctl);
    if (st) return jet_status_annotate(st, "scan body (iteration %lld): ", (long long)i);
    for (uint32_t k = 0; k < c->nk; k++) cur[k] = outs[k];
  }
  finish_carry(c, n, base, cur);
  return NULL;
}

jet_status jet__control_run(const jet_program *p, const jet_step *s, void *const *base,
                            char *cframe, void *scratch, const jet_exec_ctl *ctl) {
  switch (s->node->op) {
    case JET_OP_COND: return run_cond(p, s, base, cframe, scratch, ctl);
    case JET_OP_WHILE: return run_while(s, base, cframe, scratch, ctl);
    case JET_OP_SCAN: return run_scan(s, base, cframe, scratch, ctl);
    case JET_OP_PMAP: return jet__pmap_run(p, s, base, cframe, scratch, ctl);
    default:
      return jet_status_make(JET_INTERNAL, "%s is not a control-flow op",
                             jet_op_name(s->node->op));
  }
}
