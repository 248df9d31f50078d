/* Graph-to-graph cleanup passes of the compiler (issue 6 adds more:
 * canonicalisation, constant folding, algebraic simplification).
 *
 * Each pass takes a validated root graph and returns a new validated root
 * graph computing the same outputs (caller destroys both). Pure functions;
 * thread-safe.
 *
 * - dead-code elimination: drops nodes none of whose results reach an
 *   output (parameters are kept: the signature never changes);
 * - common-subexpression elimination: nodes with the same op, operands,
 *   attributes (canonical order), literal data and callee are merged, so a
 *   derivative graph that recomputes cos(x) twice computes it once;
 * - algebraic simplification: rewrites that are exact in IEEE arithmetic
 *   (mul by 1, add of -0.0 / integer 0, sub of +0.0 / 0, neg of neg, no-op
 *   converts/reshapes/transposes/broadcasts/revs, chains of reshapes,
 *   transposes, broadcasts and revs collapsed); see simplify.c.
 */
#ifndef JET_COMPILER_PASSES_H
#define JET_COMPILER_PASSES_H

#include "jet/graph.h"

jet_status jet_pass_dce(const jet_graph *g, jet_graph **out) JET_MUST_USE;
jet_status jet_pass_cse(const jet_graph *g, jet_graph **out) JET_MUST_USE;
jet_status jet_pass_simplify(const jet_graph *g, jet_graph **out) JET_MUST_USE;

/* Simplify, CSE then DCE, repeated until the node count stops shrinking (at most a
 * few rounds). */
jet_status jet_passes_cleanup(const jet_graph *g, jet_graph **out) JET_MUST_USE;

#endif
