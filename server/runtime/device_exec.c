/* Device executor threads (contract in device_exec.h).
 *
 * One global mutex guards every device's queue and the device table, so a
 * call's members enter all their queues at once (the deadlock-freedom
 * argument of the header). A call's work items and its completion record
 * live on the caller's stack (a heap array only past STACK_ITEMS members);
 * the last member to finish signals the caller under the record's mutex,
 * and the caller takes that mutex once more before returning, so no
 * executor touches the record after it is gone.
 *
 * Idle executors and the waiting caller spin for a short while before they
 * sleep (wake-ups are slow in this VM, see pool.c), so back-to-back pmap
 * calls do not pay a sleep and a wake-up per member. */
#include "device_exec.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define SPIN_NS 50000
#define STACK_ITEMS 16

typedef struct batch {
  atomic_uint remaining;
  atomic_int done;
  pthread_mutex_t mu;
  pthread_cond_t cv;
} batch;

typedef struct item {
  void (*fn)(void *ctx, uint32_t member);
  void *ctx;
  uint32_t member;
  batch *b;
  struct item *next;
} item;

typedef struct dev {
  uint32_t id;
  pthread_t thread;
  pthread_cond_t cv;
  item *head, *tail;     /* under G.mu */
  atomic_uint pending;   /* queued items, for spinning without the mutex */
  atomic_int stop;
} dev;

static struct {
  pthread_mutex_t mu;
  dev **devs;
  uint32_t n, cap;
  uint32_t fixed; /* 0 = lazy; else the device count of global init */
} G = {.mu = PTHREAD_MUTEX_INITIALIZER};

static _Thread_local bool tl_executor;

bool jet_device_exec_on_executor(void) { return tl_executor; }

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* One round of spinning: a few pauses, then the core to any runnable
 * thread (members and pool workers must not wait behind a spinner when
 * the cores are all taken). */
static void spin_pause(void) {
  for (int k = 0; k < 16; k++) CPU_RELAX();
  sched_yield();
}

static void batch_done(batch *b) {
  if (atomic_fetch_sub(&b->remaining, 1) != 1) return;
  pthread_mutex_lock(&b->mu);
  atomic_store(&b->done, 1);
  pthread_cond_signal(&b->cv);
  pthread_mutex_unlock(&b->mu);
}

static void *executor_main(void *arg) {
  dev *d = arg;
  tl_executor = true;
  for (;;) {
    const uint64_t t0 = now_ns();
    while (atomic_load(&d->pending) == 0 && !atomic_load(&d->stop) && now_ns() - t0 < SPIN_NS)
      spin_pause();
    pthread_mutex_lock(&G.mu);
    while (!d->head && !atomic_load(&d->stop)) pthread_cond_wait(&d->cv, &G.mu);
    item *it = d->head;
    if (!it) { /* stopping with nothing queued */
      pthread_mutex_unlock(&G.mu);
      return NULL;
    }
    d->head = it->next;
    if (!d->head) d->tail = NULL;
    atomic_fetch_sub(&d->pending, 1);
    pthread_mutex_unlock(&G.mu);
    batch *b = it->b; /* the item may go away once the batch is done */
    it->fn(it->ctx, it->member);
    batch_done(b);
  }
}

/* Starts executors up to id `max_id` (under G.mu, lazy mode). */
static jet_status grow(uint32_t max_id) {
  if (max_id < G.n) return NULL;
  if (max_id >= G.cap) {
    uint32_t cap = G.cap ? G.cap : 4;
    while (cap <= max_id) cap *= 2;
    dev **nd = realloc(G.devs, cap * sizeof *nd);
    if (!nd) return jet_status_oom("device executor table");
    G.devs = nd;
    G.cap = cap;
  }
  while (G.n <= max_id) {
    dev *d = calloc(1, sizeof *d);
    if (!d) return jet_status_oom("device executor");
    d->id = G.n;
    if (pthread_cond_init(&d->cv, NULL) != 0) {
      free(d);
      return jet_status_make(JET_RESOURCE_EXHAUSTED, "device %u: cannot create its executor", G.n);
    }
    if (pthread_create(&d->thread, NULL, executor_main, d) != 0) {
      pthread_cond_destroy(&d->cv);
      free(d);
      return jet_status_make(JET_RESOURCE_EXHAUSTED, "device %u: cannot start its executor thread",
                             G.n);
    }
    G.devs[G.n++] = d;
  }
  return NULL;
}

jet_status jet_device_exec_global_init(uint32_t n_devices) {
  if (n_devices == 0) return jet_status_make(JET_INVALID_ARGUMENT, "device executors: no devices");
  pthread_mutex_lock(&G.mu);
  jet_status st = grow(n_devices - 1);
  if (!st) G.fixed = n_devices;
  pthread_mutex_unlock(&G.mu);
  return st;
}

void jet_device_exec_global_shutdown(void) {
  pthread_mutex_lock(&G.mu);
  for (uint32_t i = 0; i < G.n; i++) {
    atomic_store(&G.devs[i]->stop, 1);
    pthread_cond_signal(&G.devs[i]->cv);
  }
  const uint32_t n = G.n;
  pthread_mutex_unlock(&G.mu);
  for (uint32_t i = 0; i < n; i++) {
    pthread_join(G.devs[i]->thread, NULL);
    pthread_cond_destroy(&G.devs[i]->cv);
    free(G.devs[i]);
  }
  pthread_mutex_lock(&G.mu);
  free(G.devs);
  G.devs = NULL;
  G.n = G.cap = G.fixed = 0;
  pthread_mutex_unlock(&G.mu);
}

jet_status jet_device_exec_run(const uint32_t *devices, uint32_t n,
                               void (*fn)(void *ctx, uint32_t member), void *ctx) {
  if (n == 0) return NULL;
  if (tl_executor)
    return jet_status_make(JET_UNIMPLEMENTED, "a pmap inside a pmap body is not implemented yet");
  uint32_t max_id = 0;
  for (uint32_t m = 0; m < n; m++)
    if (devices[m] > max_id) max_id = devices[m];
  item stack_items[STACK_ITEMS];
  item *items = n <= STACK_ITEMS ? stack_items : malloc(n * sizeof *items);
  if (!items) return jet_status_oom("pmap members");
  batch b;
  atomic_init(&b.remaining, n);
  atomic_init(&b.done, 0);
  pthread_mutex_init(&b.mu, NULL);
  pthread_cond_init(&b.cv, NULL);
  jet_status st = NULL;
  pthread_mutex_lock(&G.mu);
  if (G.fixed && max_id >= G.fixed)
    st = jet_status_make(JET_INVALID_ARGUMENT, "device %u does not exist (%u devices)", max_id,
                         G.fixed);
  else if (!G.fixed && max_id >= JET_DEVICE_EXEC_MAX_LAZY)
    st = jet_status_make(JET_INVALID_ARGUMENT, "device %u does not exist (at most %u devices)",
                         max_id, JET_DEVICE_EXEC_MAX_LAZY);
  else
    st = grow(max_id);
  if (!st) {
    for (uint32_t m = 0; m < n; m++) {
      item *it = &items[m];
      *it = (item){.fn = fn, .ctx = ctx, .member = m, .b = &b, .next = NULL};
      dev *d = G.devs[devices[m]];
      if (d->tail)
        d->tail->next = it;
      else
        d->head = it;
      d->tail = it;
      atomic_fetch_add(&d->pending, 1);
      pthread_cond_signal(&d->cv);
    }
  }
  pthread_mutex_unlock(&G.mu);
  if (!st) {
    const uint64_t t0 = now_ns();
    while (!atomic_load(&b.done) && now_ns() - t0 < SPIN_NS) spin_pause();
    pthread_mutex_lock(&b.mu);
    while (!atomic_load(&b.done)) pthread_cond_wait(&b.cv, &b.mu);
    pthread_mutex_unlock(&b.mu);
  }
  pthread_mutex_destroy(&b.mu);
  pthread_cond_destroy(&b.cv);
  if (items != stack_items) free(items);
  return st;
}
