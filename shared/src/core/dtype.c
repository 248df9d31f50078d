#include "jet/dtype.h"

#include <string.h>

typedef struct {
  const char *name;
  const char *long_name;
  size_t size;
  bool supported;
} dtype_info;

static const dtype_info infos[JET_DTYPE_COUNT] = {
    [JET_DTYPE_INVALID] = {"invalid", "invalid", 0, false},
    [JET_BOOL] = {"bool", "bool", 1, true},
    [JET_I8] = {"i8", "int8", 1, false},
    [JET_I16] = {"i16", "int16", 2, false},
    [JET_I32] = {"i32", "int32", 4, true},
    [JET_I64] = {"i64", "int64", 8, true},
    [JET_U8] = {"u8", "uint8", 1, true},
    [JET_U16] = {"u16", "uint16", 2, false},
    [JET_U32] = {"u32", "uint32", 4, true},
    [JET_U64] = {"u64", "uint64", 8, false},
    [JET_F16] = {"f16", "float16", 2, false},
    [JET_BF16] = {"bf16", "bfloat16", 2, false},
    [JET_F32] = {"f32", "float32", 4, true},
    [JET_F64] = {"f64", "float64", 8, true},
};

bool jet_dtype_valid(int d) { return d > JET_DTYPE_INVALID && d < JET_DTYPE_COUNT; }

bool jet_dtype_supported(jet_dtype d) { return jet_dtype_valid((int)d) && infos[d].supported; }

size_t jet_dtype_size(jet_dtype d) { return jet_dtype_valid((int)d) ? infos[d].size : 0; }

const char *jet_dtype_name(jet_dtype d) {
  return jet_dtype_valid((int)d) ? infos[d].name : "invalid";
}

const char *jet_dtype_long_name(jet_dtype d) {
  return jet_dtype_valid((int)d) ? infos[d].long_name : "invalid";
}

jet_dtype jet_dtype_from_name(const char *name, size_t len) {
  for (int d = 1; d < JET_DTYPE_COUNT; d++) {
    const dtype_info *i = &infos[d];
    if ((strlen(i->name) == len && memcmp(i->name, name, len) == 0) ||
        (strlen(i->long_name) == len && memcmp(i->long_name, name, len) == 0))
      return (jet_dtype)d;
  }
  return JET_DTYPE_INVALID;
}

bool jet_dtype_is_float(jet_dtype d) {
  return d == JET_F16 || d == JET_BF16 || d == JET_F32 || d == JET_F64;
}

bool jet_dtype_is_signed_int(jet_dtype d) {
  return d == JET_I8 || d == JET_I16 || d == JET_I32 || d == JET_I64;
}

bool jet_dtype_is_unsigned_int(jet_dtype d) {
  return d == JET_U8 || d == JET_U16 || d == JET_U32 || d == JET_U64;
}

bool jet_dtype_is_int(jet_dtype d) { return jet_dtype_is_signed_int(d) || jet_dtype_is_unsigned_int(d); }
