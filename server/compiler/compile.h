/* Compile: from a validated graph, its transforms and argument types to a
 * cached executable. A hit in the cache skips the transforms; a miss runs the
 * transforms stage and caches the result under the content hash.
 * Thread-safe. */
#ifndef JET_COMPILER_COMPILE_H
#define JET_COMPILER_COMPILE_H

#include <stdbool.h>

#include "compiler/cache.h"

/* graph: a validated root graph, consumed (also on error). arg_types (may be
 * NULL) have been checked equal to the graph's parameters by the caller.
 * *out gets a new reference; *hit says whether it came from the cache. */
jet_status jet_compiler_compile(jet_cache *cache, jet_graph *graph, const jet_transform *transforms,
                       uint32_t n_transforms, const jet_type *arg_types, uint32_t n_args,
                       jet_executable **out, bool *hit) JET_MUST_USE;

#endif
