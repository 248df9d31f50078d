/* Authentication and tenants (issue 9): TLS + mutual TLS + bearer tokens on
 * 127.0.0.1 with certificates made by the openssl CLI at test time; missing
 * or wrong tokens are UNAUTHENTICATED; a client without a certificate is
 * refused; tenants cannot use each other's sessions, handles or executable
 * ids; SIGHUP adds and revokes tokens while other clients keep working;
 * protected mode refuses 0.0.0.0 without TLS and tokens; Health Check needs
 * no token; SIGHUP re-reads the certificate and key (new connections get
 * the new ones, open ones keep working, files that fail the checks keep
 * the old), and a key that is not the certificate's is refused at start. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <grpc/grpc.h>
#include <grpc/grpc_security.h>
#include <grpc/support/time.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "daemon_harness.h"
#include "jet/jet.h"
#include "jet/rpc_codec.h"
#include "jet/v1/jet.pb-c.h"

static char g_dir[256];
static char g_ca[300], g_srv_cert[300], g_srv_key[300], g_cli_cert[300], g_cli_key[300];
static char g_tokens[300];

static int sh(const char *cmd) {
  int rc = system(cmd);
  if (rc != 0) fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
  return rc;
}

static void write_tokens(const char *const *pairs) { /* tenant, token, ..., NULL */
  FILE *f = fopen(g_tokens, "w");
  assert_non_null(f);
  fprintf(f, "# test tokens\n");
  for (; pairs[0]; pairs += 2) {
    char cmd[512], hex[128] = "";
    snprintf(cmd, sizeof cmd, "printf %%s '%s' | sha256sum", pairs[1]);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    assert_non_null(fgets(hex, sizeof hex, p));
    pclose(p);
    hex[64] = '\0';
    fprintf(f, "%s sha256:%s\n", pairs[0], hex);
  }
  fclose(f);
}

static int group_setup(void **state) {
  (void)state;
  snprintf(g_dir, sizeof g_dir, "/tmp/jet-auth-XXXXXX");
  if (!mkdtemp(g_dir)) return -1;
  snprintf(g_ca, sizeof g_ca, "%s/ca.pem", g_dir);
  snprintf(g_srv_cert, sizeof g_srv_cert, "%s/srv.pem", g_dir);
  snprintf(g_srv_key, sizeof g_srv_key, "%s/srv.key", g_dir);
  snprintf(g_cli_cert, sizeof g_cli_cert, "%s/cli.pem", g_dir);
  snprintf(g_cli_key, sizeof g_cli_key, "%s/cli.key", g_dir);
  snprintf(g_tokens, sizeof g_tokens, "%s/tokens", g_dir);
  char cmd[2048];
  snprintf(cmd, sizeof cmd,
           "cd %s && exec >openssl.log 2>&1 && "
           "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
           "-subj /CN=jet-test-ca && "
           "openssl req -newkey rsa:2048 -nodes -keyout srv.key -out srv.csr "
           "-subj /CN=localhost && "
           "printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\\n' > srv.ext && "
           "openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out srv.pem "
           "-days 2 -extfile srv.ext && "
           "openssl req -newkey rsa:2048 -nodes -keyout cli.key -out cli.csr "
           "-subj /CN=jet-client && "
           "openssl x509 -req -in cli.csr -CA ca.pem -CAkey ca.key -CAcreateserial -out cli.pem "
           "-days 2 && "
           "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca2.key -out ca2.pem -days 2 "
           "-subj /CN=jet-test-ca-2 && "
           "openssl req -newkey rsa:2048 -nodes -keyout srv2.key -out srv2.csr "
           "-subj /CN=localhost && "
           "openssl x509 -req -in srv2.csr -CA ca2.pem -CAkey ca2.key -CAcreateserial "
           "-out srv2.pem -days 2 -extfile srv.ext",
           g_dir);
  return sh(cmd) == 0 ? 0 : -1;
}

static int group_teardown(void **state) {
  (void)state;
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", g_dir);
  return sh(cmd) == 0 ? 0 : -1;
}

/* A client of the TLS daemon (cert: mutual TLS certificate or not). */
static jet_status open_tls(const char *addr, const char *token, bool cert, bool no_session,
                           jet_client **out) {
  jet_client_options o = {.address = addr, .token = token, .tls_ca_file = g_ca,
                          .no_session = no_session, .connect_timeout_ms = 5000,
                          .timeout_ms = 10000};
  if (cert) {
    o.tls_cert_file = g_cli_cert;
    o.tls_key_file = g_cli_key;
  }
  return jet_client_open(&o, out);
}

static jet_status open_plain(const char *addr, const char *token, jet_client **out) {
  jet_client_options o = {.address = addr, .token = token, .connect_timeout_ms = 5000,
                          .timeout_ms = 10000};
  return jet_client_open(&o, out);
}

static void square_exe(jet_client *c, jet_executable **e) {
  jet_builder *b = jet_builder_create("square");
  assert_non_null(b);
  jet_type s = jet_type_scalar(JET_F32);
  jet_value x = jet_builder_param(b, &s);
  jet_value y = jet_integer_pow(b, x, 2);
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  JET_TEST_OK(jet_compile(c, b, NULL, 0, e));
  jet_builder_destroy(b);
}

static void expect_square(jet_executable *e, float x) {
  jet_type s = jet_type_scalar(JET_F32);
  jet_arg arg = jet_arg_inline(&s, &x);
  jet_result r = {0};
  JET_TEST_OK(jet_execute_inline(e, &arg, 1, &r, 1));
  assert_float_equal(*(float *)r.data, x * x, 0);
  jet_result_clear(&r);
}

static void test_protected_mode(void **state) {
  (void)state;
  char jetd[1024];
  snprintf(jetd, sizeof jetd, "%s", JETD_PATH);
  const char *argv[] = {jetd, "--listen", "0.0.0.0:0", NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(argv, NULL, 20000, &r), 0);
  assert_int_equal(r.status, 2);
  if (!strstr(r.err, "protected mode") || !strstr(r.err, "tls-cert") ||
      !strstr(r.err, "tokens-file"))
    fail_msg("unexpected message: %s", r.err);
  jet_test_proc_result_free(&r);
  /* A bad tokens file: exit 2 naming the file and line. */
  FILE *f = fopen(g_tokens, "w");
  assert_non_null(f);
  fputs("# ok\nteam sha256:nothex\n", f);
  fclose(f);
  const char *argv2[] = {jetd, "--listen", "127.0.0.1:0", "--tokens-file", g_tokens, NULL};
  assert_int_equal(jet_test_run_program(argv2, NULL, 20000, &r), 0);
  assert_int_equal(r.status, 2);
  char want[400];
  snprintf(want, sizeof want, "%s:2:", g_tokens);
  if (!strstr(r.err, want)) fail_msg("no '%s' in: %s", want, r.err);
  jet_test_proc_result_free(&r);
}

static void test_tls_tokens_sighup(void **state) {
  (void)state;
  write_tokens((const char *const[]){"a", "tok-a", "b", "tok-b", "c", "tok-c", NULL});
  const char *args[] = {"--tls-cert", g_srv_cert, "--tls-key", g_srv_key, "--tls-client-ca",
                        g_ca, "--tokens-file", g_tokens, NULL};
  jet_test_daemon *d;
  assert_int_equal(jet_test_daemon_start(args, &d), 0);
  const char *addr = jet_test_daemon_address(d);
  jet_client *ca = NULL, *cc = NULL, *x = NULL;

  JET_TEST_OK(open_tls(addr, "tok-a", true, false, &ca));
  jet_executable *ea;
  square_exe(ca, &ea);
  expect_square(ea, 3.0f);
  /* Missing and wrong tokens; the message never holds the token. */
  JET_TEST_FAILS(open_tls(addr, NULL, true, false, &x), JET_UNAUTHENTICATED, "no bearer token");
  jet_status st = open_tls(addr, "tok-wrong-secret", true, false, &x);
  assert_int_equal(jet_status_code(st), JET_UNAUTHENTICATED);
  assert_null(strstr(jet_status_message(st), "tok-wrong-secret"));
  assert_non_null(strstr(jet_status_message(st), "not valid"));
  jet_status_free(st);
  /* No client certificate under mutual TLS, or no TLS at all: refused. */
  st = open_tls(addr, "tok-a", false, false, &x);
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_UNAVAILABLE);
  jet_status_free(st);
  st = open_plain(addr, "tok-a", &x);
  assert_non_null(st);
  jet_status_free(st);
  /* Health Check needs no token. */
  JET_TEST_OK(open_tls(addr, NULL, true, true, &x));
  int serving = 0;
  JET_TEST_OK(jet_client_health(x, &serving));
  assert_int_equal(serving, 1);
  JET_TEST_FAILS(jet_client_stats(x, &(jet_stats){0}), JET_UNAUTHENTICATED, NULL);
  jet_client_close(x);

  /* SIGHUP: revoke a, add d; c keeps its connection and works. */
  JET_TEST_OK(open_tls(addr, "tok-c", true, false, &cc));
  jet_executable *ec;
  square_exe(cc, &ec);
  write_tokens((const char *const[]){"b", "tok-b", "c", "tok-c", "d", "tok-d", NULL});
  assert_int_equal(jet_test_daemon_signal(d, SIGHUP), 0);
  jet_client *cd = NULL;
  for (int i = 0; i < 200 && !cd; i++) { /* the reload is asynchronous */
    st = open_tls(addr, "tok-d", true, false, &cd);
    if (st) {
      assert_int_equal(jet_status_code(st), JET_UNAUTHENTICATED);
      jet_status_free(st);
      jet_test_sleep_ms(50);
    }
  }
  assert_non_null(cd);
  jet_executable *ed;
  square_exe(cd, &ed);
  expect_square(ed, 5.0f);
  jet_type s = jet_type_scalar(JET_F32);
  float two = 2.0f;
  jet_arg arg = jet_arg_inline(&s, &two);
  jet_result r = {0};
  JET_TEST_FAILS(jet_execute_inline(ea, &arg, 1, &r, 1), JET_UNAUTHENTICATED, "revoked");
  expect_square(ec, 4.0f);
  jet_array *arr;
  JET_TEST_OK(jet_array_put(cc, &s, &two, &arr));
  float back = 0;
  JET_TEST_OK(jet_array_get(arr, &back, sizeof back));
  assert_float_equal(back, 2.0f, 0);
  JET_TEST_OK(jet_array_free(arr));
  /* A bad file on SIGHUP keeps the table. */
  FILE *f = fopen(g_tokens, "w");
  fputs("garbage\n", f);
  fclose(f);
  assert_int_equal(jet_test_daemon_signal(d, SIGHUP), 0);
  jet_test_sleep_ms(200);
  expect_square(ec, 6.0f);
  expect_square(ed, 7.0f);
  /* The CLI's global options. */
  char tokfile[400];
  snprintf(tokfile, sizeof tokfile, "%s/tok-c.txt", g_dir);
  f = fopen(tokfile, "w");
  fputs("tok-c\n", f);
  fclose(f);
  char keyopt[400];
  snprintf(keyopt, sizeof keyopt, "--tls-key=%s", g_cli_key);
  const char *cli_ok[] = {"--tls-ca", g_ca, "--tls-cert", g_cli_cert, keyopt,
                          "--token-file", tokfile, "stats", NULL};
  jet_test_proc_result pr;
  assert_int_equal(jet_test_run_cli(addr, cli_ok, &pr), 0);
  if (pr.status != 0) fail_msg("jet stats: %d: %s", pr.status, pr.err);
  jet_test_proc_result_free(&pr);
  const char *cli_no_token[] = {"--tls-ca", g_ca, "--tls-cert", g_cli_cert, keyopt, "stats",
                                NULL};
  assert_int_equal(jet_test_run_cli(addr, cli_no_token, &pr), 0);
  assert_int_equal(pr.status, 1);
  if (!strstr(pr.err, "UNAUTHENTICATED")) fail_msg("jet stats without token: %s", pr.err);
  jet_test_proc_result_free(&pr);
  jet_client_close(ca);
  jet_client_close(cc);
  jet_client_close(cd);
  assert_int_equal(jet_test_daemon_stop(d), 0);
}

/* A plain-TLS client trusting the CA file `ca`. */
static jet_status open_ca(const char *addr, const char *ca, jet_client **out) {
  jet_client_options o = {.address = addr, .tls_ca_file = ca, .connect_timeout_ms = 5000,
                          .timeout_ms = 10000};
  return jet_client_open(&o, out);
}

static void copy_file(const char *from, const char *to) {
  char cmd[800];
  snprintf(cmd, sizeof cmd, "cp '%s' '%s'", from, to);
  assert_int_equal(sh(cmd), 0);
}

static void test_tls_reload(void **state) {
  (void)state;
  char cert[320], key[320], ca2[320], srv2[320], srv2key[320];
  snprintf(cert, sizeof cert, "%s/live.pem", g_dir);
  snprintf(key, sizeof key, "%s/live.key", g_dir);
  snprintf(ca2, sizeof ca2, "%s/ca2.pem", g_dir);
  snprintf(srv2, sizeof srv2, "%s/srv2.pem", g_dir);
  snprintf(srv2key, sizeof srv2key, "%s/srv2.key", g_dir);
  copy_file(g_srv_cert, cert);
  copy_file(g_srv_key, key);
  const char *args[] = {"--tls-cert", cert, "--tls-key", key, NULL};
  jet_test_daemon *d;
  assert_int_equal(jet_test_daemon_start(args, &d), 0);
  const char *addr = jet_test_daemon_address(d);
  jet_client *old = NULL, *x = NULL;
  JET_TEST_OK(open_ca(addr, g_ca, &old));
  jet_executable *e;
  square_exe(old, &e);
  jet_status st = open_ca(addr, ca2, &x); /* not trusted yet */
  assert_non_null(st);
  jet_status_free(st);

  /* Renewed: a certificate of another CA. */
  copy_file(srv2, cert);
  copy_file(srv2key, key);
  assert_int_equal(jet_test_daemon_signal(d, SIGHUP), 0);
  for (int i = 0; i < 100 && !x; i++) { /* the reload is asynchronous */
    st = open_ca(addr, ca2, &x);
    if (st) {
      jet_status_free(st);
      jet_test_sleep_ms(50);
    }
  }
  if (!x) fail_msg("no connection with the renewed certificate after SIGHUP");
  jet_executable *e2;
  square_exe(x, &e2);
  expect_square(e2, 3.0f);
  jet_client_close(x);
  x = NULL;
  expect_square(e, 4.0f); /* the open connection keeps working */
  st = open_ca(addr, g_ca, &x); /* a new one gets the new certificate */
  assert_non_null(st);
  assert_int_equal(jet_status_code(st), JET_UNAVAILABLE);
  jet_status_free(st);

  /* A key that is not the certificate's: refused, the renewed one stays. */
  copy_file(g_srv_key, key);
  assert_int_equal(jet_test_daemon_signal(d, SIGHUP), 0);
  jet_test_sleep_ms(300);
  JET_TEST_OK(open_ca(addr, ca2, &x));
  square_exe(x, &e2);
  expect_square(e2, 5.0f);
  jet_client_close(x);
  jet_client_close(old);
  assert_int_equal(jet_test_daemon_stop(d), 0);

  /* ... and at start: exit 2 naming both files. */
  const char *argv[] = {JETD_PATH, "--listen", "127.0.0.1:0", "--tls-cert", cert,
                        "--tls-key", key, NULL};
  jet_test_proc_result r;
  assert_int_equal(jet_test_run_program(argv, NULL, 20000, &r), 0);
  assert_int_equal(r.status, 2);
  if (!strstr(r.err, "does not belong to tls-cert")) fail_msg("unexpected message: %s", r.err);
  jet_test_proc_result_free(&r);
}

/* ---- raw unary calls with chosen token and session ---- */

static grpc_status_code raw(const char *addr, const char *method, const ProtobufCMessage *msg,
                            const char *token, const char *session, char *details, size_t cap) {
  grpc_init();
  grpc_channel_credentials *cr = grpc_insecure_credentials_create();
  grpc_channel *ch = grpc_channel_create(addr, cr, NULL);
  grpc_channel_credentials_release(cr);
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  grpc_slice m = grpc_slice_from_static_string(method);
  gpr_timespec dl =
      gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(10, GPR_TIMESPAN));
  grpc_call *call = grpc_channel_create_call(ch, NULL, 0, cq, m, NULL, dl, NULL);
  char bearer[256];
  snprintf(bearer, sizeof bearer, "Bearer %s", token);
  grpc_metadata md[2];
  size_t nmd = 0;
  md[nmd].key = grpc_slice_from_static_string("authorization");
  md[nmd++].value = grpc_slice_from_copied_string(bearer);
  if (session) {
    md[nmd].key = grpc_slice_from_static_string("jet-session");
    md[nmd++].value = grpc_slice_from_copied_string(session);
  }
  grpc_byte_buffer *req = jet_rpc_pack(msg), *resp = NULL;
  grpc_metadata_array im, tm;
  grpc_metadata_array_init(&im);
  grpc_metadata_array_init(&tm);
  grpc_status_code code = GRPC_STATUS_UNKNOWN;
  grpc_slice det = grpc_empty_slice();
  grpc_op ops[6];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[0].data.send_initial_metadata.count = nmd;
  ops[0].data.send_initial_metadata.metadata = md;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = req;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &im;
  ops[4].op = GRPC_OP_RECV_MESSAGE;
  ops[4].data.recv_message.recv_message = &resp;
  ops[5].op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  ops[5].data.recv_status_on_client.trailing_metadata = &tm;
  ops[5].data.recv_status_on_client.status = &code;
  ops[5].data.recv_status_on_client.status_details = &det;
  int tag;
  assert_int_equal(grpc_call_start_batch(call, ops, 6, &tag, NULL), GRPC_CALL_OK);
  grpc_event ev = grpc_completion_queue_pluck(cq, &tag, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  assert_int_equal(ev.type, GRPC_OP_COMPLETE);
  snprintf(details, cap, "%.*s", (int)GRPC_SLICE_LENGTH(det),
           (const char *)GRPC_SLICE_START_PTR(det));
  grpc_slice_unref(det);
  grpc_slice_unref(md[0].value);
  if (session) grpc_slice_unref(md[1].value);
  if (resp) grpc_byte_buffer_destroy(resp);
  grpc_byte_buffer_destroy(req);
  grpc_metadata_array_destroy(&im);
  grpc_metadata_array_destroy(&tm);
  grpc_call_unref(call);
  grpc_completion_queue_shutdown(cq);
  while (grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
         GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(cq);
  grpc_channel_destroy(ch);
  grpc_shutdown();
  return code;
}

static grpc_status_code raw_delete(const char *addr, const char *token, const char *session,
                                   const char *id, char *details, size_t cap) {
  Jet__V1__ArrayHandle h = JET__V1__ARRAY_HANDLE__INIT;
  h.id = (char *)id;
  Jet__V1__ArrayHandle *hs[1] = {&h};
  Jet__V1__DeleteArrayRequest q = JET__V1__DELETE_ARRAY_REQUEST__INIT;
  q.n_handles = 1;
  q.handles = hs;
  return raw(addr, "/jet.v1.Jet/DeleteArray", &q.base, token, session, details, cap);
}

static grpc_status_code raw_execute(const char *addr, const char *token, const char *exe_id,
                                    char *details, size_t cap) {
  Jet__V1__ExecuteRequest q = JET__V1__EXECUTE_REQUEST__INIT;
  q.executable_id = (char *)exe_id;
  return raw(addr, "/jet.v1.Jet/Execute", &q.base, token, NULL, details, cap);
}

static void test_tenants(void **state) {
  (void)state;
  write_tokens((const char *const[]){"a", "tok-a", "b", "tok-b", NULL});
  const char *args[] = {"--tokens-file", g_tokens, NULL};
  jet_test_daemon *d;
  assert_int_equal(jet_test_daemon_start(args, &d), 0);
  const char *addr = jet_test_daemon_address(d);
  jet_client *ca, *cb;
  JET_TEST_OK(open_plain(addr, "tok-a", &ca));
  JET_TEST_OK(open_plain(addr, "tok-b", &cb));
  jet_type s = jet_type_scalar(JET_F32);
  float v = 1.5f;
  jet_array *arr;
  JET_TEST_OK(jet_array_put(ca, &s, &v, &arr));
  const char *sa = jet_client_session(ca), *sb = jet_client_session(cb);
  const char *hid = jet_array_id(arr);
  char det[512];
  /* B presenting A's session: an unknown session. */
  assert_int_equal(raw_delete(addr, "tok-b", sa, hid, det, sizeof det),
                   GRPC_STATUS_FAILED_PRECONDITION);
  assert_non_null(strstr(det, "is not open"));
  /* B with its own session and A's handle: NOT_FOUND. */
  assert_int_equal(raw_delete(addr, "tok-b", sb, hid, det, sizeof det), GRPC_STATUS_NOT_FOUND);
  float back = 0;
  JET_TEST_OK(jet_array_get(arr, &back, sizeof back)); /* still A's */
  assert_float_equal(back, 1.5f, 0);
  /* Executables: an id compiled only by A is unknown to B. */
  jet_executable *ea;
  square_exe(ca, &ea);
  const char *id = jet_executable_id(ea);
  char det_unknown[512];
  assert_int_equal(raw_execute(addr, "tok-b", id, det, sizeof det), GRPC_STATUS_NOT_FOUND);
  assert_int_equal(raw_execute(addr, "tok-b", "00000000000000000000000000000000", det_unknown,
                               sizeof det_unknown),
                   GRPC_STATUS_NOT_FOUND);
  /* ... with the same message shape as a truly unknown id. */
  assert_non_null(strstr(det, "not found (compile it first)"));
  assert_non_null(strstr(det_unknown, "not found (compile it first)"));
  assert_int_equal(raw_execute(addr, "tok-a", id, det, sizeof det),
                   GRPC_STATUS_INVALID_ARGUMENT); /* visible: only the argument is missing */
  /* Once B compiles the same graph (a cache hit), B may run it too. */
  jet_executable *eb;
  square_exe(cb, &eb);
  assert_string_equal(jet_executable_id(eb), id);
  expect_square(eb, 9.0f);
  /* A wrong token on a raw call. */
  assert_int_equal(raw_execute(addr, "nope", id, det, sizeof det), GRPC_STATUS_UNAUTHENTICATED);
  JET_TEST_OK(jet_array_free(arr));
  jet_client_close(ca);
  jet_client_close(cb);
  assert_int_equal(jet_test_daemon_stop(d), 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_protected_mode),
      cmocka_unit_test(test_tls_tokens_sighup),
      cmocka_unit_test(test_tls_reload),
      cmocka_unit_test(test_tenants),
  };
  return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
