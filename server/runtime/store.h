/* The array store: arrays kept on the server behind handles.
 *
 * An array (jet_buffer) is a refcounted buffer of one type on one device; its
 * bytes are charged to the device (device.h) from creation until the last
 * reference goes. The handle table maps a handle (128 random bits, hex) to an
 * array and its owning session. A lookup by any other session is answered
 * NOT_FOUND, exactly like an unknown handle.
 *
 * Lookups hand out a new reference, so an array deleted while an Execute or a
 * GetArray still reads it stays alive until they release it.
 *
 * Thread safety: all functions may be called from any thread. Lock order:
 * store, then sessions. */
#ifndef JET_RUNTIME_STORE_H
#define JET_RUNTIME_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "jet/type.h"
#include "session.h"

typedef struct jet_store jet_store;

typedef struct jet_buffer {
  atomic_uint refs;
  jet_type type;
  void *data;    /* jet_mem_alloc'd; nbytes long */
  size_t nbytes;
  uint32_t device;
  jet_store *store;
} jet_buffer;

jet_store *jet_store_create(jet_devices *devices, jet_sessions *sessions);
/* Frees every array still in the table. Arrays referenced elsewhere must
 * have been released before. */
void jet_store_destroy(jet_store *s);

/* A new array of type t (checked by the caller) on `device`: charges the
 * device (RESOURCE_EXHAUSTED over its limit) and allocates the memory
 * (RESOURCE_EXHAUSTED when it runs out). One reference, not in the table. */
jet_status jet_store_alloc(jet_store *s, uint32_t device, const jet_type *t,
                           jet_buffer **out) JET_MUST_USE;
/* Wraps memory from jet_mem_alloc (e.g. an executor output) as an array on
 * `device`. On success the array owns data; on error (over the device
 * limit, out of memory) data is untouched and still the caller's. */
jet_status jet_store_adopt(jet_store *s, uint32_t device, const jet_type *t, void *data,
                           jet_buffer **out) JET_MUST_USE;

jet_buffer *jet_buffer_retain(jet_buffer *a);
/* Drops one reference; the last one frees the memory and the device charge. */
void jet_buffer_release(jet_buffer *a);

/* Adds a to the table under a new handle owned by `session` (the table takes
 * its own reference). FAILED_PRECONDITION when the session is not open. */
jet_status jet_store_insert(jet_store *s, const char *session, jet_buffer *a,
                            char id_out[JET_TOKEN_HEX + 1]) JET_MUST_USE;

/* Finds the array of handle `id` owned by `session` and returns a new
 * reference. NOT_FOUND "FIELD: array handle 'ID' not found" otherwise. */
jet_status jet_store_get(jet_store *s, const char *session, const char *id, const char *field,
                         jet_buffer **out) JET_MUST_USE;

/* Removes n handles of `session` from the table, all or nothing: when one is
 * unknown or foreign (or named twice) nothing is removed and the answer is
 * NOT_FOUND naming it ("handles[2]: ..."); a handle named twice is
 * INVALID_ARGUMENT. */
jet_status jet_store_delete(jet_store *s, const char *session, const char *const *ids,
                            uint32_t n, uint32_t *deleted) JET_MUST_USE;

/* Donation: takes the memory out of `a` when the caller holds its only
 * reference (so nothing else can read it any more) and returns it (the
 * caller owns it now, as jet_mem memory); the array keeps its device charge
 * until released. NULL, and nothing changes, when other references exist. */
void *jet_buffer_take_data(jet_buffer *a);
/* Removes every handle of `session`; returns how many. */
uint32_t jet_store_free_session(jet_store *s, const char *session);

/* Arrays alive (in the table or still referenced) and their bytes. */
void jet_store_stats(jet_store *s, uint64_t *live_arrays, uint64_t *live_bytes);

#endif
