#include "compiler/compile.h"

#include "compiler/passes/passes.h"
#include "jet/hash.h"
#include "transforms/transforms.h"

jet_status jet_compiler_compile(jet_cache *cache, jet_graph *graph, const jet_transform *transforms,
                       uint32_t n_transforms, const jet_type *arg_types, uint32_t n_args,
                       jet_executable **out, bool *hit) {
  *out = NULL;
  *hit = false;
  jet_hash h = jet_graph_hash(graph, transforms, n_transforms, arg_types, n_args);
  char id[JET_EXECUTABLE_ID_HEX + 1];
  jet_hash_hex(&h, id);
  jet_executable *exe = jet_cache_lookup(cache, id);
  if (exe) {
    jet_graph_destroy(graph);
    jet_cache_note(cache, true);
    *hit = true;
    *out = exe;
    return NULL;
  }
  jet_cache_note(cache, false);
  jet_graph *compiled;
  JET_RETURN_IF_ERROR(jet_transforms_apply(graph, transforms, n_transforms, &compiled));
  /* DCE + CSE: same parameters and outputs, fewer nodes. */
  jet_graph *cleaned;
  jet_status st = jet_passes_cleanup(compiled, &cleaned);
  jet_graph_destroy(compiled);
  JET_RETURN_IF_ERROR(st);
  JET_RETURN_IF_ERROR(jet_executable_create(id, cleaned, &exe));
  *out = jet_cache_insert(cache, exe);
  jet_executable_release(exe);
  return NULL;
}
