/* Test helpers shared by test_infer.c, test_infer_shapes.c and
 * test_validate.c: list literals, types written as "2,3", attribute makers
 * (tests/common/graph_build.h) and bad_case. Include after cmocka.h. */
#ifndef JET_TESTS_INFER_CASE_H
#define JET_TESTS_INFER_CASE_H

#include <string.h>

#include "graph_build.h"
#include "jet/infer.h"

#define TYPES(...)                 \
  (const jet_type[]){__VA_ARGS__}, \
      (uint32_t)(sizeof((const jet_type[]){__VA_ARGS__}) / sizeof(jet_type))
#define ATTRS(...)                 \
  (const jet_attr[]){__VA_ARGS__}, \
      (uint32_t)(sizeof((const jet_attr[]){__VA_ARGS__}) / sizeof(jet_attr))
#define IL(...)                   \
  (const int64_t[]){__VA_ARGS__}, \
      (uint32_t)(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
#define NONE NULL, 0

static inline jet_type ty(jet_dtype d, const char *dims) { return gb_type_str(d, dims); }
static inline jet_attr a_int(const char *name, int64_t v) { return gb_int(name, v); }
static inline jet_attr a_ints(const char *name, const int64_t *v, uint32_t n) {
  return gb_ints(name, v, n);
}
static inline jet_attr a_dtype(const char *name, jet_dtype v) { return gb_dtype(name, v); }
static inline jet_attr a_bool(const char *name, bool v) { return gb_bool(name, v); }
static inline jet_attr a_lit(const char *name, jet_type t, const void *data, size_t nbytes) {
  return gb_lit(name, t, data, nbytes);
}

/* jet_infer of op refuses the operands with `code` and a message holding
 * substr. */
static inline void bad_case(jet_op op, const jet_type *in, uint32_t n_in, const jet_attr *at,
                            uint32_t n_at, jet_code code, const char *substr) {
  jet_type res[4];
  uint32_t n = 99;
  jet_status st = jet_infer(op, in, n_in, at, n_at, NULL, NULL, 0, res, 4, &n);
  if (!st) fail_msg("%s: expected error containing '%s', got success", jet_op_name(op), substr);
  if (jet_status_code(st) != code || !strstr(jet_status_message(st), substr)) {
    fail_msg("%s: expected %s '%s', got %s '%s'", jet_op_name(op), jet_code_name(code), substr,
             jet_code_name(jet_status_code(st)), jet_status_message(st));
  }
  assert_int_equal(n, 0);
  jet_status_free(st);
}

#endif
