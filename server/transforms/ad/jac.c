/* jacfwd, jacrev and hessian, unrolled over a standard basis (until vmap
 * exists).
 *
 * For g with differentiated outputs o_k (has_aux: output 0 only; outputs
 * 1.. are aux, appended unchanged) and params p_a (argnums, empty = {0},
 * duplicates allowed), every transform outputs one array per (output k,
 * argnum a), output-major, of shape o_k.shape + p_a.shape, then the aux
 * outputs:
 *
 * - jacfwd: one primal pass, then one tangent pass (jvp.c) per element i of
 *   each p_a with a one-hot tangent (built as a scalar 1 padded with zeros
 *   to p_a's size and reshaped: two nodes per basis element, no literal of
 *   p_a's size); the output tangents (o_k's shape) are reshaped to
 *   o_k.shape + [1], concatenated along the last axis and reshaped to
 *   o_k.shape + p_a.shape. dtype of o_k. Integer outputs (and integer
 *   params with allow_int) give zeros.
 * - jacrev: one primal pass, then one backward pass (vjp.c) per element j
 *   of each o_k with a one-hot cotangent; the parameter cotangents (p_a's
 *   shape) are reshaped to [1] + p_a.shape, concatenated along axis 0 and
 *   reshaped to o_k.shape + p_a.shape. dtype of p_a. Differentiated outputs
 *   must be float ("jacrev requires real-valued outputs ..."); integer
 *   params with allow_int give zeros.
 * - hessian = jacfwd(jacrev(g)) with the same argnums: per (k, a, b) an
 *   array of shape o_k.shape + p_a.shape + p_b.shape, dtype of p_a.
 *
 * Differentiated params must be float unless allow_int ("jacfwd requires
 * real-valued inputs ..."); holomorphic=true is UNIMPLEMENTED (no complex
 * dtypes). A basis of more than 4096 elements (the sum over the
 * differentiated params for jacfwd, over the differentiated outputs for
 * jacrev) is refused with UNIMPLEMENTED "jacfwd over N input elements needs
 * vmap, which this version lacks; at most 4096 are unrolled". Jacobian ranks
 * above JET_MAX_RANK are INVALID_ARGUMENT. */
#include <stdlib.h>
#include <string.h>

#include "transforms/ad/ad_internal.h"

#define MAX_BASIS 4096

typedef struct jac_spec {
  const int32_t *an;
  uint32_t na;
  uint32_t n_diff; /* outputs 0..n_diff-1 are differentiated, the rest is aux */
  bool rev;
} jac_spec;

static jet_status jac_type(const jet_type *o, const jet_type *p, jet_dtype dt, jet_type *out) {
  int32_t r = o->rank + p->rank;
  if (r > JET_MAX_RANK) {
    char ta[JET_TYPE_STR_MAX], tb[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "the Jacobian of an output of type %s with respect to a parameter "
                           "of type %s would have rank %d, more than the maximum %d",
                           jet_type_str(o, ta, sizeof ta), jet_type_str(p, tb, sizeof tb), (int)r,
                           JET_MAX_RANK);
  }
  memset(out, 0, sizeof *out);
  out->dtype = dt;
  out->rank = r;
  memcpy(out->dims, o->dims, sizeof(int64_t) * (size_t)o->rank);
  memcpy(out->dims + o->rank, p->dims, sizeof(int64_t) * (size_t)p->rank);
  return NULL;
}

/* The one-hot array of type t with a 1 at flat index i. */
static jet_value onehot(jet_emit *e, const jet_type *t, int64_t i) {
  int64_t n = jet_type_numel(t);
  if (n == 1) return jet_emit_full(e, t, 1.0);
  jet_value one = jet_emit_scalar(e, t->dtype, 1.0), zero = jet_emit_scalar(e, t->dtype, 0.0);
  int64_t one_shape[1] = {1};
  jet_value v = jet_emit_reshape(e, one, one_shape, 1);
  int64_t cfg[3] = {i, n - 1 - i, 0};
  jet_attr a = jet_emit_attr_ints("padding_config", cfg, 3);
  jet_value ops[2] = {v, zero};
  v = jet_emit_op(e, JET_OP_PAD, ops, 2, &a, 1);
  if (t->rank == 1) return v;
  return jet_emit_reshape(e, v, t->dims, t->rank);
}

/* Stacks n pieces of type piece_t into an array of type jt: along a new
 * leading axis (front) or a new trailing axis. Zero pieces are
 * materialised once; all-zero gives zeros of jt. */
static jet_value stack(jet_emit *e, const jet_value *pieces, int64_t n, const jet_type *piece_t,
                       bool front, const jet_type *jt) {
  bool any = false;
  for (int64_t i = 0; i < n; i++) any = any || pieces[i] != JET_AD_ZERO;
  if (!any || e->status) return jet_emit_full(e, jt, 0.0);
  if (n == 1) {
    if (jet_type_same_shape(piece_t, jt)) return pieces[0];
    return jet_emit_reshape(e, pieces[0], jt->dims, jt->rank);
  }
  jet_value *ops = malloc(sizeof(jet_value) * (size_t)n);
  if (!ops) {
    jet_emit_fail(e, jet_status_oom("jacobian pieces"));
    return JET_AD_ZERO;
  }
  int64_t shape[JET_MAX_RANK];
  int32_t rank = piece_t->rank + 1;
  if (front) {
    shape[0] = 1;
    memcpy(shape + 1, piece_t->dims, sizeof(int64_t) * (size_t)piece_t->rank);
  } else {
    memcpy(shape, piece_t->dims, sizeof(int64_t) * (size_t)piece_t->rank);
    shape[piece_t->rank] = 1;
  }
  jet_value zero = JET_AD_ZERO;
  for (int64_t i = 0; i < n; i++) {
    jet_value p = pieces[i];
    if (p == JET_AD_ZERO) {
      if (zero == JET_AD_ZERO) zero = jet_emit_full(e, piece_t, 0.0);
      p = zero;
    }
    ops[i] = jet_emit_reshape(e, p, shape, rank);
  }
  jet_attr a = jet_emit_attr_int("dimension", front ? 0 : piece_t->rank);
  jet_value v = jet_emit_op(e, JET_OP_CONCATENATE, ops, (uint32_t)n, &a, 1);
  free(ops);
  if (e->status || jet_type_same_shape(jet_emit_type(e, v), jt)) return v;
  return jet_emit_reshape(e, v, jt->dims, jt->rank);
}

static jet_status jac_impl(const jet_graph *g, const jac_spec *s, jet_graph **out) {
  *out = NULL;
  const char *name = s->rev ? "jacrev" : "jacfwd";
  uint32_t np = g->n_params, no = g->n_outputs;
  /* Types of the Jacobians, basis size. */
  int64_t basis = 0;
  if (s->rev) {
    for (uint32_t k = 0; k < s->n_diff; k++) basis += jet_type_numel(&g->value_types[g->outputs[k]]);
  } else {
    for (uint32_t a = 0; a < s->na; a++) {
      const jet_type *pt = &g->value_types[s->an[a]];
      if (jet_dtype_is_float(pt->dtype)) basis += jet_type_numel(pt);
    }
  }
  if (basis > MAX_BASIS)
    return jet_status_make(JET_UNIMPLEMENTED,
                           "%s over %lld %s elements needs vmap, which this version lacks; at most "
                           "%d are unrolled",
                           name, (long long)basis, s->rev ? "output" : "input", MAX_BASIS);
  size_t nj = (size_t)s->n_diff * s->na;
  jet_type *jt = malloc(sizeof(jet_type) * (nj ? nj : 1));
  if (!jt) return jet_status_oom("jacobian types");
  for (uint32_t k = 0; k < s->n_diff; k++) {
    const jet_type *ot = &g->value_types[g->outputs[k]];
    for (uint32_t a = 0; a < s->na; a++) {
      const jet_type *pt = &g->value_types[s->an[a]];
      jet_status st = jac_type(ot, pt, s->rev ? pt->dtype : ot->dtype, &jt[k * s->na + a]);
      if (st) {
        free(jt);
        return st;
      }
    }
  }
  jet_emit e;
  jet_status st0 = jet_emit_start(g, name, NULL, 0, &e);
  if (st0) {
    free(jt);
    return st0;
  }
  /* pieces[(k * na + a) * basis_of(k or a) + i] */
  size_t n_pieces = (size_t)(basis ? basis : 1) * (s->rev ? s->na : s->n_diff) + 1;
  jet_value *pieces = malloc(sizeof(jet_value) * n_pieces);
  jet_value *vals = malloc(sizeof(jet_value) * (3 * (size_t)np + 3 * (size_t)no + nj + 1));
  bool *wrt = calloc(np ? np : 1, sizeof(bool));
  size_t *off = malloc(sizeof(size_t) * (nj ? nj : 1));
  jet__ad_fwd f = {0};
  bool fwd_ok = false;
  if (!pieces || !vals || !wrt || !off) {
    jet_emit_fail(&e, jet_status_oom("jacobian values"));
    goto finish;
  }
  for (size_t i = 0; i < n_pieces; i++) pieces[i] = JET_AD_ZERO;
  jet_value *primals = vals, *seeds = vals + np, *res_in = seeds + np + no, *res_out = res_in + np,
            *res = res_out + no;
  for (uint32_t p = 0; p < np; p++) primals[p] = p;
  for (uint32_t a = 0; a < s->na; a++) wrt[s->an[a]] = true;
  fwd_ok = jet__ad_forward(&e, g, primals, s->rev ? wrt : NULL, &f);
  if (!fwd_ok) goto finish;
  size_t pos = 0;
  if (s->rev) {
    /* Per output k, argnum a: M_k pieces. */
    for (uint32_t k = 0; k < s->n_diff; k++)
      for (uint32_t a = 0; a < s->na; a++) {
        off[k * s->na + a] = pos;
        pos += (size_t)jet_type_numel(&g->value_types[g->outputs[k]]);
      }
    for (uint32_t k = 0; k < no; k++) seeds[k] = JET_AD_ZERO;
    for (uint32_t k = 0; k < s->n_diff && !e.status; k++) {
      const jet_type *ot = &g->value_types[g->outputs[k]];
      int64_t m = jet_type_numel(ot);
      for (int64_t j = 0; j < m && !e.status; j++) {
        seeds[k] = onehot(&e, ot, j);
        jet__ad_backward(&e, &f, seeds, res_in);
        for (uint32_t a = 0; a < s->na; a++) pieces[off[k * s->na + a] + (size_t)j] = res_in[s->an[a]];
      }
      seeds[k] = JET_AD_ZERO;
    }
  } else {
    /* Per output k, argnum a: N_a pieces (none for integer params). */
    for (uint32_t k = 0; k < s->n_diff; k++)
      for (uint32_t a = 0; a < s->na; a++) {
        off[k * s->na + a] = pos;
        const jet_type *pt = &g->value_types[s->an[a]];
        if (jet_dtype_is_float(pt->dtype)) pos += (size_t)jet_type_numel(pt);
      }
    for (uint32_t p = 0; p < np; p++) seeds[p] = JET_AD_ZERO;
    for (uint32_t a = 0; a < s->na && !e.status; a++) {
      const jet_type *pt = &g->value_types[s->an[a]];
      if (!jet_dtype_is_float(pt->dtype)) continue;
      int64_t n = jet_type_numel(pt);
      for (int64_t i = 0; i < n && !e.status; i++) {
        seeds[s->an[a]] = onehot(&e, pt, i);
        jet__ad_tangents(&e, &f, seeds, res_out);
        for (uint32_t k = 0; k < s->n_diff; k++) pieces[off[k * s->na + a] + (size_t)i] = res_out[k];
      }
      seeds[s->an[a]] = JET_AD_ZERO;
    }
  }
  uint32_t nr = 0;
  for (uint32_t k = 0; k < s->n_diff && !e.status; k++) {
    const jet_type *ot = &g->value_types[g->outputs[k]];
    for (uint32_t a = 0; a < s->na; a++) {
      const jet_type *pt = &g->value_types[s->an[a]];
      size_t idx = (size_t)k * s->na + a;
      int64_t n = s->rev ? jet_type_numel(ot) : (jet_dtype_is_float(pt->dtype) ? jet_type_numel(pt) : 0);
      res[nr++] = stack(&e, pieces + off[idx], n, s->rev ? pt : ot, s->rev, &jt[idx]);
    }
  }
  for (uint32_t k = s->n_diff; k < no; k++) res[nr++] = f.vmap[g->outputs[k]];
  jet__ad_fwd_free(&f);
  free(pieces);
  free(wrt);
  free(off);
  free(jt);
  jet_status st = jet_emit_finish(&e, res, nr, out);
  free(vals);
  return st;
finish:
  if (fwd_ok) jet__ad_fwd_free(&f);
  free(pieces);
  free(wrt);
  free(off);
  free(jt);
  free(vals);
  return jet_emit_finish(&e, NULL, 0, out);
}

jet_status jet__ad_jac(const jet_graph *g, const jet_transform *t, jet_graph **out) {
  *out = NULL;
  const char *name = jet_transform_name(t->kind);
  if (t->holomorphic)
    return jet_status_make(JET_UNIMPLEMENTED, "holomorphic=True needs complex dtypes, which jet "
                                              "does not have");
  static const int32_t zero = 0;
  jet_transform tt = *t;
  if (!tt.n_argnums) {
    tt.n_argnums = 1;
    tt.argnums = &zero;
    tt.argnums_tuple = false;
  }
  JET_RETURN_IF_ERROR(jet__ad_check_argnums(g, &tt));
  JET_RETURN_IF_ERROR(jet__ad_check_inputs(g, &tt, name));
  jac_spec s = {tt.argnums, tt.n_argnums, t->has_aux ? 1 : g->n_outputs, t->kind != JET_TF_JACFWD};
  for (uint32_t k = 0; s.rev && k < s.n_diff; k++) {
    jet_dtype d = g->value_types[g->outputs[k]].dtype;
    if (!jet_dtype_is_float(d))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s requires real-valued outputs (output dtype that is a sub-dtype of "
                             "np.floating), but got %s for output %u. For differentiation of "
                             "functions with integer outputs, use vjp directly.",
                             name, jet_dtype_name(d), k);
  }
  if (t->kind != JET_TF_HESSIAN) return jac_impl(g, &s, out);
  jet_graph *jr = NULL;
  JET_RETURN_IF_ERROR(jac_impl(g, &s, &jr));
  jac_spec s2 = {tt.argnums, tt.n_argnums, s.n_diff * tt.n_argnums, false};
  jet_status st = jac_impl(jr, &s2, out);
  jet_graph_destroy(jr);
  return st;
}
