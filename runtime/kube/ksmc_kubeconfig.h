/* ksmc_kubeconfig: where the API server is and how to authenticate, like client-go.
 *
 * Sources, in the order client-go's BuildConfigFromFlags (as used by KSM) applies them:
 *  1. --kubeconfig FILE: the context named by --context or the file's current-context;
 *     its cluster (server, certificate-authority[-data], insecure-skip-tls-verify,
 *     tls-server-name, disable-compression) and user (token, tokenFile, client-certificate[-data],
 *     client-key[-data]). Relative paths are resolved against the file's directory. A
 *     ':'-separated list merges like $KUBECONFIG: the first file defining a context,
 *     cluster or user (or current-context) wins; missing files of a list are skipped.
 *  2. in-cluster: KUBERNETES_SERVICE_HOST/PORT plus the service account's token and
 *     ca.crt (directory overridable for tests).
 *  3. --apiserver alone: that URL, no credentials.
 * --apiserver also overrides the server of 1 and 2.
 *
 * Every file is read at load time, so a bad path or bad base64 fails at start-up with a
 * message naming the file and the field, e.g.
 *   kubeconfig /x/config: context "foo" not found (available: a, b)
 * The bearer token of a token file (tokenFile, in-cluster token) is never cached for the
 * life of the process: ksmc_kube_config_token re-reads it every 60 s and after a 401. */
#ifndef KSMC_KUBECONFIG_H
#define KSMC_KUBECONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_buf.h"

#define KSMC_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"
#define KSMC_TOKEN_REREAD_MS 60000

typedef struct {
  const char *kubeconfig;   /* --kubeconfig (or a ':'-separated list like $KUBECONFIG), or NULL */
  const char *context;      /* --context, or NULL for the file's current-context */
  const char *apiserver;    /* --apiserver, or NULL */
  const char *sa_dir;       /* service-account directory; NULL: KSMC_SA_DIR */
  const char *service_host; /* NULL: $KUBERNETES_SERVICE_HOST */
  const char *service_port; /* NULL: $KUBERNETES_SERVICE_PORT */
} ksmc_kube_config_opts;

typedef struct {
  char *server;             /* base URL without trailing '/', e.g. "https://10.0.0.1:443" */
  char *tls_server_name;    /* name to verify the server certificate against, or NULL */
  bool insecure;            /* skip server certificate verification */
  bool disable_compression; /* cluster disable-compression: no Accept-Encoding: gzip */
  ksmc_buf ca;              /* CA bundle PEM; empty: the system's CAs */
  ksmc_buf cert;            /* client certificate PEM; empty: none */
  ksmc_buf key;             /* client key PEM; empty: none */
  char *token;              /* static bearer token, or NULL */
  char *token_file;         /* bearer token file, re-read; wins over token; or NULL */
  char *namespace;          /* the context's namespace (or the in-cluster one), or NULL */
  char *source;             /* for logs: `kubeconfig /x/config context "sim"`, `in-cluster` */
  char *warning;            /* a non-fatal problem found while loading, or NULL */
  /* private: the token file's last good content */
  ksmc_buf file_token;
  int64_t token_read_ms;
  bool token_stale;
  char token_err[256];
} ksmc_kube_config;

/* Loads the configuration. Returns 0, or -1 with a one-line message in err. On failure c
 * holds nothing that needs freeing (ksmc_kube_config_free is still safe). */
int ksmc_kube_config_load(const ksmc_kube_config_opts *o, ksmc_kube_config *c, char *err,
                          size_t errlen);

/* Frees everything c owns. */
void ksmc_kube_config_free(ksmc_kube_config *c);

/* The bearer token to send at now_ms (monotonic ms), or NULL for none. Re-reads the token
 * file if the last read is KSMC_TOKEN_REREAD_MS old or the token was invalidated; if the
 * re-read fails the last good token is kept and token_err says why. Not thread-safe: call
 * from the ingest thread only. */
const char *ksmc_kube_config_token(ksmc_kube_config *c, int64_t now_ms);

/* The server rejected the token (HTTP 401): the next ksmc_kube_config_token re-reads it. */
void ksmc_kube_config_token_invalidate(ksmc_kube_config *c);

/* Decodes standard base64 (padding optional, whitespace ignored) and appends the bytes to
 * out. Returns false on any other character or a bad length. */
bool ksmc_base64_decode(const char *s, size_t n, ksmc_buf *out);

#endif
