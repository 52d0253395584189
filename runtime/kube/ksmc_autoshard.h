/* ksmc_autoshard: KSM's automatic sharding (--pod/--pod-namespace) for a StatefulSet.
 *
 * As kube-state-metrics does (pkg/metricshandler): ksmc GETs its own pod, follows the
 * ownerReference of kind StatefulSet, takes its shard ordinal from the pod name
 * (strings.TrimPrefix(pod, statefulset + "-") parsed as an integer) and the total from the
 * StatefulSet's spec.replicas (1 when unset), then watches that one StatefulSet
 * (fieldSelector metadata.name=<name>) and reports every change of replicas, so the
 * exporter re-shards. A pod whose ordinal is >= replicas (being scaled down) exports
 * nothing rather than doubling another shard's objects.
 *
 * The pure parts (ordinal, owner, replicas, the re-shard decision) are separate functions
 * for unit tests; ksmc_autoshard_start runs the controller on its own thread with its own
 * curl handle and its own copy of the API server configuration (token files are re-read
 * per configuration, which is not thread-safe to share). */
#ifndef KSMC_AUTOSHARD_H
#define KSMC_AUTOSHARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_kubeconfig.h"
#include "ksmc_log.h"

/* Parses the ordinal of pod `pod` of StatefulSet `sts`: pod must be "<sts>-<digits>" with
 * a value in [0, INT32_MAX]. Returns true and sets *ordinal, else false. */
bool ksmc_autoshard_ordinal(const char *pod, const char *sts, int32_t *ordinal);

/* Finds the StatefulSet owning the pod whose JSON is json[0..len): the first entry of
 * metadata.ownerReferences with kind "StatefulSet" and an apiVersion of group apps
 * ("apps/v1"). Copies its name (NUL-terminated, at most cap-1 bytes) and returns true;
 * false when there is none, the name does not fit or the JSON is malformed. */
bool ksmc_autoshard_owner(const char *json, size_t len, char *name, size_t cap);

/* spec.replicas of a StatefulSet's JSON; absent or null means 1 (the API default).
 * Returns false (and leaves *replicas) if it is not an integer in [0, INT32_MAX]. */
bool ksmc_autoshard_replicas(const char *json, size_t len, int32_t *replicas);

/* The sharding a replica applies, and what it last applied. */
typedef struct {
  int32_t ordinal;  /* from the pod name, fixed for the pod's life */
  int32_t replicas; /* last spec.replicas applied; -1 before the first */
  int32_t shard;    /* the shard to export: ordinal, or -1 (nothing) when ordinal >= replicas */
  int32_t total;    /* total shards: replicas */
} ksmc_autoshard_state;

/* Initialises st for a pod with this ordinal: nothing applied yet. */
void ksmc_autoshard_state_init(ksmc_autoshard_state *st, int32_t ordinal);

/* Feeds a StatefulSet's spec.replicas (>= 0). Returns true when the exporter must
 * (re)shard to st->shard of st->total — the first value, or a changed one — and false
 * when nothing changed. */
bool ksmc_autoshard_decide(ksmc_autoshard_state *st, int32_t replicas);

/* Called from the controller thread with the new sharding (shard -1: export nothing). */
typedef void (*ksmc_autoshard_fn)(void *user, const ksmc_autoshard_state *st);
typedef void (*ksmc_autoshard_log_fn)(void *user, ksmc_log_level level, const char *line);

typedef struct {
  ksmc_kube_config_opts config; /* loaded again by the controller: its own copy */
  const char *pod;              /* --pod */
  const char *pod_namespace;    /* --pod-namespace */
  ksmc_autoshard_fn on_change;
  void *user;
  ksmc_autoshard_log_fn log; /* or NULL */
  void *log_user;
  ksmc_log_level log_level;
  long backoff_init_ms; /* retry delays; 0: 800 ms doubling up to 30 s (client-go's) */
  long backoff_max_ms;
} ksmc_autoshard_opts;

typedef struct ksmc_autoshard ksmc_autoshard;

/* Loads the configuration and starts the controller thread: it resolves the pod's
 * StatefulSet and ordinal (retrying with backoff and a log line per failure: a pod that
 * is not owned by a StatefulSet, or a name without an ordinal, is logged as an error and
 * retried), calls on_change with the first sharding, then on every change of
 * spec.replicas. Returns NULL with a message in err if the configuration cannot be
 * loaded or the thread not started. */
ksmc_autoshard *ksmc_autoshard_start(const ksmc_autoshard_opts *o, char *err, size_t errlen);

/* Stops the controller (aborts its request within about a second), joins and frees it.
 * NULL is a no-op. */
void ksmc_autoshard_stop(ksmc_autoshard *a);

#endif
