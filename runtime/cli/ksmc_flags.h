/* ksmc_flags: kube-state-metrics' command line, parsed into one config struct.
 *
 * Flag names, defaults and meanings are KSM's (pkg/options), so a KSM Deployment's args
 * work unchanged. Syntax is pflag's: `--flag=value` or `--flag value`; booleans `--x`,
 * `--x=true|false` (also 1/0/t/f/T/F/TRUE/FALSE/True/False); `--` ends the flags;
 * `-h` is --help. List flags (--resources, --metric-*list, --namespaces...) are comma
 * separated, items trimmed, empty items dropped, and repeating the flag appends.
 *
 * The parser never exits: ksmc_flags_parse returns KSMC_FLAGS_RUN or the exit code for
 * main (0 after --help/--version, 2 for a usage error, with a one-line message naming the
 * flag on `err`). */
#ifndef KSMC_FLAGS_H
#define KSMC_FLAGS_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "ksmc_kind.h"
#include "ksmc_labels.h"
#include "ksmc_log.h"

#define KSMC_FLAGS_RUN (-1)
#define KSMC_EXIT_USAGE 2

/* A list flag's items in command-line order. */
typedef struct {
  char **v;
  size_t n;
} ksmc_strlist;

/* Compiled regexes of a pattern list flag. */
typedef struct {
  regex_t *re;
  size_t n;
} ksmc_relist;

typedef struct {
  /* What is exported */
  ksmc_strlist resources;          /* --resources; empty: KSM's default resources */
  ksmc_strlist metric_allowlist;   /* --metric-allowlist patterns */
  ksmc_strlist metric_denylist;    /* --metric-denylist patterns */
  ksmc_strlist metric_opt_in_list; /* --metric-opt-in-list patterns */
  char *metric_labels_allowlist;   /* raw --metric-labels-allowlist (last wins) */
  char *metric_annotations_allowlist;
  ksmc_allowlist labels_allow; /* parsed forms of the two above */
  ksmc_allowlist annotations_allow;
  ksmc_relist allow_re, deny_re, opt_in_re;
  /* Which objects */
  ksmc_strlist namespaces;          /* --namespaces in order, duplicates kept; empty: all */
  ksmc_strlist namespaces_denylist; /* --namespaces-denylist */
  char *node;                       /* --node: pods with spec.nodeName=<node> */
  bool track_unscheduled_pods;      /* --track-unscheduled-pods: pods with spec.nodeName= */
  int shard;                        /* --shard (default 0) */
  int total_shards;                 /* --total-shards (default 1) */
  bool shard_flags_set;             /* --shard or --total-shards was given */
  char *pod;                        /* --pod: autosharding from this pod's StatefulSet */
  char *pod_namespace;              /* --pod-namespace: the pod's namespace */
  /* API server */
  char *kubeconfig;         /* --kubeconfig; NULL: in-cluster config */
  char *context;            /* --context: kubeconfig context instead of current-context */
  char *apiserver;          /* --apiserver: URL overriding the configured server */
  bool use_apiserver_cache; /* --use-apiserver-cache: LIST with resourceVersion=0 */
  int ingest_nice;          /* --ingest-nice (ksmc extension): ingest thread's nice after sync */
  /* Serving */
  char *host;                 /* --host (default "::") */
  int port;                   /* --port (default 8080) */
  char *telemetry_host;       /* --telemetry-host (default "::") */
  int telemetry_port;         /* --telemetry-port (default 8081) */
  bool enable_gzip;           /* --enable-gzip-encoding */
  int server_timeout_sec;     /* --server-write-timeout etc. (default 60) */
  int header_timeout_sec;     /* --server-read-header-timeout (default 5) */
  int max_connections;        /* --server-max-connections: served per listener (default 1024) */
  int max_connections_per_ip; /* --server-max-connections-per-ip; 0: max_connections / 4 + 1 */
  char *tls_config;           /* --tls-config: web config file (ksmc_webcfg) */
  char *web_token_file;       /* --web-bearer-token-file (ksmc extension) */
  ksmc_log_level log_level;   /* --log-level (default info) */
} ksmc_config;

/* Parses argv[1..argc) into cfg (which it initialises with the defaults; free it with
 * ksmc_config_free whatever the result). --help text and --version go to `out`, errors
 * and warnings to `err`. Returns KSMC_FLAGS_RUN, 0 or KSMC_EXIT_USAGE. */
int ksmc_flags_parse(ksmc_config *cfg, int argc, char **argv, FILE *out, FILE *err);

void ksmc_config_free(ksmc_config *cfg);

/* Prints the --help text. */
void ksmc_flags_usage(FILE *out);

/* KSM's default resources (pkg/options/resource.go DefaultResources), sorted. */
extern const char *const ksmc_default_resources[];
extern const size_t ksmc_ndefault_resources;

/* One resource to export, with its enabled families. */
typedef struct {
  const ksmc_kind_desc *kind;
  bool *family_enabled; /* kind->nfamilies flags, owned */
} ksmc_enabled_kind;

/* Resolves --resources against the compiled kinds: explicit names must all be compiled
 * (else an error naming the resource and exit code 2); no --resources means every
 * compiled kind that KSM enables by default. Computes each kind's families with
 * ksmc_config_family_enabled. Output sorted by resource name, de-duplicated. Returns
 * KSMC_FLAGS_RUN or KSMC_EXIT_USAGE; free with ksmc_enabled_kinds_free. */
int ksmc_config_resolve(const ksmc_config *cfg, const ksmc_kind_desc *const *kinds, size_t nkinds,
                        ksmc_enabled_kind **out, size_t *nout, FILE *err);
void ksmc_enabled_kinds_free(ksmc_enabled_kind *k, size_t n);

/* KSM's family filter: with an allowlist, the family name must match one of its
 * patterns; else with a denylist it must match none; and an opt-in family must also
 * match one --metric-opt-in-list pattern. Matching is an unanchored search (regexec),
 * like KSM's regexp2 MatchString. */
bool ksmc_config_family_enabled(const ksmc_config *cfg, const ksmc_family_desc *f);

#endif
