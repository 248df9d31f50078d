/* Internals of shared/src/infer: the argument bundle every shape rule gets,
 * the rule prototypes (one per `rule` of ops.def) and small helpers shared by
 * the rule families. */
#ifndef JET_INFER_INTERNAL_H
#define JET_INFER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "jet/graph.h"
#include "jet/infer.h"

typedef struct jet_infer_args {
  jet_op op;
  const jet_op_info *info;
  const jet_type *in;
  uint32_t n_in;
  const jet_attr *attrs;
  uint32_t n_attrs;
  const jet_graph *callee;
  jet_graph *const *subgraphs; /* control-flow sub-graphs (cond: branches) */
  uint32_t n_subgraphs;
  const jet_transform *transforms;
  uint32_t n_transforms;
  jet_type *out;
  uint32_t out_cap;
  uint32_t n_out;
} jet_infer_args;

typedef jet_status (*jet_infer_rule)(jet_infer_args *a);

/* One prototype per rule named in ops.def (repeats are harmless). */
#define JET_OP(E, name, nopnd, rule, dtm, attrs) \
  jet_status jet__rule_##rule(jet_infer_args *a) JET_MUST_USE;
#include "jet/ops.def"
#undef JET_OP

/* Appends one result type (INVALID_ARGUMENT when there is no room). */
jet_status jet__infer_emit(jet_infer_args *a, const jet_type *t) JET_MUST_USE;

/* Checks a type from outside: dtype known (INVALID_ARGUMENT), not reserved
 * (UNIMPLEMENTED), then jet_type_check. `what` names it in the message. */
jet_status jet__infer_check_type(const jet_type *t, const char *what) JET_MUST_USE;
/* Dtype known (INVALID_ARGUMENT) and not reserved (UNIMPLEMENTED). */
jet_status jet__infer_check_dtype(int d, const char *what) JET_MUST_USE;

/* Operand i's dtype is in the op's dtype mask. */
jet_status jet__infer_operand_in_mask(const jet_infer_args *a, uint32_t i) JET_MUST_USE;
/* Operand i's dtype is in `mask`; `need` describes it ("an integer"). */
jet_status jet__infer_operand_dtype(const jet_infer_args *a, uint32_t i, uint32_t mask,
                                    const char *need) JET_MUST_USE;
/* Operand j has the same dtype as operand i ("operand 1 has type i32[3] but
 * operand 0 has f32[3]"). */
jet_status jet__infer_same_dtype(const jet_infer_args *a, uint32_t i, uint32_t j) JET_MUST_USE;

/* Attribute lookup after the schema check (so kinds are right). */
const jet_attr *jet__infer_attr(const jet_infer_args *a, const char *name);
int64_t jet__infer_attr_int(const jet_infer_args *a, const char *name, int64_t dflt);
/* Int list: v and n get the values (n = 0 and v = NULL when absent). */
bool jet__infer_attr_ints(const jet_infer_args *a, const char *name, const int64_t **v,
                          uint32_t *n);

/* Checks that list `name` (values v[0..n)) has exactly `want` entries. */
jet_status jet__infer_ints_len(const char *name, uint32_t n, int64_t want) JET_MUST_USE;
/* Normalises axis `x` (negative counts from the end when allow_neg) into
 * [0, rank); error names attribute `name` and entry `idx`. */
jet_status jet__infer_axis(const char *name, uint32_t idx, int64_t x, int32_t rank, bool allow_neg,
                           int32_t *out) JET_MUST_USE;
/* Normalises list `name` into axes[] (capacity JET_MAX_RANK): length at most
 * rank, each in range, unique; sorted required when `sorted`. */
jet_status jet__infer_axes(const char *name, const int64_t *v, uint32_t n, int32_t rank,
                           bool allow_neg, bool sorted, int32_t *axes) JET_MUST_USE;

/* Overflow-checked int64 arithmetic: false on overflow. */
bool jet__add64(int64_t x, int64_t y, int64_t *out);
bool jet__mul64(int64_t x, int64_t y, int64_t *out);

/* "[1,2,3]" of an int list into buf (truncated with "..." when long). */
const char *jet__ints_str(const int64_t *v, uint32_t n, char *buf, size_t cap);

/* A type with every dim zeroed, then the first `rank` copied from dims (may
 * be NULL: all zero). */
jet_type jet__type(jet_dtype dtype, int32_t rank, const int64_t *dims);

#define JET__TS(t, buf) jet_type_str((t), (buf), sizeof(buf))

/* vmap's signature (transform_vmap.c): tf[i] is the vmap applied to
 * (p, o); args (NULL allowed) are the final argument types of the whole
 * chain tf[0..n_tf). Writes np new params, no new outputs and the size. */
jet_status jet__transform_vmap(const jet_type *p, uint32_t np, const jet_type *o, uint32_t no,
                               const jet_transform *tf, uint32_t n_tf, uint32_t i,
                               const jet_type *args, uint32_t n_args, jet_type *new_p,
                               jet_type *new_o, int64_t *size_out) JET_MUST_USE;

#endif
