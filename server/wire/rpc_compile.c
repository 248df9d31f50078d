/* Compile (worker pool): decode and validate the graph under the request
 * limits (ir/), check arg_types, decode transforms, then compile through the
 * executable cache (compiler/: memory, then disk, then transforms/ and the
 * passes). A memory miss is logged at info level; a disk cache problem at
 * warn level. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "daemon/log.h"
#include "jet/protoconv.h"
#include "jet/v1/jet.pb-c.h"
#include "wire/call.h"
#include "wire/graph_request.h"

static jet_status reply(jet_arena *a, jet_executable *exe, const jet_compile_result *res,
                        bool text, Jet__V1__CompileResponse **out) {
  Jet__V1__CompileResponse *r = jet_arena_alloc(a, sizeof(*r));
  uint32_t n = exe->n_outputs;
  Jet__V1__TensorType **list = jet_arena_calloc(a, n ? n : 1, sizeof(*list));
  Jet__V1__TensorType *types = jet_arena_calloc(a, n ? n : 1, sizeof(*types));
  char *id = jet_arena_strdup(a, exe->id);
  if (!r || !list || !types || !id) return jet_status_oom("Compile reply");
  jet__v1__compile_response__init(r);
  r->executable_id = id;
  r->cache_hit = res->source == JET_COMPILE_MEMORY;
  r->source = (char *)jet_compile_source_name(res->source);
  r->compile_us = res->compile_us;
  r->arena_bytes = exe->info.arena_bytes;
  r->intermediate_bytes = exe->info.intermediate_bytes;
  r->steps = exe->info.steps;
  r->fused_steps = exe->info.fused_steps;
  for (uint32_t i = 0; i < n; i++) {
    jet__v1__tensor_type__init(&types[i]);
    JET_RETURN_IF_ERROR(jet_type_to_proto(&exe->output_types[i], a, &types[i]));
    list[i] = &types[i];
  }
  r->n_output_types = n;
  r->output_types = list;
  if (text) JET_RETURN_IF_ERROR(jet__wire_graph_text(exe->graph, a, "Compile text", &r->text));
  *out = r;
  return NULL;
}

jet_status jet__rpc_compile(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                            ProtobufCMessage **resp) {
  const Jet__V1__CompileRequest *q = (const void *)req;
  jet_graph *g;
  jet_type *args;
  jet_transform *tfs;
  JET_RETURN_IF_ERROR(jet__wire_decode_graph_request(q->graph, c->ctx->cfg.max_nodes, q->arg_types,
                                                     q->n_arg_types, q->transforms, q->n_transforms,
                                                     a, &g, &args, &tfs));
  jet_executable *exe;
  jet_compile_result res;
  jet_status st = jet_compiler_compile_ex(c->ctx->cache, g, tfs, (uint32_t)q->n_transforms, args,
                                          (uint32_t)q->n_arg_types, &exe, &res);
  if (res.disk_note[0]) jet_log(JET_LOG_WARN, c->id, "%s", res.disk_note);
  JET_RETURN_IF_ERROR(st);
  if (res.source != JET_COMPILE_MEMORY) {
    char wrote[64] = "";
    if (res.disk_write_us)
      snprintf(wrote, sizeof wrote, ", written to disk in %.3f ms",
               (double)res.disk_write_us / 1e3);
    jet_log(JET_LOG_INFO, c->id,
            "compile %.32s: source %s, %.3f ms, %u nodes, %u steps (%u fused), arena %llu "
            "bytes%s",
            exe->id, jet_compile_source_name(res.source), (double)res.compile_us / 1e3,
            exe->graph->n_nodes, exe->info.steps, exe->info.fused_steps,
            (unsigned long long)exe->info.arena_bytes, wrote);
    if (jet_log_get_level() >= JET_LOG_DEBUG) { /* the program's listing */
      char *listing = jet_program_describe(exe->program);
      for (char *line = listing, *next; line && *line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = '\0';
        else next = line + strlen(line);
        jet_log(JET_LOG_DEBUG, c->id, "compile %.8s: %s", exe->id, line);
      }
      free(listing);
    }
  }
  Jet__V1__CompileResponse *r = NULL;
  st = reply(a, exe, &res, q->return_text, &r);
  jet_executable_release(exe);
  if (!st) *resp = &r->base;
  return st;
}
