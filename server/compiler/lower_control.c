/* Control steps of a lowering (lower_internal.h) and the layout of a
 * program's frame (program_internal.h).
 *
 * Each sub-graph of a cond / while / scan / pmap node is lowered once, by
 * jet_lower itself (so it is fused and memory-planned like a root graph,
 * and control nodes inside it become control steps of its own program:
 * nesting is recursion). The cleanup passes already ran over sub-graphs
 * (compiler/passes clean callees and sub-graphs alike).
 *
 * Frames. A program's frame holds its value-address table, its arena and
 * a control region as large as the largest frame of its control steps (they
 * run one after the other). A control step's frame holds the frames of its
 * sub-programs (branches of a cond share one place; a while's cond and body
 * lie side by side, both bound for the whole loop), the second buffer of
 * each carry (the loop ping-pongs between it and the node's result
 * buffer), the while predicate and the pointer arrays the sub-programs are
 * bound to. Sizes are fixed at compile time, so one allocation per root
 * execution holds every nested loop's memory. A pmap step's members run
 * concurrently, so each gets a member frame of its own: the body's frame,
 * buffers for operands gathered along an in_axis other than 0 and for
 * outputs stacked along an out_axis other than 0 (or taken from member
 * 0), its axis binding and pointer arrays (pmap_layout). */
#include <stdlib.h>
#include <string.h>

#include "compiler/lower.h"
#include "compiler/lower_internal.h"

#define ALIGN 64

static uint64_t align_up(uint64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

static jet_status mismatch(const jet_node *n, const char *what, uint32_t got, uint32_t want) {
  return jet_status_make(JET_INVALID_ARGUMENT, "lowering %s: %s is %u, expected %u",
                         jet_op_name(n->op), what, got, want);
}

/* The devices one member of a pmap whose body is g needs: the largest
 * product of the axis sizes of pmaps nested in g (sub-graphs included),
 * 1 for none; capped past JET_MAX_PMAP_SPAN. */
#define JET_MAX_PMAP_SPAN 65536
static uint64_t pmap_span(const jet_graph *g) {
  uint64_t best = 1;
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *nd = &g->nodes[i];
    for (uint32_t k = 0; k < nd->n_subgraphs; k++) {
      if (!nd->subgraphs[k]) continue;
      uint64_t s = pmap_span(nd->subgraphs[k]);
      if (nd->op == JET_OP_PMAP) {
        const int64_t a = jet_node_attr_int(nd, "axis_size", 1);
        s *= a < 1 ? 1 : a > JET_MAX_PMAP_SPAN ? JET_MAX_PMAP_SPAN + 1 : (uint64_t)a;
      }
      if (s > JET_MAX_PMAP_SPAN) s = JET_MAX_PMAP_SPAN + 1;
      if (s > best) best = s;
    }
  }
  return best;
}

/* pmap: the member count, devices, axes and the bytes of one member's part
 * of each operand and result (the body's parameter / output types).
 * Nested pmaps: span = the devices each member reserves for the pmaps in
 * its body (program_pmap.c); without explicit devices member m is on
 * device m * span (JAX's i*b + j). */
static jet_status pmap_fields(const jet_node *n, jet_control *c) {
  if (c->n_progs != 1) return mismatch(n, "the sub-graph count", c->n_progs, 1);
  const jet_graph *bg = n->subgraphs[0];
  const int64_t size = jet_node_attr_int(n, "axis_size", 0);
  const jet_attr *name = jet_node_attr(n, "axis_name");
  if (size < 1 || size > 65536)
    return jet_status_make(JET_INVALID_ARGUMENT, "lowering pmap: axis_size=%lld is out of range",
                           (long long)size);
  if (!name || name->kind != JET_ATTR_STR || !name->u.s)
    return jet_status_make(JET_INVALID_ARGUMENT, "lowering pmap: no axis_name");
  c->n_members = (uint32_t)size;
  c->axis_name = name->u.s;
  c->n_args = n->n_operands;
  c->n_outs = n->n_results;
  if (bg->n_params != c->n_args) return mismatch(n, "the body's parameter count", bg->n_params, c->n_args);
  if (bg->n_outputs != c->n_outs) return mismatch(n, "the body's output count", bg->n_outputs, c->n_outs);
  uint32_t nia = 0, noa = 0, nd = 0;
  const jet_attr *ia = jet_node_attr(n, "in_axes"), *oa = jet_node_attr(n, "out_axes"),
                 *dv = jet_node_attr(n, "devices");
  if (ia && ia->kind == JET_ATTR_INTS) nia = ia->u.ints.n;
  if (oa && oa->kind == JET_ATTR_INTS) noa = oa->u.ints.n;
  if (dv && dv->kind == JET_ATTR_INTS) nd = dv->u.ints.n;
  if (nia != c->n_args) return mismatch(n, "the in_axes count", nia, c->n_args);
  if (noa != c->n_outs) return mismatch(n, "the out_axes count", noa, c->n_outs);
  if (dv && nd != c->n_members) return mismatch(n, "the devices count", nd, c->n_members);
  const uint64_t span = pmap_span(bg);
  if (span * c->n_members > JET_MAX_PMAP_SPAN)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "lowering pmap: nested pmaps need %llu devices per member (at most %d "
                           "in all)",
                           (unsigned long long)span, JET_MAX_PMAP_SPAN);
  if (dv && span > 1)
    return jet_status_make(JET_UNIMPLEMENTED,
                           "lowering pmap: explicit devices on a pmap whose body holds a pmap: "
                           "Nested pmap with explicit devices argument.");
  c->devices = malloc(c->n_members * sizeof *c->devices);
  c->in_axes = malloc((c->n_args + c->n_outs + 1) * sizeof *c->in_axes);
  c->arg_slice = malloc(2 * (c->n_args + c->n_outs + 1) * sizeof *c->arg_slice);
  if (!c->devices || !c->in_axes || !c->arg_slice) return jet_status_oom("pmap step");
  c->out_axes = c->in_axes + c->n_args;
  c->out_slice = c->arg_slice + c->n_args;
  c->arg_buf_off = c->out_slice + c->n_outs;
  c->out_buf_off = c->arg_buf_off + c->n_args;
  for (uint32_t m = 0; m < c->n_members; m++) {
    const int64_t d = dv ? dv->u.ints.v[m] : (int64_t)(m * span);
    if (d < 0 || d > UINT32_MAX)
      return jet_status_make(JET_INVALID_ARGUMENT, "lowering pmap: devices[%u] = %lld", m,
                             (long long)d);
    c->devices[m] = (uint32_t)d;
  }
  c->span = (uint32_t)span;
  for (uint32_t i = 0; i < c->n_args; i++) {
    const int64_t ax = ia->u.ints.v[i];
    if (ax < -1 || ax >= n->subgraphs[0]->value_types[i].rank + 1)
      return jet_status_make(JET_INVALID_ARGUMENT, "lowering pmap: in_axes[%u] = %lld", i,
                             (long long)ax);
    c->in_axes[i] = (int32_t)ax;
    c->arg_slice[i] = jet_type_nbytes(&bg->value_types[i]);
  }
  for (uint32_t j = 0; j < c->n_outs; j++) {
    const int64_t ax = oa->u.ints.v[j];
    const jet_type *y = &bg->value_types[bg->outputs[j]];
    if (ax < -1 || ax > y->rank)
      return jet_status_make(JET_INVALID_ARGUMENT, "lowering pmap: out_axes[%u] = %lld", j,
                             (long long)ax);
    c->out_axes[j] = (int32_t)ax;
    c->out_slice[j] = jet_type_nbytes(y);
  }
  return NULL;
}

/* pmap's step frame (program_internal.h): the members' statuses, then one
 * member frame per member (body frame, gather / output buffers, the axis
 * binding, the pointer arrays). */
static void pmap_layout(jet_control *c) {
  uint64_t off = align_up(c->progs[0]->frame_bytes);
  c->prog_off[0] = 0;
  for (uint32_t i = 0; i < c->n_args; i++) {
    c->arg_buf_off[i] = UINT64_MAX;
    if (c->in_axes[i] > 0) {
      c->arg_buf_off[i] = off;
      off += align_up(c->arg_slice[i]);
    }
  }
  for (uint32_t j = 0; j < c->n_outs; j++) {
    c->out_buf_off[j] = UINT64_MAX;
    if (c->out_axes[j] != 0) {
      c->out_buf_off[j] = off;
      off += align_up(c->out_slice[j]);
    }
  }
  c->axis_off = off;
  off += align_up(sizeof(jet_exec_axis));
  c->ptrs_off = off;
  off += (uint64_t)(c->n_args + c->n_outs) * sizeof(void *);
  c->member_stride = align_up(off);
  c->status_off = 0;
  c->member_off = align_up((uint64_t)c->n_members * sizeof(jet_status));
  c->frame_bytes = c->member_off + (uint64_t)c->n_members * c->member_stride;
}

/* Checks the counts the runtime relies on (the validator has checked the
 * types) and sets the loop's shape fields. */
static jet_status shape_fields(const jet_node *n, jet_control *c) {
  switch (n->op) {
    case JET_OP_COND:
      if (n->n_operands < 1) return mismatch(n, "the operand count", 0, 1);
      c->n_args = n->n_operands - 1;
      c->n_outs = n->n_results;
      for (uint32_t k = 0; k < c->n_progs; k++) {
        const jet_graph *b = n->subgraphs[k];
        if (b->n_params != c->n_args) return mismatch(n, "a branch's parameter count", b->n_params, c->n_args);
        if (b->n_outputs != c->n_outs) return mismatch(n, "a branch's output count", b->n_outputs, c->n_outs);
      }
      return NULL;
    case JET_OP_WHILE: {
      if (c->n_progs != 2) return mismatch(n, "the sub-graph count", c->n_progs, 2);
      const int64_t nc = jet_node_attr_int(n, "n_consts", 0);
      if (nc < 0 || nc > n->n_operands) return mismatch(n, "n_consts", (uint32_t)nc, n->n_operands);
      c->nc = (uint32_t)nc;
      c->nk = n->n_operands - c->nc;
      if (n->n_results != c->nk) return mismatch(n, "the result count", n->n_results, c->nk);
      const jet_graph *cg = n->subgraphs[0], *bg = n->subgraphs[1];
      if (cg->n_params != n->n_operands)
        return mismatch(n, "the cond graph's parameter count", cg->n_params, n->n_operands);
      if (bg->n_params != n->n_operands)
        return mismatch(n, "the body's parameter count", bg->n_params, n->n_operands);
      if (cg->n_outputs != 1) return mismatch(n, "the cond graph's output count", cg->n_outputs, 1);
      if (bg->n_outputs != c->nk) return mismatch(n, "the body's output count", bg->n_outputs, c->nk);
      c->n_args = n->n_operands;
      c->n_outs = c->nk;
      return NULL;
    }
    case JET_OP_SCAN: {
      if (c->n_progs != 1) return mismatch(n, "the sub-graph count", c->n_progs, 1);
      const int64_t nc = jet_node_attr_int(n, "n_consts", 0), nk = jet_node_attr_int(n, "n_carry", 0);
      c->length = jet_node_attr_int(n, "length", 0);
      c->reverse = jet_node_attr_bool(n, "reverse", false);
      if (nc < 0 || nk < 0 || nc + nk > n->n_operands || c->length < 0)
        return jet_status_make(JET_INVALID_ARGUMENT, "lowering scan: bad n_consts/n_carry/length");
      const jet_graph *bg = n->subgraphs[0];
      c->nc = (uint32_t)nc;
      c->nk = (uint32_t)nk;
      c->nx = n->n_operands - c->nc - c->nk;
      if (bg->n_params != n->n_operands)
        return mismatch(n, "the body's parameter count", bg->n_params, n->n_operands);
      if (bg->n_outputs < c->nk || n->n_results != bg->n_outputs)
        return mismatch(n, "the body's output count", bg->n_outputs, n->n_results);
      c->ny = bg->n_outputs - c->nk;
      c->x_slice = calloc(c->nx + c->ny + 1, sizeof *c->x_slice);
      if (!c->x_slice) return jet_status_oom("scan slices");
      c->y_slice = c->x_slice + c->nx;
      for (uint32_t j = 0; j < c->nx; j++)
        c->x_slice[j] = jet_type_nbytes(&bg->value_types[c->nc + c->nk + j]);
      for (uint32_t j = 0; j < c->ny; j++)
        c->y_slice[j] = jet_type_nbytes(&bg->value_types[bg->outputs[c->nk + j]]);
      c->n_args = n->n_operands;
      c->n_outs = bg->n_outputs;
      return NULL;
    }
    case JET_OP_PMAP: return pmap_fields(n, c);
    default:
      return jet_status_make(JET_INTERNAL, "lowering: %s is not a control-flow op",
                             jet_op_name(n->op));
  }
}

static jet_status build_control(const jet_node *n, jet_control **out) {
  jet_control *c = calloc(1, sizeof *c);
  if (!c) return jet_status_oom("control step");
  *out = c;
  c->n_progs = n->n_subgraphs;
  c->progs = calloc(c->n_progs ? c->n_progs : 1, sizeof *c->progs);
  c->prog_off = calloc(c->n_progs ? c->n_progs : 1, sizeof *c->prog_off);
  if (!c->progs || !c->prog_off) return jet_status_oom("control step");
  if (c->n_progs == 0) return mismatch(n, "the sub-graph count", 0, 1);
  JET_RETURN_IF_ERROR(shape_fields(n, c));
  for (uint32_t k = 0; k < c->n_progs; k++) {
    jet_status st = jet_lower(n->subgraphs[k], &c->progs[k]);
    if (st) return jet_status_annotate(st, "%s sub-graph %u: ", jet_op_name(n->op), k);
  }
  if (n->op == JET_OP_PMAP) {
    pmap_layout(c);
    return NULL;
  }
  uint64_t off = 0;
  if (n->op == JET_OP_COND) {
    for (uint32_t k = 0; k < c->n_progs; k++)
      if (c->progs[k]->frame_bytes > off) off = c->progs[k]->frame_bytes;
  } else {
    for (uint32_t k = 0; k < c->n_progs; k++) {
      c->prog_off[k] = off;
      off += align_up(c->progs[k]->frame_bytes);
    }
  }
  off = align_up(off);
  c->carry_buf_off = calloc(c->nk ? c->nk : 1, sizeof *c->carry_buf_off);
  if (!c->carry_buf_off) return jet_status_oom("control step");
  for (uint32_t k = 0; k < c->nk; k++) {
    c->carry_buf_off[k] = off;
    off += align_up(jet_type_nbytes(&n->results[k]));
  }
  c->pred_off = off;
  if (n->op == JET_OP_WHILE) off += ALIGN;
  c->ptrs_off = off;
  off += (uint64_t)(c->n_args + c->n_outs) * sizeof(void *);
  c->frame_bytes = align_up(off);
  return NULL;
}

jet_status jet__lower_control(jet_program *p) {
  const jet_graph *g = p->graph;
  uint64_t region = 0;
  for (uint32_t s = 0; s < p->n_steps; s++) {
    jet_step *step = &p->steps[s];
    if (step->kind != JET_STEP_CONTROL) continue;
    JET_RETURN_IF_ERROR(build_control(step->node, &step->control));
    const jet_control *c = step->control;
    if (c->frame_bytes > region) region = c->frame_bytes;
    p->info.program_bytes += sizeof *c + c->n_progs * (sizeof(void *) + sizeof(uint64_t));
    for (uint32_t k = 0; k < c->n_progs; k++) p->info.program_bytes += c->progs[k]->info.program_bytes;
    if (c->n_members)
      p->info.program_bytes += (uint64_t)c->n_members * sizeof *c->devices +
                               (uint64_t)(c->n_args + c->n_outs + 1) *
                                   (sizeof *c->in_axes + 2 * sizeof *c->arg_slice);
  }
  p->arena_off = align_up((uint64_t)g->n_values * sizeof(void *));
  p->ctl_off = align_up(p->arena_off + p->arena_bytes);
  p->frame_bytes = p->ctl_off + region;
  p->info.arena_bytes = p->arena_bytes + region;
  uint32_t n_io = 0;
  for (uint32_t v = 0; v < g->n_values; v++)
    n_io += p->locs[v].kind == JET_LOC_PARAM || p->locs[v].kind == JET_LOC_OUTPUT;
  p->io = malloc((n_io ? n_io : 1) * sizeof *p->io);
  if (!p->io) return jet_status_oom("program io list");
  for (uint32_t v = 0; v < g->n_values; v++)
    if (p->locs[v].kind == JET_LOC_PARAM || p->locs[v].kind == JET_LOC_OUTPUT) p->io[p->n_io++] = v;
  p->info.program_bytes += (uint64_t)n_io * sizeof *p->io;
  p->out_bytes = malloc((g->n_outputs ? g->n_outputs : 1) * sizeof *p->out_bytes);
  if (!p->out_bytes) return jet_status_oom("program output sizes");
  for (uint32_t o = 0; o < g->n_outputs; o++)
    p->out_bytes[o] = jet_type_nbytes(&g->value_types[g->outputs[o]]);
  return NULL;
}
