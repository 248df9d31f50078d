#include "session.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define NBUCKETS 256

typedef struct entry {
  struct entry *next;
  char token[JET_TOKEN_HEX + 1];
  char *client_name;
  char *tenant;
} entry;

struct jet_sessions {
  pthread_mutex_t mu;
  uint32_t count;
  entry *buckets[NBUCKETS];
};

jet_status jet_token_new(char out[JET_TOKEN_HEX + 1]) {
  unsigned char raw[JET_TOKEN_HEX / 2];
  size_t got = 0;
  while (got < sizeof(raw)) {
    ssize_t r = getrandom(raw + got, sizeof(raw) - got, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return jet_status_make(JET_INTERNAL, "getrandom failed: %s", strerror(errno));
    }
    got += (size_t)r;
  }
  static const char hex[] = "0123456789abcdef";
  for (size_t i = 0; i < sizeof(raw); i++) {
    out[2 * i] = hex[raw[i] >> 4];
    out[2 * i + 1] = hex[raw[i] & 15];
  }
  out[JET_TOKEN_HEX] = '\0';
  return NULL;
}

static unsigned bucket_of(const char *token) {
  unsigned h = 2166136261u;
  for (const char *p = token; *p; p++) h = (h ^ (unsigned char)*p) * 16777619u;
  return h % NBUCKETS;
}

jet_sessions *jet_sessions_create(void) {
  jet_sessions *s = calloc(1, sizeof(*s));
  if (s) pthread_mutex_init(&s->mu, NULL);
  return s;
}

void jet_sessions_destroy(jet_sessions *s) {
  if (!s) return;
  for (unsigned b = 0; b < NBUCKETS; b++) {
    for (entry *e = s->buckets[b], *n; e; e = n) {
      n = e->next;
      free(e->client_name);
      free(e->tenant);
      free(e);
    }
  }
  pthread_mutex_destroy(&s->mu);
  free(s);
}

jet_status jet_sessions_open(jet_sessions *s, const char *client_name,
                             char token_out[JET_TOKEN_HEX + 1]) {
  return jet_sessions_open_tenant(s, client_name, NULL, token_out);
}

jet_status jet_sessions_open_tenant(jet_sessions *s, const char *client_name, const char *tenant,
                                    char token_out[JET_TOKEN_HEX + 1]) {
  entry *e = calloc(1, sizeof(*e));
  if (!e) return jet_status_oom("session");
  e->client_name = strdup(client_name ? client_name : "");
  e->tenant = strdup(tenant ? tenant : "default");
  if (!e->client_name || !e->tenant) {
    free(e->client_name);
    free(e->tenant);
    free(e);
    return jet_status_oom("session client name");
  }
  jet_status st = jet_token_new(e->token);
  if (st) {
    free(e->client_name);
    free(e->tenant);
    free(e);
    return st;
  }
  memcpy(token_out, e->token, sizeof(e->token));
  unsigned b = bucket_of(e->token);
  pthread_mutex_lock(&s->mu);
  e->next = s->buckets[b];
  s->buckets[b] = e;
  s->count++;
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

static entry **find(jet_sessions *s, const char *token) {
  entry **pp = &s->buckets[bucket_of(token)];
  while (*pp && strcmp((*pp)->token, token) != 0) pp = &(*pp)->next;
  return pp;
}

bool jet_sessions_is_open(jet_sessions *s, const char *token) {
  if (!token) return false;
  pthread_mutex_lock(&s->mu);
  bool open = *find(s, token) != NULL;
  pthread_mutex_unlock(&s->mu);
  return open;
}

jet_status jet_sessions_check(jet_sessions *s, const char *token) {
  if (jet_sessions_is_open(s, token)) return NULL;
  return jet_status_make(JET_FAILED_PRECONDITION, "session '%.64s' is not open", token ? token : "");
}

jet_status jet_sessions_check_tenant(jet_sessions *s, const char *token, const char *tenant) {
  if (!tenant) tenant = "default";
  bool ok = false;
  if (token) {
    pthread_mutex_lock(&s->mu);
    entry *e = *find(s, token);
    ok = e && strcmp(e->tenant, tenant) == 0;
    pthread_mutex_unlock(&s->mu);
  }
  if (ok) return NULL;
  return jet_status_make(JET_FAILED_PRECONDITION, "session '%.64s' is not open", token ? token : "");
}

void jet_sessions_close(jet_sessions *s, const char *token) {
  pthread_mutex_lock(&s->mu);
  entry **pp = find(s, token);
  entry *e = *pp;
  if (e) {
    *pp = e->next;
    s->count--;
  }
  pthread_mutex_unlock(&s->mu);
  if (e) {
    free(e->client_name);
    free(e->tenant);
    free(e);
  }
}

uint32_t jet_sessions_count(jet_sessions *s) {
  pthread_mutex_lock(&s->mu);
  uint32_t n = s->count;
  pthread_mutex_unlock(&s->mu);
  return n;
}
