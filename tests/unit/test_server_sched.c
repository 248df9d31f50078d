/* The fair scheduler of Executes (server/wire/sched.c) with synthetic
 * jobs: round-robin order across tenants, FIFO within one, at most
 * max_running at once, the tenant-executions limit, and deadline /
 * cancellation while queued. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "wire/sched.h"

typedef struct rec {
  char order[256][16]; /* names of the jobs run, in order */
  int n_run;
  char dropped[64][16];
  jet_code drop_code[64];
  int n_drop;
} rec;

typedef struct job {
  jet_sched_job j;
  char name[16];
  rec *r;
  atomic_int cancelled;
} job;

static void on_run(jet_sched_job *sj) {
  job *x = sj->arg;
  snprintf(x->r->order[x->r->n_run++], 16, "%s", x->name);
}

static void on_drop(jet_sched_job *sj, jet_status st) {
  job *x = sj->arg;
  rec *r = x->r;
  snprintf(r->dropped[r->n_drop], 16, "%s", x->name);
  r->drop_code[r->n_drop++] = jet_status_code(st);
  jet_status_free(st);
}

static job *mk(rec *r, const char *tenant, const char *name, int64_t deadline) {
  job *x = calloc(1, sizeof(*x));
  snprintf(x->name, sizeof(x->name), "%s", name);
  x->r = r;
  atomic_init(&x->cancelled, 0);
  x->j = (jet_sched_job){.tenant = tenant, .deadline_ns = deadline, .cancelled = &x->cancelled,
                         .run = on_run, .drop = on_drop, .arg = x};
  return x;
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static job *find_run(job **all, int n, const char *name) {
  for (int i = 0; i < n; i++)
    if (strcmp(all[i]->name, name) == 0) return all[i];
  fail_msg("no job %s", name);
  return NULL;
}

static void test_round_robin(void **state) {
  (void)state;
  rec r = {0};
  jet_sched *s = jet_sched_create(1);
  job *all[64];
  int n = 0;
  /* A floods 20 jobs first; B and C queue one/two after it. */
  char name[16];
  for (int i = 0; i < 20; i++) {
    snprintf(name, sizeof(name), "A%d", i);
    all[n] = mk(&r, "A", name, 0);
    assert_null(jet_sched_submit(s, &all[n++]->j, 0));
  }
  all[n] = mk(&r, "B", "B0", 0);
  assert_null(jet_sched_submit(s, &all[n++]->j, 0));
  all[n] = mk(&r, "C", "C0", 0);
  assert_null(jet_sched_submit(s, &all[n++]->j, 0));
  all[n] = mk(&r, "C", "C1", 0);
  assert_null(jet_sched_submit(s, &all[n++]->j, 0));
  assert_int_equal(jet_sched_running(s), 1);
  assert_int_equal(jet_sched_queued(s), 22);
  assert_int_equal(jet_sched_tenant_jobs(s, "A"), 20);
  /* finish whatever runs, one at a time */
  while (jet_sched_running(s)) {
    job *cur = find_run(all, n, r.order[r.n_run - 1]);
    jet_sched_done(s, &cur->j);
  }
  assert_int_equal(r.n_run, 23);
  /* A0 ran at once; then the turns go round: B and C are not behind A's 19 */
  const char *want[] = {"A0", "C0", "B0", "A1", "C1", "A2", "A3"};
  for (int i = 0; i < 7; i++) assert_string_equal(r.order[i], want[i]);
  /* FIFO within a tenant */
  for (int i = 7; i < 23; i++) {
    snprintf(name, sizeof(name), "A%d", i - 3);
    assert_string_equal(r.order[i], name);
  }
  jet_sched_destroy(s);
  for (int i = 0; i < n; i++) free(all[i]);
}

static void test_max_running_and_limit(void **state) {
  (void)state;
  rec r = {0};
  jet_sched *s = jet_sched_create(2);
  job *a[4];
  for (int i = 0; i < 3; i++) {
    char nm[16];
    snprintf(nm, sizeof(nm), "A%d", i);
    a[i] = mk(&r, "A", nm, 0);
    assert_null(jet_sched_submit(s, &a[i]->j, 3));
  }
  assert_int_equal(jet_sched_running(s), 2);
  assert_int_equal(jet_sched_queued(s), 1);
  a[3] = mk(&r, "A", "A3", 0);
  jet_status st = jet_sched_submit(s, &a[3]->j, 3);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_RESOURCE_EXHAUSTED);
  assert_non_null(strstr(jet_status_message(st),
                         "tenant 'A': tenant-executions 3 exceeded: 3 running or queued"));
  jet_status_free(st);
  /* another tenant is not limited by A's count */
  job *b = mk(&r, "B", "B0", 0);
  assert_null(jet_sched_submit(s, &b->j, 1));
  jet_sched_done(s, &a[0]->j); /* frees a slot: B's turn comes before A2 */
  assert_string_equal(r.order[2], "B0");
  assert_null(jet_sched_submit(s, &a[3]->j, 3)); /* A has 3 - 1 now */
  jet_sched_done(s, &a[1]->j);
  jet_sched_done(s, &b->j);
  jet_sched_done(s, &a[2]->j);
  jet_sched_done(s, &a[3]->j);
  assert_int_equal(r.n_run, 5);
  assert_int_equal(jet_sched_running(s), 0);
  assert_int_equal(jet_sched_tenant_jobs(s, "A"), 0);
  jet_sched_destroy(s);
  for (int i = 0; i < 4; i++) free(a[i]);
  free(b);
}

/* With one reserved slot of 3, A (flooding) runs at most 2 jobs, and B,
 * arriving later with nothing running, starts at once in the third; once
 * B finishes, A may not take the reserved slot either. */
static void test_reserved_slot(void **state) {
  (void)state;
  rec r = {0};
  jet_sched *s = jet_sched_create(3);
  jet_sched_set_reserve(s, 1);
  job *a[6];
  for (int i = 0; i < 6; i++) {
    char nm[16];
    snprintf(nm, sizeof(nm), "A%d", i);
    a[i] = mk(&r, "A", nm, 0);
    assert_null(jet_sched_submit(s, &a[i]->j, 0));
  }
  assert_int_equal(jet_sched_running(s), 2);
  job *b = mk(&r, "B", "B0", 0);
  assert_null(jet_sched_submit(s, &b->j, 0));
  assert_int_equal(jet_sched_running(s), 3);
  assert_string_equal(r.order[2], "B0");
  jet_sched_done(s, &b->j);
  assert_int_equal(jet_sched_running(s), 2); /* A does not take the free slot */
  jet_sched_done(s, &a[0]->j);
  assert_int_equal(jet_sched_running(s), 2);
  assert_string_equal(r.order[3], "A2");
  for (int i = 1; i < 6; i++) jet_sched_done(s, &a[i]->j);
  assert_int_equal(r.n_run, 7);
  assert_int_equal(jet_sched_running(s), 0);
  jet_sched_destroy(s);
  for (int i = 0; i < 6; i++) free(a[i]);
  free(b);
}

static void test_deadline_and_cancel_while_queued(void **state) {
  (void)state;
  rec r = {0};
  jet_sched *s = jet_sched_create(1);
  job *busy = mk(&r, "A", "busy", 0);
  assert_null(jet_sched_submit(s, &busy->j, 0));
  int64_t t0 = now_ns();
  job *late = mk(&r, "B", "late", t0 + 1000000); /* 1 ms */
  job *gone = mk(&r, "C", "gone", 0);
  job *ok = mk(&r, "C", "ok", 0);
  assert_null(jet_sched_submit(s, &late->j, 0));
  assert_null(jet_sched_submit(s, &gone->j, 0));
  assert_null(jet_sched_submit(s, &ok->j, 0));
  atomic_store(&gone->cancelled, 1);
  /* the sweep answers both without running them, while busy still runs */
  jet_sched_expire(s, t0 + 2000000);
  assert_int_equal(r.n_drop, 2);
  const int li = strcmp(r.dropped[0], "late") == 0 ? 0 : 1; /* order across tenants: any */
  assert_string_equal(r.dropped[li], "late");
  assert_int_equal(r.drop_code[li], JET_DEADLINE_EXCEEDED);
  assert_string_equal(r.dropped[1 - li], "gone");
  assert_int_equal(r.drop_code[1 - li], JET_CANCELLED);
  assert_int_equal(jet_sched_queued(s), 1);
  assert_int_equal(jet_sched_tenant_jobs(s, "B"), 0);
  /* a job cancelled without a sweep is dropped when its turn comes */
  job *later = mk(&r, "D", "later", 0);
  assert_null(jet_sched_submit(s, &later->j, 0));
  atomic_store(&later->cancelled, 1);
  jet_sched_done(s, &busy->j);
  assert_int_equal(r.n_run, 2);
  assert_string_equal(r.order[1], "ok");
  jet_sched_done(s, &ok->j);
  assert_int_equal(r.n_drop, 3);
  assert_string_equal(r.dropped[2], "later");
  assert_int_equal(jet_sched_running(s) + jet_sched_queued(s), 0);
  /* destroy answers whatever is still queued */
  job *x = mk(&r, "A", "x", 0), *y = mk(&r, "A", "y", 0);
  assert_null(jet_sched_submit(s, &x->j, 0));
  assert_null(jet_sched_submit(s, &y->j, 0));
  jet_sched_destroy(s);
  assert_int_equal(r.n_drop, 4);
  assert_string_equal(r.dropped[3], "y");
  free(busy), free(late), free(gone), free(ok), free(later), free(x), free(y);
}

/* A run callback that finishes at once (as a failed pool submit does)
 * must not recurse without bound or lose jobs. */
static jet_sched *g_sched;
static void run_and_finish(jet_sched_job *sj) {
  on_run(sj);
  jet_sched_done(g_sched, sj);
}

static void test_reentrant_done(void **state) {
  (void)state;
  rec r = {0};
  g_sched = jet_sched_create(1);
  job *j[100];
  for (int i = 0; i < 100; i++) {
    j[i] = mk(&r, i % 2 ? "A" : "B", "j", 0);
    j[i]->j.run = run_and_finish;
    assert_null(jet_sched_submit(g_sched, &j[i]->j, 0));
  }
  assert_int_equal(r.n_run, 100);
  assert_int_equal(jet_sched_running(g_sched), 0);
  jet_sched_destroy(g_sched);
  for (int i = 0; i < 100; i++) free(j[i]);
}

/* Per device: A's jobs for device 0 queue FIFO, but its job for device 1
 * (and B's) take turns with them instead of waiting behind all of them;
 * queued counts per device add up over tenants. */
static void test_device_queues(void **state) {
  (void)state;
  rec r = {0};
  jet_sched *s = jet_sched_create(1);
  job *all[16];
  int n = 0;
  char name[16];
  for (int i = 0; i < 6; i++) {
    snprintf(name, sizeof(name), "A%d", i);
    all[n] = mk(&r, "A", name, 0);
    assert_null(jet_sched_submit(s, &all[n++]->j, 0));
  }
  all[n] = mk(&r, "A", "A-d1", 0);
  all[n]->j.device = 1;
  assert_null(jet_sched_submit(s, &all[n++]->j, 0));
  all[n] = mk(&r, "A", "A-d1b", 0);
  all[n]->j.device = 1;
  assert_null(jet_sched_submit(s, &all[n++]->j, 0));
  all[n] = mk(&r, "B", "B-d1", 0);
  all[n]->j.device = 1;
  assert_null(jet_sched_submit(s, &all[n++]->j, 0));
  uint32_t q[3] = {0, 0, 0};
  jet_sched_queued_by_device(s, q, 3);
  assert_int_equal(q[0], 5); /* A0 runs */
  assert_int_equal(q[1], 3);
  assert_int_equal(q[2], 0);
  uint32_t q1[1] = {7};
  jet_sched_queued_by_device(s, q1, 1); /* adds; devices past n are left out */
  assert_int_equal(q1[0], 12);
  while (jet_sched_running(s)) {
    job *cur = find_run(all, n, r.order[r.n_run - 1]);
    jet_sched_done(s, &cur->j);
  }
  assert_int_equal(r.n_run, 9);
  /* Tenants take turns (B, then A), and A's turns go round its devices. */
  const char *want[] = {"A0", "B-d1", "A-d1", "A1", "A-d1b", "A2", "A3", "A4", "A5"};
  for (int i = 0; i < 9; i++)
    if (strcmp(r.order[i], want[i]))
      fail_msg("run %d: %s, expected %s", i, r.order[i], want[i]);
  jet_sched_destroy(s);
  for (int i = 0; i < n; i++) free(all[i]);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_robin),
      cmocka_unit_test(test_max_running_and_limit),
      cmocka_unit_test(test_reserved_slot),
      cmocka_unit_test(test_deadline_and_cancel_while_queued),
      cmocka_unit_test(test_reentrant_done),
      cmocka_unit_test(test_device_queues),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
