/* Shape rule of pmap: the per-member body's signature against the
 * operands split by in_axes, and the results stacked by out_axes. The
 * messages name the attribute entry, parameter or output. */
#include <inttypes.h>
#include <string.h>

#include "infer_internal.h"

static jet_status check_devices(jet_infer_args *a, int64_t n) {
  const int64_t *dv = NULL;
  uint32_t nd = 0;
  if (!jet__infer_attr_ints(a, "devices", &dv, &nd)) return NULL;
  if (nd != (uint64_t)n)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "pmap: devices lists %" PRIu32 " devices but axis_size is %" PRId64, nd,
                           n);
  for (uint32_t i = 0; i < nd; i++) {
    if (dv[i] < 0 || dv[i] > UINT32_MAX)
      return jet_status_make(JET_INVALID_ARGUMENT, "pmap: devices[%" PRIu32 "] = %" PRId64
                             " is not a device id", i, dv[i]);
    for (uint32_t j = 0; j < i; j++)
      if (dv[j] == dv[i])
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "pmap: device %" PRId64 " appears twice in devices (entries %" PRIu32
                               " and %" PRIu32 ")",
                               dv[i], j, i);
  }
  return NULL;
}

jet_status jet__rule_pmap(jet_infer_args *a) {
  if (a->n_subgraphs != 1 || !a->subgraphs || !a->subgraphs[0])
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "pmap needs exactly 1 sub-graph (the per-member body), got %" PRIu32,
                           a->n_subgraphs);
  const jet_attr *an = jet__infer_attr(a, "axis_name");
  if (!an || !an->u.s || !an->u.s[0])
    return jet_status_make(JET_INVALID_ARGUMENT, "pmap: axis_name must not be empty");
  const int64_t n = jet__infer_attr_int(a, "axis_size", 0);
  if (n < 1 || n > 65536)
    return jet_status_make(JET_INVALID_ARGUMENT, "pmap: axis_size=%" PRId64 " must be in [1, 65536]",
                           n);
  JET_RETURN_IF_ERROR(check_devices(a, n));
  const jet_graph *b = a->subgraphs[0];
  if (b->n_params > b->n_values || (b->n_values > 0 && !b->value_types) ||
      (b->n_outputs > 0 && !b->outputs))
    return jet_status_make(JET_INVALID_ARGUMENT, "pmap: the body has inconsistent value tables");
  const int64_t *ia = NULL, *oa = NULL;
  uint32_t nia = 0, noa = 0;
  jet__infer_attr_ints(a, "in_axes", &ia, &nia);
  jet__infer_attr_ints(a, "out_axes", &oa, &noa);
  if (nia != a->n_in)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "pmap: in_axes has %" PRIu32 " entries for %" PRIu32 " operands", nia,
                           a->n_in);
  if (b->n_params != a->n_in)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "pmap: the body takes %" PRIu32 " parameters but pmap passes %" PRIu32,
                           b->n_params, a->n_in);
  char ts[JET_TYPE_STR_MAX], tq[JET_TYPE_STR_MAX];
  for (uint32_t i = 0; i < a->n_in; i++) {
    const jet_type *x = &a->in[i];
    jet_type want = *x;
    if (ia[i] != -1) {
      if (ia[i] < 0 || ia[i] >= x->rank)
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "pmap: in_axes[%" PRIu32 "] = %" PRId64
                               " is out of range for operand %" PRIu32 " of rank %d (or -1 for "
                               "not mapped)",
                               i, ia[i], i, (int)x->rank);
      if (x->dims[ia[i]] != n)
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "pmap: operand %" PRIu32 " is %s; its mapped axis %" PRId64
                               " must have the axis size %" PRId64,
                               i, JET__TS(x, ts), ia[i], n);
      want = jet_type_drop_axis(x, (int32_t)ia[i]);
    }
    if (!jet_type_equal(&want, &b->value_types[i]))
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "pmap: the body's parameter %" PRIu32 " is %s but each member gets %s "
                             "of operand %" PRIu32,
                             i, JET__TS(&b->value_types[i], ts), JET__TS(&want, tq), i);
  }
  if (noa != b->n_outputs)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "pmap: out_axes has %" PRIu32 " entries for %" PRIu32 " body outputs",
                           noa, b->n_outputs);
  for (uint32_t j = 0; j < b->n_outputs; j++) {
    if (b->outputs[j] >= b->n_values)
      return jet_status_make(JET_INVALID_ARGUMENT, "pmap: body output %" PRIu32 " is undefined", j);
    const jet_type *y = &b->value_types[b->outputs[j]];
    if (oa[j] == -1) {
      JET_RETURN_IF_ERROR(jet__infer_emit(a, y));
      continue;
    }
    if (oa[j] < 0 || oa[j] > y->rank || y->rank + 1 > JET_MAX_RANK)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "pmap: out_axes[%" PRIu32 "] = %" PRId64
                             " is out of range for body output %" PRIu32 " %s (or -1)",
                             j, oa[j], j, JET__TS(y, ts));
    jet_type s = jet_type_insert_axis(y, (int32_t)oa[j], n);
    JET_RETURN_IF_ERROR(jet__infer_check_type(&s, "pmap's stacked output"));
    JET_RETURN_IF_ERROR(jet__infer_emit(a, &s));
  }
  return NULL;
}
