/* ksmc_telemetry: a small self-metrics registry served on the telemetry listener.
 *
 * Families (gauge, counter, histogram) with fixed label names; series are created on
 * first use and live as long as the registry. Updating a series is lock-free (atomic
 * doubles); creating a series or rendering takes the registry mutex. Rendering uses the
 * runtime's formatting (ksmc_fmt_value, ksmc_escape_label_value, HELP escaping), series
 * sorted by label values like client_golang. Counter family names end in "_total"; the
 * OpenMetrics rendering strips it from HELP/TYPE as expfmt does.
 *
 * ksmc_selfmetrics creates ksmc's standard families with kube-state-metrics' telemetry
 * names where KSM has one (so the kube-prometheus KSM alerts keep working). */
#ifndef KSMC_TELEMETRY_H
#define KSMC_TELEMETRY_H

#include <stdbool.h>
#include <stddef.h>

#include "ksmc_buf.h"

typedef struct ksmc_telemetry ksmc_telemetry;
typedef struct ksmc_tm_family ksmc_tm_family;
typedef struct ksmc_tm_series ksmc_tm_series;

typedef enum { KSMC_TM_GAUGE, KSMC_TM_COUNTER, KSMC_TM_HISTOGRAM } ksmc_tm_type;

ksmc_telemetry *ksmc_tm_new(void);
void ksmc_tm_free(ksmc_telemetry *tm);

/* Registers a family. `labels` is a comma-separated list of label names or NULL/"" for
 * none (at most 8). Histograms take `nbuckets` increasing upper bounds (+Inf implied);
 * NULL buckets means Prometheus' default buckets. name/help/labels/buckets are copied.
 * NULL on allocation failure or bad arguments. */
ksmc_tm_family *ksmc_tm_family_new(ksmc_telemetry *tm, const char *name, const char *help,
                                   ksmc_tm_type type, const char *labels, const double *buckets,
                                   size_t nbuckets);

/* The series with these label values (one per label name; NULL entries are ""),
 * created on first use. Cache the pointer on hot paths. NULL on allocation failure. */
ksmc_tm_series *ksmc_tm_series_get(ksmc_tm_family *f, const char *const *values);

/* Gauge/counter updates (counters: only add with v >= 0). NULL series are ignored. */
void ksmc_tm_add(ksmc_tm_series *s, double v);
void ksmc_tm_set(ksmc_tm_series *s, double v);
double ksmc_tm_value(const ksmc_tm_series *s);
/* Histogram observation. */
void ksmc_tm_observe(ksmc_tm_series *s, double v);

/* Appends the exposition of every family (registration order) to out. */
void ksmc_tm_render(ksmc_telemetry *tm, ksmc_buf *out, bool openmetrics);

/* The standard self-metrics. The ingest side updates list/watch/events/relists; the
 * HTTP layer updates scrape metrics and store gauges. */
typedef struct {
  ksmc_telemetry *tm;
  ksmc_tm_family *build_info;      /* kube_state_metrics_build_info{version,revision,
                                      implementation="ksmc"} 1 (set by ksmc_selfmetrics_init) */
  ksmc_tm_family *shard_ordinal;   /* kube_state_metrics_shard_ordinal{shard_ordinal} */
  ksmc_tm_family *total_shards;    /* kube_state_metrics_total_shards */
  ksmc_tm_family *list_total;      /* kube_state_metrics_list_total{resource,result} */
  ksmc_tm_family *watch_total;     /* kube_state_metrics_watch_total{resource,result} */
  ksmc_tm_family *events_total;    /* ksmc_watch_events_total{resource,type} */
  ksmc_tm_family *relists_total;   /* ksmc_relists_total{resource} */
  ksmc_tm_family *objects;         /* ksmc_store_objects{resource} */
  ksmc_tm_family *store_bytes;     /* ksmc_store_bytes{resource} */
  ksmc_tm_family *absent;          /* ksmc_resource_absent{resource}: CRD not installed */
  ksmc_tm_family *request_seconds; /* http_request_duration_seconds{handler,method} */
  ksmc_tm_family *scrape_bytes;    /* ksmc_scrape_bytes_total{encoding} (uncompressed) */
  ksmc_tm_family *response_bytes;  /* ksmc_scrape_response_bytes_total{encoding} (sent) */
  /* Shared walks of plain bodies (ksmc_tape; set by the HTTP layer at each telemetry
   * scrape): */
  ksmc_tm_family *scrape_joined;      /* ksmc_scrape_joined_total */
  ksmc_tm_family *scrape_replayed;    /* ksmc_scrape_replayed_bytes_total */
  ksmc_tm_family *scrape_fell_behind; /* ksmc_scrape_fell_behind_total */
  /* With --tls-config / --web-bearer-token-file (set by the HTTP layer at each telemetry
   * scrape, from ksmc_websec's counters; absent otherwise): */
  ksmc_tm_family *auth_refused;       /* ksmc_http_auth_failures_total{reason} */
  ksmc_tm_family *web_reloads;        /* ksmc_web_config_reloads_total{result} */
  ksmc_tm_family *web_reload_ok;      /* ksmc_web_config_last_reload_successful */
  ksmc_tm_family *web_reload_success; /* ksmc_web_config_last_reload_success_timestamp_seconds */
} ksmc_selfmetrics;

/* Creates the registry and the standard families, and sets build info and the shard
 * gauges (not when shard < 0: autosharding sets them later). Returns false on allocation failure
 * (everything freed). */
bool ksmc_selfmetrics_init(ksmc_selfmetrics *sm, const char *version, const char *revision,
                           int shard, int total_shards);
void ksmc_selfmetrics_free(ksmc_selfmetrics *sm);

#endif
