/* Emission: building a new graph node by node, for the transforms
 * (autodiff in ad/, batching in batch/). Every helper runs the shared shape
 * inference. Errors are sticky: after the first one (kept in e->status)
 * helpers add nothing and return JET_EMIT_NONE, so rules need no error
 * checks; drivers check e->status once per node. (server/transforms/emit.c)
 *
 * JET_EMIT_NONE doubles as autodiff's symbolic zero (JET_AD_ZERO): helpers
 * named *_z and jet_emit_add_any treat it as a zero operand; every other
 * helper refuses it as an operand (INTERNAL error).
 */
#ifndef JET_TRANSFORMS_EMIT_H
#define JET_TRANSFORMS_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet/graph.h"

#define JET_EMIT_NONE JET_NO_VALUE

typedef struct jet_emit {
  jet_graph *g;      /* the graph being built (not owned) */
  jet_status status; /* first error, NULL while all is well */
} jet_emit;

/* Type of a value of e->g (never NULL for a value the helpers returned; a
 * static f32[] dummy after an error). */
const jet_type *jet_emit_type(const jet_emit *e, jet_value v);

/* Adds op(operands; attrs) and returns its first result. */
jet_value jet_emit_op(jet_emit *e, jet_op op, const jet_value *operands, uint32_t n,
                      const jet_attr *attrs, uint32_t n_attrs);
jet_value jet_emit1(jet_emit *e, jet_op op, jet_value x);
jet_value jet_emit2(jet_emit *e, jet_op op, jet_value x, jet_value y);
jet_value jet_emit3(jet_emit *e, jet_op op, jet_value a, jet_value b, jet_value c);

/* Attribute constructors (the arrays are borrowed until the emit call). */
jet_attr jet_emit_attr_int(const char *name, int64_t v);
jet_attr jet_emit_attr_ints(const char *name, const int64_t *v, uint32_t n);
jet_attr jet_emit_attr_bool(const char *name, bool v);
jet_attr jet_emit_attr_dtype(const char *name, jet_dtype v);

/* A rank-0 constant of `dtype` holding v (converted to the dtype). */
jet_value jet_emit_scalar(jet_emit *e, jet_dtype dtype, double v);
/* A constant of type t filled with v: a scalar constant broadcast to t's
 * shape (one broadcast_in_dim node; no data of t's size in the graph). */
jet_value jet_emit_full(jet_emit *e, const jet_type *t, double v);
/* jet_emit_full(e, type of x, v). */
jet_value jet_emit_full_like(jet_emit *e, jet_value x, double v);

/* Sum of two tangents/cotangents where either may be JET_EMIT_NONE (then the
 * other is returned unchanged; both zero gives JET_EMIT_NONE). */
jet_value jet_emit_add_any(jet_emit *e, jet_value a, jet_value b);
/* neg / mul / ... that propagate JET_EMIT_NONE: the result is JET_EMIT_NONE when
 * a factor that makes it zero is JET_EMIT_NONE. */
jet_value jet_emit_neg_z(jet_emit *e, jet_value t);
jet_value jet_emit_mul_z(jet_emit *e, jet_value t, jet_value y);

/* Shapes. */
jet_value jet_emit_convert(jet_emit *e, jet_value x, jet_dtype dtype); /* no-op if equal */
jet_value jet_emit_broadcast_in_dim(jet_emit *e, jet_value x, const int64_t *shape,
                                    int32_t rank, const int64_t *bdims, uint32_t n_bdims);
/* Broadcasts a rank-0 x (or x of exactly t's shape: returned as is) to t's
 * shape. */
jet_value jet_emit_broadcast_to(jet_emit *e, jet_value x, const jet_type *t);
jet_value jet_emit_reduce_sum(jet_emit *e, jet_value x, const int64_t *axes, uint32_t n);
jet_value jet_emit_reshape(jet_emit *e, jet_value x, const int64_t *sizes, int32_t rank);
jet_value jet_emit_transpose(jet_emit *e, jet_value x, const int64_t *perm, uint32_t n);
/* The reverse of the implicit rank-0 broadcasting of binary ops: when
 * operand_type has rank 0 and ct does not, sums ct over every axis;
 * otherwise returns ct. JET_EMIT_NONE stays JET_EMIT_NONE. */
jet_value jet_emit_unbroadcast(jet_emit *e, jet_value ct, const jet_type *operand_type);

/* Sets e->status to st unless an error is kept already (then frees st). */
void jet_emit_fail(jet_emit *e, jet_status st);

/* Emits a copy of node nd (not a call) with operands ops[] (values of e->g);
 * returns its first result. */
jet_value jet_emit_node_copy(jet_emit *e, const jet_node *nd, const jet_value *ops);

/* A new root graph with g's parameters (or, when param_types is non-NULL,
 * with those n_params types instead), wrapped in an emitter. Its name is g's
 * name + "_" + suffix (g's name when suffix is NULL or ""). */
jet_status jet_emit_start(const jet_graph *g, const char *suffix, const jet_type *param_types,
                          uint32_t n_params, jet_emit *e) JET_MUST_USE;
/* Sets outs as e->g's outputs and hands the graph over (or destroys it and
 * returns the error kept in e->status). */
jet_status jet_emit_finish(jet_emit *e, const jet_value *outs, uint32_t n, jet_graph **out)
    JET_MUST_USE;

/* "[3]" / "[]" / "[2,4]" for error messages, into buf. */
const char *jet_emit_shape_str(const jet_type *t, char *buf, size_t cap);

#endif
