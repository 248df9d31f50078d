/* pmap through the reference executor (server/runtime/kernels/pmap.c),
 * built by the pmap transform (server/transforms/pmap.c) through
 * jet_transforms_bind_args + jet_transforms_apply:
 *  - ~30 single- and multi-op bodies over f32 and i32, axis sizes 1, 2, 3,
 *    4, 8, in_axes / out_axes 0, 1 and None (the size given or read from
 *    the argument types): bit-exact against the body run per shard with
 *    jet_exec_graph and the results stacked here;
 *  - every collective inside a pmap body against a reference computed here
 *    (axis sizes 1, 2, 3, 4, 8);
 *  - nested: a vmap 'j' (a call node carrying the vmap) inside pmap 'i',
 *    psum over both names;
 *  - errors: an unbound axis name (compile and executor), a member failing
 *    alone (the others are released, the error names the member), mapped
 *    sizes that differ, JAX's in_axes / devices errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "ad_check.h"
#include "compiler/compile.h"

#define F32 JET_F32
#define I32 JET_I32
#define T(...) ADC_T(dt, __VA_ARGS__)

static jet_attr an(const char *name) {
  return (jet_attr){.name = "axis_name", .kind = JET_ATTR_STR, .u.s = name};
}
static void out1(adc_b *b, jet_value y) { adc_outputs(b, &y, 1); }
static jet_value P(adc_b *b, jet_type t) { return adc_param(b, t); }
static jet_value op_a(adc_b *b, jet_op op, jet_value x, jet_attr a) { return adc_op(b, op, &x, 1, &a, 1); }

/* ------------------------------------------------------------ bodies */

typedef void (*body_fn)(adc_b *b, jet_dtype dt);

static void b_neg(adc_b *b, jet_dtype dt) { out1(b, adc_op1(b, JET_OP_NEG, P(b, T(3)))); }
static void b_abs(adc_b *b, jet_dtype dt) { out1(b, adc_op1(b, JET_OP_ABS, P(b, T(2, 3)))); }
static void b_sign(adc_b *b, jet_dtype dt) { out1(b, adc_op1(b, JET_OP_SIGN, P(b, T(4)))); }
static void b_add(adc_b *b, jet_dtype dt) { out1(b, adc_op2(b, JET_OP_ADD, P(b, T(3)), P(b, T(3)))); }
static void b_mul(adc_b *b, jet_dtype dt) { out1(b, adc_op2(b, JET_OP_MUL, P(b, T(2, 3)), P(b, T(2, 3)))); }
static void b_sub(adc_b *b, jet_dtype dt) { out1(b, adc_op2(b, JET_OP_SUB, P(b, T(3, 2)), P(b, T(3, 2)))); }
static void b_max(adc_b *b, jet_dtype dt) { out1(b, adc_op2(b, JET_OP_MAX, P(b, T(4)), P(b, T(4)))); }
static void b_min(adc_b *b, jet_dtype dt) { out1(b, adc_op2(b, JET_OP_MIN, P(b, T(2, 2)), P(b, T(2, 2)))); }
static void b_scalar(adc_b *b, jet_dtype dt) {
  jet_value x = P(b, ADC_S(dt));
  out1(b, adc_op2(b, JET_OP_MUL, x, x));
}
static void b_rsum(adc_b *b, jet_dtype dt) { out1(b, op_a(b, JET_OP_REDUCE_SUM, P(b, T(2, 3)), ADC_INTS("axes", 1))); }
static void b_rmax(adc_b *b, jet_dtype dt) { out1(b, op_a(b, JET_OP_REDUCE_MAX, P(b, T(3, 2)), ADC_INTS("axes", 0))); }
static void b_rall(adc_b *b, jet_dtype dt) { out1(b, op_a(b, JET_OP_REDUCE_SUM, P(b, T(2, 3)), ADC_INTS("axes", 0, 1))); }
static void b_transpose(adc_b *b, jet_dtype dt) {
  out1(b, op_a(b, JET_OP_TRANSPOSE, P(b, T(2, 3)), ADC_INTS("permutation", 1, 0)));
}
static void b_reshape(adc_b *b, jet_dtype dt) { out1(b, op_a(b, JET_OP_RESHAPE, P(b, T(2, 3)), ADC_INTS("new_sizes", 3, 2))); }
static void b_bcast(adc_b *b, jet_dtype dt) {
  jet_attr a[2] = {ADC_INTS("shape", 2, 3), ADC_INTS("broadcast_dimensions", 1)};
  out1(b, adc_op(b, JET_OP_BROADCAST_IN_DIM, (jet_value[]){P(b, T(3))}, 1, a, 2));
}
static void b_concat(adc_b *b, jet_dtype dt) {
  jet_attr a = adc_int("dimension", 0);
  out1(b, adc_op(b, JET_OP_CONCATENATE, (jet_value[]){P(b, T(2)), P(b, T(3))}, 2, &a, 1));
}
static void b_slice(adc_b *b, jet_dtype dt) {
  jet_attr a[3] = {ADC_INTS("start_indices", 1), ADC_INTS("limit_indices", 5), ADC_INTS("strides", 2)};
  out1(b, adc_op(b, JET_OP_SLICE, (jet_value[]){P(b, T(5))}, 1, a, 3));
}
static void b_rev(adc_b *b, jet_dtype dt) { out1(b, op_a(b, JET_OP_REV, P(b, T(2, 3)), ADC_INTS("dimensions", 1))); }
static void b_dot(adc_b *b, jet_dtype dt) {
  jet_attr a[2] = {ADC_INTS("lhs_contracting_dimensions", 1), ADC_INTS("rhs_contracting_dimensions", 0)};
  out1(b, adc_op(b, JET_OP_DOT_GENERAL, (jet_value[]){P(b, T(2, 3)), P(b, T(3, 2))}, 2, a, 2));
}
static void b_cumsum(adc_b *b, jet_dtype dt) { out1(b, op_a(b, JET_OP_CUMSUM, P(b, T(4)), adc_int("axis", 0))); }
static void b_select(adc_b *b, jet_dtype dt) {
  jet_value x = P(b, T(3)), y = P(b, T(3));
  out1(b, adc_op3(b, JET_OP_SELECT, adc_op2(b, JET_OP_GT, x, y), x, y));
}
static void b_clamp(adc_b *b, jet_dtype dt) {
  jet_value lo = P(b, ADC_S(dt)), x = P(b, T(4)), hi = P(b, ADC_S(dt));
  out1(b, adc_op3(b, JET_OP_CLAMP, lo, x, hi));
}
static void b_pad(adc_b *b, jet_dtype dt) {
  jet_attr a = ADC_INTS("padding_config", 1, 2, 1);
  out1(b, adc_op(b, JET_OP_PAD, (jet_value[]){P(b, T(3)), P(b, ADC_S(dt))}, 2, &a, 1));
}
static void b_argmax(adc_b *b, jet_dtype dt) {
  jet_attr a[2] = {ADC_INTS("axes", 1), adc_dtype("index_dtype", I32)};
  out1(b, adc_op(b, JET_OP_ARGMAX, (jet_value[]){P(b, T(2, 4))}, 1, a, 2));
}
static void b_expand(adc_b *b, jet_dtype dt) { out1(b, op_a(b, JET_OP_EXPAND_DIMS, P(b, T(3)), ADC_INTS("dimensions", 1))); }
static void b_ipow(adc_b *b, jet_dtype dt) { out1(b, op_a(b, JET_OP_INTEGER_POW, P(b, T(3)), adc_int("y", 3))); }
static void b_convert(adc_b *b, jet_dtype dt) {
  jet_dtype other = dt == F32 ? I32 : F32;
  jet_value c = op_a(b, JET_OP_CONVERT_ELEMENT_TYPE, P(b, T(3)), adc_dtype("new_dtype", other));
  out1(b, op_a(b, JET_OP_CONVERT_ELEMENT_TYPE, adc_op2(b, JET_OP_ADD, c, c), adc_dtype("new_dtype", dt)));
}
static void b_exp_or_sq(adc_b *b, jet_dtype dt) {
  jet_value x = P(b, T(2, 2));
  out1(b, dt == F32 ? adc_op1(b, JET_OP_EXP, x) : adc_op2(b, JET_OP_MUL, x, x));
}
/* Multi-op bodies. */
static void m_poly(adc_b *b, jet_dtype dt) {
  jet_value x = P(b, T(3)), y = P(b, T(3));
  out1(b, adc_op2(b, JET_OP_ADD, adc_op2(b, JET_OP_MUL, x, x), y));
}
static void m_gram(adc_b *b, jet_dtype dt) {
  jet_value x = P(b, T(2, 3));
  jet_value xt = op_a(b, JET_OP_TRANSPOSE, x, ADC_INTS("permutation", 1, 0));
  jet_attr a[2] = {ADC_INTS("lhs_contracting_dimensions", 1), ADC_INTS("rhs_contracting_dimensions", 0)};
  jet_value g = adc_op(b, JET_OP_DOT_GENERAL, (jet_value[]){x, xt}, 2, a, 2);
  out1(b, op_a(b, JET_OP_REDUCE_SUM, g, ADC_INTS("axes", 0)));
}
static void m_two_outs(adc_b *b, jet_dtype dt) {
  jet_value x = P(b, T(2, 3)), y = P(b, T(2, 3));
  jet_value o[3] = {adc_op2(b, JET_OP_ADD, x, y), adc_op2(b, JET_OP_MUL, x, y), y};
  adc_outputs(b, o, 3);
}
static void m_three_params(adc_b *b, jet_dtype dt) {
  jet_value x = P(b, T(4)), s = P(b, ADC_S(dt)), y = P(b, T(4));
  jet_attr a[2] = {adc_ints("shape", (int64_t[]){4}, 1), adc_ints("broadcast_dimensions", NULL, 0)};
  jet_value sb = adc_op(b, JET_OP_BROADCAST_IN_DIM, &s, 1, a, 2);
  jet_value o[2] = {adc_op2(b, JET_OP_SUB, adc_op2(b, JET_OP_MUL, x, sb), y),
                    op_a(b, JET_OP_REDUCE_MAX, y, ADC_INTS("axes", 0))};
  adc_outputs(b, o, 2);
}

static const struct {
  const char *name;
  body_fn fn;
} k_bodies[] = {
    {"neg", b_neg},         {"abs", b_abs},           {"sign", b_sign},
    {"add", b_add},         {"mul", b_mul},           {"sub", b_sub},
    {"max", b_max},         {"min", b_min},           {"scalar", b_scalar},
    {"reduce_sum", b_rsum}, {"reduce_max", b_rmax},   {"reduce_sum(all)", b_rall},
    {"transpose", b_transpose}, {"reshape", b_reshape}, {"broadcast_in_dim", b_bcast},
    {"concatenate", b_concat}, {"slice", b_slice},    {"rev", b_rev},
    {"dot_general", b_dot}, {"cumsum", b_cumsum},     {"select(gt)", b_select},
    {"clamp", b_clamp},     {"pad", b_pad},           {"argmax", b_argmax},
    {"expand_dims", b_expand}, {"integer_pow", b_ipow}, {"convert twice", b_convert},
    {"exp or square", b_exp_or_sq}, {"x*x+y", m_poly}, {"sum(x x^T)", m_gram},
    {"two outputs", m_two_outs}, {"three params", m_three_params},
};
#define N_BODIES (sizeof k_bodies / sizeof k_bodies[0])

/* ------------------------------------------------------------ helpers */

static jet_type insert_axis(jet_type t, int ax, int64_t n) {
  jet_type s = t;
  s.rank = t.rank + 1;
  for (int d = 0, k = 0; d < s.rank; d++) s.dims[d] = d == ax ? n : t.dims[k++];
  return s;
}

/* Elements before axis ax, its length, bytes after it. */
static void split_at(const jet_type *t, int ax, size_t *outer, size_t *len, size_t *inner) {
  *outer = 1;
  *len = (size_t)t->dims[ax];
  *inner = jet_dtype_size(t->dtype);
  for (int d = 0; d < ax; d++) *outer *= (size_t)t->dims[d];
  for (int d = ax + 1; d < t->rank; d++) *inner *= (size_t)t->dims[d];
}

/* dst (per-member type) = slice r of src along ax. */
static void take_slice(const jet_buf *src, int ax, int64_t r, jet_buf *dst) {
  size_t outer, len, inner;
  split_at(&src->type, ax, &outer, &len, &inner);
  for (size_t o = 0; o < outer; o++)
    memcpy((char *)dst->data + o * inner, (const char *)src->data + (o * len + (size_t)r) * inner, inner);
}
/* Slice r of dst (stacked type) along ax = src. */
static void put_slice(jet_buf *dst, int ax, int64_t r, const jet_buf *src) {
  size_t outer, len, inner;
  split_at(&dst->type, ax, &outer, &len, &inner);
  for (size_t o = 0; o < outer; o++)
    memcpy((char *)dst->data + (o * len + (size_t)r) * inner, (const char *)src->data + o * inner, inner);
}

/* Runs pmap(f) (the transform, axis name "i") on args; outs are malloc'd.
 * size 0: read from the argument types by jet_transforms_bind_args. */
static jet_status run_pmap(const jet_graph *f, const int *in_ax, const int *out_ax, int64_t size,
                           const jet_buf *args, jet_buf *outs) {
  jet_axis_spec in[ADC_MAX], out[ADC_MAX];
  for (uint32_t k = 0; k < f->n_params; k++) in[k] = (jet_axis_spec){in_ax[k] >= 0, in_ax[k]};
  for (uint32_t k = 0; k < f->n_outputs; k++) out[k] = (jet_axis_spec){out_ax[k] >= 0, out_ax[k]};
  jet_transform t = gb_transform(JET_TF_PMAP);
  t.in_axes = in;
  t.n_in_axes = f->n_params;
  t.out_axes = out;
  t.n_out_axes = f->n_outputs;
  t.axis_size = size;
  t.axis_name = "i";
  jet_type at[ADC_MAX];
  for (uint32_t k = 0; k < f->n_params; k++) at[k] = args[k].type;
  jet_graph *c = NULL, *pg = NULL;
  JET_RETURN_IF_ERROR(adc_clone(f, &c));
  jet_status st = jet_transforms_bind_args(c, &t, 1, at, f->n_params);
  if (st) {
    jet_graph_destroy(c);
    return st;
  }
  JET_RETURN_IF_ERROR(jet_transforms_apply(c, &t, 1, &pg));
  assert_int_equal(pg->n_nodes, 1);
  assert_int_equal(pg->nodes[0].op, JET_OP_PMAP);
  jet_buf tmp[ADC_MAX];
  st = jet_exec_graph(pg, args, f->n_params, tmp, NULL);
  for (uint32_t j = 0; !st && j < pg->n_outputs; j++) {
    outs[j] = adc_buf(tmp[j].type);
    memcpy(outs[j].data, tmp[j].data, jet_type_nbytes(&tmp[j].type));
    jet_mem_free(tmp[j].data);
  }
  jet_graph_destroy(pg);
  return st;
}

/* One generated case: random axes, random data; returns failures. */
static int check_body(size_t k, jet_dtype dt, int64_t n, adc_rng *r) {
  char label[160];
  adc_b b = adc_begin(k_bodies[k].name);
  k_bodies[k].fn(&b, dt);
  jet_graph *f = adc_finish(&b, k_bodies[k].name);
  if (!f) return 1;
  const uint32_t np = f->n_params, no = f->n_outputs;
  int in_ax[ADC_MAX], out_ax[ADC_MAX], fails = 0;
  bool any = false;
  for (uint32_t p = 0; p < np; p++) {
    in_ax[p] = (int)adc_randint(r, -1, f->value_types[p].rank >= 1 ? 1 : 0);
    any |= in_ax[p] >= 0;
  }
  if (!any) in_ax[0] = 0;
  for (uint32_t j = 0; j < no; j++)
    out_ax[j] = (int)adc_randint(r, -1, f->value_types[f->outputs[j]].rank >= 1 ? 1 : 0);
  const bool given = adc_randint(r, 0, 1);
  snprintf(label, sizeof label, "%s %s n=%lld in_axes[0]=%d out_axes[0]=%d%s", k_bodies[k].name,
           jet_dtype_name(dt), (long long)n, in_ax[0], out_ax[0], given ? "" : " (size from args)");
  jet_buf args[ADC_MAX], shard[ADC_MAX], got[ADC_MAX], want[ADC_MAX], mo[ADC_MAX];
  for (uint32_t p = 0; p < np; p++) {
    const jet_type pt = f->value_types[p];
    args[p] = adc_buf(in_ax[p] >= 0 ? insert_axis(pt, in_ax[p], n) : pt);
    for (int64_t e = 0; e < adc_numel(&args[p]); e++) adc_set(&args[p], e, (double)adc_randint(r, -4, 4));
    shard[p] = adc_buf(pt);
  }
  for (uint32_t j = 0; j < no; j++) {
    const jet_type ot = f->value_types[f->outputs[j]];
    want[j] = adc_buf(out_ax[j] >= 0 ? insert_axis(ot, out_ax[j], n) : ot);
  }
  /* The reference: the body per shard, stacked. */
  for (int64_t m = 0; m < n && !fails; m++) {
    jet_buf a[ADC_MAX];
    for (uint32_t p = 0; p < np; p++) {
      if (in_ax[p] >= 0) take_slice(&args[p], in_ax[p], m, &shard[p]);
      a[p] = in_ax[p] >= 0 ? shard[p] : args[p];
    }
    if (!adc_run(f, a, np, mo, label, "per-shard body")) {
      fails++;
      break;
    }
    for (uint32_t j = 0; j < no; j++) {
      if (out_ax[j] >= 0) put_slice(&want[j], out_ax[j], m, &mo[j]);
      else if (m == 0) memcpy(want[j].data, mo[j].data, jet_type_nbytes(&mo[j].type));
    }
    adc_bufs_free(mo, no);
  }
  jet_status st = fails ? NULL : run_pmap(f, in_ax, out_ax, given ? n : 0, args, got);
  if (st) {
    fprintf(stderr, "[%s] pmap failed: %s\n", label, jet_status_message(st));
    jet_status_free(st);
    fails++;
  } else if (!fails) {
    for (uint32_t j = 0; j < no; j++) {
      if (!jet_type_equal(&got[j].type, &want[j].type) ||
          memcmp(got[j].data, want[j].data, jet_type_nbytes(&want[j].type)) != 0) {
        fprintf(stderr, "[%s] output %u differs from the per-shard reference\n", label, j);
        fails++;
      }
    }
    adc_bufs_free(got, no);
  }
  adc_bufs_free(args, np);
  adc_bufs_free(shard, np);
  adc_bufs_free(want, no);
  jet_graph_destroy(f);
  return fails;
}

static void bodies_match_per_shard_runs(void **state) {
  (void)state;
  static const int64_t sizes[] = {1, 2, 3, 4, 8};
  adc_rng r = {0x9a9a01u};
  int fails = 0, n = 0;
  for (size_t k = 0; k < N_BODIES; k++)
    for (int d = 0; d < 2; d++)
      for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++, n++)
        fails += check_body(k, d ? I32 : F32, sizes[s], &r);
  fprintf(stderr, "%zu bodies, %d pmap checks, %d failed\n", N_BODIES, n, fails);
  assert_int_equal(fails, 0);
}

/* ------------------------------------------------------------ collectives */

/* Member q's x[i][j] (per member f32[n,2]); small ints, exact in f32. */
static double xval(int64_t q, int64_t i, int64_t j) { return (double)((q * 37 + i * 11 + j * 5) % 17 - 8); }

typedef enum ckind { C_PSUM, C_PMAX, C_PMIN, C_GATHER, C_SCATTER, C_PERMUTE, C_A2A, C_INDEX } ckind;

static const struct {
  const char *name;
  ckind kind;
  jet_op op;
  bool tiled;
} k_colls[] = {
    {"psum", C_PSUM, JET_OP_PSUM, false},
    {"pmax", C_PMAX, JET_OP_PMAX, false},
    {"pmin", C_PMIN, JET_OP_PMIN, false},
    {"all_gather", C_GATHER, JET_OP_ALL_GATHER, false},
    {"all_gather(tiled)", C_GATHER, JET_OP_ALL_GATHER, true},
    {"psum_scatter", C_SCATTER, JET_OP_PSUM_SCATTER, false},
    {"psum_scatter(tiled)", C_SCATTER, JET_OP_PSUM_SCATTER, true},
    {"ppermute(shift)", C_PERMUTE, JET_OP_PPERMUTE, false},
    {"all_to_all", C_A2A, JET_OP_ALL_TO_ALL, false},
    {"all_to_all(tiled)", C_A2A, JET_OP_ALL_TO_ALL, true},
    {"axis_index", C_INDEX, JET_OP_AXIS_INDEX, false},
};

/* Element f (row-major) of member r's result; the tiled and untiled forms
 * of each op have the same row-major layout here (see the shapes below). */
static double coll_ref(ckind k, int64_t n, int64_t r, int64_t f) {
  const int64_t i = f / 2, j = f % 2;
  double v = 0;
  switch (k) {
    case C_PSUM:
      for (int64_t q = 0; q < n; q++) v += xval(q, i, j);
      return v;
    case C_PMAX:
    case C_PMIN:
      v = xval(0, i, j);
      for (int64_t q = 1; q < n; q++) v = k == C_PMAX ? fmax(v, xval(q, i, j)) : fmin(v, xval(q, i, j));
      return v;
    case C_GATHER: return xval(f / (2 * n), (f / 2) % n, j); /* [n][n][2] / [n*n][2] */
    case C_SCATTER: /* [2] / [1][2]: the sum of row r */
      for (int64_t q = 0; q < n; q++) v += xval(q, r, f);
      return v;
    case C_PERMUTE: return xval((r + n - 1) % n, i, j); /* q -> q + 1 */
    case C_A2A: return xval(i, r, j);                    /* [n][2] / [1][2n] */
    case C_INDEX: return (double)r;
  }
  return NAN;
}

static int check_collective(size_t c, int64_t n) {
  char label[96];
  snprintf(label, sizeof label, "%s n=%lld", k_colls[c].name, (long long)n);
  const ckind k = k_colls[c].kind;
  const bool tiled = k_colls[c].tiled;
  int64_t perm[2 * 8];
  for (int64_t q = 0; q < n; q++) {
    perm[2 * q] = q;
    perm[2 * q + 1] = (q + 1) % n;
  }
  jet_attr a[5] = {an("i"), adc_int("axis_size", n)};
  uint32_t na = 1;
  if (k == C_GATHER || k == C_SCATTER || k == C_A2A) na = 2;
  if (k == C_GATHER) a[na++] = adc_int("axis", 0);
  if (k == C_SCATTER) a[na++] = adc_int("scatter_dimension", 0);
  if (k == C_A2A) {
    a[na++] = adc_int("split_axis", 0);
    a[na++] = adc_int("concat_axis", tiled ? 1 : 0);
  }
  if (tiled) a[na++] = adc_bool("tiled", true);
  if (k == C_PERMUTE) a[na++] = adc_ints("perm", perm, (uint32_t)(2 * n));
  adc_b b = adc_begin(label);
  jet_value x = adc_param(&b, ADC_T(F32, n, 2));
  out1(&b, adc_op(&b, k_colls[c].op, &x, k == C_INDEX ? 0 : 1, a, na));
  jet_graph *f = adc_finish(&b, label);
  if (!f) return 1;
  jet_buf X = adc_buf(ADC_T(F32, n, n, 2)), got;
  for (int64_t q = 0; q < n; q++)
    for (int64_t e = 0; e < 2 * n; e++) adc_set(&X, q * 2 * n + e, xval(q, e / 2, e % 2));
  const int zero = 0;
  jet_status st = run_pmap(f, &zero, &zero, n, &X, &got);
  int fails = 0;
  if (st) {
    fprintf(stderr, "[%s] pmap failed: %s\n", label, jet_status_message(st));
    jet_status_free(st);
    fails = 1;
  } else {
    const int64_t per = adc_numel(&got) / n;
    for (int64_t e = 0; e < adc_numel(&got) && !fails; e++) {
      const double w = coll_ref(k, n, e / per, e % per), g = adc_get(&got, e);
      if (g != w) {
        fprintf(stderr, "[%s] member %lld element %lld: got %g, want %g\n", label,
                (long long)(e / per), (long long)(e % per), g, w);
        fails = 1;
      }
    }
    adc_buf_free(&got);
  }
  adc_buf_free(&X);
  jet_graph_destroy(f);
  return fails;
}

static void collectives_match_references(void **state) {
  (void)state;
  static const int64_t sizes[] = {1, 2, 3, 4, 8};
  int fails = 0;
  for (size_t c = 0; c < sizeof k_colls / sizeof k_colls[0]; c++)
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) fails += check_collective(c, sizes[s]);
  assert_int_equal(fails, 0);
}

/* ------------------------------------------------------------ nested */

/* pmap 'i' (ni members) of g(x: f32[nj,3]) = call h with vmap 'j' (nj),
 * h(y: f32[3]) = (psum_i(psum_j(y)), psum_i(y), axis_index_i). */
static void nested_vmap_in_pmap(void **state) {
  (void)state;
  const int64_t ni = 3, nj = 2;
  adc_b b = adc_begin("g");
  jet_value x = adc_param(&b, ADC_T(F32, nj, 3));
  jet_graph *h = jet_graph_create_child(b.g, "h");
  assert_non_null(h);
  jet_type t3 = ADC_T(F32, 3);
  jet_value y, sj, sij, si, ix;
  jet_attr ai = an("i"), aj = an("j");
  assert_null(jet_graph_add_param(h, &t3, &y));
  assert_null(jet_graph_add_node(h, JET_OP_PSUM, &y, 1, &aj, 1, NULL, NULL, 0, &sj));
  assert_null(jet_graph_add_node(h, JET_OP_PSUM, &sj, 1, &ai, 1, NULL, NULL, 0, &sij));
  assert_null(jet_graph_add_node(h, JET_OP_PSUM, &y, 1, &ai, 1, NULL, NULL, 0, &si));
  assert_null(jet_graph_add_node(h, JET_OP_AXIS_INDEX, NULL, 0, &ai, 1, NULL, NULL, 0, &ix));
  assert_null(jet_graph_set_outputs(h, (jet_value[]){sij, si, ix}, 3));
  jet_transform v = gb_vmap(NULL, 0, NULL, 0, nj);
  v.axis_name = "j";
  jet_value first;
  assert_null(jet_graph_add_node(b.g, JET_OP_CALL, &x, 1, NULL, 0, h, &v, 1, &first));
  adc_outputs(&b, (jet_value[]){first, first + 1, first + 2}, 3);
  jet_graph *g = adc_finish(&b, "nested");
  assert_non_null(g);
  jet_buf X = adc_buf(ADC_T(F32, ni, nj, 3)), got[3];
  for (int64_t e = 0; e < adc_numel(&X); e++) adc_set(&X, e, (double)(e * 7 % 13) - 6);
  const int zero[1] = {0}, zeros[3] = {0, 0, 0};
  jet_status st = run_pmap(g, zero, zeros, 0, &X, got);
  if (st) fail_msg("nested: %s", jet_status_message(st));
  for (int64_t r = 0; r < ni; r++)
    for (int64_t q = 0; q < nj; q++)
      for (int64_t k = 0; k < 3; k++) {
        double all = 0, over_i = 0;
        for (int64_t r2 = 0; r2 < ni; r2++) {
          over_i += adc_get(&X, (r2 * nj + q) * 3 + k);
          for (int64_t q2 = 0; q2 < nj; q2++) all += adc_get(&X, (r2 * nj + q2) * 3 + k);
        }
        const int64_t e = (r * nj + q) * 3 + k;
        assert_true(adc_get(&got[0], e) == all);
        assert_true(adc_get(&got[1], e) == over_i);
        assert_true(adc_get(&got[2], r * nj + q) == (double)r);
      }
  adc_bufs_free(got, 3);
  adc_buf_free(&X);
  /* Compile binds both names: not refused as unbound. */
  jet_cache *cache = jet_cache_create(4);
  jet_graph *c = NULL;
  assert_null(adc_clone(g, &c));
  jet_transform p = gb_transform(JET_TF_PMAP);
  p.axis_name = "i";
  p.axis_size = ni;
  jet_type at = ADC_T(F32, ni, nj, 3);
  jet_executable *exe = NULL;
  bool hit = false;
  st = jet_compiler_compile(cache, c, &p, 1, &at, 1, &exe, &hit);
  if (st && (strstr(jet_status_message(st), "unbound axis name") ||
             strstr(jet_status_message(st), "transforms[")))
    fail_msg("compile refused a bound collective: %s", jet_status_message(st));
  if (st) fprintf(stderr, "(compile got past the binding check: %s)\n", jet_status_message(st));
  jet_status_free(st);
  if (exe) jet_executable_release(exe);
  jet_cache_destroy(cache);
  jet_graph_destroy(g);
}

/* main(X: f32[2,3]) = call f with pmap 'i' (size read from the operand),
 * f(x: f32[3]) = psum_i(x) * x; inlined by jet_transforms_apply. */
static void pmap_in_a_call(void **state) {
  (void)state;
  adc_b b = adc_begin("main");
  jet_value X = adc_param(&b, ADC_T(F32, 2, 3)), y, s, m, r;
  jet_graph *f = jet_graph_create_child(b.g, "f");
  jet_type t3 = ADC_T(F32, 3);
  jet_attr ai = an("i");
  assert_null(jet_graph_add_param(f, &t3, &y));
  assert_null(jet_graph_add_node(f, JET_OP_PSUM, &y, 1, &ai, 1, NULL, NULL, 0, &s));
  assert_null(jet_graph_add_node(f, JET_OP_MUL, (jet_value[]){s, y}, 2, NULL, 0, NULL, NULL, 0, &m));
  assert_null(jet_graph_set_outputs(f, &m, 1));
  jet_transform p = gb_transform(JET_TF_PMAP);
  p.axis_name = "i";
  assert_null(jet_graph_add_node(b.g, JET_OP_CALL, &X, 1, NULL, 0, f, &p, 1, &r));
  out1(&b, r);
  jet_graph *g = adc_finish(&b, "call"), *flat = NULL;
  assert_non_null(g);
  assert_null(jet_transforms_apply(g, NULL, 0, &flat));
  jet_buf x = adc_buf(ADC_T(F32, 2, 3)), got;
  for (int64_t e = 0; e < 6; e++) adc_set(&x, e, (double)(e * 5 % 7) - 3);
  assert_true(adc_run(flat, &x, 1, &got, "pmap in a call", "run"));
  for (int64_t e = 0; e < 6; e++)
    assert_true(adc_get(&got, e) == (adc_get(&x, e % 3) + adc_get(&x, 3 + e % 3)) * adc_get(&x, e));
  adc_buf_free(&got);
  adc_buf_free(&x);
  jet_graph_destroy(flat);
}

/* ------------------------------------------------------------ errors */

static void expect_msg(jet_status st, jet_code code, const char *want, const char *what) {
  if (!st) fail_msg("%s: expected an error containing '%s'", what, want);
  if (jet_status_code(st) != code || !strstr(jet_status_message(st), want))
    fail_msg("%s: got '%s', wanted '%s'", what, jet_status_message(st), want);
  jet_status_free(st);
}

/* The pmap transform t of f applied (after binding arg types when given). */
static jet_status pmap_tf(const jet_graph *f, jet_transform *t, const jet_type *at, uint32_t n) {
  jet_graph *c = NULL, *out = NULL;
  JET_RETURN_IF_ERROR(adc_clone(f, &c));
  jet_status st = jet_transforms_bind_args(c, t, 1, at, n);
  if (st) {
    jet_graph_destroy(c);
    return st;
  }
  JET_RETURN_IF_ERROR(jet_transforms_apply(c, t, 1, &out));
  jet_graph_destroy(out);
  return NULL;
}

static jet_graph *one_collective(const char *axis) {
  adc_b b = adc_begin("u");
  out1(&b, op_a(&b, JET_OP_PSUM, adc_param(&b, ADC_T(F32, 3)), an(axis)));
  return adc_finish(&b, "psum");
}

static void errors(void **state) {
  (void)state;
  /* A collective over an axis no pmap binds: executor and compile. */
  jet_graph *f = one_collective("k");
  jet_buf X = adc_buf(ADC_T(F32, 2, 3)), got;
  const int zero = 0;
  expect_msg(run_pmap(f, &zero, &zero, 2, &X, &got), JET_INVALID_ARGUMENT,
             "unbound axis name: k. The following axis names (e.g. defined by pmap) are "
             "available to collective operations: ['i']",
             "executor");
  jet_cache *cache = jet_cache_create(4);
  jet_graph *c = NULL;
  assert_null(adc_clone(f, &c));
  jet_transform p = gb_transform(JET_TF_PMAP);
  p.axis_name = "i";
  p.axis_size = 2;
  jet_executable *exe = NULL;
  bool hit = false;
  expect_msg(jet_compiler_compile(cache, c, &p, 1, NULL, 0, &exe, &hit), JET_INVALID_ARGUMENT,
             "available to collective operations: ['i']", "compile");
  jet_cache_destroy(cache);
  jet_graph_destroy(f);
  adc_buf_free(&X);

  /* Member 2 of 3 fails alone (a cond on axis_index picks a branch with an
   * unbound psum): the others, waiting in their psum, are released. */
  adc_b b = adc_begin("m");
  jet_value x = adc_param(&b, ADC_T(F32, 3));
  jet_graph *br[2] = {jet_graph_create_child(b.g, "ok"), jet_graph_create_child(b.g, "bad")};
  for (int k = 0; k < 2; k++) {
    jet_type t3 = ADC_T(F32, 3);
    jet_value y, s;
    jet_attr a = an(k ? "k" : "i");
    assert_null(jet_graph_add_param(br[k], &t3, &y));
    assert_null(jet_graph_add_node(br[k], JET_OP_PSUM, &y, 1, &a, 1, NULL, NULL, 0, &s));
    assert_null(jet_graph_set_outputs(br[k], &s, 1));
  }
  jet_value idx = adc_op(&b, JET_OP_AXIS_INDEX, NULL, 0, (jet_attr[]){an("i")}, 1);
  jet_value pred = adc_op2(&b, JET_OP_SUB, idx, adc_scalar(&b, I32, 1));
  jet_value res = JET_NO_VALUE;
  if (!b.st) b.st = jet_graph_add_node_sub(b.g, JET_OP_COND, (jet_value[]){pred, x}, 2, NULL, 0, br, 2, &res);
  out1(&b, res);
  f = adc_finish(&b, "member fails");
  assert_non_null(f);
  X = adc_buf(ADC_T(F32, 3, 3));
  jet_status st = run_pmap(f, &zero, &zero, 3, &X, &got);
  if (!st || !strstr(jet_status_message(st), "pmap member 2: ") ||
      !strstr(jet_status_message(st), "unbound axis name: k"))
    fail_msg("member 2: got '%s'", st ? jet_status_message(st) : "OK");
  jet_status_free(st);
  jet_graph_destroy(f);
  adc_buf_free(&X);

  /* JAX's transform errors. */
  adc_b b2 = adc_begin("add");
  b_add(&b2, F32);
  f = adc_finish(&b2, "add");
  jet_type at[2] = {ADC_T(F32, 2, 3), ADC_T(F32, 3, 3)};
  p = gb_transform(JET_TF_PMAP);
  expect_msg(pmap_tf(f, &p, at, 2), JET_INVALID_ARGUMENT,
             "pmap got inconsistent sizes for array axes to be mapped", "sizes differ");
  at[1] = at[0];
  p.axis_size = 3;
  expect_msg(pmap_tf(f, &p, at, 2), JET_INVALID_ARGUMENT, "pmap got axis_size=3 but axis 0 of argument 0",
             "axis_size");
  /* in_axes count, all None, an axis out of range: test_infer.c. */
  const jet_axis_spec far = {true, 2};
  p = gb_transform(JET_TF_PMAP);
  p.out_axes = &far;
  p.n_out_axes = 1;
  expect_msg(pmap_tf(f, &p, at, 2), JET_INVALID_ARGUMENT, "pmap out_axes 2 is out of range", "out_axes");
  p = gb_transform(JET_TF_PMAP);
  const uint32_t devs[3] = {0, 1, 2};
  p.devices = devs;
  p.n_devices = 3;
  expect_msg(pmap_tf(f, &p, at, 2), JET_INVALID_ARGUMENT,
             "Got axis_size=2, num_local_devices=3", "devices");
  p.n_devices = 2;
  p.axis_size = 2;
  assert_null(pmap_tf(f, &p, NULL, 0)); /* devices [0, 1]; size given */
  p = gb_transform(JET_TF_PMAP);
  expect_msg(pmap_tf(f, &p, NULL, 0), JET_INVALID_ARGUMENT, "pmap needs axis_size here", "no size");
  jet_graph_destroy(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(bodies_match_per_shard_runs),
      cmocka_unit_test(collectives_match_references),
      cmocka_unit_test(nested_vmap_in_pmap),
      cmocka_unit_test(pmap_in_a_call),
      cmocka_unit_test(errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
