/* TEMPORARY serial pool (replaced during this session). */
#include "pool.h"

#include <stdlib.h>

struct jet_pool {
  uint32_t size;
};
static jet_pool serial = {1};
jet_pool *jet_pool_create(uint32_t size, jet_status *err) {
  jet_pool *p = calloc(1, sizeof *p);
  if (!p) { *err = jet_status_oom("pool"); return NULL; }
  p->size = 1;
  return p;
}
void jet_pool_destroy(jet_pool *p) { if (p != &serial) free(p); }
uint32_t jet_pool_size(const jet_pool *p) { return p->size; }
void jet_pool_run(jet_pool *p, uint32_t n, jet_pool_fn fn, void *ctx) {
  for (uint32_t t = 0; t < n; t++) fn(ctx, t, 0);
}
jet_pool *jet_pool_global(void) { return &serial; }
jet_status jet_pool_global_init(uint32_t size) { return NULL; }
void jet_pool_global_shutdown(void) {}
