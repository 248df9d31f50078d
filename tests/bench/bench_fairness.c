/* Fairness of Execute scheduling across tenants (issue 9 point 2): tenant
 * A keeps FLOOD long-ish Executes queued (a while loop of N iterations)
 * while tenant B runs TRIES small Executes one after another; B's latency
 * (p50, p99) is printed next to B alone and the ratio (the target:
 * p99 under the flood < 2x alone). Starts its own jetd (tokens file with
 * tenants A and B, --workers W). A's clients run in a child process of
 * their own (as another user's program would), so B's figures are not
 * those of a client process shared with 200 busy threads.
 *
 * B_N > 0: B's calls run the same loop with B_N iterations instead of one
 * add (a B job of its own size: with sub-millisecond B jobs the p99 measures
 * the machine's jitter under A's load as much as the scheduling).
 *
 * YIELD_US: jetd's exec-yield-us (runtime/yield.h; default: jetd's own,
 * 100); 0 shows the tail without yield points.
 *
 *   bench_fairness [FLOOD=200] [TRIES=50] [N=20000] [WORKERS=2] [B_N=0] [YIELD_US] */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench_util.h"
#include "daemon_harness.h"
#include "loop_graphs.h"
#include "jet/jet.h"
#include "jet/text.h"

static const float kX4[4] = {1, 2, 3, 4};
static int32_t g_n = 20000, g_bn = 0;

static jet_status compile_text(jet_client *c, const char *text, jet_executable **e) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(text, strlen(text), &g);
  if (!st) st = jet_compile_graph(c, g, NULL, 0, e);
  jet_graph_destroy(g);
  return st;
}

static jet_status run_count(jet_executable *e) {
  jet_type ti = jet_type_scalar(JET_I32);
  jet_type t4 = jet_type_make(JET_F32, 1, (int64_t[]){4});
  jet_arg a[2] = {jet_arg_inline(&ti, &g_n), jet_arg_inline(&t4, kX4)};
  jet_result r[2] = {{0}};
  jet_status st = jet_execute(e, a, 2, r, 2);
  jet_results_clear(r, 2);
  return st;
}

static void *flood(void *arg) {
  for (;;) {
    jet_status st = run_count(arg);
    if (st) {
      jet_status_free(st);
      break;
    }
  }
  return NULL;
}

/* The child: waits for the go byte on fd, then floods with n threads on
 * one client of tenant A until killed. */
static void flood_child(const char *address, int fd, int n) {
  char go;
  if (read(fd, &go, 1) != 1) _exit(1);
  jet_client_options oa = {.address = address, .token = "bench-token-a"};
  jet_client *a = NULL;
  jet_executable *count = NULL;
  jet_status st = jet_client_open(&oa, &a);
  if (!st) st = compile_text(a, kCount, &count);
  if (st) _exit(bench_fail("bench_fairness", st, "A's client"));
  pthread_t th;
  for (int i = 0; i < n; i++)
    if (pthread_create(&th, NULL, flood, count) != 0) _exit(1);
  for (;;) pause();
}

/* B's latencies in ms: t[0..tries) sorted; prints p50/p99. */
static int measure(jet_executable *e, int tries, double *t, const char *what) {
  jet_type t4 = jet_type_make(JET_F32, 1, (int64_t[]){4}), ti = jet_type_scalar(JET_I32);
  jet_arg a[2] = {jet_arg_inline(&t4, kX4)};
  size_t na = 1;
  if (g_bn) {
    a[0] = jet_arg_inline(&ti, &g_bn);
    a[1] = jet_arg_inline(&t4, kX4);
    na = 2;
  }
  const size_t no = jet_executable_num_outputs(e); /* count: 2, quick: 1 */
  for (int i = 0; i < tries; i++) {
    jet_result r[2] = {{0}};
    double t0 = bench_now_s();
    jet_status st = jet_execute(e, a, na, r, no);
    t[i] = (bench_now_s() - t0) * 1e3;
    jet_results_clear(r, no);
    if (st) return bench_fail("bench_fairness", st, what);
  }
  qsort(t, (size_t)tries, sizeof *t, bench_cmp_double);
  return 0;
}

static double p99(const double *t, int n) { return t[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]; }

static int write_tokens(const char *path) {
  FILE *f = fopen(path, "w");
  if (!f) return -1;
  const char *pairs[] = {"A", "bench-token-a", "B", "bench-token-b", NULL};
  for (const char **p = pairs; p[0]; p += 2) {
    char cmd[256], hex[128] = "";
    snprintf(cmd, sizeof cmd, "printf %%s '%s' | sha256sum", p[1]);
    FILE *h = popen(cmd, "r");
    if (!h || !fgets(hex, sizeof hex, h)) return -1;
    pclose(h);
    hex[64] = '\0';
    fprintf(f, "%s sha256:%s\n", p[0], hex);
  }
  return fclose(f);
}

int main(int argc, char **argv) {
  int flood_n = argc > 1 ? atoi(argv[1]) : 200, tries = argc > 2 ? atoi(argv[2]) : 50;
  if (argc > 3) g_n = atoi(argv[3]);
  const char *workers = argc > 4 ? argv[4] : "2";
  if (argc > 5) g_bn = atoi(argv[5]);
  const char *yield_us = argc > 6 ? argv[6] : NULL;
  if (flood_n < 1 || tries < 1 || tries > 10000 || g_n < 1 || g_bn < 0) {
    fprintf(stderr, "usage: bench_fairness [FLOOD] [TRIES] [N] [WORKERS] [B_N] [YIELD_US]\n");
    return 2;
  }
  char dir[] = "/tmp/jet-fairness-XXXXXX", tokens[64];
  if (!mkdtemp(dir)) return 1;
  snprintf(tokens, sizeof tokens, "%s/tokens", dir);
  if (write_tokens(tokens) != 0) return 1;
  const char *args[] = {"--tokens-file", tokens, "--workers", workers, "--devices", "1",
                        yield_us ? "--exec-yield-us" : NULL, yield_us, NULL};
  jet_test_daemon *d;
  if (jet_test_daemon_start(args, &d) != 0) return 1;
  /* The flood's process is forked before this process starts gRPC. */
  int go[2];
  if (pipe(go) != 0) return 1;
  pid_t child = fork();
  if (child < 0) return 1;
  if (child == 0) {
    close(go[1]);
    flood_child(jet_test_daemon_address(d), go[0], flood_n);
  }
  close(go[0]);
  jet_client_options oa = {.address = jet_test_daemon_address(d), .token = "bench-token-a"};
  jet_client_options ob = oa;
  ob.token = "bench-token-b";
  jet_client *a = NULL, *b = NULL;
  jet_executable *count = NULL, *quick = NULL;
  jet_status st = jet_client_open(&oa, &a);
  if (!st) st = jet_client_open(&ob, &b);
  if (!st) st = compile_text(a, kCount, &count);
  if (!st) st = compile_text(b, g_bn ? kCount : kQuick, &quick);
  if (st) return bench_fail("bench_fairness", st, "setup");
  double t0 = bench_now_s();
  if ((st = run_count(count))) return bench_fail("bench_fairness", st, "A alone");
  const double job_ms = (bench_now_s() - t0) * 1e3;
  double *alone = calloc((size_t)tries, sizeof(double)), *loaded = calloc((size_t)tries, sizeof(double));
  if (!alone || !loaded) return 1;
  if (measure(quick, tries, alone, "B alone")) return 1;
  if (write(go[1], "g", 1) != 1) return 1;
  jet_stats s = {0};
  double w0 = bench_now_s();
  uint64_t in_flight = 0;
  while (bench_now_s() - w0 < 20) {
    if ((st = jet_client_stats(b, &s))) return bench_fail("bench_fairness", st, "GetStats");
    in_flight = s.in_flight;
    jet_stats_clear(&s);
    if (in_flight + 2 >= (uint64_t)flood_n) break;
    usleep(10000);
  }
  int rc = measure(quick, tries, loaded, "B under the flood");
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  close(go[1]);
  if (rc) return rc;
  printf("bench_fairness: workers %s, exec-yield-us %s, tenant A: %d flooding clients (%llu "
         "Executes in flight at the start), one A job %.2f ms alone\n",
         workers, yield_us ? yield_us : "default", flood_n, (unsigned long long)in_flight, job_ms);
  if (g_bn) printf("  B's calls: the same loop, %d iterations\n", (int)g_bn);
  printf("  B alone        p50 %8.2f ms  p99 %8.2f ms\n", alone[tries / 2], p99(alone, tries));
  printf("  B under flood  p50 %8.2f ms  p99 %8.2f ms\n", loaded[tries / 2], p99(loaded, tries));
  printf("  p99 ratio %.1fx (issue target < 2x); FIFO would queue B behind ~%.0f ms of A\n",
         p99(loaded, tries) / p99(alone, tries), job_ms * (double)in_flight / atof(workers));
  jet_client_close(a);
  jet_client_close(b);
  free(alone);
  free(loaded);
  int stop = jet_test_daemon_stop(d);
  char cmd[96];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  if (system(cmd) != 0) fprintf(stderr, "bench_fairness: could not remove %s\n", dir);
  return stop == 0 ? 0 : 1;
}
