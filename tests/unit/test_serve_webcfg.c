/* The --tls-config web config parser: good files field by field, and each kind of bad
 * file with its exact message (file:line:col). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ksmc_webcfg.h"
#include "ktest.h"

#define HASH_A "$2y$10$QOauhQNbBCuQDKes6eFzPeMqBSjb7Mr5DUmpZ/VcEd00UAV/LDeSi"
#define HASH_B "$2b$12$hNf2lSsxfm0.i4a.1kVpSOVyBCfIB51VRjgBUyv6kdnyTlgWj81Ay"

static bool parse(const char *text, ksmc_webcfg *c, char *err, size_t errlen) {
  return ksmc_webcfg_parse(text, strlen(text), "/etc/ksmc/web.yml", c, err, errlen);
}

static void test_full(void) {
  const char *text = "# exporter-toolkit web config\n"
                     "tls_server_config:\n"
                     "  cert_file: tls/server.crt\n"
                     "  key_file: /abs/server.key\n"
                     "  client_auth_type: RequireAndVerifyClientCert\n"
                     "  client_ca_file: ca.crt\n"
                     "  min_version: TLS13\n"
                     "  max_version: TLS13\n"
                     "  prefer_server_cipher_suites: true\n"
                     "http_server_config:\n"
                     "  http2: false\n"
                     "  headers:\n"
                     "    X-Frame-Options: deny\n"
                     "    Strict-Transport-Security: max-age=31536000\n"
                     "basic_auth_users:\n"
                     "  alice: " HASH_A "\n"
                     "  bob: '" HASH_B "'\n";
  ksmc_webcfg c;
  char err[512] = "";
  CU_ASSERT_TRUE_FATAL(parse(text, &c, err, sizeof err));
  CU_ASSERT_STRING_EQUAL(err, "");
  CU_ASSERT_TRUE(c.tls);
  CU_ASSERT_STRING_EQUAL(c.cert_file, "/etc/ksmc/tls/server.crt");
  CU_ASSERT_STRING_EQUAL(c.key_file, "/abs/server.key");
  CU_ASSERT_STRING_EQUAL(c.client_ca_file, "/etc/ksmc/ca.crt");
  CU_ASSERT_EQUAL(c.client_auth, KSMC_CLIENT_REQUIRE_AND_VERIFY);
  CU_ASSERT_EQUAL(c.min_version, 13);
  CU_ASSERT_EQUAL(c.max_version, 13);
  CU_ASSERT_EQUAL_FATAL(c.nheaders, 2);
  CU_ASSERT_STRING_EQUAL(c.headers[0].name, "X-Frame-Options");
  CU_ASSERT_STRING_EQUAL(c.headers[0].value, "deny");
  CU_ASSERT_STRING_EQUAL(c.headers[1].name, "Strict-Transport-Security");
  CU_ASSERT_STRING_EQUAL(c.headers[1].value, "max-age=31536000");
  CU_ASSERT_EQUAL_FATAL(c.nusers, 2);
  CU_ASSERT_STRING_EQUAL(c.users[0].name, "alice");
  CU_ASSERT_STRING_EQUAL(c.users[0].value, HASH_A);
  CU_ASSERT_STRING_EQUAL(c.users[1].name, "bob");
  CU_ASSERT_STRING_EQUAL(c.users[1].value, HASH_B);
  ksmc_webcfg_free(&c);
}

static void test_minimal(void) {
  ksmc_webcfg c;
  char err[512] = "";
  /* empty file, only comments, empty sections: plain HTTP, no auth */
  const char *empty[] = {"", "# nothing\n", "tls_server_config:\nbasic_auth_users: {}\n", "---\n"};
  for (size_t i = 0; i < 4; i++) {
    CU_ASSERT_TRUE(parse(empty[i], &c, err, sizeof err));
    CU_ASSERT_FALSE(c.tls);
    CU_ASSERT_EQUAL(c.nusers, 0);
    ksmc_webcfg_free(&c);
  }
  /* basic auth without TLS; relative paths from a file in the working directory */
  CU_ASSERT_TRUE(parse("basic_auth_users:\n  u: " HASH_A "\n", &c, err, sizeof err));
  CU_ASSERT_FALSE(c.tls);
  CU_ASSERT_EQUAL(c.nusers, 1);
  ksmc_webcfg_free(&c);
  const char *flow = "tls_server_config: {cert_file: a.crt, key_file: a.key, "
                     "client_auth_type: RequireClientCert}";
  CU_ASSERT_TRUE(ksmc_webcfg_parse(flow, strlen(flow), "web.yml", &c, err, sizeof err));
  CU_ASSERT_TRUE(c.tls);
  CU_ASSERT_STRING_EQUAL(c.cert_file, "a.crt");
  CU_ASSERT_EQUAL(c.client_auth, KSMC_CLIENT_REQUIRE_ANY);
  CU_ASSERT_EQUAL(c.min_version, 0);
  ksmc_webcfg_free(&c);
}

typedef struct {
  const char *text, *msg;
} bad_case;

static const bad_case bad[] = {
    {"tls_server_config:\n  cert_file: a\n  key_file: b\ntls_cofig: {}\n",
     "/etc/ksmc/web.yml:4:1: unknown key \"tls_cofig\" (known: tls_server_config, "
     "http_server_config, basic_auth_users)"},
    {"tls_server_config:\n  cert_file: a\n  keyfile: b\n",
     "/etc/ksmc/web.yml:3:3: unknown key \"keyfile\" in tls_server_config (known: cert_file, "
     "key_file, client_auth_type, client_ca_file, min_version, max_version)"},
    {"tls_server_config:\n  cert_file: a\n  cert_file: b\n",
     "/etc/ksmc/web.yml:3:3: duplicate key \"cert_file\" in tls_server_config"},
    {"tls_server_config:\n  cert_file: a\n",
     "/etc/ksmc/web.yml:2:3: tls_server_config: missing key_file"},
    {"tls_server_config:\n  key_file: a\n",
     "/etc/ksmc/web.yml:2:3: tls_server_config: missing cert_file"},
    {"tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n",
     "/etc/ksmc/web.yml:2:3: tls_server_config: missing cert_file"},
    {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c\n",
     "/etc/ksmc/web.yml:2:3: tls_server_config: client_ca_file is set but client_auth_type is "
     "NoClientCert"},
    {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: "
     "VerifyClientCertIfGiven\n",
     "/etc/ksmc/web.yml:2:3: tls_server_config: client_auth_type VerifyClientCertIfGiven needs "
     "client_ca_file"},
    {"tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Maybe\n",
     "/etc/ksmc/web.yml:4:21: invalid client_auth_type \"Maybe\" (want NoClientCert, "
     "RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven or "
     "RequireAndVerifyClientCert)"},
    {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14\n",
     "/etc/ksmc/web.yml:4:16: invalid min_version \"TLS14\" (want TLS10, TLS11, TLS12 or TLS13)"},
    {"tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: "
     "TLS12\n",
     "/etc/ksmc/web.yml:2:3: tls_server_config: min_version TLS13 is above max_version TLS12"},
    {"tls_server_config:\n  cert_file: [a]\n",
     "/etc/ksmc/web.yml:2:14: tls_server_config.cert_file must be a string"},
    {"tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n",
     "/etc/ksmc/web.yml:2:3: tls_server_config.cipher_suites is not supported by ksmc (GnuTLS "
     "chooses them; restrict the protocol with min_version)"},
    {"tls_server_config:\n  cert: |\n    -----BEGIN CERTIFICATE-----\n",
     "/etc/ksmc/web.yml:2:3: tls_server_config.cert (inline PEM) is not supported by ksmc; use "
     "cert_file"},
    {"tls_server_config: yes\n", "/etc/ksmc/web.yml:1:20: tls_server_config must be a mapping"},
    {"http_server_config:\n  headers:\n    X-Powered-By: ksmc\n",
     "/etc/ksmc/web.yml:3:5: HTTP header \"X-Powered-By\" can not be configured (allowed: "
     "Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection, "
     "Content-Security-Policy)"},
    {"http_server_config:\n  headers:\n    X-Frame-Options: allow\n",
     "/etc/ksmc/web.yml:3:22: invalid value \"allow\" for header X-Frame-Options (want deny or "
     "sameorigin)"},
    {"http_server_config:\n  headers:\n    X-XSS-Protection: \"1\\r\\nSet-Cookie: x\"\n",
     "/etc/ksmc/web.yml:3:23: the value of header X-XSS-Protection must be one line"},
    {"http_server_config:\n  http2: maybe\n",
     "/etc/ksmc/web.yml:2:10: http_server_config.http2 must be true or false"},
    {"http_server_config:\n  timeout: 5s\n",
     "/etc/ksmc/web.yml:2:3: unknown key \"timeout\" in http_server_config (known: headers, "
     "http2)"},
    {"basic_auth_users:\n  alice: secret\n",
     "/etc/ksmc/web.yml:2:10: basic_auth_users.alice is not a bcrypt hash (want $2y$10$ and 53 "
     "more characters, as made by htpasswd -nBC 10 alice)"},
    {"basic_auth_users:\n  alice: $1$abc$defghijklmnopqrstuvwxyz0123456789012345678901234567\n",
     "/etc/ksmc/web.yml:2:10: basic_auth_users.alice is not a bcrypt hash (want $2y$10$ and 53 "
     "more characters, as made by htpasswd -nBC 10 alice)"},
    {"basic_auth_users:\n  'a:b': " HASH_A "\n",
     "/etc/ksmc/web.yml:2:3: basic_auth_users: user name \"a:b\" must be non-empty without ':'"},
    {"basic_auth_users:\n  - alice\n", "/etc/ksmc/web.yml:2:3: basic_auth_users must be a mapping"},
    {"rate_limit:\n  interval: 1s\n",
     "/etc/ksmc/web.yml:1:1: rate_limit is not supported by ksmc (it limits connections per "
     "address and cuts slow clients itself)"},
    {"- a\n- b\n", "/etc/ksmc/web.yml:1:1: the web config must be a mapping"},
    {"tls_server_config:\n  cert_file: a\n key_file: b\n",
     "/etc/ksmc/web.yml:3:2: invalid YAML: did not find expected key while parsing a block "
     "mapping"},
    {"tls_server_config: {cert_file: \"a}\n",
     "/etc/ksmc/web.yml:2:1: invalid YAML: found unexpected end of stream while scanning a "
     "quoted scalar"},
};

static void test_bad(void) {
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    ksmc_webcfg c;
    char err[512] = "";
    bool ok = parse(bad[i].text, &c, err, sizeof err);
    CU_ASSERT_FALSE(ok);
    if (strcmp(err, bad[i].msg) != 0)
      fprintf(stderr, "\n  case %zu:\n    got  %s\n    want %s\n", i, err, bad[i].msg);
    CU_ASSERT_STRING_EQUAL(err, bad[i].msg);
    CU_ASSERT_FALSE(c.tls);
    CU_ASSERT_EQUAL(c.nusers + c.nheaders, 0);
    ksmc_webcfg_free(&c);
  }
}

static void test_load(void) {
  char dir[] = "/tmp/ksmc-webcfg-XXXXXX";
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  char path[128];
  snprintf(path, sizeof path, "%s/web.yml", dir);
  FILE *f = fopen(path, "w");
  fputs("tls_server_config:\n  cert_file: s.crt\n  key_file: s.key\n", f);
  fclose(f);
  ksmc_webcfg c;
  char err[512] = "", want[256];
  CU_ASSERT_TRUE(ksmc_webcfg_load(path, &c, err, sizeof err));
  snprintf(want, sizeof want, "%s/s.crt", dir);
  CU_ASSERT_STRING_EQUAL(c.cert_file, want);
  ksmc_webcfg_free(&c);
  unlink(path);
  CU_ASSERT_FALSE(ksmc_webcfg_load(path, &c, err, sizeof err));
  snprintf(want, sizeof want, "%s: No such file or directory", path);
  CU_ASSERT_STRING_EQUAL(err, want);
  ksmc_webcfg_free(&c);
  rmdir(dir);
  CU_ASSERT_STRING_EQUAL(ksmc_client_auth_name(KSMC_CLIENT_REQUEST), "RequestClientCert");
}

static const ktest_case cases[] = {{"full file, every field", test_full},
                                   {"minimal and empty files", test_minimal},
                                   {"bad files: exact messages with positions", test_bad},
                                   {"load from disk, relative paths, missing file", test_load},
                                   {0}};

KTEST_MAIN("serve_webcfg", cases)
