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

jet_transform jet_tf_vmap(const jet_axis_spec *in_axes, size_t n_in, const jet_axis_spec *out_axes,
                          size_t n_out, int64_t axis_size, const char *axis_name) {
  jet_transform t = make(JET_TF_VMAP, NULL, 0, false);
  t.in_axes = in_axes && n_in ? in_axes : NULL;
  t.n_in_axes = t.in_axes ? (uint32_t)n_in : 0;
  t.out_axes = out_axes && n_out ? out_axes : NULL;
  t.n_out_axes = t.out_axes ? (uint32_t)n_out : 0;
  t.axis_size = axis_size;
  t.axis_name = axis_name ? axis_name : "";
  return t;
}

jet_transform jet_tf_pmap(const char *axis_name, const jet_axis_spec *in_axes, size_t n_in,
                          const jet_axis_spec *out_axes, size_t n_out, const uint32_t *devices,
                          size_t n_devices, int64_t axis_size) {
  jet_transform t = jet_tf_vmap(in_axes, n_in, out_axes, n_out, axis_size, axis_name);
  t.kind = JET_TF_PMAP;
  t.devices = devices && n_devices ? devices : NULL;
  t.n_devices = t.devices ? (uint32_t)n_devices : 0;
  return t;
}

/* ---------------------------------------------------------------------- */
/* Specs: KIND[:FIELD[=VALUE]]... (the syntax is documented in jet.h) */

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

/* One integer of [lo, hi] spelled v[0..n). */
static bool parse_int(const char *v, size_t n, int64_t lo, int64_t hi, int64_t *out) {
  char num[24];
  if (n == 0 || n >= sizeof num || !(v[0] == '-' || (v[0] >= '0' && v[0] <= '9'))) return false;
  memcpy(num, v, n);
  num[n] = '\0';
  char *end;
  errno = 0;
  long long x = strtoll(num, &end, 10);
  if (*end != '\0' || errno || x < lo || x > hi) return false;
  *out = x;
  return true;
}

/* A ','-separated list (field `what`): calls entry(i, item) per item. */
typedef jet_status (*entry_fn)(const char *spec, const char *what, size_t i, const char *v,
                               size_t n, void *ctx);

static jet_status parse_list(const char *spec, const char *what, const char *v, size_t n,
                             size_t *count, entry_fn entry, void *ctx) {
  if (n == 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': %s needs a value", spec, what);
  size_t cnt = 0, i = 0;
  for (;;) {
    size_t j = i;
    while (j < n && v[j] != ',') j++;
    if (j == i)
      return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': bad %s list '%.*s'", spec,
                             what, (int)n, v);
    if (cnt == JET_SPEC_MAX_ENTRIES)
      return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': more than %d %s", spec,
                             JET_SPEC_MAX_ENTRIES, what);
    JET_RETURN_IF_ERROR(entry(spec, what, cnt, v + i, j - i, ctx));
    cnt++;
    if (j == n) break;
    i = j + 1;
  }
  *count = cnt;
  return NULL;
}

static jet_status argnum_entry(const char *spec, const char *what, size_t i, const char *v,
                               size_t n, void *ctx) {
  int64_t x;
  if (!parse_int(v, n, 0, INT32_MAX, &x))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "transform '%s': %s entry '%.*s' is not a non-negative integer", spec,
                           what, (int)n, v);
  ((int32_t *)ctx)[i] = (int32_t)x;
  return NULL;
}

static jet_status device_entry(const char *spec, const char *what, size_t i, const char *v,
                               size_t n, void *ctx) {
  int64_t x;
  if (!parse_int(v, n, 0, UINT32_MAX, &x))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "transform '%s': %s entry '%.*s' is not a device id (a non-negative "
                           "integer)",
                           spec, what, (int)n, v);
  ((uint32_t *)ctx)[i] = (uint32_t)x;
  return NULL;
}

static jet_status axis_entry(const char *spec, const char *what, size_t i, const char *v, size_t n,
                             void *ctx) {
  jet_axis_spec *a = (jet_axis_spec *)ctx + i;
  int64_t x;
  if (n == 4 && memcmp(v, "none", 4) == 0) {
    a->mapped = false;
    a->axis = 0;
  } else if (parse_int(v, n, INT32_MIN, INT32_MAX, &x)) {
    a->mapped = true;
    a->axis = (int32_t)x;
  } else {
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "transform '%s': %s entry '%.*s' is neither an integer nor 'none'",
                           spec, what, (int)n, v);
  }
  return NULL;
}

static jet_status parse_name(const char *spec, const char *v, size_t n, char *out) {
  if (n == 0)
    return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': axis_name needs a value", spec);
  if (n >= JET_SPEC_MAX_NAME)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "transform '%s': axis_name is longer than %d characters", spec,
                           JET_SPEC_MAX_NAME - 1);
  for (size_t i = 0; i < n; i++) {
    char ch = v[i];
    bool ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '_';
    if (!ok)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "transform '%s': axis_name '%.*s' may hold only letters, digits "
                             "and '_'",
                             spec, (int)n, v);
  }
  memcpy(out, v, n);
  out[n] = '\0';
  return NULL;
}

enum {
  SF_ARGNUMS = 1u << 0,
  SF_HAS_AUX = 1u << 1,
  SF_ALLOW_INT = 1u << 2,
  SF_IN_AXES = 1u << 3,
  SF_OUT_AXES = 1u << 4,
  SF_AXIS_SIZE = 1u << 5,
  SF_AXIS_NAME = 1u << 6,
  SF_DEVICES = 1u << 7,
  SF_STATIC_ARGNUMS = 1u << 8,
};

static const struct {
  const char *name;
  unsigned bit;
} k_spec_fields[] = {
    {"argnums", SF_ARGNUMS},     {"has_aux", SF_HAS_AUX},     {"allow_int", SF_ALLOW_INT},
    {"in_axes", SF_IN_AXES},     {"out_axes", SF_OUT_AXES},   {"axis_size", SF_AXIS_SIZE},
    {"axis_name", SF_AXIS_NAME}, {"devices", SF_DEVICES},
    {"static_broadcasted_argnums", SF_STATIC_ARGNUMS},
};

static unsigned spec_fields_of(jet_transform_kind k) {
  if (has_argnums(k)) return SF_ARGNUMS | SF_HAS_AUX | SF_ALLOW_INT;
  if (k == JET_TF_JVP || k == JET_TF_VJP) return SF_HAS_AUX;
  if (k == JET_TF_VMAP) return SF_IN_AXES | SF_OUT_AXES | SF_AXIS_SIZE | SF_AXIS_NAME;
  if (k == JET_TF_PMAP)
    return SF_IN_AXES | SF_OUT_AXES | SF_AXIS_SIZE | SF_AXIS_NAME | SF_DEVICES |
           SF_STATIC_ARGNUMS;
  return 0;
}

static jet_status parse_field(const char *spec, unsigned bit, const char *v, size_t n,
                              jet_transform_spec *o) {
  jet_transform *t = &o->tf;
  size_t cnt = 0;
  int64_t x;
  switch (bit) {
    case SF_ARGNUMS:
      JET_RETURN_IF_ERROR(parse_list(spec, "argnums", v, n, &cnt, argnum_entry, o->argnums));
      t->argnums = o->argnums;
      t->n_argnums = (uint32_t)cnt;
      t->argnums_tuple = cnt > 1;
      return NULL;
    case SF_HAS_AUX: return parse_bool(spec, v, n, &t->has_aux);
    case SF_ALLOW_INT: return parse_bool(spec, v, n, &t->allow_int);
    case SF_IN_AXES:
      JET_RETURN_IF_ERROR(parse_list(spec, "in_axes", v, n, &cnt, axis_entry, o->in_axes));
      t->in_axes = o->in_axes;
      t->n_in_axes = (uint32_t)cnt;
      return NULL;
    case SF_OUT_AXES:
      JET_RETURN_IF_ERROR(parse_list(spec, "out_axes", v, n, &cnt, axis_entry, o->out_axes));
      t->out_axes = o->out_axes;
      t->n_out_axes = (uint32_t)cnt;
      return NULL;
    case SF_AXIS_SIZE:
      if (!parse_int(v, n, 0, INT64_MAX, &x))
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "transform '%s': axis_size '%.*s' is not a non-negative integer",
                               spec, (int)n, v);
      t->axis_size = x;
      return NULL;
    case SF_AXIS_NAME:
      JET_RETURN_IF_ERROR(parse_name(spec, v, n, o->axis_name));
      t->axis_name = o->axis_name;
      return NULL;
    case SF_DEVICES:
      JET_RETURN_IF_ERROR(parse_list(spec, "devices", v, n, &cnt, device_entry, o->devices));
      t->devices = o->devices;
      t->n_devices = (uint32_t)cnt;
      return NULL;
    case SF_STATIC_ARGNUMS:
      JET_RETURN_IF_ERROR(parse_list(spec, "static_broadcasted_argnums", v, n, &cnt, argnum_entry,
                                     o->static_argnums));
      t->static_broadcasted_argnums = o->static_argnums;
      t->n_static_argnums = (uint32_t)cnt;
      return NULL;
  }
  return jet_status_make(JET_INTERNAL, "transform '%s': unknown field bit %u", spec, bit);
}

jet_status jet_transform_spec_parse(const char *spec, jet_transform_spec *out) {
  if (!spec || !out)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_transform_spec_parse: NULL argument");
  memset(out, 0, sizeof *out);
  const char *colon = strchr(spec, ':');
  size_t klen = colon ? (size_t)(colon - spec) : strlen(spec);
  jet_transform_kind k = jet_transform_from_name(spec, klen);
  unsigned allowed = spec_fields_of(k);
  if (k == 0)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "transform '%s': expected grad, value_and_grad, jvp, vjp, jacfwd, "
                           "jacrev, hessian, vmap or pmap",
                           spec);
  out->tf = make(k, NULL, 0, false);
  unsigned seen = 0;
  const char *p = colon ? colon + 1 : NULL;
  while (p) {
    const char *next = strchr(p, ':');
    size_t len = next ? (size_t)(next - p) : strlen(p);
    const char *eq = memchr(p, '=', len);
    size_t nlen = eq ? (size_t)(eq - p) : len;
    const char *v = eq ? eq + 1 : p + len;
    size_t vlen = eq ? len - nlen - 1 : 0;
    unsigned bit = 0;
    for (size_t i = 0; i < sizeof k_spec_fields / sizeof k_spec_fields[0]; i++)
      if (strlen(k_spec_fields[i].name) == nlen && memcmp(k_spec_fields[i].name, p, nlen) == 0)
        bit = k_spec_fields[i].bit;
    if (!(bit & allowed))
      return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': %s has no field '%.*s'", spec,
                             jet_transform_name(k), (int)nlen, p);
    if (seen & bit)
      return jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': field '%.*s' given twice",
                             spec, (int)nlen, p);
    seen |= bit;
    JET_RETURN_IF_ERROR(parse_field(spec, bit, v, vlen, out));
    p = next ? next + 1 : NULL;
  }
  return NULL;
}

jet_status jet_transform_parse_spec(const char *spec, int32_t *argnums_buf, size_t cap,
                                    jet_transform *out) {
  if (!spec || !out)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_transform_parse_spec: NULL argument");
  jet_transform_spec *s = malloc(sizeof *s);
  if (!s) return jet_status_oom("transform spec");
  jet_status st = jet_transform_spec_parse(spec, s);
  if (!st && (s->tf.kind == JET_TF_VMAP || s->tf.kind == JET_TF_PMAP))
    st = jet_status_make(JET_INVALID_ARGUMENT,
                         "transform '%s': %s specs need room for their axes: use "
                         "jet_transform_spec_parse",
                         spec, jet_transform_name(s->tf.kind));
  if (!st && s->tf.n_argnums > cap)
    st = jet_status_make(JET_INVALID_ARGUMENT, "transform '%s': more than %zu argnums", spec, cap);
  if (!st) {
    *out = s->tf;
    if (s->tf.n_argnums) {
      memcpy(argnums_buf, s->argnums, s->tf.n_argnums * sizeof *argnums_buf);
      out->argnums = argnums_buf;
    }
  }
  free(s);
  return st;
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
