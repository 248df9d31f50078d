/* The compiled-executable cache, shared by all clients.
 *
 * Key: the canonical hash of (graph, transforms, argument types)
 * (jet_graph_hash), whose hex form is the executable_id of the wire. Value:
 * a refcounted executable holding the post-transform graph and its output
 * types. The cache holds one reference per entry; lookups hand out another,
 * so an entry evicted (LRU, bounded by `capacity` entries) while an Execute
 * runs it stays alive until that Execute releases it.
 *
 * Thread safety: all functions may be called from any thread. Two threads
 * compiling the same graph at once both do the work; the first insert wins
 * and the loser's executable is released. */
#ifndef JET_COMPILER_CACHE_H
#define JET_COMPILER_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "jet/graph.h"
#include "runtime/program.h"

#define JET_EXECUTABLE_ID_HEX 32

typedef struct jet_executable {
  atomic_uint refs;
  char id[JET_EXECUTABLE_ID_HEX + 1];
  jet_graph *graph; /* owned; its parameters are the argument types */
  uint32_t n_outputs;
  const jet_type *output_types; /* [n_outputs], in graph's arena */
  jet_program *program;         /* owned; runs the graph (compiler/lower.h) */
  jet_program_info info;        /* the program's figures */
  uint64_t compile_us;          /* time the compile that made it took */
} jet_executable;

/* Wraps a validated, flat (call-free) root graph (consumed, also on error)
 * as an executable with one reference, lowering it to a program. */
jet_status jet_executable_create(const char *id, jet_graph *graph,
                                 jet_executable **out) JET_MUST_USE;
jet_executable *jet_executable_retain(jet_executable *e);
void jet_executable_release(jet_executable *e);

typedef struct jet_cache jet_cache;

typedef struct jet_cache_stats {
  uint64_t hits, misses, entries, evictions;
} jet_cache_stats;

/* capacity >= 1 entries. NULL on out-of-memory. */
jet_cache *jet_cache_create(uint32_t capacity);
void jet_cache_destroy(jet_cache *c);

/* The executable of `id` (new reference; marks it most recently used), or
 * NULL. Counts nothing: hits and misses are counted by jet_cache_note. */
jet_executable *jet_cache_lookup(jet_cache *c, const char *id);
/* Inserts e (the cache takes its own reference) unless an entry of the same
 * id exists; returns a new reference to the entry now cached (e or the
 * older one). May evict the least recently used entry. */
jet_executable *jet_cache_insert(jet_cache *c, jet_executable *e);
/* Counts one compile request as a hit or a miss (a miss is counted even
 * when the compile then fails). */
void jet_cache_note(jet_cache *c, bool hit);
void jet_cache_get_stats(jet_cache *c, jet_cache_stats *out);

#endif
