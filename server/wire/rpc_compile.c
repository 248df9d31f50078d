/* Compile (worker pool): decode and validate the graph under the request
 * limits (ir/), check arg_types, decode transforms, then compile through the
 * executable cache (compiler/: memory, then disk, then transforms/ and the
 * passes). A memory miss is logged at info level; a disk cache problem at
 * warn level.
 *
 * Device checks (they need the daemon's device count, so they live here):
 * every pmap node, nested ones included, and every pmap transform must fit
 * the devices: the logical devices a pmap needs are the product of the
 * axis sizes of the pmaps nested in it (JAX's nested pmap; pmap transforms
 * in one list nest too); a need above the count is JAX's INVALID_ARGUMENT
 * "compiling computation that requires N logical devices, but only M XLA
 * devices are available (num_replicas=N)", a `devices` entry that is no
 * device is INVALID_ARGUMENT naming it. They run on the request (graph and
 * transforms, before any work) and on the compiled graph (pmaps made by the
 * pmap transform; also on a cache hit, whose entry may come from a disk
 * cache written by a daemon with more devices). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "compiler/compile.h"
#include "daemon/log.h"
#include "jet/protoconv.h"
#include "jet/v1/jet.pb-c.h"
#include "observe/observe.h"
#include "wire/call.h"
#include "wire/graph_request.h"

static jet_status too_many(int64_t n, uint32_t m) {
  return jet_status_make(JET_INVALID_ARGUMENT,
                         "compiling computation that requires %" PRId64
                         " logical devices, but only %" PRIu32
                         " XLA devices are available (num_replicas=%" PRId64 ")",
                         n, m, n);
}

static jet_status check_device_id(const jet_devices *d, int64_t id, const char *where,
                                  uint32_t i) {
  char field[160];
  snprintf(field, sizeof field, "%s devices[%" PRIu32 "]", where, i);
  if (id < 0 || id > UINT32_MAX)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: %" PRId64 " is not a device id", field, id);
  return jet_devices_check_id(d, (uint32_t)id, field);
}

/* Nested pmaps: the logical devices are the product of the nested axis
 * sizes (saturating). */
static int64_t mul_sat(int64_t a, int64_t b) {
  return a > 0 && b > 0 && a > INT64_MAX / b ? INT64_MAX : a * b;
}

/* The product of a transform list's pmap sizes (they nest; a size read
 * from the arguments, 0, counts as its devices list or 1). */
static int64_t transforms_need(const jet_transform *tf, uint32_t n) {
  int64_t need = 1;
  for (uint32_t i = 0; i < n; i++) {
    if (tf[i].kind != JET_TF_PMAP) continue;
    int64_t s = tf[i].axis_size > 0 ? tf[i].axis_size : (int64_t)tf[i].n_devices;
    need = mul_sat(need, s > 0 ? s : 1);
  }
  return need;
}

/* The logical devices g's pmaps need: the largest product of nested axis
 * sizes over g, its sub-graphs and callees (with their pmap transforms). */
static int64_t graph_need(const jet_graph *g) {
  int64_t best = 1;
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *nd = &g->nodes[i];
    int64_t inner = 1;
    for (uint32_t k = 0; k < nd->n_subgraphs; k++)
      if (nd->subgraphs[k]) {
        const int64_t s = graph_need(nd->subgraphs[k]);
        if (s > inner) inner = s;
      }
    if (nd->op == JET_OP_PMAP) {
      const int64_t a = jet_node_attr_int(nd, "axis_size", 1);
      inner = mul_sat(inner, a > 0 ? a : 1);
    }
    if (nd->callee) {
      const int64_t s = mul_sat(transforms_need(nd->transforms, nd->n_transforms),
                                graph_need(nd->callee));
      if (s > inner) inner = s;
    }
    if (inner > best) best = inner;
  }
  return best;
}

static jet_status check_transforms(const jet_devices *d, const jet_transform *tf, uint32_t n,
                                   const char *where) {
  uint32_t m = jet_devices_count(d);
  const int64_t need = transforms_need(tf, n);
  if (need > (int64_t)m) return too_many(need, m);
  for (uint32_t i = 0; i < n; i++) {
    if (tf[i].kind != JET_TF_PMAP) continue;
    if (tf[i].axis_size > (int64_t)m) return too_many(tf[i].axis_size, m);
    if (tf[i].n_devices > m) return too_many(tf[i].n_devices, m);
    char w[128];
    snprintf(w, sizeof w, "%s transform %" PRIu32 " (pmap)", where, i);
    for (uint32_t k = 0; k < tf[i].n_devices; k++)
      JET_RETURN_IF_ERROR(check_device_id(d, tf[i].devices[k], w, k));
  }
  return NULL;
}

/* Every pmap node of g and of its sub-graphs and callees (depth-bounded by
 * the request's validation). */
static jet_status check_pmap_nodes(const jet_devices *d, const jet_graph *g) {
  uint32_t m = jet_devices_count(d);
  for (uint32_t i = 0; i < g->n_nodes; i++) {
    const jet_node *nd = &g->nodes[i];
    if (nd->op == JET_OP_PMAP) {
      int64_t n = jet_node_attr_int(nd, "axis_size", 0);
      if (n > (int64_t)m) return too_many(n, m);
      const jet_attr *dv = jet_node_attr(nd, "devices");
      char w[128];
      snprintf(w, sizeof w, "graph '%.48s' node %" PRIu32 " (pmap)", g->name, i);
      if (dv && dv->kind == JET_ATTR_INTS)
        for (uint32_t k = 0; k < dv->u.ints.n; k++)
          JET_RETURN_IF_ERROR(check_device_id(d, dv->u.ints.v[k], w, k));
    }
    for (uint32_t k = 0; k < nd->n_subgraphs; k++)
      if (nd->subgraphs[k]) JET_RETURN_IF_ERROR(check_pmap_nodes(d, nd->subgraphs[k]));
    if (nd->callee) {
      char w[128];
      snprintf(w, sizeof w, "graph '%.48s' node %" PRIu32 " (call)", g->name, i);
      JET_RETURN_IF_ERROR(check_transforms(d, nd->transforms, nd->n_transforms, w));
      JET_RETURN_IF_ERROR(check_pmap_nodes(d, nd->callee));
    }
  }
  return NULL;
}

/* g inside the pmap transforms tf (NULL: none): nested pmaps need the
 * product of their sizes, then every node's own checks. */
static jet_status check_pmaps(const jet_devices *d, const jet_graph *g, const jet_transform *tf,
                              uint32_t n_tf) {
  const int64_t need = mul_sat(transforms_need(tf, n_tf), graph_need(g));
  if (need > (int64_t)jet_devices_count(d)) return too_many(need, jet_devices_count(d));
  return check_pmap_nodes(d, g);
}

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
  const jet_devices *devs = c->ctx->devices;
  jet_status st = check_pmaps(devs, g, tfs, (uint32_t)q->n_transforms);
  if (!st) st = check_transforms(devs, tfs, (uint32_t)q->n_transforms, "Compile");
  if (st) {
    jet_graph_destroy(g);
    return st;
  }
  jet_executable *exe;
  jet_compile_result res;
  st = jet_compiler_compile_ex(c->ctx->cache, g, tfs, (uint32_t)q->n_transforms, args,
                                          (uint32_t)q->n_arg_types, &exe, &res);
  if (res.disk_note[0]) jet_log(JET_LOG_WARN, c->id, "%s", res.disk_note);
  JET_RETURN_IF_ERROR(st);
  /* With tokens, Execute of this id is allowed to the tenants that compiled it. */
  st = c->w->auth ? jet_cache_grant(c->ctx->cache, exe->id, c->tenant) : NULL;
  if (!st) st = check_pmaps(devs, exe->graph, NULL, 0);
  if (st) {
    jet_executable_release(exe);
    return st;
  }
  if (res.source == JET_COMPILE_COMPILED) jet_observe_compile(res.compile_us);
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
