/* The persistent on-disk compile cache: one file per executable id in a
 * directory (config `cache-dir`), so a restarted jetd finds the graphs it
 * compiled before without running the transforms and passes again.
 *
 * A file `<id>.jxc` holds a fixed 128-byte header and a payload, the
 * compiled (post-transform, post-cleanup) graph in the text form
 * (jet/text.h). Header, little-endian:
 *
 *    0  magic "JETXCACH" (8 bytes)
 *    8  u32 format version (JET_DISK_FORMAT_VERSION)
 *   12  u32 header size (128)
 *   16  compiler version, NUL-padded (48 bytes; JET_COMPILER_VERSION)
 *   64  executable id, 32 lowercase hex digits
 *   96  u64 payload length
 *  104  u64 XXH3-64 of the payload
 *  112  first 8 bytes of the jet_graph_hash of the compiled graph (checked
 *       after parsing, so a text form that did not round-trip exactly is
 *       discarded, never run)
 *  120  u64 XXH3-64 of header bytes 0..119
 *
 * An entry that is truncated, has a bad magic or checksum, another format
 * or compiler version, another id than its file name, or a payload that
 * does not parse, validate or hash back is discarded: deleted, counted and
 * reported to the caller, who compiles the graph again. Writes are atomic:
 * a temporary file in the same directory, fsync, rename (no fsync of the
 * directory: an entry lost in a crash is only compiled again). The directory is bounded in bytes: when a store takes it
 * over the bound, the files least recently used (mtime; a hit touches its
 * file) are deleted until it is under 7/8 of the bound.
 *
 * Thread safety: every function may be called from any thread; file I/O
 * runs on the caller's thread (a worker of the compute pool). Several jetd
 * processes may share a directory (renames are atomic; counters are
 * re-read from the directory whenever it is scanned). */
#ifndef JET_COMPILER_DISK_CACHE_H
#define JET_COMPILER_DISK_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet/graph.h"

#define JET_DISK_FORMAT_VERSION 1u
#define JET_DISK_HEADER_BYTES 128u
#define JET_DISK_VERSION_BYTES 48u
#define JET_DISK_FILE_SUFFIX ".jxc"

typedef struct jet_disk_cache jet_disk_cache;

typedef struct jet_disk_stats {
  uint64_t entries;      /* files in the directory */
  uint64_t bytes;        /* their total size */
  uint64_t capacity;     /* the bound in bytes */
  uint64_t hits;         /* loads that returned a graph */
  uint64_t discarded;    /* bad entries deleted */
  uint64_t evictions;    /* files deleted to stay under the bound */
  uint64_t write_errors; /* stores that failed */
} jet_disk_stats;

/* Opens (creating it and its parents when missing) the directory dir,
 * bounded by max_bytes (>= 1), for entries of compiler version `version`
 * (< JET_DISK_VERSION_BYTES characters). Counts the files already there
 * and deletes temporary files left by a crash more than a minute old.
 * INVALID_ARGUMENT naming the directory when it cannot be created or
 * written. */
jet_status jet_disk_cache_open(const char *dir, uint64_t max_bytes, const char *version,
                               jet_disk_cache **out) JET_MUST_USE;
void jet_disk_cache_close(jet_disk_cache *d);
const char *jet_disk_cache_dir(const jet_disk_cache *d);

typedef enum jet_disk_result {
  JET_DISK_MISS = 0,      /* no entry */
  JET_DISK_HIT = 1,       /* *graph is the entry's validated graph */
  JET_DISK_DISCARDED = 2, /* a bad entry was deleted; why says what */
} jet_disk_result;

/* Looks up the entry of id (32 hex digits). On a hit *graph is a new,
 * validated root graph (caller destroys) and the file's mtime is updated.
 * why (may be NULL) gets the reason of a discard or of a read error (a read
 * error other than "no such file" is reported as a miss with a reason). */
jet_disk_result jet_disk_cache_load(jet_disk_cache *d, const char *id, jet_graph **graph,
                                    char *why, size_t why_cap);

/* Writes the entry of id atomically (replacing an older one). Errors are
 * returned (and counted) for the caller to log; nothing is left behind. */
jet_status jet_disk_cache_store(jet_disk_cache *d, const char *id,
                                const jet_graph *graph) JET_MUST_USE;

/* Deletes the entry of id if present (true when a file was deleted);
 * counted as a discard. */
bool jet_disk_cache_discard(jet_disk_cache *d, const char *id);

void jet_disk_cache_get_stats(jet_disk_cache *d, jet_disk_stats *out);

/* True when id is 32 lowercase hex digits (the only names used for files). */
bool jet_disk_id_valid(const char *id);

/* The entry format, without files (also for tests). encode: *out is a
 * malloc'd buffer of *len bytes. decode: INVALID_ARGUMENT saying what is
 * wrong; on success *graph is validated and hashes to the stored hash. */
jet_status jet_disk_entry_encode(const char *id, const char *version, const jet_graph *graph,
                                 unsigned char **out, size_t *len) JET_MUST_USE;
jet_status jet_disk_entry_decode(const char *id, const char *version, const unsigned char *buf,
                                 size_t len, jet_graph **graph) JET_MUST_USE;

#endif
