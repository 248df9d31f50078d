/* Ops whose transform rules are checked by a test of their own instead of
 * a case of the per-op tables (test_server_ad_ops.c, test_server_vmap_ops.c):
 * a pmap node carries a body graph the case tables cannot build. */
#ifndef JET_TEST_OPS_ELSEWHERE_H
#define JET_TEST_OPS_ELSEWHERE_H

#include <stdbool.h>
#include <stddef.h>

#include "jet/ops.h"

static const struct {
  jet_op op;
  const char *where;
} k_elsewhere[] = {
    {JET_OP_PMAP, "test_server_pmap_ad.c (jvp/vjp/grad/jacfwd/jacrev/hessian and vmap of "
                  "pmap nodes against finite differences and per-element runs)"},
};

static inline bool elsewhere(jet_op op) {
  for (size_t k = 0; k < sizeof k_elsewhere / sizeof k_elsewhere[0]; k++)
    if (k_elsewhere[k].op == op) return true;
  return false;
}

#endif
