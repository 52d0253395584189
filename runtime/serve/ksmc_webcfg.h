/* ksmc_webcfg: the web configuration file of --tls-config, parsed.
 *
 * The file is Prometheus exporter-toolkit's web config (what kube-state-metrics'
 * --tls-config reads), so a KSM deployment's file works unchanged:
 *
 *   tls_server_config:
 *     cert_file: server.crt        # with key_file: serve HTTPS
 *     key_file: server.key
 *     client_auth_type: RequireAndVerifyClientCert   # default NoClientCert
 *     client_ca_file: ca.crt
 *     min_version: TLS12           # TLS10..TLS13, default TLS12
 *     max_version: TLS13
 *   http_server_config:
 *     headers: {X-Frame-Options: deny}   # exporter-toolkit's allowed headers only
 *     http2: true                  # accepted; ksmc speaks HTTP/1.1
 *   basic_auth_users:
 *     alice: $2y$10$...            # bcrypt hashes
 *
 * Relative paths are relative to the file's directory (as in exporter-toolkit). Unknown
 * keys, wrong types, duplicate keys and the exporter-toolkit options ksmc does not
 * implement (cipher_suites, curve_preferences, client_allowed_sans, inline cert/key/
 * client_ca, rate_limit) are errors "file:line:col: message" (1-based). The checks are
 * exporter-toolkit's: cert_file and key_file together, client_ca_file needs a client
 * auth type other than NoClientCert; ksmc also requires client_ca_file for the Verify*
 * types (Go would fall back to the system roots). A file with no tls_server_config
 * serves plain HTTP (with basic auth if users are set). Files are not read here. */
#ifndef KSMC_WEBCFG_H
#define KSMC_WEBCFG_H

#include <stdbool.h>
#include <stddef.h>

typedef enum {
  KSMC_CLIENT_NONE,              /* NoClientCert */
  KSMC_CLIENT_REQUEST,           /* RequestClientCert: asked for, not verified */
  KSMC_CLIENT_REQUIRE_ANY,       /* RequireAnyClientCert: required, not verified */
  KSMC_CLIENT_VERIFY_IF_GIVEN,   /* VerifyClientCertIfGiven */
  KSMC_CLIENT_REQUIRE_AND_VERIFY /* RequireAndVerifyClientCert */
} ksmc_client_auth;

typedef struct {
  char *name, *value;
} ksmc_webcfg_pair;

typedef struct {
  bool tls;                                    /* cert_file and key_file given */
  char *cert_file, *key_file, *client_ca_file; /* resolved paths, NULL if unset */
  ksmc_client_auth client_auth;
  int min_version, max_version; /* 10..13 for TLS 1.0..1.3; 0: unset */
  ksmc_webcfg_pair *headers;    /* extra response headers */
  size_t nheaders;
  ksmc_webcfg_pair *users; /* name -> bcrypt hash */
  size_t nusers;
} ksmc_webcfg;

/* Parses `text` (n bytes); `path` names the file in messages and its directory resolves
 * relative paths. Returns true and fills out, or false with "path:line:col: message"
 * in err (out is then empty). Free out with ksmc_webcfg_free either way. */
bool ksmc_webcfg_parse(const char *text, size_t n, const char *path, ksmc_webcfg *out, char *err,
                       size_t errlen);

/* Reads and parses the file at path (errors as above, or "path: <strerror>"). */
bool ksmc_webcfg_load(const char *path, ksmc_webcfg *out, char *err, size_t errlen);

void ksmc_webcfg_free(ksmc_webcfg *c);

/* "NoClientCert" ... for messages. */
const char *ksmc_client_auth_name(ksmc_client_auth a);

#endif
