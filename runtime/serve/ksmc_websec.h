/* ksmc_websec: TLS credentials and request authentication of the HTTP listeners, from
 * the --tls-config web config file (ksmc_webcfg) and the --web-bearer-token-file token
 * (a ksmc extension), reloaded when the files change.
 *
 * Generations: everything loaded from the files at one time (parsed config, GnuTLS
 * credentials with the certificate, key and client CAs, priorities, basic-auth users,
 * bearer token, a cache of verified passwords) is one reference-counted generation. A
 * connection takes the current generation when it is accepted and keeps it until it
 * closes, so its TLS session and its requests see one consistent configuration while a
 * new generation may serve newer connections. At most once per `reload_seconds`, taking
 * a generation first stats every file (device, inode, size, mtime, ctime; Kubernetes'
 * symlink swaps change the inode); if one changed, a new generation is loaded. A file
 * that fails to load keeps the old generation and logs one error per change. Turning
 * TLS on or off needs a restart (the listener's mode is fixed): such a change is logged
 * and ignored.
 *
 * Authentication (when basic_auth_users or a bearer token is configured; applies to
 * every path of both listeners, like exporter-toolkit): "Authorization: Basic" is
 * checked with bcrypt (libxcrypt crypt_rn: $2a$, $2b$, $2y$); an unknown user costs a
 * bcrypt of a dummy hash too (no user enumeration by timing). Successful checks are
 * cached per generation (SHA-256 of user, password and hash; 64 entries) so a scrape per
 * second costs no bcrypt. At most 2 bcrypt computations run at once: beyond that the
 * check answers BUSY (503) instead of tying up every server thread. "Authorization:
 * Bearer <token>" is compared in constant time. */
#ifndef KSMC_WEBSEC_H
#define KSMC_WEBSEC_H

#include <stdbool.h>
#include <stddef.h>

#include "ksmc_log.h"
#include "ksmc_webcfg.h"

typedef struct ksmc_websec ksmc_websec;
typedef struct ksmc_websec_gen ksmc_websec_gen;

typedef void (*ksmc_websec_log_fn)(void *arg, ksmc_log_level level, const char *line);

typedef struct {
  const char *config_file;       /* --tls-config; NULL: none */
  const char *bearer_token_file; /* --web-bearer-token-file; NULL: none */
  unsigned reload_seconds;       /* 0: 1 */
  ksmc_websec_log_fn log;        /* NULL: silent */
  void *log_arg;
} ksmc_websec_opts;

/* Loads the files (web config, certificate, key, client CAs, token). NULL with a
 * message in err ("file:line:col: ..." for config errors, naming the file otherwise). */
ksmc_websec *ksmc_websec_new(const ksmc_websec_opts *o, char *err, size_t errlen);

/* Frees s; every generation must have been released. NULL ignored. */
void ksmc_websec_free(ksmc_websec *s);

/* Whether the listeners serve HTTPS (fixed for s's lifetime). */
bool ksmc_websec_tls(const ksmc_websec *s);

/* The first generation's PEM certificate chain, key and GnuTLS priority string, for
 * starting a TLS listener (valid until ksmc_websec_free). NULL without TLS. */
const char *ksmc_websec_cert_pem(const ksmc_websec *s);
const char *ksmc_websec_key_pem(const ksmc_websec *s);
const char *ksmc_websec_priorities(const ksmc_websec *s);

/* The current generation, with a reference for the caller (reloads first if due and a
 * file changed). Never NULL. Thread-safe. */
ksmc_websec_gen *ksmc_websec_acquire(ksmc_websec *s);
void ksmc_websec_release(ksmc_websec *s, ksmc_websec_gen *g);

/* Sets up a new server-side GnuTLS session (gnutls_session_t) for generation g: its
 * credentials, priorities and client certificate policy (Verify* types verify the chain
 * against client_ca_file during the handshake, which fails otherwise). False on error. */
bool ksmc_websec_setup_session(ksmc_websec_gen *g, void *gnutls_session);

typedef enum { KSMC_AUTH_OK, KSMC_AUTH_DENIED, KSMC_AUTH_BUSY } ksmc_auth_result;

/* Called when a TLS connection closes, with its GnuTLS session: counts a
 * handshake refused because the client's certificate did not verify against
 * client_ca_file (VerifyClientCertIfGiven, RequireAndVerifyClientCert) as
 * KSMC_AUTH_REFUSED_CLIENT_CERT. Not counted: a Require* handshake where the client
 * sent no certificate -- GnuTLS leaves no trace of it on the session that tells it apart
 * from a client that hung up (port probes, plain HTTP, no common TLS version). */
void ksmc_websec_tls_closed(ksmc_websec *s, void *gnutls_session);

/* Checks a request's Authorization header (NULL if absent) against g. OK when g needs
 * no authentication. */
ksmc_auth_result ksmc_websec_check(ksmc_websec *s, ksmc_websec_gen *g, const char *authorization);

/* The WWW-Authenticate challenges for a 401 from g: *basic / *bearer set when that
 * scheme is configured. */
void ksmc_websec_challenges(const ksmc_websec_gen *g, bool *basic, bool *bearer);

/* The extra response headers of g (http_server_config.headers). */
const ksmc_webcfg_pair *ksmc_websec_headers(const ksmc_websec_gen *g, size_t *n);

/* How many generations were loaded after the first (for tests and logs). */
unsigned ksmc_websec_reloads(ksmc_websec *s);

/* Why a request was refused (401, or 503 for KSMC_AUTH_REFUSED_BUSY). */
typedef enum {
  KSMC_AUTH_REFUSED_MISSING,     /* no Authorization header */
  KSMC_AUTH_REFUSED_BASIC,       /* Basic: malformed, unknown user or wrong password */
  KSMC_AUTH_REFUSED_BEARER,      /* Bearer: wrong token */
  KSMC_AUTH_REFUSED_SCHEME,      /* a scheme that is not configured (e.g. Bearer without a token) */
  KSMC_AUTH_REFUSED_BUSY,        /* too many password checks running (503) */
  KSMC_AUTH_REFUSED_CLIENT_CERT, /* TLS handshake: client certificate did not verify */
  KSMC_AUTH_REFUSED_NREASONS
} ksmc_auth_refusal;

/* Counters for self-metrics, read at any time (thread-safe). Reloads count the files'
 * changes that were applied (success) or kept the previous generation (failure); the
 * first load at start counts as a success. Times are Unix seconds (0: never). */
typedef struct {
  unsigned long refused[KSMC_AUTH_REFUSED_NREASONS];
  unsigned long reloads_ok, reloads_failed;
  double last_reload_success_time;
  bool last_reload_ok;
} ksmc_websec_stats;

/* A snapshot of s's counters. */
void ksmc_websec_get_stats(ksmc_websec *s, ksmc_websec_stats *out);

/* The stable label value of a refusal reason ("missing_credentials", ...). */
const char *ksmc_websec_refusal_name(ksmc_auth_refusal r);

#endif
