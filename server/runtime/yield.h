/* Yield points of long executions (yield.c; owner: runtime).
 *
 * A kernel thread that computes for milliseconds holds its core until the
 * scheduler's next tick (4 ms at HZ=250): on Linux's EEVDF scheduler a
 * thread that is woken, or that was preempted, onto that core does not
 * always get it back sooner. Every thread on another tenant's path shares
 * those cores — jetd's event loop and completion-queue threads, gRPC's,
 * the worker that runs the other tenant's job, that tenant's client — so
 * one tenant's long Executes added up to a tick to the others' calls
 * (tests/bench/README.md, bench_fairness).
 *
 * Executions therefore give their core away (sched_yield) at their poll
 * points — between steps and loop iterations, where cancel and deadline are
 * checked — once `interval` has passed since the thread's last yield. With
 * nothing else runnable the yield returns at once (about a microsecond), so
 * the cost is bounded by one syscall per interval. A single kernel longer
 * than the interval is not cut. */
#ifndef JET_RUNTIME_YIELD_H
#define JET_RUNTIME_YIELD_H

#include <stdbool.h>
#include <stdint.h>

/* 0 = no yields (the default). Set once before executions start. */
void jet_yield_set_interval_us(uint32_t us);
bool jet_yield_enabled(void);
/* A poll point: yields when the interval has passed since this thread last
 * yielded. now_ns = CLOCK_MONOTONIC when the caller read it (a deadline
 * check), else 0: the clock is then read only every few points (a stride
 * adapted so that reads come several times per interval). */
void jet_yield_point(int64_t now_ns);
/* Yields taken so far, all threads (metrics). */
uint64_t jet_yield_count(void);

#endif
