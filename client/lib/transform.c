/* Transforms in libjet: constructors, the CLI's spec syntax and the
 * TransformGraph RPC (JAX's make_jaxpr on the daemon). */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"
#include "jet/protoconv.h"
#include "jet/text.h"
#include "jet/v1/jet.pb-c.h"

static jet_transform make(jet_transform_kind k, const int32_t *argnums, size_t n, bool has_aux) {
  jet_transform t;
  memset(&t, 0, sizeof t);
  t.kind = k;
  t.argnums = n ? argnums : NULL;
  t.n_argnums = argnums ? (uint32_t)n : 0;
  t.argnums_tuple = t.n_argnums > 1;
  t.has_aux = has_aux;
  t.axis_name = "";
  t.spmd_axis_name = "";
  return t;
}

jet_transform jet_tf_grad(const int32_t *argnums, size_t n, bool has_aux) {
  return make(JET_TF_GRAD, argnums, n, has_aux);
}
jet_transform jet_tf_value_and_grad(const int32_t *argnums, size_t n, bool has_aux) {
  return make(JET_TF_VALUE_AND_GRAD, argnums, n, has_aux);
}
jet_transform jet_tf_jvp(bool has_aux) { return make(JET_TF_JVP, NULL, 0, has_aux); }
jet_transform jet_tf_vjp(bool has_aux) { return make(JET_TF_VJP, NULL, 0, has_aux); }
jet_transform jet_tf_jacfwd(const int32_t *argnums, size_t n, bool has_aux) {
  return make(JET_TF_JACFWD, argnums, n, has_aux);
}
jet_transform jet_tf_jacrev(const int32_t *argnums, size_t n, bool has_aux) {
  return make(JET_TF_JACREV, argnums, n, has_aux);
}
jet_transform jet_tf_hessian(const int32_t *argnums, size_t n, bool has_aux) {
  return make(JET_TF_HESSIAN, argnums, n, has_aux);
}

/* ---------------------------------------------------------------------- */
/* Specs: KIND[:FIELD[=VALUE]]... */

static bool has_argnums(jet_transform_kind k) {
  return k == JET_TF_GRAD || k == JET_TF_VALUE_AND_GRAD || k == JET_TF_JACFWD ||
         k == JET_TF_JACREV || k == JET_TF_HESSIAN;
}

static jet_status parse_bool(const char *spec, const char *v, size_t n, bool *out) {
  if (n == 0 || (n == 4 && memcmp(v, "true", 4) == 0)) {
    *out = true;
    return NULL;
  }
  if (n == 5 && memcmp(v, "false", 5) == 0) {
    *out = false;
    return NULL;
  }
  return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': '%.*s' is not true or false",
                         spec, (int)n, v);
}

static jet_status parse_argnums(const char *spec, const char *v, size_t n, int32_t *buf,
                                size_t cap, jet_transform *t) {
  size_t cnt = 0, i = 0;
  if (n == 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': argnums needs a value", spec);
  while (i < n) {
    size_t j = i;
    while (j < n && v[j] != ',') j++;
    char num[24];
    if (j == i || j - i >= sizeof num)
      return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': bad argnums list '%.*s'",
                             spec, (int)n, v);
    memcpy(num, v + i, j - i);
    num[j - i] = '\0';
    char *end;
    errno = 0;
    long x = strtol(num, &end, 10);
    if (*end != '\0' || errno || x < 0 || x > INT32_MAX)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "transform '%s': argnums entry '%s' is not a non-negative integer",
                             spec, num);
    if (cnt == cap)
      return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': more than %zu argnums", spec,
                             cap);
    buf[cnt++] = (int32_t)x;
    i = j + 1;
    if (j + 1 == n && v[j] == ',')
      return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': bad argnums list '%.*s'",
                             spec, (int)n, v);
  }
  t->argnums = buf;
  t->n_argnums = (uint32_t)cnt;
  t->argnums_tuple = cnt > 1;
  return NULL;
}

jet_status jet_transform_parse_spec(const char *spec, int32_t *argnums_buf, size_t cap,
                                    jet_transform *out) {
  if (!spec || !out)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_transform_parse_spec: NULL argument");
  const char *colon = strchr(spec, ':');
  size_t klen = colon ? (size_t)(colon - spec) : strlen(spec);
  jet_transform_kind k = jet_transform_from_name(spec, klen);
  if (k == 0 || k == JET_TF_VMAP || k == JET_TF_PMAP)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "transform '%s': expected grad, value_and_grad, jvp, vjp, jacfwd, "
                           "jacrev or hessian",
                           spec);
  *out = make(k, NULL, 0, false);
  const char *p = colon ? colon + 1 : NULL;
  while (p) {
    const char *next = strchr(p, ':');
    size_t len = next ? (size_t)(next - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    size_t nlen = eq ? (size_t)(eq - p) : len;
    const char *v = eq ? eq + 1 : p + len;
    size_t vlen = eq ? len - nlen - 1 : 0;
    if (nlen == 7 && memcmp(p, "argnums", 7) == 0 && has_argnums(k)) {
      JET_RETURN_IF_ERROR(parse_argnums(spec, v, vlen, argnums_buf, cap, out));
    } else if (nlen == 7 && memcmp(p, "has_aux", 7) == 0) {
      JET_RETURN_IF_ERROR(parse_bool(spec, v, vlen, &out->has_aux));
    } else if (nlen == 9 && memcmp(p, "allow_int", 9) == 0 && has_argnums(k)) {
      JET_RETURN_IF_ERROR(parse_bool(spec, v, vlen, &out->allow_int));
    } else {
      return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': %s has no field '%.*s'", spec,
                             jet_transform_name(k), (int)nlen, p);
    }
    p = next ? next + 1 : NULL;
  }
  return NULL;
}

/* ---------------------------------------------------------------------- */
/* TransformGraph */

static char *dup_str(const char *s) {
  size_t n = strlen(s);
  char *r = malloc(n + 1);
  if (r) memcpy(r, s, n + 1);
  return r;
}

jet_status jet_transform_graph(jet_client *c, const jet_graph *g, const jet_transform *tf,
                               size_t n, bool skip_cleanup, jet_graph **out, char **text) {
  if (out) *out = NULL;
  if (text) *text = NULL;
  if (!c || !g || (n && !tf) || n > UINT32_MAX)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_transform_graph: bad argument");
  if (g->n_outputs == 0)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "jet_transform_graph: graph '%s' has no outputs (call "
                           "jet_builder_return)",
                           g->name);
  jet_arena *arena = jet_arena_create(16384);
  if (!arena) return jet_status_oom("TransformGraph request");
  Jet__V1__TransformGraphRequest req = JET__V1__TRANSFORM_GRAPH_REQUEST__INIT;
  jet_status st = jet_graph_to_proto(g, arena, &req.graph);
  if (!st && n) {
    req.n_transforms = n;
    req.transforms = jet_arena_calloc(arena, n, sizeof *req.transforms);
    Jet__V1__Transform *tfs = jet_arena_calloc(arena, n, sizeof *tfs);
    if (!req.transforms || !tfs) st = jet_status_oom("TransformGraph transforms");
    for (size_t i = 0; !st && i < n; i++) {
      jet__v1__transform__init(&tfs[i]);
      st = jet_transform_to_proto(&tf[i], arena, &tfs[i]);
      req.transforms[i] = &tfs[i];
    }
  }
  req.skip_cleanup = skip_cleanup;
  ProtobufCMessage *m = NULL;
  if (!st)
    st = jet__rpc_unary(c, JET__M_TRANSFORM_GRAPH, false, &req.base,
                        &jet__v1__transform_graph_response__descriptor, arena, &m);
  jet_graph *res = NULL;
  char *txt = NULL;
  if (!st) {
    const Jet__V1__TransformGraphResponse *r = (const Jet__V1__TransformGraphResponse *)m;
    if (out) {
      if (!r->graph)
        st = jet_status_make(JET_INTERNAL, "TransformGraph: the server's reply has no graph");
      else
        st = jet_status_annotate(jet_graph_from_proto(r->graph, &res),
                                 "TransformGraphResponse.graph: ");
    }
    if (!st && text) {
      txt = dup_str(r->text ? r->text : "");
      if (!txt) st = jet_status_oom("TransformGraph text");
    }
  }
  jet_arena_destroy(arena);
  if (st) {
    jet_graph_destroy(res);
    free(txt);
    return st;
  }
  if (out) *out = res;
  if (text) *text = txt;
  return NULL;
}
