/* Transforms applied to a graph (grad, vmap, ...), mirroring jet.v1.Transform.
 * Plain data; arrays point into the owning graph's arena (or the caller's
 * memory for transforms built by hand). */
#ifndef JET_TRANSFORM_H
#define JET_TRANSFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum jet_transform_kind {
  JET_TF_GRAD = 1,
  JET_TF_VALUE_AND_GRAD = 2,
  JET_TF_JVP = 3,
  JET_TF_VJP = 4,
  JET_TF_VMAP = 5,
  JET_TF_PMAP = 6,
  JET_TF_JACFWD = 7,
  JET_TF_JACREV = 8,
  JET_TF_HESSIAN = 9,
} jet_transform_kind;

typedef struct jet_axis_spec {
  bool mapped;   /* false = JAX's None */
  int32_t axis;  /* may be negative */
} jet_axis_spec;

typedef struct jet_transform {
  jet_transform_kind kind;
  /* grad, value_and_grad, jacfwd, jacrev, hessian */
  uint32_t n_argnums;
  const int32_t *argnums;
  bool argnums_tuple;
  bool has_aux; /* also jvp, vjp */
  bool holomorphic;
  bool allow_int;
  /* vmap, pmap */
  uint32_t n_in_axes;
  const jet_axis_spec *in_axes;
  uint32_t n_out_axes;
  const jet_axis_spec *out_axes;
  int64_t axis_size;
  const char *axis_name;      /* "" when none; never NULL in a graph */
  const char *spmd_axis_name; /* vmap */
  /* pmap */
  uint32_t n_static_argnums;
  const int32_t *static_broadcasted_argnums;
  uint32_t n_devices;
  const uint32_t *devices;
  uint32_t n_donate_argnums;
  const int32_t *donate_argnums;
} jet_transform;

/* "grad", "value_and_grad", "jvp", "vjp", "vmap", "pmap", "jacfwd",
 * "jacrev", "hessian"; "<invalid>". */
const char *jet_transform_name(jet_transform_kind k);
/* 0 when unknown. */
jet_transform_kind jet_transform_from_name(const char *name, size_t len);

#endif
