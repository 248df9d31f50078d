/* Execute calls through the fair scheduler (wire/sched.h): each call is
 * queued for its tenant and device (the hint of wire/exec_peek.h), runs on
 * the worker threads when its turn comes, and a call that closes while
 * queued (cancel, deadline) is answered at once without running. */
#include <stdlib.h>

#include "runtime/tenants.h"
#include "wire/call.h"
#include "wire/exec_peek.h"
#include "wire/sched.h"

typedef struct sched_call {
  jet_work work; /* first member */
  jet_sched_job job;
  jet_call *c;
} sched_call;

static void sc_state_free(jet_call *c) {
  free(c->state);
  c->state = NULL;
}

static void sc_work(jet_work *w) {
  sched_call *sc = (sched_call *)w;
  jet__unary_run(sc->c);
}

static void sc_after(jet_work *w) {
  sched_call *sc = (sched_call *)w;
  jet_call *c = sc->c;
  atomic_fetch_sub(&c->ctx->in_flight, 1);
  jet__unary_after(c);
  jet_sched_done(c->w->sched, &sc->job);
  jet__call_unref(c);
}

static void sc_run(jet_sched_job *j) {
  sched_call *sc = j->arg;
  jet_call *c = sc->c;
  sc->work.run = sc_work;
  sc->work.after = sc_after;
  jet_workers_submit(c->w->workers, &sc->work);
}

static void sc_drop(jet_sched_job *j, jet_status st) {
  sched_call *sc = j->arg;
  jet_call *c = sc->c;
  atomic_fetch_sub(&c->ctx->in_flight, 1);
  jet__call_finish(c, st, NULL);
  jet__call_unref(c);
}

/* The call closed (done, cancelled, or its deadline passed): sweep the
 * queues so a cancelled queued call is answered and freed at once. */
static void sc_on_close(jet_call *c) {
  if (c->w->sched) jet_sched_expire(c->w->sched, jet_now_ns());
}

void jet__sched_execute(jet_call *c) {
  jet_wire *w = c->w;
  if (!w->sched) {
    uint32_t n = c->ctx->cfg.workers;
    w->sched = jet_sched_create(n ? n : jet_config_online_cpus());
    /* Several tenants (a tokens file): one worker slot is kept for tenants
     * with nothing running, so a tenant flooding the queue cannot make
     * another's call wait for one of its jobs to finish. One tenant gets
     * every slot. */
    if (w->sched && w->auth) jet_sched_set_reserve(w->sched, 1);
  }
  sched_call *sc = w->sched && !c->state ? calloc(1, sizeof(*sc)) : NULL;
  if (!sc) {
    jet__call_finish(c, jet_status_oom("Execute scheduling"), NULL);
    return;
  }
  jet_tenant *acct = jet_tenants_get(c->ctx->tenants, c->tenant);
  sc->c = c;
  sc->job = (jet_sched_job){.tenant = c->tenant,
                            .device = jet__execute_device_hint(c),
                            .deadline_ns = jet__call_deadline_ns(c),
                            .cancelled = &c->cancelled,
                            .run = sc_run,
                            .drop = sc_drop,
                            .arg = sc};
  c->state = sc;
  c->state_free = sc_state_free;
  if (!c->on_close) c->on_close = sc_on_close;
  jet__call_ref(c);
  atomic_fetch_add(&c->ctx->in_flight, 1);
  jet_status st = jet_sched_submit(w->sched, &sc->job, jet_tenant_get_limits(acct).executions);
  if (st) {
    atomic_fetch_sub(&c->ctx->in_flight, 1);
    jet__call_finish(c, st, NULL);
    jet__call_unref(c);
  }
}

void jet__sched_free(jet_wire *w) {
  jet_sched_destroy(w->sched);
  w->sched = NULL;
}
