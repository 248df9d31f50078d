/* Tile kernels' front end (tile.h): picks the instruction set, resolves an
 * elementwise node to a tile function (a dedicated one from the chosen
 * build of tile_ops_impl.h, or the reference kernel called on the tile),
 * and dispatches the reductions.
 *
 * Fallback: an op/dtype pair without a dedicated function runs its
 * reference kernel (jet_exec_kernel) with jet_buf operands of type
 * dtype[n]. Every elementwise reference kernel takes its element count from
 * out[0].type, its dtypes from the jet_buf types and its attributes from the
 * node; none reads node->results, so a tile of any n is a valid call. Today
 * only erf_inv and rem of floats (fmod) take this path.
 *
 * Accuracy of the vectorised transcendental functions (SLEEF 3.5.1 u10
 * variants, tanh f32 u35), in ulps of the result's type, measured by
 * tests/unit/test_server_tile.c against long double libm over wide ranges,
 * random bit patterns and special values: "bound" is what the test asserts,
 * "seen" the largest error it found over the avx512 (Xeon), avx2 and
 * baseline builds. NaN results are NaN; exact zeros (with their sign) and
 * infinities are exact.
 *
 *   function    f32 bound (seen)   f64 bound (seen)   notes
 *   exp         1.0  (0.87)        1.0  (0.90)
 *   exp2        1.0  (0.83)        1.0  (0.79)
 *   log         1.0  (0.58)        1.0  (0.70)
 *   log1p       1.0  (1.00)        1.0  (1.00)        1: the least denormal
 *                                                     gives 0; fix-up (a)
 *   expm1       1.0  (0.99)        1.0  (0.95)
 *   tanh        3.5  (2.41)        1.0  (1.00)        f32 is u35: 3-6x faster
 *   logistic    2.5  (1.84)        2.5  (1.87)        exp, then one division
 *   sin, cos    1.0  (0.86)        1.0  (0.74)        any argument size
 *   tan         1.0  (0.92)        1.0  (1.00)
 *   asin, acos  1.0  (0.68)        1.0  (0.77)
 *   atan        1.0  (0.86)        1.0  (0.81)
 *   sinh, cosh  1.0  (1.00)        1.0  (1.00)        fix-up (b)
 *   erf         2.0  (1.53)        1.0  (0.99)        f32: 1.53 on denormal
 *                                                     results (SSE2, AVX-512)
 *   pow         1.0  (0.76)        1.0  (1.00)        fix-ups (c)
 *   atan2       1.5  (1.22)        1.5  (1.39)        > 1 on denormal results
 *
 * Fix-ups where SLEEF differs from the reference's libm, each a rare path
 * recomputed with libm: (a) log1p gives inf near the type's maximum; (b)
 * sinh and cosh overflow early for |x| near log(2 max) (|x| > 88 for f32,
 * 709 for f64 recomputed in the next wider type); (c) pow(x, y) is inf at
 * x = max, y = 1, and pow(1, sNaN) = 1 where glibc gives NaN.
 *
 * SLEEF may take a slower path for a whole vector when one lane needs it
 * (e.g. sin of a huge argument), so these functions may differ in the last
 * bit with the neighbouring elements (within the bounds). Everything else
 * is bit-identical to the reference kernels, NaN payloads included; the
 * SLEEF functions may return a NaN of another payload or sign where the
 * reference returns NaN.
 *
 * Instruction set: avx512 when the CPU has AVX-512 F/DQ/BW/VL and FMA,
 * else avx2 with AVX2 and FMA, else baseline (SSE2). The environment
 * variable JET_TILE_ISA (avx512, avx2, baseline) picks a lower one, e.g.
 * for benchmarks; an unknown or unsupported name is ignored. */
#include "tile.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exec.h"
#include "tile_ops.h"

/* ---- instruction set ---------------------------------------------------- */

static const jet_tile_isa_ops *g_isa = &jet__tile_ops_base;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

bool jet__tile_isa_supported(const char *name) {
  if (!name) return false;
  __builtin_cpu_init();
  if (strcmp(name, "baseline") == 0) return true;
  const bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (strcmp(name, "avx2") == 0) return avx2;
  if (strcmp(name, "avx512") == 0)
    return avx2 && __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") &&
           __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl");
  return false;
}

static const jet_tile_isa_ops *isa_by_name(const char *name) {
  if (!jet__tile_isa_supported(name)) return NULL;
  if (strcmp(name, "avx512") == 0) return &jet__tile_ops_avx512;
  if (strcmp(name, "avx2") == 0) return &jet__tile_ops_avx2;
  return &jet__tile_ops_base;
}

static void pick_isa(void) {
  static const char *const order[] = {"avx512", "avx2", "baseline"};
  const char *want = getenv("JET_TILE_ISA");
  bool allowed = !(want && isa_by_name(want));
  for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
    if (!allowed && strcmp(order[i], want) == 0) allowed = true;
    const jet_tile_isa_ops *t = allowed ? isa_by_name(order[i]) : NULL;
    if (t) {
      g_isa = t;
      return;
    }
  }
}

void jet_tile_init(void) { pthread_once(&g_once, pick_isa); }

const char *jet_tile_isa(void) {
  jet_tile_init();
  return g_isa->name;
}

bool jet__tile_set_isa(const char *name) {
  jet_tile_init();
  const jet_tile_isa_ops *t = isa_by_name(name);
  if (!t) return false;
  g_isa = t;
  return true;
}

/* ---- op classes --------------------------------------------------------- */

typedef enum { K_NONE, K_UNARY, K_BINARY, K_COMPARE, K_SELECT, K_CLAMP, K_CONVERT, K_BITCAST } kind;

static kind op_kind(jet_op op) {
  switch (op) {
    case JET_OP_NEG: case JET_OP_ABS: case JET_OP_SIGN: case JET_OP_FLOOR: case JET_OP_CEIL:
    case JET_OP_ROUND: case JET_OP_IS_FINITE: case JET_OP_EXP: case JET_OP_EXP2:
    case JET_OP_LOG: case JET_OP_LOG1P: case JET_OP_EXPM1: case JET_OP_SQRT:
    case JET_OP_RSQRT: case JET_OP_TANH: case JET_OP_LOGISTIC: case JET_OP_SIN:
    case JET_OP_COS: case JET_OP_TAN: case JET_OP_ASIN: case JET_OP_ACOS: case JET_OP_ATAN:
    case JET_OP_SINH: case JET_OP_COSH: case JET_OP_ERF: case JET_OP_ERF_INV:
    case JET_OP_INTEGER_POW: case JET_OP_SQUARE: case JET_OP_NOT: case JET_OP_STOP_GRADIENT:
      return K_UNARY;
    case JET_OP_ADD: case JET_OP_SUB: case JET_OP_MUL: case JET_OP_DIV: case JET_OP_REM:
    case JET_OP_POW: case JET_OP_MAX: case JET_OP_MIN: case JET_OP_ATAN2: case JET_OP_AND:
    case JET_OP_OR: case JET_OP_XOR: case JET_OP_SHIFT_LEFT: case JET_OP_SHIFT_RIGHT_LOGICAL:
    case JET_OP_SHIFT_RIGHT_ARITHMETIC:
      return K_BINARY;
    case JET_OP_EQ: case JET_OP_NE: case JET_OP_LT: case JET_OP_LE: case JET_OP_GT:
    case JET_OP_GE:
      return K_COMPARE;
    case JET_OP_SELECT: return K_SELECT;
    case JET_OP_CLAMP: return K_CLAMP;
    case JET_OP_CONVERT_ELEMENT_TYPE: return K_CONVERT;
    case JET_OP_BITCAST_CONVERT_TYPE: return K_BITCAST;
    default: return K_NONE;
  }
}

bool jet_tile_is_elementwise(jet_op op) { return op_kind(op) != K_NONE; }

/* ---- resolution ----------------------------------------------------------- */

static void fallback_tile(const jet_tile_op *op, const void *const *src, void *dst, int64_t n) {
  jet_buf in[3], out;
  for (int k = 0; k < op->n_in; k++) {
    in[k].type = jet_type_make(op->in_dtype[k], 1, &n);
    in[k].data = (void *)src[k];
  }
  out.type = jet_type_make(op->out_dtype, 1, &n);
  out.data = dst;
  /* jet_tile_resolve ran this kernel on this node and these dtypes: it
   * cannot fail on values. */
  jet_status_free(jet_exec_kernel(op->node->op)(op->node, in, &out));
}

static jet_status bad(const jet_node *node, const char *what, const jet_dtype *in, int n_in,
                      jet_dtype out) {
  char ins[64] = "";
  size_t len = 0;
  for (int k = 0; k < n_in && len < sizeof ins; k++)
    len += (size_t)snprintf(ins + len, sizeof ins - len, "%s%s", k ? ", " : "",
                            jet_dtype_name(in[k]));
  return jet_status_make(JET_INVALID_ARGUMENT, "tile %s: %s (operands %s, result %s)",
                         jet_op_name(node->op), what, ins, jet_dtype_name(out));
}

static bool in_mask(jet_op op, jet_dtype d) {
  const jet_op_info *info = jet_op_get(op);
  return info && (info->dtype_mask & JET_DT_BIT(d)) != 0;
}

static const char *check_dtypes(jet_op op, kind k, const jet_dtype *in, jet_dtype out) {
  switch (k) {
    case K_UNARY:
      if (!in_mask(op, in[0])) return "operand dtype not accepted";
      if (out != (op == JET_OP_IS_FINITE ? JET_BOOL : in[0])) return "wrong result dtype";
      return NULL;
    case K_BINARY:
      if (!in_mask(op, in[0])) return "operand dtype not accepted";
      if (in[1] != in[0] || out != in[0]) return "operand and result dtypes differ";
      return NULL;
    case K_COMPARE:
      if (!in_mask(op, in[0])) return "operand dtype not accepted";
      if (in[1] != in[0]) return "operand dtypes differ";
      if (out != JET_BOOL) return "result must be bool";
      return NULL;
    case K_SELECT:
      if (in[0] != JET_BOOL) return "predicate must be bool";
      if (!in_mask(op, in[1])) return "operand dtype not accepted";
      if (in[2] != in[1] || out != in[1]) return "case and result dtypes differ";
      return NULL;
    case K_CLAMP:
      if (!in_mask(op, in[1])) return "operand dtype not accepted";
      if (in[0] != in[1] || in[2] != in[1] || out != in[1]) return "operand dtypes differ";
      return NULL;
    case K_CONVERT:
      if (!in_mask(op, in[0]) || !in_mask(op, out)) return "dtype not accepted";
      return NULL;
    case K_BITCAST:
      if (jet_dtype_size(in[0]) != jet_dtype_size(out)) return "element sizes differ";
      return NULL;
    case K_NONE: break;
  }
  return "not an elementwise op";
}

jet_status jet_tile_resolve(const jet_node *node, const jet_dtype *in_dtypes, jet_dtype out_dtype,
                            jet_tile_op *out) {
  if (!node || !out || (node->n_operands && !in_dtypes))
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_tile_resolve: NULL argument");
  jet_tile_init();
  const jet_op op = node->op;
  const kind k = op_kind(op);
  const jet_op_info *info = jet_op_get(op);
  if (k == K_NONE || !info)
    return jet_status_make(JET_INVALID_ARGUMENT, "tile: %s is not an elementwise op",
                           jet_op_name(op));
  const int n_in = (int)node->n_operands;
  if (n_in != info->n_operands || n_in < 1 || n_in > 3)
    return jet_status_make(JET_INVALID_ARGUMENT, "tile %s: %d operands", jet_op_name(op), n_in);
  bool supported = jet_dtype_supported(out_dtype);
  for (int i = 0; i < n_in; i++) supported = supported && jet_dtype_supported(in_dtypes[i]);
  if (!supported) return bad(node, "unsupported dtype", in_dtypes, n_in, out_dtype);
  const char *why = check_dtypes(op, k, in_dtypes, out_dtype);
  if (why) return bad(node, why, in_dtypes, n_in, out_dtype);

  /* The reference kernel on one zero element checks what the dtype rules
   * above do not (attributes, kernels the reference lacks). */
  uint64_t zero[3] = {0, 0, 0}, res = 0;
  const int64_t one = 1;
  jet_buf pin[3], pout;
  for (int i = 0; i < n_in; i++) {
    pin[i].type = jet_type_make(in_dtypes[i], 1, &one);
    pin[i].data = &zero[i];
  }
  pout.type = jet_type_make(out_dtype, 1, &one);
  pout.data = &res;
  jet_status st = jet_exec_kernel(op)(node, pin, &pout);
  if (st) return jet_status_annotate(st, "tile %s", jet_op_name(op));

  memset(out, 0, sizeof *out);
  out->node = node;
  for (int i = 0; i < n_in; i++) out->in_dtype[i] = in_dtypes[i];
  out->out_dtype = out_dtype;
  out->n_in = (uint8_t)n_in;
  out->fn = g_isa->lookup(node, in_dtypes, (uint8_t)n_in, out_dtype);
  out->fast = out->fn != NULL;
  if (!out->fn) out->fn = fallback_tile;
  return NULL;
}

jet_status jet_tile_resolve_pair(const jet_node *n1, const jet_node *n2, bool swap, jet_dtype d,
                                 jet_tile_op *out) {
  jet_tile_init();
  const jet_op o1 = n1->op, o2 = n2->op;
  const int i1 = o1 == JET_OP_ADD ? 0 : o1 == JET_OP_SUB ? 1 : o1 == JET_OP_MUL ? 2 : -1;
  int i2 = o2 == JET_OP_ADD ? 0 : o2 == JET_OP_SUB ? (swap ? 2 : 1) : o2 == JET_OP_MUL ? 3 : -1;
  jet_tile_fn fn = (d == JET_F32 || d == JET_F64) ? g_isa->lookup_pair(i1, i2, d) : NULL;
  if (!fn)
    return jet_status_make(JET_INVALID_ARGUMENT, "tile pair %s, %s of %s: not supported",
                           jet_op_name(o1), jet_op_name(o2), jet_dtype_name(d));
  memset(out, 0, sizeof *out);
  out->node = n2;
  for (int i = 0; i < 3; i++) out->in_dtype[i] = d;
  out->out_dtype = d;
  out->n_in = 3;
  out->fn = fn;
  out->fast = true;
  return NULL;
}

/* ---- reductions ------------------------------------------------------------ */

static bool is_reduce(jet_op op) {
  return op == JET_OP_REDUCE_SUM || op == JET_OP_REDUCE_PROD || op == JET_OP_REDUCE_MAX ||
         op == JET_OP_REDUCE_MIN;
}

jet_status jet_tile_reduce_check(jet_op op, jet_dtype d) {
  if (!is_reduce(op))
    return jet_status_make(JET_INVALID_ARGUMENT, "tile reduction: %s is not a reduction",
                           jet_op_name(op));
  if (!jet_dtype_supported(d) || !in_mask(op, d))
    return jet_status_make(JET_INVALID_ARGUMENT, "tile %s: no reduction for dtype %s",
                           jet_op_name(op), jet_dtype_name(d));
  return NULL;
}

jet_dtype jet_tile_reduce_acc_dtype(jet_op op, jet_dtype d) {
  return op == JET_OP_REDUCE_SUM && d == JET_F32 ? JET_F64 : d;
}

#define FILL(T, v)                                                   \
  do {                                                               \
    T *a_ = acc;                                                     \
    for (int64_t i = 0; i < n; i++) a_[i] = (T)(v);                  \
  } while (0)

void jet_tile_reduce_identity(jet_op op, jet_dtype d, void *acc, int64_t n) {
  const bool mx = op == JET_OP_REDUCE_MAX, mn = op == JET_OP_REDUCE_MIN;
  const bool prod = op == JET_OP_REDUCE_PROD;
  switch (d) {
    case JET_BOOL: FILL(uint8_t, mn ? 1 : 0); return;
    case JET_I32: FILL(int32_t, mx ? INT32_MIN : mn ? INT32_MAX : prod); return;
    case JET_I64: FILL(int64_t, mx ? INT64_MIN : mn ? INT64_MAX : prod); return;
    case JET_U8: FILL(uint8_t, mx ? 0 : mn ? UINT8_MAX : prod); return;
    case JET_U32: FILL(uint32_t, mx ? 0 : mn ? UINT32_MAX : prod); return;
    case JET_F32: FILL(float, mx ? -INFINITY : mn ? INFINITY : prod ? 1.0f : 0.0f); return;
    case JET_F64:
      FILL(double, mx ? -(double)INFINITY : mn ? (double)INFINITY : prod ? 1.0 : 0.0);
      return;
    default: return;
  }
}

void jet_tile_reduce_all(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc) {
  jet_tile_init();
  g_isa->reduce_all(op, d, src, n, acc, false);
}

void jet_tile_reduce_accum(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc) {
  jet_tile_init();
  g_isa->reduce_accum(op, d, src, n, acc, false);
}

void jet_tile_reduce_all_wide(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc) {
  jet_tile_init();
  g_isa->reduce_all(op, d, src, n, acc, jet_tile_reduce_acc_dtype(op, d) != d);
}

void jet_tile_reduce_accum_wide(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc) {
  jet_tile_init();
  g_isa->reduce_accum(op, d, src, n, acc, jet_tile_reduce_acc_dtype(op, d) != d);
}
