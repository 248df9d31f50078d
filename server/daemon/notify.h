/* systemd readiness notification (notify.c; owner: server/daemon).
 *
 * The sd_notify protocol implemented directly, without libsystemd: one
 * datagram of newline-separated `KEY=VALUE` lines sent to the AF_UNIX socket
 * named by $NOTIFY_SOCKET — a path ("/run/systemd/notify"), or an abstract
 * name when it starts with '@' (the '@' becomes the leading NUL byte).
 * Without $NOTIFY_SOCKET (jetd not started by a Type=notify unit) every call
 * is a no-op that succeeds.
 *
 * jetd (daemon.c) sends "READY=1" once it listens (after printing
 * `jetd listening on ...`) and "STOPPING=1" when the first SIGTERM/SIGINT
 * starts the drain, each with a STATUS= line that `systemctl status` shows.
 *
 * Thread safety: every function may be called from any thread; each call
 * opens and closes its own socket. */
#ifndef JET_DAEMON_NOTIFY_H
#define JET_DAEMON_NOTIFY_H

#include "jet/status.h"

/* Name of the environment variable systemd sets for Type=notify services. */
#define JET_NOTIFY_SOCKET_ENV "NOTIFY_SOCKET"
/* Longest message sent (one datagram); longer formatted text is refused. */
#define JET_NOTIFY_MAX_MESSAGE 1024

/* Sends `message` to the socket `socket_name` (a path or an '@' abstract
 * name). NULL or "" socket_name: no-op, returns NULL. INVALID_ARGUMENT
 * naming NOTIFY_SOCKET for a name that is neither absolute nor abstract
 * ("vsock:" sockets: UNIMPLEMENTED), or too long for sockaddr_un;
 * UNAVAILABLE naming the socket and the OS error when it cannot be sent. */
jet_status jet_notify_send(const char *socket_name, const char *message) JET_MUST_USE;

/* jet_notify_send to $NOTIFY_SOCKET (no-op when it is unset). */
jet_status jet_notify(const char *message) JET_MUST_USE;

/* Formats the message (printf-style) and sends it with jet_notify; a
 * failure is logged as a warning (the daemon goes on: readiness is advice
 * to the service manager, not a reason to stop serving). Returns 0 when
 * sent or a no-op, -1 when it failed. */
int jet_notifyf(const char *fmt, ...) JET_PRINTF(1, 2);

#endif
