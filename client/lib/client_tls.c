/* libjet's channel credentials (insecure or TLS / mutual TLS from PEM
 * files) and the authorization metadata of every call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc_security.h>

#include "client_internal.h"
#include "jet/pem.h"

size_t jet__auth_metadata(const jet_client *c, grpc_metadata *md) {
  if (!c->auth) return 0;
  md[0].key = grpc_slice_from_static_string("authorization");
  md[0].value = grpc_slice_from_static_string(c->auth);
  return 1;
}

static bool set(const char *s) { return s && s[0]; }

static const char *pick(const char *opt, const char *env) {
  if (set(opt)) return opt;
  const char *e = getenv(env);
  return set(e) ? e : NULL;
}

jet_status jet__channel_credentials(const jet_client_options *given,
                                    grpc_channel_credentials **out) {
  *out = NULL;
  jet_client_options resolved = *given;
  const jet_client_options *opts = &resolved;
  resolved.tls_ca_file = pick(given->tls_ca_file, JET_TLS_CA_ENV);
  resolved.tls_cert_file = pick(given->tls_cert_file, JET_TLS_CERT_ENV);
  resolved.tls_key_file = pick(given->tls_key_file, JET_TLS_KEY_ENV);
  if (set(opts->tls_cert_file) != set(opts->tls_key_file))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "tls_cert_file and tls_key_file (mutual TLS) must be given together");
  if (!set(opts->tls_ca_file) && !set(opts->tls_cert_file)) {
    *out = grpc_insecure_credentials_create();
    return *out ? NULL : jet_status_oom("channel credentials");
  }
  char *ca = NULL, *cert = NULL, *key = NULL;
  jet_status st = NULL;
  if (set(opts->tls_ca_file)) st = jet_pem_read("tls_ca_file", opts->tls_ca_file, &ca);
  if (!st && set(opts->tls_cert_file)) st = jet_pem_read("tls_cert_file", opts->tls_cert_file, &cert);
  if (!st && set(opts->tls_key_file)) st = jet_pem_read("tls_key_file", opts->tls_key_file, &key);
  if (!st) {
    grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
    /* gRPC copies the PEM strings. */
    *out = grpc_ssl_credentials_create(ca, cert ? &pair : NULL, NULL, NULL);
    if (!*out) st = jet_status_make(JET_INVALID_ARGUMENT, "TLS: gRPC refused the PEM files");
  }
  free(ca);
  free(cert);
  free(key);
  return st;
}
