/* Element types. The numeric values equal the wire enum jet.v1.DType. */
#ifndef JET_DTYPE_H
#define JET_DTYPE_H

#include <stdbool.h>
#include <stddef.h>

typedef enum jet_dtype {
  JET_DTYPE_INVALID = 0,
  JET_BOOL = 1,
  JET_I8 = 2,   /* reserved */
  JET_I16 = 3,  /* reserved */
  JET_I32 = 4,
  JET_I64 = 5,
  JET_U8 = 6,
  JET_U16 = 7,  /* reserved */
  JET_U32 = 8,
  JET_U64 = 9,  /* reserved */
  JET_F16 = 10, /* reserved */
  JET_BF16 = 11,/* reserved */
  JET_F32 = 12,
  JET_F64 = 13,
  JET_DTYPE_COUNT = 14,
} jet_dtype;

/* Bit masks of dtypes, used by the op table to say what an op accepts. */
#define JET_DT_BIT(d) (1u << (d))
#define JET_DTM_BOOL (JET_DT_BIT(JET_BOOL))
#define JET_DTM_SINT (JET_DT_BIT(JET_I32) | JET_DT_BIT(JET_I64))
#define JET_DTM_UINT (JET_DT_BIT(JET_U8) | JET_DT_BIT(JET_U32))
#define JET_DTM_INT (JET_DTM_SINT | JET_DTM_UINT)
#define JET_DTM_FLOAT (JET_DT_BIT(JET_F32) | JET_DT_BIT(JET_F64))
#define JET_DTM_SIGNED (JET_DTM_SINT | JET_DTM_FLOAT)
#define JET_DTM_NUM (JET_DTM_INT | JET_DTM_FLOAT)
#define JET_DTM_INTBOOL (JET_DTM_INT | JET_DTM_BOOL)
#define JET_DTM_ANY (JET_DTM_NUM | JET_DTM_BOOL)

/* True for every enum value 1..13 (reserved ones included). */
bool jet_dtype_valid(int d);
/* True for the dtypes the runtime computes with (bool, i32, i64, u8, u32,
 * f32, f64); reserved dtypes are valid names but not supported. */
bool jet_dtype_supported(jet_dtype d);
/* Size in bytes of one element (bool is 1); 0 for invalid. */
size_t jet_dtype_size(jet_dtype d);
/* Short name as in jaxprs: "f32", "i32", "bool", "u8"; "invalid" otherwise. */
const char *jet_dtype_name(jet_dtype d);
/* Long name as numpy says it: "float32", "int32", "bool", "uint8". */
const char *jet_dtype_long_name(jet_dtype d);
/* Parses either the short or long name; JET_DTYPE_INVALID if unknown. */
jet_dtype jet_dtype_from_name(const char *name, size_t len);
bool jet_dtype_is_float(jet_dtype d);
bool jet_dtype_is_int(jet_dtype d);      /* signed or unsigned, not bool */
bool jet_dtype_is_signed_int(jet_dtype d);
bool jet_dtype_is_unsigned_int(jet_dtype d);

#endif
