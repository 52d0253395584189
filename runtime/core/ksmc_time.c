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

/* The API server's form "2006-01-02T15:04:05Z" (20 bytes, fixed positions): its value, or
 * false for anything else (then the general parser decides, so the accepted language and
 * the values are the general parser's either way). */
static bool t_canonical(const char *s, size_t n, int64_t *unix_sec) {
  static const unsigned char at[14] = {0, 1, 2, 3, 5, 6, 8, 9, 11, 12, 14, 15, 17, 18};
  if (n != 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' ||
      s[19] != 'Z')
    return false;
  int v[14];
  for (int k = 0; k < 14; k++) {
    unsigned dig = (unsigned)(unsigned char)s[at[k]] - '0';
    if (dig > 9) return false;
    v[k] = (int)dig;
  }
  int y = v[0] * 1000 + v[1] * 100 + v[2] * 10 + v[3], m = v[4] * 10 + v[5], d = v[6] * 10 + v[7];
  int h = v[8] * 10 + v[9], mi = v[10] * 10 + v[11], sec = v[12] * 10 + v[13];
  if (m < 1 || m > 12 || d < 1 || d > t_days_in(m, y) || h >= 24 || mi >= 60 || sec >= 60)
    return false;
  *unix_sec = t_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec;
  return true;
}

bool ksmc_time_parse_rfc3339(const char *s, size_t n, int64_t *unix_sec) {
  if (t_canonical(s, n, unix_sec)) return true;
  tcur c = {s, n, 0};
  int y, m, d, h, mi, sec, off;
  if (!t_date(&c, &y, &m, &d) || !t_lit(&c, 'T') || !t_clock(&c, &h, &mi, &sec) ||
      !t_zone(&c, &off) || c.i != n)
    return false;
  *unix_sec = t_days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60 + sec - off;
  return true;
}
