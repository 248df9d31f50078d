/* Type rule of transformed functions: the parameter and output types a
 * graph has after grad, value_and_grad, jvp, vjp, jacfwd, jacrev, hessian or
 * vmap, with the conventions of server/transforms/ad/ad.h and
 * server/transforms/batch/batch.h and the checks (and messages) of the
 * server's drivers, so clients and the call rule know the result types
 * without asking the daemon.
 *
 *   grad            params        -> (grad per argnum..., aux...)
 *   value_and_grad  params        -> (value, aux..., grad per argnum...)
 *   jvp             (p..., t...)  -> (outs..., tangent per output...)
 *                   has_aux: outs (out0, tangent0, aux...)
 *   vjp             (p..., ct per differentiated output...)
 *                                 -> (outs..., cotangent per param...)
 *   jacfwd/jacrev   params        -> (jac per (output k, argnum a)..., aux...)
 *                   shape out_k.shape + param_a.shape
 *   hessian         params        -> (per (output k, argnum a, argnum b)...,
 *                   aux...), shape out_k.shape + param_a.shape + param_b.shape
 *   vmap            params with the batch dimension inserted at each mapped
 *                   in_axis -> outputs with it at each int out_axis
 *                   (transform_vmap.c)
 *   pmap            like vmap (the mapped axis of size axis_size inserted at
 *                   each mapped in_axis, outputs stacked at each int
 *                   out_axis; None = member 0's output, type unchanged);
 *                   static_broadcasted_argnums are not mapped
 *                   (transform_vmap.c, pmap's messages)
 *
 * With has_aux only output 0 is differentiated; outputs 1.. are aux. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer_internal.h"

typedef struct sig {
  jet_type *p, *o;
  uint32_t np, no;
} sig;

static const int32_t k_default_argnum = 0;

/* "[3]", "[2,3]" from a type. */
static const char *shape_str(const jet_type *t, char *buf, size_t cap) {
  char full[JET_TYPE_STR_MAX];
  jet_type_str(t, full, sizeof full);
  const char *s = strchr(full, '[');
  snprintf(buf, cap, "%s", s ? s : "[]");
  return buf;
}

static jet_status too_many(const char *what, uint64_t n, uint32_t cap) {
  return jet_status_make(JET_INVALID_ARGUMENT,
                         "the transformed function would have %" PRIu64 " %s, more than %" PRIu32,
                         n, what, cap);
}

jet_status jet_jacobian_type(jet_dtype dt, const jet_type *a, const jet_type *b,
                             const jet_type *c, jet_type *out) {
  int32_t r = a->rank + b->rank + (c ? c->rank : 0);
  if (r > JET_MAX_RANK) {
    char ta[JET_TYPE_STR_MAX], tb[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "the Jacobian of an output of type %s with respect to a parameter "
                           "of type %s would have rank %d, more than the maximum %d",
                           jet_type_str(a, ta, sizeof ta), jet_type_str(b, tb, sizeof tb), (int)r,
                           JET_MAX_RANK);
  }
  memset(out, 0, sizeof *out);
  out->dtype = dt;
  out->rank = r;
  int32_t k = 0;
  for (int32_t i = 0; i < a->rank; i++) out->dims[k++] = a->dims[i];
  for (int32_t i = 0; i < b->rank; i++) out->dims[k++] = b->dims[i];
  for (int32_t i = 0; c && i < c->rank; i++) out->dims[k++] = c->dims[i];
  return NULL;
}

/* "2" or "(0, 2)" as the caller gave argnums (JAX's wording). */
static const char *argnums_str(const jet_transform *t, int32_t bad, char *buf, size_t cap) {
  if (!t->argnums_tuple || t->n_argnums == 0) {
    snprintf(buf, cap, "%d", (int)bad);
    return buf;
  }
  size_t len = (size_t)snprintf(buf, cap, "(");
  for (uint32_t i = 0; i < t->n_argnums && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%d", i ? ", " : "", (int)t->argnums[i]);
  if (len < cap) snprintf(buf + len, cap - len, t->n_argnums == 1 ? ",)" : ")");
  return buf;
}

jet_status jet_transform_check_argnums(const jet_type *params, uint32_t n_params,
                                      const jet_transform *t, const char *name,
                                      const int32_t **argnums, uint32_t *n) {
  *argnums = t->n_argnums ? t->argnums : &k_default_argnum;
  *n = t->n_argnums ? t->n_argnums : 1;
  int32_t max = 0;
  char buf[256];
  for (uint32_t i = 0; i < *n; i++) {
    int32_t a = (*argnums)[i];
    if (a < 0)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "argnums=%s: negative argnums are not supported; name parameters "
                             "by their index 0..%" PRIu32,
                             argnums_str(t, a, buf, sizeof buf), n_params ? n_params - 1 : 0);
    if (a > max) max = a;
  }
  if ((uint32_t)max >= n_params)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "differentiating with respect to argnums=%s requires at least %" PRId64
                           " positional arguments to be passed by the caller, but got only "
                           "%" PRIu32 " positional arguments.",
                           argnums_str(t, max, buf, sizeof buf), (int64_t)max + 1, n_params);
  for (uint32_t i = 0; i < *n && !t->allow_int; i++) {
    const jet_type *p = &params[(*argnums)[i]];
    if (!jet_dtype_is_float(p->dtype))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s requires real-valued inputs (input dtype that is a sub-dtype of "
                             "np.inexact), but got %s for argument %d. If you want to use "
                             "Boolean- or integer-valued inputs, use vjp or set allow_int to True.",
                             name, jet_dtype_name(p->dtype), (int)(*argnums)[i]);
  }
  return NULL;
}

jet_status jet_transform_check_holomorphic(const jet_transform *t) {
  if (!t->holomorphic) return NULL;
  return jet_status_make(JET_UNIMPLEMENTED,
                         "holomorphic=True needs complex dtypes, which jet does not have");
}

/* The differentiated outputs must be float (grad; jacrev and hessian name
 * the output). */
jet_status jet_transform_check_float_output(const jet_type *o, const char *name, int64_t k) {
  if (jet_dtype_is_float(o->dtype)) return NULL;
  char which[48] = "";
  if (k >= 0) snprintf(which, sizeof which, " for output %" PRId64, k);
  return jet_status_make(JET_INVALID_ARGUMENT,
                         "%s requires real-valued outputs (output dtype that is a sub-dtype of "
                         "np.floating), but got %s%s. For differentiation of functions with "
                         "integer outputs, use vjp directly.",
                         name, jet_dtype_name(o->dtype), which);
}

jet_status jet_transform_check_grad_output(const jet_type *out0, uint32_t n_outs,
                                          const jet_transform *t) {
  if (out0->rank != 0) {
    char sh[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "Gradient only defined for scalar-output functions. Output had shape: "
                           "%s. To get the gradient, reduce the output to a scalar (reduce_sum), "
                           "or use jacrev or jacfwd to differentiate a function with a "
                           "non-scalar output.",
                           shape_str(out0, sh, sizeof sh));
  }
  if (!t->has_aux && n_outs != 1)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "Gradient only defined for scalar-output functions. The function has "
                           "%" PRIu32 " outputs; use has_aux to return auxiliary outputs.",
                           n_outs);
  return jet_transform_check_float_output(out0, "grad", -1);
}

static jet_status apply_grad(const sig *s, const jet_transform *t, sig *d, uint32_t cap) {
  const char *name = "grad";
  JET_RETURN_IF_ERROR(jet_transform_check_holomorphic(t));
  if (s->no == 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s of a function without outputs", name);
  JET_RETURN_IF_ERROR(jet_transform_check_grad_output(&s->o[0], s->no, t));
  const int32_t *an;
  uint32_t na;
  JET_RETURN_IF_ERROR(jet_transform_check_argnums(s->p, s->np, t, name, &an, &na));
  uint32_t naux = t->has_aux ? s->no - 1 : 0;
  bool vag = t->kind == JET_TF_VALUE_AND_GRAD;
  uint64_t total = (uint64_t)na + naux + (vag ? 1 : 0);
  if (total > cap) return too_many("outputs", total, cap);
  memcpy(d->p, s->p, s->np * sizeof *d->p);
  d->np = s->np;
  uint32_t k = 0;
  if (vag) d->o[k++] = s->o[0];
  if (vag)
    for (uint32_t i = 0; i < naux; i++) d->o[k++] = s->o[1 + i];
  for (uint32_t i = 0; i < na; i++) d->o[k++] = s->p[an[i]];
  if (!vag)
    for (uint32_t i = 0; i < naux; i++) d->o[k++] = s->o[1 + i];
  d->no = k;
  return NULL;
}

static jet_status apply_jvp(const sig *s, const jet_transform *t, sig *d, uint32_t cap) {
  if (t->has_aux && s->no == 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "jvp with has_aux of a function without outputs");
  uint32_t ndiff = t->has_aux ? 1 : s->no;
  if ((uint64_t)s->np * 2 > cap) return too_many("parameters", (uint64_t)s->np * 2, cap);
  if ((uint64_t)s->no + ndiff > cap) return too_many("outputs", (uint64_t)s->no + ndiff, cap);
  memcpy(d->p, s->p, s->np * sizeof *d->p);
  memcpy(d->p + s->np, s->p, s->np * sizeof *d->p);
  d->np = s->np * 2;
  uint32_t k = 0;
  if (t->has_aux) {
    d->o[k++] = s->o[0];
    d->o[k++] = s->o[0];
    for (uint32_t i = 1; i < s->no; i++) d->o[k++] = s->o[i];
  } else {
    for (uint32_t i = 0; i < s->no; i++) d->o[k++] = s->o[i];
    for (uint32_t i = 0; i < s->no; i++) d->o[k++] = s->o[i];
  }
  d->no = k;
  return NULL;
}

static jet_status apply_vjp(const sig *s, const jet_transform *t, sig *d, uint32_t cap) {
  if (t->has_aux && s->no == 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "vjp with has_aux of a function without outputs");
  uint32_t ndiff = t->has_aux ? 1 : s->no;
  if ((uint64_t)s->np + ndiff > cap) return too_many("parameters", (uint64_t)s->np + ndiff, cap);
  if ((uint64_t)s->no + s->np > cap) return too_many("outputs", (uint64_t)s->no + s->np, cap);
  memcpy(d->p, s->p, s->np * sizeof *d->p);
  memcpy(d->p + s->np, s->o, ndiff * sizeof *d->p);
  d->np = s->np + ndiff;
  memcpy(d->o, s->o, s->no * sizeof *d->o);
  memcpy(d->o + s->no, s->p, s->np * sizeof *d->o);
  d->no = s->no + s->np;
  return NULL;
}

/* jacfwd, jacrev, hessian. */
static jet_status apply_jac(const sig *s, const jet_transform *t, sig *d, uint32_t cap) {
  const char *name = jet_transform_name(t->kind);
  JET_RETURN_IF_ERROR(jet_transform_check_holomorphic(t));
  if (s->no == 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s of a function without outputs", name);
  uint32_t ndiff = t->has_aux ? 1 : s->no;
  uint32_t naux = s->no - ndiff;
  const int32_t *an;
  uint32_t na;
  JET_RETURN_IF_ERROR(jet_transform_check_argnums(s->p, s->np, t, name, &an, &na));
  bool rev = t->kind != JET_TF_JACFWD;
  for (uint32_t k = 0; rev && k < ndiff; k++)
    JET_RETURN_IF_ERROR(jet_transform_check_float_output(&s->o[k], name, k));
  uint64_t per = t->kind == JET_TF_HESSIAN ? (uint64_t)na * na : na;
  uint64_t total = (uint64_t)ndiff * per + naux;
  if (total > cap) return too_many("outputs", total, cap);
  memcpy(d->p, s->p, s->np * sizeof *d->p);
  d->np = s->np;
  uint32_t n = 0;
  for (uint32_t k = 0; k < ndiff; k++) {
    for (uint32_t i = 0; i < na; i++) {
      const jet_type *pa = &s->p[an[i]];
      if (t->kind == JET_TF_HESSIAN) {
        for (uint32_t j = 0; j < na; j++)
          JET_RETURN_IF_ERROR(jet_jacobian_type(pa->dtype, &s->o[k], pa, &s->p[an[j]], &d->o[n++]));
      } else {
        jet_dtype dt = rev ? pa->dtype : s->o[k].dtype;
        JET_RETURN_IF_ERROR(jet_jacobian_type(dt, &s->o[k], pa, NULL, &d->o[n++]));
      }
    }
  }
  for (uint32_t i = 0; i < naux; i++) d->o[n++] = s->o[ndiff + i];
  d->no = n;
  return NULL;
}

/* vmap and pmap (transform_vmap.c): parameter and output counts are
 * unchanged. */
static jet_status apply_vmap(const sig *s, const jet_transform *tf, uint32_t n_tf, uint32_t i,
                             const jet_type *args, uint32_t n_args, sig *d, int64_t *size) {
  JET_RETURN_IF_ERROR(
      jet__transform_vmap(s->p, s->np, s->o, s->no, tf, n_tf, i, args, n_args, d->p, d->o, size));
  d->np = s->np;
  d->no = s->no;
  return NULL;
}

static jet_status apply_one(const sig *s, const jet_transform *tf, uint32_t n_tf, uint32_t i,
                            const jet_type *args, uint32_t n_args, sig *d, uint32_t cap,
                            int64_t *size) {
  const jet_transform *t = &tf[i];
  switch (t->kind) {
    case JET_TF_GRAD:
    case JET_TF_VALUE_AND_GRAD: return apply_grad(s, t, d, cap);
    case JET_TF_JVP: return apply_jvp(s, t, d, cap);
    case JET_TF_VJP: return apply_vjp(s, t, d, cap);
    case JET_TF_JACFWD:
    case JET_TF_JACREV:
    case JET_TF_HESSIAN: return apply_jac(s, t, d, cap);
    case JET_TF_VMAP:
    case JET_TF_PMAP: return apply_vmap(s, tf, n_tf, i, args, n_args, d, size);
  }
  return jet_status_make(JET_INVALID_ARGUMENT, "invalid transform kind %d", (int)t->kind);
}

jet_status jet_transform_signature(const jet_type *params, uint32_t n_params,
                                   const jet_type *outs, uint32_t n_outs,
                                   const jet_transform *tf, uint32_t n_tf, jet_type *new_params,
                                   uint32_t *n_new_params, jet_type *new_outs,
                                   uint32_t *n_new_outs, uint32_t cap) {
  return jet_transform_signature_args(params, n_params, outs, n_outs, tf, n_tf, NULL, 0,
                                      new_params, n_new_params, new_outs, n_new_outs, cap, NULL);
}

jet_status jet_transform_signature_args(const jet_type *params, uint32_t n_params,
                                        const jet_type *outs, uint32_t n_outs,
                                        const jet_transform *tf, uint32_t n_tf,
                                        const jet_type *arg_types, uint32_t n_args,
                                        jet_type *new_params, uint32_t *n_new_params,
                                        jet_type *new_outs, uint32_t *n_new_outs, uint32_t cap,
                                        int64_t *axis_sizes) {
  *n_new_params = 0;
  for (uint32_t i = 0; axis_sizes && i < n_tf; i++) axis_sizes[i] = 0;
  *n_new_outs = 0;
  if (n_params > cap || n_outs > cap)
    return too_many(n_params > cap ? "parameters" : "outputs",
                    n_params > cap ? n_params : n_outs, cap);
  size_t sz = (size_t)(cap ? cap : 1) * sizeof(jet_type);
  jet_type *buf = malloc(4 * sz);
  if (!buf) return jet_status_oom("transform signature");
  sig a = {buf, buf + cap, n_params, n_outs};
  sig b = {buf + 2 * (size_t)cap, buf + 3 * (size_t)cap, 0, 0};
  if (n_params) memcpy(a.p, params, n_params * sizeof *params);
  if (n_outs) memcpy(a.o, outs, n_outs * sizeof *outs);
  jet_status st = NULL;
  for (uint32_t i = 0; i < n_tf && !st; i++) {
    int64_t size = 0;
    st = apply_one(&a, tf, n_tf, i, arg_types, n_args, &b, cap, &size);
    if (!st && axis_sizes) axis_sizes[i] = size;
    if (st) {
      st = jet_status_annotate(st, "transforms[%" PRIu32 "] (%s): ", i,
                               jet_transform_name(tf[i].kind));
      break;
    }
    sig tmp = a;
    a = b;
    b = tmp;
  }
  if (!st) {
    if (a.np) memcpy(new_params, a.p, a.np * sizeof *a.p);
    if (a.no) memcpy(new_outs, a.o, a.no * sizeof *a.o);
    *n_new_params = a.np;
    *n_new_outs = a.no;
  }
  free(buf);
  return st;
}
