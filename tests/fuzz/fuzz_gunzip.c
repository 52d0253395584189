/* Fuzz target: ksmc_gunzip (ISA-L's inflate, the decoder of gzipped LIST pages) against
 * zlib's gunzip, fed in arbitrary chunks.
 * Input: 8 bytes of seed, then either a raw body (seed mode 0) or a payload that zlib
 * compresses into one or two members (modes 1-3), which mode 2 then corrupts at one byte and
 * mode 3 truncates. Invariants:
 * - decoding in one piece and in random chunks ends the same way: complete with the same
 *   bytes, or not complete (the caller fails the body either way). Where an error surfaces
 *   may differ: on a damaged gzip header ISA-L may report it (e.g. as a CRC error) once
 *   enough of the header has arrived in one call, or keep waiting for a header field longer
 *   than the body (found by this target; regression input damaged-header-*);
 * - a body zlib decodes completely is decoded completely, to the same bytes (no false
 *   rejection);
 * - an intact body (mode 1) decodes to the payload; a corrupted or truncated one (modes 2, 3)
 *   is either not complete or decodes to what zlib decodes, or to the whole payload;
 * - a raw body that ksmc_gunzip completes but zlib rejects decodes at least to zlib's partial
 *   output. ISA-L is laxer than zlib in one known way, found by this target: it accepts a
 *   deflate block whose distance code table zlib calls invalid ("invalid distances set") when
 *   the block uses no distance; the data and its CRC-32/length trailer are still verified, so
 *   what it returns is what was compressed (Go's reader would reject such a body). */
#include <stdint.h>

#include "fuzz_util.h"
#include "gzip_ref.h"
#include "ksmc_buf.h"
#include "ksmc_gunzip.h"

FUZZ_ORACLE static bool collect(void *u, const char *p, size_t n) {
  ksmc_buf_put(u, p, n);
  return true;
}

typedef struct {
  int rc;        /* last ksmc_gunzip_feed result */
  bool complete; /* ksmc_gunzip_complete after the last byte */
} outcome;

/* Decodes body in chunks of 1..max_chunk bytes (0: in one piece). */
static outcome decode(ksmc_gunzip *g, const char *p, size_t n, uint64_t seed, size_t max_chunk,
                      ksmc_buf *out) {
  outcome o = {ksmc_gunzip_begin(g), false};
  ksmc_buf_reset(out);
  char err[160];
  for (size_t at = 0; o.rc == KSMC_GUNZIP_OK && at < n;) {
    size_t k = max_chunk ? 1 + fuzz_rand(&seed) % max_chunk : n - at;
    if (k > n - at) k = n - at;
    o.rc = ksmc_gunzip_feed(g, p + at, k, collect, out, err, sizeof err);
    FUZZ_CHECK(o.rc != KSMC_GUNZIP_BAD || err[0], "an error without a message");
    at += k;
  }
  o.complete = o.rc == KSMC_GUNZIP_OK && ksmc_gunzip_complete(g);
  return o;
}

/* Builds the body of modes 1-3 from the payload. */
static void make_body(ksmc_buf *body, uint64_t seed, const uint8_t *data, size_t size) {
  static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
  int level = (int)(seed >> 8 & 0xff) % 10;
  int strategy = strategies[(seed >> 16 & 0xff) % 5];
  size_t split = (seed >> 24 & 1) && size ? (size_t)(seed >> 32) % size : size;
  bool ok = gzip_ref_member(body, data, split, level, strategy) &&
            (split == size || gzip_ref_member(body, data + split, size - split, level, strategy));
  FUZZ_CHECK(ok, "zlib could not compress %zu bytes", size);
  size_t at = body->n ? (size_t)(seed >> 40) % body->n : 0;
  if ((seed & 3) == 2 && body->n) body->p[at] ^= (char)(seed >> 56 | 1);
  if ((seed & 3) == 3) body->n = at;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint64_t seed = fuzz_take_seed(&data, &size, 8);
  /* Kept across inputs (reset, not freed): growing them is not what is measured. */
  static ksmc_buf built, want, whole, chunked;
  static ksmc_gunzip g;
  static bool ready;
  if (!ready) ksmc_gunzip_init(&g), ready = true;

  const char *body = (const char *)data;
  size_t n = size;
  if (seed & 3) {
    ksmc_buf_reset(&built);
    make_body(&built, seed, data, size);
    body = built.p, n = built.n;
  }
  bool zlib_ok = gzip_ref_gunzip(body, n, &want);
  outcome a = decode(&g, body, n, seed, 0, &whole);
  outcome b = decode(&g, body, n, seed, 1 + (seed >> 48) % 97, &chunked);

  FUZZ_CHECK(a.complete == b.complete, "whole: rc %d complete %d, chunked: rc %d complete %d", a.rc,
             a.complete, b.rc, b.complete);
  FUZZ_CHECK(a.rc != KSMC_GUNZIP_STOPPED && b.rc != KSMC_GUNZIP_STOPPED, "stopped without a stop");
  if (a.complete)
    FUZZ_CHECK(fuzz_same(whole.p, whole.n, chunked.p, chunked.n), "chunking changed the output");
  if (zlib_ok)
    FUZZ_CHECK(a.complete && fuzz_same(whole.p, whole.n, want.p, want.n),
               "zlib decodes %zu bytes completely, ksmc_gunzip: rc %d complete %d, %zu bytes",
               want.n, a.rc, a.complete, whole.n);
  if (seed & 3) {
    bool payload = fuzz_same(whole.p, whole.n, data, size);
    FUZZ_CHECK(!a.complete || payload || (zlib_ok && fuzz_same(whole.p, whole.n, want.p, want.n)),
               "ksmc_gunzip completes with %zu bytes: neither the payload nor zlib's output",
               whole.n);
    if ((seed & 3) == 1) FUZZ_CHECK(a.complete && payload, "an intact body was not decoded");
  } else if (a.complete && !zlib_ok) {
    FUZZ_CHECK(whole.n >= want.n && fuzz_same(whole.p, want.n, want.p, want.n),
               "ksmc_gunzip completes with %zu bytes that do not start with zlib's %zu", whole.n,
               want.n);
  }
  return 0;
}
