/* Automatic differentiation: graph -> graph, as JAX does it.
 *
 * Forward mode propagates tangents with one JVP rule per op; reverse mode
 * walks the graph backwards with one VJP rule per op (the primal values are
 * the residuals, exactly as a linearize+transpose would keep them).
 * Both rule tables are indexed by the op table (shared/include/jet/ops.def)
 * through its X-macro, so an op without a rule does not link; a unit test
 * also checks every entry at run time.
 *
 * Rules emit ordinary op-table nodes into the graph being built (through the
 * jet_emit helpers below), so every derivative graph is itself
 * differentiable: grad of grad, jvp of vjp, ... compose to any depth.
 *
 * Symbolic zeros: JET_AD_ZERO stands for a tangent or cotangent that is
 * known to be zero. It is never materialised as an array except where a
 * graph output needs one. Values of integer or bool dtype always have zero
 * tangents (JAX's float0).
 *
 * Thread safety: pure functions of their inputs.
 */
#ifndef JET_TRANSFORMS_AD_H
#define JET_TRANSFORMS_AD_H

#include <stdbool.h>
#include <stdint.h>

#include "jet/graph.h"

#define JET_AD_ZERO JET_NO_VALUE

/* ------------------------------------------------------------------------
 * Emission: adding nodes to the graph being built. Every helper runs the
 * shared shape inference. Errors are sticky: after the first one (kept in
 * e->status) helpers add nothing and return JET_AD_ZERO, so rules need no
 * error checks; the driver checks e->status once per node.
 * (server/transforms/ad/emit.c)
 * ------------------------------------------------------------------------ */

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

/* Sum of two tangents/cotangents where either may be JET_AD_ZERO (then the
 * other is returned unchanged; both zero gives JET_AD_ZERO). */
jet_value jet_emit_add_any(jet_emit *e, jet_value a, jet_value b);
/* neg / mul / ... that propagate JET_AD_ZERO: the result is JET_AD_ZERO when
 * a factor that makes it zero is JET_AD_ZERO. */
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
 * otherwise returns ct. JET_AD_ZERO stays JET_AD_ZERO. */
jet_value jet_emit_unbroadcast(jet_emit *e, jet_value ct, const jet_type *operand_type);

/* ------------------------------------------------------------------------
 * Rules
 * ------------------------------------------------------------------------ */

/* JVP rule of one node. `n` is the source node (attributes, result types).
 * x[i] are its operands and y[j] its primal results, already emitted into
 * e->g; t[i] are the operand tangents (JET_AD_ZERO when zero; always zero for
 * non-float operands). The rule writes the result tangents to ty[j]
 * (JET_AD_ZERO allowed). The driver calls it only when some t[i] is non-zero
 * and some result is of a float dtype, and it forces tangents of non-float
 * results to zero afterwards. Tangent ops must be linear in t. */
typedef void (*jet_jvp_rule)(jet_emit *e, const jet_node *n, const jet_value *x,
                             const jet_value *t, const jet_value *y, jet_value *ty);

/* VJP rule of one node: given the cotangents ct[j] of its results
 * (JET_AD_ZERO when zero; at least one is not), writes the cotangent
 * contribution to each operand into cx[i] (JET_AD_ZERO when none). x[i] and
 * y[j] are the primal operands and results in e->g. The driver sums
 * contributions, and ignores cx[i] of non-float operands. */
typedef void (*jet_vjp_rule)(jet_emit *e, const jet_node *n, const jet_value *x,
                             const jet_value *y, const jet_value *ct, jet_value *cx);

/* The rule tables (server/transforms/ad/rules.c): every op has an entry.
 * Ops without a derivative (comparisons, integer and bitwise ops,
 * argmax/argmin, iota, stop_gradient, ...) have rules giving zero. The rule
 * functions are named jet__jvp_<ENUM> and jet__vjp_<ENUM> (ENUM as in
 * ops.def, e.g. jet__jvp_DOT_GENERAL) and live in rules_*.c by family. */
jet_jvp_rule jet_ad_jvp_rule(jet_op op);
jet_vjp_rule jet_ad_vjp_rule(jet_op op);

#define JET_OP(E, name, nopnd, rule, dtm, attrs)                                       \
  void jet__jvp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t, \
                    const jet_value *y, jet_value *ty);                                 \
  void jet__vjp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y, \
                    const jet_value *ct, jet_value *cx);
#include "jet/ops.def"
#undef JET_OP

/* Shared rule bodies for ops whose derivative is zero. */
void jet__jvp_zero(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t,
                   const jet_value *y, jet_value *ty);
void jet__vjp_zero(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y,
                   const jet_value *ct, jet_value *cx);

/* ------------------------------------------------------------------------
 * Drivers (server/transforms/ad/jvp.c, vjp.c, grad.c). Each takes a
 * validated root graph without call nodes (jet_ad_inline_calls removes
 * them) and returns a new validated root graph (caller destroys). Errors
 * are as clear as JAX's and name the parameter, dtype or shape.
 * ------------------------------------------------------------------------ */

/* Inlines every call node (recursively), applying each callee's transforms
 * first (through jet_transforms_apply on a copy of the callee), so AD sees
 * one flat graph. The (transformed) callee's signature must match the call
 * node's operand and result types. */
jet_status jet_ad_inline_calls(const jet_graph *g, jet_graph **out) JET_MUST_USE;

/* jvp: params (primals..., tangents...) with tangents of the primals' types
 * (tangents of integer/bool primals are ignored); outputs (outputs...,
 * output tangents...), a zero tangent materialised as zeros of the output's
 * type. With has_aux only output 0 is differentiated: outputs (out0,
 * tangent0, aux...) (aux may be empty). */
jet_status jet_ad_jvp(const jet_graph *g, bool has_aux, jet_graph **out) JET_MUST_USE;

/* vjp: params (primals..., cotangents of the differentiated outputs...,
 * each of its output's type); outputs (outputs..., one cotangent per
 * primal, of the primal's type; zeros for integer/bool primals and primals
 * the outputs do not depend on). With has_aux only output 0 is
 * differentiated and takes a cotangent; the outputs are then (out0,
 * aux..., cotangent per primal...). */
jet_status jet_ad_vjp(const jet_graph *g, bool has_aux, jet_graph **out) JET_MUST_USE;

/* grad and value_and_grad (t->kind JET_TF_GRAD or JET_TF_VALUE_AND_GRAD)
 * with argnums (empty = {0}; an int or a tuple; duplicates allowed as in
 * JAX, each gives its own output; negative refused), has_aux, allow_int
 * (the gradient of an integer/bool param is zeros of its own type);
 * holomorphic=true is UNIMPLEMENTED (no complex dtypes). Checks in order:
 * output 0 a scalar ("Gradient only defined for scalar-output functions.
 * Output had shape: [3]. ..."), exactly one output unless has_aux, output 0
 * float ("grad requires real-valued outputs ..."), argnums in range
 * ("differentiating with respect to argnums=2 requires at least 3
 * positional arguments ..."), differentiated params float unless allow_int
 * ("grad requires real-valued inputs (input dtype that is a sub-dtype of
 * np.inexact), but got i32 for argument 1. ..."). The seed cotangent is a
 * constant 1 of output 0's dtype. Outputs: grad -> (grads..., [aux...]);
 * value_and_grad -> (value, [aux...], grads...). */
jet_status jet_ad_grad(const jet_graph *g, const jet_transform *t, jet_graph **out) JET_MUST_USE;

/* Building blocks for composing transforms inside one graph: emit the JVP /
 * VJP of `src` (a call-free graph) into e->g, with src's params bound to
 * primals[] (values of e->g). jvp: tangents[] per param (JET_AD_ZERO
 * allowed); writes outs[] and out_tangents[] (JET_AD_ZERO possible) per
 * src output. vjp: writes outs[] per src output, then uses cts[] (one per
 * src output, JET_AD_ZERO allowed) and writes in_cts[] per src param
 * (JET_AD_ZERO possible). */
void jet_ad_emit_jvp(jet_emit *e, const jet_graph *src, const jet_value *primals,
                     const jet_value *tangents, jet_value *outs, jet_value *out_tangents);
void jet_ad_emit_vjp(jet_emit *e, const jet_graph *src, const jet_value *primals,
                     const jet_value *cts, jet_value *outs, jet_value *in_cts);

/* jacfwd, jacrev, hessian (t->kind JET_TF_JACFWD / JACREV / HESSIAN;
 * server/transforms/ad/jac.c, whose header details the construction):
 * argnums, has_aux, allow_int as for grad. With differentiated outputs o_k
 * (has_aux: output 0 only) and params p_a, the outputs are one array per
 * (k, a), k outer, of shape o_k.shape + p_a.shape and dtype of o_k (jacfwd)
 * or p_a (jacrev), then the aux outputs; hessian = jacfwd(jacrev) gives per
 * (k, a, b) o_k.shape + p_a.shape + p_b.shape, dtype of p_a. jacrev and
 * hessian need float differentiated outputs. Built by unrolling over the
 * standard basis (one tangent pass per input element / one backward pass
 * per output element, sharing one primal pass); more than 4096 basis
 * elements is UNIMPLEMENTED until vmap exists. Called through
 * jet_transforms_apply (server/transforms/transforms.h). */

#endif
