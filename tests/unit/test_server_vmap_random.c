/* Random compositions of ops, generated from a seed, vmapped and checked by
 * tests/common/vmap_check.h against per-example execution stacked:
 *   - each program with random in_axes / out_axes (negative included,
 *     some parameters None), as a top-level transform, as the transform of
 *     a call node, and once more at batch size 7;
 *   - each program under nested vmap (vmap of vmap, different in_axes per
 *     level, sometimes an outer level mapping nothing), against a double
 *     loop, at top level and through a call node;
 *   - every fourth program under three nested vmaps;
 *   - the vmapped graph's node count equals at batch sizes 1, 10 and 1000
 *     (before and after cleanup), for the programs and for an MLP (its
 *     loss and its gradient; vmap(grad) is also checked against a loop of
 *     grad);
 *   - structure: elementwise ops keep a shared batch dim (the vmapped graph
 *     is the op alone) and dot_general stays one dot_general.
 *
 * Programs (float64, or float32 for one in four) mix elementwise unary and
 * binary ops, implicit rank-0 broadcasting, broadcast_in_dim, reshape,
 * transpose, squeeze / expand_dims, reductions (negative axes included),
 * argmax, slices, dynamic_slice / dynamic_update_slice whose starts are
 * integer parameters (so batched starts occur), gather / scatter-add whose
 * indices are an integer parameter (out-of-range values: clip, fill, drop),
 * concatenate, pad with a computed padding value, dot_general (with batch
 * dims, matrix products, full contractions), cumsum, rev, select on a
 * computed predicate (array or scalar), clamp, iota, convert; outputs may be
 * a parameter itself or a value that depends on no parameter (broadcast by
 * vmap, or left unbatched with out_axes None). Comparison tolerance (the programs contain reductions and
 * dot_general, whose summation order may differ): 1e-9 (f64) / 1e-4 (f32)
 * relative to the largest result; integer results exact.
 *
 * A failing program prints its seed; run one alone with
 * VMAP_RANDOM_SEED=<seed> (VMAP_RANDOM_COUNT=<n> changes the count). */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "vmap_check.h"

#define N_PROGRAMS 40
#define MAX_ELEMS 48
#define POOL 96

enum kind {
  K_UNARY, K_BINARY, K_SCALAR_BCAST, K_BCAST_IN_DIM, K_RESHAPE, K_TRANSPOSE, K_EXPAND_SQUEEZE,
  K_REDUCE, K_ARGMAX, K_SLICE, K_DSLICE, K_DUS, K_CONCAT, K_PAD, K_DOT, K_GATHER, K_SCATTER,
  K_CUMSUM, K_REV, K_SELECT, K_CLAMP, K_IOTA, K_CONVERT, K_COUNT
};
static const char *const kind_names[K_COUNT] = {
    "unary", "binary", "scalar broadcasting", "broadcast_in_dim", "reshape", "transpose",
    "expand_dims/squeeze", "reduction", "argmax", "slice", "dynamic_slice", "dynamic_update_slice",
    "concatenate", "pad", "dot_general", "gather", "scatter-add", "cumsum", "rev", "select", "clamp",
    "iota", "convert"};
static int kind_used[K_COUNT];

typedef struct prog {
  adc_b b;
  adc_rng r;
  jet_dtype dt;
  uint32_t n;
  jet_value v[POOL];
  jet_value k0, k1, idx; /* i32 scalar starts, i32[4,1] indices */
  int const_out;         /* index of an output of no parameter, or -1 */
  vmc_dom dom[VMC_MAX];
  uint32_t n_params;
} prog;

#define RP_DTYPE(p) ((p)->dt)
#define RP_RANK1_DIM 3
#include "random_prog.h"

static jet_value step_unary(prog *p, jet_value x) {
  switch (rnd(p, 12)) {
    case 0: return op1(p, JET_OP_SIN, x);
    case 1: return op1(p, JET_OP_COS, x);
    case 2: return op1(p, JET_OP_TANH, x);
    case 3: return op1(p, JET_OP_EXP, op1(p, JET_OP_TANH, x));
    case 4: return op1(p, JET_OP_LOG, pos(p, x));
    case 5: return op1(p, JET_OP_SQRT, pos(p, x));
    case 6: return op1(p, JET_OP_ABS, x);
    case 7: return op1(p, JET_OP_NEG, x);
    case 8: return op1(p, JET_OP_SQUARE, x);
    case 9: return op1(p, JET_OP_LOGISTIC, x);
    case 10: return op1(p, JET_OP_ATAN, x);
    default: {
      jet_attr a = adc_int("y", 3);
      jet_value t = op1(p, JET_OP_TANH, x);
      return opa(p, JET_OP_INTEGER_POW, &t, 1, &a, 1);
    }
  }
}
static jet_value step_binary(prog *p, jet_value x, jet_value y) {
  switch (rnd(p, 7)) {
    case 0: return op2(p, JET_OP_ADD, x, y);
    case 1: return op2(p, JET_OP_SUB, x, y);
    case 2: return op2(p, JET_OP_MUL, x, y);
    case 3: return op2(p, JET_OP_DIV, x, pos(p, y));
    case 4: return op2(p, JET_OP_MAX, x, y);
    case 5: return op2(p, JET_OP_MIN, x, y);
    default: return op2(p, JET_OP_ATAN2, x, pos(p, y));
  }
}

/* Starts for an operand of rank r: the integer parameters or constants. */
static void starts(prog *p, int32_t r, jet_value *o) {
  for (int i = 0; i < r; i++) {
    int c = rnd(p, 3);
    o[i] = c == 0 ? p->k0 : c == 1 ? p->k1 : adc_scalar(&p->b, JET_I32, rnd(p, 4) - 1);
  }
}

static jet_value step_structural(prog *p, int kind, jet_value x) {
  const jet_type t = *ty(p, x);
  int32_t r = t.rank;
  int64_t d[JET_MAX_RANK], e[JET_MAX_RANK], f[JET_MAX_RANK * 3];
  switch (kind) {
    case K_BCAST_IN_DIM: { /* a new dim of size 2 at a random position */
      if (r >= 3 || numel(p, x) * 2 > MAX_ELEMS) return JET_NO_VALUE;
      int at = rnd(p, r + 1), k = 0;
      for (int i = 0; i <= r; i++) d[i] = i == at ? 2 : t.dims[k++];
      for (int i = 0, j = 0; i <= r; i++)
        if (i != at) e[j++] = i;
      jet_attr a[2] = {adc_ints("shape", d, (uint32_t)r + 1), adc_ints("broadcast_dimensions", e, (uint32_t)r)};
      return opa(p, JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2);
    }
    case K_RESHAPE: {
      int64_t n = numel(p, x);
      uint32_t nr = 1;
      d[0] = n;
      if (n % 2 == 0 && n > 2 && rnd(p, 2)) {
        d[0] = 2;
        d[1] = n / 2;
        nr = 2;
      } else if (n % 3 == 0 && n > 3 && rnd(p, 2)) {
        d[0] = n / 3;
        d[1] = 3;
        nr = 2;
      }
      jet_attr a = adc_ints("new_sizes", d, nr);
      return opa(p, JET_OP_RESHAPE, &x, 1, &a, 1);
    }
    case K_TRANSPOSE: {
      if (r < 2) return JET_NO_VALUE;
      for (int i = 0; i < r; i++) d[i] = i;
      for (int i = r - 1; i > 0; i--) {
        int j = rnd(p, i + 1);
        int64_t s = d[i];
        d[i] = d[j];
        d[j] = s;
      }
      jet_attr a = adc_ints("permutation", d, (uint32_t)r);
      return opa(p, JET_OP_TRANSPOSE, &x, 1, &a, 1);
    }
    case K_EXPAND_SQUEEZE: { /* expand_dims at a random (maybe negative) place; then maybe squeeze it */
      if (r >= 3) return JET_NO_VALUE;
      int at = rnd(p, r + 1);
      d[0] = rnd(p, 2) ? at : at - (r + 1);
      jet_attr a = adc_ints("dimensions", d, 1);
      jet_value y = opa(p, JET_OP_EXPAND_DIMS, &x, 1, &a, 1);
      if (rnd(p, 2)) return y;
      y = op1(p, JET_OP_SIN, y);
      e[0] = rnd(p, 2) ? at : at - (r + 1);
      jet_attr s = adc_ints("dimensions", e, 1);
      return opa(p, JET_OP_SQUEEZE, &y, 1, &s, 1);
    }
    case K_REDUCE: {
      if (r == 0) return JET_NO_VALUE;
      uint32_t n = 0;
      for (int i = 0; i < r; i++)
        if (rnd(p, 2)) d[n++] = rnd(p, 2) ? i : i - r; /* negative axes count from the end */
      if (!n) d[n++] = rnd(p, r);
      jet_attr a = adc_ints("axes", d, n);
      static const jet_op ops[4] = {JET_OP_REDUCE_SUM, JET_OP_REDUCE_MAX, JET_OP_REDUCE_MIN, JET_OP_REDUCE_PROD};
      jet_op op = ops[rnd(p, 4)];
      if (op == JET_OP_REDUCE_PROD) x = op2(p, JET_OP_ADD, op1(p, JET_OP_TANH, x), cf(p, 1.2));
      return opa(p, op, &x, 1, &a, 1);
    }
    case K_ARGMAX: { /* argmax / argmin, converted back and added to a scalar summary */
      if (r == 0) return JET_NO_VALUE;
      d[0] = rnd(p, 2) ? rnd(p, r) : rnd(p, r) - r;
      jet_attr a[2] = {adc_ints("axes", d, 1), adc_dtype("index_dtype", rnd(p, 2) ? JET_I32 : JET_I64)};
      jet_value i = opa(p, rnd(p, 2) ? JET_OP_ARGMAX : JET_OP_ARGMIN, &x, 1, a, 2);
      jet_attr c = adc_dtype("new_dtype", p->dt);
      return opa(p, JET_OP_CONVERT_ELEMENT_TYPE, &i, 1, &c, 1);
    }
    case K_SLICE: {
      if (r == 0) return JET_NO_VALUE;
      for (int i = 0; i < r; i++) {
        d[i] = rnd(p, (int)t.dims[i]);
        e[i] = d[i] + 1 + rnd(p, (int)(t.dims[i] - d[i]));
        f[i] = 1 + rnd(p, 2);
      }
      jet_attr a[3] = {adc_ints("start_indices", d, (uint32_t)r), adc_ints("limit_indices", e, (uint32_t)r),
                       adc_ints("strides", f, (uint32_t)r)};
      return opa(p, JET_OP_SLICE, &x, 1, a, 3);
    }
    case K_DSLICE: {
      if (r == 0) return JET_NO_VALUE;
      jet_value o[1 + JET_MAX_RANK];
      o[0] = x;
      starts(p, r, o + 1);
      for (int i = 0; i < r; i++) d[i] = 1 + rnd(p, (int)t.dims[i]);
      jet_attr a = adc_ints("slice_sizes", d, (uint32_t)r);
      return opa(p, JET_OP_DYNAMIC_SLICE, o, 1 + (uint32_t)r, &a, 1);
    }
    case K_DUS: { /* an update made from a slice of another value */
      if (r == 0) return JET_NO_VALUE;
      jet_value y = pick_like(p, x), o[2 + JET_MAX_RANK];
      for (int i = 0; i < r; i++) {
        d[i] = 0;
        e[i] = 1 + rnd(p, (int)t.dims[i]);
      }
      jet_attr a[2] = {adc_ints("start_indices", d, (uint32_t)r), adc_ints("limit_indices", e, (uint32_t)r)};
      o[0] = x;
      o[1] = op1(p, JET_OP_COS, opa(p, JET_OP_SLICE, &y, 1, a, 2));
      starts(p, r, o + 2);
      return opa(p, JET_OP_DYNAMIC_UPDATE_SLICE, o, 2 + (uint32_t)r, NULL, 0);
    }
    case K_CONCAT: {
      x = ensure_rank1(p, x);
      if (numel(p, x) * 2 > MAX_ELEMS) return JET_NO_VALUE;
      jet_value o[2] = {x, pick_like(p, x)};
      if (rnd(p, 2)) {
        o[0] = o[1];
        o[1] = x;
      }
      jet_attr a = adc_int("dimension", rnd(p, ty(p, x)->rank));
      return opa(p, JET_OP_CONCATENATE, o, 2, &a, 1);
    }
    case K_PAD: { /* the padding value is computed (batched when its source is) */
      int64_t n = 1;
      for (int i = 0; i < r; i++) {
        f[3 * i] = t.dims[i] >= 3 && rnd(p, 3) == 0 ? -1 : rnd(p, 2);
        f[3 * i + 1] = rnd(p, 3) - (t.dims[i] >= 3 && f[3 * i] >= 0 ? 1 : 0);
        f[3 * i + 2] = rnd(p, 2);
        n *= f[3 * i] + f[3 * i + 1] + t.dims[i] + (t.dims[i] - 1) * f[3 * i + 2];
      }
      if (n > MAX_ELEMS || n <= 0) return JET_NO_VALUE;
      jet_value o[2] = {x, op1(p, JET_OP_SIN, reduce_all(p, pick(p)))};
      jet_attr a = adc_ints("padding_config", f, 3 * (uint32_t)r);
      return opa(p, JET_OP_PAD, o, 2, &a, 1);
    }
    case K_DOT: {
      if (r == 0) return JET_NO_VALUE;
      jet_value o[2] = {op1(p, JET_OP_TANH, x), op1(p, JET_OP_TANH, pick_like(p, x))};
      int v = rnd(p, 3);
      if (v == 0 && r >= 2) { /* batch over dim 0, contract the last */
        if (r == 3 && t.dims[0] * t.dims[1] * t.dims[1] > MAX_ELEMS) return JET_NO_VALUE;
        int64_t c = r - 1, bd = 0;
        jet_attr a[4] = {adc_ints("lhs_contracting_dimensions", &c, 1), adc_ints("rhs_contracting_dimensions", &c, 1),
                         adc_ints("lhs_batch_dimensions", &bd, 1), adc_ints("rhs_batch_dimensions", &bd, 1)};
        return opa(p, JET_OP_DOT_GENERAL, o, 2, a, 4);
      }
      if (v == 1) { /* contract everything: a scalar */
        for (int i = 0; i < r; i++) d[i] = i;
        jet_attr a[2] = {adc_ints("lhs_contracting_dimensions", d, (uint32_t)r),
                         adc_ints("rhs_contracting_dimensions", d, (uint32_t)r)};
        return opa(p, JET_OP_DOT_GENERAL, o, 2, a, 2);
      }
      /* contract the last dim of x with the last dim of y: free dims of both */
      if (numel(p, x) / t.dims[r - 1] * (numel(p, x) / t.dims[r - 1]) > MAX_ELEMS || r > 2) return JET_NO_VALUE;
      int64_t c = r - 1;
      jet_attr a[2] = {adc_ints("lhs_contracting_dimensions", &c, 1), adc_ints("rhs_contracting_dimensions", &c, 1)};
      return opa(p, JET_OP_DOT_GENERAL, o, 2, a, 2);
    }
    case K_GATHER:
    case K_SCATTER: { /* rows along axis 0 at the index parameter (values -1..4) */
      x = ensure_rank1(p, x);
      const jet_type tx = *ty(p, x);
      if (4 * numel(p, x) / tx.dims[0] > MAX_ELEMS) return JET_NO_VALUE;
      int64_t zero = 0;
      for (int i = 1; i < tx.rank; i++) e[i - 1] = i;
      d[0] = 1;
      for (int i = 1; i < tx.rank; i++) d[i] = tx.dims[i];
      jet_value io[2] = {x, p->idx};
      jet_attr ga[5] = {adc_ints("offset_dims", e, (uint32_t)tx.rank - 1), adc_ints("collapsed_slice_dims", &zero, 1),
                        adc_ints("start_index_map", &zero, 1), adc_ints("slice_sizes", d, (uint32_t)tx.rank),
                        adc_int("mode", rnd(p, 4) == 0 ? 1 : 0)};
      jet_value gv = opa(p, JET_OP_GATHER, io, 2, ga, 5); /* clipped or filled */
      if (kind == K_GATHER) return gv;
      jet_value so[3] = {pick_like(p, x), p->idx, op1(p, JET_OP_COS, gv)};
      jet_attr sa[4] = {adc_ints("update_window_dims", e, (uint32_t)tx.rank - 1),
                        adc_ints("inserted_window_dims", &zero, 1),
                        adc_ints("scatter_dims_to_operand_dims", &zero, 1), adc_int("mode", rnd(p, 2))};
      return opa(p, JET_OP_SCATTER_ADD, so, 3, sa, 4);
    }
    case K_CUMSUM: {
      if (r == 0) return JET_NO_VALUE;
      jet_attr a[2] = {adc_int("axis", rnd(p, 2) ? rnd(p, r) : rnd(p, r) - r), adc_bool("reverse", rnd(p, 2))};
      return opa(p, JET_OP_CUMSUM, &x, 1, a, 2);
    }
    case K_REV: {
      if (r == 0) return JET_NO_VALUE;
      d[0] = rnd(p, r);
      jet_attr a = adc_ints("dimensions", d, 1);
      return opa(p, JET_OP_REV, &x, 1, &a, 1);
    }
    case K_SELECT: { /* pred computed from values: array or scalar */
      jet_value y = pick_like(p, x), pr;
      if (rnd(p, 2)) pr = op2(p, JET_OP_GT, x, op1(p, JET_OP_COS, y));
      else pr = op2(p, JET_OP_LT, reduce_all(p, pick(p)), cf(p, 0.25));
      return adc_op3(&p->b, JET_OP_SELECT, pr, x, op1(p, JET_OP_SIN, y));
    }
    case K_CLAMP: {
      if (rnd(p, 2)) return adc_op3(&p->b, JET_OP_CLAMP, cf(p, -0.7), x, cf(p, 0.7));
      jet_value lo = op1(p, JET_OP_NEG, op1(p, JET_OP_ABS, pick_like(p, x)));
      return adc_op3(&p->b, JET_OP_CLAMP, lo, x, op1(p, JET_OP_ABS, reduce_all(p, pick(p))));
    }
    case K_IOTA: {
      if (r == 0) return JET_NO_VALUE;
      for (int i = 0; i < r; i++) d[i] = t.dims[i];
      jet_attr a[3] = {adc_dtype("dtype", p->dt), adc_ints("shape", d, (uint32_t)r), adc_int("dimension", rnd(p, r))};
      jet_value io = opa(p, JET_OP_IOTA, NULL, 0, a, 3);
      return op2(p, JET_OP_ADD, x, op2(p, JET_OP_MUL, io, cf(p, 0.25)));
    }
    case K_CONVERT: { /* to the other float type and back */
      jet_attr a = adc_dtype("new_dtype", p->dt == JET_F64 ? JET_F32 : JET_F64);
      jet_value y = opa(p, JET_OP_CONVERT_ELEMENT_TYPE, &x, 1, &a, 1);
      y = op1(p, JET_OP_SIN, y);
      jet_attr c = adc_dtype("new_dtype", p->dt);
      return opa(p, JET_OP_CONVERT_ELEMENT_TYPE, &y, 1, &c, 1);
    }
    default: return JET_NO_VALUE;
  }
}

static jet_value param(prog *p, jet_type t, double lo, double hi) {
  jet_value v = adc_param(&p->b, t);
  if (p->n_params < VMC_MAX) p->dom[p->n_params++] = (vmc_dom){lo, hi, 0};
  return v;
}

/* Builds program `seed` into p. */
static void build(prog *p, uint64_t seed, bool *used) {
  p->r.s = seed;
  p->b = adc_begin("random");
  p->dt = rnd(p, 4) ? JET_F64 : JET_F32;
  int32_t r = 1 + rnd(p, 3);
  int64_t dims[3];
  for (int i = 0; i < r; i++) dims[i] = 2 + rnd(p, 2);
  jet_type base = jet_type_make(p->dt, r, dims);
  int n_float = 1 + rnd(p, 3);
  for (int i = 0; i < n_float; i++) {
    jet_type t = base;
    if (i > 0 && rnd(p, 4) == 0) t = jet_type_scalar(p->dt);
    push(p, param(p, t, -1.5, 1.5));
  }
  p->k0 = param(p, jet_type_scalar(JET_I32), -1, 4);
  p->k1 = param(p, jet_type_scalar(JET_I32), -1, 4);
  int64_t ishape[2] = {4, 1};
  p->idx = param(p, jet_type_make(JET_I32, 2, ishape), -1, 4);
  rp_steps(p, used, K_COUNT, reduce_all);
  /* outputs: the last value; mostly a scalar summary of others; sometimes
   * a parameter itself or a value of no parameter */
  jet_value outs[4];
  uint32_t no = 0;
  outs[no++] = p->v[p->n - 1];
  if (rnd(p, 3)) {
    jet_value s = reduce_all(p, p->v[rnd(p, (int)p->n)]);
    for (int k = 0; k < 2; k++) s = op2(p, JET_OP_ADD, s, op1(p, JET_OP_TANH, reduce_all(p, p->v[rnd(p, (int)p->n)])));
    outs[no++] = s;
  }
  if (rnd(p, 4) == 0) outs[no++] = p->v[0];
  p->const_out = -1;
  if (rnd(p, 4) == 0) {
    int64_t sh[1] = {3};
    p->const_out = (int)no;
    jet_attr a[3] = {adc_dtype("dtype", p->dt), adc_ints("shape", sh, 1), adc_int("dimension", 0)};
    outs[no++] = op1(p, JET_OP_COS, opa(p, JET_OP_IOTA, NULL, 0, a, 3));
  }
  adc_outputs(&p->b, outs, no);
}

static uint64_t seed_of(int i) { return 0x7a55eed0u + (uint64_t)i * 104729u; }

static double tol_of(const jet_graph *f) {
  bool f32 = false;
  for (uint32_t i = 0; i < f->n_params; i++) f32 |= f->value_types[i].dtype == JET_F32;
  return f32 ? 1e-4 : 1e-9;
}

/* Builds program i (label filled); NULL after printing on failure. */
static jet_graph *program(int i, uint64_t seed, prog *p, bool *used, char *label, size_t cap) {
  memset(p, 0, sizeof *p);
  build(p, seed, used);
  snprintf(label, cap, "program %d, seed 0x%llx", i, (unsigned long long)seed);
  return adc_finish(&p->b, label);
}

static int n_programs(void) {
  const char *one = getenv("VMAP_RANDOM_SEED"), *cnt = getenv("VMAP_RANDOM_COUNT");
  return one ? 1 : cnt ? atoi(cnt) : N_PROGRAMS;
}
static uint64_t program_seed(int i) {
  const char *one = getenv("VMAP_RANDOM_SEED");
  return one ? strtoull(one, NULL, 0) : seed_of(i);
}

/* One check of f with n_levels random levels; returns the failure count. */
static int check(const jet_graph *f, const prog *p, adc_rng *r, const char *label, const char *what,
                 const int64_t *sizes, uint32_t n_levels, bool require_mapped, bool via_call) {
  vmc_level lv[VMC_LEVELS];
  uint32_t mapped[VMC_LEVELS] = {0};
  vmc_random_levels(f, r, sizes, n_levels, mapped, require_mapped, lv);
  if (require_mapped == false) { /* the innermost level always maps something */
    uint32_t any = 0;
    for (uint32_t i = 0; i < lv[0].n_in; i++) any |= lv[0].in[i].mapped;
    if (!any) {
      mapped[0] = 1;
      vmc_random_levels(f, r, sizes, n_levels, mapped, false, lv);
    }
  }
  if (p->const_out >= 0 && adc_randint(r, 0, 1)) { /* out_axes None for it at every level */
    for (uint32_t k = 0; k < n_levels; k++) {
      lv[k].out[p->const_out].mapped = false;
      lv[k].pass_out = lv[k].n_out;
    }
  }
  char l[256];
  snprintf(l, sizeof l, "%s, %s", label, what);
  vmc_opts o = {.label = l, .tol = tol_of(f), .dom = p->dom, .via_call = via_call};
  return vmc_check(f, lv, n_levels, r, &o);
}

static void random_programs(void **state) {
  (void)state;
  int n = n_programs(), bad = 0, fails = 0, checks = 0;
  for (int i = 0; i < n; i++) {
    uint64_t seed = program_seed(i);
    prog p;
    bool used[K_COUNT] = {0};
    char label[96];
    jet_graph *f = program(i, seed, &p, used, label, sizeof label);
    int nf = 0;
    if (!f) {
      nf = 1;
    } else {
      adc_rng r = {seed ^ 0x5151u};
      int64_t s1 = adc_randint(&r, 1, 4), s2[2] = {adc_randint(&r, 2, 3), adc_randint(&r, 1, 3)};
      int64_t s3[3] = {2, 1 + adc_randint(&r, 0, 1), 2};
      int64_t s7 = 7;
      nf += check(f, &p, &r, label, "vmap", &s1, 1, true, false);
      nf += check(f, &p, &r, label, "vmap through a call node", &s1, 1, true, true);
      nf += check(f, &p, &r, label, "vmap (size 7)", &s7, 1, true, adc_randint(&r, 0, 1) == 1);
      nf += check(f, &p, &r, label, "vmap of vmap", s2, 2, false, false);
      nf += check(f, &p, &r, label, "vmap of vmap through a call node", s2, 2, false, true);
      checks += 5;
      if (i % 4 == 0) {
        nf += check(f, &p, &r, label, "vmap of vmap of vmap", s3, 3, false, adc_randint(&r, 0, 1) == 1);
        checks++;
      }
      if (nf || getenv("VMC_VERBOSE")) fprintf(stderr, "[%s] %d failed check(s)\n", label, nf);
      jet_graph_destroy(f);
      for (int k = 0; k < K_COUNT; k++) kind_used[k] += used[k];
    }
    fails += nf;
    bad += nf > 0;
  }
  fprintf(stderr, "%d random programs, %d vmap checks, %d failing programs (%d failed checks)\n", n, checks,
          bad, fails);
  assert_int_equal(fails, 0);
}

static void programs_cover_every_kind(void **state) {
  (void)state;
  if (getenv("VMAP_RANDOM_SEED")) skip();
  int missing = 0;
  for (int k = 0; k < K_COUNT; k++) {
    fprintf(stderr, "%-22s %d program(s)\n", kind_names[k], kind_used[k]);
    if (!kind_used[k]) missing++;
  }
  assert_int_equal(missing, 0);
}

/* ---------------------------------------------------------------- node counts */

/* loss(W1, b1, W2, b2, x, y) = sum((tanh(x W1 + b1) W2 + b2 - y)^2) */
static jet_graph *mlp_loss(void) {
  adc_b b = adc_begin("mlp");
  jet_value w1 = adc_param(&b, ADC_T(JET_F64, 4, 8)), b1 = adc_param(&b, ADC_T(JET_F64, 8));
  jet_value w2 = adc_param(&b, ADC_T(JET_F64, 8, 3)), b2 = adc_param(&b, ADC_T(JET_F64, 3));
  jet_value x = adc_param(&b, ADC_T(JET_F64, 4)), y = adc_param(&b, ADC_T(JET_F64, 3));
  jet_attr c[2] = {ADC_INTS("lhs_contracting_dimensions", 0), ADC_INTS("rhs_contracting_dimensions", 0)};
  jet_value o[2] = {x, w1};
  jet_value h = adc_op1(&b, JET_OP_TANH, adc_op2(&b, JET_OP_ADD, adc_op(&b, JET_OP_DOT_GENERAL, o, 2, c, 2), b1));
  o[0] = h;
  o[1] = w2;
  jet_value z = adc_op2(&b, JET_OP_SUB, adc_op2(&b, JET_OP_ADD, adc_op(&b, JET_OP_DOT_GENERAL, o, 2, c, 2), b2), y);
  jet_attr ax = ADC_INTS("axes", 0);
  jet_value l = adc_op1(&b, JET_OP_SQUARE, z);
  l = adc_op(&b, JET_OP_REDUCE_SUM, &l, 1, &ax, 1);
  adc_outputs(&b, &l, 1);
  return adc_finish(&b, "mlp loss");
}

/* grad of the MLP loss with respect to the four weights (a graph of six
 * params and four outputs). */
static jet_graph *mlp_grad(void) {
  jet_graph *f = mlp_loss(), *g = NULL;
  if (!f) return NULL;
  static const int32_t argnums[4] = {0, 1, 2, 3};
  jet_transform t = adc_tf(JET_TF_GRAD);
  t.argnums = argnums;
  t.n_argnums = 4;
  t.argnums_tuple = true;
  jet_status st = adc_transform(f, &t, 1, &g);
  jet_graph_destroy(f);
  if (st) {
    fprintf(stderr, "grad of the MLP loss failed: %s\n", jet_status_message(st));
    jet_status_free(st);
    return NULL;
  }
  return g;
}

/* Node counts of vmap^n_levels(f) at the same axes for every level size in
 * {1, 10, 1000}, raw and after cleanup; failures counted and printed. */
static int count_nodes(const jet_graph *f, vmc_level *lv, uint32_t n_levels, const char *label) {
  static const int64_t sizes[3] = {1, 10, 1000};
  uint32_t counts[2][3] = {{0}};
  int fails = 0;
  for (int c = 0; c < 2; c++) {
    for (int k = 0; k < 3; k++) {
      for (uint32_t l = 0; l < n_levels; l++) lv[l].size = sizes[k];
      jet_graph *g = NULL;
      jet_status st = vmc_transform(f, lv, n_levels, c == 1, &g);
      if (st) {
        fprintf(stderr, "[%s] vmap at size %lld failed: %s\n", label, (long long)sizes[k], jet_status_message(st));
        jet_status_free(st);
        return fails + 1;
      }
      counts[c][k] = g->n_nodes;
      jet_graph_destroy(g);
    }
    if (counts[c][0] != counts[c][1] || counts[c][1] != counts[c][2]) {
      char desc[1024];
      vmc_describe(lv, n_levels, desc, sizeof desc);
      fprintf(stderr, "[%s] %s node counts at batch sizes 1, 10, 1000: %u, %u, %u (%s)\n", label,
              c ? "cleaned-up" : "raw", counts[c][0], counts[c][1], counts[c][2], desc);
      fails++;
    }
  }
  if (getenv("VMC_VERBOSE"))
    fprintf(stderr, "[%s] %u nodes (f has %u), %u after cleanup\n", label, counts[0][0], f->n_nodes, counts[1][0]);
  return fails;
}

static void node_count_independent_of_batch_size(void **state) {
  (void)state;
  int fails = 0;
  for (int i = 0; i < 12; i++) {
    prog p;
    bool used[K_COUNT] = {0};
    char label[96];
    uint64_t seed = seed_of(i);
    jet_graph *f = program(i, seed, &p, used, label, sizeof label);
    if (!f) {
      fails++;
      continue;
    }
    adc_rng r = {seed ^ 0xc0u};
    int64_t sizes[2] = {1, 1};
    vmc_level lv[2];
    vmc_random_levels(f, &r, sizes, 1, NULL, true, lv);
    fails += count_nodes(f, lv, 1, label);
    vmc_random_levels(f, &r, sizes, 2, NULL, true, lv);
    fails += count_nodes(f, lv, 2, label);
    jet_graph_destroy(f);
  }
  /* the MLP loss and its gradient per example (weights unmapped) */
  jet_graph *graphs[2] = {mlp_loss(), mlp_grad()};
  for (int k = 0; k < 2; k++) {
    if (!graphs[k]) {
      fails++;
      continue;
    }
    vmc_level lv[1];
    int64_t one = 1;
    uint32_t mapped = 0x30; /* x and y */
    adc_rng r = {77};
    vmc_random_levels(graphs[k], &r, &one, 1, &mapped, true, lv);
    fails += count_nodes(graphs[k], lv, 1, k ? "vmap(grad(mlp loss))" : "vmap(mlp loss)");
  }
  /* vmap(grad) per-example gradients against a loop of grad calls */
  for (int t = 0; graphs[1] && t < 4; t++) {
    vmc_level lv[1];
    int64_t size = 5;
    uint32_t mapped = t < 2 ? 0x30 : 0;
    adc_rng r = {1000u + (uint64_t)t};
    vmc_random_levels(graphs[1], &r, &size, 1, &mapped, true, lv);
    char label[64];
    snprintf(label, sizeof label, "vmap(grad(mlp loss)), trial %d", t);
    vmc_opts o = {.label = label, .tol = 1e-12, .via_call = t % 2 == 1};
    fails += vmc_check(graphs[1], lv, 1, &r, &o);
  }
  jet_graph_destroy(graphs[0]);
  jet_graph_destroy(graphs[1]);
  assert_int_equal(fails, 0);
}

/* ---------------------------------------------------------------- structure */

/* A one-op graph: op over params of the given types (attrs may be NULL). */
static jet_graph *one_op(jet_op op, const jet_type *t, uint32_t n, const jet_attr *a, uint32_t na) {
  adc_b b = adc_begin("one_op");
  jet_value x[4];
  for (uint32_t i = 0; i < n; i++) x[i] = adc_param(&b, t[i]);
  jet_value y = adc_op(&b, op, x, n, a, na);
  adc_outputs(&b, &y, 1);
  return adc_finish(&b, jet_op_name(op));
}

/* Node counts of g: of op, of also, and of any other op. */
static uint32_t count_op(const jet_graph *g, jet_op op, jet_op also, uint32_t *n_also, uint32_t *others) {
  uint32_t n = 0;
  *n_also = *others = 0;
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    if (g->nodes[i].op == op) n++;
    else if (g->nodes[i].op == also) (*n_also)++;
    else (*others)++;
  }
  return n;
}

/* Structure of vmapped graphs (cleaned up): an elementwise op whose
 * operands share the batch dimension, returned at that dimension, is the
 * op alone (the batch dimension is kept, nothing is copied); dot_general
 * with any operand batched is one dot_general, followed by at most one
 * transpose of the result plus the move to out_axes (no loop, no other
 * op). */
static void batch_dims_kept_and_dot_general_is_one_op(void **state) {
  (void)state;
  int bad = 0;
  adc_rng r = {0xd07u};
  const jet_type t23 = ADC_T(JET_F64, 2, 3), tb = ADC_T(JET_BOOL, 2, 3);
  const jet_type ew_types[3][3] = {{t23}, {t23, t23}, {tb, t23, t23}};
  static const jet_op ew_ops[3] = {JET_OP_SIN, JET_OP_MUL, JET_OP_SELECT};
  for (int c = 0; c < 3; c++) {
    for (int32_t axis = -3; axis <= 2; axis++) {
      jet_graph *f = one_op(ew_ops[c], ew_types[c], (uint32_t)c + 1, NULL, 0), *v = NULL;
      if (!f) {
        bad++;
        continue;
      }
      vmc_level lv;
      int64_t size = 3;
      vmc_random_levels(f, &r, &size, 1, NULL, true, &lv);
      for (uint32_t i = 0; i < lv.n_in; i++) lv.in[i] = (jet_axis_spec){true, axis};
      lv.out[0] = (jet_axis_spec){true, axis};
      lv.pass_in = lv.n_in;
      lv.pass_out = 1;
      jet_status st = vmc_transform(f, &lv, 1, true, &v);
      if (st) {
        fprintf(stderr, "[%s, axis %d] vmap failed: %s\n", jet_op_name(ew_ops[c]), axis, jet_status_message(st));
        jet_status_free(st);
        bad++;
      } else if (v->n_nodes != 1 || v->nodes[0].op != ew_ops[c]) {
        fprintf(stderr, "[%s, in_axes and out_axes %d] the vmapped graph has %u nodes, expected the op alone:\n",
                jet_op_name(ew_ops[c]), axis, v->n_nodes);
        adc_dump(v);
        bad++;
      }
      jet_graph_destroy(v);
      jet_graph_destroy(f);
    }
  }
  /* matmul, matrix-vector, batch dims, batch + two contracting dims */
  const jet_type dt[4][2] = {{ADC_T(JET_F64, 2, 3), ADC_T(JET_F64, 3, 4)},
                             {ADC_T(JET_F64, 3, 4), ADC_T(JET_F64, 4)},
                             {ADC_T(JET_F64, 2, 3, 4), ADC_T(JET_F64, 2, 4, 5)},
                             {ADC_T(JET_F64, 3, 2, 2, 4), ADC_T(JET_F64, 2, 5, 4, 3)}};
  const jet_attr da[4][4] = {
      {ADC_INTS("lhs_contracting_dimensions", 1), ADC_INTS("rhs_contracting_dimensions", 0)},
      {ADC_INTS("lhs_contracting_dimensions", 1), ADC_INTS("rhs_contracting_dimensions", 0)},
      {ADC_INTS("lhs_contracting_dimensions", 2), ADC_INTS("rhs_contracting_dimensions", 1),
       ADC_INTS("lhs_batch_dimensions", 0), ADC_INTS("rhs_batch_dimensions", 0)},
      {ADC_INTS("lhs_contracting_dimensions", 3, 0), ADC_INTS("rhs_contracting_dimensions", 2, 3),
       ADC_INTS("lhs_batch_dimensions", 2), ADC_INTS("rhs_batch_dimensions", 0)}};
  for (int c = 0; c < 4; c++) {
    for (uint32_t mask = 1; mask <= 3; mask++) {
      for (int t = 0; t < 3; t++) {
        jet_graph *f = one_op(JET_OP_DOT_GENERAL, dt[c], 2, da[c], c < 2 ? 2 : 4), *v = NULL;
        if (!f) {
          bad++;
          continue;
        }
        vmc_level lv;
        int64_t size = 4;
        vmc_random_levels(f, &r, &size, 1, &mask, true, &lv);
        jet_status st = vmc_transform(f, &lv, 1, true, &v);
        char desc[512];
        vmc_describe(&lv, 1, desc, sizeof desc);
        uint32_t nt = 0, other = 0, nd = 0;
        if (st) {
          fprintf(stderr, "[dot_general %d] vmap failed (%s): %s\n", c, desc, jet_status_message(st));
          jet_status_free(st);
          bad++;
        } else if ((nd = count_op(v, JET_OP_DOT_GENERAL, JET_OP_TRANSPOSE, &nt, &other)) != 1 || nt > 2 || other) {
          fprintf(stderr, "[dot_general %d] (%s): %u dot_general, %u transpose, %u other nodes; expected one "
                  "dot_general and at most 2 transposes:\n", c, desc, nd, nt, other);
          adc_dump(v);
          bad++;
        }
        jet_graph_destroy(v);
        jet_graph_destroy(f);
      }
    }
  }
  assert_int_equal(bad, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(random_programs),
      cmocka_unit_test(programs_cover_every_kind),
      cmocka_unit_test(node_count_independent_of_batch_size),
      cmocka_unit_test(batch_dims_kept_and_dot_general_is_one_op),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
