/* The compute thread pool (contract in pool.h).
 *
 * A run is a job on the caller's stack: tasks [0, n_tasks) are claimed one
 * at a time with an atomic counter, by the caller and by any worker that
 * joins. Jobs wait in a FIFO queue (mutex-protected) until all their tasks
 * are claimed; several callers may have jobs queued at once, and workers
 * serve the oldest job first, then the next.
 *
 * Slots: the caller of a run is slot 0 and worker w (0..size-2) is always
 * slot w+1. Only the caller and the workers ever run a job's tasks (tasks
 * may not nest runs), so the slots of the threads on one job are distinct
 * and below size.
 *
 * Lifetime of a job: a worker joins it under the mutex while it is queued
 * (job->inside++) and leaves under the mutex. The caller, once every task
 * has been claimed, unqueues it and waits until no worker is inside; only
 * then does jet_pool_run return and the job's memory go away.
 *
 * Idle workers spin for a short while (SPIN_NS) on the number of queued jobs,
 * so that the back-to-back kernels of one execution do not pay a sleep and a
 * wake-up each (wake-ups are slow in this VM), then sleep on a condition
 * variable. A caller waiting for workers to leave its job does the same. */
#include "pool.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* How long an idle worker (or a waiting caller) spins before it sleeps. */
#define SPIN_NS 50000
/* Largest pool accepted (a sanity bound on the configuration). */
#define MAX_POOL_SIZE 1024

typedef struct pool_job {
  jet_pool_fn fn;
  void *ctx;
  uint32_t n_tasks;
  _Atomic uint32_t next;   /* next task to claim; >= n_tasks when all are claimed */
  _Atomic uint32_t inside; /* workers working on the job (changed under the mutex) */
  bool queued;             /* in the queue (under the mutex) */
  bool waiting;            /* the caller sleeps on done_cv (under the mutex) */
  struct pool_job *qnext;
} pool_job;

typedef struct worker {
  jet_pool *pool;
  uint32_t slot;
  pthread_t thread;
} worker;

struct jet_pool {
  uint32_t size;
  uint32_t n_workers;
  worker *workers;
  pthread_mutex_t mu;
  pthread_cond_t work_cv; /* a job was queued, or stop */
  pthread_cond_t done_cv; /* a worker left a job whose caller waits */
  pool_job *head, *tail;  /* queued jobs (under mu) */
  _Atomic uint32_t queued; /* number of queued jobs, for spinning without mu */
  uint32_t sleepers;       /* workers waiting on work_cv (under mu) */
  bool stop;               /* under mu */
};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Spins until *v != 0 (want_nonzero) or *v == 0, for at most SPIN_NS;
 * returns whether the condition holds. */
static bool spin_until(_Atomic uint32_t *v, bool want_nonzero) {
  uint64_t start = 0;
  for (uint32_t i = 0;; i++) {
    bool nz = atomic_load_explicit(v, memory_order_acquire) != 0;
    if (nz == want_nonzero) return true;
    if ((i & 15) == 0) {
      uint64_t t = now_ns();
      if (i == 0) start = t;
      else if (t - start > SPIN_NS) return false;
      /* Another thread may be waiting for this CPU (a caller placed
       * on the same one): let it run. */
      if (i) sched_yield();
    }
    CPU_RELAX();
  }
}

/* Under mu. */
static void unqueue(jet_pool *p, pool_job *j) {
  if (!j->queued) return;
  pool_job **pp = &p->head, *prev = NULL;
  while (*pp != j) {
    prev = *pp;
    pp = &(*pp)->qnext;
  }
  *pp = j->qnext;
  if (p->tail == j) p->tail = prev;
  j->qnext = NULL;
  j->queued = false;
  atomic_fetch_sub_explicit(&p->queued, 1, memory_order_relaxed);
}

/* Runs tasks of j until none is left to claim. */
static void run_tasks(pool_job *j, uint32_t slot) {
  for (;;) {
    uint32_t t = atomic_fetch_add_explicit(&j->next, 1, memory_order_relaxed);
    if (t >= j->n_tasks) return;
    j->fn(j->ctx, t, slot);
  }
}

static void *worker_main(void *arg) {
  worker *w = arg;
  jet_pool *p = w->pool;
  pthread_setname_np(pthread_self(), "jetd-pool");
  pthread_mutex_lock(&p->mu);
  for (;;) {
    pool_job *j = p->head;
    /* Drop jobs whose tasks are all claimed: their callers finish them. */
    while (j && atomic_load_explicit(&j->next, memory_order_relaxed) >= j->n_tasks) {
      unqueue(p, j);
      j = p->head;
    }
    if (j) {
      atomic_fetch_add_explicit(&j->inside, 1, memory_order_relaxed);
      pthread_mutex_unlock(&p->mu);
      run_tasks(j, w->slot);
      pthread_mutex_lock(&p->mu);
      unqueue(p, j);
      if (atomic_fetch_sub_explicit(&j->inside, 1, memory_order_release) == 1 && j->waiting)
        pthread_cond_broadcast(&p->done_cv);
      continue;
    }
    if (p->stop) break;
    /* Idle: spin a little without the mutex, then sleep. */
    pthread_mutex_unlock(&p->mu);
    bool got = spin_until(&p->queued, true);
    pthread_mutex_lock(&p->mu);
    if (got || p->head || p->stop) continue;
    p->sleepers++;
    while (!p->head && !p->stop) pthread_cond_wait(&p->work_cv, &p->mu);
    p->sleepers--;
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

jet_pool *jet_pool_create(uint32_t size, jet_status *err) {
  if (size < 1 || size > MAX_POOL_SIZE) {
    *err = jet_status_make(JET_INVALID_ARGUMENT, "thread pool size %u is not in 1..%u", size,
                           MAX_POOL_SIZE);
    return NULL;
  }
  jet_pool *p = calloc(1, sizeof *p);
  if (!p) {
    *err = jet_status_oom("thread pool");
    return NULL;
  }
  p->size = size;
  p->n_workers = size - 1;
  if (p->n_workers) {
    p->workers = calloc(p->n_workers, sizeof *p->workers);
    if (!p->workers) {
      free(p);
      *err = jet_status_oom("thread pool workers");
      return NULL;
    }
  }
  int rc = pthread_mutex_init(&p->mu, NULL);
  if (!rc) {
    rc = pthread_cond_init(&p->work_cv, NULL);
    if (!rc) {
      rc = pthread_cond_init(&p->done_cv, NULL);
      if (rc) pthread_cond_destroy(&p->work_cv);
    }
    if (rc) pthread_mutex_destroy(&p->mu);
  }
  if (rc) {
    free(p->workers);
    free(p);
    *err = jet_status_make(JET_INTERNAL, "thread pool: %s", strerror(rc));
    return NULL;
  }
  /* Workers block every signal: the daemon's signal handling (libuv) runs
   * on its own threads. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  uint32_t started = 0;
  for (; started < p->n_workers; started++) {
    worker *w = &p->workers[started];
    w->pool = p;
    w->slot = started + 1;
    rc = pthread_create(&w->thread, NULL, worker_main, w);
    if (rc) break;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc) {
    p->n_workers = started; /* destroy joins the ones that started */
    jet_pool_destroy(p);
    *err = jet_status_make(JET_RESOURCE_EXHAUSTED, "thread pool: starting thread %u of %u: %s",
                           started + 1, size - 1, strerror(rc));
    return NULL;
  }
  return p;
}

static jet_pool serial_pool = {.size = 1};

void jet_pool_destroy(jet_pool *p) {
  if (!p || p == &serial_pool) return;
  pthread_mutex_lock(&p->mu);
  p->stop = true;
  pthread_cond_broadcast(&p->work_cv);
  pthread_mutex_unlock(&p->mu);
  for (uint32_t i = 0; i < p->n_workers; i++) pthread_join(p->workers[i].thread, NULL);
  pthread_cond_destroy(&p->done_cv);
  pthread_cond_destroy(&p->work_cv);
  pthread_mutex_destroy(&p->mu);
  free(p->workers);
  free(p);
}

uint32_t jet_pool_size(const jet_pool *p) { return p->size; }

void jet_pool_run(jet_pool *p, uint32_t n_tasks, jet_pool_fn fn, void *ctx) {
  if (n_tasks == 0) return;
  if (p->n_workers == 0 || n_tasks == 1) {
    for (uint32_t t = 0; t < n_tasks; t++) fn(ctx, t, 0);
    return;
  }
  pool_job j = {.fn = fn, .ctx = ctx, .n_tasks = n_tasks, .queued = true};
  pthread_mutex_lock(&p->mu);
  if (p->tail) p->tail->qnext = &j;
  else p->head = &j;
  p->tail = &j;
  atomic_fetch_add_explicit(&p->queued, 1, memory_order_release);
  /* Spinning workers see `queued`; wake sleeping ones, at most one per task
   * beyond the caller's. */
  for (uint32_t k = p->sleepers < n_tasks - 1 ? p->sleepers : n_tasks - 1; k > 0; k--)
    pthread_cond_signal(&p->work_cv);
  pthread_mutex_unlock(&p->mu);

  run_tasks(&j, 0);

  /* Every task is claimed; wait for the workers still inside the job. */
  pthread_mutex_lock(&p->mu);
  unqueue(p, &j);
  if (atomic_load_explicit(&j.inside, memory_order_relaxed) != 0) {
    pthread_mutex_unlock(&p->mu);
    spin_until(&j.inside, false);
    pthread_mutex_lock(&p->mu);
    while (atomic_load_explicit(&j.inside, memory_order_acquire) != 0) {
      j.waiting = true;
      pthread_cond_wait(&p->done_cv, &p->mu);
    }
  }
  pthread_mutex_unlock(&p->mu);
}

/* The process-wide pool: serial_pool until jet_pool_global_init. */
static _Atomic(jet_pool *) global_pool = NULL;

jet_pool *jet_pool_global(void) {
  jet_pool *p = atomic_load_explicit(&global_pool, memory_order_acquire);
  return p ? p : &serial_pool;
}

jet_status jet_pool_global_init(uint32_t size) {
  if (size == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    size = n > 0 ? (uint32_t)(n < MAX_POOL_SIZE ? n : MAX_POOL_SIZE) : 1;
  }
  jet_status st = NULL;
  jet_pool *p = jet_pool_create(size, &st);
  if (!p) return st;
  jet_pool *expected = NULL;
  if (!atomic_compare_exchange_strong(&global_pool, &expected, p)) {
    jet_pool_destroy(p);
    return jet_status_make(JET_FAILED_PRECONDITION, "the global thread pool is already started");
  }
  return NULL;
}

void jet_pool_global_shutdown(void) {
  jet_pool_destroy(atomic_exchange(&global_pool, NULL));
}
