#include "ksmc_kubeconfig.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <yaml.h>

/* ---- small helpers ---- */

static char *dup_str(const char *s) { return s ? strdup(s) : NULL; }

static void set_err(char *err, size_t errlen, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* Reads a whole file into out. Returns 0 or an errno value. */
static int read_file(const char *path, ksmc_buf *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return errno;
  char chunk[8192];
  size_t k;
  while ((k = fread(chunk, 1, sizeof chunk, f)) > 0) ksmc_buf_put(out, chunk, k);
  int e = ferror(f) ? EIO : 0;
  fclose(f);
  if (!e && ksmc_buf_failed(out)) e = ENOMEM;
  return e;
}

static int b64_value(unsigned char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

bool ksmc_base64_decode(const char *s, size_t n, ksmc_buf *out) {
  uint32_t acc = 0;
  int bits = 0, pad = 0;
  size_t used = 0;
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    if (c == '=') {
      pad++;
      continue;
    }
    int v = b64_value(c);
    if (v < 0 || pad) return false;
    used++;
    acc = (acc << 6) | (uint32_t)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      ksmc_buf_putc(out, (char)((acc >> bits) & 0xff));
    }
  }
  if (used % 4 == 1 || pad > 2 || (pad && (used + pad) % 4)) return false;
  return !ksmc_buf_failed(out);
}

/* Token file content without surrounding whitespace. Returns 0 or an errno value;
 * ENODATA for an empty file. */
static int read_token(const char *path, ksmc_buf *out) {
  ksmc_buf raw = {0};
  int e = read_file(path, &raw);
  if (!e) {
    size_t a = 0, b = raw.n;
    while (a < b && (raw.p[a] == ' ' || raw.p[a] == '\n' || raw.p[a] == '\r' || raw.p[a] == '\t'))
      a++;
    while (b > a && (raw.p[b - 1] == ' ' || raw.p[b - 1] == '\n' || raw.p[b - 1] == '\r' ||
                     raw.p[b - 1] == '\t'))
      b--;
    if (a == b) e = ENODATA;
    ksmc_buf_reset(out);
    ksmc_buf_put(out, raw.p + a, b - a);
    ksmc_buf_cstr(out);
  }
  ksmc_buf_free(&raw);
  return e;
}

static const char *errno_text(int e) { return e == ENODATA ? "file is empty" : strerror(e); }

/* ---- kubeconfig loader ---- */

#define MAX_FILES 16

/* One kubeconfig file of the list. */
typedef struct {
  char *path;
  char *dir; /* the file's directory, for its relative paths */
  yaml_document_t doc;
  bool parsed; /* doc holds the file (a missing file of a list is skipped) */
} kfile;

/* The files of --kubeconfig (a ':'-separated list, like $KUBECONFIG: for each named
 * context, cluster and user the first file defining it wins). `cur` is the file whose
 * entry is being read: nodes and relative paths belong to it. */
typedef struct {
  const char *spec; /* the --kubeconfig value, for messages */
  kfile f[MAX_FILES];
  size_t n, cur;
  char *err;
  size_t errlen;
} loader;

static int fail(loader *ld, const char *fmt, ...) {
  int k = snprintf(ld->err, ld->errlen, "kubeconfig %s: ", ld->spec);
  if (k < 0 || (size_t)k >= ld->errlen) return -1;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(ld->err + k, ld->errlen - (size_t)k, fmt, ap);
  va_end(ap);
  return -1;
}

static yaml_document_t *cur_doc(loader *ld) { return &ld->f[ld->cur].doc; }

static yaml_node_t *node(loader *ld, int id) { return yaml_document_get_node(cur_doc(ld), id); }

/* The value of `key` in mapping m (of the current file), or NULL. */
static yaml_node_t *map_get(loader *ld, yaml_node_t *m, const char *key) {
  if (!m || m->type != YAML_MAPPING_NODE) return NULL;
  for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
    yaml_node_t *k = node(ld, p->key);
    if (k && k->type == YAML_SCALAR_NODE && strcmp((char *)k->data.scalar.value, key) == 0)
      return node(ld, p->value);
  }
  return NULL;
}

/* The scalar value of `key` in mapping m; NULL if absent, null or empty. */
static const char *map_str(loader *ld, yaml_node_t *m, const char *key) {
  yaml_node_t *v = map_get(ld, m, key);
  if (!v || v->type != YAML_SCALAR_NODE) return NULL;
  const char *s = (const char *)v->data.scalar.value;
  if (!*s || strcmp(s, "null") == 0 || strcmp(s, "~") == 0) return NULL;
  return s;
}

/* The top-level list `section` of the current file, or NULL. */
static yaml_node_t *section_of(loader *ld, const char *section) {
  yaml_node_t *list = map_get(ld, yaml_document_get_root_node(cur_doc(ld)), section);
  return list && list->type == YAML_SEQUENCE_NODE ? list : NULL;
}

/* In list `section` (clusters/users/contexts) of the first file defining it, the `inner`
 * mapping of the entry named name; makes that file current. */
static yaml_node_t *find_named(loader *ld, const char *section, const char *inner,
                               const char *name) {
  for (ld->cur = 0; ld->cur < ld->n; ld->cur++) {
    yaml_node_t *list = ld->f[ld->cur].parsed ? section_of(ld, section) : NULL;
    if (!list) continue;
    for (yaml_node_item_t *it = list->data.sequence.items.start; it < list->data.sequence.items.top;
         it++) {
      yaml_node_t *e = node(ld, *it);
      const char *n = map_str(ld, e, "name");
      if (n && strcmp(n, name) == 0) {
        yaml_node_t *in = map_get(ld, e, inner);
        return in && in->type == YAML_MAPPING_NODE ? in : e; /* e: entry with empty body */
      }
    }
  }
  ld->cur = 0;
  return NULL;
}

/* "a, b, c": the names in list `section` of every file, for error messages. */
static void names_of(loader *ld, const char *section, char *out, size_t outlen) {
  size_t used = 0;
  out[0] = 0;
  for (ld->cur = 0; ld->cur < ld->n; ld->cur++) {
    yaml_node_t *list = ld->f[ld->cur].parsed ? section_of(ld, section) : NULL;
    for (yaml_node_item_t *it = list ? list->data.sequence.items.start : NULL;
         list && it < list->data.sequence.items.top; it++) {
      const char *n = map_str(ld, node(ld, *it), "name");
      if (!n) continue;
      int k = snprintf(out + used, outlen - used, "%s%s", used ? ", " : "", n);
      if (k < 0 || (size_t)k >= outlen - used) break;
      used += (size_t)k;
    }
  }
  ld->cur = 0;
  if (!used) snprintf(out, outlen, "none");
}

/* current-context of the first file that sets it. */
static const char *current_context(loader *ld) {
  for (ld->cur = 0; ld->cur < ld->n; ld->cur++) {
    if (!ld->f[ld->cur].parsed) continue;
    const char *c = map_str(ld, yaml_document_get_root_node(cur_doc(ld)), "current-context");
    if (c) return c;
  }
  ld->cur = 0;
  return NULL;
}

static char *resolve_path(loader *ld, const char *p) {
  if (p[0] == '/') return strdup(p);
  const char *dir = ld->f[ld->cur].dir;
  size_t n = strlen(dir) + strlen(p) + 2;
  char *r = malloc(n);
  if (r) snprintf(r, n, "%s/%s", dir, p);
  return r;
}

/* Fills out from `<field>-data` (base64) or `<field>` (a path); -1 with a message. */
static int load_pem(loader *ld, yaml_node_t *m, const char *what, const char *field,
                    ksmc_buf *out) {
  char key[64];
  snprintf(key, sizeof key, "%s-data", field);
  const char *data = map_str(ld, m, key);
  if (data) {
    if (!ksmc_base64_decode(data, strlen(data), out))
      return fail(ld, "%s: %s is not valid base64", what, key);
    return 0;
  }
  const char *path = map_str(ld, m, field);
  if (!path) return 0;
  char *full = resolve_path(ld, path);
  int e = full ? read_file(full, out) : ENOMEM;
  int r = e ? fail(ld, "%s: %s %s: %s", what, field, full ? full : path, errno_text(e)) : 0;
  free(full);
  return r;
}

static bool yaml_true(const char *s) {
  return s && (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0);
}

static int load_cluster(loader *ld, const char *ctx, const char *name, ksmc_kube_config *c) {
  char avail[512], what[300];
  yaml_node_t *cl = find_named(ld, "clusters", "cluster", name);
  if (!cl) {
    names_of(ld, "clusters", avail, sizeof avail);
    return fail(ld, "cluster \"%s\" (of context \"%s\") not found (available: %s)", name, ctx,
                avail);
  }
  snprintf(what, sizeof what, "cluster \"%s\"", name);
  const char *server = map_str(ld, cl, "server");
  if (!server) return fail(ld, "%s: server is not set", what);
  c->server = strdup(server);
  c->tls_server_name = dup_str(map_str(ld, cl, "tls-server-name"));
  c->insecure = yaml_true(map_str(ld, cl, "insecure-skip-tls-verify"));
  c->disable_compression = yaml_true(map_str(ld, cl, "disable-compression"));
  if (load_pem(ld, cl, what, "certificate-authority", &c->ca)) return -1;
  if (c->insecure && c->ca.n)
    return fail(ld, "%s: certificate-authority cannot be combined with insecure-skip-tls-verify",
                what);
  return 0;
}

static int load_token_file(loader *ld, const char *what, const char *path, ksmc_kube_config *c) {
  c->token_file = resolve_path(ld, path);
  int e = c->token_file ? read_token(c->token_file, &c->file_token) : ENOMEM;
  if (e) return fail(ld, "%s: tokenFile %s: %s", what, c->token_file, errno_text(e));
  c->token_read_ms = -1; /* first ksmc_kube_config_token stamps it */
  return 0;
}

static int check_unsupported_auth(loader *ld, yaml_node_t *u, const char *what) {
  static const char *const unsupported[] = {"exec", "auth-provider", "username", "password"};
  for (size_t i = 0; i < sizeof unsupported / sizeof *unsupported; i++)
    if (map_get(ld, u, unsupported[i]))
      return fail(ld,
                  "%s: %s is not supported by ksmc (use token, tokenFile or a client "
                  "certificate)",
                  what, unsupported[i]);
  return 0;
}

static int load_user(loader *ld, const char *ctx, const char *name, ksmc_kube_config *c) {
  char avail[512], what[300];
  yaml_node_t *u = find_named(ld, "users", "user", name);
  if (!u) {
    names_of(ld, "users", avail, sizeof avail);
    return fail(ld, "user \"%s\" (of context \"%s\") not found (available: %s)", name, ctx, avail);
  }
  snprintf(what, sizeof what, "user \"%s\"", name);
  if (check_unsupported_auth(ld, u, what)) return -1;
  c->token = dup_str(map_str(ld, u, "token"));
  const char *tf = map_str(ld, u, "tokenFile");
  if (tf && load_token_file(ld, what, tf, c)) return -1;
  if (load_pem(ld, u, what, "client-certificate", &c->cert)) return -1;
  if (load_pem(ld, u, what, "client-key", &c->key)) return -1;
  if (c->cert.n && !c->key.n) return fail(ld, "%s: client-certificate without client-key", what);
  if (c->key.n && !c->cert.n) return fail(ld, "%s: client-key without client-certificate", what);
  return 0;
}

static int load_context(loader *ld, const char *want, ksmc_kube_config *c) {
  const char *name = want ? want : current_context(ld);
  char avail[512];
  if (!name) return fail(ld, "current-context is not set and no --context was given");
  yaml_node_t *ctx = find_named(ld, "contexts", "context", name);
  if (!ctx) {
    names_of(ld, "contexts", avail, sizeof avail);
    return fail(ld, "context \"%s\" not found (available: %s)", name, avail);
  }
  /* read the context before its cluster and user make other files current */
  const char *cluster = map_str(ld, ctx, "cluster");
  const char *user = map_str(ld, ctx, "user");
  c->namespace = dup_str(map_str(ld, ctx, "namespace"));
  if (!cluster) return fail(ld, "context \"%s\": cluster is not set", name);
  if (load_cluster(ld, name, cluster, c)) return -1;
  if (user && load_user(ld, name, user, c)) return -1;
  size_t n = strlen(ld->spec) + strlen(name) + 32;
  c->source = malloc(n);
  if (c->source) snprintf(c->source, n, "kubeconfig %s context \"%s\"", ld->spec, name);
  return 0;
}

/* Parses one file's text into f->doc. A failure names that file. */
static int parse_yaml(loader *ld, kfile *f, const ksmc_buf *text) {
  yaml_parser_t p;
  if (!yaml_parser_initialize(&p)) return fail(ld, "out of memory");
  /* an empty file has no buffer; libyaml asserts on NULL input */
  yaml_parser_set_input_string(&p, (const unsigned char *)(text->p ? text->p : ""), text->n);
  int ok = yaml_parser_load(&p, &f->doc);
  const char *sep = ld->n > 1 ? ": " : "";
  const char *which = ld->n > 1 ? f->path : "";
  int r = 0;
  if (!ok) {
    r = fail(ld, "%s%sYAML error at line %zu column %zu: %s", which, sep, p.problem_mark.line + 1,
             p.problem_mark.column + 1, p.problem ? p.problem : "unknown");
  } else if (!yaml_document_get_root_node(&f->doc) ||
             yaml_document_get_root_node(&f->doc)->type != YAML_MAPPING_NODE) {
    yaml_document_delete(&f->doc);
    r = fail(ld, "%s%snot a kubeconfig (the document is not a mapping)", which, sep);
  }
  yaml_parser_delete(&p);
  return r;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash) return strdup(".");
  if (slash == path) return strdup("/");
  return strndup(path, (size_t)(slash - path));
}

/* Splits the ':'-separated list into ld->f paths (empty entries skipped). */
static int split_files(loader *ld) {
  const char *p = ld->spec;
  while (*p) {
    size_t k = strcspn(p, ":");
    if (k && ld->n == MAX_FILES) return fail(ld, "more than %d files", MAX_FILES);
    if (k) {
      kfile *f = &ld->f[ld->n++];
      f->path = strndup(p, k);
      f->dir = f->path ? dir_of(f->path) : NULL;
      if (!f->dir) return fail(ld, "out of memory");
    }
    p += k + (p[k] == ':');
  }
  return ld->n ? 0 : fail(ld, "no file given");
}

/* Reads and parses every file. A single file must exist; in a list, missing files are
 * skipped like client-go does with $KUBECONFIG, but at least one must exist. */
static int read_files(loader *ld) {
  bool list = ld->n > 1;
  size_t parsed = 0;
  for (size_t i = 0; i < ld->n; i++) {
    kfile *f = &ld->f[i];
    ksmc_buf text = {0};
    int e = read_file(f->path, &text), r = 0;
    if (e && (!list || e != ENOENT))
      r = fail(ld, "%s%s%s", list ? f->path : "", list ? ": " : "", strerror(e));
    if (!e) r = parse_yaml(ld, f, &text);
    ksmc_buf_free(&text);
    if (r) return -1;
    f->parsed = !e;
    parsed += f->parsed;
  }
  return parsed ? 0 : fail(ld, "none of the files exists");
}

static void free_files(loader *ld) {
  for (size_t i = 0; i < ld->n; i++) {
    if (ld->f[i].parsed) yaml_document_delete(&ld->f[i].doc);
    free(ld->f[i].path);
    free(ld->f[i].dir);
  }
}

static int load_kubeconfig(const ksmc_kube_config_opts *o, ksmc_kube_config *c, char *err,
                           size_t errlen) {
  loader ld = {.spec = o->kubeconfig, .err = err, .errlen = errlen};
  int r = split_files(&ld);
  if (!r) r = read_files(&ld);
  if (!r) r = load_context(&ld, o->context, c);
  free_files(&ld);
  return r;
}

/* ---- in-cluster ---- */

static const char *env_or(const char *given, const char *name) {
  return given ? given : getenv(name);
}

static bool in_cluster_possible(const ksmc_kube_config_opts *o) {
  const char *h = env_or(o->service_host, "KUBERNETES_SERVICE_HOST");
  const char *p = env_or(o->service_port, "KUBERNETES_SERVICE_PORT");
  return h && *h && p && *p;
}

static int load_in_cluster(const ksmc_kube_config_opts *o, ksmc_kube_config *c, char *err,
                           size_t errlen) {
  const char *h = env_or(o->service_host, "KUBERNETES_SERVICE_HOST");
  const char *p = env_or(o->service_port, "KUBERNETES_SERVICE_PORT");
  const char *dir = o->sa_dir ? o->sa_dir : KSMC_SA_DIR;
  size_t n = strlen(h) + strlen(p) + 16;
  c->server = malloc(n);
  if (!c->server) return set_err(err, errlen, "in-cluster config: out of memory"), -1;
  snprintf(c->server, n, strchr(h, ':') ? "https://[%s]:%s" : "https://%s:%s", h, p);
  char path[4096];
  snprintf(path, sizeof path, "%s/token", dir);
  c->token_file = strdup(path);
  int e = read_token(path, &c->file_token);
  if (e) return set_err(err, errlen, "in-cluster config: token %s: %s", path, errno_text(e)), -1;
  c->token_read_ms = -1;
  snprintf(path, sizeof path, "%s/ca.crt", dir);
  e = read_file(path, &c->ca);
  if (e) { /* client-go only logs this too */
    ksmc_buf_reset(&c->ca);
    char w[4200];
    snprintf(w, sizeof w, "in-cluster config: CA %s: %s; using the system CAs", path,
             errno_text(e));
    c->warning = strdup(w);
  }
  snprintf(path, sizeof path, "%s/namespace", dir);
  ksmc_buf ns = {0};
  if (read_token(path, &ns) == 0) c->namespace = strdup(ns.p);
  ksmc_buf_free(&ns);
  c->source = strdup("in-cluster");
  return 0;
}

/* ---- public ---- */

static int apply_apiserver(const char *url, ksmc_kube_config *c) {
  free(c->server);
  c->server = strdup(url);
  if (!c->source) c->source = strdup("--apiserver");
  return c->server ? 0 : -1;
}

static void trim_server(ksmc_kube_config *c) {
  size_t n = strlen(c->server);
  while (n > 0 && c->server[n - 1] == '/') c->server[--n] = 0;
}

int ksmc_kube_config_load(const ksmc_kube_config_opts *o, ksmc_kube_config *c, char *err,
                          size_t errlen) {
  memset(c, 0, sizeof *c);
  int r;
  if (o->kubeconfig) {
    r = load_kubeconfig(o, c, err, errlen);
  } else if (in_cluster_possible(o)) {
    r = load_in_cluster(o, c, err, errlen);
  } else if (o->apiserver) {
    r = 0;
  } else {
    set_err(err, errlen,
            "no API server: give --kubeconfig or --apiserver, or run in a cluster "
            "(KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set)");
    r = -1;
  }
  if (r == 0 && o->apiserver && apply_apiserver(o->apiserver, c)) {
    set_err(err, errlen, "out of memory");
    r = -1;
  }
  if (r == 0 && (!c->server || !c->source)) {
    set_err(err, errlen, "out of memory");
    r = -1;
  }
  if (r) {
    ksmc_kube_config_free(c);
    return -1;
  }
  trim_server(c);
  return 0;
}

void ksmc_kube_config_free(ksmc_kube_config *c) {
  free(c->server);
  free(c->tls_server_name);
  free(c->token);
  free(c->token_file);
  free(c->namespace);
  free(c->source);
  free(c->warning);
  ksmc_buf_free(&c->ca);
  ksmc_buf_free(&c->cert);
  ksmc_buf_free(&c->key);
  ksmc_buf_free(&c->file_token);
  memset(c, 0, sizeof *c);
}

const char *ksmc_kube_config_token(ksmc_kube_config *c, int64_t now_ms) {
  if (!c->token_file) return c->token;
  bool due =
      c->token_stale || c->token_read_ms < 0 || now_ms - c->token_read_ms >= KSMC_TOKEN_REREAD_MS;
  if (due && c->token_read_ms >= 0) {
    ksmc_buf fresh = {0};
    int e = read_token(c->token_file, &fresh);
    if (e) {
      snprintf(c->token_err, sizeof c->token_err, "token file %s: %s", c->token_file,
               errno_text(e));
    } else {
      ksmc_buf_free(&c->file_token);
      c->file_token = fresh;
      fresh = (ksmc_buf){0};
      c->token_err[0] = 0;
    }
    ksmc_buf_free(&fresh);
  }
  if (due) {
    c->token_read_ms = now_ms;
    c->token_stale = false;
  }
  return c->file_token.n ? ksmc_buf_cstr(&c->file_token) : c->token;
}

void ksmc_kube_config_token_invalidate(ksmc_kube_config *c) { c->token_stale = true; }
