/* ktest: the few lines every CUnit test program shares.
 *
 *   static void test_x(void) { CU_ASSERT_EQUAL(1, 1); }
 *   static const ktest_case cases[] = {{"x", test_x}, {0}};
 *   KTEST_MAIN("suite name", cases)
 *
 * The program exits non-zero if any assertion failed or the registry could not be built,
 * so ctest sees failures. */
#ifndef KTEST_H
#define KTEST_H

#include <CUnit/Basic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct {
  const char *name;
  void (*fn)(void);
} ktest_case;

static inline int ktest_run(const char *suite_name, const ktest_case *cases) {
  if (CU_initialize_registry() != CUE_SUCCESS) return 2;
  CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
  if (!suite) return 2;
  for (const ktest_case *c = cases; c->name; c++)
    if (!CU_add_test(suite, c->name, c->fn)) return 2;
  CU_basic_set_mode(CU_BRM_VERBOSE);
  CU_basic_run_tests();
  unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
  unsigned run = CU_get_number_of_tests_run();
  CU_cleanup_registry();
  if (run == 0) {
    fprintf(stderr, "ktest: no test ran\n");
    return 2;
  }
  return failed ? 1 : 0;
}

#define KTEST_MAIN(suite_name, cases)                                                              \
  int main(void) { return ktest_run(suite_name, cases); }

/* Asserts two byte strings are equal and prints both when they are not. */
#define KTEST_ASSERT_BYTES(got, gotn, want)                                                        \
  do {                                                                                             \
    const char *w_ = (want);                                                                       \
    size_t wn_ = strlen(w_);                                                                       \
    int ok_ = (gotn) == wn_ && memcmp((got), w_, wn_) == 0;                                        \
    if (!ok_)                                                                                      \
      fprintf(stderr, "\n  want: [%s]\n  got:  [%.*s]\n", w_, (int)(gotn), (const char *)(got));   \
    CU_ASSERT_TRUE(ok_);                                                                           \
  } while (0)

/* The property tests' random source: xorshift64 (Marsaglia), deterministic so a failing
 * iteration is reproducible from the seed written in the test. Advances *state (which must
 * not be 0) and returns its new value. */
static inline uint64_t ktest_rand(uint64_t *state) {
  uint64_t x = *state;
  x ^= x << 13, x ^= x >> 7, x ^= x << 17;
  return *state = x;
}

#endif
