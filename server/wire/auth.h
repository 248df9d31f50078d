/* Bearer-token authentication and tenants (auth.c; owner: the wire layer).
 *
 * The tokens file (config key tokens-file) maps hashed bearer tokens to
 * tenants, one per line:
 *
 *   # comment
 *   TENANT sha256:<64 lowercase or uppercase hex digits>
 *
 * TENANT is 1..63 characters of [A-Za-z0-9._-]; a hash appears at most once
 * (one tenant may have several tokens). The hash is SHA-256 of the token's
 * bytes (`jetd --hash-token TOKEN`, or `printf %s TOKEN | sha256sum`).
 * Presented tokens are hashed and compared with every stored hash in
 * constant time (CRYPTO_memcmp), so neither tokens nor timing leak.
 *
 * jet_auth owns the table; jet_auth_reload swaps in a newly read file or
 * keeps the old table when the file is bad. Tenant names handed out stay
 * valid until jet_auth_destroy (they are interned and never freed before),
 * so a call may keep its tenant across a reload.
 *
 * Without a tokens file there is no jet_auth and every call is tenant
 * "default". Thread safety: all functions may be called from any thread. */
#ifndef JET_WIRE_AUTH_H
#define JET_WIRE_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "daemon/config.h"
#include "jet/status.h"

#define JET_TENANT_DEFAULT "default"
#define JET_TENANT_MAX 63
#define JET_SHA256_HEX 64
#define JET_AUTH_METADATA_KEY "authorization"

typedef struct jet_auth jet_auth;

/* Reads `path`. INVALID_ARGUMENT "PATH:LINE: what is wrong" for a bad line,
 * the OS error naming PATH when it cannot be read. */
jet_status jet_auth_load(const char *path, jet_auth **out) JET_MUST_USE;
/* Parses a whole file's text (for tests and load); `name` names it in
 * errors. */
jet_status jet_auth_parse(const char *name, const char *text, jet_auth **out) JET_MUST_USE;
/* Re-reads the file it was loaded from: on success the new table replaces
 * the old one (tokens not in the file stop working at once); on error the
 * old table stays and the error is returned. */
jet_status jet_auth_reload(jet_auth *a) JET_MUST_USE;
void jet_auth_destroy(jet_auth *a);

/* The tenant of a presented token (interned, valid until destroy), or NULL
 * when no stored hash matches. */
const char *jet_auth_lookup(jet_auth *a, const char *token, size_t len);
/* Number of tokens in the current table. */
uint32_t jet_auth_count(jet_auth *a);

/* SHA-256 of data as 64 lowercase hex digits. */
void jet_sha256_hex(const void *data, size_t len, char out[JET_SHA256_HEX + 1]);

/* Whether `listen` is a unix socket or a loopback address (127.0.0.0/8,
 * [::1], localhost). */
bool jet_listen_is_local(const char *listen);
/* Protected mode: FAILED_PRECONDITION saying what to configure when
 * `listen` is not local and TLS (tls-cert + tls-key) or tokens-file is
 * missing; INVALID_ARGUMENT for tls-cert without tls-key (or the reverse)
 * or tls-client-ca without tls-cert. */
jet_status jet_auth_check_exposure(const jet_config *cfg) JET_MUST_USE;

#endif
