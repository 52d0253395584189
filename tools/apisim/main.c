/* apisim: a Kubernetes API server simulator for tests and benchmarks. See --help. */
#include "apisim.h"
#include "http.h"

#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char HELP[] =
    "usage: apisim [options]\n"
    "\n"
    "A Kubernetes API server simulator for tests and benchmarks: discovery, LIST\n"
    "(limit/continue, selectors), WATCH (bookmarks, sendInitialEvents), GET/POST/PUT/PATCH/\n"
    "DELETE and server-side Tables, for v1 pods, nodes, namespaces, services, configmaps,\n"
    "secrets, PVCs, PVs, events; apps/v1 deployments, replicasets, statefulsets, daemonsets;\n"
    "batch/v1 jobs, cronjobs. The real kubectl works against it. Synthetic clusters are\n"
    "realistic (owners, volumes, every pod phase and container state, managedFields).\n"
    "\n"
    "Cluster:\n"
    "  --nodes N             synthetic nodes (default 0: only namespaces exist)\n"
    "  --pods-per-node M     pods per node, including 3 DaemonSet pods when M >= 10 (default 0)\n"
    "  --namespaces K        application namespaces besides default/kube-* (default 10)\n"
    "  --seed S              generator seed; same flags + seed => same objects (default 1)\n"
    "  --churn-rate R        pod creates/updates/deletes per second (default 0)\n"
    "  --epoch T             synthetic creation times lie in the 40 days before unix time T\n"
    "                        (default 1793491200 = 2026-11-01T00:00:00Z; fixed so output is\n"
    "                        byte-identical across runs)\n"
    "\n"
    "Server:\n"
    "  --port P              port on --address; 0 picks a free one (default 0). The first\n"
    "                        stdout line is always `apisim: listening on http(s)://ADDR:PORT`\n"
    "  --address A           IPv4 address to bind (default 127.0.0.1)\n"
    "  --tls                 serve HTTPS; generates a CA and server cert with `openssl`\n"
    "  --tls-dir DIR         where generated ca.crt/server.crt/server.key go (default mkdtemp)\n"
    "  --tls-cert F --tls-key F   use these PEM files instead of generating\n"
    "  --token T             require `Authorization: Bearer T` on API paths (not /_sim)\n"
    "  --kube-minor N        minor in /version (default 32; the gcloud kubectl dispatcher\n"
    "                        picks its bundled kubectl from it)\n"
    "  --history N           watch events kept per resource (default 100000)\n"
    "  --history-seconds T   and for at most T seconds (default 300)\n"
    "  --continue-ttl T      continue tokens expire after T seconds (default 300)\n"
    "  --bookmark-interval T seconds between BOOKMARKs on watches that allow them (default 60)\n"
    "  --no-gzip             never gzip (default: gzip LIST/GET bodies > 128 KiB when asked)\n"
    "  --faults SPEC         initial faults, same syntax as POST /_sim/faults, e.g.\n"
    "                        'watch_close_events=100&error_code=503&error_count=3'\n"
    "  --crd GROUP/VERSION/PLURAL:KIND[:cluster]   also serve this custom resource\n"
    "                        (namespaced unless :cluster; repeatable), empty until objects\n"
    "                        are created (POST or kubectl apply), e.g.\n"
    "                        --crd cert-manager.io/v1/certificates:Certificate\n"
    "  --quiet               no per-request log lines on stderr\n"
    "  --help                this text\n"
    "\n"
    "Control endpoints (no auth, never faulted):\n"
    "  GET  /_sim/objects?resource=pods|all[&namespace=NS][&file=PATH]  current objects as\n"
    "                        NDJSON with kind/apiVersion, all kinds at one resourceVersion\n"
    "                        (header X-Apisim-Resource-Version); file= writes them there\n"
    "  GET  /_sim/stats      counters (JSON)\n"
    "  GET  /_sim/faults     fault switches (JSON)\n"
    "  POST /_sim/faults?k=v&k=v  (or the same k=v&k=v as the body; reset=1 clears all)\n"
    "      watch_close_events=N    end each new watch cleanly after N events\n"
    "      watch_close_seconds=T   end each new watch cleanly after T seconds\n"
    "      watch_gone_start=K      next K watches get 200 + one ERROR 410 event (-1: all)\n"
    "      watch_gone_after=N      each new watch: ERROR 410 after N events, then end\n"
    "      watch_truncate_after=N  each new watch: after N events send half an event and\n"
    "                              cut the connection\n"
    "      watch_malformed_after=N each new watch: after N events one malformed line\n"
    "      expire_continue=K       next K continue tokens answer 410 Expired (-1: all)\n"
    "      error_code=C error_count=K retry_after=S   next K API requests answer C\n"
    "                              (429/500/503/504) with Retry-After: S\n"
    "      stall_ms=MS stall_count=K  next K API requests wait MS before answering\n"
    "  POST /_sim/compact    forget all watch history and continue tokens (410 for older RVs)\n"
    "  POST /_sim/churn?rate=R   change the churn rate\n"
    "  POST /_sim/churn/record?n=N   record N churn operations plus the events that bring\n"
    "                        the pods back to where they were: a cycle for replay. Answers\n"
    "                        {n, events, creates, updates, deletes, closing, noopsDropped,\n"
    "                        bytes, pods, resourceVersion, seconds}; needs churn stopped\n"
    "  POST /_sim/churn/replay?rate=R[&cycles=K][&verify=1]  push the recorded cycle's\n"
    "                        events again and again with fresh resourceVersions at R events/s\n"
    "                        (1 ms steps, nothing re-built: for benchmarks); K > 0 stops\n"
    "                        after K cycles; rate=0 stops. LIST/GET follow the events but\n"
    "                        show the recorded resourceVersions. Any other pod write\n"
    "                        invalidates the recording. verify=1: look every pod up instead\n"
    "                        of using the slot resolved at record time and count wrong\n"
    "                        slots (replayVerifyMismatches in /_sim/stats; docs/apisim.md)\n"
    "\n"
    "Example:\n"
    "  apisim --nodes 1000 --pods-per-node 30 --port 6443 &\n"
    "  kubectl --server=http://127.0.0.1:6443 --cache-dir=$(mktemp -d) get pods -A\n";

static int parse_args(apisim_config *c, int argc, char **argv) {
  enum {
    O_NODES = 1000,
    O_PPN,
    O_NS,
    O_SEED,
    O_CHURN,
    O_PORT,
    O_ADDR,
    O_TLS,
    O_TLSDIR,
    O_CERT,
    O_KEY,
    O_TOKEN,
    O_MINOR,
    O_HIST,
    O_HISTS,
    O_CTTL,
    O_BM,
    O_NOGZ,
    O_FAULTS,
    O_QUIET,
    O_HELP,
    O_EPOCH,
    O_CRD
  };
  static const struct option opts[] = {{"nodes", 1, 0, O_NODES},
                                       {"pods-per-node", 1, 0, O_PPN},
                                       {"namespaces", 1, 0, O_NS},
                                       {"seed", 1, 0, O_SEED},
                                       {"churn-rate", 1, 0, O_CHURN},
                                       {"port", 1, 0, O_PORT},
                                       {"address", 1, 0, O_ADDR},
                                       {"tls", 0, 0, O_TLS},
                                       {"tls-dir", 1, 0, O_TLSDIR},
                                       {"tls-cert", 1, 0, O_CERT},
                                       {"tls-key", 1, 0, O_KEY},
                                       {"token", 1, 0, O_TOKEN},
                                       {"kube-minor", 1, 0, O_MINOR},
                                       {"history", 1, 0, O_HIST},
                                       {"history-seconds", 1, 0, O_HISTS},
                                       {"continue-ttl", 1, 0, O_CTTL},
                                       {"bookmark-interval", 1, 0, O_BM},
                                       {"no-gzip", 0, 0, O_NOGZ},
                                       {"faults", 1, 0, O_FAULTS},
                                       {"quiet", 0, 0, O_QUIET},
                                       {"help", 0, 0, O_HELP},
                                       {"epoch", 1, 0, O_EPOCH},
                                       {"crd", 1, 0, O_CRD},
                                       {0, 0, 0, 0}};
  int o;
  while ((o = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
    switch (o) {
    case O_NODES:
      c->nodes = atol(optarg);
      break;
    case O_PPN:
      c->pods_per_node = atol(optarg);
      break;
    case O_NS:
      c->namespaces = atol(optarg);
      break;
    case O_SEED:
      c->seed = strtoull(optarg, NULL, 10);
      break;
    case O_CHURN:
      c->churn_rate = strtod(optarg, NULL);
      break;
    case O_PORT:
      c->port = atoi(optarg);
      break;
    case O_ADDR:
      c->address = optarg;
      break;
    case O_TLS:
      c->tls = true;
      break;
    case O_TLSDIR:
      c->tls_dir = optarg;
      break;
    case O_CERT:
      c->tls_cert = optarg;
      c->tls = true;
      break;
    case O_KEY:
      c->tls_key = optarg;
      c->tls = true;
      break;
    case O_TOKEN:
      c->token = optarg;
      break;
    case O_MINOR:
      c->kube_minor = atoi(optarg);
      break;
    case O_HIST:
      c->history = atol(optarg);
      break;
    case O_HISTS:
      c->history_seconds = atoi(optarg);
      break;
    case O_CTTL:
      c->continue_ttl = atoi(optarg);
      break;
    case O_BM:
      c->bookmark_interval = atoi(optarg);
      break;
    case O_NOGZ:
      c->no_gzip = true;
      break;
    case O_FAULTS:
      c->faults = optarg;
      break;
    case O_EPOCH:
      c->epoch = strtoll(optarg, NULL, 10);
      break;
    case O_QUIET:
      c->quiet = true;
      break;
    case O_CRD: {
      char err[400];
      if (!kinds_add_crd(optarg, err, sizeof err)) {
        fprintf(stderr, "apisim: %s\n", err);
        return -1;
      }
      break;
    }
    case 'h':
    case O_HELP:
      fputs(HELP, stdout);
      exit(0);
    default:
      fputs("apisim: see --help\n", stderr);
      return -1;
    }
  }
  if (optind < argc) {
    fprintf(stderr, "apisim: unexpected argument '%s'; see --help\n", argv[optind]);
    return -1;
  }
  if (c->nodes < 0 || c->pods_per_node < 0 || c->namespaces < 0 || c->port < 0 || c->port > 65535) {
    fputs("apisim: counts and port must be non-negative; see --help\n", stderr);
    return -1;
  }
  return 0;
}

int main(int argc, char **argv) {
  apisim *sim = calloc(1, sizeof *sim);
  if (!sim) return 1;
  apisim_config *c = &sim->cfg;
  c->address = "127.0.0.1";
  c->namespaces = 10;
  c->seed = 1;
  c->kube_minor = 32;
  c->history = 100000;
  c->history_seconds = 300;
  c->continue_ttl = 300;
  c->bookmark_interval = 60;
  c->epoch = 1793491200; /* 2026-11-01T00:00:00Z */
  kinds_init();
  if (parse_args(c, argc, argv) != 0) return 2;
  if (c->bookmark_interval <= 0) c->bookmark_interval = 60;

  /* all threads inherit a mask with SIGINT/SIGTERM blocked; main waits for them */
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);

  faults_init(&sim->faults);
  char err[300];
  if (faults_apply(&sim->faults, c->faults, err, sizeof err)) {
    fprintf(stderr, "apisim: --faults: %s\n", err);
    return 2;
  }
  store_init(&sim->st, (size_t)c->history, c->history_seconds, c->continue_ttl);
  sim->churn_rate = c->churn_rate;
  pthread_mutex_init(&sim->churn_mu, NULL);
  pthread_cond_init(&sim->replay.wake, NULL);
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  synth_cluster(sim);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  if (c->tls && tls_prepare(sim) != 0) return 1;
  if (http_start(sim) != 0) return 1;
  printf("apisim: listening on %s://%s:%d\n", c->tls ? "https" : "http", c->address, sim->port);
  if (c->tls && sim->tls_dir_buf[0] && !c->tls_cert)
    printf("apisim: tls ca %s/ca.crt cert %s/server.crt\n", sim->tls_dir_buf, sim->tls_dir_buf);
  fflush(stdout);
  {
    size_t np = 0, nn = 0;
    pthread_mutex_lock(&sim->st.mu);
    np = sim->st.k[kind_by_resource("pods")].n;
    nn = sim->st.k[kind_by_resource("nodes")].n;
    pthread_mutex_unlock(&sim->st.mu);
    fprintf(stderr,
            "apisim: %zu nodes, %zu pods generated in %.2fs (seed %llu), resourceVersion %llu\n",
            nn, np, (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
            (unsigned long long)c->seed, (unsigned long long)sim->st.rv);
  }
  pthread_t churn, replay;
  pthread_create(&churn, NULL, churn_main, sim);
  pthread_create(&replay, NULL, replay_main, sim);

  int sig = 0;
  sigwait(&set, &sig);
  fprintf(stderr, "apisim: signal %d, shutting down\n", sig);
  atomic_store(&sim->stopping, true);
  pthread_mutex_lock(&sim->st.mu);
  store_wake_all_locked(&sim->st);
  pthread_cond_broadcast(&sim->replay.wake);
  pthread_mutex_unlock(&sim->st.mu);
  pthread_join(churn, NULL);
  pthread_join(replay, NULL);
  http_stop(sim);
  for (size_t i = 0; i < sim->replay.n; i++) event_release(&sim->replay.ev[i]);
  free(sim->replay.ev);
  free(sim->replay.slot);
  pthread_cond_destroy(&sim->replay.wake);
  pthread_mutex_destroy(&sim->churn_mu);
  store_destroy(&sim->st);
  free(sim->cert_pem);
  free(sim->key_pem);
  pthread_mutex_destroy(&sim->faults.mu);
  free(sim);
  return 0;
}
