/* The --tls-config web configuration file; see ksmc_webcfg.h. libyaml's document API
 * gives every node its position, so each message points at the offending key or value. */
#include "ksmc_webcfg.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct {
  yaml_document_t doc;
  const char *path;
  char *err;
  size_t errlen;
  ksmc_webcfg *c;
} parser;

static bool fail_at(parser *p, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail_at(parser *p, const yaml_node_t *n, const char *fmt, ...) {
  int k = snprintf(p->err, p->errlen, "%s:%zu:%zu: ", p->path, n->start_mark.line + 1,
                   n->start_mark.column + 1);
  if (k < 0 || (size_t)k >= p->errlen) return false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err + k, p->errlen - (size_t)k, fmt, ap);
  va_end(ap);
  return false;
}

static yaml_node_t *node(parser *p, int id) { return yaml_document_get_node(&p->doc, id); }

static const char *scalar(const yaml_node_t *n) {
  return n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static bool is_null(const yaml_node_t *n) {
  if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) return false;
  const char *v = scalar(n);
  return !*v || !strcmp(v, "~") || !strcmp(v, "null") || !strcmp(v, "Null") || !strcmp(v, "NULL");
}

/* Walks a mapping's pairs: keys must be distinct scalars. `fn` handles one pair. */
typedef bool (*pair_fn)(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v);

static bool each_pair(parser *p, yaml_node_t *m, const char *what, pair_fn fn) {
  if (is_null(m)) return true;
  if (m->type != YAML_MAPPING_NODE) return fail_at(p, m, "%s must be a mapping", what);
  for (yaml_node_pair_t *a = m->data.mapping.pairs.start; a < m->data.mapping.pairs.top; a++) {
    yaml_node_t *k = node(p, a->key), *v = node(p, a->value);
    const char *key = scalar(k);
    if (!key) return fail_at(p, k, "keys of %s must be strings", what);
    for (yaml_node_pair_t *b = m->data.mapping.pairs.start; b < a; b++)
      if (!strcmp(scalar(node(p, b->key)) ? scalar(node(p, b->key)) : "", key))
        return fail_at(p, k, "duplicate key \"%s\" in %s", key, what);
    if (!fn(p, key, k, v)) return false;
  }
  return true;
}

static bool nomem(parser *p) {
  snprintf(p->err, p->errlen, "%s: out of memory", p->path);
  return false;
}

/* A string value (NULL for null) copied into *dst. */
static bool get_string(parser *p, yaml_node_t *v, const char *what, char **dst) {
  if (is_null(v)) return true;
  if (!scalar(v)) return fail_at(p, v, "%s must be a string", what);
  free(*dst);
  return (*dst = strdup(scalar(v))) != NULL || nomem(p);
}

/* A path value, resolved against the config file's directory. */
static bool get_path(parser *p, yaml_node_t *v, const char *what, char **dst) {
  char *raw = NULL;
  if (!get_string(p, v, what, &raw)) return false;
  if (!raw || !*raw || raw[0] == '/' || !strchr(p->path, '/')) {
    free(*dst);
    *dst = raw && *raw ? raw : NULL;
    if (raw && !*raw) free(raw);
    return true;
  }
  size_t dirlen = (size_t)(strrchr(p->path, '/') - p->path);
  char *full = malloc(dirlen + strlen(raw) + 2);
  if (!full) {
    free(raw);
    return nomem(p);
  }
  sprintf(full, "%.*s/%s", (int)dirlen, p->path, raw);
  free(raw);
  free(*dst);
  *dst = full;
  return true;
}

/* ---- tls_server_config ---- */

static const char *const auth_names[] = {"NoClientCert", "RequestClientCert",
                                         "RequireAnyClientCert", "VerifyClientCertIfGiven",
                                         "RequireAndVerifyClientCert"};

const char *ksmc_client_auth_name(ksmc_client_auth a) {
  return (unsigned)a < 5 ? auth_names[a] : "?";
}

static bool get_client_auth(parser *p, yaml_node_t *v) {
  char *s = NULL;
  if (!get_string(p, v, "tls_server_config.client_auth_type", &s)) return false;
  if (!s) return true;
  int found = -1;
  for (int i = 0; i < 5; i++)
    if (!strcmp(s, auth_names[i])) found = i;
  if (!strcmp(s, "RequireClientCert")) found = KSMC_CLIENT_REQUIRE_ANY; /* exporter-toolkit alias */
  if (!*s) found = KSMC_CLIENT_NONE;
  if (found < 0) {
    fail_at(p, v,
            "invalid client_auth_type \"%s\" (want NoClientCert, RequestClientCert, "
            "RequireAnyClientCert, VerifyClientCertIfGiven or RequireAndVerifyClientCert)",
            s);
    free(s);
    return false;
  }
  free(s);
  p->c->client_auth = (ksmc_client_auth)found;
  return true;
}

static bool get_version(parser *p, yaml_node_t *v, const char *key, int *dst) {
  char *s = NULL;
  if (!get_string(p, v, key, &s)) return false;
  if (!s) return true;
  static const char *const names[] = {"TLS10", "TLS11", "TLS12", "TLS13"};
  int found = 0;
  for (int i = 0; i < 4; i++)
    if (!strcmp(s, names[i])) found = 10 + i;
  if (!found) fail_at(p, v, "invalid %s \"%s\" (want TLS10, TLS11, TLS12 or TLS13)", key, s);
  free(s);
  *dst = found;
  return found != 0;
}

static bool tls_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v) {
  ksmc_webcfg *c = p->c;
  if (!strcmp(key, "cert_file"))
    return get_path(p, v, "tls_server_config.cert_file", &c->cert_file);
  if (!strcmp(key, "key_file")) return get_path(p, v, "tls_server_config.key_file", &c->key_file);
  if (!strcmp(key, "client_ca_file"))
    return get_path(p, v, "tls_server_config.client_ca_file", &c->client_ca_file);
  if (!strcmp(key, "client_auth_type")) return get_client_auth(p, v);
  if (!strcmp(key, "min_version")) return get_version(p, v, "min_version", &c->min_version);
  if (!strcmp(key, "max_version")) return get_version(p, v, "max_version", &c->max_version);
  if (!strcmp(key, "prefer_server_cipher_suites")) return true; /* a no-op in Go as well */
  if (!strcmp(key, "cipher_suites") || !strcmp(key, "curve_preferences"))
    return fail_at(p, k,
                   "tls_server_config.%s is not supported by ksmc (GnuTLS chooses them; "
                   "restrict the protocol with min_version)",
                   key);
  if (!strcmp(key, "cert") || !strcmp(key, "key") || !strcmp(key, "client_ca"))
    return fail_at(p, k, "tls_server_config.%s (inline PEM) is not supported by ksmc; use %s_file",
                   key, key);
  if (!strcmp(key, "client_allowed_sans"))
    return fail_at(p, k, "tls_server_config.client_allowed_sans is not supported by ksmc");
  return fail_at(p, k,
                 "unknown key \"%s\" in tls_server_config (known: cert_file, key_file, "
                 "client_auth_type, client_ca_file, min_version, max_version)",
                 key);
}

static bool check_tls(parser *p, yaml_node_t *m) {
  ksmc_webcfg *c = p->c;
  bool any = c->cert_file || c->key_file || c->client_ca_file ||
             c->client_auth != KSMC_CLIENT_NONE || c->min_version || c->max_version;
  if (!any) return true;
  if (!c->cert_file) return fail_at(p, m, "tls_server_config: missing cert_file");
  if (!c->key_file) return fail_at(p, m, "tls_server_config: missing key_file");
  if (c->client_ca_file && c->client_auth == KSMC_CLIENT_NONE)
    return fail_at(p, m,
                   "tls_server_config: client_ca_file is set but client_auth_type is "
                   "NoClientCert");
  if ((c->client_auth == KSMC_CLIENT_VERIFY_IF_GIVEN ||
       c->client_auth == KSMC_CLIENT_REQUIRE_AND_VERIFY) &&
      !c->client_ca_file)
    return fail_at(p, m, "tls_server_config: client_auth_type %s needs client_ca_file",
                   ksmc_client_auth_name(c->client_auth));
  if (c->min_version && c->max_version && c->min_version > c->max_version)
    return fail_at(p, m, "tls_server_config: min_version TLS%d is above max_version TLS%d",
                   c->min_version, c->max_version);
  c->tls = true;
  return true;
}

/* ---- http_server_config ---- */

static bool push_pair(parser *p, ksmc_webcfg_pair **v, size_t *n, const char *name,
                      const char *value) {
  ksmc_webcfg_pair *nv = realloc(*v, (*n + 1) * sizeof *nv);
  if (!nv) return nomem(p);
  *v = nv;
  nv[*n].name = strdup(name);
  nv[*n].value = strdup(value);
  if (!nv[*n].name || !nv[*n].value) {
    free(nv[*n].name);
    free(nv[*n].value);
    return nomem(p);
  }
  (*n)++;
  return true;
}

/* exporter-toolkit's extraHTTPHeaders: the only headers a web config may set, with the
 * values allowed where the list is fixed. */
static const struct {
  const char *name, *values[2];
} allowed_headers[] = {{"Strict-Transport-Security", {NULL, NULL}},
                       {"X-Content-Type-Options", {"nosniff", NULL}},
                       {"X-Frame-Options", {"deny", "sameorigin"}},
                       {"X-XSS-Protection", {NULL, NULL}},
                       {"Content-Security-Policy", {NULL, NULL}}};

static bool header_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v) {
  const char *val = scalar(v);
  if (!val || is_null(v)) return fail_at(p, v, "the value of header %s must be a string", key);
  int h = -1;
  for (int i = 0; i < 5; i++)
    if (!strcmp(key, allowed_headers[i].name)) h = i;
  if (h < 0)
    return fail_at(p, k,
                   "HTTP header \"%s\" can not be configured (allowed: Strict-Transport-Security, "
                   "X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
                   "Content-Security-Policy)",
                   key);
  if (strpbrk(val, "\r\n")) return fail_at(p, v, "the value of header %s must be one line", key);
  const char *const *ok = allowed_headers[h].values;
  if (ok[0] && strcmp(val, ok[0]) && !(ok[1] && !strcmp(val, ok[1])))
    return fail_at(p, v, "invalid value \"%s\" for header %s (want %s%s%s)", val, key, ok[0],
                   ok[1] ? " or " : "", ok[1] ? ok[1] : "");
  return push_pair(p, &p->c->headers, &p->c->nheaders, key, val);
}

static bool http_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v) {
  if (!strcmp(key, "headers")) return each_pair(p, v, "http_server_config.headers", header_pair);
  if (!strcmp(key, "http2")) {
    const char *s = scalar(v);
    if (!s || (strcmp(s, "true") && strcmp(s, "false")))
      return fail_at(p, v, "http_server_config.http2 must be true or false");
    return true; /* ksmc speaks HTTP/1.1; clients negotiate it */
  }
  return fail_at(p, k, "unknown key \"%s\" in http_server_config (known: headers, http2)", key);
}

/* ---- basic_auth_users ---- */

/* bcrypt: "$2a$", "$2b$" or "$2y$", two cost digits (04-31), "$", 53 characters of
 * bcrypt's base64 alphabet. */
static bool is_bcrypt(const char *h) {
  if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' || !strchr("aby", h[2]) || h[3] != '$' ||
      h[6] != '$')
    return false;
  int cost = (h[4] - '0') * 10 + (h[5] - '0');
  if (h[4] < '0' || h[4] > '9' || h[5] < '0' || h[5] > '9' || cost < 4 || cost > 31) return false;
  for (const char *q = h + 7; *q; q++)
    if (!strchr("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", *q))
      return false;
  return true;
}

static bool user_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v) {
  if (!*key || strchr(key, ':'))
    return fail_at(p, k, "basic_auth_users: user name \"%s\" must be non-empty without ':'", key);
  const char *hash = scalar(v);
  if (!hash || is_null(v))
    return fail_at(p, v, "basic_auth_users.%s must be a bcrypt hash string", key);
  if (!is_bcrypt(hash))
    return fail_at(p, v,
                   "basic_auth_users.%s is not a bcrypt hash (want $2y$10$ and 53 more "
                   "characters, as made by htpasswd -nBC 10 %s)",
                   key, key);
  return push_pair(p, &p->c->users, &p->c->nusers, key, hash);
}

/* ---- top level ---- */

static bool top_pair(parser *p, const char *key, yaml_node_t *k, yaml_node_t *v) {
  if (!strcmp(key, "tls_server_config"))
    return each_pair(p, v, "tls_server_config", tls_pair) && check_tls(p, v);
  if (!strcmp(key, "http_server_config")) return each_pair(p, v, "http_server_config", http_pair);
  if (!strcmp(key, "basic_auth_users")) return each_pair(p, v, "basic_auth_users", user_pair);
  if (!strcmp(key, "rate_limit"))
    return fail_at(p, k,
                   "rate_limit is not supported by ksmc (it limits connections per "
                   "address and cuts slow clients itself)");
  return fail_at(p, k,
                 "unknown key \"%s\" (known: tls_server_config, http_server_config, "
                 "basic_auth_users)",
                 key);
}

bool ksmc_webcfg_parse(const char *text, size_t n, const char *path, ksmc_webcfg *out, char *err,
                       size_t errlen) {
  memset(out, 0, sizeof *out);
  parser p = {.path = path, .err = err, .errlen = errlen, .c = out};
  yaml_parser_t yp;
  if (!yaml_parser_initialize(&yp)) return nomem(&p);
  yaml_parser_set_input_string(&yp, (const unsigned char *)text, n);
  if (!yaml_parser_load(&yp, &p.doc)) {
    snprintf(err, errlen, "%s:%zu:%zu: invalid YAML: %s%s%s", path, yp.problem_mark.line + 1,
             yp.problem_mark.column + 1, yp.problem ? yp.problem : "parse error",
             yp.context ? " " : "", yp.context ? yp.context : "");
    yaml_parser_delete(&yp);
    return false;
  }
  yaml_parser_delete(&yp);
  yaml_node_t *root = yaml_document_get_root_node(&p.doc);
  bool ok = !root || each_pair(&p, root, "the web config", top_pair);
  yaml_document_delete(&p.doc);
  if (!ok) ksmc_webcfg_free(out);
  return ok;
}

bool ksmc_webcfg_load(const char *path, ksmc_webcfg *out, char *err, size_t errlen) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s: %s", path, strerror(errno));
    return false;
  }
  char *buf = NULL;
  size_t n = 0, cap = 0;
  for (;;) {
    if (n == cap) {
      char *nb = cap < (1u << 20) ? realloc(buf, cap = cap ? cap * 2 : 4096) : NULL;
      if (!nb) {
        free(buf);
        fclose(f);
        snprintf(err, errlen, "%s: too large or out of memory (at most 1 MiB)", path);
        return false;
      }
      buf = nb;
    }
    size_t k = fread(buf + n, 1, cap - n, f);
    if (k == 0) break;
    n += k;
  }
  bool read_err = ferror(f);
  fclose(f);
  if (read_err) {
    free(buf);
    snprintf(err, errlen, "%s: read error", path);
    return false;
  }
  bool ok = ksmc_webcfg_parse(buf ? buf : "", n, path, out, err, errlen);
  free(buf);
  return ok;
}

static void free_pairs(ksmc_webcfg_pair *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(v[i].name);
    free(v[i].value);
  }
  free(v);
}

void ksmc_webcfg_free(ksmc_webcfg *c) {
  free(c->cert_file);
  free(c->key_file);
  free(c->client_ca_file);
  free_pairs(c->headers, c->nheaders);
  free_pairs(c->users, c->nusers);
  memset(c, 0, sizeof *c);
}
