/* TEMPORARY: runs the reference executor (replaced during this session). */
#include <stdlib.h>
#include <string.h>

#include "program_internal.h"

void jet_program_destroy(jet_program *p) { free(p); }
void jet_program_get_info(const jet_program *p, jet_program_info *out) {
  memset(out, 0, sizeof *out);
}
jet_status jet_program_run(const jet_program *p, const jet_buf *args, uint32_t n_args,
                           void **donate, jet_buf *outs, const jet_exec_ctl *ctl) {
  return jet_exec_graph(p->graph, args, n_args, outs, ctl);
}
char *jet_program_describe(const jet_program *p) { return strdup("reference executor\n"); }
