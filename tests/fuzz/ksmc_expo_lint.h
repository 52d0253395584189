/* ksmc_expo_lint: a small, strict checker of exposition text, shared by the fuzz targets
 * and tests/unit/test_bad_input.c.
 *
 * Accepted lines (text format 0.0.4 as ksmc writes it; OpenMetrics adds "# EOF"):
 *   # HELP <metric name> <text without raw LF>
 *   # TYPE <metric name> <gauge|counter|info|stateset|unknown>
 *   <metric name>[{<label name>="<value>"(,<label name>="<value>")*}] <value>
 * where a label value only uses the escapes \\ \" \n, no label name repeats within a
 * sample, a value is a Go float ("1", "-0.5", "1e+06", "NaN", "+Inf", "-Inf"), every
 * byte sequence is valid UTF-8 and every line ends with LF. Each function returns NULL
 * when the text is valid, else a static message naming the first problem; *bad_off
 * receives its byte offset. Header-only, no state. */
#ifndef KSMC_EXPO_LINT_H
#define KSMC_EXPO_LINT_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

/* The checker is the oracle, not the code under test: in the fuzz targets (clang,
 * -fsanitize=fuzzer) it gets no coverage instrumentation. Instrumented, its per-byte
 * comparisons took a third of fuzz_http's time, and taking another path through the
 * checker made libFuzzer keep inputs that exercised nothing new in ksmc. ksmc_lint_text is
 * not inlined so that its body, with everything inlined into it, stays uninstrumented. */
#if defined(__clang__) && __clang_major__ >= 13
#define KSMC_LINT_FN static inline __attribute__((no_sanitize("coverage")))
#define KSMC_LINT_ENTRY static __attribute__((noinline, unused, no_sanitize("coverage")))
#else
#define KSMC_LINT_FN static inline
#define KSMC_LINT_ENTRY static inline
#endif

/* Length of the valid UTF-8 sequence at s[0..n) (n > 0), or 0 if it is not valid
 * (overlong, surrogate, > U+10FFFF, truncated). */
KSMC_LINT_FN size_t ksmc_lint_utf8(const unsigned char *s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  unsigned lo = 0x80, hi = 0xBF;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    if (c == 0xE0) lo = 0xA0;
    if (c == 0xED) hi = 0x9F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    if (c == 0xF0) lo = 0x90;
    if (c == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  if (n < len) return 0;
  if (s[1] < lo || s[1] > hi) return 0;
  for (size_t i = 2; i < len; i++)
    if (s[i] < 0x80 || s[i] > 0xBF) return 0;
  return len;
}

KSMC_LINT_FN bool ksmc_lint_name_start(char c, bool colon) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':');
}

KSMC_LINT_FN bool ksmc_lint_name_char(char c, bool colon) {
  return ksmc_lint_name_start(c, colon) || (c >= '0' && c <= '9');
}

/* Length of the metric (colon) or label name at s[i..e), 0 if none. */
KSMC_LINT_FN size_t ksmc_lint_name(const char *s, size_t i, size_t e, bool colon) {
  size_t j = i;
  if (j >= e || !ksmc_lint_name_start(s[j], colon)) return 0;
  while (j < e && ksmc_lint_name_char(s[j], colon)) j++;
  return j - i;
}

/* True if s[0..n) is a sample value as Go's strconv.FormatFloat(v,'g',-1,64) / KSM's
 * writeFloat prints it. */
KSMC_LINT_FN bool ksmc_lint_value(const char *s, size_t n) {
  if ((n == 3 && !memcmp(s, "NaN", 3)) || (n == 4 && !memcmp(s, "+Inf", 4)) ||
      (n == 4 && !memcmp(s, "-Inf", 4)))
    return true;
  size_t i = 0, digits = 0;
  if (i < n && s[i] == '-') i++;
  while (i < n && s[i] >= '0' && s[i] <= '9') i++, digits++;
  if (!digits) return false;
  if (i < n && s[i] == '.') {
    size_t frac = 0;
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) frac++;
    if (!frac) return false;
  }
  if (i < n && s[i] == 'e') {
    i++;
    if (i >= n || (s[i] != '+' && s[i] != '-')) return false;
    size_t ed = 0;
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) ed++;
    if (ed < 2) return false;
  }
  return i == n;
}

/* Checks one sample line s[0..n) (without its LF); the metric name goes to name and name_len. */
KSMC_LINT_FN const char *ksmc_lint_sample(const char *s, size_t n, size_t *bad, const char **name,
                                          size_t *name_len) {
  size_t nl = ksmc_lint_name(s, 0, n, true);
  if (!nl) return *bad = 0, "sample line does not start with a metric name";
  *name = s;
  *name_len = nl;
  size_t i = nl;
  /* Label names seen on this line, for the duplicate check (bounded: a line with more
   * labels than this is only checked against the first ones). */
  enum { MAXL = 64 };
  size_t lstart[MAXL], llen[MAXL], nlab = 0;
  if (i < n && s[i] == '{') {
    i++;
    for (;;) {
      if (i < n && s[i] == '}') {
        if (nlab == 0) return *bad = i, "empty label set";
        i++;
        break;
      }
      size_t ln = ksmc_lint_name(s, i, n, false);
      if (!ln) return *bad = i, "bad label name";
      for (size_t k = 0; k < nlab && k < MAXL; k++)
        if (llen[k] == ln && !memcmp(s + lstart[k], s + i, ln))
          return *bad = i, "label name repeated in one sample";
      if (nlab < MAXL) lstart[nlab] = i, llen[nlab] = ln;
      nlab++;
      i += ln;
      if (i + 1 >= n || s[i] != '=' || s[i + 1] != '"')
        return *bad = i, "expected =\" after label name";
      i += 2;
      for (;;) {
        if (i >= n) return *bad = i, "unterminated label value";
        unsigned char c = (unsigned char)s[i];
        if (c == '"') break;
        if (c == '\\') {
          if (i + 1 >= n || (s[i + 1] != '\\' && s[i + 1] != '"' && s[i + 1] != 'n'))
            return *bad = i, "bad escape in label value";
          i += 2;
          continue;
        }
        size_t u = ksmc_lint_utf8((const unsigned char *)s + i, n - i);
        if (!u) return *bad = i, "invalid UTF-8 in label value";
        i += u;
      }
      i++; /* closing quote */
      if (i < n && s[i] == ',') {
        i++;
        if (i < n && s[i] == '}') return *bad = i, "trailing comma in label set";
        continue;
      }
      if (i < n && s[i] == '}') continue;
      return *bad = i, "expected , or } after label value";
    }
  }
  if (i >= n || s[i] != ' ') return *bad = i, "expected one space before the value";
  i++;
  if (!ksmc_lint_value(s + i, n - i)) return *bad = i, "bad sample value";
  return NULL;
}

/* Checks a comment line "# HELP ..."/"# TYPE ..."/"# EOF". */
KSMC_LINT_FN const char *ksmc_lint_comment(const char *s, size_t n, size_t *bad) {
  if (n == 5 && !memcmp(s, "# EOF", 5)) return NULL;
  bool help = n > 7 && !memcmp(s, "# HELP ", 7);
  bool type = n > 7 && !memcmp(s, "# TYPE ", 7);
  if (!help && !type) return *bad = 0, "comment line is not # HELP or # TYPE";
  size_t nl = ksmc_lint_name(s, 7, n, true);
  if (!nl) return *bad = 7, "bad metric name in comment";
  size_t i = 7 + nl;
  if (i >= n || s[i] != ' ') return *bad = i, "expected a space after the metric name";
  i++;
  if (type) {
    static const char *const types[] = {"gauge", "counter", "info", "stateset", "unknown"};
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++)
      if (n - i == strlen(types[k]) && !memcmp(s + i, types[k], n - i)) return NULL;
    return *bad = i, "unknown TYPE";
  }
  while (i < n) {
    if (s[i] == '\\') {
      if (i + 1 >= n || (s[i + 1] != '\\' && s[i + 1] != 'n' && s[i + 1] != '"'))
        return *bad = i, "bad escape in HELP";
      i += 2;
      continue;
    }
    size_t u = ksmc_lint_utf8((const unsigned char *)s + i, n - i);
    if (!u) return *bad = i, "invalid UTF-8 in HELP";
    i += u;
  }
  return NULL;
}

/* Checks a whole exposition text. With `samples_only`, comment lines are rejected (the
 * bytes of one object). If `want_name` is not NULL, every sample's metric name must equal
 * it (the bytes of one family of one object). */
KSMC_LINT_ENTRY const char *ksmc_lint_text(const char *s, size_t n, bool samples_only,
                                           const char *want_name, size_t *bad_off) {
  size_t i = 0;
  while (i < n) {
    const char *nlp = memchr(s + i, '\n', n - i);
    if (!nlp) return *bad_off = n, "text does not end with a newline";
    size_t e = (size_t)(nlp - s), bad = 0;
    const char *why;
    if (s[i] == '#') {
      why = samples_only ? "comment line among samples" : ksmc_lint_comment(s + i, e - i, &bad);
    } else {
      const char *name = NULL;
      size_t name_len = 0;
      why = ksmc_lint_sample(s + i, e - i, &bad, &name, &name_len);
      if (!why && want_name &&
          (name_len != strlen(want_name) || memcmp(name, want_name, name_len) != 0))
        why = "sample of another family", bad = 0;
    }
    if (why) return *bad_off = i + bad, why;
    i = e + 1;
  }
  return NULL;
}

#endif
