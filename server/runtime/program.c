/* Runs a compiled program (program.h; layout in program_internal.h): one
 * arena for every intermediate, sized at compile time; output buffers
 * allocated up front (or taken over from donated arguments); steps in order
 * with the cancel flag and deadline checked between them. */
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
  for (uint32_t s = 0; s < p->n_steps; s++)
    if (p->steps[s].fused) {
      free(p->steps[s].fused->instr);
      free(p->steps[s].fused);
    }
  free(p->steps);
  free(p->locs);
  free(p->copy_out);
  free(p->donate_ok);
  free(p);
}

void jet_program_get_info(const jet_program *p, jet_program_info *out) { *out = p->info; }

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static jet_status check_ctl(const jet_exec_ctl *ctl, const jet_step *s) {
  if (!ctl) return NULL;
  if (ctl->cancelled && atomic_load(ctl->cancelled) != 0)
    return jet_status_make(JET_CANCELLED, "execution cancelled before node %u (%s)",
                           s->node_index, jet_op_name(s->node->op));
  if (ctl->deadline_ns > 0 && now_ns() >= ctl->deadline_ns)
    return jet_status_make(JET_DEADLINE_EXCEEDED, "deadline exceeded before node %u (%s)",
                           s->node_index, jet_op_name(s->node->op));
  return NULL;
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
    /* Bodies run with the request's controls (cancel, deadline). */
    st = jet__control_into(node, in, out, ctl);
    goto done;
  }
  const jet_kernel_fn fn = jet_exec_kernel(node->op);
  st = fn ? fn(node, in, out) : jet_status_make(JET_INVALID_ARGUMENT, "no kernel");
done:
  if (in != ins) free(in);
  if (out != outs) free(out);
  return st;
}

static void *loc_addr(const jet_loc *l, const jet_buf *args, char *arena, jet_buf *outs) {
  switch (l->kind) {
    case JET_LOC_PARAM: return args[l->index].data;
    case JET_LOC_CONST: return (void *)l->data;
    case JET_LOC_ARENA: return arena + l->offset;
    case JET_LOC_OUTPUT: return outs[l->index].data;
    default: return NULL;
  }
}

static jet_status too_big(const jet_exec_ctl *ctl, uint64_t need) {
  return jet_status_make(JET_RESOURCE_EXHAUSTED,
                         "the program needs %llu bytes of working memory and outputs, over the "
                         "%llu bytes left on the device",
                         (unsigned long long)need, (unsigned long long)ctl->max_temp_bytes);
}

jet_status jet_program_run(const jet_program *p, const jet_buf *args, uint32_t n_args,
                           void **donate, jet_buf *outs, const jet_exec_ctl *ctl) {
  const jet_graph *g = p->graph;
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
  const uint32_t P = jet_pool_size(jet_pool_global());
  uint64_t scratch_bytes = 0;
  for (uint32_t s = 0; s < p->n_steps; s++)
    if (p->steps[s].fused) {
      const uint64_t b = jet_fused_scratch_bytes(p->steps[s].fused, P);
      if (b > scratch_bytes) scratch_bytes = b;
    }
  uint64_t need = p->arena_bytes + scratch_bytes;
  for (uint32_t o = 0; o < g->n_outputs; o++) need += jet_type_nbytes(&g->value_types[g->outputs[o]]);
  if (ctl && ctl->max_temp_bytes && need > ctl->max_temp_bytes) return too_big(ctl, need);

  jet_status st = NULL;
  void **base = NULL;
  char *arena = NULL, *scratch = NULL;
  bool *taken = NULL;
  /* Outputs: a donated argument of the same size when allowed, else fresh. */
  if (donate && p->donate_ok) {
    taken = calloc(n_args ? n_args : 1, 1);
    if (!taken) return jet_status_oom("donation table");
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
  base = malloc((g->n_values ? g->n_values : 1) * sizeof *base);
  arena = p->arena_bytes ? jet_mem_alloc(p->arena_bytes) : NULL;
  scratch = scratch_bytes ? jet_mem_alloc(scratch_bytes) : NULL;
  if (!base || (p->arena_bytes && !arena) || (scratch_bytes && !scratch)) {
    st = jet_status_make(JET_RESOURCE_EXHAUSTED, "out of memory allocating %llu bytes of arena",
                         (unsigned long long)(p->arena_bytes + scratch_bytes));
    goto fail;
  }
  for (uint32_t v = 0; v < g->n_values; v++) base[v] = loc_addr(&p->locs[v], args, arena, outs);

  for (uint32_t s = 0; s < p->n_steps; s++) {
    const jet_step *step = &p->steps[s];
    st = check_ctl(ctl, step);
    if (st) goto fail;
    if (step->kind == JET_STEP_FUSED) {
      if (!jet_fused_run(step->fused, base, scratch, ctl)) {
        st = check_ctl(ctl, step);
        if (!st)
          st = jet_status_make(JET_CANCELLED, "execution stopped in node %u (%s)",
                               step->node_index, jet_op_name(step->node->op));
        goto fail;
      }
    } else {
      st = run_kernel(p, step, base, ctl);
      if (st) {
        st = jet_status_annotate(st, "node %u (%s): ", step->node_index,
                                 jet_op_name(step->node->op));
        goto fail;
      }
    }
  }
  for (uint32_t o = 0; o < g->n_outputs; o++)
    if (p->copy_out[o]) {
      const void *src = base[g->outputs[o]];
      const size_t nb = jet_type_nbytes(&outs[o].type);
      if (nb) memcpy(outs[o].data, src, nb);
    }
  if (taken)
    for (uint32_t a = 0; a < n_args; a++)
      if (taken[a]) donate[a] = NULL;
  free(taken);
  free(base);
  jet_mem_free(arena);
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
  free(base);
  jet_mem_free(arena);
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

char *jet_program_describe(const jet_program *p) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_strbuf_printf(&sb, "program: %u steps (%u fused, %u nodes fused), arena %llu bytes\n",
                    p->n_steps, p->info.fused_steps, p->info.fused_nodes,
                    (unsigned long long)p->arena_bytes);
  for (uint32_t s = 0; s < p->n_steps; s++) {
    const jet_step *st = &p->steps[s];
    if (st->kind == JET_STEP_KERNEL) {
      jet_strbuf_printf(&sb, "  %u: %s node %u ->", s, jet_op_name(st->node->op), st->node_index);
      for (uint32_t k = 0; k < st->node->n_results; k++) {
        jet_strbuf_printf(&sb, " %%%u@", st->node->first_result + k);
        describe_loc(&sb, &p->locs[st->node->first_result + k]);
      }
      jet_strbuf_printf(&sb, "\n");
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
