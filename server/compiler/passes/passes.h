/* Graph-to-graph cleanup passes of the compiler.
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
 *   transposes, broadcasts and revs collapsed); see simplify.c;
 * - canonicalisation: commutative ops get a canonical operand order
 *   (constants and scalars second, else lower value id first), comparisons
 *   a canonical direction, sub of a constant becomes add of its negation
 *   where that is exact; see canon.c;
 * - constant folding: small nodes (<= 4096 elements) whose operands are all
 *   constants or iotas become constants, evaluated by the reference kernels;
 *   broadcasts are never expanded, but an elementwise op over broadcast
 *   scalar constants becomes a broadcast of the scalar result; see
 *   constfold.c;
 * - transposes folded into dot_general: a transpose feeding a dot_general
 *   operand is absorbed into its dimension numbers when the operand's free
 *   dims keep their order; see dotfold.c.
 *
 * The rewriting passes leave the nodes they bypass for DCE.
 */
#ifndef JET_COMPILER_PASSES_H
#define JET_COMPILER_PASSES_H

#include "jet/graph.h"

jet_status jet_pass_dce(const jet_graph *g, jet_graph **out) JET_MUST_USE;
jet_status jet_pass_cse(const jet_graph *g, jet_graph **out) JET_MUST_USE;
jet_status jet_pass_simplify(const jet_graph *g, jet_graph **out) JET_MUST_USE;
jet_status jet_pass_canon(const jet_graph *g, jet_graph **out) JET_MUST_USE;
jet_status jet_pass_constfold(const jet_graph *g, jet_graph **out) JET_MUST_USE;
jet_status jet_pass_dotfold(const jet_graph *g, jet_graph **out) JET_MUST_USE;
/* Control flow (control.c): a scan/cond whose results are a prefix of a
 * later one's (same operands, attributes, sub-graphs up to extra outputs)
 * merges into it; unread stacked outputs of scans and unread results of
 * conds are dropped from the node and its sub-graphs. */
jet_status jet_pass_control(const jet_graph *g, jet_graph **out) JET_MUST_USE;

/* Canonicalise, fold constants, simplify, fold transposes into dots, CSE
 * then DCE, repeated until the node count stops shrinking (at most a few
 * rounds). */
jet_status jet_passes_cleanup(const jet_graph *g, jet_graph **out) JET_MUST_USE;

#endif
