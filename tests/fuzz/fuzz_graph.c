/* libFuzzer target: the graph text form (issue 9). Bytes -> jet_graph_parse
 * (lexer, parser, attributes, literals; it ends with jet_graph_validate, i.e.
 * shape inference of every node and sub-graph). A parsed graph is printed,
 * parsed again and validated again: the printer's output must parse (a
 * failure there aborts: it is a bug even though no input is at fault).
 * Errors are fine; crashes, leaks, sanitizer reports and hangs are not.
 * Seeds: tests/data .jet and graphs of every op. Owned by the fuzzload
 * helper. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "jet/infer.h"
#include "jet/strbuf.h"
#include "jet/text.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse((const char *)data, size, &g);
  if (st) {
    if (jet_status_code(st) == JET_OK || !jet_status_message(st)[0]) abort();
    jet_status_free(st);
    return 0;
  }
  st = jet_graph_validate(g, NULL, 0);
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  if (!st) st = jet_graph_print(g, &sb);
  if (!st) st = jet_strbuf_status(&sb);
  jet_graph *h = NULL;
  if (!st) st = jet_graph_parse(sb.data ? sb.data : "", sb.len, &h);
  if (st) {
    fprintf(stderr, "fuzz_graph: a parsed graph does not round-trip: %s\n%s\n",
            jet_status_message(st), sb.data ? sb.data : "");
    abort();
  }
  jet_graph_destroy(h);
  jet_strbuf_free(&sb);
  jet_graph_destroy(g);
  return 0;
}
