/* The method table, generated from the protobuf-c service descriptors: every
 * method of jet.v1.Jet and grpc.health.v1.Health that has a handler below is
 * registered under "/<service>/<Method>". Paths without a handler are
 * answered UNIMPLEMENTED like any unknown path. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "jet/v1/jet.pb-c.h"
#include "wire/call.h"

/* rpc_health.c (declared there too: call.h belongs to the wire owner). */

typedef struct handler {
  const char *service, *method;
  jet_method_kind kind;
  bool read_payload;
  jet_unary_fn unary;
  jet_stream_fn stream;
} handler;

static const handler handlers[] = {
    {"jet.v1.Jet", "GetDevices", JET_METHOD_LOOP, true, jet__rpc_get_devices, NULL},
    {"jet.v1.Jet", "OpenSession", JET_METHOD_STREAM, true, NULL, jet__rpc_open_session},
    {"jet.v1.Jet", "PutArray", JET_METHOD_STREAM, false, NULL, jet__rpc_put_array},
    {"jet.v1.Jet", "GetArray", JET_METHOD_STREAM, true, NULL, jet__rpc_get_array},
    {"jet.v1.Jet", "DeleteArray", JET_METHOD_LOOP, true, jet__rpc_delete_array, NULL},
    {"jet.v1.Jet", "Compile", JET_METHOD_POOL, true, jet__rpc_compile, NULL},
    {"jet.v1.Jet", "Execute", JET_METHOD_POOL, true, jet__rpc_execute, NULL},
    {"jet.v1.Jet", "TransformGraph", JET_METHOD_POOL, true, jet__rpc_transform_graph, NULL},
    {"jet.v1.Jet", "GetStats", JET_METHOD_LOOP, true, jet__rpc_get_stats, NULL},
    {"grpc.health.v1.Health", "Check", JET_METHOD_LOOP, true, jet__rpc_health_check, NULL},
    {"grpc.health.v1.Health", "Watch", JET_METHOD_STREAM, true, NULL, jet__rpc_health_watch},
};

static const handler *find_handler(const char *service, const char *method) {
  for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
    if (strcmp(handlers[i].service, service) == 0 && strcmp(handlers[i].method, method) == 0)
      return &handlers[i];
  return NULL;
}

jet_status jet__methods_build(jet_method_table *t) {
  const ProtobufCServiceDescriptor *services[] = {&jet__v1__jet__descriptor,
                                                  &grpc__health__v1__health__descriptor};
  uint32_t total = 0;
  for (size_t s = 0; s < 2; s++) total += services[s]->n_methods;
  t->m = calloc(total, sizeof(jet_method));
  t->n = 0;
  if (!t->m) return jet_status_oom("method table");
  for (size_t s = 0; s < 2; s++) {
    const ProtobufCServiceDescriptor *sd = services[s];
    for (unsigned i = 0; i < sd->n_methods; i++) {
      const ProtobufCMethodDescriptor *md = &sd->methods[i];
      const handler *h = find_handler(sd->name, md->name);
      if (!h) continue;
      jet_method *m = &t->m[t->n++];
      snprintf(m->path, sizeof(m->path), "/%s/%s", sd->name, md->name);
      m->name = md->name;
      m->input = md->input;
      m->output = md->output;
      m->kind = h->kind;
      m->read_payload = h->read_payload;
      m->unary = h->unary;
      m->stream = h->stream;
      atomic_init(&m->calls, 0);
      atomic_init(&m->errors, 0);
    }
  }
  return NULL;
}

void jet__methods_free(jet_method_table *t) {
  free(t->m);
  t->m = NULL;
  t->n = 0;
}
