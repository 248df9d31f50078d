/* Seed-corpus generator of the libFuzzer targets (tests/fuzz/README.md):
 *   fuzz_corpus_gen OUT_DIR
 * writes OUT_DIR/fuzz_decode/ (byte 0 = message kind, then real serialized
 * CompileRequest / ExecuteRequest / PutArrayChunk messages),
 * OUT_DIR/fuzz_graph/ (graph texts) and OUT_DIR/fuzz_transforms/ (byte 0 =
 * graph index, byte 1 = 0 text / 1 proto, then a transforms list).
 * The committed corpus under tests/fuzz/corpus/ was made with it; the
 * tests/data .jet graphs are passed to fuzz_graph as a second seed
 * directory by run_fuzz.sh. Owned by the fuzzload helper. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "jet/arena.h"
#include "jet/protoconv.h"
#include "jet/text.h"
#include "jet/v1/jet.pb-c.h"

static const char *const graphs[] = {
    "graph f(%0: f32[], %1: f32[]) {\n  %2 = integer_pow[y=2] %1 : f32[]\n"
    "  %3 = mul %0, %2 : f32[]\n  return %3\n}\n",
    "graph tutorial(%0: f32[3], %1: f32[3]) {\n  %2 = dot_general[lhs_contracting_dimensions=[0],"
    " rhs_contracting_dimensions=[0]] %0, %1 : f32[]\n  %3 = square %0 : f32[3]\n"
    "  return %2, %3\n}\n",
    "graph ew(%0: f32[3], %1: f32[3]) {\n  %2 = mul %0, %1 : f32[3]\n  %3 = exp %2 : f32[3]\n"
    "  %4 = max %3, %1 : f32[3]\n  return %4\n}\n",
    "graph r(%0: f32[2,3]) {\n  %1 = reduce_sum[axes=[1]] %0 : f32[2]\n"
    "  %2 = constant[value=f32[2]{1, 2}] : f32[2]\n  %3 = add %1, %2 : f32[2]\n  return %3\n}\n",
};
static const char *const tfs[] = {
    "", "[grad(argnums=[0])]", "[value_and_grad(argnums=[0, 1])]", "[jvp()]", "[vjp()]",
    "[vmap(in_axes=[0])]", "[grad(argnums=[1]), vmap(in_axes=[0, none])]", "[hessian()]",
    "[jacfwd()]", "[jacrev()]", "[grad(), grad()]",
};

static int write_file(const char *dir, const char *name, int n, const void *prefix, size_t plen,
                      const void *data, size_t len) {
  char path[1024];
  snprintf(path, sizeof path, "%s/%s-%03d", dir, name, n);
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  fwrite(prefix, 1, plen, f);
  fwrite(data, 1, len, f);
  return fclose(f);
}

static int pack_write(const char *dir, const char *name, int n, const uint8_t *prefix,
                      size_t plen, const ProtobufCMessage *m) {
  size_t len = protobuf_c_message_get_packed_size(m);
  uint8_t *buf = malloc(len ? len : 1);
  if (!buf) return -1;
  protobuf_c_message_pack(m, buf);
  int rc = write_file(dir, name, n, prefix, plen, buf, len);
  free(buf);
  return rc;
}

static int gen(const char *out) {
  char dd[1024], dg[1024], dt[1024];
  snprintf(dd, sizeof dd, "%s/fuzz_decode", out);
  snprintf(dg, sizeof dg, "%s/fuzz_graph", out);
  snprintf(dt, sizeof dt, "%s/fuzz_transforms", out);
  mkdir(out, 0755);
  mkdir(dd, 0755);
  mkdir(dg, 0755);
  mkdir(dt, 0755);
  int n = 0;
  for (size_t gi = 0; gi < sizeof graphs / sizeof *graphs; gi++) {
    jet_graph *g;
    if (jet_graph_parse(graphs[gi], strlen(graphs[gi]), &g)) return -1;
    if (write_file(dg, "graph", (int)gi, "", 0, graphs[gi], strlen(graphs[gi]))) return -1;
    for (size_t ti = 0; ti < sizeof tfs / sizeof *tfs; ti++, n++) {
      jet_arena *a = jet_arena_create(4096);
      jet_transform *t = NULL;
      uint32_t nt = 0;
      Jet__V1__Graph *pg;
      if (!a || jet_transforms_parse(tfs[ti], strlen(tfs[ti]), a, &t, &nt) ||
          jet_graph_to_proto(g, a, &pg))
        return -1;
      Jet__V1__CompileRequest q = JET__V1__COMPILE_REQUEST__INIT;
      Jet__V1__Transform *pt = jet_arena_calloc(a, nt ? nt : 1, sizeof *pt);
      Jet__V1__Transform **pl = jet_arena_calloc(a, nt ? nt : 1, sizeof *pl);
      if (!pt || !pl) return -1;
      for (uint32_t k = 0; k < nt; k++) {
        jet__v1__transform__init(&pt[k]);
        if (jet_transform_to_proto(&t[k], a, &pt[k])) return -1;
        pl[k] = &pt[k];
      }
      q.graph = pg;
      q.n_transforms = nt;
      q.transforms = pl;
      uint8_t p0 = 0, p2[2] = {(uint8_t)gi, 1}, pt0[2] = {(uint8_t)gi, 0};
      if (pack_write(dd, "compile", n, &p0, 1, &q.base)) return -1;
      q.graph = NULL; /* fuzz_transforms reads only transforms and arg_types */
      if (pack_write(dt, "proto", n, p2, 2, &q.base)) return -1;
      if (write_file(dt, "text", n, pt0, 2, tfs[ti], strlen(tfs[ti]))) return -1;
      jet_arena_destroy(a);
    }
    jet_graph_destroy(g);
  }
  /* Execute with inline and handle arguments; PutArrayChunk first chunks. */
  float vals[3] = {1, 2, 3};
  int64_t dims[1] = {3};
  Jet__V1__TensorType tt = JET__V1__TENSOR_TYPE__INIT;
  tt.dtype = JET__V1__DTYPE__DTYPE_FLOAT32;
  tt.n_dims = 1;
  tt.dims = dims;
  Jet__V1__Array arr = JET__V1__ARRAY__INIT;
  arr.type = &tt;
  arr.data.data = (uint8_t *)vals;
  arr.data.len = sizeof vals;
  Jet__V1__ArrayHandle h = JET__V1__ARRAY_HANDLE__INIT;
  h.id = "0123456789abcdef0123456789abcdef";
  Jet__V1__Argument a0 = JET__V1__ARGUMENT__INIT, a1 = JET__V1__ARGUMENT__INIT;
  a0.value_case = JET__V1__ARGUMENT__VALUE_INLINE;
  a0.inline_ = &arr;
  a1.value_case = JET__V1__ARGUMENT__VALUE_HANDLE;
  a1.handle = &h;
  Jet__V1__Argument *args[2] = {&a0, &a1};
  Jet__V1__ExecuteRequest e = JET__V1__EXECUTE_REQUEST__INIT;
  e.executable_id = "fedcba9876543210fedcba9876543210";
  e.n_args = 2;
  e.args = args;
  protobuf_c_boolean keep[1] = {1};
  e.n_keep_on_server = 1;
  e.keep_on_server = keep;
  uint8_t p1 = 1, p2 = 2;
  if (pack_write(dd, "execute", 0, &p1, 1, &e.base)) return -1;
  e.n_args = 1;
  if (pack_write(dd, "execute", 1, &p1, 1, &e.base)) return -1;
  Jet__V1__PutArrayChunk c = JET__V1__PUT_ARRAY_CHUNK__INIT;
  c.type = &tt;
  c.data.data = (uint8_t *)vals;
  c.data.len = sizeof vals;
  if (pack_write(dd, "put", 0, &p2, 1, &c.base)) return -1;
  uint32_t shards[1] = {0};
  c.n_shard_devices = 1;
  c.shard_devices = shards;
  return pack_write(dd, "put", 1, &p2, 1, &c.base);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: fuzz_corpus_gen OUT_DIR\n");
    return 2;
  }
  if (gen(argv[1])) {
    fprintf(stderr, "fuzz_corpus_gen: failed\n");
    return 1;
  }
  return 0;
}
