/* The metrics registry (server/observe/metrics.c, compiled into this test
 * on its own: it needs only jet_shared): the Prometheus text exposition is
 * parsed back by a small validator (every line a HELP, a TYPE or a sample;
 * TYPE before a family's samples; label values unescaped), label escaping,
 * histogram buckets cumulative with +Inf = _count, registration errors, the
 * series bound, and concurrent updates. */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../server/observe/metrics.c"

/* ---- a small exposition parser ------------------------------------------- */

typedef struct sample {
  char name[128];
  char labels[4][2][160]; /* name, unescaped value */
  int n_labels;
  double value;
} sample;

typedef struct parsed {
  sample s[256];
  int n;
  char typed[64][128]; /* families with a TYPE line, in order */
  char types[64][16];
  int n_typed;
} parsed;

static bool name_char(char ch, bool first) {
  return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' || ch == ':' ||
         (!first && ch >= '0' && ch <= '9');
}

/* The family a sample belongs to: its name, or without _bucket/_sum/_count
 * for a histogram's series. */
static const char *family_type(const parsed *p, const char *name) {
  for (int i = 0; i < p->n_typed; i++) {
    size_t n = strlen(p->typed[i]);
    if (strncmp(name, p->typed[i], n) != 0) continue;
    const char *rest = name + n;
    if (!*rest) return p->types[i];
    if (strcmp(p->types[i], "histogram") == 0 &&
        (!strcmp(rest, "_bucket") || !strcmp(rest, "_sum") || !strcmp(rest, "_count")))
      return p->types[i];
  }
  return NULL;
}

/* Returns NULL when text is valid, else a static message naming the line. */
static const char *parse(const char *text, parsed *p) {
  static char why[1200];
  memset(p, 0, sizeof(*p));
  int lineno = 0;
  for (const char *line = text; *line;) {
    lineno++;
    const char *eol = strchr(line, '\n');
    if (!eol) return "last line has no newline";
    char buf[1024];
    size_t len = (size_t)(eol - line);
    if (len >= sizeof buf) return "line too long";
    memcpy(buf, line, len);
    buf[len] = '\0';
    line = eol + 1;
    if (strncmp(buf, "# HELP ", 7) == 0) continue;
    if (strncmp(buf, "# TYPE ", 7) == 0) {
      char name[128], type[16];
      if (sscanf(buf + 7, "%127s %15s", name, type) != 2 ||
          (strcmp(type, "counter") && strcmp(type, "gauge") && strcmp(type, "histogram"))) {
        snprintf(why, sizeof why, "line %d: bad TYPE", lineno);
        return why;
      }
      snprintf(p->typed[p->n_typed], 128, "%s", name);
      snprintf(p->types[p->n_typed++], 16, "%s", type);
      continue;
    }
    if (buf[0] == '#' || buf[0] == '\0') continue;
    sample *s = &p->s[p->n++];
    const char *c = buf;
    size_t k = 0;
    if (!name_char(*c, true)) goto bad;
    while (name_char(*c, k == 0) && k < sizeof s->name - 1) s->name[k++] = *c++;
    if (*c == '{') {
      c++;
      while (*c != '}') {
        if (s->n_labels == 4) goto bad;
        char *ln = s->labels[s->n_labels][0], *lv = s->labels[s->n_labels][1];
        k = 0;
        while (name_char(*c, k == 0) && k < 159) ln[k++] = *c++;
        if (k == 0 || *c++ != '=' || *c++ != '"') goto bad;
        k = 0;
        while (*c && *c != '"') {
          if (*c == '\\') {
            c++;
            if (*c == 'n') lv[k++] = '\n';
            else if (*c == '\\' || *c == '"') lv[k++] = *c;
            else goto bad;
            c++;
          } else {
            lv[k++] = *c++;
          }
          if (k >= 159) goto bad;
        }
        if (*c++ != '"') goto bad;
        s->n_labels++;
        if (*c == ',') c++;
        else if (*c != '}') goto bad;
      }
      c++;
    }
    if (*c++ != ' ') goto bad;
    char *end;
    if (!strcmp(c, "+Inf")) s->value = INFINITY;
    else if (!strcmp(c, "-Inf")) s->value = -INFINITY;
    else {
      s->value = strtod(c, &end);
      if (end == c || *end) goto bad;
    }
    if (!family_type(p, s->name)) {
      snprintf(why, sizeof why, "line %d: sample %s before its TYPE", lineno, s->name);
      return why;
    }
    continue;
  bad:
    snprintf(why, sizeof why, "line %d does not parse: %s", lineno, buf);
    return why;
  }
  return NULL;
}

static const char *label(const sample *s, const char *name) {
  for (int i = 0; i < s->n_labels; i++)
    if (!strcmp(s->labels[i][0], name)) return s->labels[i][1];
  return NULL;
}

/* The value of `name` whose labels include l1=v1 (and l2=v2); NAN if none. */
static double find(const parsed *p, const char *name, const char *l1, const char *v1,
                   const char *l2, const char *v2) {
  for (int i = 0; i < p->n; i++) {
    const sample *s = &p->s[i];
    if (strcmp(s->name, name)) continue;
    if (l1 && (!label(s, l1) || strcmp(label(s, l1), v1))) continue;
    if (l2 && (!label(s, l2) || strcmp(label(s, l2), v2))) continue;
    return s->value;
  }
  return NAN;
}

static char *expose_parse(jet_metrics *m, parsed *p) {
  size_t len = 0;
  char *text = jet_metrics_expose(m, &len);
  assert_non_null(text);
  assert_int_equal(len, strlen(text));
  const char *why = parse(text, p);
  if (why) fail_msg("%s\n--- exposition ---\n%s", why, text);
  return text;
}

/* ---- tests ------------------------------------------------------------------ */

static void test_counters_gauges_round_trip(void **state) {
  (void)state;
  jet_metrics *m = jet_metrics_create();
  assert_non_null(m);
  jet_metric *req, *g, *plain;
  const char *const ln[] = {"method", "code"};
  assert_null(jet_metrics_add(m, JET_METRIC_COUNTER, "t_requests_total", "Requests\nby method",
                              ln, 2, NULL, 0, &req));
  const char *const dn[] = {"device"};
  assert_null(jet_metrics_add(m, JET_METRIC_GAUGE, "t_mem_bytes", "Memory \\ bytes", dn, 1, NULL,
                              0, &g));
  assert_null(jet_metrics_add(m, JET_METRIC_GAUGE, "t_up", "Up", NULL, 0, NULL, 0, &plain));
  const char *a[] = {"Execute", "OK"}, *b[] = {"Execute", "INTERNAL"}, *c[] = {"GetStats", "OK"};
  for (int i = 0; i < 5; i++) jet_metric_inc(req, a, 1);
  jet_metric_inc(req, b, 1);
  jet_metric_inc(req, c, 2);
  jet_metric_inc(req, c, -1); /* counters never go down */
  const char *d0[] = {"0"}, *d1[] = {"1"};
  jet_metric_set(g, d0, 1234567890123.0);
  jet_metric_set(g, d1, 0.25);
  jet_metric_inc(g, d1, -0.5);
  jet_metric_set(plain, NULL, 1);
  parsed *p = malloc(sizeof(*p));
  char *text = expose_parse(m, p);
  assert_true(strstr(text, "# HELP t_requests_total Requests\\nby method\n") != NULL);
  assert_true(strstr(text, "# HELP t_mem_bytes Memory \\\\ bytes\n") != NULL);
  assert_true(strstr(text, "# TYPE t_requests_total counter\n") != NULL);
  assert_true(strstr(text, "# TYPE t_mem_bytes gauge\n") != NULL);
  assert_true(find(p, "t_requests_total", "method", "Execute", "code", "OK") == 5);
  assert_true(find(p, "t_requests_total", "method", "Execute", "code", "INTERNAL") == 1);
  assert_true(find(p, "t_requests_total", "method", "GetStats", "code", "OK") == 2);
  assert_true(find(p, "t_mem_bytes", "device", "0", NULL, NULL) == 1234567890123.0);
  assert_true(find(p, "t_mem_bytes", "device", "1", NULL, NULL) == -0.25);
  assert_true(find(p, "t_up", NULL, NULL, NULL, NULL) == 1);
  assert_true(strstr(text, "t_up 1\n") != NULL);
  jet_metric_clear(g);
  free(text);
  text = expose_parse(m, p);
  assert_true(isnan(find(p, "t_mem_bytes", NULL, NULL, NULL, NULL)));
  free(text);
  free(p);
  jet_metrics_destroy(m);
}

static void test_label_escaping(void **state) {
  (void)state;
  jet_metrics *m = jet_metrics_create();
  jet_metric *f;
  const char *const ln[] = {"tenant"};
  assert_null(jet_metrics_add(m, JET_METRIC_GAUGE, "t_tenant_bytes", "", ln, 1, NULL, 0, &f));
  const char *nasty = "a\"b\\c\nd}{,=x";
  const char *v[] = {nasty};
  jet_metric_set(f, v, 7);
  parsed *p = malloc(sizeof(*p));
  char *text = expose_parse(m, p);
  assert_true(strstr(text, "t_tenant_bytes{tenant=\"a\\\"b\\\\c\\nd}{,=x\"} 7\n") != NULL);
  assert_int_equal(p->n, 1);
  assert_string_equal(label(&p->s[0], "tenant"), nasty); /* round trip */
  free(text);
  free(p);
  jet_strbuf b;
  jet_strbuf_init(&b);
  jet_json_escape(&b, "q\"\\\n\t\x01z");
  assert_string_equal(b.data, "q\\\"\\\\\\n\\t\\u0001z");
  jet_strbuf_free(&b);
  jet_metrics_destroy(m);
}

static void test_histogram_cumulative(void **state) {
  (void)state;
  jet_metrics *m = jet_metrics_create();
  jet_metric *h;
  const char *const ln[] = {"method"};
  const double bounds[] = {0.005, 0.1, 1, 2.5};
  assert_null(jet_metrics_add(m, JET_METRIC_HISTOGRAM, "t_duration_seconds", "Duration", ln, 1,
                              bounds, 4, &h));
  const char *e[] = {"Execute"};
  const double obs[] = {0.001, 0.005, 0.05, 0.5, 0.7, 3, 100};
  double sum = 0;
  for (size_t i = 0; i < 7; i++) {
    jet_metric_observe(h, e, obs[i]);
    sum += obs[i];
  }
  jet_metric_observe(h, e, NAN); /* ignored */
  parsed *p = malloc(sizeof(*p));
  char *text = expose_parse(m, p);
  assert_true(strstr(text, "# TYPE t_duration_seconds histogram\n") != NULL);
  assert_true(strstr(text, "le=\"0.005\"") != NULL); /* shortest round-trip form */
  const char *les[] = {"0.005", "0.1", "1", "2.5", "+Inf"};
  const double want[] = {2, 3, 5, 5, 7};
  double prev = 0;
  for (int i = 0; i < 5; i++) {
    double got = find(p, "t_duration_seconds_bucket", "method", "Execute", "le", les[i]);
    if (got != want[i]) fail_msg("le=%s: %g, want %g\n%s", les[i], got, want[i], text);
    assert_true(got >= prev); /* cumulative */
    prev = got;
  }
  assert_true(find(p, "t_duration_seconds_count", "method", "Execute", NULL, NULL) == 7);
  assert_true(fabs(find(p, "t_duration_seconds_sum", "method", "Execute", NULL, NULL) - sum) <
              1e-9);
  /* +Inf is the last bucket line of the series, then _sum and _count. */
  const char *inf = strstr(text, "le=\"+Inf\"} 7\n");
  assert_non_null(inf);
  assert_true(strstr(inf, "t_duration_seconds_sum{method=\"Execute\"}") != NULL);
  free(text);
  free(p);
  jet_metrics_destroy(m);
}

static void test_registration_errors(void **state) {
  (void)state;
  jet_metrics *m = jet_metrics_create();
  jet_metric *f;
  jet_status st = jet_metrics_add(m, JET_METRIC_COUNTER, "9bad", "", NULL, 0, NULL, 0, &f);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "9bad"));
  jet_status_free(st);
  const char *const le[] = {"le"};
  const double b1[] = {1};
  st = jet_metrics_add(m, JET_METRIC_HISTOGRAM, "h", "", le, 1, b1, 1, &f);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  jet_status_free(st);
  const double bad[] = {1, 1};
  st = jet_metrics_add(m, JET_METRIC_HISTOGRAM, "h", "", NULL, 0, bad, 2, &f);
  assert_int_equal(jet_status_code(st), JET_INVALID_ARGUMENT);
  assert_non_null(strstr(jet_status_message(st), "increasing"));
  jet_status_free(st);
  assert_null(jet_metrics_add(m, JET_METRIC_GAUGE, "dup", "", NULL, 0, NULL, 0, &f));
  st = jet_metrics_add(m, JET_METRIC_COUNTER, "dup", "", NULL, 0, NULL, 0, &f);
  assert_int_equal(jet_status_code(st), JET_ALREADY_EXISTS);
  jet_status_free(st);
  /* The series bound: further label sets are dropped and counted. */
  const char *const ln[] = {"k"};
  assert_null(jet_metrics_add(m, JET_METRIC_COUNTER, "many_total", "", ln, 1, NULL, 0, &f));
  for (int i = 0; i < JET_METRICS_MAX_SERIES + 10; i++) {
    char v[16];
    snprintf(v, sizeof v, "%d", i);
    const char *vv[] = {v};
    jet_metric_inc(f, vv, 1);
  }
  assert_int_equal(jet_metrics_dropped(m), 10);
  jet_metrics_destroy(m);
}

typedef struct worker_arg {
  jet_metric *c, *h;
} worker_arg;

static void *worker(void *arg) {
  worker_arg *w = arg;
  const char *v[] = {"x"};
  for (int i = 0; i < 20000; i++) {
    jet_metric_inc(w->c, v, 1);
    jet_metric_observe(w->h, NULL, 0.5);
  }
  return NULL;
}

static void test_concurrent_updates(void **state) {
  (void)state;
  jet_metrics *m = jet_metrics_create();
  worker_arg w;
  const char *const ln[] = {"k"};
  const double b[] = {1};
  assert_null(jet_metrics_add(m, JET_METRIC_COUNTER, "c_total", "", ln, 1, NULL, 0, &w.c));
  assert_null(jet_metrics_add(m, JET_METRIC_HISTOGRAM, "h_seconds", "", NULL, 0, b, 1, &w.h));
  pthread_t t[4];
  for (int i = 0; i < 4; i++) assert_int_equal(pthread_create(&t[i], NULL, worker, &w), 0);
  for (int i = 0; i < 4; i++) pthread_join(t[i], NULL);
  parsed *p = malloc(sizeof(*p));
  char *text = expose_parse(m, p);
  assert_true(find(p, "c_total", "k", "x", NULL, NULL) == 80000);
  assert_true(find(p, "h_seconds_count", NULL, NULL, NULL, NULL) == 80000);
  assert_true(find(p, "h_seconds_bucket", "le", "1", NULL, NULL) == 80000);
  free(text);
  free(p);
  jet_metrics_destroy(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_counters_gauges_round_trip),
      cmocka_unit_test(test_label_escaping),
      cmocka_unit_test(test_histogram_cumulative),
      cmocka_unit_test(test_registration_errors),
      cmocka_unit_test(test_concurrent_updates),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
