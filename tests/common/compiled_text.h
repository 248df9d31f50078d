/* Shared by the pmap unit tests (test_server_pmap.c, test_server_pmap_nested
 * .c): a graph in the text form compiled the way jetd compiles it
 * (transforms, cleanup passes, lowering) next to its source graph for the
 * reference executor, and test data. Include after <cmocka.h>. */
#ifndef JET_TEST_COMPILED_TEXT_H
#define JET_TEST_COMPILED_TEXT_H

#include <stdint.h>
#include <string.h>

#include "compiler/lower.h"
#include "compiler/passes/passes.h"
#include "jet/text.h"
#include "runtime/program.h"
#include "transforms/transforms.h"

static inline void ok(jet_status st) {
  if (st) fail_msg("unexpected error: %s", jet_status_message(st));
}

typedef struct compiled {
  jet_graph *src, *clean;
  jet_program *prog;
} compiled;

static inline compiled compile_text(const char *text) {
  compiled c = {0};
  jet_status st = jet_graph_parse(text, strlen(text), &c.src);
  if (st) fail_msg("parse: %s\n%s", jet_status_message(st), text);
  jet_graph *copy = jet_graph_create(c.src->name), *flat = NULL;
  ok(jet_graph_copy_into(copy, c.src, 0));
  ok(jet_transforms_apply(copy, NULL, 0, &flat));
  ok(jet_passes_cleanup(flat, &c.clean));
  jet_graph_destroy(flat);
  st = jet_lower(c.clean, &c.prog);
  if (st) fail_msg("lower: %s\n%s", jet_status_message(st), text);
  return c;
}

static inline void compiled_free(compiled *c) {
  jet_program_destroy(c->prog);
  jet_graph_destroy(c->clean);
  jet_graph_destroy(c->src);
}

/* Pseudo-random floats that are multiples of 1/8 in [-4, 4) (exact sums). */
static inline void fill(float *x, size_t n, uint32_t seed) {
  uint32_t s = seed * 2654435761u + 12345u;
  for (size_t i = 0; i < n; i++) {
    s = s * 1664525u + 1013904223u;
    x[i] = (float)((int)(s >> 26) - 32) / 8.0f;
  }
}

#endif
