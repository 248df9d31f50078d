/* Shared by the end-to-end pmap and collective tests (test_e2e_pmap.c,
 * test_e2e_collectives.c): compile a graph through a real jetd, run it on
 * inline arguments, take output 0 as floats. Include after <cmocka.h>. */
#ifndef JET_TEST_RUN_F32_H
#define JET_TEST_RUN_F32_H

#include <string.h>

#include "jet/jet.h"

/* Compiles g under tf[0..n_tf) with the argument types (so a pmap without
 * axis_size reads it from them), runs it on inline args and copies output
 * 0 (f32, at most cap floats) to out and its type to *ty. */
static jet_status jet_test_run_f32(jet_client *c, const jet_graph *g, const jet_transform *tf,
                                   size_t n_tf, const jet_arg *args, size_t n_args, jet_type *ty,
                                   float *out, size_t cap) {
  jet_type at[8];
  assert_true(n_args <= 8);
  for (size_t i = 0; i < n_args; i++) at[i] = args[i].type;
  jet_compile_options o = {.arg_types = at, .n_arg_types = n_args};
  jet_executable *e;
  JET_RETURN_IF_ERROR(jet_compile_ex(c, g, tf, n_tf, &o, &e, NULL));
  size_t n = jet_executable_num_outputs(e);
  assert_true(n >= 1 && n <= 4);
  jet_result r[4];
  memset(r, 0, sizeof r);
  JET_RETURN_IF_ERROR(jet_execute_inline(e, args, n_args, r, n));
  assert_int_equal(r[0].type.dtype, JET_F32);
  *ty = r[0].type;
  size_t m = r[0].nbytes / sizeof(float);
  assert_true(m <= cap);
  memcpy(out, r[0].data, m * sizeof(float));
  jet_results_clear(r, n);
  return NULL;
}

#endif
