/* jet_graph_parse: the text form back into a graph (grammar in README.md).
 * Builds with the graph builder, so every node is checked (and its result
 * types inferred) as it is read; errors carry the line and column. */
#include <inttypes.h>
#include <string.h>

#include "jet/infer.h"
#include "jet/text.h"
#include "text_internal.h"

#define MAX_NESTING 256

typedef struct parser {
  jet__lexer lx;
  bool check;
} parser;

static jet_status unexpected(const jet__tok *t, const char *expected) {
  char d[80];
  return jet__text_error(t, "expected %s, found %s", expected, jet__tok_describe(t, d, sizeof d));
}

/* Grows a scratch array of elem-sized items when *n == *cap. */
static jet_status grow(jet_arena *a, void **v, uint32_t n, uint32_t *cap, size_t elem) {
  if (n < *cap) return NULL;
  uint32_t nc = *cap ? *cap * 2 : 8;
  if (nc < *cap || nc > (1u << 26)) return jet_status_make(JET_INVALID_ARGUMENT, "list too long");
  void *nv = jet_arena_alloc(a, (size_t)nc * elem);
  if (nv == NULL) return jet_status_oom("text parser list");
  if (n) memcpy(nv, *v, (size_t)n * elem);
  *v = nv;
  *cap = nc;
  return NULL;
}

static jet_status parse_value_ref(parser *ps, const jet_graph *g, jet_value *out) {
  jet__tok t = ps->lx.cur;
  if (t.kind != JET__TK_VALUE) return unexpected(&t, "a value (%N)");
  if (t.value >= g->n_values)
    return jet__text_error(&t, "value %%%" PRIu64 " is not defined", t.value);
  *out = (jet_value)t.value;
  jet__lex_next(&ps->lx);
  return NULL;
}

static jet_status parse_attr_value(parser *ps, const jet_graph *g, jet_attr *a) {
  jet__lexer *lx = &ps->lx;
  switch (a->kind) {
    case JET_ATTR_INT: return jet__parse_int(lx, &a->u.i);
    case JET_ATTR_INTS: {
      int64_t *v = NULL;
      JET_RETURN_IF_ERROR(jet__parse_int_list(lx, lx->scratch, &v, &a->u.ints.n));
      a->u.ints.v = v;
      return NULL;
    }
    case JET_ATTR_FLOAT: return jet__parse_float(lx, &a->u.f);
    case JET_ATTR_BOOL: return jet__parse_bool(lx, &a->u.b);
    case JET_ATTR_DTYPE: return jet__parse_dtype(lx, &a->u.dtype);
    case JET_ATTR_STR: {
      if (lx->cur.kind != JET__TK_STRING) return unexpected(&lx->cur, "a quoted string");
      char *s = NULL;
      JET_RETURN_IF_ERROR(jet__tok_string(lx, &lx->cur, lx->scratch, &s));
      a->u.s = s;
      jet__lex_next(lx);
      return NULL;
    }
    case JET_ATTR_LITERAL: {
      void *data = NULL;
      JET_RETURN_IF_ERROR(jet__parse_literal(lx, lx->scratch, false, &a->u.lit.type, &data,
                                             &a->u.lit.nbytes));
      a->u.lit.data = data;
      return NULL;
    }
  }
  return jet__text_error(&lx->cur, "attribute kind %d has no text syntax", (int)a->kind);
}

typedef struct node_attrs {
  jet_attr attrs[JET_MAX_OP_ATTRS];
  uint32_t n;
  jet_transform *tf;
  uint32_t n_tf;
} node_attrs;

/* [name=value, ...] after the op name (the '[' is current). */
static jet_status parse_attrs(parser *ps, const jet_graph *g, jet_op op, node_attrs *na) {
  jet__lexer *lx = &ps->lx;
  char d[80];
  bool have_tf = false;
  jet__lex_next(lx);
  while (!jet__tok_is_punct(&lx->cur, ']')) {
    if (na->n > 0 || have_tf) JET_RETURN_IF_ERROR(jet__expect_punct(lx, ',', "between attributes"));
    jet__tok name = lx->cur;
    if (name.kind != JET__TK_IDENT) return unexpected(&name, "an attribute name");
    jet__lex_next(lx);
    JET_RETURN_IF_ERROR(jet__expect_punct(lx, '=', "after the attribute name"));
    if (op == JET_OP_CALL && jet__tok_is_ident(&name, "transforms")) {
      if (have_tf) return jet__text_error(&name, "attribute 'transforms' given twice");
      have_tf = true;
      JET_RETURN_IF_ERROR(jet__parse_transforms(lx, lx->scratch, &na->tf, &na->n_tf));
      continue;
    }
    char *nm = NULL;
    JET_RETURN_IF_ERROR(jet__tok_ident_dup(lx, &name, &nm));
    const jet_attr_spec *spec = jet_op_attr_spec(op, nm);
    if (spec == NULL)
      return jet__text_error(&name, "op '%s' has no attribute %s", jet_op_name(op),
                             jet__tok_describe(&name, d, sizeof d));
    if (jet_attr_find(na->attrs, na->n, nm) != NULL)
      return jet__text_error(&name, "attribute '%s' given twice", nm);
    if (na->n == JET_MAX_OP_ATTRS) return jet__text_error(&name, "too many attributes");
    jet_attr *a = &na->attrs[na->n];
    memset(a, 0, sizeof *a);
    a->name = nm;
    a->kind = spec->kind;
    JET_RETURN_IF_ERROR(parse_attr_value(ps, g, a));
    na->n++;
  }
  jet__lex_next(lx);
  return NULL;
}

static jet_status parse_graph(parser *ps, jet_graph *parent, int depth, jet_graph **out);

static jet_status parse_node(parser *ps, jet_graph *g, int depth) {
  jet__lexer *lx = &ps->lx;
  jet_arena *scratch = lx->scratch;
  jet__tok start = lx->cur;
  char d[80];

  /* %a, %b = */
  uint32_t n_res = 0;
  if (lx->cur.kind == JET__TK_VALUE) {
    for (;;) {
      jet__tok t = lx->cur;
      if (t.kind != JET__TK_VALUE) return unexpected(&t, "a result value (%N)");
      uint64_t want = (uint64_t)g->n_values + n_res;
      if (t.value != want)
        return jet__text_error(&t, "result %%%" PRIu64 " should be %%%" PRIu64
                               ": values are numbered consecutively", t.value, want);
      n_res++;
      jet__lex_next(lx);
      if (!jet__tok_is_punct(&lx->cur, ',')) break;
      jet__lex_next(lx);
    }
    JET_RETURN_IF_ERROR(jet__expect_punct(lx, '=', "after the result values"));
  }

  jet__tok op_tok = lx->cur;
  if (op_tok.kind != JET__TK_IDENT) return unexpected(&op_tok, "an op name");
  jet_op op = jet_op_from_name(op_tok.p, op_tok.n);
  if (op == JET_OP_COUNT)
    return jet__text_error(&op_tok, "unknown op %s", jet__tok_describe(&op_tok, d, sizeof d));
  jet__lex_next(lx);

  node_attrs na;
  memset(&na, 0, sizeof na);
  if (jet__tok_is_punct(&lx->cur, '[')) JET_RETURN_IF_ERROR(parse_attrs(ps, g, op, &na));

  jet_value *operands = NULL;
  uint32_t n_opnd = 0, cap_opnd = 0;
  if (lx->cur.kind == JET__TK_VALUE) {
    for (;;) {
      JET_RETURN_IF_ERROR(grow(scratch, (void **)&operands, n_opnd, &cap_opnd, sizeof *operands));
      JET_RETURN_IF_ERROR(parse_value_ref(ps, g, &operands[n_opnd]));
      n_opnd++;
      if (!jet__tok_is_punct(&lx->cur, ',')) break;
      jet__lex_next(lx);
    }
  }

  jet_type *types = NULL;
  uint32_t n_types = 0, cap_types = 0;
  jet__tok types_tok = lx->cur;
  if (jet__tok_is_punct(&lx->cur, ':')) {
    jet__lex_next(lx);
    types_tok = lx->cur;
    for (;;) {
      JET_RETURN_IF_ERROR(grow(scratch, (void **)&types, n_types, &cap_types, sizeof *types));
      JET_RETURN_IF_ERROR(jet__parse_type(lx, &types[n_types]));
      n_types++;
      if (!jet__tok_is_punct(&lx->cur, ',')) break;
      jet__lex_next(lx);
    }
  }
  if (n_types != n_res)
    return jet__text_error(&types_tok, "%" PRIu32 " result types given for %" PRIu32 " results",
                           n_types, n_res);

  jet_graph *callee = NULL;
  if (op == JET_OP_CALL) {
    JET_RETURN_IF_ERROR(jet__expect_punct(lx, '{', "to open the callee of call"));
    if (depth >= MAX_NESTING)
      return jet__text_error(&lx->cur, "callees nested deeper than %d", MAX_NESTING);
    JET_RETURN_IF_ERROR(parse_graph(ps, g, depth + 1, &callee));
    JET_RETURN_IF_ERROR(jet__expect_punct(lx, '}', "to close the callee of call"));
  }
  /* Control-flow sub-graphs: { graph ... graph ... } */
  jet_graph **subs = NULL;
  uint32_t n_subs = 0, cap_subs = 0;
  if (op != JET_OP_CALL && jet__tok_is_punct(&lx->cur, '{')) {
    jet__lex_next(lx);
    if (depth >= MAX_NESTING)
      return jet__text_error(&lx->cur, "sub-graphs nested deeper than %d", MAX_NESTING);
    while (!jet__tok_is_punct(&lx->cur, '}')) {
      JET_RETURN_IF_ERROR(grow(scratch, (void **)&subs, n_subs, &cap_subs, sizeof *subs));
      JET_RETURN_IF_ERROR(parse_graph(ps, g, depth + 1, &subs[n_subs]));
      n_subs++;
    }
    jet__lex_next(lx);
  }

  uint32_t node_index = g->n_nodes;
  jet_status st;
  if (ps->check && n_subs) {
    st = jet_graph_add_node_sub(g, op, operands, n_opnd, na.attrs, na.n, subs, n_subs, NULL);
  } else if (ps->check) {
    st = jet_graph_add_node(g, op, operands, n_opnd, na.attrs, na.n, callee, na.tf, na.n_tf, NULL);
  } else {
    st = jet_graph_append_node_sub(g, op, operands, n_opnd, na.attrs, na.n, types, n_types, callee,
                                   subs, n_subs, na.tf, na.n_tf, NULL);
  }
  if (st) return jet__text_wrap(&start, st);
  if (g->n_nodes != node_index + 1)
    return jet__text_error(&start, "node was not added to the graph");
  const jet_node *node = &g->nodes[node_index];
  if (node->n_results != n_res)
    return jet__text_error(&start, "node %" PRIu32 " (%s) has %" PRIu32 " results but %" PRIu32
                           " are written", node_index, jet_op_name(op), node->n_results, n_res);
  for (uint32_t r = 0; r < n_res; r++) {
    if (!jet_type_equal(&node->results[r], &types[r])) {
      char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
      return jet__text_error(&start, "node %" PRIu32 " (%s) result %" PRIu32
                             " is written as %s but inference gives %s", node_index,
                             jet_op_name(op), r, jet_type_str(&types[r], a, sizeof a),
                             jet_type_str(&node->results[r], b, sizeof b));
    }
  }
  return NULL;
}

static jet_status parse_graph(parser *ps, jet_graph *parent, int depth, jet_graph **out) {
  jet__lexer *lx = &ps->lx;
  jet__tok start = lx->cur;
  if (!jet__tok_is_ident(&start, "graph")) return unexpected(&start, "'graph'");
  jet__lex_next(lx);
  const char *name = "";
  char *dup = NULL;
  if (lx->cur.kind == JET__TK_IDENT) {
    JET_RETURN_IF_ERROR(jet__tok_ident_dup(lx, &lx->cur, &dup));
    name = dup;
    jet__lex_next(lx);
  } else if (lx->cur.kind == JET__TK_STRING) {
    JET_RETURN_IF_ERROR(jet__tok_string(lx, &lx->cur, lx->scratch, &dup));
    name = dup;
    jet__lex_next(lx);
  }
  jet_graph *g = parent ? jet_graph_create_child(parent, name) : jet_graph_create(name);
  if (g == NULL) return jet_status_oom("parsed graph");
  *out = g; /* a root is destroyed by the caller even on error */

  JET_RETURN_IF_ERROR(jet__expect_punct(lx, '(', "to open the parameter list"));
  while (!jet__tok_is_punct(&lx->cur, ')')) {
    if (g->n_params > 0) JET_RETURN_IF_ERROR(jet__expect_punct(lx, ',', "between parameters"));
    jet__tok t = lx->cur;
    if (t.kind != JET__TK_VALUE) return unexpected(&t, "a parameter (%N: type)");
    if (t.value != g->n_params)
      return jet__text_error(&t, "parameter %%%" PRIu64 " should be %%%" PRIu32
                             ": values are numbered consecutively", t.value, g->n_params);
    jet__lex_next(lx);
    JET_RETURN_IF_ERROR(jet__expect_punct(lx, ':', "after the parameter"));
    jet_type ty;
    jet__tok type_tok = lx->cur;
    JET_RETURN_IF_ERROR(jet__parse_type(lx, &ty));
    JET_RETURN_IF_ERROR(jet__text_wrap(&type_tok, jet_graph_add_param(g, &ty, NULL)));
  }
  jet__lex_next(lx);
  JET_RETURN_IF_ERROR(jet__expect_punct(lx, '{', "to open the graph body"));

  for (;;) {
    if (jet__tok_is_ident(&lx->cur, "return")) break;
    if (jet__tok_is_punct(&lx->cur, '}'))
      return jet__text_error(&lx->cur, "missing 'return' before '}' of graph '%s'", g->name);
    if (lx->cur.kind == JET__TK_EOF)
      return jet__text_error(&lx->cur, "unexpected end of input: missing 'return' in graph '%s'",
                             g->name);
    JET_RETURN_IF_ERROR(parse_node(ps, g, depth));
  }
  jet__lex_next(lx);
  jet_value *outs = NULL;
  uint32_t n_out = 0, cap_out = 0;
  if (lx->cur.kind == JET__TK_VALUE) {
    for (;;) {
      JET_RETURN_IF_ERROR(grow(lx->scratch, (void **)&outs, n_out, &cap_out, sizeof *outs));
      JET_RETURN_IF_ERROR(parse_value_ref(ps, g, &outs[n_out]));
      n_out++;
      if (!jet__tok_is_punct(&lx->cur, ',')) break;
      jet__lex_next(lx);
    }
  }
  JET_RETURN_IF_ERROR(jet__text_wrap(&start, jet_graph_set_outputs(g, outs, n_out)));
  return jet__expect_punct(lx, '}', "to close the graph");
}

jet_status jet__graph_parse_mode(const char *text, size_t len, bool check, jet_graph **out) {
  if (text == NULL || out == NULL)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_graph_parse: NULL argument");
  *out = NULL;
  jet_arena *scratch = jet_arena_create(16384);
  if (scratch == NULL) return jet_status_oom("text parser");
  parser ps;
  ps.check = check;
  jet__lex_init(&ps.lx, text, len, scratch);
  jet__tok start = ps.lx.cur;
  jet_graph *g = NULL;
  jet_status st = parse_graph(&ps, NULL, 0, &g);
  if (st == NULL && ps.lx.cur.kind != JET__TK_EOF) {
    char d[80];
    st = jet__text_error(&ps.lx.cur, "unexpected %s after the graph",
                         jet__tok_describe(&ps.lx.cur, d, sizeof d));
  }
  if (st == NULL && check) st = jet__text_wrap(&start, jet_graph_validate(g, NULL, 0));
  jet_arena_destroy(scratch);
  if (st != NULL) {
    jet_graph_destroy(g);
    return st;
  }
  *out = g;
  return NULL;
}

jet_status jet_graph_parse(const char *text, size_t len, jet_graph **out) {
  return jet__graph_parse_mode(text, len, true, out);
}
