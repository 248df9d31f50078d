/* Differential tests of the compiler's lowering (issue 6, "correctness
 * never traded"): thousands of seeded random graphs (tests/common/fuse_gen.h:
 * random ops, shapes, broadcasts, dtypes, reductions, fan-out, non-fusible
 * ops between fused groups) run through
 *   1. jet_lower + jet_program_run (the optimized path),
 *   2. jet_passes_cleanup, then jet_lower + jet_program_run (the compile
 *      pipeline),
 *   3. in a subset, the same program from two threads at once (programs are
 *      immutable) and with every argument donated,
 * and are compared with the reference executor (jet_exec_graph) on the
 * original graph: integers and bools bit for bit, floats by the rule each
 * value's history allows (exact, relative or, for reorderable sums that
 * may cancel, scaled by the sum of magnitudes; see fuse_gen.h). Runs must
 * also leave the (non-donated) arguments untouched and repeated runs of
 * one program must give identical bits.
 *
 * A mismatch prints the seed, what ran, the output, element, both values,
 * the graph in text form and the program listing. Environment:
 *   JET_DIFF_GRAPHS=n   number of random graphs (default 3000)
 *   JET_DIFF_SEED=s     first seed (default 1); graphs use s, s+1, ...
 *   JET_DIFF_ONLY=s     run only seed s and print its graph
 *   JET_DIFF_VERBOSE=1  per-class and per-op statistics
 *   JET_DIFF_FILE=f     instead, run the graph in text form in file f on
 *                       random arguments (floats: the "general" domain with
 *                       NaN/inf/-0; ints small), floats compared exactly or,
 *                       with JET_DIFF_RTOL=r, to relative tolerance r
 * Hand-written cases cover in-place chains, outputs that feed later ops,
 * row/column broadcasts, size-0 arrays, parameter pass-through, long
 * chains, softmax and middle-axis reductions. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <cmocka.h>

#include "compiler/lower.h"
#include "compiler/passes/passes.h"
#include "fuse_gen.h"
#include "runtime/program.h"

#define MAX_PRINTED_FAILURES 5

typedef struct diff_stats {
  uint64_t graphs, nodes, values, elements, outputs, loose_outs, rel_outs, exact_float_outs;
  uint64_t steps, fused_steps, fused_nodes, concurrent, donated, failures;
  uint64_t op_count[JET_OP_COUNT];
  double t_ref, t_lower, t_run; /* seconds in the reference, jet_lower, program runs */
} diff_stats;

enum { DF_CONCURRENT = 1, DF_DONATE = 2, DF_PIPELINE = 4, DF_VERBOSE = 8 };

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static uint64_t env_u64(const char *name, uint64_t dflt) {
  const char *s = getenv(name);
  return s && *s ? strtoull(s, NULL, 10) : dflt;
}

static void outs_free(jet_buf *o, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    jet_mem_free(o[i].data);
    o[i].data = NULL;
  }
}

static void print_listing(const jet_program *p) {
  char *s = p ? jet_program_describe(p) : NULL;
  if (s) FG_ERR("program:\n%s\n", s);
  free(s);
}

static bool report_status(const fg_gen *g, const char *what, jet_status st) {
  if (!st) return true;
  FG_ERR("[seed %" PRIu64 "] %s failed: %s\ngraph:\n", g->seed, what, jet_status_message(st));
  fg_dump(g->g);
  jet_status_free(st);
  return false;
}

/* The arguments are as they were (the run must not write them). */
static bool args_intact(const fg_gen *g, const jet_buf *copy, const char *what) {
  for (uint32_t i = 0; i < g->n_params; i++) {
    if (memcmp(g->args[i].data, copy[i].data, jet_type_nbytes(&copy[i].type)) == 0) continue;
    FG_ERR("[seed %" PRIu64 "] %s wrote into argument %u\ngraph:\n", g->seed, what, i);
    fg_dump(g->g);
    return false;
  }
  return true;
}

static bool same_bits(const fg_gen *g, const char *what, const jet_buf *a, const jet_buf *b) {
  for (uint32_t j = 0; j < g->g->n_outputs; j++) {
    if (jet_type_equal(&a[j].type, &b[j].type) &&
        memcmp(a[j].data, b[j].data, jet_type_nbytes(&a[j].type)) == 0)
      continue;
    FG_ERR("[seed %" PRIu64 "] %s: output %u differs from the first run of the same program\n",
            g->seed, what, j);
    fg_dump(g->g);
    return false;
  }
  return true;
}

typedef struct conc_run {
  const jet_program *p;
  const jet_buf *args;
  uint32_t n_args;
  jet_buf outs[FG_MAX_OUTS];
  jet_status st;
} conc_run;

static void *conc_main(void *arg) {
  conc_run *c = arg;
  for (int rep = 0; rep < 2 && !c->st; rep++) {
    if (rep) outs_free(c->outs, FG_MAX_OUTS);
    c->st = jet_program_run(c->p, c->args, c->n_args, NULL, c->outs, NULL);
  }
  return NULL;
}

/* Lowers `graph` (g->g or its cleaned copy), runs the program and
 * compares with ref; with DF_CONCURRENT also from two threads at once
 * (twice each, bit-identical to the first run), with DF_DONATE also on
 * donated copies of the arguments. */
static bool check_program(const fg_gen *g, const jet_graph *graph, const char *what,
                          const jet_buf *ref, const jet_buf *scales, const jet_buf *arg_copy,
                          unsigned flags, diff_stats *s) {
  jet_program *p = NULL;
  char label[96];
  snprintf(label, sizeof label, "%s: jet_lower", what);
  double t0 = now_s();
  jet_status lst = jet_lower(graph, &p);
  s->t_lower += now_s() - t0;
  if (!report_status(g, label, lst)) return false;
  bool ok = true;
  const uint32_t n_out = g->g->n_outputs;
  jet_buf got[FG_MAX_OUTS];
  memset(got, 0, sizeof got);
  snprintf(label, sizeof label, "%s: run", what);
  t0 = now_s();
  jet_status rst = jet_program_run(p, g->args, g->n_params, NULL, got, NULL);
  s->t_run += now_s() - t0;
  ok = report_status(g, label, rst);
  if (ok && !fg_compare(g, label, ref, got, scales, NULL)) {
    print_listing(p);
    ok = false;
  }
  if (ok) ok = args_intact(g, arg_copy, label);
  if (ok && (flags & DF_CONCURRENT)) {
    s->concurrent++;
    conc_run c[2];
    pthread_t th[2];
    memset(c, 0, sizeof c);
    int started = 0;
    for (int t = 0; t < 2; t++) {
      c[t].p = p;
      c[t].args = g->args;
      c[t].n_args = g->n_params;
      if (pthread_create(&th[t], NULL, conc_main, &c[t]) == 0) started++;
      else break;
    }
    for (int t = 0; t < started; t++) pthread_join(th[t], NULL);
    if (started < 2) {
      FG_ERR("[seed %" PRIu64 "] pthread_create failed\n", g->seed);
      ok = false;
    }
    for (int t = 0; t < started; t++) {
      snprintf(label, sizeof label, "%s: concurrent run %d", what, t);
      if (ok) ok = report_status(g, label, c[t].st);
      else jet_status_free(c[t].st);
      if (ok && !fg_compare(g, label, ref, c[t].outs, scales, NULL)) {
        print_listing(p);
        ok = false;
      }
      if (ok) ok = same_bits(g, label, got, c[t].outs);
      outs_free(c[t].outs, n_out);
    }
    if (ok) ok = args_intact(g, arg_copy, label);
  }
  if (ok && (flags & DF_DONATE)) {
    s->donated++;
    jet_buf dargs[FG_MAX_PARAMS];
    void *donate[FG_MAX_PARAMS];
    for (uint32_t i = 0; i < g->n_params; i++) {
      const size_t nb = jet_type_nbytes(&g->args[i].type);
      dargs[i].type = g->args[i].type;
      dargs[i].data = jet_mem_alloc(nb);
      if (dargs[i].data) memcpy(dargs[i].data, g->args[i].data, nb);
      donate[i] = dargs[i].data;
    }
    jet_buf dgot[FG_MAX_OUTS];
    memset(dgot, 0, sizeof dgot);
    snprintf(label, sizeof label, "%s: run with donated arguments", what);
    ok = report_status(g, label, jet_program_run(p, dargs, g->n_params, donate, dgot, NULL));
    if (ok && !fg_compare(g, label, ref, dgot, scales, NULL)) {
      print_listing(p);
      ok = false;
    }
    for (uint32_t i = 0; i < g->n_params; i++) jet_mem_free(donate[i]);
    outs_free(dgot, n_out);
  }
  if (s && graph == g->g) {
    jet_program_info info;
    jet_program_get_info(p, &info);
    s->steps += info.steps;
    s->fused_steps += info.fused_steps;
    s->fused_nodes += info.fused_nodes;
  }
  outs_free(got, n_out);
  jet_program_destroy(p);
  return ok;
}

/* Every check of the header comment on one finished generator. */
static bool diff_graph(const fg_gen *g, unsigned flags, diff_stats *s) {
  const uint32_t n_out = g->g->n_outputs;
  jet_buf ref[FG_MAX_OUTS], scales[FG_MAX_LOOSE], arg_copy[FG_MAX_PARAMS];
  memset(ref, 0, sizeof ref);
  memset(scales, 0, sizeof scales);
  if (flags & DF_VERBOSE) {
    fg_dump(g->g);
    for (uint32_t i = 0; i < g->n_params; i++) {
      if (jet_type_numel(&g->args[i].type) > 256) continue;
      jet_strbuf sb;
      jet_strbuf_init(&sb);
      jet_literal_print(&g->args[i].type, g->args[i].data, &sb);
      if (sb.data) fprintf(stderr, "argument %u = %s\n", i, sb.data);
      jet_strbuf_free(&sb);
    }
  }
  for (uint32_t i = 0; i < g->n_params; i++) {
    arg_copy[i] = adc_buf(g->args[i].type);
    memcpy(arg_copy[i].data, g->args[i].data, jet_type_nbytes(&g->args[i].type));
  }
  const double t0 = now_s();
  bool ok = report_status(g, "reference", jet_exec_graph(g->g, g->args, g->n_params, ref, NULL));
  if (s) s->t_ref += now_s() - t0;
  jet_graph *probe = NULL;
  bool have_scales = false;
  if (ok && g->n_loose) {
    jet_status st;
    probe = fg_probe(g, &st);
    ok = report_status(g, "probe graph", st);
    if (ok) {
      ok = report_status(g, "probe run", jet_exec_graph(probe, g->args, g->n_params, scales, NULL));
      have_scales = ok;
    }
  }
  if (ok)
    ok = check_program(g, g->g, "lowered", ref, have_scales ? scales : NULL, arg_copy, flags, s);
  if (ok && (flags & DF_PIPELINE)) {
    jet_graph *clean = NULL;
    ok = report_status(g, "jet_passes_cleanup", jet_passes_cleanup(g->g, &clean));
    if (ok) {
      ok = check_program(g, clean, "cleanup+lowered", ref, have_scales ? scales : NULL, arg_copy,
                         flags & ~(unsigned)(DF_CONCURRENT | DF_DONATE), s);
      if (!ok) { /* whose fault: the passes or the lowering? */
        jet_buf cref[FG_MAX_OUTS];
        memset(cref, 0, sizeof cref);
        jet_status st = jet_exec_graph(clean, g->args, g->n_params, cref, NULL);
        if (!st) {
          bool pass_ok = fg_compare(g, "reference executor on the cleaned graph", ref, cref,
                                    have_scales ? scales : NULL, NULL);
          FG_ERR("  (the reference executor on the cleaned graph %s)\ncleaned graph:\n",
                  pass_ok ? "agrees: a lowering bug" : "disagrees too: a pass bug");
          fg_dump(clean);
          outs_free(cref, n_out);
        }
        jet_status_free(st);
      }
    }
    jet_graph_destroy(clean);
  }
  if (s) {
    s->graphs++;
    s->nodes += g->g->n_nodes;
    s->values += g->g->n_values;
    for (uint32_t j = 0; j < n_out; j++) {
      const jet_type *t = jet_graph_value_type(g->g, g->g->outputs[j]);
      s->elements += (uint64_t)jet_type_numel(t);
      s->outputs++;
      if (fg_isf(t->dtype)) {
        s->loose_outs += g->out_info[j].cls == FG_LOOSE;
        s->rel_outs += g->out_info[j].cls == FG_REL;
        s->exact_float_outs += g->out_info[j].cls == FG_EXACT;
      }
    }
    for (int op = 0; op < JET_OP_COUNT; op++) s->op_count[op] += g->op_count[op];
    s->failures += !ok;
  }
  outs_free(ref, n_out);
  if (probe) outs_free(scales, probe->n_outputs);
  jet_graph_destroy(probe);
  adc_bufs_free(arg_copy, g->n_params);
  return ok;
}

/* ------------------------------------------------------------ random graphs */

static fg_gen *hand(uint64_t id);

static const jet_op must_cover[] = {
    JET_OP_NEG, JET_OP_ABS, JET_OP_SIGN, JET_OP_FLOOR, JET_OP_EXP, JET_OP_LOG, JET_OP_TANH,
    JET_OP_LOGISTIC, JET_OP_SQRT, JET_OP_INTEGER_POW, JET_OP_NOT, JET_OP_ADD, JET_OP_SUB,
    JET_OP_MUL, JET_OP_DIV, JET_OP_REM, JET_OP_POW, JET_OP_MAX, JET_OP_MIN, JET_OP_AND,
    JET_OP_SHIFT_LEFT, JET_OP_SHIFT_RIGHT_ARITHMETIC, JET_OP_EQ, JET_OP_LT, JET_OP_GE,
    JET_OP_SELECT, JET_OP_CLAMP, JET_OP_CONVERT_ELEMENT_TYPE, JET_OP_BITCAST_CONVERT_TYPE,
    JET_OP_BROADCAST_IN_DIM, JET_OP_RESHAPE, JET_OP_SQUEEZE, JET_OP_EXPAND_DIMS,
    JET_OP_TRANSPOSE, JET_OP_REV, JET_OP_SLICE, JET_OP_CONCATENATE, JET_OP_GATHER, JET_OP_IOTA,
    JET_OP_REDUCE_SUM, JET_OP_REDUCE_MAX, JET_OP_REDUCE_MIN, JET_OP_REDUCE_PROD, JET_OP_CUMSUM,
    JET_OP_DOT_GENERAL, JET_OP_CONSTANT};

/* JET_DIFF_FILE: one graph from a file (a debugging aid). */
static void file_graph(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "cannot open %s\n", path);
    fail();
  }
  char *text = malloc(1 << 24);
  assert_non_null(text);
  size_t len = fread(text, 1, (1 << 24) - 1, f);
  fclose(f);
  fg_gen *g = hand(env_u64("JET_DIFF_SEED", 1));
  jet_graph *parsed = NULL;
  jet_status st = jet_graph_parse(text, len, &parsed);
  free(text);
  if (st) fprintf(stderr, "%s: %s\n", path, jet_status_message(st));
  assert_null(st);
  assert_true(parsed->n_params <= FG_MAX_PARAMS && parsed->n_outputs <= FG_MAX_OUTS);
  g->g = parsed;
  g->n_params = parsed->n_params;
  const char *rt = getenv("JET_DIFF_RTOL");
  const double rtol = rt ? strtod(rt, NULL) : 0;
  for (uint32_t i = 0; i < g->n_params; i++) {
    const jet_dtype d = parsed->value_types[i].dtype;
    g->args[i] = adc_buf(parsed->value_types[i]);
    fg_fill(g, &g->args[i], fg_isf(d) ? FD_GENERAL : d == JET_BOOL ? FD_BOOL : FD_INT_SMALL, true);
  }
  g->n_outs = parsed->n_outputs;
  for (uint32_t j = 0; j < g->n_outs; j++) {
    g->out_info[j] = fg_exact(1, -1, false);
    if (rtol > 0) g->out_info[j] = (fg_info){FG_REL, false, -1, rtol / 2, 1, -1};
  }
  diff_stats s;
  memset(&s, 0, sizeof s);
  bool ok = diff_graph(g, DF_PIPELINE | DF_CONCURRENT | DF_VERBOSE, &s);
  if (ok) fprintf(stderr, "%s: the optimized runs agree with the reference\n", path);
  fg_free(g);
  assert_true(ok);
}

static void random_graphs(void **state) {
  (void)state;
  if (getenv("JET_DIFF_FILE")) {
    file_graph(getenv("JET_DIFF_FILE"));
    return;
  }
  const uint64_t only = env_u64("JET_DIFF_ONLY", 0);
  const uint64_t count = only ? 1 : env_u64("JET_DIFF_GRAPHS", 3000);
  const uint64_t first = only ? only : env_u64("JET_DIFF_SEED", 1);
  const bool verbose = env_u64("JET_DIFF_VERBOSE", 0) != 0;
  diff_stats s;
  memset(&s, 0, sizeof s);
  uint64_t gen_failures = 0, printed = 0;
  const double t0 = now_s();
  for (uint64_t k = 0; k < count; k++) {
    const uint64_t seed = first + k;
    fg_gen *g = fg_new(seed);
    assert_non_null(g);
    fg_generate(g);
    if (!fg_finish(g)) {
      gen_failures++;
      fg_free(g);
      continue;
    }
    unsigned flags = DF_PIPELINE;
    if (seed % 7 == 3) flags |= DF_CONCURRENT;
    if (seed % 5 == 1) flags |= DF_DONATE;
    if (only) flags |= DF_VERBOSE;
    /* after a few printed failures, keep counting quietly */
    fg_quiet = printed >= MAX_PRINTED_FAILURES;
    if (!diff_graph(g, flags, &s)) {
      printed++;
      FG_ERR("  rerun alone: JET_DIFF_ONLY=%" PRIu64 "\n", seed);
    }
    fg_quiet = false;
    fg_free(g);
  }
  const double dt = now_s() - t0;
  fprintf(stderr,
          "lower_diff: %" PRIu64
          " graphs in %.2f s (%.0f graphs/s), %.1f nodes/graph, %.0f output "
          "elements/graph; %" PRIu64 " concurrent, %" PRIu64 " donated; program steps %" PRIu64
          " (%" PRIu64 " fused, %" PRIu64 " nodes fused); float outputs: %" PRIu64
          " exact, %" PRIu64 " relative, %" PRIu64 " loose; %" PRIu64
          " failing; time in the reference %.2f s, "
          "jet_lower %.2f s, program runs %.2f s\n",
          s.graphs, dt, (double)s.graphs / dt, (double)s.nodes / (double)(s.graphs ? s.graphs : 1),
          (double)s.elements / (double)(s.graphs ? s.graphs : 1), s.concurrent, s.donated, s.steps,
          s.fused_steps, s.fused_nodes, s.exact_float_outs, s.rel_outs, s.loose_outs, s.failures,
          s.t_ref, s.t_lower, s.t_run);
  fprintf(stderr, "lower_diff: largest |difference| / tolerance: %.3g (relative), %.3g (loose)\n",
          fg_worst_ratio[FG_REL], fg_worst_ratio[FG_LOOSE]);
  if (verbose) {
    for (int op = 0; op < JET_OP_COUNT; op++)
      if (s.op_count[op]) FG_ERR("  %-24s %" PRIu64 "\n", jet_op_name((jet_op)op), s.op_count[op]);
  }
  assert_int_equal(gen_failures, 0);
  assert_int_equal(s.failures, 0);
  if (count >= 1000) { /* the generator covers what it claims */
    for (size_t i = 0; i < sizeof must_cover / sizeof must_cover[0]; i++) {
      if (s.op_count[must_cover[i]]) continue;
      FG_ERR("op %s never generated\n", jet_op_name(must_cover[i]));
      fail();
    }
    assert_true(s.loose_outs > 0 && s.rel_outs > 0 && s.exact_float_outs > 0);
  }
}

/* ------------------------------------------------------------ hand-written */

#define T(dt, ...) ADC_T(dt, __VA_ARGS__)

static fg_gen *hand(uint64_t id) {
  fg_gen *g = fg_new(id);
  assert_non_null(g);
  return g;
}
static void hand_check(fg_gen *g, jet_value *outs, uint32_t n) {
  fg_outputs(g, outs, n);
  assert_true(fg_finish(g));
  diff_stats s;
  memset(&s, 0, sizeof s);
  bool ok = diff_graph(g, DF_PIPELINE | DF_CONCURRENT | DF_DONATE, &s);
  fg_free(g);
  assert_true(ok);
}
static jet_value cst(fg_gen *g, jet_dtype dt, double v) {
  jet_type t = jet_type_scalar(dt);
  jet_buf b = adc_buf(t);
  adc_set(&b, 0, v);
  fg_info inf = fg_isf(dt) ? fg_exact(fabs(v), 2, v >= 0) : fg_int_info(dt, fabs(v));
  const jet_attr la = gb_lit("value", t, b.data, jet_type_nbytes(&t));
  jet_value r = fg_add(g, JET_OP_CONSTANT, NULL, 0, &la, 1, inf);
  adc_buf_free(&b);
  return r;
}
static jet_value red(fg_gen *g, jet_op op, jet_value x, const int64_t *axes, uint32_t n) {
  return fg_reduce(g, op, x, axes, n);
}
static jet_value bc(fg_gen *g, jet_value x, jet_type to, const int64_t *bd, uint32_t n) {
  jet_attr a[2] = {gb_ints("shape", to.dims, (uint32_t)to.rank),
                   gb_ints("broadcast_dimensions", bd, n)};
  return fg_struct(g, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2);
}
#define AX(...) ADC_DIMS(__VA_ARGS__), (uint32_t)(sizeof(ADC_DIMS(__VA_ARGS__)) / 8)

/* x*2+1 where x dies, in several dtypes and sizes (multi-tile, odd sizes);
 * x an intermediate of a fused group and of a kernel (transpose). */
static void inplace_chains(void **state) {
  (void)state;
  const jet_dtype dts[3] = {JET_F32, JET_F64, JET_I32};
  for (int k = 0; k < 3; k++) {
    fg_gen *g = hand(100 + (uint64_t)k);
    jet_value p = fg_param(g, T(dts[k], 100003), fg_isf(dts[k]) ? FD_DYADIC : FD_INT_EXT, true);
    jet_value x = fg_op2(g, JET_OP_ADD, p, cst(g, dts[k], 1));
    jet_value y =
        fg_op2(g, JET_OP_ADD, fg_op2(g, JET_OP_MUL, x, cst(g, dts[k], 2)), cst(g, dts[k], 1));
    jet_value z = fg_op2(g, JET_OP_MUL, y, y);
    hand_check(g, &z, 1);
  }
  fg_gen *g = hand(110);
  jet_value p = fg_param(g, T(JET_F32, 300, 257), FD_DYADIC, true);
  jet_attr pa = gb_ints("permutation", ADC_DIMS(1, 0), 2);
  jet_value x = fg_struct(g, JET_OP_TRANSPOSE, &p, 1, &pa, 1);
  jet_value y =
      fg_op2(g, JET_OP_ADD, fg_op2(g, JET_OP_MUL, x, cst(g, JET_F32, 2)), cst(g, JET_F32, 1));
  jet_value w = fg_op2(g, JET_OP_SUB, fg_struct(g, JET_OP_TRANSPOSE, &y, 1, &pa, 1), p);
  jet_value outs[2] = {y, w};
  hand_check(g, outs, 2);
}

/* An output that later ops also read; a reduction whose input is an
 * output; outputs listed twice and in another order. */
static void outputs_feeding_ops(void **state) {
  (void)state;
  fg_gen *g = hand(120);
  jet_value p = fg_param(g, T(JET_F32, 33, 1025), FD_DYADIC, true);
  jet_value a = fg_op2(g, JET_OP_MUL, p, cst(g, JET_F32, 3));
  jet_value b = fg_op2(g, JET_OP_ADD, a, cst(g, JET_F32, 1));
  jet_value c = red(g, JET_OP_REDUCE_SUM, a, AX(0, 1));
  jet_value d = red(g, JET_OP_REDUCE_MAX, b, AX(1));
  jet_value e = red(g, JET_OP_REDUCE_MIN, fg_op2(g, JET_OP_MUL, b, b), AX(0));
  jet_value outs[7] = {a, b, c, b, a, d, e};
  hand_check(g, outs, 7);
  g = hand(121);
  jet_value q = fg_param(g, T(JET_I64, 71, 999), FD_INT_EXT, false);
  jet_value sq = fg_op2(g, JET_OP_MUL, q, q);
  jet_value s0 = red(g, JET_OP_REDUCE_SUM, sq, AX(0));
  jet_value s1 = red(g, JET_OP_REDUCE_PROD, sq, AX(1));
  jet_value o2[3] = {sq, s0, s1};
  hand_check(g, o2, 3);
}

/* [N] rows and [M,1] / [M] columns broadcast into [M,N]; scalars too. */
static void row_column_broadcasts(void **state) {
  (void)state;
  const int64_t M = 37, N = 1029;
  for (int k = 0; k < 2; k++) {
    const jet_dtype dt = k ? JET_I32 : JET_F32;
    const int dom = k ? FD_INT_SMALL : FD_DYADIC;
    fg_gen *g = hand(130 + (uint64_t)k);
    jet_value x = fg_param(g, T(dt, M, N), dom, true);
    jet_value r = fg_param(g, T(dt, N), dom, true);
    jet_value c = fg_param(g, T(dt, M, 1), dom, true);
    jet_value c1 = fg_param(g, T(dt, M), dom, true);
    jet_value s = fg_param(g, jet_type_scalar(dt), dom, false);
    const jet_type mn = T(dt, M, N);
    jet_value rb = bc(g, r, mn, AX(1)), cb = bc(g, c, mn, AX(0, 1)), c1b = bc(g, c1, mn, AX(0));
    jet_value sb = bc(g, s, mn, NULL, 0);
    jet_value y = fg_op2(g, JET_OP_ADD, x, fg_op2(g, JET_OP_MUL, rb, cb));
    y = fg_op2(g, JET_OP_SUB, y, fg_op2(g, JET_OP_MAX, c1b, sb));
    jet_value rows = red(g, JET_OP_REDUCE_SUM, y, AX(1));
    jet_value cols = red(g, JET_OP_REDUCE_MAX, y, AX(0));
    jet_value outs[4] = {y, rows, cols, cb};
    hand_check(g, outs, 4);
  }
}

/* One parameter read by many ops, some of them fused together. */
static void same_param_many_ops(void **state) {
  (void)state;
  fg_gen *g = hand(140);
  jet_value p = fg_param(g, T(JET_F32, 70, 70), FD_GENERAL, true);
  jet_value a = fg_op2(g, JET_OP_ADD, p, p), m = fg_op2(g, JET_OP_MUL, p, p);
  jet_value mx = fg_op2(g, JET_OP_MAX, p, fg_op1(g, JET_OP_NEG, p));
  jet_value sel = fg_op3(g, JET_OP_SELECT, fg_op2(g, JET_OP_GT, p, cst(g, JET_F32, 0)), p,
                         fg_op2(g, JET_OP_SUB, p, p));
  jet_value r = red(g, JET_OP_REDUCE_MAX, p, AX(0, 1));
  jet_value t = fg_op1(g, JET_OP_TANH, p);
  jet_value outs[8] = {a, m, mx, sel, r, p, t, fg_op2(g, JET_OP_DIV, p, a)};
  hand_check(g, outs, 8);
}

/* Arrays of size 0 through elementwise ops, broadcasts and reductions. */
static void zero_size(void **state) {
  (void)state;
  fg_gen *g = hand(150);
  jet_value p = fg_param(g, T(JET_F32, 0, 5), FD_DYADIC, false);
  jet_value q = fg_param(g, T(JET_I32, 3, 0), FD_INT_SMALL, false);
  jet_value a = fg_op2(g, JET_OP_MUL, fg_op1(g, JET_OP_EXP, p), cst(g, JET_F32, 2));
  jet_value s0 = red(g, JET_OP_REDUCE_SUM, a, AX(0));   /* [5] zeros */
  jet_value s1 = red(g, JET_OP_REDUCE_MAX, a, AX(1));   /* [0] */
  jet_value s2 = red(g, JET_OP_REDUCE_MIN, p, AX(0, 1)); /* +inf */
  jet_value b = bc(g, s0, T(JET_F32, 4, 5), AX(1));
  jet_value qi = red(g, JET_OP_REDUCE_MAX, fg_op2(g, JET_OP_ADD, q, q), AX(1)); /* [3] of INT_MIN */
  jet_value qp = red(g, JET_OP_REDUCE_PROD, q, AX(0, 1));
  jet_value bq = bc(g, q, T(JET_I32, 2, 3, 0), AX(1, 2));
  jet_value outs[9] = {a, s0, s1, s2, b, qi, qp, bq, p};
  hand_check(g, outs, 9);
}

/* Graphs of parameters only, constants only, and reshapes of parameters. */
static void pass_through(void **state) {
  (void)state;
  fg_gen *g = hand(160);
  jet_value a = fg_param(g, T(JET_F32, 3), FD_GENERAL, true);
  jet_value b = fg_param(g, jet_type_scalar(JET_I32), FD_INT_EXT, false);
  jet_value c = fg_param(g, T(JET_BOOL, 2, 2), FD_BOOL, false);
  jet_value d = fg_param(g, T(JET_F64, 0), FD_GENERAL, false);
  jet_value outs[6] = {c, a, a, b, d, c};
  hand_check(g, outs, 6);
  g = hand(161);
  a = fg_param(g, T(JET_F32, 6, 35), FD_GENERAL, true);
  jet_value r = fg_reshape(g, a, &(jet_type){.dtype = JET_F32, .rank = 2, .dims = {35, 6}});
  jet_value r2 = fg_reshape(g, r, &(jet_type){.dtype = JET_F32, .rank = 1, .dims = {210}});
  jet_value outs2[3] = {r, r2, a};
  hand_check(g, outs2, 3);
  g = hand(162);
  jet_value k = cst(g, JET_F64, 7);
  jet_attr ia[3] = {gb_dtype("dtype", JET_I32), gb_ints("shape", ADC_DIMS(4, 3), 2),
                    gb_int("dimension", 1)};
  jet_value io = fg_add(g, JET_OP_IOTA, NULL, 0, ia, 3, fg_int_info(JET_I32, 3));
  jet_value outs3[3] = {k, io, fg_op2(g, JET_OP_MUL, io, io)};
  hand_check(g, outs3, 3);
}

/* A chain far longer than one fused group may hold, with fan-in from
 * parameters and a trailing reduction. */
static void long_chain(void **state) {
  (void)state;
  fg_gen *g = hand(170);
  jet_value p = fg_param(g, T(JET_F32, 3001), FD_DYADIC, true);
  jet_value q = fg_param(g, T(JET_F32, 3001), FD_GENERAL, true);
  jet_value x = p;
  for (int i = 0; i < 420; i++) {
    switch (i % 4) {
      case 0: x = fg_op2(g, JET_OP_MUL, x, cst(g, JET_F32, 0.5)); break;
      case 1: x = fg_op2(g, JET_OP_ADD, x, i % 8 == 1 ? q : p); break;
      case 2: x = fg_op2(g, JET_OP_MAX, x, fg_op1(g, JET_OP_NEG, p)); break;
      default: x = fg_op3(g, JET_OP_SELECT, fg_op2(g, JET_OP_LT, x, q), x, p); break;
    }
  }
  jet_value outs[2] = {x, red(g, JET_OP_REDUCE_MAX, x, AX(0))};
  hand_check(g, outs, 2);
}

/* softmax over rows and columns of a big array. */
static void softmax(void **state) {
  (void)state;
  for (int k = 0; k < 2; k++) {
    fg_gen *g = hand(180 + (uint64_t)k);
    const jet_dtype dt = k ? JET_F64 : JET_F32;
    const jet_type t = T(dt, 300, 257);
    jet_value x = fg_param(g, t, k ? FD_DYADIC : FD_POS, false);
    jet_value outs[4];
    for (int axis = 0; axis < 2; axis++) {
      const int64_t ax = axis, keep = 1 - axis;
      jet_value m = red(g, JET_OP_REDUCE_MAX, x, &ax, 1);
      jet_value e = fg_op1(g, JET_OP_EXP, fg_op2(g, JET_OP_SUB, x, bc(g, m, t, &keep, 1)));
      jet_value s = red(g, JET_OP_REDUCE_SUM, e, &ax, 1);
      outs[2 * axis] = fg_op2(g, JET_OP_DIV, e, bc(g, s, t, &keep, 1));
      outs[2 * axis + 1] = s;
    }
    hand_check(g, outs, 4);
  }
}

/* Reductions over middle, split, negative and unsorted axes. */
static void middle_axes(void **state) {
  (void)state;
  const jet_dtype dts[2] = {JET_F32, JET_I32};
  for (int k = 0; k < 2; k++) {
    fg_gen *g = hand(190 + (uint64_t)k);
    jet_value x = fg_param(g, T(dts[k], 6, 7, 8, 9), k ? FD_INT_EXT : FD_DYADIC, true);
    jet_value y = fg_op2(g, JET_OP_MUL, x, x);
    jet_value outs[6] = {
        red(g, JET_OP_REDUCE_SUM, y, AX(1, 2)),    red(g, JET_OP_REDUCE_SUM, y, AX(0, 3)),
        red(g, JET_OP_REDUCE_MAX, y, AX(1)),       red(g, JET_OP_REDUCE_MIN, y, AX(-1, -3)),
        red(g, JET_OP_REDUCE_SUM, y, AX(3, 0, 2)), red(g, JET_OP_REDUCE_SUM, y, NULL, 0)};
    hand_check(g, outs, 6);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(inplace_chains),      cmocka_unit_test(outputs_feeding_ops),
      cmocka_unit_test(row_column_broadcasts), cmocka_unit_test(same_param_many_ops),
      cmocka_unit_test(zero_size),           cmocka_unit_test(pass_through),
      cmocka_unit_test(long_chain),          cmocka_unit_test(softmax),
      cmocka_unit_test(middle_axes),         cmocka_unit_test(random_graphs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
