/* Tile kernels of the fused executor (server/runtime/fused).
 *
 * A fused group runs as a small program over tiles: contiguous runs of at
 * most JET_TILE elements of its loop domain, held in per-thread scratch
 * ("registers") that stay in L1/L2. Every instruction of the program is one
 * call of a tile function over whole tiles, so the per-element work is a
 * tight loop the compiler vectorises; the tile functions are built once per
 * instruction set (AVX-512, AVX2, baseline) and the best one the CPU has is
 * chosen at start-up (tile.c; the environment variable JET_TILE_ISA may
 * pick a lower one). Transcendental functions use SLEEF's vector functions;
 * their accuracy in ulps is documented in tile.c and tested against long
 * double references (tests/unit/test_server_tile.c).
 *
 * Semantics are those of the reference kernels (server/runtime/kernels),
 * value for value, for every op and dtype: integers exactly, floats exactly
 * for +,-,*,/, comparisons, selects, converts, min/max (NaN-propagating),
 * and within the documented ulps for vectorised transcendental functions.
 * An op/dtype pair without a fast path falls back to the reference kernel
 * itself, called on the tile.
 *
 * Thread safety: everything here is pure or read-only after
 * jet_tile_init. */
#ifndef JET_RUNTIME_FUSED_TILE_H
#define JET_RUNTIME_FUSED_TILE_H

#include <stdbool.h>
#include <stdint.h>

#include "jet/graph.h"

/* Elements per tile (a f64 tile is 8 KiB). */
#define JET_TILE 2048

typedef struct jet_tile_op jet_tile_op;

/* Computes dst[0..n) from src[k][0..n) (k < op->n_in), all contiguous
 * tiles of the op's operand/result dtypes (no broadcasting: a scalar
 * operand must be expanded into a tile first), 0 <= n <= JET_TILE. dst may
 * equal a src whose element size is the result's (in place); it must not
 * overlap a src otherwise. Never fails (the op was resolved for these
 * dtypes). Bool tiles are one byte per element, any non-zero byte reads as
 * true, and bool results are written as 0 or 1 (bitcast_convert_type and
 * stop_gradient copy bytes as they are, as the reference does). */
typedef void (*jet_tile_fn)(const jet_tile_op *op, const void *const *src, void *dst, int64_t n);

struct jet_tile_op {
  const jet_node *node;     /* the graph node: op and attributes */
  jet_dtype in_dtype[3];    /* operand dtypes */
  jet_dtype out_dtype;      /* result dtype */
  uint8_t n_in;
  jet_tile_fn fn;
  bool fast;                /* a dedicated tile function (not the fallback) */
  uint8_t scalar;           /* bit k: operand k is a broadcast scalar (every
                               element of its tile equal): binary functions
                               then read its element 0 only. Set by the
                               caller after jet_tile_resolve. */
};

/* Picks the instruction set (call once at start-up; later calls do
 * nothing; calling it is optional: the first jet_tile_resolve does it). */
void jet_tile_init(void);
/* The instruction set in use: "avx512", "avx2" or "baseline". */
const char *jet_tile_isa(void);

/* Whether `op` is an elementwise op the fused executor can run on tiles
 * (unary, binary, compare, select, clamp, convert_element_type,
 * stop_gradient and bitcast_convert_type). For bitcast_convert_type only a
 * node whose element sizes match is elementwise (otherwise the shape
 * changes): jet_tile_resolve rejects the others. */
bool jet_tile_is_elementwise(jet_op op);

/* Fills *out for `node` (an elementwise op per jet_tile_is_elementwise)
 * whose operands have dtypes in_dtypes[0..n_operands) and whose result has
 * out_dtype. INVALID_ARGUMENT for an op or dtype it cannot run (dtypes
 * against the op's rule, and whatever the reference kernel rejects, e.g. a
 * missing attribute). *out keeps `node` (it must outlive *out). Ops without
 * a dedicated function (fast = false; today erf_inv and rem of floats) run
 * the reference kernel on the tile. */
jet_status jet_tile_resolve(const jet_node *node, const jet_dtype *in_dtypes, jet_dtype out_dtype,
                            jet_tile_op *out) JET_MUST_USE;

/* Two float ops in one pass (the fused executor's "pair" instruction):
 * dst = op2(op1(src[0], src[1]), src[2]) when !swap, or
 * op2(src[2], op1(src[0], src[1])) when swap, for op1, op2 in {add, sub,
 * mul} and d f32 or f64 (every operand and the result of dtype d), each op
 * rounded exactly as on its own — the same bits as the two ops apart.
 * out->scalar (bit 0: src[1], bit 1: src[2]) is set by the caller.
 * INVALID_ARGUMENT for other ops or dtypes. */
jet_status jet_tile_resolve_pair(const jet_node *n1, const jet_node *n2, bool swap, jet_dtype d,
                                 jet_tile_op *out) JET_MUST_USE;

/* Reductions (reduce_sum, reduce_max, reduce_min, reduce_prod), as the
 * reference reduce kernels define them (max/min propagate NaN; sums of
 * floats may associate differently from the reference: any order is
 * allowed, as in XLA).
 *
 * jet_tile_reduce_identity: writes the identity of `op` for dtype d into
 * acc[0..n) (0, 1, -inf / the type's minimum / false, +inf / the type's
 * maximum / true).
 * jet_tile_reduce_all: acc[0] = acc[0] (op) reduce(src[0..n)).
 * jet_tile_reduce_accum: acc[i] = acc[i] (op) src[i] for i < n.
 * acc is of dtype d. Any n >= 0 (not limited to a tile). INVALID_ARGUMENT
 * from jet_tile_reduce_check for an op or dtype not supported (sum and prod:
 * numeric dtypes; max and min: also bool, as any / all).
 *
 * Exactness: integer sums and products wrap, max and min are exact (the
 * first NaN, and of equal extremes the first one, so the sign of a zero, as
 * the reference's scan), float products multiply in input order
 * (bit-identical). Float sums: jet_tile_reduce_all sums in double for f32 as
 * the reference, pairwise over blocks of vector lanes (error O(log n)), and
 * rounds once per call into acc[0]; which NaN (payload) a float sum gives
 * when several are summed is not specified. */
jet_status jet_tile_reduce_check(jet_op op, jet_dtype d) JET_MUST_USE;
void jet_tile_reduce_identity(jet_op op, jet_dtype d, void *acc, int64_t n);
void jet_tile_reduce_all(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc);
void jet_tile_reduce_accum(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc);

/* The reference sums f32 in a double accumulator and rounds once at the end.
 * To match that precision across many calls, keep the accumulator in
 * jet_tile_reduce_acc_dtype(op, d) (JET_F64 for reduce_sum of f32; d for
 * every other pair), initialise it with jet_tile_reduce_identity(op,
 * acc dtype, ...), update it with the _wide functions below (identical to
 * the plain ones except that acc is of the accumulator dtype), and convert
 * it to d at the end ((float) of the double, as the reference). */
jet_dtype jet_tile_reduce_acc_dtype(jet_op op, jet_dtype d);
void jet_tile_reduce_all_wide(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc);
void jet_tile_reduce_accum_wide(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc);

#endif
