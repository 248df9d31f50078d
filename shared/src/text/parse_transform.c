/* Parser of the transforms attribute of call nodes:
 *   [grad(argnums=[0], has_aux=true), vmap(in_axes=[0, none], axis_name="i")]
 * Kinds: grad, value_and_grad, jvp, vjp, vmap, pmap, jacfwd, jacrev, hessian
 * (the last three take grad's fields).
 * Fields may come in any order; each at most once; only the fields of the
 * transform's kind are accepted. */
#include <inttypes.h>
#include <string.h>

#include "text_internal.h"

enum {
  F_ARGNUMS = 1u << 0,
  F_ARGNUMS_TUPLE = 1u << 1,
  F_HAS_AUX = 1u << 2,
  F_HOLOMORPHIC = 1u << 3,
  F_ALLOW_INT = 1u << 4,
  F_IN_AXES = 1u << 5,
  F_OUT_AXES = 1u << 6,
  F_AXIS_SIZE = 1u << 7,
  F_AXIS_NAME = 1u << 8,
  F_SPMD_AXIS_NAME = 1u << 9,
  F_STATIC_ARGNUMS = 1u << 10,
  F_DEVICES = 1u << 11,
  F_DONATE_ARGNUMS = 1u << 12,
};

static const struct {
  const char *name;
  unsigned bit;
} k_fields[] = {
    {"argnums", F_ARGNUMS},
    {"argnums_tuple", F_ARGNUMS_TUPLE},
    {"has_aux", F_HAS_AUX},
    {"holomorphic", F_HOLOMORPHIC},
    {"allow_int", F_ALLOW_INT},
    {"in_axes", F_IN_AXES},
    {"out_axes", F_OUT_AXES},
    {"axis_size", F_AXIS_SIZE},
    {"axis_name", F_AXIS_NAME},
    {"spmd_axis_name", F_SPMD_AXIS_NAME},
    {"static_broadcasted_argnums", F_STATIC_ARGNUMS},
    {"devices", F_DEVICES},
    {"donate_argnums", F_DONATE_ARGNUMS},
};

static unsigned kind_fields(jet_transform_kind k) {
  switch (k) {
    case JET_TF_GRAD:
    case JET_TF_VALUE_AND_GRAD:
    case JET_TF_JACFWD:
    case JET_TF_JACREV:
    case JET_TF_HESSIAN:
      return F_ARGNUMS | F_ARGNUMS_TUPLE | F_HAS_AUX | F_HOLOMORPHIC | F_ALLOW_INT;
    case JET_TF_JVP:
    case JET_TF_VJP:
      return F_HAS_AUX;
    case JET_TF_VMAP:
      return F_IN_AXES | F_OUT_AXES | F_AXIS_SIZE | F_AXIS_NAME | F_SPMD_AXIS_NAME;
    case JET_TF_PMAP:
      return F_AXIS_NAME | F_IN_AXES | F_OUT_AXES | F_STATIC_ARGNUMS | F_DEVICES | F_AXIS_SIZE |
             F_DONATE_ARGNUMS;
  }
  return 0;
}

/* [1, 2] as int32 values within [lo, hi]. */
static jet_status parse_i32_list(jet__lexer *lx, jet_arena *arena, int64_t lo, int64_t hi,
                                 int32_t **out, uint32_t *n) {
  jet__tok start = lx->cur;
  int64_t *v = NULL;
  uint32_t cnt = 0;
  JET_RETURN_IF_ERROR(jet__parse_int_list(lx, arena, &v, &cnt));
  int32_t *r = jet_arena_calloc(arena, cnt ? cnt : 1, sizeof *r);
  if (r == NULL) return jet_status_oom("transform list");
  for (uint32_t i = 0; i < cnt; i++) {
    if (v[i] < lo || v[i] > hi)
      return jet__text_error(&start, "element %" PRIu32 " (%" PRId64 ") is out of range [%" PRId64
                             ", %" PRId64 "]", i, v[i], lo, hi);
    r[i] = (int32_t)v[i];
  }
  *out = r;
  *n = cnt;
  return NULL;
}

/* [0, -1, none] */
static jet_status parse_axes(jet__lexer *lx, jet_arena *arena, jet_axis_spec **out, uint32_t *n) {
  JET_RETURN_IF_ERROR(jet__expect_punct(lx, '[', "to open a list of axes"));
  uint32_t cap = 8, cnt = 0;
  jet_axis_spec *v = jet_arena_calloc(arena, cap, sizeof *v);
  if (v == NULL) return jet_status_oom("transform axes");
  while (!jet__tok_is_punct(&lx->cur, ']')) {
    if (cnt > 0) JET_RETURN_IF_ERROR(jet__expect_punct(lx, ',', "between axes"));
    if (cnt == cap) {
      if (cap > (1u << 24)) return jet__text_error(&lx->cur, "list of axes too long");
      jet_axis_spec *nv = jet_arena_calloc(arena, (size_t)cap * 2, sizeof *nv);
      if (nv == NULL) return jet_status_oom("transform axes");
      memcpy(nv, v, cap * sizeof *v);
      v = nv;
      cap *= 2;
    }
    if (jet__tok_is_ident(&lx->cur, "none")) {
      v[cnt].mapped = false;
      v[cnt].axis = 0;
      jet__lex_next(lx);
    } else {
      jet__tok at = lx->cur;
      int64_t a = 0;
      JET_RETURN_IF_ERROR(jet__parse_int(lx, &a));
      if (a < INT32_MIN || a > INT32_MAX) return jet__text_error(&at, "axis %" PRId64 " out of range", a);
      v[cnt].mapped = true;
      v[cnt].axis = (int32_t)a;
    }
    cnt++;
  }
  jet__lex_next(lx);
  *out = v;
  *n = cnt;
  return NULL;
}

static jet_status parse_string_value(jet__lexer *lx, jet_arena *arena, const char **out) {
  if (lx->cur.kind != JET__TK_STRING) {
    char d[80];
    return jet__text_error(&lx->cur, "expected a quoted string, found %s",
                           jet__tok_describe(&lx->cur, d, sizeof d));
  }
  char *s = NULL;
  JET_RETURN_IF_ERROR(jet__tok_string(lx, &lx->cur, arena, &s));
  jet__lex_next(lx);
  *out = s;
  return NULL;
}

static jet_status parse_field(jet__lexer *lx, jet_arena *arena, unsigned bit, jet_transform *t) {
  switch (bit) {
    case F_ARGNUMS: {
      int32_t *v = NULL;
      JET_RETURN_IF_ERROR(parse_i32_list(lx, arena, 0, INT32_MAX, &v, &t->n_argnums));
      t->argnums = v;
      return NULL;
    }
    case F_STATIC_ARGNUMS: {
      int32_t *v = NULL;
      JET_RETURN_IF_ERROR(parse_i32_list(lx, arena, 0, INT32_MAX, &v, &t->n_static_argnums));
      t->static_broadcasted_argnums = v;
      return NULL;
    }
    case F_DONATE_ARGNUMS: {
      int32_t *v = NULL;
      JET_RETURN_IF_ERROR(parse_i32_list(lx, arena, 0, INT32_MAX, &v, &t->n_donate_argnums));
      t->donate_argnums = v;
      return NULL;
    }
    case F_DEVICES: {
      int32_t *v = NULL;
      uint32_t n = 0;
      JET_RETURN_IF_ERROR(parse_i32_list(lx, arena, 0, INT32_MAX, &v, &n));
      uint32_t *d = jet_arena_calloc(arena, n ? n : 1, sizeof *d);
      if (d == NULL) return jet_status_oom("transform devices");
      for (uint32_t i = 0; i < n; i++) d[i] = (uint32_t)v[i];
      t->devices = d;
      t->n_devices = n;
      return NULL;
    }
    case F_ARGNUMS_TUPLE: return jet__parse_bool(lx, &t->argnums_tuple);
    case F_HAS_AUX: return jet__parse_bool(lx, &t->has_aux);
    case F_HOLOMORPHIC: return jet__parse_bool(lx, &t->holomorphic);
    case F_ALLOW_INT: return jet__parse_bool(lx, &t->allow_int);
    case F_IN_AXES: {
      jet_axis_spec *v = NULL;
      JET_RETURN_IF_ERROR(parse_axes(lx, arena, &v, &t->n_in_axes));
      t->in_axes = v;
      return NULL;
    }
    case F_OUT_AXES: {
      jet_axis_spec *v = NULL;
      JET_RETURN_IF_ERROR(parse_axes(lx, arena, &v, &t->n_out_axes));
      t->out_axes = v;
      return NULL;
    }
    case F_AXIS_SIZE: {
      jet__tok at = lx->cur;
      JET_RETURN_IF_ERROR(jet__parse_int(lx, &t->axis_size));
      if (t->axis_size < 0) return jet__text_error(&at, "axis_size must be >= 0");
      return NULL;
    }
    case F_AXIS_NAME: return parse_string_value(lx, arena, &t->axis_name);
    case F_SPMD_AXIS_NAME: return parse_string_value(lx, arena, &t->spmd_axis_name);
  }
  return jet__text_error(&lx->cur, "unknown transform field");
}

static jet_status parse_transform(jet__lexer *lx, jet_arena *arena, jet_transform *t) {
  char d[80];
  memset(t, 0, sizeof *t);
  t->axis_name = "";
  t->spmd_axis_name = "";
  jet__tok name = lx->cur;
  jet_transform_kind k = 0;
  if (name.kind == JET__TK_IDENT) k = jet_transform_from_name(name.p, name.n);
  if (k == 0)
    return jet__text_error(&name, "expected a transform (grad, value_and_grad, jvp, vjp, vmap, "
                           "pmap, jacfwd, jacrev, hessian), found %s", jet__tok_describe(&name, d, sizeof d));
  t->kind = k;
  jet__lex_next(lx);
  JET_RETURN_IF_ERROR(jet__expect_punct(lx, '(', "after the transform name"));
  unsigned allowed = kind_fields(k), seen = 0;
  while (!jet__tok_is_punct(&lx->cur, ')')) {
    if (seen) JET_RETURN_IF_ERROR(jet__expect_punct(lx, ',', "between transform fields"));
    jet__tok f = lx->cur;
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof k_fields / sizeof k_fields[0] && f.kind == JET__TK_IDENT; i++)
      if (jet__tok_is_ident(&f, k_fields[i].name)) bit = k_fields[i].bit;
    if (bit == 0 || !(allowed & bit))
      return jet__text_error(&f, "%s has no field %s", jet_transform_name(k),
                             jet__tok_describe(&f, d, sizeof d));
    if (seen & bit)
      return jet__text_error(&f, "field %s given twice", jet__tok_describe(&f, d, sizeof d));
    seen |= bit;
    jet__lex_next(lx);
    JET_RETURN_IF_ERROR(jet__expect_punct(lx, '=', "after the field name"));
    JET_RETURN_IF_ERROR(parse_field(lx, arena, bit, t));
  }
  jet__lex_next(lx);
  return NULL;
}

jet_status jet__parse_transforms(jet__lexer *lx, jet_arena *arena, jet_transform **out,
                                 uint32_t *n) {
  JET_RETURN_IF_ERROR(jet__expect_punct(lx, '[', "to open the transforms list"));
  uint32_t cap = 4, cnt = 0;
  jet_transform *v = jet_arena_calloc(arena, cap, sizeof *v);
  if (v == NULL) return jet_status_oom("transforms");
  while (!jet__tok_is_punct(&lx->cur, ']')) {
    if (cnt > 0) JET_RETURN_IF_ERROR(jet__expect_punct(lx, ',', "between transforms"));
    if (cnt == cap) {
      if (cap > 4096) return jet__text_error(&lx->cur, "too many transforms");
      jet_transform *nv = jet_arena_calloc(arena, (size_t)cap * 2, sizeof *nv);
      if (nv == NULL) return jet_status_oom("transforms");
      memcpy(nv, v, cap * sizeof *v);
      v = nv;
      cap *= 2;
    }
    JET_RETURN_IF_ERROR(parse_transform(lx, arena, &v[cnt]));
    cnt++;
  }
  jet__lex_next(lx);
  *out = v;
  *n = cnt;
  return NULL;
}
