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
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}
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

/* Feeds body in random chunks (max_chunk 1: byte by byte). Returns the last result. */
static int feed_chunks(ksmc_gunzip *g, const char *p, size_t n, size_t max_chunk, sink *s,
                       char *err, size_t errlen) {
  CU_ASSERT_EQUAL_FATAL(ksmc_gunzip_begin(g), KSMC_GUNZIP_OK);
  ksmc_buf_reset(&s->got);
  size_t at = 0;
  while (at < n) {
    size_t k = 1 + rnd_below(max_chunk);
    if (k > n - at) k = n - at;
    int rc = ksmc_gunzip_feed(g, p + at, k, collect, s, err, errlen);
    if (rc != KSMC_GUNZIP_OK) return rc;
    at += k;
  }
  return KSMC_GUNZIP_OK;
}

static void test_random_bodies_match_zlib(void) {
  static const int strategies[] = {Z_DEFAULT_STRATEGY, Z_FILTERED, Z_HUFFMAN_ONLY, Z_RLE, Z_FIXED};
  ksmc_gunzip g;
  ksmc_gunzip_init(&g);
  ksmc_buf payload = {0}, body = {0}, want = {0};
  sink s = {0};
  char err[128];
  for (int round = 0; round < 200; round++) {
    ksmc_buf_reset(&body);
    int members = 1 + (int)rnd_below(round % 5 == 0 ? 3 : 1);
    for (int m = 0; m < members; m++) {
      size_t n = rnd_below(round % 7 == 0 ? 400000 : 40000);
      random_payload(&payload, n);
      gzip_member(&body, payload.p, payload.n, (int)rnd_below(10),
                  strategies[rnd_below(sizeof strategies / sizeof *strategies)]);
    }
    CU_ASSERT_TRUE_FATAL(gzip_ref_gunzip(body.p, body.n, &want));
    size_t max_chunk = round % 11 == 0 ? 1 : 1 + rnd_below(round % 2 ? 300000 : 20000);
    if (max_chunk == 1 && body.n > 50000) max_chunk = 7;
    int rc = feed_chunks(&g, body.p, body.n, max_chunk, &s, err, sizeof err);
    CU_ASSERT_EQUAL(rc, KSMC_GUNZIP_OK);
    if (rc != KSMC_GUNZIP_OK) fprintf(stderr, "round %d: %s\n", round, err);
    CU_ASSERT_TRUE(ksmc_gunzip_complete(&g));
    CU_ASSERT_EQUAL(g.total_out, want.n);
    CU_ASSERT_TRUE(same(s.got.p, s.got.n, want.p, want.n));
  }
  ksmc_gunzip_free(&g);
  ksmc_buf_free(&payload);
  ksmc_buf_free(&body);
  ksmc_buf_free(&want);
  ksmc_buf_free(&s.got);
}

static void test_truncated_never_complete(void) {
  ksmc_gunzip g;
  ksmc_gunzip_init(&g);
  ksmc_buf payload = {0}, body = {0}, want = {0};
  sink s = {0};
  char err[128];
  random_payload(&payload, 3000);
  gzip_member(&body, payload.p, payload.n, 6, Z_DEFAULT_STRATEGY);
  for (size_t cut = 0; cut < body.n; cut++) {
    int rc = feed_chunks(&g, body.p, cut, 64, &s, err, sizeof err);
    CU_ASSERT_EQUAL(rc, KSMC_GUNZIP_OK); /* a valid prefix is not an error */
    CU_ASSERT_FALSE(ksmc_gunzip_complete(&g));
    CU_ASSERT_TRUE(s.got.n <= payload.n && same(s.got.p, s.got.n, payload.p, s.got.n));
  }
  CU_ASSERT_EQUAL(feed_chunks(&g, body.p, body.n, 64, &s, err, sizeof err), KSMC_GUNZIP_OK);
  CU_ASSERT_TRUE(ksmc_gunzip_complete(&g));
  /* a second member cut short: not complete either */
  size_t one = body.n;
  gzip_member(&body, payload.p, 100, 1, Z_DEFAULT_STRATEGY);
  CU_ASSERT_EQUAL(feed_chunks(&g, body.p, one + 5, 64, &s, err, sizeof err), KSMC_GUNZIP_OK);
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&g));
  ksmc_gunzip_free(&g);
  ksmc_buf_free(&payload);
  ksmc_buf_free(&body);
  ksmc_buf_free(&want);
  ksmc_buf_free(&s.got);
}

static void test_errors(void) {
  ksmc_gunzip g;
  ksmc_gunzip_init(&g);
  ksmc_buf payload = {0}, body = {0};
  sink s = {0};
  char err[128] = "";
  random_payload(&payload, 100000);
  gzip_member(&body, payload.p, payload.n, 1, Z_DEFAULT_STRATEGY);
  /* CRC-32 of the trailer */
  body.p[body.n - 8] ^= 0x01;
  CU_ASSERT_EQUAL(feed_chunks(&g, body.p, body.n, 16384, &s, err, sizeof err), KSMC_GUNZIP_BAD);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "gzip: incorrect CRC-32 or length"));
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&g));
  body.p[body.n - 8] ^= 0x01;
  /* ISIZE of the trailer */
  body.p[body.n - 1] ^= 0x10;
  CU_ASSERT_EQUAL(feed_chunks(&g, body.p, body.n, 16384, &s, err, sizeof err), KSMC_GUNZIP_BAD);
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&g));
  body.p[body.n - 1] ^= 0x10;
  /* not gzip at all, and garbage after a complete member */
  CU_ASSERT_EQUAL(feed_chunks(&g, "{\"items\":[]}", 12, 4, &s, err, sizeof err), KSMC_GUNZIP_BAD);
  CU_ASSERT_PTR_NOT_NULL(strstr(err, "not a gzip header"));
  ksmc_buf_put(&body, "garbage after the member", 24);
  CU_ASSERT_EQUAL(feed_chunks(&g, body.p, body.n, 16384, &s, err, sizeof err), KSMC_GUNZIP_BAD);
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&g));
  body.n -= 24;
  ksmc_buf_put(&body, "garbage", 7); /* shorter than a header: incomplete, not complete */
  feed_chunks(&g, body.p, body.n, 16384, &s, err, sizeof err);
  CU_ASSERT_FALSE(ksmc_gunzip_complete(&g));
  body.n -= 7;
  /* the callback stops decoding */
  s.stop_after = 1000;
  CU_ASSERT_EQUAL(feed_chunks(&g, body.p, body.n, 16384, &s, err, sizeof err), KSMC_GUNZIP_STOPPED);
  CU_ASSERT_TRUE(s.got.n >= 1000 && s.got.n < payload.n);
  s.stop_after = 0;
  /* and the decoder is usable again after all that */
  CU_ASSERT_EQUAL(feed_chunks(&g, body.p, body.n, 16384, &s, err, sizeof err), KSMC_GUNZIP_OK);
  CU_ASSERT_TRUE(ksmc_gunzip_complete(&g));
  CU_ASSERT_TRUE(same(s.got.p, s.got.n, payload.p, payload.n));
  ksmc_gunzip_free(&g);
  ksmc_buf_free(&payload);
  ksmc_buf_free(&body);
  ksmc_buf_free(&s.got);
}

/* Random corruption: whatever ksmc_gunzip accepts as a complete body, zlib accepts too,
 * with the same bytes (the trailer's CRC-32 and length catch the rest). */
static void test_corruption_never_accepted_differently(void) {
  ksmc_gunzip g;
  ksmc_gunzip_init(&g);
  ksmc_buf payload = {0}, body = {0}, want = {0};
  sink s = {0};
  char err[128];
  int rejected = 0;
  for (int round = 0; round < 300; round++) {
    ksmc_buf_reset(&body);
    random_payload(&payload, 1 + rnd_below(20000));
    gzip_member(&body, payload.p, payload.n, (int)rnd_below(10), Z_DEFAULT_STRATEGY);
    int flips = 1 + (int)rnd_below(3);
    for (int f = 0; f < flips; f++) body.p[rnd_below(body.n)] ^= (char)(1u << rnd_below(8));
    int rc = feed_chunks(&g, body.p, body.n, 5000, &s, err, sizeof err);
    bool ok = rc == KSMC_GUNZIP_OK && ksmc_gunzip_complete(&g);
    bool zok = gzip_ref_gunzip(body.p, body.n, &want);
    if (ok) {
      CU_ASSERT_TRUE(zok);
      CU_ASSERT_TRUE(same(s.got.p, s.got.n, want.p, want.n));
    } else {
      rejected++;
    }
  }
  CU_ASSERT_TRUE(rejected > 250); /* flipped bits are almost always caught */
  ksmc_gunzip_free(&g);
  ksmc_buf_free(&payload);
  ksmc_buf_free(&body);
  ksmc_buf_free(&want);
  ksmc_buf_free(&s.got);
}

static const ktest_case cases[] = {
    {"random bodies in random chunks decode like zlib", test_random_bodies_match_zlib},
    {"truncated bodies are never complete", test_truncated_never_complete},
    {"CRC, length, wrapper errors; stop; reuse", test_errors},
    {"corrupted bodies are rejected or equal zlib's", test_corruption_never_accepted_differently},
    {0}};
KTEST_MAIN("kube_gunzip", cases)
