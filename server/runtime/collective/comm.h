/* Collectives over one group of members (one per device shard of one pmap
 * call): psum, pmax, pmin, all_gather, psum_scatter, ppermute, all_to_all and
 * axis_index, with the semantics of shared/include/jet/ops.def and
 * jax/_src/lax/parallel.py.
 *
 * A jet_comm is one group of `size` members. Member r runs on its own thread
 * and calls every collective with its rank r; calls are blocking and every
 * member calls the same sequence of collectives with the same attributes and
 * input types (checked: a mismatch fails the call on every member with
 * INVALID_ARGUMENT). Only one call per rank may be in flight.
 *
 * Buffers: `in` is borrowed for the call; `out` is caller-allocated:
 * out->type must equal jet_comm_result_type(...) and out->data must hold
 * that many bytes. Outputs may not overlap any member's input or output,
 * except that psum/pmax/pmin allow out->data == in->data (in place).
 * Argument errors on one member make every member return the same error
 * (the group stays usable).
 *
 * Failure and cancellation: a member that fails or is cancelled outside a
 * collective calls jet_comm_abort; every member waiting in, or later
 * entering, a collective then returns that code ("collective aborted: ...")
 * instead of hanging. A member whose ctl (cancel flag / deadline) fires
 * while it waits aborts the group itself (CANCELLED / DEADLINE_EXCEEDED).
 * Abort is sticky: the communicator is dead afterwards (destroy it).
 * Waits poll ctl at least every 20 ms.
 *
 * Thread safety: the collective calls are made concurrently by the members;
 * jet_comm_abort may be called from any thread at any time; create and
 * destroy are not concurrent with anything else on that communicator.
 */
#ifndef JET_RUNTIME_COLLECTIVE_COMM_H
#define JET_RUNTIME_COLLECTIVE_COMM_H

#include <stdbool.h>
#include <stdint.h>

#include "exec.h"
#include "jet/status.h"
#include "jet/type.h"

typedef struct jet_comm jet_comm;
typedef struct jet_comm_backend jet_comm_backend;

/* The one-host backend: threads of one process, shared memory. */
extern const jet_comm_backend jet_comm_local_backend;

/* Largest group the local backend accepts. */
#define JET_COMM_LOCAL_MAX_SIZE 256

typedef enum jet_comm_kind {
  JET_COMM_PSUM = 0,
  JET_COMM_PMAX,
  JET_COMM_PMIN,
  JET_COMM_ALL_GATHER,
  JET_COMM_PSUM_SCATTER,
  JET_COMM_PPERMUTE,
  JET_COMM_ALL_TO_ALL,
  JET_COMM_KIND_COUNT,
} jet_comm_kind;

/* One collective with its attributes (the op's attributes of ops.def). */
typedef struct jet_comm_op {
  jet_comm_kind kind;
  int32_t axis;        /* all_gather: axis; psum_scatter: scatter_dimension;
                          all_to_all: split_axis */
  int32_t concat_axis; /* all_to_all */
  bool tiled;          /* all_gather, psum_scatter, all_to_all */
  const int64_t *perm; /* ppermute: src0, dst0, src1, dst1, ... (borrowed) */
  uint32_t n_pairs;    /* ppermute: number of (src, dst) pairs */
} jet_comm_op;

/* "psum", "all_gather", ... */
const char *jet_comm_kind_name(jet_comm_kind k);

/* Creates a group of `size` members on `backend` (NULL = local). */
jet_status jet_comm_create(const jet_comm_backend *backend, uint32_t size,
                           jet_comm **out) JET_MUST_USE;
/* No member may be inside a collective. NULL is ignored. */
void jet_comm_destroy(jet_comm *c);
uint32_t jet_comm_size(const jet_comm *c);

/* Aborts the group with why's code and message (borrowed; NULL means
 * CANCELLED). The first abort wins; later ones are ignored. */
void jet_comm_abort(jet_comm *c, jet_status why);
/* JET_OK while the group is usable, else the abort code. */
jet_code jet_comm_abort_code(const jet_comm *c);

/* Result type of `op` over a group of `size` members on input type `in`;
 * INVALID_ARGUMENT naming the attribute when op does not apply. */
jet_status jet_comm_result_type(const jet_comm_op *op, uint32_t size, const jet_type *in,
                                jet_type *out) JET_MUST_USE;

/* Runs one collective as member `rank`. ctl may be NULL. */
jet_status jet_comm_run(jet_comm *c, uint32_t rank, const jet_comm_op *op, const jet_buf *in,
                        jet_buf *out, const jet_exec_ctl *ctl) JET_MUST_USE;

/* Shorthands for jet_comm_run. */
jet_status jet_comm_psum(jet_comm *c, uint32_t rank, const jet_buf *in, jet_buf *out,
                         const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet_comm_pmax(jet_comm *c, uint32_t rank, const jet_buf *in, jet_buf *out,
                         const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet_comm_pmin(jet_comm *c, uint32_t rank, const jet_buf *in, jet_buf *out,
                         const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet_comm_all_gather(jet_comm *c, uint32_t rank, int32_t axis, bool tiled,
                               const jet_buf *in, jet_buf *out,
                               const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet_comm_psum_scatter(jet_comm *c, uint32_t rank, int32_t scatter_dimension,
                                 bool tiled, const jet_buf *in, jet_buf *out,
                                 const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet_comm_ppermute(jet_comm *c, uint32_t rank, const int64_t *perm, uint32_t n_pairs,
                             const jet_buf *in, jet_buf *out,
                             const jet_exec_ctl *ctl) JET_MUST_USE;
jet_status jet_comm_all_to_all(jet_comm *c, uint32_t rank, int32_t split_axis,
                               int32_t concat_axis, bool tiled, const jet_buf *in, jet_buf *out,
                               const jet_exec_ctl *ctl) JET_MUST_USE;
/* axis_index: writes rank into out (i32[]); no communication. */
jet_status jet_comm_axis_index(const jet_comm *c, uint32_t rank, jet_buf *out) JET_MUST_USE;

#endif
