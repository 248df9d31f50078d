#include "daemon/daemon.h"

#include <grpc/grpc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#include "daemon/log.h"
#include "wire/wire.h"

typedef struct jetd_state {
  uv_loop_t loop;
  uv_signal_t sigterm, sigint;
  jet_wire *wire;
  int signals;
  uv_timer_t grace; /* started by the first signal when shutdown-grace-ms > 0 */
  uint64_t grace_ms;
} jetd_state;

static void on_grace(uv_timer_t *t) {
  jetd_state *d = t->data;
  jet_log(JET_LOG_WARN, 0, "shutdown grace of %llu ms over", (unsigned long long)d->grace_ms);
  jet_wire_shutdown(d->wire, true);
}

static void on_signal(uv_signal_t *h, int signum) {
  jetd_state *d = h->data;
  d->signals++;
  jet_log(JET_LOG_INFO, 0, "received %s", signum == SIGTERM ? "SIGTERM" : "SIGINT");
  jet_wire_shutdown(d->wire, d->signals > 1);
  if (d->signals == 1 && d->grace_ms > 0) uv_timer_start(&d->grace, on_grace, d->grace_ms, 0);
}

static void on_stopped(void *arg) {
  jetd_state *d = arg;
  uv_close((uv_handle_t *)&d->sigterm, NULL);
  uv_close((uv_handle_t *)&d->sigint, NULL);
  uv_close((uv_handle_t *)&d->grace, NULL);
}

int jet_daemon_run(const jet_config *cfg) {
  jet_ctx ctx;
  jet_status st = jet_ctx_init(&ctx, cfg);
  if (st) {
    jet_log(JET_LOG_ERROR, 0, "%s", jet_status_message(st));
    jet_status_free(st);
    return 1;
  }
  jetd_state d = {0};
  uv_loop_init(&d.loop);
  grpc_init();
  char addr[600];
  st = jet_wire_start(&d.loop, &ctx, on_stopped, &d, &d.wire, addr, sizeof(addr));
  int rc = 0;
  if (st) {
    jet_log(JET_LOG_ERROR, 0, "%s", jet_status_message(st));
    jet_status_free(st);
    rc = 1;
    goto done; /* nothing was started */
  }
  uv_timer_init(&d.loop, &d.grace);
  d.grace.data = &d;
  d.grace_ms = cfg->shutdown_grace_ms;
  uv_signal_init(&d.loop, &d.sigterm);
  uv_signal_init(&d.loop, &d.sigint);
  d.sigterm.data = d.sigint.data = &d;
  uv_signal_start(&d.sigterm, on_signal, SIGTERM);
  uv_signal_start(&d.sigint, on_signal, SIGINT);
  printf("jetd listening on %s\n", addr);
  fflush(stdout);
  jet_log(JET_LOG_INFO, 0, "jetd %s serving on %s: %u device%s, memory limit %llu, %u workers",
          JET_VERSION, addr, cfg->devices, cfg->devices == 1 ? "" : "s",
          (unsigned long long)cfg->memory_limit, cfg->workers);
  uv_run(&d.loop, UV_RUN_DEFAULT);
  jet_wire_destroy(d.wire);
done:
  uv_run(&d.loop, UV_RUN_DEFAULT);
  if (uv_loop_close(&d.loop) != 0) jet_log(JET_LOG_WARN, 0, "event loop still had handles");
  grpc_shutdown_blocking();
  jet_ctx_destroy(&ctx);
  if (rc == 0) jet_log(JET_LOG_INFO, 0, "jetd stopped");
  return rc;
}
