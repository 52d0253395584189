#include "ksmc_gunzip.h"

#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <stdlib.h>

/* Decoded bytes per callback: large enough that most list items (pods: ~9 KB) lie whole
 * in one chunk and are framed in place. */
#define OUT_CAP (128u << 10)
#define MAX_IN ((size_t)1 << 30)

void ksmc_gunzip_init(ksmc_gunzip *g) { *g = (ksmc_gunzip){0}; }

static void start_member(ksmc_gunzip *g) {
  isal_inflate_reset(g->st);
  g->st->crc_flag = ISAL_GZIP; /* parse the gzip header, check CRC-32 and ISIZE */
  g->in_member = true;
}

int ksmc_gunzip_begin(ksmc_gunzip *g) {
  if (!g->st) {
    g->st = malloc(sizeof *g->st);
    g->out = malloc(OUT_CAP);
    if (!g->st || !g->out) {
      ksmc_gunzip_free(g);
      return KSMC_GUNZIP_NOMEM;
    }
    isal_inflate_init(g->st);
  }
  start_member(g);
  g->any_member = false;
  g->total_out = 0;
  return KSMC_GUNZIP_OK;
}

static const char *describe(int rc) {
  switch (rc) {
  case ISAL_INVALID_BLOCK:
    return "invalid deflate block";
  case ISAL_INVALID_SYMBOL:
    return "invalid deflate symbol";
  case ISAL_INVALID_LOOKBACK:
    return "invalid back-reference distance";
  case ISAL_INVALID_WRAPPER:
    return "not a gzip header";
  case ISAL_UNSUPPORTED_METHOD:
    return "unsupported compression method";
  case ISAL_INCORRECT_CHECKSUM:
    return "incorrect CRC-32 or length";
  case ISAL_NEED_DICT:
    return "preset dictionary required";
  default:
    return "invalid compressed data";
  }
}

static int bad(ksmc_gunzip *g, char *err, size_t errlen, const char *what) {
  snprintf(err, errlen, "gzip: %s after %llu decoded bytes", what,
           (unsigned long long)g->total_out);
  g->in_member = true; /* never complete after an error */
  return KSMC_GUNZIP_BAD;
}

int ksmc_gunzip_feed(ksmc_gunzip *g, const char *p, size_t n, ksmc_gunzip_out out, void *user,
                     char *err, size_t errlen) {
  struct inflate_state *st = g->st;
  if (!st) return bad(g, err, errlen, "decoder not started");
  while (n > MAX_IN) { /* avail_in is 32-bit */
    int rc = ksmc_gunzip_feed(g, p, MAX_IN, out, user, err, errlen);
    if (rc != KSMC_GUNZIP_OK) return rc;
    p += MAX_IN;
    n -= MAX_IN;
  }
  if (!n) return KSMC_GUNZIP_OK;
  if (!g->in_member) start_member(g); /* a further member after a complete one */
  st->next_in = (uint8_t *)(uintptr_t)p;
  st->avail_in = (uint32_t)n;
  for (;;) {
    uint32_t in_before = st->avail_in;
    st->next_out = (uint8_t *)g->out;
    st->avail_out = OUT_CAP;
    int rc = isal_inflate(st);
    size_t got = OUT_CAP - st->avail_out;
    if (rc != ISAL_DECOMP_OK) return bad(g, err, errlen, describe(rc));
    if (got) {
      g->total_out += got;
      if (!out(user, g->out, got)) return KSMC_GUNZIP_STOPPED;
    }
    if (st->block_state == ISAL_BLOCK_FINISH) {
      g->in_member = false;
      g->any_member = true;
      if (!st->avail_in) return KSMC_GUNZIP_OK;
      start_member(g); /* concatenated member: next_in/avail_in are kept by the reset */
      continue;
    }
    if (got == OUT_CAP) continue; /* more output may be pending */
    if (!st->avail_in) return KSMC_GUNZIP_OK;
    if (st->avail_in == in_before && !got) return bad(g, err, errlen, "decoder made no progress");
  }
}

bool ksmc_gunzip_complete(const ksmc_gunzip *g) { return g->any_member && !g->in_member; }

void ksmc_gunzip_free(ksmc_gunzip *g) {
  free(g->st);
  free(g->out);
  ksmc_gunzip_init(g);
}
