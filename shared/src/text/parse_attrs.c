/* jet_attrs_parse and jet_transforms_parse: the attribute list of one node
 * and a transforms list on their own, in the text syntax of README.md, for
 * clients that describe nodes as text (the Python client's FFI). */
#include <string.h>

#include "jet/text.h"
#include "text_internal.h"

static jet_status attr_value(jet__lexer *lx, jet_arena *arena, jet_attr *a) {
  switch (a->kind) {
    case JET_ATTR_INT: return jet__parse_int(lx, &a->u.i);
    case JET_ATTR_INTS: {
      int64_t *v = NULL;
      JET_RETURN_IF_ERROR(jet__parse_int_list(lx, arena, &v, &a->u.ints.n));
      a->u.ints.v = v;
      return NULL;
    }
    case JET_ATTR_FLOAT: return jet__parse_float(lx, &a->u.f);
    case JET_ATTR_BOOL: return jet__parse_bool(lx, &a->u.b);
    case JET_ATTR_DTYPE: return jet__parse_dtype(lx, &a->u.dtype);
    case JET_ATTR_STR: {
      if (lx->cur.kind != JET__TK_STRING)
        return jet__text_error(&lx->cur, "expected a quoted string");
      char *s = NULL;
      JET_RETURN_IF_ERROR(jet__tok_string(lx, &lx->cur, arena, &s));
      a->u.s = s;
      jet__lex_next(lx);
      return NULL;
    }
    case JET_ATTR_LITERAL: {
      void *data = NULL;
      JET_RETURN_IF_ERROR(
          jet__parse_literal(lx, arena, false, &a->u.lit.type, &data, &a->u.lit.nbytes));
      a->u.lit.data = data;
      return NULL;
    }
  }
  return jet__text_error(&lx->cur, "attribute kind %d has no text syntax", (int)a->kind);
}

jet_status jet_attrs_parse(jet_op op, const char *text, size_t len, jet_arena *arena,
                           jet_attr **attrs, uint32_t *n) {
  if (arena == NULL || attrs == NULL || n == NULL || (text == NULL && len > 0))
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_attrs_parse: NULL argument");
  if (jet_op_get(op) == NULL)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_attrs_parse: op %d is out of range", (int)op);
  *attrs = NULL;
  *n = 0;
  jet_attr *v = jet_arena_calloc(arena, JET_MAX_OP_ATTRS, sizeof *v);
  if (v == NULL) return jet_status_oom("jet_attrs_parse");
  jet__lexer lx;
  jet__lex_init(&lx, text ? text : "", len, arena);
  uint32_t cnt = 0;
  char d[80];
  while (lx.cur.kind != JET__TK_EOF) {
    if (cnt > 0) JET_RETURN_IF_ERROR(jet__expect_punct(&lx, ',', "between attributes"));
    jet__tok name = lx.cur;
    if (name.kind != JET__TK_IDENT)
      return jet__text_error(&name, "expected an attribute name, found %s",
                             jet__tok_describe(&name, d, sizeof d));
    jet__lex_next(&lx);
    JET_RETURN_IF_ERROR(jet__expect_punct(&lx, '=', "after the attribute name"));
    char *nm = NULL;
    JET_RETURN_IF_ERROR(jet__tok_ident_dup(&lx, &name, &nm));
    const jet_attr_spec *spec = jet_op_attr_spec(op, nm);
    if (spec == NULL)
      return jet__text_error(&name, "op '%s' has no attribute '%s'", jet_op_name(op), nm);
    if (jet_attr_find(v, cnt, nm) != NULL)
      return jet__text_error(&name, "attribute '%s' given twice", nm);
    if (cnt == JET_MAX_OP_ATTRS) return jet__text_error(&name, "too many attributes");
    jet_attr *a = &v[cnt];
    a->name = nm;
    a->kind = spec->kind;
    JET_RETURN_IF_ERROR(jet_status_annotate(attr_value(&lx, arena, a), "attribute '%s': ", nm));
    cnt++;
  }
  *attrs = v;
  *n = cnt;
  return NULL;
}

jet_status jet_transforms_parse(const char *text, size_t len, jet_arena *arena,
                                jet_transform **out, uint32_t *n) {
  if (arena == NULL || out == NULL || n == NULL || (text == NULL && len > 0))
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_transforms_parse: NULL argument");
  *out = NULL;
  *n = 0;
  jet__lexer lx;
  jet__lex_init(&lx, text ? text : "", len, arena);
  if (lx.cur.kind == JET__TK_EOF) return NULL;
  jet_transform *v = NULL;
  uint32_t cnt = 0;
  JET_RETURN_IF_ERROR(jet__parse_transforms(&lx, arena, &v, &cnt));
  if (lx.cur.kind != JET__TK_EOF) {
    char d[80];
    return jet__text_error(&lx.cur, "unexpected %s after the transforms list",
                           jet__tok_describe(&lx.cur, d, sizeof d));
  }
  *out = v;
  *n = cnt;
  return NULL;
}
