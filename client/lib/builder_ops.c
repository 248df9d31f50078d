/* jet_builder: one function per op of shared/include/jet/ops.def. Each
 * packs its arguments into attributes and adds the node through
 * jet__builder_node, which checks it with the shared inference. */
#include <stdint.h>

#include "builder_internal.h"

/* Checks that every list length fits the graph's 32-bit counts and that a
 * non-empty list has a pointer. */
static bool lists_ok(jet_builder *b, const char *fn, const jet_attr *attrs, size_t n,
                     const size_t *lens) {
  if (!b || b->err) return false;
  for (size_t i = 0; i < n; i++) {
    if (attrs[i].kind != JET_ATTR_INTS) continue;
    if (lens[i] > UINT32_MAX) {
      jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                               "attribute %s has %zu entries", attrs[i].name,
                                               lens[i]));
      return false;
    }
  }
  return true;
}

#define DEF_UNARY(fn, E)                                                                     \
  jet_value jet_##fn(jet_builder *b, jet_value x) {                                          \
    return jet__builder_node(b, "jet_" #fn, JET_OP_##E, &x, 1, NULL, 0, NULL, NULL, 0);      \
  }
#define DEF_BINARY(fn, E)                                                                    \
  jet_value jet_##fn(jet_builder *b, jet_value x, jet_value y) {                             \
    jet_value args[2] = {x, y};                                                              \
    return jet__builder_node(b, "jet_" #fn, JET_OP_##E, args, 2, NULL, 0, NULL, NULL, 0);    \
  }
JET_BUILDER_UNARY_OPS(DEF_UNARY)
JET_BUILDER_BINARY_OPS(DEF_BINARY)
#undef DEF_UNARY
#undef DEF_BINARY

/* One operand x and a single int-list attribute. */
static jet_value ints_op(jet_builder *b, const char *fn, jet_op op, jet_value x, const char *name,
                         const int64_t *v, size_t n) {
  jet_attr a = jet__attr_ints(name, v, n);
  if (!lists_ok(b, fn, &a, 1, &n)) return JET_NO_VALUE;
  return jet__builder_node(b, fn, op, &x, 1, &a, 1, NULL, NULL, 0);
}

jet_value jet_round_method(jet_builder *b, jet_value x, int64_t rounding_method) {
  jet_attr a = jet__attr_int("rounding_method", rounding_method);
  return jet__builder_node(b, "jet_round_method", JET_OP_ROUND, &x, 1, &a, 1, NULL, NULL, 0);
}

jet_value jet_integer_pow(jet_builder *b, jet_value x, int64_t y) {
  jet_attr a = jet__attr_int("y", y);
  return jet__builder_node(b, "jet_integer_pow", JET_OP_INTEGER_POW, &x, 1, &a, 1, NULL, NULL, 0);
}

jet_value jet_select(jet_builder *b, jet_value pred, jet_value on_true, jet_value on_false) {
  jet_value args[3] = {pred, on_true, on_false};
  return jet__builder_node(b, "jet_select", JET_OP_SELECT, args, 3, NULL, 0, NULL, NULL, 0);
}

jet_value jet_clamp(jet_builder *b, jet_value lo, jet_value x, jet_value hi) {
  jet_value args[3] = {lo, x, hi};
  return jet__builder_node(b, "jet_clamp", JET_OP_CLAMP, args, 3, NULL, 0, NULL, NULL, 0);
}

jet_value jet_convert(jet_builder *b, jet_value x, jet_dtype new_dtype) {
  jet_attr a = jet__attr_dtype("new_dtype", new_dtype);
  return jet__builder_node(b, "jet_convert", JET_OP_CONVERT_ELEMENT_TYPE, &x, 1, &a, 1, NULL,
                           NULL, 0);
}

jet_value jet_bitcast_convert(jet_builder *b, jet_value x, jet_dtype new_dtype) {
  jet_attr a = jet__attr_dtype("new_dtype", new_dtype);
  return jet__builder_node(b, "jet_bitcast_convert", JET_OP_BITCAST_CONVERT_TYPE, &x, 1, &a, 1,
                           NULL, NULL, 0);
}

jet_value jet_broadcast_in_dim(jet_builder *b, jet_value x, const int64_t *shape, size_t rank,
                               const int64_t *broadcast_dimensions, size_t n) {
  jet_attr a[2] = {jet__attr_ints("shape", shape, rank),
                   jet__attr_ints("broadcast_dimensions", broadcast_dimensions, n)};
  size_t lens[2] = {rank, n};
  if (!lists_ok(b, "jet_broadcast_in_dim", a, 2, lens)) return JET_NO_VALUE;
  return jet__builder_node(b, "jet_broadcast_in_dim", JET_OP_BROADCAST_IN_DIM, &x, 1, a, 2, NULL,
                           NULL, 0);
}

jet_value jet_reshape(jet_builder *b, jet_value x, const int64_t *new_sizes, size_t n) {
  return ints_op(b, "jet_reshape", JET_OP_RESHAPE, x, "new_sizes", new_sizes, n);
}
jet_value jet_transpose(jet_builder *b, jet_value x, const int64_t *permutation, size_t n) {
  return ints_op(b, "jet_transpose", JET_OP_TRANSPOSE, x, "permutation", permutation, n);
}
jet_value jet_squeeze(jet_builder *b, jet_value x, const int64_t *dimensions, size_t n) {
  return ints_op(b, "jet_squeeze", JET_OP_SQUEEZE, x, "dimensions", dimensions, n);
}
jet_value jet_expand_dims(jet_builder *b, jet_value x, const int64_t *dimensions, size_t n) {
  return ints_op(b, "jet_expand_dims", JET_OP_EXPAND_DIMS, x, "dimensions", dimensions, n);
}
jet_value jet_rev(jet_builder *b, jet_value x, const int64_t *dimensions, size_t n) {
  return ints_op(b, "jet_rev", JET_OP_REV, x, "dimensions", dimensions, n);
}

jet_value jet_slice(jet_builder *b, jet_value x, const int64_t *start_indices,
                    const int64_t *limit_indices, const int64_t *strides, size_t n) {
  jet_attr a[3] = {jet__attr_ints("start_indices", start_indices, n),
                   jet__attr_ints("limit_indices", limit_indices, n), jet__attr_ints("strides", strides, n)};
  size_t lens[3] = {n, n, n};
  if (!lists_ok(b, "jet_slice", a, 3, lens)) return JET_NO_VALUE;
  return jet__builder_node(b, "jet_slice", JET_OP_SLICE, &x, 1, a, strides ? 3 : 2, NULL, NULL, 0);
}

jet_value jet_dynamic_slice(jet_builder *b, jet_value x, const jet_value *start_indices,
                            size_t n_starts, const int64_t *slice_sizes, size_t n_sizes) {
  static const char fn[] = "jet_dynamic_slice";
  jet_attr a = jet__attr_ints("slice_sizes", slice_sizes, n_sizes);
  if (!lists_ok(b, fn, &a, 1, &n_sizes)) return JET_NO_VALUE;
  if (n_starts > JET_MAX_RANK) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                             "%zu start indices (at most %d)", n_starts,
                                             JET_MAX_RANK));
    return JET_NO_VALUE;
  }
  jet_value args[1 + JET_MAX_RANK];
  args[0] = x;
  for (size_t i = 0; i < n_starts; i++) args[1 + i] = start_indices[i];
  return jet__builder_node(b, fn, JET_OP_DYNAMIC_SLICE, args, 1 + n_starts, &a, 1, NULL, NULL, 0);
}

jet_value jet_dynamic_update_slice(jet_builder *b, jet_value x, jet_value update,
                                   const jet_value *start_indices, size_t n_starts) {
  static const char fn[] = "jet_dynamic_update_slice";
  if (!b || b->err) return JET_NO_VALUE;
  if (n_starts > JET_MAX_RANK) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT,
                                             "%zu start indices (at most %d)", n_starts,
                                             JET_MAX_RANK));
    return JET_NO_VALUE;
  }
  jet_value args[2 + JET_MAX_RANK];
  args[0] = x;
  args[1] = update;
  for (size_t i = 0; i < n_starts; i++) args[2 + i] = start_indices[i];
  return jet__builder_node(b, fn, JET_OP_DYNAMIC_UPDATE_SLICE, args, 2 + n_starts, NULL, 0, NULL,
                           NULL, 0);
}

jet_value jet_concatenate(jet_builder *b, const jet_value *xs, size_t n, int64_t dimension) {
  jet_attr a = jet__attr_int("dimension", dimension);
  return jet__builder_node(b, "jet_concatenate", JET_OP_CONCATENATE, xs, n, &a, 1, NULL, NULL, 0);
}

jet_value jet_pad(jet_builder *b, jet_value x, jet_value padding_value,
                  const int64_t *padding_config, size_t n) {
  jet_attr a = jet__attr_ints("padding_config", padding_config, n);
  if (!lists_ok(b, "jet_pad", &a, 1, &n)) return JET_NO_VALUE;
  jet_value args[2] = {x, padding_value};
  return jet__builder_node(b, "jet_pad", JET_OP_PAD, args, 2, &a, 1, NULL, NULL, 0);
}

jet_value jet_iota(jet_builder *b, jet_dtype dtype, const int64_t *shape, size_t rank,
                   int64_t dimension) {
  jet_attr a[3] = {jet__attr_dtype("dtype", dtype), jet__attr_ints("shape", shape, rank),
                   jet__attr_int("dimension", dimension)};
  size_t lens[3] = {0, rank, 0};
  if (!lists_ok(b, "jet_iota", a, 3, lens)) return JET_NO_VALUE;
  return jet__builder_node(b, "jet_iota", JET_OP_IOTA, NULL, 0, a, 3, NULL, NULL, 0);
}

jet_value jet_gather(jet_builder *b, jet_value operand, jet_value start_indices,
                     const jet_gather_dims *d) {
  static const char fn[] = "jet_gather";
  if (!b || b->err) return JET_NO_VALUE;
  if (!d) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "dims is NULL"));
    return JET_NO_VALUE;
  }
  jet_attr a[7];
  size_t lens[7];
  size_t n = 0;
  a[n] = jet__attr_ints("offset_dims", d->offset_dims, d->n_offset_dims);
  lens[n++] = d->n_offset_dims;
  a[n] = jet__attr_ints("collapsed_slice_dims", d->collapsed_slice_dims, d->n_collapsed_slice_dims);
  lens[n++] = d->n_collapsed_slice_dims;
  a[n] = jet__attr_ints("start_index_map", d->start_index_map, d->n_start_index_map);
  lens[n++] = d->n_start_index_map;
  if (d->n_operand_batching_dims) {
    a[n] = jet__attr_ints("operand_batching_dims", d->operand_batching_dims, d->n_operand_batching_dims);
    lens[n++] = d->n_operand_batching_dims;
  }
  if (d->n_start_indices_batching_dims) {
    a[n] = jet__attr_ints("start_indices_batching_dims", d->start_indices_batching_dims,
                  d->n_start_indices_batching_dims);
    lens[n++] = d->n_start_indices_batching_dims;
  }
  a[n] = jet__attr_ints("slice_sizes", d->slice_sizes, d->n_slice_sizes);
  lens[n++] = d->n_slice_sizes;
  if (d->mode != JET_MODE_DEFAULT) {
    a[n] = jet__attr_int("mode", d->mode);
    lens[n++] = 0;
  }
  if (!lists_ok(b, fn, a, n, lens)) return JET_NO_VALUE;
  jet_value args[2] = {operand, start_indices};
  return jet__builder_node(b, fn, JET_OP_GATHER, args, 2, a, n, NULL, NULL, 0);
}

jet_value jet_scatter_add(jet_builder *b, jet_value operand, jet_value scatter_indices,
                          jet_value updates, const jet_scatter_dims *d) {
  static const char fn[] = "jet_scatter_add";
  if (!b || b->err) return JET_NO_VALUE;
  if (!d) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "dims is NULL"));
    return JET_NO_VALUE;
  }
  jet_attr a[6];
  size_t lens[6];
  size_t n = 0;
  a[n] = jet__attr_ints("update_window_dims", d->update_window_dims, d->n_update_window_dims);
  lens[n++] = d->n_update_window_dims;
  a[n] = jet__attr_ints("inserted_window_dims", d->inserted_window_dims, d->n_inserted_window_dims);
  lens[n++] = d->n_inserted_window_dims;
  a[n] = jet__attr_ints("scatter_dims_to_operand_dims", d->scatter_dims_to_operand_dims,
                d->n_scatter_dims_to_operand_dims);
  lens[n++] = d->n_scatter_dims_to_operand_dims;
  if (d->n_operand_batching_dims) {
    a[n] = jet__attr_ints("operand_batching_dims", d->operand_batching_dims, d->n_operand_batching_dims);
    lens[n++] = d->n_operand_batching_dims;
  }
  if (d->n_scatter_indices_batching_dims) {
    a[n] = jet__attr_ints("scatter_indices_batching_dims", d->scatter_indices_batching_dims,
                  d->n_scatter_indices_batching_dims);
    lens[n++] = d->n_scatter_indices_batching_dims;
  }
  if (d->mode != JET_MODE_DEFAULT) {
    a[n] = jet__attr_int("mode", d->mode);
    lens[n++] = 0;
  }
  if (!lists_ok(b, fn, a, n, lens)) return JET_NO_VALUE;
  jet_value args[3] = {operand, scatter_indices, updates};
  return jet__builder_node(b, fn, JET_OP_SCATTER_ADD, args, 3, a, n, NULL, NULL, 0);
}

jet_value jet_reduce_sum(jet_builder *b, jet_value x, const int64_t *axes, size_t n) {
  return ints_op(b, "jet_reduce_sum", JET_OP_REDUCE_SUM, x, "axes", axes, n);
}
jet_value jet_reduce_max(jet_builder *b, jet_value x, const int64_t *axes, size_t n) {
  return ints_op(b, "jet_reduce_max", JET_OP_REDUCE_MAX, x, "axes", axes, n);
}
jet_value jet_reduce_min(jet_builder *b, jet_value x, const int64_t *axes, size_t n) {
  return ints_op(b, "jet_reduce_min", JET_OP_REDUCE_MIN, x, "axes", axes, n);
}
jet_value jet_reduce_prod(jet_builder *b, jet_value x, const int64_t *axes, size_t n) {
  return ints_op(b, "jet_reduce_prod", JET_OP_REDUCE_PROD, x, "axes", axes, n);
}

static jet_value argreduce(jet_builder *b, const char *fn, jet_op op, jet_value x,
                           const int64_t *axes, size_t n, jet_dtype index_dtype) {
  jet_attr a[2] = {jet__attr_ints("axes", axes, n), jet__attr_dtype("index_dtype", index_dtype)};
  size_t lens[2] = {n, 0};
  if (!lists_ok(b, fn, a, 2, lens)) return JET_NO_VALUE;
  return jet__builder_node(b, fn, op, &x, 1, a, 2, NULL, NULL, 0);
}
jet_value jet_argmax(jet_builder *b, jet_value x, const int64_t *axes, size_t n,
                     jet_dtype index_dtype) {
  return argreduce(b, "jet_argmax", JET_OP_ARGMAX, x, axes, n, index_dtype);
}
jet_value jet_argmin(jet_builder *b, jet_value x, const int64_t *axes, size_t n,
                     jet_dtype index_dtype) {
  return argreduce(b, "jet_argmin", JET_OP_ARGMIN, x, axes, n, index_dtype);
}

jet_value jet_cumsum(jet_builder *b, jet_value x, int64_t axis, bool reverse) {
  jet_attr a[2] = {jet__attr_int("axis", axis), jet__attr_bool("reverse", reverse)};
  return jet__builder_node(b, "jet_cumsum", JET_OP_CUMSUM, &x, 1, a, 2, NULL, NULL, 0);
}

static jet_value dot(jet_builder *b, const char *fn, jet_value lhs, jet_value rhs,
                     const int64_t *lc, size_t n_lc, const int64_t *rc, size_t n_rc,
                     const int64_t *lb, size_t n_lb, const int64_t *rb, size_t n_rb,
                     bool typed, jet_dtype pref) {
  jet_attr a[5];
  size_t lens[5];
  size_t n = 0;
  a[n] = jet__attr_ints("lhs_contracting_dimensions", lc, n_lc);
  lens[n++] = n_lc;
  a[n] = jet__attr_ints("rhs_contracting_dimensions", rc, n_rc);
  lens[n++] = n_rc;
  if (n_lb || n_rb) {
    a[n] = jet__attr_ints("lhs_batch_dimensions", lb, n_lb);
    lens[n++] = n_lb;
    a[n] = jet__attr_ints("rhs_batch_dimensions", rb, n_rb);
    lens[n++] = n_rb;
  }
  if (typed) {
    a[n] = jet__attr_dtype("preferred_element_type", pref);
    lens[n++] = 0;
  }
  if (!lists_ok(b, fn, a, n, lens)) return JET_NO_VALUE;
  jet_value args[2] = {lhs, rhs};
  return jet__builder_node(b, fn, JET_OP_DOT_GENERAL, args, 2, a, n, NULL, NULL, 0);
}

jet_value jet_dot_general(jet_builder *b, jet_value lhs, jet_value rhs, const int64_t *lhs_contract,
                          size_t n_lc, const int64_t *rhs_contract, size_t n_rc,
                          const int64_t *lhs_batch, size_t n_lb, const int64_t *rhs_batch,
                          size_t n_rb) {
  return dot(b, "jet_dot_general", lhs, rhs, lhs_contract, n_lc, rhs_contract, n_rc, lhs_batch,
             n_lb, rhs_batch, n_rb, false, JET_DTYPE_INVALID);
}

jet_value jet_dot_general_typed(jet_builder *b, jet_value lhs, jet_value rhs,
                                const int64_t *lhs_contract, size_t n_lc,
                                const int64_t *rhs_contract, size_t n_rc,
                                const int64_t *lhs_batch, size_t n_lb, const int64_t *rhs_batch,
                                size_t n_rb, jet_dtype preferred_element_type) {
  return dot(b, "jet_dot_general_typed", lhs, rhs, lhs_contract, n_lc, rhs_contract, n_rc,
             lhs_batch, n_lb, rhs_batch, n_rb, true, preferred_element_type);
}

jet_value jet_constant(jet_builder *b, const jet_type *type, const void *data) {
  static const char fn[] = "jet_constant";
  if (!b || b->err) return JET_NO_VALUE;
  if (!type) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "type is NULL"));
    return JET_NO_VALUE;
  }
  jet_status st = jet_type_check(type, "constant type");
  if (st) {
    jet__builder_fail(b, fn, st);
    return JET_NO_VALUE;
  }
  size_t nbytes = jet_type_nbytes(type);
  if (nbytes && !data) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "data is NULL"));
    return JET_NO_VALUE;
  }
  static const uint8_t empty[1] = {0};
  jet_attr a = {0};
  a.name = "value";
  a.kind = JET_ATTR_LITERAL;
  a.u.lit.type = *type;
  a.u.lit.data = nbytes ? data : empty;
  a.u.lit.nbytes = nbytes;
  return jet__builder_node(b, fn, JET_OP_CONSTANT, NULL, 0, &a, 1, NULL, NULL, 0);
}
