/* Fair scheduling of Executes (sched.h): per-tenant FIFO queues served
 * round-robin, at most max_running at once; and the glue that runs an
 * Execute call through it on the worker threads. */
#include "wire/sched.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "runtime/tenants.h"
#include "wire/call.h"

typedef struct sched_tenant {
  struct sched_tenant *next;
  char *name;
  jet_sched_job *head, *tail;
  uint32_t queued, running;
} sched_tenant;

struct jet_sched {
  uint32_t max_running, running, queued;
  uint32_t reserve; /* slots only a tenant with nothing running may take */
  sched_tenant *tenants; /* every tenant seen (few: bounded by the tokens file) */
  sched_tenant *cursor;  /* the tenant served last: the next turn starts after it */
  bool pumping;
};

jet_sched *jet_sched_create(uint32_t max_running) {
  jet_sched *s = calloc(1, sizeof(*s));
  if (s) s->max_running = max_running ? max_running : 1;
  return s;
}

static sched_tenant *find_tenant(jet_sched *s, const char *name, bool make) {
  for (sched_tenant *t = s->tenants; t; t = t->next)
    if (strcmp(t->name, name) == 0) return t;
  if (!make) return NULL;
  sched_tenant *t = calloc(1, sizeof(*t));
  if (!t) return NULL;
  if (!(t->name = strdup(name))) {
    free(t);
    return NULL;
  }
  t->next = s->tenants;
  s->tenants = t;
  return t;
}

/* Why a queued job must not run at now_ns (NULL = it may run). */
static jet_status unfit(const jet_sched_job *j, int64_t now_ns) {
  if (j->deadline_ns && now_ns >= j->deadline_ns)
    return jet_status_make(JET_DEADLINE_EXCEEDED,
                           "the deadline passed while the Execute was queued (not run)");
  if (j->cancelled && atomic_load(j->cancelled))
    return jet_status_make(JET_CANCELLED, "the request was cancelled while queued (not run)");
  return NULL;
}

static int64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void jet_sched_set_reserve(jet_sched *s, uint32_t reserve) {
  s->reserve = reserve < s->max_running ? reserve : s->max_running - 1;
}

/* Whether t may start a job now: it has one queued and, with reserved
 * slots, either nothing running or fewer than the unreserved slots. */
static bool may_start(const jet_sched *s, const sched_tenant *t) {
  if (!t->queued) return false;
  return !s->reserve || t->running == 0 || t->running < s->max_running - s->reserve;
}

/* The next tenant after the cursor (wrapping) that may start a job. */
static sched_tenant *next_turn(jet_sched *s) {
  sched_tenant *start = s->cursor && s->cursor->next ? s->cursor->next : s->tenants;
  sched_tenant *t = start;
  do {
    if (may_start(s, t)) return t;
    t = t->next ? t->next : s->tenants;
  } while (t != start);
  return NULL;
}

static void pump(jet_sched *s) {
  if (s->pumping) return; /* a run/drop callback re-entered: the outer loop goes on */
  s->pumping = true;
  while (s->running < s->max_running && s->queued) {
    sched_tenant *t = next_turn(s);
    if (!t) break;
    s->cursor = t;
    jet_sched_job *j = t->head;
    t->head = j->next;
    if (!t->head) t->tail = NULL;
    j->next = NULL;
    t->queued--;
    s->queued--;
    jet_status why = unfit(j, mono_ns());
    if (why) {
      j->owner = NULL;
      j->drop(j, why);
      continue;
    }
    j->running = true;
    t->running++;
    s->running++;
    j->run(j);
  }
  s->pumping = false;
}

jet_status jet_sched_submit(jet_sched *s, jet_sched_job *j, uint64_t limit) {
  const char *name = j->tenant ? j->tenant : "default";
  sched_tenant *t = find_tenant(s, name, true);
  if (!t) return jet_status_oom("scheduler tenant");
  if (limit && (uint64_t)t->queued + t->running >= limit)
    return jet_status_make(JET_RESOURCE_EXHAUSTED,
                           "tenant '%s': tenant-executions %llu exceeded: %u running or queued, 1 "
                           "more asked",
                           name, (unsigned long long)limit, t->queued + t->running);
  j->next = NULL;
  j->owner = t;
  j->running = false;
  if (t->tail) t->tail->next = j; else t->head = j;
  t->tail = j;
  t->queued++;
  s->queued++;
  pump(s);
  return NULL;
}

void jet_sched_done(jet_sched *s, jet_sched_job *j) {
  if (!j->running) return;
  j->running = false;
  j->owner->running--;
  s->running--;
  j->owner = NULL;
  pump(s);
}

void jet_sched_expire(jet_sched *s, int64_t now_ns) {
  jet_sched_job *dead = NULL, **dead_tail = &dead;
  for (sched_tenant *t = s->tenants; t; t = t->next) {
    jet_sched_job *keep = NULL, *last = NULL;
    for (jet_sched_job *j = t->head, *n; j; j = n) {
      n = j->next;
      j->next = NULL;
      jet_status why = unfit(j, now_ns);
      if (why) {
        jet_status_free(why);
        *dead_tail = j;
        dead_tail = &j->next;
        t->queued--;
        s->queued--;
      } else {
        if (last) last->next = j; else keep = j;
        last = j;
      }
    }
    t->head = keep;
    t->tail = last;
  }
  /* Answered after the queues are consistent again (a drop may re-enter). */
  for (jet_sched_job *j = dead, *n; j; j = n) {
    n = j->next;
    j->next = NULL;
    j->owner = NULL;
    jet_status why = unfit(j, now_ns);
    j->drop(j, why ? why : jet_status_make(JET_CANCELLED, "the request was cancelled"));
  }
}

void jet_sched_destroy(jet_sched *s) {
  if (!s) return;
  for (sched_tenant *t = s->tenants, *n; t; t = n) {
    n = t->next;
    for (jet_sched_job *j = t->head, *jn; j; j = jn) {
      jn = j->next;
      j->next = NULL;
      j->owner = NULL;
      j->drop(j, jet_status_make(JET_CANCELLED, "the server is shutting down"));
    }
    free(t->name);
    free(t);
  }
  free(s);
}

uint32_t jet_sched_running(const jet_sched *s) { return s->running; }
uint32_t jet_sched_queued(const jet_sched *s) { return s->queued; }
uint32_t jet_sched_tenant_jobs(const jet_sched *s, const char *tenant) {
  for (const sched_tenant *t = s->tenants; t; t = t->next)
    if (strcmp(t->name, tenant) == 0) return t->queued + t->running;
  return 0;
}

/* ---- wire glue ------------------------------------------------------------ */

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
  if (c->w->sched) jet_sched_expire(c->w->sched, mono_ns());
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
