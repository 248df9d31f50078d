/* Shape and dtype inference, attribute checking and whole-graph validation
 * (shared/src/infer). Pure functions of their inputs; thread-safe. */
#ifndef JET_INFER_H
#define JET_INFER_H

#include "jet/graph.h"

/* Most results any op has (call is bounded by this too). */
#define JET_MAX_RESULTS 4096

/* Checks `attrs` against op's schema (unknown name, wrong kind, missing
 * required, duplicates) and infers the result types of op applied to
 * operands of the given types. On success writes *n_results types to
 * results (capacity results_cap). `callee` is the sub-graph of a call node
 * (NULL otherwise); a call with transforms gets the types of the
 * transformed callee (jet_transform_signature_args with the operand types).
 * Errors are
 * INVALID_ARGUMENT (or UNIMPLEMENTED for reserved dtypes) with a message
 * naming the operand/attribute, e.g. "operand 1 has dtype i32 but operand 0
 * has f32"; callers prefix the node. */
jet_status jet_infer(jet_op op, const jet_type *operand_types, uint32_t n_operands,
                     const jet_attr *attrs, uint32_t n_attrs, const jet_graph *callee,
                     const jet_transform *transforms, uint32_t n_transforms,
                     jet_type *results, uint32_t results_cap, uint32_t *n_results) JET_MUST_USE;

/* jet_infer for nodes with control-flow sub-graphs (jet_node.subgraphs):
 * cond, while, scan and pmap take theirs here (jet_op_takes_subgraphs);
 * every other op must get n_subgraphs == 0. jet_infer is jet_infer_sub with no sub-graphs. */
jet_status jet_infer_sub(jet_op op, const jet_type *operand_types, uint32_t n_operands,
                         const jet_attr *attrs, uint32_t n_attrs, const jet_graph *callee,
                         jet_graph *const *subgraphs, uint32_t n_subgraphs,
                         const jet_transform *transforms, uint32_t n_transforms,
                         jet_type *results, uint32_t results_cap,
                         uint32_t *n_results) JET_MUST_USE;

/* The signature of a function after the transforms tf[0..n_tf) (innermost
 * first), with the conventions of the server's autodiff
 * (server/transforms/ad/ad.h) and the same checks and messages (scalar float
 * output for grad, float differentiated inputs unless allow_int, argnums in
 * range, Jacobian ranks <= JET_MAX_RANK); vmap and pmap as in
 * jet_transform_signature_args without argument types (they then need
 * axis_size).
 *   grad: params unchanged -> (grad per argnum..., aux...)
 *   value_and_grad: -> (value, aux..., grad per argnum...)
 *   jvp: (primals..., tangents...) -> (outs..., out tangents...);
 *        has_aux: (out0, tangent0, aux...)
 *   vjp: (primals..., cotangent per differentiated output...) ->
 *        (outs..., cotangent per primal...); has_aux: only out0 is
 *        differentiated
 *   jacfwd/jacrev: -> (jacobian per (output k, argnum a), k outer, of shape
 *        out_k.shape + param_a.shape..., aux...); dtype of out_k (jacfwd)
 *        or param_a (jacrev)
 *   hessian: -> (per (k, a, b): out_k.shape + param_a.shape +
 *        param_b.shape, dtype of param_a..., aux...)
 * (argnums empty = {0}; with has_aux only output 0 is differentiated.)
 * new_params/new_outs have room for `cap` types each (more is
 * INVALID_ARGUMENT). Errors are prefixed "transforms[i] (kind): ". */
jet_status jet_transform_signature(const jet_type *params, uint32_t n_params,
                                   const jet_type *outs, uint32_t n_outs,
                                   const jet_transform *tf, uint32_t n_tf, jet_type *new_params,
                                   uint32_t *n_new_params, jet_type *new_outs,
                                   uint32_t *n_new_outs, uint32_t cap) JET_MUST_USE;

/* jet_transform_signature for a call node whose operand types are known:
 * arg_types (NULL when unknown) are the types the transformed function is
 * called with (n_args of them). A vmap without axis_size reads the size of
 * its mapped axes from them (they must agree: "vmap got inconsistent sizes
 * for array axes to be mapped: ..."). axis_sizes (NULL allowed) gets, per
 * transform, the axis size of each vmap (0 for other transforms). vmap:
 * in_axes / out_axes empty = 0 for all, one entry = for all, else one per
 * argument / output; the batch dimension is inserted at each mapped axis
 * (negative axes count from the end of the batched type). */
jet_status jet_transform_signature_args(const jet_type *params, uint32_t n_params,
                                        const jet_type *outs, uint32_t n_outs,
                                        const jet_transform *tf, uint32_t n_tf,
                                        const jet_type *arg_types, uint32_t n_args,
                                        jet_type *new_params, uint32_t *n_new_params,
                                        jet_type *new_outs, uint32_t *n_new_outs, uint32_t cap,
                                        int64_t *axis_sizes) JET_MUST_USE;

/* The signature of one vmap transform t of a function (params, outs), with
 * the checks and messages of jet_transform_signature_args but no
 * "transforms[i] (vmap): " prefix: new_params[n_params], new_outs[n_outs]
 * and the axis size. arg_types as above (NULL: axis_size is needed). Used
 * by the server's vmap so both sides agree. */
jet_status jet_vmap_signature(const jet_type *params, uint32_t n_params, const jet_type *outs,
                              uint32_t n_outs, const jet_transform *t, const jet_type *arg_types,
                              uint32_t n_args, jet_type *new_params, jet_type *new_outs,
                              int64_t *axis_size) JET_MUST_USE;

/* The checks of the differentiating transforms (grad, value_and_grad,
 * jacfwd, jacrev, hessian), shared with the server's autodiff so both give
 * the same messages (JAX's wording; `name` is the transform's name).
 * jet_transform_check_holomorphic refuses holomorphic=True (UNIMPLEMENTED).
 * jet_transform_check_argnums checks argnums (empty = {0}; sets *argnums and
 * *n to the ones to use) against the params (non-negative, in range) and
 * refuses non-float differentiated params unless t->allow_int. */
jet_status jet_transform_check_holomorphic(const jet_transform *t) JET_MUST_USE;
jet_status jet_transform_check_argnums(const jet_type *params, uint32_t n_params,
                                      const jet_transform *t, const char *name,
                                      const int32_t **argnums, uint32_t *n) JET_MUST_USE;
/* grad's (and value_and_grad's) output checks: output 0 (of n_outs) is a
 * scalar of a float dtype; without has_aux it is the only output. */
jet_status jet_transform_check_grad_output(const jet_type *out0, uint32_t n_outs,
                                          const jet_transform *t) JET_MUST_USE;
/* A differentiated output o must be of a float dtype; k >= 0 names it
 * ("for output k"), k < 0 does not. */
jet_status jet_transform_check_float_output(const jet_type *o, const char *name, int64_t k)
    JET_MUST_USE;

/* The type of a Jacobian block: dtype dt, shape a.shape + b.shape
 * (+ c.shape when c is not NULL); a rank over JET_MAX_RANK is
 * INVALID_ARGUMENT naming the types of a and b. */
jet_status jet_jacobian_type(jet_dtype dt, const jet_type *a, const jet_type *b,
                             const jet_type *c, jet_type *out) JET_MUST_USE;

/* Validates a complete graph (recursively into callees): parameter types,
 * operand ids (no forward references), attributes, result types equal to the
 * inferred ones, outputs defined, at least one output. When arg_types is
 * non-NULL they must equal the parameter types. Errors name the node:
 * "node 4 (add): ...". */
jet_status jet_graph_validate(const jet_graph *g, const jet_type *arg_types,
                              uint32_t n_args) JET_MUST_USE;

#endif
