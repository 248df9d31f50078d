/* jet_graph_hash: canonical XXH3-128 content hash of a graph, its transforms
 * and argument types (the compile-cache key).
 *
 * The hash covers a canonical byte stream, every integer fixed-width and
 * little-endian, every string and list length-prefixed:
 *   "jet.graph.hash/1", JET_OPSET_VERSION,
 *   graph := params (count, types), nodes (count, each: op name, operands,
 *            attributes sorted by name (name, kind, value), result types,
 *            callee flag + graph, transforms, sub-graph count + graphs),
 *            outputs (count, ids)
 *   then the top-level transforms and the argument types.
 * Graph names are not part of it, nor the order attributes were given in. */
#include <string.h>
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

#include "jet/hash.h"

/* Small pieces are gathered in a buffer and fed to XXH3 in blocks: the
 * byte stream (so the hash) is the same, at a fraction of the cost of one
 * XXH3 update per 4-byte field. */
typedef struct hasher {
  XXH3_state_t *st;
  size_t n;
  unsigned char buf[4096];
} hasher;

static void flush(hasher *h) {
  if (h->n) XXH3_128bits_update(h->st, h->buf, h->n);
  h->n = 0;
}

static void put(hasher *h, const void *p, size_t n) {
  if (!n) return;
  if (h->n + n > sizeof h->buf) {
    flush(h);
    if (n > sizeof h->buf) {
      XXH3_128bits_update(h->st, p, n);
      return;
    }
  }
  memcpy(h->buf + h->n, p, n);
  h->n += n;
}

static void put_u64(hasher *h, uint64_t v) {
  unsigned char b[8];
  for (int i = 0; i < 8; i++) b[i] = (unsigned char)(v >> (8 * i));
  put(h, b, 8);
}

static void put_u32(hasher *h, uint32_t v) {
  unsigned char b[4];
  for (int i = 0; i < 4; i++) b[i] = (unsigned char)(v >> (8 * i));
  put(h, b, 4);
}

static void put_i64(hasher *h, int64_t v) { put_u64(h, (uint64_t)v); }
static void put_bool(hasher *h, bool v) { put_u32(h, v ? 1u : 0u); }

static void put_str(hasher *h, const char *s) {
  size_t n = s ? strlen(s) : 0;
  put_u64(h, n);
  put(h, s, n);
}

static void put_type(hasher *h, const jet_type *t) {
  put_u32(h, (uint32_t)t->dtype);
  put_u32(h, (uint32_t)t->rank);
  for (int32_t i = 0; i < t->rank && i < JET_MAX_RANK; i++) put_i64(h, t->dims[i]);
}

static void put_i32s(hasher *h, const int32_t *v, uint32_t n) {
  put_u32(h, n);
  for (uint32_t i = 0; i < n; i++) put_u32(h, (uint32_t)v[i]);
}

static void put_axes(hasher *h, const jet_axis_spec *v, uint32_t n) {
  put_u32(h, n);
  for (uint32_t i = 0; i < n; i++) {
    put_bool(h, v[i].mapped);
    put_u32(h, (uint32_t)v[i].axis);
  }
}

/* Every field, whatever the kind: unused ones are zero and hash alike. */
static void put_transform(hasher *h, const jet_transform *t) {
  put_u32(h, (uint32_t)t->kind);
  put_i32s(h, t->argnums, t->n_argnums);
  put_bool(h, t->argnums_tuple);
  put_bool(h, t->has_aux);
  put_bool(h, t->holomorphic);
  put_bool(h, t->allow_int);
  put_axes(h, t->in_axes, t->n_in_axes);
  put_axes(h, t->out_axes, t->n_out_axes);
  put_i64(h, t->axis_size);
  put_str(h, t->axis_name);
  put_str(h, t->spmd_axis_name);
  put_i32s(h, t->static_broadcasted_argnums, t->n_static_argnums);
  put_u32(h, t->n_devices);
  for (uint32_t i = 0; i < t->n_devices; i++) put_u32(h, t->devices[i]);
  put_i32s(h, t->donate_argnums, t->n_donate_argnums);
}

static void put_transforms(hasher *h, const jet_transform *t, uint32_t n) {
  put_u32(h, n);
  for (uint32_t i = 0; i < n; i++) put_transform(h, &t[i]);
}

static void put_attr(hasher *h, const jet_attr *a) {
  put_str(h, a->name);
  put_u32(h, (uint32_t)a->kind);
  switch (a->kind) {
    case JET_ATTR_INT: put_i64(h, a->u.i); break;
    case JET_ATTR_INTS:
      put_u32(h, a->u.ints.n);
      for (uint32_t i = 0; i < a->u.ints.n; i++) put_i64(h, a->u.ints.v[i]);
      break;
    case JET_ATTR_FLOAT: {
      uint64_t bits;
      memcpy(&bits, &a->u.f, sizeof bits);
      put_u64(h, bits);
      break;
    }
    case JET_ATTR_BOOL: put_bool(h, a->u.b); break;
    case JET_ATTR_DTYPE: put_u32(h, (uint32_t)a->u.dtype); break;
    case JET_ATTR_STR: put_str(h, a->u.s); break;
    case JET_ATTR_LITERAL:
      put_type(h, &a->u.lit.type);
      put_u64(h, a->u.lit.nbytes);
      put(h, a->u.lit.data, a->u.lit.data ? a->u.lit.nbytes : 0);
      break;
  }
}

/* (name, index) order: the attributes sorted by name without allocating. */
static bool attr_before(const jet_attr *attrs, uint32_t i, uint32_t j) {
  int c = strcmp(attrs[i].name, attrs[j].name);
  return c < 0 || (c == 0 && i < j);
}

static void put_attrs(hasher *h, const jet_attr *attrs, uint32_t n) {
  put_u32(h, n);
  uint32_t prev = UINT32_MAX;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t best = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++) {
      if (prev != UINT32_MAX && !attr_before(attrs, prev, i)) continue;
      if (best == UINT32_MAX || attr_before(attrs, i, best)) best = i;
    }
    put_attr(h, &attrs[best]);
    prev = best;
  }
}

static void put_graph(hasher *h, const jet_graph *g) {
  put_u32(h, g->n_params);
  for (uint32_t i = 0; i < g->n_params; i++) put_type(h, &g->value_types[i]);
  put_u32(h, g->n_nodes);
  for (uint32_t n = 0; n < g->n_nodes; n++) {
    const jet_node *node = &g->nodes[n];
    put_str(h, jet_op_name(node->op));
    put_u32(h, node->n_operands);
    for (uint32_t i = 0; i < node->n_operands; i++) put_u32(h, node->operands[i]);
    put_attrs(h, node->attrs, node->n_attrs);
    put_u32(h, node->n_results);
    for (uint32_t r = 0; r < node->n_results; r++) put_type(h, &node->results[r]);
    put_bool(h, node->callee != NULL);
    if (node->callee) put_graph(h, node->callee);
    put_transforms(h, node->transforms, node->n_transforms);
    put_u32(h, node->n_subgraphs);
    for (uint32_t k = 0; k < node->n_subgraphs; k++) put_graph(h, node->subgraphs[k]);
  }
  put_u32(h, g->n_outputs);
  for (uint32_t i = 0; i < g->n_outputs; i++) put_u32(h, g->outputs[i]);
}

jet_hash jet_graph_hash(const jet_graph *g, const jet_transform *transforms, uint32_t n_transforms,
                        const jet_type *arg_types, uint32_t n_args) {
  jet_hash out;
  memset(&out, 0, sizeof out);
  /* The state lives on the stack: hashing never allocates. */
  XXH3_state_t state;
  hasher h;
  h.st = &state;
  h.n = 0;
  XXH3_INITSTATE(&state);
  XXH3_128bits_reset(&state);
  static const char tag[] = "jet.graph.hash/1";
  put(&h, tag, sizeof tag - 1);
  put_u32(&h, JET_OPSET_VERSION);
  if (g != NULL) put_graph(&h, g);
  put_transforms(&h, transforms, n_transforms);
  if (arg_types == NULL && g != NULL) {
    put_u32(&h, g->n_params);
    for (uint32_t i = 0; i < g->n_params; i++) put_type(&h, &g->value_types[i]);
  } else {
    put_u32(&h, arg_types ? n_args : 0);
    for (uint32_t i = 0; arg_types && i < n_args; i++) put_type(&h, &arg_types[i]);
  }
  flush(&h);
  XXH128_canonical_t canon;
  XXH128_canonicalFromHash(&canon, XXH3_128bits_digest(&state));
  memcpy(out.bytes, canon.digest, sizeof out.bytes);
  return out;
}

void jet_hash_hex(const jet_hash *h, char out[33]) {
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < 16; i++) {
    out[2 * i] = hex[h->bytes[i] >> 4];
    out[2 * i + 1] = hex[h->bytes[i] & 15];
  }
  out[32] = '\0';
}
