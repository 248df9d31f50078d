/* Observability keys of the daemon configuration (config_observe.c):
 *
 *   metrics-listen  HOST:PORT of the HTTP server for Prometheus metrics
 *                   (/metrics) and the status page (/); loopback addresses
 *                   only; "" (the default) = off
 *   log-format      text (the default) | json: one JSON object per line */
#ifndef JET_DAEMON_CONFIG_OBSERVE_H
#define JET_DAEMON_CONFIG_OBSERVE_H

#include <stdbool.h>

#include "jet/status.h"

typedef enum jet_log_format { JET_LOG_TEXT = 0, JET_LOG_JSON = 1 } jet_log_format;

typedef struct jet_config_observe {
  char metrics_listen[256];
  jet_log_format log_format;
} jet_config_observe;

/* As jet__config_set_security (config_security.h). */
jet_status jet__config_set_observe(jet_config_observe *o, const char *key, const char *value,
                                   bool *handled) JET_MUST_USE;

#endif
