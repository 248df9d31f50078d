/* Device executors: one thread per device that runs the members of pmap
 * calls placed on that device (runtime/program_pmap.c).
 *
 * Threading. Device d (ids 0..D-1) has one executor thread and a FIFO
 * queue of work items. jet_device_exec_run enqueues one item per member on
 * its device's queue, all of them under one global lock, so the items of
 * two concurrent calls are in the same relative order on every device they
 * share: if call A is ahead of call B on one device it is ahead on all of
 * them, and members that wait for each other (collectives) cannot wait on
 * a member stuck behind the other call. The caller then waits until every
 * member has returned. Members run on the executor threads, not on the
 * compute pool: they may call jet_pool_run (the pool forbids nesting runs
 * inside pool tasks), and a member that blocks in a collective blocks only
 * its device's thread.
 *
 * Nested pmaps (spans). jet_device_exec_run_span gives every member a
 * group of `span` consecutive devices: member m on devices[m], and a
 * placeholder item on each of devices[m]+1 .. devices[m]+span-1, all
 * enqueued in the same locked step (so the ordering argument above covers
 * the whole group). A placeholder holds its device until its member has
 * returned and meanwhile runs the work that nested calls hand to it. A call
 * made on an executor thread that runs inside such a group (the member
 * itself, or work handed to a placeholder) is nested: it enqueues nothing
 * globally; its member m runs on the group's device at offset
 * cur + m * span (cur = the offset of the calling thread's device in the
 * group), member 0 inline on the calling thread, the others handed to
 * their placeholders. A nested call that does not fit its group is refused
 * (INTERNAL naming the offsets; the compiler sizes spans); one from a
 * member of a group of one device (span 1) with n > 1 is UNIMPLEMENTED
 * ("a pmap inside a pmap body needs the outer pmap to reserve devices").
 *
 * Lifetime. jetd calls jet_device_exec_global_init(D) once at start-up (D =
 * its device count): ids >= D are then INVALID_ARGUMENT. Before that (unit
 * tests, benchmarks) executors are created on demand up to the highest id a
 * call uses (at most JET_DEVICE_EXEC_MAX_LAZY). jet_device_exec_global_
 * shutdown stops and joins every thread (no call may be running); the
 * lazy mode applies again afterwards.
 *
 * Thread safety: jet_device_exec_run(_span) may be called from any thread
 * (from an executor only as a nested call, see above); init and shutdown
 * are not concurrent with anything. */
#ifndef JET_RUNTIME_DEVICE_EXEC_H
#define JET_RUNTIME_DEVICE_EXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "jet/status.h"

/* Highest number of executors created on demand before global init. */
#define JET_DEVICE_EXEC_MAX_LAZY 256

/* Fixes the number of devices and starts their executor threads. */
jet_status jet_device_exec_global_init(uint32_t n_devices) JET_MUST_USE;
/* Stops and joins every executor thread. */
void jet_device_exec_global_shutdown(void);

/* Runs fn(ctx, m) for every m in [0, n) on the thread of device devices[m]
 * (distinct ids) and returns when all have returned. Errors (nothing has
 * run then): a device that does not exist (INVALID_ARGUMENT naming it), a
 * call from an executor thread (UNIMPLEMENTED), thread creation failure
 * (RESOURCE_EXHAUSTED). */
jet_status jet_device_exec_run(const uint32_t *devices, uint32_t n,
                               void (*fn)(void *ctx, uint32_t member), void *ctx) JET_MUST_USE;

/* As jet_device_exec_run with a group of `span` (>= 1) devices per member
 * (see "Nested pmaps" above): from a non-executor thread, devices[m] ..
 * devices[m]+span-1 must exist and not overlap between members; from
 * inside a group, `devices` is ignored (may be NULL). */
jet_status jet_device_exec_run_span(const uint32_t *devices, uint32_t n, uint32_t span,
                                    void (*fn)(void *ctx, uint32_t member),
                                    void *ctx) JET_MUST_USE;

/* True on a device executor thread (inside a member). */
bool jet_device_exec_on_executor(void);


#endif
