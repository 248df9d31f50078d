#include "jet/strbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jet_strbuf_init(jet_strbuf *sb) { memset(sb, 0, sizeof *sb); }

void jet_strbuf_free(jet_strbuf *sb) {
  free(sb->data);
  jet_strbuf_init(sb);
}

static bool reserve(jet_strbuf *sb, size_t extra) {
  if (sb->oom) return false;
  if (sb->len + extra + 1 <= sb->cap) return true;
  size_t cap = sb->cap ? sb->cap : 64;
  while (cap < sb->len + extra + 1) {
    if (cap > SIZE_MAX / 2) {
      sb->oom = true;
      return false;
    }
    cap *= 2;
  }
  char *d = realloc(sb->data, cap);
  if (!d) {
    sb->oom = true;
    return false;
  }
  sb->data = d;
  sb->cap = cap;
  return true;
}

void jet_strbuf_append(jet_strbuf *sb, const char *s, size_t n) {
  if (!reserve(sb, n)) return;
  memcpy(sb->data + sb->len, s, n);
  sb->len += n;
  sb->data[sb->len] = '\0';
}

void jet_strbuf_puts(jet_strbuf *sb, const char *s) { jet_strbuf_append(sb, s, strlen(s)); }

void jet_strbuf_printf(jet_strbuf *sb, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(NULL, 0, fmt, ap);
  va_end(ap);
  if (n < 0 || !reserve(sb, (size_t)n)) return;
  va_start(ap, fmt);
  vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  sb->len += (size_t)n;
}

jet_status jet_strbuf_status(const jet_strbuf *sb) {
  return sb->oom ? jet_status_oom("text buffer") : NULL;
}

char *jet_strbuf_take(jet_strbuf *sb) {
  if (sb->oom) {
    jet_strbuf_free(sb);
    return NULL;
  }
  if (!sb->data && !reserve(sb, 0)) return NULL;
  if (sb->len == 0) sb->data[0] = '\0';
  char *s = sb->data;
  jet_strbuf_init(sb);
  return s;
}
