#include "ksmc_autoshard.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ksmc_backoff.h"
#include "ksmc_framer.h"
#include "ksmc_jscan.h"
#include "ksmc_request.h"

#define MAX_GET_BYTES (4u << 20)
#define WATCH_TIMEOUT_S 300

/* ---- pure parts ---- */

bool ksmc_autoshard_ordinal(const char *pod, const char *sts, int32_t *ordinal) {
  size_t n = strlen(sts);
  if (!n || strncmp(pod, sts, n) != 0 || pod[n] != '-') return false;
  const char *d = pod + n + 1;
  if (!*d) return false;
  int64_t v = 0;
  for (; *d; d++) {
    if (*d < '0' || *d > '9') return false;
    v = v * 10 + (*d - '0');
    if (v > INT32_MAX) return false;
  }
  *ordinal = (int32_t)v;
  return true;
}

static bool slice_eq(ksmc_slice s, const char *lit) {
  return s.n == strlen(lit) && memcmp(s.p, lit, s.n) == 0;
}

static bool member_str(ksmc_slice obj, const char *key, ksmc_slice *out) {
  ksmc_slice v;
  return ksmc_jscan_member(obj.p, obj.n, key, &v) && ksmc_jscan_unquote(v, out);
}

bool ksmc_autoshard_owner(const char *json, size_t len, char *name, size_t cap) {
  ksmc_slice refs;
  if (!ksmc_jscan_member2(json, len, "metadata", "ownerReferences", &refs)) return false;
  if (refs.n < 2 || refs.p[0] != '[') return false;
  size_t i = 1;
  for (;;) {
    while (i < refs.n && (refs.p[i] == ' ' || refs.p[i] == '\n' || refs.p[i] == '\t' ||
                          refs.p[i] == '\r' || refs.p[i] == ','))
      i++;
    if (i >= refs.n || refs.p[i] == ']') return false;
    size_t end = ksmc_jscan_skip(refs.p, refs.n, i);
    if (!end) return false;
    ksmc_slice el = {refs.p + i, end - i}, kind, api, nm;
    if (el.p[0] == '{' && member_str(el, "kind", &kind) && slice_eq(kind, "StatefulSet") &&
        member_str(el, "apiVersion", &api) && api.n > 5 && memcmp(api.p, "apps/", 5) == 0 &&
        member_str(el, "name", &nm)) {
      if (nm.n == 0 || nm.n >= cap) return false;
      memcpy(name, nm.p, nm.n);
      name[nm.n] = 0;
      return true;
    }
    i = end;
  }
}

bool ksmc_autoshard_replicas(const char *json, size_t len, int32_t *replicas) {
  size_t i = 0;
  while (i < len && (json[i] == ' ' || json[i] == '\n' || json[i] == '\t' || json[i] == '\r')) i++;
  if (i >= len || json[i] != '{' || !ksmc_jscan_skip(json, len, i)) return false;
  ksmc_slice v;
  if (!ksmc_jscan_member2(json, len, "spec", "replicas", &v) || slice_eq(v, "null")) {
    *replicas = 1; /* the API server defaults it; a missing field means 1 as in KSM */
    return true;
  }
  int64_t r;
  if (!ksmc_jscan_int(v, &r) || r < 0 || r > INT32_MAX) return false;
  *replicas = (int32_t)r;
  return true;
}

void ksmc_autoshard_state_init(ksmc_autoshard_state *st, int32_t ordinal) {
  st->ordinal = ordinal;
  st->replicas = -1;
  st->shard = -1;
  st->total = 0;
}

bool ksmc_autoshard_decide(ksmc_autoshard_state *st, int32_t replicas) {
  if (replicas < 0 || replicas == st->replicas) return false;
  st->replicas = replicas;
  st->total = replicas;
  st->shard = st->ordinal < replicas ? st->ordinal : -1;
  return true;
}

/* ---- the controller ---- */

struct ksmc_autoshard {
  ksmc_autoshard_opts o;
  char *pod, *ns;
  ksmc_kube_config cfg;
  CURL *easy;
  ksmc_request_lists lists;
  ksmc_backoff backoff;
  char sts[256];
  ksmc_autoshard_state st;
  bool resolved;  /* sts and ordinal known */
  ksmc_buf body;  /* GET answers */
  ksmc_buf rv;    /* the StatefulSet's last resourceVersion */
  ksmc_framer fr; /* watch events */
  bool watch_gone, watch_bad;
  long http;
  char curl_err[CURL_ERROR_SIZE];
  atomic_bool stop;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  pthread_t thread;
};

static int64_t mono_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void logf_(ksmc_autoshard *a, ksmc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void logf_(ksmc_autoshard *a, ksmc_log_level lvl, const char *fmt, ...) {
  if (!a->o.log || lvl > a->o.log_level) return;
  char line[768];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  a->o.log(a->o.log_user, lvl, line);
}

/* Waits ms or until stopped; returns false when stopped. */
static bool nap(ksmc_autoshard *a, int64_t ms) {
  struct timespec until;
  clock_gettime(CLOCK_REALTIME, &until);
  until.tv_sec += ms / 1000;
  until.tv_nsec += (ms % 1000) * 1000000;
  if (until.tv_nsec >= 1000000000) until.tv_sec++, until.tv_nsec -= 1000000000;
  pthread_mutex_lock(&a->mu);
  while (!atomic_load(&a->stop))
    if (pthread_cond_timedwait(&a->cv, &a->mu, &until) == ETIMEDOUT) break;
  pthread_mutex_unlock(&a->mu);
  return !atomic_load(&a->stop);
}

static bool back_off(ksmc_autoshard *a) {
  int64_t d = ksmc_backoff_next(&a->backoff, mono_ms(), 0);
  logf_(a, KSMC_LOG_INFO, "autosharding: retrying in %.1f s", (double)d / 1000);
  return nap(a, d);
}

static size_t on_get_body(char *p, size_t size, size_t nmemb, void *u) {
  ksmc_autoshard *a = u;
  size_t n = size * nmemb;
  if (a->body.n + n > MAX_GET_BYTES) return 0;
  ksmc_buf_put(&a->body, p, n);
  return n;
}

static int on_progress(void *u, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un) {
  (void)dt, (void)dn, (void)ut, (void)un;
  return atomic_load(&((ksmc_autoshard *)u)->stop) ? 1 : 0;
}

/* Runs GET path with `write` receiving the body. Returns the curl code; a->http is the
 * status. */
static CURLcode perform(ksmc_autoshard *a, const char *path, long timeout_s,
                        curl_write_callback write) {
  curl_easy_reset(a->easy);
  ksmc_request_lists_free(&a->lists);
  ksmc_request_limits lim = {150, timeout_s};
  a->http = 0;
  a->curl_err[0] = 0;
  ksmc_buf_reset(&a->body);
  CURLcode rc = ksmc_request_setup(a->easy, &a->cfg, path, mono_ms(), &lim, &a->lists);
  if (!rc) rc = curl_easy_setopt(a->easy, CURLOPT_WRITEFUNCTION, write);
  if (!rc) rc = curl_easy_setopt(a->easy, CURLOPT_WRITEDATA, a);
  if (!rc) rc = curl_easy_setopt(a->easy, CURLOPT_NOPROGRESS, 0L);
  if (!rc) rc = curl_easy_setopt(a->easy, CURLOPT_XFERINFOFUNCTION, on_progress);
  if (!rc) rc = curl_easy_setopt(a->easy, CURLOPT_XFERINFODATA, a);
  if (!rc) rc = curl_easy_setopt(a->easy, CURLOPT_ERRORBUFFER, a->curl_err);
  if (!rc) rc = curl_easy_perform(a->easy);
  curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &a->http);
  if (a->http == 401) ksmc_kube_config_token_invalidate(&a->cfg);
  return rc;
}

/* "HTTP 404: <message>" or the curl error. */
static void why(ksmc_autoshard *a, CURLcode rc, char *out, size_t outlen) {
  ksmc_slice mq, m;
  if (rc == CURLE_OK && a->http != 200) {
    bool has =
        ksmc_jscan_member(a->body.p, a->body.n, "message", &mq) && ksmc_jscan_unquote(mq, &m);
    snprintf(out, outlen, "HTTP %ld%s%.*s", a->http, has ? ": " : "", has ? (int)m.n : 0,
             has ? m.p : "");
  } else {
    snprintf(out, outlen, "%s", a->curl_err[0] ? a->curl_err : curl_easy_strerror(rc));
  }
}

/* GETs one object into a->body; false (logged) on failure. */
static bool get_object(ksmc_autoshard *a, const char *what, const char *path) {
  CURLcode rc = perform(a, path, 30, on_get_body);
  if (rc == CURLE_OK && a->http == 200 && !ksmc_buf_failed(&a->body)) return true;
  if (atomic_load(&a->stop)) return false;
  char w[400];
  why(a, rc, w, sizeof w);
  logf_(a, KSMC_LOG_ERROR, "autosharding: cannot get %s: %s", what, w);
  return false;
}

/* The pod -> its StatefulSet and ordinal. */
static bool resolve_pod(ksmc_autoshard *a) {
  char *path = ksmc_collection_path("", "v1", "pods", a->ns);
  ksmc_buf p = {0};
  ksmc_buf_put(&p, path, strlen(path));
  ksmc_buf_putc(&p, '/');
  ksmc_buf_put(&p, a->pod, strlen(a->pod));
  free(path);
  char what[300];
  snprintf(what, sizeof what, "pod %s/%s", a->ns, a->pod);
  bool ok = get_object(a, what, ksmc_buf_cstr(&p));
  ksmc_buf_free(&p);
  if (!ok) return false;
  if (!ksmc_autoshard_owner(a->body.p, a->body.n, a->sts, sizeof a->sts)) {
    logf_(a, KSMC_LOG_ERROR,
          "autosharding: pod %s/%s has no apps/v1 StatefulSet owner reference: --pod needs "
          "ksmc to run in a StatefulSet (use --shard/--total-shards otherwise)",
          a->ns, a->pod);
    return false;
  }
  int32_t ord;
  if (!ksmc_autoshard_ordinal(a->pod, a->sts, &ord)) {
    logf_(a, KSMC_LOG_ERROR, "autosharding: pod name %s is not <statefulset %s>-<ordinal>", a->pod,
          a->sts);
    return false;
  }
  ksmc_autoshard_state_init(&a->st, ord);
  a->resolved = true;
  logf_(a, KSMC_LOG_INFO, "autosharding: pod %s/%s is ordinal %d of StatefulSet %s", a->ns, a->pod,
        ord, a->sts);
  return true;
}

static void apply_replicas(ksmc_autoshard *a, int32_t replicas) {
  int32_t before = a->st.replicas;
  if (!ksmc_autoshard_decide(&a->st, replicas)) return;
  if (before < 0)
    logf_(a, KSMC_LOG_INFO, "autosharding: StatefulSet %s has %d replicas: shard %d of %d", a->sts,
          replicas, a->st.shard, a->st.total);
  else
    logf_(a, KSMC_LOG_INFO,
          "autosharding: StatefulSet %s replicas %d -> %d: re-sharding to %d of %d", a->sts, before,
          replicas, a->st.shard, a->st.total);
  if (a->st.shard < 0)
    logf_(a, KSMC_LOG_WARN,
          "autosharding: ordinal %d >= replicas %d (being scaled down): exporting nothing",
          a->st.ordinal, replicas);
  a->o.on_change(a->o.user, &a->st);
}

/* Reads replicas and resourceVersion from a StatefulSet object. */
static bool take_sts(ksmc_autoshard *a, const char *json, size_t len) {
  int32_t r;
  if (!ksmc_autoshard_replicas(json, len, &r)) {
    logf_(a, KSMC_LOG_ERROR, "autosharding: StatefulSet %s: spec.replicas is not a count", a->sts);
    return false;
  }
  ksmc_slice rvq, rv;
  if (ksmc_jscan_member2(json, len, "metadata", "resourceVersion", &rvq) &&
      ksmc_jscan_unquote(rvq, &rv)) {
    ksmc_buf_reset(&a->rv);
    ksmc_buf_put(&a->rv, rv.p, rv.n);
  }
  apply_replicas(a, r);
  return true;
}

static char *sts_path(ksmc_autoshard *a) {
  return ksmc_collection_path("apps", "v1", "statefulsets", a->ns);
}

static bool get_sts(ksmc_autoshard *a) {
  char *base = sts_path(a);
  ksmc_buf p = {0};
  ksmc_buf_put(&p, base, strlen(base));
  ksmc_buf_putc(&p, '/');
  ksmc_buf_put(&p, a->sts, strlen(a->sts));
  free(base);
  char what[300];
  snprintf(what, sizeof what, "StatefulSet %s/%s", a->ns, a->sts);
  bool ok = get_object(a, what, ksmc_buf_cstr(&p)) && take_sts(a, a->body.p, a->body.n);
  ksmc_buf_free(&p);
  return ok;
}

static bool on_event(void *u, ksmc_slice type, ksmc_slice obj) {
  ksmc_autoshard *a = u;
  if (slice_eq(type, "ADDED") || slice_eq(type, "MODIFIED")) {
    if (!take_sts(a, obj.p, obj.n)) a->watch_bad = true;
    return !a->watch_bad;
  }
  if (slice_eq(type, "BOOKMARK")) {
    ksmc_slice rvq, rv;
    if (ksmc_jscan_member2(obj.p, obj.n, "metadata", "resourceVersion", &rvq) &&
        ksmc_jscan_unquote(rvq, &rv)) {
      ksmc_buf_reset(&a->rv);
      ksmc_buf_put(&a->rv, rv.p, rv.n);
    }
    return true;
  }
  if (slice_eq(type, "DELETED")) {
    logf_(a, KSMC_LOG_WARN, "autosharding: StatefulSet %s was deleted; keeping shard %d of %d",
          a->sts, a->st.shard, a->st.total);
    return true;
  }
  ksmc_slice code;
  int64_t c = 0;
  if (ksmc_jscan_member(obj.p, obj.n, "code", &code)) ksmc_jscan_int(code, &c);
  if (c == 410)
    a->watch_gone = true;
  else
    a->watch_bad = true;
  return false;
}

static bool on_watch_error(void *u, int err, const char *msg) {
  (void)err;
  ksmc_autoshard *a = u;
  logf_(a, KSMC_LOG_WARN, "autosharding: bad watch event: %s", msg);
  a->watch_bad = true;
  return false;
}

static size_t on_watch_body(char *p, size_t size, size_t nmemb, void *u) {
  ksmc_autoshard *a = u;
  size_t n = size * nmemb;
  long code = 0;
  curl_easy_getinfo(a->easy, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) return on_get_body(p, size, nmemb, u);
  ksmc_framer_cb cb = {a, on_event, on_watch_error, NULL};
  return ksmc_framer_feed(&a->fr, p, n, &cb) ? n : 0;
}

/* One watch of the StatefulSet from a->rv. Returns true to re-watch at once, false to
 * GET the StatefulSet again (after a backoff unless it expired). */
static bool watch_sts(ksmc_autoshard *a, bool *gone) {
  char *base = sts_path(a);
  ksmc_buf u = {0}, sel = {0};
  ksmc_buf_put(&u, base, strlen(base));
  free(base);
  ksmc_buf_put(&sel, "metadata.name=", 14);
  ksmc_buf_put(&sel, a->sts, strlen(a->sts));
  char ts[16];
  snprintf(ts, sizeof ts, "%d", WATCH_TIMEOUT_S);
  ksmc_url_param(&u, "watch", "true");
  ksmc_url_param(&u, "allowWatchBookmarks", "true");
  ksmc_url_param(&u, "fieldSelector", ksmc_buf_cstr(&sel));
  ksmc_url_param(&u, "resourceVersion", ksmc_buf_cstr(&a->rv));
  ksmc_url_param(&u, "timeoutSeconds", ts);
  ksmc_framer_reset(&a->fr);
  a->watch_gone = a->watch_bad = false;
  int64_t t0 = mono_ms();
  CURLcode rc = perform(a, ksmc_buf_cstr(&u), WATCH_TIMEOUT_S + 30, on_watch_body);
  ksmc_buf_free(&u);
  ksmc_buf_free(&sel);
  *gone = a->watch_gone;
  if (atomic_load(&a->stop) || a->watch_gone) return false;
  if (rc == CURLE_OK && a->http == 200 && !a->watch_bad && mono_ms() - t0 >= 1000) {
    ksmc_backoff_reset(&a->backoff);
    return true;
  }
  char w[400];
  why(a, rc, w, sizeof w);
  logf_(a, KSMC_LOG_WARN, "autosharding: watch of StatefulSet %s ended: %s", a->sts,
        a->watch_bad ? "bad event" : w);
  return false;
}

static void *run(void *arg) {
  ksmc_autoshard *a = arg;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  while (!atomic_load(&a->stop)) {
    if (!a->resolved && !resolve_pod(a)) {
      if (!back_off(a)) break;
      continue;
    }
    if (!get_sts(a)) {
      if (!back_off(a)) break;
      continue;
    }
    ksmc_backoff_reset(&a->backoff);
    bool gone = false;
    while (!atomic_load(&a->stop) && watch_sts(a, &gone)) continue;
    if (!gone && !atomic_load(&a->stop) && !back_off(a)) break;
  }
  return NULL;
}

ksmc_autoshard *ksmc_autoshard_start(const ksmc_autoshard_opts *o, char *err, size_t errlen) {
  if (!o->pod || !*o->pod || !o->pod_namespace || !*o->pod_namespace || !o->on_change) {
    snprintf(err, errlen, "autosharding: --pod and --pod-namespace are required");
    return NULL;
  }
  ksmc_autoshard *a = calloc(1, sizeof *a);
  if (!a) {
    snprintf(err, errlen, "autosharding: out of memory");
    return NULL;
  }
  a->o = *o;
  a->pod = strdup(o->pod);
  a->ns = strdup(o->pod_namespace);
  atomic_init(&a->stop, false);
  pthread_mutex_init(&a->mu, NULL);
  pthread_cond_init(&a->cv, NULL);
  ksmc_framer_init(&a->fr, 4u << 20);
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  ksmc_backoff_init(&a->backoff, (uint64_t)ts.tv_nsec ^ (uint64_t)getpid());
  if (o->backoff_init_ms) a->backoff.init_ms = a->backoff.step_ms = o->backoff_init_ms;
  if (o->backoff_max_ms) a->backoff.max_ms = o->backoff_max_ms;
  char cerr[400] = "";
  if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
    snprintf(err, errlen, "autosharding: curl_global_init failed");
    free(a->pod), free(a->ns), free(a);
    return NULL;
  }
  if (!a->pod || !a->ns || ksmc_kube_config_load(&o->config, &a->cfg, cerr, sizeof cerr) != 0 ||
      !(a->easy = curl_easy_init()) || pthread_create(&a->thread, NULL, run, a) != 0) {
    snprintf(err, errlen, "autosharding: %s", cerr[0] ? cerr : "out of memory");
    ksmc_kube_config_free(&a->cfg);
    if (a->easy) curl_easy_cleanup(a->easy);
    ksmc_framer_free(&a->fr);
    pthread_cond_destroy(&a->cv);
    pthread_mutex_destroy(&a->mu);
    free(a->pod), free(a->ns), free(a);
    curl_global_cleanup();
    return NULL;
  }
  return a;
}

void ksmc_autoshard_stop(ksmc_autoshard *a) {
  if (!a) return;
  pthread_mutex_lock(&a->mu);
  atomic_store(&a->stop, true);
  pthread_cond_broadcast(&a->cv);
  pthread_mutex_unlock(&a->mu);
  pthread_join(a->thread, NULL);
  curl_easy_cleanup(a->easy);
  ksmc_request_lists_free(&a->lists);
  ksmc_kube_config_free(&a->cfg);
  ksmc_framer_free(&a->fr);
  ksmc_buf_free(&a->body);
  ksmc_buf_free(&a->rv);
  pthread_cond_destroy(&a->cv);
  pthread_mutex_destroy(&a->mu);
  free(a->pod);
  free(a->ns);
  free(a);
  curl_global_cleanup();
}
