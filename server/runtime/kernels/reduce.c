/* Reductions: reduce_sum/prod/max/min over a set of axes, argmax/argmin
 * over one axis, cumsum along one axis.
 *
 * Accumulation: reduce_sum of f32 accumulates in f64 (one f64 accumulator
 * per output element, rounded to f32 at the end); other sums and products
 * accumulate in the element type, in input order (ints wrap). Empty
 * reductions give the identity: 0 / 1 / -inf or the type's minimum (false
 * for bool) / +inf or the type's maximum (true for bool). max and min
 * propagate NaN; on bool max is "any" and min is "all". argmax/argmin: ties
 * give the lowest index and the first NaN wins; an empty axis gives 0.
 * cumsum accumulates in the element type (f32 in f32). */
#include <math.h>

#include "kernels.h"
#include "mem.h"

/* The input is walked in row-major order; each input element combines into
 * the accumulator at its output position (ostr: output strides per input
 * dim, 0 for reduced dims). */
typedef struct red_geom {
  int rank;
  int64_t dims[JET_MAX_RANK];
  int64_t ostr[JET_MAX_RANK];
  int64_t rows, inner;
} red_geom;

static jet_status red_geom_make(const jet_node *node, const jet_type *it, red_geom *g) {
  uint32_t na;
  const int64_t *axes = jet__k_ints(node, "axes", &na);
  bool reduced[JET_MAX_RANK] = {false};
  for (uint32_t i = 0; i < na; i++) {
    int d = jet__k_axis(axes[i], it->rank);
    if (d < 0) return jet__k_bad_attr(node, "axes");
    reduced[d] = true;
  }
  if (it->rank == 0) {
    g->rank = 1;
    g->dims[0] = 1;
    g->ostr[0] = 0;
  } else {
    g->rank = it->rank;
    int64_t s = 1;
    for (int d = it->rank - 1; d >= 0; d--) {
      g->dims[d] = it->dims[d];
      g->ostr[d] = reduced[d] ? 0 : s;
      if (!reduced[d]) s *= it->dims[d];
    }
  }
  g->inner = g->dims[g->rank - 1];
  g->rows = 1;
  for (int d = 0; d < g->rank - 1; d++) g->rows *= g->dims[d];
  if (g->inner == 0) g->rows = 0;
  return NULL;
}

/* Walk: for every row (all dims but the last), combine the row into acc. */
#define RED_WALK(A, T, COMBINE)                                            \
  do {                                                                     \
    int64_t idx_[JET_MAX_RANK] = {0}, ooff_ = 0;                           \
    const int64_t os_ = g->ostr[g->rank - 1];                              \
    for (int64_t r_ = 0; r_ < g->rows; r_++) {                             \
      const T *xr = x + r_ * g->inner;                                     \
      A *ar = acc + ooff_;                                                 \
      if (os_) {                                                           \
        for (int64_t j = 0; j < g->inner; j++) COMBINE(ar[j], xr[j]);      \
      } else {                                                             \
        A s_ = ar[0];                                                      \
        for (int64_t j = 0; j < g->inner; j++) COMBINE(s_, xr[j]);         \
        ar[0] = s_;                                                        \
      }                                                                    \
      for (int d_ = g->rank - 2; d_ >= 0; d_--) {                          \
        ooff_ += g->ostr[d_];                                              \
        if (++idx_[d_] < g->dims[d_]) break;                               \
        ooff_ -= g->ostr[d_] * g->dims[d_];                                \
        idx_[d_] = 0;                                                      \
      }                                                                    \
    }                                                                      \
  } while (0)

#define C_ADD(acc, v) acc += (v)
#define C_MUL(acc, v) acc *= (v)
/* NaN-propagating max/min; the same text serves ints (x == x always). */
#define C_MAX(acc, v) \
  if ((acc) == (acc) && !((v) <= (acc))) acc = (v)
#define C_MIN(acc, v) \
  if ((acc) == (acc) && !((v) >= (acc))) acc = (v)
#define C_ANY(acc, v) acc = (uint8_t)((acc) | ((v) != 0))
#define C_ALL(acc, v) acc = (uint8_t)((acc) & ((v) != 0))

/* Integer sums and products are computed in the unsigned type. */
#define RED_INT_CASE(unused, sfx, TT, UU, SS, D)                           \
  case D: {                                                                \
    const UU *x = in[0].data;                                              \
    UU *acc = out[0].data;                                                 \
    UU init;                                                               \
    switch (node->op) {                                                    \
      case JET_OP_REDUCE_SUM: init = 0; break;                             \
      case JET_OP_REDUCE_PROD: init = 1; break;                            \
      default: return jet__k_bad_dtype(node, 0, D);                        \
    }                                                                      \
    for (int64_t i = 0; i < nout; i++) acc[i] = init;                      \
    if (node->op == JET_OP_REDUCE_SUM) RED_WALK(UU, UU, C_ADD);            \
    else RED_WALK(UU, UU, C_MUL);                                          \
    return NULL;                                                           \
  }

#define RED_MINMAX_CASE(unused, sfx, TT, UU, SS, D)                        \
  case D: {                                                                \
    const TT *x = in[0].data;                                              \
    TT *acc = out[0].data;                                                 \
    const bool is_max = node->op == JET_OP_REDUCE_MAX;                     \
    const TT init = is_max ? LOWEST_##sfx : HIGHEST_##sfx;                 \
    for (int64_t i = 0; i < nout; i++) acc[i] = init;                      \
    if (is_max) RED_WALK(TT, TT, C_MAX);                                   \
    else RED_WALK(TT, TT, C_MIN);                                          \
    return NULL;                                                           \
  }
#define LOWEST_i32 INT32_MIN
#define HIGHEST_i32 INT32_MAX
#define LOWEST_i64 INT64_MIN
#define HIGHEST_i64 INT64_MAX
#define LOWEST_u8 0
#define HIGHEST_u8 UINT8_MAX
#define LOWEST_u32 0
#define HIGHEST_u32 UINT32_MAX
#define LOWEST_f32 (-INFINITY)
#define HIGHEST_f32 INFINITY
#define LOWEST_f64 (-(double)INFINITY)
#define HIGHEST_f64 ((double)INFINITY)

static jet_status reduce(const jet_node *node, const jet_buf *in, jet_buf *out) {
  red_geom geom = {0};
  const red_geom *g = &geom;
  JET_RETURN_IF_ERROR(red_geom_make(node, &in[0].type, &geom));
  const int64_t nout = jet_type_numel(&out[0].type);
  const jet_dtype dt = in[0].type.dtype;
  const jet_op op = node->op;
  if (op == JET_OP_REDUCE_MAX || op == JET_OP_REDUCE_MIN) {
    if (dt == JET_BOOL) {
      const uint8_t *x = in[0].data;
      uint8_t *acc = out[0].data;
      const bool is_max = op == JET_OP_REDUCE_MAX;
      for (int64_t i = 0; i < nout; i++) acc[i] = is_max ? 0 : 1;
      if (is_max) RED_WALK(uint8_t, uint8_t, C_ANY);
      else RED_WALK(uint8_t, uint8_t, C_ALL);
      return NULL;
    }
    switch (dt) {
      JET_EACH_NUM(RED_MINMAX_CASE, _)
      default: return jet__k_bad_dtype(node, 0, dt);
    }
  }
  if (dt == JET_F32 && op == JET_OP_REDUCE_SUM) {
    /* Small results (the common case inside loop bodies) accumulate on the
     * stack: no allocation per call. */
    double small[256];
    double *acc = nout <= 256 ? small : jet_mem_alloc((size_t)nout * sizeof(double));
    if (!acc) return jet_status_oom("reduce_sum f64 accumulator");
    for (int64_t i = 0; i < nout; i++) acc[i] = 0.0;
    const float *x = in[0].data;
    RED_WALK(double, float, C_ADD);
    float *o = out[0].data;
    for (int64_t i = 0; i < nout; i++) o[i] = (float)acc[i];
    if (acc != small) jet_mem_free(acc);
    return NULL;
  }
  if (dt == JET_F32 || dt == JET_F64) {
    const bool sum = op == JET_OP_REDUCE_SUM;
    if (!sum && op != JET_OP_REDUCE_PROD) return jet__k_bad_dtype(node, 0, dt);
    if (dt == JET_F32) {
      const float *x = in[0].data;
      float *acc = out[0].data;
      for (int64_t i = 0; i < nout; i++) acc[i] = sum ? 0.0f : 1.0f;
      if (sum) RED_WALK(float, float, C_ADD);
      else RED_WALK(float, float, C_MUL);
    } else {
      const double *x = in[0].data;
      double *acc = out[0].data;
      for (int64_t i = 0; i < nout; i++) acc[i] = sum ? 0.0 : 1.0;
      if (sum) RED_WALK(double, double, C_ADD);
      else RED_WALK(double, double, C_MUL);
    }
    return NULL;
  }
  switch (dt) {
    JET_EACH_INT(RED_INT_CASE, _)
    default: return jet__k_bad_dtype(node, 0, dt);
  }
}

jet_status jet__k_REDUCE_SUM(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return reduce(node, in, out);
}
jet_status jet__k_REDUCE_PROD(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return reduce(node, in, out);
}
jet_status jet__k_REDUCE_MAX(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return reduce(node, in, out);
}
jet_status jet__k_REDUCE_MIN(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return reduce(node, in, out);
}

/* Views the operand as [outer, n, inner] around `axis`. */
static jet_status axis_view(const jet_node *node, const jet_type *t, int64_t axis_attr,
                            const char *attr, int64_t *outer, int64_t *n, int64_t *inner) {
  if (t->rank == 0) {
    *outer = *n = *inner = 1;
    return NULL;
  }
  int ax = jet__k_axis(axis_attr, t->rank);
  if (ax < 0) return jet__k_bad_attr(node, attr);
  *outer = *inner = 1;
  for (int d = 0; d < ax; d++) *outer *= t->dims[d];
  for (int d = ax + 1; d < t->rank; d++) *inner *= t->dims[d];
  *n = t->dims[ax];
  return NULL;
}

/* Better(v, best): v NaN and best not, or strictly better. */
#define ARG_CASE(unused, sfx, TT, UU, SS, D)                               \
  case D: {                                                                \
    const TT *x = in[0].data;                                              \
    for (int64_t o = 0; o < outer; o++)                                    \
      for (int64_t j = 0; j < inner; j++) {                                \
        const TT *p = x + o * n * inner + j;                               \
        int64_t bi = 0;                                                    \
        for (int64_t k = 1; k < n; k++) {                                  \
          const TT v = p[k * inner], best = p[bi * inner];                 \
          if (best != best) break;                                         \
          if (v != v || (is_max ? v > best : v < best)) bi = k;            \
        }                                                                  \
        if (i64) ((int64_t *)out[0].data)[o * inner + j] = bi;             \
        else ((int32_t *)out[0].data)[o * inner + j] = (int32_t)bi;        \
      }                                                                    \
    return NULL;                                                           \
  }

static jet_status argreduce(const jet_node *node, const jet_buf *in, jet_buf *out) {
  uint32_t na;
  const int64_t *axes = jet__k_ints(node, "axes", &na);
  if (na != 1) return jet__k_bad_attr(node, "axes");
  int64_t outer = 0, n = 0, inner = 0;
  JET_RETURN_IF_ERROR(axis_view(node, &in[0].type, axes[0], "axes", &outer, &n, &inner));
  const bool is_max = node->op == JET_OP_ARGMAX;
  const bool i64 = out[0].type.dtype == JET_I64;
  if (!i64 && out[0].type.dtype != JET_I32) return jet__k_bad_attr(node, "index_dtype");
  switch (in[0].type.dtype) {
    JET_EACH_NUM(ARG_CASE, _)
    default: return jet__k_bad_dtype(node, 0, in[0].type.dtype);
  }
}

jet_status jet__k_ARGMAX(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return argreduce(node, in, out);
}
jet_status jet__k_ARGMIN(const jet_node *node, const jet_buf *in, jet_buf *out) {
  return argreduce(node, in, out);
}

/* cumsum: out[o, k, :] = out[o, k -/+ 1, :] + x[o, k, :], in the element
 * type (ints in the unsigned type). */
#define CUM_CASE(unused, sfx, TT, UU, SS, D)                               \
  case D: {                                                                \
    const TT *x = in[0].data;                                              \
    TT *y = out[0].data;                                                   \
    for (int64_t o = 0; o < outer; o++)                                    \
      for (int64_t s = 0; s < n; s++) {                                    \
        const int64_t k = rev ? n - 1 - s : s;                             \
        const int64_t base = (o * n + k) * inner;                          \
        if (s == 0) {                                                      \
          for (int64_t j = 0; j < inner; j++) y[base + j] = x[base + j];   \
        } else {                                                           \
          const int64_t prev = (o * n + (rev ? k + 1 : k - 1)) * inner;    \
          for (int64_t j = 0; j < inner; j++)                              \
            y[base + j] = (TT)((UU)y[prev + j] + (UU)x[base + j]);         \
        }                                                                  \
      }                                                                    \
    return NULL;                                                           \
  }

jet_status jet__k_CUMSUM(const jet_node *node, const jet_buf *in, jet_buf *out) {
  int64_t outer = 0, n = 0, inner = 0;
  JET_RETURN_IF_ERROR(axis_view(node, &in[0].type, jet_node_attr_int(node, "axis", 0), "axis",
                                &outer, &n, &inner));
  const bool rev = jet_node_attr_bool(node, "reverse", false);
  switch (in[0].type.dtype) {
    JET_EACH_NUM(CUM_CASE, _)
    default: return jet__k_bad_dtype(node, 0, in[0].type.dtype);
  }
}
