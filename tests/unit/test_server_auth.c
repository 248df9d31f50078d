/* Bearer tokens and tenants of jetd (server/wire/auth.c, session and cache
 * tenants): token file parsing, hashing, lookup, reload keeping the old
 * table on error, protected mode. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "compiler/cache.h"
#include "runtime/session.h"
#include "wire/auth.h"

/* sha256("alpha") */
#define H_ALPHA "8ed3f6ad685b959ead7022518e1af76cd816f8e8ec7ccdda1ed4018e8f2223f8"

static void test_sha256(void **state) {
  (void)state;
  char hex[JET_SHA256_HEX + 1];
  jet_sha256_hex("", 0, hex);
  assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  jet_sha256_hex("abc", 3, hex);
  assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

static char *line_for(const char *tenant, const char *token) {
  char hex[JET_SHA256_HEX + 1];
  jet_sha256_hex(token, strlen(token), hex);
  char *s = malloc(256);
  snprintf(s, 256, "%s sha256:%s\n", tenant, hex);
  return s;
}

static void test_parse_and_lookup(void **state) {
  (void)state;
  char *a = line_for("team-a", "alpha"), *b = line_for("team_b.x", "beta");
  char *c = line_for("team-a", "alpha2");
  char text[1024];
  snprintf(text, sizeof text, "# tokens\n\n  %s%s   # another\n%s", a, b, c);
  jet_auth *auth = NULL;
  assert_null(jet_auth_parse("t", text, &auth));
  assert_int_equal(jet_auth_count(auth), 3);
  const char *ta = jet_auth_lookup(auth, "alpha", 5);
  assert_non_null(ta);
  assert_string_equal(ta, "team-a");
  assert_ptr_equal(jet_auth_lookup(auth, "alpha2", 6), ta); /* interned */
  assert_string_equal(jet_auth_lookup(auth, "beta", 4), "team_b.x");
  assert_null(jet_auth_lookup(auth, "alph", 4));
  assert_null(jet_auth_lookup(auth, "", 0));
  assert_null(jet_auth_lookup(auth, "gamma", 5));
  jet_auth_destroy(auth);
  /* Upper-case hex is accepted. */
  char up[256];
  snprintf(up, sizeof up, "%s", a);
  for (char *p = strchr(up, ':'); p && *p; p++)
    if (*p >= 'a' && *p <= 'f') *p = (char)(*p - 32);
  assert_null(jet_auth_parse("t", up, &auth));
  assert_string_equal(jet_auth_lookup(auth, "alpha", 5), "team-a");
  jet_auth_destroy(auth);
  /* An empty file is a valid, empty table. */
  assert_null(jet_auth_parse("t", "# nobody\n", &auth));
  assert_int_equal(jet_auth_count(auth), 0);
  assert_null(jet_auth_lookup(auth, "alpha", 5));
  jet_auth_destroy(auth);
  free(a);
  free(b);
  free(c);
}

static void expect_bad(const char *text, const char *needle) {
  jet_auth *auth = (jet_auth *)1;
  jet_status st = jet_auth_parse("tok.txt", text, &auth);
  assert_non_null(st);
  assert_null(auth);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  if (!strstr(jet_status_message(st), needle))
    fail_msg("'%s' lacks '%s'", jet_status_message(st), needle);
  jet_status_free(st);
}

static void test_parse_errors(void **state) {
  (void)state;
  expect_bad("a sha256:" H_ALPHA "\nb\n", "tok.txt:2:");
  expect_bad("a md5:abc\n", "tok.txt:1: expected 'TENANT sha256:");
  expect_bad("a sha256:" H_ALPHA "00\n", "tok.txt:1:");
  expect_bad("a sha256:zz" H_ALPHA "\n", "tok.txt:1:");
  expect_bad("# x\na sha256:" H_ALPHA "x\n", "tok.txt:2:");
  expect_bad("a/b sha256:" H_ALPHA "\n", "tok.txt:1: tenant name");
  expect_bad("a sha256:" H_ALPHA "\nb sha256:" H_ALPHA "\n",
             "tok.txt:2: this token hash appears twice");
  char longname[200];
  memset(longname, 'x', 100);
  snprintf(longname + 100, 100, " sha256:%s\n", H_ALPHA);
  expect_bad(longname, "tok.txt:1: tenant name must be");
  /* The error never contains the hash's token, and a token typed in place
   * of a hash is not echoed. */
  jet_auth *auth;
  jet_status st = jet_auth_parse("f", "a s3cr3t-token-value\n", &auth);
  assert_non_null(st);
  assert_null(strstr(jet_status_message(st), "s3cr3t"));
  jet_status_free(st);
}

static void write_file(const char *path, const char *text) {
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void test_load_and_reload(void **state) {
  (void)state;
  char dir[] = "/tmp/jet-auth-unit-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char path[256];
  snprintf(path, sizeof path, "%s/tokens", dir);
  char *a = line_for("a", "alpha"), *b = line_for("b", "beta");
  write_file(path, a);
  jet_auth *auth = NULL;
  assert_null(jet_auth_load(path, &auth));
  const char *ta = jet_auth_lookup(auth, "alpha", 5);
  assert_string_equal(ta, "a");
  assert_null(jet_auth_lookup(auth, "beta", 4));
  /* Add b, revoke a. */
  write_file(path, b);
  assert_null(jet_auth_reload(auth));
  assert_null(jet_auth_lookup(auth, "alpha", 5));
  assert_string_equal(jet_auth_lookup(auth, "beta", 4), "b");
  assert_string_equal(ta, "a"); /* names handed out stay valid */
  /* A bad file keeps the old table. */
  write_file(path, "b sha256:nothex\n");
  jet_status st = jet_auth_reload(auth);
  assert_non_null(st);
  assert_non_null(strstr(jet_status_message(st), ":1:"));
  assert_non_null(strstr(jet_status_message(st), path));
  jet_status_free(st);
  assert_string_equal(jet_auth_lookup(auth, "beta", 4), "b");
  assert_int_equal(jet_auth_count(auth), 1);
  /* So does a missing one. */
  unlink(path);
  st = jet_auth_reload(auth);
  assert_non_null(st);
  assert_non_null(strstr(jet_status_message(st), path));
  jet_status_free(st);
  assert_string_equal(jet_auth_lookup(auth, "beta", 4), "b");
  jet_auth_destroy(auth);
  /* Loading a missing file names it. */
  st = jet_auth_load(path, &auth);
  assert_non_null(st);
  assert_non_null(strstr(jet_status_message(st), path));
  jet_status_free(st);
  rmdir(dir);
  free(a);
  free(b);
}

static void test_listen_local(void **state) {
  (void)state;
  assert_true(jet_listen_is_local("127.0.0.1:7450"));
  assert_true(jet_listen_is_local("127.1.2.3:0"));
  assert_true(jet_listen_is_local("localhost:7450"));
  assert_true(jet_listen_is_local("[::1]:7450"));
  assert_true(jet_listen_is_local("unix:/tmp/x.sock"));
  assert_false(jet_listen_is_local("0.0.0.0:7450"));
  assert_false(jet_listen_is_local("[::]:7450"));
  assert_false(jet_listen_is_local("10.0.0.1:7450"));
  assert_false(jet_listen_is_local("example.org:7450"));
  assert_false(jet_listen_is_local(":7450"));
}

static void test_exposure(void **state) {
  (void)state;
  jet_config cfg;
  memset(&cfg, 0, sizeof cfg);
  snprintf(cfg.listen, sizeof cfg.listen, "0.0.0.0:7450");
  jet_status st = jet_auth_check_exposure(&cfg);
  assert_int_equal(jet_status_code(st), JET_FAILED_PRECONDITION);
  assert_non_null(strstr(jet_status_message(st), "tls-cert"));
  assert_non_null(strstr(jet_status_message(st), "tokens-file"));
  jet_status_free(st);
  snprintf(cfg.security.tokens_file, JET_CONFIG_PATH_MAX, "/x");
  st = jet_auth_check_exposure(&cfg);
  assert_non_null(st);
  assert_null(strstr(jet_status_message(st), "missing: tls-cert/tls-key tokens-file"));
  jet_status_free(st);
  snprintf(cfg.security.tls_cert, JET_CONFIG_PATH_MAX, "/c");
  st = jet_auth_check_exposure(&cfg);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT); /* no key */
  jet_status_free(st);
  snprintf(cfg.security.tls_key, JET_CONFIG_PATH_MAX, "/k");
  assert_null(jet_auth_check_exposure(&cfg));
  memset(&cfg.security, 0, sizeof cfg.security);
  snprintf(cfg.listen, sizeof cfg.listen, "127.0.0.1:0");
  assert_null(jet_auth_check_exposure(&cfg));
}

static void test_session_tenant(void **state) {
  (void)state;
  jet_sessions *s = jet_sessions_create();
  char ta[JET_TOKEN_HEX + 1], td[JET_TOKEN_HEX + 1];
  assert_null(jet_sessions_open_tenant(s, "x", "a", ta));
  assert_null(jet_sessions_open(s, "y", td));
  assert_null(jet_sessions_check_tenant(s, ta, "a"));
  assert_null(jet_sessions_check_tenant(s, td, NULL));
  assert_null(jet_sessions_check_tenant(s, td, "default"));
  jet_status st = jet_sessions_check_tenant(s, ta, "b");
  assert_int_equal(jet_status_code(st), JET_FAILED_PRECONDITION);
  assert_non_null(strstr(jet_status_message(st), "is not open"));
  jet_status_free(st);
  st = jet_sessions_check_tenant(s, ta, NULL);
  assert_non_null(st);
  jet_status_free(st);
  jet_sessions_close(s, ta);
  st = jet_sessions_check_tenant(s, ta, "a");
  assert_non_null(st);
  jet_status_free(st);
  jet_sessions_destroy(s);
}

static void test_cache_grants(void **state) {
  (void)state;
  jet_cache *c = jet_cache_create(4);
  assert_non_null(c);
  const char *id = "0123456789abcdef0123456789abcdef";
  assert_false(jet_cache_granted(c, id, "a"));
  assert_null(jet_cache_grant(c, id, "a"));
  assert_null(jet_cache_grant(c, id, "a"));
  assert_true(jet_cache_granted(c, id, "a"));
  assert_false(jet_cache_granted(c, id, "b"));
  assert_false(jet_cache_granted(c, "ffff", "a"));
  assert_null(jet_cache_grant(c, id, "b"));
  assert_true(jet_cache_granted(c, id, "b"));
  jet_cache_destroy(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_sha256),          cmocka_unit_test(test_parse_and_lookup),
      cmocka_unit_test(test_parse_errors),    cmocka_unit_test(test_load_and_reload),
      cmocka_unit_test(test_listen_local),    cmocka_unit_test(test_exposure),
      cmocka_unit_test(test_session_tenant),  cmocka_unit_test(test_cache_grants),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
