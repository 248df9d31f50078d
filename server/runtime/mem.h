/* Array memory of the runtime: 64-byte aligned buffers. Thread-safe.
 *
 * Built on jet_bigbuf (shared/include/jet/bigbuf.h): large buffers are
 * mapped with transparent huge pages advised — on this kind of machine a
 * fresh 4 KiB page costs about 13 µs to fault in, a 2 MiB huge page about
 * 40 times less per byte (../shared/docs/machine-limits.md §2b) — and freed
 * ones are kept in a small cache for the next execution, whose pages are
 * then already there. Smaller ones come from malloc.
 *
 * jet_mem_alloc returns NULL on out-of-memory (callers answer
 * RESOURCE_EXHAUSTED); size 0 gives a valid unique pointer. Memory from
 * these functions must be freed with jet_mem_free, never free(). */
#ifndef JET_RUNTIME_MEM_H
#define JET_RUNTIME_MEM_H

#include <stddef.h>
#include <stdint.h>

void *jet_mem_alloc(size_t bytes);
/* Zeroed. */
void *jet_mem_calloc(size_t bytes);
void jet_mem_free(void *p);
/* How many times jet_mem_alloc / jet_mem_calloc have been called in this
 * process (tests check that loops allocate nothing per iteration). */
uint64_t jet_mem_alloc_count(void);

#endif
