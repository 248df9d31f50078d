/* Shape rules of the collectives over a named axis (ops.def's collective
 * family): psum / pmax / pmin (rule `collective`), all_gather,
 * psum_scatter, ppermute, all_to_all and axis_index. Shapes follow JAX
 * (jax/_src/lax/parallel.py): all_gather inserts an axis of size axis_size
 * at `axis` (tiled: multiplies dim `axis`); psum_scatter removes
 * scatter_dimension, which must equal axis_size (tiled: divides it);
 * all_to_all untiled removes split_axis (which must equal axis_size) and
 * inserts an axis of that size at concat_axis of the result, tiled divides
 * split_axis and multiplies concat_axis. Attribute checks name the
 * attribute: axis_name non-empty, axis_size >= 1, axes in range (no
 * negative axes: clients normalise them), perm pairs well formed with unique
 * sources and destinations (their range is checked where the axis size is
 * known, by the batching rule). */
#include <inttypes.h>
#include <string.h>

#include "infer_internal.h"

static jet_status check_axis_name(const jet_infer_args *a) {
  const jet_attr *at = jet__infer_attr(a, "axis_name");
  if (!at || !at->u.s || !at->u.s[0])
    return jet_status_make(JET_INVALID_ARGUMENT, "attribute 'axis_name' of %s must not be empty",
                           a->info->name);
  return NULL;
}

static jet_status axis_size(const jet_infer_args *a, int64_t *n) {
  *n = jet__infer_attr_int(a, "axis_size", 0);
  if (*n < 1)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'axis_size' of %s is %" PRId64 ", must be >= 1",
                           a->info->name, *n);
  return NULL;
}

/* Attribute `name` (default dflt) in [0, hi); its value into *out. */
static jet_status axis_attr(const jet_infer_args *a, const char *name, int64_t dflt, int64_t hi,
                            int32_t *out) {
  int64_t v = jet__infer_attr_int(a, name, dflt);
  if (v < 0 || v >= hi)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute '%s' of %s is %" PRId64 ", out of range [0, %" PRId64 ")",
                           name, a->info->name, v, hi);
  *out = (int32_t)v;
  return NULL;
}

static bool tiled(const jet_infer_args *a) {
  const jet_attr *at = jet__infer_attr(a, "tiled");
  return at && at->u.b;
}

/* psum, pmax, pmin: all-reduce; x's type. */
jet_status jet__rule_collective(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(check_axis_name(a));
  return jet__infer_emit(a, &a->in[0]);
}

jet_status jet__rule_all_gather(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(check_axis_name(a));
  int64_t n;
  JET_RETURN_IF_ERROR(axis_size(a, &n));
  jet_type t = a->in[0];
  int32_t axis = 0;
  if (tiled(a)) {
    JET_RETURN_IF_ERROR(axis_attr(a, "axis", 0, t.rank, &axis));
    if (!jet__mul64(t.dims[axis], n, &t.dims[axis]))
      return jet_status_make(JET_INVALID_ARGUMENT, "all_gather: dimension %d times axis_size "
                                                   "overflows",
                             (int)axis);
    return jet__infer_emit(a, &t);
  }
  JET_RETURN_IF_ERROR(axis_attr(a, "axis", 0, (int64_t)t.rank + 1, &axis));
  if (t.rank + 1 > JET_MAX_RANK)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "all_gather of a rank-%d operand would exceed the maximum rank %d",
                           (int)t.rank, JET_MAX_RANK);
  for (int32_t d = t.rank; d > axis; d--) t.dims[d] = t.dims[d - 1];
  t.dims[axis] = n;
  t.rank++;
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_psum_scatter(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(check_axis_name(a));
  int64_t n;
  JET_RETURN_IF_ERROR(axis_size(a, &n));
  jet_type t = a->in[0];
  int32_t sd = 0;
  JET_RETURN_IF_ERROR(axis_attr(a, "scatter_dimension", 0, t.rank, &sd));
  char buf[JET_TYPE_STR_MAX];
  if (tiled(a)) {
    if (t.dims[sd] % n != 0)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "psum_scatter (tiled): dimension %d (attribute 'scatter_dimension') "
                             "of %s has size %" PRId64 ", not divisible by attribute 'axis_size' "
                             "%" PRId64,
                             (int)sd, JET__TS(&a->in[0], buf), t.dims[sd], n);
    t.dims[sd] /= n;
    return jet__infer_emit(a, &t);
  }
  if (t.dims[sd] != n)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "psum_scatter: dimension %d (attribute 'scatter_dimension') of %s has "
                           "size %" PRId64 " but must equal attribute 'axis_size' %" PRId64
                           " (or use tiled)",
                           (int)sd, JET__TS(&a->in[0], buf), t.dims[sd], n);
  for (int32_t d = sd; d + 1 < t.rank; d++) t.dims[d] = t.dims[d + 1];
  t.rank--;
  t.dims[t.rank] = 0;
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_ppermute(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(check_axis_name(a));
  const int64_t *p;
  uint32_t n;
  jet__infer_attr_ints(a, "perm", &p, &n);
  if (n % 2 != 0)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute 'perm' of ppermute has %" PRIu32
                           " entries; it must be (source, destination) pairs",
                           n);
  for (uint32_t i = 0; i < n; i++) {
    if (p[i] < 0)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "attribute 'perm' entry %" PRIu32 " is %" PRId64 ", must be >= 0", i,
                             p[i]);
    for (uint32_t j = i % 2; j < i; j += 2) {
      if (p[j] == p[i])
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "attribute 'perm' of ppermute names %s %" PRId64
                               " twice (pairs %" PRIu32 " and %" PRIu32
                               "); sources and destinations must be unique",
                               i % 2 ? "destination" : "source", p[i], j / 2, i / 2);
    }
  }
  return jet__infer_emit(a, &a->in[0]);
}

jet_status jet__rule_all_to_all(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(jet__infer_operand_in_mask(a, 0));
  JET_RETURN_IF_ERROR(check_axis_name(a));
  int64_t n;
  JET_RETURN_IF_ERROR(axis_size(a, &n));
  jet_type t = a->in[0];
  int32_t sa = 0, ca = 0;
  JET_RETURN_IF_ERROR(axis_attr(a, "split_axis", -1, t.rank, &sa));
  JET_RETURN_IF_ERROR(axis_attr(a, "concat_axis", -1, t.rank, &ca));
  char buf[JET_TYPE_STR_MAX];
  if (tiled(a)) {
    if (t.dims[sa] % n != 0)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "all_to_all (tiled): dimension %d (attribute 'split_axis') of %s has "
                             "size %" PRId64 ", not divisible by attribute 'axis_size' %" PRId64,
                             (int)sa, JET__TS(&a->in[0], buf), t.dims[sa], n);
    t.dims[sa] /= n;
    if (!jet__mul64(t.dims[ca], n, &t.dims[ca]))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "all_to_all: dimension %d times axis_size overflows", (int)ca);
    return jet__infer_emit(a, &t);
  }
  if (t.dims[sa] != n)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "all_to_all requires the size of the mapped axis to equal "
                           "x.shape[split_axis], but they are %" PRId64 " (attribute 'axis_size') "
                           "and %" PRId64 " (dimension %d of %s, attribute 'split_axis')",
                           n, t.dims[sa], (int)sa, JET__TS(&a->in[0], buf));
  for (int32_t d = sa; d + 1 < t.rank; d++) t.dims[d] = t.dims[d + 1];
  for (int32_t d = t.rank - 1; d > ca; d--) t.dims[d] = t.dims[d - 1];
  t.dims[ca] = n;
  return jet__infer_emit(a, &t);
}

jet_status jet__rule_axis_index(jet_infer_args *a) {
  JET_RETURN_IF_ERROR(check_axis_name(a));
  jet_type t = jet__type(JET_I32, 0, NULL);
  return jet__infer_emit(a, &t);
}
