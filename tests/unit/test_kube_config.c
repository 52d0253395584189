/* kubeconfig and in-cluster configuration: good files load every field; bad ones fail
 * with a message naming the file and the field. */
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ksmc_kubeconfig.h"
#include "ktest.h"

static char dir[64];

static void write_file(const char *name, const char *fmt, ...) {
  char path[256];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(f);
  va_list ap;
  va_start(ap, fmt);
  vfprintf(f, fmt, ap);
  va_end(ap);
  fclose(f);
}

static void make_dir(void) {
  snprintf(dir, sizeof dir, "/tmp/ksmc-kcfg-XXXXXX");
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
}

static void remove_dir(void) {
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  CU_ASSERT_EQUAL(system(cmd), 0);
}

/* Loads DIR/config with an optional context; returns the result, error text in err. */
static int load(const char *context, const char *apiserver, ksmc_kube_config *c, char *err) {
  char path[256];
  snprintf(path, sizeof path, "%s/config", dir);
  ksmc_kube_config_opts o = {.kubeconfig = path, .context = context, .apiserver = apiserver};
  err[0] = 0;
  return ksmc_kube_config_load(&o, c, err, 512);
}

/* Asserts the load fails with "kubeconfig DIR/config: <want>". */
static void expect_error(const char *context, const char *want) {
  ksmc_kube_config c;
  char err[512], full[512];
  snprintf(full, sizeof full, "kubeconfig %s/config: %s", dir, want);
  CU_ASSERT_EQUAL(load(context, NULL, &c, err), -1);
  KTEST_ASSERT_BYTES(err, strlen(err), full);
  ksmc_kube_config_free(&c);
}

#define HEAD                                                                                       \
  "apiVersion: v1\nkind: Config\ncurrent-context: a\n"                                             \
  "contexts:\n- name: a\n  context: {cluster: ca, user: ua, namespace: default}\n"                 \
  "- name: b\n  context:\n    cluster: cb\n    user: ub\n    namespace: monitoring\n"

/* base64 of "CA PEM\n", "CERT PEM\n", "KEY PEM\n" */
#define CA_B64 "Q0EgUEVNCg=="
#define CERT_B64 "Q0VSVCBQRU0K"
#define KEY_B64 "S0VZIFBFTQo="

static void test_token_and_ca_data(void) {
  make_dir();
  write_file("config",
             HEAD "clusters:\n- name: ca\n  cluster:\n    server: https://127.0.0.1:6443/\n"
                  "    certificate-authority-data: " CA_B64 "\n    tls-server-name: kube.local\n"
                  "users:\n- name: ua\n  user:\n    token: abc123\n");
  ksmc_kube_config c;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(load(NULL, NULL, &c, err), 0);
  CU_ASSERT_STRING_EQUAL(c.server, "https://127.0.0.1:6443");
  CU_ASSERT_STRING_EQUAL(c.tls_server_name, "kube.local");
  KTEST_ASSERT_BYTES(c.ca.p, c.ca.n, "CA PEM\n");
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 0), "abc123");
  CU_ASSERT_STRING_EQUAL(c.namespace, "default");
  CU_ASSERT_FALSE(c.insecure);
  CU_ASSERT_EQUAL(c.cert.n, 0);
  CU_ASSERT_PTR_NOT_NULL(strstr(c.source, "context \"a\""));
  ksmc_kube_config_free(&c);
  remove_dir();
}

static void test_relative_paths_and_token_file(void) {
  make_dir();
  CU_ASSERT_EQUAL(system(NULL) != 0, 1);
  char sub[128];
  snprintf(sub, sizeof sub, "%s/pki", dir);
  CU_ASSERT_EQUAL(mkdir(sub, 0700), 0);
  write_file("pki/ca.crt", "CA FILE\n");
  write_file("pki/c.crt", "CERT FILE\n");
  write_file("pki/c.key", "KEY FILE\n");
  write_file("tok", "  first-token\n");
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster:\n    server: https://h:1\n"
                            "    certificate-authority: pki/ca.crt\n"
                            "users:\n- name: ua\n  user:\n    token: static\n    tokenFile: tok\n"
                            "    client-certificate: pki/c.crt\n    client-key: pki/c.key\n");
  ksmc_kube_config c;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(load(NULL, NULL, &c, err), 0);
  KTEST_ASSERT_BYTES(c.ca.p, c.ca.n, "CA FILE\n");
  KTEST_ASSERT_BYTES(c.cert.p, c.cert.n, "CERT FILE\n");
  KTEST_ASSERT_BYTES(c.key.p, c.key.n, "KEY FILE\n");
  char want[256];
  snprintf(want, sizeof want, "%s/tok", dir);
  CU_ASSERT_STRING_EQUAL(c.token_file, want);
  /* the file wins over the static token, and is re-read every 60 s and after a 401 */
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 1000), "first-token");
  write_file("tok", "second-token");
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 60999), "first-token");
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 61000), "second-token");
  write_file("tok", "third-token");
  ksmc_kube_config_token_invalidate(&c);
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 62000), "third-token");
  /* a failed re-read keeps the last good token and says why */
  unlink(want);
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 200000), "third-token");
  CU_ASSERT_PTR_NOT_NULL(strstr(c.token_err, "No such file or directory"));
  ksmc_kube_config_free(&c);
  remove_dir();
}

static void test_context_selection_and_cert_data(void) {
  make_dir();
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster: {server: https://a:1}\n"
                            "- name: cb\n  cluster:\n    server: https://b:2\n"
                            "    insecure-skip-tls-verify: true\n"
                            "    disable-compression: true\n"
                            "users:\n- name: ua\n  user: {token: ta}\n"
                            "- name: ub\n  user:\n    client-certificate-data: " CERT_B64 "\n"
                            "    client-key-data: " KEY_B64 "\n");
  ksmc_kube_config c;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(load("b", NULL, &c, err), 0);
  CU_ASSERT_STRING_EQUAL(c.server, "https://b:2");
  CU_ASSERT_TRUE(c.insecure);
  CU_ASSERT_TRUE(c.disable_compression);
  KTEST_ASSERT_BYTES(c.cert.p, c.cert.n, "CERT PEM\n");
  KTEST_ASSERT_BYTES(c.key.p, c.key.n, "KEY PEM\n");
  CU_ASSERT_PTR_NULL(ksmc_kube_config_token(&c, 0));
  CU_ASSERT_STRING_EQUAL(c.namespace, "monitoring");
  ksmc_kube_config_free(&c);
  /* --apiserver overrides the server, keeps the credentials */
  CU_ASSERT_EQUAL_FATAL(load(NULL, "http://127.0.0.1:9999", &c, err), 0);
  CU_ASSERT_STRING_EQUAL(c.server, "http://127.0.0.1:9999");
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 0), "ta");
  ksmc_kube_config_free(&c);
  remove_dir();
}

static void test_bad_files(void) {
  make_dir();
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster: {server: https://a:1}\n"
                            "users:\n- name: ua\n  user: {token: t}\n");
  expect_error("foo", "context \"foo\" not found (available: a, b)");
  expect_error("b", "cluster \"cb\" (of context \"b\") not found (available: ca)");
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster: {server: https://a:1}\n"
                            "users:\n- name: other\n  user: {token: t}\n");
  expect_error(NULL, "user \"ua\" (of context \"a\") not found (available: other)");
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster:\n    server: https://a:1\n"
                            "    certificate-authority-data: not*base64\n");
  expect_error(NULL, "cluster \"ca\": certificate-authority-data is not valid base64");
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster:\n    server: https://a:1\n"
                            "users:\n- name: ua\n  user:\n    client-key-data: Q0E=x\n");
  expect_error(NULL, "user \"ua\": client-key-data is not valid base64");
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster:\n    insecure-skip-tls-verify: "
                            "true\n");
  expect_error(NULL, "cluster \"ca\": server is not set");
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster:\n    server: https://a:1\n"
                            "    insecure-skip-tls-verify: true\n"
                            "    certificate-authority-data: " CA_B64 "\n");
  expect_error(NULL, "cluster \"ca\": certificate-authority cannot be combined with "
                     "insecure-skip-tls-verify");
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster:\n    server: https://a:1\n"
                            "    certificate-authority: missing.crt\n");
  char want[512];
  snprintf(want, sizeof want,
           "cluster \"ca\": certificate-authority %s/missing.crt: No such file or directory", dir);
  expect_error(NULL, want);
  write_file("config",
             HEAD "clusters:\n- name: ca\n  cluster: {server: https://a:1}\n"
                  "users:\n- name: ua\n  user:\n    client-certificate-data: " CERT_B64 "\n");
  expect_error(NULL, "user \"ua\": client-certificate without client-key");
  write_file("config", HEAD "clusters:\n- name: ca\n  cluster: {server: https://a:1}\n"
                            "users:\n- name: ua\n  user:\n    exec:\n      command: aws\n");
  expect_error(NULL, "user \"ua\": exec is not supported by ksmc (use token, tokenFile or a "
                     "client certificate)");
  write_file("config", "apiVersion: v1\nclusters: []\n");
  expect_error(NULL, "current-context is not set and no --context was given");
  write_file("config", "apiVersion: v1\ncurrent-context: [a\nclusters:\n");
  expect_error(NULL, "YAML error at line 3 column 9: did not find expected ',' or ']'");
  write_file("config", ""); /* an empty file (libyaml asserted on it; found by fuzz_kubeconfig) */
  expect_error(NULL, "not a kubeconfig (the document is not a mapping)");
  write_file("config", "- just\n- a list\n");
  expect_error(NULL, "not a kubeconfig (the document is not a mapping)");
  remove_dir();
  ksmc_kube_config c;
  char err[512];
  ksmc_kube_config_opts o = {.kubeconfig = "/nonexistent/config"};
  CU_ASSERT_EQUAL(ksmc_kube_config_load(&o, &c, err, sizeof err), -1);
  CU_ASSERT_STRING_EQUAL(err, "kubeconfig /nonexistent/config: No such file or directory");
}

static void test_in_cluster(void) {
  make_dir();
  write_file("token", "sa-token-1\n");
  write_file("ca.crt", "CLUSTER CA\n");
  write_file("namespace", "monitoring\n");
  ksmc_kube_config_opts o = {.sa_dir = dir, .service_host = "10.96.0.1", .service_port = "443"};
  ksmc_kube_config c;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(ksmc_kube_config_load(&o, &c, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(c.server, "https://10.96.0.1:443");
  CU_ASSERT_STRING_EQUAL(c.source, "in-cluster");
  KTEST_ASSERT_BYTES(c.ca.p, c.ca.n, "CLUSTER CA\n");
  CU_ASSERT_STRING_EQUAL(c.namespace, "monitoring");
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 5), "sa-token-1");
  write_file("token", "sa-token-2\n"); /* the kubelet rotated it */
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 30000), "sa-token-1");
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 60005), "sa-token-2");
  CU_ASSERT_PTR_NULL(c.warning);
  ksmc_kube_config_free(&c);
  /* IPv6 host, missing CA (a warning, as in client-go), --apiserver override */
  char ca[128];
  snprintf(ca, sizeof ca, "%s/ca.crt", dir);
  unlink(ca);
  o.service_host = "fd00::1";
  CU_ASSERT_EQUAL_FATAL(ksmc_kube_config_load(&o, &c, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(c.server, "https://[fd00::1]:443");
  CU_ASSERT_PTR_NOT_NULL(c.warning);
  ksmc_kube_config_free(&c);
  o.apiserver = "https://override:8443";
  CU_ASSERT_EQUAL_FATAL(ksmc_kube_config_load(&o, &c, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(c.server, "https://override:8443");
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 0), "sa-token-2");
  ksmc_kube_config_free(&c);
  /* no token */
  char tok[128];
  snprintf(tok, sizeof tok, "%s/token", dir);
  unlink(tok);
  o.apiserver = NULL;
  CU_ASSERT_EQUAL(ksmc_kube_config_load(&o, &c, err, sizeof err), -1);
  char want[256];
  snprintf(want, sizeof want, "in-cluster config: token %s/token: No such file or directory", dir);
  CU_ASSERT_STRING_EQUAL(err, want);
  remove_dir();
}

static void test_no_config(void) {
  ksmc_kube_config_opts o = {.service_host = "", .service_port = ""};
  ksmc_kube_config c;
  char err[512];
  CU_ASSERT_EQUAL(ksmc_kube_config_load(&o, &c, err, sizeof err), -1);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "no API server"));
  o.apiserver = "http://127.0.0.1:1234/";
  CU_ASSERT_EQUAL_FATAL(ksmc_kube_config_load(&o, &c, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(c.server, "http://127.0.0.1:1234");
  CU_ASSERT_STRING_EQUAL(c.source, "--apiserver");
  CU_ASSERT_PTR_NULL(ksmc_kube_config_token(&c, 0));
  ksmc_kube_config_free(&c);
}

static void test_base64(void) {
  ksmc_buf b = {0};
  CU_ASSERT_TRUE(ksmc_base64_decode("Zm9vYmFy", 8, &b));
  KTEST_ASSERT_BYTES(b.p, b.n, "foobar");
  ksmc_buf_reset(&b);
  CU_ASSERT_TRUE(ksmc_base64_decode("Zm9v\nYg==", 9, &b));
  KTEST_ASSERT_BYTES(b.p, b.n, "foob");
  ksmc_buf_reset(&b);
  CU_ASSERT_TRUE(ksmc_base64_decode("Zm9vYg", 6, &b));
  KTEST_ASSERT_BYTES(b.p, b.n, "foob");
  CU_ASSERT_FALSE(ksmc_base64_decode("Zm9vY", 5, &b));
  CU_ASSERT_FALSE(ksmc_base64_decode("Zm=9", 4, &b));
  CU_ASSERT_FALSE(ksmc_base64_decode("Zm9v!", 5, &b));
  ksmc_buf_free(&b);
}

/* A ':'-separated list, like $KUBECONFIG: the first file defining a name wins, relative
 * paths resolve against the file that holds them, missing files are skipped. */
static void test_file_list(void) {
  make_dir();
  char sub[128];
  snprintf(sub, sizeof sub, "%s/other", dir);
  CU_ASSERT_EQUAL(mkdir(sub, 0700), 0);
  write_file("config", "current-context: a\n"
                       "contexts:\n- name: a\n  context: {cluster: ca, user: ua}\n"
                       "users:\n- name: ua\n  user: {token: from-first}\n");
  write_file("other/config", "current-context: b\n"
                             "contexts:\n- name: b\n  context: {cluster: ca, user: ub}\n"
                             "- name: a\n  context: {cluster: nope, user: nope}\n"
                             "clusters:\n- name: ca\n  cluster:\n    server: https://s:1\n"
                             "    certificate-authority: ca.crt\n"
                             "users:\n- name: ua\n  user: {token: from-second}\n"
                             "- name: ub\n  user: {token: b-token}\n");
  write_file("other/ca.crt", "OTHER CA\n");
  char list[512];
  snprintf(list, sizeof list, "%s/config:%s/missing:%s/other/config", dir, dir, dir);
  ksmc_kube_config_opts o = {.kubeconfig = list};
  ksmc_kube_config c;
  char err[512];
  CU_ASSERT_EQUAL_FATAL(ksmc_kube_config_load(&o, &c, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(c.server, "https://s:1");
  KTEST_ASSERT_BYTES(c.ca.p, c.ca.n, "OTHER CA\n");
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 0), "from-first");
  ksmc_kube_config_free(&c);
  o.context = "b";
  CU_ASSERT_EQUAL_FATAL(ksmc_kube_config_load(&o, &c, err, sizeof err), 0);
  CU_ASSERT_STRING_EQUAL(ksmc_kube_config_token(&c, 0), "b-token");
  ksmc_kube_config_free(&c);
  o.context = "x";
  char want[1024];
  snprintf(want, sizeof want, "kubeconfig %s: context \"x\" not found (available: a, b, a)", list);
  CU_ASSERT_EQUAL(ksmc_kube_config_load(&o, &c, err, sizeof err), -1);
  CU_ASSERT_STRING_EQUAL(err, want);
  /* a broken file of the list is named */
  write_file("other/config", "current-context: [\n");
  o.context = NULL;
  CU_ASSERT_EQUAL(ksmc_kube_config_load(&o, &c, err, sizeof err), -1);
  snprintf(want, sizeof want, "kubeconfig %s: %s/other/config: YAML error", list, dir);
  CU_ASSERT_EQUAL(strncmp(err, want, strlen(want)), 0);
  /* only missing files */
  snprintf(list, sizeof list, "%s/missing:%s/missing2", dir, dir);
  o.kubeconfig = list;
  CU_ASSERT_EQUAL(ksmc_kube_config_load(&o, &c, err, sizeof err), -1);
  snprintf(want, sizeof want, "kubeconfig %s: none of the files exists", list);
  CU_ASSERT_STRING_EQUAL(err, want);
  remove_dir();
}

static const ktest_case cases[] = {
    {"token and CA data", test_token_and_ca_data},
    {"relative paths, token file", test_relative_paths_and_token_file},
    {"context selection, cert data", test_context_selection_and_cert_data},
    {"bad files", test_bad_files},
    {"in-cluster", test_in_cluster},
    {"no config", test_no_config},
    {"base64", test_base64},
    {"file list", test_file_list},
    {0}};
KTEST_MAIN("kube_config", cases)
