/* ksmc-watch-debug: runs the reflector against an API server and prints what the sink
 * receives, then (with --duration) the final object set of every stream, one line per
 * object: "<stream> <namespace>/<name> <uid> <resourceVersion>", sorted. A debugging and
 * end-to-end testing aid; not installed.
 *
 *   ksmc-watch-debug --apiserver http://127.0.0.1:8001 --resource /api/v1/pods \
 *       [--kubeconfig F [--context C]] [--field-selector S] [--shard N --total-shards M]
 *       [--use-apiserver-cache] [--duration SECONDS] [--events] [--log-level debug] */
#include <getopt.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ksmc_jscan.h"
#include "ksmc_reflector.h"

#define MAX_STREAMS 64

/* One stream's object set: parallel arrays, linear search is fine for a debug tool up to
 * ~10^4 objects; a hash keyed by uid keeps it usable beyond. */
typedef struct {
  char **key; /* uid */
  char **val; /* "ns/name rv" */
  size_t n, cap;
} objset;

typedef struct {
  objset live[MAX_STREAMS], staging[MAX_STREAMS];
  const char *names[MAX_STREAMS];
  bool events;
} debug_sink;

static volatile sig_atomic_t interrupted;
static void on_signal(int sig) { (void)sig, interrupted = 1; }

static uint64_t hash(const char *s) {
  uint64_t h = 1469598103934665603ULL;
  while (*s) h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
  return h;
}

static void set_grow(objset *m) {
  objset g = {calloc(m->cap ? m->cap * 2 : 64, sizeof(char *)),
              calloc(m->cap ? m->cap * 2 : 64, sizeof(char *)), 0, m->cap ? m->cap * 2 : 64};
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->key[i]) continue;
    size_t j = hash(m->key[i]) & (g.cap - 1);
    while (g.key[j]) j = (j + 1) & (g.cap - 1);
    g.key[j] = m->key[i], g.val[j] = m->val[i], g.n++;
  }
  free(m->key), free(m->val);
  *m = g;
}

static size_t set_slot(objset *m, const char *k) {
  size_t j = hash(k) & (m->cap - 1);
  while (m->key[j] && strcmp(m->key[j], k) != 0) j = (j + 1) & (m->cap - 1);
  return j;
}

static void set_put(objset *m, const char *k, const char *v) {
  if ((m->n + 1) * 2 > m->cap) set_grow(m);
  size_t j = set_slot(m, k);
  if (m->key[j]) {
    free(m->val[j]);
  } else {
    m->key[j] = strdup(k);
    m->n++;
  }
  m->val[j] = strdup(v);
}

/* Removes k, re-inserting the rest of its cluster (linear probing). */
static void set_del(objset *m, const char *k) {
  if (!m->cap) return;
  size_t j = set_slot(m, k);
  if (!m->key[j]) return;
  free(m->key[j]), free(m->val[j]);
  m->key[j] = m->val[j] = NULL;
  m->n--;
  for (size_t i = (j + 1) & (m->cap - 1); m->key[i]; i = (i + 1) & (m->cap - 1)) {
    char *kk = m->key[i], *vv = m->val[i];
    m->key[i] = m->val[i] = NULL;
    m->n--;
    size_t t = set_slot(m, kk);
    m->key[t] = kk, m->val[t] = vv, m->n++;
  }
}

static void set_clear(objset *m) {
  for (size_t i = 0; i < m->cap; i++) free(m->key[i]), free(m->val[i]);
  free(m->key), free(m->val);
  *m = (objset){0};
}

static void field(const char *json, size_t len, const char *key, char *out, size_t outlen) {
  ksmc_slice v, s;
  if (ksmc_jscan_member2(json, len, "metadata", key, &v) && ksmc_jscan_unquote(v, &s))
    snprintf(out, outlen, "%.*s", (int)s.n, s.p);
  else
    out[0] = 0;
}

static void sink_list_begin(void *u, size_t s) {
  debug_sink *d = u;
  set_clear(&d->staging[s]);
}

static void sink_object(void *u, size_t s, ksmc_event_type t, bool in_list, const char *json,
                        size_t len, ksmc_slice passed_uid) {
  (void)passed_uid; /* printed from the JSON below, like the other fields */
  debug_sink *d = u;
  char uid[128], ns[256], name[256], rv[64], val[720];
  field(json, len, "uid", uid, sizeof uid);
  field(json, len, "namespace", ns, sizeof ns);
  field(json, len, "name", name, sizeof name);
  field(json, len, "resourceVersion", rv, sizeof rv);
  snprintf(val, sizeof val, "%s/%s %s %s", ns, name, uid, rv);
  static const char *const tn[] = {"ADDED", "MODIFIED", "DELETED"};
  if (d->events) printf("event %s %s%s %s\n", d->names[s], tn[t], in_list ? "(list)" : "", val);
  objset *m = in_list ? &d->staging[s] : &d->live[s];
  if (t == KSMC_EV_DELETED)
    set_del(m, uid);
  else
    set_put(m, uid, val);
}

static void sink_list_end(void *u, size_t s, bool complete) {
  debug_sink *d = u;
  if (complete) {
    set_clear(&d->live[s]);
    d->live[s] = d->staging[s];
    d->staging[s] = (objset){0};
  } else {
    set_clear(&d->staging[s]);
  }
}

static int cmp_str(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_set(const debug_sink *d, size_t s) {
  const objset *m = &d->live[s];
  char **lines = calloc(m->n + 1, sizeof *lines);
  size_t k = 0;
  for (size_t i = 0; i < m->cap; i++) {
    if (!m->key[i]) continue;
    size_t n = strlen(d->names[s]) + strlen(m->val[i]) + 2;
    lines[k] = malloc(n);
    snprintf(lines[k++], n, "%s %s", d->names[s], m->val[i]);
  }
  qsort(lines, k, sizeof *lines, cmp_str);
  for (size_t i = 0; i < k; i++) printf("%s\n", lines[i]), free(lines[i]);
  free(lines);
}

static void log_line(void *u, ksmc_log_level lvl, const char *line) {
  (void)u;
  static const char *const names[] = {"error", "warn", "info", "debug"};
  fprintf(stderr, "ksmc-watch-debug %s: %s\n", names[lvl], line);
}

static void *run_thread(void *ig) {
  ksmc_ingest_run(ig);
  return NULL;
}

typedef struct {
  ksmc_kube_config_opts cfg;
  ksmc_ingest_opts ing;
  ksmc_stream_spec specs[MAX_STREAMS];
  double duration;
  const char *field_selector;
  bool no_gzip;
} args;

static void usage(void) {
  fprintf(stderr, "usage: ksmc-watch-debug (--apiserver URL | --kubeconfig FILE [--context C]) "
                  "--resource PATH... [--field-selector S] [--shard N --total-shards M] "
                  "[--use-apiserver-cache] [--duration S] [--events] [--log-level L]\n");
  exit(2);
}

static ksmc_log_level parse_level(const char *s) {
  if (!strcmp(s, "error")) return KSMC_LOG_ERROR;
  if (!strcmp(s, "warn")) return KSMC_LOG_WARN;
  if (!strcmp(s, "debug")) return KSMC_LOG_DEBUG;
  return KSMC_LOG_INFO;
}

static void parse_args(int argc, char **argv, args *a, debug_sink *d) {
  static const struct option opts[] = {
      {"apiserver", required_argument, 0, 'a'},      {"kubeconfig", required_argument, 0, 'k'},
      {"context", required_argument, 0, 'c'},        {"resource", required_argument, 0, 'r'},
      {"field-selector", required_argument, 0, 'f'}, {"shard", required_argument, 0, 's'},
      {"total-shards", required_argument, 0, 't'},   {"use-apiserver-cache", no_argument, 0, 'u'},
      {"duration", required_argument, 0, 'd'},       {"events", no_argument, 0, 'e'},
      {"log-level", required_argument, 0, 'l'},      {"no-gzip", no_argument, 0, 'z'},
      {"idle-timeout", required_argument, 0, 'i'},   {0, 0, 0, 0}};
  int c;
  a->ing.log_level = KSMC_LOG_INFO;
  while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
    switch (c) {
    case 'a':
      a->cfg.apiserver = optarg;
      break;
    case 'k':
      a->cfg.kubeconfig = optarg;
      break;
    case 'c':
      a->cfg.context = optarg;
      break;
    case 'r':
      if (a->ing.nstreams == MAX_STREAMS) usage();
      a->specs[a->ing.nstreams].path = optarg;
      a->specs[a->ing.nstreams].name = optarg;
      d->names[a->ing.nstreams++] = optarg;
      break;
    case 'f':
      a->field_selector = optarg;
      break;
    case 's':
      a->ing.shard = atoi(optarg);
      break;
    case 't':
      a->ing.total_shards = atoi(optarg);
      break;
    case 'u':
      a->ing.use_apiserver_cache = true;
      break;
    case 'd':
      a->duration = atof(optarg);
      break;
    case 'e':
      d->events = true;
      break;
    case 'l':
      a->ing.log_level = parse_level(optarg);
      break;
    case 'z':
      a->no_gzip = true;
      break;
    case 'i':
      a->ing.idle_timeout_s = atol(optarg);
      break;
    default:
      usage();
    }
  }
  if (!a->ing.nstreams) usage();
  for (size_t i = 0; i < a->ing.nstreams; i++) a->specs[i].field_selector = a->field_selector;
}

int main(int argc, char **argv) {
  static debug_sink d;
  static args a;
  parse_args(argc, argv, &a, &d);
  setvbuf(stdout, NULL, _IOLBF, 0);
  ksmc_kube_config cfg;
  char err[512];
  if (ksmc_kube_config_load(&a.cfg, &cfg, err, sizeof err)) {
    fprintf(stderr, "ksmc-watch-debug: %s\n", err);
    return 1;
  }
  cfg.disable_compression = cfg.disable_compression || a.no_gzip;
  a.ing.config = &cfg;
  a.ing.streams = a.specs;
  a.ing.sink = (ksmc_sink){&d, sink_list_begin, sink_object, sink_list_end, NULL, NULL};
  a.ing.log = log_line;
  ksmc_ingest *ig = ksmc_ingest_new(&a.ing, err, sizeof err);
  if (!ig) {
    fprintf(stderr, "ksmc-watch-debug: %s\n", err);
    return 1;
  }
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  pthread_t th;
  pthread_create(&th, NULL, run_thread, ig);
  struct timespec start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  do {
    usleep(20000);
    clock_gettime(CLOCK_MONOTONIC, &now);
  } while (!interrupted && (a.duration <= 0 || (double)(now.tv_sec - start.tv_sec) +
                                                       (double)(now.tv_nsec - start.tv_nsec) / 1e9 <
                                                   a.duration));
  ksmc_ingest_stop(ig);
  pthread_join(th, NULL);
  for (size_t s = 0; s < a.ing.nstreams; s++) {
    ksmc_stream_stats st;
    ksmc_ingest_stats(ig, s, &st);
    fprintf(stderr,
            "ksmc-watch-debug: %s: synced=%d lists=%llu list_errors=%llu relists=%llu "
            "watches=%llu watch_errors=%llu added=%llu modified=%llu deleted=%llu "
            "bookmarks=%llu errors=%llu bytes=%llu last_error=\"%s\"\n",
            d.names[s], st.synced, (unsigned long long)st.lists, (unsigned long long)st.list_errors,
            (unsigned long long)st.relists, (unsigned long long)st.watches,
            (unsigned long long)st.watch_errors, (unsigned long long)st.events_added,
            (unsigned long long)st.events_modified, (unsigned long long)st.events_deleted,
            (unsigned long long)st.events_bookmark, (unsigned long long)st.events_error,
            (unsigned long long)st.bytes, st.last_error);
    print_set(&d, s);
    set_clear(&d.live[s]);
    set_clear(&d.staging[s]);
  }
  ksmc_ingest_free(ig);
  ksmc_kube_config_free(&cfg);
  return 0;
}
