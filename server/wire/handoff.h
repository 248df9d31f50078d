/* A thread-safe hand-off into the libuv loop: any thread posts items, the
 * loop thread drains them in order (handoff.c; owner: wire).
 *
 * Why not uv_async_send: in libuv 1.44 (Debian 12) the loop thread, woken by
 * an async send, spins (pause, then sched_yield) until the sending thread
 * has finished its uv_async_send. When the sender is a compute thread that
 * the wake-up itself preempted on the same core — a worker ending a job —
 * the scheduler may not run it again until the loop thread's slice ends:
 * milliseconds with the event loop stalled, every other tenant's request
 * waiting (libuv issue 2949; the spin was removed in libuv 1.45). Here an
 * item is published under a mutex *before* an eventfd is written, and the
 * loop reads it with a uv_poll_t watcher: the loop never waits for a
 * poster, and a poster never waits for the loop.
 *
 * Items are intrusive (no allocation on post); their memory is the
 * poster's until drain returns. */
#ifndef JET_WIRE_HANDOFF_H
#define JET_WIRE_HANDOFF_H

#include <uv.h>

#include "jet/status.h"

typedef struct jet_handoff jet_handoff;

typedef struct jet_handoff_item {
  struct jet_handoff_item *next;
} jet_handoff_item;

/* drain(items, arg) runs on the loop thread with the items posted since the
 * last drain, oldest first (a NULL-terminated list; drain may free them).
 * RESOURCE_EXHAUSTED/INTERNAL when the eventfd or watcher cannot be made. */
jet_status jet_handoff_open(uv_loop_t *loop, void (*drain)(jet_handoff_item *items, void *arg),
                            void *arg, jet_handoff **out) JET_MUST_USE;
/* Any thread; never blocks on the loop. */
void jet_handoff_post(jet_handoff *h, jet_handoff_item *item);
/* Loop thread. Items still posted are drained first; then the watcher is
 * closed and h freed once libuv has let go of it (closed(arg) runs then,
 * may be NULL). No post may follow. */
void jet_handoff_close(jet_handoff *h, void (*closed)(void *arg), void *arg);

#endif
