/* Parsers of the values of the text form: numbers, types, literals; and
 * jet_literal_parse for the CLI. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/text.h"
#include "text_internal.h"

/* Copies a number token into a NUL-terminated buffer. */
static jet_status number_text(const jet__tok *t, char *buf, size_t cap) {
  if (t->n + 1 > cap) return jet__text_error(t, "number '%.*s...' is too long", 20, t->p);
  memcpy(buf, t->p, t->n);
  buf[t->n] = '\0';
  return NULL;
}

static jet_status expect_number(const jet__lexer *lx, const char *what) {
  if (lx->cur.kind == JET__TK_NUMBER) return NULL;
  char d[80];
  return jet__text_error(&lx->cur, "expected %s, found %s", what,
                         jet__tok_describe(&lx->cur, d, sizeof d));
}

/* Integer in [lo, hi] (decimal or 0x hex). */
static jet_status parse_int_range(jet__lexer *lx, int64_t lo, int64_t hi, int64_t *out) {
  JET_RETURN_IF_ERROR(expect_number(lx, "an integer"));
  char buf[80];
  JET_RETURN_IF_ERROR(number_text(&lx->cur, buf, sizeof buf));
  errno = 0;
  char *end = NULL;
  long long v = strtoll(buf, &end, 0);
  if (end == buf || *end != '\0')
    return jet__text_error(&lx->cur, "expected an integer, found '%s'", buf);
  if (errno == ERANGE || v < lo || v > hi)
    return jet__text_error(&lx->cur, "integer %s is out of range [%" PRId64 ", %" PRId64 "]", buf,
                           lo, hi);
  *out = (int64_t)v;
  jet__lex_next(lx);
  return NULL;
}

static jet_status parse_uint_max(jet__lexer *lx, uint64_t hi, uint64_t *out) {
  JET_RETURN_IF_ERROR(expect_number(lx, "an unsigned integer"));
  char buf[80];
  JET_RETURN_IF_ERROR(number_text(&lx->cur, buf, sizeof buf));
  errno = 0;
  char *end = NULL;
  unsigned long long v = strtoull(buf, &end, 0);
  if (buf[0] == '-' || end == buf || *end != '\0')
    return jet__text_error(&lx->cur, "expected an unsigned integer, found '%s'", buf);
  if (errno == ERANGE || v > hi)
    return jet__text_error(&lx->cur, "integer %s is out of range [0, %" PRIu64 "]", buf, hi);
  *out = (uint64_t)v;
  jet__lex_next(lx);
  return NULL;
}

jet_status jet__parse_int(jet__lexer *lx, int64_t *out) {
  return parse_int_range(lx, INT64_MIN, INT64_MAX, out);
}

/* A float element: number, inf, -inf, nan, -nan, nan(0xBITS). With bits
 * non-NULL (width 32 or 64), a raw NaN pattern may be given. */
static jet_status parse_float_bits(jet__lexer *lx, int width, double *out_d, float *out_f) {
  jet__tok t = lx->cur;
  if (t.kind != JET__TK_NUMBER && t.kind != JET__TK_IDENT) return expect_number(lx, "a number");
  char buf[80];
  JET_RETURN_IF_ERROR(number_text(&t, buf, sizeof buf));
  const char *s = buf;
  bool neg = false;
  if (*s == '-' || *s == '+') neg = (*s++ == '-');
  if (strcmp(s, "inf") == 0) {
    jet__lex_next(lx);
    if (out_d) *out_d = neg ? -INFINITY : INFINITY;
    if (out_f) *out_f = neg ? -INFINITY : INFINITY;
    return NULL;
  }
  if (strcmp(s, "nan") == 0) {
    jet__lex_next(lx);
    if (!neg && jet__tok_is_punct(&lx->cur, '(')) {
      jet__lex_next(lx);
      uint64_t bits = 0;
      JET_RETURN_IF_ERROR(parse_uint_max(lx, width == 32 ? UINT32_MAX : UINT64_MAX, &bits));
      JET_RETURN_IF_ERROR(jet__expect_punct(lx, ')', "after NaN bits"));
      if (width == 32) {
        uint32_t b = (uint32_t)bits;
        float f;
        memcpy(&f, &b, 4);
        if (!isnan(f)) return jet__text_error(&t, "nan(0x%08" PRIx32 ") is not a NaN", b);
        *out_f = f;
      } else {
        double d;
        memcpy(&d, &bits, 8);
        if (!isnan(d)) return jet__text_error(&t, "nan(0x%016" PRIx64 ") is not a NaN", bits);
        *out_d = d;
      }
      return NULL;
    }
    if (out_d) *out_d = neg ? -(double)NAN : (double)NAN;
    if (out_f) *out_f = neg ? -NAN : NAN;
    return NULL;
  }
  if (t.kind != JET__TK_NUMBER) return expect_number(lx, "a number");
  errno = 0;
  char *end = NULL;
  if (out_f) {
    *out_f = strtof(buf, &end);
  } else {
    *out_d = strtod(buf, &end);
  }
  if (end == buf || *end != '\0') return jet__text_error(&t, "expected a number, found '%s'", buf);
  /* ERANGE on underflow still gives the nearest value; on overflow inf
   * would be surprising, so reject it. */
  if (errno == ERANGE && ((out_f && isinf(*out_f)) || (out_d && isinf(*out_d))))
    return jet__text_error(&t, "number %s is out of range", buf);
  jet__lex_next(lx);
  return NULL;
}

jet_status jet__parse_float(jet__lexer *lx, double *out) {
  return parse_float_bits(lx, 64, out, NULL);
}

jet_status jet__parse_bool(jet__lexer *lx, bool *out) {
  if (jet__tok_is_ident(&lx->cur, "true")) {
    *out = true;
  } else if (jet__tok_is_ident(&lx->cur, "false")) {
    *out = false;
  } else {
    char d[80];
    return jet__text_error(&lx->cur, "expected true or false, found %s",
                           jet__tok_describe(&lx->cur, d, sizeof d));
  }
  jet__lex_next(lx);
  return NULL;
}

jet_status jet__parse_dtype(jet__lexer *lx, jet_dtype *out) {
  char d[80];
  if (lx->cur.kind != JET__TK_IDENT)
    return jet__text_error(&lx->cur, "expected a dtype, found %s",
                           jet__tok_describe(&lx->cur, d, sizeof d));
  jet_dtype dt = jet_dtype_from_name(lx->cur.p, lx->cur.n);
  if (dt == JET_DTYPE_INVALID)
    return jet__text_error(&lx->cur, "unknown dtype %s", jet__tok_describe(&lx->cur, d, sizeof d));
  *out = dt;
  jet__lex_next(lx);
  return NULL;
}

jet_status jet__parse_int_list(jet__lexer *lx, jet_arena *arena, int64_t **v, uint32_t *n) {
  JET_RETURN_IF_ERROR(jet__expect_punct(lx, '[', "to open an integer list"));
  uint32_t cap = 8, cnt = 0;
  int64_t *buf = jet_arena_alloc(arena, cap * sizeof *buf);
  if (buf == NULL) return jet_status_oom("text parser int list");
  while (!jet__tok_is_punct(&lx->cur, ']')) {
    if (cnt > 0) JET_RETURN_IF_ERROR(jet__expect_punct(lx, ',', "between list elements"));
    if (cnt == cap) {
      if (cap > UINT32_MAX / 4) return jet__text_error(&lx->cur, "integer list too long");
      int64_t *nb = jet_arena_alloc(arena, (size_t)cap * 2 * sizeof *nb);
      if (nb == NULL) return jet_status_oom("text parser int list");
      memcpy(nb, buf, cap * sizeof *buf);
      buf = nb;
      cap *= 2;
    }
    JET_RETURN_IF_ERROR(jet__parse_int(lx, &buf[cnt]));
    cnt++;
  }
  jet__lex_next(lx);
  *v = buf;
  *n = cnt;
  return NULL;
}

jet_status jet__parse_type(jet__lexer *lx, jet_type *out) {
  jet__tok start = lx->cur;
  jet_type t;
  memset(&t, 0, sizeof t);
  JET_RETURN_IF_ERROR(jet__parse_dtype(lx, &t.dtype));
  JET_RETURN_IF_ERROR(jet__expect_punct(lx, '[', "after the dtype of a type"));
  while (!jet__tok_is_punct(&lx->cur, ']')) {
    if (t.rank > 0) JET_RETURN_IF_ERROR(jet__expect_punct(lx, ',', "between dimensions"));
    if (t.rank == JET_MAX_RANK)
      return jet__text_error(&lx->cur, "rank exceeds the maximum of %d", JET_MAX_RANK);
    int64_t d = 0;
    JET_RETURN_IF_ERROR(parse_int_range(lx, 0, INT64_MAX, &d));
    t.dims[t.rank++] = d;
  }
  jet__lex_next(lx);
  JET_RETURN_IF_ERROR(jet__text_wrap(&start, jet_type_check(&t, "type")));
  *out = t;
  return NULL;
}

/* Parses one element of dtype dt into p. */
static jet_status parse_element(jet__lexer *lx, jet_dtype dt, unsigned char *p) {
  int64_t i = 0;
  uint64_t u = 0;
  switch (dt) {
    case JET_BOOL: {
      bool b = false;
      if (lx->cur.kind == JET__TK_NUMBER) {
        JET_RETURN_IF_ERROR(parse_int_range(lx, 0, 1, &i));
        b = i != 0;
      } else {
        JET_RETURN_IF_ERROR(jet__parse_bool(lx, &b));
      }
      *p = b ? 1 : 0;
      return NULL;
    }
    case JET_I8: JET_RETURN_IF_ERROR(parse_int_range(lx, INT8_MIN, INT8_MAX, &i)); { int8_t v = (int8_t)i; memcpy(p, &v, 1); } return NULL;
    case JET_I16: JET_RETURN_IF_ERROR(parse_int_range(lx, INT16_MIN, INT16_MAX, &i)); { int16_t v = (int16_t)i; memcpy(p, &v, 2); } return NULL;
    case JET_I32: JET_RETURN_IF_ERROR(parse_int_range(lx, INT32_MIN, INT32_MAX, &i)); { int32_t v = (int32_t)i; memcpy(p, &v, 4); } return NULL;
    case JET_I64: JET_RETURN_IF_ERROR(parse_int_range(lx, INT64_MIN, INT64_MAX, &i)); memcpy(p, &i, 8); return NULL;
    case JET_U8: JET_RETURN_IF_ERROR(parse_uint_max(lx, UINT8_MAX, &u)); *p = (unsigned char)u; return NULL;
    case JET_U16:
    case JET_F16:
    case JET_BF16: JET_RETURN_IF_ERROR(parse_uint_max(lx, UINT16_MAX, &u)); { uint16_t v = (uint16_t)u; memcpy(p, &v, 2); } return NULL;
    case JET_U32: JET_RETURN_IF_ERROR(parse_uint_max(lx, UINT32_MAX, &u)); { uint32_t v = (uint32_t)u; memcpy(p, &v, 4); } return NULL;
    case JET_U64: JET_RETURN_IF_ERROR(parse_uint_max(lx, UINT64_MAX, &u)); memcpy(p, &u, 8); return NULL;
    case JET_F32: { float f = 0; JET_RETURN_IF_ERROR(parse_float_bits(lx, 32, NULL, &f)); memcpy(p, &f, 4); return NULL; }
    case JET_F64: { double d = 0; JET_RETURN_IF_ERROR(parse_float_bits(lx, 64, &d, NULL)); memcpy(p, &d, 8); return NULL; }
    default: return jet__text_error(&lx->cur, "dtype %s has no literal syntax", jet_dtype_name(dt));
  }
}

jet_status jet__parse_literal(jet__lexer *lx, jet_arena *arena, bool allow_bare_scalar,
                              jet_type *type, void **data, size_t *nbytes) {
  jet_type t;
  JET_RETURN_IF_ERROR(jet__parse_type(lx, &t));
  int64_t numel = jet_type_numel(&t);
  size_t es = jet_dtype_size(t.dtype);
  size_t nb = jet_type_nbytes(&t);
  unsigned char *buf = jet_arena_alloc(arena, nb ? nb : 1);
  if (buf == NULL) return jet_status_oom("literal data");
  if (!jet__tok_is_punct(&lx->cur, '{')) {
    if (!allow_bare_scalar || numel != 1) {
      char d[80];
      return jet__text_error(&lx->cur, "expected '{' to open the elements of the literal, found %s",
                             jet__tok_describe(&lx->cur, d, sizeof d));
    }
    JET_RETURN_IF_ERROR(parse_element(lx, t.dtype, buf));
  } else {
    jet__tok open = lx->cur;
    jet__lex_next(lx);
    int64_t cnt = 0;
    while (!jet__tok_is_punct(&lx->cur, '}')) {
      if (cnt > 0) JET_RETURN_IF_ERROR(jet__expect_punct(lx, ',', "between literal elements"));
      if (cnt == numel) {
        char tb[JET_TYPE_STR_MAX];
        return jet__text_error(&lx->cur, "literal of type %s has more than %" PRId64 " elements",
                               jet_type_str(&t, tb, sizeof tb), numel);
      }
      JET_RETURN_IF_ERROR(parse_element(lx, t.dtype, buf + (size_t)cnt * es));
      cnt++;
    }
    if (cnt != numel) {
      char tb[JET_TYPE_STR_MAX];
      return jet__text_error(&open, "literal of type %s needs %" PRId64 " elements, got %" PRId64,
                             jet_type_str(&t, tb, sizeof tb), numel, cnt);
    }
    jet__lex_next(lx);
  }
  *type = t;
  *data = buf;
  *nbytes = nb;
  return NULL;
}

jet_status jet_literal_parse(const char *text, size_t len, jet_type *type, void **data,
                             size_t *nbytes) {
  if (text == NULL || type == NULL || data == NULL || nbytes == NULL)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_literal_parse: NULL argument");
  jet_arena *scratch = jet_arena_create(4096);
  if (scratch == NULL) return jet_status_oom("literal parser");
  jet__lexer lx;
  jet__lex_init(&lx, text, len, scratch);
  jet_type t;
  void *d = NULL;
  size_t nb = 0;
  jet_status st = jet__parse_literal(&lx, scratch, true, &t, &d, &nb);
  if (st == NULL && lx.cur.kind != JET__TK_EOF) {
    char desc[80];
    st = jet__text_error(&lx.cur, "unexpected %s after the literal",
                         jet__tok_describe(&lx.cur, desc, sizeof desc));
  }
  if (st == NULL) {
    void *copy = malloc(nb ? nb : 1);
    if (copy == NULL) {
      st = jet_status_oom("literal data");
    } else {
      memcpy(copy, d, nb);
      *type = t;
      *data = copy;
      *nbytes = nb;
    }
  }
  jet_arena_destroy(scratch);
  return st;
}
