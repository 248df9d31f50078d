/* TEMPORARY (replaced during this session): program = reference executor. */
#include "compiler/lower.h"

#include <stdlib.h>

#include "runtime/program_internal.h"

jet_status jet_lower(const jet_graph *g, jet_program **out) {
  jet_program *p = calloc(1, sizeof *p);
  if (!p) return jet_status_oom("program");
  p->graph = g;
  *out = p;
  return NULL;
}
