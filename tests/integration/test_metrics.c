/* jetd's observability (server/observe, issue 9): a daemon started with
 * `--metrics-listen 127.0.0.1:0 --log-format json --log-level debug` prints
 * `jetd metrics on ADDRESS`; after a few RPCs its /metrics (fetched with a
 * raw socket) passes a small exposition validator (every sample line
 * parses, TYPE before samples) and its counts and figures equal GetStats /
 * GetDevices taken just before (no RPC in between); /status.json equals
 * GetStats; unknown paths are 404, other methods 405, malformed or
 * oversized requests 400; the JSON log has one object per line and a debug
 * completion line per request. grpc.health.v1 Watch gets SERVING, then
 * NOT_SERVING at SIGTERM and the call ends OK; an unknown service gets
 * SERVICE_UNKNOWN. A non-loopback metrics-listen is refused with exit 2. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <grpc/byte_buffer_reader.h>
#include <grpc/grpc.h>
#include <grpc/grpc_security.h>

#include "daemon_harness.h"
#include "grpc/health/v1/health.pb-c.h"
#include "jet/jet.h"
#include "jet/text.h"
#include "loop_graphs.h"

/* ---- helpers ---------------------------------------------------------------- */

/* Sends `request` to HOST:PORT (IPv4) and reads the answer until the server
 * closes. Returns the malloc'd answer (NUL-terminated); *code = the status. */
static char *http_raw(const char *addr, const char *request, size_t req_len, int *code) {
  char host[64];
  const char *colon = strrchr(addr, ':');
  assert_non_null(colon);
  snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
  assert_int_equal(inet_pton(AF_INET, host, &sa.sin_addr), 1);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct timeval tv = {.tv_sec = 15};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  size_t off = 0;
  while (off < req_len) {
    ssize_t w = send(fd, request + off, req_len - off, MSG_NOSIGNAL);
    if (w <= 0) break; /* the server may answer and close early */
    off += (size_t)w;
  }
  size_t cap = 1 << 16, len = 0;
  char *buf = malloc(cap);
  assert_non_null(buf);
  for (;;) {
    if (cap - len < 4096) {
      buf = realloc(buf, cap *= 2);
      assert_non_null(buf);
    }
    ssize_t r = recv(fd, buf + len, cap - len - 1, 0);
    if (r <= 0) break;
    len += (size_t)r;
  }
  close(fd);
  buf[len] = '\0';
  *code = 0;
  if (sscanf(buf, "HTTP/1.1 %d", code) != 1) fail_msg("no HTTP status line in: %.200s", buf);
  return buf;
}

static char *http_get(const char *addr, const char *path, int *code) {
  char req[512];
  int n = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n", path, addr);
  return http_raw(addr, req, (size_t)n, code);
}

static const char *body_of(const char *resp) {
  const char *b = strstr(resp, "\r\n\r\n");
  assert_non_null(b);
  return b + 4;
}

/* The exposition validator: every line is "# HELP name ...", "# TYPE name
 * counter|gauge|histogram" or a sample `name{l="v",...} value` whose family
 * had its TYPE line first. Returns NULL or a static message. */
static const char *validate(const char *text) {
  static char why[512];
  char typed[64][128];
  int n_typed = 0, line_no = 0;
  for (const char *line = text; *line;) {
    line_no++;
    const char *eol = strchr(line, '\n');
    if (!eol) return "the last line has no newline";
    char l[1024];
    snprintf(l, sizeof l, "%.*s", (int)(eol - line), line);
    line = eol + 1;
    if (!strncmp(l, "# HELP ", 7)) continue;
    if (!strncmp(l, "# TYPE ", 7)) {
      char name[128], type[32];
      if (sscanf(l + 7, "%127s %31s", name, type) != 2 ||
          (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "histogram")) ||
          n_typed == 64)
        goto bad;
      snprintf(typed[n_typed++], 128, "%s", name);
      continue;
    }
    const char *c = l;
    char name[128];
    size_t k = 0;
    while ((*c == '_' || *c == ':' || (*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
            (k && *c >= '0' && *c <= '9')) && k < 127)
      name[k++] = *c++;
    name[k] = '\0';
    if (!k) goto bad;
    if (*c == '{') {
      c++;
      while (*c != '}') {
        while ((*c >= 'a' && *c <= 'z') || *c == '_') c++;
        if (*c++ != '=' || *c++ != '"') goto bad;
        while (*c && *c != '"') c += (*c == '\\' && c[1]) ? 2 : 1;
        if (*c++ != '"') goto bad;
        if (*c == ',') c++;
        else if (*c != '}') goto bad;
      }
      c++;
    }
    if (*c++ != ' ') goto bad;
    char *end;
    if (strcmp(c, "+Inf") && strcmp(c, "-Inf") && strcmp(c, "NaN")) {
      strtod(c, &end);
      if (end == c || *end) goto bad;
    }
    bool ok = false;
    for (int i = 0; i < n_typed && !ok; i++) {
      size_t tl = strlen(typed[i]);
      ok = !strncmp(name, typed[i], tl) &&
           (!name[tl] || !strcmp(name + tl, "_bucket") || !strcmp(name + tl, "_sum") ||
            !strcmp(name + tl, "_count"));
    }
    if (!ok) {
      snprintf(why, sizeof why, "line %d: sample before its TYPE: %.300s", line_no, l);
      return why;
    }
    continue;
  bad:
    snprintf(why, sizeof why, "line %d does not parse: %.300s", line_no, l);
    return why;
  }
  return NULL;
}

/* The value of the sample line starting with `series ` (exact labels). */
static double sample(const char *text, const char *series) {
  size_t n = strlen(series);
  for (const char *line = text; line && *line;) {
    if (!strncmp(line, series, n) && line[n] == ' ') return strtod(line + n + 1, NULL);
    line = strchr(line, '\n');
    if (line) line++;
  }
  return NAN;
}

/* Sum of jet_requests_total over codes for `method`. */
static double requests_of(const char *text, const char *method) {
  char key[128];
  snprintf(key, sizeof key, "jet_requests_total{method=\"%s\",", method);
  double sum = 0;
  for (const char *p = strstr(text, key); p; p = strstr(p + 1, key)) {
    const char *sp = strstr(p, "} ");
    sum += strtod(sp + 2, NULL);
  }
  return sum;
}

/* "key":NUMBER in a JSON text, after `after` when given. */
static double json_num(const char *json, const char *after, const char *key) {
  const char *from = after ? strstr(json, after) : json;
  assert_non_null(from);
  char k[128];
  snprintf(k, sizeof k, "\"%s\":", key);
  const char *p = strstr(from, k);
  if (!p) fail_msg("no %s in %.300s", k, from);
  return strtod(p + strlen(k), NULL);
}

static uint64_t stats_calls(const jet_stats *s, const char *method) {
  for (size_t i = 0; i < s->n_methods; i++) {
    const char *m = s->methods[i].method, *slash = strrchr(m, '/');
    if (!strcmp(slash ? slash + 1 : m, method)) return s->methods[i].calls;
  }
  fail_msg("GetStats has no method %s", method);
  return 0;
}

static jet_executable *compile_small(jet_client *c) {
  jet_builder *b = jet_builder_create("observe");
  assert_non_null(b);
  int64_t n = 8;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  jet_value x = jet_builder_param(b, &t);
  jet_value y = jet_tanh(b, jet_mul(b, x, x));
  JET_TEST_OK(jet_builder_return(b, &y, 1));
  jet_executable *e;
  JET_TEST_OK(jet_compile_ex(c, jet_builder_graph(b), NULL, 0, NULL, &e, NULL));
  jet_builder_destroy(b);
  return e;
}

/* ---- fixture ---------------------------------------------------------------- */

typedef struct world {
  jet_test_fixture *f;
  char maddr[128];
  jet_array *arrays[2];
} world;

static int setup(void **state) {
  static const char *const args[] = {"--metrics-listen", "127.0.0.1:0", "--log-format", "json",
                                     "--log-level",      "debug",       NULL};
  world *w = calloc(1, sizeof(*w));
  if (!w || jet_test_fixture_start(args, 1, &w->f) != 0) return -1;
  if (jet_test_daemon_metrics_address(w->f->daemon, w->maddr, sizeof w->maddr) != 0) return -1;
  /* Some traffic: devices, arrays, a compile (miss), the same again, an
   * Execute. */
  jet_client *c = w->f->client;
  for (int i = 0; i < 3; i++) {
    jet_device_info *d;
    size_t n;
    if (jet_client_devices(c, &d, &n)) return -1;
    jet_device_info_free(d);
  }
  int64_t n = 8;
  jet_type t = jet_type_make(JET_F32, 1, &n);
  float x[8] = {1, 2, 3, 4, 5, 6, 7, 8};
  for (int i = 0; i < 2; i++)
    if (jet_array_put(c, &t, x, &w->arrays[i])) return -1;
  jet_executable *e = compile_small(c);
  compile_small(c);
  jet_arg a = jet_arg_of_array(w->arrays[0]);
  jet_result r;
  memset(&r, 0, sizeof r);
  if (jet_execute_inline(e, &a, 1, &r, 1)) return -1;
  jet_result_clear(&r);
  *state = w;
  return 0;
}

static int teardown(void **state) {
  world *w = *state;
  for (int i = 0; i < 2; i++)
    if (w->arrays[i]) jet_status_free(jet_array_free(w->arrays[i]));
  int rc = jet_test_fixture_stop(w->f);
  free(w);
  return rc == 0 ? 0 : -1;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_metrics_match_stats(void **state) {
  world *w = *state;
  jet_client *c = w->f->client;
  jet_device_info *devs;
  size_t nd;
  JET_TEST_OK(jet_client_devices(c, &devs, &nd));
  jet_stats s;
  JET_TEST_OK(jet_client_stats(c, &s));
  int code;
  char *resp = http_get(w->maddr, "/metrics", &code);
  assert_int_equal(code, 200);
  assert_non_null(strstr(resp, "Content-Type: text/plain; version=0.0.4"));
  const char *text = body_of(resp);
  const char *why = validate(text);
  if (why) fail_msg("exposition invalid: %s\n%s", why, text);
  /* Every finished call is counted: unary methods equal GetStats' calls
   * (GetStats' own call finished before the scrape). */
  const char *methods[] = {"GetDevices", "PutArray", "Compile", "Execute", "GetStats"};
  for (size_t i = 0; i < 5; i++) {
    double got = requests_of(text, methods[i]);
    if (got != (double)stats_calls(&s, methods[i]))
      fail_msg("%s: /metrics counts %g, GetStats %llu", methods[i], got,
               (unsigned long long)stats_calls(&s, methods[i]));
  }
  assert_true(sample(text, "jet_requests_total{method=\"GetDevices\",code=\"OK\"}") == 4);
  assert_true(sample(text, "jet_request_duration_seconds_count{method=\"GetDevices\"}") == 4);
  assert_true(sample(text, "jet_request_duration_seconds_bucket{method=\"GetDevices\","
                           "le=\"+Inf\"}") == 4);
  assert_true(sample(text, "jet_live_arrays") == (double)s.live_arrays);
  assert_true(s.live_arrays >= 2);
  assert_true(sample(text, "jet_sessions_open") == (double)s.sessions);
  assert_true(sample(text, "jet_cache_hits_total") == (double)s.compile_cache_hits);
  assert_true(sample(text, "jet_cache_misses_total") == (double)s.compile_cache_misses);
  assert_true(sample(text, "jet_cache_entries") == (double)s.compile_cache_entries);
  assert_true(sample(text, "jet_cache_bytes") == (double)s.compile_cache_bytes);
  assert_true(s.compile_cache_misses >= 1);
  assert_true(sample(text, "jet_tenant_memory_bytes{tenant=\"default\"}") == (double)s.live_bytes);
  assert_true(sample(text, "jet_execute_queue_depth") == 0);
  assert_true(sample(text, "jet_uptime_seconds") >= 0);
  char key[160];
  snprintf(key, sizeof key, "jet_build_info{version=\"%s\"}", s.version);
  assert_true(sample(text, key) == 1);
  for (size_t i = 0; i < nd; i++) {
    snprintf(key, sizeof key, "jet_device_memory_bytes{device=\"%u\"}", devs[i].id);
    assert_true(sample(text, key) == (double)devs[i].memory_in_use_bytes);
    snprintf(key, sizeof key, "jet_device_arrays{device=\"%u\"}", devs[i].id);
    assert_true(sample(text, key) == (double)devs[i].live_arrays);
    snprintf(key, sizeof key, "jet_execute_queued{device=\"%u\"}", devs[i].id);
    assert_true(sample(text, key) == 0); /* nothing waits now */
  }
  assert_non_null(strstr(text, "# TYPE jet_compile_duration_seconds histogram\n"));
  free(resp);
  jet_device_info_free(devs);
  jet_stats_clear(&s);
}

/* `curl` of the metrics port (Debian's curl, an independent HTTP client)
 * gives valid Prometheus text with the compile histogram filled in. */
static void test_curl_metrics(void **state) {
  world *w = *state;
  char cmd[300];
  snprintf(cmd, sizeof cmd, "curl -sS --fail --max-time 10 http://%s/metrics", w->maddr);
  FILE *p = popen(cmd, "r");
  assert_non_null(p);
  size_t cap = 1 << 20, len = 0;
  char *text = malloc(cap);
  assert_non_null(text);
  for (size_t n; (n = fread(text + len, 1, cap - 1 - len, p)) > 0;) len += n;
  text[len] = '\0';
  const int rc = pclose(p);
  if (rc != 0) fail_msg("'%s' exited with %d (is curl installed?)", cmd, rc);
  const char *why = validate(text);
  if (why) fail_msg("curl's exposition is invalid: %s\n%s", why, text);
  if (!(sample(text, "jet_compile_duration_seconds_count") >= 1))
    fail_msg("no compile time observed:\n%s", text);
  free(text);
}

static void test_status_json_matches_stats(void **state) {
  world *w = *state;
  jet_stats s;
  JET_TEST_OK(jet_client_stats(w->f->client, &s));
  int code;
  char *resp = http_get(w->maddr, "/status.json", &code);
  assert_int_equal(code, 200);
  assert_non_null(strstr(resp, "Content-Type: application/json"));
  const char *j = body_of(resp);
  assert_true(json_num(j, NULL, "sessions") == s.sessions);
  assert_true(json_num(j, NULL, "live_arrays") == (double)s.live_arrays);
  assert_true(json_num(j, NULL, "live_bytes") == (double)s.live_bytes);
  assert_true(json_num(j, "\"cache\"", "entries") == (double)s.compile_cache_entries);
  assert_true(json_num(j, "\"cache\"", "hits") == (double)s.compile_cache_hits);
  assert_true(json_num(j, "\"cache\"", "misses") == (double)s.compile_cache_misses);
  assert_true(json_num(j, "\"method\":\"Compile\"", "calls") == (double)stats_calls(&s, "Compile"));
  assert_true(json_num(j, "\"tenant\":\"default\"", "memory_bytes") == (double)s.live_bytes);
  free(resp);
  /* The page itself: self-contained, fetches status.json every second. */
  resp = http_get(w->maddr, "/", &code);
  assert_int_equal(code, 200);
  assert_non_null(strstr(resp, "Content-Type: text/html"));
  assert_non_null(strstr(resp, "fetch('/status.json'"));
  assert_non_null(strstr(resp, "id=\"live-arrays\""));
  assert_null(strstr(resp, "http://"));
  assert_null(strstr(resp, "https://"));
  free(resp);
  jet_stats_clear(&s);
}

static void test_http_errors(void **state) {
  world *w = *state;
  int code;
  char *r = http_get(w->maddr, "/nope", &code);
  assert_int_equal(code, 404);
  free(r);
  r = http_get(w->maddr, "/metrics?debug=1", &code);
  assert_int_equal(code, 200);
  free(r);
  const char *bad[] = {"garbage\r\n\r\n", "GET /metrics HTTP/9.9\r\n\r\n",
                       "GET metrics HTTP/1.1\r\n\r\n", "get /metrics HTTP/1.1\r\n\r\n",
                       "GET /metr\x01ics HTTP/1.1\r\n\r\n"};
  for (size_t i = 0; i < 5; i++) {
    r = http_raw(w->maddr, bad[i], strlen(bad[i]), &code);
    if (code != 400) fail_msg("request %zu: HTTP %d, want 400", i, code);
    free(r);
  }
  const char *post = "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n";
  r = http_raw(w->maddr, post, strlen(post), &code);
  assert_int_equal(code, 405);
  free(r);
  /* Oversized head: answered 400 before it ends. */
  size_t big = 20000;
  char *huge = malloc(big);
  memcpy(huge, "GET /metrics HTTP/1.1\r\nX: ", 26);
  memset(huge + 26, 'a', big - 26);
  r = http_raw(w->maddr, huge, big, &code);
  assert_int_equal(code, 400);
  free(r);
  free(huge);
  /* Still serving. */
  r = http_get(w->maddr, "/metrics", &code);
  assert_int_equal(code, 200);
  free(r);
}

static int connect_to(const char *addr) {
  const char *colon = strrchr(addr, ':');
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
  inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  struct timeval tv = {.tv_sec = 15};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
  return fd;
}

/* 32 connections are held; the 33rd is closed at once; once they are gone
 * the server answers again. */
static void test_connection_bound(void **state) {
  world *w = *state;
  /* Each held connection is answered first (then held in its lingering
   * close), which proves the server counts it; one refused because an
   * earlier test's connection was still closing is tried again. */
  const char *req = "GET /status.json HTTP/1.1\r\n\r\n";
  char buf[256];
  int fds[32];
  for (int i = 0; i < 32; i++) {
    for (int tries = 0;; tries++) {
      assert_true(tries < 200);
      if (tries) jet_test_sleep_ms(10);
      fds[i] = connect_to(w->maddr);
      ssize_t sent = send(fds[i], req, strlen(req), MSG_NOSIGNAL);
      if (sent > 0 && recv(fds[i], buf, sizeof buf, 0) > 0) break;
      close(fds[i]);
    }
  }
  int extra = connect_to(w->maddr);
  ssize_t sent = send(extra, req, strlen(req), MSG_NOSIGNAL); /* may fail: closed */
  (void)sent;
  ssize_t r = recv(extra, buf, sizeof buf, 0);
  if (r > 0) fail_msg("connection 33 was served: %.*s", (int)r, buf);
  close(extra);
  for (int i = 0; i < 32; i++) close(fds[i]);
  bool served = false;
  for (int tries = 0; tries < 200 && !served; tries++) {
    if (tries) jet_test_sleep_ms(10); /* until the server has seen the closes */
    int fd = connect_to(w->maddr);
    sent = send(fd, req, strlen(req), MSG_NOSIGNAL);
    served = sent > 0 && recv(fd, buf, sizeof buf, 0) > 12 && !strncmp(buf, "HTTP/1.1 200", 12);
    close(fd);
  }
  assert_true(served);
}

static void test_json_log_lines(void **state) {
  world *w = *state;
  char *log = jet_test_read_file(jet_test_daemon_log_path(w->f->daemon), NULL);
  assert_non_null(log);
  int objects = 0, completions = 0;
  for (char *line = strtok(log, "\n"); line; line = strtok(NULL, "\n")) {
    /* stdout lines, the harness's notes and gRPC core's own log ("E1126 ...")
     * are not jetd log lines. */
    if (!strncmp(line, "jetd listening on", 17) || !strncmp(line, "jetd metrics on", 15) ||
        line[0] == '#' || (strchr("EWID", line[0]) && line[1] >= '0' && line[1] <= '9'))
      continue;
    /* main.c logs a line or two before jet_daemon_run applies log-format
     * (until main.c calls jet_log_set_json itself): text is allowed only
     * before the first JSON line. */
    if (!objects && line[0] != '{') continue;
    if (line[0] != '{' || line[strlen(line) - 1] != '}' || strncmp(line, "{\"ts\":\"", 7) ||
        !strstr(line, "\",\"level\":\"") || !strstr(line, ",\"req\":") ||
        !strstr(line, ",\"msg\":\""))
      fail_msg("not a JSON log line: %s", line);
    objects++;
    if (strstr(line, "\"level\":\"debug\"") && strstr(line, "GetDevices OK (") &&
        !strstr(line, "\"req\":null"))
      completions++;
  }
  assert_true(objects > 3);
  assert_true(completions >= 3); /* one per GetDevices call, with its req id */
  free(log);
}

/* ---- Health Watch (its own daemon: it is stopped by the test) -------------- */

typedef struct watch {
  grpc_call *call;
  grpc_completion_queue *cq;
  grpc_metadata_array md;
} watch;

static void watch_start(grpc_channel *ch, watch *w, const char *service) {
  w->cq = grpc_completion_queue_create_for_pluck(NULL);
  gpr_timespec deadline = gpr_time_add(gpr_now(GPR_CLOCK_REALTIME),
                                       gpr_time_from_seconds(25, GPR_TIMESPAN));
  grpc_slice path = grpc_slice_from_static_string("/grpc.health.v1.Health/Watch");
  w->call = grpc_channel_create_call(ch, NULL, GRPC_PROPAGATE_DEFAULTS, w->cq, path, NULL,
                                     deadline, NULL);
  assert_non_null(w->call);
  Grpc__Health__V1__HealthCheckRequest q = GRPC__HEALTH__V1__HEALTH_CHECK_REQUEST__INIT;
  q.service = (char *)service;
  uint8_t buf[256];
  size_t n = grpc__health__v1__health_check_request__pack(&q, buf);
  grpc_slice s = grpc_slice_from_copied_buffer((const char *)buf, n);
  grpc_byte_buffer *bb = grpc_raw_byte_buffer_create(&s, 1);
  grpc_slice_unref(s);
  grpc_metadata_array_init(&w->md);
  grpc_op ops[4];
  memset(ops, 0, sizeof ops);
  ops[0].op = GRPC_OP_SEND_INITIAL_METADATA;
  ops[1].op = GRPC_OP_SEND_MESSAGE;
  ops[1].data.send_message.send_message = bb;
  ops[2].op = GRPC_OP_SEND_CLOSE_FROM_CLIENT;
  ops[3].op = GRPC_OP_RECV_INITIAL_METADATA;
  ops[3].data.recv_initial_metadata.recv_initial_metadata = &w->md;
  assert_int_equal(grpc_call_start_batch(w->call, ops, 4, (void *)1, NULL), GRPC_CALL_OK);
  grpc_event ev = grpc_completion_queue_pluck(w->cq, (void *)1, gpr_inf_future(GPR_CLOCK_REALTIME),
                                               NULL);
  assert_int_equal(ev.type, GRPC_OP_COMPLETE);
  grpc_byte_buffer_destroy(bb);
}

/* The next streamed status; -1 when the stream ended. */
static int watch_next(watch *w) {
  grpc_byte_buffer *bb = NULL;
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_MESSAGE;
  op.data.recv_message.recv_message = &bb;
  assert_int_equal(grpc_call_start_batch(w->call, &op, 1, (void *)2, NULL), GRPC_CALL_OK);
  grpc_event ev = grpc_completion_queue_pluck(w->cq, (void *)2, gpr_inf_future(GPR_CLOCK_REALTIME),
                                               NULL);
  assert_int_equal(ev.type, GRPC_OP_COMPLETE);
  if (!bb) return -1;
  grpc_byte_buffer_reader rd;
  assert_true(grpc_byte_buffer_reader_init(&rd, bb));
  grpc_slice all = grpc_byte_buffer_reader_readall(&rd);
  grpc_byte_buffer_reader_destroy(&rd);
  grpc_byte_buffer_destroy(bb);
  Grpc__Health__V1__HealthCheckResponse *r = grpc__health__v1__health_check_response__unpack(
      NULL, GRPC_SLICE_LENGTH(all), GRPC_SLICE_START_PTR(all));
  grpc_slice_unref(all);
  assert_non_null(r);
  int st = (int)r->status;
  grpc__health__v1__health_check_response__free_unpacked(r, NULL);
  return st;
}

static grpc_status_code watch_finish(watch *w) {
  grpc_status_code status;
  grpc_slice details;
  grpc_metadata_array trailing;
  grpc_metadata_array_init(&trailing);
  grpc_op op;
  memset(&op, 0, sizeof op);
  op.op = GRPC_OP_RECV_STATUS_ON_CLIENT;
  op.data.recv_status_on_client.status = &status;
  op.data.recv_status_on_client.status_details = &details;
  op.data.recv_status_on_client.trailing_metadata = &trailing;
  assert_int_equal(grpc_call_start_batch(w->call, &op, 1, (void *)3, NULL), GRPC_CALL_OK);
  grpc_event ev = grpc_completion_queue_pluck(w->cq, (void *)3, gpr_inf_future(GPR_CLOCK_REALTIME),
                                               NULL);
  assert_int_equal(ev.type, GRPC_OP_COMPLETE);
  grpc_slice_unref(details);
  grpc_metadata_array_destroy(&trailing);
  grpc_metadata_array_destroy(&w->md);
  grpc_call_unref(w->call);
  grpc_completion_queue_shutdown(w->cq);
  while (grpc_completion_queue_pluck(w->cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL).type !=
         GRPC_QUEUE_SHUTDOWN) {
  }
  grpc_completion_queue_destroy(w->cq);
  return status;
}

enum {
  SERVING = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVING,
  NOT_SERVING = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__NOT_SERVING,
  SERVICE_UNKNOWN = GRPC__HEALTH__V1__HEALTH_CHECK_RESPONSE__SERVING_STATUS__SERVICE_UNKNOWN,
};

static void test_health_watch(void **state) {
  (void)state;
  jet_test_daemon *d;
  assert_int_equal(jet_test_daemon_start(NULL, &d), 0);
  grpc_init();
  grpc_channel_credentials *cr = grpc_insecure_credentials_create();
  grpc_channel *ch = grpc_channel_create(jet_test_daemon_address(d), cr, NULL);
  grpc_channel_credentials_release(cr);
  watch all, jet, unknown;
  watch_start(ch, &all, "");
  watch_start(ch, &jet, "jet.v1.Jet");
  watch_start(ch, &unknown, "no.such.Service");
  assert_int_equal(watch_next(&all), SERVING);
  assert_int_equal(watch_next(&jet), SERVING);
  assert_int_equal(watch_next(&unknown), SERVICE_UNKNOWN);
  assert_int_equal(jet_test_daemon_signal(d, SIGTERM), 0);
  assert_int_equal(watch_next(&all), NOT_SERVING);
  assert_int_equal(watch_next(&jet), NOT_SERVING);
  assert_int_equal(watch_next(&all), -1);
  assert_int_equal(watch_next(&jet), -1);
  assert_int_equal(watch_next(&unknown), -1);
  assert_int_equal(watch_finish(&all), GRPC_STATUS_OK);
  assert_int_equal(watch_finish(&jet), GRPC_STATUS_OK);
  assert_int_equal(watch_finish(&unknown), GRPC_STATUS_OK);
  grpc_channel_destroy(ch);
  grpc_shutdown();
  assert_int_equal(jet_test_daemon_wait(d, JET_TEST_STOP_TIMEOUT_MS), 0);
  assert_int_equal(jet_test_daemon_stop(d), 0);
}

/* ---- configuration ------------------------------------------------------------ */

/* A long execution gives its core away at its loop iterations (jetd's
 * default exec-yield-us, 50 µs; runtime/yield.h): a loop of ~20 ms on the
 * server yields many times, and /metrics counts it. */
static void test_exec_yields_counted(void **state) {
  world *w = *state;
  jet_client *c = w->f->client;
  int code;
  char *resp = http_get(w->maddr, "/metrics", &code);
  assert_int_equal(code, 200);
  const double before = sample(body_of(resp), "jet_exec_yields_total");
  free(resp);
  assert_false(isnan(before));
  jet_graph *g = NULL;
  JET_TEST_OK(jet_graph_parse(kCount, strlen(kCount), &g));
  jet_executable *e = NULL;
  JET_TEST_OK(jet_compile_graph(c, g, NULL, 0, &e));
  jet_graph_destroy(g);
  static const float x4[4] = {1, 2, 3, 4};
  int32_t n = 100000;
  jet_type ti = jet_type_scalar(JET_I32), t4 = jet_type_make(JET_F32, 1, (int64_t[]){4});
  jet_arg a[2] = {jet_arg_inline(&ti, &n), jet_arg_inline(&t4, x4)};
  jet_result r[2];
  memset(r, 0, sizeof r);
  struct timeval t0, t1;
  gettimeofday(&t0, NULL);
  JET_TEST_OK(jet_execute(e, a, 2, r, 2));
  gettimeofday(&t1, NULL);
  jet_results_clear(r, 2);
  const double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_usec - t0.tv_usec) / 1e3;
  resp = http_get(w->maddr, "/metrics", &code);
  const double after = sample(body_of(resp), "jet_exec_yields_total");
  free(resp);
  /* One yield per 50 µs of the loop: a tenth of that (one per 0.5 ms) is
   * plenty of margin for a loaded machine; the round trip's ms bounds the
   * loop's time from above. */
  if (!(after - before >= ms * 2 * 0.5 - 1) || !(after - before <= ms * 20 + 1))
    fail_msg("a %.1f ms loop yielded %g times (exec-yield-us 50)", ms, after - before);
}

static void test_refuses_non_loopback(void **state) {
  (void)state;
  const char *addrs[] = {"0.0.0.0:9464", "10.1.2.3:9464", "example.com:80", "127.0.0.1"};
  for (size_t i = 0; i < 4; i++) {
    const char *argv[] = {JETD_PATH,          "--listen", "127.0.0.1:0",
                          "--metrics-listen", addrs[i], NULL};
    jet_test_proc_result r;
    assert_int_equal(jet_test_run_program(argv, NULL, 20000, &r), 0);
    if (r.status != 2 || !strstr(r.err, addrs[i]))
      fail_msg("--metrics-listen %s: exit %d, stderr: %s", addrs[i], r.status, r.err);
    jet_test_proc_result_free(&r);
  }
}

int main(void) {
  const struct CMUnitTest with_daemon[] = {
      cmocka_unit_test(test_metrics_match_stats),
      cmocka_unit_test(test_curl_metrics),
      cmocka_unit_test(test_status_json_matches_stats),
      cmocka_unit_test(test_http_errors),
      cmocka_unit_test(test_connection_bound),
      cmocka_unit_test(test_json_log_lines),
      cmocka_unit_test(test_exec_yields_counted),
  };
  const struct CMUnitTest own[] = {
      cmocka_unit_test(test_health_watch),
      cmocka_unit_test(test_refuses_non_loopback),
  };
  int failed = cmocka_run_group_tests_name("metrics", with_daemon, setup, teardown);
  failed += cmocka_run_group_tests_name("health and config", own, NULL, NULL);
  return failed;
}
