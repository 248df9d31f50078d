/* Compile (with the client-side executable cache) and Execute. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/bigbuf.h"
#include "builder_internal.h"
#include "client_internal.h"
#include "jet/protoconv.h"
#include "jet/rpc_codec.h"
#include "jet/v1/jet.pb-c.h"

/* ---------------------------------------------------------------------- */
/* Executable cache */

static size_t bucket_of(const jet_hash *h) { return h->bytes[0] % JET__EXE_BUCKETS; }

void jet__exe_free(jet_executable *e) {
  if (!e) return;
  free(e->id);
  free(e->output_types);
  free(e);
}

jet_executable *jet__exe_cache_find(jet_client *c, const jet_hash *key) {
  pthread_mutex_lock(&c->exe_mu);
  jet_executable *e = c->exe_buckets[bucket_of(key)];
  while (e && memcmp(e->key.bytes, key->bytes, sizeof key->bytes) != 0) e = e->next;
  pthread_mutex_unlock(&c->exe_mu);
  return e;
}

jet_executable *jet__exe_cache_insert(jet_client *c, jet_executable *e) {
  pthread_mutex_lock(&c->exe_mu);
  size_t b = bucket_of(&e->key);
  jet_executable *cur = c->exe_buckets[b];
  while (cur && memcmp(cur->key.bytes, e->key.bytes, sizeof e->key.bytes) != 0) cur = cur->next;
  if (cur) {
    pthread_mutex_unlock(&c->exe_mu);
    jet__exe_free(e);
    return cur;
  }
  e->next = c->exe_buckets[b];
  c->exe_buckets[b] = e;
  pthread_mutex_unlock(&c->exe_mu);
  return e;
}

void jet__exe_cache_clear(jet_client *c) {
  for (size_t b = 0; b < JET__EXE_BUCKETS; b++) {
    jet_executable *e = c->exe_buckets[b];
    while (e) {
      jet_executable *next = e->next;
      jet__exe_free(e);
      e = next;
    }
    c->exe_buckets[b] = NULL;
  }
}

size_t jet_executable_num_outputs(const jet_executable *e) { return e ? e->n_outputs : 0; }
const jet_type *jet_executable_output_type(const jet_executable *e, size_t i) {
  return (e && i < e->n_outputs) ? &e->output_types[i] : NULL;
}
const char *jet_executable_id(const jet_executable *e) { return e ? e->id : ""; }
jet_client *jet_executable_client(const jet_executable *e) { return e ? e->client : NULL; }

void jet_compile_info_clear(jet_compile_info *info) {
  if (!info) return;
  free(info->text);
  memset(info, 0, sizeof *info);
}

/* ---------------------------------------------------------------------- */
/* Compile */

static char *dup_str(const char *s) {
  size_t n = strlen(s);
  char *r = malloc(n + 1);
  if (r) memcpy(r, s, n + 1);
  return r;
}

static jet_status exe_from_response(jet_client *c, const jet_hash *key,
                                    const Jet__V1__CompileResponse *r, jet_executable **out) {
  *out = NULL;
  if (!r->executable_id || !r->executable_id[0])
    return jet_status_make(JET_INTERNAL, "Compile: the server's reply has no executable_id");
  jet_executable *e = calloc(1, sizeof *e);
  if (!e) return jet_status_oom("jet_executable");
  e->client = c;
  e->key = *key;
  e->id = dup_str(r->executable_id);
  e->n_outputs = r->n_output_types;
  e->output_types = calloc(r->n_output_types ? r->n_output_types : 1, sizeof *e->output_types);
  if (!e->id || !e->output_types) {
    jet__exe_free(e);
    return jet_status_oom("jet_executable");
  }
  for (size_t i = 0; i < r->n_output_types; i++) {
    char field[64];
    snprintf(field, sizeof field, "CompileResponse.output_types[%zu]", i);
    jet_status st = jet_type_from_proto(r->output_types[i], field, &e->output_types[i]);
    if (st) {
      jet__exe_free(e);
      return st;
    }
  }
  *out = e;
  return NULL;
}

jet_status jet_compile_ex(jet_client *c, const jet_graph *g, const jet_transform *tf, size_t n_tf,
                          const jet_compile_options *opts, jet_executable **out,
                          jet_compile_info *info) {
  if (info) memset(info, 0, sizeof *info);
  if (!c || !g || !out) return jet_status_make(JET_INVALID_ARGUMENT, "jet_compile: NULL argument");
  *out = NULL;
  jet_compile_options dflt;
  memset(&dflt, 0, sizeof dflt);
  if (!opts) opts = &dflt;
  if ((n_tf && !tf) || (opts->n_arg_types && !opts->arg_types) || n_tf > UINT32_MAX ||
      opts->n_arg_types > UINT32_MAX)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_compile: bad transform or arg_types list");
  if (g->n_outputs == 0)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "jet_compile: graph '%s' has no outputs (call jet_builder_return)",
                           g->name);

  jet_hash key = jet_graph_hash(g, tf, (uint32_t)n_tf, opts->arg_types,
                                (uint32_t)opts->n_arg_types);
  if (!opts->bypass_cache && !opts->return_text) {
    jet_executable *hit = jet__exe_cache_find(c, &key);
    if (hit) {
      if (info) info->client_cache_hit = true;
      *out = hit;
      return NULL;
    }
  }

  jet_arena *arena = jet_arena_create(16384);
  if (!arena) return jet_status_oom("Compile request");
  Jet__V1__CompileRequest req = JET__V1__COMPILE_REQUEST__INIT;
  jet_status st = jet_graph_to_proto(g, arena, &req.graph);
  if (!st && n_tf) {
    req.n_transforms = n_tf;
    req.transforms = jet_arena_calloc(arena, n_tf, sizeof *req.transforms);
    Jet__V1__Transform *tfs = jet_arena_calloc(arena, n_tf, sizeof *tfs);
    if (!req.transforms || !tfs) st = jet_status_oom("Compile transforms");
    for (size_t i = 0; !st && i < n_tf; i++) {
      jet__v1__transform__init(&tfs[i]);
      st = jet_transform_to_proto(&tf[i], arena, &tfs[i]);
      req.transforms[i] = &tfs[i];
    }
  }
  if (!st && opts->n_arg_types) {
    req.n_arg_types = opts->n_arg_types;
    req.arg_types = jet_arena_calloc(arena, opts->n_arg_types, sizeof *req.arg_types);
    Jet__V1__TensorType *ts = jet_arena_calloc(arena, opts->n_arg_types, sizeof *ts);
    if (!req.arg_types || !ts) st = jet_status_oom("Compile arg_types");
    for (size_t i = 0; !st && i < opts->n_arg_types; i++) {
      jet__v1__tensor_type__init(&ts[i]);
      st = jet_type_to_proto(&opts->arg_types[i], arena, &ts[i]);
      req.arg_types[i] = &ts[i];
    }
  }
  req.return_text = opts->return_text;
  ProtobufCMessage *m = NULL;
  if (!st)
    st = jet__rpc_unary(c, JET__M_COMPILE, true, &req.base, &jet__v1__compile_response__descriptor,
                        arena, &m);
  if (!st) {
    const Jet__V1__CompileResponse *r = (const Jet__V1__CompileResponse *)m;
    jet_executable *e = NULL;
    st = exe_from_response(c, &key, r, &e);
    if (!st) {
      if (info) {
        info->server_cache_hit = r->cache_hit;
        snprintf(info->source, sizeof info->source, "%s", r->source ? r->source : "");
        info->compile_us = r->compile_us;
        info->arena_bytes = r->arena_bytes;
        info->intermediate_bytes = r->intermediate_bytes;
        info->steps = r->steps;
        info->fused_steps = r->fused_steps;
        if (opts->return_text) {
          info->text = dup_str(r->text ? r->text : "");
          if (!info->text) st = jet_status_oom("compiled text");
        }
      }
      *out = jet__exe_cache_insert(c, e);
    }
  }
  jet_arena_destroy(arena);
  if (st) {
    *out = NULL;
    if (info) jet_compile_info_clear(info);
  }
  return st;
}

jet_status jet_compile_graph(jet_client *c, const jet_graph *g, const jet_transform *tf,
                             size_t n_tf, jet_executable **out) {
  return jet_compile_ex(c, g, tf, n_tf, NULL, out, NULL);
}

jet_status jet_compile(jet_client *c, jet_builder *b, const jet_transform *tf, size_t n_tf,
                       jet_executable **out) {
  if (out) *out = NULL;
  if (!b) return jet_status_make(JET_INVALID_ARGUMENT, "jet_compile: builder is NULL");
  if (b->err) return jet_builder_status(b);
  return jet_compile_ex(c, b->g, tf, n_tf, NULL, out, NULL);
}

/* ---------------------------------------------------------------------- */
/* Execute */

void jet_result_clear(jet_result *r) {
  if (!r) return;
  jet_bigbuf_free(r->data);
  r->data = NULL;
  r->nbytes = 0;
}

void jet_results_clear(jet_result *r, size_t n) {
  for (size_t i = 0; r && i < n; i++) jet_result_clear(&r[i]);
}

static void results_reset(jet_result *results, size_t n) {
  for (size_t i = 0; i < n; i++) {
    results[i].data = NULL;
    results[i].nbytes = 0;
    results[i].array = NULL;
  }
}

static void results_undo(jet_result *results, size_t n) {
  for (size_t i = 0; i < n; i++) {
    jet_bigbuf_free(results[i].data);
    jet_array_release(results[i].array);
  }
  results_reset(results, n);
}

static jet_status build_args(const jet_executable *e, const jet_arg *args, size_t n_args,
                             jet_arena *arena, Jet__V1__ExecuteRequest *req) {
  if (n_args == 0) return NULL;
  req->n_args = n_args;
  req->args = jet_arena_calloc(arena, n_args, sizeof *req->args);
  Jet__V1__Argument *as = jet_arena_calloc(arena, n_args, sizeof *as);
  if (!req->args || !as) return jet_status_oom("Execute arguments");
  for (size_t i = 0; i < n_args; i++) {
    jet__v1__argument__init(&as[i]);
    req->args[i] = &as[i];
    if (args[i].kind == JET_ARG_ARRAY) {
      const jet_array *a = args[i].array;
      if (!a)
        return jet_status_make(JET_INVALID_ARGUMENT, "jet_execute: argument %zu: array is NULL", i);
      if (a->client != e->client)
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "jet_execute: argument %zu: array %s belongs to another client", i,
                               a->id);
      Jet__V1__ArrayHandle *h = jet_arena_alloc(arena, sizeof *h);
      if (!h) return jet_status_oom("Execute argument handle");
      jet__v1__array_handle__init(h);
      h->id = a->id;
      as[i].value_case = JET__V1__ARGUMENT__VALUE_HANDLE;
      as[i].handle = h;
      if (args[i].donate) {
        if (!req->donate) {
          req->donate = jet_arena_calloc(arena, n_args, sizeof *req->donate);
          if (!req->donate) return jet_status_oom("Execute donate");
        }
        req->donate[req->n_donate++] = (uint32_t)i;
      }
    } else if (args[i].kind == JET_ARG_INLINE) {
      if (args[i].donate)
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "jet_execute: argument %zu: only arrays (not inline data) can be "
                               "donated",
                               i);
      char what[48];
      snprintf(what, sizeof what, "jet_execute: argument %zu", i);
      JET_RETURN_IF_ERROR(jet_type_check(&args[i].type, what));
      if (jet_type_nbytes(&args[i].type) && !args[i].data)
        return jet_status_make(JET_INVALID_ARGUMENT, "jet_execute: argument %zu: data is NULL", i);
      Jet__V1__Array *arr = jet_arena_alloc(arena, sizeof *arr);
      if (!arr) return jet_status_oom("Execute inline argument");
      jet__v1__array__init(arr);
      JET_RETURN_IF_ERROR(jet_array_to_proto(&args[i].type, args[i].data, arena, arr));
      as[i].value_case = JET__V1__ARGUMENT__VALUE_INLINE;
      as[i].inline_ = arr;
    } else {
      return jet_status_make(JET_INVALID_ARGUMENT, "jet_execute: argument %zu: bad kind %d", i,
                             (int)args[i].kind);
    }
  }
  return NULL;
}

static jet_status take_outputs(jet_executable *e, const Jet__V1__ExecuteResponse *r,
                               jet_result *results, size_t n_results) {
  if (r->n_outputs != n_results)
    return jet_status_make(JET_INTERNAL, "Execute: the server returned %zu outputs, expected %zu",
                           r->n_outputs, n_results);
  for (size_t i = 0; i < n_results; i++) {
    const Jet__V1__Result *o = r->outputs[i];
    char field[64];
    snprintf(field, sizeof field, "ExecuteResponse.outputs[%zu].type", i);
    if (!o->type) return jet_status_make(JET_INTERNAL, "%s is missing", field);
    JET_RETURN_IF_ERROR(jet_type_from_proto(o->type, field, &results[i].type));
    if (o->value_case == JET__V1__RESULT__VALUE_HANDLE && o->handle && o->handle->id) {
      results[i].array = jet__array_new(e->client, o->handle->id, &results[i].type);
      if (!results[i].array) return jet_status_oom("result array");
      JET_RETURN_IF_ERROR(jet__array_set_placement(results[i].array, o->placement));
    } else if (o->value_case == JET__V1__RESULT__VALUE_INLINE && o->inline_) {
      jet_type t;
      const void *data = NULL;
      snprintf(field, sizeof field, "ExecuteResponse.outputs[%zu].inline", i);
      JET_RETURN_IF_ERROR(jet_array_from_proto(o->inline_, field, &t, &data));
      size_t nb = jet_type_nbytes(&t);
      results[i].type = t;
      results[i].data = jet_bigbuf_alloc(nb);
      if (!results[i].data) return jet_status_oom("result data");
      if (nb) memcpy(results[i].data, data, nb);
      results[i].nbytes = nb;
    } else {
      return jet_status_make(JET_INTERNAL, "Execute: output %zu has neither handle nor data", i);
    }
  }
  return NULL;
}

jet_status jet_execute(jet_executable *e, const jet_arg *args, size_t n_args, jet_result *results,
                       size_t n_results) {
  if (!e) return jet_status_make(JET_INVALID_ARGUMENT, "jet_execute: executable is NULL");
  if ((n_args && !args) || (n_results && !results))
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_execute: NULL argument list");
  results_reset(results, n_results);
  if (n_results != e->n_outputs)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "jet_execute: %zu results given but the executable has %zu outputs",
                           n_results, e->n_outputs);
  jet_arena *arena = jet_arena_create(4096);
  if (!arena) return jet_status_oom("Execute request");
  Jet__V1__ExecuteRequest req = JET__V1__EXECUTE_REQUEST__INIT;
  req.executable_id = e->id;
  jet_status st = build_args(e, args, n_args, arena, &req);
  bool any_keep = false, all_same = true;
  for (size_t i = 0; i < n_results; i++) {
    any_keep |= results[i].keep_on_server;
    if (results[i].keep_on_server != results[0].keep_on_server) all_same = false;
  }
  if (!st && any_keep) {
    size_t nk = all_same ? 1 : n_results;
    protobuf_c_boolean *keep = jet_arena_calloc(arena, nk, sizeof *keep);
    if (!keep) {
      st = jet_status_oom("Execute keep_on_server");
    } else {
      for (size_t i = 0; i < nk; i++) keep[i] = results[i].keep_on_server;
      req.n_keep_on_server = nk;
      req.keep_on_server = keep;
    }
  }
  ProtobufCMessage *m = NULL;
  if (!st)
    st = jet__rpc_unary(e->client, JET__M_EXECUTE, true, &req.base,
                        &jet__v1__execute_response__descriptor, arena, &m);
  if (!st) st = take_outputs(e, (const Jet__V1__ExecuteResponse *)m, results, n_results);
  if (!st)
    for (size_t i = 0; i < n_args; i++)
      if (args[i].kind == JET_ARG_ARRAY && args[i].donate) ((jet_array *)args[i].array)->donated = true;
  jet_arena_destroy(arena);
  if (st) results_undo(results, n_results);
  return st;
}

jet_status jet_execute_inline(jet_executable *e, const jet_arg *args, size_t n_args,
                              jet_result *results, size_t n_results) {
  for (size_t i = 0; results && i < n_results; i++) results[i].keep_on_server = false;
  return jet_execute(e, args, n_args, results, n_results);
}
