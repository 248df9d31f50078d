/* jet status values: how errors travel through jet.
 *
 * A jet_status is NULL on success; otherwise it owns a heap object carrying a
 * canonical gRPC status code (0..16, the same numbers, so the RPC layer passes
 * it straight to the wire) and a human-readable message naming the field,
 * node or argument at fault.
 *
 * Ownership: whoever receives a non-NULL status owns it and must either
 * return it up the stack or release it with jet_status_free(). Creating a
 * status never fails: when memory runs out, a static RESOURCE_EXHAUSTED status
 * is returned instead (jet_status_free ignores it).
 *
 * Thread safety: statuses are plain values; share none between threads.
 */
#ifndef JET_STATUS_H
#define JET_STATUS_H

#include <stdarg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum jet_code {
  JET_OK = 0,
  JET_CANCELLED = 1,
  JET_UNKNOWN = 2,
  JET_INVALID_ARGUMENT = 3,
  JET_DEADLINE_EXCEEDED = 4,
  JET_NOT_FOUND = 5,
  JET_ALREADY_EXISTS = 6,
  JET_PERMISSION_DENIED = 7,
  JET_RESOURCE_EXHAUSTED = 8,
  JET_FAILED_PRECONDITION = 9,
  JET_ABORTED = 10,
  JET_OUT_OF_RANGE = 11,
  JET_UNIMPLEMENTED = 12,
  JET_INTERNAL = 13,
  JET_UNAVAILABLE = 14,
  JET_DATA_LOSS = 15,
  JET_UNAUTHENTICATED = 16,
} jet_code;

typedef struct jet_status_s *jet_status;

#if defined(__GNUC__)
#define JET_MUST_USE __attribute__((warn_unused_result))
#define JET_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define JET_MUST_USE
#define JET_PRINTF(f, a)
#endif

/* Makes a status with a printf-style message. code must not be JET_OK. */
jet_status jet_status_make(jet_code code, const char *fmt, ...) JET_PRINTF(2, 3) JET_MUST_USE;
jet_status jet_status_makev(jet_code code, const char *fmt, va_list ap) JET_MUST_USE;

/* Shorthand for the common out-of-memory status; `what` names the allocation. */
jet_status jet_status_oom(const char *what) JET_MUST_USE;

/* JET_OK for NULL. */
jet_code jet_status_code(jet_status s);

/* "" for NULL. Borrowed: valid until the status is freed. */
const char *jet_status_message(jet_status s);

/* Prefixes the message with context ("node 3 (add): " + old message); keeps
 * the code. Consumes s and returns the annotated status (NULL stays NULL). */
jet_status jet_status_annotate(jet_status s, const char *fmt, ...) JET_PRINTF(2, 3) JET_MUST_USE;

void jet_status_free(jet_status s);

/* Canonical name of a code, e.g. "INVALID_ARGUMENT". */
const char *jet_code_name(jet_code code);

#define JET_RETURN_IF_ERROR(expr)        \
  do {                                   \
    jet_status jet__st_ = (expr);        \
    if (jet__st_) return jet__st_;       \
  } while (0)

#ifdef __cplusplus
}
#endif
#endif
