/* ksmc_http: the HTTP endpoints, on libmicrohttpd.
 *
 * Main listener (--host/--port, default [::]:8080, dual stack):
 *   /metrics  the object metrics (ksmc_expo: negotiation, gzip when enabled, filters)
 *   /healthz  200 "OK"
 *   /livez    200 "OK" while the livez probe says the API server was reachable recently,
 *             else 503
 *   /         landing page with links
 * Telemetry listener (--telemetry-host/--telemetry-port, default [::]:8081):
 *   /metrics  self-metrics (ksmc_telemetry)
 *   /readyz   200 "OK" once the readyz probe says every stream has synced, else 503
 *   /         landing page
 * Only GET and HEAD are allowed (405 with an Allow header otherwise). Paths are matched
 * exactly after percent-decoding; anything else, and any path with a malformed escape or
 * an escaped NUL ("/%00"), gives 404. Each listener runs its own libmicrohttpd thread
 * pool (epoll where available): a socket is only serviced when it is readable/writable,
 * so a stalled client occupies a connection slot, never a thread.
 *
 * Hostile clients: every connection phase has a deadline, enforced by a watchdog thread
 * that shuts the socket down (libmicrohttpd's own timeout is an idle timeout, which a
 * client sending a byte a second never hits):
 *   accept -> request headers complete (TLS handshake included): header timeout;
 *   headers complete -> response fully sent (body upload included): timeout;
 *   response sent -> next request's headers on a kept-alive connection: timeout.
 * A listener holds at most max_connections connections that are served, plus a small
 * overflow band whose requests are answered 503 (Retry-After: 1, Connection: close);
 * beyond that, and beyond max_connections_per_ip from one client address, connections
 * are closed right after accept. Both bound memory (at most ~320 KiB per connection).
 * Overlapping plain scrapes share their walks of the body (ksmc_tape), which holds at
 * most KSMC_TAPE_MAX_TAPES x (ring + KSMC_TAPE_MAX_READERS chunks) in all, not per
 * connection: 160 MiB at 150,000 pods; a waiting scrape's connection is suspended.
 *
 * With cfg.sec (ksmc_websec: --tls-config, --web-bearer-token-file) both listeners serve
 * HTTPS if configured, each connection with the credentials current when it was accepted
 * (reloaded on file change), and every request is authenticated first: 401 with
 * WWW-Authenticate (Basic and/or Bearer) before any routing, as exporter-toolkit does;
 * the configured extra headers go on every response. */
#ifndef KSMC_HTTP_H
#define KSMC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_expo.h"
#include "ksmc_telemetry.h"
#include "ksmc_websec.h"

/* A health probe; must be quick and thread-safe. */
typedef bool (*ksmc_probe_fn)(void *arg);

typedef struct {
  const char *host; /* NULL or "" or "::": all addresses, IPv6 and IPv4 */
  int port;         /* 0: any free port (see ksmc_http_port); < 0: listener disabled */
  const char *telemetry_host;
  int telemetry_port;
  const ksmc_expo *expo;  /* resources served on /metrics; non-NULL, outlives the server */
  ksmc_selfmetrics *self; /* NULL: telemetry /metrics is empty, scrapes not measured */
  bool enable_gzip;       /* --enable-gzip-encoding */
  int gzip_level;         /* 0: KSMC_EXPO_GZIP_LEVEL */
  ksmc_probe_fn livez;    /* NULL: always live */
  void *livez_arg;
  ksmc_probe_fn readyz; /* NULL: always ready */
  void *readyz_arg;
  unsigned threads;                /* pool threads per listener; 0: 4 */
  unsigned max_connections;        /* served connections per listener; 0: 1024 */
  unsigned max_connections_per_ip; /* per client address and listener; 0: max / 4 + 1 */
  unsigned header_timeout_seconds; /* accept -> headers in; 0: 5 (KSM's read-header timeout) */
  unsigned timeout_seconds;        /* response and keep-alive idle deadline; 0: 60 */
  ksmc_websec *sec;                /* TLS and authentication (both listeners); NULL: plain, open */
} ksmc_http_config;

typedef struct ksmc_http ksmc_http;

/* Starts the listeners. On failure returns NULL and writes a message naming the address
 * into err. The config's pointers must outlive the server. */
ksmc_http *ksmc_http_start(const ksmc_http_config *cfg, char *err, size_t errlen);

/* The bound ports (useful with port 0); 0 if the listener is disabled. */
uint16_t ksmc_http_port(const ksmc_http *h);
uint16_t ksmc_http_telemetry_port(const ksmc_http *h);

/* Stops both listeners (stops accepting, closes every connection, stalled ones included,
 * joins the threads) and frees h; bounded time whatever the clients do. NULL ignored. */
void ksmc_http_stop(ksmc_http *h);

#endif
