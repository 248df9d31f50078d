/* jet_strbuf: a growable NUL-terminated string. Appends that run out of
 * memory set a sticky `oom` flag instead of failing one by one; check it (or
 * jet_strbuf_status) once at the end. */
#ifndef JET_STRBUF_H
#define JET_STRBUF_H

#include <stdbool.h>
#include <stddef.h>

#include "jet/status.h"

typedef struct jet_strbuf {
  char *data; /* always NUL-terminated when len > 0 or after any append */
  size_t len;
  size_t cap;
  bool oom;
} jet_strbuf;

void jet_strbuf_init(jet_strbuf *sb);
void jet_strbuf_free(jet_strbuf *sb);
void jet_strbuf_append(jet_strbuf *sb, const char *s, size_t n);
void jet_strbuf_puts(jet_strbuf *sb, const char *s);
void jet_strbuf_printf(jet_strbuf *sb, const char *fmt, ...) JET_PRINTF(2, 3);
/* NULL, or RESOURCE_EXHAUSTED if any append ran out of memory. */
jet_status jet_strbuf_status(const jet_strbuf *sb) JET_MUST_USE;
/* Hands the string to the caller (free() it); the buffer is reset. NULL on
 * out-of-memory (the buffer is freed). */
char *jet_strbuf_take(jet_strbuf *sb);

#endif
