/* TLS credentials of the gRPC server port (tls.c; owner: the wire layer).
 *
 * From the security keys (daemon/config_security.h): no tls-cert → an
 * insecure (plaintext) port; tls-cert + tls-key → TLS; plus tls-client-ca →
 * mutual TLS, every client must present a certificate signed by that CA
 * (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY). The PEM files
 * are read once, at start; a changed certificate needs a restart. */
#ifndef JET_WIRE_TLS_H
#define JET_WIRE_TLS_H

#include <grpc/grpc_security.h>

#include "daemon/config_security.h"

/* *out: new credentials for grpc_server_add_http2_port. INVALID_ARGUMENT
 * naming the key and file when a file cannot be read or holds no PEM. */
jet_status jet__tls_server_credentials(const jet_config_security *s,
                                       grpc_server_credentials **out) JET_MUST_USE;

#endif
