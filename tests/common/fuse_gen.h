/* Random graphs for the differential tests of the compiler's lowering
 * (tests/unit/test_server_lower_diff.c): a seeded generator of graphs that
 * stress fusion and memory planning, the argument data to run them on, and
 * the comparison of two runs' outputs.
 *
 * Graphs: 1-6 parameters (f32, f64, i32, i64, u8, u32, bool; rank 0-4, dims
 * 1-70, some of 70,000+ elements, a few of size 0) around a base shape;
 * chains and DAGs of elementwise unary/binary ops, comparisons, select,
 * clamp, converts, bitcasts, broadcast_in_dim (scalar to shape, rows,
 * columns, general dims), reshape/squeeze/expand_dims, scalar and array
 * constants, fan-out, reductions (sum/max/min/prod over all, leading,
 * trailing, middle, empty, unsorted or negative axes) at the end of chains
 * and in the middle (broadcast back, as in softmax), sometimes a chain
 * longer than a fused group may be, and non-fusible ops between them
 * (dot_general, transpose, slice, rev, concatenate, gather, cumsum, iota).
 * Outputs: the last value, intermediates, parameters, constants,
 * duplicates.
 *
 * What must match. Every value carries an fg_info saying how the optimized
 * run may differ from the reference executor:
 *  - FG_EXACT: bit for bit (every NaN equals every NaN; the sign of zero
 *    counts; floats are bitcast to ints only from parameters and constants,
 *    as the sign and payload of computed NaNs are unspecified). Integers
 *    and bools always; floats through every op that IEEE
 *    arithmetic rounds exactly once (+ - * / sqrt fmod, converts, min/max,
 *    select, clamp, floor/ceil/round, structure), and float sums, cumsums,
 *    products and dots whose operands are "dyadic" (multiples of 2^-q below
 *    a magnitude the generator tracks) small enough that every partial
 *    result is exact in any order.
 *  - FG_REL: |got - ref| <= 2 err max(|got|, |ref|) + tiny (FG_ATOL); NaN
 *    where the reference has NaN, the same infinity where it has one.
 *    Transcendental ops (vectorised functions may differ from libm by a few
 *    ulps: FG_ULPS) and reorderable sums of non-negative values start it;
 *    err grows through the ops allowed on such values (mul, div, sqrt,
 *    max/min, select, clamp, float converts, structure, adds of
 *    non-negatives, well-conditioned functions with the condition number
 *    bounded through the tracked magnitude). Ops that would amplify a small
 *    difference without bound (sub, compares, floor, converts to ints, log,
 *    sin, ...) never take an FG_REL operand.
 *  - FG_LOOSE: float sums, cumsums and dots that may be reordered and may
 *    cancel: |got - ref| <= 2 err S + tiny, S the same reduction over the
 *    absolute values (computed by the reference on a probe graph,
 *    fg_probe); err = the operand's err + (n + 2) eps for n terms (the
 *    rigorous bound of any summation order). Such values are only outputs,
 *    never operands.
 * Magnitude bounds also keep reorderable sums and products clear of
 * overflow and underflow, so that infinities and NaNs land in the same
 * places in any order.
 *
 * Usage: fg_gen *g = fg_new(seed); fg_generate(g) (or build by hand with
 * fg_param, fg_op*, fg_outputs); fg_finish(g) validates it and fills
 * g->args; g->g is the graph, g->out_info[j] the rule of output j.
 * fg_free(g) frees everything. */
#ifndef JET_TESTS_FUSE_GEN_H
#define JET_TESTS_FUSE_GEN_H

/* The generator is split by job: fuse_gen_core.h (types, pool, shapes,
 * data), fuse_gen_rules.h (the error model per op), fuse_gen_steps.h (random
 * steps); this file builds whole graphs, runs the probe and compares. */
#include "fuse_gen_steps.h"

/* ------------------------------------------------------------ graphs */

static inline fg_gen *fg_new(uint64_t seed) {
  fg_gen *g = calloc(1, sizeof *g);
  if (!g) return NULL;
  g->seed = seed;
  g->r.s = seed * 0x9E3779B97F4A7C15ull + 12345;
  char name[48];
  snprintf(name, sizeof name, "diff_%" PRIu64, seed);
  g->b = adc_begin(name);
  g->chain_last = JET_NO_VALUE;
  return g;
}

static inline void fg_free(fg_gen *g) {
  if (!g) return;
  for (uint32_t i = 0; i < g->n_params; i++) adc_buf_free(&g->args[i]);
  jet_graph_destroy(g->g);
  jet_graph_destroy(g->b.g);
  jet_status_free(g->b.st);
  free(g);
}

static inline void fg_outputs(fg_gen *g, const jet_value *outs, uint32_t n) {
  if (g->b.st) return;
  for (uint32_t j = 0; j < n && j < FG_MAX_OUTS; j++) {
    g->outs[j] = outs[j];
    g->out_info[j] = *fg_inf(g, outs[j]);
  }
  g->n_outs = n < FG_MAX_OUTS ? n : FG_MAX_OUTS;
  adc_outputs(&g->b, g->outs, g->n_outs);
}

/* Validates the graph and fills the arguments. False after printing the
 * builder's error. */
static inline bool fg_finish(fg_gen *g) {
  char label[48];
  snprintf(label, sizeof label, "seed %" PRIu64, g->seed);
  g->g = adc_finish(&g->b, label);
  if (!g->g) return false;
  for (uint32_t i = 0; i < g->n_params; i++) {
    g->args[i] = adc_buf(g->g->value_types[i]);
    if (!g->args[i].data) return false;
    fg_fill(g, &g->args[i], g->domain[i], g->specials[i]);
  }
  return true;
}

/* A random graph (see the header comment). */
static inline void fg_generate(fg_gen *g) {
  g->base = fg_base_shape(g);
  const uint32_t np = 1 + (uint32_t)fg_rnd(g, 5);
  for (uint32_t i = 0; i < np; i++) {
    jet_dtype dt = fg_random_dtype(g);
    jet_type t = g->base;
    int k = fg_rnd(g, 100);
    if (k < 55 || i == 0) t = g->base;
    else if (k < 75) t = fg_sub_shape(g, &g->base, dt);
    else if (k < 85) t = jet_type_scalar(dt);
    else if (k < 95) t = fg_reshape_target(g, &g->base);
    else t = fg_base_shape(g);
    t.dtype = dt;
    fg_param(g, t, fg_random_domain(g, dt), fg_pct(g, 50));
  }
  if (fg_pct(g, 4)) { /* a chain longer than a fused group may be */
    g->chain_mode = true;
    const int n = 170 + fg_rnd(g, 120);
    for (int s = 0; s < n && fg_ok(g); s++) {
      int k = fg_rnd(g, 100);
      if (k < 30) fg_step_unary(g);
      else if (k < 80) fg_step_binary(g);
      else if (k < 90) fg_step_select(g);
      else fg_step_convert(g);
    }
    g->chain_mode = false;
  }
  const int steps = 3 + fg_rnd(g, fg_pct(g, 25) ? 40 : 16);
  for (int s = 0; s < steps && fg_ok(g); s++) fg_step(g);
  /* outputs */
  jet_value outs[FG_MAX_OUTS];
  uint32_t n = 0;
  if (g->n_pool) outs[n++] = g->pool[g->n_pool - 1];
  for (uint32_t i = 0; i < g->n_loose && n < FG_MAX_OUTS - 4; i++)
    if (fg_pct(g, 80)) outs[n++] = g->loose_value[i];
  const int extra = fg_rnd(g, 4);
  for (int e = 0; e < extra && n < FG_MAX_OUTS && !g->b.st; e++) {
    int k = fg_rnd(g, 100);
    jet_value v = JET_NO_VALUE;
    if (k < 50) v = g->pool[fg_rnd(g, (int)g->n_pool)];
    else if (k < 65) v = (jet_value)fg_rnd(g, (int)g->n_params); /* a parameter */
    else if (k < 80 && n) v = outs[fg_rnd(g, (int)n)];              /* a duplicate */
    else v = fg_step_const(g);
    if (v != JET_NO_VALUE) outs[n++] = v;
  }
  fg_outputs(g, outs, n);
}

/* ------------------------------------------------------------ probe */

/* A copy of g->g whose outputs are, per LOOSE record k, the same
 * reduction over the absolute values of its operands (S of the header
 * comment). NULL when g has no LOOSE value; *st set on error. */
static inline jet_graph *fg_probe(const fg_gen *g, jet_status *st) {
  *st = NULL;
  if (!g->n_loose) return NULL;
  jet_graph *p = jet_graph_create("probe");
  if (!p) {
    *st = jet_status_oom("probe");
    return NULL;
  }
  *st = jet_graph_copy_into(p, g->g, 0);
  jet_value outs[FG_MAX_LOOSE];
  for (uint32_t k = 0; k < g->n_loose && !*st; k++) {
    const jet_node node = p->nodes[g->loose_node[k]];
    jet_value ops[3];
    for (uint32_t i = 0; i < node.n_operands && !*st; i++)
      *st =
          jet_graph_add_node(p, JET_OP_ABS, &node.operands[i], 1, NULL, 0, NULL, NULL, 0, &ops[i]);
    if (!*st)
      *st = jet_graph_add_node(p, node.op, ops, node.n_operands, node.attrs, node.n_attrs, NULL,
                               NULL, 0, &outs[k]);
  }
  if (!*st) *st = jet_graph_set_outputs(p, outs, g->n_loose);
  if (*st) {
    jet_graph_destroy(p);
    return NULL;
  }
  return p;
}

/* ------------------------------------------------------------ compare */

static inline void fg_index_str(const jet_type *t, int64_t i, char *buf, size_t cap) {
  int64_t idx[JET_MAX_RANK];
  for (int d = t->rank - 1; d >= 0; d--) {
    idx[d] = t->dims[d] ? i % t->dims[d] : 0;
    i = t->dims[d] ? i / t->dims[d] : 0;
  }
  size_t len = 0;
  len += (size_t)snprintf(buf + len, cap - len, "[");
  for (int d = 0; d < t->rank && len < cap; d++)
    len += (size_t)snprintf(buf + len, cap - len, d ? ",%" PRId64 : "%" PRId64, idx[d]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
}

static inline uint64_t fg_bits(const jet_buf *b, int64_t i) {
  switch (jet_dtype_size(b->type.dtype)) {
    case 1: return ((const uint8_t *)b->data)[i];
    case 4: return ((const uint32_t *)b->data)[i];
    default: return ((const uint64_t *)b->data)[i];
  }
}

/* The largest |got - ref| / tolerance seen per class (how close the
 * optimized path comes to the tolerances). */
static double fg_worst_ratio[3];

/* First element of got that breaks the rule inf against ref (scale: the
 * LOOSE scale buffer); -1 when none. */
static inline int64_t fg_first_bad(const fg_info *inf, const jet_buf *ref, const jet_buf *got,
                                   const jet_buf *scale, double *tol_out) {
  const int64_t n = jet_type_numel(&ref->type);
  const jet_dtype dt = ref->type.dtype;
  *tol_out = 0;
  if (memcmp(ref->data, got->data, jet_type_nbytes(&ref->type)) == 0) return -1;
  if (!fg_isf(dt) || inf->cls == FG_EXACT) {
    for (int64_t i = 0; i < n; i++) {
      uint64_t a = fg_bits(ref, i), b = fg_bits(got, i);
      if (a == b) continue;
      if (fg_isf(dt) && isnan(adc_get(ref, i)) && isnan(adc_get(got, i))) continue;
      return i;
    }
    return -1;
  }
  const double atol = fg_atol(dt);
  for (int64_t i = 0; i < n; i++) {
    const double a = adc_get(ref, i), b = adc_get(got, i);
    if (isnan(a) || isnan(b)) {
      if (isnan(a) && isnan(b)) continue;
      return i;
    }
    if (isinf(a) || isinf(b)) {
      if (a == b) continue;
      return i;
    }
    double tol;
    if (inf->cls == FG_LOOSE) {
      const double s = scale ? adc_get(scale, i) : INFINITY;
      tol = 2 * inf->err * (isnan(s) ? INFINITY : s) + atol;
    } else {
      tol = 2 * inf->err * fg_max2(fabs(a), fabs(b)) + atol;
    }
    if (!(fabs(a - b) <= tol)) {
      *tol_out = tol;
      return i;
    }
    if (fabs(a - b) / tol > fg_worst_ratio[inf->cls]) fg_worst_ratio[inf->cls] = fabs(a - b) / tol;
  }
  return -1;
}

static inline const char *fg_cls_name(int c) {
  return c == FG_EXACT ? "exact" : c == FG_REL ? "relative" : "loose (reordered sum)";
}

/* Compares every output of got with ref; prints the first mismatch (with
 * the seed, what ran, the graph and, when given, the program listing) and
 * returns false. scales: the probe's outputs (may be NULL). */
static inline bool fg_compare(const fg_gen *g, const char *what, const jet_buf *ref,
                              const jet_buf *got, const jet_buf *scales, const char *listing) {
  for (uint32_t j = 0; j < g->g->n_outputs; j++) {
    char ta[JET_TYPE_STR_MAX], tb[JET_TYPE_STR_MAX];
    if (!jet_type_equal(&ref[j].type, &got[j].type)) {
      FG_ERR("[seed %" PRIu64 "] %s: output %u has type %s, reference %s\n", g->seed, what, j,
             jet_type_str(&got[j].type, ta, sizeof ta), jet_type_str(&ref[j].type, tb, sizeof tb));
      fg_dump(g->g);
      return false;
    }
    const fg_info *inf = &g->out_info[j];
    const jet_buf *scale =
        inf->cls == FG_LOOSE && scales && inf->loose >= 0 ? &scales[inf->loose] : NULL;
    double tol;
    int64_t i = fg_first_bad(inf, &ref[j], &got[j], scale, &tol);
    if (i < 0) continue;
    char idx[160];
    fg_index_str(&ref[j].type, i, idx, sizeof idx);
    FG_ERR(
            "[seed %" PRIu64 "] %s: MISMATCH in output %u (value %%%u, %s, rule %s, err %.3g) at "
            "element %" PRId64 " %s:\n  reference %.17g (bits 0x%" PRIx64 ")\n  got       %.17g "
            "(bits 0x%" PRIx64 ")\n",
            g->seed, what, j, g->g->outputs[j], jet_type_str(&ref[j].type, ta, sizeof ta),
            fg_cls_name(inf->cls), inf->err, i, idx, adc_get(&ref[j], i), fg_bits(&ref[j], i),
            adc_get(&got[j], i), fg_bits(&got[j], i));
    if (tol > 0) FG_ERR("  tolerance %.3g%s\n", tol, scale ? " (scaled by the probe)" : "");
    FG_ERR("graph:\n");
    fg_dump(g->g);
    if (listing) FG_ERR("program:\n%s\n", listing);
    return false;
  }
  return true;
}

#endif
