/* libFuzzer target: the transforms stage (issue 9) as jetd applies it.
 *
 * Input: byte 0 picks a valid graph (the tests/data .jet graphs read at
 * start-up from JET_FUZZ_DATA_DIR, plus built-in ones below); bit 0 of byte
 * 1 picks how the rest is read: 0 = a transforms list in the text syntax
 * ("[grad(argnums=[0]), vmap(in_axes=[0])]", jet_transforms_parse), 1 = the
 * wire bytes of a CompileRequest of which only transforms and arg_types are
 * used (jet_ir_decode_transforms / jet_ir_decode_arg_types, as jetd decodes
 * them). Then, as jetd's Compile does: jet_transforms_bind_args,
 * jet_transforms_apply, and jet_graph_validate of the result. At most
 * MAX_TFS transforms are applied (each grad of a grad multiplies the graph;
 * jetd bounds the request, not the product - see README.md).
 * Errors are fine; crashes, leaks, sanitizer reports and hangs are not.
 * Owned by the fuzzload helper. */
#include <dirent.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/grpc.h>
#include <grpc/byte_buffer.h>
#include <grpc/slice.h>

#include "ir/decode.h"
#include "jet/arena.h"
#include "jet/infer.h"
#include "jet/rpc_codec.h"
#include "jet/text.h"
#include "jet/v1/jet.pb-c.h"
#include "transforms/transforms.h"

#define MAX_TFS 4
#define MAX_GRAPHS 32

static const char *const builtin[] = {
    "graph f(%0: f32[], %1: f32[]) {\n"
    "  %2 = integer_pow[y=2] %1 : f32[]\n"
    "  %3 = mul %0, %2 : f32[]\n"
    "  return %3\n"
    "}\n",
    "graph mlp(%0: f32[4,3], %1: f32[3], %2: f32[4]) {\n"
    "  %3 = dot_general[lhs_contracting_dimensions=[0], rhs_contracting_dimensions=[0]]"
    " %0, %2 : f32[3]\n"
    "  %4 = add %3, %1 : f32[3]\n"
    "  %5 = tanh %4 : f32[3]\n"
    "  %6 = reduce_sum[axes=[0]] %5 : f32[]\n"
    "  return %6, %5\n"
    "}\n",
    "graph ew(%0: f32[3], %1: f32[3]) {\n"
    "  %2 = mul %0, %1 : f32[3]\n"
    "  %3 = exp %2 : f32[3]\n"
    "  %4 = max %3, %1 : f32[3]\n"
    "  return %4\n"
    "}\n",
};

/* The graphs' texts (each parsed afresh per input: parsing is cheap and
 * the transforms consume their graph). */
static char *graphs[MAX_GRAPHS];
static size_t graph_len[MAX_GRAPHS];
static int n_graphs;

static void add_graph(const char *text, size_t len, const char *what) {
  jet_graph *g;
  jet_status st = jet_graph_parse(text, len, &g);
  if (st) {
    fprintf(stderr, "fuzz_transforms: %s does not parse: %s\n", what, jet_status_message(st));
    jet_status_free(st);
    return;
  }
  jet_graph_destroy(g);
  if (n_graphs < MAX_GRAPHS && (graphs[n_graphs] = malloc(len ? len : 1))) {
    memcpy(graphs[n_graphs], text, len);
    graph_len[n_graphs++] = len;
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  grpc_init();
  for (size_t i = 0; i < sizeof builtin / sizeof *builtin; i++)
    add_graph(builtin[i], strlen(builtin[i]), "a built-in graph");
#ifdef JET_FUZZ_DATA_DIR
  DIR *d = opendir(JET_FUZZ_DATA_DIR);
  for (struct dirent *e; d && (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (l < 5 || strcmp(e->d_name + l - 4, ".jet")) continue;
    char path[4096], buf[65536];
    snprintf(path, sizeof path, "%s/%s", JET_FUZZ_DATA_DIR, e->d_name);
    FILE *f = fopen(path, "rb");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    add_graph(buf, n, path);
  }
  if (d) closedir(d);
#endif
  return 0;
}

static jet_status from_proto(const uint8_t *data, size_t size, jet_arena *a, jet_transform **tfs,
                             uint32_t *n, jet_type **args, uint32_t *n_args) {
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)data, size);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  ProtobufCMessage *m = NULL;
  jet_status st = jet_rpc_unpack(bb, &jet__v1__compile_request__descriptor, a, &m);
  grpc_byte_buffer_destroy(bb);
  JET_RETURN_IF_ERROR(st);
  const Jet__V1__CompileRequest *q = (const void *)m;
  if (q->n_transforms > MAX_TFS) return jet_status_make(JET_INVALID_ARGUMENT, "too many");
  JET_RETURN_IF_ERROR(jet_ir_decode_arg_types(q->arg_types, q->n_arg_types, a, args));
  JET_RETURN_IF_ERROR(jet_ir_decode_transforms(q->transforms, q->n_transforms, a, tfs));
  *n = (uint32_t)q->n_transforms;
  *n_args = (uint32_t)q->n_arg_types;
  return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 2 || n_graphs == 0) return 0;
  const int gi = data[0] % n_graphs;
  jet_arena *a = jet_arena_create(4096);
  if (!a) abort();
  jet_transform *tfs = NULL;
  jet_type *args = NULL;
  uint32_t n = 0, n_args = 0;
  jet_status st = (data[1] & 1)
                      ? from_proto(data + 2, size - 2, a, &tfs, &n, &args, &n_args)
                      : jet_transforms_parse((const char *)data + 2, size - 2, a, &tfs, &n);
  if (!st && n > MAX_TFS) st = jet_status_make(JET_INVALID_ARGUMENT, "too many");
  jet_graph *g = NULL, *out = NULL;
  if (!st) st = jet_graph_parse(graphs[gi], graph_len[gi], &g);
  if (!st) st = jet_transforms_bind_args(g, tfs, n, args, n_args);
  if (!st) {
    st = jet_transforms_apply(g, tfs, n, &out); /* consumes g */
    g = NULL;
  }
  if (!st) {
    st = jet_graph_validate(out, NULL, 0);
    if (st) { /* the transforms produced an invalid graph: a bug */
      fprintf(stderr, "fuzz_transforms: transformed graph invalid: %s\n", jet_status_message(st));
      abort();
    }
  }
  if (st) {
    if (jet_status_code(st) == JET_OK || !jet_status_message(st)[0]) abort();
    jet_status_free(st);
  }
  jet_graph_destroy(g);
  jet_graph_destroy(out);
  jet_arena_destroy(a);
  return 0;
}
