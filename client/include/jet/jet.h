/* libjet: the C client of jetd.
 *
 * A client connects to a daemon, keeps arrays on it behind handles, builds
 * graphs (SSA programs over arrays, like JAX's jaxprs) with a builder that
 * checks every node at once, compiles them on the daemon (optionally after
 * transforms such as grad or vmap) and executes them on arrays sent inline or
 * kept on the server. An eager layer runs one op at a time, like JAX's
 * op-by-op mode.
 *
 *   jet_client *c;
 *   jet_status st = jet_client_connect(NULL, &c);       // $JET_ADDRESS or 127.0.0.1:7450
 *   float a[3] = {1, 2, 3};
 *   jet_type t = jet_type_make(JET_F32, 1, (int64_t[]){3});
 *   jet_array *x, *y;
 *   st = jet_array_put(c, &t, a, &x);
 *   st = jet_eager_unary(c, JET_OP_SQUARE, x, &y);       // y = square(x), on the server
 *   float out[3];
 *   st = jet_array_get(y, out, sizeof out);              // {1, 4, 9}
 *   jet_array_free(y); jet_array_free(x);
 *   jet_client_close(c);
 *
 * Errors: every function returning jet_status returns NULL on success, or a
 * status the caller owns (free it with jet_status_free). Errors that come from
 * the daemon keep its gRPC code and message unchanged. Functions never print.
 *
 * Thread safety: a jet_client may be shared by any number of threads; every
 * call on it (and on arrays and executables belonging to it) is thread-safe,
 * except that one jet_array must not be freed while another thread uses it.
 * A jet_builder is single-threaded. jet_client_close must be the last call
 * on a client, after every other thread is done with it.
 */
#ifndef JET_JET_H
#define JET_JET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet/dtype.h"
#include "jet/graph.h"
#include "jet/ops.h"
#include "jet/status.h"
#include "jet/strbuf.h"
#include "jet/transform.h"
#include "jet/type.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ========================================================================
 * Clients
 * ======================================================================== */

/* Address used when none is given and $JET_ADDRESS is unset or empty. */
#define JET_CLIENT_DEFAULT_ADDRESS "127.0.0.1:7450"
/* Environment variable naming the daemon address. */
#define JET_ADDRESS_ENV "JET_ADDRESS"
/* Environment variable holding the bearer token (jet_client_options.token). */
#define JET_TOKEN_ENV "JET_TOKEN"
/* Environment fallbacks of the TLS options of jet_client_options. */
#define JET_TLS_CA_ENV "JET_TLS_CA"
#define JET_TLS_CERT_ENV "JET_TLS_CERT"
#define JET_TLS_KEY_ENV "JET_TLS_KEY"

typedef struct jet_client jet_client;

/* Options of jet_client_open. Zero-initialise, then set what you need. */
typedef struct jet_client_options {
  /* "host:port" (any gRPC target). NULL or "" -> $JET_ADDRESS ->
   * JET_CLIENT_DEFAULT_ADDRESS. */
  const char *address;
  /* Free text sent in OpenSessionRequest.client_name; NULL -> "libjet". */
  const char *client_name;
  /* true: open no session (only calls that use inline data, devices,
   * health and stats work; handle calls fail with the server's error). */
  bool no_session;
  /* Deadline of each RPC in milliseconds (see jet_client_set_timeout_ms);
   * 0 = none. */
  int64_t timeout_ms;
  /* How long connecting and opening the session may take; 0 -> 10000. */
  int64_t connect_timeout_ms;
  /* Bearer token sent as "authorization: Bearer <token>" on every call (a
   * jetd with a tokens-file needs one). NULL or "" -> $JET_TOKEN -> none. */
  const char *token;
  /* TLS: PEM file of the CA that signed the server's certificate; setting
   * it (or tls_cert_file) makes the channel TLS. NULL -> $JET_TLS_CA ->
   * plaintext, unless a client certificate is set (then the system's
   * roots). */
  const char *tls_ca_file;
  /* Mutual TLS: this client's certificate chain and private key, PEM
   * (NULL -> $JET_TLS_CERT / $JET_TLS_KEY). */
  const char *tls_cert_file;
  const char *tls_key_file;
} jet_client_options;

/* Connects to a daemon and opens a session (the OpenSession stream stays
 * open for the client's life; its token travels as "jet-session" metadata on
 * every later call). address: NULL or "" -> $JET_ADDRESS -> "127.0.0.1:7450".
 * Fails with UNAVAILABLE (or the server's status) when no daemon answers.
 * On success *out is a new client; destroy it with jet_client_close. */
jet_status jet_client_connect(const char *address, jet_client **out) JET_MUST_USE;

/* Like jet_client_connect with options (opts may be NULL for defaults). */
jet_status jet_client_open(const jet_client_options *opts, jet_client **out) JET_MUST_USE;

/* Cancels the session stream (the daemon then frees every array of the
 * session), frees the client-side executable cache and destroys the
 * channel. Arrays still held by the caller must afterwards be released with
 * jet_array_release (not jet_array_free). NULL is allowed. */
void jet_client_close(jet_client *c);

/* Deadline applied to each later RPC of this client, in milliseconds from its
 * start; 0 = no deadline (the default). An RPC past its deadline fails with
 * DEADLINE_EXCEEDED. Thread-safe. */
void jet_client_set_timeout_ms(jet_client *c, int64_t ms);
int64_t jet_client_timeout_ms(const jet_client *c);

/* The resolved address (borrowed, valid until close). */
const char *jet_client_address(const jet_client *c);
/* The session token ("" when opened with no_session). Borrowed. */
const char *jet_client_session(const jet_client *c);

/* ------------------------------------------------------------------------
 * Devices, health, statistics
 * ------------------------------------------------------------------------ */

typedef struct jet_device_info {
  uint32_t id;
  char kind[32];                /* "cpu"; truncated if longer */
  uint64_t memory_limit_bytes;  /* 0 = unlimited */
  uint64_t memory_in_use_bytes;
  uint32_t live_arrays;
} jet_device_info;

/* GetDevices. *out is a malloc'd array of *n entries (NULL when *n == 0);
 * free it with jet_device_info_free. */
jet_status jet_client_devices(jet_client *c, jet_device_info **out, size_t *n) JET_MUST_USE;
void jet_device_info_free(jet_device_info *devices);

/* /grpc.health.v1.Health/Check for the whole server (service ""). *serving
 * is 1 when the answer is SERVING, 0 for any other answer. An RPC failure
 * (no daemon: UNAVAILABLE) is returned as a status. */
jet_status jet_client_health(jet_client *c, int *serving) JET_MUST_USE;

typedef struct jet_method_stats {
  char *method; /* e.g. "/jet.v1.Jet/Execute"; malloc'd */
  uint64_t calls;
  uint64_t errors;
} jet_method_stats;

/* The fields of GetStatsResponse. */
typedef struct jet_stats {
  uint64_t uptime_ms;
  uint32_t sessions;
  uint64_t live_arrays;
  uint64_t live_bytes;
  uint64_t compile_cache_hits;
  uint64_t compile_cache_misses;
  uint64_t compile_cache_entries;
  uint64_t executions;
  uint64_t in_flight;
  size_t n_methods;
  jet_method_stats *methods; /* malloc'd [n_methods] */
  char *version;             /* malloc'd, never NULL after success */
  /* The compiled-kernel cache (GetStatsResponse.compile_cache_*): hits of
   * the on-disk cache (not counted as misses), evictions from memory, bytes
   * held in memory and their bound (0 = none), entries and bytes on disk,
   * bad disk entries discarded, and the total time spent compiling misses. */
  uint64_t compile_cache_disk_hits;
  uint64_t compile_cache_evictions;
  uint64_t compile_cache_bytes;
  uint64_t compile_cache_capacity_bytes;
  uint64_t compile_cache_disk_entries;
  uint64_t compile_cache_disk_bytes;
  uint64_t compile_cache_disk_discarded;
  uint64_t compile_time_total_us;
  /* How jetd computes: its OpenBLAS core and the instruction set of its
   * fused kernels (malloc'd, never NULL after success) and its compute
   * pool's threads. */
  char *blas_core;
  char *kernel_isa;
  uint32_t compute_threads;
} jet_stats;

/* GetStats. *out is overwritten (not freed first); release it with
 * jet_stats_clear. */
jet_status jet_client_stats(jet_client *c, jet_stats *out) JET_MUST_USE;
/* Frees what jet_client_stats allocated and zeroes *s. NULL is allowed. */
void jet_stats_clear(jet_stats *s);

/* ========================================================================
 * Arrays kept on the server
 * ======================================================================== */

/* An array on the daemon: its handle id, type and owning client. Owned by
 * the caller: free it with jet_array_free (deletes it on the server) or
 * jet_array_release (local only). */
typedef struct jet_array jet_array;

/* Uploads type + data (jet_type_nbytes(type) bytes, little-endian row-major)
 * to device 0 with PutArray, in chunks of JET_CHUNK_BYTES, so arrays of any
 * size move without extra copies. On success *out is the new array. */
jet_status jet_array_put(jet_client *c, const jet_type *type, const void *data,
                         jet_array **out) JET_MUST_USE;
/* Like jet_array_put, onto the given device id (the array is committed to
 * it: an Execute taking it runs there and leaves its outputs there; two
 * arguments committed to different devices are INVALID_ARGUMENT). */
jet_status jet_array_put_device(jet_client *c, const jet_type *type, const void *data,
                                uint32_t device, jet_array **out) JET_MUST_USE;
/* Uploads a sharded array (JAX's device_put_sharded): data is the whole
 * array, split by the server along its leading axis into n equal blocks,
 * block s on devices[s] (distinct; the leading dimension divisible by n;
 * INVALID_ARGUMENT otherwise). Reading it gathers the blocks; a pmap over
 * its leading axis reads each member's part where it is, and its outputs
 * mapped along axis 0 come back sharded the same way. */
jet_status jet_array_put_sharded(jet_client *c, const jet_type *type, const void *data,
                                 const uint32_t *devices, size_t n, jet_array **out) JET_MUST_USE;
/* The array's placement: returns the number of devices (1 = on one device,
 * k > 1 = sharded along the leading axis into k blocks, block s on
 * (*devices)[s]; 0 = not known, e.g. for jet_array_wrap) and sets *devices
 * (borrowed, may be NULL) to them. */
size_t jet_array_devices(const jet_array *arr, const uint32_t **devices);

/* Downloads the array into dst (cap bytes; must be >= jet_type_nbytes of its
 * type, else INVALID_ARGUMENT before any RPC). The server's chunks are checked
 * against the type: DATA_LOSS if their total length differs. */
jet_status jet_array_get(const jet_array *arr, void *dst, size_t cap) JET_MUST_USE;

/* Downloads block `shard` of a sharded array (of type: the array's with the
 * leading dimension divided by the block count) into dst (cap bytes); block
 * 0 of an array on one device is the whole array. INVALID_ARGUMENT for a
 * block that does not exist. */
jet_status jet_array_get_shard(const jet_array *arr, size_t shard, void *dst,
                               size_t cap) JET_MUST_USE;

/* Like jet_array_get into a new malloc'd buffer (*data, *nbytes; caller
 * frees with free()). */
jet_status jet_array_get_alloc(const jet_array *arr, void **data, size_t *nbytes) JET_MUST_USE;

/* The array's type (borrowed, valid until the array is freed). */
const jet_type *jet_array_type(const jet_array *arr);
/* The handle id (borrowed). */
const char *jet_array_id(const jet_array *arr);
/* The owning client. */
jet_client *jet_array_client(const jet_array *arr);

/* Wraps an existing handle id (for example one returned by another tool)
 * as a jet_array of client c without any RPC. Mostly for tests. */
jet_status jet_array_wrap(jet_client *c, const char *id, const jet_type *type,
                          jet_array **out) JET_MUST_USE;

/* Deletes the array on the server (DeleteArray) and frees the struct; the
 * struct is freed even when the RPC fails (the status is returned). NULL is
 * allowed (returns NULL). Must not be used after jet_client_close. */
jet_status jet_array_free(jet_array *arr) JET_MUST_USE;
/* Deletes n arrays of one client (NULL entries are skipped) with ONE
 * DeleteArray RPC and frees the structs, which is how a caller that drops
 * many temporaries should free them. When the server refuses the batch
 * (an unknown handle), each array is deleted on its own and the first error
 * is returned; every struct is freed in any case. */
jet_status jet_arrays_free(jet_array *const *arrs, size_t n) JET_MUST_USE;
/* Frees the struct only, without any RPC (after jet_client_close, or when
 * the server side is known to be gone). NULL is allowed. */
void jet_array_release(jet_array *arr);

/* ========================================================================
 * Graph builder
 * ======================================================================== */

/* Builds one jet_graph (graph.h). Every op function adds one node, checked
 * at once with the shared shape inference. On error it returns JET_NO_VALUE
 * and records the first error, whose message names the function and node,
 * e.g. "jet_add: node 3 (add): operand 1 has dtype i32 but operand 0 has
 * f32"; later calls (in particular those given JET_NO_VALUE) return
 * JET_NO_VALUE and record nothing new. So a whole graph can be built without
 * checks, and jet_builder_return (or jet_builder_status) says whether it
 * worked. Single-threaded. */
typedef struct jet_builder jet_builder;

/* NULL on out-of-memory. name may be NULL (""). */
jet_builder *jet_builder_create(const char *name);
/* Frees the builder and its graph. NULL is allowed. */
void jet_builder_destroy(jet_builder *b);

/* The graph being built (owned by the builder). */
jet_graph *jet_builder_graph(jet_builder *b);
/* A copy of the first recorded error (caller frees), NULL if none. */
jet_status jet_builder_status(const jet_builder *b) JET_MUST_USE;
/* Type of a value of the graph; NULL for JET_NO_VALUE or an unknown id. */
const jet_type *jet_builder_value_type(const jet_builder *b, jet_value v);

/* Adds a parameter (all parameters come before the first node). */
jet_value jet_builder_param(jet_builder *b, const jet_type *type);

/* Sets the graph's outputs. Returns a copy of the builder's first error (of
 * this call or any earlier one), NULL when the graph is complete. */
jet_status jet_builder_return(jet_builder *b, const jet_value *outs, size_t n) JET_MUST_USE;

/* Any op, with attributes given as jet_attr (graph.h). Returns the first
 * result (ops other than call have exactly one). */
jet_value jet_op_node(jet_builder *b, jet_op op, const jet_value *args, size_t n,
                      const jet_attr *attrs, size_t n_attrs);

/* Elementwise unary ops, one function each: jet_<name>(b, x) for
 *   neg abs sign floor ceil round is_finite exp exp2 ln log1p expm1 sqrt
 *   rsqrt tanh logistic sin cos tan asin acos atan sinh cosh erf erf_inv
 *   square not stop_gradient
 * jet_ln is the op "log" (natural logarithm); it is not called jet_log
 * because the daemon's logger owns that name. round uses the server's
 * default rounding_method; set it with jet_round_method. */
#define JET_BUILDER_UNARY_OPS(X)                                                          \
  X(neg, NEG) X(abs, ABS) X(sign, SIGN) X(floor, FLOOR) X(ceil, CEIL) X(round, ROUND)    \
  X(is_finite, IS_FINITE) X(exp, EXP) X(exp2, EXP2) X(ln, LOG) X(log1p, LOG1P)           \
  X(expm1, EXPM1) X(sqrt, SQRT) X(rsqrt, RSQRT) X(tanh, TANH) X(logistic, LOGISTIC)       \
  X(sin, SIN) X(cos, COS) X(tan, TAN) X(asin, ASIN) X(acos, ACOS) X(atan, ATAN)           \
  X(sinh, SINH) X(cosh, COSH) X(erf, ERF) X(erf_inv, ERF_INV) X(square, SQUARE)           \
  X(not, NOT) X(stop_gradient, STOP_GRADIENT)

/* Elementwise binary ops and comparisons: jet_<name>(b, x, y) for
 *   add sub mul div rem pow max min atan2 and or xor shift_left
 *   shift_right_logical shift_right_arithmetic eq ne lt le gt ge */
#define JET_BUILDER_BINARY_OPS(X)                                                         \
  X(add, ADD) X(sub, SUB) X(mul, MUL) X(div, DIV) X(rem, REM) X(pow, POW) X(max, MAX)     \
  X(min, MIN) X(atan2, ATAN2) X(and, AND) X(or, OR) X(xor, XOR) X(shift_left, SHIFT_LEFT) \
  X(shift_right_logical, SHIFT_RIGHT_LOGICAL)                                             \
  X(shift_right_arithmetic, SHIFT_RIGHT_ARITHMETIC) X(eq, EQ) X(ne, NE) X(lt, LT)         \
  X(le, LE) X(gt, GT) X(ge, GE)

#define JET__DECL_UNARY(fn, E) jet_value jet_##fn(jet_builder *b, jet_value x);
#define JET__DECL_BINARY(fn, E) jet_value jet_##fn(jet_builder *b, jet_value x, jet_value y);
JET_BUILDER_UNARY_OPS(JET__DECL_UNARY)
JET_BUILDER_BINARY_OPS(JET__DECL_BINARY)
#undef JET__DECL_UNARY
#undef JET__DECL_BINARY

/* round with an explicit rounding_method (0 = away from zero, 1 = to even). */
jet_value jet_round_method(jet_builder *b, jet_value x, int64_t rounding_method);
/* x ** y for a constant integer y. */
jet_value jet_integer_pow(jet_builder *b, jet_value x, int64_t y);

/* select(pred, on_true, on_false); clamp(lo, x, hi). */
jet_value jet_select(jet_builder *b, jet_value pred, jet_value on_true, jet_value on_false);
jet_value jet_clamp(jet_builder *b, jet_value lo, jet_value x, jet_value hi);

/* convert_element_type and bitcast_convert_type. */
jet_value jet_convert(jet_builder *b, jet_value x, jet_dtype new_dtype);
jet_value jet_bitcast_convert(jet_builder *b, jet_value x, jet_dtype new_dtype);

/* Shapes. Integer lists are (pointer, count); a count of 0 allows NULL. */
jet_value jet_broadcast_in_dim(jet_builder *b, jet_value x, const int64_t *shape, size_t rank,
                               const int64_t *broadcast_dimensions, size_t n);
jet_value jet_reshape(jet_builder *b, jet_value x, const int64_t *new_sizes, size_t n);
jet_value jet_transpose(jet_builder *b, jet_value x, const int64_t *permutation, size_t n);
jet_value jet_squeeze(jet_builder *b, jet_value x, const int64_t *dimensions, size_t n);
jet_value jet_expand_dims(jet_builder *b, jet_value x, const int64_t *dimensions, size_t n);
jet_value jet_rev(jet_builder *b, jet_value x, const int64_t *dimensions, size_t n);
/* strides may be NULL (all 1). start, limit (and strides) have n entries. */
jet_value jet_slice(jet_builder *b, jet_value x, const int64_t *start_indices,
                    const int64_t *limit_indices, const int64_t *strides, size_t n);
/* dynamic_slice(x, *start_indices): one integer scalar value per dim of x. */
jet_value jet_dynamic_slice(jet_builder *b, jet_value x, const jet_value *start_indices,
                            size_t n_starts, const int64_t *slice_sizes, size_t n_sizes);
/* dynamic_update_slice(x, update, *start_indices). */
jet_value jet_dynamic_update_slice(jet_builder *b, jet_value x, jet_value update,
                                   const jet_value *start_indices, size_t n_starts);
jet_value jet_concatenate(jet_builder *b, const jet_value *xs, size_t n, int64_t dimension);
/* padding_config: (lo, hi, interior) per dim of x, flattened (n = 3*rank). */
jet_value jet_pad(jet_builder *b, jet_value x, jet_value padding_value,
                  const int64_t *padding_config, size_t n);
jet_value jet_iota(jet_builder *b, jet_dtype dtype, const int64_t *shape, size_t rank,
                   int64_t dimension);

/* Dimension numbers of gather (XLA's, index vector in the last dim of the
 * indices). Lists with a count of 0 are left out (the optional batching
 * dims) or sent empty (required ones). mode: 0 = clip, 1 = fill,
 * JET_MODE_DEFAULT = let the server choose. */
#define JET_MODE_DEFAULT (-1)
typedef struct jet_gather_dims {
  const int64_t *offset_dims;
  size_t n_offset_dims;
  const int64_t *collapsed_slice_dims;
  size_t n_collapsed_slice_dims;
  const int64_t *start_index_map;
  size_t n_start_index_map;
  const int64_t *operand_batching_dims;
  size_t n_operand_batching_dims;
  const int64_t *start_indices_batching_dims;
  size_t n_start_indices_batching_dims;
  const int64_t *slice_sizes;
  size_t n_slice_sizes;
  int64_t mode;
} jet_gather_dims;
jet_value jet_gather(jet_builder *b, jet_value operand, jet_value start_indices,
                     const jet_gather_dims *dims);

/* Dimension numbers of scatter-add; mode as for gather. */
typedef struct jet_scatter_dims {
  const int64_t *update_window_dims;
  size_t n_update_window_dims;
  const int64_t *inserted_window_dims;
  size_t n_inserted_window_dims;
  const int64_t *scatter_dims_to_operand_dims;
  size_t n_scatter_dims_to_operand_dims;
  const int64_t *operand_batching_dims;
  size_t n_operand_batching_dims;
  const int64_t *scatter_indices_batching_dims;
  size_t n_scatter_indices_batching_dims;
  int64_t mode;
} jet_scatter_dims;
jet_value jet_scatter_add(jet_builder *b, jet_value operand, jet_value scatter_indices,
                          jet_value updates, const jet_scatter_dims *dims);

/* Reductions over the listed axes. */
jet_value jet_reduce_sum(jet_builder *b, jet_value x, const int64_t *axes, size_t n);
jet_value jet_reduce_max(jet_builder *b, jet_value x, const int64_t *axes, size_t n);
jet_value jet_reduce_min(jet_builder *b, jet_value x, const int64_t *axes, size_t n);
jet_value jet_reduce_prod(jet_builder *b, jet_value x, const int64_t *axes, size_t n);
jet_value jet_argmax(jet_builder *b, jet_value x, const int64_t *axes, size_t n,
                     jet_dtype index_dtype);
jet_value jet_argmin(jet_builder *b, jet_value x, const int64_t *axes, size_t n,
                     jet_dtype index_dtype);
jet_value jet_cumsum(jet_builder *b, jet_value x, int64_t axis, bool reverse);

/* dot_general(lhs, rhs) with contracting and batch dimensions (the batch
 * lists may be NULL/0). jet_dot_general_typed also sets
 * preferred_element_type. */
jet_value jet_dot_general(jet_builder *b, jet_value lhs, jet_value rhs, const int64_t *lhs_contract,
                          size_t n_lc, const int64_t *rhs_contract, size_t n_rc,
                          const int64_t *lhs_batch, size_t n_lb, const int64_t *rhs_batch,
                          size_t n_rb);
jet_value jet_dot_general_typed(jet_builder *b, jet_value lhs, jet_value rhs,
                                const int64_t *lhs_contract, size_t n_lc,
                                const int64_t *rhs_contract, size_t n_rc,
                                const int64_t *lhs_batch, size_t n_lb, const int64_t *rhs_batch,
                                size_t n_rb, jet_dtype preferred_element_type);

/* A constant: jet_type_nbytes(type) bytes of data, copied into the graph. */
jet_value jet_constant(jet_builder *b, const jet_type *type, const void *data);

/* call(*args): calls the graph built by `callee` (which must be complete:
 * jet_builder_return done), after the transforms tf[0..n_tf) (innermost
 * first); the call's operands and results then follow the transformed
 * signature (jet_transform_signature in jet/infer.h: e.g. jvp takes
 * primals and tangents), checked at once like any other node, and an
 * invalid transform (grad of a non-scalar output, ...) is recorded as the
 * builder's error. The callee's graph is copied into b's graph, so callee may be
 * destroyed afterwards. The result value ids go to outs[0..min(n_results,
 * outs_cap)) (outs may be NULL when outs_cap is 0); returns the first result
 * (or JET_NO_VALUE on error, or when the callee has no outputs). */
jet_value jet_call(jet_builder *b, jet_builder *callee, const jet_value *args, size_t n,
                   const jet_transform *tf, size_t n_tf, jet_value *outs, size_t outs_cap);
/* cond(pred, *args) (lax.cond / lax.switch): runs one of the branches on
 * args and returns its outputs. pred is a bool scalar (then exactly 2
 * branches: branches[0] when false, branches[1] when true) or an i32 scalar
 * index (clamped to [0, n_branches-1], as lax.switch does). Every branch
 * must be complete (jet_builder_return done) and take parameters of the
 * types of args and return outputs of the same types as branch 0; a
 * mismatch is recorded as the builder's error naming the branch, parameter
 * or output. The branches' graphs are copied into b's graph, so they may be
 * destroyed afterwards. Result ids go to outs[0..min(n_results,
 * outs_cap)); returns the first result (JET_NO_VALUE on error or when the
 * branches have no outputs). jet_cond_graphs takes finished graphs
 * (e.g. from jet_graph_parse) instead of builders. */
jet_value jet_cond(jet_builder *b, jet_value pred, jet_builder *const *branches, size_t n_branches,
                   const jet_value *args, size_t n, jet_value *outs, size_t outs_cap);
jet_value jet_cond_graphs(jet_builder *b, jet_value pred, const jet_graph *const *branches,
                          size_t n_branches, const jet_value *args, size_t n, jet_value *outs,
                          size_t outs_cap);
/* while(consts..., init...) (lax.while_loop): runs `body` while `cond` is
 * true; returns the final carried values. Both graphs take (consts...,
 * carry...) with carry of the types of init; cond returns one bool scalar,
 * body returns the new carry (same types). consts are loop invariants (a
 * JAX closure's captured arrays): they are not carried. Graphs must be
 * complete and are copied into b's graph; mismatches are recorded as the
 * builder's error naming the graph, parameter or output. Result ids (one per
 * init) go to outs[0..min(n_init, outs_cap)); returns the first. */
jet_value jet_while(jet_builder *b, jet_builder *cond, jet_builder *body, const jet_value *consts,
                    size_t n_consts, const jet_value *init, size_t n_init, jet_value *outs,
                    size_t outs_cap);
jet_value jet_while_graphs(jet_builder *b, const jet_graph *cond, const jet_graph *body,
                           const jet_value *consts, size_t n_consts, const jet_value *init,
                           size_t n_init, jet_value *outs, size_t outs_cap);
/* scan(consts..., init..., xs...) (lax.scan): body takes (consts...,
 * carry..., x...) where each x is one slice xs[i] (xs without its leading
 * axis, whose size must be `length`), and returns (carry..., y...). Runs i
 * = 0..length-1 (length-1..0 when reverse). Results: (final carry...,
 * ys...) with ys[i] the y of the iteration on xs[i] (ys of shape [length] +
 * y's shape). Result ids go to outs[0..min(n_results, outs_cap)); returns
 * the first (JET_NO_VALUE on error or when there are no results). */
jet_value jet_scan(jet_builder *b, jet_builder *body, const jet_value *consts, size_t n_consts,
                   const jet_value *init, size_t n_init, const jet_value *xs, size_t n_xs,
                   int64_t length, bool reverse, jet_value *outs, size_t outs_cap);
jet_value jet_scan_graphs(jet_builder *b, const jet_graph *body, const jet_value *consts,
                          size_t n_consts, const jet_value *init, size_t n_init,
                          const jet_value *xs, size_t n_xs, int64_t length, bool reverse,
                          jet_value *outs, size_t outs_cap);
/* fori_loop(lower, upper, body, init) (lax.fori_loop): body takes
 * (consts..., i: i32[], carry...) and returns the new carry. With static
 * bounds (jet_fori_loop) it becomes a scan of upper - lower steps (so it
 * can be differentiated in reverse mode, as in JAX); with traced i32
 * scalar bounds (jet_fori_loop_dynamic) a while loop. Result ids (one per
 * init) go to outs; returns the first. */
jet_value jet_fori_loop(jet_builder *b, int64_t lower, int64_t upper, jet_builder *body,
                        const jet_value *consts, size_t n_consts, const jet_value *init,
                        size_t n_init, jet_value *outs, size_t outs_cap);
jet_value jet_fori_loop_dynamic(jet_builder *b, jet_value lower, jet_value upper,
                                jet_builder *body, const jet_value *consts, size_t n_consts,
                                const jet_value *init, size_t n_init, jet_value *outs,
                                size_t outs_cap);
/* Number of results of the node that defined v (1 for most ops). */
uint32_t jet_builder_num_results(const jet_builder *b, jet_value v);

/* ------------------------------------------------------------------------
 * Collectives over a named axis (client/lib/builder_collective.c)
 *
 * JAX's psum / pmean / pmax / pmin / all_gather / psum_scatter / ppermute /
 * all_to_all / axis_index. A graph using them is written for one member of
 * the axis; the axis name must be bound when it is transformed: by a vmap
 * transform with that axis_name (jet_tf_vmap(..., "i")), where the members
 * are the batch's examples (pmap is not implemented: UNIMPLEMENTED).
 * Transforming a graph whose collective names no enclosing axis is the
 * daemon's INVALID_ARGUMENT. n is the axis size, i the member's index.
 * axis_name must be non-empty; axis_size (where taken) must equal the bound
 * axis's size (the builder cannot know it, so it is given, as JAX's traced
 * programs carry it). Errors are recorded in the builder like any op's.
 *
 *   jet_value s = jet_psum(b, x, "i");              // sum of x over the batch
 *   jet_transform v = jet_tf_vmap(NULL, 0, NULL, 0, 3, "i");
 *   // vmap(lambda x: psum(x, 'i'), axis_name='i')(xs): every row is xs.sum(0)
 * ------------------------------------------------------------------------ */

/* All-reduce: every member gets the sum / max / min of the members' x
 * (numeric dtypes; the result has x's type). */
jet_value jet_psum(jet_builder *b, jet_value x, const char *axis_name);
jet_value jet_pmax(jet_builder *b, jet_value x, const char *axis_name);
jet_value jet_pmin(jet_builder *b, jet_value x, const char *axis_name);
/* psum(x) / psum(1) (psum of the constant 1 is n), as JAX's pmean: the
 * result has x's dtype when it is floating, else f32 (true division). */
jet_value jet_pmean(jet_builder *b, jet_value x, const char *axis_name);
/* Every member gets the members' x stacked along a new axis `axis` (size
 * n; 0 <= axis <= rank of x), or with tiled concatenated along the
 * existing axis `axis` (0 <= axis < rank of x). Here and below a
 * negative axis counts from the end, as in JAX. */
jet_value jet_all_gather(jet_builder *b, jet_value x, const char *axis_name, int64_t axis_size,
                         int64_t axis, bool tiled);
/* psum, then member i keeps slice i along scatter_dimension: untiled that
 * dim must be n and is removed; tiled it must be divisible by n and keeps
 * the i-th of n equal blocks. */
jet_value jet_psum_scatter(jet_builder *b, jet_value x, const char *axis_name, int64_t axis_size,
                           int64_t scatter_dimension, bool tiled);
/* pairs: n_pairs (source, destination) pairs flattened ({src0, dst0, src1,
 * dst1, ...}); member dst gets src's x, members that are nobody's
 * destination get zeros. Sources and destinations must be unique and in
 * [0, n). */
jet_value jet_ppermute(jet_builder *b, jet_value x, const char *axis_name, const int64_t *pairs,
                       size_t n_pairs);
/* As JAX's all_to_all: x is split along split_axis into n chunks, chunk j
 * goes to member j, and the received chunks are stacked along concat_axis
 * (untiled: x.shape[split_axis] must be n; that axis is removed and a new
 * axis of size n is inserted at concat_axis) or concatenated along it
 * (tiled: x.shape[split_axis] divisible by n). */
jet_value jet_all_to_all(jet_builder *b, jet_value x, const char *axis_name, int64_t axis_size,
                         int64_t split_axis, int64_t concat_axis, bool tiled);
/* The member's index along the axis: an i32 scalar in [0, n). */
jet_value jet_axis_index(jet_builder *b, const char *axis_name);

/* ========================================================================
 * Compile and execute
 * ======================================================================== */

/* A compiled executable on the daemon: its id (content hash) and output
 * types. Owned by the client (shared by every caller that compiles the same
 * graph); valid until jet_client_close; never freed by the caller. */
typedef struct jet_executable jet_executable;

typedef struct jet_compile_options {
  /* CompileRequest.arg_types: the types of the arguments the executable
   * will be called with, i.e. of the graph's parameters after the
   * transforms; NULL/0 = not given. A vmap without axis_size takes its size
   * from them (otherwise it needs axis_size). */
  const jet_type *arg_types;
  size_t n_arg_types;
  /* Ask the server for the compiled graph's text (jet_compile_info.text). */
  bool return_text;
  /* Send the Compile RPC even when the client-side cache has the graph. */
  bool bypass_cache;
} jet_compile_options;

typedef struct jet_compile_info {
  bool client_cache_hit; /* no RPC was sent */
  bool server_cache_hit; /* CompileResponse.cache_hit (false when no RPC) */
  char *text;            /* malloc'd when return_text was set, else NULL */
  /* From the CompileResponse (all zero / "" when no RPC was sent): where
   * the server's executable came from ("memory", "disk" or "compiled"),
   * the server-side time of the Compile, and the program's figures. */
  char source[16];
  uint64_t compile_us;
  uint64_t arena_bytes;
  uint64_t intermediate_bytes;
  uint32_t steps;
  uint32_t fused_steps;
} jet_compile_info;
void jet_compile_info_clear(jet_compile_info *info);

/* Compiles the builder's graph (jet_builder_return must have succeeded; a
 * recorded builder error is returned as is) after the transforms tf[0..n_tf)
 * (innermost first; tf may be NULL when n_tf is 0). The client caches
 * executables by jet_graph_hash: compiling the same graph again sends no
 * RPC. *out is owned by the client. */
jet_status jet_compile(jet_client *c, jet_builder *b, const jet_transform *tf, size_t n_tf,
                       jet_executable **out) JET_MUST_USE;
/* The same for a finished jet_graph (e.g. from jet_graph_parse). */
jet_status jet_compile_graph(jet_client *c, const jet_graph *g, const jet_transform *tf,
                             size_t n_tf, jet_executable **out) JET_MUST_USE;
/* With options (may be NULL) and details (info may be NULL; clear it with
 * jet_compile_info_clear). */
jet_status jet_compile_ex(jet_client *c, const jet_graph *g, const jet_transform *tf, size_t n_tf,
                          const jet_compile_options *opts, jet_executable **out,
                          jet_compile_info *info) JET_MUST_USE;

size_t jet_executable_num_outputs(const jet_executable *e);
/* NULL when i is out of range. Borrowed. */
const jet_type *jet_executable_output_type(const jet_executable *e, size_t i);
/* The executable id (32 hex digits from the server). Borrowed. */
const char *jet_executable_id(const jet_executable *e);
jet_client *jet_executable_client(const jet_executable *e);

/* An argument of jet_execute: an array on the server, or inline data. */
typedef enum jet_arg_kind { JET_ARG_ARRAY = 0, JET_ARG_INLINE = 1 } jet_arg_kind;
typedef struct jet_arg {
  jet_arg_kind kind;
  const jet_array *array; /* JET_ARG_ARRAY */
  jet_type type;          /* JET_ARG_INLINE */
  const void *data;       /* JET_ARG_INLINE: jet_type_nbytes(&type) bytes, borrowed */
  /* JET_ARG_ARRAY only (JAX's donate_argnums): the call may reuse the
   * array's memory for its outputs. The server deletes the handle when the
   * call starts; after a successful call the array is consumed: reading it
   * again is NOT_FOUND and jet_array_free only frees the client's object. */
  bool donate;
} jet_arg;

static inline jet_arg jet_arg_of_array(const jet_array *a) {
  jet_arg r = {JET_ARG_ARRAY, a, {JET_DTYPE_INVALID, 0, {0}}, NULL, false};
  return r;
}
static inline jet_arg jet_arg_inline(const jet_type *t, const void *data) {
  jet_arg r = {JET_ARG_INLINE, NULL, *t, data, false};
  return r;
}
static inline jet_arg jet_arg_donated(const jet_array *a) {
  jet_arg r = {JET_ARG_ARRAY, a, {JET_DTYPE_INVALID, 0, {0}}, NULL, true};
  return r;
}

/* One output of jet_execute. Set keep_on_server before the call; after it,
 * `type` is the output type and either `data`/`nbytes` (inline: from
 * jet_bigbuf_alloc, freed by jet_result_clear — never free(); large results
 * reuse buffers whose pages are already faulted in) or `array` (kept on the
 * server: owned by the caller, who frees it with jet_array_free) is set. */
typedef struct jet_result {
  bool keep_on_server; /* in */
  jet_type type;       /* out */
  void *data;          /* out, inline */
  size_t nbytes;       /* out, inline */
  jet_array *array;    /* out, kept */
} jet_result;

/* Frees an inline result's data and zeroes data/nbytes. Does not touch
 * `array`. NULL is allowed. */
void jet_result_clear(jet_result *r);
/* jet_result_clear on each of n results. */
void jet_results_clear(jet_result *r, size_t n);

/* Runs e on the arguments. n_results must equal jet_executable_num_outputs;
 * each result's keep_on_server chooses where its output goes. On error no
 * result holds anything (all data/array fields are NULL). */
jet_status jet_execute(jet_executable *e, const jet_arg *args, size_t n_args, jet_result *results,
                       size_t n_results) JET_MUST_USE;
/* jet_execute with every output inline. */
jet_status jet_execute_inline(jet_executable *e, const jet_arg *args, size_t n_args,
                              jet_result *results, size_t n_results) JET_MUST_USE;

/* ========================================================================
 * Transforms (autodiff, vmap, pmap)
 * ======================================================================== */

/* Constructors of jet_transform values for jet_compile, jet_call and
 * jet_transform_graph (transforms lists are innermost first: {grad, grad}
 * is grad(grad(f))). The result BORROWS argnums: the array must stay valid
 * as long as the jet_transform is used (jet_compile/jet_call/
 * jet_transform_graph copy what they keep, so a local array that outlives
 * those calls is enough). argnums NULL/0 means {0}; argnums_tuple is set
 * when n > 1 (set it by hand for a one-element tuple). Fields not covered
 * (holomorphic, allow_int, ...) can be set on the returned value.
 *
 * Signatures of the transformed function (jet_transform_signature in
 * jet/infer.h has the full rules):
 *   grad            -> (grad per argnum..., aux...)
 *   value_and_grad  -> (value, aux..., grad per argnum...)
 *   jvp             (primals..., tangents...) -> (outs..., out tangents...)
 *   vjp             (primals..., output cotangents...) ->
 *                   (outs..., cotangent per primal...)
 *   jacfwd/jacrev   -> (d out_k / d param_a for each k, a (k outer)..., aux...)
 *   hessian         -> (d2 out_k / d param_a d param_b..., aux...)
 * With has_aux only output 0 is differentiated; the others are aux. */
jet_transform jet_tf_grad(const int32_t *argnums, size_t n, bool has_aux);
jet_transform jet_tf_value_and_grad(const int32_t *argnums, size_t n, bool has_aux);
jet_transform jet_tf_jvp(bool has_aux);
jet_transform jet_tf_vjp(bool has_aux);
jet_transform jet_tf_jacfwd(const int32_t *argnums, size_t n, bool has_aux);
jet_transform jet_tf_jacrev(const int32_t *argnums, size_t n, bool has_aux);
jet_transform jet_tf_hessian(const int32_t *argnums, size_t n, bool has_aux);

/* vmap(f, in_axes, out_axes, axis_size, axis_name) as in JAX. An axis
 * spec is an axis (JET_AXIS(0), JET_AXIS(-1): negative axes count from the
 * end) or JET_AXIS_NONE (JAX's None: not mapped). in_axes: n_in == 0 maps
 * every argument along axis 0; one entry applies to every argument; else one
 * entry per argument. out_axes likewise per output (n_out == 0: axis 0). An
 * unmapped output with an axis in out_axes is broadcast along it; a mapped
 * output with JET_AXIS_NONE is an error. axis_size: the batch size. A
 * graph given to jet_compile / jet_transform_graph has no arguments to read
 * it from, so it is required there; on a call node (jet_call) 0 means
 * "read it from the operands", whose mapped sizes must all agree, and a
 * non-zero size must equal them. axis_name: NULL or "" for none (recorded
 * for collectives). The result BORROWS in_axes, out_axes and axis_name (as
 * jet_tf_grad borrows argnums).
 *
 *   const jet_axis_spec in[2] = {JET_AXIS_NONE, JET_AXIS(0)};
 *   jet_transform v = jet_tf_vmap(in, 2, NULL, 0, 8, NULL);   // vmap(f, (None, 0)), 8 examples
 *   const int32_t a0[1] = {0};
 *   jet_transform pe[2] = {jet_tf_grad(a0, 1, false), v};     // vmap(grad(f)), innermost first
 *
 * Signature: each mapped parameter gets a dimension of the axis size at its
 * in_axis, each output one at its out_axis. */
#define JET_AXIS(n) ((jet_axis_spec){true, (int32_t)(n)})
#define JET_AXIS_NONE ((jet_axis_spec){false, 0})
jet_transform jet_tf_vmap(const jet_axis_spec *in_axes, size_t n_in, const jet_axis_spec *out_axes,
                          size_t n_out, int64_t axis_size, const char *axis_name);

/* pmap(f, axis_name, in_axes, out_axes, devices) as in JAX: f runs once
 * per member of the mapped axis, each member on its own device of jetd and
 * all of them at once; collectives over axis_name inside f (jet_psum, ...)
 * combine the members. in_axes / out_axes as for jet_tf_vmap (n == 0: axis
 * 0 for every argument / output; JET_AXIS_NONE: the argument goes whole to
 * every member / the output is member 0's, which must be the same on all).
 * axis_name: NULL or "" for a generated name. devices: the device ids of
 * the members, in order (n_devices == axis size, distinct); NULL/0 =
 * devices 0..axis_size-1. axis_size: required by jet_compile /
 * jet_transform_graph unless the compile gets arg_types (the mapped axes'
 * size is then read from them); on a call node 0 = read from the operands.
 * Borrows in_axes, out_axes, devices and axis_name (like jet_tf_vmap).
 * static_broadcasted_argnums can be set on the result (those arguments are
 * treated as in_axes None; bake static values into the graph instead).
 *
 * jetd has `--devices N` CPU devices (default: one per core; more for
 * testing, as XLA's forced host device count). Compile refuses an axis
 * larger than that with JAX's INVALID_ARGUMENT "compiling computation that
 * requires 5 logical devices, but only 4 XLA devices are available
 * (num_replicas=5)", and a devices entry that is no device naming it.
 *
 *   jet_transform p = jet_tf_pmap("i", NULL, 0, NULL, 0, NULL, 0, 4);
 *   // pmap(lambda x: psum(x, 'i'), axis_name='i') over f32[4, ...] */
jet_transform jet_tf_pmap(const char *axis_name, const jet_axis_spec *in_axes, size_t n_in,
                          const jet_axis_spec *out_axes, size_t n_out, const uint32_t *devices,
                          size_t n_devices, int64_t axis_size);

/* TransformGraph: JAX's make_jaxpr on the daemon. Applies tf[0..n) to g
 * (and the transforms of its call nodes), cleans the result (CSE + DCE)
 * unless skip_cleanup, and returns it without compiling or running it:
 * *out (may be NULL if not wanted) is a new validated graph the caller
 * destroys with jet_graph_destroy; *text (may be NULL) is its text form,
 * malloc'd (caller frees). Errors are the daemon's (e.g. INVALID_ARGUMENT
 * "Gradient only defined for scalar-output functions. ..."). Needs no
 * session. */
jet_status jet_transform_graph(jet_client *c, const jet_graph *g, const jet_transform *tf,
                               size_t n, bool skip_cleanup, jet_graph **out,
                               char **text) JET_MUST_USE;

/* Transform specs as the CLI takes them: KIND[:FIELD[=VALUE]]..., fields
 * separated by ':' and list entries by ','. KIND is one of grad
 * value_and_grad jvp vjp jacfwd jacrev hessian vmap pmap.
 *   grad, value_and_grad, jacfwd, jacrev, hessian:
 *       argnums=0,1  has_aux  allow_int   (has_aux=true/false likewise)
 *   jvp, vjp: has_aux
 *   vmap: in_axes=AXES  out_axes=AXES  axis_size=N  axis_name=NAME
 *       AXES is a ','-separated list of integers (negative allowed) and
 *       'none'; NAME is letters, digits and '_'.
 *   pmap: the vmap fields and devices=IDS (e.g. devices=0,1),
 *       static_broadcasted_argnums=0,2
 * Examples: "grad:argnums=0,1", "jvp:has_aux",
 * "vmap:in_axes=none,0:out_axes=-1:axis_name=batch", "vmap:axis_size=8",
 * "pmap:in_axes=0,none:axis_name=i:devices=0,1".
 * Each field may appear once. At most JET_SPEC_MAX_ENTRIES entries per
 * list and JET_SPEC_MAX_NAME - 1 characters per name. */
#define JET_SPEC_MAX_ENTRIES 64
#define JET_SPEC_MAX_NAME 64
typedef struct jet_transform_spec {
  jet_transform tf; /* the parsed transform; points into the fields below */
  int32_t argnums[JET_SPEC_MAX_ENTRIES];
  jet_axis_spec in_axes[JET_SPEC_MAX_ENTRIES];
  jet_axis_spec out_axes[JET_SPEC_MAX_ENTRIES];
  char axis_name[JET_SPEC_MAX_NAME];
  uint32_t devices[JET_SPEC_MAX_ENTRIES];        /* pmap */
  int32_t static_argnums[JET_SPEC_MAX_ENTRIES];  /* pmap */
} jet_transform_spec;

/* Parses spec into *out; out->tf points into *out, so use the struct where
 * it was parsed (do not copy it; copying out->tf alone is fine while *out
 * lives). */
jet_status jet_transform_spec_parse(const char *spec, jet_transform_spec *out) JET_MUST_USE;

/* The same for the kinds without axes (grad ... hessian): *out's argnums
 * point into argnums_buf (cap entries, of which at most
 * JET_SPEC_MAX_ENTRIES are used), which must outlive it. A vmap or pmap
 * spec is refused (INVALID_ARGUMENT naming jet_transform_spec_parse, which has
 * room for its axes). */
jet_status jet_transform_parse_spec(const char *spec, int32_t *argnums_buf, size_t cap,
                                    jet_transform *out) JET_MUST_USE;

/* ========================================================================
 * Eager (op-by-op) layer
 * ======================================================================== */

/* Runs one op on arrays kept on the server, like JAX's op-by-op mode: builds
 * the one-node graph over the arguments' types, compiles it (cached by the
 * client and the server) and executes it with handles; the (first) result
 * stays on the server as a new array *out. */
jet_status jet_eager(jet_client *c, jet_op op, jet_array *const *args, size_t n,
                     const jet_attr *attrs, size_t n_attrs, jet_array **out) JET_MUST_USE;
jet_status jet_eager_unary(jet_client *c, jet_op op, jet_array *x, jet_array **out) JET_MUST_USE;
jet_status jet_eager_binary(jet_client *c, jet_op op, jet_array *x, jet_array *y,
                            jet_array **out) JET_MUST_USE;

/* ========================================================================
 * FFI helpers (client/lib/ffi.c): for foreign-function callers such as the
 * Python client (ctypes), which should not mirror C struct layouts. Types
 * travel as (dtype as int, rank, int64 dims[rank]); functions that write a
 * type return its rank (dims must have room for JET_MAX_RANK entries), or -1
 * when the object is NULL / the value unknown. Attributes and transforms are
 * text in the syntax of the text form (shared/src/text/README.md). Strings
 * returned through char ** are malloc'd: free them with jet_ffi_free.
 * ======================================================================== */

void jet_ffi_free(void *p);

/* jet_client_open with the options as plain arguments (address and
 * client_name may be NULL). */
jet_status jet_ffi_client_open(const char *address, const char *client_name, int64_t timeout_ms,
                               int64_t connect_timeout_ms, jet_client **out) JET_MUST_USE;
/* The same with a bearer token and TLS files (each may be NULL; see
 * jet_client_options). */
jet_status jet_ffi_client_open_ex(const char *address, const char *client_name, int64_t timeout_ms,
                                  int64_t connect_timeout_ms, const char *token,
                                  const char *tls_ca_file, const char *tls_cert_file,
                                  const char *tls_key_file, jet_client **out) JET_MUST_USE;
/* The devices, one line each: "ID KIND MEMORY_LIMIT MEMORY_IN_USE LIVE_ARRAYS\n". */
jet_status jet_ffi_devices_text(jet_client *c, char **out) JET_MUST_USE;

/* jet_array_put with the type as integers; nbytes must equal the type's size. */
jet_status jet_ffi_array_put(jet_client *c, int32_t dtype, int32_t rank, const int64_t *dims,
                             const void *data, size_t nbytes, jet_array **out) JET_MUST_USE;
/* jet_ffi_array_put onto devices[0] (n_devices == 1), sharded over
 * devices[n_devices] (n_devices > 1; jet_array_put_sharded) or device 0
 * (n_devices == 0). */
jet_status jet_ffi_array_put_placed(jet_client *c, int32_t dtype, int32_t rank,
                                    const int64_t *dims, const void *data, size_t nbytes,
                                    const uint32_t *devices, size_t n_devices,
                                    jet_array **out) JET_MUST_USE;
int32_t jet_ffi_array_type(const jet_array *a, int32_t *dtype, int64_t *dims);
/* Type of a builder value (jet_builder_value_type). */
int32_t jet_ffi_value_type(const jet_builder *b, jet_value v, int32_t *dtype, int64_t *dims);
/* Type of output i of an executable. */
int32_t jet_ffi_output_type(const jet_executable *e, size_t i, int32_t *dtype, int64_t *dims);

/* jet_builder_param and jet_constant with the type as integers (errors are
 * recorded in the builder like any op's). */
jet_value jet_ffi_param(jet_builder *b, int32_t dtype, int32_t rank, const int64_t *dims);
jet_value jet_ffi_constant(jet_builder *b, int32_t dtype, int32_t rank, const int64_t *dims,
                           const void *data, size_t nbytes);

/* Any op but call, by name (as in ops.def), with its attributes as text
 * without brackets: "axes=[0, 1]", "new_dtype=f32", "value=f32[3]{1, 2, 3}",
 * NULL or "" for none. Errors are recorded in the builder as for jet_op_node. */
jet_value jet_builder_op_text(jet_builder *b, const char *op_name, const jet_value *args, size_t n,
                              const char *attrs_text);
/* jet_call with the transforms as text, innermost first:
 * "[grad(argnums=[0, 1], argnums_tuple=true), vmap(in_axes=[0, none])]"
 * (NULL or "" for none). */
jet_value jet_call_text(jet_builder *b, jet_builder *callee, const jet_value *args, size_t n,
                        const char *transforms_text, jet_value *outs, size_t outs_cap);
/* The builder's graph in the text form (for debugging). */
jet_status jet_ffi_graph_text(jet_builder *b, char **out) JET_MUST_USE;
/* Control flow for ctypes callers (Python's lax.cond / switch / while_loop
 * / fori_loop / scan): jet_cond, jet_while and jet_scan without the outs
 * array (reverse as an int). The sub-graphs are finished builders, copied
 * into b's graph; a sub-builder's own error is recorded in b annotated
 * with its role. Returns the first result id (JET_NO_VALUE on error or
 * when there are no results); jet_builder_num_results gives the count. */
jet_value jet_ffi_cond(jet_builder *b, jet_value pred, jet_builder *const *branches,
                       size_t n_branches, const jet_value *args, size_t n);
jet_value jet_ffi_while(jet_builder *b, jet_builder *cond, jet_builder *body,
                        const jet_value *consts, size_t n_consts, const jet_value *init,
                        size_t n_init);
jet_value jet_ffi_scan(jet_builder *b, jet_builder *body, const jet_value *consts, size_t n_consts,
                       const jet_value *init, size_t n_init, const jet_value *xs, size_t n_xs,
                       int64_t length, int32_t reverse);

/* jet_compile_ex of the builder's graph after the transforms given as text,
 * with the argument types (n_args of them; arg_dims holds their dims one
 * after the other, sum(arg_ranks) entries) as CompileRequest.arg_types;
 * n_args 0 gives none. *out is owned by the client. */
jet_status jet_ffi_compile(jet_client *c, jet_builder *b, const char *transforms_text,
                           const int32_t *arg_dtypes, const int32_t *arg_ranks,
                           const int64_t *arg_dims, size_t n_args,
                           jet_executable **out) JET_MUST_USE;
/* jet_transform_graph of the builder's graph (with cleanup) as text. */
jet_status jet_ffi_transform_text(jet_client *c, jet_builder *b, const char *transforms_text,
                                  char **text) JET_MUST_USE;
/* jet_execute on arrays kept on the server, every output kept on the server:
 * outs[0..n_outs) get new arrays (n_outs must equal the output count); on
 * error every outs[i] is NULL. */
jet_status jet_ffi_execute(jet_executable *e, jet_array *const *args, size_t n_args,
                           jet_array **outs, size_t n_outs) JET_MUST_USE;
/* jet_ffi_execute donating the arguments whose donate[i] is non-zero (see
 * jet_arg.donate); donate may be NULL. */
jet_status jet_ffi_execute_donate(jet_executable *e, jet_array *const *args, size_t n_args,
                                  const uint8_t *donate, jet_array **outs,
                                  size_t n_outs) JET_MUST_USE;

/* ========================================================================
 * Formatting (numpy style)
 * ======================================================================== */

/* Appends the array the way numpy prints it with print(): scalars as
 * "0.0", "6.0", "-2.5066283", "7", "True"; arrays as "[1. 4. 9.]",
 * "[1 2 3]", "[ True False]", with columns padded to equal width and nested
 * brackets for higher ranks ("[[1 2]\n [3 4]]"). Floats print the shortest
 * decimal that round-trips in the array's dtype. data holds
 * jet_type_nbytes(type) bytes. Errors: INVALID_ARGUMENT for unsupported
 * dtypes; out-of-memory through the strbuf's flag. */
jet_status jet_format_array(const jet_type *type, const void *data, jet_strbuf *sb) JET_MUST_USE;

#ifdef __cplusplus
}
#endif
#endif
