/* jet_arena: a bump allocator for objects that die together (a decoded
 * request, a graph and everything hanging off it).
 *
 * Memory comes from malloc in chunks; jet_arena_destroy frees all of it at
 * once. Allocation returns NULL when memory runs out (callers turn that into
 * a RESOURCE_EXHAUSTED status). Not thread-safe.
 */
#ifndef JET_ARENA_H
#define JET_ARENA_H

#include <stddef.h>

typedef struct jet_arena jet_arena;

jet_arena *jet_arena_create(size_t first_chunk_bytes);
void jet_arena_destroy(jet_arena *a);

/* 16-byte aligned, uninitialised; NULL on out-of-memory or size overflow. */
void *jet_arena_alloc(jet_arena *a, size_t bytes);
/* Zeroed array of n elements of size each; NULL on out-of-memory/overflow. */
void *jet_arena_calloc(jet_arena *a, size_t n, size_t size);
/* Copies of memory and strings into the arena (NULL on out-of-memory). */
void *jet_arena_memdup(jet_arena *a, const void *p, size_t bytes);
char *jet_arena_strdup(jet_arena *a, const char *s);

/* Bytes handed out so far (for limits and stats). */
size_t jet_arena_used(const jet_arena *a);
/* Bytes of memory the arena holds (its chunks, headers and unused tails
 * included): what destroying it gives back. Walks the chunk list. */
size_t jet_arena_reserved(const jet_arena *a);

#endif
