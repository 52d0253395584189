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
 * Only GET and HEAD are allowed (405 with an Allow header otherwise); unknown paths give
 * 404. Each listener runs its own libmicrohttpd thread pool (epoll where available): a
 * socket is only serviced when it is readable/writable, so a stalled client occupies a
 * connection slot, never a thread, until the idle timeout closes it. Connection limits
 * bound memory. */
#ifndef KSMC_HTTP_H
#define KSMC_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ksmc_expo.h"
#include "ksmc_telemetry.h"

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
  unsigned threads;         /* pool threads per listener; 0: 4 */
  unsigned max_connections; /* per listener; 0: 128 */
  unsigned timeout_seconds; /* idle connection timeout; 0: 60 (KSM's write timeout) */
} ksmc_http_config;

typedef struct ksmc_http ksmc_http;

/* Starts the listeners. On failure returns NULL and writes a message naming the address
 * into err. The config's pointers must outlive the server. */
ksmc_http *ksmc_http_start(const ksmc_http_config *cfg, char *err, size_t errlen);

/* The bound ports (useful with port 0); 0 if the listener is disabled. */
uint16_t ksmc_http_port(const ksmc_http *h);
uint16_t ksmc_http_telemetry_port(const ksmc_http *h);

/* Stops both listeners (closes connections, joins threads) and frees h. NULL ignored. */
void ksmc_http_stop(ksmc_http *h);

#endif
