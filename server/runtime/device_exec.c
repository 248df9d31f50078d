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
 * Groups (nested pmaps, jet_device_exec_run_span with span > 1): the call
 * allocates, per member, a group record with one mailbox per device of the
 * group; the member's item runs the member then closes the group, each
 * placeholder item serves its mailbox until the group is closed and empty.
 * Work handed to a mailbox is an item of the nested call (on its caller's
 * stack or heap, like a top-level call's). The executor thread knows its
 * group and offset through thread-locals (tl_group, tl_off).
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

/* One member's group of devices (span > 1). */
typedef struct box {
  item *head, *tail; /* under group.mu */
  atomic_uint pending;
  pthread_cond_t cv;
} box;

typedef struct group {
  void (*fn)(void *ctx, uint32_t member);
  void *ctx;
  uint32_t member, span;
  pthread_mutex_t mu;
  atomic_int closed;
  box *boxes; /* [span]; box 0 (the member's own device) is unused */
} group;

static _Thread_local bool tl_executor;
static _Thread_local group *tl_group;
static _Thread_local uint32_t tl_off;

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
  pthread_setname_np(pthread_self(), "jetd-device");
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

static void batch_wait(batch *b) {
  const uint64_t t0 = now_ns();
  while (!atomic_load(&b->done) && now_ns() - t0 < SPIN_NS) spin_pause();
  pthread_mutex_lock(&b->mu);
  while (!atomic_load(&b->done)) pthread_cond_wait(&b->cv, &b->mu);
  pthread_mutex_unlock(&b->mu);
}

static void batch_init(batch *b, uint32_t n) {
  atomic_init(&b->remaining, n);
  atomic_init(&b->done, 0);
  pthread_mutex_init(&b->mu, NULL);
  pthread_cond_init(&b->cv, NULL);
}

static void batch_fini(batch *b) {
  pthread_mutex_destroy(&b->mu);
  pthread_cond_destroy(&b->cv);
}

/* A group's member item: the member, then the group closes (its
 * placeholders leave once their mailboxes are empty). */
static void group_member_main(void *ctx, uint32_t unused) {
  (void)unused;
  group *g = ctx;
  tl_group = g;
  tl_off = 0;
  g->fn(g->ctx, g->member);
  tl_group = NULL;
  pthread_mutex_lock(&g->mu);
  atomic_store(&g->closed, 1);
  for (uint32_t s = 1; s < g->span; s++) pthread_cond_signal(&g->boxes[s].cv);
  pthread_mutex_unlock(&g->mu);
}

/* A placeholder item: serves mailbox `off` of its group until it closes. */
static void group_placeholder_main(void *ctx, uint32_t off) {
  group *g = ctx;
  box *bx = &g->boxes[off];
  tl_group = g;
  tl_off = off;
  for (;;) {
    const uint64_t t0 = now_ns();
    while (atomic_load(&bx->pending) == 0 && !atomic_load(&g->closed) &&
           now_ns() - t0 < SPIN_NS)
      spin_pause();
    pthread_mutex_lock(&g->mu);
    while (!bx->head && !atomic_load(&g->closed)) pthread_cond_wait(&bx->cv, &g->mu);
    item *it = bx->head;
    if (!it) { /* closed and empty; no one touches g->mu after the close */
      pthread_mutex_unlock(&g->mu);
      break;
    }
    bx->head = it->next;
    if (!bx->head) bx->tail = NULL;
    atomic_fetch_sub(&bx->pending, 1);
    pthread_mutex_unlock(&g->mu);
    batch *b = it->b;
    it->fn(it->ctx, it->member);
    batch_done(b);
  }
  tl_group = NULL;
}

/* A call from inside a group: member m at offset tl_off + m * span. */
static jet_status run_nested(uint32_t n, uint32_t span, void (*fn)(void *ctx, uint32_t member),
                             void *ctx) {
  group *g = tl_group;
  if (n == 1) {
    fn(ctx, 0);
    return NULL;
  }
  if (!g)
    return jet_status_make(JET_UNIMPLEMENTED,
                           "a pmap of %u members inside a pmap body needs the outer pmap to "
                           "reserve devices for it (nested pmap without a device group)",
                           n);
  const uint64_t last = tl_off + (uint64_t)(n - 1) * span + span;
  if (last > g->span)
    return jet_status_make(JET_INTERNAL,
                           "nested pmap: members at offsets %u + m*%u (m < %u) do not fit the "
                           "group of %u devices",
                           tl_off, span, n, g->span);
  item stack_items[STACK_ITEMS];
  item *items = n <= STACK_ITEMS ? stack_items : malloc(n * sizeof *items);
  if (!items) return jet_status_oom("nested pmap members");
  batch b;
  batch_init(&b, n - 1);
  pthread_mutex_lock(&g->mu);
  for (uint32_t m = 1; m < n; m++) {
    item *it = &items[m];
    *it = (item){.fn = fn, .ctx = ctx, .member = m, .b = &b, .next = NULL};
    box *bx = &g->boxes[tl_off + m * span];
    if (bx->tail)
      bx->tail->next = it;
    else
      bx->head = it;
    bx->tail = it;
    atomic_fetch_add(&bx->pending, 1);
    pthread_cond_signal(&bx->cv);
  }
  pthread_mutex_unlock(&g->mu);
  fn(ctx, 0);
  batch_wait(&b);
  batch_fini(&b);
  if (items != stack_items) free(items);
  return NULL;
}

jet_status jet_device_exec_run(const uint32_t *devices, uint32_t n,
                               void (*fn)(void *ctx, uint32_t member), void *ctx) {
  return jet_device_exec_run_span(devices, n, 1, fn, ctx);
}

static void free_groups(group *gs, uint32_t n, uint32_t span) {
  if (!gs) return;
  for (uint32_t m = 0; m < n; m++) {
    pthread_mutex_destroy(&gs[m].mu);
    for (uint32_t s = 0; s < span; s++) pthread_cond_destroy(&gs[m].boxes[s].cv);
  }
  free(gs);
}

/* Groups, their mailboxes and the items of a spanned call: one block. */
static group *alloc_groups(uint32_t n, uint32_t span, void (*fn)(void *ctx, uint32_t member),
                           void *ctx, item **items) {
  const size_t total = (size_t)n * span;
  group *gs = calloc(1, n * sizeof *gs + total * sizeof(box) + total * sizeof(item));
  if (!gs) return NULL;
  box *boxes = (box *)(gs + n);
  *items = (item *)(boxes + total);
  for (uint32_t m = 0; m < n; m++) {
    group *g = &gs[m];
    g->fn = fn;
    g->ctx = ctx;
    g->member = m;
    g->span = span;
    g->boxes = boxes + (size_t)m * span;
    atomic_init(&g->closed, 0);
    pthread_mutex_init(&g->mu, NULL);
    for (uint32_t s = 0; s < span; s++) {
      atomic_init(&g->boxes[s].pending, 0);
      pthread_cond_init(&g->boxes[s].cv, NULL);
    }
  }
  return gs;
}

static void enqueue(uint32_t device, item *it) {
  dev *d = G.devs[device];
  if (d->tail)
    d->tail->next = it;
  else
    d->head = it;
  d->tail = it;
  atomic_fetch_add(&d->pending, 1);
  pthread_cond_signal(&d->cv);
}

jet_status jet_device_exec_run_span(const uint32_t *devices, uint32_t n, uint32_t span,
                                    void (*fn)(void *ctx, uint32_t member), void *ctx) {
  if (n == 0) return NULL;
  if (span == 0) span = 1;
  if (tl_executor) return run_nested(n, span, fn, ctx);
  uint64_t max_id64 = 0;
  for (uint32_t m = 0; m < n; m++)
    if (devices[m] + (uint64_t)span - 1 > max_id64) max_id64 = devices[m] + (uint64_t)span - 1;
  if (max_id64 > UINT32_MAX)
    return jet_status_make(JET_INVALID_ARGUMENT, "device %llu does not exist",
                           (unsigned long long)max_id64);
  const uint32_t max_id = (uint32_t)max_id64;
  if (span > 1)
    for (uint32_t m = 0; m < n; m++)
      for (uint32_t k = m + 1; k < n; k++)
        if (devices[k] < devices[m] + span && devices[m] < devices[k] + span)
          return jet_status_make(JET_INVALID_ARGUMENT,
                                 "pmap members %u and %u: device groups [%u, %u) and [%u, %u) "
                                 "overlap",
                                 m, k, devices[m], devices[m] + span, devices[k],
                                 devices[k] + span);
  const uint64_t n_items = (uint64_t)n * span;
  item stack_items[STACK_ITEMS];
  item *items = stack_items;
  group *gs = NULL;
  if (span > 1) {
    gs = alloc_groups(n, span, fn, ctx, &items);
    if (!gs) return jet_status_oom("pmap device groups");
  } else if (n > STACK_ITEMS) {
    items = malloc(n * sizeof *items);
    if (!items) return jet_status_oom("pmap members");
  }
  batch b;
  batch_init(&b, (uint32_t)n_items);
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
      if (span == 1) {
        items[m] = (item){.fn = fn, .ctx = ctx, .member = m, .b = &b, .next = NULL};
        enqueue(devices[m], &items[m]);
        continue;
      }
      for (uint32_t s = 0; s < span; s++) {
        item *it = &items[(size_t)m * span + s];
        *it = (item){.fn = s ? group_placeholder_main : group_member_main, .ctx = &gs[m],
                     .member = s, .b = &b, .next = NULL};
        enqueue(devices[m] + s, it);
      }
    }
  }
  pthread_mutex_unlock(&G.mu);
  if (!st) batch_wait(&b);
  batch_fini(&b);
  if (gs)
    free_groups(gs, n, span);
  else if (items != stack_items)
    free(items);
  return st;
}
