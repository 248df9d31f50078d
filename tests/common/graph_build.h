/* Test helpers shared by the unit tests that build types and attributes by
 * hand (ad_check.h, text_test_graphs.h, infer_case.h): attribute makers and
 * type and transform constructors. */
#ifndef JET_TESTS_GRAPH_BUILD_H
#define JET_TESTS_GRAPH_BUILD_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jet/graph.h"
#include "jet/transform.h"
#include "jet/type.h"

static inline jet_attr gb_int(const char *name, int64_t v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_INT;
  a.u.i = v;
  return a;
}
static inline jet_attr gb_ints(const char *name, const int64_t *v, uint32_t n) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_INTS;
  a.u.ints.v = v;
  a.u.ints.n = n;
  return a;
}
static inline jet_attr gb_bool(const char *name, bool v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_BOOL;
  a.u.b = v;
  return a;
}
static inline jet_attr gb_dtype(const char *name, jet_dtype v) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_DTYPE;
  a.u.dtype = v;
  return a;
}
/* A literal attribute over caller-owned data of nbytes bytes. */
static inline jet_attr gb_lit(const char *name, jet_type t, const void *data, size_t nbytes) {
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = name;
  a.kind = JET_ATTR_LITERAL;
  a.u.lit.type = t;
  a.u.lit.data = data;
  a.u.lit.nbytes = nbytes;
  return a;
}

/* A type of rank 0..2 with dims {d0, d1} (unused dims ignored). */
static inline jet_type gb_type2(jet_dtype dt, int32_t rank, int64_t d0, int64_t d1) {
  int64_t dims[2] = {d0, d1};
  return jet_type_make(dt, rank, dims);
}

/* "2,3" -> dims {2,3}; "" -> rank 0. */
static inline jet_type gb_type_str(jet_dtype d, const char *dims) {
  jet_type t;
  memset(&t, 0, sizeof t);
  t.dtype = d;
  const char *p = dims;
  while (*p) {
    char *end;
    t.dims[t.rank++] = strtoll(p, &end, 10);
    p = *end == ',' ? end + 1 : end;
  }
  return t;
}

/* A transform of kind k with every option at its default. */
static inline jet_transform gb_transform(jet_transform_kind k) {
  jet_transform t;
  memset(&t, 0, sizeof t);
  t.kind = k;
  t.axis_name = "";
  t.spmd_axis_name = "";
  return t;
}
/* vmap with the given in_axes / out_axes (n = 0: all 0) and axis_size. */
static inline jet_transform gb_vmap(const jet_axis_spec *in, uint32_t n_in, const jet_axis_spec *out,
                                    uint32_t n_out, int64_t size) {
  jet_transform t = gb_transform(JET_TF_VMAP);
  t.in_axes = in;
  t.n_in_axes = n_in;
  t.out_axes = out;
  t.n_out_axes = n_out;
  t.axis_size = size;
  return t;
}

#endif
