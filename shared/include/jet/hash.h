/* Canonical content hash of a graph with its transforms and argument types:
 * the key of the compiled-executable cache. Two graphs that differ only in
 * their name or in attribute order hash equal; any difference in ops, operands, attribute
 * values, literal data, types, transforms or callees changes the hash.
 * Uses XXH3-128 (libxxhash). Thread-safe. */
#ifndef JET_HASH_H
#define JET_HASH_H

#include <stdint.h>

#include "jet/graph.h"

typedef struct jet_hash {
  uint8_t bytes[16];
} jet_hash;

/* arg_types may be NULL (the graph's parameter types are used). */
jet_hash jet_graph_hash(const jet_graph *g, const jet_transform *transforms, uint32_t n_transforms,
                        const jet_type *arg_types, uint32_t n_args);

/* 32 lowercase hex digits + NUL. */
void jet_hash_hex(const jet_hash *h, char out[33]);

#endif
