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

static const ktest_case cases[] = {{"basic", test_basic},
                                   {"offsets", test_offsets},
                                   {"fraction floors", test_fraction_floors},
                                   {"range", test_range},
                                   {"shape", test_shape},
                                   {"go fallback leniency", test_go_fallback_leniency},
                                   {0}};
KTEST_MAIN("ksmc_time", cases)
