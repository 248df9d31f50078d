/* grpc.health.v1.Health/Check: SERVING for the whole server ("") and for
 * jet.v1.Jet, NOT_SERVING once shutdown began, NOT_FOUND for other services.
 * Watch is not registered and is answered UNIMPLEMENTED. */
#include <string.h>

#include "grpc/health/v1/health.pb-c.h"
#include "wire/call.h"

jet_status jet__rpc_health_check(jet_call *c, jet_arena *a, const ProtobufCMessage *req,
                                 ProtobufCMessage **resp) {
  const Grpc__Health__V1__HealthCheckRequest *q = (const void *)req;
  const char *svc = q->service ? q->service : "";
  if (*svc && strcmp(svc, "jet.v1.Jet") != 0)
    return jet_status_make(JET_NOT_FOUND, "service: unknown service '%.128s'", svc);
  Grpc__Health__V1__HealthCheckResponse *r = jet_arena_alloc(a, sizeof(*r));
  if (!r) return jet_status_oom("health reply");
  grpc__health__v1__health_check_response__init(r);
  r->status = c->w->shutting_down ? GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING
                                  : GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING;
  *resp = &r->base;
  return NULL;
}
