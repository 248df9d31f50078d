/* Batching rules of the collectives (psum, pmax, pmin, all_gather,
 * psum_scatter, ppermute, all_to_all, axis_index), as JAX's
 * batching.axis_primitive_batchers for vmap(axis_name=...).
 *
 * Bound (the node's axis_name is this vmap's, b->axis_name): the members
 * of the named axis are the examples, so the collective becomes ordinary
 * ops over the batch dimension. The driver (vmap.c) calls these rules for a
 * bound collective even when its operand is unbatched (axis_index has
 * none).
 *   psum          reduce_sum over the batch dim, result unbatched (an
 *                 unbatched x gives axis_size * x);
 *   pmax / pmin   reduce_max / reduce_min (unbatched x: x itself);
 *   axis_index    iota(i32, [n]) batched at 0;
 *   all_gather    the batched x with its batch dim moved to `axis` (tiled:
 *                 merged into that axis, examples major), unbatched;
 *   psum_scatter  the sum over the batch dim, whose scatter_dimension then
 *                 is the batch dim (tiled: split into [n, size/n] first);
 *   ppermute      the examples permuted along the batch dim: a pad with one
 *                 row of zeros and a gather of row src (or the zero row) for
 *                 every destination;
 *   all_to_all    a transpose between the batch dim and split/concat axes
 *                 (tiled: split_axis reshaped to [n, size/n] first and the
 *                 senders merged into concat_axis after).
 * Unbound (another name, for an enclosing vmap or pmap): the collective is
 * re-emitted on the batched operand; the ops that take axis attributes get
 * the batch dim moved to 0 and their axes shifted by one. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "transforms/batch/batch.h"

static bool bound(const jet_batch *b, const jet_node *n) {
  const jet_attr *a = jet_node_attr(n, "axis_name");
  return b->axis_name && a && a->kind == JET_ATTR_STR && a->u.s &&
         strcmp(a->u.s, b->axis_name) == 0;
}

static bool tiled(const jet_node *n) { return jet_node_attr_bool(n, "tiled", false); }

/* Re-emits n on x (batched at 0) with the int attributes names[0..k) (absent
 * ones default to 0) increased by one; the result is batched at 0. */
static void pass_shifted(jet_batch *b, const jet_node *n, jet_value x, const char *const *names,
                         uint32_t k, jet_value *y, int32_t *ybd) {
  jet_attr at[JET_MAX_OP_ATTRS + 4];
  uint32_t na = 0;
  for (uint32_t i = 0; i < n->n_attrs && i < JET_MAX_OP_ATTRS; i++) at[na++] = n->attrs[i];
  for (uint32_t j = 0; j < k; j++) {
    bool found = false;
    for (uint32_t i = 0; i < na; i++) {
      if (strcmp(at[i].name, names[j]) == 0) {
        at[i].u.i += 1;
        found = true;
      }
    }
    if (!found) at[na++] = jet_emit_attr_int(names[j], 1);
  }
  y[0] = jet_emit_op(&b->e, n->op, &x, 1, at, na);
  ybd[0] = 0;
}

/* The same op on the batched operand, batch dim kept (psum, pmax, pmin,
 * ppermute over another axis). */
static void pass_same(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                      jet_value *y, int32_t *ybd) {
  y[0] = jet_emit_op(&b->e, n->op, &x[0], 1, n->attrs, n->n_attrs);
  ybd[0] = bd[0];
}

static void all_reduce(jet_batch *b, const jet_node *n, jet_op red, const jet_value *x,
                       const int32_t *bd, jet_value *y, int32_t *ybd) {
  if (!bound(b, n)) {
    pass_same(b, n, x, bd, y, ybd);
    return;
  }
  jet_emit *e = &b->e;
  ybd[0] = JET_NOT_BATCHED;
  if (bd[0] == JET_NOT_BATCHED) {
    y[0] = red == JET_OP_REDUCE_SUM
               ? jet_emit2(e, JET_OP_MUL, x[0],
                           jet_emit_scalar(e, jet_emit_type(e, x[0])->dtype, (double)b->size))
               : x[0];
    return;
  }
  int64_t ax = bd[0];
  jet_attr at = jet_emit_attr_ints("axes", &ax, 1);
  y[0] = jet_emit_op(e, red, &x[0], 1, &at, 1);
}

void jet__batch_PSUM(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  all_reduce(b, n, JET_OP_REDUCE_SUM, x, bd, y, ybd);
}

void jet__batch_PMAX(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  all_reduce(b, n, JET_OP_REDUCE_MAX, x, bd, y, ybd);
}

void jet__batch_PMIN(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                     jet_value *y, int32_t *ybd) {
  all_reduce(b, n, JET_OP_REDUCE_MIN, x, bd, y, ybd);
}

void jet__batch_AXIS_INDEX(jet_batch *b, const jet_node *n, const jet_value *x,
                           const int32_t *bd, jet_value *y, int32_t *ybd) {
  (void)x, (void)bd;
  if (!bound(b, n)) { /* not reached: the driver copies it unbatched */
    y[0] = jet_emit_node_copy(&b->e, n, NULL);
    ybd[0] = JET_NOT_BATCHED;
    return;
  }
  int64_t shape = b->size;
  jet_attr at[3] = {jet_emit_attr_dtype("dtype", JET_I32), jet_emit_attr_ints("shape", &shape, 1),
                    jet_emit_attr_int("dimension", 0)};
  y[0] = jet_emit_op(&b->e, JET_OP_IOTA, NULL, 0, at, 3);
  ybd[0] = 0;
}

/* x (batch dim bd, rank r+1 batched) with dims a and a+1 merged. */
static jet_value merge_dims(jet_batch *b, jet_value x, int32_t a) {
  const jet_type *t = jet_emit_type(&b->e, x);
  int64_t s[JET_MAX_RANK];
  int32_t k = 0;
  for (int32_t d = 0; d < t->rank; d++) {
    if (d == a + 1) continue;
    s[k++] = d == a ? t->dims[a] * t->dims[a + 1] : t->dims[d];
  }
  return jet_emit_reshape(&b->e, x, s, k);
}

/* x with dim a split into [n, dims[a] / n]. */
static jet_value split_dim(jet_batch *b, jet_value x, int32_t a, int64_t n) {
  const jet_type *t = jet_emit_type(&b->e, x);
  int64_t s[JET_MAX_RANK];
  int32_t k = 0;
  if (t->rank + 1 > JET_MAX_RANK) {
    jet_emit_fail(&b->e, jet_status_make(JET_UNIMPLEMENTED,
                                         "batching a tiled collective of a rank-%d value needs "
                                         "rank %d, above the maximum %d",
                                         (int)t->rank - 1, (int)t->rank + 1, JET_MAX_RANK));
    return JET_EMIT_NONE;
  }
  for (int32_t d = 0; d < t->rank; d++) {
    if (d == a) {
      s[k++] = n;
      s[k++] = n ? t->dims[a] / n : 0;
    } else {
      s[k++] = t->dims[d];
    }
  }
  return jet_emit_reshape(&b->e, x, s, k);
}

void jet__batch_ALL_GATHER(jet_batch *b, const jet_node *n, const jet_value *x,
                           const int32_t *bd, jet_value *y, int32_t *ybd) {
  int32_t axis = (int32_t)jet_node_attr_int(n, "axis", 0);
  if (!bound(b, n)) {
    static const char *const names[] = {"axis"};
    pass_shifted(b, n, jet_batch_at(b, x[0], bd[0], 0), names, 1, y, ybd);
    return;
  }
  jet_value g = jet_batch_at(b, x[0], bd[0], axis);
  y[0] = tiled(n) ? merge_dims(b, g, axis) : g;
  ybd[0] = JET_NOT_BATCHED;
}

void jet__batch_PSUM_SCATTER(jet_batch *b, const jet_node *n, const jet_value *x,
                             const int32_t *bd, jet_value *y, int32_t *ybd) {
  int32_t sd = (int32_t)jet_node_attr_int(n, "scatter_dimension", 0);
  if (!bound(b, n)) {
    static const char *const names[] = {"scatter_dimension"};
    pass_shifted(b, n, jet_batch_at(b, x[0], bd[0], 0), names, 1, y, ybd);
    return;
  }
  int32_t sbd = JET_NOT_BATCHED;
  jet_value s = JET_EMIT_NONE;
  all_reduce(b, n, JET_OP_REDUCE_SUM, x, bd, &s, &sbd); /* bound: s unbatched */
  y[0] = tiled(n) ? split_dim(b, s, sd, b->size) : s;
  ybd[0] = sd;
}

/* The member index perm gives member i as a destination (its source), or
 * -1; INVALID_ARGUMENT for an entry outside the axis. */
static bool perm_sources(jet_batch *b, const jet_node *n, int64_t *src) {
  const jet_attr *a = jet_node_attr(n, "perm");
  for (int64_t i = 0; i < b->size; i++) src[i] = -1;
  for (uint32_t k = 0; a && k + 1 < a->u.ints.n; k += 2) {
    for (uint32_t j = k; j < k + 2; j++) {
      if (a->u.ints.v[j] < 0 || a->u.ints.v[j] >= b->size) {
        jet_emit_fail(&b->e, jet_status_make(JET_INVALID_ARGUMENT,
                                             "ppermute: attribute 'perm' entry %" PRIu32
                                             " is %" PRId64 ", out of range for axis '%s' of "
                                             "size %" PRId64,
                                             j, a->u.ints.v[j], b->axis_name, b->size));
        return false;
      }
    }
    src[a->u.ints.v[k + 1]] = a->u.ints.v[k];
  }
  return true;
}

void jet__batch_PPERMUTE(jet_batch *b, const jet_node *n, const jet_value *x, const int32_t *bd,
                         jet_value *y, int32_t *ybd) {
  if (!bound(b, n)) {
    pass_same(b, n, x, bd, y, ybd);
    return;
  }
  jet_emit *e = &b->e;
  int64_t nb = b->size;
  int32_t *idx = malloc(sizeof(int32_t) * (size_t)(nb ? nb : 1));
  int64_t *src = malloc(sizeof(int64_t) * (size_t)(nb ? nb : 1));
  if (!idx || !src) {
    free(idx);
    free(src);
    jet_emit_fail(e, jet_status_oom("ppermute batching"));
    return;
  }
  if (perm_sources(b, n, src)) {
    /* rows 0..n-1 are the examples, row n a row of zeros */
    for (int64_t i = 0; i < nb; i++) idx[i] = (int32_t)(src[i] < 0 ? nb : src[i]);
    jet_value xs = jet_batch_at(b, x[0], bd[0], 0);
    const jet_type xt = *jet_emit_type(e, xs);
    int64_t cfg[3 * JET_MAX_RANK] = {0};
    cfg[1] = 1;
    jet_attr pa = jet_emit_attr_ints("padding_config", cfg, 3 * (uint32_t)xt.rank);
    jet_value pv[2] = {xs, jet_emit_scalar(e, xt.dtype, 0)};
    jet_value padded = jet_emit_op(e, JET_OP_PAD, pv, 2, &pa, 1);
    jet_attr lit = {.name = "value", .kind = JET_ATTR_LITERAL};
    lit.u.lit.type = (jet_type){.dtype = JET_I32, .rank = 2};
    lit.u.lit.type.dims[0] = nb;
    lit.u.lit.type.dims[1] = 1;
    lit.u.lit.data = idx;
    lit.u.lit.nbytes = sizeof(int32_t) * (size_t)nb;
    jet_value iv = jet_emit_op(e, JET_OP_CONSTANT, NULL, 0, &lit, 1);
    int64_t offs[JET_MAX_RANK], sizes[JET_MAX_RANK], zero = 0;
    for (int32_t d = 1; d < xt.rank; d++) offs[d - 1] = d;
    sizes[0] = 1;
    for (int32_t d = 1; d < xt.rank; d++) sizes[d] = xt.dims[d];
    jet_attr ga[5] = {jet_emit_attr_ints("offset_dims", offs, (uint32_t)xt.rank - 1),
                      jet_emit_attr_ints("collapsed_slice_dims", &zero, 1),
                      jet_emit_attr_ints("start_index_map", &zero, 1),
                      jet_emit_attr_ints("slice_sizes", sizes, (uint32_t)xt.rank),
                      jet_emit_attr_int("mode", 0)};
    jet_value gv[2] = {padded, iv};
    y[0] = jet_emit_op(e, JET_OP_GATHER, gv, 2, ga, 5);
    ybd[0] = 0;
  }
  free(idx);
  free(src);
}

/* Bound all_to_all: xb is x batched at 0 (rank r+1, senders j at 0). */
static jet_value all_to_all_bound(jet_batch *b, const jet_node *n, jet_value xb) {
  const int32_t sa = (int32_t)jet_node_attr_int(n, "split_axis", 0);
  const int32_t ca = (int32_t)jet_node_attr_int(n, "concat_axis", 0);
  const int32_t r = jet_emit_type(&b->e, xb)->rank - 1;
  int64_t perm[JET_MAX_RANK];
  int32_t k = 0;
  if (!tiled(n)) {
    /* out_i[.., j@ca, ..] = x_j[.., i@sa, ..]: result batch dim from x's
     * split axis, the senders inserted at concat_axis of the rest */
    int64_t rest[JET_MAX_RANK];
    int32_t nr = 0;
    for (int32_t d = 0; d < r; d++)
      if (d != sa) rest[nr++] = d + 1;
    perm[k++] = sa + 1;
    for (int32_t d = 0, j = 0; d < r; d++) perm[k++] = d == ca ? 0 : rest[j++];
    return jet_emit_transpose(&b->e, xb, perm, (uint32_t)k);
  }
  /* tiled: split_axis -> [chunk c, m] (x dims at 1+sa, 2+sa); out_i =
   * concat over senders j of chunk i of x_j along concat_axis */
  jet_value xs = split_dim(b, xb, sa + 1, b->size);
  perm[k++] = sa + 1; /* the chunk index becomes the batch dim */
  for (int32_t d = 0; d < r; d++) {
    if (d == ca) perm[k++] = 0; /* senders, major within concat_axis */
    perm[k++] = d < sa ? d + 1 : d == sa ? sa + 2 : d + 2;
  }
  jet_value z = jet_emit_transpose(&b->e, xs, perm, (uint32_t)k);
  return merge_dims(b, z, ca + 1);
}

void jet__batch_ALL_TO_ALL(jet_batch *b, const jet_node *n, const jet_value *x,
                           const int32_t *bd, jet_value *y, int32_t *ybd) {
  jet_value xb = jet_batch_at(b, x[0], bd[0], 0);
  if (!bound(b, n)) {
    static const char *const names[] = {"split_axis", "concat_axis"};
    pass_shifted(b, n, xb, names, 2, y, ybd);
    return;
  }
  y[0] = all_to_all_bound(b, n, xb);
  ybd[0] = 0;
}
