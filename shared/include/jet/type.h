/* Array types (JAX's avals): a dtype and a shape of rank 0..JET_MAX_RANK.
 *
 * jet_type is a plain value (no pointers), cheap to copy. Dims are >= 0 and
 * a valid type's element count fits in int64 and its byte size in size_t;
 * jet_type_check verifies that for data that came from outside.
 */
#ifndef JET_TYPE_H
#define JET_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet/dtype.h"
#include "jet/status.h"

#define JET_MAX_RANK 16

typedef struct jet_type {
  jet_dtype dtype;
  int32_t rank;
  int64_t dims[JET_MAX_RANK];
} jet_type;

/* Builds a type; dims may be NULL when rank is 0. No checks. */
jet_type jet_type_make(jet_dtype dtype, int32_t rank, const int64_t *dims);
jet_type jet_type_scalar(jet_dtype dtype);

/* Validates a type from outside: dtype valid and supported, rank in range,
 * dims >= 0, element count and byte size without overflow. `what` names the
 * thing for the message ("argument 2", "node 5 result 0"). */
jet_status jet_type_check(const jet_type *t, const char *what) JET_MUST_USE;

/* Element count (product of dims; 1 for scalars). Assumes a checked type. */
int64_t jet_type_numel(const jet_type *t);
/* Byte size = numel * dtype size. Assumes a checked type. */
size_t jet_type_nbytes(const jet_type *t);

bool jet_type_equal(const jet_type *a, const jet_type *b);

/* t without its axis `ax` (0 <= ax < rank): a slice along it (scan's xs,
 * a pmap member's operand). Unused dims are zeroed. */
jet_type jet_type_drop_axis(const jet_type *t, int32_t ax);
/* t with a new axis of size n at position ax (0 <= ax <= rank < max):
 * a stack along it (vmap/pmap/scan results). Unused dims are zeroed. */
jet_type jet_type_insert_axis(const jet_type *t, int32_t ax, int64_t n);
bool jet_type_same_shape(const jet_type *a, const jet_type *b);

/* Writes e.g. "f32[2,3]" or "i32[]" into buf (always NUL-terminated).
 * Returns buf, so it can be used inside a printf argument list. */
char *jet_type_str(const jet_type *t, char *buf, size_t cap);
#define JET_TYPE_STR_MAX 256

/* Row-major strides in elements. */
void jet_type_strides(const jet_type *t, int64_t *strides);

#endif
