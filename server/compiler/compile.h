/* Compile: from a validated graph, its transforms and argument types to a
 * cached executable. A hit in the memory cache skips everything; on a miss
 * the on-disk cache (if the cache has one) is consulted; otherwise the
 * transforms and cleanup passes run, the result is lowered, cached under the
 * content hash and written to disk. Thread-safe; disk I/O runs on the
 * calling thread (a worker of the compute pool). */
#ifndef JET_COMPILER_COMPILE_H
#define JET_COMPILER_COMPILE_H

#include <stdbool.h>

#include "compiler/cache.h"

typedef enum jet_compile_source {
  JET_COMPILE_MEMORY = 0,   /* in-memory cache hit */
  JET_COMPILE_DISK = 1,     /* made from an on-disk cache entry */
  JET_COMPILE_COMPILED = 2, /* compiled by this request */
} jet_compile_source;

/* "memory", "disk", "compiled" (CompileResponse.source). */
const char *jet_compile_source_name(jet_compile_source s);

typedef struct jet_compile_result {
  jet_compile_source source;
  /* Time of this call: hashing and lookup, and on a miss the disk lookup,
   * transforms, passes and lowering (not the disk write). */
  uint64_t compile_us;
  uint64_t disk_write_us; /* the disk write after a compile (0 if none) */
  /* Non-empty when something went wrong with the on-disk cache during this
   * call (a bad entry discarded, a failed write): a line for the log. The
   * compile itself is not affected. */
  char disk_note[640];
} jet_compile_result;

/* graph: a validated root graph, consumed (also on error). arg_types (may be
 * NULL) have been checked equal to the graph's parameters by the caller.
 * *out gets a new reference; res (may be NULL) says where it came from. */
jet_status jet_compiler_compile_ex(jet_cache *cache, jet_graph *graph,
                                   const jet_transform *transforms, uint32_t n_transforms,
                                   const jet_type *arg_types, uint32_t n_args,
                                   jet_executable **out, jet_compile_result *res) JET_MUST_USE;

/* The cache key and executable_id of a compile request: XXH3-128 of the
 * graph's canonical hash (jet_graph_hash of the graph, its transforms and
 * argument types), the compiler version (JET_COMPILER_VERSION) and the
 * device set's kind ("cpu": an executable runs on any of jetd's devices),
 * as 32 hex digits. */
void jet_compiler_key(const jet_graph *graph, const jet_transform *transforms,
                      uint32_t n_transforms, const jet_type *arg_types, uint32_t n_args,
                      char id[JET_EXECUTABLE_ID_HEX + 1]);

/* The same; *hit says whether it came from the memory cache. */
jet_status jet_compiler_compile(jet_cache *cache, jet_graph *graph, const jet_transform *transforms,
                       uint32_t n_transforms, const jet_type *arg_types, uint32_t n_args,
                       jet_executable **out, bool *hit) JET_MUST_USE;

/* The executable of id from the memory cache or else from the on-disk
 * cache (made, cached and counted as a disk hit), for an Execute that names
 * an id this process has not compiled (e.g. after a restart). NULL when
 * neither has it; note (may be NULL) as in jet_compile_result. */
jet_executable *jet_compiler_find(jet_cache *cache, const char *id, char *note,
                                  size_t note_cap);

#endif
