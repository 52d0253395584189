/* ksmc_fmt: Go FormatFloat('g', -1) byte-exactness and KSM's writeFloat literals. */
#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "ksmc_fmt.h"
#include "ktest.h"

static void check_g(double v, const char *want) {
  char dst[KSMC_FMT_G_MAX];
  size_t n = ksmc_fmt_g(dst, v);
  CU_ASSERT_TRUE(n <= KSMC_FMT_G_MAX);
  KTEST_ASSERT_BYTES(dst, n, want);
}

static void check_value(double v, const char *want) {
  ksmc_buf b = {0};
  ksmc_buf_putc(&b, '>'); /* appends after existing bytes */
  ksmc_fmt_value(&b, v);
  CU_ASSERT_FALSE(ksmc_buf_failed(&b));
  CU_ASSERT_EQUAL(b.p[0], '>');
  KTEST_ASSERT_BYTES(b.p + 1, b.n - 1, want);
  ksmc_buf_free(&b);
}

static void check_i64(int64_t v, const char *want) {
  ksmc_buf b = {0};
  ksmc_fmt_i64(&b, v);
  KTEST_ASSERT_BYTES(b.p, b.n, want);
  ksmc_buf_free(&b);
}

/* The table of ksm-exposition.md section 4.5. */
static void test_doc_table(void) {
  check_value(1, "1");
  check_value(0, "0");
  check_value(-1, "-1");
  check_value(1.5, "1.5");
  check_value(0.25, "0.25");
  check_value(0.001, "0.001");
  check_value(0.0001, "0.0001");
  check_value(0.00001, "1e-05");
  check_value(100000, "100000");
  check_value(999999, "999999");
  check_value(1000000, "1e+06");
  check_value(1234567, "1.234567e+06");
  check_value(16777216, "1.6777216e+07");
  check_value(1.5e9, "1.5e+09");
  check_value(1754006400, "1.7540064e+09");
  check_value(1501569018, "1.501569018e+09");
  check_value(8589934592.0, "8.589934592e+09");
  check_value(123456789, "1.23456789e+08");
  check_value(9007199254740993.0, "9.007199254740992e+15");
  check_value(1e21, "1e+21");
  check_value(DBL_MAX, "1.7976931348623157e+308");
  check_value(NAN, "NaN");
  check_value(INFINITY, "+Inf");
  check_value(-INFINITY, "-Inf");
  check_value(-2, "-2");
  check_value(-0.5, "-0.5");
  /* KSM test expectations */
  check_value(3e8, "3e+08");
  check_value(123456, "123456");
  check_value(819200, "819200");
  check_value(2.6335914666e+07, "2.6335914666e+07");
  check_value(0.5, "0.5");
}

static void test_write_float_literals(void) {
  check_value(-0.0, "0"); /* writeFloat: -0 == 0 */
  check_g(-0.0, "-0");    /* FormatFloat keeps the sign */
  check_g(0.0, "0");
  check_value(-NAN, "NaN");
  check_g(1, "1");
  check_g(-1, "-1");
}

static void test_edges(void) {
  check_g(5e-324, "5e-324");
  check_g(-5e-324, "-5e-324");
  check_g(2.2250738585072014e-308, "2.2250738585072014e-308");
  check_g(-2.2250738585072014e-308, "-2.2250738585072014e-308");
  check_g(0.1 + 0.2, "0.30000000000000004");
  check_g(9007199254740991.0, "9.007199254740991e+15");
  check_g(9007199254740992.0, "9.007199254740992e+15");
  check_g(1e23, "1e+23");
  check_g(999999.5, "999999.5");
  check_g(1e100, "1e+100");
  check_g(1.5e-100, "1.5e-100");
  check_g(ldexp(1, -44), "5.684341886080802e-14");
  check_g(ldexp(1, 1023), "8.98846567431158e+307");
  check_g(-1234.5678, "-1234.5678");
}

/* Python-repr-derived table (tests/unit/gen_fmt_table.py): powers of two over the whole
 * exponent range, random bit patterns, human-scale decimals, big integers. */
static const struct {
  uint64_t bits;
  const char *want;
} table[] = {
#include "fmt_table.inc"
};

static void test_generated_table(void) {
  size_t bad = 0;
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    double v;
    memcpy(&v, &table[i].bits, sizeof v);
    char dst[KSMC_FMT_G_MAX];
    size_t n = ksmc_fmt_g(dst, v);
    if (n != strlen(table[i].want) || memcmp(dst, table[i].want, n) != 0) {
      if (bad++ < 20)
        fprintf(stderr, "\n  bits %016llx want [%s] got [%.*s]", (unsigned long long)table[i].bits,
                table[i].want, (int)n, dst);
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_TRUE(sizeof table / sizeof table[0] > 2000);
}

/* Go's 'g' text of an integer-valued |v| < 2^53 built by hand from printf's exact digits:
 * plain below 10^6, else d[.ddd]e+XX without trailing zeros. */
static void go_int_g(double v, char *g, size_t cap) {
  char want[64];
  const char *sign = v < 0 ? "-" : "";
  int len = snprintf(want, sizeof want, "%.0f", fabs(v));
  int nd = len;
  while (nd > 1 && want[nd - 1] == '0') nd--;
  if (len - 1 >= 6) {
    int k = snprintf(g, cap, "%s%c", sign, want[0]);
    if (nd > 1) k += snprintf(g + k, cap - (size_t)k, ".%.*s", nd - 1, want + 1);
    snprintf(g + k, cap - (size_t)k, "e+%02d", len - 1);
  } else {
    snprintf(g, cap, "%s%s", sign, want);
  }
}

/* Every integer below 2^53 takes the fast paths (digits below 10^6, the e form written
 * straight from the digits above); check them against the layout built by hand, on a sweep
 * across digit counts and the exponent-form threshold, and on random integers of every
 * length with trailing zeros, negatives and Unix timestamps. */
static void test_integer_sweep(void) {
  char g[96];
  char dst[KSMC_FMT_G_MAX];
  size_t bad = 0, checked = 0;
  for (double v = 1; v < 9e15; v = v * 3 + 7) {
    go_int_g(v, g, sizeof g);
    size_t n = ksmc_fmt_g(dst, v);
    if (n != strlen(g) || memcmp(dst, g, n) != 0) bad++;
    checked++;
  }
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 200000; i++) {
    ktest_rand(&x);
    uint64_t u = x >> (11 + x % 53); /* below 2^53, every bit length */
    for (int z = (int)(x >> 58) % 8; z > 0 && u < (1ull << 53) / 10; z--) u *= 10;
    if (i % 4 == 1) u = 1600000000 + (x >> 40) % 200000000; /* timestamps */
    if (u == 0 || u >= (1ull << 53)) continue;
    double v = i % 3 == 2 ? -(double)u : (double)u;
    go_int_g(v, g, sizeof g);
    size_t n = ksmc_fmt_g(dst, v);
    if ((n != strlen(g) || memcmp(dst, g, n) != 0) && bad++ < 5)
      fprintf(stderr, "\n  %.0f: got %.*s want %s", v, (int)n, dst, g);
    checked++;
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_TRUE(checked > 150000);
}

/* Significant digits in a %g-style text: mantissa digits without leading or trailing
 * zeros ("92080" -> 4, "0.0001" -> 1, "1.5e+09" -> 2). */
static int sig_digits(const char *s, size_t n) {
  int first = -1, last = -1, pos = 0;
  for (size_t i = 0; i < n && s[i] != 'e'; i++) {
    if (s[i] < '0' || s[i] > '9') continue;
    if (s[i] != '0') {
      if (first < 0) first = pos;
      last = pos;
    }
    pos++;
  }
  return first < 0 ? 0 : last - first + 1;
}

/* Property test on 100k pseudo-random doubles (fixed seed): the text reads back as the
 * same double and has no more digits than the shortest correctly rounded %.*e that does. */
static void test_roundtrip_property(void) {
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  size_t bad = 0;
  for (int i = 0; i < 100000; i++) {
    ktest_rand(&x);
    double v;
    switch (i % 3) {
    case 0:
      memcpy(&v, &x, sizeof v);
      break; /* any bit pattern */
    case 1:
      v = (double)(x % 100000000) / 1000.0;
      break; /* milli-like values */
    default:
      v = (double)(x % 1000000) * 1e-9 * (double)(i % 7 + 1);
      break;
    }
    if (!isfinite(v)) continue;
    char dst[KSMC_FMT_G_MAX + 1];
    size_t n = ksmc_fmt_g(dst, v);
    dst[n] = '\0';
    int minp = 17;
    for (int p = 1; p <= 17; p++) {
      char e[40];
      snprintf(e, sizeof e, "%.*e", p - 1, v);
      if (strtod(e, NULL) == v) {
        minp = p;
        break;
      }
    }
    if (strtod(dst, NULL) != v || (v != 0 && sig_digits(dst, n) > minp)) {
      if (bad++ < 10) fprintf(stderr, "\n  %.17g -> [%s] (shortest %d)", v, dst, minp);
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
}

static void test_i64(void) {
  check_i64(0, "0");
  check_i64(7, "7");
  check_i64(-7, "-7");
  check_i64(1234567890123, "1234567890123");
  check_i64(INT64_MAX, "9223372036854775807");
  check_i64(INT64_MIN, "-9223372036854775808");
  /* every length, against printf: the digits are written 8, then 2 at a time */
  uint64_t x = 0xbb67ae8584caa73bull;
  size_t bad = 0;
  for (int i = 0; i < 100000; i++) {
    ktest_rand(&x);
    int64_t v = (int64_t)(x >> (x % 64));
    if (i % 2) v = -v;
    char want[32];
    snprintf(want, sizeof want, "%lld", (long long)v);
    ksmc_buf b = {0};
    ksmc_fmt_i64(&b, v);
    if ((b.n != strlen(want) || memcmp(b.p, want, b.n) != 0) && bad++ < 5)
      fprintf(stderr, "\n  %s: got %.*s", want, (int)b.n, b.p);
    ksmc_buf_free(&b);
  }
  CU_ASSERT_EQUAL(bad, 0);
}

static void test_appends_many(void) {
  ksmc_buf b = {0};
  for (int i = 0; i < 1000; i++) {
    ksmc_fmt_value(&b, i);
    ksmc_buf_putc(&b, ' ');
  }
  CU_ASSERT_EQUAL(b.n, 10 + 90 * 2 + 900 * 3 + 1000);
  CU_ASSERT_EQUAL(memcmp(b.p, "0 1 2 3", 7), 0);
  ksmc_buf_free(&b);
}

static const ktest_case cases[] = {{"doc table", test_doc_table},
                                   {"writeFloat literals", test_write_float_literals},
                                   {"edges", test_edges},
                                   {"generated table", test_generated_table},
                                   {"integer sweep", test_integer_sweep},
                                   {"round-trip property", test_roundtrip_property},
                                   {"i64", test_i64},
                                   {"appends", test_appends_many},
                                   {0}};
KTEST_MAIN("ksmc_fmt", cases)
