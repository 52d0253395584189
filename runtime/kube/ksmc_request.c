#include "ksmc_request.h"

#include <stdio.h>
#include <stdlib.h>

char *ksmc_collection_path(const char *group, const char *version, const char *resource,
                           const char *ns) {
  ksmc_buf b = {0};
  if (group && *group) {
    ksmc_buf_put(&b, "/apis/", 6);
    ksmc_buf_put(&b, group, strlen(group));
    ksmc_buf_putc(&b, '/');
  } else {
    ksmc_buf_put(&b, "/api/", 5);
  }
  ksmc_buf_put(&b, version, strlen(version));
  if (ns && *ns) {
    ksmc_buf_put(&b, "/namespaces/", 12);
    ksmc_buf_put(&b, ns, strlen(ns));
  }
  ksmc_buf_putc(&b, '/');
  ksmc_buf_put(&b, resource, strlen(resource));
  ksmc_buf_cstr(&b);
  if (ksmc_buf_failed(&b)) {
    ksmc_buf_free(&b);
    return NULL;
  }
  return b.p;
}

char *ksmc_denylist_selector(const char *const *namespaces, size_t n) {
  if (!n) return NULL;
  ksmc_buf b = {0};
  for (size_t i = 0; i < n; i++) {
    if (i) ksmc_buf_putc(&b, ',');
    ksmc_buf_put(&b, "metadata.namespace!=", 20);
    ksmc_buf_put(&b, namespaces[i], strlen(namespaces[i]));
  }
  ksmc_buf_cstr(&b);
  if (ksmc_buf_failed(&b)) {
    ksmc_buf_free(&b);
    return NULL;
  }
  return b.p;
}

char *ksmc_selector_join(const char *a, const char *b) {
  bool ha = a && *a, hb = b && *b;
  if (!ha && !hb) return NULL;
  if (!ha || !hb) return strdup(ha ? a : b);
  size_t n = strlen(a) + strlen(b) + 2;
  char *r = malloc(n);
  if (r) snprintf(r, n, "%s,%s", a, b);
  return r;
}

void ksmc_url_param(ksmc_buf *url, const char *name, const char *value) {
  bool has_q = url->n && memchr(url->p, '?', url->n);
  ksmc_buf_putc(url, has_q ? '&' : '?');
  ksmc_buf_put(url, name, strlen(name));
  ksmc_buf_putc(url, '=');
  char *esc = curl_easy_escape(NULL, value, 0);
  if (esc) {
    ksmc_buf_put(url, esc, strlen(esc));
    curl_free(esc);
  } else {
    url->oom = true;
  }
}

/* Splits "https://host:port/prefix" into host (without brackets) and port. */
static bool split_server(const char *server, char *host, size_t hostlen, long *port) {
  const char *h = strstr(server, "://");
  if (!h) return false;
  h += 3;
  const char *end = h + strcspn(h, "/");
  const char *colon = NULL;
  if (*h == '[') {
    const char *rb = memchr(h, ']', (size_t)(end - h));
    if (!rb) return false;
    colon = rb[1] == ':' ? rb + 1 : NULL;
  } else {
    colon = memchr(h, ':', (size_t)(end - h));
  }
  const char *hend = colon ? colon : end;
  size_t n = (size_t)(hend - h);
  if (n + 1 > hostlen) return false;
  memcpy(host, h, n);
  host[n] = 0;
  *port = colon ? strtol(colon + 1, NULL, 10) : 443;
  return true;
}

/* The URL to request. With tls-server-name, the URL names that host (so SNI and
 * certificate verification use it) and CONNECT_TO sends the connection to the real one. */
static CURLcode set_url(CURL *e, ksmc_kube_config *cfg, const char *path_query,
                        struct curl_slist **connect_to) {
  ksmc_buf url = {0};
  const char *server = cfg->server;
  char host[256];
  long port = 0;
  bool sni = cfg->tls_server_name && strncmp(server, "https://", 8) == 0 &&
             split_server(server, host, sizeof host, &port);
  if (sni) {
    const char *rest = strchr(server + 8, '/');
    char line[600];
    snprintf(line, sizeof line, "%s:%ld:%s:%ld", cfg->tls_server_name, port, host, port);
    *connect_to = curl_slist_append(*connect_to, line);
    char base[400];
    snprintf(base, sizeof base, "https://%s:%ld", cfg->tls_server_name, port);
    ksmc_buf_put(&url, base, strlen(base));
    if (rest) ksmc_buf_put(&url, rest, strlen(rest));
  } else {
    ksmc_buf_put(&url, server, strlen(server));
  }
  ksmc_buf_put(&url, path_query, strlen(path_query));
  CURLcode rc = ksmc_buf_failed(&url) ? CURLE_OUT_OF_MEMORY
                                      : curl_easy_setopt(e, CURLOPT_URL, ksmc_buf_cstr(&url));
  if (rc == CURLE_OK && *connect_to) rc = curl_easy_setopt(e, CURLOPT_CONNECT_TO, *connect_to);
  ksmc_buf_free(&url);
  return rc;
}

static CURLcode set_blob(CURL *e, CURLoption opt, const ksmc_buf *b) {
  struct curl_blob blob = {b->p, b->n, CURL_BLOB_COPY};
  return curl_easy_setopt(e, opt, &blob);
}

static CURLcode set_tls(CURL *e, const ksmc_kube_config *cfg) {
  CURLcode rc = CURLE_OK;
  if (cfg->insecure) {
    rc = curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
    if (!rc) rc = curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!rc && cfg->ca.n) rc = set_blob(e, CURLOPT_CAINFO_BLOB, &cfg->ca);
  if (!rc && cfg->cert.n) rc = set_blob(e, CURLOPT_SSLCERT_BLOB, &cfg->cert);
  if (!rc && cfg->cert.n) rc = curl_easy_setopt(e, CURLOPT_SSLCERTTYPE, "PEM");
  if (!rc && cfg->key.n) rc = set_blob(e, CURLOPT_SSLKEY_BLOB, &cfg->key);
  if (!rc && cfg->key.n) rc = curl_easy_setopt(e, CURLOPT_SSLKEYTYPE, "PEM");
  return rc;
}

static struct curl_slist *make_headers(ksmc_kube_config *cfg, int64_t now_ms) {
  struct curl_slist *h = curl_slist_append(NULL, "Accept: application/json");
  /* client-go sends credentials only over TLS */
  const char *tok =
      strncmp(cfg->server, "https://", 8) == 0 ? ksmc_kube_config_token(cfg, now_ms) : NULL;
  if (h && tok) {
    size_t n = strlen(tok) + 32;
    char *line = malloc(n);
    if (line) {
      snprintf(line, n, "Authorization: Bearer %s", tok);
      struct curl_slist *h2 = curl_slist_append(h, line);
      if (h2) h = h2;
      free(line);
    }
  }
  return h;
}

static CURLcode set_common(CURL *e, const ksmc_kube_config *cfg, const ksmc_request_limits *lim) {
  /* "" offers every encoding curl decodes, gzip among them (the API server's only one) */
  CURLcode rc =
      cfg->disable_compression ? CURLE_OK : curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  if (!rc) rc = curl_easy_setopt(e, CURLOPT_USERAGENT, "ksmc/" KSMC_VERSION);
  if (!rc) rc = curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
  if (!rc) rc = curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
  if (!rc) rc = curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
  if (!rc) rc = curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 30L);
  if (!rc) rc = curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, 30L);
  if (!rc && lim->low_speed_time_s) rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  if (!rc && lim->low_speed_time_s)
    rc = curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, lim->low_speed_time_s);
  if (!rc && lim->timeout_s) rc = curl_easy_setopt(e, CURLOPT_TIMEOUT, lim->timeout_s);
  return rc;
}

CURLcode ksmc_request_setup(CURL *easy, ksmc_kube_config *cfg, const char *path_query,
                            int64_t now_ms, const ksmc_request_limits *lim,
                            ksmc_request_lists *lists) {
  lists->headers = make_headers(cfg, now_ms);
  if (!lists->headers) return CURLE_OUT_OF_MEMORY;
  CURLcode rc = set_common(easy, cfg, lim);
  if (!rc) rc = curl_easy_setopt(easy, CURLOPT_HTTPHEADER, lists->headers);
  if (!rc) rc = set_tls(easy, cfg);
  if (!rc) rc = set_url(easy, cfg, path_query, &lists->connect_to);
  return rc;
}

CURLcode ksmc_request_raw_gzip(CURL *easy, const ksmc_kube_config *cfg) {
  if (cfg->disable_compression) return CURLE_OK;
  CURLcode rc = curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "gzip");
  if (!rc) rc = curl_easy_setopt(easy, CURLOPT_HTTP_CONTENT_DECODING, 0L);
  return rc;
}

long ksmc_watch_recv_bytes(uint64_t listed_bytes) {
  uint64_t want = listed_bytes / 32;
  long n = KSMC_WATCH_RECV_MIN;
  while (n < KSMC_WATCH_RECV_MAX && (uint64_t)n < want) n *= 2;
  return n;
}

void ksmc_request_lists_free(ksmc_request_lists *lists) {
  curl_slist_free_all(lists->headers);
  curl_slist_free_all(lists->connect_to);
  lists->headers = lists->connect_to = NULL;
}
