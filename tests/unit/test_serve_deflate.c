/* Tests of ksmc_deflate: every piece inflates on its own (it references nothing before
 * it), pieces join in any order, both back ends (ISA-L level 1, zlib 2..9) and the CRCs
 * agree with zlib's. Inflated with zlib, an independent decoder. */
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "ksmc_deflate.h"
#include "ktest.h"

/* Metric-like text of n bytes, different for each seed. */
static char *text(size_t n, unsigned seed) {
  char *p = malloc(n + 64);
  size_t k = 0;
  for (unsigned i = 0; k < n; i++)
    k += (size_t)snprintf(p + k, 64, "kube_pod_info{pod=\"pod-%u-%u\",node=\"n%u\"} 1\n", seed, i,
                          (i * 7919u + seed) % 97);
  return p;
}

/* Bytes that do not compress (xorshift), so the output is larger than the input. */
static unsigned char *noise(size_t n) {
  unsigned char *p = malloc(n);
  uint64_t x = 88172645463325252ull;
  for (size_t i = 0; i < n; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    p[i] = (unsigned char)x;
  }
  return p;
}

/* Inflates raw deflate `in` followed by an empty final block; the output length, or -1
 * when zlib reports an error or the stream does not end exactly there. */
static long inflate_closed(const unsigned char *in, size_t n, unsigned char *out, size_t cap) {
  unsigned char *s = malloc(n + 2);
  memcpy(s, in, n);
  s[n] = 0x03, s[n + 1] = 0x00; /* final fixed-Huffman block holding only end-of-block */
  z_stream z = {0};
  long got = -1;
  if (inflateInit2(&z, -15) == Z_OK) {
    z.next_in = s;
    z.avail_in = (uInt)(n + 2);
    z.next_out = out;
    z.avail_out = (uInt)cap;
    if (inflate(&z, Z_FINISH) == Z_STREAM_END && z.avail_in == 0) got = (long)z.total_out;
    inflateEnd(&z);
  }
  free(s);
  return got;
}

/* A copy of the piece z just made. */
static unsigned char *piece_of(ksmc_deflate *z, const void *in, size_t n, size_t *pn) {
  const unsigned char *p;
  CU_ASSERT_TRUE_FATAL(ksmc_deflate_piece(z, in, n, &p, pn));
  unsigned char *c = malloc(*pn + 1);
  memcpy(c, p, *pn);
  return c;
}

/* Three pieces made one after the other by one compressor: each alone, and all three in
 * reverse order, inflate to their inputs. */
static void pieces_stand_alone(int level) {
  ksmc_deflate *z = ksmc_deflate_new(level);
  CU_ASSERT_PTR_NOT_NULL_FATAL(z);
  size_t len[3] = {40000, 3000, 250000}, pn[3];
  char *in[3];
  unsigned char *pc[3];
  for (int i = 0; i < 3; i++) {
    in[i] = text(len[i], (unsigned)i);
    pc[i] = piece_of(z, in[i], len[i], &pn[i]);
    CU_ASSERT_TRUE(pn[i] > 0 && pn[i] < len[i] / 2); /* it compressed */
  }
  unsigned char *out = malloc(300000);
  for (int i = 0; i < 3; i++) {
    CU_ASSERT_EQUAL(inflate_closed(pc[i], pn[i], out, 300000), (long)len[i]);
    CU_ASSERT_EQUAL(memcmp(out, in[i], len[i]), 0);
  }
  size_t tn = pn[0] + pn[1] + pn[2], off = 0;
  unsigned char *joined = malloc(tn);
  for (int i = 2; i >= 0; i--) memcpy(joined + off, pc[i], pn[i]), off += pn[i];
  unsigned char *big = malloc(len[0] + len[1] + len[2]);
  CU_ASSERT_EQUAL(inflate_closed(joined, tn, big, len[0] + len[1] + len[2]),
                  (long)(len[0] + len[1] + len[2]));
  CU_ASSERT_EQUAL(memcmp(big, in[2], len[2]), 0);
  CU_ASSERT_EQUAL(memcmp(big + len[2], in[1], len[1]), 0);
  CU_ASSERT_EQUAL(memcmp(big + len[2] + len[1], in[0], len[0]), 0);
  for (int i = 0; i < 3; i++) free(in[i]), free(pc[i]);
  free(joined), free(out), free(big);
  ksmc_deflate_free(z);
}

static void test_isal_pieces(void) { pieces_stand_alone(1); }
static void test_zlib_pieces(void) { pieces_stand_alone(6); }

static void test_incompressible_and_empty(void) {
  for (int level = 1; level <= 9; level += 8) {
    ksmc_deflate *z = ksmc_deflate_new(level);
    CU_ASSERT_PTR_NOT_NULL_FATAL(z);
    size_t n = 1 << 20, pn;
    unsigned char *in = noise(n);
    unsigned char *pc = piece_of(z, in, n, &pn);
    CU_ASSERT_TRUE(pn >= n); /* stored, not expanded without bound */
    unsigned char *out = malloc(n);
    CU_ASSERT_EQUAL(inflate_closed(pc, pn, out, n), (long)n);
    CU_ASSERT_EQUAL(memcmp(out, in, n), 0);
    const unsigned char *p;
    CU_ASSERT_TRUE(ksmc_deflate_piece(z, "", 0, &p, &pn));
    CU_ASSERT_EQUAL(pn, 0);
    free(in), free(pc), free(out);
    ksmc_deflate_free(z);
  }
}

static void test_levels(void) {
  CU_ASSERT_PTR_NULL(ksmc_deflate_new(0));
  CU_ASSERT_PTR_NULL(ksmc_deflate_new(10));
  ksmc_deflate_free(NULL);
}

static void test_crc(void) {
  size_t n = 100003;
  char *t = text(n, 9);
  uLong want = crc32(0, (const Bytef *)t, (uInt)n);
  CU_ASSERT_EQUAL(ksmc_deflate_crc32(0, t, n), (uint32_t)want);
  uint32_t a = ksmc_deflate_crc32(0, t, 777), b = ksmc_deflate_crc32(0, t + 777, n - 777);
  CU_ASSERT_EQUAL(ksmc_deflate_crc32(a, t + 777, n - 777), (uint32_t)want);
  CU_ASSERT_EQUAL(ksmc_deflate_crc32_combine(a, b, n - 777), (uint32_t)want);
  CU_ASSERT_EQUAL(ksmc_deflate_crc32(0, t, 0), 0);
  free(t);
}

static const ktest_case cases[] = {
    {"ISA-L level 1 pieces stand alone and join", test_isal_pieces},
    {"zlib level 6 pieces stand alone and join", test_zlib_pieces},
    {"incompressible and empty input", test_incompressible_and_empty},
    {"levels out of range", test_levels},
    {"CRC-32 equals zlib's", test_crc},
    {0}};
KTEST_MAIN("serve_deflate", cases)
