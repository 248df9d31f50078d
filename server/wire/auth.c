/* The bearer-token table (auth.h): parsing the tokens file, SHA-256,
 * constant-time lookup, reload, and the protected-mode check. The per-call
 * check that uses it lives in auth_call.c. */
#include "wire/auth.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILE_BYTES (4u << 20)

typedef struct token_entry {
  unsigned char hash[SHA256_DIGEST_LENGTH];
  const char *tenant; /* interned */
} token_entry;

typedef struct tenant_name {
  struct tenant_name *next;
  char name[JET_TENANT_MAX + 1];
} tenant_name;

struct jet_auth {
  pthread_mutex_t mu;
  char *path; /* NULL when parsed from text */
  token_entry *tokens;
  uint32_t n_tokens;
  tenant_name *names; /* append-only until destroy */
};

void jet_sha256_hex(const void *data, size_t len, char out[JET_SHA256_HEX + 1]) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(data, len, d);
  static const char hex[] = "0123456789abcdef";
  for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
    out[2 * i] = hex[d[i] >> 4];
    out[2 * i + 1] = hex[d[i] & 15];
  }
  out[JET_SHA256_HEX] = '\0';
}

/* Returns the interned copy of name (mu held or a not yet shared table). */
static const char *intern(jet_auth *a, const char *name) {
  for (tenant_name *t = a->names; t; t = t->next)
    if (strcmp(t->name, name) == 0) return t->name;
  tenant_name *t = calloc(1, sizeof(*t));
  if (!t) return NULL;
  snprintf(t->name, sizeof(t->name), "%s", name);
  t->next = a->names;
  a->names = t;
  return t->name;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

static bool tenant_char(int c) { return isalnum(c) || c == '.' || c == '_' || c == '-'; }

/* Parses text into a new token array; tenant names are interned into `a`
 * (mu held by the caller when `a` is shared). */
static jet_status parse_into(jet_auth *a, const char *name, const char *text, token_entry **out,
                             uint32_t *n_out) {
  *out = NULL;
  *n_out = 0;
  token_entry *tok = NULL;
  uint32_t n = 0, cap = 0;
  unsigned line = 0;
  jet_status st = NULL;
  for (const char *p = text; *p && !st;) {
    line++;
    const char *end = strchr(p, '\n');
    size_t len = end ? (size_t)(end - p) : strlen(p);
    const char *q = p, *e = p + len;
    p = end ? end + 1 : e;
    while (q < e && isspace((unsigned char)*q)) q++;
    while (e > q && isspace((unsigned char)e[-1])) e--;
    if (q == e || *q == '#') continue;
    const char *t0 = q;
    while (q < e && !isspace((unsigned char)*q)) q++;
    size_t tlen = (size_t)(q - t0);
    while (q < e && isspace((unsigned char)*q)) q++;
    const char *h0 = q;
    size_t hlen = (size_t)(e - h0);
    char tenant[JET_TENANT_MAX + 1];
    if (tlen == 0 || tlen > JET_TENANT_MAX) {
      st = jet_status_make(JET_INVALID_ARGUMENT, "%s:%u: tenant name must be 1..%d characters",
                           name, line, JET_TENANT_MAX);
      break;
    }
    for (size_t i = 0; i < tlen; i++) {
      if (!tenant_char((unsigned char)t0[i])) {
        st = jet_status_make(JET_INVALID_ARGUMENT,
                             "%s:%u: tenant name may hold only letters, digits, '.', '_', '-'",
                             name, line);
        break;
      }
    }
    if (st) break;
    memcpy(tenant, t0, tlen);
    tenant[tlen] = '\0';
    if (hlen != 7 + JET_SHA256_HEX || strncmp(h0, "sha256:", 7) != 0) {
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "%s:%u: expected 'TENANT sha256:<64 hex digits>' (the SHA-256 of the "
                           "token: printf %%s TOKEN | sha256sum)",
                           name, line);
      break;
    }
    unsigned char hash[SHA256_DIGEST_LENGTH];
    for (int i = 0; i < SHA256_DIGEST_LENGTH && !st; i++) {
      int hi = hexval((unsigned char)h0[7 + 2 * i]), lo = hexval((unsigned char)h0[8 + 2 * i]);
      if (hi < 0 || lo < 0)
        st = jet_status_make(JET_INVALID_ARGUMENT, "%s:%u: the sha256 value is not hex", name,
                             line);
      else
        hash[i] = (unsigned char)(hi << 4 | lo);
    }
    if (st) break;
    for (uint32_t i = 0; i < n; i++) {
      if (memcmp(tok[i].hash, hash, sizeof(hash)) == 0) {
        st = jet_status_make(JET_INVALID_ARGUMENT, "%s:%u: this token hash appears twice", name,
                             line);
        break;
      }
    }
    if (st) break;
    if (n == cap) {
      cap = cap ? cap * 2 : 8;
      token_entry *nt = realloc(tok, cap * sizeof(*tok));
      if (!nt) {
        st = jet_status_oom("tokens table");
        break;
      }
      tok = nt;
    }
    memcpy(tok[n].hash, hash, sizeof(hash));
    tok[n].tenant = intern(a, tenant);
    if (!tok[n].tenant) {
      st = jet_status_oom("tenant name");
      break;
    }
    n++;
  }
  if (st) {
    free(tok);
    return st;
  }
  *out = tok;
  *n_out = n;
  return NULL;
}

static jet_status read_file(const char *path, char **out) {
  *out = NULL;
  FILE *f = fopen(path, "rb");
  if (!f) return jet_status_make(JET_INVALID_ARGUMENT, "tokens-file %s: %s", path, strerror(errno));
  char *buf = malloc(MAX_FILE_BYTES + 1);
  if (!buf) {
    fclose(f);
    return jet_status_oom("tokens file");
  }
  size_t n = fread(buf, 1, MAX_FILE_BYTES + 1, f);
  bool err = ferror(f) != 0;
  fclose(f);
  if (err || n > MAX_FILE_BYTES) {
    free(buf);
    return jet_status_make(JET_INVALID_ARGUMENT, "tokens-file %s: %s", path,
                           err ? "read error" : "larger than 4 MiB");
  }
  if (memchr(buf, '\0', n)) {
    free(buf);
    return jet_status_make(JET_INVALID_ARGUMENT, "tokens-file %s: holds a NUL byte", path);
  }
  buf[n] = '\0';
  *out = buf;
  return NULL;
}

static jet_auth *auth_new(void) {
  jet_auth *a = calloc(1, sizeof(*a));
  if (a) pthread_mutex_init(&a->mu, NULL);
  return a;
}

jet_status jet_auth_parse(const char *name, const char *text, jet_auth **out) {
  *out = NULL;
  jet_auth *a = auth_new();
  if (!a) return jet_status_oom("tokens table");
  jet_status st = parse_into(a, name, text, &a->tokens, &a->n_tokens);
  if (st) {
    jet_auth_destroy(a);
    return st;
  }
  *out = a;
  return NULL;
}

jet_status jet_auth_load(const char *path, jet_auth **out) {
  *out = NULL;
  char *text;
  JET_RETURN_IF_ERROR(read_file(path, &text));
  jet_auth *a = NULL;
  jet_status st = jet_auth_parse(path, text, &a);
  free(text);
  if (st) return st;
  a->path = strdup(path);
  if (!a->path) {
    jet_auth_destroy(a);
    return jet_status_oom("tokens file path");
  }
  *out = a;
  return NULL;
}

jet_status jet_auth_reload(jet_auth *a) {
  if (!a->path) return jet_status_make(JET_FAILED_PRECONDITION, "tokens table has no file");
  char *text;
  JET_RETURN_IF_ERROR(read_file(a->path, &text));
  token_entry *tok;
  uint32_t n;
  pthread_mutex_lock(&a->mu);
  jet_status st = parse_into(a, a->path, text, &tok, &n);
  if (!st) {
    free(a->tokens);
    a->tokens = tok;
    a->n_tokens = n;
  }
  pthread_mutex_unlock(&a->mu);
  free(text);
  return st;
}

void jet_auth_destroy(jet_auth *a) {
  if (!a) return;
  free(a->tokens);
  for (tenant_name *t = a->names, *n; t; t = n) {
    n = t->next;
    free(t);
  }
  free(a->path);
  pthread_mutex_destroy(&a->mu);
  free(a);
}

const char *jet_auth_lookup(jet_auth *a, const char *token, size_t len) {
  unsigned char h[SHA256_DIGEST_LENGTH];
  SHA256((const unsigned char *)token, len, h);
  const char *found = NULL;
  pthread_mutex_lock(&a->mu);
  /* Every entry is compared, in constant time, whatever matches. */
  for (uint32_t i = 0; i < a->n_tokens; i++)
    if (CRYPTO_memcmp(a->tokens[i].hash, h, sizeof(h)) == 0) found = a->tokens[i].tenant;
  pthread_mutex_unlock(&a->mu);
  return found;
}

uint32_t jet_auth_count(jet_auth *a) {
  pthread_mutex_lock(&a->mu);
  uint32_t n = a->n_tokens;
  pthread_mutex_unlock(&a->mu);
  return n;
}

bool jet_listen_is_local(const char *listen) {
  if (strncmp(listen, "unix:", 5) == 0 || strncmp(listen, "unix-abstract:", 14) == 0) return true;
  char host[512];
  const char *h = listen;
  size_t n;
  if (strncmp(h, "ipv4:", 5) == 0) h += 5;
  else if (strncmp(h, "ipv6:", 5) == 0) h += 5;
  if (*h == '[') {
    const char *close = strchr(h, ']');
    if (!close) return false;
    n = (size_t)(close - h - 1);
    h++;
  } else {
    const char *colon = strrchr(h, ':');
    n = colon ? (size_t)(colon - h) : strlen(h);
  }
  if (n == 0 || n >= sizeof(host)) return false;
  memcpy(host, h, n);
  host[n] = '\0';
  if (strcmp(host, "localhost") == 0) return true;
  struct in_addr v4;
  if (inet_pton(AF_INET, host, &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  struct in6_addr v6;
  if (inet_pton(AF_INET6, host, &v6) == 1) return memcmp(&v6, &in6addr_loopback, sizeof(v6)) == 0;
  return false;
}

jet_status jet_auth_check_exposure(const jet_config *cfg) {
  const jet_config_security *s = &cfg->security;
  bool cert = s->tls_cert[0] != 0, key = s->tls_key[0] != 0;
  if (cert != key)
    return jet_status_make(JET_INVALID_ARGUMENT, "%s is set without %s: set both for TLS",
                           cert ? "tls-cert" : "tls-key", cert ? "tls-key" : "tls-cert");
  if (s->tls_client_ca[0] && !cert)
    return jet_status_make(JET_INVALID_ARGUMENT,
                           "tls-client-ca (mutual TLS) needs tls-cert and tls-key");
  if (jet_listen_is_local(cfg->listen)) return NULL;
  bool tokens = s->tokens_file[0] != 0;
  if (cert && tokens) return NULL;
  return jet_status_make(
      JET_FAILED_PRECONDITION,
      "protected mode: listen = %s is not loopback or unix:, so jetd needs both TLS and tokens; "
      "missing:%s%s (set tls-cert and tls-key to PEM files, tokens-file to a file of 'TENANT "
      "sha256:<hash>' lines, or listen on 127.0.0.1 / unix:PATH)",
      cfg->listen, cert ? "" : " tls-cert/tls-key", tokens ? "" : " tokens-file");
}
