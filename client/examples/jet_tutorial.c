/* The opening of JAX's tutorial, computed by jetd through libjet:
 *
 *   a = np.array([1., 2., 3.]); b = np.array([1., 1., -1.])
 *   print(jnp.dot(a, b))     # 0.0
 *   print(jnp.square(a))     # [1. 4. 9.]
 *
 * a and b go to the daemon once (jet_array_put); dot is a compiled graph
 * (dot_general contracting dimension 0) run on their handles, square runs
 * eagerly (op by op); both results come back with jet_array_get.
 *
 * Then its grad section (jax.grad), in float32: each function is built as a
 * graph and compiled with a grad transform (jet_tf_grad); the daemon
 * derives the gradient graph and runs it:
 *
 *   grad(jnp.square)(3.0)                          # 6.0
 *   composite_func = lambda x: jnp.cos(x**2)
 *   grad(composite_func)(jnp.sqrt(pi/2))           # -2.5066283
 *   f = lambda x, y: x * y**2
 *   grad(f, argnums=1)(3.0, 4.0)                   # 24.0
 *   grad(f, argnums=(0, 1))(3.0, 4.0)              # (16.0, 24.0)
 *   norm = lambda v: jnp.sqrt(jnp.sum(v * v))      # jnp.linalg.norm
 *   grad(norm)(a)                                  # [0.26726124 0.5345225  0.8017837 ]
 *
 * Usage: jet_tutorial [HOST:PORT]   (default $JET_ADDRESS, then
 * 127.0.0.1:7450). Prints:
 *   dot(a, b) = 0.0
 *   square(a) = [1. 4. 9.]
 *   grad(square)(3.0) = 6.0
 *   grad(composite_func)(sqrt(pi/2)) = -2.5066283
 *   dfdy(3.0, 4.0) = 24.0
 *   gradient(3.0, 4.0) = (16.0, 24.0)
 *   grad(norm)(a) = [0.26726124 0.5345225  0.8017837 ]
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "jet/jet.h"

static int fail(jet_status st) {
  fprintf(stderr, "error: %s: %s\n", jet_code_name(jet_status_code(st)), jet_status_message(st));
  jet_status_free(st);
  return 1;
}

/* Downloads arr and prints "label = <numpy-style value>". */
static jet_status print_array(const char *label, const jet_array *arr) {
  void *data;
  size_t nbytes;
  JET_RETURN_IF_ERROR(jet_array_get_alloc(arr, &data, &nbytes));
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = jet_format_array(jet_array_type(arr), data, &sb);
  if (!st) printf("%s = %s\n", label, sb.data);
  jet_strbuf_free(&sb);
  free(data);
  return st;
}

/* dot(x, y) for two f32[n] vectors, as a compiled one-node graph. */
static jet_status compile_dot(jet_client *c, const jet_type *vec, jet_executable **out) {
  jet_builder *b = jet_builder_create("dot");
  if (!b) return jet_status_oom("builder");
  const int64_t contract[1] = {0};
  jet_value x = jet_builder_param(b, vec);
  jet_value y = jet_builder_param(b, vec);
  jet_value d = jet_dot_general(b, x, y, contract, 1, contract, 1, NULL, 0, NULL, 0);
  jet_status st = jet_builder_return(b, &d, 1);
  if (!st) st = jet_compile(c, b, NULL, 0, out);
  jet_builder_destroy(b);
  return st;
}

/* ---------------------------------------------------------------------- */
/* The grad section */

/* Compiles the builder's graph under tf, runs it on the inline arguments
 * and prints "label = v" for one output or "label = (v0, v1, ...)" for
 * several, each value numpy-formatted. */
static jet_status run_grad(jet_client *c, jet_builder *b, const jet_transform *tf,
                           const char *label, const jet_arg *args, size_t n_args) {
  jet_executable *exe = NULL;
  JET_RETURN_IF_ERROR(jet_compile(c, b, tf, 1, &exe));
  size_t n = jet_executable_num_outputs(exe);
  jet_result res[8] = {{0}};
  if (n == 0 || n > 8)
    return jet_status_make(JET_INTERNAL, "%s: unexpected %zu outputs", label, n);
  JET_RETURN_IF_ERROR(jet_execute_inline(exe, args, n_args, res, n));
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  jet_status st = NULL;
  if (n > 1) jet_strbuf_puts(&sb, "(");
  for (size_t i = 0; !st && i < n; i++) {
    if (i) jet_strbuf_puts(&sb, ", ");
    st = jet_format_array(&res[i].type, res[i].data, &sb);
  }
  if (n > 1) jet_strbuf_puts(&sb, ")");
  if (!st) st = jet_strbuf_status(&sb);
  if (!st) printf("%s = %s\n", label, sb.data);
  jet_strbuf_free(&sb);
  jet_results_clear(res, n);
  return st;
}

/* One-parameter graph x -> body(x), x of type t. */
typedef jet_value (*body_fn)(jet_builder *b, jet_value x);

static jet_value square_body(jet_builder *b, jet_value x) { return jet_square(b, x); }
static jet_value composite_body(jet_builder *b, jet_value x) {
  return jet_cos(b, jet_integer_pow(b, x, 2));
}
static jet_value norm_body(jet_builder *b, jet_value v) {
  const int64_t axes[1] = {0};
  return jet_sqrt(b, jet_reduce_sum(b, jet_mul(b, v, v), axes, 1));
}

static jet_status grad_of(jet_client *c, const char *name, body_fn body, const jet_type *t,
                          const void *x, const char *label) {
  jet_builder *b = jet_builder_create(name);
  if (!b) return jet_status_oom("builder");
  jet_value p = jet_builder_param(b, t);
  jet_value y = body(b, p);
  jet_status st = jet_builder_return(b, &y, 1);
  jet_transform g = jet_tf_grad(NULL, 0, false);
  jet_arg arg = jet_arg_inline(t, x);
  if (!st) st = run_grad(c, b, &g, label, &arg, 1);
  jet_builder_destroy(b);
  return st;
}

/* f(x, y) = x * y**2 with grad argnums=1 and argnums=(0, 1). */
static jet_status grad_f(jet_client *c) {
  jet_type s = jet_type_scalar(JET_F32);
  jet_builder *b = jet_builder_create("f");
  if (!b) return jet_status_oom("builder");
  jet_value x = jet_builder_param(b, &s);
  jet_value y = jet_builder_param(b, &s);
  jet_value r = jet_mul(b, x, jet_integer_pow(b, y, 2));
  jet_status st = jet_builder_return(b, &r, 1);
  const float xv = 3.0f, yv = 4.0f;
  jet_arg args[2] = {jet_arg_inline(&s, &xv), jet_arg_inline(&s, &yv)};
  const int32_t one[1] = {1}, both[2] = {0, 1};
  jet_transform dfdy = jet_tf_grad(one, 1, false);
  jet_transform gradient = jet_tf_grad(both, 2, false);
  if (!st) st = run_grad(c, b, &dfdy, "dfdy(3.0, 4.0)", args, 2);
  if (!st) st = run_grad(c, b, &gradient, "gradient(3.0, 4.0)", args, 2);
  jet_builder_destroy(b);
  return st;
}

static jet_status grad_section(jet_client *c, const float *a_data, const jet_type *vec) {
  jet_type s = jet_type_scalar(JET_F32);
  const float three = 3.0f;
  const float x = sqrtf((float)(M_PI / 2)); /* jnp.sqrt(pi/2) in float32 */
  JET_RETURN_IF_ERROR(grad_of(c, "square", square_body, &s, &three, "grad(square)(3.0)"));
  JET_RETURN_IF_ERROR(grad_of(c, "composite_func", composite_body, &s, &x,
                              "grad(composite_func)(sqrt(pi/2))"));
  JET_RETURN_IF_ERROR(grad_f(c));
  return grad_of(c, "norm", norm_body, vec, a_data, "grad(norm)(a)");
}

int main(int argc, char **argv) {
  jet_client *c;
  jet_status st = jet_client_connect(argc > 1 ? argv[1] : NULL, &c);
  if (st) return fail(st);

  const float a_data[3] = {1, 2, 3};
  const float b_data[3] = {1, 1, -1};
  const int64_t n = 3;
  jet_type vec = jet_type_make(JET_F32, 1, &n);
  jet_array *a = NULL, *b = NULL, *dot = NULL, *sq = NULL;
  jet_executable *dot_exe = NULL;

  st = jet_array_put(c, &vec, a_data, &a);
  if (!st) st = jet_array_put(c, &vec, b_data, &b);
  if (!st) st = compile_dot(c, &vec, &dot_exe);
  if (!st) {
    jet_arg args[2] = {jet_arg_of_array(a), jet_arg_of_array(b)};
    jet_result r = {0};
    r.keep_on_server = true;
    st = jet_execute(dot_exe, args, 2, &r, 1);
    dot = r.array;
  }
  if (!st) st = jet_eager_unary(c, JET_OP_SQUARE, a, &sq);
  if (!st) st = print_array("dot(a, b)", dot);
  if (!st) st = print_array("square(a)", sq);
  if (!st) st = grad_section(c, a_data, &vec);

  jet_array *all[4] = {a, b, dot, sq};
  for (int i = 0; i < 4; i++) {
    jet_status fst = jet_array_free(all[i]);
    if (!st)
      st = fst;
    else
      jet_status_free(fst);
  }
  jet_client_close(c);
  return st ? fail(st) : 0;
}
