/* Array memory of the runtime: 64-byte aligned buffers. Thread-safe.
 * jet_mem_alloc returns NULL on out-of-memory (callers answer
 * RESOURCE_EXHAUSTED); size 0 gives a valid unique pointer. */
#ifndef JET_RUNTIME_MEM_H
#define JET_RUNTIME_MEM_H

#include <stddef.h>

void *jet_mem_alloc(size_t bytes);
void *jet_mem_calloc(size_t bytes);
void jet_mem_free(void *p);

#endif
