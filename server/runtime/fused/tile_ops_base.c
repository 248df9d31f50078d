/* The baseline (x86-64 SSE2) build of the fast tile functions
 * (tile_ops_impl.h): runs on every x86-64 CPU. */
#define TILE_ISA_NAME "baseline"
#define TILE_OPS_TABLE jet__tile_ops_base
#include "tile_ops_impl.h"
