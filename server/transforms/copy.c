/* Deep graph copy (see copy.h) into a fresh root graph, through the shared
 * jet_graph_copy_into (call nesting limited to 64 levels). */
#include "transforms/copy.h"

jet_status jet_transforms_copy_graph(const jet_graph *src, jet_graph **out) {
  *out = NULL;
  jet_graph *g = jet_graph_create(src->name);
  if (!g) return jet_status_oom("graph copy");
  jet_status st = jet_graph_copy_into(g, src, 64);
  if (st) {
    jet_graph_destroy(g);
    return st;
  }
  *out = g;
  return NULL;
}
