/* The observability keys of jet_config (config_observe.h). */
#include "daemon/config_observe.h"

#include <stdio.h>
#include <string.h>

jet_status jet__config_set_observe(jet_config_observe *o, const char *key, const char *value,
                                   bool *handled) {
  *handled = true;
  if (strcmp(key, "metrics-listen") == 0) {
    if (strlen(value) >= sizeof(o->metrics_listen))
      return jet_status_make(JET_INVALID_ARGUMENT, "metrics-listen: '%.64s' is too long", value);
    snprintf(o->metrics_listen, sizeof(o->metrics_listen), "%s", value);
    return NULL;
  }
  if (strcmp(key, "log-format") == 0) {
    if (strcmp(value, "text") == 0) o->log_format = JET_LOG_TEXT;
    else if (strcmp(value, "json") == 0) o->log_format = JET_LOG_JSON;
    else
      return jet_status_make(JET_INVALID_ARGUMENT, "log-format: '%.64s' is not text or json",
                             value);
    return NULL;
  }
  *handled = false;
  return NULL;
}
