/* jacfwd, jacrev and hessian as JAX builds them: vmap of the jvp over the
 * standard basis of the inputs, vmap of the backward pass over the standard
 * basis of the outputs.
 *
 * For g with differentiated outputs o_k (has_aux: output 0 only; outputs
 * 1.. are aux, appended unchanged) and params p_a (argnums, empty = {0},
 * duplicates allowed), every transform outputs one array per (output k,
 * argnum a), output-major, of shape o_k.shape + p_a.shape, then the aux
 * outputs:
 *
 * - jacfwd: a graph J(primals..., tangent per distinct float argnum...) ->
 *   (output tangents..., aux...) is built (fwd.c + jvp.c), then batched
 *   (batch/vmap.c) with the primals unbatched — the primal pass is computed
 *   once — and the tangents bound to one-hot bases of one basis of size N =
 *   the sum of the differentiated float params' sizes: the rows
 *   [off_a, off_a + n_a) of an N x N identity for param a, built from two
 *   iotas, eq and convert (no literal of the basis's size) and reshaped to
 *   [N] + p_a.shape. Each output tangent, batched, gets its batch dimension
 *   moved last, the columns of param a sliced out and reshaped to
 *   o_k.shape + p_a.shape. dtype of o_k. Integer outputs (and integer params
 *   with allow_int) give zeros.
 * - jacrev: a graph J(primals..., cotangent per differentiated output...) ->
 *   (cotangent per distinct float argnum..., aux...) (fwd.c + vjp.c), batched
 *   with the primals unbatched (the forward pass is computed once) and the
 *   cotangents bound to the one-hot basis of the outputs (N = the sum of the
 *   differentiated outputs' sizes); the rows of output k are sliced from
 *   each parameter cotangent ([N] + p_a.shape) and reshaped to
 *   o_k.shape + p_a.shape. dtype of p_a. Differentiated outputs must be
 *   float ("jacrev requires real-valued outputs ..."); integer params with
 *   allow_int give zeros.
 * - hessian = jacfwd(jacrev(g)) with the same argnums: per (k, a, b) an
 *   array of shape o_k.shape + p_a.shape + p_b.shape, dtype of p_a.
 *
 * The node count does not depend on the basis size. Differentiated params
 * must be float unless allow_int ("jacfwd requires real-valued inputs
 * ..."); holomorphic=true is UNIMPLEMENTED (no complex dtypes). Jacobian
 * ranks above JET_MAX_RANK are INVALID_ARGUMENT. */
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/ad_internal.h"
#include "transforms/batch/batch.h"

typedef struct jac_spec {
  const int32_t *an;
  uint32_t na;
  uint32_t n_diff; /* outputs 0..n_diff-1 are differentiated, the rest is aux */
  bool rev;
} jac_spec;

/* The work of one jac_impl: the distinct float argnums (their params, in
 * order of first appearance) and the basis layout. */
typedef struct jac_plan {
  uint32_t *dp;    /* [n_dp] params differentiated (distinct, float) */
  uint32_t n_dp;
  int32_t *slot;   /* [np]: index into dp, or -1 */
  int64_t *off;    /* [n_seed]: basis offset of each seed (param or output) */
  int64_t *len;    /* [n_seed]: its size */
  uint32_t n_seed; /* n_dp (jacfwd) or n_diff (jacrev) */
  int64_t n;       /* basis size */
} jac_plan;

static void plan_free(jac_plan *p) {
  free(p->dp);
  free(p->slot);
  free(p->off);
  free(p->len);
}

static jet_status plan_make(const jet_graph *g, const jac_spec *s, jac_plan *p) {
  memset(p, 0, sizeof *p);
  uint32_t np = g->n_params;
  p->dp = malloc(sizeof(uint32_t) * (np + 1));
  p->slot = malloc(sizeof(int32_t) * (np + 1));
  p->off = malloc(sizeof(int64_t) * ((size_t)np + s->n_diff + 1));
  p->len = malloc(sizeof(int64_t) * ((size_t)np + s->n_diff + 1));
  if (!p->dp || !p->slot || !p->off || !p->len) {
    plan_free(p);
    return jet_status_oom("jacobian plan");
  }
  for (uint32_t i = 0; i < np; i++) p->slot[i] = -1;
  for (uint32_t a = 0; a < s->na; a++) {
    uint32_t q = (uint32_t)s->an[a];
    if (p->slot[q] >= 0 || !jet_dtype_is_float(g->value_types[q].dtype)) continue;
    p->slot[q] = (int32_t)p->n_dp;
    p->dp[p->n_dp++] = q;
  }
  p->n_seed = s->rev ? s->n_diff : p->n_dp;
  for (uint32_t i = 0; i < p->n_seed; i++) {
    const jet_type *t = s->rev ? &g->value_types[g->outputs[i]] : &g->value_types[p->dp[i]];
    p->off[i] = p->n;
    p->len[i] = jet_type_numel(t);
    p->n += p->len[i];
  }
  return NULL;
}

/* Rows [off, off + len) of the n x n identity, of dtype t->dtype, reshaped
 * to [n] + t.shape (len = numel(t)). */
static jet_value basis(jet_emit *e, int64_t n, int64_t off, const jet_type *t) {
  int64_t len = jet_type_numel(t);
  int64_t shape[2] = {n, len};
  jet_attr a0[3] = {jet_emit_attr_dtype("dtype", JET_I32), jet_emit_attr_ints("shape", shape, 2),
                    jet_emit_attr_int("dimension", 0)};
  jet_value rows = jet_emit_op(e, JET_OP_IOTA, NULL, 0, a0, 3);
  jet_attr a1[3] = {jet_emit_attr_dtype("dtype", JET_I32), jet_emit_attr_ints("shape", shape, 2),
                    jet_emit_attr_int("dimension", 1)};
  jet_value cols = jet_emit_op(e, JET_OP_IOTA, NULL, 0, a1, 3);
  if (off) cols = jet_emit2(e, JET_OP_ADD, cols, jet_emit_scalar(e, JET_I32, (double)off));
  jet_value v = jet_emit_convert(e, jet_emit2(e, JET_OP_EQ, rows, cols), t->dtype);
  int64_t full[JET_MAX_RANK + 1];
  full[0] = n;
  memcpy(full + 1, t->dims, sizeof(int64_t) * (size_t)t->rank);
  if (t->rank == 1) return v;
  return jet_emit_reshape(e, v, full, t->rank + 1);
}

/* x[..., start:limit, ...] along axis `ax`. */
static jet_value slice_axis(jet_emit *e, jet_value x, int32_t ax, int64_t start, int64_t limit) {
  const jet_type *t = jet_emit_type(e, x);
  if (start == 0 && limit == t->dims[ax]) return x;
  int64_t lo[JET_MAX_RANK], hi[JET_MAX_RANK];
  for (int32_t i = 0; i < t->rank; i++) {
    lo[i] = 0;
    hi[i] = t->dims[i];
  }
  lo[ax] = start;
  hi[ax] = limit;
  jet_attr a[2] = {jet_emit_attr_ints("start_indices", lo, (uint32_t)t->rank),
                   jet_emit_attr_ints("limit_indices", hi, (uint32_t)t->rank)};
  return jet_emit_op(e, JET_OP_SLICE, &x, 1, a, 2);
}

/* J: the jvp (jacfwd) or the backward pass (jacrev) of g as a graph of
 * (primals..., seeds...) -> (per seed of the other side..., aux...). */
static jet_status build_inner(const jet_graph *g, const jac_spec *s, const jac_plan *p,
                              jet_graph **out) {
  uint32_t np = g->n_params, no = g->n_outputs;
  uint32_t n_in = s->rev ? s->n_diff : p->n_dp;
  jet_type *pt = malloc(sizeof(jet_type) * ((size_t)np + n_in + 1));
  size_t mx = (np > no ? np : no) + (size_t)1;
  jet_value *vals = malloc(sizeof(jet_value) * (2 * (size_t)np + 2 * mx + no + 1));
  bool *wrt = calloc(np + 1, sizeof(bool));
  if (!pt || !vals || !wrt) {
    free(pt);
    free(vals);
    free(wrt);
    return jet_status_oom("jacobian inner graph");
  }
  memcpy(pt, g->value_types, sizeof(jet_type) * np);
  for (uint32_t i = 0; i < n_in; i++)
    pt[np + i] = s->rev ? g->value_types[g->outputs[i]] : g->value_types[p->dp[i]];
  for (uint32_t i = 0; i < p->n_dp; i++) wrt[p->dp[i]] = true;
  jet_emit e;
  jet_status st = jet_emit_start(g, s->rev ? "vjp" : "jvp", pt, np + n_in, &e);
  free(pt);
  if (st) {
    free(vals);
    free(wrt);
    return st;
  }
  /* primals[np], seeds[mx], side[mx] (cotangents / tangents out), res[np + no]. */
  jet_value *primals = vals, *seeds = vals + np, *side = seeds + mx, *res = side + mx;
  for (uint32_t q = 0; q < np; q++) primals[q] = q;
  jet__ad_fwd f;
  uint32_t nr = 0;
  if (jet__ad_forward(&e, g, primals, wrt, &f)) {
    if (s->rev) {
      jet_value *cts = seeds, *in_cts = side;
      for (uint32_t k = 0; k < no; k++) cts[k] = k < s->n_diff ? np + k : JET_AD_ZERO;
      jet__ad_backward(&e, &f, cts, in_cts);
      for (uint32_t i = 0; i < p->n_dp; i++) {
        jet_value c = in_cts[p->dp[i]];
        res[nr++] = c == JET_AD_ZERO ? jet_emit_full(&e, &g->value_types[p->dp[i]], 0.0) : c;
      }
    } else {
      jet_value *tan = seeds, *otan = side;
      for (uint32_t q = 0; q < np; q++)
        tan[q] = p->slot[q] >= 0 ? np + (uint32_t)p->slot[q] : JET_AD_ZERO;
      jet__ad_tangents(&e, &f, tan, otan);
      for (uint32_t k = 0; k < s->n_diff; k++) {
        jet_value t = otan[k];
        res[nr++] = t == JET_AD_ZERO ? jet_emit_full(&e, &g->value_types[g->outputs[k]], 0.0) : t;
      }
    }
    for (uint32_t k = s->n_diff; k < no; k++) res[nr++] = f.vmap[g->outputs[k]];
    jet__ad_fwd_free(&f);
  }
  free(wrt);
  st = jet_emit_finish(&e, res, nr, out);
  free(vals);
  return st;
}

static jet_status jac_impl(const jet_graph *g, const jac_spec *s, jet_graph **out) {
  *out = NULL;
  const char *name = s->rev ? "jacrev" : "jacfwd";
  uint32_t np = g->n_params, no = g->n_outputs;
  size_t nj = (size_t)s->n_diff * s->na;
  jet_type *jt = malloc(sizeof(jet_type) * (nj ? nj : 1));
  if (!jt) return jet_status_oom("jacobian types");
  for (uint32_t k = 0; k < s->n_diff; k++) {
    const jet_type *ot = &g->value_types[g->outputs[k]];
    for (uint32_t a = 0; a < s->na; a++) {
      const jet_type *pt = &g->value_types[s->an[a]];
      jet_status st =
          jet_jacobian_type(s->rev ? pt->dtype : ot->dtype, ot, pt, NULL, &jt[k * s->na + a]);
      if (st) {
        free(jt);
        return st;
      }
    }
  }
  jac_plan p;
  jet_status st = plan_make(g, s, &p);
  jet_graph *inner = NULL;
  if (!st && p.n_dp > 0) st = build_inner(g, s, &p, &inner);
  jet_batch b;
  memset(&b, 0, sizeof b);
  b.size = p.n;
  b.axis_name = "";
  if (!st) st = jet_emit_start(g, name, NULL, 0, &b.e);
  if (st) {
    jet_graph_destroy(inner);
    plan_free(&p);
    free(jt);
    return st;
  }
  jet_emit *e = &b.e;
  uint32_t n_inner_out = (s->rev ? p.n_dp : s->n_diff) + (no - s->n_diff);
  jet_value *vals = malloc(sizeof(jet_value) * ((size_t)np + p.n_seed + n_inner_out + nj + no + 1));
  int32_t *bds = malloc(sizeof(int32_t) * ((size_t)np + p.n_seed + n_inner_out + 1));
  jet_value *res = NULL;
  uint32_t nr = 0;
  if (!vals || !bds) {
    jet_emit_fail(e, jet_status_oom("jacobian values"));
    goto finish;
  }
  jet_value *xs = vals, *outs = vals + np + p.n_seed;
  int32_t *obds = bds + np + p.n_seed;
  res = outs + n_inner_out;
  if (!inner) {
    /* No float argnum: zeros, and the aux outputs from one primal pass. */
    jet__ad_fwd f;
    for (uint32_t q = 0; q < np; q++) xs[q] = q;
    if (jet__ad_forward(e, g, xs, NULL, &f)) {
      for (uint32_t i = 0; i < nj; i++) res[nr++] = jet_emit_full(e, &jt[i], 0.0);
      for (uint32_t k = s->n_diff; k < no; k++) res[nr++] = f.vmap[g->outputs[k]];
      jet__ad_fwd_free(&f);
    }
    goto finish;
  }
  for (uint32_t q = 0; q < np; q++) {
    xs[q] = q;
    bds[q] = JET_NOT_BATCHED;
  }
  for (uint32_t i = 0; i < p.n_seed; i++) {
    const jet_type *t = s->rev ? &g->value_types[g->outputs[i]] : &g->value_types[p.dp[i]];
    if (p.n == 0) {
      xs[np + i] = jet_emit_full(e, t, 0.0);
      bds[np + i] = JET_NOT_BATCHED;
    } else {
      xs[np + i] = basis(e, p.n, p.off[i], t);
      bds[np + i] = 0;
    }
  }
  jet_batch_emit(&b, inner, xs, bds, outs, obds);
  for (uint32_t k = 0; k < s->n_diff && !e->status; k++) {
    const jet_type *ot = &g->value_types[g->outputs[k]];
    for (uint32_t a = 0; a < s->na && !e->status; a++) {
      const jet_type *jk = &jt[k * s->na + a];
      int32_t slot = p.slot[s->an[a]];
      uint32_t which = s->rev ? (uint32_t)slot : k;
      if (slot < 0 || obds[which] == JET_NOT_BATCHED) {
        res[nr++] = jet_emit_full(e, jk, 0.0);
        continue;
      }
      jet_value v;
      if (s->rev) {
        /* [N] + p_a.shape: the rows of output k. */
        v = jet_batch_at(&b, outs[which], obds[which], 0);
        v = slice_axis(e, v, 0, p.off[k], p.off[k] + p.len[k]);
      } else {
        /* o_k.shape + [N]: the columns of param a. */
        v = jet_batch_at(&b, outs[which], obds[which], ot->rank);
        v = slice_axis(e, v, ot->rank, p.off[slot], p.off[slot] + p.len[slot]);
      }
      if (!e->status && !jet_type_same_shape(jet_emit_type(e, v), jk))
        v = jet_emit_reshape(e, v, jk->dims, jk->rank);
      res[nr++] = v;
    }
  }
  for (uint32_t k = s->n_diff; k < no && !e->status; k++) {
    uint32_t i = (s->rev ? p.n_dp : s->n_diff) + (k - s->n_diff);
    if (obds[i] != JET_NOT_BATCHED)
      jet_emit_fail(e, jet_status_make(JET_INTERNAL, "%s: aux output %u is batched", name, k));
    res[nr++] = outs[i];
  }
finish:
  jet_graph_destroy(inner);
  plan_free(&p);
  free(jt);
  st = jet_emit_finish(e, res, nr, out);
  free(vals);
  free(bds);
  return st;
}

jet_status jet__ad_jac(const jet_graph *g, const jet_transform *t, jet_graph **out) {
  *out = NULL;
  const char *name = jet_transform_name(t->kind);
  JET_RETURN_IF_ERROR(jet_transform_check_holomorphic(t));
  jet_transform tt = *t;
  JET_RETURN_IF_ERROR(
      jet_transform_check_argnums(g->value_types, g->n_params, t, name, &tt.argnums, &tt.n_argnums));
  jac_spec s = {tt.argnums, tt.n_argnums, t->has_aux ? 1 : g->n_outputs, t->kind != JET_TF_JACFWD};
  for (uint32_t k = 0; s.rev && k < s.n_diff; k++)
    JET_RETURN_IF_ERROR(jet_transform_check_float_output(&g->value_types[g->outputs[k]], name, k));
  if (t->kind != JET_TF_HESSIAN) return jac_impl(g, &s, out);
  jet_graph *jr = NULL;
  JET_RETURN_IF_ERROR(jac_impl(g, &s, &jr));
  jac_spec s2 = {tt.argnums, tt.n_argnums, s.n_diff * tt.n_argnums, false};
  jet_status st = jac_impl(jr, &s2, out);
  jet_graph_destroy(jr);
  return st;
}
