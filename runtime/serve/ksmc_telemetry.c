/* Self-metrics registry; see ksmc_telemetry.h. */
#include "ksmc_telemetry.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksmc_escape.h"
#include "ksmc_fmt.h"

#define MAX_LABELS 8

typedef _Atomic uint64_t atomic_f64; /* a double's bits */

struct ksmc_tm_series {
  ksmc_tm_series *next;
  const ksmc_tm_family *fam;
  char *labels;     /* `k1="v1",k2="v2"` (escaped), "" for none */
  char **values;    /* raw values, for lookup */
  atomic_f64 value; /* gauge/counter value, histogram sum */
  _Atomic uint64_t count;
  _Atomic uint64_t *buckets; /* histogram: per-bucket counts (made cumulative when rendered) */
};

struct ksmc_tm_family {
  ksmc_tm_family *next;
  ksmc_telemetry *tm;
  char *name, *help;
  ksmc_tm_type type;
  char *label_names[MAX_LABELS];
  size_t nlabels;
  double *bounds;
  size_t nbounds;
  ksmc_tm_series *series;
  size_t nseries;
};

struct ksmc_telemetry {
  pthread_mutex_t lock;
  ksmc_tm_family *head, *tail;
};

static const double default_buckets[] = {.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10};

static uint64_t f2u(double v) {
  uint64_t u;
  memcpy(&u, &v, sizeof u);
  return u;
}

static double u2f(uint64_t u) {
  double v;
  memcpy(&v, &u, sizeof v);
  return v;
}

ksmc_telemetry *ksmc_tm_new(void) {
  ksmc_telemetry *tm = calloc(1, sizeof *tm);
  if (tm) pthread_mutex_init(&tm->lock, NULL);
  return tm;
}

static void series_free(ksmc_tm_series *s, size_t nlabels) {
  for (size_t i = 0; s->values && i < nlabels; i++) free(s->values[i]);
  free(s->values);
  free(s->labels);
  free((void *)s->buckets);
  free(s);
}

static void family_free(ksmc_tm_family *f) {
  for (ksmc_tm_series *s = f->series, *n; s; s = n) {
    n = s->next;
    series_free(s, f->nlabels);
  }
  for (size_t i = 0; i < f->nlabels; i++) free(f->label_names[i]);
  free(f->name);
  free(f->help);
  free(f->bounds);
  free(f);
}

void ksmc_tm_free(ksmc_telemetry *tm) {
  if (!tm) return;
  for (ksmc_tm_family *f = tm->head, *n; f; f = n) {
    n = f->next;
    family_free(f);
  }
  pthread_mutex_destroy(&tm->lock);
  free(tm);
}

static bool split_labels(ksmc_tm_family *f, const char *labels) {
  for (const char *p = labels; p && *p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    if (f->nlabels == MAX_LABELS || n == 0) return false;
    if (!(f->label_names[f->nlabels++] = strndup(p, n))) return false;
    p = comma ? comma + 1 : NULL;
  }
  return true;
}

static bool set_bounds(ksmc_tm_family *f, const double *b, size_t n) {
  if (!b) {
    b = default_buckets;
    n = sizeof default_buckets / sizeof default_buckets[0];
  }
  f->bounds = malloc((n ? n : 1) * sizeof *f->bounds);
  if (!f->bounds) return false;
  for (size_t i = 0; i < n; i++) {
    if (i && !(b[i] > b[i - 1])) return false;
    f->bounds[i] = b[i];
  }
  f->nbounds = n;
  return true;
}

ksmc_tm_family *ksmc_tm_family_new(ksmc_telemetry *tm, const char *name, const char *help,
                                   ksmc_tm_type type, const char *labels, const double *buckets,
                                   size_t nbuckets) {
  ksmc_tm_family *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->tm = tm;
  f->type = type;
  f->name = strdup(name);
  f->help = strdup(help ? help : "");
  bool ok = f->name && f->help && split_labels(f, labels) &&
            (type != KSMC_TM_HISTOGRAM || set_bounds(f, buckets, nbuckets));
  if (!ok) {
    family_free(f);
    return NULL;
  }
  pthread_mutex_lock(&tm->lock);
  if (tm->tail)
    tm->tail->next = f;
  else
    tm->head = f;
  tm->tail = f;
  pthread_mutex_unlock(&tm->lock);
  return f;
}

static bool same_values(const ksmc_tm_series *s, const char *const *values, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(s->values[i], values && values[i] ? values[i] : "") != 0) return false;
  return true;
}

static ksmc_tm_series *series_new(const ksmc_tm_family *f, const char *const *values) {
  ksmc_tm_series *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->fam = f;
  s->values = calloc(f->nlabels ? f->nlabels : 1, sizeof *s->values);
  ksmc_buf b = {0};
  bool ok = s->values != NULL;
  for (size_t i = 0; ok && i < f->nlabels; i++) {
    const char *v = values && values[i] ? values[i] : "";
    ok = (s->values[i] = strdup(v)) != NULL;
    ksmc_buf_put(&b, i ? "," : "", i ? 1 : 0);
    ksmc_buf_put(&b, f->label_names[i], strlen(f->label_names[i]));
    ksmc_buf_put(&b, "=\"", 2);
    ksmc_escape_label_value(&b, v, strlen(v));
    ksmc_buf_putc(&b, '"');
  }
  s->labels = ok && !ksmc_buf_failed(&b) ? strdup(ksmc_buf_cstr(&b)) : NULL;
  ksmc_buf_free(&b);
  if (f->type == KSMC_TM_HISTOGRAM) s->buckets = calloc(f->nbounds + 1, sizeof *s->buckets);
  if (!ok || !s->labels || (f->type == KSMC_TM_HISTOGRAM && !s->buckets)) {
    series_free(s, f->nlabels);
    return NULL;
  }
  return s;
}

ksmc_tm_series *ksmc_tm_series_get(ksmc_tm_family *f, const char *const *values) {
  if (!f) return NULL;
  pthread_mutex_lock(&f->tm->lock);
  ksmc_tm_series *s = f->series;
  while (s && !same_values(s, values, f->nlabels)) s = s->next;
  if (!s && (s = series_new(f, values))) {
    s->next = f->series;
    f->series = s;
    f->nseries++;
  }
  pthread_mutex_unlock(&f->tm->lock);
  return s;
}

static void atomic_add_f64(atomic_f64 *a, double v) {
  uint64_t old = atomic_load(a);
  while (!atomic_compare_exchange_weak(a, &old, f2u(u2f(old) + v))) {
  }
}

void ksmc_tm_add(ksmc_tm_series *s, double v) {
  if (s) atomic_add_f64(&s->value, v);
}

void ksmc_tm_set(ksmc_tm_series *s, double v) {
  if (s) atomic_store(&s->value, f2u(v));
}

double ksmc_tm_value(const ksmc_tm_series *s) {
  return s ? u2f(atomic_load(&((ksmc_tm_series *)s)->value)) : 0;
}

void ksmc_tm_observe(ksmc_tm_series *s, double v) {
  if (!s || !s->buckets) return;
  size_t i = 0;
  while (i < s->fam->nbounds && v > s->fam->bounds[i]) i++;
  atomic_fetch_add(&s->buckets[i], 1);
  atomic_add_f64(&s->value, v);
  atomic_fetch_add(&s->count, 1);
}

/* ---- rendering ---- */

static void put_str(ksmc_buf *b, const char *s) { ksmc_buf_put(b, s, strlen(s)); }

/* The family name in metadata lines: OpenMetrics strips a counter's "_total". */
static size_t meta_name_len(const ksmc_tm_family *f, bool om) {
  size_t n = strlen(f->name);
  if (om && f->type == KSMC_TM_COUNTER && n > 6 && strcmp(f->name + n - 6, "_total") == 0) n -= 6;
  return n;
}

static void render_header(ksmc_buf *b, const ksmc_tm_family *f, bool om) {
  static const char *const types[] = {"gauge", "counter", "histogram"};
  size_t n = meta_name_len(f, om);
  put_str(b, "# HELP ");
  ksmc_buf_put(b, f->name, n);
  ksmc_buf_putc(b, ' ');
  if (om)
    ksmc_escape_help_openmetrics(b, f->help, strlen(f->help));
  else
    ksmc_escape_help(b, f->help, strlen(f->help));
  put_str(b, "\n# TYPE ");
  ksmc_buf_put(b, f->name, n);
  ksmc_buf_putc(b, ' ');
  put_str(b, types[f->type]);
  ksmc_buf_putc(b, '\n');
}

/* name[suffix]{labels[,extra]} value */
static void render_sample(ksmc_buf *b, const ksmc_tm_family *f, const char *suffix,
                          const char *labels, const char *extra, double v) {
  put_str(b, f->name);
  put_str(b, suffix);
  if (*labels || extra) {
    ksmc_buf_putc(b, '{');
    put_str(b, labels);
    if (extra) {
      if (*labels) ksmc_buf_putc(b, ',');
      put_str(b, extra);
    }
    ksmc_buf_putc(b, '}');
  }
  ksmc_buf_putc(b, ' ');
  ksmc_fmt_value(b, v);
  ksmc_buf_putc(b, '\n');
}

/* le="<bound>": Go's %g-like shortest form; OpenMetrics wants a float (".0" added). */
static void le_label(char *dst, size_t cap, double bound, bool om) {
  ksmc_buf t = {0};
  ksmc_fmt_value(&t, bound);
  const char *v = ksmc_buf_cstr(&t);
  bool plain = !strpbrk(v, ".eIN");
  snprintf(dst, cap, "le=\"%s%s\"", v, om && plain ? ".0" : "");
  ksmc_buf_free(&t);
}

static void render_histogram(ksmc_buf *b, const ksmc_tm_family *f, const ksmc_tm_series *s,
                             bool om) {
  uint64_t cum = 0;
  char le[64];
  for (size_t i = 0; i <= f->nbounds; i++) {
    cum += atomic_load(&((ksmc_tm_series *)s)->buckets[i]);
    if (i < f->nbounds)
      le_label(le, sizeof le, f->bounds[i], om);
    else
      snprintf(le, sizeof le, "le=\"+Inf\"");
    render_sample(b, f, "_bucket", s->labels, le, (double)cum);
  }
  render_sample(b, f, "_sum", s->labels, NULL, ksmc_tm_value(s));
  render_sample(b, f, "_count", s->labels, NULL, (double)cum);
}

static int cmp_series(const void *a, const void *b) {
  const ksmc_tm_series *x = *(ksmc_tm_series *const *)a, *y = *(ksmc_tm_series *const *)b;
  return strcmp(x->labels, y->labels);
}

static void render_family(ksmc_buf *b, const ksmc_tm_family *f, bool om) {
  if (!f->nseries) return;
  ksmc_tm_series **v = malloc(f->nseries * sizeof *v);
  if (!v) {
    b->oom = true;
    return;
  }
  size_t n = 0;
  for (ksmc_tm_series *s = f->series; s; s = s->next) v[n++] = s;
  qsort(v, n, sizeof *v, cmp_series);
  render_header(b, f, om);
  for (size_t i = 0; i < n; i++) {
    if (f->type == KSMC_TM_HISTOGRAM)
      render_histogram(b, f, v[i], om);
    else
      render_sample(b, f, "", v[i]->labels, NULL, ksmc_tm_value(v[i]));
  }
  free(v);
}

void ksmc_tm_render(ksmc_telemetry *tm, ksmc_buf *out, bool openmetrics) {
  pthread_mutex_lock(&tm->lock);
  for (const ksmc_tm_family *f = tm->head; f; f = f->next) render_family(out, f, openmetrics);
  pthread_mutex_unlock(&tm->lock);
  if (openmetrics) put_str(out, "# EOF\n");
}

/* ---- standard self-metrics ---- */

#define FAM(field, name, help, type, labels)                                                       \
  ok = ok && (sm->field = ksmc_tm_family_new(sm->tm, name, help, type, labels, NULL, 0))

bool ksmc_selfmetrics_init(ksmc_selfmetrics *sm, const char *version, const char *revision,
                           int shard, int total_shards) {
  memset(sm, 0, sizeof *sm);
  sm->tm = ksmc_tm_new();
  bool ok = sm->tm != NULL;
  FAM(build_info, "kube_state_metrics_build_info",
      "A metric with a constant '1' value labeled by version and revision of ksmc.", KSMC_TM_GAUGE,
      "implementation,revision,version");
  FAM(shard_ordinal, "kube_state_metrics_shard_ordinal",
      "Current sharding ordinal/index of this instance", KSMC_TM_GAUGE, "shard_ordinal");
  FAM(total_shards, "kube_state_metrics_total_shards",
      "Number of total shards this instance is aware of", KSMC_TM_GAUGE, NULL);
  FAM(list_total, "kube_state_metrics_list_total", "Number of total resource list in ksmc",
      KSMC_TM_COUNTER, "resource,result");
  FAM(watch_total, "kube_state_metrics_watch_total", "Number of total resource watches in ksmc",
      KSMC_TM_COUNTER, "resource,result");
  FAM(events_total, "ksmc_watch_events_total", "Watch events processed, by resource and type",
      KSMC_TM_COUNTER, "resource,type");
  FAM(relists_total, "ksmc_relists_total",
      "Full relists (initial list, 410 Gone, expired continue)", KSMC_TM_COUNTER, "resource");
  FAM(objects, "ksmc_store_objects", "Objects held in the pre-rendered store", KSMC_TM_GAUGE,
      "resource");
  FAM(store_bytes, "ksmc_store_bytes", "Pre-rendered exposition bytes held in the store",
      KSMC_TM_GAUGE, "resource");
  FAM(absent, "ksmc_resource_absent",
      "1 while the API server does not serve a custom resource (its CRD is not installed)",
      KSMC_TM_GAUGE, "resource");
  FAM(request_seconds, "http_request_duration_seconds",
      "A histogram of requests for the ksmc metrics handler.", KSMC_TM_HISTOGRAM, "handler,method");
  FAM(scrape_bytes, "ksmc_scrape_bytes_total", "Uncompressed /metrics body bytes produced",
      KSMC_TM_COUNTER, "encoding");
  FAM(response_bytes, "ksmc_scrape_response_bytes_total",
      "/metrics body bytes sent (after compression)", KSMC_TM_COUNTER, "encoding");
  FAM(scrape_joined, "ksmc_scrape_joined_total",
      "Plain /metrics scrapes that joined a concurrent scrape's walk of the body instead of "
      "walking the store themselves",
      KSMC_TM_COUNTER, NULL);
  FAM(scrape_replayed, "ksmc_scrape_replayed_bytes_total",
      "Plain /metrics body bytes copied from a walk that another, concurrent scrape made",
      KSMC_TM_COUNTER, NULL);
  FAM(scrape_fell_behind, "ksmc_scrape_fell_behind_total",
      "Plain /metrics scrapes that were behind a shared walk's buffer (joined late, or fell "
      "behind) and read the chunks they lacked with their own walk",
      KSMC_TM_COUNTER, NULL);
  FAM(auth_refused, "ksmc_http_auth_failures_total",
      "Requests refused by authentication (401; password_checks_busy: 503; client_certificate: "
      "TLS handshakes with a certificate that did not verify), by reason",
      KSMC_TM_COUNTER, "reason");
  FAM(web_reloads, "ksmc_web_config_reloads_total",
      "Loads of the web config and token files (--tls-config, --web-bearer-token-file) by result; "
      "the first load at start included",
      KSMC_TM_COUNTER, "result");
  FAM(web_reload_ok, "ksmc_web_config_last_reload_successful",
      "Whether the last attempt to load the web config and token files succeeded", KSMC_TM_GAUGE,
      NULL);
  FAM(web_reload_success, "ksmc_web_config_last_reload_success_timestamp_seconds",
      "Unix time of the last successful load of the web config and token files", KSMC_TM_GAUGE,
      NULL);
  if (!ok) {
    ksmc_selfmetrics_free(sm);
    return false;
  }
  char ord[16];
  snprintf(ord, sizeof ord, "%d", shard);
  ksmc_tm_set(ksmc_tm_series_get(sm->build_info, (const char *[]){"ksmc", revision, version}), 1);
  if (shard >= 0) { /* autosharding sets them once the StatefulSet is read */
    ksmc_tm_set(ksmc_tm_series_get(sm->shard_ordinal, (const char *[]){ord}), shard);
    ksmc_tm_set(ksmc_tm_series_get(sm->total_shards, NULL), total_shards);
  }
  return true;
}

void ksmc_selfmetrics_free(ksmc_selfmetrics *sm) {
  ksmc_tm_free(sm->tm);
  memset(sm, 0, sizeof *sm);
}
