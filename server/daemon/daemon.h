/* Runs jetd: builds the daemon state from a configuration, serves until
 * SIGTERM/SIGINT (the first stops accepting and drains in-flight calls, a
 * second cancels them), then frees everything. */
#ifndef JET_DAEMON_DAEMON_H
#define JET_DAEMON_DAEMON_H

#include "daemon/config.h"

/* Returns the process exit status: 0 after a clean shutdown, 1 when the
 * daemon could not start (the reason is logged). Prints
 * "jetd listening on ADDRESS" on stdout once serving. */
int jet_daemon_run(const jet_config *cfg);

#endif
