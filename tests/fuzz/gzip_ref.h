/* gzip_ref: zlib as the reference gzip coder, shared by tests/fuzz/fuzz_gunzip.c and
 * tests/unit/test_kube_gunzip.c (ksmc_gunzip, ISA-L's inflate, is checked against it).
 * Header-only, no state. In the fuzz targets (clang) the functions get no coverage
 * instrumentation: they are the oracle, not the code under test. */
#ifndef KSMC_GZIP_REF_H
#define KSMC_GZIP_REF_H

#include <stdbool.h>
#include <stdint.h>
#include <zlib.h>

#include "ksmc_buf.h"

#if defined(__clang__) && __clang_major__ >= 13
#define GZIP_REF_FN static __attribute__((unused, no_sanitize("coverage")))
#else
#define GZIP_REF_FN static inline
#endif

/* Appends one gzip member of p[0..n) made by zlib at `level` with `strategy` (Z_*).
 * False if zlib fails (it does not for valid arguments). */
GZIP_REF_FN bool gzip_ref_member(ksmc_buf *out, const void *p, size_t n, int level, int strategy) {
  z_stream z = {0};
  if (deflateInit2(&z, level, Z_DEFLATED, 15 + 16, 8, strategy) != Z_OK) return false;
  size_t cap = deflateBound(&z, (uLong)n) + 64;
  ksmc_buf_reserve(out, cap);
  z.next_in = (Bytef *)(uintptr_t)p;
  z.avail_in = (uInt)n;
  z.next_out = (Bytef *)out->p + out->n;
  z.avail_out = (uInt)cap;
  int rc = deflate(&z, Z_FINISH);
  out->n += cap - z.avail_out;
  deflateEnd(&z);
  return rc == Z_STREAM_END;
}

/* zlib's reading of a body into out (reset first): every member in turn. True if all of
 * it is valid and it ends after a whole member; on false, out holds what zlib decoded
 * before it stopped. */
GZIP_REF_FN bool gzip_ref_gunzip(const char *p, size_t n, ksmc_buf *out) {
  ksmc_buf_reset(out);
  size_t at = 0;
  bool any = false;
  while (at < n) {
    z_stream z = {0};
    if (inflateInit2(&z, 16 + 15) != Z_OK) return false;
    z.next_in = (Bytef *)(uintptr_t)(p + at);
    z.avail_in = (uInt)(n - at);
    int rc;
    do {
      char chunk[16384];
      z.next_out = (Bytef *)chunk;
      z.avail_out = sizeof chunk;
      rc = inflate(&z, Z_NO_FLUSH);
      ksmc_buf_put(out, chunk, sizeof chunk - z.avail_out);
    } while (rc == Z_OK);
    at = n - z.avail_in;
    inflateEnd(&z);
    if (rc != Z_STREAM_END) return false;
    any = true;
  }
  return any;
}

#endif
