/* Transforms (grad, vmap, ...) to and from jet.v1.Transform. Decoding checks
 * the ranges of every field and names it in errors, e.g.
 * "compile.transforms[0].grad.argnums[1]: must be >= 0, got -1". */
#include <stdio.h>
#include <string.h>

#include "jet/protoconv.h"

/* A mapped axis may name any position of an array of rank up to
 * JET_MAX_RANK, counted from either end, plus one (out_axes insert a dim). */
#define AXIS_LIMIT (JET_MAX_RANK + 1)
#define LIST_LIMIT (1u << 20)

static jet_status check_count(size_t n, const char *field, const char *name) {
  if (n > LIST_LIMIT)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.%s: %zu entries exceed the limit of %u",
                           field, name, n, LIST_LIMIT);
  return NULL;
}

static jet_status copy_argnums(const int32_t *src, size_t n, const char *field, const char *name,
                               jet_arena *arena, const int32_t **out, uint32_t *n_out) {
  JET_RETURN_IF_ERROR(check_count(n, field, name));
  *out = NULL;
  *n_out = 0;
  if (n == 0) return NULL;
  for (size_t i = 0; i < n; i++)
    if (src[i] < 0)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s.%s[%zu]: must be >= 0, got %d", field,
                             name, i, (int)src[i]);
  int32_t *v = jet_arena_memdup(arena, src, n * sizeof *src);
  if (v == NULL) return jet_status_oom("transform argnums");
  *out = v;
  *n_out = (uint32_t)n;
  return NULL;
}

static jet_status copy_axes(Jet__V1__AxisSpec *const *src, size_t n, const char *field,
                            const char *name, jet_arena *arena, const jet_axis_spec **out,
                            uint32_t *n_out) {
  JET_RETURN_IF_ERROR(check_count(n, field, name));
  *out = NULL;
  *n_out = 0;
  if (n == 0) return NULL;
  jet_axis_spec *v = jet_arena_calloc(arena, n, sizeof *v);
  if (v == NULL) return jet_status_oom("transform axes");
  for (size_t i = 0; i < n; i++) {
    if (src[i] == NULL)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s.%s[%zu]: missing", field, name, i);
    v[i].mapped = src[i]->mapped;
    v[i].axis = src[i]->mapped ? src[i]->axis : 0;
    if (src[i]->mapped && (src[i]->axis < -AXIS_LIMIT || src[i]->axis > AXIS_LIMIT))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s.%s[%zu].axis: %d is out of range [%d, %d]", field, name, i,
                             (int)src[i]->axis, -AXIS_LIMIT, AXIS_LIMIT);
  }
  *out = v;
  *n_out = (uint32_t)n;
  return NULL;
}

static jet_status copy_string(const char *s, jet_arena *arena, const char **out) {
  *out = jet_arena_strdup(arena, s ? s : "");
  return *out ? NULL : jet_status_oom("transform string");
}

static jet_status check_axis_size(int64_t v, const char *field) {
  if (v < 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.axis_size: must be >= 0, got %lld", field,
                           (long long)v);
  return NULL;
}

/* The grad family (grad, value_and_grad, jacfwd, jacrev, hessian): five
 * messages with the same fields in the same order. */
static jet_status grad_missing(const char *field, const char *name) {
  return jet_status_make(JET_INVALID_ARGUMENT, "%s.%s: missing", field, name);
}

static jet_status grad_from(const int32_t *argnums, size_t n_argnums, bool tuple, bool has_aux,
                            bool holomorphic, bool allow_int, jet_transform_kind kind,
                            const char *field, const char *name, jet_arena *arena,
                            jet_transform *out) {
  char f[512];
  snprintf(f, sizeof f, "%s.%s", field, name);
  out->kind = kind;
  JET_RETURN_IF_ERROR(copy_argnums(argnums, n_argnums, f, "argnums", arena, &out->argnums,
                                   &out->n_argnums));
  out->argnums_tuple = tuple;
  out->has_aux = has_aux;
  out->holomorphic = holomorphic;
  out->allow_int = allow_int;
  return NULL;
}

#define GRAD_FROM(m, kind, name)                                                            \
  grad_from((m)->argnums, (m)->n_argnums, (m)->argnums_tuple, (m)->has_aux, (m)->holomorphic, \
            (m)->allow_int, kind, field, name, arena, out)

jet_status jet_transform_from_proto(const Jet__V1__Transform *pb, const char *field,
                                    jet_arena *arena, jet_transform *out) {
  memset(out, 0, sizeof *out);
  out->axis_name = "";
  out->spmd_axis_name = "";
  if (pb == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s: transform is missing", field);
  char f[512];
  switch (pb->kind_case) {
    case JET__V1__TRANSFORM__KIND_GRAD:
      if (pb->grad == NULL) return grad_missing(field, "grad");
      return GRAD_FROM(pb->grad, JET_TF_GRAD, "grad");
    case JET__V1__TRANSFORM__KIND_VALUE_AND_GRAD:
      if (pb->value_and_grad == NULL) return grad_missing(field, "value_and_grad");
      return GRAD_FROM(pb->value_and_grad, JET_TF_VALUE_AND_GRAD, "value_and_grad");
    case JET__V1__TRANSFORM__KIND_JACFWD:
      if (pb->jacfwd == NULL) return grad_missing(field, "jacfwd");
      return GRAD_FROM(pb->jacfwd, JET_TF_JACFWD, "jacfwd");
    case JET__V1__TRANSFORM__KIND_JACREV:
      if (pb->jacrev == NULL) return grad_missing(field, "jacrev");
      return GRAD_FROM(pb->jacrev, JET_TF_JACREV, "jacrev");
    case JET__V1__TRANSFORM__KIND_HESSIAN:
      if (pb->hessian == NULL) return grad_missing(field, "hessian");
      return GRAD_FROM(pb->hessian, JET_TF_HESSIAN, "hessian");
    case JET__V1__TRANSFORM__KIND_JVP:
      if (pb->jvp == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s.jvp: missing", field);
      out->kind = JET_TF_JVP;
      out->has_aux = pb->jvp->has_aux;
      return NULL;
    case JET__V1__TRANSFORM__KIND_VJP:
      if (pb->vjp == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s.vjp: missing", field);
      out->kind = JET_TF_VJP;
      out->has_aux = pb->vjp->has_aux;
      return NULL;
    case JET__V1__TRANSFORM__KIND_VMAP: {
      const Jet__V1__VmapTransform *v = pb->vmap;
      snprintf(f, sizeof f, "%s.vmap", field);
      if (v == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s: missing", f);
      out->kind = JET_TF_VMAP;
      JET_RETURN_IF_ERROR(copy_axes(v->in_axes, v->n_in_axes, f, "in_axes", arena, &out->in_axes,
                                    &out->n_in_axes));
      JET_RETURN_IF_ERROR(copy_axes(v->out_axes, v->n_out_axes, f, "out_axes", arena,
                                    &out->out_axes, &out->n_out_axes));
      JET_RETURN_IF_ERROR(check_axis_size(v->axis_size, f));
      out->axis_size = v->axis_size;
      JET_RETURN_IF_ERROR(copy_string(v->axis_name, arena, &out->axis_name));
      return copy_string(v->spmd_axis_name, arena, &out->spmd_axis_name);
    }
    case JET__V1__TRANSFORM__KIND_PMAP: {
      const Jet__V1__PmapTransform *p = pb->pmap;
      snprintf(f, sizeof f, "%s.pmap", field);
      if (p == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s: missing", f);
      out->kind = JET_TF_PMAP;
      JET_RETURN_IF_ERROR(copy_string(p->axis_name, arena, &out->axis_name));
      JET_RETURN_IF_ERROR(copy_axes(p->in_axes, p->n_in_axes, f, "in_axes", arena, &out->in_axes,
                                    &out->n_in_axes));
      JET_RETURN_IF_ERROR(copy_axes(p->out_axes, p->n_out_axes, f, "out_axes", arena,
                                    &out->out_axes, &out->n_out_axes));
      JET_RETURN_IF_ERROR(copy_argnums(p->static_broadcasted_argnums,
                                       p->n_static_broadcasted_argnums, f,
                                       "static_broadcasted_argnums", arena,
                                       &out->static_broadcasted_argnums, &out->n_static_argnums));
      JET_RETURN_IF_ERROR(check_count(p->n_devices, f, "devices"));
      if (p->n_devices) {
        uint32_t *d = jet_arena_memdup(arena, p->devices, p->n_devices * sizeof *d);
        if (d == NULL) return jet_status_oom("transform devices");
        out->devices = d;
        out->n_devices = (uint32_t)p->n_devices;
      }
      JET_RETURN_IF_ERROR(check_axis_size(p->axis_size, f));
      out->axis_size = p->axis_size;
      return copy_argnums(p->donate_argnums, p->n_donate_argnums, f, "donate_argnums", arena,
                          &out->donate_argnums, &out->n_donate_argnums);
    }
    case JET__V1__TRANSFORM__KIND__NOT_SET:
    default:
      return jet_status_make(JET_INVALID_ARGUMENT, "%s: transform kind is not set (%d)", field,
                             (int)pb->kind_case);
  }
}

/* Arena copies for the encoder (NULL stays NULL). */
static void *dup_or_null(jet_arena *a, const void *p, size_t bytes, bool *oom) {
  if (p == NULL || bytes == 0) return NULL;
  void *d = jet_arena_memdup(a, p, bytes);
  if (d == NULL) *oom = true;
  return d;
}

static Jet__V1__AxisSpec **axes_to_proto(jet_arena *a, const jet_axis_spec *v, uint32_t n,
                                         bool *oom) {
  if (n == 0) return NULL;
  Jet__V1__AxisSpec **arr = jet_arena_calloc(a, n, sizeof *arr);
  Jet__V1__AxisSpec *items = jet_arena_calloc(a, n, sizeof *items);
  if (arr == NULL || items == NULL) {
    *oom = true;
    return NULL;
  }
  for (uint32_t i = 0; i < n; i++) {
    Jet__V1__AxisSpec init = JET__V1__AXIS_SPEC__INIT;
    items[i] = init;
    items[i].mapped = v[i].mapped;
    items[i].axis = v[i].mapped ? v[i].axis : 0;
    arr[i] = &items[i];
  }
  return arr;
}

static char *str_to_proto(jet_arena *a, const char *s, bool *oom) {
  char *d = jet_arena_strdup(a, s ? s : "");
  if (d == NULL) *oom = true;
  return d;
}

/* Fills one message of the grad family from t (same fields in every one). */
#define GRAD_TO(Type, INIT, CASE, member)                                                   \
  do {                                                                                      \
    Type *g_ = jet_arena_alloc(arena, sizeof *g_);                                          \
    if (g_ == NULL) return jet_status_oom(#Type);                                           \
    Type gi_ = INIT;                                                                        \
    *g_ = gi_;                                                                              \
    g_->n_argnums = t->n_argnums;                                                           \
    g_->argnums = dup_or_null(arena, t->argnums, t->n_argnums * sizeof(int32_t), &oom);     \
    g_->argnums_tuple = t->argnums_tuple;                                                   \
    g_->has_aux = t->has_aux;                                                               \
    g_->holomorphic = t->holomorphic;                                                       \
    g_->allow_int = t->allow_int;                                                           \
    out->kind_case = JET__V1__TRANSFORM__KIND_##CASE;                                       \
    out->member = g_;                                                                       \
  } while (0)

jet_status jet_transform_to_proto(const jet_transform *t, jet_arena *arena,
                                  Jet__V1__Transform *out) {
  Jet__V1__Transform init = JET__V1__TRANSFORM__INIT;
  *out = init;
  bool oom = false;
  switch (t->kind) {
    case JET_TF_GRAD:
      GRAD_TO(Jet__V1__GradTransform, JET__V1__GRAD_TRANSFORM__INIT, GRAD, grad);
      break;
    case JET_TF_VALUE_AND_GRAD:
      GRAD_TO(Jet__V1__ValueAndGradTransform, JET__V1__VALUE_AND_GRAD_TRANSFORM__INIT,
              VALUE_AND_GRAD, value_and_grad);
      break;
    case JET_TF_JACFWD:
      GRAD_TO(Jet__V1__JacfwdTransform, JET__V1__JACFWD_TRANSFORM__INIT, JACFWD, jacfwd);
      break;
    case JET_TF_JACREV:
      GRAD_TO(Jet__V1__JacrevTransform, JET__V1__JACREV_TRANSFORM__INIT, JACREV, jacrev);
      break;
    case JET_TF_HESSIAN:
      GRAD_TO(Jet__V1__HessianTransform, JET__V1__HESSIAN_TRANSFORM__INIT, HESSIAN, hessian);
      break;
    case JET_TF_JVP: {
      Jet__V1__JvpTransform *j = jet_arena_alloc(arena, sizeof *j);
      if (j == NULL) return jet_status_oom("JvpTransform");
      Jet__V1__JvpTransform ji = JET__V1__JVP_TRANSFORM__INIT;
      *j = ji;
      j->has_aux = t->has_aux;
      out->kind_case = JET__V1__TRANSFORM__KIND_JVP;
      out->jvp = j;
      break;
    }
    case JET_TF_VJP: {
      Jet__V1__VjpTransform *j = jet_arena_alloc(arena, sizeof *j);
      if (j == NULL) return jet_status_oom("VjpTransform");
      Jet__V1__VjpTransform ji = JET__V1__VJP_TRANSFORM__INIT;
      *j = ji;
      j->has_aux = t->has_aux;
      out->kind_case = JET__V1__TRANSFORM__KIND_VJP;
      out->vjp = j;
      break;
    }
    case JET_TF_VMAP: {
      Jet__V1__VmapTransform *v = jet_arena_alloc(arena, sizeof *v);
      if (v == NULL) return jet_status_oom("VmapTransform");
      Jet__V1__VmapTransform vi = JET__V1__VMAP_TRANSFORM__INIT;
      *v = vi;
      v->n_in_axes = t->n_in_axes;
      v->in_axes = axes_to_proto(arena, t->in_axes, t->n_in_axes, &oom);
      v->n_out_axes = t->n_out_axes;
      v->out_axes = axes_to_proto(arena, t->out_axes, t->n_out_axes, &oom);
      v->axis_size = t->axis_size;
      v->axis_name = str_to_proto(arena, t->axis_name, &oom);
      v->spmd_axis_name = str_to_proto(arena, t->spmd_axis_name, &oom);
      out->kind_case = JET__V1__TRANSFORM__KIND_VMAP;
      out->vmap = v;
      break;
    }
    case JET_TF_PMAP: {
      Jet__V1__PmapTransform *p = jet_arena_alloc(arena, sizeof *p);
      if (p == NULL) return jet_status_oom("PmapTransform");
      Jet__V1__PmapTransform pi = JET__V1__PMAP_TRANSFORM__INIT;
      *p = pi;
      p->axis_name = str_to_proto(arena, t->axis_name, &oom);
      p->n_in_axes = t->n_in_axes;
      p->in_axes = axes_to_proto(arena, t->in_axes, t->n_in_axes, &oom);
      p->n_out_axes = t->n_out_axes;
      p->out_axes = axes_to_proto(arena, t->out_axes, t->n_out_axes, &oom);
      p->n_static_broadcasted_argnums = t->n_static_argnums;
      p->static_broadcasted_argnums =
          dup_or_null(arena, t->static_broadcasted_argnums, t->n_static_argnums * sizeof(int32_t),
                      &oom);
      p->n_devices = t->n_devices;
      p->devices = dup_or_null(arena, t->devices, t->n_devices * sizeof(uint32_t), &oom);
      p->axis_size = t->axis_size;
      p->n_donate_argnums = t->n_donate_argnums;
      p->donate_argnums =
          dup_or_null(arena, t->donate_argnums, t->n_donate_argnums * sizeof(int32_t), &oom);
      out->kind_case = JET__V1__TRANSFORM__KIND_PMAP;
      out->pmap = p;
      break;
    }
    default:
      return jet_status_make(JET_INVALID_ARGUMENT, "transform has invalid kind %d", (int)t->kind);
  }
  return oom ? jet_status_oom("transform fields") : NULL;
}
