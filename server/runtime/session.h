/* Sessions: the set of open session tokens, and the random tokens used for
 * sessions and array handles.
 *
 * A session is opened by the OpenSession stream and closed when that stream
 * ends; the arrays it owns live in the store (store.h), which asks this
 * table whether a session is still open before adding an array to it.
 *
 * Thread safety: all functions may be called from any thread. */
#ifndef JET_RUNTIME_SESSION_H
#define JET_RUNTIME_SESSION_H

#include <stdbool.h>
#include <stdint.h>

#include "jet/status.h"

/* Tokens are 128 random bits as 32 lowercase hex digits. */
#define JET_TOKEN_HEX 32

/* Writes a fresh random token (getrandom). Fails only when the kernel has no
 * randomness to give (INTERNAL). */
jet_status jet_token_new(char out[JET_TOKEN_HEX + 1]) JET_MUST_USE;

typedef struct jet_sessions jet_sessions;

jet_sessions *jet_sessions_create(void);
void jet_sessions_destroy(jet_sessions *s);

/* Opens a session; client_name (may be NULL) is kept for logs. */
jet_status jet_sessions_open(jet_sessions *s, const char *client_name,
                             char token_out[JET_TOKEN_HEX + 1]) JET_MUST_USE;
/* The same for a tenant (wire/auth.h; NULL = "default"): the session
 * belongs to it, and other tenants see it as not open. */
jet_status jet_sessions_open_tenant(jet_sessions *s, const char *client_name, const char *tenant,
                                    char token_out[JET_TOKEN_HEX + 1]) JET_MUST_USE;
bool jet_sessions_is_open(jet_sessions *s, const char *token);
/* FAILED_PRECONDITION "session 'TOKEN' is not open" unless token is open
 * and owned by tenant (NULL = "default"): the same answer as for an unknown
 * token, so a tenant learns nothing of another's sessions. */
jet_status jet_sessions_check_tenant(jet_sessions *s, const char *token,
                                     const char *tenant) JET_MUST_USE;
/* FAILED_PRECONDITION "session 'TOKEN' is not open" unless token is open. */
jet_status jet_sessions_check(jet_sessions *s, const char *token) JET_MUST_USE;
/* Closes a session (no-op when it is not open). The caller frees its
 * arrays afterwards with jet_store_free_session. */
void jet_sessions_close(jet_sessions *s, const char *token);
uint32_t jet_sessions_count(jet_sessions *s);

#endif
