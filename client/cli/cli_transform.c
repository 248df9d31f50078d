/* The transform commands of the jet CLI: print the transformed graph the
 * daemon computes (TransformGraph), like JAX's make_jaxpr(grad(f)) or
 * make_jaxpr(vmap(f)).
 *
 *   jet grad FILE.jet [--argnums 0,1] [--has-aux] [--allow-int] [--no-cleanup]
 *   jet value-and-grad | jacfwd | jacrev | hessian  (the same options)
 *   jet jvp | vjp FILE.jet [--has-aux] [--no-cleanup]
 *   jet vmap FILE.jet [--in-axes 0,none] [--out-axes 0] [--axis-size N]
 *       [--axis-name NAME] [--no-cleanup]
 *   jet pmap FILE.jet  (vmap's options and [--devices 0,1]
 *       [--static-broadcasted-argnums 1])
 *
 * Each command builds a transform spec (jet_transform_spec_parse) from its
 * options, so the options and `run --transform` agree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const struct {
  const char *cmd;
  jet_transform_kind kind;
} k_commands[] = {
    {"grad", JET_TF_GRAD},     {"value-and-grad", JET_TF_VALUE_AND_GRAD},
    {"jvp", JET_TF_JVP},       {"vjp", JET_TF_VJP},
    {"jacfwd", JET_TF_JACFWD}, {"jacrev", JET_TF_JACREV},
    {"hessian", JET_TF_HESSIAN}, {"vmap", JET_TF_VMAP},
    {"pmap", JET_TF_PMAP},
};

/* Options with a value: --NAME VALUE or --NAME=VALUE; spec field and the
 * kinds that take it. */
typedef struct value_opt {
  const char *opt;
  const char *field;
  int vmap; /* 1: vmap and pmap; 2: pmap only; 0: argnums kinds only */
} value_opt;

static const value_opt k_value_opts[] = {
    {"--argnums", "argnums", 0},     {"--in-axes", "in_axes", 1},
    {"--out-axes", "out_axes", 1},   {"--axis-size", "axis_size", 1},
    {"--axis-name", "axis_name", 1}, {"--devices", "devices", 2},
    {"--static-broadcasted-argnums", "static_broadcasted_argnums", 2},
};

static jet_transform_kind kind_of(const char *cmd) {
  for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
    if (strcmp(k_commands[i].cmd, cmd) == 0) return k_commands[i].kind;
  return (jet_transform_kind)0;
}

bool jet__cli_is_transform_command(const char *cmd) { return kind_of(cmd) != 0; }

static bool is_map(jet_transform_kind k) { return k == JET_TF_VMAP || k == JET_TF_PMAP; }

static bool takes_argnums(jet_transform_kind k) {
  return k != JET_TF_JVP && k != JET_TF_VJP && !is_map(k);
}

static bool takes_option(const value_opt *o, jet_transform_kind k) {
  if (o->vmap == 2) return k == JET_TF_PMAP;
  return o->vmap ? is_map(k) : takes_argnums(k);
}

/* The value option a names (with its value, advancing *i), or NULL. */
static const value_opt *value_option(jet_transform_kind kind, int argc, char **argv, int *i,
                                     const char **value) {
  const char *a = argv[*i];
  for (size_t k = 0; k < sizeof k_value_opts / sizeof k_value_opts[0]; k++) {
    const value_opt *o = &k_value_opts[k];
    if (!takes_option(o, kind)) continue;
    size_t n = strlen(o->opt);
    if (strncmp(a, o->opt, n) != 0) continue;
    if (a[n] == '=') {
      *value = a + n + 1;
      return o;
    }
    if (a[n] == '\0') {
      *value = *i + 1 < argc ? argv[++*i] : NULL;
      return o;
    }
  }
  return NULL;
}

int jet__cli_transform(const char *address, const char *cmd, int argc, char **argv) {
  jet_transform_kind kind = kind_of(cmd);
  const char *file = NULL;
  bool no_cleanup = false;
  char msg[320];
  char spec[1024];
  size_t len = (size_t)snprintf(spec, sizeof spec, "%s", jet_transform_name(kind));
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i], *value = NULL, *flag = NULL;
    const value_opt *o = value_option(kind, argc, argv, &i, &value);
    if (o) {
      if (!value || !*value) {
        snprintf(msg, sizeof msg, "%s: %s needs a value", cmd, o->opt);
        return jet__cli_usage_error(msg);
      }
      if (strchr(value, ':')) { /* ':' separates the spec's fields */
        snprintf(msg, sizeof msg, "%s: %s '%s' may not contain ':'", cmd, o->opt, value);
        return jet__cli_usage_error(msg);
      }
      int n = snprintf(spec + len, sizeof spec - len, ":%s=%s", o->field, value);
      if (n < 0 || (size_t)n >= sizeof spec - len) return jet__cli_usage_error("options too long");
      len += (size_t)n;
    } else if (strcmp(a, "--has-aux") == 0 && !is_map(kind)) {
      flag = ":has_aux";
    } else if (strcmp(a, "--allow-int") == 0 && takes_argnums(kind)) {
      flag = ":allow_int";
    } else if (strcmp(a, "--no-cleanup") == 0) {
      no_cleanup = true;
    } else if (a[0] == '-' && a[1] == '-') {
      snprintf(msg, sizeof msg, "%s: unknown option '%s'", cmd, a);
      return jet__cli_usage_error(msg);
    } else if (!file) {
      file = a;
    } else {
      snprintf(msg, sizeof msg, "%s takes one FILE.jet (got '%s' too)", cmd, a);
      return jet__cli_usage_error(msg);
    }
    if (flag) {
      int n = snprintf(spec + len, sizeof spec - len, "%s", flag);
      if (n < 0 || (size_t)n >= sizeof spec - len) return jet__cli_usage_error("options too long");
      len += (size_t)n;
    }
  }
  if (!file) {
    snprintf(msg, sizeof msg, "%s needs FILE.jet", cmd);
    return jet__cli_usage_error(msg);
  }
  jet_transform_spec *ts = malloc(sizeof *ts);
  if (!ts) return jet__cli_report(jet_status_oom("transform spec"));
  jet_status st = jet_transform_spec_parse(spec, ts);
  if (st) {
    free(ts);
    return jet__cli_report(st);
  }
  jet_graph *g = NULL;
  st = jet__cli_parse_file(file, &g);
  if (st) {
    free(ts);
    return jet__cli_report(st);
  }
  jet_client_options o = {0};
  o.address = address;
  o.client_name = "jet cli";
  o.no_session = true;
  o.timeout_ms = 60000;
  jet_client *c = NULL;
  char *text = NULL;
  st = jet_client_open(&o, &c);
  if (!st) st = jet_transform_graph(c, g, &ts->tf, 1, no_cleanup, NULL, &text);
  jet_client_close(c);
  jet_graph_destroy(g);
  free(ts);
  if (st) return jet__cli_report(st);
  fputs(text, stdout);
  size_t tl = strlen(text);
  if (tl && text[tl - 1] != '\n') fputc('\n', stdout);
  free(text);
  return 0;
}
