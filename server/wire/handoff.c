/* Hand-off into the libuv loop without libuv's async spin (contract in
 * handoff.h). */
#include "wire/handoff.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

struct jet_handoff {
  uv_poll_t poll;
  int fd;
  pthread_mutex_t mu; /* guards head, tail, signalled */
  jet_handoff_item *head, *tail;
  bool signalled; /* the eventfd was written since the loop last took the list */
  void (*drain)(jet_handoff_item *items, void *arg);
  void *arg;
  void (*closed)(void *arg);
  void *closed_arg;
};

/* Takes the whole list (and clears the signal) under the mutex. */
static jet_handoff_item *take(jet_handoff *h) {
  pthread_mutex_lock(&h->mu);
  jet_handoff_item *items = h->head;
  h->head = h->tail = NULL;
  h->signalled = false;
  pthread_mutex_unlock(&h->mu);
  return items;
}

static void on_readable(uv_poll_t *p, int status, int events) {
  jet_handoff *h = p->data;
  (void)status;
  (void)events;
  uint64_t n;
  /* Non-blocking: EAGAIN when a previous round already consumed it. */
  while (read(h->fd, &n, sizeof n) < 0 && errno == EINTR) {
  }
  jet_handoff_item *items = take(h);
  if (items) h->drain(items, h->arg);
}

static void on_closed(uv_handle_t *p) {
  jet_handoff *h = p->data;
  close(h->fd);
  pthread_mutex_destroy(&h->mu);
  void (*closed)(void *) = h->closed;
  void *arg = h->closed_arg;
  free(h);
  if (closed) closed(arg);
}

jet_status jet_handoff_open(uv_loop_t *loop, void (*drain)(jet_handoff_item *, void *), void *arg,
                            jet_handoff **out) {
  *out = NULL;
  jet_handoff *h = calloc(1, sizeof(*h));
  if (!h) return jet_status_oom("loop hand-off");
  h->drain = drain;
  h->arg = arg;
  h->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (h->fd < 0) {
    jet_status st = jet_status_make(JET_RESOURCE_EXHAUSTED, "loop hand-off: eventfd: %s",
                                    strerror(errno));
    free(h);
    return st;
  }
  if (pthread_mutex_init(&h->mu, NULL) != 0) {
    close(h->fd);
    free(h);
    return jet_status_make(JET_RESOURCE_EXHAUSTED, "loop hand-off: cannot make its mutex");
  }
  int r = uv_poll_init(loop, &h->poll, h->fd);
  if (r != 0) { /* nothing registered with the loop yet */
    pthread_mutex_destroy(&h->mu);
    close(h->fd);
    free(h);
    return jet_status_make(JET_INTERNAL, "loop hand-off: %s", uv_strerror(r));
  }
  h->poll.data = h;
  r = uv_poll_start(&h->poll, UV_READABLE, on_readable);
  if (r != 0) { /* an initialised handle: libuv frees it through a close */
    uv_close((uv_handle_t *)&h->poll, on_closed);
    return jet_status_make(JET_INTERNAL, "loop hand-off: %s", uv_strerror(r));
  }
  *out = h;
  return NULL;
}

void jet_handoff_post(jet_handoff *h, jet_handoff_item *item) {
  item->next = NULL;
  pthread_mutex_lock(&h->mu);
  if (h->tail) h->tail->next = item;
  else h->head = item;
  h->tail = item;
  const bool signal = !h->signalled;
  h->signalled = true;
  pthread_mutex_unlock(&h->mu);
  if (!signal) return;
  /* Outside the mutex: the woken loop finds the item published already. */
  const uint64_t one = 1;
  while (write(h->fd, &one, sizeof one) < 0 && errno == EINTR) {
  }
}

void jet_handoff_close(jet_handoff *h, void (*closed)(void *arg), void *arg) {
  jet_handoff_item *items = take(h);
  if (items) h->drain(items, h->arg);
  h->closed = closed;
  h->closed_arg = arg;
  uv_close((uv_handle_t *)&h->poll, on_closed);
}
