/* ksmc_quantity: resource.ParseQuantity, Value(), MilliValue(), convertValueToFloat64. */
#include <math.h>
#include <stdint.h>

#include "ksmc_quantity.h"
#include "ktest.h"

static void q(const char *s, int64_t want_v, int64_t want_m) {
  int64_t v = 7, m = 7;
  bool ok = ksmc_quantity_parse(s, strlen(s), &v, &m);
  if (!ok || v != want_v || m != want_m)
    fprintf(stderr, "\n  %s: ok=%d value %lld milli %lld (want %lld %lld)", s, ok, (long long)v,
            (long long)m, (long long)want_v, (long long)want_m);
  CU_ASSERT_TRUE(ok);
  CU_ASSERT_EQUAL(v, want_v);
  CU_ASSERT_EQUAL(m, want_m);
}

static void bad(const char *s) {
  int64_t v, m;
  double f;
  bool ok = ksmc_quantity_parse(s, strlen(s), &v, &m);
  if (ok) fprintf(stderr, "\n  [%s] accepted", s);
  CU_ASSERT_FALSE(ok);
  CU_ASSERT_FALSE(ksmc_quantity_float(s, strlen(s), &f));
  CU_ASSERT_FALSE(ksmc_quantity_int(s, strlen(s), &f));
}

static void fl(const char *s, double want) {
  double f = -7;
  CU_ASSERT_TRUE(ksmc_quantity_float(s, strlen(s), &f));
  if (f != want) fprintf(stderr, "\n  %s: float %.17g want %.17g", s, f, want);
  CU_ASSERT_EQUAL(f, want);
}

static void in(const char *s, double want) {
  double f = -7;
  CU_ASSERT_TRUE(ksmc_quantity_int(s, strlen(s), &f));
  CU_ASSERT_EQUAL(f, want);
}

static void test_plain(void) {
  q("0", 0, 0);
  q("1", 1, 1000);
  q("+1", 1, 1000);
  q("-1", -1, -1000);
  q("007", 7, 7000);
  q("4", 4, 4000);
  q("5.", 5, 5000);
  q(".5", 1, 500);
  q("0.5", 1, 500);
  q("-1.5", -2, -1500);
  q("-0.5", -1, -500);
  q("-0", 0, 0);
  q("123456789", 123456789, 123456789000);
}

static void test_decimal_si(void) {
  q("100m", 1, 100);
  q("250m", 1, 250);
  q("1m", 1, 1);
  q("1.2345m", 1, 2);
  q("-1.2345m", -1, -2);
  q("1n", 1, 1);
  q("1u", 1, 1);
  q("-1n", -1, -1);
  q("1k", 1000, 1000000);
  q("1.5k", 1500, 1500000);
  q("1M", 1000000, 1000000000);
  q("1G", 1000000000, 1000000000000);
  q("128974848", 128974848, 128974848000);
  q("129e6", 129000000, 129000000000);
  q("129M", 129000000, 129000000000);
  q("1T", 1000000000000, 1000000000000000);
  q("1P", 1000000000000000, 1000000000000000000);
  q("1E", 1000000000000000000, INT64_MAX); /* milli saturates */
}

static void test_exponent(void) {
  q("2e3", 2000, 2000000);
  q("1E3", 1000, 1000000);
  q("1e+3", 1000, 1000000);
  q("1e-3", 1, 1);
  q("1.5e-3", 1, 2);
  q("25e-2", 1, 250);
  q("1e-9", 1, 1);
  q("1e0", 1, 1000);
  q("1e-2147483648", 1, 1);
  q("-1e-2147483648", -1, -1);
  q("0e999", 0, 0);
}

static void test_binary_si(void) {
  q("1Ki", 1024, 1024000);
  q("1Mi", 1048576, 1048576000);
  q("1Gi", 1073741824, 1073741824000);
  q("1Ti", 1099511627776, 1099511627776000);
  q("1Pi", 1125899906842624, 1125899906842624000);
  q("1Ei", 1152921504606846976, INT64_MAX);
  q("1.5Gi", 1610612736, 1610612736000);
  q("0.1Ki", 103, 102400);
  q("-0.1Ki", -103, -102400);
  q("64Mi", 67108864, 67108864000);
  q("0.0009765625Ki", 1, 1000);
  /* exactness far below the digits a double holds */
  q("0.00097656250000000000000000000000000000000000000000000000000000001Ki", 2, 1001);
  q("1.00000000000000000000000000000000000000000000000000000000000000001", 2, 1001);
}

static void test_saturation(void) {
  q("8Ei", INT64_MAX, INT64_MAX);
  q("-8Ei", -INT64_MAX, -INT64_MAX);
  q("100E", INT64_MAX, INT64_MAX);
  q("1e100", INT64_MAX, INT64_MAX);
  q("1e2147483647", INT64_MAX, INT64_MAX);
  q("9223372036854775807", INT64_MAX, INT64_MAX);
  q("99999999999999999999999999999", INT64_MAX, INT64_MAX);
  q("9223372036854775", 9223372036854775, 9223372036854775000);
}

/* What Go's parseQuantityString lets through: an empty numerator means 0. */
static void test_go_leniency(void) {
  q("Gi", 0, 0);
  q("+", 0, 0);
  q("-", 0, 0);
  q(".", 0, 0);
  q("-Mi", 0, 0);
  q("e3", 0, 0);
  q("000", 0, 0);
  q("1.G", 1000000000, 1000000000000);
}

static void test_malformed(void) {
  bad("");
  bad("1.2.3");
  bad("1Gb");
  bad("1 Gi");
  bad(" 1");
  bad("1 ");
  bad("--1");
  bad("+-1");
  bad("1e");
  bad("1E+");
  bad("-3.01e-");
  bad("0x10");
  bad("1.1.M");
  bad("1+1.0M");
  bad("0.1mi");
  bad("0.1am");
  bad("aoeu");
  bad(".5i");
  bad("1i");
  bad("-3.01i");
  bad("1K");
  bad("1ki");
  bad("1KI");
  bad("1e3.5");
  bad("1ee3");
  bad("1Ki5");
  bad("1e2147483648");
  bad("1e-2147483649");
  int64_t v, m;
  CU_ASSERT_FALSE(ksmc_quantity_parse("1\0Ki", 4, &v, &m));
  CU_ASSERT_TRUE(ksmc_quantity_parse("1Kixx", 3, &v, &m)); /* honours n */
  CU_ASSERT_EQUAL(v, 1024);
}

/* convertValueToFloat64 and float64(Value()) */
static void test_float(void) {
  fl("100m", 0.1);
  fl("250m", 0.25);
  fl("1m", 0.001);
  fl("1.2345m", 0.002);
  fl("1", 1);
  fl("4", 4);
  fl("1.5Gi", 1610612736.0);
  /* float64(milli)/1000 in double arithmetic: 9223372036854775000 is not a double */
  fl("9223372036854775", 9223372036854774.0);
  fl("9223372036854776", 9223372036854776.0); /* > MaxMilliValue: float64(Value()) */
  fl("10Pi", 11258999068426240.0);
  fl("16Ei", 9223372036854775807.0);
  fl("-1.5", -1.5);
  in("100m", 1);
  in("1.5Gi", 1610612736.0);
  in("0.1Ki", 103);
  in("-1.5", -2);
}

static void ap(const char *s, double want) {
  double f = -7;
  CU_ASSERT_TRUE(ksmc_quantity_approx(s, strlen(s), &f));
  if (f != want) fprintf(stderr, "\n  %s: approx %.17g want %.17g", s, f, want);
  CU_ASSERT_EQUAL(f, want);
}

/* AsApproximateFloat64: mantissa * math.Pow10(exponent) as ParseQuantity stores them.
 * The expected doubles were computed in Python with Go's Pow10 (1/10^k for k < 32). */
static void test_approx(void) {
  ap("0", 0);
  ap("1", 1);
  ap("0.1", 0.1);
  ap("0.3", 0.30000000000000004); /* 3 * 0.1, not the nearest double to 0.3 */
  ap("0.7", 0.7000000000000001);
  ap("-0.3", -0.30000000000000004);
  ap("0.05", 0.05);
  ap("0.33", 0.33);
  ap("0.0001", 0.0001); /* MilliValue() would round up to 0.001 */
  ap("100m", 0.1);
  ap("1k", 1000);
  ap("12e6", 12e6);
  ap("1Ki", 1024);
  ap("1.Ki", 1024);
  /* inf.Dec path: rounded up to nano, exponent -9 */
  ap("1.5Ki", 1536);
  ap("0.5Ki", 512);
  ap("1.5n", 2e-09);
  ap("1e-10", 1e-09);
  ap("0.0000000000000000000001", 1e-09);
  ap("1234567890123456789", 1.234567890123457e+18); /* 19 digits: not the int64 path */
  ap("12345678901234567890", 1.234567890123457e+19);
  ap("16Ei", 9223372036854775807.0); /* BinarySI cap, exponent 0 */
  ap("8Ei", 9223372036854775807.0);
  ap("-16Ei", -9223372036854775807.0);
  ap("12345678901234567890e400", HUGE_VAL);
  double f;
  CU_ASSERT_FALSE(ksmc_quantity_approx("1K", 2, &f));
  CU_ASSERT_FALSE(ksmc_quantity_approx("", 0, &f));
}

/* The fast path of ksmc_quantity_parse / _int / _float (digits with no suffix or m k M G
 * Ki Mi Gi) against the general parser on many strings: the common forms, their edges
 * (16+ digits, overflow, leading zeros, empty number) and random strings of the grammar's
 * alphabet. */
static void test_fast_path_property(void) {
  static const char *const suffixes[] = {"",  "m",  "k",  "M",  "G",  "T",  "P",  "E",   "n",
                                         "u", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "e3",  "E-2",
                                         "i", "K",  "mi", "ki", "Gb", "x",  " ",  "Mi ", "e"};
  static const char alpha[] = "0123456789000.+-eEimkKMGTPnu";
  uint64_t x = 0x243f6a8885a308d3ull;
  size_t bad = 0, fast_forms = 0;
  char s[48];
  for (int iter = 0; iter < 300000; iter++) {
    ktest_rand(&x);
    size_t n = 0;
    if (iter % 4 == 3) { /* random bytes of the alphabet */
      size_t len = (size_t)(x >> 59) % 24;
      for (size_t i = 0; i < len; i++) s[n++] = alpha[(x >> (i % 8 * 7)) % (sizeof alpha - 1)];
    } else { /* digits (sometimes none, or 20) and a suffix */
      size_t nd = (size_t)(x >> 40) % 21;
      if (iter % 16 == 0) nd = 16 + (size_t)(x >> 50) % 3;
      uint64_t y = x;
      for (size_t i = 0; i < nd; i++) {
        s[n++] = (char)('0' + y % 10);
        y = y / 10 ? y / 10 : x >> 3;
      }
      if (iter % 7 == 0 && n) s[0] = '0'; /* leading zeros */
      if (iter % 9 == 0) s[n++] = '.', s[n++] = '5';
      const char *suf = suffixes[(x >> 20) % (sizeof suffixes / sizeof *suffixes)];
      memcpy(s + n, suf, strlen(suf));
      n += strlen(suf);
    }
    int64_t v1 = 1, m1 = 1, v2 = 2, m2 = 2;
    bool ok1 = ksmc_quantity_parse(s, n, &v1, &m1);
    bool ok2 = ksmc_quantity_parse_general(s, n, &v2, &m2);
    double i1 = 3, f1 = 3;
    bool oki = ksmc_quantity_int(s, n, &i1), okf = ksmc_quantity_float(s, n, &f1);
    bool same = ok1 == ok2 && oki == ok2 && okf == ok2;
    if (same && ok2) {
      double want_f = v2 > 9223372036854775LL ? (double)v2 : (double)m2 / 1000;
      same = v1 == v2 && m1 == m2 && i1 == (double)v2 && f1 == want_f;
      if (n && n < 19 && s[0] >= '0' && s[0] <= '9') fast_forms++;
    }
    if (!same && bad++ < 5)
      fprintf(stderr, "\n  '%.*s': fast %d %lld %lld, general %d %lld %lld", (int)n, s, ok1,
              (long long)v1, (long long)m1, ok2, (long long)v2, (long long)m2);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_TRUE(fast_forms > 50000); /* the generator does produce the common forms */
}

static const ktest_case cases[] = {{"plain", test_plain},
                                   {"decimal SI", test_decimal_si},
                                   {"exponent", test_exponent},
                                   {"binary SI", test_binary_si},
                                   {"saturation", test_saturation},
                                   {"go leniency", test_go_leniency},
                                   {"malformed", test_malformed},
                                   {"float", test_float},
                                   {"approx", test_approx},
                                   {"fast path = general", test_fast_path_property},
                                   {0}};
KTEST_MAIN("ksmc_quantity", cases)
