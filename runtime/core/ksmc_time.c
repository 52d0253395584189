/* ksmc_time: time.Parse(time.RFC3339, s).Unix() without libc time zones.
 *
 * Go's Parse first tries a strict RFC 3339 fast path and, when that fails, falls back to
 * its general layout parser, which is more lenient in three ways that are therefore part
 * of time.Parse(time.RFC3339) semantics:
 *  - the hour ("15" in the layout) may have one digit: "2024-01-02T5:04:05Z";
 *  - a comma may introduce the fractional seconds: "…05,123Z";
 *  - the zone offset hour may be 24 and its minute 60 (range checks use > not >=).
 * The accepted language is the union, which is the general parser's. */
#include "ksmc_time.h"

#include <stdbool.h>

typedef struct {
  const char *s;
  size_t n;
  size_t i;
} tcur;

static bool t_digit(const tcur *c, size_t k) {
  return c->i + k < c->n && c->s[c->i + k] >= '0' && c->s[c->i + k] <= '9';
}

/* Reads exactly `width` digits. */
static bool t_num(tcur *c, int width, int *out) {
  int v = 0;
  for (int k = 0; k < width; k++) {
    if (!t_digit(c, (size_t)k)) return false;
    v = v * 10 + (c->s[c->i + (size_t)k] - '0');
  }
  c->i += (size_t)width;
  *out = v;
  return true;
}

static bool t_lit(tcur *c, char ch) {
  if (c->i >= c->n || c->s[c->i] != ch) return false;
  c->i++;
  return true;
}

static bool t_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

static int t_days_in(int m, int y) {
  static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && t_leap(y) ? 29 : days[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm). */
static int64_t t_days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

/* "2006-01-02": year 0000-9999, month 1-12, day valid for the month. */
static bool t_date(tcur *c, int *y, int *m, int *d) {
  if (!t_num(c, 4, y) || !t_lit(c, '-') || !t_num(c, 2, m) || !t_lit(c, '-') || !t_num(c, 2, d))
    return false;
  return *m >= 1 && *m <= 12 && *d >= 1 && *d <= t_days_in(*m, *y);
}

/* "15:04:05" with a one- or two-digit hour, then optional [.,]digits (ignored: Unix()
 * floors and the fraction is never negative). */
static bool t_clock(tcur *c, int *h, int *mi, int *sec) {
  if (!t_num(c, 1, h)) return false;
  if (t_digit(c, 0)) *h = *h * 10 + (c->s[c->i++] - '0');
  if (!t_lit(c, ':') || !t_num(c, 2, mi) || !t_lit(c, ':') || !t_num(c, 2, sec)) return false;
  if (*h >= 24 || *mi >= 60 || *sec >= 60) return false;
  if (c->i < c->n && (c->s[c->i] == '.' || c->s[c->i] == ',') && t_digit(c, 1)) {
    c->i++;
    while (t_digit(c, 0)) c->i++;
  }
  return true;
}

/* "Z" or "±hh:mm"; the offset in seconds east of UTC. */
static bool t_zone(tcur *c, int *off) {
  if (t_lit(c, 'Z')) {
    *off = 0;
    return true;
  }
  if (c->i >= c->n) return false;
  char sign = c->s[c->i++];
  int hh, mm;
  if ((sign != '+' && sign != '-') || !t_num(c, 2, &hh) || !t_lit(c, ':') || !t_num(c, 2, &mm))
    return false;
  if (hh > 24 || mm > 60) return false;
  *off = (hh * 60 + mm) * 60 * (sign == '-' ? -1 : 1);
  return true;
}

/* Bytes p[0..8) as a little-endian word, whatever the host's byte order (one load on
 * x86-64). */
static inline uint64_t t_le64(const char *p) {
  const unsigned char *u = (const unsigned char *)p;
  return (uint64_t)u[0] | (uint64_t)u[1] << 8 | (uint64_t)u[2] << 16 | (uint64_t)u[3] << 24 |
         (uint64_t)u[4] << 32 | (uint64_t)u[5] << 40 | (uint64_t)u[6] << 48 | (uint64_t)u[7] << 56;
}

/* True if w has the bytes `sep` where `sepmask` is 0xff and ASCII digits where `digmask` is
 * 0xff: a digit byte is 0x30..0x39, i.e. its high nibble is 3 and stays 3 after adding 6
 * (which cannot carry out of a byte whose high nibble is 3). */
static inline bool t_shape(uint64_t w, uint64_t digmask, uint64_t sepmask, uint64_t sep) {
  uint64_t hi = digmask & 0xf0f0f0f0f0f0f0f0ull, three = digmask & 0x3030303030303030ull;
  return (w & sepmask) == sep && (w & hi) == three &&
         ((w + (digmask & 0x0606060606060606ull)) & hi) == three;
}

#define T_DIG(w, i) ((int)((w) >> (8 * (i)) & 0x0f))

/* The API server's form "2006-01-02T15:04:05Z" (20 bytes, fixed positions), checked and read
 * eight bytes at a time: its value, or false for anything else (then the general parser
 * decides, so the accepted language and the values are the general parser's either way). */
static bool t_canonical(const char *s, size_t n, int64_t *unix_sec) {
  if (n != 20) return false;
  /* "YYYY-MM-", "DDTHH:MM", ":SSZ" */
  uint64_t a = t_le64(s), b = t_le64(s + 8), c = t_le64(s + 12) >> 32;
  if (!t_shape(a, 0x00ffff00ffffffffull, 0xff0000ff00000000ull, 0x2d00002d00000000ull) ||
      !t_shape(b, 0xffff00ffff00ffffull, 0x0000ff0000ff0000ull, 0x00003a0000540000ull) ||
      !t_shape(c, 0x00ffff00ull, 0xff0000ffull, 0x5a00003aull))
    return false;
  int y = T_DIG(a, 0) * 1000 + T_DIG(a, 1) * 100 + T_DIG(a, 2) * 10 + T_DIG(a, 3);
  int m = T_DIG(a, 5) * 10 + T_DIG(a, 6), d = T_DIG(b, 0) * 10 + T_DIG(b, 1);
  int h = T_DIG(b, 3) * 10 + T_DIG(b, 4), mi = T_DIG(b, 6) * 10 + T_DIG(b, 7);
  int sec = T_DIG(c, 1) * 10 + T_DIG(c, 2);
  if (m < 1 || m > 12 || d < 1 || d > t_days_in(m, y) || h >= 24 || mi >= 60 || sec >= 60)
    return false;
  *unix_sec = t_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
  return true;
}

bool ksmc_time_parse_rfc3339(const char *s, size_t n, int64_t *unix_sec) {
  return t_canonical(s, n, unix_sec) || ksmc_time_parse_rfc3339_general(s, n, unix_sec);
}

bool ksmc_time_parse_rfc3339_general(const char *s, size_t n, int64_t *unix_sec) {
  tcur c = {s, n, 0};
  int y, m, d, h, mi, sec, off;
  if (!t_date(&c, &y, &m, &d) || !t_lit(&c, 'T') || !t_clock(&c, &h, &mi, &sec) ||
      !t_zone(&c, &off) || c.i != n)
    return false;
  *unix_sec = t_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec - off;
  return true;
}
