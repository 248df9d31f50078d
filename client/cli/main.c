/* jet: the command-line client of jetd.
 *
 *   jet [--address HOST:PORT] devices | health | stats
 *   jet print FILE.jet | jet print --ops
 *   jet [--address HOST:PORT] run FILE.jet [--transform SPEC]... [--place I=DEVS]...
 *       [--keep] [ARG ...]
 *   jet [--address HOST:PORT] grad|value-and-grad|jvp|vjp|jacfwd|jacrev|hessian
 *       FILE.jet [--argnums 0,1] [--has-aux] [--allow-int] [--no-cleanup]
 *   jet [--address HOST:PORT] vmap FILE.jet [--in-axes 0,none] [--out-axes 0]
 *       [--axis-size N] [--axis-name NAME] [--no-cleanup]
 *   jet [--address HOST:PORT] pmap FILE.jet (vmap's options, [--devices 0,1])
 *       (all in cli_transform.c)
 *
 * Exit codes: 0 ok, 1 error (printed as "error: CODE: message"), 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jet/infer.h"
#include "jet/jet.h"
#include "jet/text.h"

#define EXIT_USAGE 2

static const char usage_text[] =
    "usage: jet [--address HOST:PORT] [--token-file FILE] [--tls-ca FILE]\n"
    "           [--tls-cert FILE --tls-key FILE] COMMAND [ARGS]\n"
    "\n"
    "commands:\n"
    "  devices              list the daemon's devices (id, kind, memory in use / limit,\n"
    "                       live arrays)\n"
    "  health               print SERVING or NOT_SERVING (exit 0 only when serving)\n"
    "  stats                print the daemon's counters\n"
    "  print FILE.jet       parse a graph and print it in canonical text form\n"
    "  print --ops          list the op table (arity and attributes)\n"
    "  run FILE.jet [--transform SPEC].. [ARG..]\n"
    "                       compile and run a graph; each ARG is a literal such as\n"
    "                       'f32[3]{1, 2, 3}' or 'f32[] 2.5'; prints each output.\n"
    "                       SPEC transforms the graph first (repeatable, innermost\n"
    "                       first): KIND[:FIELD[=VALUE]]..., with KIND and FIELDs\n"
    "                         grad value_and_grad jacfwd jacrev hessian:\n"
    "                             argnums=0,1  has_aux  allow_int\n"
    "                         jvp vjp: has_aux\n"
    "                         vmap: in_axes=AXES  out_axes=AXES  axis_size=N\n"
    "                             axis_name=NAME  (AXES: integers and 'none'\n"
    "                             separated by ',', e.g. in_axes=none,0,-1)\n"
    "                         pmap: vmap's fields and devices=IDS (e.g. 0,1),\n"
    "                             static_broadcasted_argnums=0,2\n"
    "                       e.g. grad:argnums=0,1  vmap:in_axes=0,none:out_axes=1\n"
    "                            pmap:in_axes=0,none:axis_name=i:devices=0,1\n"
    "                       --place I=DEVICES uploads argument I first, onto one\n"
    "                       device (0=1) or sharded along its leading axis over\n"
    "                       several (0=0,1); --keep keeps the outputs on the\n"
    "                       daemon and prints where each lives (pmap outputs\n"
    "                       stay sharded over the pmap's devices)\n"
    "  grad FILE.jet [--argnums 0,1] [--has-aux] [--allow-int] [--no-cleanup]\n"
    "                       print the gradient graph (computed by the daemon);\n"
    "                       likewise value-and-grad, jacfwd, jacrev, hessian, and\n"
    "                       jvp / vjp (options --has-aux, --no-cleanup)\n"
    "  vmap FILE.jet [--in-axes 0,none] [--out-axes 0] [--axis-size N]\n"
    "       [--axis-name NAME] [--no-cleanup]\n"
    "                       print the batched graph (computed by the daemon);\n"
    "                       axes as in vmap specs; defaults: every argument and\n"
    "                       output mapped along axis 0\n"
    "  pmap FILE.jet [vmap's options] [--devices 0,1]\n"
    "       [--static-broadcasted-argnums 1]\n"
    "                       print the pmapped graph (one pmap node over the graph)\n"
    "\n"
    "The address defaults to $JET_ADDRESS, then " JET_CLIENT_DEFAULT_ADDRESS ".\n"
    "Security: --token-file FILE (first line = bearer token; or $JET_TOKEN), --tls-ca FILE\n"
    "(server CA, PEM: TLS), --tls-cert/--tls-key FILE (client certificate for mutual TLS).\n";

int jet__cli_usage_error(const char *msg) {
  fprintf(stderr, "jet: %s\n\n%s", msg, usage_text);
  return EXIT_USAGE;
}

/* Prints the status and frees it; returns exit code 1. */
int jet__cli_report(jet_status st) {
  fprintf(stderr, "error: %s: %s\n", jet_code_name(jet_status_code(st)), jet_status_message(st));
  jet_status_free(st);
  return 1;
}

static jet_status read_file(const char *path, char **out, size_t *len) {
  *out = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return jet_status_make(JET_NOT_FOUND, "cannot open '%s'", path);
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) jet_strbuf_append(&sb, buf, n);
  bool err = ferror(f);
  fclose(f);
  if (err) {
    jet_strbuf_free(&sb);
    return jet_status_make(JET_INVALID_ARGUMENT, "cannot read '%s'", path);
  }
  jet_strbuf_append(&sb, "", 0);
  jet_status st = jet_strbuf_status(&sb);
  if (st) {
    jet_strbuf_free(&sb);
    return st;
  }
  *len = sb.len;
  *out = jet_strbuf_take(&sb);
  return *out ? NULL : jet_status_oom("file contents");
}

jet_status jet__cli_parse_file(const char *path, jet_graph **g) {
  char *text;
  size_t len;
  JET_RETURN_IF_ERROR(read_file(path, &text, &len));
  jet_status st = jet_graph_parse(text, len, g);
  free(text);
  return jet_status_annotate(st, "%s: ", path);
}

static void human_bytes(uint64_t b, char *out, size_t cap) {
  const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  double v = (double)b;
  int u = 0;
  while (v >= 1024 && u < 4) {
    v /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(out, cap, "%llu B", (unsigned long long)b);
  else
    snprintf(out, cap, "%.1f %s", v, units[u]);
}

static int cmd_devices(jet_client *c) {
  jet_device_info *d;
  size_t n;
  jet_status st = jet_client_devices(c, &d, &n);
  if (st) return jet__cli_report(st);
  printf("%-4s %-8s %-25s %s\n", "ID", "KIND", "MEMORY (IN USE / LIMIT)", "LIVE ARRAYS");
  for (size_t i = 0; i < n; i++) {
    char used[32], limit[32], mem[80];
    human_bytes(d[i].memory_in_use_bytes, used, sizeof used);
    if (d[i].memory_limit_bytes)
      human_bytes(d[i].memory_limit_bytes, limit, sizeof limit);
    else
      snprintf(limit, sizeof limit, "unlimited");
    snprintf(mem, sizeof mem, "%s / %s", used, limit);
    printf("%-4u %-8s %-25s %u\n", d[i].id, d[i].kind, mem, d[i].live_arrays);
  }
  jet_device_info_free(d);
  return 0;
}

static int cmd_health(jet_client *c) {
  int serving = 0;
  jet_status st = jet_client_health(c, &serving);
  if (st) return jet__cli_report(st);
  printf("%s\n", serving ? "SERVING" : "NOT_SERVING");
  return serving ? 0 : 1;
}

static void stat_line(const char *name, uint64_t v) {
  printf("%-30s %llu\n", name, (unsigned long long)v);
}

static int cmd_stats(jet_client *c) {
  jet_stats s;
  jet_status st = jet_client_stats(c, &s);
  if (st) return jet__cli_report(st);
  printf("%-30s %s\n", "version:", s.version);
  stat_line("uptime_ms:", s.uptime_ms);
  stat_line("sessions:", s.sessions);
  stat_line("live_arrays:", s.live_arrays);
  stat_line("live_bytes:", s.live_bytes);
  stat_line("compile_cache_hits:", s.compile_cache_hits);
  stat_line("compile_cache_misses:", s.compile_cache_misses);
  stat_line("compile_cache_disk_hits:", s.compile_cache_disk_hits);
  stat_line("compile_cache_entries:", s.compile_cache_entries);
  stat_line("compile_cache_evictions:", s.compile_cache_evictions);
  stat_line("compile_cache_bytes:", s.compile_cache_bytes);
  stat_line("compile_cache_capacity_bytes:", s.compile_cache_capacity_bytes);
  stat_line("compile_cache_disk_entries:", s.compile_cache_disk_entries);
  stat_line("compile_cache_disk_bytes:", s.compile_cache_disk_bytes);
  stat_line("compile_cache_disk_discarded:", s.compile_cache_disk_discarded);
  stat_line("compile_time_total_us:", s.compile_time_total_us);
  printf("%-30s %s\n", "blas_core:", s.blas_core);
  printf("%-30s %s\n", "kernel_isa:", s.kernel_isa);
  stat_line("compute_threads:", s.compute_threads);
  stat_line("executions:", s.executions);
  stat_line("in_flight:", s.in_flight);
  if (s.n_methods) {
    printf("%-36s %10s %10s\n", "METHOD", "CALLS", "ERRORS");
    for (size_t i = 0; i < s.n_methods; i++)
      printf("%-36s %10llu %10llu\n", s.methods[i].method,
             (unsigned long long)s.methods[i].calls, (unsigned long long)s.methods[i].errors);
  }
  jet_stats_clear(&s);
  return 0;
}

static int cmd_print_ops(void) {
  printf("%-24s %-8s %s\n", "OP", "ARITY", "ATTRIBUTES");
  for (int op = 0; op < JET_OP_COUNT; op++) {
    const jet_op_info *info = jet_op_get((jet_op)op);
    if (!info) continue;
    char arity[16];
    if (info->n_operands < 0)
      snprintf(arity, sizeof arity, "variadic");
    else
      snprintf(arity, sizeof arity, "%d", info->n_operands);
    jet_strbuf attrs;
    jet_strbuf_init(&attrs);
    for (uint32_t a = 0; a < info->n_attrs; a++) {
      jet_strbuf_printf(&attrs, "%s%s:%s%s", a ? ", " : "", info->attrs[a].name,
                        jet_attr_kind_name(info->attrs[a].kind),
                        info->attrs[a].optional ? "?" : "");
    }
    if (attrs.len)
      printf("%-24s %-8s %s\n", info->name, arity, attrs.data);
    else
      printf("%-24s %s\n", info->name, arity);
    jet_strbuf_free(&attrs);
  }
  return 0;
}

static int cmd_print(int argc, char **argv) {
  if (argc != 1) return jet__cli_usage_error("print takes one FILE.jet or --ops");
  if (strcmp(argv[0], "--ops") == 0) return cmd_print_ops();
  jet_graph *g;
  jet_status st = jet__cli_parse_file(argv[0], &g);
  if (st) return jet__cli_report(st);
  jet_strbuf sb;
  jet_strbuf_init(&sb);
  st = jet_graph_print(g, &sb);
  jet_graph_destroy(g);
  if (!st) st = jet_strbuf_status(&sb);
  if (st) {
    jet_strbuf_free(&sb);
    return jet__cli_report(st);
  }
  fputs(sb.data ? sb.data : "", stdout);
  if (sb.len && sb.data[sb.len - 1] != '\n') fputc('\n', stdout);
  jet_strbuf_free(&sb);
  return 0;
}

#define MAX_TRANSFORMS 16

/* The number of parameters of g after the transforms (their type rule),
 * with vmap sizes read from the argument types. */
static jet_status transformed_params(const jet_graph *g, const jet_transform *tf, uint32_t n,
                                     const jet_type *args, uint32_t nargs, uint32_t *np) {
  *np = g->n_params;
  if (n == 0) return NULL;
  uint32_t cap = 4096, no;
  jet_type *outs = malloc((g->n_outputs ? g->n_outputs : 1) * sizeof *outs);
  jet_type *np_t = malloc(cap * sizeof *np_t), *no_t = malloc(cap * sizeof *no_t);
  jet_status st = (!outs || !np_t || !no_t) ? jet_status_oom("signature") : NULL;
  for (uint32_t i = 0; !st && i < g->n_outputs; i++) outs[i] = g->value_types[g->outputs[i]];
  if (!st)
    st = jet_transform_signature_args(g->value_types, g->n_params, outs, g->n_outputs, tf, n,
                                      args, nargs, np_t, np, no_t, &no, cap, NULL);
  free(outs);
  free(np_t);
  free(no_t);
  return st;
}

static int cmd_run(const char *address, int argc, char **argv) {
  if (argc < 1) return jet__cli_usage_error("run needs FILE.jet");
  jet_graph *g;
  jet_status st = jet__cli_parse_file(argv[0], &g);
  if (st) return jet__cli_report(st);
  /* Specs point into themselves: parsed in place, copied out below. */
  jet_transform_spec *specs = calloc(MAX_TRANSFORMS, sizeof *specs);
  jet_transform tfs[MAX_TRANSFORMS];
  uint32_t ntf = 0;
  if (!specs) {
    jet_graph_destroy(g);
    return jet__cli_report(jet_status_oom("transform specs"));
  }
  jet_cli_place places[MAX_TRANSFORMS];
  uint32_t nplace = 0;
  bool keep = false;
  while (argc > 1 && (strncmp(argv[1], "--transform", 11) == 0 ||
                      strncmp(argv[1], "--place", 7) == 0 || strcmp(argv[1], "--keep") == 0)) {
    const char *spec = NULL;
    int used = 1;
    if (strcmp(argv[1], "--keep") == 0) {
      keep = true;
      argc--;
      argv++;
      continue;
    }
    if (strncmp(argv[1], "--place", 7) == 0) {
      if (argv[1][7] == '=') spec = argv[1] + 8;
      else if (argv[1][7] == '\0' && argc > 2) spec = argv[2], used = 2;
      if (!spec || nplace == MAX_TRANSFORMS) {
        jet_graph_destroy(g);
        free(specs);
        return jet__cli_usage_error(spec ? "too many --place options"
                                         : "--place needs ARG=DEVICES (e.g. 0=0,1)");
      }
      st = jet__cli_place_parse(spec, &places[nplace++]);
      if (st) {
        jet_graph_destroy(g);
        free(specs);
        return jet__cli_report(st);
      }
      argc -= used;
      argv += used;
      continue;
    }
    if (argv[1][11] == '=') {
      spec = argv[1] + 12;
    } else if (argv[1][11] == '\0' && argc > 2) {
      spec = argv[2];
      used = 2;
    }
    if (!spec || ntf == MAX_TRANSFORMS) {
      jet_graph_destroy(g);
      free(specs);
      return jet__cli_usage_error(spec ? "too many --transform options"
                                       : "--transform needs SPEC (e.g. grad:argnums=0)");
    }
    st = jet_transform_spec_parse(spec, &specs[ntf]);
    if (st) {
      jet_graph_destroy(g);
      free(specs);
      return jet__cli_report(st);
    }
    tfs[ntf] = specs[ntf].tf;
    ntf++;
    argc -= used;
    argv += used;
  }
  size_t nargs = (size_t)argc - 1;
  jet_arg *args = calloc(nargs ? nargs : 1, sizeof *args);
  void **datas = calloc(nargs ? nargs : 1, sizeof *datas);
  jet_client *c = NULL;
  jet_result *res = NULL;
  size_t nres = 0;
  if (!args || !datas) st = jet_status_oom("arguments");
  for (size_t i = 0; !st && i < nargs; i++) {
    const char *lit = argv[1 + i];
    size_t nb;
    st = jet_literal_parse(lit, strlen(lit), &args[i].type, &datas[i], &nb);
    if (st) {
      st = jet_status_annotate(st, "argument %zu ('%s'): ", i, lit);
      break;
    }
    args[i].kind = JET_ARG_INLINE;
    args[i].data = datas[i];
  }
  uint32_t nparams = g->n_params;
  jet_type *arg_types = calloc(nargs ? nargs : 1, sizeof *arg_types);
  if (!st && !arg_types) st = jet_status_oom("argument types");
  for (size_t i = 0; !st && i < nargs; i++) arg_types[i] = args[i].type;
  if (!st) st = transformed_params(g, tfs, ntf, arg_types, (uint32_t)nargs, &nparams);
  if (!st && nargs != nparams)
    st = jet_status_make(JET_INVALID_ARGUMENT, "graph '%s'%s takes %u arguments but %zu were given",
                         g->name, ntf ? " (transformed)" : "", nparams, nargs);
  if (!st) {
    jet_client_options o = {0};
    o.address = address;
    o.client_name = "jet run";
    st = jet_client_open(&o, &c);
  }
  jet_executable *e = NULL;
  /* The argument types go with the graph, so a vmap without axis_size
   * takes its size from them. */
  jet_compile_options copts = {.arg_types = arg_types, .n_arg_types = nargs};
  if (!st) st = jet_compile_ex(c, g, tfs, ntf, &copts, &e, NULL);
  if (!st) {
    nres = jet_executable_num_outputs(e);
    res = calloc(nres ? nres : 1, sizeof *res);
    if (!res) st = jet_status_oom("results");
  }
  jet_array *uploaded[MAX_TRANSFORMS] = {0};
  for (uint32_t k = 0; !st && k < nplace; k++) {
    const uint32_t i = places[k].arg;
    if (i >= nargs) {
      st = jet_status_make(JET_INVALID_ARGUMENT, "--place: argument %u does not exist (%zu given)",
                           i, nargs);
      break;
    }
    st = jet__cli_place_upload(c, &places[k], &args[i].type, args[i].data, &uploaded[k]);
    if (!st) args[i] = jet_arg_of_array(uploaded[k]);
  }
  for (size_t i = 0; !st && i < nres; i++) res[i].keep_on_server = keep;
  if (!st) st = jet_execute(e, args, nargs, res, nres);
  if (!st) {
    jet_strbuf sb;
    jet_strbuf_init(&sb);
    for (size_t i = 0; !st && i < nres; i++) {
      void *data = res[i].data;
      size_t nb;
      if (keep) st = jet_array_get_alloc(res[i].array, &data, &nb);
      if (!st) st = jet_format_array(&res[i].type, data, &sb);
      jet_strbuf_puts(&sb, "\n");
      if (keep && !st) jet__cli_print_placement(&sb, i, res[i].array);
      if (keep) free(data);
    }
    if (!st) st = jet_strbuf_status(&sb);
    if (!st) fputs(sb.data ? sb.data : "", stdout);
    jet_strbuf_free(&sb);
    jet_results_clear(res, nres);
    for (size_t i = 0; keep && i < nres; i++) jet_status_free(jet_array_free(res[i].array));
  }
  for (uint32_t k = 0; k < nplace; k++) jet_status_free(jet_array_free(uploaded[k]));
  free(res);
  jet_client_close(c);
  for (size_t i = 0; datas && i < nargs; i++) free(datas[i]);
  free(datas);
  free(arg_types);
  free(args);
  free(specs);
  jet_graph_destroy(g);
  return st ? jet__cli_report(st) : 0;
}

/* The global security options (--token-file, --tls-ca, --tls-cert,
 * --tls-key, each "--opt FILE" or "--opt=FILE"): handed to every client
 * libjet opens through the environment it reads (JET_TOKEN, JET_TLS_CA,
 * JET_TLS_CERT, JET_TLS_KEY). Returns false when argv[*i] is none of them;
 * else advances *i and sets *rc to 0 or a usage/error exit code. */
static bool jet__cli_security_option(int argc, char **argv, int *i, int *rc) {
  static const struct {
    const char *opt, *env;
  } opts[] = {{"--token-file", JET_TOKEN_ENV},
              {"--tls-ca", JET_TLS_CA_ENV},
              {"--tls-cert", JET_TLS_CERT_ENV},
              {"--tls-key", JET_TLS_KEY_ENV}};
  const char *arg = argv[*i];
  for (size_t k = 0; k < sizeof opts / sizeof opts[0]; k++) {
    size_t n = strlen(opts[k].opt);
    if (strncmp(arg, opts[k].opt, n) != 0 || (arg[n] != '\0' && arg[n] != '=')) continue;
    const char *file;
    if (arg[n] == '=') {
      file = arg + n + 1;
      *i += 1;
    } else {
      if (*i + 1 >= argc) {
        char msg[64];
        snprintf(msg, sizeof msg, "%s needs FILE", opts[k].opt);
        *rc = jet__cli_usage_error(msg);
        return true;
      }
      file = argv[*i + 1];
      *i += 2;
    }
    *rc = 0;
    if (strcmp(opts[k].env, JET_TOKEN_ENV) != 0) {
      setenv(opts[k].env, file, 1);
      return true;
    }
    /* The token itself: the file's first line, without its line end. */
    FILE *f = fopen(file, "r");
    char tok[4096];
    if (!f || !fgets(tok, sizeof tok, f)) {
      fprintf(stderr, "error: INVALID_ARGUMENT: --token-file %s: %s\n", file,
              f ? "empty" : strerror(errno));
      if (f) fclose(f);
      *rc = 1;
      return true;
    }
    fclose(f);
    tok[strcspn(tok, "\r\n")] = '\0';
    setenv(JET_TOKEN_ENV, tok, 1);
    return true;
  }
  return false;
}

int main(int argc, char **argv) {
  const char *address = NULL;
  int i = 1, rc = 0;
  while (i < argc && argv[i][0] == '-' && argv[i][1] == '-') {
    if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
      fputs(usage_text, stdout);
      return 0;
    }
    if (strcmp(argv[i], "--address") == 0) {
      if (i + 1 >= argc) return jet__cli_usage_error("--address needs HOST:PORT");
      address = argv[i + 1];
      i += 2;
    } else if (strncmp(argv[i], "--address=", 10) == 0) {
      address = argv[i] + 10;
      i++;
    } else if (jet__cli_security_option(argc, argv, &i, &rc)) {
      if (rc) return rc;
    } else {
      char msg[256];
      snprintf(msg, sizeof msg, "unknown option '%s'", argv[i]);
      return jet__cli_usage_error(msg);
    }
  }
  if (i < argc && strcmp(argv[i], "-h") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (i >= argc) return jet__cli_usage_error("missing COMMAND");
  const char *cmd = argv[i++];
  int rest = argc - i;
  char **rargv = argv + i;
  if (strcmp(cmd, "help") == 0) {
    fputs(usage_text, stdout);
    return 0;
  }
  if (strcmp(cmd, "print") == 0) return cmd_print(rest, rargv);
  if (strcmp(cmd, "run") == 0) return cmd_run(address, rest, rargv);
  if (jet__cli_is_transform_command(cmd)) return jet__cli_transform(address, cmd, rest, rargv);
  bool known = strcmp(cmd, "devices") == 0 || strcmp(cmd, "health") == 0 ||
               strcmp(cmd, "stats") == 0;
  if (!known) {
    char msg[256];
    snprintf(msg, sizeof msg, "unknown command '%s'", cmd);
    return jet__cli_usage_error(msg);
  }
  if (rest != 0) {
    char msg[256];
    snprintf(msg, sizeof msg, "%s takes no arguments", cmd);
    return jet__cli_usage_error(msg);
  }
  jet_client_options o = {0};
  o.address = address;
  o.client_name = "jet cli";
  o.no_session = strcmp(cmd, "health") == 0;
  o.timeout_ms = 30000;
  jet_client *c;
  jet_status st = jet_client_open(&o, &c);
  if (st) return jet__cli_report(st);
  if (strcmp(cmd, "devices") == 0)
    rc = cmd_devices(c);
  else if (strcmp(cmd, "health") == 0)
    rc = cmd_health(c);
  else
    rc = cmd_stats(c);
  jet_client_close(c);
  return rc;
}
