/* The compute thread pool shared by every execution of the daemon.
 *
 * One pool per process (jet_pool_global), sized to the device's cores: it
 * has size-1 worker threads and the thread calling jet_pool_run works too,
 * so one parallel kernel never runs more than `size` threads. OpenBLAS is
 * kept at one thread (daemon/main.c) and large matrix products are split
 * across this pool instead, so the two never oversubscribe the cores.
 *
 * Several threads may call jet_pool_run at once (concurrent executions):
 * their tasks share the workers; each caller also runs its own tasks, so a
 * run always makes progress even when every worker is busy elsewhere.
 *
 * Small work should not come here: kernels decide by size (see
 * JET_POOL_MIN_ELEMS) and run inline below it.
 *
 * Thread safety: every function may be called from any thread. */
#ifndef JET_RUNTIME_POOL_H
#define JET_RUNTIME_POOL_H

#include <stdint.h>

#include "jet/status.h"

typedef struct jet_pool jet_pool;

/* Elementwise work below this many elements stays on the calling thread. */
#define JET_POOL_MIN_ELEMS (1 << 16)

/* fn(ctx, task, slot): runs task `task` in [0, n_tasks). `slot` in
 * [0, jet_pool_size) is distinct among the threads working on one
 * jet_pool_run call at the same time (use it to index per-thread scratch). */
typedef void (*jet_pool_fn)(void *ctx, uint32_t task, uint32_t slot);

/* A pool of `size` >= 1 threads in all (size-1 workers are started). NULL
 * with *err set on failure. */
jet_pool *jet_pool_create(uint32_t size, jet_status *err);
/* Waits for running tasks, stops and joins the workers. NULL is allowed. */
void jet_pool_destroy(jet_pool *p);
uint32_t jet_pool_size(const jet_pool *p);

/* Runs every task once and returns when all have finished. n_tasks may be
 * 0. Tasks must not call jet_pool_run themselves (no nesting). */
void jet_pool_run(jet_pool *p, uint32_t n_tasks, jet_pool_fn fn, void *ctx);

/* The process-wide pool. Before jet_pool_global_init (unit tests, clients)
 * it is a pool of size 1 that runs everything on the caller. */
jet_pool *jet_pool_global(void);
/* Creates the process-wide pool of `size` threads (0 = number of online
 * CPUs). Call once at start-up, before any execution. */
jet_status jet_pool_global_init(uint32_t size) JET_MUST_USE;
void jet_pool_global_shutdown(void);

#endif
