/* ksmc_run: the exporter -- KSM's flags in, list+watch (runtime/kube) -> generated
 * serializers -> pre-rendered stores (runtime/serve) -> /metrics.
 *
 * Threads: one ingest thread runs every list/watch and renders watch events; the relay's
 * thread renders list items while the ingest thread reads on (ksmc_relay.h: never both at
 * once, always in order); the HTTP server's pool threads serve scrapes from store
 * snapshots; the main thread waits for SIGINT/SIGTERM and refreshes the self-metrics once
 * a second. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ksmc_autoshard.h"
#include "ksmc_flags.h"
#include "ksmc_heap.h"
#include "ksmc_http.h"
#include "ksmc_reflector.h"
#include "ksmc_relay.h"
#include "ksmc_render.h"
#include "ksmc_request.h"
#include "ksmc_store.h"

#ifndef KSMC_VERSION
#define KSMC_VERSION "dev"
#endif

/* One list/watch stream: a kind in one namespace (or all), its renderer and store. */
typedef struct {
  const ksmc_enabled_kind *kind;
  char *name; /* "pods" or "pods/kube-system" */
  char *path;
  char *field_selector;
  ksmc_store *store;
  ksmc_render_ctx rc;
  uint64_t render_errors;
  uint64_t render_warnings;
} stream;

/* Everything the running exporter owns. */
typedef struct {
  ksmc_config cfg;
  ksmc_enabled_kind *kinds;
  size_t nkinds;
  stream *streams;
  size_t nstreams;
  ksmc_kube_config kube;
  ksmc_ingest *ingest;
  ksmc_relay *relay;         /* the ingest's sink: list items are rendered on its thread */
  atomic_bool ready;         /* /readyz answered 200 since every stream last became synced */
  ksmc_heap heap;            /* advised by whichever thread stores objects (one at a time) */
  ksmc_autoshard *autoshard; /* --pod: sets the ingest's shard */
  ksmc_expo *expo;
  ksmc_selfmetrics self;
  bool self_ok;
  ksmc_http *http;
  ksmc_websec *websec; /* --tls-config / --web-bearer-token-file; NULL: neither */
  pthread_t ingest_thread;
  bool ingest_started;
  pthread_mutex_t log_lock;
  /* A watch event's object rendered ahead (sink_prerender) into the render context of
   * stream pre_stream (SIZE_MAX: none), from json pre_json[0..pre_len). */
  size_t pre_stream;
  const char *pre_json;
  size_t pre_len;
} app;

static void logf_(app *a, ksmc_log_level lvl, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void log_line(app *a, ksmc_log_level lvl, const char *line) {
  static const char *const names[] = {"error", "warn", "info", "debug"};
  if (lvl > a->cfg.log_level) return;
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  struct tm tm;
  gmtime_r(&ts.tv_sec, &tm);
  char when[32];
  strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  pthread_mutex_lock(&a->log_lock);
  fprintf(stderr, "%s.%03ldZ %-5s %s\n", when, ts.tv_nsec / 1000000, names[lvl], line);
  pthread_mutex_unlock(&a->log_lock);
}

static void logf_(app *a, ksmc_log_level lvl, const char *fmt, ...) {
  if (lvl > a->cfg.log_level) return;
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  log_line(a, lvl, line);
}

static void ingest_log(void *user, ksmc_log_level level, const char *line) {
  log_line(user, level, line);
}

/* ---- the sink: objects from the API server into the stores ------------------------------- */

static void sink_list_begin(void *user, size_t s) {
  app *a = user;
  a->pre_stream = SIZE_MAX;
  if (ksmc_store_relist_begin(a->streams[s].store) != 0)
    logf_(a, KSMC_LOG_ERROR, "%s: out of memory starting a relist", a->streams[s].name);
}

/* The render step: renders one object into the stream's render context; false (logged,
 * counted) if the object cannot be rendered. */
static bool render(app *a, stream *st, const char *json, size_t len) {
  int rc = ksmc_render_object(&st->rc, json, len);
  if (rc != KSMC_OK) {
    st->render_errors++;
    logf_(a, KSMC_LOG_WARN, "%s: object skipped: %s: %s", st->name, ksmc_strerror(rc), st->rc.err);
    return false;
  }
  if (st->rc.uid.n == 0) {
    st->render_errors++;
    logf_(a, KSMC_LOG_WARN, "%s: object %s/%s skipped: no metadata.uid", st->name,
          ksmc_buf_cstr(&st->rc.ns), ksmc_buf_cstr(&st->rc.name));
    return false;
  }
  return true;
}

/* The store step: applies the object rendered in the stream's render context. */
static void store(app *a, stream *st, ksmc_event_type t, bool in_list) {
  if (st->rc.warnings) {
    st->render_warnings += st->rc.warnings;
    logf_(a, KSMC_LOG_DEBUG, "%s: object %s/%s: %s", st->name, ksmc_buf_cstr(&st->rc.ns),
          ksmc_buf_cstr(&st->rc.name), st->rc.warn);
  }
  int rc = 0;
  if (t == KSMC_EV_DELETED)
    ksmc_store_delete(st->store, st->rc.uid.p, st->rc.uid.n);
  else if (in_list)
    rc = ksmc_store_relist_add(st->store, st->rc.uid.p, st->rc.uid.n, st->rc.out.p, st->rc.out.n,
                               st->rc.fam_end);
  else
    rc = ksmc_store_upsert(st->store, st->rc.uid.p, st->rc.uid.n, st->rc.out.p, st->rc.out.n,
                           st->rc.fam_end);
  if (rc != 0) logf_(a, KSMC_LOG_ERROR, "%s: out of memory storing an object", st->name);
  ksmc_heap_advise(&a->heap);
}

/* The reflector's metadata.uid is what the renderer would decode when it has no escape (a
 * UID never has one): a deleted object is then removed without rendering it. */
static bool plain_uid(ksmc_slice uid) { return uid.n && !memchr(uid.p, '\\', uid.n); }

static void sink_object(void *user, size_t s, ksmc_event_type t, bool in_list, const char *json,
                        size_t len, ksmc_slice uid) {
  app *a = user;
  stream *st = &a->streams[s];
  a->pre_stream = SIZE_MAX;
  if (t == KSMC_EV_DELETED && plain_uid(uid)) { /* its lines are not needed */
    ksmc_store_delete(st->store, uid.p, uid.n);
    return;
  }
  if (render(a, st, json, len)) store(a, st, t, in_list);
}

/* The render step of a watch event ahead of its framing (ksmc_sink.prerender): a failure
 * is neither logged nor counted here, the event then comes through sink_object. */
static size_t sink_prerender(void *user, size_t s, const char *json, size_t avail,
                             const ksmc_skip_span **spans, size_t *nspans) {
  app *a = user;
  stream *st = &a->streams[s];
  size_t end;
  a->pre_stream = SIZE_MAX;
  if (ksmc_render_object_prefix(&st->rc, json, avail, &end) != KSMC_OK || st->rc.uid.n == 0)
    return 0;
  a->pre_stream = s;
  a->pre_json = json;
  a->pre_len = end;
  *spans = st->rc.spans;
  *nspans = st->rc.nspans;
  return end;
}

/* The store step of that event once the framer confirmed it (anything else: rendered the
 * usual way). */
static void sink_object_prerendered(void *user, size_t s, ksmc_event_type t, const char *json,
                                    size_t len, ksmc_slice uid) {
  app *a = user;
  if (a->pre_stream != s || a->pre_json != json || a->pre_len != len) {
    sink_object(user, s, t, false, json, len, uid);
    return;
  }
  a->pre_stream = SIZE_MAX;
  store(a, &a->streams[s], t, false);
}

static void sink_list_end(void *user, size_t s, bool complete) {
  app *a = user;
  a->pre_stream = SIZE_MAX;
  if (complete)
    ksmc_store_relist_commit(a->streams[s].store);
  else
    ksmc_store_relist_abort(a->streams[s].store);
}

/* ---- setup --------------------------------------------------------------------------- */

static char *xstrdup(const char *s) {
  char *d = s ? strdup(s) : NULL;
  if (s && !d) abort();
  return d;
}

/* Joins "spec.nodeName=x" (--node; "spec.nodeName=" for --track-unscheduled-pods) and the
 * namespace denylist selector (either may be NULL). */
static char *field_selector(const app *a, const ksmc_kind_desc *k) {
  char *deny = NULL, *node = NULL;
  if (k->namespaced && a->cfg.namespaces_denylist.n)
    deny = ksmc_denylist_selector((const char *const *)a->cfg.namespaces_denylist.v,
                                  a->cfg.namespaces_denylist.n);
  if ((a->cfg.node || a->cfg.track_unscheduled_pods) && !strcmp(k->resource, "pods")) {
    const char *name = a->cfg.node ? a->cfg.node : ""; /* "": pods bound to no node */
    size_t n = strlen(name) + 16;
    node = malloc(n);
    if (!node) abort();
    snprintf(node, n, "spec.nodeName=%s", name);
  }
  if (!deny) return node;
  if (!node) return deny;
  size_t n = strlen(deny) + strlen(node) + 2;
  char *both = malloc(n);
  if (!both) abort();
  snprintf(both, n, "%s,%s", node, deny);
  free(deny);
  free(node);
  return both;
}

static bool add_stream(app *a, const ksmc_enabled_kind *k, const char *ns) {
  stream *st = &a->streams[a->nstreams++];
  memset(st, 0, sizeof *st);
  st->kind = k;
  char name[512];
  snprintf(name, sizeof name, "%s%s%s", k->kind->resource, ns ? "/" : "", ns ? ns : "");
  st->name = xstrdup(name);
  st->path = ksmc_collection_path(k->kind->group, k->kind->version, k->kind->resource, ns);
  st->field_selector = field_selector(a, k->kind);
  st->store = ksmc_store_new(k->kind, ns ? ns : "");
  ksmc_render_opts ro = {
      .kind = k->kind,
      .family_enabled = k->family_enabled,
      .labels_allow = ksmc_allowlist_for(&a->cfg.labels_allow, k->kind->resource),
      .annotations_allow = ksmc_allowlist_for(&a->cfg.annotations_allow, k->kind->resource),
      .max_object_bytes = 64u << 20,
  };
  return st->path && st->store && ksmc_render_ctx_init(&st->rc, &ro) == KSMC_OK;
}

static bool build_streams(app *a) {
  size_t max = 0;
  for (size_t i = 0; i < a->nkinds; i++)
    max += a->kinds[i].kind->namespaced && a->cfg.namespaces.n ? a->cfg.namespaces.n : 1;
  a->streams = calloc(max ? max : 1, sizeof *a->streams);
  if (!a->streams) return false;
  for (size_t i = 0; i < a->nkinds; i++) {
    const ksmc_enabled_kind *k = &a->kinds[i];
    if (!k->kind->namespaced || a->cfg.namespaces.n == 0) {
      if (!add_stream(a, k, NULL)) return false;
      continue;
    }
    for (size_t j = 0; j < a->cfg.namespaces.n; j++)
      if (!add_stream(a, k, a->cfg.namespaces.v[j])) return false;
  }
  return true;
}

static bool build_expo(app *a) {
  ksmc_expo_resource *res = calloc(a->nkinds ? a->nkinds : 1, sizeof *res);
  ksmc_store **stores = calloc(a->nstreams ? a->nstreams : 1, sizeof *stores);
  if (!res || !stores) return false;
  size_t at = 0;
  for (size_t i = 0; i < a->nkinds; i++) {
    res[i].kind = a->kinds[i].kind;
    res[i].family_enabled = a->kinds[i].family_enabled;
    res[i].stores = stores + at;
    for (size_t s = 0; s < a->nstreams; s++)
      if (a->streams[s].kind == &a->kinds[i]) stores[at++] = a->streams[s].store;
    res[i].nstores = (size_t)(stores + at - res[i].stores);
  }
  a->expo = ksmc_expo_new(res, a->nkinds);
  free(res);
  free(stores); /* ksmc_expo_new copies the arrays */
  return a->expo != NULL;
}

/* A custom resource (specs/custom/): its CRD may not be installed, so its stream is
 * optional (a 404 is "not served", docs/custom-resources.md). Built-in kinds are always
 * served by a conformant API server. */
static bool is_custom(const ksmc_kind_desc *k) {
  return k->spec_file && strncmp(k->spec_file, "specs/custom/", 13) == 0;
}

static bool start_ingest(app *a, char *err, size_t errlen) {
  ksmc_stream_spec *specs = calloc(a->nstreams, sizeof *specs);
  if (!specs) return false;
  for (size_t i = 0; i < a->nstreams; i++)
    specs[i] =
        (ksmc_stream_spec){a->streams[i].name, a->streams[i].path, a->streams[i].field_selector,
                           NULL, is_custom(a->streams[i].kind->kind)};
  ksmc_sink inner = {
      a, sink_list_begin, sink_object, sink_list_end, sink_prerender, sink_object_prerendered};
  a->pre_stream = SIZE_MAX;
  a->relay = ksmc_relay_new(&inner);
  if (!a->relay) {
    free(specs);
    snprintf(err, errlen, "cannot start the render thread");
    return false;
  }
  ksmc_ingest_opts o = {
      .config = &a->kube,
      .streams = specs,
      .nstreams = a->nstreams,
      .sink = ksmc_relay_sink(a->relay),
      .shard = a->cfg.shard,
      .total_shards = a->cfg.total_shards,
      .await_shard = a->cfg.pod != NULL,
      .use_apiserver_cache = a->cfg.use_apiserver_cache,
      .nice_after_sync = a->cfg.ingest_nice,
      .log = ingest_log,
      .log_user = a,
      .log_level = a->cfg.log_level,
  };
  /* Test knob for the fault soak (tests/e2e/fault_soak.sh): caps the reconnect backoff so
   * a run with dozens of faults per minute converges in seconds. Unset: client-go's 30 s. */
  const char *bmax = getenv("KSMC_BACKOFF_MAX_MS");
  if (bmax && *bmax) o.backoff_max_ms = strtol(bmax, NULL, 10);
  /* Test knob for tests/e2e/custom_resources.sh: how often an absent CRD is looked for. */
  const char *recheck = getenv("KSMC_ABSENT_RECHECK_MS");
  if (recheck && *recheck) o.absent_recheck_ms = strtol(recheck, NULL, 10);
  a->ingest = ksmc_ingest_new(&o, err, errlen);
  free(specs);
  return a->ingest != NULL;
}

static void *ingest_main(void *arg) {
  app *a = arg;
  pthread_setname_np(pthread_self(), "ksmc-ingest"); /* for top -H, perf, /proc/PID/task */
  if (ksmc_ingest_run(a->ingest) != 0) logf_(a, KSMC_LOG_ERROR, "ingest stopped on a fatal error");
  return NULL;
}

static void set_series(ksmc_tm_family *f, const char *const *labels, double v);

/* Autosharding: the StatefulSet's replicas (and so this pod's shard) changed. */
static void on_shard(void *user, const ksmc_autoshard_state *st) {
  app *a = user;
  ksmc_ingest_set_shard(a->ingest, st->shard, st->total);
  if (!a->self_ok) return;
  char ord[16];
  snprintf(ord, sizeof ord, "%d", (int)st->ordinal);
  set_series(a->self.shard_ordinal, (const char *[]){ord}, st->ordinal);
  set_series(a->self.total_shards, NULL, st->total);
}

static bool start_autoshard(app *a, char *err, size_t errlen) {
  if (!a->cfg.pod) return true;
  ksmc_autoshard_opts o = {
      .config = {a->cfg.kubeconfig, a->cfg.context, a->cfg.apiserver, NULL, NULL, NULL},
      .pod = a->cfg.pod,
      .pod_namespace = a->cfg.pod_namespace,
      .on_change = on_shard,
      .user = a,
      .log = ingest_log,
      .log_user = a,
      .log_level = a->cfg.log_level,
  };
  a->autoshard = ksmc_autoshard_start(&o, err, errlen);
  return a->autoshard != NULL;
}

/* Ready once every stream has listed and the relay has stored what it listed; stays
 * ready while later relists queue items (like the synced flags), until a re-shard. */
static bool probe_ready(void *arg) {
  app *a = arg;
  if (!ksmc_ingest_all_synced(a->ingest)) {
    atomic_store(&a->ready, false);
    return false;
  }
  if (atomic_load(&a->ready)) return true;
  if (!ksmc_relay_caught_up(a->relay)) return false;
  atomic_store(&a->ready, true);
  return true;
}

/* Both listeners may hold max + max/8 + 8 connections each (the 503 band included): warn
 * when that does not fit the open-files limit, which would make accept fail first. */
static void check_fd_limit(app *a) {
  struct rlimit rl;
  if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY) return;
  unsigned long max = (unsigned long)a->cfg.max_connections;
  unsigned long need = 2 * (max + max / 8 + 8) + 64;
  if ((unsigned long)rl.rlim_cur < need)
    logf_(a, KSMC_LOG_WARN,
          "--server-max-connections=%lu: both listeners may need %lu file descriptors, but the "
          "open-files limit is %lu (raise ulimit -n or lower the flag)",
          max, need, (unsigned long)rl.rlim_cur);
}

static bool start_http(app *a, char *err, size_t errlen) {
  check_fd_limit(a);
  ksmc_http_config hc = {
      .host = a->cfg.host,
      .port = a->cfg.port,
      .telemetry_host = a->cfg.telemetry_host,
      .telemetry_port = a->cfg.telemetry_port,
      .expo = a->expo,
      .self = a->self_ok ? &a->self : NULL,
      .enable_gzip = a->cfg.enable_gzip,
      .readyz = probe_ready,
      .readyz_arg = a,
      .timeout_seconds = (unsigned)a->cfg.server_timeout_sec,
      .header_timeout_seconds = (unsigned)a->cfg.header_timeout_sec,
      .max_connections = (unsigned)a->cfg.max_connections,
      .max_connections_per_ip = (unsigned)a->cfg.max_connections_per_ip,
      .sec = a->websec,
  };
  a->http = ksmc_http_start(&hc, err, errlen);
  return a->http != NULL;
}

/* ---- self-metrics ------------------------------------------------------------------------ */

static void set_series(ksmc_tm_family *f, const char *const *labels, double v) {
  ksmc_tm_series *s = f ? ksmc_tm_series_get(f, labels) : NULL;
  if (s) ksmc_tm_set(s, v);
}

/* Sum of one resource's stream counters (KSM labels self-metrics by resource, not by
 * namespace stream). */
typedef struct {
  double list_ok, list_err, watch_ok, watch_err, relists, objects, bytes, absent;
  double events[5]; /* ADDED, MODIFIED, DELETED, BOOKMARK, ERROR */
} resource_totals;

static void add_stream_totals(app *a, size_t i, resource_totals *t) {
  ksmc_stream_stats s;
  ksmc_ingest_stats(a->ingest, i, &s);
  t->list_ok += (double)(s.lists >= s.list_errors ? s.lists - s.list_errors : 0);
  t->list_err += (double)s.list_errors;
  t->watch_ok += (double)(s.watches >= s.watch_errors ? s.watches - s.watch_errors : 0);
  t->watch_err += (double)s.watch_errors;
  t->relists += (double)s.relists;
  t->absent += s.absent;
  t->events[0] += (double)s.events_added;
  t->events[1] += (double)s.events_modified;
  t->events[2] += (double)s.events_deleted;
  t->events[3] += (double)s.events_bookmark;
  t->events[4] += (double)s.events_error;
  t->objects += (double)ksmc_store_count(a->streams[i].store);
  t->bytes += (double)ksmc_store_bytes(a->streams[i].store);
}

/* Copies the ingest counters and store sizes into the self-metrics, per resource. */
static void refresh_selfmetrics(app *a) {
  static const char *const types[] = {"ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"};
  if (!a->self_ok) return;
  for (size_t k = 0; k < a->nkinds; k++) {
    resource_totals t = {0};
    for (size_t i = 0; i < a->nstreams; i++)
      if (a->streams[i].kind == &a->kinds[k]) add_stream_totals(a, i, &t);
    const char *r = a->kinds[k].kind->resource;
    set_series(a->self.list_total, (const char *[]){r, "success"}, t.list_ok);
    set_series(a->self.list_total, (const char *[]){r, "error"}, t.list_err);
    set_series(a->self.watch_total, (const char *[]){r, "success"}, t.watch_ok);
    set_series(a->self.watch_total, (const char *[]){r, "error"}, t.watch_err);
    for (int e = 0; e < 5; e++)
      set_series(a->self.events_total, (const char *[]){r, types[e]}, t.events[e]);
    set_series(a->self.relists_total, (const char *[]){r}, t.relists);
    set_series(a->self.objects, (const char *[]){r}, t.objects);
    set_series(a->self.store_bytes, (const char *[]){r}, t.bytes);
    if (is_custom(a->kinds[k].kind)) /* only those can be absent */
      set_series(a->self.absent, (const char *[]){r}, t.absent > 0);
  }
}

/* ---- lifecycle ---------------------------------------------------------------------------- */

static void shutdown_app(app *a) {
  ksmc_autoshard_stop(a->autoshard); /* first: it calls into the ingest */
  if (a->ingest_started) {
    ksmc_ingest_stop(a->ingest);
    pthread_join(a->ingest_thread, NULL);
  }
  ksmc_relay_free(a->relay); /* applies what is queued: before the stores go */
  ksmc_http_stop(a->http);
  ksmc_websec_free(a->websec);
  ksmc_ingest_free(a->ingest);
  ksmc_expo_free(a->expo);
  for (size_t i = 0; i < a->nstreams; i++) {
    stream *st = &a->streams[i];
    ksmc_render_ctx_free(&st->rc);
    ksmc_store_free(st->store);
    free(st->name);
    free(st->path);
    free(st->field_selector);
  }
  free(a->streams);
  if (a->self_ok) ksmc_selfmetrics_free(&a->self);
  ksmc_kube_config_free(&a->kube);
  ksmc_enabled_kinds_free(a->kinds, a->nkinds);
  ksmc_config_free(&a->cfg);
  pthread_mutex_destroy(&a->log_lock);
}

static int wait_for_signal(app *a, sigset_t *set) {
  for (;;) {
    struct timespec one = {1, 0};
    int sig = sigtimedwait(set, NULL, &one);
    if (sig == SIGINT || sig == SIGTERM) return sig;
    if (sig < 0 && errno != EAGAIN && errno != EINTR) return -1;
    refresh_selfmetrics(a);
  }
}

static int setup(app *a, char *err, size_t errlen) {
  ksmc_kube_config_opts ko = {
      a->cfg.kubeconfig, a->cfg.context, a->cfg.apiserver, NULL, NULL, NULL};
  if (ksmc_kube_config_load(&ko, &a->kube, err, errlen) != 0) return 1;
  logf_(a, KSMC_LOG_INFO, "ksmc %s: API server %s (%s)", KSMC_VERSION, a->kube.server,
        a->kube.source);
  if (a->kube.warning) logf_(a, KSMC_LOG_WARN, "%s", a->kube.warning);
  a->self_ok = ksmc_selfmetrics_init(&a->self, KSMC_VERSION, "", a->cfg.pod ? -1 : a->cfg.shard,
                                     a->cfg.total_shards);
  if (!build_streams(a) || !build_expo(a)) {
    snprintf(err, errlen, "out of memory");
    return 1;
  }
  if (!start_ingest(a, err, errlen)) return 1;
  /* the first LIST requests go out now: the HTTP listeners' threads start while the API
   * server prepares the first pages (probe_ready only reads the ingest and the relay) */
  a->ingest_started = pthread_create(&a->ingest_thread, NULL, ingest_main, a) == 0;
  if (!a->ingest_started) {
    snprintf(err, errlen, "cannot start the ingest thread");
    return 1;
  }
  if (!start_http(a, err, errlen)) return 1;
  if (!start_autoshard(a, err, errlen)) return 1;
  return 0;
}

int ksmc_run_main(int argc, char **argv) {
  app a;
  memset(&a, 0, sizeof a);
  pthread_mutex_init(&a.log_lock, NULL);
  int rc = ksmc_flags_parse(&a.cfg, argc, argv, stdout, stderr);
  if (rc == KSMC_FLAGS_RUN)
    rc = ksmc_config_resolve(&a.cfg, ksmc_kinds, ksmc_nkinds, &a.kinds, &a.nkinds, stderr);
  if (rc == KSMC_FLAGS_RUN && (a.cfg.tls_config || a.cfg.web_token_file)) {
    /* A bad web config is a usage error, like in KSM: refuse to start. */
    char err[768] = "";
    ksmc_websec_opts wo = {.config_file = a.cfg.tls_config,
                           .bearer_token_file = a.cfg.web_token_file,
                           .log = ingest_log,
                           .log_arg = &a};
    if (!(a.websec = ksmc_websec_new(&wo, err, sizeof err))) {
      fprintf(stderr, "ksmc: --%s: %s\n", a.cfg.tls_config ? "tls-config" : "web-bearer-token-file",
              err);
      rc = KSMC_EXIT_USAGE;
    }
  }
  if (rc != KSMC_FLAGS_RUN) {
    shutdown_app(&a);
    return rc;
  }
  ksmc_heap_init(&a.heap); /* before any thread starts */
  /* Signals are taken synchronously by the main thread; every other thread blocks them. */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  char err[512] = "";
  if (setup(&a, err, sizeof err) != 0) {
    logf_(&a, KSMC_LOG_ERROR, "%s", err);
    shutdown_app(&a);
    return 1;
  }
  logf_(&a, KSMC_LOG_INFO,
        "serving /metrics on port %u, telemetry and /readyz on port %u; %zu stream%s%s%s",
        ksmc_http_port(a.http), ksmc_http_telemetry_port(a.http), a.nstreams,
        a.nstreams == 1 ? "" : "s", a.websec && ksmc_websec_tls(a.websec) ? "; HTTPS" : "",
        a.websec ? "; authentication as configured" : "");
  int sig = wait_for_signal(&a, &set);
  logf_(&a, KSMC_LOG_INFO, "%s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
  shutdown_app(&a);
  return 0;
}
