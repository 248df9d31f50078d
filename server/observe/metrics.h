/* A small metrics registry (owner: server/observe): counters, gauges and
 * histograms with labels, and their Prometheus text exposition (format
 * 0.0.4: # HELP, # TYPE, escaped label values, histogram _bucket{le} /
 * _sum / _count with +Inf).
 *
 * Thread safety: every update may come from any thread. A family has one
 * mutex held only for the few instructions of a series lookup and update
 * (no allocation after a series' first use); exposition takes the same
 * mutexes one family at a time.
 *
 * Bounds: a family holds at most JET_METRICS_MAX_SERIES label sets; updates
 * of further ones are dropped and counted (jet_metrics_dropped). Label
 * values are truncated to JET_METRICS_MAX_VALUE - 1 bytes.
 *
 * Depends only on libc, pthread and jet_shared (the unit test builds it
 * on its own). */
#ifndef JET_OBSERVE_METRICS_H
#define JET_OBSERVE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jet/status.h"
#include "jet/strbuf.h"

#define JET_METRICS_MAX_LABELS 4
#define JET_METRICS_MAX_SERIES 256
#define JET_METRICS_MAX_VALUE 128
#define JET_METRICS_MAX_BUCKETS 32

typedef struct jet_metrics jet_metrics;
typedef struct jet_metric jet_metric;

typedef enum jet_metric_type {
  JET_METRIC_COUNTER = 0,
  JET_METRIC_GAUGE = 1,
  JET_METRIC_HISTOGRAM = 2,
} jet_metric_type;

/* NULL on out-of-memory. */
jet_metrics *jet_metrics_create(void);
void jet_metrics_destroy(jet_metrics *m);

/* Registers a family. name: [a-zA-Z_:][a-zA-Z0-9_:]*; labels: n_labels
 * (<= JET_METRICS_MAX_LABELS) names, none "le" for histograms; bounds (only
 * for histograms): n_bounds (1..JET_METRICS_MAX_BUCKETS) strictly
 * increasing finite upper bounds (+Inf is added). Strings are copied.
 * INVALID_ARGUMENT naming the field, ALREADY_EXISTS for a name taken. */
jet_status jet_metrics_add(jet_metrics *m, jet_metric_type type, const char *name,
                           const char *help, const char *const *labels, size_t n_labels,
                           const double *bounds, size_t n_bounds, jet_metric **out) JET_MUST_USE;

/* Updates; values: one label value per label of the family (NULL when it
 * has none). A NULL metric is a no-op. */
void jet_metric_inc(jet_metric *f, const char *const *values, double by); /* counter/gauge */
/* Gauges; also counters whose monotonic total another module owns. */
void jet_metric_set(jet_metric *f, const char *const *values, double v);
void jet_metric_observe(jet_metric *f, const char *const *values, double v); /* histogram */
/* Drops every series of a gauge (before re-setting them at scrape time). */
void jet_metric_clear(jet_metric *f);

/* Updates dropped for lack of series room or memory. */
uint64_t jet_metrics_dropped(jet_metrics *m);

/* The text exposition of every family in registration order (malloc'd,
 * NUL-terminated; *len = its length). NULL on out-of-memory. */
char *jet_metrics_expose(jet_metrics *m, size_t *len);

/* Appends v escaped as a Prometheus label value (\\, \", \n). */
void jet_metrics_escape_label(jet_strbuf *b, const char *v);
/* Appends s escaped as a JSON string body (no quotes): \" \\ \n \r \t and
 * \u00XX for other control bytes. */
void jet_json_escape(jet_strbuf *b, const char *s);

#endif
