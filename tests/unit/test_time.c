/* ksmc_time: time.Parse(time.RFC3339, s).Unix(). */
#include <stdint.h>

#include "ksmc_time.h"
#include "ktest.h"

static void ok(const char *s, int64_t want) {
  int64_t got = 12345;
  bool r = ksmc_time_parse_rfc3339(s, strlen(s), &got);
  if (!r || got != want)
    fprintf(stderr, "\n  %s: ok=%d got %lld want %lld", s, r, (long long)got, (long long)want);
  CU_ASSERT_TRUE(r);
  CU_ASSERT_EQUAL(got, want);
}

static void bad(const char *s) {
  int64_t got = 12345;
  bool r = ksmc_time_parse_rfc3339(s, strlen(s), &got);
  if (r) fprintf(stderr, "\n  %s: accepted as %lld", s, (long long)got);
  CU_ASSERT_FALSE(r);
  CU_ASSERT_EQUAL(got, 12345); /* untouched on error */
}

static void test_basic(void) {
  ok("1970-01-01T00:00:00Z", 0);
  ok("2025-08-01T00:00:00Z", 1754006400);
  ok("2017-07-31T06:30:18Z", 1501482618);
  ok("2024-01-02T05:04:05Z", 1704171845);
  ok("2024-03-01T00:00:00Z", 1709251200);
  ok("1969-12-31T23:59:59Z", -1);
}

static void test_offsets(void) {
  ok("2024-01-01T01:00:00+01:00", 1704067200);
  ok("2024-01-01T00:00:00-05:30", 1704087000);
  ok("2024-01-01T00:00:00+00:00", 1704067200);
  ok("2024-01-01T00:00:00-00:00", 1704067200);
}

static void test_fraction_floors(void) {
  ok("1970-01-01T00:00:00.999999999Z", 0);
  ok("1970-01-01T00:00:00.5Z", 0);
  ok("1969-12-31T23:59:59.5Z", -1); /* floor, not truncation towards 0 */
  ok("2017-07-31T06:30:18.123456789012345+00:00", 1501482618);
  bad("1970-01-01T00:00:00.Z");
  bad("1970-01-01T00:00:00.");
}

static void test_range(void) {
  ok("0001-01-01T00:00:00Z", KSMC_TIME_ZERO_UNIX);
  ok("0000-01-01T00:00:00Z", -62167219200LL);
  ok("9999-12-31T23:59:59Z", 253402300799LL);
  ok("2000-02-29T12:00:00Z", 951825600);
  ok("2024-02-29T00:00:00Z", 1709164800);
  bad("2023-02-29T00:00:00Z");
  bad("1900-02-29T00:00:00Z");
  bad("2024-04-31T00:00:00Z");
  bad("2024-13-01T00:00:00Z");
  bad("2024-00-01T00:00:00Z");
  bad("2024-01-00T00:00:00Z");
  bad("2024-01-32T00:00:00Z");
  bad("2024-01-01T24:00:00Z");
  bad("2024-01-01T00:60:00Z");
  bad("2024-01-01T00:00:60Z");
  bad("2024-01-01T00:00:00+25:00");
  bad("2024-01-01T00:00:00+00:61");
}

static void test_shape(void) {
  bad("");
  bad("2024-01-01");
  bad("2024-01-01T00:00:00");
  bad("2024-01-01t00:00:00Z");
  bad("2024-01-01 00:00:00Z");
  bad("2024-01-01T00:00:00z");
  bad("2024-01-01T00:00:00+0100");
  bad("2024-01-01T00:00:00+01");
  bad("2024-01-01T00:00:00Zjunk");
  bad(" 2024-01-01T00:00:00Z");
  bad("2024-1-01T00:00:00Z");
  bad("24-01-01T00:00:00Z");
  bad("+2024-01-01T00:00:00Z");
  bad("2024-01-01T00:0:00Z");
  bad("2024-01-01T00:00:0Z");
  bad("2024-01-01T000:00:00Z");
  bad("2024-01-01T00:00:00*01:00");
  /* the 20-byte form has a fast path: every position is still checked */
  bad("2024-01-0xT00:00:00Z");
  bad("2024-01-01T0/:00:00Z");
  bad("2024-01-01T00:00:0:Z");
  bad("2024-01-01T00-00:00Z");
  bad("2024/01-01T00:00:00Z");
  bad("2024-01-01T00:00:00+");
  ok("2024-01-01T9:00:00+00:00", 1704099600); /* one-digit hour: the general parser */
  /* the length is honoured: no reading past n */
  int64_t t = 0;
  CU_ASSERT_FALSE(ksmc_time_parse_rfc3339("2024-01-01T00:00:00Z", 19, &t));
  CU_ASSERT_TRUE(ksmc_time_parse_rfc3339("2024-01-01T00:00:00Zxx", 20, &t));
}

/* Go's fallback layout parser (used when the strict fast path fails) accepts these. */
static void test_go_fallback_leniency(void) {
  ok("2024-01-02T5:04:05Z", 1704171845);
  ok("2024-01-02T05:04:05,75Z", 1704171845);
  ok("2024-01-01T00:00:00+24:00", 1704067200 - 86400);
  ok("2024-01-01T00:00:00-00:60", 1704067200 + 3600);
}

/* The fixed-position path for "2006-01-02T15:04:05Z" against the general parser on many
 * strings of that shape: every field over and past its range, and single bytes replaced by
 * separators, digits' neighbours (/ : and bytes >= 0x80), or the string cut or extended. */
static void test_canonical_property(void) {
  static const char subst[] = "0123456789/:;-TtZz+.,  \x80\xff\x2f\x3a";
  uint64_t x = 0x3c6ef372fe94f82bull;
  size_t bad_n = 0, valid = 0;
  char s[32];
  for (int iter = 0; iter < 400000; iter++) {
    ktest_rand(&x);
    int y = (int)(x % 10000), mo = (int)(x >> 14 & 0xff) % 14, d = (int)(x >> 18 & 0xff) % 33,
        h = (int)(x >> 24 & 0xff) % 26, mi = (int)(x >> 30 & 0xff) % 62,
        se = (int)(x >> 36 & 0xff) % 62;
    snprintf(s, sizeof s, "%04d-%02d-%02dT%02d:%02d:%02dZ", y, mo, d, h, mi, se);
    size_t n = 20;
    switch ((x >> 42) % 6) {
    case 0:
      s[(x >> 45) % 20] = subst[(x >> 50) % (sizeof subst - 1)];
      break;
    case 1:
      n = (size_t)(x >> 45) % 22;
      break; /* cut, or one byte more (the NUL) */
    default:
      break;
    }
    int64_t v1 = 1, v2 = 2;
    bool ok1 = ksmc_time_parse_rfc3339(s, n, &v1), ok2 = ksmc_time_parse_rfc3339_general(s, n, &v2);
    if ((ok1 != ok2 || (ok1 && v1 != v2)) && bad_n++ < 5)
      fprintf(stderr, "\n  '%.*s': %d %lld, general %d %lld", (int)n, s, ok1, (long long)v1, ok2,
              (long long)v2);
    valid += ok2;
  }
  CU_ASSERT_EQUAL(bad_n, 0);
  CU_ASSERT_TRUE(valid > 50000);
}

static const ktest_case cases[] = {{"basic", test_basic},
                                   {"offsets", test_offsets},
                                   {"fraction floors", test_fraction_floors},
                                   {"range", test_range},
                                   {"shape", test_shape},
                                   {"go fallback leniency", test_go_fallback_leniency},
                                   {"fixed positions = general", test_canonical_property},
                                   {0}};
KTEST_MAIN("ksmc_time", cases)
