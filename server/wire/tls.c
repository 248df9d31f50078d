/* TLS / mutual TLS credentials of the server port (tls.h). */
#include "wire/tls.h"

#include "jet/pem.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

jet_status jet__tls_server_credentials(const jet_config_security *s,
                                       grpc_server_credentials **out) {
  *out = NULL;
  if (!s->tls_cert[0]) {
    *out = grpc_insecure_server_credentials_create();
    return *out ? NULL : jet_status_oom("server credentials");
  }
  char *cert = NULL, *key = NULL, *ca = NULL;
  jet_status st = jet_pem_read("tls-cert", s->tls_cert, &cert);
  if (!st) st = jet_pem_read("tls-key", s->tls_key, &key);
  if (!st && s->tls_client_ca[0]) st = jet_pem_read("tls-client-ca", s->tls_client_ca, &ca);
  if (!st) {
    grpc_ssl_pem_key_cert_pair pair = {.private_key = key, .cert_chain = cert};
    /* gRPC copies the PEM strings. */
    *out = grpc_ssl_server_credentials_create_ex(
        ca, &pair, 1,
        ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
           : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
        NULL);
    if (!*out)
      st = jet_status_make(JET_INVALID_ARGUMENT, "tls-cert %s / tls-key %s: gRPC refused them",
                           s->tls_cert, s->tls_key);
  }
  free(cert);
  free(key);
  free(ca);
  return st;
}
