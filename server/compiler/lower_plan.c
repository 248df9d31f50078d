/* Memory planning of a lowered program (lower_internal.h).
 *
 * Locations: arguments and constants stay where they are; a reshape alias
 * shares its source's location; a graph output computed by a step is
 * written straight into its output buffer (an output that is an argument,
 * a constant, an alias or listed twice is copied at the end); every other
 * value in memory gets an offset in the execution's arena.
 *
 * Liveness: a value's memory is taken when its step starts and given back
 * after the last step reading it (aliases count as readers of their
 * source). Offsets come from a best-fit free list over the arena, so the
 * arena is the peak of live intermediates, not their sum. In place: a
 * fused step's materialised result takes over the block of a value that
 * dies in that step when they have the same size and element size and the
 * tile program reads the dying value only by plain loads, all before the
 * instruction that writes the result (then every element is read before it
 * is overwritten, tile by tile). The same rule says which donated argument
 * may become which output buffer (donate_ok). */
#include <stdlib.h>
#include <string.h>

#include "compiler/lower_internal.h"

#define ALIGN 64

typedef struct blk {
  uint64_t off, len;
} blk;

typedef struct freelist {
  blk *b;
  uint32_t n, cap;
  uint64_t top;
} freelist;

static uint64_t align_up(uint64_t x) { return (x + ALIGN - 1) / ALIGN * ALIGN; }

static jet_status fl_alloc(freelist *fl, uint64_t size, uint64_t *off) {
  size = align_up(size);
  if (size == 0) {
    *off = 0;
    return NULL;
  }
  int32_t best = -1;
  for (uint32_t i = 0; i < fl->n; i++)
    if (fl->b[i].len >= size && (best < 0 || fl->b[i].len < fl->b[best].len)) best = (int32_t)i;
  if (best >= 0) {
    *off = fl->b[best].off;
    fl->b[best].off += size;
    fl->b[best].len -= size;
    if (fl->b[best].len == 0) {
      memmove(&fl->b[best], &fl->b[best + 1], (fl->n - (uint32_t)best - 1) * sizeof(blk));
      fl->n--;
    }
    return NULL;
  }
  if (fl->n && fl->b[fl->n - 1].off + fl->b[fl->n - 1].len == fl->top) { /* grow the tail */
    *off = fl->b[fl->n - 1].off;
    fl->n--;
    fl->top = *off + size;
    return NULL;
  }
  *off = fl->top;
  fl->top += size;
  return NULL;
}

static jet_status fl_free(freelist *fl, uint64_t off, uint64_t size) {
  size = align_up(size);
  if (size == 0) return NULL;
  uint32_t i = 0;
  while (i < fl->n && fl->b[i].off < off) i++;
  if (fl->n == fl->cap) {
    uint32_t cap = fl->cap ? fl->cap * 2 : 32;
    blk *nb = realloc(fl->b, cap * sizeof *nb);
    if (!nb) return jet_status_oom("memory plan");
    fl->b = nb;
    fl->cap = cap;
  }
  memmove(&fl->b[i + 1], &fl->b[i], (fl->n - i) * sizeof(blk));
  fl->b[i] = (blk){off, size};
  fl->n++;
  if (i + 1 < fl->n && fl->b[i].off + fl->b[i].len == fl->b[i + 1].off) { /* merge right */
    fl->b[i].len += fl->b[i + 1].len;
    memmove(&fl->b[i + 1], &fl->b[i + 2], (fl->n - i - 2) * sizeof(blk));
    fl->n--;
  }
  if (i > 0 && fl->b[i - 1].off + fl->b[i - 1].len == fl->b[i].off) { /* merge left */
    fl->b[i - 1].len += fl->b[i].len;
    memmove(&fl->b[i], &fl->b[i + 1], (fl->n - i - 1) * sizeof(blk));
    fl->n--;
  }
  return NULL;
}

typedef struct pctx {
  lctx *c;
  jet_program *p;
  int32_t *last_use; /* [n_values] by root: last step reading it, -1 none */
} pctx;

static size_t nbytes(const jet_graph *g, jet_value v) { return jet_type_nbytes(&g->value_types[v]); }

/* Whether fused step s may write value `def` (instruction di) over the
 * memory of root value r. */
static bool inplace_ok(const pctx *x, uint32_t s, uint32_t di, jet_value def, jet_value r) {
  const lctx *c = x->c;
  const jet_graph *g = c->g;
  const jet_fused *f = x->p->steps[s].fused;
  if (!f || nbytes(g, def) != nbytes(g, r) ||
      jet_dtype_size(g->value_types[def].dtype) != jet_dtype_size(g->value_types[r].dtype))
    return false;
  bool read = false;
  for (uint32_t i = 0; i < f->n_instr; i++) {
    const jet_tinstr *ti = &f->instr[i];
    if (ti->kind == JET_TI_OP || ti->kind == JET_TI_NOP) continue;
    if (jet__lower_root(c, ti->value) != r) continue;
    if (ti->kind != JET_TI_LOAD) return false;
    if (f->red_mode && f->red_slot == i) return false;
    for (uint32_t j = di + 1; j < f->n_instr; j++) /* a reader after the write */
      if (f->instr[j].kind == JET_TI_OP)
        for (int k = 0; k < f->instr[j].op.n_in; k++)
          if (f->instr[j].src[k] == i) return false;
    read = true;
  }
  return read;
}

static void note_read(pctx *x, jet_value v, int32_t step) {
  const jet_value r = jet__lower_root(x->c, v);
  if (x->last_use[r] < step) x->last_use[r] = step;
}

static void liveness(pctx *x) {
  const lctx *c = x->c;
  const jet_graph *g = c->g;
  const jet_program *p = x->p;
  for (uint32_t v = 0; v < g->n_values; v++) x->last_use[v] = -1;
  for (uint32_t s = 0; s < p->n_steps; s++) {
    const jet_step *st = &p->steps[s];
    if (st->kind != JET_STEP_FUSED) { /* kernel or control step */
      for (uint32_t k = 0; k < st->node->n_operands; k++) note_read(x, st->node->operands[k], (int32_t)s);
      continue;
    }
    for (uint32_t i = 0; i < st->fused->n_instr; i++) {
      const uint8_t k = st->fused->instr[i].kind;
      if (k != JET_TI_OP && k != JET_TI_NOP) note_read(x, st->fused->instr[i].value, (int32_t)s);
    }
  }
  for (uint32_t o = 0; o < g->n_outputs; o++)
    if (p->copy_out[o]) note_read(x, g->outputs[o], (int32_t)p->n_steps);
}

static void assign_locs(pctx *x) {
  lctx *c = x->c;
  const jet_graph *g = c->g;
  jet_program *p = x->p;
  for (uint32_t v = 0; v < g->n_values; v++) {
    jet_loc *l = &p->locs[v];
    const int32_t ni = g->value_node[v];
    if (ni < 0) {
      *l = (jet_loc){.kind = JET_LOC_PARAM, .index = v};
    } else if (g->nodes[ni].op == JET_OP_CONSTANT) {
      const jet_attr *a = jet_node_attr(&g->nodes[ni], "value");
      *l = (jet_loc){.kind = JET_LOC_CONST, .data = a ? a->u.lit.data : NULL};
    } else if (c->alias_of[v] == v && c->state[v] == V_MAT && c->def_step[v] >= 0) {
      *l = (jet_loc){.kind = JET_LOC_ARENA};
    }
  }
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    const jet_value v = g->outputs[o];
    if (p->locs[v].kind == JET_LOC_ARENA && c->alias_of[v] == v) {
      p->locs[v] = (jet_loc){.kind = JET_LOC_OUTPUT, .index = o};
      p->copy_out[o] = false;
    } else {
      p->copy_out[o] = true;
    }
  }
}

static jet_status plan_offsets(pctx *x) {
  lctx *c = x->c;
  const jet_graph *g = c->g;
  jet_program *p = x->p;
  freelist fl = {0};
  jet_status st = NULL;
  uint8_t *given = calloc(g->n_values ? g->n_values : 1, 1); /* block handed over in place */
  if (!given) return jet_status_oom("memory plan");
  /* Values by defining step and by dying step: scan per step (steps are
   * few compared to values; each scan is over the step's own values). */
  for (uint32_t s = 0; s < p->n_steps && !st; s++) {
    const jet_step *step = &p->steps[s];
    if (step->kind != JET_STEP_FUSED) {
      for (uint32_t k = 0; k < step->node->n_results && !st; k++) {
        const jet_value v = step->node->first_result + k;
        if (p->locs[v].kind == JET_LOC_ARENA) {
          st = fl_alloc(&fl, nbytes(g, v), &p->locs[v].offset);
          p->info.intermediate_bytes += nbytes(g, v);
        }
      }
    } else {
      const jet_fused *f = step->fused;
      for (uint32_t i = 0; i < f->n_instr && !st; i++) {
        const jet_tinstr *ti = &f->instr[i];
        const jet_value v = ti->def;
        if (!ti->store || p->locs[v].kind != JET_LOC_ARENA) continue;
        p->info.intermediate_bytes += nbytes(g, v);
        bool done = false;
        if (ti->kind == JET_TI_OP)
          for (uint32_t j = 0; j < f->n_instr && !done; j++) {
            const jet_tinstr *in = &f->instr[j];
            if (in->kind != JET_TI_LOAD) continue;
            const jet_value r = jet__lower_root(c, in->value);
            if (p->locs[r].kind != JET_LOC_ARENA || given[r] || x->last_use[r] != (int32_t)s)
              continue;
            if (!inplace_ok(x, s, i, v, r)) continue;
            given[r] = 1;
            p->locs[v].offset = p->locs[r].offset;
            done = true;
          }
        if (!done) st = fl_alloc(&fl, nbytes(g, v), &p->locs[v].offset);
      }
      if (f->red_mode && p->locs[f->red_value].kind == JET_LOC_ARENA && !st) {
        st = fl_alloc(&fl, nbytes(g, f->red_value), &p->locs[f->red_value].offset);
        p->info.intermediate_bytes += nbytes(g, f->red_value);
      }
    }
    /* Free what dies here (and what nobody reads). */
    for (uint32_t v = g->n_params; v < g->n_values && !st; v++) {
      if (p->locs[v].kind != JET_LOC_ARENA || given[v]) continue;
      const bool dies = x->last_use[v] == (int32_t)s;
      const bool unread = x->last_use[v] < 0 && c->def_step[v] == (int32_t)s;
      if (dies || unread) st = fl_free(&fl, p->locs[v].offset, nbytes(g, v));
    }
  }
  p->arena_bytes = fl.top;
  free(fl.b);
  free(given);
  return st;
}

static void plan_donation(pctx *x) {
  lctx *c = x->c;
  const jet_graph *g = c->g;
  jet_program *p = x->p;
  for (uint32_t a = 0; a < g->n_params; a++)
    for (uint32_t o = 0; o < g->n_outputs; o++) {
      const jet_value v = g->outputs[o];
      bool ok = false;
      if (!p->copy_out[o] && !c->is_output[a] && nbytes(g, v) == nbytes(g, a) &&
          p->locs[v].kind == JET_LOC_OUTPUT && p->locs[v].index == o) {
        const int32_t d = c->def_step[v], lu = x->last_use[a];
        if (lu < d) {
          ok = true;
        } else if (lu == d && p->steps[d].kind == JET_STEP_FUSED) {
          const jet_fused *f = p->steps[d].fused;
          for (uint32_t i = 0; i < f->n_instr; i++)
            if (f->instr[i].kind == JET_TI_OP && f->instr[i].store && f->instr[i].def == v)
              ok = inplace_ok(x, (uint32_t)d, i, v, a);
        }
      }
      p->donate_ok[(size_t)a * g->n_outputs + o] = ok;
    }
}

jet_status jet__lower_plan(lctx *c, jet_program *p) {
  const jet_graph *g = c->g;
  const uint32_t nv = g->n_values ? g->n_values : 1;
  p->locs = calloc(nv, sizeof *p->locs);
  p->copy_out = calloc(g->n_outputs ? g->n_outputs : 1, sizeof *p->copy_out);
  p->donate_ok = calloc((size_t)(g->n_params ? g->n_params : 1) * (g->n_outputs ? g->n_outputs : 1),
                        sizeof *p->donate_ok);
  pctx x = {.c = c, .p = p, .last_use = malloc(nv * sizeof(int32_t))};
  if (!p->locs || !p->copy_out || !p->donate_ok || !x.last_use) {
    free(x.last_use);
    return jet_status_oom("memory plan");
  }
  assign_locs(&x);
  liveness(&x);
  jet_status st = plan_offsets(&x);
  if (!st) {
    for (uint32_t v = 0; v < g->n_values; v++) /* aliases share their root's place */
      if (c->alias_of[v] != v) p->locs[v] = p->locs[jet__lower_root(c, v)];
    plan_donation(&x);
    for (uint32_t i = 0; i < g->n_nodes; i++)
      for (uint32_t k = 0; k < g->nodes[i].n_results; k++)
        p->info.unfused_bytes += jet_type_nbytes(&g->nodes[i].results[k]);
    p->info.arena_bytes = p->arena_bytes;
    p->info.steps = p->n_steps;
    p->info.program_bytes = sizeof *p + p->n_steps * sizeof(jet_step) + nv * sizeof(jet_loc);
    for (uint32_t s = 0; s < p->n_steps; s++)
      if (p->steps[s].fused)
        p->info.program_bytes += sizeof(jet_fused) + p->steps[s].fused->n_instr * sizeof(jet_tinstr);
  }
  free(x.last_use);
  return st;
}
