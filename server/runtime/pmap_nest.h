/* Outer axes of nested pmaps, split per inner member. */
#ifndef JET_RUNTIME_PMAP_NEST_H
#define JET_RUNTIME_PMAP_NEST_H

#include <stdint.h>

#include "jet/status.h"

/* Nested pmap axes (pmap_nest.c; both executors use them: kernels/pmap.c
 * and program_pmap.c). Inside the
 * body of a pmap over 'j' run by a member of a pmap over 'i', a collective
 * over 'i' of inner member j spans the outer members with the same j (JAX).
 * jet_pmap_nest_begin, called by each outer member that runs the inner
 * pmap (SPMD: all members of every outer group call it at the same point),
 * splits every binding of `outer` (ctl->axes) whose name a collective of
 * `body` (sub-graphs included) uses, unless `own` (the inner axis name)
 * shadows it: the group's rank 0 creates n communicators of the group's
 * size, one per inner index, and hands them to its peers through one psum
 * on the group's communicator (all members get them or none). No binding
 * to split (a flat pmap, or a body without outer collectives): *out = NULL
 * and nothing is allocated. jet_pmap_nest_axes gives inner member m's
 * outer chain (`outer` itself for a NULL nest); jet_pmap_nest_abort aborts
 * member m's split communicators (a failing inner member calls it so the
 * members of other outer groups waiting for it stop); jet_pmap_nest_end
 * releases the nest (the last outer member to release a split frees it). */
struct jet_exec_axis;
struct jet_exec_ctl;
struct jet_graph;
typedef struct jet_pmap_nest jet_pmap_nest;
jet_status jet_pmap_nest_begin(const struct jet_exec_axis *outer, const struct jet_graph *body,
                               const char *own, uint32_t n, const struct jet_exec_ctl *ctl,
                               jet_pmap_nest **out) JET_MUST_USE;
const struct jet_exec_axis *jet_pmap_nest_axes(const jet_pmap_nest *nest,
                                               const struct jet_exec_axis *outer, uint32_t m);
void jet_pmap_nest_abort(jet_pmap_nest *nest, uint32_t m, jet_status why);
void jet_pmap_nest_end(jet_pmap_nest *nest);

#endif
