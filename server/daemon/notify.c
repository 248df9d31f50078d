/* The sd_notify protocol without libsystemd (owner: server/daemon; see
 * notify.h): one AF_UNIX datagram to $NOTIFY_SOCKET. */
#include "daemon/notify.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "daemon/log.h"

#define NOTIFY_SOCKET_NAME JET_NOTIFY_SOCKET_ENV

/* Fills *sa from a NOTIFY_SOCKET value; *len gets the address length (for
 * an abstract name it counts only the name's bytes, as systemd binds it). */
static jet_status notify_address(const char *name, struct sockaddr_un *sa, socklen_t *len) {
  memset(sa, 0, sizeof(*sa));
  sa->sun_family = AF_UNIX;
  size_t n = strlen(name);
  if (strncmp(name, "vsock:", 6) == 0)
    return jet_status_make(JET_UNIMPLEMENTED,
                           NOTIFY_SOCKET_NAME ": vsock sockets ('%.64s') are not supported", name);
  if (name[0] != '/' && name[0] != '@')
    return jet_status_make(JET_INVALID_ARGUMENT,
                           NOTIFY_SOCKET_NAME
                           ": '%.64s' is neither an absolute path nor an '@' abstract name",
                           name);
  if (n >= sizeof(sa->sun_path))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           NOTIFY_SOCKET_NAME ": '%.64s...' is longer than %zu bytes", name,
                           sizeof(sa->sun_path) - 1);
  memcpy(sa->sun_path, name, n);
  if (name[0] == '@') sa->sun_path[0] = '\0';
  *len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + n + (name[0] == '/' ? 1 : 0));
  return NULL;
}

jet_status jet_notify_send(const char *socket_name, const char *message) {
  if (!socket_name || !*socket_name) return NULL;
  struct sockaddr_un sa;
  socklen_t len = 0;
  JET_RETURN_IF_ERROR(notify_address(socket_name, &sa, &len));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return jet_status_make(JET_UNAVAILABLE, NOTIFY_SOCKET_NAME " %.64s: socket: %s", socket_name,
                           strerror(errno));
  size_t mlen = strlen(message);
  ssize_t sent;
  do {
    sent = sendto(fd, message, mlen, MSG_NOSIGNAL, (const struct sockaddr *)&sa, len);
  } while (sent < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  if (sent < 0)
    return jet_status_make(JET_UNAVAILABLE, NOTIFY_SOCKET_NAME " %.64s: %s", socket_name,
                           strerror(err));
  if ((size_t)sent != mlen)
    return jet_status_make(JET_UNAVAILABLE, NOTIFY_SOCKET_NAME " %.64s: sent %zd of %zu bytes",
                           socket_name, sent, mlen);
  return NULL;
}

jet_status jet_notify(const char *message) {
  return jet_notify_send(getenv(JET_NOTIFY_SOCKET_ENV), message);
}

int jet_notifyf(const char *fmt, ...) {
  const char *sock = getenv(JET_NOTIFY_SOCKET_ENV);
  if (!sock || !*sock) return 0; /* not under systemd: nothing to format */
  char buf[JET_NOTIFY_MAX_MESSAGE];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(buf, sizeof(buf), fmt, ap);
  va_end(ap);
  jet_status st;
  if (n < 0 || (size_t)n >= sizeof(buf))
    st = jet_status_make(JET_INVALID_ARGUMENT,
                         NOTIFY_SOCKET_NAME ": message longer than %d bytes",
                         JET_NOTIFY_MAX_MESSAGE - 1);
  else
    st = jet_notify_send(sock, buf);
  if (!st) return 0;
  jet_log(JET_LOG_WARN, 0, "systemd notification failed: %s", jet_status_message(st));
  jet_status_free(st);
  return -1;
}
