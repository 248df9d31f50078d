/* vmap of the structured control-flow ops (server/transforms/batch/
 * rules_control.c, rules_loops.c), checked by tests/common/vmap_check.h
 * against per-example execution of the unbatched graph with the reference
 * executor, stacked (exact, or 1e-12 where dot_general sums):
 *   - cond with an unbatched predicate and batched operands (stays one
 *     cond) and with a batched bool predicate (both branches run, select);
 *   - switch (i32 index, 3 branches) with a batched index, out-of-range
 *     values included (clamped);
 *   - while with an unbatched predicate (a counter loop with a batched
 *     accumulator, carries made batched by the fixpoint), and with a
 *     batched predicate (Collatz: each example loops a different number of
 *     times; Newton's square root with a per-example tolerance): finished
 *     examples stay fixed;
 *   - scan: cumsum (forward, reverse, xs mapped at axis 1), an RNN cell
 *     with batched weights or inputs, a scan whose body holds a while;
 *   - nested vmap (vmap of vmap) of each.
 * Every case runs with the parameters mapped in every non-empty subset,
 * random in_axes / out_axes, batch sizes 1 to 4, as a top-level transform
 * and as a call node's transform, then under two nested vmaps. Structure
 * checks: which form each rule chose (one cond vs selects, reduce_max in a
 * batched-predicate while's cond), and node counts that do not depend on
 * the batch size. VMAP_CONTROL_SEED changes the seed. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "jet/text.h"
#include "vmap_check.h"

#define NONE INT32_MIN
#define N_REPS 2
#define N_NESTED 6

/* ------------------------------------------------------------------ graphs */

static const char kCond[] =
    "graph c(%0: bool[], %1: f64[3], %2: f64[]) {\n"
    "  %3, %4 = cond %0, %1, %2 : f64[3], f64[] {\n"
    "    graph no(%0: f64[3], %1: f64[]) {\n"
    "      %2 = neg %0 : f64[3]\n"
    "      %3 = constant[value=f64[]{2}] : f64[]\n"
    "      return %2, %3\n"
    "    }\n"
    "    graph yes(%0: f64[3], %1: f64[]) {\n"
    "      %2 = mul %0, %1 : f64[3]\n"
    "      %3 = reduce_sum[axes=[0]] %0 : f64[]\n"
    "      return %2, %3\n"
    "    }\n"
    "  }\n"
    "  return %3, %4\n"
    "}\n";

static const char kSwitch[] =
    "graph s(%0: i32[], %1: f64[2,3], %2: f64[3]) {\n"
    "  %3 = cond %0, %1, %2 : f64[2,3] {\n"
    "    graph b0(%0: f64[2,3], %1: f64[3]) {\n"
    "      %2 = sin %0 : f64[2,3]\n"
    "      return %2\n"
    "    }\n"
    "    graph b1(%0: f64[2,3], %1: f64[3]) {\n"
    "      %2 = broadcast_in_dim[shape=[2, 3], broadcast_dimensions=[1]] %1 : f64[2,3]\n"
    "      %3 = add %0, %2 : f64[2,3]\n"
    "      return %3\n"
    "    }\n"
    "    graph b2(%0: f64[2,3], %1: f64[3]) {\n"
    "      %2 = constant[value=f64[]{7}] : f64[]\n"
    "      %3 = mul %0, %2 : f64[2,3]\n"
    "      return %3\n"
    "    }\n"
    "  }\n"
    "  return %3\n"
    "}\n";

/* n and x are consts; i counts to n; acc = acc / 2 + x. Mapping n makes the
 * predicate batched. */
static const char kCounter[] =
    "graph w(%0: i32[], %1: f64[3], %2: f64[3]) {\n"
    "  %3 = constant[value=i32[]{0}] : i32[]\n"
    "  %4, %5 = while[n_consts=2] %0, %1, %3, %2 : i32[], f64[3] {\n"
    "    graph c(%0: i32[], %1: f64[3], %2: i32[], %3: f64[3]) {\n"
    "      %4 = lt %2, %0 : bool[]\n"
    "      return %4\n"
    "    }\n"
    "    graph b(%0: i32[], %1: f64[3], %2: i32[], %3: f64[3]) {\n"
    "      %4 = constant[value=i32[]{1}] : i32[]\n"
    "      %5 = add %2, %4 : i32[]\n"
    "      %6 = constant[value=f64[]{0.5}] : f64[]\n"
    "      %7 = mul %3, %6 : f64[3]\n"
    "      %8 = add %7, %1 : f64[3]\n"
    "      return %5, %8\n"
    "    }\n"
    "  }\n"
    "  return %4, %5\n"
    "}\n";

/* Carries start unbatched (constants): b becomes batched through the
 * const x, a through b one round later, s never. */
static const char kFixpoint[] =
    "graph f(%0: f64[2]) {\n"
    "  %1 = constant[value=i32[]{0}] : i32[]\n"
    "  %2 = constant[value=f64[]{1}] : f64[]\n"
    "  %3 = broadcast_in_dim[shape=[2], broadcast_dimensions=[]] %2 : f64[2]\n"
    "  %4, %5, %6, %7 = while[n_consts=1] %0, %1, %3, %3, %2 : i32[], f64[2], f64[2], f64[] {\n"
    "    graph c(%0: f64[2], %1: i32[], %2: f64[2], %3: f64[2], %4: f64[]) {\n"
    "      %5 = constant[value=i32[]{3}] : i32[]\n"
    "      %6 = lt %1, %5 : bool[]\n"
    "      return %6\n"
    "    }\n"
    "    graph b(%0: f64[2], %1: i32[], %2: f64[2], %3: f64[2], %4: f64[]) {\n"
    "      %5 = constant[value=i32[]{1}] : i32[]\n"
    "      %6 = add %1, %5 : i32[]\n"
    "      %7 = add %2, %3 : f64[2]\n"
    "      %8 = add %3, %0 : f64[2]\n"
    "      %9 = add %4, %4 : f64[]\n"
    "      return %6, %7, %8, %9\n"
    "    }\n"
    "  }\n"
    "  return %4, %5, %6, %7\n"
    "}\n";

/* Collatz: steps until n reaches 1 (a different count per example). */
static const char kCollatz[] =
    "graph collatz(%0: i32[]) {\n"
    "  %1 = constant[value=i32[]{0}] : i32[]\n"
    "  %2, %3 = while %0, %1 : i32[], i32[] {\n"
    "    graph c(%0: i32[], %1: i32[]) {\n"
    "      %2 = constant[value=i32[]{1}] : i32[]\n"
    "      %3 = ne %0, %2 : bool[]\n"
    "      return %3\n"
    "    }\n"
    "    graph b(%0: i32[], %1: i32[]) {\n"
    "      %2 = constant[value=i32[]{2}] : i32[]\n"
    "      %3 = rem %0, %2 : i32[]\n"
    "      %4 = constant[value=i32[]{0}] : i32[]\n"
    "      %5 = eq %3, %4 : bool[]\n"
    "      %6 = div %0, %2 : i32[]\n"
    "      %7 = constant[value=i32[]{3}] : i32[]\n"
    "      %8 = mul %0, %7 : i32[]\n"
    "      %9 = constant[value=i32[]{1}] : i32[]\n"
    "      %10 = add %8, %9 : i32[]\n"
    "      %11 = select %5, %6, %10 : i32[]\n"
    "      %12 = add %1, %9 : i32[]\n"
    "      return %11, %12\n"
    "    }\n"
    "  }\n"
    "  return %2, %3\n"
    "}\n";

/* Newton's square root of a (elementwise) until max |x^2 - a| <= tol (at
 * most 50 steps); returns x and the step count. */
static const char kNewton[] =
    "graph newton(%0: f64[2], %1: f64[]) {\n"
    "  %2 = constant[value=i32[]{0}] : i32[]\n"
    "  %3, %4 = while[n_consts=2] %0, %1, %0, %2 : f64[2], i32[] {\n"
    "    graph c(%0: f64[2], %1: f64[], %2: f64[2], %3: i32[]) {\n"
    "      %4 = mul %2, %2 : f64[2]\n"
    "      %5 = sub %4, %0 : f64[2]\n"
    "      %6 = abs %5 : f64[2]\n"
    "      %7 = reduce_max[axes=[0]] %6 : f64[]\n"
    "      %8 = gt %7, %1 : bool[]\n"
    "      %9 = constant[value=i32[]{50}] : i32[]\n"
    "      %10 = lt %3, %9 : bool[]\n"
    "      %11 = and %8, %10 : bool[]\n"
    "      return %11\n"
    "    }\n"
    "    graph b(%0: f64[2], %1: f64[], %2: f64[2], %3: i32[]) {\n"
    "      %4 = div %0, %2 : f64[2]\n"
    "      %5 = add %2, %4 : f64[2]\n"
    "      %6 = constant[value=f64[]{0.5}] : f64[]\n"
    "      %7 = mul %5, %6 : f64[2]\n"
    "      %8 = constant[value=i32[]{1}] : i32[]\n"
    "      %9 = add %3, %8 : i32[]\n"
    "      return %7, %9\n"
    "    }\n"
    "  }\n"
    "  return %3, %4\n"
    "}\n";

#define CUMSUM(NAME, REV)                                                   \
  static const char NAME[] =                                                \
      "graph cumsum(%0: f64[3], %1: f64[5,3]) {\n"                          \
      "  %2, %3 = scan[n_carry=1, length=5, reverse=" REV "] %0, %1 : "     \
      "f64[3], f64[5,3] {\n"                                                \
      "    graph b(%0: f64[3], %1: f64[3]) {\n"                             \
      "      %2 = add %0, %1 : f64[3]\n"                                    \
      "      return %2, %2\n"                                               \
      "    }\n"                                                             \
      "  }\n"                                                               \
      "  return %2, %3\n"                                                   \
      "}\n";
CUMSUM(kCumsum, "false")
CUMSUM(kCumsumRev, "true")

/* h = tanh(W h + U x) over 4 inputs; ys = every h. */
static const char kRnn[] =
    "graph rnn(%0: f64[3,3], %1: f64[3,2], %2: f64[3], %3: f64[4,2]) {\n"
    "  %4, %5 = scan[n_consts=2, n_carry=1, length=4] %0, %1, %2, %3 : f64[3], f64[4,3] {\n"
    "    graph b(%0: f64[3,3], %1: f64[3,2], %2: f64[3], %3: f64[2]) {\n"
    "      %4 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
    "%0, %2 : f64[3]\n"
    "      %5 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] "
    "%1, %3 : f64[3]\n"
    "      %6 = add %4, %5 : f64[3]\n"
    "      %7 = tanh %6 : f64[3]\n"
    "      return %7, %7\n"
    "    }\n"
    "  }\n"
    "  return %4, %5\n"
    "}\n";

/* Each step halves x until |x| <= thr (a while with a per-example trip
 * count inside the scan body); carry = sum of the halved values, ys = the
 * halving counts. */
static const char kScanWhile[] =
    "graph sw(%0: f64[], %1: f64[4]) {\n"
    "  %2 = constant[value=f64[]{0}] : f64[]\n"
    "  %3, %4 = scan[n_consts=1, n_carry=1, length=4] %0, %2, %1 : f64[], i32[4] {\n"
    "    graph b(%0: f64[], %1: f64[], %2: f64[]) {\n"
    "      %3 = constant[value=i32[]{0}] : i32[]\n"
    "      %4, %5 = while[n_consts=1] %0, %2, %3 : f64[], i32[] {\n"
    "        graph c(%0: f64[], %1: f64[], %2: i32[]) {\n"
    "          %3 = abs %1 : f64[]\n"
    "          %4 = gt %3, %0 : bool[]\n"
    "          %5 = constant[value=i32[]{60}] : i32[]\n"
    "          %6 = lt %2, %5 : bool[]\n"
    "          %7 = and %4, %6 : bool[]\n"
    "          return %7\n"
    "        }\n"
    "        graph b(%0: f64[], %1: f64[], %2: i32[]) {\n"
    "          %3 = constant[value=f64[]{0.5}] : f64[]\n"
    "          %4 = mul %1, %3 : f64[]\n"
    "          %5 = constant[value=i32[]{1}] : i32[]\n"
    "          %6 = add %2, %5 : i32[]\n"
    "          return %4, %6\n"
    "        }\n"
    "      }\n"
    "      %6 = add %1, %4 : f64[]\n"
    "      return %6, %5\n"
    "    }\n"
    "  }\n"
    "  return %3, %4\n"
    "}\n";

/* ------------------------------------------------------------------- cases */

typedef struct ccase {
  const char *name;
  const char *text;
  vmc_dom dom[VMC_MAX];
  double tol;
} ccase;

#define D(lo, hi) {lo, hi, 0}
static const ccase kCases[] = {
    {"cond", kCond, {D(0, 2), D(-3, 3), D(-3, 3)}, 0},
    {"switch", kSwitch, {D(-2, 5), D(-3, 3), D(-3, 3)}, 0},
    {"while counter", kCounter, {D(0, 5), D(-3, 3), D(-3, 3)}, 0},
    {"while fixpoint", kFixpoint, {D(-3, 3)}, 0},
    {"while collatz", kCollatz, {D(1, 40)}, 0},
    {"while newton", kNewton, {D(0.5, 4), D(1e-6, 0.1)}, 0},
    {"scan cumsum", kCumsum, {D(-3, 3), D(-3, 3)}, 0},
    {"scan cumsum reverse", kCumsumRev, {D(-3, 3), D(-3, 3)}, 0},
    {"scan rnn", kRnn, {D(-1, 1), D(-1, 1), D(-1, 1), D(-1, 1)}, 1e-12},
    {"scan of while", kScanWhile, {D(0.1, 1), D(-20, 20)}, 0},
};
#define N_CASES (sizeof kCases / sizeof kCases[0])

static jet_graph *parse(const char *text) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(text, strlen(text), &g);
  if (st) fail_msg("parse: %s", jet_status_message(st));
  st = jet_graph_validate(g, NULL, 0);
  if (st) fail_msg("validate: %s", jet_status_message(st));
  return g;
}

static uint64_t base_seed(void) {
  const char *s = getenv("VMAP_CONTROL_SEED");
  return s ? strtoull(s, NULL, 0) : 0xc0f10u;
}

/* A level mapping parameter i at in_ax[i] (NONE: not mapped), every output
 * at 0. */
static vmc_level fixed_level(const jet_graph *f, int64_t size, const int32_t *in_ax) {
  vmc_level L;
  memset(&L, 0, sizeof L);
  L.size = size;
  L.n_in = L.pass_in = f->n_params;
  L.n_out = L.pass_out = f->n_outputs;
  L.pass_size = true;
  for (uint32_t i = 0; i < f->n_params; i++) {
    L.in[i].mapped = in_ax[i] != NONE;
    L.in[i].axis = in_ax[i] != NONE ? in_ax[i] : 0;
  }
  for (uint32_t j = 0; j < f->n_outputs; j++) L.out[j] = (jet_axis_spec){true, 0};
  return L;
}

static int check_fixed(const ccase *c, const int32_t *in_ax, int64_t size, const char *what) {
  jet_graph *f = parse(c->text);
  vmc_level L = fixed_level(f, size, in_ax);
  adc_rng r = {base_seed() ^ 0x51u};
  char label[160];
  snprintf(label, sizeof label, "%s: %s", c->name, what);
  vmc_opts o = {.label = label, .tol = c->tol, .dom = c->dom};
  int fails = vmc_check(f, &L, 1, &r, &o);
  jet_graph_destroy(f);
  return fails;
}

/* Every non-empty subset of mapped parameters, N_REPS times, with random
 * axes (odd trials through a call node), then nested vmaps. */
static int run_case(size_t k, int *checks) {
  const ccase *c = &kCases[k];
  jet_graph *f = parse(c->text);
  uint32_t np = f->n_params, n_sub = (1u << np) - 1;
  uint64_t seed = base_seed() + k * 7919;
  adc_rng r = {seed};
  int fails = 0;
  for (uint32_t t = 0; t < N_REPS * n_sub; t++) {
    uint32_t mask = t % n_sub + 1;
    int64_t size = adc_randint(&r, 1, 4);
    vmc_level lv[1];
    vmc_random_levels(f, &r, &size, 1, &mask, true, lv);
    char label[160];
    snprintf(label, sizeof label, "%s, trial %u (seed 0x%llx)", c->name, t, (unsigned long long)seed);
    vmc_opts o = {.label = label, .tol = c->tol, .dom = c->dom, .via_call = t % 2 == 1};
    fails += vmc_check(f, lv, 1, &r, &o);
    (*checks)++;
  }
  for (uint32_t t = 0; t < N_NESTED; t++) {
    int64_t sizes[2] = {adc_randint(&r, 1, 3), adc_randint(&r, 1, 3)};
    uint32_t masks[2] = {(uint32_t)adc_randint(&r, 1, n_sub), (uint32_t)adc_randint(&r, 0, n_sub)};
    vmc_level lv[2];
    vmc_random_levels(f, &r, sizes, 2, masks, false, lv);
    char label[160];
    snprintf(label, sizeof label, "%s, nested trial %u (seed 0x%llx)", c->name, t,
             (unsigned long long)seed);
    vmc_opts o = {.label = label, .tol = c->tol, .dom = c->dom, .via_call = t % 2 == 1};
    fails += vmc_check(f, lv, 2, &r, &o);
    (*checks)++;
  }
  jet_graph_destroy(f);
  return fails;
}

/* ------------------------------------------------------------- structure */

/* Nodes of op `op` in g and (when deep) its sub-graphs, recursively. */
static int count_op(const jet_graph *g, jet_op op, bool deep) {
  int n = 0;
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    n += g->nodes[i].op == op;
    for (uint32_t s = 0; deep && s < g->nodes[i].n_subgraphs; s++)
      n += count_op(g->nodes[i].subgraphs[s], op, true);
  }
  return n;
}

/* The top-level node of op `op` (fails when there is none). */
static const jet_node *find_op(const jet_graph *g, jet_op op) {
  for (uint32_t i = 0; i < g->n_nodes; i++)
    if (g->nodes[i].op == op) return &g->nodes[i];
  fail_msg("no '%s' node", jet_op_name(op));
  return NULL;
}

static jet_graph *vmapped(const char *text, const int32_t *in_ax, int64_t size) {
  jet_graph *f = parse(text), *g = NULL;
  vmc_level L = fixed_level(f, size, in_ax);
  jet_status st = vmc_transform(f, &L, 1, true, &g);
  if (st) fail_msg("vmap: %s", jet_status_message(st));
  jet_graph_destroy(f);
  return g;
}

/* ------------------------------------------------------------------- tests */

static void cond_unbatched_pred(void **state) {
  (void)state;
  const int32_t ax[3] = {NONE, 0, NONE}, ax2[3] = {NONE, 1, 0};
  assert_int_equal(check_fixed(&kCases[0], ax, 3, "unbatched pred, x mapped"), 0);
  assert_int_equal(check_fixed(&kCases[0], ax2, 4, "unbatched pred, both mapped"), 0);
  jet_graph *g = vmapped(kCond, ax2, 4);
  assert_int_equal(count_op(g, JET_OP_COND, false), 1);
  assert_int_equal(count_op(g, JET_OP_SELECT, true), 0);
  jet_graph_destroy(g);
}

static void cond_batched_pred(void **state) {
  (void)state;
  const int32_t ax[3] = {0, NONE, NONE}, ax2[3] = {0, 1, 0};
  assert_int_equal(check_fixed(&kCases[0], ax, 4, "batched pred only"), 0);
  assert_int_equal(check_fixed(&kCases[0], ax2, 4, "all mapped"), 0);
  jet_graph *g = vmapped(kCond, ax2, 4);
  assert_int_equal(count_op(g, JET_OP_COND, true), 0);
  assert_true(count_op(g, JET_OP_SELECT, false) >= 2);
  jet_graph_destroy(g);
}

static void switch_batched_index(void **state) {
  (void)state;
  const int32_t ax[3] = {0, NONE, 0}, ax2[3] = {0, 2, NONE}, ax3[3] = {NONE, 1, 0};
  /* indices drawn from [-2, 5): out of range on both sides */
  assert_int_equal(check_fixed(&kCases[1], ax, 4, "index and y mapped"), 0);
  assert_int_equal(check_fixed(&kCases[1], ax2, 4, "index and x mapped"), 0);
  assert_int_equal(check_fixed(&kCases[1], ax3, 3, "unbatched index"), 0);
  jet_graph *g = vmapped(kSwitch, ax2, 4);
  assert_int_equal(count_op(g, JET_OP_COND, true), 0);
  assert_int_equal(count_op(g, JET_OP_CLAMP, false), 1);
  jet_graph_destroy(g);
}

static void while_unbatched_pred(void **state) {
  (void)state;
  const int32_t ax[3] = {NONE, 0, NONE}, ax2[3] = {NONE, NONE, 1}, none[1] = {0};
  assert_int_equal(check_fixed(&kCases[2], ax, 3, "batched const"), 0);
  assert_int_equal(check_fixed(&kCases[2], ax2, 3, "batched init"), 0);
  assert_int_equal(check_fixed(&kCases[3], none, 4, "fixpoint"), 0);
  jet_graph *g = vmapped(kCounter, ax, 3);
  const jet_node *w = find_op(g, JET_OP_WHILE);
  assert_int_equal(count_op(w->subgraphs[0], JET_OP_REDUCE_MAX, true), 0);
  assert_int_equal(count_op(w->subgraphs[1], JET_OP_SELECT, true), 0);
  /* the counter stays unbatched, the accumulator is batched */
  assert_int_equal(w->results[0].rank, 0);
  assert_int_equal(w->results[1].rank, 2);
  jet_graph_destroy(g);
  /* the fixpoint: b and a become batched, i and s stay unbatched */
  g = vmapped(kFixpoint, none, 4);
  w = find_op(g, JET_OP_WHILE);
  assert_int_equal(w->results[0].rank, 0);
  assert_int_equal(w->results[1].rank, 2);
  assert_int_equal(w->results[2].rank, 2);
  assert_int_equal(w->results[3].rank, 0);
  jet_graph_destroy(g);
}

static void while_batched_pred(void **state) {
  (void)state;
  const int32_t ax[3] = {0, NONE, NONE}, one[1] = {0}, nw[2] = {1, NONE}, nw2[2] = {NONE, 0};
  assert_int_equal(check_fixed(&kCases[2], ax, 4, "batched trip count"), 0);
  assert_int_equal(check_fixed(&kCases[4], one, 4, "collatz"), 0);
  assert_int_equal(check_fixed(&kCases[5], nw, 3, "newton, a mapped"), 0);
  assert_int_equal(check_fixed(&kCases[5], nw2, 4, "newton, per-example tolerance"), 0);
  jet_graph *g = vmapped(kCollatz, one, 4);
  const jet_node *w = find_op(g, JET_OP_WHILE);
  assert_int_equal(count_op(w->subgraphs[0], JET_OP_REDUCE_MAX, false), 1);
  assert_true(count_op(w->subgraphs[1], JET_OP_SELECT, false) >= 2);
  jet_graph_destroy(g);
}

/* Lanes stop at their own iteration: Collatz step counts by hand. */
static void while_batched_pred_by_hand(void **state) {
  (void)state;
  const int32_t one[1] = {0};
  jet_graph *g = vmapped(kCollatz, one, 5);
  const int32_t n[5] = {1, 2, 3, 6, 27}, steps[5] = {0, 1, 7, 8, 111};
  jet_buf arg = adc_buf(g->value_types[0]);
  for (int i = 0; i < 5; i++) adc_set(&arg, i, n[i]);
  jet_buf outs[2];
  assert_true(adc_run(g, &arg, 1, outs, "collatz", "batched"));
  for (int i = 0; i < 5; i++) {
    assert_int_equal((int)adc_get(&outs[0], i), 1);
    assert_int_equal((int)adc_get(&outs[1], i), steps[i]);
  }
  adc_bufs_free(outs, 2);
  adc_buf_free(&arg);
  jet_graph_destroy(g);
}

static void scan_cases(void **state) {
  (void)state;
  const int32_t xs1[2] = {NONE, 1}, both[2] = {0, 2}, init[2] = {1, NONE};
  assert_int_equal(check_fixed(&kCases[6], xs1, 3, "xs mapped at axis 1"), 0);
  assert_int_equal(check_fixed(&kCases[6], both, 2, "init and xs mapped"), 0);
  assert_int_equal(check_fixed(&kCases[6], init, 3, "init mapped"), 0);
  assert_int_equal(check_fixed(&kCases[7], xs1, 3, "reverse, xs mapped at axis 1"), 0);
  const int32_t w[4] = {0, NONE, NONE, NONE}, x[4] = {NONE, NONE, NONE, 1};
  assert_int_equal(check_fixed(&kCases[8], w, 3, "rnn, W mapped"), 0);
  assert_int_equal(check_fixed(&kCases[8], x, 3, "rnn, xs mapped"), 0);
  /* ys come out batched at dimension 1 of the scan, then moved by out_axes */
  jet_graph *g = vmapped(kCumsum, xs1, 3);
  const jet_node *s = find_op(g, JET_OP_SCAN);
  assert_int_equal(s->results[1].rank, 3);
  assert_int_equal(s->results[1].dims[0], 5);
  assert_int_equal(s->results[1].dims[1], 3);
  jet_graph_destroy(g);
}

/* vmap of vmap of a scan (and of a scan holding a while), fixed axes. */
static int check_nested(const ccase *c, const int32_t *in0, int64_t s0, const int32_t *in1,
                        int64_t s1) {
  jet_graph *f = parse(c->text);
  vmc_level lv[2] = {fixed_level(f, s0, in0), fixed_level(f, s1, in1)};
  adc_rng r = {base_seed() ^ 0x77u};
  char label[160];
  snprintf(label, sizeof label, "%s: nested vmap", c->name);
  vmc_opts o = {.label = label, .tol = c->tol, .dom = c->dom};
  int fails = vmc_check(f, lv, 2, &r, &o);
  jet_graph_destroy(f);
  return fails;
}

static void nested_vmap_of_scan(void **state) {
  (void)state;
  const int32_t in0[4] = {NONE, 1, NONE, NONE}, in1[4] = {0, 2, NONE, NONE};
  assert_int_equal(check_nested(&kCases[6], in0, 3, in1, 2), 0);
  assert_int_equal(check_nested(&kCases[7], in0, 2, in1, 3), 0);
  const int32_t r0[4] = {NONE, NONE, 0, 1}, r1[4] = {1, NONE, NONE, 0};
  assert_int_equal(check_nested(&kCases[8], r0, 2, r1, 3), 0);
  const int32_t w0[2] = {NONE, 0}, w1[2] = {0, 1};
  assert_int_equal(check_nested(&kCases[9], w0, 3, w1, 2), 0);
}

static void scan_of_while(void **state) {
  (void)state;
  const int32_t xs[2] = {NONE, 0}, thr[2] = {0, NONE};
  assert_int_equal(check_fixed(&kCases[9], xs, 4, "xs mapped"), 0);
  assert_int_equal(check_fixed(&kCases[9], thr, 3, "threshold mapped"), 0);
}

/* Every case, every subset of mapped parameters, and nested vmaps. */
static void all_cases(void **state) {
  (void)state;
  int fails = 0, checks = 0;
  for (size_t k = 0; k < N_CASES; k++) fails += run_case(k, &checks);
  fprintf(stderr, "%zu cases, %d vmap checks, %d failed\n", N_CASES, checks, fails);
  assert_int_equal(fails, 0);
}

/* The batched graph's node count does not depend on the batch size. */
static void node_counts(void **state) {
  (void)state;
  for (size_t k = 0; k < N_CASES; k++) {
    jet_graph *f = parse(kCases[k].text);
    int32_t ax[VMC_MAX];
    for (uint32_t i = 0; i < f->n_params; i++) ax[i] = 0;
    uint32_t counts[2];
    for (int s = 0; s < 2; s++) {
      jet_graph *g = vmapped(kCases[k].text, ax, s ? 1000 : 2);
      counts[s] = jet_graph_total_nodes(g);
      jet_graph_destroy(g);
    }
    if (counts[0] != counts[1])
      fail_msg("%s: %u nodes at batch size 2, %u at 1000", kCases[k].name, counts[0], counts[1]);
    jet_graph_destroy(f);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cond_unbatched_pred),
      cmocka_unit_test(cond_batched_pred),
      cmocka_unit_test(switch_batched_index),
      cmocka_unit_test(while_unbatched_pred),
      cmocka_unit_test(while_batched_pred),
      cmocka_unit_test(while_batched_pred_by_hand),
      cmocka_unit_test(scan_cases),
      cmocka_unit_test(scan_of_while),
      cmocka_unit_test(nested_vmap_of_scan),
      cmocka_unit_test(all_cases),
      cmocka_unit_test(node_counts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
