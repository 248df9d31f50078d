/* The lexer of the text form: tokens with line and column numbers. */
#include <stdio.h>
#include <string.h>

#include "text_internal.h"

static bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
static bool is_digit(char c) { return c >= '0' && c <= '9'; }
static bool is_ident_char(char c) { return is_alpha(c) || is_digit(c) || c == '.' || c == '-'; }

static char peek_at(const jet__lexer *lx, size_t off) {
  return lx->pos + off < lx->len ? lx->src[lx->pos + off] : '\0';
}

static void advance(jet__lexer *lx) {
  if (lx->pos >= lx->len) return;
  if (lx->src[lx->pos] == '\n') {
    lx->line++;
    lx->col = 1;
  } else {
    lx->col++;
  }
  lx->pos++;
}

static void skip_space_and_comments(jet__lexer *lx) {
  while (lx->pos < lx->len) {
    char c = lx->src[lx->pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      advance(lx);
    } else if (c == '#') {
      while (lx->pos < lx->len && lx->src[lx->pos] != '\n') advance(lx);
    } else {
      break;
    }
  }
}

void jet__lex_init(jet__lexer *lx, const char *text, size_t len, jet_arena *scratch) {
  memset(lx, 0, sizeof *lx);
  lx->src = text;
  lx->len = len;
  lx->line = 1;
  lx->col = 1;
  lx->scratch = scratch;
  jet__lex_next(lx);
}

void jet__lex_next(jet__lexer *lx) {
  skip_space_and_comments(lx);
  jet__tok *t = &lx->cur;
  memset(t, 0, sizeof *t);
  t->line = lx->line;
  t->col = lx->col;
  t->p = lx->src + lx->pos;
  if (lx->pos >= lx->len) {
    t->kind = JET__TK_EOF;
    return;
  }
  size_t start = lx->pos;
  char c = lx->src[lx->pos];
  char c1 = peek_at(lx, 1);
  if (is_alpha(c)) {
    t->kind = JET__TK_IDENT;
    while (lx->pos < lx->len && is_ident_char(lx->src[lx->pos])) advance(lx);
  } else if (is_digit(c) || ((c == '-' || c == '+') && (is_digit(c1) || c1 == '.' || is_alpha(c1))) ||
             (c == '.' && is_digit(c1))) {
    t->kind = JET__TK_NUMBER;
    bool hex = (c == '0' && (c1 == 'x' || c1 == 'X'));
    advance(lx);
    while (lx->pos < lx->len) {
      char d = lx->src[lx->pos];
      char prev = lx->src[lx->pos - 1];
      if (is_alpha(d) || is_digit(d) || d == '.') {
        advance(lx);
      } else if ((d == '+' || d == '-') && !hex && (prev == 'e' || prev == 'E')) {
        advance(lx);
      } else {
        break;
      }
    }
  } else if (c == '%') {
    advance(lx);
    if (!is_digit(peek_at(lx, 0))) {
      t->kind = JET__TK_ERROR;
    } else {
      t->kind = JET__TK_VALUE;
      uint64_t v = 0;
      while (lx->pos < lx->len && is_digit(lx->src[lx->pos])) {
        if (v <= UINT32_MAX) v = v * 10 + (uint64_t)(lx->src[lx->pos] - '0');
        advance(lx);
      }
      t->value = v; /* > UINT32_MAX means "too large" */
    }
  } else if (c == '"') {
    t->kind = JET__TK_STRING;
    advance(lx);
    bool closed = false;
    while (lx->pos < lx->len) {
      char d = lx->src[lx->pos];
      if (d == '\n') break;
      advance(lx);
      if (d == '\\') {
        if (lx->pos < lx->len && lx->src[lx->pos] != '\n') advance(lx);
      } else if (d == '"') {
        closed = true;
        break;
      }
    }
    if (!closed) t->kind = JET__TK_ERROR;
  } else if (strchr("()[]{},:=", c) != NULL) {
    t->kind = JET__TK_PUNCT;
    advance(lx);
  } else {
    t->kind = JET__TK_ERROR;
    advance(lx);
  }
  t->n = lx->pos - start;
}

jet_status jet__text_error(const jet__tok *t, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return jet_status_make(JET_INVALID_ARGUMENT, "line %d, column %d: %s", t->line, t->col, msg);
}

jet_status jet__text_wrap(const jet__tok *t, jet_status st) {
  if (st == NULL) return NULL;
  jet_code code = jet_status_code(st);
  jet_status out = jet_status_make(code, "line %d, column %d: %s", t->line, t->col,
                                   jet_status_message(st));
  jet_status_free(st);
  return out;
}

bool jet__tok_is_punct(const jet__tok *t, char c) {
  return t->kind == JET__TK_PUNCT && t->p[0] == c;
}

bool jet__tok_is_ident(const jet__tok *t, const char *word) {
  size_t n = strlen(word);
  return t->kind == JET__TK_IDENT && t->n == n && memcmp(t->p, word, n) == 0;
}

const char *jet__tok_describe(const jet__tok *t, char *buf, size_t cap) {
  switch (t->kind) {
    case JET__TK_EOF:
      snprintf(buf, cap, "end of input");
      break;
    case JET__TK_ERROR:
      if (t->n > 0 && t->p[0] == '"')
        snprintf(buf, cap, "an unterminated string");
      else if (t->n > 0 && t->p[0] == '%')
        snprintf(buf, cap, "'%%' without a value number");
      else
        snprintf(buf, cap, "unexpected character '%.*s'", (int)(t->n ? 1 : 0), t->p);
      break;
    default: {
      int n = t->n > 40 ? 40 : (int)t->n;
      snprintf(buf, cap, "'%.*s%s'", n, t->p, t->n > 40 ? "..." : "");
      break;
    }
  }
  return buf;
}

jet_status jet__expect_punct(jet__lexer *lx, char c, const char *what) {
  if (!jet__tok_is_punct(&lx->cur, c)) {
    char d[80];
    return jet__text_error(&lx->cur, "expected '%c' %s, found %s", c, what,
                           jet__tok_describe(&lx->cur, d, sizeof d));
  }
  jet__lex_next(lx);
  return NULL;
}

jet_status jet__tok_ident_dup(jet__lexer *lx, const jet__tok *t, char **out) {
  char *s = jet_arena_alloc(lx->scratch, t->n + 1);
  if (s == NULL) return jet_status_oom("text parser identifier");
  memcpy(s, t->p, t->n);
  s[t->n] = '\0';
  *out = s;
  return NULL;
}

static int hex_val(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

jet_status jet__tok_string(jet__lexer *lx, const jet__tok *t, jet_arena *arena, char **out) {
  (void)lx;
  /* The token spans the quotes; the decoded string is never longer. */
  char *s = jet_arena_alloc(arena, t->n);
  if (s == NULL) return jet_status_oom("text parser string");
  size_t k = 0;
  for (size_t i = 1; i + 1 < t->n; i++) {
    char c = t->p[i];
    if (c != '\\') {
      s[k++] = c;
      continue;
    }
    char e = t->p[++i];
    switch (e) {
      case '"': s[k++] = '"'; break;
      case '\\': s[k++] = '\\'; break;
      case 'n': s[k++] = '\n'; break;
      case 't': s[k++] = '\t'; break;
      case 'r': s[k++] = '\r'; break;
      case 'x': {
        int hi = i + 1 + 1 < t->n ? hex_val(t->p[i + 1]) : -1;
        int lo = i + 2 + 1 < t->n ? hex_val(t->p[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
          return jet__text_error(t, "bad \\x escape in string (two hex digits, not 00)");
        s[k++] = (char)(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        return jet__text_error(t, "unknown escape '\\%c' in string", e);
    }
  }
  s[k] = '\0';
  *out = s;
  return NULL;
}
