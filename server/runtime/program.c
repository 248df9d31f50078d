/* Runs a compiled program (program.h; layout in program_internal.h): one
 * frame per execution (value-address table, the arena of every
 * intermediate, sized at compile time, and the frames of control steps and
 * their nested loops: program_control.c); output buffers allocated up
 * front (or taken over from donated arguments); steps in order with the
 * cancel flag and deadline checked between them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jet/strbuf.h"
#include "kernels/kernels.h"
#include "mem.h"
#include "pool.h"
#include "program_internal.h"

void jet_program_destroy(jet_program *p) {
  if (!p) return;
  for (uint32_t s = 0; s < p->n_steps; s++) {
    if (p->steps[s].fused) {
      free(p->steps[s].fused->instr);
      free(p->steps[s].fused);
    }
    jet__control_destroy(p->steps[s].control);
  }
  free(p->io);
  free(p->out_bytes);
  free(p->steps);
  free(p->locs);
  free(p->copy_out);
  free(p->donate_ok);
  free(p);
}

void jet_program_get_info(const jet_program *p, jet_program_info *out) { *out = p->info; }

static jet_status check_ctl(const jet_exec_ctl *ctl, const jet_step *s) {
  return jet_exec_ctl_check(ctl, s->node_index, s->node);
}

static jet_status run_kernel(const jet_program *p, const jet_step *s, void *const *base,
                             const jet_exec_ctl *ctl) {
  const jet_node *node = s->node;
  const jet_graph *g = p->graph;
  jet_buf ins[8], outs[4];
  jet_buf *in = node->n_operands <= 8 ? ins : malloc(node->n_operands * sizeof *in);
  jet_buf *out = node->n_results <= 4 ? outs : malloc(node->n_results * sizeof *out);
  jet_status st = NULL;
  if (!in || !out) {
    st = jet_status_oom("kernel operands");
    goto done;
  }
  for (uint32_t k = 0; k < node->n_operands; k++) {
    in[k].type = g->value_types[node->operands[k]];
    in[k].data = base[node->operands[k]];
  }
  for (uint32_t k = 0; k < node->n_results; k++) {
    out[k].type = node->results[k];
    out[k].data = base[node->first_result + k];
  }
  if (jet_op_takes_subgraphs(node->op)) {
    /* Lowering turns control nodes into control steps (program_control.c);
     * a kernel step of one runs it on the reference executor, with the
     * request's controls. */
    st = jet__control_into(node, in, out, ctl);
    goto done;
  }
  if (jet_op_is_collective(node->op)) {
    st = jet__exec_collective(node, in, out, ctl); /* with the member's bound axes */
    goto done;
  }
  const jet_kernel_fn fn = jet_exec_kernel(node->op);
  st = fn ? fn(node, in, out) : jet_status_make(JET_INVALID_ARGUMENT, "no kernel");
done:
  if (in != ins) free(in);
  if (out != outs) free(out);
  return st;
}

static jet_status too_big(const jet_exec_ctl *ctl, uint64_t need) {
  return jet_status_make(JET_RESOURCE_EXHAUSTED,
                         "the program needs %llu bytes of working memory and outputs, over the "
                         "%llu bytes left on the device",
                         (unsigned long long)need, (unsigned long long)ctl->max_temp_bytes);
}

void jet__frame_bind(const jet_program *p, char *frame, void *const *args, void *const *outs) {
  void **base = (void **)frame;
  char *arena = frame + p->arena_off;
  for (uint32_t v = 0; v < p->graph->n_values; v++) {
    const jet_loc *l = &p->locs[v];
    switch (l->kind) {
      case JET_LOC_PARAM: base[v] = args[l->index]; break;
      case JET_LOC_CONST: base[v] = (void *)l->data; break;
      case JET_LOC_ARENA: base[v] = arena + l->offset; break;
      case JET_LOC_OUTPUT: base[v] = outs[l->index]; break;
      default: base[v] = NULL; break;
    }
  }
}

void jet__frame_rebind(const jet_program *p, char *frame, void *const *args, void *const *outs) {
  void **base = (void **)frame;
  for (uint32_t i = 0; i < p->n_io; i++) {
    const uint32_t v = p->io[i];
    const jet_loc *l = &p->locs[v];
    base[v] = l->kind == JET_LOC_PARAM ? args[l->index] : outs[l->index];
  }
}

uint64_t jet__program_scratch_bytes(const jet_program *p, uint32_t pool_size) {
  uint64_t m = 0;
  for (uint32_t s = 0; s < p->n_steps; s++) {
    uint64_t b = 0;
    if (p->steps[s].fused) b = jet_fused_scratch_bytes(p->steps[s].fused, pool_size);
    const jet_control *c = p->steps[s].control;
    if (c) {
      const uint64_t sb = jet__control_scratch_bytes(c, pool_size);
      if (sb > b) b = sb;
    }
    if (b > m) m = b;
  }
  return m;
}

jet_status jet__program_exec(const jet_program *p, char *frame, void *const *outs, void *scratch,
                             const jet_exec_ctl *ctl) {
  void *const *base = (void *const *)frame;
  for (uint32_t s = 0; s < p->n_steps; s++) {
    const jet_step *step = &p->steps[s];
    if (s) JET_RETURN_IF_ERROR(check_ctl(ctl, step));
    jet_status st = NULL;
    switch (step->kind) {
      case JET_STEP_FUSED:
        if (!jet_fused_run(step->fused, base, scratch, ctl)) {
          st = check_ctl(ctl, step);
          if (!st)
            st = jet_status_make(JET_CANCELLED, "execution stopped in node %u (%s)",
                                 step->node_index, jet_op_name(step->node->op));
          return st;
        }
        break;
      case JET_STEP_CONTROL:
        st = jet__control_run(p, step, base, frame + p->ctl_off, scratch, ctl);
        break;
      default: st = run_kernel(p, step, base, ctl); break;
    }
    if (st)
      return jet_status_annotate(st, "node %u (%s): ", step->node_index,
                                 jet_op_name(step->node->op));
  }
  const jet_graph *g = p->graph;
  for (uint32_t o = 0; o < g->n_outputs; o++)
    if (p->copy_out[o] && p->out_bytes[o] && outs[o] != base[g->outputs[o]])
      memcpy(outs[o], base[g->outputs[o]], p->out_bytes[o]);
  return NULL;
}

jet_status jet_program_run(const jet_program *p, const jet_buf *args, uint32_t n_args,
                           void **donate, jet_buf *outs, const jet_exec_ctl *ctl) {
  return jet_program_run_blocks(p, args, NULL, n_args, donate, outs, ctl);
}

jet_status jet_program_run_blocks(const jet_program *p, const jet_buf *args,
                                  const jet_arg_blocks *blocks, uint32_t n_args, void **donate,
                                  jet_buf *outs, const jet_exec_ctl *ctl_in) {
  const jet_graph *g = p->graph;
  jet_exec_ctl ctl_blocks = {0};
  if (ctl_in) ctl_blocks = *ctl_in;
  ctl_blocks.arg_blocks = blocks;
  ctl_blocks.blocks_of = blocks ? p : NULL;
  const jet_exec_ctl *ctl = ctl_in || blocks ? &ctl_blocks : NULL;
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
    const bool as_blocks = blocks && blocks[i].n;
    if (as_blocks && (args[i].type.rank == 0 || args[i].type.dims[0] % blocks[i].n != 0))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "argument %u: %u blocks do not split its leading axis", i,
                             blocks[i].n);
    if (as_blocks && !jet_program_arg_takes_blocks(p, i))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "argument %u is given as blocks but the program reads it whole", i);
    if (!args[i].data && !as_blocks && jet_type_nbytes(&args[i].type) > 0)
      return jet_status_make(JET_INVALID_ARGUMENT, "argument %u has no data", i);
  }
  const uint32_t P = jet_pool_size(jet_pool_global());
  const uint64_t scratch_bytes = jet__program_scratch_bytes(p, P);
  uint64_t need = p->frame_bytes + scratch_bytes;
  for (uint32_t o = 0; o < g->n_outputs; o++) need += jet_type_nbytes(&g->value_types[g->outputs[o]]);
  if (ctl && ctl->max_temp_bytes && need > ctl->max_temp_bytes) return too_big(ctl, need);

  jet_status st = NULL;
  char *frame = NULL, *scratch = NULL;
  bool *taken = NULL;
  void *ptr_stack[16];
  void **ptrs = n_args + g->n_outputs <= 16 ? ptr_stack
                                            : malloc((n_args + g->n_outputs) * sizeof *ptrs);
  if (!ptrs) return jet_status_oom("argument table");
  /* Outputs: a donated argument of the same size when allowed, else fresh. */
  if (donate && p->donate_ok) {
    taken = calloc(n_args ? n_args : 1, 1);
    if (!taken) {
      st = jet_status_oom("donation table");
      goto fail;
    }
  }
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    const jet_type *t = &g->value_types[g->outputs[o]];
    outs[o].type = *t;
    if (taken && !p->copy_out[o])
      for (uint32_t a = 0; a < n_args && !outs[o].data; a++)
        if (donate[a] && !taken[a] && p->donate_ok[(size_t)a * g->n_outputs + o]) {
          taken[a] = true;
          outs[o].data = donate[a];
        }
    if (!outs[o].data) outs[o].data = jet_mem_alloc(jet_type_nbytes(t));
    if (!outs[o].data) {
      st = jet_status_make(JET_RESOURCE_EXHAUSTED, "out of memory allocating output %u", o);
      goto fail;
    }
  }
  frame = jet_mem_alloc(p->frame_bytes);
  scratch = scratch_bytes ? jet_mem_alloc(scratch_bytes) : NULL;
  if (!frame || (scratch_bytes && !scratch)) {
    st = jet_status_make(JET_RESOURCE_EXHAUSTED, "out of memory allocating %llu bytes of arena",
                         (unsigned long long)(p->frame_bytes + scratch_bytes));
    goto fail;
  }
  for (uint32_t i = 0; i < n_args; i++) ptrs[i] = args[i].data;
  for (uint32_t o = 0; o < g->n_outputs; o++) ptrs[n_args + o] = outs[o].data;
  jet__frame_bind(p, frame, ptrs, ptrs + n_args);
  if (p->n_steps) st = check_ctl(ctl, &p->steps[0]);
  if (!st) st = jet__program_exec(p, frame, ptrs + n_args, scratch, ctl);
  if (st) goto fail;
  if (taken)
    for (uint32_t a = 0; a < n_args; a++)
      if (taken[a]) donate[a] = NULL;
  free(taken);
  if (ptrs != ptr_stack) free(ptrs);
  jet_mem_free(frame);
  jet_mem_free(scratch);
  return NULL;

fail:
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    bool donated = false;
    if (taken)
      for (uint32_t a = 0; a < n_args; a++)
        if (taken[a] && donate[a] == outs[o].data) donated = true;
    if (!donated) jet_mem_free(outs[o].data);
    outs[o].data = NULL;
  }
  free(taken);
  if (ptrs != ptr_stack) free(ptrs);
  jet_mem_free(frame);
  jet_mem_free(scratch);
  return st;
}

static void describe_loc(jet_strbuf *sb, const jet_loc *l) {
  switch (l->kind) {
    case JET_LOC_PARAM: jet_strbuf_printf(sb, "arg%u", l->index); break;
    case JET_LOC_CONST: jet_strbuf_printf(sb, "const"); break;
    case JET_LOC_ARENA: jet_strbuf_printf(sb, "arena+%llu", (unsigned long long)l->offset); break;
    case JET_LOC_OUTPUT: jet_strbuf_printf(sb, "out%u", l->index); break;
    default: jet_strbuf_printf(sb, "reg"); break;
  }
}

/* Each sub-program's listing, indented by four spaces. */
static void describe_subprograms(jet_strbuf *sb, const jet_control *c) {
  for (uint32_t k = 0; k < c->n_progs; k++) {
    char *d = jet_program_describe(c->progs[k]);
    if (!d) continue;
    jet_strbuf_printf(sb, "    [%u] ", k);
    for (const char *line = d; *line;) {
      const char *nl = strchr(line, '\n');
      const int len = nl ? (int)(nl - line) : (int)strlen(line);
      jet_strbuf_printf(sb, "%s%.*s\n", line == d ? "" : "    ", len, line);
      line += len + (nl ? 1 : 0);
    }
    free(d);
  }
}

char *jet_program_describe(const jet_program *p) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_strbuf_printf(&sb, "program: %u steps (%u fused, %u nodes fused), arena %llu bytes\n",
                    p->n_steps, p->info.fused_steps, p->info.fused_nodes,
                    (unsigned long long)p->arena_bytes);
  for (uint32_t s = 0; s < p->n_steps; s++) {
    const jet_step *st = &p->steps[s];
    if (st->kind != JET_STEP_FUSED) {
      jet_strbuf_printf(&sb, "  %u: %s node %u ->", s, jet_op_name(st->node->op), st->node_index);
      for (uint32_t k = 0; k < st->node->n_results; k++) {
        jet_strbuf_printf(&sb, " %%%u@", st->node->first_result + k);
        describe_loc(&sb, &p->locs[st->node->first_result + k]);
      }
      if (st->control)
        jet_strbuf_printf(&sb, ", frame %llu bytes", (unsigned long long)st->control->frame_bytes);
      jet_strbuf_printf(&sb, "\n");
      if (st->control) describe_subprograms(&sb, st->control);
      continue;
    }
    const jet_fused *f = st->fused;
    jet_strbuf_printf(&sb, "  %u: fused %u nodes over %lld elements, %u registers%s\n", s,
                      f->n_nodes, (long long)f->n, f->n_regs,
                      f->red_mode == JET_RED_ROWS   ? ", row reduction"
                      : f->red_mode == JET_RED_COLS ? ", column reduction"
                                                    : "");
    for (uint32_t i = 0; i < f->n_instr; i++) {
      const jet_tinstr *ti = &f->instr[i];
      static const char *kinds[] = {"load", "scalar", "bcast", "op", "nop"};
      jet_strbuf_printf(&sb, "      t%u = %s", i, kinds[ti->kind]);
      if (ti->kind == JET_TI_OP) {
        if (ti->node1)
          jet_strbuf_printf(&sb, " pair %s+%s(", jet_op_name(ti->node1->op),
                            jet_op_name(ti->op.node->op));
        else
          jet_strbuf_printf(&sb, " %s(", jet_op_name(ti->op.node->op));
        for (int k = 0; k < ti->op.n_in; k++) jet_strbuf_printf(&sb, k ? ", t%u" : "t%u", ti->src[k]);
        jet_strbuf_printf(&sb, ")%s", ti->op.fast ? "" : " [reference]");
      } else {
        jet_strbuf_printf(&sb, " %%%u", ti->value);
      }
      if (ti->store) {
        jet_strbuf_printf(&sb, " -> %%%u@", ti->def);
        describe_loc(&sb, &p->locs[ti->def]);
      }
      jet_strbuf_printf(&sb, "\n");
    }
    if (f->red_mode) {
      jet_strbuf_printf(&sb, "      %s(t%u) -> %%%u@", jet_op_name(f->red_op), f->red_slot,
                        f->red_value);
      describe_loc(&sb, &p->locs[f->red_value]);
      jet_strbuf_printf(&sb, "\n");
    }
  }
  return jet_strbuf_take(&sb);
}
