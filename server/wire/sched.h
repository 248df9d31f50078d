/* Fair scheduling of Executes across tenants and devices (sched.c; owner:
 * quotas).
 *
 * Executes do not go to the worker threads (wire/workers.h) in arrival
 * order: each waits in a FIFO queue of its tenant for its device (the
 * device its committed arguments are on, jet_sched_job.device), and
 * whenever fewer than `max_running` run, the next job comes from the next
 * tenant with a queued job (round-robin over tenants), from that tenant's
 * next device with one (round-robin over its devices). So one tenant's
 * thousand queued calls do not starve another tenant's one, and a tenant's
 * call for one device does not wait behind its own thousand for another.
 * The devices share the worker threads (CPU devices share the cores):
 * `max_running` bounds the Executes running over all of them. With `reserve` slots (jet_sched_set_reserve;
 * jetd keeps 1 when it has several tenants), a tenant that already runs
 * max_running - reserve jobs waits, so a tenant with nothing running finds
 * a free slot at once instead of waiting for a flood's job to end. A
 * tenant's queued + running jobs are
 * bounded by its tenant-executions quota (RESOURCE_EXHAUSTED at
 * submission). A queued job whose deadline passed or that was cancelled is
 * answered without running (drop with DEADLINE_EXCEEDED / CANCELLED) at the
 * next jet_sched_expire or dispatch.
 *
 * The core (jet_sched_*) knows nothing of calls: a job is two callbacks, so
 * tests drive it with synthetic jobs. jet__sched_execute connects it to
 * the wire: the run callback queues the call on the pool, and the call's
 * close (cancel, deadline) sweeps the queues.
 *
 * Thread safety: loop thread only (no locking). */
#ifndef JET_WIRE_SCHED_H
#define JET_WIRE_SCHED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "jet/status.h"

typedef struct jet_sched jet_sched;
typedef struct jet_sched_job jet_sched_job;

struct jet_sched_job {
  /* Set by the submitter. */
  const char *tenant;      /* copied by the scheduler's tenant entry */
  uint32_t device;         /* the device it will run on (its queue) */
  int64_t deadline_ns;     /* CLOCK_MONOTONIC; 0 = none */
  atomic_int *cancelled;   /* may be NULL */
  void (*run)(jet_sched_job *j);  /* start it; call jet_sched_done when it ends */
  void (*drop)(jet_sched_job *j, jet_status st); /* answered without running
                                                     (st consumed) */
  void *arg;
  /* The scheduler's. */
  jet_sched_job *next;
  struct sched_tenant *owner;
  bool running;
};

/* max_running >= 1. NULL when out of memory. */
/* Slots (< max_running) only a tenant with nothing running may take. */
void jet_sched_set_reserve(jet_sched *s, uint32_t reserve);
jet_sched *jet_sched_create(uint32_t max_running);
/* Drops every queued job (CANCELLED "the server is shutting down"). */
void jet_sched_destroy(jet_sched *s);

/* Queues j for j->tenant, or RESOURCE_EXHAUSTED naming tenant-executions
 * when `limit` (0 = none) jobs of the tenant are queued or running already
 * (j untouched then). May run j (or others) before returning. */
jet_status jet_sched_submit(jet_sched *s, jet_sched_job *j, uint64_t limit) JET_MUST_USE;
/* A running job ended: frees its slot and dispatches the next ones. */
void jet_sched_done(jet_sched *s, jet_sched_job *j);
/* Drops queued jobs that are cancelled or past their deadline at now_ns. */
void jet_sched_expire(jet_sched *s, int64_t now_ns);

/* Counts: jobs running, jobs queued (all tenants, or tenant's when not
 * NULL: queued + running). */
uint32_t jet_sched_running(const jet_sched *s);
uint32_t jet_sched_queued(const jet_sched *s);
uint32_t jet_sched_tenant_jobs(const jet_sched *s, const char *tenant);
/* Adds each device's queued jobs (all tenants) to counts[device], for
 * devices below n_devices. */
void jet_sched_queued_by_device(const jet_sched *s, uint32_t *counts, uint32_t n_devices);

/* Wire glue: runs Execute call c under w's scheduler (made on first use,
 * max_running = the daemon's workers). */
struct jet_call;
void jet__sched_execute(struct jet_call *c);
struct jet_wire;
void jet__sched_free(struct jet_wire *w);
/* call.c's unary steps the glue runs (declared here: call.h belongs to the
 * wire owner): unpack + handle + pack on a worker, then the reply. */
void jet__unary_run(struct jet_call *c);
void jet__unary_after(struct jet_call *c);

#endif
