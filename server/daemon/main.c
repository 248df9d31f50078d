/* jetd: the jet daemon. See daemon/config.h for the flags. */
#include <cblas.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "daemon/config.h"
#include "daemon/daemon.h"
#include "daemon/log.h"
#include "runtime/device_exec.h"
#include "runtime/fused/tile.h"
#include "runtime/pool.h"
#include "runtime/yield.h"

int main(int argc, char **argv) {
  jet_config cfg;
  jet_config_action action;
  jet_status st = jet_config_from_args(argc, argv, &cfg, &action);
  if (st) {
    fprintf(stderr, "jetd: %s\n%s", jet_status_message(st), jet_config_usage);
    jet_status_free(st);
    return 2;
  }
  if (action == JET_CONFIG_HELP) {
    fputs(jet_config_usage, stdout);
    return 0;
  }
  if (action == JET_CONFIG_VERSION) {
    printf("jetd %s\n", JET_VERSION);
    return 0;
  }
  jet_log_set_level(cfg.log_level);
  jet_log_set_json(cfg.observe.log_format == JET_LOG_JSON);
  /* A client that vanishes must not kill the daemon through a write. */
  signal(SIGPIPE, SIG_IGN);
  if (cfg.workers == 0) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    cfg.workers = n > 0 ? (uint32_t)n : 1;
  }
  /* Request messages and their decoded copies (chunks of up to 64 MiB) come
   * and go all the time: keep them on the heap instead of fresh mmaps, whose
   * pages cost ~13 µs each to fault in here (machine-limits.md §2b). Large
   * arrays use huge pages through runtime/mem.c. */
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 256 << 20);
  /* Parallelism comes from the compute pool (runtime/pool.h), which splits
   * large kernels, matrix products included: OpenBLAS itself stays on one
   * thread so that the two never oversubscribe the cores. */
  openblas_set_num_threads(1);
  jet_yield_set_interval_us(cfg.exec_yield_us);
  st = jet_pool_global_init(cfg.compute_threads);
  if (st) {
    fprintf(stderr, "jetd: compute pool: %s\n", jet_status_message(st));
    jet_status_free(st);
    return 1;
  }
  /* One executor thread per device: the members of pmap calls run there
   * (runtime/device_exec.h), so they may use the compute pool. */
  st = jet_device_exec_global_init(cfg.devices);
  if (st) {
    fprintf(stderr, "jetd: device executors: %s\n", jet_status_message(st));
    jet_status_free(st);
    jet_pool_global_shutdown();
    return 1;
  }
  jet_tile_init();
  jet_log(JET_LOG_INFO, 0,
          "compute pool: %u threads; OpenBLAS core %s, 1 thread; fused kernels: %s",
          jet_pool_size(jet_pool_global()), openblas_get_corename(), jet_tile_isa());
  int rc = jet_daemon_run(&cfg);
  jet_device_exec_global_shutdown();
  jet_pool_global_shutdown();
  return rc;
}
