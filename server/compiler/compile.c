/* The compile path: hash -> memory cache -> disk cache -> transforms ->
 * cleanup passes -> executable (lowering) -> memory cache + disk. */
#include "compiler/compile.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <xxhash.h>

#include "compiler/passes/passes.h"
#include "jet/hash.h"
#include "kernels/kernels.h"
#include "transforms/transforms.h"

const char *jet_compile_source_name(jet_compile_source s) {
  switch (s) {
    case JET_COMPILE_MEMORY: return "memory";
    case JET_COMPILE_DISK: return "disk";
    case JET_COMPILE_COMPILED: return "compiled";
  }
  return "?";
}

static uint64_t now_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void add_note(char *note, size_t cap, const char *fmt, ...) JET_PRINTF(3, 4);
static void add_note(char *note, size_t cap, const char *fmt, ...) {
  if (!note || !cap) return;
  size_t n = strlen(note);
  if (n + 3 >= cap) return;
  if (n) {
    memcpy(note + n, "; ", 3);
    n += 2;
  }
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(note + n, cap - n, fmt, ap);
  va_end(ap);
}

/* What a disk entry must match, when known: the parameter types it will be
 * called with and (without transforms) the output types of the request. */
typedef struct signature {
  const jet_type *params; /* NULL = unknown */
  uint32_t n_params;
  const jet_type *outputs; /* NULL = unknown */
  const jet_value *output_ids;
  uint32_t n_outputs;
} signature;

static bool signature_ok(const signature *s, const jet_graph *g) {
  if (s->params) {
    if (g->n_params != s->n_params) return false;
    for (uint32_t i = 0; i < s->n_params; i++)
      if (!jet_type_equal(&g->value_types[i], &s->params[i])) return false;
  }
  if (s->outputs) {
    if (g->n_outputs != s->n_outputs) return false;
    for (uint32_t i = 0; i < s->n_outputs; i++)
      if (!jet_type_equal(&g->value_types[g->outputs[i]], &s->outputs[s->output_ids[i]]))
        return false;
  }
  return true;
}

/* The executable of id made from the disk entry, or NULL (none, or a bad
 * entry: discarded, and note says why). */
static jet_executable *from_disk(jet_cache *cache, const char *id, const signature *sig,
                                 char *note, size_t cap) {
  jet_disk_cache *disk = jet_cache_disk(cache);
  if (!disk) return NULL;
  char why[512];
  jet_graph *g = NULL;
  jet_disk_result r = jet_disk_cache_load(disk, id, &g, why, sizeof why);
  if (r != JET_DISK_HIT) {
    if (why[0]) add_note(note, cap, "%s", why);
    return NULL;
  }
  if (sig && !signature_ok(sig, g)) {
    jet_graph_destroy(g);
    jet_disk_cache_discard(disk, id);
    add_note(note, cap, "disk cache entry %s: its signature does not match the request; discarded",
             id);
    return NULL;
  }
  jet_executable *exe = NULL;
  jet_status st = jet_executable_create(id, g, &exe);
  if (st) {
    snprintf(why, sizeof why, "disk cache entry %.32s: %s; discarded", id, jet_status_message(st));
    jet_status_free(st);
    jet_disk_cache_discard(disk, id);
    add_note(note, cap, "%s", why);
    return NULL;
  }
  jet_cache_note_disk_hit(cache);
  return exe;
}

void jet_compiler_key(const jet_graph *graph, const jet_transform *transforms,
                      uint32_t n_transforms, const jet_type *arg_types, uint32_t n_args,
                      char id[JET_EXECUTABLE_ID_HEX + 1]) {
  const jet_hash g = jet_graph_hash(graph, transforms, n_transforms, arg_types, n_args);
  unsigned char buf[sizeof g.bytes + 64];
  static const char salt[] = "compiler " JET_COMPILER_VERSION "; devices cpu";
  memcpy(buf, g.bytes, sizeof g.bytes);
  memcpy(buf + sizeof g.bytes, salt, sizeof salt - 1);
  XXH128_canonical_t c;
  XXH128_canonicalFromHash(&c, XXH3_128bits(buf, sizeof g.bytes + sizeof salt - 1));
  jet_hash k;
  memcpy(k.bytes, c.digest, sizeof k.bytes);
  jet_hash_hex(&k, id);
}

/* A collective (an op with an axis_name attribute) left after the
 * transforms must be bound by an enclosing pmap node over its axis_name
 * (vmap replaces those over its own name); any other is refused with JAX's
 * "unbound axis name" error naming the node, in control-flow sub-graphs too.
 * `bound` is the chain of axis names of the enclosing pmap nodes (a
 * collective over an outer pmap's name inside an inner pmap's body is
 * bound). A pmap with explicit `devices` inside a pmap body is refused with
 * JAX's "Nested pmap with explicit devices argument." (UNIMPLEMENTED). */
typedef struct bound_axis {
  const char *name;
  const struct bound_axis *outer;
} bound_axis;

static const char *axis_name_of(const jet_node *n) {
  const jet_attr *a = jet_node_attr(n, "axis_name");
  return a && a->kind == JET_ATTR_STR ? a->u.s : NULL;
}

static bool is_bound(const bound_axis *b, const char *name) {
  for (; b && name; b = b->outer)
    if (b->name && strcmp(b->name, name) == 0) return true;
  return false;
}

static jet_status refuse_collectives(const jet_graph *g, const bound_axis *bound) {
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *n = &g->nodes[i];
    jet_status st = NULL;
    if (jet_op_is_collective(n->op)) {
      if (!is_bound(bound, axis_name_of(n))) {
        const char *names[16];
        uint32_t nb = 0;
        for (const bound_axis *b = bound; b && nb < 16; b = b->outer)
          names[nb++] = b->name ? b->name : "";
        st = jet__k_unbound_axis(n, names, nb);
      }
    } else if (n->op == JET_OP_PMAP && bound && jet_node_attr(n, "devices")) {
      st = jet_status_make(JET_UNIMPLEMENTED,
                           "pmap over '%s' inside a pmap over '%s': Nested pmap with explicit "
                           "devices argument.",
                           axis_name_of(n) ? axis_name_of(n) : "", bound->name ? bound->name : "");
    }
    if (!st && !jet_op_is_collective(n->op)) {
      bound_axis inner = {axis_name_of(n), bound};
      const bound_axis *b = n->op == JET_OP_PMAP ? &inner : bound;
      for (uint32_t k = 0; k < n->n_subgraphs && !st; k++) {
        st = refuse_collectives(n->subgraphs[k], b);
        if (st) st = jet_status_annotate(st, "sub-graph %u: ", k);
      }
    }
    if (st) return jet_status_annotate(st, "node %u (%s): ", i, jet_op_name(n->op));
  }
  return NULL;
}

jet_status jet_compiler_compile_ex(jet_cache *cache, jet_graph *graph,
                                   const jet_transform *transforms, uint32_t n_transforms,
                                   const jet_type *arg_types, uint32_t n_args,
                                   jet_executable **out, jet_compile_result *res) {
  jet_compile_result scratch;
  if (!res) res = &scratch;
  memset(res, 0, sizeof *res);
  *out = NULL;
  uint64_t t0 = now_us();
  char id[JET_EXECUTABLE_ID_HEX + 1];
  jet_compiler_key(graph, transforms, n_transforms, arg_types, n_args, id);
  jet_executable *exe = jet_cache_lookup(cache, id);
  if (exe) {
    jet_graph_destroy(graph);
    jet_cache_note(cache, true);
    res->source = JET_COMPILE_MEMORY;
    res->compile_us = now_us() - t0;
    *out = exe;
    return NULL;
  }
  signature sig = {0};
  if (arg_types && n_args) {
    sig.params = arg_types;
    sig.n_params = n_args;
  } else if (n_transforms == 0) {
    sig.params = graph->value_types;
    sig.n_params = graph->n_params;
  }
  if (n_transforms == 0) {
    sig.outputs = graph->value_types;
    sig.output_ids = graph->outputs;
    sig.n_outputs = graph->n_outputs;
  }
  exe = from_disk(cache, id, &sig, res->disk_note, sizeof res->disk_note);
  if (exe) {
    jet_graph_destroy(graph);
    exe->compile_us = now_us() - t0;
    res->source = JET_COMPILE_DISK;
    res->compile_us = exe->compile_us;
    *out = jet_cache_insert(cache, exe);
    jet_executable_release(exe);
    return NULL;
  }
  jet_cache_note(cache, false);
  res->source = JET_COMPILE_COMPILED;
  jet_graph *compiled;
  JET_RETURN_IF_ERROR(jet_transforms_apply(graph, transforms, n_transforms, &compiled));
  jet_status unbound = refuse_collectives(compiled, NULL);
  if (unbound) {
    jet_graph_destroy(compiled);
    return unbound;
  }
  /* DCE + CSE: same parameters and outputs, fewer nodes. */
  jet_graph *cleaned;
  jet_status st = jet_passes_cleanup(compiled, &cleaned);
  jet_graph_destroy(compiled);
  JET_RETURN_IF_ERROR(st);
  JET_RETURN_IF_ERROR(jet_executable_create(id, cleaned, &exe));
  exe->compile_us = now_us() - t0;
  res->compile_us = exe->compile_us;
  jet_cache_note_compile_time(cache, exe->compile_us);
  jet_disk_cache *disk = jet_cache_disk(cache);
  if (disk) {
    uint64_t t1 = now_us();
    st = jet_disk_cache_store(disk, id, exe->graph);
    res->disk_write_us = now_us() - t1;
    if (st) {
      add_note(res->disk_note, sizeof res->disk_note, "%s (the compile is not affected)",
               jet_status_message(st));
      jet_status_free(st);
    }
  }
  *out = jet_cache_insert(cache, exe);
  jet_executable_release(exe);
  return NULL;
}

jet_status jet_compiler_compile(jet_cache *cache, jet_graph *graph, const jet_transform *transforms,
                       uint32_t n_transforms, const jet_type *arg_types, uint32_t n_args,
                       jet_executable **out, bool *hit) {
  jet_compile_result res;
  jet_status st =
      jet_compiler_compile_ex(cache, graph, transforms, n_transforms, arg_types, n_args, out, &res);
  *hit = !st && res.source == JET_COMPILE_MEMORY;
  return st;
}

jet_executable *jet_compiler_find(jet_cache *cache, const char *id, char *note,
                                  size_t note_cap) {
  if (note && note_cap) note[0] = '\0';
  jet_executable *exe = jet_cache_lookup(cache, id);
  if (exe) return exe;
  uint64_t t0 = now_us();
  exe = from_disk(cache, id, NULL, note, note_cap);
  if (!exe) return NULL;
  exe->compile_us = now_us() - t0;
  jet_executable *out = jet_cache_insert(cache, exe);
  jet_executable_release(exe);
  return out;
}
