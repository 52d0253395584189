/* ksmc_gunzip: streaming gzip decoding of LIST bodies with ISA-L's inflate.
 *
 * LIST pages are the bulk of the initial sync (a 500-pod page is ~4.7 MB of JSON, ~0.55 MB
 * gzipped), and libcurl's built-in decoder (zlib, 16 KiB at a time) took a third of the
 * sync's CPU. ISA-L's `isal_inflate` (Debian libisal-dev) decodes the same bytes 4-5x
 * faster and, unlike a whole-buffer decoder (libdeflate), streams: the body is decoded as
 * it arrives, items are framed from each decoded chunk, and no page is ever held whole
 * (peak RSS stays at steady RSS). Watch streams keep libcurl's decoding.
 *
 * One decoder per request body; any chunking of the input gives the same output (the
 * unit test compares every split with zlib). Concatenated gzip members are decoded one
 * after the other, as zlib's gunzip and Go's gzip.Reader do. Errors (bad header, bad
 * deflate data, CRC-32 or length mismatch) are reported with a message; a body that ends
 * inside a member is not complete (ksmc_gunzip_complete). */
#ifndef KSMC_GUNZIP_H
#define KSMC_GUNZIP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Receives decoded bytes (valid during the call); false stops decoding. */
typedef bool (*ksmc_gunzip_out)(void *user, const char *p, size_t n);

/* Results of ksmc_gunzip_feed. */
enum { KSMC_GUNZIP_OK = 0, KSMC_GUNZIP_BAD = -1, KSMC_GUNZIP_STOPPED = -2, KSMC_GUNZIP_NOMEM = -3 };

typedef struct {
  struct inflate_state *st; /* allocated by the first ksmc_gunzip_begin */
  char *out;                /* decoded-bytes buffer handed to the callback */
  bool in_member;           /* inside a member: more input is needed */
  bool any_member;          /* at least one member ended */
  uint64_t total_out;       /* decoded bytes so far */
} ksmc_gunzip;

/* A decoder with nothing allocated. */
void ksmc_gunzip_init(ksmc_gunzip *g);

/* Starts a new body (allocating the decoder state on first use). KSMC_GUNZIP_OK or
 * KSMC_GUNZIP_NOMEM. */
int ksmc_gunzip_begin(ksmc_gunzip *g);

/* Decodes the next n bytes of the body, passing the decoded bytes to `out` in order.
 * Returns KSMC_GUNZIP_OK, KSMC_GUNZIP_STOPPED when `out` returned false, or
 * KSMC_GUNZIP_BAD with a message in err (e.g. "gzip: incorrect CRC-32 or length"); after
 * an error or a stop the decoder must be begun again. */
int ksmc_gunzip_feed(ksmc_gunzip *g, const char *p, size_t n, ksmc_gunzip_out out, void *user,
                     char *err, size_t errlen);

/* True when the body fed so far ends exactly after a whole member (trailer checked). */
bool ksmc_gunzip_complete(const ksmc_gunzip *g);

/* Frees the decoder state; init state again afterwards. */
void ksmc_gunzip_free(ksmc_gunzip *g);

#endif
