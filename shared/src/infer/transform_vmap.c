/* vmap's and pmap's type rule, shared by the call rule (through
 * jet_transform_signature_args) and the server's vmap and pmap drivers
 * (server/transforms/batch/vmap.c, server/transforms/pmap.c), so both give
 * the same types and the same messages, JAX's where JAX has one (pmap's
 * messages say "pmap"; its static_broadcasted_argnums are not mapped):
 *
 * - in_axes: empty = 0 for every argument, one entry = for every argument,
 *   else one per argument ("vmap in_axes must be an int, None, or a tuple of
 *   entries corresponding to the positional arguments passed to the
 *   function, but got len(in_axes)=2, len(args)=3"); an axis of a mapped
 *   argument lies in [-(r+1), r] for a parameter of rank r.
 * - the axis size: axis_size when given; otherwise read from the argument
 *   types when they are known (a call node's operands; transforms applied
 *   after this vmap keep parameter j at index j and later vmaps insert their
 *   own axes, whose positions are tracked), all equal ("vmap got
 *   inconsistent sizes for array axes to be mapped: ..."); all None needs
 *   axis_size.
 * - out_axes: the same forms per output; an int inserts the batch dimension
 *   there, None leaves the output's type unchanged (whether that output is
 *   batched is only known to the server, which reports it).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infer_internal.h"
#include "jet/strbuf.h"

/* The spec of argument j (in_axes length already checked). */
static jet_axis_spec spec_of(const jet_axis_spec *v, uint32_t n, uint32_t j) {
  if (n == 0) return (jet_axis_spec){true, 0};
  if (n == 1) return v[0];
  return v[j];
}

/* The in_axes spec of argument j under transform t (vmap or pmap; a pmap's
 * static_broadcasted_argnums are not mapped). */
static jet_axis_spec in_spec(const jet_transform *t, uint32_t j) {
  for (uint32_t k = 0; t->kind == JET_TF_PMAP && k < t->n_static_argnums; k++)
    if (t->static_broadcasted_argnums[k] >= 0 && (uint32_t)t->static_broadcasted_argnums[k] == j)
      return (jet_axis_spec){false, 0};
  return spec_of(t->in_axes, t->n_in_axes, j);
}

static const char *tf_name(const jet_transform *t) {
  return t->kind == JET_TF_PMAP ? "pmap" : "vmap";
}

static void insert_dim(const jet_type *t, int32_t ax, int64_t size, jet_type *out) {
  *out = jet_type_insert_axis(t, ax, size);
}

/* "[3,4]" from dims. */
static const char *dims_str(const int64_t *d, int32_t rank, char *buf, size_t cap) {
  size_t len = (size_t)snprintf(buf, cap, "[");
  for (int32_t i = 0; i < rank && len < cap; i++)
    len += (size_t)snprintf(buf + len, cap - len, "%s%" PRId64, i ? "," : "", d[i]);
  if (len < cap) snprintf(buf + len, cap - len, "]");
  return buf;
}

/* The size of the axis that tf[i] inserts at ax (of rank r1 = r + 1) into
 * parameter j, read from the final argument types, or -1 when they do not
 * tell it. */
static int64_t located_size(const jet_transform *tf, uint32_t n_tf, uint32_t i, uint32_t j,
                            int32_t r1, int32_t ax, const jet_type *args, uint32_t n_args) {
  int32_t p = ax, rank = r1;
  for (uint32_t k = i + 1; k < n_tf; k++) {
    const jet_transform *u = &tf[k];
    if (u->kind != JET_TF_VMAP && u->kind != JET_TF_PMAP) continue;
    if (u->n_in_axes > 1 && j >= u->n_in_axes) return -1;
    jet_axis_spec s = in_spec(u, j);
    if (!s.mapped) continue;
    int32_t a = s.axis < 0 ? s.axis + rank + 1 : s.axis;
    if (a < 0 || a > rank) return -1;
    if (a <= p) p++;
    rank++;
  }
  if (!args || j >= n_args || args[j].rank != rank) return -1;
  return args[j].dims[p];
}

typedef struct mapped_arg {
  uint32_t j;
  int32_t ax;
  int64_t size;
} mapped_arg;

/* JAX's listing: the most common size first ("most axes (3 of them) had
 * size 2, e.g. ..."), then the others ("some axes" / "one axis"). */
static jet_status inconsistent(const char *nm, const jet_type *p, const mapped_arg *m,
                               uint32_t n) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_strbuf_printf(&sb, "%s got inconsistent sizes for array axes to be mapped:\n", nm);
  uint8_t *done = calloc(n ? n : 1, 1);
  if (!done) {
    jet_strbuf_free(&sb);
    return jet_status_oom("vmap sizes");
  }
  bool first = true;
  for (;;) {
    /* The not yet listed size with the highest count (first seen on ties). */
    uint32_t best = n, best_ct = 0;
    for (uint32_t a = 0; a < n; a++) {
      if (done[a]) continue;
      uint32_t ct = 0;
      for (uint32_t b = 0; b < n; b++) ct += !done[b] && m[b].size == m[a].size;
      if (ct > best_ct) {
        best = a;
        best_ct = ct;
      }
    }
    if (best == n) break;
    char ts[JET_TYPE_STR_MAX];
    jet_type bt;
    insert_dim(&p[m[best].j], m[best].ax, m[best].size, &bt);
    jet_type_str(&bt, ts, sizeof ts);
    if (!first) jet_strbuf_printf(&sb, ";\n");
    if (best_ct == 1)
      jet_strbuf_printf(&sb, "  * one axis had size %" PRId64 ": axis %d of argument %" PRIu32
                             " of type %s",
                        m[best].size, (int)m[best].ax, m[best].j, ts);
    else
      jet_strbuf_printf(&sb, "  * %s axes (%" PRIu32 " of them) had size %" PRId64
                             ", e.g. axis %d of argument %" PRIu32 " of type %s",
                        first ? "most" : "some", best_ct, m[best].size, (int)m[best].ax,
                        m[best].j, ts);
    for (uint32_t b = 0; b < n; b++)
      if (m[b].size == m[best].size) done[b] = 1;
    first = false;
  }
  free(done);
  jet_status st = jet_strbuf_status(&sb);
  if (!st) st = jet_status_make(JET_INVALID_ARGUMENT, "%s", sb.data);
  jet_strbuf_free(&sb);
  return st;
}

static jet_status axis_out_of_range(const char *nm, const jet_type *p, uint32_t j, int32_t axis,
                                    int64_t size, const jet_type *arg) {
  int32_t need = axis >= 0 ? axis + 1 : -axis;
  char sh[JET_TYPE_STR_MAX];
  int32_t rank;
  if (arg) {
    rank = arg->rank;
    dims_str(arg->dims, arg->rank, sh, sizeof sh);
  } else if (size >= 0) {
    jet_type bt;
    insert_dim(p, 0, size, &bt);
    rank = bt.rank;
    dims_str(bt.dims, bt.rank, sh, sizeof sh);
  } else {
    /* The size is unknown: show the parameter's shape with a placeholder. */
    rank = p->rank + 1;
    size_t len = (size_t)snprintf(sh, sizeof sh, "[N");
    for (int32_t d = 0; d < p->rank && len < sizeof sh; d++)
      len += (size_t)snprintf(sh + len, sizeof sh - len, ",%" PRId64, p->dims[d]);
    if (len < sizeof sh) snprintf(sh + len, sizeof sh - len, "]");
  }
  return jet_status_make(JET_INVALID_ARGUMENT,
                         "argument %" PRIu32 ": %s was requested to map its argument along "
                         "axis %d, which implies that its rank should be at least %d, but is only "
                         "%d (its shape is %s)",
                         j, nm, (int)axis, (int)need, (int)rank, sh);
}

/* pmap's own checks, JAX's wording: in_axes / out_axes (a tuple must have
 * one entry per argument / output) and static_broadcasted_argnums in range. */
static jet_status pmap_checks(const jet_transform *t, uint32_t np, uint32_t no) {
  if (t->n_in_axes > 1 && t->n_in_axes != np)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "pmap in_axes specification must be a tree prefix of the corresponding "
                           "value, got specification of %" PRIu32 " entries for %" PRIu32
                           " positional arguments",
                           t->n_in_axes, np);
  if (t->n_out_axes > 1 && t->n_out_axes != no)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "pmap out_axes specification must be a tree prefix of the "
                           "corresponding value, got specification of %" PRIu32 " entries for %"
                           PRIu32 " outputs",
                           t->n_out_axes, no);
  for (uint32_t k = 0; k < t->n_static_argnums; k++) {
    const int32_t a = t->static_broadcasted_argnums[k];
    if (a < 0 || (uint32_t)a >= np)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "pmap static_broadcasted_argnums %d is out of range for a function "
                             "of %" PRIu32 " positional arguments",
                             (int)a, np);
  }
  return NULL;
}

jet_status jet__transform_vmap(const jet_type *p, uint32_t np, const jet_type *o, uint32_t no,
                               const jet_transform *tf, uint32_t n_tf, uint32_t i,
                               const jet_type *args, uint32_t n_args, jet_type *new_p,
                               jet_type *new_o, int64_t *size_out) {
  const jet_transform *t = &tf[i];
  const char *nm = tf_name(t);
  if (t->kind == JET_TF_PMAP) JET_RETURN_IF_ERROR(pmap_checks(t, np, no));
  if (t->n_in_axes > 1 && t->n_in_axes != np)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "vmap in_axes must be an int, None, or a tuple of entries "
                           "corresponding to the positional arguments passed to the function, "
                           "but got len(in_axes)=%" PRIu32 ", len(args)=%" PRIu32,
                           t->n_in_axes, np);
  if (t->n_out_axes > 1 && t->n_out_axes != no)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "vmap out_axes must be an int, None, or a tuple of entries "
                           "corresponding to the outputs of the function, but got "
                           "len(out_axes)=%" PRIu32 ", len(outputs)=%" PRIu32,
                           t->n_out_axes, no);
  if (t->axis_size < 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s axis_size must be >= 0, got %" PRId64, nm,
                           t->axis_size);
  uint32_t n_mapped = 0;
  for (uint32_t j = 0; j < np; j++) n_mapped += in_spec(t, j).mapped;
  if (n_mapped == 0 && t->axis_size == 0)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s must have at least one non-None value in in_axes, or axis_size "
                           "must be given", nm);
  mapped_arg *m = malloc(sizeof(mapped_arg) * (n_mapped ? n_mapped : 1));
  if (!m) return jet_status_oom("vmap arguments");
  jet_status st = NULL;
  /* Ranks and axes. */
  uint32_t n = 0;
  bool last = i + 1 == n_tf;
  for (uint32_t j = 0; j < np && !st; j++) {
    jet_axis_spec s = in_spec(t, j);
    if (!s.mapped) continue;
    int32_t r1 = p[j].rank + 1;
    if (s.axis < -r1 || s.axis >= r1) {
      const jet_type *arg = last && args && j < n_args && args[j].rank == r1 ? &args[j] : NULL;
      if (last && args && j < n_args && args[j].rank < r1) arg = &args[j];
      st = axis_out_of_range(nm, &p[j], j, s.axis, t->axis_size ? t->axis_size : -1, arg);
      break;
    }
    if (r1 > JET_MAX_RANK) {
      char ts[JET_TYPE_STR_MAX];
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "%s of argument %" PRIu32 " of type %s would give rank %d, more "
                           "than the maximum %d",
                           nm, j, jet_type_str(&p[j], ts, sizeof ts), (int)r1, JET_MAX_RANK);
      break;
    }
    int32_t ax = s.axis < 0 ? s.axis + r1 : s.axis;
    m[n++] = (mapped_arg){j, ax, located_size(tf, n_tf, i, j, r1, ax, args, n_args)};
  }
  /* The size. */
  int64_t size = t->axis_size;
  for (uint32_t a = 0; a < n && !st && size > 0; a++) {
    if (m[a].size < 0 || m[a].size == size) continue;
    jet_type bt;
    char ts[JET_TYPE_STR_MAX];
    insert_dim(&p[m[a].j], m[a].ax, m[a].size, &bt);
    st = jet_status_make(JET_INVALID_ARGUMENT,
                         "%s got axis_size=%" PRId64 " but axis %d of argument %" PRIu32
                         " of type %s has size %" PRId64,
                         nm, size, (int)m[a].ax, m[a].j, jet_type_str(&bt, ts, sizeof ts),
                         m[a].size);
  }
  if (!st && size == 0) {
    uint32_t known = 0;
    size = -1;
    bool differ = false;
    for (uint32_t a = 0; a < n; a++) {
      if (m[a].size < 0) continue;
      m[known++] = m[a];
      if (size >= 0 && m[a].size != size) differ = true;
      size = m[a].size;
    }
    if (differ) {
      st = inconsistent(nm, p, m, known);
    } else if (size < 0 && !args) {
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "%s needs axis_size here: the size of the mapped axis is read from "
                           "the arguments, which a graph transformed on its own does not have "
                           "(give axis_size, or call the function through a call node)", nm);
    } else if (size < 0) {
      const mapped_arg *a0 = &m[0];
      char tp[JET_TYPE_STR_MAX], ta[JET_TYPE_STR_MAX] = "missing";
      if (a0->j < n_args) jet_type_str(&args[a0->j], ta, sizeof ta);
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "%s cannot read the size of the mapped axis from the arguments: "
                           "argument %" PRIu32 " (%s) is not the parameter type %s with an axis "
                           "inserted at %d",
                           nm, a0->j, ta, jet_type_str(&p[a0->j], tp, sizeof tp), (int)a0->ax);
    }
  }
  if (!st && t->kind == JET_TF_PMAP && t->n_devices && t->n_devices != (uint64_t)size)
    st = jet_status_make(JET_INVALID_ARGUMENT,
                         "Leading axis size of input to pmapped function must equal the number "
                         "of local devices passed to pmap. Got axis_size=%" PRId64
                         ", num_local_devices=%" PRIu32 ".",
                         size, t->n_devices);
  if (st) {
    free(m);
    return st;
  }
  /* New parameter types. */
  for (uint32_t j = 0; j < np; j++) new_p[j] = p[j];
  for (uint32_t a = 0; a < n; a++) insert_dim(&p[m[a].j], m[a].ax, size, &new_p[m[a].j]);
  free(m);
  /* Outputs. */
  for (uint32_t k = 0; k < no; k++) {
    jet_axis_spec s = spec_of(t->out_axes, t->n_out_axes, k);
    if (!s.mapped) {
      new_o[k] = o[k];
      continue;
    }
    int32_t r1 = o[k].rank + 1;
    char ts[JET_TYPE_STR_MAX];
    if (s.axis < -r1 || s.axis >= r1)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s out_axes %d is out of range for output %" PRIu32
                             " of type %s: with the mapped axis its rank is %d, so the axis "
                             "must be in [%d, %d)",
                             nm, (int)s.axis, k, jet_type_str(&o[k], ts, sizeof ts), (int)r1,
                             (int)-r1, (int)r1);
    if (r1 > JET_MAX_RANK)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s of output %" PRIu32 " of type %s would give rank %d, more "
                             "than the maximum %d",
                             nm, k, jet_type_str(&o[k], ts, sizeof ts), (int)r1, JET_MAX_RANK);
    insert_dim(&o[k], s.axis < 0 ? s.axis + r1 : s.axis, size, &new_o[k]);
  }
  if (size_out) *size_out = size;
  return NULL;
}

jet_status jet_vmap_signature(const jet_type *params, uint32_t n_params, const jet_type *outs,
                              uint32_t n_outs, const jet_transform *t, const jet_type *arg_types,
                              uint32_t n_args, jet_type *new_params, jet_type *new_outs,
                              int64_t *axis_size) {
  if (t->kind != JET_TF_VMAP && t->kind != JET_TF_PMAP)
    return jet_status_make(JET_INTERNAL, "jet_vmap_signature of a '%s' transform",
                           jet_transform_name(t->kind));
  return jet__transform_vmap(params, n_params, outs, n_outs, t, 1, 0, arg_types, n_args,
                             new_params, new_outs, axis_size);
}
