/* ksmc_gonum: Go's strconv.ParseFloat, strconv.Atoi and intstr scaling, case by case. */
#include <math.h>
#include <stdint.h>

#include "ksmc_gonum.h"
#include "ktest.h"

static bool pf(const char *s, double *v) { return ksmc_go_parse_float(s, strlen(s), v); }

static void test_parse_float_accepts(void) {
  double v = -1;
  CU_ASSERT_TRUE(pf("12345", &v) && v == 12345);
  CU_ASSERT_TRUE(pf("-0.5", &v) && v == -0.5);
  CU_ASSERT_TRUE(pf("+.5", &v) && v == 0.5);
  CU_ASSERT_TRUE(pf("5.", &v) && v == 5);
  CU_ASSERT_TRUE(pf("1e3", &v) && v == 1000);
  CU_ASSERT_TRUE(pf("1E-2", &v) && v == 0.01);
  CU_ASSERT_TRUE(pf("0x1p-2", &v) && v == 0.25);
  CU_ASSERT_TRUE(pf("0x1.8p1", &v) && v == 3);
  CU_ASSERT_TRUE(pf("0x_1p0", &v) && v == 1);
  CU_ASSERT_TRUE(pf("Inf", &v) && isinf(v) && v > 0);
  CU_ASSERT_TRUE(pf("-infinity", &v) && isinf(v) && v < 0);
  CU_ASSERT_TRUE(pf("NaN", &v) && isnan(v));
  CU_ASSERT_TRUE(pf("1e-400", &v) && v == 0); /* underflow is not an error in Go */
  CU_ASSERT_TRUE(pf("9007199254740993", &v) && v == 9007199254740992.0);
}

static void test_parse_float_rejects(void) {
  double v = 7;
  const char *bad[] = {"",      " 1",   "1 ",  "abc",   "1e", "e5", ".",     "0x1A",
                       "1_000", "1__0", "--1", "1e400", "0x", "+",  "1.2.3", "infx"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    bool ok = pf(bad[i], &v);
    if (ok) fprintf(stderr, "\n  accepted: [%s]\n", bad[i]);
    CU_ASSERT_FALSE(ok);
  }
  CU_ASSERT_EQUAL(v, 7); /* untouched on error */
}

static void test_atoi(void) {
  int64_t v = 0;
  CU_ASSERT_TRUE(ksmc_go_atoi("42", 2, &v) && v == 42);
  CU_ASSERT_TRUE(ksmc_go_atoi("+7", 2, &v) && v == 7);
  CU_ASSERT_TRUE(ksmc_go_atoi("-9223372036854775808", 20, &v) && v == INT64_MIN);
  CU_ASSERT_TRUE(ksmc_go_atoi("9223372036854775807", 19, &v) && v == INT64_MAX);
  CU_ASSERT_FALSE(ksmc_go_atoi("9223372036854775808", 19, &v));
  CU_ASSERT_FALSE(ksmc_go_atoi("", 0, &v));
  CU_ASSERT_FALSE(ksmc_go_atoi("-", 1, &v));
  CU_ASSERT_FALSE(ksmc_go_atoi("1.0", 3, &v));
  CU_ASSERT_FALSE(ksmc_go_atoi(" 1", 2, &v));
}

static bool sc(const char *s, bool str, int64_t total, bool up, int64_t *out) {
  return ksmc_intstr_scaled(s, strlen(s), str, total, up, out);
}

static void test_intstr(void) {
  int64_t v = 0;
  CU_ASSERT_TRUE(sc("3", false, 10, false, &v) && v == 3); /* ints are not scaled */
  CU_ASSERT_TRUE(sc("-1", false, 10, true, &v) && v == -1);
  CU_ASSERT_FALSE(sc("2147483648", false, 10, true, &v)); /* IntVal is an int32 */
  CU_ASSERT_FALSE(sc("1.5", false, 10, true, &v));
  CU_ASSERT_TRUE(sc("25%", true, 10, false, &v) && v == 2);
  CU_ASSERT_TRUE(sc("25%", true, 10, true, &v) && v == 3);
  CU_ASSERT_TRUE(sc("33%", true, 7, false, &v) && v == 2);
  CU_ASSERT_TRUE(sc("33%", true, 7, true, &v) && v == 3);
  CU_ASSERT_TRUE(sc("-50%", true, 3, true, &v) && v == -1);
  CU_ASSERT_TRUE(sc("-50%", true, 3, false, &v) && v == -2);
  CU_ASSERT_TRUE(sc("+100%", true, 0, true, &v) && v == 0);
  CU_ASSERT_FALSE(sc("3", true, 10, true, &v)); /* string is not a percentage */
  CU_ASSERT_FALSE(sc("%", true, 10, true, &v));
  CU_ASSERT_FALSE(sc("x%", true, 10, true, &v));
  CU_ASSERT_FALSE(sc(" 5%", true, 10, true, &v));
}

static bool b64(const char *s, size_t *out) { return ksmc_go_base64_len(s, strlen(s), out); }

static void test_base64_len(void) {
  size_t n = 99;
  CU_ASSERT_TRUE(b64("", &n) && n == 0);
  CU_ASSERT_TRUE(b64("AAEC", &n) && n == 3);
  CU_ASSERT_TRUE(b64("AAECAw==", &n) && n == 4);
  CU_ASSERT_TRUE(b64("AAECAwQ=", &n) && n == 5);
  CU_ASSERT_TRUE(b64("QR==", &n) && n == 1);               /* unused bits not checked */
  CU_ASSERT_TRUE(b64("QUJD\nREVG\r\nR0g=", &n) && n == 8); /* CR and LF skipped */
  CU_ASSERT_TRUE(b64("QQ=\n=", &n) && n == 1);             /* even inside the padding */
  CU_ASSERT_TRUE(b64("\r\n", &n) && n == 0);
  CU_ASSERT_TRUE(b64("+/+/", &n) && n == 3);
  CU_ASSERT_FALSE(b64("QUJDRA", &n)); /* padding is required */
  CU_ASSERT_FALSE(b64("Q===", &n));   /* padding at the 2nd character */
  CU_ASSERT_FALSE(b64("====", &n));
  CU_ASSERT_FALSE(b64("QUJD=", &n));    /* padding starting a quantum */
  CU_ASSERT_FALSE(b64("QQ==QQ==", &n)); /* data after the padding */
  CU_ASSERT_FALSE(b64("QQ=A", &n));
  CU_ASSERT_FALSE(b64("_-_-", &n)); /* the URL alphabet */
  CU_ASSERT_FALSE(b64("QUJD REVG", &n));
  CU_ASSERT_FALSE(b64("QU\tD", &n));
}

static const ktest_case cases[] = {{"ParseFloat accepts", test_parse_float_accepts},
                                   {"ParseFloat rejects", test_parse_float_rejects},
                                   {"Atoi", test_atoi},
                                   {"intstr scaled", test_intstr},
                                   {"base64 decoded length", test_base64_len},
                                   {0}};
KTEST_MAIN("ksmc_gonum", cases)
