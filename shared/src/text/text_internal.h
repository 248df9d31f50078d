/* Internals of the text form (shared/src/text): the lexer, number and string
 * formatting, and the value parsers shared by the graph parser and
 * jet_literal_parse. Not part of the public API. */
#ifndef JET_TEXT_INTERNAL_H
#define JET_TEXT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet/arena.h"
#include "jet/graph.h"
#include "jet/status.h"
#include "jet/strbuf.h"
#include "jet/transform.h"
#include "jet/type.h"

typedef enum jet__tok_kind {
  JET__TK_EOF = 0,
  JET__TK_IDENT,  /* [A-Za-z_][A-Za-z0-9_.-]* */
  JET__TK_NUMBER, /* starts with a digit, or a sign / '.' followed by one */
  JET__TK_VALUE,  /* %N; `value` holds N */
  JET__TK_STRING, /* "..." with escapes; p/n include the quotes */
  JET__TK_PUNCT,  /* one of ( ) [ ] { } , : = */
  JET__TK_ERROR,  /* a character no token starts with */
} jet__tok_kind;

typedef struct jet__tok {
  jet__tok_kind kind;
  const char *p;
  size_t n;
  int line, col;
  uint64_t value; /* TK_VALUE */
} jet__tok;

typedef struct jet__lexer {
  const char *src;
  size_t len, pos;
  int line, col;
  jet__tok cur;
  jet_arena *scratch; /* temporaries of one parse */
} jet__lexer;

/* Starts lexing text and reads the first token into lx->cur. */
void jet__lex_init(jet__lexer *lx, const char *text, size_t len, jet_arena *scratch);
/* Advances lx->cur to the next token. */
void jet__lex_next(jet__lexer *lx);

/* INVALID_ARGUMENT "line L, column C: <message>" at token t. */
jet_status jet__text_error(const jet__tok *t, const char *fmt, ...) JET_PRINTF(2, 3) JET_MUST_USE;
/* Re-wraps an error from a lower layer with t's position, keeping its code.
 * Consumes st. */
jet_status jet__text_wrap(const jet__tok *t, jet_status st) JET_MUST_USE;

bool jet__tok_is_punct(const jet__tok *t, char c);
bool jet__tok_is_ident(const jet__tok *t, const char *word);
/* Consumes punctuation c or fails naming `what`. */
jet_status jet__expect_punct(jet__lexer *lx, char c, const char *what) JET_MUST_USE;
/* Describes a token for error messages ("'foo'", "end of input"). */
const char *jet__tok_describe(const jet__tok *t, char *buf, size_t cap);

/* Copies an identifier / decodes a string token into scratch memory. */
jet_status jet__tok_ident_dup(jet__lexer *lx, const jet__tok *t, char **out) JET_MUST_USE;
jet_status jet__tok_string(jet__lexer *lx, const jet__tok *t, jet_arena *arena,
                           char **out) JET_MUST_USE;

/* Value parsers; each consumes its tokens. */
jet_status jet__parse_int(jet__lexer *lx, int64_t *out) JET_MUST_USE;
jet_status jet__parse_float(jet__lexer *lx, double *out) JET_MUST_USE;
jet_status jet__parse_bool(jet__lexer *lx, bool *out) JET_MUST_USE;
jet_status jet__parse_dtype(jet__lexer *lx, jet_dtype *out) JET_MUST_USE;
/* "[1, 2, 3]" into arena memory. */
jet_status jet__parse_int_list(jet__lexer *lx, jet_arena *arena, int64_t **v,
                               uint32_t *n) JET_MUST_USE;
/* "f32[2,3]" (checked with jet_type_check). */
jet_status jet__parse_type(jet__lexer *lx, jet_type *out) JET_MUST_USE;
/* "f32[3]{1, 2, 3}", or "f32[] 2.5" when allow_bare_scalar. Data in arena. */
jet_status jet__parse_literal(jet__lexer *lx, jet_arena *arena, bool allow_bare_scalar,
                              jet_type *type, void **data, size_t *nbytes) JET_MUST_USE;
/* "[grad(argnums=[0]), vmap(in_axes=[0, none])]"; arrays from arena. */
jet_status jet__parse_transforms(jet__lexer *lx, jet_arena *arena, jet_transform **out,
                                 uint32_t *n) JET_MUST_USE;

/* Formatting. Buffers of JET__NUM_MAX bytes. */
#define JET__NUM_MAX 48
void jet__fmt_f64(double v, char *buf);
void jet__fmt_f32(float v, char *buf);
void jet__print_string(jet_strbuf *sb, const char *s);
void jet__print_int_list(jet_strbuf *sb, const int64_t *v, uint32_t n);
void jet__print_transforms(jet_strbuf *sb, const jet_transform *t, uint32_t n);
/* True when s can be printed bare as an identifier. */
bool jet__is_ident(const char *s);

/* Parses a graph; with `check` false, result types are taken as printed
 * (jet_graph_append_node) and the graph is not validated, so that syntax
 * that inference does not support yet (transformed calls) still round-trips
 * in tests. */
jet_status jet__graph_parse_mode(const char *text, size_t len, bool check,
                                 jet_graph **out) JET_MUST_USE;

#endif
