/* jetd's worker threads (workers.c; owner: wire): the jobs of calls that
 * must not run on the loop thread — Compile, TransformGraph, Execute and
 * the array transfers' packing — run here, first come first served, and
 * their `after` step runs back on the loop thread.
 *
 * Not libuv's thread pool: its completions go through uv_async_send, whose
 * loop-side spin (libuv 1.44) stalls the event loop for milliseconds when
 * a worker is preempted inside the send (wire/handoff.h). Completions here
 * go through a jet_handoff. The threads are named "jetd-exec" and block
 * every signal (signals reach the loop thread). */
#ifndef JET_WIRE_WORKERS_H
#define JET_WIRE_WORKERS_H

#include <stdint.h>
#include <uv.h>

#include "jet/status.h"
#include "wire/handoff.h"

typedef struct jet_workers jet_workers;

typedef struct jet_work {
  jet_handoff_item link;              /* first member (the completion hand-off) */
  void (*run)(struct jet_work *w);    /* on a worker thread */
  void (*after)(struct jet_work *w);  /* then on the loop thread */
  struct jet_work *qnext;             /* the workers' queue */
} jet_work;

/* n >= 1 threads on loop. RESOURCE_EXHAUSTED naming the thread that could
 * not start (none is left running then). */
jet_status jet_workers_start(uv_loop_t *loop, uint32_t n, jet_workers **out) JET_MUST_USE;
/* Any thread. w (run and after set) is the caller's until after runs. */
void jet_workers_submit(jet_workers *ws, jet_work *w);
/* Loop thread, when no job is queued or running (the server has no call
 * left): joins the threads, closes the hand-off, frees ws. NULL is a no-op. */
void jet_workers_stop(jet_workers *ws);

#endif
