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
 * Usage: jet_tutorial [HOST:PORT]   (default $JET_ADDRESS, then
 * 127.0.0.1:7450). Prints:
 *   dot(a, b) = 0.0
 *   square(a) = [1. 4. 9.]
 */
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
