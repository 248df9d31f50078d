/* The compiled-executable cache, shared by all clients.
 *
 * Key: the canonical hash of (graph, transforms, argument types), compiler
 * version and device kind (jet_compiler_key), whose hex form is the
 * executable_id of the wire. Value: a refcounted executable holding the
 * post-transform graph, its program and its output types. The cache holds
 * one reference per entry; lookups hand out another, so an entry evicted while an Execute runs it stays alive
 * until that Execute releases it.
 *
 * Bounds: at most `max_entries` executables and `max_bytes` bytes, where an
 * executable's bytes are its graph arena's memory plus its program's
 * program_bytes (jet_executable.bytes). Inserting evicts least recently used
 * entries until both bounds hold again; an executable larger than the whole
 * byte bound is still cached, alone (Execute needs it).
 *
 * The cache may own a persistent on-disk cache (compiler/disk_cache.h) that
 * the compile path (compile.h) consults on a memory miss and fills after a
 * compile. Its entries are keyed by the same id and checked against the
 * compiler version JET_COMPILER_VERSION: JET_VERSION plus
 * JET_COMPILER_REVISION, which must be bumped whenever the transforms or
 * the passes that run before caching change the graphs they produce. The
 * device set is not part of the key: every device is a CPU device, and the
 * disk holds graphs, lowered again for this machine when loaded.
 *
 * Thread safety: all functions may be called from any thread. Two threads
 * compiling the same graph at once both do the work; the first insert wins
 * and the loser's executable is released. */
#ifndef JET_COMPILER_CACHE_H
#define JET_COMPILER_CACHE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "compiler/disk_cache.h"
#include "jet/graph.h"
#include "runtime/program.h"

#define JET_EXECUTABLE_ID_HEX 32

/* Bump when transforms/ or the passes run before caching change their
 * output graphs: entries of the on-disk cache written by another revision
 * are discarded and compiled again. */
#define JET_COMPILER_REVISION 5
#define JET__CACHE_STR2(x) #x
#define JET__CACHE_STR(x) JET__CACHE_STR2(x)
#define JET_COMPILER_VERSION JET_VERSION "+c" JET__CACHE_STR(JET_COMPILER_REVISION)

typedef struct jet_executable {
  atomic_uint refs;
  char id[JET_EXECUTABLE_ID_HEX + 1];
  jet_graph *graph; /* owned; its parameters are the argument types */
  uint32_t n_outputs;
  const jet_type *output_types; /* [n_outputs], in graph's arena */
  jet_program *program;         /* owned; runs the graph (compiler/lower.h) */
  jet_program_info info;        /* the program's figures */
  uint64_t compile_us;          /* time the compile (or disk load) that made it took */
  uint64_t bytes;               /* graph arena + program_bytes: what the cache counts */
} jet_executable;

/* Wraps a validated, flat (call-free) root graph (consumed, also on error)
 * as an executable with one reference, lowering it to a program. */
jet_status jet_executable_create(const char *id, jet_graph *graph,
                                 jet_executable **out) JET_MUST_USE;
jet_executable *jet_executable_retain(jet_executable *e);
void jet_executable_release(jet_executable *e);

typedef struct jet_cache jet_cache;

typedef struct jet_cache_stats {
  uint64_t hits, misses, entries, evictions; /* in memory; a disk hit is no miss */
  uint64_t bytes, capacity_bytes;            /* held in memory, and the bound */
  uint64_t disk_hits;                        /* executables made from disk entries */
  uint64_t disk_entries, disk_bytes, disk_capacity_bytes;
  uint64_t disk_discarded;   /* bad disk entries deleted */
  uint64_t disk_evictions;   /* disk entries deleted to stay under the bound */
  uint64_t disk_write_errors;
  uint64_t compile_time_total_us; /* time spent compiling misses */
} jet_cache_stats;

typedef struct jet_cache_options {
  uint32_t max_entries;     /* >= 1 */
  uint64_t max_bytes;       /* >= 1 */
  const char *disk_dir;     /* NULL or "" = no on-disk cache */
  uint64_t disk_max_bytes;  /* >= 1 when disk_dir is set */
  const char *compiler_version; /* of disk entries; NULL = JET_COMPILER_VERSION */
} jet_cache_options;

/* A cache with the given bounds and, when o->disk_dir is set, an on-disk
 * cache there (jet_disk_cache_open: the directory is created if missing;
 * an unusable one is INVALID_ARGUMENT naming it). */
jet_status jet_cache_open(const jet_cache_options *o, jet_cache **out) JET_MUST_USE;
/* capacity >= 1 entries, no byte bound, no disk. NULL on out-of-memory. */
jet_cache *jet_cache_create(uint32_t capacity);
void jet_cache_destroy(jet_cache *c);
/* The on-disk cache (borrowed), or NULL when there is none. */
jet_disk_cache *jet_cache_disk(jet_cache *c);

/* The executable of `id` (new reference; marks it most recently used), or
 * NULL. Counts nothing: hits and misses are counted by jet_cache_note. */
jet_executable *jet_cache_lookup(jet_cache *c, const char *id);
/* Inserts e (the cache takes its own reference) unless an entry of the same
 * id exists; returns a new reference to the entry now cached (e or the
 * older one). May evict least recently used entries (see the bounds). */
jet_executable *jet_cache_insert(jet_cache *c, jet_executable *e);
/* Counts one compile request as a hit or a miss (a miss is counted even
 * when the compile then fails). */
void jet_cache_note(jet_cache *c, bool hit);
/* Counts an executable made from a disk entry (neither a hit nor a miss). */
void jet_cache_note_disk_hit(jet_cache *c);
/* Adds the time of one compile of a miss. */
void jet_cache_note_compile_time(jet_cache *c, uint64_t us);
void jet_cache_get_stats(jet_cache *c, jet_cache_stats *out);

/* Tenants (wire/auth.h): the cache itself is shared and content-addressed,
 * but with a tokens file an executable id is visible only to the tenants
 * that compiled it in this daemon's life. jet_cache_grant records that
 * `tenant` compiled `id` (kept across evictions; an id the daemon loads
 * from disk after a restart must be compiled again by each tenant);
 * jet_cache_granted asks. */
jet_status jet_cache_grant(jet_cache *c, const char *id, const char *tenant) JET_MUST_USE;
bool jet_cache_granted(jet_cache *c, const char *id, const char *tenant);

#endif
