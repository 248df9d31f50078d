/* The array store: arrays kept on the server behind handles.
 *
 * An array (jet_buffer) is a refcounted buffer of one type on one device; its
 * bytes are charged to the device (device.h) from creation until the last
 * reference goes. A sharded array is split along its leading axis into
 * n_shards equal blocks, block s an array of its own on device devices[s]
 * (charged there); the blocks are either separate allocations (PutArray of
 * a sharded array) or views of one allocation the parent owns (pmap
 * outputs, written by the members in place), in which case the parent's
 * data is the whole array, contiguous, and reading it costs no gather. The handle table maps a handle (128 random bits, hex) to an
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
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "device.h"
#include "jet/type.h"
#include "session.h"

typedef struct jet_store jet_store;

typedef struct jet_buffer {
  atomic_uint refs;
  jet_type type;   /* of the whole array */
  void *data;      /* the whole array (nbytes), contiguous; NULL for a
                      sharded array whose blocks are separate allocations */
  size_t nbytes;
  uint32_t device; /* one device: its id; sharded: block 0's */
  bool owns_data;  /* data is jet_mem memory this array frees */
  bool charged;    /* nbytes are charged to `device` (not for a sharded
                      parent: its blocks are charged) */
  bool counted;    /* in jet_store_stats (not the blocks of a sharded one) */
  uint32_t n_shards;          /* 0 = on one device */
  struct jet_buffer **shards; /* [n_shards] the blocks, owned */
  jet_store *store;
} jet_buffer;

/* Most blocks one sharded array may have. */
#define JET_MAX_SHARDS 1024

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

/* A sharded array of type t (the whole array) split into n equal blocks
 * along its leading axis, block s on devices[s] (each allocated on its own
 * and charged to its device). n == 1 gives an ordinary array on devices[0].
 * INVALID_ARGUMENT naming `field` for a scalar type, a leading dimension
 * not divisible by n, n > JET_MAX_SHARDS, a device that does not exist or
 * is named twice; RESOURCE_EXHAUSTED over a device's limit or out of
 * memory (nothing stays charged then). */
jet_status jet_store_alloc_sharded(jet_store *s, const jet_type *t, const uint32_t *devices,
                                   uint32_t n, const char *field,
                                   jet_buffer **out) JET_MUST_USE;
/* Wraps data (jet_mem memory holding the whole array of type t) as a
 * sharded array whose n blocks are views of it, block s charged to
 * devices[s] (distinct, existing: checked by the caller; t's leading
 * dimension divisible by n). On success the array owns data; on error
 * data is untouched and still the caller's. n == 1: jet_store_adopt. */
jet_status jet_store_adopt_sharded(jet_store *s, const jet_type *t, void *data,
                                   const uint32_t *devices, uint32_t n,
                                   jet_buffer **out) JET_MUST_USE;

/* The contiguous bytes of a at byte offset off (< nbytes): returns their
 * address and sets *len to how many follow there (the rest of the block
 * for a sharded array of separate blocks). */
void *jet_buffer_bytes_at(const jet_buffer *a, size_t off, size_t *len);
/* Copies the whole array into dst (nbytes). */
void jet_buffer_gather(const jet_buffer *a, void *dst);

jet_buffer *jet_buffer_retain(jet_buffer *a);
/* Drops one reference; the last one frees the memory and the device charge. */
void jet_buffer_release(jet_buffer *a);

/* Adds a to the table under a new handle owned by `session` (the table takes
 * its own reference). FAILED_PRECONDITION when the session is not open. */
jet_status jet_store_insert(jet_store *s, const char *session, jet_buffer *a,
                            char id_out[JET_TOKEN_HEX + 1]) JET_MUST_USE;
/* The same, charging the array (one array, its nbytes, sharded blocks
 * included) to tenant account `tenant` (runtime/tenants.h; NULL = no
 * charge) until the handle is removed: RESOURCE_EXHAUSTED naming the
 * tenant's limit, and nothing inserted, when that is over its quota. */
struct jet_tenant;
jet_status jet_store_insert_tenant(jet_store *s, const char *session, struct jet_tenant *tenant,
                                   jet_buffer *a, char id_out[JET_TOKEN_HEX + 1]) JET_MUST_USE;

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
 * until released. NULL, and nothing changes, when other references exist
 * or a is sharded. */
void *jet_buffer_take_data(jet_buffer *a);
/* Removes every handle of `session`; returns how many. */
uint32_t jet_store_free_session(jet_store *s, const char *session);

/* Arrays alive (in the table or still referenced; a sharded array counts
 * once) and their bytes. */
void jet_store_stats(jet_store *s, uint64_t *live_arrays, uint64_t *live_bytes);

#endif
