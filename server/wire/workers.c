/* jetd's worker threads (contract in workers.h). */
#include "wire/workers.h"

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

struct jet_workers {
  pthread_mutex_t mu; /* guards head, tail, stop */
  pthread_cond_t cv;
  jet_work *head, *tail;
  bool stop;
  uint32_t n;
  pthread_t *threads;
  jet_handoff *done; /* finished jobs -> loop thread */
};

static void *worker_main(void *arg) {
  jet_workers *ws = arg;
  pthread_setname_np(pthread_self(), "jetd-exec");
  pthread_mutex_lock(&ws->mu);
  for (;;) {
    while (!ws->head && !ws->stop) pthread_cond_wait(&ws->cv, &ws->mu);
    jet_work *w = ws->head;
    if (!w) break; /* stopping, nothing left */
    ws->head = w->qnext;
    if (!ws->head) ws->tail = NULL;
    pthread_mutex_unlock(&ws->mu);
    w->run(w);
    jet_handoff_post(ws->done, &w->link);
    pthread_mutex_lock(&ws->mu);
  }
  pthread_mutex_unlock(&ws->mu);
  return NULL;
}

static void on_done(jet_handoff_item *items, void *arg) {
  (void)arg;
  while (items) {
    jet_handoff_item *next = items->next;
    jet_work *w = (jet_work *)items; /* link is the first member */
    w->after(w);
    items = next;
  }
}

/* Joins the first `started` threads (after telling them to stop) and frees
 * what jet_workers_start made but the hand-off. */
static void join_and_free(jet_workers *ws, uint32_t started) {
  pthread_mutex_lock(&ws->mu);
  ws->stop = true;
  pthread_cond_broadcast(&ws->cv);
  pthread_mutex_unlock(&ws->mu);
  for (uint32_t i = 0; i < started; i++) pthread_join(ws->threads[i], NULL);
  pthread_cond_destroy(&ws->cv);
  pthread_mutex_destroy(&ws->mu);
  free(ws->threads);
}

static void free_workers(void *ws) { free(ws); }

jet_status jet_workers_start(uv_loop_t *loop, uint32_t n, jet_workers **out) {
  *out = NULL;
  if (n == 0) n = 1;
  jet_workers *ws = calloc(1, sizeof(*ws));
  if (!ws) return jet_status_oom("worker threads");
  ws->threads = calloc(n, sizeof(pthread_t));
  if (!ws->threads || pthread_mutex_init(&ws->mu, NULL) != 0) {
    free(ws->threads);
    free(ws);
    return jet_status_oom("worker threads");
  }
  if (pthread_cond_init(&ws->cv, NULL) != 0) {
    pthread_mutex_destroy(&ws->mu);
    free(ws->threads);
    free(ws);
    return jet_status_oom("worker threads");
  }
  jet_status st = jet_handoff_open(loop, on_done, ws, &ws->done);
  if (st) {
    join_and_free(ws, 0);
    free(ws);
    return st;
  }
  /* Signals go to the loop thread (uv_signal), never to a worker. */
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  uint32_t started = 0;
  int rc = 0;
  for (; started < n; started++) {
    rc = pthread_create(&ws->threads[started], NULL, worker_main, ws);
    if (rc) break;
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (rc) {
    join_and_free(ws, started);
    jet_handoff_close(ws->done, free_workers, ws);
    return jet_status_make(JET_RESOURCE_EXHAUSTED, "worker threads: starting thread %u of %u: %s",
                           started + 1, n, strerror(rc));
  }
  ws->n = n;
  *out = ws;
  return NULL;
}

void jet_workers_submit(jet_workers *ws, jet_work *w) {
  w->qnext = NULL;
  pthread_mutex_lock(&ws->mu);
  if (ws->tail) ws->tail->qnext = w;
  else ws->head = w;
  ws->tail = w;
  pthread_cond_signal(&ws->cv);
  pthread_mutex_unlock(&ws->mu);
}

void jet_workers_stop(jet_workers *ws) {
  if (!ws) return;
  join_and_free(ws, ws->n);
  /* Completions posted before the join are drained by the close. */
  jet_handoff_close(ws->done, free_workers, ws);
}
