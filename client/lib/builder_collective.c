/* jet_builder: the collectives over a named axis (psum, pmax, pmin,
 * all_gather, psum_scatter, ppermute, all_to_all, axis_index) and pmean,
 * which is not a primitive: psum(x) / psum(1) as JAX writes it. Each packs
 * its arguments into the op's attributes (ops.def) and adds the node through
 * jet__builder_node, which checks it with the shared inference; errors are
 * recorded in the builder like any op's. The axis name must be bound by an
 * enclosing vmap (axis_name) when the graph is transformed; the daemon
 * checks that. */
#include <stdint.h>
#include <string.h>

#include "builder_internal.h"

/* false (recording INVALID_ARGUMENT) when the axis name is NULL or empty. */
static bool name_ok(jet_builder *b, const char *fn, const char *axis_name) {
  if (!b || b->err) return false;
  if (!axis_name || !axis_name[0]) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                             "axis_name must be a non-empty name"));
    return false;
  }
  return true;
}

static bool size_ok(jet_builder *b, const char *fn, int64_t axis_size) {
  if (axis_size < 1) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                             "axis_size must be >= 1, got %lld",
                                             (long long)axis_size));
    return false;
  }
  return true;
}

/* A negative axis counts from the end of [0, rank(x) + extra), as JAX's
 * clients normalise it; left as it is when x is unknown (the node then
 * fails on its own). */
static int64_t norm_axis(const jet_builder *b, jet_value x, int64_t axis, int extra) {
  const jet_type *t = jet_builder_value_type(b, x);
  if (axis < 0 && t) return axis + t->rank + extra;
  return axis;
}

/* An all-reduce: op[axis_name](x). */
static jet_value reduce_op(jet_builder *b, const char *fn, jet_op op, jet_value x,
                           const char *axis_name) {
  if (!name_ok(b, fn, axis_name)) return JET_NO_VALUE;
  jet_attr a = jet__attr_str("axis_name", axis_name);
  return jet__builder_node(b, fn, op, &x, 1, &a, 1, NULL, NULL, 0);
}

jet_value jet_psum(jet_builder *b, jet_value x, const char *axis_name) {
  return reduce_op(b, "jet_psum", JET_OP_PSUM, x, axis_name);
}

jet_value jet_pmax(jet_builder *b, jet_value x, const char *axis_name) {
  return reduce_op(b, "jet_pmax", JET_OP_PMAX, x, axis_name);
}

jet_value jet_pmin(jet_builder *b, jet_value x, const char *axis_name) {
  return reduce_op(b, "jet_pmin", JET_OP_PMIN, x, axis_name);
}

jet_value jet_pmean(jet_builder *b, jet_value x, const char *axis_name) {
  static const char fn[] = "jet_pmean";
  if (!name_ok(b, fn, axis_name) || !jet__builder_ok(b, fn, &x, 1)) return JET_NO_VALUE;
  const jet_type *xt = jet_builder_value_type(b, x);
  if (!xt) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "unknown value %%%u",
                                             (unsigned)x));
    return JET_NO_VALUE;
  }
  jet_type t = *xt; /* copy: adding nodes may move the graph's type storage */
  /* JAX: psum(x) / psum(1); integer and bool x divide as true division (f32). */
  jet_dtype dt = jet_dtype_is_float(t.dtype) ? t.dtype : JET_F32;
  jet_value s = reduce_op(b, fn, JET_OP_PSUM, x, axis_name);
  if (dt != t.dtype) s = jet_convert(b, s, dt);
  const int32_t one = 1;
  jet_type ti = jet_type_make(JET_I32, 0, NULL);
  jet_value n = jet_constant(b, &ti, &one);
  n = reduce_op(b, fn, JET_OP_PSUM, n, axis_name);
  n = jet_convert(b, n, dt);
  if (t.rank > 0) n = jet_broadcast_in_dim(b, n, t.dims, (size_t)t.rank, NULL, 0);
  return jet_div(b, s, n);
}

jet_value jet_all_gather(jet_builder *b, jet_value x, const char *axis_name, int64_t axis_size,
                         int64_t axis, bool tiled) {
  static const char fn[] = "jet_all_gather";
  if (!name_ok(b, fn, axis_name) || !size_ok(b, fn, axis_size)) return JET_NO_VALUE;
  jet_attr a[4] = {jet__attr_str("axis_name", axis_name), jet__attr_int("axis_size", axis_size),
                   jet__attr_int("axis", norm_axis(b, x, axis, tiled ? 0 : 1)),
                   jet__attr_bool("tiled", tiled)};
  return jet__builder_node(b, fn, JET_OP_ALL_GATHER, &x, 1, a, 4, NULL, NULL, 0);
}

jet_value jet_psum_scatter(jet_builder *b, jet_value x, const char *axis_name, int64_t axis_size,
                           int64_t scatter_dimension, bool tiled) {
  static const char fn[] = "jet_psum_scatter";
  if (!name_ok(b, fn, axis_name) || !size_ok(b, fn, axis_size)) return JET_NO_VALUE;
  jet_attr a[4] = {jet__attr_str("axis_name", axis_name), jet__attr_int("axis_size", axis_size),
                   jet__attr_int("scatter_dimension", norm_axis(b, x, scatter_dimension, 0)),
                   jet__attr_bool("tiled", tiled)};
  return jet__builder_node(b, fn, JET_OP_PSUM_SCATTER, &x, 1, a, 4, NULL, NULL, 0);
}

jet_value jet_ppermute(jet_builder *b, jet_value x, const char *axis_name, const int64_t *pairs,
                       size_t n_pairs) {
  static const char fn[] = "jet_ppermute";
  static const int64_t none[1] = {0};
  if (!name_ok(b, fn, axis_name)) return JET_NO_VALUE;
  if ((n_pairs && !pairs) || n_pairs > UINT32_MAX / 2) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                             "perm: %zu pairs %s", n_pairs,
                                             pairs ? "are too many" : "with a NULL list"));
    return JET_NO_VALUE;
  }
  jet_attr a[2] = {jet__attr_str("axis_name", axis_name), {0}};
  a[1].name = "perm";
  a[1].kind = JET_ATTR_INTS;
  a[1].u.ints.v = n_pairs ? pairs : none;
  a[1].u.ints.n = (uint32_t)(2 * n_pairs);
  return jet__builder_node(b, fn, JET_OP_PPERMUTE, &x, 1, a, 2, NULL, NULL, 0);
}

jet_value jet_all_to_all(jet_builder *b, jet_value x, const char *axis_name, int64_t axis_size,
                         int64_t split_axis, int64_t concat_axis, bool tiled) {
  static const char fn[] = "jet_all_to_all";
  if (!name_ok(b, fn, axis_name) || !size_ok(b, fn, axis_size)) return JET_NO_VALUE;
  jet_attr a[5] = {jet__attr_str("axis_name", axis_name), jet__attr_int("axis_size", axis_size),
                   jet__attr_int("split_axis", norm_axis(b, x, split_axis, 0)),
                   jet__attr_int("concat_axis", norm_axis(b, x, concat_axis, 0)),
                   jet__attr_bool("tiled", tiled)};
  return jet__builder_node(b, fn, JET_OP_ALL_TO_ALL, &x, 1, a, 5, NULL, NULL, 0);
}

jet_value jet_axis_index(jet_builder *b, const char *axis_name) {
  static const char fn[] = "jet_axis_index";
  if (!name_ok(b, fn, axis_name)) return JET_NO_VALUE;
  jet_attr a = jet__attr_str("axis_name", axis_name);
  return jet__builder_node(b, fn, JET_OP_AXIS_INDEX, NULL, 0, &a, 1, NULL, NULL, 0);
}
