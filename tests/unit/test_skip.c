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

/* Every test runs on each copy of the scanners this build and CPU have (the baseline SSE2
 * one and, on AVX2 machines, the AVX2 one), and on the default (KSMC_SKIP_AUTO). */
#define FOR_EACH_ISA(body)                                                                         \
  do {                                                                                             \
    static const ksmc_skip_isa isas[] = {KSMC_SKIP_AUTO, KSMC_SKIP_BASELINE, KSMC_SKIP_AVX2,       \
                                         KSMC_SKIP_AVX512};                                        \
    for (size_t k = 0; k < 4; k++)                                                                 \
      if (ksmc_skip_isa_available(isas[k])) body(isas[k]);                                         \
  } while (0)

static size_t skip_lit(const char *lit, size_t max_depth, ksmc_skip_isa isa) {
  return ksmc_skip_container_isa(lit, strlen(lit), 0, max_depth, false, isa);
}

static void examples(ksmc_skip_isa isa) {
  CU_ASSERT_EQUAL(skip_lit("{}", 10, isa), 2);
  CU_ASSERT_EQUAL(skip_lit("[]  ,", 10, isa), 2);
  CU_ASSERT_EQUAL(skip_lit("{\"a\":[1,{\"b\":\"}]\"}]},1", 10, isa), 20);
  CU_ASSERT_EQUAL(skip_lit("{\"a\\\"}\":1}x", 10, isa), 10);    /* escaped quote in a key */
  CU_ASSERT_EQUAL(skip_lit("{\"a\\\\\":\"}\"}x", 10, isa), 11); /* escaped backslash, then quote */
  CU_ASSERT_EQUAL(skip_lit("{\"a\":\"x", 10, isa), 0);          /* unterminated string */
  CU_ASSERT_EQUAL(skip_lit("{\"a\":{}", 10, isa), 0);           /* unterminated object */
  CU_ASSERT_EQUAL(skip_lit("[[[[]]]]", 4, isa), 8);
  CU_ASSERT_EQUAL(skip_lit("[[[[[]]]]]", 4, isa), 0); /* deeper than allowed */
  CU_ASSERT_EQUAL(skip_lit("{]", 4, isa), 2);         /* counted, not matched */
  /* starts in the middle of a buffer and stops at its length, not at a NUL */
  const char buf[] = "xx[\"a\",\"b\"]yy";
  CU_ASSERT_EQUAL(ksmc_skip_container_isa(buf, sizeof buf - 1, 2, 10, false, isa), 11);
  CU_ASSERT_EQUAL(ksmc_skip_container_isa(buf, 10, 2, 10, false, isa), 0);
}

static void test_examples(void) { FOR_EACH_ISA(examples); }

/* Long inputs: brackets, escapes and backslash runs across 64-byte block boundaries. */
static void block_boundaries(ksmc_skip_isa isa) {
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
      size_t want = ref_skip(s, len, 0, 100),
             got = ksmc_skip_container_isa(s, len, 0, 100, false, isa);
      if (got != want)
        fprintf(stderr, "\n  run %zu at %zu: got %zu want %zu\n", run, at, got, want);
      CU_ASSERT_EQUAL(got, want);
    }
  }
}

/* Random documents over a small alphabet rich in structure: agreement with the reference
 * at every start offset that holds a bracket, with every length. */
static void random_docs(ksmc_skip_isa isa) {
  static const char alpha[] = "{}[]\"\\\\a:,";
  uint64_t x = 0x9e3779b97f4a7c15ull;
  char s[300];
  unsigned mismatches = 0, closed = 0;
  for (int iter = 0; iter < 4000; iter++) {
    size_t len = 1 + (size_t)(iter % 290);
    for (size_t i = 0; i < len; i++) {
      ktest_rand(&x);
      /* mostly plain bytes, so some values close */
      s[i] = (x >> 20) % 4 ? "aaab:,"[(x >> 8) % 6] : alpha[(x >> 32) % (sizeof alpha - 1)];
    }
    s[0] = iter & 1 ? '{' : '[';
    for (size_t p = 0; p < len; p += 1 + (size_t)(iter % 7)) {
      if (s[p] != '{' && s[p] != '[') continue;
      size_t maxd = 1 + (size_t)(iter % 9);
      size_t want = ref_skip(s, len, p, maxd),
             got = ksmc_skip_container_isa(s, len, p, maxd, false, isa);
      if (want) closed++;
      if (got != want && mismatches++ < 5)
        fprintf(stderr, "\n  mismatch: p %zu len %zu got %zu want %zu: %.*s\n", p, len, got, want,
                (int)len, s);
    }
  }
  CU_ASSERT_EQUAL(mismatches, 0);
  CU_ASSERT_TRUE(closed > 1000); /* the generator does produce closed values */
}

/* What a byte-wise scan in which a backslash escapes only inside strings knows after
 * s[0..len) from depth 0 at s[0]: the close (offset past it) or 0, the state at len, and
 * whether a backslash outside a string came before the close. */
typedef struct {
  size_t close;
  ksmc_skip_state st;
  bool bs_outside;
} ref_state;

static ref_state ref_strict(const char *s, size_t len) {
  ref_state r = {0};
  for (size_t i = 0; i < len; i++) {
    char c = s[i];
    if (r.st.in_str) {
      if (r.st.esc)
        r.st.esc = 0;
      else if (c == '\\')
        r.st.esc = 1;
      else if (c == '"')
        r.st.in_str = 0;
    } else if (c == '\\') {
      r.bs_outside = true;
    } else if (c == '"') {
      r.st.in_str = 1;
    } else if (c == '{' || c == '[') {
      r.st.depth++;
    } else if ((c == '}' || c == ']') && --r.st.depth == 0) {
      r.close = i + 1;
      return r;
    }
  }
  return r;
}

/* ksmc_skip_resume fed a value in random pieces: the close of the byte-wise scan, or
 * KSMC_SKIP_UNSURE only when a backslash outside a string comes first, and after every
 * piece that does not close the value the byte-wise scan's state at that point; the strict
 * ksmc_skip_container on the whole value gives exactly that close or KSMC_SKIP_UNSURE. */
static void resume_pieces(ksmc_skip_isa isa) {
  static const char alpha[] = "{}[]\"\"\\\\a:,";
  uint64_t x = 0x2545f4914f6cdd1dull;
  char s[400];
  unsigned bad = 0, closed = 0, unsure = 0;
  for (int iter = 0; iter < 6000; iter++) {
    size_t len = 1 + (size_t)(iter % 390);
    bool plain_bs = iter % 3 != 0; /* backslashes only inside strings */
    bool in_str = false;
    for (size_t i = 1; i < len; i++) {
      ktest_rand(&x);
      char c = (x >> 20) % 4 ? "aaab:,"[(x >> 8) % 6] : alpha[(x >> 32) % (sizeof alpha - 1)];
      if (c == '\\' && plain_bs && !in_str) c = 'a';
      if (c == '\\' && in_str && i + 1 < len) { /* keep the escape inside the string */
        s[i++] = c;
        c = "\"\\an{"[(x >> 40) % 5];
      } else if (c == '"') {
        in_str = !in_str;
      }
      s[i] = c;
    }
    s[0] = iter & 1 ? '{' : '[';
    ref_state want = ref_strict(s, len);
    if (want.close) closed++;
    /* the whole value at once: the same loop from the zero state */
    size_t whole = ksmc_skip_container_isa(s, len, 0, (size_t)-1, true, isa);
    if (whole != (want.bs_outside ? KSMC_SKIP_UNSURE : want.close) && bad++ < 5)
      fprintf(stderr, "\n  iter %d: strict whole %zu want %zu%s\n", iter, whole, want.close,
              want.bs_outside ? " (unsure)" : "");
    ksmc_skip_state st = {0};
    size_t at = 0, got = 0;
    while (at < len) {
      ktest_rand(&x);
      size_t k = iter % 5 == 0 ? 1 + (x >> 16) % 3 : 1 + (x >> 16) % 150;
      if (k > len - at) k = len - at;
      ksmc_skip_state before = st;
      size_t e = ksmc_skip_resume_isa(&st, s + at, k, isa);
      if (e == KSMC_SKIP_UNSURE) {
        unsure++;
        ref_state r = ref_strict(s, at + k);
        bool ok = r.bs_outside && !memcmp(&st, &before, sizeof st);
        if (!ok && bad++ < 5) fprintf(stderr, "\n  iter %d: UNSURE at %zu+%zu\n", iter, at, k);
        got = KSMC_SKIP_UNSURE;
        break;
      }
      if (e) {
        got = at + e;
        break;
      }
      at += k;
      ref_state r = ref_strict(s, at);
      if ((r.st.depth != st.depth || r.st.in_str != st.in_str || r.st.esc != st.esc) && bad++ < 5)
        fprintf(stderr, "\n  iter %d: state at %zu: depth %zu/%zu in_str %d/%d esc %d/%d\n", iter,
                at, st.depth, r.st.depth, st.in_str, r.st.in_str, st.esc, r.st.esc);
    }
    if (got != KSMC_SKIP_UNSURE && got != want.close && bad++ < 5)
      fprintf(stderr, "\n  iter %d: got %zu want %zu: %.*s\n", iter, got, want.close, (int)len, s);
    if (plain_bs && got == KSMC_SKIP_UNSURE && bad++ < 5)
      fprintf(stderr, "\n  iter %d: UNSURE without a backslash outside strings\n", iter);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_TRUE(closed > 1000);
  CU_ASSERT_TRUE(unsure > 100);
}

static void test_block_boundaries(void) { FOR_EACH_ISA(block_boundaries); }
static void test_random(void) { FOR_EACH_ISA(random_docs); }
static void test_resume(void) { FOR_EACH_ISA(resume_pieces); }

/* The copies agree with each other on strict scans too (a backslash outside a string). */
static void strict_same(ksmc_skip_isa isa) {
  static const char *const docs[] = {"{\"a\":\"\\\"}\"}", "{\\\"a\":1}", "[\"x\"]\\",
                                     "{\"k\":[{},{\"\\\\\":2}]}"};
  for (size_t i = 0; i < sizeof docs / sizeof *docs; i++)
    CU_ASSERT_EQUAL(
        ksmc_skip_container_isa(docs[i], strlen(docs[i]), 0, 5, true, isa),
        ksmc_skip_container_isa(docs[i], strlen(docs[i]), 0, 5, true, KSMC_SKIP_BASELINE));
}
static void test_strict(void) {
  FOR_EACH_ISA(strict_same);
  CU_ASSERT_EQUAL(ksmc_skip_container_strict("{\\\"a\":1}", 9, 0), KSMC_SKIP_UNSURE);
  CU_ASSERT_EQUAL(ksmc_skip_container_strict("{\"a\\\"\":1}x", 10, 0), 9);
  /* a close before a backslash outside a string in the same block is exact */
  CU_ASSERT_EQUAL(ksmc_skip_container_strict("{\"a\":[]}\\x", 10, 0), 8);
}

/* ksmc_skip_strict_spans: random values (backslashes mostly inside strings) with spans
 * made as a renderer makes them -- the strict close from a bracket, some of them inside
 * strings, where the scan must not take them -- in order, shuffled, filtered by length:
 * the result is 0 (cannot show it) or exactly the strict scan of the whole value, and
 * with backslashes only inside strings it is that scan's close whenever the value closes
 * (so the spans are really passed over, not just rejected). */
static void spans_random(ksmc_skip_isa isa) {
  static const char alpha[] = "{}[]\"\"\\\\a:,{[";
  uint64_t x = 0x853c49e6748fea9bull;
  char s[700];
  ksmc_skip_span sp[40];
  unsigned bad = 0, confirmed = 0, used = 0;
  for (int iter = 0; iter < 6000; iter++) {
    size_t len = 2 + (size_t)(iter % 690);
    bool plain_bs = iter % 4 != 0;
    bool in_str = false;
    for (size_t i = 1; i < len; i++) {
      ktest_rand(&x);
      char c = (x >> 20) % 3 ? "aaab:,"[(x >> 8) % 6] : alpha[(x >> 32) % (sizeof alpha - 1)];
      if (c == '\\' && plain_bs && !in_str) c = 'a';
      if (c == '\\' && in_str && i + 1 < len) {
        s[i++] = c;
        c = "\"\\an{["[(x >> 40) % 6];
      } else if (c == '"') {
        in_str = !in_str;
      }
      s[i] = c;
    }
    s[0] = iter & 1 ? '{' : '[';
    size_t whole = ksmc_skip_container_strict(s, len, 0);
    size_t n = 0;
    for (size_t a = 1; a < len && n < 40; a++) {
      if (s[a] != '{' && s[a] != '[') continue;
      ktest_rand(&x);
      if ((x >> 10) % 3 == 0) continue;
      size_t b = ksmc_skip_container_strict(s, len, a);
      if (b && b != KSMC_SKIP_UNSURE) sp[n++] = (ksmc_skip_span){a, b};
    }
    if (iter % 5 == 1) /* out of order */
      for (size_t i = n; i > 1; i--) {
        ktest_rand(&x);
        size_t j = (size_t)(x >> 33) % i;
        ksmc_skip_span t = sp[i - 1];
        sp[i - 1] = sp[j];
        sp[j] = t;
      }
    size_t min_len = iter % 3 == 0 ? 0 : (size_t)(iter % 40);
    size_t got = ksmc_skip_strict_spans_isa(s, len, sp, n, min_len, isa);
    if (got) confirmed++;
    if (got && n) used++;
    bool want_exact = plain_bs && whole != KSMC_SKIP_UNSURE && whole;
    if ((got ? got != whole : want_exact) && bad++ < 5)
      fprintf(stderr, "\n  iter %d: spans %zu got %zu want %zu: %.*s\n", iter, n, got, whole,
              (int)len, s);
  }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_TRUE(confirmed > 1000);
  CU_ASSERT_TRUE(used > 500);
}

static void test_spans(void) {
  FOR_EACH_ISA(spans_random);
  /* a span at a bracket inside a string is not taken; one outside is */
  const char *d = "{\"a\":\"[x]\",\"b\":[1,{\"c\":\"}\"}],\"d\":2}";
  size_t dl = strlen(d), w = ksmc_skip_container_strict(d, dl, 0);
  ksmc_skip_span in_string[] = {{6, 9}}, outside[] = {{15, 28}};
  CU_ASSERT_EQUAL(ksmc_skip_container_strict(d, dl, 15), 28);
  CU_ASSERT_EQUAL(ksmc_skip_strict_spans(d, dl, in_string, 1, 0), w);
  CU_ASSERT_EQUAL(ksmc_skip_strict_spans(d, dl, outside, 1, 0), w);
  CU_ASSERT_EQUAL(ksmc_skip_strict_spans(d, dl - 1, outside, 1, 0), 0); /* not closed */
}

static const ktest_case cases[] = {{"examples", test_examples},
                                   {"block boundaries", test_block_boundaries},
                                   {"random", test_random},
                                   {"resume in pieces", test_resume},
                                   {"strict", test_strict},
                                   {"spans", test_spans},
                                   {0}};
KTEST_MAIN("ksmc_skip", cases)
