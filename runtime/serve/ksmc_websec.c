/* TLS credentials and authentication with reload; see ksmc_websec.h. */
#include "ksmc_websec.h"

#include <crypt.h>
#include <errno.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_FILE (1u << 20)
#define CACHE_SLOTS 64
#define MAX_BCRYPT 2
#define NFILES 5 /* config, cert, key, client CA, token */

/* What identifies a file's content without reading it. */
typedef struct {
  bool exists;
  dev_t dev;
  ino_t ino;
  off_t size;
  struct timespec mtime, ctime;
} stamp;

struct ksmc_websec_gen {
  unsigned refs; /* under ksmc_websec.lock */
  ksmc_webcfg cfg;
  char *cert_pem, *key_pem, *prio_str, *token;
  gnutls_certificate_credentials_t cred;
  gnutls_priority_t prio;
  const char *paths[NFILES];
  stamp stamps[NFILES];
  pthread_mutex_t cache_lock;
  unsigned char cache[CACHE_SLOTS][32];
  unsigned ncache, next_slot;
};

struct ksmc_websec {
  ksmc_websec_opts o;
  char *config_file, *token_file;
  pthread_mutex_t lock;
  ksmc_websec_gen *cur, *first;
  double last_check;
  stamp failed[NFILES]; /* stamps of the last load that failed (logged once) */
  bool tls;
  unsigned reloads;
  atomic_int bcrypts;
  atomic_ulong refused[KSMC_AUTH_REFUSED_NREASONS];
  unsigned long reloads_failed;    /* under lock */
  double last_reload_success_time; /* under lock; Unix seconds */
  bool last_reload_ok;             /* under lock */
};

static double wall_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A valid bcrypt hash of a random password, checked for unknown users. */
static const char dummy_hash[] = "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi";

static double mono_now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void logf_(ksmc_websec *s, ksmc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void logf_(ksmc_websec *s, ksmc_log_level lvl, const char *fmt, ...) {
  if (!s->o.log) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  s->o.log(s->o.log_arg, lvl, line);
}

static stamp stamp_of(const char *path) {
  stamp st = {0};
  struct stat sb;
  if (path && stat(path, &sb) == 0)
    st = (stamp){true, sb.st_dev, sb.st_ino, sb.st_size, sb.st_mtim, sb.st_ctim};
  return st;
}

static bool same_stamp(const stamp *a, const stamp *b) {
  return a->exists == b->exists && a->dev == b->dev && a->ino == b->ino && a->size == b->size &&
         a->mtime.tv_sec == b->mtime.tv_sec && a->mtime.tv_nsec == b->mtime.tv_nsec &&
         a->ctime.tv_sec == b->ctime.tv_sec && a->ctime.tv_nsec == b->ctime.tv_nsec;
}

/* Reads a whole (small) file, NUL-terminated. */
static char *read_file(const char *path, const char *what, size_t *len, char *err, size_t errlen) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(errno));
    return NULL;
  }
  char *buf = malloc(MAX_FILE + 1);
  size_t n = buf ? fread(buf, 1, MAX_FILE + 1, f) : 0;
  bool bad = !buf || ferror(f) || n > MAX_FILE;
  fclose(f);
  if (bad) {
    free(buf);
    snprintf(err, errlen, "%s %s: unreadable or larger than 1 MiB", what, path);
    return NULL;
  }
  buf[n] = 0;
  if (len) *len = n;
  return buf;
}

static void gen_free(ksmc_websec_gen *g) {
  if (!g) return;
  if (g->cred) gnutls_certificate_free_credentials(g->cred);
  if (g->prio) gnutls_priority_deinit(g->prio);
  free(g->cert_pem);
  free(g->key_pem);
  free(g->prio_str);
  free(g->token);
  ksmc_webcfg_free(&g->cfg);
  pthread_mutex_destroy(&g->cache_lock);
  free(g);
}

/* "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2" for versions min..max (default 1.2..1.3). */
static char *priorities(const ksmc_webcfg *c) {
  int lo = c->min_version ? c->min_version : 12, hi = c->max_version ? c->max_version : 13;
  char buf[160] = "NORMAL:-VERS-ALL";
  for (int v = hi; v >= lo; v--) {
    size_t n = strlen(buf);
    snprintf(buf + n, sizeof buf - n, ":+VERS-TLS1.%d", v - 10);
  }
  return strdup(buf);
}

static bool load_tls(ksmc_websec_gen *g, char *err, size_t errlen) {
  const ksmc_webcfg *c = &g->cfg;
  size_t cn = 0, kn = 0;
  if (!(g->cert_pem = read_file(c->cert_file, "cert_file", &cn, err, errlen)) ||
      !(g->key_pem = read_file(c->key_file, "key_file", &kn, err, errlen)))
    return false;
  int rc = gnutls_certificate_allocate_credentials(&g->cred);
  if (rc < 0) {
    snprintf(err, errlen, "TLS credentials: %s", gnutls_strerror(rc));
    return false;
  }
  gnutls_datum_t cd = {(unsigned char *)g->cert_pem, (unsigned)cn};
  gnutls_datum_t kd = {(unsigned char *)g->key_pem, (unsigned)kn};
  rc = gnutls_certificate_set_x509_key_mem(g->cred, &cd, &kd, GNUTLS_X509_FMT_PEM);
  if (rc < 0) {
    snprintf(err, errlen, "cert_file %s with key_file %s: %s", c->cert_file, c->key_file,
             gnutls_strerror(rc));
    return false;
  }
  if (c->client_ca_file) {
    size_t an = 0;
    char *ca = read_file(c->client_ca_file, "client_ca_file", &an, err, errlen);
    if (!ca) return false;
    gnutls_datum_t ad = {(unsigned char *)ca, (unsigned)an};
    rc = gnutls_certificate_set_x509_trust_mem(g->cred, &ad, GNUTLS_X509_FMT_PEM);
    free(ca);
    if (rc <= 0) {
      snprintf(err, errlen, "client_ca_file %s: %s", c->client_ca_file,
               rc < 0 ? gnutls_strerror(rc) : "no PEM certificate in it");
      return false;
    }
  }
  const char *where = NULL;
  if (!(g->prio_str = priorities(c)) || gnutls_priority_init(&g->prio, g->prio_str, &where) < 0) {
    snprintf(err, errlen, "TLS priorities \"%s\" rejected by GnuTLS",
             g->prio_str ? g->prio_str : "");
    return false;
  }
  return true;
}

/* The token: the file's content without surrounding whitespace; must not be empty. */
static bool load_token(ksmc_websec_gen *g, const char *path, char *err, size_t errlen) {
  char *t = read_file(path, "bearer token file", NULL, err, errlen);
  if (!t) return false;
  char *a = t, *e = t + strlen(t);
  while (*a && strchr(" \t\r\n", *a)) a++;
  while (e > a && strchr(" \t\r\n", e[-1])) e--;
  *e = 0;
  if (!*a || strpbrk(a, "\r\n")) {
    free(t);
    snprintf(err, errlen, "bearer token file %s: want one non-empty line", path);
    return false;
  }
  memmove(t, a, (size_t)(e - a) + 1);
  g->token = t;
  return true;
}

/* Loads one generation from the files. */
static ksmc_websec_gen *gen_load(ksmc_websec *s, char *err, size_t errlen) {
  ksmc_websec_gen *g = calloc(1, sizeof *g);
  if (!g) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  pthread_mutex_init(&g->cache_lock, NULL);
  g->refs = 1;
  /* stamps first: a file changing while it is read is loaded again at the next check */
  g->paths[0] = s->config_file;
  g->paths[4] = s->token_file;
  g->stamps[0] = stamp_of(s->config_file);
  g->stamps[4] = stamp_of(s->token_file);
  bool ok = !s->config_file || ksmc_webcfg_load(s->config_file, &g->cfg, err, errlen);
  if (ok && g->cfg.tls) {
    g->paths[1] = g->cfg.cert_file;
    g->paths[2] = g->cfg.key_file;
    g->paths[3] = g->cfg.client_ca_file;
    for (int i = 1; i < 4; i++) g->stamps[i] = stamp_of(g->paths[i]);
    ok = load_tls(g, err, errlen);
  }
  if (ok && s->token_file) ok = load_token(g, s->token_file, err, errlen);
  if (!ok) {
    gen_free(g);
    return NULL;
  }
  return g;
}

ksmc_websec *ksmc_websec_new(const ksmc_websec_opts *o, char *err, size_t errlen) {
  ksmc_websec *s = calloc(1, sizeof *s);
  if (!s) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  s->o = *o;
  if (!s->o.reload_seconds) s->o.reload_seconds = 1;
  s->config_file = o->config_file ? strdup(o->config_file) : NULL;
  s->token_file = o->bearer_token_file ? strdup(o->bearer_token_file) : NULL;
  pthread_mutex_init(&s->lock, NULL);
  if ((o->config_file && !s->config_file) || (o->bearer_token_file && !s->token_file) ||
      !(s->cur = gen_load(s, err, errlen))) {
    if (!*err) snprintf(err, errlen, "out of memory");
    ksmc_websec_free(s);
    return NULL;
  }
  s->first = s->cur;
  s->first->refs++; /* its PEMs back the listener's startup options until the end */
  s->tls = s->cur->cfg.tls;
  s->last_check = mono_now();
  s->last_reload_success_time = wall_now();
  s->last_reload_ok = true;
  return s;
}

void ksmc_websec_free(ksmc_websec *s) {
  if (!s) return;
  if (s->cur && --s->cur->refs == 0) gen_free(s->cur);
  if (s->first && --s->first->refs == 0) gen_free(s->first);
  pthread_mutex_destroy(&s->lock);
  free(s->config_file);
  free(s->token_file);
  free(s);
}

bool ksmc_websec_tls(const ksmc_websec *s) { return s->tls; }
const char *ksmc_websec_cert_pem(const ksmc_websec *s) {
  return s->tls ? s->first->cert_pem : NULL;
}
const char *ksmc_websec_key_pem(const ksmc_websec *s) { return s->tls ? s->first->key_pem : NULL; }
const char *ksmc_websec_priorities(const ksmc_websec *s) {
  return s->tls ? s->first->prio_str : NULL;
}

/* Under s->lock: loads a new generation if a file changed since the current one. */
static void maybe_reload(ksmc_websec *s) {
  double now = mono_now();
  if (now - s->last_check < s->o.reload_seconds) return;
  s->last_check = now;
  ksmc_websec_gen *g = s->cur;
  stamp st[NFILES];
  bool changed = false;
  for (int i = 0; i < NFILES; i++) {
    st[i] = stamp_of(g->paths[i]);
    changed |= g->paths[i] && !same_stamp(&st[i], &g->stamps[i]);
  }
  if (!changed) return;
  bool seen = true;
  for (int i = 0; i < NFILES; i++) seen &= same_stamp(&st[i], &s->failed[i]);
  if (seen) return; /* this broken state was already reported */
  char err[512] = "";
  ksmc_websec_gen *n = gen_load(s, err, sizeof err);
  if (n && n->cfg.tls != s->tls) {
    snprintf(err, sizeof err, "%s: TLS %s; restart ksmc to change that", s->config_file,
             s->tls ? "removed" : "added");
    gen_free(n);
    n = NULL;
  }
  if (!n) {
    memcpy(s->failed, st, sizeof st);
    s->reloads_failed++;
    s->last_reload_ok = false;
    logf_(s, KSMC_LOG_ERROR, "web config not reloaded, keeping the previous one: %s", err);
    return;
  }
  memset(s->failed, 0, sizeof s->failed);
  if (--g->refs == 0) gen_free(g);
  s->cur = n;
  s->reloads++;
  s->last_reload_ok = true;
  s->last_reload_success_time = wall_now();
  logf_(s, KSMC_LOG_INFO, "web config reloaded (%s%s%s)", s->config_file ? s->config_file : "",
        s->config_file && s->token_file ? ", " : "", s->token_file ? s->token_file : "");
}

ksmc_websec_gen *ksmc_websec_acquire(ksmc_websec *s) {
  pthread_mutex_lock(&s->lock);
  maybe_reload(s);
  ksmc_websec_gen *g = s->cur;
  g->refs++;
  pthread_mutex_unlock(&s->lock);
  return g;
}

void ksmc_websec_release(ksmc_websec *s, ksmc_websec_gen *g) {
  if (!g) return;
  pthread_mutex_lock(&s->lock);
  bool last = --g->refs == 0;
  pthread_mutex_unlock(&s->lock);
  if (last) gen_free(g);
}

unsigned ksmc_websec_reloads(ksmc_websec *s) {
  pthread_mutex_lock(&s->lock);
  unsigned n = s->reloads;
  pthread_mutex_unlock(&s->lock);
  return n;
}

bool ksmc_websec_setup_session(ksmc_websec_gen *g, void *session) {
  gnutls_session_t ss = session;
  if (!g->cred || gnutls_credentials_set(ss, GNUTLS_CRD_CERTIFICATE, g->cred) < 0 ||
      gnutls_priority_set(ss, g->prio) < 0)
    return false;
  static const gnutls_certificate_request_t req[] = {GNUTLS_CERT_IGNORE, GNUTLS_CERT_REQUEST,
                                                     GNUTLS_CERT_REQUIRE, GNUTLS_CERT_REQUEST,
                                                     GNUTLS_CERT_REQUIRE};
  gnutls_certificate_server_set_request(ss, req[g->cfg.client_auth]);
  if (g->cfg.client_auth == KSMC_CLIENT_VERIFY_IF_GIVEN ||
      g->cfg.client_auth == KSMC_CLIENT_REQUIRE_AND_VERIFY)
    gnutls_session_set_verify_cert(ss, NULL, 0);
  return true;
}

void ksmc_websec_tls_closed(ksmc_websec *s, void *session) {
  /* (unsigned)-1: no verification ran (no Verify* type, no certificate given, or the
   * handshake ended before); 0: the chain verified; else GnuTLS's failure flags */
  unsigned st = gnutls_session_get_verify_cert_status((gnutls_session_t)session);
  if (st != 0 && st != (unsigned)-1)
    atomic_fetch_add(&s->refused[KSMC_AUTH_REFUSED_CLIENT_CERT], 1);
}

void ksmc_websec_challenges(const ksmc_websec_gen *g, bool *basic, bool *bearer) {
  *basic = g->cfg.nusers > 0;
  *bearer = g->token != NULL;
}

const ksmc_webcfg_pair *ksmc_websec_headers(const ksmc_websec_gen *g, size_t *n) {
  *n = g->cfg.nheaders;
  return g->cfg.headers;
}

/* ---- authentication ---- */

static bool const_eq(const char *a, size_t an, const char *b, size_t bn) {
  unsigned char d = an != bn;
  size_t n = an < bn ? an : bn;
  for (size_t i = 0; i < n; i++) d |= (unsigned char)(a[i] ^ b[i]);
  return d == 0;
}

static int b64val(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

/* Standard base64 (padding optional) into out (cap bytes); -1 if invalid or too long. */
static long b64decode(const char *s, char *out, size_t cap) {
  size_t n = 0;
  unsigned acc = 0;
  int bits = 0;
  for (; *s && *s != '='; s++) {
    int v = b64val(*s);
    if (v < 0) return -1;
    acc = (acc << 6) | (unsigned)v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (n == cap) return -1;
      out[n++] = (char)((acc >> bits) & 0xff);
    }
  }
  while (*s == '=') s++;
  return *s ? -1 : (long)n;
}

static const char *user_hash(const ksmc_websec_gen *g, const char *user, size_t un) {
  for (size_t i = 0; i < g->cfg.nusers; i++)
    if (strlen(g->cfg.users[i].name) == un && !memcmp(g->cfg.users[i].name, user, un))
      return g->cfg.users[i].value;
  return NULL;
}

static bool cache_has(ksmc_websec_gen *g, const unsigned char key[32]) {
  bool hit = false;
  pthread_mutex_lock(&g->cache_lock);
  for (unsigned i = 0; i < g->ncache; i++)
    hit |= const_eq((const char *)g->cache[i], 32, (const char *)key, 32);
  pthread_mutex_unlock(&g->cache_lock);
  return hit;
}

static void cache_put(ksmc_websec_gen *g, const unsigned char key[32]) {
  pthread_mutex_lock(&g->cache_lock);
  memcpy(g->cache[g->next_slot], key, 32);
  g->next_slot = (g->next_slot + 1) % CACHE_SLOTS;
  if (g->ncache < CACHE_SLOTS) g->ncache++;
  pthread_mutex_unlock(&g->cache_lock);
}

static ksmc_auth_result check_basic(ksmc_websec *s, ksmc_websec_gen *g, const char *b64) {
  char cred[512];
  long n = b64decode(b64, cred, sizeof cred - 1);
  if (n < 0) return KSMC_AUTH_DENIED;
  cred[n] = 0;
  char *colon = memchr(cred, ':', (size_t)n);
  if (!colon || memchr(cred, 0, (size_t)n)) return KSMC_AUTH_DENIED;
  size_t un = (size_t)(colon - cred);
  const char *pass = colon + 1;
  const char *hash = user_hash(g, cred, un);
  /* cache key: SHA-256 of "user\0password\0hash" */
  char keysrc[1024];
  int kn = snprintf(keysrc, sizeof keysrc, "%.*s%c%s%c%s", (int)un, cred, 0, pass, 0,
                    hash ? hash : dummy_hash);
  unsigned char key[32];
  if (kn < 0 || (size_t)kn >= sizeof keysrc ||
      gnutls_hash_fast(GNUTLS_DIG_SHA256, keysrc, (size_t)kn, key) < 0)
    return KSMC_AUTH_DENIED;
  if (hash && cache_has(g, key)) return KSMC_AUTH_OK;
  if (atomic_fetch_add(&s->bcrypts, 1) >= MAX_BCRYPT) {
    atomic_fetch_sub(&s->bcrypts, 1);
    return KSMC_AUTH_BUSY;
  }
  struct crypt_data *cd = calloc(1, sizeof *cd);
  const char *h = hash ? hash : dummy_hash;
  char *out = cd ? crypt_rn(pass, h, cd, sizeof *cd) : NULL;
  bool ok = out && hash && const_eq(out, strlen(out), h, strlen(h));
  free(cd);
  atomic_fetch_sub(&s->bcrypts, 1);
  if (!ok) return KSMC_AUTH_DENIED;
  cache_put(g, key);
  return KSMC_AUTH_OK;
}

static ksmc_auth_result check(ksmc_websec *s, ksmc_websec_gen *g, const char *authorization,
                              ksmc_auth_refusal *why) {
  if (!authorization) return (*why = KSMC_AUTH_REFUSED_MISSING, KSMC_AUTH_DENIED);
  while (*authorization == ' ') authorization++;
  if (g->token && strncasecmp(authorization, "Bearer ", 7) == 0) {
    const char *t = authorization + 7;
    while (*t == ' ') t++;
    size_t tn = strlen(t);
    while (tn && t[tn - 1] == ' ') tn--;
    *why = KSMC_AUTH_REFUSED_BEARER;
    return const_eq(t, tn, g->token, strlen(g->token)) ? KSMC_AUTH_OK : KSMC_AUTH_DENIED;
  }
  if (g->cfg.nusers && strncasecmp(authorization, "Basic ", 6) == 0) {
    const char *b = authorization + 6;
    while (*b == ' ') b++;
    ksmc_auth_result r = check_basic(s, g, b);
    *why = r == KSMC_AUTH_BUSY ? KSMC_AUTH_REFUSED_BUSY : KSMC_AUTH_REFUSED_BASIC;
    return r;
  }
  *why = KSMC_AUTH_REFUSED_SCHEME;
  return KSMC_AUTH_DENIED;
}

ksmc_auth_result ksmc_websec_check(ksmc_websec *s, ksmc_websec_gen *g, const char *authorization) {
  if (!g->cfg.nusers && !g->token) return KSMC_AUTH_OK;
  ksmc_auth_refusal why = KSMC_AUTH_REFUSED_SCHEME;
  ksmc_auth_result r = check(s, g, authorization, &why);
  if (r != KSMC_AUTH_OK) atomic_fetch_add(&s->refused[why], 1);
  return r;
}

void ksmc_websec_get_stats(ksmc_websec *s, ksmc_websec_stats *out) {
  for (int i = 0; i < KSMC_AUTH_REFUSED_NREASONS; i++)
    out->refused[i] = atomic_load(&s->refused[i]);
  pthread_mutex_lock(&s->lock);
  out->reloads_ok = 1 + s->reloads; /* the first load counts */
  out->reloads_failed = s->reloads_failed;
  out->last_reload_success_time = s->last_reload_success_time;
  out->last_reload_ok = s->last_reload_ok;
  pthread_mutex_unlock(&s->lock);
}

const char *ksmc_websec_refusal_name(ksmc_auth_refusal r) {
  static const char *const names[] = {"missing_credentials",  "bad_basic_auth",
                                      "bad_bearer_token",     "unsupported_scheme",
                                      "password_checks_busy", "client_certificate"};
  return (unsigned)r < KSMC_AUTH_REFUSED_NREASONS ? names[r] : "unknown";
}
