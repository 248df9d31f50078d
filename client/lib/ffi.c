/* Text-based helpers for foreign-function callers (the Python client uses
 * them through ctypes): every struct of the public API is replaced by plain
 * integers, int64 dims arrays, handles and text, so a caller never mirrors a
 * C struct layout. Attributes and transforms are given in the text form's
 * syntax (shared/src/text/README.md) and parsed by the shared parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builder_internal.h"
#include "jet/arena.h"
#include "jet/jet.h"
#include "jet/text.h"

void jet_ffi_free(void *p) { free(p); }

jet_status jet_ffi_client_open(const char *address, const char *client_name, int64_t timeout_ms,
                               int64_t connect_timeout_ms, jet_client **out) {
  jet_client_options o;
  memset(&o, 0, sizeof o);
  o.address = address;
  o.client_name = client_name;
  o.timeout_ms = timeout_ms;
  o.connect_timeout_ms = connect_timeout_ms;
  return jet_client_open(&o, out);
}

jet_status jet_ffi_client_open_ex(const char *address, const char *client_name, int64_t timeout_ms,
                                  int64_t connect_timeout_ms, const char *token,
                                  const char *tls_ca_file, const char *tls_cert_file,
                                  const char *tls_key_file, jet_client **out) {
  jet_client_options o;
  memset(&o, 0, sizeof o);
  o.address = address;
  o.client_name = client_name;
  o.timeout_ms = timeout_ms;
  o.connect_timeout_ms = connect_timeout_ms;
  o.token = token;
  o.tls_ca_file = tls_ca_file;
  o.tls_cert_file = tls_cert_file;
  o.tls_key_file = tls_key_file;
  return jet_client_open(&o, out);
}

jet_status jet_ffi_devices_text(jet_client *c, char **out) {
  if (!c || !out) return jet_status_make(JET_INVALID_ARGUMENT, "jet_ffi_devices_text: NULL argument");
  *out = NULL;
  jet_device_info *d = NULL;
  size_t n = 0;
  JET_RETURN_IF_ERROR(jet_client_devices(c, &d, &n));
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  for (size_t i = 0; i < n; i++)
    jet_strbuf_printf(&sb, "%u %s %llu %llu %u\n", (unsigned)d[i].id, d[i].kind,
                      (unsigned long long)d[i].memory_limit_bytes,
                      (unsigned long long)d[i].memory_in_use_bytes, (unsigned)d[i].live_arrays);
  jet_device_info_free(d);
  jet_status st = jet_strbuf_status(&sb);
  if (st) {
    jet_strbuf_free(&sb);
    return st;
  }
  *out = jet_strbuf_take(&sb);
  if (*out == NULL) return jet_status_oom("jet_ffi_devices_text");
  return NULL;
}

/* Builds a type from FFI integers, checked. */
static jet_status make_type(int32_t dtype, int32_t rank, const int64_t *dims, const char *what,
                            jet_type *t) {
  if (rank < 0 || rank > JET_MAX_RANK)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: rank %d is out of range [0, %d]", what,
                           (int)rank, JET_MAX_RANK);
  if (rank > 0 && dims == NULL)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: dims is NULL", what);
  *t = jet_type_make((jet_dtype)dtype, rank, dims);
  return jet_type_check(t, what);
}

static int32_t type_out(const jet_type *t, int32_t *dtype, int64_t *dims) {
  if (!t) return -1;
  if (dtype) *dtype = (int32_t)t->dtype;
  if (dims)
    for (int32_t i = 0; i < t->rank; i++) dims[i] = t->dims[i];
  return t->rank;
}

jet_status jet_ffi_array_put(jet_client *c, int32_t dtype, int32_t rank, const int64_t *dims,
                             const void *data, size_t nbytes, jet_array **out) {
  return jet_ffi_array_put_placed(c, dtype, rank, dims, data, nbytes, NULL, 0, out);
}

jet_status jet_ffi_array_put_placed(jet_client *c, int32_t dtype, int32_t rank,
                                    const int64_t *dims, const void *data, size_t nbytes,
                                    const uint32_t *devices, size_t n_devices, jet_array **out) {
  if (!c || !out) return jet_status_make(JET_INVALID_ARGUMENT, "jet_ffi_array_put: NULL argument");
  jet_type t;
  JET_RETURN_IF_ERROR(make_type(dtype, rank, dims, "jet_ffi_array_put", &t));
  size_t want = jet_type_nbytes(&t);
  if (nbytes != want)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "jet_ffi_array_put: %zu bytes given, the type needs %zu", nbytes, want);
  if (want > 0 && data == NULL)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_ffi_array_put: data is NULL");
  if (n_devices > 1) return jet_array_put_sharded(c, &t, data, devices, n_devices, out);
  return jet_array_put_device(c, &t, data, n_devices ? devices[0] : 0, out);
}

int32_t jet_ffi_array_type(const jet_array *a, int32_t *dtype, int64_t *dims) {
  return a ? type_out(jet_array_type(a), dtype, dims) : -1;
}

int32_t jet_ffi_value_type(const jet_builder *b, jet_value v, int32_t *dtype, int64_t *dims) {
  return type_out(jet_builder_value_type(b, v), dtype, dims);
}

int32_t jet_ffi_output_type(const jet_executable *e, size_t i, int32_t *dtype, int64_t *dims) {
  return e ? type_out(jet_executable_output_type(e, i), dtype, dims) : -1;
}

jet_value jet_ffi_param(jet_builder *b, int32_t dtype, int32_t rank, const int64_t *dims) {
  if (!jet__builder_ok(b, "jet_ffi_param", NULL, 0)) return JET_NO_VALUE;
  jet_type t;
  jet_status st = make_type(dtype, rank, dims, "parameter type", &t);
  if (st) {
    jet__builder_fail(b, "jet_ffi_param", st);
    return JET_NO_VALUE;
  }
  return jet_builder_param(b, &t);
}

jet_value jet_ffi_constant(jet_builder *b, int32_t dtype, int32_t rank, const int64_t *dims,
                           const void *data, size_t nbytes) {
  if (!jet__builder_ok(b, "jet_ffi_constant", NULL, 0)) return JET_NO_VALUE;
  jet_type t;
  jet_status st = make_type(dtype, rank, dims, "constant type", &t);
  if (!st && nbytes != jet_type_nbytes(&t))
    st = jet_status_make(JET_INVALID_ARGUMENT, "%zu bytes given, the type needs %zu", nbytes,
                         jet_type_nbytes(&t));
  if (!st && nbytes > 0 && data == NULL)
    st = jet_status_make(JET_INVALID_ARGUMENT, "data is NULL");
  if (st) {
    jet__builder_fail(b, "jet_ffi_constant", st);
    return JET_NO_VALUE;
  }
  return jet_constant(b, &t, data);
}

jet_value jet_builder_op_text(jet_builder *b, const char *op_name, const jet_value *args, size_t n,
                              const char *attrs_text) {
  static const char fn[] = "jet_builder_op_text";
  if (!jet__builder_ok(b, fn, args, n)) return JET_NO_VALUE;
  if (!op_name) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "op name is NULL"));
    return JET_NO_VALUE;
  }
  jet_op op = jet_op_from_name(op_name, strlen(op_name));
  if (op == JET_OP_COUNT) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "unknown op '%s'", op_name));
    return JET_NO_VALUE;
  }
  if (op == JET_OP_CALL) {
    jet__builder_fail(b, fn,
                      jet_status_make(JET_INVALID_ARGUMENT, "op 'call' needs a callee: use jet_call_text"));
    return JET_NO_VALUE;
  }
  if (jet_op_takes_subgraphs(op)) {
    jet__builder_fail(b, fn,
                      jet_status_make(JET_INVALID_ARGUMENT,
                                      "op '%s' needs sub-graphs: use jet_cond, jet_while or jet_scan",
                                      op_name));
    return JET_NO_VALUE;
  }
  jet_arena *arena = jet_arena_create(1024);
  if (!arena) {
    jet__builder_fail(b, fn, jet_status_oom("attributes"));
    return JET_NO_VALUE;
  }
  jet_attr *attrs = NULL;
  uint32_t n_attrs = 0;
  const char *text = attrs_text ? attrs_text : "";
  jet_status st = jet_attrs_parse(op, text, strlen(text), arena, &attrs, &n_attrs);
  jet_value r = JET_NO_VALUE;
  if (st)
    jet__builder_fail(b, fn, jet_status_annotate(st, "op '%s': ", op_name));
  else
    r = jet__builder_node(b, fn, op, args, n, attrs, n_attrs, NULL, NULL, 0);
  jet_arena_destroy(arena);
  return r;
}

jet_value jet_call_text(jet_builder *b, jet_builder *callee, const jet_value *args, size_t n,
                        const char *transforms_text, jet_value *outs, size_t outs_cap) {
  static const char fn[] = "jet_call_text";
  if (!jet__builder_ok(b, fn, args, n)) return JET_NO_VALUE;
  jet_arena *arena = jet_arena_create(1024);
  if (!arena) {
    jet__builder_fail(b, fn, jet_status_oom("transforms"));
    return JET_NO_VALUE;
  }
  jet_transform *tf = NULL;
  uint32_t n_tf = 0;
  const char *text = transforms_text ? transforms_text : "";
  jet_status st = jet_transforms_parse(text, strlen(text), arena, &tf, &n_tf);
  jet_value r = JET_NO_VALUE;
  if (st)
    jet__builder_fail(b, fn, jet_status_annotate(st, "transforms: "));
  else
    r = jet_call(b, callee, args, n, tf, n_tf, outs, outs_cap);
  jet_arena_destroy(arena);
  return r;
}

jet_status jet_ffi_graph_text(jet_builder *b, char **out) {
  if (!b || !out) return jet_status_make(JET_INVALID_ARGUMENT, "jet_ffi_graph_text: NULL argument");
  *out = NULL;
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_graph_print(jet_builder_graph(b), &sb);
  if (!st) st = jet_strbuf_status(&sb);
  if (st) {
    jet_strbuf_free(&sb);
    return st;
  }
  *out = jet_strbuf_take(&sb);
  return *out ? NULL : jet_status_oom("jet_ffi_graph_text");
}

/* Parses transforms_text and the flat argument types into arena memory. */
static jet_status prepare(jet_arena *arena, const char *transforms_text, const int32_t *arg_dtypes,
                          const int32_t *arg_ranks, const int64_t *arg_dims, size_t n_args,
                          jet_transform **tf, uint32_t *n_tf, jet_type **types) {
  const char *text = transforms_text ? transforms_text : "";
  JET_RETURN_IF_ERROR(
      jet_status_annotate(jet_transforms_parse(text, strlen(text), arena, tf, n_tf), "transforms: "));
  *types = NULL;
  if (n_args == 0) return NULL;
  if (!arg_dtypes || !arg_ranks)
    return jet_status_make(JET_INVALID_ARGUMENT, "argument types: NULL dtypes or ranks");
  jet_type *t = jet_arena_calloc(arena, n_args, sizeof *t);
  if (!t) return jet_status_oom("argument types");
  size_t off = 0;
  for (size_t i = 0; i < n_args; i++) {
    char what[48];
    snprintf(what, sizeof what, "argument type %zu", i);
    JET_RETURN_IF_ERROR(make_type(arg_dtypes[i], arg_ranks[i],
                                  arg_dims ? arg_dims + off : NULL, what, &t[i]));
    off += (size_t)arg_ranks[i];
  }
  *types = t;
  return NULL;
}

jet_status jet_ffi_compile(jet_client *c, jet_builder *b, const char *transforms_text,
                           const int32_t *arg_dtypes, const int32_t *arg_ranks,
                           const int64_t *arg_dims, size_t n_args, jet_executable **out) {
  if (!c || !b || !out) return jet_status_make(JET_INVALID_ARGUMENT, "jet_ffi_compile: NULL argument");
  JET_RETURN_IF_ERROR(jet_builder_status(b));
  jet_arena *arena = jet_arena_create(1024);
  if (!arena) return jet_status_oom("jet_ffi_compile");
  jet_transform *tf = NULL;
  uint32_t n_tf = 0;
  jet_type *types = NULL;
  jet_status st = prepare(arena, transforms_text, arg_dtypes, arg_ranks, arg_dims, n_args, &tf,
                          &n_tf, &types);
  if (!st) {
    jet_compile_options o;
    memset(&o, 0, sizeof o);
    o.arg_types = types;
    o.n_arg_types = n_args;
    st = jet_compile_ex(c, jet_builder_graph(b), tf, n_tf, &o, out, NULL);
  }
  jet_arena_destroy(arena);
  return st;
}

jet_status jet_ffi_transform_text(jet_client *c, jet_builder *b, const char *transforms_text,
                                  char **text) {
  if (!c || !b || !text)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_ffi_transform_text: NULL argument");
  *text = NULL;
  JET_RETURN_IF_ERROR(jet_builder_status(b));
  jet_arena *arena = jet_arena_create(1024);
  if (!arena) return jet_status_oom("jet_ffi_transform_text");
  jet_transform *tf = NULL;
  uint32_t n_tf = 0;
  jet_type *types = NULL;
  jet_status st = prepare(arena, transforms_text, NULL, NULL, NULL, 0, &tf, &n_tf, &types);
  if (!st) st = jet_transform_graph(c, jet_builder_graph(b), tf, n_tf, false, NULL, text);
  jet_arena_destroy(arena);
  return st;
}

jet_status jet_ffi_execute(jet_executable *e, jet_array *const *args, size_t n_args,
                           jet_array **outs, size_t n_outs) {
  return jet_ffi_execute_donate(e, args, n_args, NULL, outs, n_outs);
}

jet_status jet_ffi_execute_donate(jet_executable *e, jet_array *const *args, size_t n_args,
                                  const uint8_t *donate, jet_array **outs, size_t n_outs) {
  if (!e || (n_args && !args) || (n_outs && !outs))
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_ffi_execute: NULL argument");
  jet_arg *a = n_args ? calloc(n_args, sizeof *a) : NULL;
  jet_result *r = n_outs ? calloc(n_outs, sizeof *r) : NULL;
  if ((n_args && !a) || (n_outs && !r)) {
    free(a);
    free(r);
    return jet_status_oom("jet_ffi_execute");
  }
  for (size_t i = 0; i < n_args; i++) {
    a[i] = jet_arg_of_array(args[i]);
    a[i].donate = donate && donate[i];
  }
  for (size_t i = 0; i < n_outs; i++) r[i].keep_on_server = true;
  jet_status st = jet_execute(e, a, n_args, r, n_outs);
  for (size_t i = 0; i < n_outs; i++) outs[i] = st ? NULL : r[i].array;
  free(a);
  free(r);
  return st;
}

/* ========================================================================
 * Structured control flow for FFI callers (issue 7; the Python client's
 * lax.cond / switch / while_loop / fori_loop / scan). The sub-graphs are
 * finished builders (jet_builder_return done); their graphs are copied into
 * b's graph by jet_cond_graphs / jet_while_graphs / jet_scan_graphs, so the
 * caller may destroy them afterwards. Errors are recorded in b like any
 * op's (a sub-builder's own error is recorded annotated with its role).
 * Each returns the node's first result id (JET_NO_VALUE on error or when
 * the node has no results); jet_builder_num_results gives the count.
 * (Declared in jet.h.)
 * ======================================================================== */

/* The finished graph of sub-builder src (role what, index k), or NULL after
 * recording why in b. */
static const jet_graph *ffi_sub_graph(jet_builder *b, const char *fn, jet_builder *src,
                                      const char *what, size_t k) {
  if (!src) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "%s %zu is NULL", what, k));
    return NULL;
  }
  if (src->err) {
    jet__builder_fail(b, fn, jet_status_annotate(jet_builder_status(src), "%s %zu: ", what, k));
    return NULL;
  }
  return src->g;
}

jet_value jet_ffi_cond(jet_builder *b, jet_value pred, jet_builder *const *branches,
                       size_t n_branches, const jet_value *args, size_t n) {
  static const char fn[] = "jet_ffi_cond";
  if (!jet__builder_ok(b, fn, args, n)) return JET_NO_VALUE;
  if (!branches || n_branches == 0) {
    jet__builder_fail(b, fn, jet_status_make(JET_INVALID_ARGUMENT, "cond needs branches"));
    return JET_NO_VALUE;
  }
  const jet_graph **gs = calloc(n_branches, sizeof *gs);
  if (!gs) {
    jet__builder_fail(b, fn, jet_status_oom("cond branches"));
    return JET_NO_VALUE;
  }
  jet_value first = JET_NO_VALUE;
  size_t k = 0;
  for (; k < n_branches; k++)
    if (!(gs[k] = ffi_sub_graph(b, fn, branches[k], "branch", k))) break;
  if (k == n_branches) first = jet_cond_graphs(b, pred, gs, n_branches, args, n, NULL, 0);
  free(gs);
  return first;
}

jet_value jet_ffi_while(jet_builder *b, jet_builder *cond, jet_builder *body,
                        const jet_value *consts, size_t n_consts, const jet_value *init,
                        size_t n_init) {
  static const char fn[] = "jet_ffi_while";
  if (!jet__builder_ok(b, fn, consts, n_consts) || !jet__builder_ok(b, fn, init, n_init))
    return JET_NO_VALUE;
  const jet_graph *c = ffi_sub_graph(b, fn, cond, "cond graph", 0);
  const jet_graph *g = c ? ffi_sub_graph(b, fn, body, "body graph", 1) : NULL;
  if (!g) return JET_NO_VALUE;
  return jet_while_graphs(b, c, g, consts, n_consts, init, n_init, NULL, 0);
}

jet_value jet_ffi_scan(jet_builder *b, jet_builder *body, const jet_value *consts, size_t n_consts,
                       const jet_value *init, size_t n_init, const jet_value *xs, size_t n_xs,
                       int64_t length, int32_t reverse) {
  static const char fn[] = "jet_ffi_scan";
  if (!jet__builder_ok(b, fn, consts, n_consts) || !jet__builder_ok(b, fn, init, n_init) ||
      !jet__builder_ok(b, fn, xs, n_xs))
    return JET_NO_VALUE;
  const jet_graph *g = ffi_sub_graph(b, fn, body, "body graph", 0);
  if (!g) return JET_NO_VALUE;
  return jet_scan_graphs(b, g, consts, n_consts, init, n_init, xs, n_xs, length, reverse != 0,
                         NULL, 0);
}
