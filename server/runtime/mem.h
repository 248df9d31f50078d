/* Array memory of the runtime: 64-byte aligned buffers. Thread-safe.
 *
 * Large buffers (4 MiB and up) are mapped directly and advised to use
 * transparent huge pages: on this kind of machine a fresh 4 KiB page costs
 * about 13 µs to fault in, a 2 MiB huge page about 40 times less per byte
 * (../shared/docs/machine-limits.md §2b), so a 1 GiB array is ready in tens
 * of milliseconds instead of seconds. Smaller ones come from malloc.
 *
 * jet_mem_alloc returns NULL on out-of-memory (callers answer
 * RESOURCE_EXHAUSTED); size 0 gives a valid unique pointer. Memory from
 * these functions must be freed with jet_mem_free, never free(). */
#ifndef JET_RUNTIME_MEM_H
#define JET_RUNTIME_MEM_H

#include <stddef.h>

void *jet_mem_alloc(size_t bytes);
/* Zeroed. */
void *jet_mem_calloc(size_t bytes);
void jet_mem_free(void *p);

#endif
