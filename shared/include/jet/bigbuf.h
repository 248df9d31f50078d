/* Buffers for bulk data (array bytes, message bytes, arena chunks), with a
 * small process-wide cache of large ones.
 *
 * On this kind of machine a freshly touched 4 KiB page costs about 13 µs
 * (../shared/docs/machine-limits.md §2b): a fresh 4 MiB buffer costs ~5 ms
 * before the first byte is useful. Large buffers (1 MiB and up) are
 * therefore mapped with transparent huge pages advised, and freed ones are
 * kept (up to JET_BIGBUF_CACHE_BYTES in all) for the next request of a
 * similar size, whose pages are then already there. Small buffers come
 * from malloc.
 *
 * Every buffer from jet_bigbuf_alloc must be freed with jet_bigbuf_free,
 * never free(). Returns NULL on out-of-memory; size 0 gives a valid unique
 * pointer. 64-byte aligned. Thread-safe.
 */
#ifndef JET_BIGBUF_H
#define JET_BIGBUF_H

#include <stddef.h>

#define JET_BIGBUF_MIN_BYTES ((size_t)1 << 20)
#define JET_BIGBUF_CACHE_BYTES ((size_t)256 << 20)

void *jet_bigbuf_alloc(size_t bytes);
void jet_bigbuf_free(void *p);
/* Empties the cache (tests and leak checkers call it before exit). */
void jet_bigbuf_trim(void);

#endif
