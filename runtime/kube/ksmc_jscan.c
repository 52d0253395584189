#include "ksmc_jscan.h"

#include <limits.h>
#include <string.h>

#include "ksmc_skip.h"

static size_t skip_ws(const char *s, size_t len, size_t i) {
  while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')) i++;
  return i;
}

/* s[i] is the opening quote; returns the offset after the closing quote or 0. A backslash
 * escapes the byte after it. Sixteen bytes per SSE2 compare while they fit (to the first
 * quote or backslash), then byte by byte: every watch event's metadata keys and values
 * pass here (ksmc_jscan_members_in, the reflector's uid and resourceVersion). */
static size_t skip_string(const char *s, size_t len, size_t i) {
  i++;
  while (ksmc_quote_or_backslash16(s, &i, len)) {
    if (s[i] == '"') return i + 1;
    i += 2; /* a backslash and the byte it escapes (i may pass len: then unterminated) */
  }
  for (; i < len; i++) {
    if (s[i] == '\\') {
      i++;
    } else if (s[i] == '"') {
      return i + 1;
    }
  }
  return 0;
}

/* s[i] is `{` or `[`: the block skipper (64 bytes per step). */
static size_t skip_nested(const char *s, size_t len, size_t i) {
  return ksmc_skip_container(s, len, i, (size_t)-1);
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

/* An iterator over the members of one object. */
typedef struct {
  const char *s;
  size_t len, i; /* i: after the `{` or after the previous value */
  bool first;
} members;

static bool members_begin(members *m, const char *s, size_t len, size_t at) {
  at = skip_ws(s, len, at);
  *m = (members){s, len, at + 1, true};
  return at < len && s[at] == '{';
}

/* The next member: its key (without quotes, escapes as they are) and the offset of its
 * value. False at the closing `}` or when the object is malformed. */
static bool members_next(members *m, ksmc_slice *key, size_t *vstart) {
  const char *s = m->s;
  size_t len = m->len, i = skip_ws(s, len, m->i);
  if (i >= len || s[i] == '}') return false;
  if (!m->first) {
    if (s[i] != ',') return false;
    i = skip_ws(s, len, i + 1);
  }
  m->first = false;
  if (i >= len || s[i] != '"') return false;
  size_t kend = skip_string(s, len, i);
  if (!kend) return false;
  size_t colon = skip_ws(s, len, kend);
  if (colon >= len || s[colon] != ':') return false;
  *key = (ksmc_slice){s + i + 1, kend - i - 2};
  *vstart = skip_ws(s, len, colon + 1);
  return true;
}

static bool key_eq(ksmc_slice k, const char *key) {
  size_t n = strlen(key);
  return k.n == n && memcmp(k.p, key, n) == 0;
}

bool ksmc_jscan_member(const char *s, size_t len, const char *key, ksmc_slice *val) {
  members m;
  ksmc_slice k;
  size_t vstart;
  if (!members_begin(&m, s, len, 0)) return false;
  while (members_next(&m, &k, &vstart)) {
    size_t vend = ksmc_jscan_skip(s, len, vstart);
    if (!vend) return false;
    if (key_eq(k, key)) {
      *val = (ksmc_slice){s + vstart, vend - vstart};
      return true;
    }
    m.i = vend;
  }
  return false;
}

unsigned ksmc_jscan_members_in(const char *s, size_t len, const char *key1, const char *const *keys,
                               size_t n, ksmc_slice *vals) {
  members m;
  ksmc_slice k;
  size_t vstart, outer = 0;
  if (n == 0 || n > 16 || !members_begin(&m, s, len, 0)) return 0;
  size_t k1 = strlen(key1);
  while (members_next(&m, &k, &vstart)) {
    if (k.n == k1 && memcmp(k.p, key1, k1) == 0) {
      outer = vstart; /* entered, not skipped */
      break;
    }
    if (!(m.i = ksmc_jscan_skip(s, len, vstart))) return 0;
  }
  unsigned found = 0, all = (1u << n) - 1;
  if (!outer || !members_begin(&m, s, len, outer)) return 0;
  size_t klen[16];
  for (size_t j = 0; j < n; j++) klen[j] = strlen(keys[j]);
  while (found != all && members_next(&m, &k, &vstart)) {
    size_t vend = ksmc_jscan_skip(s, len, vstart);
    if (!vend) break;
    for (size_t j = 0; j < n; j++)
      if (!(found >> j & 1) && k.n == klen[j] && memcmp(k.p, keys[j], k.n) == 0) {
        vals[j] = (ksmc_slice){s + vstart, vend - vstart};
        found |= 1u << j;
        break;
      }
    m.i = vend;
  }
  return found;
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
