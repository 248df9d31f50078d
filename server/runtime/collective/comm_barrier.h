/* The group barrier of the local backend: generation counting, a short spin
 * (only when every member can have a core) then a futex sleep, abort and
 * cancellation. Arrivals, withdrawals and aborts take a mutex (a few
 * instructions under it); waking and leaving do not: a waiter sleeps on
 * `seq`, which changes on every completed generation and on abort, and
 * leaves as soon as it sees `gen` move.
 *
 * An *abortable* wait returns an error instead of waiting once the barrier
 * is aborted (jet__comm_barrier_abort) or the caller's ctl fires (then it
 * aborts the barrier itself); the caller's arrival is withdrawn under the
 * lock, so a generation completes only with all n members present and a
 * member that returned an error is never counted as arrived. A
 * non-abortable wait ignores abort and ctl and waits for all n members:
 * it is used once members read each other's buffers, so nobody returns
 * (and frees its input) while a peer may still read it; every member that
 * passed the previous generation reaches it after a bounded amount of work.
 */
#ifndef JET_RUNTIME_COLLECTIVE_COMM_BARRIER_H
#define JET_RUNTIME_COLLECTIVE_COMM_BARRIER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "exec.h"
#include "jet/status.h"

#define JET_COMM_ABORT_MSG_MAX 512
/* Longest sleep between two polls of a waiter's ctl. */
#define JET_COMM_POLL_NS 20000000LL

typedef struct jet_comm_barrier {
  pthread_mutex_t mu;
  uint32_t n;
  uint32_t spin;          /* spin iterations before sleeping (0 when n > cores) */
  uint32_t count;         /* arrivals in the current generation (under mu) */
  atomic_uint gen;        /* completed generations (written under mu) */
  atomic_uint seq;        /* the futex word: bumped with gen and on abort */
  atomic_int abort_code;  /* JET_OK, or the code of the first abort */
  char abort_msg[JET_COMM_ABORT_MSG_MAX]; /* written once under mu */
} jet_comm_barrier;

jet_status jet__comm_barrier_init(jet_comm_barrier *b, uint32_t n) JET_MUST_USE;
void jet__comm_barrier_destroy(jet_comm_barrier *b);

/* Waits for all n members (see above). `what` names the wait in errors. */
jet_status jet__comm_barrier_wait(jet_comm_barrier *b, bool abortable, const jet_exec_ctl *ctl,
                                  const char *what) JET_MUST_USE;

/* Sticky; the first abort wins; wakes every waiter. code != JET_OK. */
void jet__comm_barrier_abort(jet_comm_barrier *b, jet_code code, const char *msg);

#endif
