/* Daemon configuration: built-in defaults (an embedded config text), then a
 * config file of `key = value` lines (# starts a comment), then command-line
 * flags (--key value or --key=value), each overriding the one before. The
 * keys are the flag names:
 *
 *   listen             HOST:PORT or unix:/path (port 0 = any free port)
 *   devices            number of CPU devices (1..1024), or auto (the
 *                      default) = one per online CPU; more devices than
 *                      cores is allowed (tests, as XLA's forced host
 *                      device count)
 *   memory-limit       bytes per device, K/M/G suffixes allowed, 0 = none,
 *                      auto (the default) = 3/4 of physical memory / devices
 *   max-request-bytes  largest request message accepted
 *   log-level          error | warn | info | debug
 *   workers            worker threads of Compile/Execute (wire/workers.h;
 *                      0 = one per core)
 *   compute-threads    threads of the compute pool (runtime/pool.h) that
 *                      splits large kernels (0 = one per online CPU)
 *   exec-yield-us      executions yield their core at a step or loop
 *                      iteration once this long has passed since the
 *                      last yield (runtime/yield.h); 0 = never; 50
 *   cache-entries      executables kept in the compile cache (LRU)
 *   cache-bytes        bytes of executables kept in memory (LRU; K/M/G;
 *                      0 = no byte bound; default 256M)
 *   cache-dir          directory of the persistent compile cache (created
 *                      if missing; empty, the default, = no disk cache)
 *   cache-dir-bytes    bound of that directory (K/M/G; 0 = none; 1G)
 *   max-nodes          nodes per graph, callees included
 *   max-execute-ms     bound of one Execute's run on the server, in ms
 *                      (0 = none, the default): the run's deadline is the
 *                      earlier of the client's and start + this; past it
 *                      the run stops with DEADLINE_EXCEEDED
 *   shutdown-grace-ms  after the first SIGTERM/SIGINT, calls still in
 *                      flight this long are cancelled (CANCELLED; a loop
 *                      stops at its next iteration); 0 = wait for them
 *                      (a second signal cancels them at once); 30000
 *   tls-cert, tls-key, tls-client-ca, tokens-file   see config_security.h
 *   metrics-listen, log-format                      see config_observe.h
 *   tenant-memory, tenant-arrays, tenant-executions, tenant-request-bytes,
 *   tenant.NAME.FIELD                               see config_tenants.h
 *
 * An unknown key or a bad value is an error naming the source, line and
 * key; jetd prints it and exits with status 2. */
#ifndef JET_DAEMON_CONFIG_H
#define JET_DAEMON_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "daemon/config_observe.h"
#include "daemon/config_security.h"
#include "daemon/config_tenants.h"
#include "daemon/log.h"
#include "jet/status.h"

#define JET_CONFIG_MAX_DEVICES 1024

typedef struct jet_config {
  char listen[512];
  uint32_t devices; /* 0 = auto until jet_config_finish resolves it */
  uint64_t memory_limit;
  bool memory_limit_auto; /* resolved into memory_limit by jet_config_finish */
  uint64_t max_request_bytes;
  jet_log_level log_level;
  uint32_t workers;
  uint32_t compute_threads; /* 0 = online CPUs */
  uint32_t exec_yield_us;   /* 0 = executions never yield (runtime/yield.h) */
  uint32_t cache_entries;
  uint64_t cache_bytes;     /* 0 = no byte bound */
  char cache_dir[1024];     /* "" = no disk cache */
  uint64_t cache_dir_bytes; /* 0 = no bound */
  uint64_t max_nodes;
  uint64_t max_execute_ms; /* 0 = no server-side bound */
  uint64_t shutdown_grace_ms; /* 0 = wait for calls in flight */
  jet_config_security security;
  jet_config_observe observe;
  jet_config_tenants tenants;
} jet_config;

/* The compiled-in defaults (parsed from the embedded default config). */
extern const char jet_config_default_text[];
void jet_config_defaults(jet_config *c);

/* Sets one key from its text value; INVALID_ARGUMENT naming key and value. */
jet_status jet_config_set(jet_config *c, const char *key, const char *value) JET_MUST_USE;
/* Applies every `key = value` line of text; errors are "SOURCE:LINE: ...". */
jet_status jet_config_parse(jet_config *c, const char *text, const char *source) JET_MUST_USE;
jet_status jet_config_load_file(jet_config *c, const char *path) JET_MUST_USE;

typedef enum jet_config_action {
  JET_CONFIG_RUN = 0,
  JET_CONFIG_HELP = 1,
  JET_CONFIG_VERSION = 2,
} jet_config_action;

/* Defaults, then --config FILE (if given), then the other flags. */
jet_status jet_config_from_args(int argc, char **argv, jet_config *c,
                                jet_config_action *action) JET_MUST_USE;

/* Resolves derived values once every source has been applied (devices auto
 * = jet_config_online_cpus(), then memory-limit auto, shared by those
 * devices); jet_config_from_args calls it. */
void jet_config_finish(jet_config *c);

/* sysconf(_SC_NPROCESSORS_ONLN), at least 1, at most JET_CONFIG_MAX_DEVICES. */
uint32_t jet_config_online_cpus(void);

/* The --help text. */
extern const char jet_config_usage[];

/* Parses a byte count with optional K/M/G (powers of 1024) suffix. */
jet_status jet_config_parse_bytes(const char *key, const char *value,
                                  uint64_t *out) JET_MUST_USE;

#endif
