/* The op table's static data, generated from ops.def, and its attribute
 * schemas parsed once. */
#include "jet/ops.h"

#include <pthread.h>
#include <string.h>

static jet_op_info table[JET_OP_COUNT] = {
#define JET_OP(E, name_, nopnd, rule, dtm, attrs) \
  [JET_OP_##E] = {.name = name_, .n_operands = nopnd, .dtype_mask = dtm, .attr_schema = attrs},
#include "jet/ops.def"
#undef JET_OP
};

/* Attribute names of every op live here after parsing the schemas. */
static char names_storage[JET_OP_COUNT][512];
static pthread_once_t parsed_once = PTHREAD_ONCE_INIT;

static jet_attr_kind kind_from(const char *s, size_t n) {
  static const struct {
    const char *name;
    jet_attr_kind kind;
  } kinds[] = {{"int", JET_ATTR_INT},     {"ints", JET_ATTR_INTS},   {"float", JET_ATTR_FLOAT},
               {"bool", JET_ATTR_BOOL},   {"dtype", JET_ATTR_DTYPE}, {"str", JET_ATTR_STR},
               {"literal", JET_ATTR_LITERAL}};
  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    if (strlen(kinds[i].name) == n && memcmp(kinds[i].name, s, n) == 0) return kinds[i].kind;
  return (jet_attr_kind)0;
}

/* Schemas are compile-time constants written in ops.def; a malformed one is
 * a programming error caught by the op-table unit test (kind 0). */
static void parse_all(void) {
  for (int op = 0; op < JET_OP_COUNT; op++) {
    jet_op_info *info = &table[op];
    char *store = names_storage[op];
    strncpy(store, info->attr_schema, sizeof names_storage[op] - 1);
    char *p = store;
    while (*p && info->n_attrs < JET_MAX_OP_ATTRS) {
      char *item = p;
      char *comma = strchr(p, ',');
      if (comma) {
        *comma = '\0';
        p = comma + 1;
      } else {
        p += strlen(p);
      }
      char *colon = strchr(item, ':');
      if (!colon) continue;
      *colon = '\0';
      char *kind = colon + 1;
      size_t kn = strlen(kind);
      bool optional = kn && kind[kn - 1] == '?';
      if (optional) kind[--kn] = '\0';
      jet_attr_spec *spec = &info->attrs[info->n_attrs++];
      spec->name = item;
      spec->kind = kind_from(kind, kn);
      spec->optional = optional;
    }
  }
}

const jet_op_info *jet_op_get(jet_op op) {
  if ((unsigned)op >= JET_OP_COUNT) return NULL;
  pthread_once(&parsed_once, parse_all);
  return &table[op];
}

const char *jet_op_name(jet_op op) {
  return (unsigned)op < JET_OP_COUNT ? table[op].name : "<invalid op>";
}

jet_op jet_op_from_name(const char *name, size_t len) {
  for (int op = 0; op < JET_OP_COUNT; op++)
    if (strlen(table[op].name) == len && memcmp(table[op].name, name, len) == 0) return (jet_op)op;
  return JET_OP_COUNT;
}

const jet_attr_spec *jet_op_attr_spec(jet_op op, const char *name) {
  const jet_op_info *info = jet_op_get(op);
  if (!info) return NULL;
  for (uint32_t i = 0; i < info->n_attrs; i++)
    if (strcmp(info->attrs[i].name, name) == 0) return &info->attrs[i];
  return NULL;
}

const char *jet_attr_kind_name(jet_attr_kind k) {
  switch (k) {
    case JET_ATTR_INT: return "int";
    case JET_ATTR_INTS: return "ints";
    case JET_ATTR_FLOAT: return "float";
    case JET_ATTR_BOOL: return "bool";
    case JET_ATTR_DTYPE: return "dtype";
    case JET_ATTR_STR: return "str";
    case JET_ATTR_LITERAL: return "literal";
  }
  return "invalid";
}

bool jet_op_takes_subgraphs(jet_op op) {
  return op == JET_OP_COND || op == JET_OP_WHILE || op == JET_OP_SCAN || op == JET_OP_PMAP;
}

bool jet_op_is_collective(jet_op op) {
  switch (op) {
    case JET_OP_PSUM:
    case JET_OP_PMAX:
    case JET_OP_PMIN:
    case JET_OP_ALL_GATHER:
    case JET_OP_PSUM_SCATTER:
    case JET_OP_PPERMUTE:
    case JET_OP_ALL_TO_ALL:
    case JET_OP_AXIS_INDEX: return true;
    default: return false;
  }
}
