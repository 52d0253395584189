/* ksmc_fmt: Go's strconv.FormatFloat(v, 'g', -1, 64) and KSM's writeFloat.
 *
 * Integers below 2^53 (the usual sample values: counts, timestamps, byte sizes) take a
 * digit-table path with no libc call. Other doubles find the shortest round-tripping
 * digits with glibc's exact snprintf("%.*e") and strtod:
 *  - DBL_DIG is 15, so for a normal double at most one 15-digit decimal converts back to
 *    it. If one does, stripping its trailing zeros gives the shortest digits (any shorter
 *    candidate, zero-padded, would be that same decimal).
 *  - Otherwise try 16 digits, then 17 (17 always round-trips).
 *  - At each precision the correctly rounded candidate is the closest one, as Go picks.
 *    When the mantissa is a power of two the interval of decimals that round to v is twice
 *    as wide above v as below, so the closest candidate may lie below v and miss while the
 *    next one up still round-trips: that neighbour is tried as well.
 *  - Subnormals have fewer than 15 significant digits, so every precision is tried. */
#include "ksmc_fmt.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Decimal digits d[0..nd) with the value 0.d[0]d[1]... * 10^dp (Go's decimalSlice). */
typedef struct {
  char d[24];
  int nd;
  int dp;
} fmt_dec;

static const char fmt_pairs[] = "00010203040506070809"
                                "10111213141516171819"
                                "20212223242526272829"
                                "30313233343536373839"
                                "40414243444546474849"
                                "50515253545556575859"
                                "60616263646566676869"
                                "70717273747576777879"
                                "80818283848586878889"
                                "90919293949596979899";

static const uint64_t fmt_pow10_u64[20] = {1ull,
                                           10ull,
                                           100ull,
                                           1000ull,
                                           10000ull,
                                           100000ull,
                                           1000000ull,
                                           10000000ull,
                                           100000000ull,
                                           1000000000ull,
                                           10000000000ull,
                                           100000000000ull,
                                           1000000000000ull,
                                           10000000000000ull,
                                           100000000000000ull,
                                           1000000000000000ull,
                                           10000000000000000ull,
                                           100000000000000000ull,
                                           1000000000000000000ull,
                                           10000000000000000000ull};

/* Number of decimal digits of u: floor(log10(u)) + 1 from the bit length (log10(2) ~
 * 1233/4096), corrected by one comparison. */
static inline int fmt_ndigits(uint64_t u) {
  if (u < 10) return 1;
  int t = (64 - __builtin_clzll(u)) * 1233 >> 12;
  return t + (u >= fmt_pow10_u64[t]);
}

/* Writes the decimal digits of u into dst (at least 20 bytes); returns how many. The
 * length comes first, so the digits go straight to their place, two per step; eight at a
 * time with 32-bit arithmetic while more than eight are left (timestamps have ten). */
static int fmt_u64(char *dst, uint64_t u) {
  int n = fmt_ndigits(u);
  char *p = dst + n;
  while (u >= 100000000) {
    uint32_t lo = (uint32_t)(u % 100000000), hi4 = lo / 10000, lo4 = lo % 10000;
    u /= 100000000;
    p -= 8;
    memcpy(p, fmt_pairs + 2 * (hi4 / 100), 2);
    memcpy(p + 2, fmt_pairs + 2 * (hi4 % 100), 2);
    memcpy(p + 4, fmt_pairs + 2 * (lo4 / 100), 2);
    memcpy(p + 6, fmt_pairs + 2 * (lo4 % 100), 2);
  }
  uint32_t v = (uint32_t)u;
  while (v >= 100) {
    p -= 2;
    memcpy(p, fmt_pairs + 2 * (v % 100), 2);
    v /= 100;
  }
  if (v >= 10) {
    memcpy(p - 2, fmt_pairs + 2 * v, 2);
  } else {
    p[-1] = (char)('0' + v);
  }
  return n;
}

static void fmt_strip_zeros(fmt_dec *d) {
  while (d->nd > 1 && d->d[d->nd - 1] == '0') d->nd--;
}

/* Appends "e±XX" (two digits minimum, like Go's fmtE). */
static char *fmt_exponent(char *p, int exp) {
  *p++ = 'e';
  *p++ = exp < 0 ? '-' : '+';
  if (exp < 0) exp = -exp;
  if (exp >= 100) {
    *p++ = (char)('0' + exp / 100);
    exp %= 100;
  }
  *p++ = (char)('0' + exp / 10);
  *p++ = (char)('0' + exp % 10);
  return p;
}

/* Go's %e with nd-1 fraction digits: d[.ddd]e±XX. */
static char *fmt_e(char *p, const fmt_dec *d) {
  *p++ = d->d[0];
  if (d->nd > 1) {
    *p++ = '.';
    memcpy(p, d->d + 1, (size_t)(d->nd - 1));
    p += d->nd - 1;
  }
  return fmt_exponent(p, d->dp - 1);
}

/* Go's %f with max(nd-dp, 0) fraction digits. */
static char *fmt_f(char *p, const fmt_dec *d) {
  if (d->dp > 0) {
    int m = d->nd < d->dp ? d->nd : d->dp;
    memcpy(p, d->d, (size_t)m);
    p += m;
    for (int i = m; i < d->dp; i++) *p++ = '0';
  } else {
    *p++ = '0';
  }
  if (d->nd > d->dp) {
    *p++ = '.';
    for (int j = d->dp; j < d->nd; j++) *p++ = j < 0 ? '0' : d->d[j];
  }
  return p;
}

/* Go's 'g' layout for shortest digits: exponent form iff exp < -4 || exp >= 6. */
static size_t fmt_layout(char *dst, bool neg, const fmt_dec *d) {
  char *p = dst;
  if (neg) *p++ = '-';
  int exp = d->dp - 1;
  p = (exp < -4 || exp >= 6) ? fmt_e(p, d) : fmt_f(p, d);
  return (size_t)(p - dst);
}

/* Correctly rounded p-digit decimal of av > 0 (glibc's printf is exact). */
static void fmt_dec_round(fmt_dec *d, double av, int p) {
  char s[40];
  snprintf(s, sizeof s, "%.*e", p - 1, av);
  const char *q = s;
  d->nd = 0;
  for (; *q != 'e'; q++) /* skips the radix char, whatever LC_NUMERIC makes it */
    if (*q >= '0' && *q <= '9') d->d[d->nd++] = *q;
  d->dp = atoi(q + 1) + 1;
}

/* The next p-digit decimal above d. */
static void fmt_dec_up(fmt_dec *d) {
  int i = d->nd - 1;
  while (i >= 0 && d->d[i] == '9') d->d[i--] = '0';
  if (i >= 0) {
    d->d[i]++;
  } else {
    d->d[0] = '1';
    d->dp++;
  }
}

/* Reads d back with strtod as "DIGITSe<exp>": no radix char, so no locale dependence. */
static bool fmt_roundtrips(const fmt_dec *d, double av) {
  char s[48];
  memcpy(s, d->d, (size_t)d->nd);
  snprintf(s + d->nd, sizeof s - (size_t)d->nd, "e%d", d->dp - d->nd);
  return strtod(s, NULL) == av;
}

/* A p-digit decimal that reads back as av: the closest, else the next one up. */
static bool fmt_try_prec(fmt_dec *d, double av, int p) {
  fmt_dec_round(d, av, p);
  if (fmt_roundtrips(d, av)) return true;
  fmt_dec_up(d);
  return fmt_roundtrips(d, av);
}

static const double fmt_pow10[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                   1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                   1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

/* Fast path for short decimals such as 0.25 or 1.5: finds m < 10^15 and k <= 22 with
 * m / 10^k == av. Both operands are exact and IEEE division rounds correctly, so the
 * decimal m*10^-k reads back as av; having at most 15 digits it is, by the DBL_DIG
 * uniqueness above, the shortest-digits answer. */
static bool fmt_short_decimal(fmt_dec *d, double av) {
  for (int k = 1; k <= 22; k++) {
    double m = av * fmt_pow10[k];
    if (m >= 1e15) return false;
    double mr = (double)(uint64_t)(m + 0.5);
    if (mr / fmt_pow10[k] != av) continue;
    d->nd = fmt_u64(d->d, (uint64_t)mr);
    d->dp = d->nd - k;
    return true;
  }
  return false;
}

/* Shortest round-tripping digits of a finite av > 0. */
static void fmt_shortest(fmt_dec *d, double av) {
  if (av >= DBL_MIN && fmt_short_decimal(d, av)) {
    fmt_strip_zeros(d);
    return;
  }
  if (av >= DBL_MIN) {
    if (!fmt_try_prec(d, av, 15) && !fmt_try_prec(d, av, 16)) fmt_dec_round(d, av, 17);
  } else {
    for (int p = 1; p <= 17; p++)
      if (fmt_try_prec(d, av, p)) break;
  }
  fmt_strip_zeros(d);
}

/* An integer 10^6 <= u < 2^53 in 'g' form: exact, so its digits are the shortest, and the
 * decimal exponent (digits - 1, 6..15) always takes the e form: `d[.ddd]e+XX`. The digits are
 * written once, one byte to the right, and the first moved in front of the radix point. */
static size_t fmt_e_int(char *p, uint64_t u) {
  int nd = fmt_u64(p + 1, u), exp = nd - 1;
  p[0] = p[1];
  p[1] = '.';
  int keep = nd; /* digit i >= 1 is at p[i + 1] */
  while (keep > 1 && p[keep] == '0') keep--;
  char *e = keep > 1 ? p + keep + 1 : p + 1;
  memcpy(e, "e+", 2);
  e[2] = (char)('0' + exp / 10);
  e[3] = (char)('0' + exp % 10);
  return (size_t)(e + 4 - p);
}

static size_t fmt_special(char *dst, double v) {
  if (isnan(v)) {
    memcpy(dst, "NaN", 3);
    return 3;
  }
  if (isinf(v)) {
    memcpy(dst, v > 0 ? "+Inf" : "-Inf", 4);
    return 4;
  }
  if (signbit(v)) {
    memcpy(dst, "-0", 2);
    return 2;
  }
  dst[0] = '0';
  return 1;
}

#define FMT_2P53 9007199254740992.0

size_t ksmc_fmt_g(char *dst, double v) {
  if (v == 0 || !isfinite(v)) return fmt_special(dst, v);
  bool neg = v < 0;
  double av = neg ? -v : v;
  if (av < FMT_2P53 && (double)(uint64_t)av == av) {
    char *p = dst;
    if (neg) *p++ = '-';
    uint64_t u = (uint64_t)av; /* below 10^6 the digits are the text */
    return (size_t)(p - dst) + (u < 1000000 ? (size_t)fmt_u64(p, u) : fmt_e_int(p, u));
  }
  fmt_dec d;
  fmt_shortest(&d, av);
  return fmt_layout(dst, neg, &d);
}

void ksmc_fmt_value(ksmc_buf *b, double v) {
  if (v == 0) { /* KSM prints -0 as "0" too */
    ksmc_buf_putc(b, '0');
    return;
  }
  if (b->cap - b->n < KSMC_FMT_G_MAX && !ksmc_buf_reserve(b, KSMC_FMT_G_MAX)) return;
  b->n += ksmc_fmt_g(b->p + b->n, v);
}

void ksmc_fmt_i64(ksmc_buf *b, int64_t v) {
  if (b->cap - b->n < 21 && !ksmc_buf_reserve(b, 21)) return;
  char *p = b->p + b->n;
  uint64_t u = (uint64_t)v;
  if (v < 0) {
    *p++ = '-';
    u = 0 - u;
  }
  p += fmt_u64(p, u);
  b->n = (size_t)(p - b->p);
}
