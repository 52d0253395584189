/* End to end: the reflector against the API simulator (tools/apisim).
 *
 * Runs apisim with a synthetic cluster and churn, runs list+watch for pods, nodes,
 * namespaces, deployments and replicasets into an in-memory set per stream (applying the
 * sink contract: list_begin/list_end(complete) replace the set atomically, watch events
 * upsert/delete), and checks after each phase that every set equals the simulator's
 * ground truth (GET /_sim/objects), uid by uid and resourceVersion by resourceVersion:
 *   initial sync; churn then quiesce; each injected fault (dropped watch, 410 mid-stream,
 *   410 at watch start, truncated event, malformed event, expired continue after a
 *   compaction, 503 with Retry-After, stalled requests) then recovery; and three shards
 *   whose union is the unsharded set with no duplicates.
 *
 * usage: kube_reflector_sim /path/to/apisim */
#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "ksmc_jscan.h"
#include "ksmc_reflector.h"
#include "ksmc_request.h"

#define NRES 5
static const char *const RES_NAME[NRES] = {"pods", "nodes", "namespaces", "deployments",
                                           "replicasets"};
static const char *const RES_GROUP[NRES] = {"", "", "", "apps", "apps"};
static const char *const RES_VERSION[NRES] = {"v1", "v1", "v1", "v1", "v1"};

static int failures;
static char base_url[128];
static const char *sim_ca;     /* CA of a TLS simulator, for our own /_sim requests */
static const char *kubeconfig; /* when set, runners use it instead of --apiserver */
static bool verbose;

static void fail(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "FAIL: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "\n");
  va_end(ap);
  failures++;
}

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- an object set: uid -> "ns/name rv" (open addressing) ---- */

typedef struct {
  char **key, **val;
  size_t n, cap;
} objset;

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
  return h;
}

static size_t slot(const objset *m, const char *k) {
  size_t j = hash(k) & (m->cap - 1);
  while (m->key[j] && strcmp(m->key[j], k) != 0) j = (j + 1) & (m->cap - 1);
  return j;
}

static void grow(objset *m) {
  size_t cap = m->cap ? m->cap * 2 : 64;
  objset g = {calloc(cap, sizeof(char *)), calloc(cap, sizeof(char *)), 0, cap};
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->key[i]) continue;
    size_t j = slot(&g, m->key[i]);
    g.key[j] = m->key[i], g.val[j] = m->val[i], g.n++;
  }
  free(m->key), free(m->val);
  *m = g;
}

/* Returns false if k was already present (a duplicate). */
static bool put(objset *m, const char *k, const char *v) {
  if ((m->n + 1) * 2 > m->cap) grow(m);
  size_t j = slot(m, k);
  bool fresh = !m->key[j];
  if (fresh)
    m->key[j] = strdup(k), m->n++;
  else
    free(m->val[j]);
  m->val[j] = strdup(v);
  return fresh;
}

static const char *get(const objset *m, const char *k) {
  if (!m->cap) return NULL;
  size_t j = slot(m, k);
  return m->key[j] ? m->val[j] : NULL;
}

static void del(objset *m, const char *k) {
  if (!m->cap) return;
  size_t j = slot(m, k);
  if (!m->key[j]) return;
  free(m->key[j]), free(m->val[j]);
  m->key[j] = m->val[j] = NULL;
  m->n--;
  for (size_t i = (j + 1) & (m->cap - 1); m->key[i]; i = (i + 1) & (m->cap - 1)) {
    char *kk = m->key[i], *vv = m->val[i];
    m->key[i] = m->val[i] = NULL;
    size_t t = slot(m, kk);
    m->key[t] = kk, m->val[t] = vv;
  }
}

static void clear(objset *m) {
  for (size_t i = 0; i < m->cap; i++) free(m->key[i]), free(m->val[i]);
  free(m->key), free(m->val);
  *m = (objset){0};
}

/* uid and "ns/name rv" of an object. */
static bool describe(const char *json, size_t len, char *uid, size_t uidlen, char *val,
                     size_t vallen) {
  ksmc_slice v, u, ns = {"", 0}, name = {"", 0}, rv = {"", 0};
  if (!ksmc_jscan_member2(json, len, "metadata", "uid", &v) || !ksmc_jscan_unquote(v, &u))
    return false;
  if (ksmc_jscan_member2(json, len, "metadata", "namespace", &v)) ksmc_jscan_unquote(v, &ns);
  if (ksmc_jscan_member2(json, len, "metadata", "name", &v)) ksmc_jscan_unquote(v, &name);
  if (ksmc_jscan_member2(json, len, "metadata", "resourceVersion", &v)) ksmc_jscan_unquote(v, &rv);
  snprintf(uid, uidlen, "%.*s", (int)u.n, u.p);
  snprintf(val, vallen, "%.*s/%.*s %.*s", (int)ns.n, ns.p, (int)name.n, name.p, (int)rv.n, rv.p);
  return true;
}

/* ---- the sink: one set per stream, swapped on list_end(complete) ---- */

typedef struct {
  pthread_mutex_t mu;
  objset live[NRES], staging[NRES];
  int list_ends_discarded;
} set_sink;

static void s_begin(void *u, size_t s) {
  set_sink *k = u;
  pthread_mutex_lock(&k->mu);
  clear(&k->staging[s]);
  pthread_mutex_unlock(&k->mu);
}

static void s_object(void *u, size_t s, ksmc_event_type t, bool in_list, const char *json,
                     size_t len, ksmc_slice passed_uid) {
  set_sink *k = u;
  char uid[128], val[512];
  if (!describe(json, len, uid, sizeof uid, val, sizeof val)) {
    fail("object without uid on stream %zu", s);
    return;
  }
  if (strlen(uid) != passed_uid.n || memcmp(uid, passed_uid.p, passed_uid.n) != 0) {
    fail("the reflector passed uid %.*s with object %s", (int)passed_uid.n, passed_uid.p, uid);
    return;
  }
  pthread_mutex_lock(&k->mu);
  objset *m = in_list ? &k->staging[s] : &k->live[s];
  if (t == KSMC_EV_DELETED)
    del(m, uid);
  else
    put(m, uid, val);
  pthread_mutex_unlock(&k->mu);
}

static void s_end(void *u, size_t s, bool complete) {
  set_sink *k = u;
  pthread_mutex_lock(&k->mu);
  if (complete) {
    clear(&k->live[s]);
    k->live[s] = k->staging[s];
    k->staging[s] = (objset){0};
  } else {
    clear(&k->staging[s]);
    k->list_ends_discarded++;
  }
  pthread_mutex_unlock(&k->mu);
}

/* ---- HTTP helpers (libcurl easy) ---- */

static size_t collect(char *p, size_t size, size_t n, void *u) {
  ksmc_buf_put(u, p, size * n);
  return size * n;
}

static bool http(const char *method, const char *path, ksmc_buf *out) {
  char url[512];
  snprintf(url, sizeof url, "%s%s", base_url, path);
  CURL *e = curl_easy_init();
  ksmc_buf sink = {0};
  curl_easy_setopt(e, CURLOPT_URL, url);
  curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
  if (!strcmp(method, "POST")) curl_easy_setopt(e, CURLOPT_POSTFIELDS, "");
  curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
  curl_easy_setopt(e, CURLOPT_WRITEDATA, out ? out : &sink);
  curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
  if (sim_ca) curl_easy_setopt(e, CURLOPT_CAINFO, sim_ca);
  CURLcode rc = curl_easy_perform(e);
  long code = 0;
  curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &code);
  curl_easy_cleanup(e);
  ksmc_buf_free(&sink);
  if (rc != CURLE_OK || code >= 300) fail("%s %s: curl %d, HTTP %ld", method, path, rc, code);
  return rc == CURLE_OK && code < 300;
}

static void sim_post(const char *path) { http("POST", path, NULL); }

/* The simulator's current objects of resource r. */
static void truth(size_t r, objset *out) {
  char path[128];
  snprintf(path, sizeof path, "/_sim/objects?resource=%s", RES_NAME[r]);
  ksmc_buf body = {0};
  if (!http("GET", path, &body)) return;
  size_t at = 0;
  while (at < body.n) {
    const char *nl = memchr(body.p + at, '\n', body.n - at);
    size_t end = nl ? (size_t)(nl - body.p) : body.n;
    char uid[128], val[512];
    if (end > at && describe(body.p + at, end - at, uid, sizeof uid, val, sizeof val))
      put(out, uid, val);
    at = end + 1;
  }
  ksmc_buf_free(&body);
}

/* Compares a set with the truth; describes the first differences into why. */
static bool same(const objset *got, const objset *want, char *why, size_t whylen) {
  why[0] = 0;
  size_t missing = 0, stale = 0;
  for (size_t i = 0; i < want->cap; i++) {
    if (!want->key[i]) continue;
    const char *v = get(got, want->key[i]);
    if (!v)
      missing++;
    else if (strcmp(v, want->val[i]) != 0)
      stale++;
    if ((!v || strcmp(v, want->val[i])) && !why[0])
      snprintf(why, whylen, "%s: want %s got %s", want->key[i], want->val[i], v ? v : "(none)");
  }
  size_t extra = got->n > want->n - missing ? got->n - (want->n - missing) : 0;
  if (missing || stale || extra) {
    char more[160];
    snprintf(more, sizeof more, " [missing %zu, stale %zu, extra %zu; have %zu want %zu]", missing,
             stale, extra, got->n, want->n);
    strncat(why, more, whylen - strlen(why) - 1);
  }
  return !missing && !stale && !extra;
}

/* Waits (up to timeout_ms) until every stream's set equals the truth. */
static bool converged(set_sink *k, int64_t timeout_ms, const char *phase) {
  int64_t until = mono_ms() + timeout_ms;
  char why[600] = "";
  size_t bad = 0;
  for (;;) {
    bad = NRES;
    for (size_t r = 0; r < NRES; r++) {
      objset want = {0};
      truth(r, &want);
      pthread_mutex_lock(&k->mu);
      bool ok = same(&k->live[r], &want, why, sizeof why);
      pthread_mutex_unlock(&k->mu);
      clear(&want);
      if (!ok) {
        bad = r;
        break;
      }
    }
    if (bad == NRES || mono_ms() > until) break;
    usleep(200000);
  }
  if (bad != NRES)
    fail("%s: %s differs from the simulator: %s", phase, RES_NAME[bad], why);
  else
    printf("ok: %s: every stream equals the simulator\n", phase);
  return bad == NRES;
}

/* ---- running apisim and the ingest ---- */

/* Starts apisim with a cluster plus extra arguments (NULL-terminated); sets base_url. */
static pid_t start_apisim(const char *bin, const char *const *extra) {
  const char *argv[32] = {
      bin,      "--nodes", "12",      "--pods-per-node",     "25", "--namespaces", "6",
      "--port", "0",       "--quiet", "--bookmark-interval", "1",  "--seed",       "7"};
  int argc = 14;
  for (; extra && *extra && argc < 31; extra++) argv[argc++] = *extra;
  argv[argc] = NULL;
  int fds[2];
  if (pipe(fds)) return -1;
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fds[1], 1);
    close(fds[0]);
    execv(bin, (char *const *)argv);
    _exit(127);
  }
  close(fds[1]);
  FILE *f = fdopen(fds[0], "r");
  char line[256] = "";
  if (!fgets(line, sizeof line, f) || sscanf(line, "apisim: listening on %127s", base_url) != 1) {
    fprintf(stderr, "apisim did not start: [%s]\n", line);
    kill(pid, SIGTERM);
    return -1;
  }
  /* keep the pipe open (apisim may print more); it is closed at exit */
  return pid;
}

typedef struct {
  ksmc_kube_config cfg;
  ksmc_stream_spec spec[NRES];
  char *paths[NRES];
  ksmc_ingest *ig;
  pthread_t th;
  set_sink sink;
} runner;

static void log_line(void *u, ksmc_log_level l, const char *line) {
  const char *who = u;
  if (verbose || l <= KSMC_LOG_ERROR) fprintf(stderr, "  [%s %d] %s\n", who, l, line);
}

static void *run_thread(void *ig) {
  ksmc_ingest_run(ig);
  return NULL;
}

static bool runner_start(runner *r, int shard, int total, const char *who) {
  memset(r, 0, sizeof *r);
  pthread_mutex_init(&r->sink.mu, NULL);
  char err[512];
  ksmc_kube_config_opts co = {.service_host = ""};
  if (kubeconfig)
    co.kubeconfig = kubeconfig;
  else
    co.apiserver = base_url;
  if (ksmc_kube_config_load(&co, &r->cfg, err, sizeof err)) return fail("%s", err), false;
  for (size_t i = 0; i < NRES; i++) {
    r->paths[i] = ksmc_collection_path(RES_GROUP[i], RES_VERSION[i], RES_NAME[i], NULL);
    r->spec[i] = (ksmc_stream_spec){RES_NAME[i], r->paths[i], NULL, NULL, false};
  }
  ksmc_ingest_opts o = {.config = &r->cfg,
                        .streams = r->spec,
                        .nstreams = NRES,
                        .sink = {&r->sink, s_begin, s_object, s_end, NULL, NULL},
                        .shard = shard,
                        .total_shards = total,
                        .page_size = 40,
                        .idle_timeout_s = 3,
                        .min_watch_timeout_s = 2, /* watches restart often and meet faults */
                        .backoff_init_ms = 100,
                        .backoff_max_ms = 1000, /* correctness here, not client-go's timing */
                        .seed = 42 + (uint64_t)shard,
                        .log = log_line,
                        .log_user = (void *)who,
                        .log_level = KSMC_LOG_DEBUG};
  r->ig = ksmc_ingest_new(&o, err, sizeof err);
  if (!r->ig) return fail("%s", err), false;
  pthread_create(&r->th, NULL, run_thread, r->ig);
  return true;
}

static void runner_stop(runner *r) {
  ksmc_ingest_stop(r->ig);
  pthread_join(r->th, NULL);
  ksmc_ingest_free(r->ig);
  ksmc_kube_config_free(&r->cfg);
  for (size_t i = 0; i < NRES; i++) {
    free(r->paths[i]);
    clear(&r->sink.live[i]);
    clear(&r->sink.staging[i]);
  }
  pthread_mutex_destroy(&r->sink.mu);
}

static bool wait_synced(runner *r, int64_t timeout_ms) {
  int64_t until = mono_ms() + timeout_ms;
  while (!ksmc_ingest_all_synced(r->ig) && mono_ms() < until) usleep(20000);
  return ksmc_ingest_all_synced(r->ig);
}

static uint64_t total(runner *r, size_t field_offset) {
  uint64_t sum = 0;
  for (size_t i = 0; i < NRES; i++) {
    ksmc_stream_stats st;
    ksmc_ingest_stats(r->ig, i, &st);
    sum += *(const uint64_t *)((const char *)&st + field_offset);
  }
  return sum;
}
#define TOTAL(r, f) total(r, offsetof(ksmc_stream_stats, f))

/* ---- phases ---- */

static void churn(int rate) {
  char p[64];
  snprintf(p, sizeof p, "/_sim/churn?rate=%d", rate);
  sim_post(p);
}

typedef enum { WANT_NOTHING, WANT_RELIST, WANT_WATCH_ERRORS, WANT_LIST_ERRORS, WANT_ERRORS } want;

/* Churns with a fault set, then clears faults, quiesces and checks convergence and that
 * the fault was met (the counter `w` names grew). */
typedef struct {
  uint64_t lists, list_errors, watch_errors;
} counters;

static counters snapshot(runner *r) {
  return (counters){TOTAL(r, lists), TOTAL(r, list_errors), TOTAL(r, watch_errors)};
}

/* Whether the counter `w` names moved since c0. */
static bool met(runner *r, counters c0, want w) {
  counters c = snapshot(r);
  bool dl = c.lists > c0.lists, dle = c.list_errors > c0.list_errors,
       dwe = c.watch_errors > c0.watch_errors;
  return w == WANT_NOTHING || (w == WANT_RELIST && dl) || (w == WANT_WATCH_ERRORS && dwe) ||
         (w == WANT_LIST_ERRORS && dle) || (w == WANT_ERRORS && (dle || dwe));
}

/* Churns with a fault set, quiesces, keeps the fault until it was met (at most 15 s more,
 * for slow sanitizer builds), clears it and checks convergence. */
static void fault_phase(runner *r, const char *name, const char *faults, int churn_ms, bool compact,
                        want w) {
  counters c0 = snapshot(r);
  char p[256];
  snprintf(p, sizeof p, "/_sim/faults?%s", faults);
  churn(40);
  if (*faults) sim_post(p);
  if (compact) {
    usleep(300000);
    sim_post("/_sim/compact");
  }
  usleep((useconds_t)churn_ms * 1000);
  churn(0);
  usleep(1000000); /* let count-limited faults fire on the now quiet cluster too */
  for (int64_t until = mono_ms() + 15000; !met(r, c0, w) && mono_ms() < until;) {
    churn(10); /* faults on watches need events to fire */
    usleep(500000);
    churn(0);
  }
  sim_post("/_sim/faults?reset=1");
  char label[128];
  snprintf(label, sizeof label, "fault %s", name);
  converged(&r->sink, 20000, label);
  counters c = snapshot(r);
  printf("     (%s: +%llu lists, +%llu list errors, +%llu watch errors)\n", name,
         (unsigned long long)(c.lists - c0.lists),
         (unsigned long long)(c.list_errors - c0.list_errors),
         (unsigned long long)(c.watch_errors - c0.watch_errors));
  if (!met(r, c0, w)) fail("fault %s was not met (the counters did not move)", name);
}

static void shard_phase(runner *whole) {
  runner sh[3];
  bool ok = true;
  for (int i = 0; i < 3; i++) ok = ok && runner_start(&sh[i], i, 3, "shard");
  for (int i = 0; ok && i < 3; i++)
    if (!wait_synced(&sh[i], 15000)) fail("shard %d did not sync", i), ok = false;
  for (size_t r = 0; ok && r < NRES; r++) {
    objset u = {0};
    size_t dups = 0;
    for (int i = 0; i < 3; i++) {
      pthread_mutex_lock(&sh[i].sink.mu);
      for (size_t j = 0; j < sh[i].sink.live[r].cap; j++)
        if (sh[i].sink.live[r].key[j] &&
            !put(&u, sh[i].sink.live[r].key[j], sh[i].sink.live[r].val[j]))
          dups++;
      pthread_mutex_unlock(&sh[i].sink.mu);
    }
    char why[600];
    pthread_mutex_lock(&whole->sink.mu);
    bool eq = same(&u, &whole->sink.live[r], why, sizeof why);
    pthread_mutex_unlock(&whole->sink.mu);
    if (dups || !eq) fail("shards of %s: %zu duplicates; %s", RES_NAME[r], dups, why);
    clear(&u);
  }
  if (ok) printf("ok: three shards union to the unsharded set, no duplicates\n");
  for (int i = 0; i < 3; i++) runner_stop(&sh[i]);
}

/* ---- TLS and bearer tokens through a kubeconfig ---- */

static void write_kubeconfig(const char *dir, const char *extra_cluster, const char *token) {
  char path[256];
  snprintf(path, sizeof path, "%s/kubeconfig", dir);
  FILE *f = fopen(path, "w");
  if (!f) return fail("cannot write %s", path);
  fprintf(f,
          "apiVersion: v1\nkind: Config\ncurrent-context: sim\n"
          "contexts:\n- name: sim\n  context: {cluster: sim, user: u}\n"
          "clusters:\n- name: sim\n  cluster:\n    server: %s\n"
          "    certificate-authority: ca.crt\n%s"
          "users:\n- name: u\n  user:\n    token: %s\n",
          base_url, extra_cluster, token);
  fclose(f);
}

/* Runs the ingest with the kubeconfig in dir; returns whether it synced, and the first
 * stream's last error. */
static bool tls_try(const char *dir, const char *label, char *last_error, size_t n) {
  char path[256];
  snprintf(path, sizeof path, "%s/kubeconfig", dir);
  kubeconfig = path;
  runner r;
  bool synced = false;
  if (runner_start(&r, 0, 1, label)) {
    synced = wait_synced(&r, 4000);
    if (synced) converged(&r.sink, 10000, label);
    ksmc_stream_stats st;
    ksmc_ingest_stats(r.ig, 0, &st);
    snprintf(last_error, n, "%s", st.last_error);
    runner_stop(&r);
  }
  kubeconfig = NULL;
  return synced;
}

/* A token file holding a stale token: 401s until the file is rotated, then the reflector
 * re-reads it (after the 401, not only every 60 s) and syncs. */
static void token_rotation(const char *dir) {
  char tok[256], path[256];
  snprintf(tok, sizeof tok, "%s/token", dir);
  FILE *f = fopen(tok, "w");
  if (!f) return fail("cannot write %s", tok);
  fputs("expired-token\n", f);
  fclose(f);
  write_kubeconfig(dir, "", "static-ignored\n    tokenFile: token");
  snprintf(path, sizeof path, "%s/kubeconfig", dir);
  kubeconfig = path;
  runner r;
  if (runner_start(&r, 0, 1, "rotation")) {
    usleep(800000);
    ksmc_stream_stats st;
    ksmc_ingest_stats(r.ig, 0, &st);
    if (ksmc_ingest_synced(r.ig, 0) || !strstr(st.last_error, "HTTP 401"))
      fail("token rotation: want 401 before the rotation, got [%s]", st.last_error);
    f = fopen(tok, "w");
    if (f) fputs("s3cret\n", f), fclose(f);
    if (!wait_synced(&r, 5000))
      fail("token rotation: did not sync after the file changed");
    else
      printf("ok: a rotated token file is re-read after a 401\n");
    runner_stop(&r);
  }
  kubeconfig = NULL;
}

static void tls_phase(const char *bin) {
  char dir[] = "/tmp/ksmc-e2e-tls-XXXXXX", ca[64];
  if (!mkdtemp(dir)) return fail("mkdtemp");
  const char *extra[] = {"--tls", "--tls-dir", dir, "--token", "s3cret", NULL};
  pid_t sim = start_apisim(bin, extra);
  if (sim < 0) return fail("apisim --tls did not start (openssl missing?)");
  snprintf(ca, sizeof ca, "%s/ca.crt", dir);
  sim_ca = ca;
  char err[256];
  write_kubeconfig(dir, "", "s3cret");
  if (!tls_try(dir, "tls: CA file relative to the kubeconfig, bearer token", err, sizeof err))
    fail("tls: did not sync: %s", err);
  write_kubeconfig(dir, "    tls-server-name: localhost\n", "s3cret");
  if (!tls_try(dir, "tls: tls-server-name localhost", err, sizeof err))
    fail("tls-server-name localhost: did not sync: %s", err);
  write_kubeconfig(dir, "    tls-server-name: wrong.example\n", "s3cret");
  if (tls_try(dir, "tls: tls-server-name wrong.example", err, sizeof err))
    fail("tls-server-name wrong.example: synced although the certificate does not match");
  else
    printf("ok: tls-server-name not in the certificate fails: %s\n", err);
  write_kubeconfig(dir, "", "wrong-token");
  if (tls_try(dir, "tls: wrong token", err, sizeof err) || !strstr(err, "HTTP 401"))
    fail("wrong token: want HTTP 401, got [%s]", err);
  else
    printf("ok: a wrong token is refused: %s\n", err);
  token_rotation(dir);
  sim_ca = NULL;
  kill(sim, SIGTERM);
  waitpid(sim, NULL, 0);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  if (system(cmd)) fail("%s", cmd);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s /path/to/apisim\n", argv[0]);
    return 2;
  }
  verbose = getenv("KSMC_TEST_VERBOSE") != NULL;
  setvbuf(stdout, NULL, _IOLBF, 0);
  signal(SIGPIPE, SIG_IGN);
  curl_global_init(CURL_GLOBAL_DEFAULT);
  pid_t sim = start_apisim(argv[1], NULL);
  if (sim < 0) return 1;
  runner r;
  if (runner_start(&r, 0, 1, "main")) {
    if (!wait_synced(&r, 15000)) fail("initial sync did not finish");
    converged(&r.sink, 10000, "initial sync");
    churn(60);
    usleep(3000000);
    churn(0);
    converged(&r.sink, 15000, "churn then quiesce");
    fault_phase(&r, "dropped watch", "watch_close_events=3", 4000, false, WANT_NOTHING);
    fault_phase(&r, "410 mid-stream", "watch_gone_after=4", 4000, false, WANT_RELIST);
    fault_phase(&r, "410 at watch start", "watch_gone_start=3", 4000, false, WANT_RELIST);
    fault_phase(&r, "truncated event", "watch_truncate_after=2", 4000, false, WANT_WATCH_ERRORS);
    fault_phase(&r, "malformed event", "watch_malformed_after=3", 4000, false, WANT_WATCH_ERRORS);
    fault_phase(&r, "410 on every watch + expired continue",
                "watch_gone_start=-1&expire_continue=2", 3000, false, WANT_LIST_ERRORS);
    fault_phase(&r, "compaction", "", 3000, true, WANT_NOTHING);
    fault_phase(&r, "503 with Retry-After", "error_code=503&error_count=6&retry_after=1", 3000,
                false, WANT_ERRORS);
    fault_phase(&r, "stalled requests", "stall_ms=5000&stall_count=3", 3000, false, WANT_ERRORS);
    shard_phase(&r);
    runner_stop(&r);
  }
  kill(sim, SIGTERM);
  waitpid(sim, NULL, 0);
  tls_phase(argv[1]);
  curl_global_cleanup();
  printf("%s: %d failure(s)\n", failures ? "FAILED" : "PASSED", failures);
  return failures ? 1 : 0;
}
