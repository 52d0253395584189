/* Backoff follows client-go's reflector constants and honours Retry-After. */
#include "ksmc_backoff.h"
#include "ktest.h"

static void test_sequence_bounds(void) {
  for (uint64_t seed = 0; seed < 50; seed++) {
    ksmc_backoff b;
    ksmc_backoff_init(&b, seed);
    int64_t d = 800, now = 0;
    for (int i = 0; i < 12; i++) {
      int64_t got = ksmc_backoff_next(&b, now, 0);
      CU_ASSERT_TRUE(got >= d && got < 2 * d);
      now += got;
      d = d * 2 > 30000 ? 30000 : d * 2;
    }
  }
}

static void test_first_steps(void) {
  ksmc_backoff b;
  ksmc_backoff_init(&b, 7);
  int64_t a = ksmc_backoff_next(&b, 0, 0);
  int64_t c = ksmc_backoff_next(&b, 1000, 0);
  int64_t e = ksmc_backoff_next(&b, 3000, 0);
  CU_ASSERT_TRUE(a >= 800 && a < 1600);
  CU_ASSERT_TRUE(c >= 1600 && c < 3200);
  CU_ASSERT_TRUE(e >= 3200 && e < 6400);
}

static void test_cap(void) {
  ksmc_backoff b;
  ksmc_backoff_init(&b, 1);
  int64_t got = 0;
  for (int i = 0; i < 40; i++) got = ksmc_backoff_next(&b, i * 1000, 0);
  CU_ASSERT_TRUE(got >= 30000 && got < 60000);
}

static void test_reset_after_healthy(void) {
  ksmc_backoff b;
  ksmc_backoff_init(&b, 3);
  for (int i = 0; i < 10; i++) ksmc_backoff_next(&b, i, 0);
  /* less than 2 minutes since the last backoff: still capped */
  int64_t got = ksmc_backoff_next(&b, 119000, 0);
  CU_ASSERT_TRUE(got >= 30000);
  /* 2 minutes without a backoff: starts over */
  got = ksmc_backoff_next(&b, 119000 + 120000, 0);
  CU_ASSERT_TRUE(got >= 800 && got < 1600);
  ksmc_backoff_reset(&b);
  got = ksmc_backoff_next(&b, 239001, 0);
  CU_ASSERT_TRUE(got >= 800 && got < 1600);
}

static void test_retry_after(void) {
  ksmc_backoff b;
  ksmc_backoff_init(&b, 9);
  CU_ASSERT_EQUAL(ksmc_backoff_next(&b, 0, 5000), 5000);
  /* a Retry-After shorter than the backoff does not shorten it */
  ksmc_backoff_init(&b, 9);
  int64_t got = ksmc_backoff_next(&b, 0, 100);
  CU_ASSERT_TRUE(got >= 800 && got < 1600);
}

static void test_deterministic_and_spread(void) {
  ksmc_backoff a, b;
  ksmc_backoff_init(&a, 42);
  ksmc_backoff_init(&b, 42);
  for (int i = 0; i < 5; i++)
    CU_ASSERT_EQUAL(ksmc_backoff_next(&a, i, 0), ksmc_backoff_next(&b, i, 0));
  /* the jitter covers the interval */
  int64_t lo = 1 << 30, hi = 0;
  for (int i = 0; i < 2000; i++) {
    int64_t x = ksmc_backoff_rand(&a, 800, 1600);
    CU_ASSERT_TRUE(x >= 800 && x < 1600);
    if (x < lo) lo = x;
    if (x > hi) hi = x;
  }
  CU_ASSERT_TRUE(lo < 820 && hi > 1580);
}

static const ktest_case cases[] = {{"sequence bounds", test_sequence_bounds},
                                   {"first steps", test_first_steps},
                                   {"cap", test_cap},
                                   {"reset after 2 min healthy", test_reset_after_healthy},
                                   {"retry-after", test_retry_after},
                                   {"deterministic, spread", test_deterministic_and_spread},
                                   {0}};
KTEST_MAIN("kube_backoff", cases)
