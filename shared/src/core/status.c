#include "jet/status.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jet_status_s {
  jet_code code;
  char *message;
};

/* Returned when a status cannot be allocated; never freed. */
static struct jet_status_s oom_status = {JET_RESOURCE_EXHAUSTED,
                                         (char *)"out of memory while reporting an error"};

jet_status jet_status_makev(jet_code code, const char *fmt, va_list ap) {
  jet_status s = malloc(sizeof *s);
  if (!s) return &oom_status;
  va_list ap2;
  va_copy(ap2, ap);
  int n = vsnprintf(NULL, 0, fmt, ap2);
  va_end(ap2);
  if (n < 0) n = 0;
  s->message = malloc((size_t)n + 1);
  if (!s->message) {
    free(s);
    return &oom_status;
  }
  vsnprintf(s->message, (size_t)n + 1, fmt, ap);
  s->code = code == JET_OK ? JET_UNKNOWN : code;
  return s;
}

jet_status jet_status_make(jet_code code, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  jet_status s = jet_status_makev(code, fmt, ap);
  va_end(ap);
  return s;
}

jet_status jet_status_oom(const char *what) {
  return jet_status_make(JET_RESOURCE_EXHAUSTED, "out of memory allocating %s", what);
}

jet_code jet_status_code(jet_status s) { return s ? s->code : JET_OK; }

const char *jet_status_message(jet_status s) { return s ? s->message : ""; }

jet_status jet_status_annotate(jet_status s, const char *fmt, ...) {
  if (!s || s == &oom_status) return s;
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0) return s;
  size_t old = strlen(s->message);
  char *m = malloc((size_t)n + old + 1);
  if (!m) return s; /* keep the original message rather than lose the error */
  va_start(ap, fmt);
  vsnprintf(m, (size_t)n + 1, fmt, ap);
  va_end(ap);
  memcpy(m + n, s->message, old + 1);
  free(s->message);
  s->message = m;
  return s;
}

void jet_status_free(jet_status s) {
  if (!s || s == &oom_status) return;
  free(s->message);
  free(s);
}

const char *jet_code_name(jet_code code) {
  static const char *const names[] = {
      "OK",           "CANCELLED",         "UNKNOWN",          "INVALID_ARGUMENT",
      "DEADLINE_EXCEEDED", "NOT_FOUND",    "ALREADY_EXISTS",   "PERMISSION_DENIED",
      "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION", "ABORTED",  "OUT_OF_RANGE",
      "UNIMPLEMENTED", "INTERNAL",         "UNAVAILABLE",      "DATA_LOSS",
      "UNAUTHENTICATED"};
  if ((unsigned)code < sizeof names / sizeof names[0]) return names[code];
  return "UNKNOWN";
}
