/* The metrics registry and its Prometheus text exposition (metrics.h).
 * Owner: server/observe. */
#include "metrics.h" /* relative: the unit test compiles this file on its own */

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct series {
  char values[JET_METRICS_MAX_LABELS][JET_METRICS_MAX_VALUE];
  double value; /* counter/gauge; histogram sum */
  uint64_t count;
  uint64_t buckets[JET_METRICS_MAX_BUCKETS + 1]; /* per bucket, not cumulative */
} series;

struct jet_metric {
  jet_metrics *owner;
  jet_metric_type type;
  char *name, *help;
  char *labels[JET_METRICS_MAX_LABELS];
  size_t n_labels;
  double bounds[JET_METRICS_MAX_BUCKETS];
  size_t n_bounds;
  pthread_mutex_t mu;
  series *s[JET_METRICS_MAX_SERIES];
  size_t n_series;
  jet_metric *next;
};

struct jet_metrics {
  pthread_mutex_t mu; /* guards the family list */
  jet_metric *head, *tail;
  atomic_uint_fast64_t dropped;
};

/* ---- escaping ------------------------------------------------------- */

void jet_json_escape(jet_strbuf *b, const char *s) {
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': jet_strbuf_append(b, "\\\"", 2); break;
      case '\\': jet_strbuf_append(b, "\\\\", 2); break;
      case '\n': jet_strbuf_append(b, "\\n", 2); break;
      case '\r': jet_strbuf_append(b, "\\r", 2); break;
      case '\t': jet_strbuf_append(b, "\\t", 2); break;
      default:
        if (*p < 0x20) jet_strbuf_printf(b, "\\u%04x", *p);
        else jet_strbuf_append(b, (const char *)p, 1);
    }
  }
}

void jet_metrics_escape_label(jet_strbuf *b, const char *v) {
  for (const char *p = v; *p; p++) {
    if (*p == '\\') jet_strbuf_append(b, "\\\\", 2);
    else if (*p == '"') jet_strbuf_append(b, "\\\"", 2);
    else if (*p == '\n') jet_strbuf_append(b, "\\n", 2);
    else jet_strbuf_append(b, p, 1);
  }
}

/* HELP text escapes only \\ and \n. */
static void escape_help(jet_strbuf *b, const char *v) {
  for (const char *p = v; *p; p++) {
    if (*p == '\\') jet_strbuf_append(b, "\\\\", 2);
    else if (*p == '\n') jet_strbuf_append(b, "\\n", 2);
    else jet_strbuf_append(b, p, 1);
  }
}

/* The shortest %g form that reads back as v; +Inf, -Inf, NaN. */
static void fmt_double(double v, char out[40]) {
  if (isnan(v)) { snprintf(out, 40, "NaN"); return; }
  if (isinf(v)) { snprintf(out, 40, v > 0 ? "+Inf" : "-Inf"); return; }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(out, 40, "%.*g", prec, v);
    if (strtod(out, NULL) == v) return;
  }
}

/* ---- registry ------------------------------------------------------------ */

jet_metrics *jet_metrics_create(void) {
  jet_metrics *m = calloc(1, sizeof(*m));
  if (!m) return NULL;
  pthread_mutex_init(&m->mu, NULL);
  atomic_init(&m->dropped, 0);
  return m;
}

static void free_family(jet_metric *f) {
  for (size_t i = 0; i < f->n_series; i++) free(f->s[i]);
  for (size_t i = 0; i < f->n_labels; i++) free(f->labels[i]);
  free(f->name);
  free(f->help);
  pthread_mutex_destroy(&f->mu);
  free(f);
}

void jet_metrics_destroy(jet_metrics *m) {
  if (!m) return;
  for (jet_metric *f = m->head, *next; f; f = next) {
    next = f->next;
    free_family(f);
  }
  pthread_mutex_destroy(&m->mu);
  free(m);
}

static bool valid_name(const char *s, bool colon) {
  if (!s || !*s) return false;
  for (const char *p = s; *p; p++) {
    char ch = *p;
    bool alpha = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_' ||
                 (colon && ch == ':');
    if (!alpha && !(p > s && ch >= '0' && ch <= '9')) return false;
  }
  return true;
}

jet_status jet_metrics_add(jet_metrics *m, jet_metric_type type, const char *name,
                           const char *help, const char *const *labels, size_t n_labels,
                           const double *bounds, size_t n_bounds, jet_metric **out) {
  *out = NULL;
  if (!valid_name(name, true))
    return jet_status_make(JET_INVALID_ARGUMENT, "metric name '%.64s' is not valid",
                           name ? name : "");
  if (n_labels > JET_METRICS_MAX_LABELS)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: %zu labels, at most %d", name, n_labels,
                           JET_METRICS_MAX_LABELS);
  for (size_t i = 0; i < n_labels; i++) {
    if (!valid_name(labels[i], false) || strncmp(labels[i], "__", 2) == 0 ||
        (type == JET_METRIC_HISTOGRAM && strcmp(labels[i], "le") == 0))
      return jet_status_make(JET_INVALID_ARGUMENT, "%s: label name '%.64s' is not valid", name,
                             labels[i] ? labels[i] : "");
  }
  if (type == JET_METRIC_HISTOGRAM) {
    if (n_bounds < 1 || n_bounds > JET_METRICS_MAX_BUCKETS)
      return jet_status_make(JET_INVALID_ARGUMENT, "%s: %zu buckets, 1 to %d allowed", name,
                             n_bounds, JET_METRICS_MAX_BUCKETS);
    for (size_t i = 0; i < n_bounds; i++)
      if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1]))
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "%s: bucket bounds must be finite and increasing (bound %zu)",
                               name, i);
  } else if (n_bounds) {
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: only histograms have buckets", name);
  }
  jet_metric *f = calloc(1, sizeof(*f));
  if (!f) return jet_status_oom("metric");
  pthread_mutex_init(&f->mu, NULL);
  f->owner = m;
  f->type = type;
  f->name = strdup(name);
  f->help = strdup(help ? help : "");
  bool oom = !f->name || !f->help;
  for (size_t i = 0; i < n_labels; i++) {
    f->labels[i] = strdup(labels[i]);
    f->n_labels = i + 1;
    if (!f->labels[i]) oom = true;
  }
  if (oom) {
    free_family(f);
    return jet_status_oom("metric");
  }
  if (n_bounds) memcpy(f->bounds, bounds, n_bounds * sizeof(double));
  f->n_bounds = n_bounds;
  pthread_mutex_lock(&m->mu);
  for (jet_metric *g = m->head; g; g = g->next) {
    if (strcmp(g->name, name) == 0) {
      pthread_mutex_unlock(&m->mu);
      free_family(f);
      return jet_status_make(JET_ALREADY_EXISTS, "metric %s is already registered", name);
    }
  }
  if (m->tail) m->tail->next = f; else m->head = f;
  m->tail = f;
  pthread_mutex_unlock(&m->mu);
  *out = f;
  return NULL;
}

uint64_t jet_metrics_dropped(jet_metrics *m) { return atomic_load(&m->dropped); }

/* The series of `values` (created on first use); f->mu held. NULL when full
 * or out of memory (counted as dropped). */
static series *find_series(jet_metric *f, const char *const *values) {
  for (size_t i = 0; i < f->n_series; i++) {
    series *s = f->s[i];
    size_t k = 0;
    for (; k < f->n_labels; k++)
      if (strncmp(s->values[k], values[k] ? values[k] : "", JET_METRICS_MAX_VALUE - 1) != 0)
        break;
    if (k == f->n_labels) return s;
  }
  series *s = f->n_series < JET_METRICS_MAX_SERIES ? calloc(1, sizeof(*s)) : NULL;
  if (!s) {
    atomic_fetch_add(&f->owner->dropped, 1);
    return NULL;
  }
  for (size_t k = 0; k < f->n_labels; k++)
    snprintf(s->values[k], JET_METRICS_MAX_VALUE, "%s", values[k] ? values[k] : "");
  f->s[f->n_series++] = s;
  return s;
}

void jet_metric_inc(jet_metric *f, const char *const *values, double by) {
  if (!f || f->type == JET_METRIC_HISTOGRAM) return;
  if (f->type == JET_METRIC_COUNTER && !(by >= 0)) return; /* counters only go up */
  pthread_mutex_lock(&f->mu);
  series *s = find_series(f, values);
  if (s) s->value += by;
  pthread_mutex_unlock(&f->mu);
}

void jet_metric_set(jet_metric *f, const char *const *values, double v) {
  if (!f || f->type == JET_METRIC_HISTOGRAM) return;
  pthread_mutex_lock(&f->mu);
  series *s = find_series(f, values);
  if (s) s->value = v;
  pthread_mutex_unlock(&f->mu);
}

void jet_metric_observe(jet_metric *f, const char *const *values, double v) {
  if (!f || f->type != JET_METRIC_HISTOGRAM || isnan(v)) return;
  size_t b = 0;
  while (b < f->n_bounds && v > f->bounds[b]) b++;
  pthread_mutex_lock(&f->mu);
  series *s = find_series(f, values);
  if (s) {
    s->buckets[b]++;
    s->count++;
    s->value += v;
  }
  pthread_mutex_unlock(&f->mu);
}

void jet_metric_clear(jet_metric *f) {
  if (!f || f->type != JET_METRIC_GAUGE) return;
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->n_series; i++) free(f->s[i]);
  f->n_series = 0;
  pthread_mutex_unlock(&f->mu);
}

/* ---- exposition ---------------------------------------------------------- */

/* {a="x",b="y"[,le="..."]} or nothing. */
static void put_labels(jet_strbuf *b, const jet_metric *f, const series *s, const char *le) {
  if (f->n_labels == 0 && !le) return;
  jet_strbuf_append(b, "{", 1);
  for (size_t k = 0; k < f->n_labels; k++) {
    jet_strbuf_printf(b, "%s%s=\"", k ? "," : "", f->labels[k]);
    jet_metrics_escape_label(b, s->values[k]);
    jet_strbuf_append(b, "\"", 1);
  }
  if (le) jet_strbuf_printf(b, "%sle=\"%s\"", f->n_labels ? "," : "", le);
  jet_strbuf_append(b, "}", 1);
}

static void expose_family(jet_strbuf *b, jet_metric *f) {
  static const char *const types[] = {"counter", "gauge", "histogram"};
  jet_strbuf_printf(b, "# HELP %s ", f->name);
  escape_help(b, f->help);
  jet_strbuf_printf(b, "\n# TYPE %s %s\n", f->name, types[f->type]);
  char num[40];
  pthread_mutex_lock(&f->mu);
  for (size_t i = 0; i < f->n_series; i++) {
    const series *s = f->s[i];
    if (f->type != JET_METRIC_HISTOGRAM) {
      jet_strbuf_printf(b, "%s", f->name);
      put_labels(b, f, s, NULL);
      fmt_double(s->value, num);
      jet_strbuf_printf(b, " %s\n", num);
      continue;
    }
    uint64_t cum = 0;
    for (size_t k = 0; k <= f->n_bounds; k++) {
      cum += s->buckets[k];
      char le[40];
      fmt_double(k < f->n_bounds ? f->bounds[k] : INFINITY, le);
      jet_strbuf_printf(b, "%s_bucket", f->name);
      put_labels(b, f, s, le);
      jet_strbuf_printf(b, " %llu\n", (unsigned long long)cum);
    }
    jet_strbuf_printf(b, "%s_sum", f->name);
    put_labels(b, f, s, NULL);
    fmt_double(s->value, num);
    jet_strbuf_printf(b, " %s\n%s_count", num, f->name);
    put_labels(b, f, s, NULL);
    jet_strbuf_printf(b, " %llu\n", (unsigned long long)s->count);
  }
  pthread_mutex_unlock(&f->mu);
}

char *jet_metrics_expose(jet_metrics *m, size_t *len) {
  jet_strbuf b;
  jet_strbuf_init(&b);
  jet_strbuf_append(&b, "", 0);
  pthread_mutex_lock(&m->mu);
  for (jet_metric *f = m->head; f; f = f->next) expose_family(&b, f);
  pthread_mutex_unlock(&m->mu);
  size_t n = b.len;
  char *text = jet_strbuf_take(&b);
  if (text && len) *len = n;
  return text;
}
