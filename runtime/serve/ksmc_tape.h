/* ksmc_tape: one walk of the plain /metrics body, replayed to concurrent scrapes.
 *
 * Rendering a plain body is a walk over every stored record once per family (ksmc_expo):
 * scattered reads that cost several times the bytes' sequential copy. When scrapes of
 * the same body overlap (Prometheus HA pairs, federation, a person with curl during an
 * incident, a benchmark's concurrent scrapers), the walk is done once: the scrape at the
 * front renders the next chunk into a tape, and every scrape copies chunks from the tape
 * into its own response. A tape holds at most a ring of recent chunks
 * (ksmc_tape_opts.ring_*), so memory stays bounded whatever the clients do. A scrape
 * below the ring (it joined late, or fell behind) reads the chunks it lacks with its own
 * walk, over the same snapshots, straight into its response, and takes the ring's chunks
 * again once it reaches them. Every response is the same complete body, byte for byte, as an
 * unshared one taken at the tape's start.
 *
 * A scrape joins the open tape if that tape has the same format and resource filters,
 * began at most join_ms (1 s) ago, and its front has rendered less than a quarter of the
 * body; otherwise it starts a new tape with fresh snapshots. So a joined scrape sees the
 * cluster as it was at most join_ms before its request. The front waits (suspended, see
 * ksmc_tape_waiter) while another reader of the tape is catching up with the ring's
 * oldest chunk and has made progress in the last hold_ms (5 ms), so that it can
 * share the rest of the walk; a reader that stopped (a slow client) holds nothing. A
 * scrape alone on its tape once joining has closed walks on its own (no copy through the
 * tape): a lone scraper pays the tape's copy for the first quarter of its body at most.
 *
 * gzip responses do not use tapes: they are served from ksmc_expo's cached compressed
 * blocks, which already make repeated and concurrent gzip scrapes cheap. */
#ifndef KSMC_TAPE_H
#define KSMC_TAPE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "ksmc_expo.h"

typedef struct {
  size_t chunk;          /* bytes per chunk; 0: KSMC_TAPE_CHUNK */
  size_t ring_min;       /* ring bytes at least; 0: KSMC_TAPE_RING_MIN */
  size_t ring_max;       /* ring bytes at most; 0: KSMC_TAPE_RING_MAX */
  unsigned join_ms;      /* a tape is joinable this long after its start; 0: KSMC_TAPE_JOIN_MS */
  unsigned pool_idle_ms; /* ksmc_tape_trim frees the chunk pool after this long without a
                            tape; 0: KSMC_TAPE_POOL_IDLE_MS */
  unsigned max_tapes;    /* tapes with readers at most; 0: KSMC_TAPE_MAX_TAPES */
  unsigned max_readers;  /* readers per tape at most; 0: KSMC_TAPE_MAX_READERS */
  unsigned hold_ms;      /* the front waits for a reader catching up that made progress
                            this recently; 0: KSMC_TAPE_HOLD_MS */
} ksmc_tape_opts;

/* Defaults: the ring is 1/16 of the stores' rendered bytes (ksmc_store_bytes) when a tape
 * starts, within [RING_MIN, RING_MAX]: 15 MiB at 30,000 pods (243 MB bodies), 64 MiB at
 * 150,000 (1.15 GB), a bound on the extra memory of sharing. */
#define KSMC_TAPE_CHUNK (1024u * 1024u)
#define KSMC_TAPE_RING_MIN (1u << 20)
#define KSMC_TAPE_RING_MAX (64u << 20)
#define KSMC_TAPE_JOIN_MS 1000u
#define KSMC_TAPE_POOL_IDLE_MS 1000u
#define KSMC_TAPE_HOLD_MS 5u
/* Memory bound: at most MAX_TAPES tapes with readers (further scrapes that cannot join
 * walk alone, as without tapes) and MAX_READERS readers per tape. Each tape holds its
 * ring, and each reader at most one chunk the ring has dropped while the reader still
 * copies from it: at most MAX_TAPES x (RING_MAX + MAX_READERS x CHUNK) = 160 MiB at
 * 150,000 pods, 62 MiB at 30,000, on top of libmicrohttpd's per-connection buffers. A
 * scrape below the ring reads with its own walk straight into its response (no chunk). */
#define KSMC_TAPE_MAX_TAPES 2u
#define KSMC_TAPE_MAX_READERS 16u

typedef struct {
  uint64_t tapes;       /* tapes started (= walks begun) */
  uint64_t joined;      /* scrapes that joined a running tape */
  uint64_t fallbacks;   /* scrapes that were below the ring and read chunks alone */
  uint64_t replayed;    /* body bytes a scrape copied from a chunk another scrape walked */
  uint64_t suspensions; /* reads that suspended their reader (ksmc_tape_waiter) */
  uint64_t holds;       /* ... that held the front for a reader catching up */
  size_t pooled;        /* bytes of chunk buffers kept for reuse (now) */
} ksmc_tape_stats;

/* The tapes of one /metrics endpoint. Thread-safe. */
typedef struct ksmc_tape_hub ksmc_tape_hub;

/* e must outlive the hub. o NULL: defaults. NULL on allocation failure. */
ksmc_tape_hub *ksmc_tape_hub_new(const ksmc_expo *e, const ksmc_tape_opts *o);

/* Every reader must have been closed. NULL ignored. */
void ksmc_tape_hub_free(ksmc_tape_hub *h);

void ksmc_tape_get_stats(ksmc_tape_hub *h, ksmc_tape_stats *out);

/* The hub's tick; call it every so often (the HTTP watchdog does, every 100 ms), never
 * holding a lock the waiters' resume takes. Frees the buffers kept for reuse once no tape
 * has had a reader for pool_idle_ms, so an idle exporter holds no scrape memory; and
 * resumes every suspended reader, so that a front held for a reader that has since
 * stopped (no event would wake it) goes on within a tick. */
void ksmc_tape_trim(ksmc_tape_hub *h);

/* One scrape's view of a tape. Used by one thread at a time. */
typedef struct ksmc_tape_reader ksmc_tape_reader;

/* How a reader waits while another renders the chunk it needs. Without one the reading
 * thread blocks (one chunk's walk). An event-driven server must not block a thread that
 * serves other connections: it gives suspend/resume (libmicrohttpd: suspend and resume
 * the connection). suspend(arg) is called from ksmc_tape_read, which then returns
 * KSMC_TAPE_SUSPENDED; resume(arg) is called once, from any thread, after suspend has
 * returned, when the reader should read again. */
typedef struct {
  void (*suspend)(void *arg);
  void (*resume)(void *arg);
  void *arg;
} ksmc_tape_waiter;

#define KSMC_TAPE_SUSPENDED (-2)

/* Starts a plain body (o->gzip must be false) for o: joins the open tape if it
 * qualifies (above), else starts a new one (ksmc_expo_begin: fresh snapshots). w NULL:
 * block when waiting. NULL on allocation failure or a gzip o. */
ksmc_tape_reader *ksmc_tape_open(ksmc_tape_hub *h, const ksmc_expo_opts *o,
                                 const ksmc_tape_waiter *w);

/* Copies the next up to max body bytes into buf, as ksmc_expo_read: the count, 0 at
 * the end of the body, or KSMC_TAPE_SUSPENDED (nothing copied; the reader's waiter was
 * suspended and will be resumed). Returns what it has rather than wait once it has
 * copied something. */
ssize_t ksmc_tape_read(ksmc_tape_reader *r, char *buf, size_t max);

/* Resumes every suspended reader, and makes later waits block instead of suspending:
 * for a server about to stop, which must not keep suspended connections. */
void ksmc_tape_stop_suspending(ksmc_tape_hub *h);

/* Body bytes this reader has returned so far. */
size_t ksmc_tape_reader_bytes(const ksmc_tape_reader *r);

/* Ends the reader (at any point of the body). NULL ignored. */
void ksmc_tape_close(ksmc_tape_reader *r);

#endif
