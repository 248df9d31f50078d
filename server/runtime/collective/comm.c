/* The public collective API (comm.h): result types, each member's own
 * argument checks, and dispatch to the backend's vtable (comm_backend.h).
 * Owns no synchronisation: that is the backend's job.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm_backend.h"

static const char *const kind_names[JET_COMM_KIND_COUNT] = {
    "psum", "pmax", "pmin", "all_gather", "psum_scatter", "ppermute", "all_to_all",
};

const char *jet_comm_kind_name(jet_comm_kind k) {
  return (unsigned)k < JET_COMM_KIND_COUNT ? kind_names[k] : "unknown collective";
}

jet_status jet_comm_create(const jet_comm_backend *backend, uint32_t size, jet_comm **out) {
  *out = NULL;
  if (!backend) backend = &jet_comm_local_backend;
  if (size == 0) return jet_status_make(JET_INVALID_ARGUMENT, "collective group size must be >= 1");
  return backend->create(size, out);
}

void jet_comm_destroy(jet_comm *c) {
  if (c) c->backend->destroy(c);
}

uint32_t jet_comm_size(const jet_comm *c) { return c->size; }

void jet_comm_abort(jet_comm *c, jet_status why) {
  if (!c) return;
  if (why)
    c->backend->abort(c, jet_status_code(why), jet_status_message(why));
  else
    c->backend->abort(c, JET_CANCELLED, "collective group cancelled");
}

jet_code jet_comm_abort_code(const jet_comm *c) { return c->backend->abort_code(c); }

static bool is_reduction(jet_comm_kind k) {
  return k == JET_COMM_PSUM || k == JET_COMM_PMAX || k == JET_COMM_PMIN ||
         k == JET_COMM_PSUM_SCATTER;
}

static jet_status bad(const jet_comm_op *op, const char *fmt, const char *what, long long v,
                      const jet_type *in) {
  char ts[JET_TYPE_STR_MAX];
  char msg[160];
  snprintf(msg, sizeof msg, fmt, what, v);
  return jet_status_make(JET_INVALID_ARGUMENT, "%s on %s: %s", jet_comm_kind_name(op->kind),
                         jet_type_str(in, ts, sizeof ts), msg);
}

/* axis must lie in [0, limit). */
static jet_status check_axis(const jet_comm_op *op, const char *what, int32_t axis,
                             int32_t limit, const jet_type *in) {
  if (axis < 0 || axis >= limit)
    return bad(op, "%s=%lld is out of range for this rank", what, axis, in);
  return NULL;
}

/* dim * n must not overflow. */
static jet_status check_grow(const jet_comm_op *op, const char *what, int64_t dim, int64_t n,
                             const jet_type *in) {
  if (dim > INT64_MAX / n)
    return bad(op, "%s size %lld times the axis size overflows", what, dim, in);
  return NULL;
}

jet_status jet_comm_result_type(const jet_comm_op *op, uint32_t size, const jet_type *in,
                                jet_type *out) {
  *out = *in;
  if ((unsigned)op->kind >= JET_COMM_KIND_COUNT)
    return jet_status_make(JET_INVALID_ARGUMENT, "unknown collective kind %d", (int)op->kind);
  if (!jet_dtype_supported(in->dtype))
    return bad(op, "%s %lld is not supported", "dtype", (long long)in->dtype, in);
  if (is_reduction(op->kind) && !(JET_DTM_NUM & JET_DT_BIT(in->dtype)))
    return bad(op, "%s must be numeric (dtype %lld)", "operand", (long long)in->dtype, in);
  const int64_t n = size;
  const int32_t r = in->rank;
  switch (op->kind) {
    case JET_COMM_PSUM:
    case JET_COMM_PMAX:
    case JET_COMM_PMIN:
    case JET_COMM_PPERMUTE:
      break;
    case JET_COMM_ALL_GATHER:
      if (op->tiled) {
        JET_RETURN_IF_ERROR(check_axis(op, "axis", op->axis, r, in));
        JET_RETURN_IF_ERROR(check_grow(op, "axis", in->dims[op->axis], n, in));
        out->dims[op->axis] *= n;
      } else {
        JET_RETURN_IF_ERROR(check_axis(op, "axis", op->axis, r + 1, in));
        if (r + 1 > JET_MAX_RANK) return bad(op, "%s rank %lld is too large", "result", r + 1, in);
        memmove(&out->dims[op->axis + 1], &out->dims[op->axis],
                (size_t)(r - op->axis) * sizeof(int64_t));
        out->dims[op->axis] = n;
        out->rank = r + 1;
      }
      break;
    case JET_COMM_PSUM_SCATTER: {
      const int32_t d = op->axis;
      JET_RETURN_IF_ERROR(check_axis(op, "scatter_dimension", d, r, in));
      if (op->tiled) {
        if (in->dims[d] % n != 0)
          return bad(op, "%s size %lld is not divisible by the axis size", "scatter_dimension",
                     (long long)in->dims[d], in);
        out->dims[d] /= n;
      } else {
        if (in->dims[d] != n)
          return bad(op, "%s size %lld must equal the axis size", "scatter_dimension",
                     (long long)in->dims[d], in);
        memmove(&out->dims[d], &out->dims[d + 1], (size_t)(r - d - 1) * sizeof(int64_t));
        out->rank = r - 1;
      }
      break;
    }
    case JET_COMM_ALL_TO_ALL: {
      const int32_t s = op->axis, c = op->concat_axis;
      JET_RETURN_IF_ERROR(check_axis(op, "split_axis", s, r, in));
      JET_RETURN_IF_ERROR(check_axis(op, "concat_axis", c, r, in));
      if (op->tiled) {
        if (in->dims[s] % n != 0)
          return bad(op, "%s size %lld is not divisible by the axis size", "split_axis",
                     (long long)in->dims[s], in);
        out->dims[s] /= n;
        JET_RETURN_IF_ERROR(check_grow(op, "concat_axis", out->dims[c], n, in));
        out->dims[c] *= n;
      } else {
        if (in->dims[s] != n)
          return bad(op, "%s size %lld must equal the axis size", "split_axis",
                     (long long)in->dims[s], in);
        /* np.insert(np.delete(shape, split_axis), concat_axis, n) */
        memmove(&out->dims[s], &out->dims[s + 1], (size_t)(r - s - 1) * sizeof(int64_t));
        memmove(&out->dims[c + 1], &out->dims[c], (size_t)(r - 1 - c) * sizeof(int64_t));
        out->dims[c] = n;
      }
      break;
    }
    default:
      break;
  }
  if (op->kind == JET_COMM_PPERMUTE) {
    if (op->n_pairs && !op->perm)
      return bad(op, "%s is NULL with %lld pairs", "perm", op->n_pairs, in);
    if (op->n_pairs > size)
      return bad(op, "%s has %lld pairs, more than the axis size", "perm", op->n_pairs, in);
    for (uint32_t i = 0; i < op->n_pairs; i++) {
      for (int k = 0; k < 2; k++) {
        int64_t v = op->perm[2 * i + k];
        if (v < 0 || v >= n)
          return bad(op, "%s entry %lld is out of range [0, axis size)", "perm", (long long)v, in);
        for (uint32_t j = 0; j < i; j++)
          if (op->perm[2 * j + k] == v)
            return bad(op, k ? "%s destination %lld appears twice" : "%s source %lld appears twice",
                       "perm", (long long)v, in);
      }
    }
  }
  return jet_type_check(out, "collective result");
}

/* This member's own checks; NULL when the call may go ahead. */
static jet_status check_call(const jet_comm *c, uint32_t rank, const jet_comm_op *op,
                             const jet_buf *in, const jet_buf *out) {
  if (!op || !in || !out)
    return jet_status_make(JET_INVALID_ARGUMENT, "collective call without op, input or output");
  jet_type want;
  jet_status st = jet_type_check(&in->type, "collective input");
  if (!st) st = jet_comm_result_type(op, c->size, &in->type, &want);
  if (!st && !jet_type_equal(&want, &out->type)) {
    char a[JET_TYPE_STR_MAX], b[JET_TYPE_STR_MAX];
    st = jet_status_make(JET_INVALID_ARGUMENT, "%s: output type is %s but the result is %s",
                         jet_comm_kind_name(op->kind), jet_type_str(&out->type, a, sizeof a),
                         jet_type_str(&want, b, sizeof b));
  }
  if (!st && ((!in->data && jet_type_nbytes(&in->type)) || (!out->data && jet_type_nbytes(&want))))
    st = jet_status_make(JET_INVALID_ARGUMENT, "%s: NULL data pointer",
                         jet_comm_kind_name(op->kind));
  if (st) st = jet_status_annotate(st, "member %u: ", rank);
  return st;
}

jet_status jet_comm_run(jet_comm *c, uint32_t rank, const jet_comm_op *op, const jet_buf *in,
                        jet_buf *out, const jet_exec_ctl *ctl) {
  if (!c) return jet_status_make(JET_INVALID_ARGUMENT, "collective on a NULL communicator");
  if (rank >= c->size) {
    /* The real member of that rank would wait for ever: stop the group. */
    jet_status st = jet_status_make(JET_INVALID_ARGUMENT, "collective rank %u out of range [0, %u)",
                                    rank, c->size);
    jet_comm_abort(c, st);
    return st;
  }
  jet_comm_call call = {rank, op, in, out, ctl, check_call(c, rank, op, in, out)};
  const jet_comm_backend *b = c->backend;
  jet_comm_fn fn = b->all_reduce;
  if (op) {
    switch (op->kind) {
      case JET_COMM_ALL_GATHER: fn = b->all_gather; break;
      case JET_COMM_PSUM_SCATTER: fn = b->psum_scatter; break;
      case JET_COMM_PPERMUTE: fn = b->ppermute; break;
      case JET_COMM_ALL_TO_ALL: fn = b->all_to_all; break;
      default: break;
    }
  }
  jet_status st = fn(c, &call);
  jet_status_free(call.local_error);
  return st;
}

static jet_status run_kind(jet_comm *c, uint32_t rank, jet_comm_kind k, const jet_buf *in,
                           jet_buf *out, const jet_exec_ctl *ctl) {
  jet_comm_op op = {.kind = k};
  return jet_comm_run(c, rank, &op, in, out, ctl);
}

jet_status jet_comm_psum(jet_comm *c, uint32_t rank, const jet_buf *in, jet_buf *out,
                         const jet_exec_ctl *ctl) {
  return run_kind(c, rank, JET_COMM_PSUM, in, out, ctl);
}
jet_status jet_comm_pmax(jet_comm *c, uint32_t rank, const jet_buf *in, jet_buf *out,
                         const jet_exec_ctl *ctl) {
  return run_kind(c, rank, JET_COMM_PMAX, in, out, ctl);
}
jet_status jet_comm_pmin(jet_comm *c, uint32_t rank, const jet_buf *in, jet_buf *out,
                         const jet_exec_ctl *ctl) {
  return run_kind(c, rank, JET_COMM_PMIN, in, out, ctl);
}

jet_status jet_comm_all_gather(jet_comm *c, uint32_t rank, int32_t axis, bool tiled,
                               const jet_buf *in, jet_buf *out, const jet_exec_ctl *ctl) {
  jet_comm_op op = {.kind = JET_COMM_ALL_GATHER, .axis = axis, .tiled = tiled};
  return jet_comm_run(c, rank, &op, in, out, ctl);
}

jet_status jet_comm_psum_scatter(jet_comm *c, uint32_t rank, int32_t scatter_dimension,
                                 bool tiled, const jet_buf *in, jet_buf *out,
                                 const jet_exec_ctl *ctl) {
  jet_comm_op op = {.kind = JET_COMM_PSUM_SCATTER, .axis = scatter_dimension, .tiled = tiled};
  return jet_comm_run(c, rank, &op, in, out, ctl);
}

jet_status jet_comm_ppermute(jet_comm *c, uint32_t rank, const int64_t *perm, uint32_t n_pairs,
                             const jet_buf *in, jet_buf *out, const jet_exec_ctl *ctl) {
  jet_comm_op op = {.kind = JET_COMM_PPERMUTE, .perm = perm, .n_pairs = n_pairs};
  return jet_comm_run(c, rank, &op, in, out, ctl);
}

jet_status jet_comm_all_to_all(jet_comm *c, uint32_t rank, int32_t split_axis,
                               int32_t concat_axis, bool tiled, const jet_buf *in, jet_buf *out,
                               const jet_exec_ctl *ctl) {
  jet_comm_op op = {.kind = JET_COMM_ALL_TO_ALL,
                    .axis = split_axis,
                    .concat_axis = concat_axis,
                    .tiled = tiled};
  return jet_comm_run(c, rank, &op, in, out, ctl);
}

jet_status jet_comm_axis_index(const jet_comm *c, uint32_t rank, jet_buf *out) {
  if (!c || rank >= c->size)
    return jet_status_make(JET_INVALID_ARGUMENT, "axis_index: rank %u out of range", rank);
  if (!out || out->type.dtype != JET_I32 || out->type.rank != 0 || !out->data)
    return jet_status_make(JET_INVALID_ARGUMENT, "axis_index: output must be an i32[] buffer");
  int32_t v = (int32_t)rank;
  memcpy(out->data, &v, sizeof v);
  return NULL;
}
