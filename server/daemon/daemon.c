#include "daemon/daemon.h"

#include <grpc/grpc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <uv.h>

#include "daemon/log.h"
#include "daemon/notify.h"
#include "observe/http.h"
#include "observe/observe.h"
#include "wire/auth.h"
#include "wire/wire.h"

typedef struct jetd_state {
  uv_loop_t loop;
  uv_signal_t sigterm, sigint;
  uv_signal_t sighup; /* re-reads the tokens file (auth) */
  jet_auth *auth;     /* NULL = no tokens-file */
  jet_wire *wire;
  jet_http *http; /* NULL = no metrics-listen */
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
  if (d->signals == 1) /* systemd: the drain starts (no-op without NOTIFY_SOCKET) */
    jet_notifyf("STOPPING=1\nSTATUS=draining calls in flight (grace %llu ms)",
                (unsigned long long)d->grace_ms);
  jet_wire_shutdown(d->wire, d->signals > 1);
  if (d->signals == 1 && d->grace_ms > 0) uv_timer_start(&d->grace, on_grace, d->grace_ms, 0);
}

/* SIGHUP, TLS part: the certificate, key and client CA files. */
static void reload_tls(jetd_state *d) {
  bool changed;
  jet_status st = jet_wire_reload_tls(d->wire, &changed);
  if (st) {
    jet_log(JET_LOG_ERROR, 0, "SIGHUP: %s; keeping the TLS certificate in use",
            jet_status_message(st));
    jet_status_free(st);
  } else {
    jet_log(JET_LOG_INFO, 0, "SIGHUP: TLS files re-read: %s",
            changed ? "new connections get the new certificate" : "unchanged");
  }
}

/* SIGHUP: re-read the tokens file and the TLS files; bad files keep what
 * is in use. Calls in flight and open connections are not touched. */
static void on_sighup(uv_signal_t *h, int signum) {
  jetd_state *d = h->data;
  (void)signum;
  if (jet_wire_has_tls(d->wire)) reload_tls(d);
  if (!d->auth) {
    jet_log(JET_LOG_INFO, 0, "received SIGHUP: no tokens-file to re-read");
    return;
  }
  jet_status st = jet_auth_reload(d->auth);
  if (st) {
    jet_log(JET_LOG_ERROR, 0, "SIGHUP: %s; keeping the previous %u token%s",
            jet_status_message(st), jet_auth_count(d->auth),
            jet_auth_count(d->auth) == 1 ? "" : "s");
    jet_status_free(st);
  } else {
    jet_log(JET_LOG_INFO, 0, "SIGHUP: tokens-file re-read, %u token%s", jet_auth_count(d->auth),
            jet_auth_count(d->auth) == 1 ? "" : "s");
  }
}

static void on_stopped(void *arg) {
  jetd_state *d = arg;
  jet_http_stop(d->http);
  d->http = NULL;
  uv_close((uv_handle_t *)&d->sighup, NULL);
  uv_close((uv_handle_t *)&d->sigterm, NULL);
  uv_close((uv_handle_t *)&d->sigint, NULL);
  uv_close((uv_handle_t *)&d->grace, NULL);
}

/* The observability keys: log-format takes effect at once; metrics-listen
 * must be a loopback address (anything else is refused, exit 2). */
static jet_status check_observe(const jet_config *cfg) {
  jet_log_set_json(cfg->observe.log_format == JET_LOG_JSON);
  if (cfg->observe.metrics_listen[0]) return jet_http_check_address(cfg->observe.metrics_listen);
  return NULL;
}

int jet_daemon_run(const jet_config *cfg) {
  jet_ctx ctx;
  jet_status st = check_observe(cfg);
  if (!st) st = jet_auth_check_exposure(cfg); /* protected mode */
  jet_auth *auth = NULL;
  if (!st && cfg->security.tokens_file[0]) st = jet_auth_load(cfg->security.tokens_file, &auth);
  if (st) {
    jet_log(JET_LOG_ERROR, 0, "%s", jet_status_message(st));
    jet_status_free(st);
    return 2;
  }
  st = jet_ctx_init(&ctx, cfg);
  if (st) {
    jet_log(JET_LOG_ERROR, 0, "%s", jet_status_message(st));
    jet_status_free(st);
    jet_auth_destroy(auth);
    return 1;
  }
  jetd_state d = {0};
  d.auth = auth;
  uv_loop_init(&d.loop);
  grpc_init();
  char addr[600], maddr[300] = "";
  st = jet_observe_init();
  if (!st && cfg->observe.metrics_listen[0])
    st = jet_http_start(&d.loop, cfg->observe.metrics_listen, &ctx, NULL, &d.http, maddr,
                        sizeof(maddr));
  if (!st) st = jet_wire_start(&d.loop, &ctx, on_stopped, &d, &d.wire, addr, sizeof(addr));
  int rc = 0;
  if (st) {
    jet_http_stop(d.http);
    jet_log(JET_LOG_ERROR, 0, "%s", jet_status_message(st));
    rc = jet_status_code(st) == JET_INVALID_ARGUMENT ? 2 : 1; /* a bad TLS file: config */
    jet_status_free(st);
    goto done; /* nothing was started */
  }
  jet_wire_set_auth(d.wire, d.auth);
  uv_signal_init(&d.loop, &d.sighup);
  d.sighup.data = &d;
  uv_signal_start(&d.sighup, on_sighup, SIGHUP);
  uv_timer_init(&d.loop, &d.grace);
  d.grace.data = &d;
  d.grace_ms = cfg->shutdown_grace_ms;
  uv_signal_init(&d.loop, &d.sigterm);
  uv_signal_init(&d.loop, &d.sigint);
  d.sigterm.data = d.sigint.data = &d;
  uv_signal_start(&d.sigterm, on_signal, SIGTERM);
  uv_signal_start(&d.sigint, on_signal, SIGINT);
  jet_http_set_wire(d.http, d.wire);
  printf("jetd listening on %s\n", addr);
  if (d.http) printf("jetd metrics on %s\n", maddr);
  fflush(stdout);
  /* systemd Type=notify: ready once listening (no-op without NOTIFY_SOCKET). */
  jet_notifyf("READY=1\nSTATUS=serving on %s\nMAINPID=%ld", addr, (long)getpid());
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
  jet_auth_destroy(d.auth);
  jet_observe_shutdown();
  if (rc == 0) jet_log(JET_LOG_INFO, 0, "jetd stopped");
  return rc;
}
