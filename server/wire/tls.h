/* TLS credentials of the gRPC server port (tls.c; owner: the wire layer).
 *
 * From the security keys (daemon/config_security.h): no tls-cert → an
 * insecure (plaintext) port; tls-cert + tls-key → TLS; plus tls-client-ca →
 * mutual TLS, every client must present a certificate signed by that CA
 * (GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY).
 *
 * The PEM files are checked before use (the certificate and key parse and
 * belong together, the CA holds a certificate) and handed to gRPC through
 * a certificate-config fetcher, which gRPC asks at every new handshake:
 * jet__tls_reload (SIGHUP) re-reads the same files, and when they pass the
 * checks new connections get them while open ones keep theirs; files that
 * fail keep the previous material (a certificate renewed without a
 * restart — jetd is meant to run for months). Whether clients must present
 * a certificate is fixed at start. */
#ifndef JET_WIRE_TLS_H
#define JET_WIRE_TLS_H

#include <grpc/grpc_security.h>

#include "daemon/config_security.h"

typedef struct jet_tls jet_tls;

/* *out: new credentials for grpc_server_add_http2_port; *tls: the reload
 * state they use (NULL for a plaintext port), to free with jet__tls_free
 * once the server is destroyed. INVALID_ARGUMENT naming the key and file
 * when a file cannot be read, holds no PEM or fails the checks. */
jet_status jet__tls_server_credentials(const jet_config_security *s, jet_tls **tls,
                                       grpc_server_credentials **out) JET_MUST_USE;
/* Re-reads the files (any thread). Error as above, the material in use
 * unchanged. *changed: whether their contents differ from it. */
jet_status jet__tls_reload(jet_tls *t, bool *changed) JET_MUST_USE;
void jet__tls_free(jet_tls *t);

#endif
