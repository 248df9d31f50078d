/* Helpers shared by the autodiff rules of the control-flow ops
 * (rules_cond.c, rules_while.c, rules_scan.c; bodies in rules_control.c):
 * building a new sub-graph of e->g, emitting the control node, copying a
 * sub-graph inline, and the conservative zero-pattern analyses that fix a
 * loop's carried tangents / cotangents before its body is built. */
#ifndef JET_TRANSFORMS_AD_RULES_CONTROL_H
#define JET_TRANSFORMS_AD_RULES_CONTROL_H

#include <stdbool.h>
#include <stdint.h>

#include "transforms/ad/ad_internal.h"

/* Starts a new sub-graph of e->g named like->name + "_" + suffix, wrapped
 * in the emitter *se (on failure the error goes to e and se->g is NULL;
 * the other helpers then do nothing). */
void jet__ctl_sub_begin(jet_emit *e, jet_emit *se, const jet_graph *like, const char *suffix);
/* Adds a parameter of type t to se->g (JET_AD_ZERO after an error). */
jet_value jet__ctl_param(jet_emit *se, const jet_type *t);
/* v itself, or zeros of type t when v is JET_AD_ZERO. */
jet_value jet__ctl_or_zeros(jet_emit *se, jet_value v, const jet_type *t);
/* Sets se->g's outputs; moves any error of se into e. Returns false on
 * error. */
bool jet__ctl_sub_end(jet_emit *e, jet_emit *se, const jet_value *outs, uint32_t n);
/* Adds control node op(ops; attrs) with sub-graphs subs to e->g; returns
 * its first result (JET_AD_ZERO on error, kept in e). */
jet_value jet__ctl_emit(jet_emit *e, jet_op op, const jet_value *ops, uint32_t n,
                        const jet_attr *attrs, uint32_t n_attrs, jet_graph *const *subs,
                        uint32_t n_subs);
/* Emits the nodes of src (call-free) with params bound to args; writes
 * outs[] per src output. */
void jet__ctl_inline(jet_emit *e, const jet_graph *src, const jet_value *args, jet_value *outs);

/* Forward zero pattern: out_nz[k] is false only when output k of g has a
 * zero tangent whatever the tangents of the params p with in_nz[p] (float
 * values only; stop_gradient cuts; a nested control node is opaque: any
 * non-zero operand makes every float result non-zero). */
bool jet__ctl_fwd_nz(jet_emit *e, const jet_graph *g, const bool *in_nz, bool *out_nz);
/* jet__ctl_fwd_nz of a loop body over params (consts[nc], carries[nk],
 * ...) whose first nk outputs are the next carries, iterated until stable:
 * a float carry whose next value may have a tangent gets one in in_nz. */
bool jet__ctl_fwd_carry_nz(jet_emit *e, const jet_graph *body, uint32_t nc, uint32_t nk,
                           bool *in_nz, bool *out_nz);
/* Backward zero pattern: in_nz[p] is false only when param p gets a zero
 * cotangent from cotangents on the outputs k with out_nz[k]. */
bool jet__ctl_bwd_nz(jet_emit *e, const jet_graph *g, const bool *out_nz, bool *in_nz);

/* Zero-initialised scratch memory (malloc); on OOM fails e and returns
 * NULL. Free with free(). */
void *jet__ctl_calloc(jet_emit *e, size_t n, size_t size);

#endif
