/* ksmc_skip: the 64-byte block skipper against a byte-at-a-time reference. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>

#include "ksmc_skip.h"
#include "ktest.h"

/* The obvious scanner: what ksmc_skip_container must agree with on every input. A
 * backslash escapes the next byte wherever it is; outside strings (invalid JSON) that only
 * changes whether a following quote opens a string. */
static size_t ref_skip(const char *s, size_t len, size_t p, size_t max_depth) {
  size_t depth = 0;
  bool in_str = false, esc = false;
  for (size_t i = p; i < len; i++) {
    char c = s[i];
    if (esc) {
      esc = false;
      if (c == '"' || c == '\\' || in_str) continue;
    } else if (c == '\\') {
      esc = true;
      continue;
    }
    if (c == '"') {
      in_str = !in_str;
    } else if (in_str) {
      continue;
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return 0;
    } else if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
  }
  return 0;
}

static size_t skip_lit(const char *lit, size_t max_depth) {
  return ksmc_skip_container(lit, strlen(lit), 0, max_depth);
}

static void test_examples(void) {
  CU_ASSERT_EQUAL(skip_lit("{}", 10), 2);
  CU_ASSERT_EQUAL(skip_lit("[]  ,", 10), 2);
  CU_ASSERT_EQUAL(skip_lit("{\"a\":[1,{\"b\":\"}]\"}]},1", 10), 20);
  CU_ASSERT_EQUAL(skip_lit("{\"a\\\"}\":1}x", 10), 10);    /* escaped quote in a key */
  CU_ASSERT_EQUAL(skip_lit("{\"a\\\\\":\"}\"}x", 10), 11); /* escaped backslash, then quote */
  CU_ASSERT_EQUAL(skip_lit("{\"a\":\"x", 10), 0);          /* unterminated string */
  CU_ASSERT_EQUAL(skip_lit("{\"a\":{}", 10), 0);           /* unterminated object */
  CU_ASSERT_EQUAL(skip_lit("[[[[]]]]", 4), 8);
  CU_ASSERT_EQUAL(skip_lit("[[[[[]]]]]", 4), 0); /* deeper than allowed */
  CU_ASSERT_EQUAL(skip_lit("{]", 4), 2);         /* counted, not matched */
  /* starts in the middle of a buffer and stops at its length, not at a NUL */
  const char buf[] = "xx[\"a\",\"b\"]yy";
  CU_ASSERT_EQUAL(ksmc_skip_container(buf, sizeof buf - 1, 2, 10), 11);
  CU_ASSERT_EQUAL(ksmc_skip_container(buf, 10, 2, 10), 0);
}

/* Long inputs: brackets, escapes and backslash runs across 64-byte block boundaries. */
static void test_block_boundaries(void) {
  char s[400];
  for (size_t run = 0; run < 9; run++) {   /* backslashes before the quote */
    for (size_t at = 40; at < 140; at++) { /* where the run ends */
      memset(s, 'a', sizeof s);
      s[0] = '[';
      s[1] = '"';
      for (size_t k = 0; k < run; k++) s[at - run + k] = '\\';
      s[at] = '"';
      s[at + 1] = ']';
      s[at + 2] = '"';
      s[at + 3] = ']';
      size_t len = at + 200;
      size_t want = ref_skip(s, len, 0, 100), got = ksmc_skip_container(s, len, 0, 100);
      if (got != want)
        fprintf(stderr, "\n  run %zu at %zu: got %zu want %zu\n", run, at, got, want);
      CU_ASSERT_EQUAL(got, want);
    }
  }
}

/* Random documents over a small alphabet rich in structure: agreement with the reference
 * at every start offset that holds a bracket, with every length. */
static void test_random(void) {
  static const char alpha[] = "{}[]\"\\\\a:,";
  uint64_t x = 0x9e3779b97f4a7c15ull;
  char s[300];
  unsigned mismatches = 0, closed = 0;
  for (int iter = 0; iter < 4000; iter++) {
    size_t len = 1 + (size_t)(iter % 290);
    for (size_t i = 0; i < len; i++) {
      x ^= x << 13, x ^= x >> 7, x ^= x << 17;
      /* mostly plain bytes, so some values close */
      s[i] = (x >> 20) % 4 ? "aaab:,"[(x >> 8) % 6] : alpha[(x >> 32) % (sizeof alpha - 1)];
    }
    s[0] = iter & 1 ? '{' : '[';
    for (size_t p = 0; p < len; p += 1 + (size_t)(iter % 7)) {
      if (s[p] != '{' && s[p] != '[') continue;
      size_t maxd = 1 + (size_t)(iter % 9);
      size_t want = ref_skip(s, len, p, maxd), got = ksmc_skip_container(s, len, p, maxd);
      if (want) closed++;
      if (got != want && mismatches++ < 5)
        fprintf(stderr, "\n  mismatch: p %zu len %zu got %zu want %zu: %.*s\n", p, len, got, want,
                (int)len, s);
    }
  }
  CU_ASSERT_EQUAL(mismatches, 0);
  CU_ASSERT_TRUE(closed > 1000); /* the generator does produce closed values */
}

static const ktest_case cases[] = {{"examples", test_examples},
                                   {"block boundaries", test_block_boundaries},
                                   {"random", test_random},
                                   {0}};
KTEST_MAIN("ksmc_skip", cases)
