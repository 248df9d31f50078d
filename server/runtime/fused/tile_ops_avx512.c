/* The AVX-512 build of the fast tile functions (tile_ops_impl.h), compiled
 * with -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma (server/CMakeLists.txt)
 * and used only when the CPU has them (tile.c). */
#define TILE_ISA_AVX512 1
#define TILE_ISA_NAME "avx512"
#define TILE_OPS_TABLE jet__tile_ops_avx512
#include "tile_ops_impl.h"
