/* Building the steps of a program from the grouping (lower_internal.h):
 * kernel steps as they are; each group as a tile program (program_internal.h):
 * first one input instruction per distinct outside value it reads (LOAD of
 * a value of the domain's shape, SCALAR of a rank-0 value, BCAST through
 * strides of a broadcast's source), then one OP per member in graph order,
 * then the optional trailing reduction. Registers are allocated by a
 * linear scan: a register is free again after its slot's last reader, so a
 * tile op may write over one of its own operands (allowed by tile.h);
 * scalar registers are filled once per task and never reused;
 * materialised values are written straight to memory and take none. */
#include <stdlib.h>
#include <string.h>

#include "compiler/lower_internal.h"

typedef struct bctx {
  lctx *c;
  int32_t *slot_of; /* [n_values], -1 = none */
  jet_fused *f;
  uint32_t cap;
} bctx;

static jet_status emit(bctx *b, const jet_tinstr *ti, uint16_t *slot) {
  jet_fused *f = b->f;
  if (f->n_instr >= JET_FUSED_MAX_INSTR)
    return jet_status_make(JET_INTERNAL, "lowering: fused group over %d instructions",
                           JET_FUSED_MAX_INSTR);
  if (f->n_instr == b->cap) {
    uint32_t cap = b->cap ? b->cap * 2 : 16;
    jet_tinstr *n = realloc(f->instr, cap * sizeof *n);
    if (!n) return jet_status_oom("tile program");
    f->instr = n;
    b->cap = cap;
  }
  f->instr[f->n_instr] = *ti;
  *slot = (uint16_t)f->n_instr++;
  return NULL;
}

static void bcast_strides(const jet_node *bn, const jet_type *src, const jet_type *out,
                          int64_t *bstride) {
  const jet_attr *a = jet_node_attr(bn, "broadcast_dimensions");
  for (int d = 0; d < JET_MAX_RANK; d++) bstride[d] = 0;
  int64_t st = 1;
  for (int i = src->rank - 1; i >= 0; i--) {
    const int64_t od = a->u.ints.v[i];
    if (src->dims[i] != 1 || out->dims[od] == 1) bstride[od] = src->dims[i] == 1 ? 0 : st;
    st *= src->dims[i];
  }
}

/* Whether the group of step `step` reads broadcast value u through its
 * source: u is a broadcast not yet in memory when the step runs. */
static bool read_as_bcast(const lctx *c, jet_value u, uint32_t step) {
  const int32_t ni = c->g->value_node[u];
  if (ni < 0 || c->g->nodes[ni].op != JET_OP_BROADCAST_IN_DIM) return false;
  return !(c->def_step[u] >= 0 && (uint32_t)c->def_step[u] < step);
}

/* The input instruction for outside value u read by the group. */
static jet_status input(bctx *b, jet_value u, uint32_t step) {
  if (b->slot_of[u] >= 0) return NULL;
  lctx *c = b->c;
  const jet_graph *g = c->g;
  const jet_type *t = &g->value_types[u];
  jet_tinstr ti = {.dtype = t->dtype, .reg = -1, .value = u, .def = u};
  if (read_as_bcast(c, u, step)) {
    const jet_node *bn = &g->nodes[g->value_node[u]];
    const jet_value src = bn->operands[0];
    const jet_type *st = &g->value_types[src];
    ti.value = src;
    if (st->rank == 0) {
      ti.kind = JET_TI_SCALAR;
    } else {
      ti.kind = JET_TI_BCAST;
      bcast_strides(bn, st, t, ti.bstride);
    }
  } else if (t->rank == 0 && b->f->rank > 0) {
    ti.kind = JET_TI_SCALAR;
  } else {
    ti.kind = JET_TI_LOAD;
  }
  uint16_t s;
  JET_RETURN_IF_ERROR(emit(b, &ti, &s));
  b->slot_of[u] = s;
  return NULL;
}

static jet_status member_op(bctx *b, const jet_node *n) {
  const jet_graph *g = b->c->g;
  const jet_value r = n->first_result;
  jet_tinstr ti = {.kind = JET_TI_OP, .dtype = n->results[0].dtype, .reg = -1, .def = r,
                   .store = b->c->state[r] == V_MAT};
  if (n->op == JET_OP_BROADCAST_IN_DIM) { /* a materialised broadcast */
    const jet_value src = n->operands[0];
    ti.kind = JET_TI_BCAST;
    ti.value = src;
    ti.store = true;
    bcast_strides(n, &g->value_types[src], &n->results[0], ti.bstride);
  } else {
    jet_dtype in[3];
    for (uint32_t k = 0; k < n->n_operands; k++) {
      ti.src[k] = (uint16_t)b->slot_of[n->operands[k]];
      in[k] = g->value_types[n->operands[k]].dtype;
    }
    JET_RETURN_IF_ERROR(jet_tile_resolve(n, in, n->results[0].dtype, &ti.op));
    for (uint32_t k = 0; k < n->n_operands; k++)
      if (b->f->instr[ti.src[k]].kind == JET_TI_SCALAR) ti.op.scalar |= (uint8_t)(1u << k);
  }
  uint16_t s;
  JET_RETURN_IF_ERROR(emit(b, &ti, &s));
  b->slot_of[r] = s;
  return NULL;
}

static bool pair_arith(const jet_tinstr *ti) {
  if (ti->kind != JET_TI_OP || ti->op.n_in != 2 || ti->node1) return false;
  const jet_op o = ti->op.node->op;
  return (o == JET_OP_ADD || o == JET_OP_SUB || o == JET_OP_MUL) &&
         (ti->dtype == JET_F32 || ti->dtype == JET_F64) && ti->op.in_dtype[0] == ti->dtype &&
         ti->op.in_dtype[1] == ti->dtype;
}

/* Peephole: a float add/sub/mul whose result only the next instruction
 * reads (another add/sub/mul) becomes one "pair" instruction computing
 * both in one pass over the tile (same roundings, one load and one store
 * fewer per element); the first becomes a NOP. */
static void fold_pairs(jet_fused *f) {
  for (uint32_t i = 0; i + 1 < f->n_instr; i++) {
    jet_tinstr *a = &f->instr[i], *b = &f->instr[i + 1];
    if (!pair_arith(a) || a->store || !pair_arith(b) || b->dtype != a->dtype) continue;
    if (f->red_mode && f->red_slot == i) continue;
    int k = b->src[0] == i ? 0 : b->src[1] == i ? 1 : -1;
    if (k < 0 || b->src[1 - k] == i) continue;
    uint32_t readers = 0;
    for (uint32_t j = i + 1; j < f->n_instr; j++)
      if (f->instr[j].kind == JET_TI_OP)
        for (int q = 0; q < f->instr[j].op.n_in; q++) readers += f->instr[j].src[q] == i;
    if (readers != 1) continue;
    jet_tile_op op;
    jet_status st = jet_tile_resolve_pair(a->op.node, b->op.node, k == 1, a->dtype, &op);
    if (st) {
      jet_status_free(st);
      continue;
    }
    const uint16_t other = b->src[1 - k];
    if (f->instr[a->src[1]].kind == JET_TI_SCALAR) op.scalar |= 1;
    if (f->instr[other].kind == JET_TI_SCALAR) op.scalar |= 2;
    b->src[0] = a->src[0];
    b->src[1] = a->src[1];
    b->src[2] = other;
    b->op = op;
    b->node1 = a->op.node;
    a->kind = JET_TI_NOP;
  }
}

/* Linear-scan register allocation over the finished program. */
static jet_status alloc_regs(jet_fused *f) {
  const uint32_t n = f->n_instr;
  int32_t *last = malloc((n ? n : 1) * sizeof *last);
  int32_t *freel = malloc((n ? n : 1) * sizeof *freel);
  if (!last || !freel) {
    free(last);
    free(freel);
    return jet_status_oom("register allocation");
  }
  for (uint32_t i = 0; i < n; i++) last[i] = -1;
  for (uint32_t i = 0; i < n; i++)
    if (f->instr[i].kind == JET_TI_OP)
      for (int k = 0; k < f->instr[i].op.n_in; k++) last[f->instr[i].src[k]] = (int32_t)i;
  if (f->red_mode) last[f->red_slot] = (int32_t)n;
  uint32_t n_regs = 0, n_free = 0;
  for (uint32_t i = 0; i < n; i++) /* scalars: permanent */
    if (f->instr[i].kind == JET_TI_SCALAR) f->instr[i].reg = (int32_t)n_regs++;
  for (uint32_t i = 0; i < n; i++) {
    jet_tinstr *ti = &f->instr[i];
    /* Registers of operands read for the last time here are free again;
     * the result may reuse one only when its elements have the same size
     * (a tile op may write over an operand element for element, but a
     * wider result would overwrite operand elements not yet read). Others
     * are freed after the result has its register. */
    for (int pass = 0; pass < 2; pass++) {
      if (ti->kind == JET_TI_OP)
        for (int k = 0; k < ti->op.n_in; k++) {
          const jet_tinstr *s = &f->instr[ti->src[k]];
          bool dup = false;
          for (int k2 = 0; k2 < k; k2++) dup |= ti->src[k2] == ti->src[k];
          const bool same = jet_dtype_size(s->dtype) == jet_dtype_size(ti->dtype);
          if (!dup && last[ti->src[k]] == (int32_t)i && s->reg >= 0 && s->kind != JET_TI_SCALAR &&
              same == (pass == 0))
            freel[n_free++] = s->reg;
        }
      if (pass == 0 && (ti->kind == JET_TI_OP || ti->kind == JET_TI_BCAST) && !ti->store) {
        ti->reg = n_free ? freel[--n_free] : (int32_t)n_regs++;
        if (last[i] < 0) freel[n_free++] = ti->reg;
      }
    }
  }
  const bool stream = f->n * 4 >= JET_FUSED_STREAM_MIN_BYTES;
  for (uint32_t i = 0; i < n; i++) /* staging registers of streamed results */
    f->instr[i].stage =
        stream && f->instr[i].kind == JET_TI_OP && f->instr[i].store ? (int32_t)n_regs++ : -1;
  f->n_regs = n_regs;
  free(last);
  free(freel);
  return NULL;
}

static jet_status build_group(bctx *b, int32_t gi, jet_fused *f) {
  lctx *c = b->c;
  const jet_graph *g = c->g;
  const lgroup *G = &c->groups[gi];
  f->rank = G->shape.rank;
  f->n = 1;
  for (int d = 0; d < f->rank; d++) {
    f->dims[d] = G->shape.dims[d];
    f->n *= f->dims[d];
  }
  f->n_nodes = G->n_members;
  for (uint32_t m = 0; m < G->n_members; m++) {
    const jet_node *n = &g->nodes[G->members[m]];
    if (n->op == JET_OP_BROADCAST_IN_DIM) continue;
    for (uint32_t k = 0; k < n->n_operands; k++)
      if (c->group_of[n->operands[k]] != gi)
        JET_RETURN_IF_ERROR(input(b, n->operands[k], G->step));
  }
  for (uint32_t m = 0; m < G->n_members; m++) {
    const jet_node *n = &g->nodes[G->members[m]];
    if ((int32_t)G->members[m] == G->red_node) {
      const jet_value x = n->operands[0];
      f->red_mode = G->red_mode;
      f->red_op = n->op;
      f->red_dtype = g->value_types[x].dtype;
      f->red_slot = (uint16_t)b->slot_of[x];
      f->red_value = n->first_result;
      f->outer = G->outer;
      f->inner = G->inner;
      continue;
    }
    JET_RETURN_IF_ERROR(member_op(b, n));
  }
  fold_pairs(f);
  return alloc_regs(f);
}

jet_status jet__lower_build(lctx *c, jet_program *p) {
  const jet_graph *g = c->g;
  p->steps = calloc(c->n_steps ? c->n_steps : 1, sizeof *p->steps);
  bctx b = {.c = c, .slot_of = malloc((g->n_values ? g->n_values : 1) * sizeof(int32_t))};
  if (!p->steps || !b.slot_of) {
    free(b.slot_of);
    return jet_status_oom("program steps");
  }
  for (uint32_t v = 0; v < g->n_values; v++) b.slot_of[v] = -1;
  jet_status st = NULL;
  for (uint32_t s = 0; s < c->n_steps && !st; s++) {
    const lstep *ls = &c->steps[s];
    jet_step *step = &p->steps[s];
    step->kind = ls->kind;
    step->node_index = ls->node;
    step->node = &g->nodes[ls->node];
    p->n_steps = s + 1;
    if (ls->kind != JET_STEP_FUSED) continue;
    step->fused = calloc(1, sizeof *step->fused);
    if (!step->fused) {
      st = jet_status_oom("fused step");
      break;
    }
    b.f = step->fused;
    b.cap = 0;
    st = build_group(&b, ls->group, step->fused);
    for (uint32_t i = 0; i < step->fused->n_instr; i++) { /* reset the slot map */
      b.slot_of[step->fused->instr[i].value] = -1;
      b.slot_of[step->fused->instr[i].def] = -1;
    }
    if (step->fused->n_regs > p->max_regs) p->max_regs = step->fused->n_regs;
    p->info.fused_steps++;
    p->info.fused_nodes += step->fused->n_nodes;
  }
  free(b.slot_of);
  return st;
}
