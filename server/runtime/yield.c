/* Yield points of long executions (contract in yield.h). */
#include "yield.h"

#include <sched.h>
#include <stdatomic.h>
#include <time.h>

/* Most poll points between two clock reads when no deadline made the caller
 * read it (at ~0.2 µs per loop iteration: one read per ~50 µs). */
#define MAX_STRIDE 256

static _Atomic int64_t g_interval_ns;
static atomic_uint_fast64_t g_count;
static _Thread_local int64_t tl_last_yield, tl_last_read;
static _Thread_local uint32_t tl_skipped, tl_stride = 1;

void jet_yield_set_interval_us(uint32_t us) {
  atomic_store(&g_interval_ns, (int64_t)us * 1000);
}

bool jet_yield_enabled(void) {
  return atomic_load_explicit(&g_interval_ns, memory_order_relaxed) > 0;
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void jet_yield_point(int64_t now_ns) {
  const int64_t interval = atomic_load_explicit(&g_interval_ns, memory_order_relaxed);
  if (interval <= 0) return;
  if (now_ns == 0) {
    /* Read the clock every tl_stride points, the stride adapted so that
     * reads come a few times per interval: a loop of tiny iterations does
     * not pay a clock read each. */
    if (++tl_skipped < tl_stride) return;
    tl_skipped = 0;
    now_ns = mono_ns();
    const int64_t span = now_ns - tl_last_read;
    tl_last_read = now_ns;
    if (span > interval) tl_stride = 1;
    else if (span < interval / 16 && tl_stride < MAX_STRIDE) tl_stride *= 2;
  }
  if (now_ns - tl_last_yield < interval) return;
  tl_last_yield = now_ns;
  sched_yield();
  atomic_fetch_add_explicit(&g_count, 1, memory_order_relaxed);
}

uint64_t jet_yield_count(void) { return atomic_load_explicit(&g_count, memory_order_relaxed); }
