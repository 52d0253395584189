/* Fuzz target: RFC 3339 timestamps (ksmc_time_parse_rfc3339).
 * Invariant: for the canonical shape YYYY-MM-DDTHH:MM:SSZ the result equals a plain
 * days-from-civil computation, and it is accepted iff the date and time are valid. */
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_time.h"

static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = (unsigned)(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, const char *shape) {
  for (size_t i = 0; shape[i]; i++) {
    if (shape[i] == 'd' ? (s[i] < '0' || s[i] > '9') : s[i] != shape[i]) return false;
  }
  return true;
}

static unsigned num(const char *s, int n) {
  unsigned v = 0;
  for (int i = 0; i < n; i++) v = v * 10 + (unsigned)(s[i] - '0');
  return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  int64_t t = 0;
  bool ok = ksmc_time_parse_rfc3339(s, size, &t);
  if (size == 20 && digits(s, "dddd-dd-ddTdd:dd:ddZ")) {
    unsigned y = num(s, 4), mo = num(s + 5, 2), d = num(s + 8, 2);
    unsigned h = num(s + 11, 2), mi = num(s + 14, 2), sec = num(s + 17, 2);
    static const unsigned mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    bool valid = mo >= 1 && mo <= 12 && d >= 1 &&
                 d <= mdays[mo >= 1 && mo <= 12 ? mo - 1 : 0] + (mo == 2 && leap) && h < 24 &&
                 mi < 60 && sec < 60;
    FUZZ_CHECK(ok == valid, "%.20s: parsed %d, valid %d", s, ok, valid);
    if (ok) {
      int64_t want = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
      FUZZ_CHECK(t == want, "%.20s: %lld, want %lld", s, (long long)t, (long long)want);
    }
  }
  return 0;
}
