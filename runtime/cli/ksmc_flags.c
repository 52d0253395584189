/* kube-state-metrics' flags; see ksmc_flags.h. One table describes every flag (name,
 * kind, destination, help group, default, help); parsing, validation and --help are
 * driven by it. */
#include "ksmc_flags.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#ifndef KSMC_VERSION
#define KSMC_VERSION "0.1.0-dev"
#endif

const char *const ksmc_default_resources[] = {"certificatesigningrequests",
                                              "configmaps",
                                              "cronjobs",
                                              "daemonsets",
                                              "deployments",
                                              "endpointslices",
                                              "horizontalpodautoscalers",
                                              "ingresses",
                                              "jobs",
                                              "leases",
                                              "limitranges",
                                              "mutatingadmissionpolicies",
                                              "mutatingadmissionpolicybindings",
                                              "mutatingwebhookconfigurations",
                                              "namespaces",
                                              "networkpolicies",
                                              "nodes",
                                              "persistentvolumeclaims",
                                              "persistentvolumes",
                                              "poddisruptionbudgets",
                                              "pods",
                                              "replicasets",
                                              "replicationcontrollers",
                                              "resourcequotas",
                                              "secrets",
                                              "services",
                                              "statefulsets",
                                              "storageclasses",
                                              "validatingadmissionpolicies",
                                              "validatingadmissionpolicybindings",
                                              "validatingwebhookconfigurations",
                                              "volumeattachments"};
const size_t ksmc_ndefault_resources =
    sizeof ksmc_default_resources / sizeof ksmc_default_resources[0];

typedef enum {
  F_STR,        /* char*, last wins */
  F_LIST,       /* ksmc_strlist, comma list, repeated flags append */
  F_RAW,        /* char*, raw text kept (allowlists), last wins */
  F_INT,        /* int */
  F_PORT,       /* int 0..65535 */
  F_BOOL,       /* bool */
  F_LOGLEVEL,   /* ksmc_log_level */
  F_DURATION,   /* int seconds from a Go duration ("1m", "90s", "1m30s") */
  F_HELP,       /* --help */
  F_VERSION,    /* --version */
  F_IGNORE,     /* KSM flag without effect in ksmc: warning */
  F_IGNORE_B,   /* the same, boolean */
  F_UNSUPPORTED /* KSM flag ksmc cannot honour: error with a hint */
} flag_kind;

typedef struct {
  const char *name;
  flag_kind kind;
  size_t off; /* into ksmc_config */
  const char *group;
  const char *metavar;
  const char *def; /* default shown in --help */
  const char *help;
} flag_def;

#define O(field) offsetof(ksmc_config, field)
#define G_SEL "What is exported"
#define G_OBJ "Which objects"
#define G_API "API server"
#define G_SRV "Serving"
#define G_GEN "General"

static const flag_def flags[] = {
    {"resources", F_LIST, O(resources), G_SEL, "list", "KSM's 32 default resources",
     "Comma-separated resources to export, e.g. pods,nodes. Unknown names are an error.\n"
     "Compiled custom resources (specs/custom/, e.g. certificates) are exported only\n"
     "when named here (docs/custom-resources.md)."},
    {"metric-allowlist", F_LIST, O(metric_allowlist), G_SEL, "regexes", "",
     "Comma-separated regexes; export only families whose name matches one. Unanchored:\n"
     "'kube_pod_info' also keeps kube_pod_info_x; anchor with ^...$ for exact names.\n"
     "Mutually exclusive with --metric-denylist."},
    {"metric-denylist", F_LIST, O(metric_denylist), G_SEL, "regexes", "",
     "Comma-separated regexes; drop families whose name matches one (unanchored)."},
    {"metric-opt-in-list", F_LIST, O(metric_opt_in_list), G_SEL, "regexes", "",
     "Comma-separated regexes enabling opt-in families (off by default), e.g.\n"
     "kube_pod_nodeselectors. Still subject to the allow/deny list."},
    {"metric-labels-allowlist", F_RAW, O(metric_labels_allowlist), G_SEL, "spec", "",
     "Kubernetes labels exported as label_* on kube_<resource>_labels, per resource:\n"
     "'pods=[app,team],nodes=[*]' or '*=[*]'. Default: none."},
    {"metric-annotations-allowlist", F_RAW, O(metric_annotations_allowlist), G_SEL, "spec", "",
     "The same for annotations (annotation_* on kube_<resource>_annotations)."},
    {"namespaces", F_LIST, O(namespaces), G_OBJ, "list", "all namespaces",
     "Comma-separated namespaces to watch; one list/watch per namespace, written in this\n"
     "order (a namespace listed twice is exported twice, as in KSM)."},
    {"namespaces-denylist", F_LIST, O(namespaces_denylist), G_OBJ, "list", "",
     "Comma-separated namespaces to skip (server-side metadata.namespace!= selectors)."},
    {"node", F_STR, O(node), G_OBJ, "name", "",
     "Export only pods scheduled on this node (spec.nodeName field selector), for\n"
     "per-node DaemonSet deployments. Other resources are not filtered."},
    {"track-unscheduled-pods", F_BOOL, O(track_unscheduled_pods), G_OBJ, NULL, "false",
     "Export only pods not scheduled on any node (field selector spec.nodeName=), to\n"
     "complete per-node --node DaemonSets. Other resources are not filtered. Excludes --node."},
    {"shard", F_INT, O(shard), G_OBJ, "n", "0", "This instance's shard ordinal (0-based)."},
    {"total-shards", F_INT, O(total_shards), G_OBJ, "n", "1",
     "Number of shards. An object belongs to shard jump_hash(fnv64a(uid), total),\n"
     "exactly like KSM, so ksmc and KSM shards can be mixed."},
    {"pod", F_STR, O(pod), G_OBJ, "name", "",
     "Autosharding (KSM's): this pod's name, from the downward API (POD_NAME). ksmc reads\n"
     "the pod, its owning StatefulSet gives the total (spec.replicas) and the name's\n"
     "ordinal suffix the shard; when replicas change it re-shards (relists, /readyz 503\n"
     "until done). Needs --pod-namespace; excludes --shard/--total-shards. RBAC: get\n"
     "pods and get/watch that StatefulSet in the pod's namespace."},
    {"pod-namespace", F_STR, O(pod_namespace), G_OBJ, "name", "",
     "The namespace of --pod, from the downward API (POD_NAMESPACE)."},
    {"kubeconfig", F_STR, O(kubeconfig), G_API, "path", "in-cluster config",
     "Path to a kubeconfig file."},
    {"context", F_STR, O(context), G_API, "name", "current-context",
     "Kubeconfig context to use (ksmc extension)."},
    {"apiserver", F_STR, O(apiserver), G_API, "url", "",
     "API server URL, overriding the kubeconfig or in-cluster server."},
    {"use-apiserver-cache", F_BOOL, O(use_apiserver_cache), G_API, NULL, "false",
     "LIST with resourceVersion=0 (served from the API server's watch cache)."},
    {"ingest-nice", F_INT, O(ingest_nice), G_API, "n", "0",
     "ksmc extension: once every resource has been listed, the thread that reads the\n"
     "watches and renders their events raises its nice value by n (0-19; 0: off), so\n"
     "that /metrics requests never wait behind event processing for a CPU; events\n"
     "that wait are applied right after the scrape. The initial sync runs at full\n"
     "priority. For a ksmc whose CPU limit is saturated; e.g. 5."},
    {"host", F_STR, O(host), G_SRV, "addr",
     "::", "Address of the main listener (/metrics, /healthz, /livez). '::' also accepts IPv4."},
    {"port", F_PORT, O(port), G_SRV, "n", "8080", "Port of the main listener."},
    {"telemetry-host", F_STR, O(telemetry_host), G_SRV, "addr",
     "::", "Address of the telemetry listener (self-metrics, /readyz)."},
    {"telemetry-port", F_PORT, O(telemetry_port), G_SRV, "n", "8081",
     "Port of the telemetry listener."},
    {"enable-gzip-encoding", F_BOOL, O(enable_gzip), G_SRV, NULL, "false",
     "Gzip /metrics when the client sends Accept-Encoding: gzip (zlib level 1)."},
    {"server-write-timeout", F_DURATION, O(server_timeout_sec), G_SRV, "duration", "1m",
     "Close connections idle for this long (stalled scrapers)."},
    {"server-read-timeout", F_DURATION, O(server_timeout_sec), G_SRV, "duration", "1m",
     "Accepted for KSM compatibility; sets the same idle timeout."},
    {"server-idle-timeout", F_DURATION, O(server_timeout_sec), G_SRV, "duration", "1m",
     "Accepted for KSM compatibility; sets the same idle timeout."},
    {"server-read-header-timeout", F_DURATION, O(header_timeout_sec), G_SRV, "duration", "5s",
     "A connection must deliver its request headers (and finish its TLS handshake)\n"
     "this long after it is accepted, or it is closed (slowloris protection)."},
    {"server-max-connections", F_INT, O(max_connections), G_SRV, "n", "1024",
     "ksmc extension: connections served at once per listener (1-1000000). A band of\n"
     "n/8 + 8 more is accepted only to answer 503 with Retry-After: 1; beyond that new\n"
     "connections are closed at accept. Each connection holds a file descriptor and up\n"
     "to 320 KiB: ksmc warns at start when both listeners' connections could exceed the\n"
     "open-files limit (ulimit -n)."},
    {"server-max-connections-per-ip", F_INT, O(max_connections_per_ip), G_SRV, "n",
     "--server-max-connections / 4 + 1",
     "ksmc extension: connections one client address may hold per listener (1 to\n"
     "--server-max-connections); the excess is closed at accept, so one address cannot\n"
     "fill the listener. 0: the default."},
    {"tls-config", F_STR, O(tls_config), G_SRV, "path", "",
     "Web config file like KSM's (Prometheus exporter-toolkit format): HTTPS with\n"
     "tls_server_config (cert_file, key_file, client_auth_type, client_ca_file,\n"
     "min_version), basic_auth_users (bcrypt hashes), http_server_config.headers.\n"
     "Both listeners; certificates and users reload when the files change."},
    {"web-bearer-token-file", F_STR, O(web_token_file), G_SRV, "path", "",
     "ksmc extension: also accept 'Authorization: Bearer <token>' with the token in\n"
     "this file (one line; reloaded on change), on both listeners."},
    {"log-level", F_LOGLEVEL, O(log_level), G_GEN, "level", "info",
     "One of debug, info, warn, error."},
    {"help", F_HELP, 0, G_GEN, NULL, NULL, "Show this help (also -h)."},
    {"version", F_VERSION, 0, G_GEN, NULL, NULL, "Print the version."},
    /* KSM flags that change nothing in ksmc: accepted with a warning. */
    {"auto-gomemlimit", F_IGNORE_B, 0, NULL, NULL, NULL, NULL},
    {"auto-gomemlimit-ratio", F_IGNORE, 0, NULL, NULL, NULL, NULL},
    {"v", F_IGNORE, 0, NULL, NULL, NULL, NULL},
    {"logtostderr", F_IGNORE_B, 0, NULL, NULL, NULL, NULL},
    {"alsologtostderr", F_IGNORE_B, 0, NULL, NULL, NULL, NULL},
    /* KSM flags ksmc cannot honour: refusing beats exporting something else. */
    {"custom-resource-state-config", F_UNSUPPORTED, 0, NULL, NULL, NULL,
     "custom resource metrics are compiled from specs in ksmc"},
    {"custom-resource-state-config-file", F_UNSUPPORTED, 0, NULL, NULL, NULL,
     "custom resource metrics are compiled from specs in ksmc"},
    {"custom-resource-state-only", F_UNSUPPORTED, 0, NULL, NULL, NULL,
     "custom resource metrics are compiled from specs in ksmc"},
    {"config", F_UNSUPPORTED, 0, NULL, NULL, NULL, "pass the options as flags"},
    {"auth-filter", F_UNSUPPORTED, 0, NULL, NULL, NULL, "protect the endpoints in front of ksmc"},
};
#define NFLAGS (sizeof flags / sizeof flags[0])

/* ---- helpers ---- */

static int usage_error(FILE *err, const char *fmt, const char *a, const char *b) {
  fputs("ksmc: ", err);
  fprintf(err, fmt, a, b);
  fputs(" (see ksmc --help)\n", err);
  return KSMC_EXIT_USAGE;
}

static void *field(ksmc_config *cfg, const flag_def *f) { return (char *)cfg + f->off; }

static bool set_str(char **dst, const char *v) {
  char *s = strdup(v);
  if (!s) return false;
  free(*dst);
  *dst = s;
  return true;
}

static bool list_push(ksmc_strlist *l, const char *p, size_t n) {
  char **v = realloc(l->v, (l->n + 1) * sizeof *v);
  if (!v) return false;
  l->v = v;
  if (!(v[l->n] = strndup(p, n))) return false;
  l->n++;
  return true;
}

/* Appends the comma-separated, trimmed, non-empty items of s (KSM's Set methods). */
static bool list_add(ksmc_strlist *l, const char *s) {
  for (const char *p = s; p;) {
    const char *comma = strchr(p, ',');
    size_t n = comma ? (size_t)(comma - p) : strlen(p);
    const char *q = p;
    while (n && isspace((unsigned char)*q)) q++, n--;
    while (n && isspace((unsigned char)q[n - 1])) n--;
    if (n && !list_push(l, q, n)) return false;
    p = comma ? comma + 1 : NULL;
  }
  return true;
}

static void list_free(ksmc_strlist *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

/* Go's strconv.ParseBool. */
static int parse_bool(const char *v) {
  static const char *const t[] = {"1", "t", "T", "TRUE", "true", "True"};
  static const char *const f[] = {"0", "f", "F", "FALSE", "false", "False"};
  for (size_t i = 0; i < 6; i++) {
    if (strcmp(v, t[i]) == 0) return 1;
    if (strcmp(v, f[i]) == 0) return 0;
  }
  return -1;
}

static bool parse_int(const char *v, long lo, long hi, int *out) {
  char *end;
  errno = 0;
  long x = strtol(v, &end, 10);
  if (!*v || *end || errno || x < lo || x > hi) return false;
  *out = (int)x;
  return true;
}

/* A Go duration ("90s", "1m30s", "1.5h", "500ms") in whole seconds (at least 1). */
static bool parse_duration(const char *v, int *out) {
  static const struct {
    const char *unit;
    double sec;
  } units[] = {{"ns", 1e-9}, {"us", 1e-6}, {"µs", 1e-6}, {"ms", 1e-3},
               {"s", 1},     {"m", 60},    {"h", 3600}};
  double total = 0;
  if (strcmp(v, "0") == 0) return (*out = 0, true);
  if (!*v) return false;
  while (*v) {
    char *end;
    double x = strtod(v, &end);
    if (end == v || x < 0) return false;
    size_t k = 0;
    for (; k < sizeof units / sizeof units[0]; k++) {
      size_t n = strlen(units[k].unit);
      if (strncmp(end, units[k].unit, n) == 0 && !(n == 1 && end[1] == 's')) break;
    }
    if (k == sizeof units / sizeof units[0]) return false;
    total += x * units[k].sec;
    v = end + strlen(units[k].unit);
  }
  if (total > INT_MAX) return false;
  *out = total > 0 && total < 1 ? 1 : (int)total;
  return true;
}

static const flag_def *find_flag(const char *name, size_t n) {
  for (size_t i = 0; i < NFLAGS; i++)
    if (strlen(flags[i].name) == n && strncmp(flags[i].name, name, n) == 0) return &flags[i];
  return NULL;
}

static bool takes_value(const flag_def *f) {
  return f->kind != F_BOOL && f->kind != F_HELP && f->kind != F_VERSION && f->kind != F_IGNORE_B;
}

/* ---- applying one flag ---- */

static int set_log_level(ksmc_config *cfg, const char *v, FILE *err) {
  static const char *const names[] = {"error", "warn", "info", "debug"}; /* ksmc_log_level */
  for (int i = 0; i < 4; i++)
    if (strcmp(v, names[i]) == 0) return (cfg->log_level = (ksmc_log_level)i, KSMC_FLAGS_RUN);
  if (strcmp(v, "warning") == 0) return (cfg->log_level = KSMC_LOG_WARN, KSMC_FLAGS_RUN);
  return usage_error(err, "invalid value \"%s\" for --log-level: want debug, info, warn or error%s",
                     v, "");
}

static int nomem(FILE *err) {
  fputs("ksmc: out of memory\n", err);
  return 1;
}

/* Applies a value-taking flag. Returns KSMC_FLAGS_RUN or an exit code. */
static int apply_value(ksmc_config *cfg, const flag_def *f, const char *v, FILE *err) {
  switch (f->kind) {
  case F_STR:
  case F_RAW:
    return set_str(field(cfg, f), v) ? KSMC_FLAGS_RUN : nomem(err);
  case F_LIST:
    return list_add(field(cfg, f), v) ? KSMC_FLAGS_RUN : nomem(err);
  case F_INT:
    if (f->off == O(shard) || f->off == O(total_shards)) cfg->shard_flags_set = true;
    if (parse_int(v, INT_MIN, INT_MAX, field(cfg, f))) return KSMC_FLAGS_RUN;
    return usage_error(err, "invalid value \"%s\" for --%s: want an integer", v, f->name);
  case F_PORT:
    if (parse_int(v, 0, 65535, field(cfg, f))) return KSMC_FLAGS_RUN;
    return usage_error(err, "invalid value \"%s\" for --%s: want a port number 0-65535", v,
                       f->name);
  case F_DURATION:
    if (parse_duration(v, field(cfg, f))) return KSMC_FLAGS_RUN;
    return usage_error(err, "invalid value \"%s\" for --%s: want a duration like 60s or 1m", v,
                       f->name);
  case F_LOGLEVEL:
    return set_log_level(cfg, v, err);
  case F_IGNORE:
    fprintf(err, "ksmc: warning: --%s has no effect in ksmc, ignored\n", f->name);
    return KSMC_FLAGS_RUN;
  default:
    return KSMC_FLAGS_RUN;
  }
}

/* Applies a flag without a separate value (booleans, help, version); v is the text
 * after '=' or NULL. */
static int apply_switch(ksmc_config *cfg, const flag_def *f, const char *v, FILE *out, FILE *err) {
  int b = v ? parse_bool(v) : 1;
  if (b < 0)
    return usage_error(err, "invalid value \"%s\" for --%s: want true or false", v, f->name);
  switch (f->kind) {
  case F_BOOL:
    *(bool *)field(cfg, f) = b;
    return KSMC_FLAGS_RUN;
  case F_HELP:
    if (!b) return KSMC_FLAGS_RUN;
    ksmc_flags_usage(out);
    return 0;
  case F_VERSION:
    if (!b) return KSMC_FLAGS_RUN;
    fprintf(out, "ksmc %s (kube-state-metrics compatible)\n", KSMC_VERSION);
    return 0;
  default: /* F_IGNORE_B */
    fprintf(err, "ksmc: warning: --%s has no effect in ksmc, ignored\n", f->name);
    return KSMC_FLAGS_RUN;
  }
}

/* Parses argv[*i] (and maybe argv[*i + 1]). */
static int parse_one(ksmc_config *cfg, int argc, char **argv, int *i, FILE *out, FILE *err) {
  const char *a = argv[*i];
  if (strcmp(a, "-h") == 0) return apply_switch(cfg, find_flag("help", 4), NULL, out, err);
  if (a[0] != '-' || a[1] != '-' || !a[2]) {
    if (a[0] == '-' && a[1] && a[1] != '-')
      return usage_error(err, "unknown shorthand flag %s%s", a, "");
    return usage_error(err, "unexpected argument \"%s\"%s", a, "");
  }
  const char *name = a + 2, *eq = strchr(name, '=');
  size_t n = eq ? (size_t)(eq - name) : strlen(name);
  const flag_def *f = find_flag(name, n);
  if (!f) {
    fprintf(err, "ksmc: unknown flag --%.*s (see ksmc --help)\n", (int)n, name);
    return KSMC_EXIT_USAGE;
  }
  if (f->kind == F_UNSUPPORTED)
    return usage_error(err, "--%s is not supported by ksmc: %s", f->name, f->help);
  if (!takes_value(f)) return apply_switch(cfg, f, eq ? eq + 1 : NULL, out, err);
  if (eq) return apply_value(cfg, f, eq + 1, err);
  if (*i + 1 >= argc) return usage_error(err, "flag needs an argument: --%s%s", f->name, "");
  return apply_value(cfg, f, argv[++*i], err);
}

/* ---- validation ---- */

static int compile_list(ksmc_relist *out, const ksmc_strlist *pats, const char *flag, FILE *err) {
  out->re = calloc(pats->n ? pats->n : 1, sizeof *out->re);
  if (!out->re) return nomem(err);
  for (size_t i = 0; i < pats->n; i++) {
    int rc = regcomp(&out->re[i], pats->v[i], REG_EXTENDED | REG_NOSUB);
    if (rc != 0) {
      char msg[160];
      regerror(rc, &out->re[i], msg, sizeof msg);
      fprintf(err, "ksmc: invalid regex \"%s\" in --%s: %s (see ksmc --help)\n", pats->v[i], flag,
              msg);
      return KSMC_EXIT_USAGE;
    }
    out->n++;
  }
  return KSMC_FLAGS_RUN;
}

static int parse_allowlist(ksmc_allowlist *al, const char *raw, const char *flag, FILE *err) {
  if (!raw || !*raw) return KSMC_FLAGS_RUN;
  char msg[256] = "";
  if (ksmc_allowlist_parse(al, raw, msg, sizeof msg)) return KSMC_FLAGS_RUN;
  fprintf(err, "ksmc: invalid --%s: %s (see ksmc --help)\n", flag, msg);
  return KSMC_EXIT_USAGE;
}

static int validate(ksmc_config *c, FILE *err) {
  int rc;
  if (c->metric_allowlist.n && c->metric_denylist.n)
    return usage_error(err, "--metric-allowlist and --metric-denylist are mutually exclusive%s%s",
                       "", "");
  if (c->total_shards < 1) return usage_error(err, "--total-shards must be at least 1%s%s", "", "");
  if (c->shard < 0 || c->shard >= c->total_shards) {
    fprintf(err, "ksmc: --shard=%d must be in [0, --total-shards=%d) (see ksmc --help)\n", c->shard,
            c->total_shards);
    return KSMC_EXIT_USAGE;
  }
  if (c->pod && c->shard_flags_set)
    return usage_error(err,
                       "--pod (autosharding) and --shard/--total-shards (static sharding) are "
                       "mutually exclusive%s%s",
                       "", "");
  if (c->track_unscheduled_pods && c->node)
    return usage_error(err, "--track-unscheduled-pods and --node are mutually exclusive%s%s", "",
                       "");
  if (c->max_connections < 1 || c->max_connections > 1000000) {
    fprintf(err, "ksmc: --server-max-connections=%d must be in [1, 1000000] (see ksmc --help)\n",
            c->max_connections);
    return KSMC_EXIT_USAGE;
  }
  if (c->ingest_nice < 0 || c->ingest_nice > 19) {
    fprintf(err, "ksmc: --ingest-nice=%d must be in [0, 19] (see ksmc --help)\n", c->ingest_nice);
    return KSMC_EXIT_USAGE;
  }
  if (c->max_connections_per_ip < 0 || c->max_connections_per_ip > c->max_connections) {
    fprintf(err,
            "ksmc: --server-max-connections-per-ip=%d must be in [1, --server-max-connections=%d] "
            "(0: the default) (see ksmc --help)\n",
            c->max_connections_per_ip, c->max_connections);
    return KSMC_EXIT_USAGE;
  }
  if (!c->pod != !c->pod_namespace)
    return usage_error(err, "--pod and --pod-namespace go together: set both (autosharding)%s%s",
                       "", "");
  if ((rc = compile_list(&c->allow_re, &c->metric_allowlist, "metric-allowlist", err)) >= 0 ||
      (rc = compile_list(&c->deny_re, &c->metric_denylist, "metric-denylist", err)) >= 0 ||
      (rc = compile_list(&c->opt_in_re, &c->metric_opt_in_list, "metric-opt-in-list", err)) >= 0)
    return rc;
  if ((rc = parse_allowlist(&c->labels_allow, c->metric_labels_allowlist, "metric-labels-allowlist",
                            err)) >= 0)
    return rc;
  return parse_allowlist(&c->annotations_allow, c->metric_annotations_allowlist,
                         "metric-annotations-allowlist", err);
}

/* ---- entry points ---- */

static bool set_defaults(ksmc_config *c) {
  memset(c, 0, sizeof *c);
  c->total_shards = 1;
  c->port = 8080;
  c->telemetry_port = 8081;
  c->server_timeout_sec = 60;
  c->header_timeout_sec = 5;
  c->max_connections = 1024;
  c->ingest_nice = 0;
  c->log_level = KSMC_LOG_INFO;
  return set_str(&c->host, "::") && set_str(&c->telemetry_host, "::");
}

int ksmc_flags_parse(ksmc_config *cfg, int argc, char **argv, FILE *out, FILE *err) {
  if (!set_defaults(cfg)) return nomem(err);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--") == 0) {
      if (i + 1 < argc) return usage_error(err, "unexpected argument \"%s\"%s", argv[i + 1], "");
      break;
    }
    int rc = parse_one(cfg, argc, argv, &i, out, err);
    if (rc != KSMC_FLAGS_RUN) return rc;
  }
  return validate(cfg, err);
}

static void relist_free(ksmc_relist *r) {
  for (size_t i = 0; i < r->n; i++) regfree(&r->re[i]);
  free(r->re);
  r->re = NULL;
  r->n = 0;
}

void ksmc_config_free(ksmc_config *c) {
  for (size_t i = 0; i < NFLAGS; i++) {
    if (flags[i].kind == F_STR || flags[i].kind == F_RAW) {
      char **s = field(c, &flags[i]);
      free(*s);
      *s = NULL;
    } else if (flags[i].kind == F_LIST) {
      list_free(field(c, &flags[i]));
    }
  }
  relist_free(&c->allow_re);
  relist_free(&c->deny_re);
  relist_free(&c->opt_in_re);
  ksmc_allowlist_free(&c->labels_allow);
  ksmc_allowlist_free(&c->annotations_allow);
}

/* ---- --help ---- */

static void usage_flag(FILE *out, const flag_def *f) {
  fprintf(out, "  --%s%s%s\n      ", f->name, f->metavar ? "=" : "", f->metavar ? f->metavar : "");
  for (const char *p = f->help; *p; p++) fputs(*p == '\n' ? "\n      " : (char[]){*p, 0}, out);
  if (f->def && *f->def) fprintf(out, "\n      Default: %s.", f->def);
  fputc('\n', out);
}

void ksmc_flags_usage(FILE *out) {
  static const char *const groups[] = {G_SEL, G_OBJ, G_API, G_SRV, G_GEN};
  fputs("ksmc: Kubernetes object metrics, a fast drop-in replacement for kube-state-metrics.\n\n"
        "Usage: ksmc [flags]\n\n"
        "Flags have kube-state-metrics' names, defaults and meanings: keep your KSM args.\n"
        "Use --flag=value or --flag value; lists are comma separated and repeating a list\n"
        "flag appends.\n",
        out);
  for (size_t g = 0; g < sizeof groups / sizeof groups[0]; g++) {
    fprintf(out, "\n%s:\n", groups[g]);
    for (size_t i = 0; i < NFLAGS; i++)
      if (flags[i].group && strcmp(flags[i].group, groups[g]) == 0) usage_flag(out, &flags[i]);
  }
  fputs("\nCompatibility notes:\n"
        "  * Regexes are POSIX extended (regcomp), searched unanchored like KSM's. KSM uses\n"
        "    ECMAScript (regexp2) for allow/deny lists and RE2 for the opt-in list: ksmc has\n"
        "    no lookarounds, lazy quantifiers, (?:...) groups or \\d; use [0-9], [[:space:]].\n"
        "  * Accepted and ignored with a warning: --auto-gomemlimit(-ratio), --v,\n"
        "    --logtostderr, --alsologtostderr.\n"
        "  * Refused (exit 2): --custom-resource-state-*, --config, --auth-filter.\n"
        "  * Self-metrics keep KSM's names (kube_state_metrics_list_total, ..._watch_total,\n"
        "    ..._shard_ordinal, ..._total_shards, ..._build_info).\n"
        "\nEndpoints: main listener /metrics /healthz /livez /; telemetry listener /metrics\n"
        "/readyz /. Exit codes: 0 ok, 1 runtime error, 2 usage error.\n",
        out);
}

/* ---- resources and families ---- */

static bool any_match(const ksmc_relist *r, const char *s) {
  for (size_t i = 0; i < r->n; i++)
    if (regexec(&r->re[i], s, 0, NULL, 0) == 0) return true;
  return false;
}

bool ksmc_config_family_enabled(const ksmc_config *cfg, const ksmc_family_desc *f) {
  if (cfg->allow_re.n) {
    if (!any_match(&cfg->allow_re, f->name)) return false;
  } else if (cfg->deny_re.n && any_match(&cfg->deny_re, f->name)) {
    return false;
  }
  return !f->opt_in || any_match(&cfg->opt_in_re, f->name);
}

static const ksmc_kind_desc *kind_named(const ksmc_kind_desc *const *kinds, size_t n,
                                        const char *resource) {
  for (size_t i = 0; i < n; i++)
    if (strcmp(kinds[i]->resource, resource) == 0) return kinds[i];
  return NULL;
}

static bool is_default(const char *resource) {
  for (size_t i = 0; i < ksmc_ndefault_resources; i++)
    if (strcmp(ksmc_default_resources[i], resource) == 0) return true;
  return false;
}

static int cmp_enabled(const void *a, const void *b) {
  return strcmp(((const ksmc_enabled_kind *)a)->kind->resource,
                ((const ksmc_enabled_kind *)b)->kind->resource);
}

/* Adds kind k once; returns false on allocation failure. */
static bool add_kind(const ksmc_config *cfg, ksmc_enabled_kind *v, size_t *n,
                     const ksmc_kind_desc *k) {
  for (size_t i = 0; i < *n; i++)
    if (v[i].kind == k) return true;
  bool *en = malloc(k->nfamilies ? k->nfamilies : 1);
  if (!en) return false;
  for (size_t f = 0; f < k->nfamilies; f++)
    en[f] = ksmc_config_family_enabled(cfg, &k->families[f]);
  v[(*n)++] = (ksmc_enabled_kind){k, en};
  return true;
}

int ksmc_config_resolve(const ksmc_config *cfg, const ksmc_kind_desc *const *kinds, size_t nkinds,
                        ksmc_enabled_kind **out, size_t *nout, FILE *err) {
  *out = NULL;
  *nout = 0;
  size_t cap = cfg->resources.n > nkinds ? cfg->resources.n : nkinds;
  ksmc_enabled_kind *v = calloc(cap ? cap : 1, sizeof *v);
  if (!v) return nomem(err);
  size_t n = 0;
  bool ok = true;
  for (size_t i = 0; ok && i < cfg->resources.n; i++) {
    const ksmc_kind_desc *k = kind_named(kinds, nkinds, cfg->resources.v[i]);
    if (!k) {
      ksmc_enabled_kinds_free(v, n);
      return usage_error(
          err, "unknown resource \"%s\" in --resources%s", cfg->resources.v[i],
          is_default(cfg->resources.v[i]) ? " (a KSM resource not compiled into this ksmc)" : "");
    }
    ok = add_kind(cfg, v, &n, k);
  }
  for (size_t i = 0; ok && !cfg->resources.n && i < nkinds; i++)
    if (is_default(kinds[i]->resource)) ok = add_kind(cfg, v, &n, kinds[i]);
  if (!ok) {
    ksmc_enabled_kinds_free(v, n);
    return nomem(err);
  }
  qsort(v, n, sizeof *v, cmp_enabled);
  *out = v;
  *nout = n;
  return KSMC_FLAGS_RUN;
}

void ksmc_enabled_kinds_free(ksmc_enabled_kind *k, size_t n) {
  for (size_t i = 0; k && i < n; i++) free(k[i].family_enabled);
  free(k);
}
