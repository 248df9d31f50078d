/* The AVX2 + FMA build of the fast tile functions (tile_ops_impl.h),
 * compiled with -mavx2 -mfma (server/CMakeLists.txt) and used only when the
 * CPU has them (tile.c). */
#define TILE_ISA_AVX2 1
#define TILE_ISA_NAME "avx2"
#define TILE_OPS_TABLE jet__tile_ops_avx2
#include "tile_ops_impl.h"
