/* ksmc_expo: the /metrics body, written like kube-state-metrics' MetricsWriter.
 *
 * Order: resources in byte order of their names (KSM's writer order); within a
 * resource, for each enabled family in family order, the family's header (HELP + TYPE,
 * text or OpenMetrics variant) and then that family's bytes of every object of every
 * store of the resource, stores in stream order (family-major). A resource prints
 * nothing, headers included, unless one of its stores holds an object. A header whose
 * metric name was already printed in this response is skipped. OpenMetrics ends with
 * "# EOF\n".
 *
 * Each store is snapshotted once when the response starts (ksmc_expo_begin), so every
 * family of one response sees the same objects (KSM walks its sync.Map once per
 * family and can mix states). The body is produced incrementally: ksmc_expo_read fills a
 * caller buffer (for libmicrohttpd's content reader), ksmc_expo_write_fd writes with
 * writev straight from the records; nothing builds the whole body. */
#ifndef KSMC_EXPO_H
#define KSMC_EXPO_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "ksmc_buf.h"
#include "ksmc_kind.h"
#include "ksmc_store.h"

/* One resource served on /metrics. */
typedef struct {
  const ksmc_kind_desc *kind;
  const bool *family_enabled; /* kind->nfamilies flags; NULL: all but opt-in families */
  ksmc_store *const *stores;  /* one per stream, in --namespaces order */
  size_t nstores;
} ksmc_expo_resource;

/* The set of resources of a running exporter (stores are shared, not owned). Immutable
 * except for its gzip block cache, which is internally locked: any thread may use it. */
typedef struct ksmc_expo ksmc_expo;

/* Copies the descriptions (arrays are copied, stores are referenced) and sorts them by
 * resource name. NULL on allocation failure. */
ksmc_expo *ksmc_expo_new(const ksmc_expo_resource *res, size_t n);
void ksmc_expo_free(ksmc_expo *e);

/* Resources in output order (for self-metrics: objects stored per resource). */
size_t ksmc_expo_nresources(const ksmc_expo *e);
const ksmc_expo_resource *ksmc_expo_resource_at(const ksmc_expo *e, size_t i);

/* ---- content negotiation ---- */

typedef enum { KSMC_EXPO_TEXT, KSMC_EXPO_OPENMETRICS } ksmc_expo_format;

#define KSMC_CONTENT_TYPE_TEXT "text/plain; version=0.0.4; charset=utf-8"

typedef struct {
  ksmc_expo_format format;
  char content_type[96]; /* the Content-Type response header */
} ksmc_expo_negotiated;

/* Picks the format from an Accept header (NULL = absent) exactly as KSM does with
 * expfmt.NegotiateIncludingOpenMetrics (prometheus/common v0.70): entries sorted by q
 * (stable, goautoneg's order), the first text/plain (version 0.0.4 or none), OpenMetrics
 * (version 1.0.0, 0.0.1 or none) or protobuf entry wins; protobuf and no match fall back
 * to text. OpenMetrics answers "application/openmetrics-text; version=1.0.0|0.0.1;
 * charset=utf-8; escaping=<last valid escaping seen, default underscores>"; text answers
 * KSMC_CONTENT_TYPE_TEXT. */
void ksmc_expo_negotiate(const char *accept, ksmc_expo_negotiated *out);

/* True if an Accept-Encoding header has a comma-separated, trimmed token that is "gzip"
 * or starts with "gzip;" (KSM's rule; q values are not looked at). */
bool ksmc_expo_gzip_accepted(const char *accept_encoding);

/* ---- writing a response ---- */

typedef struct {
  ksmc_expo_format format;
  bool gzip;
  int gzip_level; /* 1..9 (ksmc_deflate.h: 1 is ISA-L's igzip, 2..9 zlib's levels); 0:
                     KSMC_EXPO_GZIP_LEVEL */
  /* ?resources= and ?exclude_resources= values, each a comma list (trimmed, empty items
   * ignored); repeated parameters give several values. No resources: all. Exclusion
   * wins. */
  const char *const *resources;
  size_t nresources;
  const char *const *exclude;
  size_t nexclude;
} ksmc_expo_opts;

/* Level 1, ISA-L's igzip level 1 (ksmc_deflate.h): 3.5-4x faster than zlib level 1 and
 * 10% smaller on /metrics text (docs/runtime.md "gzip"). */
#define KSMC_EXPO_GZIP_LEVEL 1
/* Objects per cached gzip block. The output is ONE gzip member (concatenated members
 * break curl 7.88) made of independent deflate blocks: per store, family and segment of
 * this many objects, compressed once and reused by later responses while the segment's
 * objects keep the same family versions (ksmc_store.h), so a scrape of an unchanged
 * cluster only copies compressed bytes. */
#define KSMC_EXPO_GZIP_SEGMENT 256u

typedef struct ksmc_expo_req ksmc_expo_req;

/* Starts a response: snapshots the selected resources' stores. NULL on allocation
 * failure. Must be ended with ksmc_expo_end (any thread). */
ksmc_expo_req *ksmc_expo_begin(const ksmc_expo *e, const ksmc_expo_opts *o);

/* Copies the next up to `max` body bytes (compressed if opts.gzip) into buf. Returns
 * the count, 0 at the end of the body, -1 on allocation failure. */
ssize_t ksmc_expo_read(ksmc_expo_req *q, char *buf, size_t max);

/* Writes the rest of the body to fd (writev of record slices; gzip goes through
 * ksmc_expo_read). Returns 0, or -1 with errno set. */
int ksmc_expo_write_fd(ksmc_expo_req *q, int fd);

/* A second reader of q's plain body: an independent cursor at q's position over q's
 * snapshots, which stay alive until q and all its forks have ended. Lets one walk's
 * output be replayed to several responses (ksmc_tape) and a reader fall back to its own
 * walk from where the shared one left it. Any thread may use a fork, but one fork (like
 * one response) only from one thread at a time. NULL for a gzip response or on
 * allocation failure. */
ksmc_expo_req *ksmc_expo_fork(const ksmc_expo_req *q);

/* Moves q to at's position (q and at: one response or forks of one). Returns false,
 * doing nothing, if they do not share snapshots or q is a gzip response. */
bool ksmc_expo_seek(ksmc_expo_req *q, const ksmc_expo_req *at);

/* Uncompressed body bytes produced so far. */
size_t ksmc_expo_req_bytes(const ksmc_expo_req *q);

/* Ends the response (or fork): the snapshots are released by the last of a response and
 * its forks to end. NULL ignored. */
void ksmc_expo_end(ksmc_expo_req *q);

/* Convenience: appends the whole body to out. Returns false on allocation failure. */
bool ksmc_expo_write_buf(const ksmc_expo *e, const ksmc_expo_opts *o, ksmc_buf *out);

#endif
