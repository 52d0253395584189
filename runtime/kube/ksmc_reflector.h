/* ksmc_reflector: list+watch of every stream, multiplexed on one curl multi handle and
 * driven by one ingest thread.
 *
 * A stream is one resource x one namespace (or all namespaces), with optional field and
 * label selectors. Each stream runs client-go's reflector state machine:
 *
 *   LIST  GET <path>?limit=500[&continue=..]   (first list with --use-apiserver-cache:
 *         resourceVersion=0; items stream out of the write callback one by one)
 *   WATCH GET <path>?watch=true&allowWatchBookmarks=true&resourceVersion=<rv>
 *         &timeoutSeconds=<random in [300,600)>
 *
 *   - watch ends cleanly (EOF, timeout)          -> re-watch at once from the last RV
 *   - 410 Gone (HTTP or ERROR event), expired continue -> relist
 *   - 429 / connection refused                   -> backoff, re-watch (no relist)
 *   - other errors, malformed or oversized events, very short watches -> backoff, relist
 *   - 401                                        -> re-read the token file, backoff
 * with client-go's backoff (ksmc_backoff) honouring Retry-After. Objects (list items and
 * ADDED/MODIFIED/DELETED) whose metadata.uid is not on this shard are dropped before the
 * sink sees them. Logs go through a callback, one line per event worth knowing.
 *
 * Threads: ksmc_ingest_run runs on one thread and makes every sink and log call from it.
 * ksmc_ingest_stop, ksmc_ingest_stats and ksmc_ingest_synced may be called from any
 * thread. */
#ifndef KSMC_REFLECTOR_H
#define KSMC_REFLECTOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_buf.h"
#include "ksmc_kubeconfig.h"
#include "ksmc_log.h"
#include "ksmc_skip.h"

typedef enum { KSMC_EV_ADDED, KSMC_EV_MODIFIED, KSMC_EV_DELETED } ksmc_event_type;

/* Where objects go; the exporter implements it. */
typedef struct {
  void *user;
  /* a (re)list of stream s begins: subsequent objects(...list=true) form a new complete set */
  void (*list_begin)(void *user, size_t s);
  /* one object: a list item (in_list=true, type ADDED) or a watch event; uid is its
   * metadata.uid as the JSON spells it (unquoted, escapes left as they are), a slice of
   * json[0..len) that the reflector found before the call (objects without one are not
   * passed on) */
  void (*object)(void *user, size_t s, ksmc_event_type t, bool in_list, const char *json,
                 size_t len, ksmc_slice uid);
  /* the list finished: complete=true -> atomically replace stream s's objects by the set
   * received since list_begin; complete=false -> discard that set, keep serving the old one */
  void (*list_end)(void *user, size_t s, bool complete);
  /* Optional, both or neither (NULL: every object comes through object()): rendering a
   * watch event's object before the event is framed, so that the framer's scan skips the
   * containers the renderer passed over (ksmc_framer_cb.prerender). prerender renders the
   * object at json[0] of a watch event of stream s, which closes somewhere in
   * json[0..avail), keeps the render aside and returns the offset just past the object's
   * close with the containers it passed over (*spans, offsets in json, strict skips), or
   * returns 0 (not rendered). object_prerendered is object() for the watch event whose
   * object json[0..len) is the one the last prerender call rendered, its framing
   * confirmed: the sink applies the render it kept (json is given so that a sink that no
   * longer holds one renders it). Any other call (object, list_begin, list_end, another
   * prerender) drops a render kept aside. */
  size_t (*prerender)(void *user, size_t s, const char *json, size_t avail,
                      const ksmc_skip_span **spans, size_t *nspans);
  void (*object_prerendered)(void *user, size_t s, ksmc_event_type t, const char *json, size_t len,
                             ksmc_slice uid);
} ksmc_sink;

/* True if k renders watch events ahead of their framing (it has both callbacks above). */
static inline bool ksmc_sink_prerenders(const ksmc_sink *k) {
  return k->prerender && k->object_prerendered;
}

/* One formatted line (no trailing newline) at a level. */
typedef void (*ksmc_log_fn)(void *user, ksmc_log_level level, const char *line);

typedef struct {
  const char *name;           /* for logs and self-metrics, e.g. "pods" or "pods/kube-system" */
  const char *path;           /* collection path (ksmc_collection_path), e.g. "/api/v1/pods" */
  const char *field_selector; /* e.g. "spec.nodeName=n1" or NULL */
  const char *label_selector; /* or NULL */
  /* A resource that may not exist (a custom resource whose CRD is not installed): a 404
   * on the first page of a LIST marks it absent instead of failed. An absent stream
   * serves no objects (a complete empty list replaces what it had), counts as synced for
   * readiness, logs one warning and lists again every absent_recheck_ms. */
  bool optional;
} ksmc_stream_spec;

typedef struct {
  ksmc_kube_config *config;        /* used by the ingest thread only while it runs */
  const ksmc_stream_spec *streams; /* copied */
  size_t nstreams;
  ksmc_sink sink;
  int32_t shard, total_shards; /* shard 0 of total <= 1: no filtering */
  bool await_shard;            /* start no stream until ksmc_ingest_set_shard (autosharding) */
  bool use_apiserver_cache;    /* first list with resourceVersion=0 */
  size_t page_size;            /* LIST limit; 0: 500 */
  size_t max_object_bytes;     /* larger objects are skipped; 0: 64 MiB */
  long idle_timeout_s;         /* abort a request that received nothing this long; 0: 150 */
  long min_watch_timeout_s;    /* timeoutSeconds in [min, 2*min); 0: 300 */
  size_t progress_every;       /* log list progress every N objects; 0: 10000 */
  uint64_t seed;               /* jitter and watch timeouts; 0: from the clock */
  long backoff_init_ms;        /* first backoff; 0: client-go's 800 ms (tests use less) */
  long backoff_max_ms;         /* backoff cap; 0: client-go's 30 s (tests use less) */
  long absent_recheck_ms;      /* re-list period of an absent optional stream; 0: 30 s */
  /* Watch batching: after a loop turn that read watch events which had arrived while the
   * previous turn ran or shortly after it (back to back: the poll before it waited less
   * than this), the thread waits this long before polling again, so a busy watch is read
   * in batches of events instead of a wake-up (poll, recv, scheduler) every few events.
   * An event after a quiet period is read at once. While the watch stays busy, each
   * further pause is twice the previous one, up to watch_batch_max_us (fewer wake-ups
   * under sustained churn); a poll that waits longer than watch_batch_us starts over.
   * An event is delayed by at most watch_batch_max_us. 0: 2000 us; negative: off. */
  long watch_batch_us;
  long watch_batch_max_us; /* below watch_batch_us (e.g. 0): 4 x watch_batch_us */
  /* Once every stream has synced for the first time, the thread running ksmc_ingest_run
   * raises its own nice value by this much (Linux: setpriority on the thread's id; any
   * thread may raise its nice value, only privileged ones lower it again, so relists
   * after that run at the lower priority too): threads serving scrapes are then
   * scheduled before event processing. The initial sync keeps the caller's priority.
   * 0: leave it. */
  int nice_after_sync;
  ksmc_log_fn log; /* or NULL */
  void *log_user;
  ksmc_log_level log_level; /* lines above this level are not formatted */
} ksmc_ingest_opts;

/* Per-stream counters, for self-metrics. */
typedef struct {
  uint64_t lists;        /* lists started (first lists and relists) */
  uint64_t list_errors;  /* lists that failed (any page) */
  uint64_t relists;      /* lists after the first (410, errors, expired continue...) */
  uint64_t watches;      /* watch requests started */
  uint64_t watch_errors; /* watches that ended in an error (not a clean EOF) */
  uint64_t events_added, events_modified, events_deleted, events_bookmark, events_error;
  uint64_t objects_listed;  /* items received by the last complete list (before sharding) */
  uint64_t objects_skipped; /* oversized or uid-less objects dropped */
  uint64_t bytes;           /* response body bytes received (after gzip decoding) */
  int64_t last_list_ms;     /* duration of the last complete list */
  bool synced;              /* a first full list completed */
  bool absent;              /* optional stream whose resource the API server does not serve */
  char last_error[256];     /* "" if none yet */
} ksmc_stream_stats;

typedef struct ksmc_ingest ksmc_ingest;

/* Creates the ingest context (curl multi handle, one easy handle per stream). Returns
 * NULL with a message in err on failure. Calls curl_global_init. */
ksmc_ingest *ksmc_ingest_new(const ksmc_ingest_opts *o, char *err, size_t errlen);

/* Runs every stream until ksmc_ingest_stop. Returns 0, or -1 if curl failed fatally. */
int ksmc_ingest_run(ksmc_ingest *ig);

/* Asks ksmc_ingest_run to return soon (wakes its poll through a pipe). Any thread. */
void ksmc_ingest_stop(ksmc_ingest *ig);

/* Changes the sharding (autosharding): every stream drops its request and relists with
 * the new shard (shard -1 or >= total: keep nothing); each list still replaces its
 * stream's objects atomically, so a scrape sees the old shard's set until the new one is
 * complete, never a mix. The synced flags drop at once and come back as the streams
 * relist. With await_shard, the first call starts the streams. Any thread. */
void ksmc_ingest_set_shard(ksmc_ingest *ig, int32_t shard, int32_t total);

/* Copies the counters of stream s. Any thread. */
void ksmc_ingest_stats(ksmc_ingest *ig, size_t s, ksmc_stream_stats *out);

/* True once stream s (or, for ksmc_ingest_all_synced, every stream) completed a first
 * full list. Any thread. */
bool ksmc_ingest_synced(ksmc_ingest *ig, size_t s);
bool ksmc_ingest_all_synced(ksmc_ingest *ig);

/* Number of streams. */
size_t ksmc_ingest_nstreams(const ksmc_ingest *ig);

/* Frees everything (after ksmc_ingest_run returned). */
void ksmc_ingest_free(ksmc_ingest *ig);

#endif
