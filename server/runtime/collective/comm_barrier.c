/* The local backend's barrier (comm_barrier.h). */
#include "comm_barrier.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifdef __linux__
#include <linux/futex.h>
#include <sys/syscall.h>
#endif

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

/* A few microseconds of pause instructions: enough for members that arrive
 * together on their own cores, short enough that a member whose peer is
 * not running soon goes to sleep instead. */
#define SPIN_ITERS 128

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Sleeps while *word == val, at most timeout_ns (spurious returns are
 * fine: callers look again). */
static void futex_wait(atomic_uint *word, unsigned val, int64_t timeout_ns) {
#ifdef __linux__
  struct timespec ts = {(time_t)(timeout_ns / 1000000000LL), (long)(timeout_ns % 1000000000LL)};
  syscall(SYS_futex, (unsigned *)word, FUTEX_WAIT_PRIVATE, val, &ts, NULL, 0);
#else
  (void)word;
  (void)val;
  struct timespec ts = {0, timeout_ns < 100000 ? (long)timeout_ns : 100000L};
  nanosleep(&ts, NULL);
#endif
}

static void futex_wake_all(atomic_uint *word) {
#ifdef __linux__
  syscall(SYS_futex, (unsigned *)word, FUTEX_WAKE_PRIVATE, INT_MAX, NULL, NULL, 0);
#else
  (void)word;
#endif
}

/* Online CPUs, read once (sysconf reads sysfs: ~10 us a call, which would
 * be most of a small pmap call's overhead). */
static long online_cpus(void) {
  static atomic_long cached;
  long c = atomic_load_explicit(&cached, memory_order_relaxed);
  if (c == 0) {
    c = sysconf(_SC_NPROCESSORS_ONLN);
    if (c < 1) c = 1;
    atomic_store_explicit(&cached, c, memory_order_relaxed);
  }
  return c;
}

jet_status jet__comm_barrier_init(jet_comm_barrier *b, uint32_t n) {
  memset(b, 0, sizeof *b);
  b->n = n;
  long cores = online_cpus();
  /* Spinning only helps when every member can run at once. */
  b->spin = (cores > 1 && (long)n <= cores) ? SPIN_ITERS : 0;
  atomic_init(&b->gen, 0);
  atomic_init(&b->seq, 0);
  atomic_init(&b->abort_code, JET_OK);
  if (pthread_mutex_init(&b->mu, NULL) != 0) return jet_status_oom("collective barrier mutex");
  return NULL;
}

void jet__comm_barrier_destroy(jet_comm_barrier *b) { pthread_mutex_destroy(&b->mu); }

/* Under mu; returns whether this call set the abort (then wake everyone). */
static bool abort_locked(jet_comm_barrier *b, jet_code code, const char *msg) {
  if (atomic_load(&b->abort_code) != JET_OK) return false;
  snprintf(b->abort_msg, sizeof b->abort_msg, "%s", msg ? msg : "");
  atomic_store(&b->abort_code, (int)code);
  atomic_fetch_add_explicit(&b->seq, 1, memory_order_release);
  return true;
}

void jet__comm_barrier_abort(jet_comm_barrier *b, jet_code code, const char *msg) {
  if (code == JET_OK) code = JET_CANCELLED;
  pthread_mutex_lock(&b->mu);
  bool wake = abort_locked(b, code, msg);
  pthread_mutex_unlock(&b->mu);
  if (wake) futex_wake_all(&b->seq);
}

/* The abort as this member's status (under mu). */
static jet_status aborted_status(const jet_comm_barrier *b) {
  return jet_status_make((jet_code)atomic_load(&b->abort_code), "collective aborted: %s",
                         b->abort_msg);
}

/* ctl's verdict now, or NULL; *sleep_ns = how long to sleep before looking
 * again. */
static jet_status poll_ctl(const jet_exec_ctl *ctl, const char *what, int64_t *sleep_ns) {
  *sleep_ns = JET_COMM_POLL_NS;
  if (!ctl) return NULL;
  if (ctl->cancelled && atomic_load(ctl->cancelled) != 0)
    return jet_status_make(JET_CANCELLED, "cancelled while waiting in %s", what);
  if (ctl->deadline_ns > 0) {
    int64_t left = ctl->deadline_ns - now_ns();
    if (left <= 0)
      return jet_status_make(JET_DEADLINE_EXCEEDED, "deadline exceeded while waiting in %s", what);
    if (left < *sleep_ns) *sleep_ns = left;
  }
  return NULL;
}

/* Leaves an unfinished generation with `why` (this member's own reason, or
 * NULL for the group's abort): NULL when the generation completed after
 * all, which wins. */
static jet_status withdraw(jet_comm_barrier *b, unsigned my, jet_status why) {
  pthread_mutex_lock(&b->mu);
  if (atomic_load_explicit(&b->gen, memory_order_relaxed) != my) {
    pthread_mutex_unlock(&b->mu);
    jet_status_free(why);
    return NULL;
  }
  b->count--; /* this generation now needs us again */
  bool wake = false;
  if (why)
    wake = abort_locked(b, jet_status_code(why), jet_status_message(why));
  else
    why = aborted_status(b);
  pthread_mutex_unlock(&b->mu);
  if (wake) futex_wake_all(&b->seq);
  return why;
}

jet_status jet__comm_barrier_wait(jet_comm_barrier *b, bool abortable, const jet_exec_ctl *ctl,
                                  const char *what) {
  pthread_mutex_lock(&b->mu);
  if (abortable && atomic_load(&b->abort_code) != JET_OK) {
    jet_status st = aborted_status(b);
    pthread_mutex_unlock(&b->mu);
    return st;
  }
  const unsigned my = atomic_load_explicit(&b->gen, memory_order_relaxed);
  if (++b->count == b->n) {
    b->count = 0;
    atomic_store_explicit(&b->gen, my + 1, memory_order_release);
    atomic_fetch_add_explicit(&b->seq, 1, memory_order_release);
    pthread_mutex_unlock(&b->mu);
    if (b->n > 1) futex_wake_all(&b->seq);
    return NULL;
  }
  pthread_mutex_unlock(&b->mu);

  for (uint32_t i = 0; i < b->spin; i++) {
    if (atomic_load_explicit(&b->gen, memory_order_acquire) != my) return NULL;
    if (abortable && atomic_load_explicit(&b->abort_code, memory_order_relaxed) != JET_OK) break;
    CPU_RELAX();
  }
  for (;;) {
    const unsigned s = atomic_load_explicit(&b->seq, memory_order_acquire);
    if (atomic_load_explicit(&b->gen, memory_order_acquire) != my) return NULL;
    int64_t sleep_ns = JET_COMM_POLL_NS;
    if (abortable) {
      /* This member cannot go on (its ctl fired), or the group cannot. */
      jet_status mine = poll_ctl(ctl, what, &sleep_ns);
      if (mine || atomic_load(&b->abort_code) != JET_OK) {
        jet_status st = withdraw(b, my, mine);
        if (st) return st;
        return NULL;
      }
    }
    futex_wait(&b->seq, s, sleep_ns);
  }
}
