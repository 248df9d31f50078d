/* Security keys of the daemon configuration (config_security.c):
 *
 *   tls-cert       server certificate chain, PEM file ("" = plaintext)
 *   tls-key        its private key, PEM file (with tls-cert)
 *   tls-client-ca  CA bundle, PEM: mutual TLS — every client must present a
 *                  certificate signed by it ("" = no client certificates)
 *   tokens-file    file mapping bearer tokens (stored hashed) to tenants,
 *                  re-read on SIGHUP ("" = no tokens: one tenant, "default")
 *
 * Listening on anything but loopback or a unix socket is refused unless
 * TLS and tokens are both configured (as Redis's protected mode). */
#ifndef JET_DAEMON_CONFIG_SECURITY_H
#define JET_DAEMON_CONFIG_SECURITY_H

#include <stdbool.h>

#include "jet/status.h"

#define JET_CONFIG_PATH_MAX 1024

typedef struct jet_config_security {
  char tls_cert[JET_CONFIG_PATH_MAX];
  char tls_key[JET_CONFIG_PATH_MAX];
  char tls_client_ca[JET_CONFIG_PATH_MAX];
  char tokens_file[JET_CONFIG_PATH_MAX];
} jet_config_security;

/* Sets `key` when it is one of the keys above (*handled = true), else
 * leaves everything alone (*handled = false). INVALID_ARGUMENT naming the
 * key for a value that is too long. */
jet_status jet__config_set_security(jet_config_security *s, const char *key, const char *value,
                                    bool *handled) JET_MUST_USE;

#endif
