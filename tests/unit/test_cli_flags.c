/* Tests of KSM-compatible flag parsing: every flag in both forms, booleans, lists,
 * errors and exit codes, conflicts, --help/--version, the family filter and resource
 * resolution (with fake kinds). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ksmc_flags.h"
#include "ktest.h"

typedef struct {
  ksmc_config cfg;
  int rc;
  char *out, *err;
} run;

/* Parses a NULL-terminated argument list (argv[0] added). */
static run parse_v(const char *const *args) {
  run r;
  char *argv[64] = {"ksmc"};
  int argc = 1;
  while (*args) argv[argc++] = (char *)*args++;
  size_t on, en;
  FILE *out = open_memstream(&r.out, &on), *err = open_memstream(&r.err, &en);
  r.rc = ksmc_flags_parse(&r.cfg, argc, argv, out, err);
  fclose(out);
  fclose(err);
  return r;
}

#define PARSE(...) parse_v((const char *const[]){__VA_ARGS__, NULL})

static void done(run *r) {
  ksmc_config_free(&r->cfg);
  free(r->out);
  free(r->err);
}

/* Asserts a usage error (exit 2) whose message contains `want`. */
static void expect_error(run r, const char *want) {
  CU_ASSERT_EQUAL(r.rc, KSMC_EXIT_USAGE);
  if (!strstr(r.err, want)) fprintf(stderr, "\n  want error ~ %s\n  got %s", want, r.err);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.err, want));
  done(&r);
}

static void test_defaults(void) {
  run r = parse_v((const char *const[]){NULL});
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  ksmc_config *c = &r.cfg;
  CU_ASSERT_EQUAL(c->resources.n + c->namespaces.n + c->metric_allowlist.n, 0);
  CU_ASSERT_STRING_EQUAL(c->host, "::");
  CU_ASSERT_STRING_EQUAL(c->telemetry_host, "::");
  CU_ASSERT_EQUAL(c->port, 8080);
  CU_ASSERT_EQUAL(c->telemetry_port, 8081);
  CU_ASSERT_EQUAL(c->shard, 0);
  CU_ASSERT_EQUAL(c->total_shards, 1);
  CU_ASSERT_FALSE(c->enable_gzip);
  CU_ASSERT_FALSE(c->use_apiserver_cache);
  CU_ASSERT_PTR_NULL(c->kubeconfig);
  CU_ASSERT_PTR_NULL(c->node);
  CU_ASSERT_EQUAL(c->log_level, KSMC_LOG_INFO);
  CU_ASSERT_EQUAL(c->server_timeout_sec, 60);
  CU_ASSERT_EQUAL(c->header_timeout_sec, 5);
  CU_ASSERT_STRING_EQUAL(r.err, "");
  CU_ASSERT_EQUAL(ksmc_ndefault_resources, 32);
  done(&r);
}

/* Every value flag, once as --flag=value and once as --flag value. */
static void check_all(run r) {
  ksmc_config *c = &r.cfg;
  CU_ASSERT_EQUAL_FATAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL(c->resources.n, 2);
  CU_ASSERT_STRING_EQUAL(c->resources.v[1], "nodes");
  CU_ASSERT_STRING_EQUAL(c->metric_denylist.v[0], "^kube_pod_info$");
  CU_ASSERT_STRING_EQUAL(c->metric_opt_in_list.v[0], "kube_pod_nodeselectors");
  CU_ASSERT_STRING_EQUAL(c->metric_labels_allowlist, "pods=[app,team]");
  CU_ASSERT_EQUAL(c->labels_allow.n, 1);
  CU_ASSERT_STRING_EQUAL(c->metric_annotations_allowlist, "*=[*]");
  CU_ASSERT_EQUAL(c->annotations_allow.n, 1);
  CU_ASSERT_EQUAL(c->namespaces.n, 2);
  CU_ASSERT_STRING_EQUAL(c->namespaces.v[0], "b");
  CU_ASSERT_STRING_EQUAL(c->namespaces_denylist.v[0], "kube-system");
  CU_ASSERT_STRING_EQUAL(c->node, "node-1");
  CU_ASSERT_EQUAL(c->shard, 2);
  CU_ASSERT_EQUAL(c->total_shards, 3);
  CU_ASSERT_STRING_EQUAL(c->kubeconfig, "/k/config");
  CU_ASSERT_STRING_EQUAL(c->context, "kind-kind");
  CU_ASSERT_STRING_EQUAL(c->apiserver, "https://10.0.0.1:6443");
  CU_ASSERT_TRUE(c->use_apiserver_cache);
  CU_ASSERT_STRING_EQUAL(c->host, "127.0.0.1");
  CU_ASSERT_EQUAL(c->port, 9090);
  CU_ASSERT_STRING_EQUAL(c->telemetry_host, "0.0.0.0");
  CU_ASSERT_EQUAL(c->telemetry_port, 0);
  CU_ASSERT_TRUE(c->enable_gzip);
  CU_ASSERT_EQUAL(c->log_level, KSMC_LOG_DEBUG);
  CU_ASSERT_EQUAL(c->server_timeout_sec, 90);
  done(&r);
}

static void test_every_flag_both_forms(void) {
  check_all(PARSE("--resources=pods,nodes", "--metric-denylist=^kube_pod_info$",
                  "--metric-opt-in-list=kube_pod_nodeselectors",
                  "--metric-labels-allowlist=pods=[app,team]",
                  "--metric-annotations-allowlist=*=[*]", "--namespaces=b,a",
                  "--namespaces-denylist=kube-system", "--node=node-1", "--shard=2",
                  "--total-shards=3", "--kubeconfig=/k/config", "--context=kind-kind",
                  "--apiserver=https://10.0.0.1:6443", "--use-apiserver-cache", "--host=127.0.0.1",
                  "--port=9090", "--telemetry-host=0.0.0.0", "--telemetry-port=0",
                  "--enable-gzip-encoding", "--log-level=debug", "--server-write-timeout=1m30s"));
  check_all(PARSE("--resources", "pods,nodes", "--metric-denylist", "^kube_pod_info$",
                  "--metric-opt-in-list", "kube_pod_nodeselectors", "--metric-labels-allowlist",
                  "pods=[app,team]", "--metric-annotations-allowlist", "*=[*]", "--namespaces",
                  "b,a", "--namespaces-denylist", "kube-system", "--node", "node-1", "--shard", "2",
                  "--total-shards", "3", "--kubeconfig", "/k/config", "--context", "kind-kind",
                  "--apiserver", "https://10.0.0.1:6443", "--use-apiserver-cache=true", "--host",
                  "127.0.0.1", "--port", "9090", "--telemetry-host", "0.0.0.0", "--telemetry-port",
                  "0", "--enable-gzip-encoding=T", "--log-level", "debug", "--server-idle-timeout",
                  "90s"));
  run r = PARSE("--metric-allowlist", "kube_pod_.*", "--metric-allowlist=x");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL(r.cfg.metric_allowlist.n, 2);
  done(&r);
  r = PARSE("--tls-config=/etc/ksmc/web.yml", "--web-bearer-token-file", "/t/token");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_STRING_EQUAL(r.cfg.tls_config, "/etc/ksmc/web.yml");
  CU_ASSERT_STRING_EQUAL(r.cfg.web_token_file, "/t/token");
  done(&r);
  r = PARSE("--server-read-header-timeout=2s");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL(r.cfg.header_timeout_sec, 2);
  CU_ASSERT_EQUAL(r.cfg.server_timeout_sec, 60);
  CU_ASSERT_STRING_EQUAL(r.err, "");
  done(&r);
}

/* --server-max-connections[-per-ip]: defaults, values, range checks. */
static void test_connection_limits(void) {
  run r = PARSE("--port=1");
  CU_ASSERT_EQUAL(r.cfg.max_connections, 1024);
  CU_ASSERT_EQUAL(r.cfg.max_connections_per_ip, 0); /* ksmc_http: max / 4 + 1 */
  done(&r);
  r = PARSE("--server-max-connections=64", "--server-max-connections-per-ip", "8");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL(r.cfg.max_connections, 64);
  CU_ASSERT_EQUAL(r.cfg.max_connections_per_ip, 8);
  done(&r);
  r = PARSE("--server-max-connections=5", "--server-max-connections-per-ip=5");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  done(&r);
  expect_error(PARSE("--server-max-connections=0"),
               "ksmc: --server-max-connections=0 must be in [1, 1000000]");
  expect_error(PARSE("--server-max-connections=1000001"), "must be in [1, 1000000]");
  expect_error(PARSE("--server-max-connections=many"),
               "invalid value \"many\" for --server-max-connections: want an integer");
  expect_error(PARSE("--server-max-connections=10", "--server-max-connections-per-ip=11"),
               "--server-max-connections-per-ip=11 must be in [1, --server-max-connections=10]");
  expect_error(PARSE("--server-max-connections-per-ip=-1"),
               "--server-max-connections-per-ip=-1 must be in");
  r = PARSE("--help");
  CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "--server-max-connections=n"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "--server-max-connections-per-ip=n"));
  done(&r);
}

static void test_booleans(void) {
  static const struct {
    const char *arg;
    int want;
  } t[] = {{"--enable-gzip-encoding", 1},       {"--enable-gzip-encoding=true", 1},
           {"--enable-gzip-encoding=1", 1},     {"--enable-gzip-encoding=TRUE", 1},
           {"--enable-gzip-encoding=false", 0}, {"--enable-gzip-encoding=0", 0},
           {"--enable-gzip-encoding=F", 0},     {"--enable-gzip-encoding=False", 0}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
    run r = PARSE(t[i].arg);
    CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
    CU_ASSERT_EQUAL(r.cfg.enable_gzip, t[i].want);
    done(&r);
  }
  /* A boolean never takes the next argument: "false" is then a stray argument. */
  expect_error(PARSE("--enable-gzip-encoding", "false"), "unexpected argument \"false\"");
  expect_error(PARSE("--use-apiserver-cache=yes"),
               "invalid value \"yes\" for --use-apiserver-cache: want true or false");
  run r = PARSE("--enable-gzip-encoding", "--enable-gzip-encoding=false");
  CU_ASSERT_FALSE(r.cfg.enable_gzip); /* last wins */
  done(&r);
}

static void test_lists(void) {
  run r = PARSE("--namespaces= a , ,b", "--namespaces=a", "--resources=pods,,", "--resources",
                " nodes ");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL_FATAL(r.cfg.namespaces.n, 3); /* order kept, duplicates kept (KSM) */
  CU_ASSERT_STRING_EQUAL(r.cfg.namespaces.v[0], "a");
  CU_ASSERT_STRING_EQUAL(r.cfg.namespaces.v[1], "b");
  CU_ASSERT_STRING_EQUAL(r.cfg.namespaces.v[2], "a");
  CU_ASSERT_EQUAL_FATAL(r.cfg.resources.n, 2);
  CU_ASSERT_STRING_EQUAL(r.cfg.resources.v[1], "nodes");
  done(&r);
  r = PARSE("--namespaces=", "--host=", "--", NULL);
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL(r.cfg.namespaces.n, 0);
  CU_ASSERT_STRING_EQUAL(r.cfg.host, "");
  done(&r);
}

static void test_errors(void) {
  run r = PARSE("--foo=1");
  CU_ASSERT_EQUAL(r.rc, 2);
  CU_ASSERT_STRING_EQUAL(r.err, "ksmc: unknown flag --foo (see ksmc --help)\n");
  done(&r);
  expect_error(PARSE("--port"), "flag needs an argument: --port");
  expect_error(PARSE("--port=70000"), "invalid value \"70000\" for --port");
  expect_error(PARSE("--port=http"), "invalid value \"http\" for --port");
  expect_error(PARSE("--shard=x"), "invalid value \"x\" for --shard: want an integer");
  expect_error(PARSE("--shard=3", "--total-shards=3"),
               "--shard=3 must be in [0, --total-shards=3)");
  expect_error(PARSE("--shard=-1"), "--shard=-1 must be in");
  expect_error(PARSE("--total-shards=0"), "--total-shards must be at least 1");
  expect_error(PARSE("--metric-allowlist=a", "--metric-denylist=b"),
               "--metric-allowlist and --metric-denylist are mutually exclusive");
  expect_error(PARSE("--metric-denylist=*_pod_info"),
               "invalid regex \"*_pod_info\" in --metric-denylist");
  expect_error(PARSE("--metric-opt-in-list=(?:x)"), "in --metric-opt-in-list");
  expect_error(PARSE("--metric-labels-allowlist=pods=app"), "invalid --metric-labels-allowlist");
  expect_error(PARSE("--log-level=loud"), "invalid value \"loud\" for --log-level");
  expect_error(PARSE("--server-write-timeout=soon"), "want a duration");
  expect_error(PARSE("pods"), "unexpected argument \"pods\"");
  expect_error(PARSE("-x"), "unknown shorthand flag -x");
  expect_error(PARSE("--", "x"), "unexpected argument \"x\"");
  expect_error(PARSE("--pod=ksm-0"), "--pod and --pod-namespace go together");
  expect_error(PARSE("--pod-namespace=kube-system"), "--pod and --pod-namespace go together");
  expect_error(PARSE("--pod=ksm-0", "--pod-namespace=m", "--shard=0"),
               "--pod (autosharding) and --shard/--total-shards (static sharding) are mutually "
               "exclusive");
  expect_error(PARSE("--total-shards=1", "--pod=ksm-0", "--pod-namespace=m"),
               "are mutually exclusive");
  expect_error(PARSE("--custom-resource-state-only"),
               "--custom-resource-state-only is not supported");
}

static void test_autosharding_flags(void) {
  run r = PARSE("--pod=ksmc-1", "--pod-namespace", "monitoring");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_STRING_EQUAL(r.cfg.pod, "ksmc-1");
  CU_ASSERT_STRING_EQUAL(r.cfg.pod_namespace, "monitoring");
  CU_ASSERT_FALSE(r.cfg.shard_flags_set);
  done(&r);
  r = PARSE("--track-unscheduled-pods");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_TRUE(r.cfg.track_unscheduled_pods);
  done(&r);
  expect_error(PARSE("--track-unscheduled-pods", "--node=n1"),
               "--track-unscheduled-pods and --node are mutually exclusive");
  r = PARSE("--shard=1", "--total-shards=2");
  CU_ASSERT_TRUE(r.cfg.shard_flags_set);
  CU_ASSERT_PTR_NULL(r.cfg.pod);
  done(&r);
}

static void test_help_version_ignored(void) {
  run r = PARSE("--help");
  CU_ASSERT_EQUAL(r.rc, 0);
  const char *want[] = {"Usage: ksmc [flags]",
                        "What is exported:",
                        "Which objects:",
                        "API server:",
                        "Serving:",
                        "--port=n",
                        "Default: 8080.",
                        "--metric-denylist=regexes",
                        "Compatibility notes:",
                        "ECMAScript"};
  for (size_t i = 0; i < sizeof want / sizeof want[0]; i++)
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, want[i]));
  done(&r);
  r = PARSE("-h");
  CU_ASSERT_EQUAL(r.rc, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "Usage: ksmc"));
  done(&r);
  r = PARSE("--port=1", "--version");
  CU_ASSERT_EQUAL(r.rc, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "ksmc "));
  done(&r);
  r = PARSE("--help=false");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  done(&r);
  r = PARSE("--auto-gomemlimit", "--v=2", "--auto-gomemlimit-ratio", "0.9");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "warning: --auto-gomemlimit has no effect"));
  CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "warning: --v has no effect"));
  done(&r);
}

/* ---- families and resources ---- */

static const ksmc_family_desc pod_fams[] = {
    {.name = "kube_pod_info"},
    {.name = "kube_pod_status_ready"},
    {.name = "kube_pod_status_ready_time"},
    {.name = "kube_pod_nodeselectors", .opt_in = true},
};
static const ksmc_kind_desc pods = {.resource = "pods", .families = pod_fams, .nfamilies = 4};
static const ksmc_kind_desc nodes = {.resource = "nodes", .families = pod_fams, .nfamilies = 1};
static const ksmc_kind_desc roles = {.resource = "roles", .families = pod_fams, .nfamilies = 1};
static const ksmc_kind_desc *const kinds[] = {&roles, &pods, &nodes};

static void expect_families(run r, int a, int b, int c, int d) {
  CU_ASSERT_EQUAL_FATAL(r.rc, KSMC_FLAGS_RUN);
  int got[4];
  for (int i = 0; i < 4; i++) got[i] = ksmc_config_family_enabled(&r.cfg, &pod_fams[i]);
  CU_ASSERT(got[0] == a && got[1] == b && got[2] == c && got[3] == d);
  if (!(got[0] == a && got[1] == b && got[2] == c && got[3] == d))
    fprintf(stderr, "\n  got %d%d%d%d want %d%d%d%d\n", got[0], got[1], got[2], got[3], a, b, c, d);
  done(&r);
}

static void test_family_filter(void) {
  expect_families(PARSE("--resources=pods"), 1, 1, 1, 0);
  /* unanchored search: _ready also keeps _ready_time */
  expect_families(PARSE("--metric-allowlist=kube_pod_status_ready"), 0, 1, 1, 0);
  expect_families(PARSE("--metric-allowlist=^kube_pod_status_ready$"), 0, 1, 0, 0);
  expect_families(PARSE("--metric-denylist=ready, info"), 0, 0, 0, 0);
  expect_families(PARSE("--metric-opt-in-list=nodeselectors"), 1, 1, 1, 1);
  /* opt-in AND allow/deny */
  expect_families(PARSE("--metric-opt-in-list=nodeselectors", "--metric-denylist=node"), 1, 1, 1,
                  0);
  expect_families(PARSE("--metric-opt-in-list=.*", "--metric-allowlist=kube_(pod|x)_info"), 1, 0, 0,
                  0);
}

static void test_resolve(void) {
  run r = PARSE("--metric-denylist=info");
  ksmc_enabled_kind *ek;
  size_t n;
  CU_ASSERT_EQUAL(ksmc_config_resolve(&r.cfg, kinds, 3, &ek, &n, stderr), KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL_FATAL(n, 2); /* roles is not a KSM default */
  CU_ASSERT_PTR_EQUAL(ek[0].kind, &nodes);
  CU_ASSERT_PTR_EQUAL(ek[1].kind, &pods);
  CU_ASSERT_FALSE(ek[1].family_enabled[0]);
  CU_ASSERT_TRUE(ek[1].family_enabled[1]);
  CU_ASSERT_FALSE(ek[1].family_enabled[3]);
  ksmc_enabled_kinds_free(ek, n);
  done(&r);
  r = PARSE("--resources=roles,pods,roles");
  CU_ASSERT_EQUAL(ksmc_config_resolve(&r.cfg, kinds, 3, &ek, &n, stderr), KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL_FATAL(n, 2);
  CU_ASSERT_PTR_EQUAL(ek[0].kind, &pods);
  CU_ASSERT_PTR_EQUAL(ek[1].kind, &roles);
  ksmc_enabled_kinds_free(ek, n);
  done(&r);
  r = PARSE("--resources=pods,secrets,bogus");
  char *msg;
  size_t mn;
  FILE *err = open_memstream(&msg, &mn);
  CU_ASSERT_EQUAL(ksmc_config_resolve(&r.cfg, kinds, 3, &ek, &n, err), KSMC_EXIT_USAGE);
  fclose(err);
  CU_ASSERT_PTR_NOT_NULL(strstr(msg, "unknown resource \"secrets\" in --resources (a KSM resource "
                                     "not compiled into this ksmc)"));
  free(msg);
  done(&r);
}

/* --ingest-nice: default 0 (off), range 0-19. */
static void test_ingest_nice(void) {
  run r = PARSE("--port=1");
  CU_ASSERT_EQUAL(r.cfg.ingest_nice, 0);
  done(&r);
  r = PARSE("--ingest-nice=5");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL(r.cfg.ingest_nice, 5);
  done(&r);
  r = PARSE("--ingest-nice", "19");
  CU_ASSERT_EQUAL(r.rc, KSMC_FLAGS_RUN);
  CU_ASSERT_EQUAL(r.cfg.ingest_nice, 19);
  done(&r);
  expect_error(PARSE("--ingest-nice=20"), "ksmc: --ingest-nice=20 must be in [0, 19]");
  expect_error(PARSE("--ingest-nice=-1"), "ksmc: --ingest-nice=-1 must be in [0, 19]");
}

static const ktest_case cases[] = {{"defaults", test_defaults},
                                   {"ingest nice", test_ingest_nice},
                                   {"every flag, both forms", test_every_flag_both_forms},
                                   {"booleans", test_booleans},
                                   {"connection limits", test_connection_limits},
                                   {"lists", test_lists},
                                   {"errors and exit codes", test_errors},
                                   {"autosharding flags", test_autosharding_flags},
                                   {"help, version, ignored flags", test_help_version_ignored},
                                   {"family filter (allow/deny/opt-in)", test_family_filter},
                                   {"resource resolution", test_resolve},
                                   {0}};

KTEST_MAIN("cli_flags", cases)
