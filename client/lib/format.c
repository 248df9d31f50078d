/* numpy-style printing of arrays (what print(np.asarray(x)) shows), shared
 * by the `jet` CLI and the examples.
 *
 * Follows numpy's array2string with its defaults: precision 8 in "maxprec"
 * float mode, linewidth 75, threshold 1000 with 3 edge items, separator " ".
 * Floats print the shortest decimal that round-trips in their own dtype
 * (float32 or float64); arrays pad every element to one width. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/jet.h"

#define LINE_WIDTH 75
#define THRESHOLD 1000
#define EDGE_ITEMS 3
#define PRECISION 8

/* ---------------------------------------------------------------------- */
/* Numbers */

/* Shortest significant digits of |v| (finite, non-zero) that round-trip in
 * float32 (f32) or float64: digits[0..n) without leading zeros, value =
 * 0.d1d2... is not used; value = d1.d2d3... * 10^exp10. max_frac >= 0 caps
 * the digits after the first (scientific precision). */
static int shortest_digits(double v, bool f32, int max_frac, char *digits, int *exp10) {
  char buf[64];
  int maxp = f32 ? 8 : 16;
  int p = 0;
  for (; p <= maxp; p++) {
    snprintf(buf, sizeof buf, "%.*e", p, v);
    if (f32 ? (strtof(buf, NULL) == (float)v) : (strtod(buf, NULL) == v)) break;
  }
  if (p > maxp) {
    p = f32 ? 8 : 16;
    snprintf(buf, sizeof buf, "%.*e", p, v);
  }
  if (max_frac >= 0 && p > max_frac) snprintf(buf, sizeof buf, "%.*e", max_frac, v);
  int n = 0;
  const char *s = buf;
  while (*s && *s != 'e') {
    if (*s >= '0' && *s <= '9') digits[n++] = *s;
    s++;
  }
  *exp10 = (*s == 'e') ? atoi(s + 1) : 0;
  while (n > 1 && digits[n - 1] == '0') n--;
  digits[n] = '\0';
  return n;
}

/* Positional form of |v| split into integer and fraction digits (fraction
 * may be empty). frac_cap >= 0 rounds to at most that many fraction digits
 * (numpy's precision in arrays); trailing zeros are trimmed. */
static void positional(double v, bool f32, int frac_cap, char *ip, size_t ip_cap, char *fp,
                       size_t fp_cap) {
  double a = fabs(v);
  ip[0] = fp[0] = '\0';
  if (a == 0) {
    snprintf(ip, ip_cap, "0");
    return;
  }
  char d[40];
  int e;
  int n = shortest_digits(a, f32, -1, d, &e);
  size_t ii = 0, fi = 0;
  if (e >= 0) {
    for (int k = 0; k <= e && ii + 1 < ip_cap; k++) ip[ii++] = k < n ? d[k] : '0';
    for (int k = e + 1; k < n && fi + 1 < fp_cap; k++) fp[fi++] = d[k];
  } else {
    ip[ii++] = '0';
    for (int k = 0; k < -e - 1 && fi + 1 < fp_cap; k++) fp[fi++] = '0';
    for (int k = 0; k < n && fi + 1 < fp_cap; k++) fp[fi++] = d[k];
  }
  ip[ii] = fp[fi] = '\0';
  if (frac_cap >= 0 && (int)fi > frac_cap) {
    char buf[400];
    snprintf(buf, sizeof buf, "%.*f", frac_cap, a);
    char *dot = strchr(buf, '.');
    if (dot) *dot = '\0';
    snprintf(ip, ip_cap, "%s", buf);
    snprintf(fp, fp_cap, "%s", dot ? dot + 1 : "");
    size_t k = strlen(fp);
    while (k > 0 && fp[k - 1] == '0') fp[--k] = '\0';
  }
}

/* Python-repr style scalar: "0.0", "6.0", "-2.5066283", "1e-05", "nan". */
static void format_float_scalar(double v, bool f32, jet_strbuf *sb) {
  if (isnan(v)) {
    jet_strbuf_puts(sb, "nan");
    return;
  }
  if (isinf(v)) {
    jet_strbuf_puts(sb, v < 0 ? "-inf" : "inf");
    return;
  }
  double a = fabs(v);
  if (signbit(v)) jet_strbuf_puts(sb, "-");
  if (a != 0 && (a < 1e-4 || a >= 1e16)) {
    char d[40];
    int e;
    int n = shortest_digits(a, f32, -1, d, &e);
    jet_strbuf_append(sb, d, 1);
    if (n > 1) {
      jet_strbuf_puts(sb, ".");
      jet_strbuf_append(sb, d + 1, (size_t)n - 1);
    }
    jet_strbuf_printf(sb, "e%c%02d", e < 0 ? '-' : '+', abs(e));
    return;
  }
  char ip[400], fp[400];
  positional(a, f32, -1, ip, sizeof ip, fp, sizeof fp);
  jet_strbuf_printf(sb, "%s.%s", ip, fp[0] ? fp : "0");
}

/* ---------------------------------------------------------------------- */
/* Element access */

typedef struct fmt {
  const jet_type *t;
  const uint8_t *data;
  int64_t strides[JET_MAX_RANK];
  bool summary;
  enum { K_FLOAT, K_INT, K_UINT, K_BOOL } kind;
  /* floats */
  bool exp_mode;
  int pad_left, pad_right, precision, exp_size;
  /* ints */
  int width;
  /* statistics of pass 1 */
  bool any_finite, any_nonfinite, neg_inf;
  double max_abs, min_abs; /* over finite non-zero values */
  bool any_nonzero;
} fmt;

static double get_f(const fmt *f, int64_t i) {
  if (f->t->dtype == JET_F32) {
    float x;
    memcpy(&x, f->data + i * 4, 4);
    return x;
  }
  double x;
  memcpy(&x, f->data + i * 8, 8);
  return x;
}

static int64_t get_i(const fmt *f, int64_t i) {
  switch (f->t->dtype) {
    case JET_I32: {
      int32_t x;
      memcpy(&x, f->data + i * 4, 4);
      return x;
    }
    case JET_I64: {
      int64_t x;
      memcpy(&x, f->data + i * 8, 8);
      return x;
    }
    default: return 0;
  }
}

static uint64_t get_u(const fmt *f, int64_t i) {
  switch (f->t->dtype) {
    case JET_U8: return f->data[i];
    case JET_U32: {
      uint32_t x;
      memcpy(&x, f->data + i * 4, 4);
      return x;
    }
    case JET_BOOL: return f->data[i] != 0;
    default: return 0;
  }
}

/* The indices of one axis that are shown (numpy's summarization). */
static bool axis_summarized(const fmt *f, int axis) {
  return f->summary && 2 * EDGE_ITEMS < f->t->dims[axis];
}

/* ---------------------------------------------------------------------- */
/* Pass 1: the widths, over the shown elements */

static void float_parts(const fmt *f, double v, char *ip, char *fp, char *ep);

static void observe(fmt *f, int64_t i) {
  switch (f->kind) {
    case K_FLOAT: {
      double v = get_f(f, i);
      if (!isfinite(v)) {
        f->any_nonfinite = true;
        if (isinf(v) && v < 0) f->neg_inf = true;
        return;
      }
      f->any_finite = true;
      double a = fabs(v);
      if (a != 0) {
        if (!f->any_nonzero || a > f->max_abs) f->max_abs = a;
        if (!f->any_nonzero || a < f->min_abs) f->min_abs = a;
        f->any_nonzero = true;
      }
      return;
    }
    case K_INT: {
      char buf[32];
      int n = snprintf(buf, sizeof buf, "%lld", (long long)get_i(f, i));
      if (n > f->width) f->width = n;
      return;
    }
    case K_UINT: {
      char buf[32];
      int n = snprintf(buf, sizeof buf, "%llu", (unsigned long long)get_u(f, i));
      if (n > f->width) f->width = n;
      return;
    }
    case K_BOOL: f->width = 5; return;
  }
}

static void observe_float_widths(fmt *f, int64_t i) {
  double v = get_f(f, i);
  if (!isfinite(v)) return;
  char ip[400], fp[400], ep[16];
  float_parts(f, v, ip, fp, ep);
  int li = (int)strlen(ip), lf = (int)strlen(fp);
  if (li > f->pad_left) f->pad_left = li;
  if (lf > f->pad_right) f->pad_right = lf;
  if (f->exp_mode) {
    int le = (int)strlen(ep) - 1; /* digits without the sign */
    if (le > f->exp_size) f->exp_size = le;
  }
}

typedef void (*visit_fn)(fmt *f, int64_t i);

static void visit(fmt *f, int axis, int64_t base, visit_fn fn) {
  if (axis == f->t->rank) {
    fn(f, base);
    return;
  }
  int64_t n = f->t->dims[axis];
  bool sum = axis_summarized(f, axis);
  for (int64_t k = 0; k < n; k++) {
    if (sum && k == EDGE_ITEMS) k = n - EDGE_ITEMS;
    visit(f, axis + 1, base + k * f->strides[axis], fn);
  }
}

/* Splits a finite float into sign+integer part, fraction and exponent
 * ("" in positional mode, e.g. "-05" in scientific mode), as numpy's
 * dragon4 with unique digits and precision 8 gives them. */
static void float_parts(const fmt *f, double v, char *ip, char *fp, char *ep) {
  bool f32 = f->t->dtype == JET_F32;
  double a = fabs(v);
  ep[0] = '\0';
  if (!f->exp_mode) {
    size_t off = 0;
    if (signbit(v)) ip[off++] = '-';
    positional(a, f32, PRECISION, ip + off, 400 - off, fp, 400);
    return;
  }
  char d[40];
  int e = 0, n = 1;
  if (a == 0) {
    d[0] = '0';
    d[1] = '\0';
  } else {
    n = shortest_digits(a, f32, PRECISION, d, &e);
  }
  snprintf(ip, 400, "%s%c", signbit(v) ? "-" : "", d[0]);
  snprintf(fp, 400, "%.*s", n - 1, d + 1);
  snprintf(ep, 16, "%c%02d", e < 0 ? '-' : '+', abs(e));
}

/* ---------------------------------------------------------------------- */
/* Pass 2: elements and the nested brackets */

static void format_elem(const fmt *f, int64_t i, jet_strbuf *w) {
  switch (f->kind) {
    case K_INT:
      jet_strbuf_printf(w, "%*lld", f->width, (long long)get_i(f, i));
      return;
    case K_UINT:
      jet_strbuf_printf(w, "%*llu", f->width, (unsigned long long)get_u(f, i));
      return;
    case K_BOOL: jet_strbuf_puts(w, get_u(f, i) ? " True" : "False"); return;
    case K_FLOAT: break;
  }
  double v = get_f(f, i);
  if (!isfinite(v)) {
    const char *s = isnan(v) ? "nan" : (v < 0 ? "-inf" : "inf");
    int total = f->pad_left + f->pad_right + 1;
    jet_strbuf_printf(w, "%*s", total, s);
    return;
  }
  char ip[400], fp[400], ep[16];
  float_parts(f, v, ip, fp, ep);
  if (f->exp_mode) {
    jet_strbuf_printf(w, "%*s.%s", f->pad_left, ip, fp);
    for (int k = (int)strlen(fp); k < f->precision; k++) jet_strbuf_puts(w, "0");
    jet_strbuf_printf(w, "e%c", ep[0]);
    int digits = (int)strlen(ep + 1);
    for (int k = digits; k < f->exp_size; k++) jet_strbuf_puts(w, "0");
    jet_strbuf_puts(w, ep + 1);
  } else {
    jet_strbuf_printf(w, "%*s.%-*s", f->pad_left, ip, f->pad_right, fp);
  }
}

/* numpy's _extendLine: wraps before word when the line would get too long
 * (unless the line holds only the indent). */
static void extend_line(jet_strbuf *s, jet_strbuf *line, const char *word, size_t width,
                        const char *indent) {
  size_t wl = strlen(word);
  bool wrap = line->len + wl > width && line->len > strlen(indent);
  if (wrap) {
    size_t l = line->len;
    while (l > 0 && line->data[l - 1] == ' ') l--;
    jet_strbuf_append(s, line->data, l);
    jet_strbuf_puts(s, "\n");
    line->len = 0;
    if (line->data) line->data[0] = '\0';
    jet_strbuf_puts(line, indent);
  }
  jet_strbuf_puts(line, word);
}

/* numpy's _formatArray recurser; appends the sub-array at `base` of `axis`
 * (with its brackets) to out. */
static void recurse(const fmt *f, int axis, int64_t base, const char *indent, size_t width,
                    jet_strbuf *out) {
  int axes_left = f->t->rank - axis;
  size_t il = strlen(indent);
  char *next_indent = malloc(il + 2);
  if (!next_indent) {
    out->oom = true;
    return;
  }
  memcpy(next_indent, indent, il);
  next_indent[il] = ' ';
  next_indent[il + 1] = '\0';
  size_t next_width = width - 1;
  int64_t n = f->t->dims[axis];
  bool sum = axis_summarized(f, axis);
  jet_strbuf s;
  jet_strbuf_init(&s);
  if (axes_left == 1) {
    size_t elem_width = width - 1;
    jet_strbuf line;
    jet_strbuf_init(&line);
    jet_strbuf_puts(&line, indent);
    for (int64_t k = 0; k < n; k++) {
      if (sum && k == EDGE_ITEMS) {
        extend_line(&s, &line, "...", elem_width, indent);
        jet_strbuf_puts(&line, " ");
        k = n - EDGE_ITEMS;
      }
      jet_strbuf w;
      jet_strbuf_init(&w);
      format_elem(f, base + k * f->strides[axis], &w);
      extend_line(&s, &line, w.data ? w.data : "", elem_width, indent);
      if (w.oom) s.oom = true;
      jet_strbuf_free(&w);
      if (k + 1 < n) jet_strbuf_puts(&line, " ");
    }
    jet_strbuf_append(&s, line.data ? line.data : "", line.len);
    if (line.oom) s.oom = true;
    jet_strbuf_free(&line);
  } else {
    for (int64_t k = 0; k < n; k++) {
      if (sum && k == EDGE_ITEMS) {
        jet_strbuf_puts(&s, indent);
        jet_strbuf_puts(&s, "...");
        for (int j = 0; j < axes_left - 1; j++) jet_strbuf_puts(&s, "\n");
        k = n - EDGE_ITEMS;
      }
      jet_strbuf_puts(&s, indent);
      recurse(f, axis + 1, base + k * f->strides[axis], next_indent, next_width, &s);
      if (k + 1 < n)
        for (int j = 0; j < axes_left - 1; j++) jet_strbuf_puts(&s, "\n");
    }
  }
  jet_strbuf_puts(out, "[");
  if (s.len >= il) jet_strbuf_append(out, s.data + il, s.len - il);
  jet_strbuf_puts(out, "]");
  if (s.oom) out->oom = true;
  jet_strbuf_free(&s);
  free(next_indent);
}

jet_status jet_format_array(const jet_type *type, const void *data, jet_strbuf *sb) {
  if (!type || !sb) return jet_status_make(JET_INVALID_ARGUMENT, "jet_format_array: NULL argument");
  JET_RETURN_IF_ERROR(jet_type_check(type, "jet_format_array: type"));
  fmt f;
  memset(&f, 0, sizeof f);
  f.t = type;
  f.data = data;
  switch (type->dtype) {
    case JET_F32:
    case JET_F64: f.kind = K_FLOAT; break;
    case JET_I32:
    case JET_I64: f.kind = K_INT; break;
    case JET_U8:
    case JET_U32: f.kind = K_UINT; break;
    case JET_BOOL: f.kind = K_BOOL; break;
    default:
      return jet_status_make(JET_INVALID_ARGUMENT, "jet_format_array: dtype %s is not printable",
                             jet_dtype_name(type->dtype));
  }
  int64_t numel = jet_type_numel(type);
  if (numel > 0 && !data)
    return jet_status_make(JET_INVALID_ARGUMENT, "jet_format_array: data is NULL");
  if (type->rank == 0) {
    switch (f.kind) {
      case K_FLOAT: format_float_scalar(get_f(&f, 0), type->dtype == JET_F32, sb); break;
      case K_INT: jet_strbuf_printf(sb, "%lld", (long long)get_i(&f, 0)); break;
      case K_UINT: jet_strbuf_printf(sb, "%llu", (unsigned long long)get_u(&f, 0)); break;
      case K_BOOL: jet_strbuf_puts(sb, get_u(&f, 0) ? "True" : "False"); break;
    }
    return jet_strbuf_status(sb);
  }
  if (numel == 0) {
    jet_strbuf_puts(sb, "[]");
    return jet_strbuf_status(sb);
  }
  jet_type_strides(type, f.strides);
  f.summary = numel > THRESHOLD;
  visit(&f, 0, 0, observe);
  if (f.kind == K_FLOAT) {
    f.exp_mode = f.any_nonzero &&
                 (f.max_abs >= 1e8 || f.min_abs < 1e-4 || f.max_abs / f.min_abs > 1000.0);
    visit(&f, 0, 0, observe_float_widths);
    if (f.exp_mode) {
      f.precision = f.pad_right;
      if (f.exp_size < 2) f.exp_size = 2;
      f.pad_right = f.exp_size + 2 + f.precision;
    }
    if (f.any_nonfinite) {
      int offset = f.pad_right + 1;
      int inflen = 3 + (f.neg_inf ? 1 : 0);
      if (3 - offset > f.pad_left) f.pad_left = 3 - offset;
      if (inflen - offset > f.pad_left) f.pad_left = inflen - offset;
    }
  }
  recurse(&f, 0, 0, " ", LINE_WIDTH, sb);
  return jet_strbuf_status(sb);
}
