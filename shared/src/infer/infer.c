/* jet_infer: generic checks (operand count, attribute schema, operand types,
 * dtype attributes), then the op's shape rule from the ops.def rule table,
 * then a final check of the inferred result types. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "infer_internal.h"

/* The rule table: a rule missing from the sources is a link error. */
static const jet_infer_rule rule_table[JET_OP_COUNT] = {
#define JET_OP(E, name, nopnd, rule, dtm, attrs) [JET_OP_##E] = jet__rule_##rule,
#include "jet/ops.def"
#undef JET_OP
};

jet_status jet__infer_check_dtype(int d, const char *what) {
  if (!jet_dtype_valid(d)) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%s has invalid dtype %d", what, d);
  }
  if (!jet_dtype_supported((jet_dtype)d)) {
    return jet_status_make(JET_UNIMPLEMENTED, "%s: dtype %s is reserved and not supported yet",
                           what, jet_dtype_name((jet_dtype)d));
  }
  return NULL;
}

jet_status jet__infer_check_type(const jet_type *t, const char *what) {
  JET_RETURN_IF_ERROR(jet__infer_check_dtype((int)t->dtype, what));
  return jet_type_check(t, what);
}

jet_type jet__type(jet_dtype dtype, int32_t rank, const int64_t *dims) {
  jet_type t;
  memset(&t, 0, sizeof t);
  t.dtype = dtype;
  t.rank = rank;
  for (int32_t i = 0; dims && i < rank && i < JET_MAX_RANK; i++) t.dims[i] = dims[i];
  return t;
}

jet_status jet__infer_emit(jet_infer_args *a, const jet_type *t) {
  if (a->n_out >= a->out_cap) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "op %s produces more than the %" PRIu32 " results there is room for",
                           a->info->name, a->out_cap);
  }
  a->out[a->n_out++] = *t;
  return NULL;
}

static void mask_str(uint32_t mask, char *buf, size_t cap) {
  size_t len = 0;
  buf[0] = '\0';
  for (int d = 1; d < JET_DTYPE_COUNT; d++) {
    if (!(mask & JET_DT_BIT(d))) continue;
    int w = snprintf(buf + len, cap - len, "%s%s", len ? ", " : "", jet_dtype_name((jet_dtype)d));
    if (w < 0 || (size_t)w >= cap - len) return;
    len += (size_t)w;
  }
}

jet_status jet__infer_operand_dtype(const jet_infer_args *a, uint32_t i, uint32_t mask,
                                    const char *need) {
  jet_dtype d = a->in[i].dtype;
  if (mask & JET_DT_BIT(d)) return NULL;
  char ms[128];
  char ts[JET_TYPE_STR_MAX];
  mask_str(mask, ms, sizeof ms);
  return jet_status_make(JET_INVALID_ARGUMENT, "operand %" PRIu32 " has type %s; %s needs %s (%s)",
                         i, JET__TS(&a->in[i], ts), a->info->name, need, ms);
}

jet_status jet__infer_operand_in_mask(const jet_infer_args *a, uint32_t i) {
  return jet__infer_operand_dtype(a, i, a->info->dtype_mask, "one of the dtypes");
}

jet_status jet__infer_same_dtype(const jet_infer_args *a, uint32_t i, uint32_t j) {
  if (a->in[i].dtype == a->in[j].dtype) return NULL;
  char ti[JET_TYPE_STR_MAX], tj[JET_TYPE_STR_MAX];
  return jet_status_make(JET_INVALID_ARGUMENT,
                         "operand %" PRIu32 " has type %s but operand %" PRIu32
                         " has %s (dtypes must be equal)",
                         j, JET__TS(&a->in[j], tj), i, JET__TS(&a->in[i], ti));
}

const jet_attr *jet__infer_attr(const jet_infer_args *a, const char *name) {
  for (uint32_t i = 0; i < a->n_attrs; i++) {
    if (strcmp(a->attrs[i].name, name) == 0) return &a->attrs[i];
  }
  return NULL;
}

int64_t jet__infer_attr_int(const jet_infer_args *a, const char *name, int64_t dflt) {
  const jet_attr *at = jet__infer_attr(a, name);
  return at ? at->u.i : dflt;
}

bool jet__infer_attr_ints(const jet_infer_args *a, const char *name, const int64_t **v,
                          uint32_t *n) {
  const jet_attr *at = jet__infer_attr(a, name);
  if (!at) {
    *v = NULL;
    *n = 0;
    return false;
  }
  *v = at->u.ints.v;
  *n = at->u.ints.n;
  return true;
}

jet_status jet__infer_ints_len(const char *name, uint32_t n, int64_t want) {
  if ((int64_t)n == want) return NULL;
  return jet_status_make(JET_INVALID_ARGUMENT,
                         "attribute '%s' has %" PRIu32 " entries, expected %" PRId64, name, n,
                         want);
}

jet_status jet__infer_axis(const char *name, uint32_t idx, int64_t x, int32_t rank, bool allow_neg,
                           int32_t *out) {
  int64_t y = x;
  if (allow_neg && y < 0 && y >= -(int64_t)rank) y += rank;
  if (y < 0 || y >= rank) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute '%s' entry %" PRIu32 " is %" PRId64
                           ", out of range for rank %" PRId32,
                           name, idx, x, rank);
  }
  *out = (int32_t)y;
  return NULL;
}

jet_status jet__infer_axes(const char *name, const int64_t *v, uint32_t n, int32_t rank,
                           bool allow_neg, bool sorted, int32_t *axes) {
  if ((int64_t)n > rank) {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "attribute '%s' has %" PRIu32 " entries, more than the rank %" PRId32,
                           name, n, rank);
  }
  bool seen[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < n; i++) {
    JET_RETURN_IF_ERROR(jet__infer_axis(name, i, v[i], rank, allow_neg, &axes[i]));
    if (seen[axes[i]]) {
      return jet_status_make(JET_INVALID_ARGUMENT, "attribute '%s' repeats dimension %" PRId32,
                             name, axes[i]);
    }
    seen[axes[i]] = true;
    if (sorted && i > 0 && axes[i] < axes[i - 1]) {
      return jet_status_make(JET_INVALID_ARGUMENT, "attribute '%s' must be sorted", name);
    }
  }
  return NULL;
}

bool jet__add64(int64_t x, int64_t y, int64_t *out) {
  if ((y > 0 && x > INT64_MAX - y) || (y < 0 && x < INT64_MIN - y)) return false;
  *out = x + y;
  return true;
}

bool jet__mul64(int64_t x, int64_t y, int64_t *out) {
  if (x == 0 || y == 0) {
    *out = 0;
    return true;
  }
  /* Only used with non-negative factors in the rules. */
  if (x < 0 || y < 0 || x > INT64_MAX / y) return false;
  *out = x * y;
  return true;
}

const char *jet__ints_str(const int64_t *v, uint32_t n, char *buf, size_t cap) {
  size_t len = 0;
  int w = snprintf(buf, cap, "[");
  len = (w > 0) ? (size_t)w : 0;
  for (uint32_t i = 0; i < n && len < cap; i++) {
    if (len + 24 >= cap) {
      snprintf(buf + len, cap - len, "...");
      len = cap;
      break;
    }
    w = snprintf(buf + len, cap - len, "%s%" PRId64, i ? "," : "", v[i]);
    if (w < 0) break;
    len += (size_t)w;
  }
  if (len < cap) snprintf(buf + len, cap - len, "]");
  return buf;
}

/* Schema check: every attribute named, known, of the right kind, once;
 * required ones present; payloads well formed. */
static jet_status check_attrs(const jet_infer_args *a) {
  const jet_op_info *info = a->info;
  if (a->n_attrs > 0 && !a->attrs) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%" PRIu32 " attributes but no attribute array",
                           a->n_attrs);
  }
  for (uint32_t i = 0; i < a->n_attrs; i++) {
    const jet_attr *at = &a->attrs[i];
    if (!at->name) {
      return jet_status_make(JET_INVALID_ARGUMENT, "attribute %" PRIu32 " has no name", i);
    }
    const jet_attr_spec *spec = NULL;
    for (uint32_t k = 0; k < info->n_attrs; k++) {
      if (strcmp(info->attrs[k].name, at->name) == 0) spec = &info->attrs[k];
    }
    if (!spec) {
      return jet_status_make(JET_INVALID_ARGUMENT, "unknown attribute '%s' for op %s", at->name,
                             info->name);
    }
    for (uint32_t j = 0; j < i; j++) {
      if (strcmp(a->attrs[j].name, at->name) == 0) {
        return jet_status_make(JET_INVALID_ARGUMENT, "duplicate attribute '%s'", at->name);
      }
    }
    if (at->kind != spec->kind) {
      const char *got = (at->kind >= JET_ATTR_INT && at->kind <= JET_ATTR_LITERAL)
                            ? jet_attr_kind_name(at->kind)
                            : "an invalid kind";
      return jet_status_make(JET_INVALID_ARGUMENT, "attribute '%s' must be %s, got %s", at->name,
                             jet_attr_kind_name(spec->kind), got);
    }
    char what[96];
    switch (at->kind) {
      case JET_ATTR_INTS:
        if (at->u.ints.n > 0 && !at->u.ints.v) {
          return jet_status_make(JET_INVALID_ARGUMENT,
                                 "attribute '%s' has %" PRIu32 " entries but no data", at->name,
                                 at->u.ints.n);
        }
        break;
      case JET_ATTR_DTYPE:
        snprintf(what, sizeof what, "attribute '%s'", at->name);
        JET_RETURN_IF_ERROR(jet__infer_check_dtype((int)at->u.dtype, what));
        break;
      case JET_ATTR_STR:
        if (!at->u.s) {
          return jet_status_make(JET_INVALID_ARGUMENT, "attribute '%s' has no string", at->name);
        }
        break;
      case JET_ATTR_LITERAL: {
        const jet_literal *lit = &at->u.lit;
        snprintf(what, sizeof what, "attribute '%s'", at->name);
        JET_RETURN_IF_ERROR(jet__infer_check_type(&lit->type, what));
        size_t want = jet_type_nbytes(&lit->type);
        if (lit->nbytes != want) {
          return jet_status_make(JET_INVALID_ARGUMENT,
                                 "attribute '%s' has %zu bytes of data but its type needs %zu",
                                 at->name, lit->nbytes, want);
        }
        if (want > 0 && !lit->data) {
          return jet_status_make(JET_INVALID_ARGUMENT, "attribute '%s' has no data", at->name);
        }
        break;
      }
      default:
        break;
    }
  }
  for (uint32_t k = 0; k < info->n_attrs; k++) {
    if (info->attrs[k].optional) continue;
    bool found = false;
    for (uint32_t i = 0; i < a->n_attrs && !found; i++) {
      found = strcmp(a->attrs[i].name, info->attrs[k].name) == 0;
    }
    if (!found) {
      return jet_status_make(JET_INVALID_ARGUMENT, "missing required attribute '%s'",
                             info->attrs[k].name);
    }
  }
  return NULL;
}

jet_status jet_infer(jet_op op, const jet_type *operand_types, uint32_t n_operands,
                     const jet_attr *attrs, uint32_t n_attrs, const jet_graph *callee,
                     const jet_transform *transforms, uint32_t n_transforms, jet_type *results,
                     uint32_t results_cap, uint32_t *n_results) {
  return jet_infer_sub(op, operand_types, n_operands, attrs, n_attrs, callee, NULL, 0, transforms,
                       n_transforms, results, results_cap, n_results);
}

jet_status jet_infer_sub(jet_op op, const jet_type *operand_types, uint32_t n_operands,
                         const jet_attr *attrs, uint32_t n_attrs, const jet_graph *callee,
                         jet_graph *const *subgraphs, uint32_t n_subgraphs,
                         const jet_transform *transforms, uint32_t n_transforms,
                         jet_type *results, uint32_t results_cap, uint32_t *n_results) {
  if (n_results) *n_results = 0;
  const jet_op_info *info = jet_op_get(op);
  if (!info || (int)op < 0 || (int)op >= JET_OP_COUNT) {
    return jet_status_make(JET_INVALID_ARGUMENT, "invalid op %d", (int)op);
  }
  if (!n_results || (results_cap > 0 && !results)) {
    return jet_status_make(JET_INVALID_ARGUMENT, "no room for the results of %s", info->name);
  }
  if (n_operands > 0 && !operand_types) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: %" PRIu32 " operands but no operand types",
                           info->name, n_operands);
  }
  if (info->n_operands >= 0 && n_operands != (uint32_t)info->n_operands) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%s takes %d operand%s, got %" PRIu32, info->name,
                           info->n_operands, info->n_operands == 1 ? "" : "s", n_operands);
  }
  if (op != JET_OP_CALL && (callee || n_transforms > 0)) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%s takes no callee and no transforms",
                           info->name);
  }
  if (!jet_op_takes_subgraphs(op) && n_subgraphs > 0) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%s takes no sub-graphs (got %" PRIu32 ")",
                           info->name, n_subgraphs);
  }
  if (n_subgraphs > 0 && !subgraphs) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%" PRIu32 " sub-graphs but no array",
                           n_subgraphs);
  }
  if (n_transforms > 0 && !transforms) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%" PRIu32 " transforms but no transform array",
                           n_transforms);
  }
  jet_infer_args a = {
      .op = op,
      .info = info,
      .in = operand_types,
      .n_in = n_operands,
      .attrs = attrs,
      .n_attrs = n_attrs,
      .callee = callee,
      .subgraphs = subgraphs,
      .n_subgraphs = n_subgraphs,
      .transforms = transforms,
      .n_transforms = n_transforms,
      .out = results,
      .out_cap = results_cap,
      .n_out = 0,
  };
  JET_RETURN_IF_ERROR(check_attrs(&a));
  for (uint32_t i = 0; i < n_operands; i++) {
    char what[32];
    snprintf(what, sizeof what, "operand %" PRIu32, i);
    JET_RETURN_IF_ERROR(jet__infer_check_type(&operand_types[i], what));
  }
  JET_RETURN_IF_ERROR(rule_table[op](&a));
  for (uint32_t i = 0; i < a.n_out; i++) {
    char what[32];
    snprintf(what, sizeof what, "result %" PRIu32, i);
    JET_RETURN_IF_ERROR(jet__infer_check_type(&results[i], what));
  }
  *n_results = a.n_out;
  return NULL;
}
