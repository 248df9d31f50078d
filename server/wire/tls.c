/* TLS / mutual TLS credentials of the server port, reloadable (tls.h). */
#include "wire/tls.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "jet/pem.h"

typedef struct material {
  char *cert, *key, *ca; /* PEM text; ca NULL without tls-client-ca */
} material;

struct jet_tls {
  jet_config_security paths;
  pthread_mutex_t mu;   /* guards cur, generation, served */
  material cur;
  uint64_t generation;  /* bumped by every reload that changed the material */
  uint64_t served;      /* the generation gRPC has (0: none yet) */
};

static void material_free(material *m) {
  free(m->cert);
  free(m->key);
  free(m->ca);
  memset(m, 0, sizeof *m);
}

static bool same(const char *a, const char *b) {
  return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* The first certificate of a PEM text, or NULL. */
static X509 *first_cert(const char *pem) {
  BIO *b = BIO_new_mem_buf(pem, -1);
  X509 *x = b ? PEM_read_bio_X509(b, NULL, NULL, NULL) : NULL;
  BIO_free(b);
  return x;
}

/* The files as the checks accept them. */
static jet_status read_material(const jet_config_security *s, material *m) {
  memset(m, 0, sizeof *m);
  jet_status st = jet_pem_read("tls-cert", s->tls_cert, &m->cert);
  if (!st) st = jet_pem_read("tls-key", s->tls_key, &m->key);
  if (!st && s->tls_client_ca[0]) st = jet_pem_read("tls-client-ca", s->tls_client_ca, &m->ca);
  X509 *cert = NULL, *ca = NULL;
  EVP_PKEY *key = NULL;
  if (!st && !(cert = first_cert(m->cert)))
    st = jet_status_make(JET_INVALID_ARGUMENT, "tls-cert %s: no certificate could be parsed",
                         s->tls_cert);
  if (!st) {
    BIO *b = BIO_new_mem_buf(m->key, -1);
    key = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
    BIO_free(b);
    if (!key)
      st = jet_status_make(JET_INVALID_ARGUMENT,
                           "tls-key %s: no private key could be parsed (encrypted keys are not "
                           "supported)",
                           s->tls_key);
  }
  if (!st && X509_check_private_key(cert, key) != 1)
    st = jet_status_make(JET_INVALID_ARGUMENT, "tls-key %s does not belong to tls-cert %s",
                         s->tls_key, s->tls_cert);
  if (!st && m->ca && !(ca = first_cert(m->ca)))
    st = jet_status_make(JET_INVALID_ARGUMENT,
                         "tls-client-ca %s: no certificate could be parsed", s->tls_client_ca);
  X509_free(cert);
  X509_free(ca);
  EVP_PKEY_free(key);
  ERR_clear_error(); /* the parsers' queue is per thread: leave it empty */
  if (st) material_free(m);
  return st;
}

/* gRPC asks at every new handshake (its threads). */
static grpc_ssl_certificate_config_reload_status fetch(void *user_data,
                                                       grpc_ssl_server_certificate_config **cfg) {
  jet_tls *t = user_data;
  grpc_ssl_certificate_config_reload_status r = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_UNCHANGED;
  pthread_mutex_lock(&t->mu);
  if (t->served != t->generation) {
    grpc_ssl_pem_key_cert_pair pair = {.private_key = t->cur.key, .cert_chain = t->cur.cert};
    /* gRPC copies the strings. It insists on root certificates even when
     * it requests no client certificate: then the chain stands in, unused. */
    *cfg = grpc_ssl_server_certificate_config_create(t->cur.ca ? t->cur.ca : t->cur.cert, &pair, 1);
    if (*cfg) {
      t->served = t->generation;
      r = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_NEW;
    } else {
      r = GRPC_SSL_CERTIFICATE_CONFIG_RELOAD_FAIL; /* gRPC keeps what it has */
    }
  }
  pthread_mutex_unlock(&t->mu);
  return r;
}

jet_status jet__tls_server_credentials(const jet_config_security *s, jet_tls **tls,
                                       grpc_server_credentials **out) {
  *out = NULL;
  *tls = NULL;
  if (!s->tls_cert[0]) {
    *out = grpc_insecure_server_credentials_create();
    return *out ? NULL : jet_status_oom("server credentials");
  }
  jet_tls *t = calloc(1, sizeof(*t));
  if (!t) return jet_status_oom("TLS state");
  t->paths = *s;
  jet_status st = read_material(s, &t->cur);
  if (st) {
    free(t);
    return st;
  }
  pthread_mutex_init(&t->mu, NULL);
  t->generation = 1;
  grpc_ssl_server_credentials_options *o =
      grpc_ssl_server_credentials_create_options_using_config_fetcher(
          t->cur.ca ? GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY
                    : GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE,
          fetch, t);
  /* Takes the options; asks fetch for the first material now. */
  *out = o ? grpc_ssl_server_credentials_create_with_options(o) : NULL;
  if (!*out) {
    jet__tls_free(t);
    return jet_status_make(JET_INVALID_ARGUMENT, "tls-cert %s / tls-key %s: gRPC refused them",
                           s->tls_cert, s->tls_key);
  }
  *tls = t;
  return NULL;
}

jet_status jet__tls_reload(jet_tls *t, bool *changed) {
  *changed = false;
  material m;
  JET_RETURN_IF_ERROR(read_material(&t->paths, &m));
  pthread_mutex_lock(&t->mu);
  *changed = !same(m.cert, t->cur.cert) || !same(m.key, t->cur.key) || !same(m.ca, t->cur.ca);
  if (*changed) {
    material old = t->cur;
    t->cur = m;
    m = old;
    t->generation++;
  }
  pthread_mutex_unlock(&t->mu);
  material_free(&m);
  return NULL;
}

void jet__tls_free(jet_tls *t) {
  if (!t) return;
  material_free(&t->cur);
  pthread_mutex_destroy(&t->mu);
  free(t);
}
