/* Shape rules of the structured control-flow ops (their bodies are the
 * node's sub-graphs): cond, while, scan. The messages name the mismatching branch,
 * parameter or output. */
#include <inttypes.h>

#include "infer_internal.h"

/* A sub-graph's tables are consistent enough to read its signature. */
static jet_status check_body(const jet_graph *b, const char *what, uint32_t k) {
  if (!b) return jet_status_make(JET_INVALID_ARGUMENT, "%s %" PRIu32 " is missing", what, k);
  if (b->n_params > b->n_values || (b->n_values > 0 && !b->value_types))
    return jet_status_make(JET_INVALID_ARGUMENT, "%s %" PRIu32 " has inconsistent value tables",
                           what, k);
  if (b->n_outputs > JET_MAX_RESULTS)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s %" PRIu32 " has %" PRIu32 " outputs, more than the maximum %d", what,
                           k, b->n_outputs, JET_MAX_RESULTS);
  if (b->n_outputs > 0 && !b->outputs)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s %" PRIu32 " has no output list", what, k);
  for (uint32_t i = 0; i < b->n_outputs; i++)
    if (b->outputs[i] >= b->n_values)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s %" PRIu32 " output %" PRIu32 " refers to undefined value %" PRIu32,
                             what, k, i, b->outputs[i]);
  return NULL;
}

jet_status jet__rule_cond(jet_infer_args *a) {
  if (a->n_subgraphs < 1)
    return jet_status_make(JET_INVALID_ARGUMENT, "cond needs at least one branch");
  if (a->n_in < 1)
    return jet_status_make(JET_INVALID_ARGUMENT, "cond needs a predicate or index operand");
  const jet_type *p = &a->in[0];
  char ts[JET_TYPE_STR_MAX], tq[JET_TYPE_STR_MAX];
  if (p->rank != 0 || (p->dtype != JET_BOOL && p->dtype != JET_I32))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "cond: operand 0 (the predicate) must be a bool or i32 scalar, got %s",
                           JET__TS(p, ts));
  if (p->dtype == JET_BOOL && a->n_subgraphs != 2)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "cond: a bool predicate needs exactly 2 branches, got %" PRIu32
                           " (use an i32 index for more)",
                           a->n_subgraphs);
  const uint32_t n_args = a->n_in - 1;
  const jet_graph *b0 = a->subgraphs[0];
  for (uint32_t k = 0; k < a->n_subgraphs; k++) {
    const jet_graph *b = a->subgraphs[k];
    JET_RETURN_IF_ERROR(check_body(b, "branch", k));
    if (b->n_params != n_args)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "cond: branch %" PRIu32 " takes %" PRIu32
                             " parameters but cond passes %" PRIu32 " operands after the predicate",
                             k, b->n_params, n_args);
    for (uint32_t i = 0; i < n_args; i++)
      if (!jet_type_equal(&a->in[1 + i], &b->value_types[i]))
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "cond: branch %" PRIu32 " parameter %" PRIu32
                               " is %s but operand %" PRIu32 " is %s",
                               k, i, JET__TS(&b->value_types[i], ts), 1 + i,
                               JET__TS(&a->in[1 + i], tq));
    if (b->n_outputs != b0->n_outputs)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "cond: branch %" PRIu32 " has %" PRIu32
                             " outputs but branch 0 has %" PRIu32,
                             k, b->n_outputs, b0->n_outputs);
    for (uint32_t i = 0; i < b->n_outputs; i++) {
      const jet_type *t = &b->value_types[b->outputs[i]];
      const jet_type *t0 = &b0->value_types[b0->outputs[i]];
      if (!jet_type_equal(t, t0))
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "cond: branch %" PRIu32 " output %" PRIu32
                               " is %s but branch 0 output %" PRIu32 " is %s",
                               k, i, JET__TS(t, ts), i, JET__TS(t0, tq));
    }
  }
  for (uint32_t i = 0; i < b0->n_outputs; i++)
    JET_RETURN_IF_ERROR(jet__infer_emit(a, &b0->value_types[b0->outputs[i]]));
  return NULL;
}

/* The operands of a loop as its body sees them: the first nc are consts,
 * the next nk carried values, the rest (scan only) stacked xs whose body
 * parameter is one slice. */
typedef struct loop_sig {
  const char *op;
  const jet_type *in;
  uint32_t n, nc, nk;
  bool sliced; /* scan: operands after nc + nk are sliced */
} loop_sig;

/* Sub-graph b (named `what`) takes exactly the loop's operands, each of the
 * type the body sees; the mismatch is named ("carry 1 is f32[3]"). */
static jet_status check_params(const loop_sig *L, const jet_graph *b, const char *what) {
  char ts[JET_TYPE_STR_MAX], tq[JET_TYPE_STR_MAX];
  if (b->n_params != L->n)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s: the %s graph takes %" PRIu32 " parameters but %s passes %" PRIu32,
                           L->op, what, b->n_params, L->op, L->n);
  for (uint32_t i = 0; i < L->n; i++) {
    const bool is_x = L->sliced && i >= L->nc + L->nk;
    const jet_type want = is_x ? jet_type_drop_axis(&L->in[i], 0) : L->in[i];
    if (jet_type_equal(&want, &b->value_types[i])) continue;
    const char *role = i < L->nc ? "const" : i < L->nc + L->nk ? "carry" : "a slice of xs";
    const uint32_t k = i < L->nc ? i : i < L->nc + L->nk ? i - L->nc : i - L->nc - L->nk;
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s: the %s graph's parameter %" PRIu32 " is %s but %s %" PRIu32
                           " is %s",
                           L->op, what, i, JET__TS(&b->value_types[i], ts), role, k,
                           JET__TS(&want, tq));
  }
  return NULL;
}

/* Outputs 0..nk of b keep the carried values' types. */
static jet_status check_carry_out(const loop_sig *L, const jet_graph *b) {
  char ts[JET_TYPE_STR_MAX], tq[JET_TYPE_STR_MAX];
  for (uint32_t i = 0; i < L->nk; i++) {
    const jet_type *t = &b->value_types[b->outputs[i]];
    if (!jet_type_equal(t, &L->in[L->nc + i]))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s: the body's output %" PRIu32 " is %s but carry %" PRIu32
                             " is %s (the body must keep each carried value's type)",
                             L->op, i, JET__TS(t, ts), i, JET__TS(&L->in[L->nc + i], tq));
  }
  return NULL;
}

static jet_status n_consts_attr(jet_infer_args *a, const char *op, uint32_t *out) {
  const int64_t nc = jet__infer_attr_int(a, "n_consts", 0);
  if (nc < 0 || nc > (int64_t)a->n_in)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s: n_consts=%" PRId64 " is outside [0, %" PRIu32 "] (the operand count)",
                           op, nc, a->n_in);
  *out = (uint32_t)nc;
  return NULL;
}

jet_status jet__rule_while(jet_infer_args *a) {
  if (a->n_subgraphs != 2)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "while needs exactly 2 sub-graphs (cond, body), got %" PRIu32,
                           a->n_subgraphs);
  uint32_t nc = 0;
  JET_RETURN_IF_ERROR(n_consts_attr(a, "while", &nc));
  const jet_graph *cg = a->subgraphs[0], *bg = a->subgraphs[1];
  JET_RETURN_IF_ERROR(check_body(cg, "while: sub-graph", 0));
  JET_RETURN_IF_ERROR(check_body(bg, "while: sub-graph", 1));
  const loop_sig L = {"while", a->in, a->n_in, nc, a->n_in - nc, false};
  JET_RETURN_IF_ERROR(check_params(&L, cg, "cond"));
  JET_RETURN_IF_ERROR(check_params(&L, bg, "body"));
  char ts[JET_TYPE_STR_MAX];
  if (cg->n_outputs != 1)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "while: the cond graph must return one bool scalar, it returns %" PRIu32
                           " values",
                           cg->n_outputs);
  const jet_type *ct = &cg->value_types[cg->outputs[0]];
  if (ct->rank != 0 || ct->dtype != JET_BOOL)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "while: the cond graph must return a bool scalar, it returns %s",
                           JET__TS(ct, ts));
  if (bg->n_outputs != L.nk)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "while: the body returns %" PRIu32 " values but the loop carries %" PRIu32,
                           bg->n_outputs, L.nk);
  JET_RETURN_IF_ERROR(check_carry_out(&L, bg));
  for (uint32_t i = 0; i < L.nk; i++) JET_RETURN_IF_ERROR(jet__infer_emit(a, &a->in[nc + i]));
  return NULL;
}

jet_status jet__rule_scan(jet_infer_args *a) {
  if (a->n_subgraphs != 1)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "scan needs exactly 1 sub-graph (the body), got %" PRIu32,
                           a->n_subgraphs);
  uint32_t nc = 0;
  JET_RETURN_IF_ERROR(n_consts_attr(a, "scan", &nc));
  const int64_t ncar = jet__infer_attr_int(a, "n_carry", 0);
  if (ncar < 0 || ncar > (int64_t)(a->n_in - nc))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "scan: n_carry=%" PRId64 " is outside [0, %" PRIu32
                           "] (operands after the %" PRIu32 " consts)",
                           ncar, a->n_in - nc, nc);
  const int64_t length = jet__infer_attr_int(a, "length", -1);
  if (length < 0 || length > INT32_MAX)
    return jet_status_make(JET_INVALID_ARGUMENT, "scan: length=%" PRId64 " must be in [0, %d]",
                           length, INT32_MAX);
  const jet_graph *bg = a->subgraphs[0];
  JET_RETURN_IF_ERROR(check_body(bg, "scan: sub-graph", 0));
  const loop_sig L = {"scan", a->in, a->n_in, nc, (uint32_t)ncar, true};
  char ts[JET_TYPE_STR_MAX];
  for (uint32_t i = nc + L.nk; i < L.n; i++) {
    const jet_type *x = &a->in[i];
    if (x->rank < 1 || x->dims[0] != length)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "scan: xs %" PRIu32 " is %s; it needs a leading axis of the scan "
                             "length %" PRId64,
                             i - nc - L.nk, JET__TS(x, ts), length);
  }
  JET_RETURN_IF_ERROR(check_params(&L, bg, "body"));
  if (bg->n_outputs < L.nk)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "scan: the body returns %" PRIu32 " values, fewer than the %" PRIu32
                           " carried",
                           bg->n_outputs, L.nk);
  JET_RETURN_IF_ERROR(check_carry_out(&L, bg));
  for (uint32_t i = 0; i < L.nk; i++) JET_RETURN_IF_ERROR(jet__infer_emit(a, &a->in[nc + i]));
  for (uint32_t j = L.nk; j < bg->n_outputs; j++) {
    const jet_type *y = &bg->value_types[bg->outputs[j]];
    if (y->rank >= JET_MAX_RANK)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "scan: the body's output %" PRIu32 " (%s) has rank %d; stacking it "
                             "would pass the maximum rank %d",
                             j, JET__TS(y, ts), (int)y->rank, JET_MAX_RANK);
    const jet_type s = jet_type_insert_axis(y, 0, length);
    JET_RETURN_IF_ERROR(jet__infer_check_type(&s, "scan's stacked output"));
    JET_RETURN_IF_ERROR(jet__infer_emit(a, &s));
  }
  return NULL;
}
