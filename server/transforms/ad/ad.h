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
#include "transforms/emit.h"

/* A symbolic zero tangent or cotangent (the emit helpers' "no value"). */
#define JET_AD_ZERO JET_EMIT_NONE

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

/* Defines jet__jvp_<E> and jet__vjp_<E> as the zero rules (rules_*.c). */
#define JET_AD_ZERO_RULES(E)                                                                \
  void jet__jvp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *t, \
                    const jet_value *y, jet_value *ty) {                                    \
    jet__jvp_zero(e, n, x, t, y, ty);                                                       \
  }                                                                                         \
  void jet__vjp_##E(jet_emit *e, const jet_node *n, const jet_value *x, const jet_value *y, \
                    const jet_value *ct, jet_value *cx) {                                   \
    jet__vjp_zero(e, n, x, y, ct, cx);                                                      \
  }

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
 * hessian need float differentiated outputs. Built as JAX does: vmap
 * (batch/batch.h) of the jvp over a one-hot basis of the inputs (jacfwd) or
 * of the backward pass over a one-hot basis of the outputs (jacrev), the
 * primal pass unbatched and computed once; the node count does not depend
 * on the basis size. Called through
 * jet_transforms_apply (server/transforms/transforms.h). */

#endif
