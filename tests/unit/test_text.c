/* Tests of the text form: round trips over the whole op table, bit-exact
 * literals, transforms syntax, golden files and parse errors. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/text.h"
#include "text_test_graphs.h"

/* Internal entry point: parse without inference (for transformed calls). */
jet_status jet__graph_parse_mode(const char *text, size_t len, bool check, jet_graph **out);

static void ok(jet_status st) {
  if (st) {
    fprintf(stderr, "unexpected error: %s: %s\n", jet_code_name(jet_status_code(st)),
            jet_status_message(st));
    jet_status_free(st);
    fail();
  }
}

static char *print_graph(const jet_graph *g) {
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  ok(jet_graph_print(g, &sb));
  char *s = jet_strbuf_take(&sb);
  assert_non_null(s);
  return s;
}

/* print -> parse -> print equal; returns the parsed graph. */
static jet_graph *round_trip(const jet_graph *g, bool check) {
  char *a = print_graph(g);
  jet_graph *p = NULL;
  jet_status st = jet__graph_parse_mode(a, strlen(a), check, &p);
  if (st) fprintf(stderr, "while parsing:\n%s", a);
  ok(st);
  char *b = print_graph(p);
  if (strcmp(a, b) != 0) fprintf(stderr, "first:\n%s\nsecond:\n%s", a, b);
  assert_string_equal(a, b);
  free(a);
  free(b);
  return p;
}

static void test_every_op_round_trips(void **state) {
  (void)state;
  for (int op = 0; op < JET_OP_COUNT; op++) {
    jet_graph *g = NULL;
    jet_status st = tg_build_op_graph((jet_op)op, &g);
    if (st) fprintf(stderr, "building op %s\n", jet_op_name((jet_op)op));
    ok(st);
    char *text = print_graph(g);
    /* the op's name appears in its graph's text */
    assert_non_null(strstr(text, jet_op_name((jet_op)op)));
    free(text);
    jet_graph *p = round_trip(g, true);
    assert_int_equal(p->n_nodes, g->n_nodes);
    assert_int_equal(p->nodes[0].op, op);
    assert_int_equal(p->nodes[0].n_attrs, g->nodes[0].n_attrs);
    jet_graph_destroy(p);
    jet_graph_destroy(g);
  }
}

/* A constant node of the given type and data; parse back and compare bytes. */
static void literal_bits_round_trip(jet_type t, const void *data, size_t nbytes) {
  jet_graph *g = jet_graph_create("lit");
  assert_non_null(g);
  jet_attr a;
  memset(&a, 0, sizeof a);
  a.name = "value";
  a.kind = JET_ATTR_LITERAL;
  a.u.lit.type = t;
  a.u.lit.data = data;
  a.u.lit.nbytes = nbytes;
  jet_value v;
  ok(jet_graph_add_node(g, JET_OP_CONSTANT, NULL, 0, &a, 1, NULL, NULL, 0, &v));
  ok(jet_graph_set_outputs(g, &v, 1));
  jet_graph *p = round_trip(g, true);
  const jet_attr *pa = jet_node_attr(&p->nodes[0], "value");
  assert_non_null(pa);
  assert_int_equal(pa->u.lit.nbytes, nbytes);
  assert_memory_equal(pa->u.lit.data, data, nbytes);
  jet_graph_destroy(p);
  jet_graph_destroy(g);
}

static float f32_bits(uint32_t b) {
  float f;
  memcpy(&f, &b, 4);
  return f;
}

static double f64_bits(uint64_t b) {
  double d;
  memcpy(&d, &b, 8);
  return d;
}

static void test_literals_bit_exact(void **state) {
  (void)state;
  float f[] = {0.0f, -0.0f, 1.0f, 0.1f, -2.5f, 3.4028235e38f, 1e-45f /* denormal */,
               1.17549435e-38f, INFINITY, -INFINITY, f32_bits(0x7fc00000), f32_bits(0xffc00000),
               f32_bits(0x7f800001), f32_bits(0x7fc12345), 16777217.0f, 123456.789f};
  literal_bits_round_trip(tg_type(JET_F32, 1, sizeof f / sizeof f[0], 0), f, sizeof f);
  double d[] = {0.0, -0.0, 0.1, 1.0 / 3.0, 1e308, 4.9e-324, -1e-300, INFINITY, -INFINITY,
                f64_bits(UINT64_C(0x7ff8000000000000)), f64_bits(UINT64_C(0xfff8000000000000)),
                f64_bits(UINT64_C(0x7ff0000000000001)), 9007199254740993.0, 2.718281828459045};
  literal_bits_round_trip(tg_type(JET_F64, 1, sizeof d / sizeof d[0], 0), d, sizeof d);
  int64_t i64[] = {INT64_MIN, INT64_MAX, -1, 0, 9007199254740993};
  literal_bits_round_trip(tg_type(JET_I64, 1, 5, 0), i64, sizeof i64);
  uint32_t u32[] = {0, 1, 2147483648u, UINT32_MAX};
  literal_bits_round_trip(tg_type(JET_U32, 1, 4, 0), u32, sizeof u32);
  int32_t i32[] = {INT32_MIN, INT32_MAX, -7};
  literal_bits_round_trip(tg_type(JET_I32, 1, 3, 0), i32, sizeof i32);
  uint8_t u8[] = {0, 255, 128};
  literal_bits_round_trip(tg_type(JET_U8, 1, 3, 0), u8, sizeof u8);
  uint8_t b[] = {1, 0, 0, 1};
  literal_bits_round_trip(tg_type(JET_BOOL, 2, 2, 2), b, sizeof b);
  float scalar = -0.0f;
  literal_bits_round_trip(tg_type(JET_F32, 0, 0, 0), &scalar, sizeof scalar);
  literal_bits_round_trip(tg_type(JET_F32, 1, 0, 0), NULL, 0); /* empty array */
}

static void test_literal_print(void **state) {
  (void)state;
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  float f[] = {1.0f, 4.0f, 9.5f};
  jet_type t = tg_type(JET_F32, 1, 3, 0);
  jet_literal_print(&t, f, &sb);
  assert_string_equal(sb.data, "f32[3]{1, 4, 9.5}");
  jet_strbuf_free(&sb);
  jet_strbuf_init(&sb);
  int32_t m[] = {1, -2, 3, 4};
  t = tg_type(JET_I32, 2, 2, 2);
  jet_literal_print(&t, m, &sb);
  assert_string_equal(sb.data, "i32[2,2]{1, -2, 3, 4}");
  jet_strbuf_free(&sb);
}

static void parse_literal_ok(const char *text, jet_type want_t, const void *want, size_t n) {
  jet_type t;
  void *data = NULL;
  size_t nb = 0;
  ok(jet_literal_parse(text, strlen(text), &t, &data, &nb));
  assert_true(jet_type_equal(&t, &want_t));
  assert_int_equal(nb, n);
  assert_memory_equal(data, want, n);
  free(data);
}

static void parse_literal_err(const char *text, const char *needle) {
  jet_type t;
  void *data = NULL;
  size_t nb = 0;
  jet_status st = jet_literal_parse(text, strlen(text), &t, &data, &nb);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  if (strstr(jet_status_message(st), needle) == NULL)
    fprintf(stderr, "message '%s' lacks '%s'\n", jet_status_message(st), needle);
  assert_non_null(strstr(jet_status_message(st), needle));
  jet_status_free(st);
}

static void test_literal_parse(void **state) {
  (void)state;
  float a[] = {1, 2, 3};
  parse_literal_ok("f32[3]{1, 2, 3}", tg_type(JET_F32, 1, 3, 0), a, sizeof a);
  float s = 2.5f;
  parse_literal_ok("f32[] 2.5", tg_type(JET_F32, 0, 0, 0), &s, sizeof s);
  parse_literal_ok("f32[]{2.5}", tg_type(JET_F32, 0, 0, 0), &s, sizeof s);
  int32_t m[] = {1, 2, 3, 4};
  parse_literal_ok("i32[2,2]{1,2,3,4}", tg_type(JET_I32, 2, 2, 2), m, sizeof m);
  uint8_t b[] = {1, 0};
  parse_literal_ok("bool[2]{true,false}", tg_type(JET_BOOL, 1, 2, 0), b, sizeof b);
  double d[] = {-1e-3, 0.5};
  parse_literal_ok("  float64[2] { -1e-3 , 5e-1 }  ", tg_type(JET_F64, 1, 2, 0), d, sizeof d);
  parse_literal_err("f32[3]{1, 2}", "needs 3 elements, got 2");
  parse_literal_err("f32[2]{1, 2, 3}", "more than 2 elements");
  parse_literal_err("f32[2] 1", "expected '{'");
  parse_literal_err("q32[2]{1, 2}", "unknown dtype");
  parse_literal_err("i32[1]{1.5}", "expected an integer");
  parse_literal_err("u32[1]{-1}", "unsigned");
  parse_literal_err("i32[1]{2147483648}", "out of range");
  parse_literal_err("bool[1]{maybe}", "true or false");
  parse_literal_err("f32[1]{1} x", "after the literal");
  parse_literal_err("f32[1]{1e999}", "out of range");
  parse_literal_err("", "line 1, column 1");
}

static void test_transforms_round_trip(void **state) {
  (void)state;
  jet_graph *g = NULL;
  ok(tg_build_op_graph(JET_OP_CALL, &g));
  /* A second graph with the same callee and a call carrying transforms,
   * appended without inference (transforms are not inferable yet). */
  jet_graph *h = jet_graph_create("tf");
  assert_non_null(h);
  jet_type t3 = tg_type(JET_F32, 1, 3, 0);
  jet_value p0, p1;
  ok(jet_graph_add_param(h, &t3, &p0));
  ok(jet_graph_add_param(h, &t3, &p1));
  jet_graph *c = jet_graph_create_child(h, "f");
  jet_value c0, c1, cs;
  ok(jet_graph_add_param(c, &t3, &c0));
  ok(jet_graph_add_param(c, &t3, &c1));
  jet_value ops[2] = {c0, c1};
  ok(jet_graph_add_node(c, JET_OP_MUL, ops, 2, NULL, 0, NULL, NULL, 0, &cs));
  ok(jet_graph_set_outputs(c, &cs, 1));
  int32_t argnums[] = {0, 1};
  jet_axis_spec axes[] = {{true, 0}, {false, 0}, {true, -1}};
  uint32_t devs[] = {0, 3};
  int32_t donate[] = {1};
  jet_transform tf[6];
  memset(tf, 0, sizeof tf);
  tf[0].kind = JET_TF_GRAD;
  tf[0].argnums = argnums;
  tf[0].n_argnums = 2;
  tf[0].has_aux = true;
  tf[0].argnums_tuple = true;
  tf[1].kind = JET_TF_VMAP;
  tf[1].in_axes = axes;
  tf[1].n_in_axes = 3;
  tf[1].out_axes = axes;
  tf[1].n_out_axes = 1;
  tf[1].axis_size = 4;
  tf[1].axis_name = "i \"q\"";
  tf[1].spmd_axis_name = "s";
  tf[2].kind = JET_TF_JVP;
  tf[2].has_aux = true;
  tf[3].kind = JET_TF_VJP;
  tf[4].kind = JET_TF_PMAP;
  tf[4].axis_name = "dev";
  tf[4].in_axes = axes;
  tf[4].n_in_axes = 2;
  tf[4].static_broadcasted_argnums = argnums;
  tf[4].n_static_argnums = 1;
  tf[4].devices = devs;
  tf[4].n_devices = 2;
  tf[4].axis_size = 2;
  tf[4].donate_argnums = donate;
  tf[4].n_donate_argnums = 1;
  tf[5].kind = JET_TF_VALUE_AND_GRAD;
  tf[5].holomorphic = true;
  tf[5].allow_int = true;
  jet_value hops[2] = {p0, p1};
  jet_type res[2] = {t3, t3};
  jet_value first;
  ok(jet_graph_append_node(h, JET_OP_CALL, hops, 2, NULL, 0, res, 2, c, tf, 6, &first));
  jet_value outs[2] = {first, first + 1};
  ok(jet_graph_set_outputs(h, outs, 2));
  jet_graph *p = round_trip(h, false);
  const jet_node *n = &p->nodes[0];
  assert_int_equal(n->n_transforms, 6);
  assert_int_equal(n->transforms[0].kind, JET_TF_GRAD);
  assert_int_equal(n->transforms[0].n_argnums, 2);
  assert_int_equal(n->transforms[0].argnums[1], 1);
  assert_true(n->transforms[0].has_aux);
  assert_true(n->transforms[0].argnums_tuple);
  assert_int_equal(n->transforms[1].n_in_axes, 3);
  assert_false(n->transforms[1].in_axes[1].mapped);
  assert_int_equal(n->transforms[1].in_axes[2].axis, -1);
  assert_string_equal(n->transforms[1].axis_name, "i \"q\"");
  assert_string_equal(n->transforms[1].spmd_axis_name, "s");
  assert_int_equal(n->transforms[1].axis_size, 4);
  assert_int_equal(n->transforms[4].n_devices, 2);
  assert_int_equal(n->transforms[4].devices[1], 3);
  assert_int_equal(n->transforms[4].donate_argnums[0], 1);
  assert_true(n->transforms[5].holomorphic && n->transforms[5].allow_int);
  jet_graph_destroy(p);

  /* Fields in another order parse to the same text. */
  const char *text =
      "graph tf(%0: f32[3]) {\n"
      "  %1 = call[transforms=[vmap(axis_name=\"i\", in_axes=[0, none], axis_size=2), "
      "grad(has_aux=true, argnums=[0])]] %0 : f32[3] {\n"
      "    graph f(%0: f32[3]) {\n      return %0\n    }\n  }\n  return %1\n}\n";
  const char *canon =
      "graph tf(%0: f32[3]) {\n"
      "  %1 = call[transforms=[vmap(in_axes=[0, none], axis_size=2, axis_name=\"i\"), "
      "grad(argnums=[0], has_aux=true)]] %0 : f32[3] {\n"
      "    graph f(%0: f32[3]) {\n      return %0\n    }\n  }\n  return %1\n}\n";
  ok(jet__graph_parse_mode(text, strlen(text), false, &p));
  char *s = print_graph(p);
  assert_string_equal(s, canon);
  free(s);
  jet_graph_destroy(p);
  /* With inference, a transformed call is refused with the line. */
  jet_status st = jet_graph_parse(text, strlen(text), &p);
  assert_non_null(st);
  assert_non_null(strstr(jet_status_message(st), "line 2"));
  jet_status_free(st);
  jet_graph_destroy(h);
  jet_graph_destroy(g);
}

/* Transformed calls are typed by inference now: the Jacobian kinds parse
 * with checking on and print back identically. */
static void test_typed_transformed_calls(void **state) {
  (void)state;
  const char *text =
      "graph h(%0: f32[3]) {\n"
      "  %1, %2 = call[transforms=[jacrev(argnums=[0], has_aux=true), "
      "hessian(has_aux=true, allow_int=true)]] %0 : f32[3,3,3,3], f32[] {\n"
      "    graph f(%0: f32[3]) {\n"
      "      %1 = mul %0, %0 : f32[3]\n"
      "      %2 = reduce_sum[axes=[0]] %1 : f32[]\n"
      "      return %1, %2\n"
      "    }\n"
      "  }\n"
      "  %3, %4 = call[transforms=[jacfwd(argnums=[0])]] %0 : f32[3,3], f32[3,3] {\n"
      "    graph f(%0: f32[3]) {\n"
      "      %1 = mul %0, %0 : f32[3]\n"
      "      %2 = neg %0 : f32[3]\n"
      "      return %1, %2\n"
      "    }\n"
      "  }\n"
      "  return %1, %2, %3, %4\n"
      "}\n";
  jet_graph *g = NULL;
  ok(jet_graph_parse(text, strlen(text), &g));
  assert_int_equal(g->nodes[0].n_transforms, 2);
  assert_int_equal(g->nodes[0].transforms[0].kind, JET_TF_JACREV);
  assert_int_equal(g->nodes[0].transforms[1].kind, JET_TF_HESSIAN);
  assert_true(g->nodes[0].transforms[1].allow_int);
  char *s = print_graph(g);
  assert_string_equal(s, text);
  free(s);
  jet_graph_destroy(g);
  /* A wrong result type is caught against the transformed signature. */
  char *bad = strdup(text);
  assert_non_null(bad);
  char *at = strstr(bad, "f32[3,3,3,3]");
  at[8] = '4';
  jet_status st = jet_graph_parse(bad, strlen(bad), &g);
  assert_non_null(st);
  assert_non_null(strstr(jet_status_message(st), "f32[3,3,3,3]"));
  jet_status_free(st);
  free(bad);
}

static void parse_err(const char *text, jet_code code, const char *needle) {
  jet_graph *g = NULL;
  jet_status st = jet_graph_parse(text, strlen(text), &g);
  if (st == NULL) fprintf(stderr, "parsed unexpectedly:\n%s\n", text);
  assert_non_null(st);
  assert_null(g);
  if (jet_status_code(st) != code || strstr(jet_status_message(st), needle) == NULL)
    fprintf(stderr, "got %s '%s', wanted '%s'\n", jet_code_name(jet_status_code(st)),
            jet_status_message(st), needle);
  assert_int_equal(jet_status_code(st), code);
  assert_non_null(strstr(jet_status_message(st), needle));
  jet_status_free(st);
}

static void test_parse_errors(void **state) {
  (void)state;
  const jet_code E = JET_INVALID_ARGUMENT;
  parse_err("graph g(%0: f32[3]) {\n  %1 = frobnicate %0 : f32[3]\n  return %1\n}\n", E,
            "line 2, column 8: unknown op 'frobnicate'");
  parse_err("graph g(%0: f33[3]) {\n  return %0\n}\n", E, "line 1, column 13: unknown dtype");
  parse_err("graph g(%0: f32[3]) {\n  %1 = neg %7 : f32[3]\n  return %1\n}\n", E,
            "line 2, column 12: value %7 is not defined");
  parse_err("graph g(%0: f32[3]) {\n  %1 = neg %0 : f32[3]\n}\n", E,
            "line 3, column 1: missing 'return'");
  parse_err("graph g(%0: f32[3]) {\n  %1 = neg %0 : f32[3]\n", E, "line 3");
  parse_err("graph g(%0: f32[3]) {\n  @@@\n  return %0\n}\n", E, "line 2, column 3");
  parse_err("hello world", E, "line 1, column 1: expected 'graph'");
  parse_err("graph g(%0: f32[3]) {\n  %2 = neg %0 : f32[3]\n  return %2\n}\n", E,
            "line 2, column 3: result %2 should be %1");
  parse_err("graph g(%1: f32[3]) {\n  return %1\n}\n", E, "line 1, column 9");
  parse_err("graph g(%0: f32[3]) {\n  %1 = neg %0 : f32[4]\n  return %1\n}\n", E,
            "line 2, column 3: node 0 (neg) result 0 is written as f32[4] but inference gives "
            "f32[3]");
  parse_err("graph g(%0: f32[3]) {\n  %1 = neg %0\n  return %1\n}\n", E, "line 3");
  parse_err("graph g(%0: f32[3], %1: i32[3]) {\n  %2 = add %0, %1 : f32[3]\n  return %2\n}\n", E,
            "line 2, column 3");
  parse_err("graph g(%0: f32[3]) {\n  %1 = neg[axes=[0]] %0 : f32[3]\n  return %1\n}\n", E,
            "line 2, column 12: op 'neg' has no attribute 'axes'");
  parse_err("graph g() {\n  %0 = constant[value=f32[2]{1}] : f32[2]\n  return %0\n}\n", E,
            "line 2, column 29: literal of type f32[2] needs 2 elements, got 1");
  parse_err("graph g(%0: f32[3]) {\n  return %0\n}\ntrailing", E, "line 4, column 1");
  parse_err("graph g(%0: f32[3]) {\n  return\n}\n", E, "line 1");
  parse_err("graph g(%0: f32[3]) {\n  %1 = neg %0 : f32[3]\n  return %1\n}\n"
            "graph h() {}\n", E, "line 5");
  parse_err("graph g(%0: f16[3]) {\n  return %0\n}\n", JET_UNIMPLEMENTED, "line 1, column 13");
  parse_err("graph g(%0: s32[3]) {\n  return %0\n}\n\"unterminated", E, "line 1");
}

static void test_comments_and_names(void **state) {
  (void)state;
  const char *text =
      "# a comment line\n"
      "graph \"odd name\"(%0: f32[2]) {   # trailing comment\n"
      "\n"
      "  # indented comment\n"
      "  %1 = neg %0 : f32[2]\n"
      "  return %1\n"
      "}\n";
  jet_graph *g = NULL;
  ok(jet_graph_parse(text, strlen(text), &g));
  assert_string_equal(g->name, "odd name");
  char *s = print_graph(g);
  assert_string_equal(s, "graph \"odd name\"(%0: f32[2]) {\n  %1 = neg %0 : f32[2]\n  return %1\n}\n");
  free(s);
  jet_graph_destroy(g);
  /* Unnamed graphs print without a name and parse back unnamed. */
  g = jet_graph_create("");
  jet_type t = tg_type(JET_I32, 0, 0, 0);
  jet_value v;
  ok(jet_graph_add_param(g, &t, &v));
  ok(jet_graph_set_outputs(g, &v, 1));
  jet_graph *p = round_trip(g, true);
  assert_string_equal(p->name, "");
  jet_graph_destroy(p);
  jet_graph_destroy(g);
}

/* Directory of this source file + "/../data/golden". */
static void golden_dir(char *buf, size_t cap) {
  snprintf(buf, cap, "%s", __FILE__);
  char *slash = strrchr(buf, '/');
  if (slash) *slash = '\0';
  slash = strrchr(buf, '/');
  if (slash) *slash = '\0';
  size_t n = strlen(buf);
  snprintf(buf + n, cap - n, "/data/golden");
}

static char *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  char *buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(f);
  if (buf) {
    buf[n] = '\0';
    *len = (size_t)n;
  }
  return buf;
}

static void test_golden_files(void **state) {
  (void)state;
  char dir[4096];
  golden_dir(dir, sizeof dir);
  DIR *d = opendir(dir);
  if (d == NULL) fprintf(stderr, "cannot open %s\n", dir);
  assert_non_null(d);
  int count = 0;
  struct dirent *e;
  while ((e = readdir(d)) != NULL) {
    size_t n = strlen(e->d_name);
    if (n < 5 || strcmp(e->d_name + n - 4, ".jet") != 0) continue;
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    size_t len = 0;
    char *text = read_file(path, &len);
    assert_non_null(text);
    jet_graph *g = NULL;
    jet_status st = jet_graph_parse(text, len, &g);
    if (st) fprintf(stderr, "%s: ", path);
    ok(st);
    char *again = print_graph(g);
    if (strcmp(again, text) != 0) fprintf(stderr, "%s reprints as:\n%s", path, again);
    assert_string_equal(again, text);
    free(again);
    free(text);
    jet_graph_destroy(g);
    count++;
  }
  closedir(d);
  assert_true(count >= 3);
}

static void test_tutorial_structure(void **state) {
  (void)state;
  char dir[4096];
  golden_dir(dir, sizeof dir);
  char path[8192];
  snprintf(path, sizeof path, "%s/../tutorial.jet", dir);
  size_t len = 0;
  char *text = read_file(path, &len);
  assert_non_null(text);
  jet_graph *g = NULL;
  ok(jet_graph_parse(text, len, &g));
  assert_int_equal(g->n_params, 2);
  assert_int_equal(g->n_nodes, 2);
  assert_int_equal(g->nodes[0].op, JET_OP_DOT_GENERAL);
  assert_int_equal(g->nodes[0].results[0].rank, 0);
  assert_int_equal(g->nodes[1].op, JET_OP_SQUARE);
  assert_int_equal(g->n_outputs, 2);
  assert_int_equal(g->outputs[0], 2);
  assert_int_equal(g->outputs[1], 3);
  jet_graph_destroy(g);
  free(text);
}

/* Every prefix of a valid file fails cleanly (or, missing only the final
 * newline, still parses); every single-byte corruption never crashes. */
static void test_truncated_and_corrupted(void **state) {
  (void)state;
  char dir[4096], path[8192];
  golden_dir(dir, sizeof dir);
  snprintf(path, sizeof path, "%s/call.jet", dir);
  size_t len = 0;
  char *text = read_file(path, &len);
  assert_non_null(text);
  for (size_t n = 0; n < len; n++) {
    jet_graph *g = NULL;
    jet_status st = jet_graph_parse(text, n, &g);
    if (n + 1 < len) {
      assert_non_null(st);
      assert_non_null(strstr(jet_status_message(st), "line "));
    }
    jet_status_free(st);
    jet_graph_destroy(g);
  }
  static const char junk[] = "%{}[](),:=\"#-x9";
  for (size_t n = 0; n < len; n++) {
    char saved = text[n];
    for (size_t j = 0; j < sizeof junk - 1; j++) {
      text[n] = junk[j];
      jet_graph *g = NULL;
      jet_status st = jet_graph_parse(text, len, &g);
      assert_true((st == NULL) != (g == NULL));
      jet_status_free(st);
      jet_graph_destroy(g);
    }
    text[n] = saved;
  }
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_every_op_round_trips),
      cmocka_unit_test(test_literals_bit_exact),
      cmocka_unit_test(test_literal_print),
      cmocka_unit_test(test_literal_parse),
      cmocka_unit_test(test_transforms_round_trip),
      cmocka_unit_test(test_typed_transformed_calls),
      cmocka_unit_test(test_parse_errors),
      cmocka_unit_test(test_comments_and_names),
      cmocka_unit_test(test_golden_files),
      cmocka_unit_test(test_tutorial_structure),
      cmocka_unit_test(test_truncated_and_corrupted),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
