#include "daemon/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static atomic_int g_level = JET_LOG_INFO;
static atomic_bool g_json = false;
static const char *const names[] = {"error", "warn", "info", "debug"};

void jet_log_set_level(jet_log_level level) { atomic_store(&g_level, (int)level); }
jet_log_level jet_log_get_level(void) { return (jet_log_level)atomic_load(&g_level); }
void jet_log_set_json(bool json) { atomic_store(&g_json, json); }

/* msg as a JSON string body into out (cap >= 8); truncated whole escapes. */
static void json_escape(const char *msg, char *out, size_t cap) {
  size_t o = 0;
  for (const unsigned char *p = (const unsigned char *)msg; *p; p++) {
    char e[8];
    size_t n;
    switch (*p) {
      case '"': n = (size_t)snprintf(e, sizeof e, "\\\""); break;
      case '\\': n = (size_t)snprintf(e, sizeof e, "\\\\"); break;
      case '\n': n = (size_t)snprintf(e, sizeof e, "\\n"); break;
      case '\r': n = (size_t)snprintf(e, sizeof e, "\\r"); break;
      case '\t': n = (size_t)snprintf(e, sizeof e, "\\t"); break;
      default:
        if (*p < 0x20 || *p == 0x7f) n = (size_t)snprintf(e, sizeof e, "\\u%04x", *p);
        else e[0] = (char)*p, n = 1;
    }
    if (o + n >= cap) break;
    memcpy(out + o, e, n);
    o += n;
  }
  out[o] = '\0';
}

int jet_log_level_from_name(const char *name) {
  for (int i = 0; i < 4; i++)
    if (strcmp(name, names[i]) == 0) return i;
  return -1;
}

const char *jet_log_level_name(jet_log_level level) {
  return (unsigned)level < 4 ? names[level] : "?";
}

void jet_log(jet_log_level level, uint64_t request_id, const char *fmt, ...) {
  if ((int)level > atomic_load(&g_level)) return;
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof(msg), fmt, ap);
  va_end(ap);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[32];
  strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
  if (atomic_load(&g_json)) {
    char esc[sizeof msg * 6 + 1];
    json_escape(msg, esc, sizeof esc);
    char req[24] = "null";
    if (request_id) snprintf(req, sizeof req, "%llu", (unsigned long long)request_id);
    fprintf(stderr, "{\"ts\":\"%s.%03ldZ\",\"level\":\"%s\",\"req\":%s,\"msg\":\"%s\"}\n", when,
            ts.tv_nsec / 1000000, jet_log_level_name(level), req, esc);
  } else if (request_id)
    fprintf(stderr, "%s.%03ldZ jetd %-5s [req %llu] %s\n", when, ts.tv_nsec / 1000000,
            jet_log_level_name(level), (unsigned long long)request_id, msg);
  else
    fprintf(stderr, "%s.%03ldZ jetd %-5s %s\n", when, ts.tv_nsec / 1000000,
            jet_log_level_name(level), msg);
}
