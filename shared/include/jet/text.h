/* The text form of graphs, like a jaxpr, for the CLI, debugging and golden
 * tests. Printing then parsing gives an equal graph (round trip).
 *
 *   graph square_dot(%0: f32[3], %1: f32[3]) {
 *     %2 = mul %0, %0 : f32[3]
 *     %3 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]] %0, %1 : f32[]
 *     %4 = constant[value=f32[3]{1, 2, 3}] : f32[3]
 *     %5, %6 = call[transforms=[grad(argnums=[0])]] %0 : f32[3], f32[3] {
 *       graph f(%0: f32[3]) { ... }
 *     }
 *     return %2, %3
 *   }
 *
 * The exact grammar is documented in shared/src/text/README.md. */
#ifndef JET_TEXT_H
#define JET_TEXT_H

#include "jet/graph.h"
#include "jet/strbuf.h"

/* Appends the text form of g to sb. */
jet_status jet_graph_print(const jet_graph *g, jet_strbuf *sb) JET_MUST_USE;

/* Parses one graph. On success *out is a new root graph (caller destroys),
 * already validated with jet_graph_validate. Errors are INVALID_ARGUMENT
 * with "line L, column C: ..." */
jet_status jet_graph_parse(const char *text, size_t len, jet_graph **out) JET_MUST_USE;

/* Parses an array literal in the text syntax, e.g. "f32[3]{1, 2, 3}" or
 * "f32[] 2.5" (the CLI's inline arguments). Data is malloc'd into *data
 * (caller frees). */
jet_status jet_literal_parse(const char *text, size_t len, jet_type *type, void **data,
                             size_t *nbytes) JET_MUST_USE;
/* Appends an array in the text syntax ("f32[3]{1, 4, 9}"). Floats print
 * with the shortest form that round-trips. */
void jet_literal_print(const jet_type *type, const void *data, jet_strbuf *sb);

/* Parses the attributes of one node of op `op` without the brackets, e.g.
 * "axes=[0, 1]" or "new_dtype=f32, value=f32[3]{1, 2, 3}" ("" = none).
 * Kinds come from the op's schema. *attrs (up to JET_MAX_OP_ATTRS) and
 * everything it points to are allocated in arena. Errors are
 * INVALID_ARGUMENT naming the attribute and column. */
jet_status jet_attrs_parse(jet_op op, const char *text, size_t len, jet_arena *arena,
                           jet_attr **attrs, uint32_t *n) JET_MUST_USE;

/* Parses a transforms list as written in call nodes, innermost first, e.g.
 * "[grad(argnums=[0]), vmap(in_axes=[0, none])]" ("" = none). The array
 * and its lists are allocated in arena. */
jet_status jet_transforms_parse(const char *text, size_t len, jet_arena *arena,
                                jet_transform **out, uint32_t *n) JET_MUST_USE;

#endif
