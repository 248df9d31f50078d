/* Lowering: from the cleaned, flat (call-free) graph of a compile to a
 * runnable program (runtime/program.h): fusion of elementwise chains with
 * broadcasts, converts, selects and a trailing reduction into tile
 * programs, and memory planning (liveness, offsets in one arena, in-place
 * reuse of dying operands, output/argument aliasing for donation).
 * Pure function; thread-safe. */
#ifndef JET_COMPILER_LOWER_H
#define JET_COMPILER_LOWER_H

#include "jet/graph.h"
#include "runtime/program.h"

/* g must outlive *out. A graph with call nodes is INVALID_ARGUMENT (the
 * transforms stage inlines them). */
jet_status jet_lower(const jet_graph *g, jet_program **out) JET_MUST_USE;

#endif
