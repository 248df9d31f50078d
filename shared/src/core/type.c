#include "jet/type.h"

#include <stdio.h>
#include <string.h>

jet_type jet_type_make(jet_dtype dtype, int32_t rank, const int64_t *dims) {
  jet_type t;
  memset(&t, 0, sizeof t);
  t.dtype = dtype;
  t.rank = rank;
  for (int32_t i = 0; i < rank && i < JET_MAX_RANK; i++) t.dims[i] = dims[i];
  return t;
}

jet_type jet_type_scalar(jet_dtype dtype) { return jet_type_make(dtype, 0, NULL); }

jet_status jet_type_check(const jet_type *t, const char *what) {
  if (!jet_dtype_valid((int)t->dtype))
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: invalid dtype %d", what, (int)t->dtype);
  if (!jet_dtype_supported(t->dtype))
    return jet_status_make(JET_UNIMPLEMENTED, "%s: dtype %s is reserved and not supported yet",
                           what, jet_dtype_name(t->dtype));
  if (t->rank < 0 || t->rank > JET_MAX_RANK)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: rank %d is outside 0..%d", what,
                           (int)t->rank, JET_MAX_RANK);
  int64_t n = 1;
  for (int32_t i = 0; i < t->rank; i++) {
    int64_t d = t->dims[i];
    if (d < 0)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s: dimension %d is negative (%lld)", what,
                             (int)i, (long long)d);
    if (d != 0 && n > INT64_MAX / d)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "%s: element count overflows at dimension %d (size %lld)", what,
                             (int)i, (long long)d);
    n *= d;
  }
  size_t sz = jet_dtype_size(t->dtype);
  if ((uint64_t)n > (uint64_t)(INT64_MAX / (int64_t)sz) || (uint64_t)n * sz > SIZE_MAX)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: byte size of %lld elements overflows", what,
                           (long long)n);
  return NULL;
}

int64_t jet_type_numel(const jet_type *t) {
  int64_t n = 1;
  for (int32_t i = 0; i < t->rank; i++) n *= t->dims[i];
  return n;
}

size_t jet_type_nbytes(const jet_type *t) {
  return (size_t)jet_type_numel(t) * jet_dtype_size(t->dtype);
}

bool jet_type_same_shape(const jet_type *a, const jet_type *b) {
  if (a->rank != b->rank) return false;
  for (int32_t i = 0; i < a->rank; i++)
    if (a->dims[i] != b->dims[i]) return false;
  return true;
}

bool jet_type_equal(const jet_type *a, const jet_type *b) {
  return a->dtype == b->dtype && jet_type_same_shape(a, b);
}

char *jet_type_str(const jet_type *t, char *buf, size_t cap) {
  if (!cap) return buf;
  size_t n = (size_t)snprintf(buf, cap, "%s[", jet_dtype_name(t->dtype));
  int32_t rank = t->rank < 0 ? 0 : (t->rank > JET_MAX_RANK ? JET_MAX_RANK : t->rank);
  for (int32_t i = 0; i < rank && n < cap; i++)
    n += (size_t)snprintf(buf + n, cap - n, i ? ",%lld" : "%lld", (long long)t->dims[i]);
  if (n < cap) snprintf(buf + n, cap - n, "]");
  return buf;
}

void jet_type_strides(const jet_type *t, int64_t *strides) {
  int64_t s = 1;
  for (int32_t i = t->rank - 1; i >= 0; i--) {
    strides[i] = s;
    s *= t->dims[i];
  }
}

jet_type jet_type_drop_axis(const jet_type *t, int32_t ax) {
  jet_type s;
  memset(&s, 0, sizeof s);
  s.dtype = t->dtype;
  s.rank = t->rank - 1;
  for (int32_t d = 0, j = 0; d < t->rank; d++)
    if (d != ax) s.dims[j++] = t->dims[d];
  return s;
}

jet_type jet_type_insert_axis(const jet_type *t, int32_t ax, int64_t n) {
  jet_type s;
  memset(&s, 0, sizeof s);
  s.dtype = t->dtype;
  s.rank = t->rank + 1;
  for (int32_t d = 0, j = 0; d < s.rank; d++) s.dims[d] = d == ax ? n : t->dims[j++];
  return s;
}
