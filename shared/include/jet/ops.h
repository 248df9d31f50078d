/* The op table (see ops.def): names, arity, accepted dtypes and attribute
 * schemas of every primitive. Read-only static data; thread-safe. */
#ifndef JET_OPS_H
#define JET_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet/dtype.h"

typedef enum jet_op {
#define JET_OP(E, name, nopnd, rule, dtm, attrs) JET_OP_##E,
#include "jet/ops.def"
#undef JET_OP
  JET_OP_COUNT
} jet_op;

/* Bump when the op set or any op's meaning changes: it is part of every
 * executable's cache key. */
#define JET_OPSET_VERSION 5

typedef enum jet_attr_kind {
  JET_ATTR_INT = 1,
  JET_ATTR_INTS = 2,
  JET_ATTR_FLOAT = 3,
  JET_ATTR_BOOL = 4,
  JET_ATTR_DTYPE = 5,
  JET_ATTR_STR = 6,
  JET_ATTR_LITERAL = 7,
} jet_attr_kind;

#define JET_MAX_OP_ATTRS 8

typedef struct jet_attr_spec {
  const char *name;
  jet_attr_kind kind;
  bool optional;
} jet_attr_spec;

typedef struct jet_op_info {
  const char *name;
  int n_operands;       /* -1 = variadic */
  uint32_t dtype_mask;  /* JET_DTM_* */
  const char *attr_schema;
  uint32_t n_attrs;     /* parsed from attr_schema */
  jet_attr_spec attrs[JET_MAX_OP_ATTRS];
} jet_op_info;

/* NULL when op is out of range. */
const jet_op_info *jet_op_get(jet_op op);
/* Op name, or "<invalid op>". */
const char *jet_op_name(jet_op op);
/* JET_OP_COUNT when the name is unknown. */
jet_op jet_op_from_name(const char *name, size_t len);
/* Spec of attribute `name` of `op`, NULL if the op has no such attribute. */
const jet_attr_spec *jet_op_attr_spec(jet_op op, const char *name);
const char *jet_attr_kind_name(jet_attr_kind k);
/* True for the ops whose bodies are the node's sub-graphs (cond, while,
 * scan, pmap); every other op takes none. */
bool jet_op_takes_subgraphs(jet_op op);
/* True for the collectives over a named axis (psum ... axis_index). */
bool jet_op_is_collective(jet_op op);

#endif
