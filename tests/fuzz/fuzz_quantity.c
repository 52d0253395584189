/* Fuzz target: resource.Quantity parsing (ksmc_quantity_parse/_float/_int/_approx).
 * Invariants: the four entry points agree on what is malformed; Value() and
 * MilliValue() agree in sign and magnitude (|milli| >= |value|*1000 unless saturated);
 * AsApproximateFloat64 has Value()'s sign and lies in (|value| - 1, |value|] up to rounding. */
#include <math.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "ksmc_quantity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const char *s = (const char *)data;
  int64_t v = 0, m = 0;
  double f = 0, i = 0;
  bool ok = ksmc_quantity_parse(s, size, &v, &m);
  bool okf = ksmc_quantity_float(s, size, &f);
  bool oki = ksmc_quantity_int(s, size, &i);
  double a = 0;
  bool oka = ksmc_quantity_approx(s, size, &a);
  FUZZ_CHECK(ok == okf && ok == oki && ok == oka, "parse %d float %d int %d approx %d", ok, okf,
             oki, oka);
  if (!ok) return 0;
  if (!isnan(a)) /* NaN only as Go's 0 * Pow10(>308) */
    FUZZ_CHECK((a > 0) == (v > 0) && (a < 0) == (v < 0), "approx %g but value %lld", a,
               (long long)v);
  if (isfinite(a) && v > -INT64_MAX && v < INT64_MAX) {
    double av = fabs((double)v), aa = fabs(a);
    FUZZ_CHECK(aa <= av * (1 + 1e-12) && aa > av - 1 - av * 1e-12, "approx %g but value %lld", a,
               (long long)v);
  }
  FUZZ_CHECK(!isnan(f) && !isnan(i), "NaN from a quantity");
  FUZZ_CHECK(i == (double)v, "int %g != value %lld", i, (long long)v);
  FUZZ_CHECK((v > 0) == (m > 0) || v == 0 || m == 0, "sign of value %lld milli %lld", (long long)v,
             (long long)m);
  if (v > -INT64_MAX / 1000 && v < INT64_MAX / 1000 && m != INT64_MAX && m != -INT64_MAX) {
    /* Value() rounds up away from zero, MilliValue() too: ceil(m/1000) == v. */
    int64_t c = m >= 0 ? (m + 999) / 1000 : -((-m + 999) / 1000);
    FUZZ_CHECK(c == v, "value %lld but milli %lld", (long long)v, (long long)m);
  }
  return 0;
}
