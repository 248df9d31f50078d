/* The metrics/status HTTP server (http.h). Owner: server/observe. */
#include "observe/http.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon/log.h"
#include "observe/observe.h"
#include "observe/status_page.h"

typedef struct conn conn;

struct jet_http {
  uv_tcp_t server;
  struct jet_ctx *ctx;
  struct jet_wire *wire;
  conn *conns;
  unsigned n_conns;
  bool server_closed, stopping;
};

struct conn {
  uv_tcp_t tcp;
  uv_timer_t timer;
  uv_write_t wreq;
  uv_shutdown_t sreq;
  jet_http *h;
  char buf[JET_HTTP_MAX_REQUEST];
  size_t len;
  char *resp;
  int open_handles;
  bool closing, responded, draining;
  conn *prev, *next;
};

/* ---- addresses ------------------------------------------------------------ */

/* Splits HOST:PORT ([v6]:PORT) into host and port; false when malformed. */
static bool split(const char *listen, char *host, size_t cap, int *port) {
  const char *colon = strrchr(listen, ':');
  if (!colon || colon == listen) return false;
  const char *h = listen;
  size_t hl = (size_t)(colon - listen);
  if (h[0] == '[') {
    if (hl < 3 || h[hl - 1] != ']') return false;
    h++;
    hl -= 2;
  }
  if (hl >= cap) return false;
  memcpy(host, h, hl);
  host[hl] = '\0';
  char *end;
  long p = strtol(colon + 1, &end, 10);
  if (colon[1] == '\0' || *end || p < 0 || p > 65535) return false;
  *port = (int)p;
  return true;
}

static bool resolve(const char *listen, struct sockaddr_storage *ss) {
  char host[128];
  int port;
  if (!split(listen, host, sizeof host, &port)) return false;
  if (strcmp(host, "localhost") == 0) snprintf(host, sizeof host, "127.0.0.1");
  memset(ss, 0, sizeof(*ss));
  struct sockaddr_in *v4 = (struct sockaddr_in *)ss;
  struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)ss;
  if (inet_pton(AF_INET, host, &v4->sin_addr) == 1) {
    if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) return false;
    v4->sin_family = AF_INET;
    v4->sin_port = htons((uint16_t)port);
    return true;
  }
  if (inet_pton(AF_INET6, host, &v6->sin6_addr) == 1) {
    if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) return false;
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons((uint16_t)port);
    return true;
  }
  return false;
}

jet_status jet_http_check_address(const char *listen) {
  struct sockaddr_storage ss;
  if (!resolve(listen, &ss))
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "metrics-listen: '%.200s' is not a loopback HOST:PORT (127.0.0.1:PORT, "
                           "[::1]:PORT or localhost:PORT; the metrics server is local only)",
                           listen);
  return NULL;
}

/* ---- connections ---------------------------------------------------------- */

static void maybe_free(jet_http *h) {
  if (h->stopping && h->server_closed && h->n_conns == 0) free(h);
}

static void on_conn_handle_closed(uv_handle_t *hd) {
  conn *c = hd->data;
  if (--c->open_handles > 0) return;
  jet_http *h = c->h;
  if (c->prev) c->prev->next = c->next; else h->conns = c->next;
  if (c->next) c->next->prev = c->prev;
  h->n_conns--;
  free(c->resp);
  free(c);
  maybe_free(h);
}

static void conn_close(conn *c) {
  if (c->closing) return;
  c->closing = true;
  uv_close((uv_handle_t *)&c->tcp, on_conn_handle_closed);
  uv_close((uv_handle_t *)&c->timer, on_conn_handle_closed);
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf);
static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf);

/* Lingering close: after the answer, the write side is shut down and what
 * the client still sends is read and dropped until it closes (or the idle
 * timer fires), so an early answer (400 to an oversized request) is not
 * lost to a reset. */
static void on_shut(uv_shutdown_t *req, int status) {
  conn *c = req->data;
  if (status != 0 || c->closing) {
    conn_close(c);
    return;
  }
  c->draining = true;
  c->len = 0;
  if (uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) conn_close(c);
}

static void on_written(uv_write_t *req, int status) {
  conn *c = req->data;
  if (status != 0 || c->closing) {
    conn_close(c);
    return;
  }
  c->sreq.data = c;
  if (uv_shutdown(&c->sreq, (uv_stream_t *)&c->tcp, on_shut) != 0) conn_close(c);
}

static void respond(conn *c, int code, const char *reason, const char *ctype, const char *body,
                    size_t blen) {
  if (c->responded || c->closing) return;
  c->responded = true;
  uv_read_stop((uv_stream_t *)&c->tcp);
  char head[512];
  int hn = snprintf(head, sizeof head,
                    "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
                    "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
                    code, reason, ctype, blen);
  c->resp = malloc((size_t)hn + blen);
  if (!c->resp) {
    conn_close(c);
    return;
  }
  memcpy(c->resp, head, (size_t)hn);
  if (blen) memcpy(c->resp + hn, body, blen);
  uv_buf_t b = uv_buf_init(c->resp, (unsigned)((size_t)hn + blen));
  c->wreq.data = c;
  if (uv_write(&c->wreq, (uv_stream_t *)&c->tcp, &b, 1, on_written) != 0) conn_close(c);
}

static void respond_text(conn *c, int code, const char *reason, const char *msg) {
  respond(c, code, reason, "text/plain; charset=utf-8", msg, strlen(msg));
}

static bool is_token_char(char ch) { return ch >= 'A' && ch <= 'Z'; }

/* Handles a complete request head in c->buf (NUL-terminated). */
static void handle(conn *c) {
  char *line_end = strstr(c->buf, "\r\n");
  char *sp1 = strchr(c->buf, ' ');
  if (!line_end || !sp1 || sp1 > line_end || sp1 == c->buf) {
    respond_text(c, 400, "Bad Request", "bad request line\n");
    return;
  }
  for (char *p = c->buf; p < sp1; p++)
    if (!is_token_char(*p)) {
      respond_text(c, 400, "Bad Request", "bad request method\n");
      return;
    }
  char *target = sp1 + 1;
  char *sp2 = memchr(target, ' ', (size_t)(line_end - target));
  if (!sp2 || target[0] != '/' ||
      ((size_t)(line_end - sp2 - 1) != 8 || strncmp(sp2 + 1, "HTTP/1.", 7) != 0 ||
       (sp2[8] != '0' && sp2[8] != '1'))) {
    respond_text(c, 400, "Bad Request", "bad request target or version\n");
    return;
  }
  for (char *p = target; p < sp2; p++)
    if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
      respond_text(c, 400, "Bad Request", "bad request target\n");
      return;
    }
  size_t plen = (size_t)(sp2 - target);
  char *q = memchr(target, '?', plen);
  if (q) plen = (size_t)(q - target);
  bool get = (size_t)(sp1 - c->buf) == 3 && strncmp(c->buf, "GET", 3) == 0;
  jet_http *h = c->h;
#define PATH_IS(s) (plen == strlen(s) && strncmp(target, s, plen) == 0)
  bool known = PATH_IS("/metrics") || PATH_IS("/") || PATH_IS("/status.json");
  if (!known) {
    respond_text(c, 404, "Not Found", "not found: try /, /metrics or /status.json\n");
    return;
  }
  if (!get) {
    respond_text(c, 405, "Method Not Allowed", "only GET is served\n");
    return;
  }
  if (PATH_IS("/")) {
    size_t n;
    const char *page = jet_status_page_html(&n);
    respond(c, 200, "OK", "text/html; charset=utf-8", page, n);
    return;
  }
  size_t n = 0;
  char *body = PATH_IS("/metrics") ? jet_observe_metrics_text(h->ctx, h->wire, &n)
                                   : jet_observe_status_json(h->ctx, h->wire, &n);
  if (!body) {
    respond_text(c, 500, "Internal Server Error", "out of memory or metrics off\n");
    return;
  }
  respond(c, 200, "OK",
          PATH_IS("/metrics") ? "text/plain; version=0.0.4; charset=utf-8" : "application/json",
          body, n);
  free(body);
#undef PATH_IS
}

static void on_alloc(uv_handle_t *hd, size_t suggested, uv_buf_t *buf) {
  (void)suggested;
  conn *c = hd->data;
  /* One byte kept for the NUL. */
  *buf = uv_buf_init(c->buf + c->len, (unsigned)(sizeof c->buf - 1 - c->len));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *buf) {
  (void)buf;
  conn *c = s->data;
  if (n < 0) {
    conn_close(c);
    return;
  }
  if (c->draining) return; /* dropped */
  c->len += (size_t)n;
  c->buf[c->len] = '\0';
  if (memchr(c->buf, '\0', c->len)) {
    respond_text(c, 400, "Bad Request", "NUL byte in request\n");
    return;
  }
  if (strstr(c->buf, "\r\n\r\n")) {
    handle(c);
  } else if (c->len >= sizeof c->buf - 1) {
    respond_text(c, 400, "Bad Request", "request head over 8192 bytes\n");
  }
}

static void on_idle(uv_timer_t *t) { conn_close(t->data); }

static void on_refused_closed(uv_handle_t *hd) { free(hd); }

static void on_connection(uv_stream_t *srv, int status) {
  jet_http *h = srv->data;
  if (status != 0 || h->stopping) return;
  if (h->n_conns >= JET_HTTP_MAX_CONNS) {
    uv_tcp_t *t = malloc(sizeof(*t));
    if (!t) return;
    uv_tcp_init(srv->loop, t);
    if (uv_accept(srv, (uv_stream_t *)t) == 0)
      jet_log(JET_LOG_WARN, 0, "metrics: %d connections open; closing a new one",
              JET_HTTP_MAX_CONNS);
    uv_close((uv_handle_t *)t, on_refused_closed);
    return;
  }
  conn *c = calloc(1, sizeof(*c));
  if (!c) return; /* the pending connection stays in the backlog */
  c->h = h;
  uv_tcp_init(srv->loop, &c->tcp);
  uv_timer_init(srv->loop, &c->timer);
  c->tcp.data = c->timer.data = c;
  c->open_handles = 2;
  c->next = h->conns;
  if (h->conns) h->conns->prev = c;
  h->conns = c;
  h->n_conns++;
  if (uv_accept(srv, (uv_stream_t *)&c->tcp) != 0 ||
      uv_read_start((uv_stream_t *)&c->tcp, on_alloc, on_read) != 0) {
    conn_close(c);
    return;
  }
  uv_timer_start(&c->timer, on_idle, JET_HTTP_IDLE_MS, 0);
}

/* ---- start / stop --------------------------------------------------------- */

static void on_server_closed(uv_handle_t *hd) {
  jet_http *h = hd->data;
  h->server_closed = true;
  maybe_free(h);
}

static void free_unstarted(uv_handle_t *hd) { free(hd->data); }

jet_status jet_http_start(uv_loop_t *loop, const char *listen, struct jet_ctx *ctx,
                          struct jet_wire *w, jet_http **out, char *bound, size_t cap) {
  *out = NULL;
  struct sockaddr_storage ss;
  if (!resolve(listen, &ss)) return jet_http_check_address(listen);
  jet_http *h = calloc(1, sizeof(*h));
  if (!h) return jet_status_oom("metrics server");
  h->ctx = ctx;
  h->wire = w;
  uv_tcp_init(loop, &h->server);
  h->server.data = h;
  int r = uv_tcp_bind(&h->server, (const struct sockaddr *)&ss, 0);
  if (r == 0) r = uv_listen((uv_stream_t *)&h->server, 64, on_connection);
  if (r != 0) {
    uv_close((uv_handle_t *)&h->server, free_unstarted);
    return jet_status_make(JET_UNAVAILABLE, "metrics-listen: cannot listen on %s: %s", listen,
                           uv_strerror(r));
  }
  struct sockaddr_storage got;
  int glen = sizeof got;
  uv_tcp_getsockname(&h->server, (struct sockaddr *)&got, &glen);
  char ip[64] = "?";
  int port = 0;
  if (got.ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const void *)&got;
    uv_ip6_name(a, ip, sizeof ip);
    port = ntohs(a->sin6_port);
    snprintf(bound, cap, "[%s]:%d", ip, port);
  } else {
    const struct sockaddr_in *a = (const void *)&got;
    uv_ip4_name(a, ip, sizeof ip);
    port = ntohs(a->sin_port);
    snprintf(bound, cap, "%s:%d", ip, port);
  }
  *out = h;
  return NULL;
}

void jet_http_set_wire(jet_http *h, struct jet_wire *w) {
  if (h) h->wire = w;
}

void jet_http_stop(jet_http *h) {
  if (!h || h->stopping) return;
  h->stopping = true;
  for (conn *c = h->conns; c; c = c->next) conn_close(c);
  uv_close((uv_handle_t *)&h->server, on_server_closed);
}
