/* ksmc_gonum: Go number parsers (see ksmc_gonum.h). */
#include "ksmc_gonum.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static bool lower_eq(const char *s, size_t n, const char *lit) {
  if (strlen(lit) != n) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = (char)(c - 'A' + 'a');
    if (c != lit[i]) return false;
  }
  return true;
}

static bool is_digit(char c, bool hex) {
  return (c >= '0' && c <= '9') || (hex && ((c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')));
}

/* Go's readFloat syntax: [sign] (digits [. digits] | . digits) [exp], hex needs 'p'.
 * Underscores are allowed only with a base prefix, between digits (underscoreOK). */
static bool float_syntax(const char *s, size_t n, bool *hex) {
  size_t i = 0;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  *hex = false;
  if (i + 1 < n && s[i] == '0' && (s[i + 1] == 'x' || s[i + 1] == 'X')) {
    *hex = true;
    i += 2;
  }
  bool digits = false, dot = false, prev_us = false, base_prefix = *hex;
  bool prev_digit = base_prefix; /* "0x_1" is fine: the prefix counts as a digit */
  for (; i < n; i++) {
    char c = s[i];
    if (c == '_') {
      if (!base_prefix || !prev_digit) return false;
      prev_us = true;
      prev_digit = false;
      continue;
    }
    if (c == '.') {
      if (dot || prev_us) return false;
      dot = true;
      prev_digit = false;
      continue;
    }
    if (!is_digit(c, *hex)) break;
    digits = true;
    prev_digit = true;
    prev_us = false;
  }
  if (!digits || prev_us) return false;
  if (i == n) return !*hex; /* a hex mantissa requires a 'p' exponent */
  char e = s[i];
  if (*hex ? (e != 'p' && e != 'P') : (e != 'e' && e != 'E')) return false;
  i++;
  if (i < n && (s[i] == '+' || s[i] == '-')) i++;
  bool edigits = false;
  for (; i < n; i++) {
    if (s[i] == '_' && base_prefix && edigits && i + 1 < n && is_digit(s[i + 1], false)) continue;
    if (!is_digit(s[i], false)) return false;
    edigits = true;
  }
  return edigits;
}

bool ksmc_go_parse_float(const char *s, size_t n, double *out) {
  size_t i = n && (s[0] == '+' || s[0] == '-') ? 1 : 0;
  bool neg = n && s[0] == '-';
  if (lower_eq(s + i, n - i, "inf") || lower_eq(s + i, n - i, "infinity")) {
    *out = neg ? -INFINITY : INFINITY;
    return true;
  }
  if (lower_eq(s + i, n - i, "nan")) {
    *out = NAN;
    return true;
  }
  bool hex;
  if (n == 0 || n > 4096 || !float_syntax(s, n, &hex)) return false;
  char stack[128], *buf = n < sizeof stack ? stack : malloc(n + 1);
  if (!buf) return false;
  size_t o = 0;
  for (size_t k = 0; k < n; k++)
    if (s[k] != '_') buf[o++] = s[k];
  buf[o] = '\0';
  errno = 0;
  char *end;
  double v = strtod(buf, &end);
  bool ok = end == buf + o && !isinf(v); /* overflow: Go returns ±Inf and ErrRange */
  if (buf != stack) free(buf);
  if (ok) *out = v;
  return ok;
}

bool ksmc_go_atoi(const char *s, size_t n, int64_t *out) {
  size_t i = 0;
  bool neg = false;
  if (i < n && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  if (i == n) return false;
  uint64_t v = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
  for (; i < n; i++) {
    if (s[i] < '0' || s[i] > '9') return false;
    unsigned d = (unsigned)(s[i] - '0');
    if (v > (limit - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = neg ? (int64_t)(0 - v) : (int64_t)v;
  return true;
}

/* int(f) of Go for a float64 in int64 range; saturates outside it. */
static int64_t go_int(double f) {
  if (f >= 9223372036854775807.0) return INT64_MAX;
  if (f <= -9223372036854775808.0) return INT64_MIN;
  return (int64_t)f;
}

bool ksmc_intstr_scaled(const char *s, size_t n, bool is_string, int64_t total, bool round_up,
                        int64_t *out) {
  int64_t v;
  if (!is_string) { /* json.Unmarshal into int32 */
    if (!ksmc_go_atoi(s, n, &v) || (n && s[0] == '+') || v < INT32_MIN || v > INT32_MAX)
      return false;
    *out = v;
    return true;
  }
  if (n == 0 || s[n - 1] != '%') return false; /* "string is not a percentage" */
  if (!ksmc_go_atoi(s, n - 1, &v)) return false;
  double scaled = (double)v * (double)total / 100;
  *out = go_int(round_up ? ceil(scaled) : floor(scaled));
  return true;
}

static bool b64_char(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '/';
}

bool ksmc_go_base64_len(const char *s, size_t n, size_t *out) {
  size_t chars = 0, pad = 0; /* significant characters, '=' seen (the trailing run) */
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\r' || c == '\n') continue;
    if (c == '=') {
      /* padding may only start at the 3rd or 4th character of a quantum */
      if (pad == 0 && chars % 4 < 2) return false;
      pad++;
    } else if (pad || !b64_char(c)) {
      return false; /* data after padding, or outside the alphabet */
    }
    chars++;
  }
  if (chars % 4 || pad > 2) return false;
  *out = chars / 4 * 3 - pad;
  return true;
}
