/* Fair scheduling of Executes (contract in sched.h): per tenant, one FIFO
 * queue per device; tenants served round-robin, and a tenant's devices
 * round-robin in turn; at most max_running at once. */
#include "wire/sched.h"

#include <stdlib.h>
#include <string.h>

#include "wire/context.h"

/* One tenant's queued jobs for one device, oldest first. */
typedef struct sched_queue {
  struct sched_queue *next; /* the tenant's queues */
  uint32_t device, queued;
  jet_sched_job *head, *tail;
} sched_queue;

typedef struct sched_tenant {
  struct sched_tenant *next;
  char *name;
  uint32_t queued, running; /* over all devices */
  sched_queue *queues;      /* every device the tenant has used (few) */
  sched_queue *cursor;      /* the queue served last: the next turn starts after it */
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

static sched_queue *find_queue(sched_tenant *t, uint32_t device) {
  for (sched_queue *q = t->queues; q; q = q->next)
    if (q->device == device) return q;
  sched_queue *q = calloc(1, sizeof(*q));
  if (!q) return NULL;
  q->device = device;
  q->next = t->queues;
  t->queues = q;
  return q;
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
static sched_tenant *next_tenant(jet_sched *s) {
  sched_tenant *start = s->cursor && s->cursor->next ? s->cursor->next : s->tenants;
  sched_tenant *t = start;
  do {
    if (may_start(s, t)) return t;
    t = t->next ? t->next : s->tenants;
  } while (t != start);
  return NULL;
}

/* t's next device queue with a job, after its cursor (wrapping). */
static sched_queue *next_queue(sched_tenant *t) {
  sched_queue *start = t->cursor && t->cursor->next ? t->cursor->next : t->queues;
  sched_queue *q = start;
  do {
    if (q->head) return q;
    q = q->next ? q->next : t->queues;
  } while (q != start);
  return NULL; /* not reached while t->queued > 0 */
}

static void pump(jet_sched *s) {
  if (s->pumping) return; /* a run/drop callback re-entered: the outer loop goes on */
  s->pumping = true;
  while (s->running < s->max_running && s->queued) {
    sched_tenant *t = next_tenant(s);
    sched_queue *q = t ? next_queue(t) : NULL;
    if (!q) break;
    s->cursor = t;
    t->cursor = q;
    jet_sched_job *j = q->head;
    q->head = j->next;
    if (!q->head) q->tail = NULL;
    j->next = NULL;
    q->queued--;
    t->queued--;
    s->queued--;
    jet_status why = unfit(j, jet_now_ns());
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
  sched_queue *q = find_queue(t, j->device);
  if (!q) return jet_status_oom("scheduler queue");
  j->next = NULL;
  j->owner = t;
  j->running = false;
  if (q->tail) q->tail->next = j; else q->head = j;
  q->tail = j;
  q->queued++;
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
    for (sched_queue *q = t->queues; q; q = q->next) {
      jet_sched_job *keep = NULL, *last = NULL;
      for (jet_sched_job *j = q->head, *n; j; j = n) {
        n = j->next;
        j->next = NULL;
        jet_status why = unfit(j, now_ns);
        if (why) {
          jet_status_free(why);
          *dead_tail = j;
          dead_tail = &j->next;
          q->queued--;
          t->queued--;
          s->queued--;
        } else {
          if (last) last->next = j; else keep = j;
          last = j;
        }
      }
      q->head = keep;
      q->tail = last;
    }
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
    for (sched_queue *q = t->queues, *qn; q; q = qn) {
      qn = q->next;
      for (jet_sched_job *j = q->head, *jn; j; j = jn) {
        jn = j->next;
        j->next = NULL;
        j->owner = NULL;
        j->drop(j, jet_status_make(JET_CANCELLED, "the server is shutting down"));
      }
      free(q);
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

void jet_sched_queued_by_device(const jet_sched *s, uint32_t *counts, uint32_t n_devices) {
  for (const sched_tenant *t = s->tenants; t; t = t->next)
    for (const sched_queue *q = t->queues; q; q = q->next)
      if (q->device < n_devices) counts[q->device] += q->queued;
}
