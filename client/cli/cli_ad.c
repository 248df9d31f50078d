/* The autodiff commands of the jet CLI: print the transformed graph the
 * daemon computes (TransformGraph), like JAX's make_jaxpr(grad(f)).
 *
 *   jet grad FILE.jet [--argnums 0,1] [--has-aux] [--allow-int] [--no-cleanup]
 *   jet value-and-grad | jacfwd | jacrev | hessian  (the same options)
 *   jet jvp | vjp FILE.jet [--has-aux] [--no-cleanup]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_ARGNUMS 64

static const struct {
  const char *cmd;
  jet_transform_kind kind;
} k_commands[] = {
    {"grad", JET_TF_GRAD},     {"value-and-grad", JET_TF_VALUE_AND_GRAD},
    {"jvp", JET_TF_JVP},       {"vjp", JET_TF_VJP},
    {"jacfwd", JET_TF_JACFWD}, {"jacrev", JET_TF_JACREV},
    {"hessian", JET_TF_HESSIAN},
};

static jet_transform_kind kind_of(const char *cmd) {
  for (size_t i = 0; i < sizeof k_commands / sizeof k_commands[0]; i++)
    if (strcmp(k_commands[i].cmd, cmd) == 0) return k_commands[i].kind;
  return (jet_transform_kind)0;
}

bool jet__cli_is_ad_command(const char *cmd) { return kind_of(cmd) != 0; }

int jet__cli_ad(const char *address, const char *cmd, int argc, char **argv) {
  jet_transform_kind kind = kind_of(cmd);
  bool takes_argnums = kind != JET_TF_JVP && kind != JET_TF_VJP;
  const char *file = NULL, *argnums = NULL;
  bool has_aux = false, allow_int = false, no_cleanup = false;
  char msg[320];
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (takes_argnums && strcmp(a, "--argnums") == 0) {
      if (i + 1 >= argc) return jet__cli_usage_error("--argnums needs a list such as 0,1");
      argnums = argv[++i];
    } else if (takes_argnums && strncmp(a, "--argnums=", 10) == 0) {
      argnums = a + 10;
    } else if (strcmp(a, "--has-aux") == 0) {
      has_aux = true;
    } else if (takes_argnums && strcmp(a, "--allow-int") == 0) {
      allow_int = true;
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
  }
  if (!file) {
    snprintf(msg, sizeof msg, "%s needs FILE.jet", cmd);
    return jet__cli_usage_error(msg);
  }
  /* Build the transform through the spec syntax, so both paths agree. */
  char spec[256];
  int n = snprintf(spec, sizeof spec, "%s%s%s%s%s", jet_transform_name(kind),
                   argnums ? ":argnums=" : "", argnums ? argnums : "",
                   has_aux ? ":has_aux" : "", allow_int ? ":allow_int" : "");
  if (n < 0 || (size_t)n >= sizeof spec) return jet__cli_usage_error("--argnums list too long");
  int32_t buf[MAX_ARGNUMS];
  jet_transform tf;
  jet_status st = jet_transform_parse_spec(spec, buf, MAX_ARGNUMS, &tf);
  if (st) return jet__cli_report(st);

  jet_graph *g;
  st = jet__cli_parse_file(file, &g);
  if (st) return jet__cli_report(st);
  jet_client_options o = {0};
  o.address = address;
  o.client_name = "jet cli";
  o.no_session = true;
  o.timeout_ms = 60000;
  jet_client *c = NULL;
  char *text = NULL;
  st = jet_client_open(&o, &c);
  if (!st) st = jet_transform_graph(c, g, &tf, 1, no_cleanup, NULL, &text);
  jet_client_close(c);
  jet_graph_destroy(g);
  if (st) return jet__cli_report(st);
  fputs(text, stdout);
  size_t len = strlen(text);
  if (len && text[len - 1] != '\n') fputc('\n', stdout);
  free(text);
  return 0;
}
