#include "ksmc_jscan.h"

#include <limits.h>

static size_t skip_ws(const char *s, size_t len, size_t i) {
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  return i;
}

/* s[i] is the opening quote; returns the offset after the closing quote or 0. */
static size_t skip_string(const char *s, size_t len, size_t i) {
  for (i++; i < len; i++) {
    if (s[i] == '\\') {
      i++;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return 0;
}

static size_t skip_nested(const char *s, size_t len, size_t i) {
  int depth = 0;
  while (i < len) {
    char c = s[i];
    if (c == '"') {
      i = skip_string(s, len, i);
      if (!i) return 0;
      continue;
    }
    if (c == '{' || c == '[') depth++;
    if (c == '}' || c == ']') {
      if (--depth == 0) return i + 1;
    }
    i++;
  }
  return 0;
}

static bool is_delim(char c) {
  return c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

size_t ksmc_jscan_skip(const char *s, size_t len, size_t i) {
  i = skip_ws(s, len, i);
  if (i >= len) return 0;
  if (s[i] == '"') return skip_string(s, len, i);
  if (s[i] == '{' || s[i] == '[') return skip_nested(s, len, i);
  if (s[i] == '}' || s[i] == ']' || s[i] == ',' || s[i] == ':') return 0;
  size_t j = i;
  while (j < len && !is_delim(s[j])) j++;
  return j;
}

static bool key_is(const char *s, size_t start, size_t end, const char *key) {
  size_t n = strlen(key);
  return end - start == n + 2 && memcmp(s + start + 1, key, n) == 0;
}

bool ksmc_jscan_member(const char *s, size_t len, const char *key, ksmc_slice *val) {
  size_t i = skip_ws(s, len, 0);
  if (i >= len || s[i] != '{') return false;
  i = skip_ws(s, len, i + 1);
  if (i < len && s[i] == '}') return false;
  while (i < len && s[i] == '"') {
    size_t kend = skip_string(s, len, i);
    if (!kend) return false;
    size_t colon = skip_ws(s, len, kend);
    if (colon >= len || s[colon] != ':') return false;
    size_t vstart = skip_ws(s, len, colon + 1);
    size_t vend = ksmc_jscan_skip(s, len, vstart);
    if (!vend) return false;
    if (key_is(s, i, kend, key)) {
      *val = (ksmc_slice){s + vstart, vend - vstart};
      return true;
    }
    i = skip_ws(s, len, vend);
    if (i >= len || s[i] != ',') return false;
    i = skip_ws(s, len, i + 1);
  }
  return false;
}

bool ksmc_jscan_member2(const char *s, size_t len, const char *key1, const char *key2,
                        ksmc_slice *val) {
  ksmc_slice outer;
  if (!ksmc_jscan_member(s, len, key1, &outer)) return false;
  return ksmc_jscan_member(outer.p, outer.n, key2, val);
}

bool ksmc_jscan_unquote(ksmc_slice v, ksmc_slice *out) {
  if (v.n < 2 || v.p[0] != '"' || v.p[v.n - 1] != '"') return false;
  *out = (ksmc_slice){v.p + 1, v.n - 2};
  return true;
}

bool ksmc_jscan_int(ksmc_slice v, int64_t *out) {
  size_t i = 0;
  bool neg = v.n > 0 && v.p[0] == '-';
  if (neg) i++;
  if (i >= v.n) return false;
  int64_t x = 0;
  for (; i < v.n; i++) {
    if (v.p[i] < '0' || v.p[i] > '9') return false;
    int d = v.p[i] - '0';
    if (x > (INT64_MAX - d) / 10) return false;
    x = x * 10 + d;
  }
  *out = neg ? -x : x;
  return true;
}
