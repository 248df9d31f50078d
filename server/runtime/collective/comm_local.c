/* The one-host collective backend: the members are threads of this process
 * and exchange data through shared memory without staging copies.
 *
 * Every call runs the same protocol (README.md has the reasoning):
 *   1. publish: member r stores a pointer to its call (input, output,
 *      attributes; all alive while r is blocked) in its slot;
 *   2. barrier A (abortable): every member has published;
 *   3. every member runs the same checks over all slots (same op, same
 *      attributes, same input type, no forbidden overlap, nobody's own
 *      arguments failed), so all reach the same verdict;
 *   4. member r computes its share of the results reading peers' inputs
 *      in place (and, for psum/pmax/pmin, writing peers' outputs);
 *   5. barrier B (not abortable): nobody returns, and so reuses its input
 *      or output, while a peer may still touch it.
 * Reductions combine members in rank order 0, 1, ..., n-1 and every result
 * element is computed once, so all members get the same bits whatever the
 * thread timing.
 */
#include <stdlib.h>
#include <string.h>

#include "comm_backend.h"
#include "comm_barrier.h"
#include "comm_move.h"

typedef struct slot {
  _Alignas(64) const jet_comm_call *call; /* valid between barriers A and B */
  atomic_bool busy;                       /* a call of this rank is in flight */
} slot;

typedef struct local_comm {
  jet_comm base;
  jet_comm_barrier bar;
  slot *slots;
} local_comm;

static jet_status local_create(uint32_t size, jet_comm **out) {
  if (size > JET_COMM_LOCAL_MAX_SIZE)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "collective group of %u members: the local backend allows at most %d",
                           size, JET_COMM_LOCAL_MAX_SIZE);
  local_comm *lc = calloc(1, sizeof *lc);
  if (!lc) return jet_status_oom("collective communicator");
  lc->slots = aligned_alloc(64, (size_t)size * sizeof(slot));
  if (!lc->slots) {
    free(lc);
    return jet_status_oom("collective communicator slots");
  }
  for (uint32_t i = 0; i < size; i++) {
    lc->slots[i].call = NULL;
    atomic_init(&lc->slots[i].busy, false);
  }
  jet_status st = jet__comm_barrier_init(&lc->bar, size);
  if (st) {
    free(lc->slots);
    free(lc);
    return st;
  }
  lc->base.backend = &jet_comm_local_backend;
  lc->base.size = size;
  *out = &lc->base;
  return NULL;
}

static void local_destroy(jet_comm *c) {
  local_comm *lc = (local_comm *)c;
  jet__comm_barrier_destroy(&lc->bar);
  free(lc->slots);
  free(lc);
}

static void local_abort(jet_comm *c, jet_code code, const char *msg) {
  jet__comm_barrier_abort(&((local_comm *)c)->bar, code, msg);
}

static jet_code local_abort_code(const jet_comm *c) {
  return (jet_code)atomic_load(&((const local_comm *)c)->bar.abort_code);
}

/* ---- step 3: the group's checks (the same verdict on every member) ---- */

static bool same_attrs(const jet_comm_op *a, const jet_comm_op *b) {
  if (a->kind != b->kind) return false;
  switch (a->kind) {
    case JET_COMM_ALL_GATHER:
    case JET_COMM_PSUM_SCATTER:
      return a->axis == b->axis && a->tiled == b->tiled;
    case JET_COMM_ALL_TO_ALL:
      return a->axis == b->axis && a->concat_axis == b->concat_axis && a->tiled == b->tiled;
    case JET_COMM_PPERMUTE:
      return a->n_pairs == b->n_pairs &&
             (a->n_pairs == 0 || memcmp(a->perm, b->perm, 2 * a->n_pairs * sizeof(int64_t)) == 0);
    default:
      return true;
  }
}

static bool overlap(const void *a, size_t na, const void *b, size_t nb) {
  uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;
  return na && nb && x < y + nb && y < x + na;
}

static jet_status check_group(const local_comm *lc) {
  const uint32_t n = lc->base.size;
  for (uint32_t j = 0; j < n; j++) {
    jet_status le = lc->slots[j].call->local_error;
    if (le) return jet_status_make(jet_status_code(le), "%s", jet_status_message(le));
  }
  const jet_comm_call *c0 = lc->slots[0].call;
  for (uint32_t j = 1; j < n; j++) {
    const jet_comm_call *cj = lc->slots[j].call;
    if (!same_attrs(c0->op, cj->op) || !jet_type_equal(&c0->in->type, &cj->in->type)) {
      char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "collective mismatch: member %u calls %s on %s, member 0 calls %s on "
                             "%s (every member must make the same call)",
                             j, jet_comm_kind_name(cj->op->kind),
                             jet_type_str(&cj->in->type, a, sizeof a),
                             jet_comm_kind_name(c0->op->kind),
                             jet_type_str(&c0->in->type, b, sizeof b));
    }
  }
  const jet_comm_kind kind = c0->op->kind;
  const bool in_place_ok = kind == JET_COMM_PSUM || kind == JET_COMM_PMAX || kind == JET_COMM_PMIN;
  const size_t in_bytes = jet_type_nbytes(&c0->in->type);
  const size_t out_bytes = jet_type_nbytes(&c0->out->type);
  for (uint32_t j = 0; j < n; j++) {
    const void *oj = lc->slots[j].call->out->data;
    for (uint32_t k = 0; k < n; k++) {
      const void *ik = lc->slots[k].call->in->data;
      const void *ok = lc->slots[k].call->out->data;
      bool in_place = in_place_ok && j == k && oj == ik;
      const char *what = NULL;
      if (!in_place && overlap(oj, out_bytes, ik, in_bytes))
        what = "input";
      else if (j != k && overlap(oj, out_bytes, ok, out_bytes))
        what = "output";
      if (what)
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "%s: member %u's output overlaps member %u's %s",
                               jet_comm_kind_name(kind), j, k, what);
    }
  }
  return NULL;
}

/* ---- step 4: each member's share of the data movement ---- */

static const char *in_of(const local_comm *lc, uint32_t j) {
  return lc->slots[j].call->in->data;
}

/* psum/pmax/pmin: member r reduces the r-th of n slices (cut at 64-byte
 * lines) for everyone: it reads that slice of every input once and writes
 * it to every output, so the group reads and writes each byte once. */
static void move_all_reduce(const local_comm *lc, const jet_comm_call *call) {
  const uint32_t n = lc->base.size, r = call->rank;
  const jet_type *t = &call->in->type;
  const size_t es = jet_dtype_size(t->dtype);
  const int64_t numel = jet_type_numel(t);
  const int64_t per_line = es < 64 ? (int64_t)(64 / es) : 1;
  const int64_t lines = (numel + per_line - 1) / per_line;
  int64_t lo = lines * r / n * per_line, hi = lines * (r + 1) / n * per_line;
  if (lo > numel) lo = numel;
  if (hi > numel) hi = numel;
  if (hi <= lo) return;
  const void *src[JET_COMM_LOCAL_MAX_SIZE];
  void *dst[JET_COMM_LOCAL_MAX_SIZE];
  for (uint32_t j = 0; j < n; j++) {
    src[j] = in_of(lc, j) + lo * (int64_t)es;
    dst[j] = (char *)lc->slots[j].call->out->data + lo * (int64_t)es;
  }
  jet__comm_reduce(call->op->kind, t->dtype, src, n, dst, n, hi - lo);
}

/* Product of dims[from..to). */
static int64_t prod(const jet_type *t, int32_t from, int32_t to) {
  int64_t p = 1;
  for (int32_t i = from; i < to; i++) p *= t->dims[i];
  return p;
}

/* all_gather: member r fills its own output [outer, n, inner] from every
 * input [outer, inner] (tiled or not, the memory layout is the same). */
static void move_all_gather(const local_comm *lc, const jet_comm_call *call) {
  const uint32_t n = lc->base.size;
  const jet_type *t = &call->in->type;
  const size_t es = jet_dtype_size(t->dtype);
  const int64_t outer = prod(t, 0, call->op->axis);
  const size_t row = (size_t)prod(t, call->op->axis, t->rank) * es;
  char *out = call->out->data;
  if (row == 0) return;
  for (int64_t o = 0; o < outer; o++)
    for (uint32_t j = 0; j < n; j++)
      memcpy(out + ((size_t)o * n + j) * row, in_of(lc, j) + (size_t)o * row, row);
}

/* psum_scatter: member r reduces only its own slice r of the inputs viewed
 * as [outer, n, inner] into its output [outer, inner]. */
static void move_psum_scatter(const local_comm *lc, const jet_comm_call *call) {
  const uint32_t n = lc->base.size, r = call->rank;
  const jet_type *t = &call->in->type;
  const int32_t d = call->op->axis;
  const size_t es = jet_dtype_size(t->dtype);
  const int64_t outer = prod(t, 0, d);
  const int64_t inner = t->dims[d] / n * prod(t, d + 1, t->rank);
  const void *src[JET_COMM_LOCAL_MAX_SIZE];
  void *dst[1];
  for (int64_t o = 0; o < outer; o++) {
    for (uint32_t j = 0; j < n; j++)
      src[j] = in_of(lc, j) + (size_t)((o * n + r) * inner) * es;
    dst[0] = (char *)call->out->data + (size_t)(o * inner) * es;
    jet__comm_reduce(JET_COMM_PSUM, t->dtype, src, n, dst, 1, inner);
  }
}

/* ppermute: member r copies its source's input, or writes zeros. */
static void move_ppermute(const local_comm *lc, const jet_comm_call *call) {
  const size_t bytes = jet_type_nbytes(&call->in->type);
  if (bytes == 0) return;
  for (uint32_t i = 0; i < call->op->n_pairs; i++) {
    if (call->op->perm[2 * i + 1] == (int64_t)call->rank) {
      memcpy(call->out->data, in_of(lc, (uint32_t)call->op->perm[2 * i]), bytes);
      return;
    }
  }
  memset(call->out->data, 0, bytes);
}

/* all_to_all: member r gathers chunk r of every member j's input into the
 * j-th place along concat_axis of its own output (strided block copies). */
static void move_all_to_all(const local_comm *lc, const jet_comm_call *call) {
  const uint32_t n = lc->base.size, r = call->rank;
  const jet_type *t = &call->in->type, *ot = &call->out->type;
  const int32_t s = call->op->axis, c = call->op->concat_axis, k = t->rank;
  const size_t es = jet_dtype_size(t->dtype);
  int64_t in_st[JET_MAX_RANK], out_st[JET_MAX_RANK];
  jet_type_strides(t, in_st);
  jet_type_strides(ot, out_st);
  int64_t dims[JET_MAX_RANK], src_st[JET_MAX_RANK], dst_st[JET_MAX_RANK];
  int32_t bk;
  int64_t src_off, dst_step;
  if (call->op->tiled) {
    /* Block = input with split_axis cut n-fold; it lands at j * block. */
    const int64_t m = t->dims[s] / n;
    memcpy(dims, t->dims, (size_t)k * sizeof(int64_t));
    dims[s] = m;
    memcpy(src_st, in_st, (size_t)k * sizeof(int64_t));
    memcpy(dst_st, out_st, (size_t)k * sizeof(int64_t));
    bk = k;
    src_off = (int64_t)r * m * in_st[s];
    dst_step = dims[c] * out_st[c];
  } else {
    /* Block = input without split_axis (index r there); output without
     * concat_axis (index j there). */
    bk = 0;
    for (int32_t i = 0; i < k; i++) {
      if (i == s) continue;
      dims[bk] = t->dims[i];
      src_st[bk++] = in_st[i];
    }
    for (int32_t i = 0, b = 0; i < k; i++)
      if (i != c) dst_st[b++] = out_st[i];
    src_off = (int64_t)r * in_st[s];
    dst_step = out_st[c];
  }
  for (uint32_t j = 0; j < n; j++)
    jet__comm_copy_block(es, bk, dims, in_of(lc, j) + src_off * (int64_t)es, src_st,
                         (char *)call->out->data + (int64_t)j * dst_step * (int64_t)es, dst_st);
}

/* ---- the protocol ---- */

typedef void (*move_fn)(const local_comm *lc, const jet_comm_call *call);

static jet_status run(jet_comm *c, const jet_comm_call *call, move_fn move) {
  local_comm *lc = (local_comm *)c;
  slot *me = &lc->slots[call->rank];
  const char *what = call->op ? jet_comm_kind_name(call->op->kind) : "collective";
  if (atomic_exchange(&me->busy, true)) {
    jet_status st = jet_status_make(JET_INVALID_ARGUMENT,
                                    "%s: member %u is already inside a collective", what,
                                    call->rank);
    jet__comm_barrier_abort(&lc->bar, JET_INVALID_ARGUMENT, jet_status_message(st));
    return st;
  }
  me->call = call;
  jet_status st = jet__comm_barrier_wait(&lc->bar, true, call->ctl, what);
  if (!st) {
    st = check_group(lc);
    if (!st) move(lc, call);
    jet_status_free(jet__comm_barrier_wait(&lc->bar, false, NULL, what)); /* never fails */
  }
  me->call = NULL;
  atomic_store(&me->busy, false);
  return st;
}

static jet_status local_all_reduce(jet_comm *c, const jet_comm_call *call) {
  return run(c, call, move_all_reduce);
}
static jet_status local_all_gather(jet_comm *c, const jet_comm_call *call) {
  return run(c, call, move_all_gather);
}
static jet_status local_psum_scatter(jet_comm *c, const jet_comm_call *call) {
  return run(c, call, move_psum_scatter);
}
static jet_status local_ppermute(jet_comm *c, const jet_comm_call *call) {
  return run(c, call, move_ppermute);
}
static jet_status local_all_to_all(jet_comm *c, const jet_comm_call *call) {
  return run(c, call, move_all_to_all);
}

const jet_comm_backend jet_comm_local_backend = {
    .name = "local",
    .create = local_create,
    .destroy = local_destroy,
    .abort = local_abort,
    .abort_code = local_abort_code,
    .all_reduce = local_all_reduce,
    .all_gather = local_all_gather,
    .psum_scatter = local_psum_scatter,
    .ppermute = local_ppermute,
    .all_to_all = local_all_to_all,
};
