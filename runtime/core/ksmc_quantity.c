/* ksmc_quantity: resource.ParseQuantity + Quantity.Value()/MilliValue(), exactly.
 *
 * The grammar follows apimachinery's parseQuantityString, including what it lets through:
 * a number may be empty ("Gi", "+", ".", "-Mi" all parse as 0, because Go replaces an
 * empty numerator with "0"), "5." and ".5" are numbers, and the suffix is the run of
 * [eEinumkKMGTP] chars, an optional sign and digits, which must then be a known SI or
 * binary suffix or e/E followed by an int32 exponent.
 *
 * The value D * 10^e * 2^b (D the digits, b in {0,10,..,60}) is evaluated exactly with
 * no size limit on D: the integer part is accumulated in 128 bits and the ceiling of the
 * fraction times 2^b is found by one right-to-left carry pass over the fraction digits.
 * Rounding is away from zero, as Go's negativeScaleInt64 and inf.RoundUp do. Magnitudes
 * above INT64_MAX saturate to +-INT64_MAX (Go caps BinarySI amounts there; for huge
 * decimal amounts Go's ScaledValue overflows to unspecified values, which no valid
 * Kubernetes object carries). */
#include "ksmc_quantity.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  bool neg;
  const char *num; /* integer digits, leading zeros stripped */
  size_t nnum;
  const char *den; /* fraction digits */
  size_t nden;
  int64_t exp10; /* decimal exponent of the suffix */
  int bin;       /* binary exponent of the suffix */
} qparsed;

typedef unsigned __int128 u128;

static bool q_isdigit(char c) { return c >= '0' && c <= '9'; }

static size_t q_digits(const char *s, size_t i, size_t n) {
  while (i < n && q_isdigit(s[i])) i++;
  return i;
}

/* Exponent text after e/E: [+-]digits fitting an int32 (Go: strconv.ParseInt). */
static bool q_exponent(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == n) return false;
  int64_t v = 0;
  for (; i < n; i++) {
    if (!q_isdigit(s[i])) return false;
    v = v * 10 + (s[i] - '0');
    if (v > 2147483648LL) return false;
  }
  if (neg) v = -v;
  if (v > 2147483647LL) return false;
  *out = v;
  return true;
}

/* quantitySuffixer.interpret: SI table, binary table, then e/E<int>. */
static bool q_suffix(const char *s, size_t n, qparsed *q) {
  static const struct {
    const char *s;
    int exp10, bin;
  } tab[] = {{"", 0, 0},    {"n", -9, 0},  {"u", -6, 0},  {"m", -3, 0},
             {"k", 3, 0},   {"M", 6, 0},   {"G", 9, 0},   {"T", 12, 0},
             {"P", 15, 0},  {"E", 18, 0},  {"Ki", 0, 10}, {"Mi", 0, 20},
             {"Gi", 0, 30}, {"Ti", 0, 40}, {"Pi", 0, 50}, {"Ei", 0, 60}};
  q->exp10 = 0;
  q->bin = 0;
  for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
    if (strlen(tab[i].s) == n && memcmp(tab[i].s, s, n) == 0) {
      q->exp10 = tab[i].exp10;
      q->bin = tab[i].bin;
      return true;
    }
  }
  return n > 1 && (s[0] == 'e' || s[0] == 'E') && q_exponent(s + 1, n - 1, &q->exp10);
}

/* parseQuantityString + suffix interpretation. */
static bool q_parse(const char *s, size_t n, qparsed *q) {
  if (n == 0) return false;
  size_t i = 0;
  q->neg = false;
  if (s[0] == '-' || s[0] == '+') q->neg = s[i++] == '-';
  while (i < n && s[i] == '0') i++;
  size_t e = q_digits(s, i, n);
  q->num = s + i;
  q->nnum = e - i;
  i = e;
  q->den = s + i;
  q->nden = 0;
  if (i < n && s[i] == '.') {
    e = q_digits(s, ++i, n);
    q->den = s + i;
    q->nden = e - i;
    i = e;
  }
  size_t suf = i;
  while (i < n && s[i] && strchr("eEinumkKMGTP", s[i])) i++;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  if (q_digits(s, i, n) != n) return false;
  return q_suffix(s + suf, n - suf, q);
}

static int q_dig(const qparsed *q, size_t j) {
  return (j < q->nnum ? q->num[j] : q->den[j - q->nnum]) - '0';
}

#define Q_MAX ((u128)INT64_MAX)

/* Integer part of D * 10^E where the first ni digits of D (L in total) are integral;
 * any value above INT64_MAX is returned as INT64_MAX + 1. */
static u128 q_int_part(const qparsed *q, int64_t ni) {
  size_t len = q->nnum + q->nden;
  u128 v = 0;
  for (int64_t j = 0; j < ni; j++) {
    v = v * 10 + (u128)((size_t)j < len ? q_dig(q, (size_t)j) : 0);
    if (v > Q_MAX) return Q_MAX + 1;
  }
  return v;
}

/* ceil(F * 2^bin) where F is the fractional part of D * 10^E (digits ni.. of D, preceded
 * by -ni zeros when ni < 0). One carry pass from the last digit. */
static u128 q_frac_ceil(const qparsed *q, int64_t ni) {
  size_t len = q->nnum + q->nden;
  size_t first = ni > 0 ? (size_t)ni : 0;
  uint64_t carry = 0;
  bool sticky = false;
  for (size_t j = len; j > first; j--) {
    uint64_t v = ((uint64_t)q_dig(q, j - 1) << q->bin) + carry;
    sticky |= v % 10 != 0;
    carry = v / 10;
  }
  for (int64_t z = ni; z < 0 && carry; z++) { /* the leading fractional zeros */
    sticky |= carry % 10 != 0;
    carry /= 10;
  }
  return (u128)carry + sticky;
}

/* ceil away from zero of q * 10^scale, saturated to +-INT64_MAX. */
static int64_t q_scaled(const qparsed *q, int scale) {
  size_t len = q->nnum + q->nden;
  bool zero = true;
  for (size_t j = 0; j < len && zero; j++) zero = q_dig(q, j) == 0;
  if (zero) return 0;
  int64_t ni = (int64_t)len + q->exp10 - (int64_t)q->nden + scale;
  u128 ip = q_int_part(q, ni);
  u128 mag = ip > Q_MAX ? Q_MAX + 1 : (ip << q->bin) + q_frac_ceil(q, ni);
  if (mag > Q_MAX) mag = Q_MAX;
  return q->neg ? -(int64_t)mag : (int64_t)mag;
}

bool ksmc_quantity_parse_general(const char *s, size_t n, int64_t *value, int64_t *milli) {
  qparsed q;
  if (!q_parse(s, n, &q)) return false;
  *value = q_scaled(&q, 0);
  *milli = q_scaled(&q, 3);
  return true;
}

/* The forms nearly every object carries ("2", "100m", "128Mi", "1G"): at most 16 digits
 * (no sign, point or exponent), then nothing or one of m k M G Ki Mi Gi. Integer products
 * with overflow checks; false (the general parser decides) for anything else, including
 * values that would saturate. Gives the general parser's results: D * 10^e * 2^b is an
 * integer except for `m`, whose Value() rounds up. */
static inline bool q_fast(const char *s, size_t n, int64_t *value, int64_t *milli) {
  size_t i = 0;
  int64_t d = 0;
  for (; i < n && i < 16 && (unsigned)(s[i] - '0') <= 9; i++) d = d * 10 + (s[i] - '0');
  if (i == 0) return false;
  int64_t mul; /* of the suffix: value = d * mul */
  if (i == n) {
    mul = 1;
  } else if (i + 1 == n) {
    switch (s[i]) {
    case 'm':
      *value = (d + 999) / 1000;
      *milli = d;
      return true;
    case 'k':
      mul = 1000;
      break;
    case 'M':
      mul = 1000000;
      break;
    case 'G':
      mul = 1000000000;
      break;
    default:
      return false;
    }
  } else if (i + 2 == n && s[i + 1] == 'i') {
    switch (s[i]) {
    case 'K':
      mul = (int64_t)1 << 10;
      break;
    case 'M':
      mul = (int64_t)1 << 20;
      break;
    case 'G':
      mul = (int64_t)1 << 30;
      break;
    default:
      return false;
    }
  } else {
    return false;
  }
  int64_t v, m;
  if (__builtin_mul_overflow(d, mul, &v) || __builtin_mul_overflow(v, (int64_t)1000, &m))
    return false;
  *value = v;
  *milli = m;
  return true;
}

bool ksmc_quantity_parse(const char *s, size_t n, int64_t *value, int64_t *milli) {
  return q_fast(s, n, value, milli) || ksmc_quantity_parse_general(s, n, value, milli);
}

#define Q_MAX_MILLI_VALUE 9223372036854775LL /* resource.MaxMilliValue */

bool ksmc_quantity_float(const char *s, size_t n, double *out) {
  int64_t v, m;
  if (!ksmc_quantity_parse(s, n, &v, &m)) return false;
  *out = v > Q_MAX_MILLI_VALUE ? (double)v : (double)m / 1000;
  return true;
}

bool ksmc_quantity_int(const char *s, size_t n, double *out) {
  int64_t v, m;
  if (q_fast(s, n, &v, &m)) {
    *out = (double)v;
    return true;
  }
  qparsed q;
  if (!q_parse(s, n, &q)) return false;
  *out = (double)q_scaled(&q, 0);
  return true;
}

/* ---- AsApproximateFloat64 ---------------------------------------------------------- */

/* Go's math.Pow10: exact table products, so the same double for every n. */
static double q_go_pow10(int64_t n) {
  static const double tab[32] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10,
                                 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21,
                                 1e22, 1e23, 1e24, 1e25, 1e26, 1e27, 1e28, 1e29, 1e30, 1e31};
  static const double pos32[] = {1e0, 1e32, 1e64, 1e96, 1e128, 1e160, 1e192, 1e224, 1e256, 1e288};
  static const double neg32[] = {1e-0,   1e-32,  1e-64,  1e-96,  1e-128, 1e-160,
                                 1e-192, 1e-224, 1e-256, 1e-288, 1e-320};
  if (n >= 0 && n <= 308) return pos32[n / 32] * tab[n % 32];
  if (n < 0 && n >= -323) return neg32[-n / 32] / tab[-n % 32];
  return n > 0 ? HUGE_VAL : 0;
}

/* The nano-scaled inf.Dec amount U (an unsigned decimal digit string in buf, without
 * leading zeros) as a correctly rounded double, as big.Float.Float64 gives it. */
static double q_digits_to_double(const char *buf) { return buf[0] ? strtod(buf, NULL) : 0; }

/* Writes v (> 0) in decimal into buf. */
static void q_u128_str(u128 v, char *buf) {
  char tmp[48];
  size_t i = 0;
  while (v) {
    tmp[i++] = (char)('0' + (int)(v % 10));
    v /= 10;
  }
  for (size_t j = 0; j < i; j++) buf[j] = tmp[i - 1 - j];
  buf[i] = 0;
}

#define Q_APPROX_MAX_DIGITS 400 /* U >= 10^400: float64(U) is +Inf, as in Go */

bool ksmc_quantity_approx(const char *s, size_t n, double *out) {
  qparsed q;
  if (!q_parse(s, n, &q)) return false;
  size_t len = q.nnum + q.nden, lnum = q.nnum ? q.nnum : 1; /* Go's num is "0" if empty */
  double sign = q.neg ? -1.0 : 1.0;
  /* int64Amount fast path of ParseQuantity */
  if (q.bin == 0 && (int64_t)(lnum + q.nden) <= 18 && q.exp10 - (int64_t)q.nden >= -9) {
    int64_t v = 0, scale = q.exp10 - (int64_t)q.nden;
    for (size_t j = 0; j < len; j++) v = v * 10 + q_dig(&q, j);
    double base = (double)(q.neg ? -v : v);
    *out = scale == 0 ? base : base * q_go_pow10(scale);
    return true;
  }
  if (q.bin != 0 && q.nden == 0 && 15 - (int64_t)lnum - q.bin * 3 / 10 - 1 >= 0) {
    int64_t v = 0;
    for (size_t j = 0; j < q.nnum; j++) v = v * 10 + q_dig(&q, j);
    v <<= q.bin;
    *out = (double)(q.neg ? -v : v);
    return true;
  }
  /* inf.Dec path: U = ceil(|x| * 10^9) (inf.RoundUp to Nano), value U * 10^-9 */
  char buf[Q_APPROX_MAX_DIGITS + 8];
  if (q.bin != 0) {
    const u128 cap = (u128)INT64_MAX * 1000000000u; /* BinarySI: amount > 2^63-1 is capped */
    bool capped = q.nnum > 19;
    u128 u = 0;
    if (!capped) {
      int64_t ni = (int64_t)q.nnum + 9;
      for (int64_t j = 0; j < ni; j++)
        u = u * 10 + (u128)((size_t)j < len ? q_dig(&q, (size_t)j) : 0);
      capped = u > cap >> q.bin;
      if (!capped) u = (u << q.bin) + q_frac_ceil(&q, ni);
      capped = capped || u > cap;
    }
    if (capped) {
      *out = sign * (double)INT64_MAX;
      return true;
    }
    if (u == 0) {
      *out = 0;
      return true;
    }
    q_u128_str(u, buf);
    *out = sign * q_digits_to_double(buf) * q_go_pow10(-9);
    return true;
  }
  /* decimal: the first ni digits of num.den * 10^exp10, plus one if any later digit is set */
  int64_t ni = (int64_t)q.nnum + q.exp10 + 9;
  size_t first = 0; /* first non-zero digit */
  while (first < len && q_dig(&q, first) == 0) first++;
  if (first == len) {
    *out = 0;
    return true;
  }
  if (ni <= (int64_t)first) { /* |x| * 10^9 < 1: rounds up to one nano */
    *out = sign * q_go_pow10(-9);
    return true;
  }
  if (ni - (int64_t)first > Q_APPROX_MAX_DIGITS) {
    *out = sign * HUGE_VAL;
    return true;
  }
  size_t k = 0;
  bool sticky = false;
  for (int64_t j = (int64_t)first; j < ni; j++)
    buf[k++] = (char)('0' + ((size_t)j < len ? q_dig(&q, (size_t)j) : 0));
  for (size_t j = (size_t)ni; j < len && !sticky; j++) sticky = q_dig(&q, j) != 0;
  buf[k] = 0;
  if (sticky) { /* increment the digit string */
    size_t j = k;
    while (j > 0 && buf[j - 1] == '9') buf[--j] = '0';
    if (j == 0) {
      memmove(buf + 1, buf, k + 1);
      buf[0] = '1';
    } else {
      buf[j - 1]++;
    }
  }
  *out = sign * q_digits_to_double(buf) * q_go_pow10(-9);
  return true;
}
