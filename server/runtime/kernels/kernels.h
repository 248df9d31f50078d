/* Internal interface of the reference kernels (server/runtime/kernels).
 *
 * Every op of jet/ops.def has one kernel jet__k_<ENUM> with the signature of
 * jet_kernel_fn. A kernel reads its operands in[0..node->n_operands-1] and
 * writes out[0..node->n_results-1], whose types are node->results and whose
 * data the driver has already allocated (call excepted: it allocates its own
 * results). Kernels trust the graph validation for shapes and attributes but
 * never trust array values (indices, divisors, shift amounts, floats to
 * convert): every input value gives a defined result.
 *
 * Element storage: bool is one byte and any non-zero byte reads as true;
 * kernels write 0 or 1.
 */
#ifndef JET_RUNTIME_KERNELS_H
#define JET_RUNTIME_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "exec.h"
#include "jet/graph.h"

#define JET_OP(E, name, nopnd, rule, dtm, attrs) \
  jet_status jet__k_##E(const jet_node *node, const jet_buf *in, jet_buf *out);
#include "jet/ops.def"
#undef JET_OP

/* Dtype lists for instantiating one macro body per dtype:
 * X(arg, suffix, C type, unsigned type of the same width, signed type of the
 * same width, dtype enum). bool is stored as uint8_t. */
#define JET_EACH_SINT(X, a)                                 \
  X(a, i32, int32_t, uint32_t, int32_t, JET_I32)            \
  X(a, i64, int64_t, uint64_t, int64_t, JET_I64)
#define JET_EACH_UINT(X, a)                                 \
  X(a, u8, uint8_t, uint8_t, int8_t, JET_U8)                \
  X(a, u32, uint32_t, uint32_t, int32_t, JET_U32)
#define JET_EACH_FLOAT(X, a)                                \
  X(a, f32, float, float, float, JET_F32)                   \
  X(a, f64, double, double, double, JET_F64)
#define JET_EACH_BOOL(X, a) X(a, b8, uint8_t, uint8_t, int8_t, JET_BOOL)
#define JET_EACH_INT(X, a) JET_EACH_SINT(X, a) JET_EACH_UINT(X, a)
#define JET_EACH_NUM(X, a) JET_EACH_INT(X, a) JET_EACH_FLOAT(X, a)
#define JET_EACH_ANY(X, a) JET_EACH_NUM(X, a) JET_EACH_BOOL(X, a)
/* A second copy, for nesting one list inside another (cross products). */
#define JET_EACH_ANY2(X, a)                                 \
  X(a, i32, int32_t, uint32_t, int32_t, JET_I32)            \
  X(a, i64, int64_t, uint64_t, int64_t, JET_I64)            \
  X(a, u8, uint8_t, uint8_t, int8_t, JET_U8)                \
  X(a, u32, uint32_t, uint32_t, int32_t, JET_U32)           \
  X(a, f32, float, float, float, JET_F32)                   \
  X(a, f64, double, double, double, JET_F64)                \
  X(a, b8, uint8_t, uint8_t, int8_t, JET_BOOL)

/* The error of a collective (an op with an axis_name attribute) that runs
 * outside any mapped axis of that name: INVALID_ARGUMENT with JAX's text
 * "unbound axis name: i. The following axis names (e.g. defined by pmap)
 * are available to collective operations: []" (kernels/collective.c; the
 * compile path gives the same for a graph it refuses). */
/* JAX's "unbound axis name" error for collective node `node`, listing the
 * axis names bound where it ran (bound[0..n_bound), innermost first). */
jet_status jet__k_unbound_axis(const jet_node *node, const char *const *bound,
                               uint32_t n_bound) JET_MUST_USE;
/* A collective node run by a member of a pmap: its axis looked up in
 * ctl->axes (innermost first) and run through that axis's communicator;
 * unbound -> jet__k_unbound_axis (kernels/collective.c). out[0] is
 * preallocated. */
jet_status jet__exec_collective(const jet_node *node, const jet_buf *in, jet_buf *out,
                                const jet_exec_ctl *ctl) JET_MUST_USE;

/* INVALID_ARGUMENT naming the operand and its dtype (the driver prefixes the
 * node). */
jet_status jet__k_bad_dtype(const jet_node *node, int operand, jet_dtype d) JET_MUST_USE;
/* INVALID_ARGUMENT for a missing or malformed attribute. */
jet_status jet__k_bad_attr(const jet_node *node, const char *attr) JET_MUST_USE;

/* An ints attribute: its values and count; NULL (and *n = 0) when absent or
 * of another kind. */
const int64_t *jet__k_ints(const jet_node *node, const char *name, uint32_t *n);
/* Normalizes a possibly negative axis; -1 when out of [-rank, rank). */
int jet__k_axis(int64_t axis, int rank);

/* Element i of an integer (or bool) array as int64 (u32 and u8 exactly). */
int64_t jet__k_load_index(const jet_buf *b, int64_t i);

/* Copies a strided view: for every multi-index i over dims[0..rank-1],
 * dst[sum i*dst_strides] = src[sum i*src_strides] (strides in elements, any
 * sign, zero allowed). Elements are esz bytes (1, 4 or 8; other sizes work
 * bytewise). Nothing happens when a dim is 0. */
void jet__k_copy_strided(size_t esz, int rank, const int64_t *dims, const void *src,
                         const int64_t *src_strides, void *dst, const int64_t *dst_strides);
/* Fills n elements of esz bytes each with *value. */
void jet__k_fill(size_t esz, void *dst, int64_t n, const void *value);
/* Row-major strides in elements of type t. */
void jet__k_strides(const jet_type *t, int64_t *strides);

/* Converts n elements between any two supported dtypes with the rules of
 * convert_element_type (floats to ints saturate, NaN gives 0). False when a
 * dtype is not supported. */
bool jet__k_convert(jet_dtype from, const void *src, jet_dtype to, void *dst, int64_t n);

/* Runs a call node's callee on in[], writing fresh outputs to out[];
 * ctl may be NULL. Used by the driver and by jet__k_CALL. */
jet_status jet__exec_call(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) JET_MUST_USE;

/* Structured control flow (kernels/control.c); ctl may be NULL.
 * jet__cond_branch: the index of the branch pred (a bool or i32 scalar
 * buffer) picks (i32 clamped to the branch range). jet__exec_cond / _while
 * / _scan and jet__exec_control (any of the three): run the node's bodies
 * with jet_exec_graph, writing fresh outputs to out[]; loops poll ctl before
 * every iteration. jet__control_into: the same into preallocated out[] (the
 * results are copied in): the kernel-table entries (ctl NULL). */
uint32_t jet__cond_branch(const jet_node *node, const jet_buf *pred);
jet_status jet__exec_cond(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet__exec_while(const jet_node *node, const jet_buf *in, jet_buf *out,
                           const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet__exec_scan(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet__exec_control(const jet_node *node, const jet_buf *in, jet_buf *out,
                             const jet_exec_ctl *ctl) JET_MUST_USE;
/* pmap (kernels/pmap.c): runs the body once per member, concurrently. */
jet_status jet__exec_pmap(const jet_node *node, const jet_buf *in, jet_buf *out,
                          const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet__control_into(const jet_node *node, const jet_buf *in, jet_buf *out,
                             const jet_exec_ctl *ctl) JET_MUST_USE;

#endif
