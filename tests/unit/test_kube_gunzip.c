/* ksmc_gunzip (ISA-L, the fast path of LIST bodies) against zlib's gunzip (libcurl's
 * decoder, the slow path it replaces): random bodies of one or more gzip members made by
 * zlib at every level and strategy, fed in random chunks, must decode to zlib's output;
 * truncated bodies are never complete; corrupted ones are either rejected or decode to
 * exactly what zlib accepts. */
#include <stdlib.h>

#include "../fuzz/gzip_ref.h"
#include "ksmc_buf.h"
#include "ksmc_gunzip.h"
#include "ktest.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void) { return ktest_rand(&rng_state); }
static size_t rnd_below(size_t n) { return n ? (size_t)(rnd() % n) : 0; }

/* a[0..an) == b[0..bn) (either may be NULL when empty) */
static bool same(const char *a, size_t an, const char *b, size_t bn) {
  return an == bn && (an == 0 || memcmp(a, b, an) == 0);
}

/* JSON-ish text with repeats (compresses like list pages) mixed with random bytes. */
static void random_payload(ksmc_buf *b, size_t n) {
  static const char *const words[] = {"{\"metadata\":{\"name\":\"",
                                      "\"uid\":\"",
                                      "kube-system",
                                      "\"},",
                                      "managedFields",
                                      "[{\"f:name\":{}}]",
                                      "\n",
                                      "é"};
  ksmc_buf_reset(b);
  while (b->n < n) {
    if (rnd_below(4) == 0) {
      char c = (char)rnd();
      ksmc_buf_put(b, &c, 1);
    } else {
      const char *w = words[rnd_below(sizeof words / sizeof *words)];
      ksmc_buf_put(b, w, strlen(w));
    }
  }
  b->n = n;
}

/* Appends one gzip member of p[0..n) made by zlib (gzip_ref.h). */
static void gzip_member(ksmc_buf *out, const char *p, size_t n, int level, int strategy) {
  CU_ASSERT_TRUE_FATAL(gzip_ref_member(out, p, n, level, strategy));
}

typedef struct {
  ksmc_buf got;
  size_t stop_after; /* 0: never stop */
  int calls;
} sink;

static bool collect(void *u, const char *p, size_t n) {
  sink *s = u;
  ksmc_buf_put(&s->got, p, n);
  s->calls++;
  return !(s->stop_after && s->got.n >= s->stop_after);
}

/* What every case uses: a decoder, buffers for a payload, a gzip body and zlib's output,
 * a sink for ksmc_gunzip's output and room for its error message. */
typedef struct {
  ksmc_gunzip g;
  ksmc_buf payload, body, want;
  sink s;
  char err[128];
} fixture;

static void fixture_init(fixture *f) {
  memset(f, 0, sizeof *f);
  ksmc_gunzip_init(&f->g);
}

static void fixture_free(fixture *f) {
  ksmc_gunzip_free(&f->g);
  ksmc_buf_free(&f->payload);
  ksmc_buf_free(&f->body);
  ksmc_buf_free(&f->want);
  ksmc_buf_free(&f->s.got);
}

/* Feeds p[0..n) to f's decoder in random chunks (max_chunk 1: byte by byte), collecting
 * the output in f->s and any error in f->err. Returns the last result. */
static int feed_chunks(fixture *f, const char *p, size_t n, size_t max_chunk) {
  CU_ASSERT_EQUAL_FATAL(ksmc_gunzip_begin(&f->g), KSMC_GUNZIP_OK);
  ksmc_buf_reset(&f->s.got);
  size_t at = 0;
  while (at < n) {
    size_t k = 1 + rnd_below(max_chunk);
    if (k > n - at) k = n - at;
    int rc = ksmc_gunzip_feed(&f->g, p + at, k, collect, &f->s, f->err, sizeof f->err);
    if (rc != KSMC_GUNZIP_OK) return rc;
    at += k;
  }
  return KSMC_GUNZIP_OK;
}

static void test_random_bodies_match_zlib(void) {
  static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
  fixture f;
  fixture_init(&f);
  for (int round = 0; round < 200; round++) {
    ksmc_buf_reset(&f.body);
    int members = 1 + (int)rnd_below(round % 5 == 0 ? 3 : 1);
    for (int m = 0; m < members; m++) {
      size_t n = rnd_below(round % 7 == 0 ? 400000 : 40000);
      random_payload(&f.payload, n);
      gzip_member(&f.body, f.payload.p, f.payload.n, (int)rnd_below(10),
                  strategies[rnd_below(sizeof strategies / sizeof *strategies)]);
    }
    CU_ASSERT_TRUE_FATAL(gzip_ref_gunzip(f.body.p, f.body.n, &f.want));
    size_t max_chunk = round % 11 == 0 ? 1 : 1 + rnd_below(round % 2 ? 300000 : 20000);
    if (max_chunk == 1 && f.body.n > 50000) max_chunk = 7;
    int rc = feed_chunks(&f, f.body.p, f.body.n, max_chunk);
    CU_ASSERT_EQUAL(rc, KSMC_GUNZIP_OK);
    if (rc != KSMC_GUNZIP_OK) fprintf(stderr, "round %d: %s\n", round, f.err);
    CU_ASSERT_TRUE(ksmc_gunzip_complete(&f.g));
    CU_ASSERT_EQUAL(f.g.total_out, f.want.n);
    CU_ASSERT_TRUE(same(f.s.got.p, f.s.got.n, f.want.p, f.want.n));
  }
  fixture_free(&f);
}

static void test_truncated_never_complete(void) {
  fixture f;
  fixture_init(&f);
  random_payload(&f.payload, 3000);
  gzip_member(&f.body, f.payload.p, f.payload.n, 6, Z_DEFAULT_STRATEGY);
  for (size_t cut = 0; cut < f.body.n; cut++) {
    int rc = feed_chunks(&f, f.body.p, cut, 64);
    CU_ASSERT_EQUAL(rc, KSMC_GUNZIP_OK); /* a valid prefix is not an error */
    CU_ASSERT_FALSE(ksmc_gunzip_complete(&f.g));
    CU_ASSERT_TRUE(f.s.got.n <= f.payload.n && same(f.s.got.p, f.s.got.n, f.payload.p, f.s.got.n));
  }
  CU_ASSERT_EQUAL(feed_chunks(&f, f.body.p, f.body.n, 64), KSMC_GUNZIP_OK);
  CU_ASSERT_TRUE(ksmc_gunzip_complete(&f.g));
  /* a second member cut short: not complete either */
  size_t one = f.body.n;
  gzip_member(&f.body, f.payload.p, 100, 1, Z_DEFAULT_STRATEGY);
  CU_ASSERT_EQUAL(feed_chunks(&f, f.body.p, one + 5, 64), KSMC_GUNZIP_OK);
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&f.g));
  fixture_free(&f);
}

static void test_errors(void) {
  fixture f;
  fixture_init(&f);
  random_payload(&f.payload, 100000);
  gzip_member(&f.body, f.payload.p, f.payload.n, 1, Z_DEFAULT_STRATEGY);
  /* CRC-32 of the trailer */
  f.body.p[f.body.n - 8] ^= 0x01;
  CU_ASSERT_EQUAL(feed_chunks(&f, f.body.p, f.body.n, 16384), KSMC_GUNZIP_BAD);
  CU_ASSERT_PTR_NOT_NULL(strstr(f.err, "gzip: incorrect CRC-32 or length"));
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&f.g));
  f.body.p[f.body.n - 8] ^= 0x01;
  /* ISIZE of the trailer */
  f.body.p[f.body.n - 1] ^= 0x10;
  CU_ASSERT_EQUAL(feed_chunks(&f, f.body.p, f.body.n, 16384), KSMC_GUNZIP_BAD);
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&f.g));
  f.body.p[f.body.n - 1] ^= 0x10;
  /* not gzip at all, and garbage after a complete member */
  CU_ASSERT_EQUAL(feed_chunks(&f, "{\"items\":[]}", 12, 4), KSMC_GUNZIP_BAD);
  CU_ASSERT_PTR_NOT_NULL(strstr(f.err, "not a gzip header"));
  ksmc_buf_put(&f.body, "garbage after the member", 24);
  CU_ASSERT_EQUAL(feed_chunks(&f, f.body.p, f.body.n, 16384), KSMC_GUNZIP_BAD);
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&f.g));
  f.body.n -= 24;
  ksmc_buf_put(&f.body, "garbage", 7); /* shorter than a header: incomplete, not complete */
  feed_chunks(&f, f.body.p, f.body.n, 16384);
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&f.g));
  f.body.n -= 7;
  /* the callback stops decoding */
  f.s.stop_after = 1000;
  CU_ASSERT_EQUAL(feed_chunks(&f, f.body.p, f.body.n, 16384), KSMC_GUNZIP_STOPPED);
  CU_ASSERT_TRUE(f.s.got.n >= 1000 && f.s.got.n < f.payload.n);
  f.s.stop_after = 0;
  /* and the decoder is usable again after all that */
  CU_ASSERT_EQUAL(feed_chunks(&f, f.body.p, f.body.n, 16384), KSMC_GUNZIP_OK);
  CU_ASSERT_TRUE(ksmc_gunzip_complete(&f.g));
  CU_ASSERT_TRUE(same(f.s.got.p, f.s.got.n, f.payload.p, f.payload.n));
  fixture_free(&f);
}

/* Random corruption: whatever ksmc_gunzip accepts as a complete body, zlib accepts too,
 * with the same bytes (the trailer's CRC-32 and length catch the rest). */
static void test_corruption_never_accepted_differently(void) {
  fixture f;
  fixture_init(&f);
  int rejected = 0;
  for (int round = 0; round < 300; round++) {
    ksmc_buf_reset(&f.body);
    random_payload(&f.payload, 1 + rnd_below(20000));
    gzip_member(&f.body, f.payload.p, f.payload.n, (int)rnd_below(10), Z_DEFAULT_STRATEGY);
    int flips = 1 + (int)rnd_below(3);
    for (int i = 0; i < flips; i++) f.body.p[rnd_below(f.body.n)] ^= (char)(1u << rnd_below(8));
    int rc = feed_chunks(&f, f.body.p, f.body.n, 5000);
    bool ok = rc == KSMC_GUNZIP_OK && ksmc_gunzip_complete(&f.g);
    bool zok = gzip_ref_gunzip(f.body.p, f.body.n, &f.want);
    if (ok) {
      CU_ASSERT_TRUE(zok);
      CU_ASSERT_TRUE(same(f.s.got.p, f.s.got.n, f.want.p, f.want.n));
    } else {
      rejected++;
    }
  }
  CU_ASSERT_TRUE(rejected > 250); /* flipped bits are almost always caught */
  fixture_free(&f);
}

static const ktest_case cases[] = {
    {"random bodies in random chunks decode like zlib", test_random_bodies_match_zlib},
    {"truncated bodies are never complete", test_truncated_never_complete},
    {"CRC, length, wrapper errors; stop; reuse", test_errors},
    {"corrupted bodies are rejected or equal zlib's", test_corruption_never_accepted_differently},
    {0}};
KTEST_MAIN("kube_gunzip", cases)
