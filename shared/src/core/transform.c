#include "jet/transform.h"

#include <string.h>

static const char *const names[] = {"<invalid>", "grad",   "value_and_grad", "jvp",
                                    "vjp",       "vmap",   "pmap",           "jacfwd",
                                    "jacrev",    "hessian"};

const char *jet_transform_name(jet_transform_kind k) {
  return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : names[0];
}

jet_transform_kind jet_transform_from_name(const char *name, size_t len) {
  for (unsigned k = 1; k < sizeof names / sizeof names[0]; k++)
    if (strlen(names[k]) == len && memcmp(names[k], name, len) == 0) return (jet_transform_kind)k;
  return (jet_transform_kind)0;
}
