/* The runtime collective library (server/runtime/collective/comm.h) on its
 * one-host backend: every collective with 1, 2, 3, 4 and 8 member threads,
 * several dtypes and axes, against references computed here element by
 * element from the op definitions; bit-identical reductions across members;
 * group-wide argument errors; 1000 rounds on one communicator (latency
 * printed); abort, cancel flag and deadline while members wait. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "collective/comm.h"

#define MAXN 8
static const uint32_t SIZES[] = {1, 2, 3, 4, 8};
#define N_SIZES (sizeof SIZES / sizeof SIZES[0])
static const jet_dtype NUM_DTYPES[] = {JET_F32, JET_F64, JET_I32, JET_I64, JET_U8, JET_U32};

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static void expect_ok(jet_status st) {
  if (st) {
    print_error("unexpected error %s: %s\n", jet_code_name(jet_status_code(st)),
                jet_status_message(st));
    jet_status_free(st);
    fail();
  }
}

static jet_type ty(jet_dtype dt, int32_t rank, const int64_t *dims) {
  return jet_type_make(dt, rank, dims);
}

/* ---- running a group of member threads ---- */

typedef jet_status (*member_fn)(jet_comm *c, uint32_t rank, void *arg);
typedef struct member {
  jet_comm *c;
  uint32_t rank;
  member_fn fn;
  void *arg;
  jet_status st;
  int64_t end_ns;
} member;

static void *member_main(void *p) {
  member *m = p;
  m->st = m->fn(m->c, m->rank, m->arg);
  m->end_ns = now_ns();
  return NULL;
}

/* Runs fn on every rank of c, each on its own thread; statuses in m. */
static void run_group(jet_comm *c, member_fn fn, void *arg, member *m) {
  uint32_t n = jet_comm_size(c);
  pthread_t th[MAXN];
  for (uint32_t r = 0; r < n; r++) {
    m[r] = (member){c, r, fn, arg, NULL, 0};
    assert_int_equal(pthread_create(&th[r], NULL, member_main, &m[r]), 0);
  }
  for (uint32_t r = 0; r < n; r++) pthread_join(th[r], NULL);
}

/* ---- data and element access ---- */

static uint64_t mix(uint64_t a, uint64_t b, uint64_t c) {
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ (b + 0x632BE59BD9B4E019ull) * 0xBF58476D1CE4E5B9ull ^
               c * 0x94D049BB133111EBull;
  x ^= x >> 31;
  x *= 0xD6E8FD9AF1A5B3C1ull;
  return x ^ (x >> 29);
}

static void fill(jet_dtype dt, void *p, int64_t numel, uint32_t member_id, uint64_t salt) {
  for (int64_t e = 0; e < numel; e++) {
    uint64_t h = mix(member_id + 1, (uint64_t)e, salt);
    double f = (double)(h % 200001) / 7.0 - 14285.0; /* inexact sums: order matters */
    switch (dt) {
      case JET_F32: ((float *)p)[e] = (float)f; break;
      case JET_F64: ((double *)p)[e] = f; break;
      case JET_I32: ((int32_t *)p)[e] = (int32_t)(uint32_t)h; break; /* sums wrap */
      case JET_I64: ((int64_t *)p)[e] = (int64_t)h; break;
      case JET_U8: ((uint8_t *)p)[e] = (uint8_t)h; break;
      case JET_U32: ((uint32_t *)p)[e] = (uint32_t)(h >> 13); break;
      case JET_BOOL: ((uint8_t *)p)[e] = (uint8_t)(h & 1); break;
      default: fail();
    }
  }
}

/* Reference reduction of element e over members 0..n-1 in that order. */
#define REF_RED(T, U)                                                             \
  {                                                                               \
    T acc = ((const T *)ins[0])[e];                                               \
    for (uint32_t j = 1; j < n; j++) {                                            \
      T v = ((const T *)ins[j])[e];                                               \
      if (kind == JET_COMM_PSUM || kind == JET_COMM_PSUM_SCATTER)                 \
        acc = (T)(U)((U)acc + (U)v);                                              \
      else if (acc != acc)                                                        \
        ;                                                                         \
      else if (v != v || (kind == JET_COMM_PMAX ? v > acc : v < acc))             \
        acc = v;                                                                  \
    }                                                                             \
    ((T *)out)[e] = acc;                                                          \
  }

static void ref_reduce(jet_comm_kind kind, jet_dtype dt, void *const *ins, uint32_t n,
                       int64_t numel, void *out) {
  for (int64_t e = 0; e < numel; e++) {
    switch (dt) {
      case JET_F32: REF_RED(float, float) break;
      case JET_F64: REF_RED(double, double) break;
      case JET_I32: REF_RED(int32_t, uint32_t) break;
      case JET_I64: REF_RED(int64_t, uint64_t) break;
      case JET_U8: REF_RED(uint8_t, uint32_t) break;
      case JET_U32: REF_RED(uint32_t, uint32_t) break;
      default: fail();
    }
  }
}

static void unravel(const jet_type *t, int64_t f, int64_t *idx) {
  for (int32_t i = t->rank - 1; i >= 0; i--) {
    idx[i] = f % t->dims[i];
    f /= t->dims[i];
  }
}

static int64_t ravel(const jet_type *t, const int64_t *idx) {
  int64_t f = 0;
  for (int32_t i = 0; i < t->rank; i++) f = f * t->dims[i] + idx[i];
  return f;
}

/* ---- one collective case: n members, fresh buffers, reference check ---- */

typedef struct coll_case {
  jet_comm_op op;
  jet_type in_type, out_type;
  void *ins[MAXN], *outs[MAXN];
  bool in_place;
} coll_case;

static jet_status member_run(jet_comm *c, uint32_t r, void *arg) {
  coll_case *cc = arg;
  jet_buf in = {cc->in_type, cc->ins[r]};
  jet_buf out = {cc->out_type, cc->in_place ? cc->ins[r] : cc->outs[r]};
  return jet_comm_run(c, r, &cc->op, &in, &out, NULL);
}

/* Expected output of member r, element by element from the definitions. */
static void reference(const coll_case *cc, uint32_t n, uint32_t r, void *const *ins, void *want) {
  const jet_type *S = &cc->in_type, *O = &cc->out_type;
  const size_t es = jet_dtype_size(S->dtype);
  const int64_t onum = jet_type_numel(O);
  const int32_t a = cc->op.axis, c = cc->op.concat_axis;
  void *full = NULL;
  if (cc->op.kind == JET_COMM_PSUM_SCATTER) {
    full = malloc(jet_type_nbytes(S) + 1);
    ref_reduce(JET_COMM_PSUM, S->dtype, ins, n, jet_type_numel(S), full);
  }
  switch (cc->op.kind) {
    case JET_COMM_PSUM:
    case JET_COMM_PMAX:
    case JET_COMM_PMIN:
      ref_reduce(cc->op.kind, S->dtype, ins, n, onum, want);
      return;
    case JET_COMM_PPERMUTE: {
      memset(want, 0, jet_type_nbytes(O));
      for (uint32_t i = 0; i < cc->op.n_pairs; i++)
        if (cc->op.perm[2 * i + 1] == r)
          memcpy(want, ins[cc->op.perm[2 * i]], jet_type_nbytes(O));
      return;
    }
    default:
      break;
  }
  for (int64_t f = 0; f < onum; f++) {
    int64_t oi[JET_MAX_RANK], si[JET_MAX_RANK];
    unravel(O, f, oi);
    uint32_t j = 0;
    const void *src = NULL;
    switch (cc->op.kind) {
      case JET_COMM_ALL_GATHER:
        /* out[.., j, ..] = x_j (untiled); out[.., j*S[a] + i, ..] = x_j[.., i, ..] */
        if (cc->op.tiled) {
          memcpy(si, oi, sizeof si);
          j = (uint32_t)(oi[a] / S->dims[a]);
          si[a] = oi[a] % S->dims[a];
        } else {
          j = (uint32_t)oi[a];
          for (int32_t i = 0, k = 0; i < O->rank; i++)
            if (i != a) si[k++] = oi[i];
        }
        src = ins[j];
        break;
      case JET_COMM_PSUM_SCATTER:
        /* slice r of psum(x) along scatter_dimension */
        if (cc->op.tiled) {
          memcpy(si, oi, sizeof si);
          si[a] += (int64_t)r * (S->dims[a] / n);
        } else {
          for (int32_t i = 0, k = 0; i < S->rank; i++) si[i] = i == a ? r : oi[k++];
        }
        src = full;
        break;
      case JET_COMM_ALL_TO_ALL:
        /* chunk r of x_j along split_axis lands as the j-th chunk along concat_axis */
        if (cc->op.tiled) {
          const int64_t m = S->dims[a] / n;
          const int64_t bc = a == c ? m : S->dims[c];
          memcpy(si, oi, sizeof si);
          j = (uint32_t)(oi[c] / bc);
          si[c] = oi[c] % bc;
          si[a] += (int64_t)r * m;
        } else {
          int64_t del[JET_MAX_RANK];
          j = (uint32_t)oi[c];
          for (int32_t i = 0, k = 0; i < O->rank; i++)
            if (i != c) del[k++] = oi[i];
          for (int32_t i = 0, k = 0; i < S->rank; i++) si[i] = i == a ? r : del[k++];
        }
        src = ins[j];
        break;
      default:
        fail();
    }
    memcpy((char *)want + f * (int64_t)es, (const char *)src + ravel(S, si) * (int64_t)es, es);
  }
  free(full);
}

static bool is_red(jet_comm_kind k) {
  return k == JET_COMM_PSUM || k == JET_COMM_PMAX || k == JET_COMM_PMIN;
}

/* Runs op on n members with inputs of type in_type and checks every
 * member's output. Returns the number of checked members. */
static void check_case(uint32_t n, jet_comm_op op, jet_type in_type, bool in_place, uint64_t salt) {
  coll_case cc = {.op = op, .in_type = in_type, .in_place = in_place};
  expect_ok(jet_comm_result_type(&op, n, &in_type, &cc.out_type));
  const size_t ib = jet_type_nbytes(&in_type), ob = jet_type_nbytes(&cc.out_type);
  void *orig[MAXN];
  for (uint32_t j = 0; j < n; j++) {
    cc.ins[j] = malloc(ib + 1);
    orig[j] = malloc(ib + 1);
    cc.outs[j] = malloc(ob + 1);
    assert_non_null(cc.ins[j]);
    assert_non_null(cc.outs[j]);
    fill(in_type.dtype, cc.ins[j], jet_type_numel(&in_type), j, salt);
    memset(cc.outs[j], 0xAB, ob);
    memcpy(orig[j], cc.ins[j], ib);
  }
  if ((op.kind == JET_COMM_PMAX || op.kind == JET_COMM_PMIN) && jet_dtype_is_float(in_type.dtype) &&
      jet_type_numel(&in_type) > 5) {
    /* A NaN on the last member propagates. */
    if (in_type.dtype == JET_F32) ((float *)cc.ins[n - 1])[5] = NAN;
    else ((double *)cc.ins[n - 1])[5] = NAN;
    memcpy(orig[n - 1], cc.ins[n - 1], ib);
  }
  jet_comm *c;
  expect_ok(jet_comm_create(NULL, n, &c));
  member m[MAXN];
  run_group(c, member_run, &cc, m);
  for (uint32_t r = 0; r < n; r++) expect_ok(m[r].st);
  void *want = malloc(ob + 1);
  for (uint32_t r = 0; r < n; r++) {
    reference(&cc, n, r, orig, want);
    const void *got = in_place ? cc.ins[r] : cc.outs[r];
    if (memcmp(got, want, ob) != 0) {
      char ts[JET_TYPE_STR_MAX];
      print_error("%s n=%u member %u on %s axis=%d concat=%d tiled=%d: wrong result\n",
                  jet_comm_kind_name(op.kind), n, r, jet_type_str(&in_type, ts, sizeof ts),
                  op.axis, op.concat_axis, op.tiled);
      fail();
    }
    if (is_red(op.kind)) {
      /* every member holds the same bits */
      const void *first = in_place ? cc.ins[0] : cc.outs[0];
      assert_memory_equal(got, first, ob);
    }
    if (!in_place) assert_memory_equal(cc.ins[r], orig[r], ib); /* inputs untouched */
  }
  free(want);
  jet_comm_destroy(c);
  for (uint32_t j = 0; j < n; j++) {
    free(cc.ins[j]);
    free(orig[j]);
    free(cc.outs[j]);
  }
}

/* ---- the collectives ---- */

static void reductions(void **state) {
  (void)state;
  const int64_t small[] = {3, 37}, big[] = {4099};
  const jet_comm_kind kinds[] = {JET_COMM_PSUM, JET_COMM_PMAX, JET_COMM_PMIN};
  for (size_t si = 0; si < N_SIZES; si++)
    for (size_t d = 0; d < sizeof NUM_DTYPES / sizeof NUM_DTYPES[0]; d++)
      for (size_t k = 0; k < 3; k++) {
        jet_comm_op op = {.kind = kinds[k]};
        check_case(SIZES[si], op, ty(NUM_DTYPES[d], 2, small), false, 1 + k);
        check_case(SIZES[si], op, ty(NUM_DTYPES[d], 1, big), false, 7 + k);
        check_case(SIZES[si], op, ty(NUM_DTYPES[d], 0, NULL), false, 11 + k);
      }
}

static void reductions_in_place(void **state) {
  (void)state;
  const int64_t dims[] = {5, 301};
  for (size_t si = 0; si < N_SIZES; si++) {
    check_case(SIZES[si], (jet_comm_op){.kind = JET_COMM_PSUM}, ty(JET_F32, 2, dims), true, 3);
    check_case(SIZES[si], (jet_comm_op){.kind = JET_COMM_PMAX}, ty(JET_I64, 2, dims), true, 4);
  }
}

static void all_gather(void **state) {
  (void)state;
  const int64_t dims[] = {2, 3, 5};
  const jet_dtype dts[] = {JET_F32, JET_I64, JET_U8, JET_BOOL};
  for (size_t si = 0; si < N_SIZES; si++)
    for (size_t d = 0; d < 4; d++) {
      for (int32_t a = 0; a <= 3; a++)
        check_case(SIZES[si], (jet_comm_op){.kind = JET_COMM_ALL_GATHER, .axis = a},
                   ty(dts[d], 3, dims), false, 20 + a);
      for (int32_t a = 0; a < 3; a++)
        check_case(SIZES[si], (jet_comm_op){.kind = JET_COMM_ALL_GATHER, .axis = a, .tiled = true},
                   ty(dts[d], 3, dims), false, 30 + a);
      check_case(SIZES[si], (jet_comm_op){.kind = JET_COMM_ALL_GATHER}, ty(dts[d], 0, NULL),
                 false, 40);
    }
}

static void psum_scatter(void **state) {
  (void)state;
  const jet_dtype dts[] = {JET_F64, JET_F32, JET_I32, JET_U8};
  for (size_t si = 0; si < N_SIZES; si++) {
    const int64_t n = SIZES[si];
    for (size_t d = 0; d < 4; d++)
      for (int32_t a = 0; a < 3; a++) {
        int64_t dims[] = {3, 4, 2};
        dims[a] = n;
        check_case((uint32_t)n, (jet_comm_op){.kind = JET_COMM_PSUM_SCATTER, .axis = a},
                   ty(dts[d], 3, dims), false, 50 + a);
        dims[a] = 3 * n;
        check_case((uint32_t)n,
                   (jet_comm_op){.kind = JET_COMM_PSUM_SCATTER, .axis = a, .tiled = true},
                   ty(dts[d], 3, dims), false, 60 + a);
      }
  }
}

static void ppermute(void **state) {
  (void)state;
  const int64_t dims[] = {7, 3};
  for (size_t si = 0; si < N_SIZES; si++) {
    const uint32_t n = SIZES[si];
    int64_t shift[2 * MAXN], rev[2 * MAXN], partial[] = {0, (int64_t)n - 1};
    for (uint32_t i = 0; i < n; i++) {
      shift[2 * i] = i;
      shift[2 * i + 1] = (i + 1) % n;
      rev[2 * i] = i;
      rev[2 * i + 1] = n - 1 - i;
    }
    const jet_dtype dts[] = {JET_F32, JET_U8, JET_I64};
    for (size_t d = 0; d < 3; d++) {
      jet_type t = ty(dts[d], 2, dims);
      check_case(n, (jet_comm_op){.kind = JET_COMM_PPERMUTE, .perm = shift, .n_pairs = n}, t,
                 false, 70);
      check_case(n, (jet_comm_op){.kind = JET_COMM_PPERMUTE, .perm = rev, .n_pairs = n}, t, false,
                 71);
      check_case(n, (jet_comm_op){.kind = JET_COMM_PPERMUTE, .perm = partial, .n_pairs = 1}, t,
                 false, 72);
      check_case(n, (jet_comm_op){.kind = JET_COMM_PPERMUTE, .n_pairs = 0}, t, false, 73);
    }
  }
}

static void all_to_all(void **state) {
  (void)state;
  for (size_t si = 0; si < N_SIZES; si++) {
    const int64_t n = SIZES[si];
    const jet_dtype dts[] = {JET_F32, JET_I64, JET_U8};
    for (size_t d = 0; d < 3; d++)
      for (int32_t s = 0; s < 3; s++)
        for (int32_t c = 0; c < 3; c++) {
          int64_t dims[] = {2, 3, 4};
          dims[s] = n;
          check_case((uint32_t)n,
                     (jet_comm_op){.kind = JET_COMM_ALL_TO_ALL, .axis = s, .concat_axis = c},
                     ty(dts[d], 3, dims), false, 80 + 3 * s + c);
          dims[s] = 2 * n;
          check_case((uint32_t)n,
                     (jet_comm_op){.kind = JET_COMM_ALL_TO_ALL, .axis = s, .concat_axis = c,
                                   .tiled = true},
                     ty(dts[d], 3, dims), false, 90 + 3 * s + c);
        }
  }
}

/* By hand: n = 2, x_d = [[10d, 10d+1], [10d+2, 10d+3]];
 * all_to_all(split_axis=0, concat_axis=0) gives member 0 [[0,1],[10,11]]
 * and member 1 [[2,3],[12,13]] (a block transpose); doing it twice gives x
 * back. */
typedef struct a2a_hand {
  float x[2][4], y[2][4], z[2][4];
} a2a_hand;

static jet_status a2a_member(jet_comm *c, uint32_t r, void *arg) {
  a2a_hand *h = arg;
  const int64_t d22[] = {2, 2};
  jet_buf in = {ty(JET_F32, 2, d22), h->x[r]}, out = {ty(JET_F32, 2, d22), h->y[r]};
  JET_RETURN_IF_ERROR(jet_comm_all_to_all(c, r, 0, 0, false, &in, &out, NULL));
  /* the same exchange twice is the identity */
  jet_buf back = {ty(JET_F32, 2, d22), h->z[r]};
  return jet_comm_all_to_all(c, r, 0, 0, false, &out, &back, NULL);
}

static void all_to_all_by_hand(void **state) {
  (void)state;
  a2a_hand h;
  for (int d = 0; d < 2; d++)
    for (int i = 0; i < 4; i++) h.x[d][i] = (float)(10 * d + i);
  jet_comm *c;
  expect_ok(jet_comm_create(NULL, 2, &c));
  member m[2];
  run_group(c, a2a_member, &h, m);
  expect_ok(m[0].st);
  expect_ok(m[1].st);
  const float want0[] = {0, 1, 10, 11}, want1[] = {2, 3, 12, 13};
  assert_memory_equal(h.y[0], want0, sizeof want0);
  assert_memory_equal(h.y[1], want1, sizeof want1);
  assert_memory_equal(h.z, h.x, sizeof h.x);
  jet_comm_destroy(c);
}

static jet_status axis_index_member(jet_comm *c, uint32_t r, void *arg) {
  int32_t *got = arg;
  jet_buf out = {jet_type_scalar(JET_I32), &got[r]};
  return jet_comm_axis_index(c, r, &out);
}

static void axis_index(void **state) {
  (void)state;
  for (size_t si = 0; si < N_SIZES; si++) {
    int32_t got[MAXN] = {0};
    jet_comm *c;
    expect_ok(jet_comm_create(NULL, SIZES[si], &c));
    member m[MAXN];
    run_group(c, axis_index_member, got, m);
    for (uint32_t r = 0; r < SIZES[si]; r++) {
      expect_ok(m[r].st);
      assert_int_equal(got[r], r);
    }
    jet_comm_destroy(c);
  }
}

/* ---- argument errors ---- */

static void expect_code(jet_status st, jet_code code, const char *needle) {
  if (jet_status_code(st) != code || (needle && !strstr(jet_status_message(st), needle))) {
    print_error("want %s containing '%s', got %s: %s\n", jet_code_name(code),
                needle ? needle : "", jet_code_name(jet_status_code(st)), jet_status_message(st));
    jet_status_free(st);
    fail();
  }
  jet_status_free(st);
}

static void result_type_errors(void **state) {
  (void)state;
  const int64_t d23[] = {2, 3};
  jet_type t = ty(JET_F32, 2, d23), o;
  jet_type b = ty(JET_BOOL, 2, d23);
  expect_code(jet_comm_result_type(&(jet_comm_op){.kind = JET_COMM_PSUM}, 2, &b, &o),
              JET_INVALID_ARGUMENT, "numeric");
  expect_code(jet_comm_result_type(&(jet_comm_op){.kind = JET_COMM_ALL_GATHER, .axis = 3}, 2, &t,
                                   &o), JET_INVALID_ARGUMENT, "axis=3");
  expect_code(jet_comm_result_type(
                  &(jet_comm_op){.kind = JET_COMM_ALL_GATHER, .axis = 2, .tiled = true}, 2, &t, &o),
              JET_INVALID_ARGUMENT, "axis=2");
  expect_code(jet_comm_result_type(&(jet_comm_op){.kind = JET_COMM_PSUM_SCATTER, .axis = 1}, 2,
                                   &t, &o), JET_INVALID_ARGUMENT, "must equal the axis size");
  expect_code(jet_comm_result_type(
                  &(jet_comm_op){.kind = JET_COMM_PSUM_SCATTER, .axis = 1, .tiled = true}, 2, &t,
                  &o), JET_INVALID_ARGUMENT, "not divisible");
  expect_code(jet_comm_result_type(
                  &(jet_comm_op){.kind = JET_COMM_ALL_TO_ALL, .axis = 0, .concat_axis = 2}, 2, &t,
                  &o), JET_INVALID_ARGUMENT, "concat_axis=2");
  const int64_t dup[] = {0, 1, 1, 1}, far[] = {0, 2};
  expect_code(jet_comm_result_type(
                  &(jet_comm_op){.kind = JET_COMM_PPERMUTE, .perm = dup, .n_pairs = 2}, 2, &t, &o),
              JET_INVALID_ARGUMENT, "destination 1 appears twice");
  expect_code(jet_comm_result_type(
                  &(jet_comm_op){.kind = JET_COMM_PPERMUTE, .perm = far, .n_pairs = 1}, 2, &t, &o),
              JET_INVALID_ARGUMENT, "out of range");
  /* untiled all_to_all moves the axis: f32[2,3] split 0 concat 1 -> f32[3,2] */
  expect_ok(jet_comm_result_type(
      &(jet_comm_op){.kind = JET_COMM_ALL_TO_ALL, .axis = 0, .concat_axis = 1}, 2, &t, &o));
  assert_int_equal(o.rank, 2);
  assert_int_equal(o.dims[0], 3);
  assert_int_equal(o.dims[1], 2);
  jet_comm *c;
  expect_code(jet_comm_create(NULL, 0, &c), JET_INVALID_ARGUMENT, "size");
  expect_code(jet_comm_create(NULL, JET_COMM_LOCAL_MAX_SIZE + 1, &c), JET_INVALID_ARGUMENT,
              "at most");
}

/* Member 1 misbehaves in round `mode`; afterwards everyone runs a good psum. */
typedef struct bad_case {
  int mode;
  float in[MAXN][6], out[MAXN][6];
} bad_case;

static jet_status bad_member(jet_comm *c, uint32_t r, void *arg) {
  bad_case *bc = arg;
  const int64_t d6[] = {6}, d5[] = {5};
  jet_buf in = {ty(JET_F32, 1, d6), bc->in[r]}, out = {ty(JET_F32, 1, d6), bc->out[r]};
  jet_status st;
  if (r == 1 && bc->mode == 0) st = jet_comm_pmax(c, r, &in, &out, NULL);      /* other op */
  else if (r == 1 && bc->mode == 1) {                                          /* other type */
    in.type = out.type = ty(JET_F32, 1, d5);
    st = jet_comm_psum(c, r, &in, &out, NULL);
  } else if (r == 1 && bc->mode == 2) {                                        /* bad output */
    out.type = ty(JET_F32, 1, d5);
    st = jet_comm_psum(c, r, &in, &out, NULL);
  } else if (bc->mode == 3) {                                                  /* overlap */
    st = jet_comm_ppermute(c, r, (const int64_t[]){0, 1}, 1, &in,
                           &(jet_buf){in.type, bc->in[r]}, NULL);
  } else {
    st = jet_comm_psum(c, r, &in, &out, NULL);
  }
  if (!st) return jet_status_make(JET_INTERNAL, "member %u: bad call succeeded", r);
  jet_code code = jet_status_code(st);
  jet_status_free(st);
  if (code != JET_INVALID_ARGUMENT) return jet_status_make(code, "member %u: wrong code", r);
  in.type = out.type = ty(JET_F32, 1, d6);
  return jet_comm_psum(c, r, &in, &out, NULL); /* the group is still usable */
}

static void group_errors(void **state) {
  (void)state;
  for (int mode = 0; mode < 4; mode++) {
    bad_case bc;
    for (uint32_t j = 0; j < 3; j++)
      for (int e = 0; e < 6; e++) bc.in[j][e] = (float)(j * 10 + e);
    bc.mode = mode;
    jet_comm *c;
    expect_ok(jet_comm_create(NULL, 3, &c));
    member m[3];
    run_group(c, bad_member, &bc, m);
    for (uint32_t r = 0; r < 3; r++) {
      expect_ok(m[r].st);
      for (int e = 0; e < 6; e++) assert_true(bc.out[r][e] == (float)(30 + 3 * e));
    }
    assert_int_equal(jet_comm_abort_code(c), JET_OK);
    jet_comm_destroy(c);
  }
}

/* ---- 1000 rounds on one communicator ---- */

enum { ROUNDS = 1000, SMALL = 16 };

static jet_status rounds_member(jet_comm *c, uint32_t r, void *arg) {
  (void)arg;
  const uint32_t n = jet_comm_size(c);
  const int64_t d[] = {SMALL};
  int32_t in[SMALL], out[SMALL];
  for (int i = 0; i < ROUNDS; i++) {
    for (int e = 0; e < SMALL; e++) in[e] = (int32_t)(i * 1000 + (int)r * 10 + e);
    jet_buf bi = {ty(JET_I32, 1, d), in}, bo = {ty(JET_I32, 1, d), out};
    JET_RETURN_IF_ERROR(jet_comm_psum(c, r, &bi, &bo, NULL));
    for (int e = 0; e < SMALL; e++) {
      int32_t want = (int32_t)n * (i * 1000 + e) + 10 * (int32_t)(n * (n - 1) / 2);
      if (out[e] != want)
        return jet_status_make(JET_INTERNAL, "round %d member %u element %d: %d, want %d", i, r,
                               e, out[e], want);
    }
  }
  return NULL;
}

static void repeated_rounds(void **state) {
  (void)state;
  for (size_t si = 0; si < N_SIZES; si++) {
    jet_comm *c;
    expect_ok(jet_comm_create(NULL, SIZES[si], &c));
    member m[MAXN];
    int64_t t0 = now_ns();
    run_group(c, rounds_member, NULL, m);
    int64_t t1 = now_ns();
    for (uint32_t r = 0; r < SIZES[si]; r++) expect_ok(m[r].st);
    printf("psum of i32[%d], %u members, %d rounds: %.2f us per call\n", SMALL, SIZES[si], ROUNDS,
           (double)(t1 - t0) / ROUNDS / 1e3);
    jet_comm_destroy(c);
  }
}

/* ---- abort, cancel flag, deadline while members wait ---- */

typedef struct wait_case {
  uint32_t culprit;     /* this member does not call the collective */
  int how;              /* 0: it aborts with INTERNAL, 1: with NULL (CANCELLED) */
  atomic_int cancel;    /* the waiters' cancel flag (how 2) */
  int64_t deadline_ns;  /* member 0's deadline (how 3) */
  int64_t t_abort;      /* when the abort / cancel happened */
} wait_case;

static jet_status wait_member(jet_comm *c, uint32_t r, void *arg) {
  wait_case *w = arg;
  float x[4] = {1, 2, 3, 4}, y[4];
  const int64_t d[] = {4};
  jet_buf in = {ty(JET_F32, 1, d), x}, out = {ty(JET_F32, 1, d), y};
  if (r == w->culprit) {
    usleep(100000); /* let the others block first */
    w->t_abort = now_ns();
    if (w->how == 0) {
      jet_status why = jet_status_make(JET_INTERNAL, "member %u failed", r);
      jet_comm_abort(c, why);
      jet_status_free(why);
    } else if (w->how == 1) {
      jet_comm_abort(c, NULL);
    } else if (w->how == 2) {
      atomic_store(&w->cancel, 1);
    }
    if (w->how >= 2) return NULL; /* never arrives */
    /* a later call returns the abort at once */
    return jet_comm_psum(c, r, &in, &out, NULL);
  }
  jet_exec_ctl ctl = {.cancelled = &w->cancel, .deadline_ns = r == 0 ? w->deadline_ns : 0};
  return jet_comm_psum(c, r, &in, &out, &ctl);
}

static void abort_while_waiting(void **state) {
  (void)state;
  const jet_code want[] = {JET_INTERNAL, JET_CANCELLED, JET_CANCELLED, JET_DEADLINE_EXCEEDED};
  for (int how = 0; how < 4; how++) {
    for (size_t si = 1; si < N_SIZES; si++) {
      const uint32_t n = SIZES[si];
      wait_case w = {.culprit = n - 1, .how = how};
      atomic_init(&w.cancel, 0);
      if (how == 3) w.deadline_ns = now_ns() + 100000000LL;
      jet_comm *c;
      expect_ok(jet_comm_create(NULL, n, &c));
      member m[MAXN];
      int64_t t0 = now_ns();
      run_group(c, wait_member, &w, m);
      if (how == 3) w.t_abort = w.deadline_ns;
      int64_t worst = 0;
      for (uint32_t r = 0; r < n; r++) {
        if (how >= 2 && r == n - 1) {
          expect_ok(m[r].st);
          continue;
        }
        if (jet_status_code(m[r].st) != want[how]) {
          print_error("how %d n %u member %u: %s %s\n", how, n, r,
                      jet_code_name(jet_status_code(m[r].st)), jet_status_message(m[r].st));
          fail();
        }
        if (how == 0 && !strstr(jet_status_message(m[r].st), "failed")) fail();
        jet_status_free(m[r].st);
        if (m[r].end_ns - w.t_abort > worst) worst = m[r].end_ns - w.t_abort;
      }
      assert_true(worst < 1000000000LL); /* everybody stops within a second */
      assert_int_equal(jet_comm_abort_code(c), want[how]);
      if (si == N_SIZES - 1)
        printf("abort mode %d, %u members: all returned %s within %.1f ms (run %.1f ms)\n", how,
               n, jet_code_name(want[how]), worst / 1e6, (now_ns() - t0) / 1e6);
      jet_comm_destroy(c);
    }
  }
}

static void bad_rank_aborts(void **state) {
  (void)state;
  jet_comm *c;
  expect_ok(jet_comm_create(NULL, 2, &c));
  float x = 1, y;
  jet_buf in = {jet_type_scalar(JET_F32), &x}, out = {jet_type_scalar(JET_F32), &y};
  expect_code(jet_comm_psum(c, 2, &in, &out, NULL), JET_INVALID_ARGUMENT, "rank 2");
  expect_code(jet_comm_psum(c, 0, &in, &out, NULL), JET_INVALID_ARGUMENT, "aborted");
  jet_comm_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(reductions),
      cmocka_unit_test(reductions_in_place),
      cmocka_unit_test(all_gather),
      cmocka_unit_test(psum_scatter),
      cmocka_unit_test(ppermute),
      cmocka_unit_test(all_to_all),
      cmocka_unit_test(all_to_all_by_hand),
      cmocka_unit_test(axis_index),
      cmocka_unit_test(result_type_errors),
      cmocka_unit_test(group_errors),
      cmocka_unit_test(repeated_rounds),
      cmocka_unit_test(abort_while_waiting),
      cmocka_unit_test(bad_rank_aborts),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
