/* Reading PEM files (certificates, keys) for the TLS set-up of both
 * sides: jetd's tls-* keys (server/wire/tls.c) and libjet's tls_* options
 * (client/lib/client_tls.c). */
#ifndef JET_PEM_H
#define JET_PEM_H

#include "jet/status.h"

/* Most bytes one PEM file may hold. */
#define JET_PEM_MAX_BYTES (1u << 20)

/* Reads the PEM file at path into *out (malloc'd, NUL-terminated; the
 * caller frees it). INVALID_ARGUMENT "WHAT PATH: why" when it cannot be
 * read, is larger than JET_PEM_MAX_BYTES or holds no PEM block;
 * RESOURCE_EXHAUSTED out of memory. */
jet_status jet_pem_read(const char *what, const char *path, char **out) JET_MUST_USE;

#endif
