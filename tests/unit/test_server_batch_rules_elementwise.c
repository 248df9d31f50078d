/* Batching rules of the elementwise ops (transforms/batch/rules_elementwise.c)
 * and the batching helpers (transforms/batch/helpers.c).
 *
 * Each rule is called directly through a small harness: a new graph whose
 * params are the operands with a batch dimension of size B inserted at an
 * enumerated position (0, middle, last, or none), the rule applied to the
 * one node of a per-example graph f, the result executed by the reference
 * executor and compared bit for bit with f run on each example, taken along
 * the rule's result batch dim. Every combination of batched / unbatched
 * operands, operand ranks (scalars and arrays) and batch dim positions is
 * checked for every op, the same again through the driver jet_batch_vmap
 * (in_axes negative every other case, out_axes cycling), plus: the direct
 * case emits only the op itself (no transpose, no broadcast), and the op
 * appears exactly once (no loop over examples). A chain of elementwise ops
 * goes through vmap and nested vmap with random axes. A last test checks
 * every op of the rule file is covered. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
/* cmocka needs the headers above first */
#include <cmocka.h>

#include "exec.h"
#include "jet/graph.h"
#include "mem.h"
#include "transforms/batch/batch.h"
#include "graph_build.h"

#define NB JET_NOT_BATCHED
#define B 4
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

/* ---------------------------------------------------------------- data */

static uint64_t rng_state = 0x243F6A8885A308D3ull;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
static double urand(void) { return (double)(rnd() >> 11) / 9007199254740992.0; }
static int64_t irand(int64_t lo, int64_t hi) {
  return lo + (int64_t)(rnd() % (uint64_t)(hi - lo + 1));
}

typedef enum dom { D_ANY, D_POS, D_UNIT, D_NONZERO, D_SHIFT, D_SPECIAL, D_BITS } dom;

static double draw_float(dom d) {
  switch (d) {
    case D_POS:
      return 0.1 + 2.9 * urand();
    case D_UNIT:
      return -0.9 + 1.8 * urand();
    case D_NONZERO:
      return (0.5 + 2.5 * urand()) * (rnd() & 1 ? 1.0 : -1.0);
    case D_SPECIAL: {
      uint64_t k = rnd() % 5;
      return k == 0 ? INFINITY : k == 1 ? -INFINITY : k == 2 ? NAN : -3.0 + 6.0 * urand();
    }
    default:
      return -3.0 + 6.0 * urand();
  }
}

static int64_t draw_int(dom d, int64_t width_bits, bool is_unsigned) {
  switch (d) {
    case D_POS:
      return irand(1, 20);
    case D_NONZERO:
      return is_unsigned ? irand(1, 200) : irand(1, 20) * (rnd() & 1 ? 1 : -1);
    case D_SHIFT:
      return irand(0, width_bits - 1);
    default:
      return is_unsigned ? irand(0, 200) : irand(-20, 20);
  }
}

static void fill(jet_buf *b, dom d) {
  int64_t n = jet_type_numel(&b->type);
  for (int64_t i = 0; i < n; i++) {
    switch (b->type.dtype) {
      case JET_BOOL:
        ((uint8_t *)b->data)[i] = (uint8_t)(rnd() & 1);
        break;
      case JET_U8:
        ((uint8_t *)b->data)[i] = (uint8_t)draw_int(d, 8, true);
        break;
      case JET_U32:
        ((uint32_t *)b->data)[i] = d == D_BITS ? (uint32_t)rnd() : (uint32_t)draw_int(d, 32, true);
        break;
      case JET_I32:
        ((int32_t *)b->data)[i] =
            d == D_BITS ? (int32_t)(uint32_t)rnd() : (int32_t)draw_int(d, 32, false);
        break;
      case JET_I64:
        ((int64_t *)b->data)[i] = d == D_BITS ? (int64_t)rnd() : draw_int(d, 64, false);
        break;
      case JET_F32:
        ((float *)b->data)[i] = (float)draw_float(d);
        break;
      case JET_F64:
        ((double *)b->data)[i] = draw_float(d);
        break;
      default:
        fail_msg("unexpected dtype %s", jet_dtype_name(b->type.dtype));
    }
  }
}

static jet_buf new_buf(jet_type t) {
  jet_buf b = {.type = t, .data = jet_mem_alloc(jet_type_nbytes(&t) ? jet_type_nbytes(&t) : 1)};
  assert_non_null(b.data);
  return b;
}

/* Example k of x along dimension d. */
static jet_buf slice_example(const jet_buf *x, int32_t d, int64_t k) {
  jet_type t = x->type;
  for (int32_t i = d; i + 1 < t.rank; i++) t.dims[i] = t.dims[i + 1];
  t.rank--;
  jet_buf o = new_buf(t);
  size_t es = jet_dtype_size(t.dtype);
  int64_t outer = 1, inner = 1;
  for (int32_t i = 0; i < d; i++) outer *= x->type.dims[i];
  for (int32_t i = d + 1; i < x->type.rank; i++) inner *= x->type.dims[i];
  int64_t n = x->type.dims[d];
  for (int64_t o2 = 0; o2 < outer; o2++)
    memcpy((char *)o.data + (size_t)(o2 * inner) * es,
           (const char *)x->data + (size_t)((o2 * n + k) * inner) * es, (size_t)inner * es);
  return o;
}

static jet_type with_batch(jet_type t, int32_t d) {
  if (d == NB) return t;
  for (int32_t i = t.rank; i > d; i--) t.dims[i] = t.dims[i - 1];
  t.dims[d] = B;
  t.rank++;
  return t;
}

static void check_ok(jet_status st, const char *what) {
  if (st) {
    char msg[512];
    snprintf(msg, sizeof msg, "%s", jet_status_message(st));
    jet_status_free(st);
    fail_msg("%s: %s", what, msg);
  }
}

/* ---------------------------------------------------------------- cases */

typedef enum kind { K_UNARY, K_BINARY, K_SELECT, K_CLAMP } kind;

typedef struct opspec {
  jet_op op;
  kind k;
  jet_dtype dt;     /* dtype of the operands (select: of the cases) */
  dom dom[3];       /* per operand */
  const char *attr; /* NULL, or an int attribute ("y", "rounding_method") or "new_dtype" */
  int64_t attr_i;
  jet_dtype attr_dt;
} opspec;

#define U(OP, DT, D) \
  { JET_OP_##OP, K_UNARY, JET_##DT, {D_##D, D_ANY, D_ANY}, NULL, 0, JET_DTYPE_INVALID }
#define UA(OP, DT, D, A, I) \
  { JET_OP_##OP, K_UNARY, JET_##DT, {D_##D, D_ANY, D_ANY}, A, I, JET_DTYPE_INVALID }
#define UT(OP, DT, D, NDT) \
  { JET_OP_##OP, K_UNARY, JET_##DT, {D_##D, D_ANY, D_ANY}, "new_dtype", 0, JET_##NDT }
#define BI(OP, DT, D0, D1) \
  { JET_OP_##OP, K_BINARY, JET_##DT, {D_##D0, D_##D1, D_ANY}, NULL, 0, JET_DTYPE_INVALID }

/* clang-format off */
static const opspec specs[] = {
    U(NEG, F32, ANY), U(NEG, I32, ANY), U(ABS, F32, ANY), U(ABS, I64, ANY), U(SIGN, F32, ANY),
    U(SIGN, I32, ANY), U(FLOOR, F32, ANY), U(CEIL, F64, ANY),
    UA(ROUND, F32, ANY, "rounding_method", 0), UA(ROUND, F64, ANY, "rounding_method", 1),
    U(IS_FINITE, F32, SPECIAL), U(EXP, F32, ANY), U(EXP2, F64, ANY), U(LOG, F32, POS),
    U(LOG1P, F64, POS), U(EXPM1, F32, ANY), U(SQRT, F32, POS), U(RSQRT, F64, POS),
    U(TANH, F32, ANY), U(LOGISTIC, F32, ANY), U(SIN, F64, ANY), U(COS, F32, ANY), U(TAN, F32, UNIT),
    U(ASIN, F32, UNIT), U(ACOS, F64, UNIT), U(ATAN, F32, ANY), U(SINH, F32, ANY), U(COSH, F64, ANY),
    U(ERF, F32, ANY), U(ERF_INV, F64, UNIT), UA(INTEGER_POW, F32, ANY, "y", 3),
    UA(INTEGER_POW, F64, NONZERO, "y", -2), UA(INTEGER_POW, I32, ANY, "y", 2), U(SQUARE, F32, ANY),
    U(SQUARE, I32, ANY), U(NOT, BOOL, ANY), U(NOT, I32, ANY), U(NOT, U8, ANY),
    U(STOP_GRADIENT, F32, ANY), U(STOP_GRADIENT, I32, ANY), UT(CONVERT_ELEMENT_TYPE, F32, ANY, I32),
    UT(CONVERT_ELEMENT_TYPE, I32, ANY, F64), UT(CONVERT_ELEMENT_TYPE, BOOL, ANY, F32),
    UT(CONVERT_ELEMENT_TYPE, F32, ANY, BOOL), UT(BITCAST_CONVERT_TYPE, F32, ANY, I32),
    UT(BITCAST_CONVERT_TYPE, U32, BITS, F32), UT(BITCAST_CONVERT_TYPE, I64, BITS, F64),
    BI(ADD, F32, ANY, ANY), BI(ADD, I32, ANY, ANY), BI(ADD, U8, ANY, ANY), BI(SUB, F64, ANY, ANY),
    BI(SUB, I32, ANY, ANY), BI(MUL, F32, ANY, ANY), BI(MUL, I64, ANY, ANY),
    BI(DIV, F32, ANY, NONZERO), BI(DIV, I32, ANY, NONZERO), BI(REM, F32, ANY, NONZERO),
    BI(REM, I32, ANY, NONZERO), BI(POW, F32, POS, ANY), BI(POW, F64, POS, ANY),
    BI(MAX, F32, ANY, ANY), BI(MAX, BOOL, ANY, ANY), BI(MIN, I32, ANY, ANY), BI(MIN, F64, ANY, ANY),
    BI(ATAN2, F32, ANY, ANY), BI(AND, BOOL, ANY, ANY), BI(AND, I32, ANY, ANY),
    BI(OR, BOOL, ANY, ANY), BI(OR, U32, ANY, ANY), BI(XOR, BOOL, ANY, ANY), BI(XOR, I32, ANY, ANY),
    BI(SHIFT_LEFT, I32, ANY, SHIFT), BI(SHIFT_LEFT, U32, ANY, SHIFT),
    BI(SHIFT_RIGHT_LOGICAL, I32, ANY, SHIFT), BI(SHIFT_RIGHT_LOGICAL, U8, ANY, SHIFT),
    BI(SHIFT_RIGHT_ARITHMETIC, I32, ANY, SHIFT), BI(SHIFT_RIGHT_ARITHMETIC, I64, ANY, SHIFT),
    BI(EQ, F32, ANY, ANY), BI(EQ, BOOL, ANY, ANY), BI(NE, I32, ANY, ANY), BI(LT, F32, ANY, ANY),
    BI(LE, I32, ANY, ANY), BI(GT, U32, ANY, ANY), BI(GE, F64, ANY, ANY),
    {JET_OP_SELECT, K_SELECT, JET_F32, {D_ANY, D_ANY, D_ANY}, NULL, 0, JET_DTYPE_INVALID},
    {JET_OP_SELECT, K_SELECT, JET_I32, {D_ANY, D_ANY, D_ANY}, NULL, 0, JET_DTYPE_INVALID},
    {JET_OP_CLAMP, K_CLAMP, JET_F32, {D_ANY, D_ANY, D_ANY}, NULL, 0, JET_DTYPE_INVALID},
    {JET_OP_CLAMP, K_CLAMP, JET_I32, {D_ANY, D_ANY, D_ANY}, NULL, 0, JET_DTYPE_INVALID},
};
/* clang-format on */

static uint32_t n_operands(kind k) { return k == K_UNARY ? 1 : k == K_BINARY ? 2 : 3; }

static jet_type operand_type(const opspec *s, uint32_t i, int32_t rank) {
  static const int64_t dims[] = {2, 3};
  jet_dtype dt = s->k == K_SELECT && i == 0 ? JET_BOOL : s->dt;
  return jet_type_make(dt, rank, rank ? dims : NULL);
}

static uint32_t spec_attrs(const opspec *s, jet_attr *a) {
  if (!s->attr) return 0;
  *a = s->attr_dt != JET_DTYPE_INVALID ? jet_emit_attr_dtype(s->attr, s->attr_dt)
                                       : jet_emit_attr_int(s->attr, s->attr_i);
  return 1;
}

static jet_graph *one_op(const opspec *s, const jet_type *pt, uint32_t nops) {
  jet_graph *f = jet_graph_create("f");
  assert_non_null(f);
  jet_value p[3], y;
  for (uint32_t i = 0; i < nops; i++) check_ok(jet_graph_add_param(f, &pt[i], &p[i]), "param");
  jet_attr a;
  uint32_t na = spec_attrs(s, &a);
  check_ok(jet_graph_add_node(f, s->op, p, nops, &a, na, NULL, NULL, 0, &y), "one-op graph");
  check_ok(jet_graph_set_outputs(f, &y, 1), "outputs");
  return f;
}

/* Applies f's node's rule to params of the batched types; returns the
 * batched graph and the result batch dim. */
static jet_graph *batched_by_rule(const jet_graph *f, const int32_t *bd, int32_t *ybd) {
  uint32_t nops = f->n_params;
  jet_graph *g = jet_graph_create("g");
  assert_non_null(g);
  jet_value p[3];
  for (uint32_t i = 0; i < nops; i++) {
    jet_type t = with_batch(f->value_types[i], bd[i]);
    check_ok(jet_graph_add_param(g, &t, &p[i]), "batched param");
  }
  jet_batch b = {.e = {.g = g, .status = NULL}, .size = B, .axis_name = ""};
  const jet_node *n = &f->nodes[0];
  jet_batch_rule rule = jet_batch_rule_of(n->op);
  assert_non_null(rule);
  jet_value y = JET_EMIT_NONE;
  *ybd = NB;
  rule(&b, n, p, bd, &y, ybd);
  check_ok(b.e.status, jet_op_name(n->op));
  check_ok(jet_graph_set_outputs(g, &y, 1), "batched outputs");
  return g;
}

static void describe(char *buf, size_t cap, const opspec *s, const jet_type *pt, const int32_t *bd,
                     uint32_t nops) {
  size_t len = (size_t)snprintf(buf, cap, "%s %s:", jet_op_name(s->op), jet_dtype_name(s->dt));
  for (uint32_t i = 0; i < nops && len < cap; i++)
    len +=
        (size_t)snprintf(buf + len, cap - len, " (rank %d, bdim %d)", (int)pt[i].rank, (int)bd[i]);
}

static int n_checked[JET_OP_COUNT];

/* The check of one combination. */
static void check_case(const opspec *s, const jet_type *pt, const int32_t *bd, uint32_t nops) {
  char what[256];
  describe(what, sizeof what, s, pt, bd, nops);
  jet_graph *f = one_op(s, pt, nops);
  int32_t ybd;
  jet_graph *g = batched_by_rule(f, bd, &ybd);
  const jet_type *rt = &f->nodes[0].results[0];
  if (ybd == NB) fail_msg("%s: the result is not batched", what);

  /* Direct case: all batched operands full rank with one batch dim, the
   * unbatched ones scalars that may stay so -> only the op itself. */
  bool direct = true;
  int32_t d0 = NB;
  for (uint32_t i = 0; i < nops; i++) {
    bool may_scalar =
        s->k == K_BINARY || (s->k == K_SELECT && i == 0) || (s->k == K_CLAMP && i != 1);
    if (bd[i] == NB) {
      if (pt[i].rank != 0 || !may_scalar) direct = false;
    } else {
      if (pt[i].rank != rt->rank || (d0 != NB && d0 != bd[i])) direct = false;
      d0 = bd[i];
    }
  }
  if (direct && (g->n_nodes != 1 || ybd != d0))
    fail_msg("%s: direct case emitted %u nodes, result bdim %d", what, g->n_nodes, (int)ybd);
  uint32_t n_op = 0;
  for (uint32_t i = 0; i < g->n_nodes; i++) n_op += g->nodes[i].op == s->op;
  if (n_op != 1) fail_msg("%s: the op appears %u times in the batched graph", what, n_op);

  jet_buf args[3], outs[1];
  for (uint32_t i = 0; i < nops; i++) {
    args[i] = new_buf(g->value_types[i]);
    fill(&args[i], s->dom[i]);
  }
  check_ok(jet_exec_graph(g, args, nops, outs, NULL), what);
  jet_type want = with_batch(*rt, ybd);
  if (!jet_type_equal(&outs[0].type, &want))
    fail_msg("%s: batched result has the wrong type", what);

  /* The same through the driver: in_axes = the batch dims (negative every
   * other case), out_axes cycling through the positions. */
  static unsigned counter;
  counter++;
  jet_axis_spec ia[3], oa;
  for (uint32_t i = 0; i < nops; i++) {
    ia[i].mapped = bd[i] != NB;
    ia[i].axis = bd[i] == NB ? 0 : (counter & 1) ? bd[i] - (pt[i].rank + 1) : bd[i];
  }
  int32_t oax = (int32_t)(counter % (unsigned)(rt->rank + 1));
  oa.mapped = true;
  oa.axis = (counter & 2) ? oax - (rt->rank + 1) : oax;
  jet_transform t = gb_vmap(ia, nops, &oa, 1, B);
  jet_graph *h = NULL;
  check_ok(jet_batch_vmap(f, &t, &h), what);
  jet_buf vouts[1];
  check_ok(jet_exec_graph(h, args, nops, vouts, NULL), what);
  for (int64_t k = 0; k < B; k++) {
    jet_buf ex[3], r[1];
    for (uint32_t i = 0; i < nops; i++)
      ex[i] = bd[i] == NB ? args[i] : slice_example(&args[i], bd[i], k);
    check_ok(jet_exec_graph(f, ex, nops, r, NULL), what);
    jet_buf got = slice_example(&outs[0], ybd, k);
    if (!jet_type_equal(&got.type, &r[0].type) ||
        memcmp(got.data, r[0].data, jet_type_nbytes(&got.type)) != 0)
      fail_msg("%s: example %lld differs from the per-example result", what, (long long)k);
    jet_mem_free(got.data);
    got = slice_example(&vouts[0], oax, k);
    if (!jet_type_equal(&got.type, &r[0].type) ||
        memcmp(got.data, r[0].data, jet_type_nbytes(&got.type)) != 0)
      fail_msg("%s: vmap: example %lld differs from the per-example result", what, (long long)k);
    jet_mem_free(got.data);
    jet_mem_free(r[0].data);
    for (uint32_t i = 0; i < nops; i++)
      if (bd[i] != NB) jet_mem_free(ex[i].data);
  }
  jet_mem_free(outs[0].data);
  jet_mem_free(vouts[0].data);
  for (uint32_t i = 0; i < nops; i++) jet_mem_free(args[i].data);
  jet_graph_destroy(h);
  jet_graph_destroy(g);
  jet_graph_destroy(f);
  n_checked[s->op]++;
}

static bool ranks_valid(kind k, const int32_t *r) {
  switch (k) {
    case K_SELECT:
      return r[1] == r[2] && (r[0] == 0 || r[0] == r[1]);
    case K_CLAMP:
      return (r[0] == 0 || r[0] == r[1]) && (r[2] == 0 || r[2] == r[1]);
    default:
      return true;
  }
}

/* Every combination of operand ranks (0 or 2) and batch dims (none, 0, 1,
 * 2 where the rank allows) with at least one batched operand; returns the
 * number checked. */
static int run_spec(const opspec *s) {
  uint32_t nops = n_operands(s->k);
  int count = 0;
  uint32_t total = 1;
  for (uint32_t i = 0; i < nops; i++) total *= 6; /* rank 0: 2 choices, rank 2: 4 */
  for (uint32_t code = 0; code < total; code++) {
    int32_t rank[3], bd[3];
    uint32_t c = code;
    bool any = false;
    for (uint32_t i = 0; i < nops; i++, c /= 6) {
      uint32_t ch = c % 6;
      rank[i] = ch < 2 ? 0 : 2;
      bd[i] = ch < 2 ? (ch == 0 ? NB : 0) : (ch == 2 ? NB : (int32_t)ch - 3);
      any |= bd[i] != NB;
    }
    if (!any || !ranks_valid(s->k, rank)) continue;
    jet_type pt[3];
    for (uint32_t i = 0; i < nops; i++) pt[i] = operand_type(s, i, rank[i]);
    check_case(s, pt, bd, nops);
    count++;
  }
  return count;
}

static void run_kind(kind k, int expected) {
  for (size_t i = 0; i < NELEM(specs); i++) {
    if (specs[i].k != k) continue;
    int c = run_spec(&specs[i]);
    if (c != expected)
      fail_msg("%s: %d combinations checked, expected %d", jet_op_name(specs[i].op), c, expected);
  }
}

/* unary: rank 0 bdim 0; rank 2 bdim 0, 1, 2 */
static void test_unary(void **state) {
  (void)state;
  run_kind(K_UNARY, 4);
}
/* binary: (0,0): 3, (0,2): 7, (2,0): 7, (2,2): 15 */
static void test_binary(void **state) {
  (void)state;
  run_kind(K_BINARY, 32);
}
/* cases rank 2: pred 6 x cases 4 x 4, less the 2 with nothing batched
 * (pred rank 0 or 2) = 94; cases rank 0: 2*2*2 - 1 = 7 */
static void test_select(void **state) {
  (void)state;
  run_kind(K_SELECT, 101);
}
/* x rank 2: 6 x 4 x 6, less the 4 with nothing batched (each bound rank
 * 0 or 2) = 140; x rank 0: 2*2*2 - 1 = 7 */
static void test_clamp(void **state) {
  (void)state;
  run_kind(K_CLAMP, 147);
}

/* ---------------------------------------------------------------- helpers */

/* A graph with one param of type t whose output is fn's result; runs it on
 * 0, 1, 2, ... (i32) and returns the output. */
static jet_buf run_helper(jet_type t, int32_t from, int32_t to, bool broadcast, uint32_t *n_nodes) {
  jet_graph *g = jet_graph_create("h");
  assert_non_null(g);
  jet_value p;
  check_ok(jet_graph_add_param(g, &t, &p), "param");
  jet_batch b = {.e = {.g = g, .status = NULL}, .size = B, .axis_name = ""};
  jet_value y = broadcast ? jet_batch_at(&b, p, NB, to) : jet_batch_at(&b, p, from, to);
  check_ok(b.e.status, "helper");
  check_ok(jet_graph_set_outputs(g, &y, 1), "outputs");
  *n_nodes = g->n_nodes;
  jet_buf x = new_buf(t);
  for (int64_t i = 0; i < jet_type_numel(&t); i++) ((int32_t *)x.data)[i] = (int32_t)i;
  jet_buf out[1];
  check_ok(jet_exec_graph(g, &x, 1, out, NULL), "run helper");
  jet_mem_free(x.data);
  jet_graph_destroy(g);
  return out[0];
}

static void unravel(const jet_type *t, int64_t flat, int64_t *idx) {
  for (int32_t i = t->rank - 1; i >= 0; i--) {
    idx[i] = flat % t->dims[i];
    flat /= t->dims[i];
  }
}
static int64_t ravel(const jet_type *t, const int64_t *idx) {
  int64_t f = 0;
  for (int32_t i = 0; i < t->rank; i++) f = f * t->dims[i] + idx[i];
  return f;
}

static void test_moveaxis(void **state) {
  (void)state;
  jet_type t = jet_type_make(JET_I32, 3, (const int64_t[]){2, 3, 5});
  for (int32_t from = 0; from < 3; from++) {
    for (int32_t to = 0; to < 3; to++) {
      uint32_t nn;
      jet_buf o = run_helper(t, from, to, false, &nn);
      assert_int_equal(nn, from == to ? 0 : 1);
      assert_int_equal(o.type.rank, 3);
      /* output index: x's index with dim `from` removed and re-inserted at `to` */
      for (int64_t f = 0; f < jet_type_numel(&o.type); f++) {
        int64_t oi[3], rest[3] = {0, 0, 0}, xi[3];
        unravel(&o.type, f, oi);
        for (int32_t i = 0, j = 0; i < 3; i++)
          if (i != to) rest[j++] = oi[i];
        for (int32_t i = 0, j = 0; i < 3; i++) xi[i] = i == from ? oi[to] : rest[j++];
        assert_int_equal(o.type.dims[to], t.dims[from]);
        assert_int_equal(((int32_t *)o.data)[f], ravel(&t, xi));
      }
      jet_mem_free(o.data);
    }
  }
}

static void test_at_unbatched(void **state) {
  (void)state;
  jet_type t = jet_type_make(JET_I32, 2, (const int64_t[]){2, 3});
  for (int32_t to = 0; to <= 2; to++) {
    uint32_t nn;
    jet_buf o = run_helper(t, NB, to, true, &nn);
    assert_int_equal(nn, 1);
    assert_int_equal(o.type.rank, 3);
    assert_int_equal(o.type.dims[to], B);
    for (int64_t f = 0; f < jet_type_numel(&o.type); f++) {
      int64_t oi[3], xi[2];
      unravel(&o.type, f, oi);
      for (int32_t i = 0, j = 0; i < 3; i++)
        if (i != to) xi[j++] = oi[i];
      assert_int_equal(((int32_t *)o.data)[f], ravel(&t, xi));
    }
    jet_mem_free(o.data);
  }
  /* a scalar becomes [B] */
  uint32_t nn;
  jet_buf o = run_helper(jet_type_scalar(JET_I32), NB, 0, true, &nn);
  assert_int_equal(o.type.rank, 1);
  assert_int_equal(o.type.dims[0], B);
  for (int64_t k = 0; k < B; k++) assert_int_equal(((int32_t *)o.data)[k], 0);
  jet_mem_free(o.data);
}

static void test_helper_errors(void **state) {
  (void)state;
  jet_graph *g = jet_graph_create("h");
  assert_non_null(g);
  jet_type t = jet_type_make(JET_F32, 2, (const int64_t[]){2, 3});
  jet_value p;
  check_ok(jet_graph_add_param(g, &t, &p), "param");
  jet_batch b = {.e = {.g = g, .status = NULL}, .size = B, .axis_name = ""};
  assert_int_equal(jet_batch_moveaxis(&b, p, 0, 2), JET_EMIT_NONE);
  assert_int_equal(jet_status_code(b.e.status), JET_INTERNAL);
  jet_status_free(b.e.status);
  b.e.status = NULL;
  assert_int_equal(jet_batch_at(&b, p, NB, 3), JET_EMIT_NONE);
  assert_int_equal(jet_status_code(b.e.status), JET_INTERNAL);
  jet_status_free(b.e.status);
  jet_graph_destroy(g);
}

static void test_first(void **state) {
  (void)state;
  const int32_t a[] = {NB, NB, 2, 0};
  assert_int_equal(jet_batch_first(a, 4), 2);
  assert_int_equal(jet_batch_first(a, 2), NB);
  assert_int_equal(jet_batch_first(a + 3, 1), 0);
  assert_int_equal(jet_batch_first(a, 0), NB);
}

/* ---------------------------------------------------------------- driver */

/* Checks h = vmap(g; in_axes, out_axes, size) against g run per example on
 * random data of h's param types; returns h. */
static jet_graph *check_vmap(const jet_graph *g, const jet_axis_spec *ia, const jet_axis_spec *oa,
                             int64_t size, const dom *doms) {
  jet_transform t = gb_vmap(ia, g->n_params, oa, g->n_outputs, size);
  jet_graph *h = NULL;
  check_ok(jet_batch_vmap(g, &t, &h), "vmap");
  uint32_t np = h->n_params, no = h->n_outputs;
  jet_buf args[8], outs[8], ex[8], r[8];
  assert_true(np <= 8 && no <= 8 && no == g->n_outputs);
  for (uint32_t i = 0; i < np; i++) {
    args[i] = new_buf(h->value_types[i]);
    fill(&args[i], doms[i]);
  }
  check_ok(jet_exec_graph(h, args, np, outs, NULL), "run vmap");
  for (int64_t k = 0; k < size; k++) {
    for (uint32_t i = 0; i < np; i++) {
      int32_t ax = ia[i].axis < 0 ? ia[i].axis + args[i].type.rank : ia[i].axis;
      ex[i] = ia[i].mapped ? slice_example(&args[i], ax, k) : args[i];
    }
    check_ok(jet_exec_graph(g, ex, np, r, NULL), "run per example");
    for (uint32_t j = 0; j < no; j++) {
      int32_t ax = oa[j].axis < 0 ? oa[j].axis + outs[j].type.rank : oa[j].axis;
      jet_buf got = slice_example(&outs[j], ax, k);
      if (!jet_type_equal(&got.type, &r[j].type) ||
          memcmp(got.data, r[j].data, jet_type_nbytes(&got.type)) != 0)
        fail_msg("vmap output %u, example %lld differs from the per-example result", j,
                 (long long)k);
      jet_mem_free(got.data);
      jet_mem_free(r[j].data);
    }
    for (uint32_t i = 0; i < np; i++)
      if (ia[i].mapped) jet_mem_free(ex[i].data);
  }
  for (uint32_t i = 0; i < np; i++) jet_mem_free(args[i].data);
  for (uint32_t j = 0; j < no; j++) jet_mem_free(outs[j].data);
  return h;
}

/* A chain of elementwise ops with mixed operand kinds:
 *   x f32[2,3], s f32[], p bool[2,3], n i32[2,3]
 *   c = select(p, x*s + x, neg(x)); d = clamp(s, c, exp(x));
 *   f = d - convert(n, f32); outputs f, gt(f, s), not(p) */
static jet_graph *chain_graph(void) {
  jet_graph *g = jet_graph_create("chain");
  assert_non_null(g);
  static const int64_t dims[] = {2, 3};
  jet_type tx = jet_type_make(JET_F32, 2, dims), ts = jet_type_scalar(JET_F32),
           tp = jet_type_make(JET_BOOL, 2, dims), tn = jet_type_make(JET_I32, 2, dims);
  jet_value x, s, p, n;
  check_ok(jet_graph_add_param(g, &tx, &x), "x");
  check_ok(jet_graph_add_param(g, &ts, &s), "s");
  check_ok(jet_graph_add_param(g, &tp, &p), "p");
  check_ok(jet_graph_add_param(g, &tn, &n), "n");
  jet_emit e = {.g = g, .status = NULL};
  jet_value a = jet_emit2(&e, JET_OP_ADD, jet_emit2(&e, JET_OP_MUL, x, s), x);
  jet_value c = jet_emit3(&e, JET_OP_SELECT, p, a, jet_emit1(&e, JET_OP_NEG, x));
  jet_value d = jet_emit3(&e, JET_OP_CLAMP, s, c, jet_emit1(&e, JET_OP_EXP, x));
  jet_value f = jet_emit2(&e, JET_OP_SUB, d, jet_emit_convert(&e, n, JET_F32));
  jet_value outs[3] = {f, jet_emit2(&e, JET_OP_GT, f, s), jet_emit1(&e, JET_OP_NOT, p)};
  check_ok(e.status, "chain");
  check_ok(jet_graph_set_outputs(g, outs, 3), "chain outputs");
  return g;
}

static jet_axis_spec random_axis(int32_t rank, bool allow_none) {
  jet_axis_spec a = {.mapped = true, .axis = 0};
  if (allow_none && rnd() % 3 == 0) {
    a.mapped = false;
    return a;
  }
  a.axis = (int32_t)irand(-(rank + 1), rank);
  return a;
}

/* vmap of the chain with random in_axes / out_axes, then vmap of that
 * (nested), each checked per example. */
static void test_vmap_chain(void **state) {
  (void)state;
  static const dom doms[4] = {D_ANY, D_ANY, D_ANY, D_ANY};
  for (int trial = 0; trial < 40; trial++) {
    jet_graph *g = chain_graph();
    jet_axis_spec ia[4], oa[3], ia2[4], oa2[3];
    bool any = false;
    for (uint32_t i = 0; i < 4; i++) {
      ia[i] = random_axis(g->value_types[i].rank, true);
      any |= ia[i].mapped;
    }
    if (!any) ia[0] = random_axis(2, false);
    for (uint32_t j = 0; j < 3; j++) oa[j] = random_axis(g->value_types[g->outputs[j]].rank, false);
    jet_graph *h = check_vmap(g, ia, oa, 3, doms);
    any = false;
    for (uint32_t i = 0; i < 4; i++) {
      ia2[i] = random_axis(h->value_types[i].rank, true);
      any |= ia2[i].mapped;
    }
    if (!any) ia2[1] = random_axis(h->value_types[1].rank, false);
    for (uint32_t j = 0; j < 3; j++)
      oa2[j] = random_axis(h->value_types[h->outputs[j]].rank, false);
    jet_graph *h2 = check_vmap(h, ia2, oa2, 2, doms);
    jet_graph_destroy(h2);
    jet_graph_destroy(h);
    jet_graph_destroy(g);
  }
}

/* ---------------------------------------------------------------- internal */

static void expect_internal(const jet_node *n, uint32_t n_results) {
  jet_graph *g = jet_graph_create("g");
  assert_non_null(g);
  jet_batch b = {.e = {.g = g, .status = NULL}, .size = B, .axis_name = ""};
  jet_value y[2] = {0, 0};
  int32_t ybd[2] = {0, 0};
  jet_batch_rule_of(n->op)(&b, n, NULL, NULL, y, ybd);
  assert_int_equal(jet_status_code(b.e.status), JET_INTERNAL);
  assert_non_null(strstr(jet_status_message(b.e.status), jet_op_name(n->op)));
  for (uint32_t j = 0; j < n_results; j++) {
    assert_int_equal(y[j], JET_EMIT_NONE);
    assert_int_equal(ybd[j], NB);
  }
  assert_int_equal(g->n_nodes, 0);
  jet_status_free(b.e.status);
  jet_graph_destroy(g);
}

static void test_internal(void **state) {
  (void)state;
  jet_graph *f = jet_graph_create("f");
  assert_non_null(f);
  jet_emit e = {.g = f, .status = NULL};
  (void)jet_emit_scalar(&e, JET_F32, 1.5);
  int64_t shape[] = {3};
  jet_attr ia[3] = {jet_emit_attr_dtype("dtype", JET_I32), jet_emit_attr_ints("shape", shape, 1),
                    jet_emit_attr_int("dimension", 0)};
  (void)jet_emit_op(&e, JET_OP_IOTA, NULL, 0, ia, 3);
  check_ok(e.status, "constant and iota");
  assert_int_equal(f->n_nodes, 2);
  assert_int_equal(f->nodes[0].op, JET_OP_CONSTANT);
  assert_int_equal(f->nodes[1].op, JET_OP_IOTA);
  expect_internal(&f->nodes[0], 1);
  expect_internal(&f->nodes[1], 1);
  /* call: a node as the driver would see it, had it not inlined it */
  jet_type rt[2] = {jet_type_scalar(JET_F32), jet_type_scalar(JET_F32)};
  jet_node call = {.op = JET_OP_CALL, .n_results = 2, .results = rt};
  expect_internal(&call, 2);
  jet_graph_destroy(f);
}

/* ---------------------------------------------------------------- coverage */

/* clang-format off */
static const jet_op my_ops[] = {
    JET_OP_NEG, JET_OP_ABS, JET_OP_SIGN, JET_OP_FLOOR, JET_OP_CEIL, JET_OP_ROUND, JET_OP_IS_FINITE,
    JET_OP_EXP, JET_OP_EXP2, JET_OP_LOG, JET_OP_LOG1P, JET_OP_EXPM1, JET_OP_SQRT, JET_OP_RSQRT,
    JET_OP_TANH, JET_OP_LOGISTIC, JET_OP_SIN, JET_OP_COS, JET_OP_TAN, JET_OP_ASIN, JET_OP_ACOS,
    JET_OP_ATAN, JET_OP_SINH, JET_OP_COSH, JET_OP_ERF, JET_OP_ERF_INV, JET_OP_INTEGER_POW,
    JET_OP_SQUARE, JET_OP_NOT, JET_OP_ADD, JET_OP_SUB, JET_OP_MUL, JET_OP_DIV, JET_OP_REM,
    JET_OP_POW, JET_OP_MAX, JET_OP_MIN, JET_OP_ATAN2, JET_OP_AND, JET_OP_OR, JET_OP_XOR,
    JET_OP_SHIFT_LEFT, JET_OP_SHIFT_RIGHT_LOGICAL, JET_OP_SHIFT_RIGHT_ARITHMETIC, JET_OP_EQ,
    JET_OP_NE, JET_OP_LT, JET_OP_LE, JET_OP_GT, JET_OP_GE, JET_OP_SELECT, JET_OP_CLAMP,
    JET_OP_CONVERT_ELEMENT_TYPE, JET_OP_BITCAST_CONVERT_TYPE, JET_OP_STOP_GRADIENT, JET_OP_CONSTANT,
    JET_OP_IOTA, JET_OP_CALL,
};
/* clang-format on */
static const jet_op internal_ops[] = {JET_OP_CONSTANT, JET_OP_IOTA, JET_OP_CALL};

static bool in_list(jet_op op, const jet_op *l, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (l[i] == op) return true;
  return false;
}

static void test_coverage(void **state) {
  (void)state;
  /* every op with an elementwise shape rule in the op table is one of mine */
  static const struct {
    jet_op op;
    const char *rule;
  } table[] = {
#define JET_OP(E, name, nopnd, rule, dtm, attrs) {JET_OP_##E, #rule},
#include "jet/ops.def"
#undef JET_OP
  };
  static const char *const elementwise_rules[] = {"unary",  "unary_to_bool", "binary",  "compare",
                                                  "select", "clamp",         "convert", "bitcast"};
  for (size_t i = 0; i < NELEM(table); i++) {
    bool ew = false;
    for (size_t j = 0; j < NELEM(elementwise_rules); j++)
      ew |= !strcmp(table[i].rule, elementwise_rules[j]);
    if (ew && !in_list(table[i].op, my_ops, NELEM(my_ops)))
      fail_msg("elementwise op '%s' is not in this test's op list", jet_op_name(table[i].op));
  }
  /* every op of mine is checked: by the combinations (run here again for
   * the ops not checked yet, so the order of tests does not matter) or by
   * test_internal */
  for (size_t i = 0; i < NELEM(my_ops); i++) {
    jet_op op = my_ops[i];
    assert_non_null(jet_batch_rule_of(op));
    if (in_list(op, internal_ops, NELEM(internal_ops))) continue;
    bool has_spec = false;
    for (size_t j = 0; j < NELEM(specs); j++) {
      if (specs[j].op != op) continue;
      has_spec = true;
      if (n_checked[op] == 0) (void)run_spec(&specs[j]);
    }
    if (!has_spec || n_checked[op] == 0) fail_msg("op '%s' is not covered", jet_op_name(op));
  }
  int total = 0;
  for (int i = 0; i < JET_OP_COUNT; i++) total += n_checked[i];
  print_message("%d combinations checked\n", total);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_first),        cmocka_unit_test(test_moveaxis),
      cmocka_unit_test(test_at_unbatched), cmocka_unit_test(test_helper_errors),
      cmocka_unit_test(test_unary),        cmocka_unit_test(test_binary),
      cmocka_unit_test(test_select),       cmocka_unit_test(test_clamp),
      cmocka_unit_test(test_vmap_chain),   cmocka_unit_test(test_internal),
      cmocka_unit_test(test_coverage),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
