/* Formatting pieces of the text form: shortest round-trip floats, quoted
 * strings, int lists, transforms and array literals. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jet/text.h"
#include "text_internal.h"

#define F64_CANON_NAN UINT64_C(0x7ff8000000000000)
#define F32_CANON_NAN UINT32_C(0x7fc00000)

void jet__fmt_f64(double v, char *buf) {
  uint64_t bits;
  memcpy(&bits, &v, sizeof bits);
  if (isnan(v)) {
    if (bits == F64_CANON_NAN)
      snprintf(buf, JET__NUM_MAX, "nan");
    else
      snprintf(buf, JET__NUM_MAX, "nan(0x%016" PRIx64 ")", bits);
    return;
  }
  if (isinf(v)) {
    snprintf(buf, JET__NUM_MAX, "%s", v < 0 ? "-inf" : "inf");
    return;
  }
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(buf, JET__NUM_MAX, "%.*g", prec, v);
    double back = strtod(buf, NULL);
    uint64_t bb;
    memcpy(&bb, &back, sizeof bb);
    if (bb == bits) return;
  }
}

void jet__fmt_f32(float v, char *buf) {
  uint32_t bits;
  memcpy(&bits, &v, sizeof bits);
  if (isnan(v)) {
    if (bits == F32_CANON_NAN)
      snprintf(buf, JET__NUM_MAX, "nan");
    else
      snprintf(buf, JET__NUM_MAX, "nan(0x%08" PRIx32 ")", bits);
    return;
  }
  if (isinf(v)) {
    snprintf(buf, JET__NUM_MAX, "%s", v < 0 ? "-inf" : "inf");
    return;
  }
  for (int prec = 1; prec <= 9; prec++) {
    snprintf(buf, JET__NUM_MAX, "%.*g", prec, (double)v);
    float back = strtof(buf, NULL);
    uint32_t bb;
    memcpy(&bb, &back, sizeof bb);
    if (bb == bits) return;
  }
}

void jet__print_string(jet_strbuf *sb, const char *s) {
  jet_strbuf_append(sb, "\"", 1);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    switch (*p) {
      case '"': jet_strbuf_append(sb, "\\\"", 2); break;
      case '\\': jet_strbuf_append(sb, "\\\\", 2); break;
      case '\n': jet_strbuf_append(sb, "\\n", 2); break;
      case '\t': jet_strbuf_append(sb, "\\t", 2); break;
      case '\r': jet_strbuf_append(sb, "\\r", 2); break;
      default:
        if (*p < 0x20 || *p == 0x7f)
          jet_strbuf_printf(sb, "\\x%02x", *p);
        else
          jet_strbuf_append(sb, (const char *)p, 1);
    }
  }
  jet_strbuf_append(sb, "\"", 1);
}

bool jet__is_ident(const char *s) {
  if (!((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z') || s[0] == '_')) return false;
  for (const char *p = s + 1; *p; p++) {
    char c = *p;
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-';
    if (!ok) return false;
  }
  return true;
}

void jet__print_int_list(jet_strbuf *sb, const int64_t *v, uint32_t n) {
  jet_strbuf_append(sb, "[", 1);
  for (uint32_t i = 0; i < n; i++) jet_strbuf_printf(sb, "%s%" PRId64, i ? ", " : "", v[i]);
  jet_strbuf_append(sb, "]", 1);
}

static void print_i32_list(jet_strbuf *sb, const int32_t *v, uint32_t n) {
  jet_strbuf_append(sb, "[", 1);
  for (uint32_t i = 0; i < n; i++) jet_strbuf_printf(sb, "%s%" PRId32, i ? ", " : "", v[i]);
  jet_strbuf_append(sb, "]", 1);
}

static void print_axes(jet_strbuf *sb, const jet_axis_spec *v, uint32_t n) {
  jet_strbuf_append(sb, "[", 1);
  for (uint32_t i = 0; i < n; i++) {
    if (i) jet_strbuf_append(sb, ", ", 2);
    if (v[i].mapped)
      jet_strbuf_printf(sb, "%" PRId32, v[i].axis);
    else
      jet_strbuf_puts(sb, "none");
  }
  jet_strbuf_append(sb, "]", 1);
}

/* Appends ", " before every field but the first of a transform. */
static void field(jet_strbuf *sb, bool *first, const char *name) {
  if (!*first) jet_strbuf_append(sb, ", ", 2);
  *first = false;
  jet_strbuf_printf(sb, "%s=", name);
}

static void bool_field(jet_strbuf *sb, bool *first, const char *name, bool v) {
  if (!v) return;
  field(sb, first, name);
  jet_strbuf_puts(sb, "true");
}

static void str_field(jet_strbuf *sb, bool *first, const char *name, const char *v) {
  if (v == NULL || v[0] == '\0') return;
  field(sb, first, name);
  jet__print_string(sb, v);
}

static void print_transform(jet_strbuf *sb, const jet_transform *t) {
  bool first = true;
  jet_strbuf_printf(sb, "%s(", jet_transform_name(t->kind));
  switch (t->kind) {
    case JET_TF_GRAD:
    case JET_TF_VALUE_AND_GRAD:
    case JET_TF_JACFWD:
    case JET_TF_JACREV:
    case JET_TF_HESSIAN:
      if (t->n_argnums) {
        field(sb, &first, "argnums");
        print_i32_list(sb, t->argnums, t->n_argnums);
      }
      bool_field(sb, &first, "argnums_tuple", t->argnums_tuple);
      bool_field(sb, &first, "has_aux", t->has_aux);
      bool_field(sb, &first, "holomorphic", t->holomorphic);
      bool_field(sb, &first, "allow_int", t->allow_int);
      break;
    case JET_TF_JVP:
    case JET_TF_VJP:
      bool_field(sb, &first, "has_aux", t->has_aux);
      break;
    case JET_TF_VMAP:
    case JET_TF_PMAP:
      if (t->kind == JET_TF_PMAP) str_field(sb, &first, "axis_name", t->axis_name);
      if (t->n_in_axes) {
        field(sb, &first, "in_axes");
        print_axes(sb, t->in_axes, t->n_in_axes);
      }
      if (t->n_out_axes) {
        field(sb, &first, "out_axes");
        print_axes(sb, t->out_axes, t->n_out_axes);
      }
      if (t->kind == JET_TF_PMAP) {
        if (t->n_static_argnums) {
          field(sb, &first, "static_broadcasted_argnums");
          print_i32_list(sb, t->static_broadcasted_argnums, t->n_static_argnums);
        }
        if (t->n_devices) {
          field(sb, &first, "devices");
          jet_strbuf_append(sb, "[", 1);
          for (uint32_t i = 0; i < t->n_devices; i++)
            jet_strbuf_printf(sb, "%s%" PRIu32, i ? ", " : "", t->devices[i]);
          jet_strbuf_append(sb, "]", 1);
        }
      }
      if (t->axis_size != 0) {
        field(sb, &first, "axis_size");
        jet_strbuf_printf(sb, "%" PRId64, t->axis_size);
      }
      if (t->kind == JET_TF_VMAP) {
        str_field(sb, &first, "axis_name", t->axis_name);
        str_field(sb, &first, "spmd_axis_name", t->spmd_axis_name);
      } else if (t->n_donate_argnums) {
        field(sb, &first, "donate_argnums");
        print_i32_list(sb, t->donate_argnums, t->n_donate_argnums);
      }
      break;
  }
  jet_strbuf_append(sb, ")", 1);
}

void jet__print_transforms(jet_strbuf *sb, const jet_transform *t, uint32_t n) {
  jet_strbuf_append(sb, "[", 1);
  for (uint32_t i = 0; i < n; i++) {
    if (i) jet_strbuf_append(sb, ", ", 2);
    print_transform(sb, &t[i]);
  }
  jet_strbuf_append(sb, "]", 1);
}

/* One element of a literal; reserved 16-bit floats print their raw bits. */
static void print_element(jet_strbuf *sb, jet_dtype dt, const unsigned char *p) {
  char num[JET__NUM_MAX];
  switch (dt) {
    case JET_BOOL: jet_strbuf_puts(sb, *p ? "true" : "false"); return;
    case JET_I8: { int8_t v; memcpy(&v, p, 1); jet_strbuf_printf(sb, "%d", v); return; }
    case JET_U8: jet_strbuf_printf(sb, "%u", *p); return;
    case JET_I16: { int16_t v; memcpy(&v, p, 2); jet_strbuf_printf(sb, "%d", v); return; }
    case JET_U16: { uint16_t v; memcpy(&v, p, 2); jet_strbuf_printf(sb, "%u", v); return; }
    case JET_F16:
    case JET_BF16: { uint16_t v; memcpy(&v, p, 2); jet_strbuf_printf(sb, "0x%04x", v); return; }
    case JET_I32: { int32_t v; memcpy(&v, p, 4); jet_strbuf_printf(sb, "%" PRId32, v); return; }
    case JET_U32: { uint32_t v; memcpy(&v, p, 4); jet_strbuf_printf(sb, "%" PRIu32, v); return; }
    case JET_I64: { int64_t v; memcpy(&v, p, 8); jet_strbuf_printf(sb, "%" PRId64, v); return; }
    case JET_U64: { uint64_t v; memcpy(&v, p, 8); jet_strbuf_printf(sb, "%" PRIu64, v); return; }
    case JET_F32: { float v; memcpy(&v, p, 4); jet__fmt_f32(v, num); jet_strbuf_puts(sb, num); return; }
    case JET_F64: { double v; memcpy(&v, p, 8); jet__fmt_f64(v, num); jet_strbuf_puts(sb, num); return; }
    default: jet_strbuf_puts(sb, "?"); return;
  }
}

void jet_literal_print(const jet_type *type, const void *data, jet_strbuf *sb) {
  char tbuf[JET_TYPE_STR_MAX];
  jet_strbuf_puts(sb, jet_type_str(type, tbuf, sizeof tbuf));
  jet_strbuf_append(sb, "{", 1);
  size_t es = jet_dtype_size(type->dtype);
  int64_t n = es ? jet_type_numel(type) : 0;
  const unsigned char *p = data;
  for (int64_t i = 0; i < n && p != NULL; i++) {
    if (i) jet_strbuf_append(sb, ", ", 2);
    print_element(sb, type->dtype, p + (size_t)i * es);
  }
  jet_strbuf_append(sb, "}", 1);
}
