/* The lowering (server/compiler/lower.h) on hand-written graphs: what gets
 * fused, where values live (registers, in-place arena blocks, aliases,
 * output buffers), the arena size, donation, and that every program computes
 * what the reference executor computes. The random differential test is
 * test_server_lower_diff.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "compiler/lower.h"
#include "jet/text.h"
#include "runtime/mem.h"
#include "runtime/pool.h"
#include "runtime/program_internal.h"

static jet_graph *parse(const char *text) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(text, strlen(text), &g);
  if (st) fprintf(stderr, "%s\n", jet_status_message(st));
  assert_null(st);
  return g;
}

static jet_program *lower(const jet_graph *g) {
  jet_program *p = NULL;
  jet_status st = jet_lower(g, &p);
  if (st) fprintf(stderr, "%s\n", jet_status_message(st));
  assert_null(st);
  return p;
}

/* Deterministic inputs of any dtype: small values, some negative. */
static void fill(jet_buf *b, uint32_t seed) {
  const int64_t n = jet_type_numel(&b->type);
  uint32_t s = seed * 2654435761u + 1;
  for (int64_t i = 0; i < n; i++) {
    s = s * 1103515245u + 12345u;
    const double v = (double)((s >> 8) % 2001) / 250.0 - 4.0;
    switch (b->type.dtype) {
      case JET_F32: ((float *)b->data)[i] = (float)v; break;
      case JET_F64: ((double *)b->data)[i] = v; break;
      case JET_I32: ((int32_t *)b->data)[i] = (int32_t)(v * 10); break;
      default: memset((char *)b->data + i * (int64_t)jet_dtype_size(b->type.dtype), (int)(s & 1), 1);
    }
  }
}

/* Runs p and the reference on the same inputs; outputs must match to a
 * relative 1e-5 (f32) or exactly for other dtypes. */
static void check_against_reference(const jet_graph *g, const jet_program *p) {
  jet_buf args[8], a[8], b[8];
  assert_true(g->n_params <= 8 && g->n_outputs <= 8);
  for (uint32_t i = 0; i < g->n_params; i++) {
    args[i].type = g->value_types[i];
    args[i].data = jet_mem_alloc(jet_type_nbytes(&args[i].type));
    fill(&args[i], i + 1);
  }
  assert_null(jet_exec_graph(g, args, g->n_params, a, NULL));
  assert_null(jet_program_run(p, args, g->n_params, NULL, b, NULL));
  for (uint32_t o = 0; o < g->n_outputs; o++) {
    assert_true(jet_type_equal(&a[o].type, &b[o].type));
    const int64_t n = jet_type_numel(&a[o].type);
    if (a[o].type.dtype == JET_F32) {
      for (int64_t i = 0; i < n; i++) {
        const float x = ((float *)a[o].data)[i], y = ((float *)b[o].data)[i];
        const float tol = 1e-5f * (1.0f + (x < 0 ? -x : x));
        if (x != x && y != y) continue; /* both NaN */
        if (x == y) continue;           /* also equal infinities */
        if (!(x - y <= tol && y - x <= tol)) fail_msg("output %u[%lld]: %g vs %g", o, (long long)i, x, y);
      }
    } else {
      assert_memory_equal(a[o].data, b[o].data, jet_type_nbytes(&a[o].type));
    }
    jet_mem_free(a[o].data);
    jet_mem_free(b[o].data);
  }
  for (uint32_t i = 0; i < g->n_params; i++) jet_mem_free(args[i].data);
}

/* check_against_reference, then frees both. */
static void check_and_free(jet_graph *g, jet_program *p) {
  check_against_reference(g, p);
  jet_program_destroy(p);
  jet_graph_destroy(g);
}

static jet_program_info info_of(const jet_program *p) {
  jet_program_info info;
  jet_program_get_info(p, &info);
  return info;
}

/* A chain of elementwise ops with scalar constants is one fused step and
 * needs no arena: everything lives in registers, the result is written
 * straight into the output. */
static void test_chain_is_one_step(void **state) {
  jet_graph *g = parse(
      "graph f(%0: f32[5000]) {\n"
      "  %1 = constant[value=f32[]{0.75}] : f32[]\n"
      "  %2 = mul %0, %1 : f32[5000]\n"
      "  %3 = constant[value=f32[]{0.1}] : f32[]\n"
      "  %4 = add %2, %3 : f32[5000]\n"
      "  %5 = tanh %4 : f32[5000]\n"
      "  %6 = constant[value=f32[]{0.5}] : f32[]\n"
      "  %7 = mul %5, %6 : f32[5000]\n"
      "  %8 = add %7, %0 : f32[5000]\n"
      "  return %8\n"
      "}\n");
  jet_program *p = lower(g);
  const jet_program_info info = info_of(p);
  assert_int_equal(info.steps, 1);
  assert_int_equal(info.fused_steps, 1);
  assert_int_equal(info.arena_bytes, 0);
  assert_int_equal(info.intermediate_bytes, 0);
  assert_true(info.unfused_bytes >= 5 * 5000 * 4);
  char *text = jet_program_describe(p);
  assert_non_null(strstr(text, "fused 5 nodes"));
  /* x*0.75+0.1 and t*0.5+x each run as one pass over the tile */
  assert_non_null(strstr(text, "pair mul+add"));
  free(text);
  check_and_free(g, p);
}

/* dot -> tanh -> dot: tanh's result takes over the block of the first
 * product (which dies there), so the arena holds one matrix, not two. */
static void test_in_place_and_arena(void **state) {
  jet_graph *g = parse(
      "graph f(%0: f32[64,64], %1: f32[64,64]) {\n"
      "  %2 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] %0, %1 : f32[64,64]\n"
      "  %3 = tanh %2 : f32[64,64]\n"
      "  %4 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] %3, %1 : f32[64,64]\n"
      "  return %4\n"
      "}\n");
  jet_program *p = lower(g);
  const jet_program_info info = info_of(p);
  assert_int_equal(info.steps, 3);
  assert_int_equal(info.arena_bytes, 64 * 64 * 4);
  assert_int_equal(info.intermediate_bytes, 2 * 64 * 64 * 4);
  assert_int_equal(p->locs[2].kind, JET_LOC_ARENA);
  assert_int_equal(p->locs[3].kind, JET_LOC_ARENA);
  assert_int_equal(p->locs[2].offset, p->locs[3].offset);
  check_and_free(g, p);
}

/* A value read after the one that would overwrite it may not be written
 * in place: y = exp(a) must not land on a while a is still read by y + a. */
static void test_no_in_place_when_read_later(void **state) {
  jet_graph *g = parse(
      "graph f(%0: f32[32,32]) {\n"
      "  %1 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] %0, %0 : f32[32,32]\n"
      "  %2 = exp %1 : f32[32,32]\n"
      "  %3 = add %2, %1 : f32[32,32]\n"
      "  %4 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] %2, %3 : f32[32,32]\n"
      "  return %4\n"
      "}\n");
  jet_program *p = lower(g);
  assert_int_equal(p->locs[2].kind, JET_LOC_ARENA);
  assert_int_equal(p->locs[3].kind, JET_LOC_ARENA);
  /* %3 is written after %1's last read: it may take %1's block; %2 may not. */
  assert_int_not_equal(p->locs[2].offset, p->locs[1].offset);
  check_and_free(g, p);
}

/* Reductions: over all axes, the trailing axis (rows) and the leading axis
 * (columns), fused behind their elementwise producers; a middle-axis one
 * stays a kernel. */
static void test_reductions(void **state) {
  jet_graph *g = parse(
      "graph f(%0: f32[300,70], %1: f32[300,70], %2: f32[4,5,6]) {\n"
      "  %3 = mul %0, %1 : f32[300,70]\n"
      "  %4 = reduce_sum[axes=[0,1]] %3 : f32[]\n"
      "  %5 = exp %0 : f32[300,70]\n"
      "  %6 = reduce_max[axes=[1]] %5 : f32[300]\n"
      "  %7 = sub %0, %1 : f32[300,70]\n"
      "  %8 = reduce_sum[axes=[0]] %7 : f32[70]\n"
      "  %9 = reduce_min[axes=[1]] %2 : f32[4,6]\n"
      "  return %4, %6, %8, %9\n"
      "}\n");
  jet_program *p = lower(g);
  const jet_program_info info = info_of(p);
  assert_int_equal(info.fused_steps, 3);
  assert_int_equal(info.steps, 4);
  check_and_free(g, p);
}

/* Broadcasts are read through strides inside fused steps and materialised
 * once for a kernel; reshapes of values in memory are aliases; outputs that
 * are parameters, constants or listed twice are copies. */
static void test_broadcast_reshape_outputs(void **state) {
  jet_graph *g = parse(
      "graph f(%0: f32[8,16], %1: f32[16], %2: f32[8]) {\n"
      "  %3 = broadcast_in_dim[shape=[8,16], broadcast_dimensions=[1]] %1 : f32[8,16]\n"
      "  %4 = broadcast_in_dim[shape=[8,16], broadcast_dimensions=[0]] %2 : f32[8,16]\n"
      "  %5 = add %0, %3 : f32[8,16]\n"
      "  %6 = mul %5, %4 : f32[8,16]\n"
      "  %7 = reshape[new_sizes=[16,8]] %6 : f32[16,8]\n"
      "  %8 = dot_general[lhs_contracting_dimensions=[1], rhs_contracting_dimensions=[0]] %3, %7 : f32[8,8]\n"
      "  %9 = constant[value=f32[]{2.0}] : f32[]\n"
      "  return %8, %6, %0, %9, %6, %7\n"
      "}\n");
  jet_program *p = lower(g);
  assert_int_equal(p->locs[7].kind, p->locs[6].kind); /* alias */
  assert_int_equal(p->locs[6].kind, JET_LOC_OUTPUT);
  assert_true(p->copy_out[2] && p->copy_out[3] && p->copy_out[4] && p->copy_out[5]);
  assert_false(p->copy_out[0] || p->copy_out[1]);
  check_and_free(g, p);
}

/* A cancelled or expired execution stops inside a fused step (checked
 * before every task) and the run answers CANCELLED / DEADLINE_EXCEEDED. */
static void test_cancel_inside_fused_step(void **state) {
  jet_graph *g = parse(
      "graph f(%0: f32[1000000]) {\n"
      "  %1 = exp %0 : f32[1000000]\n"
      "  %2 = tanh %1 : f32[1000000]\n"
      "  return %2\n"
      "}\n");
  jet_program *p = lower(g);
  assert_int_equal(p->n_steps, 1);
  const jet_fused *f = p->steps[0].fused;
  assert_non_null(f);
  jet_buf x = {.type = g->value_types[0], .data = jet_mem_alloc(4000000)};
  fill(&x, 3);
  void *out = jet_mem_alloc(4000000);
  void *scratch = jet_mem_alloc(jet_fused_scratch_bytes(f, jet_pool_size(jet_pool_global())));
  void *base[3] = {x.data, NULL, out};
  atomic_int cancelled;
  atomic_init(&cancelled, 1);
  jet_exec_ctl ctl = {.cancelled = &cancelled};
  assert_false(jet_fused_run(f, base, scratch, &ctl));
  atomic_store(&cancelled, 0);
  assert_true(jet_fused_run(f, base, scratch, &ctl));
  jet_exec_ctl late = {.deadline_ns = 1}; /* long past */
  assert_false(jet_fused_run(f, base, scratch, &late));
  jet_buf o;
  jet_status st = jet_program_run(p, &x, 1, NULL, &o, &late);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_DEADLINE_EXCEEDED);
  jet_status_free(st);
  jet_mem_free(scratch);
  jet_mem_free(out);
  jet_mem_free(x.data);
  jet_program_destroy(p);
  jet_graph_destroy(g);
}

/* Donation: x * 2 may be written over x's buffer; the run takes it. */
static void test_donation(void **state) {
  jet_graph *g = parse(
      "graph f(%0: f32[1000], %1: f32[1000]) {\n"
      "  %2 = constant[value=f32[]{2.0}] : f32[]\n"
      "  %3 = mul %0, %2 : f32[1000]\n"
      "  %4 = add %3, %1 : f32[1000]\n"
      "  return %4, %1\n"
      "}\n");
  jet_program *p = lower(g);
  assert_true(p->donate_ok[0 * 2 + 0]);  /* %0 -> output 0 */
  assert_false(p->donate_ok[1 * 2 + 0]); /* %1 is an output itself */
  jet_buf args[2];
  for (int i = 0; i < 2; i++) {
    args[i].type = g->value_types[i];
    args[i].data = jet_mem_alloc(4000);
    fill(&args[i], (uint32_t)i + 7);
  }
  float want[1000];
  for (int i = 0; i < 1000; i++)
    want[i] = ((float *)args[0].data)[i] * 2.0f + ((float *)args[1].data)[i];
  void *donate[2] = {args[0].data, NULL};
  jet_buf outs[2];
  assert_null(jet_program_run(p, args, 2, donate, outs, NULL));
  assert_null(donate[0]);
  assert_ptr_equal(outs[0].data, args[0].data);
  assert_memory_equal(outs[0].data, want, sizeof want);
  jet_mem_free(outs[0].data);
  jet_mem_free(outs[1].data);
  jet_mem_free(args[1].data);
  jet_program_destroy(p);
  jet_graph_destroy(g);
}

/* Integers, bools, converts and selects go through the same path. */
static void test_mixed_dtypes(void **state) {
  jet_graph *g = parse(
      "graph f(%0: i32[3000], %1: f32[3000]) {\n"
      "  %2 = convert_element_type[new_dtype=f32] %0 : f32[3000]\n"
      "  %3 = gt %2, %1 : bool[3000]\n"
      "  %4 = select %3, %2, %1 : f32[3000]\n"
      "  %5 = convert_element_type[new_dtype=i32] %4 : i32[3000]\n"
      "  %6 = mul %5, %0 : i32[3000]\n"
      "  %7 = reduce_max[axes=[0]] %6 : i32[]\n"
      "  return %6, %7, %3\n"
      "}\n");
  jet_program *p = lower(g);
  check_and_free(g, p);
}

static int setup(void **state) {
  jet_status st = jet_pool_global_init(2);
  if (st) {
    jet_status_free(st);
    return -1;
  }
  return 0;
}

static int teardown(void **state) {
  jet_pool_global_shutdown();
  return 0;
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_chain_is_one_step),
      cmocka_unit_test(test_in_place_and_arena),
      cmocka_unit_test(test_no_in_place_when_read_later),
      cmocka_unit_test(test_reductions),
      cmocka_unit_test(test_broadcast_reshape_outputs),
      cmocka_unit_test(test_donation),
      cmocka_unit_test(test_cancel_inside_fused_step),
      cmocka_unit_test(test_mixed_dtypes),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
