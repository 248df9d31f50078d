/* The security keys of jet_config (config_security.h). */
#include "daemon/config_security.h"

#include <stdio.h>
#include <string.h>

static jet_status set_path(char *dst, const char *key, const char *value) {
  if (strlen(value) >= JET_CONFIG_PATH_MAX)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: '%.64s...' is too long", key, value);
  snprintf(dst, JET_CONFIG_PATH_MAX, "%s", value);
  return NULL;
}

jet_status jet__config_set_security(jet_config_security *s, const char *key, const char *value,
                                    bool *handled) {
  *handled = true;
  if (strcmp(key, "tls-cert") == 0) return set_path(s->tls_cert, key, value);
  if (strcmp(key, "tls-key") == 0) return set_path(s->tls_key, key, value);
  if (strcmp(key, "tls-client-ca") == 0) return set_path(s->tls_client_ca, key, value);
  if (strcmp(key, "tokens-file") == 0) return set_path(s->tokens_file, key, value);
  *handled = false;
  return NULL;
}
