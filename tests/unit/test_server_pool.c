/* The compute thread pool (server/runtime/pool.h): every task runs exactly
 * once, slots are distinct and below the size among the threads of one run,
 * several threads may run jobs at once, workers really run tasks in
 * parallel, 0 tasks, a pool of 1, create/destroy loops and the global pool.
 * Checks made inside tasks are recorded in atomics and asserted by the
 * test's thread (cmocka assertions must not run on pool threads). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime/pool.h"

#define MAX_TASKS 4096
#define MAX_SLOTS 16

typedef struct run_ctx {
  uint32_t size;
  _Atomic uint32_t count[MAX_TASKS];
  _Atomic uint32_t busy[MAX_SLOTS]; /* threads currently in a task, per slot */
  _Atomic uint32_t errors;          /* slot out of range or shared */
  _Atomic uint32_t slots_seen;      /* bit mask */
  uint32_t spin;                    /* busy work per task */
} run_ctx;

static void task(void *c, uint32_t t, uint32_t slot) {
  run_ctx *r = c;
  if (slot >= r->size || slot >= MAX_SLOTS) {
    atomic_fetch_add(&r->errors, 1);
    return;
  }
  atomic_fetch_or(&r->slots_seen, 1u << slot);
  if (atomic_exchange(&r->busy[slot], 1) != 0) atomic_fetch_add(&r->errors, 1);
  volatile uint32_t x = 0;
  for (uint32_t i = 0; i < r->spin; i++) x += i;
  atomic_fetch_add(&r->count[t], 1);
  if (atomic_exchange(&r->busy[slot], 0) != 1) atomic_fetch_add(&r->errors, 1);
}

static void reset(run_ctx *r, uint32_t size, uint32_t spin) {
  r->size = size;
  r->spin = spin;
  for (int i = 0; i < MAX_TASKS; i++) atomic_store(&r->count[i], 0);
  for (int i = 0; i < MAX_SLOTS; i++) atomic_store(&r->busy[i], 0);
  atomic_store(&r->errors, 0);
  atomic_store(&r->slots_seen, 0);
}

static void check_once(run_ctx *r, uint32_t n) {
  assert_int_equal(atomic_load(&r->errors), 0);
  for (uint32_t t = 0; t < MAX_TASKS; t++) assert_int_equal(atomic_load(&r->count[t]), t < n);
}

static jet_pool *make(uint32_t size) {
  jet_status st = NULL;
  jet_pool *p = jet_pool_create(size, &st);
  assert_null(st);
  assert_non_null(p);
  assert_int_equal(jet_pool_size(p), size);
  return p;
}

static void every_task_once(void **state) {
  (void)state;
  static run_ctx r;
  const uint32_t sizes[] = {1, 2, 3, 4, 8};
  const uint32_t counts[] = {0, 1, 2, 3, 7, 64, 1000, MAX_TASKS};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    jet_pool *p = make(sizes[s]);
    for (size_t c = 0; c < sizeof counts / sizeof *counts; c++) {
      for (uint32_t spin = 0; spin <= 2000; spin += 2000) {
        reset(&r, sizes[s], spin);
        jet_pool_run(p, counts[c], task, &r);
        check_once(&r, counts[c]);
      }
    }
    jet_pool_destroy(p);
  }
}

static void zero_tasks_and_size_one(void **state) {
  (void)state;
  static run_ctx r;
  jet_pool *p = make(3);
  reset(&r, 3, 0);
  jet_pool_run(p, 0, task, &r); /* must not call task */
  check_once(&r, 0);
  assert_int_equal(atomic_load(&r.slots_seen), 0);
  jet_pool_destroy(p);

  /* Size 1: everything on the caller, slot 0. */
  p = make(1);
  reset(&r, 1, 100);
  jet_pool_run(p, 500, task, &r);
  check_once(&r, 500);
  assert_int_equal(atomic_load(&r.slots_seen), 1);
  jet_pool_destroy(p);
  jet_pool_destroy(NULL);

  jet_status st = NULL;
  assert_null(jet_pool_create(0, &st));
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
}

/* The workers run tasks in parallel with the caller: each of two tasks
 * waits (up to 10 s) until the other one has started. */
typedef struct meet_ctx {
  _Atomic uint32_t arrived;
  _Atomic uint32_t slot[2];
} meet_ctx;

static uint64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void meet_task(void *c, uint32_t t, uint32_t slot) {
  meet_ctx *m = c;
  atomic_store(&m->slot[t], slot);
  atomic_fetch_add(&m->arrived, 1);
  uint64_t t0 = now_ms();
  while (atomic_load(&m->arrived) < 2 && now_ms() - t0 < 10000) usleep(50);
}

static void runs_in_parallel(void **state) {
  (void)state;
  for (uint32_t size = 2; size <= 4; size++) {
    jet_pool *p = make(size);
    for (int round = 0; round < 20; round++) {
      meet_ctx m = {0};
      uint64_t t0 = now_ms();
      jet_pool_run(p, 2, meet_task, &m);
      assert_true(now_ms() - t0 < 5000);
      assert_int_equal(atomic_load(&m.arrived), 2);
      assert_true(atomic_load(&m.slot[0]) < size && atomic_load(&m.slot[1]) < size);
      assert_int_not_equal(atomic_load(&m.slot[0]), atomic_load(&m.slot[1]));
      if (round % 5 == 4) usleep(1000); /* workers asleep before the next round */
    }
    jet_pool_destroy(p);
  }
}

/* Several threads call jet_pool_run on one pool at the same time. */
typedef struct caller_arg {
  jet_pool *pool;
  run_ctx *r;
  uint32_t rounds, size;
  _Atomic uint32_t *bad;
} caller_arg;

static void *caller_main(void *a) {
  caller_arg *c = a;
  for (uint32_t i = 0; i < c->rounds; i++) {
    uint32_t n = (i * 37u) % 300u;
    reset(c->r, c->size, (i % 3) * 500);
    jet_pool_run(c->pool, n, task, c->r);
    if (atomic_load(&c->r->errors)) atomic_fetch_add(c->bad, 1);
    for (uint32_t t = 0; t < MAX_TASKS; t++)
      if (atomic_load(&c->r->count[t]) != (t < n)) {
        atomic_fetch_add(c->bad, 1);
        break;
      }
  }
  return NULL;
}

static void concurrent_callers(void **state) {
  (void)state;
  enum { NCALLERS = 4 };
  static run_ctx r[NCALLERS];
  const uint32_t sizes[] = {1, 2, 3};
  for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
    jet_pool *p = make(sizes[s]);
    _Atomic uint32_t bad = 0;
    pthread_t th[NCALLERS];
    caller_arg args[NCALLERS];
    for (int i = 0; i < NCALLERS; i++) {
      args[i] = (caller_arg){.pool = p, .r = &r[i], .rounds = 150, .size = sizes[s], .bad = &bad};
      assert_int_equal(pthread_create(&th[i], NULL, caller_main, &args[i]), 0);
    }
    for (int i = 0; i < NCALLERS; i++) pthread_join(th[i], NULL);
    assert_int_equal(atomic_load(&bad), 0);
    jet_pool_destroy(p);
  }
}

static void create_destroy_loops(void **state) {
  (void)state;
  static run_ctx r;
  for (uint32_t i = 0; i < 100; i++) {
    uint32_t size = 1 + i % 5;
    jet_pool *p = make(size);
    if (i % 2) {
      reset(&r, size, 0);
      jet_pool_run(p, 1 + i, task, &r);
      check_once(&r, 1 + i);
    }
    if (i % 4 == 3) usleep(100); /* let the workers go to sleep first */
    jet_pool_destroy(p);
  }
}

static void global_pool(void **state) {
  (void)state;
  static run_ctx r;
  /* Before init: a serial pool. */
  jet_pool *g = jet_pool_global();
  assert_non_null(g);
  assert_int_equal(jet_pool_size(g), 1);
  reset(&r, 1, 0);
  jet_pool_run(g, 10, task, &r);
  check_once(&r, 10);

  assert_null(jet_pool_global_init(3));
  assert_int_equal(jet_pool_size(jet_pool_global()), 3);
  jet_status st = jet_pool_global_init(2);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_FAILED_PRECONDITION);
  jet_status_free(st);
  reset(&r, 3, 100);
  jet_pool_run(jet_pool_global(), 100, task, &r);
  check_once(&r, 100);
  jet_pool_global_shutdown();
  assert_int_equal(jet_pool_size(jet_pool_global()), 1);

  /* 0 = number of online CPUs. */
  assert_null(jet_pool_global_init(0));
  long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
  assert_int_equal(jet_pool_size(jet_pool_global()), ncpu > 0 ? (uint32_t)ncpu : 1);
  jet_pool_global_shutdown();
  jet_pool_global_shutdown(); /* twice is harmless */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(every_task_once),     cmocka_unit_test(zero_tasks_and_size_one),
      cmocka_unit_test(runs_in_parallel),    cmocka_unit_test(concurrent_callers),
      cmocka_unit_test(create_destroy_loops), cmocka_unit_test(global_pool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
