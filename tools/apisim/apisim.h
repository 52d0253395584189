/* apisim: the one context struct every module works on (no global mutable state). */
#ifndef APISIM_H
#define APISIM_H

#include "rng.h"
#include "store.h"
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct {
  const char *address;
  int port;
  long nodes, pods_per_node, namespaces;
  uint64_t seed;
  double churn_rate;
  bool tls;
  const char *tls_cert, *tls_key, *tls_dir;
  const char *token;
  bool quiet;
  long history;
  int history_seconds;
  int continue_ttl;
  int bookmark_interval;
  int kube_minor;
  bool no_gzip;
  const char *faults; /* initial fault spec */
  long long epoch;    /* synthetic timestamps are before this (unix seconds) */
} apisim_config;

/* Fault injection switches; guarded by faults.mu. A count of -1 means "every time". */
typedef struct {
  pthread_mutex_t mu;
  long watch_close_events;    /* end each watch cleanly after N events */
  long watch_close_seconds;   /* end each watch cleanly after T seconds */
  long watch_gone_start;      /* next K watches: 200 + one ERROR 410 event */
  long watch_gone_after;      /* each watch: after N events send ERROR 410 and end */
  long watch_truncate_after;  /* each watch: after N events send half an event, cut the TCP */
  long watch_malformed_after; /* each watch: after N events send one malformed line */
  long expire_continue;       /* next K continue tokens are answered 410 Expired */
  long error_code, error_count, retry_after; /* next K API requests get error_code */
  long stall_ms, stall_count;                /* next K API requests sleep stall_ms first */
  long list_cut;        /* next K LIST responses: half the body, then the connection is cut */
  long gzip_corrupt;    /* next K gzip LIST responses: corrupted deflate data or CRC trailer */
  long list_not_a_list; /* next K LISTs: 200 with the group-version's APIResourceList */
  long fired;           /* how many faults were injected */
} apisim_faults;

typedef struct {
  atomic_ullong requests, lists, gets, writes, watches, watches_active, watch_events, bytes_sent,
      gzip_responses, errors_4xx, errors_5xx, faults_injected, churn_creates, churn_updates,
      churn_deletes;
} apisim_stats;

/* Recorded cyclic replay of pod churn (replay.c), guarded by st.mu. */
typedef struct {
  event *ev;    /* the recorded cycle s0 -> s0 */
  size_t *slot; /* per event: index of its pod in st.k[pods].v just before it (resolved at
                   record time; every cycle starts from the same array) */
  bool verify;  /* replay by key lookup and compare with slot (replay?verify=1) */
  unsigned long long slot_misses;       /* slots that did not hold (then looked up) */
  unsigned long long verify_mismatches; /* verify mode: slots that would have been wrong */
  size_t n, pos;                        /* its length; the next event to replay */
  bool valid;             /* false: none recorded, or pods were written outside the replay */
  double rate;            /* events per second; 0: stopped */
  unsigned long long gen; /* bumped on every rate change: the pacer starts over */
  unsigned long long cycles_left; /* stop after this many more cycle ends (0: never) */
  uint64_t writes;                /* st.k[pods].writes after the last recorded or replayed event */
  unsigned long long replayed, cycles; /* events replayed, whole cycles completed */
  unsigned long long creates, updates, deletes, noops, closing; /* of the recording */
  size_t bytes; /* JSON bytes of the objects one cycle's events carry */
  double record_seconds;
  unsigned long long recordings;
  pthread_cond_t wake; /* the replay thread waits here while stopped */
} apisim_replay;

typedef struct apisim {
  apisim_config cfg;
  store st;
  apisim_faults faults;
  apisim_stats stats;
  atomic_bool stopping;
  double churn_rate;        /* guarded by st.mu */
  pthread_mutex_t churn_mu; /* held while churn operations run (live churn or a recording) */
  apisim_replay replay;
  uint64_t churn_rng;
  uint64_t churn_seq;
  void *daemon;
  int port;
  char *cert_pem, *key_pem;
  char tls_dir_buf[256];
  jarena scratch; /* synth: reused per generated object */
  /* Simulated API server restarts (POST /_sim/restart): a bump of restart_gen cuts every
   * open watch and LIST stream and every connection made before it on its next request;
   * until down_until_ms (CLOCK_MONOTONIC) every new API request has its connection closed. */
  atomic_uint restart_gen;
  atomic_llong down_until_ms;
  atomic_ullong restarts;
} apisim;

/* faults.c */
void faults_init(apisim_faults *f);
/* Applies "k=v&k=v" (or separated by ',' / whitespace). Returns NULL or an error. */
const char *faults_apply(apisim_faults *f, const char *spec, char *err, size_t errn);
void faults_json(apisim_faults *f, ksmc_buf *b);
/* Takes one unit of a counted fault; returns true if it fires. */
bool fault_take(apisim_faults *f, long *counter);

/* Simulates an API server restart: every open watch and LIST is cut, older connections are
 * closed on their next request, new API requests are refused for down_ms. rv_jump > 0
 * advances the resourceVersion by that much (objects keep theirs); compact drops all watch
 * history and continue tokens so resuming clients get 410. Objects are kept. */
void faults_restart(apisim *sim, long down_ms, unsigned long long rv_jump, bool compact);
/* True while a simulated restart keeps the API down. */
bool faults_down(apisim *sim);
/* Monotonic milliseconds. */
long long faults_now_ms(void);

/* synth.c */
void synth_cluster(apisim *sim);
/* Parses one generated object (JSON text), adds the managedFields an API server would
 * write (spec_mgr owns metadata+spec at t1, status_mgr owns status at t2) and stores it;
 * a duplicate name is skipped. */
void synth_insert(apisim *sim, int kind, ksmc_buf *text, const char *spec_mgr,
                  const char *status_mgr, const char *t1, const char *t2);
/* synth_infra.c */
/* StorageClasses, IngressClasses, a Lease per node plus leader-election Leases,
 * NetworkPolicies and the odd ReplicationController in the given namespaces. */
void synth_infra(apisim *sim, const char *const *nodes, long nn, const char *const *namespaces,
                 long nns);
/* The CSI VolumeAttachment of PersistentVolume pv on node (deterministic from pv). */
void synth_volumeattachment(apisim *sim, const char *pv, const char *node, time_t created);
/* synth_policy.c */
/* The PodDisruptionBudget of a replicated workload (deterministic from ns/app). */
void synth_pdb(apisim *sim, const char *ns, const char *app, int replicas, time_t created);
/* Admission webhook configurations of common add-ons and the kubelets' recent
 * CertificateSigningRequests (issued, one pending, one denied). */
void synth_admission(apisim *sim, const char *const *nodes, long nn);
/* synth_batch.c */
/* One to three CronJobs per namespace (schedules in several time zones, suspended ones,
 * never-run ones, running jobs) and one with a schedule that does not parse. */
void synth_cronjobs(apisim *sim, const char *const *namespaces, long nns);
/* synth_hpa.c */
/* Maybe (deterministic from ns/name: half of the Deployments, a quarter of the
 * StatefulSets) a HorizontalPodAutoscaler of workload ns/name of the given kind
 * ("Deployment" or "StatefulSet") with its replicas and app container's cpu (milli) and
 * memory (MiB) requests. */
void synth_hpa(apisim *sim, const char *ns, const char *kind, const char *name, int replicas,
               int cpu_m, int mem_mi, time_t created);
/* churn.c */
void *churn_main(void *arg);
/* One live-churn operation on a random pod (create a sibling, update, or delete); the
 * caller holds churn_mu. */
void churn_step(apisim *sim, rng *r, int pods);
/* replay.c */
/* Records a cycle of n churn operations plus the closing events back to the state before
 * (see replay.c). Appends the JSON answer (or nothing) to out; returns an HTTP status. */
int replay_record(apisim *sim, long n, ksmc_buf *out, char *err, size_t errn);
/* Starts (rate > 0, optionally for `cycles` cycle ends) or stops (rate 0) the replay.
 * verify: replay by key lookup (the slow path) and count the events whose resolved slot
 * would have been wrong (replayVerifyMismatches in /_sim/stats; tests). */
int replay_set_rate(apisim *sim, double rate, unsigned long long cycles, bool verify, ksmc_buf *out,
                    char *err, size_t errn);
void *replay_main(void *arg);
/* tls.c */
int tls_prepare(apisim *sim);

#endif
