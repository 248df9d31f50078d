/* Internal interface between tile.c (instruction-set choice, op resolution,
 * reference-kernel fallback, reduction front end) and the per-instruction-set
 * builds of the fast tile functions: tile_ops_impl.h, compiled once per
 * instruction set by tile_ops_avx512.c, tile_ops_avx2.c and tile_ops_base.c
 * (each with its own flags, see server/CMakeLists.txt).
 *
 * Not for use outside server/runtime/fused and its tests. */
#ifndef JET_RUNTIME_FUSED_TILE_OPS_H
#define JET_RUNTIME_FUSED_TILE_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "tile.h"

typedef struct jet_tile_isa_ops {
  const char *name; /* "avx512", "avx2", "baseline" */
  /* The dedicated tile function of `node` (an elementwise op) for operand
   * dtypes in[0..n_in) and result dtype out, or NULL when there is none (the
   * caller falls back to the reference kernel). The caller has checked the
   * dtypes against the op's rules; attributes the function needs (integer_pow
   * "y", round "rounding_method") are read from node. */
  jet_tile_fn (*lookup)(const jet_node *node, const jet_dtype *in, uint8_t n_in, jet_dtype out);
  /* The pair function of tile.h's jet_tile_resolve_pair: i1 indexes
   * add/sub/mul, i2 add/sub/rsub/mul; NULL for a dtype other than f32/f64. */
  jet_tile_fn (*lookup_pair)(int i1, int i2, jet_dtype d);
  /* The reductions of tile.h for a supported (op, d). wide: reduce_sum of
   * f32 with a double accumulator (jet_tile_reduce_acc_dtype). */
  void (*reduce_all)(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc, bool wide);
  void (*reduce_accum)(jet_op op, jet_dtype d, const void *src, int64_t n, void *acc, bool wide);
} jet_tile_isa_ops;

/* Defined only where the compiler can build them (x86-64 GCC/Clang); the
 * avx512 and avx2 tables are used only when __builtin_cpu_supports says the
 * CPU (and OS) has the instructions. */
extern const jet_tile_isa_ops jet__tile_ops_avx512;
extern const jet_tile_isa_ops jet__tile_ops_avx2;
extern const jet_tile_isa_ops jet__tile_ops_base;

/* Tests only: whether this CPU can run the named instruction set, and
 * switching to it (ops resolved afterwards and every reduction call use it;
 * not thread-safe). False for an unknown or unsupported name. */
bool jet__tile_isa_supported(const char *name);
bool jet__tile_set_isa(const char *name);

#endif
