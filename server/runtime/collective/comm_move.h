/* The data movement of the local backend: element-wise reductions in a
 * fixed member order and strided block copies. Pure functions on raw
 * memory; no synchronisation.
 */
#ifndef JET_RUNTIME_COLLECTIVE_COMM_MOVE_H
#define JET_RUNTIME_COLLECTIVE_COMM_MOVE_H

#include <stddef.h>
#include <stdint.h>

#include "comm.h"

/* dst[k][e] = src[0][e] OP src[1][e] OP ... OP src[n_src-1][e] for every k
 * in [0, n_dst) and e in [0, count), combined left to right in that order
 * (so the bits depend only on the inputs). OP is + for JET_COMM_PSUM and
 * JET_COMM_PSUM_SCATTER (integers wrap), NaN-propagating max / min for
 * PMAX / PMIN. A dst may equal a src (in place); nothing else may overlap.
 * dtype must be numeric. */
void jet__comm_reduce(jet_comm_kind kind, jet_dtype dtype, const void *const *src,
                      uint32_t n_src, void *const *dst, uint32_t n_dst, int64_t count);

/* Copies a block of shape dims[0..rank) of esize-byte elements from src to
 * dst with the given strides (in elements). Non-overlapping. */
void jet__comm_copy_block(size_t esize, int32_t rank, const int64_t *dims, const void *src,
                          const int64_t *src_strides, void *dst, const int64_t *dst_strides);

#endif
