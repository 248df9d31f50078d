/* Tile kernels of the fused executor (server/runtime/fused).
 *
 * A fused group runs as a small program over tiles: contiguous runs of at
 * most JET_TILE elements of its loop domain, held in per-thread scratch
 * ("registers") that stay in L1/L2. Every instruction of the program is one
 * call of a tile function over whole tiles, so the per-element work is a
 * tight loop the compiler vectorises; the tile functions are built once per
 * instruction set (AVX-512, AVX2, baseline) and the best one the CPU has is
 * chosen at start-up. Transcendental functions use SLEEF's vector functions
 * where jet has a fast path; their accuracy is documented in tile_ops.c and
 * tested against float64 references (tests/unit/test_server_tile.c).
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
#define JET_TILE 1024

typedef struct jet_tile_op jet_tile_op;

/* Computes dst[0..n) from src[k][0..n) (k < op->n_in), all contiguous
 * tiles of the op's operand/result dtypes, n <= JET_TILE. dst may equal a
 * src (in place). Never fails (the op was resolved for these dtypes). */
typedef void (*jet_tile_fn)(const jet_tile_op *op, const void *const *src, void *dst, int64_t n);

struct jet_tile_op {
  const jet_node *node;     /* the graph node: op and attributes */
  jet_dtype in_dtype[3];    /* operand dtypes */
  jet_dtype out_dtype;      /* result dtype */
  uint8_t n_in;
  jet_tile_fn fn;
  bool fast;                /* a dedicated tile function (not the fallback) */
};

/* Picks the instruction set (call once at start-up; later calls do
 * nothing; calling it is optional: the first jet_tile_resolve does it). */
void jet_tile_init(void);
/* The instruction set in use: "avx512", "avx2" or "baseline". */
const char *jet_tile_isa(void);

/* Whether `op` is an elementwise op the fused executor can run on tiles
 * (unary, binary, compare, select, clamp, convert_element_type, and
 * stop_gradient; bitcast_convert_type when the element sizes match). */
bool jet_tile_is_elementwise(jet_op op);

/* Fills *out for `node` (an elementwise op per jet_tile_is_elementwise)
 * whose operands have dtypes in_dtypes[0..n_operands) and whose result has
 * out_dtype. INVALID_ARGUMENT for an op or dtype it cannot run. */
jet_status jet_tile_resolve(const jet_node *node, const jet_dtype *in_dtypes, jet_dtype out_dtype,
                            jet_tile_op *out) JET_MUST_USE;

/* Reductions (reduce_sum, reduce_max, reduce_min, reduce_prod), as the
 * reference reduce kernels define them (max/min propagate NaN; sums of
 * floats may associate differently from the reference: any order is
 * allowed, as in XLA).
 *
 * jet_tile_reduce_identity: writes the identity of `op` for dtype d into
 * acc[0..n).
 * jet_tile_reduce_all: acc[0] = acc[0] (op) reduce(src[0..n)).
 * jet_tile_reduce_accum: acc[i] = acc[i] (op) src[i] for i < n.
 * Any n >= 0 (not limited to a tile). INVALID_ARGUMENT from
 * jet_tile_reduce_check for an op or dtype not supported. */
jet_status jet_tile_reduce_check(jet_op op, jet_dtype d) JET_MUST_USE;
void jet_tile_reduce_identity(jet_op op, jet_dtype d, void *acc, int64_t n);
void jet_tile_reduce_all(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc);
void jet_tile_reduce_accum(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc);

#endif
