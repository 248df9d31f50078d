/* Types and arrays to and from their wire messages, and the arena-backed
 * ProtobufCAllocator. */
#include <stdio.h>
#include <string.h>

#include "jet/protoconv.h"

jet_status jet_type_from_proto(const Jet__V1__TensorType *pb, const char *field, jet_type *out) {
  if (pb == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s: type is missing", field);
  if (!jet_dtype_valid((int)pb->dtype))
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.dtype: invalid dtype %d", field,
                           (int)pb->dtype);
  if (pb->n_dims > JET_MAX_RANK)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.dims: rank %zu exceeds the maximum of %d",
                           field, pb->n_dims, JET_MAX_RANK);
  jet_type t;
  memset(&t, 0, sizeof t);
  t.dtype = (jet_dtype)pb->dtype;
  t.rank = (int32_t)pb->n_dims;
  for (size_t i = 0; i < pb->n_dims; i++) t.dims[i] = pb->dims[i];
  JET_RETURN_IF_ERROR(jet_type_check(&t, field));
  *out = t;
  return NULL;
}

jet_status jet_type_to_proto(const jet_type *t, jet_arena *arena, Jet__V1__TensorType *out) {
  Jet__V1__TensorType init = JET__V1__TENSOR_TYPE__INIT;
  *out = init;
  if (t->rank < 0 || t->rank > JET_MAX_RANK)
    return jet_status_make(JET_INVALID_ARGUMENT, "type has rank %d", (int)t->rank);
  out->dtype = (Jet__V1__DType)t->dtype;
  if (t->rank > 0) {
    out->dims = jet_arena_memdup(arena, t->dims, sizeof(int64_t) * (size_t)t->rank);
    if (out->dims == NULL) return jet_status_oom("TensorType.dims");
    out->n_dims = (size_t)t->rank;
  }
  return NULL;
}

jet_status jet_array_from_proto(const Jet__V1__Array *pb, const char *field, jet_type *type,
                                const void **data) {
  if (pb == NULL) return jet_status_make(JET_INVALID_ARGUMENT, "%s: array is missing", field);
  char tf[512];
  snprintf(tf, sizeof tf, "%s.type", field);
  jet_type t;
  JET_RETURN_IF_ERROR(jet_type_from_proto(pb->type, tf, &t));
  size_t need = jet_type_nbytes(&t);
  if (pb->data.len != need) {
    char tb[JET_TYPE_STR_MAX];
    return jet_status_make(JET_INVALID_ARGUMENT, "%s.data: has %zu bytes but %s needs %zu", field,
                           pb->data.len, jet_type_str(&t, tb, sizeof tb), need);
  }
  *type = t;
  *data = pb->data.data;
  return NULL;
}

jet_status jet_array_to_proto(const jet_type *type, const void *data, jet_arena *arena,
                              Jet__V1__Array *out) {
  Jet__V1__Array init = JET__V1__ARRAY__INIT;
  *out = init;
  Jet__V1__TensorType *tt = jet_arena_alloc(arena, sizeof *tt);
  if (tt == NULL) return jet_status_oom("Array.type");
  JET_RETURN_IF_ERROR(jet_type_to_proto(type, arena, tt));
  out->type = tt;
  out->data.len = jet_type_nbytes(type);
  out->data.data = (uint8_t *)data;
  return NULL;
}

static void *arena_alloc(void *allocator_data, size_t size) {
  return jet_arena_alloc((jet_arena *)allocator_data, size ? size : 1);
}

static void arena_free(void *allocator_data, void *pointer) {
  (void)allocator_data;
  (void)pointer;
}

ProtobufCAllocator jet_arena_protobuf_allocator(jet_arena *arena) {
  ProtobufCAllocator a = {.alloc = arena_alloc, .free = arena_free, .allocator_data = arena};
  return a;
}
