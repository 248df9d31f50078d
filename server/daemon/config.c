#include "daemon/config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jet/limits.h"

#define STR2(x) #x
#define STR(x) STR2(x)

const char jet_config_default_text[] =
    "# jetd built-in defaults\n"
    "listen = 127.0.0.1:" STR(JET_DEFAULT_PORT) "\n"
    "devices = auto\n"
    "memory-limit = auto\n"
    "max-request-bytes = 64M\n"
    "log-level = info\n"
    "workers = 0\n"
    "compute-threads = 0\n"
    "exec-yield-us = 50\n"
    "cache-entries = 4096\n"
    "cache-bytes = 256M\n"
    "cache-dir =\n"
    "cache-dir-bytes = 1G\n"
    "max-nodes = 1000000\n"
    "max-execute-ms = 0\n"
    "shutdown-grace-ms = 30000\n"
    "tls-cert =\n"
    "tls-key =\n"
    "tls-client-ca =\n"
    "tokens-file =\n"
    "metrics-listen =\n"
    "log-format = text\n"
    "tenant-memory = 0\n"
    "tenant-arrays = 0\n"
    "tenant-executions = 0\n"
    "tenant-request-bytes = 0\n";

const char jet_config_usage[] =
    "usage: jetd [options]\n"
    "  --listen HOST:PORT|unix:PATH  address to serve on (default 127.0.0.1:" STR(
        JET_DEFAULT_PORT) "; port 0 = any free port)\n"
    "  --config FILE                 read `key = value` lines (same keys as the flags)\n"
    "  --devices N|auto              number of CPU devices; auto = one per online CPU\n"
    "                                (default); more than the cores is fine (tests)\n"
    "  --memory-limit BYTES|auto     memory limit per device, K/M/G suffixes, 0 = none,\n"
    "                                auto = 3/4 of physical memory / devices (default)\n"
    "  --max-request-bytes BYTES     largest request message (default 64M)\n"
    "  --log-level LEVEL             error|warn|info|debug (default info)\n"
    "  --workers N                   RPC worker threads (default: one per core)\n"
    "  --compute-threads N           threads of the compute pool that splits large\n"
    "                                kernels (default 0 = one per online CPU)\n"
    "  --exec-yield-us US            a running execution gives its core away (sched_yield)\n"
    "                                at its next step or loop iteration once this long has\n"
    "                                passed, so other tenants' calls need not wait for the\n"
    "                                kernel's tick; 0 = never (default 50)\n"
    "  --cache-entries N             compiled executables kept (default 4096)\n"
    "  --cache-bytes BYTES           memory of compiled executables kept, K/M/G suffixes,\n"
    "                                0 = no byte bound (default 256M)\n"
    "  --cache-dir DIR               persistent compile cache directory (created if missing;\n"
    "                                default: none)\n"
    "  --cache-dir-bytes BYTES       bound of the cache directory, 0 = none (default 1G)\n"
    "  --max-nodes N                 nodes per graph incl. callees and sub-graphs (default 1000000)\n"
    "  --max-execute-ms MS           longest run of one Execute on the server: past it the\n"
    "                                run stops with DEADLINE_EXCEEDED, whatever the client's\n"
    "                                deadline (stops runaway loops); 0 = none (default)\n"
    "  --shutdown-grace-ms MS        after SIGTERM, how long calls in flight may finish\n"
    "                                before they are cancelled; 0 = wait for them\n"
    "                                (default 30000)\n"
    "  --tls-cert FILE --tls-key FILE  serve TLS with this certificate chain and key (PEM)\n"
    "  --tls-client-ca FILE          mutual TLS: clients must present a certificate signed\n"
    "                                by this CA\n"
    "  --tokens-file FILE            bearer tokens (stored hashed) of each tenant; re-read on\n"
    "                                SIGHUP. Listening beyond loopback needs TLS and tokens\n"
    "  --metrics-listen HOST:PORT    loopback HTTP port for /metrics (Prometheus) and the\n"
    "                                status page (default: off)\n"
    "  --log-format text|json        log lines as text (default) or JSON objects\n"
    "  --tenant-memory BYTES         bytes of live arrays one tenant may keep, K/M/G;\n"
    "                                0 = no limit (default)\n"
    "  --tenant-arrays N             live arrays one tenant may keep (0 = no limit)\n"
    "  --tenant-executions N         concurrent Executes of one tenant, running and\n"
    "                                queued (0 = no limit)\n"
    "  --tenant-request-bytes BYTES  largest request of one tenant, a PutArray counts the\n"
    "                                whole array (<= max-request-bytes; 0 = no limit)\n"
    "  --tenant.NAME.memory|arrays|executions|request-bytes V   the same for tenant NAME\n"
    "  --help, --version\n";

jet_status jet_config_parse_bytes(const char *key, const char *value, uint64_t *out) {
  const char *p = value;
  if (!isdigit((unsigned char)*p))
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: '%s' is not a byte count", key, value);
  errno = 0;
  char *end;
  unsigned long long v = strtoull(p, &end, 10);
  unsigned shift = 0;
  if (*end == 'K' || *end == 'k') shift = 10;
  else if (*end == 'M' || *end == 'm') shift = 20;
  else if (*end == 'G' || *end == 'g') shift = 30;
  if (shift) end++;
  if (shift && (*end == 'B' || *end == 'b' || *end == 'i')) {
    if (*end == 'i') end++;
    if (*end == 'B' || *end == 'b') end++;
  }
  if (errno || *end || (shift && v > (UINT64_MAX >> shift)))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "%s: '%s' is not a byte count (digits with an optional K, M or G)",
                           key, value);
  *out = (uint64_t)v << shift;
  return NULL;
}

static jet_status parse_uint(const char *key, const char *value, uint64_t lo, uint64_t hi,
                             uint64_t *out) {
  errno = 0;
  char *end;
  unsigned long long v = isdigit((unsigned char)*value) ? strtoull(value, &end, 10) : 0;
  if (!isdigit((unsigned char)*value) || errno || *end || v < lo || v > hi)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s: '%s' is not an integer in %llu..%llu", key,
                           value, (unsigned long long)lo, (unsigned long long)hi);
  *out = v;
  return NULL;
}

void jet_config_defaults(jet_config *c) {
  memset(c, 0, sizeof(*c));
  jet_status st = jet_config_parse(c, jet_config_default_text, "built-in defaults");
  /* The embedded text is fixed and valid; a failure here is a build bug. */
  if (st) {
    fprintf(stderr, "jetd: %s\n", jet_status_message(st));
    jet_status_free(st);
    abort();
  }
}

jet_status jet_config_set(jet_config *c, const char *key, const char *value) {
  uint64_t v;
  if (strcmp(key, "listen") == 0) {
    if (!*value || strlen(value) >= sizeof(c->listen))
      return jet_status_make(JET_INVALID_ARGUMENT, "listen: '%.64s' is not an address", value);
    snprintf(c->listen, sizeof(c->listen), "%s", value);
  } else if (strcmp(key, "devices") == 0) {
    if (strcmp(value, "auto") == 0) {
      c->devices = 0; /* resolved by jet_config_finish */
    } else {
      jet_status st = parse_uint(key, value, 1, JET_CONFIG_MAX_DEVICES, &v);
      if (st) {
        jet_status_free(st);
        return jet_status_make(JET_INVALID_ARGUMENT,
                               "devices: '%.64s' is neither auto nor an integer in 1..%u", value,
                               JET_CONFIG_MAX_DEVICES);
      }
      c->devices = (uint32_t)v;
    }
  } else if (strcmp(key, "memory-limit") == 0) {
    c->memory_limit_auto = strcmp(value, "auto") == 0;
    if (c->memory_limit_auto)
      c->memory_limit = 0;
    else
      JET_RETURN_IF_ERROR(jet_config_parse_bytes(key, value, &c->memory_limit));
  } else if (strcmp(key, "max-request-bytes") == 0) {
    JET_RETURN_IF_ERROR(jet_config_parse_bytes(key, value, &v));
    if (v < 1024 || v > 0x7fffffff)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "max-request-bytes: '%s' is out of range 1K..2147483647", value);
    c->max_request_bytes = v;
  } else if (strcmp(key, "log-level") == 0) {
    int l = jet_log_level_from_name(value);
    if (l < 0)
      return jet_status_make(JET_INVALID_ARGUMENT,
                             "log-level: '%.64s' is not one of error, warn, info, debug", value);
    c->log_level = (jet_log_level)l;
  } else if (strcmp(key, "workers") == 0) {
    JET_RETURN_IF_ERROR(parse_uint(key, value, 0, 1024, &v));
    c->workers = (uint32_t)v;
  } else if (strcmp(key, "compute-threads") == 0) {
    JET_RETURN_IF_ERROR(parse_uint(key, value, 0, 1024, &v));
    c->compute_threads = (uint32_t)v;
  } else if (strcmp(key, "exec-yield-us") == 0) {
    JET_RETURN_IF_ERROR(parse_uint(key, value, 0, 1000000, &v));
    c->exec_yield_us = (uint32_t)v;
  } else if (strcmp(key, "cache-entries") == 0) {
    JET_RETURN_IF_ERROR(parse_uint(key, value, 1, 1u << 24, &v));
    c->cache_entries = (uint32_t)v;
  } else if (strcmp(key, "cache-bytes") == 0) {
    JET_RETURN_IF_ERROR(jet_config_parse_bytes(key, value, &c->cache_bytes));
  } else if (strcmp(key, "cache-dir") == 0) {
    if (strlen(value) >= sizeof(c->cache_dir))
      return jet_status_make(JET_INVALID_ARGUMENT, "cache-dir: '%.64s...' is too long", value);
    snprintf(c->cache_dir, sizeof(c->cache_dir), "%s", value);
  } else if (strcmp(key, "cache-dir-bytes") == 0) {
    JET_RETURN_IF_ERROR(jet_config_parse_bytes(key, value, &c->cache_dir_bytes));
  } else if (strcmp(key, "max-nodes") == 0) {
    JET_RETURN_IF_ERROR(parse_uint(key, value, 1, UINT32_MAX, &v));
    c->max_nodes = v;
  } else if (strcmp(key, "max-execute-ms") == 0) {
    JET_RETURN_IF_ERROR(parse_uint(key, value, 0, (uint64_t)1 << 40, &v));
    c->max_execute_ms = v;
  } else if (strcmp(key, "shutdown-grace-ms") == 0) {
    JET_RETURN_IF_ERROR(parse_uint(key, value, 0, (uint64_t)1 << 40, &v));
    c->shutdown_grace_ms = v;
  } else {
    bool handled = false;
    JET_RETURN_IF_ERROR(jet__config_set_security(&c->security, key, value, &handled));
    if (!handled) JET_RETURN_IF_ERROR(jet__config_set_observe(&c->observe, key, value, &handled));
    if (!handled) JET_RETURN_IF_ERROR(jet__config_set_tenants(&c->tenants, key, value, &handled));
    if (!handled) return jet_status_make(JET_INVALID_ARGUMENT, "unknown key '%.64s'", key);
  }
  return NULL;
}

static char *trim(char *s) {
  while (isspace((unsigned char)*s)) s++;
  char *e = s + strlen(s);
  while (e > s && isspace((unsigned char)e[-1])) *--e = '\0';
  return s;
}

jet_status jet_config_parse(jet_config *c, const char *text, const char *source) {
  char *copy = strdup(text);
  if (!copy) return jet_status_oom("config text");
  jet_status st = NULL;
  unsigned lineno = 0;
  for (char *p = copy; !st && p;) {
    char *nl = strchr(p, '\n');
    if (nl) *nl = '\0';
    lineno++;
    char *hash = strchr(p, '#');
    if (hash) *hash = '\0';
    char *line = trim(p);
    if (*line) {
      char *eq = strchr(line, '=');
      if (!eq) {
        st = jet_status_make(JET_INVALID_ARGUMENT, "expected `key = value`, got '%.64s'", line);
      } else {
        *eq = '\0';
        st = jet_config_set(c, trim(line), trim(eq + 1));
      }
      if (st) st = jet_status_annotate(st, "%s:%u: ", source, lineno);
    }
    p = nl ? nl + 1 : NULL;
  }
  free(copy);
  return st;
}

jet_status jet_config_load_file(jet_config *c, const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f)
    return jet_status_make(JET_NOT_FOUND, "config file %s: %s", path, strerror(errno));
  char *buf = NULL;
  size_t len = 0, cap = 0;
  for (;;) {
    if (len + 4096 + 1 > cap) {
      cap = cap ? cap * 2 : 8192;
      char *nb = realloc(buf, cap);
      if (!nb) {
        free(buf);
        fclose(f);
        return jet_status_oom("config file");
      }
      buf = nb;
    }
    size_t n = fread(buf + len, 1, 4096, f);
    len += n;
    if (n < 4096) break;
  }
  int err = ferror(f);
  fclose(f);
  if (err) {
    free(buf);
    return jet_status_make(JET_INVALID_ARGUMENT, "config file %s: read error", path);
  }
  buf[len] = '\0';
  jet_status st = jet_config_parse(c, buf, path);
  free(buf);
  return st;
}

/* Splits "--key=value" / "--key value"; returns the index of the next
 * argument or -1 when a value is missing. */
static int split_flag(int argc, char **argv, int i, char *key, size_t keycap, const char **value) {
  const char *a = argv[i] + 2;
  const char *eq = strchr(a, '=');
  if (eq) {
    snprintf(key, keycap, "%.*s", (int)(eq - a), a);
    *value = eq + 1;
    return i + 1;
  }
  snprintf(key, keycap, "%s", a);
  if (i + 1 >= argc) return -1;
  *value = argv[i + 1];
  return i + 2;
}

jet_status jet_config_from_args(int argc, char **argv, jet_config *c, jet_config_action *action) {
  *action = JET_CONFIG_RUN;
  jet_config_defaults(c);
  /* Pass 1: --help / --version / --config. Pass 2: everything else. */
  for (int pass = 1; pass <= 2; pass++) {
    for (int i = 1; i < argc;) {
      const char *a = argv[i];
      if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
        *action = JET_CONFIG_HELP;
        return NULL;
      }
      if (strcmp(a, "--version") == 0) {
        *action = JET_CONFIG_VERSION;
        return NULL;
      }
      if (strncmp(a, "--", 2) != 0)
        return jet_status_make(JET_INVALID_ARGUMENT, "unexpected argument '%.64s'", a);
      char key[64];
      const char *value;
      int next = split_flag(argc, argv, i, key, sizeof(key), &value);
      if (next < 0) return jet_status_make(JET_INVALID_ARGUMENT, "--%s needs a value", key);
      if (strcmp(key, "config") == 0) {
        if (pass == 1) JET_RETURN_IF_ERROR(jet_config_load_file(c, value));
      } else if (pass == 2) {
        jet_status st = jet_config_set(c, key, value);
        if (st) return jet_status_annotate(st, "--%s: ", key);
      }
      i = next;
    }
  }
  jet_config_finish(c);
  return NULL;
}

uint32_t jet_config_online_cpus(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) return 1;
  return n > JET_CONFIG_MAX_DEVICES ? JET_CONFIG_MAX_DEVICES : (uint32_t)n;
}

void jet_config_finish(jet_config *c) {
  /* devices = auto: one per online CPU (JAX's CPU backend has one device;
   * XLA's forced host device count gives more: here any number may be
   * asked for, the default follows the cores). */
  if (c->devices == 0) c->devices = jet_config_online_cpus();
  if (!c->memory_limit_auto) return;
  long pages = sysconf(_SC_PHYS_PAGES), page = sysconf(_SC_PAGESIZE);
  uint64_t phys = pages > 0 && page > 0 ? (uint64_t)pages * (uint64_t)page : 0;
  /* Three quarters of the machine, shared equally by the devices: a graph
   * that asks for more is refused with RESOURCE_EXHAUSTED instead of letting
   * the kernel's OOM killer end the daemon. */
  c->memory_limit = phys / 4 * 3 / (c->devices ? c->devices : 1);
  c->memory_limit_auto = false;
}

_Static_assert(JET_MAX_MESSAGE_BYTES == 64 * 1024 * 1024,
               "the embedded default config says max-request-bytes = 64M");
